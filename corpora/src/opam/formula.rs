//! opam package formulas with their filters evaluated, and their
//! conjunctive normal form. See the rules in the [parent module](super).

use super::syntax::{LogOp, RelOp, Value};
use std::fmt;

/// A version formula on one package, filters already evaluated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionFormula {
    /// Any version.
    Any,
    Rel(RelOp, String),
    And(Box<VersionFormula>, Box<VersionFormula>),
    Or(Box<VersionFormula>, Box<VersionFormula>),
    Not(Box<VersionFormula>),
}

impl VersionFormula {
    fn and(a: Self, b: Self) -> Self {
        match (a, b) {
            (VersionFormula::Any, x) | (x, VersionFormula::Any) => x,
            (a, b) => VersionFormula::And(Box::new(a), Box::new(b)),
        }
    }

    fn or(a: Self, b: Self) -> Self {
        match (a, b) {
            (VersionFormula::Any, _) | (_, VersionFormula::Any) => VersionFormula::Any,
            (a, b) => VersionFormula::Or(Box::new(a), Box::new(b)),
        }
    }

    /// Union of two alternatives on the same package.
    pub fn union(a: Self, b: Self) -> Self {
        Self::or(a, b)
    }

    fn fmt_prec(&self, f: &mut fmt::Formatter<'_>, parent: u8) -> fmt::Result {
        let (own, open, close) = match self {
            VersionFormula::Or(..) => (0, "(", ")"),
            VersionFormula::And(..) => (1, "(", ")"),
            _ => (2, "", ""),
        };
        let (open, close) = if own < parent { (open, close) } else { ("", "") };
        f.write_str(open)?;
        match self {
            VersionFormula::Any => f.write_str("*")?,
            VersionFormula::Rel(op, v) => write!(f, "{op} {v}")?,
            VersionFormula::And(a, b) => {
                a.fmt_prec(f, 1)?;
                f.write_str(" & ")?;
                b.fmt_prec(f, 1)?;
            }
            VersionFormula::Or(a, b) => {
                // `(>= 1 & < 2) | >= 3`: parentheses a reader expects.
                let side = |x: &VersionFormula| if matches!(x, VersionFormula::And(..)) { 2 } else { 0 };
                a.fmt_prec(f, side(a))?;
                f.write_str(" | ")?;
                b.fmt_prec(f, side(b))?;
            }
            VersionFormula::Not(a) => {
                f.write_str("!")?;
                a.fmt_prec(f, 3)?;
            }
        }
        f.write_str(close)
    }
}

/// `>= 4.08 & < 5.0`; `*` for any version.
impl fmt::Display for VersionFormula {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_prec(f, 0)
    }
}

/// `name` restricted to `versions`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Atom {
    pub name: String,
    pub versions: VersionFormula,
}

/// A package formula after filter evaluation. `Empty` is opam's empty
/// formula: neutral in both `&` and `|` (a dropped dependency disappears).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Formula {
    Empty,
    Atom(Atom),
    And(Vec<Formula>),
    Or(Vec<Formula>),
}

/// Counters the evaluation adds to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Package atoms whose filter is false (`with-test`, `with-doc`, `dev`,
    /// `with-dev-setup`, or a false literal).
    pub dropped_by_filter: usize,
    /// Filter terms on unknown variables (`os`, `arch`, `?foo`, ...) in kept
    /// dependencies.
    pub unknown_filter_terms: usize,
    /// Version constraints on a variable (`= version`, `"%{x}%"`) in kept
    /// dependencies, dropped.
    pub variable_constraints: usize,
}

/// Filter variables with a fixed value for an installation from the
/// repository.
fn known_variable(name: &str) -> Option<bool> {
    match name {
        "with-test" | "with-doc" | "dev" | "with-dev-setup" => Some(false),
        "build" | "post" => Some(true),
        _ => None,
    }
}

/// A filtered version formula, partly evaluated.
enum Eval {
    Known(bool),
    /// Depends on a variable we do not know: true, except that negation
    /// keeps it unknown.
    Unknown,
    Versions(VersionFormula),
}

/// Evaluation context: the release's own version (for `version`) if asked.
pub struct Evaluator<'a> {
    pub own_version: Option<&'a str>,
    pub tally: Tally,
}

