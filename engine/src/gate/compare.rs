//! The findings: every difference between two releases of a package that a
//! caller could notice, one [`Finding`] each, with the rule it falls under
//! and the bump it needs.
//!
//! Ports are matched by name. A matched port keeps its direction and type
//! or the change is major; then its contract is compared by
//! [`torc_contracts::compat::compare_port`] (an input contract may only get
//! weaker, an output contract only stronger on the old input domain). An
//! unmatched old port is removed, an unmatched new one added; a removed and
//! an added port of the same direction and type read as a rename. Resource
//! bounds are upper bounds: larger or gone is major, smaller is a patch.
//! Effects may only shrink. Metadata and dependencies are not compared.

use super::version::Bump;
use crate::package::{Details, Manifest, Quantity, ResourceBounds};
use serde::Serialize;
use std::collections::BTreeSet;
use torc_contracts::compat::{self, Verdict};
use torc_contracts::interface::{Direction, Interface, Port, PortType};
use torc_contracts::prove::{self, Counterexample};
use torc_contracts::term::{Term, Value};
use torc_solver::semver::cmp_precedence;

/// One difference between two releases.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The port it is about; `None` for resource bounds and effects.
    pub port: Option<String>,
    pub kind: FindingKind,
    /// The rule that decided it, e.g. `output-contract-weakened`.
    pub rule: &'static str,
    pub verdict: FindingVerdict,
    /// What a release must at least be to carry it.
    pub required: Bump,
    /// One line: `output `output`: contract weakened (...)`.
    pub message: String,
    /// For a breaking contract change: values that show it.
    pub counterexample: Option<Witness>,
}

/// What the finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingKind {
    Added,
    Removed,
    Renamed,
    Direction,
    Type,
    Default,
    Contract,
    Resource,
    Effects,
    Kind,
}

/// How a change affects callers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingVerdict {
    /// Some caller can break: major.
    Breaking,
    /// An addition or a stronger guarantee: minor.
    Compatible,
    /// The same meaning, written differently: patch.
    Equivalent,
    /// A better bound or fewer effects: patch.
    Improved,
    /// Z3 could not decide; the gate fails closed.
    Unknown,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Added => "added",
            FindingKind::Removed => "removed",
            FindingKind::Renamed => "renamed",
            FindingKind::Direction => "direction",
            FindingKind::Type => "type",
            FindingKind::Default => "default",
            FindingKind::Contract => "contract",
            FindingKind::Resource => "resource",
            FindingKind::Effects => "effects",
            FindingKind::Kind => "kind",
        }
    }
}

impl FindingVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingVerdict::Breaking => "breaking",
            FindingVerdict::Compatible => "compatible",
            FindingVerdict::Equivalent => "equivalent",
            FindingVerdict::Improved => "improved",
            FindingVerdict::Unknown => "unknown",
        }
    }

    /// The bump a change with this verdict needs. An undecided change is
    /// counted as breaking (and refused anyway).
    pub fn required(self) -> Bump {
        match self {
            FindingVerdict::Breaking | FindingVerdict::Unknown => Bump::Major,
            FindingVerdict::Compatible => Bump::Minor,
            FindingVerdict::Equivalent | FindingVerdict::Improved => Bump::Patch,
        }
    }
}

/// A counterexample as people read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    /// Every assignment Z3 gave (re-checked natively), in name order, values
    /// as written (`1.5`, `-0.0`, `NaN`).
    pub assignments: Vec<(String, String)>,
    /// `output = 1.5 with config.out_max = 1.0 is allowed by 1.1.0 but
    /// 1.0.3 guaranteed in_range(config.out_min, config.out_max)`.
    pub sentence: String,
}

/// Two releases being compared: manifests and, for modules, the checked
/// interfaces.
pub(crate) struct Pair<'a> {
    pub old: &'a Manifest,
    pub new: &'a Manifest,
    pub old_interface: Option<&'a Interface>,
    pub new_interface: Option<&'a Interface>,
}

