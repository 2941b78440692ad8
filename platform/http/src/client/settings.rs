//! How the sync clients are set up, read from the environment:
//!
//! | variable | default | what |
//! | --- | --- | --- |
//! | `HRMS_EMPLOYEE_URL` | none | Employee's base URL; without it there is no Employee client |
//! | `HRMS_COMPLIANCE_URL` | none | Compliance's base URL; likewise |
//! | `HRMS_CALL_TIMEOUT_MS` | 2000 | one attempt, from sending to the last byte of the answer |
//! | `HRMS_CALL_CONNECT_TIMEOUT_MS` | 500 | opening a connection |
//! | `HRMS_CALL_RETRIES` | 2 | retries after the first attempt (see [`super`] for which) |
//! | `HRMS_CALL_BACKOFF_MS` | 50 | first backoff; doubles per retry, with jitter, at most 1 s |
//! | `HRMS_CALL_BUDGET_MS` | 5000 | all attempts and backoffs of one call together |
//! | `HRMS_BREAKER_FAILURES` | 5 | consecutive failures that open a callee's circuit |
//! | `HRMS_BREAKER_COOL_DOWN_MS` | 10000 | how long an open circuit fails fast |

use std::str::FromStr;
use std::time::Duration;

use hrms_platform::error::BoxError;
use url::Url;

use super::breaker::BreakerSettings;

/// A variable that is set but unusable: why, and the parse error, if any.
#[derive(Debug, thiserror::Error)]
#[error("{var}={value:?}: {reason}")]
pub struct SettingsError {
    pub var: &'static str,
    pub value: String,
    pub reason: String,
    #[source]
    pub cause: Option<BoxError>,
}

/// The sync clients' settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientSettings {
    pub employee_url: Option<Url>,
    pub compliance_url: Option<Url>,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub retries: u32,
    pub backoff: Duration,
    pub max_backoff: Duration,
    pub budget: Duration,
    pub breaker: BreakerSettings,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            employee_url: None,
            compliance_url: None,
            timeout: Duration::from_millis(2000),
            connect_timeout: Duration::from_millis(500),
            retries: 2,
            backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(1),
            budget: Duration::from_millis(5000),
            breaker: BreakerSettings::default(),
        }
    }
}

impl ClientSettings {
    /// From the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|var| std::env::var(var).ok())
    }

    /// From `lookup` (the environment, or a test's map); unset or empty
    /// variables keep their defaults.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let get = |var: &'static str| lookup(var).filter(|v| !v.trim().is_empty()).map(|v| (var, v));
        let ms = |var, default: Duration| get(var).map_or(Ok(default), |(var, v)| parse(var, &v).map(millis));
        let d = Self::default();
        Ok(Self {
            employee_url: get("HRMS_EMPLOYEE_URL").map(|(var, v)| base_url(var, &v)).transpose()?,
            compliance_url: get("HRMS_COMPLIANCE_URL").map(|(var, v)| base_url(var, &v)).transpose()?,
            timeout: ms("HRMS_CALL_TIMEOUT_MS", d.timeout)?,
            connect_timeout: ms("HRMS_CALL_CONNECT_TIMEOUT_MS", d.connect_timeout)?,
            retries: get("HRMS_CALL_RETRIES").map_or(Ok(d.retries), |(var, v)| parse(var, &v))?,
            backoff: ms("HRMS_CALL_BACKOFF_MS", d.backoff)?,
            max_backoff: d.max_backoff,
            budget: ms("HRMS_CALL_BUDGET_MS", d.budget)?,
            breaker: BreakerSettings {
                failures: get("HRMS_BREAKER_FAILURES")
                    .map_or(Ok(d.breaker.failures), |(var, v)| parse(var, &v))?
                    .max(1),
                cool_down: ms("HRMS_BREAKER_COOL_DOWN_MS", d.breaker.cool_down)?,
            },
        })
    }

    /// The HTTP client every callee's client shares: one connection pool,
    /// no redirects (a bearer token is never sent anywhere else), no proxy.
    pub fn http_client(&self) -> Result<reqwest::Client, reqwest::Error> {
        reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(32)
            .tcp_nodelay(true)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("hrms/", env!("CARGO_PKG_VERSION")))
            .build()
    }
}

fn millis(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

fn parse<T: FromStr<Err: Into<BoxError>>>(var: &'static str, value: &str) -> Result<T, SettingsError> {
    value.trim().parse().map_err(|e: T::Err| SettingsError {
        cause: Some(e.into()),
        ..invalid(var, value, "not a valid value".into())
    })
}

/// An `http(s)` URL; its path ends with `/`, so paths join below it.
pub fn base_url(var: &'static str, value: &str) -> Result<Url, SettingsError> {
    let mut url = Url::parse(value.trim())
        .map_err(|e| SettingsError { cause: Some(e.into()), ..invalid(var, value, "not a URL".into()) })?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(invalid(var, value, "must be an http or https URL".into()));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn invalid(var: &'static str, value: &str, reason: String) -> SettingsError {
    SettingsError { var, value: value.to_owned(), reason, cause: None }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn from(vars: &[(&str, &str)]) -> Result<ClientSettings, SettingsError> {
        let vars: HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        ClientSettings::from_lookup(|k| vars.get(k).cloned())
    }

    #[test]
    fn unset_variables_keep_the_defaults() {
        assert_eq!(from(&[("HRMS_CALL_RETRIES", " ")]).expect("settings"), ClientSettings::default());
    }

    #[test]
    fn every_variable_is_read() {
        let s = from(&[
            ("HRMS_EMPLOYEE_URL", "http://employee.hrms.svc"),
            ("HRMS_COMPLIANCE_URL", "https://compliance.example/api"),
            ("HRMS_CALL_TIMEOUT_MS", "750"),
            ("HRMS_CALL_CONNECT_TIMEOUT_MS", "100"),
            ("HRMS_CALL_RETRIES", "0"),
            ("HRMS_CALL_BACKOFF_MS", "10"),
            ("HRMS_CALL_BUDGET_MS", "3000"),
            ("HRMS_BREAKER_FAILURES", "0"),
            ("HRMS_BREAKER_COOL_DOWN_MS", "2500"),
        ])
        .expect("settings");
        assert_eq!(s.employee_url.as_ref().map(Url::as_str), Some("http://employee.hrms.svc/"));
        assert_eq!(s.compliance_url.as_ref().map(Url::as_str), Some("https://compliance.example/api/"));
        assert_eq!((s.timeout, s.connect_timeout), (millis(750), millis(100)));
        assert_eq!((s.retries, s.backoff, s.budget), (0, millis(10), millis(3000)));
        assert_eq!(s.breaker, BreakerSettings { failures: 1, cool_down: millis(2500) });
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (var, value) in [
            ("HRMS_CALL_TIMEOUT_MS", "2s"),
            ("HRMS_CALL_RETRIES", "-1"),
            ("HRMS_EMPLOYEE_URL", "employee:8080"),
            ("HRMS_COMPLIANCE_URL", "not a url"),
        ] {
            let e = from(&[(var, value)]).expect_err(value);
            assert_eq!(e.var, var);
        }
    }
}
