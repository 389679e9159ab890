//! Version bookkeeping for the gate: how big a step between two versions
//! is, which version a change needs next, and which published release a
//! new one is compared with.
//!
//! # Compatibility classes (as Cargo)
//!
//! Two versions are *compatible* when a caret requirement on the older one
//! (`^1.0.3`, `^0.3.2`) also matches the newer one. A [`Bump`] says what a
//! step may carry:
//!
//! - From `1.0.0` on, `x.y.z`: changing `x` is a **major** bump (anything may
//!   change), `y` a **minor** one (compatible additions and stronger
//!   guarantees), `z` a **patch** (nothing callers can observe, except
//!   better resource bounds).
//! - `0.y.z` with `y > 0`: the minor number acts as the major one and the
//!   patch number as the minor one. `0.3.2 -> 0.4.0` is a major bump and
//!   `0.3.2 -> 0.3.3` may carry compatible additions; there is no separate
//!   patch level (a patch change is a `0.3.3` too).
//! - `0.0.z`: every step is major (`^0.0.3` matches only `0.0.3`), so after
//!   `0.0.3` any change needs `0.0.4` (or `0.1.0`, or `1.0.0`).
//!
//! A prerelease (`2.0.0-rc.1`) steps like its `major.minor.patch`. A release
//! that follows a prerelease of the same `major.minor.patch` (`2.0.0-rc.1 ->
//! 2.0.0`) may change anything: prereleases promise nothing.
//!
//! ```
//! use semver::Version;
//! use torc_engine::gate::version::{bump_between, next_version, Bump};
//!
//! let v = |text: &str| Version::parse(text).unwrap();
//! assert_eq!(next_version(&v("1.0.3"), Bump::Major), v("2.0.0"));
//! assert_eq!(next_version(&v("1.0.3"), Bump::Minor), v("1.1.0"));
//! assert_eq!(next_version(&v("1.0.3"), Bump::Patch), v("1.0.4"));
//!
//! // 0.y.z: the minor number is the major one, the patch number the minor one.
//! assert_eq!(next_version(&v("0.3.2"), Bump::Major), v("0.4.0"));
//! assert_eq!(next_version(&v("0.3.2"), Bump::Minor), v("0.3.3"));
//! assert_eq!(next_version(&v("0.3.2"), Bump::Patch), v("0.3.3"));
//! assert_eq!(bump_between(&v("0.3.2"), &v("0.3.3")), Some(Bump::Minor));
//! assert_eq!(bump_between(&v("0.3.2"), &v("0.4.0")), Some(Bump::Major));
//!
//! // 0.0.z: every change is major.
//! assert_eq!(next_version(&v("0.0.3"), Bump::Patch), v("0.0.4"));
//! assert_eq!(bump_between(&v("0.0.3"), &v("0.0.4")), Some(Bump::Major));
//!
//! // A prerelease steps like its major.minor.patch; same or lower is no step.
//! assert_eq!(bump_between(&v("1.0.3"), &v("2.0.0-rc.1")), Some(Bump::Major));
//! assert_eq!(bump_between(&v("1.0.3"), &v("1.0.3")), None);
//! assert_eq!(bump_between(&v("1.0.3"), &v("1.0.2")), None);
//! ```

use crate::registry::IndexEntry;
use semver::Version;
use serde::Serialize;
use std::cmp::Ordering;
use std::fmt;
use torc_solver::semver::cmp_precedence;

/// How much a release may change, smallest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    Patch,
    Minor,
    Major,
}

impl Bump {
    pub fn as_str(self) -> &'static str {
        match self {
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }
}

impl fmt::Display for Bump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The step from `baseline` to `version`; `None` when `version` is not
/// above `baseline` (build metadata ignored).
pub fn bump_between(baseline: &Version, version: &Version) -> Option<Bump> {
    if cmp_precedence(version, baseline) != Ordering::Greater {
        return None;
    }
    let (old, new) = (triple(baseline), triple(version));
    if old == new {
        // `2.0.0-rc.1 -> 2.0.0` or `-rc.1 -> -rc.2`: a prerelease promises nothing.
        return Some(Bump::Major);
    }
    let bump = if old.0 >= 1 || new.0 != old.0 {
        if new.0 != old.0 {
            Bump::Major
        } else if new.1 != old.1 {
            Bump::Minor
        } else {
            Bump::Patch
        }
    } else if old.1 > 0 {
        if new.1 != old.1 {
            Bump::Major
        } else {
            Bump::Minor
        }
    } else {
        Bump::Major
    };
    Some(bump)
}

