//! Importer for the crates.io sparse index: turns index files into a
//! resolver [`Index`] whose roots are every imported release, for the
//! "resolve each version of each crate" workload.
//!
//! # Input
//!
//! A sparse index holds one file per crate (`3/f/fnv`, `se/rd/serde`, ...)
//! with one JSON object per line, one line per published version:
//! `name`, `vers`, `deps[]` (each with `name`, `req`, `kind`, `optional`,
//! `target`, `package`), `yanked`, `features`, `cksum`, ... Only the fields
//! named here are read; the others are skipped. [`read_tar_xz`] reads such
//! a tree from a `.tar.xz` archive; [`read_lines`] takes `(file name,
//! contents)` pairs, so tests need no archive. Blank lines are skipped.
//! Files whose base name contains a dot (`config.json`, `.gitkeep`) are not
//! crate files — crate names cannot contain dots — and are skipped by
//! [`read_tar_xz`].
//!
//! # Model
//!
//! The simplifications, each chosen so that Torc and any peer solver fed
//! from the same [`Index`] (the benchmark feeds pubgrub) see the identical
//! problem:
//!
//! * **Dependency kinds.** `normal` (or a missing / `null` kind) and
//!   `build` dependencies are kept; `dev` dependencies are dropped, as they
//!   are not needed to build a crate as someone else's dependency. Any other
//!   kind is an error.
//! * **Optional dependencies** (`optional: true`) are dropped and
//!   **features are ignored** entirely: a release needs exactly its
//!   non-optional normal and build dependencies.
//! * **Target-specific dependencies** (`target: "cfg(windows)"`) are kept:
//!   Cargo resolves the lock file for every target at once.
//! * **Renames** are followed: a dependency `{"name": "foo", "package":
//!   "bar"}` is a dependency on the crate `bar`. Names are matched exactly
//!   (the index stores canonical names).
//! * **Compatible ranges are packages.** Cargo allows one version of a crate
//!   per semver-compatible range, so each (crate, compatible range) is its
//!   own package, named `name@1` for `1.x.y` (major > 0), `name@0.3` for
//!   `0.3.y` and `name@0.0.7` for `0.0.7`. Within a package, releases are in
//!   ascending (major, minor, patch, pre-release) order; build metadata is
//!   ignored for ordering (crates.io forbids two versions that differ only
//!   in it, and so does this importer). Release labels are the `vers` text.
//! * **One package per requirement.** A requirement can match versions of
//!   several compatible ranges (`>=0.3, <2`). It is mapped to the package of
//!   the *newest* matching version and constrains it to the versions of that
//!   package it matches; older ranges it also matches are not offered. This
//!   is what Cargo would pick first; it only loses solutions where the
//!   newest range cannot work but an older one could, and
//!   [`ImportStats::multi_range_requirements`] counts how often it applies.
//! * **Unmatched requirements.** A requirement that matches no imported
//!   version (unknown crate, no fitting version, or only versions that were
//!   left out) becomes a constraint with an empty [`VersionSet`] on a
//!   package named `name@none` that has no releases, so every release that
//!   needs it is unresolvable, with an explanation naming the requirement.
//! * **Duplicates.** Several dependencies on the same package (a normal and
//!   a build dependency, or per-target copies) are kept as separate
//!   dependencies; the resolver intersects them.
//! * **Pre-releases and yanked versions** are imported only when
//!   [`ImportOptions`] asks for them. Requirements match pre-releases by
//!   Cargo's rules (only when the requirement names a pre-release of the
//!   same `major.minor.patch`); yanked releases are pushed with
//!   `yanked = true`, which the resolver never picks unless a lock pins
//!   them. Versions left out do not exist for requirement matching either.
//!
//! Requirements are parsed in Cargo's dialect (a bare `1.0` means `^1.0`)
//! with [`VersionReq::parse_with`], and the matching set is computed once
//! per (crate, requirement text) and then shared.
//!
//! A line that cannot be read is an [`Error::Line`] naming the file,
//! the line number and the field; the importer never panics on bad input.

use crate::{Corpus, Error, ImportOptions, Stats};
use serde::Deserialize;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use torc_solver::semver::{BareVersion, VersionReq};
use torc_solver::{Constraint, Index, PackageId, VersionIx, VersionSet};

