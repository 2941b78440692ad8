//! The open-loop load of `slo`: the mixed HR workload of `bench mixed`, one
//! operation due every `1 / rate` seconds whatever the answers take. Each
//! operation goes to the worker of its turn (each acts for its own
//! employees, one operation at a time, and walks the whole [`MIX`] from its
//! own place in it), and its latency counts from when it was due, so time
//! spent queued behind a slow answer counts.
//!
//! [`MIX`], per 100 operations: 28 leave requests, 9 requests overlapping
//! one of the employee's own (409), 18 approvals and 5 rejections by the
//! manager, 28 check-ins or check-outs, 5 corrections of attendance by the
//! manager, 5 balance reads, 1 hire (`POST /users` by an admin, an account
//! with its employee record) and 1 termination (by an admin, of one of the
//! worker's employees, never its last nor a manager; Leave, Attendance and
//! User react to it). Approvals and rejections together stay below the
//! requests, so there is mostly a request to decide. An operation with
//! nothing to act on (nothing pending, to overlap or to correct yet; a
//! termination when the worker has one employee left) is a leave request
//! instead.

use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::mixed::people::{Hr, Population};
use crate::mixed::worker::{self, Kind, Op, Tally, Urls, Worker};

/// The mix (see the module doc), 100 in all.
pub const MIX: [(Kind, u32); 9] = [
    (Kind::Request, 28),
    (Kind::Overlap, 9),
    (Kind::Approve, 18),
    (Kind::Reject, 5),
    (Kind::Attendance, 28),
    (Kind::Correct, 5),
    (Kind::Balance, 5),
    (Kind::Hire, 1),
    (Kind::Terminate, 1),
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
#[allow(clippy::too_many_arguments, reason = "each is one of the run's settings")]
pub async fn run(
    client: reqwest::Client,
    urls: Urls,
    hr: Hr,
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
        let mut worker =
            Worker::new(client.clone(), urls.clone(), population.managers.clone(), own).with_hr(hr.clone());
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
        let (w, place) = turn(i, workers, schedule.len());
        let _ = senders[w].send((schedule[place], due));
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

/// The worker of the `i`-th operation and its place in a schedule of
/// `len`: each worker in turn, each walking the whole schedule from its
/// own offset (a worker given every `workers`-th place would see only some
/// kinds when `workers` and `len` share a factor).
fn turn(i: usize, workers: usize, len: usize) -> (usize, usize) {
    let w = i % workers;
    (w, (w * len / workers + i / workers) % len)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_is_a_hundred_with_every_kind_of_the_workload() {
        assert_eq!(MIX.iter().map(|(_, w)| w).sum::<u32>(), 100);
        let schedule = worker::schedule(&MIX);
        assert_eq!(schedule.len(), 100);
        for (kind, weight) in MIX {
            assert!(weight > 0, "{kind:?}");
            assert_eq!(schedule.iter().filter(|k| **k == kind).count(), weight as usize, "{kind:?}");
        }
        let weight = |kind| MIX.iter().find(|(k, _)| *k == kind).map_or(0, |(_, w)| *w);
        assert!(weight(Kind::Approve) + weight(Kind::Reject) < weight(Kind::Request));
    }

    #[test]
    fn every_worker_walks_the_whole_schedule_in_proportion() {
        let schedule = worker::schedule(&MIX);
        // 64 workers and a schedule of 100 share a factor of 4.
        for workers in [1, 10, 64, 7] {
            let mut seen = vec![vec![0usize; schedule.len()]; workers];
            for i in 0..workers * schedule.len() {
                let (w, place) = turn(i, workers, schedule.len());
                seen[w][place] += 1;
            }
            for (w, places) in seen.iter().enumerate() {
                assert!(places.iter().all(|n| *n == 1), "worker {w} of {workers}: {places:?}");
            }
        }
    }
}
