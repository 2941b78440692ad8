//! One connection of `hrms-bench mixed`: it acts for its own share of the
//! employees, one request at a time, so each answer is the one a user
//! would expect (a conflict only where the workload makes one), and records
//! the latency and status of each operation.
//!
//! Each employee's `k`-th leave request is annual leave, Monday to Friday
//! of ISO week 2, 12, 22, 32 or 42 of the year 2027 + k / 5: five a year
//! of at most five working days, so approvals stay within the allowance of
//! 25 days. An overlapping request runs from the Wednesday of the latest
//! week requested to the Tuesday after, while that request is pending or
//! approved; approvals and rejections take the connection's pending
//! requests oldest first, by the employee's manager. An employee checks in
//! and out in turn; a correction, by their manager, sets the check-out of
//! their latest record (open or closed) to the current whole second ("forgot
//! to check out") once that is after the record's check-in and check-out
//! (records keep whole seconds); it overlaps nothing, since nothing of
//! theirs came after that record.
//!
//! With [`Hr`], an admin hires (`POST /users`: an account with its employee
//! record under the next manager in turn, who joins the connection's staff)
//! and terminates one of the connection's employees, preferably one checked
//! in, never its last nor a manager (`POST /employees/{id}/terminate`,
//! today): the connection no longer acts for the person nor decides their
//! requests (Leave cancels those, Attendance closes the open record and
//! User suspends the account on the event).

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::body::Bytes;
use chrono::{DateTime, Datelike, NaiveDate, SubsecRound, Utc, Weekday};
use hrms_events::Role;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::people::{self, Employee, Hr, Person};

/// What the workload asks for, by proportion of the mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Request,
    Overlap,
    Approve,
    Reject,
    Attendance,
    Correct,
    Balance,
    Hire,
    Terminate,
}

/// The operations timed, each with the answer it should get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Request,
    Overlap,
    Approve,
    Reject,
    CheckIn,
    CheckOut,
    Correct,
    Balance,
    Hire,
    Terminate,
}

impl Op {
    pub const COUNT: usize = 10;
    /// In declaration order: `op as usize` indexes it.
    pub const ALL: [Op; Op::COUNT] = [
        Op::Request,
        Op::Overlap,
        Op::Approve,
        Op::Reject,
        Op::CheckIn,
        Op::CheckOut,
        Op::Correct,
        Op::Balance,
        Op::Hire,
        Op::Terminate,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Op::Request => "leave request",
            Op::Overlap => "overlapping",
            Op::Approve => "approval",
            Op::Reject => "rejection",
            Op::CheckIn => "check-in",
            Op::CheckOut => "check-out",
            Op::Correct => "correction",
            Op::Balance => "balance",
            Op::Hire => "hire",
            Op::Terminate => "termination",
        }
    }

    /// The status a user expects.
    pub fn expected(self) -> u16 {
        match self {
            Op::Request | Op::CheckIn | Op::Hire => 201,
            Op::Overlap => 409,
            Op::Approve | Op::Reject | Op::CheckOut | Op::Correct | Op::Balance | Op::Terminate => 200,
        }
    }
}

/// Latencies and answers (status -> count) per operation, in the order of
/// [`Op::ALL`].
#[derive(Default)]
pub struct Tally {
    pub latencies: [Vec<Duration>; Op::COUNT],
    pub answers: [BTreeMap<u16, usize>; Op::COUNT],
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

/// Where each function serves: its base URL.
#[derive(Clone)]
pub struct Urls {
    pub leave: String,
    pub attendance: String,
    pub employee: String,
    pub user: String,
}

impl Urls {
    /// Every function at `base` (`dev`).
    pub fn one(base: &str) -> Self {
        let base = base.to_owned();
        Self { leave: base.clone(), attendance: base.clone(), employee: base.clone(), user: base }
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
    /// That request while it is pending or approved: its id (an overlap of
    /// it is refused; of a rejected one it would not be).
    live: Option<Uuid>,
    checked_in: bool,
    /// The employee's latest attendance record as answered.
    record: Option<Marked>,
}

/// A request waiting for its employee's manager.
struct Pending {
    leave_id: Uuid,
    employee_id: Uuid,
    manager: usize,
}

pub struct Worker {
    client: reqwest::Client,
    urls: Urls,
    managers: Vec<Person>,
    staff: Vec<Staff>,
    pending: VecDeque<Pending>,
    next: usize,
    tally: Tally,
    /// Who hires and terminates (neither without it).
    hr: Option<Hr>,
    /// Hires so far: the next goes to manager `hired % managers`.
    hired: usize,
    /// When the operation under way was due (open loop): latency counts from it.
    due: Option<Instant>,
}

#[derive(Deserialize)]
struct Requested {
    leave_id: Uuid,
}

/// An attendance record as answered.
#[derive(Deserialize, Clone, Copy)]
struct Marked {
    record_id: Uuid,
    check_in: DateTime<Utc>,
    check_out: Option<DateTime<Utc>>,
}

impl Marked {
    /// Whether a check-out at `at` changes it: after its check-in and
    /// check-out.
    fn correctable(&self, at: DateTime<Utc>) -> bool {
        self.check_in < at && self.check_out.is_none_or(|out| out < at)
    }
}

impl Worker {
    pub fn new(client: reqwest::Client, urls: Urls, managers: Vec<Person>, employees: Vec<Employee>) -> Self {
        let staff = employees.into_iter().map(Staff::new).collect();
        let (pending, tally) = (VecDeque::new(), Tally::default());
        Self { client, urls, managers, staff, pending, next: 0, tally, hr: None, hired: 0, due: None }
    }

