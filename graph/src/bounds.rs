//! Resource bounds as a lattice, aggregated over the call graph of a
//! resolved dependency tree.
//!
//! A [`Bound`] is what is known of one amount: `Exact(n)`, `AtLeast(n)` (a
//! cost somewhere is unknown, so the true amount is `n` or more) or
//! `Unbounded(reason)` (recursion without a depth, an overflow). Unknown
//! costs never become guesses: they make the answer a lower bound.
//!
//! Within one module (one [`Graph`]) every node runs once per step, in a
//! topological order, so frames do not nest *within* a module; they nest
//! through calls:
//!
//! - **stack** = max over nodes of (own frame + the callee's stack, for a
//!   call node); an unknown frame counts as `AtLeast(0)`. The worst path is
//!   kept: `["integrate", "torc-math::mul"]` (the module's own node first,
//!   nodes inside callees prefixed with their module).
//! - **heap** = sum over nodes of (own heap + the callee's heap, per call
//!   site).
//! - **WCET** = sum over nodes of (own cycles + the callee's, for a call).
//! - **effects** = union of the nodes' effects and the callees'; `pure` is
//!   the empty set.
//!
//! Across modules, [`analyze`] walks the strongly connected components of
//! the call graph (petgraph's iterative Kosaraju), callees first. A module
//! without a graph takes its entry in `fallback` (its manifest's declared
//! bounds, *trusted* as its bound: see [`ModuleBounds::declared`]), or, with
//! none, `AtLeast(0)` everywhere and unknown effects, with the note "no
//! graph and no declared bound".
//!
//! **Recursion.** A cycle of calls between modules (an SCC with more than
//! one module, or a module calling itself) is unbounded, the reason naming
//! the cycle (`recursion torc-a -> torc-b -> torc-a`), unless every call
//! node on a call *inside* the SCC carries `max_depth`. `max_depth = d` on a
//! call node means: at most `d` activations of that call are nested on the
//! stack at any time. Then, with `K` = the sum of `d` over the SCC's
//! internal call nodes, any call chain holds at most `K + 1` activations of
//! the SCC's modules, and, with `b` = the largest number of internal call
//! nodes in one module, one entry into the SCC makes at most
//! `N = 1 + b + b^2 + ... + b^K` activations. For every module of the SCC:
//!
//! - stack = `(K + 1) × L_stack`, heap = `N × L_heap`, WCET = `N × L_wcet`,
//!   where `L_r` is the largest per-activation amount among the SCC's
//!   modules (their own nodes, internal calls counting only the call node's
//!   own cost, calls leaving the SCC counting the callee in full);
//! - effects = union over the SCC and its callees.
//!
//! This is sound, not tight; an overflow makes it unbounded.
//!
//! Every algorithm here is iterative and linear in nodes + call edges (plus
//! the length of the worst paths copied into each module's result).
//!
//! ```
//! use std::collections::BTreeMap;
//! use torc_graph::bounds::{analyze, Bound};
//! use torc_graph::model::{Cost, Graph, Node, Op};
//!
//! let node = |name: &str, op: Op, stack: u64| Node {
//!     name: name.into(),
//!     op,
//!     inputs: vec![],
//!     outputs: vec![],
//!     cost: Cost { stack: Some(stack), heap: Some(0), effects: vec![], wcet: Some(10) },
//! };
//! let math = Graph { module: "torc-math".into(), nodes: vec![node("mul", Op::Mul, 40)], edges: vec![] };
//! let call = Op::Call { module: "torc-math".into(), max_depth: None };
//! let pid = Graph { module: "torc-pid".into(), nodes: vec![node("integrate", call, 272)], edges: vec![] };
//! let graphs = BTreeMap::from([("torc-math".to_owned(), math), ("torc-pid".to_owned(), pid)]);
//! let bounds = analyze(&graphs, &BTreeMap::new());
//! assert_eq!(bounds["torc-pid"].stack, Bound::Exact(312));
//! assert_eq!(bounds["torc-pid"].stack_path, ["integrate", "torc-math::mul"]);
//! assert_eq!(bounds["torc-pid"].wcet, Bound::Exact(20));
//! ```

use crate::model::{Cost, Graph, Op};
use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt;

/// The longest worst path kept in a [`ModuleBounds`]; a deeper chain is cut
/// (its length stays linear in the number of modules times this).
pub const MAX_PATH: usize = 64;

