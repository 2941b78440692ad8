//! One connection of `hrms-bench mixed`: it acts for its own share of the
//! employees, one request at a time, so each answer is the one a user
//! would expect (a conflict only where the workload makes one), and records
//! the latency and status of each operation.
//!
//! Each employee's `k`-th leave request is annual leave, Monday to Friday
//! of ISO week 2, 12, 22, 32 or 42 of the year 2027 + k / 5: five a year
//! of at most five working days, so approvals stay within the allowance of
//! 25 days. An overlapping request runs from the Wednesday of the latest
//! week requested to the Tuesday after; approvals take the connection's
//! pending requests oldest first, by the employee's manager. An employee
//! checks in and out in turn.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::body::Bytes;
use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::people::{Employee, Person};

/// What the workload asks for, by proportion of the mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Request,
    Overlap,
    Approve,
    Attendance,
    Balance,
}

/// The operations timed, each with the answer it should get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Request,
    Overlap,
    Approve,
    CheckIn,
    CheckOut,
    Balance,
}

impl Op {
    pub const ALL: [Op; 6] = [Op::Request, Op::Overlap, Op::Approve, Op::CheckIn, Op::CheckOut, Op::Balance];

    pub fn name(self) -> &'static str {
        match self {
            Op::Request => "leave request",
            Op::Overlap => "overlapping",
            Op::Approve => "approval",
            Op::CheckIn => "check-in",
            Op::CheckOut => "check-out",
            Op::Balance => "balance",
        }
    }

    /// The status a user expects.
    pub fn expected(self) -> u16 {
        match self {
            Op::Request | Op::CheckIn => 201,
            Op::Overlap => 409,
            Op::Approve | Op::CheckOut | Op::Balance => 200,
        }
    }
}

/// Latencies and answers (status -> count) per operation, in the order of
/// [`Op::ALL`].
#[derive(Default)]
pub struct Tally {
    pub latencies: [Vec<Duration>; 6],
    pub answers: [BTreeMap<u16, usize>; 6],
}

impl Tally {
    fn record(&mut self, op: Op, status: u16, latency: Duration) {
        let i = op as usize;
        self.latencies[i].push(latency);
        *self.answers[i].entry(status).or_default() += 1;
    }

    pub fn merge(&mut self, other: Tally) {
        for (mine, theirs) in self.latencies.iter_mut().zip(other.latencies) {
            mine.extend(theirs);
        }
        for (mine, theirs) in self.answers.iter_mut().zip(other.answers) {
            for (status, n) in theirs {
                *mine.entry(status).or_default() += n;
            }
        }
    }
}

/// The kinds of a mix in a fixed, interleaved order of `Σ weights` steps
/// (smooth weighted round robin).
pub fn schedule(weights: &[(Kind, u32)]) -> Vec<Kind> {
    let total: i64 = weights.iter().map(|(_, w)| i64::from(*w)).sum();
    let mut current = vec![0i64; weights.len()];
    (0..total)
        .filter_map(|_| {
            for (c, (_, w)) in current.iter_mut().zip(weights) {
                *c += i64::from(*w);
            }
            let (best, _) = current.iter().enumerate().max_by_key(|(i, c)| (**c, -(*i as i64)))?;
            current[best] -= total;
            Some(weights[best].0)
        })
        .collect()
}

/// An employee as one connection knows them.
struct Staff {
    employee: Employee,
    /// Leave requests made so far.
    requests: u32,
    /// The Monday of the latest week requested and granted a 201.
    latest: Option<NaiveDate>,
    checked_in: bool,
}

pub struct Worker {
    client: reqwest::Client,
    base: String,
    managers: Vec<Person>,
    staff: Vec<Staff>,
    /// Requests waiting for their manager: the leave id, the manager.
    pending: VecDeque<(Uuid, usize)>,
    next: usize,
    tally: Tally,
    /// Where attendance is marked (`base` unless the function is apart).
    attendance: String,
    /// When the operation under way was due (open loop): latency counts from it.
    due: Option<Instant>,
}

