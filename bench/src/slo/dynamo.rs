//! The DynamoDB side of an `slo` run (`--store dynamodb`): moto's server as
//! one more process of the topology, the environment that puts every
//! function's store in a table on it, and what the functions recorded read
//! back from their tables.
//!
//! The layouts read are the adapters' (documented in their modules): the
//! outbox is partition `OUTBOX` of each function's table (read with
//! [`hrms_dynamodb::query_partition`], as the relay reads it); the audit
//! log's rows are the items with sort key `SEQ#…` of table `audit`
//! (`hrms_audit_adapters::dynamodb`); the deliveries the items
//! `DELIVERY#<id>`/`DELIVERY` of table `notification`, each holding its
//! [`Delivery`] as JSON (`hrms_notification_adapters::dynamodb`). Neither
//! adapter lists every row or delivery in one read (the audit log's own
//! `every_chain` makes a query per subject), so those two are scans, made
//! strongly consistent and projected on the attributes counted.
//!
//! moto checks the stores' behaviour, not their speed: it copies a table
//! at the start of each transaction on it (so a write costs more as the
//! table grows) and serves every table from one Python process, so its
//! latencies are its own, and it keeps up with a few operations a second
//! on a small population only.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::AttributeValue;
use hrms_dynamodb::outbox::OUTBOX_PK;
use hrms_dynamodb::{Item, query_partition, string};
use hrms_notification::{Channel, Delivery};

use super::records::{Audited, time};
use super::topology::{FUNCTIONS, Proc, free_port};

/// The functions' tables are `slo-<function>`.
const TABLE_PREFIX: &str = "slo-";
/// The region and credentials moto is given and asked with (it takes any).
const REGION: &str = "us-east-1";
const KEY: &str = "testing";

/// moto's server (`$HRMS_TEST_MOTO`) on a free loopback port, its data in
/// memory: a restart loses it.
pub fn moto(logs: &Path) -> anyhow::Result<Proc> {
    let bin = moto_bin()?;
    let port = free_port()?;
    Ok(Proc::new("moto", port, logs, move || {
        let mut command = Command::new(&bin);
        command.args(["-H", "127.0.0.1", "-p", &port.to_string()]).envs(credentials());
        command
    }))
}

/// `$HRMS_TEST_MOTO`, or why there is none.
pub fn moto_bin() -> anyhow::Result<PathBuf> {
    std::env::var_os("HRMS_TEST_MOTO").map(PathBuf::from).context(
        "HRMS_TEST_MOTO is not set (a moto_server binary; tests/run installs one into the test venv); \
         --store dynamodb runs the functions on it",
    )
}

