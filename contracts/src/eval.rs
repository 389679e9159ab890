//! Native evaluation of a [`Term`] with Rust's own arithmetic: `f32`/`f64`
//! (IEEE 754, round to nearest, ties to even, subnormals kept) and wrapping
//! `u128` arithmetic masked to the type's width. It implements the meaning
//! [`crate::term`] defines, independently of Z3: every counterexample Z3
//! gives is re-checked here, and the property tests compare the two.
//!
//! Evaluation is strict (every operand is evaluated, `&&` does not
//! short-circuit), so an ill-typed or unbound operand is always reported,
//! whatever the other operands' values. It never panics.
//!
//! ```
//! use torc_contracts::eval::eval;
//! use torc_contracts::term::{CmpOp, FloatWidth, Scalar, Term, Value};
//!
//! // `v > 0.0` at v = NaN is false (IEEE comparison).
//! let v = Term::Var { name: "v".into(), ty: Scalar::Float(FloatWidth::F32) };
//! let zero = Value::F32(0.0).to_term();
//! let positive = Term::Cmp(CmpOp::Gt, Box::new(v), Box::new(zero));
//! let env = |name: &str| (name == "v").then_some(Value::F32(f32::NAN));
//! assert_eq!(eval(&positive, &env), Ok(Value::Bool(false)));
//! ```

use crate::term::{ArithOp, CmpOp, FloatWidth, Term, Value};
use std::cmp::Ordering;

/// Why a term has no value: the environment lacks a variable, or the term
/// is not well typed (the checker never produces such terms; a hand-built
/// one may).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("variable `{0}` has no value")]
    Unbound(String),
    #[error("type mismatch: {0}")]
    TypeMismatch(String),
}

/// The value of `term` when each variable has the value `env` gives it.
pub fn eval(term: &Term, env: &impl Fn(&str) -> Option<Value>) -> Result<Value, EvalError> {
    Evaluator { env }.eval(term)
}

impl Value {
    /// The same value, bit for bit, except that every NaN is the same NaN
    /// (SMT-LIB has a single NaN per format, and Rust leaves the payload of
    /// an arithmetic NaN unspecified). `-0.0` and `0.0` differ; use this,
    /// not `==`, to compare evaluation results.
    pub fn identical(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::F32(a), Value::F32(b)) => (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits(),
            (Value::F64(a), Value::F64(b)) => (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits(),
            (Value::Int { .. }, Value::Int { .. }) => self.ty() == other.ty() && int_bits(self) == int_bits(other),
            (Value::Bool(a), Value::Bool(b)) => a == b,
            _ => false,
        }
    }
}

fn int_bits(v: &Value) -> u128 {
    match *v {
        Value::Int { value, bits, .. } => value & mask(bits),
        _ => 0,
    }
}

/// The low `bits` bits set.
pub(crate) fn mask(bits: u32) -> u128 {
    if bits >= 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    }
}

/// The bit pattern `value` (low `bits`) read as a two's-complement number.
fn signed(value: u128, bits: u32) -> i128 {
    let shift = 128 - bits;
    ((value << shift) as i128) >> shift
}

struct Evaluator<'a, E> {
    env: &'a E,
}

/// A float operation applied the same way to both widths.
trait Ieee: Copy + PartialOrd {
    fn is_nan(self) -> bool;
    fn is_zero(self) -> bool;
    fn is_sign_negative(self) -> bool;
    fn arith(self, op: ArithOp, other: Self) -> Self;
}

macro_rules! ieee {
    ($t:ty) => {
        impl Ieee for $t {
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            fn is_zero(self) -> bool {
                self == 0.0
            }
            fn is_sign_negative(self) -> bool {
                <$t>::is_sign_negative(self)
            }
            fn arith(self, op: ArithOp, other: Self) -> Self {
                match op {
                    ArithOp::Add => self + other,
                    ArithOp::Sub => self - other,
                    ArithOp::Mul => self * other,
                    ArithOp::Div => self / other,
                }
            }
        }
    };
}
ieee!(f32);
ieee!(f64);

/// IEEE 754-2019 `minimumNumber` (`max = false`) or `maximumNumber`: a NaN
/// operand is ignored, and `-0.0 < 0.0`.
fn min_max<F: Ieee>(a: F, b: F, max: bool) -> F {
    if a.is_nan() {
        return b;
    }
    if b.is_nan() {
        return a;
    }
    if a.is_zero() && b.is_zero() {
        // Of two zeros, min is the negative one and max the positive one.
        return if a.is_sign_negative() != max { a } else { b };
    }
    let a_first = if max { a > b } else { a < b };
    if a_first {
        a
    } else {
        b
    }
}

