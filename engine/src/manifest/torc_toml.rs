//! `torc.toml` into a [`Manifest`]: a walk over toml_edit's span-carrying
//! document with a small reader that knows the key path it stands on, so
//! every error names file, line, column and key.

use super::quantity::{self, base_unit_name, is_identifier};
use super::{check_version, index_path, key_path, table_name, unknown_key_message};
use crate::error::{Error, Location, Result};
use crate::package::{
    validate_name, BaseUnit, Compatibility, DependencyDecl, Details, Effects, IntegrityLevel, Interfaces, Manifest,
    Connection, ConnectionSource, Metadata, ModuleDetails, PackageKind, Port, Predicate, RecordType, ResourceBounds, Safety, TrustPolicy, Waiver,
};
use crate::package::{Budgets, PlatformDetails, ProofDetails, Relation};
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use toml_edit::{Document, Item, TableLike, Value};
use torc_graph::lines::LineIndex;
use torc_solver::semver::VersionReq;

/// The kind sections, by the key that opens them.
const KINDS: [(&str, PackageKind); 3] =
    [("module", PackageKind::Module), ("platform", PackageKind::Platform), ("proof-library", PackageKind::Proof)];

const TOP_LEVEL: &[&str] = &["module", "platform", "proof-library", "dependencies", "dev-dependencies", "trust"];
const METADATA: &[&str] =
    &["name", "version", "description", "authors", "license", "repository", "homepage", "keywords", "categories"];
const MODULE_SECTIONS: &[&str] =
    &["safety", "compatibility", "interfaces", "resource-bounds", "types", "predicates", "connections", "waivers"];

const INTEGRITY_LEVELS: &str =
    "QM, ASIL-A, ASIL-B, ASIL-C, ASIL-D, SIL-1, SIL-2, SIL-3, SIL-4, DAL-A, DAL-B, DAL-C, DAL-D, DAL-E";

/// Parses the text of a `torc.toml`; `file` is recorded in the manifest and
/// in every error.
pub fn parse_torc_toml(file: &Path, text: &str) -> Result<Manifest> {
    let source = Source { file, text, lines: LineIndex::new(text) };
    let document = Document::parse(text).map_err(|e| {
        let mut message = e.message().trim().to_owned();
        // toml_edit names the duplicate key by its span only.
        if let Some(key) = e.span().and_then(|span| text.get(span)).filter(|_| message == "duplicate key") {
            message = format!("duplicate key `{}`", quantity::shorten(key));
        }
        source.error(e.span(), "", format!("invalid TOML: {message}"))
    })?;
    let root = Reader { src: &source, path: String::new(), table: document.as_table(), span: None };
    root.deny_unknown(TOP_LEVEL)?;

    let mut kinds =
        root.fields().filter_map(|f| KINDS.iter().find(|(key, _)| *key == f.key).map(|&(_, kind)| (f, kind)));
    let Some((section, kind)) = kinds.next() else {
        return Err(source.error(
            None,
            "",
            "no kind section: a torc.toml needs exactly one of [module] (a graph module), [platform] (a platform model) or [proof-library] (a proof library)",
        ));
    };
    if let Some((second, _)) = kinds.next() {
        return Err(second.key_error(format!(
            "[{}] (line {}) and [{}] both describe this package; a torc.toml has exactly one kind section",
            section.key,
            section.line(),
            second.key
        )));
    }

    let table = section.table()?;
    let mut allowed = METADATA.to_vec();
    if kind == PackageKind::Module {
        allowed.extend_from_slice(MODULE_SECTIONS);
    }
    if kind == PackageKind::Platform {
        allowed.push("budgets");
    }
    if kind == PackageKind::Proof {
        allowed.push("lemmas");
    }
    table.deny_unknown(&allowed)?;
    let name_field = table.required("name")?;
    let name = name_field.str()?;
    validate_name(name).map_err(|message| name_field.error(message))?;
    let version_field = table.required("version")?;
    let version = check_version(version_field.str()?).map_err(|message| version_field.error(message))?;
    let metadata = metadata(&table)?;
    let details = match kind {
        PackageKind::Module => Details::Module(module_details(&table)?),
        PackageKind::Platform => Details::Platform(PlatformDetails { budgets: table.optional("budgets", budgets)? }),
        // `KINDS` has no spec: spec packages are `spec.yaml`.
        PackageKind::Proof | PackageKind::Spec => Details::Proof(lemma_files(&table)?),
    };

    let mut dependencies = Vec::new();
    let mut trust = None;
    for field in root.fields() {
        match field.key {
            "dependencies" => dependencies.extend(dependency_table(&field, false)?),
            "dev-dependencies" => dependencies.extend(dependency_table(&field, true)?),
            "trust" => trust = Some(trust_policy(&field)?),
            _ => {}
        }
    }

    Ok(Manifest {
        file: file.to_path_buf(),
        kind,
        name: name.to_owned(),
        version,
        metadata,
        dependencies,
        details,
        trust,
        source: text.into(),
    })
}

