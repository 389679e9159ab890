//! The SAT encoding, built lazily and solved incrementally with varisat.
//!
//! Each reached package `p` with `n` releases gets an *order encoding* over
//! preference ranks: `ge(p, r)` means "p is installed at rank `r` or worse",
//! with `ge(p, r+1) -> ge(p, r)`; `ge(p, 0)` is "p is installed", and rank
//! `r` is chosen when `ge(p, r) && !ge(p, r+1)`. At most one release per
//! package holds by construction, a requirement over a run of ranks is two
//! literals, and varisat's default phase (false) means "not installed, or
//! the most preferred release", so the solver starts where we would.
//!
//! Releases are *activated* lazily: only an activated release has its
//! dependencies and conflicts encoded. After each model the session walks
//! the solution from the root and activates any chosen release that is not;
//! a model whose reachable releases are all activated is a real solution,
//! and unsatisfiability of a subset of the clauses implies it for the full
//! problem. In explanation mode every fact clause carries a selector.

use crate::index::{Constraint, Dependency, Index, PackageId};
use crate::ranking::Ranking;
use crate::resolver::Root;
use crate::version_set::VersionIx;
use std::collections::{HashMap, HashSet};
use varisat::{ExtendFormula, Lit, Solver, Var};

/// The origin of a clause, for explanations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum FactRef {
    /// The root's k-th dependency.
    Root(usize),
    /// Release (p, ix)'s k-th dependency.
    Depends(PackageId, VersionIx, usize),
    /// Release (p, ix)'s k-th conflict.
    Conflicts(PackageId, VersionIx, usize),
    /// Release (p, ix) is yanked and not pinned.
    Yanked(PackageId, VersionIx),
}

/// A solution read off a model: chosen releases, breadth-first from the root.
pub(crate) type Choices = Vec<(PackageId, VersionIx)>;

struct PackageVars {
    /// Variable of `ge(p, 0)`; `ge(p, r)` is `first + r`.
    first: usize,
    len: u32,
}

pub(crate) struct SatSession<'a> {
    index: &'a Index,
    ranking: Ranking<'a>,
    root: &'a Root,
    solver: Solver<'static>,
    vars: HashMap<PackageId, PackageVars>,
    activated: HashSet<(PackageId, VersionIx)>,
    activation_order: Vec<(PackageId, VersionIx)>,
    false_lit: Lit,
    /// `Some` in explanation mode: one selector per fact.
    selectors: Option<Vec<(Lit, FactRef)>>,
    values: Vec<bool>,
    pub(crate) solve_calls: u32,
}

impl<'a> SatSession<'a> {
    pub(crate) fn new(index: &'a Index, ranking: Ranking<'a>, root: &'a Root, explain: bool) -> Self {
        let mut solver = Solver::new();
        let true_lit = solver.new_lit();
        solver.add_clause(&[true_lit]);
        let mut session = SatSession {
            index,
            ranking,
            root,
            solver,
            vars: HashMap::new(),
            activated: HashSet::new(),
            activation_order: Vec::new(),
            false_lit: !true_lit,
            selectors: explain.then(Vec::new),
            values: Vec::new(),
            solve_calls: 0,
        };
        for (k, dep) in root.dependencies.iter().enumerate() {
            session.encode_dependency(&[], dep, FactRef::Root(k));
        }
        session
    }

    /// Releases activated so far, in order.
    pub(crate) fn activated(&self) -> &[(PackageId, VersionIx)] {
        &self.activation_order
    }

    /// `ge(p, r)`; false for ranks past the last release.
    fn ge(&mut self, p: PackageId, rank: u32) -> Lit {
        let vars = self.package_vars(p);
        if rank >= vars.1 {
            self.false_lit
        } else {
            Var::from_index(vars.0 + rank as usize).positive()
        }
    }

    fn package_vars(&mut self, p: PackageId) -> (usize, u32) {
        if let Some(v) = self.vars.get(&p) {
            return (v.first, v.len);
        }
        let len = self.index.package(p).releases.len() as u32;
        let vars: Vec<Var> = (0..len).map(|_| self.solver.new_var()).collect();
        let first = vars.first().map_or(0, |v| v.index());
        debug_assert!(vars.iter().enumerate().all(|(i, v)| v.index() == first + i));
        for pair in vars.windows(2) {
            self.solver.add_clause(&[pair[1].negative(), pair[0].positive()]);
        }
        self.vars.insert(p, PackageVars { first, len });
        for ix in 0..len {
            if !self.ranking.selectable(p, ix) {
                let not_chosen = self.not_chosen(p, ix);
                self.add_fact_clause(&not_chosen, FactRef::Yanked(p, ix));
            }
        }
        (first, len)
    }

