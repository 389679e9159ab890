//! The `torc` command-line tool's library half: input formats and importers
//! that the binary, the integration tests and the benchmarks share.

pub mod crates_io;
pub mod debian;
pub mod index_doc;
pub mod opam;
pub mod workload;
