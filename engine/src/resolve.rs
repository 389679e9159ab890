//! Resolving a project against its registries.