/// Counts gathered while importing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportStats {
    /// Crate files read.
    pub files: usize,
    /// Version lines read (imported or not).
    pub lines: usize,
    /// Crates with at least one imported version.
    pub crates: usize,
    /// Imported versions (= releases in the index = roots).
    pub versions: usize,
    /// Packages holding releases: (crate, compatible range) pairs.
    pub packages: usize,
    /// Versions left out because they are pre-releases.
    pub skipped_prereleases: usize,
    /// Versions left out because they are yanked (pre-releases that are also
    /// yanked count as pre-releases only).
    pub skipped_yanked: usize,
    /// Dependencies kept on imported versions.
    pub dependency_edges: usize,
    /// Of which build dependencies.
    pub build_dependencies: usize,
    /// Of which target-specific.
    pub target_dependencies: usize,
    /// Of which renamed (`package` set).
    pub renamed_dependencies: usize,
    /// Of which on a `name@none` package (match no imported version).
    pub unmatched_dependencies: usize,
    /// Dev dependencies dropped from imported versions.
    pub dropped_dev_dependencies: usize,
    /// Optional dependencies dropped from imported versions.
    pub dropped_optional_dependencies: usize,
    /// Distinct (crate, requirement text) pairs.
    pub requirements: usize,
    /// Of which match versions in more than one compatible range (mapped to
    /// the newest range only).
    pub multi_range_requirements: usize,
}

/// The package holding `version` of crate `name`, and its position.
pub(crate) fn find(index: &Index, name: &str, version: &str) -> Option<(PackageId, VersionIx)> {
    let parsed = semver::Version::parse(version).ok()?;
    let package = index.package_id(&package_name(name, &parsed))?;
    let releases = &index.package(package).releases;
    let ix = releases.iter().position(|r| r.label == version)?;
    Some((package, ix as VersionIx))
}

/// Reads a sparse index from a `.tar.xz` archive.
pub fn read_tar_xz(path: &Path, options: &ImportOptions) -> Result<Corpus, Error> {
    let io_error = |source| Error::Io { path: path.to_owned(), source };
    let file = File::open(path).map_err(io_error)?;
    let mut archive = tar::Archive::new(xz2::read::XzDecoder::new(BufReader::new(file)));
    let mut importer = Importer::new(options.clone());
    let mut contents = String::new();
    for entry in archive.entries().map_err(io_error)? {
        let mut entry = entry.map_err(io_error)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry.path().map_err(io_error)?.to_string_lossy().into_owned();
        let base = name.rsplit('/').next().unwrap_or(&name);
        if base.is_empty() || base.contains('.') {
            continue;
        }
        contents.clear();
        if let Err(source) = entry.read_to_string(&mut contents) {
            return Err(Error::Entry { file: name, source });
        }
        importer.add_file(name, &contents)?;
    }
    importer.finish()
}

/// Imports `(file name, contents)` pairs of sparse-index files.
pub fn read_lines(
    files: impl IntoIterator<Item = (String, String)>,
    options: &ImportOptions,
) -> Result<Corpus, Error> {
    let mut importer = Importer::new(options.clone());
    for (name, contents) in files {
        importer.add_file(name, &contents)?;
    }
    importer.finish()
}

/// The package of `version` of crate `name`: `name@1`, `name@0.3`,
/// `name@0.0.7`.
pub fn package_name(name: &str, version: &semver::Version) -> String {
    if version.major > 0 {
        format!("{name}@{}", version.major)
    } else if version.minor > 0 {
        format!("{name}@0.{}", version.minor)
    } else {
        format!("{name}@0.0.{}", version.patch)
    }
}

// ---------------------------------------------------------------------------
// Parsing

#[derive(Deserialize)]
struct RawVersion {
    name: String,
    vers: String,
    deps: Vec<RawDep>,
    #[serde(default)]
    yanked: Option<bool>,
}

#[derive(Deserialize)]
struct RawDep {
    name: String,
    req: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    optional: Option<bool>,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    package: Option<String>,
}

/// A kept dependency of a parsed version.
struct KeptDep {
    /// The real crate name (after following a rename).
    krate: String,
    req: String,
    /// Position in the line's `deps` array, for error messages.
    position: usize,
}

struct ParsedVersion {
    version: semver::Version,
    label: String,
    yanked: bool,
    deps: Vec<KeptDep>,
    file: usize,
    line: usize,
}

