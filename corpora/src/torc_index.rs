//! Reading `torc-index/1` documents: a registry as one JSON file.
//!
//! ```json
//! {
//!   "format": "torc-index/1",
//!   "packages": {
//!     "a": [
//!       {"version": "1.0.0", "depends": {"b": "^1.0"}, "conflicts": {}, "yanked": false}
//!     ],
//!     "b": [{"version": "1.2.0"}]
//!   }
//! }
//! ```
//!
//! `depends`, `conflicts` and `yanked` are optional; any other key in a
//! release is rejected. Every error is data ([`Error::Document`]) and names the
//! file, the line and column, and the JSON path of the offending field:
//!
//! ```text
//! index.json:7:23: packages.a[0].depends.b: invalid requirement "^1.x.3" at column 4: ...
//! ```
//!
//! Syntax is checked by `serde_json` first (its messages and recursion limit
//! are well tested); the now well-formed text is then read again by a small
//! parser that keeps the byte offset of every key and value, so errors found
//! in the *content* (a bad version inside a valid string) point at the
//! exact place too. Nothing here panics on any input.

use crate::{every_release, Corpus, Error, Location, Stats};
use semver::{BuildMetadata, Version};
use std::collections::HashMap;
use std::path::Path;
use torc_solver::semver::{ReqError, SemverRegistry, SemverRelease, VersionReq};
use torc_solver::{Index, PackageId, VersionIx};

/// The value of the `format` key this module reads.
pub const FORMAT: &str = "torc-index/1";

/// Deepest nesting read by the offset-keeping parser. `serde_json` has
/// already refused anything deeper than 128 levels; this is a second guard.
const MAX_DEPTH: usize = 256;

const DOCUMENT_KEYS: &str = "format, packages";
const RELEASE_KEYS: &str = "version, depends, conflicts, yanked";

/// What is wrong at a [`Location`].
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error("malformed JSON: {0}")]
    Syntax(String),
    #[error("expected {expected}, found {found}")]
    Type { expected: &'static str, found: &'static str },
    #[error("expected format \"{FORMAT}\", found {found}")]
    Format { found: String },
    #[error("missing field \"{field}\"")]
    MissingField { field: &'static str },
    #[error("unknown field {field:?} (expected one of: {expected})")]
    UnknownField { field: String, expected: &'static str },
    #[error("duplicate key {key:?}")]
    DuplicateKey { key: String },
    #[error("invalid package name {name:?}: {reason}")]
    InvalidName { name: String, reason: &'static str },
    #[error("invalid version {version:?}: {message}")]
    InvalidVersion { version: String, message: String },
    #[error("invalid requirement {:?} at column {}: {}", .0.input, .0.column, .0.message)]
    InvalidRequirement(ReqError),
    #[error("duplicate version {version:?} of {package:?}: {first_path} ({first}) has the same version{}", build_note(.same_text))]
    DuplicateVersion {
        package: String,
        version: String,
        /// Where the first release with this version is.
        first: Location,
        first_path: String,
        /// Whether both are written the same (else they differ only in
        /// build metadata, which does not count).
        same_text: bool,
    },
}

fn build_note(same_text: &bool) -> &'static str {
    if *same_text {
        ""
    } else {
        " (build metadata does not count)"
    }
}

/// Counts of an imported document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportStats {
    /// Packages with at least one release.
    pub packages: usize,
    /// Releases (= roots), yanked ones included.
    pub releases: usize,
    /// Of which yanked.
    pub yanked: usize,
}

/// Reads the index document at `path` into a [`Corpus`]: every release,
/// requirements matched by Torc's rules (a pre-release only by a
/// requirement naming one of the same `major.minor.patch`).
pub fn load(path: &Path) -> Result<Corpus, Error> {
    let registry = read_index(path)?;
    let index = registry
        .build()
        .map_err(|source| Error::Registry { file: path.display().to_string(), source: Box::new(source) })?;
    let roots = every_release(&index);
    let stats = ImportStats {
        packages: index.packages().filter(|(_, p)| !p.releases.is_empty()).count(),
        releases: roots.len(),
        yanked: registry.releases().iter().filter(|r| r.yanked).count(),
    };
    Ok(Corpus { index, stats: Stats::TorcIndex(stats), roots })
}

