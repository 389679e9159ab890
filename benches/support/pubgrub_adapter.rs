//! pubgrub's view of a Torc [`Index`], for the `crates_each_version`
//! bench: an `OfflineDependencyProvider` with release positions as versions
//! (`u32`) and each constraint's [`VersionSet`] as a `Ranges<u32>`, so both
//! solvers see identical version sets. Several dependencies on one package
//! are intersected, as Torc does.

use pubgrub::{OfflineDependencyProvider, Ranges};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;
use torc_solver::{Index, VersionSet};


/// Package names for [`Pkg`]'s `Display` (pubgrub wants `Display`; keeping
/// the names out of the key keeps it a `u32`, like Torc's `PackageId`).
pub static NAMES: OnceLock<Vec<String>> = OnceLock::new();

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pkg(pub u32);

impl fmt::Display for Pkg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match NAMES.get().and_then(|names| names.get(self.0 as usize)) {
            Some(name) => f.write_str(name),
            None => write!(f, "#{}", self.0),
        }
    }
}

impl fmt::Debug for Pkg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

pub type Provider = OfflineDependencyProvider<Pkg, Ranges<u32>>;

pub fn ranges(set: &VersionSet) -> Ranges<u32> {
    set.intervals()
        .iter()
        .fold(Ranges::empty(), |acc, &(lo, hi)| {
            acc.union(&Ranges::between(lo, hi))
        })
}

/// The same model for pubgrub. Yanked releases are left out (pubgrub has no
/// notion of them, and Torc never picks one without a lock), so a yanked
/// root is unsatisfiable for both.
pub fn build_provider(index: &Index) -> Result<Provider, String> {
    let mut provider = Provider::new();
    for (id, package) in index.packages() {
        for (ix, release) in package.releases.iter().enumerate() {
            if release.yanked {
                continue;
            }
            if !release.conflicts.is_empty() {
                return Err(format!(
                    "{} {} has conflicts, which this bench does not model",
                    package.name, release.label
                ));
            }
            let mut deps: BTreeMap<Pkg, Ranges<u32>> = BTreeMap::new();
            for dependency in &release.dependencies {
                let [constraint] = dependency.alternatives.as_slice() else {
                    return Err(format!(
                        "{} {} has a dependency with {} alternatives; pubgrub takes one",
                        package.name,
                        release.label,
                        dependency.alternatives.len()
                    ));
                };
                let set = ranges(&constraint.versions);
                deps.entry(Pkg(constraint.package.0))
                    .and_modify(|r| *r = r.intersection(&set))
                    .or_insert(set);
            }
            provider.add_dependencies(Pkg(id.0), ix as u32, deps);
        }
    }
    Ok(provider)
}
