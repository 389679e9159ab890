//! The contract front-end end to end: parser properties, and whole
//! interfaces (the example manifests, the design document's torc-pid, and
//! every class of interface error) through `Interface::check`.

use proptest::prelude::*;
use std::path::{Path, PathBuf};
use torc_contracts::check::{check_formula, MAX_EXPANDED_NODES, MAX_INTERFACE_NODES};
use torc_contracts::interface::{
    ContractError, Direction, Interface, InterfaceSpec, Origin, PortField, PortSpec, PortType,
};
use torc_contracts::parse::{parse, MAX_DEPTH};
use torc_contracts::syntax::{BinaryOp, Expr, ExprKind, Span, UnaryOp};
use torc_contracts::term::{CmpOp, FloatWidth, Scalar, Term, Value};

const F32: Scalar = Scalar::Float(FloatWidth::F32);

// ---------------------------------------------------------------------------
// Manifests

/// `[module.types]`, `[module.predicates]` and `[module.interfaces]` of a
/// torc.toml, as the manifest writes them.
fn spec_from_toml(text: &str) -> InterfaceSpec {
    let doc: toml_edit::DocumentMut = text.parse().expect("valid TOML");
    let module = doc["module"].as_table_like().expect("[module]");
    let mut spec = InterfaceSpec::default();
    if let Some(types) = module.get("types").and_then(|t| t.as_table_like()) {
        for (name, fields) in types.iter() {
            let fields = fields.as_table_like().expect("a record type is a table");
            let fields = fields.iter().map(|(f, ty)| (f.to_owned(), ty.as_str().expect("type string").to_owned()));
            spec.types.push((name.to_owned(), fields.collect()));
        }
    }
    if let Some(predicates) = module.get("predicates").and_then(|t| t.as_table_like()) {
        for (name, body) in predicates.iter() {
            spec.predicates.push((name.to_owned(), body.as_str().expect("predicate body").to_owned()));
        }
    }
    let interfaces = module.get("interfaces").and_then(|t| t.as_table_like()).expect("[module.interfaces]");
    for (key, out) in [("inputs", &mut spec.inputs), ("outputs", &mut spec.outputs)] {
        let Some(ports) = interfaces.get(key) else { continue };
        let tables: Vec<&dyn toml_edit::TableLike> = match ports.as_array() {
            Some(array) => array.iter().map(|v| v.as_inline_table().expect("port table") as _).collect(),
            None => ports.as_array_of_tables().expect("port array").iter().map(|t| t as _).collect(),
        };
        for port in tables {
            let get = |k: &str| port.get(k).and_then(|v| v.as_str()).map(str::to_owned);
            out.push(PortSpec {
                name: get("name").expect("port name"),
                ty: get("type").expect("port type"),
                contract: get("contract").unwrap_or_else(|| "true".to_owned()),
                default: get("default"),
            });
        }
    }
    spec
}

fn manifests(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable example directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            manifests(&path, out);
        } else if path.file_name().is_some_and(|n| n == "torc.toml") {
            out.push(path);
        }
    }
}

fn show(errors: &[ContractError]) -> String {
    errors.iter().map(|e| format!("\n  {e}")).collect()
}

#[test]
fn every_example_manifest_checks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/motor-controller");
    let mut paths = Vec::new();
    manifests(&root, &mut paths);
    // Platform models have no interfaces.
    paths.retain(|p| !p.components().any(|c| c.as_os_str() == "platforms"));
    paths.sort();
    assert_eq!(paths.len(), 14, "{paths:?}");
    for path in paths {
        let spec = spec_from_toml(&std::fs::read_to_string(&path).expect("readable manifest"));
        let interface = Interface::check(&spec).unwrap_or_else(|e| panic!("{}:{}", path.display(), show(&e)));
        assert_eq!(interface.ports.len(), spec.inputs.len() + spec.outputs.len(), "{}", path.display());
        // Every variable a contract mentions is a port's variable.
        let vars: Vec<(String, Scalar)> = interface.ports.iter().flat_map(|p| p.vars()).collect();
        for port in &interface.ports {
            for v in port.contract.vars() {
                assert!(vars.contains(&v), "{}: {} mentions {v:?}", path.display(), port.name);
            }
        }
    }
}

