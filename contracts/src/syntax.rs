//! The contract language as written: [`Expr`] trees with byte [`Span`]s
//! into the contract text, straight from the parser. Names are not resolved
//! and nothing is typed yet; [`crate::check`] turns an `Expr` into a
//! [`Term`](crate::term::Term).

use std::fmt;

/// Byte offsets `start..end` into the text the expression was parsed from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Bool(bool),
    /// An integer literal, as written (decimal digits, no sign).
    Int(String),
    /// A float literal, as written (`0.5`, `1e-3`, `2.0e10`), no sign.
    Float(String),
    /// `value`, a port, a named predicate, or a built-in used bare
    /// (`finite` means `finite(value)`).
    Name(String),
    /// `config.out_min`.
    Field(Box<Expr>, String),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// A chain of one associative operator, `&&` or `||`, as written
    /// without parentheses: `a && b && c` is one node with three operands
    /// (always two or more). A flat chain is not nesting: it costs one
    /// level of depth however long it is, and no pass recurses along it.
    Chain(BinaryOp, Vec<Expr>),
    /// `finite(x)`, `in_range(lo, hi)`, `min(a, b)`, ...: the callee's name
    /// and its span, then the arguments.
    Call(String, Span, Vec<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Implies,
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Implies => "=>",
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }
}

impl fmt::Display for BinaryOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}
