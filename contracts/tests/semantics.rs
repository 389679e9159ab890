//! The meaning of every operation (term.rs's module doc), checked in both
//! backends: native evaluation and Z3, and the way values come back from
//! Z3 models.

mod support;

use support::*;
use torc_contracts::eval::{eval, EvalError};
use torc_contracts::prove::{prove, satisfiable, Options, Outcome, Satisfiable};
use torc_contracts::smt::{self, encode, EncodeError, Vars};
use torc_contracts::term::{Scalar, Term, Value};

fn no_vars(_: &str) -> Option<Value> {
    None
}

/// The value of a closed term, natively and in Z3; they must agree.
fn both(term: &Term) -> Value {
    let native = eval(term, &no_vars).expect("native evaluation");
    let z3 = smt::evaluate(term, &[]).expect("Z3 evaluation");
    assert!(native.identical(&z3), "{term:?}: native {native} but Z3 {z3}");
    native
}

fn bits32(v: Value) -> u32 {
    match v {
        Value::F32(x) => x.to_bits(),
        other => panic!("not a Float<32>: {other:?}"),
    }
}

#[test]
fn min_and_max_order_signed_zeros_and_ignore_nan() {
    let neg0 = (-0.0f32).to_bits();
    let pos0 = 0.0f32.to_bits();
    assert_eq!(bits32(both(&min(f(-0.0), f(0.0)))), neg0);
    assert_eq!(bits32(both(&min(f(0.0), f(-0.0)))), neg0);
    assert_eq!(bits32(both(&max(f(-0.0), f(0.0)))), pos0);
    assert_eq!(bits32(both(&max(f(0.0), f(-0.0)))), pos0);
    assert_eq!(bits32(both(&min(f(-0.0), f(-0.0)))), neg0);
    assert_eq!(both(&min(f(f32::NAN), f(1.0))), Value::F32(1.0));
    assert_eq!(both(&min(f(1.0), f(f32::NAN))), Value::F32(1.0));
    assert_eq!(both(&max(f(f32::NAN), f(-2.0))), Value::F32(-2.0));
    assert!(matches!(both(&min(f(f32::NAN), f(f32::NAN))), Value::F32(x) if x.is_nan()));
    assert_eq!(both(&min(f(f32::NEG_INFINITY), f(f32::MIN))), Value::F32(f32::NEG_INFINITY));
    assert_eq!(both(&max(f(3.0), f(2.0))), Value::F32(3.0));
    assert_eq!(both(&min(f(3.0), f(2.0))), Value::F32(2.0));
}

#[test]
fn comparisons_are_ieee() {
    let t = Value::Bool(true);
    let fa = Value::Bool(false);
    assert_eq!(both(&eq(f(-0.0), f(0.0))), t);
    assert_eq!(both(&eq(f(f32::NAN), f(f32::NAN))), fa);
    assert_eq!(both(&ne(f(f32::NAN), f(f32::NAN))), t);
    assert_eq!(both(&ge(f(-0.0), f(0.0))), t);
    assert_eq!(both(&lt(f(-0.0), f(0.0))), fa);
    for op in [lt, le, gt, ge, eq] {
        assert_eq!(both(&op(f(f32::NAN), f(1.0))), fa);
        assert_eq!(both(&op(f(1.0), f(f32::NAN))), fa);
    }
    assert_eq!(both(&lt(f(f32::NEG_INFINITY), f(f32::MIN))), t);
    assert_eq!(both(&in_range(f(f32::NAN), f(0.0), f(1.0))), fa);
    assert_eq!(both(&in_range(f(-0.0), f(0.0), f(1.0))), t);
}

#[test]
fn classification_and_abs() {
    let t = Value::Bool(true);
    let fa = Value::Bool(false);
    assert_eq!(both(&finite(f(f32::MAX))), t);
    assert_eq!(both(&finite(f(f32::INFINITY))), fa);
    assert_eq!(both(&finite(f(f32::NAN))), fa);
    assert_eq!(both(&is_inf(f(f32::NEG_INFINITY))), t);
    assert_eq!(both(&is_nan(f(-f32::NAN))), t);
    assert_eq!(both(&finite(f(f32::from_bits(1)))), t);
    assert_eq!(bits32(both(&abs(f(-0.0)))), 0.0f32.to_bits());
    assert_eq!(both(&abs(f(f32::NEG_INFINITY))), Value::F32(f32::INFINITY));
    assert!(matches!(both(&abs(f(f32::NAN))), Value::F32(x) if x.is_nan()));
    assert_eq!(bits32(both(&neg(f(0.0)))), (-0.0f32).to_bits());
}

