//! `hrms-bench mixed`: a working day on `dev` (every function in this
//! process on SQLite; events over Kafka when `KAFKA_BOOTSTRAP_SERVERS` is
//! set, in-process otherwise). First a bare axum JSON handler, driven by
//! the same client with the same connections; then a population of
//! managers and employees with accounts ([`people`]); then, for a fixed
//! time, a fixed mix over those connections ([`worker`]): leave requests,
//! requests overlapping one of the employee's own (409), approvals by the
//! manager, check-ins and check-outs, balance reads; and, when given a
//! weight, rejections, corrections of attendance by the manager, hires and
//! terminations by an admin (none by default). Prints throughput,
//! p50/p95/p99 and the answers of each operation and of all, and the ratio
//! to the bare handler; fails after printing if any answer was a 5xx.

pub mod people;
pub mod worker;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::bail;
use chrono::NaiveDate;
use futures::future::try_join_all;
use hrms_events::Role;
use serde_json::Value;
use uuid::Uuid;
use worker::{Kind, Op, Tally, Urls, Worker};

use super::Figures;
use super::harness::{Dev, STORES, bare, timed};

#[derive(clap::Args)]
pub struct MixedArgs {
    /// Seconds of the mixed run.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Connections, each with one request in flight, each acting for its own
    /// share of the employees.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Employees, each with an account (at least --concurrency).
    #[arg(long, default_value_t = 200)]
    employees: usize,
    /// Employees per manager (each manager has an account too).
    #[arg(long, default_value_t = 10)]
    team: usize,
    /// Weight in the mix of new leave requests (201).
    #[arg(long, default_value_t = 30)]
    requests: u32,
    /// Weight of requests overlapping one of the employee's own (409).
    #[arg(long, default_value_t = 10)]
    overlaps: u32,
    /// Weight of approvals of pending requests by the employee's manager (200).
    #[arg(long, default_value_t = 20)]
    approvals: u32,
    /// Weight of check-ins and check-outs, in turn per employee (201, 200).
    #[arg(long, default_value_t = 30)]
    attendance: u32,
    /// Weight of balance reads by the employee (200).
    #[arg(long, default_value_t = 10)]
    balances: u32,
    /// Weight of rejections of pending requests by the employee's manager (200).
    #[arg(long, default_value_t = 0)]
    rejections: u32,
    /// Weight of corrections of an employee's latest attendance record by their manager (200).
    #[arg(long, default_value_t = 0)]
    corrections: u32,
    /// Weight of hires by an admin: an account with its employee record (201).
    #[arg(long, default_value_t = 0)]
    hires: u32,
    /// Weight of terminations of one of the connection's employees by an admin (200).
    #[arg(long, default_value_t = 0)]
    terminations: u32,
    /// Requests to the bare handler.
    #[arg(long, default_value_t = 10_000)]
    bare_requests: usize,
}

impl MixedArgs {
    fn mix(&self) -> [(Kind, u32); 9] {
        [
            (Kind::Request, self.requests),
            (Kind::Overlap, self.overlaps),
            (Kind::Approve, self.approvals),
            (Kind::Reject, self.rejections),
            (Kind::Attendance, self.attendance),
            (Kind::Correct, self.corrections),
            (Kind::Balance, self.balances),
            (Kind::Hire, self.hires),
            (Kind::Terminate, self.terminations),
        ]
    }
}

