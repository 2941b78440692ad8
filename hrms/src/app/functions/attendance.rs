//! The Attendance function in a process: its store and relay, its routes
//! and commands, and its consumer of `notification-queue` (group
//! `attendance-service`), which closes a terminated employee's open
//! record. It calls Employee (in-process or over HTTP).

use std::sync::Arc;

use anyhow::Context as _;
use hrms_attendance_adapters::consumer::AttendanceHandler;
use hrms_attendance_adapters::http::{self, AttendanceDeps};
use hrms_http::Api;

use super::{Callees, Context, Hosted};
use crate::app::consumers;

/// Adds the Attendance function to `hosted`.
pub fn host(hosted: &mut Hosted, cx: &mut Context<'_>, callees: &Callees) -> anyhow::Result<()> {
    let employees = callees.employees.clone().context("Attendance calls Employee")?;
    let backend = cx.backend;
    let (store, probe) = backend.attendance(&mut |outbox| cx.relay(outbox))?;
    hosted.probes.push(("attendance", probe));
    hosted.serve(Api::new(cx.auth.clone(), AttendanceDeps { store: store.clone(), employees }));
    hosted.commands.extend_from_slice(http::COMMANDS);
    hosted.consumers.push(consumers::of("attendance").consumer(Arc::new(AttendanceHandler { store })));
    Ok(())
}
