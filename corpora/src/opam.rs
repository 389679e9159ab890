//! Importer for opam repositories: turns the `opam` files of a
//! `packages/NAME/NAME.VERSION/opam` tree into a resolver [`Index`] whose
//! roots are every imported release, for installability and each-version
//! workloads.
//!
//! # Input
//!
//! [`import_tar_xz`] reads an archive of the tree (as in
//! `../shared/corpora/opam-packages.tar.xz`), [`import_dir`] a directory and
//! [`import_files`] `(path, text)` pairs. A file counts when its path ends in
//! `NAME/NAME.VERSION/opam`; the version is taken from the directory name
//! (`name:` and `version:` fields, rare in a repository, are not read).
//! Other files (patches under `files/`, ...) are ignored.
//!
//! Each file is parsed by a small hand-written parser ([`syntax`]) that knows
//! the whole opam syntax (strings with escapes, triple-quoted strings, `#`
//! and nested `(* *)` comments, sections, operators), so unknown fields are
//! skipped safely. Only `depends:` and `conflicts:` are interpreted.
//!
//! # Versions
//!
//! opam orders versions as Debian does without epochs and revisions
//! ([`compare_versions`]): `~` sorts before everything, letters before other
//! characters, digit runs as numbers. Two directories whose versions compare
//! equal (`1.0` and `1.00`) are one release: the second is skipped and
//! counted in [`ImportStats::duplicate_versions`].
//!
//! # Rules
//!
//! Each simplification, as applied by the importer:
//!
//! * **Conjunction and alternatives.** `depends: [A B]` and `A & B` are two
//!   dependencies; `A | B` is one dependency with two alternatives.
//!   Parentheses group. Nested formulas are turned into conjunctive normal
//!   form by distributing `|` over `&`; when that would give more than
//!   [`ImportOptions::cnf_cap`] clauses for one field, the first clauses are
//!   kept and the release is counted in [`ImportStats::cnf_truncated`]
//!   (the release is then less constrained than in opam). Alternatives on
//!   the same package inside one clause are merged into one constraint.
//! * **Version constraints** (`>= "4.08"`, `< "5.0"`, `!= "1.2"`, `= "1.0"`,
//!   combined with `&`, `|`, `!` and parentheses) become the set of releases
//!   of the target package they match.
//! * **Filters.** A filter is evaluated as for an ordinary installation from
//!   the repository: `with-test`, `with-doc`, `dev` and `with-dev-setup` are
//!   false, `build` and `post` are true. A dependency whose formula is then
//!   false (`{with-test}`, `{>= "1.0" & with-doc}`) is dropped, as opam
//!   does: it disappears from its `&` or `|` (counted in
//!   [`ImportStats::dropped_by_filter`]). `build` and `post` dependencies are
//!   kept, since they must be installed too.
//! * **Other filter variables** (`os = "linux"`, `arch`, `os-distribution`,
//!   `?foo`, `pkg:installed`, ...) are *unknown*: such a term counts as true,
//!   and stays unknown under `!`, so `{os = "linux"}` and `{os != "macos"}`
//!   both keep the dependency without a version restriction, while
//!   `{os = "linux" & with-test}` is still dropped. The importer thus
//!   describes every platform at once (counted in
//!   [`ImportStats::unknown_filter_terms`]). Comparisons between two literal
//!   strings are evaluated with [`compare_versions`].
//! * **Variables in version constraints** (`{= version}`, `{>= "%{x}%"}`,
//!   `{= _:version}`) are dropped: the constraint atom counts as true
//!   ([`ImportStats::variable_constraints`]). With
//!   [`ImportOptions::substitute_own_version`], `version` (the release's own
//!   version, as in `"foo-lib" {= version}`) is replaced by it instead, which
//!   is what opam does.
//! * **Unknown packages.** A dependency on a name with no imported release
//!   (`conf-*` packages outside the tree, typos) points at a package of
//!   that name with no releases, so it can never be satisfied; a constraint
//!   matching no release is an empty set. Both are counted.
//! * **Conflicts.** Each package atom of `conflicts:` becomes a conflict with
//!   the releases its constraint matches, with the same filter rules (a
//!   false filter drops it). opam only allows `|` there; an `&` is read as
//!   `|` (each atom a conflict) and counted in
//!   [`ImportStats::conflict_conjunctions`]. A conflict that matches no
//!   imported release is left out.
//! * **Ignored fields**: `available:` (every release counts as available on
//!   every platform), `conflict-class:`, `depopts:`, `flags:` (including
//!   `avoid-version` and `deprecated`; no release is marked yanked),
//!   `depexts:` and everything about building.
//!
//! # Errors
//!
//! A malformed file (syntax error, a `depends:` value that is not a package
//! formula, a path not of the `NAME/NAME.VERSION/opam` form, a file that is
//! not UTF-8, a duplicate version) is skipped and counted by reason in
//! [`ImportStats::skipped`], with the first few messages kept in
//! [`ImportStats::skipped_examples`]. With [`ImportOptions::strict`] the
//! first one is returned as [`Error::Line`], naming the file and line.
//! The importer never panics on bad input.

