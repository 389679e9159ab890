//! Importer for Debian `Packages` files: turns the binary packages of one
//! architecture into a resolver [`Index`] with alternatives and conflicts,
//! for installability checks (every release as a root, as libsolv's
//! `installcheck` and dose's `dose-debcheck` do).
//!
//! # Input
//!
//! A `Packages` file is a list of RFC 822 stanzas separated by blank lines.
//! A line `Field: value` starts a field; a line starting with a space or a
//! tab continues the previous one (relation fields are joined with a
//! space). Field names are case-insensitive. Only `Package`, `Version`,
//! `Architecture`, `Depends`, `Pre-Depends`, `Provides`, `Conflicts`,
//! `Breaks`, `Multi-Arch` and `Essential` are read; every other field is
//! skipped. Lines starting with `#` are comments. [`read`] reads a file,
//! plain or (when its name ends in `.xz`) compressed; [`read_packages_xz`]
//! decompresses `Packages.xz`.
//!
//! # Model
//!
//! * **Packages and releases.** Each package name is a solver package; its
//!   releases are sorted by Debian version ([`compare_versions`], exactly
//!   dpkg's order) and labelled with the version text. The same name,
//!   version and architecture twice is one release (the first stanza is
//!   kept, [`ImportStats::duplicates`] counts the others). The same name and
//!   version for two architectures (`amd64` and `all`) are two releases,
//!   labelled `1.0-1 [amd64]` and `1.0-1 [all]`.
//! * **Relations.** `Depends` and `Pre-Depends` (Pre-Depends first, then in
//!   declared order) are lists of dependencies; each is a `|` disjunction of
//!   `name[:qualifier] [(op version)]` with `<<`, `<=`, `=`, `>=`, `>>` and
//!   the obsolete `<` and `>`, which mean `<=` and `>=` as in dpkg. Every
//!   alternative becomes one [`Constraint`] per package that can satisfy it:
//!   the named package restricted to the releases whose version satisfies
//!   the relation, and every package with releases that `Provides` the name
//!   (the set of those providing releases). An unversioned `Provides: foo`
//!   satisfies only unversioned relations on `foo`; a versioned
//!   `Provides: foo (= 1.2)` satisfies both, versioned ones by comparing
//!   `1.2`. Constraints on one package inside one dependency are merged.
//!   Alternatives that match nothing are dropped; a dependency none of whose
//!   alternatives matches anything keeps one empty constraint per
//!   alternative (on a package with that name, added without releases when
//!   it does not exist), so explanations name it.
//! * **Unknown names** match nothing and are not errors;
//!   [`ImportStats::unknown_names`] counts the distinct names in `Depends` and
//!   `Pre-Depends` that no package has and no package provides.
//! * **Conflicts and Breaks** both become conflicts of the release, matched
//!   like dependencies (named package and providers). `Breaks` only forbids
//!   the broken package to be *configured* alongside, which for the question
//!   "can this set be installed together" is the same as a conflict; this is
//!   what libsolv's `installcheck` does. A package never conflicts with
//!   itself (Debian policy 7.6.2: `Provides: mta` with `Conflicts: mta`), so
//!   constraints on the release's own package are dropped; its other
//!   releases are excluded anyway, as a package has one installed release.
//! * **Architecture.** The file is read as one architecture
//!   ([`ImportOptions::architecture`], `amd64` by default) plus `all`;
//!   stanzas of other architectures are skipped and counted. A relation
//!   qualified `:any`, `:native` or with the native architecture is read as
//!   unqualified; one qualified with another architecture (`gcc:arm64`)
//!   matches nothing. `Multi-Arch` is checked for a valid value and
//!   otherwise ignored: with a single architecture it only decides which
//!   `:any` relations a package may satisfy, and this importer lets every
//!   package satisfy them.
//! * **Essential** packages are not special: they are not installed
//!   implicitly alongside every root (checked for `yes`/`no` only).
//! * `Recommends`, `Suggests`, `Enhances`, `Replaces` and `Built-Using` are
//!   ignored (they do not restrict installability).
//!
//! Bad input is an [`Error::Line`] naming the file, line and field, never a
//! panic: a line that is neither a field nor a continuation, a duplicate
//! field, a missing `Package` or `Version`, an invalid version, package
//! name or relation, a `Provides` with another operator than `=`.

mod version;

pub use version::{compare_versions, Version, VersionError};

use crate::{every_release, Corpus, Error, ImportOptions, Stats};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use torc_solver::{Constraint, Dependency, Index, PackageId, VersionIx, VersionSet};

