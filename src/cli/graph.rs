//! `torc build` (graph.toml -> `target/torc/<module>.trc`) and `torc graph
//! show` (a `.trc` back as text, JSON or Graphviz DOT).

use super::report;
use clap::{Args, Subcommand, ValueEnum};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use torc_engine::error::Location;
use torc_engine::package::{Details, Manifest};
use torc_engine::project::Project;
use torc_engine::Error;
use torc_graph::model::{Graph, Node, Op};
use torc_graph::source::{self, SourceGraph, GRAPH_TOML};
use torc_graph::{trc, GraphError};

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The package: its manifest, or the directory holding it.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(subcommand)]
    pub command: GraphCommand,
}

#[derive(Debug, Subcommand)]
pub enum GraphCommand {
    /// Print a compiled module (.trc): its nodes in canonical order, ports, costs and edges.
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The .trc file.
    pub file: PathBuf,
    #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
    pub format: ShowFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    Text,
    Json,
    /// Graphviz.
    Dot,
}

/// Where `torc build` writes a module, relative to its package directory.
pub fn trc_path(dir: &Path, module: &str) -> PathBuf {
    dir.join("target").join("torc").join(format!("{}.trc", module.replace('/', "__")))
}

pub fn build(args: &BuildArgs) -> ExitCode {
    match build_package(args.manifest_path.as_deref()) {
        Ok((manifest, path, hash)) => {
            println!("Built {} v{}: {}, blake3 {hash}", manifest.name, manifest.version, path.display());
            ExitCode::SUCCESS
        }
        Err(e) => report::fail(&e),
    }
}

/// Reads, checks and compiles the package's graph; returns the manifest,
/// the path written (relative to the package when it can be) and the hash.
fn build_package(manifest_path: Option<&Path>) -> Result<(Manifest, PathBuf, String), Error> {
    let project = Project::open(manifest_path)?;
    let manifest = project.manifest;
    let Details::Module(_) = &manifest.details else {
        return Err(Error::input(
            manifest.location(1, 1, ""),
            format!(
                "{} is a {} package; only a graph module ([module]) has a graph to build",
                manifest.name, manifest.kind
            ),
        ));
    };
    let file = project.dir.join(GRAPH_TOML);
    let text = torc_engine::fs::read_text(&file)?;
    // Errors point into the graph or the manifest; each keeps its line
    // from the text that was parsed.
    let excerpt = |e: Error| match e {
        Error::Input { location, message } => {
            let source = if location.file == file { text.as_str() } else { &manifest.source };
            Error::Input { location: location.with_excerpt_from(source), message }
        }
        other => other,
    };
    let parsed = source::parse(&file, &text, &manifest.name).map_err(|e| excerpt(input_error(e)))?;
    if let Err(errors) = parsed.validate() {
        return Err(excerpt(first_of(errors)));
    }
    check_against_manifest(&parsed, &manifest).map_err(excerpt)?;
    let bytes = trc::encode(&parsed.graph);
    let hash = trc::hash(&parsed.graph);
    let out = trc_path(&project.dir, &manifest.name);
    // `target/torc/` inside the project: a link planted there is refused.
    torc_engine::fs::write_within(&project.dir, &out, &bytes)?;
    let shown = out.strip_prefix(&project.dir).map(Path::to_path_buf).unwrap_or(out);
    Ok((manifest, shown, hash))
}

fn input_error(e: GraphError) -> Error {
    Error::input(Location::new(e.file, e.line, e.column, e.key), e.message)
}

/// The first error, noting how many more there are.
fn first_of(errors: Vec<GraphError>) -> Error {
    let more = errors.len() - 1;
    let mut first = errors.into_iter().next().expect("validation failed with at least one error");
    if more > 0 {
        first.message.push_str(&format!(" (and {more} more problem{})", if more == 1 { "" } else { "s" }));
    }
    input_error(first)
}