#[test]
fn motor_controller_terms() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/motor-controller");
    let text = std::fs::read_to_string(root.join("motor-controller/torc.toml")).unwrap();
    let interface = Interface::check(&spec_from_toml(&text)).unwrap();
    let port = |name: &str| interface.port(name).unwrap();
    assert_eq!(port("dt").default, Some(Value::F32(0.001)));
    assert_eq!(port("status_id").default, Some(Value::Int { value: 385, signed: false, bits: 11 }));
    let u11 = |v| Box::new(Term::Int { value: v, signed: false, bits: 11 });
    let status_id = Box::new(Term::Var { name: "status_id".into(), ty: Scalar::Int { signed: false, bits: 11 } });
    assert_eq!(
        port("status_id").contract,
        Term::And(vec![Term::Cmp(CmpOp::Le, u11(0), status_id.clone()), Term::Cmp(CmpOp::Le, status_id, u11(2031))])
    );
    assert_eq!(
        port("gains").ty,
        PortType::Record {
            name: "SpeedGains".into(),
            fields: ["kp", "ki", "kd", "integral_limit"].map(|f| (f.to_owned(), F32)).to_vec()
        }
    );
    // The predicate is expanded with `value` = gains; its 8 conjuncts
    // are spliced into the contract's conjunction.
    let Term::And(conjuncts) = &port("gains").contract else { panic!("{:?}", port("gains").contract) };
    assert_eq!(conjuncts.len(), 8);
    assert_eq!(conjuncts[0], Term::Finite(Box::new(Term::Var { name: "gains.kp".into(), ty: F32 })));
}

fn port(name: &str, ty: &str, contract: &str) -> PortSpec {
    PortSpec { name: name.into(), ty: ty.into(), contract: contract.into(), default: None }
}

fn pid_types() -> Vec<(String, Vec<(String, String)>)> {
    let record = |name: &str, fields: &[&str]| {
        (name.to_owned(), fields.iter().map(|f| ((*f).to_owned(), "Float<32>".to_owned())).collect())
    };
    vec![
        record("PIDConfig", &["kp", "ki", "kd", "out_min", "out_max", "integral_limit"]),
        record("PIDState", &["integral", "prev_measurement", "prev_output"]),
    ]
}

fn pid_predicates() -> Vec<(String, String)> {
    vec![
        (
            "valid_gains".into(),
            "finite(value.kp) && finite(value.ki) && finite(value.kd) && value.kp >= 0.0 && value.ki >= 0.0 && value.kd >= 0.0 && finite(value.out_min) && finite(value.out_max) && value.out_min < value.out_max && finite(value.integral_limit) && value.integral_limit >= 0.0".into(),
        ),
        ("bounded_integrator".into(), "finite(value.integral) && abs(value.integral) <= config.integral_limit".into()),
    ]
}

/// The design document's torc-pid manifest, with the types and predicates
/// it names declared as in the examples. Its setpoint contract names `min`
/// and `max`, which the design does not declare: here they are inputs.
fn design_pid() -> InterfaceSpec {
    InterfaceSpec {
        types: pid_types(),
        predicates: pid_predicates(),
        inputs: vec![
            port("setpoint", "Float<32>", "finite && in_range(min, max)"),
            port("measurement", "Float<32>", "finite"),
            port("dt", "Float<32>", "value > 0.0 && value <= 1.0"),
            port("config", "PIDConfig", "valid_gains"),
            port("min", "Float<32>", "finite"),
            port("max", "Float<32>", "finite && min <= max"),
        ],
        outputs: vec![
            port("output", "Float<32>", "in_range(config.out_min, config.out_max)"),
            port("state", "PIDState", "bounded_integrator"),
        ],
    }
}

#[test]
fn design_pid_manifest_checks() {
    let interface = Interface::check(&design_pid()).unwrap_or_else(|e| panic!("{}", show(&e)));
    let var = |name: &str| Box::new(Term::Var { name: name.into(), ty: F32 });
    assert_eq!(
        interface.port("setpoint").unwrap().contract,
        Term::And(vec![
            Term::Finite(var("setpoint")),
            Term::Cmp(CmpOp::Le, var("min"), var("setpoint")),
            Term::Cmp(CmpOp::Le, var("setpoint"), var("max")),
        ])
    );
    assert_eq!(
        interface.port("dt").unwrap().contract,
        Term::And(vec![
            Term::Cmp(CmpOp::Gt, var("dt"), Box::new(Value::F32(0.0).to_term())),
            Term::Cmp(CmpOp::Le, var("dt"), Box::new(Value::F32(1.0).to_term())),
        ])
    );
    assert_eq!(
        interface.port("state").unwrap().contract,
        Term::And(vec![
            Term::Finite(var("state.integral")),
            Term::Cmp(CmpOp::Le, Box::new(Term::Abs(var("state.integral"))), var("config.integral_limit")),
        ])
    );
    assert_eq!(interface.port("config").unwrap().vars().len(), 6);
    assert_eq!(interface.inputs().count(), 6);
    assert_eq!(interface.outputs().count(), 2);

    // As written, without `min` and `max` ports: the error says why.
    let mut spec = design_pid();
    spec.inputs.truncate(4);
    let errors = Interface::check(&spec).unwrap_err();
    assert_eq!(errors.len(), 2, "{}", show(&errors));
    assert_eq!(errors[0].span, Span::new(19, 22));
    assert_eq!(errors[0].message, "`min` is a function: write min(a, b)");
    assert_eq!(errors[1].message, "`max` is a function: write max(a, b)");
}

// ---------------------------------------------------------------------------
// Interface errors

