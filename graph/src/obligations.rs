//! Proof obligations from a module's graph: what must hold for the graph to
//! keep its interface's promises, each with a stable id, discharged through
//! a small [`Prover`] interface, and waivers.
//!
//! ```
//! use std::collections::BTreeMap;
//! use torc_contracts::interface::{Interface, InterfaceSpec, PortSpec};
//! use torc_graph::model::{Cost, Edge, Endpoint, Graph, Node, NodePort, Op};
//! use torc_graph::obligations::{coverage, discharge, obligations, Status, Z3Prover};
//!
//! // `y = abs(x)` promises a finite `y`, but `x` may be NaN.
//! let port = |name: &str, contract: &str| PortSpec {
//!     name: name.into(), ty: "Float<32>".into(), contract: contract.into(), default: None,
//! };
//! let spec = InterfaceSpec { inputs: vec![port("x", "true")], outputs: vec![port("y", "finite")], ..Default::default() };
//! let own = Interface::check(&spec).unwrap();
//! let p = |name: &str| NodePort { name: name.into(), ty: "Float<32>".into() };
//! let node = |name: &str, op, inputs: Vec<NodePort>, outputs: Vec<NodePort>| Node {
//!     name: name.into(), op, inputs, outputs, cost: Cost::default(),
//! };
//! let end = |node: &str, port: &str| Endpoint { node: node.into(), port: port.into() };
//! let graph = Graph {
//!     module: "m".into(),
//!     nodes: vec![
//!         node("x", Op::Input { port: "x".into() }, vec![], vec![p("value")]),
//!         node("abs", Op::Abs, vec![p("x")], vec![p("value")]),
//!         node("y", Op::Output { port: "y".into() }, vec![p("value")], vec![]),
//!     ],
//!     edges: vec![
//!         Edge { from: end("x", "value"), to: end("abs", "x") },
//!         Edge { from: end("abs", "value"), to: end("y", "value") },
//!     ],
//! };
//! let found = obligations(&graph, &own, &BTreeMap::new()).unwrap();
//! assert_eq!(found[0].description, "output `y` must satisfy `finite`");
//! let done = discharge(found, &Z3Prover::default());
//! assert!(matches!(done[0].status, Status::Failed { .. })); // x = NaN (or an infinity)
//! assert_eq!(coverage(&done), 0.0);
//! ```
//!
//! # What a graph means
//!
//! Every node output is a contract [`Term`] built from the terms on its
//! inputs: expression composition, never equalities between variables, so
//! NaN, infinities and signed zeros flow exactly as the contract language
//! defines them (see `torc_contracts::term`).
//!
//! - `Input { port }` is the module's input variable: `dt`, or for a record
//!   port one variable per field (`config.kp`, `config.ki`). Records travel
//!   only as a whole, field by field, through `Input`, `Output`, `Call` and
//!   `Select`; arithmetic or comparisons on a record are an error.
//! - `Const { value }` is the literal read at the node's output type, as
//!   the contract checker reads literals (`0.1` at `Float<32>` is `0.1f32`).
//! - `Add`, `Sub`, `Mul`, `Div`, `Neg`, the comparisons, `And`, `Or` (two or
//!   more inputs), `Not`, `Abs`, `Min`, `Max` are the contract operators of
//!   the same name; `Clamp(x, lo, hi)` is `min(max(x, lo), hi)`, so a NaN
//!   `x` gives `lo` (min/max ignore a NaN operand).
//! - `Select(c, a, b)`: the contract language has no if-then-else (a
//!   `Term::Ite` is requested from contracts). On `Bool` it is exactly
//!   `(c && a) || (!c && b)`. On other types it is a fresh variable
//!   `node.port` (`node.port.field` for a record) defined by the assumption
//!   `(c => same(v, a)) && (!c => same(v, b))`, where `same` is identity,
//!   not IEEE `==`: on integers it is `==`; on floats
//!   `(is_nan(v) && is_nan(a)) || (v == a && (v != 0.0 || 1.0 / v == 1.0 / a))`
//!   (IEEE `==` identifies `-0.0` with `0.0` and never holds for NaN; the
//!   sign of a zero shows in `1.0 / v`, `+inf` or `-inf`).
//! - `Call { module }` contributes its callee's contract, not its body: a
//!   fresh variable per callee output (`node.port`, `node.port.field`) and
//!   the assumption `pre => post`, where `pre` and `post` are the callee's
//!   input and output contracts with its input variables replaced by the
//!   terms on the node's inputs (or the port's default, when the node does
//!   not wire an input that has one) and its output variables by the fresh
//!   ones.
//!
//! # The obligations
//!
//! - [`ObligationKind::CallPrecondition`]: for each call and each callee
//!   input port with a contract, that contract over the terms the call
//!   passes.
//! - [`ObligationKind::OutputContract`]: for each of the module's output
//!   ports with a contract, that contract with every output variable
//!   replaced by the term feeding its `Output` node (input variables stay).
//!
//! A port whose contract is `true` gives no obligation. Every obligation
//! assumes the module's input contracts and the definitions (call
//! implications, select definitions) of the fresh variables its goal
//! depends on, transitively: exactly the calls and selects upstream of it.
//! Assumptions are split at top-level `&&`, deduplicated and sorted by
//! their canonical text.
//!
//! # Ids
//!
//! An obligation's id is the first 16 hex digits of the BLAKE3 of
//! [`Obligation::normalised`]: the canonical text ([`canonical`]) of each
//! assumption, sorted, then of the goal. It does not depend on the order of
//! nodes, edges or ports in the source, nor on anything outside the
//! formula; renaming a node that a fresh variable is named after changes
//! it. Two obligations with the same formula share an id (a waiver covers
//! both: it waives a formula).
//!
//! # Coverage
//!
//! [`coverage`] counts proved obligations only: a waived obligation is
//! accepted, not verified ("98% verified (2 waivers)").

