//! The longest text each kind of field may hold, in characters: the
//! functions refuse longer input (422 naming the field), the OpenAPI
//! document and the event schemas state them as `maxLength`. With every
//! text field at its maximum (4 bytes a character), an event stays far
//! below the broker's 1 MiB message and DynamoDB's 400 KB item.
//!
//! ```
//! use hrms_events::limits::{self, NAME};
//! assert_eq!(limits::too_long(&[("first_name", Some("Ada"), NAME)]), None);
//! let long = "é".repeat(NAME + 1);
//! let (field, why) = limits::too_long(&[("last_name", Some(long.as_str()), NAME)]).unwrap();
//! assert_eq!((field, why.as_str()), ("last_name", "last_name: at most 200 characters"));
//! ```

/// A person's name: first, last or full.
pub const NAME: usize = 200;
/// An e-mail address (RFC 5321's longest path).
pub const EMAIL: usize = 254;
/// A department, a job title or a leave type.
pub const LABEL: usize = 200;
/// An IANA time zone name.
pub const TIME_ZONE: usize = 64;
/// A country code (ISO 3166-1 alpha-2 or alpha-3).
pub const COUNTRY: usize = 3;
/// A reason or a note: for a correction, a suspension, a termination, a
/// rejection, a cancellation, a leave request.
pub const REASON: usize = 1000;

/// The first field whose value has more characters than its maximum, and
/// what it may hold ("at most N characters").
pub fn too_long(fields: &[(&'static str, Option<&str>, usize)]) -> Option<(&'static str, String)> {
    fields
        .iter()
        .find(|(_, value, max)| value.is_some_and(|v| v.chars().count() > *max))
        .map(|(name, _, max)| (*name, format!("{name}: at most {max} characters")))
}
