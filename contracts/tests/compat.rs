//! Behavioural subtyping between two releases, port by port: the verdicts
//! that decide a semver bump, each with a case that must fire and one that
//! must not. Contracts are written as in a manifest and go through the
//! real checker.

mod support;

use std::time::Instant;
use support::*;
use torc_contracts::compat::{compare_port, default_accepted, unsatisfiable, Verdict};
use torc_contracts::eval::eval;
use torc_contracts::interface::Interface;
use torc_contracts::prove::{Counterexample, Options};
use torc_contracts::term::{Scalar, Value};

fn opts() -> Options {
    Options::default()
}

/// Rejects NaN.
const OPEN_UNIT: &str = "value > 0.0 && value <= 1.0";
/// The same over the reals, but accepts NaN.
const NOT_OUTSIDE_UNIT: &str = "!(value <= 0.0 || value > 1.0)";

/// One Float<32> input `v`.
fn one_input(contract: &str) -> Interface {
    checked(&[("v", "Float<32>", contract)], &[])
}

/// Input `x` in [0, 1] and one Float<32> output `y`.
fn one_output(contract: &str) -> Interface {
    checked(&[("x", "Float<32>", "in_range(0.0, 1.0)")], &[("y", "Float<32>", contract)])
}

fn breaking(verdict: Verdict) -> Counterexample {
    match verdict {
        Verdict::Breaking(cx) => cx,
        other => panic!("expected Breaking, got {other:?}"),
    }
}

fn f32_of(cx: &Counterexample, name: &str) -> f32 {
    match cx.get(name) {
        Some(Value::F32(x)) => x,
        other => panic!("`{name}` in {cx}: {other:?}"),
    }
}

/// Does `text` (over Float<32> variables named in `cx`) hold at `cx`?
fn holds(text: &str, cx: &Counterexample) -> bool {
    let vars: Vec<(&str, Scalar)> = cx.assignments.iter().map(|(n, v)| (n.as_str(), v.ty())).collect();
    let env = |n: &str| cx.get(n);
    eval(&formula(text, &vars), &env) == Ok(Value::Bool(true))
}

#[test]
fn nan_separates_contracts_that_agree_over_the_reals() {
    // Input: the second accepts NaN as well, so it is weaker: minor.
    assert_eq!(compare_port(&one_input(OPEN_UNIT), &one_input(NOT_OUTSIDE_UNIT), "v", &opts()), Verdict::Compatible);
    // The reverse narrows the input by NaN: breaking, at NaN.
    let cx = breaking(compare_port(&one_input(NOT_OUTSIDE_UNIT), &one_input(OPEN_UNIT), "v", &opts()));
    assert!(f32_of(&cx, "v").is_nan(), "{cx}");

    // Output from the second to the first: NaN no longer produced, stronger: minor.
    assert_eq!(compare_port(&one_output(NOT_OUTSIDE_UNIT), &one_output(OPEN_UNIT), "y", &opts()), Verdict::Compatible);
    // From the first to the second: may now produce NaN: breaking, at NaN.
    let cx = breaking(compare_port(&one_output(OPEN_UNIT), &one_output(NOT_OUTSIDE_UNIT), "y", &opts()));
    assert!(f32_of(&cx, "y").is_nan(), "{cx}");
}

#[test]
fn signed_zero_matters() {
    // `in_range(0.0, 1.0)` accepts -0.0; `1.0 / value > 0.0` rejects exactly
    // -0.0 there (1/+0 = +inf, 1/-0 = -inf).
    let old = one_input("in_range(0.0, 1.0)");
    let new = one_input("in_range(0.0, 1.0) && 1.0 / value > 0.0");
    let cx = breaking(compare_port(&old, &new, "v", &opts()));
    assert_eq!(f32_of(&cx, "v").to_bits(), (-0.0f32).to_bits(), "{cx}");

    // `value >= 0.0` accepts -0.0 (IEEE): `!(value < 0.0)` differs from it
    // only at NaN, so with NaN allowed in both they are equivalent.
    let old = one_output("value >= 0.0 || is_nan(value)");
    let new = one_output("!(value < 0.0)");
    assert_eq!(compare_port(&old, &new, "y", &opts()), Verdict::Equivalent);

    // `y == abs(x)` does not pin the sign of a zero: IEEE `==` lets y be
    // -0.0 when x is ±0.0, so it does not keep the promise `1.0 / y >= 0.0`.
    let io = |contract: &str| checked(&[("x", "Float<32>", "in_range(-1.0, 1.0)")], &[("y", "Float<32>", contract)]);
    let cx = breaking(compare_port(&io("1.0 / value >= 0.0"), &io("value == abs(x)"), "y", &opts()));
    assert_eq!(f32_of(&cx, "y").to_bits(), (-0.0f32).to_bits(), "{cx}");
    assert_eq!(f32_of(&cx, "x"), 0.0, "{cx}");

    // `1.0 / min(value, 0.0) < 0.0` accepts the finite negatives and -0.0
    // (min(-0.0, 0.0) is -0.0, and 1/-0.0 = -inf), but not +0.0 or NaN
    // (min(NaN, 0.0) is 0.0). `value < 0.0 && finite(value)` drops -0.0.
    let old = one_input("1.0 / min(value, 0.0) < 0.0");
    let cx = breaking(compare_port(&old, &one_input("value < 0.0 && finite(value)"), "v", &opts()));
    assert_eq!(f32_of(&cx, "v").to_bits(), (-0.0f32).to_bits(), "{cx}");
    let new = one_input("(value < 0.0 || 1.0 / value < 0.0) && finite(value)");
    assert_eq!(compare_port(&old, &new, "v", &opts()), Verdict::Equivalent);
}

