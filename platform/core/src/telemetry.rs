//! Logs and metrics: one tracing subscriber (JSON lines or human-readable) and
//! one Prometheus recorder per process. Under Knative (`K_SERVICE`,
//! `K_REVISION` set by Knative Serving), every JSON log line and every
//! metric carries `k_service` and `k_revision`.

use std::io::IsTerminal;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::{Format, FormatEvent, FormatFields, Json, JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, format};
use tracing_subscriber::registry::LookupSpan;

/// The Knative service and revision this process serves, from the
/// environment Knative Serving gives its containers.
pub fn knative() -> Vec<(&'static str, String)> {
    [("k_service", "K_SERVICE"), ("k_revision", "K_REVISION")]
        .into_iter()
        .filter_map(|(label, var)| std::env::var(var).ok().filter(|v| !v.is_empty()).map(|v| (label, v)))
        .collect()
}

/// Installs the global tracing subscriber: `RUST_LOG` (default `info`),
/// JSON lines when `json` is set. Does nothing if one is installed already.
pub fn init_tracing(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = if json {
        let format = WithLabels::new(format().json().flatten_event(true), &knative());
        builder.fmt_fields(JsonFields::new()).event_format(format).try_init()
    } else {
        builder.try_init()
    };
}

/// The JSON format, with fixed fields first in every line.
struct WithLabels {
    inner: Format<Json>,
    /// `"k_service":"...","k_revision":"...",` (empty without labels).
    prefix: String,
}

impl WithLabels {
    fn new(inner: Format<Json>, labels: &[(&str, String)]) -> Self {
        let prefix = labels
            .iter()
            .map(|(k, v)| format!("{}:{},", serde_json::Value::from(*k), serde_json::Value::from(v.as_str())))
            .collect();
        Self { inner, prefix }
    }
}

impl<S, N> FormatEvent<S, N> for WithLabels
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        if self.prefix.is_empty() {
            return self.inner.format_event(ctx, writer, event);
        }
        let mut line = String::new();
        self.inner.format_event(ctx, Writer::new(&mut line), event)?;
        match line.strip_prefix('{') {
            Some(rest) => write!(writer, "{{{}{rest}", self.prefix),
            None => writer.write_str(&line),
        }
    }
}

/// Latency buckets in seconds, from 100 µs to 30 s.
const SECONDS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    30.0,
];
/// Batch-size buckets.
const SIZES: &[f64] = &[1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0];

/// Installs the global Prometheus recorder and returns the handle that
/// renders `/metrics`.
pub fn init_metrics() -> Result<PrometheusHandle, metrics_exporter_prometheus::BuildError> {
    let builder = knative().into_iter().fold(PrometheusBuilder::new(), |b, (k, v)| b.add_global_label(k, v));
    builder
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)?
        .set_buckets_for_metric(Matcher::Suffix("_size".into()), SIZES)?
        .install_recorder()
}
