//! End-to-end tests on a real Kafka-protocol broker (tansu), one broker per
//! test. Run them with `tests/run`, which installs and starts what they need.

mod audit;
mod consumer;
mod durability;
mod independent_reader;
mod notification;
mod notify_channels;
mod notify_dispatch;
mod notify_pool;
mod outbox;
mod redrive;
mod round_trip;
mod topics;
mod versions;
