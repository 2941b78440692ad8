//! Helpers of the unit tests: waiting on a condition with a deadline,
//! reading one series from the Prometheus text of a local recorder, an
//! outbox in memory ([`MemoryOutbox`]), and the conformance-suite macro.

use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusRecorder};

mod outbox;
mod table;

pub use outbox::MemoryOutbox;
pub use table::{MemoryTable, email_is_free};

/// Waits until `condition` holds; panics after `deadline`.
pub async fn until(deadline: Duration, mut condition: impl FnMut() -> bool) {
    tokio::time::timeout(deadline, async {
        while !condition() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("condition not met before the deadline");
}

/// A recorder to install on the test's thread with
/// `metrics::set_default_local_recorder` (a `current_thread` runtime keeps
/// every task on that thread).
pub fn recorder() -> PrometheusRecorder {
    PrometheusBuilder::new().build_recorder()
}

/// The value of the series `name` with exactly `labels` in `rendered`.
pub fn metric(rendered: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut want: Vec<(&str, &str)> = labels.to_vec();
    want.sort_unstable();
    rendered.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?;
        let (label_text, value) = match rest.strip_prefix('{') {
            Some(rest) => rest.split_once('}')?,
            None => ("", rest),
        };
        if !value.starts_with(' ') {
            return None; // a longer name with this prefix
        }
        let mut have: Vec<(&str, &str)> = label_text
            .split(',')
            .filter(|pair| !pair.is_empty())
            .filter_map(|pair| pair.split_once('=').map(|(k, v)| (k, v.trim_matches('"'))))
            .collect();
        have.sort_unstable();
        (have == want).then(|| value.trim().parse().ok()).flatten()
    })
}

#[test]
fn metric_reads_one_series_whatever_the_label_order() {
    let text = "# TYPE x gauge\nx{b=\"2\",a=\"1\"} 3\nx{a=\"1\"} 4\nx_total 5\nx 6\n";
    assert_eq!(metric(text, "x", &[("a", "1"), ("b", "2")]), Some(3.0));
    assert_eq!(metric(text, "x", &[("a", "1")]), Some(4.0));
    assert_eq!(metric(text, "x", &[]), Some(6.0));
    assert_eq!(metric(text, "x", &[("a", "2")]), None);
}

/// A fresh directory for a test's databases (not removed: tests leave
/// their data to look at when they fail).
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("hrms-{name}-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

/// A directory removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        Self(temp_dir(name))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One `#[tokio::test]` per suite function and store: for a conformance
/// module that defines `on_memory()`, `on_sqlite()` and `async fn
/// on_dynamodb()`, each answering a fresh store (the last two with the
/// `sqlite` and `dynamodb` features of the calling crate); the tests are
/// `on_memory::<name>`, `on_sqlite::<name>` and `on_dynamodb::<name>`.
#[macro_export]
macro_rules! suite {
    ($($test:ident),* $(,)?) => {
        mod on_memory {
            $(#[tokio::test] async fn $test() { super::$test(super::on_memory()).await; })*
        }
        #[cfg(feature = "sqlite")]
        mod on_sqlite {
            $(#[tokio::test] async fn $test() { super::$test(super::on_sqlite()).await; })*
        }
        #[cfg(feature = "dynamodb")]
        mod on_dynamodb {
            $(#[tokio::test] async fn $test() { super::$test(super::on_dynamodb().await).await; })*
        }
    };
}