pub async fn run(args: MixedArgs) -> anyhow::Result<()> {
    if args.seconds == 0 || args.concurrency == 0 || args.team == 0 || args.bare_requests == 0 {
        bail!("--seconds, --concurrency, --team and --bare-requests must be positive");
    }
    if args.employees < args.concurrency {
        bail!("--employees must be at least --concurrency: each connection acts for its own employees");
    }
    let schedule = worker::schedule(&args.mix());
    if schedule.is_empty() {
        bail!(
            "the mix is empty: give one of --requests, --overlaps, --approvals, --attendance, --balances a weight"
        );
    }
    let dev = Dev::start(true).await?;
    let bare = bare().await?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency).build()?;
    println!(
        "hrms-bench mixed: {} employees in teams of {}, {} connections, {} s; events: {}",
        args.employees, args.team, args.concurrency, args.seconds, dev.transport
    );
    println!("{STORES}");
    let mix = args.mix().map(|(kind, weight)| format!("{kind:?} {weight}").to_lowercase());
    println!("mix: {}", mix.join(", "));
    let (urls, hr) = (Urls::one(&dev.address), dev.hr()?);

    let admin = dev.token(Uuid::now_v7(), Role::Admin, None)?;
    let url = format!("{bare}/bare");
    let bare_figures = timed(&client, &url, &admin, args.bare_requests, args.concurrency, bare_body).await?;

    let started = Instant::now();
    let population =
        people::create(&dev.issuer(), &client, args.employees, args.team, args.concurrency.min(16)).await?;
    println!(
        "population: {} managers and {} employees (POST /users) in {:.1} s",
        population.managers.len(),
        population.employees.len(),
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let until = started + Duration::from_secs(args.seconds);
    let workers = (0..args.concurrency).map(|w| {
        let own = population.employees.iter().skip(w).step_by(args.concurrency).cloned().collect();
        let worker =
            Worker::new(client.clone(), urls.clone(), population.managers.clone(), own).with_hr(hr.clone());
        let schedule = &schedule;
        async move { worker.run(schedule, w * schedule.len() / args.concurrency, until).await }
    });
    let tallies = try_join_all(workers).await?;
    let elapsed = started.elapsed();
    let mut tally = Tally::default();
    for one in tallies {
        tally.merge(one);
    }

    let server_errors = report(&tally, elapsed, &bare_figures, args.bare_requests);
    dev.stop().await?;
    if server_errors > 0 {
        bail!("{server_errors} answers were 5xx (the log above says why)");
    }
    Ok(())
}

/// Prints the table; the number of 5xx answers.
fn report(tally: &Tally, elapsed: Duration, bare: &Figures, bare_requests: usize) -> usize {
    println!("{:<16} {:>12} {:>10} {:>10} {:>10}  answers", "", "requests/s", "p50 ms", "p95 ms", "p99 ms");
    println!("{}  201 x {bare_requests}", bare.row("bare axum"));
    let (mut all, mut every, mut unexpected) = (Vec::new(), BTreeMap::new(), 0);
    for op in Op::ALL {
        let (latencies, answers) = (&tally.latencies[op as usize], &tally.answers[op as usize]);
        let figures = Figures::new(elapsed, latencies.clone());
        println!("{}  {}", figures.row(op.name()), answers_text(answers));
        all.extend_from_slice(latencies);
        for (status, n) in answers {
            *every.entry(*status).or_default() += n;
            if *status != op.expected() {
                unexpected += n;
            }
        }
    }
    let overall = Figures::new(elapsed, all);
    println!("{}  {}", overall.row("all"), answers_text(&every));
    let server_errors: usize = every.range(500..).map(|(_, n)| n).sum();
    println!("ratio to bare: {:.3}", overall.per_second / bare.per_second);
    println!("answers other than expected: {unexpected}; 5xx: {server_errors}");
    server_errors
}

/// `201 x 812, 409 x 3`.
fn answers_text(answers: &BTreeMap<u16, usize>) -> String {
    let text: Vec<String> = answers.iter().map(|(status, n)| format!("{status} x {n}")).collect();
    if text.is_empty() { "-".to_owned() } else { text.join(", ") }
}

/// What the bare handler is sent: a leave request.
fn bare_body() -> Value {
    let monday = NaiveDate::from_isoywd_opt(2027, 2, chrono::Weekday::Mon).unwrap_or_default();
    worker::leave(monday, monday + chrono::Days::new(4))
}
