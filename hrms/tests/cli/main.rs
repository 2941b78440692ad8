//! The `hrms` command and the process it assembles, by feature.
//!
//! Where HTTP is the subject (`api_*`, `audit`, `token`), the process runs
//! in the test ([`app::spawn_app`]: a random port, a fresh data directory,
//! the real router and stores, events on an in-process bus). Where the
//! binary is, it runs as a child ([`binary::Dev`]): `dev` and its SIGTERM,
//! `serve` and the functions apart, what they take from the environment
//! (channels, KafkaSinks, an identity provider), `token`, `topics`,
//! `audit`, `dlq`, and the runs on Kafka and DynamoDB. Scenarios shared by
//! both take a [`running::Running`].

mod app;
mod binary;
mod client;
mod fixtures;
mod running;
mod wait;

mod apart;
mod api_attendance;
mod api_compliance;
mod api_leave;
mod api_leave_policy;
mod api_notifications;
mod api_openapi;
mod api_overtime;
mod api_reassign;
mod api_termination;
mod api_users;
mod asyncapi;
mod audit;
mod channels;
mod dev;
mod dlq;
mod dynamodb;
mod fuzz_openapi;
mod kafka;
mod lambda;
mod lambda_api;
mod revocation;
mod serve;
mod tail;
mod token;
mod topics;
mod traces;
