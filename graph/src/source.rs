//! `graph.toml`, the form people write a module's graph in. It sits beside
//! `torc.toml`; `torc build` checks it and compiles it to `.trc`.
//!
//! ```toml
//! # One table per node: a name, an operation, typed ports, a cost.
//! [[node]]
//! name = "setpoint"
//! op = "input"        # the module's input port `port` (defaults to the node's name)
//! port = "setpoint"
//! type = "Float<32>"  # its one output, `value`
//!
//! [[node]]
//! name = "measured"
//! op = "input"
//! type = "Float<32>"
//!
//! [[node]]
//! name = "err"
//! op = "sub"
//! type = "Float<32>"  # inputs `a`, `b` and output `value`, all Float<32>
//! cost = { stack = 16, heap = 0, wcet = 12, effects = [] }
//!
//! [[node]]
//! name = "mul"
//! op = "call"         # a call into a dependency, through its interface ports
//! module = "torc-math"
//! max-depth = 4       # optional: bounds a recursive cycle of calls through here
//! inputs = [{ name = "a", type = "Float<32>" }, { name = "b", type = "Float<32>" }]
//! outputs = [{ name = "product", type = "Float<32>" }]
//!
//! [[node]]
//! name = "gain"
//! op = "const"
//! value = 0.5         # a literal in contract syntax (a string, or a TOML number or boolean)
//! type = "Float<32>"
//!
//! [[node]]
//! name = "output"
//! op = "output"
//! type = "Float<32>"
//!
//! [[edge]]
//! from = "setpoint.value"   # node.port; a bare node name means its port `value`
//! to = "err.a"
//! # ...
//! ```
//!
//! **Operations**: `input`, `output`, `const`, `add`, `sub`, `mul`, `div`,
//! `neg`, `eq`, `ne`, `lt`, `le`, `gt`, `ge`, `and`, `or`, `not`, `abs`,
//! `min`, `max`, `clamp`, `select`, `call`.
//!
//! **Ports** are `inputs` and `outputs`, arrays of `{ name, type }` in
//! positional order. They may be left out (all but a call's) and then take
//! the conventional names, each of the node's `type`: binary operations
//! `a`, `b`; unary `x`; `clamp` `x`, `lo`, `hi`; `select` `cond` (Bool),
//! `then`, `else`; the output is `value` (`Bool` for comparisons). `and`,
//! `or` and `not` default to `Bool`. An `input` or `const` node has the
//! one output `value`, an `output` node the one input `value`.
//!
//! **Cost** (`cost = { stack, heap, wcet, effects }`): stack frame and heap
//! in bytes, WCET in cycles, effects as names. Each may be left out: an
//! omitted number is *unknown* (bounds become lower bounds), omitted
//! effects mean pure. `input` and `output` nodes run no code: their
//! omitted numbers count as zero.
//!
//! Every error names file, line, column and key. Parsing checks the form;
//! [`SourceGraph::validate`] then checks the graph ([`crate::validate`]).
//!
//! ```
//! use std::path::Path;
//! use torc_graph::source;
//!
//! let text = r#"
//! [[node]]
//! name = "x"
//! op = "input"
//! type = "Float<32>"
//!
//! [[node]]
//! name = "magnitude"
//! op = "abs"
//! type = "Float<32>"
//! cost = { stack = 8, wcet = 4 }
//!
//! [[node]]
//! name = "y"
//! op = "output"
//! type = "Float<32>"
//!
//! [[edge]]
//! from = "x"
//! to = "magnitude.x"
//!
//! [[edge]]
//! from = "magnitude.value"
//! to = "y.value"
//! "#;
//! let parsed = source::parse(Path::new("graph.toml"), text, "demo").unwrap();
//! parsed.validate().unwrap();
//! assert_eq!(parsed.graph.nodes.len(), 3);
//! assert_eq!(parsed.lines["magnitude"], 7);
//!
//! let bad = text.replace("op = \"abs\"", "op = \"absolute\"");
//! let err = source::parse(Path::new("graph.toml"), &bad, "demo").unwrap_err();
//! assert_eq!(err.to_string().lines().next().unwrap(),
//!     "graph.toml:9:6: node[1].op: unknown operation `absolute`; expected one of: input, output, const, \
//!      add, sub, mul, div, neg, eq, ne, lt, le, gt, ge, and, or, not, abs, min, max, clamp, select, call");
//! ```

