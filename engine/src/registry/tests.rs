//! File registry and registry-choice tests. Manifests are built by hand.

use super::*;
use crate::package::{DependencyDecl, Details, Manifest, Metadata, ModuleDetails, PackageKind};
use semver::Version;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use tempfile::TempDir;
use torc_solver::semver::VersionReq;

fn manifest(name: &str, version: &str, dependencies: &[(&str, &str, bool)]) -> Manifest {
    Manifest {
        file: PathBuf::from("torc.toml"),
        kind: PackageKind::Module,
        name: name.to_owned(),
        version: Version::parse(version).unwrap(),
        metadata: Metadata::default(),
        dependencies: dependencies
            .iter()
            .enumerate()
            .map(|(i, (name, req, dev))| DependencyDecl {
                name: (*name).to_owned(),
                requirement: VersionReq::parse(req).unwrap(),
                dev: *dev,
                line: i + 5,
            })
            .collect(),
        details: Details::Module(ModuleDetails::default()),
        trust: None,
        source: "".into(),
    }
}

/// A package directory with a `torc.toml` whose content depends on `tag`.
fn package_dir(tag: &str) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("torc.toml"), format!("# {tag}\n")).unwrap();
    fs::create_dir(dir.path().join("src")).unwrap();
    fs::write(dir.path().join("src/main.trc"), tag).unwrap();
    dir
}

fn registry(dir: &TempDir) -> FileRegistry {
    FileRegistry::create("local", dir.path().join("registry")).unwrap()
}

