//! The outbox as the relay sees it, written through the Employee store:
//! pending events come oldest first, settled ones leave, dead ones are set
//! aside with their reason, and the backlog counts what waits.

use std::sync::Mutex;

use futures::future::BoxFuture;
use hrms_events::HrmsEvent;

use super::Stores;
use super::{changed, employee, events, queued};
use hrms_platform::outbox::{Relay, RelaySettings};
use hrms_platform::publish::{EventPublisher, PublishError};

/// Writes changes of three employees, interleaved; answers their events in
/// write order.
async fn interleaved_writes(stores: &Stores) -> Vec<HrmsEvent> {
    let (ada, grace) = (employee(), employee());
    let mut written = Vec::new();
    for (employee, n) in [(&ada, 2), (&grace, 3)] {
        let new = events(employee, n);
        stores.employee.insert(employee, &new).await.expect("inserted");
        written.extend(new);
    }
    let ada2 = changed(&ada, |e| e.job_title = "Lead".into());
    let new = events(&ada2, 1);
    stores.employee.update(&ada2, &new).await.expect("updated");
    written.extend(new);
    let third = employee();
    let new = events(&third, 2);
    stores.employee.insert(&third, &new).await.expect("inserted");
    written.extend(new);
    written
}

pub async fn the_outbox_gives_events_in_write_order(stores: Stores) {
    let written = interleaved_writes(&stores).await;
    assert_eq!(queued(&stores).await, written, "all of them, in write order");

    let first = stores.employee_outbox.pending(3).await.expect("pending");
    let ids: Vec<_> = first.entries.iter().map(|e| e.event.id).collect();
    assert_eq!(ids, written[..3].iter().map(|e| e.id).collect::<Vec<_>>(), "the oldest three");
    assert_eq!(stores.employee_outbox.backlog().await.expect("backlog"), written.len() as u64);
}

/// A publisher that keeps what it was given, or refuses one event for good.
#[derive(Default)]
struct Recorder {
    published: Mutex<Vec<HrmsEvent>>,
    refuse: Option<uuid::Uuid>,
}

impl EventPublisher for Recorder {
    fn publish<'a>(&'a self, events: &'a [HrmsEvent]) -> BoxFuture<'a, Vec<Result<(), PublishError>>> {
        Box::pin(async move {
            let mut published = self.published.lock().expect("lock");
            events
                .iter()
                .map(|e| {
                    if Some(e.id) == self.refuse {
                        return Err(PublishError::Fatal { reason: "too large".into(), cause: None });
                    }
                    published.push(e.clone());
                    Ok(())
                })
                .collect()
        })
    }
}

pub async fn settled_events_leave_and_dead_ones_keep_their_reason(stores: Stores) {
    let written = interleaved_writes(&stores).await;
    let outbox = &stores.employee_outbox;

    // Settle by hand: the first two published, the third dead.
    let pending = outbox.pending(3).await.expect("pending");
    let seqs: Vec<_> = pending.entries.iter().map(|e| e.seq).collect();
    outbox.settle(&seqs[..2], &[(seqs[2], "too large".into())]).await.expect("settled");
    let left: Vec<_> = queued(&stores).await.iter().map(|e| e.id).collect();
    assert_eq!(left, written[3..].iter().map(|e| e.id).collect::<Vec<_>>(), "the rest, still in order");
    assert_eq!(outbox.backlog().await.expect("backlog"), written.len() as u64 - 3);
    assert_eq!(stores.employee_dead_letters().await, vec![(written[2].id, "too large".to_owned())]);

    // The relay does the same through the trait.
    let publisher = std::sync::Arc::new(Recorder { refuse: Some(written[5].id), ..Recorder::default() });
    let settings = RelaySettings { batch: 2, ..RelaySettings::default() };
    let relay = Relay::new(outbox.clone(), publisher.clone(), settings);
    let report = relay.drain().await.expect("drained");
    assert_eq!((report.published, report.dead, report.interrupted), (4, 1, false));
    let want: Vec<_> = written[3..].iter().filter(|e| e.id != written[5].id).cloned().collect();
    assert_eq!(*publisher.published.lock().expect("lock"), want, "published in write order");
    assert_eq!(outbox.backlog().await.expect("backlog"), 0);
    let dead: Vec<_> = stores.employee_dead_letters().await.into_iter().map(|(id, _)| id).collect();
    assert_eq!(dead, vec![written[2].id, written[5].id]);
}
