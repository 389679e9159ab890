//! The oracle that keeps both backends honest: random small terms over a
//! few Float<32>, Int<8>, UInt<8> and Bool variables, at random values
//! (NaN, ±0, ±inf, subnormals, any bit pattern). Native evaluation must
//! give exactly Z3's value, both when Z3 folds the constants (the
//! simplifying pipeline `prove` uses) and when it computes the value
//! through the bit-blasted circuits or the bit-vector theory alone (the
//! paths symbolic queries take).

mod support;

use proptest::prelude::*;
use support::*;
use torc_contracts::eval::eval;
use torc_contracts::smt;
use torc_contracts::term::{ArithOp, CmpOp, Scalar, Term, Value};
use z3::{Solver, Tactic};

#[derive(Clone, Copy, Debug)]
enum Ty {
    Bool,
    F32,
    I8,
    U8,
}

impl Ty {
    fn scalar(self) -> Scalar {
        match self {
            Ty::Bool => Scalar::Bool,
            Ty::F32 => F32,
            Ty::I8 => I8,
            Ty::U8 => U8,
        }
    }

    fn vars(self) -> [&'static str; 2] {
        match self {
            Ty::Bool => ["p", "q"],
            Ty::F32 => ["x", "y"],
            Ty::I8 => ["a", "b"],
            Ty::U8 => ["c", "d"],
        }
    }
}

fn f32_value() -> BoxedStrategy<f32> {
    prop_oneof![
        3 => proptest::sample::select(special_f32()),
        2 => any::<u32>().prop_map(f32::from_bits),
        // Small multiples of 0.25: ties, equalities and exact results.
        2 => (-12i32..=12).prop_map(|k| k as f32 * 0.25),
        1 => (0u32..4).prop_map(f32::from_bits),
        // Signed zeros, often, so that min/max and division meet both.
        4 => proptest::sample::select(vec![0.0f32, -0.0]),
    ]
    .boxed()
}

fn i8_value() -> BoxedStrategy<i8> {
    prop_oneof![proptest::sample::select(vec![0i8, 1, -1, 2, i8::MIN, i8::MAX]), any::<i8>()].boxed()
}

fn u8_value() -> BoxedStrategy<u8> {
    prop_oneof![proptest::sample::select(vec![0u8, 1, 2, 127, 128, u8::MAX]), any::<u8>()].boxed()
}

fn leaf(ty: Ty) -> BoxedStrategy<Term> {
    let [v0, v1] = ty.vars();
    let vars = prop_oneof![Just(var(v0, ty.scalar())), Just(var(v1, ty.scalar()))];
    let literal = match ty {
        Ty::Bool => any::<bool>().prop_map(Term::Bool).boxed(),
        Ty::F32 => f32_value().prop_map(f).boxed(),
        Ty::I8 => i8_value().prop_map(|x| int(x as i128, I8)).boxed(),
        Ty::U8 => u8_value().prop_map(|x| int(x as i128, U8)).boxed(),
    };
    prop_oneof![3 => vars, 1 => literal].boxed()
}

fn arith_op() -> impl Strategy<Value = ArithOp> {
    proptest::sample::select(vec![ArithOp::Add, ArithOp::Sub, ArithOp::Mul, ArithOp::Div])
}

fn cmp_op() -> impl Strategy<Value = CmpOp> {
    proptest::sample::select(vec![CmpOp::Eq, CmpOp::Ne, CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge])
}

/// A random term of type `ty`, at most `depth` operations deep.
fn term(ty: Ty, depth: u32) -> BoxedStrategy<Term> {
    if depth == 0 {
        return leaf(ty);
    }
    let sub = move |t: Ty| term(t, depth - 1);
    let node = match ty {
        Ty::Bool => prop_oneof![
            sub(Ty::Bool).prop_map(not),
            proptest::collection::vec(sub(Ty::Bool), 0..3).prop_map(Term::And),
            proptest::collection::vec(sub(Ty::Bool), 0..3).prop_map(Term::Or),
            (sub(Ty::Bool), sub(Ty::Bool)).prop_map(|(a, b)| implies(a, b)),
            (cmp_op(), sub(Ty::F32), sub(Ty::F32)).prop_map(|(op, a, b)| cmp(op, a, b)),
            (cmp_op(), sub(Ty::F32), sub(Ty::F32)).prop_map(|(op, a, b)| cmp(op, a, b)),
            (cmp_op(), sub(Ty::I8), sub(Ty::I8)).prop_map(|(op, a, b)| cmp(op, a, b)),
            (cmp_op(), sub(Ty::U8), sub(Ty::U8)).prop_map(|(op, a, b)| cmp(op, a, b)),
            (prop_oneof![Just(CmpOp::Eq), Just(CmpOp::Ne)], sub(Ty::Bool), sub(Ty::Bool))
                .prop_map(|(op, a, b)| cmp(op, a, b)),
            sub(Ty::F32).prop_map(is_nan),
            sub(Ty::F32).prop_map(is_inf),
            sub(Ty::F32).prop_map(finite),
        ]
        .boxed(),
        _ => prop_oneof![
            3 => (arith_op(), sub(ty), sub(ty)).prop_map(|(op, a, b)| arith(op, a, b)),
            1 => sub(ty).prop_map(neg),
            1 => sub(ty).prop_map(abs),
            2 => (sub(ty), sub(ty)).prop_map(|(a, b)| min(a, b)),
            2 => (sub(ty), sub(ty)).prop_map(|(a, b)| max(a, b)),
        ]
        .boxed(),
    };
    prop_oneof![1 => leaf(ty), 2 => node].boxed()
}

