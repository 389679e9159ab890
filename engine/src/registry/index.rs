//! Index files: one per package, one JSON object per line, one line per
//! published version, in publish order.
//!
//! ```text
//! {"name":"torc-pid","version":"1.0.3","kind":"module","dependencies":[{"name":"torc-math","req":">=0.3.0, <1.0.0"}],"yanked":false,"blake3":"…"}
//! ```
//!
//! This module owns the line format: writing a line from a manifest,
//! reading a file back with errors that name the file, the line and the
//! field, and flipping one line's `yanked` without touching any other byte.
//! Keys a reader does not know are ignored, so a later format can add
//! fields (signatures, say) without breaking older readers.

use crate::error::{line_col, Error, Location, Result};
use crate::package::{validate_name, Manifest, PackageKind};
use semver::{Prerelease, Version};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use torc_solver::semver::VersionReq;

/// One published version, as its index line records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexEntry {
    pub name: String,
    #[serde(with = "version_text")]
    pub version: Version,
    pub kind: PackageKind,
    /// The normal (non-dev) dependencies, in the order the manifest declares them.
    pub dependencies: Vec<IndexDependency>,
    /// Hidden from new resolution; still installable when a lock pins it.
    pub yanked: bool,
    /// BLAKE3 of the package archive, 64 lowercase hex digits: the blob's name.
    pub blake3: String,
}

/// `{"name":"torc-math","req":">=0.3.0, <1.0.0"}`: a requirement as written
/// in the manifest (Torc's dialect: a bare version is exact).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexDependency {
    pub name: String,
    pub req: String,
}

impl IndexEntry {
    /// The line `manifest` publishes as, its archive hashing to `blake3`.
    /// Only normal dependencies are recorded: dev-dependencies never reach
    /// someone who depends on the package.
    pub fn from_manifest(manifest: &Manifest, blake3: String) -> IndexEntry {
        IndexEntry {
            name: manifest.name.clone(),
            version: manifest.version.clone(),
            kind: manifest.kind,
            dependencies: manifest
                .normal_dependencies()
                .map(|d| IndexDependency { name: d.name.clone(), req: d.requirement.as_str().to_owned() })
                .collect(),
            yanked: false,
            blake3,
        }
    }

    /// The entry as one index line, without the newline.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("an index entry always serialises")
    }
}

/// Where `name`'s index file lives, relative to the registry root:
/// `index/<name>`, or `index/@<scope>/<name>` for `scope/name`. The `@`
/// keeps a scope directory from ever colliding with a package file.
/// `name` must be valid per [`validate_name`].
pub fn index_relative_path(name: &str) -> PathBuf {
    let mut path = PathBuf::from("index");
    match name.split_once('/') {
        Some((scope, name)) => {
            path.push(format!("@{scope}"));
            path.push(name);
        }
        None => path.push(name),
    }
    path
}

/// Reads the index file `file` (its content is `text`) of package `package`.
///
/// Errors name the file, the line and the field: a line that is not a JSON
/// object, a missing or mistyped field, a name other than `package`, an
/// unparsable version or requirement, two lines with the same version
/// (build metadata ignored).
pub fn parse_index(text: &str, file: &Path, package: &str) -> Result<Vec<IndexEntry>> {
    Ok(parse_lines(text, file, package)?.into_iter().map(|line| line.entry).collect())
}

/// One line of an index file and where it sits.
pub(crate) struct IndexLine {
    /// 1-based.
    pub number: usize,
    /// Byte range of the line in the file, without its newline.
    pub range: Range<usize>,
    /// Byte range of the `yanked` value within the line.
    pub yanked: Range<usize>,
    pub entry: IndexEntry,
}

pub(crate) fn parse_lines(text: &str, file: &Path, package: &str) -> Result<Vec<IndexLine>> {
    let mut lines: Vec<IndexLine> = Vec::new();
    // Each version's precedence -> its place in `lines`: one lookup per
    // line, not a scan of all earlier ones (which made 100,000 versions
    // take a minute).
    let mut seen: BTreeMap<Precedence, usize> = BTreeMap::new();
    let mut start = 0;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let number = i + 1;
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let range = start..start + line.len();
        start += raw.len();
        if line.trim().is_empty() {
            continue;
        }
        let (entry, yanked) = LineParser { line, file, number }.entry(package)?;
        let v = &entry.version;
        let precedence = Precedence(v.major, v.minor, v.patch, v.pre.clone());
        if let Some(&earlier) = seen.get(&precedence) {
            let earlier = &lines[earlier];
            return Err(LineParser { line, file, number }.error_at(
                0,
                "version",
                format!(
                    "version {} is listed twice (line {} has {}; build metadata does not make versions differ)",
                    entry.version, earlier.number, earlier.entry.version
                ),
            ));
        }
        seen.insert(precedence, lines.len());
        lines.push(IndexLine { number, range, yanked, entry });
    }
    Ok(lines)
}

