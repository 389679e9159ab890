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

/// `torc(args)` with stdout a pipe whose reading end is already closed, as
/// in `torc ... | head -c 20` once head has gone: (exit code, stderr).
fn torc_into_closed_pipe(args: &[&str]) -> (i32, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = Command::new(env!("CARGO_BIN_EXE_torc")).args(args).stdout(writer).output().expect("torc runs");
    (output.status.code().expect("exited"), String::from_utf8(output.stderr).unwrap())
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

#[test]
fn a_closed_stdout_ends_the_workload_quietly_with_its_own_exit_code() {
    let debian = format!("debian:{}", fixture("debian/small.Packages"));
    let index = fixture("unsat.json");
    for (args, code) in [
        (vec!["solve", "--corpus", &debian, "--installability", "--format", "json"], 0),
        (vec!["solve", "--corpus", &debian, "--each-version"], 0),
        (vec!["solve", "--corpus", &debian, "--require", "mailer", "--format", "json"], 0),
        (vec!["solve", "--corpus", &debian, "--require", "cross", "--format", "json"], 1),
        (vec!["solve", "--index", &index, "--require", "a ^2", "--require", "b ^1", "--format", "json"], 1),
    ] {
        assert_eq!(torc_into_closed_pipe(&args), (code, String::new()), "torc {args:?}");
    }
}

#[test]
fn a_stdout_that_cannot_be_written_is_said_once_and_exits_5() {
    let Ok(full) = std::fs::File::create("/dev/full") else {
        return; // Not Linux: no device that always fails.
    };
    let debian = format!("debian:{}", fixture("debian/small.Packages"));
    let output = Command::new(env!("CARGO_BIN_EXE_torc"))
        .args(["solve", "--corpus", &debian, "--installability", "--format", "json"])
        .stdout(full)
        .output()
        .expect("torc runs");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(5), "{stderr}");
    assert!(stderr.starts_with("error: cannot write the output: "), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
