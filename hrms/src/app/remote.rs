//! Functions that run apart, reached over HTTP with the caller's token
//! (`HRMS_COMPLIANCE_URL`, `HRMS_EMPLOYEE_URL`; timeouts, retries and the
//! breaker from `HRMS_CALL_*` and `HRMS_BREAKER_*`).

use anyhow::Context;
use hrms_compliance::ComplianceClient;
use hrms_employee::EmployeeClient;
use hrms_http::Callee;
use hrms_http::client::ClientSettings;

/// The callees' settings and their one connection pool.
#[cfg_attr(not(any(feature = "compliance-client", feature = "employee-client")), allow(dead_code))]
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
    #[cfg(feature = "compliance-client")]
    pub fn compliance(&self) -> anyhow::Result<Callee<dyn ComplianceClient>> {
        let base = self.settings.compliance_url.clone();
        let base = base.context("Compliance runs apart: set HRMS_COMPLIANCE_URL to its address")?;
        let client =
            hrms_compliance_adapters::client::HttpCompliance::new(base, self.http.clone(), &self.settings);
        Ok(client.callee())
    }

    /// Compliance apart: not in this build.
    #[cfg(not(feature = "compliance-client"))]
    pub fn compliance(&self) -> anyhow::Result<Callee<dyn ComplianceClient>> {
        anyhow::bail!("this build holds no client of Compliance (feature compliance-client)")
    }

    /// Employee at `HRMS_EMPLOYEE_URL`.
    pub fn employees(&self) -> anyhow::Result<Callee<dyn EmployeeClient>> {
        self.employees_if_set().context("Employee runs apart: set HRMS_EMPLOYEE_URL to its address")
    }

    /// Employee at `HRMS_EMPLOYEE_URL`, if set (and in this build).
    pub fn employees_if_set(&self) -> Option<Callee<dyn EmployeeClient>> {
        #[cfg(feature = "employee-client")]
        return self.settings.employee_url.clone().map(|base| {
            hrms_employee_adapters::client::HttpEmployee::new(base, self.http.clone(), &self.settings)
                .callee()
        });
        #[cfg(not(feature = "employee-client"))]
        None
    }
}
