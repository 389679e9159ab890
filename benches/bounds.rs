//! Bound aggregation (`torc_graph::bounds::analyze`) on generated call
//! graphs of 10^4, 10^5 and 10^6 nodes: modules of 100 nodes each, 5 of
//! them calls into random later modules (a DAG), frames random and one in
//! fifty unknown, from a fixed seed. Prints nodes per second for each size
//! so linear growth can be read off; the goal is 10^6 nodes in under 1 s.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;
use torc_graph::bounds::analyze;
use torc_graph::model::{Cost, Graph, Node, Op};

const NODES_PER_MODULE: usize = 100;
const CALLS_PER_MODULE: usize = 5;

#[path = "support/rng.rs"]
mod rng;
use rng::Rng;

fn generate(total_nodes: usize) -> BTreeMap<String, Graph> {
    let modules = total_nodes / NODES_PER_MODULE;
    let mut rng = Rng(0x7012c);
    let name = |i: usize| format!("mod-{i:07}");
    (0..modules)
        .map(|i| {
            let nodes = (0..NODES_PER_MODULE)
                .map(|k| {
                    let op = if k < CALLS_PER_MODULE && i + 1 < modules {
                        let callee = i + 1 + rng.below((modules - i - 1) as u64) as usize;
                        Op::Call { module: name(callee), max_depth: None }
                    } else {
                        Op::Add
                    };
                    let stack = (rng.below(50) != 0).then(|| rng.below(256));
                    Node {
                        name: format!("n{k}"),
                        op,
                        inputs: vec![],
                        outputs: vec![],
                        cost: Cost {
                            stack,
                            heap: Some(rng.below(4)),
                            effects: if k == 7 { vec!["io".to_owned()] } else { vec![] },
                            wcet: Some(rng.below(100)),
                        },
                    }
                })
                .collect();
            (name(i), Graph { module: name(i), nodes, edges: vec![] })
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("bounds/analyze");
    for total in [10_000usize, 100_000, 1_000_000] {
        let graphs = generate(total);
        let fallback = BTreeMap::new();
        // One timed run outside criterion for a readable throughput line.
        let start = Instant::now();
        let bounds = analyze(&graphs, &fallback);
        let elapsed = start.elapsed();
        println!(
            "{total} nodes in {} modules: {:.1} ms, {:.2e} nodes/s (root stack {})",
            graphs.len(),
            elapsed.as_secs_f64() * 1e3,
            total as f64 / elapsed.as_secs_f64(),
            bounds.values().next().map(|b| b.stack.to_string()).unwrap_or_default()
        );
        group.throughput(Throughput::Elements(total as u64));
        group.sample_size(10);
        group.bench_with_input(BenchmarkId::from_parameter(total), &graphs, |b, graphs| {
            b.iter(|| black_box(analyze(black_box(graphs), &fallback)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
