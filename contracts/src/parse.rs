//! The contract parser: text to [`Expr`] with byte spans.
//!
//! A hand-written lexer and a precedence-climbing parser. Lowest precedence
//! first:
//!
//! | operators                   | associativity                        |
//! |-----------------------------|--------------------------------------|
//! | `=>`                        | right (`a => b => c` is `a => (b => c)`) |
//! | `\|\|`                      | flat: `a \|\| b \|\| c` is one chain |
//! | `&&`                        | flat: `a && b && c` is one chain     |
//! | `==` `!=` `<` `<=` `>` `>=` | none: `a < b < c` is an error        |
//! | `+` `-`                     | left                                 |
//! | `*` `/`                     | left                                 |
//! | prefix `!` `-`              |                                      |
//! | postfix `.field`            |                                      |
//!
//! Primaries are `true`, `false`, integer literals (`42`), float literals
//! (`0.5`, `1.0e-3`, `1e10`; a digit is required before the point), names,
//! calls `name(arg, ...)` and parentheses. A literal carries no sign: `-1`
//! is unary minus on `1` (the checker folds it back into the literal).
//!
//! Parsing never panics. Nesting (parentheses, prefix operators, `=>`
//! chains, arithmetic) and the depth of the resulting tree are limited to
//! [`MAX_DEPTH`], so a hostile contract gives an error rather than a stack
//! overflow here or in the passes that walk the tree. A flat chain of `&&`
//! (`||`) is not nesting: it is one [`ExprKind::Chain`] node, one level
//! deep however many operands it has, so a long conjunction is never
//! refused as "nested too deeply".
//!
//! ```
//! use torc_contracts::parse::parse;
//! use torc_contracts::syntax::{BinaryOp, ExprKind};
//!
//! let expr = parse("value > 0.0 && value <= 1.0").unwrap();
//! assert!(matches!(&expr.kind, ExprKind::Chain(BinaryOp::And, operands) if operands.len() == 2));
//! assert_eq!(parse("a < b < c").unwrap_err().message,
//!            "comparisons cannot be chained: write `a < b && b < c`");
//! ```

use crate::syntax::{BinaryOp, Expr, ExprKind, Span, UnaryOp};
use std::fmt;

/// The deepest nesting the parser accepts, and the deepest tree it builds.
pub const MAX_DEPTH: usize = 256;

/// A syntax error: where (byte span into the contract text) and what was
/// expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub span: Span,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (bytes {}..{})", self.message, self.span.start, self.span.end)
    }
}

impl std::error::Error for ParseError {}

/// Parses one contract expression; the whole text must be one expression.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let tokens = lex(text)?;
    let mut parser = Parser { text, tokens, pos: 0, nesting: 0 };
    if parser.peek().kind == Tok::Eof {
        return Err(error(
            Span::new(0, text.len()),
            "empty contract: expected an expression (write `true` for no constraint)",
        ));
    }
    let (expr, _) = parser.expr(0).map_err(|e| *e)?;
    let expr = *expr;
    let next = parser.peek();
    match next.kind {
        Tok::Eof => Ok(expr),
        Tok::RParen => Err(error(next.span, "unmatched `)`: there is no `(` before it")),
        _ => Err(error(
            next.span,
            format!(
                "unexpected {} after a complete expression: expected an operator or the end of the contract",
                next.kind.describe()
            ),
        )),
    }
}