/// The step a release after `baseline` must take to carry changes that
/// need `required`: the same from 1.0.0 on; patch becomes minor for `0.y.z`
/// (there is no smaller step); everything is major for `0.0.z`.
pub fn effective(required: Bump, baseline: &Version) -> Bump {
    if baseline.major >= 1 {
        required
    } else if baseline.minor > 0 {
        required.max(Bump::Minor)
    } else {
        Bump::Major
    }
}

/// The smallest version after `baseline` that carries changes needing
/// `required`. After a prerelease, its own release (`2.0.0-rc.1 -> 2.0.0`).
pub fn next_version(baseline: &Version, required: Bump) -> Version {
    let (major, minor, patch) = triple(baseline);
    if !baseline.pre.is_empty() {
        return Version::new(major, minor, patch);
    }
    match (major, minor, effective(required, baseline)) {
        (0, 0, _) => Version::new(0, 0, patch + 1),
        (0, _, Bump::Major) => Version::new(0, minor + 1, 0),
        (0, _, _) => Version::new(0, minor, patch + 1),
        (_, _, Bump::Major) => Version::new(major + 1, 0, 0),
        (_, _, Bump::Minor) => Version::new(major, minor + 1, 0),
        (_, _, Bump::Patch) => Version::new(major, minor, patch + 1),
    }
}

/// Whether `version` is a `0.y.z` line, where Cargo's shifted classes apply.
pub fn is_zero_line(version: &Version) -> bool {
    version.major == 0
}

/// The release a new `version` is compared with: the highest published,
/// non-prerelease version below it (`or_equal`: at most it). So a
/// backport `1.4.1` published after `2.0.0` is compared with `1.4.0`.
///
/// Yanked releases count: a yank hides a release from new resolution, but
/// locks still resolve it and requirements written against it still hold
/// its promises, so the next release must keep them too (or bump major).
/// Checking against every neighbour, yanked or not, also keeps the chain of
/// adjacent checks whole when a yank is undone. Prereleases promise
/// nothing and are never a neighbour.
pub fn baseline<'a>(entries: &'a [IndexEntry], version: &Version, or_equal: bool) -> Option<&'a IndexEntry> {
    entries
        .iter()
        .filter(|e| e.version.pre.is_empty())
        .filter(|e| match cmp_precedence(&e.version, version) {
            Ordering::Less => true,
            Ordering::Equal => or_equal,
            Ordering::Greater => false,
        })
        .max_by(|a, b| cmp_precedence(&a.version, &b.version))
}

/// The release just above a new `version`: the lowest published
/// non-prerelease version above it, yanked or not (as [`baseline`]). A
/// release inserted below an existing one (a backport, or a middle
/// release) must let that one's step over it cover the changes between
/// them, or `torc diff NEW UPPER` would find an under-bump after the fact.
/// `None` for a prerelease `version`: no later release owes a prerelease
/// anything.
pub fn upper_neighbour<'a>(entries: &'a [IndexEntry], version: &Version) -> Option<&'a IndexEntry> {
    if !version.pre.is_empty() {
        return None;
    }
    entries
        .iter()
        .filter(|e| e.version.pre.is_empty())
        .filter(|e| cmp_precedence(&e.version, version) == Ordering::Greater)
        .min_by(|a, b| cmp_precedence(&a.version, &b.version))
}