fn float_cmp<F: Ieee>(op: CmpOp, a: F, b: F) -> bool {
    match op {
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
    }
}

fn order_holds(op: CmpOp, ord: Ordering) -> bool {
    match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
    }
}

/// An integer operand: its bit pattern (masked), signedness and width.
#[derive(Clone, Copy)]
struct Bits {
    value: u128,
    signed: bool,
    bits: u32,
}

impl Bits {
    fn value(self, value: u128) -> Value {
        Value::Int { value: value & mask(self.bits), signed: self.signed, bits: self.bits }
    }

    fn as_signed(self) -> i128 {
        signed(self.value, self.bits)
    }

    fn is_negative(self) -> bool {
        self.signed && self.as_signed() < 0
    }

    fn cmp(self, other: Bits) -> Ordering {
        if self.signed {
            self.as_signed().cmp(&other.as_signed())
        } else {
            self.value.cmp(&other.value)
        }
    }

    fn arith(self, op: ArithOp, other: Bits) -> Value {
        let (a, b) = (self.value, other.value);
        let result = match op {
            ArithOp::Add => a.wrapping_add(b),
            ArithOp::Sub => a.wrapping_sub(b),
            ArithOp::Mul => a.wrapping_mul(b),
            // SMT-LIB: bvudiv by zero is all ones; bvsdiv by zero is -1 for
            // a non-negative dividend and 1 for a negative one.
            ArithOp::Div if b == 0 => {
                if self.is_negative() {
                    1
                } else {
                    u128::MAX
                }
            }
            ArithOp::Div if self.signed => self.as_signed().wrapping_div(other.as_signed()) as u128,
            ArithOp::Div => a / b,
        };
        self.value(result)
    }
}

fn describe(v: &Value) -> String {
    format!("{} `{v}`", v.ty())
}

