//! Behavioural subtyping (Liskov & Wing) between two releases of a module,
//! port by port: which semver bump a contract change needs.
//!
//! A new release may replace the old one wherever the old one is used if
//! it accepts at least what the old one accepted and promises at least what
//! the old one promised, for every input the old one accepted:
//!
//! - an **input** contract may only get weaker: every caller that kept the
//!   old input contracts still keeps the new one;
//! - an **output** contract may only get stronger on the old input domain:
//!   when the old precondition holds, the new outputs imply the old one.
//!
//! A port is the same variable in both releases (`dt` is `dt`), so contracts
//! that mention other ports compare as they should. A change is
//! [`Verdict::Equivalent`] when the two contracts agree wherever it matters
//! (a patch), [`Verdict::Compatible`] when it is allowed but visible (a
//! minor release), [`Verdict::Breaking`] with values that show a caller it
//! breaks (a major release), and [`Verdict::Unknown`] when Z3 cannot tell:
//! the caller must treat that as breaking (fail closed).
//!
//! Everything is decided in IEEE arithmetic, so changes that look the same
//! over the reals may not be: `v > 0.0 && v <= 1.0` rejects NaN while
//! `!(v <= 0.0 || v > 1.0)` accepts it.

use crate::interface::{Direction, Interface, Port, PortType};
use crate::prove::{prove, satisfiable, Counterexample, Options, Outcome, Satisfiable};
use crate::term::{Term, Value};
use serde::Serialize;

/// What a change to one port's contract means for the release's users.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Verdict {
    /// The contracts agree on the old domain: a patch release will do.
    Equivalent,
    /// Allowed, but it changes what the port accepts or promises: minor.
    Compatible,
    /// Some user of the old release breaks, for example at these values: major.
    Breaking(Counterexample),
    /// Z3 could not decide (timeout, or an answer that did not re-check).
    Unknown(String),
}

/// Compares port `name` of two releases. The port exists in both with the
/// same direction and type; the caller checks that and reports type
/// changes itself (if not, the answer is [`Verdict::Unknown`]).
pub fn compare_port(old: &Interface, new: &Interface, name: &str, options: &Options) -> Verdict {
    let (old_port, new_port) = match (old.port(name), new.port(name)) {
        (Some(o), Some(n)) if o.direction == n.direction && o.ty == n.ty => (o, n),
        (Some(o), Some(n)) => {
            return Verdict::Unknown(format!(
                "port `{name}` changed from {} {} to {} {}: not a contract change",
                o.direction, o.ty, n.direction, n.ty
            ))
        }
        _ => return Verdict::Unknown(format!("port `{name}` is not in both releases")),
    };
    match old_port.direction {
        Direction::Input => compare_input(old, old_port, new_port, options),
        Direction::Output => compare_output(old, new, old_port, new_port, options),
    }
}

/// Weaker: `old precondition => new_p`. Equivalent when, in addition, the
/// two contracts agree where the other old inputs hold:
/// `other old inputs && new_p => old_p`.
fn compare_input(old: &Interface, old_p: &Port, new_p: &Port, options: &Options) -> Verdict {
    match prove(&[old.precondition()], &new_p.contract, options) {
        Outcome::Valid => {}
        Outcome::Invalid(cx) => return Verdict::Breaking(cx),
        Outcome::Unknown(reason) => return Verdict::Unknown(reason),
    }
    // The whole old precondition already contains old_p, so the
    // equivalence check assumes only the other inputs' contracts.
    let others = Term::And(old.inputs().filter(|p| p.name != old_p.name).map(|p| p.contract.clone()).collect());
    equivalence(prove(&[others, new_p.contract.clone()], &old_p.contract, options))
}

/// Stronger: `old precondition && new postcondition => old_q`. Equivalent
/// when, in addition, `old precondition && old postcondition => new_q`.
fn compare_output(old: &Interface, new: &Interface, old_q: &Port, new_q: &Port, options: &Options) -> Verdict {
    match prove(&[old.precondition(), new.postcondition()], &old_q.contract, options) {
        Outcome::Valid => {}
        Outcome::Invalid(cx) => return Verdict::Breaking(cx),
        Outcome::Unknown(reason) => return Verdict::Unknown(reason),
    }
    equivalence(prove(&[old.precondition(), old.postcondition()], &new_q.contract, options))
}

fn equivalence(converse: Outcome) -> Verdict {
    match converse {
        Outcome::Valid => Verdict::Equivalent,
        Outcome::Invalid(_) => Verdict::Compatible,
        Outcome::Unknown(reason) => Verdict::Unknown(reason),
    }
}

/// A contract no value can satisfy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unsatisfiable {
    /// The port, or `None` for all the inputs together (each input alone
    /// can be met, but not all at once).
    pub port: Option<String>,
    pub reason: String,
}

