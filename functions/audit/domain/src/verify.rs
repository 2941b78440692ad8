//! Verification of the chains: every row's hash, every link, every head.

use std::collections::{BTreeMap, HashMap, HashSet};

use futures::StreamExt;

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::entry::{Entry, GENESIS, chain_hash, format_time};
use crate::store::{AuditStore, Head, StoreError};

/// What is wrong with a row or a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Problem {
    /// The row's event, hash or indexed columns were changed.
    Altered,
    /// One or more rows before this one (or at the chain's end) are gone.
    Removed,
    /// The row is not part of the chain: no link leads to it.
    Inserted,
    /// The row is stored out of its chain's order.
    Reordered,
}

/// One finding, naming the row (or the place of a missing one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Finding {
    pub problem: Problem,
    pub subject: String,
    /// The row's place as stored (for a removal: the first missing place).
    pub seq: u64,
    /// The row, when there is one.
    pub event_id: Option<Uuid>,
    pub detail: String,
}

/// The outcome of checking the whole log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    pub chains: u64,
    pub rows: u64,
    pub findings: Vec<Finding>,
    /// SHA-256 over every head (`subject seq hash` lines, by subject): keep
    /// it elsewhere to detect later that a whole chain was removed.
    pub digest: String,
}

impl Report {
    pub fn is_intact(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Checks every chain of `store`, reading the whole log once
/// ([`AuditStore::every_chain`]).
pub async fn verify(store: &dyn AuditStore) -> Result<Report, StoreError> {
    let heads: BTreeMap<String, Head> =
        store.heads().await?.into_iter().map(|h| (h.subject.clone(), h)).collect();
    let mut report = Report { digest: digest(heads.values()), ..Report::default() };
    let mut seen = HashSet::new();
    let mut chains = store.every_chain();
    while let Some(next) = chains.next().await {
        let (subject, chain) = next?;
        report.chains += 1;
        report.rows += chain.len() as u64;
        report.findings.extend(verify_chain(&subject, &chain, heads.get(&subject)));
        seen.insert(subject);
    }
    // Heads whose every row is gone.
    for head in heads.values().filter(|h| !seen.contains(&h.subject)) {
        report.chains += 1;
        report.findings.push(Finding {
            problem: Problem::Removed,
            subject: head.subject.clone(),
            seq: 1,
            event_id: None,
            detail: format!("every row of the chain is gone (its head is at {})", head.seq),
        });
    }
    Ok(report)
}

/// The digest of `heads` (in subject order).
pub fn digest<'a>(heads: impl Iterator<Item = &'a Head>) -> String {
    let mut hasher = Sha256::new();
    for h in heads {
        hasher.update(format!("{} {} {}\n", h.subject, h.seq, h.hash).as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Checks one subject's `chain` (as stored, by `seq`) against its `head`.
///
/// The links are followed from the start of the chain (rows whose hash or
/// columns were changed still link by their stored hash, so that one edit
/// is one finding). A row no link leads to starts a new stretch: after a
/// removal when more of the chain follows it, else it was inserted.
pub fn verify_chain(subject: &str, chain: &[Entry], head: Option<&Head>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let at = |problem, entry: &Entry, detail: String| Finding {
        problem,
        subject: subject.to_owned(),
        seq: entry.seq,
        event_id: Some(entry.event_id),
        detail,
    };
    for entry in chain {
        if let Some(why) = altered(subject, entry) {
            findings.push(at(Problem::Altered, entry, why));
        }
    }

    let by_hash: HashMap<&str, usize> = chain.iter().enumerate().map(|(i, e)| (e.hash.as_str(), i)).collect();
    let mut followers: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, e) in chain.iter().enumerate() {
        followers.entry(e.prev_hash.as_str()).or_default().push(i);
    }
    // The rows the head leads back to: at a fork, the chain goes their way.
    let mut on_path = vec![false; chain.len()];
    let mut back = head.and_then(|h| by_hash.get(h.hash.as_str()).copied());
    while let Some(i) = back.filter(|&i| !on_path[i]) {
        on_path[i] = true;
        back = by_hash.get(chain[i].prev_hash.as_str()).copied();
    }
    // Follow the links from each row that no link leads to, in stored order.
    let mut visited = vec![false; chain.len()];
    let mut walk: Vec<usize> = Vec::with_capacity(chain.len());
    let mut started = false;
    for start in 0..chain.len() {
        let entry = &chain[start];
        if visited[start] || by_hash.contains_key(entry.prev_hash.as_str()) {
            continue;
        }
        let stretch = follow(chain, &followers, &on_path, start, &mut visited);
        if entry.prev_hash == GENESIS && !started {
            started = true;
        } else if entry.prev_hash == GENESIS {
            findings.push(at(Problem::Inserted, entry, "a second start of the chain".into()));
        } else if stretch.len() == 1 && start + 1 < chain.len() {
            findings.push(at(Problem::Inserted, entry, "no link leads to it and none from it".into()));
        } else {
            let missing_from = walk.last().map_or(1, |&p| chain[p].seq + 1);
            findings.push(Finding {
                seq: missing_from.min(entry.seq),
                ..at(Problem::Removed, entry, "the row it links to is missing or was rewritten".into())
            });
        }
        walk.extend(stretch);
    }
    // Rows that link to a row another row already follows.
    for entry in chain.iter().zip(&visited).filter(|(_, v)| !**v).map(|(e, _)| e) {
        let detail = match by_hash.get(entry.prev_hash.as_str()) {
            Some(&p) => format!("it claims to follow row {}, which another row follows", chain[p].seq),
            None => "no link leads to it".into(),
        };
        findings.push(at(Problem::Inserted, entry, detail));
    }

    let mut reordered = false;
    for pair in walk.windows(2) {
        let (a, b) = (&chain[pair[0]], &chain[pair[1]]);
        if pair[1] < pair[0] && b.prev_hash == a.hash {
            reordered = true;
            findings.push(at(
                Problem::Reordered,
                b,
                format!("it follows row {} but is stored before it", a.seq),
            ));
        }
    }
    // Renumbering follows any insertion or removal; alone, it is an edit.
    if !reordered && findings.iter().all(|f| f.problem == Problem::Altered) {
        for pair in walk.windows(2) {
            let (a, b) = (&chain[pair[0]], &chain[pair[1]]);
            if b.prev_hash == a.hash && b.seq != a.seq + 1 {
                findings.push(at(
                    Problem::Altered,
                    b,
                    format!("numbered {} where {} was due", b.seq, a.seq + 1),
                ));
            }
        }
    }

    let end = walk.last().map(|&i| &chain[i]);
    match (head, end) {
        (None, Some(last)) => findings.push(at(Problem::Inserted, last, "the chain has no head".into())),
        (Some(head), Some(last)) if head.hash != last.hash => match by_hash.get(head.hash.as_str()) {
            Some(&h) => {
                let beyond = walk.iter().skip_while(|&&i| i != h).skip(1);
                for &i in beyond {
                    findings.push(at(
                        Problem::Inserted,
                        &chain[i],
                        format!("beyond the chain's head at {}", head.seq),
                    ));
                }
            }
            None => findings.push(Finding {
                problem: Problem::Removed,
                subject: subject.to_owned(),
                seq: last.seq + 1,
                event_id: None,
                detail: format!("the chain ends at {} but its head is at {}", last.seq, head.seq),
            }),
        },
        _ => {}
    }
    dedupe(findings)
}

/// The stretch of rows linked from `start`. At a fork (one of the rows was
/// inserted), the way to the head wins, then the way that goes on, then the
/// row numbered next.
fn follow(
    chain: &[Entry],
    followers: &HashMap<&str, Vec<usize>>,
    on_path: &[bool],
    start: usize,
    visited: &mut [bool],
) -> Vec<usize> {
    let mut stretch = vec![start];
    visited[start] = true;
    let mut current = start;
    loop {
        let next = followers
            .get(chain[current].hash.as_str())
            .into_iter()
            .flatten()
            .copied()
            .filter(|&i| !visited[i])
            .min_by_key(|&i| {
                let goes_on = followers.contains_key(chain[i].hash.as_str());
                (!on_path[i], !goes_on, chain[i].seq != chain[current].seq + 1, i)
            });
        let Some(next) = next else { break };
        visited[next] = true;
        stretch.push(next);
        current = next;
    }
    stretch
}

/// Whether the row's hash and columns still match its event.
fn altered(subject: &str, entry: &Entry) -> Option<String> {
    if chain_hash(&entry.prev_hash, &entry.event) != entry.hash {
        return Some("its hash does not match its event".into());
    }
    let event: Value = match serde_json::from_str(&entry.event) {
        Ok(v) => v,
        Err(_) => return Some("its event is not JSON".into()),
    };
    let text = |k: &str| event.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    let columns = [
        ("id", entry.event_id.to_string()),
        ("subject", subject.to_owned()),
        ("type", entry.event_type.clone()),
        ("actor", entry.actor.clone()),
        ("time", format_time(&entry.time)),
    ];
    columns
        .into_iter()
        .find(|(k, v)| text(k) != *v)
        .map(|(k, _)| format!("its {k} column does not match its event"))
}

/// One finding per row and problem.
fn dedupe(mut findings: Vec<Finding>) -> Vec<Finding> {
    let mut seen = std::collections::HashSet::new();
    findings.retain(|f| seen.insert((f.problem, f.seq, f.event_id)));
    findings
}

#[cfg(test)]
mod tests;