fn metadata(table: &Reader<'_>) -> Result<Metadata> {
    Ok(Metadata {
        description: table.optional("description", Field::string)?,
        authors: table.optional("authors", Field::strings)?.unwrap_or_default(),
        license: table.optional("license", Field::string)?,
        repository: table.optional("repository", Field::string)?,
        homepage: table.optional("homepage", Field::string)?,
        keywords: table.optional("keywords", Field::strings)?.unwrap_or_default(),
        categories: table.optional("categories", Field::strings)?.unwrap_or_default(),
    })
}

fn module_details(module: &Reader<'_>) -> Result<ModuleDetails> {
    Ok(ModuleDetails {
        safety: module.optional("safety", safety)?,
        compatibility: module.optional("compatibility", compatibility)?,
        interfaces: module.optional("interfaces", interfaces)?.unwrap_or_default(),
        resource_bounds: module.optional("resource-bounds", resource_bounds)?,
        types: module.optional("types", record_types)?.unwrap_or_default(),
        predicates: module.optional("predicates", predicates)?.unwrap_or_default(),
        connections: module.optional("connections", connections)?.unwrap_or_default(),
        waivers: module.optional("waivers", waivers)?.unwrap_or_default(),
    })
}

/// `[[module.waivers]]`: `id`, `justification` and `approved-by`, all
/// required and non-empty. Whether the id names an obligation is checked
/// when the module is verified (an unused waiver is reported there).
fn waivers(field: &Field<'_>) -> Result<Vec<Waiver>> {
    let mut waivers: Vec<Waiver> = Vec::new();
    for table in field.tables()? {
        table.deny_unknown(&["id", "justification", "approved-by"])?;
        let id_field = table.required("id")?;
        let id = id_field.str()?;
        if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(id_field.error(format!(
                "`{}` is not an obligation id: expected 16 lowercase hex digits, as `torc verify` prints them",
                quantity::shorten(id)
            )));
        }
        if let Some(first) = waivers.iter().find(|w| w.id == id) {
            return Err(id_field.error(format!("obligation `{id}` is already waived (line {})", first.line)));
        }
        let text = |key: &str| -> Result<String> {
            let f = table.required(key)?;
            let text = f.str()?;
            if text.trim().is_empty() {
                return Err(f.error(format!("`{key}` must not be empty")));
            }
            Ok(text.to_owned())
        };
        let justification = text("justification")?;
        let approved_by = text("approved-by")?;
        waivers.push(Waiver { id: id.to_owned(), justification, approved_by, line: table.line() });
    }
    Ok(waivers)
}

