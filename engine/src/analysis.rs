//! What `torc verify` checks beyond the boundaries: each module's graph
//! (`graph.toml`, from the project directory or the published archive),
//! its proof obligations, its resource bounds across the tree, and the
//! tree against a platform model.
//!
//! - Obligations come from [`torc_graph::obligations`]: every call's
//!   precondition and every output contract against what the graph
//!   computes. They are discharged by the tree's prover (proof cache,
//!   lemmas, Z3: [`crate::obligation::discharge`], as the wires are), then
//!   `[[module.waivers]]` apply. Each becomes an
//!   [`ObligationResult`]; coverage counts them with the wires, once
//!   ([`crate::obligation::Coverage`]). A proof through an axiom names it;
//!   when the project does not allow axioms (`[trust] allow-axioms`), an
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
use crate::obligation::{discharge, Discharge, ObligationResult, SourceLocation, Status};
use torc_graph::obligations::{self, Discharged, Waiver};
use torc_proofs::search::SearchProver;
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
    pub obligations: Vec<ObligationResult>,
    /// Declared bounds against what the graph needs.
    pub declared: Vec<DeclaredReport>,
    /// Waivers whose id matches no obligation, or only proved ones.
    pub unused_waivers: Vec<String>,
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
    pub fn obligations(&self) -> impl Iterator<Item = &ObligationResult> {
        self.modules.iter().flat_map(|m| m.obligations.iter())
    }

    /// True when every obligation is proved or waived and every declared
    /// bound holds.
    pub fn ok(&self) -> bool {
        self.obligations().all(ObligationResult::holds)
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
        let mut done: HashMap<String, Discharge> = HashMap::new();
        let mut discharged: Vec<Discharged> = obligations
            .into_iter()
            .map(|obligation| {
                let d = discharge(prover, root, &obligation.assumptions, &obligation.goal);
                let status = d.status.clone();
                done.insert(obligation.id.clone(), d);
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
            .map(|d| {
                let proof = done.remove(&d.obligation.id);
                let line = d.obligation.node.as_ref().map_or(1, |node| parsed.node_line(node));
                ObligationResult {
                    id: d.obligation.id.clone(),
                    module: module.label.clone(),
                    description: d.obligation.description.clone(),
                    location: SourceLocation::new(&parsed.file, line, 1),
                    wire: None,
                    // A waiver replaces a failure, never a proof: how it
                    // was proved, and the axioms, stay with the prover's
                    // status only.
                    method: proof.as_ref().filter(|_| matches!(d.status, Status::Proved)).and_then(|p| p.method.clone()),
                    axioms: match d.status {
                        Status::Proved | Status::Refused { .. } => proof.map(|p| p.axioms).unwrap_or_default(),
                        _ => Vec::new(),
                    },
                    message: None,
                    status: d.status,
                }
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