use crate::model::{Graph, Node, Op};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use torc_contracts::check::check_formula;
use torc_contracts::interface::{Direction, Interface, Port, PortType};
use torc_contracts::prove::{prove, Counterexample, Options, Outcome};
use torc_contracts::term::{ArithOp, CmpOp, FloatWidth, Scalar, Term, Value};

/// One thing to prove: `assumptions => goal`.
#[derive(Clone, Debug, PartialEq)]
pub struct Obligation {
    /// 16 hex digits of the BLAKE3 of [`Obligation::normalised`].
    pub id: String,
    pub kind: ObligationKind,
    /// One sentence for reports.
    pub description: String,
    /// The graph node the obligation is about (the call, or the `Output`
    /// node), for source locations.
    pub node: Option<String>,
    /// Sorted by canonical text, no duplicates.
    pub assumptions: Vec<Term>,
    pub goal: Term,
}

impl Obligation {
    /// The text the id hashes: each assumption's canonical text on a line,
    /// then `=>` and the goal's.
    pub fn normalised(&self) -> String {
        normalised(&self.assumptions, &self.goal)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ObligationKind {
    /// Call node `node` passes what callee `callee` requires on its input `port`.
    CallPrecondition { node: String, callee: String, port: String },
    /// The module's output `port` keeps its contract.
    OutputContract { port: String },
}

/// Why a graph gives no obligations: it does not fit its interfaces.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ObligationError {
    #[error("node `{node}`: {message}")]
    Node { node: String, message: String },
    #[error("edge `{from}` -> `{to}`: {message}")]
    Edge { from: String, to: String, message: String },
    #[error("the data edges form a cycle: {}", cycle.join(" -> "))]
    Cycle { cycle: Vec<String> },
    #[error("output `{port}`: {message}")]
    Output { port: String, message: String },
}

/// Builds every obligation of `graph`, the graph of the module whose
/// checked interface is `own`; `callees` holds the interface of every
/// module a `Call` node names. Call preconditions first (calls in
/// topological order, ties by name; ports in the callee's order), then
/// output contracts in `own`'s order.
pub fn obligations(
    graph: &Graph,
    own: &Interface,
    callees: &BTreeMap<String, Interface>,
) -> Result<Vec<Obligation>, ObligationError> {
    let order = topological_order(graph)?;
    let mut builder = Builder {
        own,
        callees,
        incoming: incoming(graph)?,
        values: HashMap::new(),
        definitions: Vec::new(),
        defined_by: HashMap::new(),
        names: own.inputs().flat_map(Port::vars).map(|(name, _)| name).collect(),
        outputs: BTreeMap::new(),
        calls: Vec::new(),
    };
    for node in &order {
        builder.node(node)?;
    }

    let preconditions = split(own.inputs().map(|p| p.contract.clone()));
    let mut out = Vec::new();
    for call in &builder.calls {
        for port in call.interface.inputs() {
            let goal = substitute(&port.contract, &call.substitution);
            if is_true(&goal) {
                continue;
            }
            let kind = ObligationKind::CallPrecondition {
                node: call.node.clone(),
                callee: call.callee.clone(),
                port: port.name.clone(),
            };
            let description = format!(
                "`{}` calls `{}`: its input `{}` must satisfy `{}`",
                call.node, call.callee, port.name, port.contract_text
            );
            out.push(builder.obligation(kind, description, &call.node, &preconditions, goal));
        }
    }
    let mut substitution = HashMap::new();
    for port in own.outputs() {
        let Some((_, value)) = builder.outputs.get(&port.name) else {
            return Err(ObligationError::Output {
                port: port.name.clone(),
                message: "no `Output` node computes it".to_owned(),
            });
        };
        substitution.extend(value.bindings(&port.name));
    }
    for port in own.outputs() {
        let goal = substitute(&port.contract, &substitution);
        if is_true(&goal) {
            continue;
        }
        let node = builder.outputs[&port.name].0.clone();
        let description = format!("output `{}` must satisfy `{}`", port.name, port.contract_text);
        let kind = ObligationKind::OutputContract { port: port.name.clone() };
        out.push(builder.obligation(kind, description, &node, &preconditions, goal));
    }
    Ok(out)
}

/// `term` with each variable that `substitution` names replaced by its term.
pub fn substitute(term: &Term, substitution: &HashMap<String, Term>) -> Term {
    let s = |t: &Term| Box::new(substitute(t, substitution));
    match term {
        Term::Var { name, .. } => substitution.get(name).cloned().unwrap_or_else(|| term.clone()),
        Term::Bool(_) | Term::Int { .. } | Term::Float { .. } => term.clone(),
        Term::Not(a) => Term::Not(s(a)),
        Term::Neg(a) => Term::Neg(s(a)),
        Term::IsNan(a) => Term::IsNan(s(a)),
        Term::IsInf(a) => Term::IsInf(s(a)),
        Term::Finite(a) => Term::Finite(s(a)),
        Term::Abs(a) => Term::Abs(s(a)),
        Term::And(terms) => Term::And(terms.iter().map(|t| substitute(t, substitution)).collect()),
        Term::Or(terms) => Term::Or(terms.iter().map(|t| substitute(t, substitution)).collect()),
        Term::Implies(a, b) => Term::Implies(s(a), s(b)),
        Term::Cmp(op, a, b) => Term::Cmp(*op, s(a), s(b)),
        Term::Arith(op, a, b) => Term::Arith(*op, s(a), s(b)),
        Term::Min(a, b) => Term::Min(s(a), s(b)),
        Term::Max(a, b) => Term::Max(s(a), s(b)),
    }
}

/// A deterministic, unambiguous text of `term`: prefix form, literals as
/// their exact bits with their type, variables quoted with their type
/// (`(<= "lo":Float<32> f32:0x00000000)`).
pub fn canonical(term: &Term) -> String {
    let mut out = String::new();
    write_canonical(term, &mut out);
    out
}

fn write_canonical(term: &Term, out: &mut String) {
    let node = |head: &str, args: &[&Term], out: &mut String| {
        out.push('(');
        out.push_str(head);
        for arg in args {
            out.push(' ');
            write_canonical(arg, out);
        }
        out.push(')');
    };
    match term {
        Term::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Term::Int { value, signed, bits } => {
            let _ = write!(out, "{}{bits}:{value:#x}", if *signed { 'i' } else { 'u' });
        }
        Term::Float { bits, width: FloatWidth::F32 } => {
            let _ = write!(out, "f32:{bits:#010x}");
        }
        Term::Float { bits, width: FloatWidth::F64 } => {
            let _ = write!(out, "f64:{bits:#018x}");
        }
        Term::Var { name, ty } => {
            let _ = write!(out, "{name:?}:{ty}");
        }
        Term::Not(a) => node("not", &[a], out),
        Term::Neg(a) => node("neg", &[a], out),
        Term::IsNan(a) => node("is_nan", &[a], out),
        Term::IsInf(a) => node("is_inf", &[a], out),
        Term::Finite(a) => node("finite", &[a], out),
        Term::Abs(a) => node("abs", &[a], out),
        Term::And(terms) => node("and", &terms.iter().collect::<Vec<_>>(), out),
        Term::Or(terms) => node("or", &terms.iter().collect::<Vec<_>>(), out),
        Term::Implies(a, b) => node("=>", &[a, b], out),
        Term::Cmp(op, a, b) => {
            let head = match op {
                CmpOp::Eq => "==",
                CmpOp::Ne => "!=",
                CmpOp::Lt => "<",
                CmpOp::Le => "<=",
                CmpOp::Gt => ">",
                CmpOp::Ge => ">=",
            };
            node(head, &[a, b], out)
        }
        Term::Arith(op, a, b) => {
            let head = match op {
                ArithOp::Add => "+",
                ArithOp::Sub => "-",
                ArithOp::Mul => "*",
                ArithOp::Div => "/",
            };
            node(head, &[a, b], out)
        }
        Term::Min(a, b) => node("min", &[a, b], out),
        Term::Max(a, b) => node("max", &[a, b], out),
    }
}

fn normalised(assumptions: &[Term], goal: &Term) -> String {
    let mut text = String::new();
    for a in assumptions {
        text.push_str(&canonical(a));
        text.push('\n');
    }
    text.push_str("=>\n");
    text.push_str(&canonical(goal));
    text
}

// ---------------------------------------------------------------------------
// Discharge and waivers

/// What decides obligations: Z3 today ([`Z3Prover`]); lemma search can be
/// put in front of it behind the same interface.
pub trait Prover {
    /// Is `assumptions => goal` valid?
    fn prove(&self, assumptions: &[Term], goal: &Term) -> Outcome;
}

/// The contracts crate's Z3 backend (counterexamples re-checked natively).
#[derive(Clone, Copy, Debug, Default)]
pub struct Z3Prover {
    pub options: Options,
}

impl Prover for Z3Prover {
    fn prove(&self, assumptions: &[Term], goal: &Term) -> Outcome {
        prove(assumptions, goal, &self.options)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Status {
    Proved,
    /// Values of the variables under which the assumptions hold and the goal does not.
    Failed {
        counterexample: Counterexample,
    },
    /// Neither proved nor refuted, and why.
    Unknown {
        reason: String,
    },
    /// A proof was found, but it rests on something the project's trust
    /// policy refuses (an axiom under `[trust] allow-axioms = false`), and
    /// why. Not verified.
    Refused {
        reason: String,
    },
    /// Not proved, and accepted by a waiver.
    Waived {
        justification: String,
        approved_by: String,
    },
}

/// An obligation and what became of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Discharged {
    pub obligation: Obligation,
    pub status: Status,
}

/// Asks `prover` about each obligation, in order.
pub fn discharge(obligations: Vec<Obligation>, prover: &dyn Prover) -> Vec<Discharged> {
    obligations
        .into_iter()
        .map(|obligation| {
            let status = match prover.prove(&obligation.assumptions, &obligation.goal) {
                Outcome::Valid => Status::Proved,
                Outcome::Invalid(counterexample) => Status::Failed { counterexample },
                Outcome::Unknown(reason) => Status::Unknown { reason },
            };
            Discharged { obligation, status }
        })
        .collect()
}

/// `[[module.waivers]]` as the obligations see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiver {
    pub id: String,
    pub justification: String,
    pub approved_by: String,
}

/// Which waivers [`apply_waivers`] could not use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnusedWaivers<'w> {
    /// The id names no obligation (stale after a change, or mistyped).
    pub unknown: Vec<&'w Waiver>,
    /// Every obligation with the id is proved: the waiver can go.
    pub proved: Vec<&'w Waiver>,
}

