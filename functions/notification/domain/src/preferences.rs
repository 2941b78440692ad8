//! What a person chose not to receive: an event type in a channel. Security
//! notices come whatever they chose.

use std::collections::BTreeSet;

use hrms_events::EventType;
use serde::{Deserialize, Serialize};

use crate::route::Channel;

/// One opt-out: this event type, in this channel.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OptOut {
    pub event_type: String,
    pub channel: Channel,
}

/// A person's opt-outs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    pub opt_outs: BTreeSet<OptOut>,
}

impl Preferences {
    /// Whether a notice of `ty` goes out in `channel`.
    pub fn allows(&self, ty: EventType, channel: Channel, security: bool) -> bool {
        security || !self.opt_outs.contains(&OptOut { event_type: ty.as_str().to_owned(), channel })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opt_out_stops_one_type_in_one_channel_but_never_a_security_notice() {
        let mut prefs = Preferences::default();
        prefs.opt_outs.insert(OptOut { event_type: "leave.approved".into(), channel: Channel::Email });
        prefs.opt_outs.insert(OptOut { event_type: "user.password_changed".into(), channel: Channel::Email });
        assert!(!prefs.allows(EventType::LeaveApproved, Channel::Email, false));
        assert!(prefs.allows(EventType::LeaveApproved, Channel::InApp, false));
        assert!(prefs.allows(EventType::LeaveRejected, Channel::Email, false));
        assert!(
            prefs.allows(EventType::UserPasswordChanged, Channel::Email, true),
            "security notices always go"
        );
    }
}
