//! `GET /users` on DynamoDB: a global secondary index per access pattern
//! ([`LAYOUT`]), keyed on attributes only account records carry
//! ([`indexed`]). A listing reads the index of its most selective filter
//! (employee, e-mail, name, role, status, else every account) and applies
//! the other filters to what it reads.

use hrms_dynamodb::versioned::list::{IndexQuery, ListError, SortRange};
use hrms_dynamodb::{Index, Layout};
use hrms_user::listing::{UserPage, UserQuery};
use hrms_user::{StoreError, User};
use serde::Serialize;

use super::DynamoUserStore;

/// The user table's indexes: by the filter's key, sorted by the account id
/// (or by name or e-mail, for their prefixes).
pub const LAYOUT: Layout =
    Layout { local: &[], global: &[ALL, BY_STATUS, BY_ROLE, BY_NAME, BY_EMAIL, BY_EMPLOYEE] };

const ALL: Index = Index { name: "users", partition: ENTITY, sort: LIST_KEY };
const BY_STATUS: Index = Index { name: "by_status", partition: "status", sort: LIST_KEY };
const BY_ROLE: Index = Index { name: "by_role", partition: "role", sort: LIST_KEY };
const BY_NAME: Index = Index { name: "by_name", partition: ENTITY, sort: "name_key" };
const BY_EMAIL: Index = Index { name: "by_email", partition: ENTITY, sort: "email" };
/// Sparse: only accounts linked to an employee record carry `employee_key`.
const BY_EMPLOYEE: Index = Index { name: "by_employee", partition: EMPLOYEE_KEY, sort: LIST_KEY };

/// `USER` on every account: the partition of the indexes over everyone.
const ENTITY: &str = "entity";
/// The account id.
const LIST_KEY: &str = "list_key";
/// The linked employee's id.
const EMPLOYEE_KEY: &str = "employee_key";

fn text(value: impl Serialize) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The attributes of an account's record item that key the indexes
/// (`email`, lower-cased, is the record's already).
pub(super) fn indexed(u: &User) -> Vec<(&'static str, String)> {
    let mut keys = vec![
        (ENTITY, "USER".to_owned()),
        (LIST_KEY, u.user_id.to_string()),
        ("status", text(u.status)),
        ("role", text(u.role)),
        ("name_key", format!("{}#{}", u.full_name.to_lowercase(), u.user_id)),
    ];
    keys.extend(u.employee_id.map(|id| (EMPLOYEE_KEY, id.to_string())));
    keys
}

/// The index `query` reads, its partition and its range.
fn plan(query: &UserQuery) -> (&'static Index, String, SortRange) {
    let f = &query.filter;
    let everyone = || "USER".to_owned();
    if let Some(employee) = f.employee_id {
        (&BY_EMPLOYEE, employee.to_string(), SortRange::All)
    } else if let Some(email) = &f.email {
        (&BY_EMAIL, everyone(), SortRange::Prefix(email.to_lowercase()))
    } else if let Some(name) = &f.name {
        (&BY_NAME, everyone(), SortRange::Prefix(name.to_lowercase()))
    } else if let Some(role) = f.role {
        (&BY_ROLE, text(role), SortRange::All)
    } else if let Some(status) = f.status {
        (&BY_STATUS, text(status), SortRange::All)
    } else {
        (&ALL, everyone(), SortRange::All)
    }
}

impl DynamoUserStore {
    pub(super) async fn list_users(&self, query: &UserQuery) -> Result<UserPage, StoreError> {
        let (index, partition, range) = plan(query);
        let passes = |json: &str| serde_json::from_str::<User>(json).is_ok_and(|u| query.filter.matches(&u));
        let listing =
            IndexQuery { index, partition, range, cursor: query.cursor.as_deref(), limit: query.limit };
        let page = self.records.list(listing, passes).await.map_err(|e| match e {
            ListError::InvalidCursor => StoreError::InvalidCursor(e.to_string()),
            ListError::Failed(failure) => failure.into(),
        })?;
        // Where, not what: serde's message may quote a value of the record.
        let users = page
            .records
            .iter()
            .map(|json| serde_json::from_str(json))
            .collect::<Result<Vec<User>, _>>()
            .map_err(|e| {
                StoreError::Unavailable(format!("unreadable account ({:?})", e.classify()).into())
            })?;
        Ok(UserPage { users, next_cursor: page.next_cursor })
    }
}
