//! The Kafka event publisher: encodes with [`codec`](super::codec), enqueues
//! every record, then waits for each broker acknowledgement. Success is only
//! ever reported for acknowledged records.

use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use hrms_events::HrmsEvent;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::ToBytes;
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer};

use super::codec::EncodedRecord;
use super::config::KafkaConfig;
use crate::publish::{EventPublisher, PublishError};

/// Publishes events to their topics (see `hrms_events::topics`).
#[derive(Clone)]
pub struct KafkaPublisher {
    producer: FutureProducer,
    enqueue_timeout: Duration,
}

impl KafkaPublisher {
    pub fn new(config: &KafkaConfig) -> Result<Self, KafkaError> {
        Ok(Self { producer: config.producer_config().create()?, enqueue_timeout: config.message_timeout })
    }

    /// The underlying producer (for dead letters and benchmarks).
    pub fn producer(&self) -> &FutureProducer {
        &self.producer
    }

    /// Enqueues one record, waiting while librdkafka's local queue is full.
    pub async fn enqueue<K, P>(&self, record: FutureRecord<'_, K, P>) -> Result<DeliveryFuture, PublishError>
    where
        K: ToBytes + ?Sized,
        P: ToBytes + ?Sized,
    {
        let started = Instant::now();
        let mut record = record;
        loop {
            match self.producer.send_result(record) {
                Ok(delivery) => return Ok(delivery),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back))
                    if started.elapsed() < self.enqueue_timeout =>
                {
                    record = back;
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                Err((e, _)) => return Err(classify(&e)),
            }
        }
    }

    /// Encodes `event` and enqueues it to `topic` (normally `event.topic()`;
    /// benchmarks use their own). Resolves to the acknowledgement's future.
    pub async fn send(&self, event: &HrmsEvent, topic: &str) -> Result<DeliveryFuture, PublishError> {
        let r = EncodedRecord::encode(event)
            .map_err(|e| PublishError::Fatal(format!("cannot encode {}: {e}", event.id)))?;
        self.enqueue(
            FutureRecord::to(topic).key(r.key.as_str()).payload(r.payload.as_slice()).headers(r.headers),
        )
        .await
    }

    /// Waits for everything enqueued to be acknowledged or to fail.
    pub fn flush(&self, timeout: Duration) -> Result<(), KafkaError> {
        self.producer.flush(timeout)
    }
}

/// Awaits one acknowledgement.
pub async fn acknowledged(delivery: DeliveryFuture) -> Result<(i32, i64), PublishError> {
    match delivery.await {
        Ok(Ok(d)) => Ok((d.partition, d.offset)),
        Ok(Err((e, _))) => Err(classify(&e)),
        Err(_) => Err(PublishError::Retryable("producer closed before the acknowledgement".into())),
    }
}

/// Sorts a librdkafka error into retry-later or never.
pub fn classify(error: &KafkaError) -> PublishError {
    use RDKafkaErrorCode as C;
    let retryable = match error.rdkafka_error_code() {
        Some(
            C::MessageSizeTooLarge
            | C::InvalidMessage
            | C::InvalidMessageSize
            | C::TopicAuthorizationFailed
            | C::ClusterAuthorizationFailed
            | C::InvalidRecord
            | C::UnsupportedForMessageFormat
            | C::InvalidRequiredAcks
            | C::Fatal,
        ) => false,
        Some(_) | None => true,
    };
    if retryable {
        PublishError::Retryable(error.to_string())
    } else {
        PublishError::Fatal(error.to_string())
    }
}

impl EventPublisher for KafkaPublisher {
    fn publish<'a>(&'a self, events: &'a [HrmsEvent]) -> BoxFuture<'a, Vec<Result<(), PublishError>>> {
        Box::pin(async move {
            let started = Instant::now();
            let mut pending = Vec::with_capacity(events.len());
            for event in events {
                pending.push((event.topic(), self.send(event, event.topic()).await));
            }
            let mut results = Vec::with_capacity(events.len());
            for (topic, enqueued) in pending {
                let result = match enqueued {
                    Ok(delivery) => acknowledged(delivery).await.map(|_| ()),
                    Err(e) => Err(e),
                };
                match &result {
                    Ok(()) => {
                        metrics::counter!("hrms_events_published_total", "topic" => topic).increment(1);
                        metrics::histogram!("hrms_publish_ack_seconds", "topic" => topic)
                            .record(started.elapsed().as_secs_f64());
                    }
                    Err(e) => {
                        let kind = if e.is_retryable() { "retryable" } else { "fatal" };
                        metrics::counter!("hrms_publish_failures_total", "topic" => topic, "kind" => kind)
                            .increment(1);
                    }
                }
                results.push(result);
            }
            results
        })
    }
}
