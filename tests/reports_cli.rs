//! The reports as a contract: an insta snapshot of every `--format json`
//! output of the CLI (verify, tree, diff, bump, audit, graph show, lemmas
//! search and stats, solve), with what varies between runs (temporary
//! directories) redacted; and `torc verify --format sarif` checked by
//! Microsoft's SARIF validator (`Sarif.Multitool validate`, with the
//! default rules and with GitHub's) where it is installed.

use insta::assert_json_snapshot;
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

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", self.stdout, self.stderr))
    }
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

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `text` with every temporary directory of this run replaced by a name.
fn redact_dirs(text: &str, dirs: &[(&Path, &str)]) -> String {
    let mut text = text.to_owned();
    for (dir, name) in dirs {
        text = text.replace(&dir.display().to_string(), name);
    }
    text
}

/// A sandbox with the motor-controller example published: (home, work,
/// the app's directory).
fn motor_controller() -> (TempDir, TempDir, PathBuf) {
    let home = TempDir::new().unwrap();
    let work = TempDir::new().unwrap();
    let examples = repo().join("examples/motor-controller");
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
    (home, work, app)
}

/// The `limiter` module of `graph_cli.rs`: `y = clamp(x, lo, hi)` with the
/// output contract `contract`, a stack bound `stack` and `extra` lines.
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
    let graph = fs::read_to_string(repo().join("tests/fixtures/reports/limiter.graph.toml")).unwrap();
    fs::write(package.join("graph.toml"), graph).unwrap();
    package
}

