//! The Z3 encoding of a [`Term`], and the way back from a Z3 model to
//! [`Value`]s.
//!
//! Every scalar type has an exact Z3 sort, never an approximation:
//! `Float<32>` is the floating-point sort with 8 exponent and 24
//! significand bits, `Float<64>` 11 and 53 (IEEE binary32/binary64, the
//! same values as Rust's `f32`/`f64`, NaN being a single value), arithmetic
//! rounds to nearest, ties to even; `Int<N>` and `UInt<N>` are N-bit
//! bit-vectors with signed or unsigned comparisons and division; `Bool` is
//! Bool. The operations mean what [`crate::term`] says, in particular
//! `min`/`max` are written out with `ite` (IEEE 754-2019 `minimumNumber` /
//! `maximumNumber`, `-0.0 < 0.0`) because SMT-LIB's `fp.min`/`fp.max` leave
//! the sign of a zero result unspecified.
//!
//! Z3 objects live in the thread's own Z3 context (the `z3` crate's
//! implicit thread-local context): encode, solve and decode on one thread.
//!
//! Decoding a float from a model: `is_nan` is evaluated in the model first
//! (NaN decodes to the canonical NaN, since SMT-LIB's `fp.to_ieee_bv` is
//! unspecified on NaN); any other value is read exactly as its IEEE bit
//! pattern by evaluating `fp.to_ieee_bv` in the model, which keeps `±0.0`,
//! `±inf` and subnormals exact.

use crate::term::{ArithOp, CmpOp, FloatWidth, Scalar, Term, Value};
use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex};
use std::time::Duration;
use z3::ast::{Ast, Bool, Dynamic, Float, BV};
use z3::{Context, Model, SatResult, Solver, Sort, Tactic};

/// Why a term cannot be encoded: it is not well typed, or one name stands
/// for variables of two types.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("type mismatch: {0}")]
    TypeMismatch(String),
    #[error("variable `{name}` is used both as {first} and as {second}")]
    Conflict { name: String, first: Scalar, second: Scalar },
    #[error("Z3 refused {0}")]
    Z3(String),
}

/// A term encoded in Z3, with its type.
#[derive(Clone, Debug)]
pub enum Encoded {
    Bool(Bool),
    Int { bv: BV, signed: bool, bits: u32 },
    Float { fp: Float, width: FloatWidth },
}

impl Encoded {
    pub fn ty(&self) -> Scalar {
        match self {
            Encoded::Bool(_) => Scalar::Bool,
            Encoded::Int { signed, bits, .. } => Scalar::Int { signed: *signed, bits: *bits },
            Encoded::Float { width, .. } => Scalar::Float(*width),
        }
    }

    pub fn to_dynamic(&self) -> Dynamic {
        match self {
            Encoded::Bool(b) => Dynamic::from(b),
            Encoded::Int { bv, .. } => Dynamic::from(bv),
            Encoded::Float { fp, .. } => Dynamic::from(fp),
        }
    }

    /// Z3's `=`: the same value, bit for bit (so `-0.0 != 0.0` and NaN
    /// equals NaN), unlike the contract language's IEEE `==`.
    pub fn identical(&self, other: &Encoded) -> Result<Bool, EncodeError> {
        Ok(match (self, other) {
            (Encoded::Bool(a), Encoded::Bool(b)) => a.eq(b),
            (Encoded::Int { bv: a, .. }, Encoded::Int { bv: b, .. }) if self.ty() == other.ty() => a.eq(b),
            (Encoded::Float { fp: a, .. }, Encoded::Float { fp: b, .. }) if self.ty() == other.ty() => a.eq(b),
            _ => return Err(operands_differ("=", self.ty(), other.ty())),
        })
    }
}

/// The Z3 constants of one query: one per variable name, with its sort.
#[derive(Clone, Debug, Default)]
pub struct Vars {
    consts: BTreeMap<String, Encoded>,
}

impl Vars {
    pub fn new() -> Vars {
        Vars::default()
    }

