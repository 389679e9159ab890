//! A module's computation graph in memory.
//!
//! Nodes carry an [`Op`], typed input and output ports (types in the
//! contract language's syntax: `Float<32>`, `UInt<16>`, `Bool`, or a record
//! type of the module's manifest) and a [`Cost`]. Edges connect an output
//! port of one node to an input port of another. The module's own interface
//! ports enter and leave through [`Op::Input`] and [`Op::Output`] nodes; a
//! [`Op::Call`] node stands for a call into a dependency module, its ports
//! named after the callee's declared interface ports.
//!
//! Data edges form a DAG (every node runs once per step, in a topological
//! order); cycles through *calls* between modules are a different matter,
//! handled by the bounds analysis (unbounded unless annotated with a
//! depth).

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Graph {
    /// The module this graph implements (its manifest's name).
    pub module: String,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// Unique within the graph (`integrate`, `clamp_out`).
    pub name: String,
    pub op: Op,
    /// In declared order.
    pub inputs: Vec<NodePort>,
    /// In declared order.
    pub outputs: Vec<NodePort>,
    pub cost: Cost,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NodePort {
    pub name: String,
    /// `Float<32>`, `Int<16>`, `Bool`, or a record type name.
    pub ty: String,
}

/// What a node costs each time it runs. `None` means unknown: the bounds
/// analysis then gives an *at least* bound, never a guess.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Cost {
    /// Stack frame, bytes.
    pub stack: Option<u64>,
    /// Heap allocated, bytes.
    pub heap: Option<u64>,
    /// Effects (`io`, `alloc`, ...), sorted, no duplicates; empty = pure.
    pub effects: Vec<String>,
    /// Worst-case execution time, cycles.
    pub wcet: Option<u64>,
}

/// What a node computes. Each has a meaning in the contract language (see
/// the obligations module): arithmetic and comparisons as the contract
/// operators, `abs`/`min`/`max` as the built-ins, `clamp(x, lo, hi)` as
/// `min(max(x, lo), hi)`, `select(c, a, b)` as `c ? a : b`, a call as its
/// callee's contract.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Op {
    /// The module's input port `port` (one output, `value`).
    Input { port: String },
    /// The module's output port `port` (one input, `value`).
    Output { port: String },
    /// A literal in contract syntax (`0.0`, `42`, `true`); one output.
    Const { value: String },
    Add,
    Sub,
    Mul,
    Div,
    Neg,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Not,
    Abs,
    Min,
    Max,
    /// `clamp(x, lo, hi)`.
    Clamp,
    /// `select(cond, then, else)`.
    Select,
    /// A call into dependency `module` through its interface ports; the
    /// node's ports are named after the callee's. `max_depth` bounds a
    /// recursive cycle of calls through this node (None: not annotated).
    Call { module: String, max_depth: Option<u32> },
}

impl Op {
    /// The operation's name as `graph.toml` writes it (`add`, `call`).
    pub fn name(&self) -> &'static str {
        match self {
            Op::Input { .. } => "input",
            Op::Output { .. } => "output",
            Op::Const { .. } => "const",
            Op::Add => "add",
            Op::Sub => "sub",
            Op::Mul => "mul",
            Op::Div => "div",
            Op::Neg => "neg",
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Lt => "lt",
            Op::Le => "le",
            Op::Gt => "gt",
            Op::Ge => "ge",
            Op::And => "and",
            Op::Or => "or",
            Op::Not => "not",
            Op::Abs => "abs",
            Op::Min => "min",
            Op::Max => "max",
            Op::Clamp => "clamp",
            Op::Select => "select",
            Op::Call { .. } => "call",
        }
    }
}

/// `from` (a node's output port) feeds `to` (a node's input port).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Edge {
    pub from: Endpoint,
    pub to: Endpoint,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Endpoint {
    pub node: String,
    pub port: String,
}