/// Every file under `root` with its bytes, for "nothing changed" checks.
fn snapshot(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for item in fs::read_dir(&dir).unwrap() {
            let path = item.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = fs::read(&path).unwrap();
                out.push((path, bytes));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn publish_then_read_back() {
    let home = tempfile::tempdir().unwrap();
    let registry = registry(&home);
    let package = package_dir("pid");
    let m = manifest("torc-pid", "1.0.3", &[("torc-math", ">=0.3.0, <1.0.0", false), ("torc-test", "^1", true)]);
    let entry = registry.publish(&m, package.path()).unwrap();

    assert_eq!(entry.name, "torc-pid");
    assert_eq!(entry.version, Version::parse("1.0.3").unwrap());
    assert_eq!(entry.kind, PackageKind::Module);
    assert_eq!(entry.dependencies, vec![IndexDependency { name: "torc-math".into(), req: ">=0.3.0, <1.0.0".into() }]);
    assert!(!entry.yanked);

    assert_eq!(registry.entries("torc-pid").unwrap(), Some(vec![entry.clone()]));
    assert_eq!(registry.entries("torc-math").unwrap(), None);
    let index = fs::read_to_string(registry.root().join("index/torc-pid")).unwrap();
    assert_eq!(index, format!("{}\n", entry.to_line()));
    assert_eq!(
        fs::read_to_string(registry.root().join("config.json")).unwrap(),
        "{\"format\":\"torc-file-registry/1\"}\n"
    );

    let blob = registry.blob(&entry.blake3).unwrap();
    assert_eq!(blob, archive::pack(package.path()).unwrap());
    assert_eq!(archive::list(&blob, "p").unwrap(), ["src/", "src/main.trc", "torc.toml"]);

    let second = registry.publish(&manifest("torc-pid", "1.1.0", &[]), package_dir("pid 1.1").path()).unwrap();
    let versions: Vec<String> =
        registry.entries("torc-pid").unwrap().unwrap().iter().map(|e| e.version.to_string()).collect();
    assert_eq!(versions, ["1.0.3", "1.1.0"]);
    assert_ne!(second.blake3, entry.blake3);
}

#[test]
fn a_published_version_is_never_overwritten() {
    let home = tempfile::tempdir().unwrap();
    let registry = registry(&home);
    registry.publish(&manifest("torc-pid", "1.0.0", &[]), package_dir("first").path()).unwrap();
    let before = snapshot(registry.root());

    for version in ["1.0.0", "1.0.0+build.7"] {
        let err = registry.publish(&manifest("torc-pid", version, &[]), package_dir("second").path()).unwrap_err();
        match &err {
            Error::VersionExists { name, version, registry } => {
                assert_eq!((name.as_str(), version.as_str(), registry.as_str()), ("torc-pid", "1.0.0", "local"))
            }
            other => panic!("expected VersionExists, got {other:?}"),
        }
        assert_eq!(snapshot(registry.root()), before, "publishing {version} again changed the registry");
    }
}

#[test]
fn the_same_content_shares_one_blob() {
    let home = tempfile::tempdir().unwrap();
    let registry = registry(&home);
    let package = package_dir("same");
    let a = registry.publish(&manifest("torc-a", "1.0.0", &[]), package.path()).unwrap();
    let b = registry.publish(&manifest("torc-b", "1.0.0", &[]), package.path()).unwrap();
    assert_eq!(a.blake3, b.blake3);
    assert_eq!(fs::read_dir(registry.root().join("blobs")).unwrap().count(), 1);
}

#[test]
fn a_damaged_blob_is_caught_on_read_and_on_publish() {
    let home = tempfile::tempdir().unwrap();
    let registry = registry(&home);
    let package = package_dir("x");
    let entry = registry.publish(&manifest("torc-a", "1.0.0", &[]), package.path()).unwrap();
    fs::write(registry.root().join("blobs").join(&entry.blake3), b"tampered").unwrap();

    let err = registry.blob(&entry.blake3).unwrap_err();
    assert!(matches!(err, Error::Registry { .. }), "{err:?}");
    assert!(err.to_string().contains("is corrupt"), "{err}");

    let err = registry.publish(&manifest("torc-a", "1.0.1", &[]), package.path()).unwrap_err();
    assert!(err.to_string().contains("exists with other content"), "{err}");
    assert_eq!(
        registry.entries("torc-a").unwrap().unwrap().len(),
        1,
        "no line for a version whose blob was not stored"
    );

    assert!(registry.blob("../config.json").is_err());
}

#[test]
fn a_package_without_a_manifest_file_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let registry = registry(&home);
    let empty = tempfile::tempdir().unwrap();
    fs::write(empty.path().join("README.md"), "hi").unwrap();
    let err = registry.publish(&manifest("torc-a", "1.0.0", &[]), empty.path()).unwrap_err();
    assert!(err.to_string().contains("no torc.toml or spec.yaml"), "{err}");
    assert_eq!(registry.entries("torc-a").unwrap(), None);
}

#[test]
fn yank_and_unyank_change_only_that_line() {
    let home = tempfile::tempdir().unwrap();
    let registry = registry(&home);
    for version in ["1.0.0", "1.1.0", "1.2.0"] {
        registry.publish(&manifest("torc-pid", version, &[]), package_dir(version).path()).unwrap();
    }
    let path = registry.root().join("index/torc-pid");
    let before = fs::read_to_string(&path).unwrap();

    let v = Version::parse("1.1.0").unwrap();
    let entry = registry.set_yanked("torc-pid", &v, true).unwrap();
    assert!(entry.yanked);
    let after = fs::read_to_string(&path).unwrap();
    let changed: Vec<(&str, &str)> = before.lines().zip(after.lines()).filter(|(a, b)| a != b).collect();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].1, changed[0].0.replace("\"yanked\":false", "\"yanked\":true"));
    assert_eq!(after.len() + 1, before.len(), "`true` is one byte shorter than `false`, and nothing else changed");
    let yanked: Vec<bool> = registry.entries("torc-pid").unwrap().unwrap().iter().map(|e| e.yanked).collect();
    assert_eq!(yanked, [false, true, false]);

    // Twice is fine and writes nothing new.
    assert!(registry.set_yanked("torc-pid", &v, true).unwrap().yanked);
    assert_eq!(fs::read_to_string(&path).unwrap(), after);

    let entry = registry.set_yanked("torc-pid", &v, false).unwrap();
    assert!(!entry.yanked);
    assert_eq!(fs::read_to_string(&path).unwrap(), before);
}

