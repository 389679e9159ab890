//! The type checker: contract [`Expr`]s to typed [`Term`]s.
//!
//! It owns name resolution (`value`, ports, record fields, named
//! predicates, the built-in functions), the typing rules and the exact
//! value of every literal. [`Interface::check`] checks a whole
//! [`InterfaceSpec`]; [`check_formula`] and [`check_expr`] check a
//! standalone expression over typed variables (proof libraries, tests).
//!
//! # Typing rules
//!
//! - `&&`, `||`, `=>`, `!` take Bool. Chains of `&&` (`||`) become one
//!   [`Term::And`] ([`Term::Or`]).
//! - Comparisons take two operands of the same type; Bool allows only `==`
//!   and `!=`. `+ - * /` and unary `-` take two operands of the same
//!   numeric type and give that type.
//! - `finite(x)`, `is_nan(x)`, `is_inf(x)` take a float. Bare `finite`
//!   (`is_nan`, `is_inf`) is `finite(value)`. `in_range(x, lo, hi)` is
//!   `lo <= x && x <= hi` and `in_range(lo, hi)` is `in_range(value, lo,
//!   hi)`. `abs`, `min`, `max` take numbers of one type.
//! - A record port is used only through its fields (`config.kp`, one
//!   scalar variable each).
//!
//! # Literals
//!
//! A literal has no type of its own: it takes the type of what it meets.
//! The typed side of an operator (or the typed arguments of a call) is
//! checked first, so `0.0 < value` is read at `value`'s type. An integer
//! literal may stand for a float (`value >= 1` on a `Float<32>`); a float
//! literal needs a float. With nothing typed around it (`1.0 < 2.0`) a
//! float literal is a `Float<64>` and an integer literal an `Int<64>`.
//!
//! Every literal is the exact value of its decimal text at its type:
//! rounded to nearest, ties to even, directly at the target width (`0.1`
//! at `Float<32>` is `0.1f32`, never `0.1f64` rounded again). A finite
//! literal that rounds to infinity is an error, as is an integer outside
//! its type's range. A minus sign on a literal is part of it: `-0.0` is
//! negative zero and `-128` fits `Int<8>`.
//!
//! # Named predicates
//!
//! A predicate is expanded where it is used, with `value` meaning the port
//! whose contract uses it. Each predicate is first checked once on its own,
//! with `value` left open: what fails there fails for every port and is
//! reported once, in the predicate. What depends on the port (`value.kp`
//! used from a `Float<32>` port) is reported at the use, naming the
//! predicate.
//!
//! ```
//! use torc_contracts::check::check_formula;
//! use torc_contracts::term::{FloatWidth, Scalar, Term};
//!
//! let f32_ = Scalar::Float(FloatWidth::F32);
//! let term = check_formula("x > 0.1", &[("x".into(), f32_)]).unwrap();
//! let Term::Cmp(_, _, rhs) = term else { panic!() };
//! assert_eq!(*rhs, Term::Float { bits: 0.1f32.to_bits() as u64, width: FloatWidth::F32 });
//! ```

use crate::interface::{
    ContractError, Direction, Interface, InterfaceSpec, Origin, Port, PortField, PortSpec, PortType,
};
use crate::parse::{parse, MAX_DEPTH};
use crate::syntax::{BinaryOp, Expr, ExprKind, Span, UnaryOp};
use crate::term::{ArithOp, CmpOp, FloatWidth, Scalar, Term, Value};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// The most expression nodes one contract or predicate may stand for with
/// the predicates it uses expanded. Each use of a predicate copies its
/// body, so `p0 = "p1 && p1"`, `p1 = "p2 && p2"`, ... doubles at every
/// level; the size is counted from the parsed bodies before anything is
/// expanded, so a hostile chain costs time linear in the manifest. [`Term`]
/// stays a tree (the Z3 encoding, the native evaluator, proof-cache keys
/// and witnesses all read it as one): this cap is what keeps them small.
pub const MAX_EXPANDED_NODES: usize = 1 << 20;

/// The most expression nodes a whole interface (every predicate checked
/// once on its own, every port contract) may stand for, predicates
/// expanded: many predicates just under [`MAX_EXPANDED_NODES`] are refused
/// too.
pub const MAX_INTERFACE_NODES: usize = 1 << 22;

/// The name [`check_formula`] and [`check_expr`] errors carry in their
/// [`Origin::Predicate`]: a standalone formula has no place in a manifest.
pub const FORMULA_ORIGIN: &str = "<formula>";

const INT64: Scalar = Scalar::Int { signed: true, bits: 64 };
const FLOAT64: Scalar = Scalar::Float(FloatWidth::F64);
const FUNCTIONS: [&str; 8] = ["finite", "is_nan", "is_inf", "in_range", "abs", "min", "max", "clamp"];
const SCALAR_TYPE_NAMES: [&str; 4] = ["Bool", "Int", "UInt", "Float"];

/// Typed variables a standalone expression may name. A variable named
/// `config.kp` is reached as the field `kp` of `config`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    pub vars: Vec<(String, Scalar)>,
}

impl Scope {
    pub fn new(vars: impl IntoIterator<Item = (String, Scalar)>) -> Scope {
        Scope { vars: vars.into_iter().collect() }
    }
}

/// Type-checks a Bool formula over `vars`: no `value`, no predicates. The
/// first error, if any (see [`check_expr`] for all of them).
pub fn check_formula(text: &str, vars: &[(String, Scalar)]) -> Result<Term, ContractError> {
    let scope = Scope { vars: vars.to_vec() };
    check_in_scope(text, &scope, Some(Scalar::Bool)).map_err(|mut errors| errors.swap_remove(0))
}

/// Type-checks an expression of any type over the scope's variables, with
/// every error. Untyped literals default as the module doc says.
pub fn check_expr(text: &str, scope: &Scope) -> Result<Term, Vec<ContractError>> {
    check_in_scope(text, scope, None)
}

fn check_in_scope(text: &str, scope: &Scope, want: Option<Scalar>) -> Result<Term, Vec<ContractError>> {
    let origin = || Origin::Predicate { name: FORMULA_ORIGIN.to_owned() };
    let expr = parse(text).map_err(|e| vec![ContractError { origin: origin(), span: e.span, message: e.message }])?;
    let mut entities: Vec<(String, Entity)> = Vec::new();
    for (name, ty) in &scope.vars {
        match name.split_once('.') {
            Some((record, field)) => {
                let found = entities.iter_mut().find(|(n, e)| n == record && matches!(e, Entity::Record { .. }));
                match found {
                    Some((_, Entity::Record { fields, .. })) => fields.push((field.to_owned(), *ty)),
                    _ => entities.push((
                        record.to_owned(),
                        Entity::Record {
                            var: record.to_owned(),
                            type_name: None,
                            fields: vec![(field.to_owned(), *ty)],
                        },
                    )),
                }
            }
            None => entities.push((name.clone(), Entity::Scalar { var: name.clone(), ty: *ty })),
        }
    }
    let mut checker = Checker::new(entities, Vec::new(), text, "variables");
    let result = checker.top(&expr, want, "a formula");
    let errors: Vec<ContractError> = checker
        .diags
        .into_iter()
        .map(|d| ContractError { origin: origin(), span: d.span, message: d.message })
        .collect();
    match result {
        Ok(term) if errors.is_empty() => Ok(term),
        _ => Err(errors),
    }
}

impl Interface {
    /// Parses and type-checks every record type, predicate, port type,
    /// contract and default of `spec`. All errors, in manifest order:
    /// types, then predicates, then ports (inputs, then outputs).
    pub fn check(spec: &InterfaceSpec) -> Result<Interface, Vec<ContractError>> {
        let mut errors = Vec::new();
        let records = check_records(&spec.types, &mut errors);

        let mut predicates: Vec<Predicate<'_>> = Vec::new();
        // Names already taken, for the duplicate checks: sets, not scans
        // (an interface may declare very many).
        let mut predicate_names: HashSet<&str> = HashSet::new();
        for (name, body) in &spec.predicates {
            let problem = if !is_identifier(name) {
                Some(format!("predicate name `{name}` is not an identifier (letters, digits and `_`)"))
            } else if is_reserved(name) {
                Some(format!("a predicate cannot be named `{name}`: that name is part of the contract language"))
            } else if !predicate_names.insert(name.as_str()) {
                Some(format!("duplicate predicate `{name}`"))
            } else {
                None
            };
            match problem {
                Some(message) => errors.push(ContractError {
                    origin: Origin::Predicate { name: name.clone() },
                    span: Span::default(),
                    message,
                }),
                None => predicates.push(Predicate { name, body, expr: None, state: State::Unchecked, size: 1 }),
            }
        }

        // Port names and types first: any contract may name any port.
        let all_ports: Vec<(&PortSpec, Direction)> = (spec.inputs.iter().map(|p| (p, Direction::Input)))
            .chain(spec.outputs.iter().map(|p| (p, Direction::Output)))
            .collect();
        let mut port_errors: Vec<Vec<ContractError>> = vec![Vec::new(); all_ports.len()];
        let mut port_types: Vec<Option<PortType>> = Vec::new();
        let mut entities: Vec<(String, Entity)> = Vec::new();
        let mut port_names: HashMap<&str, Direction> = HashMap::new();
        for (i, (port, direction)) in all_ports.iter().enumerate() {
            let origin = |field| Origin::Port { port: port.name.clone(), direction: *direction, field };
            let name = port.name.as_str();
            let mut name_error = |message: String| {
                port_errors[i].push(ContractError { origin: origin(PortField::Type), span: Span::default(), message })
            };
            if !is_identifier(name) {
                name_error(format!("port name `{name}` is not an identifier (letters, digits and `_`)"));
            } else if name == "value" {
                name_error("a port cannot be named `value`: in a contract, `value` is the port itself".to_owned());
            } else if is_reserved(name) {
                name_error(format!("a port cannot be named `{name}`: that name is part of the contract language"));
            } else if let Some(d) = port_names.get(name) {
                name_error(format!("duplicate port name `{name}`: there is already an {d} `{name}`"));
            } else if predicate_names.contains(name) {
                name_error(format!("port `{name}` has the name of a predicate: rename one of them"));
            }
            let ty = match resolve_port_type(&port.ty, &records) {
                Ok(ty) => ty,
                Err((span, message)) => {
                    port_errors[i].push(ContractError { origin: origin(PortField::Type), span, message });
                    None
                }
            };
            if !port_names.contains_key(name) {
                port_names.insert(name, *direction);
                entities.push((name.to_owned(), Entity::of_port(name, ty.as_ref())));
            }
            port_types.push(ty);
        }

        let mut checker = Checker::new(entities, predicates, "", "ports");
        checker.check_predicates();
        let mut predicate_errors = std::mem::take(&mut checker.predicate_errors);
        predicate_errors.sort_by_key(|(i, _)| *i);
        errors.extend(predicate_errors.into_iter().map(|(_, e)| e));

        let mut ports = Vec::new();
        for (i, (spec_port, direction)) in all_ports.iter().enumerate() {
            let origin = |field| Origin::Port { port: spec_port.name.clone(), direction: *direction, field };
            let ty = port_types[i].clone();
            let contract = match parse(&spec_port.contract) {
                Err(e) => {
                    port_errors[i].push(ContractError {
                        origin: origin(PortField::Contract),
                        span: e.span,
                        message: e.message,
                    });
                    None
                }
                Ok(expr) => {
                    let entity = Entity::of_port(&spec_port.name, ty.as_ref());
                    let shown = format!("{direction} `{}`", spec_port.name);
                    let ty_name = ty.as_ref().map(PortType::to_string);
                    checker.text = &spec_port.contract;
                    checker.value = ValueOf::Port { shown, ty_name, entity };
                    // Counted before it is expanded: too large is an error, not a cost.
                    let term = if checker.expansion_fits(None, &expr) {
                        checker.top(&expr, Some(Scalar::Bool), "a contract")
                    } else {
                        Err(Failed)
                    };
                    for d in std::mem::take(&mut checker.diags) {
                        port_errors[i].push(ContractError {
                            origin: origin(PortField::Contract),
                            span: d.span,
                            message: d.message,
                        });
                    }
                    term.ok()
                }
            };
            let default = match (&spec_port.default, direction, &ty) {
                (None, ..) => None,
                (Some(_), Direction::Output, _) => {
                    port_errors[i].push(ContractError {
                        origin: origin(PortField::Default),
                        span: Span::default(),
                        message: "only inputs have defaults".to_owned(),
                    });
                    None
                }
                (Some(_), _, None) => None,
                (Some(text), _, Some(PortType::Record { name, .. })) => {
                    port_errors[i].push(ContractError {
                        origin: origin(PortField::Default),
                        span: Span::new(0, text.len()),
                        message: format!(
                            "a record port (`{name}`) cannot have a default: defaults are scalar literals"
                        ),
                    });
                    None
                }
                (Some(text), _, Some(PortType::Scalar(s))) => match default_value(text, *s) {
                    Ok(value) => Some(value),
                    Err((span, message)) => {
                        port_errors[i].push(ContractError { origin: origin(PortField::Default), span, message });
                        None
                    }
                },
            };
            if let (Some(ty), Some(contract)) = (ty, contract) {
                ports.push(Port {
                    name: spec_port.name.clone(),
                    direction: *direction,
                    ty,
                    contract,
                    contract_text: spec_port.contract.clone(),
                    default,
                });
            }
        }
        errors.extend(port_errors.into_iter().flatten());
        if errors.is_empty() {
            Ok(Interface { ports })
        } else {
            Err(errors)
        }
    }
}