/// `[[module.connections]]`: `from` or `value`, and `to`. Endpoints are
/// checked against the interfaces when the tree is verified; here only
/// their shape.
fn connections(field: &Field<'_>) -> Result<Vec<Connection>> {
    let mut connections = Vec::new();
    for wire in field.tables()? {
        wire.deny_unknown(&["from", "value", "to"])?;
        let endpoint = |f: &Field<'_>| -> Result<String> {
            let text = f.str()?;
            let valid = !text.is_empty()
                && text.split('.').all(|segment| {
                    !segment.is_empty() && segment.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                });
            if !valid {
                return Err(f.error(format!(
                    "`{}` is not an endpoint: write `port`, `port.field`, `dependency.port` or `dependency.port.field`",
                    quantity::shorten(text)
                )));
            }
            Ok(text.to_owned())
        };
        let source = match (wire.get("from"), wire.get("value")) {
            (Some(from), None) => ConnectionSource::Port(endpoint(&from)?),
            (None, Some(value)) => ConnectionSource::Constant(value.string()?),
            (Some(_), Some(value)) => {
                return Err(value.key_error("a connection has either `from` or `value`, not both"))
            }
            (None, None) => {
                let key = key_path(&wire.path, "from");
                return Err(wire.src.error(wire.span.clone(), &key, "a connection needs `from` (a port) or `value` (a constant)"));
            }
        };
        let to = endpoint(&wire.required("to")?)?;
        connections.push(Connection { source, to, line: wire.line() });
    }
    Ok(connections)
}

fn safety(field: &Field<'_>) -> Result<Safety> {
    let table = field.table()?;
    table.deny_unknown(&["max-integrity-level", "verification-coverage"])?;
    let max_integrity_level = table.optional("max-integrity-level", |f| {
        let text = f.str()?;
        IntegrityLevel::parse(text).ok_or_else(|| {
            f.error(format!(
                "unknown integrity level `{}`; expected one of: {INTEGRITY_LEVELS}",
                quantity::shorten(text)
            ))
        })
    })?;
    let verification_coverage = table.optional("verification-coverage", |f| {
        let value = f.integer()?;
        u8::try_from(value)
            .ok()
            .filter(|v| *v <= 100)
            .ok_or_else(|| f.error(format!("expected a percentage from 0 to 100, found {value}")))
    })?;
    Ok(Safety { max_integrity_level, verification_coverage })
}

fn compatibility(field: &Field<'_>) -> Result<Compatibility> {
    let table = field.table()?;
    table.deny_unknown(&["torc-edition", "min-toolchain"])?;
    let torc_edition = table
        .optional("torc-edition", |f| quantity::parse_edition_req(f.str()?).map_err(|message| f.error(message)))?;
    let min_toolchain =
        table.optional("min-toolchain", |f| check_version(f.str()?).map_err(|message| f.error(message)))?;
    Ok(Compatibility { torc_edition, min_toolchain })
}

fn interfaces(field: &Field<'_>) -> Result<Interfaces> {
    let table = field.table()?;
    table.deny_unknown(&["inputs", "outputs"])?;
    // Port names are one namespace across inputs and outputs.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut ports = |key: &str, input: bool| -> Result<Vec<Port>> {
        let Some(list) = table.get(key) else { return Ok(Vec::new()) };
        let mut ports = Vec::new();
        for port in list.tables()? {
            let allowed: &[&str] =
                if input { &["name", "type", "contract", "default"] } else { &["name", "type", "contract"] };
            port.deny_unknown(allowed)?;
            let name_field = port.required("name")?;
            let name = name_field.str()?;
            if !is_identifier(name) {
                return Err(name_field.error(format!(
                    "invalid port name `{}`: port names are identifiers (letters, digits and `_`, not starting with a digit)",
                    quantity::shorten(name)
                )));
            }
            let line = port.line();
            if let Some(first) = seen.insert(name.to_owned(), line) {
                return Err(
                    name_field.error(format!("port `{name}` is declared twice: on line {first} and on line {line}"))
                );
            }
            let ty_field = port.required("type")?;
            let ty = ty_field.str()?;
            if ty.trim().is_empty() {
                return Err(ty_field.error("a port type cannot be empty"));
            }
            let contract = match port.get("contract") {
                Some(f) if f.str()?.trim().is_empty() => {
                    return Err(f.error("an empty contract; leave `contract` out (it defaults to \"true\")"))
                }
                Some(f) => f.string()?,
                None => "true".to_owned(),
            };
            let default = port.optional("default", Field::string)?;
            ports.push(Port { name: name.to_owned(), ty: ty.to_owned(), contract, default, line });
        }
        Ok(ports)
    };
    let inputs = ports("inputs", true)?;
    let outputs = ports("outputs", false)?;
    Ok(Interfaces { inputs, outputs })
}

