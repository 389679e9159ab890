//! The operations behind the CLI's commands, one function each: what
//! `torc tree`, `update`, `publish`, `yank`, `add`, `diff` and `bump` do to
//! a project and its registries. The CLI parses arguments and prints; these
//! read and write.

use crate::error::{Error, Result};
use crate::gate::{self, Report};
use crate::lock::{Lockfile, LOCK_FILE};
use crate::manifest;
use crate::package::Manifest;
use crate::registry::{FileRegistry, IndexEntry, Registries};
use crate::resolve::{self, check_trust, LockChange, Resolved, Unlock};
use semver::Version;
use std::path::{Path, PathBuf};
use torc_solver::semver::{cmp_precedence, VersionReq};

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
    Ok(lock_checked(project, registries, unlock, locked, |_| Ok(()))?.0)
}

/// [`lock`], with `check` run on the resolution before `torc.lock` is
/// written: when it fails (an archive that is not what its index line
/// says, say), the lockfile is left as it was, so torc.lock never records
/// a release Torc refused to read.
pub fn lock_checked<T>(
    project: &Project,
    registries: &Registries,
    unlock: &Unlock,
    locked: bool,
    check: impl FnOnce(&Resolved) -> Result<T>,
) -> Result<(Locked, T)> {
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
    }
    let checked = check(&resolved)?;
    if differs {
        new.write(&lock_path)?;
    }
    Ok((Locked { resolved, changes, had_lock: old.is_some() }, checked))
}

/// `Updating torc-math v0.4.0 -> v0.4.1`, `Downgrading torc-math v0.4.1 ->
/// v0.4.0` (a lower version, say after a yank), `Adding ...`, `Removing ...`.
pub fn describe_change(change: &LockChange) -> String {
    match change {
        LockChange::Added { name, version } => format!("Adding {name} v{version}"),
        LockChange::Removed { name, version } => format!("Removing {name} v{version}"),
        LockChange::Changed { name, from, to } => {
            let verb = if cmp_precedence(to, from) == std::cmp::Ordering::Less { "Downgrading" } else { "Updating" };
            format!("{verb} {name} v{from} -> v{to}")
        }
    }
}

/// `torc publish`: runs the semver gate (see [`publish_checked`]), then
/// packs the package in `dir` and publishes it to the registry named
/// `registry` (default: the highest-priority one). A refused release is
/// [`Error::GateRefused`] and nothing is written.
pub fn publish(dir: &Path, registries: &Registries, registry: Option<&str>) -> Result<(IndexEntry, String)> {
    let publication = publish_checked(dir, registries, registry, false)?;
    let entry = publication.entry.expect("a publish that is not a dry run publishes or fails");
    Ok((entry, publication.registry))
}

/// What `torc publish` did: the gate's report, and the index entry written
/// (`None` for a dry run).
#[derive(Clone, Debug)]
pub struct Publication {
    pub report: Report,
    /// The registry published to (or that would be, for a dry run).
    pub registry: String,
    pub entry: Option<IndexEntry>,
}

/// `torc publish [--dry-run]`: the semver gate against the target
/// registry's releases of the package, then the publish.
///
/// The baseline is the target registry's highest non-prerelease version
/// below the new one, yanked or not; with none, the contracts are checked
/// and there is nothing to compare. When the registry has a release above
/// the new one (a backport, a middle release), the lowest such
/// non-prerelease release must also be a correct step from the new one
/// ([`gate::compare_with_upper`]), or the release is refused. A version the registry has
/// already is [`Error::VersionExists`]. A refused release is
/// [`Error::GateRefused`], except in a dry run, which never writes and
/// returns the report either way.
///
/// The gate reads the index before the registry's write lock is taken, so
/// a release published concurrently between the two is not a baseline;
/// the publish itself still refuses a duplicate version under the lock.
pub fn publish_checked(
    dir: &Path,
    registries: &Registries,
    registry: Option<&str>,
    dry_run: bool,
) -> Result<Publication> {
    let project = Project::open(Some(dir))?;
    // Packed once: a proof library's lemmas are proved here, from the
    // archive that is then published, so no file the archive leaves out
    // is proved and none it holds is unproved.
    let packed = crate::registry::archive::pack(&project.dir)?;
    if project.manifest.kind == crate::package::PackageKind::Proof {
        let options = torc_contracts::prove::Options::default();
        crate::library::build_packed_library(&project.dir, &project.manifest, &packed, &options)?;
    }
    // Publishing creates a registry directory that does not exist yet.
    let target = registries.target(registry)?;
    let report = publish_gate(&project, target, &gate::Options::default())?;
    let name = target.name().to_owned();
    if dry_run {
        return Ok(Publication { report, registry: name, entry: None });
    }
    if !report.accepted() {
        return Err(Error::GateRefused { report: Box::new(report) });
    }
    let entry = target.publish_archive(&project.manifest, &project.dir, packed)?;
    Ok(Publication { report, registry: name, entry: Some(entry) })
}

