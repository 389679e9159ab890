//! Contract comparison in bulk: `compare_port` on 1,000 generated
//! (old, new) interface pairs, sequentially and on rayon pools of one and
//! two threads.
//!
//! ```text
//! cargo bench --bench contract_batch
//! ```
//!
//! The pairs come from a seeded generator (no corpus): ranges
//! `in_range(lo, hi)` with varying bounds over `Float<32>`, `Float<64>` and
//! `Int<32>`, conjunctions with `finite(value)`, comparisons against other
//! ports, on inputs and on outputs, each old contract changed in one way
//! (the same bounds written differently, widened, narrowed, shifted,
//! `finite` added or dropped, a comparison made strict). Every interface
//! goes through `Interface::check`, as a manifest's would.
//!
//! First an instrumented run prints pairs per second for each mode, the
//! speed-up over the sequential pass and the verdict counts (so the bench
//! is seen to do real work: all of Equivalent, Compatible and Breaking),
//! then criterion times whole passes. Under `cargo test --benches` it
//! checks 100 pairs once in each mode instead.

use criterion::{black_box, Criterion, SamplingMode};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use torc_contracts::compat::{compare_port, Verdict};
use torc_contracts::interface::{Interface, InterfaceSpec, PortSpec};
use torc_contracts::prove::Options;

const SEED: u64 = 0x7c0c_c0de_2026;

#[path = "support/rng.rs"]
mod rng;
use rng::Rng;

#[derive(Clone, Copy, PartialEq)]
enum Ty {
    F32,
    F64,
    I32,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::F32 => "Float<32>",
            Ty::F64 => "Float<64>",
            Ty::I32 => "Int<32>",
        }
    }

    fn is_float(self) -> bool {
        self != Ty::I32
    }

    /// A literal: quarter steps for floats (exact in binary), integers for Int<32>.
    fn lit(self, steps: i64) -> String {
        if self.is_float() {
            format!("{:?}", steps as f64 * 0.25)
        } else {
            steps.to_string()
        }
    }
}

/// One pair: the old and new interface and the port whose contract changed.
struct Pair {
    old: Interface,
    new: Interface,
    port: &'static str,
}

fn port(name: &str, ty: Ty, contract: String) -> PortSpec {
    PortSpec { name: name.to_owned(), ty: ty.name().to_owned(), contract, default: None }
}

fn check(inputs: Vec<PortSpec>, outputs: Vec<PortSpec>) -> Interface {
    let spec = InterfaceSpec { inputs, outputs, ..InterfaceSpec::default() };
    Interface::check(&spec).unwrap_or_else(|errors| {
        panic!(
            "generated interface does not check: {}",
            errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; ")
        )
    })
}

/// A range contract and one change to it.
fn range_change(rng: &mut Rng, ty: Ty) -> (String, String) {
    let lo = rng.below(200) as i64 - 100;
    let hi = lo + 1 + rng.below(200) as i64;
    let d = 1 + rng.below(8) as i64;
    let finite = ty.is_float() && rng.coin();
    let with_finite = |c: String, f: bool| if f { format!("finite(value) && {c}") } else { c };
    let range = |lo: i64, hi: i64| format!("in_range({}, {})", ty.lit(lo), ty.lit(hi));
    let old = with_finite(range(lo, hi), finite);
    let new = match rng.below(7) {
        0 => with_finite(format!("value <= {} && {} <= value", ty.lit(hi), ty.lit(lo)), finite),
        1 => with_finite(range(lo - d, hi), finite),
        2 => with_finite(range(lo, hi + d), finite),
        3 => with_finite(range(lo + d.min(hi - lo), hi), finite),
        4 => with_finite(range(lo + d, hi + d), finite),
        5 if ty.is_float() => with_finite(range(lo, hi), !finite),
        // A strict lower bound: for floats it drops only `lo` itself.
        _ => with_finite(format!("value > {} && value <= {}", ty.lit(lo), ty.lit(hi)), finite),
    };
    (old, new)
}

/// A comparison against another port (`lo`, an input) and one change.
fn comparison_change(rng: &mut Rng, ty: Ty) -> (String, String) {
    let cap = rng.below(100) as i64 + 1;
    let old = format!("value >= lo && value <= {}", ty.lit(cap));
    let new = match rng.below(5) {
        0 => format!("lo <= value && {} >= value", ty.lit(cap)),
        1 => format!("value > lo && value <= {}", ty.lit(cap)),
        2 => format!("value >= lo && value <= {}", ty.lit(cap + 1 + rng.below(4) as i64)),
        3 => format!("value >= lo && value <= {}", ty.lit(cap - 1 - rng.below(4) as i64)),
        _ => format!("value >= min(lo, {}) && value <= {}", ty.lit(0), ty.lit(cap)),
    };
    (old, new)
}

