//! Lemma files: named facts about contract terms, each proved by Z3 once,
//! when its proof library is built.
//!
//! A lemma file is a sequence of declarations; `//` starts a comment that
//! runs to the end of the line:
//!
//! ```text
//! lemma NAME(PARAM: TYPE, ...)
//!   requires FORMULA        // optional; `true` when absent
//!   ensures FORMULA
//!
//! axiom NAME(PARAM: TYPE, ...) reason "WHY IT MAY BE TRUSTED"
//!   requires FORMULA
//!   ensures FORMULA
//! ```
//!
//! Parameters have the contract language's scalar types (`Bool`, `Int<N>`,
//! `UInt<N>`, `Float<32>`, `Float<64>`). Each formula is a Bool expression of
//! the contract language over the parameters ([`check_formula`]), with its
//! exact IEEE meaning: a lemma says that for every value of its parameters,
//! `requires` implies `ensures`. A `lemma` is proved ([`prove_lemma`]); an
//! `axiom` is not, so it must say why it may be trusted (`reason` is
//! required), and `torc audit` lists it. `lemma`, `axiom`, `requires`,
//! `ensures` and `reason` are keywords: no parameter may take their names.
//!
//! ```
//! use std::path::Path;
//! use torc_contracts::prove::Options;
//! use torc_proofs::lemma::{parse_lemmas, prove_lemma, LemmaStatus};
//!
//! let text = r#"
//! // clamp(x, lo, hi) is min(max(x, lo), hi)
//! lemma clamp_in_range(x: Float<32>, lo: Float<32>, hi: Float<32>)
//!   requires lo <= hi && !is_nan(x)
//!   ensures in_range(clamp(x, lo, hi), lo, hi)
//!
//! axiom fast_inv_sqrt_bound(x: Float<32>) reason "measured on all 2^32 inputs"
//!   requires x > 0.0 ensures x * x > 0.0 || x < 1.0e-20
//! "#;
//! let lemmas = parse_lemmas(Path::new("clamp.lemma"), text).unwrap();
//! assert_eq!(lemmas[0].name, "clamp_in_range");
//! assert_eq!(lemmas[0].line, 3);
//! assert_eq!(prove_lemma(&lemmas[0], &Options::default()), LemmaStatus::Proved);
//! assert!(matches!(prove_lemma(&lemmas[1], &Options::default()), LemmaStatus::Axiom(_)));
//!
//! let wrong = "lemma bad(x: Float<32>) ensures x + 1.0 > x";
//! let lemmas = parse_lemmas(Path::new("bad.lemma"), wrong).unwrap();
//! assert!(matches!(prove_lemma(&lemmas[0], &Options::default()), LemmaStatus::Refuted(_)));
//!
//! let error = parse_lemmas(Path::new("a.lemma"), "axiom a(x: Bool) ensures x").unwrap_err();
//! assert_eq!(error.to_string(), "a.lemma:1:1: axiom `a` needs a reason: write axiom a(...) reason \"why it may be trusted\"");
//! ```

use serde::Serialize;
use std::path::{Path, PathBuf};
use torc_contracts::check::{check_formula, parse_scalar};
use torc_contracts::prove::{prove, Counterexample, Options, Outcome};
use torc_contracts::term::{Scalar, Term};

const KEYWORDS: [&str; 5] = ["lemma", "axiom", "requires", "ensures", "reason"];
/// Names the contract language gives a meaning of its own.
const RESERVED: [&str; 6] = ["true", "false", "value", "finite", "is_nan", "is_inf"];
const TYPES: &str = "Bool, Int<N>, UInt<N>, Float<32> or Float<64>";

/// One declaration of a lemma file.
#[derive(Clone, Debug, PartialEq)]
pub struct Lemma {
    pub name: String,
    /// In declaration order.
    pub params: Vec<(String, Scalar)>,
    /// `true` when the declaration has no `requires`.
    pub requires: Term,
    pub ensures: Term,
    /// `Some(reason)` for an `axiom`: taken without a proof.
    pub axiom: Option<String>,
    /// 1-based line of the `lemma` or `axiom` keyword.
    pub line: usize,
    /// The formulas as written, comments removed and whitespace collapsed.
    pub requires_text: String,
    pub ensures_text: String,
}

/// A lemma file that does not read, at a 1-based line and column
/// (characters).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", file.display())]
pub struct LemmaError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// What became of one lemma when its library was built.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "status", content = "detail", rename_all = "lowercase")]
pub enum LemmaStatus {
    /// Z3 proved `requires => ensures` for every value of the parameters.
    Proved,
    /// Values of the parameters for which `requires` holds and `ensures`
    /// does not (re-checked natively).
    Refuted(Counterexample),
    /// Z3 settled nothing (a timeout, a term it cannot encode), and why.
    Unknown(String),
    /// An axiom, not proved; its reason.
    Axiom(String),
}

