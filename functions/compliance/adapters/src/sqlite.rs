//! The Compliance store on SQLite (`<data dir>/compliance.db`): every check,
//! with its events in the outbox, in one transaction; and each employee's
//! timeline, written with the check its change found ([`timeline`]).

use std::collections::HashMap;

use futures::future::BoxFuture;
use hrms_compliance::{ComplianceStore, FindingsQuery, Notice, StoreError, Timeline};
use hrms_events::HrmsEvent;
use hrms_events::compliance::{ComplianceCheck, Outcome};
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use hrms_platform::store::StoreContext;
use hrms_sqlite::{Database, Store};

mod timeline;

const MIGRATIONS: &[&str] = &[
    "CREATE TABLE compliance_check (
        check_id TEXT PRIMARY KEY,
        employee_id TEXT,
        outcome TEXT NOT NULL,
        has_findings INTEGER NOT NULL,
        body TEXT NOT NULL,
        recorded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE INDEX compliance_check_employee ON compliance_check (employee_id, has_findings);",
    "CREATE TABLE compliance_timeline (
        employee_id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        body TEXT NOT NULL
    );",
    // Listings read only checks with findings, newest first: index just
    // those (most checks allow without one, and index nothing now).
    "DROP INDEX compliance_check_employee;
    CREATE INDEX compliance_findings ON compliance_check (check_id) WHERE has_findings = 1;
    CREATE INDEX compliance_findings_of ON compliance_check (employee_id, check_id) WHERE has_findings = 1;",
    // The check of each validation notice (`hrms_compliance::Notice`), newest.
    "CREATE TABLE compliance_notice (
        notice_key TEXT PRIMARY KEY,
        check_id TEXT NOT NULL
    );",
];

/// Checks with findings in a time range (`?2`, `?3`: check ids, UUIDv7,
/// whose text sorts by time), newest first, at most `?1`; of everyone, or
/// of the employee `?4` ([`FINDINGS_OF`]).
const FINDINGS: &str = "SELECT body FROM compliance_check
    WHERE has_findings = 1 AND (?2 IS NULL OR check_id >= ?2) AND (?3 IS NULL OR check_id < ?3)
    ORDER BY check_id DESC LIMIT ?1";
const FINDINGS_OF: &str = "SELECT body FROM compliance_check
    WHERE has_findings = 1 AND employee_id = ?4
      AND (?2 IS NULL OR check_id >= ?2) AND (?3 IS NULL OR check_id < ?3)
    ORDER BY check_id DESC LIMIT ?1";

/// Checks and their events in the service's database.
#[derive(Clone)]
pub struct SqliteComplianceStore {
    db: Database,
}

impl Store for SqliteComplianceStore {
    const NAME: &'static str = "compliance";
    const MIGRATIONS: &'static [&'static str] = MIGRATIONS;
    type Error = StoreError;

    fn from_database(db: Database) -> Self {
        Self { db }
    }

    fn database(&self) -> &Database {
        &self.db
    }
}

