//! The public face of resolution: a [`Root`] request in, a [`Resolution`] out.

use crate::explain::{self, Explanation};
use crate::greedy::{Env, Greedy, Outcome};
use crate::index::{Dependency, Index, PackageId};
use crate::ranking::Ranking;
use crate::learned::Learned;
use crate::sat::{FactRef, SatSession};
use crate::version_set::{VersionIx, VersionSet};
use std::collections::HashMap;

/// Which release of a package is preferred when several fit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Preference {
    /// Newest first (the default).
    #[default]
    Newest,
    /// Oldest first (`--minimal`, as Cargo's `-Z minimal-versions`).
    Oldest,
}

/// How to resolve.
#[derive(Clone, Debug, Default)]
pub struct ResolveOptions {
    pub preference: Preference,
    /// A previous solution. Each pinned release is preferred over all others
    /// while it still fits, and a pinned yanked release stays selectable.
    pub lock: HashMap<PackageId, VersionIx>,
}

/// What is asked for: the requirements of a virtual root package.
#[derive(Clone, Debug, Default)]
pub struct Root {
    pub dependencies: Vec<Dependency>,
}

impl Root {
    pub fn new(dependencies: Vec<Dependency>) -> Self {
        Root { dependencies }
    }

    /// A root that asks for exactly one release (every-version workloads).
    pub fn release(index: &Index, package: PackageId, ix: VersionIx) -> Self {
        let label = format!("={}", index.release(package, ix).label);
        Root { dependencies: vec![index.constraint(package, VersionSet::singleton(ix), &label).into()] }
    }
}

/// A resolved set of releases, at most one per package, in the documented
/// preference order (breadth-first from the root).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Solution {
    pub(crate) choices: Vec<(PackageId, VersionIx)>,
}

impl Solution {
    /// The chosen releases in breadth-first order from the root.
    pub fn choices(&self) -> &[(PackageId, VersionIx)] {
        &self.choices
    }

    /// The label of the chosen version of `name`, if it was chosen.
    pub fn version_of<'i>(&self, index: &'i Index, name: &str) -> Option<&'i str> {
        let id = index.package_id(name)?;
        let &(_, ix) = self.choices.iter().find(|(p, _)| *p == id)?;
        Some(&index.release(id, ix).label)
    }

    pub fn len(&self) -> usize {
        self.choices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.choices.is_empty()
    }
}

/// A cycle in the chosen dependency graph; the first release is repeated at
/// the end: `a 1.0.0 -> b 1.0.0 -> a 1.0.0`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cycle {
    pub path: Vec<(PackageId, VersionIx)>,
    /// The solution that contains the cycle.
    pub solution: Solution,
}

impl Cycle {
    /// `["a 1.0.0", "b 1.0.0", "a 1.0.0"]`
    pub fn describe(&self, index: &Index) -> Vec<String> {
        self.path
            .iter()
            .map(|&(p, ix)| format!("{} {}", index.name(p), index.release(p, ix).label))
            .collect()
    }
}

/// The answer to a request.
#[derive(Clone, Debug)]
pub enum Resolution {
    Solved(Solution),
    NoSolution(Explanation),
    /// A solution exists but its dependency graph is cyclic, which module
    /// graphs cannot be.
    Cycle(Cycle),
}

/// Counters over the life of a [`Resolver`], for benchmarks and tuning.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResolverStats {
    /// Requests answered.
    pub requests: u64,
    /// Requests the greedy pass answered alone (no SAT call).
    pub greedy_only: u64,
    /// Requests that needed the SAT search.
    pub sat_searches: u64,
    /// Calls into varisat, explanations included.
    pub sat_calls: u64,
}

/// Resolves requests against one [`Index`], reusing its workspace across
/// requests (each request only touches the packages it reaches).
///
/// The answer is the *newest* solution in this documented order: walk the
/// solution breadth-first from the root (dependencies in declared order);
/// the first package whose release differs decides, and the more preferred
/// release wins. Preference is newest first, oldest first with
/// [`Preference::Oldest`], and a lock pin outranks both.
///
/// How: a greedy pass decides packages in that order, each as preferred as
/// the decisions before it allow. If it completes, it *is* the optimum. If
/// it gets stuck, a SAT search (see `sat.rs`) finds the longest prefix of
/// its decisions that still extends to a solution, then the best release
/// for the next package by binary search on its rank, fixes it, and lets
/// the greedy pass continue from there.
pub struct Resolver<'i> {
    index: &'i Index,
    greedy: Greedy,
    stats: ResolverStats,
    colour: Vec<u8>,
    learned: Learned,
}

