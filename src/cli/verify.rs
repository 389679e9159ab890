//! `torc verify`: resolve the project, prove the contracts at its module
//! boundaries and the obligations of every module's graph, aggregate the
//! resource bounds, and check them against a platform model.
//!
//! Exit status: 0 when everything is proved (or waived, or proved through
//! an axiom the project allows) and fits, 6 when something is not (a failed
//! or undecided obligation, one only a refused axiom proves, a declared
//! bound the graph exceeds or cannot confirm, a platform budget exceeded or
//! not confirmed, the root's declared `verification-coverage` not met); the
//! usual codes for bad input and resolution failures.
//!
//! A tree without any obligation is not "Verified.": it has no coverage
//! and says "Nothing to verify." (exit 0), unless the root declares a
//! positive `verification-coverage`, which an empty set cannot meet (exit 6).

use super::{report, sarif};
use clap::{Args, ValueEnum};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use torc_engine::analysis::GraphReport;
use torc_engine::boundaries::BoundaryReport;
use torc_engine::obligation::{Coverage, Status};
use torc_engine::project::Project;
use torc_engine::registry::Registries;
use torc_engine::resolve::Unlock;
use torc_engine::verify::{self, Verification};
use torc_graph::bounds::DeclaredCheck;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum VerifyFormat {
    Text,
    Json,
    /// SARIF 2.1.0, for code-scanning tools (waivers become suppressions).
    Sarif,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The project: its manifest, or the directory holding it.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Check the tree's bounds against this platform model: a platform
    /// package's directory or manifest, or NAME[@VERSION] in the registries.
    #[arg(long, value_name = "NAME|PATH")]
    pub platform: Option<String>,
    #[arg(long, value_enum, default_value_t = VerifyFormat::Text)]
    pub format: VerifyFormat,
    /// Fail (exit 4) instead of changing torc.lock.
    #[arg(long)]
    pub locked: bool,
    /// Z3's time limit per obligation, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub timeout: u32,
}

pub fn verify(args: &VerifyArgs) -> ExitCode {
    let run = || {
        let project = Project::open(args.manifest_path.as_deref())?;
        let registries = Registries::load()?;
        let options = torc_contracts::prove::Options { timeout_ms: args.timeout };
        let verification =
            verify::verify_all(&project, &registries, &Unlock::Nothing, args.locked, &options, args.platform.as_deref())?;
        Ok::<_, torc_engine::Error>((project, verification))
    };
    let (project, verification) = match run() {
        Ok(done) => done,
        Err(e) => return report::fail(&e),
    };
    match args.format {
        VerifyFormat::Text => print!("{}", render(&project, &verification)),
        VerifyFormat::Json => {
            println!("{}", serde_json::to_string_pretty(&verification.report()).expect("the report serialises"))
        }
        VerifyFormat::Sarif => {
            let log = sarif::log(&project, &verification);
            println!("{}", serde_json::to_string_pretty(&log).expect("the SARIF log serialises"))
        }
    }
    if verification.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(report::UNVERIFIED)
    }
}

/// The coverage line (and the declared claim's, when there is one).
fn render_coverage(out: &mut String, c: &Coverage) {
    match c.percent() {
        None => out.push_str("Coverage: n/a (nothing to verify: the tree has no boundary or graph obligation)\n"),
        Some(percent) => {
            let axioms = if c.by_axiom > 0 { format!(", {} by axiom", c.by_axiom) } else { String::new() };
            let refused = if c.refused > 0 { format!("{} refused (axiom), ", c.refused) } else { String::new() };
            let _ = writeln!(
                out,
                "Coverage: {percent:.1}% verified ({} of {} obligations proved{axioms}; {refused}{} waived, {} failed, {} unknown)",
                c.proved, c.total, c.waived, c.failed, c.unknown
            );
        }
    }
    if let Some(declared) = c.declared {
        let verdict = match (c.claim_met(), c.percent()) {
            (Some(true), _) => "met".to_owned(),
            (_, None) => "NOT met: there is nothing to verify".to_owned(),
            (_, Some(percent)) => format!("NOT met: {percent:.1}% verified"),
        };
        let _ = writeln!(out, "Declared verification-coverage {declared}%: {verdict}");
    }
    out.push('\n');
}

