//! The contract-aware semver gate on the design's module: torc-pid 1.0.3
//! (examples/motor-controller) against 1.1.0 (a new output, a strengthened
//! output contract: minor) and against a breaking variant of 1.1.0 (the
//! `output` contract weakened: major, with a counterexample from Z3).
//!
//! One gate is everything `torc publish` does between reading the two
//! manifests and writing: checking both interfaces, the satisfiability of
//! the new contracts, every port comparison (Z3 included), bounds, effects
//! and the verdict. No I/O is timed. Goal: under 50 ms median per gate.
//!
//! ```sh
//! cargo bench --bench gate
//! ```
//!
//! Before criterion's own estimates, the bench prints the median of a
//! plain timed loop per case, and whether it meets the goal.

use criterion::{black_box, Criterion};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use torc_engine::gate::{self, Bump};
use torc_engine::manifest::{self, parse_torc_toml};
use torc_engine::package::Manifest;

const GOAL: Duration = Duration::from_millis(50);

fn example(release: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/motor-controller/packages").join(release).join("torc.toml")
}

fn read(release: &str) -> Manifest {
    manifest::read(&example(release)).unwrap_or_else(|e| panic!("{release}: {e}"))
}

/// torc-pid 1.1.0 with the `output` contract weakened from
/// `in_range(config.out_min, config.out_max)` to `finite(value)`.
fn breaking_variant() -> Manifest {
    let path = example("torc-pid-1.1.0");
    let text = std::fs::read_to_string(&path).expect("torc-pid 1.1.0 is in the example");
    let needle = r#"{ name = "output", type = "Float<32>", contract = "in_range(config.out_min, config.out_max)" }"#;
    assert!(text.contains(needle), "torc-pid 1.1.0's output port is as the bench expects");
    let changed = text.replace(needle, r#"{ name = "output", type = "Float<32>", contract = "finite(value)" }"#);
    parse_torc_toml(&path, &changed).expect("the breaking variant parses")
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |f: &str| args.iter().any(|a| a == f);
    // Under `cargo test --benches` criterion runs each benchmark once.
    let benchmarking = flag("--bench") && !flag("--test") && !flag("--list");

    let options = gate::Options::default();
    let old = read("torc-pid-1.0.3");
    let cases = [
        ("torc-pid 1.0.3 -> 1.1.0", read("torc-pid-1.1.0"), Bump::Minor),
        ("torc-pid 1.0.3 -> 1.1.0 (output weakened)", breaking_variant(), Bump::Major),
    ];
    for (name, new, expected) in &cases {
        let report = gate::compare(&old, new, &options).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(report.required, *expected, "{name}:\n{}", gate::report::render_text(&report));
        if benchmarking {
            let runs = 31;
            let samples: Vec<Duration> = (0..runs)
                .map(|_| {
                    let start = Instant::now();
                    black_box(gate::compare(&old, new, &options).unwrap());
                    start.elapsed()
                })
                .collect();
            let m = median(samples);
            let part = |f: &dyn Fn()| {
                median(
                    (0..runs)
                        .map(|_| {
                            let start = Instant::now();
                            f();
                            start.elapsed()
                        })
                        .collect(),
                )
            };
            let check_old = part(&|| {
                black_box(gate::interface::check(&old).unwrap());
            });
            let check_new = part(&|| {
                black_box(gate::check(new, &options).unwrap());
            });
            println!(
                "gate: {name}: of which interface check (old) {:.2} ms, check with satisfiability (new) {:.2} ms",
                check_old.as_secs_f64() * 1e3,
                check_new.as_secs_f64() * 1e3
            );
            let verdict = if m < GOAL { "meets" } else { "MISSES" };
            println!(
                "gate: {name}: median {:.2} ms over {runs} runs ({verdict} the {} ms goal); required {}",
                m.as_secs_f64() * 1e3,
                GOAL.as_millis(),
                report.required
            );
        }
    }

    let mut criterion = Criterion::default().configure_from_args();
    {
        let mut group = criterion.benchmark_group("gate");
        group.sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(5));
        for (name, new, _) in &cases {
            group.bench_function(*name, |b| b.iter(|| black_box(gate::compare(&old, new, &options).unwrap())));
        }
        group.finish();
    }
    criterion.final_summary();
}
