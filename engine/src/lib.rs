//! The engine behind the `torc` CLI: package manifests (`torc.toml`,
//! `spec.yaml`), registries, the lockfile, and the orchestration that turns
//! a project into a resolved, locked dependency tree.
//!
//! The CLI parses arguments and renders results; everything it does to files
//! and registries happens here. Version resolution itself is
//! [`torc_solver`]'s, which knows nothing of files: this crate reads
//! manifests and registry indexes, builds the solver's index, and maps the
//! answer back to packages.

pub mod analysis;
pub mod boundaries;
pub mod edit;
pub mod error;
pub mod fs;
pub mod gate;
pub mod init;
pub mod lemmas;
pub mod library;
pub mod lock;
pub mod manifest;
pub mod obligation;
pub mod package;
pub mod project;
pub mod registry;
pub mod resolve;
pub mod tree;
pub mod verify;

pub use error::{Error, Result};