/// Names a port or a predicate may not take: the literals, `value`, and
/// the built-ins that have a meaning without arguments (`finite` is
/// `finite(value)`). `min`, `max`, `abs`, `clamp` and `in_range` are only functions
/// when called, so a port may be named `min`.
fn is_reserved(name: &str) -> bool {
    matches!(name, "true" | "false" | "value" | "finite" | "is_nan" | "is_inf")
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

// ---------------------------------------------------------------------------
// Types

/// A type string: a scalar type, or the name of a record type.
#[derive(Clone, Debug, PartialEq)]
enum TypeRef {
    Scalar(Scalar),
    Named(String, Span),
}

const TYPE_LIST: &str = "Bool, Int<N>, UInt<N> (1 <= N <= 128), Float<32>, Float<64>";

/// The scalar type `text` names (`Bool`, `Int<N>`, `UInt<N>`, `Float<32>`,
/// `Float<64>`, whitespace allowed), or `None` for a record type name or
/// anything that is not a type.
pub fn parse_scalar(text: &str) -> Option<Scalar> {
    match parse_type(text) {
        Ok(TypeRef::Scalar(scalar)) => Some(scalar),
        _ => None,
    }
}

/// Parses `Bool`, `Int<N>`, `UInt<N>`, `Float<32>`, `Float<64>` or a name.
fn parse_type(text: &str) -> Result<TypeRef, (Span, String)> {
    let bytes = text.as_bytes();
    let skip_ws = |mut i: usize| {
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    };
    let start = skip_ws(0);
    if start == text.len() {
        return Err((Span::new(0, text.len()), format!("empty type: expected {TYPE_LIST} or a record type name")));
    }
    let mut end = start;
    while bytes.get(end).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_') {
        end += 1;
    }
    let name_span = Span::new(start, end);
    let name = &text[start..end];
    if name.is_empty() || name.as_bytes()[0].is_ascii_digit() {
        let c = text[start..].chars().next().unwrap_or(' ');
        return Err((
            Span::new(start, start + c.len_utf8()),
            format!("expected a type ({TYPE_LIST} or a record type name), found `{c}`"),
        ));
    }
    let mut i = skip_ws(end);
    let mut width: Option<(Span, Option<u32>)> = None;
    if bytes.get(i) == Some(&b'<') {
        let open = i;
        i = skip_ws(i + 1);
        let digits_start = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == digits_start {
            return Err((Span::new(open, open + 1), format!("expected a width after `{name}<`, as in {name}<32>")));
        }
        let digits = Span::new(digits_start, i);
        let value = text[digits_start..i].parse::<u32>().ok();
        i = skip_ws(i);
        if bytes.get(i) != Some(&b'>') {
            return Err((Span::new(open, i.max(open + 1).min(text.len())), format!("expected `>` to close `{name}<`")));
        }
        i = skip_ws(i + 1);
        width = Some((digits, value));
    }
    if i < text.len() {
        return Err((Span::new(i, text.len()), format!("unexpected `{}` after the type", &text[i..])));
    }
    let int_width = |signed: bool| match width {
        None => Err((name_span, format!("`{name}` needs a width: {name}<N> with 1 <= N <= 128"))),
        Some((_, Some(bits @ 1..=128))) => Ok(TypeRef::Scalar(Scalar::Int { signed, bits })),
        Some((span, _)) => Err((
            span,
            format!("{name}<{}> is not a type: the width must be between 1 and 128", &text[span.start..span.end]),
        )),
    };
    match name {
        "Bool" => match width {
            None => Ok(TypeRef::Scalar(Scalar::Bool)),
            Some((span, _)) => Err((span, "`Bool` takes no width".to_owned())),
        },
        "Int" => int_width(true),
        "UInt" => int_width(false),
        "Float" => match width {
            Some((_, Some(32))) => Ok(TypeRef::Scalar(Scalar::Float(FloatWidth::F32))),
            Some((_, Some(64))) => Ok(TypeRef::Scalar(Scalar::Float(FloatWidth::F64))),
            Some((span, _)) => Err((
                span,
                format!(
                    "Float<{}> is not supported: the float types are Float<32> and Float<64>",
                    &text[span.start..span.end]
                ),
            )),
            None => Err((name_span, "`Float` needs a width: Float<32> or Float<64>".to_owned())),
        },
        _ => match width {
            None => Ok(TypeRef::Named(name.to_owned(), name_span)),
            Some((span, _)) => {
                Err((span, format!("`{name}` takes no width: only Int, UInt and Float do ({TYPE_LIST})")))
            }
        },
    }
}

/// A suggestion for a type name from another language.
fn familiar_type(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let bits = |s: &str| s.parse::<u32>().ok().filter(|b| (1..=128).contains(b));
    if lower == "bool" || lower == "boolean" {
        return Some("Bool".to_owned());
    }
    if lower == "f32" || lower == "float" || lower == "float32" {
        return Some("Float<32>".to_owned());
    }
    if lower == "f64" || lower == "double" || lower == "float64" {
        return Some("Float<64>".to_owned());
    }
    if let Some(b) = lower.strip_prefix('i').and_then(bits).or_else(|| lower.strip_prefix("int").and_then(bits)) {
        return Some(format!("Int<{b}>"));
    }
    if let Some(b) = lower.strip_prefix('u').and_then(bits).or_else(|| lower.strip_prefix("uint").and_then(bits)) {
        return Some(format!("UInt<{b}>"));
    }
    None
}

/// A record type: its fields, or `None` when its declaration has errors
/// (already reported; ports of that type are not checked further).
type Records = Vec<(String, Option<Vec<(String, Scalar)>>)>;

fn check_records(types: &[(String, Vec<(String, String)>)], errors: &mut Vec<ContractError>) -> Records {
    let mut records: Records = Vec::new();
    for (name, fields) in types {
        let origin = |field: Option<&String>| Origin::RecordType { name: name.clone(), field: field.cloned() };
        let mut ok = true;
        let mut fail = |field: Option<&String>, span: Span, message: String| {
            errors.push(ContractError { origin: origin(field), span, message });
            ok = false;
        };
        let whole = Span::new(0, name.len());
        if !is_identifier(name) {
            fail(None, whole, format!("record type name `{name}` is not an identifier (letters, digits and `_`)"));
        } else if SCALAR_TYPE_NAMES.contains(&name.as_str()) {
            fail(None, whole, format!("record type `{name}` would shadow the built-in type `{name}`: rename it"));
        } else if records.iter().any(|(n, _)| n == name) {
            fail(None, whole, format!("duplicate record type `{name}`"));
        }
        if fields.is_empty() {
            fail(None, whole, format!("record type `{name}` has no fields"));
        }
        let mut checked: Vec<(String, Scalar)> = Vec::new();
        for (i, (field, ty)) in fields.iter().enumerate() {
            let field_span = Span::new(0, ty.len());
            if !is_identifier(field) {
                fail(
                    Some(field),
                    field_span,
                    format!("field name `{field}` is not an identifier (letters, digits and `_`)"),
                );
            } else if field == "true" || field == "false" {
                fail(
                    Some(field),
                    field_span,
                    format!("a field cannot be named `{field}`: `value.{field}` would not parse"),
                );
            } else if fields[..i].iter().any(|(f, _)| f == field) {
                fail(Some(field), field_span, format!("duplicate field `{field}` in record type `{name}`"));
            }
            match parse_type(ty) {
                Ok(TypeRef::Scalar(s)) => checked.push((field.clone(), s)),
                Ok(TypeRef::Named(other, span)) => {
                    let message = if types.iter().any(|(n, _)| *n == other) {
                        format!("field `{field}` has the record type `{other}`, but records do not nest: a field's type is one of {TYPE_LIST}")
                    } else {
                        let hint = familiar_type(&other).map(|t| format!("did you mean `{t}`? ")).unwrap_or_default();
                        format!("unknown type `{other}`: {hint}a field's type is one of {TYPE_LIST}")
                    };
                    fail(Some(field), span, message);
                }
                Err((span, message)) => fail(Some(field), span, message),
            }
        }
        if !records.iter().any(|(n, _)| n == name) {
            records.push((name.clone(), ok.then_some(checked)));
        }
    }
    records
}

/// A port's type string: `Ok(None)` for a record type whose declaration
/// has errors (reported there).
fn resolve_port_type(text: &str, records: &Records) -> Result<Option<PortType>, (Span, String)> {
    match parse_type(text)? {
        TypeRef::Scalar(s) => Ok(Some(PortType::Scalar(s))),
        TypeRef::Named(name, span) => match records.iter().find(|(n, _)| *n == name) {
            Some((_, Some(fields))) => Ok(Some(PortType::Record { name, fields: fields.clone() })),
            Some((_, None)) => Ok(None),
            None => {
                let mut message = format!("unknown type `{name}`");
                let names: Vec<&str> = records.iter().map(|(n, _)| n.as_str()).collect();
                if let Some(t) = familiar_type(&name) {
                    message += &format!(": did you mean `{t}`?");
                } else if let Some(close) = closest(&name, names.iter().copied()) {
                    message += &format!(": did you mean `{close}`?");
                } else {
                    message += ".";
                }
                message += &format!(" The types are {TYPE_LIST}");
                if names.is_empty() {
                    message += " (no record types are declared in [module.types])";
                } else {
                    message += &format!(" and the record types {}", listed(&names));
                }
                Err((span, message))
            }
        },
    }
}

// ---------------------------------------------------------------------------
// Literals and defaults