fn resource_bounds(field: &Field<'_>) -> Result<ResourceBounds> {
    let table = field.table()?;
    table.deny_unknown(&["stack", "heap", "wcet", "effects"])?;
    let quantity = |key: &str, unit: BaseUnit| {
        table.optional(key, |f| {
            let q = quantity::parse_quantity(f.str()?).map_err(|message| f.error(message))?;
            if q.unit != unit {
                return Err(f.error(format!(
                    "`{key}` is measured in {}, not {}",
                    base_unit_name(unit),
                    base_unit_name(q.unit)
                )));
            }
            Ok(q)
        })
    };
    Ok(ResourceBounds {
        stack: quantity("stack", BaseUnit::Bytes)?,
        heap: quantity("heap", BaseUnit::Bytes)?,
        wcet: quantity("wcet", BaseUnit::Cycles)?,
        effects: table.optional("effects", effects)?,
    })
}

fn effects(field: &Field<'_>) -> Result<Effects> {
    if let Some(Value::Array(array)) = field.node.value() {
        let mut names = Vec::new();
        for (i, element) in array.iter().enumerate() {
            names.push(field.element(i, element).str()?);
        }
        let set = quantity::effects_from_names(names).map_err(|message| field.error(message))?;
        return Ok(Effects(set));
    }
    let text = field.str_or("a string (\"pure\", \"io, alloc\") or an array of strings")?;
    quantity::parse_effects(text).map(Effects).map_err(|message| field.error(message))
}

fn record_types(field: &Field<'_>) -> Result<Vec<RecordType>> {
    let table = field.table()?;
    let mut types = Vec::new();
    for ty in table.fields() {
        let mut chars = ty.key.chars();
        let valid = matches!(chars.next(), Some(c) if c.is_ascii_uppercase()) && is_identifier(ty.key);
        if !valid {
            return Err(ty.key_error(format!(
                "invalid type name `{}`: type names start with an uppercase letter and go on with letters, digits and `_`",
                quantity::shorten(ty.key)
            )));
        }
        let mut fields = Vec::new();
        for f in ty.table()?.fields() {
            if !is_identifier(f.key) {
                return Err(f.key_error(format!(
                    "invalid field name `{}`: field names are identifiers (letters, digits and `_`)",
                    quantity::shorten(f.key)
                )));
            }
            fields.push((f.key.to_owned(), f.string()?));
        }
        types.push(RecordType { name: ty.key.to_owned(), fields, line: ty.line() });
    }
    Ok(types)
}

fn predicates(field: &Field<'_>) -> Result<Vec<Predicate>> {
    let table = field.table()?;
    let mut predicates = Vec::new();
    for p in table.fields() {
        if !is_identifier(p.key) {
            return Err(p.key_error(format!(
                "invalid predicate name `{}`: predicate names are identifiers (letters, digits and `_`)",
                quantity::shorten(p.key)
            )));
        }
        let body = p.string()?;
        if body.trim().is_empty() {
            return Err(p.error("a predicate body cannot be empty"));
        }
        predicates.push(Predicate { name: p.key.to_owned(), body, line: p.line() });
    }
    Ok(predicates)
}

