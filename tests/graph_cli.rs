//! Graph modules end to end: `torc build`, `torc graph show`, and
//! `torc verify` with graph obligations, waivers, declared bounds, SARIF
//! and platform models — the real binary in temporary directories.

use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn torc(home: &Path, cwd: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_torc"))
        .args(args)
        .current_dir(cwd)
        .env("TORC_HOME", home)
        .output()
        .expect("torc runs");
    Run {
        code: output.status.code().expect("exited"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// A module `limiter` 1.0.0: `y = clamp(x, lo, hi)`, with the output
/// contract `contract` and a stack bound `stack`.
fn limiter(dir: &Path, contract: &str, stack: &str, extra: &str) -> PathBuf {
    let package = dir.join("limiter");
    fs::create_dir_all(&package).unwrap();
    fs::write(
        package.join("torc.toml"),
        format!(
            "[module]\nname = \"limiter\"\nversion = \"1.0.0\"\n\n[module.interfaces]\ninputs = [\n    \
             {{ name = \"x\", type = \"Float<32>\", contract = \"finite(value)\" }},\n    \
             {{ name = \"lo\", type = \"Float<32>\", contract = \"finite(value)\" }},\n    \
             {{ name = \"hi\", type = \"Float<32>\", contract = \"finite(value)\" }},\n]\n\
             outputs = [{{ name = \"y\", type = \"Float<32>\", contract = \"{contract}\" }}]\n\n\
             [module.resource-bounds]\nstack = \"{stack}\"\nheap = \"0 bytes\"\neffects = \"pure\"\n{extra}"
        ),
    )
    .unwrap();
    fs::write(package.join("graph.toml"), GRAPH).unwrap();
    package
}

const GRAPH: &str = r#"[[node]]
name = "x"
op = "input"
type = "Float<32>"

[[node]]
name = "lo"
op = "input"
type = "Float<32>"

[[node]]
name = "hi"
op = "input"
type = "Float<32>"

[[node]]
name = "limit"
op = "clamp"
type = "Float<32>"
cost = { stack = 48, heap = 0, wcet = 20 }

[[node]]
name = "y"
op = "output"
type = "Float<32>"

[[edge]]
from = "x"
to = "limit.x"

[[edge]]
from = "lo"
to = "limit.lo"

[[edge]]
from = "hi"
to = "limit.hi"

[[edge]]
from = "limit"
to = "y.value"
"#;

#[test]
fn build_then_show_in_every_format() {
    let home = TempDir::new().unwrap();
    let work = TempDir::new().unwrap();
    let package = limiter(work.path(), "true", "<= 64 bytes", "");
    let run = torc(home.path(), &package, &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let trc = package.join("target/torc/limiter.trc");
    assert!(run.stdout.contains("Built limiter v1.0.0") || run.stderr.contains("Built limiter v1.0.0"));
    let hash = blake3::hash(&fs::read(&trc).unwrap()).to_hex().to_string();

    // Reordering the source does not change the module.
    let mut blocks: Vec<&str> = GRAPH.split("\n\n").collect();
    blocks.reverse();
    fs::write(package.join("graph.toml"), blocks.join("\n\n")).unwrap();
    assert_eq!(torc(home.path(), &package, &["build"]).code, 0);
    assert_eq!(blake3::hash(&fs::read(&trc).unwrap()).to_hex().to_string(), hash);

    let trc = trc.to_str().unwrap();
    let text = torc(home.path(), &package, &["graph", "show", trc]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(text.stdout.contains("limit"), "{}", text.stdout);
    let json = torc(home.path(), &package, &["graph", "show", trc, "--format", "json"]);
    let json: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(json["module"], "limiter");
    assert_eq!(json["nodes"].as_array().unwrap().len(), 5);
    let dot = torc(home.path(), &package, &["graph", "show", trc, "--format", "dot"]);
    assert!(dot.stdout.starts_with("digraph"), "{}", dot.stdout);
}

#[test]
fn hostile_trc_files_are_refused_without_a_crash() {
    let home = TempDir::new().unwrap();
    let work = TempDir::new().unwrap();
    let package = limiter(work.path(), "true", "<= 64 bytes", "");
    assert_eq!(torc(home.path(), &package, &["build"]).code, 0);
    let bytes = fs::read(package.join("target/torc/limiter.trc")).unwrap();
    let bad = work.path().join("bad.trc");
    let mut cases: Vec<Vec<u8>> = (0..bytes.len()).step_by(7).map(|n| bytes[..n].to_vec()).collect();
    cases.push(b"TRC\0\x01\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff".to_vec());
    cases.push(b"not a trc file at all".to_vec());
    for case in cases {
        fs::write(&bad, &case).unwrap();
        let run = torc(home.path(), work.path(), &["graph", "show", bad.to_str().unwrap()]);
        assert_eq!(run.code, 2, "{:?}: {}", case, run.stderr);
        assert!(run.stderr.contains("bad.trc"), "{}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}

#[test]
fn verify_proves_graph_obligations_and_fails_with_a_counterexample() {
    let home = TempDir::new().unwrap();
    let work = TempDir::new().unwrap();
    // Proved: clamp stays within [lo, hi] when lo <= hi ... which the
    // inputs do not promise, so `in_range(lo, hi)` fails (lo > hi).
    let package = limiter(work.path(), "in_range(lo, hi)", "<= 64 bytes", "");
    let run = torc(home.path(), &package, &["verify"]);
    assert_eq!(run.code, 6, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("FAILED"), "{}", run.stdout);
    assert!(run.stdout.contains("counterexample"), "{}", run.stdout);
    assert!(run.stdout.contains("Coverage: 0.0% verified"), "{}", run.stdout);

    // A contract the graph does meet: the output is never NaN.
    let package = limiter(work.path(), "!is_nan(value)", "<= 64 bytes", "");
    let run = torc(home.path(), &package, &["verify", "--format", "json"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["verified"], true);
    assert_eq!(json["coverage"]["percent"], 100.0);
    assert_eq!(json["graphs"]["modules"][0]["obligations"][0]["status"], "proved");
}

#[test]
fn a_waiver_accepts_an_obligation_and_sarif_shows_it_suppressed() {
    let home = TempDir::new().unwrap();
    let work = TempDir::new().unwrap();
    let package = limiter(work.path(), "in_range(lo, hi)", "<= 64 bytes", "");
    let run = torc(home.path(), &package, &["verify", "--format", "json"]);
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    let id = json["graphs"]["modules"][0]["obligations"][0]["id"].as_str().unwrap().to_owned();

    let waiver = format!(
        "\n[[module.waivers]]\nid = \"{id}\"\njustification = \"callers pass lo <= hi (checked by the HAL)\"\napproved-by = \"safety-board\"\n"
    );
    let package = limiter(work.path(), "in_range(lo, hi)", "<= 64 bytes", &waiver);
    let run = torc(home.path(), &package, &["verify"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains(&format!("waived  {id}")), "{}", run.stdout);
    assert!(run.stdout.contains("1 waived"), "{}", run.stdout);

    let run = torc(home.path(), &package, &["verify", "--format", "sarif"]);
    let sarif: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "torc/graph-obligation");
    assert_eq!(result["suppressions"][0]["status"], "accepted");
    assert_eq!(result["locations"][0]["physicalLocation"]["region"]["startLine"], 22);
}

#[test]
fn a_declared_bound_smaller_than_the_graph_needs_names_the_path() {
    let home = TempDir::new().unwrap();
    let work = TempDir::new().unwrap();
    let package = limiter(work.path(), "true", "<= 32 bytes", "");
    let run = torc(home.path(), &package, &["verify"]);
    assert_eq!(run.code, 6, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("limiter declares stack <= 32 bytes but needs 48: limit"), "{}", run.stdout);
}

#[test]
fn the_example_fits_one_platform_and_not_the_other() {
    let home = TempDir::new().unwrap();
    let work = TempDir::new().unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/motor-controller");
    let mut packages: Vec<PathBuf> =
        fs::read_dir(examples.join("packages")).unwrap().map(|e| e.unwrap().path()).collect();
    packages.sort();
    for package in &packages {
        let run = torc(home.path(), work.path(), &["publish", "--manifest-path", package.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let app = work.path().join("motor-controller");
    fs::create_dir_all(&app).unwrap();
    fs::copy(examples.join("motor-controller/torc.toml"), app.join("torc.toml")).unwrap();

    let fits = examples.join("platforms/stm32f407");
    let run = torc(home.path(), &app, &["verify", "--platform", fits.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("All 19") || run.stdout.contains("19 of 19 wires proved"), "{}", run.stdout);
    assert!(run.stdout.contains("stm32f407"), "{}", run.stdout);
    assert!(run.stdout.ends_with("Verified.\n"), "{}", run.stdout);

    let small = examples.join("platforms/atmega328p");
    let run = torc(home.path(), &app, &["verify", "--platform", small.to_str().unwrap(), "--format", "json"]);
    assert_eq!(run.code, 6, "{}{}", run.stdout, run.stderr);
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    let lines = json["platform"]["lines"].as_array().unwrap();
    let stack = lines.iter().find(|l| l["budget"] == "stack").unwrap();
    assert_eq!(stack["verdict"], "exceeds");
    assert!(stack["slack_percent"].as_f64().unwrap() < 0.0);
}
