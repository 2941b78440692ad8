//! Functions that run apart, reached over HTTP with the caller's token.

use anyhow::bail;
use hrms_compliance::ComplianceClient;
use hrms_employee::EmployeeClient;
use hrms_runtime::http::Callee;

/// Compliance at `HRMS_COMPLIANCE_URL`.
pub fn compliance() -> anyhow::Result<Callee<dyn ComplianceClient>> {
    bail!("Compliance must run in this process (HTTP clients are not wired yet)")
}

/// Employee at `HRMS_EMPLOYEE_URL`.
pub fn employees() -> anyhow::Result<Callee<dyn EmployeeClient>> {
    bail!("Employee must run in this process (HTTP clients are not wired yet)")
}
