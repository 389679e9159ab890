//! The gate's [`Report`] as people and programs read it, in the manner of
//! cargo-semver-checks and `elm diff`: one finding per line with the bump
//! it needs, a counterexample under a breaking contract change, and a
//! summary with the required bump and the verdict.
//!
//! ```text
//! Comparing torc-pid 1.0.3 -> 1.1.0
//!   major  output `output`: contract weakened (an output contract may only get stronger)
//!          output = 1.5 with config.out_max = 1.0, config.out_min = 0.0 is allowed by 1.1.0 but 1.0.3 guaranteed in_range(config.out_min, config.out_max)
//!   minor  output `saturated`: added
//!   patch  stack: <= 288 bytes -> <= 256 bytes (smaller)
//! Required: major (next version 2.0.0); 1.1.0 is a minor bump: refused.
//! ```
//!
//! The JSON form is stable (keys and names are part of the interface):
//! `package`, `kind`, `baseline` (or null), `version`, `required`
//! (`major`, `minor`, `patch`), `actual` (or null), `accepted`, `status`,
//! `next_version`, `note` (or null), `notes`, and `findings`, each with
//! `port` (or null), `kind`, `rule`, `verdict`, `required`, `message`,
//! `counterexample` (name to value, or null) and `explanation` (the
//! counterexample as a sentence, or null); and `upper`, the comparison
//! with the next higher release already published (the same keys, its
//! `baseline` being the new version), or null. `status` is the verdict
//! against the baseline; `accepted` needs both.
//!
//! A release inserted below an existing one shows that comparison only
//! when it finds something:
//!
//! ```text
//! Comparing pid 1.0.0 -> 1.1.0
//!   minor  output `output`: contract strengthened (guarantees more): `in_range(0.0, 1.0)` -> `in_range(0.0, 0.5)`
//! Comparing pid 1.1.0 -> 1.2.0 (the next higher release, already published)
//!   major  output `output`: contract weakened (an output contract may only get stronger)
//!          output = 0.50000006 is allowed by 1.2.0 but 1.1.0 guaranteed in_range(0.0, 0.5)
//! Required: minor (next version 1.1.0); 1.1.0 is a minor bump: accepted.
//! Next higher release 1.2.0: the changes from 1.1.0 to it need major, but it is a minor step: refused.
//! ```

use super::{Report, Status};
use crate::package::PackageKind;
use serde_json::{json, Map, Value};
use std::fmt::Write;

/// The header, one line per finding (and its counterexample), and the
/// notes; no summary.
pub fn render_findings(report: &Report) -> String {
    let mut out = String::new();
    match &report.baseline {
        Some(baseline) => {
            let _ = writeln!(out, "Comparing {} {baseline} -> {}", report.package, report.version);
        }
        None => {
            let _ = writeln!(out, "{} {}: first release", report.package, report.version);
        }
    }
    if report.findings.is_empty() && report.baseline.is_some() && report.kind == PackageKind::Module {
        out.push_str("  no change to ports, contracts, resource bounds or effects\n");
    }
    for finding in &report.findings {
        let label = match finding.verdict {
            super::FindingVerdict::Unknown => "unknown",
            _ => finding.required.as_str(),
        };
        let _ = writeln!(out, "  {label:<5}  {}", finding.message);
        if let Some(witness) = &finding.counterexample {
            let _ = writeln!(out, "         {}", witness.sentence);
        }
    }
    for note in &report.notes {
        let _ = writeln!(out, "note: {note}");
    }
    if let Some(upper) = report.upper.as_ref().filter(|u| !u.findings.is_empty() || !u.accepted()) {
        let mut block = render_findings(upper);
        if let Some(end) = block.find('\n') {
            block.insert_str(end, " (the next higher release, already published)");
        }
        out.push_str(&block);
    }
    out
}

/// The verdict: `Required: major (next version 2.0.0); 1.1.0 is a minor
/// bump: refused.`, and a second line on the next higher release when
/// there is one.
pub fn summary(report: &Report) -> String {
    let mut line = baseline_summary(report);
    if let Some(upper) = &report.upper {
        line.push('\n');
        line.push_str(&upper_summary(upper));
    }
    line
}

