//! Query parameters read from a route's `Query<HashMap<String, String>>`.

use std::collections::HashMap;

use crate::Problem;

/// The query parameter `name`, if given: 400 naming it when it is not `what`.
pub fn param<T: std::str::FromStr>(
    params: &HashMap<String, String>,
    name: &str,
    what: &str,
) -> Result<Option<T>, Problem> {
    params
        .get(name)
        .map(|v| {
            v.parse().map_err(|_| Problem::bad_request(format!("{name} must be {what}")).with_field(name))
        })
        .transpose()
}
