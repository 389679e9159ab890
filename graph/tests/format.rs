//! The `.trc` format and `graph.toml`: round trips, hash invariance under
//! reordering, hostile bytes, and located errors.

use proptest::prelude::*;
use std::path::Path;
use torc_graph::model::{Cost, Edge, Endpoint, Graph, Node, NodePort, Op};
use torc_graph::source;
use torc_graph::trc::{self, canonicalize, decode, encode, hash, FORMAT_VERSION, MAGIC};
use torc_graph::validate::validate;
use torc_graph::DecodeError;

const TYPES: [&str; 3] = ["Float<32>", "Int<16>", "UInt<8>"];
const EFFECTS: [&str; 3] = ["alloc", "io", "panic"];

/// What each generated node is; inputs pick earlier nodes.
#[derive(Clone, Debug)]
enum Kind {
    Input,
    Const(i32),
    Unary(Op),
    Binary(Op),
    Clamp,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Input),
        (-100i32..100).prop_map(Kind::Const),
        prop::sample::select(vec![Op::Neg, Op::Abs]).prop_map(Kind::Unary),
        prop::sample::select(vec![Op::Add, Op::Sub, Op::Mul, Op::Div, Op::Min, Op::Max]).prop_map(Kind::Binary),
        Just(Kind::Clamp),
    ]
}

fn cost() -> impl Strategy<Value = Cost> {
    (
        proptest::option::of(0u64..4096),
        proptest::option::of(0u64..1 << 40),
        proptest::sample::subsequence(EFFECTS.to_vec(), 0..=3),
        proptest::option::of(any::<u64>()),
    )
        .prop_map(|(stack, heap, effects, wcet)| Cost {
            stack,
            heap,
            effects: effects.into_iter().map(str::to_owned).collect(),
            wcet,
        })
}

/// A valid DAG of arithmetic nodes of one numeric type: inputs and
/// constants first or anywhere, operations fed by earlier nodes, an output
/// node on some nodes.
fn graph() -> impl Strategy<Value = Graph> {
    (
        prop::sample::select(TYPES.to_vec()),
        prop::collection::vec(
            (kind(), cost(), prop::collection::vec(any::<prop::sample::Index>(), 3), any::<bool>()),
            1..24,
        ),
    )
        .prop_map(|(ty, specs)| {
            let port = |name: &str| NodePort { name: name.to_owned(), ty: ty.to_owned() };
            let mut nodes: Vec<Node> = Vec::new();
            let mut edges = Vec::new();
            let mut outputs = Vec::new();
            for (i, (kind, cost, picks, exported)) in specs.into_iter().enumerate() {
                // The first node has nothing to read from.
                let kind = if i == 0 && !matches!(kind, Kind::Const(_)) { Kind::Input } else { kind };
                let name = format!("n{i}");
                let (op, inputs): (Op, &[&str]) = match &kind {
                    Kind::Input => (Op::Input { port: format!("in{i}") }, &[]),
                    Kind::Const(v) => (Op::Const { value: v.to_string() }, &[]),
                    Kind::Unary(op) => (op.clone(), &["x"]),
                    Kind::Binary(op) => (op.clone(), &["a", "b"]),
                    Kind::Clamp => (Op::Clamp, &["x", "lo", "hi"]),
                };
                for (input, pick) in inputs.iter().zip(&picks) {
                    let from = pick.index(i);
                    edges.push(Edge {
                        from: Endpoint { node: format!("n{from}"), port: "value".into() },
                        to: Endpoint { node: name.clone(), port: (*input).into() },
                    });
                }
                nodes.push(Node {
                    name: name.clone(),
                    op,
                    inputs: inputs.iter().map(|n| port(n)).collect(),
                    outputs: vec![port("value")],
                    cost,
                });
                if exported {
                    outputs.push(name);
                }
            }
            for from in outputs {
                let name = format!("out_{from}");
                edges.push(Edge {
                    from: Endpoint { node: from, port: "value".into() },
                    to: Endpoint { node: name.clone(), port: "value".into() },
                });
                nodes.push(Node {
                    name: name.clone(),
                    op: Op::Output { port: name },
                    inputs: vec![port("value")],
                    outputs: vec![],
                    cost: Cost::default(),
                });
            }
            Graph { module: "generated".into(), nodes, edges }
        })
}