impl Pair<'_> {
    /// How sentences name the new release: its version, or "the new
    /// release" when it still carries the old one's (`torc bump` on a
    /// package edited since it was published).
    fn new_label(&self) -> String {
        if cmp_precedence(&self.old.version, &self.new.version) == std::cmp::Ordering::Equal {
            "the new release".to_owned()
        } else {
            self.new.version.to_string()
        }
    }
}

/// Every finding, in order: ports in the old release's order (then added
/// ones in the new release's order), resource bounds, effects. Also the
/// notes that are not findings.
pub(crate) fn findings(pair: &Pair<'_>, options: &prove::Options) -> (Vec<Finding>, Vec<String>) {
    let mut out = Vec::new();
    let mut notes = Vec::new();
    if pair.old.kind != pair.new.kind {
        out.push(finding(
            None,
            FindingKind::Kind,
            "kind-changed",
            FindingVerdict::Breaking,
            format!("package kind: {} -> {}", pair.old.kind, pair.new.kind),
        ));
        return (out, notes);
    }
    let (Some(old_interface), Some(new_interface)) = (pair.old_interface, pair.new_interface) else {
        notes.push(format!("no interface to compare for a {} package", pair.new.kind));
        return (out, notes);
    };
    ports(pair, old_interface, new_interface, options, &mut out);
    if let (Details::Module(old), Details::Module(new)) = (&pair.old.details, &pair.new.details) {
        let none = ResourceBounds::default();
        let old = old.resource_bounds.as_ref().unwrap_or(&none);
        let new = new.resource_bounds.as_ref().unwrap_or(&none);
        bound("stack", old.stack, new.stack, &mut out);
        bound("heap", old.heap, new.heap, &mut out);
        bound("wcet", old.wcet, new.wcet, &mut out);
        effects(old, new, &mut out);
    }
    (out, notes)
}

fn finding(
    port: Option<&str>,
    kind: FindingKind,
    rule: &'static str,
    verdict: FindingVerdict,
    message: String,
) -> Finding {
    Finding {
        port: port.map(str::to_owned),
        kind,
        rule,
        verdict,
        required: verdict.required(),
        message,
        counterexample: None,
    }
}

fn ports(pair: &Pair<'_>, old: &Interface, new: &Interface, options: &prove::Options, out: &mut Vec<Finding>) {
    let mut removed: Vec<&Port> = Vec::new();
    for old_port in &old.ports {
        match new.port(&old_port.name) {
            Some(new_port) => matched(pair, old, new, old_port, new_port, options, out),
            None => removed.push(old_port),
        }
    }
    let mut added: Vec<&Port> = new.ports.iter().filter(|p| old.port(&p.name).is_none()).collect();

    // A removed port and an added one of the same direction and type look
    // like a rename; the same contract text decides between candidates.
    for gone in removed {
        let same_kind = |p: &&Port| p.direction == gone.direction && p.ty == gone.ty;
        let candidate = added
            .iter()
            .position(|p| same_kind(p) && normalise(&p.contract_text) == normalise(&gone.contract_text))
            .or_else(|| added.iter().position(same_kind));
        match candidate {
            Some(index) => {
                let to = added.remove(index);
                out.push(finding(
                    Some(&gone.name),
                    FindingKind::Renamed,
                    "port-renamed",
                    FindingVerdict::Breaking,
                    format!(
                        "{} `{}`: removed; looks like a rename of `{}` to `{}` (same direction and type): callers that use `{}` break",
                        gone.direction, gone.name, gone.name, to.name, gone.name
                    ),
                ));
            }
            None => out.push(finding(
                Some(&gone.name),
                FindingKind::Removed,
                "port-removed",
                FindingVerdict::Breaking,
                format!("{} `{}`: removed", gone.direction, gone.name),
            )),
        }
    }

    for port in added {
        match port.direction {
            Direction::Output => out.push(finding(
                Some(&port.name),
                FindingKind::Added,
                "output-added",
                FindingVerdict::Compatible,
                format!("output `{}`: added", port.name),
            )),
            Direction::Input => out.push(added_input(pair, old, new, port, options)),
        }
    }
}