/// What is known of one amount (bytes or cycles).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bound {
    /// Known exactly (an upper bound that every cost along it confirms).
    Exact(u64),
    /// Some cost is unknown: the true amount is at least this.
    AtLeast(u64),
    /// No finite bound, and why (`recursion torc-a -> torc-b -> torc-a`).
    Unbounded(String),
}

impl Bound {
    /// Nothing at all: the bottom of the lattice.
    pub const ZERO: Bound = Bound::Exact(0);

    /// An amount that may be unknown: `None` is `AtLeast(0)`.
    pub fn of(amount: Option<u64>) -> Bound {
        amount.map_or(Bound::AtLeast(0), Bound::Exact)
    }

    /// The least upper bound: the larger amount, `AtLeast` when either side
    /// is, `Unbounded` when either side is (the left reason wins).
    pub fn max(&self, other: &Bound) -> Bound {
        match (self, other) {
            (Bound::Unbounded(_), _) => self.clone(),
            (_, Bound::Unbounded(_)) => other.clone(),
            (Bound::Exact(a), Bound::Exact(b)) => Bound::Exact(*a.max(b)),
            (a, b) => Bound::AtLeast(a.amount().max(b.amount())),
        }
    }

    /// The sum; an overflow of `u64` is `Unbounded`.
    pub fn add(&self, other: &Bound) -> Bound {
        match (self, other) {
            (Bound::Unbounded(_), _) => self.clone(),
            (_, Bound::Unbounded(_)) => other.clone(),
            (a, b) => match a.amount().checked_add(b.amount()) {
                None => overflow(),
                Some(sum) if a.is_exact() && b.is_exact() => Bound::Exact(sum),
                Some(sum) => Bound::AtLeast(sum),
            },
        }
    }

    /// `factor` times this amount; an overflow is `Unbounded`.
    pub fn scale(&self, factor: u64) -> Bound {
        match self {
            Bound::Unbounded(_) => self.clone(),
            Bound::Exact(n) => n.checked_mul(factor).map_or_else(overflow, Bound::Exact),
            Bound::AtLeast(n) => n.checked_mul(factor).map_or_else(overflow, Bound::AtLeast),
        }
    }

    /// The known part: the exact amount or the lower bound; 0 when unbounded.
    pub fn amount(&self) -> u64 {
        match self {
            Bound::Exact(n) | Bound::AtLeast(n) => *n,
            Bound::Unbounded(_) => 0,
        }
    }

    pub fn is_exact(&self) -> bool {
        matches!(self, Bound::Exact(_))
    }

    pub fn is_unbounded(&self) -> bool {
        matches!(self, Bound::Unbounded(_))
    }

    /// Rendered with another unit than bytes (`"cycles"`).
    pub fn display_in<'a>(&'a self, unit: &'a str) -> impl fmt::Display + 'a {
        BoundIn { bound: self, unit }
    }

    /// Order used to pick the worst path: unbounded first, then the larger
    /// amount, then a lower bound before an exact amount.
    fn severity(&self) -> (bool, u64, bool) {
        (self.is_unbounded(), self.amount(), matches!(self, Bound::AtLeast(_)))
    }
}

fn overflow() -> Bound {
    Bound::Unbounded(format!("overflow: the amount exceeds {}", u64::MAX))
}

/// Renders in bytes: `312 bytes`, `>= 312 bytes`, `unbounded: <reason>`.
impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        BoundIn { bound: self, unit: "bytes" }.fmt(f)
    }
}

struct BoundIn<'a> {
    bound: &'a Bound,
    unit: &'a str,
}

impl fmt::Display for BoundIn<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.bound {
            Bound::Exact(n) => write!(f, "{n} {}", self.unit),
            Bound::AtLeast(n) => write!(f, ">= {n} {}", self.unit),
            Bound::Unbounded(reason) => write!(f, "unbounded: {reason}"),
        }
    }
}

/// The bounds of one module, its callees included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleBounds {
    /// Bytes.
    pub stack: Bound,
    /// The worst call chain for the stack: this module's node first, then
    /// nodes of callees as `module::node`. Empty when the module has no
    /// graph (or no nodes). At most [`MAX_PATH`] elements: deeper calls are
    /// counted in `stack_path_elided`.
    pub stack_path: Vec<String>,
    /// How many calls at the end of the worst path `stack_path` leaves out.
    pub stack_path_elided: u64,
    /// Bytes.
    pub heap: Bound,
    /// Cycles per step.
    pub wcet: Bound,
    /// Union of the effects of the module and its callees; empty = pure.
    pub effects: BTreeSet<String>,
    /// False when some module reached has neither a graph nor declared
    /// effects: then `effects` is a lower bound of the true set.
    pub effects_known: bool,
    /// Why an amount is not exact, for this module only (callees keep
    /// their own notes).
    pub notes: Vec<String>,
}

