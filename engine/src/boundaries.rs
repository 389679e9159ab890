//! Contracts at module boundaries: every wire a module declares
//! (`[[module.connections]]`) from a producer's output to a consumer's input
//! is an obligation, `Post_producer => Pre_consumer`, proved for the releases
//! the tree resolved to by the tree's prover (proof cache, lemmas, Z3), as
//! graph obligations are.
//!
//! For a module `M` with connections, the variables are `M`'s own ports
//! (`setpoint`, `gains.kp`) and its dependencies' ports, prefixed with the
//! dependency's name (`torc-pid.output`, `torc-pid.config.out_min`). A wire
//! makes its target the same variable as its source; a constant wire
//! (`value = "0.0"`) fixes its target. Every obligation is then proved under
//! facts that hold in any run of `M`:
//!
//! - `M`'s input contracts (its callers promise them);
//! - for each dependency `D`: `Pre_D => Post_D` (what `D`'s release
//!   guarantees);
//!
//! and the goal is the contract of the wire's target: a dependency's input
//! contract, or one of `M`'s own output contracts when a dependency's output
//! drives it. Because every fact is true of every run, a proved obligation
//! holds; a failed one comes with a counterexample Z3 found and Rust
//! re-checked.

use crate::error::{Error, Result};
use crate::package::{Connection, ConnectionSource, Details, Manifest};
use crate::resolve::Resolved;
use serde::Serialize;
use crate::obligation::{discharge, ObligationResult, SourceLocation, Status, Wire};
use std::collections::{BTreeMap, HashMap};
use torc_contracts::interface::{Direction, Interface};
use torc_contracts::prove::Counterexample;
use torc_proofs::search::SearchProver;
use torc_contracts::term::{CmpOp, Scalar, Term};

/// Every boundary obligation of a resolved tree, in tree order (the root's
/// wires first, then each package's).
#[derive(Clone, Debug, Default, Serialize)]
pub struct BoundaryReport {
    pub obligations: Vec<ObligationResult>,
}

impl BoundaryReport {
    /// Wires proved (through an allowed axiom or not).
    pub fn proved(&self) -> usize {
        self.obligations.iter().filter(|o| o.holds()).count()
    }

    /// The first obligation that did not prove, in tree order.
    pub fn first_failure(&self) -> Option<&ObligationResult> {
        self.obligations.iter().find(|o| !o.holds())
    }

    /// The contract part of `torc tree`'s summary line; `None` when no
    /// module declares connections (nothing was checked).
    pub fn summary(&self) -> Option<String> {
        let total = self.obligations.len();
        if total == 0 {
            return None;
        }
        Some(match self.first_failure() {
            None => format!("All contracts compatible at {total} {}.", if total == 1 { "boundary" } else { "boundaries" }),
            Some(first) => {
                let failing = total - self.proved();
                let why = first.message.as_deref().unwrap_or("not proved");
                let (from, to) = first.wire.as_ref().map_or(("", ""), |w| (w.from.as_str(), w.to.as_str()));
                format!(
                    "Contracts: {failing} of {total} boundaries not compatible (`torc verify` lists them); the first, in {}:\n  {from} -> {to}: {why}\n",
                    first.module
                )
            }
        })
    }
}

/// The manifests of a resolved tree: the root's and each package's, by name.
pub struct TreeManifests<'a> {
    pub root: &'a Manifest,
    pub packages: &'a HashMap<String, Manifest>,
}

