//! `BatchGetItem` and `BatchWriteItem` over any number of items: split to
//! DynamoDB's limits (100 keys, 25 writes a call), the calls sent a few at
//! a time, and what DynamoDB leaves unprocessed (throttling, a response
//! over 16 MB) sent again with exponential backoff and jitter. Reads are
//! strongly consistent. Callers own the items; this owns the calls.

use std::future::Future;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{KeysAndAttributes, WriteRequest};
use futures::{StreamExt, TryStreamExt, stream};

use super::{Failure, Item};

/// Keys per `BatchGetItem` (DynamoDB's maximum).
pub const GET_LIMIT: usize = 100;
/// Writes per `BatchWriteItem` (DynamoDB's maximum).
pub const WRITE_LIMIT: usize = 25;
/// Calls of one batch in flight at once.
const CALLS_AT_ONCE: usize = 8;
/// Tries of one call's items before giving up on what is left.
const ATTEMPTS: u32 = 8;
/// The first backoff; it doubles with every try (25 ms ... 3.2 s).
const BACKOFF: Duration = Duration::from_millis(25);

/// What a read returns of each item.
#[derive(Debug, Clone, Copy)]
pub struct Projection {
    pub expression: &'static str,
    /// `#name` placeholders of the expression and the attributes they stand for.
    pub names: &'static [(&'static str, &'static str)],
}

/// The items of `table` at `keys` that exist (in no particular order).
pub async fn get(
    client: &Client,
    table: &str,
    keys: Vec<Item>,
    projection: Option<Projection>,
) -> Result<Vec<Item>, Failure> {
    let chunks: Vec<Vec<Item>> = keys.chunks(GET_LIMIT).map(<[Item]>::to_vec).collect();
    let found: Vec<Vec<Item>> = stream::iter(chunks)
        .map(|chunk| {
            until_processed(chunk, "batch read", move |keys| async move {
                let mut wanted = KeysAndAttributes::builder().set_keys(Some(keys)).consistent_read(true);
                if let Some(p) = projection {
                    wanted = wanted.projection_expression(p.expression);
                    for (placeholder, name) in p.names {
                        wanted = wanted.expression_attribute_names(*placeholder, *name);
                    }
                }
                let out = client
                    .batch_get_item()
                    .request_items(table, wanted.build().map_err(crate::error::build)?)
                    .send()
                    .await
                    .map_err(|e| crate::error::from_sdk("batch read", e))?;
                let items = out.responses.and_then(|mut r| r.remove(table)).unwrap_or_default();
                let left = out.unprocessed_keys.and_then(|mut u| u.remove(table)).map(|k| k.keys);
                Ok((items, left.unwrap_or_default()))
            })
        })
        .buffer_unordered(CALLS_AT_ONCE)
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

/// Puts and deletes `requests` in `table` (at most one per key).
pub async fn write(client: &Client, table: &str, requests: Vec<WriteRequest>) -> Result<(), Failure> {
    let chunks: Vec<Vec<WriteRequest>> = requests.chunks(WRITE_LIMIT).map(<[WriteRequest]>::to_vec).collect();
    stream::iter(chunks)
        .map(|chunk| {
            until_processed(chunk, "batch write", move |requests| async move {
                let out = client
                    .batch_write_item()
                    .request_items(table, requests)
                    .send()
                    .await
                    .map_err(|e| crate::error::from_sdk("batch write", e))?;
                let left = out.unprocessed_items.and_then(|mut u| u.remove(table)).unwrap_or_default();
                Ok((Vec::<()>::new(), left))
            })
        })
        .buffer_unordered(CALLS_AT_ONCE)
        .try_for_each(|_| async { Ok(()) })
        .await
}

/// Calls `send` with `pending`, then with what it answers unprocessed, with
/// a growing pause before each new try, until nothing is left; answers
/// everything `send` returned. Gives up after [`ATTEMPTS`] tries.
pub async fn until_processed<T, O, F, Fut>(
    mut pending: Vec<T>,
    what: &str,
    mut send: F,
) -> Result<Vec<O>, Failure>
where
    F: FnMut(Vec<T>) -> Fut,
    Fut: Future<Output = Result<(Vec<O>, Vec<T>), Failure>>,
{
    let mut done = Vec::new();
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            let pause = BACKOFF * 2u32.pow(attempt - 1);
            tokio::time::sleep(pause + pause.mul_f64(fastrand::f64() / 2.0)).await;
        }
        let (answered, left) = send(pending).await?;
        done.extend(answered);
        if left.is_empty() {
            return Ok(done);
        }
        pending = left;
    }
    Err(Failure::unusable(format!(
        "{what}: {} items left unprocessed after {ATTEMPTS} tries (throttled)",
        pending.len()
    )))
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn what_is_left_unprocessed_is_sent_again_until_done() {
        let calls = Mutex::new(Vec::new());
        let started = tokio::time::Instant::now();
        // Each call processes one item and leaves the rest.
        let done = until_processed((1..=4).collect(), "test", |items: Vec<u32>| {
            calls.lock().expect("lock").push(items.clone());
            async move { Ok((items[..1].to_vec(), items[1..].to_vec())) }
        })
        .await
        .expect("all processed");
        assert_eq!(done, [1, 2, 3, 4]);
        let calls = calls.into_inner().expect("lock");
        assert_eq!(calls, [vec![1, 2, 3, 4], vec![2, 3, 4], vec![3, 4], vec![4]]);
        assert!(started.elapsed() >= BACKOFF * 7, "backed off 25 + 50 + 100 ms at least");
    }

    #[tokio::test(start_paused = true)]
    async fn items_never_processed_are_an_outage() {
        let mut calls = 0;
        let failed = until_processed(vec![1u32], "test", |items| {
            calls += 1;
            async move { Ok((Vec::<u32>::new(), items)) }
        })
        .await;
        assert!(
            matches!(&failed, Err(Failure::Unavailable { reason, .. }) if reason.contains("1 items")),
            "{failed:?}"
        );
        assert_eq!(calls, ATTEMPTS);
    }

    #[tokio::test]
    async fn a_failed_call_ends_the_batch() {
        let failed = until_processed(vec![1u32], "test", |_| async {
            Err::<(Vec<u32>, Vec<u32>), _>(Failure::unusable("down"))
        })
        .await;
        assert_eq!(failed, Err(Failure::unusable("down")));
    }
}