#[test]
fn reordered_conjunction_is_equivalent() {
    let reordered = "value <= 1.0 && 0.0 < value";
    assert_eq!(compare_port(&one_input(OPEN_UNIT), &one_input(reordered), "v", &opts()), Verdict::Equivalent);
    assert_eq!(compare_port(&one_output(OPEN_UNIT), &one_output(reordered), "y", &opts()), Verdict::Equivalent);
    let spelled_out = "in_range(value, 0.0, 1.0) && value != 0.0";
    assert_eq!(compare_port(&one_input(OPEN_UNIT), &one_input(spelled_out), "v", &opts()), Verdict::Equivalent);
    // A real change is not equivalent.
    let wider = "value <= 2.0 && 0.0 < value";
    assert_ne!(compare_port(&one_output(wider), &one_output(OPEN_UNIT), "y", &opts()), Verdict::Equivalent);
}

#[test]
fn widened_input_is_compatible_and_narrowed_input_breaks() {
    let unit = one_input("in_range(0.0, 1.0)");
    assert_eq!(compare_port(&unit, &one_input("in_range(-1.0, 1.0)"), "v", &opts()), Verdict::Compatible);
    let cx = breaking(compare_port(&unit, &one_input("in_range(0.0, 0.5)"), "v", &opts()));
    // The counterexample is a value old callers may pass and the new release refuses.
    assert!(holds("in_range(v, 0.0, 1.0)", &cx), "{cx}");
    assert!(!holds("in_range(v, 0.0, 0.5)", &cx), "{cx}");
}

#[test]
fn input_equivalence_is_judged_where_the_other_inputs_hold() {
    let ports = |w: &str| {
        checked(
            &[("lo", "Float<32>", "finite"), ("v", "Float<32>", "lo <= value && value <= 1.0"), ("w", "Float<32>", w)],
            &[],
        )
    };
    let old = ports("value >= lo");
    // `w >= lo` already excludes NaN.
    assert_eq!(compare_port(&old, &ports("value >= lo && !is_nan(value)"), "w", &opts()), Verdict::Equivalent);
    // Where v >= lo holds (as the other inputs promise), `w >= v` adds nothing.
    assert_eq!(compare_port(&old, &ports("value >= lo || value >= v"), "w", &opts()), Verdict::Equivalent);
    // `w <= v` does: any w below lo.
    assert_eq!(compare_port(&old, &ports("value >= lo || value <= v"), "w", &opts()), Verdict::Compatible);
}

#[test]
fn output_change_outside_the_old_input_domain_is_equivalent() {
    // x is in [0, 1]: `x > 2.0 || ...` and `x > 3.0 || ...` agree there.
    let old = one_output("x > 2.0 || value <= 1.0");
    assert_eq!(compare_port(&old, &one_output("x > 3.0 || value <= 1.0"), "y", &opts()), Verdict::Equivalent);
    // Changing it inside the domain is not: for x in (0.5, 1] y is no longer bounded.
    let cx = breaking(compare_port(&old, &one_output("x > 0.5 || value <= 1.0"), "y", &opts()));
    assert!(holds("x > 0.5 && x <= 1.0 && !(y <= 1.0)", &cx), "{cx}");
}

#[test]
fn outputs_are_compared_under_the_new_postcondition() {
    // New output `z` promises z <= 1 and y's contract becomes `y <= z`:
    // together they keep y's old promise `y <= 1`.
    let x = ("x", "Float<32>", "in_range(0.0, 1.0)");
    let old = checked(&[x], &[("y", "Float<32>", "value <= 1.0")]);
    let new = checked(&[x], &[("y", "Float<32>", "value <= z"), ("z", "Float<32>", "value <= 1.0")]);
    assert_eq!(compare_port(&old, &new, "y", &opts()), Verdict::Compatible);
}

