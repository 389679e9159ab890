//! Version requirements: parsing `^1.2`, `>=1.0, <2`, `1.*`, `^1 || ^2`
//! and friends, and matching [`semver::Version`]s against them.
//!
//! A requirement is a disjunction (`||`) of alternatives; an alternative is
//! a conjunction (whitespace or `,`) of comparators. Every comparator is
//! compiled once, at parse time, into a lower and an upper bound over
//! versions ordered by (major, minor, patch, prerelease), so matching is two
//! comparisons per comparator. Build metadata never takes part.
//!
//! Bounds that stand for "the next minor/major" (the upper ends of `^`, `~`,
//! wildcards, and partial versions such as `<=1.2` or `>1`) sit at the
//! smallest prerelease of that version (`2.0.0-0`), so that `^1.2.3` never
//! reaches `2.0.0-alpha` even when prereleases are allowed.

use semver::{BuildMetadata, Prerelease, Version};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// How a version written without an operator (`1.2.3`) is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum BareVersion {
    /// Torc's dialect (`spec.yaml`): `1.2.3` means exactly `=1.2.3`.
    #[default]
    Exact,
    /// Cargo's dialect (the crates.io index): `1.2.3` means `^1.2.3`.
    Caret,
}

/// Orders versions by precedence: (major, minor, patch, prerelease), with
/// build metadata ignored. `semver::Version`'s own `Ord` compares build
/// metadata too, which would let `1.0.0+a` and `1.0.0+b` differ.
///
/// ```
/// use semver::Version;
/// use std::cmp::Ordering;
/// use torc_solver::semver::cmp_precedence;
/// let a = Version::parse("1.0.0+linux").unwrap();
/// let b = Version::parse("1.0.0+macos").unwrap();
/// assert_eq!(cmp_precedence(&a, &b), Ordering::Equal);
/// let rc = Version::parse("1.0.0-rc.1").unwrap();
/// assert_eq!(cmp_precedence(&rc, &a), Ordering::Less);
/// ```
pub fn cmp_precedence(a: &Version, b: &Version) -> Ordering {
    (a.major, a.minor, a.patch)
        .cmp(&(b.major, b.minor, b.patch))
        .then_with(|| a.pre.cmp(&b.pre))
}

/// A parsed version requirement.
///
/// ```
/// use semver::Version;
/// use torc_solver::semver::{BareVersion, VersionReq};
///
/// let req = VersionReq::parse("^1.2 || >=3.0.0, <3.5").unwrap();
/// assert!(req.matches(&Version::parse("1.9.0").unwrap()));
/// assert!(req.matches(&Version::parse("3.4.1").unwrap()));
/// assert!(!req.matches(&Version::parse("2.0.0").unwrap()));
/// assert_eq!(req.to_string(), "^1.2 || >=3.0.0, <3.5");
///
/// // Prereleases only match a comparator that names one of the same version...
/// let beta = Version::parse("1.3.0-beta.1").unwrap();
/// assert!(!req.matches(&beta));
/// // ...unless they are allowed, and then they match by ordering.
/// assert!(req.matches_with(&beta, true));
///
/// // A bare version is exact in Torc's dialect and a caret in Cargo's.
/// let v = Version::parse("1.4.0").unwrap();
/// assert!(!VersionReq::parse("1.2").unwrap().matches(&v));
/// assert!(VersionReq::parse_with("1.2", BareVersion::Caret).unwrap().matches(&v));
///
/// let err = VersionReq::parse("^1.2.3.4").unwrap_err();
/// assert_eq!(err.column, 7);
/// assert_eq!(err.pointer(), "^1.2.3.4\n      ^");
/// ```
#[derive(Clone, Debug)]
pub struct VersionReq {
    /// The requirement as written, trimmed.
    text: String,
    alternatives: Vec<Alternative>,
}

impl VersionReq {
    /// Parses a requirement in Torc's dialect (a bare version is exact).
    pub fn parse(text: &str) -> Result<VersionReq, ReqError> {
        Self::parse_with(text, BareVersion::Exact)
    }

    /// Parses a requirement, reading bare versions as `bare` says.
    pub fn parse_with(text: &str, bare: BareVersion) -> Result<VersionReq, ReqError> {
        let alternatives = Parser::new(text, bare).requirement()?;
        Ok(VersionReq { text: text.trim().to_owned(), alternatives })
    }

    /// The requirement as written (trimmed).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `version` satisfies the requirement, with the usual
    /// prerelease rule: a prerelease only matches an alternative one of
    /// whose comparators names a prerelease of the same major.minor.patch.
    pub fn matches(&self, version: &Version) -> bool {
        self.matches_with(version, false)
    }

    /// Like [`matches`](Self::matches); with `allow_prerelease`,
    /// prereleases are matched purely by ordering.
    pub fn matches_with(&self, version: &Version, allow_prerelease: bool) -> bool {
        self.alternatives.iter().any(|alt| alt.matches(version, allow_prerelease))
    }
}

impl PartialEq for VersionReq {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text && self.alternatives == other.alternatives
    }
}

impl Eq for VersionReq {}

impl Hash for VersionReq {
    // Equal requirements have equal text, so hashing the text is enough.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl fmt::Display for VersionReq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for VersionReq {
    type Err = ReqError;

