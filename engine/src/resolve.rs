//! Resolving a project: its manifest's requirements, against its
//! registries, preferring what `torc.lock` pins.
//!
//! 1. Starting from the manifest's dependencies, every package name reached
//!    is looked up in the registries; each name comes from exactly one
//!    registry, the highest-priority one that has it
//!    ([`Registries::lookup`]).
//! 2. The releases found become a [`SemverRegistry`]; locked versions become
//!    the resolver's preferred pins (a pin is dropped, with a note, when the
//!    name now comes from a different registry; a pin whose archive hash
//!    changed is refused outright).
//! 3. The solver answers; the answer is mapped back to packages, their
//!    registries and hashes, as a graph ([`Resolved`]) and a new
//!    [`Lockfile`].
//!
//! A yanked release is chosen only when the lock pins it, as Cargo does;
//! [`check_trust`] then applies the project's `[trust]` policy.

use crate::error::{Error, Result};
use crate::lock::{LockedPackage, Lockfile};
use crate::package::{Manifest, PackageKind};
use crate::registry::{IndexEntry, Registries};
use semver::Version;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use torc_solver::semver::{SemverRegistry, SemverRelease, VersionReq};
use torc_solver::{Preference, Resolution, ResolveOptions, Resolver};

/// Which lock pins to drop before resolving (`torc update [NAME]`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Unlock {
    /// Keep every pin that still fits.
    #[default]
    Nothing,
    /// Re-resolve from scratch: newest versions everywhere.
    Everything,
    /// Drop the pins of these packages only.
    Packages(Vec<String>),
}

/// A resolved project: the root, every package it needs, and the edges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub root: ResolvedRoot,
    /// Sorted by name; [`Edge::package`] indexes this.
    pub packages: Vec<ResolvedPackage>,
    /// Things the user should know that are not errors (a pin dropped
    /// because a package moved to another registry, ...).
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedRoot {
    pub name: String,
    pub version: Version,
    pub kind: PackageKind,
    /// In manifest order.
    pub dependencies: Vec<Edge>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edge {
    /// Position in [`Resolved::packages`].
    pub package: usize,
    /// A dev-dependency of the root.
    pub dev: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedPackage {
    pub name: String,
    pub version: Version,
    pub kind: PackageKind,
    /// The registry it came from.
    pub registry: String,
    pub blake3: String,
    /// Chosen although yanked, because `torc.lock` pins it.
    pub yanked: bool,
    /// Positions in [`Resolved::packages`], in the order its index line
    /// lists them.
    pub dependencies: Vec<usize>,
}

impl Resolved {
    /// The lockfile recording this resolution.
    pub fn lockfile(&self) -> Lockfile {
        let mut lock = Lockfile {
            packages: self
                .packages
                .iter()
                .map(|p| LockedPackage {
                    name: p.name.clone(),
                    version: p.version.clone(),
                    kind: p.kind,
                    source: p.registry.clone(),
                    blake3: p.blake3.clone(),
                    dependencies: p
                        .dependencies
                        .iter()
                        .map(|&d| format!("{} {}", self.packages[d].name, self.packages[d].version))
                        .collect(),
                })
                .collect(),
        };
        lock.sort();
        lock
    }

    /// The registries packages came from, in name order.
    pub fn registries(&self) -> Vec<&str> {
        let set: BTreeSet<&str> = self.packages.iter().map(|p| p.registry.as_str()).collect();
        set.into_iter().collect()
    }
}

/// Every name reachable from the root, with the registry that provides it.
struct Collected<'r> {
    found: BTreeMap<String, (&'r crate::registry::FileRegistry, Vec<IndexEntry>)>,
}

fn collect<'r>(manifest: &Manifest, registries: &'r Registries) -> Result<Collected<'r>> {
    let mut found = BTreeMap::new();
    let mut missing = BTreeSet::new();
    let mut queue: VecDeque<String> = manifest.dependencies.iter().map(|d| d.name.clone()).collect();
    while let Some(name) = queue.pop_front() {
        if found.contains_key(&name) || missing.contains(&name) {
            continue;
        }
        match registries.lookup(&name)? {
            Some((registry, entries)) => {
                queue.extend(entries.iter().flat_map(|e| e.dependencies.iter().map(|d| d.name.clone())));
                found.insert(name, (registry, entries));
            }
            None => {
                missing.insert(name);
            }
        }
    }
    // A direct dependency nobody has is a typo or a missing registry; say so
    // plainly rather than through the solver's explanation.
    if let Some(decl) = manifest.dependencies.iter().find(|d| missing.contains(&d.name)) {
        return Err(Error::PackageNotFound {
            name: decl.name.clone(),
            searched: registries.names().into_iter().map(str::to_owned).collect(),
        });
    }
    Ok(Collected { found })
}

