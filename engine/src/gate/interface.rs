//! A manifest's interface as the contract checker sees it: the module's
//! ports, record types and predicates handed to
//! [`torc_contracts::interface::Interface::check`], with every contract
//! error turned into an [`Error::Input`] that names the manifest, the line
//! and key of the port, predicate or type, and the offending fragment.

use crate::error::{Error, Location, Result};
use crate::manifest::key_path;
use crate::package::{Details, Manifest, ModuleDetails};
use torc_contracts::compat;
use torc_contracts::interface::{ContractError, Direction, Interface, InterfaceSpec, Origin, PortField, PortSpec};
use torc_contracts::prove;

/// What the contract checker reads from a module's `[module.*]` sections.
pub fn spec(module: &ModuleDetails) -> InterfaceSpec {
    let port = |p: &crate::package::Port| PortSpec {
        name: p.name.clone(),
        ty: p.ty.clone(),
        contract: p.contract.clone(),
        default: p.default.clone(),
    };
    InterfaceSpec {
        types: module.types.iter().map(|t| (t.name.clone(), t.fields.clone())).collect(),
        predicates: module.predicates.iter().map(|p| (p.name.clone(), p.body.clone())).collect(),
        inputs: module.interfaces.inputs.iter().map(port).collect(),
        outputs: module.interfaces.outputs.iter().map(port).collect(),
    }
}

/// Checks the contracts of `manifest`: every type, contract and default
/// parses and type-checks. `None` for kinds without an interface
/// (platform models, proof libraries, spec packages).
pub fn check(manifest: &Manifest) -> Result<Option<Interface>> {
    let Details::Module(module) = &manifest.details else {
        return Ok(None);
    };
    match Interface::check(&spec(module)) {
        Ok(interface) => Ok(Some(interface)),
        Err(errors) => Err(contract_errors(manifest, module, &errors)),
    }
}

/// Refuses contracts no value can satisfy: an input nobody can call, an
/// output the module cannot produce.
pub fn check_satisfiable(manifest: &Manifest, interface: &Interface, options: &prove::Options) -> Result<()> {
    let Details::Module(module) = &manifest.details else {
        return Ok(());
    };
    // One query settles the usual case: values meeting every input and
    // every output contract at once mean each contract alone, the inputs
    // together and each output under the inputs can be met. Only when that
    // fails are the contracts examined one by one, to say which is at fault.
    let everything = [interface.precondition(), interface.postcondition()];
    if let prove::Satisfiable::Yes(_) = prove::satisfiable(&everything, options) {
        return Ok(());
    }
    let mut problems = compat::unsatisfiable(interface, options);
    if problems.is_empty() {
        // Each output can be met under the inputs, but not all of them at
        // once: no module can keep those promises.
        problems.push(compat::Unsatisfiable {
            port: None,
            reason: "each contract can be met on its own, but no values meet all the output contracts at once for any input the input contracts allow".to_owned(),
        });
    }
    let first = &problems[0];
    let describe = |problem: &compat::Unsatisfiable| -> (Location, String) {
        match problem.port.as_deref().and_then(|name| find_port(module, name)) {
            Some((direction, index, port)) => (
                location(
                    manifest,
                    port.line,
                    column_of(manifest, port.line, &port.contract, 0),
                    &port_key(direction, index, "contract"),
                ),
                problem.reason.clone(),
            ),
            None => (
                location(manifest, interfaces_line(module), 1, "module.interfaces"),
                format!("the contracts cannot all hold together: {}", problem.reason),
            ),
        }
    };
    let (location, mut message) = describe(first);
    for other in &problems[1..] {
        let (at, text) = describe(other);
        message.push_str(&format!("\n  also line {}: {}: {text}", at.line, at.key));
    }
    Err(Error::Input { location, message })
}

fn contract_errors(manifest: &Manifest, module: &ModuleDetails, errors: &[ContractError]) -> Error {
    let mut described = errors.iter().map(|e| describe_error(manifest, module, e));
    let Some((location, mut message)) = described.next() else {
        // `check` never fails without saying why; stay total anyway.
        return Error::input(location(manifest, 1, 1, "module.interfaces"), "the interface does not check");
    };
    for (at, text) in described {
        message.push_str(&format!("\n  also line {}: {}: {text}", at.line, at.key));
    }
    Error::Input { location, message }
}

