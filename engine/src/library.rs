//! Proof libraries: reading a `[proof-library]`'s lemma files (from its
//! directory or from its published archive) and building it, which proves
//! every lemma with Z3 once. A library with a lemma Z3 refutes or cannot
//! prove is refused, unless the lemma is an `axiom` with a reason.
//!
//! Lemma files are always read from the package archive, the one
//! `torc publish` stores, never from the directory directly: a listed file
//! the packer leaves out (under a hidden directory, a top-level `target/`)
//! would be proved and then missing from what users get, so it is refused,
//! pointing at its `lemmas` entry in the manifest.
//!
//! The lemma syntax is [`torc_proofs::lemma`]'s.

use crate::error::{Error, Location, Result};
use crate::package::{Details, Manifest};
use crate::registry::{archive, Registries, Release};
use crate::resolve::ResolvedPackage;
use rayon::prelude::*;
use serde::Serialize;
use std::path::{Path, PathBuf};
use torc_contracts::prove::Options;
use torc_proofs::lemma::{parse_lemmas, prove_lemma, Lemma, LemmaStatus};

/// One lemma of a library and the file it is declared in (relative to the
/// package, as the manifest lists it).
#[derive(Clone, Debug, PartialEq)]
pub struct LibraryLemma {
    pub file: String,
    pub lemma: Lemma,
}

/// One lemma after the build.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LemmaReport {
    pub file: String,
    pub line: usize,
    pub name: String,
    pub requires: String,
    pub ensures: String,
    #[serde(flatten)]
    pub status: LemmaStatus,
}

/// What building a proof library found, lemma by lemma, in file order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LibraryReport {
    pub name: String,
    pub version: String,
    pub lemmas: Vec<LemmaReport>,
}

impl LibraryReport {
    /// Lemmas Z3 refuted or could not prove (axioms are not failures).
    pub fn failures(&self) -> impl Iterator<Item = &LemmaReport> {
        self.lemmas.iter().filter(|l| matches!(l.status, LemmaStatus::Refuted(_) | LemmaStatus::Unknown(_)))
    }

    pub fn proved(&self) -> usize {
        self.lemmas.iter().filter(|l| l.status == LemmaStatus::Proved).count()
    }

    pub fn axioms(&self) -> impl Iterator<Item = &LemmaReport> {
        self.lemmas.iter().filter(|l| matches!(l.status, LemmaStatus::Axiom(_)))
    }
}

/// One line per failed lemma: `lemmas/a.lemma:3: lemma `x`: refuted: x = NaN`.
pub fn describe_failure(lemma: &LemmaReport) -> String {
    let what = match &lemma.status {
        LemmaStatus::Refuted(cx) => format!("refuted: requires holds and ensures does not at {cx}"),
        LemmaStatus::Unknown(why) => format!("not proved ({why}); mark it `axiom` with a reason to take it unproved"),
        LemmaStatus::Proved | LemmaStatus::Axiom(_) => "proved".to_owned(),
    };
    format!("{}:{}: lemma `{}`: {what}", lemma.file, lemma.line, lemma.name)
}

/// The lemma files a proof library's manifest lists; none for other kinds.
pub fn lemma_files(manifest: &Manifest) -> &[String] {
    match &manifest.details {
        Details::Proof(proof) => &proof.lemmas,
        _ => &[],
    }
}

/// Every lemma of the library in `dir` (the package directory), parsed and
/// type-checked but not proved, read from the archive `dir` packs to (see
/// [`read_packed_library`]).
pub fn read_library(dir: &Path, manifest: &Manifest) -> Result<Vec<LibraryLemma>> {
    read_packed_library(dir, manifest, &archive::pack(dir)?)
}

/// Every lemma of the library in `dir`, read from `packed`, the archive
/// packed from `dir` ([`archive::pack`]); errors name the files under
/// `dir`. A listed file that is not in the archive (missing, or left out by
/// the packer), a lemma file that does not read, or one name declared in
/// two files is an error.
pub fn read_packed_library(dir: &Path, manifest: &Manifest, packed: &[u8]) -> Result<Vec<LibraryLemma>> {
    let label = format!("{} {}", manifest.name, manifest.version);
    read_lemmas(
        manifest,
        |file| Ok(archive::read_file(packed, file, &label)?.map(|contents| (dir.join(file), contents))),
        |file| {
            if dir.join(file).exists() {
                format!(
                    "lemma file `{file}` is not in the package archive: the archive leaves out every path \
                     with a component starting with `.`, a top-level `target/` and `torc.lock`, so the \
                     library would be published without it; move it elsewhere in the package"
                )
            } else {
                format!("lemma file `{file}` does not exist in the package")
            }
        },
    )
}