    /// Parses in Torc's dialect, as [`VersionReq::parse`].
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

/// Why a requirement does not parse, and where.
///
/// ```
/// use torc_solver::semver::VersionReq;
/// let err = VersionReq::parse(">=1.0, ").unwrap_err();
/// assert_eq!(err.column, 8);
/// assert_eq!(
///     err.to_string(),
///     "invalid requirement \">=1.0, \" at column 8: expected a requirement after `,`, found the end of the input"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid requirement \"{input}\" at column {column}: {message}")]
pub struct ReqError {
    /// 1-based character column of the offending token in `input`; one past
    /// the last character when the input ends too early.
    pub column: usize,
    pub message: String,
    /// The text that was parsed, untrimmed.
    pub input: String,
}

impl ReqError {
    /// The input and, below it, a caret under the offending column:
    ///
    /// ```text
    /// ^1.x.3
    ///      ^
    /// ```
    pub fn pointer(&self) -> String {
        // Copy tabs from the input so the caret lines up in a terminal.
        let pad: String = self
            .input
            .chars()
            .take(self.column.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        format!("{}\n{}^", self.input, pad)
    }
}

/// Conjunction of comparators.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Alternative {
    comparators: Vec<Comparator>,
}

impl Alternative {
    fn matches(&self, version: &Version, allow_prerelease: bool) -> bool {
        if !self.comparators.iter().all(|c| c.contains(version)) {
            return false;
        }
        if version.pre.is_empty() || allow_prerelease {
            return true;
        }
        let release = (version.major, version.minor, version.patch);
        self.comparators.iter().any(|c| c.prerelease_of == Some(release))
    }
}

/// One comparator (`>=1.2`, `^0.3.1-beta`), compiled to an interval.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Comparator {
    lower: Bound,
    upper: Bound,
    /// major.minor.patch of the version written here, if it had a prerelease.
    prerelease_of: Option<(u64, u64, u64)>,
}

impl Comparator {
    const ANY: Comparator =
        Comparator { lower: Bound::Unbounded, upper: Bound::Unbounded, prerelease_of: None };

    fn contains(&self, version: &Version) -> bool {
        let above = match &self.lower {
            Bound::Unbounded => true,
            Bound::Inclusive(p) => p.cmp_version(version) != Ordering::Greater,
            Bound::Exclusive(p) => p.cmp_version(version) == Ordering::Less,
        };
        let below = match &self.upper {
            Bound::Unbounded => true,
            Bound::Inclusive(p) => p.cmp_version(version) != Ordering::Less,
            Bound::Exclusive(p) => p.cmp_version(version) == Ordering::Greater,
        };
        above && below
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Bound {
    Unbounded,
    Inclusive(Point),
    Exclusive(Point),
}

/// A position in precedence order: a version without build metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Point {
    major: u64,
    minor: u64,
    patch: u64,
    pre: Prerelease,
}

impl Point {
    /// The smallest version of `major.minor.patch`: its `-0` prerelease.
    fn first(major: u64, minor: u64, patch: u64) -> Point {
        Point { major, minor, patch, pre: smallest_prerelease() }
    }

    fn cmp_version(&self, v: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(v.major, v.minor, v.patch))
            .then_with(|| self.pre.cmp(&v.pre))
    }
}

fn smallest_prerelease() -> Prerelease {
    // "0" is a valid prerelease, so this never falls back.
    Prerelease::new("0").unwrap_or(Prerelease::EMPTY)
}

/// The start of the next family after `major` (when `minor` is `None`) or
/// after `major.minor`: `2.0.0-0` after `1`, `1.3.0-0` after `1.2`. `None`
/// when there is no such version (the numbers are at `u64::MAX`).
fn next_family(major: u64, minor: Option<u64>) -> Option<Point> {
    let next_major = || major.checked_add(1).map(|m| Point::first(m, 0, 0));
    match minor {
        None => next_major(),
        Some(minor) => match minor.checked_add(1) {
            Some(n) => Some(Point::first(major, n, 0)),
            None => next_major(),
        },
    }
}

fn below(point: Option<Point>) -> Bound {
    point.map_or(Bound::Unbounded, Bound::Exclusive)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Exact,
    Greater,
    GreaterEq,
    Less,
    LessEq,
    Tilde,
    Caret,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Exact => "=",
            Op::Greater => ">",
            Op::GreaterEq => ">=",
            Op::Less => "<",
            Op::LessEq => "<=",
            Op::Tilde => "~",
            Op::Caret => "^",
        }
    }
}

/// A number or a wildcard (`*`, `x`, `X`) in a version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Number(u64),
    Wildcard,
}

/// A possibly partial version as written after an operator.
struct Written {
    major: Part,
    minor: Option<Part>,
    patch: Option<Part>,
    pre: Prerelease,
}

