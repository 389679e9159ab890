//! Proof search for an obligation `assumptions => goal`, lemma first:
//!
//! 1. **Cache**: the BLAKE3 of the normalised obligation names a stored
//!    witness. It is a hit only when everything the proof rests on is
//!    still what it was: the same cache format and prover
//!    ([`environment`]: Torc's version, Z3's version, the encoding), and
//!    every lemma and axiom the witness used present in this tree's
//!    libraries with the same statement ([`statement_hash`]). Anything
//!    else is a miss and falls through to the search; a project without a
//!    library never reuses a proof that needed it.
//! 2. **Lemmas**: the goal is split into its conjuncts; each is looked up in
//!    the lemma index (every lemma whose conclusion generalises it, most
//!    specific first). A match is instantiated and its hypotheses
//!    discharged: trivially true, one of the obligation's assumptions, by
//!    another lemma (recursively, up to a depth), or by a small Z3 query.
//! 3. **Z3** from scratch, with a time limit, for what lemmas did not prove.
//!
//! A lemma step through an `axiom` is marked as one, so every report can
//! name the axioms a proof rests on ([`Witness::axioms`]); without
//! [`SearchProver::allow_axioms`] the search uses none, and says which
//! axiom would have proved what it could not.
//!
//! Every proof leaves a [`Witness`] (which lemma, with what substitution and
//! the sub-proofs of its hypotheses; or "Z3 unsat" with the query's hash),
//! stored by BLAKE3 so that `torc prove --check` can re-check it.
//!
//! Terms cross into the index as first-order terms: an operation is a head
//! that carries its operand type (`le:Float<32>`), a literal its exact bits
//! (`f32:0x3f800000`), a variable of the obligation is a constant
//! (`var:dt:Float<32>`), and a lemma's parameters are pattern variables.
//! Heads carry types, so a match binds each parameter to a subterm of the
//! right type.

use crate::index::LemmaIndex;
use crate::lemma::Lemma;
use crate::term::Term as ITerm;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use torc_contracts::prove::{prove, Options, Outcome};
use torc_contracts::term::{ArithOp, CmpOp, Term};
use torc_graph::obligations::{canonical, substitute, Prover};

/// How one obligation (or one conjunct of it) was proved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum Witness {
    /// The conjunct is literally `true`.
    Trivial,
    /// The conjunct is one of the obligation's assumptions.
    Assumption,
    /// Lemma `lemma` of `library` (at `version`, with statement
    /// `statement`: its [`statement_hash`]; `axiom` when it was taken
    /// unproved), instantiated with `substitution` (parameter -> canonical
    /// text of the term), its hypotheses proved by `hypotheses` (one per
    /// conjunct of its `requires`). Witnesses stored before `version`,
    /// `statement` and `axiom` existed read with them empty, which no
    /// installed lemma matches.
    Lemma {
        library: String,
        #[serde(default)]
        version: String,
        lemma: String,
        #[serde(default)]
        statement: String,
        #[serde(default)]
        axiom: bool,
        substitution: BTreeMap<String, String>,
        hypotheses: Vec<Witness>,
    },
    /// Z3 found `assumptions => goal` valid; `query` is the BLAKE3 of the
    /// normalised query.
    Z3 { query: String },
    /// Each conjunct of the goal, proved separately.
    Conjunction { parts: Vec<Witness> },
}

/// An axiom a proof used: taken without a proof, so every report names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct AxiomUse {
    pub name: String,
    pub library: String,
    pub version: String,
}

impl std::fmt::Display for AxiomUse {
    /// `zero (evil-lemmas)`, as in `by axiom zero (evil-lemmas)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name, self.library)
    }
}

impl Witness {
    /// `lemma clamp_in_range (torc-arithmetic-proofs)`, `Z3`, `lemmas + Z3`,
    /// `axiom zero (evil-lemmas)`: axioms are always named as axioms.
    pub fn method(&self) -> String {
        let mut lemmas = Vec::new();
        let mut z3 = false;
        self.visit(&mut |w| match w {
            Witness::Lemma { library, lemma, axiom: false, .. } => lemmas.push(format!("{lemma} ({library})")),
            Witness::Z3 { .. } => z3 = true,
            _ => {}
        });
        lemmas.sort();
        lemmas.dedup();
        let axioms: Vec<String> = self.axioms().iter().map(AxiomUse::to_string).collect();
        let mut parts = Vec::new();
        if !lemmas.is_empty() {
            parts.push(format!("lemma {}", lemmas.join(", ")));
        }
        if !axioms.is_empty() {
            parts.push(format!("axiom {}", axioms.join(", ")));
        }
        if z3 {
            parts.push("Z3".to_owned());
        }
        if parts.is_empty() {
            return "assumptions".to_owned();
        }
        parts.join(" + ")
    }

