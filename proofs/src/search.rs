//! Proof search for an obligation `assumptions => goal`, lemma first:
//!
//! 1. **Cache**: the BLAKE3 of the normalised obligation names a stored
//!    witness; a hit is proved without any search.
//! 2. **Lemmas**: the goal is split into its conjuncts; each is looked up in
//!    the lemma index (every lemma whose conclusion generalises it, most
//!    specific first). A match is instantiated and its hypotheses
//!    discharged: trivially true, one of the obligation's assumptions, by
//!    another lemma (recursively, up to a depth), or by a small Z3 query.
//! 3. **Z3** from scratch, with a time limit, for what lemmas did not prove.
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
    /// Lemma `lemma` of `library`, instantiated with `substitution`
    /// (parameter -> canonical text of the term), its hypotheses proved by
    /// `hypotheses` (one per conjunct of its `requires`).
    Lemma { library: String, lemma: String, substitution: BTreeMap<String, String>, hypotheses: Vec<Witness> },
    /// Z3 found `assumptions => goal` valid; `query` is the BLAKE3 of the
    /// normalised query.
    Z3 { query: String },
    /// Each conjunct of the goal, proved separately.
    Conjunction { parts: Vec<Witness> },
}

impl Witness {
    /// `lemma clamp_in_range (torc-arithmetic-proofs)`, `Z3`, `lemmas + Z3`.
    pub fn method(&self) -> String {
        let mut lemmas = Vec::new();
        let mut z3 = false;
        self.visit(&mut |w| match w {
            Witness::Lemma { library, lemma, .. } => lemmas.push(format!("{lemma} ({library})")),
            Witness::Z3 { .. } => z3 = true,
            _ => {}
        });
        lemmas.sort();
        lemmas.dedup();
        match (lemmas.is_empty(), z3) {
            (true, true) => "Z3".to_owned(),
            (true, false) => "assumptions".to_owned(),
            (false, false) => format!("lemma {}", lemmas.join(", ")),
            (false, true) => format!("lemma {} + Z3", lemmas.join(", ")),
        }
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

/// A stored proof: the obligation it proves and how.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredProof {
    pub obligation: String,
    pub assumptions: Vec<Term>,
    pub goal: Term,
    pub witness: Witness,
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
    pub lemma: Lemma,
    /// The conjunct of `lemma.ensures` this entry concludes.
    pub conclusion: Term,
}

impl IndexedLemma {
    /// One entry per conjunct of `lemma`'s conclusion.
    pub fn entries(library: &str, lemma: &Lemma) -> Vec<IndexedLemma> {
        conjuncts(&lemma.ensures)
            .into_iter()
            .map(|conclusion| IndexedLemma { library: library.to_owned(), lemma: lemma.clone(), conclusion })
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
}

/// What [`SearchProver::search`] found.
#[derive(Clone, Debug)]
pub struct Found {
    pub outcome: Outcome,
    /// For a proof: how.
    pub witness: Option<Witness>,
    /// The proof came from the cache.
    pub cached: bool,
}

impl SearchProver {
    pub fn new(lemmas: Option<LemmaSet>, cache: Option<PathBuf>, options: Options) -> SearchProver {
        SearchProver { lemmas, cache, options, depth: 3, hypothesis_timeout_ms: 2_000 }
    }

    /// Proves `assumptions => goal`: cache, lemmas, Z3; stores the witness
    /// of a new proof.
    pub fn search(&self, assumptions: &[Term], goal: &Term) -> Found {
        let hash = obligation_hash(assumptions, goal);
        if let Some(stored) = self.cache.as_deref().and_then(|dir| read_stored(dir, &hash)) {
            return Found { outcome: Outcome::Valid, witness: Some(stored.witness), cached: true };
        }
        let facts: Vec<Term> = assumptions.iter().flat_map(conjuncts).collect();
        let fact_texts: Vec<String> = facts.iter().map(canonical).collect();
        let mut parts = Vec::new();
        let mut remaining = Vec::new();
        for conjunct in conjuncts(goal) {
            match self.by_lemma(&conjunct, &facts, &fact_texts, self.depth) {
                Some(witness) => parts.push(witness),
                None => remaining.push(conjunct),
            }
        }
        if !remaining.is_empty() {
            let rest = if remaining.len() == 1 { remaining.pop().expect("one") } else { Term::And(remaining) };
            match prove(assumptions, &rest, &self.options) {
                Outcome::Valid => parts.push(Witness::Z3 { query: obligation_hash(assumptions, &rest) }),
                other => return Found { outcome: other, witness: None, cached: false },
            }
        }
        let witness = if parts.len() == 1 { parts.pop().expect("one") } else { Witness::Conjunction { parts } };
        if let Some(dir) = &self.cache {
            let stored = StoredProof {
                obligation: hash.clone(),
                assumptions: assumptions.to_vec(),
                goal: goal.clone(),
                witness: witness.clone(),
            };
            // A cache that cannot be written only costs time next run.
            let _ = write_stored(dir, &hash, &stored);
        }
        Found { outcome: Outcome::Valid, witness: Some(witness), cached: false }
    }

    /// A lemma proof of one conjunct, or None.
    fn by_lemma(&self, goal: &Term, facts: &[Term], fact_texts: &[String], depth: usize) -> Option<Witness> {
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
                if let Some(w) = self.by_lemma(&hypothesis, facts, fact_texts, depth - 1) {
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
                    lemma: lemma.name.clone(),
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

fn read_stored(dir: &Path, hash: &str) -> Option<StoredProof> {
    let text = std::fs::read_to_string(dir.join(format!("{hash}.json"))).ok()?;
    let stored: StoredProof = serde_json::from_str(&text).ok()?;
    // A stored proof whose content does not hash to its name is ignored.
    (obligation_hash(&stored.assumptions, &stored.goal) == hash).then_some(stored)
}

fn write_stored(dir: &Path, hash: &str, stored: &StoredProof) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{hash}.json"));
    let temp = dir.join(format!(".{hash}.{}.tmp", std::process::id()));
    std::fs::write(&temp, serde_json::to_vec_pretty(stored).map_err(std::io::Error::other)?)?;
    std::fs::rename(&temp, path)
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
        let stored: StoredProof = match std::fs::read_to_string(&path).map_err(|e| e.to_string()).and_then(|t| {
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
        Witness::Lemma { library, lemma, substitution, hypotheses } => {
            let set = lemmas.ok_or("no lemma libraries to re-check against")?;
            // The substitution is stored as text: rebuild it by matching
            // the lemma's conclusions against the goal again.
            let mut subterms = HashMap::new();
            let key = to_index(goal, &mut subterms);
            let (entry, m) = set
                .lemmas
                .iter()
                .filter(|e| &e.library == library && &e.lemma.name == lemma)
                .find_map(|e| crate::term::matches(&e.pattern(), &key).map(|m| (e, m)))
                .ok_or_else(|| format!("lemma {lemma} of {library} is not installed or does not match the goal"))?;
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
