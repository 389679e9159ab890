//! A small lexer and parser for the opam file format, enough to read every
//! field of an `opam` file and keep the values of the ones the importer
//! needs. It never panics: every failure is a [`SyntaxError`] with a line
//! and a column.
//!
//! Grammar (opam's `OpamBaseParser`, precedence from loosest to tightest):
//! `|`, `&`, `!`, relational operators (`= != < <= > >=`, also prefix as in
//! `>= "1.0"`) and environment updates (`+= =+ := =: =+=`), `?`, and the
//! postfix option `value {values}`. Atoms are strings (`"..."` and
//! `"""..."""`, with `\\ \" \n \r \t \b \ddd \xhh` and backslash-newline
//! escapes), identifiers (`with-test`, `ocaml:version`), integers, `true` and
//! `false`, groups `( values )` and lists `[ values ]`. Comments are `#` to
//! the end of the line and nested `(* ... *)`.

use std::fmt;

/// Relational operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelOp {
    Eq,
    Neq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl fmt::Display for RelOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RelOp::Eq => "=",
            RelOp::Neq => "!=",
            RelOp::Lt => "<",
            RelOp::Le => "<=",
            RelOp::Gt => ">",
            RelOp::Ge => ">=",
        })
    }
}

/// `&` or `|`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogOp {
    And,
    Or,
}

/// An opam value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    Ident(String),
    Int(i64),
    Bool(bool),
    /// `( values )`
    Group(Vec<Value>),
    /// `[ values ]`
    List(Vec<Value>),
    /// `value { values }`
    Option(Box<Value>, Vec<Value>),
    Logop(LogOp, Box<Value>, Box<Value>),
    /// `!value`
    Not(Box<Value>),
    /// `?value`
    Defined(Box<Value>),
    /// `value op value`
    Relop(RelOp, Box<Value>, Box<Value>),
    /// `op value`, a version constraint
    PrefixRelop(RelOp, Box<Value>),
    /// `NAME += value` and the like
    EnvBinding(Box<Value>, &'static str, Box<Value>),
}

/// A field or a section of an opam file.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Field { name: String, value: Value, line: usize },
    Section { kind: String, name: Option<String>, items: Vec<Item> },
}

/// A lexing or parsing error at a 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Str(String),
    Ident(String),
    Int(i64),
    Bool(bool),
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    LParen,
    RParen,
    Colon,
    And,
    Or,
    Not,
    Question,
    Rel(RelOp),
    Env(&'static str),
    Eof,
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Str(s) => format!("string {s:?}"),
        Tok::Ident(s) => format!("identifier `{s}`"),
        Tok::Int(n) => format!("integer {n}"),
        Tok::Bool(b) => format!("`{b}`"),
        Tok::LBrace => "`{`".into(),
        Tok::RBrace => "`}`".into(),
        Tok::LBracket => "`[`".into(),
        Tok::RBracket => "`]`".into(),
        Tok::LParen => "`(`".into(),
        Tok::RParen => "`)`".into(),
        Tok::Colon => "`:`".into(),
        Tok::And => "`&`".into(),
        Tok::Or => "`|`".into(),
        Tok::Not => "`!`".into(),
        Tok::Question => "`?`".into(),
        Tok::Rel(op) => format!("`{op}`"),
        Tok::Env(op) => format!("`{op}`"),
        Tok::Eof => "end of file".into(),
    }
}

struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    line: usize,
    line_start: usize,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'+')
}

impl<'a> Lexer<'a> {
    fn peek_at(&self, k: usize) -> Option<u8> {
        self.src.get(self.pos + k).copied()
    }

    fn error(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError { line: self.line, column: self.pos - self.line_start + 1, message: message.into() }
    }

    fn bump(&mut self) -> Option<u8> {
        let c = self.peek_at(0)?;
        self.pos += 1;
        if c == b'\n' {
            self.line += 1;
            self.line_start = self.pos;
        }
        Some(c)
    }

