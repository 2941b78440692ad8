//! The Notification store's contract: a contact learned by either id is one
//! contact, active hr contacts are listed, each of the 16 types reaches the
//! people its route names, a delivery is recorded once (a dead one is
//! revived by a redrive), `due` lists what waits for an attempt oldest first
//! within its limit, the inbox lists a user's in-app deliveries newest first
//! and is read by its owner only, a dead delivery waits with its event for
//! the dead-letter topic, and an event is kept only while a delivery of it
//! may still need it.
//!
//! `hrms_platform::suite!` makes one test of each suite function per
//! implementation, on a store of its own.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use futures::future::BoxFuture;
use hrms_events::fixtures::{self, HR, USER};
use hrms_events::{EventType, HrmsEvent, Role};
use hrms_notification::contacts::{Contact, ContactUpdate};
use hrms_notification::memory::MemoryNotificationStore;
use hrms_notification::preferences::OptOut;
use hrms_notification::{
    Attempt, Channel, Delivery, DeliveryKey, NotificationStore, Preferences, Preparer, Status, Templates,
    Webhooks,
};
use uuid::Uuid;

/// A store that says how many events it keeps (for dead letters).
pub trait KeepsEvents: NotificationStore {
    fn kept_events(&self) -> BoxFuture<'_, usize>;
}

/// A fresh Notification store.
pub struct NotificationStores {
    pub store: Box<dyn KeepsEvents>,
    _keep: Box<dyn std::any::Any + Send + Sync>,
}

impl KeepsEvents for MemoryNotificationStore {
    fn kept_events(&self) -> BoxFuture<'_, usize> {
        let kept = self.kept_events();
        Box::pin(async move { kept })
    }
}

#[cfg(feature = "sqlite")]
impl KeepsEvents for crate::sqlite::SqliteNotificationStore {
    fn kept_events(&self) -> BoxFuture<'_, usize> {
        Box::pin(self.kept_events())
    }
}

#[cfg(feature = "dynamodb")]
impl KeepsEvents for crate::dynamodb::DynamoNotificationStore {
    fn kept_events(&self) -> BoxFuture<'_, usize> {
        Box::pin(self.kept_events())
    }
}

/// The store in memory.
fn on_memory() -> NotificationStores {
    NotificationStores { store: Box::new(MemoryNotificationStore::default()), _keep: Box::new(()) }
}

#[cfg(feature = "sqlite")]
fn on_sqlite() -> NotificationStores {
    use crate::sqlite::SqliteNotificationStore;
    use hrms_sqlite::Store as _;
    let dir = hrms_platform::testing::TempDir::new("notification-conformance");
    let store = SqliteNotificationStore::open(dir.0.join("notification.db")).expect("store");
    NotificationStores { store: Box::new(store), _keep: Box::new(dir) }
}

#[cfg(feature = "dynamodb")]
async fn on_dynamodb() -> NotificationStores {
    use crate::dynamodb::DynamoNotificationStore;
    let tables = hrms_dynamodb::testing::tables(&["notification"]).await;
    let store = DynamoNotificationStore::new(tables.client.clone(), tables.table("notification"));
    NotificationStores { store: Box::new(store), _keep: Box::new(()) }
}

impl NotificationStores {
    fn preparer<'a>(&'a self, templates: &'a Templates, webhooks: &'a Webhooks) -> Preparer<'a> {
        Preparer { store: self.store.as_ref(), templates, directory: None, webhooks }
    }

    /// Learns the people of the samples.
    async fn people(&self, templates: &Templates) {
        let webhooks = Webhooks::default();
        for event in hrms_notification::fixtures::people() {
            self.preparer(templates, &webhooks).prepare(&event).await.expect("prepared");
        }
    }

    /// The deliveries `event` makes.
    async fn prepare(&self, templates: &Templates, event: &HrmsEvent) -> Vec<Delivery> {
        self.preparer(templates, &Webhooks::default()).prepare(event).await.expect("prepared")
    }

    async fn attempted(&self, id: Uuid, status: Status, next: Option<DateTime<Utc>>) {
        let attempt = Attempt { status, attempts: 1, last_error: None, next_attempt_at: next };
        self.store.attempted(id, &attempt).await.expect("attempted");
    }

    async fn due(&self, now: DateTime<Utc>, limit: usize) -> Vec<Uuid> {
        self.store.due(now, limit).await.expect("due").into_iter().map(|d| d.id).collect()
    }
}

fn at(second: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).single().expect("time") + Duration::seconds(second)
}

