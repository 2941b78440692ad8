//! Timelines on SQLite: one row per employee (the timeline as JSON, with
//! its version), written with the check its change found and their events
//! in one transaction, if the stored version is still the one before.

use std::collections::HashMap;

use hrms_compliance::{StoreError, Timeline};
use hrms_events::HrmsEvent;
use hrms_events::compliance::ComplianceCheck;
use rusqlite::{ErrorCode, OptionalExtension, params};
use uuid::Uuid;

use super::{SqliteComplianceStore, insert_check};
use hrms_platform::store::StoreContext;

impl SqliteComplianceStore {
    /// The timelines of `employee_ids` in one read.
    pub(super) async fn read_timelines(
        &self,
        employee_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Timeline>, StoreError> {
        let ids = employee_ids.to_vec();
        let bodies = self
            .db
            .run(move |conn| {
                let mut select =
                    conn.prepare_cached("SELECT body FROM compliance_timeline WHERE employee_id = ?1")?;
                let mut bodies = Vec::new();
                for id in ids {
                    if let Some(body) =
                        select.query_row([id.to_string()], |r| r.get::<_, String>(0)).optional()?
                    {
                        bodies.push((id, body));
                    }
                }
                Ok(bodies)
            })
            .await
            .context("reading timelines")?;
        bodies
            .into_iter()
            .map(|(id, body)| {
                let timeline =
                    serde_json::from_str(&body).with_context(|| format!("unreadable timeline of {id}"))?;
                Ok((id, timeline))
            })
            .collect()
    }

    pub(super) async fn write_timeline(
        &self,
        timeline: &Timeline,
        check: Option<&ComplianceCheck>,
        events: &[HrmsEvent],
    ) -> Result<(), StoreError> {
        let body = json(timeline)?;
        let check = match check {
            Some(c) => Some((c.clone(), json(c)?)),
            None => None,
        };
        let (id, version) = (timeline.employee_id.to_string(), timeline.version as i64);
        let at = hrms_sqlite::outbox::now();
        let outcome = self
            .db
            .commit(events, move |tx| {
                let stale = || format!("the timeline of {id} changed since it was read");
                let written = if version == 1 {
                    tx.prepare_cached(
                        "INSERT INTO compliance_timeline (employee_id, version, body) VALUES (?1, ?2, ?3)",
                    )?
                    .execute(params![id, version, body])
                } else {
                    tx.prepare_cached(
                        "UPDATE compliance_timeline SET version = ?2, body = ?3
                         WHERE employee_id = ?1 AND version = ?2 - 1",
                    )?
                    .execute(params![id, version, body])
                };
                match written {
                    Ok(1) => {}
                    Ok(_) => return Ok(Err(stale())),
                    Err(e) if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => {
                        return Ok(Err(stale()));
                    }
                    Err(e) => return Err(e),
                }
                if let Some((check, body)) = &check {
                    insert_check(tx, check, body, &at)?;
                }
                Ok(Ok(()))
            })
            .await
            .context("writing a timeline")?;
        outcome.map_err(StoreError::Conflict)
    }
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    Ok(serde_json::to_string(value).context("encoding a compliance record")?)
}
