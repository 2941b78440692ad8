//! The OTLP span exporter: HTTP/protobuf to `OTEL_EXPORTER_OTLP_ENDPOINT`
//! (`/v1/traces` below it) or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, with
//! `OTEL_EXPORTER_OTLP_HEADERS` and `OTEL_EXPORTER_OTLP_TIMEOUT`, for
//! [`hrms_platform::telemetry::init_tracing_exporting`].

use opentelemetry_otlp::{ExporterBuildError, Protocol, SpanExporter, WithExportConfig};

/// The exporter the environment asks for
/// ([`hrms_platform::telemetry::otlp_configured`]), if any.
pub fn exporter() -> Result<Option<SpanExporter>, ExporterBuildError> {
    if !hrms_platform::telemetry::otlp_configured() {
        return Ok(None);
    }
    SpanExporter::builder().with_http().with_protocol(Protocol::HttpBinary).build().map(Some)
}