    /// The clause prefix "release (p, ix) is not chosen".
    fn not_chosen(&mut self, p: PackageId, ix: VersionIx) -> [Lit; 2] {
        let r = self.ranking.rank(p, ix);
        [!self.ge(p, r), self.ge(p, r + 1)]
    }

    /// Literals that together say "p is chosen at `ix`".
    pub(crate) fn chosen_lits(&mut self, p: PackageId, ix: VersionIx, out: &mut Vec<Lit>) {
        let r = self.ranking.rank(p, ix);
        out.push(self.ge(p, r));
        let next = self.ge(p, r + 1);
        if next != self.false_lit {
            out.push(!next);
        }
    }

    /// Literals that say "p is installed at rank `rank` or better".
    pub(crate) fn at_most_rank_lits(&mut self, p: PackageId, rank: u32, out: &mut Vec<Lit>) {
        out.push(self.ge(p, 0));
        let next = self.ge(p, rank + 1);
        if next != self.false_lit {
            out.push(!next);
        }
    }

    fn add_fact_clause(&mut self, lits: &[Lit], fact: FactRef) {
        let mut clause: Vec<Lit> = lits.iter().copied().filter(|&l| l != self.false_lit).collect();
        if let Some(selectors) = &mut self.selectors {
            let selector = self.solver.new_lit();
            selectors.push((selector, fact));
            clause.push(!selector);
        }
        self.solver.add_clause(&clause);
    }

    /// Runs of ranks of `c` as (`ge(lo)`, `!ge(hi)` unless `hi` is past the end).
    fn rank_runs(&mut self, c: &Constraint) -> Vec<(Lit, Option<Lit>)> {
        let ranks = self.ranking.ranks_of(c.package, &c.versions);
        let mut runs = Vec::with_capacity(ranks.intervals().len());
        for &(lo, hi) in ranks.intervals() {
            let lo_lit = self.ge(c.package, lo);
            let hi_lit = self.ge(c.package, hi);
            runs.push((lo_lit, (hi_lit != self.false_lit).then(|| !hi_lit)));
        }
        runs
    }

    fn encode_dependency(&mut self, guard: &[Lit], dep: &Dependency, fact: FactRef) {
        let mut runs = Vec::new();
        for c in &dep.alternatives {
            runs.extend(self.rank_runs(c));
        }
        let mut clause = guard.to_vec();
        match runs[..] {
            [] => self.add_fact_clause(&clause, fact),
            [(lo, None)] => {
                clause.push(lo);
                self.add_fact_clause(&clause, fact);
            }
            [(lo, Some(below_hi))] if self.selectors.is_none() => {
                clause.push(lo);
                self.add_fact_clause(&clause, fact);
                clause.pop();
                clause.push(below_hi);
                self.add_fact_clause(&clause, fact);
            }
            _ => {
                // One auxiliary literal per run: aux -> (ge(lo) && !ge(hi)).
                for (lo, below_hi) in runs {
                    let aux = self.solver.new_lit();
                    self.solver.add_clause(&[!aux, lo]);
                    if let Some(below_hi) = below_hi {
                        self.solver.add_clause(&[!aux, below_hi]);
                    }
                    clause.push(aux);
                }
                self.add_fact_clause(&clause, fact);
            }
        }
    }

    fn encode_conflict(&mut self, guard: &[Lit], c: &Constraint, fact: FactRef) {
        let runs = self.rank_runs(c);
        if runs.len() == 1 || self.selectors.is_none() {
            for (lo, below_hi) in runs {
                let mut clause = guard.to_vec();
                clause.push(!lo);
                clause.extend(below_hi.map(|l| !l));
                self.add_fact_clause(&clause, fact);
            }
        } else {
            // Several runs share one selector: guard -> !aux, aux <- in-run.
            let aux = self.solver.new_lit();
            for (lo, below_hi) in runs {
                let mut clause = vec![aux, !lo];
                clause.extend(below_hi.map(|l| !l));
                self.solver.add_clause(&clause);
            }
            let mut clause = guard.to_vec();
            clause.push(!aux);
            self.add_fact_clause(&clause, fact);
        }
    }

    /// Encodes one fact: a release's dependency or conflict (activation
    /// encodes all of a release's facts; explanation mode may encode just
    /// the facts to be shrunk).
    pub(crate) fn encode_fact(&mut self, fact: FactRef) {
        match fact {
            // The root's facts are always encoded.
            FactRef::Root(_) => {}
            FactRef::Depends(p, ix, k) => {
                let guard = self.not_chosen(p, ix);
                self.encode_dependency(&guard, &self.index.release(p, ix).dependencies[k], fact);
            }
            FactRef::Conflicts(p, ix, k) => {
                let guard = self.not_chosen(p, ix);
                self.encode_conflict(&guard, &self.index.release(p, ix).conflicts[k], fact);
            }
            // Yanked releases are encoded with their package's variables.
            FactRef::Yanked(p, _) => {
                self.package_vars(p);
            }
        }
    }