impl ModuleBounds {
    /// Bounds taken on trust from a manifest's `[module.resource-bounds]`
    /// (a module without a graph): each declared `<= n` becomes `Exact(n)`,
    /// an absent amount `AtLeast(0)`, absent effects unknown.
    pub fn declared(
        stack: Option<u64>,
        heap: Option<u64>,
        wcet: Option<u64>,
        effects: Option<BTreeSet<String>>,
    ) -> Self {
        let mut notes = vec!["declared bounds, trusted (no graph)".to_owned()];
        for (name, amount) in [("stack", stack), ("heap", heap), ("wcet", wcet)] {
            if amount.is_none() {
                notes.push(format!("no graph and no declared {name}"));
            }
        }
        if effects.is_none() {
            notes.push("no graph and no declared effects".to_owned());
        }
        ModuleBounds {
            stack: Bound::of(stack),
            stack_path: Vec::new(),
            stack_path_elided: 0,
            heap: Bound::of(heap),
            wcet: Bound::of(wcet),
            effects_known: effects.is_some(),
            effects: effects.unwrap_or_default(),
            notes,
        }
    }

    /// A module that has neither a graph nor declared bounds.
    pub fn unknown() -> Self {
        ModuleBounds {
            stack: Bound::AtLeast(0),
            stack_path: Vec::new(),
            stack_path_elided: 0,
            heap: Bound::AtLeast(0),
            wcet: Bound::AtLeast(0),
            effects: BTreeSet::new(),
            effects_known: false,
            notes: vec!["no graph and no declared bound".to_owned()],
        }
    }
}

/// The bounds of every module named in `graphs` and of every module they
/// call (directly or not), keyed by module name. See the module docs for
/// what is computed.
pub fn analyze(
    graphs: &BTreeMap<String, Graph>,
    fallback: &BTreeMap<String, ModuleBounds>,
) -> BTreeMap<String, ModuleBounds> {
    // Modules: those with a graph, then callees in first-seen order.
    let mut names: Vec<&str> = Vec::with_capacity(graphs.len());
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(graphs.len());
    for name in graphs.keys() {
        index.insert(name, names.len());
        names.push(name);
    }
    let with_graph = names.len();
    let mut call_graph: DiGraph<(), ()> = DiGraph::with_capacity(names.len(), 0);
    for _ in 0..with_graph {
        call_graph.add_node(());
    }
    for (caller, graph) in graphs.values().enumerate() {
        for callee in callees(graph) {
            let callee = *index.entry(callee).or_insert_with(|| {
                names.push(callee);
                names.len() - 1
            });
            if callee >= call_graph.node_count() {
                call_graph.add_node(());
            }
            call_graph.add_edge(NodeIndex::new(caller), NodeIndex::new(callee), ());
        }
    }
    let graph_table: Vec<&Graph> = graphs.values().collect();

    let mut results: Vec<Option<ModuleBounds>> = vec![None; names.len()];
    // Callees first (Kosaraju's components come in reverse topological order).
    for mut component in kosaraju_scc(&call_graph) {
        component.sort_unstable();
        let members: Vec<usize> = component.iter().map(|n| n.index()).collect();
        let self_call = members.len() == 1
            && members[0] < with_graph
            && callees(graph_table[members[0]]).any(|c| index[c] == members[0]);
        if members.len() == 1 && !self_call {
            let m = members[0];
            let bounds = match graph_table.get(m).filter(|_| m < with_graph) {
                Some(graph) => acyclic(graph, &index, &names, &results),
                None => fallback.get(names[m]).cloned().unwrap_or_else(ModuleBounds::unknown),
            };
            results[m] = Some(bounds);
        } else {
            for (m, bounds) in recursive(&members, &graph_table, &index, &names, &results) {
                results[m] = Some(bounds);
            }
        }
    }
    names
        .iter()
        .zip(results)
        .map(|(name, bounds)| ((*name).to_owned(), bounds.unwrap_or_else(ModuleBounds::unknown)))
        .collect()
}

