//! Metamath databases (set.mm) as lemma-index entries.
//!
//! `metamath-rs` (from metamath-knife) parses the database and, with the
//! database's own syntax axioms, parses every statement's math string into a
//! formula tree. Each `$a`/`$p` assertion of typecode `|-` (theorems,
//! logical axioms and definitions) becomes a [`LemmaEntry`] whose conclusion
//! is that tree as a [`Term`]:
//!
//! - a node is its syntax axiom's label (`wi` for `( ph -> ps )`, `wceq`,
//!   `cv`, `co`, `c0`, ...), with the axiom's variables, in the order they
//!   occur in its math string, as arguments;
//! - a leaf that is a variable (`ph`, `A`, `x`: a `$f` hypothesis) becomes
//!   `Term::Var(n)`, numbered from 0 by first occurrence in preorder, so
//!   `|- ( ph -> ( ps -> ph ) )` is `wi(?0, wi(?1, ?0))`;
//! - the lemma's `hypotheses` is the number of essential (`$e`) hypotheses
//!   in its frame.
//!
//! Syntax axioms (typecodes `wff`, `class`, `setvar`) are the vocabulary,
//! not lemmas, and are counted apart. An assertion the grammar cannot parse
//! is skipped with its reason; a database that does not parse is an error
//! naming the file and the statement.

use crate::index::LemmaEntry;
use crate::term::{self, Term};
use metamath_rs::database::DbOptions;
use metamath_rs::formula::Label;
use metamath_rs::nameck::NameReader;
use metamath_rs::statement::SymbolType;
use metamath_rs::{Database, Formula, StatementType};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// The typecode of provable statements in set.mm and its relatives.
const PROVABLE: &[u8] = b"|-";

/// The first bytes of an xz stream.
const XZ_MAGIC: &[u8] = &[0xFD, b'7', b'z', b'X', b'Z', 0x00];

/// How many skipped statements a report names (all are counted).
const SKIP_EXAMPLES: usize = 20;

/// Why a database could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum MetamathError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{file}: not a valid xz stream: {source}")]
    Xz { file: String, source: std::io::Error },
    #[error("{file}: not UTF-8 text (Metamath databases are ASCII)")]
    NotText { file: String },
    #[error("{file}: statement {label}: {message}")]
    Database { file: String, label: String, message: String },
    #[error("{file}: {message}")]
    Grammar { file: String, message: String },
    #[error("goal {text:?}: {source}")]
    Goal { text: String, source: term::TermParseError },
}

/// Where a database comes from: a file (plain or xz-compressed) or bytes
/// already in memory, with a name for messages.
#[derive(Clone, Debug)]
pub enum MetamathSource {
    File(PathBuf),
    Bytes { name: String, bytes: Vec<u8> },
}

impl From<&Path> for MetamathSource {
    fn from(path: &Path) -> Self {
        MetamathSource::File(path.to_path_buf())
    }
}

impl From<PathBuf> for MetamathSource {
    fn from(path: PathBuf) -> Self {
        MetamathSource::File(path)
    }
}

impl From<&PathBuf> for MetamathSource {
    fn from(path: &PathBuf) -> Self {
        MetamathSource::File(path.clone())
    }
}

/// One assertion that did not become a lemma.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub label: String,
    pub reason: SkipReason,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    /// The grammar found no parse tree for the statement's math string.
    NoParse,
    /// metamath-rs failed (panicked) while building the statement's tree.
    ParserFailed,
    /// The tree names a label the database does not define (never seen in
    /// a database that parsed; kept so a bad tree is skipped, not a panic).
    BadTree,
    /// No frame (the scope pass rejected the statement).
    NoFrame,
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SkipReason::NoParse => "the grammar has no parse for its math string",
            SkipReason::ParserFailed => "the parser failed while building its tree",
            SkipReason::BadTree => "its parse tree names an undefined label",
            SkipReason::NoFrame => "it has no frame (scope error)",
        })
    }
}

