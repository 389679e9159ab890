//! The `.trc` binary format: a module's identity.
//!
//! ```text
//! "TRC\0"            4 bytes, MAGIC
//! format version     u16, little-endian (FORMAT_VERSION)
//! body               bincode 2, standard config (varint integers)
//! ```
//!
//! The body is canonical, so the same graph always gives the same bytes and
//! the same BLAKE3 (the module hash), whatever order its source lists nodes
//! and edges in:
//!
//! - every string (node, port and module names, types, constants, effects)
//!   is interned once in a table sorted by bytes; everything else refers to
//!   it by index;
//! - nodes come in topological order of the data edges, ties broken by the
//!   node's content (operation, ports, cost), then its name; a node on a
//!   cycle (an invalid graph, which still encodes) is taken in the same
//!   order when no node is ready;
//! - ports stay in declared order (they are positional for a call);
//! - edges are sorted; effects are sorted without duplicates;
//! - nothing else: no timestamps, paths or docs.
//!
//! Decoding untrusted bytes never panics and never allocates more than a
//! small multiple of the input: lengths are checked against caps and
//! against the bytes left before anything is allocated, every index is
//! checked, trailing bytes are refused.
//!
//! ```
//! use torc_graph::model::{Cost, Graph, Node, NodePort, Op};
//! use torc_graph::trc;
//!
//! let port = |name: &str| NodePort { name: name.into(), ty: "Float<32>".into() };
//! let graph = Graph {
//!     module: "demo".into(),
//!     nodes: vec![Node {
//!         name: "zero".into(),
//!         op: Op::Const { value: "0.0".into() },
//!         inputs: vec![],
//!         outputs: vec![port("value")],
//!         cost: Cost::default(),
//!     }],
//!     edges: vec![],
//! };
//! let bytes = trc::encode(&graph);
//! assert_eq!(&bytes[..4], b"TRC\0");
//! assert_eq!(trc::decode(&bytes).unwrap(), trc::canonicalize(&graph));
//! assert_eq!(trc::hash(&graph).len(), 64);
//! ```

use crate::error::DecodeError;
use crate::model::{Cost, Edge, Endpoint, Graph, Node, NodePort, Op};
use bincode::de::read::Reader;
use bincode::de::{Decode, Decoder};
use bincode::enc::{Encode, Encoder};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};

pub const MAGIC: [u8; 4] = *b"TRC\0";
pub const FORMAT_VERSION: u16 = 1;

/// Bytes before the body: magic and version.
const HEADER: usize = 6;
/// The largest `.trc` accepted (and bincode's byte limit).
pub const MAX_FILE_BYTES: usize = 1 << 28;
pub const MAX_STRINGS: usize = 1 << 20;
pub const MAX_NODES: usize = 1 << 20;
pub const MAX_EDGES: usize = 1 << 22;
/// Bytes in one string (a name, a type, a constant).
pub const MAX_STRING_BYTES: usize = 1 << 16;
/// Input or output ports of one node.
pub const MAX_PORTS: usize = 1 << 16;
/// Effects of one node.
pub const MAX_EFFECTS: usize = 1 << 10;

type Config = bincode::config::Configuration<
    bincode::config::LittleEndian,
    bincode::config::Varint,
    bincode::config::Limit<MAX_FILE_BYTES>,
>;

fn config() -> Config {
    bincode::config::standard().with_limit::<MAX_FILE_BYTES>()
}

/// The graph in canonical order: what `decode(&encode(graph))` returns.
/// Nodes in topological order (ties by content, then name), edges sorted,
/// each node's effects sorted without duplicates; ports untouched.
pub fn canonicalize(graph: &Graph) -> Graph {
    let mut nodes: Vec<Node> = graph.nodes.clone();
    for node in &mut nodes {
        node.cost.effects.sort();
        node.cost.effects.dedup();
    }
    let mut edges = graph.edges.clone();
    edges.sort();
    let order = canonical_order(&nodes, &edges);
    let mut slots: Vec<Option<Node>> = nodes.into_iter().map(Some).collect();
    let nodes = order.into_iter().filter_map(|i| slots[i].take()).collect();
    Graph { module: graph.module.clone(), nodes, edges }
}

/// The tie-break key: content first, then name.
fn content_key(node: &Node) -> (&Op, &[NodePort], &[NodePort], &Cost, &str) {
    (&node.op, &node.inputs, &node.outputs, &node.cost, &node.name)
}