#[test]
fn float_arithmetic_rounds_to_nearest_even() {
    // 16777216 + 1 is a tie between 16777216 and 16777218: even wins.
    assert_eq!(both(&add(f(16_777_216.0), f(1.0))), Value::F32(16_777_216.0));
    assert_eq!(both(&add(f(16_777_218.0), f(1.0))), Value::F32(16_777_220.0));
    assert_eq!(both(&add(f(0.1), f(0.2))), Value::F32(0.1f32 + 0.2f32));
    assert_eq!(both(&div(f(1.0), f(-0.0))), Value::F32(f32::NEG_INFINITY));
    assert_eq!(both(&mul(f(f32::MAX), f(2.0))), Value::F32(f32::INFINITY));
    // Subnormal results are kept, not flushed to zero.
    assert_eq!(both(&div(f(f32::MIN_POSITIVE), f(4.0))), Value::F32(f32::MIN_POSITIVE / 4.0));
    assert!(matches!(both(&sub(f(f32::INFINITY), f(f32::INFINITY))), Value::F32(x) if x.is_nan()));
    assert_eq!(bits32(both(&sub(f(0.0), f(0.0)))), 0.0f32.to_bits());
    assert_eq!(bits32(both(&add(f(-0.0), f(-0.0)))), (-0.0f32).to_bits());
    let third = div(f64l(1.0), f64l(3.0));
    assert_eq!(both(&third), Value::F64(1.0 / 3.0));
}

fn i8v(x: i8) -> Value {
    Value::Int { value: x as u8 as u128, signed: true, bits: 8 }
}

fn u8v(x: u8) -> Value {
    Value::Int { value: x as u128, signed: false, bits: 8 }
}

#[test]
fn integers_wrap_and_divide_as_smt_lib() {
    let i = |x: i128| int(x, I8);
    let u = |x: i128| int(x, U8);
    assert!(both(&add(i(127), i(1))).identical(&i8v(-128)));
    assert!(both(&mul(i(16), i(16))).identical(&i8v(0)));
    assert!(both(&sub(u(0), u(1))).identical(&u8v(255)));
    assert!(both(&div(i(-7), i(2))).identical(&i8v(-3)), "truncates toward zero");
    assert!(both(&div(u(200), u(7))).identical(&u8v(28)));
    assert!(both(&div(i(-128), i(-1))).identical(&i8v(-128)), "overflow wraps");
    // Division by zero: all ones unsigned; -1 for x >= 0 and 1 for x < 0 signed.
    assert!(both(&div(u(5), u(0))).identical(&u8v(255)));
    assert!(both(&div(i(5), i(0))).identical(&i8v(-1)));
    assert!(both(&div(i(0), i(0))).identical(&i8v(-1)));
    assert!(both(&div(i(-5), i(0))).identical(&i8v(1)));
    assert!(both(&div(i(-128), i(0))).identical(&i8v(1)));
    assert!(both(&abs(i(-128))).identical(&i8v(-128)));
    assert!(both(&abs(i(-5))).identical(&i8v(5)));
    assert!(both(&neg(u(1))).identical(&u8v(255)));
    assert!(both(&min(i(-1), i(1))).identical(&i8v(-1)));
    assert!(both(&max(u(255), u(1))).identical(&u8v(255)), "unsigned order");
    assert_eq!(both(&lt(i(-1), i(0))), Value::Bool(true));
    assert_eq!(both(&lt(u(255), u(0))), Value::Bool(false));
    // 128-bit integers, beyond u64.
    let i128t = Scalar::Int { signed: true, bits: 128 };
    let big = add(int(i128::MAX, i128t), int(1, i128t));
    assert!(both(&big).identical(&Value::Int { value: 1u128 << 127, signed: true, bits: 128 }));
    let u100 = Scalar::Int { signed: false, bits: 100 };
    assert!(both(&sub(int(0, u100), int(1, u100))).identical(&Value::Int {
        value: (1u128 << 100) - 1,
        signed: false,
        bits: 100
    }));
}

#[test]
fn eval_reports_errors_instead_of_panicking() {
    assert_eq!(eval(&x32("v"), &no_vars), Err(EvalError::Unbound("v".into())));
    let wrong_type = |_: &str| Some(Value::Bool(true));
    assert!(matches!(eval(&x32("v"), &wrong_type), Err(EvalError::TypeMismatch(_))));
    assert!(matches!(eval(&add(f(1.0), int(1, I8)), &no_vars), Err(EvalError::TypeMismatch(_))));
    assert!(matches!(eval(&and([f(1.0)]), &no_vars), Err(EvalError::TypeMismatch(_))));
    assert!(matches!(eval(&lt(Term::Bool(true), Term::Bool(false)), &no_vars), Err(EvalError::TypeMismatch(_))));
    assert!(matches!(eval(&finite(int(1, I8)), &no_vars), Err(EvalError::TypeMismatch(_))));
    let bad_width = Term::Int { value: 0, signed: true, bits: 0 };
    assert!(matches!(eval(&bad_width, &no_vars), Err(EvalError::TypeMismatch(_))));
    let bad_float = Term::Float { bits: 1 << 40, width: torc_contracts::term::FloatWidth::F32 };
    assert!(matches!(eval(&bad_float, &no_vars), Err(EvalError::TypeMismatch(_))));
    // Strict: an error in a later operand is reported even after `false`.
    assert_eq!(eval(&and([Term::Bool(false), x32("v")]), &no_vars), Err(EvalError::Unbound("v".into())));
}