impl<E: Fn(&str) -> Option<Value>> Evaluator<'_, E> {
    fn eval(&self, term: &Term) -> Result<Value, EvalError> {
        Ok(match term {
            Term::Bool(b) => Value::Bool(*b),
            Term::Int { value, signed, bits } => {
                check_width(*bits)?;
                Value::Int { value: value & mask(*bits), signed: *signed, bits: *bits }
            }
            Term::Float { bits, width: FloatWidth::F32 } => {
                let low = u32::try_from(*bits).map_err(|_| {
                    EvalError::TypeMismatch(format!("Float<32> literal with bit pattern {bits:#x} wider than 32 bits"))
                })?;
                Value::F32(f32::from_bits(low))
            }
            Term::Float { bits, width: FloatWidth::F64 } => Value::F64(f64::from_bits(*bits)),
            Term::Var { name, ty } => {
                let value = (self.env)(name).ok_or_else(|| EvalError::Unbound(name.clone()))?;
                if value.ty() != *ty {
                    return Err(EvalError::TypeMismatch(format!(
                        "variable `{name}` is {ty} but its value is {}",
                        describe(&value)
                    )));
                }
                match value {
                    Value::Int { value, signed, bits } => {
                        check_width(bits)?;
                        Value::Int { value: value & mask(bits), signed, bits }
                    }
                    other => other,
                }
            }
            Term::Not(a) => Value::Bool(!self.boolean(a)?),
            Term::And(terms) => {
                let mut all = true;
                for t in terms {
                    all &= self.boolean(t)?;
                }
                Value::Bool(all)
            }
            Term::Or(terms) => {
                let mut any = false;
                for t in terms {
                    any |= self.boolean(t)?;
                }
                Value::Bool(any)
            }
            Term::Implies(a, b) => {
                let (a, b) = (self.boolean(a)?, self.boolean(b)?);
                Value::Bool(!a || b)
            }
            Term::Cmp(op, a, b) => Value::Bool(self.compare(*op, a, b)?),
            Term::Arith(op, a, b) => match self.pair(a, b, "arithmetic")? {
                (Value::F32(x), Value::F32(y)) => Value::F32(x.arith(*op, y)),
                (Value::F64(x), Value::F64(y)) => Value::F64(x.arith(*op, y)),
                (x @ Value::Int { .. }, y @ Value::Int { .. }) => bits(&x).arith(*op, bits(&y)),
                (x, _) => return Err(mismatch("arithmetic", &x)),
            },
            Term::Neg(a) => match self.eval(a)? {
                Value::F32(x) => Value::F32(-x),
                Value::F64(x) => Value::F64(-x),
                x @ Value::Int { .. } => {
                    let x = bits(&x);
                    x.value(x.value.wrapping_neg())
                }
                x => return Err(mismatch("negation", &x)),
            },
            Term::Abs(a) => match self.eval(a)? {
                Value::F32(x) => Value::F32(x.abs()),
                Value::F64(x) => Value::F64(x.abs()),
                x @ Value::Int { .. } => {
                    let x = bits(&x);
                    // abs of the minimum signed value wraps to itself.
                    x.value(if x.is_negative() { x.value.wrapping_neg() } else { x.value })
                }
                x => return Err(mismatch("abs", &x)),
            },
            Term::IsNan(a) => Value::Bool(self.float_test(a, "is_nan", f32::is_nan, f64::is_nan)?),
            Term::IsInf(a) => Value::Bool(self.float_test(a, "is_inf", f32::is_infinite, f64::is_infinite)?),
            Term::Finite(a) => Value::Bool(self.float_test(a, "finite", f32::is_finite, f64::is_finite)?),
            Term::Min(a, b) | Term::Max(a, b) => {
                let max = matches!(term, Term::Max(..));
                let what = if max { "max" } else { "min" };
                match self.pair(a, b, what)? {
                    (Value::F32(x), Value::F32(y)) => Value::F32(min_max(x, y, max)),
                    (Value::F64(x), Value::F64(y)) => Value::F64(min_max(x, y, max)),
                    (x @ Value::Int { .. }, y @ Value::Int { .. }) => {
                        let (x, y) = (bits(&x), bits(&y));
                        let y_wins = if max { y.cmp(x).is_gt() } else { y.cmp(x).is_lt() };
                        if y_wins {
                            y.value(y.value)
                        } else {
                            x.value(x.value)
                        }
                    }
                    (x, _) => return Err(mismatch(what, &x)),
                }
            }
        })
    }

    fn boolean(&self, term: &Term) -> Result<bool, EvalError> {
        match self.eval(term)? {
            Value::Bool(b) => Ok(b),
            other => Err(EvalError::TypeMismatch(format!("expected Bool, found {}", describe(&other)))),
        }
    }

    /// Both operands, which must have the same type.
    fn pair(&self, a: &Term, b: &Term, what: &str) -> Result<(Value, Value), EvalError> {
        let (x, y) = (self.eval(a)?, self.eval(b)?);
        if x.ty() != y.ty() {
            return Err(EvalError::TypeMismatch(format!(
                "operands of {what} differ in type: {} and {}",
                describe(&x),
                describe(&y)
            )));
        }
        Ok((x, y))
    }

    fn compare(&self, op: CmpOp, a: &Term, b: &Term) -> Result<bool, EvalError> {
        Ok(match self.pair(a, b, "a comparison")? {
            (Value::F32(x), Value::F32(y)) => float_cmp(op, x, y),
            (Value::F64(x), Value::F64(y)) => float_cmp(op, x, y),
            (x @ Value::Int { .. }, y @ Value::Int { .. }) => order_holds(op, bits(&x).cmp(bits(&y))),
            (Value::Bool(x), Value::Bool(y)) if matches!(op, CmpOp::Eq | CmpOp::Ne) => (x == y) == (op == CmpOp::Eq),
            (x, _) => return Err(mismatch("an ordering comparison", &x)),
        })
    }

    fn float_test(
        &self,
        a: &Term,
        what: &str,
        f32_test: fn(f32) -> bool,
        f64_test: fn(f64) -> bool,
    ) -> Result<bool, EvalError> {
        match self.eval(a)? {
            Value::F32(x) => Ok(f32_test(x)),
            Value::F64(x) => Ok(f64_test(x)),
            x => Err(mismatch(what, &x)),
        }
    }
}

fn bits(v: &Value) -> Bits {
    match *v {
        Value::Int { value, signed, bits } => Bits { value: value & mask(bits), signed, bits },
        _ => Bits { value: 0, signed: false, bits: 1 },
    }
}

fn check_width(bits: u32) -> Result<(), EvalError> {
    if (1..=128).contains(&bits) {
        Ok(())
    } else {
        Err(EvalError::TypeMismatch(format!("integer width {bits} is outside 1..=128")))
    }
}

fn mismatch(what: &str, operand: &Value) -> EvalError {
    EvalError::TypeMismatch(format!("{what} is not defined on {}", describe(operand)))
}
