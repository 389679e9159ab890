//! What the resolver has proved about single releases, kept across
//! requests: a release proved uninstallable (no solution contains it) is
//! never tried again, and its core explains later failures that go
//! through it.
//!
//! Uninstallability depends on the index and on which yanked releases are
//! selectable, that is on the lock; facts are dropped when the lock
//! changes. Preference does not matter.
//!
//! Learning is off for an index with alternatives (`a | b`), and for a
//! request whose root has them: there the greedy pass's choice among valid
//! solutions is a heuristic that pruning would steer, and a resolver's
//! solutions must not depend on its history.

use crate::index::{Index, PackageId};
use crate::sat::FactRef;
use crate::version_set::VersionIx;
use std::collections::HashMap;

pub(crate) struct Learned {
    /// First bit of each package in `uninstallable`.
    offsets: Vec<usize>,
    uninstallable: Vec<bool>,
    /// For each uninstallable release, facts that prove it (without the
    /// root fact that asked for the release); not necessarily minimal.
    cores: HashMap<(PackageId, VersionIx), Vec<FactRef>>,
    lock: HashMap<PackageId, VersionIx>,
    enabled: bool,
}

impl Learned {
    pub(crate) fn new(index: &Index) -> Self {
        let mut offsets = Vec::with_capacity(index.package_count());
        let mut total = 0;
        let mut alternatives = false;
        for (_, package) in index.packages() {
            offsets.push(total);
            total += package.releases.len();
            alternatives |= package.releases.iter().any(|r| r.dependencies.iter().any(|d| d.alternatives.len() > 1));
        }
        Learned {
            offsets,
            uninstallable: vec![false; total],
            cores: HashMap::new(),
            lock: HashMap::new(),
            enabled: !alternatives,
        }
    }

    /// Forgets everything if the facts were learned under another lock.
    pub(crate) fn adopt_lock(&mut self, lock: &HashMap<PackageId, VersionIx>) {
        if *lock != self.lock {
            for &(p, ix) in self.cores.keys() {
                self.uninstallable[bit(&self.offsets, p, ix)] = false;
            }
            self.cores.clear();
            self.lock = lock.clone();
        }
    }

    pub(crate) fn enabled(&self) -> bool {
        self.enabled
    }

    pub(crate) fn is_uninstallable(&self, p: PackageId, ix: VersionIx) -> bool {
        self.uninstallable[bit(&self.offsets, p, ix)]
    }

    pub(crate) fn core(&self, p: PackageId, ix: VersionIx) -> Option<&[FactRef]> {
        self.cores.get(&(p, ix)).map(Vec::as_slice)
    }

    pub(crate) fn record(&mut self, p: PackageId, ix: VersionIx, core: Vec<FactRef>) {
        self.uninstallable[bit(&self.offsets, p, ix)] = true;
        self.cores.insert((p, ix), core);
    }
}

/// Position of release (p, ix) in the flat `uninstallable` array.
fn bit(offsets: &[usize], p: PackageId, ix: VersionIx) -> usize {
    offsets[p.ix()] + ix as usize
}
