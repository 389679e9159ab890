//! `torc.toml`: the design's manifests read field by field, one test per
//! class of mistake (location asserted, message snapshotted), and property
//! tests that no input panics.

use super::*;
use crate::package::*;
use proptest::prelude::*;

const DESIGN: &str = include_str!("../../tests/fixtures/manifests/torc-pid/torc.toml");
const FULL: &str = include_str!("../../tests/fixtures/manifests/full-module/torc.toml");

fn parse(text: &str) -> Manifest {
    match parse_torc_toml(Path::new("torc.toml"), text) {
        Ok(manifest) => manifest,
        Err(e) => panic!("{e}"),
    }
}

fn module(manifest: &Manifest) -> &ModuleDetails {
    match &manifest.details {
        Details::Module(module) => module,
        other => panic!("not a module: {other:?}"),
    }
}

fn req(text: &str) -> torc_solver::semver::VersionReq {
    torc_solver::semver::VersionReq::parse(text).unwrap()
}

fn port(name: &str, ty: &str, contract: &str, line: usize) -> Port {
    Port { name: name.into(), ty: ty.into(), contract: contract.into(), default: None, line }
}

/// Parses `text`, expects an input error at `line`:`column` under `key`,
/// and returns the rendered error for a snapshot.
#[track_caller]
fn error_at(text: &str, line: usize, column: usize, key: &str) -> String {
    match parse_torc_toml(Path::new("torc.toml"), text) {
        Err(err @ Error::Input { .. }) => {
            let Error::Input { location, message } = &err else { unreachable!() };
            assert_eq!(
                (location.line, location.column, location.key.as_str()),
                (line, column, key),
                "wrong location for: {message}"
            );
            err.to_string()
        }
        Err(other) => panic!("expected an input error, got {other}"),
        Ok(manifest) => panic!("expected an error, parsed {manifest:?}"),
    }
}

/// A valid module to build broken ones from; `extra` starts at line 4.
fn module_with(extra: &str) -> String {
    format!("[module]\nname = \"m\"\nversion = \"1.0.0\"\n{extra}")
}

#[test]
fn the_design_manifest_reads_field_by_field() {
    let m = parse(DESIGN);
    assert_eq!(m.file, Path::new("torc.toml"));
    assert_eq!(m.kind, PackageKind::Module);
    assert_eq!(m.name, "torc-pid");
    assert_eq!(m.version, semver::Version::new(1, 0, 3));
    assert_eq!(
        m.metadata,
        Metadata {
            description: Some("PID controller with anti-windup and bumpless transfer".into()),
            authors: vec!["ai:claude-4.5-opus@anthropic/20260201".into()],
            license: Some("MIT".into()),
            repository: Some("https://github.com/torc-modules/torc-pid".into()),
            homepage: None,
            keywords: vec!["control".into(), "pid".into(), "real-time".into(), "safety-critical".into()],
            categories: vec!["control-systems".into(), "embedded".into()],
        }
    );
    let module = module(&m);
    assert_eq!(
        module.safety,
        Some(Safety { max_integrity_level: Some(IntegrityLevel::Asil('D')), verification_coverage: Some(100) })
    );
    assert_eq!(
        module.compatibility,
        Some(Compatibility {
            torc_edition: Some(EditionReq { text: ">=2026".into(), comparators: vec![(Comparison::GreaterEq, 2026)] }),
            min_toolchain: Some(semver::Version::new(0, 2, 0)),
        })
    );
    assert_eq!(
        module.interfaces.inputs,
        vec![
            port("setpoint", "Float<32>", "finite && in_range(min, max)", 22),
            port("measurement", "Float<32>", "finite", 23),
            port("dt", "Float<32>", "value > 0.0 && value <= 1.0", 24),
            port("config", "PIDConfig", "valid_gains", 25),
        ]
    );
    assert_eq!(
        module.interfaces.outputs,
        vec![
            port("output", "Float<32>", "in_range(config.out_min, config.out_max)", 28),
            port("state", "PIDState", "bounded_integrator", 29),
        ]
    );
    assert_eq!(
        module.resource_bounds,
        Some(ResourceBounds {
            stack: Some(Quantity { relation: Relation::AtMost, amount: 256, unit: BaseUnit::Bytes }),
            heap: Some(Quantity { relation: Relation::Exactly, amount: 0, unit: BaseUnit::Bytes }),
            wcet: None,
            effects: Some(Effects::default()),
        })
    );
    assert!(module.types.is_empty());
    assert!(module.predicates.is_empty());
    assert_eq!(
        m.dependencies,
        vec![DependencyDecl { name: "torc-math".into(), requirement: req(">=0.3.0, <1.0.0"), dev: false, line: 39 }]
    );
    assert_eq!(m.trust, None);
}