impl Evaluator<'_> {
    /// The package formula of a `depends:` or `conflicts:` value.
    pub fn formula(&mut self, value: &Value) -> Result<Formula, String> {
        Ok(match value {
            Value::List(items) | Value::Group(items) => {
                Formula::And(items.iter().map(|v| self.formula(v)).collect::<Result<_, _>>()?).simplify()
            }
            Value::Logop(LogOp::And, a, b) => Formula::And(vec![self.formula(a)?, self.formula(b)?]).simplify(),
            Value::Logop(LogOp::Or, a, b) => Formula::Or(vec![self.formula(a)?, self.formula(b)?]).simplify(),
            Value::Str(name) => Formula::Atom(Atom { name: name.clone(), versions: VersionFormula::Any }),
            Value::Option(inner, constraints) => {
                let before = self.tally.clone();
                let eval = self.conjunction(constraints)?;
                let versions = match eval {
                    Eval::Known(false) => {
                        // Terms of a dropped dependency do not count.
                        self.tally = before;
                        self.tally.dropped_by_filter += 1;
                        return Ok(Formula::Empty);
                    }
                    Eval::Known(true) | Eval::Unknown => VersionFormula::Any,
                    Eval::Versions(v) => v,
                };
                match &**inner {
                    Value::Str(name) => Formula::Atom(Atom { name: name.clone(), versions }),
                    // `("a" | "b") {build}`: a filter on a whole group.
                    other if versions == VersionFormula::Any => self.formula(other)?,
                    _ => return Err("a version constraint applies to a group of packages".into()),
                }
            }
            other => return Err(format!("expected a package name, found {}", shown(other))),
        })
    }

    fn conjunction(&mut self, values: &[Value]) -> Result<Eval, String> {
        let mut acc = Eval::Known(true);
        for v in values {
            let next = self.constraint(v)?;
            acc = and(acc, next);
        }
        Ok(acc)
    }

    fn constraint(&mut self, value: &Value) -> Result<Eval, String> {
        Ok(match value {
            Value::PrefixRelop(op, operand) => match &**operand {
                Value::Str(v) if !v.contains("%{") => Eval::Versions(VersionFormula::Rel(*op, v.clone())),
                Value::Ident(var) if var == "version" && self.own_version.is_some() => {
                    Eval::Versions(VersionFormula::Rel(*op, self.own_version.unwrap_or_default().to_owned()))
                }
                Value::Str(_) | Value::Ident(_) => {
                    self.tally.variable_constraints += 1;
                    Eval::Known(true)
                }
                other => return Err(format!("expected a version after `{op}`, found {}", shown(other))),
            },
            Value::Ident(var) => self.variable(var),
            Value::Bool(b) => Eval::Known(*b),
            Value::Str(s) if s == "true" || s == "false" => Eval::Known(s == "true"),
            Value::Str(_) | Value::Int(_) => {
                self.tally.unknown_filter_terms += 1;
                Eval::Unknown
            }
            Value::Defined(inner) => match &**inner {
                Value::Ident(var) if known_variable(var).is_some() => Eval::Known(true),
                _ => {
                    self.tally.unknown_filter_terms += 1;
                    Eval::Unknown
                }
            },
            Value::Relop(op, a, b) => match (literal(a), literal(b)) {
                (Some(a), Some(b)) => {
                    let ord = super::compare_versions(a, b);
                    Eval::Known(match op {
                        RelOp::Eq => ord.is_eq(),
                        RelOp::Neq => ord.is_ne(),
                        RelOp::Lt => ord.is_lt(),
                        RelOp::Le => ord.is_le(),
                        RelOp::Gt => ord.is_gt(),
                        RelOp::Ge => ord.is_ge(),
                    })
                }
                _ => {
                    self.tally.unknown_filter_terms += 1;
                    Eval::Unknown
                }
            },
            Value::Not(inner) => match self.constraint(inner)? {
                Eval::Known(b) => Eval::Known(!b),
                Eval::Unknown => Eval::Unknown,
                Eval::Versions(v) => Eval::Versions(VersionFormula::Not(Box::new(v))),
            },
            Value::Logop(LogOp::And, a, b) => and(self.constraint(a)?, self.constraint(b)?),
            Value::Logop(LogOp::Or, a, b) => or(self.constraint(a)?, self.constraint(b)?),
            Value::Group(items) => self.conjunction(items)?,
            other => return Err(format!("unexpected {} in a version constraint", shown(other))),
        })
    }

    fn variable(&mut self, var: &str) -> Eval {
        match known_variable(var) {
            Some(b) => Eval::Known(b),
            None => {
                self.tally.unknown_filter_terms += 1;
                Eval::Unknown
            }
        }
    }
}