/// Checks every connection of every module in the tree with `prover` (the
/// proof cache, the tree's lemmas, Z3), under the root's trust policy for
/// axioms, as graph obligations are.
pub fn check(resolved: &Resolved, manifests: &TreeManifests<'_>, prover: &SearchProver) -> Result<BoundaryReport> {
    // (declaring manifest, its label, its resolved dependencies by name)
    let mut modules: Vec<(&Manifest, String, BTreeMap<&str, &Manifest>)> = Vec::new();
    let root_deps = resolved
        .root
        .dependencies
        .iter()
        .filter_map(|e| {
            let p = &resolved.packages[e.package];
            manifests.packages.get(&p.name).map(|m| (p.name.as_str(), m))
        })
        .collect();
    modules.push((manifests.root, format!("{} v{}", resolved.root.name, resolved.root.version), root_deps));
    for package in &resolved.packages {
        let Some(manifest) = manifests.packages.get(&package.name) else { continue };
        let deps = package
            .dependencies
            .iter()
            .filter_map(|&d| {
                let p = &resolved.packages[d];
                manifests.packages.get(&p.name).map(|m| (p.name.as_str(), m))
            })
            .collect();
        modules.push((manifest, format!("{} v{}", package.name, package.version), deps));
    }

    let mut jobs = Vec::new();
    for (manifest, label, deps) in &modules {
        let Details::Module(details) = &manifest.details else { continue };
        if details.connections.is_empty() {
            continue;
        }
        let wiring = Wiring::build(manifest, deps)?;
        for (connection, goal) in details.connections.iter().zip(&wiring.goals) {
            jobs.push((label.clone(), &manifest.file, connection, goal.clone(), wiring.assumptions.clone()));
        }
    }
    let obligations = jobs
        // In order, as graph obligations are: two wires with the same
        // obligation then always give the same report (the second is a
        // cache hit), whatever the scheduling.
        .into_iter()
        .map(|(module, file, connection, goal, assumptions)| {
            let from = match &connection.source {
                ConnectionSource::Port(p) => p.clone(),
                ConnectionSource::Constant(c) => c.clone(),
            };
            let done = discharge(prover, manifests.root, &assumptions, &goal.term);
            let message = match &done.status {
                Status::Failed { counterexample } => Some(sentence(counterexample, &from, &goal)),
                Status::Unknown { reason } => Some(format!("Z3 could not decide: {reason}")),
                Status::Refused { reason } => Some(reason.clone()),
                Status::Proved | Status::Waived { .. } => None,
            };
            ObligationResult {
                id: format!("wire:{}", connection.to),
                module,
                description: format!("wire {from} -> {}", connection.to),
                location: SourceLocation::new(file, connection.line, 1),
                wire: Some(Wire { from, to: connection.to.clone() }),
                status: done.status,
                message,
                method: done.method,
                axioms: done.axioms,
            }
        })
        .collect();
    Ok(BoundaryReport { obligations })
}

/// The goal of one wire: its target's contract, and whose it is.
#[derive(Clone, Debug)]
struct Goal {
    term: Term,
    /// `torc-hal 0.6.2 requires in_range(0.0, 1.0)`.
    requirement: String,
    /// The variables of the wire's source, shown first in a counterexample.
    source_vars: Vec<String>,
}

/// A module's connections turned into facts and goals.
struct Wiring {
    assumptions: Vec<Term>,
    goals: Vec<Goal>,
}

/// A resolved endpoint: whose port, which scalar variables.
struct Endpoint<'m> {
    /// `None`: the declaring module's own port.
    dependency: Option<&'m str>,
    direction: Direction,
    /// (variable name in the wiring's namespace, type), in field order.
    vars: Vec<(String, Scalar)>,
    /// The port's name within its module.
    port: String,
}

