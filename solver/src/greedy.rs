//! The greedy pass: breadth-first from the root, each package gets the most
//! preferred release that the packages decided before it allow.
//!
//! A candidate is rejected only for reasons that follow from the decisions
//! already made (it is yanked, it conflicts with a decided release, one of
//! its dependencies can no longer be met), so when the pass completes, its
//! answer is exactly the lexicographic optimum the resolver promises and no
//! SAT call is needed. When it gets stuck, its trail tells the SAT search
//! where to look. The workspace is dense and reused across requests: a
//! request only touches the packages it reaches.

use crate::index::{Constraint, Dependency, Index, PackageId};
use crate::learned::Learned;
use crate::ranking::Ranking;
use crate::resolver::Root;
use crate::sat::FactRef;
use crate::version_set::{VersionIx, VersionSet};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Slot {
    /// Not reached by this request.
    Unseen,
    /// Restricted by a conflict but not (yet) required.
    Seen,
    /// Required; waiting in the queue for its decision.
    Queued,
    Chosen(VersionIx),
}

/// What narrowed a package's allowed releases, for explanations read off
/// the pass without a solver.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Narrowing {
    /// Nothing yet.
    Open,
    /// Exactly one single-alternative requirement (root dependency `k`, or
    /// dependency `k` of a decided release).
    Once(FactRef),
    /// Several requirements, a conflict or an alternative: not simple.
    Tangled,
}

/// What a pass reads: the index, the preference order and what earlier
/// requests proved.
#[derive(Clone, Copy)]
pub(crate) struct Env<'a> {
    pub(crate) index: &'a Index,
    pub(crate) ranking: &'a Ranking<'a>,
    /// `None` when learning is off for this request.
    pub(crate) learned: Option<&'a Learned>,
}

impl Env<'_> {
    /// Whether `set` holds a release of `p` that may still be chosen.
    fn has_candidate(&self, p: PackageId, set: &VersionSet) -> bool {
        set.iter().rev().any(|ix| self.ranking.selectable(p, ix) && !self.uninstallable(p, ix))
    }

    fn uninstallable(&self, p: PackageId, ix: VersionIx) -> bool {
        self.learned.is_some_and(|learned| learned.is_uninstallable(p, ix))
    }
}

pub(crate) enum Outcome {
    /// Every reached package got a release; the trail is the solution.
    Complete,
    /// Some required package has no release that fits the decisions made.
    Stuck,
}

pub(crate) struct Greedy {
    slot: Vec<Slot>,
    allowed: Vec<VersionSet>,
    forced: Vec<Option<VersionIx>>,
    touched: Vec<PackageId>,
    queue: Vec<PackageId>,
    /// Decisions in the order they were made (breadth-first).
    pub(crate) trail: Vec<(PackageId, VersionIx)>,
    /// Set when a decision left one of its own dependencies unmeetable.
    dead_end: bool,
    narrowing: Vec<Narrowing>,
    /// The package with no fitting release when the pass got stuck.
    stuck_at: Option<PackageId>,
}

impl Greedy {
    pub(crate) fn new(package_count: usize) -> Self {
        Greedy {
            slot: vec![Slot::Unseen; package_count],
            allowed: vec![VersionSet::empty(); package_count],
            forced: vec![None; package_count],
            touched: Vec::new(),
            queue: Vec::new(),
            trail: Vec::new(),
            dead_end: false,
            narrowing: vec![Narrowing::Open; package_count],
            stuck_at: None,
        }
    }

    /// The release chosen for `p` by the last run.
    pub(crate) fn chosen(&self, p: PackageId) -> Option<VersionIx> {
        match self.slot[p.ix()] {
            Slot::Chosen(ix) => Some(ix),
            _ => None,
        }
    }