/// What [`import`] found.
#[derive(Clone, Debug, Default)]
pub struct ImportReport {
    /// One entry per imported `|-` assertion, in database order.
    pub entries: Vec<LemmaEntry>,
    /// `$p` statements among the entries.
    pub theorems: usize,
    /// `$a |-` statements among the entries (axioms and definitions).
    pub axioms: usize,
    /// Syntax axioms (`$a` of another typecode): the vocabulary.
    pub syntax_axioms: usize,
    /// `|-` assertions that did not become entries.
    pub skipped: usize,
    /// How many were skipped for each reason.
    pub reasons: BTreeMap<SkipReason, usize>,
    /// The first few skipped statements, by label.
    pub examples: Vec<Skipped>,
}

/// Reads a Metamath database (decompressing xz when the bytes are xz) and
/// converts every `|-` assertion's conclusion into a lemma of `library`.
/// Never panics: a failure inside the parser is reported as an error.
pub fn import(source: impl Into<MetamathSource>, library: &str) -> Result<ImportReport, MetamathError> {
    let (file, bytes) = match source.into() {
        MetamathSource::File(path) => {
            let bytes = std::fs::read(&path).map_err(|source| MetamathError::Io { path: path.clone(), source })?;
            (path.display().to_string(), bytes)
        }
        MetamathSource::Bytes { name, bytes } => (name, bytes),
    };
    let text = decompress(&file, bytes)?;
    if std::str::from_utf8(&text).is_err() {
        return Err(MetamathError::NotText { file });
    }
    quiet_parser_panics();
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| import_text(&file, text, library)));
    outcome.unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown failure".to_owned());
        Err(MetamathError::Grammar { file, message: format!("the Metamath parser failed: {message}") })
    })
}

/// Parses a search goal: the syntax of [`term::parse`], with syntax-axiom
/// labels as heads, e.g. `wi(?0, wi(?1, ?0))`. No database is needed.
pub fn parse_goal(text: &str) -> Result<Term, MetamathError> {
    term::parse(text.trim()).map_err(|source| MetamathError::Goal { text: text.to_owned(), source })
}

/// metamath-rs asserts inside its formula builder on some statements its
/// grammar half-parses (16 in set.mm); those panics are caught and counted
/// as skipped statements, so their default report on stderr is noise.
/// Installed once; panics raised anywhere else still reach the previous hook.
fn quiet_parser_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let in_parser = info.location().is_some_and(|l| l.file().contains("metamath-rs"));
            if !in_parser {
                previous(info);
            }
        }));
    });
}

fn decompress(file: &str, bytes: Vec<u8>) -> Result<Vec<u8>, MetamathError> {
    if !bytes.starts_with(XZ_MAGIC) {
        return Ok(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4));
    xz2::read::XzDecoder::new(&bytes[..])
        .read_to_end(&mut out)
        .map_err(|source| MetamathError::Xz { file: file.to_owned(), source })?;
    Ok(out)
}