fn errors(spec: &InterfaceSpec) -> Vec<(Origin, Span, String)> {
    Interface::check(spec).expect_err("errors").into_iter().map(|e| (e.origin, e.span, e.message)).collect()
}

fn in_port(name: &str, direction: Direction, field: PortField) -> Origin {
    Origin::Port { port: name.into(), direction, field }
}

#[test]
fn all_errors_in_manifest_order() {
    let spec = InterfaceSpec {
        types: vec![("Bool".into(), vec![("x".into(), "Bool".into())])],
        predicates: vec![("p".into(), "undefined_name".into())],
        inputs: vec![port("a", "Float<16>", "true"), port("b", "Float<32>", "value > ")],
        outputs: vec![port("c", "Float<32>", "value == q")],
    };
    let got = errors(&spec);
    let origins: Vec<&Origin> = got.iter().map(|(o, ..)| o).collect();
    assert_eq!(
        origins,
        [
            &Origin::RecordType { name: "Bool".into(), field: None },
            &Origin::Predicate { name: "p".into() },
            &in_port("a", Direction::Input, PortField::Type),
            &in_port("b", Direction::Input, PortField::Contract),
            &in_port("c", Direction::Output, PortField::Contract),
        ]
    );
    assert_eq!(got[0].2, "record type `Bool` would shadow the built-in type `Bool`: rename it");
    assert_eq!(
        got[1].2,
        "unknown name `undefined_name`. The ports are a, b, c; `value` is the port whose contract uses the predicate; the predicates are p"
    );
    assert_eq!(
        (got[2].1, got[2].2.as_str()),
        (Span::new(6, 8), "Float<16> is not supported: the float types are Float<32> and Float<64>")
    );
    assert_eq!(got[3].1, Span::new(8, 8));
    assert_eq!(
        (got[4].1, got[4].2.as_str()),
        (
            Span::new(9, 10),
            "unknown name `q`. The ports are a, b, c; `value` is this port, output `c`; the predicates are p"
        )
    );
}

#[test]
fn port_name_errors() {
    let spec = InterfaceSpec {
        predicates: vec![("ok".into(), "true".into())],
        inputs: vec![port("x", "Bool", "true"), port("value", "Bool", "true"), port("ok", "Bool", "true")],
        outputs: vec![port("x", "Bool", "true"), port("finite", "Float<32>", "true"), port("a-b", "Bool", "true")],
        ..Default::default()
    };
    let got: Vec<String> = errors(&spec).into_iter().map(|(_, _, m)| m).collect();
    assert_eq!(
        got,
        [
            "a port cannot be named `value`: in a contract, `value` is the port itself",
            "port `ok` has the name of a predicate: rename one of them",
            "duplicate port name `x`: there is already an input `x`",
            "a port cannot be named `finite`: that name is part of the contract language",
            "port name `a-b` is not an identifier (letters, digits and `_`)",
        ]
    );
}

#[test]
fn record_type_errors() {
    let spec = InterfaceSpec {
        types: vec![
            ("Inner".into(), vec![("a".into(), "Float<32>".into())]),
            (
                "Outer".into(),
                vec![
                    ("inner".into(), "Inner".into()),
                    ("a".into(), "f32".into()),
                    ("a".into(), "Int<8>".into()),
                    ("b".into(), "UInt<0>".into()),
                    ("true".into(), "Bool".into()),
                ],
            ),
            ("Empty".into(), vec![]),
        ],
        inputs: vec![
            port("o", "Outer", "value.a == 0"),
            port("i", "Innr", "true"),
            port("j", "Inner", "finite(value.a)"),
        ],
        ..Default::default()
    };
    let got = errors(&spec);
    let field = |f: &str| Origin::RecordType { name: "Outer".into(), field: Some(f.into()) };
    assert_eq!(
        got,
        [
            (field("inner"), Span::new(0, 5), "field `inner` has the record type `Inner`, but records do not nest: a field's type is one of Bool, Int<N>, UInt<N> (1 <= N <= 128), Float<32>, Float<64>".into()),
            (field("a"), Span::new(0, 3), "unknown type `f32`: did you mean `Float<32>`? a field's type is one of Bool, Int<N>, UInt<N> (1 <= N <= 128), Float<32>, Float<64>".into()),
            (field("a"), Span::new(0, 6), "duplicate field `a` in record type `Outer`".into()),
            (field("b"), Span::new(5, 6), "UInt<0> is not a type: the width must be between 1 and 128".into()),
            (field("true"), Span::new(0, 4), "a field cannot be named `true`: `value.true` would not parse".into()),
            (Origin::RecordType { name: "Empty".into(), field: None }, Span::new(0, 5), "record type `Empty` has no fields".into()),
            // `o`'s type has errors: its contract is not checked further.
            (in_port("i", Direction::Input, PortField::Type), Span::new(0, 4), "unknown type `Innr`: did you mean `Inner`? The types are Bool, Int<N>, UInt<N> (1 <= N <= 128), Float<32>, Float<64> and the record types Inner, Outer, Empty".into()),
        ]
    );
}

