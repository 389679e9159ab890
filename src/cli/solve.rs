//! `torc solve`: resolve root requirements against a `torc-index/1` file.
//!
//! Exit status: 0 when solved, 1 when there is no solution or the solution
//! has a dependency cycle, 2 for bad input (files, JSON, requirements,
//! lock file; clap gives 2 for usage errors as well).

use clap::{Args, ValueEnum};
use semver::Version;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use thiserror::Error;
use torc_corpora::torc_index;
use torc_solver::semver::{ReqError, SemverError, SemverRegistry, VersionReq};
use torc_solver::{Fact, Index, PackageId, Preference, Resolution, ResolveOptions, Resolver, VersionIx};

#[derive(Debug, Args)]
pub struct SolveArgs {
    /// The registry: a `torc-index/1` JSON document.
    #[arg(long, value_name = "FILE", required_unless_present = "corpus", conflicts_with = "corpus")]
    pub index: Option<PathBuf>,
    /// A real registry instead: `debian:Packages.xz`, `opam:opam-packages.tar.xz`,
    /// `crates:crates-io-sparse-subset.tar.xz` or `torc-index:index.json`.
    #[arg(long, value_name = "KIND:PATH")]
    pub corpus: Option<String>,
    /// With --corpus: check every package for installability alone.
    #[arg(long, requires = "corpus", conflicts_with = "each_version")]
    pub installability: bool,
    /// With --corpus: resolve every version of every package as a root.
    #[arg(long, requires = "corpus")]
    pub each_version: bool,
    /// A root requirement, "NAME REQ" (e.g. 'serde ^1.0'); a bare NAME means
    /// any version. Repeat for several. With --corpus: "NAME" or
    /// "NAME VERSION" (exactly that version).
    #[arg(long = "require", value_name = "NAME REQ", required_unless_present_any = ["installability", "each_version"])]
    pub require: Vec<String>,
    /// Keep the releases of a previous solution while they still fit: the
    /// JSON output of `torc solve`, or a bare {"name": "version"} map.
    #[arg(long, value_name = "FILE")]
    pub lock: Option<PathBuf>,
    /// Prefer the oldest fitting releases instead of the newest.
    #[arg(long)]
    pub minimal: bool,
    /// How to print the result.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Let requirements match pre-release versions.
    #[arg(long)]
    pub allow_prerelease: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Why `torc solve` could not even try.
#[derive(Debug, Error)]
pub enum SolveError {
    #[error(transparent)]
    Index(#[from] torc_corpora::Error),
    #[error("{file}: {source}")]
    Registry {
        file: String,
        #[source]
        source: Box<SemverError>,
    },
    #[error(transparent)]
    Require(#[from] RequireError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("cannot write the result: {0}")]
    Output(#[source] io::Error),
}

impl SolveError {
    /// Every one of these is bad input.
    pub fn exit_code(&self) -> u8 {
        2
    }
}

/// A `--require` argument that does not read as "NAME REQ".
#[derive(Debug, Error)]
pub enum RequireError {
    #[error("--require {argument:?}: expected \"NAME REQ\" or \"NAME\"")]
    Empty { argument: String },
    #[error("--require {argument:?}: invalid requirement at column {column}: {}\n{}", .source.message, pointer(.argument, *.column))]
    Invalid {
        argument: String,
        /// 1-based column in `argument` (characters).
        column: usize,
        /// The error, its column counted in the requirement alone.
        #[source]
        source: Box<ReqError>,
    },
}

/// `argument` with a caret under `column` (1-based, characters).
fn pointer(argument: &str, column: usize) -> String {
    // Copy tabs from the argument so the caret lines up in a terminal.
    let pad: String =
        argument.chars().take(column.saturating_sub(1)).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
    format!("  {argument}\n  {pad}^")
}

/// A `--lock` file that cannot be used.
#[derive(Debug, Error)]
pub enum LockError {
    #[error("{file}: cannot read lock file: {source}")]
    Read {
        file: String,
        #[source]
        source: io::Error,
    },
    #[error("{file}:{line}:{column}: malformed JSON in lock file: {message}")]
    Json { file: String, line: usize, column: usize, message: String },
    #[error("{file}: {message}")]
    Shape { file: String, message: String },
    #[error("{file}: {path}: invalid version {version:?}: {message}")]
    Version { file: String, path: String, version: String, message: String },
}

/// Parses "NAME REQ" (split at the first whitespace); a bare "NAME" is `*`.
pub fn parse_require(argument: &str) -> Result<(String, VersionReq), RequireError> {
    let trimmed = argument.trim_start();
    let lead = argument.len() - trimmed.len();
    let (name, rest) = match trimmed.find(char::is_whitespace) {
        Some(split) => trimmed.split_at(split),
        None => (trimmed, ""),
    };
    if name.is_empty() {
        return Err(RequireError::Empty { argument: argument.to_owned() });
    }
    let req_text = rest.trim();
    let (req_text, req_start) = if req_text.is_empty() {
        ("*", None)
    } else {
        // Byte offset of the requirement inside `argument`.
        (req_text, Some(lead + name.len() + (rest.len() - rest.trim_start().len())))
    };
    VersionReq::parse(req_text).map(|req| (name.to_owned(), req)).map_err(|source| {
        let before = req_start.map_or(0, |start| argument.get(..start).map_or(start, |s| s.chars().count()));
        RequireError::Invalid {
            argument: argument.to_owned(),
            column: before + source.column.max(1),
            source: Box::new(source),
        }
    })
}

/// The pins of a lock file that name releases of the index.
#[derive(Debug, Default)]
pub struct Lock {
    pub pins: HashMap<PackageId, VersionIx>,
    /// Pins that were ignored, said in words.
    pub ignored: Vec<String>,
}

/// Reads a lock file: `torc solve --format json` output, or a bare
/// `{"name": "version"}` map.
pub fn read_lock(path: &Path, index: &Index, registry: &SemverRegistry) -> Result<Lock, LockError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| LockError::Read { file: file.clone(), source })?;
    parse_lock(&text, &file, index, registry)
}

pub fn parse_lock(text: &str, file: &str, index: &Index, registry: &SemverRegistry) -> Result<Lock, LockError> {
    let shape = |message: String| LockError::Shape { file: file.to_owned(), message };
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        LockError::Json {
            file: file.to_owned(),
            line: e.line(),
            column: e.column(),
            message: full.strip_suffix(&suffix).unwrap_or(&full).to_owned(),
        }
    })?;
    let Value::Object(top) = &doc else {
        return Err(shape("expected a JSON object: the output of `torc solve --format json` or {\"name\": \"version\"}".into()));
    };
    // A package may be called "status" or "solution", so a bare map is
    // only taken for solve output when it has a solution object.
    let (map, prefix) = match (top.get("status"), top.get("solution")) {
        (Some(Value::String(status)), Some(Value::Object(solution))) if status == "sat" => (solution, "solution."),
        (Some(Value::String(status)), Some(Value::Object(_))) => {
            return Err(shape(format!("a torc solve result with status {status:?} has no solution to lock")));
        }
        (Some(Value::String(status)), None) if status == "unsat" || status == "cycle" => {
            return Err(shape(format!("a torc solve result with status {status:?} has no solution to lock")));
        }
        (None, Some(Value::Object(solution))) => (solution, "solution."),
        _ => (top, ""),
    };
    let mut lock = Lock::default();
    for (name, version) in map {
        let path = format!("{prefix}{name}");
        let Value::String(version) = version else {
            return Err(shape(format!("{path}: expected a version string, found {}", kind(version))));
        };
        let parsed = Version::parse(version).map_err(|e| LockError::Version {
            file: file.to_owned(),
            path: path.clone(),
            version: version.clone(),
            message: e.to_string(),
        })?;
        match registry.locate(index, name, &parsed) {
            Some((package, ix)) => {
                lock.pins.insert(package, ix);
            }
            None if index.package_id(name).is_none() => {
                lock.ignored.push(format!("{file}: lock pins {name} {version}, but the index has no package {name}; ignored"));
            }
            None => {
                lock.ignored.push(format!("{file}: lock pins {name} {version}, which is not in the index; ignored"));
            }
        }
    }
    Ok(lock)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The result, as printed with `--format json`.
#[derive(Debug, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Report {
    Sat {
        /// Name to version, sorted by name.
        solution: BTreeMap<String, String>,
    },
    Unsat {
        explanation: String,
        core: Vec<Fact>,
    },
    Cycle {
        cycle: Vec<String>,
    },
}

