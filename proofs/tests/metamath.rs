//! The Metamath importer: the committed `mini.mm` fixture converts to the
//! expected terms, and an index built from imported conclusions answers
//! every query exactly as a linear scan with the same matcher does. On the
//! real set.mm when it is present (`$TORC_CORPORA/set.mm.xz` or
//! `../shared/corpora/set.mm.xz`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use torc_proofs::index::{IndexBuilder, LemmaEntry, LemmaIndex};
use torc_proofs::metamath::{import, parse_goal, MetamathError, MetamathSource};
use torc_proofs::term::{apply, matches, parse, Substitution, Term};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini.mm")
}

fn conclusion<'a>(entries: &'a [LemmaEntry], name: &str) -> &'a LemmaEntry {
    entries.iter().find(|e| e.name == name).unwrap_or_else(|| panic!("{name} not imported"))
}

#[test]
fn mini_mm_converts_every_provable_assertion() {
    let report = import(fixture(), "mini").unwrap();
    assert_eq!(report.skipped, 0, "{:?}", report.examples);
    assert_eq!(report.syntax_axioms, 6);
    assert_eq!((report.theorems, report.axioms), (3, 8));
    let e = &report.entries;
    assert_eq!(conclusion(e, "ax-1").conclusion, parse("wi(?0, wi(?1, ?0))").unwrap());
    assert_eq!(conclusion(e, "ax-2").conclusion, parse("wi(wi(?0, wi(?1, ?2)), wi(wi(?0, ?1), wi(?0, ?2)))").unwrap());
    assert_eq!(conclusion(e, "ax-3").conclusion, parse("wi(wi(wn(?0), wn(?1)), wi(?1, ?0))").unwrap());
    assert_eq!(conclusion(e, "id").conclusion, parse("wi(?0, ?0)").unwrap());
    // Variables are numbered by first occurrence in the conclusion, not by
    // declaration order: a1i is `|- ( ps -> ph )`.
    assert_eq!(conclusion(e, "a1i").conclusion, parse("wi(?0, ?1)").unwrap());
    assert_eq!(conclusion(e, "addlid").conclusion, parse("wceq(caddc(c0, ?0), ?0)").unwrap());
    assert_eq!(conclusion(e, "addcom").conclusion, parse("wceq(caddc(?0, ?1), caddc(?1, ?0))").unwrap());
    // Hypotheses are the essential ($e) ones only.
    assert_eq!(conclusion(e, "ax-mp").hypotheses, 2);
    assert_eq!(conclusion(e, "a1i").hypotheses, 1);
    assert_eq!(conclusion(e, "eqtr").hypotheses, 2);
    assert_eq!(conclusion(e, "id").hypotheses, 0);
    assert!(e.iter().all(|l| l.library == "mini"));
}

#[test]
fn xz_and_plain_bytes_give_the_same_entries() {
    let plain = std::fs::read(fixture()).unwrap();
    let mut xz = Vec::new();
    {
        use std::io::Write;
        let mut enc = xz2::write::XzEncoder::new(&mut xz, 6);
        enc.write_all(&plain).unwrap();
        enc.finish().unwrap();
    }
    let a = import(MetamathSource::Bytes { name: "mini.mm".into(), bytes: plain }, "mini").unwrap();
    let b = import(MetamathSource::Bytes { name: "mini.mm.xz".into(), bytes: xz }, "mini").unwrap();
    assert_eq!(a.entries, b.entries);
}

#[test]
fn bad_input_is_an_error_naming_file_and_statement() {
    let bad = b"$c wff |- $. $v ph $. wph $f wff ph $. ax-1 $a |- ph undeclared $.\n".to_vec();
    let err = import(MetamathSource::Bytes { name: "bad.mm".into(), bytes: bad }, "bad").unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, MetamathError::Database { .. }), "{err:?}");
    assert!(text.contains("bad.mm") && text.contains("ax-1"), "{text}");

    let err = import(MetamathSource::Bytes { name: "broken.xz".into(), bytes: b"\xFD7zXZ\x00garbage".to_vec() }, "x")
        .unwrap_err();
    assert!(err.to_string().contains("broken.xz"), "{err}");
    let err = import(PathBuf::from("/nonexistent/set.mm"), "x").unwrap_err();
    assert!(err.to_string().contains("/nonexistent/set.mm"), "{err}");
    let err = import(MetamathSource::Bytes { name: "bin".into(), bytes: vec![0xff, 0xfe, 0] }, "x").unwrap_err();
    assert!(err.to_string().contains("bin"), "{err}");
    // Arbitrary text never panics.
    for junk in ["", "$(", "$c $.", "${ $}", "$c ( $. x $a ( $.", "$( $j syntax 'wff'; $) $c wff $. $v p $."] {
        let _ = import(MetamathSource::Bytes { name: "junk".into(), bytes: junk.as_bytes().to_vec() }, "x");
    }
}

