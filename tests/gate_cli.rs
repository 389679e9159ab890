//! The contract-aware semver gate as users run it: `torc diff` on every
//! fixture pair in `tests/fixtures/gate/<case>/{old,new}/torc.toml`, checked
//! against the case's `expected.toml` and snapshotted as text; and `torc
//! publish`, `publish --dry-run` and `torc bump` against a fresh registry.
//!
//! `expected.toml` keys (all optional):
//!
//! - `required`: `"major"`, `"minor"` or `"patch"`;
//! - `findings`: `[[port, kind, verdict], ...]` in report order (`""` for
//!   no port);
//! - `accepted` (default true), `status`, `next_version`;
//! - `counterexample_contains`: a fragment of a counterexample sentence;
//! - `message_contains`: a fragment of the text report;
//! - `error_contains`: the case is bad input (exit 2); a fragment of stderr.
//!
//! Adding a case is adding a directory. Snapshots of the text reports live
//! in `tests/snapshots/` (`INSTA_UPDATE=always cargo test --test gate_cli`
//! rewrites them).

use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tempfile::TempDir;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().expect("torc exited normally"),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }
}

/// Runs torc in `cwd` with `home` as TORC_HOME.
fn torc(cwd: &Path, home: &Path, args: &[&str]) -> Run {
    Command::new(env!("CARGO_BIN_EXE_torc"))
        .args(args)
        .current_dir(cwd)
        .env("TORC_HOME", home)
        .env_remove("HOME")
        .output()
        .expect("torc runs")
        .into()
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gate")
}