use crate::error::GraphError;
use crate::lines::LineIndex;
use crate::model::{Cost, Edge, Endpoint, Graph, Node, NodePort, Op};
use crate::validate::{validate, Subject};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml_edit::{Document, Item, TableLike, Value};

/// The file name, beside `torc.toml`.
pub const GRAPH_TOML: &str = "graph.toml";

const OPS: [&str; 23] = [
    "input", "output", "const", "add", "sub", "mul", "div", "neg", "eq", "ne", "lt", "le", "gt", "ge", "and", "or",
    "not", "abs", "min", "max", "clamp", "select", "call",
];

/// A graph read from `graph.toml`, with where its parts were written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceGraph {
    pub graph: Graph,
    pub file: PathBuf,
    /// 1-based line of each node (its `[[node]]` header), by name.
    pub lines: BTreeMap<String, usize>,
    /// 1-based line of each edge, in `graph.edges` order.
    pub edge_lines: Vec<usize>,
}

impl SourceGraph {
    /// [`crate::validate::validate`], with each problem located: all of
    /// them, in its order (each node's own problems, then edges, then
    /// unconnected inputs, then a cycle), so the first is the likeliest cause.
    pub fn validate(&self) -> Result<(), Vec<GraphError>> {
        let Err(problems) = validate(&self.graph) else { return Ok(()) };
        let errors = problems
            .into_iter()
            .map(|p| {
                let (line, key) = match p.subject {
                    Subject::Graph => (1, String::new()),
                    Subject::Node(i) => (self.node_line(&self.graph.nodes[i].name), format!("node[{i}]")),
                    Subject::Edge(j) => (self.edge_lines.get(j).copied().unwrap_or(1), format!("edge[{j}]")),
                };
                GraphError { file: self.file.clone(), line, column: 1, key, message: p.message }
            })
            .collect();
        Err(errors)
    }

    /// The line of node `name` (1 when there is no such node).
    pub fn node_line(&self, name: &str) -> usize {
        self.lines.get(name).copied().unwrap_or(1)
    }

    /// An error about node `name`, at its line.
    pub fn node_error(&self, name: &str, message: impl Into<String>) -> GraphError {
        let index = self.graph.nodes.iter().position(|n| n.name == name);
        GraphError {
            file: self.file.clone(),
            line: self.node_line(name),
            column: 1,
            key: index.map(|i| format!("node[{i}]")).unwrap_or_default(),
            message: message.into(),
        }
    }
}

/// Parses the text of a `graph.toml` for module `module`. Checks the form
/// (keys, types, operations, names); [`SourceGraph::validate`] checks the
/// graph.
pub fn parse(file: &Path, text: &str, module: &str) -> Result<SourceGraph, GraphError> {
    let src = Src { file, text, lines: LineIndex::new(text) };
    let document =
        Document::parse(text).map_err(|e| src.error(e.span(), "", format!("invalid TOML: {}", e.message().trim())))?;
    let root = Table { src: &src, path: String::new(), table: document.as_table(), span: None };
    root.deny_unknown(&["node", "edge"])?;

    let mut nodes = Vec::new();
    let mut lines = BTreeMap::new();
    if let Some(list) = root.get("node") {
        for (i, table) in list.tables()?.into_iter().enumerate() {
            let (node, name_field) = node(&table)?;
            let line = table.line().unwrap_or_else(|| name_field.line());
            if let Some(first) = lines.insert(node.name.clone(), line) {
                return Err(name_field
                    .error(format!("node `{}` is defined twice: on line {first} and on line {line}", node.name)));
            }
            debug_assert_eq!(nodes.len(), i);
            nodes.push(node);
        }
    }
    let mut edges = Vec::new();
    let mut edge_lines = Vec::new();
    if let Some(list) = root.get("edge") {
        for table in list.tables()? {
            table.deny_unknown(&["from", "to"])?;
            let from = endpoint(&table.required("from")?)?;
            let to = endpoint(&table.required("to")?)?;
            edge_lines.push(table.line().unwrap_or(1));
            edges.push(Edge { from, to });
        }
    }
    Ok(SourceGraph {
        graph: Graph { module: module.to_owned(), nodes, edges },
        file: file.to_path_buf(),
        lines,
        edge_lines,
    })
}

