//! Resolve every version of every crate of a crates.io index subset, with
//! Torc, pubgrub and resolvo, on the same model.
//!
//! ```text
//! cargo bench --bench crates_each_version                      # default corpus
//! cargo bench --bench crates_each_version -- path/to/x.tar.xz  # another corpus
//! TORC_CORPORA=/data/corpora cargo bench --bench crates_each_version
//! ```
//!
//! The corpus is the first non-flag argument that names an existing file or
//! ends in `.tar.xz`; else `$TORC_CORPORA/crates-io-sparse-subset.tar.xz`;
//! else `../shared/corpora/crates-io-sparse-subset.tar.xz` next to the
//! workspace. Without a corpus the bench says so and exits successfully.
//! When the corpus is given on the command line, criterion's own flags are
//! not read (criterion would take the path for a benchmark filter); use
//! `TORC_CORPORA` to combine a corpus with criterion flags.
//!
//! The corpus is imported once by `torc_corpora::crates_io` (pre-releases and yanked
//! versions left out; see that module for the model). The three solvers then
//! answer "can release `v` of package `p` be built?" for every release:
//!
//! * Torc: one [`Resolver`] for the whole pass, reused across roots (fresh
//!   for each pass, so every pass pays for its own warm-up).
//! * pubgrub 0.4: an `OfflineDependencyProvider` built from the same
//!   [`Index`] (`support/pubgrub_adapter.rs`), with release positions as versions (`u32`) and each
//!   constraint's [`VersionSet`] as a `Ranges<u32>`, so both solvers see
//!   identical version sets. Several dependencies on one package are
//!   intersected, as Torc does. Building the provider is not timed.
//! * resolvo 0.12 (the solver of pixi / rattler): a `DependencyProvider`
//!   over the same [`Index`] (`support/resolvo_adapter.rs`): one name per
//!   package, one solvable per non-yanked release, tried newest first, and
//!   one version set per distinct (package, [`VersionSet`]) over the same
//!   release positions; dependencies on one package are intersected, as on
//!   the pubgrub side. Building that model is not timed; each root then
//!   gets a fresh provider and `Solver` numbering ids locally, as a resolvo
//!   client's pool does (why: see `resolvo_adapter`).
//!
//! First an instrumented pass per solver prints a table (sat / unsat counts,
//! slowest root, roots over 50 ms, and the roots where the solvers disagree
//! on satisfiability), then criterion times whole passes.

use criterion::{black_box, Criterion, SamplingMode};
use pubgrub::PubGrubError;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use torc_corpora::{crates_io, ImportOptions, Stats};
use torc_solver::{
    Index, PackageId, Resolution, ResolveOptions, Resolver, Root, VersionIx,
};

const CORPUS: &str = "crates-io-sparse-subset.tar.xz";
const SLOW: Duration = Duration::from_millis(50);

#[path = "support/pubgrub_adapter.rs"]
mod pubgrub_adapter;
#[path = "support/resolvo_adapter.rs"]
mod resolvo_adapter;

use pubgrub_adapter::{build_provider, Pkg, Provider, NAMES};

// ---------------------------------------------------------------------------
// Passes

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Sat,
    Unsat,
    /// Torc only: a solution whose graph is cyclic (counted as sat when
    /// comparing with pubgrub, which does not check for cycles).
    Cycle,
    /// pubgrub: an error other than "no solution"; resolvo: cancelled.
    Error,
}

impl Verdict {
    fn satisfiable(self) -> Option<bool> {
        match self {
            Verdict::Sat | Verdict::Cycle => Some(true),
            Verdict::Unsat => Some(false),
            Verdict::Error => None,
        }
    }
}

fn torc_one(resolver: &mut Resolver<'_>, root: &Root, options: &ResolveOptions) -> Verdict {
    match resolver.resolve(root, options) {
        Resolution::Solved(_) => Verdict::Sat,
        Resolution::NoSolution(_) => Verdict::Unsat,
        Resolution::Cycle(_) => Verdict::Cycle,
    }
}

fn pubgrub_one(provider: &Provider, package: PackageId, ix: VersionIx) -> Verdict {
    match pubgrub::resolve(provider, Pkg(package.0), ix) {
        Ok(_) => Verdict::Sat,
        Err(PubGrubError::NoSolution(_)) => Verdict::Unsat,
        Err(_) => Verdict::Error,
    }
}