#[test]
fn every_section_and_form_reads() {
    let m = parse(FULL);
    assert_eq!(m.name, "motor-controller");
    assert_eq!(m.version, semver::Version::parse("1.2.0-rc.1").unwrap());
    assert_eq!(m.metadata.authors.len(), 2);
    assert_eq!(m.metadata.homepage.as_deref(), Some("https://torc-modules.example.com/motor-controller"));
    let module = module(&m);
    assert_eq!(
        module.safety,
        Some(Safety { max_integrity_level: Some(IntegrityLevel::Sil(3)), verification_coverage: Some(98) })
    );
    let edition = module.compatibility.as_ref().unwrap().torc_edition.as_ref().unwrap();
    assert_eq!(edition.comparators, vec![(Comparison::GreaterEq, 2026), (Comparison::Less, 2030)]);
    assert_eq!(module.compatibility.as_ref().unwrap().min_toolchain, Some(semver::Version::new(0, 3, 1)));
    // Arrays of tables: the port's line is its `[[...]]` header.
    assert_eq!(
        module.interfaces.inputs,
        vec![
            port("target", "Float<32>", "finite", 21),
            Port { default: Some("{ kp = 1.0, ki = 0.0, kd = 0.0 }".into()), ..port("gains", "PIDConfig", "true", 26) },
        ]
    );
    assert_eq!(module.interfaces.outputs, vec![port("duty", "Float<32>", "value >= 0.0 && value <= 1.0", 31)]);
    let bounds = module.resource_bounds.as_ref().unwrap();
    assert_eq!(bounds.stack, Some(Quantity { relation: Relation::AtMost, amount: 4096, unit: BaseUnit::Bytes }));
    assert_eq!(bounds.heap, Some(Quantity { relation: Relation::Exactly, amount: 0, unit: BaseUnit::Bytes }));
    assert_eq!(bounds.wcet, Some(Quantity { relation: Relation::AtMost, amount: 5000, unit: BaseUnit::Cycles }));
    let effects: Vec<&str> = bounds.effects.as_ref().unwrap().0.iter().map(String::as_str).collect();
    assert_eq!(effects, ["io", "mmio"]);
    assert_eq!(
        module.types,
        vec![
            RecordType {
                name: "PIDConfig".into(),
                fields: vec![
                    ("kp".into(), "Float<32>".into()),
                    ("ki".into(), "Float<32>".into()),
                    ("kd".into(), "Float<32>".into())
                ],
                line: 43,
            },
            RecordType {
                name: "PIDState".into(),
                fields: vec![("integral".into(), "Float<32>".into()), ("last_error".into(), "Float<32>".into())],
                line: 44,
            },
        ]
    );
    assert_eq!(
        module.predicates,
        vec![
            Predicate { name: "valid_gains".into(), body: "kp >= 0.0 && ki >= 0.0 && kd >= 0.0".into(), line: 47 },
            Predicate { name: "bounded_integrator".into(), body: "abs(integral) <= 1000.0".into(), line: 48 },
        ]
    );
    assert_eq!(
        m.dependencies,
        vec![
            DependencyDecl { name: "torc-pid".into(), requirement: req("^1.0.3"), dev: false, line: 51 },
            DependencyDecl { name: "torc-math".into(), requirement: req(">=0.3.0, <1.0.0"), dev: false, line: 52 },
            DependencyDecl { name: "vendor/torc-can".into(), requirement: req("0.8.0"), dev: false, line: 53 },
            DependencyDecl { name: "torc-testkit".into(), requirement: req("~0.2"), dev: true, line: 56 },
        ]
    );
    assert_eq!(m.normal_dependencies().count(), 3);
    assert_eq!(
        m.trust,
        Some(TrustPolicy {
            required_signatures: vec!["torc-core-team".into(), "company-security".into()],
            reject_unsigned: true,
            reject_yanked: true,
            allow_axioms: None,
            line: 58,
        })
    );
}

#[test]
fn platform_and_proof_library_have_only_the_shared_fields() {
    let m = parse("[platform]\nname = \"stm32f4\"\nversion = \"0.1.0\"\nkeywords = [\"arm\"]\n\n[dependencies]\n");
    assert_eq!((m.kind, m.details.clone()), (PackageKind::Platform, Details::Platform(PlatformDetails::default())));
    assert_eq!(m.metadata.keywords, ["arm"]);
    assert!(m.dependencies.is_empty());
    let m = parse(
        "[proof-library]\nname = \"torc-arithmetic-proofs\"\nversion = \"2.0.0\"\nlemmas = [\"lemmas/clamp.lemma\", \"minmax.lemma\"]\n",
    );
    let lemmas = vec!["lemmas/clamp.lemma".to_owned(), "minmax.lemma".to_owned()];
    let positions = vec![(4, 11), (4, 33)];
    assert_eq!((m.kind, m.details), (PackageKind::Proof, Details::Proof(ProofDetails { lemmas, positions })));
}

