//! Proof obligations from hand-built graphs: what each operation means
//! (NaN, signed zeros, calls as contracts), stable ids, waivers, coverage.

use std::collections::BTreeMap;
use torc_contracts::interface::{Interface, InterfaceSpec, PortSpec};
use torc_contracts::prove::{Counterexample, Outcome};
use torc_contracts::term::{Term, Value};
use torc_graph::model::{Cost, Edge, Endpoint, Graph, Node, NodePort, Op};
use torc_graph::obligations::{
    apply_waivers, canonical, coverage, discharge, obligations, Discharged, Obligation, ObligationError,
    ObligationKind, Prover, Status, Waiver, Z3Prover,
};

const F32: &str = "Float<32>";

fn ports(list: &[(&str, &str, &str)]) -> Vec<PortSpec> {
    list.iter()
        .map(|(name, ty, contract)| PortSpec {
            name: (*name).into(),
            ty: (*ty).into(),
            contract: (*contract).into(),
            default: None,
        })
        .collect()
}

/// A checked interface: (name, type, contract) per port.
fn interface(inputs: &[(&str, &str, &str)], outputs: &[(&str, &str, &str)]) -> Interface {
    interface_with(vec![], inputs, outputs)
}

fn interface_with(
    types: Vec<(String, Vec<(String, String)>)>,
    inputs: &[(&str, &str, &str)],
    outputs: &[(&str, &str, &str)],
) -> Interface {
    let spec = InterfaceSpec { types, predicates: vec![], inputs: ports(inputs), outputs: ports(outputs) };
    Interface::check(&spec).unwrap_or_else(|e| panic!("{e:?}"))
}

fn port(name: &str, ty: &str) -> NodePort {
    NodePort { name: name.into(), ty: ty.into() }
}

fn node(name: &str, op: Op, inputs: &[(&str, &str)], outputs: &[(&str, &str)]) -> Node {
    Node {
        name: name.into(),
        op,
        inputs: inputs.iter().map(|(n, t)| port(n, t)).collect(),
        outputs: outputs.iter().map(|(n, t)| port(n, t)).collect(),
        cost: Cost::default(),
    }
}

fn input(port_name: &str, ty: &str) -> Node {
    node(port_name, Op::Input { port: port_name.into() }, &[], &[("value", ty)])
}

fn output(port_name: &str, ty: &str) -> Node {
    node(&format!("out_{port_name}"), Op::Output { port: port_name.into() }, &[("value", ty)], &[])
}

/// `"a.value" -> "b.x"`.
fn edge(from: &str, to: &str) -> Edge {
    let end = |s: &str| {
        let (node, port) = s.rsplit_once('.').unwrap();
        Endpoint { node: node.into(), port: port.into() }
    };
    Edge { from: end(from), to: end(to) }
}

fn graph(nodes: Vec<Node>, edges: Vec<Edge>) -> Graph {
    Graph { module: "m".into(), nodes, edges }
}

fn no_callees() -> BTreeMap<String, Interface> {
    BTreeMap::new()
}

fn prove_all(g: &Graph, own: &Interface, callees: &BTreeMap<String, Interface>) -> Vec<Discharged> {
    let obligations = obligations(g, own, callees).unwrap_or_else(|e| panic!("{e}"));
    discharge(obligations, &Z3Prover::default())
}

#[track_caller]
fn only(discharged: &[Discharged]) -> &Discharged {
    assert_eq!(discharged.len(), 1, "{discharged:#?}");
    &discharged[0]
}

#[track_caller]
fn counterexample(d: &Discharged) -> &Counterexample {
    match &d.status {
        Status::Failed { counterexample } => counterexample,
        other => panic!("expected a counterexample for {}, got {other:?}", d.obligation.description),
    }
}

#[track_caller]
fn assert_proved(d: &Discharged) {
    assert_eq!(d.status, Status::Proved, "{}: {}", d.obligation.description, d.obligation.normalised());
}

fn f32_of(cx: &Counterexample, name: &str) -> f32 {
    match cx.get(name) {
        Some(Value::F32(x)) => x,
        other => panic!("{name} = {other:?} in {cx}"),
    }
}

// ---------------------------------------------------------------------------
// clamp

