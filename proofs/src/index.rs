//! The lemma index: every lemma whose conclusion generalises a goal, found in
//! microseconds, from a file validated in full when it is opened and then
//! read in place, never deserialised.
//!
//! **Tree.** Conclusions are flattened in preorder into keys (a symbol with
//! its arity, or `*` for a pattern variable) and stored in a discrimination
//! tree: a trie over key sequences whose chains of single-child nodes are
//! collapsed into one edge labelled with the whole key sequence (path
//! compression). A query walks the tree with the goal's preorder: at each
//! point it follows the edge whose first key is the goal's symbol and the `*`
//! edge, which consumes a whole goal subterm (skipped with subterm extents
//! computed once from the goal's preorder). The tree treats every variable as
//! a fresh `*`, so it over-approximates; each candidate is then matched
//! exactly (non-linear patterns bind equal subterms) and only true matches
//! are returned. No lemma that does not apply is ever returned, and none that
//! applies is missed: the property tests compare with a linear scan.
//!
//! **Archive.** The tree is flattened into arrays (nodes, edges, keys,
//! leaves), next to the interned symbol table (sorted, so a goal's symbols
//! are found by binary search), every conclusion (preorder symbol ids and
//! variable numbers, so a lemma's conclusion can be rebuilt and matched
//! without deserialising anything) and a symbol-to-lemmas table for partial
//! matches. The whole is one `rkyv` 0.8 archive.
//!
//! **Trust.** Nothing in or beside the file is trusted: [`LemmaIndex::open`]
//! reads the file into an aligned buffer of its own and validates every byte
//! it will follow (rkyv's checked access, then the tree's invariants) before
//! any query, so an arbitrary file, a forged `.blake3` sidecar or a file
//! rewritten in place (same length, modification time restored) is refused
//! or read safely, never followed blindly. Reading the archive afterwards
//! needs no check (`access_unchecked` over the validated buffer, which no
//! one else can change): no deserialisation, no per-query validation. The
//! copy is what makes a file truncated or rewritten by another process
//! after `open` harmless: a memory map of it could raise SIGBUS or change
//! under the validated reader. On set.mm (2.2 MB) `open` costs about as
//! much as one query (figures in `benches/lemma_index.rs`).
//!
//! The sidecar `<path>.blake3` holds the digest the archive had when Torc
//! wrote or installed it; [`LemmaIndex::verify`] checks it (or a digest
//! given by the caller, from a source it trusts) so that a damaged archive
//! is refused at install time even when it is still well formed.
//! A digest is integrity, not safety: `open` does not need one.

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use rkyv::rancor;
use rkyv::util::AlignedVec;

use crate::term::{Substitution, Term};

/// A lemma as the index knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LemmaEntry {
    pub name: String,
    pub library: String,
    /// The conclusion as a pattern: its variables are the lemma's parameters.
    pub conclusion: Term,
    /// Number of hypotheses (fewer ranks first among equally specific lemmas).
    pub hypotheses: usize,
}

/// A lemma whose conclusion generalises the goal, with σ(conclusion) == goal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    pub id: u32,
    pub substitution: Substitution,
}

/// Sizes of an index, for `torc lemmas stats`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct IndexStats {
    pub lemmas: usize,
    /// Tree nodes and edges (after path compression).
    pub nodes: usize,
    pub edges: usize,
    /// Keys on all edges together.
    pub keys: usize,
    /// Distinct (symbol, arity) pairs.
    pub symbols: usize,
    /// Archive size in bytes.
    pub bytes: usize,
    /// Most edges on a path from the root to a leaf.
    pub depth: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}: BLAKE3 is {found}, expected {expected}", path.display())]
    DigestMismatch { path: PathBuf, expected: String, found: String },
    #[error("{}: no digest to check against (no {}.blake3 and none given)", path.display(), path.display())]
    MissingDigest { path: PathBuf },
    #[error("{}: malformed digest sidecar: {reason}", path.display())]
    BadSidecar { path: PathBuf, reason: String },
    #[error("{}: not a valid lemma index archive: {reason}", path.display())]
    Invalid { path: PathBuf, reason: String },
    #[error("index too large: {0}")]
    TooLarge(String),
}

const MAGIC: u32 = u32::from_le_bytes(*b"TLIX");
const FORMAT_VERSION: u32 = 1;
/// Key code of a pattern variable; any other code is a symbol id.
const STAR: u32 = u32::MAX;

