//! The rules: facts and policy in, findings out. Each rule has a stable id
//! that callers and HR staff can rely on:
//!
//! | rule id | subject | finds |
//! | --- | --- | --- |
//! | `required_field` | both | a required field is empty (always `block`) |
//! | `email_format` | both | an e-mail address without `local@domain` (always `block`) |
//! | `email_domain` | user | a domain outside `email.allowed_domains` |
//! | `minimum_age` | employee | younger than `minimum_age.years` at hire |
//! | `young_worker` | employee | younger than `young_worker.years` at hire |
//! | `date_of_birth_missing` | employee | no date of birth: the age rules cannot run (`warn`) |
//! | `weekly_hours_max` | employee | contracted hours above `weekly_hours.maximum` (or not positive) |
//! | `weekly_hours_near_max` | employee | at `alert_ratio` of the maximum or more (`warn`) |

use chrono::{Datelike, NaiveDate};
use hrms_events::compliance::{RuleFinding, Severity};

use crate::policy::Policy;
use crate::subject::{EmployeeFacts, Subject, UserFacts};

/// Every finding of `subject` under `policy`.
pub fn evaluate(policy: &Policy, subject: &Subject) -> Vec<RuleFinding> {
    let mut findings = Vec::new();
    match subject {
        Subject::User(user) => user_rules(policy, user, &mut findings),
        Subject::Employee(employee) => employee_rules(policy, employee, &mut findings),
    }
    findings
}

fn finding(rule_id: &str, field: &str, severity: Severity, message: String) -> RuleFinding {
    RuleFinding { rule_id: rule_id.into(), field: field.into(), message, severity }
}

fn required(fields: &[(&str, &str)], findings: &mut Vec<RuleFinding>) {
    for (name, value) in fields {
        if value.trim().is_empty() {
            findings.push(finding("required_field", name, Severity::Block, format!("{name} is required")));
        }
    }
}

/// The domain of a well-formed address, lower-cased.
fn email_domain(email: &str) -> Option<String> {
    let (local, domain) = email.trim().rsplit_once('@')?;
    let ok = !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.');
    ok.then(|| domain.to_ascii_lowercase())
}

/// Whether an address must be in the policy's allowed domains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Domain {
    /// Accounts' addresses.
    Checked,
    /// Employee records' addresses.
    Unchecked,
}

fn email_rules(policy: &Policy, email: &str, domain_rule: Domain, findings: &mut Vec<RuleFinding>) {
    if email.trim().is_empty() {
        return; // reported as a required field
    }
    let Some(domain) = email_domain(email) else {
        findings.push(finding(
            "email_format",
            "email",
            Severity::Block,
            "email is not an address of the form local@domain".into(),
        ));
        return;
    };
    let allowed = &policy.email.allowed_domains;
    if domain_rule == Domain::Checked
        && !allowed.is_empty()
        && !allowed.iter().any(|d| d.eq_ignore_ascii_case(&domain))
    {
        findings.push(finding(
            "email_domain",
            "email",
            policy.email.severity,
            format!("accounts must use one of the domains {}", allowed.join(", ")),
        ));
    }
}

fn user_rules(policy: &Policy, user: &UserFacts, findings: &mut Vec<RuleFinding>) {
    required(&[("email", &user.email), ("full_name", &user.full_name)], findings);
    email_rules(policy, &user.email, Domain::Checked, findings);
}