impl ComplianceStore for SqliteComplianceStore {
    fn record<'a>(
        &'a self,
        check: &'a ComplianceCheck,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let check = check.clone();
        Box::pin(async move {
            let body = serde_json::to_string(&check).context("encoding a check")?;
            let at = hrms_sqlite::outbox::now();
            let Ok(()) = self
                .db
                .commit(events, move |tx| {
                    insert_check(tx, &check, &body, &at)?;
                    Ok(Ok::<(), std::convert::Infallible>(()))
                })
                .await
                .context("recording a check")?;
            Ok(())
        })
    }

    fn record_notice<'a>(
        &'a self,
        check: &'a ComplianceCheck,
        events: &'a [HrmsEvent],
        notice: &'a Notice,
    ) -> BoxFuture<'a, Result<Option<ComplianceCheck>, StoreError>> {
        let check = check.clone();
        let (key, since) = (notice.key.clone(), notice.since.to_string());
        Box::pin(async move {
            let body = serde_json::to_string(&check).context("encoding a check")?;
            let at = hrms_sqlite::outbox::now();
            let written = self
                .db
                .commit(events, move |tx| {
                    let earlier: Option<String> = tx
                        .prepare_cached(
                            "SELECT c.body FROM compliance_notice n JOIN compliance_check c USING (check_id)
                             WHERE n.notice_key = ?1 AND n.check_id >= ?2",
                        )?
                        .query_row(params![key, since], |r| r.get(0))
                        .optional()?;
                    if let Some(earlier) = earlier {
                        return Ok(Err(earlier));
                    }
                    insert_check(tx, &check, &body, &at)?;
                    tx.prepare_cached(
                        "INSERT INTO compliance_notice (notice_key, check_id) VALUES (?1, ?2)
                         ON CONFLICT (notice_key) DO UPDATE SET check_id = excluded.check_id",
                    )?
                    .execute(params![key, check.check_id.to_string()])?;
                    Ok(Ok(()))
                })
                .await
                .context("recording a notice")?;
            match written {
                Ok(()) => Ok(None),
                Err(earlier) => Ok(Some(serde_json::from_str(&earlier).context("unreadable check")?)),
            }
        })
    }

    fn findings<'a>(
        &'a self,
        query: &'a FindingsQuery,
    ) -> BoxFuture<'a, Result<Vec<ComplianceCheck>, StoreError>> {
        let (employee, limit) = (query.employee_id.map(|id| id.to_string()), query.limit as i64);
        let (from, to) = query.id_range();
        let (from, to) = (from.map(|id| id.to_string()), to.map(|id| id.to_string()));
        Box::pin(async move {
            let bodies = self
                .db
                .run(move |conn| {
                    let body = |r: &rusqlite::Row<'_>| r.get::<_, String>(0);
                    match employee {
                        Some(employee) => conn
                            .prepare_cached(FINDINGS_OF)?
                            .query_map(params![limit, from, to, employee], body)?
                            .collect::<rusqlite::Result<Vec<String>>>(),
                        None => conn
                            .prepare_cached(FINDINGS)?
                            .query_map(params![limit, from, to], body)?
                            .collect::<rusqlite::Result<Vec<String>>>(),
                    }
                })
                .await
                .context("reading findings")?;
            bodies.iter().map(|b| Ok(serde_json::from_str(b).context("unreadable check")?)).collect()
        })
    }

    fn timeline(&self, employee_id: Uuid) -> BoxFuture<'_, Result<Option<Timeline>, StoreError>> {
        Box::pin(async move { Ok(self.read_timelines(&[employee_id]).await?.remove(&employee_id)) })
    }

    fn timelines<'a>(
        &'a self,
        employee_ids: &'a [Uuid],
    ) -> BoxFuture<'a, Result<HashMap<Uuid, Timeline>, StoreError>> {
        Box::pin(self.read_timelines(employee_ids))
    }

    fn save_timeline<'a>(
        &'a self,
        timeline: &'a Timeline,
        check: Option<&'a ComplianceCheck>,
        events: &'a [HrmsEvent],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.write_timeline(timeline, check, events))
    }
}

