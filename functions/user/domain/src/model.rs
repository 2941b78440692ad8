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
    pub first_name: String,
    pub last_name: String,
    pub department: String,
    pub job_title: String,
    #[serde(default)]
    pub manager_id: Option<Uuid>,
    pub country: String,
    #[serde(default)]
    pub time_zone: Option<String>,
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
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub password: Password,
    #[serde(default)]
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
    pub email: Option<String>,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
}

/// Why an account is suspended.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Suspension {
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
