//! Faults on a schedule, each `<what>@<start>[+<length>]` (seconds from the
//! start of the load, `s` or `ms`):
//! - `broker-restart@20s+10s`: SIGKILL of the broker (of the first of
//!   `--brokers`), started again (same port, same storage) after the length;
//! - `kill:<function>@30s`: SIGKILL of the function's process, started again
//!   at once (as a platform restarts a crashed container);
//! - `smtp-down@15s+20s`: the SMTP server killed (connections refused), started
//!   again after the length;
//! - `store-down:<function>@40s+10s`: the function's process frozen
//!   (SIGSTOP, then SIGCONT): its SQLite store, in the process, answers
//!   nothing, and neither does anything else of it.
//!   With `--topology dev` a function's process is `hrms dev`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Serialize;
use tokio::sync::Mutex;

use super::topology::Topology;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    BrokerRestart,
    Kill,
    SmtpDown,
    StoreDown,
}

/// One fault as asked for, and when it happened.
#[derive(Clone, Debug, Serialize)]
pub struct Fault {
    pub spec: String,
    pub kind: Kind,
    pub target: Option<String>,
    /// Seconds from the start of the load.
    pub at: f64,
    /// Seconds it lasts (0 for a kill).
    pub length: f64,
    /// When it was injected and lifted, seconds from the start (measured).
    pub injected_at: Option<f64>,
    pub lifted_at: Option<f64>,
}

impl Fault {
    /// The window its effects are counted in: from its start to its end
    /// plus `recovery` seconds.
    pub fn window(&self, recovery: f64) -> (f64, f64) {
        let end = self.lifted_at.unwrap_or(self.at + self.length);
        (self.injected_at.unwrap_or(self.at), end + recovery)
    }
}

fn seconds(text: &str) -> anyhow::Result<f64> {
    let (number, scale) = match text.strip_suffix("ms") {
        Some(n) => (n, 1e-3),
        None => (text.strip_suffix('s').unwrap_or(text), 1.0),
    };
    let value: f64 = number.parse().with_context(|| format!("{text:?} is not a time like 20s or 500ms"))?;
    if !value.is_finite() || value < 0.0 {
        bail!("{text:?} is not a time like 20s");
    }
    Ok(value * scale)
}

/// Reads a `--fault` spec.
pub fn parse(spec: &str) -> anyhow::Result<Fault> {
    let (what, when) =
        spec.split_once('@').context("a fault is <what>@<start>[+<length>], e.g. broker-restart@20s+10s")?;
    let (at, length) = match when.split_once('+') {
        Some((at, length)) => (seconds(at)?, seconds(length)?),
        None => (seconds(when)?, 0.0),
    };
    let (kind, target) = match what.split_once(':') {
        Some(("kill", f)) => (Kind::Kill, Some(f.to_owned())),
        Some(("store-down", f)) => (Kind::StoreDown, Some(f.to_owned())),
        None if what == "broker-restart" => (Kind::BrokerRestart, None),
        None if what == "smtp-down" => (Kind::SmtpDown, None),
        _ => {
            bail!("unknown fault {what:?}: broker-restart, smtp-down, kill:<function>, store-down:<function>")
        }
    };
    if let Some(f) = &target
        && !super::topology::FUNCTIONS.contains(&f.as_str())
    {
        bail!("no function {f:?} (one of {})", super::topology::FUNCTIONS.join(", "));
    }
    if kind != Kind::Kill && length <= 0.0 {
        bail!("{spec}: give the fault a length, e.g. @20s+10s");
    }
    Ok(Fault { spec: spec.to_owned(), kind, target, at, length, injected_at: None, lifted_at: None })
}

/// Injects `fault` at its time and lifts it after its length.
pub async fn inject(
    mut fault: Fault,
    topology: Arc<Mutex<Topology>>,
    start: Instant,
) -> anyhow::Result<Fault> {
    tokio::time::sleep_until((start + Duration::from_secs_f64(fault.at)).into()).await;
    fault.injected_at = Some(start.elapsed().as_secs_f64());
    let target = fault.target.clone().unwrap_or_default();
    let port = {
        let mut t = topology.lock().await;
        match fault.kind {
            Kind::BrokerRestart => {
                let broker = first_broker(&mut t)?;
                broker.kill();
                broker.port
            }
            Kind::SmtpDown => {
                let smtp = t.smtp.as_mut().context("no SMTP server of ours to stop")?;
                smtp.kill();
                smtp.port
            }
            Kind::StoreDown => {
                let proc = t.process(&target).context("no such function")?;
                proc.freeze(true);
                proc.port
            }
            Kind::Kill => {
                let proc = t.process(&target).context("no such function")?;
                proc.kill();
                proc.spawn()?;
                proc.port
            }
        }
    };
    tracing::warn!(fault = %fault.spec, "fault injected");
    if fault.kind == Kind::Kill {
        listening(port, Duration::from_secs(60)).await?;
        fault.lifted_at = Some(start.elapsed().as_secs_f64());
        return Ok(fault);
    }
    tokio::time::sleep_until((start + Duration::from_secs_f64(fault.at + fault.length)).into()).await;
    {
        let mut t = topology.lock().await;
        match fault.kind {
            Kind::BrokerRestart => first_broker(&mut t)?.spawn()?,
            Kind::SmtpDown => t.smtp.as_mut().context("no SMTP server")?.spawn()?,
            Kind::StoreDown => t.process(&target).context("no such function")?.freeze(false),
            Kind::Kill => {}
        }
    }
    listening(port, Duration::from_secs(60)).await?;
    fault.lifted_at = Some(start.elapsed().as_secs_f64());
    tracing::warn!(fault = %fault.spec, "fault lifted");
    Ok(fault)
}

fn first_broker(topology: &mut Topology) -> anyhow::Result<&mut super::topology::Proc> {
    let brokers = topology.brokers.as_mut().context("no broker of ours to restart")?;
    brokers.brokers.first_mut().context("no broker of ours to restart")
}

/// Waits until something accepts connections on `port`.
async fn listening(port: u16, limit: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        if Instant::now() > deadline {
            bail!("nothing listens on {port} {limit:?} after the fault");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_read_as_the_issue_writes_them() {
        let f = parse("broker-restart@20s+10s").expect("a fault");
        assert_eq!((f.kind, f.target, f.at, f.length), (Kind::BrokerRestart, None, 20.0, 10.0));
        let f = parse("kill:audit@30s").expect("a fault");
        assert_eq!((f.kind, f.target.as_deref(), f.at), (Kind::Kill, Some("audit"), 30.0));
        let f = parse("store-down:leave@40s+500ms").expect("a fault");
        assert_eq!((f.kind, f.length), (Kind::StoreDown, 0.5));
        assert!(parse("smtp-down@15s").is_err(), "a window needs a length");
        assert!(parse("kill:payroll@1s").is_err(), "no such function");
        assert!(parse("flood@1s+1s").is_err());
    }
}
