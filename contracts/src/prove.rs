//! Validity and satisfiability of contract terms, decided by Z3 and
//! confirmed natively.
//!
//! [`prove`] asks whether `assumptions => goal` holds for every value of
//! every variable by asking Z3 for a model of `assumptions && !goal`. When
//! there is one, its values are re-checked with [`crate::eval::eval`]
//! (Rust's own IEEE arithmetic): a counterexample is reported only if the
//! assumptions really evaluate to true and the goal to false. Anything Z3
//! cannot settle (a timeout, a model that does not re-check, a term that
//! cannot be encoded) is [`Outcome::Unknown`] with the reason: the checks
//! built on this fail closed.
//!
//! Each call makes its own solver in the calling thread's Z3 context, so
//! calls from several threads (rayon) at once are independent.
//!
//! ```
//! use torc_contracts::prove::{prove, Options, Outcome};
//! use torc_contracts::term::{CmpOp, FloatWidth, Scalar, Term, Value};
//!
//! // `v >= 0.0` does not hold for every Float<32>: NaN and negatives fail.
//! let v = Term::Var { name: "v".into(), ty: Scalar::Float(FloatWidth::F32) };
//! let goal = Term::Cmp(CmpOp::Ge, Box::new(v), Box::new(Value::F32(0.0).to_term()));
//! assert!(matches!(prove(&[], &goal, &Options::default()), Outcome::Invalid(_)));
//! ```

use crate::eval::eval;
use crate::smt::{self, Vars};
use crate::term::{Term, Value};
use serde::Serialize;
use std::fmt;
use std::time::Instant;
use z3::ast::Bool;
use z3::{SatResult, Solver};

/// Limits for one solver call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Z3's time limit for one query, in milliseconds; 0 means none.
    pub timeout_ms: u32,
}

impl Default for Options {
    fn default() -> Options {
        Options { timeout_ms: 10_000 }
    }
}

/// A value for each variable of a query, sorted by name: a counterexample
/// to a validity claim, or a witness of satisfiability.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Counterexample {
    pub assignments: Vec<(String, Value)>,
}

impl Counterexample {
    /// The value of variable `name`, if the counterexample names it.
    pub fn get(&self, name: &str) -> Option<Value> {
        self.assignments.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }

    fn env(&self) -> impl Fn(&str) -> Option<Value> + '_ {
        move |name| self.get(name)
    }
}

/// `dt = NaN, x = -0.0`.
impl fmt::Display for Counterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, value)) in self.assignments.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{name} = {value}")?;
        }
        Ok(())
    }
}

/// The answer to "is `assumptions => goal` valid?".
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Valid,
    /// Values that make every assumption true and the goal false (checked
    /// natively as well as by Z3).
    Invalid(Counterexample),
    /// Neither proved nor refuted, and why.
    Unknown(String),
}

/// The answer to "can every term be true at once?".
#[derive(Clone, Debug, PartialEq)]
pub enum Satisfiable {
    /// Values that make every term true (checked natively as well).
    Yes(Counterexample),
    No,
    Unknown(String),
}

/// Version of the Z3 encoding in [`crate::smt`]: bump it when a change to
/// the encoding could change a verdict, so that stored proofs made under
/// the old one are not reused.
pub const ENCODING_VERSION: u32 = 1;

/// What a `Valid` verdict rests on besides the query: the solver's exact
/// version and the encoding. A time limit is not part of it (it can turn
/// an answer into `Unknown`, never into `Valid`). Proof caches record it
/// and reuse a verdict only under the same one.
pub fn backend_identity() -> String {
    format!("{} / torc-contracts {} encoding {ENCODING_VERSION}", z3::full_version(), env!("CARGO_PKG_VERSION"))
}

/// Is `assumptions => goal` valid for every value of every variable?
pub fn prove(assumptions: &[Term], goal: &Term, options: &Options) -> Outcome {
    let mut query = assumptions.to_vec();
    query.push(Term::Not(Box::new(goal.clone())));
    match solve(&query, options) {
        Err(reason) => Outcome::Unknown(reason),
        Ok(None) => Outcome::Valid,
        Ok(Some(cx)) => {
            let expected = assumptions.iter().map(|a| (a, true)).chain([(goal, false)]);
            match recheck(&cx, expected) {
                Ok(()) => Outcome::Invalid(cx),
                Err(why) => Outcome::Unknown(format!("Z3's counterexample does not re-check natively: {why} at {cx}")),
            }
        }
    }
}