/// Kahn's algorithm over node *names* (so duplicate names and edges to
/// nodes that do not exist cannot make it depend on the input order),
/// always taking the smallest ready node by [`content_key`]; when nothing
/// is ready (a cycle), the smallest node left.
fn canonical_order(nodes: &[Node], edges: &[Edge]) -> Vec<usize> {
    let mut rank: Vec<usize> = (0..nodes.len()).collect();
    rank.sort_by(|&a, &b| content_key(&nodes[a]).cmp(&content_key(&nodes[b])));
    // position of each node in content order; the heap orders by it.
    let mut position = vec![0; nodes.len()];
    for (p, &i) in rank.iter().enumerate() {
        position[i] = p;
    }
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, node) in nodes.iter().enumerate() {
        by_name.entry(node.name.as_str()).or_default().push(i);
    }
    // name -> names it feeds (distinct); node -> distinct names it waits for.
    let mut feeds: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for edge in edges {
        let (from, to) = (edge.from.node.as_str(), edge.to.node.as_str());
        if from != to && by_name.contains_key(from) && by_name.contains_key(to) {
            feeds.entry(from).or_default().insert(to);
        }
    }
    let mut waiting: HashMap<&str, usize> = HashMap::new();
    for targets in feeds.values() {
        for to in targets {
            *waiting.entry(to).or_default() += 1;
        }
    }
    let mut left_of_name: HashMap<&str, usize> = by_name.iter().map(|(name, v)| (*name, v.len())).collect();
    let mut done = vec![false; nodes.len()];
    let mut ready: BinaryHeap<Reverse<usize>> = BinaryHeap::new();
    for (i, node) in nodes.iter().enumerate() {
        if waiting.get(node.name.as_str()).copied().unwrap_or(0) == 0 {
            ready.push(Reverse(position[i]));
        }
    }
    let mut order = Vec::with_capacity(nodes.len());
    let mut next_stuck = 0; // scan position in `rank` for cycle breaking
    while order.len() < nodes.len() {
        let i = match ready.pop() {
            Some(Reverse(p)) => rank[p],
            None => {
                while done[rank[next_stuck]] {
                    next_stuck += 1;
                }
                rank[next_stuck]
            }
        };
        if done[i] {
            continue;
        }
        done[i] = true;
        order.push(i);
        let name = nodes[i].name.as_str();
        let left = left_of_name.get_mut(name).expect("every node's name is indexed");
        *left -= 1;
        if *left > 0 {
            continue;
        }
        for to in feeds.get(name).into_iter().flatten() {
            let count = waiting.get_mut(to).expect("a fed name waits");
            *count = count.saturating_sub(1);
            if *count == 0 {
                for &j in &by_name[to] {
                    if !done[j] {
                        ready.push(Reverse(position[j]));
                    }
                }
            }
        }
    }
    order
}