    /// Hires and terminates as `hr`.
    pub fn with_hr(mut self, hr: Hr) -> Self {
        self.hr = Some(hr);
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
    /// decide, overlap or correct yet, or nobody to hire or terminate.
    async fn step(&mut self, kind: Kind) -> anyhow::Result<()> {
        match kind {
            Kind::Overlap => {
                if let Some(s) = self.pick(|s| s.live.is_some()) {
                    return self.overlap(s).await;
                }
            }
            Kind::Approve | Kind::Reject => {
                if let Some(pending) = self.pending.pop_front() {
                    let op = if kind == Kind::Approve { Op::Approve } else { Op::Reject };
                    return self.decide(pending, op).await;
                }
            }
            Kind::Attendance => {
                if let Some(s) = self.pick(|_| true) {
                    return self.mark(s).await;
                }
            }
            Kind::Correct => {
                // Whole seconds, as records keep them: never after the function's now.
                let at = Utc::now().trunc_subsecs(0);
                if let Some(s) = self.pick(|s| s.record.is_some_and(|r| r.correctable(at))) {
                    return self.correct(s, at).await;
                }
            }
            Kind::Balance => {
                if let Some(s) = self.pick(|_| true) {
                    return self.balance(s).await;
                }
            }
            Kind::Hire => {
                if self.hr.is_some() && !self.managers.is_empty() {
                    return self.hire().await;
                }
            }
            Kind::Terminate => {
                // Preferably someone checked in, whose record Attendance then closes.
                if self.hr.is_some()
                    && self.staff.len() > 1
                    && let Some(s) = self.pick(|s| s.checked_in).or_else(|| self.pick(|_| true))
                {
                    return self.terminate(s).await;
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
        let request = self.client.post(format!("{}/leaves", self.urls.leave)).bearer_auth(token).json(&body);
        let (status, answer) = self.send(Op::Request, request).await?;
        let staff = &mut self.staff[s];
        staff.requests += 1;
        if status == 201 {
            let made: Requested = serde_json::from_slice(&answer).context("reading a leave request")?;
            staff.latest = Some(monday);
            staff.live = Some(made.leave_id);
            let (employee_id, manager) = (staff.employee.person.employee_id, staff.employee.manager);
            self.pending.push_back(Pending { leave_id: made.leave_id, employee_id, manager });
        }
        Ok(())
    }

    async fn overlap(&mut self, s: usize) -> anyhow::Result<()> {
        let Some(monday) = self.staff[s].latest else { return Ok(()) };
        let body = leave(monday + chrono::Days::new(2), monday + chrono::Days::new(8));
        let token = &self.staff[s].employee.person.token;
        let request = self.client.post(format!("{}/leaves", self.urls.leave)).bearer_auth(token).json(&body);
        self.send(Op::Overlap, request).await.map(drop)
    }

    /// Approves or rejects (`op`) a pending request as the employee's manager.
    async fn decide(&mut self, pending: Pending, op: Op) -> anyhow::Result<()> {
        let verb = if op == Op::Approve { "approve" } else { "reject" };
        let url = format!("{}/leaves/{}/{verb}", self.urls.leave, pending.leave_id);
        let mut request = self.client.post(url).bearer_auth(&self.managers[pending.manager].token);
        if op == Op::Reject {
            request = request.json(&json!({ "reason": "Too many of the team are away that week" }));
        }
        let (status, _) = self.send(op, request).await?;
        if op == Op::Reject && status == 200 {
            for staff in &mut self.staff {
                if staff.live == Some(pending.leave_id) {
                    staff.live = None;
                }
            }
        }
        Ok(())
    }

    async fn mark(&mut self, s: usize) -> anyhow::Result<()> {
        let (op, path) =
            if self.staff[s].checked_in { (Op::CheckOut, "check-out") } else { (Op::CheckIn, "check-in") };
        let token = &self.staff[s].employee.person.token;
        let request =
            self.client.post(format!("{}/attendance/{path}", self.urls.attendance)).bearer_auth(token);
        let answered = self.send(op, request).await;
        let staff = &mut self.staff[s];
        let (status, answer) = match answered {
            Ok(answered) => answered,
            Err(e) => {
                // Whether it was marked is unknown: correct nothing until an answer says.
                staff.record = None;
                return Err(e);
            }
        };
        // 409 says the other state holds: checked in already, or not checked in.
        if status < 300 || status == 409 {
            staff.checked_in = op == Op::CheckIn;
        }
        if status < 300 {
            let marked: Marked = serde_json::from_slice(&answer).context("reading an attendance record")?;
            staff.record = Some(marked);
        } else if op == Op::CheckIn {
            // An open record this connection did not see may exist.
            staff.record = None;
        }
        Ok(())
    }

    /// The employee's manager sets the check-out of their latest record to `at`.
    async fn correct(&mut self, s: usize, at: DateTime<Utc>) -> anyhow::Result<()> {
        let staff = &self.staff[s];
        let Some(record) = staff.record else { return Ok(()) };
        let reason = if staff.checked_in { "Forgot to check out" } else { "Left later than recorded" };
        let body = json!({ "check_out": at, "reason": reason });
        let token = &self.managers[staff.employee.manager].token;
        let url = format!("{}/attendance/{}", self.urls.attendance, record.record_id);
        let request = self.client.patch(url).bearer_auth(token).json(&body);
        let (status, _) = self.send(Op::Correct, request).await?;
        if status == 200 {
            let staff = &mut self.staff[s];
            staff.checked_in = false;
            staff.record = Some(Marked { check_out: Some(at), ..record });
        }
        Ok(())
    }

    async fn balance(&mut self, s: usize) -> anyhow::Result<()> {
        let staff = &self.staff[s];
        let year = staff.latest.map_or(2027, |monday| monday.year());
        let url =
            format!("{}/leave-balances/{}?year={year}", self.urls.leave, staff.employee.person.employee_id);
        let request = self.client.get(url).bearer_auth(&staff.employee.person.token);
        self.send(Op::Balance, request).await.map(drop)
    }

    /// An admin makes an account with its employee record under the next
    /// manager in turn; the person joins the connection's staff.
    async fn hire(&mut self) -> anyhow::Result<()> {
        let Some(hr) = self.hr.clone() else { return Ok(()) };
        let manager = self.hired % self.managers.len();
        self.hired += 1;
        let body = people::new_account(Role::Employee, Some(self.managers[manager].employee_id));
        let request =
            self.client.post(format!("{}/users", self.urls.user)).bearer_auth(&hr.admin).json(&body);
        let (status, answer) = self.send(Op::Hire, request).await?;
        if status == 201 {
            let created: people::Created =
                serde_json::from_slice(&answer).context("reading a new account")?;
            let person = hr.person(&created, Role::Employee)?;
            self.staff.push(Staff::new(Employee { person, manager }));
        }
        Ok(())
    }

    /// An admin ends the employment today; unless refused, the connection
    /// no longer acts for the person nor decides their requests.
    async fn terminate(&mut self, s: usize) -> anyhow::Result<()> {
        let Some(hr) = self.hr.clone() else { return Ok(()) };
        let employee_id = self.staff[s].employee.person.employee_id;
        let body =
            json!({ "termination_date": Utc::now().date_naive(), "reason": "Left for another company" });
        let url = format!("{}/employees/{employee_id}/terminate", self.urls.employee);
        let request = self.client.post(url).bearer_auth(&hr.admin).json(&body);
        // No answer: it may have ended, so the person is left alone either way.
        let status = self.send(Op::Terminate, request).await.map_or(0, |(status, _)| status);
        if status == 0 || status < 300 || status == 409 {
            self.staff.remove(s);
            self.pending.retain(|p| p.employee_id != employee_id);
            self.next = if self.staff.is_empty() { 0 } else { s % self.staff.len() };
        }
        Ok(())
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

impl Staff {
    fn new(employee: Employee) -> Self {
        Staff { employee, requests: 0, latest: None, live: None, checked_in: false, record: None }
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
    fn a_record_is_corrected_only_by_a_check_out_after_its_times() {
        let at = |s: i64| DateTime::from_timestamp(1_800_000_000 + s, 0).expect("a time");
        let open = Marked { record_id: Uuid::nil(), check_in: at(0), check_out: None };
        assert!(!open.correctable(at(0)), "a check-out comes after its check-in");
        assert!(open.correctable(at(1)));
        let closed = Marked { check_out: Some(at(5)), ..open };
        assert!(!closed.correctable(at(5)), "the same check-out changes nothing");
        assert!(closed.correctable(at(6)));
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
