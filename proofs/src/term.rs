//! The terms the lemma index speaks: first-order applications of named
//! symbols, with numbered pattern variables, and one-way matching.
//!
//! These terms are independent of the contract language: a lemma's
//! conclusion, a Metamath statement and a proof obligation are all converted
//! into them before they meet the index.
//!
//! The text syntax is small: `in_range(clamp(?0, ?1, ?2), ?1, ?2)`. A symbol
//! is any run of characters other than white space, `(`, `)`, `,`, `"` and a
//! leading `?`; other names are written in double quotes (`"a b"`, `"("`).
//! `?N` is pattern variable `N`.
//!
//! ```
//! use torc_proofs::term::{matches, parse, Term};
//! let lemma = parse("in_range(clamp(?0, ?1, ?2), ?1, ?2)").unwrap();
//! let goal = parse("in_range(clamp(x, lo, hi), lo, hi)").unwrap();
//! let sigma = matches(&lemma, &goal).unwrap();
//! assert_eq!(sigma[&1], Term::constant("lo"));
//! assert_eq!(lemma.to_string(), "in_range(clamp(?0, ?1, ?2), ?1, ?2)");
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A first-order term: an application of a symbol to arguments (constants
/// have none), or a pattern variable.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Term {
    /// Pattern variable `?N`. In a goal, a variable is an opaque constant.
    Var(u32),
    /// `head(args...)`; a constant when `args` is empty.
    App { head: String, args: Vec<Term> },
}

/// One position of a term's preorder flattening: what a discrimination tree
/// edge is labelled with.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// An application of `head` to `arity` arguments.
    Sym { head: String, arity: u32 },
    /// A pattern variable: stands for a whole subterm.
    Star,
}

/// Pattern variable -> term.
pub type Substitution = BTreeMap<u32, Term>;

impl Term {
    pub fn app(head: impl Into<String>, args: Vec<Term>) -> Term {
        Term::App { head: head.into(), args }
    }

    pub fn constant(head: impl Into<String>) -> Term {
        Term::App { head: head.into(), args: Vec::new() }
    }

    /// Number of nodes (applications and variables).
    pub fn size(&self) -> usize {
        match self {
            Term::Var(_) => 1,
            Term::App { args, .. } => 1 + args.iter().map(Term::size).sum::<usize>(),
        }
    }

    pub fn vars(&self) -> BTreeSet<u32> {
        let mut out = BTreeSet::new();
        self.visit(&mut |t| {
            if let Term::Var(v) = t {
                out.insert(*v);
            }
        });
        out
    }

    pub fn is_ground(&self) -> bool {
        match self {
            Term::Var(_) => false,
            Term::App { args, .. } => args.iter().all(Term::is_ground),
        }
    }

    /// Renumbers pattern variables by first occurrence (0, 1, ...), so
    /// alpha-equivalent patterns are equal.
    pub fn normalise_vars(&self) -> Term {
        fn go(t: &Term, map: &mut BTreeMap<u32, u32>) -> Term {
            match t {
                Term::Var(v) => {
                    let next = map.len() as u32;
                    Term::Var(*map.entry(*v).or_insert(next))
                }
                Term::App { head, args } => {
                    Term::App { head: head.clone(), args: args.iter().map(|a| go(a, map)).collect() }
                }
            }
        }
        go(self, &mut BTreeMap::new())
    }

    /// Preorder flattening: each application contributes (head, arity), each
    /// variable a wildcard. Arities make the flattening unambiguous.
    pub fn preorder(&self) -> Vec<Key> {
        let mut out = Vec::with_capacity(self.size());
        self.visit(&mut |t| {
            out.push(match t {
                Term::Var(_) => Key::Star,
                Term::App { head, args } => Key::Sym { head: head.clone(), arity: args.len() as u32 },
            })
        });
        out
    }

    /// Calls `f` on every subterm in preorder (no recursion on the call stack).
    pub fn visit<'a>(&'a self, f: &mut impl FnMut(&'a Term)) {
        let mut stack = vec![self];
        while let Some(t) = stack.pop() {
            f(t);
            if let Term::App { args, .. } = t {
                stack.extend(args.iter().rev());
            }
        }
    }
}

/// One-way matching: a substitution σ with σ(pattern) == goal (pattern
/// variables bind to goal subterms, consistently; goal variables are treated
/// as constants). `None` if there is none.
pub fn matches(pattern: &Term, goal: &Term) -> Option<Substitution> {
    fn go(p: &Term, g: &Term, s: &mut Substitution) -> bool {
        match (p, g) {
            (Term::Var(v), _) => match s.get(v) {
                Some(bound) => bound == g,
                None => {
                    s.insert(*v, g.clone());
                    true
                }
            },
            (Term::App { head: ph, args: pa }, Term::App { head: gh, args: ga }) => {
                ph == gh && pa.len() == ga.len() && pa.iter().zip(ga).all(|(p, g)| go(p, g, s))
            }
            (Term::App { .. }, Term::Var(_)) => false,
        }
    }
    let mut s = Substitution::new();
    go(pattern, goal, &mut s).then_some(s)
}

