//! Whole-registry workloads researchers run on real corpora: is every
//! package installable (like libsolv's `installcheck` and dose's
//! `dose-debcheck`), and does every version of every package resolve.
//!
//! Installability uses one shortcut, and it is exact: a solution that
//! installs package `p` is a consistent installation containing every
//! release in it, so every one of those releases is installable too and
//! need not be asked about again. Only releases no earlier solution
//! covered are resolved; each uninstallable one gets its own explanation.
//!
//! ```
//! use torc_corpora::workload::installability;
//! use torc_solver::{Index, VersionSet};
//!
//! let mut index = Index::new();
//! let (a, b) = (index.add_package("a"), index.add_package("b"));
//! let b1 = index.push_release(b, "1", false);
//! let a1 = index.push_release(a, "1", false);
//! let a2 = index.push_release(a, "2", false);
//! let needs_b = index.constraint(b, VersionSet::full(1), "b");
//! index.release_mut(a, a1).dependencies.push(needs_b.into());
//! let conflicts_b = index.constraint(b, VersionSet::full(1), "b");
//! index.release_mut(a, a2).dependencies.push(conflicts_b.clone().into());
//! index.release_mut(a, a2).conflicts.push(conflicts_b);
//!
//! let report = installability(&index, |_, _| {});
//! assert_eq!(report.checked, 3);
//! assert_eq!(report.uninstallable.len(), 1); // a 2 needs b and conflicts with it
//! assert_eq!(report.uninstallable[0].package, "a");
//! assert_eq!(report.uninstallable[0].version, "2");
//! let _ = (a2, b1);
//! ```

use serde::Serialize;
use torc_solver::{Index, PackageId, Resolution, ResolveOptions, Resolver, Root, VersionIx};

/// Every release of an index, checked for installability alone.
#[derive(Clone, Debug, Serialize)]
pub struct InstallabilityReport {
    /// Releases checked (every release of the index).
    pub checked: usize,
    pub installable: usize,
    pub uninstallable: Vec<Uninstallable>,
    /// Releases the resolver was asked about (the rest were covered by an
    /// earlier solution).
    pub resolved: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct Uninstallable {
    pub package: String,
    pub version: String,
    /// Why, as a sentence.
    pub explanation: String,
}

/// Checks every release of `index`; `progress(done, total)` is called as
/// releases are settled.
pub fn installability(index: &Index, mut progress: impl FnMut(usize, usize)) -> InstallabilityReport {
    let total = index.release_count();
    // installable[p][v]: settled as installable.
    let mut installable: Vec<Vec<bool>> = index.packages().map(|(_, p)| vec![false; p.releases.len()]).collect();
    let mut resolver = Resolver::new(index);
    let options = ResolveOptions::default();
    let mut uninstallable = Vec::new();
    let mut resolved: usize = 0;
    let mut done = 0;
    for p in 0..index.package_count() {
        let package = PackageId(p as u32);
        for ix in 0..index.package(package).releases.len() as VersionIx {
            done += 1;
            if installable[p][ix as usize] {
                continue;
            }
            resolved += 1;
            let root = Root::release(index, package, ix);
            let solution = match resolver.resolve(&root, &options) {
                Resolution::Solved(solution) => solution,
                // Dependency cycles are fine for installation.
                Resolution::Cycle(cycle) => cycle.solution,
                Resolution::NoSolution(explanation) => {
                    let name = &index.package(package).name;
                    let version = &index.package(package).releases[ix as usize].label;
                    uninstallable.push(Uninstallable {
                        package: name.clone(),
                        version: version.clone(),
                        explanation: explanation.render_for(&format!("{name} {version}")),
                    });
                    continue;
                }
            };
            for &(q, iy) in solution.choices() {
                installable[q.0 as usize][iy as usize] = true;
            }
            if resolved.is_multiple_of(256) {
                progress(done, total);
            }
        }
    }
    progress(total, total);
    InstallabilityReport { checked: total, installable: total - uninstallable.len(), uninstallable, resolved }
}

/// Every release of an index resolved as a root of its own.
#[derive(Clone, Debug, Serialize)]
pub struct EachVersionReport {
    pub checked: usize,
    pub sat: usize,
    pub unsat: usize,
    /// Solutions whose dependency graph has a cycle.
    pub cycles: usize,
    /// Requests the greedy pass answered alone, and those that needed SAT.
    pub greedy_only: u64,
    pub sat_searches: u64,
}

pub fn each_version(index: &Index, mut progress: impl FnMut(usize, usize)) -> EachVersionReport {
    let total = index.release_count();
    let mut resolver = Resolver::new(index);
    let options = ResolveOptions::default();
    let mut report = EachVersionReport { checked: 0, sat: 0, unsat: 0, cycles: 0, greedy_only: 0, sat_searches: 0 };
    for p in 0..index.package_count() {
        let package = PackageId(p as u32);
        for ix in 0..index.package(package).releases.len() as VersionIx {
            match resolver.resolve(&Root::release(index, package, ix), &options) {
                Resolution::Solved(_) => report.sat += 1,
                Resolution::Cycle(_) => report.cycles += 1,
                Resolution::NoSolution(_) => report.unsat += 1,
            }
            report.checked += 1;
            if report.checked.is_multiple_of(1024) {
                progress(report.checked, total);
            }
        }
    }
    progress(total, total);
    let stats = resolver.stats();
    report.greedy_only = stats.greedy_only;
    report.sat_searches = stats.sat_searches;
    report
}
