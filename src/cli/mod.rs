//! The `torc` subcommands.

// First, so that its print macros are the ones every command uses.
#[macro_use]
pub mod out;

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