#[derive(rkyv::Archive, rkyv::Serialize)]
struct IndexData {
    magic: u32,
    version: u32,
    /// Symbols sorted by (name, arity); a symbol's id is its position.
    symbol_names: Vec<String>,
    symbol_arities: Vec<u32>,
    /// Node 0 is the root; a child's id is greater than its parent's.
    nodes: Vec<Node>,
    /// A node's edges are contiguous and sorted by first key (`*` last).
    edges: Vec<Edge>,
    keys: Vec<u32>,
    leaves: Vec<u32>,
    lemmas: Vec<LemmaRecord>,
    /// Each conclusion's preorder: symbol ids, `STAR` for variables...
    conclusion_codes: Vec<u32>,
    /// ...whose numbers are here, one per `STAR`, in order.
    conclusion_vars: Vec<u32>,
    /// Lemmas containing symbol `s`: `symbol_lemmas[start[s]..start[s + 1]]`.
    symbol_lemma_start: Vec<u32>,
    symbol_lemmas: Vec<u32>,
    depth: u32,
}

#[derive(rkyv::Archive, rkyv::Serialize)]
struct Node {
    first_edge: u32,
    edge_count: u32,
    first_leaf: u32,
    leaf_count: u32,
}

#[derive(rkyv::Archive, rkyv::Serialize)]
struct Edge {
    first_key: u32,
    key_count: u32,
    child: u32,
}

#[derive(rkyv::Archive, rkyv::Serialize)]
struct LemmaRecord {
    name: String,
    library: String,
    codes_start: u32,
    codes_len: u32,
    vars_start: u32,
    vars_len: u32,
    distinct_vars: u32,
    hypotheses: u32,
}

/// Collects lemmas and writes the archive.
#[derive(Clone, Debug, Default)]
pub struct IndexBuilder {
    entries: Vec<LemmaEntry>,
}

