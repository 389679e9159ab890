use super::*;
use crate::error::Error;
use crate::manifest::parse_torc_toml;
use std::path::{Path, PathBuf};

fn module(version: &str, inputs: &str, outputs: &str, extra: &str) -> Manifest {
    let text = format!(
        "[module]\nname = \"m\"\nversion = \"{version}\"\n{extra}\n[module.interfaces]\ninputs = [\n{inputs}\n]\noutputs = [\n{outputs}\n]\n"
    );
    parse_torc_toml(Path::new("m/torc.toml"), &text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

const X: &str = r#"{ name = "x", type = "Float<32>", contract = "in_range(0.0, 1.0)" },"#;
const Y: &str = r#"{ name = "y", type = "Float<32>", contract = "value >= 0.0" },"#;

fn gate(old: &Manifest, new: &Manifest) -> Report {
    compare(old, new, &Options::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn example(release: &str) -> Manifest {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/motor-controller/packages")
        .join(release)
        .join("torc.toml");
    crate::manifest::read(&path).unwrap()
}

#[test]
fn torc_pid_1_1_0_is_a_minor_release_of_1_0_3() {
    let report = gate(&example("torc-pid-1.0.3"), &example("torc-pid-1.1.0"));
    let found: Vec<(Option<&str>, &str, &str)> =
        report.findings.iter().map(|f| (f.port.as_deref(), f.kind.as_str(), f.verdict.as_str())).collect();
    assert_eq!(
        found,
        [(Some("state"), "contract", "compatible"), (Some("saturated"), "added", "compatible")],
        "{}",
        report::render_text(&report)
    );
    assert_eq!((report.required, report.status), (Bump::Minor, Status::Accepted));
}

#[test]
fn a_breaking_output_reads_as_the_design_says() {
    let old = module("1.0.3", X, Y, "");
    let new = module("1.1.0", X, r#"{ name = "y", type = "Float<32>", contract = "finite(value)" },"#, "");
    let report = gate(&old, &new);
    assert_eq!(report.status, Status::UnderBump);
    assert_eq!(report.next_version.to_string(), "2.0.0");
    let witness = report.findings[0].counterexample.as_ref().expect("a counterexample");
    assert!(
        witness.sentence.starts_with("y = ")
            && witness.sentence.ends_with("is allowed by 1.1.0 but 1.0.3 guaranteed value >= 0.0"),
        "{}",
        witness.sentence
    );
    let text = report::render_text(&report);
    assert!(text.ends_with("Required: major (next version 2.0.0); 1.1.0 is a minor bump: refused.\n"), "{text}");
    assert!(report.refusal().contains("required: 2.0.0"), "{}", report.refusal());
    let json = report::to_json(&report);
    assert_eq!(json["required"], "major");
    assert_eq!(json["findings"][0]["verdict"], "breaking");
    assert!(json["findings"][0]["counterexample"]["y"].is_string());
}

#[test]
fn version_bookkeeping() {
    let old = module("1.2.0", X, Y, "");
    let status = |version: &str| gate(&old, &module(version, X, Y, "")).status;
    assert_eq!(status("1.2.1"), Status::Accepted);
    assert_eq!(status("1.3.0"), Status::OverBump);
    assert_eq!(status("1.2.0"), Status::SameVersion);
    assert_eq!(status("1.2.0+build"), Status::SameVersion);
    assert_eq!(status("1.1.9"), Status::LowerVersion);
    let report = gate(&old, &module("1.3.0", X, Y, ""));
    assert!(
        report.notes.iter().any(|n| n == "1.3.0 is more than the changes need: 1.2.1 would do"),
        "{:?}",
        report.notes
    );
}

#[test]
fn a_first_release_checks_its_contracts() {
    let ok = module("0.1.0", X, Y, "");
    let report = first_release(&ok, &Options::default()).unwrap();
    assert_eq!((report.status, report.baseline.as_ref()), (Status::FirstRelease, None));
    assert!(report.accepted());

    let bad = module("0.1.0", X, r#"{ name = "y", type = "Float<32>", contract = "value > 1.0 && value < 0.0" },"#, "");
    let err = first_release(&bad, &Options::default()).unwrap_err();
    let Error::Input { location, message } = &err else { panic!("{err:?}") };
    assert_eq!((location.line, location.key.as_str()), (10, "module.interfaces.outputs[0].contract"));
    assert!(message.contains("no value satisfies"), "{message}");
}

#[test]
fn a_contract_error_names_the_key_line_and_fragment() {
    let bad = module("1.0.0", X, r#"{ name = "y", type = "Float<32>", contract = "value >= nowhere" },"#, "");
    let err = interface::check(&bad).unwrap_err();
    let Error::Input { location, message } = &err else { panic!("{err:?}") };
    assert_eq!((location.line, location.key.as_str()), (10, "module.interfaces.outputs[0].contract"));
    assert!(message.contains("nowhere"), "{message}");

    let predicate = module(
        "1.0.0",
        X,
        r#"{ name = "y", type = "Float<32>", contract = "ok" },"#,
        "[module.predicates]\nok = \"value >=\"\n",
    );
    let err = interface::check(&predicate).unwrap_err();
    let Error::Input { location, .. } = &err else { panic!("{err:?}") };
    assert_eq!((location.line, location.key.as_str()), (5, "module.predicates.ok"));
}

#[test]
fn comparing_two_packages_is_an_error() {
    let a = module("1.0.0", X, Y, "");
    let mut b = module("1.0.1", X, Y, "");
    b.name = "other".to_owned();
    assert!(matches!(compare(&a, &b, &Options::default()), Err(Error::Input { .. })));
}

#[test]
fn renames_pair_ports_with_the_same_contract_first() {
    let old = example("torc-math-0.4.1");
    let new = example("torc-math-0.5.0");
    let report = gate(&old, &new);
    let messages: Vec<&str> = report.findings.iter().map(|f| f.message.as_str()).collect();
    assert!(messages.iter().any(|m| m.contains("rename of `product` to `sat_mul`")), "{messages:#?}");
    assert!(messages.iter().any(|m| m.contains("rename of `sum` to `sat_add`")), "{messages:#?}");
    assert!(messages.iter().any(|m| m.starts_with("output `sat_sub`: added")), "{messages:#?}");
    assert_eq!((report.required, report.status), (Bump::Major, Status::Accepted));
}

#[test]
fn every_release_of_the_example_passes_the_gate_against_the_one_before() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/motor-controller/packages");
    let mut releases: Vec<Manifest> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| crate::manifest::read(&e.unwrap().path().join("torc.toml")).unwrap())
        .collect();
    releases.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    for (i, new) in releases.iter().enumerate() {
        let report = match i.checked_sub(1).map(|j| &releases[j]).filter(|old| old.name == new.name) {
            Some(old) => gate(old, new),
            None => first_release(new, &Options::default()).unwrap(),
        };
        assert!(report.accepted(), "{}", report::render_text(&report));
    }
}

#[test]
fn an_undecided_change_refuses_whatever_the_version() {
    let old = module("1.0.0", X, Y, "");
    let new = module("2.0.0", X, Y, "");
    let undecided = Finding {
        port: Some("y".to_owned()),
        kind: FindingKind::Contract,
        rule: "contract-undecided",
        verdict: FindingVerdict::Unknown,
        required: FindingVerdict::Unknown.required(),
        message: "output `y`: Z3 could not decide".to_owned(),
        counterexample: None,
    };
    let report = evaluate(&new, Some(&old.version), vec![undecided], Vec::new());
    assert_eq!((report.status, report.accepted()), (Status::Undecided, false));
    assert_eq!(report.required, Bump::Major);
    let text = report::render_text(&report);
    assert!(text.contains("  unknown  output `y`: Z3 could not decide\n"), "{text}");
    assert!(text.ends_with("refused: Z3 could not decide 1 contract change, and the gate fails closed.\n"), "{text}");
    assert_eq!(report::to_json(&report)["findings"][0]["verdict"], "unknown");
}

#[test]
fn z3_giving_up_is_an_unknown_finding() {
    // Float<64> products in a different association: not equivalent, but
    // Z3 needs far more than a millisecond to find the values.
    let inputs = r#"{ name = "a", type = "Float<64>" }, { name = "b", type = "Float<64>" }, { name = "c", type = "Float<64>" },"#;
    let out = |contract: &str| format!(r#"{{ name = "p", type = "Float<64>", contract = "{contract}" }},"#);
    let old = module("1.0.0", inputs, &out("value == (a * b) * c"), "");
    let new = module("1.0.1", inputs, &out("value == a * (b * c)"), "");
    let (old_interface, new_interface) = (interface::check(&old).unwrap(), interface::check(&new).unwrap());
    let pair = compare::Pair {
        old: &old,
        new: &new,
        old_interface: old_interface.as_ref(),
        new_interface: new_interface.as_ref(),
    };
    let (findings, _) = compare::findings(&pair, &Options { timeout_ms: 1 });
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].verdict, FindingVerdict::Unknown, "{findings:?}");
    assert!(findings[0].message.contains("Z3 could not decide"), "{}", findings[0].message);
}

#[test]
fn a_middle_release_is_judged_against_the_release_above_it_too() {
    let narrow = r#"{ name = "y", type = "Float<32>", contract = "value >= 1.0" },"#;
    let below = module("1.0.0", X, Y, "");
    let above = module("1.2.0", X, Y, "");
    let middle = module("1.1.0", X, narrow, "");
    let mut report = gate(&below, &middle);
    assert_eq!(report.status, Status::Accepted, "a stronger output is a minor step from 1.0.0");
    let upper = compare_with_upper(&middle, &above, &Options::default()).unwrap();
    assert_eq!((upper.required, upper.status), (Bump::Major, Status::UnderBump));
    report.upper = Some(Box::new(upper));
    assert!(!report.accepted());
    assert!(report.refusal().starts_with("m 1.1.0 conflicts with the next higher release 1.2.0: the changes from 1.1.0 to 1.2.0 need a major bump"), "{}", report.refusal());

    // The same release with the contract of both neighbours: nothing to say.
    let same = compare_with_upper(&module("1.1.0", X, Y, ""), &above, &Options::default()).unwrap();
    assert_eq!((same.status, same.findings.len(), same.notes.len()), (Status::Accepted, 0, 0));
}
