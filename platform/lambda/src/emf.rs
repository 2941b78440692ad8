//! CloudWatch Embedded Metric Format: a JSON log line that CloudWatch Logs
//! turns into metrics, so that a Lambda needs no exporter or scrape. One
//! line per invocation, in namespace [`NAMESPACE`], dimension `function`.

use serde_json::{Map, Value, json};

/// The CloudWatch namespace of the HRMS metrics.
pub const NAMESPACE: &str = "HRMS";

/// The EMF line of `metrics` (name, count) for `function`, at `timestamp_ms`.
pub fn line(function: &str, metrics: &[(&str, u64)], timestamp_ms: i64) -> String {
    let definitions: Vec<Value> =
        metrics.iter().map(|(name, _)| json!({"Name": name, "Unit": "Count"})).collect();
    let mut root = Map::new();
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["function"]],
                "Metrics": definitions,
            }],
        }),
    );
    root.insert("function".into(), function.into());
    for (name, value) in metrics {
        root.insert((*name).into(), (*value).into());
    }
    Value::Object(root).to_string()
}

/// Writes the EMF line of `metrics` to standard output, where the Lambda
/// runtime sends it to CloudWatch Logs.
pub fn emit(function: &str, metrics: &[(&str, u64)]) {
    println!("{}", line(function, metrics, chrono::Utc::now().timestamp_millis()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_declares_each_metric_and_carries_its_value() {
        let line = line("audit", &[("RecordsHandled", 3), ("DeadLetters", 1)], 1_700_000_000_000);
        let v: Value = serde_json::from_str(&line).expect("JSON");
        let directive = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_000i64);
        assert_eq!(directive["Namespace"], "HRMS");
        assert_eq!(directive["Dimensions"], json!([["function"]]));
        assert_eq!(directive["Metrics"][1], json!({"Name": "DeadLetters", "Unit": "Count"}));
        assert_eq!(
            (v["function"].as_str(), v["RecordsHandled"].as_u64(), v["DeadLetters"].as_u64()),
            (Some("audit"), Some(3), Some(1))
        );
        assert!(!line.contains('\n'), "one line");
    }
}
