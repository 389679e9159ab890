//! The contract-aware semver gate: compares a new release of a package with
//! the one before it and says which version bump the change needs, finding
//! by finding, and whether the new version number is enough.
//!
//! Semver here covers contracts (the design's "contract compatibility is
//! part of the version contract"):
//!
//! | change | bump |
//! |---|---|
//! | output added; input added with a default its contract accepts | minor |
//! | input added without a default (or with one its contract refuses) | major |
//! | port removed or renamed, direction or type changed (a record whose fields changed) | major |
//! | input contract weaker (accepts more) / output contract stronger on the old input domain | minor |
//! | input contract stronger / output contract weaker | major, with a counterexample |
//! | contract rewritten, same meaning | patch |
//! | stack, heap or WCET bound larger, or removed | major |
//! | bound smaller (or added) | patch |
//! | effect added (or effects no longer declared) | major |
//! | effect removed | patch |
//! | metadata, dependencies | patch |
//!
//! A contract comparison Z3 cannot decide (a timeout, an encoding it does
//! not support) is a finding with verdict `unknown`: the gate fails closed
//! and refuses the release whatever its version, saying why. Contracts that
//! do not parse or type-check, and contracts no value can satisfy, are
//! input errors (also on a first release, which has nothing to compare).
//!
//! Version bookkeeping ([`version`]): the new version must be above the
//! baseline (the highest non-prerelease release below it, yanked or not),
//! and its step must be at least the required bump in Cargo's
//! compatibility classes (for `0.y.z`, the minor number acts as the major
//! one). Too small a step is refused with the version needed; a larger one
//! is accepted with a note.
//!
//! A release published below one that exists already (a backport, a
//! middle release) is also compared with that *upper neighbour* (the
//! lowest non-prerelease release above it, yanked or not), in the other
//! direction: the upper neighbour's step over the new version must cover
//! the changes from the new release to it ([`compare_with_upper`]). So the
//! releases of a package, in version order, are always each a correct step
//! from the one before: inserting one between two checks both new pairs.
//!
//! - [`interface`]: manifest to checked [`Interface`], errors with locations.
//! - [`compare`]: the findings.
//! - [`version`]: bump arithmetic and the baseline.
//! - [`report`]: the report as text and JSON.
//!
//! ```
//! use std::path::Path;
//! use torc_engine::gate::{self, version::Bump};
//! use torc_engine::manifest::parse_torc_toml;
//!
//! let release = |version: &str, output: &str| {
//!     let text = format!(
//!         "[module]\nname = \"m\"\nversion = \"{version}\"\n[module.interfaces]\ninputs = [{{ name = \"x\", type = \"Float<32>\", contract = \"finite(value)\" }}]\noutputs = [{output}]\n"
//!     );
//!     parse_torc_toml(Path::new("torc.toml"), &text).unwrap()
//! };
//! let old = release("1.0.0", r#"{ name = "y", type = "Float<32>", contract = "true" }"#);
//! let new = release(
//!     "1.0.1",
//!     r#"{ name = "y", type = "Float<32>", contract = "true" }, { name = "z", type = "Bool" }"#,
//! );
//! let report = gate::compare(&old, &new, &gate::Options::default()).unwrap();
//! assert_eq!(report.required, Bump::Minor); // a new output
//! assert!(!report.accepted());              // 1.0.1 is only a patch
//! assert_eq!(report.next_version.to_string(), "1.1.0");
//! ```

pub mod compare;
pub mod interface;
pub mod report;
pub mod version;

pub use compare::{Finding, FindingKind, FindingVerdict, Witness};
pub use version::Bump;

use crate::error::{Error, Location, Result};
use crate::package::{Manifest, PackageKind};
use semver::Version;
use std::cmp::Ordering;
use torc_contracts::interface::Interface;
use torc_solver::semver::cmp_precedence;

/// How the gate runs Z3.
pub type Options = torc_contracts::prove::Options;

