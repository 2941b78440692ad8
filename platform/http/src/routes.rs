//! What every function's router shares: its state, [`Api`] (the
//! authenticator and what the function's routes need), and [`Routes`], the
//! routes with their documentation, from which its router and OpenAPI
//! fragment are made.

use std::ops::Deref;
use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use super::auth::Authenticator;
use super::openapi::components;

/// A router's state: the authenticator every [`Caller`](super::Caller)
/// needs, and `deps`, what the function's routes need (reached through
/// `Deref`).
#[derive(Clone)]
pub struct Api<D> {
    pub auth: Arc<Authenticator>,
    deps: D,
}

impl<D> Api<D> {
    pub fn new(auth: Arc<Authenticator>, deps: D) -> Self {
        Self { auth, deps }
    }
}

impl<D> Deref for Api<D> {
    type Target = D;

    fn deref(&self) -> &D {
        &self.deps
    }
}

impl<D> FromRef<Api<D>> for Arc<Authenticator> {
    fn from_ref(api: &Api<D>) -> Self {
        api.auth.clone()
    }
}

/// A function's routes, on the state of what they need (`Self`).
pub trait Routes: Clone + Send + Sync + Sized + 'static {
    /// `router` with each route added together with its documentation
    /// (utoipa-axum's `routes!`).
    fn routes(router: OpenApiRouter<Api<Self>>) -> OpenApiRouter<Api<Self>>;

    /// The routes' OpenAPI fragment (a valid document alone).
    fn openapi() -> OpenApi {
        documented::<Self>().into_openapi()
    }
}

impl<D: Routes> Api<D> {
    /// The function's router on this state.
    pub fn router(self) -> Router {
        documented::<D>().with_state(self).into()
    }
}

/// `D`'s routes on the shared [`components`].
fn documented<D: Routes>() -> OpenApiRouter<Api<D>> {
    D::routes(OpenApiRouter::with_openapi(components()))
}