/// A new input breaks every caller unless it has a default that its
/// contract accepts wherever the old inputs could be.
fn added_input(pair: &Pair<'_>, old: &Interface, new: &Interface, port: &Port, options: &prove::Options) -> Finding {
    let Some(default) = port.default else {
        return finding(
            Some(&port.name),
            FindingKind::Added,
            "input-added-without-default",
            FindingVerdict::Breaking,
            format!("input `{}`: added without a default: every caller must now provide it", port.name),
        );
    };
    match compat::default_accepted(old, new, &port.name, options) {
        Verdict::Equivalent | Verdict::Compatible => finding(
            Some(&port.name),
            FindingKind::Added,
            "input-added-with-default",
            FindingVerdict::Compatible,
            format!("input `{}`: added with default {default}, which its contract accepts", port.name),
        ),
        Verdict::Breaking(counterexample) => {
            let mut f = finding(
                Some(&port.name),
                FindingKind::Added,
                "input-added-with-bad-default",
                FindingVerdict::Breaking,
                format!(
                    "input `{}`: added with default {default}, which its contract `{}` does not always accept: callers that omit it break",
                    port.name, port.contract_text
                ),
            );
            let mentioned = mentioned(&[&port.contract], port);
            let head = assignment_list(&counterexample, port, &mentioned, Some(default));
            let sentence =
                format!("{head}: the default is refused by {}'s contract {}", pair.new_label(), port.contract_text);
            f.counterexample = Some(witness(&counterexample, sentence));
            f
        }
        Verdict::Unknown(reason) => undecided(port, &reason),
    }
}

#[allow(clippy::too_many_arguments)]
fn matched(
    pair: &Pair<'_>,
    old: &Interface,
    new: &Interface,
    old_port: &Port,
    new_port: &Port,
    options: &prove::Options,
    out: &mut Vec<Finding>,
) {
    let name = old_port.name.as_str();
    if old_port.direction != new_port.direction {
        out.push(finding(
            Some(name),
            FindingKind::Direction,
            "direction-changed",
            FindingVerdict::Breaking,
            format!("port `{name}`: {} -> {}", old_port.direction, new_port.direction),
        ));
        return;
    }
    let direction = old_port.direction;
    if old_port.ty != new_port.ty {
        match type_change(&old_port.ty, &new_port.ty) {
            Some(change) => {
                out.push(finding(
                    Some(name),
                    FindingKind::Type,
                    "type-changed",
                    FindingVerdict::Breaking,
                    format!("{direction} `{name}`: type {change}"),
                ));
                return;
            }
            None => out.push(finding(
                Some(name),
                FindingKind::Type,
                "record-type-renamed",
                FindingVerdict::Equivalent,
                format!("{direction} `{name}`: record type {} -> {} (the same fields)", old_port.ty, new_port.ty),
            )),
        }
    }
    if direction == Direction::Input {
        default_change(old_port, new_port, out);
    }

    let predicates = changed_predicates(pair, &[&old_port.contract_text, &new_port.contract_text]);
    if old_port.contract == new_port.contract {
        if normalise(&old_port.contract_text) != normalise(&new_port.contract_text) {
            out.push(rewritten(old_port, new_port, &predicates));
        }
        return;
    }
    match compat::compare_port(old, new, name, options) {
        Verdict::Equivalent => out.push(rewritten(old_port, new_port, &predicates)),
        Verdict::Compatible => {
            let (rule, what) = match direction {
                Direction::Input => ("input-contract-weakened", "contract weakened (accepts more)"),
                Direction::Output => ("output-contract-strengthened", "contract strengthened (guarantees more)"),
            };
            out.push(finding(
                Some(name),
                FindingKind::Contract,
                rule,
                FindingVerdict::Compatible,
                format!("{direction} `{name}`: {what}: {}{predicates}", change_text(old_port, new_port)),
            ));
        }
        Verdict::Breaking(counterexample) => {
            let (rule, what) = match direction {
                Direction::Input => {
                    ("input-contract-strengthened", "contract strengthened (an input contract may only get weaker)")
                }
                Direction::Output => {
                    ("output-contract-weakened", "contract weakened (an output contract may only get stronger)")
                }
            };
            let mut f = finding(
                Some(name),
                FindingKind::Contract,
                rule,
                FindingVerdict::Breaking,
                format!("{direction} `{name}`: {what}{predicates}"),
            );
            let mentioned = mentioned(&[&old_port.contract, &new_port.contract], new_port);
            let head = assignment_list(&counterexample, new_port, &mentioned, None);
            let sentence = match direction {
                Direction::Output => format!(
                    "{head} is allowed by {} but {} guaranteed {}",
                    pair.new_label(),
                    pair.old.version,
                    old_port.contract_text
                ),
                Direction::Input => format!(
                    "{head} was accepted by {} but {} requires {}",
                    pair.old.version,
                    pair.new_label(),
                    new_port.contract_text
                ),
            };
            f.counterexample = Some(witness(&counterexample, sentence));
            out.push(f);
        }
        Verdict::Unknown(reason) => out.push(undecided(new_port, &reason)),
    }
}

