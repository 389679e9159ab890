//! Hand-built terms and interfaces for the tests: a few constructors that
//! read close to the contract language (`gt(v(), f(0.0))` is `v > 0.0`).
#![allow(dead_code)]

use torc_contracts::interface::{Direction, Interface, Port, PortType};
use torc_contracts::term::{ArithOp, CmpOp, FloatWidth, Scalar, Term, Value};

pub const F32: Scalar = Scalar::Float(FloatWidth::F32);
pub const F64: Scalar = Scalar::Float(FloatWidth::F64);
pub const I8: Scalar = Scalar::Int { signed: true, bits: 8 };
pub const U8: Scalar = Scalar::Int { signed: false, bits: 8 };
pub const U16: Scalar = Scalar::Int { signed: false, bits: 16 };
pub const I32: Scalar = Scalar::Int { signed: true, bits: 32 };

pub fn var(name: &str, ty: Scalar) -> Term {
    Term::Var { name: name.to_owned(), ty }
}

/// A Float<32> variable.
pub fn x32(name: &str) -> Term {
    var(name, F32)
}

/// A Float<32> literal.
pub fn f(x: f32) -> Term {
    Value::F32(x).to_term()
}

pub fn f64l(x: f64) -> Term {
    Value::F64(x).to_term()
}

pub fn int(value: i128, ty: Scalar) -> Term {
    let Scalar::Int { signed, bits } = ty else { panic!("not an integer type") };
    let mask = if bits == 128 { u128::MAX } else { (1u128 << bits) - 1 };
    Term::Int { value: (value as u128) & mask, signed, bits }
}

fn b(t: Term) -> Box<Term> {
    Box::new(t)
}

pub fn cmp(op: CmpOp, a: Term, c: Term) -> Term {
    Term::Cmp(op, b(a), b(c))
}
pub fn eq(a: Term, c: Term) -> Term {
    cmp(CmpOp::Eq, a, c)
}
pub fn ne(a: Term, c: Term) -> Term {
    cmp(CmpOp::Ne, a, c)
}
pub fn lt(a: Term, c: Term) -> Term {
    cmp(CmpOp::Lt, a, c)
}
pub fn le(a: Term, c: Term) -> Term {
    cmp(CmpOp::Le, a, c)
}
pub fn gt(a: Term, c: Term) -> Term {
    cmp(CmpOp::Gt, a, c)
}
pub fn ge(a: Term, c: Term) -> Term {
    cmp(CmpOp::Ge, a, c)
}
pub fn arith(op: ArithOp, a: Term, c: Term) -> Term {
    Term::Arith(op, b(a), b(c))
}
pub fn add(a: Term, c: Term) -> Term {
    arith(ArithOp::Add, a, c)
}
pub fn sub(a: Term, c: Term) -> Term {
    arith(ArithOp::Sub, a, c)
}
pub fn mul(a: Term, c: Term) -> Term {
    arith(ArithOp::Mul, a, c)
}
pub fn div(a: Term, c: Term) -> Term {
    arith(ArithOp::Div, a, c)
}
pub fn and(terms: impl IntoIterator<Item = Term>) -> Term {
    Term::And(terms.into_iter().collect())
}
pub fn or(terms: impl IntoIterator<Item = Term>) -> Term {
    Term::Or(terms.into_iter().collect())
}
pub fn not(a: Term) -> Term {
    Term::Not(b(a))
}
pub fn implies(a: Term, c: Term) -> Term {
    Term::Implies(b(a), b(c))
}
pub fn neg(a: Term) -> Term {
    Term::Neg(b(a))
}
pub fn abs(a: Term) -> Term {
    Term::Abs(b(a))
}
pub fn min(a: Term, c: Term) -> Term {
    Term::Min(b(a), b(c))
}
pub fn max(a: Term, c: Term) -> Term {
    Term::Max(b(a), b(c))
}
pub fn is_nan(a: Term) -> Term {
    Term::IsNan(b(a))
}
pub fn is_inf(a: Term) -> Term {
    Term::IsInf(b(a))
}
pub fn finite(a: Term) -> Term {
    Term::Finite(b(a))
}
/// `in_range(x, lo, hi)`.
pub fn in_range(x: Term, lo: Term, hi: Term) -> Term {
    and([le(lo, x.clone()), le(x, hi)])
}