    /// The constant for `name`, created on first use.
    pub fn declare(&mut self, name: &str, ty: Scalar) -> Result<Encoded, EncodeError> {
        if let Some(existing) = self.consts.get(name) {
            if existing.ty() != ty {
                return Err(EncodeError::Conflict { name: name.to_owned(), first: existing.ty(), second: ty });
            }
            return Ok(existing.clone());
        }
        let constant = match ty {
            Scalar::Bool => Encoded::Bool(Bool::new_const(name)),
            Scalar::Int { signed, bits } => {
                check_width(bits)?;
                Encoded::Int { bv: BV::new_const(name, bits), signed, bits }
            }
            Scalar::Float(width) => {
                let (ebits, sbits) = float_format(width);
                Encoded::Float { fp: Float::new_const(name, ebits, sbits), width }
            }
        };
        self.consts.insert(name.to_owned(), constant.clone());
        Ok(constant)
    }

    pub fn get(&self, name: &str) -> Option<&Encoded> {
        self.consts.get(name)
    }

    /// Every constant, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Encoded)> {
        self.consts.iter().map(|(name, e)| (name.as_str(), e))
    }

    pub fn len(&self) -> usize {
        self.consts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.consts.is_empty()
    }
}

/// `(exponent bits, significand bits including the hidden one)`.
fn float_format(width: FloatWidth) -> (u32, u32) {
    match width {
        FloatWidth::F32 => (8, 24),
        FloatWidth::F64 => (11, 53),
    }
}

/// The Z3 sort of a scalar type.
pub fn sort(ty: Scalar) -> Sort {
    match ty {
        Scalar::Bool => Sort::bool(),
        Scalar::Int { bits, .. } => Sort::bitvector(bits),
        Scalar::Float(FloatWidth::F32) => Sort::float32(),
        Scalar::Float(FloatWidth::F64) => Sort::double(),
    }
}

fn check_width(bits: u32) -> Result<(), EncodeError> {
    if (1..=128).contains(&bits) {
        Ok(())
    } else {
        Err(EncodeError::TypeMismatch(format!("integer width {bits} is outside 1..=128")))
    }
}

fn operands_differ(what: &str, a: Scalar, b: Scalar) -> EncodeError {
    EncodeError::TypeMismatch(format!("operands of {what} differ in type: {a} and {b}"))
}

fn not_defined(what: &str, ty: Scalar) -> EncodeError {
    EncodeError::TypeMismatch(format!("{what} is not defined on {ty}"))
}

/// A float with exactly the IEEE bit pattern `bits` (any NaN pattern is
/// Z3's NaN).
pub fn float_literal(bits: u64, width: FloatWidth) -> Result<Float, EncodeError> {
    let size = match width {
        FloatWidth::F32 => {
            if bits > u64::from(u32::MAX) {
                return Err(EncodeError::TypeMismatch(format!(
                    "Float<32> literal with bit pattern {bits:#x} wider than 32 bits"
                )));
            }
            32
        }
        FloatWidth::F64 => 64,
    };
    let pattern = BV::from_u64(bits, size);
    let sort = sort(Scalar::Float(width));
    let ctx = Context::thread_local();
    // SAFETY: every pointer comes from a live object of this thread's
    // context; `fp.to_fp` of a bit-vector whose size is ebits + sbits (as
    // here) is well sorted. A null result is turned into an error.
    let ast = unsafe { z3_sys::Z3_mk_fpa_to_fp_bv(ctx.get_z3_context(), pattern.get_z3_ast(), sort.get_z3_sort()) }
        .ok_or_else(|| EncodeError::Z3(format!("the float literal {bits:#x}")))?;
    // SAFETY: `ast` is a valid, non-null AST of `ctx` (just created).
    Ok(unsafe { Float::wrap(&ctx, ast) })
}

/// A bit-vector literal: the low `bits` bits of `value`.
fn int_literal(value: u128, bits: u32) -> Result<BV, EncodeError> {
    check_width(bits)?;
    let value = value & crate::eval::mask(bits);
    if bits <= 64 {
        Ok(BV::from_u64(value as u64, bits))
    } else {
        BV::from_str(bits, &value.to_string()).ok_or_else(|| EncodeError::Z3(format!("the bit-vector literal {value}")))
    }
}

/// A value as a Z3 literal of its sort.
pub fn literal(value: &Value) -> Result<Encoded, EncodeError> {
    encode(&value.to_term(), &mut Vars::new())
}