/// Full years between `birth` and `on`.
fn age_on(birth: NaiveDate, on: NaiveDate) -> i64 {
    let mut years = i64::from(on.year() - birth.year());
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

fn employee_rules(policy: &Policy, e: &EmployeeFacts, findings: &mut Vec<RuleFinding>) {
    required(
        &[
            ("first_name", &e.first_name),
            ("last_name", &e.last_name),
            ("email", &e.email),
            ("department", &e.department),
            ("job_title", &e.job_title),
            ("country", &e.country),
        ],
        findings,
    );
    email_rules(policy, &e.email, Domain::Unchecked, findings);

    match e.date_of_birth {
        None => findings.push(finding(
            "date_of_birth_missing",
            "date_of_birth",
            Severity::Warn,
            "no date of birth: the minimum-age rules could not be checked".into(),
        )),
        Some(birth) => {
            let age = age_on(birth, e.hire_date);
            let (minimum, young) = (&policy.minimum_age, &policy.young_worker);
            if age < i64::from(minimum.years) {
                findings.push(finding(
                    "minimum_age",
                    "date_of_birth",
                    minimum.severity,
                    format!("aged {age} at hire; the minimum working age is {}", minimum.years),
                ));
            } else if age < i64::from(young.years) {
                findings.push(finding(
                    "young_worker",
                    "date_of_birth",
                    young.severity,
                    format!("aged {age} at hire: the limits for workers under {} apply", young.years),
                ));
            }
        }
    }

    let hours = &policy.weekly_hours;
    // NaN is outside every range, so it is refused too.
    if !(f64::MIN_POSITIVE..=hours.maximum).contains(&e.weekly_hours) {
        findings.push(finding(
            "weekly_hours_max",
            "weekly_hours",
            hours.severity,
            format!("contracted weekly hours must be above 0 and at most {}", hours.maximum),
        ));
    } else if e.weekly_hours >= hours.maximum * hours.alert_ratio {
        findings.push(finding(
            "weekly_hours_near_max",
            "weekly_hours",
            Severity::Warn,
            format!("{} contracted weekly hours are near the maximum of {}", e.weekly_hours, hours.maximum),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn employee() -> EmployeeFacts {
        crate::fixtures::employee()
    }

    fn rule_ids(subject: Subject) -> Vec<(String, Severity)> {
        evaluate(&Policy::default(), &subject).into_iter().map(|f| (f.rule_id, f.severity)).collect()
    }

    #[test]
    fn a_valid_employee_has_no_findings() {
        assert_eq!(rule_ids(Subject::Employee(employee())), vec![]);
    }

    #[test]
    fn age_is_counted_in_full_years_at_hire() {
        assert_eq!(age_on(date(2011, 12, 2), date(2026, 12, 1)), 14);
        assert_eq!(age_on(date(2011, 12, 1), date(2026, 12, 1)), 15);
        let too_young = EmployeeFacts { date_of_birth: Some(date(2011, 12, 2)), ..employee() };
        assert_eq!(rule_ids(Subject::Employee(too_young)), vec![("minimum_age".into(), Severity::Block)]);
        let young = EmployeeFacts { date_of_birth: Some(date(2010, 1, 1)), ..employee() };
        assert_eq!(rule_ids(Subject::Employee(young)), vec![("young_worker".into(), Severity::Warn)]);
        let unknown = EmployeeFacts { date_of_birth: None, ..employee() };
        assert_eq!(
            rule_ids(Subject::Employee(unknown)),
            vec![("date_of_birth_missing".into(), Severity::Warn)]
        );
    }

    #[test]
    fn weekly_hours_are_bounded_and_alerted_near_the_maximum() {
        let over = EmployeeFacts { weekly_hours: 48.5, ..employee() };
        assert_eq!(rule_ids(Subject::Employee(over)), vec![("weekly_hours_max".into(), Severity::Block)]);
        let at_max = EmployeeFacts { weekly_hours: 48.0, ..employee() };
        assert_eq!(
            rule_ids(Subject::Employee(at_max)),
            vec![("weekly_hours_near_max".into(), Severity::Warn)]
        );
        let zero = EmployeeFacts { weekly_hours: 0.0, ..employee() };
        assert_eq!(rule_ids(Subject::Employee(zero)), vec![("weekly_hours_max".into(), Severity::Block)]);
        let nan = EmployeeFacts { weekly_hours: f64::NAN, ..employee() };
        assert_eq!(rule_ids(Subject::Employee(nan)), vec![("weekly_hours_max".into(), Severity::Block)]);
    }

    #[test]
    fn required_fields_are_named() {
        let blank = EmployeeFacts { department: " ".into(), country: String::new(), ..employee() };
        let findings = evaluate(&Policy::default(), &Subject::Employee(blank));
        let fields: Vec<_> = findings.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["department", "country"]);
        assert!(findings.iter().all(|f| f.rule_id == "required_field" && f.severity == Severity::Block));
    }

    #[test]
    fn user_emails_are_checked_for_form_and_domain() {
        let user = |email: &str| {
            Subject::User(UserFacts {
                user_id: Uuid::now_v7(),
                email: email.into(),
                full_name: "Ada".into(),
                role: hrms_events::Role::Employee,
                employee_id: None,
            })
        };
        assert_eq!(rule_ids(user("ada@example.com")), vec![]);
        assert_eq!(rule_ids(user("ada.example.com")), vec![("email_format".into(), Severity::Block)]);
        assert_eq!(rule_ids(user("")), vec![("required_field".into(), Severity::Block)]);
        let mut policy = Policy::default();
        policy.email.allowed_domains = vec!["acme.test".into()];
        let found = evaluate(&policy, &user("ada@Example.com"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rule_id, "email_domain");
        assert!(evaluate(&policy, &user("ada@ACME.test")).is_empty());
    }
}