fn literal_value(digits: &str, float: bool, negative: bool, ty: Scalar) -> Result<Value, String> {
    let written = format!("{}{digits}", if negative { "-" } else { "" });
    let kind = if float { "float" } else { "integer" };
    match ty {
        Scalar::Bool => Err(format!("{kind} literal `{written}` where Bool is expected")),
        Scalar::Int { .. } if float => Err(format!("float literal `{written}` where {ty} is expected")),
        Scalar::Int { signed, bits } => {
            let (min, max) = int_range(signed, bits);
            let range = format!("{written} is out of range for {ty} ({min} to {max})");
            let magnitude = digits.parse::<u128>().map_err(|_| range.clone())?;
            let fits = match (signed, negative) {
                (_, true) if magnitude == 0 => true,
                (false, true) => false,
                (false, false) => bits == 128 || magnitude >> bits == 0,
                (true, false) => magnitude >> (bits - 1) == 0,
                (true, true) => magnitude <= 1u128 << (bits - 1),
            };
            if !fits {
                return Err(range);
            }
            let mask = if bits == 128 { u128::MAX } else { (1u128 << bits) - 1 };
            let value = if negative { magnitude.wrapping_neg() } else { magnitude } & mask;
            Ok(Value::Int { value, signed, bits })
        }
        Scalar::Float(width) => {
            let out_of_range = |largest: String| {
                format!("{kind} literal `{written}` is out of range for {ty}: it rounds to infinity (the largest finite {ty} is {largest})")
            };
            match width {
                // Parsing straight at the target width rounds once, from
                // the exact decimal value.
                FloatWidth::F32 => match digits.parse::<f32>() {
                    Ok(x) if x.is_infinite() => Err(out_of_range(format!("{:e}", f32::MAX))),
                    Ok(x) => Ok(Value::F32(if negative { -x } else { x })),
                    Err(_) => Err(format!("invalid number `{written}`")),
                },
                FloatWidth::F64 => match digits.parse::<f64>() {
                    Ok(x) if x.is_infinite() => Err(out_of_range(format!("{:e}", f64::MAX))),
                    Ok(x) => Ok(Value::F64(if negative { -x } else { x })),
                    Err(_) => Err(format!("invalid number `{written}`")),
                },
            }
        }
    }
}

fn int_range(signed: bool, bits: u32) -> (String, String) {
    if signed {
        let max = (u128::MAX >> (129 - bits)).to_string();
        let min = format!("-{}", 1u128 << (bits - 1));
        (min, max)
    } else {
        ("0".to_owned(), (u128::MAX >> (128 - bits)).to_string())
    }
}

/// A default: a literal at the port's type, optionally negative; `true` /
/// `false` for Bool; `NaN`, `inf`, `-inf` for floats.
fn default_value(text: &str, ty: Scalar) -> Result<Value, (Span, String)> {
    let expr = parse(text).map_err(|e| (e.span, e.message))?;
    let (negative, inner) = match &expr.kind {
        ExprKind::Unary(UnaryOp::Neg, inner) => (true, &**inner),
        _ => (false, &expr),
    };
    let float = |x: f64| match ty {
        Scalar::Float(FloatWidth::F32) => Value::F32(x as f32),
        _ => Value::F64(x),
    };
    let sign = if negative { -1.0 } else { 1.0 };
    match (&inner.kind, ty) {
        (ExprKind::Bool(b), Scalar::Bool) if !negative => Ok(Value::Bool(*b)),
        (ExprKind::Int(digits), _) => literal_value(digits, false, negative, ty).map_err(|m| (expr.span, m)),
        (ExprKind::Float(digits), _) => literal_value(digits, true, negative, ty).map_err(|m| (expr.span, m)),
        (ExprKind::Name(name), Scalar::Float(_)) if name == "NaN" && !negative => Ok(float(f64::NAN)),
        (ExprKind::Name(name), Scalar::Float(_)) if name == "inf" => Ok(float(sign * f64::INFINITY)),
        _ => {
            let examples = match ty {
                Scalar::Bool => "`true` or `false`",
                Scalar::Int { signed: true, .. } => "`0` or `-1`",
                Scalar::Int { signed: false, .. } => "`0` or `42`",
                Scalar::Float(_) => "`0.5`, `-1`, `NaN`, `inf` or `-inf`",
            };
            Err((expr.span, format!("a default is a literal of the port's type {ty}, such as {examples}")))
        }
    }
}

// ---------------------------------------------------------------------------
// Suggestions

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != *cb)).min(row[j] + 1).min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// The closest candidate within a third of the name's length (at least
/// one edit), or one that differs only in case.
fn closest<'c>(name: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        // The distance is at least the difference in length: most
        // candidates need no distance computed.
        .filter(|c| *c != name && c.len().abs_diff(name.len()) <= 4 * limit)
        .map(|c| (if c.eq_ignore_ascii_case(name) { 0 } else { edit_distance(name, c) }, c))
        .filter(|(d, c)| *d <= limit && *d < name.len().max(c.len()))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `x` quoted from the text, shortened when long.
fn quote(text: &str, span: Span) -> String {
    let s = text.get(span.start..span.end).unwrap_or("");
    if s.chars().count() <= 40 {
        s.to_owned()
    } else {
        format!("{}...", s.chars().take(37).collect::<String>())
    }
}

// ---------------------------------------------------------------------------
// The checker

/// A name's meaning.
#[derive(Clone, Debug)]
enum Entity {
    Scalar {
        var: String,
        ty: Scalar,
    },
    /// A record port: one variable `var.field` per field.
    Record {
        var: String,
        type_name: Option<String>,
        fields: Vec<(String, Scalar)>,
    },
    /// A port whose type has errors (reported there): uses fail silently.
    Broken,
}

impl Entity {
    fn of_port(name: &str, ty: Option<&PortType>) -> Entity {
        match ty {
            Some(PortType::Scalar(s)) => Entity::Scalar { var: name.to_owned(), ty: *s },
            Some(PortType::Record { name: type_name, fields }) => {
                Entity::Record { var: name.to_owned(), type_name: Some(type_name.clone()), fields: fields.clone() }
            }
            None => Entity::Broken,
        }
    }
}

/// What `value` means where the checker is.
#[derive(Clone, Debug)]
enum ValueOf {
    /// A standalone formula: `value` is an ordinary name.
    Absent,
    /// A predicate checked on its own: uses of `value` fail silently, so
    /// only errors that do not depend on the port are found.
    Open,
    /// A port's contract: `shown` names it in messages (`input `dt``),
    /// with its type when that checked.
    Port { shown: String, ty_name: Option<String>, entity: Entity },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Unchecked,
    InProgress,
    Ok,
    Broken,
}

struct Predicate<'a> {
    name: &'a str,
    body: &'a str,
    expr: Option<Rc<Expr>>,
    state: State,
    /// Expression nodes with the predicates it uses expanded (what
    /// checking it, or any use of it, costs), once counted.
    size: usize,
}

/// An error inside the text being checked.
struct Diag {
    span: Span,
    message: String,
}

/// The check failed; the reason is in the diagnostics already, or is a
/// use of something whose own error was reported elsewhere.
#[derive(Debug)]
struct Failed;

type Checked = Result<Term, Failed>;

/// An argument of a built-in: an expression, or `value` left implicit
/// (`in_range(lo, hi)`, bare `finite`) at the given span.
#[derive(Clone, Copy)]
enum Arg<'e> {
    Expr(&'e Expr),
    Value(Span),
}

impl Arg<'_> {
    fn span(&self) -> Span {
        match self {
            Arg::Expr(e) => e.span,
            Arg::Value(span) => *span,
        }
    }

    fn untyped(&self) -> bool {
        match self {
            Arg::Expr(e) => is_untyped(e),
            Arg::Value(_) => false,
        }
    }
}

/// A numeric literal, possibly under minus signs and arithmetic and
/// `abs`/`min`/`max` of such: its type comes from where it is used.
fn is_untyped(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Int(_) | ExprKind::Float(_) => true,
        ExprKind::Unary(UnaryOp::Neg, a) => is_untyped(a),
        ExprKind::Binary(BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div, a, b) => {
            is_untyped(a) && is_untyped(b)
        }
        ExprKind::Call(name, _, args) if matches!(name.as_str(), "abs" | "min" | "max" | "clamp") => {
            !args.is_empty() && args.iter().all(is_untyped)
        }
        _ => false,
    }
}

fn has_float_literal(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Float(_) => true,
        ExprKind::Unary(_, a) | ExprKind::Field(a, _) => has_float_literal(a),
        ExprKind::Binary(_, a, b) => has_float_literal(a) || has_float_literal(b),
        ExprKind::Call(_, _, args) | ExprKind::Chain(_, args) => args.iter().any(has_float_literal),
        _ => false,
    }
}

/// The nodes of `expr`, predicates not expanded (without recursion: a
/// chain may be long).
fn node_count(expr: &Expr) -> usize {
    let mut count = 0usize;
    let mut todo = vec![expr];
    while let Some(e) = todo.pop() {
        count += 1;
        match &e.kind {
            ExprKind::Field(a, _) | ExprKind::Unary(_, a) => todo.push(a),
            ExprKind::Binary(_, a, b) => todo.extend([&**a, &**b]),
            ExprKind::Call(_, _, args) | ExprKind::Chain(_, args) => todo.extend(args.iter()),
            ExprKind::Bool(_) | ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Name(_) => {}
        }
    }
    count
}

/// The most names a message lists: every unknown name's error lists the
/// ports, and an interface with thousands of them and an error in each
/// would print (and hold) the square of its size.
const MAX_LISTED: usize = 20;

/// How many unknown names in one interface get a "did you mean": finding
/// one scans every port and predicate.
const MAX_SUGGESTIONS: usize = 100;

/// `a, b, c`, or the first [`MAX_LISTED`] and how many more.
fn listed<S: AsRef<str>>(items: &[S]) -> String {
    listed_of(items.iter().map(AsRef::as_ref), items.len())
}

/// [`listed`] of the first items of `items`, `total` in all: without
/// collecting them.
fn listed_of<'s>(items: impl Iterator<Item = &'s str>, total: usize) -> String {
    let shown: Vec<&str> = items.take(MAX_LISTED).collect();
    match total.saturating_sub(MAX_LISTED) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

fn is_literal(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Int(_) | ExprKind::Float(_))
}

/// `a && (b && c)` as `And([a, b, c])`: nested conjunctions (disjunctions)
/// are spliced, including those predicates and `in_range` produce.
fn junction(and: bool, terms: Vec<Term>) -> Term {
    let mut flat = Vec::with_capacity(terms.len());
    for term in terms {
        match term {
            Term::And(inner) if and => flat.extend(inner),
            Term::Or(inner) if !and => flat.extend(inner),
            other => flat.push(other),
        }
    }
    if and {
        Term::And(flat)
    } else {
        Term::Or(flat)
    }
}

struct Checker<'a> {
    /// Ports (or a formula's variables) in declaration order; the first of
    /// a name wins.
    names: Vec<(String, Entity)>,
    /// "ports" or "variables", for messages.
    names_are: &'static str,
    predicates: Vec<Predicate<'a>>,
    /// Where each name is in `names` (the first of a name) and in
    /// `predicates`: every name in every contract is looked up, and an
    /// interface may have very many.
    name_index: HashMap<String, usize>,
    predicate_index: HashMap<&'a str, usize>,
    value: ValueOf,
    /// The text spans point into: a contract or a predicate body.
    text: &'a str,
    diags: Vec<Diag>,
    /// How deep the expression being checked is, predicates expanded.
    depth: usize,
    /// Errors in predicate bodies, with the predicate's index.
    predicate_errors: Vec<(usize, ContractError)>,
    /// What is left of [`MAX_INTERFACE_NODES`].
    budget: usize,
    /// How many more unknown names get a suggestion ([`MAX_SUGGESTIONS`]).
    suggestions_left: usize,
}