impl UnusedWaivers<'_> {
    pub fn is_empty(&self) -> bool {
        self.unknown.is_empty() && self.proved.is_empty()
    }
}

/// Marks each failed or unknown obligation whose id a waiver names as
/// [`Status::Waived`]. A proof beats a waiver: proved obligations stay
/// proved. Returns the waivers that waived nothing.
pub fn apply_waivers<'w>(discharged: &mut [Discharged], waivers: &'w [Waiver]) -> UnusedWaivers<'w> {
    let mut unused = UnusedWaivers::default();
    for waiver in waivers {
        let mut matched = false;
        let mut used = false;
        for d in discharged.iter_mut().filter(|d| d.obligation.id == waiver.id) {
            matched = true;
            if !matches!(d.status, Status::Proved) {
                used = true;
                d.status = Status::Waived {
                    justification: waiver.justification.clone(),
                    approved_by: waiver.approved_by.clone(),
                };
            }
        }
        if !matched {
            unused.unknown.push(waiver);
        } else if !used {
            unused.proved.push(waiver);
        }
    }
    unused
}

/// Proved obligations in percent of all; 100 when there are none.
pub fn coverage(discharged: &[Discharged]) -> f64 {
    if discharged.is_empty() {
        return 100.0;
    }
    let proved = discharged.iter().filter(|d| matches!(d.status, Status::Proved)).count();
    proved as f64 * 100.0 / discharged.len() as f64
}