/// The modules a graph calls, once per call node.
fn callees(graph: &Graph) -> impl Iterator<Item = &str> {
    graph.nodes.iter().filter_map(|node| match &node.op {
        Op::Call { module, .. } => Some(module.as_str()),
        _ => None,
    })
}

/// `module::node` for a path element of a callee; already qualified
/// elements (deeper callees) stay as they are.
fn qualify(module: &str, element: &str) -> String {
    if element.contains("::") || element.starts_with('(') {
        element.to_owned()
    } else {
        format!("{module}::{element}")
    }
}

/// Per-activation amounts of one module: its nodes, plus callees for calls
/// for which `internal` is false.
struct Local {
    stack: Bound,
    /// The node with the worst stack, and its callee when it is counted.
    worst: Option<(usize, Option<usize>)>,
    heap: Bound,
    wcet: Bound,
    effects: BTreeSet<String>,
    effects_known: bool,
    notes: Vec<String>,
    /// Call nodes whose callee is internal, with their `max_depth`.
    internal_calls: Vec<(usize, Option<u32>)>,
}

fn local(
    graph: &Graph,
    index: &HashMap<&str, usize>,
    results: &[Option<ModuleBounds>],
    internal: impl Fn(usize) -> bool,
) -> Local {
    let mut stack = Bound::ZERO;
    let mut worst: Option<(usize, Option<usize>)> = None;
    let mut worst_severity = (false, 0, false);
    let mut heap = Bound::ZERO;
    let mut wcet = Bound::ZERO;
    let mut effects = BTreeSet::new();
    let mut effects_known = true;
    let mut unknown: [Vec<&str>; 3] = Default::default();
    let mut internal_calls = Vec::new();
    for (i, node) in graph.nodes.iter().enumerate() {
        // An input or output node only marks where a port enters or leaves
        // the graph: it runs no code, so costs it leaves out are zero.
        let marker;
        let cost = if matches!(node.op, Op::Input { .. } | Op::Output { .. }) {
            marker = Cost {
                stack: node.cost.stack.or(Some(0)),
                heap: node.cost.heap.or(Some(0)),
                wcet: node.cost.wcet.or(Some(0)),
                effects: node.cost.effects.clone(),
            };
            &marker
        } else {
            &node.cost
        };
        for (slot, amount) in unknown.iter_mut().zip([cost.stack, cost.heap, cost.wcet]) {
            if amount.is_none() {
                slot.push(&node.name);
            }
        }
        let mut frame = Bound::of(cost.stack);
        let mut node_heap = Bound::of(cost.heap);
        let mut node_wcet = Bound::of(cost.wcet);
        let mut counted_callee = None;
        for effect in &cost.effects {
            if effect != "pure" && !effects.contains(effect) {
                effects.insert(effect.clone());
            }
        }
        if let Op::Call { module, max_depth } = &node.op {
            let callee = index[module.as_str()];
            if internal(callee) {
                internal_calls.push((callee, *max_depth));
            } else if let Some(callee_bounds) = &results[callee] {
                frame = frame.add(&callee_bounds.stack);
                node_heap = node_heap.add(&callee_bounds.heap);
                node_wcet = node_wcet.add(&callee_bounds.wcet);
                effects.extend(callee_bounds.effects.iter().cloned());
                effects_known &= callee_bounds.effects_known;
                counted_callee = Some(callee);
            }
        }
        let severity = frame.severity();
        if worst.is_none() || severity > worst_severity {
            worst = Some((i, counted_callee));
            worst_severity = severity;
        }
        stack = stack.max(&frame);
        heap = heap.add(&node_heap);
        wcet = wcet.add(&node_wcet);
    }
    let mut notes = Vec::new();
    for (names, what) in unknown.iter().zip(["stack frame", "heap", "wcet"]) {
        if !names.is_empty() {
            let shown: Vec<&str> = names.iter().take(3).copied().collect();
            let more = if names.len() > 3 { format!(" and {} more", names.len() - 3) } else { String::new() };
            notes.push(format!("{what} unknown for node {}{more}", shown.join(", ")));
        }
    }
    Local { stack, worst, heap, wcet, effects, effects_known, notes, internal_calls }
}