fn node<'a>(table: &Table<'a>) -> Result<(Node, Field<'a>), GraphError> {
    const COMMON: [&str; 6] = ["name", "op", "type", "inputs", "outputs", "cost"];
    let name_field = table.required("name")?;
    let name = name_field.str()?;
    if !is_identifier(name) {
        return Err(name_field.error(format!(
            "invalid node name `{name}`: node names are letters, digits, `_` and `-`, not starting with a digit"
        )));
    }
    let op_field = table.required("op")?;
    let op_text = op_field.str()?;
    if !OPS.contains(&op_text) {
        return Err(op_field.error(format!("unknown operation `{op_text}`; expected one of: {}", OPS.join(", "))));
    }
    let extra: &[&str] = match op_text {
        "input" | "output" => &["port"],
        "const" => &["value"],
        "call" => &["module", "max-depth"],
        _ => &[],
    };
    let allowed: Vec<&str> = COMMON.iter().chain(extra).copied().collect();
    if let Some(f) = table.fields().find(|f| !allowed.contains(&f.key)) {
        let owner = match f.key {
            "port" => Some("input and output nodes"),
            "value" => Some("const nodes"),
            "module" | "max-depth" => Some("call nodes"),
            _ => None,
        };
        return Err(match owner {
            Some(owner) => f.key_error(format!("`{}` is only for {owner}, not for a `{op_text}` node", f.key)),
            None => f.key_error(format!(
                "unknown key `{}` in [{}]; expected one of: {}",
                f.key,
                table.path,
                allowed.join(", ")
            )),
        });
    }
    let op = match op_text {
        "input" | "output" => {
            let port = match table.get("port") {
                Some(f) => identifier(&f, "port")?,
                None => name.to_owned(),
            };
            if op_text == "input" {
                Op::Input { port }
            } else {
                Op::Output { port }
            }
        }
        "const" => Op::Const { value: table.required("value")?.literal()? },
        "call" => {
            let module_field = table.required("module")?;
            let module = module_field.str()?;
            if module.is_empty() {
                return Err(module_field.error("a call needs the name of a dependency module"));
            }
            let max_depth = match table.get("max-depth") {
                Some(f) => {
                    let depth = f.integer()?;
                    Some(
                        u32::try_from(depth)
                            .map_err(|_| f.error(format!("expected a depth from 0 to {}, found {depth}", u32::MAX)))?,
                    )
                }
                None => None,
            };
            Op::Call { module: module.to_owned(), max_depth }
        }
        "add" => Op::Add,
        "sub" => Op::Sub,
        "mul" => Op::Mul,
        "div" => Op::Div,
        "neg" => Op::Neg,
        "eq" => Op::Eq,
        "ne" => Op::Ne,
        "lt" => Op::Lt,
        "le" => Op::Le,
        "gt" => Op::Gt,
        "ge" => Op::Ge,
        "and" => Op::And,
        "or" => Op::Or,
        "not" => Op::Not,
        "abs" => Op::Abs,
        "min" => Op::Min,
        "max" => Op::Max,
        "clamp" => Op::Clamp,
        _ => Op::Select,
    };
    let ty = match table.get("type") {
        Some(f) => {
            let ty = f.str()?;
            if ty.trim().is_empty() {
                return Err(f.error("a type cannot be empty"));
            }
            Some(ty.to_owned())
        }
        None => None,
    };
    let explicit_in = table.get("inputs").map(|f| ports(&f)).transpose()?;
    let explicit_out = table.get("outputs").map(|f| ports(&f)).transpose()?;
    let (inputs, outputs) = match (explicit_in, explicit_out) {
        (Some(i), Some(o)) => (i, o),
        (i, o) => {
            let Some((default_in, default_out)) = default_ports(op_text, ty.as_deref()) else {
                let key = format!("{}.type", table.path);
                return Err(table.src.error(
                    table.span.clone(),
                    &key,
                    format!(
                        "missing `type` in [{}]: the type of the node's ports (or list `inputs` and `outputs`)",
                        table.path
                    ),
                ));
            };
            (i.unwrap_or(default_in), o.unwrap_or(default_out))
        }
    };
    let cost = match table.get("cost") {
        Some(f) => cost(&f)?,
        None => Cost::default(),
    };
    Ok((Node { name: name.to_owned(), op, inputs, outputs, cost }, name_field))
}