/// Counts gathered while importing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportStats {
    /// Stanzas read (imported or not).
    pub stanzas: usize,
    /// Packages with at least one release.
    pub packages: usize,
    /// Releases in the index (= roots).
    pub releases: usize,
    /// Distinct names that are provided but are no package's name.
    pub virtual_names: usize,
    /// Dependencies (`|` disjunctions) of all releases.
    pub dependencies: usize,
    /// Conflict constraints of all releases (from Conflicts and Breaks).
    pub conflicts: usize,
    /// Stanzas dropped because the same name, version and architecture came
    /// earlier.
    pub duplicates: usize,
    /// Distinct names in Depends/Pre-Depends that nothing has or provides.
    pub unknown_names: usize,
    /// Stanzas of another architecture than the native one or `all`.
    pub skipped_architectures: usize,
}

/// The release of package `name` whose version text is `version` (the
/// first one when it exists for two architectures).
pub(crate) fn find(index: &Index, name: &str, version: &str) -> Option<(PackageId, VersionIx)> {
    let id = index.package_id(name)?;
    let releases = &index.package(id).releases;
    let version = version.trim();
    let ix = releases
        .iter()
        .position(|r| r.label == version || r.label.strip_prefix(version).is_some_and(|rest| rest.starts_with(" [")))?;
    Some((id, ix as VersionIx))
}

/// A malformed stanza or field, before the file is named. `field` is the
/// field's name, or `<stanza>` for a line that is not a field.
struct FieldError {
    line: usize,
    field: String,
    message: String,
}

fn field_error(line: usize, field: &str, message: impl Into<String>) -> FieldError {
    FieldError { line, field: field.to_owned(), message: message.into() }
}

/// Reads the `Packages` file at `path` (decompressing it when its name ends
/// in `.xz`) and imports it.
pub fn read(path: &Path, options: &ImportOptions) -> Result<Corpus, Error> {
    let text = if path.extension().is_some_and(|e| e == "xz") {
        read_packages_xz(path)?
    } else {
        std::fs::read_to_string(path).map_err(|source| Error::Io { path: path.to_owned(), source })?
    };
    import(&text, &path.display().to_string(), options)
}

/// Reads and decompresses a `Packages.xz` file.
pub fn read_packages_xz(path: impl AsRef<Path>) -> Result<String, Error> {
    let path = path.as_ref();
    let io_error = |source| Error::Io { path: path.to_owned(), source };
    let file = File::open(path).map_err(io_error)?;
    let mut text = String::new();
    xz2::read::XzDecoder::new(BufReader::new(file)).read_to_string(&mut text).map_err(io_error)?;
    Ok(text)
}

/// Imports the text of a `Packages` file; `file` names it in errors.
pub fn import(text: &str, file: &str, options: &ImportOptions) -> Result<Corpus, Error> {
    import_text(text, options).map_err(|FieldError { line, field, message }| Error::Line {
        file: file.to_owned(),
        line,
        field: Some(field),
        message,
    })
}

fn import_text(text: &str, options: &ImportOptions) -> Result<Corpus, FieldError> {
    let mut stats = ImportStats::default();
    let mut by_name: BTreeMap<String, Vec<Stanza>> = BTreeMap::new();
    for_each_stanza(text, |raw| {
        stats.stanzas += 1;
        match parse_stanza(&raw, options)? {
            Some(stanza) => by_name.entry(stanza.name.clone()).or_default().push(stanza),
            None => stats.skipped_architectures += 1,
        }
        Ok(())
    })?;

    // Packages and their releases, in name order, each in version order.
    let mut index = Index::new();
    let mut catalog = Catalog { releases: Vec::with_capacity(by_name.len()), providers: HashMap::new() };
    for (name, mut stanzas) in by_name {
        // Stable: among equal versions, file order is kept, so dedup keeps the first.
        stanzas.sort_by(|a, b| {
            a.version
                .cmp(&b.version)
                .then_with(|| a.version.as_str().cmp(b.version.as_str()))
                .then_with(|| a.arch.cmp(&b.arch))
        });
        let before = stanzas.len();
        stanzas.dedup_by(|later, earlier| {
            later.version.as_str() == earlier.version.as_str() && later.arch == earlier.arch
        });
        stats.duplicates += before - stanzas.len();
        let id = index.add_package(&name);
        for i in 0..stanzas.len() {
            let text = stanzas[i].version.as_str();
            let same_text = |j: usize| stanzas.get(j).is_some_and(|s| s.version.as_str() == text);
            let label = if (i > 0 && same_text(i - 1)) || same_text(i + 1) {
                format!("{text} [{}]", stanzas[i].arch)
            } else {
                text.to_owned()
            };
            index.push_release(id, label, false);
        }
        stats.releases += stanzas.len();
        catalog.releases.push(stanzas);
    }
    stats.packages = catalog.releases.len();

    for (p, stanzas) in catalog.releases.iter().enumerate() {
        for (ix, stanza) in stanzas.iter().enumerate() {
            for provided in &stanza.provides {
                let version = provided.constraint.as_ref().map(|(_, v)| v.clone());
                let entry = catalog.providers.entry(provided.name.clone()).or_default();
                entry.push(Provider { package: PackageId(p as u32), ix: ix as VersionIx, version });
            }
        }
    }
    stats.virtual_names = catalog.providers.keys().filter(|name| catalog.real(&index, name).is_none()).count();

    // Relations, each distinct relation text matched once.
    let mut cache: HashMap<String, Vec<Constraint>> = HashMap::new();
    let mut unknown: HashSet<String> = HashSet::new();
    for (p, stanzas) in catalog.releases.iter().enumerate() {
        let package = PackageId(p as u32);
        for (ix, stanza) in stanzas.iter().enumerate() {
            let mut dependencies = Vec::with_capacity(stanza.pre_depends.len() + stanza.depends.len());
            for clause in stanza.pre_depends.iter().chain(&stanza.depends) {
                let mut alternatives: Vec<Constraint> = Vec::with_capacity(clause.len());
                for relation in clause {
                    if catalog.real(&index, &relation.name).is_none() && !catalog.providers.contains_key(&relation.name)
                    {
                        unknown.insert(relation.name.clone());
                    }
                    for constraint in catalog.matching(&index, &mut cache, relation) {
                        merge(&mut alternatives, constraint.clone());
                    }
                }
                if alternatives.is_empty() {
                    for relation in clause {
                        let id = index.add_package(&relation.name);
                        let requirement = Arc::from(relation.requirement());
                        merge(
                            &mut alternatives,
                            Constraint { package: id, versions: VersionSet::empty(), requirement },
                        );
                    }
                }
                dependencies.push(Dependency { alternatives });
            }
            let mut conflicts = Vec::new();
            for relation in &stanza.conflicts {
                let matching = catalog.matching(&index, &mut cache, relation);
                conflicts.extend(matching.iter().filter(|c| c.package != package).cloned());
            }
            stats.dependencies += dependencies.len();
            stats.conflicts += conflicts.len();
            let release = index.release_mut(package, ix as VersionIx);
            release.dependencies = dependencies;
            release.conflicts = conflicts;
        }
    }
    stats.unknown_names = unknown.len();
    let roots = every_release(&index);
    Ok(Corpus { index, stats: Stats::Debian(stats), roots })
}

