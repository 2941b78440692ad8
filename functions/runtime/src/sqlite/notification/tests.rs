//! Each of the 16 notification types reaches the people the crate's table
//! names, through the contacts learned from the events, on SQLite.

use std::collections::BTreeSet;

use hrms_events::fixtures::{self, HR, USER};
use hrms_events::{EventType, HrmsEvent};
use hrms_notification::{Channel, Preparer, Templates, Webhooks};

use super::*;

fn store() -> (SqliteNotificationStore, std::path::PathBuf) {
    let dir = crate::http::testing::temp_dir("notification");
    (SqliteNotificationStore::open(dir.join("notification.db")).expect("store"), dir)
}

/// Learns the people of the samples.
async fn people(store: &SqliteNotificationStore, templates: &Templates) {
    let preparer = Preparer { store, templates, directory: None, webhooks: &Webhooks::default() };
    for event in hrms_notification::fixtures::people() {
        preparer.prepare(&event).await.expect("prepared");
    }
}

/// (channel, address) of every delivery `event` makes.
async fn sent_to(
    store: &SqliteNotificationStore,
    templates: &Templates,
    event: &HrmsEvent,
) -> BTreeSet<(Channel, String)> {
    let preparer = Preparer { store, templates, directory: None, webhooks: &Webhooks::default() };
    preparer.prepare(event).await.expect("prepared").into_iter().map(|d| (d.channel, d.address)).collect()
}

#[tokio::test]
async fn each_type_reaches_the_people_its_route_names() {
    let (store, dir) = store();
    let templates = Templates::embedded();
    people(&store, &templates).await;
    for ty in EventType::ALL.iter().copied().filter(|t| !t.is_audit()) {
        let event = fixtures::sample(ty);
        let want = hrms_notification::fixtures::recipients(ty);
        assert_eq!(sent_to(&store, &templates, &event).await, want, "{ty:?}");
        // Everyone is still reachable after learning from the event itself.
        people(&store, &templates).await;
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_redelivered_event_finds_its_deliveries_and_an_opt_out_is_honoured() {
    let (store, dir) = store();
    let templates = Templates::embedded();
    people(&store, &templates).await;
    let preparer =
        Preparer { store: &store, templates: &templates, directory: None, webhooks: &Webhooks::default() };
    let event = fixtures::sample(EventType::LeaveApproved);
    let first = store
        .record(preparer.prepare(&event).await.expect("prepared"), vec![event.clone()])
        .await
        .expect("recorded");
    let email = first.iter().find(|d| d.channel == Channel::Email).expect("an e-mail").clone();
    store
        .attempted(
            email.id,
            &Attempt { status: Status::Sent, attempts: 1, last_error: None, next_attempt_at: None },
        )
        .await
        .expect("attempted");
    let again = store
        .record(preparer.prepare(&event).await.expect("prepared"), vec![event.clone()])
        .await
        .expect("recorded");
    let email_again = again.iter().find(|d| d.id == email.id).expect("the same delivery");
    assert_eq!(email_again.status, Status::Sent, "not sent twice");
    assert!(store.due(Utc::now(), 10).await.expect("due").is_empty());

    let mut prefs = Preferences::default();
    prefs.opt_outs.insert(hrms_notification::preferences::OptOut {
        event_type: "leave.approved".into(),
        channel: Channel::Email,
    });
    prefs.opt_outs.insert(hrms_notification::preferences::OptOut {
        event_type: "user.password_changed".into(),
        channel: Channel::Email,
    });
    store.set_preferences(USER, &prefs).await.expect("set");
    let other = fixtures::sample(EventType::LeaveApproved);
    let channels: Vec<_> =
        preparer.prepare(&other).await.expect("prepared").into_iter().map(|d| d.channel).collect();
    assert_eq!(channels, vec![Channel::InApp], "opted out of the e-mail");
    let security = fixtures::sample(EventType::UserPasswordChanged);
    let channels: BTreeSet<_> =
        preparer.prepare(&security).await.expect("prepared").into_iter().map(|d| d.channel).collect();
    assert!(channels.contains(&Channel::Email), "security notices ignore the opt-out");

    // The inbox: newest first, read by its owner only.
    let inbox = store.inbox(USER, 10).await.expect("inbox");
    assert!(!inbox.is_empty() && inbox.iter().all(|d| d.channel == Channel::InApp));
    assert!(!store.mark_read(inbox[0].id, HR).await.expect("read"), "not hr's");
    assert!(store.mark_read(inbox[0].id, USER).await.expect("read"));
    assert!(store.get(inbox[0].id).await.expect("get").and_then(|d| d.read_at).is_some());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_dead_delivery_waits_with_its_event_for_the_dead_letters_and_a_redrive_revives_it() {
    let (store, dir) = store();
    let templates = Templates::embedded();
    people(&store, &templates).await;
    let preparer =
        Preparer { store: &store, templates: &templates, directory: None, webhooks: &Webhooks::default() };
    let event = fixtures::sample(EventType::LeaveApproved);
    let recorded = store.record(preparer.prepare(&event).await.expect("prepared"), vec![event.clone()]);
    let email = recorded.await.expect("recorded").into_iter().find(|d| d.channel == Channel::Email);
    let email = email.expect("an e-mail");
    assert!(store.dead_letters(10).await.expect("read").is_empty(), "nothing dead yet");

    let refused = "550 5.1.1 mailbox unavailable".to_owned();
    let dead = Attempt {
        status: Status::Dead,
        attempts: 1,
        last_error: Some(refused.clone()),
        next_attempt_at: None,
    };
    store.attempted(email.id, &dead).await.expect("attempted");
    let letters = store.dead_letters(10).await.expect("read");
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].event, event, "the event as it came");
    assert_eq!(
        (letters[0].delivery.id, letters[0].delivery.last_error.as_deref()),
        (email.id, Some(&*refused))
    );

    store.dead_lettered(email.id).await.expect("noted");
    assert!(store.dead_letters(10).await.expect("read").is_empty(), "written once");

    // The redriven event: the dead delivery is due again, from its first attempt.
    let again = store.record(preparer.prepare(&event).await.expect("prepared"), vec![event.clone()]);
    let revived =
        again.await.expect("recorded").into_iter().find(|d| d.id == email.id).expect("the same delivery");
    assert_eq!((revived.status, revived.attempts), (Status::Pending, 0));
    assert_eq!(store.due(Utc::now(), 10).await.expect("due").len(), 1);
    let sent = Attempt { status: Status::Sent, attempts: 1, last_error: None, next_attempt_at: None };
    store.attempted(email.id, &sent).await.expect("attempted");
    let kept: i64 =
        store.db.run(|c| c.query_row("SELECT count(*) FROM event", [], |r| r.get(0))).await.expect("count");
    assert_eq!(kept, 0, "an event is kept only while a delivery of it may need it");
    let _ = std::fs::remove_dir_all(dir);
}