/// Every case directory, sorted.
fn cases() -> Vec<(String, PathBuf)> {
    let mut cases: Vec<(String, PathBuf)> = fs::read_dir(fixtures())
        .expect("tests/fixtures/gate exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("expected.toml").is_file())
        .map(|path| (path.file_name().unwrap().to_str().unwrap().to_owned(), path))
        .collect();
    cases.sort();
    cases
}

/// What `expected.toml` says.
#[derive(Default)]
struct Expected {
    required: Option<String>,
    findings: Option<Vec<[String; 3]>>,
    accepted: bool,
    status: Option<String>,
    next_version: Option<String>,
    counterexample_contains: Option<String>,
    message_contains: Option<String>,
    error_contains: Option<String>,
}

fn expected(case: &Path) -> Expected {
    let path = case.join("expected.toml");
    let text = fs::read_to_string(&path).unwrap();
    let doc: toml_edit::DocumentMut = text.parse().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let string = |key: &str| doc.get(key).map(|v| v.as_str().unwrap_or_else(|| panic!("{key} is a string")).to_owned());
    let findings = doc.get("findings").map(|item| {
        item.as_array()
            .expect("findings is an array")
            .iter()
            .map(|triple| {
                let triple = triple.as_array().expect("a finding is [port, kind, verdict]");
                let parts: Vec<String> = triple.iter().map(|v| v.as_str().unwrap().to_owned()).collect();
                [parts[0].clone(), parts[1].clone(), parts[2].clone()]
            })
            .collect()
    });
    Expected {
        required: string("required"),
        findings,
        accepted: doc.get("accepted").is_none_or(|v| v.as_bool().expect("accepted is a boolean")),
        status: string("status"),
        next_version: string("next_version"),
        counterexample_contains: string("counterexample_contains"),
        message_contains: string("message_contains"),
        error_contains: string("error_contains"),
    }
}

/// Checks one case's JSON report; returns what is wrong.
fn check_case(name: &str, dir: &Path) -> Vec<String> {
    let home = TempDir::new().unwrap();
    let want = expected(dir);
    let mut problems = Vec::new();
    let mut fail = |what: String| problems.push(format!("{name}: {what}"));

    let run = torc(dir, home.path(), &["diff", "old", "new", "--format", "json"]);
    if let Some(fragment) = &want.error_contains {
        if run.code != 2 {
            fail(format!("expected exit 2 (bad input), got {}:\n{}{}", run.code, run.stdout, run.stderr));
        }
        if !run.stderr.contains(fragment.as_str()) {
            fail(format!("stderr lacks `{fragment}`:\n{}", run.stderr));
        }
        return problems;
    }
    let want_code = if want.accepted { 0 } else { 3 };
    if run.code != want_code {
        fail(format!("expected exit {want_code}, got {}:\n{}{}", run.code, run.stdout, run.stderr));
    }
    let json: Value = match serde_json::from_str(&run.stdout) {
        Ok(json) => json,
        Err(e) => {
            fail(format!("stdout is not JSON ({e}):\n{}{}", run.stdout, run.stderr));
            return problems;
        }
    };
    if json["accepted"].as_bool() != Some(want.accepted) {
        fail(format!("accepted is {}, expected {}", json["accepted"], want.accepted));
    }
    let field = |key: &str| json[key].as_str().map(str::to_owned);
    for (key, value) in [("required", &want.required), ("status", &want.status), ("next_version", &want.next_version)] {
        if value.is_some() && &field(key) != value {
            fail(format!("{key} is {}, expected {}", json[key], value.as_deref().unwrap_or_default()));
        }
    }
    let findings = json["findings"].as_array().cloned().unwrap_or_default();
    if let Some(expected_findings) = &want.findings {
        let actual: Vec<[String; 3]> = findings
            .iter()
            .map(|f| {
                [
                    f["port"].as_str().unwrap_or("").to_owned(),
                    f["kind"].as_str().unwrap_or("?").to_owned(),
                    f["verdict"].as_str().unwrap_or("?").to_owned(),
                ]
            })
            .collect();
        if &actual != expected_findings {
            fail(format!("findings are {actual:?}, expected {expected_findings:?}"));
        }
    }
    for f in &findings {
        let breaking_contract = f["kind"] == "contract" && f["verdict"] == "breaking";
        if breaking_contract && (f["counterexample"].as_object().is_none() || f["explanation"].as_str().is_none()) {
            fail(format!("a breaking contract change without a counterexample: {f}"));
        }
    }
    if let Some(fragment) = &want.counterexample_contains {
        let sentences: Vec<&str> = findings.iter().filter_map(|f| f["explanation"].as_str()).collect();
        if !sentences.iter().any(|s| s.contains(fragment.as_str())) {
            fail(format!("no counterexample contains `{fragment}`: {sentences:?}"));
        }
    }
    if let Some(fragment) = &want.message_contains {
        let text = torc(dir, home.path(), &["diff", "old", "new"]);
        if !text.stdout.contains(fragment.as_str()) {
            fail(format!("the text report lacks `{fragment}`:\n{}", text.stdout));
        }
    }
    problems
}

#[test]
fn every_fixture_case_gets_its_expected_verdict() {
    let cases = cases();
    assert!(cases.len() >= 30, "the fixture cases are found ({})", cases.len());
    let problems: Vec<String> = cases.iter().flat_map(|(name, dir)| check_case(name, dir)).collect();
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn text_reports_match_their_snapshots() {
    let home = TempDir::new().unwrap();
    for (name, dir) in cases() {
        let run = torc(&dir, home.path(), &["diff", "old", "new"]);
        let mut shown = format!("exit: {}\n", run.code);
        if !run.stdout.is_empty() {
            shown.push_str(&format!("--- stdout\n{}", run.stdout));
        }
        if !run.stderr.is_empty() {
            shown.push_str(&format!("--- stderr\n{}", run.stderr));
        }
        insta::assert_snapshot!(format!("diff__{name}"), shown);
    }
}

/// A fresh `TORC_HOME` and a work directory.
struct Sandbox {
    home: TempDir,
    work: TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox { home: TempDir::new().unwrap(), work: TempDir::new().unwrap() }
    }

    fn torc(&self, args: &[&str]) -> Run {
        torc(self.work.path(), self.home.path(), args)
    }

    /// Writes `pid` at `version` with an output `output` whose contract is
    /// `output_contract`, plus `extra_outputs`, and returns its directory.
    fn package(&self, version: &str, output_contract: &str, extra_outputs: &str) -> PathBuf {
        let dir = self
            .work
            .path()
            .join(format!("pid-{version}-{}", blake3::hash(format!("{output_contract}{extra_outputs}").as_bytes())));
        fs::create_dir_all(&dir).unwrap();
        let text = format!(
            "[module]\nname = \"pid\"\nversion = \"{version}\"\n\n[module.interfaces]\ninputs = [{{ name = \"x\", type = \"Float<32>\", contract = \"in_range(0.0, 1.0)\" }}]\noutputs = [{{ name = \"output\", type = \"Float<32>\", contract = \"{output_contract}\" }}{extra_outputs}]\n\n[module.resource-bounds]\nstack = \"<= 256 bytes\"\neffects = \"pure\"\n"
        );
        fs::write(dir.join("torc.toml"), text).unwrap();
        dir
    }

    fn publish(&self, dir: &Path, extra: &[&str]) -> Run {
        let mut args = vec!["publish", "--manifest-path", dir.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.torc(&args)
    }

    fn published(&self) -> Vec<String> {
        let index = self.home.path().join("registry/index/pid");
        match fs::read_to_string(index) {
            Ok(text) => text
                .lines()
                .map(|line| serde_json::from_str::<Value>(line).unwrap()["version"].as_str().unwrap().to_owned())
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

const BASE: &str = "in_range(0.0, 1.0)";
const WEAKER: &str = "in_range(0.0, 2.0)";
const FLAG: &str = ", { name = \"saturated\", type = \"Bool\" }";

#[test]
fn publish_refuses_a_wrong_bump_and_writes_nothing() {
    let sandbox = Sandbox::new();
    let first = sandbox.publish(&sandbox.package("1.0.0", BASE, ""), &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.stderr.contains("First release"), "{}", first.stderr);

    let blobs = || fs::read_dir(sandbox.home.path().join("registry/blobs")).unwrap().count();
    let before = blobs();
    let run = sandbox.publish(&sandbox.package("1.1.0", WEAKER, ""), &[]);
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("major  output `output`: contract weakened"), "{}", run.stderr);
    assert!(run.stderr.contains("is allowed by 1.1.0 but 1.0.0 guaranteed in_range(0.0, 1.0)"), "{}", run.stderr);
    assert!(
        run.stderr.contains("Required: major (next version 2.0.0); 1.1.0 is a minor bump: refused."),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("error: refused by the semver gate"), "{}", run.stderr);
    assert_eq!(sandbox.published(), ["1.0.0"]);
    assert_eq!(blobs(), before, "no blob written");

    let run = sandbox.publish(&sandbox.package("2.0.0", WEAKER, ""), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("2.0.0 is a major bump: accepted."), "{}", run.stderr);
    assert_eq!(sandbox.published(), ["1.0.0", "2.0.0"]);
}

#[test]
fn publish_accepts_an_over_bump_with_a_note() {
    let sandbox = Sandbox::new();
    assert_eq!(sandbox.publish(&sandbox.package("1.0.0", BASE, ""), &[]).code, 0);
    let run = sandbox.publish(&sandbox.package("2.0.0", BASE, FLAG), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("note: 2.0.0 is more than the changes need: 1.1.0 would do"), "{}", run.stderr);
    assert!(run.stderr.contains("accepted (more than needed)"), "{}", run.stderr);
}

#[test]
fn a_dry_run_writes_nothing_and_says_so() {
    let sandbox = Sandbox::new();
    assert_eq!(sandbox.publish(&sandbox.package("1.0.0", BASE, ""), &[]).code, 0);

    let good = sandbox.package("1.1.0", BASE, FLAG);
    let run = sandbox.publish(&good, &["--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("minor  output `saturated`: added"), "{}", run.stdout);
    assert!(run.stdout.contains("dry run: nothing published"), "{}", run.stdout);
    assert_eq!(sandbox.published(), ["1.0.0"]);

    let bad = sandbox.package("1.0.1", BASE, FLAG);
    let run = sandbox.publish(&bad, &["--dry-run", "--format", "json"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!((json["accepted"].as_bool(), json["required"].as_str()), (Some(false), Some("minor")));
    assert_eq!(json["next_version"], "1.1.0");
    assert!(run.stderr.contains("dry run: nothing published"), "{}", run.stderr);
    assert_eq!(sandbox.published(), ["1.0.0"]);
}

#[test]
fn a_backport_is_compared_with_its_own_line() {
    let sandbox = Sandbox::new();
    assert_eq!(sandbox.publish(&sandbox.package("1.4.0", BASE, ""), &[]).code, 0);
    assert_eq!(sandbox.publish(&sandbox.package("2.0.0", WEAKER, ""), &[]).code, 0);
    // Compared with 2.0.0, the old contract would be a strengthening (a
    // minor change); compared with 1.4.0 it is identical: a patch.
    let run = sandbox.publish(&sandbox.package("1.4.1", BASE, ""), &["--dry-run"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("Comparing pid 1.4.0 -> 1.4.1"), "{}", run.stdout);
    // A breaking backport is refused against 1.4.0.
    let run = sandbox.publish(&sandbox.package("1.4.1", WEAKER, ""), &[]);
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("Comparing pid 1.4.0 -> 1.4.1"), "{}", run.stderr);
    assert_eq!(sandbox.published(), ["1.4.0", "2.0.0"]);
}

#[test]
fn yanked_versions_are_a_baseline_and_prereleases_are_not() {
    let sandbox = Sandbox::new();
    assert_eq!(sandbox.publish(&sandbox.package("1.0.0", BASE, ""), &[]).code, 0);
    assert_eq!(sandbox.publish(&sandbox.package("1.1.0", BASE, FLAG), &[]).code, 0);
    assert_eq!(sandbox.publish(&sandbox.package("2.0.0-rc.1", WEAKER, FLAG), &[]).code, 0);
    assert_eq!(sandbox.torc(&["yank", "pid@1.1.0"]).code, 0);
    // A yank hides 1.1.0 from new resolution; its promises still hold.
    let run = sandbox.publish(&sandbox.package("1.2.0", BASE, FLAG), &["--dry-run"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("Comparing pid 1.1.0 -> 1.2.0"), "yanked 1.1.0 counts:\n{}", run.stdout);
    let run = sandbox.publish(&sandbox.package("1.2.0", BASE, ""), &["--dry-run"]);
    assert_eq!(run.code, 3, "dropping yanked 1.1.0's output is major:\n{}{}", run.stdout, run.stderr);
    let run = sandbox.publish(&sandbox.package("2.0.0", WEAKER, FLAG), &["--dry-run"]);
    assert!(run.stdout.contains("Comparing pid 1.1.0 -> 2.0.0"), "2.0.0-rc.1 is no baseline:\n{}", run.stdout);
}

#[test]
fn a_first_release_is_accepted_but_its_contracts_are_checked() {
    let sandbox = Sandbox::new();
    let run = sandbox.publish(&sandbox.package("0.1.0", "value > 1.0 && value < 0.0", ""), &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no value satisfies"), "{}", run.stderr);
    assert!(run.stderr.contains("module.interfaces.outputs[0].contract"), "{}", run.stderr);
    assert!(sandbox.published().is_empty());

    let run = sandbox.publish(&sandbox.package("0.1.0", BASE, ""), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(sandbox.published(), ["0.1.0"]);
}

#[test]
fn the_same_version_is_refused() {
    let sandbox = Sandbox::new();
    assert_eq!(sandbox.publish(&sandbox.package("1.0.0", BASE, ""), &[]).code, 0);
    let run = sandbox.publish(&sandbox.package("1.0.0", BASE, FLAG), &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("already published"), "{}", run.stderr);
    let run = sandbox.publish(&sandbox.package("1.0.0", BASE, FLAG), &["--dry-run"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
}

#[test]
fn bump_says_which_version_comes_next() {
    let sandbox = Sandbox::new();
    let first = sandbox.package("1.0.3", BASE, "");
    let run = sandbox.torc(&["bump", "--manifest-path", first.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("first release"), "{}", run.stdout);
    assert_eq!(sandbox.publish(&first, &[]).code, 0);

    // The package as edited after publishing 1.0.3: still says 1.0.3.
    let edited = sandbox.package("1.0.3", BASE, FLAG);
    let run = sandbox.torc(&["bump", "--manifest-path", edited.to_str().unwrap()]);
    assert_eq!(run.code, 3, "too low: exits as the publish would:\n{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("Comparing pid 1.0.3 -> 1.0.3"), "{}", run.stdout);
    assert!(run.stdout.contains("minor  output `saturated`: added"), "{}", run.stdout);
    assert!(run.stdout.contains("next version: 1.1.0"), "{}", run.stdout);
    assert!(run.stdout.contains("is too low: set version = \"1.1.0\""), "{}", run.stdout);

    let ready = sandbox.package("1.1.0", BASE, FLAG);
    let run = sandbox.torc(&["bump", "--manifest-path", ready.to_str().unwrap(), "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["baseline"], "1.0.3");
    assert_eq!(json["next_version"], "1.1.0");
    assert_eq!(json["accepted"], true);
}

#[test]
fn diff_reads_published_releases_by_name() {
    let sandbox = Sandbox::new();
    let old = sandbox.package("1.0.0", BASE, "");
    assert_eq!(sandbox.publish(&old, &[]).code, 0);
    let new = sandbox.package("1.1.0", WEAKER, "");
    let run = sandbox.torc(&["diff", "pid@1.0.0", new.to_str().unwrap()]);
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("Comparing pid 1.0.0 -> 1.1.0"), "{}", run.stdout);
    assert!(run.stdout.contains("refused"), "{}", run.stdout);

    let run = sandbox.torc(&["diff", "pid@9.9.9", new.to_str().unwrap()]);
    assert_eq!(run.code, 3, "an unknown version: {}", run.stderr);
    assert!(run.stderr.contains("no version 9.9.9"), "{}", run.stderr);
    let run = sandbox.torc(&["diff", "no/such/path", new.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

/// Every consecutive pair of the motor-controller example's releases is
/// semver-correct, so publishing them in sorted order goes through the gate.
#[test]
fn the_motor_controller_example_publishes_through_the_gate() {
    let sandbox = Sandbox::new();
    let packages = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/motor-controller/packages");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&packages).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    for dir in dirs {
        let run = sandbox.publish(&dir, &[]);
        assert_eq!(run.code, 0, "{}:\n{}{}", dir.display(), run.stdout, run.stderr);
    }
}

/// An output contract stronger than BASE: a minor change after BASE, and
/// BASE after it a major one.
const NARROWER: &str = "in_range(0.0, 0.5)";

#[test]
fn a_middle_release_must_be_a_correct_step_below_the_next_higher_one() {
    let sandbox = Sandbox::new();
    assert_eq!(sandbox.publish(&sandbox.package("1.0.0", BASE, ""), &[]).code, 0);
    assert_eq!(sandbox.publish(&sandbox.package("1.2.0", BASE, ""), &[]).code, 0);

    // 1.0.0 -> 1.1.0 narrows the output (minor: fine), but 1.1.0 -> 1.2.0
    // would then widen it again, which a minor step may not.
    let narrower = sandbox.package("1.1.0", NARROWER, "");
    let run = sandbox.publish(&narrower, &[]);
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("Comparing pid 1.0.0 -> 1.1.0\n"), "{}", run.stderr);
    assert!(
        run.stderr.contains("Comparing pid 1.1.0 -> 1.2.0 (the next higher release, already published)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("major  output `output`: contract weakened"), "{}", run.stderr);
    assert!(
        run.stderr.contains("Next higher release 1.2.0: the changes from 1.1.0 to it need major, but it is a minor step: refused."),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("error: refused by the semver gate: pid 1.1.0 conflicts with the next higher release 1.2.0"),
        "{}",
        run.stderr
    );
    assert_eq!(sandbox.published(), ["1.0.0", "1.2.0"]);
    // The independent check: `torc diff` on the pair says the same.
    let run = sandbox.torc(&["diff", narrower.to_str().unwrap(), "pid@1.2.0"]);
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("Required: major"), "{}", run.stdout);

    let json = sandbox.publish(&narrower, &["--dry-run", "--format", "json"]);
    assert_eq!(json.code, 3, "{}", json.stderr);
    let json: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!((json["status"].as_str(), json["accepted"].as_bool()), (Some("accepted"), Some(false)));
    assert_eq!(json["upper"]["baseline"], "1.1.0");
    assert_eq!(json["upper"]["version"], "1.2.0");
    assert_eq!((json["upper"]["status"].as_str(), json["upper"]["required"].as_str()), (Some("under-bump"), Some("major")));

    // A 1.1.0 compatible with both neighbours goes in.
    let run = sandbox.publish(&sandbox.package("1.1.0", BASE, ""), &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("Next higher release 1.2.0: the changes from 1.1.0 to it need patch, and it is a minor step: compatible."), "{}", run.stderr);
    assert_eq!(sandbox.published(), ["1.0.0", "1.2.0", "1.1.0"]);
}

#[test]
fn identical_neighbours_raise_nothing() {
    let sandbox = Sandbox::new();
    assert_eq!(sandbox.publish(&sandbox.package("1.0.0", BASE, ""), &[]).code, 0);
    assert_eq!(sandbox.publish(&sandbox.package("1.0.2", BASE, ""), &[]).code, 0);
    let run = sandbox.publish(&sandbox.package("1.0.1", BASE, ""), &["--dry-run"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout,
        "Comparing pid 1.0.0 -> 1.0.1\n  no change to ports, contracts, resource bounds or effects\n\
         Required: patch (next version 1.0.1); 1.0.1 is a patch bump: accepted.\n\
         Next higher release 1.0.2: the changes from 1.0.1 to it need patch, and it is a patch step: compatible.\n\
         dry run: nothing published (would be accepted by registry `local`)\n"
    );
    let run = sandbox.publish(&sandbox.package("1.0.1", BASE, ""), &["--dry-run", "--format", "json"]);
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["upper"]["findings"], serde_json::json!([]));
    assert_eq!(json["upper"]["notes"], serde_json::json!([]));
    assert_eq!(json["upper"]["accepted"], true);
}

#[test]
fn a_backport_may_differ_from_the_next_major_release() {
    let sandbox = Sandbox::new();
    assert_eq!(sandbox.publish(&sandbox.package("1.0.0", BASE, ""), &[]).code, 0);
    assert_eq!(sandbox.publish(&sandbox.package("2.0.0", WEAKER, ""), &[]).code, 0);
    // 1.0.1 -> 2.0.0 weakens the output: a major change, and 2.0.0 is a major step.
    let run = sandbox.publish(&sandbox.package("1.0.1", BASE, ""), &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("Next higher release 2.0.0: the changes from 1.0.1 to it need major, and it is a major step: compatible."),
        "{}",
        run.stderr
    );
    // A prerelease is compared with nothing above it.
    let run = sandbox.publish(&sandbox.package("1.0.0-rc.1", NARROWER, ""), &["--dry-run"]);
    assert_eq!(run.code, 0, "nothing owes a prerelease anything:\n{}{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains("Next higher release"), "{}", run.stdout);
    assert_eq!(sandbox.published(), ["1.0.0", "2.0.0", "1.0.1"]);
}

#[test]
fn a_yanked_release_above_still_counts_as_the_next_higher_one() {
    let sandbox = Sandbox::new();
    for version in ["1.0.0", "1.2.0", "1.3.0"] {
        assert_eq!(sandbox.publish(&sandbox.package(version, BASE, ""), &[]).code, 0);
    }
    assert_eq!(sandbox.torc(&["yank", "pid@1.2.0"]).code, 0);
    // Locks still resolve 1.2.0, so a 1.1.0 below it must keep its step correct.
    let run = sandbox.publish(&sandbox.package("1.1.0", NARROWER, ""), &[]);
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("pid 1.1.0 conflicts with the next higher release 1.2.0"), "{}", run.stderr);
    // In the gap above the yanked release: 1.2.0 below, 1.3.0 above.
    let run = sandbox.publish(&sandbox.package("1.2.1", NARROWER, ""), &[]);
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("Comparing pid 1.2.0 -> 1.2.1"), "{}", run.stderr);
    let run = sandbox.publish(&sandbox.package("1.2.1", BASE, ""), &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("Next higher release 1.3.0"), "{}", run.stderr);
    assert_eq!(sandbox.published(), ["1.0.0", "1.2.0", "1.3.0", "1.2.1"]);
}
