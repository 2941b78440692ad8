//! Functions that run apart, reached over HTTP with the caller's token
//! (`HRMS_COMPLIANCE_URL`, `HRMS_EMPLOYEE_URL`; timeouts, retries and the
//! breaker from `HRMS_CALL_*` and `HRMS_BREAKER_*`).

use anyhow::Context;
use hrms_compliance::ComplianceClient;
use hrms_employee::EmployeeClient;
use hrms_runtime::http::Callee;
use hrms_runtime::http::client::{ClientSettings, HttpCompliance, HttpEmployee};

/// The callees' settings and their one connection pool.
pub struct Remote {
    settings: ClientSettings,
    http: reqwest::Client,
}

impl Remote {
    pub fn from_env() -> anyhow::Result<Self> {
        let settings = ClientSettings::from_env()?;
        let http = settings.http_client().context("building the HTTP client")?;
        Ok(Self { settings, http })
    }

    /// Compliance at `HRMS_COMPLIANCE_URL`.
    pub fn compliance(&self) -> anyhow::Result<Callee<dyn ComplianceClient>> {
        let client = HttpCompliance::from_settings(&self.settings, &self.http)
            .context("Compliance runs apart: set HRMS_COMPLIANCE_URL to its address")?;
        Ok(client.callee())
    }

    /// Employee at `HRMS_EMPLOYEE_URL`.
    pub fn employees(&self) -> anyhow::Result<Callee<dyn EmployeeClient>> {
        let client = HttpEmployee::from_settings(&self.settings, &self.http)
            .context("Employee runs apart: set HRMS_EMPLOYEE_URL to its address")?;
        Ok(client.callee())
    }
}

impl Remote {
    /// Employee at `HRMS_EMPLOYEE_URL`, if set.
    pub fn employees_if_set(&self) -> Option<Callee<dyn EmployeeClient>> {
        HttpEmployee::from_settings(&self.settings, &self.http).map(|c| c.callee())
    }
}
