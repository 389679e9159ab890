//! Inputs that used to cost quadratic time, each at n and 4n: the figures
//! show near-linear growth (about 4 times, not 16). What each read does is
//! what the command does, without file I/O:
//!
//! - `manifest`: a `torc.toml` with n dependencies (`torc tree` reads it first);
//! - `index-file`: a registry index file with n versions of one package;
//! - `graph`: a `graph.toml` chain of n nodes, read, validated and encoded
//!   to `.trc` (`torc build`);
//! - `solve`: a one-line `torc-index/1` document, a chain of n packages of
//!   50 versions each, read and resolved (`torc solve`);
//! - `interface`: n input ports, each with its own predicate, type-checked
//!   (every name is looked up; the first step of `torc publish`'s gate).
//!
//! ```sh
//! cargo bench --bench scaling
//! ```
//!
//! Before criterion's estimates, the bench prints the median of a plain
//! timed loop at both sizes and their ratio. On the development machine
//! (2 shared cores, December 2026) it printed ratios of 4.6 (manifest),
//! 4.2 (index file), 5.6 (graph), 4.2 (solve) and 6.0 (interface).
//!
//! The same inputs through the release `torc` binary, user CPU seconds
//! (wall seconds on a loaded machine in brackets), before -> after:
//! `torc tree` with 100,000 dependencies 48.0 (157) -> 0.30 (1.8); an
//! index file of 100,000 versions 18.8 (33) -> 0.32 (0.8); `torc build`
//! of 20,000 nodes 34.9 (114) -> 0.37 (1.3); `torc solve` on a one-line
//! chain of 2,000 packages of 50 versions 9.2 (11.8) -> 0.54 (2.1). The tests that guard these
//! are counts, not times: `graph/tests/format.rs`, the manifest and index
//! tests in `engine/`, `corpora/src/torc_index.rs`.

use criterion::{black_box, BenchmarkId, Criterion};
use std::path::Path;
use std::time::{Duration, Instant};
use torc_solver::semver::VersionReq;
use torc_solver::{ResolveOptions, Resolution, Resolver};

fn manifest(n: usize) -> String {
    let deps: String = (0..n).map(|i| format!("dep-{i} = \"^1.{}\"\n", i % 100)).collect();
    format!("[module]\nname = \"app\"\nversion = \"1.0.0\"\n\n[dependencies]\n{deps}")
}

fn index_file(n: usize) -> String {
    let hash = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262";
    (0..n)
        .map(|i| {
            format!(
                "{{\"name\":\"mylib\",\"version\":\"1.{}.{}\",\"kind\":\"module\",\"dependencies\":[],\"yanked\":false,\"blake3\":\"{hash}\"}}\n",
                i / 1000,
                i % 1000
            )
        })
        .collect()
}

fn graph(n: usize) -> String {
    let name = |i: usize| match i {
        0 => "x".to_owned(),
        i if i == n - 1 => "y".to_owned(),
        i => format!("n{i}"),
    };
    let mut text = String::new();
    for i in 0..n {
        let op = match i {
            0 => "input",
            i if i == n - 1 => "output",
            _ => "abs",
        };
        text += &format!(
            "[[node]]\nname = \"{}\"\nop = \"{op}\"\ntype = \"Float<32>\"\ncost = {{ stack = 1, heap = 0, wcet = 1 }}\n\n",
            name(i)
        );
    }
    for i in 1..n {
        let port = if i == n - 1 { "value" } else { "x" };
        text += &format!("[[edge]]\nfrom = \"{}\"\nto = \"{}.{port}\"\n\n", name(i - 1), name(i));
    }
    text
}

fn solve_index(n: usize) -> String {
    let packages: Vec<String> = (0..n)
        .map(|i| {
            let depends = if i + 1 < n { format!(", \"depends\": {{\"p{}\": \"^1.0\"}}", i + 1) } else { String::new() };
            let versions: Vec<String> = (0..50).map(|v| format!("{{\"version\": \"1.{v}.0\"{depends}}}")).collect();
            format!("\"p{i}\": [{}]", versions.join(", "))
        })
        .collect();
    format!("{{\"format\": \"torc-index/1\", \"packages\": {{{}}}}}", packages.join(", "))
}

