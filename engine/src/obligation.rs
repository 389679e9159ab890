//! One result type for every obligation `torc verify` discharges: the
//! contracts at module boundaries (wires) and the obligations of each
//! module's graph. Both are discharged by the same [`SearchProver`] (proof
//! cache, the tree's lemma index, then Z3) under the root's trust policy
//! for axioms, are located in a file by a [`SourceLocation`], and are
//! counted once, together, by [`Coverage`].

use crate::package::Manifest;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use torc_contracts::prove::Outcome;
use torc_contracts::term::Term;
use torc_proofs::search::{AxiomUse, SearchProver};

pub use torc_graph::obligations::Status;

/// Where an obligation comes from: 1-based line and column in `file`.
/// Reports keep it structured; only text rendering joins it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceLocation {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl SourceLocation {
    pub fn new(file: impl Into<PathBuf>, line: usize, column: usize) -> Self {
        SourceLocation { file: file.into(), line: line.max(1), column: column.max(1) }
    }
}

impl fmt::Display for SourceLocation {
    /// `graph.toml:12`, as text reports show it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// A boundary obligation's wire, as written in `[[module.connections]]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Wire {
    /// The source as written (`torc-pid.output`, or the constant `0.0`).
    pub from: String,
    pub to: String,
}

/// One obligation, discharged: a wire or a graph obligation.
#[derive(Clone, Debug, Serialize)]
pub struct ObligationResult {
    /// Stable within its module: the graph obligation's id, or
    /// `wire:<target>` for a wire (a target is driven once).
    pub id: String,
    /// `motor-controller v1.2.0`: the module it belongs to.
    pub module: String,
    pub description: String,
    pub location: SourceLocation,
    /// For a boundary obligation: its wire (`from`, `to` in the JSON).
    #[serde(flatten)]
    pub wire: Option<Wire>,
    #[serde(flatten)]
    pub status: Status,
    /// A sentence about the outcome when there is more to say than the
    /// status: for a failed wire, the counterexample in the wire's terms.
    pub message: Option<String>,
    /// How it was proved: `lemma clamp_in_range (torc-arithmetic-proofs)`,
    /// `Z3`, `axiom zero (evil-lemmas)`, `cache (...)`; none when it was not.
    pub method: Option<String>,
    /// The axioms its proof rests on (status `proved`), or that would have
    /// proved it and the trust policy refused (status `refused`); empty
    /// for a proof from lemmas and Z3 alone.
    pub axioms: Vec<AxiomUse>,
}

impl ObligationResult {
    /// Proved, and the proof rests on at least one axiom.
    pub fn by_axiom(&self) -> bool {
        matches!(self.status, Status::Proved) && !self.axioms.is_empty()
    }

    /// Proved (possibly through an allowed axiom) or waived: nothing for
    /// a CI job to fail on.
    pub fn holds(&self) -> bool {
        matches!(self.status, Status::Proved | Status::Waived { .. })
    }
}

/// What the prover made of one obligation, before waivers.
#[derive(Clone, Debug)]
pub struct Discharge {
    pub status: Status,
    /// How, when proved.
    pub method: Option<String>,
    pub axioms: Vec<AxiomUse>,
}

/// Proves `assumptions => goal` with `prover` (cache, lemmas, Z3). An
/// obligation only refused axioms prove is [`Status::Refused`], with the
/// axioms and `root`'s setting that refuses them.
pub fn discharge(prover: &SearchProver, root: &Manifest, assumptions: &[Term], goal: &Term) -> Discharge {
    let found = prover.search(assumptions, goal);
    let (mut method, mut axioms) = (None, Vec::new());
    if let Some(witness) = &found.witness {
        let how = witness.method();
        method = Some(if found.cached { format!("cache ({how})") } else { how });
        axioms = witness.axioms();
    }
    let status = match found.outcome {
        Outcome::Valid => Status::Proved,
        outcome if !found.refused_axioms.is_empty() => {
            axioms = found.refused_axioms.clone();
            Status::Refused { reason: refusal(root, &found.refused_axioms, outcome) }
        }
        Outcome::Invalid(counterexample) => Status::Failed { counterexample },
        Outcome::Unknown(reason) => Status::Unknown { reason },
    };
    if !matches!(status, Status::Proved) {
        method = None;
    }
    if !matches!(status, Status::Proved | Status::Refused { .. }) {
        axioms.clear();
    }
    Discharge { status, method, axioms }
}

/// Why an obligation only axioms prove is refused: the axioms, the trust
/// setting (and where it comes from), and what the search found without
/// them.
fn refusal(root: &Manifest, axioms: &[AxiomUse], without: Outcome) -> String {
    let setting = match (root.trust.as_ref().and_then(|t| t.allow_axioms), root.integrity_level()) {
        (Some(_), _) => "[trust] allow-axioms = false".to_owned(),
        (None, Some(level)) => {
            format!("[trust] allow-axioms = false (the default for a project that claims max-integrity-level {level})")
        }
        (None, None) => "[trust] allow-axioms = false".to_owned(),
    };
    let without = match without {
        Outcome::Valid => "proved".to_owned(),
        Outcome::Invalid(cx) => format!("refuted, counterexample: {cx}"),
        Outcome::Unknown(reason) => format!("not decided: {reason}"),
    };
    let (noun, pronoun) = if axioms.len() == 1 { ("axiom", "it") } else { ("axioms", "them") };
    format!(
        "proved only by {noun} {} (trusted without a proof), and {setting} refuses axioms; without {pronoun}: {without}",
        axioms.iter().map(|a| format!("{} ({} {})", a.name, a.library, a.version)).collect::<Vec<_>>().join(", ")
    )
}

