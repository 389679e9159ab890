//! Semver registries into the resolver's model: releases in, an [`Index`]
//! and a [`Root`] out.
//!
//! [`SemverRegistry`] collects releases in any order, sorts each package's
//! versions by precedence, and turns every requirement into the set of
//! release positions it matches. Packages are laid out in name order, so the
//! same registry always builds the same index.

use super::req::{cmp_precedence, ReqError, VersionReq};
use crate::index::{Constraint, Dependency, Index, PackageId};
use crate::resolver::Root;
use crate::version_set::{VersionIx, VersionSet};
use semver::Version;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// One published version of a package, with its requirements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SemverRelease {
    pub name: String,
    pub version: Version,
    /// Yanked releases stay in the index, marked, so a lock can still pin them.
    pub yanked: bool,
    /// (package, requirement) pairs that must all hold.
    pub dependencies: Vec<(String, VersionReq)>,
    /// (package, requirement) pairs: no release matching one may be chosen
    /// alongside this release.
    pub conflicts: Vec<(String, VersionReq)>,
}

/// Why a registry could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SemverError {
    /// A requirement of `dependent` (`menu 1.0.0`, or `root`) on `package`
    /// does not parse.
    #[error("requirement of {dependent} on {package}: {source}")]
    Requirement {
        dependent: String,
        package: String,
        #[source]
        source: ReqError,
    },
    /// Two releases of `package` have the same version once build metadata
    /// is ignored (`1.0.0+a` and `1.0.0+b`, or the same version twice).
    #[error("{package} has two releases with version {version} (the other is {other})")]
    DuplicateVersion { package: String, version: Version, other: Version },
    /// A release's version is not semver.
    #[error("{package}: invalid version \"{version}\": {message}")]
    InvalidVersion { package: String, version: String, message: String },
}

/// A semver registry under construction.
///
/// ```
/// use torc_solver::semver::SemverRegistry;
///
/// let mut registry = SemverRegistry::new();
/// registry.add("app", "1.0.0", &[("log", "^0.4")]).unwrap();
/// registry.add("log", "0.4.20", &[]).unwrap();
/// registry.add("log", "0.4.3", &[]).unwrap();
/// registry.add("log", "0.5.0", &[]).unwrap();
/// let index = registry.build().unwrap();
///
/// // Packages in name order, releases in version order.
/// let log = index.package_id("log").unwrap();
/// let labels: Vec<_> = index.package(log).releases.iter().map(|r| r.label.as_str()).collect();
/// assert_eq!(labels, ["0.4.3", "0.4.20", "0.5.0"]);
///
/// // `^0.4` is the first two releases of log.
/// let app = index.package_id("app").unwrap();
/// let needs_log = &index.release(app, 0).dependencies[0].alternatives[0];
/// assert_eq!(needs_log.package, log);
/// assert_eq!(needs_log.versions.iter().collect::<Vec<_>>(), [0, 1]);
/// assert_eq!(&*needs_log.requirement, "^0.4");
/// ```
#[derive(Clone, Debug, Default)]
pub struct SemverRegistry {
    releases: Vec<SemverRelease>,
    allow_prerelease: bool,
}

