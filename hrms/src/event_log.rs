//! The event log of `hrms dev`: a handler that writes every event it reads
//! as one log line, so a newcomer sees what flows on the topics.

use futures::future::BoxFuture;
use hrms_platform::{Delivery, Handler, HandlerError};

/// Logs each event: type, id, subject, partition key, actor, position.
pub struct EventLog;

impl Handler for EventLog {
    fn name(&self) -> &str {
        "event-log"
    }

    fn handle<'a>(&'a self, batch: &'a [Delivery]) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            for d in batch {
                let e = &d.event;
                tracing::info!(
                    target: "hrms::events",
                    r#type = e.event_type().as_str(),
                    id = %e.id,
                    subject = %e.subject(),
                    partitionkey = %e.partition_key(),
                    actor = %e.actor,
                    topic = %d.topic,
                    partition = d.partition,
                    offset = d.offset,
                    "event"
                );
            }
            Ok(())
        })
    }
}
