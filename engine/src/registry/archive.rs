//! Package archives: a gzip'd tar of the package directory, made so that the
//! same directory content always gives the same bytes (and so the same
//! BLAKE3, the blob's name), whatever the file system's listing order,
//! timestamps, owner or umask.
//!
//! What makes it deterministic: entries sorted by path (byte order, `/`
//! separators), directories included; mtime 0, uid/gid 0, empty user and
//! group names; mode 0o755 for directories and for files with any execute
//! bit, 0o644 for other files; a gzip header with mtime 0, no file name and
//! the "unknown" OS byte.
//!
//! What is left out: every entry whose name starts with `.` (`.git`,
//! `.torc`, editor files), at any depth; a top-level `target/` directory
//! (build output); the top-level `torc.lock` (a lock is the project's, not
//! part of what it publishes).
//!
//! Reading is bounded: no entry may hold more than [`MAX_ENTRY`] bytes and
//! no archive may inflate to more than [`MAX_TOTAL`], whatever its
//! compressed size (a 1 MB gzip can inflate to 1 GiB); past either,
//! [`Error::ArchiveRefused`] names the package. Packing refuses a file
//! larger than [`MAX_ENTRY`], so every published archive can be read back.
//!
//! Symbolic links (and other non-regular files) are refused with
//! [`Error::Input`] naming the path, rather than followed or stored: a link
//! can point outside the package, and its meaning depends on the machine
//! that unpacks it. Unpacking refuses absolute paths, `..`, and any entry
//! that is not a regular file or a directory, with [`Error::Input`] naming
//! the entry.

use crate::error::{Error, Location, Result};
use flate2::read::GzDecoder;
use flate2::{Compression, GzBuilder};
use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

/// The most one archive entry (a manifest, a graph, a lemma file) may hold.
pub const MAX_ENTRY: u64 = 16 << 20;
/// The most one archive may inflate to, entries and tar headers together.
pub const MAX_TOTAL: u64 = 256 << 20;

/// The inflated archive, refusing to give more than `limit` bytes
/// ([`MAX_TOTAL`] outside tests).
struct Capped<R> {
    inner: R,
    read: u64,
    limit: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.limit {
            return Err(io::Error::other(TooLarge));
        }
        Ok(n)
    }
}

/// The marker a [`Capped`] reader's error carries.
#[derive(Debug)]
struct TooLarge;

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the archive inflates to more than {} MiB, the most a package archive may hold", MAX_TOTAL >> 20)
    }
}

impl std::error::Error for TooLarge {}

fn open(bytes: &[u8]) -> tar::Archive<Capped<GzDecoder<&[u8]>>> {
    open_capped(bytes, MAX_TOTAL)
}

fn open_capped(bytes: &[u8], limit: u64) -> tar::Archive<Capped<GzDecoder<&[u8]>>> {
    tar::Archive::new(Capped { inner: GzDecoder::new(bytes), read: 0, limit })
}

/// An I/O error while reading the archive of `package`: the cap, or a
/// corrupt archive.
fn read_error(package: &str) -> impl Fn(io::Error) -> Error + '_ {
    move |source| {
        if source.get_ref().is_some_and(|e| e.is::<TooLarge>()) {
            Error::ArchiveRefused {
                package: package.to_owned(),
                message: format!("{source}; refusing to read it"),
            }
        } else {
            corrupt(source)
        }
    }
}

/// Refuses an entry whose header says it holds more than [`MAX_ENTRY`].
fn check_entry_size(package: &str, name: &str, size: u64) -> Result<()> {
    if size > MAX_ENTRY {
        return Err(Error::ArchiveRefused {
            package: package.to_owned(),
            message: format!(
                "archive entry `{name}` holds {size} bytes, more than the {} MiB an entry may hold; refusing to read it",
                MAX_ENTRY >> 20
            ),
        });
    }
    Ok(())
}

