//! `torc lemmas`: the real binary, a temporary TORC_HOME, the mini.mm fixture.

use std::path::Path;
use std::process::Command;

fn torc(home: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_torc")).args(args).env("TORC_HOME", home).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn import_search_stats_and_a_corrupted_index() {
    let home = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("proofs/tests/fixtures/mini.mm");
    let (code, out, err) = torc(home.path(), &["lemmas", "import-metamath", fixture.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Imported 11 lemmas") && out.contains("blake3"), "{out}");
    let index = home.path().join("lemmas/metamath.idx");
    assert!(index.is_file());

    let (code, out, err) = torc(home.path(), &["lemmas", "search", "wi(a, a)"]);
    assert_eq!(code, 0, "{out}{err}");
    let first = out.lines().nth(1).unwrap_or_default();
    assert!(first.contains("id (set.mm)") && first.contains("?0 := a"), "{out}");
    assert!(out.contains("query:"), "{out}");

    let (code, out, _) = torc(home.path(), &["lemmas", "search", "wi(?0, wi(?1, ?0))", "--format", "json"]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = doc["lemmas"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["a1i", "ax-1", "ax-mp"], "{names:?}");

    let (code, out, _) = torc(home.path(), &["lemmas", "search", "nothing(here)"]);
    assert_eq!(code, 0);
    // ax-mp's conclusion is a bare `ph`: it generalises every goal.
    assert!(out.contains("1 lemma generalises nothing(here):") && out.contains("ax-mp (set.mm) with {?0 := nothing(here)}"), "{out}");

    let (code, out, _) = torc(home.path(), &["lemmas", "stats", "--format", "json"]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["lemmas"], 11);

    let (code, _, err) = torc(home.path(), &["lemmas", "search", "wi(?0,"]);
    assert_eq!(code, 2, "{err}");

    // A corrupted index is refused, naming the file.
    let mut bytes = std::fs::read(&index).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    bytes.truncate(bytes.len() - 8);
    std::fs::write(&index, bytes).unwrap();
    let (code, _, err) = torc(home.path(), &["lemmas", "stats"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("metamath.idx"), "{err}");

    let (code, _, err) = torc(home.path(), &["lemmas", "stats", "--index", "/nonexistent/x.idx"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/nonexistent/x.idx"), "{err}");
}