#[derive(Deserialize)]
struct Requested {
    leave_id: Uuid,
}

impl Worker {
    pub fn new(
        client: reqwest::Client,
        base: String,
        managers: Vec<Person>,
        employees: Vec<Employee>,
    ) -> Self {
        let staff = employees
            .into_iter()
            .map(|employee| Staff { employee, requests: 0, latest: None, checked_in: false })
            .collect();
        let attendance = base.clone();
        let (pending, tally) = (VecDeque::new(), Tally::default());
        Self { client, base, managers, staff, pending, next: 0, tally, attendance, due: None }
    }

    /// Marks attendance at `base` (the Attendance function apart).
    pub fn with_attendance(mut self, base: String) -> Self {
        self.attendance = base;
        self
    }

    /// One operation of `kind` that was due at `due`: its latency counts
    /// from then (queueing included); no answer is recorded as status 0.
    pub async fn step_due(&mut self, kind: Kind, due: Instant) {
        self.due = Some(due);
        let _ = self.step(kind).await;
        self.due = None;
    }

    /// What was recorded so far.
    pub fn into_tally(self) -> Tally {
        self.tally
    }

    /// Steps through `schedule` from `offset` until `until`.
    pub async fn run(mut self, schedule: &[Kind], offset: usize, until: Instant) -> anyhow::Result<Tally> {
        for kind in schedule.iter().cycle().skip(offset) {
            if Instant::now() >= until {
                break;
            }
            self.step(*kind).await?;
        }
        Ok(self.tally)
    }

    /// One operation of `kind`; a new request when there is nothing to
    /// approve or overlap yet.
    async fn step(&mut self, kind: Kind) -> anyhow::Result<()> {
        match kind {
            Kind::Overlap => {
                if let Some(s) = self.pick(|s| s.latest.is_some()) {
                    return self.overlap(s).await;
                }
            }
            Kind::Approve => {
                if let Some(pending) = self.pending.pop_front() {
                    return self.approve(pending).await;
                }
            }
            Kind::Attendance => {
                if let Some(s) = self.pick(|_| true) {
                    return self.mark(s).await;
                }
            }
            Kind::Balance => {
                if let Some(s) = self.pick(|_| true) {
                    return self.balance(s).await;
                }
            }
            Kind::Request => {}
        }
        match self.pick(|_| true) {
            Some(s) => self.request(s).await,
            None => Ok(()),
        }
    }

    /// The next of the connection's employees, in turn, that `fits`.
    fn pick(&mut self, fits: impl Fn(&Staff) -> bool) -> Option<usize> {
        let n = self.staff.len();
        let found = (0..n).map(|i| (self.next + i) % n).find(|&i| fits(&self.staff[i]))?;
        self.next = (found + 1) % n;
        Some(found)
    }

    async fn request(&mut self, s: usize) -> anyhow::Result<()> {
        let (k, token) = (self.staff[s].requests, self.staff[s].employee.person.token.clone());
        let monday = week(k)?;
        let body = leave(monday, monday + chrono::Days::new(4));
        let request = self.client.post(format!("{}/leaves", self.base)).bearer_auth(token).json(&body);
        let (status, answer) = self.send(Op::Request, request).await?;
        let staff = &mut self.staff[s];
        staff.requests += 1;
        if status == 201 {
            staff.latest = Some(monday);
            let made: Requested = serde_json::from_slice(&answer).context("reading a leave request")?;
            self.pending.push_back((made.leave_id, staff.employee.manager));
        }
        Ok(())
    }

    async fn overlap(&mut self, s: usize) -> anyhow::Result<()> {
        let Some(monday) = self.staff[s].latest else { return Ok(()) };
        let body = leave(monday + chrono::Days::new(2), monday + chrono::Days::new(8));
        let token = &self.staff[s].employee.person.token;
        let request = self.client.post(format!("{}/leaves", self.base)).bearer_auth(token).json(&body);
        self.send(Op::Overlap, request).await.map(drop)
    }