/// The conventional ports of `op` with values of type `ty`; `None` when
/// `ty` is needed but missing.
fn default_ports(op: &str, ty: Option<&str>) -> Option<(Vec<NodePort>, Vec<NodePort>)> {
    let port = |name: &str, ty: &str| NodePort { name: name.to_owned(), ty: ty.to_owned() };
    let names = |names: &[&str], ty: &str| names.iter().map(|n| port(n, ty)).collect::<Vec<_>>();
    if op == "call" {
        return Some((Vec::new(), Vec::new()));
    }
    let bool_default = matches!(op, "and" | "or" | "not");
    let ty = match ty {
        Some(ty) => ty,
        None if bool_default => "Bool",
        None => return None,
    };
    let value = vec![port("value", ty)];
    Some(match op {
        "input" | "const" => (Vec::new(), value),
        "output" => (value, Vec::new()),
        "neg" | "abs" | "not" => (names(&["x"], ty), value),
        "clamp" => (names(&["x", "lo", "hi"], ty), value),
        "select" => (vec![port("cond", "Bool"), port("then", ty), port("else", ty)], value),
        "eq" | "ne" | "lt" | "le" | "gt" | "ge" => (names(&["a", "b"], ty), vec![port("value", "Bool")]),
        _ => (names(&["a", "b"], ty), value),
    })
}

fn ports(field: &Field<'_>) -> Result<Vec<NodePort>, GraphError> {
    let mut ports = Vec::new();
    for table in field.tables()? {
        table.deny_unknown(&["name", "type"])?;
        let name = identifier(&table.required("name")?, "port")?;
        let ty_field = table.required("type")?;
        let ty = ty_field.str()?;
        if ty.trim().is_empty() {
            return Err(ty_field.error("a port type cannot be empty"));
        }
        ports.push(NodePort { name, ty: ty.to_owned() });
    }
    Ok(ports)
}

fn cost(field: &Field<'_>) -> Result<Cost, GraphError> {
    let table = field.table()?;
    table.deny_unknown(&["stack", "heap", "wcet", "effects"])?;
    let amount = |key: &str, unit: &str| -> Result<Option<u64>, GraphError> {
        let Some(f) = table.get(key) else { return Ok(None) };
        let n = f.integer()?;
        u64::try_from(n).map(Some).map_err(|_| f.error(format!("expected a number of {unit} (0 or more), found {n}")))
    };
    let mut effects = Vec::new();
    if let Some(f) = table.get("effects") {
        let Some(Value::Array(array)) = f.node.value() else { return Err(f.expected("an array of effect names")) };
        for (i, value) in array.iter().enumerate() {
            effects.push(identifier(&f.element(i, value), "effect")?);
        }
    }
    effects.sort();
    effects.dedup();
    Ok(Cost {
        stack: amount("stack", "bytes")?,
        heap: amount("heap", "bytes")?,
        effects,
        wcet: amount("wcet", "cycles")?,
    })
}