/// Every root through Torc, one resolver for the pass; returns the number
/// of satisfiable roots (so the work cannot be optimised away).
fn torc_pass(index: &Index, roots: &[Root]) -> usize {
    let options = ResolveOptions::default();
    let mut resolver = Resolver::new(index);
    roots
        .iter()
        .filter(|root| torc_one(&mut resolver, root, &options) != Verdict::Unsat)
        .count()
}

fn resolvo_one(model: &resolvo_adapter::Model<'_>, package: PackageId, ix: VersionIx) -> Verdict {
    match model.solve(package, ix) {
        Some(true) => Verdict::Sat,
        Some(false) => Verdict::Unsat,
        None => Verdict::Error,
    }
}

/// Every root through resolvo (a fresh solver per root; see `resolvo_adapter`).
fn resolvo_pass(model: &resolvo_adapter::Model<'_>, roots: &[(PackageId, VersionIx)]) -> usize {
    roots
        .iter()
        .filter(|&&(p, ix)| resolvo_one(model, p, ix) == Verdict::Sat)
        .count()
}

fn pubgrub_pass(provider: &Provider, roots: &[(PackageId, VersionIx)]) -> usize {
    roots
        .iter()
        .filter(|&&(p, ix)| pubgrub_one(provider, p, ix) == Verdict::Sat)
        .count()
}

struct Record {
    verdicts: Vec<Verdict>,
    times: Vec<Duration>,
    total: Duration,
}

impl Record {
    fn count(&self, verdict: Verdict) -> usize {
        self.verdicts.iter().filter(|&&v| v == verdict).count()
    }

    fn slowest(&self) -> Option<(usize, Duration)> {
        self.times
            .iter()
            .copied()
            .enumerate()
            .max_by_key(|&(_, t)| t)
    }

    fn over(&self, limit: Duration) -> usize {
        self.times.iter().filter(|&&t| t > limit).count()
    }
}

fn record(roots: usize, mut one: impl FnMut(usize) -> Verdict) -> Record {
    let mut verdicts = Vec::with_capacity(roots);
    let mut times = Vec::with_capacity(roots);
    let start = Instant::now();
    for i in 0..roots {
        let t = Instant::now();
        verdicts.push(one(i));
        times.push(t.elapsed());
    }
    Record {
        verdicts,
        times,
        total: start.elapsed(),
    }
}

// ---------------------------------------------------------------------------
// Report

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn release_name(index: &Index, (p, ix): (PackageId, VersionIx)) -> String {
    format!("{} {}", index.name(p), index.release(p, ix).label)
}

fn print_table(rows: &[Vec<String>]) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                // First column (and the slowest-root name) left, numbers right.
                if c == 0 || c == 7 {
                    format!("{cell:<w$}", w = widths[c])
                } else {
                    format!("{cell:>w$}", w = widths[c])
                }
            })
            .collect();
        println!("  {}", cells.join("  ").trim_end());
    }
}

