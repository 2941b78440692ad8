//! What Compliance keeps of one employee to judge them over time, learnt
//! from the events on `notification-queue` alone (no call to another
//! function): their manager and contracted weekly hours (`employee.*`),
//! their shifts
//! (`attendance.marked`, `attendance.updated`), their approved leave
//! (`leave.approved`, `leave.cancelled`), and the findings already
//! reported, so that each is reported once.
//!
//! Learning is idempotent: applying an event again, or an event older than
//! what a shift or leave already reflects, changes nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use hrms_events::attendance::Mark;
use hrms_events::{HrmsEvent, Payload};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One employee's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    pub employee_id: Uuid,
    /// The employee id of their manager, as the last `employee.*` event said.
    pub manager_id: Option<Uuid>,
    /// Contracted hours per week, as the last `employee.created` or
    /// `employee.updated` carrying them said (unknown before).
    #[serde(default)]
    pub weekly_hours: Option<f64>,
    /// Attendance records by id.
    pub shifts: BTreeMap<Uuid, Shift>,
    /// Approved leave by id.
    pub leaves: BTreeMap<Uuid, LeaveSpan>,
    /// Keys of the findings reported, with the date each concerns.
    pub reported: BTreeMap<String, NaiveDate>,
    /// 0 until first stored; one more with every write.
    pub version: u64,
}

/// One attendance record as Compliance sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shift {
    pub check_in: DateTime<Utc>,
    /// `None` while the person is checked in.
    pub check_out: Option<DateTime<Utc>>,
    /// The employee's IANA time zone when they checked in.
    pub time_zone: String,
    /// The time of the event that set it.
    pub as_of: DateTime<Utc>,
}

/// An approved leave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeaveSpan {
    pub leave_type: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub as_of: DateTime<Utc>,
}

/// What an event was about, once learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Learnt {
    /// The manager or the contracted hours changed: nothing to evaluate.
    Manager,
    /// This attendance record changed.
    Shift(Uuid),
    /// This leave was approved.
    Leave(Uuid),
    /// This leave was cancelled.
    LeaveGone(Uuid),
}

/// The employee an event is about, if Compliance learns from it.
pub fn employee_of(event: &HrmsEvent) -> Option<Uuid> {
    Some(match &event.payload {
        Payload::EmployeeCreated(p) => p.employee_id,
        Payload::EmployeeUpdated(p) => p.employee_id,
        Payload::EmployeeTerminated(p) => p.employee_id,
        Payload::AttendanceMarked(p) => p.employee_id,
        Payload::AttendanceUpdated(p) => p.employee_id,
        Payload::LeaveApproved(p) => p.employee_id,
        Payload::LeaveCancelled(p) => p.employee_id,
        _ => return None,
    })
}

impl Timeline {
    /// An employee not seen before.
    pub fn new(employee_id: Uuid) -> Self {
        Self {
            employee_id,
            manager_id: None,
            weekly_hours: None,
            shifts: BTreeMap::new(),
            leaves: BTreeMap::new(),
            reported: BTreeMap::new(),
            version: 0,
        }
    }

    /// Applies `event`; what changed, `None` when nothing did.
    pub fn learn(&mut self, event: &HrmsEvent) -> Option<Learnt> {
        let time = event.time;
        match &event.payload {
            Payload::EmployeeCreated(p) => self.employee(p.manager_id, p.weekly_hours),
            Payload::EmployeeUpdated(p) => self.employee(p.manager_id, p.weekly_hours),
            Payload::EmployeeTerminated(p) => self.manager(p.manager_id),
            Payload::AttendanceMarked(p) => {
                let known = self.shifts.get(&p.record_id);
                if known.is_some_and(|s| s.as_of > time) {
                    return None;
                }
                let shift = match (p.mark, known) {
                    // A check-in never reopens a record already closed.
                    (Mark::CheckIn, Some(s)) if s.check_out.is_some() => return None,
                    (Mark::CheckIn, _) => {
                        Shift { check_in: p.at, check_out: None, time_zone: p.time_zone.clone(), as_of: time }
                    }
                    (Mark::CheckOut, known) => {
                        let check_in =
                            known.map_or_else(|| dated_back(p.at, p.worked_minutes), |s| s.check_in);
                        Shift { check_in, check_out: Some(p.at), time_zone: p.time_zone.clone(), as_of: time }
                    }
                };
                self.shift(p.record_id, shift)
            }
            Payload::AttendanceUpdated(p) => {
                let known = self.shifts.get(&p.record_id);
                if known.is_some_and(|s| s.as_of > time) {
                    return None;
                }
                let time_zone = known.map(|s| s.time_zone.clone()).unwrap_or_else(|| self.time_zone());
                let shift = Shift { check_in: p.check_in, check_out: p.check_out, time_zone, as_of: time };
                self.shift(p.record_id, shift)
            }
            Payload::LeaveApproved(p) => {
                if self.leaves.get(&p.leave_id).is_some_and(|l| l.as_of >= time) {
                    return None;
                }
                let span = LeaveSpan {
                    leave_type: p.leave_type.clone(),
                    start_date: p.start_date,
                    end_date: p.end_date,
                    as_of: time,
                };
                self.leaves.insert(p.leave_id, span);
                Some(Learnt::Leave(p.leave_id))
            }
            Payload::LeaveCancelled(p) => {
                self.leaves.remove(&p.leave_id).map(|_| Learnt::LeaveGone(p.leave_id))
            }
            _ => None,
        }
    }