// ---------------------------------------------------------------------------
// Building

/// A port's type as values carry it.
#[derive(Clone, Debug, PartialEq)]
enum Ty {
    Scalar(Scalar),
    Record { name: String, fields: Vec<(String, Scalar)> },
}

impl Ty {
    fn of(port: &PortType) -> Ty {
        match port {
            PortType::Scalar(s) => Ty::Scalar(*s),
            PortType::Record { name, fields } => Ty::Record { name: name.clone(), fields: fields.clone() },
        }
    }

    fn shown(&self) -> String {
        match self {
            Ty::Scalar(s) => s.to_string(),
            Ty::Record { name, .. } => name.clone(),
        }
    }

    /// Does a node port declared with type string `declared` carry this?
    fn is_declared_as(&self, declared: &str) -> bool {
        match (parse_scalar(declared), self) {
            (Some(s), Ty::Scalar(t)) => s == *t,
            (None, Ty::Record { name, .. }) => name == declared.trim(),
            _ => false,
        }
    }
}

/// The scalar type `text` names; `None` for a record type name.
fn parse_scalar(text: &str) -> Option<Scalar> {
    torc_contracts::check::parse_scalar(text)
}

/// What travels on an edge.
#[derive(Clone, Debug)]
enum Val {
    Scalar(Term),
    Record { name: String, fields: Vec<(String, Term)> },
}

impl Val {
    /// Variables named after `base`: `base`, or `base.field` per field.
    fn vars(base: &str, ty: &Ty) -> Val {
        match ty {
            Ty::Scalar(s) => Val::Scalar(Term::Var { name: base.to_owned(), ty: *s }),
            Ty::Record { name, fields } => Val::Record {
                name: name.clone(),
                fields: fields
                    .iter()
                    .map(|(f, s)| (f.clone(), Term::Var { name: format!("{base}.{f}"), ty: *s }))
                    .collect(),
            },
        }
    }

    fn ty(&self) -> Ty {
        match self {
            Val::Scalar(t) => Ty::Scalar(t.ty()),
            Val::Record { name, fields } => {
                Ty::Record { name: name.clone(), fields: fields.iter().map(|(f, t)| (f.clone(), t.ty())).collect() }
            }
        }
    }

    /// The substitution that puts this value in place of the variables of
    /// a port named `base`.
    fn bindings(&self, base: &str) -> Vec<(String, Term)> {
        match self {
            Val::Scalar(t) => vec![(base.to_owned(), t.clone())],
            Val::Record { fields, .. } => fields.iter().map(|(f, t)| (format!("{base}.{f}"), t.clone())).collect(),
        }
    }

    /// The value's scalar terms, in field order.
    fn terms(&self) -> Vec<&Term> {
        match self {
            Val::Scalar(t) => vec![t],
            Val::Record { fields, .. } => fields.iter().map(|(_, t)| t).collect(),
        }
    }
}

/// A node's port: (node name, port name).
type PortKey = (String, String);

/// The assumption that defines some fresh variables.
struct Definition {
    node: String,
    assumption: Term,
}

struct CallSite<'i> {
    node: String,
    callee: String,
    interface: &'i Interface,
    /// Callee variable -> term in this module.
    substitution: HashMap<String, Term>,
}

struct Builder<'i> {
    own: &'i Interface,
    callees: &'i BTreeMap<String, Interface>,
    /// (node, input port) -> (node, output port) feeding it.
    incoming: HashMap<PortKey, PortKey>,
    /// (node, output port) -> its value.
    values: HashMap<PortKey, Val>,
    definitions: Vec<Definition>,
    /// Fresh variable -> index of its definition.
    defined_by: HashMap<String, usize>,
    /// Every variable name in use (module inputs, fresh variables).
    names: HashSet<String>,
    /// The module's output port -> (its `Output` node, the value).
    outputs: BTreeMap<String, (String, Val)>,
    calls: Vec<CallSite<'i>>,
}

fn node_error(node: &Node, message: impl Into<String>) -> ObligationError {
    ObligationError::Node { node: node.name.clone(), message: message.into() }
}