/// `y = clamp(x, lo, hi)` with output contract `in_range(lo, hi)`.
fn clamp_graph(reversed: bool) -> Graph {
    let mut nodes = vec![
        input("x", F32),
        input("lo", F32),
        input("hi", F32),
        node("clamp", Op::Clamp, &[("x", F32), ("lo", F32), ("hi", F32)], &[("value", F32)]),
        output("y", F32),
    ];
    let mut edges = vec![
        edge("x.value", "clamp.x"),
        edge("lo.value", "clamp.lo"),
        edge("hi.value", "clamp.hi"),
        edge("clamp.value", "out_y.value"),
    ];
    if reversed {
        nodes.reverse();
        edges.reverse();
    }
    graph(nodes, edges)
}

fn clamp_interface(hi_contract: &str) -> Interface {
    interface(&[("x", F32, "true"), ("lo", F32, "finite"), ("hi", F32, hi_contract)], &[("y", F32, "in_range(lo, hi)")])
}

#[test]
fn clamp_stays_in_range_when_lo_le_hi() {
    let d = prove_all(&clamp_graph(false), &clamp_interface("finite && lo <= hi"), &no_callees());
    let d = only(&d);
    assert_proved(d);
    assert_eq!(d.obligation.kind, ObligationKind::OutputContract { port: "y".into() });
    assert_eq!(d.obligation.node.as_deref(), Some("out_y"));
    assert_eq!(d.obligation.description, "output `y` must satisfy `in_range(lo, hi)`");
}

#[test]
fn clamp_leaves_the_range_without_lo_le_hi() {
    let d = prove_all(&clamp_graph(false), &clamp_interface("finite"), &no_callees());
    let cx = counterexample(only(&d));
    // Re-checked natively by the contracts crate; here: the range is empty.
    assert!(f32_of(cx, "lo") > f32_of(cx, "hi"), "{cx}");
}

/// A NaN into `clamp` comes out as `lo`: min/max ignore a NaN operand.
#[test]
fn clamp_of_nan_is_lo() {
    let own = interface(
        &[("x", F32, "is_nan(x)"), ("lo", F32, "finite"), ("hi", F32, "finite && lo <= hi")],
        &[("y", F32, "value == lo")],
    );
    assert_proved(only(&prove_all(&clamp_graph(false), &own, &no_callees())));
}

// ---------------------------------------------------------------------------
// NaN through abs, min, max

fn unary_graph(op: Op) -> Graph {
    graph(
        vec![input("x", F32), node("f", op, &[("x", F32)], &[("value", F32)]), output("y", F32)],
        vec![edge("x.value", "f.x"), edge("f.value", "out_y.value")],
    )
}

#[test]
fn abs_of_a_possible_nan_is_not_finite() {
    let own = interface(&[("x", F32, "true")], &[("y", F32, "finite")]);
    let d = prove_all(&unary_graph(Op::Abs), &own, &no_callees());
    let x = f32_of(counterexample(only(&d)), "x");
    assert!(!x.is_finite(), "{x}");

    let own = interface(&[("x", F32, "finite")], &[("y", F32, "finite && value >= 0.0")]);
    assert_proved(only(&prove_all(&unary_graph(Op::Abs), &own, &no_callees())));
}

fn binary_graph(op: Op) -> Graph {
    graph(
        vec![
            input("a", F32),
            input("b", F32),
            node("f", op, &[("a", F32), ("b", F32)], &[("value", F32)]),
            output("y", F32),
        ],
        vec![edge("a.value", "f.a"), edge("b.value", "f.b"), edge("f.value", "out_y.value")],
    )
}

#[test]
fn min_and_max_ignore_one_nan_but_not_two() {
    let own = interface(&[("a", F32, "true"), ("b", F32, "true")], &[("y", F32, "!is_nan(value)")]);
    for op in [Op::Min, Op::Max] {
        let d = prove_all(&binary_graph(op), &own, &no_callees());
        let cx = counterexample(only(&d));
        assert!(f32_of(cx, "a").is_nan() && f32_of(cx, "b").is_nan(), "{cx}");
    }
    // `a` may be NaN (not infinite): min and max ignore it, `a + b` does not.
    let own = interface(&[("a", F32, "!is_inf(a)"), ("b", F32, "finite")], &[("y", F32, "finite")]);
    for op in [Op::Min, Op::Max] {
        assert_proved(only(&prove_all(&binary_graph(op), &own, &no_callees())));
    }
    let d = prove_all(&binary_graph(Op::Add), &own, &no_callees());
    let cx = counterexample(only(&d));
    assert!(f32_of(cx, "a").is_nan() || (f32_of(cx, "a") + f32_of(cx, "b")).is_infinite(), "{cx}");
}