/// Inserts `check` (its JSON `body`) within the caller's transaction.
/// Records `check` (as `body`, JSON) at `at`.
fn insert_check(
    tx: &rusqlite::Connection,
    check: &ComplianceCheck,
    body: &str,
    at: &str,
) -> rusqlite::Result<()> {
    let outcome = match check.outcome {
        Outcome::Allowed => "allowed",
        Outcome::Refused => "refused",
    };
    tx.prepare_cached(
        "INSERT INTO compliance_check (check_id, employee_id, outcome, has_findings, body, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        check.check_id.to_string(),
        check.employee_id.map(|id| id.to_string()),
        outcome,
        !check.findings.is_empty(),
        body,
        at,
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hrms_compliance::commands::Context;
    use hrms_compliance::commands::validate::{Validate, handle};
    use hrms_compliance::{EmployeeFacts, Policy, Subject, fixtures};
    use hrms_platform::outbox::OutboxStore;
    use hrms_sqlite::outbox::SqliteOutbox;
    use uuid::Uuid;

    fn employee(weekly_hours: f64) -> Validate {
        let facts = EmployeeFacts { weekly_hours, manager_id: None, ..fixtures::employee() };
        Validate { subject: Subject::Employee(facts), actor: fixtures::hr() }
    }

    #[tokio::test]
    async fn a_check_and_its_events_are_kept_together() {
        let dir = std::env::temp_dir().join(format!("hrms-compliance-{}", Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("compliance.db");
        let store = SqliteComplianceStore::open(&path).expect("store");
        let policy = Policy::default();

        let ctx = Context { policy: &policy, store: &store };
        let refused = handle(employee(60.0), &ctx).await.expect("recorded");
        let allowed = handle(employee(37.5), &ctx).await.expect("recorded");
        let found = store.findings(&FindingsQuery::newest(10)).await.expect("listed");
        assert_eq!(found, vec![refused.check.clone()], "only checks with findings");
        let mine = FindingsQuery { employee_id: allowed.check.employee_id, ..FindingsQuery::newest(10) };
        assert!(store.findings(&mine).await.expect("listed").is_empty());

        let outbox = SqliteOutbox::open(&path).expect("outbox");
        let pending: Vec<_> =
            outbox.pending(10).await.expect("pending").entries.into_iter().map(|e| e.event).collect();
        let want: Vec<_> = refused.events.iter().chain(&allowed.events).cloned().collect();
        assert_eq!(pending, want, "every event of every recorded check, in order");

        // The same check again is a failed write: nothing more is queued.
        assert!(store.record(&refused.check, &refused.events).await.is_err());
        assert_eq!(outbox.backlog().await.expect("backlog"), want.len() as u64);

        // Reopening applies no migration twice.
        drop(store);
        assert!(SqliteComplianceStore::open(&path).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn checks_recorded_before_the_findings_indexes_are_listed_after_the_migration() {
        let dir = hrms_http::testing::temp_dir("compliance-v2");
        let path = dir.join("compliance.db");
        let policy = Policy::default();
        let (refused, allowed) = (
            hrms_compliance::commands::validate::decide(employee(60.0), &policy),
            hrms_compliance::commands::validate::decide(employee(37.5), &policy),
        );
        {
            let version_2 = Database::open(&path, &MIGRATIONS[..2]).expect("version 2");
            for check in [refused.check.clone(), allowed.check.clone()] {
                let body = serde_json::to_string(&check).expect("json");
                version_2
                    .apply(move |tx| insert_check(tx, &check, &body, "2026-11-01T00:00:00.000Z"))
                    .await
                    .expect("kept");
            }
        }
        let store = SqliteComplianceStore::open(&path).expect("migrated");
        assert_eq!(
            store.findings(&FindingsQuery::newest(10)).await.expect("listed"),
            vec![refused.check.clone()]
        );
        let theirs = FindingsQuery { employee_id: refused.check.employee_id, ..FindingsQuery::newest(10) };
        assert_eq!(store.findings(&theirs).await.expect("listed"), vec![refused.check]);
    }

    #[test]
    fn listings_read_the_checks_with_findings_through_their_indexes_not_every_check() {
        let dir = hrms_http::testing::temp_dir("compliance-plan");
        let _store = SqliteComplianceStore::open(dir.join("compliance.db")).expect("store");
        let conn = hrms_sqlite::outbox::connect(dir.join("compliance.db")).expect("db");
        let none = None::<String>;
        let plan = |sql: &str, params: &[&dyn rusqlite::ToSql]| -> String {
            conn.query_row(&format!("EXPLAIN QUERY PLAN {sql}"), params, |r| r.get(3)).expect("plan")
        };
        let everyone = plan(FINDINGS, params![10, none, none]);
        assert!(everyone.ends_with("USING INDEX compliance_findings"), "{everyone}");
        let one = plan(FINDINGS_OF, params![10, none, none, "01a21c23-a037-7499-94b6-8807ad56c159"]);
        assert!(one.contains("USING INDEX compliance_findings_of (employee_id=?)"), "{one}");
    }
}