impl<'i> Builder<'i> {
    fn node(&mut self, node: &Node) -> Result<(), ObligationError> {
        let inputs = self.inputs(node)?;
        let arity = |n: usize, m: usize| -> Result<(), ObligationError> {
            if node.inputs.len() != n || node.outputs.len() != m {
                return Err(node_error(
                    node,
                    format!(
                        "`{}` takes {n} input(s) and gives {m} output(s); this node has {} and {}",
                        node.op.name(),
                        node.inputs.len(),
                        node.outputs.len()
                    ),
                ));
            }
            Ok(())
        };
        let value = match &node.op {
            Op::Input { port } => {
                arity(0, 1)?;
                let p = self.own_port(node, port, Direction::Input)?;
                Val::vars(port, &Ty::of(&p.ty))
            }
            Op::Output { port } => {
                arity(1, 0)?;
                let p = self.own_port(node, port, Direction::Output)?;
                let ty = Ty::of(&p.ty);
                if inputs[0].ty() != ty {
                    return Err(node_error(
                        node,
                        format!(
                            "output `{port}` is a {}, but the node receives a {}",
                            ty.shown(),
                            inputs[0].ty().shown()
                        ),
                    ));
                }
                if let Some((other, _)) = self.outputs.get(port) {
                    return Err(node_error(node, format!("output `{port}` is already computed by node `{other}`")));
                }
                self.outputs.insert(port.clone(), (node.name.clone(), inputs[0].clone()));
                return Ok(());
            }
            Op::Const { value } => {
                arity(0, 1)?;
                let Some(ty) = parse_scalar(&node.outputs[0].ty) else {
                    return Err(node_error(
                        node,
                        format!("a constant needs a scalar type, not `{}`", node.outputs[0].ty),
                    ));
                };
                Val::Scalar(literal(value, ty).map_err(|message| node_error(node, message))?)
            }
            Op::Call { module, .. } => return self.call(node, module, inputs),
            Op::Select => {
                arity(3, 1)?;
                let c = scalar(node, &inputs[0], Some(Scalar::Bool))?;
                if inputs[1].ty() != inputs[2].ty() {
                    return Err(node_error(
                        node,
                        format!(
                            "`select` needs both branches of one type; they are {} and {}",
                            inputs[1].ty().shown(),
                            inputs[2].ty().shown()
                        ),
                    ));
                }
                self.select(node, c, &inputs[1], &inputs[2])?
            }
            op => {
                let terms = inputs.iter().map(|v| scalar(node, v, None)).collect::<Result<Vec<_>, _>>()?;
                Val::Scalar(self.operator(node, op, terms)?)
            }
        };
        let declared = &node.outputs[0];
        if !value.ty().is_declared_as(&declared.ty) {
            return Err(node_error(
                node,
                format!(
                    "output `{}` is declared `{}` but computes a {}",
                    declared.name,
                    declared.ty,
                    value.ty().shown()
                ),
            ));
        }
        self.values.insert((node.name.clone(), declared.name.clone()), value);
        Ok(())
    }

    /// The values on the node's inputs, in declared order, each checked
    /// against the port's declared type.
    fn inputs(&self, node: &Node) -> Result<Vec<Val>, ObligationError> {
        let mut out = Vec::new();
        for port in &node.inputs {
            let key = (node.name.clone(), port.name.clone());
            let Some(from) = self.incoming.get(&key) else {
                return Err(node_error(node, format!("input `{}` is not connected", port.name)));
            };
            // Sources are evaluated first (topological order) and exist (checked with the edges).
            let Some(value) = self.values.get(from) else {
                return Err(ObligationError::Edge {
                    from: format!("{}.{}", from.0, from.1),
                    to: format!("{}.{}", node.name, port.name),
                    message: "the source gives no value".to_owned(),
                });
            };
            if !value.ty().is_declared_as(&port.ty) {
                return Err(ObligationError::Edge {
                    from: format!("{}.{}", from.0, from.1),
                    to: format!("{}.{}", node.name, port.name),
                    message: format!("carries a {} into a port declared `{}`", value.ty().shown(), port.ty),
                });
            }
            out.push(value.clone());
        }
        Ok(out)
    }

