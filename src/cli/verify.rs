//! `torc verify`: resolve the project and prove every contract at its
//! module boundaries.

use super::report;
use super::solve::Format;
use clap::Args;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use torc_engine::boundaries::{BoundaryReport, Obligation, Status};
use torc_engine::project::Project;
use torc_engine::registry::Registries;
use torc_engine::resolve::Unlock;
use torc_engine::verify;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The project: its manifest, or the directory holding it.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Fail (exit 4) instead of changing torc.lock.
    #[arg(long)]
    pub locked: bool,
    /// Z3's time limit per obligation, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub timeout: u32,
}

#[derive(Serialize)]
struct VerifyJson<'a> {
    /// `true` when every obligation was proved.
    verified: bool,
    proved: usize,
    failed: usize,
    unknown: usize,
    obligations: &'a [Obligation],
}

pub fn verify(args: &VerifyArgs) -> ExitCode {
    let run = || {
        let project = Project::open(args.manifest_path.as_deref())?;
        let registries = Registries::load()?;
        let options = torc_contracts::prove::Options { timeout_ms: args.timeout };
        verify::verify(&project, &registries, &Unlock::Nothing, args.locked, &options)
    };
    let verified = match run() {
        Ok(verified) => verified,
        Err(e) => return report::fail(&e),
    };
    let boundaries = &verified.boundaries;
    let count = |status| boundaries.obligations.iter().filter(|o| o.status == status).count();
    let ok = boundaries.first_failure().is_none();
    match args.format {
        Format::Json => {
            let json = VerifyJson {
                verified: ok,
                proved: count(Status::Proved),
                failed: count(Status::Failed),
                unknown: count(Status::Unknown),
                obligations: &boundaries.obligations,
            };
            println!("{}", serde_json::to_string_pretty(&json).expect("the report serialises"));
        }
        Format::Text => print!("{}", render(boundaries, verified.locked.resolved.packages.len())),
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(report::UNVERIFIED)
    }
}

fn render(report: &BoundaryReport, packages: usize) -> String {
    let mut out = String::new();
    let mut module = "";
    for o in &report.obligations {
        if o.module != module {
            module = &o.module;
            out.push_str(&format!("{module}\n"));
        }
        let status = match o.status {
            Status::Proved => "proved ",
            Status::Failed => "FAILED ",
            Status::Unknown => "UNKNOWN",
        };
        out.push_str(&format!("  {status} {} -> {}\n", o.from, o.to));
        if let Some(message) = &o.message {
            out.push_str(&format!("          {message}\n"));
        }
    }
    let total = report.obligations.len();
    let proved = report.proved();
    if total == 0 {
        out.push_str(&format!(
            "No module in the tree ({packages} packages) declares connections: no boundary obligations to prove.\n"
        ));
    } else if proved == total {
        out.push_str(&format!("All {total} boundary obligations proved.\n"));
    } else {
        out.push_str(&format!("{} of {total} boundary obligations not proved.\n", total - proved));
    }
    out
}
