//! The Audit function: every `audit.*` event, kept once, in an append-only
//! log whose rows are hash-chained, so that an auditor can trust what it
//! reads; and each subject's history and state rebuilt from that log.
//!
//! # The chain
//! Rows are chained **per subject** (the entity an event is about: a user,
//! an employee, a leave request, ...). A subject's events all share one
//! partition key, so they reach the Audit function in order whatever the
//! transport, and one writer appends to a chain at a time.
//!
//! - Each row holds its event in [canonical form](entry::canonical) (the
//!   structured-mode CloudEvent as compact JSON with sorted keys), its place
//!   `seq` in the chain (1, 2, ...), the hash of the row before it
//!   (`prev_hash`; 64 zeros for the first) and its own hash:
//!   `hash = SHA-256(prev_hash || "\n" || event)`, in lower-case hex.
//! - A head per subject records the last `seq` and `hash`, written in the
//!   same transaction as the rows.
//!
//! [`verify`] reads every row of the log, a subject at a time
//! ([`AuditStore::every_chain`]: the rows stored with the subject, not only
//! those the chain's links lead to), and names each row that was altered (its
//! hash or its indexed columns no longer match its event), removed (a gap,
//! or a head beyond the last row), inserted (a row that no link leads to)
//! or reordered (a row whose predecessor is stored after it).
//!
//! What a chain cannot show: someone able to write the store who deletes a
//! subject's rows and its head together leaves no trace in the store
//! itself. [`verify::Report::digest`] digests every head; an auditor who
//! keeps the digests (or the heads) elsewhere detects that too.
//!
//! # Event sourcing
//! An audit event's `after` is the state the operation left, so the state of
//! a subject at any time is the `after` of its last event up to then
//! ([`history::state_at`]). The store keeps the current state of each
//! subject as a read model, updated with every append and rebuilt from the
//! log by [`history::replay`].

pub mod canonical;
pub mod entry;
pub mod fixtures;
pub mod history;
#[cfg(any(test, feature = "testing"))]
pub mod memory;
pub mod persist;
pub mod store;
pub mod verify;

pub use entry::{Entry, NewEntry};
pub use persist::{PersistError, persist};
pub use store::{Appended, AuditStore, Head, Order, Page, Part, Query, States, StoreError, SubjectState};
pub use verify::{Finding, Problem, Report};
