//! Reading a published release back out of its registry: the archive an
//! index line names, and the manifest inside it, checked against that line.
//!
//! The index line is what resolution used (name, version, kind,
//! dependencies); the archive is what everything after it uses (contracts,
//! graphs, lemmas). A line pointing at another release's blob (a
//! hand-edited or damaged index whose `blake3` was made to match) would
//! have `torc tree` show `mylib v1.0.0` while checking 2.0.0's contracts.
//! So every read of a release's manifest goes through
//! [`read_release_manifest`], which refuses (exit 3, naming both) an
//! archive whose manifest says another name, version, kind or dependency
//! list than its index line. Errors reading the archive name the package,
//! its version and the blob.
//!
//! ```
//! use torc_engine::registry::{release, FileRegistry};
//! let dir = tempfile::tempdir().unwrap();
//! let package = dir.path().join("m");
//! std::fs::create_dir(&package).unwrap();
//! std::fs::write(package.join("torc.toml"), "[module]\nname = \"m\"\nversion = \"1.0.0\"\n").unwrap();
//! let manifest = torc_engine::manifest::read(&package.join("torc.toml")).unwrap();
//! let registry = FileRegistry::new("local", dir.path().join("registry"));
//! let mut entry = registry.publish(&manifest, &package).unwrap();
//! assert_eq!(release::release_manifest(&registry, &entry).unwrap().version.to_string(), "1.0.0");
//!
//! // The same archive under a line that says 2.0.0 is refused.
//! entry.version = semver::Version::new(2, 0, 0);
//! let error = release::release_manifest(&registry, &entry).unwrap_err().to_string();
//! assert!(error.contains("the index line says m 2.0.0"), "{error}");
//! assert!(error.contains("its archive holds m 1.0.0"), "{error}");
//! ```

use super::archive;
use super::file::FileRegistry;
use super::index::{IndexDependency, IndexEntry};
use crate::error::{Error, Result};
use crate::manifest;
use crate::package::Manifest;
use semver::Version;
use std::path::PathBuf;

/// A published release's archive, read and checked against its BLAKE3.
#[derive(Clone, Debug)]
pub struct Release {
    registry: String,
    name: String,
    version: Version,
    blake3: String,
    bytes: Vec<u8>,
}

impl Release {
    /// Reads the blob `blake3` of release `name` `version` from `registry`.
    /// A missing or corrupt blob is an error naming the package, its
    /// version and the blob.
    pub fn open(registry: &FileRegistry, name: &str, version: &Version, blake3: &str) -> Result<Release> {
        let bytes = registry.blob(blake3).map_err(|e| match e {
            Error::Registry { registry, message } => {
                Error::Registry { registry, message: format!("{name} {version}: {message}") }
            }
            other => other,
        })?;
        Ok(Release {
            registry: registry.name().to_owned(),
            name: name.to_owned(),
            version: version.clone(),
            blake3: blake3.to_owned(),
            bytes,
        })
    }

    /// The regular file at `path` in the archive ([`archive::read_file`]);
    /// an archive that does not decode is an error naming the package and
    /// the blob.
    pub fn file(&self, path: &str) -> Result<Option<Vec<u8>>> {
        let package = format!("{} {}", self.name, self.version);
        archive::read_file(&self.bytes, path, &package).map_err(|e| match e {
            Error::Io { source, .. } => Error::Registry {
                registry: self.registry.clone(),
                message: format!(
                    "the archive of {} {} (blob {}) is damaged: {source}; the registry is corrupt",
                    self.name, self.version, self.blake3
                ),
            },
            other => other,
        })
    }

    /// How errors name a file of this release: `<registry>/<name>@<version>/<path>`.
    pub fn path_of(&self, path: &str) -> PathBuf {
        PathBuf::from(format!("{}/{}@{}/{path}", self.registry, self.name, self.version))
    }
}

/// The manifest of the release `entry` names in `registry`, checked against
/// `entry` ([`read_release_manifest`]).
pub fn release_manifest(registry: &FileRegistry, entry: &IndexEntry) -> Result<Manifest> {
    let release = Release::open(registry, &entry.name, &entry.version, &entry.blake3)?;
    read_release_manifest(&release, entry)
}

