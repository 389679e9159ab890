//! Every file Torc writes and every registry, `TORC_HOME` or project file it
//! reads goes through here, so the rules hold in one place:
//!
//! - A write goes to a fresh temporary file created exclusively (`O_EXCL`)
//!   under an unpredictable name in the destination's directory, is
//!   fsynced, then renamed over the destination; the directory is fsynced
//!   after the rename. A reader sees the old file or the new one; a crash
//!   leaves at most a stray `.NAME.XXXXXXXX.tmp`, which
//!   [`is_temporary_name`] recognises.
//! - Nothing follows a planted link: a write refuses a destination that is
//!   a symbolic link, and [`create_dir_within`] refuses a link at any
//!   directory between a root and the destination. The root itself is the
//!   caller's choice (a `TORC_HOME` may well be a link).
//! - A read opens with `O_NOFOLLOW | O_NONBLOCK` and refuses anything but a
//!   regular file, so a FIFO cannot block Torc and `/dev/zero` cannot fill
//!   its memory; it also refuses a file longer than the caller's cap.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Component, Path};

/// Writes `bytes` to `path` atomically (see the [crate docs](crate)). The
/// directory must exist; a symbolic link (or any non-regular file) at
/// `path` is refused and left as it is.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let existing = match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(refused("is a symbolic link; torc does not write through links"))
        }
        Ok(meta) if !meta.is_file() => return Err(refused("exists and is not a regular file; refusing to replace it")),
        Ok(meta) => Some(meta.permissions()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let dir = parent_dir(path);
    let name = path.file_name().ok_or_else(|| refused("has no file name"))?;
    let mut prefix = OsString::from(".");
    prefix.push(name);
    prefix.push(".");
    // `new_in` creates with O_CREAT | O_EXCL under a random name: a link
    // planted at any name we could have chosen is never opened.
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(TEMP_SUFFIX).rand_bytes(10);
    // tempfile's default is 0600; a registry is served to others and a
    // manifest is the user's: a new file gets what `fs::write` would give
    // (0666 less the umask), a replaced one keeps its mode.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let mut temp = builder.tempfile_in(dir)?;
    if let Some(permissions) = existing {
        temp.as_file().set_permissions(permissions)?;
    }
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    // `persist` is rename(2): it replaces the name, never follows a link
    // that appeared there meanwhile. On failure the temporary file is
    // removed when the error drops it.
    temp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

/// Creates `dir` and its missing parents below `root` (which is created
/// with `create_dir_all` when missing), refusing when any existing
/// component below `root` is a symbolic link or not a directory. `dir`
/// must be `root` or lie under it.
pub fn create_dir_within(root: &Path, dir: &Path) -> io::Result<()> {
    let relative = dir.strip_prefix(root).map_err(|_| {
        io::Error::new(io::ErrorKind::InvalidInput, format!("{} is not under {}", dir.display(), root.display()))
    })?;
    fs::create_dir_all(root)?;
    let mut current = root.to_path_buf();
    for component in relative.components() {
        match component {
            Component::Normal(part) => current.push(part),
            Component::CurDir => continue,
            _ => return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{} leaves {}", dir.display(), root.display()))),
        }
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(refused_at(&current, "is a symbolic link; torc does not write through links"))
            }
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(refused_at(&current, "is not a directory")),
            Err(e) if e.kind() == io::ErrorKind::NotFound => match fs::create_dir(&current) {
                Ok(()) => {}
                // Another writer made it meanwhile: check what it made.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let meta = fs::symlink_metadata(&current)?;
                    if !meta.is_dir() {
                        return Err(refused_at(&current, "is not a directory"));
                    }
                }
                Err(e) => return Err(e),
            },
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// [`create_dir_within`] for `path`'s directory, then [`write_atomic`].
pub fn write_within(root: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    create_dir_within(root, parent_dir(path))?;
    write_atomic(path, bytes)
}

/// Opens (creating it when missing) the lock file at `path` for writing,
/// without truncating it and without following a link planted there; it
/// must be a regular file. The caller then takes the lock on it.
pub fn open_lock_file(path: &Path) -> io::Result<File> {
    let mut options = fs::OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    #[cfg(not(unix))]
    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(refused("is a symbolic link; torc does not write through links"));
    }
    let file = options.open(path).map_err(link_error)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(refused(not_regular(&meta)));
    }
    Ok(file)
}

