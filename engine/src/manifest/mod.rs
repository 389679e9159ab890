//! Reading `torc.toml` and `spec.yaml` into a [`Manifest`].
//!
//! A package directory holds exactly one manifest: `torc.toml` for graph
//! modules, platform models and proof libraries, `spec.yaml` for
//! specification packages (the SpecRegistry format). Both read into the same
//! [`Manifest`], so every kind resolves side by side.
//!
//! Reading is strict: an unknown key, a value of the wrong type or a value
//! that does not mean anything is an [`Error::Input`] naming the file, the
//! 1-based line and column and the dotted key path
//! (`module.resource-bounds.stack`, `module.interfaces.inputs[2].type`,
//! `dependencies.torc-math`; array indexes count from 0). Reading never
//! panics, whatever the input.
//!
//! # `torc.toml`
//!
//! Exactly one *kind section* says what the package is: `[module]` (a graph
//! module), `[platform]` (a platform model) or `[proof-library]` (a proof
//! library). It holds `name` and `version` (both required) and the optional
//! `description`, `authors`, `license`, `repository`, `homepage`,
//! `keywords` and `categories`. A module has more, in subsections:
//!
//! | section | keys |
//! |---|---|
//! | `[module.safety]` | `max-integrity-level` (`QM`, `ASIL-A`..`ASIL-D`, `SIL-1`..`SIL-4`, `DAL-A`..`DAL-E`), `verification-coverage` (0 to 100) |
//! | `[module.compatibility]` | `torc-edition` (`">=2026, <2030"`; a bare year is exact), `min-toolchain` (a version) |
//! | `[module.interfaces]` | `inputs`, `outputs`: ports with `name` (an identifier), `type`, `contract` (default `"true"`) and, for inputs, `default`; written as arrays of inline tables or as `[[module.interfaces.inputs]]` |
//! | `[module.resource-bounds]` | `stack`, `heap` (`"<= 256 bytes"`: `bytes`, `B`, `KiB`, `MiB`, `GiB`, `kB`, `MB`, `GB`), `wcet` (`"<= 5000 cycles"`), `effects` (`"pure"`, `"io, alloc"` or `["io", "alloc"]`) |
//! | `[module.types]` | record types ports may use: `PIDConfig = { kp = "Float<32>" }` |
//! | `[module.predicates]` | named predicates contracts may use: `valid_gains = "kp >= 0.0"` |
//!
//! At the top level, `[dependencies]` and `[dev-dependencies]` map package
//! names to requirements (`torc-math = ">=0.3.0, <1.0.0"` or
//! `torc-math = { version = "..." }`), in Torc's dialect: a bare `1.2.3`
//! means exactly that version. `[trust]` sets the project's policy
//! (`required-signatures`, `reject-unsigned`, `reject-yanked`,
//! `allow-axioms`: whether proofs may rest on axioms; by default not when
//! `[module.safety]` claims a `max-integrity-level`, yes otherwise).
//!
//! ```
//! use std::path::Path;
//! use torc_engine::manifest::parse_torc_toml;
//! use torc_engine::package::{Details, IntegrityLevel, PackageKind};
//!
//! let text = r#"
//! [module]
//! name = "torc-pid"
//! version = "1.0.3"
//!
//! [module.safety]
//! max-integrity-level = "ASIL-D"
//!
//! [module.interfaces]
//! inputs = [{ name = "dt", type = "Float<32>", contract = "value > 0.0" }]
//! outputs = [{ name = "output", type = "Float<32>" }]
//!
//! [module.resource-bounds]
//! stack = "<= 256 bytes"
//! effects = "pure"
//!
//! [dependencies]
//! torc-math = ">=0.3.0, <1.0.0"
//! "#;
//! let manifest = parse_torc_toml(Path::new("torc.toml"), text).unwrap();
//! assert_eq!(manifest.kind, PackageKind::Module);
//! assert_eq!(manifest.dependencies[0].name, "torc-math");
//! assert_eq!(manifest.dependencies[0].line, 18);
//! let Details::Module(module) = &manifest.details else { unreachable!() };
//! assert_eq!(module.safety.as_ref().unwrap().max_integrity_level, Some(IntegrityLevel::Asil('D')));
//! assert_eq!(module.interfaces.outputs[0].contract, "true");
//! assert_eq!(module.resource_bounds.as_ref().unwrap().stack.unwrap().amount, 256);
//!
//! // Mistakes are reported where they are, with the key path.
//! let err = parse_torc_toml(Path::new("torc.toml"), "[module]\nname = \"x\"\nversion = \"1.0\"\n").unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "torc.toml:3:11: module.version: invalid version `1.0`: unexpected end of input while parsing minor version number (versions are MAJOR.MINOR.PATCH, such as 1.0.0)"
//! );
//! ```
//!
//! # `spec.yaml`
//!
//! The SpecRegistry manifest: `name` (scoped names such as
//! `tlapus/state-machine` are fine), `version` and `framework` are required;
//! `description`, `dependencies` and `devDependencies` (name to requirement
//! string), `specifications` (`main`, `modules`), `tests`, `documentation`
//! (name to file), `tools` (free-form, kept as JSON data), `keywords`,
//! `license`, `author`, `repository` and `homepage` are optional. Write
//! versions in quotes: YAML reads `version: 1.2` as a number.
//!
//! ```
//! use std::path::Path;
//! use torc_engine::manifest::parse_spec_yaml;
//!
//! let text = "name: payment-protocol\nversion: \"1.2.3\"\nframework: tlaplus\ndependencies:\n  crypto/algorithms: \"~2.1.0\"\n";
//! let manifest = parse_spec_yaml(Path::new("spec.yaml"), text).unwrap();
//! assert_eq!(manifest.dependencies[0].name, "crypto/algorithms");
//! assert_eq!(manifest.dependencies[0].line, 5);
//! ```

