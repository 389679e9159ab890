//! What `torc verify` checks beyond the boundaries: each module's graph
//! (`graph.toml`, from the project directory or the published archive),
//! its proof obligations, its resource bounds across the tree, and the
//! tree against a platform model.
//!
//! - Obligations come from [`torc_graph::obligations`]: every call's
//!   precondition and every output contract against what the graph
//!   computes. They are discharged by Z3 through the
//!   [`Prover`](torc_graph::obligations::Prover) interface, then
//!   `[[module.waivers]]` apply. Coverage is proved / all, in percent
//!   (waived obligations are not verified, as in the design's audit; nor
//!   are those proved through an axiom, counted apart; with no obligation
//!   at all there is no coverage). A proof through an axiom names it; when
//!   the project does not allow axioms (`[trust] allow-axioms`), an
//!   obligation only an axiom proves is [`Status::Refused`].
//! - Bounds come from [`torc_graph::bounds::analyze`]: modules with a graph
//!   are computed; a module without one is taken at its declared
//!   `[module.resource-bounds]` (trusted, and said so).
//! - A module whose graph needs more than it declares is a finding that
//!   names the path.

use crate::error::{Error, Location, Result};
use crate::gate;
use crate::package::{Details, Manifest, Quantity};
use crate::registry::{Registries, Release};
use crate::resolve::Resolved;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use torc_contracts::interface::Interface;
use torc_graph::bounds::{self, check_declared, DeclaredCheck, ModuleBounds, Resource};
use torc_graph::model::Graph;
use torc_graph::obligations::{self, Discharged, Status, Waiver};
use torc_proofs::search::{AxiomUse, SearchProver};
use torc_graph::source::{self, SourceGraph, GRAPH_TOML};