/// What the gate decided about a release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub package: String,
    pub kind: PackageKind,
    /// The release compared with; `None` for a first release.
    pub baseline: Option<Version>,
    /// The new release's version.
    pub version: Version,
    /// Every change, in port order, then bounds and effects.
    pub findings: Vec<Finding>,
    /// The largest bump the findings need (patch when there are none).
    pub required: Bump,
    /// The step from the baseline to `version`; `None` when there is no
    /// baseline or `version` is not above it.
    pub actual: Option<Bump>,
    pub status: Status,
    /// The smallest version after the baseline that the changes allow (the
    /// version itself for a first release).
    pub next_version: Version,
    /// Remarks that are not findings (an over-bump, a kind without an
    /// interface, the 0.x rule).
    pub notes: Vec<String>,
    /// The next higher release already published, compared with this one
    /// as its baseline ([`compare_with_upper`]); `None` when there is none.
    /// [`Report::accepted`] needs both verdicts.
    pub upper: Option<Box<Report>>,
}

/// The verdict on the version number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Nothing published below: nothing to compare.
    FirstRelease,
    /// The step is exactly what the changes need.
    Accepted,
    /// The step is larger than needed: accepted, with a note.
    OverBump,
    /// The step is too small: refused.
    UnderBump,
    /// The version is the baseline's: refused.
    SameVersion,
    /// The version is below the baseline: refused.
    LowerVersion,
    /// Z3 could not decide a contract change: refused (fail closed).
    Undecided,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::FirstRelease => "first-release",
            Status::Accepted => "accepted",
            Status::OverBump => "over-bump",
            Status::UnderBump => "under-bump",
            Status::SameVersion => "same-version",
            Status::LowerVersion => "lower-version",
            Status::Undecided => "undecided",
        }
    }

    pub fn accepted(self) -> bool {
        matches!(self, Status::FirstRelease | Status::Accepted | Status::OverBump)
    }
}

impl Report {
    /// Whether the version is right for the changes from the baseline and,
    /// when there is an upper neighbour, for the changes to it.
    pub fn accepted(&self) -> bool {
        self.status.accepted() && self.upper.as_ref().is_none_or(|upper| upper.accepted())
    }

    /// Why the release is refused, in one line (empty when it is not).
    pub fn refusal(&self) -> String {
        if self.status.accepted() {
            if let Some(upper) = self.upper.as_ref().filter(|u| !u.accepted()) {
                return upper.upper_refusal();
            }
        }
        let head = format!("{} {}", self.package, self.version);
        match (self.status, &self.baseline, self.actual) {
            (Status::UnderBump, Some(baseline), Some(actual)) => format!(
                "{head} is a {actual} bump from {baseline}, but the changes need {} (required: {})",
                self.required, self.next_version
            ),
            (Status::SameVersion, Some(baseline), _) => {
                format!("{head} is not above {baseline}, the release it is compared with")
            }
            (Status::LowerVersion, Some(baseline), _) => format!("{head} is lower than {baseline}"),
            (Status::Undecided, _, _) => {
                let n = self.findings.iter().filter(|f| f.verdict == FindingVerdict::Unknown).count();
                let changes = if n == 1 { "change" } else { "changes" };
                format!("{head}: Z3 could not decide {n} contract {changes}, and the gate fails closed")
            }
            _ => String::new(),
        }
    }
}

impl Report {
    /// Why a release conflicts with its upper neighbour; `self` is the
    /// comparison of the new release (the baseline) with that neighbour.
    fn upper_refusal(&self) -> String {
        let (Some(new), upper) = (&self.baseline, &self.version) else { return String::new() };
        let name = &self.package;
        match (self.status, self.actual) {
            (Status::UnderBump, Some(actual)) => format!(
                "{name} {new} conflicts with the next higher release {upper}: the changes from {new} to {upper} need a {} bump, but {upper} is only a {actual} step above {new} (make {new} compatible with {upper}, or publish it above {upper} with the bump its changes from {upper} need)",
                self.required
            ),
            (Status::Undecided, _) => {
                let n = self.findings.iter().filter(|f| f.verdict == FindingVerdict::Unknown).count();
                let changes = if n == 1 { "change" } else { "changes" };
                format!("{name} {new}: Z3 could not decide {n} contract {changes} between it and the next higher release {upper}, and the gate fails closed")
            }
            (status, _) => format!("{name} {new} against the next higher release {upper}: {}", status.as_str()),
        }
    }
}

/// Checks one release's contracts on their own: every type, contract and
/// default parses and type-checks, and no contract is unsatisfiable.
/// `None` for kinds without an interface.
pub fn check(manifest: &Manifest, options: &Options) -> Result<Option<Interface>> {
    let interface = interface::check(manifest)?;
    if let Some(checked) = &interface {
        interface::check_satisfiable(manifest, checked, options)?;
    }
    Ok(interface)
}

