//! The facts a check is about, as the calling service knows them. Fields a
//! caller does not have are `None` or empty, and the required-field rules
//! say so.

use chrono::NaiveDate;
use hrms_events::Role;
use hrms_events::compliance::SubjectKind;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What is being checked: `{"user": {...}}` or `{"employee": {...}}`
/// (externally tagged, so that a bad field is reported with its path).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Subject {
    User(UserFacts),
    Employee(EmployeeFacts),
}

/// One of `{"user": UserFacts}` and `{"employee": EmployeeFacts}`, each
/// with no other member (a body with both is refused).
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Subject {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, OneOfBuilder, Type};
        let only = |name: &str, facts: &str| {
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property(name, utoipa::openapi::Ref::from_schema_name(facts))
                .required(name)
                .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        };
        OneOfBuilder::new()
            .item(only("user", "UserFacts"))
            .item(only("employee", "EmployeeFacts"))
            .description(Some("What is being checked: `{\"user\": {...}}` or `{\"employee\": {...}}`."))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Subject {
    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        use utoipa::PartialSchema;
        schemas.push(("UserFacts".into(), UserFacts::schema()));
        <UserFacts as utoipa::ToSchema>::schemas(schemas);
        schemas.push(("EmployeeFacts".into(), EmployeeFacts::schema()));
        <EmployeeFacts as utoipa::ToSchema>::schemas(schemas);
    }
}

/// A user account about to be created or changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserFacts {
    pub user_id: Uuid,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
    )]
    pub employee_id: Option<Uuid>,
}

/// An employee about to be created or changed. The date of birth is used
/// for the age rules and never leaves this function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmployeeFacts {
    pub employee_id: Uuid,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub department: String,
    pub job_title: String,
    pub country: String,
    pub date_of_birth: Option<NaiveDate>,
    pub hire_date: NaiveDate,
    pub weekly_hours: f64,
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
    )]
    pub manager_id: Option<Uuid>,
}

impl Subject {
    pub fn kind(&self) -> SubjectKind {
        match self {
            Subject::User(_) => SubjectKind::User,
            Subject::Employee(_) => SubjectKind::Employee,
        }
    }

    pub fn id(&self) -> Uuid {
        match self {
            Subject::User(u) => u.user_id,
            Subject::Employee(e) => e.employee_id,
        }
    }

    /// The employee the check concerns, if any.
    pub fn employee_id(&self) -> Option<Uuid> {
        match self {
            Subject::User(u) => u.employee_id,
            Subject::Employee(e) => Some(e.employee_id),
        }
    }

    /// The employee's manager, who hears of findings.
    pub fn manager_id(&self) -> Option<Uuid> {
        match self {
            Subject::User(_) => None,
            Subject::Employee(e) => e.manager_id,
        }
    }
}
