//! Typed contract terms: what a contract means once names are resolved,
//! named predicates expanded, record fields flattened into scalar variables
//! and literals given their exact machine value. Both backends read this:
//! [`crate::smt`] (Z3) and [`crate::eval`] (native Rust arithmetic, used to
//! re-check every counterexample Z3 gives).
//!
//! # Meaning of each operation
//!
//! Floats are IEEE 754 binary32/binary64, rounding to nearest, ties to
//! even, as Rust's `f32`/`f64` arithmetic:
//!
//! - `==`, `<`, `<=`, `>`, `>=` are IEEE comparisons: false whenever an
//!   operand is NaN; `-0.0 == 0.0`. `a != b` is `!(a == b)`, so true when
//!   either is NaN.
//! - `finite(x)`: neither NaN nor infinite. `is_nan(x)`, `is_inf(x)` (either sign).
//! - `in_range(x, lo, hi)` is `lo <= x && x <= hi` (false on NaN);
//!   `in_range(lo, hi)` is `in_range(value, lo, hi)`.
//! - `abs(x)` clears the sign bit: `abs(-0.0) = 0.0`, `abs(NaN) = NaN`.
//! - `min(a, b)`: NaN only if both are NaN (a NaN operand is ignored); of
//!   `-0.0` and `0.0` it is `-0.0`; otherwise the smaller. `max` mirrors it
//!   (`max(-0.0, 0.0) = 0.0`). This is IEEE 754-2019 `minimumNumber` /
//!   `maximumNumber`.
//! - `clamp(x, lo, hi)` is `min(max(x, lo), hi)`: a NaN `x` gives `lo`.
//!
//! Integers `Int<N>` and `UInt<N>` are N-bit two's-complement bit-vectors:
//! `+ - *` wrap, `/` truncates toward zero (signed) or is unsigned division;
//! division by zero follows SMT-LIB (`x / 0` is all ones for unsigned, and
//! for signed `-1` when x >= 0, `1` when x < 0). `abs` of the minimum
//! signed value is itself; `min`, `max` compare by the type's order.

use serde::{Deserialize, Serialize};
use std::fmt;

/// IEEE binary floating-point widths.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum FloatWidth {
    F32,
    F64,
}

/// The type of a term or a scalar variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Scalar {
    Bool,
    /// `Int<bits>` (signed) or `UInt<bits>`, 1 <= bits <= 128.
    Int { signed: bool, bits: u32 },
    Float(FloatWidth),
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Bool => f.write_str("Bool"),
            Scalar::Int { signed: true, bits } => write!(f, "Int<{bits}>"),
            Scalar::Int { signed: false, bits } => write!(f, "UInt<{bits}>"),
            Scalar::Float(FloatWidth::F32) => f.write_str("Float<32>"),
            Scalar::Float(FloatWidth::F64) => f.write_str("Float<64>"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// A typed term. Operands of a comparison or arithmetic have the same
/// [`Scalar`] type (the checker guarantees it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Term {
    Bool(bool),
    /// A bit-vector literal: `value` is the bit pattern in the low `bits`.
    Int { value: u128, signed: bool, bits: u32 },
    /// A float literal as its exact bits (`f32::to_bits` widened, or `f64::to_bits`).
    Float { bits: u64, width: FloatWidth },
    /// A scalar variable: a port (`dt`) or a flattened record field
    /// (`config.out_min`).
    Var { name: String, ty: Scalar },
    Not(Box<Term>),
    And(Vec<Term>),
    Or(Vec<Term>),
    Implies(Box<Term>, Box<Term>),
    Cmp(CmpOp, Box<Term>, Box<Term>),
    Arith(ArithOp, Box<Term>, Box<Term>),
    Neg(Box<Term>),
    IsNan(Box<Term>),
    IsInf(Box<Term>),
    Finite(Box<Term>),
    Abs(Box<Term>),
    Min(Box<Term>, Box<Term>),
    Max(Box<Term>, Box<Term>),
}

impl Term {
    /// The term's type.
    pub fn ty(&self) -> Scalar {
        match self {
            Term::Bool(_)
            | Term::Not(_)
            | Term::And(_)
            | Term::Or(_)
            | Term::Implies(..)
            | Term::Cmp(..)
            | Term::IsNan(_)
            | Term::IsInf(_)
            | Term::Finite(_) => Scalar::Bool,
            Term::Int { signed, bits, .. } => Scalar::Int { signed: *signed, bits: *bits },
            Term::Float { width, .. } => Scalar::Float(*width),
            Term::Var { ty, .. } => *ty,
            Term::Arith(_, a, _) | Term::Neg(a) | Term::Abs(a) | Term::Min(a, _) | Term::Max(a, _) => a.ty(),
        }
    }

