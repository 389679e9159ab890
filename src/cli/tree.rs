//! `torc tree` and `torc update`: resolve the project, bring `torc.lock` up
//! to date, and show the result.
//!
//! `torc tree` checks the contracts at every wire of the tree, as `torc
//! verify` does, and exits like it: 6 when a boundary is not proved
//! compatible (refuted, or Z3 could not decide), after printing the tree
//! and the first failing boundary; 0 otherwise. The lock is written either
//! way: the resolution itself is sound.

use super::report;
use super::solve::Format;
use clap::Args;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use torc_engine::project::{self, describe_change, Locked, Project};
use torc_engine::obligation::ObligationResult;
use torc_engine::registry::Registries;
use torc_engine::resolve::Unlock;
use torc_engine::tree;
use torc_engine::verify;

#[derive(Debug, Args)]
pub struct TreeArgs {
    /// The project: its manifest, or the directory holding it (default: the
    /// nearest torc.toml or spec.yaml at or above the current directory).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// How to print the tree.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Fail (exit 4) instead of changing torc.lock.
    #[arg(long)]
    pub locked: bool,
}

/// `torc tree --format json`: the tree, and its wires as `torc verify`
/// reports them.
#[derive(Debug, Serialize)]
struct TreeReport<'a> {
    #[serde(flatten)]
    tree: tree::TreeJson<'a>,
    boundaries: &'a [ObligationResult],
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Packages whose locked versions to drop (default: all of them).
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// The project: its manifest, or the directory holding it.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
}

pub fn tree(args: &TreeArgs) -> ExitCode {
    let run = || {
        let project = Project::open(args.manifest_path.as_deref())?;
        let registries = Registries::load()?;
        let options = torc_contracts::prove::Options::default();
        verify::verify(&project, &registries, &Unlock::Nothing, args.locked, &options)
    };
    let verified = match run() {
        Ok(verified) => verified,
        Err(e) => return report::fail(&e),
    };
    report_lock_changes(&verified.locked);
    let resolved = &verified.locked.resolved;
    let contracts = verified.boundaries.summary();
    let compatible = verified.boundaries.first_failure().is_none();
    match args.format {
        Format::Text => print!("{}", tree::render_text(resolved, contracts.as_deref())),
        Format::Json => {
            let report = TreeReport {
                tree: tree::to_json(resolved, contracts.as_deref()),
                boundaries: &verified.boundaries.obligations,
            };
            println!("{}", serde_json::to_string_pretty(&report).expect("the tree serialises"));
        }
    }
    if compatible {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(report::UNVERIFIED)
    }
}

pub fn update(args: &UpdateArgs) -> ExitCode {
    let unlock = if args.names.is_empty() { Unlock::Everything } else { Unlock::Packages(args.names.clone()) };
    let locked = match resolve(args.manifest_path.as_ref(), &unlock, false) {
        Ok(locked) => locked,
        Err(code) => return code,
    };
    report_lock_changes(&locked);
    if locked.changes.is_empty() {
        eprintln!("torc.lock is up to date: {} locked", packages(locked.resolved.packages.len()));
    }
    ExitCode::SUCCESS
}

fn resolve(manifest_path: Option<&PathBuf>, unlock: &Unlock, locked: bool) -> Result<Locked, ExitCode> {
    let run = || {
        let project = Project::open(manifest_path.map(PathBuf::as_path))?;
        let registries = Registries::load()?;
        project::lock(&project, &registries, unlock, locked)
    };
    run().map_err(|e| report::fail(&e))
}

fn report_lock_changes(locked: &Locked) {
    for note in &locked.resolved.notes {
        eprintln!("note: {note}");
    }
    if !locked.had_lock {
        eprintln!("Locking {} in torc.lock", packages(locked.resolved.packages.len()));
    } else {
        for change in &locked.changes {
            eprintln!("{}", describe_change(change));
        }
    }
}

/// `1 package`, `3 packages`.
pub fn packages(count: usize) -> String {
    format!("{count} {}", if count == 1 { "package" } else { "packages" })
}
