//! `torc init`: a new package directory with a manifest for its kind.
//!
//! The manifests are written from templates that show the format (an
//! example port with a contract, resource bounds, an empty
//! `[dependencies]`) and that the manifest reader accepts as they are.

use crate::error::{Error, Location, Result};
use crate::fs::write_atomic;
use crate::manifest::{self, SPEC_YAML, TORC_TOML};
use crate::package::{validate_name, PackageKind};
use std::fs;
use std::path::{Path, PathBuf};

/// Creates a new package in `dir` (created if missing): a manifest for
/// `kind` named `name` (by default the directory's name), version 0.1.0,
/// written atomically. Returns the manifest's path.
///
/// Refuses when `dir` already has a `torc.toml` or `spec.yaml`, and when
/// the name is not a valid package name (then the user is told to pass
/// `--name`). A specification package also gets `specs/`, `tests/`,
/// `docs/` and a stub `specs/main.tla`; a proof library gets
/// `lemmas/main.lemma`; files that exist are kept.
///
/// ```
/// use torc_engine::{init::init, manifest, package::PackageKind};
/// let dir = tempfile::tempdir().unwrap();
/// let path = init(&dir.path().join("torc-pid"), PackageKind::Module, None).unwrap();
/// let manifest = manifest::read(&path).unwrap();
/// assert_eq!((manifest.name.as_str(), manifest.version.to_string().as_str()), ("torc-pid", "0.1.0"));
/// ```
pub fn init(dir: &Path, kind: PackageKind, name: Option<&str>) -> Result<PathBuf> {
    let file_name = if kind == PackageKind::Spec { SPEC_YAML } else { TORC_TOML };
    let path = dir.join(file_name);
    for existing in [TORC_TOML, SPEC_YAML].map(|f| dir.join(f)) {
        if existing.exists() {
            return Err(Error::input(
                Location::new(&existing, 1, 1, ""),
                format!(
                    "{} already has a manifest; torc init does not overwrite one (edit it, or init another directory)",
                    dir.display()
                ),
            ));
        }
    }
    let name = match name {
        Some(name) => {
            validate_name(name).map_err(|message| Error::input(Location::new(&path, 1, 1, "name"), message))?;
            name.to_owned()
        }
        None => default_name(dir, &path)?,
    };

    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let text = template(kind, &name);
    // The templates are the format's first example: they must read back.
    manifest::read_text(&path, &text)?;
    if kind == PackageKind::Spec {
        for sub in ["specs", "tests", "docs"] {
            crate::fs::create_dir_within(dir, &dir.join(sub))?;
        }
        let main = dir.join("specs").join("main.tla");
        if !main.exists() {
            write_atomic(&main, MAIN_TLA.as_bytes())?;
        }
    }
    if kind == PackageKind::Proof {
        let lemmas = dir.join("lemmas");
        crate::fs::create_dir_within(dir, &lemmas)?;
        let main = lemmas.join("main.lemma");
        if !main.exists() {
            write_atomic(&main, MAIN_LEMMA.as_bytes())?;
        }
    }
    write_atomic(&path, text.as_bytes())?;
    Ok(path)
}

/// The directory's own name, when it is a valid package name.
fn default_name(dir: &Path, manifest: &Path) -> Result<String> {
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let Some(dir_name) = absolute.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Err(Error::input(
            Location::new(manifest, 1, 1, "name"),
            format!("{} has no name to give the package; pass --name <name>", dir.display()),
        ));
    };
    validate_name(&dir_name).map_err(|message| {
        Error::input(
            Location::new(manifest, 1, 1, "name"),
            format!("the directory name cannot be the package name ({message}); pass --name <name>"),
        )
    })?;
    Ok(dir_name)
}

/// The first lemma file of a new proof library (the syntax is
/// `torc_proofs::lemma`'s).
const MAIN_LEMMA: &str = "// A lemma: for all parameters, `requires` implies `ensures`; Z3 proves it\n\
// when the library is built. An `axiom NAME(...) reason \"...\"` is taken unproved.\n\
lemma abs_non_negative(x: Float<32>)\n  requires !is_nan(x)\n  ensures abs(x) >= 0.0\n";

