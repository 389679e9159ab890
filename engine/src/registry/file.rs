//! The file registry: a directory that an HTTP server can later serve as is.
//!
//! ```text
//! <root>/config.json              {"format":"torc-file-registry/1"}
//! <root>/index/<name>             one JSON line per published version
//! <root>/index/@<scope>/<name>    for `scope/name`
//! <root>/blobs/<blake3-hex>       package archives, named by their hash
//! <root>/.lock                    writers take an exclusive lock on it
//! ```
//!
//! Append-only: publishing never replaces a version or a blob, and yanking
//! rewrites one line's `yanked` value and nothing else. Writers (publish,
//! yank, create) hold the lock on `.lock` for the whole read-check-write, so
//! two publishes cannot both see "version absent". Every file is replaced
//! atomically, so readers take no lock: they see the old file or the new
//! one. A blob is written before the index line that names it, so a reader
//! never finds a line whose blob is missing.
//!
//! Nothing here follows a link: every write goes through [`torc_fs`] (a
//! link at a file is refused, and so is one at `index/`, `index/@scope/` or
//! `blobs/`), and every read takes only a regular file of bounded size.
//! A writer killed half-way leaves at most `.lock` and temporary files
//! (`.NAME.RANDOM.tmp`): a directory holding only those counts as empty,
//! and the next writer sweeps them under the lock.

use super::archive;
use super::index::{self, index_relative_path, is_blake3_hex, IndexEntry};
use crate::error::{Error, Result};
use crate::fs::{create_dir_within, is_temporary_name, sweep_temporaries, write_atomic, MAX_TEXT_FILE};
use crate::package::{validate_name, Manifest};
use semver::Version;
use std::cmp::Ordering;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use torc_solver::semver::cmp_precedence;

/// The layout version `config.json` declares.
pub const FORMAT: &str = "torc-file-registry/1";
const CONFIG_JSON: &str = "config.json";
const LOCK_FILE: &str = ".lock";
/// The most read of one index file: room for a million versions.
const MAX_INDEX_FILE: u64 = 256 << 20;
/// The most read of one blob. An archive inflates to at most
/// [`archive::MAX_TOTAL`], and gzip does not make data larger by much.
const MAX_BLOB: u64 = archive::MAX_TOTAL;

/// A file registry at a directory, under the name the configuration gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRegistry {
    name: String,
    root: PathBuf,
}

/// What is at the root.
enum State {
    Missing,
    /// An empty directory, or one holding only Torc's own leftovers
    /// (`.lock`, temporary files of a writer that died): a registry with no
    /// packages, ready to be initialised.
    Empty,
    Ready,
}

impl FileRegistry {
    /// A handle on the registry at `root`, without looking at the disk: the
    /// directory need not exist yet (it reads as empty, and the first
    /// publish creates it).
    pub fn new(name: impl Into<String>, root: impl Into<PathBuf>) -> FileRegistry {
        FileRegistry { name: name.into(), root: root.into() }
    }

    /// Opens an existing registry: `root` must hold a `config.json` of a
    /// format this version reads.
    pub fn open(name: impl Into<String>, root: impl Into<PathBuf>) -> Result<FileRegistry> {
        let registry = FileRegistry::new(name, root);
        match registry.state()? {
            State::Ready => Ok(registry),
            State::Missing => Err(registry.error(format!("{} does not exist", registry.root.display()))),
            State::Empty => Err(registry
                .error(format!("{} is not a torc file registry (it has no {CONFIG_JSON})", registry.root.display()))),
        }
    }