/// One imported release with its place in the index.
struct Imported {
    version: semver::Version,
    package: PackageId,
    ix: VersionIx,
    deps: Vec<KeptDep>,
    file: usize,
    line: usize,
}

struct Importer {
    options: ImportOptions,
    files: Vec<String>,
    crates: HashMap<String, Vec<ParsedVersion>>,
    stats: ImportStats,
}

/// Precedence order without build metadata.
fn precedence(a: &semver::Version, b: &semver::Version) -> Ordering {
    (a.major, a.minor, a.patch)
        .cmp(&(b.major, b.minor, b.patch))
        .then_with(|| a.pre.cmp(&b.pre))
}

fn same_range(a: &semver::Version, b: &semver::Version) -> bool {
    if a.major != b.major {
        false
    } else if a.major > 0 {
        true
    } else if a.minor != b.minor {
        false
    } else {
        a.minor > 0 || a.patch == b.patch
    }
}

impl Importer {
    fn new(options: ImportOptions) -> Self {
        Importer { options, files: Vec::new(), crates: HashMap::new(), stats: ImportStats::default() }
    }

    fn line_error(&self, file: usize, line: usize, field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Line {
            file: self.files[file].clone(),
            line,
            field: Some(field.into()),
            message: message.into(),
        }
    }

    fn add_file(&mut self, name: String, contents: &str) -> Result<(), Error> {
        let file = self.files.len();
        self.files.push(name);
        self.stats.files += 1;
        for (n, text) in contents.lines().enumerate() {
            let line = n + 1;
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            let raw: RawVersion = match serde_json::from_str(text) {
                Ok(raw) => raw,
                Err(err) => {
                    let (field, message) = diagnose(text, &err);
                    return Err(self.line_error(file, line, field, message));
                }
            };
            self.stats.lines += 1;
            self.add_version(file, line, raw)?;
        }
        Ok(())
    }

    fn add_version(&mut self, file: usize, line: usize, raw: RawVersion) -> Result<(), Error> {
        let version = semver::Version::parse(raw.vers.trim())
            .map_err(|err| self.line_error(file, line, "vers", format!("invalid version {:?}: {err}", raw.vers)))?;
        if raw.name.is_empty() {
            return Err(self.line_error(file, line, "name", "empty crate name"));
        }
        // Validate every dependency before deciding whether to keep the
        // version, so that a bad line is reported whatever the options.
        let mut deps = Vec::new();
        let (mut dev, mut optional, mut build, mut target, mut renamed) = (0, 0, 0, 0, 0);
        for (position, dep) in raw.deps.into_iter().enumerate() {
            let is_build = match dep.kind.as_deref() {
                None | Some("normal") => false,
                Some("build") => true,
                Some("dev") => {
                    dev += 1;
                    continue;
                }
                Some(other) => {
                    return Err(self.line_error(
                        file,
                        line,
                        format!("deps[{position}].kind"),
                        format!("unknown dependency kind {other:?} (expected \"normal\", \"build\" or \"dev\")"),
                    ))
                }
            };
            if dep.optional == Some(true) {
                optional += 1;
                continue;
            }
            let (krate, field) = match dep.package {
                Some(package) => {
                    renamed += 1;
                    (package, "package")
                }
                None => (dep.name, "name"),
            };
            if krate.is_empty() {
                return Err(self.line_error(file, line, format!("deps[{position}].{field}"), "empty crate name"));
            }
            build += usize::from(is_build);
            target += usize::from(dep.target.is_some());
            deps.push(KeptDep { krate, req: dep.req, position });
        }
        if !version.pre.is_empty() && !self.options.include_prereleases {
            self.stats.skipped_prereleases += 1;
            return Ok(());
        }
        let yanked = raw.yanked.unwrap_or(false);
        if yanked && !self.options.include_yanked {
            self.stats.skipped_yanked += 1;
            return Ok(());
        }
        self.stats.dropped_dev_dependencies += dev;
        self.stats.dropped_optional_dependencies += optional;
        self.stats.build_dependencies += build;
        self.stats.target_dependencies += target;
        self.stats.renamed_dependencies += renamed;
        let label = raw.vers.trim().to_owned();
        self.crates
            .entry(raw.name)
            .or_default()
            .push(ParsedVersion { version, label, yanked, deps, file, line });
        Ok(())
    }