impl Report {
    pub fn exit_code(&self) -> u8 {
        match self {
            Report::Sat { .. } => 0,
            Report::Unsat { .. } | Report::Cycle { .. } => 1,
        }
    }
}

/// What `torc solve` found, with the warnings met on the way.
#[derive(Debug)]
pub struct Outcome {
    pub report: Report,
    pub warnings: Vec<String>,
}

/// Runs `torc solve` without printing anything.
pub fn run(args: &SolveArgs) -> Result<Outcome, SolveError> {
    let requirements = args.require.iter().map(|r| parse_require(r)).collect::<Result<Vec<_>, _>>()?;
    let index_path = args.index.as_deref().unwrap_or(Path::new("-"));
    let file = index_path.display().to_string();
    let mut registry = torc_index::read_index(index_path)?;
    registry.allow_prerelease(args.allow_prerelease);
    // Requested names missing from the index get an empty entry, so an
    // explanation can name them.
    let (index, root) =
        registry.build_for(&requirements).map_err(|source| SolveError::Registry { file, source: Box::new(source) })?;
    let lock = match &args.lock {
        Some(path) => read_lock(path, &index, &registry)?,
        None => Lock::default(),
    };
    let options = ResolveOptions {
        preference: if args.minimal { Preference::Oldest } else { Preference::Newest },
        lock: lock.pins,
    };
    let report = match Resolver::new(&index).resolve(&root, &options) {
        Resolution::Solved(solution) => Report::Sat {
            solution: solution
                .choices()
                .iter()
                .map(|&(p, ix)| (index.name(p).to_owned(), index.release(p, ix).label.clone()))
                .collect(),
        },
        Resolution::NoSolution(explanation) => {
            Report::Unsat { explanation: explanation.render(), core: explanation.facts }
        }
        Resolution::Cycle(cycle) => Report::Cycle { cycle: cycle.describe(&index) },
    };
    Ok(Outcome { report, warnings: lock.ignored })
}