/// One module's graph, checked.
#[derive(Clone, Debug, Serialize)]
pub struct ModuleReport {
    /// `torc-math v0.4.1`.
    pub module: String,
    /// Where its graph was read (`graph.toml` or `<registry>/<name>@<version>/graph.toml`).
    pub graph_file: String,
    /// BLAKE3 of the canonical `.trc`.
    pub graph_hash: String,
    pub obligations: Vec<ObligationReport>,
    /// Declared bounds against what the graph needs.
    pub declared: Vec<DeclaredReport>,
    /// Waivers whose id matches no obligation, or only proved ones.
    pub unused_waivers: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ObligationReport {
    pub id: String,
    pub description: String,
    /// `graph.toml:12`.
    pub location: String,
    #[serde(flatten)]
    pub status: Status,
    /// How it was proved: `lemma clamp_in_range (torc-arithmetic-proofs)`,
    /// `Z3`, `axiom zero (evil-lemmas)`, `cache (...)`; none when it was not.
    pub method: Option<String>,
    /// The axioms its proof rests on (status `proved`), or that would have
    /// proved it and the trust policy refused (status `refused`); empty
    /// for a proof from lemmas and Z3 alone.
    pub axioms: Vec<AxiomUse>,
}

impl ObligationReport {
    /// Proved, and the proof rests on at least one axiom.
    pub fn by_axiom(&self) -> bool {
        matches!(self.status, Status::Proved) && !self.axioms.is_empty()
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct DeclaredReport {
    pub resource: &'static str,
    #[serde(flatten)]
    pub check: DeclaredCheck,
}

/// Everything the graph part of `torc verify` found.
#[derive(Clone, Debug, Serialize)]
pub struct GraphReport {
    pub modules: Vec<ModuleReport>,
    /// Modules of the tree that have no graph (their bounds are declared).
    pub without_graph: Vec<String>,
    /// The root's bounds, its whole tree included.
    pub bounds: ModuleBounds,
    /// Float widths (32, 64) the tree's ports use.
    pub float_widths: BTreeSet<u32>,
}

impl GraphReport {
    pub fn obligations(&self) -> impl Iterator<Item = &ObligationReport> {
        self.modules.iter().flat_map(|m| m.obligations.iter())
    }

    pub fn count(&self, wanted: fn(&Status) -> bool) -> usize {
        self.obligations().filter(|o| wanted(&o.status)).count()
    }

    /// Obligations proved without any axiom.
    pub fn proved(&self) -> usize {
        self.obligations().filter(|o| matches!(o.status, Status::Proved) && o.axioms.is_empty()).count()
    }

    /// Obligations proved through at least one axiom (allowed by the trust
    /// policy, but not counted as verified).
    pub fn by_axiom(&self) -> usize {
        self.obligations().filter(|o| o.by_axiom()).count()
    }

    /// Obligations proved without an axiom, in percent of all; none when
    /// there are no obligations (nothing was verified).
    pub fn coverage(&self) -> Option<f64> {
        let total = self.obligations().count();
        (total > 0).then(|| self.proved() as f64 * 100.0 / total as f64)
    }

    /// Every axiom the tree's proofs used or would have used, with the ids
    /// of the obligations, and whether the trust policy refused it.
    pub fn axioms_used(&self) -> BTreeMap<AxiomUse, (Vec<String>, bool)> {
        let mut used: BTreeMap<AxiomUse, (Vec<String>, bool)> = BTreeMap::new();
        for o in self.obligations() {
            for axiom in &o.axioms {
                let entry = used.entry(axiom.clone()).or_default();
                entry.0.push(o.id.clone());
                entry.1 |= matches!(o.status, Status::Refused { .. });
            }
        }
        used
    }

    /// True when every obligation is proved or waived and every declared
    /// bound holds.
    pub fn ok(&self) -> bool {
        self.obligations().all(|o| matches!(o.status, Status::Proved | Status::Waived { .. }))
            && self.modules.iter().flat_map(|m| &m.declared).all(|d| d.check == DeclaredCheck::Holds)
    }
}

/// A module of the tree: its manifest, label, and where its files are.
struct TreeModule<'a> {
    manifest: &'a Manifest,
    label: String,
    graph: Option<(PathBuf, String)>,
    /// Resolved dependency name -> manifest.
    deps: BTreeMap<String, &'a Manifest>,
}

/// The graph text of a resolved package, from its archive.
fn published_graph(
    registries: &Registries,
    name: &str,
    version: &semver::Version,
    blake3: &str,
) -> Result<Option<(PathBuf, String)>> {
    let Some((registry, _)) = registries.lookup(name)? else { return Ok(None) };
    let release = Release::open(registry, name, version, blake3)?;
    let Some(text) = release.file(GRAPH_TOML)? else { return Ok(None) };
    let path = PathBuf::from(format!("{}/{name}@{version}/{GRAPH_TOML}", registry.name()));
    let text = String::from_utf8(text).map_err(|_| Error::input(Location::new(&path, 1, 1, ""), "not UTF-8"))?;
    Ok(Some((path, text)))
}

/// `e`, with its line from `text` (the graph source it is about).
fn graph_error(e: &torc_graph::GraphError, text: &str) -> Error {
    Error::input(Location::in_text(&e.file, text, e.line, e.column, e.key.clone()), e.message.clone())
}

/// Checks the graphs of `resolved`'s modules: obligations, declared bounds,
/// and the root's bounds across the tree.
pub fn check_graphs(
    root: &Manifest,
    root_dir: &Path,
    resolved: &Resolved,
    packages: &HashMap<String, Manifest>,
    registries: &Registries,
    prover: &SearchProver,
) -> Result<GraphReport> {
    // The tree's modules, root first.
    let mut modules = Vec::new();
    let root_graph_path = root_dir.join(GRAPH_TOML);
    let root_graph =
        crate::fs::read_optional_text(&root_graph_path, crate::fs::MAX_TEXT_FILE)?.map(|text| (root_graph_path, text));
    let deps_of = |edges: &mut dyn Iterator<Item = usize>| -> BTreeMap<String, &Manifest> {
        edges
            .filter_map(|i| {
                let p = &resolved.packages[i];
                packages.get(&p.name).map(|m| (p.name.clone(), m))
            })
            .collect()
    };
    modules.push(TreeModule {
        manifest: root,
        label: format!("{} v{}", root.name, root.version),
        graph: root_graph,
        deps: deps_of(&mut resolved.root.dependencies.iter().map(|e| e.package)),
    });
    for p in &resolved.packages {
        let Some(manifest) = packages.get(&p.name) else { continue };
        if !matches!(manifest.details, Details::Module(_)) {
            continue;
        }
        modules.push(TreeModule {
            manifest,
            label: format!("{} v{}", p.name, p.version),
            graph: published_graph(registries, &p.name, &p.version, &p.blake3)?,
            deps: deps_of(&mut p.dependencies.iter().copied()),
        });
    }

    // Interfaces, graphs, and fallback bounds for modules without a graph.
    let mut interfaces: HashMap<String, Interface> = HashMap::new();
    let mut graphs: BTreeMap<String, Graph> = BTreeMap::new();
    let mut sources: HashMap<String, SourceGraph> = HashMap::new();
    let mut fallback: BTreeMap<String, ModuleBounds> = BTreeMap::new();
    let mut without_graph = Vec::new();
    let mut float_widths = BTreeSet::new();
    for module in &modules {
        let name = module.manifest.name.clone();
        if let Some(interface) = gate::interface::check(module.manifest)? {
            for port in &interface.ports {
                collect_float_widths(&port.ty.to_string(), &mut float_widths);
                if let torc_contracts::interface::PortType::Record { fields, .. } = &port.ty {
                    for (_, scalar) in fields {
                        collect_float_widths(&scalar.to_string(), &mut float_widths);
                    }
                }
            }
            interfaces.insert(name.clone(), interface);
        }
        match &module.graph {
            Some((path, text)) => {
                let parsed = source::parse(path, text, &name).map_err(|e| graph_error(&e, text))?;
                if let Err(errors) = parsed.validate() {
                    return Err(graph_error(&errors[0], text));
                }
                graphs.insert(name.clone(), parsed.graph.clone());
                sources.insert(name, parsed);
            }
            None => {
                without_graph.push(module.label.clone());
                fallback.insert(name, declared_bounds(module.manifest));
            }
        }
    }
    let all_bounds = bounds::analyze(&graphs, &fallback);

    // Obligations of each graph: cache, lemmas, then Z3.
    let mut reports = Vec::new();
    for module in &modules {
        let name = &module.manifest.name;
        let Some(parsed) = sources.get(name) else { continue };
        let own = interfaces.get(name).cloned().unwrap_or_default();
        let callees: BTreeMap<String, Interface> = module
            .deps
            .keys()
            .filter_map(|d| interfaces.get(d).map(|i| (d.clone(), i.clone())))
            .collect();
        let obligations = obligations::obligations(&parsed.graph, &own, &callees)
            .map_err(|e| Error::input(Location::new(&parsed.file, 1, 1, ""), e.to_string()))?;
        let mut methods = HashMap::new();
        let mut axioms: HashMap<String, Vec<AxiomUse>> = HashMap::new();
        let mut discharged: Vec<Discharged> = obligations
            .into_iter()
            .map(|obligation| {
                use torc_contracts::prove::Outcome;
                let found = prover.search(&obligation.assumptions, &obligation.goal);
                if let Some(witness) = &found.witness {
                    let method = witness.method();
                    let method = if found.cached { format!("cache ({method})") } else { method };
                    methods.insert(obligation.id.clone(), method);
                    axioms.insert(obligation.id.clone(), witness.axioms());
                }
                let status = match found.outcome {
                    Outcome::Valid => Status::Proved,
                    outcome if !found.refused_axioms.is_empty() => {
                        axioms.insert(obligation.id.clone(), found.refused_axioms.clone());
                        Status::Refused { reason: refusal(root, &found.refused_axioms, outcome) }
                    }
                    Outcome::Invalid(counterexample) => Status::Failed { counterexample },
                    Outcome::Unknown(reason) => Status::Unknown { reason },
                };
                Discharged { obligation, status }
            })
            .collect();
        let waivers = waivers_of(module.manifest);
        let unused = obligations::apply_waivers(&mut discharged, &waivers);
        let unused_waivers = unused
            .unknown
            .iter()
            .map(|w| format!("{}: matches no obligation", w.id))
            .chain(unused.proved.iter().map(|w| format!("{}: the obligation is proved; the waiver can go", w.id)))
            .collect();
        let file = parsed.file.display().to_string();
        let obligations = discharged
            .into_iter()
            .map(|d| ObligationReport {
                id: d.obligation.id.clone(),
                description: d.obligation.description.clone(),
                location: match &d.obligation.node {
                    Some(node) => format!("{file}:{}", parsed.node_line(node)),
                    None => file.clone(),
                },
                method: matches!(d.status, Status::Proved).then(|| methods.get(&d.obligation.id).cloned()).flatten(),
                axioms: match d.status {
                    Status::Proved | Status::Refused { .. } => axioms.remove(&d.obligation.id).unwrap_or_default(),
                    _ => Vec::new(),
                },
                status: d.status,
            })
            .collect();
        let needed = &all_bounds[name];
        let mut declared = Vec::new();
        if let Details::Module(details) = &module.manifest.details {
            if let Some(rb) = &details.resource_bounds {
                for (resource, quantity, bound, path) in [
                    (Resource::Stack, rb.stack, &needed.stack, needed.stack_path.as_slice()),
                    (Resource::Heap, rb.heap, &needed.heap, &[][..]),
                    (Resource::Wcet, rb.wcet, &needed.wcet, &[][..]),
                ] {
                    if let Some(q) = quantity {
                        declared.push(DeclaredReport {
                            resource: resource.name(),
                            check: check_declared(name, resource, q.amount, bound, path),
                        });
                    }
                }
            }
        }
        reports.push(ModuleReport {
            module: module.label.clone(),
            graph_file: file,
            graph_hash: torc_graph::trc::hash(&parsed.graph),
            obligations,
            declared,
            unused_waivers,
        });
    }
    let bounds = all_bounds
        .get(&root.name)
        .or_else(|| fallback.get(&root.name))
        .cloned()
        .unwrap_or_else(ModuleBounds::unknown);
    Ok(GraphReport { modules: reports, without_graph, bounds, float_widths })
}

/// Why an obligation only axioms prove is refused: the axioms, the trust
/// setting (and where it comes from), and what the search found without
/// them.
fn refusal(root: &Manifest, axioms: &[AxiomUse], without: torc_contracts::prove::Outcome) -> String {
    let setting = match (root.trust.as_ref().and_then(|t| t.allow_axioms), root.integrity_level()) {
        (Some(_), _) => "[trust] allow-axioms = false".to_owned(),
        (None, Some(level)) => format!(
            "[trust] allow-axioms = false (the default for a project that claims max-integrity-level {level})"
        ),
        (None, None) => "[trust] allow-axioms = false".to_owned(),
    };
    let without = match without {
        torc_contracts::prove::Outcome::Valid => "proved".to_owned(),
        torc_contracts::prove::Outcome::Invalid(cx) => format!("refuted, counterexample: {cx}"),
        torc_contracts::prove::Outcome::Unknown(reason) => format!("not decided: {reason}"),
    };
    let (noun, pronoun) = if axioms.len() == 1 { ("axiom", "it") } else { ("axioms", "them") };
    format!(
        "proved only by {noun} {} (trusted without a proof), and {setting} refuses axioms; without {pronoun}: {without}",
        axioms.iter().map(|a| format!("{} ({} {})", a.name, a.library, a.version)).collect::<Vec<_>>().join(", ")
    )
}

fn collect_float_widths(ty: &str, widths: &mut BTreeSet<u32>) {
    match ty {
        "Float<32>" => {
            widths.insert(32);
        }
        "Float<64>" => {
            widths.insert(64);
        }
        _ => {}
    }
}

/// A module's `[module.resource-bounds]` as bounds taken on trust.
fn declared_bounds(manifest: &Manifest) -> ModuleBounds {
    let Details::Module(details) = &manifest.details else { return ModuleBounds::unknown() };
    let Some(rb) = &details.resource_bounds else { return ModuleBounds::unknown() };
    let amount = |q: Option<Quantity>| q.map(|q| q.amount);
    ModuleBounds::declared(
        amount(rb.stack),
        amount(rb.heap),
        amount(rb.wcet),
        rb.effects.as_ref().map(|e| e.0.clone()),
    )
}

fn waivers_of(manifest: &Manifest) -> Vec<Waiver> {
    let Details::Module(details) = &manifest.details else { return Vec::new() };
    details
        .waivers
        .iter()
        .map(|w| Waiver { id: w.id.clone(), justification: w.justification.clone(), approved_by: w.approved_by.clone() })
        .collect()
}