/// A scalar port.
pub fn port(name: &str, direction: Direction, ty: Scalar, contract: Term) -> Port {
    Port {
        name: name.to_owned(),
        direction,
        ty: PortType::Scalar(ty),
        contract_text: format!("{contract:?}"),
        contract,
        default: None,
    }
}

pub fn input(name: &str, ty: Scalar, contract: Term) -> Port {
    port(name, Direction::Input, ty, contract)
}

pub fn output(name: &str, ty: Scalar, contract: Term) -> Port {
    port(name, Direction::Output, ty, contract)
}

/// A record port whose fields are `name.field`.
pub fn record(name: &str, direction: Direction, ty: &str, fields: &[(&str, Scalar)], contract: Term) -> Port {
    Port {
        name: name.to_owned(),
        direction,
        ty: PortType::Record { name: ty.to_owned(), fields: fields.iter().map(|(f, s)| (f.to_string(), *s)).collect() },
        contract_text: format!("{contract:?}"),
        contract,
        default: None,
    }
}

pub fn interface(ports: Vec<Port>) -> Interface {
    Interface { ports }
}

/// Special Float<32> values every float test should meet.
pub fn special_f32() -> Vec<f32> {
    vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        f32::NAN,
        -f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MAX,
        f32::MIN,
        f32::MIN_POSITIVE,
        -f32::MIN_POSITIVE,
        f32::from_bits(1),           // smallest subnormal
        -f32::from_bits(1),          // its negative
        f32::from_bits(0x007f_ffff), // largest subnormal
        f32::EPSILON,
        1.0 + f32::EPSILON,
        0.1,
        -3.5e-30,
        16_777_217.0,
    ]
}

pub fn special_f64() -> Vec<f64> {
    vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE,
        f64::from_bits(1),
        f64::from_bits(0x000f_ffff_ffff_ffff),
        f64::EPSILON,
        0.1,
        1e300,
        -2.5e-310,
    ]
}

/// A checked interface from manifest-like text: `(name, type, contract)`
/// for inputs and outputs (an input may carry a default after a `=`:
/// `"Float<32> = 0.5"` as its type).
pub fn checked(inputs: &[(&str, &str, &str)], outputs: &[(&str, &str, &str)]) -> Interface {
    checked_with(&[], &[], inputs, outputs)
}

/// [`checked`] with record types and named predicates.
pub fn checked_with(
    types: &[(&str, &[(&str, &str)])],
    predicates: &[(&str, &str)],
    inputs: &[(&str, &str, &str)],
    outputs: &[(&str, &str, &str)],
) -> Interface {
    use torc_contracts::interface::{InterfaceSpec, PortSpec};
    let port = |(name, ty, contract): &(&str, &str, &str)| {
        let (ty, default) = match ty.split_once(" = ") {
            Some((ty, default)) => (ty, Some(default.to_owned())),
            None => (*ty, None),
        };
        PortSpec { name: name.to_string(), ty: ty.to_owned(), contract: contract.to_string(), default }
    };
    let spec = InterfaceSpec {
        types: types
            .iter()
            .map(|(n, fields)| (n.to_string(), fields.iter().map(|(f, t)| (f.to_string(), t.to_string())).collect()))
            .collect(),
        predicates: predicates.iter().map(|(n, b)| (n.to_string(), b.to_string())).collect(),
        inputs: inputs.iter().map(port).collect(),
        outputs: outputs.iter().map(port).collect(),
    };
    match Interface::check(&spec) {
        Ok(interface) => interface,
        Err(errors) => panic!("{}", errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")),
    }
}

/// A checked Bool formula over typed variables.
pub fn formula(text: &str, vars: &[(&str, Scalar)]) -> Term {
    let vars: Vec<(String, Scalar)> = vars.iter().map(|(n, s)| (n.to_string(), *s)).collect();
    torc_contracts::check::check_formula(text, &vars).unwrap_or_else(|e| panic!("`{text}`: {e}"))
}
