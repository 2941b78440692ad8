//! The reads of [`DynamoAuditStore`]: listings and counts through the
//! indexes (see "Items" in [`super`]), chains, the subjects with rows,
//! heads and states.

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::Select;
use chrono::{DateTime, SubsecRound, Utc};
use futures::{StreamExt, stream};
use hrms_audit::entry::{Entry, format_time};
use hrms_audit::store::{Head, Order, Page, Query, SubjectState};

use super::*;
use crate::Paging;
use hrms_dynamodb::batch;

/// How a query reaches its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Access<'a> {
    /// The subject's partition by time (`by_time`), strongly consistent.
    Subject(&'a str),
    Actor(&'a str),
    Type(&'a str),
    /// Every row (`by_day`), day by day.
    Days,
}

/// A query's access path, filters and bounds on `time_key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Plan<'a> {
    pub(super) access: Access<'a>,
    /// Equalities checked by a `FilterExpression`: (attribute, value).
    pub(super) filters: Vec<(&'static str, &'a str)>,
    /// Inclusive bounds on `time_key`.
    pub(super) lo: String,
    pub(super) hi: String,
    /// The cursor's row, at one end of the bounds: not returned again.
    pub(super) skip: Option<String>,
    pub(super) forward: bool,
}

impl<'a> Plan<'a> {
    /// How to answer `query` (from its cursor on, as `paging` says); `None`
    /// when no row can match.
    pub(super) fn of(query: &'a Query, paging: Paging) -> Option<Self> {
        let (actor, ty) = (query.actor.as_deref(), query.event_type.as_deref());
        let (access, filters) = match (query.subject.as_deref(), actor, ty) {
            (Some(subject), ..) => (Access::Subject(subject), vec![("actor", actor), ("event_type", ty)]),
            (None, Some(actor), _) => (Access::Actor(actor), vec![("event_type", ty)]),
            (None, None, Some(ty)) => (Access::Type(ty), vec![]),
            (None, None, None) => (Access::Days, vec![]),
        };
        let filters = filters.into_iter().filter_map(|(name, value)| Some((name, value?))).collect();
        // Rows keep microseconds: `time >= from` is `time >= ceil(from)`, and
        // likewise for `to`, which is exclusive: every `time_key` at a time
        // is above that time alone.
        let bound = |t: &DateTime<Utc>| format_time(&ceil_micros(t));
        let mut lo = query.from.as_ref().map_or_else(|| LOWEST.to_owned(), bound);
        let mut hi = query.to.as_ref().map_or_else(|| HIGHEST.to_owned(), bound);
        let forward = query.order == Order::OldestFirst;
        let mut skip = None;
        if let Some(after) = query.after.as_ref().filter(|_| paging == Paging::FromCursor) {
            let at = time_key(&after.time, after.event_id);
            if forward {
                lo = lo.max(at.clone());
            } else {
                hi = hi.min(at.clone());
            }
            skip = Some(at);
        }
        (lo <= hi).then_some(Self { access, filters, lo, hi, skip, forward })
    }

    /// The days that hold the bounds (the date part of each).
    fn days<'b>(&'b self) -> (&'b str, &'b str) {
        let date = |key: &'b str| key.get(..10).unwrap_or(key);
        (date(self.lo.as_str()), date(self.hi.as_str()))
    }
}

impl DynamoAuditStore {
    /// A query of `plan`'s index in the partition `key` (a day's for `by_day`).
    fn keyed(&self, plan: &Plan<'_>, key: &str) -> QueryFluentBuilder {
        let (index, partition, value, consistent) = match plan.access {
            Access::Subject(subject) => (BY_TIME, "pk", subject_pk(subject), true),
            Access::Actor(actor) => (BY_ACTOR, "actor", actor.to_owned(), false),
            Access::Type(ty) => (BY_TYPE, "event_type", ty.to_owned(), false),
            Access::Days => (BY_DAY, DAY_KEY, format!("DAY#{key}"), false),
        };
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .consistent_read(consistent)
            .scan_index_forward(plan.forward)
            .key_condition_expression("#p = :p AND #t BETWEEN :lo AND :hi")
            .expression_attribute_names("#p", partition)
            .expression_attribute_names("#t", TIME_KEY)
            .expression_attribute_values(":p", s(value))
            .expression_attribute_values(":lo", s(&plan.lo))
            .expression_attribute_values(":hi", s(&plan.hi));
        let mut filter = Vec::new();
        for (i, (name, value)) in plan.filters.iter().enumerate() {
            filter.push(format!("#f{i} = :f{i}"));
            request = request
                .expression_attribute_names(format!("#f{i}"), *name)
                .expression_attribute_values(format!(":f{i}"), s(*value));
        }
        if !filter.is_empty() {
            request = request.filter_expression(filter.join(" AND "));
        }
        request
    }

