//! `torc.lock`: the exact releases a project resolved to, so that the next
//! resolution (on another machine, a month later) picks the same ones.
//!
//! Every resolved package is recorded with its version, the registry it came
//! from and the BLAKE3 of its archive. The file is TOML, written by
//! [`Lockfile::render`] in a stable order (packages by name, then version),
//! so the same resolution always produces the same bytes and a change to it
//! shows as a small diff:
//!
//! ```
//! use torc_engine::lock::{Lockfile, LockedPackage};
//! use torc_engine::package::PackageKind;
//!
//! let lock = Lockfile {
//!     packages: vec![LockedPackage {
//!         name: "torc-math".into(),
//!         version: "0.4.1".parse().unwrap(),
//!         kind: PackageKind::Module,
//!         source: "local".into(),
//!         blake3: "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262".into(),
//!         dependencies: vec![],
//!     }],
//! };
//! let text = lock.render();
//! assert!(text.contains("name = \"torc-math\"\nversion = \"0.4.1\""));
//! let again = Lockfile::parse("torc.lock".as_ref(), &text).unwrap();
//! assert_eq!(again, lock);
//! ```

use crate::error::{line_col, Error, Location, Result};
use crate::fs::write_atomic;
use crate::package::PackageKind;
use semver::Version;
use std::fmt::Write as _;
use std::path::Path;
use toml_edit::{Document, Item, Value};

/// The file name, beside the project's manifest.
pub const LOCK_FILE: &str = "torc.lock";

/// The lockfile format this version writes and reads.
const FORMAT_VERSION: i64 = 1;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lockfile {
    /// Sorted by name, then version (see [`Lockfile::sort`]).
    pub packages: Vec<LockedPackage>,
}

/// One resolved package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockedPackage {
    pub name: String,
    pub version: Version,
    pub kind: PackageKind,
    /// The name of the registry it came from.
    pub source: String,
    /// BLAKE3 of the published archive, lowercase hex.
    pub blake3: String,
    /// `name version` of each dependency it resolved to, sorted.
    pub dependencies: Vec<String>,
}