    fn skip_trivia(&mut self) -> Result<(), SyntaxError> {
        loop {
            match self.peek_at(0) {
                Some(b' ' | b'\t' | b'\r' | b'\n') => {
                    self.bump();
                }
                Some(b'#') => {
                    while !matches!(self.peek_at(0), None | Some(b'\n')) {
                        self.bump();
                    }
                }
                Some(b'(') if self.peek_at(1) == Some(b'*') => {
                    let start = self.error("unterminated comment");
                    self.pos += 2;
                    let mut depth = 1usize;
                    while depth > 0 {
                        match (self.peek_at(0), self.peek_at(1)) {
                            (None, _) => return Err(start),
                            (Some(b'('), Some(b'*')) => {
                                self.pos += 2;
                                depth += 1;
                            }
                            (Some(b'*'), Some(b')')) => {
                                self.pos += 2;
                                depth -= 1;
                            }
                            _ => {
                                self.bump();
                            }
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// Returns the next token and the (line, column) where it starts.
    fn next(&mut self) -> Result<(Tok, usize, usize), SyntaxError> {
        self.skip_trivia()?;
        let (line, column) = (self.line, self.pos - self.line_start + 1);
        let Some(c) = self.peek_at(0) else {
            return Ok((Tok::Eof, line, column));
        };
        let two = |lexer: &mut Self, tok| {
            lexer.pos += 2;
            tok
        };
        let one = |lexer: &mut Self, tok| {
            lexer.pos += 1;
            tok
        };
        let tok = match (c, self.peek_at(1)) {
            (b'"', _) => self.string()?,
            (b'{', _) => one(self, Tok::LBrace),
            (b'}', _) => one(self, Tok::RBrace),
            (b'[', _) => one(self, Tok::LBracket),
            (b']', _) => one(self, Tok::RBracket),
            (b'(', _) => one(self, Tok::LParen),
            (b')', _) => one(self, Tok::RParen),
            (b'&', _) => one(self, Tok::And),
            (b'|', _) => one(self, Tok::Or),
            (b'?', _) => one(self, Tok::Question),
            (b'!', Some(b'=')) => two(self, Tok::Rel(RelOp::Neq)),
            (b'!', _) => one(self, Tok::Not),
            (b'<', Some(b'=')) => two(self, Tok::Rel(RelOp::Le)),
            (b'<', _) => one(self, Tok::Rel(RelOp::Lt)),
            (b'>', Some(b'=')) => two(self, Tok::Rel(RelOp::Ge)),
            (b'>', _) => one(self, Tok::Rel(RelOp::Gt)),
            (b'=', Some(b'+')) if self.peek_at(2) == Some(b'=') => {
                self.pos += 3;
                Tok::Env("=+=")
            }
            (b'=', Some(b'+')) => two(self, Tok::Env("=+")),
            (b'=', Some(b':')) => two(self, Tok::Env("=:")),
            (b'=', _) => one(self, Tok::Rel(RelOp::Eq)),
            (b'+', Some(b'=')) => two(self, Tok::Env("+=")),
            (b':', Some(b'=')) => two(self, Tok::Env(":=")),
            (b':', _) => one(self, Tok::Colon),
            (b'-', Some(d)) if d.is_ascii_digit() => {
                self.pos += 1;
                match self.word() {
                    Tok::Int(n) => Tok::Int(-n),
                    _ => return Err(self.error("malformed negative integer")),
                }
            }
            (c, _) if is_ident_start(c) => self.word(),
            (c, _) => {
                let shown = if c.is_ascii_graphic() { format!("`{}`", c as char) } else { format!("byte 0x{c:02x}") };
                return Err(self.error(format!("unexpected character {shown}")));
            }
        };
        Ok((tok, line, column))
    }

    /// An identifier (`ocaml:version` included), an integer or a boolean.
    fn word(&mut self) -> Tok {
        let start = self.pos;
        loop {
            while self.peek_at(0).is_some_and(is_ident_char) {
                self.pos += 1;
            }
            // `pkg:var` is one identifier; `field:` followed by a value is not.
            if self.peek_at(0) == Some(b':') && self.peek_at(1).is_some_and(is_ident_start) {
                self.pos += 1;
                continue;
            }
            break;
        }
        let text = String::from_utf8_lossy(&self.src[start..self.pos]).into_owned();
        if text.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(n) = text.parse() {
                return Tok::Int(n);
            }
        }
        match text.as_str() {
            "true" => Tok::Bool(true),
            "false" => Tok::Bool(false),
            _ => Tok::Ident(text),
        }
    }

    fn string(&mut self) -> Result<Tok, SyntaxError> {
        let triple = self.peek_at(1) == Some(b'"') && self.peek_at(2) == Some(b'"');
        let start = self.error("unterminated string");
        self.pos += if triple { 3 } else { 1 };
        let mut out = Vec::new();
        loop {
            let Some(c) = self.bump() else { return Err(start) };
            match c {
                b'"' if !triple => break,
                b'"' if self.peek_at(0) == Some(b'"') && self.peek_at(1) == Some(b'"') => {
                    self.pos += 2;
                    break;
                }
                b'\\' => self.escape(&mut out)?,
                c => out.push(c),
            }
        }
        String::from_utf8(out).map(Tok::Str).map_err(|_| self.error("string is not UTF-8"))
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), SyntaxError> {
        let Some(c) = self.bump() else { return Err(self.error("unterminated escape")) };
        match c {
            b'\\' | b'"' | b'\'' | b' ' => out.push(c),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'b' => out.push(8),
            b'\n' | b'\r' => {
                if c == b'\r' && self.peek_at(0) == Some(b'\n') {
                    self.bump();
                }
                while matches!(self.peek_at(0), Some(b' ' | b'\t')) {
                    self.pos += 1;
                }
            }
            b'0'..=b'9' => {
                let digits = [Some(c), self.peek_at(0), self.peek_at(1)];
                let mut n = 0u32;
                for d in digits {
                    match d {
                        Some(d) if d.is_ascii_digit() => n = n * 10 + u32::from(d - b'0'),
                        _ => return Err(self.error("escape `\\ddd` needs three decimal digits")),
                    }
                }
                let byte = u8::try_from(n).map_err(|_| self.error(format!("escape `\\{n}` is above 255")))?;
                self.pos += 2;
                out.push(byte);
            }
            b'x' => {
                let hex = |d: Option<u8>| d.and_then(|d| (d as char).to_digit(16));
                match (hex(self.peek_at(0)), hex(self.peek_at(1))) {
                    (Some(h), Some(l)) => {
                        self.pos += 2;
                        out.push((h * 16 + l) as u8);
                    }
                    _ => return Err(self.error("escape `\\x` needs two hexadecimal digits")),
                }
            }
            c => {
                let shown = if c.is_ascii_graphic() { (c as char).to_string() } else { format!("0x{c:02x}") };
                return Err(self.error(format!("illegal escape `\\{shown}`")));
            }
        }
        Ok(())
    }
}

/// Values nest at most this deep (lists, groups, options, `!`, `?`).
const MAX_DEPTH: usize = 100;

struct Parser<'a> {
    lexer: Lexer<'a>,
    tok: Tok,
    line: usize,
    column: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn bump(&mut self) -> Result<Tok, SyntaxError> {
        let (tok, line, column) = self.lexer.next()?;
        self.line = line;
        self.column = column;
        Ok(std::mem::replace(&mut self.tok, tok))
    }

    fn error(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError { line: self.line, column: self.column, message: message.into() }
    }

    fn unexpected(&self, wanted: &str) -> SyntaxError {
        self.error(format!("expected {wanted}, found {}", describe(&self.tok)))
    }

    fn items(&mut self, in_section: bool) -> Result<Vec<Item>, SyntaxError> {
        let mut items = Vec::new();
        loop {
            match &self.tok {
                Tok::Eof if !in_section => return Ok(items),
                Tok::RBrace if in_section => {
                    self.bump()?;
                    return Ok(items);
                }
                Tok::Ident(_) => {}
                _ => return Err(self.unexpected(if in_section { "a field or `}`" } else { "a field name" })),
            }
            let line = self.line;
            let Tok::Ident(name) = self.bump()? else { return Err(self.error("expected a field name")) };
            match self.tok {
                Tok::Colon => {
                    self.bump()?;
                    let value = self.value()?;
                    items.push(Item::Field { name, value, line });
                }
                Tok::Str(_) | Tok::LBrace => {
                    let label = match self.bump()? {
                        Tok::Str(label) => {
                            if self.tok != Tok::LBrace {
                                return Err(self.unexpected("`{` after the section name"));
                            }
                            self.bump()?;
                            Some(label)
                        }
                        _ => None,
                    };
                    self.enter()?;
                    let inner = self.items(true)?;
                    self.depth -= 1;
                    items.push(Item::Section { kind: name, name: label, items: inner });
                }
                _ => return Err(self.unexpected(&format!("`:` after field name `{name}`"))),
            }
        }
    }

    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(format!("values nest deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn value(&mut self) -> Result<Value, SyntaxError> {
        self.enter()?;
        let mut left = self.and()?;
        while self.tok == Tok::Or {
            self.bump()?;
            let right = self.and()?;
            left = Value::Logop(LogOp::Or, Box::new(left), Box::new(right));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and(&mut self) -> Result<Value, SyntaxError> {
        let mut left = self.not()?;
        while self.tok == Tok::And {
            self.bump()?;
            let right = self.not()?;
            left = Value::Logop(LogOp::And, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Value, SyntaxError> {
        if self.tok != Tok::Not {
            return self.relation();
        }
        self.bump()?;
        self.enter()?;
        let inner = self.not()?;
        self.depth -= 1;
        Ok(Value::Not(Box::new(inner)))
    }

    fn relation(&mut self) -> Result<Value, SyntaxError> {
        if let Tok::Rel(op) = self.tok {
            self.bump()?;
            return Ok(Value::PrefixRelop(op, Box::new(self.postfix()?)));
        }
        let left = self.postfix()?;
        match self.tok {
            Tok::Rel(op) => {
                self.bump()?;
                Ok(Value::Relop(op, Box::new(left), Box::new(self.postfix()?)))
            }
            Tok::Env(op) => {
                self.bump()?;
                Ok(Value::EnvBinding(Box::new(left), op, Box::new(self.postfix()?)))
            }
            _ => Ok(left),
        }
    }

    fn postfix(&mut self) -> Result<Value, SyntaxError> {
        let mut value = self.primary()?;
        while self.tok == Tok::LBrace {
            self.bump()?;
            value = Value::Option(Box::new(value), self.sequence(Tok::RBrace, "`}`")?);
        }
        Ok(value)
    }

    fn primary(&mut self) -> Result<Value, SyntaxError> {
        let value = match &self.tok {
            Tok::Str(_) | Tok::Ident(_) | Tok::Int(_) | Tok::Bool(_) => match self.bump()? {
                Tok::Str(s) => Value::Str(s),
                Tok::Ident(s) => Value::Ident(s),
                Tok::Int(n) => Value::Int(n),
                Tok::Bool(b) => Value::Bool(b),
                _ => return Err(self.error("expected a value")),
            },
            Tok::Question => {
                self.bump()?;
                self.enter()?;
                let inner = self.primary()?;
                self.depth -= 1;
                Value::Defined(Box::new(inner))
            }
            Tok::LParen => {
                self.bump()?;
                Value::Group(self.sequence(Tok::RParen, "`)`")?)
            }
            Tok::LBracket => {
                self.bump()?;
                Value::List(self.sequence(Tok::RBracket, "`]`")?)
            }
            _ => return Err(self.unexpected("a value")),
        };
        Ok(value)
    }

    /// Values up to the closing token (already past the opening one).
    fn sequence(&mut self, close: Tok, shown: &str) -> Result<Vec<Value>, SyntaxError> {
        self.enter()?;
        let mut values = Vec::new();
        while self.tok != close {
            if self.tok == Tok::Eof {
                return Err(self.unexpected(shown));
            }
            values.push(self.value()?);
        }
        self.bump()?;
        self.depth -= 1;
        Ok(values)
    }
}

/// Parses a whole opam file.
pub fn parse_file(text: &str) -> Result<Vec<Item>, SyntaxError> {
    let lexer = Lexer { src: text.as_bytes(), pos: 0, line: 1, line_start: 0 };
    let mut parser = Parser { lexer, tok: Tok::Eof, line: 1, column: 1, depth: 0 };
    parser.bump()?;
    parser.items(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(text: &str) -> Value {
        match parse_file(text).unwrap().into_iter().next() {
            Some(Item::Field { value, .. }) => value,
            other => panic!("{other:?}"),
        }
    }

    fn s(x: &str) -> Box<Value> {
        Box::new(Value::Str(x.into()))
    }

    #[test]
    fn precedence_and_options() {
        let v = field(r#"depends: [ "a" {>= "1" & with-test} "b" | "c" & "d" ]"#);
        let Value::List(items) = v else { panic!() };
        assert_eq!(items.len(), 2);
        assert_eq!(
            items[0],
            Value::Option(
                s("a"),
                vec![Value::Logop(
                    LogOp::And,
                    Box::new(Value::PrefixRelop(RelOp::Ge, s("1"))),
                    Box::new(Value::Ident("with-test".into()))
                )]
            )
        );
        // `&` binds tighter than `|`.
        assert_eq!(items[1], Value::Logop(LogOp::Or, s("b"), Box::new(Value::Logop(LogOp::And, s("c"), s("d")))));
        let v = field(r#"x: !with-test | os = "linux" & ?foo:bar"#);
        assert_eq!(
            v,
            Value::Logop(
                LogOp::Or,
                Box::new(Value::Not(Box::new(Value::Ident("with-test".into())))),
                Box::new(Value::Logop(
                    LogOp::And,
                    Box::new(Value::Relop(RelOp::Eq, Box::new(Value::Ident("os".into())), s("linux"))),
                    Box::new(Value::Defined(Box::new(Value::Ident("foo:bar".into()))))
                ))
            )
        );
    }

    #[test]
    fn strings_comments_sections_and_env() {
        let text = "opam-version: \"2.0\" # comment\n(* a (* nested *) comment *)\n\
            description: \"\"\"multi \"quoted\"\nline\"\"\"\n\
            synopsis: \"tab\\t q\\\" \\065\\x41 cont\\\n    inued\"\n\
            url { src: \"https://x\" checksum: [\"md5=0\"] }\n\
            extra-source \"p.patch\" { src: \"u\" }\n\
            build-env: [ [PATH += \"/x\"] [V = \"1\"] ]\n\
            jobs: -1\nflag: true\n";
        let items = parse_file(text).unwrap();
        assert_eq!(items.len(), 8);
        let Item::Field { value: Value::Str(d), .. } = &items[1] else { panic!() };
        assert_eq!(d, "multi \"quoted\"\nline");
        let Item::Field { value: Value::Str(syn), line, .. } = &items[2] else { panic!() };
        assert_eq!((syn.as_str(), *line), ("tab\t q\" AA continued", 5));
        assert!(matches!(&items[3], Item::Section { kind, name: None, items } if kind == "url" && items.len() == 2));
        assert!(matches!(&items[4], Item::Section { name: Some(n), .. } if n == "p.patch"));
        assert!(matches!(&items[6], Item::Field { value: Value::Int(-1), .. }));
        assert!(matches!(&items[7], Item::Field { value: Value::Bool(true), .. }));
    }

    #[test]
    fn errors_have_positions_and_never_panic() {
        let cases = [
            ("depends: [ \"a\" ", 1, "expected `]`"),
            ("depends: [\n  \"a\" {>= \"1\"\n", 3, "expected `}`"),
            ("x: \"abc", 1, "unterminated string"),
            ("x: \"a\\q\"", 1, "illegal escape"),
            ("(* open", 1, "unterminated comment"),
            ("x: [ @ ]", 1, "unexpected character `@`"),
            ("depends [ ]", 1, "expected `:`"),
            ("\"a\": 1", 1, "expected a field name"),
            ("x: }", 1, "expected a value"),
            ("a: 1 }", 1, "expected a field name"),
        ];
        for (text, line, message) in cases {
            let err = parse_file(text).unwrap_err();
            assert_eq!(err.line, line, "{text:?}: {err:?}");
            assert!(err.message.contains(message), "{text:?}: {err:?}");
        }
        let deep = format!("x: {}{}", "[".repeat(5000), "]".repeat(5000));
        assert!(parse_file(&deep).unwrap_err().message.contains("nest deeper"));
        let nots = format!("x: {}a", "!".repeat(5000));
        assert!(parse_file(&nots).is_err());
        // Arbitrary bytes: errors, not panics.
        for text in
            ["\u{0}", "x:", "x: ?", "x: \"\\", "x: \"\\x4", "x: \"\\99", "x: -", "x: ((", "é: 1", "x: \"\"\"a\"\""]
        {
            let _ = parse_file(text);
        }
    }
}