fn rewritten(old_port: &Port, new_port: &Port, predicates: &str) -> Finding {
    let direction = old_port.direction;
    let name = &old_port.name;
    let message = if normalise(&old_port.contract_text) == normalise(&new_port.contract_text) {
        format!("{direction} `{name}`: contract `{}` rewritten, equivalent{predicates}", new_port.contract_text)
    } else {
        format!(
            "{direction} `{name}`: contract rewritten, equivalent: `{}` -> `{}`{predicates}",
            old_port.contract_text, new_port.contract_text
        )
    };
    finding(Some(name), FindingKind::Contract, "contract-rewritten", FindingVerdict::Equivalent, message)
}

fn undecided(port: &Port, reason: &str) -> Finding {
    finding(
        Some(&port.name),
        FindingKind::Contract,
        "contract-undecided",
        FindingVerdict::Unknown,
        format!(
            "{} `{}`: Z3 could not decide whether the change is compatible ({reason}); the gate fails closed",
            port.direction, port.name
        ),
    )
}

/// A default is part of an input's interface: callers that omit the input
/// get it.
fn default_change(old_port: &Port, new_port: &Port, out: &mut Vec<Finding>) {
    let name = &old_port.name;
    let bits = |v: Option<Value>| v.map(Value::to_term);
    match (old_port.default, new_port.default) {
        (None, None) => {}
        (Some(old), None) => out.push(finding(
            Some(name),
            FindingKind::Default,
            "default-removed",
            FindingVerdict::Breaking,
            format!("input `{name}`: default {old} removed: callers that omit it break"),
        )),
        (None, Some(new)) => out.push(finding(
            Some(name),
            FindingKind::Default,
            "default-added",
            FindingVerdict::Compatible,
            format!("input `{name}`: default {new} added"),
        )),
        (Some(old), Some(new)) if bits(Some(old)) != bits(Some(new)) => out.push(finding(
            Some(name),
            FindingKind::Default,
            "default-changed",
            FindingVerdict::Breaking,
            format!("input `{name}`: default {old} -> {new}: callers that omit it get another value"),
        )),
        (Some(_), Some(_)) => {}
    }
}