    fn own_port(&self, node: &Node, port: &str, direction: Direction) -> Result<&'i Port, ObligationError> {
        match self.own.port(port) {
            Some(p) if p.direction == direction => Ok(p),
            Some(p) => {
                Err(node_error(node, format!("`{port}` is an {} of the module, not an {direction}", p.direction)))
            }
            None => Err(node_error(node, format!("the module has no {direction} `{port}`"))),
        }
    }

    fn operator(&self, node: &Node, op: &Op, terms: Vec<Term>) -> Result<Term, ObligationError> {
        let name = op.name();
        let want = match op {
            Op::And | Op::Or => 2..=usize::MAX,
            Op::Neg | Op::Not | Op::Abs => 1..=1,
            Op::Clamp => 3..=3,
            _ => 2..=2,
        };
        if !want.contains(&terms.len()) || node.outputs.len() != 1 {
            let inputs = if want.end() == &usize::MAX { "two or more".to_owned() } else { want.start().to_string() };
            return Err(node_error(
                node,
                format!(
                    "`{name}` takes {inputs} input(s) and gives one output; this node has {} and {}",
                    terms.len(),
                    node.outputs.len()
                ),
            ));
        }
        let ty = terms[0].ty();
        if let Some(other) = terms.iter().find(|t| t.ty() != ty) {
            return Err(node_error(
                node,
                format!("`{name}` needs inputs of one type; they are {ty} and {}", other.ty()),
            ));
        }
        let boolean = matches!(op, Op::And | Op::Or | Op::Not);
        let numeric = matches!(ty, Scalar::Int { .. } | Scalar::Float(_));
        let ok = match op {
            Op::And | Op::Or | Op::Not => ty == Scalar::Bool,
            Op::Eq | Op::Ne => true,
            _ => numeric,
        };
        if !ok {
            let need = if boolean { "Bool" } else { "numbers" };
            return Err(node_error(node, format!("`{name}` takes {need}, not {ty}")));
        }
        let mut t = terms.into_iter();
        let mut next = || Box::new(t.next().expect("arity checked"));
        Ok(match op {
            Op::Add => Term::Arith(ArithOp::Add, next(), next()),
            Op::Sub => Term::Arith(ArithOp::Sub, next(), next()),
            Op::Mul => Term::Arith(ArithOp::Mul, next(), next()),
            Op::Div => Term::Arith(ArithOp::Div, next(), next()),
            Op::Neg => Term::Neg(next()),
            Op::Eq => Term::Cmp(CmpOp::Eq, next(), next()),
            Op::Ne => Term::Cmp(CmpOp::Ne, next(), next()),
            Op::Lt => Term::Cmp(CmpOp::Lt, next(), next()),
            Op::Le => Term::Cmp(CmpOp::Le, next(), next()),
            Op::Gt => Term::Cmp(CmpOp::Gt, next(), next()),
            Op::Ge => Term::Cmp(CmpOp::Ge, next(), next()),
            Op::And => Term::And(std::iter::from_fn(|| t.next()).collect()),
            Op::Or => Term::Or(std::iter::from_fn(|| t.next()).collect()),
            Op::Not => Term::Not(next()),
            Op::Abs => Term::Abs(next()),
            Op::Min => Term::Min(next(), next()),
            Op::Max => Term::Max(next(), next()),
            Op::Clamp => {
                let (x, lo, hi) = (next(), next(), next());
                Term::Min(Box::new(Term::Max(x, lo)), hi)
            }
            Op::Input { .. } | Op::Output { .. } | Op::Const { .. } | Op::Select | Op::Call { .. } => {
                unreachable!("handled by Builder::node")
            }
        })
    }

    fn select(&mut self, node: &Node, c: Term, then: &Val, other: &Val) -> Result<Val, ObligationError> {
        if let (Val::Scalar(a), Val::Scalar(b)) = (then, other) {
            if a.ty() == Scalar::Bool {
                let (a, b) = (a.clone(), b.clone());
                return Ok(Val::Scalar(Term::Or(vec![
                    Term::And(vec![c.clone(), a]),
                    Term::And(vec![Term::Not(Box::new(c)), b]),
                ])));
            }
        }
        let v = self.fresh(node, &node.outputs[0].name, &then.ty())?;
        let (mut when_then, mut when_else) = (Vec::new(), Vec::new());
        for ((v, a), b) in v.terms().into_iter().zip(then.terms()).zip(other.terms()) {
            when_then.push(same(v, a));
            when_else.push(same(v, b));
        }
        let assumption = Term::And(vec![
            Term::Implies(Box::new(c.clone()), Box::new(and(when_then))),
            Term::Implies(Box::new(Term::Not(Box::new(c))), Box::new(and(when_else))),
        ]);
        self.define(node, &v, assumption);
        Ok(v)
    }

    fn call(&mut self, node: &Node, module: &str, inputs: Vec<Val>) -> Result<(), ObligationError> {
        let Some(interface) = self.callees.get(module) else {
            return Err(node_error(node, format!("calls `{module}`, whose interface is not known")));
        };
        let mut substitution: HashMap<String, Term> = HashMap::new();
        for (declared, value) in node.inputs.iter().zip(&inputs) {
            match interface.port(&declared.name) {
                Some(p) if p.direction == Direction::Input => {
                    let ty = Ty::of(&p.ty);
                    if value.ty() != ty {
                        return Err(node_error(
                            node,
                            format!(
                                "`{module}` takes a {} on `{}`, not a {}",
                                ty.shown(),
                                declared.name,
                                value.ty().shown()
                            ),
                        ));
                    }
                    substitution.extend(value.bindings(&declared.name));
                }
                _ => return Err(node_error(node, format!("`{module}` has no input `{}`", declared.name))),
            }
        }
        for p in interface.inputs() {
            if node.inputs.iter().any(|d| d.name == p.name) {
                continue;
            }
            match p.default {
                Some(default) => {
                    substitution.insert(p.name.clone(), default.to_term());
                }
                None => {
                    return Err(node_error(
                        node,
                        format!("input `{}` of `{module}` is not connected and has no default", p.name),
                    ))
                }
            }
        }
        let mut fresh = Vec::new();
        for p in interface.outputs() {
            let ty = Ty::of(&p.ty);
            let value = self.fresh(node, &p.name, &ty)?;
            substitution.extend(value.bindings(&p.name));
            fresh.push((p.name.clone(), value));
        }
        for declared in &node.outputs {
            let Some((_, value)) = fresh.iter().find(|(name, _)| *name == declared.name) else {
                return Err(node_error(node, format!("`{module}` has no output `{}`", declared.name)));
            };
            if !value.ty().is_declared_as(&declared.ty) {
                return Err(node_error(
                    node,
                    format!(
                        "output `{}` is declared `{}`, but `{module}` gives a {}",
                        declared.name,
                        declared.ty,
                        value.ty().shown()
                    ),
                ));
            }
            self.values.insert((node.name.clone(), declared.name.clone()), value.clone());
        }
        let pre = substitute(&interface.precondition(), &substitution);
        let post = substitute(&interface.postcondition(), &substitution);
        if !is_true(&post) {
            let assumption = if is_true(&pre) { post } else { Term::Implies(Box::new(pre), Box::new(post)) };
            let vars: Vec<Val> = fresh.into_iter().map(|(_, v)| v).collect();
            for v in &vars {
                self.define(node, v, assumption.clone());
            }
        }
        self.calls.push(CallSite { node: node.name.clone(), callee: module.to_owned(), interface, substitution });
        Ok(())
    }

    /// Fresh variables `node.port` (`node.port.field`) of type `ty`.
    fn fresh(&mut self, node: &Node, port: &str, ty: &Ty) -> Result<Val, ObligationError> {
        let value = Val::vars(&format!("{}.{port}", node.name), ty);
        for t in value.terms() {
            let Term::Var { name, .. } = t else { unreachable!("fresh values are variables") };
            if !self.names.insert(name.clone()) {
                return Err(node_error(
                    node,
                    format!("variable `{name}` would name two things: rename the node or the port"),
                ));
            }
        }
        Ok(value)
    }

    /// Records `assumption` as the definition of `value`'s variables (once
    /// per node).
    fn define(&mut self, node: &Node, value: &Val, assumption: Term) {
        let index = match self.definitions.iter().position(|d| d.node == node.name) {
            Some(i) => i,
            None => {
                self.definitions.push(Definition { node: node.name.clone(), assumption });
                self.definitions.len() - 1
            }
        };
        for t in value.terms() {
            if let Term::Var { name, .. } = t {
                self.defined_by.insert(name.clone(), index);
            }
        }
    }

    /// An obligation with the preconditions and the definitions its goal
    /// depends on (never the definition of `about` itself).
    fn obligation(
        &self,
        kind: ObligationKind,
        description: String,
        about: &str,
        preconditions: &[Term],
        goal: Term,
    ) -> Obligation {
        let mut used: BTreeSet<usize> = BTreeSet::new();
        let mut pending: Vec<String> = goal.vars().into_iter().map(|(name, _)| name).collect();
        while let Some(name) = pending.pop() {
            let Some(&i) = self.defined_by.get(&name) else { continue };
            if self.definitions[i].node == about || !used.insert(i) {
                continue;
            }
            pending.extend(self.definitions[i].assumption.vars().into_iter().map(|(name, _)| name));
        }
        let assumptions =
            split(preconditions.iter().cloned().chain(used.iter().map(|&i| self.definitions[i].assumption.clone())));
        let text = normalised(&assumptions, &goal);
        let hash = blake3::hash(text.as_bytes()).to_hex();
        Obligation { id: hash[..16].to_owned(), kind, description, node: Some(about.to_owned()), assumptions, goal }
    }
}