/// A Bool term as a Z3 Bool.
pub fn encode_bool(term: &Term, vars: &mut Vars) -> Result<Bool, EncodeError> {
    match encode(term, vars)? {
        Encoded::Bool(b) => Ok(b),
        other => Err(EncodeError::TypeMismatch(format!("expected Bool, found {}", other.ty()))),
    }
}

/// The Z3 term for `term`; variables are taken from (or added to) `vars`.
pub fn encode(term: &Term, vars: &mut Vars) -> Result<Encoded, EncodeError> {
    Ok(match term {
        Term::Bool(b) => Encoded::Bool(Bool::from_bool(*b)),
        Term::Int { value, signed, bits } => {
            Encoded::Int { bv: int_literal(*value, *bits)?, signed: *signed, bits: *bits }
        }
        Term::Float { bits, width } => Encoded::Float { fp: float_literal(*bits, *width)?, width: *width },
        Term::Var { name, ty } => vars.declare(name, *ty)?,
        Term::Not(a) => Encoded::Bool(encode_bool(a, vars)?.not()),
        Term::And(terms) => Encoded::Bool(Bool::and(&booleans(terms, vars)?)),
        Term::Or(terms) => Encoded::Bool(Bool::or(&booleans(terms, vars)?)),
        Term::Implies(a, b) => Encoded::Bool(encode_bool(a, vars)?.implies(encode_bool(b, vars)?)),
        Term::Cmp(op, a, b) => Encoded::Bool(compare(*op, encode(a, vars)?, encode(b, vars)?)?),
        Term::Arith(op, a, b) => arith(*op, encode(a, vars)?, encode(b, vars)?)?,
        Term::Neg(a) => match encode(a, vars)? {
            Encoded::Float { fp, width } => Encoded::Float { fp: fp.unary_neg(), width },
            Encoded::Int { bv, signed, bits } => Encoded::Int { bv: bv.bvneg(), signed, bits },
            other => return Err(not_defined("negation", other.ty())),
        },
        Term::Abs(a) => match encode(a, vars)? {
            // fp.abs clears the sign bit, as the term semantics says.
            Encoded::Float { fp, width } => Encoded::Float { fp: fp.unary_abs(), width },
            Encoded::Int { bv, signed: true, bits } => {
                let negative = bv.bvslt(BV::from_u64(0, bits));
                Encoded::Int { bv: negative.ite(&bv.bvneg(), &bv), signed: true, bits }
            }
            unsigned @ Encoded::Int { signed: false, .. } => unsigned,
            other => return Err(not_defined("abs", other.ty())),
        },
        Term::IsNan(a) => Encoded::Bool(float(encode(a, vars)?, "is_nan")?.is_nan()),
        Term::IsInf(a) => Encoded::Bool(float(encode(a, vars)?, "is_inf")?.is_infinite()),
        Term::Finite(a) => {
            let x = float(encode(a, vars)?, "finite")?;
            Encoded::Bool(Bool::or(&[x.is_nan(), x.is_infinite()]).not())
        }
        Term::Min(a, b) => min_max(encode(a, vars)?, encode(b, vars)?, false)?,
        Term::Max(a, b) => min_max(encode(a, vars)?, encode(b, vars)?, true)?,
    })
}

fn booleans(terms: &[Term], vars: &mut Vars) -> Result<Vec<Bool>, EncodeError> {
    terms.iter().map(|t| encode_bool(t, vars)).collect()
}

fn float(e: Encoded, what: &str) -> Result<Float, EncodeError> {
    match e {
        Encoded::Float { fp, .. } => Ok(fp),
        other => Err(not_defined(what, other.ty())),
    }
}