#[test]
fn goals_parse_in_term_syntax() {
    assert_eq!(parse_goal(" wi(?0, wi(?1, ?0)) ").unwrap(), parse("wi(?0, wi(?1, ?0))").unwrap());
    assert!(parse_goal("wi(?0,").is_err());
}

/// Small subterms to put in place of a conclusion's variables.
fn fillers() -> Vec<Term> {
    ["a", "b", "wn(a)", "wi(a, b)", "caddc(c0, c1)", "cv(x)"].iter().map(|t| parse(t).unwrap()).collect()
}

/// `conclusion` with its variables replaced by fillers, starting at `seed`.
fn instance(conclusion: &Term, seed: usize) -> Term {
    let fillers = fillers();
    let sigma: Substitution = conclusion
        .vars()
        .into_iter()
        .enumerate()
        .map(|(i, v)| (v, fillers[(seed + i) % fillers.len()].clone()))
        .collect();
    apply(conclusion, &sigma)
}

/// What a linear scan with the same matcher answers: (id, substitution).
fn scan(entries: &[LemmaEntry], goal: &Term) -> BTreeSet<(u32, String)> {
    entries
        .iter()
        .enumerate()
        .filter_map(|(id, e)| matches(&e.conclusion, goal).map(|s| (id as u32, format!("{s:?}"))))
        .collect()
}

fn answers(index: &LemmaIndex, goal: &Term) -> BTreeSet<(u32, String)> {
    index.query(goal).into_iter().map(|m| (m.id, format!("{:?}", m.substitution))).collect()
}

fn build(entries: &[LemmaEntry], dir: &Path) -> LemmaIndex {
    let mut builder = IndexBuilder::new();
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(builder.add(e.clone()) as usize, i);
    }
    let path = dir.join("metamath.idx");
    let digest = builder.write(&path).unwrap();
    assert_eq!(LemmaIndex::verify(&path, Some(&digest)).unwrap(), digest);
    LemmaIndex::open(&path).unwrap()
}

/// Queries every conclusion (as is, and instantiated twice) and checks the
/// index against the linear scan; returns the number of queries.
fn check_against_scan(entries: &[LemmaEntry], index: &LemmaIndex, sample: impl Iterator<Item = usize>) -> usize {
    let mut queries = 0;
    for i in sample {
        let c = &entries[i].conclusion;
        for goal in [c.clone(), instance(c, i), instance(c, i + 1)] {
            let found = answers(index, &goal);
            assert_eq!(found, scan(entries, &goal), "goal {goal} (from {})", entries[i].name);
            // A conclusion always generalises its own instances.
            assert!(found.iter().any(|(id, _)| *id as usize == i) || goal.vars().len() != c.vars().len());
            queries += 1;
        }
    }
    queries
}

#[test]
fn mini_index_answers_as_the_linear_scan() {
    let report = import(fixture(), "mini").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let index = build(&report.entries, dir.path());
    assert_eq!(index.len(), report.entries.len());
    let n = check_against_scan(&report.entries, &index, 0..report.entries.len());
    assert_eq!(n, 3 * report.entries.len());

    // `( a -> a )` is an instance of id, of a1i's `( ps -> ph )` and of
    // ax-mp's bare `ph`; id is the most specific.
    let goal = parse("wi(a, a)").unwrap();
    let names: Vec<&str> = index.query(&goal).iter().map(|m| index.lemma(m.id).name()).collect();
    assert_eq!(names.first(), Some(&"id"), "{names:?}");
    assert!(names.contains(&"a1i") && names.contains(&"ax-mp"), "{names:?}");
}

fn corpus() -> Option<PathBuf> {
    let dirs = [
        std::env::var_os("TORC_CORPORA").map(PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora")),
    ];
    dirs.into_iter().flatten().map(|d| d.join("set.mm.xz")).find(|p| p.is_file())
}

#[test]
fn set_mm_index_answers_as_the_linear_scan() {
    let Some(path) = corpus() else {
        println!("skipped: no corpus (set TORC_CORPORA to the directory holding set.mm.xz)");
        return;
    };
    let start = std::time::Instant::now();
    let report = import(&path, "set.mm").unwrap();
    let imported = start.elapsed();
    assert!(report.entries.len() > 10_000, "only {} entries", report.entries.len());
    let dir = tempfile::tempdir().unwrap();
    let index = build(&report.entries, dir.path());
    // Every k-th conclusion, about 1,000 in all, three goals each (3,000
    // queries): 2,000 conclusions took 80 s in debug, mostly the scans.
    let step = (report.entries.len() / 1_000).max(1);
    let n = check_against_scan(&report.entries, &index, (0..report.entries.len()).step_by(step));
    println!(
        "set.mm: {} lemmas ({} skipped) imported in {imported:?}, {} queries checked, {:?} in all",
        report.entries.len(),
        report.skipped,
        n,
        start.elapsed()
    );
}
