//! `torc solve --corpus` on small committed fixtures (the real corpora are
//! for benchmarks only): installability, each-version and one request.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn torc(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_torc")).args(args).output().expect("torc runs");
    (
        output.status.code().expect("exited"),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn fixture(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(path).display().to_string()
}

#[test]
fn debian_installability_lists_each_uninstallable_package_with_an_explanation() {
    let corpus = format!("debian:{}", fixture("debian/small.Packages"));
    let (code, stdout, stderr) = torc(&["solve", "--corpus", &corpus, "--installability", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    let checked = json["checked"].as_u64().unwrap();
    assert!(checked >= 16, "{json}");
    let uninstallable = json["uninstallable"].as_array().unwrap();
    let names: Vec<&str> = uninstallable.iter().map(|u| u["package"].as_str().unwrap()).collect();
    // The importer's own tests establish these two as uninstallable and
    // mailer, tool and newpkg as installable.
    for name in ["pyapp-future", "cross"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    for name in ["mailer", "tool", "newpkg"] {
        assert!(!names.contains(&name), "{name} should be installable: {names:?}");
    }
    for u in uninstallable {
        assert!(u["version"].as_str().is_some_and(|v| !v.is_empty()));
        assert!(u["explanation"].as_str().unwrap().contains(u["package"].as_str().unwrap()), "{u}");
    }
    assert_eq!(json["installable"].as_u64().unwrap() + uninstallable.len() as u64, checked);

    let (code, stdout, _) = torc(&["solve", "--corpus", &corpus, "--installability"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("uninstallable"), "{stdout}");
}

#[test]
fn opam_each_version_and_a_single_request() {
    let corpus = format!("opam:{}", fixture("opam"));
    let (code, stdout, stderr) = torc(&["solve", "--corpus", &corpus, "--each-version", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    let checked = json["checked"].as_u64().unwrap();
    assert!(checked > 0);
    assert_eq!(
        json["sat"].as_u64().unwrap() + json["unsat"].as_u64().unwrap() + json["cycles"].as_u64().unwrap(),
        checked
    );

    let (code, stdout, stderr) = torc(&["solve", "--corpus", &corpus, "--require", "a", "--format", "json"]);
    assert!(code == 0 || code == 1, "{stderr}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert!(json["status"] == "sat" || json["status"] == "unsat", "{json}");
}

#[test]
fn bad_corpus_arguments_exit_2() {
    let (code, _, stderr) = torc(&["solve", "--corpus", "nonsense", "--installability"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("expected KIND:PATH"), "{stderr}");
    let (code, _, stderr) = torc(&["solve", "--corpus", "rpm:/x", "--installability"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown kind `rpm`"), "{stderr}");
    let (code, _, stderr) = torc(&["solve", "--corpus", "debian:/no/such/Packages.xz", "--installability"]);
    assert_eq!(code, 2, "{stderr}");
    let corpus = format!("debian:{}", fixture("debian/small.Packages"));
    let (code, _, stderr) = torc(&["solve", "--corpus", &corpus, "--require", "no-such-package"]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn a_torc_index_document_is_a_corpus_too() {
    let corpus = format!("torc-index:{}", fixture("basic.json"));
    let (code, stdout, stderr) = torc(&["solve", "--corpus", &corpus, "--each-version", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["corpus"], "torc-index");
    // basic.json: a 1.0.0, 1.1.0, 2.0.0; b 1.0.0, 1.1.0, 1.2.0, 2.0.0; c 0.1.0.
    // b 2.0.0 needs a package no one publishes, and a 2.0.0 needs b ^2.
    assert_eq!((json["checked"].as_u64(), json["sat"].as_u64(), json["unsat"].as_u64()), (Some(8), Some(6), Some(2)));

    let (code, stdout, stderr) = torc(&["solve", "--corpus", &corpus, "--require", "a 1.1.0"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "a 1.1.0\nb 1.2.0\n");

    // Its errors keep the document's file, line, column and JSON path.
    let corpus = format!("torc-index:{}", fixture("bad_version.json"));
    let (code, _, stderr) = torc(&["solve", "--corpus", &corpus, "--installability"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("bad_version.json:6:19: packages.a[1].version: invalid version"), "{stderr}");
}