#[test]
fn dotted_keys_and_table_forms_mean_the_same() {
    let m = parse(
        "[module]\nname = \"m\"\nversion = \"1.0.0\"\nsafety.verification-coverage = 0\n\n[dependencies.torc-math]\nversion = \"^0.4\"\n",
    );
    assert_eq!(module(&m).safety.as_ref().unwrap().verification_coverage, Some(0));
    assert_eq!(m.dependencies[0].requirement, req("^0.4"));
    assert_eq!(m.dependencies[0].line, 6);
}

#[test]
fn effects_as_a_string_list() {
    let m = parse(&module_with("[module.resource-bounds]\neffects = \"io, alloc\"\n"));
    let effects = module(&m).resource_bounds.as_ref().unwrap().effects.clone().unwrap();
    assert_eq!(effects.0.into_iter().collect::<Vec<_>>(), ["alloc", "io"]);
}

// One test per class of mistake.

#[test]
fn toml_syntax_error() {
    let msg = error_at("[module]\nname = \"m\nversion = \"1.0.0\"\n", 2, 10, "");
    insta::assert_snapshot!(msg);
}

#[test]
fn duplicate_key_is_a_syntax_error() {
    let msg = error_at(&module_with("name = \"n\"\n"), 4, 1, "");
    insta::assert_snapshot!(msg);
}

#[test]
fn unknown_table_at_top_level() {
    let msg = error_at("[package]\nname = \"m\"\nversion = \"1.0.0\"\n", 1, 2, "package");
    insta::assert_snapshot!(msg);
}

#[test]
fn unknown_key_at_top_level() {
    let msg = error_at(&format!("edition = 2026\n{}", module_with("")), 1, 1, "edition");
    insta::assert_snapshot!(msg);
}

#[test]
fn unknown_key_in_the_kind_section() {
    let msg = error_at(&module_with("colour = \"red\"\n"), 4, 1, "module.colour");
    insta::assert_snapshot!(msg);
}

#[test]
fn module_sections_are_unknown_in_a_platform() {
    let msg =
        error_at("[platform]\nname = \"p\"\nversion = \"1.0.0\"\n\n[platform.safety]\n", 5, 11, "platform.safety");
    insta::assert_snapshot!(msg);
}

#[test]
fn unknown_table_in_module() {
    let msg = error_at(&module_with("[module.budgets]\nram = 1\n"), 4, 9, "module.budgets");
    insta::assert_snapshot!(msg);
}

#[test]
fn unknown_key_in_safety() {
    let msg = error_at(&module_with("[module.safety]\nsil = 3\n"), 5, 1, "module.safety.sil");
    insta::assert_snapshot!(msg);
}

#[test]
fn unknown_key_in_compatibility() {
    let msg = error_at(&module_with("[module.compatibility]\nrust = \"1.80\"\n"), 5, 1, "module.compatibility.rust");
    insta::assert_snapshot!(msg);
}

#[test]
fn unknown_key_in_interfaces() {
    let msg = error_at(&module_with("[module.interfaces]\nparams = []\n"), 5, 1, "module.interfaces.params");
    insta::assert_snapshot!(msg);
}

#[test]
fn unknown_key_in_a_port() {
    let text = module_with(
        "[module.interfaces]\ninputs = [\n  { name = \"a\", type = \"T\" },\n  { name = \"b\", type = \"T\", unit = \"m\" },\n]\n",
    );
    let msg = error_at(&text, 7, 29, "module.interfaces.inputs[1].unit");
    insta::assert_snapshot!(msg);
}

#[test]
fn outputs_have_no_default() {
    let text = module_with("[module.interfaces]\noutputs = [{ name = \"a\", type = \"T\", default = \"0\" }]\n");
    let msg = error_at(&text, 5, 38, "module.interfaces.outputs[0].default");
    insta::assert_snapshot!(msg);
}

#[test]
fn unknown_key_in_resource_bounds() {
    let msg =
        error_at(&module_with("[module.resource-bounds]\nflash = \"1 KiB\"\n"), 5, 1, "module.resource-bounds.flash");
    insta::assert_snapshot!(msg);
}