/// Resolves `manifest`'s dependencies against `registries`, preferring the
/// releases `lock` pins (minus `unlock`).
pub fn resolve(manifest: &Manifest, registries: &Registries, lock: Option<&Lockfile>, unlock: &Unlock) -> Result<Resolved> {
    let collected = collect(manifest, registries)?;
    let mut notes = Vec::new();

    let mut semver = SemverRegistry::new();
    for (name, (registry, entries)) in &collected.found {
        for entry in entries {
            let mut dependencies = Vec::with_capacity(entry.dependencies.len());
            for dependency in &entry.dependencies {
                let requirement = VersionReq::parse(&dependency.req).map_err(|e| Error::Registry {
                    registry: registry.name().to_owned(),
                    message: format!(
                        "the index line of {name} {} has a bad requirement on {}: `{}`: {e}",
                        entry.version, dependency.name, dependency.req
                    ),
                })?;
                dependencies.push((dependency.name.clone(), requirement));
            }
            semver.add_release(SemverRelease {
                name: name.clone(),
                version: entry.version.clone(),
                yanked: entry.yanked,
                dependencies,
                conflicts: Vec::new(),
            });
        }
    }
    let requirements: Vec<(String, VersionReq)> =
        manifest.dependencies.iter().map(|d| (d.name.clone(), d.requirement.clone())).collect();
    let (index, root) = semver.build_for(&requirements).map_err(|e| Error::Registry {
        registry: registries.names().join(", "),
        message: e.to_string(),
    })?;

    let mut pins = HashMap::new();
    for locked in lock.map(|l| l.packages.as_slice()).unwrap_or_default() {
        let unlocked = match unlock {
            Unlock::Nothing => false,
            Unlock::Everything => true,
            Unlock::Packages(names) => names.contains(&locked.name),
        };
        if unlocked {
            continue;
        }
        let Some((registry, entries)) = collected.found.get(&locked.name) else {
            continue; // no longer needed
        };
        if registry.name() != locked.source {
            notes.push(format!(
                "torc.lock has {} {} from registry `{}`, but `{}` now provides {}: resolving it afresh",
                locked.name,
                locked.version,
                locked.source,
                registry.name(),
                locked.name
            ));
            continue;
        }
        let Some(entry) = entries.iter().find(|e| e.version == locked.version) else {
            notes.push(format!(
                "torc.lock has {} {}, which registry `{}` does not have: resolving it afresh",
                locked.name, locked.version, locked.source
            ));
            continue;
        };
        if entry.blake3 != locked.blake3 {
            return Err(Error::HashMismatch {
                name: locked.name.clone(),
                version: locked.version.to_string(),
                registry: locked.source.clone(),
                locked: locked.blake3.clone(),
                actual: entry.blake3.clone(),
            });
        }
        if let Some((package, ix)) = semver.locate(&index, &locked.name, &locked.version) {
            pins.insert(package, ix);
        }
    }

    let options = ResolveOptions { preference: Preference::Newest, lock: pins };
    let root_label = format!("{} {}", manifest.name, manifest.version);
    let solution = match Resolver::new(&index).resolve(&root, &options) {
        Resolution::Solved(solution) => solution,
        Resolution::NoSolution(explanation) => {
            return Err(Error::NoSolution {
                explanation: explanation.render_for(&root_label),
                root: root_label,
                facts: explanation,
            })
        }
        Resolution::Cycle(cycle) => {
            let mut path = vec![root_label];
            path.extend(cycle.describe(&index));
            return Err(Error::Cycle { path });
        }
    };

    // Map the solver's answer back to index entries, in name order.
    let mut chosen: Vec<(&str, &IndexEntry)> = Vec::new();
    for &(package, ix) in solution.choices() {
        let name = index.package(package).name.as_str();
        let label = &index.package(package).releases[ix as usize].label;
        let (_, entries) = &collected.found[name];
        let entry = entries
            .iter()
            .find(|e| e.version.to_string() == *label)
            .or_else(|| entries.iter().find(|e| Version::parse(label).is_ok_and(|v| v == e.version)))
            .expect("the solver only chooses releases the registry listed");
        chosen.push((name, entry));
    }
    chosen.sort_by(|a, b| a.0.cmp(b.0));
    let position: HashMap<&str, usize> = chosen.iter().enumerate().map(|(i, (name, _))| (*name, i)).collect();
    let packages = chosen
        .iter()
        .map(|(name, entry)| ResolvedPackage {
            name: (*name).to_owned(),
            version: entry.version.clone(),
            kind: entry.kind,
            registry: collected.found[*name].0.name().to_owned(),
            blake3: entry.blake3.clone(),
            yanked: entry.yanked,
            dependencies: entry.dependencies.iter().map(|d| position[d.name.as_str()]).collect(),
        })
        .collect();
    let root = ResolvedRoot {
        name: manifest.name.clone(),
        version: manifest.version.clone(),
        kind: manifest.kind,
        dependencies: manifest
            .dependencies
            .iter()
            .map(|d| Edge { package: position[d.name.as_str()], dev: d.dev })
            .collect(),
    };
    Ok(Resolved { root, packages, notes })
}

