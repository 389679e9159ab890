mod support;
use std::time::Instant;
use support::*;
use torc_contracts::compat::compare_port;
use torc_contracts::prove::{prove, Options};

fn time(label: &str, inputs: &[(&str, &str, &str)], outputs: &[(&str, &str, &str)], new_inputs: &[(&str, &str, &str)], new_outputs: &[(&str, &str, &str)], port: &str) {
    let old = checked(inputs, outputs);
    let new = checked(new_inputs, new_outputs);
    let t = Instant::now();
    let n = 5;
    let mut v = None;
    for _ in 0..n { v = Some(compare_port(&old, &new, port, &Options::default())); }
    println!("{label}: {:.2} ms {:?}", t.elapsed().as_secs_f64() * 1e3 / n as f64, v.unwrap());
}

#[test]
fn perf() {
    for ty in ["Float<32>", "Float<64>", "Int<32>"] {
        let (a, b, c) = if ty == "Int<32>" { ("in_range(-40, 40)", "in_range(-5, 10)", "in_range(-6, 10)") } else { ("in_range(-10.0, 10.0)", "in_range(-5.0, 10.0)", "in_range(-6.0, 10.0)") };
        let x = ("x", ty, a);
        time(&format!("{ty} input widen"), &[x, ("v", ty, b)], &[], &[x, ("v", ty, c)], &[], "v");
        time(&format!("{ty} input narrow"), &[x, ("v", ty, c)], &[], &[x, ("v", ty, b)], &[], "v");
        time(&format!("{ty} input same"), &[x, ("v", ty, b)], &[], &[x, ("v", ty, b)], &[], "v");
        time(&format!("{ty} output narrow"), &[x], &[("y", ty, c)], &[x], &[("y", ty, b)], "y");
        time(&format!("{ty} output widen"), &[x], &[("y", ty, b)], &[x], &[("y", ty, c)], "y");
    }
    let t = Instant::now();
    for _ in 0..20 { prove(&[], &torc_contracts::term::Term::Bool(true), &Options::default()); }
    println!("trivial prove: {:.2} ms", t.elapsed().as_secs_f64() * 1e3 / 20.0);
}