#[test]
fn unknown_key_in_a_dependency_table() {
    let text = module_with("[dependencies]\ntorc-math = { version = \"1\", features = [\"x\"] }\n");
    let msg = error_at(&text, 5, 30, "dependencies.torc-math.features");
    insta::assert_snapshot!(msg);
}

#[test]
fn unknown_key_in_trust() {
    let msg = error_at(&module_with("[trust]\nallow-yanked = true\n"), 5, 1, "trust.allow-yanked");
    insta::assert_snapshot!(msg);
}

#[test]
fn wrong_type() {
    let msg = error_at("[module]\nname = \"m\"\nversion = 1\n", 3, 11, "module.version");
    insta::assert_snapshot!(msg);
}

#[test]
fn wrong_type_in_an_array() {
    let msg = error_at(&module_with("keywords = [\"a\", 2]\n"), 4, 18, "module.keywords[1]");
    insta::assert_snapshot!(msg);
}

#[test]
fn wrong_type_for_a_section() {
    let msg = error_at(&module_with("safety = \"ASIL-D\"\n"), 4, 10, "module.safety");
    insta::assert_snapshot!(msg);
}

#[test]
fn wrong_type_for_a_boolean() {
    let msg = error_at(&module_with("[trust]\nreject-unsigned = \"yes\"\n"), 5, 19, "trust.reject-unsigned");
    insta::assert_snapshot!(msg);
}

#[test]
fn wrong_type_for_a_dependency() {
    let msg = error_at(&module_with("[dependencies]\ntorc-math = 1\n"), 5, 13, "dependencies.torc-math");
    insta::assert_snapshot!(msg);
}

#[test]
fn bad_version() {
    let msg = error_at("[module]\nname = \"m\"\nversion = \"1.0\"\n", 3, 11, "module.version");
    insta::assert_snapshot!(msg);
}

#[test]
fn bad_min_toolchain() {
    let text = module_with("[module.compatibility]\nmin-toolchain = \"v0.2\"\n");
    let msg = error_at(&text, 5, 17, "module.compatibility.min-toolchain");
    insta::assert_snapshot!(msg);
}

#[test]
fn bad_requirement_points_inside_the_string() {
    // The string opens at column 13; the `0` after the wildcard is its 15th character.
    let text = module_with("[dependencies]\ntorc-math = \">=0.3.0, <1.x.0\"\n");
    let msg = error_at(&text, 5, 13 + 15, "dependencies.torc-math");
    insta::assert_snapshot!(msg);
}

#[test]
fn bad_requirement_in_an_inline_table() {
    let text = module_with("[dev-dependencies]\ntorc-math = { version = \"^^1\" }\n");
    let msg = error_at(&text, 5, 25 + 1, "dev-dependencies.torc-math.version");
    insta::assert_snapshot!(msg);
}

#[test]
fn bad_requirement_with_escapes_points_at_the_string() {
    let text = module_with("[dependencies]\ntorc-math = \"\\u003e=0.3.0, <1.x.0\"\n");
    error_at(&text, 5, 13, "dependencies.torc-math");
}

#[test]
fn bad_quantity() {
    let text = module_with("[module.resource-bounds]\nstack = \"<= 256 furlongs\"\n");
    let msg = error_at(&text, 5, 9, "module.resource-bounds.stack");
    insta::assert_snapshot!(msg);
}

#[test]
fn quantity_in_the_wrong_unit() {
    let text = module_with("[module.resource-bounds]\nwcet = \"<= 4 KiB\"\n");
    let msg = error_at(&text, 5, 8, "module.resource-bounds.wcet");
    insta::assert_snapshot!(msg);
}

#[test]
fn quantity_that_overflows() {
    let text = module_with("[module.resource-bounds]\nheap = \"20000000000 GiB\"\n");
    let msg = error_at(&text, 5, 8, "module.resource-bounds.heap");
    insta::assert_snapshot!(msg);
}

#[test]
fn pure_with_other_effects() {
    let text = module_with("[module.resource-bounds]\neffects = [\"pure\", \"io\"]\n");
    let msg = error_at(&text, 5, 11, "module.resource-bounds.effects");
    insta::assert_snapshot!(msg);
}

#[test]
fn bad_effect_name() {
    let text = module_with("[module.resource-bounds]\neffects = [\"io\", \"Alloc\"]\n");
    let msg = error_at(&text, 5, 11, "module.resource-bounds.effects");
    insta::assert_snapshot!(msg);
}

#[test]
fn bad_package_name() {
    let msg = error_at("[module]\nname = \"Torc-PID\"\nversion = \"1.0.0\"\n", 2, 8, "module.name");
    insta::assert_snapshot!(msg);
}

