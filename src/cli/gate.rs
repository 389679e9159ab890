//! `torc diff` and `torc bump`: the contract-aware semver gate from the
//! command line. `torc publish` runs the same gate (see `registry.rs`).
//!
//! Exit codes: `diff` 0 when the new version's step suffices (or is larger
//! than needed), 3 when the gate refuses (too small a step, the same or a
//! lower version, a contract change Z3 could not decide), 2 for bad input
//! (also a contract that does not check or that no value satisfies).
//! `bump` prints its answer in every case and exits like the gate `torc
//! publish` would run: 0 when the manifest's version would be accepted
//! (or it is a first release), 3 when it would be refused (too low for the
//! changes, not above the baseline, or a contract change Z3 could not
//! decide), so a CI step `torc bump` fails before a publish does.

use super::report;
use super::solve::Format;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use torc_engine::gate::{self, Report, Status};
use torc_engine::project::{self, Project, ReleaseRef};
use torc_engine::registry::Registries;
use torc_engine::Error;

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old release: a manifest, a package directory, or NAME@VERSION
    /// from the registries.
    #[arg(value_name = "OLD")]
    pub old: String,
    /// The new release, in the same forms.
    #[arg(value_name = "NEW")]
    pub new: String,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct BumpArgs {
    /// The package: its manifest, or the directory holding it (default: the
    /// nearest torc.toml or spec.yaml at or above the current directory).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// The registry to compare with (default: the one the package resolves
    /// from).
    #[arg(long, value_name = "NAME")]
    pub registry: Option<String>,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn diff(args: &DiffArgs) -> ExitCode {
    let run = || -> Result<Report, Error> {
        let old = ReleaseRef::parse(&args.old)?;
        let new = ReleaseRef::parse(&args.new)?;
        let published = |r: &ReleaseRef| matches!(r, ReleaseRef::Published { .. });
        let registries = if published(&old) || published(&new) { Some(Registries::load()?) } else { None };
        let old = old.manifest(registries.as_ref())?;
        let new = new.manifest(registries.as_ref())?;
        project::diff(&old, &new)
    };
    match run() {
        Ok(gated) => {
            print_report(&gated, args.format);
            if gated.accepted() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(report::REFUSED)
            }
        }
        Err(e) => report::fail(&e),
    }
}

pub fn bump(args: &BumpArgs) -> ExitCode {
    let run = || -> Result<Report, Error> {
        let project = Project::open(args.manifest_path.as_deref())?;
        let registries = Registries::load()?;
        project::bump(&project, &registries, args.registry.as_deref())
    };
    match run() {
        Ok(gated) => {
            match args.format {
                Format::Json => print_json(&gated),
                Format::Text => {
                    print!("{}", gate::report::render_findings(&gated));
                    if gated.status != Status::FirstRelease {
                        println!("Required: {}.", gated.required);
                    }
                    println!("next version: {}", gated.next_version);
                    println!("{}", bump_advice(&gated));
                }
            }
            if gated.accepted() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(report::REFUSED)
            }
        }
        Err(e) => report::fail(&e),
    }
}

/// What `torc bump` says about the manifest's own version.
fn bump_advice(gated: &Report) -> String {
    let version = &gated.version;
    match gated.status {
        Status::FirstRelease => format!("{version} (the manifest's version) is a first release: nothing to compare."),
        Status::Accepted => format!("{version} (the manifest's version) is what the changes need."),
        Status::OverBump => format!(
            "{version} (the manifest's version) is more than the changes need; {} would do.",
            gated.next_version
        ),
        Status::SameVersion | Status::LowerVersion | Status::UnderBump => format!(
            "{version} (the manifest's version) is too low: set version = \"{}\" before publishing.",
            gated.next_version
        ),
        Status::Undecided => format!(
            "Z3 could not decide a contract change, so publishing {version} will be refused whatever the version; see above."
        ),
    }
}

/// The whole report on stdout.
pub fn print_report(gated: &Report, format: Format) {
    match format {
        Format::Text => print!("{}", gate::report::render_text(gated)),
        Format::Json => print_json(gated),
    }
}

/// The whole report on stderr (a refused publish).
pub fn eprint_report(gated: &Report, format: Format) {
    match format {
        Format::Text => eprint!("{}", gate::report::render_text(gated)),
        Format::Json => eprintln!("{}", json_text(gated)),
    }
}

fn print_json(gated: &Report) {
    println!("{}", json_text(gated));
}

fn json_text(gated: &Report) -> String {
    serde_json::to_string_pretty(&gate::report::to_json(gated)).expect("the report serialises")
}