#[test]
fn yanking_the_unknown_is_an_error() {
    let home = tempfile::tempdir().unwrap();
    let registry = registry(&home);
    registry.publish(&manifest("torc-pid", "1.0.0", &[]), package_dir("x").path()).unwrap();
    let v = Version::parse("2.0.0").unwrap();
    assert!(matches!(registry.set_yanked("torc-pid", &v, true), Err(Error::VersionNotFound { .. })));
    assert!(matches!(registry.set_yanked("torc-nope", &v, true), Err(Error::PackageNotFound { .. })));
    let missing = FileRegistry::new("gone", home.path().join("missing"));
    assert!(matches!(missing.set_yanked("torc-pid", &v, true), Err(Error::PackageNotFound { .. })));
    assert!(!home.path().join("missing").exists(), "yanking does not create a registry");
    // Build metadata does not make a version different.
    let with_build = Version::parse("1.0.0+ci.3").unwrap();
    assert!(registry.set_yanked("torc-pid", &with_build, true).unwrap().yanked);
}

#[test]
fn scoped_names_map_to_an_at_directory() {
    let home = tempfile::tempdir().unwrap();
    let registry = registry(&home);
    registry.publish(&manifest("tlapus/state-machine", "0.1.0", &[]), package_dir("sm").path()).unwrap();
    assert!(registry.root().join("index/@tlapus/state-machine").is_file());
    assert_eq!(registry.entries("tlapus/state-machine").unwrap().unwrap().len(), 1);
    assert_eq!(registry.entries("tlapus/other").unwrap(), None);
    assert!(registry.entries("../etc/passwd").is_err(), "names are validated before they become paths");
}

#[test]
fn a_malformed_index_file_is_an_error_naming_file_line_and_field() {
    let home = tempfile::tempdir().unwrap();
    let registry = registry(&home);
    let entry = registry.publish(&manifest("torc-pid", "1.0.0", &[]), package_dir("x").path()).unwrap();
    let path = registry.root().join("index/torc-pid");
    let bad = entry.to_line().replace("\"version\":\"1.0.0\"", "\"version\":\"one\"");
    fs::write(&path, format!("{}\n{bad}\n", entry.to_line().replace("1.0.0", "0.9.0"))).unwrap();
    let err = registry.entries("torc-pid").unwrap_err();
    assert!(matches!(err, Error::Input { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.starts_with(&format!("{}:2:", path.display())), "{message}");
    assert!(message.contains(": version: `one` is not a semantic version"), "{message}");
    // Publishing to a broken index is refused too, and does not touch it.
    let before = fs::read(&path).unwrap();
    assert!(registry.publish(&manifest("torc-pid", "2.0.0", &[]), package_dir("y").path()).is_err());
    assert_eq!(fs::read(&path).unwrap(), before);
}

#[test]
fn create_and_open() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("r");
    assert!(FileRegistry::open("r", &root).is_err(), "missing");
    FileRegistry::create("r", &root).unwrap();
    FileRegistry::create("r", &root).unwrap();
    FileRegistry::open("r", &root).unwrap();

    let other = home.path().join("other");
    fs::create_dir(&other).unwrap();
    fs::write(other.join("notes.txt"), "mine").unwrap();
    let err = FileRegistry::create("o", &other).unwrap_err();
    assert!(err.to_string().contains("is not empty but has no config.json"), "{err}");
    assert!(!other.join("config.json").exists());
    assert!(FileRegistry::open("o", &other).is_err());
    let err =
        FileRegistry::new("o", &other).publish(&manifest("a", "1.0.0", &[]), package_dir("a").path()).unwrap_err();
    assert!(err.to_string().contains("is not empty"), "{err}");

    let future = home.path().join("future");
    fs::create_dir(&future).unwrap();
    fs::write(future.join("config.json"), "{\"format\":\"torc-file-registry/2\"}").unwrap();
    let err = FileRegistry::open("f", &future).unwrap_err();
    assert!(err.to_string().contains("declares format `torc-file-registry/2`"), "{err}");
}

#[test]
fn the_first_publish_creates_a_missing_registry() {
    let home = tempfile::tempdir().unwrap();
    let registry = FileRegistry::new("local", home.path().join("deep/registry"));
    assert_eq!(registry.entries("torc-pid").unwrap(), None);
    registry.publish(&manifest("torc-pid", "1.0.0", &[]), package_dir("x").path()).unwrap();
    FileRegistry::open("local", registry.root()).unwrap();
}

#[test]
fn concurrent_publishes_of_different_versions_all_land() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("registry");
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let root = root.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let package = package_dir(&format!("v{i}"));
                let registry = FileRegistry::new("local", root);
                barrier.wait();
                registry.publish(&manifest("torc-pid", &format!("1.{i}.0"), &[]), package.path()).map(|_| ())
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap().unwrap();
    }
    let registry = FileRegistry::open("local", &root).unwrap();
    let entries = registry.entries("torc-pid").unwrap().unwrap();
    assert_eq!(entries.len(), threads);
    for entry in &entries {
        registry.blob(&entry.blake3).unwrap();
    }
}