impl Wiring {
    fn build(manifest: &Manifest, deps: &BTreeMap<&str, &Manifest>) -> Result<Wiring> {
        let Details::Module(details) = &manifest.details else {
            return Ok(Wiring { assumptions: Vec::new(), goals: Vec::new() });
        };
        let own = crate::gate::interface::check(manifest)?;
        let mut interfaces: BTreeMap<&str, (Interface, &Manifest)> = BTreeMap::new();
        for (name, dep) in deps {
            if let Some(interface) = crate::gate::interface::check(dep)? {
                interfaces.insert(name, (interface, dep));
            }
        }
        let own = own.unwrap_or_default();
        let at = |c: &Connection, key: &str, message: String| {
            Error::input(manifest.location(c.line, 1, format!("module.connections.{key}")), message)
        };

        let resolve_endpoint = |c: &Connection, text: &str, key: &str| -> Result<Endpoint<'_>> {
            let segments: Vec<&str> = text.split('.').collect();
            let (dependency, interface, rest) = match interfaces.get_key_value(segments[0]) {
                Some((name, (interface, _))) => (Some(*name), interface, &segments[1..]),
                None if deps.contains_key(segments[0]) => {
                    return Err(at(c, key, format!("`{}` is not a graph module, so it has no ports", segments[0])))
                }
                None => (None, &own, &segments[..]),
            };
            let Some(port_name) = rest.first() else {
                return Err(at(c, key, format!("`{text}` names a dependency, not one of its ports")));
            };
            let Some(port) = interface.port(port_name) else {
                let whose = dependency.map_or_else(|| "this module".to_owned(), |d| format!("`{d}`"));
                let known: Vec<&str> = interface.ports.iter().map(|p| p.name.as_str()).collect();
                return Err(at(
                    c,
                    key,
                    format!("{whose} has no port `{port_name}` (its ports: {})", known.join(", ")),
                ));
            };
            let prefix = dependency.map_or_else(String::new, |d| format!("{d}."));
            let all = port.vars();
            let vars = match (rest.get(1), rest.len()) {
                (None, _) => all,
                (Some(field), 2) => {
                    let name = format!("{port_name}.{field}");
                    match all.iter().find(|(v, _)| *v == name) {
                        Some(found) => vec![found.clone()],
                        None => {
                            return Err(at(c, key, format!("port `{port_name}` ({}) has no field `{field}`", port.ty)))
                        }
                    }
                }
                _ => return Err(at(c, key, format!("`{text}`: record fields are one level deep"))),
            };
            let vars = vars.into_iter().map(|(v, ty)| (format!("{prefix}{v}"), ty)).collect();
            Ok(Endpoint { dependency, direction: port.direction, vars, port: port_name.to_string() })
        };

        // Targets become their sources: one alias per target variable.
        let mut alias: HashMap<String, String> = HashMap::new();
        let mut constants: Vec<Term> = Vec::new();
        let mut targets: Vec<Endpoint<'_>> = Vec::new();
        let mut driven: HashMap<String, usize> = HashMap::new();
        let mut source_vars: Vec<Vec<String>> = Vec::new();
        for c in &details.connections {
            let target = resolve_endpoint(c, &c.to, "to")?;
            let target_ok = match target.dependency {
                Some(_) => target.direction == Direction::Input,
                None => target.direction == Direction::Output,
            };
            if !target_ok {
                return Err(at(c, "to", format!(
                    "`{}` cannot be driven: a wire goes to a dependency's input or to one of this module's outputs",
                    c.to
                )));
            }
            for (var, _) in &target.vars {
                if let Some(line) = driven.insert(var.clone(), c.line) {
                    return Err(at(c, "to", format!("`{var}` is already driven by the connection on line {line}")));
                }
            }
            match &c.source {
                ConnectionSource::Port(from) => {
                    let source = resolve_endpoint(c, from, "from")?;
                    let source_ok = match source.dependency {
                        Some(_) => source.direction == Direction::Output,
                        None => source.direction == Direction::Input,
                    };
                    if !source_ok {
                        return Err(at(c, "from", format!(
                            "`{from}` cannot drive a wire: a source is one of this module's inputs or a dependency's output"
                        )));
                    }
                    let field = |v: &str| v.rsplit_once('.').map(|x| x.1.to_owned());
                    let single = source.vars.len() == 1;
                    let compatible = source.vars.len() == target.vars.len()
                        && source.vars.iter().zip(&target.vars).all(|((s, st), (t, tt))| {
                            st == tt && (single || field(s) == field(t))
                        });
                    if !compatible {
                        return Err(at(c, "to", format!(
                            "`{from}` and `{}` have different types ({} and {})",
                            c.to,
                            describe_types(&source.vars),
                            describe_types(&target.vars)
                        )));
                    }
                    for ((s, _), (t, _)) in source.vars.iter().zip(&target.vars) {
                        alias.insert(t.clone(), s.clone());
                    }
                    source_vars.push(source.vars.iter().map(|(v, _)| v.clone()).collect());
                }
                ConnectionSource::Constant(text) => {
                    let [(var, ty)] = target.vars.as_slice() else {
                        return Err(at(c, "value", format!("a constant can only drive a scalar, and `{}` is a record", c.to)));
                    };
                    let literal = torc_contracts::check::check_formula(
                        &format!("x == {text}"),
                        &[("x".to_owned(), *ty)],
                    )
                    .map_err(|e| at(c, "value", format!("`{text}` is not a {ty} constant: {}", e.message)))?;
                    let Term::Cmp(CmpOp::Eq, _, value) = literal else {
                        return Err(at(c, "value", format!("`{text}` is not a constant")));
                    };
                    if !matches!(*value, Term::Int { .. } | Term::Float { .. } | Term::Bool(_)) {
                        return Err(at(c, "value", format!("`{text}` is not a literal")));
                    }
                    if let Term::Float { bits, width } = *value {
                        let nan = match width {
                            torc_contracts::term::FloatWidth::F32 => f32::from_bits(bits as u32).is_nan(),
                            torc_contracts::term::FloatWidth::F64 => f64::from_bits(bits).is_nan(),
                        };
                        if nan {
                            return Err(at(c, "value", "a wire cannot carry a constant NaN".to_owned()));
                        }
                    }
                    constants.push(Term::Cmp(CmpOp::Eq, Box::new(Term::Var { name: var.clone(), ty: *ty }), value));
                    source_vars.push(Vec::new());
                }
            }
            targets.push(target);
        }

