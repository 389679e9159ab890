//! resolvo's view of a Torc [`Index`], for the `crates_each_version` bench.
//!
//! The same model as the pubgrub side of that bench:
//!
//! * one resolvo name per Torc package (so per (crate, compatible range)
//!   bucket, `name@none` packages included, with no candidates);
//! * one solvable per non-yanked release; a package's candidates are its
//!   non-yanked releases, tried newest first (highest release position
//!   first, as pubgrub's `OfflineDependencyProvider` does);
//! * one version set per distinct (package, [`VersionSet`]) over the same
//!   release positions; several dependencies of a release on one package
//!   are intersected into one requirement, as on the pubgrub side;
//! * a root is a requirement on the version set holding exactly that
//!   release.
//!
//! Everything is computed up front, with global numbers, in a [`Model`]
//! (not timed). Each root then gets a fresh [`Provider`] and `Solver`
//! that number names, solvables and version sets locally, in the order
//! resolvo asks for them, as a real resolvo client's pool does. This
//! matters: resolvo keeps per-solve state in dense vectors indexed by
//! these ids, so with the global numbering (22k version sets) every solve
//! allocates and clears maps sized by the whole index; reusing one solver
//! with global ids for a whole pass measured about 5.8 s instead.
//! Candidates are returned without `HintDependenciesAvailable::All`:
//! with that hint resolvo encodes the dependencies of every candidate
//! it sees up front, and the pass took about 6.6 s instead of 1.4 s.
//! The provider's answers are immediate, so resolvo's default
//! "now or never" runtime never waits.

use resolvo::{
    Candidates, Condition, ConditionId, Dependencies, DependencyProvider,
    HintDependenciesAvailable, Interner, KnownDependencies, NameId, Problem, SolvableId,
    Solver, SolverCache, StringId, UnsolvableOrCancelled, VersionSetId, VersionSetUnionId,
};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Display;
use torc_solver::{Index, PackageId, VersionIx, VersionSet};

/// No solvable: marks yanked releases in [`Model::solvable_of`].
const NONE: u32 = u32::MAX;

/// The index, renumbered for resolvo with global numbers. Built once.
pub struct Model<'a> {
    index: &'a Index,
    /// `(package, release position)` of each solvable.
    solvables: Vec<(PackageId, VersionIx)>,
    /// Solvable of each release, by package then position ([`NONE`] when
    /// yanked).
    solvable_of: Vec<Vec<u32>>,
    /// Candidates of each package, newest first (global solvables).
    candidates: Vec<Vec<SolvableId>>,
    /// Version sets, by global [`VersionSetId`].
    version_sets: Vec<(PackageId, VersionSet)>,
    /// Requirements of each solvable (global version sets).
    dependencies: Vec<Vec<VersionSetId>>,
    /// The root requirement of each solvable (exactly that release).
    roots: Vec<VersionSetId>,
}

fn solvable(raw: u32) -> SolvableId {
    SolvableId::from_raw(raw)
}

impl<'a> Model<'a> {
    pub fn new(index: &'a Index) -> Result<Self, String> {
        let mut interned: HashMap<(PackageId, VersionSet), VersionSetId> = HashMap::new();
        let mut version_sets = Vec::new();
        let mut intern = |package: PackageId, set: VersionSet| -> VersionSetId {
            *interned.entry((package, set.clone())).or_insert_with(|| {
                version_sets.push((package, set));
                VersionSetId(version_sets.len() as u32 - 1)
            })
        };
        let mut model = Model {
            index,
            solvables: Vec::new(),
            solvable_of: Vec::new(),
            candidates: Vec::new(),
            version_sets: Vec::new(),
            dependencies: Vec::new(),
            roots: Vec::new(),
        };
        for (id, package) in index.packages() {
            let mut of = Vec::with_capacity(package.releases.len());
            for (ix, release) in package.releases.iter().enumerate() {
                if release.yanked {
                    of.push(NONE);
                    continue;
                }
                of.push(model.solvables.len() as u32);
                model.solvables.push((id, ix as VersionIx));
            }
            model.candidates.push(
                of.iter()
                    .rev()
                    .filter(|&&s| s != NONE)
                    .map(|&s| solvable(s))
                    .collect(),
            );
            model.solvable_of.push(of);
        }
        for &(id, ix) in &model.solvables {
            let release = index.release(id, ix);
            let name = &index.package(id).name;
            if !release.conflicts.is_empty() {
                return Err(format!(
                    "{name} {} has conflicts, which this bench does not model",
                    release.label
                ));
            }
            let mut deps: BTreeMap<PackageId, VersionSet> = BTreeMap::new();
            for dependency in &release.dependencies {
                let [constraint] = dependency.alternatives.as_slice() else {
                    return Err(format!(
                        "{name} {} has a dependency with {} alternatives; this bench takes one",
                        release.label,
                        dependency.alternatives.len()
                    ));
                };
                deps.entry(constraint.package)
                    .and_modify(|s| *s = s.intersection(&constraint.versions))
                    .or_insert_with(|| constraint.versions.clone());
            }
            model
                .dependencies
                .push(deps.into_iter().map(|(p, set)| intern(p, set)).collect());
            model.roots.push(intern(id, VersionSet::singleton(ix)));
        }
        model.version_sets = version_sets;
        Ok(model)
    }

    pub fn solvable_count(&self) -> usize {
        self.solvables.len()
    }

    pub fn version_set_count(&self) -> usize {
        self.version_sets.len()
    }