/// Where a contract error is, and what to say about it.
fn describe_error(manifest: &Manifest, module: &ModuleDetails, error: &ContractError) -> (Location, String) {
    let (line, key, text, what) = match &error.origin {
        Origin::Port { port, direction, field } => {
            let (field_key, what) = match field {
                PortField::Type => ("type", "type"),
                PortField::Contract => ("contract", "contract"),
                PortField::Default => ("default", "default"),
            };
            match find_port(module, port).filter(|(d, _, _)| d == direction) {
                Some((direction, index, p)) => {
                    let text = match field {
                        PortField::Type => p.ty.clone(),
                        PortField::Contract => p.contract.clone(),
                        PortField::Default => p.default.clone().unwrap_or_default(),
                    };
                    (p.line, port_key(direction, index, field_key), text, format!("{direction} `{port}`, {what}"))
                }
                None => (
                    interfaces_line(module),
                    "module.interfaces".to_owned(),
                    String::new(),
                    format!("{direction} `{port}`"),
                ),
            }
        }
        Origin::Predicate { name } => match module.predicates.iter().find(|p| &p.name == name) {
            Some(p) => (p.line, key_path("module.predicates", name), p.body.clone(), format!("predicate `{name}`")),
            None => (1, "module.predicates".to_owned(), String::new(), format!("predicate `{name}`")),
        },
        Origin::RecordType { name, field } => {
            let record = module.types.iter().find(|t| &t.name == name);
            let line = record.map_or(1, |t| t.line);
            let mut key = key_path("module.types", name);
            let mut text = String::new();
            let mut what = format!("type `{name}`");
            if let Some(field) = field {
                key = key_path(&key, field);
                what = format!("type `{name}`, field `{field}`");
                if let Some((_, ty)) = record.and_then(|t| t.fields.iter().find(|(f, _)| f == field)) {
                    text = ty.clone();
                }
            }
            (line, key, text, what)
        }
    };
    let span = error.span.start.min(text.len())..error.span.end.min(text.len()).max(error.span.start.min(text.len()));
    let fragment = text.get(span.clone()).unwrap_or("");
    let column = column_of(manifest, line, &text, span.start);
    let mut message = format!("{what}: {}", error.message);
    if !text.is_empty() {
        let inner = text.get(..span.start).map_or(span.start, |before| before.chars().count()) + 1;
        if fragment.is_empty() {
            message.push_str(&format!(" (at column {inner} of `{text}`)"));
        } else {
            message.push_str(&format!(" (at `{fragment}`, column {inner} of `{text}`)"));
        }
    }
    (location(manifest, line, column, &key), message)
}

/// The column of byte `offset` of the string `text` on 1-based `line` of
/// the manifest (the text it was parsed from, never the file read again),
/// when the string is written there verbatim; otherwise 1.
fn column_of(manifest: &Manifest, line: usize, text: &str, offset: usize) -> usize {
    if text.is_empty() {
        return 1;
    }
    let Some(written) = line.checked_sub(1).and_then(|i| manifest.source.lines().nth(i)) else {
        return 1;
    };
    let quoted = [format!("\"{text}\""), format!("'{text}'")];
    let Some(start) = quoted.iter().find_map(|q| written.find(q.as_str())) else {
        return 1;
    };
    let byte = start + 1 + offset.min(text.len());
    written.get(..byte).map_or(1, |before| before.chars().count() + 1)
}

fn find_port<'a>(module: &'a ModuleDetails, name: &str) -> Option<(Direction, usize, &'a crate::package::Port)> {
    let inputs = module.interfaces.inputs.iter().enumerate().map(|(i, p)| (Direction::Input, i, p));
    let outputs = module.interfaces.outputs.iter().enumerate().map(|(i, p)| (Direction::Output, i, p));
    inputs.chain(outputs).find(|(_, _, p)| p.name == name)
}

/// `module.interfaces.outputs[1].contract`.
fn port_key(direction: Direction, index: usize, field: &str) -> String {
    let list = match direction {
        Direction::Input => "inputs",
        Direction::Output => "outputs",
    };
    format!("module.interfaces.{list}[{index}].{field}")
}

fn interfaces_line(module: &ModuleDetails) -> usize {
    module.interfaces.inputs.iter().chain(&module.interfaces.outputs).map(|p| p.line).min().unwrap_or(1)
}

fn location(manifest: &Manifest, line: usize, column: usize, key: &str) -> Location {
    manifest.location(line.max(1), column.max(1), key)
}