/// Release `version` of package `name` in an index built from a document:
/// semver precedence, so build metadata does not count.
pub(crate) fn find(index: &Index, name: &str, version: &str) -> Option<(PackageId, VersionIx)> {
    let without_build = |v: Version| Version { build: BuildMetadata::EMPTY, ..v };
    let wanted = without_build(Version::parse(version).ok()?);
    let package = index.package_id(name)?;
    let releases = &index.package(package).releases;
    let ix = releases.iter().position(|r| Version::parse(&r.label).is_ok_and(|v| without_build(v) == wanted))?;
    Some((package, ix as VersionIx))
}

/// Reads the index document at `path` into a registry.
pub fn read_index(path: &Path) -> Result<SemverRegistry, Error> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.to_owned(), source })?;
    let source = String::from_utf8(bytes)
        .map_err(|e| Error::NotUtf8 { file: file.clone(), offset: e.utf8_error().valid_up_to() })?;
    parse_index(&source, &file)
}

/// Reads an index document from `source` into a registry; `file` names it
/// in error messages.
pub fn parse_index(source: &str, file: &str) -> Result<SemverRegistry, Error> {
    let mut registry = SemverRegistry::new();
    for release in parse_releases(source, file)? {
        registry.add_release(release);
    }
    Ok(registry)
}

/// Reads an index document from `source` into its releases, in the order
/// of the file (packages in document order, releases in list order).
pub fn parse_releases(source: &str, file: &str) -> Result<Vec<SemverRelease>, Error> {
    let lines = LineMap::new(source, file);
    // Syntax first, with serde_json's messages and positions.
    // (Into a `Value`, not `IgnoredAny`: its messages are the better ones,
    // "trailing comma" rather than "key must be a string".)
    if let Err(e) = serde_json::from_str::<serde_json::Value>(source) {
        return Err(lines.serde_error(&e));
    }
    let root = Parser::new(source).document().map_err(|(offset, message)| Error::Document {
        at: lines.at(offset),
        path: String::new(),
        problem: Box::new(Problem::Syntax(message)),
    })?;
    Reader { lines: &lines, releases: Vec::new() }.document(&root)
}

// ---------------------------------------------------------------------------
// Positions

/// Turns byte offsets into lines and columns.
struct LineMap<'s> {
    source: &'s str,
    file: &'s str,
    /// Byte offset at which each line starts.
    starts: Vec<usize>,
}

impl<'s> LineMap<'s> {
    fn new(source: &'s str, file: &'s str) -> Self {
        let mut starts = vec![0];
        starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
        LineMap { source, file, starts }
    }