    /// Encodes the dependencies and conflicts of release (p, ix).
    pub(crate) fn activate(&mut self, p: PackageId, ix: VersionIx) {
        if !self.activated.insert((p, ix)) {
            return;
        }
        self.activation_order.push((p, ix));
        let release = self.index.release(p, ix);
        for k in 0..release.dependencies.len() {
            self.encode_fact(FactRef::Depends(p, ix, k));
        }
        for k in 0..release.conflicts.len() {
            self.encode_fact(FactRef::Conflicts(p, ix, k));
        }
    }

    /// Solves under `assumptions`, activating releases until the model's
    /// reachable releases are all encoded. Returns the solution read off
    /// the model, or `None` when unsatisfiable.
    pub(crate) fn solve(&mut self, assumptions: &[Lit]) -> Option<Choices> {
        loop {
            self.solver.assume(assumptions);
            self.solve_calls += 1;
            // varisat only errs when a proof writer or interrupt is set up.
            if !self.solver.solve().unwrap_or(false) {
                return None;
            }
            self.read_model();
            let (choices, unencoded) = self.walk();
            if unencoded.is_empty() {
                return Some(choices);
            }
            for (p, ix) in unencoded {
                self.activate(p, ix);
            }
        }
    }

    fn read_model(&mut self) {
        let model = self.solver.model().unwrap_or_default();
        self.values.clear();
        self.values.resize(model.len() + 1, false);
        for lit in model {
            if lit.var().index() >= self.values.len() {
                self.values.resize(lit.var().index() + 1, false);
            }
            self.values[lit.var().index()] = lit.is_positive();
        }
    }

    /// The release of `p` in the last model, if installed.
    pub(crate) fn model_choice(&self, p: PackageId) -> Option<VersionIx> {
        let vars = self.vars.get(&p)?;
        let value = |r: u32| self.values.get(vars.first + r as usize).copied().unwrap_or(false);
        if vars.len == 0 || !value(0) {
            return None;
        }
        let mut r = 0;
        while r + 1 < vars.len && value(r + 1) {
            r += 1;
        }
        Some(self.ranking.at(p, r))
    }

    /// The model's solution breadth-first from the root, and the reached
    /// releases whose dependencies are not encoded yet.
    fn walk(&self) -> (Choices, Choices) {
        let mut queue: Vec<PackageId> = Vec::new();
        let mut seen: HashSet<PackageId> = HashSet::new();
        let mut choices = Vec::new();
        let mut unencoded = Vec::new();
        let mut follow = |deps: &[Dependency], queue: &mut Vec<PackageId>| {
            for dep in deps {
                let met = dep.alternatives.iter().find(|c| {
                    self.model_choice(c.package).is_some_and(|ix| c.versions.contains(ix))
                });
                if let Some(c) = met {
                    if seen.insert(c.package) {
                        queue.push(c.package);
                    }
                }
            }
        };
        follow(&self.root.dependencies, &mut queue);
        let mut head = 0;
        while head < queue.len() {
            let p = queue[head];
            head += 1;
            let Some(ix) = self.model_choice(p) else { continue };
            choices.push((p, ix));
            if self.activated.contains(&(p, ix)) {
                follow(&self.index.release(p, ix).dependencies, &mut queue);
            } else {
                unencoded.push((p, ix));
            }
        }
        (choices, unencoded)
    }

    /// In explanation mode: a minimal set of facts that is unsatisfiable.
    /// `None` if the selected facts are satisfiable after all.
    pub(crate) fn minimal_core(&mut self) -> Option<Vec<FactRef>> {
        let selectors = self.selectors.clone().unwrap_or_default();
        let fact_of: HashMap<Lit, FactRef> = selectors.iter().copied().collect();
        let all: Vec<Lit> = selectors.iter().map(|s| s.0).collect();
        let mut core = self.failed_core(&all)?;
        // Deletion-based shrinking: drop each fact in turn, keep it only if
        // the rest becomes satisfiable without it.
        let mut i = 0;
        while i < core.len() {
            let mut without = core.clone();
            without.remove(i);
            match self.failed_core(&without) {
                Some(smaller) => core = smaller,
                None => i += 1,
            }
        }
        Some(core.iter().map(|l| fact_of[l]).collect())
    }

    /// The failed assumptions when `assumptions` are unsatisfiable, keeping
    /// their given order.
    fn failed_core(&mut self, assumptions: &[Lit]) -> Option<Vec<Lit>> {
        self.solver.assume(assumptions);
        self.solve_calls += 1;
        if self.solver.solve().unwrap_or(true) {
            return None;
        }
        let failed: HashSet<Lit> = self.solver.failed_core().unwrap_or(&[]).iter().copied().collect();
        Some(assumptions.iter().copied().filter(|l| failed.contains(l)).collect())
    }
}
