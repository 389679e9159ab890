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
}

fn main() -> ExitCode {
    // Usage errors print clap's message and exit with status 2.
    let cli = Cli::parse();
    match cli.command {
        Command::Solve(args) => cli::solve::main(&args),
    }
}