/// What changed between two port types, or `None` when only a record's
/// name did (the same fields, in the same order, of the same types).
fn type_change(old: &PortType, new: &PortType) -> Option<String> {
    match (old, new) {
        (PortType::Record { fields: a, .. }, PortType::Record { fields: b, .. }) if a == b => None,
        (PortType::Record { name: old_name, fields: a }, PortType::Record { name: new_name, fields: b }) => {
            let mut changes = Vec::new();
            for (field, ty) in a {
                match b.iter().find(|(f, _)| f == field) {
                    None => changes.push(format!("field `{field}` removed")),
                    Some((_, new_ty)) if new_ty != ty => changes.push(format!("field `{field}`: {ty} -> {new_ty}")),
                    Some(_) => {}
                }
            }
            for (field, ty) in b {
                if !a.iter().any(|(f, _)| f == field) {
                    changes.push(format!("field `{field}: {ty}` added"));
                }
            }
            if changes.is_empty() {
                changes.push("fields reordered".to_owned());
            }
            let names = if old_name == new_name { old_name.clone() } else { format!("{old_name} -> {new_name}") };
            Some(format!("{names} changed: {}", changes.join(", ")))
        }
        _ => Some(format!("{old} -> {new}")),
    }
}

fn bound(what: &str, old: Option<Quantity>, new: Option<Quantity>, out: &mut Vec<Finding>) {
    let (rule_larger, rule_smaller, rule_removed, rule_added) = match what {
        "stack" => ("stack-larger", "stack-smaller", "stack-unbounded", "stack-bounded"),
        "heap" => ("heap-larger", "heap-smaller", "heap-unbounded", "heap-bounded"),
        _ => ("wcet-larger", "wcet-smaller", "wcet-unbounded", "wcet-bounded"),
    };
    let (rule, verdict, message) = match (old, new) {
        (None, None) => return,
        (Some(old), None) => {
            (rule_removed, FindingVerdict::Breaking, format!("{what}: {old} -> unbounded (bound removed)"))
        }
        (None, Some(new)) => {
            (rule_added, FindingVerdict::Improved, format!("{what}: unbounded -> {new} (bound added)"))
        }
        (Some(old), Some(new)) if new.amount > old.amount => {
            (rule_larger, FindingVerdict::Breaking, format!("{what}: {old} -> {new} (larger)"))
        }
        (Some(old), Some(new)) if new.amount < old.amount => {
            (rule_smaller, FindingVerdict::Improved, format!("{what}: {old} -> {new} (smaller)"))
        }
        // A bound is an upper bound: `256 bytes` and `<= 256 bytes` promise the same.
        (Some(_), Some(_)) => return,
    };
    out.push(finding(None, FindingKind::Resource, rule, verdict, message));
}

fn effects(old: &ResourceBounds, new: &ResourceBounds, out: &mut Vec<Finding>) {
    let describe = |set: &BTreeSet<String>| {
        if set.is_empty() {
            "pure".to_owned()
        } else {
            set.iter().cloned().collect::<Vec<_>>().join(", ")
        }
    };
    match (&old.effects, &new.effects) {
        (None, None) => {}
        (Some(old), None) => out.push(finding(
            None,
            FindingKind::Effects,
            "effects-undeclared",
            FindingVerdict::Breaking,
            format!("effects: {} -> undeclared (any effect)", describe(&old.0)),
        )),
        (None, Some(new)) => out.push(finding(
            None,
            FindingKind::Effects,
            "effects-declared",
            FindingVerdict::Improved,
            format!("effects: undeclared -> {}", describe(&new.0)),
        )),
        (Some(old), Some(new)) => {
            for effect in new.0.difference(&old.0) {
                out.push(finding(
                    None,
                    FindingKind::Effects,
                    "effect-added",
                    FindingVerdict::Breaking,
                    format!("effects: `{effect}` added ({} -> {})", describe(&old.0), describe(&new.0)),
                ));
            }
            for effect in old.0.difference(&new.0) {
                out.push(finding(
                    None,
                    FindingKind::Effects,
                    "effect-removed",
                    FindingVerdict::Improved,
                    format!("effects: `{effect}` removed ({} -> {})", describe(&old.0), describe(&new.0)),
                ));
            }
        }
    }
}

