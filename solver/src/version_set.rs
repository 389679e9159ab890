//! Sets of versions of one package, as intervals over version positions.
//!
//! The resolver never compares versions: every front-end (semver, Debian,
//! opam) sorts a package's releases once, and a requirement becomes the set
//! of *positions* it matches. Real requirements match runs of neighbouring
//! releases, so a set is a short sorted list of half-open intervals, and
//! almost always a single one.

use smallvec::SmallVec;
use std::fmt;

/// Position of a release in its package's ascending version order.
pub type VersionIx = u32;

/// A set of release positions: sorted, disjoint, non-adjacent half-open
/// intervals `[lo, hi)`.
///
/// ```
/// use torc_solver::VersionSet;
/// let caret_one = VersionSet::range(2, 5); // releases 2, 3 and 4
/// let not_three = VersionSet::singleton(3).complement(6);
/// let both = caret_one.intersection(&not_three);
/// assert_eq!(both.iter().collect::<Vec<_>>(), vec![2, 4]);
/// assert!(!both.contains(3));
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct VersionSet {
    intervals: SmallVec<[(VersionIx, VersionIx); 1]>,
}

impl VersionSet {
    /// The set with no release.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Every release of a package that has `len` releases.
    pub fn full(len: u32) -> Self {
        Self::range(0, len)
    }

    /// The single release at `ix`.
    pub fn singleton(ix: VersionIx) -> Self {
        Self::range(ix, ix + 1)
    }

    /// Releases `lo..hi`.
    pub fn range(lo: VersionIx, hi: VersionIx) -> Self {
        let mut set = Self::empty();
        if lo < hi {
            set.intervals.push((lo, hi));
        }
        set
    }

