//! The employee record and the inputs of the commands that change it.

use chrono::{DateTime, NaiveDate, Utc};
use hrms_compliance::{EmployeeFacts, Subject};
use hrms_events::employee::{EmployeeSnapshot, EmployeeStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An employee as the Employee function keeps it. The date of birth is
/// personal data: it stays here (and goes to Compliance for the age rules),
/// never into an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Employee {
    pub employee_id: Uuid,
    /// The user account of this person, once there is one.
    pub user_id: Option<Uuid>,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub department: String,
    pub job_title: String,
    pub manager_id: Option<Uuid>,
    /// ISO 3166-1 alpha-2, upper case: picks the holiday calendar.
    pub country: String,
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub time_zone: String,
    /// Contracted hours per week.
    pub weekly_hours: f64,
    pub hire_date: NaiveDate,
    pub date_of_birth: Option<NaiveDate>,
    pub status: EmployeeStatus,
    pub termination_date: Option<NaiveDate>,
    pub termination_reason: Option<String>,
    /// 1 at creation, one more with every change.
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Employee {
    /// The record as events carry it (without the date of birth).
    pub fn snapshot(&self) -> EmployeeSnapshot {
        EmployeeSnapshot {
            employee_id: self.employee_id,
            user_id: self.user_id,
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            email: self.email.clone(),
            department: self.department.clone(),
            job_title: self.job_title.clone(),
            manager_id: self.manager_id,
            country: self.country.clone(),
            time_zone: self.time_zone.clone(),
            weekly_hours: self.weekly_hours,
            hire_date: self.hire_date,
            status: self.status,
            termination_date: self.termination_date,
            version: self.version,
        }
    }

    /// What Compliance checks.
    pub fn subject(&self) -> Subject {
        Subject::Employee(EmployeeFacts {
            employee_id: self.employee_id,
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            email: self.email.clone(),
            department: self.department.clone(),
            job_title: self.job_title.clone(),
            country: self.country.clone(),
            date_of_birth: self.date_of_birth,
            hire_date: self.hire_date,
            weekly_hours: self.weekly_hours,
            manager_id: self.manager_id,
        })
    }

    /// Whether the person still works here: may request leave and mark
    /// attendance.
    pub fn is_active(&self) -> bool {
        self.status == EmployeeStatus::Active
    }
}

fn utc() -> String {
    "UTC".to_owned()
}

/// A new employee. With `employee_id` given, creation is idempotent: the
/// same request again answers the stored record (how User retries safely).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewEmployee {
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
    )]
    pub employee_id: Option<Uuid>,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
    )]
    pub user_id: Option<Uuid>,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200, pattern = r"\S"))]
    pub first_name: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200, pattern = r"\S"))]
    pub last_name: String,
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 3, max_length = 254, pattern = r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    )]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200, pattern = r"\S"))]
    pub department: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200, pattern = r"\S"))]
    pub job_title: String,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
    )]
    pub manager_id: Option<Uuid>,
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Z]{2}$"))]
    pub country: String,
    #[serde(default = "utc")]
    #[cfg_attr(feature = "openapi", schema(schema_with = iana_time_zone))]
    pub time_zone: String,
    /// Contracted hours per week, 0 to 168.
    // `hrms_events::checks::WEEKLY_HOURS`: events/tests/contract_limits.rs compares.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 168))]
    pub weekly_hours: f64,
    pub hire_date: NaiveDate,
    #[serde(default)]
    pub date_of_birth: Option<NaiveDate>,
}

/// Changes to an employee: absent fields stay as they are; `manager_id:
/// null` removes the manager. `version`, when given, must be the stored
/// one (optimistic concurrency for clients that read before they write).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EmployeeChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
    )]
    pub user_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200, pattern = r"\S"))]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200, pattern = r"\S"))]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 3, max_length = 254, pattern = r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    )]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200, pattern = r"\S"))]
    pub department: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200, pattern = r"\S"))]
    pub job_title: Option<String>,
    #[serde(default, with = "double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
    )]
    pub manager_id: Option<Option<Uuid>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Z]{2}$"))]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = iana_time_zone))]
    pub time_zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Contracted hours per week, 0 to 168.
    // `hrms_events::checks::WEEKLY_HOURS`: events/tests/contract_limits.rs compares.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 168))]
    pub weekly_hours: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hire_date: Option<NaiveDate>,
    #[serde(default, with = "double_option", skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<Option<NaiveDate>>,
}

/// The end of an employment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Termination {
    pub termination_date: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 1000, pattern = r"\S"))]
    pub reason: String,
}

/// The names of the IANA time zone database (the `tz` names chrono-tz
/// knows), as the OpenAPI document lists them: any other is refused.
#[cfg(feature = "openapi")]
fn iana_time_zone() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .description(Some("An IANA time zone, e.g. `Europe/Berlin`."))
        .enum_values(Some(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())))
        .build()
}

/// `Option<Option<T>>` where an absent field is `None` and `null` is
/// `Some(None)`.
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(v: &Option<Option<T>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// The first text field longer than [`hrms_events::limits`] allows, and why.
pub trait Lengths {
    fn too_long(&self) -> Option<(&'static str, String)>;
}

impl Lengths for NewEmployee {
    fn too_long(&self) -> Option<(&'static str, String)> {
        use hrms_events::limits::{self, EMAIL, LABEL, NAME};
        limits::too_long(&[
            ("first_name", Some(&self.first_name), NAME),
            ("last_name", Some(&self.last_name), NAME),
            ("email", Some(&self.email), EMAIL),
            ("department", Some(&self.department), LABEL),
            ("job_title", Some(&self.job_title), LABEL),
        ])
    }
}

impl Lengths for EmployeeChanges {
    fn too_long(&self) -> Option<(&'static str, String)> {
        use hrms_events::limits::{self, EMAIL, LABEL, NAME};
        limits::too_long(&[
            ("first_name", self.first_name.as_deref(), NAME),
            ("last_name", self.last_name.as_deref(), NAME),
            ("email", self.email.as_deref(), EMAIL),
            ("department", self.department.as_deref(), LABEL),
            ("job_title", self.job_title.as_deref(), LABEL),
        ])
    }
}

impl Lengths for Termination {
    fn too_long(&self) -> Option<(&'static str, String)> {
        hrms_events::limits::too_long(&[("reason", Some(&self.reason), hrms_events::limits::REASON)])
    }
}