// The functions that recurse (`check` and those between it and its next
// call) keep formatting and error paths in separate functions: in debug
// builds every temporary has its own stack slot, and [`MAX_DEPTH`] levels
// must fit in a test thread's stack.
impl<'a> Checker<'a> {
    fn new(
        names: Vec<(String, Entity)>,
        predicates: Vec<Predicate<'a>>,
        text: &'a str,
        names_are: &'static str,
    ) -> Self {
        let mut name_index = HashMap::new();
        for (i, (name, _)) in names.iter().enumerate() {
            name_index.entry(name.clone()).or_insert(i);
        }
        let mut predicate_index = HashMap::new();
        for (i, p) in predicates.iter().enumerate() {
            predicate_index.entry(p.name).or_insert(i);
        }
        Checker {
            names,
            names_are,
            predicates,
            name_index,
            predicate_index,
            value: ValueOf::Absent,
            text,
            diags: Vec::new(),
            depth: 0,
            predicate_errors: Vec::new(),
            budget: MAX_INTERFACE_NODES,
            suggestions_left: MAX_SUGGESTIONS,
        }
    }

    #[inline(never)]
    fn error(&mut self, span: Span, message: String) -> Failed {
        self.diags.push(Diag { span, message });
        Failed
    }

    /// The port (or variable) `name`, the first of that name.
    fn entity(&self, name: &str) -> Option<&Entity> {
        self.name_index.get(name).map(|&i| &self.names[i].1)
    }

    /// The index of predicate `name`.
    fn predicate(&self, name: &str) -> Option<usize> {
        self.predicate_index.get(name).copied()
    }

    fn quote(&self, span: Span) -> String {
        quote(self.text, span)
    }

    /// A whole contract (formula): of type `want` when given.
    fn top(&mut self, expr: &Expr, want: Option<Scalar>, what: &str) -> Checked {
        let term = self.check(expr, want)?;
        match want {
            Some(want) if term.ty() != want => {
                let ty = term.ty();
                Err(self.error(expr.span, format!("{what} must be a {want} condition, but this is a {ty}")))
            }
            _ => Ok(term),
        }
    }

    fn check(&mut self, e: &Expr, hint: Option<Scalar>) -> Checked {
        self.depth += 1;
        let result = if self.depth > MAX_DEPTH { Err(self.too_deep(e.span)) } else { self.check_kind(e, hint) };
        self.depth -= 1;
        result
    }

    #[cold]
    #[inline(never)]
    fn too_deep(&mut self, span: Span) -> Failed {
        self.error(span, format!("contract nested too deeply with its predicates expanded: at most {MAX_DEPTH} levels"))
    }