        // Follow alias chains (a dependency output feeding an own output
        // and another dependency's input ends at one variable).
        let resolve = |name: &str| -> String {
            let mut current = name.to_owned();
            for _ in 0..=alias.len() {
                match alias.get(&current) {
                    Some(next) => current = next.clone(),
                    None => break,
                }
            }
            current
        };
        let in_namespace = |term: &Term, prefix: &str| term.rename(&|v: &str| resolve(&format!("{prefix}{v}")));

        let mut assumptions = vec![in_namespace(&own.precondition(), "")];
        assumptions.extend(constants.iter().map(|t| t.rename(&|v: &str| resolve(v))));
        let mut describe = BTreeMap::new();
        for (name, (interface, dep)) in &interfaces {
            let prefix = format!("{name}.");
            assumptions.push(Term::Implies(
                Box::new(in_namespace(&interface.precondition(), &prefix)),
                Box::new(in_namespace(&interface.postcondition(), &prefix)),
            ));
            describe.insert((*name).to_owned(), format!("{} {}", dep.name, dep.version));
        }
        describe.insert(String::new(), format!("{} {}", manifest.name, manifest.version));

        let goals = targets
            .iter()
            .zip(source_vars)
            .map(|(target, source_vars)| {
                let (interface, prefix, whose) = match target.dependency {
                    Some(d) => (&interfaces[d].0, format!("{d}."), describe[d].clone()),
                    None => (&own, String::new(), describe[""].clone()),
                };
                let port = interface.port(&target.port).expect("endpoints resolve to existing ports");
                let verb = if target.dependency.is_some() { "requires" } else { "promises" };
                Goal {
                    term: in_namespace(&port.contract, &prefix),
                    requirement: format!("{whose} {verb} {} of `{}`", port.contract_text, target.port),
                    source_vars: source_vars.iter().map(|v| resolve(v)).collect(),
                }
            })
            .collect();
        Ok(Wiring { assumptions, goals })
    }
}

fn describe_types(vars: &[(String, Scalar)]) -> String {
    match vars {
        [(_, ty)] => ty.to_string(),
        _ => format!("{{{}}}", vars.iter().map(|(v, t)| format!("{v}: {t}")).collect::<Vec<_>>().join(", ")),
    }
}

/// "torc-pid.output = 1.5 with torc-pid.config.out_max = 1.0 is possible
/// (torc-pid 1.0.3 allows it) but torc-hal 0.6.2 requires in_range(0.0, 1.0)
/// of `duty`".
fn sentence(cx: &Counterexample, from: &str, goal: &Goal) -> String {
    let mentioned: Vec<String> = goal.term.vars().into_iter().map(|(v, _)| v).collect();
    let mut first = Vec::new();
    let mut rest = Vec::new();
    for (name, value) in &cx.assignments {
        if goal.source_vars.contains(name) {
            first.push(format!("{name} = {value}"));
        } else if mentioned.contains(name) {
            rest.push(format!("{name} = {value}"));
        }
    }
    let mut text = if first.is_empty() { format!("with {from}") } else { first.join(", ") };
    if !rest.is_empty() {
        text.push_str(" with ");
        text.push_str(&rest.join(", "));
    }
    format!("{text} is possible, but {}", goal.requirement)
}
