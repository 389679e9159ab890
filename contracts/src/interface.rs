//! A module's interface as the contract checker sees it: ports with typed,
//! checked contracts over scalar variables.
//!
//! [`InterfaceSpec`] is what a manifest says (strings); [`Interface::check`]
//! parses and type-checks every contract, expands named predicates and
//! flattens record ports into one scalar variable per field
//! (`config.out_min`), giving an [`Interface`]. Every error is a
//! [`ContractError`] naming where it is (which port and which of its
//! fields, which predicate or record type) and the byte span inside that
//! string.

use crate::syntax::Span;
use crate::term::{Scalar, Term, Value};
use std::fmt;

/// One port as the manifest writes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortSpec {
    pub name: String,
    /// `Float<32>`, `UInt<11>`, `Bool`, or a record type name.
    pub ty: String,
    /// The contract expression (`true` when the manifest gives none).
    pub contract: String,
    /// An input's default value (a literal), if any.
    pub default: Option<String>,
}

/// A module's interface as the manifest writes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InterfaceSpec {
    /// `[module.types]`: record name -> (field, type) in declaration order.
    pub types: Vec<(String, Vec<(String, String)>)>,
    /// `[module.predicates]`: name -> body.
    pub predicates: Vec<(String, String)>,
    pub inputs: Vec<PortSpec>,
    pub outputs: Vec<PortSpec>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    Input,
    Output,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Input => "input",
            Direction::Output => "output",
        })
    }
}

/// A port's type: a scalar, or a record flattened into scalar fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortType {
    Scalar(Scalar),
    Record { name: String, fields: Vec<(String, Scalar)> },
}

impl fmt::Display for PortType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortType::Scalar(s) => write!(f, "{s}"),
            PortType::Record { name, .. } => f.write_str(name),
        }
    }
}

/// A checked port.
#[derive(Clone, Debug, PartialEq)]
pub struct Port {
    pub name: String,
    pub direction: Direction,
    pub ty: PortType,
    /// The contract with `value` resolved to this port and predicates
    /// expanded.
    pub contract: Term,
    /// The contract as written, for reports.
    pub contract_text: String,
    /// A scalar input's default, parsed at the port's type.
    pub default: Option<Value>,
}

impl Port {
    /// The scalar variables this port stands for: `dt`, or `config.kp`,
    /// `config.ki`, ... for a record.
    pub fn vars(&self) -> Vec<(String, Scalar)> {
        match &self.ty {
            PortType::Scalar(s) => vec![(self.name.clone(), *s)],
            PortType::Record { fields, .. } => {
                fields.iter().map(|(field, s)| (format!("{}.{field}", self.name), *s)).collect()
            }
        }
    }
}

/// A checked interface: ports in manifest order, inputs first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Interface {
    pub ports: Vec<Port>,
}

impl Interface {
    pub fn port(&self, name: &str) -> Option<&Port> {
        self.ports.iter().find(|p| p.name == name)
    }

    pub fn inputs(&self) -> impl Iterator<Item = &Port> {
        self.ports.iter().filter(|p| p.direction == Direction::Input)
    }

    pub fn outputs(&self) -> impl Iterator<Item = &Port> {
        self.ports.iter().filter(|p| p.direction == Direction::Output)
    }

    /// The conjunction of every input contract: what callers promise.
    pub fn precondition(&self) -> Term {
        Term::And(self.inputs().map(|p| p.contract.clone()).collect())
    }

    /// The conjunction of every output contract: what the module promises
    /// when the precondition holds.
    pub fn postcondition(&self) -> Term {
        Term::And(self.outputs().map(|p| p.contract.clone()).collect())
    }
}

/// Where in the manifest a contract error is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// In port `port`'s `type`, `contract` or `default` string.
    Port { port: String, direction: Direction, field: PortField },
    /// In the body of named predicate `name`.
    Predicate { name: String },
    /// In record type `name` (its `field`'s type string, when there is one).
    RecordType { name: String, field: Option<String> },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortField {
    Type,
    Contract,
    Default,
}

/// A parse or type error in a contract, a type or a default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractError {
    pub origin: Origin,
    /// Byte span inside the string `origin` names.
    pub span: Span,
    pub message: String,
}

impl fmt::Display for ContractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.origin {
            Origin::Port { port, direction, field } => {
                let what = match field {
                    PortField::Type => "type",
                    PortField::Contract => "contract",
                    PortField::Default => "default",
                };
                write!(f, "{direction} `{port}`, {what}")?;
            }
            Origin::Predicate { name } => write!(f, "predicate `{name}`")?,
            Origin::RecordType { name, field: Some(field) } => write!(f, "type `{name}`, field `{field}`")?,
            Origin::RecordType { name, field: None } => write!(f, "type `{name}`")?,
        }
        write!(f, " (bytes {}..{}): {}", self.span.start, self.span.end, self.message)
    }
}

impl std::error::Error for ContractError {}