#[test]
fn encode_reports_errors() {
    let mut vars = Vars::new();
    assert!(matches!(encode(&add(f(1.0), int(1, I8)), &mut vars), Err(EncodeError::TypeMismatch(_))));
    let clash = and([gt(x32("v"), f(0.0)), gt(var("v", I8), int(0, I8))]);
    assert!(matches!(encode(&clash, &mut vars), Err(EncodeError::Conflict { .. })));
    // prove turns it into Unknown, never a verdict.
    assert!(matches!(prove(&[], &clash, &Options::default()), Outcome::Unknown(r) if r.contains("used both")));
}

/// Values come back from Z3 bit for bit: pin a variable to the value, solve,
/// read the model (and a literal through the same path).
#[test]
fn float_values_round_trip_through_z3_models() {
    for x in special_f32() {
        let value = Value::F32(x);
        let back = smt::evaluate(&x32("v"), &[("v".into(), value)]).unwrap();
        assert!(back.identical(&value), "{x:?} ({:#x}) came back as {back:?}", x.to_bits());
        let literal = smt::evaluate(&f(x), &[]).unwrap();
        assert!(literal.identical(&value), "literal {x:?} came back as {literal:?}");
    }
    for x in special_f64() {
        let value = Value::F64(x);
        let back = smt::evaluate(&var("w", F64), &[("w".into(), value)]).unwrap();
        assert!(back.identical(&value), "{x:?} ({:#x}) came back as {back:?}", x.to_bits());
        let literal = smt::evaluate(&f64l(x), &[]).unwrap();
        assert!(literal.identical(&value), "literal {x:?} came back as {literal:?}");
    }
    // 256 bit patterns spread over every exponent, both signs, NaN payloads.
    for bits in (0..=u32::MAX).step_by(16_777_259) {
        let value = Value::F32(f32::from_bits(bits));
        let back = smt::evaluate(&x32("v"), &[("v".into(), value)]).unwrap();
        assert!(back.identical(&value), "{bits:#x} came back as {back:?}");
    }
}

#[test]
fn integer_and_bool_values_round_trip_through_z3_models() {
    let cases = [
        Value::Int { value: 0x80, signed: true, bits: 8 },
        Value::Int { value: 0x7ff, signed: false, bits: 11 },
        Value::Int { value: u64::MAX as u128, signed: false, bits: 64 },
        Value::Int { value: u128::MAX, signed: true, bits: 128 },
        Value::Int { value: 0xdead_beef_0000_0001_2345_6789, signed: false, bits: 100 },
        Value::Bool(true),
        Value::Bool(false),
    ];
    for value in cases {
        let back = smt::evaluate(&var("n", value.ty()), &[("n".into(), value)]).unwrap();
        assert!(back.identical(&value), "{value:?} came back as {back:?}");
    }
}

/// Z3 finds the values a contract is about, exactly: the only Float<32>
/// that is `== 0.0` and negative under `1.0 / x < 0.0` is -0.0.
#[test]
fn z3_witnesses_are_exact() {
    let v = x32("v");
    let options = Options::default();
    let Satisfiable::Yes(w) = satisfiable(&[eq(v.clone(), f(0.0)), lt(div(f(1.0), v.clone()), f(0.0))], &options)
    else {
        panic!("-0.0 satisfies it")
    };
    assert_eq!(w.get("v").map(bits32), Some((-0.0f32).to_bits()));
    let Satisfiable::Yes(w) = satisfiable(&[not(eq(v.clone(), v.clone()))], &options) else { panic!("NaN does") };
    assert!(matches!(w.get("v"), Some(Value::F32(x)) if x.is_nan()));
    let Satisfiable::Yes(w) = satisfiable(&[gt(v.clone(), f(0.0)), lt(v.clone(), f(f32::MIN_POSITIVE))], &options)
    else {
        panic!("subnormals do")
    };
    assert!(matches!(w.get("v"), Some(Value::F32(x)) if x > 0.0 && x < f32::MIN_POSITIVE));
    let Satisfiable::Yes(w) = satisfiable(&[gt(v.clone(), f(f32::MAX))], &options) else { panic!("+inf does") };
    assert_eq!(w.get("v"), Some(Value::F32(f32::INFINITY)));
    assert_eq!(satisfiable(&[gt(v.clone(), f(1.0)), lt(v, f(0.0))], &options), Satisfiable::No);
}