impl<'i> Resolver<'i> {
    pub fn new(index: &'i Index) -> Self {
        Resolver {
            index,
            greedy: Greedy::new(index.package_count()),
            stats: ResolverStats::default(),
            colour: vec![0; index.package_count()],
            learned: Learned::new(index),
        }
    }

    pub fn stats(&self) -> ResolverStats {
        self.stats
    }

    pub fn resolve(&mut self, root: &Root, options: &ResolveOptions) -> Resolution {
        self.stats.requests += 1;
        self.learned.adopt_lock(&options.lock);
        // Learned facts prune the greedy pass, which must not steer the
        // heuristic choice among alternatives (see `learned.rs`).
        let learning = self.learned.enabled() && root.dependencies.iter().all(|d| d.alternatives.len() <= 1);
        let ranking = Ranking::new(self.index, options);
        let mut fixed: Vec<(PackageId, VersionIx)> = Vec::new();
        let mut session: Option<SatSession> = None;
        let outcome = loop {
            let env = Env { index: self.index, ranking: &ranking, learned: learning.then_some(&self.learned) };
            if let Outcome::Complete = self.greedy.run(env, root, &fixed) {
                let choices = self.greedy.trail.clone();
                let greedy = &self.greedy;
                let cycle = find_cycle(self.index, &choices, |p| greedy.chosen(p), &mut self.colour);
                break Ok(finish(choices, cycle));
            }
            if fixed.is_empty() {
                if let Some(forced) = self.greedy.forced_core(self.index, &ranking, learning.then_some(&self.learned)) {
                    if forced.minimal {
                        break Err(forced.facts);
                    }
                    let mut facts = forced.facts;
                    facts.sort_unstable();
                    facts.dedup();
                    if let Some(core) = self.shrink(root, &ranking, |sat| facts.iter().for_each(|&f| sat.encode_fact(f))) {
                        break Err(core);
                    }
                }
            }
            // Releases the pass found ruled out whatever else is decided are
            // uninstallable in every request: learn them, and try again.
            if learning && self.greedy.learn_from_stuck(self.index, &ranking, &mut self.learned) {
                continue;
            }
            let sat = session.get_or_insert_with(|| {
                self.stats.sat_searches += 1;
                let mut sat = SatSession::new(self.index, ranking, root, false);
                for &(p, ix) in &self.greedy.trail {
                    sat.activate(p, ix);
                }
                sat
            });
            match refine(sat, &ranking, &self.greedy.trail, &fixed) {
                Step::Fix(prefix) => fixed = prefix,
                Step::Answer(choices) => {
                    let chosen: HashMap<PackageId, VersionIx> = choices.iter().copied().collect();
                    let cycle = find_cycle(self.index, &choices, |p| chosen.get(&p).copied(), &mut self.colour);
                    break Ok(finish(choices, cycle));
                }
                Step::Unsatisfiable => {
                    let activated = sat.activated().to_vec();
                    let core = self.shrink(root, &ranking, |sat| activated.iter().for_each(|&(p, ix)| sat.activate(p, ix)));
                    // The same clauses were unsatisfiable a moment ago.
                    break Err(core.unwrap_or_default());
                }
            }
        };
        match session {
            Some(sat) => self.stats.sat_calls += sat.solve_calls as u64,
            None => self.stats.greedy_only += 1,
        }
        match outcome {
            Ok(resolution) => resolution,
            Err(core) => {
                if learning {
                    self.learn(root, &core);
                }
                Resolution::NoSolution(explain::from_core(self.index, &ranking, root, &core))
            }
        }
    }

    /// Encodes the facts `encode` adds, each with its own selector, and
    /// shrinks the unsatisfiable ones to a minimal core (`None` if they are
    /// satisfiable after all).
    fn shrink(&mut self, root: &Root, ranking: &Ranking, encode: impl FnOnce(&mut SatSession)) -> Option<Vec<FactRef>> {
        let mut sat = SatSession::new(self.index, *ranking, root, true);
        encode(&mut sat);
        let core = sat.minimal_core();
        self.stats.sat_calls += sat.solve_calls as u64;
        core
    }