impl IndexBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a lemma; its id is the number of lemmas added before it.
    pub fn add(&mut self, entry: LemmaEntry) -> u32 {
        self.entries.push(entry);
        (self.entries.len() - 1) as u32
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Writes the archive atomically (temp + rename), validates it (rkyv's
    /// checked access and the tree's invariants) and returns its BLAKE3 hex,
    /// also written to `<path>.blake3`.
    pub fn write(&self, path: &Path) -> Result<String, IndexError> {
        let data = self.build()?;
        let bytes = rkyv::to_bytes::<rancor::Error>(&data)
            .map_err(|e| IndexError::Invalid { path: path.to_path_buf(), reason: e.to_string() })?;
        check_archive(path, &bytes)?;
        let digest = blake3::hash(&bytes).to_hex().to_string();
        write_atomically(path, &bytes)?;
        write_sidecar(path, &digest)?;
        Ok(digest)
    }

    fn build(&self) -> Result<IndexData, IndexError> {
        let too_large = |what: &str| IndexError::TooLarge(format!("more than 2^32 - 2 {what}"));
        if self.entries.len() >= STAR as usize {
            return Err(too_large("lemmas"));
        }
        // Intern (symbol, arity) pairs; ids follow the sorted order.
        let mut symbols: Vec<(&str, u32)> = Vec::new();
        for e in &self.entries {
            e.conclusion.visit(&mut |t| {
                if let Term::App { head, args } = t {
                    symbols.push((head.as_str(), args.len() as u32));
                }
            });
        }
        symbols.sort_unstable();
        symbols.dedup();
        if symbols.len() >= STAR as usize {
            return Err(too_large("symbols"));
        }
        let symbol_id: HashMap<(&str, u32), u32> = symbols.iter().enumerate().map(|(i, &s)| (s, i as u32)).collect();

        // Conclusions as code sequences.
        let mut conclusion_codes = Vec::new();
        let mut conclusion_vars = Vec::new();
        let mut lemmas = Vec::with_capacity(self.entries.len());
        let mut spans = Vec::with_capacity(self.entries.len());
        let mut symbol_lemma_pairs = Vec::new();
        for (id, e) in self.entries.iter().enumerate() {
            let codes_start = conclusion_codes.len();
            let vars_start = conclusion_vars.len();
            e.conclusion.visit(&mut |t| match t {
                Term::Var(v) => {
                    conclusion_codes.push(STAR);
                    conclusion_vars.push(*v);
                }
                Term::App { head, args } => {
                    let s = symbol_id[&(head.as_str(), args.len() as u32)];
                    conclusion_codes.push(s);
                    symbol_lemma_pairs.push((s, id as u32));
                }
            });
            let mut distinct: Vec<u32> = conclusion_vars[vars_start..].to_vec();
            distinct.sort_unstable();
            distinct.dedup();
            spans.push(codes_start..conclusion_codes.len());
            lemmas.push(LemmaRecord {
                name: e.name.clone(),
                library: e.library.clone(),
                codes_start: codes_start as u32,
                codes_len: (conclusion_codes.len() - codes_start) as u32,
                vars_start: vars_start as u32,
                vars_len: (conclusion_vars.len() - vars_start) as u32,
                distinct_vars: distinct.len() as u32,
                hypotheses: u32::try_from(e.hypotheses).unwrap_or(u32::MAX),
            });
        }
        if conclusion_codes.len() > u32::MAX as usize {
            return Err(too_large("conclusion keys"));
        }

        // Symbol -> lemmas (each lemma once per symbol).
        symbol_lemma_pairs.sort_unstable();
        symbol_lemma_pairs.dedup();
        let mut symbol_lemma_start = vec![0u32; symbols.len() + 1];
        for &(s, _) in &symbol_lemma_pairs {
            symbol_lemma_start[s as usize + 1] += 1;
        }
        for i in 0..symbols.len() {
            symbol_lemma_start[i + 1] += symbol_lemma_start[i];
        }
        let symbol_lemmas = symbol_lemma_pairs.iter().map(|&(_, l)| l).collect();

        // The tree, built over the sorted key sequences.
        let seqs: Vec<&[u32]> = spans.iter().map(|r| &conclusion_codes[r.clone()]).collect();
        let mut order: Vec<u32> = (0..seqs.len() as u32).collect();
        order.sort_by(|&a, &b| seqs[a as usize].cmp(seqs[b as usize]).then(a.cmp(&b)));
        let mut tree = TreeBuilder {
            seqs: &seqs,
            nodes: Vec::new(),
            edges: Vec::new(),
            keys: Vec::new(),
            leaves: Vec::new(),
            depth: 0,
        };
        if order.is_empty() {
            tree.nodes.push(Node { first_edge: 0, edge_count: 0, first_leaf: 0, leaf_count: 0 });
        } else {
            tree.build(&order, 0, 0);
        }
        let TreeBuilder { nodes, edges, keys, leaves, depth, .. } = tree;
        if keys.len() > u32::MAX as usize || nodes.len() > u32::MAX as usize {
            return Err(too_large("tree entries"));
        }

        Ok(IndexData {
            magic: MAGIC,
            version: FORMAT_VERSION,
            symbol_names: symbols.iter().map(|s| s.0.to_string()).collect(),
            symbol_arities: symbols.iter().map(|s| s.1).collect(),
            nodes,
            edges,
            keys,
            leaves,
            lemmas,
            conclusion_codes,
            conclusion_vars,
            symbol_lemma_start,
            symbol_lemmas,
            depth,
        })
    }
}

struct TreeBuilder<'a> {
    seqs: &'a [&'a [u32]],
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    keys: Vec<u32>,
    leaves: Vec<u32>,
    depth: u32,
}

impl TreeBuilder<'_> {
    /// Builds the node for `ids` (sorted by sequence), which agree on their
    /// first `at` keys; returns its id. Preorders of whole terms are
    /// prefix-free, so a sequence that ends here means all of them end here.
    fn build(&mut self, ids: &[u32], at: usize, depth: u32) -> u32 {
        let node = self.nodes.len() as u32;
        self.depth = self.depth.max(depth);
        let seq = |id: u32| self.seqs[id as usize];
        if seq(ids[0]).len() <= at {
            let first_leaf = self.leaves.len() as u32;
            self.leaves.extend_from_slice(ids);
            self.nodes.push(Node { first_edge: 0, edge_count: 0, first_leaf, leaf_count: ids.len() as u32 });
            return node;
        }
        let mut groups = Vec::new();
        let mut start = 0;
        while start < ids.len() {
            let key = seq(ids[start])[at];
            let mut end = start + 1;
            while end < ids.len() && seq(ids[end])[at] == key {
                end += 1;
            }
            // Sorted, so the group's common prefix is that of its first and last.
            let (a, b) = (seq(ids[start]), seq(ids[end - 1]));
            let mut lcp = at + 1;
            while lcp < a.len() && lcp < b.len() && a[lcp] == b[lcp] {
                lcp += 1;
            }
            groups.push((start..end, lcp));
            start = end;
        }
        let first_edge = self.edges.len() as u32;
        self.nodes.push(Node { first_edge, edge_count: groups.len() as u32, first_leaf: 0, leaf_count: 0 });
        for (range, lcp) in &groups {
            let first_key = self.keys.len() as u32;
            self.keys.extend_from_slice(&seq(ids[range.start])[at..*lcp]);
            self.edges.push(Edge { first_key, key_count: (lcp - at) as u32, child: 0 });
        }
        for (i, (range, lcp)) in groups.into_iter().enumerate() {
            let child = self.build(&ids[range], lcp, depth + 1);
            self.edges[first_edge as usize + i].child = child;
        }
        node
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> IndexError + '_ {
    move |source| IndexError::Io { path: path.to_path_buf(), source }
}

