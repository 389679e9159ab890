//! `torc lemmas`: the lemma index at scale. `import-metamath` turns a
//! Metamath database (set.mm) into an index, `search` finds the lemmas whose
//! conclusion generalises a term, `stats` describes an index.

use super::report::{BAD_INPUT, IO};
use clap::{Args, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use torc_proofs::index::{IndexBuilder, IndexError, LemmaIndex};
use torc_proofs::metamath;

#[derive(Debug, Args)]
pub struct LemmasArgs {
    #[command(subcommand)]
    pub command: LemmasCommand,
}

#[derive(Debug, Subcommand)]
pub enum LemmasCommand {
    /// Import a Metamath database (plain or .xz) into a lemma index.
    ImportMetamath(ImportArgs),
    /// Lemmas whose conclusion generalises TERM (e.g. `wi(?0, wi(?1, ?0))`), most specific first.
    Search(SearchArgs),
    /// Sizes of a lemma index.
    Stats(StatsArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The database; default `$TORC_CORPORA/set.mm.xz`, else `../shared/corpora/set.mm.xz`.
    pub path: Option<PathBuf>,
    /// Where to write the index; default `$TORC_HOME/lemmas/metamath.idx`.
    #[arg(long, value_name = "INDEX")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The goal, in term syntax with syntax-axiom labels as heads.
    pub term: String,
    #[arg(long, value_name = "INDEX")]
    pub index: Option<PathBuf>,
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    #[arg(long, value_name = "INDEX")]
    pub index: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub fn lemmas(args: &LemmasArgs) -> ExitCode {
    match &args.command {
        LemmasCommand::ImportMetamath(a) => import(a),
        LemmasCommand::Search(a) => search(a),
        LemmasCommand::Stats(a) => stats(a),
    }
}

fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(code)
}

fn index_error(e: &IndexError) -> ExitCode {
    let code = match e {
        IndexError::Io { source, .. } if source.kind() != std::io::ErrorKind::NotFound => IO,
        _ => BAD_INPUT,
    };
    fail(code, e)
}

fn default_index() -> Result<PathBuf, ExitCode> {
    torc_engine::registry::config::torc_home()
        .map(|home| home.join("lemmas").join("metamath.idx"))
        .map_err(|e| super::report::fail(&e))
}

fn default_corpus() -> PathBuf {
    match std::env::var_os("TORC_CORPORA").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir).join("set.mm.xz"),
        None => Path::new("..").join("shared").join("corpora").join("set.mm.xz"),
    }
}

fn import(args: &ImportArgs) -> ExitCode {
    let path = args.path.clone().unwrap_or_else(default_corpus);
    let output = match args.output.clone().map_or_else(default_index, Ok) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let start = Instant::now();
    let report = match metamath::import(&path, "set.mm") {
        Ok(r) => r,
        Err(metamath::MetamathError::Io { path, source }) if source.kind() != std::io::ErrorKind::NotFound => {
            return fail(IO, format!("{}: {source}", path.display()))
        }
        Err(e) => return fail(BAD_INPUT, e),
    };
    let parsed = start.elapsed();
    let mut builder = IndexBuilder::new();
    for entry in &report.entries {
        builder.add(entry.clone());
    }
    if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The default, `<home>/lemmas/`, must not be a link out of the home;
        // an `--output` path is the user's to choose.
        let made = match (&args.output, dir.parent()) {
            (None, Some(home)) => torc_fs::create_dir_within(home, dir),
            _ => std::fs::create_dir_all(dir),
        };
        if let Err(e) = made {
            return fail(IO, format!("{}: {e}", dir.display()));
        }
    }
    let digest = match builder.write(&output).and_then(|d| LemmaIndex::verify(&output, Some(&d))) {
        Ok(d) => d,
        Err(e) => return index_error(&e),
    };
    let bytes = std::fs::metadata(&output).map(|m| m.len()).unwrap_or(0);
    println!(
        "Imported {} lemmas from {} ({} theorems, {} axioms and definitions; {} syntax axioms; {} skipped)",
        report.entries.len(),
        path.display(),
        report.theorems,
        report.axioms,
        report.syntax_axioms,
        report.skipped
    );
    for (reason, n) in &report.reasons {
        println!("  skipped {n}: {reason}");
    }
    println!(
        "Wrote {} ({bytes} bytes) in {:.2} s (parse and convert {:.2} s), blake3 {digest}",
        output.display(),
        start.elapsed().as_secs_f64(),
        parsed.as_secs_f64()
    );
    ExitCode::SUCCESS
}