fn dependency_table(field: &Field<'_>, dev: bool) -> Result<Vec<DependencyDecl>> {
    let table = field.table()?;
    let mut dependencies = Vec::new();
    for dep in table.fields() {
        validate_name(dep.key).map_err(|message| dep.key_error(message))?;
        let (name, line) = (dep.key, dep.line());
        let requirement_field = match dep.node.table_like() {
            Some(_) => {
                let detail = dep.table()?;
                detail.deny_unknown(&["version"])?;
                detail.required("version")?
            }
            None => dep,
        };
        let text = requirement_field.str_or("a requirement string (\">=0.3.0, <1.0.0\") or a table with `version`")?;
        let requirement = VersionReq::parse(text).map_err(|e| {
            requirement_field.error_in_string(e.column, format!("invalid requirement `{}`: {}", e.input, e.message))
        })?;
        dependencies.push(DependencyDecl { name: name.to_owned(), requirement, dev, line });
    }
    Ok(dependencies)
}

fn trust_policy(field: &Field<'_>) -> Result<TrustPolicy> {
    let table = field.table()?;
    table.deny_unknown(&["required-signatures", "reject-unsigned", "reject-yanked", "allow-axioms"])?;
    Ok(TrustPolicy {
        required_signatures: table.optional("required-signatures", Field::strings)?.unwrap_or_default(),
        reject_unsigned: table.optional("reject-unsigned", Field::bool)?.unwrap_or(false),
        reject_yanked: table.optional("reject-yanked", Field::bool)?.unwrap_or(false),
        allow_axioms: table.optional("allow-axioms", Field::bool)?,
        line: field.line(),
    })
}

/// `lemmas = ["lemmas/arith.lemma"]` of a `[proof-library]`: relative
/// paths inside the package, at least one, each once; with the position of
/// each in the manifest.
fn lemma_files(table: &Reader<'_>) -> Result<ProofDetails> {
    let field = table.required("lemmas")?;
    let Some(Value::Array(array)) = field.node.value() else { return Err(field.expected("an array of lemma file paths")) };
    if array.is_empty() {
        return Err(field.error("a proof library needs at least one lemma file: lemmas = [\"lemmas/arith.lemma\"]"));
    }
    let mut files: Vec<String> = Vec::new();
    let mut positions = Vec::new();
    for (i, value) in array.iter().enumerate() {
        let element = field.element(i, value);
        let path = element.str()?;
        let inside = !path.is_empty()
            && !path.starts_with('/')
            && !path.contains('\\')
            && path.split('/').all(|segment| !segment.is_empty() && segment != "." && segment != "..");
        if !inside {
            return Err(element.error(format!(
                "`{}` is not a path inside the package: write a relative path like \"lemmas/arith.lemma\"",
                quantity::shorten(path)
            )));
        }
        if files.iter().any(|f| f == path) {
            return Err(element.error(format!("lemma file `{}` is listed twice", quantity::shorten(path))));
        }
        files.push(path.to_owned());
        positions.push(field.src.position(value.span()));
    }
    Ok(ProofDetails { lemmas: files, positions })
}