/// min/max are encoded with their signed-zero rule, not fp.min/fp.max
/// (whose result on +0/-0 is unspecified, so Z3 would find a
/// counterexample to both of these).
#[test]
fn min_max_signed_zero_is_provable() {
    let x = x32("x");
    let options = Options::default();
    let nan_or_nonneg = or([is_nan(x.clone()), ge(x.clone(), f(0.0))]);
    let goal = lt(div(f(1.0), min(x.clone(), f(-0.0))), f(0.0));
    assert_eq!(prove(&[nan_or_nonneg], &goal, &options), Outcome::Valid);
    let nan_or_nonpos = or([is_nan(x.clone()), le(x.clone(), f(0.0))]);
    let goal = gt(div(f(1.0), max(x.clone(), f(0.0))), f(0.0));
    assert_eq!(prove(&[nan_or_nonpos], &goal, &options), Outcome::Valid);
    // And min(x, 0.0) at x = -0.0 is -0.0: `1/min(x, 0.0) > 0` fails exactly there.
    let goal = gt(div(f(1.0), min(x.clone(), f(0.0))), f(0.0));
    let Outcome::Invalid(cx) = prove(&[eq(x.clone(), f(0.0))], &goal, &options) else { panic!("-0.0 refutes it") };
    assert_eq!(cx.get("x").map(bits32), Some((-0.0f32).to_bits()));
    // abs clears the sign: 1/abs(x) is never -inf.
    let goal = not(eq(div(f(1.0), abs(x.clone())), f(f32::NEG_INFINITY)));
    assert_eq!(prove(&[], &goal, &options), Outcome::Valid);
}

#[test]
fn counterexamples_name_every_variable_sorted() {
    let goal = implies(gt(x32("b"), f(0.0)), gt(add(x32("b"), x32("a")), f(0.0)));
    let Outcome::Invalid(cx) = prove(&[], &goal, &Options::default()) else { panic!("a = -b refutes it") };
    let names: Vec<&str> = cx.assignments.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    let env = |n: &str| cx.get(n);
    assert_eq!(eval(&goal, &env), Ok(Value::Bool(false)));
    let json = format!("{cx}");
    assert!(json.starts_with("a = "), "{json}");
}

#[test]
fn a_timeout_is_unknown_and_says_so() {
    // Associativity of Float<64> multiplication over four finite values:
    // false, but six 64-bit multipliers take far more than 1 ms to bit-blast.
    let [x, y, z, w] = ["x", "y", "z", "w"].map(|n| var(n, F64));
    let finite_all = and([finite(x.clone()), finite(y.clone()), finite(z.clone()), finite(w.clone())]);
    let left = mul(mul(mul(x.clone(), y.clone()), z.clone()), w.clone());
    let goal = eq(left, mul(x, mul(y, mul(z, w))));
    match prove(std::slice::from_ref(&finite_all), &goal, &Options { timeout_ms: 1 }) {
        Outcome::Unknown(reason) => assert!(reason.contains("timeout after 1 ms"), "{reason}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    // The interruption ends with that query: the next one on this thread is answered.
    assert_eq!(prove(&[finite_all], &Term::Bool(true), &Options { timeout_ms: 1_000 }), Outcome::Valid);
    assert!(matches!(prove(&[], &gt(x32("v"), f(0.0)), &Options::default()), Outcome::Invalid(_)));
}

/// Timeouts firing on many threads at once (Z3 4.8's own timers can
/// deadlock there; ours must not).
#[test]
fn timeouts_on_many_threads_do_not_hang() {
    std::thread::scope(|scope| {
        for t in 0..6 {
            scope.spawn(move || {
                for i in 0..8 {
                    let (x, y, z) = (var("x", F64), var("y", F64), var("z", F64));
                    let finite_all = and([finite(x.clone()), finite(y.clone()), finite(z.clone())]);
                    let goal = eq(mul(mul(x.clone(), y.clone()), z.clone()), mul(x, mul(y, z)));
                    let timeout_ms = 1 + ((t * 8 + i) % 5) as u32;
                    let outcome = prove(&[finite_all], &goal, &Options { timeout_ms });
                    // Z3 may finish before the interruption lands; it must not hang or err.
                    let answered = matches!(&outcome, Outcome::Unknown(r) if r.contains("timeout"))
                        || matches!(&outcome, Outcome::Invalid(_));
                    assert!(answered, "{outcome:?}");
                    assert!(matches!(
                        prove(&[], &gt(x32("v"), f(0.0)), &Options { timeout_ms: 5_000 }),
                        Outcome::Invalid(_)
                    ));
                }
            });
        }
    });
}
