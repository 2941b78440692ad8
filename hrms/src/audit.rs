//! `hrms audit`: the auditor's tools, run against the Audit function's store
//! (the same `--store`/`--data-dir` flags as `dev` and `serve`).
//!
//! - `verify`: checks every chain; exits non-zero and names each row when
//!   the log was tampered with.
//! - `replay`: rebuilds the subjects' current states from the log.
//! - `export --from --to [--out FILE]`: rows as JSON lines, oldest first.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};
use hrms_audit::history::replay;
use hrms_audit::store::Order;
use hrms_audit::verify::verify;
use hrms_audit::{AuditStore, Query};
use hrms_audit_adapters::http::AuditRow;
use indicatif::{ProgressBar, ProgressStyle};

use hrms::app::{Function, Stores};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Check every chain of the audit log; exit 1 if anything was altered,
    /// removed, inserted or reordered.
    Verify {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        stores: Stores,
    },
    /// Rebuild the read models (each subject's current state) from the log.
    Replay {
        #[command(flatten)]
        stores: Stores,
    },
    /// Write the rows of a time range as JSON lines, oldest first.
    Export {
        /// Events at or after this time (RFC 3339); from the start when absent.
        #[arg(long)]
        from: Option<DateTime<Utc>>,
        /// Events before this time (RFC 3339); up to now when absent.
        #[arg(long)]
        to: Option<DateTime<Utc>>,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        stores: Stores,
    },
}

pub async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Verify { json, stores } => {
            let report = verify(open(&stores).await?.as_ref()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                for f in &report.findings {
                    let id = f.event_id.map(|id| format!(" (event {id})")).unwrap_or_default();
                    println!("{:?}: subject {} row {}{id}: {}", f.problem, f.subject, f.seq, f.detail);
                }
                println!("{} chains, {} rows, digest {}", report.chains, report.rows, report.digest);
            }
            if !report.is_intact() {
                anyhow::bail!("the audit log fails verification: {} findings", report.findings.len());
            }
            if !json {
                println!("intact");
            }
            Ok(())
        }
        Command::Replay { stores } => {
            let store = open(&stores).await?;
            let bar = bar(store.heads().await?.len() as u64, "subjects");
            let done = replay(store.as_ref(), |n| bar.set_position(n)).await?;
            bar.finish_and_clear();
            println!("rebuilt the state of {done} subjects from the log");
            Ok(())
        }
        Command::Export { from, to, out, stores } => export(open(&stores).await?, from, to, out).await,
    }
}

async fn open(stores: &Stores) -> anyhow::Result<Arc<dyn AuditStore>> {
    let backend = stores.open(&[Function::Audit]).await.context("opening the audit store")?;
    Ok(backend.audit()?.0)
}

fn bar(total: u64, unit: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    let template = format!("{{bar:40}} {{pos}}/{{len}} {unit} ({{per_sec}}, {{eta}} left)");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}

async fn export(
    store: Arc<dyn AuditStore>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    out: Option<PathBuf>,
) -> anyhow::Result<()> {
    let mut query = Query { from, to, order: Order::OldestFirst, limit: 1000, ..Query::default() };
    let total = store.count(&query).await?;
    let mut sink: Box<dyn Write> = match &out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let bar = bar(total, "rows");
    let mut written = 0u64;
    loop {
        let page = store.query(&query).await?;
        for entry in page.entries {
            serde_json::to_writer(&mut sink, &AuditRow::from(entry))?;
            sink.write_all(b"\n")?;
            written += 1;
        }
        bar.set_position(written);
        match page.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    sink.flush()?;
    bar.finish_and_clear();
    if let Some(path) = out {
        eprintln!("exported {written} rows to {}", path.display());
    }
    Ok(())
}
