//! The token as MSK reads it, from credentials given to the signer (the
//! process environment is left alone), and librdkafka's clients asking for
//! it. No MSK here: the broker's check of the signature is not tested.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use base64::Engine;
use base64::prelude::BASE64_URL_SAFE_NO_PAD;
use rdkafka::admin::AdminClient;
use rdkafka::consumer::{Consumer, StreamConsumer};

use super::*;
use crate::auth::{AWS_MSK_IAM, KafkaContext};
use crate::consumer::CommitReporter;
use crate::{ConsumerSettings, KafkaConfig, KafkaPublisher};

const KEY_ID: &str = "AKIAHRMSTESTONLY0000";
const SECRET: &str = "hrms-test-secret-not-a-real-one";

fn signer() -> Signer {
    let credentials = Credentials::new(KEY_ID, SECRET, None, None, "hrms-test");
    Signer::with_credentials("eu-west-1", SharedCredentialsProvider::new(credentials)).expect("a signer")
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_millis() as i64
}

/// MSK with IAM behind a closed port of this machine.
fn msk_config() -> KafkaConfig {
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a port").port();
    let mut config = KafkaConfig::new(format!("127.0.0.1:{port}"));
    config.security.sasl_mechanism = Some(AWS_MSK_IAM.into());
    config.security.aws_region = Some("eu-west-1".into());
    config
}

#[test]
fn a_token_is_a_presigned_connect_request_to_the_regions_msk() {
    let token = signer().token().expect("a token");
    let url = BASE64_URL_SAFE_NO_PAD.decode(&token.value).expect("base64url without padding");
    let url = url::Url::parse(std::str::from_utf8(&url).expect("text")).expect("a URL");
    assert_eq!((url.scheme(), url.host_str()), ("https", Some("kafka.eu-west-1.amazonaws.com")));
    let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(query.get("Action").map(String::as_str), Some("kafka-cluster:Connect"));
    assert_eq!(query.get("X-Amz-Algorithm").map(String::as_str), Some("AWS4-HMAC-SHA256"));
    assert_eq!(query.get("X-Amz-Expires").map(String::as_str), Some("900"));
    let credential = query.get("X-Amz-Credential").expect("X-Amz-Credential");
    assert!(credential.starts_with(&format!("{KEY_ID}/")), "{credential}");
    assert!(credential.ends_with("/eu-west-1/kafka-cluster/aws4_request"), "{credential}");
    let signature = query.get("X-Amz-Signature").expect("X-Amz-Signature");
    assert!(signature.len() == 64 && signature.chars().all(|c| c.is_ascii_hexdigit()), "{signature}");
    assert!(!url.as_str().contains(SECRET), "the secret key never leaves the signer");

    let now = now_ms();
    assert!(token.expires_ms > now, "expires in the future");
    assert!(token.expires_ms <= now + 15 * 60 * 1000, "within 15 minutes");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_publishers_producer_asks_the_context_for_tokens() {
    let config = msk_config();
    let client = config.producer_config();
    assert_eq!(client.get("sasl.mechanism"), Some("OAUTHBEARER"));
    assert_eq!(client.get("security.protocol"), Some("SASL_SSL"));
    let signer = Arc::new(signer());
    let publisher =
        KafkaPublisher::with_context(&config, KafkaContext::with_signer(signer.clone())).expect("a producer");
    // librdkafka asks at start, on the producer's polling thread, without
    // reaching any broker.
    hrms_platform::testing::until(Duration::from_secs(10), || signer.issued() >= 1).await;
    drop(publisher);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_asked_on_a_tokio_worker_is_made_off_it() {
    let signer = Arc::new(signer());
    let asked = signer.clone();
    // As a stream consumer's poll would: on a worker of the runtime.
    let token = tokio::spawn(async move { asked.token().map(|t| t.expires_ms) }).await.expect("the task");
    assert!(token.expect("a token") > now_ms());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_consumer_asks_its_context_for_tokens_as_it_polls_on_a_tokio_worker() {
    let config = msk_config();
    let signer = Arc::new(signer());
    let context = CommitReporter::new("audit-service", KafkaContext::with_signer(signer.clone()));
    let consumer: StreamConsumer<CommitReporter> = config
        .consumer_config(&ConsumerSettings::new("audit-service"))
        .create_with_context(context)
        .expect("a consumer");
    consumer.subscribe(&["audit-queue"]).expect("subscribed");
    let polling = async {
        loop {
            let _ = consumer.recv().await;
        }
    };
    tokio::select! {
        () = polling => {}
        () = hrms_platform::testing::until(Duration::from_secs(10), || signer.issued() >= 1) => {}
    }
}

#[test]
fn the_admin_client_gets_its_token_and_librdkafka_takes_it() {
    let config = msk_config();
    let context = KafkaContext::with_signer(Arc::new(signer()));
    let admin: AdminClient<KafkaContext> =
        config.admin_config().create_with_context(context.clone()).expect("an admin client");
    context.prime(admin.inner()).expect("librdkafka takes the token");
}
