//! What makes a [`Graph`] well formed, checked on the model so it holds for
//! a graph from any source (`graph.toml` or a decoded `.trc`):
//!
//! - node names are unique, and so are port names within a node's inputs
//!   and within its outputs;
//! - each operation has its arity and typing rule: `add`, `sub`, `mul`,
//!   `div`, `min`, `max` take two inputs and `neg`, `abs` one, of one
//!   numeric type (`Int<N>`, `UInt<N>`, `Float<N>`), and give that type;
//!   `clamp` takes three; `eq`, `ne` compare two values of one type, `lt`,
//!   `le`, `gt`, `ge` two numbers, and give `Bool`; `and`, `or`, `not` are
//!   on `Bool`; `select` takes a `Bool` and two values of one type and gives
//!   that type; `input` and `const` have one output and no inputs, `output`
//!   one input and no outputs; a `call` has the ports of its callee;
//! - one `input` or `output` node per module port;
//! - every edge joins an existing output port to an existing input port of
//!   the same type; every input port is driven by exactly one edge;
//! - data edges are acyclic (a cycle is reported as a path).
//!
//! Problems are data ([`Problem`]) naming a node or an edge by index;
//! `source` turns them into located errors.

use crate::model::{Graph, Node, NodePort, Op};
use std::collections::{BTreeMap, HashMap};

/// What a problem is about: indexes into `graph.nodes` / `graph.edges`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    Graph,
    Node(usize),
    Edge(usize),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub subject: Subject,
    pub message: String,
}

/// Every problem with `graph`, nodes' first, in node then edge order.
pub fn validate(graph: &Graph) -> Result<(), Vec<Problem>> {
    let mut problems = Vec::new();
    let mut report = |subject, message: String| problems.push(Problem { subject, message });

    let mut by_name: HashMap<&str, usize> = HashMap::new();
    let mut module_ports: HashMap<&str, usize> = HashMap::new();
    for (i, node) in graph.nodes.iter().enumerate() {
        if let Some(&first) = by_name.get(node.name.as_str()) {
            report(Subject::Node(i), format!("node `{}` is defined twice (first as node #{})", node.name, first + 1));
            continue;
        }
        by_name.insert(&node.name, i);
        for (what, ports) in [("inputs", &node.inputs), ("outputs", &node.outputs)] {
            let mut seen = BTreeMap::new();
            for port in ports {
                if seen.insert(port.name.as_str(), ()).is_some() {
                    report(Subject::Node(i), format!("node `{}` has two {what} named `{}`", node.name, port.name));
                }
            }
        }
        if let Err(message) = check_op(node) {
            report(Subject::Node(i), format!("node `{}` ({}): {message}", node.name, node.op.name()));
        }
        if let Op::Input { port } | Op::Output { port } = &node.op {
            if let Some(&first) = module_ports.get(port.as_str()) {
                report(
                    Subject::Node(i),
                    format!(
                        "module port `{port}` already has node `{}`; one input or output node per port",
                        graph.nodes[first].name
                    ),
                );
            } else {
                module_ports.insert(port, i);
            }
        }
    }

    // (node index, port name) -> the port, the first of a name: one lookup
    // per edge end, not a scan of the node's ports (a node with thousands
    // of inputs and an edge to each would be quadratic).
    let mut inputs: HashMap<(usize, &str), &NodePort> = HashMap::new();
    let mut outputs: HashMap<(usize, &str), &NodePort> = HashMap::new();
    for (i, node) in graph.nodes.iter().enumerate() {
        for (ports, map) in [(&node.inputs, &mut inputs), (&node.outputs, &mut outputs)] {
            for port in ports {
                map.entry((i, port.name.as_str())).or_insert(port);
            }
        }
    }
    // (node index, input port) -> the edge driving it.
    let mut driven: HashMap<(usize, &str), usize> = HashMap::new();
    let mut successors: Vec<Vec<(usize, usize)>> = vec![Vec::new(); graph.nodes.len()];
    for (j, edge) in graph.edges.iter().enumerate() {
        let from = by_name.get(edge.from.node.as_str()).copied();
        let to = by_name.get(edge.to.node.as_str()).copied();
        let (Some(from), Some(to)) = (from, to) else {
            let missing = if from.is_none() { &edge.from.node } else { &edge.to.node };
            report(Subject::Edge(j), format!("no node named `{missing}`"));
            continue;
        };
        let (from_node, to_node) = (&graph.nodes[from], &graph.nodes[to]);
        let Some(out) = outputs.get(&(from, edge.from.port.as_str())) else {
            report(Subject::Edge(j), no_port(from_node, &edge.from.port, "output", &from_node.outputs));
            continue;
        };
        let Some(input) = inputs.get(&(to, edge.to.port.as_str())) else {
            report(Subject::Edge(j), no_port(to_node, &edge.to.port, "input", &to_node.inputs));
            continue;
        };
        if out.ty != input.ty {
            report(
                Subject::Edge(j),
                format!(
                    "type mismatch: `{}.{}` is {} but `{}.{}` is {}",
                    from_node.name, out.name, out.ty, to_node.name, input.name, input.ty
                ),
            );
        }
        if let Some(&first) = driven.get(&(to, edge.to.port.as_str())) {
            let other = &graph.edges[first].from;
            report(
                Subject::Edge(j),
                format!(
                    "input `{}.{}` is already driven by `{}.{}`; an input has exactly one source",
                    to_node.name, edge.to.port, other.node, other.port
                ),
            );
            continue;
        }
        driven.insert((to, &edge.to.port), j);
        successors[from].push((to, j));
    }
    for (i, node) in graph.nodes.iter().enumerate() {
        if by_name.get(node.name.as_str()) != Some(&i) {
            continue;
        }
        for port in &node.inputs {
            if !driven.contains_key(&(i, port.name.as_str())) {
                report(Subject::Node(i), format!("input `{}.{}` is not connected", node.name, port.name));
            }
        }
    }
    if let Some(cycle) = find_cycle(&successors) {
        let path: Vec<&str> = cycle.iter().map(|&i| graph.nodes[i].name.as_str()).collect();
        report(Subject::Node(cycle[0]), format!("data edges form a cycle: {}", path.join(" -> ")));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn no_port(node: &Node, port: &str, what: &str, ports: &[NodePort]) -> String {
    let names: Vec<&str> = ports.iter().map(|p| p.name.as_str()).collect();
    let known = if names.is_empty() { "none".to_owned() } else { names.join(", ") };
    format!("node `{}` has no {what} port `{port}` (its {what}s: {known})", node.name)
}

/// A cycle as a path of node indexes that starts and ends at the same node.
fn find_cycle(successors: &[Vec<(usize, usize)>]) -> Option<Vec<usize>> {
    // Iterative DFS, colours: 0 new, 1 on the stack, 2 finished.
    let mut colour = vec![0u8; successors.len()];
    let mut parent = vec![usize::MAX; successors.len()];
    for start in 0..successors.len() {
        if colour[start] != 0 {
            continue;
        }
        let mut stack = vec![(start, 0usize)];
        colour[start] = 1;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&(succ, _)) = successors[node].get(*next) {
                *next += 1;
                match colour[succ] {
                    0 => {
                        colour[succ] = 1;
                        parent[succ] = node;
                        stack.push((succ, 0));
                    }
                    1 => {
                        let mut path = vec![succ];
                        let mut at = node;
                        while at != succ {
                            path.push(at);
                            at = parent[at];
                        }
                        path.push(succ);
                        // Built backwards along parents; edge order is the reverse.
                        path.reverse();
                        return Some(path);
                    }
                    _ => {}
                }
            } else {
                colour[node] = 2;
                stack.pop();
            }
        }
    }
    None
}