/// The gate on `new` against `old`: both interfaces are checked (the new
/// one also for satisfiability), every change becomes a finding, and the
/// version step is judged.
pub fn compare(old: &Manifest, new: &Manifest, options: &Options) -> Result<Report> {
    if old.name != new.name {
        return Err(Error::input(
            Location::new(&new.file, 1, 1, ""),
            format!("cannot compare two packages: `{}` ({}) and `{}`", old.name, old.file.display(), new.name),
        ));
    }
    let old_interface = interface::check(old)?;
    let new_interface = check(new, options)?;
    let pair = compare::Pair { old, new, old_interface: old_interface.as_ref(), new_interface: new_interface.as_ref() };
    let (findings, notes) = compare::findings(&pair, options);
    Ok(evaluate(new, Some(&old.version), findings, notes))
}

/// The gate between a new release `new` and `upper`, the next higher
/// release already published: `upper`'s step over `new` must cover the
/// changes from `new` to `upper`. The report has `new` as its baseline and
/// `upper` as its version. Both interfaces are parsed and type-checked;
/// satisfiability is not checked again (`upper`'s was when it was
/// published, `new`'s by the comparison with its baseline, which
/// [`crate::project::publish_gate`] runs first). Notes about an over-bump
/// say nothing here and are dropped.
pub fn compare_with_upper(new: &Manifest, upper: &Manifest, options: &Options) -> Result<Report> {
    if new.name != upper.name {
        return Err(Error::input(
            Location::new(&upper.file, 1, 1, ""),
            format!("cannot compare two packages: `{}` ({}) and `{}`", new.name, new.file.display(), upper.name),
        ));
    }
    let new_interface = interface::check(new)?;
    let upper_interface = interface::check(upper)?;
    let pair = compare::Pair {
        old: new,
        new: upper,
        old_interface: new_interface.as_ref(),
        new_interface: upper_interface.as_ref(),
    };
    let (findings, notes) = compare::findings(&pair, options);
    let mut report = evaluate(upper, Some(&new.version), findings, notes);
    if report.status == Status::OverBump {
        report.status = Status::Accepted;
    }
    if report.accepted() {
        report.notes.clear();
    }
    Ok(report)
}

/// The gate on a first release: contracts are checked, nothing compared.
pub fn first_release(new: &Manifest, options: &Options) -> Result<Report> {
    check(new, options)?;
    Ok(evaluate(new, None, Vec::new(), Vec::new()))
}

/// Judges `new`'s version against `baseline` given the findings.
fn evaluate(new: &Manifest, baseline: Option<&Version>, findings: Vec<Finding>, mut notes: Vec<String>) -> Report {
    let required = compare::required(&findings);
    let version = new.version.clone();
    let mut report = Report {
        package: new.name.clone(),
        kind: new.kind,
        baseline: baseline.cloned(),
        version: version.clone(),
        required,
        actual: None,
        status: Status::FirstRelease,
        next_version: version.clone(),
        notes: Vec::new(),
        findings,
        upper: None,
    };
    let Some(baseline) = baseline else {
        report.notes = notes;
        return report;
    };
    report.next_version = version::next_version(baseline, required);
    report.actual = version::bump_between(baseline, &version);
    let needed = version::effective(required, baseline);
    report.status = match (cmp_precedence(&version, baseline), report.actual) {
        (Ordering::Equal, _) => Status::SameVersion,
        (Ordering::Less, _) | (_, None) => Status::LowerVersion,
        _ if report.findings.iter().any(|f| f.verdict == FindingVerdict::Unknown) => Status::Undecided,
        (_, Some(actual)) if actual < needed => Status::UnderBump,
        (_, Some(actual)) if actual > needed => Status::OverBump,
        _ => Status::Accepted,
    };
    // The shifted classes only matter when the changes are more than a
    // patch, or when the step is refused.
    if version::is_zero_line(baseline) && (required > Bump::Patch || !report.status.accepted()) {
        notes.push(if baseline.minor == 0 {
            "0.0.z: every release is a major step (as in Cargo, ^0.0.z matches one version)".to_owned()
        } else {
            "0.y.z: the minor number acts as the major one, the patch number as the minor one (as in Cargo)".to_owned()
        });
    }
    if report.status == Status::OverBump {
        notes.push(format!("{version} is more than the changes need: {} would do", report.next_version));
    }
    report.notes = notes;
    report
}

#[cfg(test)]
mod tests;