/// Proves `requires => ensures` for every value of the lemma's parameters;
/// an axiom is not proved and answers [`LemmaStatus::Axiom`].
pub fn prove_lemma(lemma: &Lemma, options: &Options) -> LemmaStatus {
    if let Some(reason) = &lemma.axiom {
        return LemmaStatus::Axiom(reason.clone());
    }
    match prove(std::slice::from_ref(&lemma.requires), &lemma.ensures, options) {
        Outcome::Valid => LemmaStatus::Proved,
        Outcome::Invalid(cx) => LemmaStatus::Refuted(cx),
        Outcome::Unknown(why) => LemmaStatus::Unknown(why),
    }
}

/// Reads the declarations of a lemma file; `file` names it in errors.
/// The first error ends the reading; two declarations with one name are an
/// error.
pub fn parse_lemmas(file: &Path, text: &str) -> Result<Vec<Lemma>, LemmaError> {
    let masked = mask_comments(text);
    let mut parser = Parser { file, text, masked: &masked, pos: 0 };
    let mut lemmas: Vec<Lemma> = Vec::new();
    loop {
        parser.skip_ws();
        if parser.pos >= masked.len() {
            return Ok(lemmas);
        }
        let start = parser.pos;
        let lemma = parser.declaration()?;
        if let Some(first) = lemmas.iter().find(|l| l.name == lemma.name) {
            return Err(parser.error_at(
                start,
                format!("`{}` is declared twice: on line {} and on line {}", lemma.name, first.line, lemma.line),
            ));
        }
        lemmas.push(lemma);
    }
}

/// The text with every `//` comment replaced by spaces (byte for byte, so
/// offsets stay those of the file). A `//` inside a string is not a comment.
fn mask_comments(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            out.push(b);
            if b == b'\\' && i + 1 < bytes.len() && bytes[i + 1] != b'\n' {
                out.push(bytes[i + 1]);
                i += 1;
            } else if b == b'"' || b == b'\n' {
                in_string = false;
            }
            i += 1;
        } else if b == b'"' {
            in_string = true;
            out.push(b);
            i += 1;
        } else if b == b'/' && bytes.get(i + 1) == Some(&b'/') {
            while i < bytes.len() && bytes[i] != b'\n' {
                out.push(b' ');
                i += 1;
            }
        } else {
            out.push(b);
            i += 1;
        }
    }
    // Only whole comments (which end at an ASCII newline) were replaced.
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_identifier(word: &str) -> bool {
    word.as_bytes().first().is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_') && word.bytes().all(is_word_byte)
}