/// The value on a scalar edge (of type `want`, when given).
fn scalar(node: &Node, value: &Val, want: Option<Scalar>) -> Result<Term, ObligationError> {
    match value {
        Val::Scalar(t) if want.is_none_or(|w| w == t.ty()) => Ok(t.clone()),
        Val::Scalar(t) => Err(node_error(
            node,
            format!("`{}` needs a {} here, not a {}", node.op.name(), want.expect("checked"), t.ty()),
        )),
        Val::Record { name, .. } => Err(node_error(
            node,
            format!("`{}` cannot take a record (`{name}`): records only pass through", node.op.name()),
        )),
    }
}

/// `v` and `a` are the same value (identity, not IEEE equality).
fn same(v: &Term, a: &Term) -> Term {
    let eq = |x: &Term, y: &Term| Term::Cmp(CmpOp::Eq, Box::new(x.clone()), Box::new(y.clone()));
    match v.ty() {
        Scalar::Float(width) => {
            let (zero, one) = match width {
                FloatWidth::F32 => (Value::F32(0.0).to_term(), Value::F32(1.0).to_term()),
                FloatWidth::F64 => (Value::F64(0.0).to_term(), Value::F64(1.0).to_term()),
            };
            let recip = |x: &Term| Term::Arith(ArithOp::Div, Box::new(one.clone()), Box::new(x.clone()));
            Term::Or(vec![
                Term::And(vec![Term::IsNan(Box::new(v.clone())), Term::IsNan(Box::new(a.clone()))]),
                Term::And(vec![
                    eq(v, a),
                    Term::Or(vec![Term::Cmp(CmpOp::Ne, Box::new(v.clone()), Box::new(zero)), eq(&recip(v), &recip(a))]),
                ]),
            ])
        }
        Scalar::Bool | Scalar::Int { .. } => eq(v, a),
    }
}

fn and(mut terms: Vec<Term>) -> Term {
    if terms.len() == 1 {
        terms.pop().expect("one term")
    } else {
        Term::And(terms)
    }
}

fn is_true(term: &Term) -> bool {
    match term {
        Term::Bool(b) => *b,
        Term::And(terms) => terms.iter().all(is_true),
        _ => false,
    }
}

