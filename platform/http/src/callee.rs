//! How a router reaches a function it calls synchronously. In one process
//! the callee is the function itself; apart, it is an HTTP client that
//! forwards the caller's own token, so the callee checks the same caller.

use std::sync::Arc;

use super::auth::Bearer;

type Bind<C> = dyn Fn(&Bearer) -> Arc<C> + Send + Sync;

/// For each request, a client of the callee acting for the request's caller.
pub struct Callee<C: ?Sized>(Arc<Bind<C>>);

impl<C: ?Sized> Clone for Callee<C> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<C: ?Sized + Send + Sync + 'static> Callee<C> {
    /// The same client for every caller (in-process: the caller was checked
    /// by this process already).
    pub fn local(client: Arc<C>) -> Self {
        Self(Arc::new(move |_| client.clone()))
    }

    /// A client made per request from the caller's token.
    pub fn per_token(bind: impl Fn(&Bearer) -> Arc<C> + Send + Sync + 'static) -> Self {
        Self(Arc::new(bind))
    }

    /// The client for this request.
    pub fn bind(&self, bearer: &Bearer) -> Arc<C> {
        (self.0)(bearer)
    }
}
