//! The catalogue: every event type of the design, its payload type, the
//! service that emits it and its schema version, in one table from which
//! [`EventType`] and [`Payload`] are generated.

use schemars::Schema;
use serde::Serialize;

use crate::attendance::{AttendanceMarked, AttendanceSnapshot, AttendanceUpdated};
use crate::audit::AuditRecord;
use crate::common::Keyed;
use crate::compliance::{ComplianceCheck, ComplianceFinding};
use crate::employee::{EmployeeCreated, EmployeeSnapshot, EmployeeTerminated, EmployeeUpdated};
use crate::leave::{
    LeaveApproved, LeaveCancelled, LeaveReassigned, LeaveRejected, LeaveRequested, LeaveSnapshot,
};
use crate::service::Service;
use crate::topics::{AUDIT_QUEUE, NOTIFICATION_QUEUE, TopicSpec};
use crate::user::{UserCreated, UserDeleted, UserPasswordChanged, UserSnapshot, UserSuspended, UserUpdated};

macro_rules! catalogue {
    ($( $variant:ident => $name:literal, $payload:ty, $service:ident, $version:literal; )*) => {
        /// Every event type of the HRMS: the CloudEvents `type` attribute.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventType { $( $variant, )* }

        impl EventType {
            /// Every event type, notification types first.
            pub const ALL: &'static [EventType] = &[ $( EventType::$variant, )* ];

            /// The CloudEvents `type`, e.g. `leave.approved`.
            pub const fn as_str(self) -> &'static str {
                match self { $( EventType::$variant => $name, )* }
            }

            /// The service that emits it.
            pub const fn service(self) -> Service {
                match self { $( EventType::$variant => Service::$service, )* }
            }

            /// The current version of its payload schema.
            pub const fn schema_version(self) -> u32 {
                match self { $( EventType::$variant => $version, )* }
            }

            /// The JSON Schema of its current payload.
            pub fn json_schema(self) -> Schema {
                match self { $( EventType::$variant => schemars::schema_for!($payload), )* }
            }
        }

        /// A typed payload: one variant per [`EventType`].
        #[derive(Debug, Clone, PartialEq)]
        pub enum Payload { $( $variant($payload), )* }

        impl Payload {
            /// The event type this payload travels as.
            pub const fn event_type(&self) -> EventType {
                match self { $( Payload::$variant(_) => EventType::$variant, )* }
            }

            /// Parses the JSON data of an event of type `ty`.
            pub fn from_json(ty: EventType, data: &[u8]) -> Result<Self, serde_json::Error> {
                Ok(match ty { $( EventType::$variant => Payload::$variant(serde_json::from_slice(data)?), )* })
            }

            /// Reads an already parsed JSON value as the payload of type `ty`.
            pub fn from_value(ty: EventType, data: serde_json::Value) -> Result<Self, serde_json::Error> {
                Ok(match ty { $( EventType::$variant => Payload::$variant(serde_json::from_value(data)?), )* })
            }

            /// The JSON data of this payload, as bytes.
            pub fn to_bytes(&self) -> Vec<u8> {
                let mut bytes = Vec::with_capacity(1024);
                // Payloads are plain data with string keys: serialising cannot fail.
                let _ = match self { $( Payload::$variant(p) => serde_json::to_writer(&mut bytes, p), )* };
                bytes
            }

            /// The JSON data of this payload.
            pub fn to_json(&self) -> serde_json::Value {
                match self { $( Payload::$variant(p) => to_value(p), )* }
            }

            fn serialize_data<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self { $( Payload::$variant(p) => p.serialize(serializer), )* }
            }

            fn keyed(&self) -> &dyn Keyed {
                match self { $( Payload::$variant(p) => p, )* }
            }
        }
    };
}