    /// Runs the pass; `fixed` are decisions (in trail order) that replace
    /// the pass's own choice for their package.
    pub(crate) fn run(&mut self, env: Env, root: &Root, fixed: &[(PackageId, VersionIx)]) -> Outcome {
        self.reset();
        for &(p, ix) in fixed {
            self.forced[p.ix()] = Some(ix);
        }
        let outcome = self.run_forced(env, root);
        for &(p, _) in fixed {
            self.forced[p.ix()] = None;
        }
        outcome
    }

    fn run_forced(&mut self, env: Env, root: &Root) -> Outcome {
        if !self.dependencies_open(env, None, &root.dependencies) {
            return Outcome::Stuck;
        }
        self.require_all(env, None, &root.dependencies);
        let mut head = 0;
        while head < self.queue.len() && !self.dead_end {
            let p = self.queue[head];
            head += 1;
            match self.pick(env, p) {
                Some(ix) => self.choose(env, p, ix),
                None => {
                    self.stuck_at = Some(p);
                    return Outcome::Stuck;
                }
            }
        }
        if self.dead_end {
            Outcome::Stuck
        } else {
            Outcome::Complete
        }
    }

    fn reset(&mut self) {
        for &p in &self.touched {
            self.slot[p.ix()] = Slot::Unseen;
        }
        self.touched.clear();
        self.queue.clear();
        self.trail.clear();
        self.dead_end = false;
        self.stuck_at = None;
    }

    fn touch(&mut self, index: &Index, q: PackageId) {
        if self.slot[q.ix()] == Slot::Unseen {
            self.slot[q.ix()] = Slot::Seen;
            self.allowed[q.ix()] = VersionSet::full(index.package(q).releases.len() as u32);
            self.narrowing[q.ix()] = Narrowing::Open;
            self.touched.push(q);
        }
    }

    fn pick(&self, env: Env, p: PackageId) -> Option<VersionIx> {
        let allowed = &self.allowed[p.ix()];
        if let Some(ix) = self.forced[p.ix()] {
            return (allowed.contains(ix) && self.viable(env, p, ix)).then_some(ix);
        }
        env.ranking.first_in_order(p, allowed, |ix| !env.uninstallable(p, ix) && self.viable(env, p, ix))
    }

    /// Whether choosing `ix` for `p` is consistent with every decision made
    /// so far, judged one step ahead.
    fn viable(&self, env: Env, p: PackageId, ix: VersionIx) -> bool {
        if !env.ranking.selectable(p, ix) {
            return false;
        }
        let release = env.index.release(p, ix);
        let conflicts_ok = release.conflicts.iter().all(|c| {
            if c.package == p {
                return !c.versions.contains(ix);
            }
            match self.slot[c.package.ix()] {
                Slot::Chosen(w) => !c.versions.contains(w),
                _ => true,
            }
        });
        conflicts_ok && self.dependencies_open(env, Some((p, ix)), &release.dependencies)
    }

    fn dependencies_open(&self, env: Env, own: Option<(PackageId, VersionIx)>, dependencies: &[Dependency]) -> bool {
        dependencies
            .iter()
            .all(|dep| dep.alternatives.iter().any(|c| self.alternative_open(env, own, c)))
    }

    /// Whether `c` can still be met, given the decisions so far and the
    /// candidate `own` being decided: by the chosen release, or by a
    /// release still allowed that is selectable and not known to be
    /// uninstallable.
    fn alternative_open(&self, env: Env, own: Option<(PackageId, VersionIx)>, c: &Constraint) -> bool {
        let q = c.package;
        if let Some((p, ix)) = own {
            if p == q {
                return c.versions.contains(ix);
            }
        }
        let slot = self.slot[q.ix()];
        if let (Some(ix), false) = (self.forced[q.ix()], matches!(slot, Slot::Chosen(_))) {
            return c.versions.contains(ix) && (slot == Slot::Unseen || self.allowed[q.ix()].contains(ix));
        }
        match slot {
            Slot::Chosen(w) => c.versions.contains(w),
            Slot::Queued | Slot::Seen => env.has_candidate(q, &self.allowed[q.ix()].intersection(&c.versions)),
            Slot::Unseen => env.has_candidate(q, &c.versions),
        }
    }