/// A delivery of a new event to `recipient`, made at `created`.
fn delivery(channel: Channel, recipient: Uuid, created: DateTime<Utc>, status: Status) -> Delivery {
    let event_id = Uuid::now_v7();
    let address = recipient.to_string();
    let key = DeliveryKey { event_id, channel, recipient: address.clone() };
    let waiting = matches!(status, Status::Pending | Status::Failed);
    Delivery {
        id: key.id(),
        event_id,
        event_type: "leave.approved".into(),
        event_time: created,
        channel,
        user_id: Some(recipient),
        address,
        subject: "Leave approved".into(),
        text: "Enjoy.".into(),
        html: "<p>Enjoy.</p>".into(),
        status,
        attempts: 0,
        last_error: None,
        created_at: created,
        updated_at: created,
        next_attempt_at: waiting.then_some(created),
        read_at: None,
    }
}

/// `d` as a delivery of event `event_id`.
fn of_event(event_id: Uuid, d: Delivery) -> Delivery {
    let key = DeliveryKey { event_id, channel: d.channel, recipient: d.address.clone() };
    Delivery { id: key.id(), event_id, ..d }
}

fn update(user_id: Option<Uuid>, employee_id: Option<Uuid>) -> ContactUpdate {
    ContactUpdate { user_id, employee_id, ..ContactUpdate::default() }
}

pub async fn a_contact_learned_by_either_id_is_one_contact(s: NotificationStores) {
    let (user, employee, manager) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let account = ContactUpdate {
        name: Some("Ada".into()),
        email: Some("ada@example.com".into()),
        role: Some(Role::Employee),
        active: Some(true),
        ..update(Some(user), None)
    };
    s.store.learn(&account).await.expect("learned");
    let record =
        ContactUpdate { manager_id: Some(Some(manager)), active: Some(true), ..update(None, Some(employee)) };
    s.store.learn(&record).await.expect("learned");
    let by_user = s.store.contact_by_user(user).await.expect("read").expect("known");
    assert_eq!((by_user.employee_id, by_user.role), (None, Some(Role::Employee)));
    assert_eq!(s.store.contact_by_employee(employee).await.expect("read").and_then(|c| c.user_id), None);

    // An event naming both links them.
    let linked = ContactUpdate { name: Some("Ada Lovelace".into()), ..update(Some(user), Some(employee)) };
    s.store.learn(&linked).await.expect("learned");
    let one = s.store.contact_by_user(user).await.expect("read").expect("known");
    let want = Contact {
        user_id: Some(user),
        employee_id: Some(employee),
        name: "Ada Lovelace".into(),
        email: "ada@example.com".into(),
        role: Some(Role::Employee),
        manager_id: Some(manager),
        active: true,
    };
    assert_eq!(one, want);
    assert_eq!(s.store.contact_by_employee(employee).await.expect("read"), Some(want.clone()));

    // A change learned by one id is found by the other.
    let moved = ContactUpdate { manager_id: Some(None), ..update(None, Some(employee)) };
    s.store.learn(&moved).await.expect("learned");
    let found = s.store.contact_by_user(user).await.expect("read");
    assert_eq!(found, Some(Contact { manager_id: None, ..want }));
    assert_eq!(s.store.contact_by_user(Uuid::now_v7()).await.expect("read"), None);
}

pub async fn hr_lists_the_active_hr_contacts(s: NotificationStores) {
    let (first, second, employee) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    for (user, role) in [(first, Role::Hr), (second, Role::Hr), (employee, Role::Employee)] {
        let account = ContactUpdate { role: Some(role), active: Some(true), ..update(Some(user), None) };
        s.store.learn(&account).await.expect("learned");
    }
    let users = |contacts: Vec<Contact>| contacts.into_iter().map(|c| c.user_id).collect::<BTreeSet<_>>();
    assert_eq!(users(s.store.hr().await.expect("hr")), [Some(first), Some(second)].into());

    let suspended = ContactUpdate { active: Some(false), ..update(Some(second), None) };
    s.store.learn(&suspended).await.expect("learned");
    let record = Uuid::now_v7();
    s.store.learn(&update(Some(first), Some(record))).await.expect("learned");
    let hr = s.store.hr().await.expect("hr");
    assert_eq!(users(hr.clone()), [Some(first)].into(), "active ones only");
    assert_eq!(hr[0].employee_id, Some(record), "as last learned");
    assert_eq!(s.store.preferences(first).await.expect("read"), Preferences::default());
}

pub async fn each_type_reaches_the_people_its_route_names(s: NotificationStores) {
    let templates = Templates::embedded();
    s.people(&templates).await;
    for ty in EventType::ALL.iter().copied().filter(|t| !t.is_audit()) {
        let event = fixtures::sample(ty);
        let want = hrms_notification::fixtures::recipients(ty);
        let got: BTreeSet<_> =
            s.prepare(&templates, &event).await.into_iter().map(|d| (d.channel, d.address)).collect();
        assert_eq!(got, want, "{ty:?}");
        // Everyone is still reachable after learning from the event itself.
        s.people(&templates).await;
    }
}