fn sidecar_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".blake3");
    PathBuf::from(s)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), IndexError> {
    torc_fs::write_atomic(path, bytes).map_err(io_error(path))
}

/// The sidecar's digest (its first line). Torc before this version wrote a
/// second line, `verified <length> <mtime>`, and trusted it; it is ignored,
/// since whoever supplies a file can write one to match.
fn read_sidecar(path: &Path) -> Result<Option<String>, IndexError> {
    let side = sidecar_path(path);
    let text = match fs::read_to_string(&side) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(IndexError::Io { path: side, source: e }),
    };
    let digest = text.lines().next().map(str::trim).unwrap_or("").to_ascii_lowercase();
    if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        let reason = "first line is not a BLAKE3 hex digest".to_owned();
        return Err(IndexError::BadSidecar { path: side, reason });
    }
    Ok(Some(digest))
}

fn write_sidecar(path: &Path, digest: &str) -> Result<(), IndexError> {
    write_atomically(&sidecar_path(path), format!("{digest}\n").as_bytes())
}

/// The whole file, read once into a buffer aligned for the archive. Only a
/// regular file is read, and no more than the length it had when opened: a
/// FIFO or device (`--index /dev/zero`) is refused rather than read for ever,
/// and a file that grows while read is refused rather than read half old.
fn read_aligned(path: &Path) -> Result<AlignedVec<16>, IndexError> {
    let invalid = |reason: &str| IndexError::Invalid { path: path.to_path_buf(), reason: reason.to_owned() };
    // Checked before opening too: opening a FIFO blocks until a writer comes.
    if !fs::metadata(path).map_err(io_error(path))?.is_file() {
        return Err(invalid("not a regular file"));
    }
    let file = fs::File::open(path).map_err(io_error(path))?;
    let meta = file.metadata().map_err(io_error(path))?;
    if !meta.is_file() {
        return Err(invalid("not a regular file"));
    }
    let len = usize::try_from(meta.len()).map_err(|_| invalid("larger than this machine's address space"))?;
    let mut bytes = AlignedVec::<16>::new();
    bytes.reserve(len.saturating_add(1));
    bytes.extend_from_reader(&mut file.take(meta.len().saturating_add(1))).map_err(io_error(path))?;
    if bytes.len() != len {
        // Shorter: truncated while read; longer: still being written.
        return Err(invalid("changed while read"));
    }
    Ok(bytes)
}

/// rkyv's checked access, then the invariants the unchecked reader relies on.
fn check_archive(path: &Path, bytes: &[u8]) -> Result<(), IndexError> {
    let invalid = |reason: String| IndexError::Invalid { path: path.to_path_buf(), reason };
    let data = rkyv::access::<ArchivedIndexData, rancor::Error>(bytes).map_err(|e| invalid(e.to_string()))?;
    check_invariants(data).map_err(|r| invalid(r.to_string()))
}