    fn at(&self, offset: usize) -> Location {
        #[cfg(test)]
        tests::LOCATED.with(|n| n.set(n.get() + 1));
        let offset = offset.min(self.source.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let column = self.source.get(start..offset).map_or(offset - start, |s| s.chars().count()) + 1;
        Location { file: self.file.to_owned(), line, column }
    }

    /// serde_json counts columns in bytes; report characters like the rest.
    fn serde_error(&self, e: &serde_json::Error) -> Error {
        let text = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = text.strip_suffix(&suffix).unwrap_or(&text).to_owned();
        let at = if e.line() == 0 {
            Location { file: self.file.to_owned(), line: 1, column: 1 }
        } else {
            let line = e.line().min(self.starts.len());
            let start = self.starts[line - 1];
            let mut offset = (start + e.column().saturating_sub(1)).min(self.source.len());
            while !self.source.is_char_boundary(offset) {
                offset -= 1;
            }
            let mut at = self.at(offset);
            at.line = e.line();
            at
        };
        Error::Document { at, path: String::new(), problem: Box::new(Problem::Syntax(message)) }
    }
}

// ---------------------------------------------------------------------------
// An offset-keeping JSON reader for text serde_json has accepted.

#[derive(Debug)]
struct Node {
    /// Byte offset of the value's first character.
    start: usize,
    value: Value,
}

#[derive(Debug)]
enum Value {
    Null,
    Bool(bool),
    Number,
    Str(Str),
    Array(Vec<Node>),
    Object(Vec<(Str, Node)>),
}

/// A string and where its text is.
#[derive(Debug)]
struct Str {
    /// Byte offset of the opening quote.
    start: usize,
    text: String,
    /// Whether the file holds the text verbatim (no escapes), so an offset
    /// into `text` is an offset into the file past the opening quote.
    verbatim: bool,
}

impl Value {
    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number => "a number",
            Value::Str(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

type ParseResult<T> = Result<T, (usize, String)>;

struct Parser<'s> {
    src: &'s str,
    pos: usize,
}

impl<'s> Parser<'s> {
    fn new(src: &'s str) -> Self {
        Parser { src, pos: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn fail<T>(&self, what: &str) -> ParseResult<T> {
        Err((self.pos, what.to_owned()))
    }

    fn document(mut self) -> ParseResult<Node> {
        let node = self.value(0)?;
        self.skip_ws();
        if self.pos < self.src.len() {
            return self.fail("trailing characters");
        }
        Ok(node)
    }

    fn value(&mut self, depth: usize) -> ParseResult<Node> {
        if depth > MAX_DEPTH {
            return self.fail("nesting too deep");
        }
        self.skip_ws();
        let start = self.pos;
        let value = match self.peek() {
            None => return self.fail("EOF while parsing a value"),
            Some(b'"') => Value::Str(self.string()?),
            Some(b'{') => Value::Object(self.object(depth)?),
            Some(b'[') => Value::Array(self.array(depth)?),
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => {
                while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.peek() {
                    self.pos += 1;
                }
                Value::Number
            }
            Some(_) => return self.fail("expected value"),
        };
        Ok(Node { start, value })
    }

    fn literal(&mut self, word: &str, value: Value) -> ParseResult<Value> {
        if self.src.get(self.pos..).is_some_and(|rest| rest.starts_with(word)) {
            self.pos += word.len();
            Ok(value)
        } else {
            self.fail("expected value")
        }
    }

    fn expect(&mut self, byte: u8, what: &str) -> ParseResult<()> {
        self.skip_ws();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            self.fail(what)
        }
    }

    fn string(&mut self) -> ParseResult<Str> {
        let start = self.pos;
        self.expect(b'"', "expected string")?;
        let bytes = self.src.as_bytes();
        let mut verbatim = true;
        loop {
            match bytes.get(self.pos) {
                None => return Err((start, "EOF while parsing a string".to_owned())),
                Some(b'"') => break,
                Some(b'\\') => {
                    verbatim = false;
                    self.pos += 2;
                }
                Some(_) => self.pos += 1,
            }
        }
        self.pos += 1;
        // Let serde_json undo the escapes: it knows surrogate pairs and all.
        let token = self.src.get(start..self.pos).ok_or((start, "invalid string".to_owned()))?;
        let text = serde_json::from_str::<String>(token).map_err(|e| (start, e.to_string()))?;
        Ok(Str { start, text, verbatim })
    }

    fn array(&mut self, depth: usize) -> ParseResult<Vec<Node>> {
        self.expect(b'[', "expected `[`")?;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(items);
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(items);
                }
                _ => return self.fail("expected `,` or `]`"),
            }
        }
    }

    fn object(&mut self, depth: usize) -> ParseResult<Vec<(Str, Node)>> {
        self.expect(b'{', "expected `{`")?;
        let mut entries = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(entries);
        }
        loop {
            self.skip_ws();
            let key = self.string()?;
            self.expect(b':', "expected `:`")?;
            let value = self.value(depth + 1)?;
            entries.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(entries);
                }
                _ => return self.fail("expected `,` or `}`"),
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The schema.

/// A JSON path being built: `packages.a[0].depends.b`.
#[derive(Clone, Default)]
struct JsonPath(String);

impl JsonPath {
    fn key(&self, key: &str) -> JsonPath {
        let plain = !key.is_empty()
            && key.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-');
        let mut path = self.0.clone();
        if plain {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(key);
        } else {
            path.push('[');
            path.push_str(&serde_json::to_string(key).unwrap_or_else(|_| format!("{key:?}")));
            path.push(']');
        }
        JsonPath(path)
    }