/// The interface as lines `port name|predicate body`, so that the case
/// fits the bench's text-in shape.
fn interface(n: usize) -> String {
    (0..n).map(|i| format!("x{i}|q{i}|finite(value) && value >= {}.0\n", i % 100)).collect()
}

fn check_interface(text: &str) {
    use torc_contracts::interface::{Interface, InterfaceSpec, PortSpec};
    let mut spec = InterfaceSpec::default();
    for line in text.lines() {
        let mut parts = line.split('|');
        let (port, predicate, body) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
        spec.predicates.push((predicate.to_owned(), body.to_owned()));
        let contract = predicate.to_owned();
        spec.inputs.push(PortSpec { name: port.to_owned(), ty: "Float<32>".to_owned(), contract, default: None });
    }
    black_box(Interface::check(&spec).expect("the interface checks"));
}

fn read_manifest(text: &str) {
    let m = torc_engine::manifest::parse_torc_toml(Path::new("torc.toml"), text).expect("the manifest reads");
    black_box(m);
}

fn read_index_file(text: &str) {
    let entries = torc_engine::registry::index::parse_index(text, Path::new("index/mylib"), "mylib").expect("reads");
    black_box(entries);
}

fn build_graph(text: &str) {
    let source = torc_graph::source::parse(Path::new("graph.toml"), text, "g").expect("the graph reads");
    source.validate().expect("the graph is valid");
    black_box(torc_graph::trc::encode(&source.graph));
}

fn solve(text: &str) {
    let registry = torc_corpora::torc_index::parse_index(text, "index.json").expect("the index reads");
    let requirements = [("p0".to_owned(), VersionReq::parse("^1").expect("a requirement"))];
    let (index, root) = registry.build_for(&requirements).expect("the index builds");
    let resolution = Resolver::new(&index).resolve(&root, &ResolveOptions::default());
    assert!(matches!(resolution, Resolution::Solved(_)));
}

type Case = (&'static str, fn(usize) -> String, fn(&str), usize);

const CASES: [Case; 5] = [
    ("manifest", manifest, read_manifest, 25_000),
    ("index-file", index_file, read_index_file, 25_000),
    ("graph", graph, build_graph, 5_000),
    ("solve", solve_index, solve, 500),
    ("interface", interface, check_interface, 5_000),
];

fn median(input: &str, run: fn(&str), samples: usize) -> Duration {
    let mut times: Vec<Duration> = (0..samples)
        .map(|_| {
            let start = Instant::now();
            run(input);
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |f: &str| args.iter().any(|a| a == f);
    // Under `cargo test --benches` criterion runs each benchmark once.
    let benchmarking = flag("--bench") && !flag("--test") && !flag("--list");

    let inputs: Vec<(Case, String, String)> =
        CASES.iter().map(|&case| (case, (case.1)(case.3), (case.1)(4 * case.3))).collect();
    if benchmarking {
        for ((name, _, run, n), small, large) in &inputs {
            let (a, b) = (median(small, *run, 5), median(large, *run, 5));
            println!(
                "{name}: n = {n}: {a:.2?}; 4n = {}: {b:.2?}; ratio {:.1} (linear 4, quadratic 16)",
                4 * n,
                b.as_secs_f64() / a.as_secs_f64()
            );
        }
    }

    let mut criterion = Criterion::default().configure_from_args().sample_size(10);
    for ((name, _, run, n), small, large) in &inputs {
        let mut group = criterion.benchmark_group(*name);
        group.bench_with_input(BenchmarkId::from_parameter(n), small, |b, input| b.iter(|| run(input)));
        group.bench_with_input(BenchmarkId::from_parameter(4 * n), large, |b, input| b.iter(|| run(input)));
        group.finish();
    }
    criterion.final_summary();
}