#[test]
fn a_constant_is_read_at_its_port_type() {
    let g = graph(
        vec![node("k", Op::Const { value: "0.1".into() }, &[], &[("value", F32)]), output("y", F32)],
        vec![edge("k.value", "out_y.value")],
    );
    let own = interface(&[], &[("y", F32, "value == 0.1")]);
    let d = prove_all(&g, &own, &no_callees());
    assert_proved(only(&d));
    assert_eq!(
        canonical(&d[0].obligation.goal),
        format!("(== f32:{:#010x} f32:{:#010x})", 0.1f32.to_bits(), 0.1f32.to_bits())
    );

    let bad = graph(
        vec![node("k", Op::Const { value: "x + 1".into() }, &[], &[("value", F32)]), output("y", F32)],
        vec![edge("k.value", "out_y.value")],
    );
    assert!(matches!(obligations(&bad, &own, &no_callees()), Err(ObligationError::Node { node, .. }) if node == "k"));
}

// ---------------------------------------------------------------------------
// calls

/// `sqrt`-like callee: `r` needs `r >= 0.0`, promises a finite, non-negative `root`.
fn callee() -> Interface {
    interface(&[("r", F32, "finite && r >= 0.0")], &[("root", F32, "finite && value >= 0.0")])
}

fn call_graph() -> Graph {
    graph(
        vec![
            input("x", F32),
            node("s", Op::Call { module: "sqrt".into(), max_depth: None }, &[("r", F32)], &[("root", F32)]),
            output("y", F32),
        ],
        vec![edge("x.value", "s.r"), edge("s.root", "out_y.value")],
    )
}

fn callees() -> BTreeMap<String, Interface> {
    BTreeMap::from([("sqrt".to_owned(), callee())])
}

#[test]
fn a_call_whose_precondition_is_not_met_fails() {
    let own = interface(&[("x", F32, "true")], &[("y", F32, "value >= 0.0")]);
    let d = prove_all(&call_graph(), &own, &callees());
    assert_eq!(d.len(), 2);
    let pre = &d[0];
    assert_eq!(
        pre.obligation.kind,
        ObligationKind::CallPrecondition { node: "s".into(), callee: "sqrt".into(), port: "r".into() }
    );
    assert_eq!(pre.obligation.node.as_deref(), Some("s"));
    assert_eq!(pre.obligation.description, "`s` calls `sqrt`: its input `r` must satisfy `finite && r >= 0.0`");
    let x = f32_of(counterexample(pre), "x");
    assert!(!(x.is_finite() && x >= 0.0), "{x}");
    // Without the precondition, the callee promises nothing.
    counterexample(&d[1]);
}

#[test]
fn a_call_whose_precondition_is_met_passes_its_postcondition_on() {
    let own = interface(&[("x", F32, "finite && x >= 1.0")], &[("y", F32, "finite && value >= 0.0")]);
    let d = prove_all(&call_graph(), &own, &callees());
    assert_eq!(d.len(), 2);
    d.iter().for_each(assert_proved);
    // The output obligation assumes the call's contract over `s.root`.
    let text = d[1].obligation.normalised();
    assert!(text.contains("\"s.root\":Float<32>"), "{text}");
}

#[test]
fn a_call_feeding_another_call_discharges_its_precondition() {
    let g = graph(
        vec![
            input("x", F32),
            node("first", Op::Call { module: "sqrt".into(), max_depth: None }, &[("r", F32)], &[("root", F32)]),
            node("second", Op::Call { module: "sqrt".into(), max_depth: None }, &[("r", F32)], &[("root", F32)]),
            output("y", F32),
        ],
        vec![edge("x.value", "first.r"), edge("first.root", "second.r"), edge("second.root", "out_y.value")],
    );
    let own = interface(&[("x", F32, "finite && x >= 0.0")], &[("y", F32, "finite")]);
    let d = prove_all(&g, &own, &callees());
    let kinds: Vec<_> = d.iter().map(|d| d.obligation.node.clone().unwrap()).collect();
    assert_eq!(kinds, ["first", "second", "out_y"]);
    d.iter().for_each(assert_proved);
    // `first`'s obligation assumes nothing about calls; `second`'s assumes `first`'s contract only.
    assert!(!d[0].obligation.normalised().contains("root"));
    assert!(!d[1].obligation.normalised().contains("second.root"));
}