/// The canonical `.trc` bytes of `graph` (canonicalized first).
pub fn encode(graph: &Graph) -> Vec<u8> {
    let graph = canonicalize(graph);
    let mut table = BTreeSet::new();
    table.insert(graph.module.as_str());
    for node in &graph.nodes {
        table.insert(node.name.as_str());
        match &node.op {
            Op::Input { port } | Op::Output { port } => {
                table.insert(port);
            }
            Op::Const { value } => {
                table.insert(value);
            }
            Op::Call { module, .. } => {
                table.insert(module);
            }
            _ => {}
        }
        for port in node.inputs.iter().chain(&node.outputs) {
            table.insert(&port.name);
            table.insert(&port.ty);
        }
        table.extend(node.cost.effects.iter().map(String::as_str));
    }
    for edge in &graph.edges {
        table.extend([&edge.from.node, &edge.from.port, &edge.to.node, &edge.to.port].map(String::as_str));
    }
    let index: BTreeMap<&str, u32> =
        table.iter().enumerate().map(|(i, s)| (*s, u32::try_from(i).expect("fewer than 2^32 strings"))).collect();
    let ix = |s: &str| index[s];
    let ports = |ports: &[NodePort]| Seq(ports.iter().map(|p| WirePort { name: ix(&p.name), ty: ix(&p.ty) }).collect());
    let wire = Wire {
        strings: Seq(table.iter().map(|s| Str((*s).to_owned())).collect()),
        module: ix(&graph.module),
        nodes: Seq(graph
            .nodes
            .iter()
            .map(|node| WireNode {
                name: ix(&node.name),
                op: match &node.op {
                    Op::Input { port } => WireOp::Input { port: ix(port) },
                    Op::Output { port } => WireOp::Output { port: ix(port) },
                    Op::Const { value } => WireOp::Const { value: ix(value) },
                    Op::Add => WireOp::Add,
                    Op::Sub => WireOp::Sub,
                    Op::Mul => WireOp::Mul,
                    Op::Div => WireOp::Div,
                    Op::Neg => WireOp::Neg,
                    Op::Eq => WireOp::Eq,
                    Op::Ne => WireOp::Ne,
                    Op::Lt => WireOp::Lt,
                    Op::Le => WireOp::Le,
                    Op::Gt => WireOp::Gt,
                    Op::Ge => WireOp::Ge,
                    Op::And => WireOp::And,
                    Op::Or => WireOp::Or,
                    Op::Not => WireOp::Not,
                    Op::Abs => WireOp::Abs,
                    Op::Min => WireOp::Min,
                    Op::Max => WireOp::Max,
                    Op::Clamp => WireOp::Clamp,
                    Op::Select => WireOp::Select,
                    Op::Call { module, max_depth } => WireOp::Call { module: ix(module), max_depth: *max_depth },
                },
                inputs: ports(&node.inputs),
                outputs: ports(&node.outputs),
                cost: WireCost {
                    stack: node.cost.stack,
                    heap: node.cost.heap,
                    effects: Seq(node.cost.effects.iter().map(|e| ix(e)).collect()),
                    wcet: node.cost.wcet,
                },
            })
            .collect()),
        edges: Seq(graph
            .edges
            .iter()
            .map(|e| WireEdge {
                from_node: ix(&e.from.node),
                from_port: ix(&e.from.port),
                to_node: ix(&e.to.node),
                to_port: ix(&e.to.port),
            })
            .collect()),
    };
    let mut bytes = Vec::with_capacity(64 + 16 * graph.nodes.len());
    bytes.extend_from_slice(&MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bincode::encode_into_std_write(&wire, &mut bytes, bincode::config::standard())
        .expect("writing to a Vec cannot fail");
    bytes
}

/// BLAKE3 of [`encode`], lowercase hex: the module hash.
pub fn hash(graph: &Graph) -> String {
    blake3::hash(&encode(graph)).to_hex().to_string()
}

/// Reads a `.trc`. Node and edge order are as stored (an encoder other
/// than [`encode`] may store another order; [`canonicalize`] restores it).
pub fn decode(bytes: &[u8]) -> Result<Graph, DecodeError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(DecodeError::TooLarge { len: bytes.len(), max: MAX_FILE_BYTES });
    }
    let magic_len = bytes.len().min(MAGIC.len());
    if bytes[..magic_len] != MAGIC[..magic_len] {
        return Err(DecodeError::BadMagic { found: bytes[..magic_len].to_vec() });
    }
    if bytes.len() < HEADER {
        return Err(DecodeError::Truncated { at: bytes.len() });
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    if version != FORMAT_VERSION {
        return Err(DecodeError::UnsupportedVersion { found: version, supported: FORMAT_VERSION });
    }
    let body = &bytes[HEADER..];
    let (wire, read): (Wire, usize) = bincode::decode_from_slice(body, config()).map_err(|e| match e {
        bincode::error::DecodeError::UnexpectedEnd { .. } => DecodeError::Truncated { at: bytes.len() },
        bincode::error::DecodeError::OtherString(message) => decode_message(message),
        bincode::error::DecodeError::LimitExceeded => DecodeError::TooLarge { len: bytes.len(), max: MAX_FILE_BYTES },
        other => DecodeError::Malformed(other.to_string()),
    })?;
    if read < body.len() {
        return Err(DecodeError::TrailingBytes { at: HEADER + read, count: body.len() - read });
    }
    wire.into_graph()
}

/// Our own decoding errors travel through bincode as strings: `cap` and
/// `truncated` are re-read here.
fn decode_message(message: String) -> DecodeError {
    if let Some(rest) = message.strip_prefix("cap:") {
        let mut parts = rest.splitn(3, ':');
        let what = match parts.next() {
            Some("strings") => "strings",
            Some("nodes") => "nodes",
            Some("edges") => "edges",
            Some("ports") => "ports of a node",
            Some("effects") => "effects of a node",
            Some("string") => "bytes in a string",
            _ => "a count",
        };
        let count = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
        let max = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
        return DecodeError::OverLimit { what, count, max };
    }
    DecodeError::Malformed(message)
}

#[derive(bincode::Encode, bincode::Decode)]
struct Wire {
    strings: Seq<Str, MAX_STRINGS, 0>,
    module: u32,
    nodes: Seq<WireNode, MAX_NODES, 1>,
    edges: Seq<WireEdge, MAX_EDGES, 2>,
}

#[derive(bincode::Encode, bincode::Decode)]
struct WireNode {
    name: u32,
    op: WireOp,
    inputs: Seq<WirePort, MAX_PORTS, 3>,
    outputs: Seq<WirePort, MAX_PORTS, 3>,
    cost: WireCost,
}