/// The last line: what the run established, and nothing more.
fn conclusion(v: &Verification) -> String {
    let c = v.coverage();
    if !v.ok() {
        if c.claim_met() == Some(false) && c.total == 0 {
            return format!(
                "NOT verified: [module.safety] verification-coverage = {} cannot be met by an empty set of obligations.\n",
                c.declared.unwrap_or_default()
            );
        }
        return "NOT verified: see the failures above.\n".to_owned();
    }
    if c.total == 0 {
        return "Nothing to verify.\n".to_owned();
    }
    let axioms: Vec<String> = v.axioms_used().iter().map(|a| format!("{} ({} {})", a.name, a.library, a.version)).collect();
    if axioms.is_empty() {
        "Verified.\n".to_owned()
    } else {
        let noun = if axioms.len() == 1 { "axiom" } else { "axioms" };
        format!("Verified, trusting {} {noun} without a proof: {}.\n", axioms.len(), axioms.join(", "))
    }
}

fn render(project: &Project, v: &Verification) -> String {
    let mut out = String::new();
    let root = format!("{} v{}", project.manifest.name, project.manifest.version);
    let _ = writeln!(out, "Verifying {root} ({} in its tree)\n", super::tree::packages(v.locked.resolved.packages.len()));
    render_boundaries(&mut out, &v.boundaries);
    render_graphs(&mut out, &v.graphs);

    render_coverage(&mut out, &v.coverage());

    let b = &v.graphs.bounds;
    let effects = if b.effects.is_empty() { "pure".to_owned() } else { b.effects.iter().cloned().collect::<Vec<_>>().join(", ") };
    let _ = writeln!(
        out,
        "Bounds of {root} with its tree: stack {}, heap {}, wcet {}, effects {effects}{}",
        b.stack.display_in("bytes"),
        b.heap.display_in("bytes"),
        b.wcet.display_in("cycles"),
        if b.effects_known { "" } else { " (at least)" }
    );
    if !b.stack_path.is_empty() {
        let _ = writeln!(out, "  worst stack path: {}", b.stack_path.join(" -> "));
    }
    if let Some(platform) = &v.platform {
        let _ = writeln!(out, "\n{platform}");
    }
    out.push('\n');
    out.push_str(&conclusion(v));
    out
}

fn render_boundaries(out: &mut String, report: &BoundaryReport) {
    let total = report.obligations.len();
    if total == 0 {
        out.push_str("Boundaries: no module in the tree declares connections.\n\n");
        return;
    }
    let _ = writeln!(out, "Boundaries: {} of {total} wires proved", report.proved());
    let mut module = "";
    for o in &report.obligations {
        if o.module != module {
            module = &o.module;
            let _ = writeln!(out, "  {module}");
        }
        let (from, to) = o.wire.as_ref().map_or(("", ""), |w| (w.from.as_str(), w.to.as_str()));
        let by = o.method.as_ref().map(|m| format!("  by {m}")).unwrap_or_default();
        let _ = writeln!(out, "    {} {from} -> {to}{by}", status_word(&o.status));
        if let Some(message) = &o.message {
            let _ = writeln!(out, "            {message}");
        }
    }
    out.push('\n');
}

/// The status column of the text report, seven characters wide.
fn status_word(status: &Status) -> &'static str {
    match status {
        Status::Proved => "proved ",
        Status::Failed { .. } => "FAILED ",
        Status::Unknown { .. } => "UNKNOWN",
        Status::Refused { .. } => "REFUSED",
        Status::Waived { .. } => "waived ",
    }
}