    /// The axioms this proof used, sorted, each once.
    pub fn axioms(&self) -> Vec<AxiomUse> {
        let mut axioms = Vec::new();
        self.visit(&mut |w| {
            if let Witness::Lemma { library, version, lemma, axiom: true, .. } = w {
                axioms.push(AxiomUse { name: lemma.clone(), library: library.clone(), version: version.clone() });
            }
        });
        axioms.sort();
        axioms.dedup();
        axioms
    }

    /// Whether every lemma and axiom this proof used is in `lemmas` with
    /// the statement it was used with (and as a lemma or axiom as then).
    pub fn lemmas_present(&self, lemmas: Option<&LemmaSet>) -> bool {
        let mut present = true;
        self.visit(&mut |w| {
            if let Witness::Lemma { library, lemma, statement, axiom, .. } = w {
                present &= lemmas.is_some_and(|set| {
                    set.lemmas.iter().any(|e| {
                        e.library == *library
                            && e.lemma.name == *lemma
                            && e.statement == *statement
                            && e.lemma.axiom.is_some() == *axiom
                    })
                });
            }
        });
        present
    }

    fn visit(&self, f: &mut impl FnMut(&Witness)) {
        f(self);
        match self {
            Witness::Lemma { hypotheses, .. } => hypotheses.iter().for_each(|h| h.visit(f)),
            Witness::Conjunction { parts } => parts.iter().for_each(|p| p.visit(f)),
            _ => {}
        }
    }

    /// Whether any part of the proof used a lemma.
    pub fn uses_lemmas(&self) -> bool {
        let mut any = false;
        self.visit(&mut |w| any |= matches!(w, Witness::Lemma { .. }));
        any
    }
}

/// A stored proof: the obligation it proves and how, and what the verdict
/// rests on besides the lemmas the witness names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredProof {
    /// [`CACHE_FORMAT`] when it was stored; 0 for proofs stored before it
    /// was recorded (never a hit).
    #[serde(default)]
    pub format: u32,
    /// [`environment`] when it was stored.
    #[serde(default)]
    pub environment: String,
    pub obligation: String,
    pub assumptions: Vec<Term>,
    pub goal: Term,
    pub witness: Witness,
}

/// Version of the stored-proof format and of what a witness means. Bump it
/// when either changes.
pub const CACHE_FORMAT: u32 = 2;

/// What a stored verdict rests on besides the obligation and its lemmas:
/// Torc's version and the prover's ([`torc_contracts::prove::backend_identity`]:
/// Z3's exact version and the encoding). Z3's time limit is not part of it:
/// it can only turn a verdict into `Unknown`, never make one `Valid`.
pub fn environment() -> String {
    format!("torc {} / {}", env!("CARGO_PKG_VERSION"), torc_contracts::prove::backend_identity())
}

/// The BLAKE3 (hex) of a lemma's statement: whether it is a lemma or an
/// axiom, its name, typed parameters, and normalised `requires` and
/// `ensures`. A proof that used the lemma holds wherever a lemma of that
/// name has the same statement hash (an axiom's reason is not part of it).
pub fn statement_hash(lemma: &Lemma) -> String {
    let kind = if lemma.axiom.is_some() { "axiom" } else { "lemma" };
    let params: Vec<String> = lemma.params.iter().map(|(p, ty)| format!("{p}: {ty}")).collect();
    let text = format!(
        "{kind} {}({})\nrequires {}\nensures {}\n",
        lemma.name,
        params.join(", "),
        canonical(&lemma.requires),
        canonical(&lemma.ensures)
    );
    blake3::hash(text.as_bytes()).to_hex().to_string()
}

/// The BLAKE3 (hex) of the normalised obligation: sorted, deduplicated
/// assumption texts, then `=>` and the goal's.
pub fn obligation_hash(assumptions: &[Term], goal: &Term) -> String {
    let mut texts: Vec<String> = assumptions.iter().flat_map(conjuncts).map(|t| canonical(&t)).collect();
    texts.sort();
    texts.dedup();
    let mut text = texts.join("\n");
    text.push_str("\n=>\n");
    text.push_str(&canonical(goal));
    blake3::hash(text.as_bytes()).to_hex().to_string()
}

