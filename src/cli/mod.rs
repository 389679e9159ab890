//! The `torc` subcommands.

pub mod corpus;
pub mod gate;
pub mod graph;
pub mod lemmas;
pub mod package;
pub mod proofs;
pub mod registry;
pub mod report;
pub mod sarif;
pub mod solve;
pub mod tree;
pub mod verify;