fn check_invariants(d: &ArchivedIndexData) -> Result<(), &'static str> {
    if d.magic.to_native() != MAGIC || d.version.to_native() != FORMAT_VERSION {
        return Err("wrong magic number or format version");
    }
    let nsym = d.symbol_names.len();
    if d.symbol_arities.len() != nsym || nsym >= STAR as usize {
        return Err("symbol table lengths differ");
    }
    for i in 1..nsym {
        let a = (d.symbol_names[i - 1].as_str(), d.symbol_arities[i - 1].to_native());
        let b = (d.symbol_names[i].as_str(), d.symbol_arities[i].to_native());
        if a >= b {
            return Err("symbol table not strictly sorted");
        }
    }
    let key_ok = |k: u32| k == STAR || (k as usize) < nsym;
    let in_bounds =
        |start: u32, len: u32, total: usize| (start as usize).checked_add(len as usize).is_some_and(|e| e <= total);
    let nlemmas = d.lemmas.len();
    if d.nodes.is_empty() {
        return Err("no root node");
    }
    // A tree, not a DAG: a node reached by two edges could be walked once
    // per path to it, exponentially often in the goal's size.
    let mut has_parent = vec![false; d.nodes.len()];
    for (i, n) in d.nodes.iter().enumerate() {
        let (fe, ec) = (n.first_edge.to_native(), n.edge_count.to_native());
        if !in_bounds(fe, ec, d.edges.len())
            || !in_bounds(n.first_leaf.to_native(), n.leaf_count.to_native(), d.leaves.len())
        {
            return Err("node range out of bounds");
        }
        let mut prev: Option<u32> = None;
        for e in &d.edges[fe as usize..(fe + ec) as usize] {
            let (fk, kc, child) = (e.first_key.to_native(), e.key_count.to_native(), e.child.to_native());
            if kc == 0 || !in_bounds(fk, kc, d.keys.len()) {
                return Err("edge key range out of bounds");
            }
            if child as usize >= d.nodes.len() || child as usize <= i {
                return Err("edge child out of order");
            }
            if std::mem::replace(&mut has_parent[child as usize], true) {
                return Err("a node is the child of two edges");
            }
            let first = d.keys[fk as usize].to_native();
            if prev.is_some_and(|p| p >= first) {
                return Err("edges not sorted by first key");
            }
            prev = Some(first);
        }
    }
    if !d.keys.iter().all(|k| key_ok(k.to_native())) {
        return Err("key out of range");
    }
    if !d.leaves.iter().all(|l| (l.to_native() as usize) < nlemmas) {
        return Err("leaf names no lemma");
    }
    for l in d.lemmas.iter() {
        let (cs, cl, vs, vl) =
            (l.codes_start.to_native(), l.codes_len.to_native(), l.vars_start.to_native(), l.vars_len.to_native());
        if !in_bounds(cs, cl, d.conclusion_codes.len()) || !in_bounds(vs, vl, d.conclusion_vars.len()) {
            return Err("conclusion out of bounds");
        }
        // One complete term: `pending` subterms still to read, never zero early.
        let (mut pending, mut stars) = (1u64, 0u32);
        for c in &d.conclusion_codes[cs as usize..(cs + cl) as usize] {
            let c = c.to_native();
            if pending == 0 || !key_ok(c) {
                return Err("malformed conclusion");
            }
            pending -= 1;
            if c == STAR {
                stars += 1;
            } else {
                pending += u64::from(d.symbol_arities[c as usize].to_native());
            }
        }
        if pending != 0 || stars != vl {
            return Err("malformed conclusion");
        }
    }
    let starts = &d.symbol_lemma_start;
    if starts.len() != nsym + 1
        || starts.first().is_some_and(|s| s.to_native() != 0)
        || starts.windows(2).any(|w| w[0].to_native() > w[1].to_native())
        || starts.last().is_some_and(|s| s.to_native() as usize != d.symbol_lemmas.len())
        || !d.symbol_lemmas.iter().all(|l| (l.to_native() as usize) < nlemmas)
    {
        return Err("malformed symbol table");
    }
    Ok(())
}

/// An opened index: the archive's bytes, in a buffer of its own, validated
/// by [`check_archive`] before the index was returned, and read in place.
pub struct LemmaIndex {
    bytes: AlignedVec<16>,
}

/// A goal flattened for the walk: codes (symbol ids; goal-local codes at or
/// above the symbol count for unknown symbols and goal variables), the end of
/// each position's subterm, and the subterms themselves.
struct Goal<'g> {
    codes: Vec<u32>,
    ends: Vec<u32>,
    subterms: Vec<&'g Term>,
}

impl LemmaIndex {
    /// Install-time check: reads the file, checks its BLAKE3 against
    /// `expected` (or else `<path>.blake3`), validates the archive with rkyv's
    /// checked access and the tree's invariants and, when `expected` is
    /// given, records it in `<path>.blake3`. Returns the digest. A truncated
    /// or corrupted archive is refused here, never read; nothing panics.
    pub fn verify(path: &Path, expected: Option<&str>) -> Result<String, IndexError> {
        let given = expected.map(|e| e.trim().to_ascii_lowercase());
        let expected = match &given {
            Some(e) => e.clone(),
            None => match read_sidecar(path)? {
                Some(digest) => digest,
                None => return Err(IndexError::MissingDigest { path: path.to_path_buf() }),
            },
        };
        let bytes = read_aligned(path)?;
        let found = blake3::hash(&bytes).to_hex().to_string();
        if found != expected {
            return Err(IndexError::DigestMismatch { path: path.to_path_buf(), expected, found });
        }
        check_archive(path, &bytes)?;
        if given.is_some() {
            write_sidecar(path, &found)?;
        }
        Ok(found)
    }

