//! The Attendance function's adapters, each behind its feature: the domain
//! (`hrms-attendance`) stays free of I/O, these connect it to the world.
//!
//! - [`http`] (`http`): the routes and their OpenAPI fragment.
//! - [`sqlite`] (`sqlite`): the store on embedded SQLite, its outbox in the same file.
//! - [`dynamodb`] (`dynamodb`): the store on DynamoDB, its outbox in the same table.
//! - [`consumer`] (`consumer`): the handler of its topic, for any transport.

#[cfg(all(test, feature = "sqlite", feature = "dynamodb"))]
mod conformance;
#[cfg(feature = "consumer")]
pub mod consumer;
#[cfg(feature = "dynamodb")]
pub mod dynamodb;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "sqlite")]
pub mod sqlite;