    /// When the request was one exact release, remembers that the release
    /// is uninstallable and why.
    fn learn(&mut self, root: &Root, core: &[FactRef]) {
        let [dep] = &root.dependencies[..] else { return };
        let [c] = &dep.alternatives[..] else { return };
        if let (Some(ix), 1) = (c.versions.min(), c.versions.len()) {
            let facts = core.iter().copied().filter(|f| !matches!(f, FactRef::Root(_))).collect();
            self.learned.record(c.package, ix, facts);
        }
    }
}

fn finish(choices: Vec<(PackageId, VersionIx)>, cycle: Option<Vec<(PackageId, VersionIx)>>) -> Resolution {
    let solution = Solution { choices };
    match cycle {
        Some(path) => Resolution::Cycle(Cycle { path, solution }),
        None => Resolution::Solved(solution),
    }
}

enum Step {
    /// Continue the greedy pass with these decisions fixed.
    Fix(Vec<(PackageId, VersionIx)>),
    /// A solution read directly off a model (only when alternatives make
    /// the greedy pass lose its way).
    Answer(Vec<(PackageId, VersionIx)>),
    Unsatisfiable,
}

/// One round of the SAT search after the greedy pass got stuck with
/// `trail`, of which the first `fixed.len()` decisions are known to extend
/// to a solution.
fn refine(
    sat: &mut SatSession,
    ranking: &Ranking,
    trail: &[(PackageId, VersionIx)],
    fixed: &[(PackageId, VersionIx)],
) -> Step {
    let mut lits = Vec::new();
    let prefix_lits = |sat: &mut SatSession, decisions: &[(PackageId, VersionIx)], lits: &mut Vec<_>| {
        lits.clear();
        for &(p, ix) in decisions {
            sat.chosen_lits(p, ix, lits);
        }
    };
    if fixed.is_empty() && sat.solve(&[]).is_none() {
        return Step::Unsatisfiable;
    }
    if trail.len() <= fixed.len() || trail[..fixed.len()] != *fixed {
        // The pass could not even replay the fixed decisions (a dependency
        // with alternatives led it astray): take the solver's word.
        prefix_lits(sat, fixed, &mut lits);
        return sat.solve(&lits).map_or(Step::Unsatisfiable, Step::Answer);
    }
    // The longest prefix of the trail that still extends to a solution.
    let (mut lo, mut hi) = (fixed.len(), trail.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        prefix_lits(sat, &trail[..mid], &mut lits);
        if sat.solve(&lits).is_some() {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    prefix_lits(sat, &trail[..lo], &mut lits);
    let Some(model) = sat.solve(&lits) else { return Step::Unsatisfiable };
    if lo == trail.len() {
        // Stuck although every decision stands: alternatives again.
        return Step::Answer(model);
    }
    let (p, _) = trail[lo];
    let Some(model_ix) = sat.model_choice(p) else { return Step::Answer(model) };
    // The best rank for `p` given the prefix: "installed at rank <= r" is
    // monotone in r, so binary search between 0 and the model's rank.
    let (mut best_lo, mut best_hi) = (0, ranking.rank(p, model_ix));
    let prefix_len = lits.len();
    while best_lo < best_hi {
        let mid = (best_lo + best_hi) / 2;
        lits.truncate(prefix_len);
        sat.at_most_rank_lits(p, mid, &mut lits);
        if sat.solve(&lits).is_some() {
            let found = sat.model_choice(p).map_or(mid, |ix| ranking.rank(p, ix));
            best_hi = found.min(mid);
        } else {
            best_lo = mid + 1;
        }
    }
    let mut next = trail[..lo].to_vec();
    next.push((p, ranking.at(p, best_lo)));
    Step::Fix(next)
}

/// A cycle in the dependency graph of `choices`, as a path whose first and
/// last entries are the same release. `colour` is a zeroed scratch array
/// indexed by package, left zeroed again.
fn find_cycle(
    index: &Index,
    choices: &[(PackageId, VersionIx)],
    chosen: impl Fn(PackageId) -> Option<VersionIx>,
    colour: &mut [u8],
) -> Option<Vec<(PackageId, VersionIx)>> {
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let at = |p: PackageId| chosen(p).unwrap_or_default();
    let edges = |p: PackageId| -> Vec<PackageId> {
        let release = index.release(p, at(p));
        release
            .dependencies
            .iter()
            .filter_map(|dep| {
                dep.alternatives
                    .iter()
                    .find(|c| chosen(c.package).is_some_and(|ix| c.versions.contains(ix)))
                    .map(|c| c.package)
            })
            .collect()
    };
    let mut found = None;
    'roots: for &(start, _) in choices {
        if colour[start.ix()] != 0 {
            continue;
        }
        // Iterative depth-first search: (package, its successors, next one).
        let mut stack: Vec<(PackageId, Vec<PackageId>, usize)> = vec![(start, edges(start), 0)];
        colour[start.ix()] = ON_PATH;
        while let Some((p, succ, next)) = stack.last_mut() {
            if let Some(&q) = succ.get(*next) {
                *next += 1;
                match colour[q.ix()] {
                    ON_PATH => {
                        let from = stack.iter().position(|(s, _, _)| *s == q).unwrap_or(0);
                        let mut path: Vec<_> = stack[from..].iter().map(|(s, _, _)| (*s, at(*s))).collect();
                        path.push((q, at(q)));
                        found = Some(path);
                        break 'roots;
                    }
                    0 => {
                        colour[q.ix()] = ON_PATH;
                        let succ = edges(q);
                        stack.push((q, succ, 0));
                    }
                    _ => {}
                }
            } else {
                colour[p.ix()] = DONE;
                stack.pop();
            }
        }
    }
    for &(p, _) in choices {
        colour[p.ix()] = 0;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semver::SemverRegistry;
    use crate::Fact;

    /// (name, version, dependencies as (name, requirement)).
    type Releases<'a> = &'a [(&'a str, &'a str, &'a [(&'a str, &'a str)])];

    fn registry(releases: Releases) -> SemverRegistry {
        let mut registry = SemverRegistry::new();
        for (name, version, deps) in releases {
            registry.add(name, version, deps).unwrap();
        }
        registry
    }

    fn solve(releases: Releases, root: &[(&str, &str)], options: &ResolveOptions) -> (Index, Resolution) {
        let (index, root) = registry(releases).build_with_root(root).unwrap();
        let resolution = Resolver::new(&index).resolve(&root, options);
        (index, resolution)
    }

    fn solved(index: &Index, resolution: &Resolution) -> Vec<String> {
        match resolution {
            Resolution::Solved(s) => s
                .choices()
                .iter()
                .map(|&(p, ix)| format!("{} {}", index.name(p), index.release(p, ix).label))
                .collect(),
            other => panic!("expected a solution, got {other:?}"),
        }
    }

    #[test]
    fn conflict_found_late_is_repaired_by_the_sat_search() {
        // Greedy takes b 1.2.0, then finds that c (decided after b, and
        // with no other release) demands b ~1.1: stuck. The SAT search
        // finds that b 1.2.0 cannot stand and that b 1.1.0 is the best.
        let (index, resolution) = solve(
            &[
                ("a", "1.0.0", &[("b", "^1"), ("c", "^1")]),
                ("b", "1.0.0", &[]),
                ("b", "1.1.0", &[]),
                ("b", "1.2.0", &[]),
                ("c", "1.1.0", &[("b", "~1.1")]),
            ],
            &[("a", "^1")],
            &ResolveOptions::default(),
        );
        assert_eq!(solved(&index, &resolution), ["a 1.0.0", "b 1.1.0", "c 1.1.0"]);
    }

    #[test]
    fn later_package_yields_to_earlier_one() {
        // b is decided before c, so b stays newest and c steps back.
        let (index, resolution) = solve(
            &[
                ("a", "1.0.0", &[("b", "^1"), ("c", "^1")]),
                ("b", "1.1.0", &[]),
                ("b", "1.2.0", &[]),
                ("c", "1.0.0", &[]),
                ("c", "1.1.0", &[("b", "~1.1")]),
            ],
            &[("a", "^1")],
            &ResolveOptions::default(),
        );
        assert_eq!(solved(&index, &resolution), ["a 1.0.0", "b 1.2.0", "c 1.0.0"]);
    }

    #[test]
    fn minimal_mode_prefers_oldest_and_lock_pins_win() {
        let releases: Releases =
            &[("a", "1.0.0", &[]), ("a", "1.1.0", &[]), ("a", "1.2.0", &[])];
        let oldest = ResolveOptions { preference: Preference::Oldest, ..Default::default() };
        let (index, resolution) = solve(releases, &[("a", "^1")], &oldest);
        assert_eq!(solved(&index, &resolution), ["a 1.0.0"]);
        let a = index.package_id("a").unwrap();
        let locked = ResolveOptions { lock: [(a, 1)].into_iter().collect(), ..Default::default() };
        let (index, resolution) = solve(releases, &[("a", "^1")], &locked);
        assert_eq!(solved(&index, &resolution), ["a 1.1.0"]);
    }

    #[test]
    fn unsatisfiable_request_is_explained_with_a_minimal_core() {
        let (_, resolution) = solve(
            &[
                ("a", "2.0.0", &[("c", "^2")]),
                ("b", "1.0.0", &[("c", "^1")]),
                ("b", "1.1.0", &[("c", "^1")]),
                ("b", "1.2.0", &[("c", "^1")]),
                ("c", "1.0.0", &[]),
                ("c", "2.0.0", &[]),
                ("d", "1.0.0", &[]),
            ],
            &[("a", "^2"), ("b", "^1"), ("d", "^1")],
            &ResolveOptions::default(),
        );
        let Resolution::NoSolution(explanation) = resolution else { panic!("expected no solution") };
        assert_eq!(
            explanation.render(),
            "a 2.0.0 depends on c ^2; b 1.0.0 to 1.2.0 depend on c ^1; \
             root depends on a ^2 and b ^1, so they cannot be resolved together."
        );
        assert!(matches!(&explanation.facts[1], Fact::Depends { count: 3, .. }));
    }

    #[test]
    fn requirement_that_matches_nothing_is_named() {
        let (_, resolution) = solve(
            &[("a", "1.0.0", &[("c", "^3")]), ("c", "1.0.0", &[])],
            &[("a", "^1")],
            &ResolveOptions::default(),
        );
        let Resolution::NoSolution(explanation) = resolution else { panic!("expected no solution") };
        assert_eq!(
            explanation.render(),
            "a 1.0.0 depends on c ^3 (which no selectable release satisfies); \
             root depends on a ^1, so it cannot be satisfied."
        );
    }

    #[test]
    fn cycle_is_reported_with_its_path() {
        let (index, resolution) = solve(
            &[("a", "1.0.0", &[("b", "^1")]), ("b", "1.0.0", &[("a", "^1")])],
            &[("a", "^1")],
            &ResolveOptions::default(),
        );
        let Resolution::Cycle(cycle) = resolution else { panic!("expected a cycle") };
        assert_eq!(cycle.describe(&index), ["a 1.0.0", "b 1.0.0", "a 1.0.0"]);
    }
}

#[cfg(test)]
mod regressions {
    use super::*;

    #[test]
    fn two_dependencies_on_one_package_intersect() {
        let mut index = Index::new();
        let p0 = index.add_package("p0");
        let p1 = index.add_package("p1");
        for v in ["1.0.0", "1.1.0", "1.2.0"] {
            index.push_release(p0, v, false);
        }
        for v in ["1.0.0", "1.1.0"] {
            index.push_release(p1, v, false);
        }
        let d1 = index.constraint(p1, VersionSet::singleton(0), "=1.0.0");
        let d2 = index.constraint(p1, VersionSet::singleton(1), "=1.1.0");
        index.release_mut(p0, 2).dependencies = vec![d1.into(), d2.into()];
        let root = Root::new(vec![index.constraint(p0, VersionSet::full(3), "*").into()]);
        let resolution = Resolver::new(&index).resolve(&root, &ResolveOptions::default());
        let Resolution::Solved(solution) = resolution else { panic!("{resolution:?}") };
        assert_eq!(solution.choices(), &[(p0, 1)]);
    }

    #[test]
    fn dependency_without_alternatives_is_unsatisfiable_not_a_panic() {
        let mut index = Index::new();
        let a = index.add_package("a");
        index.push_release(a, "1.0.0", false);
        let root = Root::new(vec![Dependency { alternatives: vec![] }]);
        let mut resolver = Resolver::new(&index);
        for _ in 0..2 {
            let Resolution::NoSolution(explanation) = resolver.resolve(&root, &ResolveOptions::default()) else {
                panic!("expected no solution")
            };
            assert!(matches!(&explanation.facts[..], [crate::Fact::RootRequires { alternatives }] if alternatives.is_empty()));
        }
    }
}