/// `Int<N>`, `UInt<N>`, `Float<N>`: what arithmetic and ordering take.
pub fn is_numeric(ty: &str) -> bool {
    ["Int<", "UInt<", "Float<"].iter().any(|p| ty.starts_with(p)) && ty.ends_with('>')
}

const BOOL: &str = "Bool";

/// The arity and typing rule of `node`'s operation.
fn check_op(node: &Node) -> Result<(), String> {
    let (ins, outs) = (&node.inputs, &node.outputs);
    let arity = |n_in: usize, n_out: usize| -> Result<(), String> {
        if ins.len() != n_in || outs.len() != n_out {
            return Err(format!(
                "takes {n_in} input{} and gives {n_out} output{}, found {} and {}",
                if n_in == 1 { "" } else { "s" },
                if n_out == 1 { "" } else { "s" },
                ins.len(),
                outs.len()
            ));
        }
        Ok(())
    };
    fn same<'n>(ports: &[&'n NodePort]) -> Result<&'n str, String> {
        let ty = ports[0].ty.as_str();
        match ports.iter().find(|p| p.ty != ty) {
            Some(p) => {
                Err(format!("`{}` is {} but `{}` is {}; they must have one type", ports[0].name, ty, p.name, p.ty))
            }
            None => Ok(ty),
        }
    }
    let numeric = |ty: &str| -> Result<(), String> {
        if is_numeric(ty) {
            Ok(())
        } else {
            Err(format!("works on numbers (Int<N>, UInt<N>, Float<N>), not {ty}"))
        }
    };
    let boolean = |port: &NodePort| -> Result<(), String> {
        if port.ty == BOOL {
            Ok(())
        } else {
            Err(format!("`{}` must be Bool, not {}", port.name, port.ty))
        }
    };
    match &node.op {
        Op::Input { .. } | Op::Const { .. } => arity(0, 1),
        Op::Output { .. } => arity(1, 0),
        Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Min | Op::Max => {
            arity(2, 1)?;
            numeric(same(&[&ins[0], &ins[1], &outs[0]])?)
        }
        Op::Neg | Op::Abs => {
            arity(1, 1)?;
            numeric(same(&[&ins[0], &outs[0]])?)
        }
        Op::Clamp => {
            arity(3, 1)?;
            numeric(same(&[&ins[0], &ins[1], &ins[2], &outs[0]])?)
        }
        Op::Eq | Op::Ne => {
            arity(2, 1)?;
            same(&[&ins[0], &ins[1]])?;
            boolean(&outs[0])
        }
        Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            arity(2, 1)?;
            numeric(same(&[&ins[0], &ins[1]])?)?;
            boolean(&outs[0])
        }
        Op::And | Op::Or => {
            arity(2, 1)?;
            ins.iter().chain(outs).try_for_each(boolean)
        }
        Op::Not => {
            arity(1, 1)?;
            ins.iter().chain(outs).try_for_each(boolean)
        }
        Op::Select => {
            arity(3, 1)?;
            boolean(&ins[0])?;
            same(&[&ins[1], &ins[2], &outs[0]]).map(drop)
        }
        Op::Call { .. } => Ok(()),
    }
}
