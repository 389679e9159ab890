use super::*;
#[cfg(unix)]
use std::os::unix::fs::symlink;

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn replaces_the_whole_file_and_leaves_no_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("torc.lock");
    write_atomic(&path, b"first version, longer").unwrap();
    write_atomic(&path, b"second").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"second");
    assert_eq!(names(dir.path()), ["torc.lock"]);
}

#[cfg(unix)]
#[test]
fn a_new_file_gets_the_mode_fs_write_gives_and_a_replaced_one_keeps_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("plain"), "x").unwrap();
    write_atomic(&dir.path().join("atomic"), b"x").unwrap();
    assert_eq!(mode(&dir.path().join("atomic")), mode(&dir.path().join("plain")));
    let kept = dir.path().join("torc.toml");
    fs::write(&kept, "x").unwrap();
    fs::set_permissions(&kept, fs::Permissions::from_mode(0o640)).unwrap();
    write_atomic(&kept, b"y").unwrap();
    assert_eq!(mode(&kept), 0o640);
}

#[test]
fn a_missing_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    assert!(write_atomic(&dir.path().join("missing/torc.lock"), b"x").is_err());
}

/// The names the three writers before this crate used, for this process:
/// `.NAME.PID.tmp` (engine), `NAME.tmpPID` (lemma index) and
/// `.HASH.PID.tmp` (proof cache).
#[cfg(unix)]
#[test]
fn links_at_the_old_predictable_temporary_names_are_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let pid = std::process::id();
    let planted = [format!(".torc.lock.{pid}.tmp"), format!("torc.lock.tmp{pid}"), format!(".torc.lock.{pid}.TMP")];
    for (i, name) in planted.iter().enumerate() {
        let target = outside.path().join(format!("target-{i}"));
        fs::write(&target, "untouched").unwrap();
        symlink(&target, dir.path().join(name)).unwrap();
    }
    write_atomic(&dir.path().join("torc.lock"), b"new lock").unwrap();
    assert_eq!(fs::read(dir.path().join("torc.lock")).unwrap(), b"new lock");
    for i in 0..planted.len() {
        assert_eq!(fs::read_to_string(outside.path().join(format!("target-{i}"))).unwrap(), "untouched");
    }
    // The planted links are still links, not replaced by our file.
    for name in &planted {
        assert!(fs::symlink_metadata(dir.path().join(name)).unwrap().file_type().is_symlink());
    }
}

#[cfg(unix)]
#[test]
fn a_link_at_the_destination_is_refused_and_its_target_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("passwd");
    fs::write(&target, "untouched").unwrap();
    symlink(&target, dir.path().join("config.json")).unwrap();
    let err = write_atomic(&dir.path().join("config.json"), b"{}").unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");
    assert_eq!(fs::read_to_string(&target).unwrap(), "untouched");
    assert_eq!(names(dir.path()), ["config.json"], "no temporary left");
    // A dangling link is refused too: writing would create its target.
    let dangling = outside.path().join("created");
    symlink(&dangling, dir.path().join("index")).unwrap();
    assert!(write_atomic(&dir.path().join("index"), b"x").is_err());
    assert!(!dangling.exists());
}

#[cfg(unix)]
#[test]
fn create_dir_within_refuses_a_link_below_the_root() {
    let root = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    symlink(outside.path(), root.path().join("blobs")).unwrap();
    let err = write_within(root.path(), &root.path().join("blobs/abc"), b"x").unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");
    symlink(outside.path(), root.path().join("index")).unwrap();
    assert!(create_dir_within(root.path(), &root.path().join("index/@scope")).is_err());
    assert!(names(outside.path()).is_empty(), "nothing written outside");
    // Missing directories are made; the root may itself be a link.
    let linked_root = outside.path().join("root-link");
    symlink(root.path(), &linked_root).unwrap();
    write_within(&linked_root, &linked_root.join("a/b/c.txt"), b"ok").unwrap();
    assert_eq!(fs::read(root.path().join("a/b/c.txt")).unwrap(), b"ok");
    assert!(create_dir_within(root.path(), Path::new("/elsewhere")).is_err());
}

#[cfg(unix)]
#[test]
fn read_regular_refuses_links_fifos_devices_and_long_files() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("torc.toml");
    fs::write(&file, "hello").unwrap();
    assert_eq!(read_regular(&file, 5).unwrap(), b"hello");
    assert!(read_regular(&file, 4).unwrap_err().to_string().contains("larger than the 4 bytes"));

    symlink(&file, dir.path().join("link")).unwrap();
    assert!(read_regular(&dir.path().join("link"), 100).unwrap_err().to_string().contains("symbolic link"));

    let fifo = dir.path().join("fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    // Without O_NONBLOCK this open would wait for a writer for ever.
    assert!(read_regular(&fifo, 100).unwrap_err().to_string().contains("FIFO"));

    assert!(read_regular(Path::new("/dev/zero"), 100).unwrap_err().to_string().contains("device"));
    assert!(read_regular(dir.path(), 100).unwrap_err().to_string().contains("directory"));
    assert_eq!(read_optional_to_string(&dir.path().join("missing"), 1).unwrap(), None);
}

#[cfg(unix)]
#[test]
fn the_lock_file_is_never_opened_through_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("created-by-torc");
    symlink(&target, dir.path().join(".lock")).unwrap();
    assert!(open_lock_file(&dir.path().join(".lock")).unwrap_err().to_string().contains("symbolic link"));
    assert!(!target.exists(), "a dangling link's target is not created");
    let lock = open_lock_file(&dir.path().join("real.lock")).unwrap();
    lock.lock().unwrap();
}

#[test]
fn sweep_removes_only_temporary_names() {
    let dir = tempfile::tempdir().unwrap();
    for name in [".config.json.1234.tmp", ".config.json.Ab3xYz0123.tmp", ".lock", "config.json", "x.tmp"] {
        fs::write(dir.path().join(name), "").unwrap();
    }
    assert_eq!(sweep_temporaries(dir.path()).unwrap(), 2);
    assert_eq!(names(dir.path()), [".lock", "config.json", "x.tmp"]);
    assert_eq!(sweep_temporaries(&dir.path().join("missing")).unwrap(), 0);
}

#[test]
fn the_temporary_names_write_atomic_makes_are_recognised() {
    // Fail the rename (destination is a directory... refused earlier), so
    // make the temporary by hand the way write_atomic names it.
    let dir = tempfile::tempdir().unwrap();
    let temp = tempfile::Builder::new().prefix(".index.").suffix(TEMP_SUFFIX).rand_bytes(10).tempfile_in(dir.path()).unwrap();
    let name = temp.path().file_name().unwrap().to_str().unwrap().to_owned();
    assert!(is_temporary_name(&name), "{name}");
    let (_, path) = temp.keep().unwrap();
    assert_eq!(sweep_temporaries(dir.path()).unwrap(), 1);
    assert!(!path.exists());
}