/// Compiles `op` applied to a numeric version, full or partial.
fn compile(op: Op, major: u64, minor: Option<u64>, patch: Option<u64>, pre: Prerelease) -> Comparator {
    // The partial version as an interval of versions: `1.2` is [1.2.0-0, 1.3.0-0).
    let family_start = || Point::first(major, minor.unwrap_or(0), 0);
    let family_end = || next_family(major, minor);
    let (lower, upper) = match (minor, patch) {
        (Some(minor), Some(patch)) => {
            let exact = Point { major, minor, patch, pre: pre.clone() };
            match op {
                Op::Exact => (Bound::Inclusive(exact.clone()), Bound::Inclusive(exact)),
                Op::Greater => (Bound::Exclusive(exact), Bound::Unbounded),
                Op::GreaterEq => (Bound::Inclusive(exact), Bound::Unbounded),
                Op::Less => (Bound::Unbounded, Bound::Exclusive(exact)),
                Op::LessEq => (Bound::Unbounded, Bound::Inclusive(exact)),
                Op::Tilde => (Bound::Inclusive(exact), below(next_family(major, Some(minor)))),
                Op::Caret => {
                    let end = if major > 0 {
                        next_family(major, None)
                    } else if minor > 0 {
                        next_family(0, Some(minor))
                    } else {
                        match patch.checked_add(1) {
                            Some(p) => Some(Point::first(0, 0, p)),
                            None => next_family(0, Some(0)),
                        }
                    };
                    (Bound::Inclusive(exact), below(end))
                }
            }
        }
        _ => match op {
            Op::Exact | Op::Tilde => (Bound::Inclusive(family_start()), below(family_end())),
            Op::Greater => match family_end() {
                Some(end) => (Bound::Inclusive(end), Bound::Unbounded),
                // Nothing is above the largest family: below `0.0.0-0`, the
                // smallest version, is as empty.
                None => (Bound::Unbounded, Bound::Exclusive(Point::first(0, 0, 0))),
            },
            Op::GreaterEq => (Bound::Inclusive(family_start()), Bound::Unbounded),
            Op::Less => (Bound::Unbounded, Bound::Exclusive(family_start())),
            Op::LessEq => (Bound::Unbounded, below(family_end())),
            Op::Caret => {
                let end = match minor {
                    Some(minor) if major == 0 => next_family(0, Some(minor)),
                    _ => next_family(major, None),
                };
                (Bound::Inclusive(family_start()), below(end))
            }
        },
    };
    let prerelease_of = match (minor, patch) {
        (Some(minor), Some(patch)) if !pre.is_empty() => Some((major, minor, patch)),
        _ => None,
    };
    Comparator { lower, upper, prerelease_of }
}

/// Recursive-descent parser over the characters of the input, so that
/// errors carry a character column.
struct Parser<'a> {
    input: &'a str,
    chars: Vec<char>,
    pos: usize,
    bare: BareVersion,
}

type Parsed<T> = Result<T, ReqError>;

impl<'a> Parser<'a> {
    fn new(input: &'a str, bare: BareVersion) -> Self {
        Parser { input, chars: input.chars().collect(), pos: 0, bare }
    }

    fn error_at(&self, pos: usize, message: impl Into<String>) -> ReqError {
        ReqError { column: pos + 1, message: message.into(), input: self.input.to_owned() }
    }

