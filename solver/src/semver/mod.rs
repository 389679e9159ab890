//! The semver front-end: Cargo/npm-style version requirements, and semver
//! registries turned into the resolver's [`Index`](crate::Index).
//!
//! This module owns everything that knows versions are semver: parsing and
//! matching requirements ([`VersionReq`], in Torc's or Cargo's dialect, see
//! [`BareVersion`]), the precedence order of versions ([`cmp_precedence`],
//! which ignores build metadata), and laying a registry out as packages with
//! sorted releases and requirement sets ([`SemverRegistry`]). The core never
//! compares versions; it only sees the positions computed here.

mod registry;
mod req;

pub use registry::{SemverError, SemverRegistry, SemverRelease};
pub use req::{cmp_precedence, BareVersion, ReqError, VersionReq};