/// Fisher-Yates with a small deterministic generator.
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let j = ((seed >> 33) % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_graphs_are_valid(g in graph()) {
        prop_assert_eq!(validate(&g), Ok(()));
    }

    #[test]
    fn decode_of_encode_is_the_canonical_graph(g in graph()) {
        let bytes = encode(&g);
        let canonical = canonicalize(&g);
        prop_assert_eq!(decode(&bytes).unwrap(), canonical.clone());
        prop_assert_eq!(canonicalize(&canonical), canonical.clone());
        prop_assert_eq!(encode(&canonical), bytes);
        prop_assert_eq!(validate(&canonical), Ok(()));
    }

    #[test]
    fn reordering_nodes_and_edges_keeps_the_hash(g in graph(), seed in any::<u64>()) {
        let mut shuffled = g.clone();
        shuffle(&mut shuffled.nodes, seed);
        shuffle(&mut shuffled.edges, seed ^ 0x9e37_79b9_7f4a_7c15);
        prop_assert_eq!(hash(&shuffled), hash(&g));
        prop_assert_eq!(canonicalize(&shuffled), canonicalize(&g));
    }

    #[test]
    fn canonical_order_is_topological(g in graph()) {
        let canonical = canonicalize(&g);
        let position = |name: &str| canonical.nodes.iter().position(|n| n.name == name).unwrap();
        for edge in &canonical.edges {
            prop_assert!(position(&edge.from.node) < position(&edge.to.node));
        }
    }

    #[test]
    fn every_truncation_is_an_error(g in graph()) {
        let bytes = encode(&g);
        for len in 0..bytes.len() {
            prop_assert!(decode(&bytes[..len]).is_err(), "prefix of {} bytes decoded", len);
        }
    }

    #[test]
    fn random_bytes_after_the_header_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&body);
        if let Ok(g) = decode(&bytes) {
            prop_assert_eq!(decode(&encode(&g)).unwrap(), canonicalize(&g));
        }
    }

    #[test]
    fn flipped_bytes_never_panic(g in graph(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut bytes = encode(&g);
        for (at, value) in flips {
            let at = at.index(bytes.len());
            bytes[at] = value;
        }
        if let Ok(g) = decode(&bytes) {
            prop_assert_eq!(decode(&encode(&g)).unwrap(), canonicalize(&g));
        }
    }
}

fn header() -> Vec<u8> {
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes
}

/// bincode's varint for a `u64` over `u32::MAX`: the tag 253, then 8 bytes.
fn varint_u64(n: u64) -> Vec<u8> {
    let mut bytes = vec![253];
    bytes.extend_from_slice(&n.to_le_bytes());
    bytes
}

#[test]
fn a_header_claiming_2_pow_40_nodes_is_refused_without_allocating() {
    let mut bytes = header();
    bytes.extend_from_slice(&[1, 1, b'm', 0]); // one string "m"; module = #0
    bytes.extend(varint_u64(1 << 40));
    assert_eq!(decode(&bytes), Err(DecodeError::OverLimit { what: "nodes", count: 1 << 40, max: 1 << 20 }));
}

#[test]
fn a_count_under_the_cap_but_over_the_bytes_left_is_truncation() {
    let mut bytes = header();
    bytes.extend_from_slice(&[1, 1, b'm', 0]);
    bytes.extend_from_slice(&[252, 0, 0, 0x0f, 0]); // 0x000f0000 nodes, as a u32 varint
    assert!(matches!(decode(&bytes), Err(DecodeError::Truncated { .. })));

    let mut bytes = header();
    bytes.extend_from_slice(&[1, 251, 0x00, 0xf0]); // a string of 61440 bytes, none there
    assert!(matches!(decode(&bytes), Err(DecodeError::Truncated { .. })));

    let mut bytes = header();
    bytes.extend(varint_u64(u64::MAX)); // u64::MAX strings
    assert!(matches!(decode(&bytes), Err(DecodeError::OverLimit { what: "strings", .. })));
}

#[test]
fn header_errors_name_what_is_wrong() {
    assert_eq!(decode(b"TR"), Err(DecodeError::Truncated { at: 2 }));
    assert!(matches!(decode(b"\x7fELF\x01\x00"), Err(DecodeError::BadMagic { .. })));
    let err = decode(b"TRC\0\x07\x00").unwrap_err();
    assert_eq!(err.to_string(), "unsupported .trc format version 7 (this build reads version 1)");
    assert_eq!(
        decode(b"TRC\0\x01\x00").unwrap_err().to_string(),
        "truncated at byte 6: the file ends in the middle of the module"
    );
}