    /// "found `x`" or "found the end of the input", for the current position.
    fn found(&self) -> String {
        match self.peek() {
            Some(c) => format!("found `{c}`"),
            None => "found the end of the input".to_owned(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// Whether the current character ends a comparator.
    fn at_delimiter(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) => c.is_whitespace() || c == ',' || c == '|',
        }
    }

    fn requirement(&mut self) -> Parsed<Vec<Alternative>> {
        self.skip_whitespace();
        if self.peek().is_none() {
            return Err(self.error_at(self.pos, "empty requirement (use `*` to accept any version)"));
        }
        let mut alternatives = vec![self.alternative()?];
        loop {
            // `alternative` stops only at the end or at a `|`.
            if self.peek().is_none() {
                return Ok(alternatives);
            }
            if self.peek_at(1) != Some('|') {
                return Err(self.error_at(self.pos, "expected `||` between alternatives"));
            }
            self.pos += 2;
            alternatives.push(self.alternative()?);
        }
    }

    fn alternative(&mut self) -> Parsed<Alternative> {
        self.skip_whitespace();
        if matches!(self.peek(), None | Some('|')) {
            return Err(self.error_at(self.pos, format!("empty alternative: expected a requirement, {}", self.found())));
        }
        if self.peek() == Some(',') {
            return Err(self.error_at(self.pos, "expected a requirement before `,`"));
        }
        let mut comparators = vec![self.comparator()?];
        loop {
            self.skip_whitespace();
            match self.peek() {
                None | Some('|') => return Ok(Alternative { comparators }),
                Some(',') => {
                    self.pos += 1;
                    self.skip_whitespace();
                    if matches!(self.peek(), None | Some('|') | Some(',')) {
                        return Err(self.error_at(
                            self.pos,
                            format!("expected a requirement after `,`, {}", self.found()),
                        ));
                    }
                    comparators.push(self.comparator()?);
                }
                Some(_) => comparators.push(self.comparator()?),
            }
        }
    }

    fn operator(&mut self) -> Parsed<Option<Op>> {
        let start = self.pos;
        let mut symbol = String::new();
        while let Some(c) = self.peek().filter(|c| "<>=^~!".contains(*c)) {
            symbol.push(c);
            self.pos += 1;
        }
        let op = match symbol.as_str() {
            "" => None,
            "=" => Some(Op::Exact),
            ">" => Some(Op::Greater),
            ">=" => Some(Op::GreaterEq),
            "<" => Some(Op::Less),
            "<=" => Some(Op::LessEq),
            "~" => Some(Op::Tilde),
            "^" => Some(Op::Caret),
            other => {
                let hint = match other {
                    "=>" => ", did you mean `>=`?",
                    "=<" => ", did you mean `<=`?",
                    "==" => ", did you mean `=`?",
                    "~>" => " (Ruby's pessimistic operator), did you mean `~`?",
                    _ => " (expected one of `=`, `^`, `~`, `<`, `<=`, `>`, `>=`)",
                };
                return Err(self.error_at(start, format!("unknown operator `{other}`{hint}")));
            }
        };
        Ok(op)
    }

    fn comparator(&mut self) -> Parsed<Comparator> {
        let op_start = self.pos;
        let op = self.operator()?;
        self.skip_whitespace();
        if self.at_delimiter() {
            let what = op.map_or(String::new(), |op| format!(" after `{}`", op.symbol()));
            return Err(self.error_at(self.pos, format!("expected a version{what}, {}", self.found())));
        }
        let written = self.version()?;
        if let Some(c) = self.peek().filter(|_| !self.at_delimiter()) {
            let message = format!("unexpected `{c}` after the version (separate comparators with a space or `,`)");
            return Err(self.error_at(self.pos, message));
        }
        let numbers = match (written.major, written.minor, written.patch) {
            (Part::Number(major), None, None) => Some((major, None, None)),
            (Part::Number(major), Some(Part::Number(minor)), None) => Some((major, Some(minor), None)),
            (Part::Number(major), Some(Part::Number(minor)), Some(Part::Number(patch))) => {
                Some((major, Some(minor), Some(patch)))
            }
            _ => None,
        };
        match numbers {
            Some((major, minor, patch)) => {
                let op = op.unwrap_or(match self.bare {
                    BareVersion::Exact => Op::Exact,
                    BareVersion::Caret => Op::Caret,
                });
                Ok(compile(op, major, minor, patch, written.pre))
            }
            // A wildcard somewhere: `*`, `1.*`, `1.2.x`.
            None => {
                if let Some(op) = op.filter(|&op| op != Op::Exact) {
                    return Err(self.error_at(
                        op_start,
                        format!("`{}` cannot be used with a wildcard (write `1.*` or `=1.*` alone)", op.symbol()),
                    ));
                }
                Ok(match (written.major, written.minor) {
                    (Part::Number(major), Some(Part::Number(minor))) => {
                        compile(Op::Exact, major, Some(minor), None, Prerelease::EMPTY)
                    }
                    (Part::Number(major), _) => compile(Op::Exact, major, None, None, Prerelease::EMPTY),
                    (Part::Wildcard, _) => Comparator::ANY,
                })
            }
        }
    }

    /// `1`, `1.2`, `1.2.3-pre+build`, `1.*`, `*`, `any`.
    fn version(&mut self) -> Parsed<Written> {
        if matches!(self.peek(), Some('v' | 'V')) && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            return Err(self.error_at(self.pos, "versions are written without a `v` prefix: write `1.2`, not `v1.2`"));
        }
        if self.chars[self.pos..].starts_with(&['a', 'n', 'y']) {
            let start = self.pos;
            self.pos += 3;
            if self.at_delimiter() {
                return Ok(Written { major: Part::Wildcard, minor: None, patch: None, pre: Prerelease::EMPTY });
            }
            self.pos = start;
        }
        let major = self.part("expected a version number")?;
        let mut minor = None;
        let mut patch = None;
        if self.peek() == Some('.') {
            self.pos += 1;
            let start = self.pos;
            let part = self.part("expected a number or wildcard after `.`")?;
            if major == Part::Wildcard && part != Part::Wildcard {
                return Err(self.error_at(start, "a number cannot follow a wildcard"));
            }
            minor = Some(part);
        }
        if minor.is_some() && self.peek() == Some('.') {
            self.pos += 1;
            let start = self.pos;
            let part = self.part("expected a number or wildcard after `.`")?;
            if minor == Some(Part::Wildcard) && part != Part::Wildcard {
                return Err(self.error_at(start, "a number cannot follow a wildcard"));
            }
            patch = Some(part);
        }
        if patch.is_some() && self.peek() == Some('.') {
            return Err(self.error_at(self.pos, "a version has at most three numbers (major.minor.patch)"));
        }
        let full = matches!(
            (major, minor, patch),
            (Part::Number(_), Some(Part::Number(_)), Some(Part::Number(_)))
        );
        let mut pre = Prerelease::EMPTY;
        if self.peek() == Some('-') {
            if !full {
                return Err(self.error_at(self.pos, "a prerelease needs a full major.minor.patch version"));
            }
            self.pos += 1;
            let (start, text) = self.identifiers();
            if text.is_empty() {
                return Err(self.error_at(start, format!("expected a prerelease after `-`, {}", self.found())));
            }
            pre = Prerelease::new(&text)
                .map_err(|e| self.error_at(start, format!("invalid prerelease `{text}`: {e}")))?;
        }
        if self.peek() == Some('+') {
            if !full {
                return Err(self.error_at(self.pos, "build metadata needs a full major.minor.patch version"));
            }
            self.pos += 1;
            let (start, text) = self.identifiers();
            if text.is_empty() {
                return Err(self.error_at(start, format!("expected build metadata after `+`, {}", self.found())));
            }
            // Validated, then dropped: build metadata never affects matching.
            BuildMetadata::new(&text)
                .map_err(|e| self.error_at(start, format!("invalid build metadata `{text}`: {e}")))?;
        }
        Ok(Written { major, minor, patch, pre })
    }