/// The lemmas proof search may use: an index over their conclusions and the
/// lemmas themselves (by index id). A lemma whose conclusion is a
/// conjunction has one entry per conjunct, so each can prove a goal's
/// conjunct on its own.
pub struct LemmaSet {
    pub index: LemmaIndex,
    /// Position = entry id in `index`.
    pub lemmas: Vec<IndexedLemma>,
}

/// One index entry: a conjunct of a lemma's conclusion.
#[derive(Clone, Debug)]
pub struct IndexedLemma {
    pub library: String,
    /// The library's version in this tree.
    pub version: String,
    pub lemma: Lemma,
    /// [`statement_hash`] of `lemma`.
    pub statement: String,
    /// The conjunct of `lemma.ensures` this entry concludes.
    pub conclusion: Term,
}

impl IndexedLemma {
    /// One entry per conjunct of `lemma`'s conclusion.
    pub fn entries(library: &str, version: &str, lemma: &Lemma) -> Vec<IndexedLemma> {
        let statement = statement_hash(lemma);
        conjuncts(&lemma.ensures)
            .into_iter()
            .map(|conclusion| IndexedLemma {
                library: library.to_owned(),
                version: version.to_owned(),
                lemma: lemma.clone(),
                statement: statement.clone(),
                conclusion,
            })
            .collect()
    }

    /// The entry's conclusion as an index pattern.
    pub fn pattern(&self) -> ITerm {
        pattern_of(&self.lemma, &self.conclusion)
    }
}

/// The obligation prover `torc verify` uses: cache, lemmas, then Z3.
pub struct SearchProver {
    pub lemmas: Option<LemmaSet>,
    /// Where witnesses are stored (`<dir>/<obligation hash>.json`); none:
    /// no cache.
    pub cache: Option<PathBuf>,
    pub options: Options,
    /// How deep hypotheses may be proved by further lemmas.
    pub depth: usize,
    /// Time limit of the small Z3 queries that discharge hypotheses.
    pub hypothesis_timeout_ms: u32,
    /// Whether a proof may use axioms (`[trust] allow-axioms`). When not,
    /// the search never uses one, and an obligation only an axiom proves
    /// is reported with that axiom in [`Found::refused_axioms`].
    pub allow_axioms: bool,
}

/// What [`SearchProver::search`] found.
#[derive(Clone, Debug)]
pub struct Found {
    pub outcome: Outcome,
    /// For a proof: how.
    pub witness: Option<Witness>,
    /// The proof came from the cache.
    pub cached: bool,
    /// Axioms are not allowed, the search without them did not prove the
    /// obligation (`outcome` says what it found), and these axioms would
    /// have.
    pub refused_axioms: Vec<AxiomUse>,
}

impl SearchProver {
    pub fn new(lemmas: Option<LemmaSet>, cache: Option<PathBuf>, options: Options) -> SearchProver {
        SearchProver { lemmas, cache, options, depth: 3, hypothesis_timeout_ms: 2_000, allow_axioms: true }
    }

    /// Proves `assumptions => goal`: cache, lemmas, Z3; stores the witness
    /// of a new proof. Without [`SearchProver::allow_axioms`] no proof uses
    /// an axiom; when only one would prove the obligation, the result says
    /// which.
    pub fn search(&self, assumptions: &[Term], goal: &Term) -> Found {
        let found = self.search_with(assumptions, goal, self.allow_axioms);
        let has_axioms = self.lemmas.as_ref().is_some_and(|set| set.lemmas.iter().any(|e| e.lemma.axiom.is_some()));
        if self.allow_axioms || matches!(found.outcome, Outcome::Valid) || !has_axioms {
            return found;
        }
        // Worth a second search only to name what the policy refused (or,
        // should a lemma path turn up that needs no axiom after all, to
        // keep that proof).
        let with = self.search_with(assumptions, goal, true);
        match &with.witness {
            Some(witness) if witness.axioms().is_empty() => with,
            Some(witness) => Found { refused_axioms: witness.axioms(), ..found },
            None => found,
        }
    }