/// Two published modules `sensor` and `pwm`, and an `app` wiring its
/// input `gain` (contract `gain_contract`) through `sensor` into `pwm`.
fn wired(home: &Path, work: &Path, gain_contract: &str) -> PathBuf {
    let module = |name: &str, ports: &str| {
        let dir = work.join(name);
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("torc.toml"),
            format!("[module]\nname = \"{name}\"\nversion = \"1.0.0\"\n\n[module.interfaces]\n{ports}"),
        )
        .unwrap();
        let run = torc(home, work, &["publish", "--manifest-path", dir.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    };
    module(
        "sensor",
        "inputs = [{ name = \"gain\", type = \"Float<32>\", contract = \"finite(value) && in_range(0.0, 2.0)\" }]\n\
         outputs = [{ name = \"reading\", type = \"Float<32>\", contract = \"finite(value) && in_range(0.0, gain)\" }]\n",
    );
    module("pwm", "inputs = [{ name = \"duty\", type = \"Float<32>\", contract = \"in_range(0.0, 1.0)\" }]\n");
    let app = work.join("app");
    fs::create_dir_all(&app).unwrap();
    fs::write(
        app.join("torc.toml"),
        format!(
            "[module]\nname = \"app\"\nversion = \"1.0.0\"\n\n[module.interfaces]\n\
             inputs = [{{ name = \"gain\", type = \"Float<32>\", contract = \"{gain_contract}\" }}]\n\n\
             [[module.connections]]\nfrom = \"gain\"\nto = \"sensor.gain\"\n\n\
             [[module.connections]]\nfrom = \"sensor.reading\"\nto = \"pwm.duty\"\n\n\
             [dependencies]\nsensor = \"^1\"\npwm = \"^1\"\n"
        ),
    )
    .unwrap();
    app
}

// ---------------------------------------------------------------------------
// JSON snapshots

#[test]
fn verify_tree_and_audit_json_of_the_motor_controller() {
    let (home, work, app) = motor_controller();
    let dirs = [(work.path(), "[work]"), (home.path(), "[home]")];
    let stm32 = repo().join("examples/motor-controller/platforms/stm32f407");
    let run = torc(home.path(), &app, &["verify", "--platform", stm32.to_str().unwrap(), "--format", "json"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let json: Value = serde_json::from_str(&redact_dirs(&run.stdout, &dirs)).unwrap();
    assert_json_snapshot!("verify-motor-controller", json);

    let run = torc(home.path(), &app, &["tree", "--format", "json"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let json: Value = serde_json::from_str(&redact_dirs(&run.stdout, &dirs)).unwrap();
    assert_json_snapshot!("tree-motor-controller", json);

    let run = torc(home.path(), &app, &["audit", "--format", "json"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_json_snapshot!("audit-motor-controller", run.json());
}

#[test]
fn verify_json_of_a_failing_wire_and_a_failing_graph_obligation() {
    let home = TempDir::new().unwrap();
    let work = TempDir::new().unwrap();
    let dirs = [(work.path(), "[work]")];
    // A gain up to 2 lets the sensor read 1.5, which pwm does not accept.
    let app = wired(home.path(), work.path(), "finite(value) && in_range(0.0, 2.0)");
    let run = torc(home.path(), &app, &["verify", "--format", "json"]);
    assert_eq!(run.code, 6, "{}{}", run.stdout, run.stderr);
    let json: Value = serde_json::from_str(&redact_dirs(&run.stdout, &dirs)).unwrap();
    // Z3 picks the counterexample's values.
    assert_json_snapshot!("verify-failing-wire", json, {
        ".boundaries[].counterexample.assignments[][1]" => "[value]",
        ".boundaries[1].message" => "[counterexample sentence]",
    });

    let package =
        limiter(work.path(), "in_range(lo, hi)", "<= 32 bytes", "\n[module.safety]\nverification-coverage = 90\n");
    let run = torc(home.path(), &package, &["verify", "--format", "json"]);
    assert_eq!(run.code, 6, "{}{}", run.stdout, run.stderr);
    let json: Value = serde_json::from_str(&redact_dirs(&run.stdout, &dirs)).unwrap();
    assert_json_snapshot!("verify-failing-graph-obligation", json, {
        ".graphs.modules[].obligations[].counterexample.assignments[][1]" => "[value]",
    });

    // The SARIF of the same run, waived: typed, and a contract too.
    let run = torc(home.path(), &package, &["verify", "--format", "sarif"]);
    let json: Value = serde_json::from_str(&redact_dirs(&run.stdout, &dirs)).unwrap();
    assert_json_snapshot!("verify-failing-graph-obligation-sarif", json, {
        ".runs[].results[0].message.text" => "[counterexample sentence]",
        ".runs[].tool.driver.version" => "[version]",
        ".runs[].tool.driver.semanticVersion" => "[version]",
    });
}

#[test]
fn graph_show_json() {
    let home = TempDir::new().unwrap();
    let work = TempDir::new().unwrap();
    let package = limiter(work.path(), "true", "<= 64 bytes", "");
    let run = torc(home.path(), &package, &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let trc = package.join("target/torc/limiter.trc");
    let run = torc(home.path(), &package, &["graph", "show", trc.to_str().unwrap(), "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_json_snapshot!("graph-show-limiter", run.json());
}

#[test]
fn diff_and_bump_json() {
    let home = TempDir::new().unwrap();
    let work = TempDir::new().unwrap();
    let case = repo().join("tests/fixtures/gate/output-added");
    let run = torc(home.path(), &case, &["diff", "old", "new", "--format", "json"]);
    assert_json_snapshot!("diff-output-added", run.json());

    let copy = |from: &str, to: &str| {
        let dir = work.path().join(to);
        fs::create_dir_all(&dir).unwrap();
        fs::copy(case.join(from).join("torc.toml"), dir.join("torc.toml")).unwrap();
        dir
    };
    let old = copy("old", "old");
    let new = copy("new", "new");
    let run = torc(home.path(), work.path(), &["publish", "--manifest-path", old.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = torc(home.path(), work.path(), &["bump", "--manifest-path", new.to_str().unwrap(), "--format", "json"]);
    assert_json_snapshot!("bump-output-added", run.json());
}

#[test]
fn lemmas_search_and_stats_json() {
    let home = TempDir::new().unwrap();
    let fixture = repo().join("proofs/tests/fixtures/mini.mm");
    let run = torc(home.path(), home.path(), &["lemmas", "import-metamath", fixture.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = torc(home.path(), home.path(), &["lemmas", "search", "wi(?0, wi(?1, ?0))", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: Value = serde_json::from_str(&redact_dirs(&run.stdout, &[(home.path(), "[home]")])).unwrap();
    assert_json_snapshot!("lemmas-search", json, { ".query_us" => "[µs]" });
    let run = torc(home.path(), home.path(), &["lemmas", "stats", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: Value = serde_json::from_str(&redact_dirs(&run.stdout, &[(home.path(), "[home]")])).unwrap();
    assert_json_snapshot!("lemmas-stats", json, { ".open_us" => "[µs]" });
}

#[test]
fn solve_json() {
    let home = TempDir::new().unwrap();
    let fixtures = repo().join("tests/fixtures");
    let run =
        torc(home.path(), &fixtures, &["solve", "--index", "basic.json", "--require", "a ^1", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_json_snapshot!("solve-sat", run.json());
    let run = torc(home.path(), &fixtures, &["solve", "--index", "cycle.json", "--require", "a", "--format", "json"]);
    assert_json_snapshot!("solve-cycle", run.json());
}

#[test]
fn solve_corpus_json() {
    let home = TempDir::new().unwrap();
    let fixtures = repo().join("tests/fixtures");
    let timings = |json: Value| {
        let mut json = json;
        for key in ["import_ms", "check_ms", "resolve_ms"] {
            if let Some(ms) = json.get_mut(key) {
                assert!(ms.is_number(), "{key}: {ms}");
                *ms = "[ms]".into();
            }
        }
        json
    };
    let args = ["solve", "--corpus", "debian:debian/small.Packages", "--installability", "--format", "json"];
    let run = torc(home.path(), &fixtures, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_json_snapshot!("solve-corpus-debian-installability", timings(run.json()));
    let run = torc(home.path(), &fixtures, &["solve", "--corpus", "opam:opam", "--each-version", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_json_snapshot!("solve-corpus-opam-each-version", timings(run.json()));
    let run = torc(home.path(), &fixtures, &["solve", "--corpus", "opam:opam", "--require", "a", "--format", "json"]);
    assert_json_snapshot!("solve-corpus-opam-request", run.json());
}

// ---------------------------------------------------------------------------
// SARIF against Microsoft's validator

/// `Sarif.Multitool`: `TORC_SARIF_MULTITOOL`, or `.ci/node` (where `.ci/run`
/// installs it), or on `PATH`. The npm wrapper (`sarif-multitool`) is not
/// used: it passes its arguments through a shell, which splits
/// `Sarif;Gh`.
fn multitool() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("TORC_SARIF_MULTITOOL") {
        return Some(PathBuf::from(path));
    }
    let installed = repo().join(".ci/node/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool");
    if installed.is_file() {
        return Some(installed);
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join("Sarif.Multitool")).find(|p| p.is_file())
}

/// Validates `sarif` with the default rules and with `Sarif;Gh`; returns
/// every error and warning the validator reported.
fn validate(tool: &Path, sarif: &str) -> Vec<String> {
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("torc.sarif");
    fs::write(&input, sarif).unwrap();
    let mut problems = Vec::new();
    for (name, extra) in [("default", &[][..]), ("gh", &["--rule-kind", "Sarif;Gh"][..])] {
        let output = dir.path().join(format!("{name}.sarif"));
        let run = Command::new(tool)
            .arg("validate")
            .arg(&input)
            .args(extra)
            .arg("--output")
            .arg(&output)
            .output()
            .expect("Sarif.Multitool runs");
        assert!(
            run.status.success() && output.is_file(),
            "Sarif.Multitool failed: {}{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
        let log: Value = serde_json::from_str(&fs::read_to_string(&output).unwrap()).unwrap();
        for result in log["runs"][0]["results"].as_array().into_iter().flatten() {
            // SARIF's default level is `warning`.
            let level = result["level"].as_str().unwrap_or("warning");
            if level == "error" || level == "warning" {
                problems.push(format!("{name}: {level} {} {}", result["ruleId"], result["message"]));
            }
        }
    }
    problems
}

#[test]
fn verify_sarif_passes_microsofts_validator() {
    let Some(tool) = multitool() else {
        println!(
            "note: Sarif.Multitool not found (set TORC_SARIF_MULTITOOL, or run .ci/run, which installs \
             @microsoft/sarif-multitool under .ci/node): SARIF validation skipped"
        );
        return;
    };
    let mut logs: Vec<(&str, String)> = Vec::new();

    // Platform budgets exceeded; graph obligations from a published archive.
    let (home, _work, app) = motor_controller();
    let small = repo().join("examples/motor-controller/platforms/atmega328p");
    let run = torc(home.path(), &app, &["verify", "--platform", small.to_str().unwrap(), "--format", "sarif"]);
    assert_eq!(run.code, 6, "{}", run.stderr);
    logs.push(("platform", run.stdout));

    // A failing wire.
    let home = TempDir::new().unwrap();
    let work = TempDir::new().unwrap();
    let app = wired(home.path(), work.path(), "finite(value) && in_range(0.0, 2.0)");
    let run = torc(home.path(), &app, &["verify", "--format", "sarif"]);
    assert_eq!(run.code, 6, "{}", run.stderr);
    logs.push(("wire", run.stdout));

    // A failing graph obligation, a declared bound exceeded, a coverage
    // claim not met; then the obligation waived (a suppression).
    let package =
        limiter(work.path(), "in_range(lo, hi)", "<= 32 bytes", "\n[module.safety]\nverification-coverage = 90\n");
    let run = torc(home.path(), &package, &["verify", "--format", "sarif"]);
    assert_eq!(run.code, 6, "{}", run.stderr);
    logs.push(("graph", run.stdout));
    let sarif: Value = serde_json::from_str(&logs[2].1).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let rules: Vec<&str> = results.iter().map(|r| r["ruleId"].as_str().unwrap()).collect();
    assert_eq!(rules, ["torc/graph-obligation", "torc/declared-bound", "torc/verification-coverage"]);
    let id = results[0]["partialFingerprints"]["torcObligation/v1"].as_str().unwrap();
    let waiver = format!("\n[[module.waivers]]\nid = \"{id}\"\njustification = \"callers pass lo <= hi\"\napproved-by = \"safety-board\"\n");
    let package = limiter(work.path(), "in_range(lo, hi)", "<= 64 bytes", &waiver);
    let run = torc(home.path(), &package, &["verify", "--format", "sarif"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    logs.push(("waived", run.stdout));

    // A proof through an axiom (a note), on a wire.
    let home = TempDir::new().unwrap();
    let work = TempDir::new().unwrap();
    let app = wired_to_an_axiom(home.path(), work.path(), "");
    let run = torc(home.path(), &app, &["verify", "--format", "sarif"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    logs.push(("axiom", run.stdout));

    // A failing obligation inside a published archive: located relative
    // to TORC_REGISTRY, not to the project.
    let limiter = limiter(work.path(), "in_range(lo, hi)", "<= 64 bytes", "");
    let run = torc(home.path(), work.path(), &["publish", "--manifest-path", limiter.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let user = work.path().join("user");
    fs::create_dir_all(&user).unwrap();
    fs::write(
        user.join("torc.toml"),
        "[module]\nname = \"user\"\nversion = \"1.0.0\"\n\n[dependencies]\nlimiter = \"^1\"\n",
    )
    .unwrap();
    let run = torc(home.path(), &user, &["verify", "--format", "sarif"]);
    assert_eq!(run.code, 6, "{}{}", run.stdout, run.stderr);
    let log: Value = serde_json::from_str(&run.stdout).unwrap();
    let artifact = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(
        (artifact["uri"].as_str(), artifact["uriBaseId"].as_str()),
        (Some("local/limiter@1.0.0/graph.toml"), Some("TORC_REGISTRY"))
    );
    logs.push(("archive", run.stdout));

    for (name, sarif) in &logs {
        let log: Value = serde_json::from_str(sarif).unwrap();
        let base = &log["runs"][0]["originalUriBaseIds"]["SRCROOT"]["uri"];
        assert!(base.as_str().is_some_and(|u| u.starts_with("file:///") && u.ends_with('/')), "{name}: {base}");
        for result in log["runs"][0]["results"].as_array().unwrap() {
            let artifact = &result["locations"][0]["physicalLocation"]["artifactLocation"];
            assert!(!artifact["uri"].as_str().unwrap().starts_with('/'), "{name}: {artifact}");
            assert!(artifact["uriBaseId"].is_string(), "{name}: {artifact}");
        }
        let problems = validate(&tool, sarif);
        assert!(problems.is_empty(), "{name}: the validator found\n{}\nin\n{sarif}", problems.join("\n"));
    }
}

// ---------------------------------------------------------------------------
// Wires go through the tree's prover

/// `app` wires its input `gain` (finite) into `pwm.duty`, which requires
/// `abs(value) >= 1.0`: false, but `evil-lemmas`' axiom `zero` "proves" it.
/// `extra` is more manifest text for `app`.
fn wired_to_an_axiom(home: &Path, work: &Path, extra: &str) -> PathBuf {
    let library = work.join("evil-lemmas");
    fs::create_dir_all(library.join("lemmas")).unwrap();
    fs::write(
        library.join("torc.toml"),
        "[proof-library]\nname = \"evil-lemmas\"\nversion = \"1.0.0\"\nlemmas = [\"lemmas/evil.lemma\"]\n",
    )
    .unwrap();
    fs::write(
        library.join("lemmas/evil.lemma"),
        "axiom zero(x: Float<32>) reason \"trust me\"\n  requires finite(x)\n  ensures abs(x) >= 1.0\n",
    )
    .unwrap();
    let pwm = work.join("pwm");
    fs::create_dir_all(&pwm).unwrap();
    fs::write(
        pwm.join("torc.toml"),
        "[module]\nname = \"pwm\"\nversion = \"1.0.0\"\n\n[module.interfaces]\n\
         inputs = [{ name = \"duty\", type = \"Float<32>\", contract = \"abs(value) >= 1.0\" }]\n",
    )
    .unwrap();
    for dir in [&library, &pwm] {
        let run = torc(home, work, &["publish", "--manifest-path", dir.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let app = work.join("app");
    fs::create_dir_all(&app).unwrap();
    fs::write(
        app.join("torc.toml"),
        format!(
            "[module]\nname = \"app\"\nversion = \"1.0.0\"\n\n[module.interfaces]\n\
             inputs = [{{ name = \"gain\", type = \"Float<32>\", contract = \"finite(value)\" }}]\n\n\
             [[module.connections]]\nfrom = \"gain\"\nto = \"pwm.duty\"\n\n{extra}\
             [dependencies]\npwm = \"^1\"\nevil-lemmas = \"^1\"\n"
        ),
    )
    .unwrap();
    app
}

#[test]
fn a_wire_is_proved_through_the_lemma_index_and_the_proof_cache() {
    let home = TempDir::new().unwrap();
    let work = TempDir::new().unwrap();
    let app = wired_to_an_axiom(home.path(), work.path(), "");
    let run = torc(home.path(), &app, &["verify"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("proved  gain -> pwm.duty  by axiom zero (evil-lemmas)"), "{}", run.stdout);
    assert!(run.stdout.contains("1 by axiom"), "{}", run.stdout);
    assert!(
        run.stdout.ends_with("Verified, trusting 1 axiom without a proof: zero (evil-lemmas 1.0.0).\n"),
        "{}",
        run.stdout
    );

    // The second run finds the wire's proof in the cache.
    let run = torc(home.path(), &app, &["verify", "--format", "json"]);
    let json = run.json();
    let wire = &json["boundaries"][0];
    assert_eq!(
        (wire["status"].as_str(), wire["method"].as_str()),
        (Some("proved"), Some("cache (axiom zero (evil-lemmas))"))
    );
    assert_eq!((json["coverage"]["by_axiom"].as_u64(), json["coverage"]["total"].as_u64()), (Some(1), Some(1)));
    assert_eq!(json["axioms"][0]["obligations"][0], "wire:pwm.duty", "{json}");

    // `torc audit` lists the axiom the wire rests on.
    let run = torc(home.path(), &app, &["audit", "--format", "json"]);
    assert_eq!(run.json()["axioms_used"][0]["obligations"][0], "wire:pwm.duty", "{}", run.stdout);
}

#[test]
fn a_wire_only_a_refused_axiom_proves_is_not_verified() {
    let home = TempDir::new().unwrap();
    let work = TempDir::new().unwrap();
    let app = wired_to_an_axiom(home.path(), work.path(), "[trust]\nallow-axioms = false\n\n");
    let run = torc(home.path(), &app, &["verify", "--format", "json"]);
    assert_eq!(run.code, 6, "{}{}", run.stdout, run.stderr);
    let json = run.json();
    let wire = &json["boundaries"][0];
    assert_eq!(wire["status"], "refused", "{json}");
    assert!(wire["message"].as_str().unwrap().contains("proved only by axiom zero (evil-lemmas 1.0.0)"), "{json}");
    assert_eq!((json["coverage"]["refused"].as_u64(), json["verified"].as_bool()), (Some(1), Some(false)));
    let run = torc(home.path(), &app, &["tree"]);
    assert_eq!(run.code, 6, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("Contracts: 1 of 1 boundaries not compatible"), "{}", run.stdout);
}
