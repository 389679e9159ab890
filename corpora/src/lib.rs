//! Real registries as resolver corpora: Debian `Packages` files, opam
//! repositories, the crates.io sparse index and `torc-index/1` documents,
//! each imported into the solver's [`Index`], and the whole-registry
//! workloads researchers run on them ([`workload`]).
//!
//! One entry point for every kind: [`load`] takes `KIND:PATH` and one
//! [`ImportOptions`] and gives a [`Corpus`] or an [`Error`].
//!
//! ```no_run
//! use torc_corpora::{load, workload, ImportOptions};
//!
//! let corpus = load("debian:Packages.xz", &ImportOptions::default())?;
//! let report = workload::installability(&corpus.index, |_, _| {});
//! println!("{} of {} releases installable", report.installable, corpus.roots.len());
//! # Ok::<(), torc_corpora::Error>(())
//! ```
//!
//! | kind | `PATH` | module |
//! |---|---|---|
//! | `debian` | a `Packages` file, plain or `.xz` | [`debian`] |
//! | `opam` | a directory holding `NAME/NAME.VERSION/opam` files, or a `.tar.xz` of one | [`opam`] |
//! | `crates` | a `.tar.xz` of a crates.io sparse index | [`crates_io`] |
//! | `torc-index` | a `torc-index/1` JSON document | [`torc_index`] |

pub mod crates_io;
pub mod debian;
mod error;
pub mod opam;
pub mod torc_index;
pub mod workload;

pub use error::{Error, Location};

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use torc_solver::{Index, PackageId, VersionIx};

/// The formats [`load`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Debian,
    Opam,
    Crates,
    TorcIndex,
}

impl Kind {
    /// The name used in `KIND:PATH`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Debian => "debian",
            Kind::Opam => "opam",
            Kind::Crates => "crates",
            Kind::TorcIndex => "torc-index",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Kind {
    type Err = Error;

    fn from_str(kind: &str) -> Result<Self, Error> {
        [Kind::Debian, Kind::Opam, Kind::Crates, Kind::TorcIndex]
            .into_iter()
            .find(|k| k.name() == kind)
            .ok_or_else(|| Error::UnknownKind { kind: kind.to_owned() })
    }
}

/// How to import; each field is read by the kinds it names and ignored by
/// the others.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportOptions {
    /// debian: the native architecture; stanzas of it and of `all` are
    /// imported (default `amd64`).
    pub architecture: String,
    /// crates: import versions with a pre-release tag (`1.0.0-beta.2`).
    pub include_prereleases: bool,
    /// crates: import yanked versions (marked yanked in the [`Index`]).
    pub include_yanked: bool,
    /// opam: fail on the first malformed file instead of skipping it.
    pub strict: bool,
    /// opam: replace `version` in version constraints by the release's own
    /// version instead of dropping the constraint.
    pub substitute_own_version: bool,
    /// opam: most clauses one field may have after conversion to CNF
    /// (default 4096: the largest field of the opam repository,
    /// `hol_light`'s six alternative toolchains, needs 1280).
    pub cnf_cap: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            architecture: "amd64".to_owned(),
            include_prereleases: false,
            include_yanked: false,
            strict: false,
            substitute_own_version: false,
            cnf_cap: 4096,
        }
    }
}

/// The counts an importer gathered, by kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stats {
    Debian(debian::ImportStats),
    Opam(opam::ImportStats),
    Crates(crates_io::ImportStats),
    TorcIndex(torc_index::ImportStats),
}

impl Stats {
    pub fn kind(&self) -> Kind {
        match self {
            Stats::Debian(_) => Kind::Debian,
            Stats::Opam(_) => Kind::Opam,
            Stats::Crates(_) => Kind::Crates,
            Stats::TorcIndex(_) => Kind::TorcIndex,
        }
    }
}

/// An imported registry: the resolver's [`Index`], what the import
/// counted, and every imported release as a root (by package, then
/// ascending version; packages that are only ever required have no
/// releases and so no roots).
#[derive(Clone, Debug)]
pub struct Corpus {
    pub index: Index,
    pub stats: Stats,
    pub roots: Vec<(PackageId, VersionIx)>,
}