/// `node.port`, or `node` for its port `value`.
fn endpoint(field: &Field<'_>) -> Result<Endpoint, GraphError> {
    let text = field.str()?;
    let (node, port) = text.split_once('.').unwrap_or((text, "value"));
    if !is_identifier(node) || !is_identifier(port) {
        return Err(
            field.error(format!("`{text}` is not an endpoint: write `node.port` (or `node` for its port `value`)"))
        );
    }
    Ok(Endpoint { node: node.to_owned(), port: port.to_owned() })
}

fn identifier(field: &Field<'_>, what: &str) -> Result<String, GraphError> {
    let text = field.str()?;
    if !is_identifier(text) {
        return Err(field.error(format!(
            "invalid {what} name `{text}`: use letters, digits, `_` and `-`, not starting with a digit"
        )));
    }
    Ok(text.to_owned())
}

fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The text being read, for turning spans into locations.
struct Src<'a> {
    file: &'a Path,
    text: &'a str,
    /// Every node and edge records its line: one index, not a scan from
    /// the start of the text each time.
    lines: LineIndex,
}

impl Src<'_> {
    fn error(&self, span: Option<Range<usize>>, key: &str, message: impl Into<String>) -> GraphError {
        let (line, column) = span.map_or((1, 1), |s| self.line_col(s.start));
        GraphError { file: self.file.to_path_buf(), line, column, key: key.to_owned(), message: message.into() }
    }

    /// 1-based line and column (in characters) of byte `offset`.
    fn line_col(&self, offset: usize) -> (usize, usize) {
        self.lines.line_col(self.text, offset)
    }
}

