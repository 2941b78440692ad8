//! Kafka client configuration: one documented struct per role, read from the
//! environment, turned into librdkafka settings in one place.

use std::time::Duration;

use rdkafka::ClientConfig;

use hrms_platform::consume::RetryPolicy;

use super::auth::{AuthError, KafkaContext};

/// How to reach the cluster, shared by producers, consumers and admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaConfig {
    /// `KAFKA_BOOTSTRAP_SERVERS`: comma-separated `host:port` list.
    pub bootstrap_servers: String,
    /// `KAFKA_CLIENT_ID`: shows in broker logs and quotas.
    pub client_id: String,
    /// `KAFKA_MESSAGE_TIMEOUT_MS`: how long the producer keeps trying to
    /// deliver one record before reporting it failed (default 30 s).
    pub message_timeout: Duration,
    /// `KAFKA_LINGER_MS`: how long the producer waits to fill a batch (default 5 ms).
    pub linger: Duration,
    /// `KAFKA_DEBUG`: librdkafka debug contexts (e.g. `eos,msg,cgrp`), logged
    /// through tracing at debug level.
    pub debug: Option<String>,
    /// How to authenticate and encrypt (unset: plaintext, no authentication).
    pub security: Security,
}

/// `KAFKA_SECURITY_PROTOCOL` (`SASL_SSL`, `SSL`, `SASL_PLAINTEXT`),
/// `KAFKA_SASL_MECHANISM` (e.g. `SCRAM-SHA-512`, as Strimzi's KafkaUsers,
/// or `AWS_MSK_IAM`: see [`auth`](super::auth)), `KAFKA_SASL_USERNAME`,
/// `KAFKA_SASL_PASSWORD` and `KAFKA_SSL_CA_LOCATION` (the cluster CA's PEM
/// file). `Debug` never shows the password.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Security {
    pub protocol: Option<String>,
    pub sasl_mechanism: Option<String>,
    pub sasl_username: Option<String>,
    pub sasl_password: Option<String>,
    pub ssl_ca_location: Option<String>,
    /// `AWS_REGION` (else `AWS_DEFAULT_REGION`): the MSK cluster's, for `AWS_MSK_IAM`.
    pub aws_region: Option<String>,
}

impl std::fmt::Debug for Security {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Security")
            .field("protocol", &self.protocol)
            .field("sasl_mechanism", &self.sasl_mechanism)
            .field("sasl_username", &self.sasl_username)
            .field("sasl_password", &self.sasl_password.as_ref().map(|_| "<redacted>"))
            .field("ssl_ca_location", &self.ssl_ca_location)
            .field("aws_region", &self.aws_region)
            .finish()
    }
}

impl Security {
    fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Self {
            protocol: var("KAFKA_SECURITY_PROTOCOL"),
            sasl_mechanism: var("KAFKA_SASL_MECHANISM"),
            sasl_username: var("KAFKA_SASL_USERNAME"),
            sasl_password: var("KAFKA_SASL_PASSWORD"),
            ssl_ca_location: var("KAFKA_SSL_CA_LOCATION"),
            aws_region: var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")),
        }
    }

    fn apply(&self, c: &mut ClientConfig) {
        if self.msk_iam() {
            // OAUTHBEARER tokens from the clients' context (`auth`), over TLS.
            let protocol = self.protocol.as_deref().unwrap_or("SASL_SSL");
            c.set("security.protocol", protocol).set("sasl.mechanism", "OAUTHBEARER");
            if let Some(ca) = &self.ssl_ca_location {
                c.set("ssl.ca.location", ca);
            }
            return;
        }
        for (key, value) in [
            ("security.protocol", &self.protocol),
            ("sasl.mechanism", &self.sasl_mechanism),
            ("sasl.username", &self.sasl_username),
            ("sasl.password", &self.sasl_password),
            ("ssl.ca.location", &self.ssl_ca_location),
        ] {
            if let Some(value) = value {
                c.set(key, value);
            }
        }
    }
}

/// The longest wait between reconnects to a broker (librdkafka's default
/// is 10 s).
const RECONNECT_BACKOFF_MAX_MS: &str = "1000";

impl KafkaConfig {
    /// A configuration for `bootstrap_servers` with the defaults.
    pub fn new(bootstrap_servers: impl Into<String>) -> Self {
        Self {
            bootstrap_servers: bootstrap_servers.into(),
            client_id: "hrms".into(),
            message_timeout: Duration::from_secs(30),
            linger: Duration::from_millis(5),
            debug: None,
            security: Security::default(),
        }
    }