impl Corpus {
    pub fn kind(&self) -> Kind {
        self.stats.kind()
    }

    /// Release `version` of `name`, found as its kind names releases: a
    /// crate by its version (in its compatible-range package), a Debian
    /// release by its version text (the first architecture when it has
    /// two), an opam release by opam's version order (`1.00` finds `1.0`),
    /// a `torc-index/1` release by semver precedence.
    pub fn find(&self, name: &str, version: &str) -> Option<(PackageId, VersionIx)> {
        match self.kind() {
            Kind::Debian => debian::find(&self.index, name, version),
            Kind::Opam => opam::find(&self.index, name, version),
            Kind::Crates => crates_io::find(&self.index, name, version),
            Kind::TorcIndex => torc_index::find(&self.index, name, version),
        }
    }
}

/// Every release of `index`, by package then ascending version.
fn every_release(index: &Index) -> Vec<(PackageId, VersionIx)> {
    index
        .packages()
        .flat_map(|(id, package)| (0..package.releases.len() as VersionIx).map(move |ix| (id, ix)))
        .collect()
}

/// Loads the corpus `spec`, `KIND:PATH` (split at the first colon, so the
/// path may hold colons): see the table in the [crate documentation](crate).
pub fn load(spec: &str, options: &ImportOptions) -> Result<Corpus, Error> {
    let Some((kind, path)) = spec.split_once(':') else {
        return Err(Error::Spec { spec: spec.to_owned() });
    };
    load_path(kind.parse()?, Path::new(path), options)
}

/// Loads the corpus of `kind` at `path`.
pub fn load_path(kind: Kind, path: &Path, options: &ImportOptions) -> Result<Corpus, Error> {
    match kind {
        Kind::Debian => debian::read(path, options),
        Kind::Opam if path.is_dir() => opam::import_dir(path, options),
        Kind::Opam => opam::import_tar_xz(path, options),
        Kind::Crates => crates_io::read_tar_xz(path, options),
        Kind::TorcIndex => torc_index::load(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(path: &str) -> String {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures").join(path).display().to_string()
    }

    #[test]
    fn every_kind_loads_through_one_entry_point() {
        let options = ImportOptions::default();
        for (spec, kind) in [
            (format!("debian:{}", fixture("debian/small.Packages")), Kind::Debian),
            (format!("opam:{}", fixture("opam")), Kind::Opam),
            (format!("torc-index:{}", fixture("basic.json")), Kind::TorcIndex),
        ] {
            let corpus = load(&spec, &options).unwrap_or_else(|e| panic!("{spec}: {e}"));
            assert_eq!(corpus.kind(), kind);
            assert!(!corpus.roots.is_empty(), "{spec}");
            assert_eq!(corpus.roots, every_release(&corpus.index), "{spec}");
        }
    }

    #[test]
    fn specs_name_a_known_kind() {
        let options = ImportOptions::default();
        assert!(matches!(load("Packages.xz", &options), Err(Error::Spec { .. })));
        let err = load("rpm:/x", &options).unwrap_err();
        assert_eq!(err.to_string(), "unknown kind `rpm`; expected debian, opam, crates or torc-index");
        assert!(matches!(load("debian:/no/such/Packages", &options), Err(Error::Io { .. })));
        assert!(matches!(load("torc-index:/no/such.json", &options), Err(Error::Io { .. })));
        for kind in [Kind::Debian, Kind::Opam, Kind::Crates, Kind::TorcIndex] {
            assert_eq!(kind.name().parse::<Kind>().unwrap(), kind);
        }
    }

    #[test]
    fn torc_index_releases_are_found_by_precedence() {
        let corpus = load(&format!("torc-index:{}", fixture("basic.json")), &ImportOptions::default()).unwrap();
        let (package, ix) = corpus.roots[0];
        let label = corpus.index.release(package, ix).label.clone();
        assert_eq!(corpus.find(corpus.index.name(package), &label), Some((package, ix)));
        assert_eq!(corpus.find(corpus.index.name(package), "999.0.0"), None);
    }
}
