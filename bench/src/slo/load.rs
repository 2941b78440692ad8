//! The open-loop load of `slo`: the mixed working day of `bench mixed`
//! (leave requests, overlapping ones, approvals, check-ins and -outs,
//! balance reads), one operation due every `1 / rate` seconds whatever the
//! answers take. Each operation goes to the worker of its turn (each acts
//! for its own employees, one operation at a time), and its latency counts
//! from when it was due, so time spent queued behind a slow answer counts.

use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::mixed::people::Population;
use crate::mixed::worker::{self, Kind, Op, Tally, Worker};

/// The mix of `bench mixed`'s defaults.
pub const MIX: [(Kind, u32); 5] = [
    (Kind::Request, 30),
    (Kind::Overlap, 10),
    (Kind::Approve, 20),
    (Kind::Attendance, 30),
    (Kind::Balance, 10),
];

/// What the load did: per operation latencies and answers, and when each
/// answer came (seconds from the start) with its latency, for the charts.
pub struct Load {
    pub tally: Tally,
    /// Operations due.
    pub offered: usize,
    /// (seconds from the start when it was due, latency) of every operation.
    pub timeline: Vec<(f64, Duration)>,
}

/// Offers `rate` operations per second from `start` for `duration` over
/// `workers` workers; returns when every operation is answered.
pub async fn run(
    client: reqwest::Client,
    leave: String,
    attendance: String,
    population: &Population,
    workers: usize,
    rate: f64,
    start: Instant,
    duration: Duration,
) -> Load {
    let schedule = worker::schedule(&MIX);
    let mut senders = Vec::new();
    let mut handles = Vec::new();
    for w in 0..workers {
        let own = population.employees.iter().skip(w).step_by(workers).cloned().collect();
        let mut worker = Worker::new(client.clone(), leave.clone(), population.managers.clone(), own)
            .with_attendance(attendance.clone());
        let (tx, mut rx) = mpsc::unbounded_channel::<(Kind, Instant)>();
        senders.push(tx);
        handles.push(tokio::spawn(async move {
            let mut timeline = Vec::new();
            while let Some((kind, due)) = rx.recv().await {
                worker.step_due(kind, due).await;
                timeline.push((due.duration_since(start).as_secs_f64(), due.elapsed()));
            }
            (worker.into_tally(), timeline)
        }));
    }
    let period = Duration::from_secs_f64(1.0 / rate);
    let total = (duration.as_secs_f64() * rate).round() as usize;
    for i in 0..total {
        let due = start + period.mul_f64(i as f64);
        tokio::time::sleep_until(due.into()).await;
        let kind = schedule[i % schedule.len()];
        let _ = senders[i % workers].send((kind, due));
    }
    drop(senders);
    let mut tally = Tally::default();
    let mut timeline = Vec::new();
    for handle in handles {
        if let Ok((one, times)) = handle.await {
            timeline.extend(times);
            tally.merge(one);
        }
    }
    timeline.sort_by(|a, b| a.0.total_cmp(&b.0));
    Load { tally, offered: total, timeline }
}

/// Answers that are 5xx or none at all, over all operations.
pub fn failed(tally: &Tally) -> usize {
    Op::ALL
        .iter()
        .flat_map(|op| tally.answers[*op as usize].iter())
        .filter(|(status, _)| **status == 0 || **status >= 500)
        .map(|(_, n)| n)
        .sum()
}