    /// Reads `KAFKA_*` variables; `None` when `KAFKA_BOOTSTRAP_SERVERS` is unset.
    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        let Some(servers) = std::env::var("KAFKA_BOOTSTRAP_SERVERS").ok().filter(|s| !s.trim().is_empty())
        else {
            return Ok(None);
        };
        let mut config = Self::new(servers);
        if let Ok(id) = std::env::var("KAFKA_CLIENT_ID") {
            config.client_id = id;
        }
        if let Some(ms) = env_millis("KAFKA_MESSAGE_TIMEOUT_MS")? {
            config.message_timeout = ms;
        }
        if let Some(ms) = env_millis("KAFKA_LINGER_MS")? {
            config.linger = ms;
        }
        config.debug = std::env::var("KAFKA_DEBUG").ok().filter(|d| !d.is_empty());
        config.security = Security::from_env();
        checked(&config.security)?;
        Ok(Some(config))
    }

    fn base(&self) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &self.bootstrap_servers).set("client.id", &self.client_id);
        // librdkafka waits up to 10 s between reconnects to a lost broker
        // (Java clients 1 s): a broker back after a restart would then be
        // seen seconds late by every producer and consumer.
        c.set("reconnect.backoff.max.ms", RECONNECT_BACKOFF_MAX_MS);
        if let Some(debug) = &self.debug {
            c.set("debug", debug);
        }
        self.security.apply(&mut c);
        c
    }

    /// A producer that loses nothing it reported sent: idempotent, `acks=all`,
    /// bounded delivery time, lz4-compressed batches.
    pub fn producer_config(&self) -> ClientConfig {
        let mut c = self.base();
        c.set("enable.idempotence", "true")
            .set("acks", "all")
            .set("compression.type", "lz4")
            .set("message.timeout.ms", self.message_timeout.as_millis().to_string())
            .set("linger.ms", self.linger.as_millis().to_string());
        c
    }

    /// A consumer of group `settings.group_id` that commits only what its
    /// handler finished.
    pub fn consumer_config(&self, settings: &ConsumerSettings) -> ClientConfig {
        let mut c = self.base();
        c.set("group.id", &settings.group_id)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("session.timeout.ms", settings.session_timeout.as_millis().to_string())
            .set("max.poll.interval.ms", settings.max_poll_interval.as_millis().to_string())
            .set("fetch.wait.max.ms", settings.fetch_wait.as_millis().to_string())
            .set("statistics.interval.ms", settings.statistics_interval.as_millis().to_string());
        if let Some(id) = &settings.group_instance_id {
            c.set("group.instance.id", id);
        }
        c
    }

    /// An admin client.
    pub fn admin_config(&self) -> ClientConfig {
        self.base()
    }

    /// The context every client of this configuration is created with
    /// (`create_with_context`): it authenticates them where settings alone
    /// cannot (`AWS_MSK_IAM`).
    pub fn context(&self) -> Result<KafkaContext, AuthError> {
        KafkaContext::new(&self.security)
    }
}

/// How a consumer group reads, batches and retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerSettings {
    pub group_id: String,
    /// Up to this many records per batch (default 500).
    pub max_records: usize,
    /// ... or what arrived within this long of the batch's first record
    /// (default 10 ms: at low rates every event waits it whole; at high
    /// rates a batch is what the fetches brought meanwhile, up to `max_records`).
    pub max_wait: Duration,
    /// Retries of a failing handler before the record is dead-lettered.
    pub retry: RetryPolicy,
    /// `session.timeout.ms` (default 45 s; tests use 6 s for quick joins).
    pub session_timeout: Duration,
    /// `max.poll.interval.ms` (default 300 s). Must exceed the worst batch
    /// time: all retries of a batch and then of each record.
    pub max_poll_interval: Duration,
    /// `fetch.wait.max.ms` (default 50 ms; librdkafka's is 500 ms): how
    /// long the broker may hold a fetch that finds no new record. Kafka
    /// answers a held fetch as soon as a record arrives; tansu only when it
    /// expires, even with records found at once, which adds this much or
    /// more to an event's way to its consumer. Shorter costs an idle broker more fetches (tansu on SQLite:
    /// about 10 % of a core per idle member at 50 ms, 2 % at 500 ms).
    pub fetch_wait: Duration,
    /// `statistics.interval.ms` (default 5 s; 0 turns statistics off): how
    /// often librdkafka reports, among others, the consumer lag that becomes
    /// `hrms_consumer_lag`.
    pub statistics_interval: Duration,
    /// `group.instance.id` (default none): static membership. A member that
    /// restarts with the same id takes its partitions back at once instead
    /// of after the session timeout of its dead predecessor; the id must be
    /// unique per replica of a group and the same across its restarts.
    pub group_instance_id: Option<String>,
}

