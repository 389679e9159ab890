//! Debian version numbers, ordered exactly as dpkg orders them.
//!
//! A version is `[epoch:]upstream_version[-debian_revision]`. The epoch is
//! a decimal number (0 when absent); the revision is everything after the
//! *last* hyphen (empty when there is none, which compares equal to `0`).
//! Epochs compare numerically; upstream versions and revisions compare with
//! dpkg's `verrevcmp`: alternately a run of non-digits, compared character
//! by character with `~` before everything (even the end of the string),
//! then letters, then every other character (by ASCII value); then a run of
//! digits, compared as a number (leading zeros ignored). So
//! `~~ < ~~a < ~ < (empty) < a < +` and `1.0~rc1 < 1.0 < 1.0a < 1.0+ < 1.0.1`.
//!
//! Parsing ([`Version::parse`]) follows dpkg's `parseversion`: an empty
//! version, embedded spaces, a non-numeric or too large epoch, nothing after
//! the epoch's colon, an empty upstream version, an empty revision after a
//! hyphen, and characters outside `[A-Za-z0-9.+~-:]` (upstream) or
//! `[A-Za-z0-9.+~]` (revision) are errors. An upstream version that does not
//! start with a digit is accepted, as dpkg accepts it with a warning.
//! [`compare_versions`] compares any two strings without failing, splitting
//! invalid ones as leniently as it can, so it is a total order on all
//! strings; on valid versions it agrees with [`Version`]'s `Ord`.

use std::cmp::Ordering;
use std::fmt;

/// Why a version string is not a valid Debian version.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    #[error("version string is empty")]
    Empty,
    #[error("version string {0:?} has embedded spaces")]
    EmbeddedSpace(String),
    #[error("epoch in version {0:?} is not a number")]
    BadEpoch(String),
    #[error("epoch in version {0:?} is too big")]
    EpochTooBig(String),
    #[error("nothing after colon in version {0:?}")]
    NothingAfterColon(String),
    #[error("upstream version is empty in {0:?}")]
    EmptyUpstream(String),
    #[error("revision is empty in version {0:?}")]
    EmptyRevision(String),
    #[error("invalid character {1:?} in version {0:?}")]
    InvalidCharacter(String, char),
}

/// A parsed Debian version. Equality and order are dpkg's: `1.0` and `1.00`
/// (and `0:1.0-0`) are equal versions although their texts differ.
#[derive(Clone)]
pub struct Version {
    text: Box<str>,
    epoch: u32,
    /// Byte range of the upstream version in `text`.
    upstream: (usize, usize),
    /// Start of the revision in `text` (`text.len()` when there is none).
    revision: usize,
}

impl Version {
    pub fn parse(text: &str) -> Result<Version, VersionError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(VersionError::Empty);
        }
        if trimmed.contains(char::is_whitespace) {
            return Err(VersionError::EmbeddedSpace(trimmed.to_owned()));
        }
        let owned = || trimmed.to_owned();
        let (epoch, start) = match trimmed.find(':') {
            Some(colon) => {
                let digits = &trimmed[..colon];
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(VersionError::BadEpoch(owned()));
                }
                let epoch: u32 = digits.parse().map_err(|_| VersionError::EpochTooBig(owned()))?;
                if epoch > i32::MAX as u32 {
                    return Err(VersionError::EpochTooBig(owned()));
                }
                if colon + 1 == trimmed.len() {
                    return Err(VersionError::NothingAfterColon(owned()));
                }
                (epoch, colon + 1)
            }
            None => (0, 0),
        };
        let (upstream_end, revision) = match trimmed.rfind('-') {
            Some(hyphen) if hyphen >= start => {
                if hyphen + 1 == trimmed.len() {
                    return Err(VersionError::EmptyRevision(owned()));
                }
                (hyphen, hyphen + 1)
            }
            _ => (trimmed.len(), trimmed.len()),
        };
        if upstream_end == start {
            return Err(VersionError::EmptyUpstream(owned()));
        }
        let upstream_ok = |c: char| c.is_ascii_alphanumeric() || ".+~-:".contains(c);
        if let Some(c) = trimmed[start..upstream_end].chars().find(|&c| !upstream_ok(c)) {
            return Err(VersionError::InvalidCharacter(owned(), c));
        }
        let revision_ok = |c: char| c.is_ascii_alphanumeric() || ".+~".contains(c);
        if let Some(c) = trimmed[revision..].chars().find(|&c| !revision_ok(c)) {
            return Err(VersionError::InvalidCharacter(owned(), c));
        }
        Ok(Version { text: trimmed.into(), epoch, upstream: (start, upstream_end), revision })
    }

    /// The version as written (trimmed).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    pub fn upstream(&self) -> &str {
        &self.text[self.upstream.0..self.upstream.1]
    }

    /// The Debian revision, empty when there is none.
    pub fn revision(&self) -> &str {
        &self.text[self.revision..]
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(self.upstream().as_bytes(), other.upstream().as_bytes()))
            .then_with(|| verrevcmp(self.revision().as_bytes(), other.revision().as_bytes()))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Version({:?})", self.text)
    }
}