#[test]
fn indexes_out_of_the_table_and_trailing_bytes_are_refused() {
    let mut bytes = header();
    bytes.extend_from_slice(&[0, 5, 0, 0]); // no strings, module = #5, no nodes or edges
    assert_eq!(decode(&bytes), Err(DecodeError::BadIndex { what: "the module name", index: 5, len: 0 }));

    let mut bytes = header();
    bytes.extend_from_slice(&[1, 1, b'm', 0, 0, 0, 42]);
    assert_eq!(decode(&bytes), Err(DecodeError::TrailingBytes { at: 12, count: 1 }));
    bytes.pop();
    assert_eq!(decode(&bytes).unwrap(), Graph { module: "m".into(), nodes: vec![], edges: vec![] });
}

#[test]
fn an_unknown_operation_tag_is_malformed() {
    let mut bytes = header();
    // strings ["m"], module 0, one node: name 0, op tag 99.
    bytes.extend_from_slice(&[1, 1, b'm', 0, 1, 0, 99]);
    assert!(matches!(decode(&bytes), Err(DecodeError::Malformed(_))), "{:?}", decode(&bytes));
}

// ---- graph.toml ----

const PID_STEP: &str = r#"
[[node]]
name = "setpoint"
op = "input"
type = "Float<32>"

[[node]]
name = "measured"
op = "input"
type = "Float<32>"

[[node]]
name = "err"
op = "sub"
type = "Float<32>"
cost = { stack = 16, heap = 0, wcet = 12, effects = [] }

[[node]]
name = "gain"
op = "const"
value = 0.5
type = "Float<32>"

[[node]]
name = "scaled"
op = "call"
module = "torc-math"
max-depth = 4
inputs = [{ name = "a", type = "Float<32>" }, { name = "b", type = "Float<32>" }]
outputs = [{ name = "product", type = "Float<32>" }]
cost = { stack = 32, effects = ["io", "alloc", "io"] }

[[node]]
name = "positive"
op = "gt"
type = "Float<32>"

[[node]]
name = "pick"
op = "select"
type = "Float<32>"

[[node]]
name = "output"
op = "output"
type = "Float<32>"

[[edge]]
from = "setpoint"
to = "err.a"

[[edge]]
from = "measured.value"
to = "err.b"

[[edge]]
from = "err"
to = "scaled.a"

[[edge]]
from = "gain"
to = "scaled.b"

[[edge]]
from = "scaled.product"
to = "positive.a"

[[edge]]
from = "gain"
to = "positive.b"

[[edge]]
from = "positive"
to = "pick.cond"

[[edge]]
from = "scaled.product"
to = "pick.then"

[[edge]]
from = "gain"
to = "pick.else"

[[edge]]
from = "pick"
to = "output"
"#;

fn parse(text: &str) -> Result<source::SourceGraph, torc_graph::GraphError> {
    source::parse(Path::new("graph.toml"), text, "torc-pid")
}

/// The first error `text` gets, parse or validation, as displayed.
fn first_error(text: &str) -> String {
    match parse(text) {
        Err(e) => e.to_string(),
        Ok(g) => g.validate().expect_err("the graph is valid")[0].to_string(),
    }
}

#[test]
fn the_example_parses_and_validates() {
    let g = parse(PID_STEP).unwrap();
    g.validate().unwrap();
    assert_eq!(g.lines["setpoint"], 2);
    assert_eq!(g.lines["scaled"], 24);
    assert_eq!(g.edge_lines[0], 48);
    let scaled = g.graph.nodes.iter().find(|n| n.name == "scaled").unwrap();
    assert_eq!(scaled.op, Op::Call { module: "torc-math".into(), max_depth: Some(4) });
    assert_eq!(
        scaled.cost,
        Cost { stack: Some(32), heap: None, effects: vec!["alloc".into(), "io".into()], wcet: None }
    );
    let gain = g.graph.nodes.iter().find(|n| n.name == "gain").unwrap();
    assert_eq!(gain.op, Op::Const { value: "0.5".into() });
    let positive = g.graph.nodes.iter().find(|n| n.name == "positive").unwrap();
    assert_eq!(positive.outputs, vec![NodePort { name: "value".into(), ty: "Bool".into() }]);
    let pick = g.graph.nodes.iter().find(|n| n.name == "pick").unwrap();
    let names: Vec<_> = pick.inputs.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["cond", "then", "else"]);
}