impl ConsumerSettings {
    pub fn new(group_id: impl Into<String>) -> Self {
        Self {
            group_id: group_id.into(),
            max_records: 500,
            max_wait: Duration::from_millis(10),
            retry: RetryPolicy::default(),
            session_timeout: Duration::from_secs(45),
            max_poll_interval: Duration::from_secs(300),
            fetch_wait: Duration::from_millis(50),
            statistics_interval: Duration::from_secs(5),
            group_instance_id: None,
        }
    }
}

impl ConsumerSettings {
    /// The defaults for `group_id`, overridden by `KAFKA_SESSION_TIMEOUT_MS`,
    /// `KAFKA_MAX_POLL_INTERVAL_MS`, `KAFKA_FETCH_WAIT_MAX_MS`, `KAFKA_STATISTICS_INTERVAL_MS`,
    /// `KAFKA_GROUP_INSTANCE_ID`, `HRMS_BATCH_MAX_RECORDS` and `HRMS_BATCH_MAX_WAIT_MS`.
    pub fn from_env(group_id: impl Into<String>) -> Result<Self, ConfigError> {
        let mut settings = Self::new(group_id);
        if let Some(t) = env_millis("KAFKA_SESSION_TIMEOUT_MS")? {
            settings.session_timeout = t;
        }
        if let Some(t) = env_millis("KAFKA_MAX_POLL_INTERVAL_MS")? {
            settings.max_poll_interval = t;
        }
        if let Some(t) = env_millis("KAFKA_FETCH_WAIT_MAX_MS")? {
            settings.fetch_wait = t;
        }
        if let Some(t) = env_millis("KAFKA_STATISTICS_INTERVAL_MS")? {
            settings.statistics_interval = t;
        }
        if let Some(t) = env_millis("HRMS_BATCH_MAX_WAIT_MS")? {
            settings.max_wait = t;
        }
        settings.group_instance_id = std::env::var("KAFKA_GROUP_INSTANCE_ID")
            .ok()
            .map(|id| id.trim().to_owned())
            .filter(|id| !id.is_empty());
        if let Ok(n) = std::env::var("HRMS_BATCH_MAX_RECORDS") {
            settings.max_records = n.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| ConfigError {
                name: "HRMS_BATCH_MAX_RECORDS",
                reason: format!("{n:?} is not a positive number"),
            })?;
        }
        Ok(settings)
    }
}

/// A configuration value that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub reason: String,
}

/// Whether this build can authenticate as `security` says, as a setting's error.
fn checked(security: &Security) -> Result<(), ConfigError> {
    security.check().map_err(|e| ConfigError {
        name: if matches!(e, AuthError::NoRegion) { "AWS_REGION" } else { "KAFKA_SASL_MECHANISM" },
        reason: e.to_string(),
    })
}