impl Lockfile {
    pub fn sort(&mut self) {
        for package in &mut self.packages {
            package.dependencies.sort();
        }
        self.packages.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.version.cmp(&b.version)));
    }

    /// The locked package called `name`, if any.
    pub fn get(&self, name: &str) -> Option<&LockedPackage> {
        self.packages.iter().find(|p| p.name == name)
    }

    /// The file's text: a header comment, `version = 1`, one `[[package]]`
    /// table per package in stable order.
    pub fn render(&self) -> String {
        let mut sorted = self.clone();
        sorted.sort();
        let mut out = String::new();
        out.push_str("# torc.lock: the releases this project resolved to. Written by torc; do not edit.\n");
        let _ = writeln!(out, "version = {FORMAT_VERSION}");
        for package in &sorted.packages {
            out.push_str("\n[[package]]\n");
            let _ = writeln!(out, "name = {}", quote(&package.name));
            let _ = writeln!(out, "version = {}", quote(&package.version.to_string()));
            let _ = writeln!(out, "kind = {}", quote(package.kind.as_str()));
            let _ = writeln!(out, "source = {}", quote(&package.source));
            let _ = writeln!(out, "blake3 = {}", quote(&package.blake3));
            if package.dependencies.is_empty() {
                out.push_str("dependencies = []\n");
            } else {
                out.push_str("dependencies = [\n");
                for dependency in &package.dependencies {
                    let _ = writeln!(out, "    {},", quote(dependency));
                }
                out.push_str("]\n");
            }
        }
        out
    }

    /// Reads `path`; `None` when it does not exist.
    pub fn read(path: &Path) -> Result<Option<Lockfile>> {
        // Never through a link: a planted `torc.lock -> /etc/shadow` must
        // not be parsed, nor its lines shown in an error.
        match crate::fs::read_regular(path, crate::fs::MAX_TEXT_FILE) {
            Ok(bytes) => Lockfile::parse(path, &crate::manifest::decode_utf8(path, bytes)?).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// Writes the lockfile atomically, unless `path` already holds exactly
    /// these bytes. Returns whether the file changed.
    pub fn write(&self, path: &Path) -> Result<bool> {
        let text = self.render();
        if crate::fs::read_optional_text(path, crate::fs::MAX_TEXT_FILE).is_ok_and(|old| old.as_deref() == Some(&text)) {
            return Ok(false);
        }
        write_atomic(path, text.as_bytes())?;
        Ok(true)
    }

    /// Parses a lockfile. Every problem names the line and key.
    pub fn parse(file: &Path, text: &str) -> Result<Lockfile> {
        let document: Document<&str> = Document::parse(text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |span| line_col(text, span.start));
            Error::input(Location::in_text(file, text, line, column, ""), format!("not valid TOML: {}", e.message()))
        })?;
        let reader = Reader { file, text };
        let table = document.as_table();
        let mut packages = Vec::new();
        let mut saw_version = false;
        for (key, item) in table.iter() {
            match key {
                "version" => {
                    saw_version = true;
                    match item.as_integer() {
                        Some(FORMAT_VERSION) => {}
                        Some(other) => {
                            return Err(reader.error(
                                item.span(),
                                "version",
                                format!("lockfile format {other} is not supported (this torc reads format {FORMAT_VERSION}); delete torc.lock to re-resolve"),
                            ))
                        }
                        None => return Err(reader.error(item.span(), "version", "expected an integer")),
                    }
                }
                "package" => {
                    let Some(array) = item.as_array_of_tables() else {
                        return Err(reader.error(item.span(), "package", "expected [[package]] tables"));
                    };
                    for (i, entry) in array.iter().enumerate() {
                        packages.push(reader.package(entry, i)?);
                    }
                }
                other => {
                    let span = table.key(other).and_then(|k| k.span());
                    return Err(reader.error(span, other, format!("unknown key `{other}`; expected `version` or `[[package]]`")));
                }
            }
        }
        if !saw_version {
            return Err(Error::input(Location::in_text(file, text, 1, 1, "version"), "missing `version = 1`"));
        }
        let mut lock = Lockfile { packages };
        lock.sort();
        for pair in lock.packages.windows(2) {
            if pair[0].name == pair[1].name {
                return Err(Error::input(
                    Location::in_text(file, text, 1, 1, "package"),
                    format!("{} is locked twice ({} and {})", pair[0].name, pair[0].version, pair[1].version),
                ));
            }
        }
        Ok(lock)
    }
}

struct Reader<'a> {
    file: &'a Path,
    text: &'a str,
}

impl Reader<'_> {
    fn error(&self, span: Option<std::ops::Range<usize>>, key: &str, message: impl Into<String>) -> Error {
        let (line, column) = span.map_or((1, 1), |span| line_col(self.text, span.start));
        Error::input(Location::in_text(self.file, self.text, line, column, key), message)
    }

    fn package(&self, table: &toml_edit::Table, index: usize) -> Result<LockedPackage> {
        let path = |key: &str| format!("package[{index}].{key}");
        let header = table.span();
        let string = |key: &str| -> Result<String> {
            match table.get(key) {
                Some(Item::Value(Value::String(s))) => Ok(s.value().clone()),
                Some(item) => Err(self.error(item.span(), &path(key), "expected a string")),
                None => Err(self.error(header.clone(), &path(key), format!("missing `{key}`"))),
            }
        };
        for (key, _) in table.iter() {
            if !["name", "version", "kind", "source", "blake3", "dependencies"].contains(&key) {
                let span = table.key(key).and_then(|k| k.span());
                return Err(self.error(
                    span,
                    &path(key),
                    format!("unknown key `{key}`; expected one of: name, version, kind, source, blake3, dependencies"),
                ));
            }
        }
        let name = string("name")?;
        let version_text = string("version")?;
        let version = Version::parse(&version_text).map_err(|e| {
            self.error(table.get("version").and_then(|i| i.span()), &path("version"), format!("`{version_text}` is not a version: {e}"))
        })?;
        let kind_text = string("kind")?;
        let kind = PackageKind::parse(&kind_text).ok_or_else(|| {
            self.error(
                table.get("kind").and_then(|i| i.span()),
                &path("kind"),
                format!("unknown kind `{kind_text}`; expected module, platform, proof or spec"),
            )
        })?;
        let source = string("source")?;
        let blake3 = string("blake3")?;
        if blake3.len() != 64 || !blake3.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(self.error(
                table.get("blake3").and_then(|i| i.span()),
                &path("blake3"),
                "expected 64 lowercase hex digits",
            ));
        }
        let dependencies = match table.get("dependencies") {
            None => Vec::new(),
            Some(item) => {
                let Some(array) = item.as_array() else {
                    return Err(self.error(item.span(), &path("dependencies"), "expected an array of strings"));
                };
                let mut out = Vec::new();
                for value in array.iter() {
                    match value.as_str() {
                        Some(s) => out.push(s.to_owned()),
                        None => return Err(self.error(value.span(), &path("dependencies"), "expected a string")),
                    }
                }
                out
            }
        };
        Ok(LockedPackage { name, version, kind, source, blake3, dependencies })
    }
}

