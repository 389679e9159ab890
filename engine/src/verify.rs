//! `torc verify` and the contract part of `torc tree`: a resolved tree's
//! manifests, fetched from the registries, and its boundary obligations.

use crate::analysis::{self, GraphReport};
use crate::boundaries::{self, BoundaryReport, TreeManifests};
use crate::error::{Error, Location, Result};
use crate::manifest;
use crate::package::Manifest;
use crate::project::{lock_checked, Locked, Project};
use crate::registry::Registries;
use crate::resolve::{Resolved, Unlock};
use crate::obligation::{self, AxiomReport, Coverage, ObligationResult};
use serde::Serialize;
use std::collections::HashMap;
use torc_contracts::prove::Options;
use torc_proofs::search::SearchProver;
use torc_graph::platform::{budget_report, BudgetReport, PlatformModel, Verdict as PlatformVerdict};

/// The manifests of every resolved package, read from the archives their
/// registries hold: each archive checked against its BLAKE3, and its
/// manifest against the index line resolution used
/// ([`crate::registry::read_release_manifest`]). Errors name the manifest
/// as `<registry>/<name>@<version>/torc.toml`.
pub fn package_manifests(resolved: &Resolved, registries: &Registries) -> Result<HashMap<String, Manifest>> {
    let mut manifests = HashMap::new();
    for package in &resolved.packages {
        let Some((registry, entries)) = registries.lookup(&package.name)? else {
            return Err(Error::PackageNotFound {
                name: package.name.clone(),
                searched: registries.names().into_iter().map(str::to_owned).collect(),
            });
        };
        let entry = entries
            .iter()
            .find(|e| e.version == package.version && e.blake3 == package.blake3)
            .ok_or_else(|| Error::VersionNotFound {
                name: package.name.clone(),
                version: format!("{} with blake3 {}", package.version, package.blake3),
                registry: registry.name().to_owned(),
            })?;
        manifests.insert(package.name.clone(), crate::registry::release_manifest(registry, entry)?);
    }
    Ok(manifests)
}

/// A resolved, locked tree with its boundary obligations checked.
#[derive(Clone, Debug)]
pub struct Verified {
    pub locked: Locked,
    pub boundaries: BoundaryReport,
}

/// [`lock`], then every connection in the tree checked by the tree's
/// prover ([`tree_prover`], [`crate::boundaries`]).
pub fn verify(
    project: &Project,
    registries: &Registries,
    unlock: &Unlock,
    locked: bool,
    options: &Options,
) -> Result<Verified> {
    let (locked, packages) =
        lock_checked(project, registries, unlock, locked, |resolved| package_manifests(resolved, registries))?;
    let prover = tree_prover(project, &locked, &packages, registries, options)?;
    let manifests = TreeManifests { root: &project.manifest, packages: &packages };
    let boundaries = boundaries::check(&locked.resolved, &manifests, &prover)?;
    Ok(Verified { locked, boundaries })
}

/// The one prover of a locked tree, for its wires and its graphs alike:
/// the proof cache in `$TORC_HOME`, the tree's lemma libraries, Z3; axioms
/// as the project's trust policy allows.
pub fn tree_prover(
    project: &Project,
    locked: &Locked,
    packages: &HashMap<String, Manifest>,
    registries: &Registries,
    options: &Options,
) -> Result<SearchProver> {
    let home = crate::registry::torc_home()?;
    let lemmas = crate::lemmas::tree_lemmas(&locked.resolved, packages, registries, &home, options)?;
    let cache = home.join("proofs").join("cache");
    // Made here, inside the home, refusing links: the prover only writes into it.
    crate::fs::create_dir_within(&home, &cache)?;
    let mut prover = SearchProver::new(lemmas, Some(cache), *options);
    prover.allow_axioms = project.manifest.allows_axioms();
    Ok(prover)
}

/// Everything `torc verify` checks.
#[derive(Clone, Debug)]
pub struct Verification {
    /// The project's manifest (its claims and trust policy).
    pub root: Manifest,
    pub locked: Locked,
    pub boundaries: BoundaryReport,
    pub graphs: GraphReport,
    /// The tree against the platform, when one was given.
    pub platform: Option<BudgetReport>,
}

impl Verification {
    /// Whether a CI job should pass: every boundary and graph obligation
    /// proved (or waived, or proved through an allowed axiom), every
    /// declared bound confirmed, the platform's budgets met, and the root's
    /// declared `verification-coverage` met.
    pub fn ok(&self) -> bool {
        self.boundaries.first_failure().is_none()
            && self.graphs.ok()
            && self.platform.as_ref().is_none_or(|p| p.verdict() == PlatformVerdict::Fits)
            && self.coverage().claim_met() != Some(false)
    }

    /// No boundary and no graph obligation in the whole tree.
    pub fn nothing_to_verify(&self) -> bool {
        self.coverage().total == 0
    }

    /// Every obligation of the tree: its wires, then its graphs'.
    pub fn obligations(&self) -> impl Iterator<Item = &ObligationResult> {
        self.boundaries.obligations.iter().chain(self.graphs.obligations())
    }

    /// Every obligation counted once, with the root's declared claim.
    pub fn coverage(&self) -> Coverage {
        let declared = match &self.root.details {
            crate::package::Details::Module(m) => m.safety.as_ref().and_then(|s| s.verification_coverage),
            _ => None,
        };
        Coverage::of(self.obligations(), declared)
    }

    /// The axioms the tree's proofs used, or would have when refused.
    pub fn axioms_used(&self) -> Vec<AxiomReport> {
        obligation::axioms_used(self.obligations())
    }