#[test]
fn bad_dependency_name() {
    let msg = error_at(&module_with("[dependencies]\nTorcMath = \"1.0.0\"\n"), 5, 1, "dependencies.TorcMath");
    insta::assert_snapshot!(msg);
}

#[test]
fn missing_name() {
    let msg = error_at("# a module\n[module]\nversion = \"1.0.0\"\n", 2, 1, "module.name");
    insta::assert_snapshot!(msg);
}

#[test]
fn missing_version() {
    let msg = error_at("[proof-library]\nname = \"p\"\n", 1, 1, "proof-library.version");
    insta::assert_snapshot!(msg);
}

#[test]
fn duplicate_port() {
    let text = module_with(
        "[module.interfaces]\ninputs = [\n  { name = \"state\", type = \"T\" },\n]\noutputs = [\n  { name = \"state\", type = \"T\" },\n]\n",
    );
    let msg = error_at(&text, 9, 12, "module.interfaces.outputs[0].name");
    assert!(msg.contains("on line 6 and on line 9"), "{msg}");
    insta::assert_snapshot!(msg);
}

#[test]
fn bad_port_name() {
    let text = module_with("[module.interfaces]\ninputs = [{ name = \"set-point\", type = \"T\" }]\n");
    let msg = error_at(&text, 5, 20, "module.interfaces.inputs[0].name");
    insta::assert_snapshot!(msg);
}

#[test]
fn port_without_a_type() {
    let text = module_with("[module.interfaces]\ninputs = [{ name = \"a\" }]\n");
    let msg = error_at(&text, 5, 11, "module.interfaces.inputs[0].type");
    insta::assert_snapshot!(msg);
}

#[test]
fn port_that_is_not_a_table() {
    let text = module_with("[module.interfaces]\ninputs = [\"setpoint\"]\n");
    let msg = error_at(&text, 5, 11, "module.interfaces.inputs[0]");
    insta::assert_snapshot!(msg);
}

#[test]
fn bad_integrity_level() {
    let text = module_with("[module.safety]\nmax-integrity-level = \"ASIL-E\"\n");
    let msg = error_at(&text, 5, 23, "module.safety.max-integrity-level");
    insta::assert_snapshot!(msg);
}

#[test]
fn coverage_out_of_range() {
    let text = module_with("[module.safety]\nverification-coverage = 101\n");
    let msg = error_at(&text, 5, 25, "module.safety.verification-coverage");
    insta::assert_snapshot!(msg);
}

#[test]
fn bad_edition_requirement() {
    let text = module_with("[module.compatibility]\ntorc-edition = \">=2026, <\"\n");
    let msg = error_at(&text, 5, 16, "module.compatibility.torc-edition");
    insta::assert_snapshot!(msg);
}

#[test]
fn bad_type_name() {
    let text = module_with("[module.types]\npidConfig = { kp = \"Float<32>\" }\n");
    let msg = error_at(&text, 5, 1, "module.types.pidConfig");
    insta::assert_snapshot!(msg);
}

#[test]
fn bad_field_type() {
    let text = module_with("[module.types]\nPIDConfig = { kp = 1.0 }\n");
    let msg = error_at(&text, 5, 20, "module.types.PIDConfig.kp");
    insta::assert_snapshot!(msg);
}

#[test]
fn empty_predicate() {
    let msg =
        error_at(&module_with("[module.predicates]\nvalid_gains = \"\"\n"), 5, 15, "module.predicates.valid_gains");
    insta::assert_snapshot!(msg);
}

#[test]
fn missing_kind_section() {
    let msg = error_at("[dependencies]\ntorc-math = \"1.0.0\"\n", 1, 1, "");
    insta::assert_snapshot!(msg);
}

#[test]
fn empty_file() {
    error_at("", 1, 1, "");
}