fn compare(op: CmpOp, a: Encoded, b: Encoded) -> Result<Bool, EncodeError> {
    if a.ty() != b.ty() {
        return Err(operands_differ("a comparison", a.ty(), b.ty()));
    }
    Ok(match (a, b) {
        // IEEE comparisons: false on NaN, -0.0 == 0.0.
        (Encoded::Float { fp: x, .. }, Encoded::Float { fp: y, .. }) => match op {
            CmpOp::Eq => x.eq_fpa(&y),
            CmpOp::Ne => x.eq_fpa(&y).not(),
            CmpOp::Lt => x.lt(&y),
            CmpOp::Le => x.le(&y),
            CmpOp::Gt => x.gt(&y),
            CmpOp::Ge => x.ge(&y),
        },
        (Encoded::Int { bv: x, signed, .. }, Encoded::Int { bv: y, .. }) => match (op, signed) {
            (CmpOp::Eq, _) => x.eq(&y),
            (CmpOp::Ne, _) => x.eq(&y).not(),
            (CmpOp::Lt, true) => x.bvslt(&y),
            (CmpOp::Le, true) => x.bvsle(&y),
            (CmpOp::Gt, true) => x.bvsgt(&y),
            (CmpOp::Ge, true) => x.bvsge(&y),
            (CmpOp::Lt, false) => x.bvult(&y),
            (CmpOp::Le, false) => x.bvule(&y),
            (CmpOp::Gt, false) => x.bvugt(&y),
            (CmpOp::Ge, false) => x.bvuge(&y),
        },
        (Encoded::Bool(x), Encoded::Bool(y)) => match op {
            CmpOp::Eq => x.eq(&y),
            CmpOp::Ne => x.eq(&y).not(),
            _ => return Err(not_defined("an ordering comparison", Scalar::Bool)),
        },
        _ => unreachable!("operand types were checked equal"),
    })
}

fn arith(op: ArithOp, a: Encoded, b: Encoded) -> Result<Encoded, EncodeError> {
    if a.ty() != b.ty() {
        return Err(operands_differ("arithmetic", a.ty(), b.ty()));
    }
    Ok(match (a, b) {
        (Encoded::Float { fp: x, width }, Encoded::Float { fp: y, .. }) => {
            let rne = z3::ast::RoundingMode::round_nearest_ties_to_even();
            let fp = match op {
                ArithOp::Add => x.add_with_rounding_mode(y, &rne),
                ArithOp::Sub => x.sub_with_rounding_mode(y, &rne),
                ArithOp::Mul => x.mul_with_rounding_mode(y, &rne),
                ArithOp::Div => x.div_with_rounding_mode(y, &rne),
            };
            Encoded::Float { fp, width }
        }
        (Encoded::Int { bv: x, signed, bits }, Encoded::Int { bv: y, .. }) => {
            // bvudiv/bvsdiv by zero are total in SMT-LIB, as the semantics says.
            let bv = match (op, signed) {
                (ArithOp::Add, _) => x.bvadd(&y),
                (ArithOp::Sub, _) => x.bvsub(&y),
                (ArithOp::Mul, _) => x.bvmul(&y),
                (ArithOp::Div, true) => x.bvsdiv(&y),
                (ArithOp::Div, false) => x.bvudiv(&y),
            };
            Encoded::Int { bv, signed, bits }
        }
        (other, _) => return Err(not_defined("arithmetic", other.ty())),
    })
}

/// IEEE 754-2019 `minimumNumber` (`max = false`) / `maximumNumber` for
/// floats: a NaN operand is ignored, and of two zeros min is the negative
/// one, max the positive one. For integers, the type's order.
fn min_max(a: Encoded, b: Encoded, max: bool) -> Result<Encoded, EncodeError> {
    let what = if max { "max" } else { "min" };
    if a.ty() != b.ty() {
        return Err(operands_differ(what, a.ty(), b.ty()));
    }
    Ok(match (a, b) {
        (Encoded::Float { fp: x, width }, Encoded::Float { fp: y, .. }) => {
            let both_zero = Bool::and(&[x.is_zero(), y.is_zero()]);
            // Among two zeros: min takes x when x is -0.0, max when x is +0.0.
            let zero_pick = if max { x.is_positive() } else { x.is_negative() };
            let x_wins = if max { x.gt(&y) } else { x.lt(&y) };
            let ordered = x_wins.ite(&x, &y);
            let zeros = zero_pick.ite(&x, &y);
            let fp = x.is_nan().ite(&y, &y.is_nan().ite(&x, &both_zero.ite(&zeros, &ordered)));
            Encoded::Float { fp, width }
        }
        (Encoded::Int { bv: x, signed, bits }, Encoded::Int { bv: y, .. }) => {
            let y_wins = match (max, signed) {
                (false, true) => y.bvslt(&x),
                (false, false) => y.bvult(&x),
                (true, true) => y.bvsgt(&x),
                (true, false) => y.bvugt(&x),
            };
            Encoded::Int { bv: y_wins.ite(&y, &x), signed, bits }
        }
        (other, _) => return Err(not_defined(what, other.ty())),
    })
}

