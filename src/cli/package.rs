//! `torc init` and `torc add`: the commands that write a manifest.

use super::report;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use torc_engine::error::Location;
use torc_engine::package::PackageKind;
use torc_engine::project::{self, Project};
use torc_engine::registry::Registries;
use torc_engine::Error;
use torc_solver::semver::VersionReq;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Module,
    Platform,
    Proof,
    Spec,
}

impl From<Kind> for PackageKind {
    fn from(kind: Kind) -> PackageKind {
        match kind {
            Kind::Module => PackageKind::Module,
            Kind::Platform => PackageKind::Platform,
            Kind::Proof => PackageKind::Proof,
            Kind::Spec => PackageKind::Spec,
        }
    }
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to create the package (default: the current directory).
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// What the package is.
    #[arg(long, value_enum, default_value_t = Kind::Module)]
    pub kind: Kind,
    /// The package name (default: the directory's name).
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The dependency, NAME or NAME@REQ (e.g. torc-math@^0.4). Without a
    /// requirement: `^` of the newest release.
    #[arg(value_name = "NAME[@REQ]")]
    pub dependency: String,
    /// Add to the dev-dependencies.
    #[arg(long)]
    pub dev: bool,
    /// The dependency must be a proof library (its registry says kind `proof`).
    #[arg(long)]
    pub proof: bool,
    /// The project: its manifest, or the directory holding it.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
}

pub fn init(args: &InitArgs) -> ExitCode {
    let run = || {
        let dir = match &args.path {
            Some(path) => path.clone(),
            None => std::env::current_dir().map_err(|e| Error::io(".", e))?,
        };
        torc_engine::init::init(&dir, args.kind.into(), args.name.as_deref())
    };
    match run() {
        Ok(path) => {
            eprintln!("Created a {} package: {}", PackageKind::from(args.kind), path.display());
            ExitCode::SUCCESS
        }
        Err(e) => report::fail(&e),
    }
}

pub fn add(args: &AddArgs) -> ExitCode {
    let run = || {
        let (name, requirement) = parse_dependency(&args.dependency)?;
        let project = Project::open(args.manifest_path.as_deref())?;
        let registries = Registries::load()?;
        if args.proof {
            check_proof_library(&registries, &name)?;
        }
        let (requirement, replaced) = project::add(&project, &registries, &name, requirement, args.dev)?;
        Ok::<_, Error>((project, name, requirement, replaced))
    };
    match run() {
        Ok((project, name, requirement, replaced)) => {
            let table = if args.dev { "dev-dependencies" } else { "dependencies" };
            let verb = if replaced { "Changed" } else { "Added" };
            eprintln!("{verb} {name} = \"{requirement}\" in the {table} of {}", project.manifest.file.display());
            ExitCode::SUCCESS
        }
        Err(e) => report::fail(&e),
    }
}

/// `torc add --proof NAME`: NAME's releases in the registry it resolves
/// from must be proof libraries. An unknown name is left to `add`, which
/// says which registries it searched.
fn check_proof_library(registries: &Registries, name: &str) -> Result<(), Error> {
    let Some((registry, entries)) = registries.lookup(name)? else { return Ok(()) };
    match entries.iter().rev().find(|e| !e.yanked).or(entries.last()) {
        Some(entry) if entry.kind != PackageKind::Proof => Err(Error::input(
            Location::new("<command line>", 1, 1, "NAME"),
            format!(
                "`{name}` is a {} in registry `{}`, not a proof library; --proof adds only proof libraries",
                entry.kind,
                registry.name()
            ),
        )),
        _ => Ok(()),
    }
}

/// `torc-math` or `torc-math@^0.4`.
fn parse_dependency(text: &str) -> Result<(String, Option<VersionReq>), Error> {
    let Some((name, requirement)) = text.split_once('@') else {
        return Ok((text.to_owned(), None));
    };
    let requirement = VersionReq::parse(requirement).map_err(|e| {
        Error::input(
            Location::new("<command line>", 1, name.len() + 1 + e.column, "REQ"),
            format!("`{requirement}` is not a requirement: {}", e.message),
        )
    })?;
    Ok((name.to_owned(), Some(requirement)))
}
