//! The lemma index against its oracle (a linear scan with `term::matches`),
//! its refusal of damaged archives, ranking, and the term syntax.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use torc_proofs::index::{IndexBuilder, IndexError, LemmaEntry, LemmaIndex};
use torc_proofs::term::{apply, matches, parse, Substitution, Term};

/// Symbols with their arities; `f` appears with two arities on purpose.
const SYMBOLS: &[(&str, usize)] = &[("a", 0), ("b", 0), ("c", 0), ("g", 1), ("f", 1), ("f", 2), ("k", 2), ("t", 3)];

fn term_strategy(vars: u32, var_weight: u32) -> impl Strategy<Value = Term> {
    let constants = prop::sample::select(vec!["a", "b", "c"]).prop_map(Term::constant);
    let leaf = if vars == 0 {
        constants.boxed()
    } else {
        prop_oneof![3 => constants, var_weight => (0..vars).prop_map(Term::Var)].boxed()
    };
    leaf.prop_recursive(4, 24, 3, |inner| {
        (
            prop::sample::select(SYMBOLS.iter().filter(|s| s.1 > 0).copied().collect::<Vec<_>>()),
            prop::collection::vec(inner, 3),
        )
            .prop_map(|((head, arity), mut args)| {
                args.truncate(arity);
                Term::app(head, args)
            })
    })
}

fn lemma_set() -> impl Strategy<Value = Vec<Term>> {
    // Four variables over a handful of positions: non-linear patterns are common.
    prop::collection::vec(term_strategy(4, 3), 0..40)
}

/// Ground goals, goals with (opaque) goal variables, and instances of lemmas.
fn goals(lemmas: Vec<Term>) -> impl Strategy<Value = (Vec<Term>, Vec<Term>)> {
    let n = lemmas.len();
    let instances = prop::collection::vec((0..n.max(1), prop::collection::vec(term_strategy(0, 0), 4)), 0..12);
    let free = prop::collection::vec(prop_oneof![term_strategy(0, 0), term_strategy(2, 1)], 0..12);
    (Just(lemmas), instances, free).prop_map(move |(lemmas, instances, mut free)| {
        for (i, args) in instances {
            if let Some(l) = lemmas.get(i) {
                let sigma: Substitution = args.into_iter().enumerate().map(|(v, t)| (v as u32, t)).collect();
                free.push(apply(l, &sigma));
            }
        }
        (lemmas, free)
    })
}

fn entries(conclusions: &[Term]) -> Vec<LemmaEntry> {
    conclusions
        .iter()
        .enumerate()
        .map(|(i, c)| LemmaEntry {
            name: format!("lemma_{i}"),
            library: "test".into(),
            conclusion: c.clone(),
            hypotheses: i % 3,
        })
        .collect()
}

/// Writes, verifies and opens an index in `dir`.
fn build(dir: &Path, entries: &[LemmaEntry]) -> (PathBuf, LemmaIndex) {
    let path = dir.join("lemmas.idx");
    let mut builder = IndexBuilder::new();
    for e in entries {
        builder.add(e.clone());
    }
    let digest = builder.write(&path).unwrap();
    assert_eq!(LemmaIndex::verify(&path, None).unwrap(), digest);
    assert_eq!(LemmaIndex::verify(&path, Some(&digest)).unwrap(), digest);
    let index = LemmaIndex::open(&path).unwrap();
    (path, index)
}