pub async fn a_redelivered_event_sends_nothing_twice_and_an_opt_out_is_honoured(s: NotificationStores) {
    let templates = Templates::embedded();
    s.people(&templates).await;
    let event = fixtures::sample(EventType::LeaveApproved);
    let first =
        s.store.record(s.prepare(&templates, &event).await, vec![event.clone()]).await.expect("recorded");
    let email = first.iter().find(|d| d.channel == Channel::Email).expect("an e-mail").clone();
    s.attempted(email.id, Status::Sent, None).await;
    let again =
        s.store.record(s.prepare(&templates, &event).await, vec![event.clone()]).await.expect("recorded");
    let email_again = again.iter().find(|d| d.id == email.id).expect("the same delivery");
    assert_eq!(email_again.status, Status::Sent, "not sent twice");
    assert!(s.store.due(Utc::now(), 10).await.expect("due").is_empty());

    let mut prefs = Preferences::default();
    for ty in ["leave.approved", "user.password_changed"] {
        prefs.opt_outs.insert(OptOut { event_type: ty.into(), channel: Channel::Email });
    }
    s.store.set_preferences(USER, &prefs).await.expect("set");
    assert_eq!(s.store.preferences(USER).await.expect("read"), prefs);
    let other = fixtures::sample(EventType::LeaveApproved);
    let channels: Vec<_> = s.prepare(&templates, &other).await.into_iter().map(|d| d.channel).collect();
    assert_eq!(channels, vec![Channel::InApp], "opted out of the e-mail");
    let security = fixtures::sample(EventType::UserPasswordChanged);
    let channels: BTreeSet<_> =
        s.prepare(&templates, &security).await.into_iter().map(|d| d.channel).collect();
    assert!(channels.contains(&Channel::Email), "security notices ignore the opt-out");
}

pub async fn due_lists_what_waits_for_an_attempt_oldest_first(s: NotificationStores) {
    let mail = |second, status| {
        let d = delivery(Channel::Email, USER, at(0), status);
        Delivery { next_attempt_at: d.next_attempt_at.map(|_| at(second)), ..d }
    };
    let (second, first, third, later) = (
        mail(2, Status::Pending),
        mail(1, Status::Failed),
        mail(3, Status::Pending),
        mail(3600, Status::Pending),
    );
    let sent = delivery(Channel::InApp, USER, at(0), Status::Sent);
    let all = vec![second.clone(), first.clone(), third.clone(), later.clone(), sent];
    s.store.record(all, Vec::new()).await.expect("recorded");

    assert_eq!(s.due(at(10), 10).await, [first.id, second.id, third.id]);
    assert_eq!(s.due(at(10), 2).await, [first.id, second.id], "the limit keeps the oldest");
    assert_eq!(s.due(at(2), 10).await, [first.id, second.id], "due by then, that moment included");
    assert_eq!(s.due(at(7200), 10).await.last(), Some(&later.id));

    s.attempted(first.id, Status::Failed, Some(at(5))).await;
    s.attempted(second.id, Status::Sent, None).await;
    assert_eq!(s.due(at(10), 10).await, [third.id, first.id], "moved to its next attempt; sent ones leave");
    s.attempted(third.id, Status::Dead, None).await;
    assert_eq!(s.due(at(10), 10).await, [first.id]);
}

pub async fn many_deliveries_of_one_event_are_recorded_and_keep_it_until_sent(s: NotificationStores) {
    let event = fixtures::sample(EventType::ComplianceAlert);
    let many: Vec<Delivery> = (0..60)
        .map(|i| of_event(event.id, delivery(Channel::Email, Uuid::now_v7(), at(i), Status::Pending)))
        .collect();
    let recorded = s.store.record(many.clone(), vec![event.clone()]).await.expect("recorded");
    assert_eq!(recorded, many);
    assert_eq!(s.due(at(100), 100).await, many.iter().map(|d| d.id).collect::<Vec<_>>());
    assert_eq!(s.store.kept_events().await, 1);
    for d in &many[1..] {
        s.attempted(d.id, Status::Sent, None).await;
    }
    assert_eq!(s.store.kept_events().await, 1, "one e-mail still to be sent");
    s.attempted(many[0].id, Status::Sent, None).await;
    assert_eq!(s.store.kept_events().await, 0);
    assert!(s.due(at(100), 100).await.is_empty());
}