#[derive(bincode::Encode, bincode::Decode)]
struct WirePort {
    name: u32,
    ty: u32,
}

/// Tags are part of the format: append, never reorder.
#[derive(bincode::Encode, bincode::Decode)]
enum WireOp {
    Input { port: u32 },
    Output { port: u32 },
    Const { value: u32 },
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
    Clamp,
    Select,
    Call { module: u32, max_depth: Option<u32> },
}

#[derive(bincode::Encode, bincode::Decode)]
struct WireCost {
    stack: Option<u64>,
    heap: Option<u64>,
    effects: Seq<u32, MAX_EFFECTS, 4>,
    wcet: Option<u64>,
}

#[derive(bincode::Encode, bincode::Decode)]
struct WireEdge {
    from_node: u32,
    from_port: u32,
    to_node: u32,
    to_port: u32,
}

const SEQ_NAMES: [&str; 5] = ["strings", "nodes", "edges", "ports", "effects"];

/// A `Vec` whose decoding checks its length against `MAX` and against the
/// bytes left (every element takes at least one byte) before allocating.
/// `WHAT` names it in errors (an index into `SEQ_NAMES`). Encoded as a
/// bincode `Vec`.
struct Seq<T, const MAX: usize, const WHAT: usize>(Vec<T>);

impl<T: Encode, const MAX: usize, const WHAT: usize> Encode for Seq<T, MAX, WHAT> {
    fn encode<E: Encoder>(&self, encoder: &mut E) -> Result<(), bincode::error::EncodeError> {
        self.0.encode(encoder)
    }
}

impl<C, T: Decode<C>, const MAX: usize, const WHAT: usize> Decode<C> for Seq<T, MAX, WHAT> {
    fn decode<D: Decoder<Context = C>>(decoder: &mut D) -> Result<Self, bincode::error::DecodeError> {
        let len = checked_len(decoder, MAX, SEQ_NAMES[WHAT])?;
        let mut items = Vec::with_capacity(len);
        for _ in 0..len {
            items.push(T::decode(decoder)?);
        }
        Ok(Seq(items))
    }
}

impl<'de, C, T: Decode<C>, const MAX: usize, const WHAT: usize> bincode::BorrowDecode<'de, C> for Seq<T, MAX, WHAT> {
    fn borrow_decode<D: bincode::de::BorrowDecoder<'de, Context = C>>(
        decoder: &mut D,
    ) -> Result<Self, bincode::error::DecodeError> {
        Decode::decode(decoder)
    }
}

/// A `String` decoded the same way: capped, checked against the bytes left,
/// then copied.
struct Str(String);

impl Encode for Str {
    fn encode<E: Encoder>(&self, encoder: &mut E) -> Result<(), bincode::error::EncodeError> {
        self.0.encode(encoder)
    }
}

impl<C> Decode<C> for Str {
    fn decode<D: Decoder<Context = C>>(decoder: &mut D) -> Result<Self, bincode::error::DecodeError> {
        let len = checked_len(decoder, MAX_STRING_BYTES, "string")?;
        decoder.claim_bytes_read(len)?;
        let reader = decoder.reader();
        let bytes = reader.peek_read(len).ok_or(bincode::error::DecodeError::UnexpectedEnd { additional: len })?;
        let text = std::str::from_utf8(bytes)
            .map_err(|e| bincode::error::DecodeError::OtherString(format!("a string is not UTF-8: {e}")))?
            .to_owned();
        reader.consume(len);
        Ok(Str(text))
    }
}
bincode::impl_borrow_decode!(Str);

/// Reads a length, refusing one over `max` or longer than the bytes left.
fn checked_len<D: Decoder>(decoder: &mut D, max: usize, what: &str) -> Result<usize, bincode::error::DecodeError> {
    let len = u64::decode(decoder)?;
    if len > max as u64 {
        return Err(bincode::error::DecodeError::OtherString(format!("cap:{what}:{len}:{max}")));
    }
    let len = len as usize;
    if decoder.reader().peek_read(len).is_none() {
        return Err(bincode::error::DecodeError::UnexpectedEnd { additional: len });
    }
    Ok(len)
}