fn triple(version: &Version) -> (u64, u64, u64) {
    (version.major, version.minor, version.patch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::PackageKind;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    #[test]
    fn steps_from_one_zero_on() {
        assert_eq!(bump_between(&v("1.0.3"), &v("2.0.0")), Some(Bump::Major));
        assert_eq!(bump_between(&v("1.0.3"), &v("1.1.0")), Some(Bump::Minor));
        assert_eq!(bump_between(&v("1.0.3"), &v("1.0.4")), Some(Bump::Patch));
        assert_eq!(bump_between(&v("1.0.3"), &v("1.0.4+build.7")), Some(Bump::Patch));
        assert_eq!(bump_between(&v("1.0.3"), &v("1.0.3+build.7")), None, "build metadata is no step");
        assert_eq!(bump_between(&v("0.9.9"), &v("1.0.0")), Some(Bump::Major));
        assert_eq!(bump_between(&v("1.0.0-rc.1"), &v("1.0.0")), Some(Bump::Major));
        assert_eq!(bump_between(&v("1.0.3"), &v("1.0.4-rc.1")), Some(Bump::Patch));
    }

    #[test]
    fn effective_levels() {
        assert_eq!(effective(Bump::Patch, &v("1.0.0")), Bump::Patch);
        assert_eq!(effective(Bump::Patch, &v("0.3.0")), Bump::Minor);
        assert_eq!(effective(Bump::Major, &v("0.3.0")), Bump::Major);
        assert_eq!(effective(Bump::Patch, &v("0.0.3")), Bump::Major);
    }

    #[test]
    fn next_version_after_a_prerelease_is_its_release() {
        assert_eq!(next_version(&v("2.0.0-rc.1"), Bump::Major), v("2.0.0"));
        assert_eq!(next_version(&v("0.0.3"), Bump::Major), v("0.0.4"));
    }

    #[test]
    fn next_version_is_always_a_sufficient_step() {
        for base in ["0.0.0", "0.0.3", "0.1.0", "0.3.2", "1.0.0", "1.4.9", "3.0.0-rc.2"] {
            for required in [Bump::Patch, Bump::Minor, Bump::Major] {
                let next = next_version(&v(base), required);
                let step = bump_between(&v(base), &next).unwrap();
                assert!(step >= effective(required, &v(base)), "{base} {required} -> {next} is only {step}");
            }
        }
    }

    fn entry(version: &str, yanked: bool) -> IndexEntry {
        IndexEntry {
            name: "p".into(),
            version: v(version),
            kind: PackageKind::Module,
            dependencies: vec![],
            yanked,
            blake3: "0".repeat(64),
        }
    }

    #[test]
    fn the_baseline_is_the_highest_release_below_yanked_or_not() {
        let entries = [
            entry("1.4.0", false),
            entry("2.0.0", false),
            entry("1.4.5", true),
            entry("1.5.0-rc.1", false),
            entry("1.3.0", false),
        ];
        let pick =
            |version: &str, or_equal: bool| baseline(&entries, &v(version), or_equal).map(|e| e.version.to_string());
        assert_eq!(pick("1.4.1", false).as_deref(), Some("1.4.0"), "a backport");
        assert_eq!(pick("1.4.6", false).as_deref(), Some("1.4.5"), "yanked 1.4.5 still counts");
        assert_eq!(pick("1.5.0", false).as_deref(), Some("1.4.5"), "a prerelease is no baseline");
        assert_eq!(pick("3.0.0", false).as_deref(), Some("2.0.0"));
        assert_eq!(pick("2.0.0", false).as_deref(), Some("1.4.5"));
        assert_eq!(pick("2.0.0", true).as_deref(), Some("2.0.0"));
        assert_eq!(pick("1.0.0", false), None, "a first release");
    }

    #[test]
    fn the_upper_neighbour_is_the_lowest_release_above() {
        let entries = [
            entry("1.4.0", false),
            entry("2.0.0", false),
            entry("1.4.5", true),
            entry("1.5.0-rc.1", false),
            entry("1.3.0", false),
        ];
        let pick = |version: &str| upper_neighbour(&entries, &v(version)).map(|e| e.version.to_string());
        assert_eq!(pick("1.4.1").as_deref(), Some("1.4.5"), "yanked 1.4.5 counts");
        assert_eq!(pick("1.4.6").as_deref(), Some("2.0.0"), "a prerelease is no neighbour");
        assert_eq!(pick("1.0.0").as_deref(), Some("1.3.0"));
        assert_eq!(pick("1.4.0").as_deref(), Some("1.4.5"), "the version itself is not above it");
        assert_eq!(pick("2.0.1"), None, "the newest release has no upper neighbour");
        assert_eq!(pick("1.4.1-rc.1"), None, "nothing owes a prerelease anything");
    }
}