    fn index(&self, ix: usize) -> JsonPath {
        JsonPath(format!("{}[{ix}]", self.0))
    }
}

struct Reader<'a, 's> {
    lines: &'a LineMap<'s>,
    releases: Vec<SemverRelease>,
}

/// Where the first release of a version was seen.
struct Seen {
    /// Byte offset of its version: turned into a line and column only for
    /// an error (doing it for every release made a one-line index
    /// quadratic: each column counts from the start of the line).
    at: usize,
    path: String,
    text: String,
}

impl Reader<'_, '_> {
    fn error(&self, offset: usize, path: &JsonPath, problem: Problem) -> Error {
        Error::Document { at: self.lines.at(offset), path: path.0.clone(), problem: Box::new(problem) }
    }

    fn type_error(&self, node: &Node, path: &JsonPath, expected: &'static str) -> Error {
        self.error(node.start, path, Problem::Type { expected, found: node.value.kind() })
    }

    /// The entries of an object, refusing duplicate keys and, when `known`
    /// is given, keys outside it.
    fn entries<'n>(
        &self,
        node: &'n Node,
        path: &JsonPath,
        known: Option<(&[&str], &'static str)>,
    ) -> Result<&'n [(Str, Node)], Error> {
        let Value::Object(entries) = &node.value else {
            return Err(self.type_error(node, path, "an object"));
        };
        let mut seen = HashMap::new();
        for (key, _) in entries {
            if let Some((names, expected)) = known {
                if !names.contains(&key.text.as_str()) {
                    return Err(self.error(
                        key.start,
                        path,
                        Problem::UnknownField { field: key.text.clone(), expected },
                    ));
                }
            }
            if seen.insert(key.text.as_str(), ()).is_some() {
                return Err(self.error(key.start, path, Problem::DuplicateKey { key: key.text.clone() }));
            }
        }
        Ok(entries)
    }

    fn document(mut self, root: &Node) -> Result<Vec<SemverRelease>, Error> {
        let top = JsonPath::default();
        let Value::Object(entries) = &root.value else {
            return Err(self.type_error(root, &top, "an object"));
        };
        // The format first: a document of another format gets that said
        // rather than complaints about its keys.
        match entries.iter().find(|(key, _)| key.text == "format") {
            None => {
                return Err(self.error(root.start, &top, Problem::MissingField { field: "format" }));
            }
            Some((_, node)) => match &node.value {
                Value::Str(s) if s.text == FORMAT => {}
                Value::Str(s) => {
                    let found = serde_json::to_string(&s.text).unwrap_or_default();
                    return Err(self.error(node.start, &top.key("format"), Problem::Format { found }));
                }
                other => {
                    let found = other.kind().to_owned();
                    return Err(self.error(node.start, &top.key("format"), Problem::Format { found }));
                }
            },
        }
        let entries = self.entries(root, &top, Some((&["format", "packages"], DOCUMENT_KEYS)))?;
        let Some((_, packages)) = entries.iter().find(|(key, _)| key.text == "packages") else {
            return Err(self.error(root.start, &top, Problem::MissingField { field: "packages" }));
        };
        let path = top.key("packages");
        for (name, releases) in self.entries(packages, &path, None)? {
            self.package(name, releases, &path.key(&name.text))?;
        }
        Ok(self.releases)
    }

