//! The Notification store's contract: a contact learned by either id is one
//! contact, active hr contacts are listed, each of the 17 types reaches the
//! people its route names, a delivery is recorded once (a dead one is
//! revived by a redrive), `due` lists what waits for an attempt oldest first
//! within its limit, the inbox lists a user's in-app deliveries newest first
//! and is read by its owner only, a dead delivery waits with its event for
//! the dead-letter topic, and an event is kept only while a delivery of it
//! may still need it; a dispatcher claims a delivery before sending it
//! (one claim at a time, another once the lease is over), only the
//! claimant notes the attempt, and a sent delivery never changes again.
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

    /// Claims delivery `id` when it is due and notes an attempt.
    async fn attempted(&self, id: Uuid, status: Status, next: Option<DateTime<Utc>>) {
        let attempt = Attempt { status, attempts: 1, last_error: None, next_attempt_at: next };
        self.claim_and_note(id, &attempt).await;
    }

    async fn claim_and_note(&self, id: Uuid, attempt: &Attempt) {
        let due = self.store.get(id).await.expect("get").and_then(|d| d.due_at()).expect("waiting");
        let claimed = self.store.claim(id, "tester", due, due + Duration::seconds(60)).await;
        assert!(claimed.expect("claim").is_some(), "claimable when due");
        assert!(
            self.store.attempted(id, "tester", attempt).await.expect("attempted"),
            "noted by its claimant"
        );
    }

    async fn claim(&self, id: Uuid, owner: &str, now: DateTime<Utc>) -> Option<Delivery> {
        self.store.claim(id, owner, now, now + Duration::seconds(60)).await.expect("claim")
    }

    async fn note(&self, id: Uuid, owner: &str, status: Status) -> bool {
        let attempt = Attempt { status, attempts: 1, last_error: None, next_attempt_at: Some(at(3600)) };
        let attempt = Attempt {
            next_attempt_at: attempt.next_attempt_at.filter(|_| status == Status::Failed),
            ..attempt
        };
        self.store.attempted(id, owner, &attempt).await.expect("attempted")
    }

    async fn status(&self, id: Uuid) -> Option<Status> {
        self.store.get(id).await.expect("get").map(|d| d.status)
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
        claimed_by: None,
        lease_until: None,
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
    s.claim_and_note(email.id, &dead).await;
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

pub async fn a_claim_is_held_by_one_dispatcher_until_its_lease_ends(s: NotificationStores) {
    let mail = delivery(Channel::Email, USER, at(0), Status::Pending);
    let later =
        Delivery { next_attempt_at: Some(at(100)), ..delivery(Channel::Email, HR, at(0), Status::Pending) };
    s.store.record(vec![mail.clone(), later.clone()], Vec::new()).await.expect("recorded");
    assert_eq!(s.claim(later.id, "a", at(50)).await, None, "not due yet");
    assert_eq!(s.claim(Uuid::now_v7(), "a", at(50)).await, None, "no such delivery");

    let claimed = s.claim(mail.id, "a", at(1)).await.expect("claimed when due");
    assert_eq!((claimed.claimed_by.as_deref(), claimed.lease_until), (Some("a"), Some(at(61))));
    assert_eq!(s.store.get(mail.id).await.expect("get"), Some(claimed), "as answered");
    assert_eq!(s.claim(mail.id, "b", at(2)).await, None, "held by a");
    assert_eq!(s.claim(mail.id, "a", at(2)).await, None, "a claim is made once");
    assert!(!s.due(at(60), 10).await.contains(&mail.id), "not due while claimed");
    assert!(!s.note(mail.id, "b", Status::Sent).await, "only its claimant notes an attempt");
    assert_eq!(s.status(mail.id).await, Some(Status::Pending));

    // a's lease ends (a died, or is slow): b may claim it, and a may no longer note.
    assert_eq!(s.due(at(61), 10).await, [mail.id], "due again at its lease's end");
    assert!(s.claim(mail.id, "b", at(61)).await.is_some(), "claimed once the lease is over");
    assert!(!s.note(mail.id, "a", Status::Failed).await, "a lost the claim");
    assert!(s.note(mail.id, "b", Status::Failed).await);
    let failed = s.store.get(mail.id).await.expect("get").expect("recorded");
    assert_eq!(
        (failed.status, failed.claimed_by, failed.lease_until),
        (Status::Failed, None, None),
        "released"
    );
    assert_eq!(s.due(at(3600), 10).await, [later.id, mail.id], "due at its next attempt");
}

pub async fn of_dispatchers_claiming_at_once_one_gets_the_delivery(s: NotificationStores) {
    let mails: Vec<Delivery> =
        (0..5).map(|i| delivery(Channel::Email, Uuid::now_v7(), at(i), Status::Pending)).collect();
    s.store.record(mails.clone(), Vec::new()).await.expect("recorded");
    let owners = ["a", "b", "c", "d"];
    for mail in &mails {
        let claims = owners.map(|owner| s.store.claim(mail.id, owner, at(10), at(70)));
        let won: Vec<_> =
            futures::future::join_all(claims).await.into_iter().map(|c| c.expect("claim")).collect();
        let mut winners: Vec<_> = won.iter().flatten().map(|d| d.claimed_by.clone()).collect();
        assert!(winners.len() <= 1, "at most one claim of {owners:?} succeeds: {winners:?}");
        if winners.is_empty() {
            // Every claim collided with another (a store may cancel them
            // all): not claimed by anyone, so a later claim gets it.
            let later = s.store.claim(mail.id, "e", at(10), at(70)).await.expect("claim");
            winners.extend(later.map(|d| d.claimed_by));
            assert_eq!(winners.len(), 1, "no claim held it, so a later one succeeds");
        }
        let stored = s.store.get(mail.id).await.expect("get").and_then(|d| d.claimed_by);
        assert_eq!(Some(stored), winners.first().cloned(), "the winner holds it");
    }
}

pub async fn a_sent_delivery_never_changes_again(s: NotificationStores) {
    let event = fixtures::sample(EventType::LeaveApproved);
    let mail = of_event(event.id, delivery(Channel::Email, USER, at(0), Status::Pending));
    s.store.record(vec![mail.clone()], vec![event.clone()]).await.expect("recorded");
    assert!(s.claim(mail.id, "a", at(1)).await.is_some());
    assert!(s.note(mail.id, "a", Status::Sent).await);
    let sent = s.store.get(mail.id).await.expect("get").expect("recorded");
    assert_eq!(s.store.kept_events().await, 0, "its event is not needed any more");

    for status in [Status::Failed, Status::Dead, Status::Pending, Status::Sent] {
        assert!(!s.note(mail.id, "a", status).await, "{status:?} after sent");
    }
    for now in [at(2), at(3600), at(86_400 * 365)] {
        assert_eq!(s.claim(mail.id, "b", now).await, None, "a sent delivery is never claimed");
        assert!(s.due(now, 10).await.is_empty());
    }
    let again = s.store.record(vec![mail.clone()], vec![event]).await.expect("recorded");
    assert_eq!(again, std::slice::from_ref(&sent), "a redelivered event does not revive it");
    assert_eq!(s.store.get(mail.id).await.expect("get"), Some(sent));
    assert!(s.store.dead_letters(10).await.expect("read").is_empty());
}

hrms_platform::suite!(
    a_claim_is_held_by_one_dispatcher_until_its_lease_ends,
    of_dispatchers_claiming_at_once_one_gets_the_delivery,
    a_sent_delivery_never_changes_again,
    a_contact_learned_by_either_id_is_one_contact,
    hr_lists_the_active_hr_contacts,
    each_type_reaches_the_people_its_route_names,
    a_redelivered_event_sends_nothing_twice_and_an_opt_out_is_honoured,
    due_lists_what_waits_for_an_attempt_oldest_first,
    many_deliveries_of_one_event_are_recorded_and_keep_it_until_sent,
    the_inbox_lists_in_app_deliveries_newest_first_and_is_read_by_its_owner,
    a_dead_delivery_waits_with_its_event_and_a_redrive_revives_it,
);