impl SemverRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether requirements match prereleases by ordering alone (off by
    /// default: a prerelease then only matches a requirement naming a
    /// prerelease of the same major.minor.patch).
    pub fn allow_prerelease(&mut self, allow: bool) {
        self.allow_prerelease = allow;
    }

    pub fn add_release(&mut self, release: SemverRelease) {
        self.releases.push(release);
    }

    /// Adds a release that is not yanked and has no conflicts, reading
    /// `version` as semver and the requirements in Torc's dialect.
    pub fn add(&mut self, name: &str, version: &str, dependencies: &[(&str, &str)]) -> Result<(), SemverError> {
        let parsed = Version::parse(version.trim()).map_err(|e| SemverError::InvalidVersion {
            package: name.to_owned(),
            version: version.to_owned(),
            message: e.to_string(),
        })?;
        let dependent = format!("{name} {parsed}");
        let dependencies = parse_requirements(&dependent, dependencies)?;
        self.add_release(SemverRelease {
            name: name.to_owned(),
            version: parsed,
            yanked: false,
            dependencies,
            conflicts: Vec::new(),
        });
        Ok(())
    }

    /// The releases added so far, in the order they were added.
    pub fn releases(&self) -> &[SemverRelease] {
        &self.releases
    }

    /// Builds the index: packages in name order, including packages that are
    /// only ever required (they have no releases, so requirements on them
    /// match nothing); each package's releases in ascending precedence.
    pub fn build(&self) -> Result<Index, SemverError> {
        self.build_including(std::iter::empty())
    }

    /// A root asking for each of `requirements`. A requirement on a package
    /// `index` does not know cannot be met: it becomes a dependency with no
    /// alternatives. [`build_for`](Self::build_for) and
    /// [`build_with_root`](Self::build_with_root) avoid that by giving every
    /// requested package a place in the index.
    pub fn root(&self, index: &Index, requirements: &[(String, VersionReq)]) -> Root {
        let dependencies = requirements
            .iter()
            .map(|(name, req)| match index.package_id(name) {
                Some(package) => Dependency::from(self.constraint_in(index, package, req)),
                None => Dependency { alternatives: Vec::new() },
            })
            .collect();
        Root::new(dependencies)
    }

    /// Builds the index and a root asking for `requirements` (Torc's dialect).
    pub fn build_with_root(&self, requirements: &[(&str, &str)]) -> Result<(Index, Root), SemverError> {
        self.build_for(&parse_requirements("root", requirements)?)
    }

    /// Builds the index and a root asking for parsed `requirements`. Unlike
    /// [`build`](Self::build) then [`root`](Self::root), a requested package
    /// with no releases gets a place in the index, so the explanation can
    /// name it.
    pub fn build_for(&self, requirements: &[(String, VersionReq)]) -> Result<(Index, Root), SemverError> {
        let index = self.build_including(requirements.iter().map(|(name, _)| name.as_str()))?;
        let root = self.root(&index, requirements);
        Ok((index, root))
    }

    /// The package and position of `name` at `version` (build metadata
    /// ignored) in an index this registry built.
    pub fn locate(&self, index: &Index, name: &str, version: &Version) -> Option<(PackageId, VersionIx)> {
        let package = index.package_id(name)?;
        let position = index.package(package).releases.iter().position(|release| {
            Version::parse(&release.label).is_ok_and(|v| cmp_precedence(&v, version).is_eq())
        })?;
        Some((package, position as VersionIx))
    }

    /// `build`, also giving each of `extra_names` a package.
    fn build_including<'a>(&'a self, extra_names: impl Iterator<Item = &'a str>) -> Result<Index, SemverError> {
        // Every name: released, required, conflicted with, or requested.
        let mut names: BTreeSet<&str> = extra_names.collect();
        let mut by_package: BTreeMap<&str, Vec<&SemverRelease>> = BTreeMap::new();
        for release in &self.releases {
            names.insert(&release.name);
            by_package.entry(&release.name).or_default().push(release);
            for (name, _) in release.dependencies.iter().chain(&release.conflicts) {
                names.insert(name);
            }
        }

        let mut index = Index::new();
        for name in &names {
            index.add_package(name);
        }

        // Sorted releases and versions per package, checked for duplicates.
        let mut versions: HashMap<PackageId, Vec<&Version>> = HashMap::new();
        let mut sorted: Vec<(PackageId, Vec<&SemverRelease>)> = Vec::new();
        for (name, mut releases) in by_package {
            // Stable: equal versions keep their insertion order in the error.
            releases.sort_by(|a, b| cmp_precedence(&a.version, &b.version));
            if let Some(pair) = releases.windows(2).find(|w| cmp_precedence(&w[0].version, &w[1].version).is_eq()) {
                return Err(SemverError::DuplicateVersion {
                    package: name.to_owned(),
                    version: pair[0].version.clone(),
                    other: pair[1].version.clone(),
                });
            }
            let package = index.add_package(name);
            for release in &releases {
                index.push_release(package, release.version.to_string(), release.yanked);
            }
            versions.insert(package, releases.iter().map(|r| &r.version).collect());
            sorted.push((package, releases));
        }

        // Many releases share a requirement (`^1.0` on the same package):
        // compute each (package, requirement) set once.
        let mut cache: HashMap<(PackageId, &VersionReq), Constraint> = HashMap::new();
        let allow_prerelease = self.allow_prerelease;
        let mut constraint = |index: &Index, name: &str, req: &'a VersionReq| -> Constraint {
            // Every name got a package above.
            let package = index.package_id(name).unwrap_or(PackageId(u32::MAX));
            cache
                .entry((package, req))
                .or_insert_with(|| {
                    let candidates = versions.get(&package).map_or(&[][..], Vec::as_slice);
                    let set = VersionSet::from_predicate(candidates.len() as u32, |ix| {
                        req.matches_with(candidates[ix as usize], allow_prerelease)
                    });
                    Constraint { package, versions: set, requirement: Arc::from(req.as_str()) }
                })
                .clone()
        };
        for (package, releases) in &sorted {
            for (ix, release) in releases.iter().enumerate() {
                let dependencies: Vec<Dependency> = release
                    .dependencies
                    .iter()
                    .map(|(name, req)| constraint(&index, name, req).into())
                    .collect();
                let conflicts: Vec<Constraint> =
                    release.conflicts.iter().map(|(name, req)| constraint(&index, name, req)).collect();
                let target = index.release_mut(*package, ix as VersionIx);
                target.dependencies = dependencies;
                target.conflicts = conflicts;
            }
        }
        Ok(index)
    }

    /// `req` on `package`, over the releases `index` holds for it.
    fn constraint_in(&self, index: &Index, package: PackageId, req: &VersionReq) -> Constraint {
        let releases = &index.package(package).releases;
        let set = VersionSet::from_predicate(releases.len() as u32, |ix| {
            Version::parse(&releases[ix as usize].label)
                .is_ok_and(|v| req.matches_with(&v, self.allow_prerelease))
        });
        index.constraint(package, set, req.as_str())
    }
}