#[test]
fn predicate_errors_are_reported_once() {
    let spec = InterfaceSpec {
        predicates: vec![("bad".into(), "value > 0.0 && finite(flag)".into())],
        inputs: vec![port("x", "Float<32>", "bad"), port("flag", "Bool", "true")],
        outputs: vec![port("y", "Float<32>", "bad && value < 1.0")],
        ..Default::default()
    };
    assert_eq!(
        errors(&spec),
        [(
            Origin::Predicate { name: "bad".into() },
            Span::new(22, 26),
            "`finite` needs a Float argument, but `flag` is Bool".into()
        )]
    );
}

#[test]
fn predicate_that_does_not_fit_a_port_is_reported_at_the_use() {
    let spec = InterfaceSpec {
        types: pid_types(),
        predicates: pid_predicates(),
        inputs: vec![port("config", "PIDConfig", "valid_gains"), port("dt", "Float<32>", "value > 0.0 && valid_gains")],
        outputs: vec![port("state", "PIDState", "valid_gains")],
    };
    let got = errors(&spec);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].0, in_port("dt", Direction::Input, PortField::Contract));
    assert_eq!(got[0].1, Span::new(15, 26));
    assert_eq!(
        got[0].2,
        "predicate `valid_gains` does not apply to input `dt` (Float<32>): in its body, `value.kp` (bytes 7..15): `value` (input `dt`) is a Float<32>, which has no fields (and 11 more errors)"
    );
    assert_eq!(got[1].0, in_port("state", Direction::Output, PortField::Contract));
    assert!(
        got[1].2.starts_with("predicate `valid_gains` does not apply to output `state` (PIDState): in its body, `value.kp` (bytes 7..15): `value` (output `state`) has no field `kp`. The fields of PIDState are integral, prev_measurement, prev_output"),
        "{}",
        got[1].2
    );
}

#[test]
fn predicates_nest_and_recursion_is_an_error() {
    let nested = InterfaceSpec {
        predicates: vec![("positive".into(), "value > 0".into()), ("small".into(), "positive && value < 10".into())],
        inputs: vec![port("n", "UInt<8>", "small")],
        ..Default::default()
    };
    let interface = Interface::check(&nested).unwrap();
    let n = || Box::new(Term::Var { name: "n".into(), ty: Scalar::Int { signed: false, bits: 8 } });
    let u8_ = |v| Box::new(Term::Int { value: v, signed: false, bits: 8 });
    assert_eq!(
        interface.port("n").unwrap().contract,
        Term::And(vec![Term::Cmp(CmpOp::Gt, n(), u8_(0)), Term::Cmp(CmpOp::Lt, n(), u8_(10))])
    );

    let direct = InterfaceSpec {
        predicates: vec![("p".into(), "value > 0.0 && p".into())],
        inputs: vec![port("x", "Float<32>", "p")],
        ..Default::default()
    };
    assert_eq!(
        errors(&direct),
        [(
            Origin::Predicate { name: "p".into() },
            Span::new(15, 16),
            "predicate `p` uses itself: predicates cannot be recursive".into()
        )]
    );

    let mutual = InterfaceSpec {
        predicates: vec![
            ("a".into(), "b".into()),
            ("b".into(), "finite && c".into()),
            ("c".into(), "a || value > 1.0".into()),
            ("d".into(), "b".into()),
        ],
        inputs: vec![port("x", "Float<32>", "a && d")],
        ..Default::default()
    };
    assert_eq!(
        errors(&mutual),
        [(
            Origin::Predicate { name: "c".into() },
            Span::new(0, 1),
            "recursive predicates: a -> b -> c -> a (a predicate cannot use itself, directly or through others)".into()
        )]
    );
}

#[test]
fn expanded_predicates_are_depth_limited() {
    // p_k is 30 negations of p_(k-1): each level adds 31 to the depth of
    // the expanded term, so p_9 is the first beyond the limit.
    let mut predicates = vec![("p0".to_owned(), "value > 0.0".to_owned())];
    for k in 1..12 {
        predicates.push((format!("p{k}"), format!("{}p{}", "!".repeat(30), k - 1)));
    }
    let spec = InterfaceSpec {
        predicates,
        inputs: vec![port("x", "Float<32>", "p11"), port("y", "Float<32>", "p8")],
        ..Default::default()
    };
    let got = errors(&spec);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!((&got[0].0, got[0].1), (&Origin::Predicate { name: "p9".into() }, Span::new(30, 32)));
    assert!(got[0]
        .2
        .starts_with("predicate `p8` fails here: in its body, `p7` (bytes 30..32): predicate `p7` fails here"));
    assert!(got[0].2.contains("contract nested too deeply with its predicates expanded: at most 256 levels"));
}