/// Every obligation of a tree, counted once: the design's
/// `verification-coverage`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Coverage {
    /// Proved from Z3 and lemmas alone.
    pub proved: usize,
    /// Proved through at least one axiom the project allows: not counted
    /// as verified.
    pub by_axiom: usize,
    /// Proved only through axioms the project's trust policy refuses.
    pub refused: usize,
    pub waived: usize,
    pub failed: usize,
    pub unknown: usize,
    pub total: usize,
    /// The root module's `[module.safety] verification-coverage`, if it
    /// declares one.
    pub declared: Option<u8>,
}

impl Coverage {
    /// Counts `obligations`, each in exactly one class.
    pub fn of<'a>(obligations: impl IntoIterator<Item = &'a ObligationResult>, declared: Option<u8>) -> Coverage {
        let mut c = Coverage { declared, ..Coverage::default() };
        for o in obligations {
            c.total += 1;
            match &o.status {
                Status::Proved if o.axioms.is_empty() => c.proved += 1,
                Status::Proved => c.by_axiom += 1,
                Status::Refused { .. } => c.refused += 1,
                Status::Waived { .. } => c.waived += 1,
                Status::Failed { .. } => c.failed += 1,
                Status::Unknown { .. } => c.unknown += 1,
            }
        }
        c
    }

    /// `proved` in percent of `total`; none when there is nothing to
    /// verify (an empty set verifies nothing, so it has no coverage).
    pub fn percent(&self) -> Option<f64> {
        (self.total > 0).then(|| self.proved as f64 * 100.0 / self.total as f64)
    }

    /// Whether the declared coverage is met: none when none is declared.
    /// An empty set meets no positive claim.
    pub fn claim_met(&self) -> Option<bool> {
        let declared = self.declared?;
        Some(match self.percent() {
            Some(percent) => percent + 1e-9 >= f64::from(declared),
            None => declared == 0,
        })
    }
}

/// An axiom a tree's proofs rest on, with the ids of those obligations;
/// `refused` when the trust policy refused it (those obligations are not
/// verified).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AxiomReport {
    pub name: String,
    pub library: String,
    pub version: String,
    pub obligations: Vec<String>,
    pub refused: bool,
}

/// The axioms `obligations`' proofs used (or would have, when refused),
/// sorted, each once.
pub fn axioms_used<'a>(obligations: impl IntoIterator<Item = &'a ObligationResult>) -> Vec<AxiomReport> {
    let mut used: BTreeMap<AxiomUse, (Vec<String>, bool)> = BTreeMap::new();
    for o in obligations {
        for axiom in &o.axioms {
            let entry = used.entry(axiom.clone()).or_default();
            entry.0.push(o.id.clone());
            entry.1 |= matches!(o.status, Status::Refused { .. });
        }
    }
    used.into_iter()
        .map(|(a, (obligations, refused))| AxiomReport {
            name: a.name,
            library: a.library,
            version: a.version,
            obligations,
            refused,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use torc_contracts::prove::Counterexample;

    fn result(status: Status, axioms: &[&str]) -> ObligationResult {
        ObligationResult {
            id: "o".into(),
            module: "m v1.0.0".into(),
            description: String::new(),
            location: SourceLocation::new("graph.toml", 3, 1),
            wire: None,
            status,
            message: None,
            method: None,
            axioms: axioms
                .iter()
                .map(|a| AxiomUse { name: (*a).into(), library: "l".into(), version: "1.0.0".into() })
                .collect(),
        }
    }

    #[test]
    fn every_obligation_is_counted_in_exactly_one_class() {
        let all = [
            result(Status::Proved, &[]),
            result(Status::Proved, &["zero"]),
            result(Status::Refused { reason: String::new() }, &["zero"]),
            result(Status::Waived { justification: String::new(), approved_by: String::new() }, &[]),
            result(Status::Failed { counterexample: Counterexample { assignments: Vec::new() } }, &[]),
            result(Status::Unknown { reason: String::new() }, &[]),
        ];
        let c = Coverage::of(&all, Some(50));
        assert_eq!((c.proved, c.by_axiom, c.refused, c.waived, c.failed, c.unknown, c.total), (1, 1, 1, 1, 1, 1, 6));
        assert_eq!(c.claim_met(), Some(false));
        assert_eq!(Coverage::of(&[], Some(10)).claim_met(), Some(false), "an empty set meets no positive claim");
        assert_eq!(Coverage::of(&[], None).percent(), None);
    }

    #[test]
    fn a_location_serialises_as_a_structure_and_shows_as_file_and_line() {
        let at = SourceLocation::new("graph.toml", 12, 0);
        assert_eq!(at.to_string(), "graph.toml:12");
        assert_eq!(
            serde_json::to_value(&at).unwrap(),
            serde_json::json!({ "file": "graph.toml", "line": 12, "column": 1 })
        );
    }
}