catalogue! {
    UserCreated => "user.created", UserCreated, User, 1;
    UserUpdated => "user.updated", UserUpdated, User, 1;
    UserDeleted => "user.deleted", UserDeleted, User, 1;
    UserSuspended => "user.suspended", UserSuspended, User, 1;
    UserPasswordChanged => "user.password_changed", UserPasswordChanged, User, 1;
    EmployeeCreated => "employee.created", EmployeeCreated, Employee, 1;
    EmployeeUpdated => "employee.updated", EmployeeUpdated, Employee, 1;
    EmployeeTerminated => "employee.terminated", EmployeeTerminated, Employee, 1;
    LeaveRequested => "leave.requested", LeaveRequested, Leave, 1;
    LeaveApproved => "leave.approved", LeaveApproved, Leave, 1;
    LeaveRejected => "leave.rejected", LeaveRejected, Leave, 1;
    LeaveCancelled => "leave.cancelled", LeaveCancelled, Leave, 1;
    LeaveReassigned => "leave.reassigned", LeaveReassigned, Leave, 1;
    AttendanceMarked => "attendance.marked", AttendanceMarked, Attendance, 1;
    AttendanceUpdated => "attendance.updated", AttendanceUpdated, Attendance, 1;
    ComplianceViolation => "compliance.violation", ComplianceFinding, Compliance, 1;
    ComplianceAlert => "compliance.alert", ComplianceFinding, Compliance, 1;
    AuditUserCreated => "audit.user.created", AuditRecord<UserSnapshot>, User, 1;
    AuditUserUpdated => "audit.user.updated", AuditRecord<UserSnapshot>, User, 1;
    AuditUserDeleted => "audit.user.deleted", AuditRecord<UserSnapshot>, User, 1;
    AuditUserSuspended => "audit.user.suspended", AuditRecord<UserSnapshot>, User, 1;
    AuditUserPasswordChanged => "audit.user.password_changed", AuditRecord<UserSnapshot>, User, 1;
    AuditEmployeeCreated => "audit.employee.created", AuditRecord<EmployeeSnapshot>, Employee, 1;
    AuditEmployeeUpdated => "audit.employee.updated", AuditRecord<EmployeeSnapshot>, Employee, 1;
    AuditEmployeeTerminated => "audit.employee.terminated", AuditRecord<EmployeeSnapshot>, Employee, 1;
    AuditLeaveRequested => "audit.leave.requested", AuditRecord<LeaveSnapshot>, Leave, 1;
    AuditLeaveApproved => "audit.leave.approved", AuditRecord<LeaveSnapshot>, Leave, 1;
    AuditLeaveRejected => "audit.leave.rejected", AuditRecord<LeaveSnapshot>, Leave, 1;
    AuditLeaveCancelled => "audit.leave.cancelled", AuditRecord<LeaveSnapshot>, Leave, 1;
    AuditLeaveReassigned => "audit.leave.reassigned", AuditRecord<LeaveSnapshot>, Leave, 1;
    AuditAttendanceMarked => "audit.attendance.marked", AuditRecord<AttendanceSnapshot>, Attendance, 1;
    AuditAttendanceUpdated => "audit.attendance.updated", AuditRecord<AttendanceSnapshot>, Attendance, 1;
    AuditComplianceValidated => "audit.compliance.validated", AuditRecord<ComplianceCheck>, Compliance, 1;
    AuditComplianceViolation => "audit.compliance.violation", AuditRecord<ComplianceCheck>, Compliance, 1;
    AuditComplianceAlert => "audit.compliance.alert", AuditRecord<ComplianceCheck>, Compliance, 1;
}

fn to_value<T: Serialize>(payload: &T) -> serde_json::Value {
    // Payloads are plain data with string keys: serialising cannot fail.
    serde_json::to_value(payload).unwrap_or_default()
}

impl EventType {
    /// Parses a CloudEvents `type`.
    pub fn parse(name: &str) -> Option<EventType> {
        EventType::ALL.iter().copied().find(|t| t.as_str() == name)
    }

    /// Audit types (`audit.*`) go to `audit-queue`, the rest to `notification-queue`.
    pub fn is_audit(self) -> bool {
        self.as_str().starts_with("audit.")
    }

    /// The topic this type is routed to.
    pub fn topic(self) -> &'static TopicSpec {
        if self.is_audit() { &AUDIT_QUEUE } else { &NOTIFICATION_QUEUE }
    }

    /// The `audit.*` twin of a notification type, if it has one.
    pub fn audit_twin(self) -> Option<EventType> {
        if self.is_audit() {
            return None;
        }
        EventType::parse(&format!("audit.{}", self.as_str()))
    }

    /// The `dataschema` URI of its current payload schema.
    pub fn schema_uri(self) -> String {
        schema_uri(self.as_str(), self.schema_version())
    }
}

/// The `dataschema` URI of a schema version: `urn:hrms:schema:<type>:v<version>`.
pub fn schema_uri(type_name: &str, version: u32) -> String {
    format!("urn:hrms:schema:{type_name}:v{version}")
}

/// Splits a `dataschema` URI back into type name and version.
pub fn parse_schema_uri(uri: &str) -> Option<(&str, u32)> {
    let (name, version) = uri.strip_prefix("urn:hrms:schema:")?.rsplit_once(":v")?;
    Some((name, version.parse().ok()?))
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Payload {
    /// The entity the payload is about (CloudEvents `subject`).
    pub fn subject(&self) -> String {
        self.keyed().subject()
    }

    /// The ordering key (`partitionkey` extension, Kafka record key).
    pub fn partition_key(&self) -> String {
        self.keyed().partition_key()
    }

    /// The payload's data, for any serde serializer (without building a
    /// `serde_json::Value` as [`Payload::to_json`] does).
    pub fn data(&self) -> PayloadData<'_> {
        PayloadData(self)
    }
}

/// [`Payload::data`].
pub struct PayloadData<'a>(&'a Payload);

impl Serialize for PayloadData<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_data(serializer)
    }
}