/// The manifest inside `release`, the archive of the index line `entry`,
/// refused unless it says the same name, version (build metadata
/// included), kind and normal dependencies (names and requirements, in
/// order) as `entry`. Errors name the manifest as
/// `<registry>/<name>@<version>/torc.toml`.
pub fn read_release_manifest(release: &Release, entry: &IndexEntry) -> Result<Manifest> {
    let registry = release.registry.as_str();
    if release.blake3 != entry.blake3 || release.name != entry.name {
        return Err(Error::Registry {
            registry: registry.to_owned(),
            message: format!(
                "the archive read for {} {} is blob {} of {}, not the line's blob {}",
                entry.name, entry.version, release.blake3, release.name, entry.blake3
            ),
        });
    }
    let mut found = None;
    for file in [manifest::TORC_TOML, manifest::SPEC_YAML] {
        if let Some(contents) = release.file(file)? {
            found = Some((file, contents));
            break;
        }
    }
    let Some((file, contents)) = found else {
        return Err(Error::Registry {
            registry: registry.to_owned(),
            message: format!(
                "the archive of {} {} (blob {}) has no torc.toml or spec.yaml",
                entry.name, entry.version, release.blake3
            ),
        });
    };
    let path = release.path_of(file);
    let text = manifest::decode_utf8(&path, contents)?;
    let manifest = manifest::read_text(&path, &text)?;
    check_against_index(registry, entry, &manifest)?;
    Ok(manifest)
}

/// What the archive's manifest says, field by field, against its line.
fn check_against_index(registry: &str, entry: &IndexEntry, manifest: &Manifest) -> Result<()> {
    let published = IndexEntry::from_manifest(manifest, entry.blake3.clone());
    let mut differences = Vec::new();
    if published.name != entry.name {
        differences.push(format!("name `{}`, not `{}`", published.name, entry.name));
    }
    // Exact, build metadata included: the line was written from this manifest.
    if published.version != entry.version {
        differences.push(format!("version {}, not {}", published.version, entry.version));
    }
    if published.kind != entry.kind {
        differences.push(format!("kind {}, not {}", published.kind, entry.kind));
    }
    if published.dependencies != entry.dependencies {
        differences.push(format!(
            "dependencies [{}], not [{}]",
            dependency_list(&published.dependencies),
            dependency_list(&entry.dependencies)
        ));
    }
    if differences.is_empty() {
        return Ok(());
    }
    Err(Error::Registry {
        registry: registry.to_owned(),
        message: format!(
            "the index line says {} {}, but its archive holds {} {} (blob {}): {}; refusing a release that is not what its index line says (the index or the blob was altered)",
            entry.name,
            entry.version,
            manifest.name,
            manifest.version,
            entry.blake3,
            differences.join("; ")
        ),
    })
}

fn dependency_list(dependencies: &[IndexDependency]) -> String {
    dependencies.iter().map(|d| format!("{} {}", d.name, d.req)).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::PackageKind;

    /// A registry with `m` 1.0.0 (depending on `d ^1`) published, and its line.
    fn published() -> (tempfile::TempDir, FileRegistry, IndexEntry) {
        let dir = tempfile::tempdir().unwrap();
        let package = dir.path().join("m");
        std::fs::create_dir(&package).unwrap();
        let path = package.join("torc.toml");
        std::fs::write(&path, "[module]\nname = \"m\"\nversion = \"1.0.0+b.1\"\n[dependencies]\nd = \"^1\"\n").unwrap();
        let manifest = manifest::read(&path).unwrap();
        let registry = FileRegistry::new("local", dir.path().join("registry"));
        let entry = registry.publish(&manifest, &package).unwrap();
        (dir, registry, entry)
    }

    fn refusal(registry: &FileRegistry, entry: &IndexEntry) -> String {
        let error = release_manifest(registry, entry).unwrap_err();
        assert!(matches!(error, Error::Registry { .. }), "{error}");
        error.to_string()
    }

    #[test]
    fn the_line_a_release_was_published_under_reads_back() {
        let (_dir, registry, entry) = published();
        let manifest = release_manifest(&registry, &entry).unwrap();
        assert_eq!((manifest.name.as_str(), manifest.version.to_string()), ("m", "1.0.0+b.1".to_owned()));
        assert_eq!(manifest.file, std::path::Path::new("local/m@1.0.0+b.1/torc.toml"));
    }

    #[test]
    fn every_field_of_the_line_is_checked() {
        let (_dir, registry, entry) = published();
        let mut kind = entry.clone();
        kind.kind = PackageKind::Platform;
        assert!(refusal(&registry, &kind).contains(": kind module, not platform;"), "{}", refusal(&registry, &kind));

        let mut build = entry.clone();
        build.version = semver::Version::parse("1.0.0+b.2").unwrap();
        assert!(refusal(&registry, &build).contains("version 1.0.0+b.1, not 1.0.0+b.2"), "{}", refusal(&registry, &build));

        let mut requirement = entry.clone();
        requirement.dependencies[0].req = "^2".into();
        assert!(
            refusal(&registry, &requirement).contains("dependencies [d ^1], not [d ^2]"),
            "{}",
            refusal(&registry, &requirement)
        );

        // A line of another package naming this blob (its own index file
        // would hold it under `n`).
        let mut name = entry.clone();
        name.name = "n".into();
        assert!(refusal(&registry, &name).contains("name `m`, not `n`"), "{}", refusal(&registry, &name));
    }
}
