//! The seven services, and the CloudEvents `source` each one signs with.

use serde::{Deserialize, Serialize};

/// A service of the HRMS; the CloudEvents `source` is `/hrms/<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    User,
    Employee,
    Leave,
    Attendance,
    Compliance,
    Audit,
    Notification,
}

impl Service {
    /// Every service, domain services first.
    pub const ALL: [Service; 7] = [
        Service::User,
        Service::Employee,
        Service::Leave,
        Service::Attendance,
        Service::Compliance,
        Service::Audit,
        Service::Notification,
    ];

    /// The short name used in sources, routes and configuration.
    pub const fn name(self) -> &'static str {
        match self {
            Service::User => "user",
            Service::Employee => "employee",
            Service::Leave => "leave",
            Service::Attendance => "attendance",
            Service::Compliance => "compliance",
            Service::Audit => "audit",
            Service::Notification => "notification",
        }
    }

    /// The CloudEvents `source` attribute of the events this service emits.
    pub fn source(self) -> String {
        format!("/hrms/{}", self.name())
    }

    /// The service whose `source` this is, if any.
    pub fn from_source(source: &str) -> Option<Service> {
        let name = source.strip_prefix("/hrms/")?;
        Service::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