/// `p0 = "p1 && p1"`, ..., `p{levels-1} = "p{levels} && p{levels}"`,
/// `p{levels} = "finite(value)"`: p0 expands to 2^levels copies of the last.
fn doubling_predicates(levels: usize) -> Vec<(String, String)> {
    let mut predicates: Vec<(String, String)> =
        (0..levels).map(|k| (format!("p{k}"), format!("p{} && p{}", k + 1, k + 1))).collect();
    predicates.push((format!("p{levels}"), "finite(value)".to_owned()));
    predicates
}

#[test]
fn doubling_predicates_expand_while_small() {
    let spec = InterfaceSpec {
        predicates: doubling_predicates(10),
        inputs: vec![port("x", "Float<32>", "p0")],
        ..Default::default()
    };
    let interface = Interface::check(&spec).unwrap();
    let Term::And(conjuncts) = &interface.ports[0].contract else { panic!("{:?}", interface.ports[0].contract) };
    assert_eq!(conjuncts.len(), 1 << 10);
    assert!(conjuncts.iter().all(|t| matches!(t, Term::Finite(_))));
}

#[test]
fn exponential_predicates_are_refused_before_they_are_expanded() {
    // What a dependency's manifest did to `torc tree` (18 s, 4.8 GB): p0
    // stands for 2^22 copies of `finite(value)`. p_k is 3 * 2^(22-k) - 1
    // nodes, so p3 is the first beyond MAX_EXPANDED_NODES; the ones that
    // use it fail with it, without an error of their own.
    let predicates = doubling_predicates(22);
    let spec = InterfaceSpec {
        predicates,
        inputs: vec![port("x", "Float<32>", "p0 && p0")],
        outputs: vec![port("y", "Float<32>", "p5")],
        ..Default::default()
    };
    let got = errors(&spec);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!((&got[0].0, got[0].1), (&Origin::Predicate { name: "p3".into() }, Span::new(0, 2)));
    assert_eq!(
        got[0].2,
        format!(
            "too large with its predicates expanded: 1572863 expression nodes, more than the limit of {MAX_EXPANDED_NODES}: it uses `p4` (786431 nodes expanded) 2 times; every use of a predicate copies its body"
        )
    );
}

#[test]
fn a_contract_that_expands_too_far_is_refused_at_the_port() {
    // p4 (786431 nodes) fits; a contract using it twice does not.
    let spec = InterfaceSpec {
        predicates: doubling_predicates(22),
        inputs: vec![port("x", "Float<32>", "p4 && x > 0.0 && p4")],
        ..Default::default()
    };
    let got = errors(&spec);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].0, Origin::Predicate { name: "p3".into() });
    assert_eq!((&got[1].0, got[1].1), (&in_port("x", Direction::Input, PortField::Contract), Span::new(0, 2)));
    assert!(
        got[1].2.starts_with(
            "too large with its predicates expanded: 1572866 expression nodes, more than the limit of"
        ),
        "{}",
        got[1].2
    );
}

#[test]
fn many_predicates_just_under_the_limit_are_refused_together() {
    // Each q_i is p4 (786431 nodes), under MAX_EXPANDED_NODES; checking
    // all of them would cost their sum.
    let mut predicates = doubling_predicates(22);
    predicates.extend((0..8).map(|i| (format!("q{i}"), "p4".to_owned())));
    let spec = InterfaceSpec { predicates, ..Default::default() };
    let got = errors(&spec);
    // p22..p4 cost 1572842 nodes together, each q one p4 (786431) more:
    // q0, q1 and q2 fit in MAX_INTERFACE_NODES, q3 does not.
    let refused: Vec<&Origin> = got.iter().skip(1).map(|(origin, _, _)| origin).collect();
    assert_eq!(refused.first(), Some(&&Origin::Predicate { name: "q3".into() }), "{got:?}");
    assert_eq!(refused.len(), 5, "{got:?}");
    assert!(
        got[1].2.contains(&format!(
            "the contracts and predicates of this interface together exceed the limit of {MAX_INTERFACE_NODES} nodes"
        )),
        "{}",
        got[1].2
    );
    const { assert!(MAX_INTERFACE_NODES / MAX_EXPANDED_NODES >= 2) };
}

#[test]
fn predicate_and_port_misuse() {
    let spec = InterfaceSpec {
        types: pid_types(),
        predicates: vec![("p".into(), "true".into())],
        inputs: vec![
            port("config", "PIDConfig", "config > 0.0"),
            port("x", "Float<32>", "p(x) && value == config.kq && in_range(0.0, 1)"),
            port("y", "Float<32>", "value"),
            port("z", "PIDConfig", "in_range(0.0, 1.0) || finite"),
            port("f", "Bool", "in_range(false, true) || finite"),
        ],
        ..Default::default()
    };
    let got: Vec<(Span, String)> = errors(&spec).into_iter().map(|(_, s, m)| (s, m)).collect();
    assert_eq!(
        got,
        [
            (Span::new(0, 6), "`config` is a record (PIDConfig) and can only be used through its fields: config.kp, config.ki, config.kd, config.out_min, config.out_max, config.integral_limit".into()),
            (Span::new(0, 1), "`p` is a predicate, not a function: write it without arguments (inside it, `value` is the port whose contract uses it)".into()),
            (Span::new(17, 26), "`config` has no field `kq`: did you mean `kp`? The fields of PIDConfig are kp, ki, kd, out_min, out_max, integral_limit".into()),
            (Span::new(0, 5), "a contract must be a Bool condition, but this is a Float<32>".into()),
            (Span::new(0, 8), "`value` (input `z`) is a record (PIDConfig) and can only be used through its fields: value.kp, value.ki, value.kd, value.out_min, value.out_max, value.integral_limit".into()),
            (Span::new(22, 28), "`value` (input `z`) is a record (PIDConfig) and can only be used through its fields: value.kp, value.ki, value.kd, value.out_min, value.out_max, value.integral_limit".into()),
            (Span::new(0, 8), "`in_range` needs numbers, but `value` is Bool".into()),
            (Span::new(25, 31), "`finite` here means finite(value), which needs a Float, but `value` is Bool".into()),
        ]
    );
}