/// Packs `dir` as described in the [module docs](self).
pub fn pack(dir: &Path) -> Result<Vec<u8>> {
    let mut entries = Vec::new();
    collect(dir, "", &mut entries)?;
    // By the path as stored (directories end in `/`), so the archive
    // lists in byte order and every directory comes before its contents.
    entries.sort_by(|a, b| a.archive_path().as_bytes().cmp(b.archive_path().as_bytes()));

    let gzip = GzBuilder::new().mtime(0).write(Vec::new(), Compression::default());
    let mut tar = tar::Builder::new(gzip);
    for entry in &entries {
        let full = dir.join(&entry.path);
        let mut header = tar::Header::new_gnu();
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_username("").map_err(|e| Error::io(&full, e))?;
        header.set_groupname("").map_err(|e| Error::io(&full, e))?;
        if entry.is_dir {
            header.set_entry_type(tar::EntryType::Directory);
            header.set_mode(0o755);
            header.set_size(0);
            tar.append_data(&mut header, entry.archive_path(), io::empty()).map_err(|e| Error::io(&full, e))?;
        } else {
            // No-follow and regular-only again: the file may have been
            // swapped for a link or a FIFO since it was listed.
            let contents = torc_fs::read_regular(&full, MAX_ENTRY).map_err(|e| Error::io(&full, e))?;
            header.set_entry_type(tar::EntryType::Regular);
            header.set_mode(if entry.executable { 0o755 } else { 0o644 });
            header.set_size(contents.len() as u64);
            tar.append_data(&mut header, &entry.path, contents.as_slice()).map_err(|e| Error::io(&full, e))?;
        }
    }
    let gzip = tar.into_inner().map_err(|e| Error::io(dir, e))?;
    gzip.finish().map_err(|e| Error::io(dir, e))
}

/// The entry paths of an archive, in archive order; directories end in `/`.
/// `package` (`mylib 1.0.0`) names it in errors.
pub fn list(bytes: &[u8], package: &str) -> Result<Vec<String>> {
    let mut archive = open(bytes);
    let mut paths = Vec::new();
    for entry in archive.entries().map_err(read_error(package))? {
        let entry = entry.map_err(read_error(package))?;
        paths.push(String::from_utf8_lossy(&entry.path_bytes()).into_owned());
    }
    Ok(paths)
}

/// The contents of the regular file at `path` (`torc.toml`, `src/pid.trc`)
/// in an archive, without unpacking it; `None` when there is no such file.
/// `package` (`mylib 1.0.0`) names it in errors.
pub fn read_file(bytes: &[u8], path: &str, package: &str) -> Result<Option<Vec<u8>>> {
    let mut archive = open(bytes);
    for entry in archive.entries().map_err(read_error(package))? {
        let mut entry = entry.map_err(read_error(package))?;
        if entry.header().entry_type().is_file() && entry.path_bytes().as_ref() == path.as_bytes() {
            check_entry_size(package, path, entry.size())?;
            let mut contents = Vec::new();
            entry.read_to_end(&mut contents).map_err(read_error(package))?;
            return Ok(Some(contents));
        }
    }
    Ok(None)
}

/// Unpacks an archive into `dest` (created if missing). Every entry must be
/// a regular file or a directory at a relative path without `..`;
/// otherwise nothing more is written and the error names the entry. No
/// link already inside `dest` is followed.
pub fn unpack(bytes: &[u8], dest: &Path, package: &str) -> Result<()> {
    fs::create_dir_all(dest).map_err(|e| Error::io(dest, e))?;
    let mut archive = open(bytes);
    for entry in archive.entries().map_err(read_error(package))? {
        let mut entry = entry.map_err(read_error(package))?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let relative = safe_relative_path(&name)?;
        let target = dest.join(&relative);
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            crate::fs::create_dir_within(dest, &target)?;
        } else if kind.is_file() {
            check_entry_size(package, &name, entry.size())?;
            let mut contents = Vec::new();
            entry.read_to_end(&mut contents).map_err(read_error(package))?;
            crate::fs::write_within(dest, &target, &contents)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let executable = entry.header().mode().map_err(corrupt)? & 0o111 != 0;
                let mode = if executable { 0o755 } else { 0o644 };
                fs::set_permissions(&target, fs::Permissions::from_mode(mode)).map_err(|e| Error::io(&target, e))?;
            }
        } else {
            return Err(bad_entry(&name, "is not a regular file or a directory; refusing to unpack it"));
        }
    }
    Ok(())
}

struct Entry {
    /// Relative to the package directory, `/`-separated, no trailing `/`.
    path: String,
    is_dir: bool,
    executable: bool,
}

impl Entry {
    fn archive_path(&self) -> String {
        if self.is_dir {
            format!("{}/", self.path)
        } else {
            self.path.clone()
        }
    }
}

