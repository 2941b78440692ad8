//! Listing accounts: the filters admin and hr use, and pages followed by a
//! cursor.

use hrms_events::Role;
use hrms_events::user::UserStatus;
use uuid::Uuid;

use crate::model::User;

/// Which accounts a listing selects: every filter given must match. Text
/// is compared case-insensitively.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserFilter {
    pub status: Option<UserStatus>,
    pub role: Option<Role>,
    /// The start of the full name.
    pub name: Option<String>,
    /// The start of the e-mail address.
    pub email: Option<String>,
    /// Linked to this employee record (how a termination finds the accounts).
    pub employee_id: Option<Uuid>,
}

impl UserFilter {
    /// Whether `u` passes every filter.
    pub fn matches(&self, u: &User) -> bool {
        let starts = |text: &str, prefix: &Option<String>| {
            prefix.as_ref().is_none_or(|p| text.to_lowercase().starts_with(&p.to_lowercase()))
        };
        self.status.is_none_or(|s| s == u.status)
            && self.role.is_none_or(|r| r == u.role)
            && starts(&u.full_name, &self.name)
            && starts(&u.email, &self.email)
            && self.employee_id.is_none_or(|e| u.employee_id == Some(e))
    }
}

/// A listing: its filter, where the previous page ended, and the page size.
#[derive(Debug, Clone, PartialEq)]
pub struct UserQuery {
    pub filter: UserFilter,
    /// The `next_cursor` of the page before, as the store gave it.
    pub cursor: Option<String>,
    /// At most this many accounts (at least 1).
    pub limit: usize,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct UserPage {
    pub users: Vec<User>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// The largest page, and the page when no limit is given.
pub const MAX_LIMIT: usize = 200;
pub const DEFAULT_LIMIT: usize = 50;
