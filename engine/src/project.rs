//! The operations behind the CLI's commands, one function each: what
//! `torc tree`, `update`, `publish`, `yank` and `add` do to a project and its
//! registries. The CLI parses arguments and prints; these read and write.

use crate::error::{Error, Result};
use crate::lock::{Lockfile, LOCK_FILE};
use crate::manifest;
use crate::package::Manifest;
use crate::registry::{IndexEntry, Registries};
use crate::resolve::{self, check_trust, LockChange, Resolved, Unlock};
use semver::Version;
use std::path::{Path, PathBuf};
use torc_solver::semver::VersionReq;

/// A package directory being worked on: its manifest and its lockfile.
#[derive(Clone, Debug)]
pub struct Project {
    pub manifest: Manifest,
    /// The directory holding the manifest (and `torc.lock`).
    pub dir: PathBuf,
}

impl Project {
    /// Opens the project at `path` (a manifest file or a directory holding
    /// one), or, with no path, the nearest manifest at or above the current
    /// directory.
    pub fn open(path: Option<&Path>) -> Result<Project> {
        let manifest_path = match path {
            Some(path) if path.is_dir() => manifest::manifest_path(path)?,
            Some(path) => path.to_path_buf(),
            None => {
                let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
                manifest::find(&cwd)?
            }
        };
        let manifest = manifest::read(&manifest_path)?;
        let dir = match manifest_path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Ok(Project { manifest, dir })
    }

    pub fn lock_path(&self) -> PathBuf {
        self.dir.join(LOCK_FILE)
    }
}

/// The outcome of resolving a project and bringing its lockfile up to date.
#[derive(Clone, Debug)]
pub struct Locked {
    pub resolved: Resolved,
    /// What changed in `torc.lock` (empty when nothing did).
    pub changes: Vec<LockChange>,
    /// Whether there was a lockfile before.
    pub had_lock: bool,
}

/// Resolves the project (keeping the lock's pins except `unlock`), applies
/// its trust policy and writes `torc.lock` when it changed. With `locked`,
/// a lockfile that would change is an error and nothing is written.
pub fn lock(project: &Project, registries: &Registries, unlock: &Unlock, locked: bool) -> Result<Locked> {
    let lock_path = project.lock_path();
    let old = Lockfile::read(&lock_path)?;
    if let (Unlock::Packages(names), Some(old)) = (unlock, &old) {
        if let Some(name) = names.iter().find(|n| old.get(n).is_none()) {
            return Err(Error::input(
                crate::error::Location::new(&lock_path, 1, 1, ""),
                format!("`{name}` is not in torc.lock, so there is nothing to update"),
            ));
        }
    }
    let resolved = resolve::resolve(&project.manifest, registries, old.as_ref(), unlock)?;
    check_trust(&project.manifest, &resolved)?;
    let new = resolved.lockfile();
    let changes = resolve::lock_changes(old.as_ref(), &new);
    let differs = old.as_ref() != Some(&new);
    if differs {
        if locked {
            let reason = if old.is_none() {
                "there is no torc.lock".to_owned()
            } else if changes.is_empty() {
                "its recorded sources or hashes differ".to_owned()
            } else {
                changes.iter().map(describe_change).collect::<Vec<_>>().join(", ")
            };
            return Err(Error::LockOutdated { reason });
        }
        new.write(&lock_path)?;
    }
    Ok(Locked { resolved, changes, had_lock: old.is_some() })
}

/// `Updating torc-math v0.4.0 -> v0.4.1`, `Adding ...`, `Removing ...`.
pub fn describe_change(change: &LockChange) -> String {
    match change {
        LockChange::Added { name, version } => format!("Adding {name} v{version}"),
        LockChange::Removed { name, version } => format!("Removing {name} v{version}"),
        LockChange::Changed { name, from, to } => format!("Updating {name} v{from} -> v{to}"),
    }
}

/// `torc publish`: packs the package in `dir` and publishes it to the
/// registry named `registry` (default: the highest-priority one).
pub fn publish(dir: &Path, registries: &Registries, registry: Option<&str>) -> Result<(IndexEntry, String)> {
    let project = Project::open(Some(dir))?;
    // Publishing creates a registry directory that does not exist yet.
    let target = registries.target(registry)?;
    let entry = target.publish(&project.manifest, &project.dir)?;
    Ok((entry, target.name().to_owned()))
}

/// `torc yank NAME@VERSION [--undo]`: in the registry named `registry`, or
/// the one `NAME` resolves from.
pub fn yank(
    registries: &Registries,
    name: &str,
    version: &Version,
    registry: Option<&str>,
    yanked: bool,
) -> Result<(IndexEntry, String)> {
    let target = match registry {
        Some(_) => registries.target(registry)?,
        None => match registries.lookup(name)? {
            Some((registry, _)) => registry,
            None => {
                return Err(Error::PackageNotFound {
                    name: name.to_owned(),
                    searched: registries.names().into_iter().map(str::to_owned).collect(),
                })
            }
        },
    };
    let entry = target.set_yanked(name, version, yanked)?;
    Ok((entry, target.name().to_owned()))
}

/// `torc add NAME[@REQ]`: checks that a registry has `name` (and a
/// non-yanked release matching `requirement`), then writes the dependency
/// into the manifest. With no requirement, `^` of the newest non-yanked,
/// non-prerelease release. Returns the requirement written and whether an
/// existing entry was replaced.
pub fn add(
    project: &Project,
    registries: &Registries,
    name: &str,
    requirement: Option<VersionReq>,
    dev: bool,
) -> Result<(VersionReq, bool)> {
    if let Err(message) = crate::package::validate_name(name) {
        return Err(Error::input(crate::error::Location::new("<command line>", 1, 1, "NAME"), message));
    }
    let Some((registry, entries)) = registries.lookup(name)? else {
        return Err(Error::PackageNotFound {
            name: name.to_owned(),
            searched: registries.names().into_iter().map(str::to_owned).collect(),
        });
    };
    let available = entries.iter().filter(|e| !e.yanked);
    let requirement = match requirement {
        Some(requirement) => {
            if !available.clone().any(|e| requirement.matches(&e.version)) {
                return Err(Error::VersionNotFound {
                    name: name.to_owned(),
                    version: format!("matching `{requirement}` (that is not yanked)"),
                    registry: registry.name().to_owned(),
                });
            }
            requirement
        }
        None => {
            let newest = available
                .clone()
                .filter(|e| e.version.pre.is_empty())
                .map(|e| &e.version)
                .max()
                .or_else(|| available.map(|e| &e.version).max())
                .ok_or_else(|| Error::VersionNotFound {
                    name: name.to_owned(),
                    version: "that is not yanked".to_owned(),
                    registry: registry.name().to_owned(),
                })?;
            let text = if newest.pre.is_empty() {
                format!("^{}.{}.{}", newest.major, newest.minor, newest.patch)
            } else {
                format!("^{}.{}.{}-{}", newest.major, newest.minor, newest.patch, newest.pre)
            };
            VersionReq::parse(&text).expect("a caret requirement built from a version parses")
        }
    };
    let replaced = crate::edit::add_dependency(&project.manifest.file, name, &requirement, dev)?;
    Ok((requirement, replaced))
}
