//! `user.*` payloads: accounts of people who sign in. Passwords and their
//! hashes never appear here; a password change only says that it happened.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::common::{Keyed, Role};

/// An account's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Active,
    Suspended,
    Deleted,
}

/// A user as the audit trail records it (no credentials).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserSnapshot {
    pub user_id: Uuid,
    #[schemars(length(max = crate::limits::EMAIL))]
    pub email: String,
    #[schemars(length(max = crate::limits::NAME))]
    pub full_name: String,
    pub role: Role,
    pub status: UserStatus,
    pub employee_id: Option<Uuid>,
    pub version: u64,
}

/// `user.created`: welcome the new user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UserCreated {
    pub user_id: Uuid,
    #[schemars(length(max = crate::limits::EMAIL))]
    pub email: String,
    #[schemars(length(max = crate::limits::NAME))]
    pub full_name: String,
    pub role: Role,
    pub employee_id: Option<Uuid>,
}

/// `user.updated`: which profile fields changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UserUpdated {
    pub user_id: Uuid,
    #[schemars(length(max = crate::limits::EMAIL))]
    pub email: String,
    #[schemars(length(max = crate::limits::NAME))]
    pub full_name: String,
    pub employee_id: Option<Uuid>,
    pub changed_fields: Vec<String>,
}

/// `user.deleted`: the account is closed (the record stays for audit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UserDeleted {
    pub user_id: Uuid,
    #[schemars(length(max = crate::limits::EMAIL))]
    pub email: String,
    #[schemars(length(max = crate::limits::NAME))]
    pub full_name: String,
    pub employee_id: Option<Uuid>,
}

/// `user.suspended`: a security notice to the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UserSuspended {
    pub user_id: Uuid,
    #[schemars(length(max = crate::limits::EMAIL))]
    pub email: String,
    #[schemars(length(max = crate::limits::NAME))]
    pub full_name: String,
    pub employee_id: Option<Uuid>,
    #[schemars(length(max = crate::limits::REASON))]
    pub reason: String,
}

/// `user.password_changed`: a security notice to the user; no secret in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UserPasswordChanged {
    pub user_id: Uuid,
    #[schemars(length(max = crate::limits::EMAIL))]
    pub email: String,
    #[schemars(length(max = crate::limits::NAME))]
    pub full_name: String,
    pub employee_id: Option<Uuid>,
    pub changed_at: DateTime<Utc>,
}

fn key(user_id: &Uuid, employee_id: &Option<Uuid>) -> String {
    employee_id.unwrap_or(*user_id).to_string()
}

macro_rules! keyed_by_user {
    ($($t:ty),*) => {$(
        impl Keyed for $t {
            fn subject(&self) -> String { self.user_id.to_string() }
            fn partition_key(&self) -> String { key(&self.user_id, &self.employee_id) }
        }
    )*};
}
keyed_by_user!(UserSnapshot, UserCreated, UserUpdated, UserDeleted, UserSuspended, UserPasswordChanged);