/// Applies the project's `[trust]` policy to a resolution.
///
/// Signing is not implemented yet, so every package is unsigned: a policy
/// that requires signatures (`reject-unsigned = true`, or any
/// `required-signatures`) rejects every non-empty resolution rather than
/// pretending to have checked something.
pub fn check_trust(manifest: &Manifest, resolved: &Resolved) -> Result<()> {
    let Some(policy) = &manifest.trust else { return Ok(()) };
    let at = |key: &str| manifest.location(policy.line, 1, key);
    if policy.reject_yanked {
        if let Some(p) = resolved.packages.iter().find(|p| p.yanked) {
            return Err(Error::Trust {
                location: at("trust.reject-yanked"),
                message: format!(
                    "{} {} is yanked (torc.lock pins it) and this project rejects yanked packages; run `torc update {}`",
                    p.name, p.version, p.name
                ),
            });
        }
    }
    if let Some(p) = resolved.packages.first() {
        if policy.reject_unsigned || !policy.required_signatures.is_empty() {
            let key = if policy.reject_unsigned { "trust.reject-unsigned" } else { "trust.required-signatures" };
            return Err(Error::Trust {
                location: at(key),
                message: format!(
                    "{} {} is unsigned: torc cannot sign or verify packages yet, so a policy that requires signatures rejects every package",
                    p.name, p.version
                ),
            });
        }
    }
    Ok(())
}

/// How a new lockfile differs from the old one, for messages such as
/// `Updating torc-math 0.4.0 -> 0.4.1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LockChange {
    Added { name: String, version: Version },
    Removed { name: String, version: Version },
    Changed { name: String, from: Version, to: Version },
}

pub fn lock_changes(old: Option<&Lockfile>, new: &Lockfile) -> Vec<LockChange> {
    let old_versions: BTreeMap<&str, &Version> =
        old.map(|l| l.packages.iter().map(|p| (p.name.as_str(), &p.version)).collect()).unwrap_or_default();
    let new_versions: BTreeMap<&str, &Version> = new.packages.iter().map(|p| (p.name.as_str(), &p.version)).collect();
    let mut changes = Vec::new();
    for (name, version) in &new_versions {
        match old_versions.get(name) {
            None => changes.push(LockChange::Added { name: (*name).to_owned(), version: (*version).clone() }),
            Some(from) if from != version => {
                changes.push(LockChange::Changed { name: (*name).to_owned(), from: (*from).clone(), to: (*version).clone() })
            }
            Some(_) => {}
        }
    }
    for (name, version) in &old_versions {
        if !new_versions.contains_key(name) {
            changes.push(LockChange::Removed { name: (*name).to_owned(), version: (*version).clone() });
        }
    }
    changes
}