/// Parses (package, requirement) pairs in Torc's dialect; `dependent` names
/// their owner in errors.
fn parse_requirements(
    dependent: &str,
    requirements: &[(&str, &str)],
) -> Result<Vec<(String, VersionReq)>, SemverError> {
    requirements
        .iter()
        .map(|&(package, text)| {
            VersionReq::parse(text)
                .map(|req| (package.to_owned(), req))
                .map_err(|source| SemverError::Requirement {
                    dependent: dependent.to_owned(),
                    package: package.to_owned(),
                    source,
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semver::BareVersion;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    fn labels(index: &Index, name: &str) -> Vec<String> {
        let id = index.package_id(name).unwrap();
        index.package(id).releases.iter().map(|r| r.label.clone()).collect()
    }

    fn positions(constraint: &Constraint) -> Vec<VersionIx> {
        constraint.versions.iter().collect()
    }

    /// The only alternative of dependency `n` of `name`'s release at `ix`.
    fn dependency<'i>(index: &'i Index, name: &str, ix: VersionIx, n: usize) -> &'i Constraint {
        let id = index.package_id(name).unwrap();
        let alternatives = &index.release(id, ix).dependencies[n].alternatives;
        assert_eq!(alternatives.len(), 1);
        &alternatives[0]
    }

    #[test]
    fn packages_in_name_order_and_releases_in_version_order() {
        let mut registry = SemverRegistry::new();
        registry.add("zed", "1.10.0", &[]).unwrap();
        registry.add("zed", "1.2.0", &[]).unwrap();
        registry.add("alpha", "2.0.0", &[("zed", "^1")]).unwrap();
        registry.add("zed", "1.2.0-rc.1", &[]).unwrap();
        registry.add("zed", "0.9.0+build.3", &[]).unwrap();
        let index = registry.build().unwrap();
        let names: Vec<_> = index.packages().map(|(_, p)| p.name.as_str()).collect();
        assert_eq!(names, ["alpha", "zed"]);
        assert_eq!(labels(&index, "zed"), ["0.9.0+build.3", "1.2.0-rc.1", "1.2.0", "1.10.0"]);
        // `^1` skips the prerelease.
        assert_eq!(positions(dependency(&index, "alpha", 0, 0)), [2, 3]);
        // Building twice gives the same layout.
        let again = registry.build().unwrap();
        let layout = |index: &Index| format!("{:?}", index.packages().collect::<Vec<_>>());
        assert_eq!(layout(&index), layout(&again));
    }

    #[test]
    fn missing_packages_get_empty_constraints() {
        let mut registry = SemverRegistry::new();
        registry.add("app", "1.0.0", &[("ghost", "^1"), ("real", "*")]).unwrap();
        registry.add("real", "0.1.0", &[]).unwrap();
        let index = registry.build().unwrap();
        let ghost = index.package_id("ghost").unwrap();
        assert!(index.package(ghost).releases.is_empty());
        let needs_ghost = dependency(&index, "app", 0, 0);
        assert_eq!(needs_ghost.package, ghost);
        assert!(needs_ghost.versions.is_empty());
        assert_eq!(&*needs_ghost.requirement, "^1");
        assert_eq!(positions(dependency(&index, "app", 0, 1)), [0]);
    }

    #[test]
    fn conflicts_and_yanked_releases() {
        let mut registry = SemverRegistry::new();
        registry.add_release(SemverRelease {
            name: "a".into(),
            version: v("1.0.0"),
            yanked: true,
            dependencies: vec![],
            conflicts: vec![("b".into(), VersionReq::parse("<2").unwrap())],
        });
        registry.add("b", "1.0.0", &[]).unwrap();
        registry.add("b", "2.0.0", &[]).unwrap();
        let index = registry.build().unwrap();
        let a = index.package_id("a").unwrap();
        let release = index.release(a, 0);
        assert!(release.yanked);
        assert!(release.dependencies.is_empty());
        assert_eq!(release.conflicts.len(), 1);
        assert_eq!(release.conflicts[0].package, index.package_id("b").unwrap());
        assert_eq!(positions(&release.conflicts[0]), [0]);
        assert_eq!(&*release.conflicts[0].requirement, "<2");
        assert!(!index.release(index.package_id("b").unwrap(), 0).yanked);
    }

    #[test]
    fn shared_requirements_give_equal_sets() {
        let mut registry = SemverRegistry::new();
        for minor in 0..20 {
            registry.add("user", &format!("1.{minor}.0"), &[("lib", "^1.0")]).unwrap();
        }
        registry.add("lib", "1.0.0", &[]).unwrap();
        registry.add("lib", "1.5.0", &[]).unwrap();
        registry.add("lib", "2.0.0", &[]).unwrap();
        let index = registry.build().unwrap();
        for ix in 0..20 {
            let c = dependency(&index, "user", ix, 0);
            assert_eq!(positions(c), [0, 1]);
        }
        // Cached constraints share their requirement text.
        let first = dependency(&index, "user", 0, 0);
        let last = dependency(&index, "user", 19, 0);
        assert!(Arc::ptr_eq(&first.requirement, &last.requirement));
    }

    #[test]
    fn dialects_with_the_same_text_are_not_confused() {
        let mut registry = SemverRegistry::new();
        registry.add("lib", "1.0.0", &[]).unwrap();
        registry.add("lib", "1.3.0", &[]).unwrap();
        let exact = VersionReq::parse("1.0").unwrap();
        let caret = VersionReq::parse_with("1.0", BareVersion::Caret).unwrap();
        for (version, req) in [("1.0.0", exact), ("2.0.0", caret)] {
            registry.add_release(SemverRelease {
                name: "user".into(),
                version: v(version),
                yanked: false,
                dependencies: vec![("lib".into(), req)],
                conflicts: vec![],
            });
        }
        let index = registry.build().unwrap();
        assert_eq!(positions(dependency(&index, "user", 0, 0)), [0]);
        assert_eq!(positions(dependency(&index, "user", 1, 0)), [0, 1]);
    }

    #[test]
    fn prereleases_follow_the_registry_setting() {
        let mut registry = SemverRegistry::new();
        registry.add("lib", "1.0.0", &[]).unwrap();
        registry.add("lib", "1.1.0-beta", &[]).unwrap();
        registry.add("lib", "2.0.0-alpha", &[]).unwrap();
        registry.add("app", "1.0.0", &[("lib", "^1")]).unwrap();
        let index = registry.build().unwrap();
        assert_eq!(positions(dependency(&index, "app", 0, 0)), [0]);
        registry.allow_prerelease(true);
        let (index, root) = registry.build_with_root(&[("lib", "^1.0")]).unwrap();
        assert_eq!(positions(dependency(&index, "app", 0, 0)), [0, 1]);
        assert_eq!(root.dependencies[0].alternatives[0].versions.iter().collect::<Vec<_>>(), [0, 1]);
    }

    #[test]
    fn duplicate_versions_are_rejected() {
        let mut registry = SemverRegistry::new();
        registry.add("lib", "1.0.0+linux", &[]).unwrap();
        registry.add("lib", "0.1.0", &[]).unwrap();
        registry.add("lib", "1.0.0+macos", &[]).unwrap();
        match registry.build() {
            Err(SemverError::DuplicateVersion { package, version, other }) => {
                assert_eq!(package, "lib");
                assert_eq!(version, v("1.0.0+linux"));
                assert_eq!(other, v("1.0.0+macos"));
            }
            other => panic!("expected a duplicate, got {other:?}"),
        }
        let mut registry = SemverRegistry::new();
        registry.add("lib", "1.0.0", &[]).unwrap();
        registry.add("lib", "1.0.0", &[]).unwrap();
        let err = registry.build().unwrap_err();
        assert_eq!(err.to_string(), "lib has two releases with version 1.0.0 (the other is 1.0.0)");
    }

    #[test]
    fn bad_input_is_reported() {
        let mut registry = SemverRegistry::new();
        let err = registry.add("lib", "1.0", &[]).unwrap_err();
        assert!(matches!(
            &err,
            SemverError::InvalidVersion { package, version, .. } if package == "lib" && version == "1.0"
        ));
        let err = registry.add("app", "1.0.0", &[("lib", "^1.x.3")]).unwrap_err();
        match &err {
            SemverError::Requirement { dependent, package, source } => {
                assert_eq!(dependent, "app 1.0.0");
                assert_eq!(package, "lib");
                assert_eq!(source.column, 6);
            }
            other => panic!("expected a requirement error, got {other:?}"),
        }
        assert_eq!(
            err.to_string(),
            "requirement of app 1.0.0 on lib: invalid requirement \"^1.x.3\" at column 6: \
             a number cannot follow a wildcard"
        );
        // Nothing was added by the failed calls.
        assert!(registry.releases().is_empty());
        let err = registry.build_with_root(&[("lib", "=>1")]).unwrap_err();
        assert!(matches!(err, SemverError::Requirement { ref dependent, .. } if dependent == "root"));
    }

    #[test]
    fn root_and_locate() {
        let mut registry = SemverRegistry::new();
        registry.add("menu", "1.0.0", &[("dropdown", "^2")]).unwrap();
        registry.add("menu", "1.1.0", &[("dropdown", "^3")]).unwrap();
        registry.add("dropdown", "2.0.0+b1", &[]).unwrap();
        registry.add("dropdown", "2.3.0", &[]).unwrap();
        let (index, root) = registry
            .build_with_root(&[("menu", "^1"), ("dropdown", "~2.0"), ("nowhere", "*")])
            .unwrap();
        assert_eq!(root.dependencies.len(), 3);
        let wants: Vec<_> = root.dependencies.iter().map(|d| &d.alternatives[0]).collect();
        assert_eq!(wants[0].package, index.package_id("menu").unwrap());
        assert_eq!(positions(wants[0]), [0, 1]);
        assert_eq!(positions(wants[1]), [0]);
        assert_eq!(&*wants[1].requirement, "~2.0");
        // A requested package with no releases is in the index, and empty.
        assert_eq!(wants[2].package, index.package_id("nowhere").unwrap());
        assert!(wants[2].versions.is_empty());
        // menu 1.1.0 needs dropdown ^3: nothing.
        assert!(dependency(&index, "menu", 1, 0).versions.is_empty());

        // The same from parsed requirements.
        let parsed = [("nowhere".to_owned(), VersionReq::parse("*").unwrap())];
        let (index2, root2) = registry.build_for(&parsed).unwrap();
        let nowhere = index2.package_id("nowhere").unwrap();
        assert_eq!(root2.dependencies[0].alternatives[0].package, nowhere);

        // `root` against an index that lacks a package: unsatisfiable.
        let root = registry.root(&index, &[("elsewhere".into(), VersionReq::parse("*").unwrap())]);
        assert!(root.dependencies[0].alternatives.is_empty());

        let dropdown = index.package_id("dropdown").unwrap();
        assert_eq!(registry.locate(&index, "dropdown", &v("2.0.0")), Some((dropdown, 0)));
        assert_eq!(registry.locate(&index, "dropdown", &v("2.3.0+x")), Some((dropdown, 1)));
        assert_eq!(registry.locate(&index, "dropdown", &v("2.1.0")), None);
        assert_eq!(registry.locate(&index, "nobody", &v("1.0.0")), None);
    }
}