/// The oracle's ranking, from the entries themselves.
fn rank(e: &LemmaEntry, id: u32) -> (std::cmp::Reverse<usize>, usize, usize, u32) {
    let symbols = e.conclusion.preorder().iter().filter(|k| matches!(k, torc_proofs::term::Key::Sym { .. })).count();
    (std::cmp::Reverse(symbols), e.conclusion.vars().len(), e.hypotheses, id)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn query_agrees_with_a_linear_scan((lemmas, goals) in lemma_set().prop_flat_map(goals)) {
        let dir = tempfile::tempdir().unwrap();
        let entries = entries(&lemmas);
        let (_, index) = build(dir.path(), &entries);
        prop_assert_eq!(index.len(), entries.len());
        for (id, e) in entries.iter().enumerate() {
            let view = index.lemma(id as u32);
            prop_assert_eq!(&view.conclusion(), &e.conclusion);
            prop_assert_eq!(view.name(), e.name.as_str());
            prop_assert_eq!(view.hypotheses(), e.hypotheses);
        }
        for goal in &goals {
            let mut expected: Vec<(u32, Substitution)> = entries
                .iter()
                .enumerate()
                .filter_map(|(id, e)| matches(&e.conclusion, goal).map(|s| (id as u32, s)))
                .collect();
            expected.sort_by_key(|(id, _)| rank(&entries[*id as usize], *id));
            let found: Vec<(u32, Substitution)> = index.query(goal).into_iter().map(|m| (m.id, m.substitution)).collect();
            prop_assert_eq!(&found, &expected, "goal {}", goal);
            for (id, sigma) in &found {
                prop_assert_eq!(&apply(&entries[*id as usize].conclusion, sigma), goal);
            }
        }
    }

    #[test]
    fn related_counts_shared_symbols((lemmas, goals) in lemma_set().prop_flat_map(goals)) {
        let dir = tempfile::tempdir().unwrap();
        let entries = entries(&lemmas);
        let (_, index) = build(dir.path(), &entries);
        let symbols = |t: &Term| {
            let mut s = Vec::new();
            t.visit(&mut |t| if let Term::App { head, args } = t { s.push((head.clone(), args.len())) });
            s.sort();
            s.dedup();
            s
        };
        for goal in &goals {
            let gs = symbols(goal);
            let related = index.related(goal, 5);
            prop_assert!(related.len() <= 5);
            prop_assert!(related.windows(2).all(|w| w[0].1 >= w[1].1));
            let mut expected: BTreeMap<u32, usize> = BTreeMap::new();
            for (id, e) in entries.iter().enumerate() {
                let n = symbols(&e.conclusion).iter().filter(|s| gs.contains(s)).count();
                if n > 0 {
                    expected.insert(id as u32, n);
                }
            }
            prop_assert_eq!(related.len(), expected.len().min(5));
            for (id, n) in related {
                prop_assert_eq!(expected.get(&id), Some(&n));
            }
        }
    }

    #[test]
    fn term_text_round_trips(t in term_with_odd_names()) {
        let text = t.to_string();
        prop_assert_eq!(parse(&text).unwrap(), t.clone(), "{}", text);
        prop_assert_eq!(t.normalise_vars().normalise_vars(), t.normalise_vars());
    }

    #[test]
    fn parse_never_panics(text in "[a-z?0-9(), \"\\\\]{0,30}") {
        if let Ok(t) = parse(&text) {
            prop_assert_eq!(parse(&t.to_string()).unwrap(), t);
        }
    }
}

fn term_with_odd_names() -> impl Strategy<Value = Term> {
    let name = "[a-z0-9?\"(), \\\\.é]{0,4}";
    let leaf = prop_oneof![name.prop_map(Term::constant), (0u32..1000).prop_map(Term::Var)];
    leaf.prop_recursive(4, 20, 3, move |inner| {
        (name, prop::collection::vec(inner, 1..4)).prop_map(|(h, args)| Term::app(h, args))
    })
}

fn sample_entries() -> Vec<LemmaEntry> {
    let texts = [
        "in_range(clamp(?0, ?1, ?2), ?1, ?2)",
        "le(min(?0, ?1), ?0)",
        "le(min(?0, ?1), ?1)",
        "le(?0, max(?0, ?1))",
        "ge(abs(?0), 0.0)",
        "eq(abs(neg(?0)), abs(?0))",
        "le(?0, ?0)",
    ];
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| LemmaEntry {
            name: format!("l{i}"),
            library: "arith".into(),
            conclusion: parse(t).unwrap(),
            hypotheses: 1,
        })
        .collect()
}

fn assert_refused(path: &Path, what: &str) {
    assert!(LemmaIndex::verify(path, None).is_err(), "{what}: verify accepted");
    assert!(LemmaIndex::open(path).is_err(), "{what}: open accepted");
}

#[test]
fn truncated_archives_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = build(dir.path(), &sample_entries());
    let bytes = std::fs::read(&path).unwrap();
    let sidecar = std::fs::read(dir.path().join("lemmas.idx.blake3")).unwrap();
    let mut cut = 0;
    while cut < bytes.len() {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        std::fs::write(dir.path().join("lemmas.idx.blake3"), &sidecar).unwrap();
        assert_refused(&path, &format!("truncated at {cut}"));
        // Even with a digest that matches the truncated file, the archive check refuses it.
        let digest = blake3::hash(&bytes[..cut]).to_hex().to_string();
        assert!(LemmaIndex::verify(&path, Some(&digest)).is_err(), "truncated at {cut}, matching digest");
        cut += 97;
    }
}

