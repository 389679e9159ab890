//! The engine's one error type. Errors are data: the CLI renders them and
//! maps each [`ErrorKind`] to its exit code.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A place in an input file: 1-based line and column, and the key (a dotted
/// path such as `module.resource-bounds.stack`) when there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    /// Empty when the problem is not under a key (a syntax error).
    pub key: String,
    /// Line `line` of the text that was parsed, kept for the excerpt under
    /// the error: the renderer never opens `file` again (it may be a FIFO,
    /// a device, or a link that now points elsewhere). `None` when the
    /// error does not point into text Torc read.
    pub excerpt: Option<String>,
}

/// The most of a line an excerpt keeps.
const MAX_EXCERPT_CHARS: usize = 400;

impl Location {
    pub fn new(file: impl Into<PathBuf>, line: usize, column: usize, key: impl Into<String>) -> Self {
        Location { file: file.into(), line, column, key: key.into(), excerpt: None }
    }

    /// A place in `text`, the parsed content of `file`, keeping its line
    /// for the excerpt.
    pub fn in_text(file: impl Into<PathBuf>, text: &str, line: usize, column: usize, key: impl Into<String>) -> Self {
        Location::new(file, line, column, key).with_excerpt_from(text)
    }

    /// Keeps line `self.line` of `text` (the text this location is in) as
    /// the excerpt, cut to a bounded length.
    pub fn with_excerpt_from(mut self, text: &str) -> Self {
        self.excerpt = self
            .line
            .checked_sub(1)
            .and_then(|i| text.lines().nth(i))
            .map(|line| line.chars().take(MAX_EXCERPT_CHARS).collect());
        self
    }

    /// Keeps `line`, the text of line `self.line`, as the excerpt.
    pub fn with_excerpt(mut self, line: &str) -> Self {
        self.excerpt = Some(line.lines().next().unwrap_or("").chars().take(MAX_EXCERPT_CHARS).collect());
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)?;
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        Ok(())
    }
}

/// Which exit code an error gets at the CLI edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Malformed input: a manifest, lockfile, registry index, config file or
    /// requirement that does not parse or type-check.
    BadInput,
    /// The registry refused: the version exists already, the package or
    /// version is unknown, the registry cannot be written.
    Refused,
    /// No set of versions satisfies the requirements.
    Unresolvable,
    /// The trust policy (`[trust]`, `--locked`) forbids the result.
    Policy,
    /// The file system failed.
    Io,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that does not parse or does not mean anything.
    #[error("{location}: {message}")]
    Input { location: Location, message: String },

    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// No `torc.toml` or `spec.yaml` in a directory or its parents.
    #[error("no torc.toml or spec.yaml in {} or any parent directory", dir.display())]
    ManifestNotFound { dir: PathBuf },

    /// Publishing a version that the registry already has.
    #[error("{name} {version} is already published in registry `{registry}`; a published version is never overwritten (bump the version)")]
    VersionExists { name: String, version: String, registry: String },

    /// No configured registry has the package.
    #[error("no registry has a package named `{name}` (searched: {})", searched.join(", "))]
    PackageNotFound { name: String, searched: Vec<String> },

    /// The registry has the package but not that version.
    #[error("registry `{registry}` has no version {version} of {name}")]
    VersionNotFound { name: String, version: String, registry: String },

    /// A registry that cannot be used for what was asked.
    #[error("registry `{registry}`: {message}")]
    Registry { registry: String, message: String },

    /// A package archive Torc will not read: an entry or the whole inflates
    /// past the caps in [`crate::registry::archive`].
    #[error("package {package}: {message}")]
    ArchiveRefused { package: String, message: String },

    /// The lock pins an artifact whose hash no longer matches the registry's.
    #[error("torc.lock pins {name} {version} from `{registry}` with blake3 {locked}, but the registry now has {actual}: the published artifact changed, which must never happen; refusing to continue")]
    HashMismatch { name: String, version: String, registry: String, locked: String, actual: String },

    /// The resolver found no solution; `explanation` is already rendered.
    #[error("cannot resolve the dependencies of {root}:\n{explanation}")]
    NoSolution { root: String, explanation: String, facts: torc_solver::Explanation },

    /// The chosen releases depend on each other in a cycle.
    #[error("dependency cycle: {}", path.join(" -> "))]
    Cycle { path: Vec<String> },

    /// The project's `[trust]` policy rejects a resolved package.
    #[error("{location}: {message}")]
    Trust { location: Location, message: String },

    /// `--locked` and the lockfile would have to change.
    #[error("torc.lock needs to change but --locked was given: {reason}")]
    LockOutdated { reason: String },

    /// The semver gate refused a release: its version does not match its
    /// changes, or a contract change could not be decided. The report
    /// says why, finding by finding.
    #[error("refused by the semver gate: {}", report.refusal())]
    GateRefused { report: Box<crate::gate::Report> },

    /// A proof library with lemmas Z3 refuted or could not prove (and
    /// that are not axioms); one line per lemma.
    #[error("proof library {name} {version} is refused: {} lemma(s) not proved\n  {}", failures.len(), failures.join("\n  "))]
    LibraryRefused { name: String, version: String, failures: Vec<String> },
}

impl Error {
    pub fn input(location: Location, message: impl Into<String>) -> Self {
        Error::Input { location, message: message.into() }
    }

    pub fn io(path: impl AsRef<Path>, source: io::Error) -> Self {
        Error::Io { path: path.as_ref().to_path_buf(), source }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Input { .. } | Error::ManifestNotFound { .. } => ErrorKind::BadInput,
            Error::Io { .. } => ErrorKind::Io,
            Error::VersionExists { .. }
            | Error::VersionNotFound { .. }
            | Error::Registry { .. }
            | Error::HashMismatch { .. }
            | Error::ArchiveRefused { .. }
            | Error::GateRefused { .. }
            | Error::LibraryRefused { .. } => ErrorKind::Refused,
            Error::PackageNotFound { .. } | Error::NoSolution { .. } | Error::Cycle { .. } => ErrorKind::Unresolvable,
            Error::Trust { .. } | Error::LockOutdated { .. } => ErrorKind::Policy,
        }
    }
}

/// 1-based (line, column) of byte `offset` in `text`; the column counts
/// characters, not bytes.
///
/// ```
/// use torc_engine::error::line_col;
/// assert_eq!(line_col("a = 1\nb = x\n", 10), (2, 5));
/// ```
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}