pub async fn the_inbox_lists_in_app_deliveries_newest_first_and_is_read_by_its_owner(s: NotificationStores) {
    let notices: Vec<Delivery> =
        (0..3).map(|i| delivery(Channel::InApp, USER, at(i), Status::Sent)).collect();
    let mail = delivery(Channel::Email, USER, at(5), Status::Pending);
    let hrs = delivery(Channel::InApp, HR, at(6), Status::Sent);
    let all = [notices.clone(), vec![mail.clone(), hrs]].concat();
    s.store.record(all, Vec::new()).await.expect("recorded");

    let store = &s.store;
    let inbox = |limit| async move {
        store.inbox(USER, limit).await.expect("inbox").into_iter().map(|d| d.id).collect::<Vec<_>>()
    };
    assert_eq!(inbox(10).await, [notices[2].id, notices[1].id, notices[0].id]);
    assert_eq!(inbox(2).await, [notices[2].id, notices[1].id]);

    let newest = notices[2].id;
    assert!(!s.store.mark_read(newest, HR).await.expect("read"), "not hr's");
    assert!(!s.store.mark_read(mail.id, USER).await.expect("read"), "not in the inbox");
    assert!(!s.store.mark_read(Uuid::now_v7(), USER).await.expect("read"), "no such delivery");
    assert_eq!(s.store.get(newest).await.expect("get").and_then(|d| d.read_at), None);
    assert!(s.store.mark_read(newest, USER).await.expect("read"));
    let read_at = s.store.get(newest).await.expect("get").and_then(|d| d.read_at);
    assert!(read_at.is_some());
    assert_eq!(s.store.inbox(USER, 1).await.expect("inbox")[0].read_at, read_at, "the inbox shows it read");
    assert!(s.store.mark_read(newest, USER).await.expect("read"), "read again");
    assert_eq!(
        s.store.get(newest).await.expect("get").and_then(|d| d.read_at),
        read_at,
        "first reading kept"
    );
}

pub async fn a_dead_delivery_waits_with_its_event_and_a_redrive_revives_it(s: NotificationStores) {
    let templates = Templates::embedded();
    s.people(&templates).await;
    let event = fixtures::sample(EventType::LeaveApproved);
    let recorded = s.store.record(s.prepare(&templates, &event).await, vec![event.clone()]).await;
    let email = recorded.expect("recorded").into_iter().find(|d| d.channel == Channel::Email);
    let email = email.expect("an e-mail");
    assert!(s.store.dead_letters(10).await.expect("read").is_empty(), "nothing dead yet");
    assert_eq!(s.store.kept_events().await, 1, "kept while its e-mail is to be sent");

    let refused = "550 5.1.1 mailbox unavailable".to_owned();
    let dead = Attempt {
        status: Status::Dead,
        attempts: 1,
        last_error: Some(refused.clone()),
        next_attempt_at: None,
    };
    s.store.attempted(email.id, &dead).await.expect("attempted");
    let letters = s.store.dead_letters(10).await.expect("read");
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].event, event, "the event as it came");
    assert_eq!(
        (letters[0].delivery.id, letters[0].delivery.last_error.as_deref()),
        (email.id, Some(&*refused))
    );

    s.store.dead_lettered(email.id).await.expect("noted");
    assert!(s.store.dead_letters(10).await.expect("read").is_empty(), "written once");
    assert_eq!(s.store.kept_events().await, 0, "no delivery needs it any more");

    // The redriven event: the dead delivery is due again, from its first attempt.
    let again = s.store.record(s.prepare(&templates, &event).await, vec![event.clone()]).await;
    let revived = again.expect("recorded").into_iter().find(|d| d.id == email.id).expect("the same delivery");
    assert_eq!((revived.status, revived.attempts), (Status::Pending, 0));
    assert_eq!(s.store.due(Utc::now(), 10).await.expect("due").len(), 1);
    assert_eq!(s.store.kept_events().await, 1, "kept again for the revived delivery");
    s.attempted(email.id, Status::Sent, None).await;
    assert_eq!(s.store.kept_events().await, 0, "an event is kept only while a delivery of it may need it");
    assert_eq!(s.store.get(email.id).await.expect("get").map(|d| d.status), Some(Status::Sent));
}

hrms_platform::suite!(
    a_contact_learned_by_either_id_is_one_contact,
    hr_lists_the_active_hr_contacts,
    each_type_reaches_the_people_its_route_names,
    a_redelivered_event_sends_nothing_twice_and_an_opt_out_is_honoured,
    due_lists_what_waits_for_an_attempt_oldest_first,
    many_deliveries_of_one_event_are_recorded_and_keep_it_until_sent,
    the_inbox_lists_in_app_deliveries_newest_first_and_is_read_by_its_owner,
    a_dead_delivery_waits_with_its_event_and_a_redrive_revives_it,
);