fn literal(v: &Value) -> Option<&str> {
    match v {
        Value::Str(s) if !s.contains("%{") => Some(s),
        _ => None,
    }
}

fn and(a: Eval, b: Eval) -> Eval {
    match (a, b) {
        (Eval::Known(false), _) | (_, Eval::Known(false)) => Eval::Known(false),
        (Eval::Known(true), x) | (x, Eval::Known(true)) => x,
        (Eval::Unknown, x) | (x, Eval::Unknown) => x,
        (Eval::Versions(a), Eval::Versions(b)) => Eval::Versions(VersionFormula::and(a, b)),
    }
}

fn or(a: Eval, b: Eval) -> Eval {
    match (a, b) {
        (Eval::Known(true), _) | (_, Eval::Known(true)) => Eval::Known(true),
        (Eval::Known(false), x) | (x, Eval::Known(false)) => x,
        (Eval::Unknown, _) | (_, Eval::Unknown) => Eval::Unknown,
        (Eval::Versions(a), Eval::Versions(b)) => Eval::Versions(VersionFormula::or(a, b)),
    }
}

fn shown(v: &Value) -> &'static str {
    match v {
        Value::Str(_) => "a string",
        Value::Ident(_) => "an identifier",
        Value::Int(_) => "an integer",
        Value::Bool(_) => "a boolean",
        Value::Group(_) => "a group",
        Value::List(_) => "a list",
        Value::Option(..) => "an option `{...}`",
        Value::Logop(..) => "a logical formula",
        Value::Not(_) => "a negation",
        Value::Defined(_) => "`?`",
        Value::Relop(..) => "a comparison",
        Value::PrefixRelop(..) => "a version constraint",
        Value::EnvBinding(..) => "an environment update",
    }
}

impl Formula {
    /// Drops `Empty` operands and unwraps single ones.
    fn simplify(self) -> Formula {
        let (items, is_and) = match self {
            Formula::And(items) => (items, true),
            Formula::Or(items) => (items, false),
            other => return other,
        };
        let mut kept: Vec<Formula> = items.into_iter().filter(|f| *f != Formula::Empty).collect();
        match kept.len() {
            0 => Formula::Empty,
            1 => kept.pop().unwrap_or(Formula::Empty),
            _ if is_and => Formula::And(kept),
            _ => Formula::Or(kept),
        }
    }

    /// The formula as clauses (each a disjunction of atoms), at most `cap`
    /// of them; `true` in the second place when clauses were cut.
    pub fn cnf(&self, cap: usize) -> (Vec<Vec<Atom>>, bool) {
        let mut truncated = false;
        let clauses = self.cnf_capped(cap, &mut truncated);
        (clauses, truncated)
    }