    /// Opens an archive, whoever wrote it: reads it into a buffer of its own
    /// and validates it (rkyv's checked access, then the tree's invariants),
    /// so any file at all is either refused ([`IndexError::Invalid`]) or
    /// safe to query. Nothing beside the file is consulted: no digest and no
    /// record of an earlier check. After this, nothing is deserialised and
    /// nothing another process does to the file affects the index.
    pub fn open(path: &Path) -> Result<LemmaIndex, IndexError> {
        let bytes = read_aligned(path)?;
        check_archive(path, &bytes)?;
        Ok(LemmaIndex { bytes })
    }

    fn data(&self) -> &ArchivedIndexData {
        // SAFETY: `open` (the only constructor) validated these bytes with
        // rkyv's checked access and `check_invariants`, and the buffer is
        // owned and immutable since; it is aligned to 16 bytes.
        unsafe { rkyv::access_unchecked::<ArchivedIndexData>(&self.bytes) }
    }

    pub fn len(&self) -> usize {
        self.data().lemmas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Lemma `id`, if there is one.
    pub fn get(&self, id: u32) -> Option<LemmaView<'_>> {
        self.data().lemmas.get(id as usize).map(|record| LemmaView { index: self, id, record })
    }

    /// Lemma `id`. Panics if `id >= self.len()`.
    pub fn lemma(&self, id: u32) -> LemmaView<'_> {
        self.get(id).unwrap_or_else(|| panic!("lemma id {id} out of range ({} lemmas)", self.len()))
    }

    /// Symbol id of (name, arity), by binary search in the sorted table.
    fn symbol(&self, name: &str, arity: u32) -> Option<u32> {
        let d = self.data();
        let (names, arities) = (&d.symbol_names, &d.symbol_arities);
        let (mut lo, mut hi) = (0usize, names.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match (names[mid].as_str(), arities[mid].to_native()).cmp(&(name, arity)) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid as u32),
            }
        }
        None
    }

    fn flatten<'g>(&self, goal: &'g Term) -> Goal<'g> {
        let nsym = self.data().symbol_names.len() as u32;
        let mut local: HashMap<(Option<&'g str>, u32), u32> = HashMap::new();
        let mut codes = Vec::new();
        let mut arities = Vec::new();
        let mut subterms = Vec::new();
        goal.visit(&mut |t| {
            let (key, arity) = match t {
                Term::Var(v) => ((None, *v), 0),
                Term::App { head, args } => ((Some(head.as_str()), args.len() as u32), args.len() as u32),
            };
            let code = match key {
                (Some(h), a) => self.symbol(h, a),
                _ => None,
            }
            .unwrap_or_else(|| {
                let next = nsym.saturating_add(local.len() as u32).min(STAR - 1);
                *local.entry(key).or_insert(next)
            });
            codes.push(code);
            arities.push(arity);
            subterms.push(t);
        });
        // Subterm extents from the reversed preorder: children sit on the stack.
        let mut ends = vec![0u32; codes.len()];
        let mut sizes: Vec<u32> = Vec::new();
        for i in (0..codes.len()).rev() {
            let mut size = 1u32;
            for _ in 0..arities[i] {
                size += sizes.pop().unwrap_or(0);
            }
            sizes.push(size);
            ends[i] = i as u32 + size;
        }
        Goal { codes, ends, subterms }
    }

    /// Candidate lemmas from the tree walk (a superset of the matches).
    fn candidates(&self, goal: &Goal<'_>, out: &mut Vec<u32>) {
        let d = self.data();
        let (nodes, edges, keys) = (&d.nodes[..], &d.edges[..], &d.keys[..]);
        let len = goal.codes.len() as u32;
        // Follows an edge's keys from goal position `pos`; the position after, if they match.
        let follow = |e: &ArchivedEdge, mut pos: u32| -> Option<u32> {
            let first = e.first_key.to_native() as usize;
            for k in &keys[first..first + e.key_count.to_native() as usize] {
                if pos >= len {
                    return None;
                }
                let k = k.to_native();
                if k == STAR {
                    pos = goal.ends[pos as usize];
                } else if k == goal.codes[pos as usize] {
                    pos += 1;
                } else {
                    return None;
                }
            }
            Some(pos)
        };
        let mut stack = vec![(0u32, 0u32)];
        while let Some((node, pos)) = stack.pop() {
            let n = &nodes[node as usize];
            if pos >= len {
                let first = n.first_leaf.to_native() as usize;
                out.extend(d.leaves[first..first + n.leaf_count.to_native() as usize].iter().map(|l| l.to_native()));
                continue;
            }
            let first = n.first_edge.to_native() as usize;
            let mut node_edges = &edges[first..first + n.edge_count.to_native() as usize];
            if let Some(last) = node_edges.last() {
                if keys[last.first_key.to_native() as usize].to_native() == STAR {
                    if let Some(next) = follow(last, pos) {
                        stack.push((last.child.to_native(), next));
                    }
                    node_edges = &node_edges[..node_edges.len() - 1];
                }
            }
            let code = goal.codes[pos as usize];
            if let Ok(i) =
                node_edges.binary_search_by_key(&code, |e| keys[e.first_key.to_native() as usize].to_native())
            {
                if let Some(next) = follow(&node_edges[i], pos) {
                    stack.push((node_edges[i].child.to_native(), next));
                }
            }
        }
    }

    /// Exact one-way match of lemma `id`'s stored conclusion against the goal.
    fn match_stored(&self, id: u32, goal: &Goal<'_>) -> Option<Substitution> {
        let d = self.data();
        let l = &d.lemmas[id as usize];
        let cs = l.codes_start.to_native() as usize;
        let codes = &d.conclusion_codes[cs..cs + l.codes_len.to_native() as usize];
        let vs = l.vars_start.to_native() as usize;
        let vars = &d.conclusion_vars[vs..vs + l.vars_len.to_native() as usize];
        let mut bound: Vec<(u32, u32, u32)> = Vec::with_capacity(vars.len());
        let (mut pos, mut var) = (0usize, 0usize);
        for c in codes {
            let g = *goal.codes.get(pos)?;
            let c = c.to_native();
            if c == STAR {
                let v = vars[var].to_native();
                var += 1;
                let end = goal.ends[pos];
                match bound.iter().find(|b| b.0 == v) {
                    Some(&(_, s, e)) => {
                        if goal.codes[s as usize..e as usize] != goal.codes[pos..end as usize] {
                            return None;
                        }
                    }
                    None => bound.push((v, pos as u32, end)),
                }
                pos = end as usize;
            } else if c == g {
                pos += 1;
            } else {
                return None;
            }
        }
        if pos != goal.codes.len() {
            return None;
        }
        Some(bound.into_iter().map(|(v, s, _)| (v, goal.subterms[s as usize].clone())).collect())
    }

    /// Ranking key: more symbols in the conclusion first (a pattern that
    /// is an instance of another has at least as many, so it ranks first),
    /// then fewer distinct variables, then fewer hypotheses, then id.
    fn rank(&self, id: u32) -> (std::cmp::Reverse<u32>, u32, u32, u32) {
        let l = &self.data().lemmas[id as usize];
        let symbols = l.codes_len.to_native() - l.vars_len.to_native();
        (std::cmp::Reverse(symbols), l.distinct_vars.to_native(), l.hypotheses.to_native(), id)
    }

    /// Every lemma whose conclusion generalises `goal` (one-way match, checked
    /// exactly after the tree walk), most specific first: most symbols in
    /// the conclusion, then fewest distinct pattern variables, then fewest
    /// hypotheses, then id; each with its substitution.
    pub fn query(&self, goal: &Term) -> Vec<Match> {
        let goal = self.flatten(goal);
        let mut ids = Vec::new();
        self.candidates(&goal, &mut ids);
        ids.sort_unstable_by_key(|&id| self.rank(id));
        ids.into_iter()
            .filter_map(|id| self.match_stored(id, &goal).map(|substitution| Match { id, substitution }))
            .collect()
    }

    /// Partial-match candidates: lemmas sharing the most (symbol, arity) pairs
    /// with `goal`, from the symbol-to-lemmas table; best first (most shared,
    /// then the ranking of `query`), at most `limit`.
    pub fn related(&self, goal: &Term, limit: usize) -> Vec<(u32, usize)> {
        let d = self.data();
        let mut symbols = Vec::new();
        goal.visit(&mut |t| {
            if let Term::App { head, args } = t {
                if let Some(s) = self.symbol(head, args.len() as u32) {
                    symbols.push(s);
                }
            }
        });
        symbols.sort_unstable();
        symbols.dedup();
        let mut shared: HashMap<u32, usize> = HashMap::new();
        for s in symbols {
            let (a, b) =
                (d.symbol_lemma_start[s as usize].to_native(), d.symbol_lemma_start[s as usize + 1].to_native());
            for l in &d.symbol_lemmas[a as usize..b as usize] {
                *shared.entry(l.to_native()).or_default() += 1;
            }
        }
        let mut out: Vec<(u32, usize)> = shared.into_iter().collect();
        out.sort_unstable_by_key(|&(id, n)| (std::cmp::Reverse(n), self.rank(id)));
        out.truncate(limit);
        out
    }

    pub fn stats(&self) -> IndexStats {
        let d = self.data();
        IndexStats {
            lemmas: d.lemmas.len(),
            nodes: d.nodes.len(),
            edges: d.edges.len(),
            keys: d.keys.len(),
            symbols: d.symbol_names.len(),
            bytes: self.bytes.len(),
            depth: d.depth.to_native() as usize,
        }
    }
}