/// Runs `torc solve` and prints the result; returns the exit status.
pub fn main(args: &SolveArgs) -> ExitCode {
    if let Some(corpus) = &args.corpus {
        return super::corpus::main(corpus, args);
    }
    let status = match run(args).and_then(|outcome| print(&outcome, args.format)) {
        Ok(status) => status,
        Err(e) => {
            let _ = writeln!(io::stderr(), "error: {e}");
            e.exit_code()
        }
    };
    ExitCode::from(status)
}

struct Text<'a>(&'a Report);

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Report::Sat { solution } => solution.iter().try_for_each(|(name, version)| writeln!(f, "{name} {version}")),
            Report::Unsat { explanation, .. } => writeln!(f, "error: no solution\n{explanation}"),
            Report::Cycle { cycle } => writeln!(f, "error: dependency cycle: {}", cycle.join(" -> ")),
        }
    }
}

fn print(outcome: &Outcome, format: Format) -> Result<u8, SolveError> {
    let (out, to_stdout) = match format {
        Format::Json => {
            let json = serde_json::to_string_pretty(&outcome.report)
                .map_err(|e| SolveError::Output(io::Error::other(e)))?;
            (format!("{json}\n"), true)
        }
        Format::Text => {
            let mut stderr = io::stderr().lock();
            for warning in &outcome.warnings {
                let _ = writeln!(stderr, "warning: {warning}");
            }
            (Text(&outcome.report).to_string(), matches!(outcome.report, Report::Sat { .. }))
        }
    };
    let written = if to_stdout {
        let mut stdout = io::stdout().lock();
        stdout.write_all(out.as_bytes()).and_then(|()| stdout.flush())
    } else {
        io::stderr().lock().write_all(out.as_bytes())
    };
    match written {
        // A reader that went away (`torc solve ... | head`) is not an error.
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(SolveError::Output(e)),
        _ => Ok(outcome.report.exit_code()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn require_splits_at_first_whitespace() {
        let (name, _) = parse_require("serde ^1.0").unwrap();
        assert_eq!(name, "serde");
        let (name, _) = parse_require("  serde\t >=1.0, <2  ").unwrap();
        assert_eq!(name, "serde");
        let (name, _) = parse_require("serde").unwrap();
        assert_eq!(name, "serde");
        assert!(matches!(parse_require("   "), Err(RequireError::Empty { .. })));
    }

    #[test]
    fn bad_require_points_into_the_argument() {
        let Err(RequireError::Invalid { column, source, .. }) = parse_require("ab  ^1.x.3") else {
            panic!("expected an invalid requirement");
        };
        assert_eq!(column, 4 + source.column);
    }
}