fn acyclic(
    graph: &Graph,
    index: &HashMap<&str, usize>,
    names: &[&str],
    results: &[Option<ModuleBounds>],
) -> ModuleBounds {
    let local = local(graph, index, results, |_| false);
    let mut stack_path = Vec::new();
    let mut stack_path_elided = 0;
    if let Some((node, callee)) = local.worst {
        stack_path.push(graph.nodes[node].name.clone());
        if let Some(callee_bounds) = callee.and_then(|c| results[c].as_ref().map(|b| (names[c], b))) {
            let (callee, callee_bounds) = callee_bounds;
            let room = MAX_PATH - 1;
            let path = &callee_bounds.stack_path;
            stack_path.extend(path.iter().take(room).map(|element| qualify(callee, element)));
            stack_path_elided = callee_bounds.stack_path_elided + path.len().saturating_sub(room) as u64;
        }
    }
    ModuleBounds {
        stack: local.stack,
        stack_path,
        stack_path_elided,
        heap: local.heap,
        wcet: local.wcet,
        effects: local.effects,
        effects_known: local.effects_known,
        notes: local.notes,
    }
}

/// Bounds for the modules of one cyclic component (see the module docs).
fn recursive(
    members: &[usize],
    graphs: &[&Graph],
    index: &HashMap<&str, usize>,
    names: &[&str],
    results: &[Option<ModuleBounds>],
) -> Vec<(usize, ModuleBounds)> {
    // Every member of a cycle has a graph: a module without one calls nothing.
    let is_member = |m: usize| members.binary_search(&m).is_ok();
    let locals: Vec<Local> = members.iter().map(|&m| local(graphs[m], index, results, is_member)).collect();

    let mut effects = BTreeSet::new();
    let mut effects_known = true;
    for l in &locals {
        effects.extend(l.effects.iter().cloned());
        effects_known &= l.effects_known;
    }

    // The first internal call without a depth, if any, names the cycle.
    let undepthed = members
        .iter()
        .zip(&locals)
        .find_map(|(&m, l)| l.internal_calls.iter().find(|(_, d)| d.is_none()).map(|&(callee, _)| (m, callee)));
    let (stack, heap, wcet, path, note) = if let Some((caller, callee)) = undepthed {
        let cycle = cycle_through(caller, callee, members, &locals, names);
        let reason = Bound::Unbounded(format!("recursion {cycle}"));
        let note = format!("recursion without max_depth: {cycle}");
        (reason.clone(), reason.clone(), reason, vec![format!("(recursion {cycle})")], note)
    } else {
        let depth_sum: u64 =
            locals.iter().flat_map(|l| &l.internal_calls).map(|&(_, d)| u64::from(d.unwrap_or(0))).sum();
        let branching = locals.iter().map(|l| l.internal_calls.len() as u64).max().unwrap_or(0);
        let activations = geometric_sum(branching, depth_sum);
        let mut local_stack = Bound::ZERO;
        let mut local_heap = Bound::ZERO;
        let mut local_wcet = Bound::ZERO;
        for l in &locals {
            local_stack = local_stack.max(&l.stack);
            local_heap = local_heap.max(&l.heap);
            local_wcet = local_wcet.max(&l.wcet);
        }
        let scale = |b: &Bound, n: Option<u64>| n.map_or_else(overflow, |n| b.scale(n));
        let stack = scale(&local_stack, depth_sum.checked_add(1));
        let heap = scale(&local_heap, activations);
        let wcet = scale(&local_wcet, activations);
        let (first, first_callee) = (members[0], locals[0].internal_calls[0].0);
        let cycle = cycle_through(first, first_callee, members, &locals, names);
        let path = vec![format!(
            "(recursion {cycle}: at most {} nested activations of at most {local_stack} each)",
            depth_sum.saturating_add(1)
        )];
        let note = format!(
            "bounded recursion: {} nested activations at most, {} activations per entry at most",
            depth_sum.saturating_add(1),
            activations.map_or_else(|| "too many".to_owned(), |n| n.to_string())
        );
        (stack, heap, wcet, path, note)
    };
    members
        .iter()
        .zip(locals)
        .map(|(&m, l)| {
            let mut notes = l.notes;
            notes.push(note.clone());
            let bounds = ModuleBounds {
                stack: stack.clone(),
                stack_path: path.clone(),
                stack_path_elided: 0,
                heap: heap.clone(),
                wcet: wcet.clone(),
                effects: effects.clone(),
                effects_known,
                notes,
            };
            (m, bounds)
        })
        .collect()
}

/// `1 + b + b^2 + ... + b^k`, `None` on overflow.
fn geometric_sum(b: u64, k: u64) -> Option<u64> {
    match b {
        0 => Some(1),
        1 => k.checked_add(1),
        _ => {
            let (mut sum, mut term) = (1u64, 1u64);
            for _ in 0..k {
                term = term.checked_mul(b)?;
                sum = sum.checked_add(term)?;
            }
            Some(sum)
        }
    }
}