#[test]
fn records_pass_through_calls_field_by_field() {
    let limits =
        || vec![("Limits".to_owned(), vec![("lo".to_owned(), F32.to_owned()), ("hi".to_owned(), F32.to_owned())])];
    let limiter = interface_with(
        limits(),
        &[("x", F32, "true"), ("limits", "Limits", "finite(limits.lo) && limits.lo <= limits.hi")],
        &[("y", F32, "in_range(limits.lo, limits.hi)")],
    );
    let own = interface_with(
        limits(),
        &[("u", F32, "true"), ("cfg", "Limits", "finite(cfg.lo) && finite(cfg.hi) && cfg.lo <= cfg.hi")],
        &[("out", F32, "value <= cfg.hi")],
    );
    let g = graph(
        vec![
            input("u", F32),
            input("cfg", "Limits"),
            node(
                "lim",
                Op::Call { module: "limiter".into(), max_depth: None },
                &[("x", F32), ("limits", "Limits")],
                &[("y", F32)],
            ),
            output("out", F32),
        ],
        vec![edge("u.value", "lim.x"), edge("cfg.value", "lim.limits"), edge("lim.y", "out_out.value")],
    );
    let callees = BTreeMap::from([("limiter".to_owned(), limiter)]);
    let d = prove_all(&g, &own, &callees);
    assert_eq!(d.len(), 2);
    d.iter().for_each(assert_proved);

    // Arithmetic on a record is a type error.
    let mut bad = g.clone();
    bad.nodes.push(node("neg", Op::Neg, &[("x", "Limits")], &[("value", "Limits")]));
    bad.edges.push(edge("cfg.value", "neg.x"));
    let err = obligations(&bad, &own, &callees).unwrap_err();
    assert!(err.to_string().contains("records only pass through"), "{err}");
}

// ---------------------------------------------------------------------------
// select

fn select_graph(then_value: &str, else_value: &str) -> Graph {
    graph(
        vec![
            input("c", "Bool"),
            node("t", Op::Const { value: then_value.into() }, &[], &[("value", F32)]),
            node("e", Op::Const { value: else_value.into() }, &[], &[("value", F32)]),
            node("sel", Op::Select, &[("c", "Bool"), ("a", F32), ("b", F32)], &[("value", F32)]),
            output("y", F32),
        ],
        vec![
            edge("c.value", "sel.c"),
            edge("t.value", "sel.a"),
            edge("e.value", "sel.b"),
            edge("sel.value", "out_y.value"),
        ],
    )
}

/// Identity, not IEEE equality: a select of `0.0` or `-0.0` keeps the sign.
#[test]
fn select_keeps_the_sign_of_zero() {
    let own =
        interface(&[("c", "Bool", "true")], &[("y", F32, "(c => 1.0 / value > 0.0) && (!c => 1.0 / value < 0.0)")]);
    let d = prove_all(&select_graph("0.0", "-0.0"), &own, &no_callees());
    assert_proved(only(&d));
    assert!(d[0].obligation.normalised().contains("\"sel.value\":Float<32>"));

    // The other way round, the contract fails; Z3 names the branch.
    let d = prove_all(&select_graph("-0.0", "0.0"), &own, &no_callees());
    assert!(counterexample(only(&d)).get("c").is_some());
}

