//! Lemma-first proof search through the real binary: a module's graph
//! obligations proved by the lemmas of torc-arithmetic-proofs, the proof
//! cache, and `torc prove --check` re-checking the stored witnesses.

use std::fs;
use std::path::Path;
use std::process::Command;
use tempfile::TempDir;

fn torc(home: &Path, cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_torc"))
        .args(args)
        .current_dir(cwd)
        .env("TORC_HOME", home)
        .output()
        .expect("torc runs");
    (
        output.status.code().expect("exited"),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// `limited = clamp(x, lo, hi)`, promising `in_range(lo, hi)` to callers
/// that pass `lo <= hi`.
fn write_limiter(dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    fs::write(
        dir.join("torc.toml"),
        "[module]\nname = \"limiter\"\nversion = \"1.0.0\"\n\n[module.interfaces]\ninputs = [\n    \
         { name = \"x\", type = \"Float<32>\", contract = \"!is_nan(value)\" },\n    \
         { name = \"lo\", type = \"Float<32>\", contract = \"finite(value)\" },\n    \
         { name = \"hi\", type = \"Float<32>\", contract = \"finite(value) && lo <= value\" },\n]\n\
         outputs = [{ name = \"limited\", type = \"Float<32>\", contract = \"in_range(lo, hi)\" }]\n\n\
         [dependencies]\ntorc-arithmetic-proofs = \"^1\"\n",
    )
    .unwrap();
    let mut graph = String::new();
    for input in ["x", "lo", "hi"] {
        graph.push_str(&format!("[[node]]\nname = \"{input}\"\nop = \"input\"\ntype = \"Float<32>\"\n\n"));
    }
    graph.push_str("[[node]]\nname = \"clamp\"\nop = \"clamp\"\ntype = \"Float<32>\"\ncost = { stack = 16, heap = 0, wcet = 20 }\n\n");
    graph.push_str("[[node]]\nname = \"limited\"\nop = \"output\"\ntype = \"Float<32>\"\n\n");
    for (from, to) in [("x", "clamp.x"), ("lo", "clamp.lo"), ("hi", "clamp.hi"), ("clamp", "limited.value")] {
        graph.push_str(&format!("[[edge]]\nfrom = \"{from}\"\nto = \"{to}\"\n\n"));
    }
    fs::write(dir.join("graph.toml"), graph).unwrap();
}

#[test]
fn obligations_are_proved_by_lemmas_cached_and_rechecked() {
    let home = TempDir::new().unwrap();
    let work = TempDir::new().unwrap();
    let library = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/torc-arithmetic-proofs");
    let (code, _, stderr) = torc(home.path(), work.path(), &["publish", "--manifest-path", library.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let app = work.path().join("limiter");
    write_limiter(&app);

    let (code, stdout, stderr) = torc(home.path(), &app, &["verify"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("by lemma clamp_in_range"), "{stdout}");
    assert!(stdout.contains("(torc-arithmetic-proofs)"), "{stdout}");

    // The second run finds the proof in the cache.
    let (code, stdout, _) = torc(home.path(), &app, &["prove"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("by cache (lemma clamp_in_range"), "{stdout}");

    let (code, stdout, stderr) = torc(home.path(), &app, &["prove", "--check"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("Re-checked 1 stored proofs: 0 failed."), "{stdout}");

    // A witness naming a lemma that does not prove the goal is caught.
    let cache = home.path().join("proofs/cache");
    let stored = fs::read_dir(&cache).unwrap().next().unwrap().unwrap().path();
    let text = fs::read_to_string(&stored).unwrap();
    let at = text.find("\"lemma\": \"").expect("a lemma step") + "\"lemma\": \"".len();
    let end = at + text[at..].find('"').unwrap();
    fs::write(&stored, format!("{}abs_non_negative{}", &text[..at], &text[end..])).unwrap();
    let (code, stdout, _) = torc(home.path(), &app, &["prove", "--check"]);
    assert_eq!(code, 6, "{stdout}");
    assert!(stdout.contains("FAILED"), "{stdout}");
}

#[test]
fn the_motor_controllers_torc_math_obligations_are_proved_by_lemmas() {
    let home = TempDir::new().unwrap();
    let work = TempDir::new().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut packages: Vec<_> =
        fs::read_dir(root.join("examples/motor-controller/packages")).unwrap().map(|e| e.unwrap().path()).collect();
    packages.sort();
    packages.push(root.join("corpora/torc-arithmetic-proofs"));
    for package in &packages {
        let (code, _, stderr) = torc(home.path(), work.path(), &["publish", "--manifest-path", package.to_str().unwrap()]);
        assert_eq!(code, 0, "{}: {stderr}", package.display());
    }
    let app = work.path().join("motor-controller");
    fs::create_dir_all(&app).unwrap();
    fs::copy(root.join("examples/motor-controller/motor-controller/torc.toml"), app.join("torc.toml")).unwrap();
    let (code, _, stderr) = torc(home.path(), &app, &["add", "--proof", "torc-arithmetic-proofs"]);
    assert_eq!(code, 0, "{stderr}");

    let (code, stdout, stderr) = torc(home.path(), &app, &["prove"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let by_lemma: Vec<&str> = stdout.lines().filter(|l| l.contains("proved") && l.contains("by lemma")).collect();
    for port in ["clamped", "product", "sum", "magnitude"] {
        assert!(
            by_lemma.iter().any(|l| l.contains(&format!("output `{port}`"))),
            "torc-math's `{port}` not proved by a lemma:\n{stdout}"
        );
    }
}

// ---------------------------------------------------------------------------
// What a proof rests on: the cache, axioms and empty trees.

/// `magnitude = abs(x)`, promising `value >= 1.0`: false (x = 0.0), so only
/// an axiom saying so "proves" it. `deps` is the `[dependencies]` body,
/// `extra` more manifest text (safety, trust).
fn write_magnitude(dir: &Path, deps: &str, extra: &str) {
    fs::create_dir_all(dir).unwrap();
    fs::write(
        dir.join("torc.toml"),
        format!(
            "[module]\nname = \"magnitude\"\nversion = \"1.0.0\"\n\n[module.interfaces]\n\
             inputs = [{{ name = \"x\", type = \"Float<32>\", contract = \"finite(value)\" }}]\n\
             outputs = [{{ name = \"m\", type = \"Float<32>\", contract = \"value >= 1.0\" }}]\n\n\
             {extra}\n[dependencies]\n{deps}"
        ),
    )
    .unwrap();
    fs::write(
        dir.join("graph.toml"),
        "[[node]]\nname = \"x\"\nop = \"input\"\ntype = \"Float<32>\"\n\n\
         [[node]]\nname = \"abs\"\nop = \"abs\"\ntype = \"Float<32>\"\ncost = { stack = 8, heap = 0, wcet = 4 }\n\n\
         [[node]]\nname = \"m\"\nop = \"output\"\ntype = \"Float<32>\"\n\n\
         [[edge]]\nfrom = \"x\"\nto = \"abs.x\"\n\n[[edge]]\nfrom = \"abs\"\nto = \"m.value\"\n",
    )
    .unwrap();
}

/// A proof library `evil-lemmas` at `version` whose one declaration is
/// `lemma_text`.
fn publish_library(home: &Path, work: &Path, version: &str, lemma_text: &str) {
    let dir = work.join(format!("evil-lemmas-{version}"));
    fs::create_dir_all(dir.join("lemmas")).unwrap();
    fs::write(
        dir.join("torc.toml"),
        format!("[proof-library]\nname = \"evil-lemmas\"\nversion = \"{version}\"\nlemmas = [\"lemmas/evil.lemma\"]\n"),
    )
    .unwrap();
    fs::write(dir.join("lemmas/evil.lemma"), lemma_text).unwrap();
    let (code, stdout, stderr) = torc(home, work, &["publish", "--manifest-path", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}{stderr}");
}

const ZERO: &str = "axiom zero(x: Float<32>) reason \"trust me\"\n  requires finite(x)\n  ensures abs(x) >= 1.0\n";

/// The obligation's line of `torc verify`'s text report.
fn obligation_line(stdout: &str) -> &str {
    stdout.lines().find(|l| l.contains("output `m`")).unwrap_or_else(|| panic!("no obligation line:\n{stdout}"))
}

#[test]
fn a_proof_through_a_library_is_not_reused_by_a_project_without_it() {
    let home = TempDir::new().unwrap();
    let work = TempDir::new().unwrap();
    publish_library(home.path(), work.path(), "1.0.0", ZERO);
    let a = work.path().join("a");
    write_magnitude(&a, "evil-lemmas = \"^1\"\n", "");
    let (code, stdout, stderr) = torc(home.path(), &a, &["verify"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(obligation_line(&stdout).contains("by axiom zero (evil-lemmas)"), "{stdout}");

    // Project B: the same obligation, no library, the same TORC_HOME. It
    // must fail exactly as it does with a fresh TORC_HOME.
    let b = work.path().join("b");
    write_magnitude(&b, "", "");
    let (code, shared, stderr) = torc(home.path(), &b, &["verify"]);
    let fresh_home = TempDir::new().unwrap();
    let (fresh_code, fresh, _) = torc(fresh_home.path(), &b, &["verify"]);
    assert_eq!(fresh_code, 6, "{fresh}");
    assert_eq!(code, 6, "{shared}{stderr}");
    assert!(!shared.contains("cache"), "{shared}");
    assert!(obligation_line(&shared).contains("FAILED"), "{shared}");
    assert_eq!(shared, fresh);
    let (code, stdout, _) = torc(home.path(), &b, &["prove"]);
    assert_eq!(code, 6, "{stdout}");
    assert!(!stdout.contains("by cache"), "{stdout}");
}

#[test]
fn a_changed_or_removed_lemma_is_no_cache_hit_and_fails_the_check() {
    let home = TempDir::new().unwrap();
    let work = TempDir::new().unwrap();
    publish_library(home.path(), work.path(), "1.0.0", ZERO);
    let app = work.path().join("app");
    write_magnitude(&app, "evil-lemmas = \">=1\"\n", "");
    let (code, stdout, stderr) = torc(home.path(), &app, &["verify"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let (code, stdout, _) = torc(home.path(), &app, &["prove"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(obligation_line(&stdout).contains("by cache (axiom zero (evil-lemmas))"), "{stdout}");

    // 2.0.0 keeps the name but narrows the statement: it no longer applies.
    publish_library(
        home.path(),
        work.path(),
        "2.0.0",
        "axiom zero(x: Float<32>) reason \"trust me\"\n  requires x > 1.0e30\n  ensures abs(x) >= 1.0\n",
    );
    let (code, stdout, stderr) = torc(home.path(), &app, &["update"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let (code, stdout, _) = torc(home.path(), &app, &["prove", "--check"]);
    assert_eq!(code, 6, "{stdout}");
    assert!(stdout.contains("axiom zero of evil-lemmas has changed since the proof was stored"), "{stdout}");
    let (code, stdout, stderr) = torc(home.path(), &app, &["verify"]);
    assert_eq!(code, 6, "{stdout}{stderr}");
    assert!(obligation_line(&stdout).contains("FAILED"), "{stdout}");
    assert!(!stdout.contains("cache"), "{stdout}");

    // Back on 1.0.0 the proof is found again; then the library goes.
    write_magnitude(&app, "evil-lemmas = \"1.0.0\"\n", "");
    let (code, stdout, stderr) = torc(home.path(), &app, &["verify"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    write_magnitude(&app, "", "");
    let (code, stdout, _) = torc(home.path(), &app, &["prove", "--check"]);
    assert_eq!(code, 6, "{stdout}");
    assert!(stdout.contains("axiom zero of evil-lemmas is not installed"), "{stdout}");
    let (code, stdout, stderr) = torc(home.path(), &app, &["verify"]);
    assert_eq!(code, 6, "{stdout}{stderr}");
    assert!(obligation_line(&stdout).contains("FAILED"), "{stdout}");
    assert!(!stdout.contains("cache"), "{stdout}");
}

#[test]
fn axioms_are_named_counted_apart_and_refused_where_an_integrity_level_is_claimed() {
    let home = TempDir::new().unwrap();
    let work = TempDir::new().unwrap();
    publish_library(home.path(), work.path(), "1.0.0", ZERO);
    let app = work.path().join("app");
    let deps = "evil-lemmas = \"^1\"\n";

    // No integrity level claimed: axioms allowed by default, and said so.
    write_magnitude(&app, deps, "");
    let (code, stdout, stderr) = torc(home.path(), &app, &["verify"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(obligation_line(&stdout).contains("by axiom zero (evil-lemmas)"), "{stdout}");
    assert!(stdout.contains("(0 of 1 obligations proved, 1 by axiom;"), "{stdout}");
    assert!(stdout.contains("Verified, trusting 1 axiom without a proof: zero (evil-lemmas 1.0.0)."), "{stdout}");
    assert!(!stdout.contains("\nVerified.\n"), "{stdout}");
    let (_, json, _) = torc(home.path(), &app, &["verify", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["coverage"]["by_axiom"], 1, "{json}");
    assert_eq!(json["coverage"]["proved"], 0, "{json}");
    let obligation = &json["graphs"]["modules"][0]["obligations"][0];
    assert_eq!(obligation["status"], "proved", "{json}");
    assert_eq!(obligation["axioms"][0]["name"], "zero", "{json}");
    assert_eq!(json["axioms"][0]["library"], "evil-lemmas", "{json}");
    let (_, sarif, _) = torc(home.path(), &app, &["verify", "--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "torc/axiom-trusted", "{sarif}");
    assert_eq!(result["properties"]["axioms"][0]["name"], "zero", "{sarif}");
    let (code, stdout, stderr) = torc(home.path(), &app, &["audit"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("Axioms the tree's proofs use ([trust] allow-axioms: allowed):\n  axiom zero (evil-lemmas 1.0.0): 1 obligation"), "{stdout}");

    // An integrity level: refused by default, the axiom and the setting named.
    write_magnitude(&app, deps, "[module.safety]\nmax-integrity-level = \"ASIL-B\"\n");
    let (code, stdout, stderr) = torc(home.path(), &app, &["verify"]);
    assert_eq!(code, 6, "{stdout}{stderr}");
    let line = obligation_line(&stdout);
    assert!(line.contains("REFUSED"), "{stdout}");
    assert!(stdout.contains("proved only by axiom zero (evil-lemmas 1.0.0)"), "{stdout}");
    assert!(stdout.contains("[trust] allow-axioms = false (the default for a project that claims max-integrity-level ASIL-B)"), "{stdout}");
    assert!(stdout.contains("0 of 1 obligations proved; 1 refused (axiom)"), "{stdout}");
    let (code, stdout, _) = torc(home.path(), &app, &["audit"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("axiom zero (evil-lemmas 1.0.0): 1 obligation, REFUSED"), "{stdout}");
    let (_, json, _) = torc(home.path(), &app, &["audit", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!((json["allow_axioms"].as_bool(), json["axioms_used"][0]["refused"].as_bool()), (Some(false), Some(true)));
    let (_, json, _) = torc(home.path(), &app, &["verify", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let obligation = &json["graphs"]["modules"][0]["obligations"][0];
    assert_eq!((obligation["status"].as_str(), json["verified"].as_bool()), (Some("refused"), Some(false)), "{json}");
    assert_eq!(json["coverage"]["refused"], 1, "{json}");

    // Explicitly allowed, and explicitly refused without a claim.
    write_magnitude(&app, deps, "[module.safety]\nmax-integrity-level = \"ASIL-B\"\n\n[trust]\nallow-axioms = true\n");
    let (code, stdout, stderr) = torc(home.path(), &app, &["verify"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    write_magnitude(&app, deps, "[trust]\nallow-axioms = false\n");
    let (code, stdout, _) = torc(home.path(), &app, &["verify"]);
    assert_eq!(code, 6, "{stdout}");
    assert!(stdout.contains("and [trust] allow-axioms = false refuses axioms"), "{stdout}");
}

#[test]
fn a_project_with_nothing_to_verify_is_not_verified() {
    let home = TempDir::new().unwrap();
    let work = TempDir::new().unwrap();
    let app = work.path().join("empty");
    fs::create_dir_all(&app).unwrap();
    let manifest = "[module]\nname = \"empty\"\nversion = \"1.0.0\"\n";
    fs::write(app.join("torc.toml"), manifest).unwrap();
    let (code, stdout, stderr) = torc(home.path(), &app, &["verify"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("Coverage: n/a (nothing to verify"), "{stdout}");
    assert!(stdout.ends_with("Nothing to verify.\n"), "{stdout}");
    assert!(!stdout.contains("Verified."), "{stdout}");
    let (_, json, _) = torc(home.path(), &app, &["verify", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["coverage"]["status"], "nothing-to-verify", "{json}");
    assert!(json["coverage"]["percent"].is_null(), "{json}");
    assert_eq!(json["nothing_to_verify"], true, "{json}");

    // A declared coverage cannot be met by an empty set.
    fs::write(app.join("torc.toml"), format!("{manifest}\n[module.safety]\nverification-coverage = 90\n")).unwrap();
    let (code, stdout, _) = torc(home.path(), &app, &["verify"]);
    assert_eq!(code, 6, "{stdout}");
    assert!(stdout.contains("Declared verification-coverage 90%: NOT met: there is nothing to verify"), "{stdout}");
    assert!(stdout.contains("cannot be met by an empty set"), "{stdout}");
    let (_, json, _) = torc(home.path(), &app, &["verify", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!((json["verified"].as_bool(), json["coverage"]["declared_met"].as_bool()), (Some(false), Some(false)));

    // ... nor by a coverage below it.
    let magnitude = work.path().join("magnitude");
    write_magnitude(&magnitude, "", "[module.safety]\nverification-coverage = 50\n");
    let (code, stdout, _) = torc(home.path(), &magnitude, &["verify"]);
    assert_eq!(code, 6, "{stdout}");
    assert!(stdout.contains("Declared verification-coverage 50%: NOT met: 0.0% verified"), "{stdout}");
}

/// A proof library listing `second` beside `lemmas/ok.lemma`, both files
/// on disk, in `dir`.
fn write_library(dir: &Path, second: &str) {
    let lemma = |name: &str| format!("lemma {name}(x: Float<32>) requires !is_nan(x) ensures abs(x) >= 0.0\n");
    for (file, name) in [("lemmas/ok.lemma", "ok"), (second, "second")] {
        let path = dir.join(file);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, lemma(name)).unwrap();
    }
    let manifest = format!(
        "[proof-library]\nname = \"skipped\"\nversion = \"1.0.0\"\nlemmas = [\n  \"lemmas/ok.lemma\",\n  \"{second}\",\n]\n"
    );
    fs::write(dir.join("torc.toml"), manifest).unwrap();
}

/// The archive leaves out hidden paths and a top-level `target/`: a lemma
/// file there would be proved and published, then missing for every user.
#[test]
fn a_lemma_file_the_archive_leaves_out_is_refused_before_publishing() {
    let home = TempDir::new().unwrap();
    let work = TempDir::new().unwrap();
    for second in [".hidden/h.lemma", "target/t.lemma", "lemmas/.h.lemma"] {
        let dir = TempDir::new().unwrap();
        write_library(dir.path(), second);
        let (code, stdout, stderr) =
            torc(home.path(), work.path(), &["publish", "--manifest-path", dir.path().to_str().unwrap()]);
        assert_eq!(code, 2, "{second}: {stdout}{stderr}");
        let at = format!("{}:6:3: proof-library.lemmas[1]", dir.path().join("torc.toml").display());
        assert!(stderr.contains(&at), "{second}: {stderr}");
        assert!(stderr.contains(&format!("`{second}` is not in the package archive")), "{second}: {stderr}");
    }
    // Nothing was published: the same version goes in once the file moves
    // (a nested `target/` is package content, not build output).
    let dir = TempDir::new().unwrap();
    write_library(dir.path(), "lemmas/target/t.lemma");
    let (code, stdout, stderr) =
        torc(home.path(), work.path(), &["publish", "--manifest-path", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stderr.contains("Published skipped v1.0.0"), "{stdout}{stderr}");
}
