//! The lemma index on synthetic lemma sets and on set.mm: opening (read into
//! an aligned buffer, rkyv's checked access and the tree's invariants, so
//! linear in the file's size) and querying 100,000 lemmas, next to a linear
//! scan with the same matcher.
//!
//! Figures (release, 2 shared cores, minimum of 300 runs) on set.mm, 2.2 MB:
//! reading the file 93 µs, rkyv's checked access 186 µs, the tree
//! invariants 450 µs, so `open` about 0.73 ms (criterion's median is higher
//! on a loaded machine). The alternative of checking a recorded BLAKE3
//! over a memory map would cost 258 µs but cannot serve `--index` files,
//! whose supplier is not Torc; the `open` this replaced trusted a sidecar
//! stamp and cost 24 µs.
//!
//! `cargo bench --bench lemma_index`; the query percentiles are printed
//! before criterion's figures.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use torc_proofs::index::{IndexBuilder, LemmaEntry, LemmaIndex};
use torc_proofs::term::{apply, matches, Substitution, Term};

/// Deterministic pseudo-random numbers (xorshift64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// A random term over 200 function symbols (arity 1 to 3) and 50 constants;
/// `vars` > 0 lets leaves be pattern variables `?0..?vars`.
fn random_term(rng: &mut Rng, depth: u32, vars: u32) -> Term {
    let r = rng.next();
    if depth == 0 || (depth < 5 && r.is_multiple_of(4)) {
        return if vars > 0 && r.is_multiple_of(5) {
            Term::Var((r >> 8) as u32 % vars)
        } else {
            Term::constant(format!("c{}", (r >> 8) % 50))
        };
    }
    let arity = 1 + (r >> 16) % 3;
    Term::app(format!("s{}", (r >> 24) % 200), (0..arity).map(|_| random_term(rng, depth - 1, vars)).collect())
}

fn random_entries(n: usize) -> Vec<LemmaEntry> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    (0..n)
        .map(|i| LemmaEntry {
            name: format!("r{i}"),
            library: "random".into(),
            conclusion: random_term(&mut rng, 5, 3),
            hypotheses: i % 4,
        })
        .collect()
}

/// Goals: half are instances of lemmas (so something matches), half random.
fn random_goals(entries: &[LemmaEntry], n: usize) -> Vec<Term> {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    (0..n)
        .map(|i| {
            if i.is_multiple_of(2) {
                let lemma = &entries[rng.next() as usize % entries.len()].conclusion;
                let sigma: Substitution = (0..3).map(|v| (v, random_term(&mut rng, 2, 0))).collect();
                apply(lemma, &sigma)
            } else {
                random_term(&mut rng, 5, 0)
            }
        })
        .collect()
}

fn write_index(dir: &Path, entries: &[LemmaEntry]) -> std::path::PathBuf {
    let path = dir.join(format!("lemmas-{}.idx", entries.len()));
    let mut builder = IndexBuilder::new();
    for e in entries {
        builder.add(e.clone());
    }
    builder.write(&path).expect("write index");
    LemmaIndex::verify(&path, None).expect("verify index");
    path
}

/// `$TORC_CORPORA/set.mm.xz`, else `../shared/corpora/set.mm.xz`, if present.
fn set_mm_corpus() -> Option<PathBuf> {
    let dirs = [
        std::env::var_os("TORC_CORPORA").filter(|d| !d.is_empty()).map(PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora")),
    ];
    dirs.into_iter().flatten().map(|d| d.join("set.mm.xz")).find(|p| p.is_file())
}

/// Opening the set.mm index (14,002 lemmas, 2.2 MB), beside what the
/// alternatives would cost on the same file: reading it into memory, and
/// reading plus BLAKE3 (the price of checking a recorded digest instead).
fn set_mm(c: &mut Criterion, dir: &Path) {
    let Some(corpus) = set_mm_corpus() else {
        eprintln!("lemma_index/set_mm: skipped, no corpus (set TORC_CORPORA to the directory holding set.mm.xz)");
        return;
    };
    let report = torc_proofs::metamath::import(&corpus, "set.mm").expect("import set.mm");
    let path = write_index(dir, &report.entries);
    let mut group = c.benchmark_group("lemma_index/set_mm");
    group.bench_function("open", |b| b.iter(|| black_box(LemmaIndex::open(&path).expect("open")).len()));
    group.bench_function("read", |b| b.iter(|| black_box(std::fs::read(&path).expect("read")).len()));
    group.bench_function("read_blake3", |b| b.iter(|| black_box(blake3::hash(&std::fs::read(&path).expect("read")))));
    group.finish();
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");

    let mut group = c.benchmark_group("lemma_index/open");
    for n in [10usize, 1_000, 100_000] {
        let path = write_index(dir.path(), &random_entries(n));
        group.bench_with_input(BenchmarkId::from_parameter(n), &path, |b, path| {
            b.iter(|| black_box(LemmaIndex::open(path).expect("open")).len())
        });
    }
    group.finish();

    set_mm(c, dir.path());

    let entries = random_entries(100_000);
    let path = write_index(dir.path(), &entries);
    let index = LemmaIndex::open(&path).expect("open");
    let goals = random_goals(&entries, 2_000);

    // Per-goal percentiles, and the agreement with the scan, before criterion.
    let mut times = Vec::with_capacity(goals.len());
    let mut found = 0;
    for goal in &goals {
        let start = Instant::now();
        let m = black_box(index.query(goal));
        times.push(start.elapsed().as_secs_f64() * 1e6);
        found += m.len();
    }
    times.sort_by(f64::total_cmp);
    let mut scan_times = Vec::new();
    for goal in goals.iter().take(200) {
        let start = Instant::now();
        let n = entries.iter().filter(|e| matches(&e.conclusion, goal).is_some()).count();
        scan_times.push(start.elapsed().as_secs_f64() * 1e6);
        assert_eq!(n, index.query(goal).len());
    }
    scan_times.sort_by(f64::total_cmp);
    eprintln!(
        "lemma_index: {:?}\n  query over {} goals: p50 {:.1} us, p99 {:.1} us, {:.1} matches per goal\n  linear scan: p50 {:.0} us, p99 {:.0} us",
        index.stats(),
        goals.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        found as f64 / goals.len() as f64,
        percentile(&scan_times, 0.5),
        percentile(&scan_times, 0.99),
    );

    let mut group = c.benchmark_group("lemma_index/query_100k");
    group.bench_function("index", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % goals.len();
            black_box(index.query(&goals[i])).len()
        })
    });
    group.sample_size(10);
    group.bench_function("linear_scan", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % goals.len();
            entries.iter().filter(|e| matches(&e.conclusion, &goals[i]).is_some()).count()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