#[test]
fn two_kind_sections() {
    let text = module_with("\n[platform]\nname = \"p\"\nversion = \"1.0.0\"\n");
    let msg = error_at(&text, 5, 2, "platform");
    insta::assert_snapshot!(msg);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_string_panics(text in "\\PC*") {
        let _ = parse_torc_toml(Path::new("torc.toml"), &text);
    }

    #[test]
    fn no_bytes_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_torc_toml(Path::new("torc.toml"), &String::from_utf8_lossy(&bytes));
    }

    /// Small edits of valid manifests: the parser either reads them or
    /// reports an input error located inside the text.
    #[test]
    fn mutations_of_valid_manifests_never_panic(
        full in any::<bool>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0..4u8, prop::sample::select(vec![
            "", "\"", "[", "]", "=", "\n", "{", "}", ",", "0", "-1", "x", ".", "[[a]]", "\"\"\"", "'", "#", "é", "<=", "KiB",
        ])), 1..6),
    ) {
        let mut chars: Vec<char> = if full { FULL } else { DESIGN }.chars().collect();
        for (at, op, piece) in edits {
            let i = at.index(chars.len() + 1);
            match op {
                0 => { if i < chars.len() { chars.remove(i); } }
                1 => { for (k, c) in piece.chars().enumerate() { chars.insert(i + k, c); } }
                2 => { let end = (i + 8).min(chars.len()); chars.drain(i.min(end)..end); }
                _ => { if i < chars.len() { chars[i] = piece.chars().next().unwrap_or(' '); } }
            }
        }
        let text: String = chars.into_iter().collect();
        if let Err(Error::Input { location, .. }) = parse_torc_toml(Path::new("torc.toml"), &text) {
            prop_assert!(location.line >= 1 && location.line <= text.lines().count().max(1) + 1);
            prop_assert!(location.column >= 1);
        }
    }
}

#[test]
fn waivers_read_in_order_with_their_lines() {
    let m = parse(&module_with(
        "\n[[module.waivers]]\nid = \"0123456789abcdef\"\njustification = \"checked by review R-12\"\napproved-by = \"J. Smith\"\n\n[[module.waivers]]\nid = \"fedcba9876543210\"\njustification = \"bench-tested\"\napproved-by = \"QA\"\n",
    ));
    assert_eq!(
        module(&m).waivers,
        vec![
            Waiver {
                id: "0123456789abcdef".into(),
                justification: "checked by review R-12".into(),
                approved_by: "J. Smith".into(),
                line: 5,
            },
            Waiver {
                id: "fedcba9876543210".into(),
                justification: "bench-tested".into(),
                approved_by: "QA".into(),
                line: 10
            },
        ]
    );
    assert!(module(&parse(&module_with(""))).waivers.is_empty());
}

#[test]
fn a_waiver_needs_every_key() {
    for (missing, text) in [
        ("id", "justification = \"j\"\napproved-by = \"a\"\n"),
        ("justification", "id = \"0123456789abcdef\"\napproved-by = \"a\"\n"),
        ("approved-by", "id = \"0123456789abcdef\"\njustification = \"j\"\n"),
    ] {
        let err = parse_torc_toml(Path::new("torc.toml"), &module_with(&format!("[[module.waivers]]\n{text}")))
            .unwrap_err()
            .to_string();
        assert!(err.contains(missing), "{err}");
    }
}

#[test]
fn a_waiver_with_an_unknown_key_or_a_bad_id_is_refused() {
    let unknown = error_at(
        &module_with("[[module.waivers]]\nid = \"0123456789abcdef\"\njustification = \"j\"\napproved-by = \"a\"\nexpires = \"never\"\n"),
        8,
        1,
        "module.waivers[0].expires",
    );
    assert!(unknown.contains("unknown key `expires`"), "{unknown}");
    let bad = error_at(
        &module_with("[[module.waivers]]\nid = \"obligation-1\"\njustification = \"j\"\napproved-by = \"a\"\n"),
        5,
        6,
        "module.waivers[0].id",
    );
    assert!(bad.contains("16 lowercase hex digits"), "{bad}");
    let empty = parse_torc_toml(
        Path::new("torc.toml"),
        &module_with("[[module.waivers]]\nid = \"0123456789abcdef\"\njustification = \" \"\napproved-by = \"a\"\n"),
    )
    .unwrap_err()
    .to_string();
    assert!(empty.contains("must not be empty"), "{empty}");
    let twice = parse_torc_toml(
        Path::new("torc.toml"),
        &module_with(
            "[[module.waivers]]\nid = \"0123456789abcdef\"\njustification = \"j\"\napproved-by = \"a\"\n[[module.waivers]]\nid = \"0123456789abcdef\"\njustification = \"k\"\napproved-by = \"b\"\n",
        ),
    )
    .unwrap_err()
    .to_string();
    assert!(twice.contains("already waived (line 4)"), "{twice}");
    let not_array = parse_torc_toml(Path::new("torc.toml"), &module_with("[module.waivers]\nid = \"x\"\n"));
    assert!(not_array.is_err());
}

// ------------------------------------------------------ [platform.budgets]

/// A platform whose `[platform.budgets]` body starts at line 5.
fn platform_with(budgets: &str) -> String {
    format!("[platform]\nname = \"stm32f4\"\nversion = \"1.0.0\"\n[platform.budgets]\n{budgets}")
}