    fn search_with(&self, assumptions: &[Term], goal: &Term, axioms: bool) -> Found {
        let hash = obligation_hash(assumptions, goal);
        if let Some(stored) = self.cache.as_deref().and_then(|dir| read_stored(dir, &hash)) {
            let usable = stored.format == CACHE_FORMAT
                && stored.environment == environment()
                && stored.witness.lemmas_present(self.lemmas.as_ref())
                && (axioms || stored.witness.axioms().is_empty());
            if usable {
                return Found {
                    outcome: Outcome::Valid,
                    witness: Some(stored.witness),
                    cached: true,
                    refused_axioms: Vec::new(),
                };
            }
        }
        let facts: Vec<Term> = assumptions.iter().flat_map(conjuncts).collect();
        let fact_texts: Vec<String> = facts.iter().map(canonical).collect();
        let mut parts = Vec::new();
        let mut remaining = Vec::new();
        for conjunct in conjuncts(goal) {
            match self.by_lemma(&conjunct, &facts, &fact_texts, self.depth, axioms) {
                Some(witness) => parts.push(witness),
                None => remaining.push(conjunct),
            }
        }
        if !remaining.is_empty() {
            let rest = if remaining.len() == 1 { remaining.pop().expect("one") } else { Term::And(remaining) };
            match prove(assumptions, &rest, &self.options) {
                Outcome::Valid => parts.push(Witness::Z3 { query: obligation_hash(assumptions, &rest) }),
                other => return Found { outcome: other, witness: None, cached: false, refused_axioms: Vec::new() },
            }
        }
        let witness = if parts.len() == 1 { parts.pop().expect("one") } else { Witness::Conjunction { parts } };
        if let Some(dir) = &self.cache {
            let stored = StoredProof {
                format: CACHE_FORMAT,
                environment: environment(),
                obligation: hash.clone(),
                assumptions: assumptions.to_vec(),
                goal: goal.clone(),
                witness: witness.clone(),
            };
            // A cache that cannot be written only costs time next run.
            let _ = write_stored(dir, &hash, &stored);
        }
        Found { outcome: Outcome::Valid, witness: Some(witness), cached: false, refused_axioms: Vec::new() }
    }

    /// A lemma proof of one conjunct, or None; with `axioms` false, no
    /// axiom is used.
    fn by_lemma(&self, goal: &Term, facts: &[Term], fact_texts: &[String], depth: usize, axioms: bool) -> Option<Witness> {
        let text = canonical(goal);
        if matches!(goal, Term::Bool(true)) {
            return Some(Witness::Trivial);
        }
        if fact_texts.contains(&text) {
            return Some(Witness::Assumption);
        }
        let set = self.lemmas.as_ref()?;
        if depth == 0 {
            return None;
        }
        let mut subterms = HashMap::new();
        let key = to_index(goal, &mut subterms);
        for found in set.index.query(&key) {
            let Some(entry) = set.lemmas.get(found.id as usize) else { continue };
            if !axioms && entry.lemma.axiom.is_some() {
                continue;
            }
            let (library, lemma) = (&entry.library, &entry.lemma);
            // Parameters -> the goal's subterms they matched.
            let mut substitution = HashMap::new();
            let mut shown = BTreeMap::new();
            let mut complete = true;
            for (i, (param, _)) in lemma.params.iter().enumerate() {
                match found.substitution.get(&(i as u32)).and_then(|t| subterms.get(t)) {
                    Some(term) => {
                        shown.insert(param.clone(), canonical(term));
                        substitution.insert(param.clone(), term.clone());
                    }
                    None => complete = false,
                }
            }
            if !complete {
                continue; // a parameter only in `requires`: nothing to instantiate it with
            }
            // The instance must be the goal exactly (the index matched
            // shapes; this checks the whole term, types included).
            if canonical(&substitute(&entry.conclusion, &substitution)) != text {
                continue;
            }
            let requires = substitute(&lemma.requires, &substitution);
            let mut hypotheses = Vec::new();
            let mut discharged = true;
            for hypothesis in conjuncts(&requires) {
                if let Some(w) = self.by_lemma(&hypothesis, facts, fact_texts, depth - 1, axioms) {
                    hypotheses.push(w);
                    continue;
                }
                let options = Options { timeout_ms: self.hypothesis_timeout_ms };
                match prove(facts, &hypothesis, &options) {
                    Outcome::Valid => hypotheses.push(Witness::Z3 { query: obligation_hash(facts, &hypothesis) }),
                    _ => {
                        discharged = false;
                        break;
                    }
                }
            }
            if discharged {
                return Some(Witness::Lemma {
                    library: library.clone(),
                    version: entry.version.clone(),
                    lemma: lemma.name.clone(),
                    statement: entry.statement.clone(),
                    axiom: lemma.axiom.is_some(),
                    substitution: shown,
                    hypotheses,
                });
            }
        }
        None
    }
}