#[test]
fn default_errors() {
    let with_default = |mut p: PortSpec, d: &str| {
        p.default = Some(d.into());
        p
    };
    let spec = InterfaceSpec {
        types: pid_types(),
        inputs: vec![
            with_default(port("a", "UInt<11>", "true"), "2048"),
            with_default(port("b", "PIDConfig", "true"), "0"),
            with_default(port("c", "Float<32>", "true"), "-inf"),
            with_default(port("d", "Bool", "true"), "yes"),
        ],
        outputs: vec![with_default(port("e", "Float<32>", "true"), "1.0")],
        ..Default::default()
    };
    let got = errors(&spec);
    assert_eq!(
        got,
        [
            (
                in_port("a", Direction::Input, PortField::Default),
                Span::new(0, 4),
                "2048 is out of range for UInt<11> (0 to 2047)".into()
            ),
            (
                in_port("b", Direction::Input, PortField::Default),
                Span::new(0, 1),
                "a record port (`PIDConfig`) cannot have a default: defaults are scalar literals".into()
            ),
            (
                in_port("d", Direction::Input, PortField::Default),
                Span::new(0, 3),
                "a default is a literal of the port's type Bool, such as `true` or `false`".into()
            ),
            (in_port("e", Direction::Output, PortField::Default), Span::new(0, 0), "only inputs have defaults".into()),
        ]
    );
}

#[test]
fn check_formula_for_other_crates() {
    let vars = [("x".to_owned(), F32), ("config.out_min".to_owned(), F32)];
    let term = check_formula("x >= config.out_min && x < 1e10", &vars).unwrap();
    assert_eq!(term.vars(), vars.to_vec());
    let e = check_formula("x >= confg.out_min", &vars).unwrap_err();
    assert_eq!(
        (e.span, e.message.as_str()),
        (Span::new(5, 10), "unknown name `confg`: did you mean `config`? The variables are x, config")
    );
    let e = check_formula("x >= y", &vars).unwrap_err();
    assert_eq!(e.message, "unknown name `y`. The variables are x, config");
}

// ---------------------------------------------------------------------------
// Parser properties

/// The expression with every span zeroed.
fn strip(e: &Expr) -> Expr {
    let b = |e: &Expr| Box::new(strip(e));
    let kind = match &e.kind {
        ExprKind::Field(base, f) => ExprKind::Field(b(base), f.clone()),
        ExprKind::Unary(op, a) => ExprKind::Unary(*op, b(a)),
        ExprKind::Binary(op, l, r) => ExprKind::Binary(*op, b(l), b(r)),
        ExprKind::Chain(op, operands) => ExprKind::Chain(*op, operands.iter().map(strip).collect()),
        ExprKind::Call(name, _, args) => {
            ExprKind::Call(name.clone(), Span::default(), args.iter().map(strip).collect())
        }
        other => other.clone(),
    };
    Expr { kind, span: Span::default() }
}

/// Fully parenthesised source for an expression.
fn print(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Int(s) | ExprKind::Float(s) | ExprKind::Name(s) => s.clone(),
        ExprKind::Field(base, f) => format!("({}).{f}", print(base)),
        ExprKind::Unary(UnaryOp::Not, a) => format!("(!{})", print(a)),
        ExprKind::Unary(UnaryOp::Neg, a) => format!("(-{})", print(a)),
        ExprKind::Binary(op, l, r) => format!("({} {op} {})", print(l), print(r)),
        ExprKind::Chain(op, operands) => {
            format!("({})", operands.iter().map(print).collect::<Vec<_>>().join(&format!(" {op} ")))
        }
        ExprKind::Call(name, _, args) => format!("{name}({})", args.iter().map(print).collect::<Vec<_>>().join(", ")),
    }
}

