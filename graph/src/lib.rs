//! Graph modules: a module is a computation graph, not a folder of sources.
//!
//! - [`model`]: the graph in memory (nodes with an operation, typed ports
//!   and costs; edges; calls into dependency modules).
//! - `source`: `graph.toml`, the form people write.
//! - `trc`: the canonical binary `.trc` and the module hash.
//! - `bounds`: resource bounds as a lattice, aggregated over call paths.
//! - `platform`: platform models and budget reports.

pub mod model;