/// The value `e` has in `model` (unconstrained constants get a value too).
/// `None` when Z3's answer is not a literal this module can read.
pub fn decode(model: &Model, e: &Encoded) -> Option<Value> {
    match e {
        Encoded::Bool(b) => model.eval(b, true)?.as_bool().map(Value::Bool),
        Encoded::Int { bv, signed, bits } => {
            let value = if *bits <= 64 {
                u128::from(model.eval(bv, true)?.as_u64()?)
            } else {
                let high = model.eval(&bv.extract(bits - 1, 64), true)?.as_u64()?;
                let low = model.eval(&bv.extract(63, 0), true)?.as_u64()?;
                (u128::from(high) << 64) | u128::from(low)
            };
            Some(Value::Int { value, signed: *signed, bits: *bits })
        }
        Encoded::Float { fp, width } => {
            let nan = model.eval(&fp.is_nan(), true)?.as_bool()?;
            let bits = if nan { None } else { Some(model.eval(&fp.to_ieee_bv(), true)?.as_u64()?) };
            Some(match (width, bits) {
                (FloatWidth::F32, None) => Value::F32(f32::NAN),
                (FloatWidth::F64, None) => Value::F64(f64::NAN),
                (FloatWidth::F32, Some(bits)) => Value::F32(f32::from_bits(u32::try_from(bits).ok()?)),
                (FloatWidth::F64, Some(bits)) => Value::F64(f64::from_bits(bits)),
            })
        }
    }
}

/// Every constant of `vars` with its value in `model`, sorted by name.
pub fn assignment(model: &Model, vars: &Vars) -> Result<Vec<(String, Value)>, String> {
    vars.iter()
        .map(|(name, e)| {
            decode(model, e)
                .map(|v| (name.to_owned(), v))
                .ok_or_else(|| format!("cannot read the value of `{name}` from Z3's model"))
        })
        .collect()
}

/// How a solver made by [`new_solver`] decides a goal once it is simplified
/// and floats are turned into bit-vectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Z3's SMT core, bit-blasting lazily: the fastest on comparisons,
    /// ranges and additions (about 1 ms where `Sat` spends 4 setting up).
    Smt,
    /// Bit-blast the whole goal, then Z3's SAT solver: much faster on
    /// multiplication and division circuits.
    Sat,
}

impl Engine {
    /// The engine for a query made of `terms`: `Sat` when one multiplies
    /// or divides.
    pub fn for_terms(terms: &[Term]) -> Engine {
        if terms.iter().any(multiplies) {
            Engine::Sat
        } else {
            Engine::Smt
        }
    }
}

fn multiplies(term: &Term) -> bool {
    match term {
        Term::Arith(ArithOp::Mul | ArithOp::Div, ..) => true,
        Term::Bool(_) | Term::Int { .. } | Term::Float { .. } | Term::Var { .. } => false,
        Term::Not(a) | Term::Neg(a) | Term::IsNan(a) | Term::IsInf(a) | Term::Finite(a) | Term::Abs(a) => multiplies(a),
        Term::And(terms) | Term::Or(terms) => terms.iter().any(multiplies),
        Term::Implies(a, b) | Term::Cmp(_, a, b) | Term::Arith(_, a, b) | Term::Min(a, b) | Term::Max(a, b) => {
            multiplies(a) || multiplies(b)
        }
    }
}