fn collect(dir: &Path, prefix: &str, out: &mut Vec<Entry>) -> Result<()> {
    let full = if prefix.is_empty() { dir.to_path_buf() } else { dir.join(prefix) };
    let listing = fs::read_dir(&full).map_err(|e| Error::io(&full, e))?;
    for item in listing {
        let item = item.map_err(|e| Error::io(&full, e))?;
        let path = item.path();
        let Some(name) = item.file_name().to_str().map(str::to_owned) else {
            return Err(Error::input(
                Location::new(&path, 1, 1, ""),
                "the file name is not valid UTF-8; archive paths must be portable",
            ));
        };
        let file_type = item.file_type().map_err(|e| Error::io(&path, e))?;
        let top = prefix.is_empty();
        if name.starts_with('.') || (top && name == "torc.lock") || (top && name == "target" && file_type.is_dir()) {
            continue;
        }
        let relative = if top { name } else { format!("{prefix}/{name}") };
        if file_type.is_symlink() {
            return Err(Error::input(
                Location::new(&path, 1, 1, ""),
                "is a symbolic link; a package archive holds only regular files and directories (replace the link with a copy of its target, or remove it)",
            ));
        }
        if file_type.is_dir() {
            out.push(Entry { path: relative.clone(), is_dir: true, executable: false });
            collect(dir, &relative, out)?;
        } else if file_type.is_file() {
            let metadata = item.metadata().map_err(|e| Error::io(&path, e))?;
            out.push(Entry { path: relative, is_dir: false, executable: is_executable(&metadata) });
        } else {
            return Err(Error::input(
                Location::new(&path, 1, 1, ""),
                "is neither a regular file nor a directory (a socket, FIFO or device); it cannot be archived",
            ));
        }
    }
    Ok(())
}

#[cfg(unix)]
fn is_executable(metadata: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &fs::Metadata) -> bool {
    false
}

/// `name` as a relative path that stays inside the destination.
fn safe_relative_path(name: &str) -> Result<PathBuf> {
    if name.starts_with('/') || name.starts_with('\\') {
        return Err(bad_entry(name, "is an absolute path; refusing to unpack it"));
    }
    let mut path = PathBuf::new();
    for component in Path::new(name).components() {
        match component {
            Component::Normal(part) => path.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(bad_entry(
                    name,
                    "contains `..` and would be written outside the destination; refusing to unpack it",
                ))
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(bad_entry(name, "is an absolute path; refusing to unpack it"))
            }
        }
    }
    if path.as_os_str().is_empty() {
        return Err(bad_entry(name, "has an empty path"));
    }
    Ok(path)
}

fn bad_entry(name: &str, message: &str) -> Error {
    Error::input(Location::new("<archive>", 1, 1, ""), format!("archive entry `{name}` {message}"))
}