/// The gate for publishing `project` to `registry`.
pub fn publish_gate(project: &Project, registry: &FileRegistry, options: &gate::Options) -> Result<Report> {
    let manifest = &project.manifest;
    let entries = registry.entries(&manifest.name)?.unwrap_or_default();
    if let Some(existing) =
        entries.iter().find(|e| cmp_precedence(&e.version, &manifest.version) == std::cmp::Ordering::Equal)
    {
        return Err(Error::VersionExists {
            name: manifest.name.clone(),
            version: existing.version.to_string(),
            registry: registry.name().to_owned(),
        });
    }
    let mut report = match gate::version::baseline(&entries, &manifest.version, false) {
        None => gate::first_release(manifest, options)?,
        Some(entry) => gate::compare(&published_manifest(registry, entry)?, manifest, options)?,
    };
    if let Some(entry) = gate::version::upper_neighbour(&entries, &manifest.version) {
        let upper = gate::compare_with_upper(manifest, &published_manifest(registry, entry)?, options)?;
        report.upper = Some(Box::new(upper));
    }
    Ok(report)
}

/// `torc bump`: the package at `project` against its baseline in the
/// registry it resolves from (or `registry`): the highest non-prerelease
/// release (yanked or not) at or below the manifest's version, so a
/// package still carrying the version it was last published under is
/// compared with that release. The report's `next_version` is the
/// smallest version the changes allow.
pub fn bump(project: &Project, registries: &Registries, registry: Option<&str>) -> Result<Report> {
    let manifest = &project.manifest;
    let options = gate::Options::default();
    let found = match registry {
        Some(_) => {
            let target = registries.target(registry)?;
            target.entries(&manifest.name)?.map(|entries| (target, entries))
        }
        None => registries.lookup(&manifest.name)?,
    };
    let baseline = found.as_ref().and_then(|(registry, entries)| {
        gate::version::baseline(entries, &manifest.version, true).map(|entry| (*registry, entry))
    });
    match baseline {
        None => gate::first_release(manifest, &options),
        Some((registry, entry)) => gate::compare(&published_manifest(registry, entry)?, manifest, &options),
    }
}

/// `torc diff OLD NEW`: the gate on two releases, each a manifest or
/// package directory, or a published `NAME@VERSION`.
pub fn diff(old: &Manifest, new: &Manifest) -> Result<Report> {
    gate::compare(old, new, &gate::Options::default())
}

/// One side of `torc diff`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReleaseRef {
    /// A manifest file or a directory holding one.
    Path(PathBuf),
    /// `torc-pid@1.0.3`, from the registries.
    Published { name: String, version: Version },
}

impl ReleaseRef {
    /// An existing path is a path; otherwise `NAME@VERSION`.
    pub fn parse(text: &str) -> Result<ReleaseRef> {
        let path = Path::new(text);
        if path.exists() {
            return Ok(ReleaseRef::Path(path.to_path_buf()));
        }
        let at = |column: usize, message: String| {
            Error::input(crate::error::Location::new("<command line>", 1, column, "release"), message)
        };
        let Some((name, version)) = text.rsplit_once('@') else {
            return Err(at(
                1,
                format!("`{text}` is neither an existing manifest or package directory nor NAME@VERSION (e.g. torc-pid@1.0.3)"),
            ));
        };
        crate::package::validate_name(name).map_err(|message| at(1, message))?;
        let version = Version::parse(version.trim())
            .map_err(|e| at(name.len() + 2, format!("`{version}` is not a version: {e}")))?;
        Ok(ReleaseRef::Published { name: name.to_owned(), version })
    }

    /// Reads the release's manifest; `registries` is needed for a published
    /// release only.
    pub fn manifest(&self, registries: Option<&Registries>) -> Result<Manifest> {
        match self {
            ReleaseRef::Path(path) => Ok(Project::open(Some(path))?.manifest),
            ReleaseRef::Published { name, version } => {
                let registries = registries.ok_or_else(|| Error::Registry {
                    registry: String::new(),
                    message: format!("no registries to fetch {name}@{version} from"),
                })?;
                let Some((registry, entries)) = registries.lookup(name)? else {
                    return Err(Error::PackageNotFound {
                        name: name.clone(),
                        searched: registries.names().into_iter().map(str::to_owned).collect(),
                    });
                };
                let entry = entries
                    .iter()
                    .find(|e| cmp_precedence(&e.version, version) == std::cmp::Ordering::Equal)
                    .ok_or_else(|| Error::VersionNotFound {
                    name: name.clone(),
                    version: version.to_string(),
                    registry: registry.name().to_owned(),
                })?;
                published_manifest(registry, entry)
            }
        }
    }
}

/// The manifest inside a published release's archive, checked against its
/// index line ([`crate::registry::read_release_manifest`]). Errors name it
/// as `<registry>/<name>@<version>/torc.toml`.
pub fn published_manifest(registry: &FileRegistry, entry: &IndexEntry) -> Result<Manifest> {
    crate::registry::release_manifest(registry, entry)
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