fn error(span: Span, message: impl Into<String>) -> ParseError {
    ParseError { span, message: message.into() }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Int(String),
    Float(String),
    True,
    False,
    LParen,
    RParen,
    Comma,
    Dot,
    Bang,
    Plus,
    Minus,
    Star,
    Slash,
    AndAnd,
    OrOr,
    Implies,
    EqEq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Eof,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Ident(name) => format!("name `{name}`"),
            Tok::Int(digits) | Tok::Float(digits) => format!("number `{digits}`"),
            Tok::True => "`true`".to_owned(),
            Tok::False => "`false`".to_owned(),
            Tok::Eof => "end of contract".to_owned(),
            other => format!("`{}`", other.symbol()),
        }
    }

    fn symbol(&self) -> &'static str {
        match self {
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::Comma => ",",
            Tok::Dot => ".",
            Tok::Bang => "!",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::AndAnd => "&&",
            Tok::OrOr => "||",
            Tok::Implies => "=>",
            Tok::EqEq => "==",
            Tok::Ne => "!=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            _ => "",
        }
    }

    fn binary(&self) -> Option<BinaryOp> {
        Some(match self {
            Tok::Implies => BinaryOp::Implies,
            Tok::OrOr => BinaryOp::Or,
            Tok::AndAnd => BinaryOp::And,
            Tok::EqEq => BinaryOp::Eq,
            Tok::Ne => BinaryOp::Ne,
            Tok::Lt => BinaryOp::Lt,
            Tok::Le => BinaryOp::Le,
            Tok::Gt => BinaryOp::Gt,
            Tok::Ge => BinaryOp::Ge,
            Tok::Plus => BinaryOp::Add,
            Tok::Minus => BinaryOp::Sub,
            Tok::Star => BinaryOp::Mul,
            Tok::Slash => BinaryOp::Div,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug)]
struct Token {
    kind: Tok,
    span: Span,
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn lex(text: &str) -> Result<Vec<Token>, ParseError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let c = text[i..].chars().next().unwrap_or(' ');
        let start = i;
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        let two = |second: u8| bytes.get(i + 1) == Some(&second);
        let (kind, len) = match c {
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            ',' => (Tok::Comma, 1),
            '+' => (Tok::Plus, 1),
            '-' => (Tok::Minus, 1),
            '*' => (Tok::Star, 1),
            '/' => (Tok::Slash, 1),
            '&' if two(b'&') => (Tok::AndAnd, 2),
            '|' if two(b'|') => (Tok::OrOr, 2),
            '=' if two(b'>') => (Tok::Implies, 2),
            '=' if two(b'=') => (Tok::EqEq, 2),
            '!' if two(b'=') => (Tok::Ne, 2),
            '!' => (Tok::Bang, 1),
            '<' if two(b'=') => (Tok::Le, 2),
            '<' => (Tok::Lt, 1),
            '>' if two(b'=') => (Tok::Ge, 2),
            '>' => (Tok::Gt, 1),
            '&' => return Err(error(Span::new(i, i + 1), "unexpected character `&`: write `&&` for logical and")),
            '|' => return Err(error(Span::new(i, i + 1), "unexpected character `|`: write `||` for logical or")),
            '=' => {
                return Err(error(
                    Span::new(i, i + 1),
                    "unexpected character `=`: write `==` for equality or `=>` for implication",
                ))
            }
            // `.5` where an operand starts; after an operand (`value.1`)
            // it is a field access with a bad field name, which the parser
            // reports.
            '.' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) && !ends_operand(tokens.last()) => {
                let (_, end) = lex_number(text, i + 1)?;
                let digits = &text[i + 1..end];
                return Err(error(
                    Span::new(i, end),
                    format!("a float literal needs a digit before the point: write 0.{digits}"),
                ));
            }
            '.' => (Tok::Dot, 1),
            c if c.is_ascii_digit() => {
                let (kind, end) = lex_number(text, i)?;
                (kind, end - i)
            }
            c if is_ident_start(c) => {
                let end = text[i..].find(|c: char| !is_ident_char(c)).map_or(text.len(), |n| i + n);
                let word = &text[i..end];
                let kind = match word {
                    "true" => Tok::True,
                    "false" => Tok::False,
                    _ => Tok::Ident(word.to_owned()),
                };
                (kind, end - i)
            }
            c => {
                let span = Span::new(i, i + c.len_utf8());
                return Err(error(span, format!("unexpected character `{}`", c.escape_debug())));
            }
        };
        i += len;
        tokens.push(Token { kind, span: Span::new(start, i) });
    }
    tokens.push(Token { kind: Tok::Eof, span: Span::new(text.len(), text.len()) });
    Ok(tokens)
}

fn ends_operand(token: Option<&Token>) -> bool {
    token.is_some_and(|t| {
        matches!(t.kind, Tok::Ident(_) | Tok::Int(_) | Tok::Float(_) | Tok::True | Tok::False | Tok::RParen)
    })
}