/// `[platform.budgets]`: amounts normalised to bytes, Hz and µs.
/// `stack`, `heap` and `word-size` are required; absent `effects` and
/// `float-widths` mean none; `period` needs `clock`.
fn budgets(field: &Field<'_>) -> Result<Budgets> {
    let table = field.table()?;
    table.deny_unknown(&["stack", "heap", "effects", "word-size", "float-widths", "clock", "period"])?;
    let bytes = |key: &str| -> Result<u64> {
        let f = table.required(key)?;
        let q = quantity::parse_quantity(f.str()?).map_err(|message| f.error(message))?;
        if q.unit != BaseUnit::Bytes {
            return Err(f.error(format!("`{key}` is measured in bytes, not {}", base_unit_name(q.unit))));
        }
        if q.relation == Relation::AtMost {
            return Err(f.error(format!("a budget is an amount: write `{key} = \"{} bytes\"` without `<=`", q.amount)));
        }
        Ok(q.amount)
    };
    let (stack, heap) = (bytes("stack")?, bytes("heap")?);
    let word_size_field = table.required("word-size")?;
    let word_size = match word_size_field.integer()? {
        w @ (8 | 16 | 32 | 64) => w as u32,
        other => return Err(word_size_field.error(format!("a word size is 8, 16, 32 or 64 bits, not {other}"))),
    };
    let float_widths = table
        .optional("float-widths", |f| {
            let Some(Value::Array(array)) = f.node.value() else { return Err(f.expected("an array of bit widths ([32, 64])")) };
            let mut widths = std::collections::BTreeSet::new();
            for (i, value) in array.iter().enumerate() {
                let element = f.element(i, value);
                let width = element.integer()?;
                if width != 32 && width != 64 {
                    return Err(element.error(format!("supported float widths are 32 and 64, not {width}")));
                }
                if !widths.insert(width as u32) {
                    return Err(element.error(format!("float width {width} is listed twice")));
                }
            }
            Ok(widths)
        })?
        .unwrap_or_default();
    let clock_hz = table.optional("clock", |f| {
        let units = [("Hz", 1), ("kHz", 1_000), ("MHz", 1_000_000), ("GHz", 1_000_000_000)];
        amount_in(f.str()?, &units, "a clock such as \"168 MHz\"").map_err(|message| f.error(message))
    })?;
    let period_us = table.optional("period", |f| {
        let units = [("us", 1), ("µs", 1), ("ms", 1_000), ("s", 1_000_000)];
        let period = amount_in(f.str()?, &units, "a period such as \"1 ms\"").map_err(|message| f.error(message))?;
        if clock_hz.is_none() {
            return Err(f.error("`period` needs `clock` to turn cycles into time"));
        }
        Ok(period)
    })?;
    Ok(Budgets {
        stack,
        heap,
        effects: table.optional("effects", effects)?.map(|e| e.0).unwrap_or_default(),
        word_size,
        float_widths,
        clock_hz,
        period_us,
        line: field.line(),
    })
}

/// A positive whole amount and one of `units` (name, factor), normalised.
fn amount_in(text: &str, units: &[(&str, u64)], expected: &str) -> std::result::Result<u64, String> {
    let trimmed = text.trim();
    let digits = trimmed.find(|c: char| !c.is_ascii_digit()).unwrap_or(trimmed.len());
    let unit_text = trimmed[digits..].trim();
    let names = units.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(", ");
    if digits == 0 {
        return Err(format!("expected {expected}, found `{}`", quantity::shorten(trimmed)));
    }
    if unit_text.starts_with(['.', ',', '_']) {
        return Err(format!("`{}`: amounts are whole numbers (use a smaller unit)", quantity::shorten(trimmed)));
    }
    let Some(&(_, factor)) = units.iter().find(|(name, _)| *name == unit_text) else {
        return Err(format!("unknown or missing unit in `{}`; expected one of: {names}", quantity::shorten(trimmed)));
    };
    let too_large = || format!("`{}` is too large", quantity::shorten(trimmed));
    let amount: u64 = trimmed[..digits].parse().map_err(|_| too_large())?;
    let amount = amount.checked_mul(factor).ok_or_else(too_large)?;
    if amount == 0 {
        return Err(format!("`{}` must be more than zero", quantity::shorten(trimmed)));
    }
    Ok(amount)
}

/// The text being read, for turning spans into locations.
struct Source<'a> {
    file: &'a Path,
    text: &'a str,
    /// Every dependency, predicate and waiver records its line: one index,
    /// not a scan from the start of the text each time (which made 100,000
    /// dependencies take a minute).
    lines: LineIndex,
}

impl Source<'_> {
    fn position(&self, span: Option<Range<usize>>) -> (usize, usize) {
        span.map_or((1, 1), |span| self.lines.line_col(self.text, span.start))
    }

    fn error(&self, span: Option<Range<usize>>, key: &str, message: impl Into<String>) -> Error {
        let (line, column) = self.position(span);
        Error::input(Location::in_text(self.file, self.text, line, column, key), message)
    }
}

