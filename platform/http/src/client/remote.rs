//! A function's HTTP client: [`FunctionClient`], shared by all requests, makes for
//! each request the client of its caller ([`Bind`]), which forwards the
//! caller's token.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use url::Url;

use super::Forward;
use super::service::ServiceClient;
use super::settings::ClientSettings;
use crate::auth::Bearer;
use crate::callee::Callee;

/// A function's client bound to one caller: it sends each call on the
/// callee's service with what the caller forwards.
pub trait Bind: Send + Sync + 'static {
    /// The function's client, as the routes call it (e.g. `dyn EmployeeClient`).
    type Client: ?Sized + Send + Sync + 'static;
    /// The callee's name, in errors and metrics.
    const CALLEE: &'static str;

    /// The client of the caller who forwards `forward`.
    fn bind(service: Arc<ServiceClient>, forward: Forward) -> Arc<Self::Client>;
}

/// A function that runs apart, called over HTTP; shared by all requests.
pub struct FunctionClient<B> {
    service: Arc<ServiceClient>,
    bound: PhantomData<fn() -> B>,
}

impl<B> Clone for FunctionClient<B> {
    fn clone(&self) -> Self {
        Self { service: self.service.clone(), bound: PhantomData }
    }
}

impl<B> fmt::Debug for FunctionClient<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FunctionClient").field("service", &self.service).finish()
    }
}

impl<B: Bind> FunctionClient<B> {
    /// The callee at `base`.
    pub fn new(base: Url, http: reqwest::Client, settings: &ClientSettings) -> Self {
        Self { service: Arc::new(ServiceClient::new(B::CALLEE, base, http, settings)), bound: PhantomData }
    }

    /// The callee for a router's state: binds each request's token.
    pub fn callee(&self) -> Callee<B::Client> {
        let this = self.clone();
        Callee::per_token(move |bearer: &Bearer| {
            this.bind(Forward { bearer: bearer.token.clone(), traceparent: bearer.traceparent.clone() })
        })
    }

    /// The client for one request, calling with `bearer`.
    pub fn for_token(&self, bearer: impl Into<String>) -> Arc<B::Client> {
        self.bind(Forward::token(bearer))
    }

    /// The client for one request, with its token and trace.
    pub fn bind(&self, forward: Forward) -> Arc<B::Client> {
        B::bind(self.service.clone(), forward)
    }

    pub fn service(&self) -> &ServiceClient {
        &self.service
    }
}
