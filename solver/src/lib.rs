//! Version resolution for Torc registries: SAT-backed, newest-first, with
//! minimal explanations when there is no solution.
//!
//! A front-end turns a registry into an [`Index`] (packages, releases in
//! version order, dependencies as disjunctions of [`Constraint`]s); the
//! [`Resolver`] then answers a [`Root`] request with a [`Resolution`].
//!
//! ```
//! use torc_solver::semver::SemverRegistry;
//! use torc_solver::{Resolution, ResolveOptions, Resolver};
//!
//! let mut registry = SemverRegistry::new();
//! registry.add("menu", "1.0.0", &[("dropdown", "^2")]).unwrap();
//! registry.add("menu", "1.1.0", &[("dropdown", "^3")]).unwrap();
//! registry.add("dropdown", "2.0.0", &[]).unwrap();
//! registry.add("dropdown", "2.3.0", &[]).unwrap();
//! let (index, root) = registry
//!     .build_with_root(&[("menu", "^1"), ("dropdown", "~2.0")])
//!     .unwrap();
//!
//! let mut resolver = Resolver::new(&index);
//! match resolver.resolve(&root, &ResolveOptions::default()) {
//!     Resolution::Solved(solution) => {
//!         // menu 1.1.0 needs dropdown 3, which does not exist, and
//!         // dropdown ~2.0 rules out 2.3.0: the newest answer is this one.
//!         assert_eq!(solution.version_of(&index, "menu"), Some("1.0.0"));
//!         assert_eq!(solution.version_of(&index, "dropdown"), Some("2.0.0"));
//!     }
//!     other => panic!("expected a solution, got {other:?}"),
//! }
//! ```

mod explain;
mod greedy;
mod index;
mod learned;
mod ranking;
mod resolver;
mod sat;
pub mod semver;
mod version_set;

pub use explain::{Explanation, Fact, Requirement};
pub use index::{Constraint, Dependency, Index, Package, PackageId, Release};
pub use resolver::{Cycle, Preference, Resolution, ResolveOptions, Resolver, ResolverStats, Root, Solution};
pub use version_set::{VersionIx, VersionSet};