/// A place in the document that holds a value: an item of a table, or an
/// element of an array (which toml_edit keeps as a bare `Value`).
#[derive(Clone, Copy)]
enum Node<'a> {
    Item(&'a Item),
    Value(&'a Value),
}

impl<'a> Node<'a> {
    fn value(self) -> Option<&'a Value> {
        match self {
            Node::Item(Item::Value(value)) | Node::Value(value) => Some(value),
            Node::Item(_) => None,
        }
    }

    fn span(self) -> Option<Range<usize>> {
        match self {
            Node::Item(item) => item.span(),
            Node::Value(value) => value.span(),
        }
    }

    fn table_like(self) -> Option<&'a dyn TableLike> {
        match self {
            Node::Item(Item::Table(table)) => Some(table),
            _ => match self.value() {
                Some(Value::InlineTable(table)) => Some(table),
                _ => None,
            },
        }
    }

    fn type_name(self) -> &'static str {
        match self {
            Node::Item(Item::None) => "nothing",
            Node::Item(Item::Table(_)) => "a table",
            Node::Item(Item::ArrayOfTables(_)) => "an array of tables",
            Node::Item(Item::Value(value)) | Node::Value(value) => match value {
                Value::String(_) => "a string",
                Value::Integer(_) => "an integer",
                Value::Float(_) => "a float",
                Value::Boolean(_) => "a boolean",
                Value::Datetime(_) => "a date-time",
                Value::Array(_) => "an array",
                Value::InlineTable(_) => "an inline table",
            },
        }
    }
}

/// One key (or array element) and its value, with the key path to it.
struct Field<'a> {
    src: &'a Source<'a>,
    /// The key as written in its table; for an array element, the array's key.
    key: &'a str,
    path: String,
    key_span: Option<Range<usize>>,
    node: Node<'a>,
}

impl<'a> Field<'a> {
    /// An error about the value, pointing at it.
    fn error(&self, message: impl Into<String>) -> Error {
        self.src.error(self.node.span().or_else(|| self.key_span.clone()), &self.path, message)
    }

    /// An error about the key itself (its name), pointing at the key.
    fn key_error(&self, message: impl Into<String>) -> Error {
        self.src.error(self.key_span.clone().or_else(|| self.node.span()), &self.path, message)
    }

    /// An error at 1-based character `column` inside this string value.
    /// When the string is written with escapes or over several lines, the
    /// characters do not line up with the text, and the error points at the
    /// start of the string instead.
    fn error_in_string(&self, column: usize, message: impl Into<String>) -> Error {
        let Some(span) = self.node.span() else { return self.error(message) };
        let raw = self.src.text.get(span.clone()).unwrap_or("");
        let value = self.node.value().and_then(Value::as_str).unwrap_or("");
        let plain = ["\"", "'"].iter().any(|q| {
            !raw.starts_with(&format!("{q}{q}{q}"))
                && raw.strip_prefix(q).and_then(|r| r.strip_suffix(q)) == Some(value)
        });
        let (line, start) = self.src.position(Some(span.clone()));
        let column = if plain { start + column.max(1) } else { start };
        Error::input(Location::in_text(self.src.file, self.src.text, line, column, &self.path), message)
    }

    /// 1-based line of the key (of the `[table]` header for a table).
    fn line(&self) -> usize {
        self.src.position(self.key_span.clone().or_else(|| self.node.span())).0
    }

    fn expected(&self, what: &str) -> Error {
        self.error(format!("expected {what}, found {}", self.node.type_name()))
    }

