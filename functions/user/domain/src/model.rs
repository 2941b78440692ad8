//! The account and the inputs of the commands that change it.

use chrono::{DateTime, NaiveDate, Utc};
use hrms_compliance::{Subject, UserFacts};
use hrms_events::Role;
use hrms_events::user::{UserSnapshot, UserStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An account as the User function keeps it. `password_hash` (a PHC
/// string) is for the store only: responses and events use [`UserSnapshot`].
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub user_id: Uuid,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub status: UserStatus,
    pub employee_id: Option<Uuid>,
    pub password_hash: String,
    pub password_changed_at: DateTime<Utc>,
    /// When the role last changed: tokens issued before are refused
    /// (suspension and deletion are final, and refused whatever the token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_changed_at: Option<DateTime<Utc>>,
    /// 1 at creation, one more with every change.
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("user_id", &self.user_id)
            .field("role", &self.role)
            .field("status", &self.status)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl User {
    /// The account as events and responses show it.
    pub fn snapshot(&self) -> UserSnapshot {
        UserSnapshot {
            user_id: self.user_id,
            email: self.email.clone(),
            full_name: self.full_name.clone(),
            role: self.role,
            status: self.status,
            employee_id: self.employee_id,
            version: self.version,
        }
    }

    /// What Compliance checks.
    pub fn subject(&self) -> Subject {
        Subject::User(UserFacts {
            user_id: self.user_id,
            email: self.email.clone(),
            full_name: self.full_name.clone(),
            role: self.role,
            employee_id: self.employee_id,
        })
    }
}

/// A password in transit: never printed, never serialized.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The text, for hashing and verification only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

/// A string of format `password`, write-only: requests carry it, no answer does.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Password {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Password)))
            .write_only(true)
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Password {}

/// The employee record to create with an account: the person's details
/// (the e-mail is the account's).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EmployeeDetails {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200, pattern = r"\S"))]
    pub first_name: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200, pattern = r"\S"))]
    pub last_name: String,
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
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Za-z0-9/_+-]{1,64}$"))]
    pub time_zone: Option<String>,
    /// Contracted hours per week, 0 to 168 (Employee refuses others).
    // `hrms_events::checks::WEEKLY_HOURS`: events/tests/contract_limits.rs compares.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 168))]
    pub weekly_hours: f64,
    pub hire_date: NaiveDate,
    #[serde(default)]
    pub date_of_birth: Option<NaiveDate>,
}

/// A new account. Employees and managers need an employee record: either
/// `employee_id` (an existing record, linked) or `employee` (created with
/// the account). Admin and hr accounts may have neither.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 3, max_length = 254, pattern = r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    )]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200, pattern = r"\S"))]
    pub full_name: String,
    pub role: Role,
    pub password: Password,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
    )]
    pub employee_id: Option<Uuid>,
    #[serde(default)]
    pub employee: Option<EmployeeDetails>,
}

/// Changes to an account: absent fields stay as they are. `version`, when
/// given, must be the stored one.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserChanges {
    #[serde(default)]
    pub version: Option<u64>,
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 3, max_length = 254, pattern = r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    )]
    pub email: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200, pattern = r"\S"))]
    pub full_name: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
}

/// Why an account is suspended.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Suspension {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 1000, pattern = r"\S"))]
    pub reason: String,
}

/// A new password: users give their current one; an admin resetting
/// another's password gives none.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    #[serde(default)]
    pub current_password: Option<Password>,
    pub new_password: Password,
}

/// The first text field longer than [`hrms_events::limits`] allows, and why.
pub trait Lengths {
    fn too_long(&self) -> Option<(&'static str, String)>;
}

impl Lengths for NewUser {
    fn too_long(&self) -> Option<(&'static str, String)> {
        use hrms_events::limits::{self, EMAIL, NAME};
        limits::too_long(&[("email", Some(&self.email), EMAIL), ("full_name", Some(&self.full_name), NAME)])
            .or_else(|| self.employee.as_ref().and_then(Lengths::too_long))
    }
}

impl Lengths for EmployeeDetails {
    fn too_long(&self) -> Option<(&'static str, String)> {
        use hrms_events::limits::{self, COUNTRY, LABEL, NAME, TIME_ZONE};
        limits::too_long(&[
            ("employee.first_name", Some(&self.first_name), NAME),
            ("employee.last_name", Some(&self.last_name), NAME),
            ("employee.department", Some(&self.department), LABEL),
            ("employee.job_title", Some(&self.job_title), LABEL),
            ("employee.country", Some(&self.country), COUNTRY),
            ("employee.time_zone", self.time_zone.as_deref(), TIME_ZONE),
        ])
    }
}

impl Lengths for UserChanges {
    fn too_long(&self) -> Option<(&'static str, String)> {
        use hrms_events::limits::{self, EMAIL, NAME};
        limits::too_long(&[
            ("email", self.email.as_deref(), EMAIL),
            ("full_name", self.full_name.as_deref(), NAME),
        ])
    }
}

impl Lengths for Suspension {
    fn too_long(&self) -> Option<(&'static str, String)> {
        hrms_events::limits::too_long(&[("reason", Some(&self.reason), hrms_events::limits::REASON)])
    }
}