/// Splits the example into its `[[node]]` / `[[edge]]` blocks.
fn blocks(text: &str) -> Vec<String> {
    text.split("\n\n").map(|b| b.trim().to_owned()).filter(|b| !b.is_empty()).collect()
}

#[test]
fn reordering_the_source_keeps_the_hash() {
    let reference = hash(&parse(PID_STEP).unwrap().graph);
    for seed in 0..20 {
        let mut parts = blocks(PID_STEP);
        shuffle(&mut parts, seed);
        let text = parts.join("\n\n");
        let g = parse(&text).unwrap();
        g.validate().unwrap();
        assert_eq!(hash(&g.graph), reference, "order {seed}:\n{text}");
    }
    let changed = PID_STEP.replace("wcet = 12", "wcet = 13");
    assert_ne!(hash(&parse(&changed).unwrap().graph), reference);
}

#[test]
fn syntax_and_form_errors_name_line_and_key() {
    let cases: &[(&str, &str, &str)] = &[
        ("op = \"sub\"", "op = \"subtract\"", "graph.toml:14:6: node[2].op: unknown operation `subtract`"),
        ("op = \"sub\"", "op = 3", "graph.toml:14:6: node[2].op: expected a string, found an integer"),
        (
            "name = \"err\"",
            "name = \"setpoint\"",
            "graph.toml:13:8: node[2].name: node `setpoint` is defined twice: on line 2 and on line 12",
        ),
        ("name = \"err\"", "name = \"9err\"", "graph.toml:13:8: node[2].name: invalid node name `9err`"),
        (
            "cost = { stack = 16,",
            "colour = 1\ncost = { stack = 16,",
            "graph.toml:16:1: node[2].colour: unknown key `colour` in [node[2]]",
        ),
        (
            "stack = 16, heap = 0",
            "stack = -16, heap = 0",
            "graph.toml:16:18: node[2].cost.stack: expected a number of bytes (0 or more), found -16",
        ),
        (
            "stack = 16, heap = 0",
            "stack = 16, heap = 0, ram = 1",
            "graph.toml:16:32: node[2].cost.ram: unknown key `ram` in [node[2].cost]",
        ),
        (
            "effects = []",
            "effects = \"io\"",
            "graph.toml:16:53: node[2].cost.effects: expected an array of effect names, found a string",
        ),
        (
            "name = \"err\"\nop = \"sub\"\ntype = \"Float<32>\"",
            "name = \"err\"\nop = \"sub\"",
            "graph.toml:12:1: node[2].type: missing `type` in [node[2]]",
        ),
        ("module = \"torc-math\"\n", "", "graph.toml:24:1: node[4].module: missing `module` in [node[4]]"),
        (
            "max-depth = 4",
            "max-depth = -1",
            "graph.toml:28:13: node[4].max-depth: expected a depth from 0 to 4294967295, found -1",
        ),
        (
            "value = 0.5",
            "value = 0.5\nport = \"gain\"",
            "graph.toml:22:1: node[3].port: `port` is only for input and output nodes, not for a `const` node",
        ),
        ("to = \"err.a\"", "to = \"err.a.b\"", "graph.toml:50:6: edge[0].to: `err.a.b` is not an endpoint"),
        (
            "from = \"setpoint\"",
            "from = \"setpoint\"\nvia = 1",
            "graph.toml:50:1: edge[0].via: unknown key `via` in [edge[0]]",
        ),
        (
            "[[edge]]\nfrom = \"setpoint\"",
            "[edges]\nfrom = \"setpoint\"",
            "graph.toml:48:2: edges: unknown key `edges` at the top level; expected one of: node, edge",
        ),
        ("name = \"setpoint\"", "name = \"setpoint", "graph.toml:3:17: invalid TOML"),
    ];
    check_cases(cases);
}