/// `digits [. digits] [(e|E) [+|-] digits]` from `start` (a digit).
fn lex_number(text: &str, start: usize) -> Result<(Tok, usize), ParseError> {
    let bytes = text.as_bytes();
    let digits_from = |mut i: usize| {
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let mut end = digits_from(start);
    let mut float = false;
    if bytes.get(end) == Some(&b'.') {
        // `1.foo` would be a field of a number, which nothing has: a
        // fraction is required after the point.
        let after = digits_from(end + 1);
        if after == end + 1 {
            let whole = &text[start..end];
            return Err(error(
                Span::new(start, end + 1),
                format!("expected a digit after the decimal point: write {whole}.0"),
            ));
        }
        end = after;
        float = true;
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let mut i = end + 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let after = digits_from(i);
        if after == i {
            let literal = &text[start..i];
            return Err(error(
                Span::new(start, i),
                format!("expected the exponent's digits after `{literal}` (as in 1.0e-3)"),
            ));
        }
        end = after;
        float = true;
    }
    if let Some(c) = text[end..].chars().next().filter(|&c| is_ident_char(c) || c == '.') {
        let mut stop = end + c.len_utf8();
        stop += text[stop..].find(|c: char| !is_ident_char(c)).unwrap_or(text.len() - stop);
        return Err(error(Span::new(start, stop), format!("invalid number `{}`", &text[start..stop])));
    }
    let literal = text[start..end].to_owned();
    Ok((if float { Tok::Float(literal) } else { Tok::Int(literal) }, end))
}

/// An expression (boxed: see [`PResult`]) and the depth of its tree.
type Node = (Box<Expr>, usize);

/// Errors are boxed so that the recursive functions' frames stay small:
/// in debug builds every temporary of a `format!` gets its own stack slot,
/// and the nesting limit is only useful if [`MAX_DEPTH`] levels fit in a
/// test thread's stack.
type PResult<T> = Result<T, Box<ParseError>>;

struct Parser<'t> {
    text: &'t str,
    tokens: Vec<Token>,
    pos: usize,
    nesting: usize,
}

const PREC_IMPLIES: u8 = 1;
const PREC_CMP: u8 = 4;

fn precedence(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Implies => PREC_IMPLIES,
        BinaryOp::Or => 2,
        BinaryOp::And => 3,
        BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => PREC_CMP,
        BinaryOp::Add | BinaryOp::Sub => 5,
        BinaryOp::Mul | BinaryOp::Div => 6,
    }
}

#[cold]
#[inline(never)]
fn fail<T>(span: Span, message: String) -> PResult<T> {
    Err(Box::new(ParseError { span, message }))
}

#[cold]
#[inline(never)]
fn too_deep<T>(span: Span) -> PResult<T> {
    fail(span, format!("expression nested too deeply: at most {MAX_DEPTH} levels of operators and parentheses"))
}

#[cold]
#[inline(never)]
fn expected_operand<T>(token: &Token) -> PResult<T> {
    if token.kind == Tok::Eof {
        return fail(token.span, "unexpected end of contract: expected an operand (a name, a literal or `(`)".into());
    }
    let found = token.kind.describe();
    fail(token.span, format!("expected an operand (a name, a literal, `(`, `!` or `-`), found {found}"))
}

#[cold]
#[inline(never)]
fn expected_close<T>(open: Span, token: &Token) -> PResult<T> {
    if token.kind == Tok::Eof {
        return fail(open, "unclosed parenthesis: expected `)` before the end of the contract".into());
    }
    let found = token.kind.describe();
    fail(token.span, format!("expected an operator or `)` (to close the `(` at byte {}), found {found}", open.start))
}

#[cold]
#[inline(never)]
fn expected_argument_end<T>(name: &str, open: Span, token: &Token) -> PResult<T> {
    if token.kind == Tok::Eof {
        return fail(open, format!("unclosed parenthesis in the call to `{name}`: expected `)`"));
    }
    let found = token.kind.describe();
    fail(token.span, format!("expected `,` or `)` in the arguments of `{name}`, found {found}"))
}

