//! One file per command: the command, its handling and its tests.

pub mod validate;
