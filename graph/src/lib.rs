//! Graph modules: a module is a computation graph, not a folder of sources.
//!
//! - [`model`]: the graph in memory (nodes with an operation, typed ports
//!   and costs; edges; calls into dependency modules).
//! - [`source`]: `graph.toml`, the form people write; [`validate`]: what
//!   makes a graph well formed; [`lines`]: error locations in linear time.
//! - [`trc`]: the canonical binary `.trc` and the module hash.
//! - [`error`]: [`GraphError`] (located in `graph.toml`) and [`DecodeError`].
//! - [`bounds`]: resource bounds as a lattice, aggregated over call paths.
//! - [`platform`]: platform models and budget reports.
//! - [`obligations`]: proof obligations from a graph, their discharge and waivers.

pub mod bounds;
pub mod error;
pub mod lines;
pub mod model;
pub mod obligations;
pub mod platform;
pub mod source;
pub mod trc;
pub mod validate;

pub use error::{DecodeError, GraphError};