/// The endpoint of moto listening on `port`.
pub fn endpoint(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

/// Dummy credentials and a region, for moto and the functions.
fn credentials() -> [(String, String); 4] {
    [
        ("AWS_ACCESS_KEY_ID".into(), KEY.into()),
        ("AWS_SECRET_ACCESS_KEY".into(), KEY.into()),
        ("AWS_REGION".into(), REGION.into()),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
    ]
}

/// What puts a function's store in its table at `endpoint` (`hrms serve`
/// and `hrms dev` alike; each creates its tables at start). moto cannot
/// take concurrent transactions on one table: the audit log writes one
/// subject at a time, the Notification function one write (as in the
/// functions' own tests on moto).
pub fn env(endpoint: &str) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = [
        ("HRMS_STORE", "dynamodb"),
        ("HRMS_DYNAMODB_ENDPOINT", endpoint),
        ("HRMS_DYNAMODB_TABLE_PREFIX", TABLE_PREFIX),
        ("HRMS_DYNAMODB_AUDIT_WRITERS", "1"),
        ("HRMS_DYNAMODB_NOTIFICATION_WRITERS", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    env.extend(credentials());
    env
}

/// The functions' tables on moto, read by the benchmark.
#[derive(Clone)]
pub struct Tables {
    client: Client,
}

impl Tables {
    /// A client of `endpoint` with the dummy credentials (on the client,
    /// not in the benchmark's environment).
    pub fn new(endpoint: &str) -> Self {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .credentials_provider(Credentials::new(KEY, KEY, None, None, "hrms-bench"))
            .endpoint_url(endpoint)
            .build();
        Self { client: Client::from_conf(config) }
    }

    fn table(function: &str) -> String {
        format!("{TABLE_PREFIX}{function}")
    }

    /// Every item of `function`'s table that passes `filter`, with the
    /// attributes of `projection`, read strongly consistently.
    async fn scan(
        &self,
        function: &str,
        filter: &str,
        values: &[(&str, &str)],
        projection: &str,
        names: &[(&str, &str)],
    ) -> anyhow::Result<Vec<Item>> {
        let table = Self::table(function);
        let (mut items, mut start) = (Vec::new(), None);
        loop {
            let mut scan = self
                .client
                .scan()
                .table_name(&table)
                .consistent_read(true)
                .filter_expression(filter)
                .projection_expression(projection)
                .set_exclusive_start_key(start);
            for (name, value) in values {
                scan = scan.expression_attribute_values(*name, AttributeValue::S((*value).to_owned()));
            }
            for (alias, name) in names {
                scan = scan.expression_attribute_names(*alias, *name);
            }
            let page = scan.send().await.with_context(|| format!("scanning {table}"))?;
            items.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// Every row of the audit log (items `SUBJECT#<subject>`/`SEQ#<seq>`).
    pub async fn audit_log(&self) -> anyhow::Result<Vec<Audited>> {
        let items = self
            .scan(
                "audit",
                "begins_with(sk, :row)",
                &[(":row", "SEQ#")],
                "event_id, #t, recorded_at",
                &[("#t", "time")],
            )
            .await?;
        let mut rows = Vec::with_capacity(items.len());
        for item in &items {
            let text = |name| string(item, name).with_context(|| format!("an audit row's {name}"));
            let (Some(time), Some(recorded_at)) = (time(text("time")?), time(text("recorded_at")?)) else {
                continue; // as the SQLite reader: a row with unreadable times is not counted
            };
            rows.push(Audited { event_id: text("event_id")?.to_owned(), time, recorded_at });
        }
        Ok(rows)
    }

    /// E-mail deliveries by status (items `DELIVERY#<id>`/`DELIVERY`).
    pub async fn email_deliveries(&self) -> anyhow::Result<BTreeMap<String, usize>> {
        let items = self
            .scan(
                "notification",
                "begins_with(pk, :delivery) AND sk = :item",
                &[(":delivery", "DELIVERY#"), (":item", "DELIVERY")],
                "#r",
                &[("#r", "record")],
            )
            .await?;
        let mut statuses = BTreeMap::new();
        for item in &items {
            let record = string(item, "record").context("a delivery's record")?;
            let delivery: Delivery = serde_json::from_str(record).context("a delivery's record")?;
            if delivery.channel != Channel::Email {
                continue;
            }
            let status = serde_json::to_value(delivery.status)?;
            *statuses.entry(status.as_str().unwrap_or_default().to_owned()).or_insert(0) += 1;
        }
        Ok(statuses)
    }

    /// The events still in the functions' outboxes (partition `OUTBOX`): id -> type.
    pub async fn outboxes(&self) -> anyhow::Result<HashMap<String, String>> {
        let mut left = HashMap::new();
        for function in FUNCTIONS {
            let table = Self::table(function);
            let items = query_partition(&self.client, &table, OUTBOX_PK, true, usize::MAX)
                .await
                .with_context(|| format!("reading the outbox of {table}"))?;
            for item in &items {
                let id = string(item, "sk").context("an outbox item's id")?;
                let kind = string(item, "event").ok().map(super::records::event_type).unwrap_or_default();
                left.insert(id.to_owned(), kind);
            }
        }
        Ok(left)
    }
}
