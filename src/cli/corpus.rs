//! `torc solve --corpus KIND:PATH`: the resolver on a real registry
//! (Debian `Packages`, the opam repository, the crates.io index, a
//! `torc-index/1` document; see [`torc_corpora::load`]), with the
//! researchers' workloads: `--installability`, `--each-version`, or one
//! request (`--require`).
//!
//! Exit status: 0 when the workload ran (and, for `--require`, was solved;
//! `--installability` exits 0 even with uninstallable packages: they are
//! its answer); 1 when a single request has no solution; 2 for bad input.

use super::solve::{Format, SolveArgs};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::process::ExitCode;
use std::time::Instant;
use torc_corpora::{workload, Error as CorpusError, ImportOptions};
use torc_solver::{Index, PackageId, Resolution, ResolveOptions, Resolver, Root, VersionIx};

/// Loads the corpus `spec` (`KIND:PATH`) into the resolver's model; an
/// error is said as `--corpus` would be.
fn load(spec: &str) -> Result<(&'static str, Index), String> {
    match torc_corpora::load(spec, &ImportOptions::default()) {
        Ok(corpus) => Ok((corpus.kind().name(), corpus.index)),
        Err(e @ CorpusError::Spec { .. }) => Err(format!("--corpus {e}")),
        Err(e @ CorpusError::UnknownKind { .. }) => Err(format!("--corpus: {e}")),
        Err(e) => Err(e.to_string()),
    }
}

fn progress_bar(total: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    bar
}

pub fn main(spec: &str, args: &SolveArgs) -> ExitCode {
    let started = Instant::now();
    let (kind, index) = match load(spec) {
        Ok(loaded) => loaded,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let loaded_ms = started.elapsed().as_secs_f64() * 1e3;
    let total = index.release_count();
    if args.installability || args.each_version {
        let what = if args.installability { "installability" } else { "each version" };
        let bar = progress_bar(total, what);
        let solving = Instant::now();
        let json = if args.installability {
            let report = workload::installability(&index, |done, _| bar.set_position(done as u64));
            bar.finish_and_clear();
            if args.format == Format::Text {
                for u in &report.uninstallable {
                    println!("{} {}: {}", u.package, u.version, u.explanation);
                }
                println!(
                    "{kind}: {} releases checked, {} installable, {} uninstallable ({} resolver calls); import {loaded_ms:.0} ms, check {:.0} ms",
                    report.checked,
                    report.installable,
                    report.uninstallable.len(),
                    report.resolved,
                    solving.elapsed().as_secs_f64() * 1e3
                );
                return ExitCode::SUCCESS;
            }
            json!({
                "corpus": kind, "checked": report.checked, "installable": report.installable,
                "uninstallable": report.uninstallable, "resolver_calls": report.resolved,
                "import_ms": loaded_ms, "check_ms": solving.elapsed().as_secs_f64() * 1e3,
            })
        } else {
            let report = workload::each_version(&index, |done, _| bar.set_position(done as u64));
            bar.finish_and_clear();
            if args.format == Format::Text {
                println!(
                    "{kind}: {} roots resolved: {} sat, {} unsat, {} with cycles; import {loaded_ms:.0} ms, resolve {:.0} ms",
                    report.checked,
                    report.sat,
                    report.unsat,
                    report.cycles,
                    solving.elapsed().as_secs_f64() * 1e3
                );
                return ExitCode::SUCCESS;
            }
            json!({
                "corpus": kind, "checked": report.checked, "sat": report.sat, "unsat": report.unsat,
                "cycles": report.cycles, "greedy_only": report.greedy_only, "sat_searches": report.sat_searches,
                "import_ms": loaded_ms, "resolve_ms": solving.elapsed().as_secs_f64() * 1e3,
            })
        };
        println!("{}", serde_json::to_string_pretty(&json).expect("serialises"));
        return ExitCode::SUCCESS;
    }
    single_request(kind, &index, args)
}

/// `--require NAME` (the newest release the resolver can install) or
/// `--require 'NAME VERSION'` (exactly that release), several ANDed.
fn single_request(kind: &str, index: &Index, args: &SolveArgs) -> ExitCode {
    let mut dependencies = Vec::new();
    for argument in &args.require {
        let mut parts = argument.split_whitespace();
        let name = parts.next().unwrap_or_default();
        let version = parts.next();
        let Some(package) = index.package_id(name) else {
            eprintln!("error: --require {argument:?}: the {kind} corpus has no package `{name}`");
            return ExitCode::from(2);
        };
        let releases = &index.package(package).releases;
        let set = match version {
            None => torc_solver::VersionSet::full(releases.len() as u32),
            Some(v) => match releases.iter().position(|r| r.label == v) {
                Some(ix) => torc_solver::VersionSet::singleton(ix as VersionIx),
                None => {
                    eprintln!("error: --require {argument:?}: `{name}` has no version {v}");
                    return ExitCode::from(2);
                }
            },
        };
        dependencies.push(index.constraint(package, set, version.unwrap_or("*")).into());
    }
    let root = Root::new(dependencies);
    let mut resolver = Resolver::new(index);
    let name = |p: PackageId, ix: VersionIx| (index.name(p).to_owned(), index.release(p, ix).label.clone());
    let (solution, code) = match resolver.resolve(&root, &ResolveOptions::default()) {
        Resolution::Solved(solution) => (Some(solution), 0),
        Resolution::Cycle(cycle) => (Some(cycle.solution), 0),
        Resolution::NoSolution(explanation) => {
            match args.format {
                Format::Text => eprintln!("error: no solution\n{}", explanation.render()),
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({"status": "unsat", "explanation": explanation.render(), "core": explanation.facts}))
                        .expect("serialises")
                ),
            }
            return ExitCode::from(1);
        }
    };
    let chosen: Vec<(String, String)> =
        solution.iter().flat_map(|s| s.choices().iter().map(|&(p, ix)| name(p, ix))).collect();
    match args.format {
        Format::Text => {
            for (n, v) in &chosen {
                println!("{n} {v}");
            }
        }
        Format::Json => {
            let map: serde_json::Map<String, serde_json::Value> =
                chosen.into_iter().map(|(n, v)| (n, serde_json::Value::String(v))).collect();
            println!("{}", serde_json::to_string_pretty(&json!({"status": "sat", "solution": map})).expect("serialises"));
        }
    }
    ExitCode::from(code)
}
