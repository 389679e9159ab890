//! The engine's face on [`torc_fs`], the workspace's one atomic writer and
//! no-follow reader, with errors that name the path.

use crate::error::{Error, Result};
use std::path::Path;

pub use torc_fs::{is_temporary_name, sweep_temporaries};

/// The most Torc reads from a text file it parses (a manifest, lock, config,
/// graph or lemma file): far more than any real one, and a bound on what a
/// planted file can cost.
pub const MAX_TEXT_FILE: u64 = 16 << 20;

/// Writes `contents` to `path` atomically; see [`torc_fs::write_atomic`].
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    torc_fs::write_atomic(path, contents).map_err(|e| Error::io(path, e))
}

/// Creates `path`'s missing directories below `root`, refusing links on the
/// way, then writes atomically; see [`torc_fs::write_within`].
pub fn write_within(root: &Path, path: &Path, contents: &[u8]) -> Result<()> {
    torc_fs::write_within(root, path, contents).map_err(|e| Error::io(path, e))
}

/// See [`torc_fs::create_dir_within`].
pub fn create_dir_within(root: &Path, dir: &Path) -> Result<()> {
    torc_fs::create_dir_within(root, dir).map_err(|e| Error::io(dir, e))
}

/// The regular file at `path` as text (at most [`MAX_TEXT_FILE`] bytes):
/// a missing file, a link, a FIFO or a device is an error naming the path.
pub fn read_text(path: &Path) -> Result<String> {
    torc_fs::read_regular_to_string(path, MAX_TEXT_FILE).map_err(|e| Error::io(path, e))
}

/// The regular file at `path` as text, at most `max_len` bytes; a missing
/// file is `None`. Links, FIFOs and devices are errors.
pub fn read_optional_text(path: &Path, max_len: u64) -> Result<Option<String>> {
    torc_fs::read_optional_to_string(path, max_len).map_err(|e| Error::io(path, e))
}

/// The regular file at `path`, at most `max_len` bytes, or the I/O error
/// as is (the caller decides what a missing file means).
pub fn read_regular(path: &Path, max_len: u64) -> std::io::Result<Vec<u8>> {
    torc_fs::read_regular(path, max_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_directory_is_an_io_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("torc.lock");
        let err = write_atomic(&path, b"x").unwrap_err();
        assert!(err.to_string().contains("torc.lock"), "{err}");
    }
}