fn budgets_of(manifest: &Manifest) -> Budgets {
    match &manifest.details {
        Details::Platform(PlatformDetails { budgets: Some(budgets) }) => budgets.clone(),
        other => panic!("no budgets: {other:?}"),
    }
}

const BUDGETS: &str = "stack = \"8 KiB\"\nheap = \"0 bytes\"\neffects = [\"io\"]\nword-size = 32\nfloat-widths = [32]\nclock = \"168 MHz\"\nperiod = \"1 ms\"\n";

#[test]
fn platform_budgets_read_into_plain_numbers() {
    let b = budgets_of(&parse(&platform_with(BUDGETS)));
    assert_eq!(
        b,
        Budgets {
            stack: 8192,
            heap: 0,
            effects: ["io".to_owned()].into(),
            word_size: 32,
            float_widths: [32].into(),
            clock_hz: Some(168_000_000),
            period_us: Some(1000),
            line: 4,
        }
    );
    // Only the required keys: no effects, no floats, no clock.
    let b = budgets_of(&parse(&platform_with("stack = \"1 KiB\"\nheap = \"0 B\"\nword-size = 16\n")));
    assert!(b.effects.is_empty() && b.float_widths.is_empty());
    assert_eq!((b.clock_hz, b.period_us), (None, None));
}

#[test]
fn platform_budgets_do_not_depend_on_spelling_or_order() {
    let respelled = "period = \"1000 us\"\nclock = \"168000 kHz\"\nfloat-widths = [32]\nword-size = 32\neffects = \"io\"\nheap = \"0 B\"\nstack = \"8192 bytes\"\n";
    let inline = "[platform]\nname = \"stm32f4\"\nversion = \"1.0.0\"\nbudgets = { stack = \"8 KiB\", heap = \"0 bytes\", effects = [\"io\"], word-size = 32, float-widths = [32], clock = \"168 MHz\", period = \"1 ms\" }\n";
    let a = budgets_of(&parse(&platform_with(BUDGETS)));
    let b = budgets_of(&parse(&platform_with(respelled)));
    let c = budgets_of(&parse(inline));
    assert_eq!(a, b);
    assert_eq!((a.stack, a.clock_hz, a.period_us), (c.stack, c.clock_hz, c.period_us));
    assert_eq!((a.effects, a.float_widths, a.word_size), (c.effects, c.float_widths, c.word_size));
}

#[test]
fn platform_budgets_errors_name_line_and_key() {
    let cases: &[(&str, usize, usize, &str, &str)] = &[
        ("stack = \"8 KiB\"\nheap = \"0 B\"\nword-size = 32\nram = \"1 KiB\"\n", 8, 1, "platform.budgets.ram", "unknown key `ram`"),
        ("heap = \"0 B\"\nword-size = 32\n", 4, 1, "platform.budgets.stack", "missing `stack`"),
        ("stack = \"100 cycles\"\nheap = \"0 B\"\nword-size = 32\n", 5, 9, "platform.budgets.stack", "measured in bytes"),
        ("stack = \"<= 8 KiB\"\nheap = \"0 B\"\nword-size = 32\n", 5, 9, "platform.budgets.stack", "without `<=`"),
        ("stack = \"8 KiB\"\nheap = \"0 B\"\nword-size = 24\n", 7, 13, "platform.budgets.word-size", "8, 16, 32 or 64"),
        ("stack = \"8 KiB\"\nheap = \"0 B\"\nword-size = 32\nfloat-widths = [16]\n", 8, 17, "platform.budgets.float-widths[0]", "32 and 64, not 16"),
        ("stack = \"8 KiB\"\nheap = \"0 B\"\nword-size = 32\nfloat-widths = [32, 32]\n", 8, 21, "platform.budgets.float-widths[1]", "listed twice"),
        ("stack = \"8 KiB\"\nheap = \"0 B\"\nword-size = 32\nclock = \"168 MHZ\"\n", 8, 9, "platform.budgets.clock", "expected one of: Hz, kHz, MHz, GHz"),
        ("stack = \"8 KiB\"\nheap = \"0 B\"\nword-size = 32\nclock = \"1.5 GHz\"\n", 8, 9, "platform.budgets.clock", "whole numbers"),
        ("stack = \"8 KiB\"\nheap = \"0 B\"\nword-size = 32\nclock = \"0 Hz\"\n", 8, 9, "platform.budgets.clock", "more than zero"),
        ("stack = \"8 KiB\"\nheap = \"0 B\"\nword-size = 32\nperiod = \"1 ms\"\n", 8, 10, "platform.budgets.period", "needs `clock`"),
        ("stack = \"8 KiB\"\nheap = \"0 B\"\nword-size = 32\nclock = \"1 MHz\"\nperiod = \"1 min\"\n", 9, 10, "platform.budgets.period", "expected one of: us, µs, ms, s"),
        ("stack = \"8 KiB\"\nheap = \"0 B\"\nword-size = 32\neffects = [\"IO\"]\n", 8, 11, "platform.budgets.effects", "invalid effect name"),
    ];
    for &(body, line, column, key, needle) in cases {
        let message = error_at(&platform_with(body), line, column, key);
        assert!(message.contains(needle), "{message}");
    }
    // Budgets are a platform's: a module cannot have them.
    let message = error_at(&module_with("[module.budgets]\nstack = \"1 KiB\"\n"), 4, 9, "module.budgets");
    assert!(message.contains("unknown table"), "{message}");
}