#[test]
fn record_ports_and_integers() {
    let types: &[(&str, &[(&str, &str)])] = &[("Range", &[("lo", "Int<32>"), ("hi", "Int<32>")])];
    let iface = |r: &str, n: &str| checked_with(types, &[], &[("r", "Range", r), ("n", "UInt<16>", n)], &[]);
    let old = iface("value.lo < value.hi", "value >= 1");
    // `lo < hi` and `hi - lo > 0` differ under wrapping: lo = -2^31, hi = 1
    // has hi - lo overflow to a negative number.
    let cx = breaking(compare_port(&old, &iface("value.hi - value.lo > 0", "value >= 1"), "r", &opts()));
    let (Some(Value::Int { value: lo, .. }), Some(Value::Int { value: hi, .. })) = (cx.get("r.lo"), cx.get("r.hi"))
    else {
        panic!("{cx}")
    };
    let (lo, hi) = (lo as u32 as i32, hi as u32 as i32);
    assert!(lo < hi && hi.wrapping_sub(lo) <= 0, "{cx}");
    assert_eq!(compare_port(&old, &iface("value.hi > value.lo", "value >= 1"), "r", &opts()), Verdict::Equivalent);
    // Unsigned: `n >= 1` and `n != 0` are the same.
    assert_eq!(compare_port(&old, &iface("value.lo < value.hi", "value != 0"), "n", &opts()), Verdict::Equivalent);
}

#[test]
fn ports_that_do_not_match_are_unknown() {
    let old = one_input("true");
    let moved = checked(&[], &[("v", "Float<32>", "true")]);
    assert!(matches!(compare_port(&old, &moved, "v", &opts()), Verdict::Unknown(_)));
    assert!(matches!(compare_port(&old, &old, "missing", &opts()), Verdict::Unknown(_)));
}

#[test]
fn unsatisfiable_contracts_are_reported() {
    for contract in ["value > 1.0 && value < 0.0", "is_nan(value) && finite(value)"] {
        let found = unsatisfiable(&one_input(contract), &opts());
        assert_eq!(found.len(), 1, "{contract}: {found:?}");
        assert_eq!(found[0].port.as_deref(), Some("v"));
    }
    // A satisfiable one is not reported, even if only NaN or -0.0 meet it.
    assert!(unsatisfiable(&one_input("value != value"), &opts()).is_empty());
    assert!(unsatisfiable(&one_input("value == 0.0 && 1.0 / value < 0.0"), &opts()).is_empty());

    // Inputs that can each be met, but not together.
    let together = checked(&[("a", "Float<32>", "value > b"), ("b", "Float<32>", "value > a")], &[]);
    let found = unsatisfiable(&together, &opts());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].port, None);

    // An output no value meets for an allowed input: y > x and y < 0 with x in [0, 1].
    let found = unsatisfiable(&one_output("value > x && value < 0.0"), &opts());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].port.as_deref(), Some("y"));
    assert!(found[0].reason.contains("output `y`"), "{}", found[0].reason);
    // The same output over x in [-1, 1] can be met.
    let ok = checked(&[("x", "Float<32>", "in_range(-1.0, 1.0)")], &[("y", "Float<32>", "value > x && value < 0.0")]);
    assert!(unsatisfiable(&ok, &opts()).is_empty());
}

#[test]
fn a_new_input_default_must_satisfy_its_contract_for_old_callers() {
    let x = ("x", "Float<32>", "in_range(0.0, 1.0)");
    let y = ("y", "Float<32>", "value <= 1.0");
    let old = checked(&[x], &[y]);
    let with_gain = |ty: &str, contract: &str| checked(&[x, ("gain", ty, contract)], &[y]);
    let verdict = |ty: &str, contract: &str| default_accepted(&old, &with_gain(ty, contract), "gain", &opts());

    assert_eq!(verdict("Float<32> = 0.5", "in_range(0.0, 1.0)"), Verdict::Compatible);
    let cx = breaking(verdict("Float<32> = 2.0", "in_range(0.0, 1.0)"));
    assert_eq!(cx.get("gain"), Some(Value::F32(2.0)));
    // A contract that mentions an old input: `gain >= x` fails for x > 0.25.
    let cx = breaking(verdict("Float<32> = 0.25", "value >= x"));
    assert!(f32_of(&cx, "x") > 0.25, "{cx}");
    // The default is that exact value: -0.0 is not +0.0.
    assert_eq!(verdict("Float<32> = 0.0", "1.0 / value > 0.0"), Verdict::Compatible);
    let cx = breaking(verdict("Float<32> = -0.0", "1.0 / value > 0.0"));
    assert_eq!(f32_of(&cx, "gain").to_bits(), (-0.0f32).to_bits());
    // No default: unknown, never compatible.
    assert!(matches!(verdict("Float<32>", "true"), Verdict::Unknown(_)));
}

