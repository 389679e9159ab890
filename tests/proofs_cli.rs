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
