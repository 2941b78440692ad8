//! The UUID in a route's path, as [`Id`]: a path that does not hold one
//! names no record, so it is the 404 of the [`Resource`] the route reads.

use std::marker::PhantomData;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use uuid::Uuid;

use super::problem::Problem;

/// What a path's id names (a marker type per kind of record).
pub trait Resource {
    /// The record as a 404 names it: "no such {NAME}".
    const NAME: &'static str;

    /// The answer to a path whose id is not a UUID.
    fn not_a_uuid() -> Problem {
        Problem::not_found(format!("no such {}: the id is not a UUID", Self::NAME))
    }
}

/// The path's only parameter, a UUID naming an `R`.
pub struct Id<R>(pub Uuid, pub PhantomData<R>);

impl<R: Resource, S: Send + Sync> FromRequestParts<S> for Id<R> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        match Path::<Uuid>::from_request_parts(parts, state).await {
            Ok(Path(id)) => Ok(Self(id, PhantomData)),
            Err(_) => Err(R::not_a_uuid()),
        }
    }
}
