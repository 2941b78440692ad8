//! Logs, traces and metrics: one tracing subscriber (JSON lines or
//! human-readable), spans exported by OTLP when configured, and one
//! Prometheus recorder per process. Under Knative (`K_SERVICE`,
//! `K_REVISION` set by Knative Serving), every JSON log line and every
//! metric carries `k_service` and `k_revision`.
//!
//! Spans go to the exporter given to [`init_tracing_exporting`] (the OTLP
//! one, `hrms_http::otlp`, when [`otlp_configured`]: `OTEL_EXPORTER_OTLP_ENDPOINT`
//! or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` set, and neither
//! `OTEL_SDK_DISABLED=true` nor `OTEL_TRACES_EXPORTER=none`), named and
//! sampled by the standard variables (`OTEL_SERVICE_NAME`,
//! `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER`[`_ARG`]). Without one,
//! none are made. The spans are those of [`crate::traces`].

use std::io::IsTerminal;
use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanExporter};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{Format, FormatEvent, FormatFields, Json, JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, format};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// The Knative service and revision this process serves, from the
/// environment Knative Serving gives its containers.
pub fn knative() -> Vec<(&'static str, String)> {
    [("k_service", "K_SERVICE"), ("k_revision", "K_REVISION")]
        .into_iter()
        .filter_map(|(label, var)| std::env::var(var).ok().filter(|v| !v.is_empty()).map(|v| (label, v)))
        .collect()
}

/// Installs the global tracing subscriber: `RUST_LOG` (default `info`),
/// JSON lines when `json` is set; no spans are exported. Does nothing if one
/// is installed already.
pub fn init_tracing(json: bool) {
    init_tracing_exporting(json, None::<NoExporter>);
}

/// [`init_tracing`], and spans sent to `exporter` in batches (the
/// `OTEL_BSP_*` variables apply), with the resource and sampler the `OTEL_*`
/// variables give (see the module's doc). Call [`shutdown_tracing`] before
/// exiting.
pub fn init_tracing_exporting(json: bool, exporter: Option<impl SpanExporter + 'static>) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let fmt: Box<dyn Layer<Registry> + Send + Sync> = if json {
        let format = WithLabels::new(format().json().flatten_event(true), &knative());
        fmt.fmt_fields(JsonFields::new()).event_format(format).with_filter(filter).boxed()
    } else {
        fmt.with_filter(filter).boxed()
    };
    let provider = exporter.map(|exporter| {
        SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource()).build()
    });
    // Our own spans (and the events in them), whatever RUST_LOG says.
    let ours = tracing_subscriber::filter::filter_fn(|meta| {
        meta.target().starts_with("hrms") && *meta.level() <= tracing::Level::INFO
    });
    let layer = provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer().with_tracer(provider.tracer("hrms")).with_filter(ours)
    });
    if tracing_subscriber::registry().with(fmt).with(layer).try_init().is_ok()
        && let Some(provider) = provider
    {
        crate::traces::enable();
        let _ = PROVIDER.set(provider);
    }
}

/// The exporter of [`init_tracing`]: none.
#[derive(Debug)]
struct NoExporter;

impl SpanExporter for NoExporter {
    async fn export(
        &self,
        _: Vec<opentelemetry_sdk::trace::SpanData>,
    ) -> opentelemetry_sdk::error::OTelSdkResult {
        Ok(())
    }
}

/// The span exporter's provider, flushed by [`shutdown_tracing`].
static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

/// Sends the spans not yet exported and stops the exporter (blocks up to
/// its timeout). Nothing without one.
pub fn shutdown_tracing() {
    if let Some(provider) = PROVIDER.get()
        && let Err(e) = provider.shutdown()
    {
        tracing::warn!(error = %e, "some spans may not have been exported");
    }
}

/// Exports the spans ended so far, blocking until the exporter is done: for
/// a process that may be frozen between requests (AWS Lambda) to call
/// before answering. Nothing without an exporter.
pub fn flush_tracing() {
    if let Some(provider) = PROVIDER.get()
        && let Err(e) = provider.force_flush()
    {
        tracing::warn!(error = %e, "some spans may not have been exported");
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Whether the environment asks for spans to be exported by OTLP:
/// `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` set,
/// and neither `OTEL_SDK_DISABLED=true` nor `OTEL_TRACES_EXPORTER=none`.
pub fn otlp_configured() -> bool {
    let disabled = env("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"))
        || env("OTEL_TRACES_EXPORTER").is_some_and(|v| v.eq_ignore_ascii_case("none"));
    let endpoint = env("OTEL_EXPORTER_OTLP_ENDPOINT").or_else(|| env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"));
    !disabled && endpoint.is_some()
}

/// The process as traces name it: `OTEL_SERVICE_NAME` (or `service.name` in
/// `OTEL_RESOURCE_ATTRIBUTES`), else `K_SERVICE`, else `hrms`; with the
/// Knative revision.
fn resource() -> opentelemetry_sdk::Resource {
    let mut resource = opentelemetry_sdk::Resource::builder();
    let named = env("OTEL_SERVICE_NAME").is_some()
        || env("OTEL_RESOURCE_ATTRIBUTES").is_some_and(|a| a.contains("service.name="));
    if !named {
        resource = resource.with_service_name(env("K_SERVICE").unwrap_or_else(|| "hrms".into()));
    }
    for (label, value) in knative() {
        resource = resource.with_attribute(opentelemetry::KeyValue::new(label, value));
    }
    resource.build()
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
