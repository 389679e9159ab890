//! Resource bounds: random DAG call graphs against a brute-force oracle
//! (every call path enumerated, the call tree expanded), recursion with and
//! without depth, unknown costs, overflow, declared bounds, and budget
//! reports against platform models.

use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use torc_graph::bounds::{analyze, check_declared, Bound, DeclaredCheck, ModuleBounds, Resource, MAX_PATH};
use torc_graph::model::{Cost, Graph, Node, Op};
use torc_graph::platform::{budget_report, PlatformModel, Verdict};

fn node(name: &str, op: Op, stack: Option<u64>, heap: Option<u64>, wcet: Option<u64>, effects: &[&str]) -> Node {
    Node {
        name: name.into(),
        op,
        inputs: vec![],
        outputs: vec![],
        cost: Cost { stack, heap, effects: effects.iter().map(|e| (*e).to_owned()).collect(), wcet },
    }
}

fn leaf(name: &str, stack: u64) -> Node {
    node(name, Op::Add, Some(stack), Some(0), Some(1), &[])
}

fn call(name: &str, module: &str, stack: u64, max_depth: Option<u32>) -> Node {
    node(name, Op::Call { module: module.into(), max_depth }, Some(stack), Some(0), Some(1), &[])
}

fn graphs(modules: Vec<(&str, Vec<Node>)>) -> BTreeMap<String, Graph> {
    modules
        .into_iter()
        .map(|(name, nodes)| (name.to_owned(), Graph { module: name.to_owned(), nodes, edges: vec![] }))
        .collect()
}

// ---------------------------------------------------------------- oracle

/// Sum of known amounts and whether any was unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Partial {
    amount: u128,
    unknown: bool,
}

impl Partial {
    fn bound(self) -> Bound {
        if self.unknown {
            Bound::AtLeast(self.amount as u64)
        } else {
            Bound::Exact(self.amount as u64)
        }
    }
}

/// Every call path from `module`: the list of frames along it.
fn all_paths(graphs: &BTreeMap<String, Graph>, module: &str) -> Vec<Vec<Option<u64>>> {
    let mut paths = Vec::new();
    for n in &graphs[module].nodes {
        match &n.op {
            Op::Call { module: callee, .. } if !graphs[callee].nodes.is_empty() => {
                for rest in all_paths(graphs, callee) {
                    let mut path = vec![n.cost.stack];
                    path.extend(rest);
                    paths.push(path);
                }
            }
            _ => paths.push(vec![n.cost.stack]),
        }
    }
    paths
}

fn oracle_stack(graphs: &BTreeMap<String, Graph>, module: &str) -> Partial {
    let paths = all_paths(graphs, module);
    let mut result = Partial::default();
    for path in paths {
        let sum: u128 = path.iter().map(|f| u128::from(f.unwrap_or(0))).sum();
        result.amount = result.amount.max(sum);
        result.unknown |= path.iter().any(Option::is_none);
    }
    result
}

/// Heap or WCET by explicit expansion of the call tree.
fn oracle_sum(graphs: &BTreeMap<String, Graph>, module: &str, cost: fn(&Cost) -> Option<u64>) -> Partial {
    let mut result = Partial::default();
    for n in &graphs[module].nodes {
        result.amount += u128::from(cost(&n.cost).unwrap_or(0));
        result.unknown |= cost(&n.cost).is_none();
        if let Op::Call { module: callee, .. } = &n.op {
            let inner = oracle_sum(graphs, callee, cost);
            result.amount += inner.amount;
            result.unknown |= inner.unknown;
        }
    }
    result
}

fn oracle_effects(graphs: &BTreeMap<String, Graph>, module: &str) -> BTreeSet<String> {
    let mut effects = BTreeSet::new();
    for n in &graphs[module].nodes {
        effects.extend(n.cost.effects.iter().filter(|e| *e != "pure").cloned());
        if let Op::Call { module: callee, .. } = &n.op {
            effects.extend(oracle_effects(graphs, callee));
        }
    }
    effects
}

