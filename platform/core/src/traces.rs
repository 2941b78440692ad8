//! Traces across the hops of a request: spans that continue a W3C
//! `traceparent` (from an HTTP header or an event's `traceparent`
//! extension) and hand theirs on.
//!
//! Every constructor here answers [`Span::none`] unless
//! [`telemetry::init_tracing`](crate::telemetry::init_tracing) installed an
//! OTLP exporter: without one, nothing is traced, logs are unchanged and
//! events keep the `traceparent` they came with.
//!
//! The hops: an HTTP request ([`http_server`]) stamps the events it stores
//! ([`stamped`]); the relay's publish ([`publishing`]) carries on each
//! event's trace and passes its own span on in the event; a consumer's
//! handling ([`handling`]) continues that and is remembered by event id
//! ([`remember`]) so that work done later for the event (a mail sent by the
//! notification dispatcher, [`after`]) joins the same trace, with the calls
//! out ([`outgoing`]: SMTP, webhooks); sync calls ([`http_client`]) send
//! theirs in the `traceparent` header.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use hrms_events::HrmsEvent;
use opentelemetry::Context;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use uuid::Uuid;

const TRACEPARENT: &str = "traceparent";

static ENABLED: AtomicBool = AtomicBool::new(false);

pub(crate) fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

/// Whether spans are exported (an OTLP endpoint is configured).
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// The W3C `traceparent` of `span`, if it belongs to a trace.
pub fn traceparent_of(span: &Span) -> Option<String> {
    if !enabled() {
        return None;
    }
    let context = span.context();
    if !context.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&context, &mut carrier);
    carrier.remove(TRACEPARENT)
}

/// The current span's `traceparent`.
pub fn traceparent() -> Option<String> {
    traceparent_of(&Span::current())
}

/// Makes the span `traceparent` names the parent of `span`; nothing when it
/// is absent or malformed.
pub fn continue_trace(span: &Span, traceparent: Option<&str>) {
    if !enabled() {
        return;
    }
    let Some(traceparent) = traceparent else { return };
    let carrier = HashMap::from([(TRACEPARENT.to_owned(), traceparent.to_owned())]);
    let context: Context = TraceContextPropagator::new().extract(&carrier);
    if context.span().span_context().is_valid() {
        let _ = span.set_parent(context);
    }
}

/// `events`, those without a `traceparent` given the current span's: what
/// a store writes to its outbox.
pub fn stamped(events: &[HrmsEvent]) -> Cow<'_, [HrmsEvent]> {
    match traceparent() {
        Some(tp) if events.iter().any(|e| e.traceparent.is_none()) => Cow::Owned(
            events
                .iter()
                .map(|e| match e.traceparent {
                    Some(_) => e.clone(),
                    None => e.clone().with_traceparent(tp.clone()),
                })
                .collect(),
        ),
        _ => Cow::Borrowed(events),
    }
}

/// Routes of probes and scrapes: not traced.
const UNTRACED: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// An incoming HTTP request, continuing the caller's `traceparent`
/// (probes and scrapes are not traced).
pub fn http_server(method: &str, route: &str, traceparent: Option<&str>) -> Span {
    if !enabled() || UNTRACED.contains(&route) {
        return Span::none();
    }
    let span = tracing::info_span!(
        "http request",
        otel.name = %format!("{method} {route}"),
        otel.kind = "server",
        http.request.method = method,
        http.route = route,
        http.response.status_code = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    );
    continue_trace(&span, traceparent);
    span
}

/// A sync call to another function (its `traceparent` goes in the request).
pub fn http_client(method: &str, callee: &str, path: &str) -> Span {
    if !enabled() {
        return Span::none();
    }
    tracing::info_span!(
        "http call",
        otel.name = %format!("{method} {callee}"),
        otel.kind = "client",
        http.request.method = method,
        server.address = callee,
        url.path = path,
        http.response.status_code = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    )
}

/// Records `status` on an HTTP span (5xx marks it failed).
pub fn http_status(span: &Span, status: u16) {
    span.record("http.response.status_code", status);
    if status >= 500 {
        span.record("otel.status_code", "ERROR");
    }
}

/// Publishing `event` to its topic, in the event's trace; the event to
/// send carries this span as its `traceparent`.
pub fn publishing(event: &HrmsEvent) -> (Span, Cow<'_, HrmsEvent>) {
    if !enabled() {
        return (Span::none(), Cow::Borrowed(event));
    }
    let topic = event.topic();
    let span = tracing::info_span!(
        "publish",
        otel.name = %format!("publish {topic}"),
        otel.kind = "producer",
        messaging.system = "kafka",
        messaging.destination.name = topic,
        messaging.message.id = %event.id,
        cloudevents.event_type = %event.event_type(),
        otel.status_code = tracing::field::Empty,
        otel.status_description = tracing::field::Empty,
    );
    continue_trace(&span, event.traceparent.as_deref());
    match traceparent_of(&span) {
        Some(tp) => (span, Cow::Owned(event.clone().with_traceparent(tp))),
        None => (span, Cow::Borrowed(event)),
    }
}