#[test]
fn flipped_bytes_are_refused_and_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let entries = sample_entries();
    let (path, _) = build(dir.path(), &entries);
    let bytes = std::fs::read(&path).unwrap();
    let sidecar = std::fs::read(dir.path().join("lemmas.idx.blake3")).unwrap();
    let goal = parse("le(min(x, y), x)").unwrap();
    let mut accepted_with_matching_digest = 0;
    for i in 0..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[i] ^= 0x5a;
        std::fs::write(&path, &damaged).unwrap();
        std::fs::write(dir.path().join("lemmas.idx.blake3"), &sidecar).unwrap();
        match LemmaIndex::verify(&path, None) {
            Err(IndexError::DigestMismatch { .. }) => {}
            other => panic!("flipped byte {i}: {other:?}"),
        }
        // `open` needs no digest: the archive and tree checks decide, and
        // whatever they accept must be safe to query.
        let opened = LemmaIndex::open(&path);
        let digest = blake3::hash(&damaged).to_hex().to_string();
        assert_eq!(LemmaIndex::verify(&path, Some(&digest)).is_ok(), opened.is_ok(), "flipped byte {i}");
        if let Ok(index) = opened {
            accepted_with_matching_digest += 1;
            let _ = index.query(&goal);
            let _ = index.related(&goal, 3);
            let _ = index.stats();
            for id in 0..index.len() as u32 {
                let _ = index.lemma(id).conclusion();
            }
        }
    }
    eprintln!("{accepted_with_matching_digest} of {} single-byte flips pass the archive checks", bytes.len());
}

#[test]
fn wrong_digest_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = build(dir.path(), &sample_entries());
    let side = dir.path().join("lemmas.idx.blake3");
    let wrong = blake3::hash(b"something else").to_hex().to_string();
    std::fs::write(&side, format!("{wrong}\n")).unwrap();
    assert!(matches!(LemmaIndex::verify(&path, None), Err(IndexError::DigestMismatch { .. })));
    assert!(LemmaIndex::verify(&path, Some(&wrong)).is_err());
    std::fs::write(&side, "not a digest\n").unwrap();
    assert!(matches!(LemmaIndex::verify(&path, None), Err(IndexError::BadSidecar { .. })));
    std::fs::remove_file(&side).unwrap();
    assert!(matches!(LemmaIndex::verify(&path, None), Err(IndexError::MissingDigest { .. })));
    // The digest is for install-time checks; `open` validates the archive itself.
    assert_eq!(LemmaIndex::open(&path).unwrap().len(), 7);
    // The right digest, given at install time, restores it.
    let digest = blake3::hash(&std::fs::read(&path).unwrap()).to_hex().to_string();
    LemmaIndex::verify(&path, Some(&digest)).unwrap();
    assert_eq!(LemmaIndex::open(&path).unwrap().len(), 7);
}

/// `len` bytes that are not an archive (BLAKE3 in XOF mode, seeded).
fn noise(seed: &str, len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    blake3::Hasher::new().update(seed.as_bytes()).finalize_xof().fill(&mut bytes);
    bytes
}

fn mtime_ns(path: &Path) -> u128 {
    let modified = std::fs::metadata(path).unwrap().modified().unwrap();
    modified.duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

/// A sidecar written by whoever supplied the file, claiming that the file
/// passed a check (the format older Torc trusted without looking).
#[test]
fn a_forged_sidecar_is_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("forged.idx");
    for (i, len) in [0usize, 7, 64, 4096, 65_536].into_iter().enumerate() {
        let bytes = noise(&format!("forged {i}"), len);
        std::fs::write(&path, &bytes).unwrap();
        let digest = blake3::hash(&bytes).to_hex().to_string();
        let sidecar = format!("{digest}\nverified {len} {}\n", mtime_ns(&path));
        std::fs::write(dir.path().join("forged.idx.blake3"), sidecar).unwrap();
        match LemmaIndex::open(&path) {
            Err(IndexError::Invalid { path: p, .. }) => assert_eq!(p, path),
            other => panic!("{len} random bytes: {other:?}"),
        }
        assert!(LemmaIndex::verify(&path, None).is_err(), "{len} random bytes: verify accepted");
    }
}

/// Overwritten in place with the same length and its modification time put
/// back: nothing about the file's metadata says it changed.
#[test]
fn an_overwrite_keeping_length_and_mtime_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (path, index) = build(dir.path(), &sample_entries());
    let len = index.stats().bytes;
    drop(index);
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    std::fs::write(&path, noise("overwrite", len)).unwrap();
    std::fs::File::options().write(true).open(&path).unwrap().set_modified(modified).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), modified);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), len as u64);
    assert!(matches!(LemmaIndex::open(&path), Err(IndexError::Invalid { .. })));
    assert!(LemmaIndex::verify(&path, None).is_err());
}

