//! One suite of store tests, run against every implementation: the SQLite
//! stores (feature `sqlite`) and the DynamoDB stores on moto (feature
//! `dynamodb`, server from `$HRMS_TEST_MOTO`, see `tests/run`). A store
//! passes when a caller cannot tell it from the others.
//!
//! - [`employee`]: uniqueness of id and e-mail, versions, the e-mail moving.
//! - [`user`]: uniqueness of id and e-mail (deleted accounts included),
//!   finding by e-mail, versions, the e-mail moving, events in write order.
//! - [`compliance`]: checks recorded once, findings newest first and by
//!   time, timelines written on their version with the check they found.
//! - [`outbox`]: what the relay sees: write order, settling, dead letters.
//! - [`attendance`]: one open record per employee, versions, listings by
//!   check-in (a suite of its own, on a store of its own).
//! - [`audit`]: the audit log (a suite of its own, on a store of its own).
//! - [`leave`]: overlaps, versions of requests and balances, listings (a
//!   suite of its own, on a store of its own).
//! - [`notification`]: contacts, deliveries recorded once, due, inbox, dead
//!   letters and the events kept for them (a suite of its own, on a store
//!   of its own).
//!
//! Each suite function takes fresh [`Stores`]; [`conformance!`] makes one
//! test of it per implementation (`conformance::on_sqlite::<name>`,
//! `conformance::on_dynamodb::<name>`).

/// One `#[tokio::test]` per suite function and implementation, for a suite
/// whose module makes a store of its own with `on_sqlite()` and
/// `on_dynamodb().await` (defined before the modules, which use it).
macro_rules! suite {
    ($($test:ident),* $(,)?) => {
        #[cfg(feature = "sqlite")]
        mod on_sqlite {
            $(#[tokio::test] async fn $test() { super::$test(super::on_sqlite()).await; })*
        }
        #[cfg(feature = "dynamodb")]
        mod on_dynamodb {
            $(#[tokio::test] async fn $test() { super::$test(super::on_dynamodb().await).await; })*
        }
    };
}

mod attendance;
mod audit;
mod compliance;
pub(crate) mod employee;
mod leave;
mod notification;
mod outbox;
pub(crate) mod user;

#[cfg(feature = "dynamodb")]
mod dynamodb;
#[cfg(feature = "sqlite")]
mod sqlite;

use std::sync::Arc;

use futures::future::BoxFuture;
use hrms_compliance::ComplianceStore;
use hrms_employee::EmployeeStore;
use hrms_user::UserStore;
use uuid::Uuid;

use crate::outbox::OutboxStore;

/// Reads the dead letters of an outbox: (event id, reason), oldest first.
type DeadLetters = Box<dyn Fn() -> BoxFuture<'static, Vec<(Uuid, String)>> + Send + Sync>;

/// The stores of three services, empty, with their outboxes.
pub struct Stores {
    pub employee: Box<dyn EmployeeStore>,
    pub employee_outbox: Arc<dyn OutboxStore>,
    pub compliance: Box<dyn ComplianceStore>,
    pub compliance_outbox: Arc<dyn OutboxStore>,
    pub user: Box<dyn UserStore>,
    pub user_outbox: Arc<dyn OutboxStore>,
    employee_dead: DeadLetters,
    /// What must live as long as the stores (a temporary directory).
    _keep: Box<dyn std::any::Any + Send + Sync>,
}

impl Stores {
    /// The Employee outbox's dead letters.
    pub async fn employee_dead_letters(&self) -> Vec<(Uuid, String)> {
        (self.employee_dead)().await
    }
}

/// One `#[tokio::test]` per suite function and implementation.
macro_rules! conformance {
    ($($suite:ident),* $(,)?) => {
        #[cfg(feature = "sqlite")]
        mod on_sqlite {
            $(
                #[tokio::test]
                async fn $suite() {
                    super::$suite(super::sqlite::stores()).await;
                }
            )*
        }

        #[cfg(feature = "dynamodb")]
        mod on_dynamodb {
            $(
                #[tokio::test]
                async fn $suite() {
                    super::$suite(super::dynamodb::stores().await).await;
                }
            )*
        }
    };
}

use compliance::*;
use employee::*;
use outbox::*;
use user::*;

conformance!(
    an_employee_reads_back_as_written,
    a_taken_id_is_a_conflict,
    a_taken_email_is_a_conflict_whatever_its_case,
    an_update_needs_the_stored_version,
    a_changed_email_frees_the_old_one,
    checks_with_findings_are_listed_newest_first,
    a_check_is_recorded_once,
    findings_are_listed_within_a_time_range,
    a_timeline_is_written_on_its_version_with_its_check,
    the_outbox_gives_events_in_write_order,
    settled_events_leave_and_dead_ones_keep_their_reason,
    an_account_reads_back_as_written,
    a_taken_account_id_or_email_is_a_conflict,
    an_email_finds_its_account_whatever_its_case,
    an_account_update_needs_the_stored_version,
    a_changed_account_email_frees_the_old_one,
    a_deleted_account_keeps_its_email,
    account_events_are_queued_in_write_order,
);
