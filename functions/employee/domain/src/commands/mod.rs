//! One file per operation: its rules, its events, and its tests.

pub mod create;
pub mod get;
pub mod list;
pub mod terminate;
pub mod update;

#[cfg(test)]
mod contract_tests;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod time_zones;

use hrms_compliance::{ComplianceClient, Subject};
use hrms_events::Actor;

use crate::error::EmployeeError;
use crate::store::EmployeeStore;

/// What the Employee commands run with: the store, and Compliance as the
/// requester reaches it.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub store: &'a dyn EmployeeStore,
    pub compliance: &'a dyn ComplianceClient,
}

/// Asks Compliance; a refusal is [`EmployeeError::Refused`].
async fn validate(
    compliance: &dyn ComplianceClient,
    subject: &Subject,
    actor: &Actor,
) -> Result<(), EmployeeError> {
    let verdict = compliance.validate(subject, actor).await?;
    if verdict.allowed { Ok(()) } else { Err(EmployeeError::Refused(verdict)) }
}

/// Contracted hours the event contract carries: within
/// [`hrms_events::checks::WEEKLY_HOURS`] whatever Compliance's policy allows.
fn check_hours(weekly_hours: f64) -> Result<(), EmployeeError> {
    let (min, max) = hrms_events::checks::WEEKLY_HOURS;
    if (min..=max).contains(&weekly_hours) {
        Ok(())
    } else {
        Err(EmployeeError::invalid("weekly_hours", format!("hours of a week: from {min} to {max}")))
    }
}

/// Field checks Compliance does not own: the shape of the record.
fn check_shape(country: &str, time_zone: &str) -> Result<(), EmployeeError> {
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(EmployeeError::invalid("country", "an ISO 3166-1 alpha-2 code in upper case, e.g. DE"));
    }
    // Not a name of the IANA database (chrono-tz's copy of it): refused, never
    // counted as UTC.
    if time_zone.parse::<chrono_tz::Tz>().is_err() {
        return Err(EmployeeError::invalid("time_zone", "an IANA time zone, e.g. Europe/Berlin"));
    }
    Ok(())
}