fn render_graphs(out: &mut String, graphs: &GraphReport) {
    if graphs.modules.is_empty() {
        out.push_str("Graphs: no module in the tree has a graph.toml.\n");
    }
    for m in &graphs.modules {
        let _ = writeln!(out, "Graph of {} ({}, blake3 {})", m.module, m.graph_file, &m.graph_hash[..16]);
        for o in &m.obligations {
            let status = status_word(&o.status);
            let detail = match &o.status {
                Status::Proved => None,
                Status::Failed { counterexample } => Some(format!("counterexample: {counterexample}")),
                Status::Unknown { reason } | Status::Refused { reason } => Some(reason.clone()),
                Status::Waived { justification, approved_by } => Some(format!("{justification} (approved by {approved_by})")),
            };
            let by = o.method.as_ref().map(|m| format!(" by {m}")).unwrap_or_default();
            let _ = writeln!(out, "  {status} {}  {}  ({}){by}", o.id, o.description, o.location);
            if let Some(detail) = detail {
                let _ = writeln!(out, "            {detail}");
            }
        }
        for d in &m.declared {
            match &d.check {
                DeclaredCheck::Holds => {}
                DeclaredCheck::Exceeds(message) => {
                    let _ = writeln!(out, "  EXCEEDS {message}");
                }
                DeclaredCheck::Unknown(message) => {
                    let _ = writeln!(out, "  UNKNOWN {message}");
                }
            }
        }
        for w in &m.unused_waivers {
            let _ = writeln!(out, "  note: waiver {w}");
        }
    }
    if !graphs.without_graph.is_empty() {
        let _ = writeln!(
            out,
            "No graph (bounds taken as declared, no graph obligations): {}",
            graphs.without_graph.join(", ")
        );
    }
    out.push('\n');
}

#[derive(Debug, Args)]
pub struct ProveArgs {
    /// The project: its manifest, or the directory holding it.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Re-check every stored proof (witness) from scratch instead: each
    /// lemma step re-instantiated against the installed libraries, each Z3
    /// step asked again.
    #[arg(long)]
    pub check: bool,
    /// Z3's time limit per query, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub timeout: u32,
}

/// `torc prove`: the graph obligations of the tree, each with how it was
/// proved (cache, lemma, Z3); `--check` re-checks the stored proofs.
pub fn prove(args: &ProveArgs) -> ExitCode {
    let options = torc_contracts::prove::Options { timeout_ms: args.timeout };
    if args.check {
        let run = || {
            let project = Project::open(args.manifest_path.as_deref())?;
            let registries = Registries::load()?;
            let locked = torc_engine::project::lock(&project, &registries, &Unlock::Nothing, false)?;
            let packages = verify::package_manifests(&locked.resolved, &registries)?;
            let home = torc_engine::registry::torc_home()?;
            let lemmas = torc_engine::lemmas::tree_lemmas(&locked.resolved, &packages, &registries, &home, &options)?;
            let cache = home.join("proofs").join("cache");
            Ok::<_, torc_engine::Error>(torc_proofs::search::check_stored(&cache, lemmas.as_ref(), &options))
        };
        return match run() {
            Ok((checked, failures)) => {
                for failure in &failures {
                    println!("FAILED  {failure}");
                }
                println!("Re-checked {checked} stored proofs: {} failed.", failures.len());
                if failures.is_empty() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(report::UNVERIFIED)
                }
            }
            Err(e) => report::fail(&e),
        };
    }
    let run = || {
        let project = Project::open(args.manifest_path.as_deref())?;
        let registries = Registries::load()?;
        verify::verify_all(&project, &registries, &Unlock::Nothing, false, &options, None)
    };
    match run() {
        Ok(verification) => {
            let mut out = String::new();
            render_graphs(&mut out, &verification.graphs);
            print!("{out}");
            if verification.graphs.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(report::UNVERIFIED)
            }
        }
        Err(e) => report::fail(&e),
    }
}