#[test]
fn concurrent_publishes_of_one_version_let_exactly_one_through() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("registry");
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let root = root.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let package = package_dir(&format!("content {i}"));
                let registry = FileRegistry::new("local", root);
                barrier.wait();
                registry.publish(&manifest("torc-pid", "1.0.0", &[]), package.path())
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 1, "{results:?}");
    assert!(results.iter().filter_map(|r| r.as_ref().err()).all(|e| matches!(e, Error::VersionExists { .. })));
    let registry = FileRegistry::open("local", &root).unwrap();
    assert_eq!(registry.entries("torc-pid").unwrap().unwrap().len(), 1);
    assert_eq!(fs::read_dir(root.join("blobs")).unwrap().count(), 1, "losers store no blob");
}

// --- choosing registries ---

/// Two file registries, `high` (priority 200) and `low` (100), in a
/// config.toml under `home`.
fn two_registries(home: &TempDir) -> (Registries, FileRegistry, FileRegistry) {
    fs::write(
        home.path().join("config.toml"),
        "[[registries]]\nname = \"low\"\nurl = \"low\"\npriority = 100\n\n[[registries]]\nname = \"high\"\nurl = \"file://HOME/high\"\npriority = 200\n"
            .replace("HOME", &home.path().display().to_string()),
    )
    .unwrap();
    let registries = Registries::from_config(&Config::load(home.path()).unwrap()).unwrap();
    let high = FileRegistry::new("high", home.path().join("high"));
    let low = FileRegistry::new("low", home.path().join("low"));
    (registries, high, low)
}

#[test]
fn registries_are_searched_highest_priority_first() {
    let home = tempfile::tempdir().unwrap();
    let (registries, high, low) = two_registries(&home);
    assert_eq!(registries.names(), ["high", "low"]);
    assert_eq!(registries.sources()[1], Source::File(low.clone()));

    // Neither directory exists yet: both count as empty.
    assert!(registries.lookup("torc-pid").unwrap().is_none());

    low.publish(&manifest("torc-pid", "2.0.0", &[]), package_dir("low pid").path()).unwrap();
    low.publish(&manifest("torc-math", "1.0.0", &[]), package_dir("low math").path()).unwrap();
    high.publish(&manifest("torc-pid", "1.0.0", &[]), package_dir("high pid").path()).unwrap();

    // In both: only the higher registry's versions, never a mix.
    let (from, entries) = registries.lookup("torc-pid").unwrap().unwrap();
    assert_eq!(from.name(), "high");
    let versions: Vec<String> = entries.iter().map(|e| e.version.to_string()).collect();
    assert_eq!(versions, ["1.0.0"]);

    // Only in the lower one: from it.
    let (from, entries) = registries.lookup("torc-math").unwrap().unwrap();
    assert_eq!((from.name(), entries.len()), ("low", 1));

    assert!(registries.lookup("torc-none").unwrap().is_none());
}

#[test]
fn publishing_targets_the_highest_priority_registry_by_default() {
    let home = tempfile::tempdir().unwrap();
    let (registries, _, _) = two_registries(&home);
    assert_eq!(registries.target(None).unwrap().name(), "high");
    assert_eq!(registries.target(Some("low")).unwrap().root(), home.path().join("low"));
    let err = registries.target(Some("public")).unwrap_err();
    assert!(matches!(err, Error::Registry { .. }));
    assert!(err.to_string().contains("configured: high, low"), "{err}");
}