impl Wire {
    fn into_graph(self) -> Result<Graph, DecodeError> {
        let strings: Vec<String> = self.strings.0.into_iter().map(|s| s.0).collect();
        let get = |what: &'static str, index: u32| -> Result<String, DecodeError> {
            strings.get(index as usize).cloned().ok_or(DecodeError::BadIndex { what, index, len: strings.len() })
        };
        let ports = |what: &'static str, ports: Seq<WirePort, MAX_PORTS, 3>| -> Result<Vec<NodePort>, DecodeError> {
            ports.0.into_iter().map(|p| Ok(NodePort { name: get(what, p.name)?, ty: get(what, p.ty)? })).collect()
        };
        let mut nodes = Vec::with_capacity(self.nodes.0.len());
        for node in self.nodes.0 {
            let op = match node.op {
                WireOp::Input { port } => Op::Input { port: get("an input node's port", port)? },
                WireOp::Output { port } => Op::Output { port: get("an output node's port", port)? },
                WireOp::Const { value } => Op::Const { value: get("a constant", value)? },
                WireOp::Add => Op::Add,
                WireOp::Sub => Op::Sub,
                WireOp::Mul => Op::Mul,
                WireOp::Div => Op::Div,
                WireOp::Neg => Op::Neg,
                WireOp::Eq => Op::Eq,
                WireOp::Ne => Op::Ne,
                WireOp::Lt => Op::Lt,
                WireOp::Le => Op::Le,
                WireOp::Gt => Op::Gt,
                WireOp::Ge => Op::Ge,
                WireOp::And => Op::And,
                WireOp::Or => Op::Or,
                WireOp::Not => Op::Not,
                WireOp::Abs => Op::Abs,
                WireOp::Min => Op::Min,
                WireOp::Max => Op::Max,
                WireOp::Clamp => Op::Clamp,
                WireOp::Select => Op::Select,
                WireOp::Call { module, max_depth } => Op::Call { module: get("a call's module", module)?, max_depth },
            };
            nodes.push(Node {
                name: get("a node name", node.name)?,
                op,
                inputs: ports("an input port", node.inputs)?,
                outputs: ports("an output port", node.outputs)?,
                cost: Cost {
                    stack: node.cost.stack,
                    heap: node.cost.heap,
                    effects: node.cost.effects.0.into_iter().map(|e| get("an effect", e)).collect::<Result<_, _>>()?,
                    wcet: node.cost.wcet,
                },
            });
        }
        let endpoint = |node: u32, port: u32| -> Result<Endpoint, DecodeError> {
            Ok(Endpoint { node: get("an edge's node", node)?, port: get("an edge's port", port)? })
        };
        let edges = self
            .edges
            .0
            .into_iter()
            .map(|e| Ok(Edge { from: endpoint(e.from_node, e.from_port)?, to: endpoint(e.to_node, e.to_port)? }))
            .collect::<Result<_, DecodeError>>()?;
        Ok(Graph { module: get("the module name", self.module)?, nodes, edges })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, op: Op) -> Node {
        let port = |n: &str| NodePort { name: n.into(), ty: "Float<32>".into() };
        Node {
            name: name.into(),
            op,
            inputs: vec![port("a"), port("b")],
            outputs: vec![port("value")],
            cost: Cost::default(),
        }
    }

    fn edge(from: &str, to: &str, port: &str) -> Edge {
        Edge {
            from: Endpoint { node: from.into(), port: "value".into() },
            to: Endpoint { node: to.into(), port: port.into() },
        }
    }

    #[test]
    fn nodes_come_in_topological_order_ties_by_content() {
        let graph = Graph {
            module: "m".into(),
            nodes: vec![node("z", Op::Mul), node("b", Op::Sub), node("a", Op::Sub), node("c", Op::Add)],
            edges: vec![edge("b", "z", "a"), edge("c", "z", "b")],
        };
        let names: Vec<_> = canonicalize(&graph).nodes.into_iter().map(|n| n.name).collect();
        // `c` (add) sorts before `a` and `b` (sub) by content; `z` waits for `b` and `c`.
        assert_eq!(names, ["c", "a", "b", "z"]);
    }

    #[test]
    fn a_cycle_still_encodes_and_round_trips() {
        let graph = Graph {
            module: "m".into(),
            nodes: vec![node("x", Op::Add), node("y", Op::Add)],
            edges: vec![edge("x", "y", "a"), edge("y", "x", "a")],
        };
        assert_eq!(decode(&encode(&graph)).unwrap(), canonicalize(&graph));
    }

    #[test]
    fn header_errors() {
        assert_eq!(decode(b""), Err(DecodeError::Truncated { at: 0 }));
        assert!(matches!(decode(b"TRX\0\x01\x00"), Err(DecodeError::BadMagic { .. })));
        assert_eq!(
            decode(b"TRC\0\x02\x00"),
            Err(DecodeError::UnsupportedVersion { found: 2, supported: FORMAT_VERSION })
        );
    }
}