use crate::error::{Error, Location, Result};
use crate::package::Manifest;
use std::path::{Path, PathBuf};

mod quantity;
mod spec_yaml;
mod torc_toml;

#[cfg(test)]
mod toml_tests;
#[cfg(test)]
mod yaml_tests;

pub use quantity::parse_quantity;
pub use spec_yaml::parse_spec_yaml;
pub use torc_toml::parse_torc_toml;

/// The manifest of graph modules, platform models and proof libraries.
pub const TORC_TOML: &str = "torc.toml";
/// The manifest of specification packages.
pub const SPEC_YAML: &str = "spec.yaml";

/// The manifest file in `dir` (`torc.toml` or `spec.yaml`).
///
/// Both present is an error naming the directory; neither is
/// [`Error::ManifestNotFound`].
pub fn manifest_path(dir: &Path) -> Result<PathBuf> {
    let toml = dir.join(TORC_TOML);
    let yaml = dir.join(SPEC_YAML);
    match (toml.is_file(), yaml.is_file()) {
        (true, true) => Err(Error::input(
            Location::new(&yaml, 1, 1, ""),
            format!(
                "{} has both {TORC_TOML} and {SPEC_YAML}; a package has exactly one manifest: remove the one that does not describe it",
                dir.display()
            ),
        )),
        (true, false) => Ok(toml),
        (false, true) => Ok(yaml),
        (false, false) => Err(Error::ManifestNotFound { dir: dir.to_path_buf() }),
    }
}

/// Walks up from `dir` through its parents to the first directory with a
/// manifest and returns that manifest's path. A relative `dir` is taken
/// from the current directory, so the walk does not stop at `.`.
pub fn find(dir: &Path) -> Result<PathBuf> {
    let start = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    for ancestor in start.ancestors() {
        match manifest_path(ancestor) {
            Err(Error::ManifestNotFound { .. }) => continue,
            found => return found,
        }
    }
    Err(Error::ManifestNotFound { dir: dir.to_path_buf() })
}

/// Reads and parses a manifest file. The format follows the file name:
/// `torc.toml` (or any `*.toml`) is TOML, `spec.yaml` (or any `*.yaml`,
/// `*.yml`) is YAML.
pub fn read(path: &Path) -> Result<Manifest> {
    let format = Format::of(path).ok_or_else(|| {
        Error::input(
            Location::new(path, 1, 1, ""),
            format!("not a manifest file name: expected {TORC_TOML} or {SPEC_YAML}"),
        )
    })?;
    // A regular file of bounded size, never through a link at its name.
    let bytes = crate::fs::read_regular(path, crate::fs::MAX_TEXT_FILE).map_err(|e| Error::io(path, e))?;
    let text = decode_utf8(path, bytes)?;
    match format {
        Format::Toml => parse_torc_toml(path, &text),
        Format::Yaml => parse_spec_yaml(path, &text),
    }
}

/// `bytes`, the content of `path`, as text. Bad input, not a file-system
/// failure: an invalid byte is an [`Error::Input`] at its line and column
/// (columns count characters, as everywhere).
///
/// ```
/// use std::path::Path;
/// let err = torc_engine::manifest::decode_utf8(Path::new("torc.toml"), b"[module]\nname = \"\xff\"\n".to_vec());
/// assert_eq!(
///     err.unwrap_err().to_string(),
///     "torc.toml:2:9: not valid UTF-8: byte 0xff (at byte offset 17) does not start a character"
/// );
/// ```
pub fn decode_utf8(path: &Path, bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        let error = e.utf8_error();
        let bytes = e.as_bytes();
        let at = error.valid_up_to();
        let valid = std::str::from_utf8(&bytes[..at]).expect("valid_up_to ends valid UTF-8");
        let (line, column) = crate::error::line_col(valid, at);
        let what = match error.error_len() {
            Some(_) => format!("byte {:#04x} (at byte offset {at}) does not start a character", bytes[at]),
            None => format!("the text ends inside a character (at byte offset {at})"),
        };
        Error::input(Location::new(path, line, column, ""), format!("not valid UTF-8: {what}"))
    })
}

/// Parses `text` as the manifest `path` names, as [`read`] would.
pub(crate) fn read_text(path: &Path, text: &str) -> Result<Manifest> {
    match Format::of(path) {
        Some(Format::Yaml) => parse_spec_yaml(path, text),
        _ => parse_torc_toml(path, text),
    }
}