/// The contents of the regular file at `path`, at most `max_len` bytes.
/// A symbolic link at `path`, a FIFO, a device or a directory is an error
/// (of kind `InvalidInput`), and so is a longer file; a FIFO is never
/// waited on.
pub fn read_regular(path: &Path, max_len: u64) -> io::Result<Vec<u8>> {
    let file = open_no_follow(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(refused(not_regular(&meta)));
    }
    if meta.len() > max_len {
        return Err(too_long(meta.len(), max_len));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The file may grow after the fstat: read one byte past the cap to see it.
    file.take(max_len + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_len {
        return Err(too_long(bytes.len() as u64, max_len));
    }
    Ok(bytes)
}

/// [`read_regular`] as UTF-8 text (`InvalidData` when it is not).
pub fn read_regular_to_string(path: &Path, max_len: u64) -> io::Result<String> {
    String::from_utf8(read_regular(path, max_len)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "the file is not valid UTF-8"))
}

/// [`read_regular_to_string`], with a missing file as `None`.
pub fn read_optional_to_string(path: &Path, max_len: u64) -> io::Result<Option<String>> {
    match read_regular_to_string(path, max_len) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

const TEMP_SUFFIX: &str = ".tmp";

/// Whether `name` is one of Torc's temporary files: `.NAME.RANDOM.tmp`
/// from [`write_atomic`], or `.NAME.PID.tmp` from writers before it.
pub fn is_temporary_name(name: &str) -> bool {
    name.len() > ".x.tmp".len() && name.starts_with('.') && name.ends_with(TEMP_SUFFIX)
}

/// Removes Torc's temporary files directly in `dir` (not below), and
/// returns how many. Only for a directory whose writers all hold a lock
/// the caller holds now: under it, every temporary file belongs to a
/// writer that died. Links are removed as links, never followed.
pub fn sweep_temporaries(dir: &Path) -> io::Result<usize> {
    let listing = match fs::read_dir(dir) {
        Ok(listing) => listing,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for item in listing {
        let item = item?;
        let is_temporary = item.file_name().to_str().is_some_and(is_temporary_name);
        if is_temporary && !item.file_type()?.is_dir() {
            match fs::remove_file(item.path()) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(removed)
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

#[cfg(unix)]
fn open_no_follow(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(path).map_err(link_error)
}

/// ELOOP from `O_NOFOLLOW` means the last component is a link; say so.
fn link_error(e: io::Error) -> io::Error {
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::ELOOP) {
        return refused("is a symbolic link; torc never follows a link where it reads or writes its own files");
    }
    e
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> io::Result<File> {
    let meta = fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return Err(refused("is a symbolic link; torc reads only regular files, never through links"));
    }
    File::open(path)
}

#[cfg(unix)]
fn not_regular(meta: &fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    if kind.is_dir() {
        "is a directory, not a regular file"
    } else if kind.is_fifo() {
        "is a FIFO, not a regular file; torc reads only regular files"
    } else if kind.is_char_device() || kind.is_block_device() {
        "is a device, not a regular file; torc reads only regular files"
    } else {
        "is not a regular file; torc reads only regular files"
    }
}

#[cfg(not(unix))]
fn not_regular(meta: &fs::Metadata) -> &'static str {
    if meta.is_dir() {
        "is a directory, not a regular file"
    } else {
        "is not a regular file; torc reads only regular files"
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    // The rename is durable only once the directory entry is.
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_: &Path) -> io::Result<()> {
    Ok(())
}

fn refused(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what.to_owned())
}

fn refused_at(path: &Path, what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("{} {what}", path.display()))
}

fn too_long(len: u64, max_len: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("is {len} bytes or more, larger than the {max_len} bytes torc reads from such a file"),
    )
}

#[cfg(test)]
mod tests;