/// A consumer's handling of `event` (from `topic`), in the event's trace;
/// remembered for [`after`].
pub fn handling(handler: &str, topic: &str, event: &HrmsEvent) -> Span {
    if !enabled() {
        return Span::none();
    }
    let span = tracing::info_span!(
        "process",
        otel.name = %format!("{handler} process {topic}"),
        otel.kind = "consumer",
        messaging.system = "kafka",
        messaging.destination.name = topic,
        messaging.consumer.group.name = handler,
        messaging.message.id = %event.id,
        cloudevents.event_type = %event.event_type(),
        otel.status_code = tracing::field::Empty,
        otel.status_description = tracing::field::Empty,
    );
    continue_trace(&span, event.traceparent.as_deref());
    remember(event.id, &span);
    span
}

/// Marks `span` failed, with why.
pub fn failed(span: &Span, reason: &str) {
    span.record("otel.status_code", "ERROR");
    span.record("otel.status_description", reason);
}

/// `what` (e.g. `send email`) done for event `event_id` after its handling
/// (by a dispatcher): joins the handling's trace if this process handled
/// the event recently, else starts one.
pub fn after(what: &str, event_id: Uuid) -> Span {
    if !enabled() {
        return Span::none();
    }
    let span = tracing::info_span!(
        "after",
        otel.name = what,
        messaging.message.id = %event_id,
        otel.status_code = tracing::field::Empty,
        otel.status_description = tracing::field::Empty,
    );
    let traceparent = REMEMBERED.lock().ok().and_then(|r| r.by_event.get(&event_id).cloned());
    continue_trace(&span, traceparent.as_deref());
    span
}

/// A call out to another system (`system`: `smtp`, `webhook`) at `address`,
/// child of the current span.
pub fn outgoing(system: &str, operation: &str, address: &str) -> Span {
    if !enabled() {
        return Span::none();
    }
    tracing::info_span!(
        "outgoing",
        otel.name = %format!("{system} {operation}"),
        otel.kind = "client",
        server.address = address,
        otel.status_code = tracing::field::Empty,
        otel.status_description = tracing::field::Empty,
    )
}

/// How many handled events' spans are remembered for [`after`].
const REMEMBER: usize = 10_000;

#[derive(Default)]
struct Remembered {
    by_event: HashMap<Uuid, String>,
    order: VecDeque<Uuid>,
}

static REMEMBERED: std::sync::LazyLock<Mutex<Remembered>> = std::sync::LazyLock::new(Default::default);

fn remember(event_id: Uuid, span: &Span) {
    let Some(traceparent) = traceparent_of(span) else { return };
    let Ok(mut r) = REMEMBERED.lock() else { return };
    if r.by_event.insert(event_id, traceparent).is_none() {
        r.order.push_back(event_id);
    }
    while r.order.len() > REMEMBER {
        if let Some(old) = r.order.pop_front() {
            r.by_event.remove(&old);
        }
    }
}

#[cfg(test)]
mod tests {
    use hrms_events::{EventType, fixtures};
    use opentelemetry::trace::TracerProvider as _;
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    const CALLER: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    /// The trace id and span id of a `traceparent`.
    fn ids(traceparent: &str) -> (&str, &str) {
        let parts: Vec<&str> = traceparent.split('-').collect();
        (parts[1], parts[2])
    }

    #[test]
    fn a_callers_trace_goes_through_the_store_the_publish_the_handling_and_what_follows() {
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
        let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("test"));
        let _default = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
        enable();

        let request = http_server("POST", "/leaves", Some(CALLER));
        let stored =
            request.in_scope(|| stamped(&[fixtures::sample(EventType::LeaveRequested)]).into_owned());
        let stamped = stored[0].traceparent.clone().expect("stamped with the request's span");
        assert_eq!(ids(&stamped).0, ids(CALLER).0, "the caller's trace");
        assert_ne!(ids(&stamped).1, ids(CALLER).1, "the request's own span");

        let (publish, sent) = publishing(&stored[0]);
        let sent_with = sent.traceparent.clone().expect("the publish span");
        assert_eq!(ids(&sent_with).0, ids(CALLER).0);
        assert_ne!(ids(&sent_with).1, ids(&stamped).1);
        drop(publish);

        let handled = handling("notification", "notification-queue", &sent);
        let handling_tp = traceparent_of(&handled).expect("a span");
        assert_eq!(ids(&handling_tp).0, ids(CALLER).0);
        let later = after("send email", sent.id);
        assert_eq!(traceparent_of(&later).map(|t| ids(&t).0.to_owned()), Some(ids(CALLER).0.to_owned()));
        let unknown = after("send email", Uuid::now_v7());
        assert_ne!(traceparent_of(&unknown).map(|t| ids(&t).0.to_owned()), Some(ids(CALLER).0.to_owned()));

        // An event that already has a trace keeps it.
        let other = fixtures::sample(EventType::LeaveApproved).with_traceparent(CALLER);
        let kept = request.in_scope(|| super::stamped(std::slice::from_ref(&other)).into_owned());
        assert_eq!(kept[0].traceparent.as_deref(), Some(CALLER));
    }
}
