//! `torc verify` and the contract part of `torc tree`: a resolved tree's
//! manifests, fetched from the registries, and its boundary obligations.

use crate::boundaries::{self, BoundaryReport, TreeManifests};
use crate::error::{Error, Location, Result};
use crate::manifest;
use crate::package::Manifest;
use crate::project::{lock, Locked, Project};
use crate::registry::{archive, Registries};
use crate::resolve::{Resolved, Unlock};
use std::collections::HashMap;
use std::path::PathBuf;
use torc_contracts::prove::Options;

/// The manifests of every resolved package, read from the archives their
/// registries hold (each archive checked against its BLAKE3 on read).
/// Errors name the manifest as `<registry>/<name>@<version>/torc.toml`.
pub fn package_manifests(resolved: &Resolved, registries: &Registries) -> Result<HashMap<String, Manifest>> {
    let mut manifests = HashMap::new();
    for package in &resolved.packages {
        let Some((registry, _)) = registries.lookup(&package.name)? else {
            return Err(Error::PackageNotFound {
                name: package.name.clone(),
                searched: registries.names().into_iter().map(str::to_owned).collect(),
            });
        };
        let bytes = registry.blob(&package.blake3)?;
        let mut found = None;
        for file in [manifest::TORC_TOML, manifest::SPEC_YAML] {
            if let Some(text) = archive::read_file(&bytes, file)? {
                found = Some((file, text));
                break;
            }
        }
        let Some((file, text)) = found else {
            return Err(Error::Registry {
                registry: registry.name().to_owned(),
                message: format!("the archive of {} {} has no manifest", package.name, package.version),
            });
        };
        let path = PathBuf::from(format!("{}/{}@{}/{file}", registry.name(), package.name, package.version));
        let text = String::from_utf8(text).map_err(|_| {
            Error::input(Location::new(&path, 1, 1, ""), "the manifest is not UTF-8")
        })?;
        manifests.insert(package.name.clone(), manifest::read_text(&path, &text)?);
    }
    Ok(manifests)
}

/// A resolved, locked tree with its boundary obligations checked.
#[derive(Clone, Debug)]
pub struct Verified {
    pub locked: Locked,
    pub boundaries: BoundaryReport,
}

/// [`lock`], then every connection in the tree checked with Z3
/// ([`crate::boundaries`]).
pub fn verify(
    project: &Project,
    registries: &Registries,
    unlock: &Unlock,
    locked: bool,
    options: &Options,
) -> Result<Verified> {
    let locked = lock(project, registries, unlock, locked)?;
    let packages = package_manifests(&locked.resolved, registries)?;
    let manifests = TreeManifests { root: &project.manifest, packages: &packages };
    let boundaries = boundaries::check(&locked.resolved, &manifests, options)?;
    Ok(Verified { locked, boundaries })
}
