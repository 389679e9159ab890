//! The resolver's model of a registry.
//!
//! An [`Index`] holds packages, each with its releases in ascending version
//! order. A release depends on a list of [`Dependency`]s, each a disjunction
//! of [`Constraint`]s (package, set of its releases), and may conflict with
//! constraints. Versions themselves are opaque here: a front-end sorts them
//! and keeps a label for messages, so the same core serves semver, Debian
//! and opam registries.

use crate::version_set::{VersionIx, VersionSet};
use std::collections::HashMap;
use std::sync::Arc;

/// Dense identifier of a package inside one [`Index`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackageId(pub u32);

impl PackageId {
    pub(crate) fn ix(self) -> usize {
        self.0 as usize
    }
}

/// `package` restricted to `versions`, with the requirement text it came
/// from (`^1.2`, `>= 2.0`, ...) so explanations speak the user's language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Constraint {
    pub package: PackageId,
    pub versions: VersionSet,
    pub requirement: Arc<str>,
}

/// A dependency: at least one of the alternatives must hold. The semver
/// front-end always gives one alternative; Debian's `a | b` gives several.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dependency {
    pub alternatives: Vec<Constraint>,
}

impl From<Constraint> for Dependency {
    fn from(constraint: Constraint) -> Self {
        Dependency { alternatives: vec![constraint] }
    }
}

/// One published version of a package.
#[derive(Clone, Debug, Default)]
pub struct Release {
    /// How the version is shown to people (`1.4.2`, `2:1.0-3`).
    pub label: String,
    /// A yanked release is never chosen unless a lock pins it.
    pub yanked: bool,
    pub dependencies: Vec<Dependency>,
    /// Selecting this release forbids every release in each constraint.
    pub conflicts: Vec<Constraint>,
}

#[derive(Clone, Debug)]
pub struct Package {
    pub name: String,
    /// Ascending version order: position = [`VersionIx`].
    pub releases: Vec<Release>,
}

/// A registry as the resolver sees it.
///
/// ```
/// use torc_solver::{Index, VersionSet};
/// let mut index = Index::new();
/// let a = index.add_package("a");
/// let b = index.add_package("b");
/// index.push_release(b, "1.0.0", false);
/// let a1 = index.push_release(a, "1.0.0", false);
/// let needs_b = index.constraint(b, VersionSet::full(1), "^1");
/// index.release_mut(a, a1).dependencies.push(needs_b.into());
/// assert_eq!(index.package(a).releases.len(), 1);
/// assert_eq!(index.package_id("b"), Some(b));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Index {
    packages: Vec<Package>,
    by_name: HashMap<String, PackageId>,
}

impl Index {
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the package called `name`, adding it (with no releases) if new.
    pub fn add_package(&mut self, name: &str) -> PackageId {
        if let Some(&id) = self.by_name.get(name) {
            return id;
        }
        let id = PackageId(self.packages.len() as u32);
        self.packages.push(Package { name: name.to_owned(), releases: Vec::new() });
        self.by_name.insert(name.to_owned(), id);
        id
    }

    /// Appends a release; callers push releases in ascending version order.
    pub fn push_release(&mut self, package: PackageId, label: impl Into<String>, yanked: bool) -> VersionIx {
        let releases = &mut self.packages[package.ix()].releases;
        releases.push(Release { label: label.into(), yanked, ..Release::default() });
        (releases.len() - 1) as VersionIx
    }

    pub fn release_mut(&mut self, package: PackageId, ix: VersionIx) -> &mut Release {
        &mut self.packages[package.ix()].releases[ix as usize]
    }

    /// A constraint on `package` (its requirement text kept for messages).
    pub fn constraint(&self, package: PackageId, versions: VersionSet, requirement: &str) -> Constraint {
        Constraint { package, versions, requirement: Arc::from(requirement) }
    }

    pub fn package_id(&self, name: &str) -> Option<PackageId> {
        self.by_name.get(name).copied()
    }

    pub fn package(&self, id: PackageId) -> &Package {
        &self.packages[id.ix()]
    }

    pub fn release(&self, id: PackageId, ix: VersionIx) -> &Release {
        &self.packages[id.ix()].releases[ix as usize]
    }

    pub fn name(&self, id: PackageId) -> &str {
        &self.packages[id.ix()].name
    }

    pub fn package_count(&self) -> usize {
        self.packages.len()
    }

    pub fn packages(&self) -> impl Iterator<Item = (PackageId, &Package)> {
        self.packages.iter().enumerate().map(|(i, p)| (PackageId(i as u32), p))
    }

    /// Total number of releases over all packages.
    pub fn release_count(&self) -> usize {
        self.packages.iter().map(|p| p.releases.len()).sum()
    }
}
