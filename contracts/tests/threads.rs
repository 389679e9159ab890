//! Z3's context is per thread in the `z3` crate: prove and compare_port
//! from many threads at once must give the same answers as from one.

mod support;

use rayon::prelude::*;
use support::*;
use torc_contracts::compat::{compare_port, Verdict};
use torc_contracts::prove::{prove, Options, Outcome};
use torc_contracts::term::Term;

/// Query `i`: `v in [0, i]` implies `v <= i / 2`: false for every i >= 1,
/// with a counterexample above i / 2; `v <= i` instead is valid.
fn query(i: usize) -> (Vec<Term>, Term, Term) {
    let v = x32("v");
    let hi = i as f32;
    let assumption = in_range(v.clone(), f(0.0), f(hi));
    (vec![assumption], le(v.clone(), f(hi / 2.0)), le(v, f(hi)))
}

fn check(i: usize) {
    let options = Options::default();
    let (assumptions, false_goal, true_goal) = query(i);
    match prove(&assumptions, &false_goal, &options) {
        Outcome::Invalid(cx) => {
            let Some(torc_contracts::term::Value::F32(x)) = cx.get("v") else { panic!("{cx}") };
            assert!(x > i as f32 / 2.0 && x <= i as f32, "query {i}: {cx}");
        }
        other => panic!("query {i}: {other:?}"),
    }
    assert_eq!(prove(&assumptions, &true_goal, &options), Outcome::Valid, "query {i}");
}

#[test]
fn prove_from_eight_threads_at_once() {
    std::thread::scope(|scope| {
        for t in 0..8 {
            scope.spawn(move || {
                for i in 1..=10 {
                    check(t * 10 + i);
                }
            });
        }
    });
}

#[test]
fn prove_and_compare_from_a_rayon_pool() {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(8).build().unwrap();
    pool.install(|| (1..=80).into_par_iter().for_each(check));
    let verdicts: Vec<Verdict> = pool.install(|| {
        (1..=40)
            .into_par_iter()
            .map(|i| {
                let old = interface(vec![input("v", F32, in_range(x32("v"), f(0.0), f(i as f32)))]);
                let new = interface(vec![input("v", F32, in_range(x32("v"), f(0.0), f(i as f32 + 1.0)))]);
                compare_port(&old, &new, "v", &Options::default())
            })
            .collect()
    });
    assert!(verdicts.iter().all(|v| *v == Verdict::Compatible), "{verdicts:?}");
}