/// Compares two version strings as dpkg does. Never fails: a string that is
/// not a valid version is split as well as possible (an epoch only when the
/// text before the first colon is all digits), so this is a total order on
/// all strings and agrees with [`Version`] on valid ones.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let (ea, ua, ra) = split_lenient(a.trim());
    let (eb, ub, rb) = split_lenient(b.trim());
    compare_digits(ea.as_bytes(), eb.as_bytes())
        .then_with(|| verrevcmp(ua.as_bytes(), ub.as_bytes()))
        .then_with(|| verrevcmp(ra.as_bytes(), rb.as_bytes()))
}

fn split_lenient(s: &str) -> (&str, &str, &str) {
    let (epoch, rest) = match s.split_once(':') {
        Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => (e, rest),
        _ => ("", s),
    };
    match rest.rsplit_once('-') {
        Some((upstream, revision)) => (epoch, upstream, revision),
        None => (epoch, rest, ""),
    }
}

/// Numeric comparison of two digit strings of any length (empty = 0).
fn compare_digits(a: &[u8], b: &[u8]) -> Ordering {
    let strip = |s: &[u8]| -> usize { s.iter().take_while(|&&c| c == b'0').count() };
    let (a, b) = (&a[strip(a)..], &b[strip(b)..]);
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// dpkg's weight of a character in a non-digit run; 0 is the end of the run.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp` on upstream versions or revisions.
fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    let is_digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let (ac, bc) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        let (si, sj) = (i, j);
        while is_digit(a, i) {
            i += 1;
        }
        while is_digit(b, j) {
            j += 1;
        }
        match compare_digits(&a[si..i], &b[sj..j]) {
            Ordering::Equal => {}
            other => return other,
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        let lenient = compare_versions(a, b);
        if let (Ok(x), Ok(y)) = (Version::parse(a), Version::parse(b)) {
            assert_eq!(x.cmp(&y), lenient, "{a} vs {b}");
        }
        lenient
    }

    /// Cases from dpkg's `lib/dpkg/t/t-version.c` and Debian policy 5.6.12.
    #[test]
    fn dpkg_cases() {
        use Ordering::*;
        let cases = [
            ("0", "0", Equal),
            ("0:0", "0", Equal),
            ("0:0-0", "0:0", Equal),
            ("0:0.0-0", "0:0.0-0", Equal),
            ("0:0.0-00", "0:0.0-0", Equal),
            ("1.001", "1.1", Equal),
            ("1:2-3", "0:4-5", Greater),
            ("1:0.1", "9.9", Greater),
            ("0:1.0", "0:1.0-1", Less),
            ("1.0~rc1", "1.0", Less),
            ("1.0~rc1", "1.0~rc2", Less),
            ("1.0~~", "1.0~~a", Less),
            ("1.0~~a", "1.0~", Less),
            ("1.0~", "1.0", Less),
            ("1.0", "1.0a", Less),
            ("1.0a", "1.0+", Less),
            ("1.0+", "1.0.1", Less),
            ("1.0-1", "1.0-1+b1", Less),
            ("1.0-1~bpo1", "1.0-1", Less),
            ("2.0", "10.0", Less),
            ("1.2.3-1", "1.2.3-2", Less),
            ("1.2.3-10", "1.2.3-9", Greater),
            ("0:1.2-3", "0:1.2-3.1", Less),
            ("1.0-a", "1.0-b", Less),
            ("1.0-1-2", "1.0-1-10", Less),
            ("2:1.0", "10:0.1", Less),
            ("1:1.2.3", "1.2.4", Greater),
            ("72.1~rc-1~", "72.1-1", Less),
            ("1.0a~", "1.0a", Less),
            ("0.0.26-3", "0.0.26", Greater),
        ];
        for (a, b, want) in cases {
            assert_eq!(cmp(a, b), want, "{a} vs {b}");
            assert_eq!(cmp(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn parts() {
        let v = Version::parse(" 2:1.0-3-4+b1 ").unwrap();
        assert_eq!((v.epoch(), v.upstream(), v.revision(), v.as_str()), (2, "1.0-3", "4+b1", "2:1.0-3-4+b1"));
        let v = Version::parse("1:2:3").unwrap();
        assert_eq!((v.epoch(), v.upstream(), v.revision()), (1, "2:3", ""));
        assert_eq!(Version::parse("1.0").unwrap(), Version::parse("0:1.00-0").unwrap());
        assert!(Version::parse("a1").is_ok(), "dpkg only warns");
    }

    #[test]
    fn parse_errors() {
        use VersionError::*;
        type Check = fn(&VersionError) -> bool;
        let cases: [(&str, Check); 10] = [
            ("", |e| matches!(e, Empty)),
            ("  ", |e| matches!(e, Empty)),
            ("1.0 2", |e| matches!(e, EmbeddedSpace(_))),
            ("a:1.0", |e| matches!(e, BadEpoch(_))),
            (":1.0", |e| matches!(e, BadEpoch(_))),
            ("99999999999:1", |e| matches!(e, EpochTooBig(_))),
            ("1:", |e| matches!(e, NothingAfterColon(_))),
            ("1.0-", |e| matches!(e, EmptyRevision(_))),
            ("1:-1", |e| matches!(e, EmptyUpstream(_))),
            ("1.0_1", |e| matches!(e, InvalidCharacter(_, '_'))),
        ];
        for (text, ok) in cases {
            let err = Version::parse(text).unwrap_err();
            assert!(ok(&err), "{text:?}: {err}");
        }
        assert!(matches!(Version::parse("1.0-1:2"), Err(BadEpoch(_))));
        assert!(matches!(Version::parse("1:1.0-1:2"), Err(InvalidCharacter(_, ':'))));
        assert!(matches!(Version::parse("-1"), Err(EmptyUpstream(_))));
    }

    fn valid_version() -> impl Strategy<Value = String> {
        "([0-9]{1,2}:)?[0-9][0-9a-c.+~]{0,5}(-[0-9a-c.+~]{1,4})?"
    }

    fn any_text() -> impl Strategy<Value = String> {
        prop_oneof![valid_version(), "[0-9a~+.:-]{0,5}", "\\PC{0,6}"]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn total_order(a in any_text(), b in any_text(), c in any_text()) {
            let (ab, bc, ac) = (compare_versions(&a, &b), compare_versions(&b, &c), compare_versions(&a, &c));
            prop_assert_eq!(ab, compare_versions(&b, &a).reverse());
            prop_assert_eq!(compare_versions(&a, &a), Ordering::Equal);
            if ab != Ordering::Greater && bc != Ordering::Greater {
                prop_assert_ne!(ac, Ordering::Greater, "{} <= {} <= {}", a, b, c);
            }
            if ab == bc {
                prop_assert_eq!(ac, ab, "{} {} {}", a, b, c);
            }
        }

        #[test]
        fn valid_versions_parse_and_agree(a in valid_version(), b in valid_version()) {
            let (x, y) = (Version::parse(&a).unwrap(), Version::parse(&b).unwrap());
            prop_assert_eq!(x.cmp(&y), compare_versions(&a, &b));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,12}") {
            let _ = Version::parse(&s);
        }
    }
}