/// Top-level conjunctions split, trivially true parts dropped, duplicates
/// removed, sorted by canonical text.
fn split(terms: impl IntoIterator<Item = Term>) -> Vec<Term> {
    fn go(term: Term, out: &mut BTreeMap<String, Term>) {
        match term {
            Term::And(terms) => terms.into_iter().for_each(|t| go(t, out)),
            t if is_true(&t) => {}
            t => {
                out.insert(canonical(&t), t);
            }
        }
    }
    let mut out = BTreeMap::new();
    terms.into_iter().for_each(|t| go(t, &mut out));
    out.into_values().collect()
}

/// A literal read at type `ty`, exactly as the contract checker reads it.
fn literal(text: &str, ty: Scalar) -> Result<Term, String> {
    const NAME: &str = "constant";
    let var = Term::Var { name: NAME.to_owned(), ty };
    let not_literal = || format!("`{text}` is not a literal of type {ty}");
    let term = check_formula(&format!("{NAME} == {text}"), &[(NAME.to_owned(), ty)])
        .map_err(|e| format!("`{text}` is not a literal of type {ty}: {}", e.message))?;
    match term {
        Term::Cmp(CmpOp::Eq, lhs, rhs)
            if *lhs == var && matches!(*rhs, Term::Bool(_) | Term::Int { .. } | Term::Float { .. }) =>
        {
            Ok(*rhs)
        }
        _ => Err(not_literal()),
    }
}

/// (node, input port) -> (node, output port), each input fed at most once,
/// every endpoint a declared port.
fn incoming(graph: &Graph) -> Result<HashMap<PortKey, PortKey>, ObligationError> {
    let nodes: HashMap<&str, &Node> = graph.nodes.iter().map(|n| (n.name.as_str(), n)).collect();
    let mut out = HashMap::new();
    for edge in &graph.edges {
        let from = format!("{}.{}", edge.from.node, edge.from.port);
        let to = format!("{}.{}", edge.to.node, edge.to.port);
        let error = |message: String| ObligationError::Edge { from: from.clone(), to: to.clone(), message };
        match nodes.get(edge.from.node.as_str()) {
            None => return Err(error(format!("there is no node `{}`", edge.from.node))),
            Some(n) if !n.outputs.iter().any(|p| p.name == edge.from.port) => {
                return Err(error(format!("node `{}` has no output `{}`", n.name, edge.from.port)))
            }
            _ => {}
        }
        match nodes.get(edge.to.node.as_str()) {
            None => return Err(error(format!("there is no node `{}`", edge.to.node))),
            Some(n) if !n.inputs.iter().any(|p| p.name == edge.to.port) => {
                return Err(error(format!("node `{}` has no input `{}`", n.name, edge.to.port)))
            }
            _ => {}
        }
        let key = (edge.to.node.clone(), edge.to.port.clone());
        let value = (edge.from.node.clone(), edge.from.port.clone());
        if let Some((n, p)) = out.insert(key, value) {
            return Err(error(format!("`{to}` is already fed by `{n}.{p}`")));
        }
    }
    Ok(out)
}

/// Nodes in a topological order of the data edges, ties broken by name (so
/// the order does not depend on the order of the source); a cycle is an
/// error that names one.
fn topological_order(graph: &Graph) -> Result<Vec<&Node>, ObligationError> {
    let mut by_name: BTreeMap<&str, &Node> = BTreeMap::new();
    for node in &graph.nodes {
        if by_name.insert(&node.name, node).is_some() {
            return Err(node_error(node, "two nodes have this name"));
        }
    }
    let mut indegree: BTreeMap<&str, usize> = by_name.keys().map(|n| (*n, 0)).collect();
    let mut successors: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut predecessors: HashMap<&str, Vec<&str>> = HashMap::new();
    for edge in &graph.edges {
        let (from, to) = (edge.from.node.as_str(), edge.to.node.as_str());
        if !by_name.contains_key(from) || !by_name.contains_key(to) {
            continue; // reported with the edges
        }
        *indegree.get_mut(to).expect("known node") += 1;
        successors.entry(from).or_default().push(to);
        predecessors.entry(to).or_default().push(from);
    }
    let mut ready: BTreeSet<&str> = indegree.iter().filter(|(_, d)| **d == 0).map(|(n, _)| *n).collect();
    let mut order = Vec::with_capacity(by_name.len());
    while let Some(name) = ready.pop_first() {
        order.push(by_name[name]);
        for next in successors.get(name).into_iter().flatten() {
            let d = indegree.get_mut(next).expect("known node");
            *d -= 1;
            if *d == 0 {
                ready.insert(next);
            }
        }
    }
    if order.len() == by_name.len() {
        return Ok(order);
    }
    // Walk back through unplaced predecessors from an unplaced node until a
    // node repeats: every unplaced node has one.
    let placed: HashSet<&str> = order.iter().map(|n| n.name.as_str()).collect();
    let Some(mut at) = by_name.keys().copied().find(|n| !placed.contains(n)) else {
        unreachable!("some node is unplaced")
    };
    let mut path: Vec<&str> = Vec::new();
    while !path.contains(&at) {
        path.push(at);
        let mut back: Vec<&str> = predecessors[at].iter().copied().filter(|p| !placed.contains(p)).collect();
        back.sort_unstable();
        at = back[0];
    }
    let start = path.iter().position(|n| *n == at).expect("repeated");
    let mut cycle: Vec<String> = path[start..].iter().rev().map(|n| (*n).to_owned()).collect();
    // Start at the smallest name, so the message does not depend on the walk.
    let first = (0..cycle.len()).min_by_key(|&i| &cycle[i]).expect("a cycle has nodes");
    cycle.rotate_left(first);
    cycle.push(cycle[0].clone());
    Err(ObligationError::Cycle { cycle })
}