fn open(index: &Option<PathBuf>) -> Result<(LemmaIndex, PathBuf, f64), ExitCode> {
    let path = index.clone().map_or_else(default_index, Ok)?;
    let start = Instant::now();
    let index = LemmaIndex::open(&path).map_err(|e| index_error(&e))?;
    Ok((index, path, start.elapsed().as_secs_f64() * 1e6))
}

/// `torc lemmas search --format json`.
#[derive(serde::Serialize)]
struct SearchReport<'a> {
    index: String,
    goal: String,
    matches: usize,
    lemmas: Vec<Generalising<'a>>,
    related: Vec<Related<'a>>,
    query_us: f64,
}

/// A lemma whose conclusion generalises the goal, and how.
#[derive(serde::Serialize)]
struct Generalising<'a> {
    name: &'a str,
    library: &'a str,
    hypotheses: usize,
    conclusion: String,
    substitution: std::collections::BTreeMap<String, String>,
}

/// A lemma sharing symbols with a goal none generalises.
#[derive(serde::Serialize)]
struct Related<'a> {
    name: &'a str,
    library: &'a str,
    conclusion: String,
    shared_symbols: usize,
}

/// `torc lemmas stats --format json`.
#[derive(serde::Serialize)]
struct StatsReport {
    #[serde(flatten)]
    stats: torc_proofs::index::IndexStats,
    index: String,
    open_us: f64,
}

fn search(args: &SearchArgs) -> ExitCode {
    let goal = match metamath::parse_goal(&args.term) {
        Ok(g) => g,
        Err(e) => return fail(BAD_INPUT, e),
    };
    let (index, path, _) = match open(&args.index) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let start = Instant::now();
    let found = index.query(&goal);
    let related = if found.is_empty() { index.related(&goal, args.limit) } else { Vec::new() };
    let micros = start.elapsed().as_secs_f64() * 1e6;
    let exact: Vec<Generalising> = found
        .iter()
        .take(args.limit)
        .map(|m| {
            let lemma = index.lemma(m.id);
            Generalising {
                name: lemma.name(),
                library: lemma.library(),
                hypotheses: lemma.hypotheses(),
                conclusion: lemma.conclusion().to_string(),
                substitution: m.substitution.iter().map(|(v, t)| (format!("?{v}"), t.to_string())).collect(),
            }
        })
        .collect();
    let partial: Vec<Related> = related
        .iter()
        .map(|&(id, shared)| {
            let lemma = index.lemma(id);
            Related {
                name: lemma.name(),
                library: lemma.library(),
                conclusion: lemma.conclusion().to_string(),
                shared_symbols: shared,
            }
        })
        .collect();
    match args.format {
        Format::Json => {
            let doc = SearchReport {
                index: path.display().to_string(),
                goal: goal.to_string(),
                matches: found.len(),
                lemmas: exact,
                related: partial,
                query_us: micros,
            };
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        Format::Text => {
            if found.is_empty() {
                println!("No lemma generalises {goal}; related lemmas:");
                for r in &partial {
                    println!(
                        "  {} ({}): {} [{} shared symbols]",
                        r.name, r.library, r.conclusion, r.shared_symbols
                    );
                }
            } else {
                match found.len() {
                    1 => println!("1 lemma generalises {goal}:"),
                    n => println!("{n} lemmas generalise {goal}:"),
                }
                for (m, e) in found.iter().zip(&exact) {
                    let sigma: Vec<String> = m.substitution.iter().map(|(v, t)| format!("?{v} := {t}")).collect();
                    let (name, library) = (e.name, e.library);
                    println!("  {name} ({library}) with {{{}}}", sigma.join(", "));
                }
            }
            println!("query: {micros:.1} µs");
        }
    }
    ExitCode::SUCCESS
}

fn stats(args: &StatsArgs) -> ExitCode {
    let (index, path, open_us) = match open(&args.index) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let s = index.stats();
    match args.format {
        Format::Json => {
            let doc = StatsReport { stats: s, index: path.display().to_string(), open_us };
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        Format::Text => {
            println!("{}", path.display());
            println!("  lemmas:  {}", s.lemmas);
            println!("  nodes:   {} ({} edges, {} keys, depth {})", s.nodes, s.edges, s.keys, s.depth);
            println!("  symbols: {}", s.symbols);
            println!("  bytes:   {}", s.bytes);
            println!("  open:    {open_us:.1} µs");
        }
    }
    ExitCode::SUCCESS
}