fn template(kind: PackageKind, name: &str) -> String {
    match kind {
        PackageKind::Module => format!(
            r#"[module]
name = "{name}"
version = "0.1.0"
description = "What {name} computes, in one sentence"
license = "MIT OR Apache-2.0"

[module.interfaces]
# The module's public API: every port has a type and a contract.
inputs = [
    {{ name = "input", type = "Float<32>", contract = "finite" }},
]
outputs = [
    {{ name = "output", type = "Float<32>", contract = "finite" }},
]

[module.resource-bounds]
# Bounds that hold on every target.
stack = "<= 256 bytes"
heap = "0 bytes"
effects = "pure"

[dependencies]
"#
        ),
        PackageKind::Platform => format!(
            r#"[platform]
name = "{name}"
version = "0.1.0"
description = "The target {name} describes, in one sentence"
license = "MIT OR Apache-2.0"

[dependencies]
"#
        ),
        PackageKind::Proof => format!(
            r#"[proof-library]
name = "{name}"
version = "0.1.0"
description = "What the lemmas in {name} prove, in one sentence"
license = "MIT OR Apache-2.0"
# Lemma files, relative to this directory; every lemma is proved by Z3
# when the library is built.
lemmas = ["lemmas/main.lemma"]

[dependencies]
"#
        ),
        PackageKind::Spec => format!(
            r#"name: "{name}"
version: "0.1.0"
framework: "tlaplus"
description: "What {name} specifies, in one sentence"
license: "MIT OR Apache-2.0"

dependencies: {{}}

specifications:
  main: "specs/main.tla"
"#
        ),
    }
}

const MAIN_TLA: &str = r#"---------------------------- MODULE main ----------------------------
EXTENDS Naturals

VARIABLE x

Init == x = 0
Next == x' = x + 1

Spec == Init /\ [][Next]_x
======================================================================
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::Details;

    #[test]
    fn every_kind_reads_back() {
        let root = tempfile::tempdir().unwrap();
        for kind in PackageKind::ALL {
            let dir = root.path().join(format!("new-{kind}"));
            let path = init(&dir, kind, None).unwrap();
            let manifest = manifest::read(&path).unwrap();
            assert_eq!(manifest.kind, kind);
            assert_eq!(manifest.name, format!("new-{kind}"));
            assert_eq!(manifest.version, semver::Version::new(0, 1, 0));
            assert!(manifest.dependencies.is_empty());
            match (&manifest.details, kind) {
                (Details::Module(module), _) => {
                    assert_eq!(module.interfaces.inputs.len(), 1);
                    assert_eq!(module.interfaces.outputs[0].contract, "finite");
                    assert!(module.resource_bounds.as_ref().unwrap().effects.as_ref().unwrap().is_pure());
                }
                (Details::Spec(spec), _) => {
                    assert_eq!(spec.main.as_deref(), Some("specs/main.tla"));
                    for sub in ["specs", "tests", "docs"] {
                        assert!(dir.join(sub).is_dir(), "{sub}/");
                    }
                    let tla = fs::read_to_string(dir.join("specs/main.tla")).unwrap();
                    assert!(tla.contains("MODULE main"));
                }
                (Details::Platform(_), PackageKind::Platform) | (Details::Proof(_), PackageKind::Proof) => {}
                (details, kind) => panic!("{kind} got {details:?}"),
            }
        }
    }

    #[test]
    fn an_explicit_name_wins_and_is_checked() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("Some Dir");
        let err = init(&dir, PackageKind::Module, None).unwrap_err();
        assert!(err.to_string().contains("--name"), "{err}");
        assert!(!dir.exists(), "nothing is created for a refused init");
        let err = init(&dir, PackageKind::Module, Some("Bad Name")).unwrap_err();
        assert!(matches!(err, Error::Input { .. }), "{err}");
        let path = init(&dir, PackageKind::Spec, Some("org/some-spec")).unwrap();
        assert_eq!(manifest::read(&path).unwrap().name, "org/some-spec");
    }

    #[test]
    fn refuses_a_directory_that_has_a_manifest() {
        let root = tempfile::tempdir().unwrap();
        let path = init(root.path(), PackageKind::Spec, Some("first")).unwrap();
        let before = fs::read_to_string(&path).unwrap();
        let err = init(root.path(), PackageKind::Module, Some("second")).unwrap_err();
        match &err {
            Error::Input { location, .. } => {
                assert_eq!((location.file.as_path(), location.line), (path.as_path(), 1));
            }
            other => panic!("{other}"),
        }
        assert_eq!(fs::read_to_string(&path).unwrap(), before);
        assert!(!root.path().join(TORC_TOML).exists());
    }

    #[test]
    fn keeps_an_existing_main_tla() {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("specs")).unwrap();
        fs::write(root.path().join("specs/main.tla"), "mine").unwrap();
        init(root.path(), PackageKind::Spec, Some("spec")).unwrap();
        assert_eq!(fs::read_to_string(root.path().join("specs/main.tla")).unwrap(), "mine");
    }
}