/// `; predicate `bounded`: `abs(value) <= 1.0` -> `abs(value) <= 0.5``
/// for every named predicate the contracts use (directly or through other
/// predicates) whose body changed; empty when none did.
fn changed_predicates(pair: &Pair<'_>, contracts: &[&str]) -> String {
    let bodies = |manifest: &Manifest| -> Vec<(String, String)> {
        match &manifest.details {
            Details::Module(module) => module.predicates.iter().map(|p| (p.name.clone(), p.body.clone())).collect(),
            _ => Vec::new(),
        }
    };
    let (old, new) = (bodies(pair.old), bodies(pair.new));
    let body = |list: &[(String, String)], name: &str| list.iter().find(|(n, _)| n == name).map(|(_, b)| b.clone());
    let words = |text: &str| -> Vec<String> {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut pending: Vec<String> = contracts.iter().flat_map(|text| words(text)).collect();
    while let Some(word) = pending.pop() {
        let known = old.iter().chain(&new).any(|(n, _)| *n == word);
        if known && used.insert(word.clone()) {
            for list in [&old, &new] {
                pending.extend(body(list, &word).map(|b| words(&b)).unwrap_or_default());
            }
        }
    }
    let mut out = String::new();
    for name in used {
        let show = |b: Option<String>| b.map_or_else(|| "(none)".to_owned(), |b| format!("`{b}`"));
        let (before, after) = (body(&old, &name), body(&new, &name));
        if before.as_deref().map(normalise) != after.as_deref().map(normalise) {
            out.push_str(&format!("; predicate `{name}`: {} -> {}", show(before), show(after)));
        }
    }
    out
}

/// `` `a` -> `b` ``, or `` `a` `` when only what it expands to changed.
fn change_text(old_port: &Port, new_port: &Port) -> String {
    if normalise(&old_port.contract_text) == normalise(&new_port.contract_text) {
        format!("`{}`", new_port.contract_text)
    } else {
        format!("`{}` -> `{}`", old_port.contract_text, new_port.contract_text)
    }
}

/// Contract text compared without its spacing.
fn normalise(text: &str) -> String {
    text.split_whitespace().collect()
}

/// The variables a sentence shows: the port's own (those the contracts
/// mention; a scalar port's always), then the others the contracts
/// mention, in name order.
fn mentioned(contracts: &[&Term], port: &Port) -> Vec<String> {
    let mut names: BTreeSet<String> = BTreeSet::new();
    for contract in contracts {
        names.extend(contract.vars().into_iter().map(|(name, _)| name));
    }
    let own: Vec<String> = port.vars().into_iter().map(|(name, _)| name).collect();
    let mut ordered: Vec<String> = match &port.ty {
        PortType::Scalar(_) => own.clone(),
        PortType::Record { .. } => own.iter().filter(|v| names.contains(*v)).cloned().collect(),
    };
    ordered.extend(names.into_iter().filter(|n| !own.contains(n)));
    ordered
}

/// `output = 1.5 with config.out_max = 1.0, config.out_min = 0.0`; the
/// port's own value comes first (`own`, when given, overrides it).
fn assignment_list(counterexample: &Counterexample, port: &Port, names: &[String], own: Option<Value>) -> String {
    let value_of = |name: &str| -> Option<String> {
        if let (Some(value), PortType::Scalar(_)) = (own, &port.ty) {
            if name == port.name {
                return Some(value.to_string());
            }
        }
        counterexample.assignments.iter().find(|(n, _)| n == name).map(|(_, v)| v.to_string())
    };
    let parts: Vec<String> =
        names.iter().filter_map(|name| value_of(name).map(|value| format!("{name} = {value}"))).collect();
    match parts.split_first() {
        None => format!("`{}`", port.name),
        Some((first, [])) => first.clone(),
        Some((first, rest)) => format!("{first} with {}", rest.join(", ")),
    }
}

fn witness(counterexample: &Counterexample, sentence: String) -> Witness {
    let mut assignments: Vec<(String, String)> =
        counterexample.assignments.iter().map(|(name, value)| (name.clone(), value.to_string())).collect();
    assignments.sort();
    Witness { assignments, sentence }
}

/// The highest bump the findings need (patch when there are none).
pub(crate) fn required(findings: &[Finding]) -> Bump {
    findings.iter().map(|f| f.required).max().unwrap_or(Bump::Patch)
}