    fn check_name(&self, name: &Str, path: &JsonPath) -> Result<(), Error> {
        let reason = if name.text.is_empty() {
            "empty"
        } else if name.text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            "contains whitespace or control characters"
        } else {
            return Ok(());
        };
        Err(self.error(name.start, path, Problem::InvalidName { name: name.text.clone(), reason }))
    }

    fn package(&mut self, name: &Str, releases: &Node, path: &JsonPath) -> Result<(), Error> {
        self.check_name(name, path)?;
        let Value::Array(items) = &releases.value else {
            return Err(self.type_error(releases, path, "an array of releases"));
        };
        let mut seen: HashMap<Version, Seen> = HashMap::new();
        for (ix, item) in items.iter().enumerate() {
            let path = path.index(ix);
            let (release, version_at) = self.release(&name.text, item, &path)?;
            let key = Version { build: BuildMetadata::EMPTY, ..release.version.clone() };
            let text = release.version.to_string();
            if let Some(first) = seen.get(&key) {
                return Err(self.error(
                    version_at,
                    &path.key("version"),
                    Problem::DuplicateVersion {
                        package: name.text.clone(),
                        version: text.clone(),
                        first: self.lines.at(first.at),
                        first_path: first.path.clone(),
                        same_text: first.text == text,
                    },
                ));
            }
            seen.insert(key, Seen { at: version_at, path: path.key("version").0, text });
            self.releases.push(release);
        }
        Ok(())
    }

    /// One release, and the offset of its version string.
    fn release(&self, package: &str, node: &Node, path: &JsonPath) -> Result<(SemverRelease, usize), Error> {
        let entries = self.entries(node, path, Some((&["version", "depends", "conflicts", "yanked"], RELEASE_KEYS)))?;
        let field = |name: &str| {
            entries.iter().find(|(key, _)| key.text == name).map(|(_, v)| v).filter(|v| !matches!(v.value, Value::Null))
        };
        let Some(version_node) = field("version") else {
            return Err(self.error(node.start, path, Problem::MissingField { field: "version" }));
        };
        let version_path = path.key("version");
        let Value::Str(text) = &version_node.value else {
            return Err(self.type_error(version_node, &version_path, "a version string"));
        };
        let version = Version::parse(&text.text).map_err(|e| {
            self.error(
                text.start,
                &version_path,
                Problem::InvalidVersion { version: text.text.clone(), message: e.to_string() },
            )
        })?;
        let yanked = match field("yanked") {
            None => false,
            Some(Node { value: Value::Bool(b), .. }) => *b,
            Some(other) => return Err(self.type_error(other, &path.key("yanked"), "a boolean")),
        };
        let dependencies = match field("depends") {
            None => Vec::new(),
            Some(deps) => self.requirements(deps, &path.key("depends"))?,
        };
        let conflicts = match field("conflicts") {
            None => Vec::new(),
            Some(deps) => self.requirements(deps, &path.key("conflicts"))?,
        };
        let release = SemverRelease { name: package.to_owned(), version, yanked, dependencies, conflicts };
        Ok((release, version_node.start))
    }

    /// `{"name": "requirement", ...}`
    fn requirements(&self, node: &Node, path: &JsonPath) -> Result<Vec<(String, VersionReq)>, Error> {
        let mut out = Vec::new();
        for (name, req) in self.entries(node, path, None)? {
            let path = path.key(&name.text);
            self.check_name(name, &path)?;
            let Value::Str(text) = &req.value else {
                return Err(self.type_error(req, &path, "a requirement string"));
            };
            match VersionReq::parse(&text.text) {
                Ok(parsed) => out.push((name.text.clone(), parsed)),
                Err(error) => {
                    // Point at the offending character when the file holds
                    // the requirement verbatim, else at the string.
                    let offset = if text.verbatim {
                        let skip = error.column.saturating_sub(1);
                        let within: usize = text.text.chars().take(skip).map(char::len_utf8).sum();
                        text.start + 1 + within
                    } else {
                        text.start
                    };
                    return Err(self.error(offset, &path, Problem::InvalidRequirement(error)));
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        /// How many offsets this thread has turned into lines and columns.
        pub(super) static LOCATED: Cell<usize> = const { Cell::new(0) };
    }

    #[test]
    fn a_valid_index_locates_nothing() {
        // Locating a column counts the line up to it; on a one-line index
        // doing that for every release was quadratic (a chain of 2,000
        // packages of 50 versions took 11.8 s). Only errors are located.
        let releases: Vec<String> = (0..500).map(|v| format!("{{\"version\": \"1.{v}.0\"}}")).collect();
        let doc = format!("{{\"format\": \"torc-index/1\", \"packages\": {{\"a\": [{}]}}}}", releases.join(", "));
        let before = LOCATED.with(Cell::get);
        assert_eq!(parse_releases(&doc, "index.json").unwrap().len(), 500);
        assert_eq!(LOCATED.with(Cell::get) - before, 0);
        // A duplicate is still reported with both places.
        let doc = doc.replace("\"1.499.0\"", "\"1.3.0+build\"");
        let e = err(&doc);
        assert!(e.contains("1.3.0"), "{e}");
    }

    fn err(source: &str) -> String {
        match parse_releases(source, "index.json") {
            Ok(_) => panic!("expected an error for {source}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn reads_releases_in_order() {
        let doc = r#"{"format": "torc-index/1", "packages": {
            "b": [{"version": "1.0.0"}],
            "a": [{"version": "1.0.0", "depends": {"b": "^1"}, "yanked": true}, {"version": "0.9.0", "conflicts": {}}]
        }}"#;
        let releases = parse_releases(doc, "index.json").unwrap();
        let got: Vec<_> = releases.iter().map(|r| (r.name.as_str(), r.version.to_string(), r.yanked)).collect();
        assert_eq!(
            got,
            vec![("b", "1.0.0".into(), false), ("a", "1.0.0".into(), true), ("a", "0.9.0".into(), false)]
        );
        assert_eq!(releases[1].dependencies.len(), 1);
        assert_eq!(releases[1].dependencies[0].0, "b");
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = err("{\"format\": \"torc-index/1\",\n \"packages\": {]}");
        assert!(e.starts_with("index.json:2:"), "{e}");
        assert!(e.contains("malformed JSON"), "{e}");
        assert!(err("").starts_with("index.json:1:1: malformed JSON"));
    }

    #[test]
    fn content_errors_have_positions_and_paths() {
        let doc = "{\"format\": \"torc-index/1\", \"packages\": {\n  \"a\": [\n    {\"version\": \"1.0.0\", \"depends\": {\"b\": \"^1.x.3\"}}\n  ]\n}}";
        let e = err(doc);
        assert!(e.starts_with("index.json:3:"), "{e}");
        assert!(e.contains("packages.a[0].depends.b: invalid requirement \"^1.x.3\""), "{e}");

        let e = err("{\"format\": \"torc-index/1\", \"packages\": {\"a\": [{\"version\": \"1.0\"}]}}");
        assert!(e.starts_with("index.json:1:59: packages.a[0].version: invalid version \"1.0\""), "{e}");

        let e = err("{\"format\": \"torc-index/1\", \"packages\": {\"a\": [{\"version\": \"1.0.0\", \"deps\": {}}]}}");
        assert!(e.contains("packages.a[0]: unknown field \"deps\""), "{e}");
        assert!(e.starts_with("index.json:1:68:"), "{e}");
    }

    #[test]
    fn format_is_checked() {
        assert!(err(r#"{"packages": {}}"#).contains("missing field \"format\""));
        let e = err(r#"{"format": "torc-index/2", "packages": {}}"#);
        assert!(e.contains("format: expected format \"torc-index/1\", found \"torc-index/2\""), "{e}");
        assert!(err(r#"[1, 2]"#).contains("expected an object, found an array"));
        assert!(err(r#"{"format": "torc-index/1"}"#).contains("missing field \"packages\""));
    }

    #[test]
    fn duplicates_are_refused() {
        let e = err(r#"{"format": "torc-index/1", "packages": {"a": [{"version": "1.0.0"}, {"version": "1.0.0+b"}]}}"#);
        assert!(e.contains("packages.a[1].version: duplicate version \"1.0.0+b\""), "{e}");
        assert!(e.contains("packages.a[0].version"), "{e}");
        let e = err(r#"{"format": "torc-index/1", "packages": {"a": [], "a": []}}"#);
        assert!(e.contains("packages: duplicate key \"a\""), "{e}");
    }

    #[test]
    fn odd_input_never_panics() {
        for doc in [
            "{", "}", "\"", "[[[[[[", "{\"format\": \"torc-index/1\", \"packages\": {\"\\u00e9\": [{\"version\": \"x\"}]}}",
            "{\"format\": \"torc-index/1\", \"packages\": {\"a\": [{\"version\": \"1.0.0\", \"depends\": {\"b\": \"\\u005e1.x\"}}]}}",
            "{\"format\": \"torc-index/1\", \"packages\": {\"a\": [{\"version\": \"1.0.0\", \"depends\": {\"b\": \"é^1.x\"}}]}}",
            "{\"format\": \"torc-index/1\", \"packages\": {\"a\": 3}}",
            "{\"format\": \"torc-index/1\", \"packages\": {\"a\": [null]}}",
            "{\"format\": \"torc-index/1\", \"packages\": {\"a b\": []}}",
        ] {
            let _ = parse_releases(doc, "x.json");
        }
        let deep = "[".repeat(100_000);
        assert!(parse_releases(&deep, "x.json").is_err());
    }
}
