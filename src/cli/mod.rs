//! The `torc` subcommands.

pub mod solve;
