//! Preference order among the releases of one package.
//!
//! Rank 0 is the most preferred release. Without a lock the order is newest
//! first (or oldest first in minimal mode); a lock pin moves its release to
//! rank 0 and leaves the others in order. Both the greedy pass and the SAT
//! encoding speak in ranks, so they agree on what "better" means.

use crate::index::{Index, PackageId};
use crate::resolver::{Preference, ResolveOptions};
use crate::version_set::{VersionIx, VersionSet};
use std::collections::HashMap;

#[derive(Clone, Copy)]
pub(crate) struct Ranking<'a> {
    index: &'a Index,
    preference: Preference,
    lock: &'a HashMap<PackageId, VersionIx>,
}

impl<'a> Ranking<'a> {
    pub(crate) fn new(index: &'a Index, options: &'a ResolveOptions) -> Self {
        Ranking { index, preference: options.preference, lock: &options.lock }
    }

    fn len(&self, p: PackageId) -> u32 {
        self.index.package(p).releases.len() as u32
    }

    /// The pinned release of `p`, if the lock pins one that exists.
    pub(crate) fn pin(&self, p: PackageId) -> Option<VersionIx> {
        if self.lock.is_empty() {
            return None;
        }
        self.lock.get(&p).copied().filter(|&ix| ix < self.len(p))
    }

    pub(crate) fn is_pinned(&self, p: PackageId, ix: VersionIx) -> bool {
        self.pin(p) == Some(ix)
    }

    /// Whether `ix` may be chosen at all: yanked releases only when pinned.
    pub(crate) fn selectable(&self, p: PackageId, ix: VersionIx) -> bool {
        !self.index.release(p, ix).yanked || self.is_pinned(p, ix)
    }

    fn base_rank(&self, p: PackageId, ix: VersionIx) -> u32 {
        match self.preference {
            Preference::Newest => self.len(p) - 1 - ix,
            Preference::Oldest => ix,
        }
    }

    fn base_at(&self, p: PackageId, rank: u32) -> VersionIx {
        match self.preference {
            Preference::Newest => self.len(p) - 1 - rank,
            Preference::Oldest => rank,
        }
    }

    pub(crate) fn rank(&self, p: PackageId, ix: VersionIx) -> u32 {
        let base = self.base_rank(p, ix);
        match self.pin(p) {
            Some(pin) if pin == ix => 0,
            Some(pin) if base < self.base_rank(p, pin) => base + 1,
            _ => base,
        }
    }

    /// The release at `rank`: the inverse of [`Ranking::rank`].
    pub(crate) fn at(&self, p: PackageId, rank: u32) -> VersionIx {
        match self.pin(p) {
            None => self.base_at(p, rank),
            Some(pin) if rank == 0 => pin,
            Some(pin) => {
                let pin_rank = self.base_rank(p, pin);
                self.base_at(p, if rank <= pin_rank { rank - 1 } else { rank })
            }
        }
    }

    /// `set` (release positions of `p`) as a set of ranks.
    pub(crate) fn ranks_of(&self, p: PackageId, set: &VersionSet) -> VersionSet {
        match (self.preference, self.pin(p)) {
            (Preference::Oldest, None) => set.clone(),
            (Preference::Newest, None) => {
                let n = self.len(p);
                VersionSet::from_intervals(set.intervals().iter().map(|&(lo, hi)| (n - hi, n - lo)))
            }
            _ => set.map_positions(|ix| self.rank(p, ix)),
        }
    }

    /// Calls `visit` on the releases of `allowed` in preference order until
    /// it returns true; returns the release it stopped at.
    pub(crate) fn first_in_order(
        &self,
        p: PackageId,
        allowed: &VersionSet,
        mut visit: impl FnMut(VersionIx) -> bool,
    ) -> Option<VersionIx> {
        let pin = self.pin(p);
        if let Some(pin) = pin {
            if allowed.contains(pin) && visit(pin) {
                return Some(pin);
            }
        }
        let mut try_ix = |ix| Some(ix) != pin && visit(ix);
        match self.preference {
            Preference::Newest => allowed.iter().rev().find(|&ix| try_ix(ix)),
            Preference::Oldest => allowed.iter().find(|&ix| try_ix(ix)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index_with(n: u32) -> (Index, PackageId) {
        let mut index = Index::new();
        let p = index.add_package("p");
        for i in 0..n {
            index.push_release(p, format!("1.{i}.0"), false);
        }
        (index, p)
    }

    #[test]
    fn rank_and_at_are_inverse_in_every_mode() {
        let (index, p) = index_with(5);
        for preference in [Preference::Newest, Preference::Oldest] {
            for pin in [None, Some(0), Some(2), Some(4)] {
                let options = ResolveOptions {
                    preference,
                    lock: pin.map(|ix| (p, ix)).into_iter().collect(),
                };
                let ranking = Ranking::new(&index, &options);
                let mut seen = [false; 5];
                for ix in 0..5 {
                    let r = ranking.rank(p, ix);
                    assert_eq!(ranking.at(p, r), ix, "{preference:?} {pin:?} {ix}");
                    seen[r as usize] = true;
                }
                assert!(seen.iter().all(|&s| s));
                if let Some(pin) = pin {
                    assert_eq!(ranking.rank(p, pin), 0);
                }
                let set = VersionSet::from_intervals([(0, 2), (3, 4)]);
                let by_rank = set.map_positions(|ix| ranking.rank(p, ix));
                assert_eq!(ranking.ranks_of(p, &set), by_rank);
                let order: Vec<_> = (0..5).map(|r| ranking.at(p, r)).collect();
                let mut visited = Vec::new();
                ranking.first_in_order(p, &VersionSet::full(5), |ix| {
                    visited.push(ix);
                    false
                });
                assert_eq!(visited, order);
            }
        }
    }
}
