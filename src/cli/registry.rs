//! `torc publish` and `torc yank`: the commands that write to a registry.
//!
//! `publish` runs the contract-aware semver gate first (as `torc diff`
//! against the registry's baseline): a refused release exits 3 with the
//! report on stderr and nothing written; `--dry-run` prints the report on
//! stdout and stops there (exit 0 if the release would be accepted, 3 if
//! not).

use super::gate::{eprint_report, print_report};
use super::report;
use super::solve::Format;
use clap::Args;
use semver::Version;
use std::path::PathBuf;
use std::process::ExitCode;
use torc_engine::error::Location;
use torc_engine::project;
use torc_engine::registry::Registries;
use torc_engine::Error;

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The package: its manifest, or the directory holding it (default: the
    /// current directory).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// The registry to publish to (default: the highest-priority one).
    #[arg(long, value_name = "NAME")]
    pub registry: Option<String>,
    /// Run the semver gate only: print its report, publish nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// How to print the gate's report (for --dry-run and a refusal).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct YankArgs {
    /// The release to yank, NAME@VERSION.
    #[arg(value_name = "NAME@VERSION")]
    pub release: String,
    /// Make the release available again.
    #[arg(long)]
    pub undo: bool,
    /// The registry to change (default: the one NAME resolves from).
    #[arg(long, value_name = "NAME")]
    pub registry: Option<String>,
}

pub fn publish(args: &PublishArgs) -> ExitCode {
    let run = || {
        let dir = match &args.manifest_path {
            Some(path) => path.clone(),
            None => std::env::current_dir().map_err(|e| Error::io(".", e))?,
        };
        let registries = Registries::load()?;
        project::publish_checked(&dir, &registries, args.registry.as_deref(), args.dry_run)
    };
    match run() {
        Ok(publication) if args.dry_run => {
            print_report(&publication.report, args.format);
            let verdict = if publication.report.accepted() { "would be accepted" } else { "would be refused" };
            let message = format!("dry run: nothing published ({verdict} by registry `{}`)", publication.registry);
            match args.format {
                Format::Text => println!("{message}"),
                Format::Json => eprintln!("{message}"),
            }
            if publication.report.accepted() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(report::REFUSED)
            }
        }
        Ok(publication) => {
            for note in &publication.report.notes {
                eprintln!("note: {note}");
            }
            eprintln!("{}", torc_engine::gate::report::summary(&publication.report));
            if let Some(entry) = &publication.entry {
                eprintln!(
                    "Published {} v{} ({}) to registry `{}`, blake3 {}",
                    entry.name, entry.version, entry.kind, publication.registry, entry.blake3
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            if let Error::GateRefused { report: gated } = &e {
                eprint_report(gated, args.format);
            }
            report::fail(&e)
        }
    }
}

pub fn yank(args: &YankArgs) -> ExitCode {
    let run = || {
        let (name, version) = parse_release(&args.release)?;
        let registries = Registries::load()?;
        project::yank(&registries, &name, &version, args.registry.as_deref(), !args.undo)
    };
    match run() {
        Ok((entry, registry)) => {
            let verb = if args.undo { "Unyanked" } else { "Yanked" };
            eprintln!("{verb} {} v{} in registry `{registry}`", entry.name, entry.version);
            ExitCode::SUCCESS
        }
        Err(e) => report::fail(&e),
    }
}

/// `torc-math@0.4.1` into its name and version.
fn parse_release(text: &str) -> Result<(String, Version), Error> {
    let at = |column: usize, message: String| {
        Error::input(Location::new("<command line>", 1, column, "NAME@VERSION"), message)
    };
    let Some((name, version)) = text.split_once('@') else {
        return Err(at(1, format!("`{text}`: expected NAME@VERSION, e.g. torc-math@0.4.1")));
    };
    let version =
        Version::parse(version.trim()).map_err(|e| at(name.len() + 2, format!("`{version}` is not a version: {e}")))?;
    Ok((name.to_owned(), version))
}