/// Every lemma of a resolved proof library, read from its archive in the
/// registry (checked against its BLAKE3). Errors name the files as
/// `<registry>/<name>@<version>/<file>`.
pub fn read_published_library(
    package: &ResolvedPackage,
    manifest: &Manifest,
    registries: &Registries,
) -> Result<Vec<LibraryLemma>> {
    let Some((registry, _)) = registries.lookup(&package.name)? else {
        return Err(Error::PackageNotFound {
            name: package.name.clone(),
            searched: registries.names().into_iter().map(str::to_owned).collect(),
        });
    };
    let release = Release::open(registry, &package.name, &package.version, &package.blake3)?;
    read_lemmas(
        manifest,
        |file| Ok(release.file(file)?.map(|contents| (release.path_of(file), contents))),
        |file| format!("lemma file `{}` does not exist in the published archive", release.path_of(file).display()),
    )
}

/// `read` gives a listed file's path (for messages) and contents, `None`
/// when the archive has no such file; `missing` says why.
fn read_lemmas(
    manifest: &Manifest,
    mut read: impl FnMut(&str) -> Result<Option<(PathBuf, Vec<u8>)>>,
    missing: impl Fn(&str) -> String,
) -> Result<Vec<LibraryLemma>> {
    let positions = match &manifest.details {
        Details::Proof(proof) => proof.positions.as_slice(),
        _ => &[],
    };
    let mut lemmas: Vec<LibraryLemma> = Vec::new();
    for (i, file) in lemma_files(manifest).iter().enumerate() {
        let Some((path, bytes)) = read(file)? else {
            let (line, column) = positions.get(i).copied().unwrap_or((1, 1));
            return Err(Error::input(
                Location::new(&manifest.file, line, column, format!("proof-library.lemmas[{i}]")),
                missing(file),
            ));
        };
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::input(Location::new(&path, 1, 1, ""), "the lemma file is not UTF-8"))?;
        let parsed = parse_lemmas(&path, &text)
            .map_err(|e| Error::input(Location::in_text(&e.file, &text, e.line, e.column, ""), e.message))?;
        for lemma in parsed {
            if let Some(first) = lemmas.iter().find(|l| l.lemma.name == lemma.name) {
                return Err(Error::input(
                    Location::in_text(&path, &text, lemma.line, 1, ""),
                    format!(
                        "`{}` is also declared in {} (line {}): lemma names are unique in a library",
                        lemma.name, first.file, first.lemma.line
                    ),
                ));
            }
            lemmas.push(LibraryLemma { file: file.clone(), lemma });
        }
    }
    Ok(lemmas)
}

/// Builds the proof library in `dir`: reads every lemma file and proves
/// every lemma with Z3 once (in parallel). The report is returned when
/// every lemma is proved or is an axiom; otherwise the library is refused
/// ([`Error::LibraryRefused`], naming each failed lemma and its
/// counterexample). A manifest that is not a proof library has nothing to
/// build (an empty report).
pub fn build_library(dir: &Path, manifest: &Manifest, options: &Options) -> Result<LibraryReport> {
    build_packed_library(dir, manifest, &archive::pack(dir)?, options)
}

/// [`build_library`] on `packed`, the archive packed from `dir`: what
/// `torc publish` proves is the archive it then stores.
pub fn build_packed_library(
    dir: &Path,
    manifest: &Manifest,
    packed: &[u8],
    options: &Options,
) -> Result<LibraryReport> {
    let lemmas = read_packed_library(dir, manifest, packed)?;
    let statuses: Vec<LemmaStatus> = lemmas.par_iter().map(|l| prove_lemma(&l.lemma, options)).collect();
    let lemmas = lemmas
        .into_iter()
        .zip(statuses)
        .map(|(l, status)| LemmaReport {
            file: l.file,
            line: l.lemma.line,
            name: l.lemma.name,
            requires: l.lemma.requires_text,
            ensures: l.lemma.ensures_text,
            status,
        })
        .collect();
    let report = LibraryReport { name: manifest.name.clone(), version: manifest.version.to_string(), lemmas };
    let failures: Vec<String> = report.failures().map(describe_failure).collect();
    if !failures.is_empty() {
        return Err(Error::LibraryRefused { name: report.name.clone(), version: report.version.clone(), failures });
    }
    Ok(report)
}