    /// Every variable the term mentions, with its type, each once, in
    /// first-occurrence order.
    pub fn vars(&self) -> Vec<(String, Scalar)> {
        let mut out: Vec<(String, Scalar)> = Vec::new();
        self.visit_vars(&mut |name, ty| {
            if !out.iter().any(|(n, _)| n == name) {
                out.push((name.to_owned(), ty));
            }
        });
        out
    }

    fn visit_vars(&self, f: &mut impl FnMut(&str, Scalar)) {
        match self {
            Term::Var { name, ty } => f(name, *ty),
            Term::Bool(_) | Term::Int { .. } | Term::Float { .. } => {}
            Term::Not(a) | Term::Neg(a) | Term::IsNan(a) | Term::IsInf(a) | Term::Finite(a) | Term::Abs(a) => {
                a.visit_vars(f)
            }
            Term::And(terms) | Term::Or(terms) => terms.iter().for_each(|t| t.visit_vars(f)),
            Term::Implies(a, b) | Term::Cmp(_, a, b) | Term::Arith(_, a, b) | Term::Min(a, b) | Term::Max(a, b) => {
                a.visit_vars(f);
                b.visit_vars(f);
            }
        }
    }

    /// The same term with every variable renamed by `rename` (used to put
    /// two modules' ports into one namespace: `output` -> `torc-pid.output`).
    pub fn rename(&self, rename: &impl Fn(&str) -> String) -> Term {
        let r = |t: &Term| Box::new(t.rename(rename));
        match self {
            Term::Var { name, ty } => Term::Var { name: rename(name), ty: *ty },
            Term::Bool(_) | Term::Int { .. } | Term::Float { .. } => self.clone(),
            Term::Not(a) => Term::Not(r(a)),
            Term::Neg(a) => Term::Neg(r(a)),
            Term::IsNan(a) => Term::IsNan(r(a)),
            Term::IsInf(a) => Term::IsInf(r(a)),
            Term::Finite(a) => Term::Finite(r(a)),
            Term::Abs(a) => Term::Abs(r(a)),
            Term::And(terms) => Term::And(terms.iter().map(|t| t.rename(rename)).collect()),
            Term::Or(terms) => Term::Or(terms.iter().map(|t| t.rename(rename)).collect()),
            Term::Implies(a, b) => Term::Implies(r(a), r(b)),
            Term::Cmp(op, a, b) => Term::Cmp(*op, r(a), r(b)),
            Term::Arith(op, a, b) => Term::Arith(*op, r(a), r(b)),
            Term::Min(a, b) => Term::Min(r(a), r(b)),
            Term::Max(a, b) => Term::Max(r(a), r(b)),
        }
    }
}

/// A concrete value of a scalar type: a counterexample's assignment, a
/// port's default, the result of native evaluation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    Bool(bool),
    /// The bit pattern in the low `bits`.
    Int { value: u128, signed: bool, bits: u32 },
    F32(f32),
    F64(f64),
}

impl Value {
    pub fn ty(&self) -> Scalar {
        match self {
            Value::Bool(_) => Scalar::Bool,
            Value::Int { signed, bits, .. } => Scalar::Int { signed: *signed, bits: *bits },
            Value::F32(_) => Scalar::Float(FloatWidth::F32),
            Value::F64(_) => Scalar::Float(FloatWidth::F64),
        }
    }

    /// The value as a literal term.
    pub fn to_term(self) -> Term {
        match self {
            Value::Bool(b) => Term::Bool(b),
            Value::Int { value, signed, bits } => Term::Int { value, signed, bits },
            Value::F32(x) => Term::Float { bits: x.to_bits() as u64, width: FloatWidth::F32 },
            Value::F64(x) => Term::Float { bits: x.to_bits(), width: FloatWidth::F64 },
        }
    }
}

/// How people read values: `1.5`, `-0.0`, `NaN`, `inf`, `-inf`, `true`,
/// `-3` (signed integers as signed).
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn float(f: &mut fmt::Formatter<'_>, x: f64, debug: String) -> fmt::Result {
            if x.is_nan() {
                f.write_str("NaN")
            } else if x.is_infinite() {
                f.write_str(if x > 0.0 { "inf" } else { "-inf" })
            } else {
                // `{:?}` is the shortest representation that reads back exactly.
                f.write_str(&debug)
            }
        }
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int { value, signed: false, .. } => write!(f, "{value}"),
            Value::Int { value, signed: true, bits } => {
                let shift = 128 - bits;
                write!(f, "{}", ((*value << shift) as i128) >> shift)
            }
            Value::F32(x) => float(f, *x as f64, format!("{x:?}")),
            Value::F64(x) => float(f, *x, format!("{x:?}")),
        }
    }
}

impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}