/// The frames along a reported path: the first element in `root`, the
/// others `module::node`; each step must be a call into the next module.
fn path_frames(graphs: &BTreeMap<String, Graph>, root: &str, path: &[String]) -> u128 {
    let mut module = root.to_owned();
    let mut sum = 0u128;
    for (i, element) in path.iter().enumerate() {
        let name = if i == 0 {
            element.as_str()
        } else {
            let (m, name) = element.split_once("::").expect("qualified beyond the first module");
            assert_eq!(m, module, "path {path:?} leaves the callee");
            name
        };
        let n = graphs[&module].nodes.iter().find(|n| n.name == name).expect("a node of the module");
        sum += u128::from(n.cost.stack.unwrap_or(0));
        match &n.op {
            Op::Call { module: callee, .. } => module = callee.clone(),
            _ => assert_eq!(i + 1, path.len(), "path {path:?} goes on past a leaf"),
        }
    }
    sum
}

/// A random DAG of modules `m0..mN`: module `i` calls only modules `j > i`.
fn dag() -> impl Strategy<Value = BTreeMap<String, Graph>> {
    let cost = (
        prop_oneof![4 => (0u64..200).prop_map(Some), 1 => Just(None)],
        prop_oneof![4 => (0u64..50).prop_map(Some), 1 => Just(None)],
        prop_oneof![4 => (0u64..1000).prop_map(Some), 1 => Just(None)],
        prop::sample::subsequence(vec!["io", "alloc", "pure"], 0..=2),
    );
    let node_strategy = (cost, any::<bool>(), any::<prop::sample::Index>());
    (1usize..=6)
        .prop_flat_map(move |modules| {
            prop::collection::vec(prop::collection::vec(node_strategy.clone(), 0..=4), modules)
        })
        .prop_map(|modules| {
            let count = modules.len();
            let mut graphs = BTreeMap::new();
            for (i, nodes) in modules.into_iter().enumerate() {
                let name = format!("m{i}");
                let nodes = nodes
                    .into_iter()
                    .enumerate()
                    .map(|(k, ((stack, heap, wcet, effects), is_call, target))| {
                        let op = if is_call && i + 1 < count {
                            let callee = i + 1 + target.index(count - i - 1);
                            Op::Call { module: format!("m{callee}"), max_depth: None }
                        } else {
                            Op::Add
                        };
                        node(&format!("n{k}"), op, stack, heap, wcet, &effects)
                    })
                    .collect();
                graphs.insert(name.clone(), Graph { module: name, nodes, edges: vec![] });
            }
            graphs
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn bounds_agree_with_path_enumeration(graphs in dag()) {
        let bounds = analyze(&graphs, &BTreeMap::new());
        prop_assert_eq!(bounds.len(), graphs.len());
        for module in graphs.keys() {
            let b = &bounds[module];
            prop_assert_eq!(&b.stack, &oracle_stack(&graphs, module).bound(), "stack of {}", module);
            prop_assert_eq!(&b.heap, &oracle_sum(&graphs, module, |c| c.heap).bound(), "heap of {}", module);
            prop_assert_eq!(&b.wcet, &oracle_sum(&graphs, module, |c| c.wcet).bound(), "wcet of {}", module);
            prop_assert_eq!(&b.effects, &oracle_effects(&graphs, module));
            prop_assert!(b.effects_known);
            // The reported path is a real call path whose frames add up to the bound.
            if graphs[module].nodes.is_empty() {
                prop_assert!(b.stack_path.is_empty());
            } else {
                prop_assert_eq!(path_frames(&graphs, module, &b.stack_path), u128::from(b.stack.amount()));
            }
        }
    }

    #[test]
    fn the_lattice_is_monotone(a in 0u64..1000, b in 0u64..1000, exact_a: bool, exact_b: bool) {
        let x = if exact_a { Bound::Exact(a) } else { Bound::AtLeast(a) };
        let y = if exact_b { Bound::Exact(b) } else { Bound::AtLeast(b) };
        prop_assert_eq!(x.add(&y).amount(), a + b);
        prop_assert_eq!(x.max(&y).amount(), a.max(b));
        prop_assert_eq!(x.add(&y).is_exact(), exact_a && exact_b);
        prop_assert_eq!(x.max(&y), y.max(&x));
        prop_assert_eq!(x.add(&y), y.add(&x));
    }
}

// ------------------------------------------------------------- fixed cases

#[test]
fn the_design_path_and_message() {
    let g = graphs(vec![
        ("torc-math", vec![leaf("mul", 40), leaf("add", 8)]),
        ("torc-pid", vec![leaf("step", 16), call("integrate", "torc-math", 272, None), leaf("clamp_out", 24)]),
    ]);
    let bounds = analyze(&g, &BTreeMap::new());
    let pid = &bounds["torc-pid"];
    assert_eq!(pid.stack, Bound::Exact(312));
    assert_eq!(pid.stack_path, ["integrate", "torc-math::mul"]);
    assert_eq!(pid.wcet, Bound::Exact(5));
    let mut path = vec!["step".to_owned()];
    path.extend(pid.stack_path.iter().cloned());
    assert_eq!(
        check_declared("torc-pid", Resource::Stack, 256, &pid.stack, &path),
        DeclaredCheck::Exceeds(
            "torc-pid declares stack <= 256 bytes but needs 312: step -> integrate -> torc-math::mul".into()
        )
    );
    assert_eq!(check_declared("torc-pid", Resource::Stack, 312, &pid.stack, &path), DeclaredCheck::Holds);
}

#[test]
fn check_declared_with_lower_bounds_and_unbounded() {
    let path = ["a".to_owned()];
    assert!(matches!(
        check_declared("m", Resource::Heap, 100, &Bound::AtLeast(101), &path),
        DeclaredCheck::Exceeds(m) if m == "m declares heap <= 100 bytes but needs at least 101: a"
    ));
    assert!(matches!(
        check_declared("m", Resource::Wcet, 100, &Bound::AtLeast(100), &[]),
        DeclaredCheck::Unknown(m) if m.starts_with("m declares wcet <= 100 cycles; its graph needs at least 100")
    ));
    assert_eq!(
        check_declared("m", Resource::Stack, 100, &Bound::Unbounded("recursion m -> m".into()), &path),
        DeclaredCheck::Exceeds("m declares stack <= 100 bytes but its stack is unbounded: recursion m -> m".into())
    );
}

#[test]
fn display_of_bounds() {
    assert_eq!(Bound::Exact(312).to_string(), "312 bytes");
    assert_eq!(Bound::AtLeast(312).to_string(), ">= 312 bytes");
    assert_eq!(Bound::AtLeast(5).display_in("cycles").to_string(), ">= 5 cycles");
    assert_eq!(
        Bound::Unbounded("recursion torc-a -> torc-b -> torc-a".into()).to_string(),
        "unbounded: recursion torc-a -> torc-b -> torc-a"
    );
}

#[test]
fn recursion_without_depth_is_unbounded_and_names_the_cycle() {
    let g = graphs(vec![
        ("torc-a", vec![call("to_b", "torc-b", 10, None)]),
        ("torc-b", vec![call("to_a", "torc-a", 10, Some(3)), leaf("x", 1)]),
        ("torc-root", vec![call("run", "torc-a", 4, None)]),
    ]);
    let bounds = analyze(&g, &BTreeMap::new());
    let reason = Bound::Unbounded("recursion torc-a -> torc-b -> torc-a".into());
    for m in ["torc-a", "torc-b", "torc-root"] {
        assert_eq!(bounds[m].stack, reason, "{m}");
        assert_eq!(bounds[m].heap, reason, "{m}");
        assert_eq!(bounds[m].wcet, reason, "{m}");
    }
    assert_eq!(bounds["torc-root"].stack_path[0], "run");
}

#[test]
fn self_recursion_without_depth() {
    let g = graphs(vec![("torc-a", vec![leaf("x", 3), call("again", "torc-a", 10, None)])]);
    let bounds = analyze(&g, &BTreeMap::new());
    assert_eq!(bounds["torc-a"].stack, Bound::Unbounded("recursion torc-a -> torc-a".into()));
}

#[test]
fn recursion_with_depth_is_bounded_as_documented() {
    // K = 2 + 3 nested internal calls, so at most 6 activations on the stack,
    // each at most L = max(10 + callee-outside, 20) bytes; b = 1 internal
    // call per module, so N = K + 1 = 6 activations per entry.
    let g = graphs(vec![
        ("torc-a", vec![call("to_b", "torc-b", 10, Some(2)), call("lib", "torc-lib", 3, None)]),
        ("torc-b", vec![call("to_a", "torc-a", 20, Some(3)), leaf("x", 5)]),
        ("torc-lib", vec![leaf("y", 12)]),
        ("torc-root", vec![call("run", "torc-a", 4, None)]),
    ]);
    let bounds = analyze(&g, &BTreeMap::new());
    // L_stack = max(a: max(10, 3 + 12), b: max(20, 5)) = 20.
    assert_eq!(bounds["torc-a"].stack, Bound::Exact(6 * 20));
    assert_eq!(bounds["torc-b"].stack, Bound::Exact(6 * 20));
    assert_eq!(bounds["torc-root"].stack, Bound::Exact(4 + 6 * 20));
    // L_wcet = max(a: 1 + (1 + 1), b: 1 + 1) = 3 cycles.
    assert_eq!(bounds["torc-a"].wcet, Bound::Exact(6 * 3));
    assert!(bounds["torc-a"].stack_path[0].contains("recursion torc-a -> torc-b -> torc-a"));
    // The bound covers the real worst case: a -> b -> a -> b -> a -> b, then lib.
    let real = 10 + 20 + 10 + 20 + 10 + 3 + 12;
    assert!(bounds["torc-a"].stack.amount() >= real);
}

#[test]
fn branching_recursion_multiplies_activations() {
    // Two internal calls of depth 2 each: K = 4, b = 2, N = 1+2+4+8+16 = 31.
    let mut a = vec![call("l", "torc-a", 1, Some(2)), call("r", "torc-a", 1, Some(2))];
    a[0].cost.heap = Some(2);
    let g = graphs(vec![("torc-a", a)]);
    let bounds = analyze(&g, &BTreeMap::new());
    assert_eq!(bounds["torc-a"].stack, Bound::Exact(5));
    assert_eq!(bounds["torc-a"].heap, Bound::Exact(31 * 2));
    assert_eq!(bounds["torc-a"].wcet, Bound::Exact(31 * 2));
}

#[test]
fn unknown_frames_give_lower_bounds() {
    let g = graphs(vec![
        ("torc-lib", vec![node("f", Op::Add, None, Some(1), None, &["io"])]),
        ("torc-app", vec![call("c", "torc-lib", 8, None), leaf("big", 6)]),
    ]);
    let bounds = analyze(&g, &BTreeMap::new());
    assert_eq!(bounds["torc-lib"].stack, Bound::AtLeast(0));
    assert_eq!(bounds["torc-app"].stack, Bound::AtLeast(8));
    assert_eq!(bounds["torc-app"].wcet, Bound::AtLeast(2));
    assert_eq!(bounds["torc-app"].heap, Bound::Exact(1));
    assert_eq!(bounds["torc-app"].effects, BTreeSet::from(["io".to_owned()]));
    assert!(bounds["torc-lib"].notes.iter().any(|n| n == "stack frame unknown for node f"));
}

#[test]
fn overflow_is_unbounded() {
    let g =
        graphs(vec![("torc-lib", vec![leaf("f", 2)]), ("torc-app", vec![call("c", "torc-lib", u64::MAX - 1, None)])]);
    let bounds = analyze(&g, &BTreeMap::new());
    assert!(matches!(&bounds["torc-app"].stack, Bound::Unbounded(r) if r.starts_with("overflow")));
    assert_eq!(Bound::Exact(u64::MAX).scale(2), bounds["torc-app"].stack);
}

#[test]
fn modules_without_graph_use_declared_bounds_or_are_unknown() {
    let g = graphs(vec![("torc-app", vec![call("a", "torc-hal", 8, None), call("b", "torc-missing", 100, None)])]);
    let declared = ModuleBounds::declared(Some(200), Some(0), Some(50), Some(BTreeSet::from(["io".to_owned()])));
    let fallback = BTreeMap::from([("torc-hal".to_owned(), declared.clone())]);
    let bounds = analyze(&g, &fallback);
    assert_eq!(bounds["torc-hal"], declared);
    assert_eq!(bounds["torc-missing"].notes, ["no graph and no declared bound"]);
    // The missing module could need any amount: 208 is a lower bound.
    assert_eq!(bounds["torc-app"].stack, Bound::AtLeast(208));
    assert_eq!(bounds["torc-app"].stack_path, ["a"]);
    assert_eq!(bounds["torc-app"].wcet, Bound::AtLeast(52));
    assert!(!bounds["torc-app"].effects_known);
    // Without the missing module, the tree is exact.
    let g = graphs(vec![("torc-app", vec![call("a", "torc-hal", 8, None)])]);
    let bounds = analyze(&g, &fallback);
    assert_eq!(bounds["torc-app"].stack, Bound::Exact(208));
    assert_eq!(bounds["torc-app"].wcet, Bound::Exact(51));
    assert!(bounds["torc-app"].effects_known);
}

#[test]
fn a_deep_chain_neither_overflows_the_stack_nor_grows_paths_without_bound() {
    let depth = 50_000;
    let mut modules = Vec::new();
    for i in 0..depth {
        let nodes =
            if i + 1 < depth { vec![call("c", &format!("m{:05}", i + 1), 1, None)] } else { vec![leaf("end", 1)] };
        modules.push((format!("m{i:05}"), nodes));
    }
    let g: BTreeMap<String, Graph> =
        modules.into_iter().map(|(name, nodes)| (name.clone(), Graph { module: name, nodes, edges: vec![] })).collect();
    let bounds = analyze(&g, &BTreeMap::new());
    let root = &bounds["m00000"];
    assert_eq!(root.stack, Bound::Exact(depth));
    assert_eq!(root.wcet, Bound::Exact(depth));
    assert_eq!(root.stack_path.len(), MAX_PATH);
    assert_eq!(root.stack_path.len() as u64 + root.stack_path_elided, depth);
    assert_eq!(root.stack_path[1], "m00001::c");
}

// ---------------------------------------------------------------- platform

fn stm32() -> PlatformModel {
    PlatformModel {
        name: "stm32f4".into(),
        version: "1.0.0".into(),
        stack: 8192,
        heap: 0,
        effects: BTreeSet::from(["io".to_owned()]),
        word_size: 32,
        float_widths: BTreeSet::from([32]),
        clock_hz: Some(168_000_000),
        period_us: Some(1000),
    }
}

fn tree(stack: Bound, heap: Bound, wcet: Bound, effects: &[&str]) -> ModuleBounds {
    ModuleBounds {
        stack,
        stack_path: vec!["integrate".into(), "torc-math::mul".into()],
        stack_path_elided: 0,
        heap,
        wcet,
        effects: effects.iter().map(|e| (*e).to_owned()).collect(),
        effects_known: true,
        notes: vec![],
    }
}

#[test]
fn a_tree_that_fits() {
    let report = budget_report(
        &tree(Bound::Exact(312), Bound::Exact(0), Bound::Exact(16_800), &["io"]),
        &BTreeSet::from([32]),
        &stm32(),
    );
    let verdicts: Vec<Verdict> = report.lines.iter().map(|l| l.verdict).collect();
    assert_eq!(verdicts, [Verdict::Fits; 5]);
    assert_eq!(report.verdict(), Verdict::Fits);
    let stack = &report.lines[0];
    assert_eq!(
        (stack.budget.as_str(), stack.demand.as_str(), stack.limit.as_str()),
        ("stack", "312 bytes", "8192 bytes")
    );
    assert!((stack.slack_percent.unwrap() - (8192.0 - 312.0) / 8192.0 * 100.0).abs() < 1e-9);
    assert_eq!(stack.worst_path, ["integrate", "torc-math::mul"]);
    // 16 800 cycles at 168 MHz = 100 µs of a 1000 µs period: 90 % slack.
    let wcet = &report.lines[4];
    assert_eq!(wcet.demand, "16800 cycles (100.000 µs)");
    assert!((wcet.slack_percent.unwrap() - 90.0).abs() < 1e-9);
    let text = report.to_string();
    assert!(text.starts_with("budgets of stm32f4 1.0.0 (blake3 "), "{text}");
    assert!(text.contains("stack         312 bytes"), "{text}");
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["lines"][0]["verdict"], "fits");
}

#[test]
fn a_tree_that_exceeds_has_negative_slack() {
    let mut small = stm32();
    small.stack = 256;
    small.effects.clear();
    small.period_us = Some(50);
    let report = budget_report(
        &tree(Bound::Exact(312), Bound::Exact(16), Bound::Exact(16_800), &["io"]),
        &BTreeSet::from([32, 64]),
        &small,
    );
    let verdicts: Vec<Verdict> = report.lines.iter().map(|l| l.verdict).collect();
    assert_eq!(verdicts, [Verdict::Exceeds; 5]);
    assert!((report.lines[0].slack_percent.unwrap() - (256.0 - 312.0) / 256.0 * 100.0).abs() < 1e-9);
    assert_eq!(report.lines[1].slack_percent, None, "heap budget 0 exceeded: no percentage");
    assert_eq!(report.lines[2].note.as_deref(), Some("not allowed on this platform: io"));
    assert_eq!(report.lines[3].note.as_deref(), Some("not supported: Float<64>"));
    assert!((report.lines[4].slack_percent.unwrap() + 100.0).abs() < 1e-9);
    assert!(report.to_string().contains("EXCEEDS"));
}

#[test]
fn lower_bounds_and_missing_clock_are_unknown() {
    let mut no_clock = stm32();
    no_clock.clock_hz = None;
    let mut t = tree(Bound::AtLeast(300), Bound::Exact(0), Bound::Exact(10), &[]);
    t.effects_known = false;
    let report = budget_report(&t, &BTreeSet::new(), &no_clock);
    let verdicts: Vec<Verdict> = report.lines.iter().map(|l| l.verdict).collect();
    assert_eq!(verdicts, [Verdict::Unknown, Verdict::Fits, Verdict::Unknown, Verdict::Fits, Verdict::Unknown]);
    assert!(report.lines[0].slack_percent.unwrap() > 0.0);
    assert_eq!(report.verdict(), Verdict::Unknown);
    // Without a period the WCET is informational.
    let mut no_period = stm32();
    no_period.period_us = None;
    let report =
        budget_report(&tree(Bound::Exact(1), Bound::Exact(0), Bound::Exact(10), &[]), &BTreeSet::new(), &no_period);
    assert_eq!(report.lines[4].verdict, Verdict::Informational);
    assert_eq!(report.verdict(), Verdict::Fits);
    // Unbounded demand exceeds, the reason as its note.
    let report = budget_report(
        &tree(Bound::Unbounded("recursion a -> a".into()), Bound::Exact(0), Bound::Exact(1), &[]),
        &BTreeSet::new(),
        &stm32(),
    );
    assert_eq!(report.lines[0].verdict, Verdict::Exceeds);
    assert_eq!(report.lines[0].note.as_deref(), Some("recursion a -> a"));
}

#[test]
fn the_platform_hash_depends_on_values_only() {
    let a = stm32();
    let mut b = stm32();
    b.effects = ["io".to_owned()].into_iter().collect();
    b.float_widths = [32].into_iter().collect();
    assert_eq!(a.hash(), b.hash());
    assert_eq!(a.hash().len(), 64);
    let text = String::from_utf8(a.canonical_bytes()).unwrap();
    assert_eq!(
        text,
        r#"{"clock_hz":168000000,"effects":["io"],"float_widths":[32],"format":"torc-platform/1","heap":0,"name":"stm32f4","period_us":1000,"stack":8192,"version":"1.0.0","word_size":32}"#
    );
    for change in [
        |p: &mut PlatformModel| p.stack += 1,
        |p: &mut PlatformModel| p.clock_hz = None,
        |p: &mut PlatformModel| p.word_size = 16,
        |p: &mut PlatformModel| p.float_widths.extend([64]),
    ] {
        let mut c = stm32();
        change(&mut c);
        assert_ne!(a.hash(), c.hash());
    }
}