    fn str(&self) -> Result<&'a str> {
        self.str_or("a string")
    }

    fn str_or(&self, what: &str) -> Result<&'a str> {
        self.node.value().and_then(Value::as_str).ok_or_else(|| self.expected(what))
    }

    fn string(&self) -> Result<String> {
        self.str().map(str::to_owned)
    }

    fn bool(&self) -> Result<bool> {
        self.node.value().and_then(Value::as_bool).ok_or_else(|| self.expected("a boolean (true or false)"))
    }

    fn integer(&self) -> Result<i64> {
        self.node.value().and_then(Value::as_integer).ok_or_else(|| self.expected("an integer"))
    }

    fn element(&self, index: usize, value: &'a Value) -> Field<'a> {
        Field {
            src: self.src,
            key: self.key,
            path: index_path(&self.path, index),
            key_span: value.span(),
            node: Node::Value(value),
        }
    }

    fn strings(&self) -> Result<Vec<String>> {
        let Some(Value::Array(array)) = self.node.value() else { return Err(self.expected("an array of strings")) };
        array.iter().enumerate().map(|(i, value)| self.element(i, value).string()).collect()
    }

    fn table(&self) -> Result<Reader<'a>> {
        let table = self.node.table_like().ok_or_else(|| self.expected("a table"))?;
        Ok(Reader {
            src: self.src,
            path: self.path.clone(),
            table,
            span: self.node.span().or_else(|| self.key_span.clone()),
        })
    }

    /// An array of inline tables, or an array of tables (`[[a.b]]`).
    fn tables(&self) -> Result<Vec<Reader<'a>>> {
        let what = "an array of tables (`[{ name = \"x\", type = \"T\" }]`)";
        match self.node {
            Node::Item(Item::ArrayOfTables(array)) => Ok(array
                .iter()
                .enumerate()
                .map(|(i, table)| Reader { src: self.src, path: index_path(&self.path, i), table, span: table.span() })
                .collect()),
            _ => {
                let Some(Value::Array(array)) = self.node.value() else { return Err(self.expected(what)) };
                array
                    .iter()
                    .enumerate()
                    .map(|(i, value)| {
                        let element = self.element(i, value);
                        match value {
                            Value::InlineTable(_) => element.table(),
                            _ => Err(element.expected("an inline table")),
                        }
                    })
                    .collect()
            }
        }
    }
}

/// A table (or inline table) being read, with its key path.
struct Reader<'a> {
    src: &'a Source<'a>,
    /// Dotted path of the table; empty for the root.
    path: String,
    table: &'a dyn TableLike,
    /// The header (`[module.safety]`) or the inline table; `None` for the
    /// root and for tables only implied by their subtables.
    span: Option<Range<usize>>,
}

impl<'a> Reader<'a> {
    fn field(&self, key: &'a str, item: &'a Item) -> Field<'a> {
        Field {
            src: self.src,
            key,
            path: key_path(&self.path, key),
            key_span: self.table.key(key).and_then(|k| k.span()),
            node: Node::Item(item),
        }
    }

    /// The fields in document order.
    fn fields(&self) -> impl Iterator<Item = Field<'a>> + '_ {
        let table: &'a dyn TableLike = self.table;
        table.iter().map(move |(key, item)| self.field(key, item))
    }

    fn get(&self, key: &str) -> Option<Field<'a>> {
        let table: &'a dyn TableLike = self.table;
        table.get_key_value(key).map(|(k, item)| self.field(k.get(), item))
    }

    fn required(&self, key: &str) -> Result<Field<'a>> {
        self.get(key).ok_or_else(|| {
            self.src.error(
                self.span.clone(),
                &key_path(&self.path, key),
                format!("missing `{key}` in {}", table_name(&self.path)),
            )
        })
    }

    fn optional<T>(&self, key: &str, read: impl FnOnce(&Field<'a>) -> Result<T>) -> Result<Option<T>> {
        self.get(key).map(|field| read(&field)).transpose()
    }

    fn deny_unknown(&self, allowed: &[&str]) -> Result<()> {
        match self.fields().find(|f| !allowed.contains(&f.key)) {
            Some(f) => {
                let what = match f.node {
                    Node::Item(Item::Table(_) | Item::ArrayOfTables(_)) => format!("table `[{}]`", f.path),
                    _ => format!("key `{}`", quantity::shorten(f.key)),
                };
                let place = if self.path.is_empty() {
                    "at the top level".to_owned()
                } else {
                    format!("in {}", table_name(&self.path))
                };
                Err(f.key_error(unknown_key_message(&what, &place, allowed)))
            }
            None => Ok(()),
        }
    }

    /// 1-based line of the table's header (or inline table).
    fn line(&self) -> usize {
        self.src.position(self.span.clone()).0
    }
}