    fn cnf_capped(&self, cap: usize, truncated: &mut bool) -> Vec<Vec<Atom>> {
        match self {
            Formula::Empty => Vec::new(),
            Formula::Atom(atom) => vec![vec![atom.clone()]],
            Formula::And(items) => {
                let mut out = Vec::new();
                for item in items {
                    for clause in item.cnf_capped(cap, truncated) {
                        if out.len() == cap {
                            *truncated = true;
                            return out;
                        }
                        out.push(clause);
                    }
                }
                out
            }
            Formula::Or(items) => {
                // Distribute: one clause per choice of a clause in each operand.
                let mut out: Vec<Vec<Atom>> = vec![Vec::new()];
                for item in items {
                    let clauses = item.cnf_capped(cap, truncated);
                    if clauses.is_empty() {
                        // An operand that is always true makes the whole `|` true.
                        return Vec::new();
                    }
                    let mut next = Vec::new();
                    'product: for prefix in &out {
                        for clause in &clauses {
                            if next.len() == cap {
                                *truncated = true;
                                break 'product;
                            }
                            let mut joined = prefix.clone();
                            joined.extend(clause.iter().cloned());
                            next.push(joined);
                        }
                    }
                    out = next;
                }
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::syntax::{parse_file, Item};
    use super::*;

    fn eval(text: &str, own: Option<&str>) -> (Formula, Tally) {
        let items = parse_file(&format!("depends: {text}")).unwrap();
        let Some(Item::Field { value, .. }) = items.first() else { panic!() };
        let mut e = Evaluator { own_version: own, tally: Tally::default() };
        let f = e.formula(value).unwrap();
        (f, e.tally)
    }

    fn clauses(text: &str) -> Vec<String> {
        let (f, _) = eval(text, None);
        let (cnf, _) = f.cnf(100);
        cnf.iter()
            .map(|c| c.iter().map(|a| format!("{} {}", a.name, a.versions)).collect::<Vec<_>>().join(" | "))
            .collect()
    }

    #[test]
    fn filters() {
        assert_eq!(
            clauses(r#"["a" "t" {with-test} "d" {with-doc} "v" {dev} "s" {with-dev-setup} "b" {build} "p" {post}]"#),
            ["a *", "b *", "p *"]
        );
        assert_eq!(
            clauses(r#"["a" {>= "1" & with-test} "b" {>= "1" & build} "c" {with-test | >= "2"}]"#),
            ["b >= 1", "c >= 2"]
        );
        assert_eq!(clauses(r#"["m" {(!with-test | >= "2020") & >= "2018" & < "2026"}]"#), ["m >= 2018 & < 2026"]);
        let (f, tally) = eval(r#"["l" {os = "linux"} "w" {os != "win32" & < "3"} "x" {os = "x" & with-test}]"#, None);
        assert_eq!(f.cnf(9).0.len(), 2);
        assert_eq!(tally.unknown_filter_terms, 2);
        assert_eq!(tally.dropped_by_filter, 1);
        assert_eq!(clauses(r#"["h" {os = "win32" & !(?arch) | arch != "x86"}]"#), ["h *"]);
        assert_eq!(clauses(r#"["l" {"2" >= "10"} "k" {"10" >= "2"} "t" {true}]"#), ["k *", "t *"]);
    }

    #[test]
    fn variable_constraints_are_dropped_or_substituted() {
        let (f, tally) = eval(r#"["a" {= version} "b" {>= "%{x}%" & < "2"} "c" {with-test & = version}]"#, None);
        assert_eq!(tally.variable_constraints, 2);
        assert_eq!(f.cnf(9).0.len(), 2);
        assert_eq!(clauses(r#"["a" {= version} "b" {>= "%{x}%" & < "2"}]"#), ["a *", "b < 2"]);
        let (f, _) = eval(r#"["a" {= version}]"#, Some("1.2"));
        assert_eq!(f.cnf(9).0[0][0].versions.to_string(), "= 1.2");
    }

    #[test]
    fn cnf_distributes_and_caps() {
        assert_eq!(clauses(r#"["a" ("b" | "c") "d" | "e" & "f"]"#), ["a *", "b * | c *", "d * | e *", "d * | f *"]);
        assert_eq!(clauses(r#"[("a" {with-test} | "b" {with-test})]"#), Vec::<String>::new());
        assert_eq!(clauses(r#"["a" | "b" {with-test}]"#), ["a *"]);
        assert_eq!(clauses(r#"[("a" {>= "1" & < "2" | = "3"})]"#), ["a (>= 1 & < 2) | = 3"]);
        assert_eq!(clauses(r#"[(("a" | "b") & "c") {build}]"#), ["a * | b *", "c *"]);
        // (a1 & a2) | (b1 & b2) | ... with 10 pairs: 1024 clauses.
        let pairs: Vec<_> = (0..10).map(|i| format!("(\"a{i}\" & \"b{i}\")")).collect();
        let (f, _) = eval(&format!("[{}]", pairs.join(" | ")), None);
        let (cnf, truncated) = f.cnf(64);
        assert!(truncated);
        assert_eq!(cnf.len(), 64);
        assert_eq!(f.cnf(2000).0.len(), 1024);
    }

    #[test]
    fn bad_formulas_are_errors() {
        for text in ["[1]", r#"["a" {[ "x" ]}]"#, r#"[("a" | "b") {>= "1"}]"#, r#"["a" {>= ["1"]}]"#, "[x]"] {
            let items = parse_file(&format!("depends: {text}")).unwrap();
            let Some(Item::Field { value, .. }) = items.first() else { panic!() };
            let mut e = Evaluator { own_version: None, tally: Tally::default() };
            assert!(e.formula(value).is_err(), "{text}");
        }
    }
}