struct Parser<'a> {
    file: &'a Path,
    text: &'a str,
    /// `text` with comments blanked out; what is parsed.
    masked: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn error_at(&self, offset: usize, message: impl Into<String>) -> LemmaError {
        let offset = offset.min(self.text.len());
        let before = &self.text[..floor_char_boundary(self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        LemmaError { file: self.file.to_path_buf(), line, column, message: message.into() }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.text.as_bytes()[..offset.min(self.text.len())].iter().filter(|b| **b == b'\n').count() + 1
    }

    fn skip_ws(&mut self) {
        let bytes = self.masked.as_bytes();
        while bytes.get(self.pos).is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
    }

    /// The word (letters, digits, `_`) at the cursor, if any, without moving.
    fn peek_word(&mut self) -> Option<(usize, &str)> {
        self.skip_ws();
        let bytes = self.masked.as_bytes();
        let mut end = self.pos;
        while bytes.get(end).is_some_and(|b| is_word_byte(*b)) {
            end += 1;
        }
        (end > self.pos).then(|| (self.pos, &self.masked[self.pos..end]))
    }

    fn word(&mut self, what: &str) -> Result<(usize, String), LemmaError> {
        match self.peek_word() {
            Some((start, word)) => {
                let word = word.to_owned();
                self.pos = start + word.len();
                Ok((start, word))
            }
            None => Err(self.error_at(self.pos, format!("expected {what}, found {}", self.found()))),
        }
    }

    fn found(&self) -> String {
        let rest = self.masked[self.pos..].trim_start();
        match rest.chars().next() {
            None => "the end of the file".to_owned(),
            Some(c) if is_word_byte(c as u8) && c.is_ascii() => {
                let end = rest.bytes().position(|b| !is_word_byte(b)).unwrap_or(rest.len());
                format!("`{}`", &rest[..end])
            }
            Some(c) => format!("`{c}`"),
        }
    }

    fn punct(&mut self, c: u8) -> Result<(), LemmaError> {
        self.skip_ws();
        if self.masked.as_bytes().get(self.pos) == Some(&c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error_at(self.pos, format!("expected `{}`, found {}", c as char, self.found())))
        }
    }

    fn declaration(&mut self) -> Result<Lemma, LemmaError> {
        let (start, keyword) = self.word("`lemma` or `axiom`")?;
        if keyword != "lemma" && keyword != "axiom" {
            return Err(self.error_at(start, format!("expected `lemma` or `axiom`, found `{keyword}`")));
        }
        let line = self.line_of(start);
        let (name_start, name) = self.word("the lemma's name")?;
        if !is_identifier(&name) || KEYWORDS.contains(&name.as_str()) {
            return Err(self.error_at(
                name_start,
                format!("`{name}` cannot name a lemma: use an identifier that is not a keyword"),
            ));
        }
        let params = self.params()?;
        let mut axiom = None;
        if let Some((at, "reason")) = self.peek_word() {
            if keyword == "lemma" {
                return Err(self.error_at(
                    at,
                    format!("lemma `{name}` is proved, so it takes no reason: write `axiom` to take it unproved"),
                ));
            }
            self.pos = at + "reason".len();
            axiom = Some(self.reason()?);
        } else if keyword == "axiom" {
            return Err(self.error_at(
                start,
                format!("axiom `{name}` needs a reason: write axiom {name}(...) reason \"why it may be trusted\""),
            ));
        }
        let (requires, requires_text) = match self.peek_word() {
            Some((at, "requires")) => {
                self.pos = at + "requires".len();
                self.formula("requires", &["ensures"], &params)?
            }
            _ => (Term::Bool(true), "true".to_owned()),
        };
        match self.peek_word() {
            Some((at, "ensures")) => self.pos = at + "ensures".len(),
            _ => {
                return Err(self.error_at(
                    self.pos,
                    format!("expected `requires` or `ensures` in `{name}`, found {}", self.found()),
                ))
            }
        }
        let (ensures, ensures_text) = self.formula("ensures", &["lemma", "axiom"], &params)?;
        Ok(Lemma { name, params, requires, ensures, axiom, line, requires_text, ensures_text })
    }

    fn params(&mut self) -> Result<Vec<(String, Scalar)>, LemmaError> {
        self.punct(b'(')?;
        let mut params: Vec<(String, Scalar)> = Vec::new();
        self.skip_ws();
        if self.masked.as_bytes().get(self.pos) == Some(&b')') {
            self.pos += 1;
            return Ok(params);
        }
        loop {
            let (at, name) = self.word("a parameter name")?;
            if !is_identifier(&name) || KEYWORDS.contains(&name.as_str()) || RESERVED.contains(&name.as_str()) {
                return Err(self.error_at(at, format!("`{name}` cannot name a parameter: use an identifier that is neither a keyword nor a built-in name")));
            }
            if params.iter().any(|(p, _)| *p == name) {
                return Err(self.error_at(at, format!("parameter `{name}` is declared twice")));
            }
            self.punct(b':')?;
            self.skip_ws();
            let ty_start = self.pos;
            let bytes = self.masked.as_bytes();
            let mut end = ty_start;
            while end < bytes.len() && !matches!(bytes[end], b',' | b')' | b'\n') {
                end += 1;
            }
            let ty_text = self.masked[ty_start..end].trim_end();
            let Some(ty) = parse_scalar(ty_text) else {
                let shown = if ty_text.is_empty() { "nothing".to_owned() } else { format!("`{ty_text}`") };
                return Err(self.error_at(ty_start, format!("expected a parameter type ({TYPES}), found {shown}")));
            };
            self.pos = end;
            params.push((name, ty));
            self.skip_ws();
            match self.masked.as_bytes().get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b')') => {
                    self.pos += 1;
                    return Ok(params);
                }
                _ => return Err(self.error_at(self.pos, format!("expected `,` or `)`, found {}", self.found()))),
            }
        }
    }

    /// A `"..."` string with `\"` and `\\` escapes, on one line, not empty.
    fn reason(&mut self) -> Result<String, LemmaError> {
        self.skip_ws();
        let start = self.pos;
        if self.masked.as_bytes().get(start) != Some(&b'"') {
            return Err(self.error_at(start, format!("expected the reason as a \"string\", found {}", self.found())));
        }
        let mut reason = String::new();
        let mut chars = self.masked[start + 1..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos = start + 1 + i + 1;
                    if reason.trim().is_empty() {
                        return Err(self.error_at(start, "an axiom's reason cannot be empty"));
                    }
                    return Ok(reason);
                }
                '\\' => match chars.next() {
                    Some((_, e @ ('"' | '\\'))) => reason.push(e),
                    Some((_, 'n')) => reason.push('\n'),
                    _ => return Err(self.error_at(start + 1 + i, "unknown escape: a reason knows \\\", \\\\ and \\n")),
                },
                '\n' => break,
                c => reason.push(c),
            }
        }
        Err(self.error_at(start, "unterminated string: a reason ends with `\"` on its own line"))
    }

    /// The formula after `clause`: the text up to the first of `until`
    /// (as a whole word) or the end of the file, checked as a Bool over the
    /// parameters. Its errors point into the file.
    fn formula(
        &mut self,
        clause: &str,
        until: &[&str],
        params: &[(String, Scalar)],
    ) -> Result<(Term, String), LemmaError> {
        let start = self.pos;
        let bytes = self.masked.as_bytes();
        let mut end = bytes.len();
        let mut i = start;
        while i < bytes.len() {
            if is_word_byte(bytes[i]) {
                let word_start = i;
                while i < bytes.len() && is_word_byte(bytes[i]) {
                    i += 1;
                }
                if until.contains(&&self.masked[word_start..i]) {
                    end = word_start;
                    break;
                }
            } else {
                i += 1;
            }
        }
        let source = &self.masked[start..end];
        if let Some(keyword) = ["requires", "reason"].into_iter().find(|k| contains_word(source, k)) {
            let at = start + find_word(source, keyword).unwrap_or(0);
            return Err(self.error_at(at, format!("`{keyword}` cannot come here: a declaration is NAME(...) [reason \"...\"] [requires ...] ensures ...")));
        }
        if source.trim().is_empty() {
            return Err(self.error_at(start, format!("`{clause}` needs a formula")));
        }
        let term = check_formula(source, params).map_err(|e| self.error_at(start + e.span.start, e.message))?;
        self.pos = end;
        Ok((term, source.split_whitespace().collect::<Vec<_>>().join(" ")))
    }
}

