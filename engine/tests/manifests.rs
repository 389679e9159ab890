//! The manifest layer through its public API, on the fixtures in
//! `tests/fixtures/manifests/`: find, read, init, add.

use std::fs;
use std::path::{Path, PathBuf};
use torc_engine::edit::add_dependency;
use torc_engine::init::init;
use torc_engine::manifest::{self, SPEC_YAML, TORC_TOML};
use torc_engine::package::{Details, PackageKind};
use torc_engine::Error;
use torc_solver::semver::VersionReq;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/manifests")
}

/// Copies a fixture package into a temporary directory.
fn copy_fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let package = dir.path().join(name);
    fs::create_dir_all(&package).unwrap();
    for entry in fs::read_dir(fixtures().join(name)).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), package.join(entry.file_name())).unwrap();
    }
    (dir, package)
}

#[test]
fn every_fixture_reads() {
    let mut seen = Vec::new();
    for entry in fs::read_dir(fixtures()).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let path = manifest::manifest_path(&dir).unwrap();
        let manifest = manifest::read(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(manifest.file, path);
        seen.push((manifest.name, manifest.kind));
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            ("motor-controller".to_owned(), PackageKind::Module),
            ("payment-protocol".to_owned(), PackageKind::Spec),
            ("torc-pid".to_owned(), PackageKind::Module),
        ]
    );
}

#[test]
fn find_walks_up_from_a_subdirectory() {
    let (_tmp, package) = copy_fixture("payment-protocol");
    let deep = package.join("specs").join("nested");
    fs::create_dir_all(&deep).unwrap();
    let found = manifest::find(&deep).unwrap();
    assert_eq!(found, package.join(SPEC_YAML));
    assert_eq!(manifest::read(&found).unwrap().name, "payment-protocol");
}

#[test]
fn errors_name_the_file_they_are_in() {
    let (_tmp, package) = copy_fixture("torc-pid");
    let path = package.join(TORC_TOML);
    let text = fs::read_to_string(&path).unwrap().replace("heap = \"0 bytes\"", "heap = \"0 parsecs\"");
    fs::write(&path, text).unwrap();
    match manifest::read(&path).unwrap_err() {
        Error::Input { location, message } => {
            assert_eq!(location.file, path);
            assert_eq!((location.line, location.column), (35, 8));
            assert_eq!(location.key, "module.resource-bounds.heap");
            assert!(message.contains("unknown unit `parsecs`"), "{message}");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn init_every_kind_then_add_and_read() {
    let root = tempfile::tempdir().unwrap();
    for kind in PackageKind::ALL {
        let dir = root.path().join(format!("my-{kind}"));
        let path = init(&dir, kind, None).unwrap();
        let expected = if kind == PackageKind::Spec { SPEC_YAML } else { TORC_TOML };
        assert_eq!(path, dir.join(expected));
        assert_eq!(manifest::find(&dir).unwrap(), path);
        let requirement = VersionReq::parse(">=0.3.0, <1.0.0").unwrap();
        assert!(!add_dependency(&path, "torc-math", &requirement, false).unwrap());
        let manifest = manifest::read(&path).unwrap();
        assert_eq!(manifest.kind, kind);
        assert_eq!(manifest.dependencies.len(), 1);
        assert_eq!(manifest.dependencies[0].requirement, requirement);
        assert!(matches!(
            (kind, &manifest.details),
            (PackageKind::Module, Details::Module(_))
                | (PackageKind::Platform, Details::Platform(_))
                | (PackageKind::Proof, Details::Proof(_))
                | (PackageKind::Spec, Details::Spec(_))
        ));
    }
}

#[test]
fn add_to_the_design_manifests_touches_one_line() {
    for (fixture, file, name) in [("torc-pid", TORC_TOML, "torc-can"), ("payment-protocol", SPEC_YAML, "crypto/hashes")]
    {
        let (_tmp, package) = copy_fixture(fixture);
        let path = package.join(file);
        let before = fs::read_to_string(&path).unwrap();
        assert!(!add_dependency(&path, name, &VersionReq::parse("^0.8.0").unwrap(), false).unwrap());
        let after = fs::read_to_string(&path).unwrap();
        let added: Vec<&str> = after.lines().filter(|l| !before.lines().any(|b| b == *l)).collect();
        assert_eq!(added.len(), 1, "{after}");
        assert!(added[0].contains(name) && added[0].contains("\"^0.8.0\""), "{}", added[0]);
        assert_eq!(after.lines().count(), before.lines().count() + 1);
        let kept: Vec<&str> = after.lines().filter(|l| *l != added[0]).collect();
        assert_eq!(kept, before.lines().collect::<Vec<_>>(), "every other line as it was, in order");
    }
}