/// Another process truncates (then rewrites) the file while the index is
/// open: the index keeps answering from what it validated. A memory map of
/// the file would raise SIGBUS here, or change under the reader.
#[test]
fn truncating_the_file_after_open_is_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let entries = sample_entries();
    let (path, index) = build(dir.path(), &entries);
    let goal = parse("le(min(x, y), x)").unwrap();
    let before: Vec<u32> = index.query(&goal).iter().map(|m| m.id).collect();
    assert!(!before.is_empty());
    std::fs::File::options().write(true).open(&path).unwrap().set_len(0).unwrap();
    let after: Vec<u32> = index.query(&goal).iter().map(|m| m.id).collect();
    assert_eq!(after, before);
    for (id, e) in entries.iter().enumerate() {
        assert_eq!(index.lemma(id as u32).conclusion(), e.conclusion);
    }
    std::fs::write(&path, noise("rewritten", 1 << 16)).unwrap();
    assert_eq!(index.stats().lemmas, entries.len());
    assert_eq!(index.query(&goal).len(), before.len());
    // Opened again, the file is what it is now.
    assert!(LemmaIndex::open(&path).is_err());
}

/// Not a regular file: refused at once, not read for ever.
#[cfg(unix)]
#[test]
fn a_device_is_refused() {
    let err = LemmaIndex::open(Path::new("/dev/zero")).unwrap_err();
    assert!(err.to_string().contains("not a regular file"), "{err}");
}

#[test]
fn more_specific_lemmas_come_first() {
    let texts = [
        ("general", "f(?0, ?1)", 0),
        ("diagonal", "f(?0, ?0)", 2),
        ("left_a", "f(a, ?0)", 1),
        ("ground", "f(a, a)", 5),
        ("left_a_again", "f(a, ?3)", 1),
        ("other", "g(?0)", 0),
    ];
    let entries: Vec<LemmaEntry> = texts
        .iter()
        .map(|(n, t, h)| LemmaEntry {
            name: n.to_string(),
            library: "x".into(),
            conclusion: parse(t).unwrap(),
            hypotheses: *h,
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let (_, index) = build(dir.path(), &entries);
    let names: Vec<&str> = index.query(&parse("f(a, a)").unwrap()).iter().map(|m| index.lemma(m.id).name()).collect();
    assert_eq!(names, ["ground", "left_a", "left_a_again", "diagonal", "general"]);
    let m = index.query(&parse("f(b, a)").unwrap());
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].substitution, BTreeMap::from([(0, Term::constant("b")), (1, Term::constant("a"))]));
    // Goal variables are constants: ?5 does not match `a`, but ?0 binds it.
    let names: Vec<&str> = index.query(&parse("f(?5, ?5)").unwrap()).iter().map(|m| index.lemma(m.id).name()).collect();
    assert_eq!(names, ["diagonal", "general"]);
    assert!(index.query(&parse("h(a)").unwrap()).is_empty());
    assert_eq!(index.related(&parse("g(f(b, c))").unwrap(), 10).len(), 6);
}

#[test]
fn empty_index() {
    let dir = tempfile::tempdir().unwrap();
    let (_, index) = build(dir.path(), &[]);
    assert!(index.is_empty());
    assert!(index.query(&parse("f(a)").unwrap()).is_empty());
    assert!(index.related(&parse("f(a)").unwrap(), 3).is_empty());
    assert_eq!(index.stats().lemmas, 0);
}

/// Deterministic pseudo-random lemmas (xorshift), for the open-cost test.
fn random_entries(n: usize) -> Vec<LemmaEntry> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    fn term(next: &mut impl FnMut() -> u64, depth: u32) -> Term {
        let r = next();
        if depth == 0 || (depth < 5 && r.is_multiple_of(4)) {
            return if r.is_multiple_of(5) {
                Term::Var((r >> 8) as u32 % 3)
            } else {
                Term::constant(format!("c{}", (r >> 8) % 50))
            };
        }
        let arity = 1 + (r >> 16) % 3;
        let head = format!("s{}", (r >> 24) % 200);
        Term::app(head, (0..arity).map(|_| term(next, depth - 1)).collect())
    }
    (0..n)
        .map(|i| LemmaEntry {
            name: format!("r{i}"),
            library: "random".into(),
            conclusion: term(&mut next, 5),
            hypotheses: i % 4,
        })
        .collect()
}

/// 100,000 lemmas: opened (validated in full) and queried. Open costs are
/// measured in `benches/lemma_index.rs`, not here.
#[test]
fn opens_and_queries_100k_lemmas() {
    let n = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let entries = random_entries(n);
    let (_, index) = build(dir.path(), &entries);
    assert_eq!(index.len(), n);
    let goal = entries[n / 2].conclusion.clone();
    let ground = apply(&goal, &(0..3).map(|v| (v, Term::constant("c1"))).collect());
    let found = index.query(&ground);
    assert!(found.iter().any(|m| m.id == (n / 2) as u32));
    for m in &found {
        assert_eq!(apply(&entries[m.id as usize].conclusion, &m.substitution), ground);
    }
}