fn find_word(text: &str, word: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    text.match_indices(word).map(|(i, _)| i).find(|&i| {
        let before = i == 0 || !is_word_byte(bytes[i - 1]);
        let after = bytes.get(i + word.len()).is_none_or(|b| !is_word_byte(*b));
        before && after
    })
}

fn contains_word(text: &str, word: &str) -> bool {
    find_word(text, word).is_some()
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;
    use torc_contracts::term::{FloatWidth, Value};

    const F32: Scalar = Scalar::Float(FloatWidth::F32);

    fn parse(text: &str) -> Result<Vec<Lemma>, LemmaError> {
        parse_lemmas(Path::new("t.lemma"), text)
    }

    fn error(text: &str) -> (usize, usize, String) {
        let e = parse(text).unwrap_err();
        (e.line, e.column, e.message)
    }

    #[test]
    fn the_design_example_reads_and_proves() {
        let text = "// comments\nlemma clamp_in_range(x: Float<32>, lo: Float<32>, hi: Float<32>)\n  requires lo <= hi && !is_nan(x)\n  ensures in_range(clamp(x, lo, hi), lo, hi)\n\naxiom fast_inv_sqrt_bound(x: Float<32>) reason \"measured exhaustively on all 2^32 inputs, see docs/fast-inv-sqrt.md\"\n  requires x > 0.0 ensures x >= 0.0     // axioms are not proved; `reason` is required\n";
        let lemmas = parse(text).unwrap();
        assert_eq!(lemmas.len(), 2);
        let clamp = &lemmas[0];
        assert_eq!((clamp.name.as_str(), clamp.line, clamp.axiom.as_deref()), ("clamp_in_range", 2, None));
        assert_eq!(clamp.params, vec![("x".into(), F32), ("lo".into(), F32), ("hi".into(), F32)]);
        assert_eq!(clamp.requires_text, "lo <= hi && !is_nan(x)");
        assert_eq!(clamp.ensures_text, "in_range(clamp(x, lo, hi), lo, hi)");
        assert_eq!(prove_lemma(clamp, &Options::default()), LemmaStatus::Proved);
        let axiom = &lemmas[1];
        assert_eq!(axiom.line, 6);
        assert_eq!(axiom.ensures_text, "x >= 0.0");
        let reason = "measured exhaustively on all 2^32 inputs, see docs/fast-inv-sqrt.md";
        assert_eq!(axiom.axiom.as_deref(), Some(reason));
        assert_eq!(prove_lemma(axiom, &Options::default()), LemmaStatus::Axiom(reason.into()));
    }

    #[test]
    fn requires_defaults_to_true_and_no_params_is_allowed() {
        let lemmas = parse("lemma t() ensures true\nlemma u(b: Bool, n: Int<8>) ensures b || !b").unwrap();
        assert_eq!(lemmas[0].requires, Term::Bool(true));
        assert_eq!(lemmas[0].requires_text, "true");
        assert!(lemmas[0].params.is_empty());
        assert_eq!(lemmas[1].params[1].1, Scalar::Int { signed: true, bits: 8 });
        assert_eq!(prove_lemma(&lemmas[1], &Options::default()), LemmaStatus::Proved);
    }

    #[test]
    fn a_false_lemma_is_refuted_with_a_counterexample() {
        let lemmas = parse("lemma succ(x: Float<32>) requires finite(x) ensures x + 1.0 > x").unwrap();
        let LemmaStatus::Refuted(cx) = prove_lemma(&lemmas[0], &Options::default()) else { panic!() };
        let Some(Value::F32(x)) = cx.get("x") else { panic!("{cx}") };
        assert!(x.is_finite() && x + 1.0 <= x, "{x}");
    }

    #[test]
    fn errors_point_into_the_file() {
        let (line, column, message) = error("lemma a(x: Float<32>)\n  ensures x > y\n");
        assert_eq!((line, column), (2, 15), "{message}");
        assert!(message.contains("`y`"), "{message}");
        let (line, column, message) = error("axiom a(x: Bool) ensures x");
        assert_eq!((line, column), (1, 1));
        assert!(message.contains("needs a reason"), "{message}");
        let (.., message) = error("axiom a(x: Bool) reason \"  \" ensures x");
        assert_eq!(message, "an axiom's reason cannot be empty");
        let (line, column, message) = error("lemma a(x: Bool) reason \"r\" ensures x");
        assert_eq!((line, column), (1, 18));
        assert!(message.contains("takes no reason"), "{message}");
        let (line, column, message) = error("lemma a(x: Float<31>) ensures true");
        assert_eq!((line, column), (1, 12));
        assert!(message.starts_with("expected a parameter type"), "{message}");
        let (.., message) = error("lemma a(x: Bool, x: Bool) ensures true");
        assert_eq!(message, "parameter `x` is declared twice");
        let (.., message) = error("lemma a(ensures: Bool) ensures true");
        assert!(message.contains("cannot name a parameter"), "{message}");
        let (line, column, message) = error("lemma a() ensures true\n\nlemma a() ensures false\n");
        assert_eq!((line, column), (3, 1));
        assert_eq!(message, "`a` is declared twice: on line 1 and on line 3");
        let (.., message) = error("lemma a(x: Float<32>) requires x > 0.0");
        assert!(message.starts_with("expected `requires` or `ensures`"), "{message}");
        let (.., message) = error("lemma a(x: Float<32>) ensures x");
        assert!(message.contains("Bool"), "{message}");
        let (.., message) = error("lemma a(x: Float<32>) requires ensures x > 0.0");
        assert_eq!(message, "`requires` needs a formula");
        let (.., message) = error("theorem a() ensures true");
        assert_eq!(message, "expected `lemma` or `axiom`, found `theorem`");
        let (.., message) = error("lemma a(x: Bool) ensures x requires x");
        assert!(message.starts_with("`requires` cannot come here"), "{message}");
    }

    #[test]
    fn comments_and_strings_do_not_confuse_the_reader() {
        let text = "lemma a(x: Float<32>) // ensures x\n  requires x > 0.0 // lemma b\n  ensures x >= 0.0 // é\naxiom b() reason \"see http://example.org // not a comment\" ensures true";
        let lemmas = parse(text).unwrap();
        assert_eq!(lemmas.len(), 2);
        assert_eq!(lemmas[0].requires_text, "x > 0.0");
        assert_eq!(lemmas[1].axiom.as_deref(), Some("see http://example.org // not a comment"));
    }

    #[test]
    fn hostile_input_never_panics() {
        for text in [
            "lemma",
            "lemma a(",
            "lemma a(x:",
            "axiom a() reason \"",
            "lemma é() ensures true",
            "lemma a() ensures é",
            "\u{0}",
            "lemma a(x: Bool) ensures (((x",
        ] {
            assert!(parse(text).is_err(), "{text}");
        }
    }
}