/// σ(pattern); variables σ does not bind stay as they are.
pub fn apply(pattern: &Term, sigma: &Substitution) -> Term {
    match pattern {
        Term::Var(v) => sigma.get(v).cloned().unwrap_or(Term::Var(*v)),
        Term::App { head, args } => {
            Term::App { head: head.clone(), args: args.iter().map(|a| apply(a, sigma)).collect() }
        }
    }
}

fn is_plain_char(c: char) -> bool {
    !(c.is_whitespace() || matches!(c, '(' | ')' | ',' | '"'))
}

fn is_plain_symbol(s: &str) -> bool {
    !s.is_empty() && !s.starts_with('?') && s.chars().all(is_plain_char)
}

fn write_symbol(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    if is_plain_symbol(s) {
        return f.write_str(s);
    }
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Var(v) => write!(f, "?{v}"),
            Term::App { head, args } => {
                write_symbol(f, head)?;
                if !args.is_empty() {
                    f.write_str("(")?;
                    for (i, a) in args.iter().enumerate() {
                        if i > 0 {
                            f.write_str(", ")?;
                        }
                        write!(f, "{a}")?;
                    }
                    f.write_str(")")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Star => f.write_str("*"),
            Key::Sym { head, arity } => {
                write_symbol(f, head)?;
                write!(f, "/{arity}")
            }
        }
    }
}

/// Why a term's text did not parse; `offset` is a byte offset into the text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("term syntax error at byte {offset}: {message}")]
pub struct TermParseError {
    pub offset: usize,
    pub message: String,
}

/// Deeper terms are refused rather than risking the parser's stack.
pub const MAX_PARSE_DEPTH: usize = 1000;

/// Parses the syntax `Display` prints. Never panics.
pub fn parse(text: &str) -> Result<Term, TermParseError> {
    let mut p = Parser { text, pos: 0 };
    let t = p.term(0)?;
    p.skip_ws();
    if p.pos != text.len() {
        return Err(p.error("unexpected text after the term"));
    }
    Ok(t)
}

impl std::str::FromStr for Term {
    type Err = TermParseError;
    fn from_str(s: &str) -> Result<Term, TermParseError> {
        parse(s)
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> TermParseError {
        TermParseError { offset: self.pos, message: message.to_string() }
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if !c.is_whitespace() {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    fn term(&mut self, depth: usize) -> Result<Term, TermParseError> {
        if depth > MAX_PARSE_DEPTH {
            return Err(self.error("term nested too deeply"));
        }
        self.skip_ws();
        match self.peek() {
            None => Err(self.error("expected a term")),
            Some('?') => {
                self.pos += 1;
                let start = self.pos;
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += 1;
                }
                self.text[start..self.pos].parse::<u32>().map(Term::Var).map_err(|_| TermParseError {
                    offset: start,
                    message: "expected a variable number after `?`".into(),
                })
            }
            Some('"') => {
                self.pos += 1;
                let mut head = String::new();
                loop {
                    match self.peek() {
                        None => return Err(self.error("unterminated quoted symbol")),
                        Some('"') => {
                            self.pos += 1;
                            break;
                        }
                        Some('\\') => {
                            self.pos += 1;
                            match self.peek() {
                                Some(c @ ('"' | '\\')) => {
                                    head.push(c);
                                    self.pos += 1;
                                }
                                _ => return Err(self.error("expected `\"` or `\\` after `\\`")),
                            }
                        }
                        Some(c) => {
                            head.push(c);
                            self.pos += c.len_utf8();
                        }
                    }
                }
                self.args(head, depth)
            }
            Some(c) if is_plain_char(c) => {
                let start = self.pos;
                while self.peek().is_some_and(is_plain_char) {
                    self.pos += self.peek().map_or(0, char::len_utf8);
                }
                self.args(self.text[start..self.pos].to_string(), depth)
            }
            Some(_) => Err(self.error("expected a symbol, `\"` or `?`")),
        }
    }

    fn args(&mut self, head: String, depth: usize) -> Result<Term, TermParseError> {
        self.skip_ws();
        let mut args = Vec::new();
        if self.peek() == Some('(') {
            self.pos += 1;
            loop {
                args.push(self.term(depth + 1)?);
                self.skip_ws();
                match self.peek() {
                    Some(',') => self.pos += 1,
                    Some(')') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.error("expected `,` or `)`")),
                }
            }
        }
        Ok(Term::App { head, args })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_print_and_match() {
        let p = parse("f(?0, g(?1), ?0)").unwrap();
        assert_eq!(p.to_string(), "f(?0, g(?1), ?0)");
        assert!(matches(&p, &parse("f(a, g(b), a)").unwrap()).is_some());
        assert!(matches(&p, &parse("f(a, g(b), c)").unwrap()).is_none());
        assert_eq!(parse(r#""e."(?3, "(", "a\"b")"#).unwrap().to_string(), r#"e.(?3, "(", "a\"b")"#);
        assert_eq!(parse("f(?7, ?3, ?7)").unwrap().normalise_vars(), parse("f(?0, ?1, ?0)").unwrap());
        assert!(parse("f(").is_err() && parse("?").is_err() && parse("f(a) b").is_err());
        assert!(parse(&"f(".repeat(5000)).is_err());
    }
}