/// One lemma of an opened index, read in place.
#[derive(Clone, Copy)]
pub struct LemmaView<'a> {
    index: &'a LemmaIndex,
    id: u32,
    record: &'a ArchivedLemmaRecord,
}

impl<'a> LemmaView<'a> {
    pub fn id(&self) -> u32 {
        self.id
    }

    pub fn name(&self) -> &'a str {
        self.record.name.as_str()
    }

    pub fn library(&self) -> &'a str {
        self.record.library.as_str()
    }

    pub fn hypotheses(&self) -> usize {
        self.record.hypotheses.to_native() as usize
    }

    /// Number of nodes of the conclusion.
    pub fn size(&self) -> usize {
        self.record.codes_len.to_native() as usize
    }

    /// The conclusion, rebuilt from its stored preorder.
    pub fn conclusion(&self) -> Term {
        let d = self.index.data();
        let r = self.record;
        let cs = r.codes_start.to_native() as usize;
        let codes = &d.conclusion_codes[cs..cs + r.codes_len.to_native() as usize];
        let vs = r.vars_start.to_native() as usize;
        let vars = &d.conclusion_vars[vs..vs + r.vars_len.to_native() as usize];
        let mut var = vars.len();
        let mut stack: Vec<Term> = Vec::new();
        for c in codes.iter().rev() {
            let c = c.to_native();
            if c == STAR {
                var -= 1;
                stack.push(Term::Var(vars[var].to_native()));
            } else {
                let arity = d.symbol_arities[c as usize].to_native() as usize;
                let args: Vec<Term> = (0..arity).filter_map(|_| stack.pop()).collect();
                stack.push(Term::App { head: d.symbol_names[c as usize].to_string(), args });
            }
        }
        stack.pop().unwrap_or(Term::Var(0))
    }
}