#[test]
fn select_passes_nan_on() {
    let g = graph(
        vec![
            input("c", "Bool"),
            input("x", F32),
            node("one", Op::Const { value: "1.0".into() }, &[], &[("value", F32)]),
            node("sel", Op::Select, &[("c", "Bool"), ("a", F32), ("b", F32)], &[("value", F32)]),
            output("y", F32),
        ],
        vec![
            edge("c.value", "sel.c"),
            edge("x.value", "sel.a"),
            edge("one.value", "sel.b"),
            edge("sel.value", "out_y.value"),
        ],
    );
    let own = interface(&[("c", "Bool", "true"), ("x", F32, "is_nan(x)")], &[("y", F32, "c == is_nan(value)")]);
    assert_proved(only(&prove_all(&g, &own, &no_callees())));
    // IEEE `==` would not do: NaN is not equal to itself.
    let own = interface(&[("c", "Bool", "true"), ("x", F32, "is_nan(x)")], &[("y", F32, "c => value == x")]);
    assert!(counterexample(only(&prove_all(&g, &own, &no_callees()))).get("c").is_some());
}

#[test]
fn select_on_bool_is_an_expression() {
    let g = graph(
        vec![
            input("c", "Bool"),
            input("p", "Bool"),
            input("q", "Bool"),
            node("sel", Op::Select, &[("c", "Bool"), ("a", "Bool"), ("b", "Bool")], &[("value", "Bool")]),
            output("y", "Bool"),
        ],
        vec![
            edge("c.value", "sel.c"),
            edge("p.value", "sel.a"),
            edge("q.value", "sel.b"),
            edge("sel.value", "out_y.value"),
        ],
    );
    let own = interface(
        &[("c", "Bool", "true"), ("p", "Bool", "true"), ("q", "Bool", "true")],
        &[("y", "Bool", "value == ((c && p) || (!c && q))")],
    );
    let d = prove_all(&g, &own, &no_callees());
    assert_proved(only(&d));
    assert!(d[0].obligation.assumptions.is_empty());
}

// ---------------------------------------------------------------------------
// ids

#[test]
fn ids_do_not_depend_on_the_order_of_the_source() {
    let own = clamp_interface("finite && lo <= hi");
    let a = obligations(&clamp_graph(false), &own, &no_callees()).unwrap();
    let b = obligations(&clamp_graph(true), &own, &no_callees()).unwrap();
    assert_eq!(a, b);
    let id = &a[0].id;
    assert_eq!(id.len(), 16);
    assert!(id.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)), "{id}");
    assert_eq!(*id, blake3::hash(a[0].normalised().as_bytes()).to_hex()[..16]);

    // Reordering the interface's input ports does not change it either.
    let reordered = interface(
        &[("hi", F32, "finite && lo <= hi"), ("lo", F32, "finite"), ("x", F32, "true")],
        &[("y", F32, "in_range(lo, hi)")],
    );
    assert_eq!(obligations(&clamp_graph(true), &reordered, &no_callees()).unwrap()[0].id, *id);

    // Another formula, another id.
    let weaker = obligations(&clamp_graph(false), &clamp_interface("finite"), &no_callees()).unwrap();
    assert_ne!(weaker[0].id, *id);
}

#[test]
fn call_ids_do_not_depend_on_the_order_of_the_source() {
    let own = interface(&[("x", F32, "finite && x >= 1.0")], &[("y", F32, "finite")]);
    let mut reversed = call_graph();
    reversed.nodes.reverse();
    reversed.edges.reverse();
    let ids = |g: &Graph| obligations(g, &own, &callees()).unwrap().into_iter().map(|o| o.id).collect::<Vec<_>>();
    assert_eq!(ids(&call_graph()), ids(&reversed));
}

// ---------------------------------------------------------------------------
// waivers and coverage

/// Answers every query the same way, without Z3.
struct Always(Outcome);

impl Prover for Always {
    fn prove(&self, _: &[Term], _: &Term) -> Outcome {
        self.0.clone()
    }
}

fn fake(id: &str) -> Obligation {
    Obligation {
        id: id.into(),
        kind: ObligationKind::OutputContract { port: id.into() },
        description: String::new(),
        node: None,
        assumptions: vec![],
        goal: Term::Bool(true),
    }
}

fn waiver(id: &str) -> Waiver {
    Waiver { id: id.into(), justification: format!("because {id}"), approved_by: "QA".into() }
}