    /// Can release `ix` of `package` be built? `None` if resolvo was
    /// cancelled (never, here). A yanked root is unsatisfiable (it has no
    /// solvable), as on the pubgrub side. A fresh provider and solver
    /// per root (see the module comment).
    pub fn solve(&self, package: PackageId, ix: VersionIx) -> Option<bool> {
        let s = self.solvable_of[package.0 as usize][ix as usize];
        if s == NONE {
            return Some(false);
        }
        let provider = Provider {
            model: self,
            local: RefCell::default(),
        };
        let root = provider.version_set(self.roots[s as usize]);
        let mut solver = Solver::new(provider);
        match solver.solve(Problem::new().requirements(vec![root.into()])) {
            Ok(solution) => {
                debug_assert!(solution
                    .iter()
                    .any(|&l| solver.provider().global_solvable(l) == s));
                Some(true)
            }
            Err(UnsolvableOrCancelled::Unsolvable(_)) => Some(false),
            Err(UnsolvableOrCancelled::Cancelled(_)) => None,
        }
    }
}

/// One numbering space: local id (position) <-> global id.
#[derive(Default)]
struct Numbering {
    global: Vec<u32>,
    local: HashMap<u32, u32>,
}

impl Numbering {
    fn local(&mut self, global: u32) -> u32 {
        *self.local.entry(global).or_insert_with(|| {
            self.global.push(global);
            self.global.len() as u32 - 1
        })
    }
}

#[derive(Default)]
struct Local {
    names: Numbering,
    solvables: Numbering,
    version_sets: Numbering,
}

/// The [`DependencyProvider`] for one root: a borrowed [`Model`] and the
/// local numbering of what resolvo has seen so far.
pub struct Provider<'m, 'a> {
    model: &'m Model<'a>,
    local: RefCell<Local>,
}

impl Provider<'_, '_> {
    fn name(&self, package: PackageId) -> NameId {
        NameId::from_raw(self.local.borrow_mut().names.local(package.0))
    }

    fn package(&self, name: NameId) -> PackageId {
        PackageId(self.local.borrow().names.global[name.into_raw() as usize])
    }

    fn solvable(&self, global: u32) -> SolvableId {
        solvable(self.local.borrow_mut().solvables.local(global))
    }

    fn global_solvable(&self, s: SolvableId) -> u32 {
        self.local.borrow().solvables.global[s.into_raw() as usize]
    }

    fn release_of(&self, s: SolvableId) -> (PackageId, VersionIx) {
        self.model.solvables[self.global_solvable(s) as usize]
    }

    fn version_set(&self, global: VersionSetId) -> VersionSetId {
        VersionSetId(self.local.borrow_mut().version_sets.local(global.0))
    }

    fn set(&self, version_set: VersionSetId) -> &(PackageId, VersionSet) {
        let global = self.local.borrow().version_sets.global[version_set.0 as usize];
        &self.model.version_sets[global as usize]
    }
}

impl Interner for Provider<'_, '_> {
    type NameId = NameId;
    type SolvableId = SolvableId;

    fn display_solvable(&self, s: SolvableId) -> impl Display + '_ {
        let (p, ix) = self.release_of(s);
        format!(
            "{} {}",
            self.model.index.name(p),
            self.model.index.release(p, ix).label
        )
    }

    fn display_name(&self, name: NameId) -> impl Display + '_ {
        self.model.index.name(self.package(name))
    }

    fn display_version_set(&self, version_set: VersionSetId) -> impl Display + '_ {
        let (p, set) = self.set(version_set);
        let releases = &self.model.index.package(*p).releases;
        let labels: Vec<&str> = set
            .iter()
            .map(|ix| releases[ix as usize].label.as_str())
            .collect();
        if labels.is_empty() {
            "(nothing)".to_owned()
        } else {
            labels.join(" | ")
        }
    }

    fn display_string(&self, _string_id: StringId) -> impl Display + '_ {
        "?"
    }

    fn version_set_name(&self, version_set: VersionSetId) -> NameId {
        self.name(self.set(version_set).0)
    }

    fn solvable_name(&self, s: SolvableId) -> NameId {
        self.name(self.release_of(s).0)
    }

    fn version_sets_in_union(
        &self,
        _union: VersionSetUnionId,
    ) -> impl Iterator<Item = VersionSetId> {
        // This model never builds a union (no alternatives).
        std::iter::empty()
    }

    fn resolve_condition(&self, _condition: ConditionId) -> Condition {
        unreachable!("this model has no conditional requirements")
    }
}

impl DependencyProvider for Provider<'_, '_> {
    async fn filter_candidates(
        &self,
        candidates: &[SolvableId],
        version_set: VersionSetId,
        inverse: bool,
    ) -> Vec<SolvableId> {
        let (_, set) = self.set(version_set);
        candidates
            .iter()
            .copied()
            .filter(|&s| set.contains(self.release_of(s).1) != inverse)
            .collect()
    }

    async fn get_candidates(&self, name: NameId) -> Option<Candidates<SolvableId>> {
        let global = &self.model.candidates[self.package(name).0 as usize];
        Some(Candidates {
            candidates: global.iter().map(|s| self.solvable(s.into_raw())).collect(),
            hint_dependencies_available: HintDependenciesAvailable::None,
            ..Candidates::default()
        })
    }

    async fn sort_candidates(&self, _solver: &SolverCache<Self>, solvables: &mut [SolvableId]) {
        // Newest first: global solvables are numbered in ascending
        // release order within a package.
        solvables.sort_unstable_by_key(|&s| std::cmp::Reverse(self.global_solvable(s)));
    }

    async fn get_dependencies(&self, s: SolvableId) -> Dependencies {
        let global = &self.model.dependencies[self.global_solvable(s) as usize];
        Dependencies::Known(KnownDependencies {
            requirements: global.iter().map(|&v| self.version_set(v).into()).collect(),
            constrains: Vec::new(),
        })
    }
}