/// Adds `constraint` to a disjunction, uniting it with an earlier
/// constraint on the same package.
fn merge(alternatives: &mut Vec<Constraint>, constraint: Constraint) {
    match alternatives.iter_mut().find(|c| c.package == constraint.package) {
        Some(existing) => {
            let intervals = existing.versions.intervals().iter().chain(constraint.versions.intervals()).copied();
            existing.versions = VersionSet::from_intervals(intervals.collect::<Vec<_>>());
            if existing.requirement != constraint.requirement {
                existing.requirement = Arc::from(format!("{} | {}", existing.requirement, constraint.requirement));
            }
        }
        None => alternatives.push(constraint),
    }
}

// ---------------------------------------------------------------------------
// Matching relations

struct Provider {
    package: PackageId,
    ix: VersionIx,
    /// `Some` for a versioned `Provides: name (= version)`.
    version: Option<Version>,
}

struct Catalog {
    /// The stanzas of each package with releases, by [`PackageId`], in
    /// release order. These packages come first in the index.
    releases: Vec<Vec<Stanza>>,
    /// Provided name -> providing releases, by package then position.
    providers: HashMap<String, Vec<Provider>>,
}

impl Catalog {
    /// The package called `name`, if it has releases.
    fn real(&self, index: &Index, name: &str) -> Option<PackageId> {
        index.package_id(name).filter(|id| (id.0 as usize) < self.releases.len())
    }

    /// The constraints (one per package, none empty) that satisfy `relation`.
    fn matching<'c>(
        &self,
        index: &Index,
        cache: &'c mut HashMap<String, Vec<Constraint>>,
        relation: &Relation,
    ) -> &'c [Constraint] {
        if !cache.contains_key(&relation.text) {
            let computed = self.compute(index, relation);
            cache.insert(relation.text.clone(), computed);
        }
        &cache[&relation.text]
    }

    fn compute(&self, index: &Index, relation: &Relation) -> Vec<Constraint> {
        let mut out = Vec::new();
        if relation.foreign {
            return out;
        }
        if let Some(id) = self.real(index, &relation.name) {
            let stanzas = &self.releases[id.0 as usize];
            let len = stanzas.len() as u32;
            let versions = match &relation.constraint {
                None => VersionSet::full(len),
                Some((op, v)) => VersionSet::from_predicate(len, |ix| op.holds(stanzas[ix as usize].version.cmp(v))),
            };
            if !versions.is_empty() {
                out.push(Constraint { package: id, versions, requirement: Arc::from(relation.requirement()) });
            }
        }
        let providers = self.providers.get(&relation.name).map(Vec::as_slice).unwrap_or(&[]);
        for group in providers.chunk_by(|a, b| a.package == b.package) {
            let satisfying = group.iter().filter(|p| match (&relation.constraint, &p.version) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some((op, wanted)), Some(provided)) => op.holds(provided.cmp(wanted)),
            });
            let versions = VersionSet::from_intervals(satisfying.map(|p| (p.ix, p.ix + 1)).collect::<Vec<_>>());
            if !versions.is_empty() {
                let requirement = Arc::from(format!("(provides {})", relation.display()));
                let constraint = Constraint { package: group[0].package, versions, requirement };
                match out.first_mut() {
                    // The named package provides its own name: one constraint, its text kept.
                    Some(real) if real.package == constraint.package => {
                        let intervals = real.versions.intervals().iter().chain(constraint.versions.intervals());
                        real.versions = VersionSet::from_intervals(intervals.copied().collect::<Vec<_>>());
                    }
                    _ => out.push(constraint),
                }
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------
// Parsing

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
}

