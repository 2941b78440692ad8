//! Keeps the operational routes (`/healthz`, `/readyz`, `/metrics`) off a
//! public host: a request naming a public host (`Host`, or the HTTP/2
//! `:authority`) gets the 404 problem any missing route would. Knative's
//! ingress forwards the public host a caller used; kubelet, the queue-proxy's
//! probes and Prometheus's scrapes name the pod's IP or `localhost`, and
//! in-cluster callers a Service name.
//!
//! Internal: an IP literal (v4, or v6 bare or bracketed), a single-label
//! name (`localhost`, `audit`), a name ending in `.svc` or
//! `.svc.cluster.local`, or in a suffix of `HRMS_INTERNAL_HOST_SUFFIXES`
//! (comma-separated), each with or without a port. A request naming no host
//! is public.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hrms_http::Problem;

/// The environment variable listing further internal host suffixes.
pub(super) const SUFFIXES_VAR: &str = "HRMS_INTERNAL_HOST_SUFFIXES";

/// Suffixes of internal names, always: Kubernetes Service names.
const CLUSTER_SUFFIXES: [&str; 2] = ["svc", "svc.cluster.local"];

/// Which hosts are internal.
#[derive(Debug, Clone, Default)]
pub(super) struct InternalHosts {
    /// Extra suffixes, lower case, without a leading dot.
    suffixes: Vec<String>,
}

impl InternalHosts {
    /// The cluster's names plus those of `HRMS_INTERNAL_HOST_SUFFIXES`.
    pub(super) fn from_env() -> Self {
        Self::with_suffixes(&std::env::var(SUFFIXES_VAR).unwrap_or_default())
    }

    /// The cluster's names plus the comma-separated `suffixes`.
    pub(super) fn with_suffixes(suffixes: &str) -> Self {
        let suffixes = suffixes
            .split(',')
            .map(|s| s.trim().trim_matches('.').to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect();
        Self { suffixes }
    }

    /// Whether `host` (a `Host` header's value: name or IP, maybe a port)
    /// is internal.
    pub(super) fn is_internal(&self, host: &str) -> bool {
        let host = host.trim();
        if let Some(rest) = host.strip_prefix('[') {
            // A bracketed IPv6 literal, maybe with a port.
            return rest.split_once(']').is_some_and(|(ip, _)| ip.parse::<std::net::Ipv6Addr>().is_ok());
        }
        if host.parse::<IpAddr>().is_ok() {
            return true; // a bare IPv6 (or v4) literal
        }
        let name = match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            Some(_) => return false,
            None => host,
        };
        let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
        if name.is_empty() {
            return false;
        }
        if name.parse::<IpAddr>().is_ok() || !name.contains('.') {
            return true;
        }
        CLUSTER_SUFFIXES
            .iter()
            .copied()
            .chain(self.suffixes.iter().map(String::as_str))
            .any(|suffix| name == suffix || name.strip_suffix(suffix).is_some_and(|head| head.ends_with('.')))
    }
}

/// The middleware: passes a request naming an internal host, answers any
/// other 404.
pub(super) async fn internal_only(
    State(hosts): State<Arc<InternalHosts>>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()));
    if host.is_some_and(|h| hosts.is_internal(h)) {
        next.run(request).await
    } else {
        Problem::not_found(format!("no route {}", request.uri().path())).into_response()
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use serde_json::Value;
    use tower::ServiceExt;
    use uuid::Uuid;

    use super::*;
    use crate::app::{App, Function, Options, Stores};

    #[test]
    fn internal_and_public_hosts() {
        let hosts = InternalHosts::with_suffixes(" corp.internal, .lan ,");
        let internal = [
            "10.0.0.5",
            "10.0.0.5:8080",
            "127.0.0.1:8012",
            "[::1]",
            "[fd00::5]:8080",
            "::1",
            "localhost",
            "localhost:8080",
            "audit:8080",
            "Employee",
            "employee.hrms.svc",
            "employee.hrms.svc:80",
            "employee.hrms.svc.cluster.local",
            "employee.hrms.svc.cluster.local.:8080",
            "EMPLOYEE.HRMS.SVC.CLUSTER.LOCAL",
            "metrics.corp.internal",
            "corp.internal:9090",
            "printer.lan",
        ];
        let public = [
            "employee.hrms.example.com",
            "employee.hrms.example.com:443",
            "user.hrms.example.com.",
            "svc.example.com",
            "employee.hrms.svc.example.com",
            "evilcorp.internal",
            "lan.example.com",
            "",
            ":8080",
            "[not-an-ip]:8080",
            "employee.hrms.example.com:http",
        ];
        for host in internal {
            assert!(hosts.is_internal(host), "{host:?} should be internal");
        }
        for host in public {
            assert!(!hosts.is_internal(host), "{host:?} should be public");
        }
        assert!(!InternalHosts::default().is_internal("metrics.corp.internal"), "no suffix configured");
    }

    async fn get(app: &axum::Router, path: &str, host: Option<&str>) -> (StatusCode, Value) {
        let mut request = Request::get(path);
        if let Some(host) = host {
            request = request.header(header::HOST, host);
        }
        let response =
            app.clone().oneshot(request.body(Body::empty()).expect("request")).await.expect("infallible");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 22).await.expect("body");
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    #[tokio::test]
    async fn operational_routes_answer_only_internal_hosts() {
        let data_dir = std::env::temp_dir().join(format!("hrms-ops-hosts-{}", Uuid::now_v7()));
        let options = Options {
            stores: Stores::sqlite(data_dir.clone()),
            functions: Function::all(),
            event_log: false,
            consume: true,
            intake: Default::default(),
        };
        let app = App::build(options).await.expect("dev builds").router;

        for path in ["/metrics", "/readyz", "/healthz"] {
            for host in ["employee.hrms.example.com", "employee.hrms.example.com:443"] {
                let (status, problem) = get(&app, path, Some(host)).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{path} on {host}");
                assert_eq!(problem["status"], 404, "{path} on {host}: {problem}");
            }
            let (status, _) = get(&app, path, None).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path} naming no host");
            for host in ["10.0.0.5:8080", "localhost", "audit:8080", "employee.hrms.svc.cluster.local"] {
                assert_eq!(get(&app, path, Some(host)).await.0, StatusCode::OK, "{path} on {host}");
            }
        }
        // The public documents stay public.
        for path in ["/openapi.json", "/asyncapi.json"] {
            assert_eq!(get(&app, path, Some("employee.hrms.example.com")).await.0, StatusCode::OK, "{path}");
        }
        let _ = std::fs::remove_dir_all(&data_dir);
    }
}