mod formula;
pub mod syntax;
mod version;

pub use formula::{Atom, Formula, VersionFormula};
pub use version::compare_versions;

use crate::{Corpus, Error, ImportOptions, Stats};
use formula::{Evaluator, Tally};
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use syntax::{parse_file, Item, LogOp, RelOp, Value};
use torc_solver::{Constraint, Dependency, Index, PackageId, VersionIx, VersionSet};

/// Counts gathered while importing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportStats {
    /// `opam` files read (imported or skipped).
    pub files: usize,
    /// Files skipped, by reason: `path`, `encoding`, `syntax`, `depends`,
    /// `conflicts`, `duplicate-version`.
    pub skipped: BTreeMap<&'static str, usize>,
    /// The first messages of skipped files (`file:line: message`).
    pub skipped_examples: Vec<String>,
    /// Of the skipped files, those whose version equals an earlier one.
    pub duplicate_versions: usize,
    /// Package names with at least one release.
    pub packages: usize,
    /// Imported releases (= roots).
    pub releases: usize,
    /// Dependencies (clauses) on imported releases.
    pub dependencies: usize,
    /// Of which with more than one alternative.
    pub with_alternatives: usize,
    /// Alternatives on a name that has no release.
    pub unknown_package_alternatives: usize,
    /// Alternatives whose constraint matches no release of an existing package.
    pub unmatched_alternatives: usize,
    /// Package atoms dropped because their filter is false.
    pub dropped_by_filter: usize,
    /// Filter terms on unknown variables, taken as true.
    pub unknown_filter_terms: usize,
    /// Version constraints on a variable, dropped.
    pub variable_constraints: usize,
    /// Fields whose CNF was cut at the cap.
    pub cnf_truncated: usize,
    /// Conflicts kept.
    pub conflicts: usize,
    /// Conflicts left out because they match no imported release.
    pub empty_conflicts: usize,
    /// `conflicts:` fields with an `&`, read as `|`.
    pub conflict_conjunctions: usize,
}

impl ImportStats {
    /// Files skipped, whatever the reason.
    pub fn skipped_files(&self) -> usize {
        self.skipped.values().sum()
    }
}

/// Release `version` of package `name` (compared as opam versions, so
/// `1.00` finds `1.0`).
pub(crate) fn find(index: &Index, name: &str, version: &str) -> Option<(PackageId, VersionIx)> {
    let package = index.package_id(name)?;
    let releases = &index.package(package).releases;
    let ix = releases.binary_search_by(|r| compare_versions(&r.label, version)).ok()?;
    Some((package, ix as VersionIx))
}