/// The two manifest formats, told apart by file name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Toml,
    Yaml,
}

impl Format {
    pub(crate) fn of(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()? {
            "toml" => Some(Format::Toml),
            "yaml" | "yml" => Some(Format::Yaml),
            _ => None,
        }
    }
}

/// Appends `key` to a dotted key path, quoting it when it is not a bare
/// TOML key (`dependencies."crypto/algorithms"`).
pub(crate) fn key_path(parent: &str, key: &str) -> String {
    let bare = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let key = if bare { key.to_owned() } else { format!("{key:?}") };
    if parent.is_empty() {
        key
    } else {
        format!("{parent}.{key}")
    }
}

/// `module.interfaces.inputs[2]`.
pub(crate) fn index_path(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// How a table is named in messages: `[module.safety]`, or "the top level".
pub(crate) fn table_name(path: &str) -> String {
    if path.is_empty() {
        "the top level".to_owned()
    } else {
        format!("[{path}]")
    }
}

/// `unknown key `foo` in [module.safety]; expected one of: ...`; `what`
/// is "key `foo`" or "table `[foo]`", `place` "in [module]" or "at the top level".
pub(crate) fn unknown_key_message(what: &str, place: &str, allowed: &[&str]) -> String {
    format!("unknown {what} {place}; expected one of: {}", allowed.join(", "))
}

/// The message for a bad `version`, shared by both formats.
pub(crate) fn check_version(text: &str) -> Result<semver::Version, String> {
    semver::Version::parse(text.trim()).map_err(|e| {
        format!("invalid version `{}`: {e} (versions are MAJOR.MINOR.PATCH, such as 1.0.0)", quantity::shorten(text))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn manifest_path_finds_either_file_and_refuses_both() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(manifest_path(dir.path()), Err(Error::ManifestNotFound { .. })));
        fs::write(dir.path().join(TORC_TOML), "").unwrap();
        assert_eq!(manifest_path(dir.path()).unwrap(), dir.path().join(TORC_TOML));
        fs::write(dir.path().join(SPEC_YAML), "").unwrap();
        let err = manifest_path(dir.path()).unwrap_err();
        assert!(matches!(err, Error::Input { .. }));
        assert!(err.to_string().contains(&dir.path().display().to_string()), "{err}");
        fs::remove_file(dir.path().join(TORC_TOML)).unwrap();
        assert_eq!(manifest_path(dir.path()).unwrap(), dir.path().join(SPEC_YAML));
    }

    #[test]
    fn find_walks_up_to_the_nearest_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a").join("b");
        fs::create_dir_all(&deep).unwrap();
        fs::write(dir.path().join(SPEC_YAML), "").unwrap();
        assert_eq!(find(&deep).unwrap(), dir.path().join(SPEC_YAML));
        fs::write(dir.path().join("a").join(TORC_TOML), "").unwrap();
        assert_eq!(find(&deep).unwrap(), dir.path().join("a").join(TORC_TOML));
    }

    #[test]
    fn find_reports_the_starting_directory_when_there_is_none() {
        // The temp dir's ancestors (/tmp, /) hold no manifest on a sane machine;
        // skip rather than fail when one does.
        let dir = tempfile::tempdir().unwrap();
        if dir.path().ancestors().any(|a| manifest_path(a).is_ok()) {
            return;
        }
        match find(dir.path()) {
            Err(Error::ManifestNotFound { dir: reported }) => assert_eq!(reported, dir.path()),
            other => panic!("expected ManifestNotFound, got {other:?}"),
        }
    }

    #[test]
    fn read_dispatches_on_the_file_name_and_reports_io_errors() {
        let dir = tempfile::tempdir().unwrap();
        let toml = dir.path().join(TORC_TOML);
        fs::write(&toml, "[platform]\nname = \"board\"\nversion = \"0.1.0\"\n").unwrap();
        let manifest = read(&toml).unwrap();
        assert_eq!(manifest.file, toml);
        assert_eq!(manifest.name, "board");

        let yaml = dir.path().join(SPEC_YAML);
        fs::write(&yaml, "name: spec\nversion: \"0.1.0\"\nframework: alloy\n").unwrap();
        assert_eq!(read(&yaml).unwrap().name, "spec");

        let missing = dir.path().join("sub").join(TORC_TOML);
        assert!(matches!(read(&missing), Err(Error::Io { .. })));

        let other = dir.path().join("Cargo.lock");
        assert!(matches!(read(&other), Err(Error::Input { .. })));
    }

    #[test]
    fn key_paths_quote_what_is_not_a_bare_key() {
        assert_eq!(key_path("", "module"), "module");
        assert_eq!(key_path("module", "resource-bounds"), "module.resource-bounds");
        assert_eq!(key_path("dependencies", "crypto/algorithms"), "dependencies.\"crypto/algorithms\"");
        assert_eq!(index_path("module.interfaces.inputs", 2), "module.interfaces.inputs[2]");
    }
}
