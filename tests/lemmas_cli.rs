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

/// `len` bytes that are not an archive (BLAKE3 in XOF mode, seeded).
fn noise(seed: &str, len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    blake3::Hasher::new().update(seed.as_bytes()).finalize_xof().fill(&mut bytes);
    bytes
}

/// The sidecar older Torc trusted: the file's digest, and a claim that a
/// file of this length and modification time passed the archive check.
fn forge_sidecar(index: &Path) {
    let bytes = std::fs::read(index).unwrap();
    let mtime = std::fs::metadata(index).unwrap().modified().unwrap();
    let ns = mtime.duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let digest = blake3::hash(&bytes).to_hex();
    let mut side = index.as_os_str().to_owned();
    side.push(".blake3");
    std::fs::write(side, format!("{digest}\nverified {} {ns}\n", bytes.len())).unwrap();
}

/// Refused with exit 2 and a message naming the file, for both readers
/// (a signal would show as code -1).
fn assert_refused(home: &Path, index: &Path) {
    let shown = index.to_str().unwrap();
    for args in [&["lemmas", "search", "wi(a, a)", "--index", shown][..], &["lemmas", "stats", "--index", shown]] {
        let (code, out, err) = torc(home, args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(shown) && err.contains("not a valid lemma index"), "{args:?}: {err}");
    }
}

#[test]
fn a_random_file_with_a_forged_sidecar_is_refused() {
    let home = tempfile::tempdir().unwrap();
    for (i, len) in [4096usize, 100_000].into_iter().enumerate() {
        let index = home.path().join(format!("random-{i}.idx"));
        std::fs::write(&index, noise(&format!("random {i}"), len)).unwrap();
        forge_sidecar(&index);
        assert_refused(home.path(), &index);
    }
}

#[test]
fn an_overwrite_keeping_length_and_mtime_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("proofs/tests/fixtures/mini.mm");
    let index = home.path().join("mini.idx");
    let (code, out, err) = torc(
        home.path(),
        &["lemmas", "import-metamath", fixture.to_str().unwrap(), "--output", index.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err) = torc(home.path(), &["lemmas", "stats", "--index", index.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let meta = std::fs::metadata(&index).unwrap();
    std::fs::write(&index, noise("overwrite", meta.len() as usize)).unwrap();
    std::fs::File::options().write(true).open(&index).unwrap().set_modified(meta.modified().unwrap()).unwrap();
    assert_eq!(std::fs::metadata(&index).unwrap().modified().unwrap(), meta.modified().unwrap());
    assert_refused(home.path(), &index);
}