fn generate(n: usize, seed: u64) -> Vec<Pair> {
    let mut rng = Rng(seed);
    let mut pairs = Vec::with_capacity(n);
    while pairs.len() < n {
        let ty = *rng.pick(&[Ty::F32, Ty::F64, Ty::I32]);
        let lo_contract =
            if ty.is_float() { "finite(value) && value <= 0.0".to_owned() } else { "value <= 0".to_owned() };
        let other = || port("x", ty, format!("in_range({}, {})", ty.lit(-40), ty.lit(40)));
        let lo = || port("lo", ty, lo_contract.clone());
        let pair = match rng.below(4) {
            // An input range.
            0 => {
                let (old, new) = range_change(&mut rng, ty);
                Pair {
                    old: check(vec![other(), port("v", ty, old)], vec![]),
                    new: check(vec![other(), port("v", ty, new)], vec![]),
                    port: "v",
                }
            }
            // An output range.
            1 => {
                let (old, new) = range_change(&mut rng, ty);
                Pair {
                    old: check(vec![other()], vec![port("y", ty, old)]),
                    new: check(vec![other()], vec![port("y", ty, new)]),
                    port: "y",
                }
            }
            // An input compared with another input.
            2 => {
                let (old, new) = comparison_change(&mut rng, ty);
                Pair {
                    old: check(vec![lo(), port("v", ty, old)], vec![]),
                    new: check(vec![lo(), port("v", ty, new)], vec![]),
                    port: "v",
                }
            }
            // An output compared with an input.
            _ => {
                let (old, new) = comparison_change(&mut rng, ty);
                Pair {
                    old: check(vec![lo()], vec![port("y", ty, old)]),
                    new: check(vec![lo()], vec![port("y", ty, new)]),
                    port: "y",
                }
            }
        };
        pairs.push(pair);
    }
    pairs
}

fn verdict(pair: &Pair, options: &Options) -> Verdict {
    compare_port(&pair.old, &pair.new, pair.port, options)
}

fn sequential(pairs: &[Pair], options: &Options) -> Vec<Verdict> {
    pairs.iter().map(|p| verdict(p, options)).collect()
}

fn parallel(pool: &rayon::ThreadPool, pairs: &[Pair], options: &Options) -> Vec<Verdict> {
    pool.install(|| pairs.par_iter().map(|p| verdict(p, options)).collect())
}

fn kind(v: &Verdict) -> &'static str {
    match v {
        Verdict::Equivalent => "equivalent",
        Verdict::Compatible => "compatible",
        Verdict::Breaking(_) => "breaking",
        Verdict::Unknown(_) => "unknown",
    }
}

fn counts(verdicts: &[Verdict]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for v in verdicts {
        *counts.entry(kind(v)).or_default() += 1;
    }
    counts.iter().map(|(k, n)| format!("{n} {k}")).collect::<Vec<_>>().join(", ")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |f: &str| args.iter().any(|a| a == f);
    // Criterion runs benchmarks only under `cargo bench` (`--bench`); under
    // `cargo test --benches` it runs each once as a test.
    let benchmarking = flag("--bench") && !flag("--test") && !flag("--list");
    let n = if benchmarking { 1_000 } else { 100 };

    let start = Instant::now();
    let pairs = generate(n, SEED);
    println!("contract_batch: {n} pairs generated and checked in {:.0} ms", start.elapsed().as_secs_f64() * 1e3);
    let options = Options::default();
    let pools: Vec<(usize, rayon::ThreadPool)> = [1, 2]
        .into_iter()
        .map(|threads| (threads, rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap()))
        .collect();

    // The instrumented run: every mode must give the same verdicts.
    let start = Instant::now();
    let reference = sequential(&pairs, &options);
    let sequential_time = start.elapsed();
    let rate = |t: Duration| n as f64 / t.as_secs_f64();
    println!("contract_batch: verdicts: {}", counts(&reference));
    for (v, pair) in reference.iter().zip(&pairs) {
        if let Verdict::Unknown(reason) = v {
            println!("  unknown for port `{}`: {reason}", pair.port);
        }
    }
    println!(
        "contract_batch: sequential      {:>8.0} pairs/s ({:.1} ms per pair)",
        rate(sequential_time),
        sequential_time.as_secs_f64() * 1e3 / n as f64
    );
    for (threads, pool) in &pools {
        let start = Instant::now();
        let verdicts = parallel(pool, &pairs, &options);
        let time = start.elapsed();
        let same = verdicts.iter().zip(&reference).all(|(a, b)| kind(a) == kind(b));
        assert!(same, "rayon with {threads} thread(s) disagrees with the sequential pass");
        println!(
            "contract_batch: rayon, {threads} thread{} {:>8.0} pairs/s (speed-up {:.2}x over sequential)",
            if *threads == 1 { " " } else { "s" },
            rate(time),
            sequential_time.as_secs_f64() / time.as_secs_f64()
        );
    }

    let mut criterion = Criterion::default().configure_from_args();
    {
        let mut group = criterion.benchmark_group("contract_batch");
        let measurement = (sequential_time * 12).clamp(Duration::from_secs(3), Duration::from_secs(120));
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(measurement);
        group.bench_function("sequential", |b| b.iter(|| black_box(sequential(&pairs, &options))));
        for (threads, pool) in &pools {
            let name = format!("rayon_{threads}_thread{}", if *threads == 1 { "" } else { "s" });
            group.bench_function(name, |b| b.iter(|| black_box(parallel(pool, &pairs, &options))));
        }
        group.finish();
    }
    criterion.final_summary();
}