#[test]
fn a_proof_library_lists_its_lemma_files() {
    let head = "[proof-library]\nname = \"p\"\nversion = \"1.0.0\"\n";
    let missing = error_at(head, 1, 1, "proof-library.lemmas");
    assert!(missing.contains("missing `lemmas` in [proof-library]"), "{missing}");
    let empty = error_at(&format!("{head}lemmas = []\n"), 4, 10, "proof-library.lemmas");
    assert!(empty.contains("at least one lemma file"), "{empty}");
    let outside = error_at(&format!("{head}lemmas = [\"a.lemma\", \"../b.lemma\"]\n"), 4, 22, "proof-library.lemmas[1]");
    assert!(outside.contains("not a path inside the package"), "{outside}");
    let twice = error_at(&format!("{head}lemmas = [\"a.lemma\", \"a.lemma\"]\n"), 4, 22, "proof-library.lemmas[1]");
    assert!(twice.contains("listed twice"), "{twice}");
    let not_array = error_at(&format!("{head}lemmas = \"a.lemma\"\n"), 4, 10, "proof-library.lemmas");
    assert!(not_array.contains("expected an array of lemma file paths"), "{not_array}");
    let module = error_at("[module]\nname = \"m\"\nversion = \"1.0.0\"\nlemmas = [\"a.lemma\"]\n", 4, 1, "module.lemmas");
    assert!(module.contains("unknown key `lemmas`"), "{module}");
}

#[test]
fn allow_axioms_defaults_to_no_when_an_integrity_level_is_claimed() {
    let plain = parse(&module_with(""));
    assert!(plain.allows_axioms());
    let claimed = parse(&module_with("[module.safety]\nmax-integrity-level = \"ASIL-B\"\n"));
    assert!(!claimed.allows_axioms());
    let coverage_only = parse(&module_with("[module.safety]\nverification-coverage = 90\n"));
    assert!(coverage_only.allows_axioms());
    let allowed =
        parse(&module_with("[module.safety]\nmax-integrity-level = \"SIL-3\"\n\n[trust]\nallow-axioms = true\n"));
    assert_eq!(allowed.trust.as_ref().and_then(|t| t.allow_axioms), Some(true));
    assert!(allowed.allows_axioms());
    let refused = parse(&module_with("[trust]\nallow-axioms = false\n"));
    assert!(!refused.allows_axioms());
}

#[test]
fn allow_axioms_is_a_boolean() {
    let msg = error_at(&module_with("[trust]\nallow-axioms = \"no\"\n"), 5, 16, "trust.allow-axioms");
    assert!(msg.contains("boolean"), "{msg}");
}

#[test]
fn reading_many_dependencies_scans_the_text_a_bounded_number_of_times() {
    // Every dependency records its line. Counting lines from the start of
    // the text for each made 100,000 dependencies take 56 s: n^2 bytes.
    for n in [2_000, 8_000] {
        let deps: String = (0..n).map(|i| format!("dep-{i} = \"^1.{i}\"\n")).collect();
        let text = module_with(&format!("\n[dependencies]\n{deps}\n[dev-dependencies]\nlast = \"1\"\n"));
        let before = torc_graph::lines::bytes_examined();
        let m = parse(&text);
        let scanned = torc_graph::lines::bytes_examined() - before;
        assert_eq!(m.dependencies.len(), n + 1);
        assert_eq!((m.dependencies[7].name.as_str(), m.dependencies[7].line), ("dep-7", 13));
        assert_eq!((m.dependencies[n].name.as_str(), m.dependencies[n].line, m.dependencies[n].dev), ("last", n + 8, true));
        let bound = 2 * text.len() as u64;
        assert!(scanned >= text.len() as u64 && scanned <= bound, "{n} dependencies: {scanned} bytes scanned for {}", text.len());
    }
}