/// Can every term be true at once? A witness is re-checked natively.
pub fn satisfiable(terms: &[Term], options: &Options) -> Satisfiable {
    match solve(terms, options) {
        Err(reason) => Satisfiable::Unknown(reason),
        Ok(None) => Satisfiable::No,
        Ok(Some(witness)) => match recheck(&witness, terms.iter().map(|t| (t, true))) {
            Ok(()) => Satisfiable::Yes(witness),
            Err(why) => Satisfiable::Unknown(format!("Z3's witness does not re-check natively: {why} at {witness}")),
        },
    }
}

/// Does each term evaluate natively to the Bool it is paired with?
fn recheck<'t>(cx: &Counterexample, expected: impl Iterator<Item = (&'t Term, bool)>) -> Result<(), String> {
    let env = cx.env();
    for (i, (term, want)) in expected.enumerate() {
        match eval(term, &env) {
            Ok(Value::Bool(b)) if b == want => {}
            Ok(value) => return Err(format!("term {} evaluates to {value}, not {want}", i + 1)),
            Err(e) => return Err(format!("term {} does not evaluate: {e}", i + 1)),
        }
    }
    Ok(())
}

/// A model of the conjunction of `terms` (`Ok(None)`: there is none), or
/// why Z3 gave no answer.
fn solve(terms: &[Term], options: &Options) -> Result<Option<Counterexample>, String> {
    let mut vars = Vars::new();
    let encoded = terms
        .iter()
        .map(|t| smt::encode_bool(t, &mut vars))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("cannot encode the query for Z3: {e}"))?;
    let limit = options.timeout_ms;
    let started = Instant::now();
    let solver = smt::new_solver(smt::Engine::for_terms(terms));
    let reason = match run(&solver, limit, &encoded, &vars)? {
        Answer::Known(answer) => return Ok(answer),
        Answer::TimedOut(reason) => return Err(timed_out(&reason, limit)),
        Answer::Unknown(reason) => reason,
    };
    // The pipeline gave up for another reason: ask Z3's general solver, in
    // the time that is left.
    let left = if limit == 0 {
        0
    } else {
        let spent = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
        limit.saturating_sub(spent).max(1)
    };
    match run(&Solver::new(), left, &encoded, &vars)? {
        Answer::Known(answer) => Ok(answer),
        Answer::TimedOut(general) => Err(timed_out(&format!("{reason}; then {general}"), limit)),
        Answer::Unknown(general) => Err(format!("Z3 gave up: {reason}; then {general}")),
    }
}

fn timed_out(reason: &str, limit: u32) -> String {
    format!("Z3 gave up ({reason}): timeout after {limit} ms")
}

enum Answer {
    Known(Option<Counterexample>),
    TimedOut(String),
    Unknown(String),
}

fn run(solver: &Solver, timeout_ms: u32, encoded: &[Bool], vars: &Vars) -> Result<Answer, String> {
    for e in encoded {
        solver.assert(e);
    }
    let (result, interrupted) = smt::check_within(solver, timeout_ms);
    Ok(match result {
        SatResult::Unsat => Answer::Known(None),
        SatResult::Sat => {
            let model = solver.get_model().ok_or("Z3 answered sat but gave no model")?;
            let assignments = smt::assignment(&model, vars)?;
            Answer::Known(Some(Counterexample { assignments }))
        }
        SatResult::Unknown => {
            let reason = solver.get_reason_unknown().unwrap_or_else(|| "no reason given".to_owned());
            if interrupted {
                Answer::TimedOut(reason)
            } else {
                Answer::Unknown(reason)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::term::{CmpOp, FloatWidth, Scalar};

    fn v_gt_zero() -> Term {
        let v = Term::Var { name: "v".into(), ty: Scalar::Float(FloatWidth::F32) };
        Term::Cmp(CmpOp::Gt, Box::new(v), Box::new(Value::F32(0.0).to_term()))
    }

    /// A model that does not re-check (as a Z3 bug or a decoding error
    /// would give) is refused, whatever Z3 said.
    #[test]
    fn a_counterexample_that_does_not_recheck_is_refused() {
        let cx = Counterexample { assignments: vec![("v".into(), Value::F32(1.0))] };
        assert!(recheck(&cx, [(&v_gt_zero(), false)].into_iter()).is_err());
        assert!(recheck(&cx, [(&v_gt_zero(), true)].into_iter()).is_ok());
        let nan = Counterexample { assignments: vec![("v".into(), Value::F32(f32::NAN))] };
        assert!(recheck(&nan, [(&v_gt_zero(), true)].into_iter()).is_err());
        let unbound = Counterexample { assignments: vec![] };
        let err = recheck(&unbound, [(&v_gt_zero(), false)].into_iter()).unwrap_err();
        assert!(err.contains("does not evaluate"), "{err}");
    }
}
