//! `spec.yaml`: the design's example read field by field, one test per
//! class of mistake, and property tests that no input panics.

use super::*;
use crate::package::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

const DESIGN: &str = include_str!("../../tests/fixtures/manifests/payment-protocol/spec.yaml");

fn parse(text: &str) -> Manifest {
    match parse_spec_yaml(Path::new("spec.yaml"), text) {
        Ok(manifest) => manifest,
        Err(e) => panic!("{e}"),
    }
}

fn req(text: &str) -> torc_solver::semver::VersionReq {
    torc_solver::semver::VersionReq::parse(text).unwrap()
}

#[track_caller]
fn error_at(text: &str, line: usize, column: usize, key: &str) -> String {
    match parse_spec_yaml(Path::new("spec.yaml"), text) {
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

const HEAD: &str = "name: spec\nversion: \"1.0.0\"\nframework: tlaplus\n";

#[test]
fn the_design_example_reads_field_by_field() {
    let m = parse(DESIGN);
    assert_eq!(m.file, Path::new("spec.yaml"));
    assert_eq!(m.kind, PackageKind::Spec);
    assert_eq!(m.name, "payment-protocol");
    assert_eq!(m.version, semver::Version::new(1, 2, 3));
    assert_eq!(
        m.metadata,
        Metadata {
            description: Some("Formal specification of distributed payment protocol".into()),
            authors: vec!["Team <team@example.com>".into()],
            license: Some("MIT".into()),
            repository: Some("https://github.com/org/payment-protocol-spec".into()),
            homepage: Some("https://specs.example.com/payment-protocol".into()),
            keywords: vec!["distributed".into(), "payment".into(), "protocol".into(), "consensus".into()],
            categories: vec![],
        }
    );
    assert_eq!(
        m.dependencies,
        vec![
            DependencyDecl { name: "tlapus/state-machine".into(), requirement: req("^1.0.0"), dev: false, line: 7 },
            DependencyDecl { name: "crypto/algorithms".into(), requirement: req("~2.1.0"), dev: false, line: 8 },
            DependencyDecl { name: "testing/property-based".into(), requirement: req("^3.0.0"), dev: true, line: 11 },
        ]
    );
    let Details::Spec(spec) = &m.details else { panic!("not a spec: {:?}", m.details) };
    assert_eq!(
        spec,
        &SpecDetails {
            framework: "tlaplus".into(),
            main: Some("specs/main.tla".into()),
            modules: vec!["specs/protocol.tla".into(), "specs/invariants.tla".into()],
            tests: vec!["tests/test1.yaml".into(), "tests/test2.yaml".into()],
            documentation: BTreeMap::from([
                ("readme".to_owned(), "docs/overview.md".to_owned()),
                ("examples".to_owned(), "docs/examples.md".to_owned()),
            ]),
            tools: serde_json::json!({
                "tlaplus": { "module": "PaymentProtocol", "options": { "depth": 10 } },
                "alloy": { "scope": 5 },
            }),
        }
    );
    assert_eq!(m.trust, None);
}

#[test]
fn only_the_required_keys() {
    let m = parse(HEAD);
    assert!(m.dependencies.is_empty());
    let Details::Spec(spec) = m.details else { unreachable!() };
    assert_eq!(spec.framework, "tlaplus");
    assert_eq!(spec.tools, serde_json::Value::Null);
    assert_eq!(spec.main, None);
}

#[test]
fn keys_without_values_count_as_absent() {
    let m = parse(&format!("{HEAD}dependencies:\ndevDependencies: {{}}\ntests:\ndescription: ~\n"));
    assert!(m.dependencies.is_empty());
    assert_eq!(m.metadata.description, None);
}

#[test]
fn flow_style_and_plain_scalars() {
    let m = parse("{name: spec, version: 1.0.0, framework: alloy, dependencies: {a/b: ^1.0, c: 2.0.0}}");
    assert_eq!(m.version, semver::Version::new(1, 0, 0));
    assert_eq!(m.dependencies[0].requirement, req("^1.0"));
    assert_eq!(m.dependencies[1].requirement, req("2.0.0"));
    assert!(!m.dependencies[1].requirement.matches(&semver::Version::new(2, 0, 1)), "a bare version is exact");
}

#[test]
fn yaml_syntax_error() {
    let msg = error_at(&format!("{HEAD}dependencies:\n  a: \"^1.0\n"), 5, 6, "");
    insta::assert_snapshot!(msg);
}

#[test]
fn duplicate_key() {
    let msg = error_at(&format!("{HEAD}name: other\n"), 4, 1, "");
    assert!(msg.contains("`name`"), "{msg}");
    insta::assert_snapshot!(msg);
}

#[test]
fn empty_file() {
    let msg = error_at("# nothing yet\n", 1, 1, "");
    insta::assert_snapshot!(msg);
}

#[test]
fn not_a_mapping() {
    let msg = error_at("- name: spec\n", 1, 1, "");
    insta::assert_snapshot!(msg);
}

#[test]
fn two_documents() {
    let msg = error_at(&format!("{HEAD}---\n{HEAD}"), 5, 1, "");
    insta::assert_snapshot!(msg);
}

#[test]
fn unknown_key_at_top_level() {
    let msg = error_at(&format!("{HEAD}authors:\n  - Ada\n"), 4, 1, "authors");
    insta::assert_snapshot!(msg);
}

#[test]
fn unknown_key_in_specifications() {
    let msg =
        error_at(&format!("{HEAD}specifications:\n  main: a.tla\n  extra: b.tla\n"), 6, 3, "specifications.extra");
    insta::assert_snapshot!(msg);
}

#[test]
fn version_as_a_number_suggests_quotes() {
    let msg = error_at("name: spec\nversion: 1.2\nframework: tlaplus\n", 2, 10, "version");
    assert!(msg.contains("quotes"), "{msg}");
    insta::assert_snapshot!(msg);
}

#[test]
fn bad_version() {
    let msg = error_at("name: spec\nversion: \"1.2\"\nframework: tlaplus\n", 2, 10, "version");
    insta::assert_snapshot!(msg);
}

#[test]
fn missing_framework() {
    let msg = error_at("name: spec\nversion: \"1.2.0\"\n", 1, 1, "framework");
    insta::assert_snapshot!(msg);
}

#[test]
fn bad_name() {
    let msg = error_at("name: Payment/Protocol\nversion: \"1.2.0\"\nframework: tlaplus\n", 1, 7, "name");
    insta::assert_snapshot!(msg);
}

#[test]
fn bad_dependency_name() {
    let msg = error_at(&format!("{HEAD}dependencies:\n  a/b/c: \"^1.0\"\n"), 5, 3, "dependencies.\"a/b/c\"");
    insta::assert_snapshot!(msg);
}

#[test]
fn bad_requirement_points_inside_the_string() {
    // The string opens at column 22; the `3` after the wildcard is its 6th character.
    let msg = error_at(
        &format!("{HEAD}dependencies:\n  crypto/algorithms: \"~2.x.3\"\n"),
        5,
        22 + 6,
        "dependencies.\"crypto/algorithms\"",
    );
    insta::assert_snapshot!(msg);
}

#[test]
fn bad_requirement_in_a_plain_scalar() {
    error_at(
        &format!("{HEAD}devDependencies:\n  crypto/algorithms: ~2.x.3\n"),
        5,
        22 + 5,
        "devDependencies.\"crypto/algorithms\"",
    );
}

#[test]
fn requirement_as_a_number() {
    let msg = error_at(
        &format!("{HEAD}dependencies:\n  crypto/algorithms: 2.1\n"),
        5,
        22,
        "dependencies.\"crypto/algorithms\"",
    );
    insta::assert_snapshot!(msg);
}

#[test]
fn wrong_type() {
    let msg = error_at(&format!("{HEAD}tests: tests/test1.yaml\n"), 4, 8, "tests");
    insta::assert_snapshot!(msg);
}

#[test]
fn wrong_type_in_a_list() {
    let msg = error_at(&format!("{HEAD}keywords:\n  - payment\n  - [nested]\n"), 6, 5, "keywords[1]");
    insta::assert_snapshot!(msg);
}

#[test]
fn non_string_key() {
    let msg = error_at(&format!("{HEAD}documentation:\n  1: docs/one.md\n"), 5, 3, "documentation");
    insta::assert_snapshot!(msg);
}

#[test]
fn tools_keep_any_data_json_can_hold() {
    let m = parse(&format!("{HEAD}tools:\n  x: [1, 2.5, true, null, {{k: v}}]\n"));
    let Details::Spec(spec) = m.details else { unreachable!() };
    assert_eq!(spec.tools, serde_json::json!({ "x": [1, 2.5, true, null, { "k": "v" }] }));
    error_at(&format!("{HEAD}tools:\n  x: .inf\n"), 5, 6, "tools.x");
}

#[test]
fn aliases_are_refused() {
    // Nested aliases would expand exponentially when loaded.
    let text = format!("{HEAD}tools:\n  a: &a [1, 1]\n  b: &b [*a, *a]\n  c: [*b, *b]\n");
    let msg = error_at(&text, 6, 10, "");
    insta::assert_snapshot!(msg);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_string_panics(text in "\\PC*") {
        let _ = parse_spec_yaml(Path::new("spec.yaml"), &text);
    }

    #[test]
    fn mutations_of_the_design_example_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0..3u8, prop::sample::select(vec![
            "", "\"", "'", ":", "-", "\n", "  ", "{", "}", "[", "]", ",", "1.2", "&a", "*a", "!!int", "---", "#", "?", "|",
        ])), 1..6),
    ) {
        let mut chars: Vec<char> = DESIGN.chars().collect();
        for (at, op, piece) in edits {
            let i = at.index(chars.len() + 1);
            match op {
                0 => { if i < chars.len() { chars.remove(i); } }
                1 => { for (k, c) in piece.chars().enumerate() { chars.insert(i + k, c); } }
                _ => { let end = (i + 6).min(chars.len()); chars.drain(i.min(end)..end); }
            }
        }
        let text: String = chars.into_iter().collect();
        if let Err(Error::Input { location, .. }) = parse_spec_yaml(Path::new("spec.yaml"), &text) {
            prop_assert!(location.line >= 1 && location.column >= 1);
        }
    }
}