    fn alternative_met(&self, own: (PackageId, VersionIx), c: &Constraint) -> bool {
        if c.package == own.0 {
            return c.versions.contains(own.1);
        }
        matches!(self.slot[c.package.ix()], Slot::Chosen(w) if c.versions.contains(w))
    }

    fn choose(&mut self, env: Env, p: PackageId, ix: VersionIx) {
        self.slot[p.ix()] = Slot::Chosen(ix);
        self.trail.push((p, ix));
        let release = env.index.release(p, ix);
        for c in &release.conflicts {
            let q = c.package;
            if q == p || matches!(self.slot[q.ix()], Slot::Chosen(_)) {
                continue;
            }
            self.touch(env.index, q);
            self.allowed[q.ix()] = self.allowed[q.ix()].difference(&c.versions);
            self.narrowing[q.ix()] = Narrowing::Tangled;
        }
        self.require_all(env, Some((p, ix)), &release.dependencies);
    }

    fn require_all(&mut self, env: Env, own: Option<(PackageId, VersionIx)>, dependencies: &[Dependency]) {
        for (k, dep) in dependencies.iter().enumerate() {
            let met = own.is_some_and(|own| dep.alternatives.iter().any(|c| self.alternative_met(own, c)));
            if met && dep.alternatives.len() > 1 {
                continue;
            }
            let by = match (own, dep.alternatives.len()) {
                (None, 1) => Some(FactRef::Root(k)),
                (Some((p, ix)), 1) => Some(FactRef::Depends(p, ix, k)),
                _ => None,
            };
            // With several alternatives the pass commits to the first one
            // still open; the SAT search revisits that choice if it fails.
            match dep.alternatives.iter().find(|c| self.alternative_open(env, own, c)) {
                Some(c) => self.require(env.index, own, c, by),
                // Closed by the candidate's own earlier dependencies.
                None => self.dead_end = true,
            }
        }
    }

    fn require(&mut self, index: &Index, own: Option<(PackageId, VersionIx)>, c: &Constraint, by: Option<FactRef>) {
        let q = c.package;
        if own.is_some_and(|(p, _)| p == q) || matches!(self.slot[q.ix()], Slot::Chosen(_)) {
            return;
        }
        self.touch(index, q);
        self.narrowing[q.ix()] = match (self.narrowing[q.ix()], by) {
            (Narrowing::Open, Some(by)) => Narrowing::Once(by),
            _ => Narrowing::Tangled,
        };
        let narrowed = self.allowed[q.ix()].intersection(&c.versions);
        self.allowed[q.ix()] = narrowed;
        if self.slot[q.ix()] != Slot::Queued {
            self.slot[q.ix()] = Slot::Queued;
            self.queue.push(q);
        }
    }
}

impl Greedy {
    /// When the first pass got stuck only because of facts that hold
    /// whatever else is decided, the minimal unsatisfiable core, read off
    /// the pass without a solver.
    ///
    /// The stuck package was required by exactly one requirement, from the
    /// root or from a release that was itself *forced*: every other release
    /// its own single requirement allowed is ruled out by [`fault`]. The
    /// core is that chain of requirements plus the faults. When each fault
    /// is one fact about the release alone (yanked, conflicts with itself,
    /// a dependency nothing can meet), dropping any fact frees a release or
    /// a package, so the core is minimal; deeper faults and learned cores
    /// mark it as needing shrinking.
    pub(crate) fn forced_core(&self, index: &Index, ranking: &Ranking, learned: Option<&Learned>) -> Option<ForcedCore> {
        let mut package = self.stuck_at?;
        if self.dead_end {
            return None;
        }
        let mut core = ForcedCore { facts: Vec::new(), minimal: true };
        loop {
            let chosen = self.chosen(package);
            for ix in self.allowed[package.ix()].iter() {
                if Some(ix) == chosen {
                    continue;
                }
                fault(index, ranking, learned, package, ix, FAULT_DEPTH, &mut core)?;
            }
            match self.narrowing[package.ix()] {
                Narrowing::Once(FactRef::Root(k)) => {
                    core.facts.push(FactRef::Root(k));
                    return Some(core);
                }
                Narrowing::Once(FactRef::Depends(p, ix, k)) => {
                    core.facts.push(FactRef::Depends(p, ix, k));
                    package = p;
                }
                _ => return None,
            }
        }
    }