    fn check_kind(&mut self, e: &Expr, hint: Option<Scalar>) -> Checked {
        match &e.kind {
            ExprKind::Bool(b) => Ok(Term::Bool(*b)),
            ExprKind::Int(_) | ExprKind::Float(_) => self.literal(e, false, e.span, hint),
            ExprKind::Unary(UnaryOp::Neg, inner) if is_literal(inner) => self.literal(inner, true, e.span, hint),
            ExprKind::Unary(UnaryOp::Neg, inner) => self.neg(inner, e.span, hint),
            ExprKind::Unary(UnaryOp::Not, inner) => self.not(inner),
            ExprKind::Binary(op @ (BinaryOp::And | BinaryOp::Or), ..) | ExprKind::Chain(op, _) => self.junction(e, *op),
            ExprKind::Binary(BinaryOp::Implies, a, b) => self.implies(a, b),
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b, e.span, hint),
            ExprKind::Name(name) => self.name(name, e.span),
            ExprKind::Field(base, field) => self.field(base, field, e.span),
            ExprKind::Call(name, name_span, args) => self.call(name, *name_span, args, e.span, hint),
        }
    }

    fn neg(&mut self, inner: &Expr, span: Span, hint: Option<Scalar>) -> Checked {
        let term = self.check(inner, hint)?;
        self.finish_neg(term, inner.span, span)
    }

    #[inline(never)]
    fn finish_neg(&mut self, term: Term, inner: Span, span: Span) -> Checked {
        if term.ty() == Scalar::Bool {
            let x = self.quote(inner);
            return Err(self.error(span, format!("`-` needs a number, but `{x}` is Bool (for Bool, use `!`)")));
        }
        Ok(Term::Neg(Box::new(term)))
    }

    fn not(&mut self, inner: &Expr) -> Checked {
        let term = self.check(inner, Some(Scalar::Bool))?;
        self.expect_bool(term, inner.span, "`!`").map(|t| Term::Not(Box::new(t)))
    }

    fn implies(&mut self, a: &Expr, b: &Expr) -> Checked {
        let ta = self.check(a, Some(Scalar::Bool));
        let ta = ta.and_then(|t| self.expect_bool(t, a.span, "`=>`"));
        let tb = self.check(b, Some(Scalar::Bool));
        let tb = tb.and_then(|t| self.expect_bool(t, b.span, "`=>`"));
        Ok(Term::Implies(Box::new(ta?), Box::new(tb?)))
    }

    #[inline(never)]
    fn expect_bool(&mut self, term: Term, span: Span, op: &str) -> Checked {
        let ty = term.ty();
        if ty == Scalar::Bool {
            return Ok(term);
        }
        let x = self.quote(span);
        Err(self.error(span, format!("{op} needs Bool operands, but `{x}` is {ty}")))
    }

    /// A literal (`lit` is `Int` or `Float`), negated when `negative`, at
    /// `hint` or its default type.
    #[inline(never)]
    fn literal(&mut self, lit: &Expr, negative: bool, span: Span, hint: Option<Scalar>) -> Checked {
        let (digits, float) = match &lit.kind {
            ExprKind::Int(d) => (d, false),
            ExprKind::Float(d) => (d, true),
            _ => return Err(Failed),
        };
        let ty = hint.unwrap_or(if float { FLOAT64 } else { INT64 });
        match literal_value(digits, float, negative, ty) {
            Ok(value) => Ok(value.to_term()),
            Err(message) => Err(self.error(span, message)),
        }
    }

    fn junction(&mut self, e: &Expr, op: BinaryOp) -> Checked {
        // Operands left to right, without recursion on the chain.
        let mut operands = Vec::new();
        let mut todo = vec![e];
        while let Some(x) = todo.pop() {
            match &x.kind {
                ExprKind::Binary(o, a, b) if *o == op => {
                    todo.push(b);
                    todo.push(a);
                }
                ExprKind::Chain(o, items) if *o == op => todo.extend(items.iter().rev()),
                _ => operands.push(x),
            }
        }
        let symbol = if op == BinaryOp::And { "`&&`" } else { "`||`" };
        let mut terms = Vec::with_capacity(operands.len());
        let mut failed = false;
        for x in operands {
            let term = self.check(x, Some(Scalar::Bool));
            match term.and_then(|t| self.expect_bool(t, x.span, symbol)) {
                Ok(t) => terms.push(t),
                Err(Failed) => failed = true,
            }
        }
        if failed {
            return Err(Failed);
        }
        Ok(junction(op == BinaryOp::And, terms))
    }

    /// Comparison or arithmetic.
    fn binary(&mut self, op: BinaryOp, a: &Expr, b: &Expr, span: Span, hint: Option<Scalar>) -> Checked {
        let hint = if is_comparison(op) { None } else { hint };
        let results = self.same_type(&[Arg::Expr(a), Arg::Expr(b)], hint);
        self.finish_binary(op, results, a.span, b.span, span)
    }

    #[inline(never)]
    fn finish_binary(&mut self, op: BinaryOp, results: Vec<Checked>, a: Span, b: Span, span: Span) -> Checked {
        let mut results = results.into_iter();
        let ta = results.next().unwrap_or(Err(Failed));
        let tb = results.next().unwrap_or(Err(Failed));
        let (ta, tb) = (ta?, tb?);
        let (ty_a, ty_b) = (ta.ty(), tb.ty());
        let (qa, qb) = (self.quote(a), self.quote(b));
        let comparison = is_comparison(op);
        if ty_a != ty_b {
            let what = if comparison { "compares" } else { "combines" };
            return Err(self.error(
                span,
                format!("`{op}` {what} values of different types: `{qa}` is {ty_a} but `{qb}` is {ty_b}"),
            ));
        }
        if ty_a == Scalar::Bool && !matches!(op, BinaryOp::Eq | BinaryOp::Ne) {
            let message = if comparison {
                format!("`{op}` is not defined on Bool: Bool values are compared only with `==` and `!=`")
            } else {
                format!("`{op}` needs numbers, but `{qa}` and `{qb}` are Bool")
            };
            return Err(self.error(span, message));
        }
        let (a, b) = (Box::new(ta), Box::new(tb));
        Ok(match op {
            BinaryOp::Eq => Term::Cmp(CmpOp::Eq, a, b),
            BinaryOp::Ne => Term::Cmp(CmpOp::Ne, a, b),
            BinaryOp::Lt => Term::Cmp(CmpOp::Lt, a, b),
            BinaryOp::Le => Term::Cmp(CmpOp::Le, a, b),
            BinaryOp::Gt => Term::Cmp(CmpOp::Gt, a, b),
            BinaryOp::Ge => Term::Cmp(CmpOp::Ge, a, b),
            BinaryOp::Add => Term::Arith(ArithOp::Add, a, b),
            BinaryOp::Sub => Term::Arith(ArithOp::Sub, a, b),
            BinaryOp::Mul => Term::Arith(ArithOp::Mul, a, b),
            BinaryOp::Div => Term::Arith(ArithOp::Div, a, b),
            BinaryOp::And | BinaryOp::Or | BinaryOp::Implies => return Err(Failed),
        })
    }

    /// Checks arguments that must share one type: the typed ones first, in
    /// order; then the untyped ones at the first typed one's type (or at
    /// `hint`, or at the default type when all are untyped). Types are not
    /// compared here.
    fn same_type(&mut self, args: &[Arg<'_>], hint: Option<Scalar>) -> Vec<Checked> {
        let mut results: Vec<Checked> = Vec::with_capacity(args.len());
        let mut ty: Option<Scalar> = None;
        let mut failed = false;
        for arg in args {
            if arg.untyped() {
                results.push(Err(Failed));
                continue;
            }
            let result = self.arg(*arg, ty.or(hint));
            match &result {
                Ok(t) if ty.is_none() => ty = Some(t.ty()),
                Ok(_) => {}
                Err(Failed) => failed = true,
            }
            results.push(result);
        }
        let Some(untyped_ty) = untyped_type(args, ty, hint, failed) else { return results };
        for (i, arg) in args.iter().enumerate() {
            if arg.untyped() {
                results[i] = self.arg(*arg, Some(untyped_ty));
            }
        }
        results
    }

    fn arg(&mut self, arg: Arg<'_>, hint: Option<Scalar>) -> Checked {
        match arg {
            Arg::Expr(e) => self.check(e, hint),
            Arg::Value(span) => self.value(span),
        }
    }

    /// `value` as a scalar term.
    #[inline(never)]
    fn value(&mut self, span: Span) -> Checked {
        match &self.value {
            ValueOf::Open => Err(Failed),
            ValueOf::Absent => Err(self.error(span, "`value` is not defined here: there is no port".to_owned())),
            ValueOf::Port { shown, entity, .. } => {
                let (shown, entity) = (format!("`value` ({shown})"), entity.clone());
                self.entity_term(&entity, &shown, span)
            }
        }
    }

    #[inline(never)]
    fn entity_term(&mut self, entity: &Entity, shown: &str, span: Span) -> Checked {
        match entity {
            Entity::Scalar { var, ty } => Ok(Term::Var { name: var.clone(), ty: *ty }),
            Entity::Broken => Err(Failed),
            Entity::Record { var, type_name, fields } => {
                let kind = match type_name {
                    Some(t) => format!("a record ({t})"),
                    None => "a record".to_owned(),
                };
                let prefix = if shown.starts_with("`value`") { "value" } else { var.as_str() };
                let list: Vec<String> = fields.iter().map(|(f, _)| format!("{prefix}.{f}")).collect();
                Err(self.error(
                    span,
                    format!("{shown} is {kind} and can only be used through its fields: {}", listed(&list)),
                ))
            }
        }
    }

    fn name(&mut self, name: &str, span: Span) -> Checked {
        if name == "value" && !matches!(self.value, ValueOf::Absent) {
            return self.value(span);
        }
        if self.entity(name).is_some() {
            return self.port(name, span);
        }
        if let Some(i) = self.predicate(name) {
            return self.use_predicate(i, span);
        }
        if matches!(name, "finite" | "is_nan" | "is_inf") && !matches!(self.value, ValueOf::Absent) {
            return self.float_test(name, Arg::Value(span));
        }
        Err(self.name_error(name, span))
    }

    #[inline(never)]
    fn port(&mut self, name: &str, span: Span) -> Checked {
        let entity = self.entity(name).cloned().unwrap_or(Entity::Broken);
        self.entity_term(&entity, &format!("`{name}`"), span)
    }

    #[cold]
    #[inline(never)]
    fn name_error(&mut self, name: &str, span: Span) -> Failed {
        match name {
            "finite" | "is_nan" | "is_inf" => self.error(
                span,
                format!("bare `{name}` means {name}(value), and there is no `value` here: write {name}(x)"),
            ),
            "in_range" => {
                self.error(span, "`in_range` is a function: write in_range(lo, hi) or in_range(x, lo, hi)".to_owned())
            }
            "abs" => self.error(span, "`abs` is a function: write abs(x)".to_owned()),
            "min" | "max" => self.error(span, format!("`{name}` is a function: write {name}(a, b)")),
            "clamp" => self.error(span, "`clamp` is a function: write clamp(x, lo, hi)".to_owned()),
            _ => self.unknown_name(name, span),
        }
    }

    #[cold]
    #[inline(never)]
    fn unknown_name(&mut self, name: &str, span: Span) -> Failed {
        // A suggestion scans every name: only the first errors get one, so
        // that thousands of them cost time linear in the interface.
        let suggest = self.suggestions_left > 0;
        self.suggestions_left = self.suggestions_left.saturating_sub(1);
        let value: &[&str] = if matches!(self.value, ValueOf::Absent) { &[] } else { &["value"] };
        let suggestion = suggest
            .then(|| {
                let candidates = (self.names.iter().map(|(n, _)| n.as_str()))
                    .chain(self.predicates.iter().map(|p| p.name))
                    .chain(["finite", "is_nan", "is_inf"])
                    .chain(value.iter().copied());
                closest(name, candidates).map(str::to_owned)
            })
            .flatten();
        // A field named without its record: `kp` for `value.kp`.
        let mut field_of: Vec<String> = Vec::new();
        if let ValueOf::Port { entity: Entity::Record { fields, .. }, .. } = &self.value {
            field_of.extend(fields.iter().filter(|(f, _)| f == name).map(|(f, _)| format!("value.{f}")));
        }
        for (port, entity) in self.names.iter().filter(|_| suggest) {
            if let Entity::Record { fields, .. } = entity {
                field_of.extend(fields.iter().filter(|(f, _)| f == name).map(|(f, _)| format!("{port}.{f}")));
            }
        }
        let mut message = format!("unknown name `{name}`");
        if !field_of.is_empty() {
            message += &format!(": did you mean `{}`?", field_of.join("` or `"));
        } else if let Some(close) = suggestion {
            message += &format!(": did you mean `{close}`?");
        } else {
            message += ".";
        }
        if self.names.is_empty() {
            message += &format!(" There are no {}", self.names_are);
        } else {
            let names = listed_of(self.names.iter().map(|(n, _)| n.as_str()), self.names.len());
            message += &format!(" The {} are {names}", self.names_are);
        }
        match &self.value {
            ValueOf::Port { shown, .. } => message += &format!("; `value` is this port, {shown}"),
            ValueOf::Open => message += "; `value` is the port whose contract uses the predicate",
            ValueOf::Absent => {}
        }
        if !self.predicates.is_empty() {
            let list = listed_of(self.predicates.iter().map(|p| p.name), self.predicates.len());
            message += &format!("; the predicates are {list}");
        }
        self.error(span, message)
    }

    #[inline(never)]
    fn field(&mut self, base: &Expr, field: &str, span: Span) -> Checked {
        let ExprKind::Name(name) = &base.kind else {
            let b = self.quote(base.span);
            return Err(self.error(span, format!("`{b}` has no fields: only record ports do (`config.kp`)")));
        };
        let (entity, shown) = if name == "value" && !matches!(self.value, ValueOf::Absent) {
            match &self.value {
                ValueOf::Port { shown, entity, .. } => (entity.clone(), format!("`value` ({shown})")),
                _ => return Err(Failed),
            }
        } else if let Some(entity) = self.entity(name) {
            (entity.clone(), format!("`{name}`"))
        } else if self.predicate(name).is_some() {
            return Err(self.error(span, format!("`{name}` is a predicate (a Bool condition), which has no fields")));
        } else {
            return Err(self.unknown_name(name, base.span));
        };
        match entity {
            Entity::Broken => Err(Failed),
            Entity::Scalar { ty, .. } => Err(self.error(span, format!("{shown} is a {ty}, which has no fields"))),
            Entity::Record { var, type_name, fields } => match fields.iter().find(|(f, _)| f == field) {
                Some((_, ty)) => Ok(Term::Var { name: format!("{var}.{field}"), ty: *ty }),
                None => {
                    let mut message = format!("{shown} has no field `{field}`");
                    match closest(field, fields.iter().map(|(f, _)| f.as_str())) {
                        Some(close) => message += &format!(": did you mean `{close}`?"),
                        None => message += ".",
                    }
                    let list: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
                    match &type_name {
                        Some(t) => message += &format!(" The fields of {t} are {}", listed(&list)),
                        None => message += &format!(" Its fields are {}", listed(&list)),
                    }
                    Err(self.error(span, message))
                }
            },
        }
    }

    fn call(&mut self, name: &str, name_span: Span, args: &[Expr], span: Span, hint: Option<Scalar>) -> Checked {
        match (name, args) {
            ("finite" | "is_nan" | "is_inf", [x]) => self.float_test(name, Arg::Expr(x)),
            ("abs", [x]) => self.abs(x, hint),
            ("min" | "max", [a, b]) => self.min_max(name == "min", a, b, span, hint),
            ("clamp", [x, lo, hi]) => self.clamp(x, lo, hi, span, hint),
            ("in_range", [x, lo, hi]) => self.in_range(Arg::Expr(x), lo, hi, span),
            ("in_range", [lo, hi]) if !matches!(self.value, ValueOf::Absent) => {
                self.in_range(Arg::Value(name_span), lo, hi, span)
            }
            _ => Err(self.call_error(name, name_span, args.len(), span)),
        }
    }

    #[cold]
    #[inline(never)]
    fn call_error(&mut self, name: &str, name_span: Span, n: usize, span: Span) -> Failed {
        let usage = match name {
            "in_range" if n == 2 => {
                return self.error(
                    span,
                    "in_range(lo, hi) means in_range(value, lo, hi), and there is no `value` here: write in_range(x, lo, hi)".to_owned(),
                )
            }
            "finite" | "is_nan" | "is_inf" => format!("1 argument: {name}(x)"),
            "abs" => "1 argument: abs(x)".to_owned(),
            "min" | "max" => format!("2 arguments: {name}(a, b)"),
            "clamp" => "3 arguments: clamp(x, lo, hi)".to_owned(),
            "in_range" => "2 or 3 arguments: in_range(lo, hi) or in_range(x, lo, hi)".to_owned(),
            _ => {
                let message = if self.predicate(name).is_some() {
                    format!("`{name}` is a predicate, not a function: write it without arguments (inside it, `value` is the port whose contract uses it)")
                } else if self.entity(name).is_some() || name == "value" {
                    format!("`{name}` is a port, not a function")
                } else {
                    let mut m = format!("unknown function `{name}`");
                    match closest(name, FUNCTIONS.iter().copied()) {
                        Some(close) => m += &format!(": did you mean `{close}`?"),
                        None => m += ".",
                    }
                    m + &format!(" The functions are {}", FUNCTIONS.join(", "))
                };
                return self.error(name_span, message);
            }
        };
        let given = match n {
            1 => "1 argument was".to_owned(),
            n => format!("{n} arguments were"),
        };
        self.error(span, format!("`{name}` takes {usage}, but {given} given"))
    }

    fn float_test(&mut self, name: &str, arg: Arg<'_>) -> Checked {
        let term = self.arg(arg, None)?;
        self.finish_float_test(name, arg, term)
    }

    #[inline(never)]
    fn finish_float_test(&mut self, name: &str, arg: Arg<'_>, term: Term) -> Checked {
        let ty = term.ty();
        if !matches!(ty, Scalar::Float(_)) {
            let message = match arg {
                Arg::Expr(e) => format!("`{name}` needs a Float argument, but `{}` is {ty}", self.quote(e.span)),
                Arg::Value(_) => format!("`{name}` here means {name}(value), which needs a Float, but `value` is {ty}"),
            };
            return Err(self.error(arg.span(), message));
        }
        let term = Box::new(term);
        Ok(match name {
            "finite" => Term::Finite(term),
            "is_nan" => Term::IsNan(term),
            _ => Term::IsInf(term),
        })
    }

    fn abs(&mut self, x: &Expr, hint: Option<Scalar>) -> Checked {
        let term = self.check(x, hint)?;
        self.expect_number(&term, "abs", Arg::Expr(x))?;
        Ok(Term::Abs(Box::new(term)))
    }

    fn min_max(&mut self, min: bool, a: &Expr, b: &Expr, span: Span, hint: Option<Scalar>) -> Checked {
        let results = self.same_type(&[Arg::Expr(a), Arg::Expr(b)], hint);
        self.finish_min_max(min, results, [Arg::Expr(a), Arg::Expr(b)], span)
    }

    #[inline(never)]
    fn finish_min_max(&mut self, min: bool, results: Vec<Checked>, args: [Arg<'_>; 2], span: Span) -> Checked {
        let name = if min { "min" } else { "max" };
        let mut results = results.into_iter();
        let ta = results.next().unwrap_or(Err(Failed));
        let tb = results.next().unwrap_or(Err(Failed));
        let (ta, tb) = (ta?, tb?);
        self.expect_one_type(name, &[(&ta, args[0]), (&tb, args[1])], span)?;
        self.expect_number(&ta, name, args[0])?;
        let (a, b) = (Box::new(ta), Box::new(tb));
        Ok(if min { Term::Min(a, b) } else { Term::Max(a, b) })
    }

    /// `clamp(x, lo, hi)` is `min(max(x, lo), hi)`: a NaN `x` gives `lo`.
    fn clamp(&mut self, x: &Expr, lo: &Expr, hi: &Expr, span: Span, hint: Option<Scalar>) -> Checked {
        let args = [Arg::Expr(x), Arg::Expr(lo), Arg::Expr(hi)];
        let mut results = self.same_type(&args, hint).into_iter();
        let tx = results.next().unwrap_or(Err(Failed));
        let tlo = results.next().unwrap_or(Err(Failed));
        let thi = results.next().unwrap_or(Err(Failed));
        let (tx, tlo, thi) = (tx?, tlo?, thi?);
        self.expect_one_type("clamp", &[(&tx, args[0]), (&tlo, args[1]), (&thi, args[2])], span)?;
        self.expect_number(&tx, "clamp", args[0])?;
        Ok(Term::Min(Box::new(Term::Max(Box::new(tx), Box::new(tlo))), Box::new(thi)))
    }

    fn in_range(&mut self, x: Arg<'_>, lo: &Expr, hi: &Expr, span: Span) -> Checked {
        let results = self.same_type(&[x, Arg::Expr(lo), Arg::Expr(hi)], None);
        self.finish_in_range(results, [x, Arg::Expr(lo), Arg::Expr(hi)], span)
    }

    #[inline(never)]
    fn finish_in_range(&mut self, results: Vec<Checked>, args: [Arg<'_>; 3], span: Span) -> Checked {
        let mut results = results.into_iter();
        let tx = results.next().unwrap_or(Err(Failed));
        let tlo = results.next().unwrap_or(Err(Failed));
        let thi = results.next().unwrap_or(Err(Failed));
        let (tx, tlo, thi) = (tx?, tlo?, thi?);
        self.expect_one_type("in_range", &[(&tx, args[0]), (&tlo, args[1]), (&thi, args[2])], span)?;
        self.expect_number(&tx, "in_range", args[0])?;
        let x = Box::new(tx);
        Ok(Term::And(vec![Term::Cmp(CmpOp::Le, Box::new(tlo), x.clone()), Term::Cmp(CmpOp::Le, x, Box::new(thi))]))
    }

    #[inline(never)]
    fn expect_number(&mut self, term: &Term, function: &str, arg: Arg<'_>) -> Result<(), Failed> {
        if term.ty() == Scalar::Bool {
            let x = match arg {
                Arg::Expr(e) => self.quote(e.span),
                Arg::Value(_) => "value".to_owned(),
            };
            return Err(self.error(arg.span(), format!("`{function}` needs numbers, but `{x}` is Bool")));
        }
        Ok(())
    }

    #[inline(never)]
    fn expect_one_type(&mut self, function: &str, args: &[(&Term, Arg<'_>)], span: Span) -> Result<(), Failed> {
        let first = args[0].0.ty();
        if args.iter().all(|(t, _)| t.ty() == first) {
            return Ok(());
        }
        let list: Vec<String> = args
            .iter()
            .map(|(t, arg)| {
                let q = match arg {
                    Arg::Expr(e) => self.quote(e.span),
                    Arg::Value(_) => "value".to_owned(),
                };
                format!("`{q}` is {}", t.ty())
            })
            .collect();
        Err(self.error(span, format!("`{function}` needs arguments of one type, but {}", list.join(", "))))
    }

    /// Checks every predicate on its own, once, `value` left open: first
    /// the cycles among them (found from the names in their bodies), then
    /// each acyclic one after the predicates it uses.
    fn check_predicates(&mut self) {
        let n = self.predicates.len();
        let mut uses: Vec<Vec<(usize, Span)>> = Vec::with_capacity(n);
        for i in 0..n {
            match parse(self.predicates[i].body) {
                Err(e) => {
                    let origin = Origin::Predicate { name: self.predicates[i].name.to_owned() };
                    self.predicate_errors.push((i, ContractError { origin, span: e.span, message: e.message }));
                    self.predicates[i].state = State::Broken;
                    uses.push(Vec::new());
                }
                Ok(expr) => {
                    uses.push(self.predicate_uses(&expr));
                    self.predicates[i].expr = Some(Rc::new(expr));
                }
            }
        }
        // Depth-first search without recursion; `order` is the post-order,
        // so every predicate comes after those it uses.
        let mut color = vec![0u8; n];
        let mut order = Vec::with_capacity(n);
        for root in 0..n {
            if color[root] != 0 {
                continue;
            }
            color[root] = 1;
            let mut path: Vec<(usize, usize)> = vec![(root, 0)];
            while let Some((u, next)) = path.last().copied() {
                let Some(&(v, span)) = uses[u].get(next) else {
                    color[u] = 2;
                    order.push(u);
                    path.pop();
                    continue;
                };
                if let Some(top) = path.last_mut() {
                    top.1 += 1;
                }
                match color[v] {
                    0 => {
                        color[v] = 1;
                        path.push((v, 0));
                    }
                    1 => {
                        let from = path.iter().position(|&(p, _)| p == v).unwrap_or(0);
                        let cycle: Vec<usize> = path[from..].iter().map(|&(p, _)| p).collect();
                        self.cycle_error(&cycle, span);
                    }
                    _ => {}
                }
            }
        }
        // Post-order: the sizes of the predicates a body uses are known.
        for i in order {
            let Some(expr) = self.predicates[i].expr.clone() else { continue };
            if self.predicates[i].state != State::Unchecked {
                continue;
            }
            let saved_text = std::mem::replace(&mut self.text, self.predicates[i].body);
            let fits = self.expansion_fits(Some(i), &expr);
            self.text = saved_text;
            if fits {
                self.ensure_predicate(i);
            } else {
                self.predicates[i].state = State::Broken;
                let origin = Origin::Predicate { name: self.predicates[i].name.to_owned() };
                for d in std::mem::take(&mut self.diags) {
                    self.predicate_errors
                        .push((i, ContractError { origin: origin.clone(), span: d.span, message: d.message }));
                }
            }
        }
    }

    /// Counts the nodes `expr` (the body of predicate `of`, or a contract)
    /// stands for with its predicates expanded, without expanding them, and
    /// charges them to the interface's budget. False, with the reason in
    /// `diags`, when it is over [`MAX_EXPANDED_NODES`] or the budget.
    fn expansion_fits(&mut self, of: Option<usize>, expr: &Expr) -> bool {
        let uses = self.predicate_uses(expr);
        // A broken predicate is never expanded: its use fails at once.
        let cost = |p: &Predicate<'_>| if p.state == State::Broken { 1 } else { p.size };
        let mut size = node_count(expr);
        for &(j, _) in &uses {
            size = size.saturating_add(cost(&self.predicates[j]) - 1);
        }
        if let Some(i) = of {
            self.predicates[i].size = size;
        }
        if size <= MAX_EXPANDED_NODES && size <= self.budget {
            self.budget -= size;
            return true;
        }
        self.too_large(&uses, size);
        false
    }

    #[cold]
    #[inline(never)]
    fn too_large(&mut self, uses: &[(usize, Span)], size: usize) {
        // The use that contributes most, and how often it is used here.
        let biggest = uses.iter().max_by_key(|&&(j, span)| (self.predicates[j].size, std::cmp::Reverse(span.start)));
        let (span, detail) = match biggest {
            Some(&(j, span)) => {
                let times = uses.iter().filter(|&&(k, _)| k == j).count();
                let p = &self.predicates[j];
                let times = if times == 1 { "once".to_owned() } else { format!("{times} times") };
                let detail = format!(
                    ": it uses `{}` ({} nodes expanded) {times}; every use of a predicate copies its body",
                    p.name, p.size
                );
                (span, detail)
            }
            None => (Span::new(0, self.text.len()), String::new()),
        };
        // The caller's origin names the predicate or the port.
        let message = if size > MAX_EXPANDED_NODES {
            format!("too large with its predicates expanded: {size} expression nodes, more than the limit of {MAX_EXPANDED_NODES}{detail}")
        } else {
            format!("too large with its predicates expanded ({size} expression nodes): the contracts and predicates of this interface together exceed the limit of {MAX_INTERFACE_NODES} nodes{detail}")
        };
        self.error(span, message);
    }

    /// The predicates a body names, with where (names that are `value` or
    /// a port are not predicates there).
    fn predicate_uses(&self, expr: &Expr) -> Vec<(usize, Span)> {
        let mut uses = Vec::new();
        let mut todo = vec![expr];
        while let Some(e) = todo.pop() {
            match &e.kind {
                ExprKind::Name(name) => {
                    if name != "value" && self.entity(name).is_none() {
                        if let Some(i) = self.predicate(name) {
                            uses.push((i, e.span));
                        }
                    }
                }
                // `p.x` is an error about `p`, not a use of it.
                ExprKind::Field(a, _) if matches!(a.kind, ExprKind::Name(_)) => {}
                ExprKind::Field(a, _) | ExprKind::Unary(_, a) => todo.push(a),
                ExprKind::Binary(_, a, b) => {
                    todo.push(b);
                    todo.push(a);
                }
                ExprKind::Call(_, _, args) | ExprKind::Chain(_, args) => todo.extend(args.iter().rev()),
                ExprKind::Bool(_) | ExprKind::Int(_) | ExprKind::Float(_) => {}
            }
        }
        uses
    }

    /// `cycle` (predicate indices) closes at `span`, in the last one's body.
    #[cold]
    #[inline(never)]
    fn cycle_error(&mut self, cycle: &[usize], span: Span) {
        let names: Vec<&str> = cycle.iter().chain(cycle.first()).map(|&j| self.predicates[j].name).collect();
        let message = if cycle.len() == 1 {
            format!("predicate `{}` uses itself: predicates cannot be recursive", names[0])
        } else {
            format!(
                "recursive predicates: {} (a predicate cannot use itself, directly or through others)",
                names.join(" -> ")
            )
        };
        for &j in cycle {
            self.predicates[j].state = State::Broken;
        }
        let last = cycle[cycle.len() - 1];
        let origin = Origin::Predicate { name: self.predicates[last].name.to_owned() };
        self.predicate_errors.push((last, ContractError { origin, span, message }));
    }

    fn ensure_predicate(&mut self, i: usize) {
        if self.predicates[i].state != State::Unchecked {
            return;
        }
        let Some(expr) = self.predicates[i].expr.clone() else { return };
        self.predicates[i].state = State::InProgress;
        let (name, body) = (self.predicates[i].name, self.predicates[i].body);
        let saved_text = std::mem::replace(&mut self.text, body);
        let saved_diags = std::mem::take(&mut self.diags);
        let saved_value = std::mem::replace(&mut self.value, ValueOf::Open);
        let saved_depth = std::mem::replace(&mut self.depth, 0);
        let _ = self.predicate_body(&expr);
        let diags = std::mem::replace(&mut self.diags, saved_diags);
        self.text = saved_text;
        self.value = saved_value;
        self.depth = saved_depth;
        self.predicates[i].state = if diags.is_empty() { State::Ok } else { State::Broken };
        for d in diags {
            let origin = Origin::Predicate { name: name.to_owned() };
            self.predicate_errors.push((i, ContractError { origin, span: d.span, message: d.message }));
        }
    }

    fn predicate_body(&mut self, expr: &Expr) -> Checked {
        let term = self.check(expr, Some(Scalar::Bool))?;
        self.finish_predicate_body(term, expr.span)
    }

    #[inline(never)]
    fn finish_predicate_body(&mut self, term: Term, span: Span) -> Checked {
        let ty = term.ty();
        if ty != Scalar::Bool {
            return Err(self.error(span, format!("a predicate must be a Bool condition, but this is a {ty}")));
        }
        Ok(term)
    }

    /// Predicate `i` named at `span`: its body, with `value` unchanged.
    fn use_predicate(&mut self, i: usize, span: Span) -> Checked {
        if self.predicates[i].state == State::Unchecked {
            self.ensure_predicate(i);
        }
        if self.predicates[i].state != State::Ok {
            // Its own errors (or its cycle) are reported in the predicate.
            return Err(Failed);
        }
        let Some(expr) = self.predicates[i].expr.clone() else { return Err(Failed) };
        let saved_text = std::mem::replace(&mut self.text, self.predicates[i].body);
        let saved_diags = std::mem::take(&mut self.diags);
        let result = self.predicate_body(&expr);
        let inner = std::mem::replace(&mut self.diags, saved_diags);
        self.text = saved_text;
        if inner.is_empty() {
            return result;
        }
        Err(self.predicate_misfit(i, span, inner))
    }

    /// What failed depends on `value` (the rest was reported once, in the
    /// predicate): report it at the use, where `value` is this port.
    #[cold]
    #[inline(never)]
    fn predicate_misfit(&mut self, i: usize, span: Span, inner: Vec<Diag>) -> Failed {
        let (name, body) = (self.predicates[i].name, self.predicates[i].body);
        let first = &inner[0];
        let detail = format!(
            "in its body, `{}` (bytes {}..{}): {}",
            quote(body, first.span),
            first.span.start,
            first.span.end,
            first.message
        );
        let mut message = match &self.value {
            ValueOf::Port { shown, ty_name: Some(ty), .. } => {
                format!("predicate `{name}` does not apply to {shown} ({ty}): {detail}")
            }
            ValueOf::Port { shown, .. } => format!("predicate `{name}` does not apply to {shown}: {detail}"),
            _ => format!("predicate `{name}` fails here: {detail}"),
        };
        match inner.len() {
            1 => {}
            2 => message += " (and 1 more error)",
            n => message += &format!(" (and {} more errors)", n - 1),
        }
        self.error(span, message)
    }
}

fn is_comparison(op: BinaryOp) -> bool {
    matches!(op, BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge)
}

/// The type untyped arguments are read at: that of the typed ones, else
/// `hint`, else the default (Float<64> when a float literal is among them,
/// Int<64> otherwise). None when a typed argument failed: guessing would
/// report errors that are not there.
fn untyped_type(args: &[Arg<'_>], ty: Option<Scalar>, hint: Option<Scalar>, failed: bool) -> Option<Scalar> {
    match (ty, hint) {
        (Some(ty), _) => Some(ty),
        (None, _) if failed => None,
        (None, Some(hint)) => Some(hint),
        (None, None) => {
            let float = args.iter().any(|a| matches!(a, Arg::Expr(e) if has_float_literal(e)));
            Some(if float { FLOAT64 } else { INT64 })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F32: Scalar = Scalar::Float(FloatWidth::F32);
    const F64: Scalar = Scalar::Float(FloatWidth::F64);
    const U16: Scalar = Scalar::Int { signed: false, bits: 16 };

    fn var(name: &str, ty: Scalar) -> Term {
        Term::Var { name: name.to_owned(), ty }
    }

    fn f32_lit(x: f32) -> Term {
        Value::F32(x).to_term()
    }

    fn formula(text: &str, vars: &[(&str, Scalar)]) -> Result<Term, String> {
        let vars: Vec<(String, Scalar)> = vars.iter().map(|(n, t)| ((*n).to_owned(), *t)).collect();
        check_formula(text, &vars).map_err(|e| e.message)
    }

    fn formula_err(text: &str, vars: &[(&str, Scalar)]) -> (usize, usize, String) {
        let vars: Vec<(String, Scalar)> = vars.iter().map(|(n, t)| ((*n).to_owned(), *t)).collect();
        let e = check_formula(text, &vars).expect_err(text);
        (e.span.start, e.span.end, e.message)
    }

    #[test]
    fn types() {
        let ok = |s: &str| parse_type(s).unwrap();
        assert_eq!(ok("Bool"), TypeRef::Scalar(Scalar::Bool));
        assert_eq!(ok("Int<8>"), TypeRef::Scalar(Scalar::Int { signed: true, bits: 8 }));
        assert_eq!(ok("UInt<128>"), TypeRef::Scalar(Scalar::Int { signed: false, bits: 128 }));
        assert_eq!(ok(" UInt< 1 > "), TypeRef::Scalar(Scalar::Int { signed: false, bits: 1 }));
        assert_eq!(ok("Float<32>"), TypeRef::Scalar(F32));
        assert_eq!(ok("Float<64>"), TypeRef::Scalar(F64));
        assert_eq!(ok("PIDConfig"), TypeRef::Named("PIDConfig".into(), Span::new(0, 9)));
        let err = |s: &str| {
            let (span, message) = parse_type(s).unwrap_err();
            (span.start, span.end, message)
        };
        assert_eq!(
            err("Float<16>"),
            (6, 8, "Float<16> is not supported: the float types are Float<32> and Float<64>".into())
        );
        assert_eq!(err("Int<0>"), (4, 5, "Int<0> is not a type: the width must be between 1 and 128".into()));
        assert_eq!(err("UInt<129>"), (5, 8, "UInt<129> is not a type: the width must be between 1 and 128".into()));
        assert_eq!(
            err("UInt<99999999999>"),
            (5, 16, "UInt<99999999999> is not a type: the width must be between 1 and 128".into())
        );
        assert_eq!(err("Int"), (0, 3, "`Int` needs a width: Int<N> with 1 <= N <= 128".into()));
        assert_eq!(err("Float"), (0, 5, "`Float` needs a width: Float<32> or Float<64>".into()));
        assert_eq!(err("Bool<1>"), (5, 6, "`Bool` takes no width".into()));
        assert_eq!(err("Int<>"), (3, 4, "expected a width after `Int<`, as in Int<32>".into()));
        assert_eq!(err("Int<8"), (3, 5, "expected `>` to close `Int<`".into()));
        assert_eq!(err("Int<8> x"), (7, 8, "unexpected `x` after the type".into()));
        assert_eq!(err(""), (0, 0, format!("empty type: expected {TYPE_LIST} or a record type name")));
        assert_eq!(err("<8>"), (0, 1, format!("expected a type ({TYPE_LIST} or a record type name), found `<`")));
    }

    #[test]
    fn float_literals_round_once_at_their_width() {
        let x = || vec![("x", F32)];
        let rhs = |text: &str| match formula(text, &x()).unwrap() {
            Term::Cmp(_, _, b) => *b,
            other => panic!("{other:?}"),
        };
        assert_eq!(rhs("x == 0.1"), f32_lit(0.1f32));
        // Rounding through f64 first would give 1.0000001: the decimal is
        // just above the midpoint between 1.0 and the next f32.
        let tricky = "1.000000059604644775390625000001";
        assert_eq!(rhs(&format!("x == {tricky}")), f32_lit(tricky.parse::<f32>().unwrap()));
        assert_ne!(tricky.parse::<f32>().unwrap(), tricky.parse::<f64>().unwrap() as f32);
        assert_eq!(rhs("x == -0.0"), Term::Float { bits: 0x8000_0000, width: FloatWidth::F32 });
        assert_eq!(rhs("x == 0.0"), Term::Float { bits: 0, width: FloatWidth::F32 });
        assert_eq!(rhs("x == 3"), f32_lit(3.0));
        assert_eq!(rhs("x == 16777217"), f32_lit(16777216.0));
        assert_eq!(rhs("x == 1e-50"), f32_lit(0.0));
        assert_eq!(rhs("x == 3.4028235e38"), f32_lit(f32::MAX));
        assert_eq!(
            formula_err("x < 1e40", &x()),
            (4, 8, "float literal `1e40` is out of range for Float<32>: it rounds to infinity (the largest finite Float<32> is 3.4028235e38)".into())
        );
        assert_eq!(
            formula_err("x > -1e40", &x()),
            (4, 9, "float literal `-1e40` is out of range for Float<32>: it rounds to infinity (the largest finite Float<32> is 3.4028235e38)".into())
        );
        let big = "9".repeat(40);
        assert_eq!(formula_err(&format!("x < {big}"), &x()).2, format!("integer literal `{big}` is out of range for Float<32>: it rounds to infinity (the largest finite Float<32> is 3.4028235e38)"));
        // Untyped: Float<64>.
        let Term::Cmp(_, a, _) = formula("1.0 < 2.0", &[]).unwrap() else { panic!() };
        assert_eq!(*a, Term::Float { bits: 1.0f64.to_bits(), width: FloatWidth::F64 });
        assert_eq!(formula_err("1e400 > 0.0", &[]).0, 0);
    }

    #[test]
    fn integer_literals() {
        let i8_ = Scalar::Int { signed: true, bits: 8 };
        let u8_ = Scalar::Int { signed: false, bits: 8 };
        let rhs = |text: &str, ty: Scalar| match formula(text, &[("n", ty)]).unwrap() {
            Term::Cmp(_, _, b) => *b,
            other => panic!("{other:?}"),
        };
        assert_eq!(rhs("n == -128", i8_), Term::Int { value: 0x80, signed: true, bits: 8 });
        assert_eq!(rhs("n == 127", i8_), Term::Int { value: 0x7f, signed: true, bits: 8 });
        assert_eq!(rhs("n == -1", i8_), Term::Int { value: 0xff, signed: true, bits: 8 });
        assert_eq!(rhs("n == -0", u8_), Term::Int { value: 0, signed: false, bits: 8 });
        assert_eq!(rhs("n == 255", u8_), Term::Int { value: 255, signed: false, bits: 8 });
        let u128_ = Scalar::Int { signed: false, bits: 128 };
        let i128_ = Scalar::Int { signed: true, bits: 128 };
        assert_eq!(
            rhs(&format!("n == {}", u128::MAX), u128_),
            Term::Int { value: u128::MAX, signed: false, bits: 128 }
        );
        assert_eq!(rhs(&format!("n == {}", i128::MIN), i128_), Term::Int { value: 1 << 127, signed: true, bits: 128 });
        let err = |text: &str, ty| formula_err(text, &[("n", ty)]);
        assert_eq!(err("n == 128", i8_), (5, 8, "128 is out of range for Int<8> (-128 to 127)".into()));
        assert_eq!(err("n == -129", i8_), (5, 9, "-129 is out of range for Int<8> (-128 to 127)".into()));
        assert_eq!(err("n == 256", u8_), (5, 8, "256 is out of range for UInt<8> (0 to 255)".into()));
        assert_eq!(err("n == -1", u8_), (5, 7, "-1 is out of range for UInt<8> (0 to 255)".into()));
        assert_eq!(
            err(&format!("n == {}0", u128::MAX), u128_).2,
            format!("{}0 is out of range for UInt<128> (0 to {})", u128::MAX, u128::MAX)
        );
        assert_eq!(err("n == 0.5", u8_), (5, 8, "float literal `0.5` where UInt<8> is expected".into()));
        assert_eq!(err("n < 2.0 * 3", u8_), (4, 7, "float literal `2.0` where UInt<8> is expected".into()));
        // The literal is read at the other side's type, left or right.
        assert_eq!(err("300 > n", u8_), (0, 3, "300 is out of range for UInt<8> (0 to 255)".into()));
        // Untyped: Int<64>.
        let Term::Cmp(_, a, _) = formula("1 < 2", &[]).unwrap() else { panic!() };
        assert_eq!(*a, Term::Int { value: 1, signed: true, bits: 64 });
        // A float literal on either side makes both Float<64>.
        let Term::Cmp(_, a, _) = formula("1 < 2.5", &[]).unwrap() else { panic!() };
        assert_eq!(*a, Term::Float { bits: 1.0f64.to_bits(), width: FloatWidth::F64 });
        assert_eq!(formula_err("true && 1", &[]).2, "integer literal `1` where Bool is expected");
    }

    #[test]
    fn operators_and_terms() {
        let vars = [("x", F32), ("y", F32), ("b", Scalar::Bool), ("n", U16)];
        let t = |text: &str| formula(text, &vars).unwrap_or_else(|e| panic!("{text}: {e}"));
        let (x, y) = (|| Box::new(var("x", F32)), || Box::new(var("y", F32)));
        assert_eq!(t("x != y"), Term::Cmp(CmpOp::Ne, x(), y()));
        assert_eq!(t("0.0 < x"), Term::Cmp(CmpOp::Lt, Box::new(f32_lit(0.0)), x()));
        assert_eq!(
            t("b && (b && b) && (b || b || b)"),
            Term::And(vec![
                var("b", Scalar::Bool),
                var("b", Scalar::Bool),
                var("b", Scalar::Bool),
                Term::Or(vec![var("b", Scalar::Bool), var("b", Scalar::Bool), var("b", Scalar::Bool)]),
            ])
        );
        assert_eq!(
            t("in_range(x, -1, 1.5)"),
            Term::And(vec![
                Term::Cmp(CmpOp::Le, Box::new(f32_lit(-1.0)), x()),
                Term::Cmp(CmpOp::Le, x(), Box::new(f32_lit(1.5))),
            ])
        );
        assert_eq!(
            t("-x < 2 * y"),
            Term::Cmp(
                CmpOp::Lt,
                Box::new(Term::Neg(x())),
                Box::new(Term::Arith(ArithOp::Mul, Box::new(f32_lit(2.0)), y())),
            )
        );
        assert_eq!(
            t("abs(x) == max(0.0, y)"),
            Term::Cmp(CmpOp::Eq, Box::new(Term::Abs(x())), Box::new(Term::Max(Box::new(f32_lit(0.0)), y())),)
        );
        assert_eq!(
            t("min(1, 2) < x"),
            Term::Cmp(CmpOp::Lt, Box::new(Term::Min(Box::new(f32_lit(1.0)), Box::new(f32_lit(2.0)))), x(),)
        );
        assert_eq!(
            t("!b => is_nan(x) || is_inf(y)"),
            Term::Implies(
                Box::new(Term::Not(Box::new(var("b", Scalar::Bool)))),
                Box::new(Term::Or(vec![Term::IsNan(x()), Term::IsInf(y())])),
            )
        );
        assert_eq!(t("b == true"), Term::Cmp(CmpOp::Eq, Box::new(var("b", Scalar::Bool)), Box::new(Term::Bool(true))));
        assert_eq!(
            t("n - 1 >= 0"),
            Term::Cmp(
                CmpOp::Ge,
                Box::new(Term::Arith(
                    ArithOp::Sub,
                    Box::new(var("n", U16)),
                    Box::new(Term::Int { value: 1, signed: false, bits: 16 })
                )),
                Box::new(Term::Int { value: 0, signed: false, bits: 16 }),
            )
        );
        assert_eq!(t("-(-x) == x"), Term::Cmp(CmpOp::Eq, Box::new(Term::Neg(Box::new(Term::Neg(x())))), x()));
    }

    #[test]
    fn type_errors() {
        let vars = [("x", F32), ("y", F64), ("b", Scalar::Bool), ("n", U16), ("c.kp", F32), ("c.ki", F32)];
        let err = |text: &str| formula_err(text, &vars);
        assert_eq!(
            err("x < y"),
            (0, 5, "`<` compares values of different types: `x` is Float<32> but `y` is Float<64>".into())
        );
        assert_eq!(
            err("x + n > 0.0"),
            (0, 5, "`+` combines values of different types: `x` is Float<32> but `n` is UInt<16>".into())
        );
        assert_eq!(
            err("b < b"),
            (0, 5, "`<` is not defined on Bool: Bool values are compared only with `==` and `!=`".into())
        );
        assert_eq!(err("b + b"), (0, 5, "`+` needs numbers, but `b` and `b` are Bool".into()));
        assert_eq!(err("x && b"), (0, 1, "`&&` needs Bool operands, but `x` is Float<32>".into()));
        assert_eq!(err("b => n"), (5, 6, "`=>` needs Bool operands, but `n` is UInt<16>".into()));
        assert_eq!(err("!x"), (1, 2, "`!` needs Bool operands, but `x` is Float<32>".into()));
        assert_eq!(err("-b"), (0, 2, "`-` needs a number, but `b` is Bool (for Bool, use `!`)".into()));
        assert_eq!(err("x"), (0, 1, "a formula must be a Bool condition, but this is a Float<32>".into()));
        assert_eq!(err("finite(n)"), (7, 8, "`finite` needs a Float argument, but `n` is UInt<16>".into()));
        assert_eq!(
            err("finite(x, y)"),
            (0, 12, "`finite` takes 1 argument: finite(x), but 2 arguments were given".into())
        );
        assert_eq!(err("min(x) < x"), (0, 6, "`min` takes 2 arguments: min(a, b), but 1 argument was given".into()));
        assert_eq!(
            err("in_range(x)"),
            (
                0,
                11,
                "`in_range` takes 2 or 3 arguments: in_range(lo, hi) or in_range(x, lo, hi), but 1 argument was given"
                    .into()
            )
        );
        assert_eq!(
            err("in_range(x, 0.0, y)"),
            (
                0,
                19,
                "`in_range` needs arguments of one type, but `x` is Float<32>, `0.0` is Float<32>, `y` is Float<64>"
                    .into()
            )
        );
        assert_eq!(err("in_range(b, false, true)"), (9, 10, "`in_range` needs numbers, but `b` is Bool".into()));
        assert_eq!(
            err("max(x, y) > 0.0"),
            (0, 9, "`max` needs arguments of one type, but `x` is Float<32>, `y` is Float<64>".into())
        );
        assert_eq!(err("abs(b)"), (4, 5, "`abs` needs numbers, but `b` is Bool".into()));
        assert_eq!(
            err("sqrt(x) > 0.0"),
            (0, 4, "unknown function `sqrt`. The functions are finite, is_nan, is_inf, in_range, abs, min, max, clamp".into())
        );
        assert_eq!(err("fnite(x)"), (0, 5, "unknown function `fnite`: did you mean `finite`? The functions are finite, is_nan, is_inf, in_range, abs, min, max, clamp".into()));
        assert_eq!(err("x(1)"), (0, 1, "`x` is a port, not a function".into()));
        assert_eq!(
            err("xx > 0.0"),
            (0, 2, "unknown name `xx`: did you mean `x`? The variables are x, y, b, n, c".into())
        );
        assert_eq!(
            err("kp > 0.0"),
            (0, 2, "unknown name `kp`: did you mean `c.kp`? The variables are x, y, b, n, c".into())
        );
        assert_eq!(
            err("c > 0.0"),
            (0, 1, "`c` is a record and can only be used through its fields: c.kp, c.ki".into())
        );
        assert_eq!(err("c.kq > 0.0"), (0, 4, "`c` has no field `kq`: did you mean `kp`? Its fields are kp, ki".into()));
        assert_eq!(err("x.kp > 0.0"), (0, 4, "`x` is a Float<32>, which has no fields".into()));
        assert_eq!(
            err("(x + x).kp > 0.0"),
            (0, 10, "`(x + x)` has no fields: only record ports do (`config.kp`)".into())
        );
        assert_eq!(
            err("finite"),
            (0, 6, "bare `finite` means finite(value), and there is no `value` here: write finite(x)".into())
        );
        assert_eq!(err("in_range(0.0, 1.0)"), (0, 18, "in_range(lo, hi) means in_range(value, lo, hi), and there is no `value` here: write in_range(x, lo, hi)".into()));
        assert_eq!(err("min < x"), (0, 3, "`min` is a function: write min(a, b)".into()));
        // Every error, not just the first.
        let all = check_expr("xx && y.z && 1.5 && b", &Scope::new(vars.iter().map(|(n, t)| ((*n).to_owned(), *t))))
            .unwrap_err();
        assert_eq!(all.len(), 3, "{all:?}");
        assert!(all.iter().all(|e| e.origin == Origin::Predicate { name: FORMULA_ORIGIN.into() }));
    }

    #[test]
    fn defaults() {
        let ok = |text: &str, ty| default_value(text, ty).unwrap();
        assert_eq!(ok("0.001", F32), Value::F32(0.001));
        assert_eq!(ok("-0.0", F64).to_term(), Term::Float { bits: (-0.0f64).to_bits(), width: FloatWidth::F64 });
        assert!(matches!(ok("NaN", F32), Value::F32(x) if x.is_nan()));
        assert_eq!(ok("-inf", F32), Value::F32(f32::NEG_INFINITY));
        assert_eq!(ok("inf", F64), Value::F64(f64::INFINITY));
        assert_eq!(ok("2", F32), Value::F32(2.0));
        assert_eq!(
            ok("385", Scalar::Int { signed: false, bits: 11 }),
            Value::Int { value: 385, signed: false, bits: 11 }
        );
        assert_eq!(ok("-3", Scalar::Int { signed: true, bits: 4 }), Value::Int { value: 0xd, signed: true, bits: 4 });
        assert_eq!(ok("true", Scalar::Bool), Value::Bool(true));
        let err = |text: &str, ty| default_value(text, ty).unwrap_err();
        assert_eq!(
            err("2048", Scalar::Int { signed: false, bits: 11 }),
            (Span::new(0, 4), "2048 is out of range for UInt<11> (0 to 2047)".into())
        );
        assert_eq!(
            err("0.5", Scalar::Int { signed: false, bits: 11 }).1,
            "float literal `0.5` where UInt<11> is expected"
        );
        assert_eq!(
            err("x", F32).1,
            "a default is a literal of the port's type Float<32>, such as `0.5`, `-1`, `NaN`, `inf` or `-inf`"
        );
        assert_eq!(
            err("-NaN", F32).1,
            "a default is a literal of the port's type Float<32>, such as `0.5`, `-1`, `NaN`, `inf` or `-inf`"
        );
        assert_eq!(
            err("1 + 1", Scalar::Int { signed: true, bits: 8 }).1,
            "a default is a literal of the port's type Int<8>, such as `0` or `-1`"
        );
        assert_eq!(err("1", Scalar::Bool).1, "integer literal `1` where Bool is expected");
        assert_eq!(err("", Scalar::Bool).0, Span::new(0, 0));
    }

    #[test]
    fn suggestions() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "ab"), 2);
        assert_eq!(closest("setpiont", ["setpoint", "dt"].into_iter()), Some("setpoint"));
        assert_eq!(closest("DT", ["setpoint", "dt"].into_iter()), Some("dt"));
        assert_eq!(closest("zz", ["setpoint", "dt"].into_iter()), None);
        assert_eq!(familiar_type("f32").as_deref(), Some("Float<32>"));
        assert_eq!(familiar_type("u8").as_deref(), Some("UInt<8>"));
        assert_eq!(familiar_type("i128").as_deref(), Some("Int<128>"));
        assert_eq!(familiar_type("u129"), None);
    }
}