    fn manager(&mut self, manager_id: Option<Uuid>) -> Option<Learnt> {
        if self.manager_id == manager_id {
            return None;
        }
        self.manager_id = manager_id;
        Some(Learnt::Manager)
    }

    /// Learns the manager, and the contracted hours when the event carries them.
    fn employee(&mut self, manager_id: Option<Uuid>, weekly_hours: Option<f64>) -> Option<Learnt> {
        let contract = weekly_hours.is_some() && self.weekly_hours != weekly_hours;
        if contract {
            self.weekly_hours = weekly_hours;
        }
        self.manager(manager_id).or(contract.then_some(Learnt::Manager))
    }

    fn shift(&mut self, record_id: Uuid, mut shift: Shift) -> Option<Learnt> {
        if let Some(known) = self.shifts.get(&record_id) {
            let same = Shift { as_of: known.as_of, ..shift.clone() } == *known;
            if same {
                return None;
            }
        }
        if shift.check_out.is_some_and(|out| out < shift.check_in) {
            shift.check_out = Some(shift.check_in);
        }
        self.shifts.insert(record_id, shift);
        Some(Learnt::Shift(record_id))
    }

    /// The employee's latest known time zone (UTC before any check-in).
    pub fn time_zone(&self) -> String {
        self.shifts
            .values()
            .max_by_key(|s| s.check_in)
            .map_or_else(|| "UTC".to_owned(), |s| s.time_zone.clone())
    }

    /// Forgets shifts that began, and findings about dates, before `cutoff`,
    /// and leave that ended a year before it: what no rule looks at again.
    pub fn prune(&mut self, cutoff: DateTime<Utc>) {
        self.shifts.retain(|_, s| s.check_in >= cutoff);
        let day = cutoff.date_naive();
        self.reported.retain(|_, date| *date >= day);
        let year_before = day.checked_sub_days(Days::new(366)).unwrap_or(NaiveDate::MIN);
        self.leaves.retain(|_, l| l.end_date >= year_before);
    }
}