impl Op {
    /// Whether `candidate.cmp(wanted)` satisfies `candidate op wanted`.
    fn holds(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Op::Lt => ordering == Less,
            Op::Le => ordering != Greater,
            Op::Eq => ordering == Equal,
            Op::Ge => ordering != Less,
            Op::Gt => ordering == Greater,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "<<",
            Op::Le => "<=",
            Op::Eq => "=",
            Op::Ge => ">=",
            Op::Gt => ">>",
        }
    }
}

/// One `name[:qualifier] [(op version)]`.
struct Relation {
    name: String,
    /// Qualified with an architecture that is not imported.
    foreign: bool,
    constraint: Option<(Op, Version)>,
    /// The relation as written (trimmed): the matching cache's key.
    text: String,
}

impl Relation {
    /// The requirement text shown after the package name in explanations.
    fn requirement(&self) -> String {
        match (&self.constraint, self.foreign) {
            (_, true) => format!("({})", self.text),
            (Some((op, v)), false) => format!("({} {v})", op.as_str()),
            (None, false) => "(any version)".to_owned(),
        }
    }

    fn display(&self) -> String {
        match &self.constraint {
            Some((op, v)) => format!("{} ({} {v})", self.name, op.as_str()),
            None => self.name.clone(),
        }
    }
}

/// A stanza of the native architecture or `all`, its fields parsed.
struct Stanza {
    name: String,
    version: Version,
    arch: String,
    pre_depends: Vec<Vec<Relation>>,
    depends: Vec<Vec<Relation>>,
    provides: Vec<Relation>,
    /// Conflicts then Breaks.
    conflicts: Vec<Relation>,
}

#[derive(Clone, Copy)]
enum Field {
    Package,
    Version,
    Architecture,
    Depends,
    PreDepends,
    Provides,
    Conflicts,
    Breaks,
    MultiArch,
    Essential,
}

const FIELDS: [(&str, Field); 10] = [
    ("Package", Field::Package),
    ("Version", Field::Version),
    ("Architecture", Field::Architecture),
    ("Depends", Field::Depends),
    ("Pre-Depends", Field::PreDepends),
    ("Provides", Field::Provides),
    ("Conflicts", Field::Conflicts),
    ("Breaks", Field::Breaks),
    ("Multi-Arch", Field::MultiArch),
    ("Essential", Field::Essential),
];

/// A stanza's fields that the importer reads: (line, value).
struct RawStanza<'a> {
    start: usize,
    fields: [Option<(usize, Cow<'a, str>)>; FIELDS.len()],
}

impl RawStanza<'_> {
    fn get(&self, field: Field) -> Option<(usize, &str)> {
        self.fields[field as usize].as_ref().map(|(line, value)| (*line, value.as_ref()))
    }
}

fn for_each_stanza<'a>(
    text: &'a str,
    mut each: impl FnMut(RawStanza<'a>) -> Result<(), FieldError>,
) -> Result<(), FieldError> {
    let mut current: Option<RawStanza<'a>> = None;
    // The field the next continuation line belongs to: None before any
    // field, Some(None) for a field that is not read.
    let mut last: Option<Option<usize>> = None;
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        if line.trim().is_empty() {
            if let Some(stanza) = current.take() {
                each(stanza)?;
            }
            last = None;
            continue;
        }
        if line.starts_with([' ', '\t']) {
            match (last, current.as_mut()) {
                (Some(Some(slot)), Some(stanza)) => {
                    if let Some((_, value)) = &mut stanza.fields[slot] {
                        let value = value.to_mut();
                        value.push(' ');
                        value.push_str(line.trim());
                    }
                }
                (Some(None), _) => {}
                _ => return Err(field_error(line_no, "<stanza>", "continuation line without a field before it")),
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let stanza = current.get_or_insert_with(|| RawStanza { start: line_no, fields: Default::default() });
        let Some((name, value)) = line.split_once(':') else {
            return Err(field_error(line_no, "<stanza>", format!("expected `Field: value`, found {line:?}")));
        };
        if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c.is_control()) {
            return Err(field_error(line_no, "<stanza>", format!("invalid field name {name:?}")));
        }
        match FIELDS.iter().position(|(known, _)| known.eq_ignore_ascii_case(name)) {
            Some(slot) => {
                if let Some((first, _)) = &stanza.fields[slot] {
                    return Err(field_error(
                        line_no,
                        FIELDS[slot].0,
                        format!("duplicate field (first on line {first})"),
                    ));
                }
                stanza.fields[slot] = Some((line_no, Cow::Borrowed(value.trim())));
                last = Some(Some(slot));
            }
            None => last = Some(None),
        }
    }
    match current {
        Some(stanza) => each(stanza),
        None => Ok(()),
    }
}