impl Prover for SearchProver {
    fn prove(&self, assumptions: &[Term], goal: &Term) -> Outcome {
        self.search(assumptions, goal).outcome
    }
}

/// The top-level conjuncts of `term` (`true` ones dropped).
pub fn conjuncts(term: &Term) -> Vec<Term> {
    match term {
        Term::And(terms) => terms.iter().flat_map(conjuncts).collect(),
        Term::Bool(true) => Vec::new(),
        other => vec![other.clone()],
    }
}

/// `term` as an index term: the obligation's variables become constants.
/// `subterms` records, for every index subterm built, the contract term it
/// came from (so a match's substitution can be turned back).
pub fn to_index(term: &Term, subterms: &mut HashMap<ITerm, Term>) -> ITerm {
    convert(term, &mut |name, ty| ITerm::constant(format!("var:{name}:{ty}")), subterms)
}

/// `conclusion` (a lemma's, or a conjunct of it) as an index pattern: the
/// lemma's parameters (in order) become pattern variables `?0`, `?1`, ...
pub fn pattern_of(lemma: &Lemma, conclusion: &Term) -> ITerm {
    let params: Vec<&str> = lemma.params.iter().map(|(p, _)| p.as_str()).collect();
    let mut ignored = HashMap::new();
    convert(
        conclusion,
        &mut |name, ty| match params.iter().position(|p| *p == name) {
            Some(i) => ITerm::Var(i as u32),
            None => ITerm::constant(format!("var:{name}:{ty}")),
        },
        &mut ignored,
    )
}

fn convert(
    term: &Term,
    var: &mut dyn FnMut(&str, torc_contracts::term::Scalar) -> ITerm,
    subterms: &mut HashMap<ITerm, Term>,
) -> ITerm {
    let mut app = |head: String, args: Vec<&Term>, var: &mut dyn FnMut(&str, torc_contracts::term::Scalar) -> ITerm| {
        let args = args.into_iter().map(|a| convert(a, var, subterms)).collect();
        ITerm::app(head, args)
    };
    let ty = |t: &Term| t.ty().to_string();
    let result = match term {
        Term::Var { name, ty } => var(name, *ty),
        Term::Bool(_) | Term::Int { .. } | Term::Float { .. } => ITerm::constant(canonical(term)),
        Term::Not(a) => app("not".into(), vec![a], var),
        Term::Neg(a) => app(format!("neg:{}", ty(a)), vec![a], var),
        Term::IsNan(a) => app(format!("is_nan:{}", ty(a)), vec![a], var),
        Term::IsInf(a) => app(format!("is_inf:{}", ty(a)), vec![a], var),
        Term::Finite(a) => app(format!("finite:{}", ty(a)), vec![a], var),
        Term::Abs(a) => app(format!("abs:{}", ty(a)), vec![a], var),
        Term::And(terms) => app(format!("and/{}", terms.len()), terms.iter().collect(), var),
        Term::Or(terms) => app(format!("or/{}", terms.len()), terms.iter().collect(), var),
        Term::Implies(a, b) => app("=>".into(), vec![a, b], var),
        Term::Cmp(op, a, b) => {
            let name = match op {
                CmpOp::Eq => "eq",
                CmpOp::Ne => "ne",
                CmpOp::Lt => "lt",
                CmpOp::Le => "le",
                CmpOp::Gt => "gt",
                CmpOp::Ge => "ge",
            };
            app(format!("{name}:{}", ty(a)), vec![a, b], var)
        }
        Term::Arith(op, a, b) => {
            let name = match op {
                ArithOp::Add => "add",
                ArithOp::Sub => "sub",
                ArithOp::Mul => "mul",
                ArithOp::Div => "div",
            };
            app(format!("{name}:{}", ty(a)), vec![a, b], var)
        }
        Term::Min(a, b) => app(format!("min:{}", ty(a)), vec![a, b], var),
        Term::Max(a, b) => app(format!("max:{}", ty(a)), vec![a, b], var),
    };
    subterms.entry(result.clone()).or_insert_with(|| term.clone());
    result
}

/// A stored proof is a few kilobytes; anything far larger is not one.
const MAX_STORED_PROOF: u64 = 16 << 20;

fn read_stored(dir: &Path, hash: &str) -> Option<StoredProof> {
    // No link, FIFO or device planted in the cache is followed or waited on.
    let text = torc_fs::read_regular_to_string(&dir.join(format!("{hash}.json")), MAX_STORED_PROOF).ok()?;
    let stored: StoredProof = serde_json::from_str(&text).ok()?;
    // A stored proof whose content does not hash to its name is ignored.
    (obligation_hash(&stored.assumptions, &stored.goal) == hash).then_some(stored)
}