    fn finish(mut self) -> Result<Corpus, Error> {
        let mut index = Index::new();
        let mut roots = Vec::new();

        // Step 1: the packages and their releases, in name order so that the
        // index does not depend on file order.
        let crates: BTreeMap<String, Vec<ParsedVersion>> = std::mem::take(&mut self.crates).into_iter().collect();
        let mut catalog: HashMap<String, Vec<Imported>> = HashMap::with_capacity(crates.len());
        let mut order = Vec::with_capacity(crates.len());
        for (name, mut versions) in crates {
            versions.sort_by(|a, b| precedence(&a.version, &b.version));
            let mut imported: Vec<Imported> = Vec::with_capacity(versions.len());
            for parsed in versions {
                let (package, ix) = match imported.last() {
                    Some(prev) if precedence(&prev.version, &parsed.version) == Ordering::Equal => {
                        return Err(self.line_error(
                            parsed.file,
                            parsed.line,
                            "vers",
                            format!("duplicate version {} of crate {name} (first at {}:{})", parsed.label, self.files[prev.file], prev.line),
                        ));
                    }
                    Some(prev) if same_range(&prev.version, &parsed.version) => {
                        (prev.package, index.push_release(prev.package, parsed.label, parsed.yanked))
                    }
                    _ => {
                        let package = index.add_package(&package_name(&name, &parsed.version));
                        self.stats.packages += 1;
                        (package, index.push_release(package, parsed.label, parsed.yanked))
                    }
                };
                roots.push((package, ix));
                imported.push(Imported {
                    version: parsed.version,
                    package,
                    ix,
                    deps: parsed.deps,
                    file: parsed.file,
                    line: parsed.line,
                });
            }
            self.stats.crates += 1;
            self.stats.versions += imported.len();
            order.push(name.clone());
            catalog.insert(name, imported);
        }

        // Step 2: dependencies, each requirement matched once per crate.
        let mut cache: HashMap<String, HashMap<String, Constraint>> = HashMap::new();
        for name in &order {
            for release in &catalog[name] {
                let mut dependencies = Vec::with_capacity(release.deps.len());
                for dep in &release.deps {
                    let cached = cache.get(&dep.krate).and_then(|reqs| reqs.get(&dep.req));
                    let constraint = match cached {
                        Some(constraint) => constraint.clone(),
                        None => {
                            let constraint = self
                                .match_requirement(&mut index, &catalog, &dep.krate, &dep.req)
                                .map_err(|message| {
                                    self.line_error(release.file, release.line, format!("deps[{}].req", dep.position), message)
                                })?;
                            cache.entry(dep.krate.clone()).or_default().insert(dep.req.clone(), constraint.clone());
                            constraint
                        }
                    };
                    if constraint.versions.is_empty() {
                        self.stats.unmatched_dependencies += 1;
                    }
                    dependencies.push(constraint.into());
                }
                self.stats.dependency_edges += dependencies.len();
                index.release_mut(release.package, release.ix).dependencies = dependencies;
            }
        }

        Ok(Corpus { index, stats: Stats::Crates(self.stats), roots })
    }

    /// The constraint for requirement `text` on crate `krate`.
    fn match_requirement(
        &mut self,
        index: &mut Index,
        catalog: &HashMap<String, Vec<Imported>>,
        krate: &str,
        text: &str,
    ) -> Result<Constraint, String> {
        let req = VersionReq::parse_with(text, BareVersion::Caret)
            .map_err(|err| format!("invalid requirement {text:?} on {krate}: {err}"))?;
        self.stats.requirements += 1;
        let requirement: Arc<str> = Arc::from(text.trim());
        let versions = catalog.get(krate).map(Vec::as_slice).unwrap_or(&[]);
        let Some(newest) = versions.iter().rposition(|v| req.matches(&v.version)) else {
            let package = index.add_package(&format!("{krate}@none"));
            return Ok(Constraint { package, versions: VersionSet::empty(), requirement });
        };
        let (package, newest_ix) = (versions[newest].package, versions[newest].ix);
        let start = newest - newest_ix as usize;
        let len = index.package(package).releases.len() as u32;
        let set = VersionSet::from_predicate(len, |ix| req.matches(&versions[start + ix as usize].version));
        if versions[..start].iter().any(|v| req.matches(&v.version)) {
            self.stats.multi_range_requirements += 1;
        }
        Ok(Constraint { package, versions: set, requirement })
    }
}