fn valid_package_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "+-._".contains(c))
}

/// The stanza's fields, or `None` when it is of another architecture.
fn parse_stanza(raw: &RawStanza<'_>, options: &ImportOptions) -> Result<Option<Stanza>, FieldError> {
    let (line, name) = raw
        .get(Field::Package)
        .ok_or_else(|| field_error(raw.start, "Package", "missing in the stanza starting on this line"))?;
    if !valid_package_name(name) {
        return Err(field_error(line, "Package", format!("invalid package name {name:?}")));
    }
    let (line, text) = raw
        .get(Field::Version)
        .ok_or_else(|| field_error(raw.start, "Version", format!("missing in the stanza of {name}")))?;
    let version = Version::parse(text).map_err(|err| field_error(line, "Version", err.to_string()))?;
    let arch = match raw.get(Field::Architecture) {
        None => options.architecture.as_str(),
        Some((line, arch)) => {
            if arch.is_empty() || arch.contains(char::is_whitespace) {
                return Err(field_error(line, "Architecture", format!("expected one architecture, found {arch:?}")));
            }
            arch
        }
    };
    if let Some((line, value)) = raw.get(Field::MultiArch) {
        if !["no", "same", "foreign", "allowed"].contains(&value) {
            return Err(field_error(
                line,
                "Multi-Arch",
                format!("expected no, same, foreign or allowed, found {value:?}"),
            ));
        }
    }
    if let Some((line, value)) = raw.get(Field::Essential) {
        if !["yes", "no"].contains(&value) {
            return Err(field_error(line, "Essential", format!("expected yes or no, found {value:?}")));
        }
    }
    let relations = |field: Field, alternatives: bool| -> Result<Vec<Vec<Relation>>, FieldError> {
        match raw.get(field) {
            None => Ok(Vec::new()),
            Some((line, value)) => parse_relations(value, alternatives, options)
                .map_err(|message| field_error(line, FIELDS[field as usize].0, message)),
        }
    };
    let pre_depends = relations(Field::PreDepends, true)?;
    let depends = relations(Field::Depends, true)?;
    let provides: Vec<Relation> = relations(Field::Provides, false)?.into_iter().flatten().collect();
    if let Some(bad) = provides.iter().find(|r| r.constraint.as_ref().is_some_and(|(op, _)| *op != Op::Eq)) {
        let line = raw.get(Field::Provides).map_or(raw.start, |(line, _)| line);
        return Err(field_error(line, "Provides", format!("only `=` is allowed in Provides, found {:?}", bad.text)));
    }
    let mut conflicts: Vec<Relation> = relations(Field::Conflicts, false)?.into_iter().flatten().collect();
    conflicts.extend(relations(Field::Breaks, false)?.into_iter().flatten());
    if arch != "all" && arch != options.architecture {
        return Ok(None);
    }
    Ok(Some(Stanza {
        name: name.to_owned(),
        version,
        arch: arch.to_owned(),
        pre_depends,
        depends,
        provides,
        conflicts,
    }))
}

/// A comma-separated relation field; `|` only where `alternatives`.
fn parse_relations(value: &str, alternatives: bool, options: &ImportOptions) -> Result<Vec<Vec<Relation>>, String> {
    if value.trim().is_empty() {
        return Ok(Vec::new());
    }
    value
        .split(',')
        .map(|clause| {
            if clause.trim().is_empty() {
                return Err(format!("empty relation in {:?}", value.trim()));
            }
            if !alternatives && clause.contains('|') {
                return Err(format!("alternatives (`|`) are not allowed here: {:?}", clause.trim()));
            }
            clause.split('|').map(|text| parse_relation(text, options)).collect()
        })
        .collect()
}

const OPERATORS: [(&str, Op); 7] = [
    ("<<", Op::Lt),
    ("<=", Op::Le),
    (">=", Op::Ge),
    (">>", Op::Gt),
    ("=", Op::Eq),
    // Obsolete forms, which dpkg reads as `<=` and `>=`.
    ("<", Op::Le),
    (">", Op::Ge),
];