fn report(
    index: &Index,
    s: &crates_io::ImportStats,
    import: Duration,
    roots: &[(PackageId, VersionIx)],
    records: &[(&str, &Record)],
    stats: &[String],
) {
    println!();
    println!("crates.io every-version workload");
    println!(
        "  import (xz + JSON + requirement matching, timed separately): {}  \
         {} files, {} lines -> {} crates, {} versions in {} packages, {} dependency edges",
        secs(import),
        s.files,
        s.lines,
        s.crates,
        s.versions,
        s.packages,
        s.dependency_edges
    );
    println!(
        "  left out: {} pre-releases, {} yanked, {} dev and {} optional dependencies; \
         {} edges match nothing, {} of {} requirements span several ranges",
        s.skipped_prereleases,
        s.skipped_yanked,
        s.dropped_dev_dependencies,
        s.dropped_optional_dependencies,
        s.unmatched_dependencies,
        s.multi_range_requirements,
        s.requirements
    );
    println!();
    let mut rows = vec![[
        "solver",
        "roots",
        "sat",
        "unsat",
        "cycle",
        "error",
        "total",
        "slowest root",
        "time",
        "mean",
        ">50 ms",
    ]
    .map(String::from)
    .to_vec()];
    for &(name, r) in records {
        let (slow_name, slow_time) = match r.slowest() {
            Some((i, t)) => (release_name(index, roots[i]), ms(t)),
            None => ("-".to_owned(), "-".to_owned()),
        };
        let mean = r.total / (roots.len().max(1) as u32);
        rows.push(vec![
            name.to_owned(),
            roots.len().to_string(),
            (r.count(Verdict::Sat)).to_string(),
            r.count(Verdict::Unsat).to_string(),
            if name == "torc" {
                r.count(Verdict::Cycle).to_string()
            } else {
                "-".to_owned()
            },
            if name == "torc" {
                "-".to_owned()
            } else {
                r.count(Verdict::Error).to_string()
            },
            secs(r.total),
            slow_name,
            slow_time,
            format!("{:.3} ms", mean.as_secs_f64() * 1e3),
            r.over(SLOW).to_string(),
        ]);
    }
    print_table(&rows);
    for line in stats {
        println!("  {line}");
    }
    println!();

    // Pairwise with the first solver (torc), then all of them at once.
    let (first, first_record) = records[0];
    for &(name, r) in &records[1..] {
        let n = (0..roots.len())
            .filter(|&i| first_record.verdicts[i].satisfiable() != r.verdicts[i].satisfiable())
            .count();
        println!(
            "  sat/unsat disagreements {first} vs {name}: {n} of {}",
            roots.len()
        );
    }
    let disagreements: Vec<usize> = (0..roots.len())
        .filter(|&i| {
            records
                .iter()
                .any(|(_, r)| r.verdicts[i].satisfiable() != first_record.verdicts[i].satisfiable())
        })
        .collect();
    println!(
        "  sat/unsat disagreements, any pair (torc's cycle counted as sat): {} of {}",
        disagreements.len(),
        roots.len()
    );
    if !disagreements.is_empty() {
        let mut header = vec!["root".to_owned()];
        header.extend(records.iter().map(|(name, _)| name.to_string()));
        let mut rows = vec![header];
        for &i in disagreements.iter().take(10) {
            let mut row = vec![release_name(index, roots[i])];
            row.extend(
                records
                    .iter()
                    .map(|(_, r)| format!("{:?}", r.verdicts[i]).to_lowercase()),
            );
            rows.push(row);
        }
        print_table(&rows);
    }
    println!();
}

// ---------------------------------------------------------------------------
// Corpus and main