// ---------------------------------------------------------------------------
// Error diagnosis: the fast typed parse failed, find which field is wrong.

#[derive(Clone, Copy)]
enum Want {
    Str,
    Bool,
    Array,
}

fn describe(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

fn check_field(
    object: &serde_json::Map<String, serde_json::Value>,
    prefix: &str,
    key: &str,
    want: Want,
    required: bool,
) -> Option<(String, String)> {
    let field = || format!("{prefix}{key}");
    let value = match object.get(key) {
        None if required => return Some((field(), "missing".to_owned())),
        None => return None,
        Some(serde_json::Value::Null) if !required => return None,
        Some(value) => value,
    };
    let (ok, expected) = match want {
        Want::Str => (value.is_string(), "a string"),
        Want::Bool => (value.is_boolean(), "a boolean"),
        Want::Array => (value.is_array(), "an array"),
    };
    (!ok).then(|| (field(), format!("expected {expected}, found {}", describe(value))))
}

/// Names the field that made the typed parse of `text` fail.
fn diagnose(text: &str, err: &serde_json::Error) -> (String, String) {
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(syntax) => return ("<json>".to_owned(), syntax.to_string()),
    };
    let Some(object) = value.as_object() else {
        return ("<line>".to_owned(), format!("expected a JSON object, found {}", describe(&value)));
    };
    let top = [("name", Want::Str, true), ("vers", Want::Str, true), ("deps", Want::Array, true), ("yanked", Want::Bool, false)];
    for (key, want, required) in top {
        if let Some(found) = check_field(object, "", key, want, required) {
            return found;
        }
    }
    let deps = object.get("deps").and_then(|d| d.as_array()).map(Vec::as_slice).unwrap_or(&[]);
    for (i, dep) in deps.iter().enumerate() {
        let prefix = format!("deps[{i}].");
        let Some(dep) = dep.as_object() else {
            return (format!("deps[{i}]"), format!("expected an object, found {}", describe(dep)));
        };
        let fields = [
            ("name", Want::Str, true),
            ("req", Want::Str, true),
            ("kind", Want::Str, false),
            ("optional", Want::Bool, false),
            ("target", Want::Str, false),
            ("package", Want::Str, false),
        ];
        for (key, want, required) in fields {
            if let Some(found) = check_field(dep, &prefix, key, want, required) {
                return found;
            }
        }
    }
    ("<line>".to_owned(), err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(name: &str, vers: &str, deps: &[String]) -> String {
        format!(r#"{{"name":"{name}","vers":"{vers}","deps":[{}],"cksum":"00","features":{{}},"yanked":false}}"#, deps.join(","))
    }

    fn dep(name: &str, req: &str) -> String {
        format!(r#"{{"name":"{name}","req":"{req}","features":[],"optional":false,"default_features":true,"target":null,"kind":"normal"}}"#)
    }

    fn stats(c: &Corpus) -> &ImportStats {
        match &c.stats {
            Stats::Crates(stats) => stats,
            other => panic!("not crates.io stats: {other:?}"),
        }
    }

    fn import(files: &[(&str, Vec<String>)], options: ImportOptions) -> Result<Corpus, Error> {
        read_lines(files.iter().map(|(name, lines)| (name.to_string(), lines.join("\n"))), &options)
    }

    fn labels(index: &Index, package: &str) -> Vec<String> {
        let id = index.package_id(package).unwrap_or_else(|| panic!("no package {package}"));
        index.package(id).releases.iter().map(|r| r.label.clone()).collect()
    }

    /// (package, versions, requirement) of each dependency of a release.
    fn deps_of(c: &Corpus, name: &str, version: &str) -> Vec<(String, Vec<String>, String)> {
        let (p, ix) = c.find(name, version).unwrap_or_else(|| panic!("no {name} {version}"));
        c.index
            .release(p, ix)
            .dependencies
            .iter()
            .map(|d| {
                assert_eq!(d.alternatives.len(), 1);
                let k = &d.alternatives[0];
                let releases = &c.index.package(k.package).releases;
                let versions = k.versions.iter().map(|ix| releases[ix as usize].label.clone()).collect();
                (c.index.name(k.package).to_owned(), versions, k.requirement.to_string())
            })
            .collect()
    }

    #[test]
    fn compatible_ranges_are_packages_in_version_order() {
        let c = import(
            &[(
                "3/a/a",
                vec![
                    line("a", "1.2.0", &[]),
                    line("a", "0.3.1", &[]),
                    line("a", "1.0.0+build.5", &[]),
                    line("a", "0.0.7", &[]),
                    line("a", "0.3.0", &[]),
                    line("a", "2.0.0", &[]),
                    line("a", "1.10.0", &[]),
                    line("a", "0.0.8", &[]),
                ],
            )],
            ImportOptions::default(),
        )
        .unwrap();
        assert_eq!(labels(&c.index, "a@1"), ["1.0.0+build.5", "1.2.0", "1.10.0"]);
        assert_eq!(labels(&c.index, "a@0.3"), ["0.3.0", "0.3.1"]);
        assert_eq!(labels(&c.index, "a@0.0.7"), ["0.0.7"]);
        assert_eq!(labels(&c.index, "a@0.0.8"), ["0.0.8"]);
        assert_eq!(labels(&c.index, "a@2"), ["2.0.0"]);
        assert_eq!(stats(&c).crates, 1);
        assert_eq!(stats(&c).versions, 8);
        assert_eq!(stats(&c).packages, 5);
        assert_eq!(c.roots.len(), 8);
        let mut roots: Vec<_> = c.roots.iter().map(|&(p, ix)| format!("{} {}", c.index.name(p), c.index.release(p, ix).label)).collect();
        roots.sort();
        assert_eq!(roots[0], "a@0.0.7 0.0.7");
        assert!(roots.contains(&"a@1 1.10.0".to_owned()));
    }

    #[test]
    fn kinds_optional_targets_and_renames() {
        let app = line(
            "app",
            "1.0.0",
            &[
                dep("lib", "^1.0"),
                r#"{"name":"cc","req":"1","optional":false,"target":null,"kind":"build"}"#.to_owned(),
                r#"{"name":"tester","req":"1","optional":false,"target":null,"kind":"dev"}"#.to_owned(),
                r#"{"name":"opt","req":"1","optional":true,"target":null,"kind":"normal"}"#.to_owned(),
                r#"{"name":"winapi","req":"1","optional":false,"target":"cfg(windows)","kind":"normal"}"#.to_owned(),
                r#"{"name":"alias","req":"1","optional":false,"target":null,"kind":null,"package":"real"}"#.to_owned(),
            ],
        );
        let files = [
            ("3/a/app", vec![app]),
            ("3/l/lib", vec![line("lib", "1.0.0", &[]), line("lib", "1.1.0", &[])]),
            ("2/cc", vec![line("cc", "1.0.0", &[])]),
            ("te/st/tester", vec![line("tester", "1.0.0", &[])]),
            ("3/o/opt", vec![line("opt", "1.0.0", &[])]),
            ("wi/na/winapi", vec![line("winapi", "1.0.0", &[])]),
            ("re/al/real", vec![line("real", "1.0.0", &[])]),
        ];
        let c = import(&files, ImportOptions::default()).unwrap();
        let deps = deps_of(&c, "app", "1.0.0");
        let names: Vec<_> = deps.iter().map(|d| d.0.as_str()).collect();
        assert_eq!(names, ["lib@1", "cc@1", "winapi@1", "real@1"]);
        assert_eq!(deps[0].1, ["1.0.0", "1.1.0"]);
        assert_eq!(deps[0].2, "^1.0");
        assert_eq!(stats(&c).dependency_edges, 4);
        assert_eq!(stats(&c).dropped_dev_dependencies, 1);
        assert_eq!(stats(&c).dropped_optional_dependencies, 1);
        assert_eq!(stats(&c).build_dependencies, 1);
        assert_eq!(stats(&c).target_dependencies, 1);
        assert_eq!(stats(&c).renamed_dependencies, 1);
    }

    #[test]
    fn requirement_spanning_ranges_takes_the_newest_range() {
        let files = [
            ("3/a/app", vec![line("app", "1.0.0", &[dep("b", ">=0.3, <2")])]),
            ("1/b", vec![line("b", "0.3.0", &[]), line("b", "0.4.0", &[]), line("b", "1.0.0", &[]), line("b", "1.5.0", &[]), line("b", "2.0.0", &[])]),
        ];
        let c = import(&files, ImportOptions::default()).unwrap();
        assert_eq!(deps_of(&c, "app", "1.0.0"), [("b@1".to_owned(), vec!["1.0.0".to_owned(), "1.5.0".to_owned()], ">=0.3, <2".to_owned())]);
        assert_eq!(stats(&c).multi_range_requirements, 1);
    }

    #[test]
    fn unmatched_requirements_point_at_an_empty_package() {
        let files = [
            ("3/a/app", vec![line("app", "1.0.0", &[dep("b", "^3"), dep("ghost", "1")])]),
            ("1/b", vec![line("b", "1.0.0", &[])]),
        ];
        let c = import(&files, ImportOptions::default()).unwrap();
        let deps = deps_of(&c, "app", "1.0.0");
        assert_eq!(deps[0], ("b@none".to_owned(), vec![], "^3".to_owned()));
        assert_eq!(deps[1], ("ghost@none".to_owned(), vec![], "1".to_owned()));
        assert_eq!(c.index.package(c.index.package_id("b@none").unwrap()).releases.len(), 0);
        assert_eq!(stats(&c).unmatched_dependencies, 2);
        // Packages without releases are not roots.
        assert_eq!(c.roots.len(), 2);
    }

    #[test]
    fn duplicates_are_kept_and_requirements_cached() {
        let files = [
            (
                "3/a/app",
                vec![
                    line("app", "1.0.0", &[dep("b", "^1"), dep("b", "^1.1")]),
                    line("app", "1.1.0", &[dep("b", "^1")]),
                ],
            ),
            ("1/b", vec![line("b", "1.0.0", &[]), line("b", "1.1.0", &[])]),
        ];
        let c = import(&files, ImportOptions::default()).unwrap();
        let deps = deps_of(&c, "app", "1.0.0");
        assert_eq!(deps.len(), 2);
        assert_eq!(deps[0].1, ["1.0.0", "1.1.0"]);
        assert_eq!(deps[1].1, ["1.1.0"]);
        assert_eq!(stats(&c).requirements, 2);
        assert_eq!(stats(&c).dependency_edges, 3);
    }

    #[test]
    fn prereleases_and_yanked_versions_follow_the_options() {
        let yanked = r#"{"name":"b","vers":"1.2.0","deps":[],"yanked":true}"#.to_owned();
        let files = [
            ("3/a/app", vec![line("app", "1.0.0", &[dep("b", "^1.2"), dep("b", "=1.3.0-rc.1")])]),
            ("1/b", vec![line("b", "1.0.0", &[]), yanked, line("b", "1.3.0-rc.1", &[])]),
        ];
        let c = import(&files, ImportOptions::default()).unwrap();
        assert_eq!(labels(&c.index, "b@1"), ["1.0.0"]);
        assert_eq!(stats(&c).skipped_prereleases, 1);
        assert_eq!(stats(&c).skipped_yanked, 1);
        let deps = deps_of(&c, "app", "1.0.0");
        assert_eq!(deps[0].0, "b@none");
        assert_eq!(deps[1].0, "b@none");

        let all = ImportOptions { include_prereleases: true, include_yanked: true, ..ImportOptions::default() };
        let c = import(&files, all).unwrap();
        assert_eq!(labels(&c.index, "b@1"), ["1.0.0", "1.2.0", "1.3.0-rc.1"]);
        let b = c.index.package_id("b@1").unwrap();
        assert!(c.index.release(b, 1).yanked);
        let deps = deps_of(&c, "app", "1.0.0");
        // ^1.2 does not match the pre-release (Cargo's rule).
        assert_eq!(deps[0].1, ["1.2.0"]);
        assert_eq!(deps[1].1, ["1.3.0-rc.1"]);
    }

    fn error_of(files: &[(&str, Vec<String>)]) -> (String, usize, String, String) {
        match import(files, ImportOptions::default()) {
            Err(Error::Line { file, line, field: Some(field), message }) => (file, line, field, message),
            Err(other) => panic!("unexpected error {other}"),
            Ok(_) => panic!("expected an error"),
        }
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let ok = line("a", "1.0.0", &[]);
        let cases: Vec<(String, &str)> = vec![
            ("{not json".to_owned(), "<json>"),
            ("[1, 2]".to_owned(), "<line>"),
            (r#"{"name":"a","deps":[]}"#.to_owned(), "vers"),
            (r#"{"name":"a","vers":1,"deps":[]}"#.to_owned(), "vers"),
            (r#"{"name":"a","vers":"1.0","deps":[]}"#.to_owned(), "vers"),
            (r#"{"name":"a","vers":"1.0.0","deps":[],"yanked":"no"}"#.to_owned(), "yanked"),
            (r#"{"name":"a","vers":"1.0.0","deps":{}}"#.to_owned(), "deps"),
            (r#"{"name":"a","vers":"1.0.0","deps":[{"name":"b"}]}"#.to_owned(), "deps[0].req"),
            (line("a", "1.0.1", &[dep("b", "1"), r#"{"name":"b","req":"1","optional":"yes"}"#.to_owned()]), "deps[1].optional"),
            (line("a", "1.0.1", &[r#"{"name":"b","req":"1","kind":"weird"}"#.to_owned()]), "deps[0].kind"),
            (line("a", "1.0.1", &[dep("b", "1"), r#"{"name":"","req":"1","package":""}"#.to_owned()]), "deps[1].package"),
            (line("a", "1.0.1", &[dep("b", "1"), dep("b", "not a requirement!")]), "deps[1].req"),
        ];
        for (bad, field) in cases {
            let files = [("3/a/a", vec![ok.clone(), String::new(), bad.clone()]), ("1/b", vec![line("b", "1.0.0", &[])])];
            let (file, at, got, message) = error_of(&files);
            assert_eq!((file.as_str(), at, got.as_str()), ("3/a/a", 3, field), "line {bad}: {message}");
        }
        let files = [("3/a/a", vec![ok.clone(), line("a", "1.0.0+other", &[])])];
        let (_, at, field, _) = error_of(&files);
        assert_eq!((at, field.as_str()), (2, "vers"));
        let shown = import(&[("x/y", vec!["{".to_owned()])], ImportOptions::default()).unwrap_err().to_string();
        assert!(shown.starts_with("x/y:1: field `<json>`"), "{shown}");
    }

    #[test]
    fn tar_xz_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.tar.xz");
        let mut builder = tar::Builder::new(xz2::write::XzEncoder::new(File::create(&path).unwrap(), 6));
        let mut add = |name: &str, body: String| {
            let mut header = tar::Header::new_gnu();
            header.set_size(body.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, name, body.as_bytes()).unwrap();
        };
        add("index/config.json", r#"{"dl":"https://example.org"}"#.to_owned());
        add("index/3/a/app", line("app", "1.0.0", &[dep("b", "1")]));
        add("index/1/b", [line("b", "1.0.0", &[]), line("b", "1.0.1", &[])].join("\n") + "\n");
        builder.into_inner().unwrap().finish().unwrap();
        let c = read_tar_xz(&path, &ImportOptions::default()).unwrap();
        assert_eq!(stats(&c).files, 2);
        assert_eq!(stats(&c).versions, 3);
        assert_eq!(deps_of(&c, "app", "1.0.0")[0].1, ["1.0.0", "1.0.1"]);
        let missing = read_tar_xz(&dir.path().join("nope.tar.xz"), &ImportOptions::default()).unwrap_err();
        assert!(matches!(missing, Error::Io { .. }));
    }

    /// The real corpus, when it is there: `cargo test --release -- --ignored`.
    #[test]
    #[ignore = "reads ../../shared/corpora/crates-io-sparse-subset.tar.xz"]
    fn corpus_imports() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora/crates-io-sparse-subset.tar.xz");
        if !path.is_file() {
            eprintln!("no corpus at {}, skipping", path.display());
            return;
        }
        let c = read_tar_xz(&path, &ImportOptions::default()).unwrap();
        assert_eq!((stats(&c).files, stats(&c).lines, stats(&c).crates), (556, 21_926, 556));
        assert_eq!(stats(&c).versions + stats(&c).skipped_prereleases + stats(&c).skipped_yanked, 21_926);
        assert_eq!(c.roots.len(), stats(&c).versions);
        assert_eq!(c.index.release_count(), stats(&c).versions);
        let all = read_tar_xz(&path, &ImportOptions { include_prereleases: true, include_yanked: true, ..ImportOptions::default() }).unwrap();
        assert_eq!(stats(&all).versions, 21_926);
    }
}