fn parse_relation(text: &str, options: &ImportOptions) -> Result<Relation, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty alternative (`||` or a `|` at an end)".to_owned());
    }
    let end = text.find(|c: char| c.is_whitespace() || c == '(').unwrap_or(text.len());
    let (qualified, rest) = text.split_at(end);
    let (name, qualifier) = match qualified.split_once(':') {
        Some((name, qualifier)) => (name, Some(qualifier)),
        None => (qualified, None),
    };
    if !valid_package_name(name) {
        return Err(format!("invalid package name {name:?} in {text:?}"));
    }
    let foreign = match qualifier {
        None | Some("any") | Some("native") => false,
        Some(arch) if arch == options.architecture => false,
        Some(arch) if !arch.is_empty() && arch.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => true,
        Some(arch) => return Err(format!("invalid architecture qualifier {arch:?} in {text:?}")),
    };
    let rest = rest.trim();
    let constraint = if rest.is_empty() {
        None
    } else {
        let inner = rest
            .strip_prefix('(')
            .and_then(|r| r.strip_suffix(')'))
            .ok_or_else(|| format!("expected `(op version)` after {qualified:?}, found {rest:?}"))?
            .trim();
        let (symbol, op) = OPERATORS
            .iter()
            .find(|(symbol, _)| inner.starts_with(symbol))
            .filter(|(symbol, _)| !inner[symbol.len()..].starts_with(['<', '>', '=']))
            .ok_or_else(|| format!("expected one of <<, <=, =, >=, >> in {text:?}"))?;
        let version =
            Version::parse(&inner[symbol.len()..]).map_err(|err| format!("invalid version in {text:?}: {err}"))?;
        Some((*op, version))
    };
    Ok(Relation { name: name.to_owned(), foreign, constraint, text: text.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;
    use torc_solver::{Resolution, ResolveOptions, Resolver, Root};

    fn fixture(name: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/debian").join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    }

    fn small() -> Corpus {
        import(&fixture("small.Packages"), "small.Packages", &ImportOptions::default()).unwrap()
    }

    fn stats(d: &Corpus) -> &ImportStats {
        match &d.stats {
            Stats::Debian(stats) => stats,
            other => panic!("not Debian stats: {other:?}"),
        }
    }

    fn labels(d: &Corpus, name: &str) -> Vec<String> {
        let id = d.index.package_id(name).unwrap_or_else(|| panic!("no package {name}"));
        d.index.package(id).releases.iter().map(|r| r.label.clone()).collect()
    }

    /// `name {versions} requirement` of a constraint.
    fn show(d: &Corpus, c: &Constraint) -> String {
        let releases = &d.index.package(c.package).releases;
        let versions: Vec<_> = c.versions.iter().map(|ix| releases[ix as usize].label.as_str()).collect();
        format!("{} {{{}}} {}", d.index.name(c.package), versions.join(", "), c.requirement)
    }

    fn release<'d>(d: &'d Corpus, name: &str, version: &str) -> &'d torc_solver::Release {
        let (p, ix) = d.find(name, version).unwrap_or_else(|| panic!("no {name} {version}"));
        d.index.release(p, ix)
    }

    fn deps(d: &Corpus, name: &str, version: &str) -> Vec<Vec<String>> {
        let r = release(d, name, version);
        r.dependencies.iter().map(|dep| dep.alternatives.iter().map(|c| show(d, c)).collect()).collect()
    }

    fn conflicts(d: &Corpus, name: &str, version: &str) -> Vec<String> {
        release(d, name, version).conflicts.iter().map(|c| show(d, c)).collect()
    }

    #[test]
    fn releases_in_debian_order_with_duplicates_and_architectures() {
        let d = small();
        assert_eq!(labels(&d, "base"), ["1.0~rc1-1", "1.0-1", "1.0-1+b1", "1:0.5-1"]);
        assert_eq!(labels(&d, "mawk"), ["1.2-1", "1.3.4.20200120-3.1"]);
        assert_eq!(labels(&d, "oldpkg"), ["1.0", "2.0"]);
        let s = stats(&d);
        assert_eq!((s.stanzas, s.duplicates, s.skipped_architectures), (23, 1, 1));
        assert_eq!((s.packages, s.releases), (16, 21));
        assert_eq!(d.roots.len(), 21);
        assert_eq!(s.virtual_names, 3, "mail-transport-agent, python3-any, python3-api");
        assert_eq!(s.unknown_names, 4, "gone-forever, nonexistent, gcc, gcc-aarch64");
        assert_eq!((s.dependencies, s.conflicts), (15, 5));
        assert_eq!(d.find("base", "1:0.5-1"), Some((d.index.package_id("base").unwrap(), 3)));
        assert_eq!(d.find("base", "9.0-1"), None);
        assert_eq!(d.find("nonexistent", "1"), None);
    }

    #[test]
    fn virtual_names_become_one_alternative_per_provider() {
        let d = small();
        assert_eq!(
            deps(&d, "mailer", "3.1-2"),
            [
                vec!["base {1.0~rc1-1, 1.0-1, 1.0-1+b1} (<< 1:0)"],
                vec!["mta-a {1.0-1} (provides mail-transport-agent)", "mta-b {2.0-1} (provides mail-transport-agent)",],
                vec!["base {1.0-1, 1.0-1+b1, 1:0.5-1} (>= 1.0)"],
            ]
        );
        assert_eq!(
            deps(&d, "awk-user", "0.1"),
            [vec!["gawk {1:5.2.1-2} (any version)", "mawk {1.3.4.20200120-3.1} (>= 1.3)"]]
        );
    }

    #[test]
    fn versioned_provides_and_qualifiers() {
        let d = small();
        assert_eq!(
            deps(&d, "tool", "2.0~beta1-1"),
            [
                vec!["perl {5.36.0-7} (any version)"],
                vec!["python3 {3.11.2-1+b1} (>= 3.11~)"],
                vec!["python3 {3.11.2-1+b1} (provides python3-any (>= 3.10))"],
                // libfoo provides itself (= 2.0-1): merged; libfoo-compat's
                // unversioned Provides does not satisfy a versioned relation.
                vec!["libfoo {2.0-1} (>= 1.0)"],
                vec!["libfoo {2.0-1} (any version)", "libfoo-compat {1.0} (provides libfoo)"],
                vec!["libfoo {2.0-1} (= 2.0-1)"],
            ]
        );
    }

    #[test]
    fn unsatisfiable_alternatives_stay_as_empty_constraints() {
        let d = small();
        assert_eq!(
            deps(&d, "pyapp-future", "1.0"),
            [
                vec!["python3-any {} (>= 4)"],
                vec!["python3-api {} (>= 1)", "base {} (>> 2:0)"],
                vec!["nonexistent {} (any version)"],
            ]
        );
        assert_eq!(
            deps(&d, "cross", "1"),
            [vec!["gcc {} (gcc:arm64)", "gcc-aarch64 {} (>= 1)"], vec!["perl {5.36.0-7} (>= 5.36)"]]
        );
        for name in ["python3-any", "nonexistent", "gcc"] {
            assert!(labels(&d, name).is_empty(), "{name}");
        }
    }

    #[test]
    fn conflicts_breaks_and_self_conflicts() {
        let d = small();
        assert_eq!(conflicts(&d, "mta-a", "1.0-1"), ["mta-b {2.0-1} (provides mail-transport-agent)"]);
        assert_eq!(conflicts(&d, "mta-b", "2.0-1"), ["mta-a {1.0-1} (provides mail-transport-agent)"]);
        assert_eq!(
            conflicts(&d, "newpkg", "2.0-1"),
            [
                "libfoo {2.0-1} (any version)",
                "libfoo-compat {1.0} (provides libfoo)",
                // The obsolete `<` means `<=`.
                "oldpkg {1.0, 2.0} (<= 2.0)",
            ]
        );
    }

    #[test]
    fn the_solver_reads_the_import() {
        let d = small();
        let mut resolver = Resolver::new(&d.index);
        let installable = |resolver: &mut Resolver, name: &str, version: &str| {
            let (p, ix) = d.find(name, version).unwrap();
            matches!(
                resolver.resolve(&Root::release(&d.index, p, ix), &ResolveOptions::default()),
                Resolution::Solved(_)
            )
        };
        assert!(installable(&mut resolver, "mailer", "3.1-2"));
        assert!(installable(&mut resolver, "tool", "2.0~beta1-1"));
        assert!(installable(&mut resolver, "newpkg", "2.0-1"));
        assert!(!installable(&mut resolver, "pyapp-future", "1.0"));
        assert!(!installable(&mut resolver, "cross", "1"));
    }

    #[test]
    fn same_version_for_two_architectures() {
        let text = "Package: a\nVersion: 1.0\nArchitecture: amd64\n\nPackage: a\nVersion: 1.0\nArchitecture: all\n";
        let d = import(text, "Packages", &ImportOptions::default()).unwrap();
        assert_eq!(labels(&d, "a"), ["1.0 [all]", "1.0 [amd64]"]);
        assert_eq!(d.find("a", "1.0"), Some((d.index.package_id("a").unwrap(), 0)));
        assert_eq!(stats(&d).duplicates, 0);
    }

    #[test]
    fn malformed_input_is_an_error_with_line_and_field() {
        let cases = [
            ("Package: a\nVersion 1.0\n", 2, "<stanza>", "expected `Field: value`"),
            (" continued\nPackage: a\n", 1, "<stanza>", "continuation"),
            ("Package: a\nVersion: 1\n\nVersion: 2\n", 4, "Package", "missing"),
            ("Package: a\nArchitecture: all\n", 1, "Version", "missing"),
            ("Package: a\nVersion: 1:\n", 2, "Version", "nothing after colon"),
            ("Package: a\nVersion: 1\nPackage: b\n", 3, "Package", "duplicate"),
            ("Package: A_b!\nVersion: 1\n", 1, "Package", "invalid package name"),
            ("Package: a\nVersion: 1\nDepends: b (=> 1)\n", 3, "Depends", "expected one of"),
            ("Package: a\nVersion: 1\nDepends: b (>= 1\n", 3, "Depends", "expected `(op version)`"),
            ("Package: a\nVersion: 1\nDepends: b (>= 1) [amd64]\n", 3, "Depends", "expected `(op version)`"),
            ("Package: a\nVersion: 1\nDepends: b,\n  , c\n", 3, "Depends", "empty relation"),
            ("Package: a\nVersion: 1\nDepends: b || c\n", 3, "Depends", "empty alternative"),
            ("Package: a\nVersion: 1\nPre-Depends: b (>= x y)\n", 3, "Pre-Depends", "invalid version"),
            ("Package: a\nVersion: 1\nProvides: b (>= 1)\n", 3, "Provides", "only `=`"),
            ("Package: a\nVersion: 1\nConflicts: b | c\n", 3, "Conflicts", "alternatives"),
            ("Package: a\nVersion: 1\nBreaks: b:\n", 3, "Breaks", "invalid architecture qualifier"),
            ("Package: a\nVersion: 1\nMulti-Arch: sometimes\n", 3, "Multi-Arch", "expected no, same"),
            ("Package: a\nVersion: 1\nEssential: maybe\n", 3, "Essential", "expected yes or no"),
            ("Package: a\nVersion: 1\nArchitecture: amd64 all\n", 3, "Architecture", "one architecture"),
        ];
        for (text, want_line, want_field, want_message) in cases {
            match import(text, "Packages", &ImportOptions::default()) {
                Err(Error::Line { line, field: Some(field), message, .. }) => {
                    assert_eq!((line, field.as_str()), (want_line, want_field), "{text:?}: {message}");
                    assert!(message.contains(want_message), "{text:?}: {message}");
                }
                other => panic!("{text:?}: expected an error, got {other:?}"),
            }
        }
    }

    #[test]
    fn empty_and_odd_but_valid_input() {
        let d = import("", "Packages", &ImportOptions::default()).unwrap();
        assert_eq!(stats(&d), &ImportStats::default());
        let text = "# comment\r\nPackage: a\r\nVersion: 1\r\nDepends:\r\n\r\n\r\n";
        let d = import(text, "Packages", &ImportOptions::default()).unwrap();
        assert_eq!((stats(&d).stanzas, stats(&d).releases, stats(&d).dependencies), (1, 1, 0));
    }

    #[test]
    fn reads_xz() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Packages.xz");
        let mut encoder = xz2::write::XzEncoder::new(File::create(&path).unwrap(), 6);
        std::io::Write::write_all(&mut encoder, fixture("small.Packages").as_bytes()).unwrap();
        encoder.finish().unwrap();
        assert_eq!(read_packages_xz(&path).unwrap(), fixture("small.Packages"));
        assert!(matches!(read_packages_xz(dir.path().join("nope.xz")), Err(Error::Io { .. })));
        std::fs::write(&path, b"not xz").unwrap();
        assert!(matches!(read_packages_xz(&path), Err(Error::Io { .. })));
    }

    /// The real file when it is there (`cargo test --release -p torc-corpora debian
    /// -- --nocapture` prints the timing).
    #[test]
    fn bookworm_corpus() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora/debian-bookworm-main-amd64-Packages.xz");
        if !path.is_file() {
            println!("skipped: no corpus at {}", path.display());
            return;
        }
        let start = Instant::now();
        let text = read_packages_xz(&path).unwrap();
        let read = start.elapsed();
        let start = Instant::now();
        let d = import(&text, "Packages", &ImportOptions::default()).unwrap();
        let imported = start.elapsed();
        println!("bookworm: read+unxz {read:.2?}, import {imported:.2?}: {:?}", d.stats);
        let s = stats(&d);
        assert_eq!(s.stanzas, 63_440);
        assert_eq!(s.releases + s.duplicates + s.skipped_architectures, s.stanzas);
        assert!(s.packages > 60_000 && s.packages <= s.releases, "{s:?}");
        assert_eq!(d.roots.len(), s.releases);
        assert_eq!(d.index.release_count(), s.releases);
        // Most Breaks and Conflicts name versions older than bookworm's, which
        // match nothing and are dropped.
        assert!(s.dependencies > 200_000 && s.conflicts > 1_000, "{s:?}");
        assert!(s.virtual_names > 10_000 && s.unknown_names < 1_000, "{s:?}");
        let (p, ix) = d.find("0ad", "0.0.26-3").unwrap();
        let libc = d.index.package_id("libc6").unwrap();
        let needs_libc = d.index.release(p, ix).dependencies.iter().any(|dep| dep.alternatives[0].package == libc);
        assert!(needs_libc);
    }
}
