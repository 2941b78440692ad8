//! The Kafka event publisher: encodes with [`codec`](super::codec), enqueues
//! every record, then waits for each broker acknowledgement. Success is only
//! ever reported for acknowledged records.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use hrms_events::HrmsEvent;
use rdkafka::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::ToBytes;
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer};

use super::auth::KafkaContext;
use super::codec::EncodedRecord;
use super::config::KafkaConfig;
use hrms_platform::Chain;
use hrms_platform::publish::{EventPublisher, PublishError};

/// Publishes events to their topics (see `hrms_events::topics`).
///
/// A producer that hit a fatal error (for example a broker that lost its
/// idempotent-producer state) accepts nothing more; the publisher then
/// replaces it, and the records it failed are reported retryable.
#[derive(Clone)]
pub struct KafkaPublisher {
    inner: Arc<Inner>,
}

struct Inner {
    config: ClientConfig,
    context: KafkaContext,
    producer: RwLock<FutureProducer<KafkaContext>>,
    enqueue_timeout: Duration,
}

impl KafkaPublisher {
    pub fn new(config: &KafkaConfig) -> Result<Self, KafkaError> {
        Self::with_context(config, config.context()?)
    }

    /// A publisher whose producers are created with `context`.
    pub fn with_context(config: &KafkaConfig, context: KafkaContext) -> Result<Self, KafkaError> {
        let client_config = config.producer_config();
        let producer = client_config.create_with_context(context.clone())?;
        Ok(Self {
            inner: Arc::new(Inner {
                config: client_config,
                context,
                producer: RwLock::new(producer),
                enqueue_timeout: config.message_timeout,
            }),
        })
    }

    /// The current producer (for health checks).
    pub fn producer(&self) -> FutureProducer<KafkaContext> {
        self.inner.producer.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Enqueues one record, waiting while librdkafka's local queue is full.
    pub async fn enqueue<K, P>(&self, record: FutureRecord<'_, K, P>) -> Result<DeliveryFuture, PublishError>
    where
        K: ToBytes + ?Sized,
        P: ToBytes + ?Sized,
    {
        let started = Instant::now();
        let producer = self.producer();
        let mut record = record;
        loop {
            match producer.send_result(record) {
                Ok(delivery) => return Ok(delivery),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back))
                    if started.elapsed() < self.inner.enqueue_timeout =>
                {
                    record = back;
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                Err((e, _)) => return Err(self.failed(&e)),
            }
        }
    }

    /// Awaits the broker's acknowledgement of an enqueued record.
    pub async fn acknowledged(&self, delivery: DeliveryFuture) -> Result<(i32, i64), PublishError> {
        match delivery.await {
            Ok(Ok(d)) => Ok((d.partition, d.offset)),
            Ok(Err((e, _))) => Err(self.failed(&e)),
            Err(_) => Err(PublishError::Retryable {
                reason: "producer closed before the acknowledgement".into(),
                cause: None,
            }),
        }
    }

    /// Classifies a failure; replaces the producer if it is no longer usable.
    fn failed(&self, error: &KafkaError) -> PublishError {
        let mut producer = self.inner.producer.write().unwrap_or_else(|p| p.into_inner());
        let Some((code, reason)) = producer.client().fatal_error() else {
            return classify(error);
        };
        match self.inner.config.create_with_context(self.inner.context.clone()) {
            Ok(fresh) => {
                tracing::warn!(%code, %reason, "producer hit a fatal error; replaced it");
                metrics::counter!("hrms_producer_replaced_total").increment(1);
                *producer = fresh;
            }
            Err(e) => {
                tracing::error!(%code, %reason, error = %Chain(&e), "producer hit a fatal error and cannot be replaced")
            }
        }
        PublishError::retryable(format!("producer failed ({reason}); not stored"), error.clone())
    }

    /// Encodes `event` and enqueues it to `topic` (normally `event.topic()`;
    /// benchmarks use their own). Resolves to the acknowledgement's future.
    pub async fn send(&self, event: &HrmsEvent, topic: &str) -> Result<DeliveryFuture, PublishError> {
        let r = EncodedRecord::encode(event)
            .map_err(|e| PublishError::fatal(format!("cannot encode {}", event.id), e))?;
        self.enqueue(
            FutureRecord::to(topic).key(r.key.as_str()).payload(r.payload.as_slice()).headers(r.headers),
        )
        .await
    }

    /// Waits for everything enqueued to be acknowledged or to fail.
    pub fn flush(&self, timeout: Duration) -> Result<(), KafkaError> {
        self.producer().flush(timeout)
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
            | C::InvalidRequiredAcks,
        ) => false,
        Some(_) | None => true,
    };
    if retryable {
        PublishError::retryable("not stored by Kafka", error.clone())
    } else {
        PublishError::fatal("refused by Kafka", error.clone())
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
                    Ok(delivery) => self.acknowledged(delivery).await.map(|_| ()),
                    Err(e) => Err(e),
                };
                hrms_platform::publish::count(topic, started, &result);
                results.push(result);
            }
            results
        })
    }
}
