//! The crate's errors: [`GraphError`] for a `graph.toml` that does not read
//! or does not make a valid graph (always with file, line, column and key),
//! and [`DecodeError`] for `.trc` bytes that are not a module.

use std::fmt;
use std::path::PathBuf;

/// A problem in a `graph.toml`: where it is and what is wrong.
///
/// Displayed as `file:line:col: key: message` (without `key: ` when the
/// problem is not under a key, as a TOML syntax error).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphError {
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// Dotted key path (`node[2].cost.stack`); empty when there is none.
    pub key: String,
    pub message: String,
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for GraphError {}

/// Why bytes are not a `.trc` module. Decoding never panics and never
/// allocates more than a small multiple of the input's length; every
/// failure is one of these.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The file ends before the module does.
    #[error("truncated at byte {at}: the file ends in the middle of the module")]
    Truncated { at: usize },
    #[error("bad magic number: a .trc file starts with the bytes `TRC\\0`, this one with {found:02x?}")]
    BadMagic { found: Vec<u8> },
    #[error("unsupported .trc format version {found} (this build reads version {supported})")]
    UnsupportedVersion { found: u16, supported: u16 },
    /// More bytes than any module this build accepts.
    #[error("file of {len} bytes is larger than the limit of {max} bytes")]
    TooLarge { len: usize, max: usize },
    /// A count or length over its cap (`nodes`, `strings`, a string's bytes).
    #[error("{what}: {count} is over the limit of {max}")]
    OverLimit { what: &'static str, count: u64, max: u64 },
    /// A reference to a string that the table does not have.
    #[error("{what} refers to string #{index}, but the table has {len} strings")]
    BadIndex { what: &'static str, index: u32, len: usize },
    #[error("{count} trailing bytes after the module, from byte {at}")]
    TrailingBytes { at: usize, count: usize },
    /// Anything else the decoder rejected (an unknown operation tag, a
    /// string that is not UTF-8, an integer that does not fit).
    #[error("malformed: {0}")]
    Malformed(String),
}