    /// Adds to `rows` the rows of `plan` in partition `key` until it holds `need`.
    async fn rows_in(
        &self,
        plan: &Plan<'_>,
        key: &str,
        need: usize,
        rows: &mut Vec<Entry>,
    ) -> Result<(), Failure> {
        let mut start = None;
        while rows.len() < need {
            let mut request = self.keyed(plan, key).set_exclusive_start_key(start);
            if plan.filters.is_empty() {
                // One more, in case the cursor's row comes first.
                request = request.limit(i32::try_from(need - rows.len() + 1).unwrap_or(i32::MAX));
            }
            let page =
                request.send().await.map_err(|e| hrms_dynamodb::error::from_sdk("query audit log", e))?;
            for item in page.items.unwrap_or_default() {
                if plan.skip.as_deref() == Some(string(&item, TIME_KEY)?) {
                    continue;
                }
                rows.push(entry_of(&item)?);
                if rows.len() == need {
                    break;
                }
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        Ok(())
    }

    /// How many rows of `plan` partition `key` holds.
    async fn count_in(&self, plan: &Plan<'_>, key: &str) -> Result<u64, Failure> {
        let (mut count, mut start) = (0u64, None);
        loop {
            let page = self
                .keyed(plan, key)
                .select(Select::Count)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| hrms_dynamodb::error::from_sdk("count audit log", e))?;
            count += u64::try_from(page.count).unwrap_or(0);
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(count);
            }
        }
    }