/// What [`cmp_precedence`](torc_solver::semver::cmp_precedence) compares:
/// the version without its build metadata.
#[derive(PartialEq, Eq)]
struct Precedence(u64, u64, u64, Prerelease);

impl Ord for Precedence {
    fn cmp(&self, other: &Self) -> Ordering {
        #[cfg(test)]
        tests::COMPARED.with(|n| n.set(n.get() + 1));
        (self.0, self.1, self.2).cmp(&(other.0, other.1, other.2)).then_with(|| self.3.cmp(&other.3))
    }
}

impl PartialOrd for Precedence {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// `line` with its `yanked` value (at `range`, from [`IndexLine::yanked`])
/// replaced; every other byte is kept.
pub(crate) fn with_yanked(line: &str, range: Range<usize>, yanked: bool) -> String {
    format!("{}{}{}", &line[..range.start], yanked, &line[range.end..])
}

struct LineParser<'a> {
    line: &'a str,
    file: &'a Path,
    number: usize,
}

impl<'a> LineParser<'a> {
    /// An error at byte `offset` of the line.
    fn error_at(&self, offset: usize, key: &str, message: impl Into<String>) -> Error {
        let (_, column) = line_col(self.line, offset);
        Error::input(Location::new(self.file, self.number, column, key).with_excerpt(self.line), message)
    }

    fn offset_of(&self, raw: &RawValue) -> usize {
        // `raw` borrows from `self.line`, so its address is inside the line.
        raw.get().as_ptr() as usize - self.line.as_ptr() as usize
    }

    fn entry(&self, package: &str) -> Result<(IndexEntry, Range<usize>)> {
        let object: RawObject<'a> = serde_json::from_str(self.line).map_err(|e| {
            let offset = e.column().saturating_sub(1);
            self.error_at(offset, "", format!("not a valid index line: {}", without_position(&e)))
        })?;
        let field = |key: &str| self.field(&object, 0, key, key);

        let (raw, key) = field("name")?;
        let name: String = self.value(raw, &key, "a string")?;
        if let Err(message) = validate_name(&name) {
            return Err(self.error_at(self.offset_of(raw), &key, message));
        }
        if name != package {
            return Err(self.error_at(
                self.offset_of(raw),
                &key,
                format!("this is the index of `{package}`, but the line is for `{name}`"),
            ));
        }

        let (raw, key) = field("version")?;
        let text: String = self.value(raw, &key, "a string")?;
        let version = Version::parse(&text).map_err(|e| {
            self.error_at(self.offset_of(raw), &key, format!("`{text}` is not a semantic version: {e}"))
        })?;

        let (raw, key) = field("kind")?;
        let text: String = self.value(raw, &key, "a string")?;
        let kind = PackageKind::parse(&text).ok_or_else(|| {
            let kinds: Vec<&str> = PackageKind::ALL.iter().map(|k| k.as_str()).collect();
            self.error_at(
                self.offset_of(raw),
                &key,
                format!("unknown kind `{text}` (expected one of {})", kinds.join(", ")),
            )
        })?;

        let (raw, key) = field("dependencies")?;
        let items: Vec<&RawValue> = self.value(raw, &key, "an array")?;
        let mut dependencies = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let at = format!("dependencies[{i}]");
            let object: RawObject<'a> = self.value(item, &at, "an object with `name` and `req`")?;
            let (raw, key) = self.field(&object, self.offset_of(item), &at, "name")?;
            let name: String = self.value(raw, &key, "a string")?;
            if let Err(message) = validate_name(&name) {
                return Err(self.error_at(self.offset_of(raw), &key, message));
            }
            let (raw, key) = self.field(&object, self.offset_of(item), &at, "req")?;
            let req: String = self.value(raw, &key, "a string")?;
            if let Err(e) = VersionReq::parse(&req) {
                return Err(self.error_at(self.offset_of(raw), &key, e.to_string()));
            }
            dependencies.push(IndexDependency { name, req });
        }

        let (raw, key) = field("yanked")?;
        let yanked: bool = self.value(raw, &key, "`true` or `false`")?;
        let yanked_at = self.offset_of(raw)..self.offset_of(raw) + raw.get().len();

        let (raw, key) = field("blake3")?;
        let blake3: String = self.value(raw, &key, "a string")?;
        if !is_blake3_hex(&blake3) {
            return Err(self.error_at(self.offset_of(raw), &key, "expected 64 lowercase hexadecimal digits"));
        }

        Ok((IndexEntry { name, version, kind, dependencies, yanked, blake3 }, yanked_at))
    }

    /// The value of `key` in `object` (which starts at `offset`), and the
    /// field's full name under `parent`.
    fn field<'o>(
        &self,
        object: &'o RawObject<'a>,
        offset: usize,
        parent: &str,
        key: &str,
    ) -> Result<(&'a RawValue, String)> {
        let full = if parent == key { key.to_owned() } else { format!("{parent}.{key}") };
        match object.0.iter().find(|(k, _)| k == key) {
            Some((_, raw)) => Ok((raw, full)),
            None => Err(self.error_at(offset, &full, format!("missing field `{key}`"))),
        }
    }

    fn value<T: Deserialize<'a>>(&self, raw: &'a RawValue, key: &str, expected: &str) -> Result<T> {
        serde_json::from_str(raw.get())
            .map_err(|_| self.error_at(self.offset_of(raw), key, format!("expected {expected}, found `{}`", raw.get())))
    }
}