#[test]
fn graph_errors_name_the_node_or_edge_line() {
    let cases: &[(&str, &str, &str)] = &[
        ("from = \"positive\"\nto = \"pick.cond\"", "from = \"gain\"\nto = \"pick.cond\"", "graph.toml:72:1: edge[6]: type mismatch: `gain.value` is Float<32> but `pick.cond` is Bool"),
        ("from = \"positive\"\nto = \"pick.cond\"", "from = \"nowhere\"\nto = \"pick.cond\"", "graph.toml:72:1: edge[6]: no node named `nowhere`"),
        ("to = \"err.b\"", "to = \"err.c\"", "graph.toml:52:1: edge[1]: node `err` has no input port `c` (its inputs: a, b)"),
        ("to = \"err.b\"", "to = \"err.a\"", "graph.toml:52:1: edge[1]: input `err.a` is already driven by `setpoint.value`; an input has exactly one source"),
        ("op = \"gt\"", "op = \"and\"", "graph.toml:33:1: node[5]: node `positive` (and): `a` must be Bool, not Float<32>"),
        ("op = \"sub\"", "op = \"neg\"", "graph.toml:48:1: edge[0]: node `err` has no input port `a` (its inputs: x)"),
        ("name = \"measured\"\nop = \"input\"", "name = \"measured\"\nop = \"input\"\nport = \"setpoint\"", "graph.toml:7:1: node[1]: module port `setpoint` already has node `setpoint`"),
    ];
    check_cases(cases);
}

/// Each case: (text in the example, its replacement, how the first error starts).
fn check_cases(cases: &[(&str, &str, &str)]) {
    let mut wrong = Vec::new();
    for (from, to, expected) in cases {
        assert!(PID_STEP.contains(from), "{from}");
        let err = first_error(&PID_STEP.replacen(from, to, 1));
        if !err.starts_with(expected) {
            wrong.push(format!("expected: {expected}\n   found: {err}"));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn a_cycle_is_reported_as_a_path() {
    let text = r#"
[[node]]
name = "a"
op = "neg"
type = "Int<8>"

[[node]]
name = "b"
op = "abs"
type = "Int<8>"

[[edge]]
from = "a"
to = "b.x"

[[edge]]
from = "b"
to = "a.x"
"#;
    let errors = parse(text).unwrap().validate().unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].to_string(), "graph.toml:2:1: node[0]: data edges form a cycle: a -> b -> a");
    // Still encodes (the canonical order breaks the cycle the same way every time).
    let g = parse(text).unwrap().graph;
    assert_eq!(decode(&encode(&g)).unwrap(), canonicalize(&g));
}

#[test]
fn the_hash_is_blake3_of_the_encoding() {
    let g = parse(PID_STEP).unwrap().graph;
    assert_eq!(trc::hash(&g), blake3::hash(&encode(&g)).to_hex().to_string());
}

/// A `graph.toml` of `n` nodes in a chain: input, abs, ..., output.
fn chain_graph_toml(n: usize) -> String {
    let name = |i: usize| match i {
        0 => "x".to_owned(),
        i if i == n - 1 => "y".to_owned(),
        i => format!("n{i}"),
    };
    let mut text = String::new();
    for i in 0..n {
        let op = match i {
            0 => "input",
            i if i == n - 1 => "output",
            _ => "abs",
        };
        text += &format!("[[node]]\nname = \"{}\"\nop = \"{op}\"\ntype = \"Float<32>\"\n\n", name(i));
    }
    for i in 1..n {
        let port = if i == n - 1 { "value" } else { "x" };
        text += &format!("[[edge]]\nfrom = \"{}\"\nto = \"{}.{port}\"\n\n", name(i - 1), name(i));
    }
    text
}

#[test]
fn reading_a_graph_scans_its_text_a_bounded_number_of_times() {
    // Every node and edge records its line. Counting lines from the start
    // of the text for each made 20,000 nodes take 39 s: n^2 bytes scanned.
    for n in [1_000, 4_000] {
        let text = chain_graph_toml(n);
        let before = torc_graph::lines::bytes_examined();
        let graph = source::parse(Path::new("graph.toml"), &text, "m").unwrap();
        let scanned = torc_graph::lines::bytes_examined() - before;
        assert_eq!(graph.graph.nodes.len(), n);
        assert_eq!(graph.node_line("n7"), 7 * 5 + 1);
        assert_eq!(graph.edge_lines[2], n * 5 + 2 * 4 + 1);
        assert!(graph.validate().is_ok());
        assert!(scanned >= text.len() as u64 && scanned <= 2 * text.len() as u64, "{n} nodes: {scanned} bytes scanned for {}", text.len());
    }
}
