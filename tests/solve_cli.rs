//! `torc solve` end to end: the real binary on the index files in
//! `tests/fixtures/`.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr))
    }
}

fn torc(args: &[&str]) -> Run {
    let Output { status, stdout, stderr } =
        Command::new(env!("CARGO_BIN_EXE_torc")).args(args).output().expect("run torc");
    let run = Run {
        code: status.code().expect("torc exited by signal"),
        stdout: String::from_utf8(stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(stderr).expect("UTF-8 stderr"),
    };
    assert!(!run.stderr.contains("panicked"), "torc panicked:\n{}", run.stderr);
    run
}

/// `torc solve --index INDEX` with one `--require` per requirement and
/// the extra arguments.
fn solve(index: &Path, requires: &[&str], extra: &[&str]) -> Run {
    let index = index.to_str().expect("UTF-8 path");
    let mut args = vec!["solve", "--index", index];
    for require in requires {
        args.extend(["--require", require]);
    }
    args.extend(extra);
    torc(&args)
}

fn solve_json(index: &Path, requires: &[&str], extra: &[&str]) -> (i32, Value) {
    let mut extra = extra.to_vec();
    extra.extend(["--format", "json"]);
    let run = solve(index, requires, &extra);
    (run.code, run.json())
}

fn sat(solution: Value) -> Value {
    json!({"status": "sat", "solution": solution})
}

/// Asserts bad input: exit 2, an `error:` line on stderr holding `needles`.
fn assert_bad_input(run: &Run, needles: &[&str]) {
    assert_eq!(run.code, 2, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    for needle in needles {
        assert!(run.stderr.contains(needle), "stderr lacks {needle:?}:\n{}", run.stderr);
    }
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn newest_versions_are_chosen() {
    let (code, out) = solve_json(&fixture("basic.json"), &["a ^1"], &[]);
    assert_eq!(code, 0);
    assert_eq!(out, sat(json!({"a": "1.1.0", "b": "1.2.0"})));

    let run = solve(&fixture("basic.json"), &["a ^1", "c"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "a 1.1.0\nb 1.2.0\nc 0.1.0\n");
}

#[test]
fn json_output_keeps_status_first_and_names_sorted() {
    let run = solve(&fixture("basic.json"), &["c", "a ^1"], &["--format", "json"]);
    assert_eq!(run.code, 0);
    let status = run.stdout.find("\"status\"").unwrap();
    let solution = run.stdout.find("\"solution\"").unwrap();
    assert!(status < solution, "{}", run.stdout);
    let (a, b, c) = (run.stdout.find("\"a\"").unwrap(), run.stdout.find("\"b\"").unwrap(), run.stdout.find("\"c\"").unwrap());
    assert!(a < b && b < c, "{}", run.stdout);
}

#[test]
fn minimal_picks_oldest() {
    let (code, out) = solve_json(&fixture("basic.json"), &["a ^1"], &["--minimal"]);
    assert_eq!(code, 0);
    assert_eq!(out, sat(json!({"a": "1.0.0", "b": "1.0.0"})));
}

#[test]
fn unsat_is_explained() {
    let index = fixture("unsat.json");
    let (code, out) = solve_json(&index, &["a ^2", "b ^1"], &[]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(out["status"], "unsat");
    let core = out["core"].as_array().expect("core is an array");
    assert!(!core.is_empty(), "{out}");
    assert!(core.iter().all(|fact| fact["kind"].is_string()), "{out}");
    let explanation = out["explanation"].as_str().expect("explanation is a string");
    for name in ["a", "b", "c"] {
        assert!(explanation.contains(&format!("{name} ")), "{explanation:?} does not mention {name}");
    }

    let run = solve(&index, &["a ^2", "b ^1"], &[]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.stderr.starts_with("error: no solution\n"), "{}", run.stderr);
    assert!(run.stderr.contains(explanation), "{}", run.stderr);
}

#[test]
fn missing_package_is_unsat() {
    let (code, out) = solve_json(&fixture("basic.json"), &["nothere ^1"], &[]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(out["status"], "unsat");
    assert_eq!(
        out["explanation"],
        "root depends on nothere ^1 (which no selectable release satisfies), so it cannot be satisfied."
    );
}

#[test]
fn cycle_is_reported() {
    let (code, out) = solve_json(&fixture("cycle.json"), &["a"], &[]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(out, json!({"status": "cycle", "cycle": ["a 1.0.0", "b 1.0.0", "a 1.0.0"]}));

    let run = solve(&fixture("cycle.json"), &["a"], &[]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stderr, "error: dependency cycle: a 1.0.0 -> b 1.0.0 -> a 1.0.0\n");
}

#[test]
fn yanked_is_chosen_only_when_locked() {
    let index = fixture("yanked.json");
    let (code, out) = solve_json(&index, &["a"], &[]);
    assert_eq!(code, 0);
    assert_eq!(out, sat(json!({"a": "1.0.0"})));

    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("lock.json");
    std::fs::write(&lock, r#"{"a": "1.1.0"}"#).unwrap();
    let (code, out) = solve_json(&index, &["a"], &["--lock", lock.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(out, sat(json!({"a": "1.1.0"})));
}

#[test]
fn lock_keeps_a_solution_stable() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index.json");
    std::fs::copy(fixture("basic.json"), &index).unwrap();
    let lock = dir.path().join("lock.json");

    let first = solve(&index, &["a ^1"], &["--format", "json"]);
    assert_eq!(first.code, 0);
    std::fs::write(&lock, &first.stdout).unwrap();
    let lock_arg = lock.to_str().unwrap();
    let (code, again) = solve_json(&index, &["a ^1"], &["--lock", lock_arg]);
    assert_eq!(code, 0);
    assert_eq!(again, first.json());

    // Newer releases appear: the locked ones still fit and are kept.
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&index).unwrap()).unwrap();
    doc["packages"]["b"].as_array_mut().unwrap().insert(3, json!({"version": "1.3.0"}));
    doc["packages"]["a"].as_array_mut().unwrap().insert(2, json!({"version": "1.2.0", "depends": {"b": "^1.3"}}));
    std::fs::write(&index, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let (code, locked) = solve_json(&index, &["a ^1"], &["--lock", lock_arg]);
    assert_eq!(code, 0);
    assert_eq!(locked, first.json());
    let (code, fresh) = solve_json(&index, &["a ^1"], &[]);
    assert_eq!(code, 0);
    assert_eq!(fresh, sat(json!({"a": "1.2.0", "b": "1.3.0"})));

    // A pin that no longer fits gives way; the others stay.
    let (code, moved) = solve_json(&index, &["a ^1", "b >=1.3"], &["--lock", lock_arg]);
    assert_eq!(code, 0);
    assert_eq!(moved, sat(json!({"a": "1.1.0", "b": "1.3.0"})));
}

#[test]
fn lock_pins_outside_the_index_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("lock.json");
    std::fs::write(&lock, r#"{"a": "9.9.9", "zzz": "1.0.0", "b": "1.1.0"}"#).unwrap();
    let run = solve(&fixture("basic.json"), &["a ^1"], &["--lock", lock.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "a 1.1.0\nb 1.1.0\n");
    assert!(run.stderr.contains("a 9.9.9"), "{}", run.stderr);
    assert!(run.stderr.contains("zzz 1.0.0"), "{}", run.stderr);
    assert!(run.stderr.contains("ignored"), "{}", run.stderr);
}

#[test]
fn bad_lock_files_are_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("lock.json");
    let lock_arg = lock.to_str().unwrap();
    let index = fixture("basic.json");

    std::fs::write(&lock, "{\n  \"a\": \"1.0.0\",\n").unwrap();
    let run = solve(&index, &["a"], &["--lock", lock_arg]);
    assert_bad_input(&run, &["lock.json:", "malformed JSON"]);

    std::fs::write(&lock, r#"{"a": 1}"#).unwrap();
    assert_bad_input(&solve(&index, &["a"], &["--lock", lock_arg]), &["lock.json", "expected a version string"]);

    std::fs::write(&lock, r#"{"a": "1.0"}"#).unwrap();
    assert_bad_input(&solve(&index, &["a"], &["--lock", lock_arg]), &["lock.json", "invalid version \"1.0\""]);

    std::fs::write(&lock, r#"{"status": "unsat", "explanation": "x", "core": []}"#).unwrap();
    assert_bad_input(&solve(&index, &["a"], &["--lock", lock_arg]), &["lock.json", "no solution to lock"]);

    let missing = dir.path().join("nope.json");
    assert_bad_input(&solve(&index, &["a"], &["--lock", missing.to_str().unwrap()]), &["nope.json"]);
}

#[test]
fn malformed_json_is_bad_input() {
    let run = solve(&fixture("bad_json.json"), &["a"], &[]);
    assert_bad_input(&run, &["bad_json.json:5:", "malformed JSON"]);
}

#[test]
fn unknown_field_is_bad_input() {
    let run = solve(&fixture("unknown_field.json"), &["a"], &[]);
    assert_bad_input(&run, &["unknown_field.json:6:28: ", "packages.a[1]: ", "unknown field \"dependencies\""]);
}

#[test]
fn bad_version_is_bad_input() {
    let run = solve(&fixture("bad_version.json"), &["a"], &[]);
    assert_bad_input(&run, &["bad_version.json:6:19: ", "packages.a[1].version: ", "invalid version \"1.0\""]);
}

#[test]
fn bad_requirement_in_file_is_bad_input() {
    let run = solve(&fixture("bad_requirement.json"), &["a"], &[]);
    assert_bad_input(&run, &["bad_requirement.json:8:", "packages.b[0].depends.a: ", "invalid requirement \"^1.x.3\" at column"]);
}

#[test]
fn wrong_format_and_duplicate_versions_are_bad_input() {
    assert_bad_input(
        &solve(&fixture("wrong_format.json"), &["a"], &[]),
        &["wrong_format.json:2:13: ", "format: ", "\"torc-index/2\""],
    );
    assert_bad_input(
        &solve(&fixture("duplicate_version.json"), &["a"], &[]),
        &["duplicate_version.json:6:19: ", "packages.a[1].version: ", "duplicate version"],
    );
}

#[test]
fn bad_requirement_on_the_command_line_is_bad_input() {
    let run = solve(&fixture("basic.json"), &["a ^1.x.3"], &[]);
    assert_bad_input(&run, &["--require \"a ^1.x.3\"", "at column "]);
    // The pointer line puts a caret under the column it names.
    let column: usize = run.stderr.split("at column ").nth(1).unwrap().split(':').next().unwrap().parse().unwrap();
    assert!(column > 2, "the column counts from the start of the argument: {}", run.stderr);
    let caret_line = run.stderr.lines().last().unwrap();
    assert_eq!(caret_line.find('^'), Some(1 + column), "{}", run.stderr);

    assert_bad_input(&solve(&fixture("basic.json"), &[" "], &[]), &["--require"]);
}

#[test]
fn usage_errors_exit_2() {
    let index = fixture("basic.json");
    let run = torc(&["solve", "--index", index.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--require"), "{}", run.stderr);

    let run = torc(&["solve", "--index", index.to_str().unwrap(), "--require", "a", "--format", "yaml"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(torc(&["frobnicate"]).code, 2);
}

#[test]
fn missing_index_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    assert_bad_input(&solve(&missing, &["a"], &[]), &["missing.json"]);
}

#[test]
fn odd_index_files_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index.json");
    for text in [
        "",
        "[",
        "null",
        &"[".repeat(10_000),
        "{\"format\": \"torc-index/1\", \"packages\": {\"a\": [{\"version\": \"1.0.0\", \"depends\": {\"é\": \"\\u005e1.x\"}}]}}",
        "{\"format\": \"torc-index/1\", \"packages\": {\"a\": [{\"version\": \"1.0.0\", \"depends\": {\"b\": \"é ^1.x\"}}]}}",
        "{\"format\": \"torc-index/1\", \"packages\": {\"a\": [{\"version\": 1}]}}",
        "{\"format\": \"torc-index/1\", \"packages\": {\"a\": {}}}",
        "{\"format\": \"torc-index/1\", \"packages\": {\"\": []}}",
    ] {
        std::fs::write(&index, text).unwrap();
        let run = solve(&index, &["a"], &[]);
        assert_eq!(run.code, 2, "{text}: {}", run.stderr);
        assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    }
    std::fs::write(&index, [0xff, 0xfe, b'{']).unwrap();
    assert_bad_input(&solve(&index, &["a"], &[]), &["UTF-8"]);
}

#[test]
fn prerelease_only_when_allowed() {
    let index = fixture("prerelease.json");
    let (code, out) = solve_json(&index, &["a ^1"], &[]);
    assert_eq!(code, 0);
    assert_eq!(out, sat(json!({"a": "1.0.0"})));
    let (code, out) = solve_json(&index, &["a ^1"], &["--allow-prerelease"]);
    assert_eq!(code, 0);
    assert_eq!(out, sat(json!({"a": "1.1.0-beta.1"})));
}
