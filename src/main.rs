//! `torc`: resolve requirements against a registry of formal artifacts.

mod cli;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(name = "torc", version, about = "Resolver and verification engine for a registry of formal artifacts")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Choose one release of every package needed by the requirements.
    Solve(cli::solve::SolveArgs),
    /// Resolve the project, update torc.lock, and print its dependency tree (exit 6 if a boundary's contracts are not compatible).
    Tree(cli::tree::TreeArgs),
    /// Resolve the project and prove every contract at its module boundaries.
    Verify(cli::verify::VerifyArgs),
    /// Prove the graph obligations lemma first (cache, lemmas, Z3); --check re-checks stored proofs.
    Prove(cli::verify::ProveArgs),
    /// Re-resolve locked packages (all, or the ones named) to their newest fitting releases.
    Update(cli::tree::UpdateArgs),
    /// Check the version with the semver gate, pack the package and publish it to a registry.
    Publish(cli::registry::PublishArgs),
    /// Hide a release from new resolutions (locks that pin it keep working).
    Yank(cli::registry::YankArgs),
    /// Create a new package: a module, platform model, proof library or spec package.
    Init(cli::package::InitArgs),
    /// Add a dependency to the manifest.
    Add(cli::package::AddArgs),
    /// List what the resolved tree trusts: proof libraries, their axioms, modules' safety claims.
    Audit(cli::proofs::AuditArgs),
    /// Compile the module's graph.toml to target/torc/<module>.trc.
    Build(cli::graph::BuildArgs),
    /// Inspect compiled graph modules (.trc).
    Graph(cli::graph::GraphArgs),
    /// Compare two releases with the contract-aware semver gate.
    Diff(cli::gate::DiffArgs),
    /// Say which version the package's changes need next, against its registry (exit 3 if the manifest's is too low).
    Bump(cli::gate::BumpArgs),
    /// The lemma index at scale: import a Metamath database, search it, describe it.
    Lemmas(cli::lemmas::LemmasArgs),
}

fn main() -> ExitCode {
    // Usage errors print clap's message and exit with status 2.
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Solve(args) => cli::solve::main(&args),
        Command::Tree(args) => cli::tree::tree(&args),
        Command::Verify(args) => cli::verify::verify(&args),
        Command::Prove(args) => cli::verify::prove(&args),
        Command::Update(args) => cli::tree::update(&args),
        Command::Publish(args) => cli::registry::publish(&args),
        Command::Yank(args) => cli::registry::yank(&args),
        Command::Init(args) => cli::package::init(&args),
        Command::Add(args) => cli::package::add(&args),
        Command::Audit(args) => cli::proofs::audit(&args),
        Command::Build(args) => cli::graph::build(&args),
        Command::Graph(args) => cli::graph::graph(&args),
        Command::Diff(args) => cli::gate::diff(&args),
        Command::Bump(args) => cli::gate::bump(&args),
        Command::Lemmas(args) => cli::lemmas::lemmas(&args),
    };
    cli::out::finish(code)
}