#[test]
fn a_nan_default_is_that_value() {
    // NaN satisfies `!(gain > 1.0)` but not `gain <= 1.0`. (An IEEE
    // `gain == NaN` is never true, so it could not pin the default.)
    let old = checked(&[("x", "Float<32>", "finite")], &[]);
    let mut new = checked(&[("x", "Float<32>", "finite"), ("gain", "Float<32>", "!(value > 1.0)")], &[]);
    new.ports[1].default = Some(Value::F32(f32::NAN));
    assert_eq!(default_accepted(&old, &new, "gain", &opts()), Verdict::Compatible);
    new.ports[1].contract = formula("gain <= 1.0", &[("gain", F32)]);
    assert!(f32_of(&breaking(default_accepted(&old, &new, "gain", &opts())), "gain").is_nan());
}

#[test]
fn verdicts_serialize() {
    let cx = Counterexample { assignments: vec![("v".into(), Value::F32(f32::NAN)), ("x".into(), Value::F32(-0.0))] };
    let json = serde_json::to_string(&Verdict::Breaking(cx)).unwrap();
    assert_eq!(json, r#"{"Breaking":{"assignments":[["v","NaN"],["x","-0.0"]]}}"#);
    assert_eq!(serde_json::to_string(&Verdict::Equivalent).unwrap(), r#""Equivalent""#);
}

/// torc-pid 1.0.3 and 1.1.0 as examples/motor-controller declares them.
fn torc_pid(version: &str) -> Interface {
    let config: &[(&str, &str)] = &[
        ("kp", "Float<32>"),
        ("ki", "Float<32>"),
        ("kd", "Float<32>"),
        ("out_min", "Float<32>"),
        ("out_max", "Float<32>"),
        ("integral_limit", "Float<32>"),
    ];
    let state: &[(&str, &str)] =
        &[("integral", "Float<32>"), ("prev_measurement", "Float<32>"), ("prev_output", "Float<32>")];
    let predicates = [
        (
            "valid_gains",
            "finite(value.kp) && finite(value.ki) && finite(value.kd) && value.kp >= 0.0 && value.ki >= 0.0 \
             && value.kd >= 0.0 && finite(value.out_min) && finite(value.out_max) && value.out_min < value.out_max \
             && finite(value.integral_limit) && value.integral_limit >= 0.0",
        ),
        ("bounded_integrator", "finite(value.integral) && abs(value.integral) <= config.integral_limit"),
    ];
    let inputs = [
        ("setpoint", "Float<32>", "finite(value) && in_range(config.out_min, config.out_max)"),
        ("measurement", "Float<32>", "finite(value)"),
        ("dt", "Float<32>", "value > 0.0 && value <= 1.0"),
        ("config", "PIDConfig", "valid_gains"),
    ];
    let output = ("output", "Float<32>", "in_range(config.out_min, config.out_max)");
    let outputs = if version == "1.0.3" {
        vec![output, ("state", "PIDState", "bounded_integrator")]
    } else {
        vec![
            output,
            ("state", "PIDState", "bounded_integrator && finite(value.prev_measurement)"),
            ("saturated", "Bool", "value => (output == config.out_min || output == config.out_max)"),
        ]
    };
    checked_with(&[("PIDConfig", config), ("PIDState", state)], &predicates, &inputs, &outputs)
}

/// Not a timing assertion: run with `--nocapture` to see the figures.
#[test]
fn torc_pid_release_check_is_fast() {
    let (old, new) = (torc_pid("1.0.3"), torc_pid("1.1.0"));
    assert!(unsatisfiable(&old, &opts()).is_empty());
    assert!(unsatisfiable(&new, &opts()).is_empty());
    let expected = [
        ("setpoint", Verdict::Equivalent),
        ("measurement", Verdict::Equivalent),
        ("dt", Verdict::Equivalent),
        ("config", Verdict::Equivalent),
        ("output", Verdict::Equivalent),
        ("state", Verdict::Compatible),
    ];
    for (name, verdict) in expected {
        let started = Instant::now();
        let got = compare_port(&old, &new, name, &opts());
        println!("torc-pid 1.0.3 -> 1.1.0, port `{name}`: {got:?} in {:.1} ms", started.elapsed().as_secs_f64() * 1e3);
        assert_eq!(got, verdict, "port `{name}`");
    }
    // The reverse drops the `state` strengthening: breaking.
    let started = Instant::now();
    let cx = breaking(compare_port(&new, &old, "state", &opts()));
    println!(
        "torc-pid 1.1.0 -> 1.0.3, port `state`: Breaking({cx}) in {:.1} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    assert!(!f32_of(&cx, "state.prev_measurement").is_finite(), "{cx}");
}