    /// The releases among `0..len` for which `pred` holds.
    pub fn from_predicate(len: u32, mut pred: impl FnMut(VersionIx) -> bool) -> Self {
        let mut set = Self::empty();
        let mut start = None;
        for ix in 0..len {
            match (pred(ix), start) {
                (true, None) => start = Some(ix),
                (false, Some(lo)) => {
                    set.intervals.push((lo, ix));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(lo) = start {
            set.intervals.push((lo, len));
        }
        set
    }

    /// Builds a set from intervals in any order, merging overlaps.
    pub fn from_intervals(intervals: impl IntoIterator<Item = (VersionIx, VersionIx)>) -> Self {
        let mut all: Vec<_> = intervals.into_iter().filter(|(lo, hi)| lo < hi).collect();
        all.sort_unstable();
        let mut set = Self::empty();
        for (lo, hi) in all {
            match set.intervals.last_mut() {
                Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
                _ => set.intervals.push((lo, hi)),
            }
        }
        set
    }

    pub fn is_empty(&self) -> bool {
        self.intervals.is_empty()
    }

    pub fn contains(&self, ix: VersionIx) -> bool {
        self.intervals.iter().any(|&(lo, hi)| lo <= ix && ix < hi)
    }

    /// Number of releases in the set.
    pub fn len(&self) -> u32 {
        self.intervals.iter().map(|(lo, hi)| hi - lo).sum()
    }

    /// The sorted, disjoint intervals of this set.
    pub fn intervals(&self) -> &[(VersionIx, VersionIx)] {
        &self.intervals
    }

    /// Positions in ascending order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = VersionIx> + '_ {
        self.intervals.iter().flat_map(|&(lo, hi)| lo..hi)
    }

    pub fn min(&self) -> Option<VersionIx> {
        self.intervals.first().map(|i| i.0)
    }

    pub fn max(&self) -> Option<VersionIx> {
        self.intervals.last().map(|i| i.1 - 1)
    }

    pub fn intersection(&self, other: &Self) -> Self {
        // The common case: both sides are one interval.
        if let ([a], [b]) = (&self.intervals[..], &other.intervals[..]) {
            return Self::range(a.0.max(b.0), a.1.min(b.1));
        }
        let mut out = Self::empty();
        let (mut i, mut j) = (0, 0);
        while i < self.intervals.len() && j < other.intervals.len() {
            let (a, b) = (self.intervals[i], other.intervals[j]);
            let (lo, hi) = (a.0.max(b.0), a.1.min(b.1));
            if lo < hi {
                out.intervals.push((lo, hi));
            }
            if a.1 < b.1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        out
    }

    /// Whether the two sets share a release, without building the intersection.
    pub fn intersects(&self, other: &Self) -> bool {
        let (mut i, mut j) = (0, 0);
        while i < self.intervals.len() && j < other.intervals.len() {
            let (a, b) = (self.intervals[i], other.intervals[j]);
            if a.0.max(b.0) < a.1.min(b.1) {
                return true;
            }
            if a.1 < b.1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        false
    }

    /// The releases among `0..len` that are not in this set.
    pub fn complement(&self, len: u32) -> Self {
        let mut out = Self::empty();
        let mut next = 0;
        for &(lo, hi) in &self.intervals {
            if next < lo.min(len) {
                out.intervals.push((next, lo.min(len)));
            }
            next = hi;
        }
        if next < len {
            out.intervals.push((next, len));
        }
        out
    }

    /// This set without the releases of `other`.
    pub fn difference(&self, other: &Self) -> Self {
        match other.intervals.last() {
            None => self.clone(),
            Some(&(_, hi)) => {
                let len = self.max().map_or(0, |m| m + 1).max(hi);
                self.intersection(&other.complement(len))
            }
        }
    }

    /// Maps every position through `f` (a permutation of `0..len`) and
    /// returns the image, used to turn version order into preference order.
    pub fn map_positions(&self, f: impl Fn(VersionIx) -> VersionIx) -> Self {
        // Monotone maps (the usual case) keep intervals; others split them.
        let mut image: SmallVec<[(VersionIx, VersionIx); 4]> = SmallVec::new();
        for ix in self.iter() {
            let y = f(ix);
            match image.last_mut() {
                Some(last) if last.1 == y => last.1 = y + 1,
                Some(last) if last.0 == y + 1 => last.0 = y,
                _ => image.push((y, y + 1)),
            }
        }
        Self::from_intervals(image)
    }
}

impl fmt::Debug for VersionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.intervals.iter().map(|(lo, hi)| lo..hi))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicate_builds_runs() {
        let set = VersionSet::from_predicate(8, |ix| ix != 3 && ix != 4 && ix != 7);
        assert_eq!(set.intervals(), &[(0, 3), (5, 7)]);
        assert_eq!(set.len(), 5);
        assert_eq!(set.min(), Some(0));
        assert_eq!(set.max(), Some(6));
    }

    #[test]
    fn set_algebra() {
        let a = VersionSet::from_intervals([(0, 3), (5, 9)]);
        let b = VersionSet::range(2, 6);
        assert_eq!(a.intersection(&b).intervals(), &[(2, 3), (5, 6)]);
        assert!(a.intersects(&b));
        assert!(!VersionSet::range(3, 5).intersects(&a));
        assert_eq!(a.complement(10).intervals(), &[(3, 5), (9, 10)]);
        assert_eq!(a.difference(&b).intervals(), &[(0, 2), (6, 9)]);
        assert_eq!(VersionSet::from_intervals([(4, 6), (0, 2), (1, 5)]).intervals(), &[(0, 6)]);
    }

    #[test]
    fn reversal_keeps_intervals() {
        let a = VersionSet::from_intervals([(0, 2), (4, 6)]);
        let reversed = a.map_positions(|ix| 5 - ix);
        assert_eq!(reversed.intervals(), &[(0, 2), (4, 6)]);
        let shifted = VersionSet::range(1, 3).map_positions(|ix| if ix == 2 { 0 } else { ix + 1 });
        assert_eq!(shifted.intervals(), &[(0, 1), (2, 3)]);
    }
}