    async fn approve(&mut self, (leave_id, manager): (Uuid, usize)) -> anyhow::Result<()> {
        let url = format!("{}/leaves/{leave_id}/approve", self.base);
        let request = self.client.post(url).bearer_auth(&self.managers[manager].token);
        self.send(Op::Approve, request).await.map(drop)
    }

    async fn mark(&mut self, s: usize) -> anyhow::Result<()> {
        let (op, path) =
            if self.staff[s].checked_in { (Op::CheckOut, "check-out") } else { (Op::CheckIn, "check-in") };
        let token = &self.staff[s].employee.person.token;
        let request = self.client.post(format!("{}/attendance/{path}", self.attendance)).bearer_auth(token);
        let (status, _) = self.send(op, request).await?;
        // 409 says the other state holds: checked in already, or not checked in.
        if status < 300 || status == 409 {
            self.staff[s].checked_in = op == Op::CheckIn;
        }
        Ok(())
    }

    async fn balance(&mut self, s: usize) -> anyhow::Result<()> {
        let staff = &self.staff[s];
        let year = staff.latest.map_or(2027, |monday| monday.year());
        let url = format!("{}/leave-balances/{}?year={year}", self.base, staff.employee.person.employee_id);
        let request = self.client.get(url).bearer_auth(&staff.employee.person.token);
        self.send(Op::Balance, request).await.map(drop)
    }

    /// Sends `request`, records its status and latency (the answer read
    /// whole); an error only when no answer came.
    async fn send(&mut self, op: Op, request: reqwest::RequestBuilder) -> anyhow::Result<(u16, Bytes)> {
        let sent = self.due.take().unwrap_or_else(Instant::now);
        let answered = async {
            let response = request.send().await.with_context(|| format!("sending a {}", op.name()))?;
            let status = response.status().as_u16();
            let answer =
                response.bytes().await.with_context(|| format!("reading the answer to a {}", op.name()))?;
            Ok::<_, anyhow::Error>((status, answer))
        }
        .await;
        let (status, answer) = answered.inspect_err(|_| self.tally.record(op, 0, sent.elapsed()))?;
        self.tally.record(op, status, sent.elapsed());
        Ok((status, answer))
    }
}

/// The body of a request for annual leave.
pub fn leave(start: NaiveDate, end: NaiveDate) -> serde_json::Value {
    json!({ "leave_type": "annual", "start_date": start, "end_date": end, "reason": "Time off" })
}

/// The Monday of an employee's `k`-th request (see the module doc).
fn week(k: u32) -> anyhow::Result<NaiveDate> {
    let year = i32::try_from(2027 + k / 5).context("out of years")?;
    NaiveDate::from_isoywd_opt(year, 2 + 10 * (k % 5), Weekday::Mon).context("out of years")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_interleaves_the_mix_in_proportion() {
        let mix = [(Kind::Request, 3), (Kind::Approve, 1), (Kind::Attendance, 2), (Kind::Balance, 0)];
        let order = schedule(&mix);
        assert_eq!(order.len(), 6);
        for (kind, weight) in mix {
            assert_eq!(order.iter().filter(|k| **k == kind).count(), weight as usize, "{kind:?}");
        }
        assert_ne!(order[0], order[1], "interleaved, not in runs: {order:?}");
    }

    #[test]
    fn an_employees_weeks_are_five_a_year_of_five_working_days_at_most() {
        let mondays: Vec<NaiveDate> = (0..10).map(|k| week(k).expect("a week")).collect();
        assert!(mondays.iter().all(|m| m.weekday() == Weekday::Mon));
        assert_eq!(mondays.iter().filter(|m| m.year() == 2027).count(), 5);
        assert_eq!(mondays.iter().filter(|m| m.year() == 2028).count(), 5);
        assert!(mondays.windows(2).all(|w| w[0] < w[1]), "{mondays:?}");
        // The overlapping request (Wednesday to the Tuesday after) stays in the year.
        assert!(mondays.iter().all(|m| (*m + chrono::Days::new(8)).year() == m.year()));
    }
}