/// `upper` is the comparison of the new release (its baseline) with the
/// next higher one (its version).
fn upper_summary(upper: &Report) -> String {
    let head = format!("Next higher release {}", upper.version);
    let new = upper.baseline.as_ref().map(ToString::to_string).unwrap_or_default();
    match (upper.status, upper.actual) {
        (Status::Accepted | Status::OverBump, Some(actual)) => format!(
            "{head}: the changes from {new} to it need {}, and it is a {actual} step: compatible.",
            upper.required
        ),
        (Status::UnderBump, Some(actual)) => format!(
            "{head}: the changes from {new} to it need {}, but it is a {actual} step: refused.",
            upper.required
        ),
        (Status::Undecided, _) => {
            let n = upper.findings.iter().filter(|f| f.verdict == super::FindingVerdict::Unknown).count();
            let changes = if n == 1 { "change" } else { "changes" };
            format!("{head}: Z3 could not decide {n} contract {changes} from {new} to it, and the gate fails closed: refused.")
        }
        (status, _) => format!("{head}: {}.", status.as_str()),
    }
}

fn baseline_summary(report: &Report) -> String {
    let version = &report.version;
    let required = format!("Required: {} (next version {})", report.required, report.next_version);
    match (report.status, &report.baseline, report.actual) {
        (Status::FirstRelease, _, _) => "First release: nothing to compare; contracts checked: accepted.".to_owned(),
        (Status::Accepted, _, Some(actual)) => format!("{required}; {version} is a {actual} bump: accepted."),
        (Status::OverBump, _, Some(actual)) => {
            format!("{required}; {version} is a {actual} bump: accepted (more than needed).")
        }
        (Status::UnderBump, _, Some(actual)) => format!("{required}; {version} is a {actual} bump: refused."),
        (Status::SameVersion, Some(baseline), _) => format!("{required}; {version} is not above {baseline}: refused."),
        (Status::LowerVersion, Some(baseline), _) => {
            format!("{required}; {version} is lower than {baseline}: refused.")
        }
        (Status::Undecided, _, _) => {
            let n = report.findings.iter().filter(|f| f.verdict == super::FindingVerdict::Unknown).count();
            let changes = if n == 1 { "change" } else { "changes" };
            format!(
                "Required: at least {} (next version {}); refused: Z3 could not decide {n} contract {changes}, and the gate fails closed.",
                report.required, report.next_version
            )
        }
        // Unreachable by construction (an accepted step always has a size).
        (status, _, _) => format!("{required}; {}.", status.as_str()),
    }
}

/// The whole report: findings, notes and the summary.
pub fn render_text(report: &Report) -> String {
    let mut out = render_findings(report);
    out.push_str(&summary(report));
    out.push('\n');
    out
}

/// The report as JSON (see the module documentation for the keys).
pub fn to_json(report: &Report) -> Value {
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let counterexample = f.counterexample.as_ref().map(|w| {
                let map: Map<String, Value> =
                    w.assignments.iter().map(|(name, value)| (name.clone(), Value::String(value.clone()))).collect();
                Value::Object(map)
            });
            json!({
                "port": f.port,
                "kind": f.kind.as_str(),
                "rule": f.rule,
                "verdict": f.verdict.as_str(),
                "required": f.required.as_str(),
                "message": f.message,
                "counterexample": counterexample,
                "explanation": f.counterexample.as_ref().map(|w| w.sentence.clone()),
            })
        })
        .collect();
    json!({
        "package": report.package,
        "kind": report.kind.as_str(),
        "baseline": report.baseline.as_ref().map(ToString::to_string),
        "version": report.version.to_string(),
        "required": report.required.as_str(),
        "actual": report.actual.map(|b| b.as_str()),
        "accepted": report.accepted(),
        "status": report.status.as_str(),
        "next_version": report.next_version.to_string(),
        "note": if report.notes.is_empty() { None } else { Some(report.notes.join("; ")) },
        "notes": report.notes,
        "summary": summary(report),
        "findings": findings,
        "upper": report.upper.as_deref().map(to_json),
    })
}