/// `(path, given on the command line)`, or the places looked at.
fn find_corpus(args: &[String]) -> Result<(PathBuf, bool), Vec<PathBuf>> {
    let from_cli = args
        .iter()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .find(|a| a.ends_with(".tar.xz") || Path::new(a.as_str()).is_file());
    if let Some(arg) = from_cli {
        let path = PathBuf::from(arg);
        return if path.is_file() {
            Ok((path, true))
        } else {
            Err(vec![path])
        };
    }
    let mut tried = Vec::new();
    if let Some(dir) = std::env::var_os("TORC_CORPORA") {
        tried.push(Path::new(&dir).join(CORPUS));
    }
    tried.push(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/corpora")
            .join(CORPUS),
    );
    match tried.iter().find(|p| p.is_file()) {
        Some(path) => Ok((path.clone(), false)),
        None => Err(tried),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (path, from_cli) = match find_corpus(&args) {
        Ok(found) => found,
        Err(tried) => {
            println!("crates_each_version: no crates.io corpus found, skipping the benchmark. Looked at:");
            for path in tried {
                println!("  {}", path.display());
            }
            println!(
                "Pass a path after `--`, or set TORC_CORPORA to the directory holding {CORPUS}."
            );
            return;
        }
    };
    let flag = |f: &str| args.iter().any(|a| a == f);
    // Criterion runs benchmarks only under `cargo bench` (`--bench`); under
    // `cargo test --benches` it runs each once as a test, and so do we.
    let benchmarking = from_cli || (flag("--bench") && !flag("--test") && !flag("--list"));

    println!(
        "crates_each_version: corpus {}",
        path.canonicalize()
            .unwrap_or_else(|_| path.clone())
            .display()
    );
    let options = ImportOptions {
        include_prereleases: false,
        include_yanked: false,
        ..ImportOptions::default()
    };
    let start = Instant::now();
    let crates = match crates_io::read_tar_xz(&path, &options) {
        Ok(crates) => crates,
        Err(err) => {
            eprintln!(
                "crates_each_version: cannot import {}: {err}",
                path.display()
            );
            std::process::exit(1);
        }
    };
    let import = start.elapsed();
    let Stats::Crates(import_stats) = &crates.stats else {
        unreachable!("crates_io::read_tar_xz gives crates.io stats")
    };
    let index = &crates.index;
    let roots: Vec<(PackageId, VersionIx)> = crates.roots.clone();
    let torc_roots: Vec<Root> = roots
        .iter()
        .map(|&(p, ix)| Root::release(index, p, ix))
        .collect();
    let _ = NAMES.set(index.packages().map(|(_, p)| p.name.clone()).collect());
    let provider_start = Instant::now();
    let provider = match build_provider(index) {
        Ok(provider) => provider,
        Err(err) => {
            eprintln!("crates_each_version: {err}");
            std::process::exit(1);
        }
    };
    let provider_time = provider_start.elapsed();
    let model_start = Instant::now();
    let model = match resolvo_adapter::Model::new(index) {
        Ok(model) => model,
        Err(err) => {
            eprintln!("crates_each_version: {err}");
            std::process::exit(1);
        }
    };
    let model_time = model_start.elapsed();

    let (mut torc_time, mut pubgrub_time, mut resolvo_time) = (
        Duration::from_secs(1),
        Duration::from_secs(1),
        Duration::from_secs(1),
    );
    if benchmarking {
        let options = ResolveOptions::default();
        let mut resolver = Resolver::new(index);
        let torc = record(roots.len(), |i| {
            torc_one(&mut resolver, &torc_roots[i], &options)
        });
        let rs = resolver.stats();
        let stats = vec![
            format!(
                "torc resolver: {} requests, {} greedy only, {} SAT searches, {} SAT calls",
                rs.requests, rs.greedy_only, rs.sat_searches, rs.sat_calls
            ),
            format!(
                "pubgrub provider built from the index in {}; resolvo model ({} solvables, {} version sets) in {} \
                 (neither timed above)",
                ms(provider_time),
                model.solvable_count(),
                model.version_set_count(),
                ms(model_time)
            ),
        ];
        drop(resolver);
        let pubgrub = record(roots.len(), |i| {
            pubgrub_one(&provider, roots[i].0, roots[i].1)
        });
        let resolvo = record(roots.len(), |i| resolvo_one(&model, roots[i].0, roots[i].1));
        report(
            index,
            import_stats,
            import,
            &roots,
            &[
                ("torc", &torc),
                ("pubgrub", &pubgrub),
                ("resolvo", &resolvo),
            ],
            &stats,
        );
        (torc_time, pubgrub_time, resolvo_time) = (torc.total, pubgrub.total, resolvo.total);
    }

    let mut criterion = if from_cli {
        Criterion::default()
    } else {
        Criterion::default().configure_from_args()
    };
    {
        let mut group = criterion.benchmark_group("crates_each_version");
        // A pass is long: ten flat samples of at least one pass each, after
        // a short warm-up, with the measurement time sized from the
        // instrumented pass (with room for noise) so criterion need not
        // stretch it.
        let measurement =
            |pass: Duration| (pass * 15).clamp(Duration::from_secs(3), Duration::from_secs(180));
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_millis(500));
        group.measurement_time(measurement(torc_time));
        group.bench_function("torc", |b| {
            b.iter(|| black_box(torc_pass(index, &torc_roots)))
        });
        group.measurement_time(measurement(pubgrub_time));
        group.bench_function("pubgrub", |b| {
            b.iter(|| black_box(pubgrub_pass(&provider, &roots)))
        });
        group.measurement_time(measurement(resolvo_time));
        group.bench_function("resolvo", |b| {
            b.iter(|| black_box(resolvo_pass(&model, &roots)))
        });
        group.finish();
    }
    criterion.final_summary();
}
