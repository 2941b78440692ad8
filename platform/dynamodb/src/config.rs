//! Where the DynamoDB tables are: their name prefix and an optional endpoint
//! (moto, DynamoDB Local), read from the environment; credentials and region
//! come from the usual AWS chain (`AWS_REGION`, `AWS_PROFILE`, the
//! workload's role, …).

use aws_config::BehaviorVersion;
use aws_config::meta::region::RegionProviderChain;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::Region;

/// The table prefix when `HRMS_DYNAMODB_TABLE_PREFIX` is unset.
pub const DEFAULT_TABLE_PREFIX: &str = "hrms-";

/// The region used with an endpoint override when the AWS chain names none.
const LOCAL_REGION: &str = "us-east-1";

/// How to reach the service tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamoConfig {
    /// `HRMS_DYNAMODB_TABLE_PREFIX`: put before the service name to make the
    /// table name (default `hrms-`: `hrms-employee`, `hrms-compliance`).
    pub table_prefix: String,
    /// `HRMS_DYNAMODB_ENDPOINT`: a DynamoDB-compatible endpoint instead of
    /// AWS's, e.g. `http://127.0.0.1:5000` for moto.
    pub endpoint: Option<String>,
}

impl Default for DynamoConfig {
    fn default() -> Self {
        Self { table_prefix: DEFAULT_TABLE_PREFIX.to_owned(), endpoint: None }
    }
}

impl DynamoConfig {
    /// Reads `HRMS_DYNAMODB_*` variables; unset ones keep their defaults.
    pub fn from_env() -> Self {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.trim().is_empty());
        Self {
            table_prefix: var("HRMS_DYNAMODB_TABLE_PREFIX")
                .unwrap_or_else(|| DEFAULT_TABLE_PREFIX.to_owned()),
            endpoint: var("HRMS_DYNAMODB_ENDPOINT"),
        }
    }

    /// The table of `service`, e.g. `hrms-employee`.
    pub fn table(&self, service: &str) -> String {
        format!("{}{service}", self.table_prefix)
    }

    /// A client with the credentials and region of the AWS chain. With an
    /// endpoint override and no region configured, the region is
    /// `us-east-1` (local stand-ins accept any).
    pub async fn connect(&self) -> Client {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(endpoint) = &self.endpoint {
            let region = RegionProviderChain::default_provider().or_else(Region::new(LOCAL_REGION));
            loader = loader.region(region).endpoint_url(endpoint);
        }
        Client::new(&loader.load().await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_named_prefix_then_service() {
        let config = DynamoConfig { table_prefix: "staging-hrms-".into(), endpoint: None };
        assert_eq!(config.table("employee"), "staging-hrms-employee");
        assert_eq!(DynamoConfig::default().table("compliance"), "hrms-compliance");
    }
}