fn expr_strategy() -> impl Strategy<Value = Expr> {
    let e = |kind| Expr { kind, span: Span::default() };
    let name = prop_oneof![Just("value"), Just("x"), Just("config"), Just("in_range"), Just("_a1"), Just("trueish")];
    let leaf = prop_oneof![
        any::<bool>().prop_map(move |b| e(ExprKind::Bool(b))),
        "[0-9]{1,25}".prop_map(move |s| e(ExprKind::Int(s))),
        "[0-9]{1,5}(\\.[0-9]{1,5})?([eE][+-]?[0-9]{1,3})?"
            .prop_filter("a float has a point or an exponent", |s| s.contains(['.', 'e', 'E']))
            .prop_map(move |s| e(ExprKind::Float(s))),
        name.prop_map(move |n| e(ExprKind::Name(n.to_owned()))),
    ];
    let ops = [
        BinaryOp::Implies,
        BinaryOp::Eq,
        BinaryOp::Ne,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Gt,
        BinaryOp::Ge,
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
    ];
    leaf.prop_recursive(6, 64, 3, move |inner| {
        prop_oneof![
            (inner.clone(), "[a-z_][a-z0-9_]{0,5}")
                .prop_filter("fields are not keywords", |(_, f)| f != "true" && f != "false")
                .prop_map(move |(a, f)| e(ExprKind::Field(Box::new(a), f))),
            (prop_oneof![Just(UnaryOp::Not), Just(UnaryOp::Neg)], inner.clone())
                .prop_map(move |(op, a)| e(ExprKind::Unary(op, Box::new(a)))),
            (proptest::sample::select(ops.to_vec()), inner.clone(), inner.clone())
                .prop_map(move |(op, l, r)| e(ExprKind::Binary(op, Box::new(l), Box::new(r)))),
            (prop_oneof![Just(BinaryOp::And), Just(BinaryOp::Or)], proptest::collection::vec(inner.clone(), 2..5))
                .prop_map(move |(op, operands)| e(ExprKind::Chain(op, operands))),
            ("[a-z_]{1,8}", proptest::collection::vec(inner, 0..4))
                .prop_filter("callees are not keywords", |(n, _)| n != "true" && n != "false")
                .prop_map(move |(n, args)| e(ExprKind::Call(n, Span::default(), args))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_never_panics(text in "\\PC{0,60}") {
        let _ = parse(&text);
    }

    #[test]
    fn parse_never_panics_on_contract_like_text(
        pieces in proptest::collection::vec(
            prop_oneof![
                Just("value"), Just("x"), Just("."), Just("kp"), Just("("), Just(")"), Just(","), Just("!"),
                Just("-"), Just("+"), Just("*"), Just("/"), Just("&&"), Just("||"), Just("=>"), Just("=="),
                Just("!="), Just("<"), Just("<="), Just(">"), Just(">="), Just("&"), Just("|"), Just("="),
                Just("1"), Just("0.5"), Just("1e"), Just(".5"), Just("1."), Just("true"), Just("in_range"),
                Just(" "), Just("é"), Just("#"),
            ],
            0..30,
        )
    ) {
        let text: String = pieces.concat();
        if let Err(e) = parse(&text) {
            prop_assert!(e.span.start <= e.span.end && e.span.end <= text.len());
            prop_assert!(text.is_char_boundary(e.span.start) && text.is_char_boundary(e.span.end));
            prop_assert!(!e.message.is_empty());
        }
    }

    #[test]
    fn printed_expressions_parse_back(expr in expr_strategy()) {
        let text = print(&expr);
        let parsed = parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(strip(&parsed), expr, "{}", text);
        // Spans cover the source of each node.
        prop_assert_eq!(parsed.span, Span::new(0, text.len()));
    }
}

#[test]
fn deepest_contracts_check_on_a_test_thread() {
    // The parser's limit is also what keeps the checker's recursion safe.
    let n = MAX_DEPTH - 1;
    let vars = [("x".to_owned(), F32)];
    let parens = format!("{}x{} > 0.0", "(".repeat(n), ")".repeat(n));
    assert!(check_formula(&parens, &vars).is_ok());
    let chain = format!("x > 0.0{}", " && x > 0.0".repeat(n - 2));
    let Term::And(conjuncts) = check_formula(&chain, &vars).unwrap() else { panic!() };
    assert_eq!(conjuncts.len(), n - 1);
    let sum = format!("x{} > 0.0", " + x".repeat(n - 2));
    assert!(check_formula(&sum, &vars).is_ok());
    let neg = format!("{}x > 0.0", "-".repeat(n - 1));
    assert!(check_formula(&neg, &vars).is_ok());
    let nested_or = format!("{}x > 0.0{}", "x > 1.0 || (".repeat(n - 1), ")".repeat(n - 1));
    assert!(check_formula(&nested_or, &vars).is_ok());
    let calls = format!("{}x{} > 0.0", "abs(".repeat(n - 1), ")".repeat(n - 1));
    assert!(check_formula(&calls, &vars).is_ok());
    let too_deep = format!("{}x{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
    assert!(check_formula(&too_deep, &vars).unwrap_err().message.starts_with("expression nested too deeply"));
}

#[test]
fn clamp_is_min_of_max_and_keeps_values_in_range() {
    use torc_contracts::prove::{prove, Options, Outcome};
    let vars: Vec<(String, Scalar)> = ["x", "lo", "hi"].iter().map(|n| (n.to_string(), F32)).collect();
    let var = |n: &str| Box::new(Term::Var { name: n.to_owned(), ty: F32 });
    let Term::Cmp(CmpOp::Ge, clamped, _) = check_formula("clamp(x, lo, hi) >= 0.0", &vars).unwrap() else { panic!() };
    assert_eq!(*clamped, Term::Min(Box::new(Term::Max(var("x"), var("lo"))), var("hi")));
    // Untyped literals take the type of the typed arguments.
    assert!(check_formula("clamp(x, -1, 1.5) <= 1.5", &vars).is_ok());
    // A NaN x clamps to lo, so only lo <= hi is needed.
    let requires = check_formula("lo <= hi", &vars).unwrap();
    let ensures = check_formula("in_range(clamp(x, lo, hi), lo, hi)", &vars).unwrap();
    assert_eq!(prove(&[requires], &ensures, &Options::default()), Outcome::Valid);
    let nan = check_formula("is_nan(x) && lo <= hi", &vars).unwrap();
    let to_lo = check_formula("clamp(x, lo, hi) == lo", &vars).unwrap();
    assert_eq!(prove(&[nan], &to_lo, &Options::default()), Outcome::Valid);
    let arity = check_formula("clamp(x, lo) > 0.0", &vars).unwrap_err();
    assert_eq!(arity.message, "`clamp` takes 3 arguments: clamp(x, lo, hi), but 2 arguments were given");
    let bare = check_formula("clamp > 0.0", &vars).unwrap_err();
    assert_eq!(bare.message, "`clamp` is a function: write clamp(x, lo, hi)");
}

#[test]
fn a_flat_conjunction_of_100_000_terms_goes_through_every_stage() {
    // A long `&&` is not nesting: no stage may refuse it as too deep or
    // recurse along it (this runs on a test thread's small stack).
    use torc_contracts::compat::{compare_port, Verdict};
    use torc_contracts::eval::eval;
    use torc_contracts::prove::{prove, satisfiable, Options, Outcome, Satisfiable};
    const N: usize = 100_000;
    // 100 distinct conjuncts, so that Z3's time stays small.
    let contract: String = (0..N).map(|i| format!("x >= {}", i % 100)).collect::<Vec<_>>().join(" && ");
    let expr = parse(&contract).unwrap();
    let ExprKind::Chain(BinaryOp::And, operands) = &expr.kind else { panic!("not one chain") };
    assert_eq!(operands.len(), N);
    let spec = InterfaceSpec { inputs: vec![port("x", "UInt<32>", &contract)], ..Default::default() };
    let interface = Interface::check(&spec).unwrap();
    let term = &interface.ports[0].contract;
    let Term::And(conjuncts) = term else { panic!() };
    assert_eq!(conjuncts.len(), N);

    let at = |x: u128| move |_: &str| Some(Value::Int { value: x, signed: false, bits: 32 });
    assert_eq!(eval(term, &at(99)).unwrap(), Value::Bool(true));
    assert_eq!(eval(term, &at(98)).unwrap(), Value::Bool(false));

    let options = Options::default();
    let last = check_formula("x >= 99", &[("x".to_owned(), Scalar::Int { signed: false, bits: 32 })]);
    assert_eq!(prove(std::slice::from_ref(term), &last.unwrap(), &options), Outcome::Valid);
    let sat = satisfiable(std::slice::from_ref(term), &options);
    assert!(matches!(sat, Satisfiable::Yes(_)), "{sat:?}");
    assert_eq!(compare_port(&interface, &interface, "x", &options), Verdict::Equivalent);

    let json = serde_json::to_string(term).unwrap();
    assert_eq!(&serde_json::from_str::<Term>(&json).unwrap(), term);
}

#[test]
fn errors_list_a_bounded_number_of_names() {
    // Each unknown name's error lists the ports: with thousands of ports
    // and an error in each, full lists made the errors the square of the
    // interface's size (5,000 ports: 370 MB). A suggestion scans every
    // name, so only the first errors get one.
    let inputs: Vec<PortSpec> = (0..2_000).map(|i| port(&format!("x{i}"), "Float<32>", "x1a > 0.0")).collect();
    let spec = InterfaceSpec { inputs, ..Default::default() };
    let got = errors(&spec);
    assert_eq!(got.len(), 2_000);
    let first = &got[0].2;
    assert!(first.starts_with("unknown name `x1a`: did you mean `x1`? The ports are x0, x1, x2,"), "{first}");
    assert!(first.contains(", x19 and 1980 more;"), "{first}");
    assert!(got.iter().all(|(_, _, message)| message.len() < 400), "{first}");
    let suggested = got.iter().filter(|(_, _, message)| message.contains("did you mean")).count();
    assert_eq!(suggested, 100);
}