/// A TOML basic string.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262";

    fn package(name: &str, version: &str, dependencies: &[&str]) -> LockedPackage {
        LockedPackage {
            name: name.into(),
            version: version.parse().unwrap(),
            kind: PackageKind::Module,
            source: "local".into(),
            blake3: HASH.into(),
            dependencies: dependencies.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn renders_in_a_stable_order_whatever_the_input_order() {
        let a = Lockfile { packages: vec![package("torc-pid", "1.0.3", &["torc-math 0.4.1"]), package("torc-can", "0.8.0", &[])] };
        let b = Lockfile { packages: vec![package("torc-can", "0.8.0", &[]), package("torc-pid", "1.0.3", &["torc-math 0.4.1"])] };
        assert_eq!(a.render(), b.render());
        let text = a.render();
        assert!(text.find("torc-can").unwrap() < text.find("torc-pid").unwrap());
    }

    #[test]
    fn round_trips() {
        let mut lock = Lockfile {
            packages: vec![package("torc-pid", "1.0.3", &["torc-math 0.4.1"]), package("tla/state-machine", "1.0.0-rc.1", &[])],
        };
        lock.sort();
        assert_eq!(Lockfile::parse(Path::new("torc.lock"), &lock.render()).unwrap(), lock);
    }

    #[test]
    fn errors_name_the_line_and_key() {
        let text = format!(
            "version = 1\n\n[[package]]\nname = \"a\"\nversion = \"1.0\"\nkind = \"module\"\nsource = \"local\"\nblake3 = \"{HASH}\"\n"
        );
        let err = Lockfile::parse(Path::new("torc.lock"), &text).unwrap_err().to_string();
        assert!(err.starts_with("torc.lock:5:11: package[0].version: `1.0` is not a version"), "{err}");

        let text = format!("version = 1\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nkind = \"module\"\nsource = \"local\"\nblake3 = \"{HASH}\"\nextra = 1\n");
        let err = Lockfile::parse(Path::new("torc.lock"), &text).unwrap_err().to_string();
        assert!(err.starts_with("torc.lock:8:1: package[0].extra: unknown key"), "{err}");

        let err = Lockfile::parse(Path::new("torc.lock"), "version = 2\n").unwrap_err().to_string();
        assert!(err.contains("format 2 is not supported"), "{err}");

        let err = Lockfile::parse(Path::new("torc.lock"), "version = [\n").unwrap_err().to_string();
        assert!(err.starts_with("torc.lock:"), "{err}");
        assert!(err.contains("not valid TOML"), "{err}");
    }

    #[test]
    fn a_package_locked_twice_is_refused() {
        let lock = Lockfile { packages: vec![package("a", "1.0.0", &[]), package("a", "1.1.0", &[])] };
        let err = Lockfile::parse(Path::new("torc.lock"), &lock.render()).unwrap_err().to_string();
        assert!(err.contains("a is locked twice"), "{err}");
    }

    #[test]
    fn write_leaves_an_identical_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_FILE);
        let lock = Lockfile { packages: vec![package("a", "1.0.0", &[])] };
        assert!(lock.write(&path).unwrap());
        assert!(!lock.write(&path).unwrap());
        assert_eq!(Lockfile::read(&path).unwrap(), Some(lock));
        assert_eq!(Lockfile::read(&dir.path().join("missing.lock")).unwrap(), None);
    }
}