    /// After a stuck pass, records as uninstallable every release of the
    /// stuck package that [`fault`] rules out. Returns whether anything new
    /// was learned.
    pub(crate) fn learn_from_stuck(&self, index: &Index, ranking: &Ranking, learned: &mut Learned) -> bool {
        let Some(p) = self.stuck_at else { return false };
        let mut any = false;
        for ix in self.allowed[p.ix()].iter() {
            if learned.is_uninstallable(p, ix) {
                continue;
            }
            let mut core = ForcedCore { facts: Vec::new(), minimal: true };
            if fault(index, ranking, Some(learned), p, ix, FAULT_DEPTH, &mut core).is_some() {
                learned.record(p, ix, core.facts);
                any = true;
            }
        }
        any
    }
}

/// An unsatisfiable set of facts read off a stuck greedy pass.
pub(crate) struct ForcedCore {
    pub(crate) facts: Vec<FactRef>,
    /// False when learned cores were merged in: still unsatisfiable, but
    /// it may need shrinking.
    pub(crate) minimal: bool,
}

/// How deep [`fault`] looks through dependencies.
const FAULT_DEPTH: u32 = 2;

/// Adds to `core` facts that rule out release (p, ix) whatever else is
/// decided: a fact about the release alone (yanked, conflicts with itself,
/// a dependency nothing can meet), a learned core, or, up to `depth` levels
/// down, a single-alternative dependency all of whose releases are ruled
/// out. Returns `None` (with `core` partly extended) if there is none.
fn fault(
    index: &Index,
    ranking: &Ranking,
    learned: Option<&Learned>,
    p: PackageId,
    ix: VersionIx,
    depth: u32,
    core: &mut ForcedCore,
) -> Option<()> {
    if !ranking.selectable(p, ix) {
        core.facts.push(FactRef::Yanked(p, ix));
        return Some(());
    }
    let release = index.release(p, ix);
    let unmeetable = |c: &Constraint| if c.package == p { !c.versions.contains(ix) } else { c.versions.is_empty() };
    if let Some(k) = release.dependencies.iter().position(|d| d.alternatives.iter().all(unmeetable)) {
        core.facts.push(FactRef::Depends(p, ix, k));
        return Some(());
    }
    let self_conflict = |c: &Constraint| c.package == p && c.versions.contains(ix);
    if let Some(k) = release.conflicts.iter().position(self_conflict) {
        core.facts.push(FactRef::Conflicts(p, ix, k));
        return Some(());
    }
    if let Some(facts) = learned.and_then(|learned| learned.core(p, ix)) {
        core.facts.extend_from_slice(facts);
        core.minimal = false;
        return Some(());
    }
    if depth == 0 {
        return None;
    }
    // A dependency whose every release is ruled out, tried in order; a
    // failed attempt leaves its partial facts behind, so roll them back.
    for (k, dep) in release.dependencies.iter().enumerate() {
        let [c] = &dep.alternatives[..] else { continue };
        if c.package == p {
            continue;
        }
        let mark = core.facts.len();
        let all_ruled_out = c.versions.iter().all(|r| fault(index, ranking, learned, c.package, r, depth - 1, core).is_some());
        if all_ruled_out {
            core.facts.push(FactRef::Depends(p, ix, k));
            core.minimal = false;
            return Some(());
        }
        core.facts.truncate(mark);
    }
    None
}