/// `a -> b -> a`: the shortest cycle through the call `caller -> callee`
/// (breadth-first from `callee` back to `caller`, inside the component).
fn cycle_through(caller: usize, callee: usize, members: &[usize], locals: &[Local], names: &[&str]) -> String {
    let position = |m: usize| members.binary_search(&m).ok();
    let mut parent: Vec<Option<usize>> = vec![None; members.len()];
    let mut seen = vec![false; members.len()];
    let mut queue = VecDeque::new();
    if let Some(start) = position(callee) {
        seen[start] = true;
        queue.push_back(start);
    }
    let target = position(caller);
    while let Some(at) = queue.pop_front() {
        if Some(at) == target {
            break;
        }
        for &(next, _) in &locals[at].internal_calls {
            if let Some(next) = position(next).filter(|&p| !seen[p]) {
                seen[next] = true;
                parent[next] = Some(at);
                queue.push_back(next);
            }
        }
    }
    // Walk back from the caller to the callee, then close the cycle.
    let mut chain = Vec::new();
    let mut at = target;
    while let Some(p) = at {
        chain.push(names[members[p]]);
        if Some(p) == position(callee) {
            break;
        }
        at = parent[p];
    }
    chain.reverse();
    // `chain` runs from the callee to the caller (just the caller for a self-call).
    let mut cycle = vec![names[caller]];
    cycle.extend(chain);
    cycle.join(" -> ")
}

/// A resource a manifest declares a bound for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Resource {
    Stack,
    Heap,
    Wcet,
}

impl Resource {
    pub fn name(self) -> &'static str {
        match self {
            Resource::Stack => "stack",
            Resource::Heap => "heap",
            Resource::Wcet => "wcet",
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            Resource::Stack | Resource::Heap => "bytes",
            Resource::Wcet => "cycles",
        }
    }
}

/// A declared `<= n` against what the graph needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", content = "message", rename_all = "kebab-case")]
pub enum DeclaredCheck {
    /// The need is known exactly and within the declaration.
    Holds,
    /// The need exceeds the declaration (exactly, as a lower bound already
    /// over it, or unbounded); the message names the path.
    Exceeds(String),
    /// The need is only known as a lower bound that is within the
    /// declaration: it cannot be confirmed.
    Unknown(String),
}

/// Checks `module`'s declared `resource <= declared_at_most` against the
/// bound its graph needs; `path` is the worst path (`stack_path`), or empty.
///
/// ```
/// use torc_graph::bounds::{check_declared, Bound, DeclaredCheck, Resource};
/// let path = ["step".to_owned(), "integrate".to_owned(), "torc-math::mul".to_owned()];
/// assert_eq!(
///     check_declared("torc-pid", Resource::Stack, 256, &Bound::Exact(312), &path),
///     DeclaredCheck::Exceeds("torc-pid declares stack <= 256 bytes but needs 312: step -> integrate -> torc-math::mul".into())
/// );
/// assert_eq!(check_declared("torc-pid", Resource::Stack, 512, &Bound::Exact(312), &path), DeclaredCheck::Holds);
/// ```
pub fn check_declared(
    module: &str,
    resource: Resource,
    declared_at_most: u64,
    needed: &Bound,
    path: &[String],
) -> DeclaredCheck {
    let (name, unit) = (resource.name(), resource.unit());
    let via = if path.is_empty() { String::new() } else { format!(": {}", path.join(" -> ")) };
    let declares = format!("{module} declares {name} <= {declared_at_most} {unit}");
    match needed {
        Bound::Exact(n) if *n <= declared_at_most => DeclaredCheck::Holds,
        Bound::Exact(n) => DeclaredCheck::Exceeds(format!("{declares} but needs {n}{via}")),
        Bound::AtLeast(n) if *n > declared_at_most => {
            DeclaredCheck::Exceeds(format!("{declares} but needs at least {n}{via}"))
        }
        Bound::AtLeast(n) => DeclaredCheck::Unknown(format!(
            "{declares}; its graph needs at least {n} but some costs are unknown, so the bound cannot be confirmed{via}"
        )),
        Bound::Unbounded(reason) => DeclaredCheck::Exceeds(format!("{declares} but its {name} is unbounded: {reason}")),
    }
}