/// The check-in of a check-out at `at` after `minutes` (never negative);
/// `at` itself when the minutes reach past the start of time. Intake
/// refuses minutes outside the contract's range, yet no value panics here.
fn dated_back(at: DateTime<Utc>, minutes: Option<i64>) -> DateTime<Utc> {
    let minutes = minutes.unwrap_or(0).max(0);
    Duration::try_minutes(minutes).and_then(|d| at.checked_sub_signed(d)).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use hrms_events::attendance::{AttendanceMarked, AttendanceUpdated};
    use hrms_events::{EventType, fixtures};

    use super::*;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 1, 4, h, 0, 0).single().expect("valid")
    }

    fn marked(record_id: Uuid, mark: Mark, hour: u32) -> HrmsEvent {
        let payload = Payload::AttendanceMarked(AttendanceMarked {
            record_id,
            employee_id: fixtures::EMPLOYEE,
            mark,
            at: at(hour),
            time_zone: "Europe/Paris".into(),
            worked_minutes: (mark == Mark::CheckOut).then_some(60 * i64::from(hour - 8)),
        });
        HrmsEvent::new(payload, &fixtures::hr_actor())
    }

    #[test]
    fn a_record_is_learnt_from_its_marks_and_corrections_once() {
        let mut timeline = Timeline::new(fixtures::EMPLOYEE);
        let record = Uuid::now_v7();
        let check_in = marked(record, Mark::CheckIn, 8);
        let check_out = marked(record, Mark::CheckOut, 17);
        assert_eq!(timeline.learn(&check_in), Some(Learnt::Shift(record)));
        assert_eq!(timeline.learn(&check_out), Some(Learnt::Shift(record)));
        let closed = timeline.clone();
        assert_eq!(closed.shifts[&record].check_out, Some(at(17)));
        assert_eq!(closed.time_zone(), "Europe/Paris");

        // Redelivered, in order or not: nothing changes.
        assert_eq!(timeline.learn(&check_in), None, "no reopening");
        assert_eq!(timeline.learn(&check_out), None);
        assert_eq!(timeline, closed);

        let correction = |hour| {
            HrmsEvent::new(
                Payload::AttendanceUpdated(AttendanceUpdated {
                    record_id: record,
                    employee_id: fixtures::EMPLOYEE,
                    corrected_by: fixtures::MANAGER,
                    check_in: at(7),
                    check_out: Some(at(hour)),
                    worked_minutes: Some(60 * i64::from(hour - 7)),
                    reason: "forgot".into(),
                }),
                &fixtures::hr_actor(),
            )
        };
        let (first, second) = (correction(16), correction(18));
        assert_eq!(timeline.learn(&second), Some(Learnt::Shift(record)));
        assert_eq!(timeline.learn(&first), None, "an older correction arriving late");
        assert_eq!(timeline.shifts[&record].check_out, Some(at(18)));
        assert_eq!(timeline.shifts[&record].time_zone, "Europe/Paris", "kept from the check-in");
    }

    #[test]
    fn a_check_out_alone_dates_its_check_in_back_by_the_minutes_worked() {
        let mut timeline = Timeline::new(fixtures::EMPLOYEE);
        let record = Uuid::now_v7();
        timeline.learn(&marked(record, Mark::CheckOut, 17));
        assert_eq!(timeline.shifts[&record].check_in, at(8));
    }

    #[test]
    fn no_worked_minutes_panic_whatever_their_value() {
        for minutes in [i64::MAX, i64::MIN, -1, 0, 480] {
            let mut timeline = Timeline::new(fixtures::EMPLOYEE);
            let mut event = marked(Uuid::now_v7(), Mark::CheckOut, 17);
            if let Payload::AttendanceMarked(p) = &mut event.payload {
                p.worked_minutes = Some(minutes);
            }
            let Some(Learnt::Shift(id)) = timeline.learn(&event) else { panic!("a shift") };
            let check_in = timeline.shifts[&id].check_in;
            assert!(check_in <= at(17), "{minutes}: {check_in}");
            timeline.prune(DateTime::<Utc>::MIN_UTC);
        }
    }

    #[test]
    fn managers_and_leave_come_and_go() {
        let mut timeline = Timeline::new(fixtures::EMPLOYEE);
        let created = fixtures::sample(EventType::EmployeeCreated);
        assert_eq!(timeline.learn(&created), Some(Learnt::Manager));
        assert_eq!((timeline.manager_id, timeline.weekly_hours), (Some(fixtures::MANAGER), Some(37.5)));
        assert_eq!(timeline.learn(&created), None);
        let mut fewer = fixtures::sample(EventType::EmployeeUpdated);
        if let Payload::EmployeeUpdated(p) = &mut fewer.payload {
            p.weekly_hours = Some(20.0);
        }
        assert_eq!(timeline.learn(&fewer), Some(Learnt::Manager), "the contract changed");
        if let Payload::EmployeeUpdated(p) = &mut fewer.payload {
            p.weekly_hours = None;
        }
        assert_eq!(timeline.learn(&fewer), None, "an event without hours keeps them");
        assert_eq!(timeline.weekly_hours, Some(20.0));
        let approved = fixtures::sample(EventType::LeaveApproved);
        let Some(Learnt::Leave(id)) = timeline.learn(&approved) else { panic!("a leave") };
        assert_eq!(timeline.learn(&approved), None);
        assert_eq!(timeline.learn(&fixtures::sample(EventType::LeaveCancelled)), Some(Learnt::LeaveGone(id)));
        assert!(timeline.leaves.is_empty());
        assert_eq!(timeline.learn(&fixtures::sample(EventType::UserCreated)), None);
        assert_eq!(employee_of(&fixtures::sample(EventType::UserCreated)), None);
    }

    #[test]
    fn pruning_keeps_what_the_rules_still_need() {
        let mut timeline = Timeline::new(fixtures::EMPLOYEE);
        let shift =
            |hour| Shift { check_in: at(hour), check_out: None, time_zone: "UTC".into(), as_of: at(hour) };
        let (old, new) = (Uuid::now_v7(), Uuid::now_v7());
        timeline.shifts.insert(old, shift(8));
        timeline.shifts.insert(new, shift(12));
        timeline.reported.insert("daily_hours:2027-01-03".into(), at(8).date_naive() - Duration::days(1));
        timeline.reported.insert("daily_hours:2027-01-04".into(), at(8).date_naive());
        timeline.prune(at(10));
        assert_eq!(timeline.shifts.keys().collect::<Vec<_>>(), vec![&new]);
        assert_eq!(timeline.reported.keys().collect::<Vec<_>>(), vec!["daily_hours:2027-01-04"]);
    }
}
