//! The population of `hrms-bench mixed`: managers, then employees in teams
//! under them, each an account with its employee record made by
//! `POST /users` as admin (Compliance and Employee in the chain; argon2id
//! makes it the slow part of the set-up), all in Germany (the holidays of
//! `DE` count), and a token of each. [`Hr`] hires and terminates during
//! a run.

use anyhow::{Context, bail};
use futures::{StreamExt, TryStreamExt, stream};
use hrms_events::Role;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use std::sync::Arc;
use std::time::Duration;

use hrms_http::Authenticator;

/// Where accounts are made (the User function's base URL) and what mints
/// their tokens.
pub struct Issuer<'a> {
    pub address: &'a str,
    pub auth: &'a Authenticator,
}

impl Issuer<'_> {
    /// A bearer token for one hour.
    pub fn token(&self, user_id: Uuid, role: Role, employee_id: Option<Uuid>) -> anyhow::Result<String> {
        Ok(self.auth.mint(user_id, role, employee_id, Duration::from_secs(3600))?)
    }
}

/// What hr needs to hire and terminate during a run: an admin token (an
/// hour long, of a subject without an account), and what mints the new
/// accounts' tokens.
#[derive(Clone)]
pub struct Hr {
    pub admin: String,
    auth: Arc<Authenticator>,
}

impl Hr {
    pub fn new(auth: Arc<Authenticator>) -> anyhow::Result<Self> {
        let admin = auth.mint(Uuid::now_v7(), Role::Admin, None, Duration::from_secs(3600))?;
        Ok(Self { admin, auth })
    }

    /// The person behind an account `POST /users` made, with a token of theirs.
    pub fn person(&self, created: &Created, role: Role) -> anyhow::Result<Person> {
        let employee_id = created.employee_id.context("the new account has no employee record")?;
        let token = self.auth.mint(created.user_id, role, Some(employee_id), Duration::from_secs(3600))?;
        Ok(Person { employee_id, token })
    }
}

/// Someone who acts: their employee record and their bearer token.
#[derive(Clone)]
pub struct Person {
    pub employee_id: Uuid,
    pub token: String,
}

/// An employee and which of the managers is theirs.
#[derive(Clone)]
pub struct Employee {
    pub person: Person,
    pub manager: usize,
}

pub struct Population {
    pub managers: Vec<Person>,
    pub employees: Vec<Employee>,
}

/// What `POST /users` answers that the benchmark needs.
#[derive(Deserialize)]
pub struct Created {
    pub user_id: Uuid,
    pub employee_id: Option<Uuid>,
}

/// `employees` accounts in teams of `team` (the last may be smaller), one
/// manager for each, `concurrency` made at a time.
pub async fn create(
    dev: &Issuer<'_>,
    client: &reqwest::Client,
    employees: usize,
    team: usize,
    concurrency: usize,
) -> anyhow::Result<Population> {
    let admin = dev.token(Uuid::now_v7(), Role::Admin, None)?;
    let account = |role: Role, manager: Option<Uuid>| {
        let admin = admin.clone();
        async move { account(dev, client, &admin, role, manager).await }
    };
    let managers: Vec<Person> =
        stream::iter((0..employees.div_ceil(team)).map(|_| account(Role::Manager, None)))
            .buffered(concurrency)
            .try_collect()
            .await?;
    let made = stream::iter((0..employees).map(|i| {
        let manager = i % managers.len();
        let made = account(Role::Employee, Some(managers[manager].employee_id));
        async move { Ok::<_, anyhow::Error>(Employee { person: made.await?, manager }) }
    }));
    let employees = made.buffered(concurrency).try_collect().await?;
    Ok(Population { managers, employees })
}

/// One account with its employee record, and its token.
async fn account(
    dev: &Issuer<'_>,
    client: &reqwest::Client,
    admin: &str,
    role: Role,
    manager_id: Option<Uuid>,
) -> anyhow::Result<Person> {
    let body = new_account(role, manager_id);
    let response = client
        .post(format!("{}/users", dev.address))
        .bearer_auth(admin)
        .json(&body)
        .send()
        .await
        .context("creating an account")?;
    let status = response.status();
    let answer = response.bytes().await.context("reading the new account")?;
    if status != reqwest::StatusCode::CREATED {
        bail!("POST /users answered {status}: {}", String::from_utf8_lossy(&answer));
    }
    let created: Created = serde_json::from_slice(&answer).context("reading the new account")?;
    let employee_id = created.employee_id.context("the new account has no employee record")?;
    Ok(Person { employee_id, token: dev.token(created.user_id, role, Some(employee_id))? })
}

/// The body of `POST /users` for an account of `role` with a new employee
/// record in Germany under `manager_id`.
pub fn new_account(role: Role, manager_id: Option<Uuid>) -> serde_json::Value {
    let n = Uuid::now_v7().simple();
    json!({
        "email": format!("bench.{n}@example.com"), "full_name": format!("Bench {n}"), "role": role,
        "password": "a long enough passphrase",
        "employee": {
            "first_name": "Bench", "last_name": n.to_string(), "department": "Operations",
            "job_title": if role == Role::Manager { "Team lead" } else { "Operator" },
            "manager_id": manager_id, "country": "DE", "time_zone": "Europe/Berlin",
            "weekly_hours": 40, "hire_date": "2024-03-01"
        }
    })
}