#[test]
fn an_http_registry_fails_closed() {
    let home = tempfile::tempdir().unwrap();
    let config = Config::parse(
        &format!(
            "[[registries]]\nname = \"public\"\nurl = \"https://registry.torc-lang.org\"\npriority = 100\n\n[[registries]]\nname = \"internal\"\nurl = \"{}\"\npriority = 200\n\n[[registries]]\nname = \"mirror\"\nurl = \"{}\"\npriority = 50\n",
            home.path().join("internal").display(),
            home.path().join("mirror").display()
        ),
        &home.path().join("config.toml"),
    )
    .unwrap();
    let registries = Registries::from_config(&config).unwrap();
    assert_eq!(registries.names(), ["internal", "public", "mirror"]);
    let internal = registries.target(None).unwrap();
    internal.publish(&manifest("company-secret", "1.0.0", &[]), package_dir("s").path()).unwrap();
    let mirror = registries.target(Some("mirror")).unwrap();
    mirror.publish(&manifest("torc-pid", "1.0.0", &[]), package_dir("p").path()).unwrap();

    // Found above the HTTP registry: fine.
    assert_eq!(registries.lookup("company-secret").unwrap().unwrap().0.name(), "internal");
    // Below it: we cannot know whether `public` has it, so no answer.
    let err = registries.lookup("torc-pid").unwrap_err();
    match &err {
        Error::Registry { registry, message } => {
            assert_eq!(registry, "public");
            assert!(
                message.starts_with("reading HTTP registries is not supported yet (only file registries)"),
                "{message}"
            );
        }
        other => panic!("expected a registry error, got {other:?}"),
    }
    let err = registries.target(Some("public")).unwrap_err();
    assert!(err.to_string().contains("publishing to HTTP registries is not supported yet"), "{err}");
}

#[test]
fn the_default_configuration_is_one_local_registry() {
    let home = tempfile::tempdir().unwrap();
    let registries = Registries::from_config(&Config::load(home.path()).unwrap()).unwrap();
    assert_eq!(registries.names(), ["local"]);
    let local = registries.target(None).unwrap();
    assert_eq!(local.root(), home.path().join("registry"));
    local.publish(&manifest("torc-pid", "1.0.0", &[]), package_dir("x").path()).unwrap();
    assert_eq!(registries.lookup("torc-pid").unwrap().unwrap().0.name(), "local");
}

#[test]
fn no_registries_configured_means_nothing_to_publish_to() {
    let home = tempfile::tempdir().unwrap();
    fs::write(home.path().join("config.toml"), "# nothing yet\n").unwrap();
    let registries = Registries::load_from(home.path()).unwrap();
    assert!(registries.names().is_empty());
    assert!(registries.lookup("torc-pid").unwrap().is_none());
    assert!(registries.target(None).is_err());
}

#[test]
fn stale_temporaries_of_dead_writers_are_swept_under_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let registry = FileRegistry::new("local", dir.path().join("registry"));
    let first = package_dir("first");
    registry.publish(&manifest("a", "1.0.0", &[]), first.path()).unwrap();
    let root = registry.root().to_path_buf();
    let stale = [root.join(".config.json.77.tmp"), root.join("blobs/.abc.Zq81kd0Pq2.tmp"), root.join("index/.a.99.tmp")];
    for path in &stale {
        fs::write(path, "half").unwrap();
    }
    // Readers (no lock) leave them; a writer sweeps them.
    assert!(registry.entries("a").unwrap().is_some());
    assert!(stale.iter().all(|p| p.exists()));
    let second = package_dir("second");
    registry.publish(&manifest("a", "1.1.0", &[]), second.path()).unwrap();
    for path in &stale {
        assert!(!path.exists(), "{} left", path.display());
    }
    assert_eq!(registry.entries("a").unwrap().unwrap().len(), 2);
}

#[test]
fn a_directory_holding_only_lock_and_temporaries_is_an_empty_registry() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("registry");
    fs::create_dir_all(&root).unwrap();
    fs::write(root.join(".lock"), "").unwrap();
    fs::write(root.join(".config.json.4242.tmp"), "{").unwrap();
    let registry = FileRegistry::new("local", &root);
    assert_eq!(registry.entries("a").unwrap(), None);
    // Anything else still makes it not a registry.
    fs::write(root.join("notes.txt"), "mine").unwrap();
    assert!(registry.entries("a").unwrap_err().to_string().contains("not empty"));
}