impl std::fmt::Debug for LemmaView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LemmaView")
            .field("id", &self.id)
            .field("name", &self.name())
            .field("library", &self.library())
            .field("hypotheses", &self.hypotheses())
            .finish()
    }
}

impl std::fmt::Debug for LemmaIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LemmaIndex").field("stats", &self.stats()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, conclusion: Term) -> LemmaEntry {
        LemmaEntry { name: name.into(), library: "t".into(), conclusion, hypotheses: 0 }
    }

    /// A well-typed archive whose tree is a DAG: the root's two edges share
    /// a child. A walk would visit that child once per path, which a chain
    /// of such nodes makes exponential; the tree check refuses it.
    #[test]
    fn a_node_with_two_parents_is_refused() {
        let mut builder = IndexBuilder::new();
        builder.add(entry("fa", Term::app("f", vec![Term::constant("a")])));
        builder.add(entry("g", Term::app("g", vec![Term::Var(0)])));
        let mut data = builder.build().unwrap();
        let path = Path::new("dag.idx");
        let honest = rkyv::to_bytes::<rancor::Error>(&data).unwrap();
        check_archive(path, &honest).unwrap();
        assert!(data.nodes[0].edge_count >= 2, "the root branches on f and g");
        let shared = data.edges[0].child;
        data.edges[1].child = shared;
        let forged = rkyv::to_bytes::<rancor::Error>(&data).unwrap();
        let err = check_archive(path, &forged).unwrap_err();
        assert!(err.to_string().contains("child of two edges"), "{err}");
    }
}