fn import_text(file: &str, text: Vec<u8>, library: &str) -> Result<ImportReport, MetamathError> {
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let mut db = Database::new(DbOptions { jobs, incremental: true, ..DbOptions::default() });
    db.parse(file.to_owned(), vec![(file.to_owned(), text)]);
    db.name_pass();
    db.scope_pass();
    // Errors in the source itself (syntax, undefined symbols, scoping) make
    // the database unusable; the grammar's own complaints only cost the
    // statements concerned.
    if let Some((address, diagnostic)) = db.diag_notations().into_iter().next() {
        let label = String::from_utf8_lossy(db.statement_by_address(address).label()).into_owned();
        let label = if label.is_empty() { "(unlabelled)".to_owned() } else { label };
        return Err(MetamathError::Database { file: file.to_owned(), label, message: format!("{diagnostic:?}") });
    }
    db.grammar_pass();
    if let Some((address, diagnostic)) = db.grammar_result().diagnostics().into_iter().next() {
        let label = String::from_utf8_lossy(db.statement_by_address(address).label()).into_owned();
        return Err(MetamathError::Grammar {
            file: file.to_owned(),
            message: format!("the grammar of its syntax axioms is unusable at {label}: {diagnostic:?}"),
        });
    }
    // Each statement is parsed on its own: metamath-rs's `stmt_parse_pass`
    // stops a segment at its first unparsable statement, which would drop
    // everything after it (in set.mm, after `trujust`, whose local `$f`s the
    // global grammar does not know).
    let grammar = db.grammar_result().clone();
    let names = db.name_result().clone();

    let mut converter = Converter { db: &db, arity: HashMap::new() };
    let mut report = ImportReport::default();
    let mut any_statement = false;
    for sref in db.statements() {
        let stype = sref.statement_type();
        if !matches!(stype, StatementType::Axiom | StatementType::Provable) {
            continue;
        }
        any_statement = true;
        if sref.math_len() == 0 || sref.math_at(0).slice != PROVABLE {
            if stype == StatementType::Axiom {
                report.syntax_axioms += 1;
            }
            continue;
        }
        let label = String::from_utf8_lossy(sref.label()).into_owned();
        let skip = |report: &mut ImportReport, reason| {
            report.skipped += 1;
            *report.reasons.entry(reason).or_default() += 1;
            if report.examples.len() < SKIP_EXAMPLES {
                report.examples.push(Skipped { label: label.clone(), reason });
            }
        };
        let Some(frame) = db.scope_result().get(sref.label()) else {
            skip(&mut report, SkipReason::NoFrame);
            continue;
        };
        let hypotheses =
            frame.hypotheses.iter().filter(|h| matches!(h, metamath_rs::scopeck::Hyp::Essential(..))).count();
        // metamath-rs's formula builder can assert on a statement the
        // grammar half-parses; that costs the statement, not the import.
        let parsed = panic::catch_unwind(AssertUnwindSafe(|| {
            grammar.parse_statement(&sref, &names, &mut NameReader::new(&names))
        }));
        let formula = match parsed {
            Ok(Ok(formula)) => formula,
            Ok(Err(_)) => {
                skip(&mut report, SkipReason::NoParse);
                continue;
            }
            Err(_) => {
                skip(&mut report, SkipReason::ParserFailed);
                continue;
            }
        };
        let Some(conclusion) = converter.term(&formula) else {
            skip(&mut report, SkipReason::BadTree);
            continue;
        };
        match stype {
            StatementType::Provable => report.theorems += 1,
            _ => report.axioms += 1,
        }
        report.entries.push(LemmaEntry { name: label, library: library.to_owned(), conclusion, hypotheses });
    }
    if !any_statement {
        return Err(MetamathError::Grammar { file: file.to_owned(), message: "no $a or $p statements".to_owned() });
    }
    Ok(report)
}

struct Converter<'a> {
    db: &'a Database,
    /// Syntax axiom -> how many variables its math string has (its arity).
    arity: HashMap<Label, Option<usize>>,
}

/// A node under construction: its head and the arguments built so far.
struct Open {
    head: String,
    arity: usize,
    args: Vec<Term>,
}

impl Converter<'_> {
    /// The formula tree as a term; variables numbered by first occurrence.
    /// Iterative (preorder with arities), so deep formulas cannot overflow
    /// the stack here.
    fn term(&mut self, formula: &Formula) -> Option<Term> {
        let names = self.db.name_result();
        let mut vars: HashMap<Label, u32> = HashMap::new();
        let mut stack: Vec<Open> = Vec::new();
        for (label, is_variable) in formula.labels_iter() {
            let mut done = if is_variable {
                let next = vars.len() as u32;
                Term::Var(*vars.entry(label).or_insert(next))
            } else {
                let arity = self.arity(label)?;
                let head = String::from_utf8_lossy(names.atom_name(label)).into_owned();
                if arity > 0 {
                    stack.push(Open { head, arity, args: Vec::with_capacity(arity) });
                    continue;
                }
                Term::constant(head)
            };
            // Close every node this leaf (or closed node) completes.
            loop {
                let Some(top) = stack.last_mut() else { return Some(done) };
                top.args.push(done);
                if top.args.len() < top.arity {
                    break;
                }
                let Open { head, args, .. } = stack.pop()?;
                done = Term::app(head, args);
            }
        }
        None
    }

    fn arity(&mut self, label: Label) -> Option<usize> {
        if let Some(&arity) = self.arity.get(&label) {
            return arity;
        }
        let names = self.db.name_result();
        let arity = self.db.statement(names.atom_name(label)).and_then(|sref| {
            let mut count = 0;
            for token in sref.math_iter().skip(1) {
                match names.lookup_symbol(token.slice)?.stype {
                    SymbolType::Variable => count += 1,
                    SymbolType::Constant => {}
                }
            }
            Some(count)
        });
        self.arity.insert(label, arity);
        arity
    }
}