    /// Creates the registry at `root` if it is not there yet (an existing
    /// registry is opened as is). Refuses a non-empty directory that is not
    /// a registry.
    pub fn create(name: impl Into<String>, root: impl Into<PathBuf>) -> Result<FileRegistry> {
        let registry = FileRegistry::new(name, root);
        let _lock = registry.lock()?;
        registry.initialise()?;
        Ok(registry)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The index file of package `name` (which need not exist).
    pub fn index_path(&self, name: &str) -> Result<PathBuf> {
        validate_name(name).map_err(|message| self.error(message))?;
        Ok(self.root.join(index_relative_path(name)))
    }

    /// The blob file named `hash` (which need not exist).
    pub fn blob_path(&self, hash: &str) -> Result<PathBuf> {
        if !is_blake3_hex(hash) {
            return Err(self.error(format!("`{hash}` is not a BLAKE3 hash (64 lowercase hexadecimal digits)")));
        }
        Ok(self.root.join("blobs").join(hash))
    }

    /// Every published version of `name`, in publish order; `None` when
    /// the registry does not have the package (a registry directory that
    /// does not exist yet has no packages).
    pub fn entries(&self, name: &str) -> Result<Option<Vec<IndexEntry>>> {
        let path = self.index_path(name)?;
        if !matches!(self.state()?, State::Ready) {
            return Ok(None);
        }
        match read_optional(&path, MAX_INDEX_FILE)? {
            Some(text) => index::parse_index(&text, &path, name).map(Some),
            None => Ok(None),
        }
    }

    /// The archive named `hash`, checked against its name.
    pub fn blob(&self, hash: &str) -> Result<Vec<u8>> {
        let path = self.blob_path(hash)?;
        let bytes = match crate::fs::read_regular(&path, MAX_BLOB) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(self.error(format!("blob {hash} is missing ({} does not exist)", path.display())))
            }
            Err(e) => return Err(Error::io(&path, e)),
        };
        let actual = blake3::hash(&bytes).to_hex();
        if actual.as_str() != hash {
            return Err(
                self.error(format!("blob {hash} is corrupt: its content hashes to {actual} ({})", path.display()))
            );
        }
        Ok(bytes)
    }

    /// Publishes the package in `package_dir`, which `manifest` describes:
    /// packs it, stores the archive under its BLAKE3 and appends the index
    /// line. Creates the registry when its directory does not exist yet.
    ///
    /// A version the index already has (build metadata ignored) is
    /// [`Error::VersionExists`], and nothing is written. The directory must
    /// hold its `torc.toml` or `spec.yaml` at the top, so the archive
    /// carries its own manifest.
    pub fn publish(&self, manifest: &Manifest, package_dir: &Path) -> Result<IndexEntry> {
        self.publish_archive(manifest, package_dir, archive::pack(package_dir)?)
    }

    /// [`publish`](Self::publish) with the package already packed
    /// (`bytes` = [`archive::pack`] of `package_dir`), so that the archive
    /// stored is the one that was checked.
    pub fn publish_archive(&self, manifest: &Manifest, package_dir: &Path, bytes: Vec<u8>) -> Result<IndexEntry> {
        let index_path = self.index_path(&manifest.name)?;
        let _lock = self.lock()?;
        self.initialise()?;

        let old = read_optional(&index_path, MAX_INDEX_FILE)?;
        if let Some(text) = &old {
            let entries = index::parse_index(text, &index_path, &manifest.name)?;
            if let Some(existing) =
                entries.iter().find(|e| cmp_precedence(&e.version, &manifest.version) == Ordering::Equal)
            {
                return Err(Error::VersionExists {
                    name: manifest.name.clone(),
                    version: existing.version.to_string(),
                    registry: self.name.clone(),
                });
            }
        }

        let paths = archive::list(&bytes, &format!("{} {}", manifest.name, manifest.version))?;
        if !paths.iter().any(|p| p == "torc.toml" || p == "spec.yaml") {
            return Err(self.error(format!(
                "{} has no torc.toml or spec.yaml at its top; a published archive carries its manifest",
                package_dir.display()
            )));
        }
        let hash = blake3::hash(&bytes).to_hex().to_string();
        self.store_blob(&hash, &bytes)?;

        let entry = IndexEntry::from_manifest(manifest, hash);
        let mut text = old.unwrap_or_default();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&entry.to_line());
        text.push('\n');
        if let Some(dir) = index_path.parent() {
            create_dir_within(&self.root, dir)?;
        }
        write_atomic(&index_path, text.as_bytes())?;
        Ok(entry)
    }

    /// Sets `yanked` on `name`'s `version` (build metadata ignored) and
    /// returns the entry. Only that line's value changes; the rest of the
    /// file is kept byte for byte. Setting the value it has already is a
    /// no-op.
    pub fn set_yanked(&self, name: &str, version: &Version, yanked: bool) -> Result<IndexEntry> {
        let index_path = self.index_path(name)?;
        let not_found = || Error::PackageNotFound { name: name.to_owned(), searched: vec![self.name.clone()] };
        if !matches!(self.state()?, State::Ready) {
            return Err(not_found());
        }
        let _lock = self.lock()?;
        let Some(text) = read_optional(&index_path, MAX_INDEX_FILE)? else {
            return Err(not_found());
        };
        let lines = index::parse_lines(&text, &index_path, name)?;
        let Some(line) = lines.iter().find(|l| cmp_precedence(&l.entry.version, version) == Ordering::Equal) else {
            return Err(Error::VersionNotFound {
                name: name.to_owned(),
                version: version.to_string(),
                registry: self.name.clone(),
            });
        };
        let mut entry = line.entry.clone();
        if entry.yanked != yanked {
            let rewritten = index::with_yanked(&text[line.range.clone()], line.yanked.clone(), yanked);
            let new_text = format!("{}{}{}", &text[..line.range.start], rewritten, &text[line.range.end..]);
            write_atomic(&index_path, new_text.as_bytes())?;
            entry.yanked = yanked;
        }
        Ok(entry)
    }

    fn store_blob(&self, hash: &str, bytes: &[u8]) -> Result<()> {
        let path = self.blob_path(hash)?;
        let dir = self.root.join("blobs");
        // Checked before the read too: `blobs/` must not lead elsewhere.
        create_dir_within(&self.root, &dir)?;
        match crate::fs::read_regular(&path, MAX_BLOB) {
            // Content addressing: the same name is the same content, unless
            // the file was damaged, which must not pass unnoticed.
            Ok(existing) if existing == bytes => Ok(()),
            Ok(_) => Err(self
                .error(format!("blob {hash} exists with other content ({}); the registry is damaged", path.display()))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => write_atomic(&path, bytes),
            Err(e) => Err(Error::io(&path, e)),
        }
    }

    /// Creates the root and takes the writers' lock, held until the
    /// returned file is dropped; then sweeps the temporary files of writers
    /// that died (under the lock, no live writer has one).
    fn lock(&self) -> Result<fs::File> {
        fs::create_dir_all(&self.root).map_err(|e| Error::io(&self.root, e))?;
        let path = self.root.join(LOCK_FILE);
        let file = torc_fs::open_lock_file(&path).map_err(|e| Error::io(&path, e))?;
        file.lock().map_err(|e| Error::io(&path, e))?;
        self.sweep()?;
        Ok(file)
    }

    /// Removes stale temporary files at the root, in `blobs/` and in the
    /// index directories. Call under the lock.
    fn sweep(&self) -> Result<()> {
        let mut dirs = vec![self.root.clone(), self.root.join("blobs"), self.root.join("index")];
        if let Ok(listing) = fs::read_dir(self.root.join("index")) {
            for item in listing.flatten() {
                // `index/@scope/`: real directories only, never a link.
                if item.file_type().is_ok_and(|t| t.is_dir()) && item.file_name().to_string_lossy().starts_with('@') {
                    dirs.push(item.path());
                }
            }
        }
        for dir in dirs {
            if fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir()) {
                sweep_temporaries(&dir).map_err(|e| Error::io(&dir, e))?;
            }
        }
        Ok(())
    }

    /// Writes `config.json` into an empty root. Call under the lock.
    fn initialise(&self) -> Result<()> {
        match self.state()? {
            State::Ready => Ok(()),
            State::Missing | State::Empty => {
                let text = serde_json::json!({ "format": FORMAT }).to_string() + "\n";
                write_atomic(&self.root.join(CONFIG_JSON), text.as_bytes())
            }
        }
    }

    fn state(&self) -> Result<State> {
        let config = self.root.join(CONFIG_JSON);
        match crate::fs::read_regular(&config, MAX_TEXT_FILE)
            .and_then(|b| String::from_utf8(b).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)))
        {
            Ok(text) => {
                let format = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|v| v.get("format").and_then(|f| f.as_str()).map(str::to_owned));
                match format.as_deref() {
                    Some(FORMAT) => Ok(State::Ready),
                    Some(other) => Err(self
                        .error(format!("{} declares format `{other}`; this torc reads `{FORMAT}`", config.display()))),
                    None => Err(self.error(format!(
                        "{} is not a registry configuration (expected {{\"format\":\"{FORMAT}\"}})",
                        config.display()
                    ))),
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => match fs::read_dir(&self.root) {
                Ok(listing) => {
                    for item in listing {
                        let item = item.map_err(|e| Error::io(&self.root, e))?;
                        let name = item.file_name();
                        let leftover = name == LOCK_FILE || name.to_str().is_some_and(is_temporary_name);
                        if !leftover {
                            return Err(self.error(format!(
                                "{} is not empty but has no {CONFIG_JSON}, so it is not a torc file registry; refusing to use it",
                                self.root.display()
                            )));
                        }
                    }
                    Ok(State::Empty)
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(State::Missing),
                Err(e) => Err(Error::io(&self.root, e)),
            },
            Err(e) => Err(Error::io(&config, e)),
        }
    }

    fn error(&self, message: impl Into<String>) -> Error {
        Error::Registry { registry: self.name.clone(), message: message.into() }
    }
}

fn read_optional(path: &Path, max_len: u64) -> Result<Option<String>> {
    crate::fs::read_optional_text(path, max_len)
}
