//! `create`: the design's synchronous chain. In order:
//! 1. the caller may create this role (admin any; hr employees and managers);
//! 2. the input holds (password policy; employees and managers need an
//!    employee record; the e-mail is not taken);
//! 3. Compliance validates the account (a refusal is recorded there);
//! 4. Employee creates the person's record (idempotently, with an id chosen
//!    here) or links the existing `employee_id` to the account;
//! 5. the account is stored with `user.created` (a welcome) and
//!    `audit.user.created`.
//!
//! If Compliance or Employee refuses or is down, nothing is stored here and
//! nothing is emitted. An account insert that fails after step 4 (the same
//! e-mail taken in between) leaves the employee record, which hr can link
//! to an account later; the retry of the same request is then a conflict.

use chrono::{SubsecRound, Utc};
use hrms_employee::{EmployeeChanges, EmployeeClient, NewEmployee, Requester};
use hrms_events::user::{UserCreated, UserStatus};
use hrms_events::{Payload, Role};
use uuid::Uuid;

use super::{Change, Context, emit, may_manage};
use crate::error::UserError;
use crate::model::{EmployeeDetails, NewUser, User};
use crate::password;

/// The stored account and its events.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    pub user: User,
    pub events: Vec<hrms_events::HrmsEvent>,
}

pub async fn handle(new: NewUser, requester: &Requester, ctx: &Context<'_>) -> Result<Created, UserError> {
    let Context { store, compliance, employees } = *ctx;
    if !may_manage(requester, new.role) {
        return Err(UserError::Forbidden(format!(
            "{:?} may not create {:?} accounts",
            requester.role, new.role
        )));
    }
    if let Some((field, why)) = crate::model::Lengths::too_long(&new) {
        return Err(UserError::invalid(field, why));
    }
    let email = new.email.trim().to_owned();
    password::check(&new.password, "password", &email)?;
    let needs_record = matches!(new.role, Role::Employee | Role::Manager);
    match (&new.employee_id, &new.employee) {
        (Some(_), Some(_)) => {
            return Err(UserError::invalid("employee", "give employee_id or employee, not both"));
        }
        (None, None) if needs_record => {
            return Err(UserError::invalid("employee", "employees and managers need an employee record"));
        }
        _ => {}
    }
    if store.find_email(&email).await?.is_some() {
        return Err(UserError::Conflict("the e-mail address is taken".into()));
    }

    let now = Utc::now().trunc_subsecs(6);
    let mut user = User {
        user_id: Uuid::now_v7(),
        email: email.clone(),
        full_name: new.full_name.trim().to_owned(),
        role: new.role,
        status: UserStatus::Active,
        employee_id: new.employee_id.or(new.employee.as_ref().map(|_| Uuid::now_v7())),
        password_hash: String::new(),
        password_changed_at: now,
        role_changed_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let verdict = compliance.validate(&user.subject(), &requester.actor()).await?;
    if !verdict.allowed {
        return Err(UserError::Refused(verdict));
    }
    match (new.employee_id, new.employee) {
        (Some(id), _) => link(employees, id, user.user_id, requester).await?,
        (None, Some(details)) => {
            let record = employee_record(details, &user);
            employees.create(&record, requester).await?;
        }
        (None, None) => {}
    }
    user.password_hash = password::hash(&new.password).await?;

    let notice = UserCreated {
        user_id: user.user_id,
        email: user.email.clone(),
        full_name: user.full_name.clone(),
        role: user.role,
        employee_id: user.employee_id,
    };
    let events = emit(
        requester,
        Some(Payload::UserCreated(notice)),
        Payload::AuditUserCreated,
        Change { before: None, after: &user, changes: Vec::new(), reason: None },
    );
    store.insert(&user, &events).await?;
    Ok(Created { user, events })
}

/// Links an existing, active employee record to the account.
async fn link(
    employees: &dyn EmployeeClient,
    employee_id: Uuid,
    user_id: Uuid,
    requester: &Requester,
) -> Result<(), UserError> {
    let employee = employees.get(employee_id, requester).await?;
    if !employee.is_active() {
        return Err(UserError::invalid("employee_id", "the employee is terminated"));
    }
    if employee.user_id.is_some_and(|linked| linked != user_id) {
        return Err(UserError::Conflict("the employee record belongs to another account".into()));
    }
    let changes =
        EmployeeChanges { version: Some(employee.version), user_id: Some(user_id), ..Default::default() };
    employees.update(employee_id, &changes, requester).await?;
    Ok(())
}

fn employee_record(details: EmployeeDetails, user: &User) -> NewEmployee {
    NewEmployee {
        employee_id: user.employee_id,
        user_id: Some(user.user_id),
        first_name: details.first_name,
        last_name: details.last_name,
        email: user.email.clone(),
        department: details.department,
        job_title: details.job_title,
        manager_id: details.manager_id,
        country: details.country,
        time_zone: details.time_zone.unwrap_or_else(|| "UTC".to_owned()),
        weekly_hours: details.weekly_hours,
        hire_date: details.hire_date,
        date_of_birth: details.date_of_birth,
    }
}