/// A solver for the queries this crate asks: quantifier-free floating
/// point, bit-vectors and Bool. Z3's default solver spends about 15 ms
/// setting up for each such query; this pipeline (simplify, propagate
/// values, solve equations, floats to bit-vectors, then `engine`) answers
/// most of them in one to a few ms, many while simplifying. A goal it
/// cannot finish makes `check` answer unknown, with a reason. It has no
/// time limit of its own: see [`check_within`].
pub fn new_solver(engine: Engine) -> Solver {
    let tactics: &[&str] = match engine {
        Engine::Smt => &["simplify", "propagate-values", "solve-eqs", "fpa2bv", "smt"],
        Engine::Sat => &["simplify", "propagate-values", "solve-eqs", "fpa2bv", "simplify", "bit-blast", "sat"],
    };
    let mut tactic = Tactic::new(tactics[0]);
    for name in &tactics[1..] {
        tactic = tactic.and_then(&Tactic::new(name));
    }
    tactic.solver()
}

/// `solver.check()`, interrupted after `timeout_ms` (0: never); true when
/// it was interrupted. Z3 4.8's own timers (the `timeout` parameter,
/// `try_for`) share a thread pool that can deadlock when a timer fires
/// while other threads use theirs, so the limit is kept here instead: a
/// watchdog thread interrupts this thread's context (`Z3_interrupt`, meant
/// to be called from another thread; it cancels only the check under way).
/// An interruption that lands before Z3 has started listening is lost, so
/// the watchdog repeats it every few ms until the check returns.
pub fn check_within(solver: &Solver, timeout_ms: u32) -> (SatResult, bool) {
    if timeout_ms == 0 {
        return (solver.check(), false);
    }
    const REPEAT: Duration = Duration::from_millis(5);
    let handle = solver.get_context().handle();
    let finished = Mutex::new(false);
    let wake = Condvar::new();
    let wait = |limit: Duration| {
        let done = finished.lock().unwrap_or_else(|e| e.into_inner());
        *wake.wait_timeout_while(done, limit, |done| !*done).unwrap_or_else(|e| e.into_inner()).0
    };
    std::thread::scope(|scope| {
        let watchdog = scope.spawn(|| {
            let mut interrupted = false;
            let mut limit = Duration::from_millis(u64::from(timeout_ms));
            while !wait(limit) {
                handle.interrupt();
                interrupted = true;
                limit = REPEAT;
            }
            interrupted
        });
        let result = solver.check();
        *finished.lock().unwrap_or_else(|e| e.into_inner()) = true;
        wake.notify_one();
        let interrupted = watchdog.join().unwrap_or(false);
        (result, interrupted && result == SatResult::Unknown)
    })
}

/// Z3's value of `term` when each variable has the value `assignment`
/// gives it: the Z3 side of the oracle that [`crate::eval::eval`] is tested
/// against. Each variable is pinned bit for bit (Z3's `=`), a fresh
/// constant is pinned to the term, the query is solved with
/// [`new_solver`], and that constant read from the model.
pub fn evaluate(term: &Term, assignment: &[(String, Value)]) -> Result<Value, String> {
    evaluate_in(&new_solver(Engine::for_terms(std::slice::from_ref(term))), term, assignment)
}

/// [`evaluate`] with a solver of the caller's choice: with a pipeline that
/// only bit-blasts (no simplification that could substitute the values and
/// fold the constants), the term's value is computed by the same circuits
/// that decide symbolic queries.
pub fn evaluate_in(solver: &Solver, term: &Term, assignment: &[(String, Value)]) -> Result<Value, String> {
    let mut vars = Vars::new();
    for (name, value) in assignment {
        let var = vars.declare(name, value.ty()).map_err(|e| e.to_string())?;
        let lit = literal(value).map_err(|e| e.to_string())?;
        solver.assert(var.identical(&lit).map_err(|e| e.to_string())?);
    }
    let encoded = encode(term, &mut vars).map_err(|e| e.to_string())?;
    // Not a name the contract language can write, so no port clashes with it.
    let result = vars.declare(" result", encoded.ty()).map_err(|e| e.to_string())?;
    solver.assert(result.identical(&encoded).map_err(|e| e.to_string())?);
    match solver.check() {
        SatResult::Sat => {}
        other => return Err(format!("pinning the variables gave {other:?}: {:?}", solver.get_reason_unknown())),
    }
    let model = solver.get_model().ok_or("Z3 gave no model")?;
    decode(&model, &result).ok_or_else(|| "cannot read the term's value from Z3's model".to_owned())
}