/// A table item, or an array element (a bare `Value`).
#[derive(Clone, Copy)]
enum Slot<'a> {
    Item(&'a Item),
    Value(&'a Value),
}

impl<'a> Slot<'a> {
    fn value(self) -> Option<&'a Value> {
        match self {
            Slot::Item(Item::Value(value)) | Slot::Value(value) => Some(value),
            Slot::Item(_) => None,
        }
    }

    fn span(self) -> Option<Range<usize>> {
        match self {
            Slot::Item(item) => item.span(),
            Slot::Value(value) => value.span(),
        }
    }

    fn type_name(self) -> &'static str {
        match self {
            Slot::Item(Item::None) => "nothing",
            Slot::Item(Item::Table(_)) => "a table",
            Slot::Item(Item::ArrayOfTables(_)) => "an array of tables",
            Slot::Item(Item::Value(value)) | Slot::Value(value) => match value {
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

/// A key (or array element) and its value, with its key path.
struct Field<'a> {
    src: &'a Src<'a>,
    key: &'a str,
    path: String,
    key_span: Option<Range<usize>>,
    node: Slot<'a>,
}

impl<'a> Field<'a> {
    fn error(&self, message: impl Into<String>) -> GraphError {
        self.src.error(self.node.span().or_else(|| self.key_span.clone()), &self.path, message)
    }

    fn key_error(&self, message: impl Into<String>) -> GraphError {
        self.src.error(self.key_span.clone().or_else(|| self.node.span()), &self.path, message)
    }

    fn line(&self) -> usize {
        self.key_span.clone().or_else(|| self.node.span()).map_or(1, |s| self.src.line_col(s.start).0)
    }

    fn expected(&self, what: &str) -> GraphError {
        self.error(format!("expected {what}, found {}", self.node.type_name()))
    }

    fn str(&self) -> Result<&'a str, GraphError> {
        self.node.value().and_then(Value::as_str).ok_or_else(|| self.expected("a string"))
    }

    fn integer(&self) -> Result<i64, GraphError> {
        self.node.value().and_then(Value::as_integer).ok_or_else(|| self.expected("an integer"))
    }

    /// A constant: a string's content, or a number or boolean as written.
    fn literal(&self) -> Result<String, GraphError> {
        match self.node.value() {
            Some(Value::String(s)) => Ok(s.value().clone()),
            Some(v @ (Value::Integer(_) | Value::Float(_) | Value::Boolean(_))) => {
                let written = v.span().and_then(|s| self.src.text.get(s)).map(str::trim);
                Ok(written.map_or_else(|| v.to_string().trim().to_owned(), str::to_owned))
            }
            _ => Err(self.expected("a literal (a string, number or boolean)")),
        }
    }

    fn element(&self, index: usize, value: &'a Value) -> Field<'a> {
        Field {
            src: self.src,
            key: self.key,
            path: format!("{}[{index}]", self.path),
            key_span: value.span(),
            node: Slot::Value(value),
        }
    }

    fn table(&self) -> Result<Table<'a>, GraphError> {
        let table: &'a dyn TableLike = match self.node {
            Slot::Item(Item::Table(table)) => table,
            _ => match self.node.value() {
                Some(Value::InlineTable(table)) => table,
                _ => return Err(self.expected("a table")),
            },
        };
        Ok(Table { src: self.src, path: self.path.clone(), table, span: self.node.span().or(self.key_span.clone()) })
    }

    /// `[[key]]` tables, or an array of inline tables.
    fn tables(&self) -> Result<Vec<Table<'a>>, GraphError> {
        match self.node {
            Slot::Item(Item::ArrayOfTables(array)) => Ok(array
                .iter()
                .enumerate()
                .map(|(i, table)| Table {
                    src: self.src,
                    path: format!("{}[{i}]", self.path),
                    table,
                    span: table.span(),
                })
                .collect()),
            _ => {
                let Some(Value::Array(array)) = self.node.value() else {
                    return Err(self.expected("an array of tables"));
                };
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

/// A table being read, with its key path.
struct Table<'a> {
    src: &'a Src<'a>,
    path: String,
    table: &'a dyn TableLike,
    span: Option<Range<usize>>,
}

impl<'a> Table<'a> {
    fn field(&self, key: &'a str, item: &'a Item) -> Field<'a> {
        let path = if self.path.is_empty() { key.to_owned() } else { format!("{}.{key}", self.path) };
        Field { src: self.src, key, path, key_span: self.table.key(key).and_then(|k| k.span()), node: Slot::Item(item) }
    }

    fn fields(&self) -> impl Iterator<Item = Field<'a>> + '_ {
        let table: &'a dyn TableLike = self.table;
        table.iter().map(move |(key, item)| self.field(key, item))
    }

    fn get(&self, key: &str) -> Option<Field<'a>> {
        let table: &'a dyn TableLike = self.table;
        table.get_key_value(key).map(|(k, item)| self.field(k.get(), item))
    }

    fn required(&self, key: &str) -> Result<Field<'a>, GraphError> {
        self.get(key).ok_or_else(|| {
            let path = if self.path.is_empty() { key.to_owned() } else { format!("{}.{key}", self.path) };
            let place = if self.path.is_empty() { "the top level".to_owned() } else { format!("[{}]", self.path) };
            self.src.error(self.span.clone(), &path, format!("missing `{key}` in {place}"))
        })
    }

    fn deny_unknown(&self, allowed: &[&str]) -> Result<(), GraphError> {
        match self.fields().find(|f| !allowed.contains(&f.key)) {
            Some(f) => {
                let place =
                    if self.path.is_empty() { "at the top level".to_owned() } else { format!("in [{}]", self.path) };
                Err(f.key_error(format!("unknown key `{}` {place}; expected one of: {}", f.key, allowed.join(", "))))
            }
            None => Ok(()),
        }
    }

    fn line(&self) -> Option<usize> {
        self.span.clone().map(|s| self.src.line_col(s.start).0)
    }
}
