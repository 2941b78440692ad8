//! Listing versioned records through a global secondary index: one `Query`
//! of one index partition at a time, never a scan. Only record items carry
//! the attributes the indexes are keyed on (see [`super::Record::indexed`]),
//! so only records are listed. Global indexes are eventually consistent: a
//! record written a moment ago may be missing from a listing, or listed as
//! it was.

use aws_sdk_dynamodb::types::AttributeValue;
use uuid::Uuid;

use super::Versioned;
use crate::{Failure, Index, Item, s, string};

/// Which index items a listing reads, by their sort key.
#[derive(Debug, Clone, PartialEq)]
pub enum SortRange {
    All,
    /// Sort keys that start with this.
    Prefix(String),
    /// Sort keys from the first to the second, both included.
    Between(String, String),
}

/// A listing through `index`: partition `partition`, `range` of its sort
/// keys, after `cursor` (a [`Page::next_cursor`] of the same index).
pub struct IndexQuery<'a> {
    pub index: &'static Index,
    pub partition: String,
    pub range: SortRange,
    pub cursor: Option<&'a str>,
    pub limit: usize,
}

/// The records' JSON, and where the next page starts if there may be one.
#[derive(Debug)]
pub struct Page {
    pub records: Vec<String>,
    pub next_cursor: Option<String>,
}

/// Why a cursor cannot be followed.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("not a cursor of this listing")]
    InvalidCursor,
    #[error(transparent)]
    Failed(#[from] Failure),
}

/// Items read per request.
const READ_PAGE: i32 = 100;

/// The record id a sort key ends with: `<id>` or `<anything>#<id>`.
fn id_of(sort: &str) -> Option<Uuid> {
    sort.rsplit('#').next().and_then(|id| Uuid::parse_str(id).ok())
}

impl Versioned {
    /// Up to `query.limit` records of the index's items, in its sort key
    /// order, that `keep` (given each record's JSON) accepts.
    pub async fn list(&self, query: IndexQuery<'_>, keep: impl Fn(&str) -> bool) -> Result<Page, ListError> {
        let index = query.index;
        let mut start = match query.cursor {
            None => None,
            Some(cursor) => Some(self.start_after(index, &query.partition, cursor)?),
        };
        let mut found: Vec<(String, String)> = Vec::new();
        loop {
            let mut request = self
                .table
                .client
                .query()
                .table_name(&self.table.name)
                .index_name(index.name)
                .expression_attribute_names("#p", index.partition)
                .expression_attribute_values(":p", s(&query.partition))
                .limit(READ_PAGE)
                .set_exclusive_start_key(start);
            request = match &query.range {
                SortRange::All => request.key_condition_expression("#p = :p"),
                SortRange::Prefix(prefix) => request
                    .key_condition_expression("#p = :p AND begins_with(#s, :prefix)")
                    .expression_attribute_names("#s", index.sort)
                    .expression_attribute_values(":prefix", s(prefix)),
                SortRange::Between(low, high) => request
                    .key_condition_expression("#p = :p AND #s BETWEEN :low AND :high")
                    .expression_attribute_names("#s", index.sort)
                    .expression_attribute_values(":low", s(low))
                    .expression_attribute_values(":high", s(high)),
            };
            let page = request.send().await.map_err(|e| crate::error::from_sdk("list", e))?;
            for item in page.items.unwrap_or_default() {
                let json = string(&item, "record")?;
                if keep(json) {
                    found.push((json.to_owned(), string(&item, index.sort)?.to_owned()));
                }
                if found.len() > query.limit {
                    break;
                }
            }
            start = page.last_evaluated_key;
            if found.len() > query.limit || start.is_none() {
                break;
            }
        }
        let more = found.len() > query.limit;
        found.truncate(query.limit);
        let next_cursor = match found.last() {
            Some((_, sort)) if more => Some(format!("{}/{sort}", index.name)),
            _ => None,
        };
        Ok(Page { records: found.into_iter().map(|(json, _)| json).collect(), next_cursor })
    }

    /// The key a query of `index` continues after: the record's, with the
    /// index's attributes.
    fn start_after(&self, index: &Index, partition: &str, cursor: &str) -> Result<Item, ListError> {
        let sort = cursor
            .strip_prefix(index.name)
            .and_then(|rest| rest.strip_prefix('/'))
            .ok_or(ListError::InvalidCursor)?;
        let id = id_of(sort).ok_or(ListError::InvalidCursor)?;
        let mut key = self.key(id);
        key.insert(index.partition.to_owned(), s(partition));
        key.insert(index.sort.to_owned(), AttributeValue::S(sort.to_owned()));
        Ok(key)
    }
}