    /// The report `torc verify --format json` prints.
    pub fn report(&self) -> VerifyReport<'_> {
        let coverage = self.coverage();
        VerifyReport {
            package: &self.root.name,
            version: self.root.version.to_string(),
            verified: self.ok(),
            nothing_to_verify: self.nothing_to_verify(),
            allow_axioms: self.root.allows_axioms(),
            axioms: self.axioms_used(),
            coverage: CoverageReport::new(&coverage),
            boundaries: &self.boundaries.obligations,
            graphs: &self.graphs,
            platform: self.platform.as_ref(),
        }
    }

}

/// `torc verify --format json`: what was verified, and how.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyReport<'a> {
    pub package: &'a str,
    pub version: String,
    /// Whether the run passed ([`Verification::ok`]).
    pub verified: bool,
    pub nothing_to_verify: bool,
    pub allow_axioms: bool,
    pub axioms: Vec<AxiomReport>,
    pub coverage: CoverageReport,
    pub boundaries: &'a [ObligationResult],
    pub graphs: &'a GraphReport,
    pub platform: Option<&'a BudgetReport>,
}

/// [`Coverage`] as reported: `percent` is null and `status`
/// `nothing-to-verify` when the tree has no obligation; `proved` counts
/// proofs without axioms, `by_axiom` the rest.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct CoverageReport {
    pub status: CoverageStatus,
    pub percent: Option<f64>,
    #[serde(flatten)]
    pub counts: Coverage,
    pub declared_met: Option<bool>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CoverageStatus {
    NothingToVerify,
    Measured,
}

impl CoverageReport {
    pub fn new(c: &Coverage) -> CoverageReport {
        CoverageReport {
            status: if c.total == 0 { CoverageStatus::NothingToVerify } else { CoverageStatus::Measured },
            percent: c.percent(),
            counts: *c,
            declared_met: c.claim_met(),
        }
    }
}

/// [`verify`], plus each module's graph (obligations, bounds) and, with
/// `platform` (a platform package's directory or manifest, or the name of
/// a platform in the registries), the tree's budgets on that target.
pub fn verify_all(
    project: &Project,
    registries: &Registries,
    unlock: &Unlock,
    locked: bool,
    options: &Options,
    platform: Option<&str>,
) -> Result<Verification> {
    let (locked, packages) =
        lock_checked(project, registries, unlock, locked, |resolved| package_manifests(resolved, registries))?;
    let (boundaries, graphs) = prove_tree(project, &locked, &packages, registries, options)?;
    let platform = match platform {
        Some(reference) => {
            let model = platform_model(reference, registries)?;
            Some(budget_report(&graphs.bounds, &graphs.float_widths, &model))
        }
        None => None,
    };
    Ok(Verification { root: project.manifest.clone(), locked, boundaries, graphs, platform })
}

/// Every obligation of a locked tree, its wires and its graphs', through
/// one [`tree_prover`].
pub fn prove_tree(
    project: &Project,
    locked: &Locked,
    packages: &HashMap<String, Manifest>,
    registries: &Registries,
    options: &Options,
) -> Result<(BoundaryReport, GraphReport)> {
    let prover = tree_prover(project, locked, packages, registries, options)?;
    let manifests = TreeManifests { root: &project.manifest, packages };
    let boundaries = boundaries::check(&locked.resolved, &manifests, &prover)?;
    let graphs = analysis::check_graphs(&project.manifest, &project.dir, &locked.resolved, packages, registries, &prover)?;
    Ok((boundaries, graphs))
}

/// The platform model `reference` names: a platform package's directory or
/// manifest, or `NAME` / `NAME@VERSION` in the registries (the newest
/// non-yanked release when no version is given).
pub fn platform_model(reference: &str, registries: &Registries) -> Result<PlatformModel> {
    let path = std::path::Path::new(reference);
    let manifest = if path.exists() {
        let file = if path.is_dir() { manifest::manifest_path(path)? } else { path.to_path_buf() };
        manifest::read(&file)?
    } else {
        let (name, version) = match reference.split_once('@') {
            Some((name, version)) => {
                let version = semver::Version::parse(version).map_err(|e| {
                    Error::input(Location::new("<command line>", 1, name.len() + 2, "--platform"), format!("`{version}`: {e}"))
                })?;
                (name, Some(version))
            }
            None => (reference, None),
        };
        let Some((registry, entries)) = registries.lookup(name)? else {
            return Err(Error::PackageNotFound {
                name: name.to_owned(),
                searched: registries.names().into_iter().map(str::to_owned).collect(),
            });
        };
        let entry = match &version {
            Some(v) => entries.iter().find(|e| &e.version == v),
            None => entries.iter().filter(|e| !e.yanked && e.version.pre.is_empty()).max_by(|a, b| a.version.cmp(&b.version)),
        }
        .ok_or_else(|| Error::VersionNotFound {
            name: name.to_owned(),
            version: version.map_or_else(|| "that is not yanked".to_owned(), |v| v.to_string()),
            registry: registry.name().to_owned(),
        })?;
        crate::registry::release_manifest(registry, entry)?
    };
    let crate::package::Details::Platform(details) = &manifest.details else {
        return Err(Error::input(
            manifest.location(1, 1, ""),
            format!("{} is a {} package, not a platform model", manifest.name, manifest.kind),
        ));
    };
    let Some(budgets) = &details.budgets else {
        return Err(Error::input(
            manifest.location(1, 1, "platform.budgets"),
            format!("platform {} has no [platform.budgets] to check against", manifest.name),
        ));
    };
    Ok(PlatformModel {
        name: manifest.name.clone(),
        version: manifest.version.to_string(),
        stack: budgets.stack,
        heap: budgets.heap,
        effects: budgets.effects.clone(),
        word_size: budgets.word_size,
        float_widths: budgets.float_widths.clone(),
        clock_hz: budgets.clock_hz,
        period_us: budgets.period_us,
    })
}