/// Reads a repository from a `.tar.xz` archive of its `packages/` tree.
pub fn import_tar_xz(path: &Path, options: &ImportOptions) -> Result<Corpus, Error> {
    let io_error = |source| Error::Io { path: path.to_owned(), source };
    let file = File::open(path).map_err(io_error)?;
    let mut archive = tar::Archive::new(xz2::read::XzDecoder::new(BufReader::new(file)));
    let mut importer = Importer::new(options.clone());
    let mut bytes = Vec::new();
    for entry in archive.entries().map_err(io_error)? {
        let mut entry = entry.map_err(io_error)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry.path().map_err(io_error)?.to_string_lossy().into_owned();
        if !is_opam_file(&name) {
            continue;
        }
        bytes.clear();
        entry.read_to_end(&mut bytes).map_err(io_error)?;
        importer.add_bytes(name, &bytes)?;
    }
    importer.finish()
}

/// Reads a repository from a directory holding (somewhere below it) the
/// `NAME/NAME.VERSION/opam` files.
pub fn import_dir(root: &Path, options: &ImportOptions) -> Result<Corpus, Error> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let io_error = |source| Error::Io { path: dir.clone(), source };
        for entry in std::fs::read_dir(&dir).map_err(io_error)? {
            let path = entry.map_err(io_error)?.path();
            if path.is_dir() {
                stack.push(path);
            } else if is_opam_file(&path.to_string_lossy()) {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut importer = Importer::new(options.clone());
    for path in files {
        let bytes = std::fs::read(&path).map_err(|source| Error::Io { path: path.clone(), source })?;
        let name = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().into_owned();
        importer.add_bytes(name, &bytes)?;
    }
    importer.finish()
}

/// Imports `(path, contents)` pairs; paths end in `NAME/NAME.VERSION/opam`.
pub fn import_files<P: AsRef<str>, T: AsRef<str>>(
    files: impl IntoIterator<Item = (P, T)>,
    options: &ImportOptions,
) -> Result<Corpus, Error> {
    let mut importer = Importer::new(options.clone());
    for (path, text) in files {
        importer.add_file(path.as_ref().to_owned(), text.as_ref())?;
    }
    importer.finish()
}

fn is_opam_file(path: &str) -> bool {
    path.rsplit(['/', '\\']).next() == Some("opam")
}

/// `(name, version)` from `.../NAME/NAME.VERSION/opam`.
fn name_and_version(path: &str) -> Option<(&str, &str)> {
    let mut parts = path.rsplit(['/', '\\']);
    let (_opam, dir, name) = (parts.next()?, parts.next()?, parts.next()?);
    let version = dir.strip_prefix(name)?.strip_prefix('.')?;
    (!name.is_empty() && !version.is_empty()).then_some((name, version))
}

// ---------------------------------------------------------------------------
// Import

/// One parsed release, before the versions of its targets are known.
struct Parsed {
    version: String,
    file: usize,
    depends: Vec<Vec<Atom>>,
    conflicts: Vec<Atom>,
}

struct Importer {
    options: ImportOptions,
    files: Vec<String>,
    packages: HashMap<String, Vec<Parsed>>,
    stats: ImportStats,
}

/// A skipped file: reason key, line and message.
type Skip = (&'static str, usize, String);

impl Importer {
    fn new(options: ImportOptions) -> Self {
        Importer { options, files: Vec::new(), packages: HashMap::new(), stats: ImportStats::default() }
    }

    fn add_bytes(&mut self, path: String, bytes: &[u8]) -> Result<(), Error> {
        match std::str::from_utf8(bytes) {
            Ok(text) => self.add_file(path, text),
            Err(err) => {
                self.stats.files += 1;
                let line = 1 + bytes[..err.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
                self.skip(&path, ("encoding", line, "file is not UTF-8".into()))
            }
        }
    }

    fn skip(&mut self, path: &str, (reason, line, message): Skip) -> Result<(), Error> {
        if self.options.strict {
            return Err(Error::Line { file: path.to_owned(), line, field: None, message });
        }
        *self.stats.skipped.entry(reason).or_default() += 1;
        if reason == "duplicate-version" {
            self.stats.duplicate_versions += 1;
        }
        if self.stats.skipped_examples.len() < 20 {
            self.stats.skipped_examples.push(format!("{path}:{line}: {message}"));
        }
        Ok(())
    }

    fn add_file(&mut self, path: String, text: &str) -> Result<(), Error> {
        self.stats.files += 1;
        let Some((name, version)) = name_and_version(&path) else {
            return self.skip(&path, ("path", 1, "path is not NAME/NAME.VERSION/opam".into()));
        };
        let (name, version) = (name.to_owned(), version.to_owned());
        match self.parse(&version, text) {
            Ok((depends, conflicts, tally, truncated, conjunction)) => {
                self.stats.dropped_by_filter += tally.dropped_by_filter;
                self.stats.unknown_filter_terms += tally.unknown_filter_terms;
                self.stats.variable_constraints += tally.variable_constraints;
                self.stats.cnf_truncated += truncated;
                self.stats.conflict_conjunctions += usize::from(conjunction);
                let file = self.files.len();
                self.files.push(path);
                self.packages.entry(name).or_default().push(Parsed { version, file, depends, conflicts });
                Ok(())
            }
            Err(skip) => self.skip(&path, skip),
        }
    }

    #[allow(clippy::type_complexity)]
    fn parse(&self, version: &str, text: &str) -> Result<(Vec<Vec<Atom>>, Vec<Atom>, Tally, usize, bool), Skip> {
        let items = parse_file(text).map_err(|e| ("syntax", e.line, format!("{} (column {})", e.message, e.column)))?;
        let own_version = self.options.substitute_own_version.then_some(version);
        let mut eval = Evaluator { own_version, tally: Tally::default() };
        let (mut depends, mut conflicts, mut truncated, mut conjunction) = (None, None, 0, false);
        for item in &items {
            let Item::Field { name, value, line } = item else { continue };
            let (slot, reason) = match name.as_str() {
                "depends" => (&mut depends, "depends"),
                "conflicts" => (&mut conflicts, "conflicts"),
                _ => continue,
            };
            if slot.is_some() {
                return Err((reason, *line, format!("field `{name}` appears twice")));
            }
            conjunction |= reason == "conflicts" && has_explicit_and(value);
            let formula = eval.formula(value).map_err(|message| (reason, *line, format!("in `{name}`: {message}")))?;
            *slot = Some(formula);
        }
        let depends = match depends {
            Some(formula) => {
                let (clauses, cut) = formula.cnf(self.options.cnf_cap);
                truncated += usize::from(cut);
                clauses
            }
            None => Vec::new(),
        };
        let mut atoms = Vec::new();
        if let Some(formula) = conflicts {
            collect_atoms(&formula, &mut atoms);
        }
        Ok((depends, atoms, eval.tally, truncated, conjunction))
    }

    fn finish(mut self) -> Result<Corpus, Error> {
        let mut index = Index::new();
        let mut roots = Vec::new();

        // Step 1: packages and releases in name order, versions ascending.
        let packages: BTreeMap<String, Vec<Parsed>> = std::mem::take(&mut self.packages).into_iter().collect();
        let mut kept: Vec<(PackageId, Vec<Parsed>)> = Vec::with_capacity(packages.len());
        for (name, mut releases) in packages {
            releases.sort_by(|a, b| compare_versions(&a.version, &b.version).then(a.file.cmp(&b.file)));
            let mut unique: Vec<Parsed> = Vec::with_capacity(releases.len());
            for release in releases {
                if let Some(prev) = unique.last() {
                    if compare_versions(&prev.version, &release.version) == Ordering::Equal {
                        let message = format!(
                            "version {} of {name} equals version {} (in {})",
                            release.version, prev.version, self.files[prev.file]
                        );
                        let path = self.files[release.file].clone();
                        self.skip(&path, ("duplicate-version", 1, message))?;
                        continue;
                    }
                }
                unique.push(release);
            }
            let package = index.add_package(&name);
            for release in &unique {
                roots.push((package, index.push_release(package, release.version.clone(), false)));
            }
            self.stats.packages += 1;
            self.stats.releases += unique.len();
            kept.push((package, unique));
        }

        // Step 2: dependencies and conflicts as sets of positions.
        let mut labels: HashMap<PackageId, Vec<String>> = HashMap::new();
        for (package, releases) in &kept {
            for (ix, release) in releases.iter().enumerate() {
                let mut dependencies = Vec::with_capacity(release.depends.len());
                for clause in &release.depends {
                    let alternatives = self.alternatives(&mut index, &mut labels, clause);
                    self.stats.with_alternatives += usize::from(alternatives.len() > 1);
                    dependencies.push(Dependency { alternatives });
                }
                let mut conflicts = Vec::new();
                for atom in &release.conflicts {
                    let Some(target) = index.package_id(&atom.name) else {
                        self.stats.empty_conflicts += 1;
                        continue;
                    };
                    let versions = versions_of(&index, &mut labels, target, &atom.versions);
                    if versions.is_empty() {
                        self.stats.empty_conflicts += 1;
                        continue;
                    }
                    conflicts.push(index.constraint(target, versions, &atom.versions.to_string()));
                }
                self.stats.dependencies += dependencies.len();
                self.stats.conflicts += conflicts.len();
                let release = index.release_mut(*package, ix as VersionIx);
                release.dependencies = dependencies;
                release.conflicts = conflicts;
            }
        }
        Ok(Corpus { index, stats: Stats::Opam(self.stats), roots })
    }

    /// The constraints of one clause, alternatives on the same package merged.
    fn alternatives(
        &mut self,
        index: &mut Index,
        labels: &mut HashMap<PackageId, Vec<String>>,
        clause: &[Atom],
    ) -> Vec<Constraint> {
        let mut merged: Vec<(&str, VersionFormula)> = Vec::with_capacity(clause.len());
        for atom in clause {
            match merged.iter_mut().find(|(name, _)| *name == atom.name) {
                Some((_, versions)) => *versions = VersionFormula::union(versions.clone(), atom.versions.clone()),
                None => merged.push((&atom.name, atom.versions.clone())),
            }
        }
        merged
            .into_iter()
            .map(|(name, formula)| {
                let target = index.add_package(name);
                let versions = versions_of(index, labels, target, &formula);
                if index.package(target).releases.is_empty() {
                    self.stats.unknown_package_alternatives += 1;
                } else if versions.is_empty() {
                    self.stats.unmatched_alternatives += 1;
                }
                index.constraint(target, versions, &formula.to_string())
            })
            .collect()
    }
}

/// Collects the atoms of a `conflicts:` formula, whatever the connectives.
fn collect_atoms(formula: &Formula, out: &mut Vec<Atom>) {
    match formula {
        Formula::Empty => {}
        Formula::Atom(atom) => out.push(atom.clone()),
        Formula::Or(items) | Formula::And(items) => items.iter().for_each(|f| collect_atoms(f, out)),
    }
}

/// Whether a package formula has an explicit `&` between packages (a list
/// is how `conflicts:` is written, and is not counted).
fn has_explicit_and(value: &Value) -> bool {
    match value {
        Value::Logop(LogOp::And, ..) => true,
        Value::Logop(LogOp::Or, a, b) => has_explicit_and(a) || has_explicit_and(b),
        Value::List(items) | Value::Group(items) => items.iter().any(has_explicit_and),
        _ => false,
    }
}

/// The releases of `package` that `formula` matches.
fn versions_of(
    index: &Index,
    labels: &mut HashMap<PackageId, Vec<String>>,
    package: PackageId,
    formula: &VersionFormula,
) -> VersionSet {
    let labels = labels
        .entry(package)
        .or_insert_with(|| index.package(package).releases.iter().map(|r| r.label.clone()).collect());
    eval_versions(labels, formula)
}

fn eval_versions(labels: &[String], formula: &VersionFormula) -> VersionSet {
    let len = labels.len() as VersionIx;
    match formula {
        VersionFormula::Any => VersionSet::full(len),
        VersionFormula::Rel(op, v) => {
            let lo = labels.partition_point(|x| compare_versions(x, v) == Ordering::Less) as VersionIx;
            let hi = labels.partition_point(|x| compare_versions(x, v) != Ordering::Greater) as VersionIx;
            match op {
                RelOp::Eq => VersionSet::range(lo, hi),
                RelOp::Neq => VersionSet::range(lo, hi).complement(len),
                RelOp::Lt => VersionSet::range(0, lo),
                RelOp::Le => VersionSet::range(0, hi),
                RelOp::Gt => VersionSet::range(hi, len),
                RelOp::Ge => VersionSet::range(lo, len),
            }
        }
        VersionFormula::And(a, b) => eval_versions(labels, a).intersection(&eval_versions(labels, b)),
        VersionFormula::Or(a, b) => {
            let (a, b) = (eval_versions(labels, a), eval_versions(labels, b));
            VersionSet::from_intervals(a.intervals().iter().chain(b.intervals()).copied())
        }
        VersionFormula::Not(a) => eval_versions(labels, a).complement(len),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn fixtures() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/opam")
    }

    fn stats(o: &Corpus) -> &ImportStats {
        match &o.stats {
            Stats::Opam(stats) => stats,
            other => panic!("not opam stats: {other:?}"),
        }
    }

    fn labels(o: &Corpus, name: &str) -> Vec<String> {
        let id = o.index.package_id(name).unwrap_or_else(|| panic!("no package {name}"));
        o.index.package(id).releases.iter().map(|r| r.label.clone()).collect()
    }

    /// Each dependency as `name requirement [positions]`, alternatives joined by ` | `.
    fn deps_of(o: &Corpus, name: &str, version: &str) -> Vec<String> {
        let (p, ix) = o.find(name, version).unwrap_or_else(|| panic!("no {name} {version}"));
        o.index
            .release(p, ix)
            .dependencies
            .iter()
            .map(|d| d.alternatives.iter().map(|c| shown(o, c)).collect::<Vec<_>>().join(" | "))
            .collect()
    }

    fn shown(o: &Corpus, c: &Constraint) -> String {
        let set: Vec<_> = c.versions.iter().collect();
        format!("{} {} {set:?}", o.index.name(c.package), c.requirement)
    }

    #[test]
    fn fixture_tree_covers_every_rule() {
        let o = import_dir(&fixtures(), &ImportOptions::default()).unwrap();
        assert_eq!(labels(&o, "a"), ["1.0", "2.0~beta", "2.0", "10"]);
        assert_eq!(labels(&o, "ocaml"), ["4.14.0", "5.0.0", "5.1.0"]);
        assert_eq!(
            deps_of(&o, "b", "1.0"),
            [
                "ocaml (>= 4.08 & < 4.14.3) | (>= 5.0 & < 5.1) [0, 1]",
                "dune >= 3.0 []",
                "host * []",
                "linux-only * []",
                "not-mac < 2.0 []",
                "c * [0, 1, 2]",
                "c != 2.0 [0, 2]",
                "a < 2.0 | >= 10 [0, 1, 3] | c >= 3.0 [2]",
                "a * [0, 1, 2, 3] | c * [0, 1, 2]",
                "ghost * []",
                "menhir >= 2018 []",
            ]
        );
        assert_eq!(deps_of(&o, "c", "3.0"), ["a >= 2.0~beta [1, 2, 3]", "ocaml * [0, 1, 2]"]);
        let (b, ix) = o.find("b", "1.0").unwrap();
        let conflicts: Vec<_> = o.index.release(b, ix).conflicts.iter().map(|c| shown(&o, c)).collect();
        assert_eq!(conflicts, ["c < 2.0 [0]"]);

        let s = stats(&o);
        assert_eq!(s.files, 15);
        let skipped: Vec<_> = s.skipped.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(skipped, [("depends", 1), ("duplicate-version", 1), ("path", 1), ("syntax", 1)]);
        assert_eq!(s.skipped_files(), 4);
        assert_eq!(s.duplicate_versions, 1);
        assert!(s.skipped_examples.iter().any(|m| m.starts_with("packages/bad-syntax/bad-syntax.1/opam:4: ")), "{s:?}");
        assert!(s.skipped_examples.iter().any(|m| m.contains("a.1.00/opam:1: version 1.00 of a equals version 1.0")));
        assert_eq!((s.packages, s.releases, o.roots.len()), (4, 11, 11));
        assert_eq!(o.index.release_count(), 11);
        assert_eq!((s.dependencies, s.with_alternatives), (13, 2));
        assert_eq!((s.unknown_package_alternatives, s.unmatched_alternatives), (6, 0));
        assert_eq!(s.dropped_by_filter, 7);
        assert_eq!(s.unknown_filter_terms, 2);
        assert_eq!(s.variable_constraints, 2);
        assert_eq!((s.conflicts, s.empty_conflicts, s.conflict_conjunctions), (1, 2, 0));
        assert_eq!(s.cnf_truncated, 0);
        // Versions are found as opam compares them.
        assert_eq!(o.find("a", "1.00"), o.find("a", "1.0"));
        assert_eq!(o.find("a", "3"), None);
        assert_eq!(o.find("ghost", "1"), None);
    }

    #[test]
    fn own_version_substitution_and_strict_mode() {
        let options = ImportOptions { substitute_own_version: true, ..ImportOptions::default() };
        let o = import_dir(&fixtures(), &options).unwrap();
        assert_eq!(deps_of(&o, "b", "1.0")[5], "c = 1.0 [0]");
        assert_eq!(stats(&o).variable_constraints, 1);

        let strict = ImportOptions { strict: true, ..ImportOptions::default() };
        let err = import_dir(&fixtures(), &strict).unwrap_err();
        assert_eq!(
            err.to_string(),
            "packages/bad-formula/bad-formula.1/opam:2: in `depends`: expected a package name, found an integer"
        );
        let files = [("packages/x/x.1/opam", "opam-version: \"2.0\"\ndepends: [\n  \"y\" {>= \"1\"\n]\n")];
        let err = import_files(files, &strict).unwrap_err();
        assert!(matches!(&err, Error::Line { line: 4, field: None, .. }), "{err}");
        assert!(err.to_string().starts_with("packages/x/x.1/opam:4: expected a value, found `]`"), "{err}");
        let files = [("packages/x/x.1.0/opam", ""), ("packages/x/x.1.00/opam", "")];
        let err = import_files(files, &strict).unwrap_err();
        assert!(err.to_string().contains("version 1.00 of x equals version 1.0"), "{err}");
        let files = [("x/x.1/opam", "depends: [\"a\"]\ndepends: [\"b\"]")];
        let err = import_files(files, &strict).unwrap_err();
        assert_eq!(err.to_string(), "x/x.1/opam:2: field `depends` appears twice");
    }

    #[test]
    fn files_cnf_cap_and_conjunctive_conflicts() {
        let pairs: Vec<_> = (0..8).map(|i| format!("(\"a{i}\" & \"b{i}\")")).collect();
        let depends = format!("depends: [{}]\nconflicts: [\"p\" & \"q\" | \"r\"]", pairs.join(" | "));
        let files = vec![
            ("packages/x/x.1/opam".to_owned(), depends),
            ("packages/p/p.1/opam".to_owned(), String::new()),
            ("packages/q/q.1/opam".to_owned(), String::new()),
        ];
        let o = import_files(files.clone(), &ImportOptions { cnf_cap: 16, ..ImportOptions::default() }).unwrap();
        assert_eq!(stats(&o).cnf_truncated, 1);
        assert_eq!(deps_of(&o, "x", "1").len(), 16);
        assert_eq!((stats(&o).conflicts, stats(&o).empty_conflicts, stats(&o).conflict_conjunctions), (2, 1, 1));
        let o = import_files(files, &ImportOptions::default()).unwrap();
        assert_eq!((stats(&o).cnf_truncated, deps_of(&o, "x", "1").len()), (0, 256));
        // Non-UTF-8 bytes and hostile text: skipped, never a panic.
        let mut importer = Importer::new(ImportOptions::default());
        importer.add_bytes("packages/z/z.1/opam".into(), b"depends: [\"\xff\"]").unwrap();
        for text in ["depends: [", "depends: \"a\" {", "(*", "depends: [\"a\" {>= [\"1\"]}]", "\"\\"] {
            importer.add_file("packages/z/z.2/opam".into(), text).unwrap();
        }
        let o = importer.finish().unwrap();
        assert_eq!(stats(&o).skipped_files(), 6);
        assert_eq!(stats(&o).skipped["encoding"], 1);
    }

    #[test]
    fn tar_xz_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("opam.tar.xz");
        let mut builder = tar::Builder::new(xz2::write::XzEncoder::new(File::create(&path).unwrap(), 6));
        let mut add = |name: &str, body: &str| {
            let mut header = tar::Header::new_gnu();
            header.set_size(body.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, name, body.as_bytes()).unwrap();
        };
        add("packages/app/app.1.0/opam", "depends: [\"lib\" {>= \"1.0\"}]");
        add("packages/app/app.1.0/files/fix.patch", "not an opam file");
        add("packages/lib/lib.0.9/opam", "");
        add("packages/lib/lib.1.0/opam", "");
        builder.into_inner().unwrap().finish().unwrap();
        let o = import_tar_xz(&path, &ImportOptions::default()).unwrap();
        assert_eq!((stats(&o).files, stats(&o).releases), (3, 3));
        assert_eq!(deps_of(&o, "app", "1.0"), ["lib >= 1.0 [1]"]);
        let missing = import_tar_xz(&dir.path().join("nope.tar.xz"), &ImportOptions::default()).unwrap_err();
        assert!(matches!(missing, Error::Io { .. }));
    }

    /// The real repository, when it is there (`cargo test --release -p torc-corpora
    /// opam::tests::corpus -- --nocapture` for the time).
    #[test]
    fn corpus_imports() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora/opam-packages.tar.xz");
        if !path.is_file() {
            eprintln!("skipped: no corpus at {}", path.display());
            return;
        }
        let start = Instant::now();
        let o = import_tar_xz(&path, &ImportOptions::default()).unwrap();
        let elapsed = start.elapsed();
        let s = stats(&o);
        eprintln!("opam corpus imported in {elapsed:.2?}: {s:#?}");
        assert_eq!(s.files, 18_793);
        assert!(s.skipped_files() < 20, "{s:#?}");
        assert_eq!(s.releases + s.skipped_files(), s.files);
        assert!(s.packages > 4_500 && s.packages <= 4_596, "{}", s.packages);
        assert_eq!(o.roots.len(), s.releases);
        assert_eq!(o.index.release_count(), s.releases);
        assert!(s.dependencies > 5 * s.releases, "{s:#?}");
        assert!(s.with_alternatives > 100 && s.dropped_by_filter > 10_000 && s.conflicts > 1_000, "{s:#?}");
        let (ocaml, _) = o.find("ocaml", "4.14.0").expect("ocaml 4.14.0");
        let versions = &o.index.package(ocaml).releases;
        assert!(versions.windows(2).all(|w| compare_versions(&w[0].label, &w[1].label) == Ordering::Less));
    }
}
