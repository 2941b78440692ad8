//! Why an incoming event was refused. Every malformed or unknown event becomes
//! one of these, never a panic.

/// A CloudEvent that is not a valid HRMS event.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("not a CloudEvent: {0}")]
    Envelope(String),
    #[error("unsupported CloudEvents specversion {0}, expected 1.0")]
    SpecVersion(String),
    #[error("unknown event type {0:?}")]
    UnknownType(String),
    #[error("unknown schema version {dataschema:?} for {ty}")]
    SchemaVersion { ty: &'static str, dataschema: String },
    #[error("unsupported datacontenttype {0:?}, expected application/json")]
    ContentType(String),
    #[error("missing attribute {0}")]
    Missing(&'static str),
    #[error("invalid attribute {name}: {reason}")]
    Invalid { name: &'static str, reason: &'static str },
    #[error("payload does not match the schema of {ty}: {source}")]
    Payload { ty: &'static str, source: serde_json::Error },
}

impl DecodeError {
    pub(crate) fn invalid(name: &'static str, reason: &'static str) -> Self {
        DecodeError::Invalid { name, reason }
    }
}