fn write_stored(dir: &Path, hash: &str, stored: &StoredProof) -> std::io::Result<()> {
    let bytes = serde_json::to_vec_pretty(stored).map_err(std::io::Error::other)?;
    torc_fs::write_within(dir, &dir.join(format!("{hash}.json")), &bytes)
}

/// Re-checks every stored proof in `dir` from scratch: each lemma step is
/// re-instantiated and must give its goal exactly, with the lemma still in
/// `lemmas`; each Z3 step is asked again. Returns (checked, failures).
pub fn check_stored(dir: &Path, lemmas: Option<&LemmaSet>, options: &Options) -> (usize, Vec<String>) {
    let mut checked = 0;
    let mut failures = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return (0, failures) };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths.into_iter().filter(|p| p.extension().is_some_and(|e| e == "json")) {
        checked += 1;
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let read = torc_fs::read_regular_to_string(&path, MAX_STORED_PROOF).map_err(|e| e.to_string());
        let stored: StoredProof = match read.and_then(|t| {
            serde_json::from_str(&t).map_err(|e| e.to_string())
        }) {
            Ok(stored) => stored,
            Err(e) => {
                failures.push(format!("{}: unreadable: {e}", path.display()));
                continue;
            }
        };
        if obligation_hash(&stored.assumptions, &stored.goal) != name {
            failures.push(format!("{}: its obligation does not hash to its name", path.display()));
            continue;
        }
        let facts: Vec<Term> = stored.assumptions.iter().flat_map(conjuncts).collect();
        if let Err(e) = recheck(&stored.witness, &facts, &stored.goal, lemmas, options) {
            failures.push(format!("{}: {e}", path.display()));
        }
    }
    (checked, failures)
}

fn recheck(witness: &Witness, facts: &[Term], goal: &Term, lemmas: Option<&LemmaSet>, options: &Options) -> Result<(), String> {
    match witness {
        Witness::Trivial => conjuncts(goal).is_empty().then_some(()).ok_or_else(|| "not trivially true".to_owned()),
        Witness::Assumption => {
            let text = canonical(goal);
            facts.iter().any(|f| canonical(f) == text).then_some(()).ok_or_else(|| "not an assumption".to_owned())
        }
        Witness::Z3 { .. } => match prove(facts, goal, options) {
            Outcome::Valid => Ok(()),
            Outcome::Invalid(cx) => Err(format!("Z3 refutes it now: {cx}")),
            Outcome::Unknown(reason) => Err(format!("Z3 cannot decide it now: {reason}")),
        },
        Witness::Conjunction { parts } => {
            let goals = conjuncts(goal);
            // The last part may be a Z3 proof of the remaining conjuncts together.
            let mut i = 0;
            for part in parts {
                if let Witness::Z3 { .. } = part {
                    if i + 1 < goals.len() && parts.len() == i + 1 {
                        return recheck(part, facts, &Term::And(goals[i..].to_vec()), lemmas, options);
                    }
                }
                let g = goals.get(i).ok_or("more proofs than conjuncts")?;
                recheck(part, facts, g, lemmas, options)?;
                i += 1;
            }
            (i == goals.len()).then_some(()).ok_or_else(|| "conjuncts left unproved".to_owned())
        }
        Witness::Lemma { library, lemma, statement, axiom, substitution, hypotheses, .. } => {
            let kind = if *axiom { "axiom" } else { "lemma" };
            let set = lemmas.ok_or_else(|| format!("{kind} {lemma} of {library} is not installed (the tree has no proof library)"))?;
            let named: Vec<&IndexedLemma> =
                set.lemmas.iter().filter(|e| &e.library == library && &e.lemma.name == lemma).collect();
            let Some(installed) = named.first() else {
                return Err(format!("{kind} {lemma} of {library} is not installed"));
            };
            if statement.is_empty() {
                return Err(format!(
                    "{kind} {lemma} of {library}: stored without its statement's hash (an older Torc); `torc prove` stores it again"
                ));
            }
            if installed.statement != *statement || installed.lemma.axiom.is_some() != *axiom {
                return Err(format!(
                    "{kind} {lemma} of {library} has changed since the proof was stored (statement blake3 {} then, {} installed)",
                    short(statement),
                    short(&installed.statement)
                ));
            }
            // The substitution is stored as text: rebuild it by matching
            // the lemma's conclusions against the goal again.
            let mut subterms = HashMap::new();
            let key = to_index(goal, &mut subterms);
            let (entry, m) = named
                .iter()
                .find_map(|e| crate::term::matches(&e.pattern(), &key).map(|m| (*e, m)))
                .ok_or_else(|| format!("{kind} {lemma} of {library} does not match the goal"))?;
            let found = &entry.lemma;
            let mut map = HashMap::new();
            for (i, (param, _)) in found.params.iter().enumerate() {
                let term = m.get(&(i as u32)).and_then(|t| subterms.get(t)).ok_or("a parameter is unbound")?;
                if substitution.get(param).is_some_and(|s| *s != canonical(term)) {
                    return Err(format!("parameter {param} is bound differently"));
                }
                map.insert(param.clone(), term.clone());
            }
            if canonical(&substitute(&entry.conclusion, &map)) != canonical(goal) {
                return Err("the instance is not the goal".into());
            }
            let requires = conjuncts(&substitute(&found.requires, &map));
            if requires.len() != hypotheses.len() {
                return Err("hypothesis count differs".into());
            }
            for (h, w) in requires.iter().zip(hypotheses) {
                recheck(w, facts, h, lemmas, options)?;
            }
            Ok(())
        }
    }
}

fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{IndexBuilder, LemmaEntry};
    use crate::lemma::parse_lemmas;
    use torc_contracts::check::check_formula;
    use torc_contracts::term::{FloatWidth, Scalar};

    const F32: Scalar = Scalar::Float(FloatWidth::F32);
    const ZERO: &str = "axiom zero(x: Float<32>) reason \"r\" requires finite(x) ensures abs(x) >= 1.0";

    fn lemma(text: &str) -> Lemma {
        parse_lemmas(Path::new("t.lemma"), text).unwrap().remove(0)
    }

    /// The lemma set of one library `lib` at `version`, its index in `dir`.
    fn set(dir: &Path, version: &str, text: &str) -> LemmaSet {
        let lemmas = IndexedLemma::entries("lib", version, &lemma(text));
        let mut builder = IndexBuilder::new();
        for e in &lemmas {
            builder.add(LemmaEntry {
                name: e.lemma.name.clone(),
                library: e.library.clone(),
                conclusion: e.pattern(),
                hypotheses: conjuncts(&e.lemma.requires).len(),
            });
        }
        let path = dir.join(format!("{version}.idx"));
        builder.write(&path).unwrap();
        LemmaIndex::verify(&path, None).unwrap();
        LemmaSet { index: LemmaIndex::open(&path).unwrap(), lemmas }
    }

    /// `finite(x) => abs(x) >= 1.0`: false at x = 0.0, "proved" by `zero`.
    fn obligation() -> (Vec<Term>, Term) {
        let vars = [("x".to_owned(), F32)];
        (vec![check_formula("finite(x)", &vars).unwrap()], check_formula("abs(x) >= 1.0", &vars).unwrap())
    }

    fn prover(lemmas: Option<LemmaSet>, cache: &Path) -> SearchProver {
        SearchProver::new(lemmas, Some(cache.to_path_buf()), Options::default())
    }

    #[test]
    fn the_statement_hash_changes_with_what_the_lemma_says_only() {
        let base = statement_hash(&lemma(ZERO));
        assert_eq!(base, statement_hash(&lemma(&ZERO.replace("\"r\"", "\"another reason\""))));
        assert_eq!(base, statement_hash(&lemma(&ZERO.replace("requires", "\n  requires"))));
        for changed in [
            ZERO.replace("1.0", "2.0"),
            ZERO.replace("finite(x)", "!is_nan(x)"),
            ZERO.replace("Float<32>", "Float<64>"),
            ZERO.replace("zero", "one"),
            "lemma zero(x: Float<32>) requires finite(x) ensures abs(x) >= 1.0".to_owned(),
        ] {
            assert_ne!(base, statement_hash(&lemma(&changed)), "{changed}");
        }
    }

    #[test]
    fn a_cache_hit_needs_every_lemma_of_the_witness_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        let (assumptions, goal) = obligation();
        let first = prover(Some(set(dir.path(), "1.0.0", ZERO)), &cache).search(&assumptions, &goal);
        assert!(matches!(first.outcome, Outcome::Valid) && !first.cached);
        assert_eq!(first.witness.as_ref().unwrap().method(), "axiom zero (lib)");
        let again = prover(Some(set(dir.path(), "1.0.1", ZERO)), &cache).search(&assumptions, &goal);
        assert!(again.cached, "the same statement in another version still holds");

        // Without the library, or with the axiom changed: no hit, and Z3
        // finds the obligation false.
        let without = prover(None, &cache).search(&assumptions, &goal);
        assert!(matches!(without.outcome, Outcome::Invalid(_)) && !without.cached, "{without:?}");
        let narrowed = ZERO.replace("finite(x)", "x > 1.0e30");
        let changed = prover(Some(set(dir.path(), "2.0.0", &narrowed)), &cache).search(&assumptions, &goal);
        assert!(matches!(changed.outcome, Outcome::Invalid(_)) && !changed.cached, "{changed:?}");
        let (_, failures) = check_stored(&cache, Some(&set(dir.path(), "2.0.1", &narrowed)), &Options::default());
        assert!(failures[0].contains("axiom zero of lib has changed"), "{failures:?}");
    }

    #[test]
    fn a_proof_stored_under_another_torc_or_prover_is_no_hit() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        let (assumptions, goal) = obligation();
        let lemmas = || Some(set(dir.path(), "1.0.0", ZERO));
        prover(lemmas(), &cache).search(&assumptions, &goal);
        let file = cache.join(format!("{}.json", obligation_hash(&assumptions, &goal)));
        let stored: StoredProof = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert!(prover(lemmas(), &cache).search(&assumptions, &goal).cached);
        for tampered in [
            StoredProof { environment: "torc 0.0.1 / z3 4.8.5".into(), ..stored.clone() },
            StoredProof { format: 1, ..stored.clone() },
        ] {
            std::fs::write(&file, serde_json::to_vec(&tampered).unwrap()).unwrap();
            assert!(!prover(lemmas(), &cache).search(&assumptions, &goal).cached);
        }
        // A witness from before statements were recorded reads, but holds nothing.
        let old = std::fs::read_to_string(&file).unwrap().replace(&statement_hash(&lemma(ZERO)), "");
        std::fs::write(&file, old).unwrap();
        let stored: StoredProof = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert!(!stored.witness.lemmas_present(lemmas().as_ref()));
    }

    #[test]
    fn a_fifo_or_link_planted_in_the_cache_is_a_miss_never_waited_on() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        std::fs::create_dir_all(&cache).unwrap();
        let (assumptions, goal) = obligation();
        let hash = obligation_hash(&assumptions, &goal);
        // A genuine proof elsewhere, linked into the cache: not followed.
        let elsewhere = dir.path().join("elsewhere");
        prover(Some(set(dir.path(), "1.0.0", ZERO)), &elsewhere).search(&assumptions, &goal);
        std::os::unix::fs::symlink(elsewhere.join(format!("{hash}.json")), cache.join(format!("{hash}.json"))).unwrap();
        assert!(read_stored(&cache, &hash).is_none(), "a link in the cache is not followed");
        std::fs::remove_file(cache.join(format!("{hash}.json"))).unwrap();
        let fifo = cache.join(format!("{hash}.json"));
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        // Reading a FIFO would block for ever; the cache must answer at once.
        assert!(read_stored(&cache, &hash).is_none());
        let (checked, failures) = check_stored(&cache, None, &Options::default());
        assert_eq!((checked, failures.len()), (1, 1), "{failures:?}");
    }

    #[test]
    fn without_axioms_the_search_uses_none_and_names_the_one_it_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        let (assumptions, goal) = obligation();
        // Cached with axioms allowed first: the refusing run must not reuse it.
        prover(Some(set(dir.path(), "1.0.0", ZERO)), &cache).search(&assumptions, &goal);
        let mut strict = prover(Some(set(dir.path(), "1.0.0", ZERO)), &cache);
        strict.allow_axioms = false;
        let found = strict.search(&assumptions, &goal);
        assert!(matches!(found.outcome, Outcome::Invalid(_)), "{found:?}");
        assert!(found.witness.is_none());
        assert_eq!(
            found.refused_axioms,
            [AxiomUse { name: "zero".into(), library: "lib".into(), version: "1.0.0".into() }]
        );
        // A goal Z3 proves needs no axiom, so nothing is refused.
        let vars = [("x".to_owned(), F32)];
        let provable = check_formula("abs(x) >= 0.0 || is_nan(x)", &vars).unwrap();
        let found = strict.search(&assumptions, &provable);
        assert!(matches!(found.outcome, Outcome::Valid) && found.refused_axioms.is_empty(), "{found:?}");
        assert!(found.witness.unwrap().axioms().is_empty());
    }
}
