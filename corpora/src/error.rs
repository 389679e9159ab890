//! The one error type of every importer. Each variant says where the
//! problem is as precisely as its format allows: a path for I/O, a file and
//! line (and the field, when there is one) for the line-oriented formats,
//! a file, line, column and JSON path for `torc-index/1` documents.

use crate::torc_index::Problem;
use std::fmt;
use std::io;
use std::path::PathBuf;
use torc_solver::semver::SemverError;

/// A place in a file, 1-based; the column counts characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// Why a corpus could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A corpus named without its kind (`load("Packages.xz")`).
    #[error("{spec:?}: expected KIND:PATH (debian:, opam:, crates: or torc-index:)")]
    Spec { spec: String },
    #[error("unknown kind `{kind}`; expected debian, opam, crates or torc-index")]
    UnknownKind { kind: String },
    /// A file, directory or archive could not be opened, read or
    /// decompressed.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// An entry of an archive could not be read (or is not UTF-8).
    #[error("cannot read index file {file}: {source}")]
    Entry {
        file: String,
        #[source]
        source: io::Error,
    },
    #[error("{file}: not valid UTF-8 (byte {offset})")]
    NotUtf8 { file: String, offset: usize },
    /// A malformed line, stanza or file of a line-oriented format: a Debian
    /// stanza (`field` is the field's name, or `<stanza>` for a line that is
    /// not a field), a crates.io index line (`field` is a JSON path such as
    /// `deps[2].req`, `<json>` for a syntax error, or `<line>`), an opam file
    /// in strict mode (no field).
    #[error("{file}:{line}: {}{message}", field_prefix(.field))]
    Line { file: String, line: usize, field: Option<String>, message: String },
    /// A `torc-index/1` document: `at`, then the JSON path of the field
    /// (empty for the document itself), then what is wrong.
    #[error("{at}: {}{problem}", path_prefix(.path))]
    Document { at: Location, path: String, problem: Box<Problem> },
    /// A `torc-index/1` document that reads well but does not build an index.
    #[error("{file}: {source}")]
    Registry {
        file: String,
        #[source]
        source: Box<SemverError>,
    },
}

impl Error {
    /// Where in a file the problem is, when the format says it to the column.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Error::Document { at, .. } => Some(at),
            _ => None,
        }
    }
}

fn field_prefix(field: &Option<String>) -> String {
    field.as_ref().map_or_else(String::new, |field| format!("field `{field}`: "))
}

fn path_prefix(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{path}: ")
    }
}