    /// A run of identifier characters (`[0-9A-Za-z-.]`), with its start.
    fn identifiers(&mut self) -> (usize, String) {
        let start = self.pos;
        let mut text = String::new();
        while let Some(c) = self.peek().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.') {
            text.push(c);
            self.pos += 1;
        }
        (start, text)
    }

    /// A number or a wildcard; `expected` describes what is missing.
    fn part(&mut self, expected: &str) -> Parsed<Part> {
        let start = self.pos;
        match self.peek() {
            Some('*' | 'x' | 'X') => {
                self.pos += 1;
                Ok(Part::Wildcard)
            }
            Some(c) if c.is_ascii_digit() => {
                let mut digits = String::new();
                while let Some(d) = self.peek().filter(char::is_ascii_digit) {
                    digits.push(d);
                    self.pos += 1;
                }
                if digits.len() > 1 && digits.starts_with('0') {
                    return Err(self.error_at(start, format!("`{digits}` has a leading zero")));
                }
                digits
                    .parse::<u64>()
                    .map(Part::Number)
                    .map_err(|_| self.error_at(start, format!("`{digits}` is too large for a version number")))
            }
            _ => Err(self.error_at(start, format!("{expected}, {}", self.found()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    fn req(text: &str) -> VersionReq {
        VersionReq::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn cargo(text: &str) -> VersionReq {
        VersionReq::parse_with(text, BareVersion::Caret).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Asserts which of `versions` match `text` (torc dialect, no prereleases).
    #[track_caller]
    fn check(text: &str, matching: &[&str], not_matching: &[&str]) {
        let r = req(text);
        for m in matching {
            assert!(r.matches(&v(m)), "{text} should match {m}");
        }
        for m in not_matching {
            assert!(!r.matches(&v(m)), "{text} should not match {m}");
        }
    }

    #[track_caller]
    fn check_pre(text: &str, matching: &[&str], not_matching: &[&str]) {
        let r = req(text);
        for m in matching {
            assert!(r.matches_with(&v(m), true), "{text} should match {m} with prereleases");
        }
        for m in not_matching {
            assert!(!r.matches_with(&v(m), true), "{text} should not match {m} with prereleases");
        }
    }

    #[track_caller]
    fn error(text: &str) -> ReqError {
        match VersionReq::parse(text) {
            Ok(r) => panic!("{text:?} should not parse, got {r:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn bare_version_is_exact_in_torc_dialect() {
        check("1.2.3", &["1.2.3"], &["1.2.4", "1.3.0", "1.2.2"]);
        check("=1.2.3", &["1.2.3"], &["1.2.4", "1.2.2"]);
        check("1.2", &["1.2.0", "1.2.9"], &["1.3.0", "1.1.9"]);
    }

    #[test]
    fn bare_version_is_caret_in_cargo_dialect() {
        let r = cargo("1.2.3");
        assert!(r.matches(&v("1.2.3")) && r.matches(&v("1.9.0")));
        assert!(!r.matches(&v("2.0.0")) && !r.matches(&v("1.2.2")));
        let r = cargo("1.0");
        assert!(r.matches(&v("1.0.0")) && r.matches(&v("1.7.2")) && !r.matches(&v("2.0.0")));
        let r = cargo("0.3");
        assert!(r.matches(&v("0.3.9")) && !r.matches(&v("0.4.0")));
        // Explicit operators mean the same in both dialects.
        assert!(cargo("=1.2.3").matches(&v("1.2.3")) && !cargo("=1.2.3").matches(&v("1.2.4")));
        assert_eq!(BareVersion::default(), BareVersion::Exact);
    }

    #[test]
    fn caret() {
        check("^1.2.3", &["1.2.3", "1.2.4", "1.9.9"], &["1.2.2", "2.0.0", "0.9.0"]);
        check("^0.2.3", &["0.2.3", "0.2.9"], &["0.3.0", "0.2.2", "1.0.0"]);
        check("^0.0.3", &["0.0.3"], &["0.0.4", "0.0.2", "0.1.0"]);
        check("^1.2", &["1.2.0", "1.9.0"], &["1.1.9", "2.0.0"]);
        check("^1", &["1.0.0", "1.9.9"], &["0.9.9", "2.0.0"]);
        check("^0", &["0.0.0", "0.9.9"], &["1.0.0"]);
        check("^0.0", &["0.0.0", "0.0.9"], &["0.1.0"]);
        check("^0.2", &["0.2.0", "0.2.9"], &["0.3.0", "0.1.9"]);
        check("^0.0.0", &["0.0.0"], &["0.0.1"]);
    }

    #[test]
    fn tilde() {
        check("~1.2.3", &["1.2.3", "1.2.9"], &["1.2.2", "1.3.0"]);
        check("~1.2", &["1.2.0", "1.2.9"], &["1.1.9", "1.3.0"]);
        check("~1", &["1.0.0", "1.9.0"], &["0.9.0", "2.0.0"]);
        check("~0.2.3", &["0.2.3", "0.2.4"], &["0.3.0"]);
    }

    #[test]
    fn comparisons() {
        check(">1.2.3", &["1.2.4", "2.0.0"], &["1.2.3", "1.0.0"]);
        check(">=1.2.3", &["1.2.3", "2.0.0"], &["1.2.2"]);
        check("<1.2.3", &["1.2.2", "0.1.0"], &["1.2.3", "1.3.0"]);
        check("<=1.2.3", &["1.2.3", "1.0.0"], &["1.2.4"]);
        // Partial versions.
        check(">1.2", &["1.3.0", "2.0.0"], &["1.2.0", "1.2.9"]);
        check(">1", &["2.0.0"], &["1.9.9"]);
        check("<=1.2", &["1.2.9", "0.1.0"], &["1.3.0"]);
        check("<=1", &["1.9.9"], &["2.0.0"]);
        check("<1.2", &["1.1.9"], &["1.2.0"]);
        check("<1", &["0.9.9"], &["1.0.0"]);
        check(">=1.2", &["1.2.0", "3.0.0"], &["1.1.9"]);
        check(">=1", &["1.0.0"], &["0.9.9"]);
        check("=1.2", &["1.2.0", "1.2.7"], &["1.3.0", "1.1.0"]);
        check("=1", &["1.0.0", "1.5.0"], &["2.0.0"]);
    }

    #[test]
    fn whitespace_after_operator() {
        check(">= 1.2.3", &["1.2.3"], &["1.2.2"]);
        check("^ 1.2", &["1.5.0"], &["2.0.0"]);
        check(">=  1.0.0 ,  < 2", &["1.5.0"], &["2.0.0"]);
    }

    #[test]
    fn conjunctions() {
        check(">=1.2.3 <2.0.0", &["1.2.3", "1.9.0"], &["2.0.0", "1.2.2"]);
        check(">=0.3.0, <1.0.0", &["0.3.0", "0.9.9"], &["1.0.0", "0.2.9"]);
        check(">=0.3.0,<1.0.0", &["0.5.0"], &["1.0.0"]);
        check(">=1.0.0 <3 , <=2.5", &["2.5.0", "1.0.0"], &["2.6.0", "0.9.0"]);
        check(" ^1.2 \t <1.5 ", &["1.4.9"], &["1.5.0"]);
    }

    #[test]
    fn disjunctions() {
        check("^1 || ^3", &["1.2.0", "3.0.0"], &["2.0.0", "4.0.0"]);
        check("<1 || >=2, <3 || =5.0.0", &["0.5.0", "2.5.0", "5.0.0"], &["1.5.0", "3.0.0", "5.0.1"]);
        check("1.2.3||1.2.4", &["1.2.3", "1.2.4"], &["1.2.5"]);
    }

    #[test]
    fn wildcards() {
        check("*", &["0.0.0", "1.2.3", "99.0.0"], &[]);
        check("any", &["0.0.0", "1.2.3"], &[]);
        check("x", &["3.0.0"], &[]);
        check("X", &["3.0.0"], &[]);
        check("=*", &["3.0.0"], &[]);
        check("1.*", &["1.0.0", "1.9.9"], &["2.0.0", "0.9.0"]);
        check("1.x", &["1.0.0", "1.9.9"], &["2.0.0"]);
        check("1.*.*", &["1.5.0"], &["2.0.0"]);
        check("1.2.*", &["1.2.0", "1.2.9"], &["1.3.0", "1.1.0"]);
        check("1.2.X", &["1.2.0", "1.2.9"], &["1.3.0"]);
        check("=1.2.x", &["1.2.5"], &["1.3.0"]);
        check("*.*", &["7.0.0"], &[]);
        // Wildcards and bare versions read the same in the Cargo dialect.
        assert!(cargo("1.*").matches(&v("1.5.0")) && !cargo("1.*").matches(&v("2.0.0")));
        assert!(cargo("any").matches(&v("2.0.0")));
        assert!(cargo(">=1.2, 2.x").matches(&v("2.1.0")));
    }

    #[test]
    fn prerelease_needs_a_comparator_naming_it() {
        check(">=1.2.3-alpha", &["1.2.3-beta", "1.2.3", "1.2.4", "2.0.0"], &["1.2.4-beta", "1.2.3-0"]);
        check("^1.2.3-beta.1", &["1.2.3-beta.1", "1.2.3-beta.2", "1.2.3-rc", "1.5.0"], &["1.2.3-alpha", "1.3.0-rc.1"]);
        check("^1.2.3", &["1.2.3"], &["1.3.0-rc.1", "1.2.4-alpha", "2.0.0-alpha"]);
        check("*", &[], &["1.0.0-pre"]);
        check("1.*", &[], &["1.0.0-pre"]);
        check("=1.2.3-rc.1", &["1.2.3-rc.1"], &["1.2.3-rc.2", "1.2.3"]);
        check("<1.2.3", &["1.2.2"], &["1.2.3-alpha"]);
        // Any comparator of the alternative may name it...
        check(">=1.0.0, <1.2.3-beta", &["1.2.3-alpha", "1.1.0"], &["1.2.3-beta", "1.2.2-alpha"]);
        // ...but only within its own alternative.
        check("^2 || =1.2.3-rc.1", &["1.2.3-rc.1"], &["2.1.0-rc.1"]);
    }

    #[test]
    fn partial_versions_include_their_prereleases() {
        // A partial version stands for its whole family, so a prerelease
        // named by another comparator is inside it (the `semver` crate
        // disagrees for `=`, `~`, `>=`, `<=` and wildcards).
        check(">=1.2.5-a, <=1.2", &["1.2.5-b"], &["1.2.4-b"]);
        check(">=1.0.0-alpha, 1.*", &["1.0.0-beta"], &[]);
        check("~1.2, >=1.2.3-rc", &["1.2.3-rc.2"], &[]);
        check(">=1.2, <=1.2.0-rc", &["1.2.0-beta"], &["1.1.0-beta"]);
        // `<1.2` is below the whole family, `>1.2` above it.
        check("<1.2, >=1.2.0-a", &[], &["1.2.0-b"]);
        check(">1.2, <=1.3.0-rc", &["1.3.0-beta"], &["1.2.9-beta"]);
    }

    #[test]
    fn allowed_prereleases_match_by_ordering() {
        let r = req("^1.2.3");
        assert!(!r.matches(&v("1.3.0-rc.1")));
        assert!(r.matches_with(&v("1.3.0-rc.1"), true));
        check_pre("^1.2.3", &["1.2.4-alpha", "1.9.9-z"], &["1.2.3-alpha", "2.0.0-alpha", "2.0.0-0", "2.0.0"]);
        check_pre("~1.2.3", &["1.2.9-rc"], &["1.3.0-alpha"]);
        check_pre("^0.2.3", &["0.2.5-rc"], &["0.3.0-alpha"]);
        check_pre("^0.0.3", &[], &["0.0.4-alpha", "0.0.3-alpha"]);
        check_pre("*", &["1.0.0-pre", "0.0.0-0"], &[]);
        check_pre("1.*", &["1.0.0-pre", "1.5.0-rc"], &["2.0.0-alpha", "0.9.0"]);
        check_pre("1.2.*", &["1.2.0-pre"], &["1.3.0-alpha"]);
        check_pre("<=1.2", &["1.2.9-rc"], &["1.3.0-alpha"]);
        check_pre(">1.2", &["1.3.0-alpha"], &["1.2.9-rc", "1.2.9"]);
        check_pre("<1.2", &["1.1.9-rc"], &["1.2.0-alpha"]);
        check_pre(">=1.2", &["1.2.0-alpha"], &["1.1.9"]);
        check_pre("<2.0.0", &["2.0.0-alpha"], &["2.0.0"]);
        check_pre(">=1.2.3-alpha", &["1.2.4-beta"], &["1.2.3-0"]);
    }

    #[test]
    fn build_metadata_is_ignored() {
        check("=1.2.3", &["1.2.3+build", "1.2.3+other.7"], &[]);
        check("=1.2.3+build.5", &["1.2.3", "1.2.3+zzz"], &["1.2.4"]);
        check("<=1.2.3+z", &["1.2.3+a"], &[]);
        check(">1.2.3+a", &[], &["1.2.3+z"]);
        check("^1.2.3-rc.1+build", &["1.2.3-rc.2+x"], &[]);
        let a = v("1.0.0+a");
        let b = v("1.0.0+b");
        assert_eq!(cmp_precedence(&a, &b), Ordering::Equal);
        assert_eq!(cmp_precedence(&v("1.0.0-rc"), &v("1.0.0")), Ordering::Less);
        assert_eq!(cmp_precedence(&v("1.10.0"), &v("1.9.0")), Ordering::Greater);
    }

    #[test]
    fn huge_numbers_do_not_overflow() {
        let max = u64::MAX;
        check(&format!("^{max}"), &[&format!("{max}.0.0"), &format!("{max}.{max}.{max}")], &["1.0.0"]);
        check(&format!("^0.0.{max}"), &[&format!("0.0.{max}")], &["0.1.0"]);
        check(&format!(">{max}"), &[], &[&format!("{max}.{max}.{max}"), "0.0.0"]);
        check(&format!(">1.{max}"), &["2.0.0"], &[&format!("1.{max}.5")]);
        check(&format!("~{max}.{max}"), &[&format!("{max}.{max}.3")], &[]);
        let e = error("18446744073709551616");
        assert_eq!(e.column, 1);
        assert!(e.message.contains("too large"), "{}", e.message);
    }

    #[test]
    fn display_is_the_trimmed_text() {
        let r = req("  >=1.0, <2 || ^3 ");
        assert_eq!(r.to_string(), ">=1.0, <2 || ^3");
        assert_eq!(r.as_str(), ">=1.0, <2 || ^3");
        let parsed: VersionReq = "^1.2".parse().unwrap();
        assert_eq!(parsed, req("^1.2"));
        assert!("1.2".parse::<VersionReq>().unwrap().matches(&v("1.2.5")));
        assert!(!"1.2.3".parse::<VersionReq>().unwrap().matches(&v("1.2.4")));
        // Same text, different dialects: different requirements.
        assert_ne!(req("1.2.3"), cargo("1.2.3"));
    }

    #[test]
    fn errors_carry_columns() {
        let cases: &[(&str, usize, &str)] = &[
            ("", 1, "empty requirement"),
            ("   ", 4, "empty requirement"),
            ("^1 ||", 6, "empty alternative"),
            ("^1 || ", 7, "empty alternative"),
            ("|| ^1", 1, "empty alternative"),
            ("^1 || || ^2", 7, "empty alternative"),
            ("^1 | ^2", 4, "expected `||`"),
            (">=1.0,", 7, "after `,`"),
            (">=1.0, ,<2", 8, "after `,`"),
            (", 1", 1, "before `,`"),
            ("=>1", 1, "unknown operator `=>`, did you mean `>=`?"),
            ("~>1", 1, "unknown operator `~>`"),
            ("^1, !=2", 5, "unknown operator `!=`"),
            ("==1", 1, "unknown operator `==`"),
            ("abc", 1, "expected a version number, found `a`"),
            ("1.2.3.4", 6, "at most three numbers"),
            ("1..2", 3, "expected a number or wildcard after `.`, found `.`"),
            ("1.", 3, "found the end of the input"),
            ("v1.2", 1, "`v` prefix"),
            (">= v1.2", 4, "`v` prefix"),
            ("1.*.3", 5, "a number cannot follow a wildcard"),
            ("^1.x.3", 6, "a number cannot follow a wildcard"),
            ("*.1", 3, "a number cannot follow a wildcard"),
            (">1.*", 1, "`>` cannot be used with a wildcard"),
            ("^*", 1, "`^` cannot be used with a wildcard"),
            (">=1.0 ~any", 7, "`~` cannot be used with a wildcard"),
            (">=", 3, "expected a version after `>=`"),
            ("^ ,1", 3, "expected a version after `^`"),
            ("01.2.3", 1, "leading zero"),
            ("1.02", 3, "leading zero"),
            ("1.2-beta", 4, "prerelease needs a full"),
            ("1.2.3-", 7, "expected a prerelease"),
            ("1.2.3-beta..1", 7, "invalid prerelease"),
            ("1.2.3-01", 7, "invalid prerelease"),
            ("1.2.3+", 7, "expected build metadata"),
            ("1.*+b", 4, "build metadata needs a full"),
            (">=1.2.3<2", 8, "unexpected `<`"),
            ("1.2.3beta", 6, "unexpected `b`"),
            ("anything", 1, "found `a`"),
            ("^1 ||| ^2", 6, "empty alternative"),
        ];
        for &(text, column, message) in cases {
            let e = error(text);
            assert_eq!(e.column, column, "{text:?}: {e}");
            assert!(e.message.contains(message), "{text:?}: {:?} lacks {message:?}", e.message);
            assert_eq!(e.input, text);
        }
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let e = error("é ^1.2");
        assert_eq!(e.column, 1);
        let e = error("^1.2 || ≥1");
        assert_eq!(e.column, 9);
        assert_eq!(e.pointer(), "^1.2 || ≥1\n        ^");
    }

    #[test]
    fn error_display_and_pointer() {
        let e = error("^1.x.3");
        assert_eq!(
            e.to_string(),
            "invalid requirement \"^1.x.3\" at column 6: a number cannot follow a wildcard"
        );
        assert_eq!(e.pointer(), "^1.x.3\n     ^");
        let e = error("\t=>1");
        assert_eq!(e.pointer(), "\t=>1\n\t^");
        let e = error("");
        assert_eq!(e.pointer(), "\n^");
    }

    /// Cargo's dialect agrees with the `semver` crate, Cargo's own matcher,
    /// on every requirement both accept, except where that crate compares
    /// partial versions component-wise: it reads `=1.2`, `1.*`, `~1.2`,
    /// `>=1.2` and `<=1.2` as excluding every prerelease, even one another
    /// comparator names (`>=1.2.5-a, <=1.2` rejects `1.2.5-b`), while a
    /// partial version here stands for its whole family, prereleases
    /// included, as in npm. Those pairs are skipped.
    mod against_the_semver_crate {
        use super::*;
        use proptest::prelude::*;

        fn version_text() -> impl Strategy<Value = String> {
            (0u64..3, 0u64..3, 0u64..3, prop::sample::select(vec!["", "-alpha", "-beta.1", "-0"]))
                .prop_map(|(a, b, c, pre)| format!("{a}.{b}.{c}{pre}"))
        }

        /// A comparator, and whether the `semver` crate reads it differently
        /// for prereleases (see above).
        fn comparator_text() -> impl Strategy<Value = (String, bool)> {
            let op = prop::sample::select(vec!["", "=", ">", ">=", "<", "<=", "~", "^"]);
            let partial = prop_oneof![
                (0u64..3).prop_map(|a| (a.to_string(), true)),
                (0u64..3, 0u64..3).prop_map(|(a, b)| (format!("{a}.{b}"), true)),
                version_text().prop_map(|v| (v, false)),
            ];
            let wildcard = prop_oneof![
                Just("*".to_owned()),
                (0u64..3).prop_map(|a| format!("{a}.*")),
                (0u64..3, 0u64..3).prop_map(|(a, b)| format!("{a}.{b}.*")),
            ];
            prop_oneof![
                (op, partial).prop_map(|(op, (v, partial))| {
                    (format!("{op}{v}"), partial && ["=", "~", ">=", "<="].contains(&op))
                }),
                (prop::sample::select(vec!["", "="]), wildcard).prop_map(|(op, v)| (format!("{op}{v}"), true)),
            ]
        }

        proptest! {
            #[test]
            fn same_answers(
                comparators in prop::collection::vec(comparator_text(), 1..4),
                versions in prop::collection::vec(version_text(), 1..8),
            ) {
                let text = comparators.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>().join(", ");
                let quirky = comparators.iter().any(|&(_, quirky)| quirky);
                let ours = VersionReq::parse_with(&text, BareVersion::Caret).unwrap();
                if let Ok(theirs) = semver::VersionReq::parse(&text) {
                    for version in &versions {
                        let version = Version::parse(version).unwrap();
                        if quirky && !version.pre.is_empty() {
                            continue;
                        }
                        prop_assert_eq!(
                            ours.matches(&version),
                            theirs.matches(&version),
                            "{} against {}", text, version
                        );
                    }
                }
            }

            #[test]
            fn never_panics(text in "[ 0-9a-zA-Z.*^~=<>!|,+-]{0,16}") {
                let _ = VersionReq::parse(&text);
                let _ = VersionReq::parse_with(&text, BareVersion::Caret);
            }

            #[test]
            fn errors_point_into_the_input(text in "[ 0-9xv.*^~=<>|,+-]{0,12}") {
                if let Err(e) = VersionReq::parse(&text) {
                    prop_assert!(e.column >= 1 && e.column <= text.chars().count() + 1);
                    prop_assert!(e.pointer().ends_with('^'));
                }
            }
        }
    }

    #[test]
    fn no_panics_on_odd_input() {
        let odd = [
            "|", "||", ",", "-", "+", ".", "*.", "1.2.3-", "^", "~~1", "1 2 3", "1,,2", "a||b", "1.2.3-α",
            "1.2.3+b+c", "x.y", "1.2.3 ||| 4", "\u{0}", "any.1", "1.2.3-rc.1.", ">=*", "=any", "1 ||",
        ];
        for text in odd {
            let _ = VersionReq::parse(text);
            let _ = VersionReq::parse_with(text, BareVersion::Caret);
        }
        assert!(VersionReq::parse("=any").is_ok());
        assert!(VersionReq::parse("1 2 3").is_ok());
        assert!(VersionReq::parse("1.2.3-rc.1.").is_err());
    }
}