fn any_term() -> BoxedStrategy<Term> {
    prop_oneof![
        3 => term(Ty::Bool, 3),
        2 => term(Ty::F32, 2),
        1 => term(Ty::I8, 2),
        1 => term(Ty::U8, 2),
    ]
    .boxed()
}

fn assignment() -> impl Strategy<Value = Vec<(String, Value)>> {
    (f32_value(), f32_value(), i8_value(), i8_value(), u8_value(), u8_value(), any::<bool>(), any::<bool>()).prop_map(
        |(x, y, a, b, c, d, p, q)| {
            let i = |v: i8| Value::Int { value: v as u8 as u128, signed: true, bits: 8 };
            let u = |v: u8| Value::Int { value: v as u128, signed: false, bits: 8 };
            vec![
                ("a".to_owned(), i(a)),
                ("b".to_owned(), i(b)),
                ("c".to_owned(), u(c)),
                ("d".to_owned(), u(d)),
                ("p".to_owned(), Value::Bool(p)),
                ("q".to_owned(), Value::Bool(q)),
                ("x".to_owned(), Value::F32(x)),
                ("y".to_owned(), Value::F32(y)),
            ]
        },
    )
}

/// Floats to bit-vectors and Z3's SMT core, without propagating the pinned
/// values first: the bit-vector theory computes the term.
fn smt_core_solver() -> Solver {
    Tactic::new("simplify").and_then(&Tactic::new("fpa2bv")).and_then(&Tactic::new("smt")).solver()
}

/// No propagation of the pinned values before bit-blasting (`simplify`
/// rewrites each assertion alone; it is what fpa2bv and bit-blast expect):
/// the values reach the term only through the circuits.
fn bit_blasting_solver() -> Solver {
    let names = ["simplify", "fpa2bv", "simplify", "bit-blast", "sat"];
    let tactic = names[1..].iter().fold(Tactic::new(names[0]), |t, n| t.and_then(&Tactic::new(n)));
    tactic.solver()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn native_evaluation_agrees_with_z3(term in any_term(), values in assignment()) {
        let env = |name: &str| values.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
        let native = eval(&term, &env).expect("generated terms are well typed");
        let folded = smt::evaluate(&term, &values).expect("Z3 evaluates the term");
        prop_assert!(native.identical(&folded), "native {native} but Z3 (folded) {folded} for {term:?} at {values:?}");
        let blasted = smt::evaluate_in(&bit_blasting_solver(), &term, &values).expect("Z3 evaluates the term");
        prop_assert!(native.identical(&blasted), "native {native} but Z3 (bit-blasted) {blasted} for {term:?} at {values:?}");
        let smt_core = smt::evaluate_in(&smt_core_solver(), &term, &values).expect("Z3 evaluates the term");
        prop_assert!(native.identical(&smt_core), "native {native} but Z3 (SMT core) {smt_core} for {term:?} at {values:?}");
    }
}

/// Every pair of special values through every binary float operation, so
/// that rare combinations (`min(0.0, -0.0)`, `inf - inf`, `0.0 / -0.0`) are
/// always met, not just by chance.
#[test]
fn float_operations_agree_on_every_pair_of_special_values() {
    let values = [0.0f32, -0.0, 1.0, -1.5, f32::NAN, f32::INFINITY, f32::NEG_INFINITY, f32::from_bits(1), f32::MAX];
    type Op = fn(Term, Term) -> Term;
    let ops: [(&str, Op); 6] = [("min", min), ("max", max), ("+", add), ("-", sub), ("*", mul), ("/", div)];
    for (name, op) in ops {
        for a in values {
            for b in values {
                let term = op(x32("x"), x32("y"));
                let at = vec![("x".to_owned(), Value::F32(a)), ("y".to_owned(), Value::F32(b))];
                let env = |n: &str| at.iter().find(|(v, _)| v == n).map(|(_, v)| *v);
                let native = eval(&term, &env).unwrap();
                let folded = smt::evaluate(&term, &at).unwrap();
                assert!(native.identical(&folded), "{a:?} {name} {b:?}: native {native}, Z3 (folded) {folded}");
                if matches!(name, "min" | "max") {
                    let blasted = smt::evaluate_in(&bit_blasting_solver(), &term, &at).unwrap();
                    assert!(
                        native.identical(&blasted),
                        "{a:?} {name} {b:?}: native {native}, Z3 (bit-blasted) {blasted}"
                    );
                }
            }
        }
    }
}