/// serde_json's message without its " at line 1 column 5" (the location
/// says that already).
fn without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

pub(crate) fn is_blake3_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A JSON object's fields in order, values unparsed and borrowed from the
/// input, so that errors can point into the line and `yanked` can be
/// rewritten in place. A key given twice is an error.
struct RawObject<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for RawObject<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = RawObject<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut fields: Vec<(String, &'de RawValue)> = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, &'de RawValue>()? {
                    if fields.iter().any(|(k, _)| *k == key) {
                        return Err(de::Error::custom(format!("key `{key}` appears twice")));
                    }
                    fields.push((key, value));
                }
                Ok(RawObject(fields))
            }
        }
        deserializer.deserialize_map(ObjectVisitor)
    }
}

mod version_text {
    use semver::Version;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(version: &Version, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(version)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Version, D::Error> {
        let text = String::deserialize(deserializer)?;
        Version::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        /// Version comparisons this thread's duplicate checks made.
        pub(super) static COMPARED: Cell<usize> = const { Cell::new(0) };
    }

    /// Comparisons to read an index of `n` distinct versions.
    fn comparisons_to_read(n: usize) -> usize {
        let text: String = (0..n).map(|i| line("torc-pid", &format!("1.{}.{}", i / 100, i % 100)) + "\n").collect();
        let before = COMPARED.with(Cell::get);
        assert_eq!(parse_index(&text, Path::new("i"), "torc-pid").unwrap().len(), n);
        COMPARED.with(Cell::get) - before
    }

    #[test]
    fn the_duplicate_check_grows_as_n_log_n() {
        // Comparing each line with every earlier one is n^2 / 2: 16 times
        // more work for 4 times the lines (32 million comparisons for
        // 8,000). A sorted map is about 4.6 times.
        let (small, large) = (comparisons_to_read(2_000), comparisons_to_read(8_000));
        assert!(small > 0 && large <= 5 * small, "{small} comparisons for 2,000 lines, {large} for 8,000");
        // And it still finds a duplicate far apart, prereleases apart.
        let mut text: String = (0..3_000).map(|i| line("torc-pid", &format!("1.{i}.0")) + "\n").collect();
        text += &(line("torc-pid", "1.5.0-rc.1") + "\n");
        assert_eq!(parse_index(&text, Path::new("i"), "torc-pid").unwrap().len(), 3_001);
        text += &(line("torc-pid", "1.5.0+b") + "\n");
        assert!(error(&text).contains("version 1.5.0+b is listed twice (line 6 has 1.5.0;"), "{}", error(&text));
    }

    const HASH: &str = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262";

    fn line(name: &str, version: &str) -> String {
        format!(
            r#"{{"name":"{name}","version":"{version}","kind":"module","dependencies":[],"yanked":false,"blake3":"{HASH}"}}"#
        )
    }

    fn error(text: &str) -> String {
        parse_index(text, Path::new("reg/index/torc-pid"), "torc-pid").unwrap_err().to_string()
    }

    #[test]
    fn a_line_has_the_documented_keys_in_order() {
        let entry = IndexEntry {
            name: "torc-pid".into(),
            version: Version::parse("1.0.3").unwrap(),
            kind: PackageKind::Module,
            dependencies: vec![IndexDependency { name: "torc-math".into(), req: ">=0.3.0, <1.0.0".into() }],
            yanked: false,
            blake3: HASH.into(),
        };
        let text = entry.to_line();
        assert_eq!(
            text,
            format!(
                r#"{{"name":"torc-pid","version":"1.0.3","kind":"module","dependencies":[{{"name":"torc-math","req":">=0.3.0, <1.0.0"}}],"yanked":false,"blake3":"{HASH}"}}"#
            )
        );
        let back = parse_index(&format!("{text}\n"), Path::new("i"), "torc-pid").unwrap();
        assert_eq!(back, vec![entry.clone()]);
        assert_eq!(serde_json::from_str::<IndexEntry>(&text).unwrap(), entry);
    }

    #[test]
    fn scoped_names_live_under_an_at_directory() {
        assert_eq!(index_relative_path("torc-pid"), Path::new("index/torc-pid"));
        assert_eq!(index_relative_path("tlapus/state-machine"), Path::new("index/@tlapus/state-machine"));
    }

    #[test]
    fn a_malformed_line_names_file_line_and_field() {
        let bad_version = line("torc-pid", "1.0");
        let text = format!("{}\n{bad_version}\n", line("torc-pid", "1.0.0"));
        let message = error(&text);
        assert!(message.starts_with("reg/index/torc-pid:2:"), "{message}");
        assert!(message.contains(": version: `1.0` is not a semantic version"), "{message}");

        let bad_req = line("torc-pid", "1.0.0")
            .replace(r#""dependencies":[]"#, r#""dependencies":[{"name":"a","req":"^1"},{"name":"b","req":">=x"}]"#);
        let message = error(&bad_req);
        assert!(message.starts_with("reg/index/torc-pid:1:"), "{message}");
        assert!(message.contains(": dependencies[1].req: invalid requirement"), "{message}");

        let missing = line("torc-pid", "1.0.0").replace(r#","yanked":false"#, "");
        assert!(error(&missing).contains(": yanked: missing field `yanked`"), "{}", error(&missing));

        let mistyped = line("torc-pid", "1.0.0").replace(r#""yanked":false"#, r#""yanked":"no""#);
        assert!(error(&mistyped).contains(": yanked: expected `true` or `false`"), "{}", error(&mistyped));

        let not_json = "{\"name\":\"torc-pid\",";
        assert!(error(not_json).starts_with("reg/index/torc-pid:1:"), "{}", error(not_json));
        assert!(error("[1]").contains("not a valid index line"), "{}", error("[1]"));
    }

    #[test]
    fn the_column_points_at_the_field_value() {
        let text = line("torc-pid", "1.0");
        let column = text.find("\"1.0\"").unwrap() + 1;
        assert!(error(&text).starts_with(&format!("reg/index/torc-pid:1:{column}: version:")), "{}", error(&text));
    }

    #[test]
    fn a_line_for_another_package_is_an_error() {
        let message = error(&line("torc-math", "1.0.0"));
        assert!(
            message.contains(": name: this is the index of `torc-pid`, but the line is for `torc-math`"),
            "{message}"
        );
    }

    #[test]
    fn a_version_listed_twice_is_an_error_even_with_other_build_metadata() {
        let text = format!("{}\n{}\n", line("torc-pid", "1.0.0"), line("torc-pid", "1.0.0+build.5"));
        let message = error(&text);
        assert!(message.starts_with("reg/index/torc-pid:2:"), "{message}");
        assert!(message.contains("listed twice (line 1 has 1.0.0"), "{message}");
    }

    #[test]
    fn a_key_given_twice_is_an_error() {
        let text = line("torc-pid", "1.0.0").replace(r#""yanked":false"#, r#""yanked":false,"yanked":true"#);
        assert!(error(&text).contains("`yanked` appears twice"), "{}", error(&text));
    }

    #[test]
    fn unknown_keys_are_ignored_and_kept_by_a_yank() {
        let text = line("torc-pid", "1.0.0").replace(r#""yanked":false"#, r#""signatures":["x"], "yanked" : false"#);
        let lines = parse_lines(&text, Path::new("i"), "torc-pid").unwrap();
        let rewritten = with_yanked(&text[lines[0].range.clone()], lines[0].yanked.clone(), true);
        assert_eq!(rewritten, text.replace(r#""yanked" : false"#, r#""yanked" : true"#));
        assert!(parse_index(&rewritten, Path::new("i"), "torc-pid").unwrap()[0].yanked);
    }
}