/// The contracts of `interface` that no value can satisfy: an input whose
/// contract alone is unsatisfiable; all inputs together, when each can be
/// met alone but not all at once (not reported when a single input already
/// explains it); an output `q` for which `precondition && q` is
/// unsatisfiable while the precondition itself is satisfiable. Each is an
/// error for the caller. When Z3 cannot decide one of these questions, it
/// is reported too, with Z3's reason (fail closed).
pub fn unsatisfiable(interface: &Interface, options: &Options) -> Vec<Unsatisfiable> {
    let mut found = Vec::new();
    let undecided = |what: &str, reason: &str| format!("Z3 could not decide whether {what} can be met: {reason}");
    for p in interface.inputs() {
        let what = format!("the contract of input `{}` (`{}`)", p.name, p.contract_text);
        match satisfiable(std::slice::from_ref(&p.contract), options) {
            Satisfiable::Yes(_) => {}
            Satisfiable::No => {
                found.push(Unsatisfiable { port: Some(p.name.clone()), reason: format!("no value satisfies {what}") })
            }
            Satisfiable::Unknown(reason) => {
                found.push(Unsatisfiable { port: Some(p.name.clone()), reason: undecided(&what, &reason) })
            }
        }
    }
    if !found.is_empty() {
        return found;
    }
    let precondition = interface.precondition();
    let what = "the input contracts together";
    match satisfiable(std::slice::from_ref(&precondition), options) {
        Satisfiable::Yes(_) => {}
        Satisfiable::No => {
            found.push(Unsatisfiable {
                port: None,
                reason: format!("each input contract can be met alone, but no values meet {what}"),
            });
            return found;
        }
        Satisfiable::Unknown(reason) => {
            found.push(Unsatisfiable { port: None, reason: undecided(what, &reason) });
            return found;
        }
    }
    for q in interface.outputs() {
        let what = format!("the contract of output `{}` (`{}`)", q.name, q.contract_text);
        match satisfiable(&[precondition.clone(), q.contract.clone()], options) {
            Satisfiable::Yes(_) => {}
            Satisfiable::No => found.push(Unsatisfiable {
                port: Some(q.name.clone()),
                reason: format!("no value satisfies {what} for any input the input contracts allow"),
            }),
            Satisfiable::Unknown(reason) => {
                found.push(Unsatisfiable { port: Some(q.name.clone()), reason: undecided(&what, &reason) })
            }
        }
    }
    found
}

/// An input `name` that is new in `new` and has a default: do callers of
/// the old release, who do not connect it, get a value the new contract
/// accepts? `old precondition => new_p[name := default]`: Compatible, or
/// Breaking with the old inputs (and the default) that show it. The default
/// is substituted bit for bit (a NaN or `-0.0` default is that value, which
/// an IEEE `name == default` could not pin).
pub fn default_accepted(old: &Interface, new: &Interface, name: &str, options: &Options) -> Verdict {
    let Some(port) = new.port(name).filter(|p| p.direction == Direction::Input) else {
        return Verdict::Unknown(format!("`{name}` is not an input of the new release"));
    };
    let Some(default) = port.default else {
        return Verdict::Unknown(format!("input `{name}` has no default"));
    };
    if !matches!(port.ty, PortType::Scalar(ty) if ty == default.ty()) {
        return Verdict::Unknown(format!("the default `{default}` of input `{name}` is not a {}", port.ty));
    }
    let goal = substitute(&port.contract, name, &default);
    match prove(&[old.precondition()], &goal, options) {
        Outcome::Valid => Verdict::Compatible,
        Outcome::Invalid(mut cx) => {
            cx.assignments.retain(|(n, _)| n != name);
            cx.assignments.push((name.to_owned(), default));
            cx.assignments.sort_by(|a, b| a.0.cmp(&b.0));
            Verdict::Breaking(cx)
        }
        Outcome::Unknown(reason) => Verdict::Unknown(reason),
    }
}

/// `term` with every occurrence of variable `name` replaced by `value`.
fn substitute(term: &Term, name: &str, value: &Value) -> Term {
    let s = |t: &Term| Box::new(substitute(t, name, value));
    match term {
        Term::Var { name: n, .. } if n == name => value.to_term(),
        Term::Var { .. } | Term::Bool(_) | Term::Int { .. } | Term::Float { .. } => term.clone(),
        Term::Not(a) => Term::Not(s(a)),
        Term::Neg(a) => Term::Neg(s(a)),
        Term::IsNan(a) => Term::IsNan(s(a)),
        Term::IsInf(a) => Term::IsInf(s(a)),
        Term::Finite(a) => Term::Finite(s(a)),
        Term::Abs(a) => Term::Abs(s(a)),
        Term::And(terms) => Term::And(terms.iter().map(|t| substitute(t, name, value)).collect()),
        Term::Or(terms) => Term::Or(terms.iter().map(|t| substitute(t, name, value)).collect()),
        Term::Implies(a, b) => Term::Implies(s(a), s(b)),
        Term::Cmp(op, a, b) => Term::Cmp(*op, s(a), s(b)),
        Term::Arith(op, a, b) => Term::Arith(*op, s(a), s(b)),
        Term::Min(a, b) => Term::Min(s(a), s(b)),
        Term::Max(a, b) => Term::Max(s(a), s(b)),
    }
}