#[cold]
#[inline(never)]
fn expected_field<T>(dot: Span, token: &Token) -> PResult<T> {
    let span = if token.kind == Tok::Eof { dot } else { token.span };
    fail(span, format!("expected a field name after `.`, found {}", token.kind.describe()))
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        // The token list always ends with Eof and `bump` never passes it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn bump(&mut self) -> Span {
        let span = self.peek().span;
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
        span
    }

    fn enter(&mut self, span: Span) -> PResult<()> {
        self.nesting += 1;
        if self.nesting > MAX_DEPTH {
            return too_deep(span);
        }
        Ok(())
    }

    fn node(kind: ExprKind, span: Span, depth: usize) -> PResult<Node> {
        if depth > MAX_DEPTH {
            return too_deep(span);
        }
        Ok((Box::new(Expr { kind, span }), depth))
    }

    /// Binary operators of precedence `min_prec` and above.
    fn expr(&mut self, min_prec: u8) -> PResult<Node> {
        let mut lhs = self.unary()?;
        // `lhs` is a chain this loop built: the next operand of the same
        // operator joins it. A parenthesised chain stays a group.
        let mut chained = false;
        while let Some(op) = self.peek().kind.binary().filter(|&op| precedence(op) >= min_prec) {
            let prec = precedence(op);
            let op_span = self.bump();
            let rhs = if op == BinaryOp::Implies {
                // Right-associative: `a => b => c` recurses once per arrow.
                self.enter(op_span)?;
                let rhs = self.expr(PREC_IMPLIES)?;
                self.nesting -= 1;
                rhs
            } else {
                self.expr(prec + 1)?
            };
            if prec == PREC_CMP && self.peek().kind.binary().is_some_and(|op| precedence(op) == PREC_CMP) {
                return self.chained_comparison(&lhs.0, op, &rhs.0);
            }
            lhs = Self::combine(lhs, op, rhs, &mut chained)?;
        }
        Ok(lhs)
    }

    /// `lhs op rhs`; `chained` says whether `lhs` is a chain [`Self::expr`]
    /// built. Out of line: `expr` recurses, and its frame must stay small.
    #[inline(never)]
    fn combine(lhs: Node, op: BinaryOp, rhs: Node, chained: &mut bool) -> PResult<Node> {
        let span = lhs.0.span.to(rhs.0.span);
        let depth = lhs.1.max(rhs.1) + 1;
        if !matches!(op, BinaryOp::And | BinaryOp::Or) {
            *chained = false;
            return Self::node(ExprKind::Binary(op, lhs.0, rhs.0), span, depth);
        }
        let (mut lhs, was_chained) = (lhs, std::mem::replace(chained, true));
        match &mut lhs.0.kind {
            ExprKind::Chain(chain_op, operands) if was_chained && *chain_op == op => {
                // A longer flat chain is no deeper: only its operands' depth counts.
                let depth = lhs.1.max(rhs.1 + 1);
                if depth > MAX_DEPTH {
                    return too_deep(span);
                }
                operands.push(*rhs.0);
                lhs.0.span = span;
                lhs.1 = depth;
                Ok(lhs)
            }
            _ => Self::node(ExprKind::Chain(op, vec![*lhs.0, *rhs.0]), span, depth),
        }
    }

    #[cold]
    #[inline(never)]
    fn chained_comparison<T>(&mut self, a: &Expr, op: BinaryOp, b: &Expr) -> PResult<T> {
        let next = self.peek().kind.binary().unwrap_or(op);
        let op_span = self.bump();
        let text = self.text;
        let source = |e: &Expr| &text[e.span.start..e.span.end];
        // Parse the third operand only to quote it in the suggestion.
        let c = match self.expr(PREC_CMP + 1) {
            Ok((c, _)) => source(&c).to_owned(),
            Err(_) => "c".to_owned(),
        };
        let (a, b) = (source(a), source(b));
        fail(op_span, format!("comparisons cannot be chained: write `{a} {op} {b} && {b} {next} {c}`"))
    }

    fn unary(&mut self) -> PResult<Node> {
        let op = match self.peek().kind {
            Tok::Bang => UnaryOp::Not,
            Tok::Minus => UnaryOp::Neg,
            _ => return self.postfix(),
        };
        let op_span = self.bump();
        self.enter(op_span)?;
        let (operand, depth) = self.unary()?;
        self.nesting -= 1;
        let span = op_span.to(operand.span);
        Self::node(ExprKind::Unary(op, operand), span, depth + 1)
    }

    fn postfix(&mut self) -> PResult<Node> {
        let (mut expr, mut depth) = self.primary()?;
        while self.peek().kind == Tok::Dot {
            let dot = self.bump();
            let Tok::Ident(name) = &self.peek().kind else { return expected_field(dot, self.peek()) };
            let name = name.clone();
            let span = expr.span.to(self.bump());
            (expr, depth) = Self::node(ExprKind::Field(expr, name), span, depth + 1)?;
        }
        Ok((expr, depth))
    }

    fn primary(&mut self) -> PResult<Node> {
        let span = self.peek().span;
        let kind = match &self.peek().kind {
            Tok::True => ExprKind::Bool(true),
            Tok::False => ExprKind::Bool(false),
            Tok::Int(digits) => ExprKind::Int(digits.clone()),
            Tok::Float(digits) => ExprKind::Float(digits.clone()),
            Tok::Ident(name) => ExprKind::Name(name.clone()),
            Tok::LParen => return self.group(),
            _ => return expected_operand(self.peek()),
        };
        self.bump();
        match kind {
            ExprKind::Name(name) if self.peek().kind == Tok::LParen => self.call(name, span),
            kind => Self::node(kind, span, 1),
        }
    }

    /// `( expr )`, with `(` next.
    fn group(&mut self) -> PResult<Node> {
        let open = self.bump();
        self.enter(open)?;
        let (mut inner, depth) = self.expr(0)?;
        self.nesting -= 1;
        if self.peek().kind != Tok::RParen {
            return expected_close(open, self.peek());
        }
        // The span covers the parentheses: errors about the group point
        // at all of it.
        inner.span = open.to(self.bump());
        Ok((inner, depth))
    }

    /// `name(args)`, with `name` already taken and `(` next.
    fn call(&mut self, name: String, name_span: Span) -> PResult<Node> {
        let open = self.bump();
        self.enter(open)?;
        let mut args = Vec::new();
        let mut depth = 0;
        let close = loop {
            if args.is_empty() && self.peek().kind == Tok::RParen {
                break self.bump();
            }
            if self.peek().kind == Tok::Eof {
                return expected_argument_end(&name, open, self.peek());
            }
            let (arg, arg_depth) = self.expr(0)?;
            args.push(*arg);
            depth = depth.max(arg_depth);
            match self.peek().kind {
                Tok::Comma => {
                    self.bump();
                }
                Tok::RParen => break self.bump(),
                _ => return expected_argument_end(&name, open, self.peek()),
            }
        };
        self.nesting -= 1;
        Self::node(ExprKind::Call(name, name_span, args), name_span.to(close), depth + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree in a compact fully parenthesised form, without spans.
    fn show(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Bool(b) => b.to_string(),
            ExprKind::Int(s) | ExprKind::Float(s) | ExprKind::Name(s) => s.clone(),
            ExprKind::Field(base, field) => format!("{}.{field}", show(base)),
            ExprKind::Unary(UnaryOp::Not, a) => format!("(!{})", show(a)),
            ExprKind::Unary(UnaryOp::Neg, a) => format!("(-{})", show(a)),
            ExprKind::Binary(op, a, b) => format!("({} {op} {})", show(a), show(b)),
            ExprKind::Chain(op, operands) => {
                format!("({})", operands.iter().map(show).collect::<Vec<_>>().join(&format!(" {op} ")))
            }
            ExprKind::Call(name, _, args) => {
                format!("{name}({})", args.iter().map(show).collect::<Vec<_>>().join(", "))
            }
        }
    }

    fn p(text: &str) -> String {
        show(&parse(text).unwrap_or_else(|e| panic!("{text}: {e}")))
    }

    fn err(text: &str) -> (usize, usize, String) {
        let e = parse(text).expect_err(text);
        (e.span.start, e.span.end, e.message)
    }

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(p("a => b => c"), "(a => (b => c))");
        assert_eq!(p("a || b || c"), "(a || b || c)");
        assert_eq!(p("a && b && c || d || e && f"), "((a && b && c) || d || (e && f))");
        assert_eq!(p("(a && b) && c"), "((a && b) && c)");
        assert_eq!(p("a && b => c && d => e"), "((a && b) => ((c && d) => e))");
        assert_eq!(p("a && b || c && d"), "((a && b) || (c && d))");
        assert_eq!(p("a || b => c && d"), "((a || b) => (c && d))");
        assert_eq!(p("!a && b"), "((!a) && b)");
        assert_eq!(p("-x * y"), "((-x) * y)");
        assert_eq!(p("a - b - c"), "((a - b) - c)");
        assert_eq!(p("a / b * c"), "((a / b) * c)");
        assert_eq!(p("a + b * c < d - e"), "((a + (b * c)) < (d - e))");
        assert_eq!(p("a == b && c != d"), "((a == b) && (c != d))");
        assert_eq!(p("- -x"), "(-(-x))");
        assert_eq!(p("!value.ok"), "(!value.ok)");
        assert_eq!(p("-config.out_min.x"), "(-config.out_min.x)");
        assert_eq!(p("(a => b) => c"), "((a => b) => c)");
        assert_eq!(p("in_range(config.out_min, -1.0e-3)"), "in_range(config.out_min, (-1.0e-3))");
        assert_eq!(p("f()"), "f()");
        assert_eq!(p("finite && x <= 1e10"), "(finite && (x <= 1e10))");
        assert_eq!(p("(a < b) < c"), "((a < b) < c)");
    }

    #[test]
    fn spans() {
        let e = parse(" (a + b) * c").unwrap();
        assert_eq!(e.span, Span::new(1, 12));
        let ExprKind::Binary(_, lhs, _) = &e.kind else { panic!() };
        assert_eq!(lhs.span, Span::new(1, 8));
        let e = parse("finite(x, 1.5)").unwrap();
        let ExprKind::Call(name, name_span, args) = &e.kind else { panic!() };
        assert_eq!((name.as_str(), *name_span, e.span), ("finite", Span::new(0, 6), Span::new(0, 14)));
        assert_eq!(args[1].span, Span::new(10, 13));
        let e = parse("-value.kp").unwrap();
        assert_eq!(e.span, Span::new(0, 9));
    }

    #[test]
    fn literals() {
        for (text, kind) in [
            ("42", ExprKind::Int("42".into())),
            ("0.5", ExprKind::Float("0.5".into())),
            ("1.0e-3", ExprKind::Float("1.0e-3".into())),
            ("1e10", ExprKind::Float("1e10".into())),
            ("2E+7", ExprKind::Float("2E+7".into())),
            ("true", ExprKind::Bool(true)),
            ("false", ExprKind::Bool(false)),
            ("_x1", ExprKind::Name("_x1".into())),
        ] {
            assert_eq!(parse(text).unwrap().kind, kind, "{text}");
        }
    }

    #[test]
    fn errors() {
        let cases: &[(&str, (usize, usize, &str))] = &[
            ("", (0, 0, "empty contract: expected an expression (write `true` for no constraint)")),
            ("   ", (0, 3, "empty contract: expected an expression (write `true` for no constraint)")),
            ("a # b", (2, 3, "unexpected character `#`")),
            ("a é", (2, 4, "unexpected character `é`")),
            ("a & b", (2, 3, "unexpected character `&`: write `&&` for logical and")),
            ("a | b", (2, 3, "unexpected character `|`: write `||` for logical or")),
            ("a = b", (2, 3, "unexpected character `=`: write `==` for equality or `=>` for implication")),
            ("a &&", (4, 4, "unexpected end of contract: expected an operand (a name, a literal or `(`)")),
            ("a && )", (5, 6, "expected an operand (a name, a literal, `(`, `!` or `-`), found `)`")),
            ("(a && b", (0, 1, "unclosed parenthesis: expected `)` before the end of the contract")),
            ("((a) && b", (0, 1, "unclosed parenthesis: expected `)` before the end of the contract")),
            ("(a b)", (3, 4, "expected an operator or `)` (to close the `(` at byte 0), found name `b`")),
            (
                "a b",
                (
                    2,
                    3,
                    "unexpected name `b` after a complete expression: expected an operator or the end of the contract",
                ),
            ),
            ("a)", (1, 2, "unmatched `)`: there is no `(` before it")),
            ("a < b < c", (6, 7, "comparisons cannot be chained: write `a < b && b < c`")),
            ("0 <= x + 1 == y", (11, 13, "comparisons cannot be chained: write `0 <= x + 1 && x + 1 == y`")),
            ("x > .5", (4, 6, "a float literal needs a digit before the point: write 0.5")),
            ("x > .25e3", (4, 9, "a float literal needs a digit before the point: write 0.25e3")),
            ("x > 1.", (4, 6, "expected a digit after the decimal point: write 1.0")),
            ("x > 1.e5", (4, 6, "expected a digit after the decimal point: write 1.0")),
            ("x > 1e", (4, 6, "expected the exponent's digits after `1e` (as in 1.0e-3)")),
            ("x > 1e+", (4, 7, "expected the exponent's digits after `1e+` (as in 1.0e-3)")),
            ("x > 12ab", (4, 8, "invalid number `12ab`")),
            ("x > 1.5.2", (4, 9, "invalid number `1.5.2`")),
            ("value.", (5, 6, "expected a field name after `.`, found end of contract")),
            ("value.1", (6, 7, "expected a field name after `.`, found number `1`")),
            ("f(a, b", (1, 2, "unclosed parenthesis in the call to `f`: expected `)`")),
            ("f(a,", (1, 2, "unclosed parenthesis in the call to `f`: expected `)`")),
            ("f(a b)", (4, 5, "expected `,` or `)` in the arguments of `f`, found name `b`")),
            ("f(a,)", (4, 5, "expected an operand (a name, a literal, `(`, `!` or `-`), found `)`")),
            (
                "true(x)",
                (4, 5, "unexpected `(` after a complete expression: expected an operator or the end of the contract"),
            ),
        ];
        for (text, (start, end, message)) in cases {
            assert_eq!(err(text), (*start, *end, (*message).to_owned()), "{text:?}");
        }
    }

    #[test]
    fn a_flat_chain_is_one_level_however_long() {
        for op in ["&&", "||"] {
            let text = vec!["x"; 100_000].join(&format!(" {op} "));
            let (expr, depth) = {
                let tokens = lex(&text).unwrap();
                let mut parser = Parser { text: &text, tokens, pos: 0, nesting: 0 };
                parser.expr(0).unwrap()
            };
            assert_eq!(depth, 2, "{op}");
            let ExprKind::Chain(_, operands) = &expr.kind else { panic!("{op}: not a chain") };
            assert_eq!(operands.len(), 100_000);
            assert_eq!(expr.span, Span::new(0, text.len()));
        }
        // The operands' nesting still counts: a chain of deep groups at the limit.
        let group = |n: usize| format!("{}x{}", "(".repeat(n), ")".repeat(n));
        let deep = |n: usize| format!("{} && {}", group(n), group(n));
        assert!(parse(&deep(MAX_DEPTH - 2)).is_ok());
        assert!(parse(&deep(MAX_DEPTH + 1)).unwrap_err().message.starts_with("expression nested too deeply"));
    }

    #[test]
    fn nesting_limit() {
        let ok = format!("{}x{}", "(".repeat(MAX_DEPTH - 1), ")".repeat(MAX_DEPTH - 1));
        assert!(parse(&ok).is_ok());
        let deep = format!("{}x{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
        let e = parse(&deep).unwrap_err();
        assert_eq!(e.span, Span::new(MAX_DEPTH, MAX_DEPTH + 1));
        assert!(e.message.starts_with("expression nested too deeply"), "{e}");
        for deep in [
            "!".repeat(100_000) + "x",
            "-".repeat(100_000) + "x",
            "a => ".repeat(100_000) + "a",
            "a + ".repeat(100_000) + "a",
            "(a && ".repeat(100_000) + "a",
            "f(".repeat(100_000),
            "(".repeat(100_000),
            "a.".repeat(100_000) + "a",
        ] {
            let e = parse(&deep).unwrap_err();
            assert!(e.message.starts_with("expression nested too deeply"), "{e}");
        }
    }
}