#[test]
fn waivers_mark_failed_and_unknown_obligations_and_report_the_rest() {
    let cx = Counterexample { assignments: vec![] };
    let mut d = discharge(vec![fake("a"), fake("b")], &Always(Outcome::Invalid(cx.clone())));
    d.extend(discharge(vec![fake("c")], &Always(Outcome::Unknown("timeout".into()))));
    d.extend(discharge(vec![fake("d")], &Always(Outcome::Valid)));
    assert_eq!(d[0].status, Status::Failed { counterexample: cx.clone() });

    let waivers = [waiver("a"), waiver("c"), waiver("d"), waiver("zz")];
    let unused = apply_waivers(&mut d, &waivers);
    assert_eq!(d[0].status, Status::Waived { justification: "because a".into(), approved_by: "QA".into() });
    assert_eq!(d[1].status, Status::Failed { counterexample: cx });
    assert!(matches!(d[2].status, Status::Waived { .. }));
    assert_eq!(d[3].status, Status::Proved, "a proof beats a waiver");
    assert_eq!(unused.unknown, [&waivers[3]]);
    assert_eq!(unused.proved, [&waivers[2]]);
    assert!(!unused.is_empty());
    assert!(apply_waivers(&mut d, &[]).is_empty());
}

#[test]
fn coverage_counts_proved_obligations_only() {
    let mut d = discharge(vec![fake("a"), fake("b")], &Always(Outcome::Valid));
    d.extend(discharge(vec![fake("c"), fake("d")], &Always(Outcome::Unknown("?".into()))));
    assert_eq!(coverage(&d), 50.0);
    apply_waivers(&mut d, &[waiver("c")]);
    assert_eq!(coverage(&d), 50.0, "a waived obligation is not verified");
    d.truncate(3);
    assert!((coverage(&d) - 200.0 / 3.0).abs() < 1e-9);
    assert_eq!(coverage(&[]), 100.0);
    let waived: Vec<_> = d.iter().filter(|d| matches!(d.status, Status::Waived { .. })).collect();
    assert_eq!(waived.len(), 1);
}

// ---------------------------------------------------------------------------
// graphs that do not fit

#[test]
fn graphs_that_do_not_fit_their_interfaces_are_errors() {
    let own = interface(&[("x", F32, "true")], &[("y", F32, "finite")]);
    // A cycle of data edges.
    let g = graph(
        vec![
            input("x", F32),
            node("a", Op::Add, &[("l", F32), ("r", F32)], &[("value", F32)]),
            node("b", Op::Neg, &[("x", F32)], &[("value", F32)]),
            output("y", F32),
        ],
        vec![edge("x.value", "a.l"), edge("b.value", "a.r"), edge("a.value", "b.x"), edge("a.value", "out_y.value")],
    );
    assert_eq!(
        obligations(&g, &own, &no_callees()),
        Err(ObligationError::Cycle { cycle: vec!["a".into(), "b".into(), "a".into()] })
    );
    // An unconnected input.
    let g = graph(
        vec![node("n", Op::Neg, &[("x", F32)], &[("value", F32)]), output("y", F32)],
        vec![edge("n.value", "out_y.value")],
    );
    let err = obligations(&g, &own, &no_callees()).unwrap_err();
    assert!(err.to_string().contains("input `x` is not connected"), "{err}");
    // A type mismatch on an edge.
    let g = graph(vec![input("x", F32), output("y", "Float<64>")], vec![edge("x.value", "out_y.value")]);
    let err = obligations(&g, &own, &no_callees()).unwrap_err();
    assert!(matches!(err, ObligationError::Edge { .. }), "{err}");
    // An output the graph does not compute.
    let g = graph(vec![input("x", F32)], vec![]);
    assert!(matches!(obligations(&g, &own, &no_callees()), Err(ObligationError::Output { port, .. }) if port == "y"));
    // A call into a module whose interface is not given.
    let own = interface(&[("x", F32, "true")], &[("y", F32, "true")]);
    let err = obligations(&call_graph(), &own, &no_callees()).unwrap_err();
    assert!(err.to_string().contains("`sqrt`, whose interface is not known"), "{err}");
    // Comparing floats gives Bool; declaring it Float is an error.
    let g = graph(
        vec![input("x", F32), node("c", Op::Lt, &[("a", F32), ("b", F32)], &[("value", F32)]), output("y", F32)],
        vec![edge("x.value", "c.a"), edge("x.value", "c.b"), edge("c.value", "out_y.value")],
    );
    let err = obligations(&g, &own, &no_callees()).unwrap_err();
    assert!(err.to_string().contains("computes a Bool"), "{err}");
}
