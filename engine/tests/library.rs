//! Proof libraries: building one proves every lemma with Z3; a lemma Z3
//! refutes is refused with its counterexample; an axiom needs a reason.

use std::fs;
use std::path::{Path, PathBuf};
use torc_contracts::prove::Options;
use torc_engine::library::{build_library, read_library};
use torc_engine::manifest;
use torc_engine::Error;
use torc_proofs::lemma::LemmaStatus;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora/torc-arithmetic-proofs")
}

/// A proof library in a temporary directory with one lemma file.
fn library(lemmas: &str) -> (tempfile::TempDir, torc_engine::package::Manifest) {
    let dir = tempfile::tempdir().unwrap();
    let toml = "[proof-library]\nname = \"t\"\nversion = \"1.0.0\"\nlemmas = [\"lemmas/t.lemma\"]\n";
    fs::write(dir.path().join("torc.toml"), toml).unwrap();
    fs::create_dir(dir.path().join("lemmas")).unwrap();
    fs::write(dir.path().join("lemmas/t.lemma"), lemmas).unwrap();
    let manifest = manifest::read(&dir.path().join("torc.toml")).unwrap();
    (dir, manifest)
}

#[test]
fn building_torc_arithmetic_proofs_proves_every_lemma() {
    let manifest = manifest::read(&corpus().join("torc.toml")).unwrap();
    let report = build_library(&corpus(), &manifest, &Options::default()).unwrap();
    assert_eq!((report.name.as_str(), report.version.as_str()), ("torc-arithmetic-proofs", "1.0.0"));
    assert!(report.lemmas.len() >= 40, "{}", report.lemmas.len());
    for lemma in &report.lemmas {
        assert_eq!(lemma.status, LemmaStatus::Proved, "{}:{} {}", lemma.file, lemma.line, lemma.name);
    }
    assert_eq!(report.axioms().count(), 0);
    let names: Vec<&str> = report.lemmas.iter().map(|l| l.name.as_str()).collect();
    for needed in
        ["clamp_in_range", "clamp_identity", "min_le_left", "max_commutative", "abs_non_negative", "abs_finite"]
    {
        assert!(names.contains(&needed), "{needed}");
    }
}

#[test]
fn a_false_lemma_is_refused_with_its_counterexample() {
    let (dir, manifest) = library(
        "lemma ok(x: Float<32>) requires !is_nan(x) ensures abs(x) >= 0.0\n\nlemma succ(x: Float<32>)\n  ensures x + 1.0 > x\n",
    );
    let err = build_library(dir.path(), &manifest, &Options::default()).unwrap_err();
    let Error::LibraryRefused { name, failures, .. } = &err else { panic!("{err}") };
    assert_eq!(name, "t");
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].starts_with("lemmas/t.lemma:3: lemma `succ`: refuted: requires holds and ensures does not at x = "),
        "{}",
        failures[0]
    );
    assert_eq!(err.kind(), torc_engine::error::ErrorKind::Refused);
}

#[test]
fn an_axiom_is_taken_with_its_reason_and_without_one_is_a_parse_error() {
    let (dir, manifest) =
        library("axiom succ(x: Float<32>) reason \"checked by hand\"\n  requires finite(x) ensures x + 1.0 > x\n");
    let report = build_library(dir.path(), &manifest, &Options::default()).unwrap();
    assert_eq!(report.lemmas[0].status, LemmaStatus::Axiom("checked by hand".into()));
    assert_eq!(report.axioms().count(), 1);

    let (dir, manifest) = library("\naxiom succ(x: Float<32>)\n  requires finite(x) ensures x + 1.0 > x\n");
    let err = build_library(dir.path(), &manifest, &Options::default()).unwrap_err();
    let Error::Input { location, message } = &err else { panic!("{err}") };
    assert_eq!((location.file.ends_with("lemmas/t.lemma"), location.line, location.column), (true, 2, 1));
    assert!(message.contains("needs a reason"), "{message}");
}

#[test]
fn a_listed_lemma_file_must_exist_and_names_are_unique_across_files() {
    let (dir, _) = library("lemma a() ensures true\n");
    let toml =
        "[proof-library]\nname = \"t\"\nversion = \"1.0.0\"\nlemmas = [\"lemmas/t.lemma\", \"lemmas/u.lemma\"]\n";
    fs::write(dir.path().join("torc.toml"), toml).unwrap();
    let manifest = manifest::read(&dir.path().join("torc.toml")).unwrap();
    let err = read_library(dir.path(), &manifest).unwrap_err();
    assert!(err.to_string().contains("lemma file `lemmas/u.lemma` does not exist"), "{err}");
    fs::write(dir.path().join("lemmas/u.lemma"), "// again\nlemma a() ensures true\n").unwrap();
    let err = read_library(dir.path(), &manifest).unwrap_err();
    assert!(err.to_string().contains("`a` is also declared in lemmas/t.lemma (line 1)"), "{err}");
}