fn corrupt(source: io::Error) -> Error {
    Error::io("<archive>", source)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, path: &str, contents: &str) {
        let path = root.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }

    /// A package directory, files written in `order`.
    fn package(order: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, contents) in order {
            write(dir.path(), path, contents);
        }
        dir
    }

    const FILES: &[(&str, &str)] = &[
        ("torc.toml", "[module]\nname = \"torc-pid\"\n"),
        ("src/pid.trc", "graph"),
        ("src/a-b.trc", "dash sorts before slash"),
        ("src/a/b.trc", "nested"),
        ("docs/README.md", "# pid"),
    ];

    #[test]
    fn the_same_content_packs_to_the_same_bytes() {
        let first = package(FILES);
        let reversed: Vec<_> = FILES.iter().rev().copied().collect();
        let second = package(&reversed);
        fs::create_dir(second.path().join("empty-first")).unwrap();
        fs::create_dir(first.path().join("empty-first")).unwrap();
        // Different mtimes on the copy.
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        fs::File::options().write(true).open(second.path().join("torc.toml")).unwrap().set_modified(old).unwrap();

        let a = pack(first.path()).unwrap();
        assert_eq!(a, pack(first.path()).unwrap(), "packing twice");
        assert_eq!(a, pack(second.path()).unwrap(), "a copy written in another order");

        write(second.path(), "src/pid.trc", "graph!");
        assert_ne!(a, pack(second.path()).unwrap(), "a changed file changes the archive");
    }

    #[test]
    fn entries_are_sorted_and_hidden_files_target_and_the_lock_are_left_out() {
        let dir = package(FILES);
        write(dir.path(), ".git/HEAD", "ref");
        write(dir.path(), "src/.swp", "x");
        write(dir.path(), "target/debug/out", "x");
        write(dir.path(), "torc.lock", "x");
        write(dir.path(), "src/target/kept.trc", "a nested target is not build output");
        let paths = list(&pack(dir.path()).unwrap(), "p").unwrap();
        assert_eq!(
            paths,
            [
                "docs/",
                "docs/README.md",
                "src/",
                "src/a-b.trc",
                "src/a/",
                "src/a/b.trc",
                "src/pid.trc",
                "src/target/",
                "src/target/kept.trc",
                "torc.toml"
            ]
        );
    }

    #[test]
    fn headers_carry_no_time_owner_or_umask() {
        let dir = package(FILES);
        let bytes = pack(dir.path()).unwrap();
        assert_eq!(&bytes[4..8], &[0, 0, 0, 0], "gzip mtime");
        assert_eq!(bytes[3] & 0x08, 0, "no gzip file name");
        let mut archive = tar::Archive::new(GzDecoder::new(bytes.as_slice()));
        for entry in archive.entries().unwrap() {
            let entry = entry.unwrap();
            let header = entry.header();
            assert_eq!((header.mtime().unwrap(), header.uid().unwrap(), header.gid().unwrap()), (0, 0, 0));
            assert_eq!(header.username().unwrap(), Some(""));
            let expected = if header.entry_type().is_dir() { 0o755 } else { 0o644 };
            assert_eq!(header.mode().unwrap(), expected);
        }
    }

    #[cfg(unix)]
    #[test]
    fn an_executable_file_gets_0o755_and_keeps_it_when_unpacked() {
        use std::os::unix::fs::PermissionsExt;
        let dir = package(FILES);
        write(dir.path(), "run.sh", "#!/bin/sh\n");
        fs::set_permissions(dir.path().join("run.sh"), fs::Permissions::from_mode(0o700)).unwrap();
        let bytes = pack(dir.path()).unwrap();
        let out = tempfile::tempdir().unwrap();
        unpack(&bytes, out.path(), "p").unwrap();
        assert_eq!(fs::metadata(out.path().join("run.sh")).unwrap().permissions().mode() & 0o777, 0o755);
        assert_eq!(fs::metadata(out.path().join("torc.toml")).unwrap().permissions().mode() & 0o777, 0o644);
    }

    #[test]
    fn unpack_restores_the_files() {
        let dir = package(FILES);
        fs::create_dir(dir.path().join("empty")).unwrap();
        let out = tempfile::tempdir().unwrap();
        unpack(&pack(dir.path()).unwrap(), &out.path().join("pkg"), "p").unwrap();
        for (path, contents) in FILES {
            assert_eq!(fs::read_to_string(out.path().join("pkg").join(path)).unwrap(), *contents);
        }
        assert!(out.path().join("pkg/empty").is_dir());
    }

    #[test]
    fn a_long_path_survives() {
        let long = format!("{}/file.trc", "d".repeat(120));
        let dir = package(&[(long.as_str(), "deep")]);
        let bytes = pack(dir.path()).unwrap();
        assert!(list(&bytes, "p").unwrap().contains(&long));
        let out = tempfile::tempdir().unwrap();
        unpack(&bytes, out.path(), "p").unwrap();
        assert_eq!(fs::read_to_string(out.path().join(&long)).unwrap(), "deep");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_an_error_naming_it() {
        let dir = package(FILES);
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("src/link")).unwrap();
        let err = pack(dir.path()).unwrap_err();
        assert!(matches!(err, Error::Input { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("src/link") && message.contains("symbolic link"), "{message}");
    }

    /// An archive with one file entry whose name is written raw, past the
    /// checks `tar::Header::set_path` makes.
    fn archive_with_raw_name(name: &[u8]) -> Vec<u8> {
        let mut header = tar::Header::new_gnu();
        header.as_old_mut().name[..name.len()].copy_from_slice(name);
        header.set_size(1);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        let mut tar = tar::Builder::new(GzBuilder::new().write(Vec::new(), Compression::default()));
        tar.append(&header, &b"x"[..]).unwrap();
        tar.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn unpack_refuses_parent_and_absolute_paths() {
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("dest");
        let err = unpack(&archive_with_raw_name(b"../x"), &dest, "p").unwrap_err();
        assert!(err.to_string().contains("archive entry `../x` contains `..`"), "{err}");
        assert!(!out.path().join("x").exists());

        let err = unpack(&archive_with_raw_name(b"a/../../x"), &dest, "p").unwrap_err();
        assert!(err.to_string().contains("contains `..`"), "{err}");

        let err = unpack(&archive_with_raw_name(b"/tmp/torc-evil"), &dest, "p").unwrap_err();
        assert!(err.to_string().contains("is an absolute path"), "{err}");
        assert!(!Path::new("/tmp/torc-evil").exists());
    }

    #[test]
    fn unpack_refuses_links_in_the_archive() {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_size(0);
        let mut tar = tar::Builder::new(GzBuilder::new().write(Vec::new(), Compression::default()));
        tar.append_link(&mut header, "evil", "/etc").unwrap();
        let bytes = tar.into_inner().unwrap().finish().unwrap();
        let out = tempfile::tempdir().unwrap();
        let err = unpack(&bytes, out.path(), "p").unwrap_err();
        assert!(err.to_string().contains("is not a regular file or a directory"), "{err}");
        assert!(!out.path().join("evil").exists());
    }

    #[test]
    fn read_file_finds_one_file_without_unpacking() {
        let bytes = pack(package(FILES).path()).unwrap();
        assert_eq!(read_file(&bytes, "src/a/b.trc", "p").unwrap().as_deref(), Some(&b"nested"[..]));
        assert_eq!(read_file(&bytes, "torc.toml", "p").unwrap().as_deref(), Some(FILES[0].1.as_bytes()));
        assert_eq!(read_file(&bytes, "src/a/", "p").unwrap(), None, "a directory is not a file");
        assert_eq!(read_file(&bytes, "missing.toml", "p").unwrap(), None);
        assert!(read_file(b"not gzip at all", "torc.toml", "p").is_err());
    }

    /// An archive of `entries` files of `size` zero bytes each.
    fn zeros_archive(entries: usize, size: usize, last: &str) -> Vec<u8> {
        let mut tar = tar::Builder::new(GzBuilder::new().write(Vec::new(), Compression::fast()));
        for i in 0..entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(size as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            let name = if i + 1 == entries { last.to_owned() } else { format!("zeros-{i}") };
            tar.append_data(&mut header, name, io::repeat(0).take(size as u64)).unwrap();
        }
        tar.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn an_entry_larger_than_the_cap_is_refused_naming_the_package() {
        let bytes = zeros_archive(1, MAX_ENTRY as usize + 1, "torc.toml");
        let err = read_file(&bytes, "torc.toml", "mylib 1.0.0").unwrap_err();
        assert!(matches!(err, Error::ArchiveRefused { .. }), "{err:?}");
        assert_eq!(err.kind(), crate::error::ErrorKind::Refused);
        let message = err.to_string();
        assert!(message.starts_with("package mylib 1.0.0: archive entry `torc.toml` holds 16777217 bytes"), "{message}");
        let out = tempfile::tempdir().unwrap();
        assert!(matches!(unpack(&bytes, out.path(), "mylib 1.0.0"), Err(Error::ArchiveRefused { .. })));
        // Exactly at the cap is fine.
        let bytes = zeros_archive(1, MAX_ENTRY as usize, "torc.toml");
        assert_eq!(read_file(&bytes, "torc.toml", "p").unwrap().unwrap().len() as u64, MAX_ENTRY);
    }

    #[test]
    fn an_archive_inflating_past_the_total_is_refused() {
        // Five entries of 1000 bytes under a 4 KiB total: each is small,
        // together they are too much.
        let bytes = zeros_archive(5, 1000, "torc.toml");
        let mut archive = open_capped(&bytes, 4096);
        let mut entries = archive.entries().unwrap();
        let failed = entries.find_map(|e| e.err()).expect("the cap stops the listing");
        let err = read_error("mylib 1.0.0")(failed);
        assert!(err.to_string().starts_with("package mylib 1.0.0: the archive inflates to more than"), "{err}");
        // The same archive under the real cap reads.
        assert_eq!(list(&bytes, "p").unwrap().len(), 5);
    }

    #[cfg(unix)]
    #[test]
    fn packing_refuses_a_fifo() {
        let dir = package(FILES);
        let fifo = dir.path().join("src/pipe");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let err = pack(dir.path()).unwrap_err();
        assert!(err.to_string().contains("FIFO"), "{err}");
    }

    #[test]
    fn packing_refuses_a_file_larger_than_an_entry_may_be() {
        let dir = package(FILES);
        let big = fs::File::create(dir.path().join("big.bin")).unwrap();
        big.set_len(MAX_ENTRY + 1).unwrap();
        let err = pack(dir.path()).unwrap_err();
        assert!(err.to_string().contains("big.bin") && err.to_string().contains("larger than"), "{err}");
    }

    #[test]
    fn a_corrupt_archive_is_an_error() {
        assert!(list(b"not gzip at all", "p").is_err());
        let out = tempfile::tempdir().unwrap();
        assert!(unpack(b"not gzip at all", out.path(), "p").is_err());
    }
}