/// `input` and `output` nodes against the manifest's interface ports (names,
/// direction and types; every port has its node), `call` nodes against its
/// dependencies.
fn check_against_manifest(parsed: &SourceGraph, manifest: &Manifest) -> Result<(), Error> {
    let Details::Module(details) = &manifest.details else { return Ok(()) };
    let interfaces = &details.interfaces;
    let mut errors = Vec::new();
    let mut covered = std::collections::BTreeSet::new();
    for node in &parsed.graph.nodes {
        let (port, declared, direction, ty) = match &node.op {
            Op::Input { port } => (port, &interfaces.inputs, "input", node.outputs.first()),
            Op::Output { port } => (port, &interfaces.outputs, "output", node.inputs.first()),
            Op::Call { module, .. } => {
                if !manifest.normal_dependencies().any(|d| &d.name == module) {
                    let names: Vec<&str> = manifest.normal_dependencies().map(|d| d.name.as_str()).collect();
                    let known = if names.is_empty() { "none".to_owned() } else { names.join(", ") };
                    errors.push(parsed.node_error(
                        &node.name,
                        format!(
                            "node `{}` calls `{module}`, which is not a dependency in {} (dependencies: {known})",
                            node.name,
                            manifest.file.display()
                        ),
                    ));
                }
                continue;
            }
            _ => continue,
        };
        let Some(declared) = declared.iter().find(|p| &p.name == port) else {
            errors.push(parsed.node_error(
                &node.name,
                format!(
                    "node `{}` is the module's {direction} port `{port}`, but {} declares no {direction} port `{port}`",
                    node.name,
                    manifest.file.display()
                ),
            ));
            continue;
        };
        covered.insert((direction, port.as_str()));
        if let Some(ty) = ty.filter(|ty| ty.ty != declared.ty) {
            errors.push(parsed.node_error(
                &node.name,
                format!(
                    "node `{}` has type {} but {direction} port `{port}` is {} in {} (line {})",
                    node.name,
                    ty.ty,
                    declared.ty,
                    manifest.file.display(),
                    declared.line
                ),
            ));
        }
    }
    for (direction, ports) in [("input", &interfaces.inputs), ("output", &interfaces.outputs)] {
        for port in ports.iter().filter(|p| !covered.contains(&(direction, p.name.as_str()))) {
            errors.push(GraphError {
                file: parsed.file.clone(),
                line: 1,
                column: 1,
                key: String::new(),
                message: format!(
                    "{direction} port `{}` ({} line {}) has no `{direction}` node in the graph",
                    port.name,
                    manifest.file.display(),
                    port.line
                ),
            });
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(first_of(errors))
    }
}

pub fn graph(args: &GraphArgs) -> ExitCode {
    match &args.command {
        GraphCommand::Show(show_args) => show(show_args),
    }
}

fn show(args: &ShowArgs) -> ExitCode {
    let bytes = match std::fs::read(&args.file) {
        Ok(bytes) => bytes,
        Err(e) => return report::fail(&Error::io(&args.file, e)),
    };
    let graph = match trc::decode(&bytes) {
        Ok(graph) => trc::canonicalize(&graph),
        Err(e) => {
            eprintln!("error: {}: not a valid .trc module: {e}", args.file.display());
            return ExitCode::from(report::BAD_INPUT);
        }
    };
    match args.format {
        ShowFormat::Text => print!("{}", render_text(&graph, &trc::hash(&graph))),
        ShowFormat::Json => println!("{}", serde_json::to_string_pretty(&graph).expect("a graph serialises")),
        ShowFormat::Dot => print!("{}", render_dot(&graph)),
    }
    ExitCode::SUCCESS
}

fn op_text(op: &Op) -> String {
    match op {
        Op::Input { port } => format!("input {port}"),
        Op::Output { port } => format!("output {port}"),
        Op::Const { value } => format!("const {value}"),
        Op::Call { module, max_depth: Some(depth) } => format!("call {module} (max-depth {depth})"),
        Op::Call { module, max_depth: None } => format!("call {module}"),
        other => other.name().to_owned(),
    }
}

fn cost_text(node: &Node) -> String {
    let amount = |n: Option<u64>, unit: &str| n.map_or_else(|| "unknown".to_owned(), |n| format!("{n} {unit}"));
    let effects = if node.cost.effects.is_empty() { "pure".to_owned() } else { node.cost.effects.join(", ") };
    format!(
        "stack {}, heap {}, wcet {}, effects {effects}",
        amount(node.cost.stack, "bytes"),
        amount(node.cost.heap, "bytes"),
        amount(node.cost.wcet, "cycles")
    )
}

/// Nodes in canonical order with operation, ports and cost; then edges.
fn render_text(graph: &Graph, hash: &str) -> String {
    let mut out = format!("module {} (blake3 {hash})\n", graph.module);
    let ports = |ports: &[torc_graph::model::NodePort]| {
        ports.iter().map(|p| format!("{}: {}", p.name, p.ty)).collect::<Vec<_>>().join(", ")
    };
    let _ = writeln!(out, "{} nodes:", graph.nodes.len());
    for node in &graph.nodes {
        let _ = writeln!(
            out,
            "  {} = {}({}) -> ({})",
            node.name,
            op_text(&node.op),
            ports(&node.inputs),
            ports(&node.outputs)
        );
        let _ = writeln!(out, "      {}", cost_text(node));
    }
    let _ = writeln!(out, "{} edges:", graph.edges.len());
    for e in &graph.edges {
        let _ = writeln!(out, "  {}.{} -> {}.{}", e.from.node, e.from.port, e.to.node, e.to.port);
    }
    out
}

/// A Graphviz digraph: nodes labelled with their operation, edges with ports.
fn render_dot(graph: &Graph) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut out = format!("digraph {} {{\n  rankdir=LR;\n  node [shape=box];\n", quote(&graph.module));
    for node in &graph.nodes {
        let shape = match node.op {
            Op::Input { .. } | Op::Output { .. } => ", shape=ellipse",
            Op::Call { .. } => ", shape=box3d",
            _ => "",
        };
        let label = format!("{}\\n{}", node.name, op_text(&node.op));
        let _ = writeln!(out, "  {} [label={}{shape}];", quote(&node.name), quote(&label).replace("\\\\n", "\\n"));
    }
    for e in &graph.edges {
        let _ = writeln!(
            out,
            "  {} -> {} [label={}];",
            quote(&e.from.node),
            quote(&e.to.node),
            quote(&format!("{} -> {}", e.from.port, e.to.port))
        );
    }
    out.push_str("}\n");
    out
}