fn env_millis(name: &'static str) -> Result<Option<Duration>, ConfigError> {
    match std::env::var(name) {
        Err(_) => Ok(None),
        Ok(v) => v
            .trim()
            .parse::<u64>()
            .map(|ms| Some(Duration::from_millis(ms)))
            .map_err(|_| ConfigError { name, reason: format!("{v:?} is not a number of milliseconds") }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_producer_is_durable_and_bounded() {
        let c = KafkaConfig::new("127.0.0.1:9092").producer_config();
        assert_eq!(c.get("enable.idempotence"), Some("true"));
        assert_eq!(c.get("acks"), Some("all"));
        assert_eq!(c.get("compression.type"), Some("lz4"));
        assert_eq!(c.get("message.timeout.ms"), Some("30000"));
    }

    #[test]
    fn every_client_retries_a_lost_broker_at_least_every_second() {
        let config = KafkaConfig::new("127.0.0.1:9092");
        let settings = ConsumerSettings::new("hrms-audit");
        for c in [config.producer_config(), config.consumer_config(&settings), config.admin_config()] {
            assert_eq!(c.get("reconnect.backoff.max.ms"), Some("1000"));
        }
    }

    #[test]
    fn scram_over_tls_is_set_on_every_client_and_the_password_never_shows() {
        let mut config = KafkaConfig::new("hrms-kafka-bootstrap:9093");
        config.security = Security {
            protocol: Some("SASL_SSL".into()),
            sasl_mechanism: Some("SCRAM-SHA-512".into()),
            sasl_username: Some("hrms-audit".into()),
            sasl_password: Some("s3cr3t-from-the-kafkauser".into()),
            ssl_ca_location: Some("/etc/kafka/ca.crt".into()),
            aws_region: None,
        };
        for c in [
            config.producer_config(),
            config.consumer_config(&ConsumerSettings::new("g")),
            config.admin_config(),
        ] {
            assert_eq!(c.get("security.protocol"), Some("SASL_SSL"));
            assert_eq!(c.get("sasl.mechanism"), Some("SCRAM-SHA-512"));
            assert_eq!(c.get("sasl.password"), Some("s3cr3t-from-the-kafkauser"));
        }
        // librdkafka takes the settings (it is built with TLS and SCRAM);
        // without a CA file, the system's CAs.
        let mut system_cas = config.clone();
        system_cas.security.ssl_ca_location = None;
        let producer: Result<rdkafka::producer::FutureProducer, _> = system_cas.producer_config().create();
        assert!(producer.is_ok(), "{:?}", producer.err());
        assert!(!format!("{config:?}").contains("s3cr3t"));
    }

    fn msk_iam(region: Option<&str>) -> KafkaConfig {
        let mut config = KafkaConfig::new("b-1.hrms.kafka.eu-west-1.amazonaws.com:9098");
        config.security.sasl_mechanism = Some("AWS_MSK_IAM".into());
        config.security.aws_region = region.map(str::to_owned);
        config
    }

    #[cfg(feature = "msk-iam")]
    #[test]
    fn msk_iam_is_oauthbearer_over_tls_on_every_client() {
        let mut config = msk_iam(Some("eu-west-1"));
        assert!(checked(&config.security).is_ok());
        for c in [
            config.producer_config(),
            config.consumer_config(&ConsumerSettings::new("g")),
            config.admin_config(),
        ] {
            assert_eq!(c.get("security.protocol"), Some("SASL_SSL"));
            assert_eq!(c.get("sasl.mechanism"), Some("OAUTHBEARER"));
            assert_eq!(c.get("sasl.username"), None);
        }
        config.security.protocol = Some("SASL_PLAINTEXT".into());
        assert_eq!(config.admin_config().get("security.protocol"), Some("SASL_PLAINTEXT"), "as set");
    }

    #[cfg(feature = "msk-iam")]
    #[test]
    fn msk_iam_without_a_region_fails_at_start() {
        let error = checked(&msk_iam(None).security).expect_err("no region");
        assert_eq!(error.name, "AWS_REGION");
        assert!(msk_iam(None).context().is_err());
    }

    #[cfg(not(feature = "msk-iam"))]
    #[test]
    fn msk_iam_on_a_build_without_it_fails_at_start_naming_the_setting_and_the_feature() {
        let config = msk_iam(Some("eu-west-1"));
        let error = checked(&config.security).expect_err("not built");
        assert_eq!(error.name, "KAFKA_SASL_MECHANISM");
        assert!(error.to_string().contains("KAFKA_SASL_MECHANISM=AWS_MSK_IAM"), "{error}");
        assert!(error.to_string().contains("msk-iam feature"), "{error}");
        let created = crate::KafkaPublisher::new(&config).err().expect("no producer");
        assert!(created.to_string().contains("msk-iam feature"), "{created}");
    }

    #[test]
    fn the_consumer_commits_by_hand() {
        let c = KafkaConfig::new("b:9092").consumer_config(&ConsumerSettings::new("audit-service"));
        assert_eq!(c.get("group.id"), Some("audit-service"));
        assert_eq!(c.get("enable.auto.commit"), Some("false"));
        assert_eq!(c.get("enable.auto.offset.store"), Some("false"));
        assert_eq!(c.get("group.instance.id"), None, "dynamic membership unless asked");
    }

    #[test]
    fn a_group_instance_id_makes_the_member_static() {
        let settings = ConsumerSettings {
            group_instance_id: Some("audit-0".into()),
            ..ConsumerSettings::new("audit-service")
        };
        let c = KafkaConfig::new("b:9092").consumer_config(&settings);
        assert_eq!(c.get("group.instance.id"), Some("audit-0"));
    }

    #[test]
    fn the_consumer_reports_statistics_for_its_lag() {
        let mut settings = ConsumerSettings::new("audit-service");
        let c = KafkaConfig::new("b:9092").consumer_config(&settings);
        assert_eq!(c.get("statistics.interval.ms"), Some("5000"));
        settings.statistics_interval = Duration::ZERO;
        let c = KafkaConfig::new("b:9092").consumer_config(&settings);
        assert_eq!(c.get("statistics.interval.ms"), Some("0"), "off");
    }
}