    /// A page of the days with rows within `plan`'s bounds, in its order,
    /// and where the next page starts.
    async fn days_of(
        &self,
        plan: &Plan<'_>,
        start: Option<Item>,
    ) -> Result<(Vec<String>, Option<Item>), Failure> {
        let (first, last) = plan.days();
        let page = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :first AND :last")
            .expression_attribute_values(":pk", s(DAYS_PK))
            .expression_attribute_values(":first", s(first))
            .expression_attribute_values(":last", s(last))
            .consistent_read(true)
            .scan_index_forward(plan.forward)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| hrms_dynamodb::error::from_sdk("list days", e))?;
        Ok((sort_keys(page.items)?, page.last_evaluated_key))
    }

    pub(super) async fn find(&self, query: &Query) -> Result<Page, Failure> {
        let need = query.limit + 1;
        let mut rows = Vec::with_capacity(need.min(1000));
        let Some(plan) = Plan::of(query, Paging::FromCursor) else { return Ok(Page::of(rows, query.limit)) };
        if plan.access != Access::Days {
            self.rows_in(&plan, "", need, &mut rows).await?;
            return Ok(Page::of(rows, query.limit));
        }
        let mut start = None;
        loop {
            let (days, next) = self.days_of(&plan, start).await?;
            for day in days {
                self.rows_in(&plan, &day, need, &mut rows).await?;
                if rows.len() >= need {
                    return Ok(Page::of(rows, query.limit));
                }
            }
            start = next;
            if start.is_none() {
                return Ok(Page::of(rows, query.limit));
            }
        }
    }

    pub(super) async fn count_all(&self, query: &Query) -> Result<u64, Failure> {
        let Some(plan) = Plan::of(query, Paging::Whole) else { return Ok(0) };
        if plan.access != Access::Days {
            return self.count_in(&plan, "").await;
        }
        let (mut count, mut start) = (0, None);
        loop {
            let (days, next) = self.days_of(&plan, start).await?;
            for day in days {
                count += self.count_in(&plan, &day).await?;
            }
            start = next;
            if start.is_none() {
                return Ok(count);
            }
        }
    }

    pub(super) async fn read_chain(&self, subject: &str) -> Result<Vec<Entry>, Failure> {
        let (mut rows, mut start) = (Vec::new(), None);
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :seq)")
                .expression_attribute_values(":pk", s(subject_pk(subject)))
                .expression_attribute_values(":seq", s("SEQ#"))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| hrms_dynamodb::error::from_sdk("read chain", e))?;
            for item in page.items.unwrap_or_default() {
                rows.push(entry_of(&item)?);
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(rows);
            }
        }
    }

    /// Up to `limit` listed subjects after `after`, in order, and where the
    /// next page starts (`None` at the end); every one when `limit` is `None`.
    async fn listed(
        &self,
        after: Option<&str>,
        limit: Option<usize>,
        start: Option<Item>,
    ) -> Result<(Vec<String>, Option<Item>), Failure> {
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .expression_attribute_values(":pk", s(SUBJECTS_PK))
            .consistent_read(true)
            .set_exclusive_start_key(start);
        request = match after {
            Some(after) => request
                .key_condition_expression("pk = :pk AND sk > :after")
                .expression_attribute_values(":after", s(after)),
            None => request.key_condition_expression("pk = :pk"),
        };
        if let Some(limit) = limit {
            request = request.limit(i32::try_from(limit.max(1)).unwrap_or(i32::MAX));
        }
        let page = request.send().await.map_err(|e| hrms_dynamodb::error::from_sdk("list subjects", e))?;
        Ok((sort_keys(page.items)?, page.last_evaluated_key))
    }

    /// Every listed subject, rows or not.
    pub(super) async fn all_listed(&self) -> Result<Vec<String>, Failure> {
        let (mut all, mut start) = (Vec::new(), None);
        loop {
            let (subjects, next) = self.listed(None, None, start).await?;
            all.extend(subjects);
            start = next;
            if start.is_none() {
                return Ok(all);
            }
        }
    }

    /// Whether `subject` has a row.
    async fn has_rows(&self, subject: &str) -> Result<bool, Failure> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :seq)")
            .expression_attribute_values(":pk", s(subject_pk(subject)))
            .expression_attribute_values(":seq", s("SEQ#"))
            .consistent_read(true)
            .select(Select::Count)
            .limit(1)
            .send()
            .await
            .map_err(|e| hrms_dynamodb::error::from_sdk("find rows", e))?;
        Ok(out.count > 0)
    }

    pub(super) async fn subjects_with_rows(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, Failure> {
        let (mut found, mut start) = (Vec::new(), None);
        while found.len() < limit {
            let (listed, next) = self.listed(after, Some(limit - found.len()), start).await?;
            let checked: Vec<(String, Result<bool, Failure>)> = stream::iter(listed)
                .map(|subject| async move {
                    let rows = self.has_rows(&subject).await;
                    (subject, rows)
                })
                .buffered(SUBJECTS_AT_ONCE)
                .collect()
                .await;
            for (subject, rows) in checked {
                if rows? {
                    found.push(subject);
                }
            }
            start = next;
            if start.is_none() {
                break;
            }
        }
        found.truncate(limit);
        Ok(found)
    }

    pub(super) async fn read_heads(&self) -> Result<Vec<Head>, Failure> {
        let keys = self.all_listed().await?.iter().map(|s| item_key(subject_pk(s), HEAD_SK)).collect();
        let mut heads = batch::get(&self.client, &self.table, keys, Some(LOOKUP))
            .await?
            .iter()
            .map(|item| {
                let Link { seq, hash } = Link::of(item)?;
                Ok(Head { subject: strip(string(item, "pk")?, "SUBJECT#")?.to_owned(), seq, hash })
            })
            .collect::<Result<Vec<_>, Failure>>()?;
        heads.sort_by(|a, b| a.subject.cmp(&b.subject));
        Ok(heads)
    }

    pub(super) async fn read_state(&self, subject: &str) -> Result<Option<SubjectState>, Failure> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(item_key(subject_pk(subject), STATE_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| hrms_dynamodb::error::from_sdk("read state", e))?;
        let Some(item) = out.item else { return Ok(None) };
        serde_json::from_str(string(&item, "record")?).map(Some).map_err(|e| unreadable("state", e))
    }
}

/// `time` rounded up to the microsecond.
fn ceil_micros(time: &DateTime<Utc>) -> DateTime<Utc> {
    let down = time.trunc_subsecs(6);
    if down < *time { down + chrono::Duration::microseconds(1) } else { down }
}

/// The sort keys of `items`.
fn sort_keys(items: Option<Vec<Item>>) -> Result<Vec<String>, Failure> {
    items.unwrap_or_default().iter().map(|i| Ok(string(i, "sk")?.to_owned())).collect()
}
