//! The AsyncAPI document of the system (`GET /asyncapi.json`, `hrms events
//! --asyncapi`): the event catalogue's (`hrms_events::asyncapi`), with the
//! consumers of [`CONSUMERS`] as the readers of the topics.

use hrms_events::asyncapi::Reader;
use hrms_events::topics::TopicSpec;
use serde_json::Value;

use super::consumers::CONSUMERS;

/// Each consumer on each of its topics.
pub fn readers() -> Vec<Reader> {
    CONSUMERS
        .iter()
        .flat_map(|c| {
            c.topics.iter().filter_map(|name| TopicSpec::by_name(name)).map(|topic| Reader {
                function: c.function,
                topic,
                group: c.group,
                types: c.event_types().into_iter().filter(|t| t.topic() == topic).collect(),
            })
        })
        .collect()
}

/// The document of this release.
pub fn document() -> Value {
    hrms_events::asyncapi::document(env!("CARGO_PKG_VERSION"), &readers())
}
