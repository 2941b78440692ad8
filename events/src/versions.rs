//! Versioned readers: besides the version each type is written at
//! ([`EventType::schema_version`]), readers accept the other versions listed
//! in [`OTHER_VERSIONS`], each read into the payload type that is written.
//! A new version is first added here (readers first), then written; an event
//! of a version its reader does not know is refused
//! ([`DecodeError::SchemaVersion`](crate::DecodeError::SchemaVersion)).

use schemars::Schema;
use serde::de::DeserializeOwned;

use crate::catalogue::{EventType, Payload};
use crate::envelope::PartsData;
use crate::leave::{LeaveRequested, LeaveRequestedV2};

/// A version of a type's payload that readers accept but writers do not write.
pub struct OtherVersion {
    pub ty: EventType,
    pub version: u32,
    schema: fn() -> Schema,
    read: fn(PartsData<'_>) -> Result<Payload, serde_json::Error>,
}

impl OtherVersion {
    /// Its JSON Schema.
    pub fn json_schema(&self) -> Schema {
        (self.schema)()
    }
}

/// Every version read besides the written ones.
pub const OTHER_VERSIONS: &[OtherVersion] = &[OtherVersion {
    ty: EventType::LeaveRequested,
    version: 2,
    schema: || schemars::schema_for!(LeaveRequestedV2),
    read: |data| Ok(Payload::LeaveRequested(read_as::<LeaveRequestedV2, LeaveRequested>(data)?)),
}];

/// Reads `data` as `V` and maps it to the written payload `P`.
fn read_as<V: DeserializeOwned + Into<P>, P>(data: PartsData<'_>) -> Result<P, serde_json::Error> {
    let v: V = match data {
        PartsData::Bytes(bytes) => serde_json::from_slice(bytes)?,
        PartsData::Value(value) => serde_json::from_value(value)?,
    };
    Ok(v.into())
}

fn other(ty: EventType, version: u32) -> Option<&'static OtherVersion> {
    OTHER_VERSIONS.iter().find(|o| o.ty == ty && o.version == version)
}

impl EventType {
    /// Whether readers accept version `version` of its payload.
    pub fn reads(self, version: u32) -> bool {
        version == self.schema_version() || other(self, version).is_some()
    }

    /// Every version readers accept, in order.
    pub fn readable_versions(self) -> Vec<u32> {
        let mut versions: Vec<u32> =
            OTHER_VERSIONS.iter().filter(|o| o.ty == self).map(|o| o.version).collect();
        versions.push(self.schema_version());
        versions.sort_unstable();
        versions
    }

    /// The JSON Schema of a version readers accept.
    pub fn json_schema_of(self, version: u32) -> Option<Schema> {
        if version == self.schema_version() {
            return Some(self.json_schema());
        }
        other(self, version).map(OtherVersion::json_schema)
    }
}

impl Payload {
    /// Reads the JSON data of version `version` of type `ty` (the written
    /// version, or one of [`OTHER_VERSIONS`]); `None` for a version readers
    /// do not know.
    pub(crate) fn read_version(
        ty: EventType,
        version: u32,
        data: PartsData<'_>,
    ) -> Option<Result<Self, serde_json::Error>> {
        if version == ty.schema_version() {
            return Some(match data {
                PartsData::Bytes(bytes) => Payload::from_json(ty, bytes),
                PartsData::Value(value) => Payload::from_value(ty, value),
            });
        }
        other(ty, version).map(|o| (o.read)(data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_versions_are_neither_written_nor_listed_twice() {
        for (i, o) in OTHER_VERSIONS.iter().enumerate() {
            assert_ne!(o.version, o.ty.schema_version(), "{} v{} is the written version", o.ty, o.version);
            let twice = OTHER_VERSIONS[..i].iter().any(|p| p.ty == o.ty && p.version == o.version);
            assert!(!twice, "{} v{} listed twice", o.ty, o.version);
        }
    }

    #[test]
    fn leave_requested_reads_v1_and_v2_only() {
        assert_eq!(EventType::LeaveRequested.readable_versions(), [1, 2]);
        assert_eq!(EventType::LeaveApproved.readable_versions(), [1]);
        assert!(!EventType::LeaveRequested.reads(3));
    }
}
