//! `torc audit`: what the resolved tree trusts without a proof. Every
//! proof library with its lemma count, every axiom with its reason, the
//! axioms the tree's proofs actually rest on (found by running the proof
//! search on the tree's graph obligations: stored proofs that still hold,
//! lemmas, Z3) and whether the project's trust policy allows them, every
//! module's `[module.safety]` claims, and the signature status.

use super::report;
use super::solve::Format;
use clap::Args;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use torc_engine::obligation::{axioms_used, AxiomReport};
use torc_engine::library::{read_library, read_published_library, LibraryLemma};
use torc_engine::package::{Details, Manifest, PackageKind};
use torc_engine::project::{self, Project};
use torc_engine::registry::Registries;
use torc_engine::resolve::Unlock;
use torc_engine::verify;

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The project: its manifest, or the directory holding it.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// How to print the audit.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Z3's time limit per query of the proof search, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub timeout: u32,
}

const SIGNATURES: &str = "unsigned (signing not implemented)";

#[derive(Debug, Serialize)]
struct Audit {
    root: String,
    proof_libraries: Vec<LibraryAudit>,
    /// `[trust] allow-axioms`, or its default.
    allow_axioms: bool,
    /// Axioms the tree's proofs (of wires and graphs) used, or would have
    /// where refused.
    axioms_used: Vec<AxiomReport>,
    modules: Vec<ModuleAudit>,
    signatures: &'static str,
}

#[derive(Debug, Serialize)]
struct LibraryAudit {
    name: String,
    version: String,
    lemmas: usize,
    axioms: Vec<AxiomAudit>,
}

#[derive(Debug, Serialize)]
struct AxiomAudit {
    name: String,
    file: String,
    line: usize,
    requires: String,
    ensures: String,
    reason: String,
}

#[derive(Debug, Serialize)]
struct ModuleAudit {
    name: String,
    version: String,
    max_integrity_level: Option<String>,
    verification_coverage: Option<u8>,
}

pub fn audit(args: &AuditArgs) -> ExitCode {
    let run = || {
        let project = Project::open(args.manifest_path.as_deref())?;
        let registries = Registries::load()?;
        let locked = project::lock(&project, &registries, &Unlock::Nothing, false)?;
        let manifests = verify::package_manifests(&locked.resolved, &registries)?;
        let root = &project.manifest;
        let mut audit = Audit {
            root: format!("{} {}", root.name, root.version),
            proof_libraries: Vec::new(),
            allow_axioms: root.allows_axioms(),
            axioms_used: Vec::new(),
            modules: Vec::new(),
            signatures: SIGNATURES,
        };
        // The project itself first, read from its directory; then the tree.
        if root.kind == PackageKind::Proof {
            audit.proof_libraries.push(library_audit(root, read_library(&project.dir, root)?));
        }
        if let Some(module) = module_audit(root) {
            audit.modules.push(module);
        }
        for package in &locked.resolved.packages {
            let Some(manifest) = manifests.get(&package.name) else { continue };
            if manifest.kind == PackageKind::Proof {
                let lemmas = read_published_library(package, manifest, &registries)?;
                audit.proof_libraries.push(library_audit(manifest, lemmas));
            }
            audit.modules.extend(module_audit(manifest));
        }
        let options = torc_contracts::prove::Options { timeout_ms: args.timeout };
        let (boundaries, graphs) = verify::prove_tree(&project, &locked, &manifests, &registries, &options)?;
        audit.axioms_used = axioms_used(boundaries.obligations.iter().chain(graphs.obligations()));
        Ok::<_, torc_engine::Error>(audit)
    };
    let audit = match run() {
        Ok(audit) => audit,
        Err(e) => return report::fail(&e),
    };
    match args.format {
        Format::Text => print!("{}", render_text(&audit)),
        Format::Json => println!("{}", serde_json::to_string_pretty(&audit).expect("the audit serialises")),
    }
    ExitCode::SUCCESS
}

fn library_audit(manifest: &Manifest, lemmas: Vec<LibraryLemma>) -> LibraryAudit {
    let count = lemmas.len();
    let axioms = lemmas
        .into_iter()
        .filter_map(|l| {
            let reason = l.lemma.axiom?;
            Some(AxiomAudit {
                name: l.lemma.name,
                file: l.file,
                line: l.lemma.line,
                requires: l.lemma.requires_text,
                ensures: l.lemma.ensures_text,
                reason,
            })
        })
        .collect();
    LibraryAudit { name: manifest.name.clone(), version: manifest.version.to_string(), lemmas: count, axioms }
}

fn module_audit(manifest: &Manifest) -> Option<ModuleAudit> {
    let Details::Module(module) = &manifest.details else { return None };
    let safety = module.safety.as_ref();
    Some(ModuleAudit {
        name: manifest.name.clone(),
        version: manifest.version.to_string(),
        max_integrity_level: safety.and_then(|s| s.max_integrity_level).map(|l| l.to_string()),
        verification_coverage: safety.and_then(|s| s.verification_coverage),
    })
}

fn render_text(audit: &Audit) -> String {
    let mut out = format!("Audit of {}\n\nProof libraries:\n", audit.root);
    if audit.proof_libraries.is_empty() {
        out += "  (none)\n";
    }
    for library in &audit.proof_libraries {
        let lemmas = if library.lemmas == 1 { "lemma" } else { "lemmas" };
        out += &format!(
            "  {} {}: {} {lemmas}, {} proved by Z3 when built, {} axiom(s)\n",
            library.name,
            library.version,
            library.lemmas,
            library.lemmas - library.axioms.len(),
            library.axioms.len()
        );
    }
    out += "\nAxioms (trusted without a proof):\n";
    let axioms: Vec<(&LibraryAudit, &AxiomAudit)> =
        audit.proof_libraries.iter().flat_map(|l| l.axioms.iter().map(move |a| (l, a))).collect();
    if axioms.is_empty() {
        out += "  (none)\n";
    }
    for (library, axiom) in axioms {
        out += &format!(
            "  {} {} {}:{} {}: requires {} ensures {}\n    reason: {}\n",
            library.name,
            library.version,
            axiom.file,
            axiom.line,
            axiom.name,
            axiom.requires,
            axiom.ensures,
            axiom.reason
        );
    }
    let policy = if audit.allow_axioms { "allowed" } else { "refused" };
    out += &format!("\nAxioms the tree's proofs use ([trust] allow-axioms: {policy}):\n");
    if audit.axioms_used.is_empty() {
        out += "  (none)\n";
    }
    for axiom in &audit.axioms_used {
        let n = axiom.obligations.len();
        let refused = if axiom.refused { ", REFUSED: those obligations are not verified" } else { "" };
        out += &format!(
            "  axiom {} ({} {}): {n} {}{refused}\n    {}\n",
            axiom.name,
            axiom.library,
            axiom.version,
            if n == 1 { "obligation" } else { "obligations" },
            axiom.obligations.join(", ")
        );
    }
    out += "\nModules (claims in [module.safety]):\n";
    if audit.modules.is_empty() {
        out += "  (none)\n";
    }
    for module in &audit.modules {
        let level = module.max_integrity_level.as_deref().unwrap_or("not claimed");
        let coverage = module.verification_coverage.map_or("not claimed".to_owned(), |c| format!("{c}%"));
        out += &format!(
            "  {} {}: max-integrity-level {level}, verification-coverage {coverage}\n",
            module.name, module.version
        );
    }
    out += &format!("\nSignatures: {}\n", audit.signatures);
    out
}
