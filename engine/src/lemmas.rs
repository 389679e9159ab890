//! The lemmas proof search may use in a resolved tree: every proof library
//! in it, installed once.
//!
//! Installing means: read the library's lemma files from its archive, prove
//! every lemma with Z3 (axioms excepted), and write the conclusions into an
//! `rkyv` lemma index under `$TORC_HOME/lemmas/`, named by the BLAKE3 of the
//! libraries it holds. Later runs find the index, check it once
//! ([`LemmaIndex::verify`]) and open it without reading it.

use crate::error::{Error, Result};
use crate::library::{read_published_library, LibraryLemma};
use crate::package::{Details, Manifest};
use crate::registry::Registries;
use crate::resolve::Resolved;
use std::collections::HashMap;
use std::path::Path;
use torc_contracts::prove::Options;
use torc_proofs::index::{IndexBuilder, LemmaEntry, LemmaIndex};
use torc_proofs::lemma::{prove_lemma, LemmaStatus};
use torc_proofs::search::{conjuncts, IndexedLemma, LemmaSet};

/// The tree's proof libraries as one [`LemmaSet`]; `None` when the tree has
/// no proof library.
pub fn tree_lemmas(
    resolved: &Resolved,
    packages: &HashMap<String, Manifest>,
    registries: &Registries,
    home: &Path,
    options: &Options,
) -> Result<Option<LemmaSet>> {
    let mut libraries: Vec<(String, String, Vec<LibraryLemma>)> = Vec::new();
    for package in &resolved.packages {
        let Some(manifest) = packages.get(&package.name) else { continue };
        if !matches!(manifest.details, Details::Proof(_)) {
            continue;
        }
        let lemmas = read_published_library(package, manifest, registries)?;
        libraries.push((format!("{} {}", package.name, package.version), package.blake3.clone(), lemmas));
    }
    if libraries.is_empty() {
        return Ok(None);
    }
    libraries.sort_by(|a, b| a.0.cmp(&b.0));
    let key = {
        let mut hasher = blake3::Hasher::new();
        for (label, hash, _) in &libraries {
            hasher.update(label.as_bytes());
            hasher.update(hash.as_bytes());
        }
        hasher.finalize().to_hex().to_string()
    };
    let path = home.join("lemmas").join(format!("tree-{}.idx", &key[..32]));
    // `<home>/lemmas` must be a directory of the home, not a link out of it.
    crate::fs::create_dir_within(home, &home.join("lemmas"))?;
    let lemmas: Vec<IndexedLemma> = libraries
        .iter()
        .flat_map(|(label, _, lemmas)| {
            let (library, version) = label.split_once(' ').unwrap_or((label, ""));
            lemmas.iter().flat_map(move |l| IndexedLemma::entries(library, version, &l.lemma))
        })
        .collect();
    if LemmaIndex::verify(&path, None).is_err() {
        install(&libraries, &lemmas, &path, options)?;
    }
    let index = LemmaIndex::open(&path).map_err(|e| Error::Registry {
        registry: "lemma index".to_owned(),
        message: format!("{}: {e}", path.display()),
    })?;
    Ok(Some(LemmaSet { index, lemmas }))
}

/// Proves every lemma once and writes the index.
fn install(
    libraries: &[(String, String, Vec<LibraryLemma>)],
    lemmas: &[IndexedLemma],
    path: &Path,
    options: &Options,
) -> Result<()> {
    use rayon::prelude::*;
    for (label, _, library) in libraries {
        let failures: Vec<String> = library
            .par_iter()
            .filter_map(|l| match prove_lemma(&l.lemma, options) {
                LemmaStatus::Proved | LemmaStatus::Axiom(_) => None,
                other => Some(format!("{} ({}:{}): {other:?}", l.lemma.name, l.file, l.lemma.line)),
            })
            .collect();
        if !failures.is_empty() {
            let (name, version) = label.split_once(' ').unwrap_or((label, ""));
            return Err(Error::LibraryRefused { name: name.to_owned(), version: version.to_owned(), failures });
        }
    }
    let mut builder = IndexBuilder::new();
    for entry in lemmas {
        builder.add(LemmaEntry {
            name: entry.lemma.name.clone(),
            library: entry.library.clone(),
            conclusion: entry.pattern(),
            hypotheses: conjuncts(&entry.lemma.requires).len(),
        });
    }
    builder.write(path).map_err(|e| Error::Registry {
        registry: "lemma index".to_owned(),
        message: format!("{}: {e}", path.display()),
    })?;
    Ok(())
}
