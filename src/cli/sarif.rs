//! `torc verify --format sarif`: the report as a SARIF 2.1.0 log, in typed
//! structs (only the parts of the format Torc fills in).
//!
//! One result per problem (failed, undecided or refused obligations,
//! bounds exceeded or unconfirmed, budgets not met, a coverage claim not
//! met), and a note per proof that rests on an axiom; a waived obligation
//! is a result with an accepted suppression. Artifact URIs are relative to
//! `SRCROOT`, the project's directory (given in `originalUriBaseIds` as a
//! `file://` URI), or, for files read from a published archive
//! (`<registry>/<name>@<version>/graph.toml`), to `TORC_REGISTRY`, which
//! names no place on disk: those files live inside archives.

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use torc_engine::obligation::{AxiomReport, ObligationResult, SourceLocation, Status};
use torc_engine::project::Project;
use torc_engine::verify::{CoverageReport, Verification};
use torc_graph::bounds::DeclaredCheck;
use torc_graph::platform::Verdict;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The project's directory.
pub const SRCROOT: &str = "SRCROOT";
/// Files inside published archives.
pub const TORC_REGISTRY: &str = "TORC_REGISTRY";

#[derive(Clone, Debug, Serialize)]
pub struct Log {
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub version: &'static str,
    pub runs: Vec<Run>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub tool: Tool,
    pub original_uri_base_ids: BTreeMap<&'static str, ArtifactLocation>,
    pub results: Vec<SarifResult>,
    pub properties: RunProperties,
}

#[derive(Clone, Debug, Serialize)]
pub struct RunProperties {
    pub axioms: Vec<AxiomReport>,
    pub coverage: CoverageReport,
}

#[derive(Clone, Debug, Serialize)]
pub struct Tool {
    pub driver: ToolComponent,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolComponent {
    pub name: &'static str,
    pub version: &'static str,
    pub semantic_version: &'static str,
    pub information_uri: &'static str,
    pub rules: Vec<ReportingDescriptor>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportingDescriptor {
    pub id: &'static str,
    pub name: &'static str,
    pub short_description: Message,
    pub full_description: Message,
    pub help: Message,
    pub default_configuration: Configuration,
}

#[derive(Clone, Debug, Serialize)]
pub struct Configuration {
    pub level: Level,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Message {
    pub text: String,
}

impl Message {
    fn new(text: impl Into<String>) -> Message {
        Message { text: text.into() }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Note,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    pub rule_id: &'static str,
    pub rule_index: usize,
    pub level: Level,
    pub message: Message,
    pub locations: Vec<Location>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<Suppression>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<ResultProperties>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ResultProperties {
    pub axioms: Vec<torc_proofs::search::AxiomUse>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub physical_location: PhysicalLocation,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    pub artifact_location: ArtifactLocation,
    pub region: Region,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri_base_id: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Message>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    pub start_line: usize,
    pub start_column: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct Suppression {
    pub kind: &'static str,
    pub status: &'static str,
    pub justification: String,
}

/// The rules, in `rules` order; a result's `ruleIndex` is its position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    BoundaryContract,
    GraphObligation,
    DeclaredBound,
    PlatformBudget,
    AxiomTrusted,
    VerificationCoverage,
}

const RULES: [Rule; 6] = [
    Rule::BoundaryContract,
    Rule::GraphObligation,
    Rule::DeclaredBound,
    Rule::PlatformBudget,
    Rule::AxiomTrusted,
    Rule::VerificationCoverage,
];

impl Rule {
    fn id(self) -> &'static str {
        match self {
            Rule::BoundaryContract => "torc/boundary-contract",
            Rule::GraphObligation => "torc/graph-obligation",
            Rule::DeclaredBound => "torc/declared-bound",
            Rule::PlatformBudget => "torc/platform-budget",
            Rule::AxiomTrusted => "torc/axiom-trusted",
            Rule::VerificationCoverage => "torc/verification-coverage",
        }
    }

    fn index(self) -> usize {
        RULES.iter().position(|r| *r == self).expect("every rule is listed")
    }

    fn descriptor(self) -> ReportingDescriptor {
        let (name, short, full, help, level) = match self {
            Rule::BoundaryContract => (
                "BoundaryContract",
                "A wire's producer contract does not imply its consumer's.",
                "A wire in [[module.connections]] carries a value from a producer to a consumer; the obligation \
                 Post_producer => Pre_consumer, under the module's input contracts and each dependency's Pre => Post, \
                 is not proved: refuted (with a counterexample re-checked natively), undecided, or proved only by an axiom \
                 the project refuses.",
                "Narrow the producer's output contract, widen the consumer's input contract, or constrain the module's \
                 inputs so that every value the producer may yield is one the consumer accepts; the message names the \
                 counterexample.",
                Level::Error,
            ),
            Rule::GraphObligation => (
                "GraphObligation",
                "A proof obligation of a module's graph is not proved.",
                "Every call in a module's graph.toml must meet its callee's input contract, and every output must meet \
                 the module's output contract, given what the graph computes; this obligation was refuted, not decided \
                 by Z3 within the time limit, or proved only by an axiom the project refuses.",
                "Change the graph or the contracts so that the obligation holds; for an undecided one, raise \
                 `torc verify --timeout` or add a lemma library; a justified exception is a [[module.waivers]] entry \
                 with the obligation's id, which shows here as a suppression.",
                Level::Error,
            ),
            Rule::DeclaredBound => (
                "DeclaredBound",
                "A module's graph needs more than its declared resource bound.",
                "The stack, heap or WCET a module's graph needs, over every call path, exceeds the bound its \
                 [module.resource-bounds] declares, or cannot be confirmed (an unknown cost, recursion without a depth).",
                "Raise the declared bound, or reduce what the named path needs; give every call on a cycle a max-depth.",
                Level::Error,
            ),
            Rule::PlatformBudget => (
                "PlatformBudget",
                "The tree does not fit a platform budget.",
                "The resource bounds of the project with its whole dependency tree exceed a budget of the platform \
                 model given with --platform, or cannot be confirmed against it.",
                "Reduce the tree's demand (the worst path is named), or choose a platform with a larger budget.",
                Level::Error,
            ),
            Rule::AxiomTrusted => (
                "AxiomTrusted",
                "A proof obligation is proved through an axiom, trusted without a proof.",
                "The proof of this obligation rests on an axiom of a proof library: a statement taken without a proof. \
                 The project's trust policy allows it, but the obligation is not counted as verified.",
                "Replace the axiom by a proved lemma, or review the axiom's stated reason; [trust] allow-axioms = false \
                 makes such proofs failures.",
                Level::Note,
            ),
            Rule::VerificationCoverage => (
                "VerificationCoverage",
                "The module's declared verification-coverage is not met.",
                "The root module declares [module.safety] verification-coverage, the share of its tree's obligations \
                 proved without waivers or axioms; the run proved less, or there was nothing to verify.",
                "Prove the remaining obligations, or lower the declared claim.",
                Level::Error,
            ),
        };
        ReportingDescriptor {
            id: self.id(),
            name,
            short_description: Message::new(short),
            full_description: Message::new(full),
            help: Message::new(help),
            default_configuration: Configuration { level },
        }
    }
}

/// The run's artifacts, relative to the project's directory.
struct Artifacts<'a> {
    /// The project's directory as it was opened (report paths start with it).
    dir: &'a Path,
    /// The project's manifest as it was opened (`torc.toml` when the
    /// directory is `.`).
    manifest: &'a Path,
    /// The same, absolute: where `SRCROOT` points.
    root: PathBuf,
}

impl Artifacts<'_> {
    /// A project file relative to `SRCROOT`; a relative path outside the
    /// project is an archive member (`<registry>/<name>@<version>/...`),
    /// relative to `TORC_REGISTRY`; an absolute one elsewhere (a platform
    /// given by path) is reached from `SRCROOT` with `..`.
    fn location(&self, at: &SourceLocation) -> Vec<Location> {
        let (uri, base) = match at.file.strip_prefix(self.dir) {
            Ok(inside) => (inside.to_path_buf(), SRCROOT),
            Err(_) if at.file == self.manifest => {
                (at.file.file_name().map_or_else(PathBuf::new, PathBuf::from), SRCROOT)
            }
            Err(_) if at.file.is_relative() => (at.file.clone(), TORC_REGISTRY),
            Err(_) => (relative_to(&at.file, &self.root), SRCROOT),
        };
        vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation {
                    uri: Some(encode_path(&uri)),
                    uri_base_id: Some(base),
                    description: None,
                },
                region: Region { start_line: at.line.max(1), start_column: at.column.max(1) },
            },
        }]
    }
}

/// `file` relative to `dir` (both absolute), with `..` as needed.
fn relative_to(file: &Path, dir: &Path) -> PathBuf {
    let file: Vec<_> = file.components().collect();
    let dir: Vec<_> = dir.components().collect();
    let common = file.iter().zip(&dir).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..dir.len() {
        out.push("..");
    }
    out.extend(&file[common..]);
    out
}

/// Characters a URI path segment cannot hold as they are.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}')
    .add(b':');

/// A relative path as a relative URI reference: segments percent-encoded,
/// joined by `/`.
fn encode_path(path: &Path) -> String {
    path.components()
        .map(|c| utf8_percent_encode(&c.as_os_str().to_string_lossy(), SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

/// `dir` as a `file://` URI ending in `/`.
fn directory_uri(dir: &Path) -> String {
    let mut uri = String::from("file://");
    for c in dir.components().skip(1) {
        uri.push('/');
        uri.push_str(&utf8_percent_encode(&c.as_os_str().to_string_lossy(), SEGMENT).to_string());
    }
    uri.push('/');
    uri
}

/// The SARIF log of one `torc verify` run.
pub fn log(project: &Project, v: &Verification) -> Log {
    let root = std::path::absolute(&project.dir).unwrap_or_else(|_| project.dir.clone());
    let artifacts = Artifacts { dir: &project.dir, manifest: &project.manifest.file, root: root.clone() };
    let locate = |at: &SourceLocation| artifacts.location(at);
    let manifest = SourceLocation::new(&project.manifest.file, 1, 1);
    let mut results = Vec::new();
    for o in &v.boundaries.obligations {
        if let Some(result) = obligation_result(o, Rule::BoundaryContract, locate(&o.location)) {
            results.push(result);
        }
    }
    for m in &v.graphs.modules {
        for o in &m.obligations {
            if let Some(result) = obligation_result(o, Rule::GraphObligation, locate(&o.location)) {
                results.push(result);
            }
        }
        for d in &m.declared {
            let (level, message) = match &d.check {
                DeclaredCheck::Holds => continue,
                DeclaredCheck::Exceeds(message) => (Level::Error, message),
                DeclaredCheck::Unknown(message) => (Level::Warning, message),
            };
            results.push(result(
                Rule::DeclaredBound,
                level,
                sentence(message),
                locate(&SourceLocation::new(&m.graph_file, 1, 1)),
            ));
        }
    }
    let coverage = v.coverage();
    if coverage.claim_met() == Some(false) {
        let declared = coverage.declared.unwrap_or_default();
        let text = match coverage.percent() {
            Some(percent) => format!("Declared verification-coverage {declared}% is not met: {percent:.1}% verified."),
            None => format!("Declared verification-coverage {declared}% is not met: there is nothing to verify."),
        };
        results.push(result(Rule::VerificationCoverage, Level::Error, text, locate(&manifest)));
    }
    if let Some(platform) = &v.platform {
        for line in &platform.lines {
            let level = match line.verdict {
                Verdict::Fits | Verdict::Informational => continue,
                Verdict::Exceeds => Level::Error,
                Verdict::Unknown => Level::Warning,
            };
            let text = format!(
                "{} on {} {}: demand {}, budget {}{}.",
                line.budget,
                platform.platform,
                platform.platform_version,
                line.demand,
                line.limit,
                line.note.as_ref().map(|n| format!(" ({n})")).unwrap_or_default()
            );
            results.push(result(Rule::PlatformBudget, level, text, locate(&manifest)));
        }
    }
    let mut original_uri_base_ids = BTreeMap::new();
    original_uri_base_ids.insert(
        SRCROOT,
        ArtifactLocation {
            uri: Some(directory_uri(&root)),
            uri_base_id: None,
            description: Some(Message::new("The project's directory.")),
        },
    );
    original_uri_base_ids.insert(
        TORC_REGISTRY,
        ArtifactLocation {
            uri: None,
            uri_base_id: None,
            description: Some(Message::new(
                "Files inside the published archives of the tree's releases, as <registry>/<name>@<version>/<file>.",
            )),
        },
    );
    Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: ToolComponent {
                    name: "torc",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: "https://github.com/torc-lang/torc",
                    rules: RULES.iter().map(|r| r.descriptor()).collect(),
                },
            },
            original_uri_base_ids,
            results,
            properties: RunProperties { axioms: v.axioms_used(), coverage: CoverageReport::new(&coverage) },
        }],
    }
}

fn result(rule: Rule, level: Level, text: String, locations: Vec<Location>) -> SarifResult {
    SarifResult {
        rule_id: rule.id(),
        rule_index: rule.index(),
        level,
        message: Message::new(text),
        locations,
        partial_fingerprints: BTreeMap::new(),
        suppressions: Vec::new(),
        properties: None,
    }
}

/// `text` ending in a period, as SARIF messages do.
fn sentence(text: &str) -> String {
    let text = text.trim_end();
    if text.ends_with(['.', '!', '?']) {
        text.to_owned()
    } else {
        format!("{text}.")
    }
}

/// The result of one obligation, if it is a problem (or a proof through an
/// axiom, a note); none for a plain proof.
fn obligation_result(o: &ObligationResult, rule: Rule, locations: Vec<Location>) -> Option<SarifResult> {
    let what = match &o.wire {
        Some(wire) => format!("{}: {} -> {}", o.module, wire.from, wire.to),
        None => format!("{}: {} [{}]", o.module, o.description, o.id),
    };
    let (rule, level, text) = match &o.status {
        Status::Proved if o.axioms.is_empty() => return None,
        Status::Proved => (
            Rule::AxiomTrusted,
            Level::Note,
            format!("{what}: proved by {}, trusted without a proof.", o.method.clone().unwrap_or_default()),
        ),
        Status::Refused { reason } => (rule, Level::Error, sentence(&format!("{what}: {reason}"))),
        Status::Failed { counterexample } => {
            let detail = o.message.clone().unwrap_or_else(|| format!("counterexample {counterexample}"));
            (rule, Level::Error, sentence(&format!("{what}: {detail}")))
        }
        Status::Unknown { reason } => (rule, Level::Warning, sentence(&format!("{what}: not decided: {reason}"))),
        Status::Waived { .. } => (rule, Level::Error, sentence(&format!("{what}: not proved (waived)"))),
    };
    let mut result = result(rule, level, text, locations);
    // A graph obligation's id is the hash of its content; a wire's names
    // its target, which is unique only within its module.
    let fingerprint = match &o.wire {
        Some(_) => format!("{}/{}", module_name(&o.module), o.id),
        None => o.id.clone(),
    };
    result.partial_fingerprints.insert("torcObligation/v1", fingerprint);
    if let Status::Waived { justification, approved_by } = &o.status {
        result.suppressions.push(Suppression {
            kind: "external",
            status: "accepted",
            justification: format!("{justification} (approved by {approved_by})"),
        });
    }
    if matches!(o.status, Status::Proved | Status::Refused { .. }) {
        result.properties = Some(ResultProperties { axioms: o.axioms.clone() });
    }
    Some(result)
}

/// `torc-math` of `torc-math v0.4.1`: fingerprints survive version bumps.
fn module_name(label: &str) -> &str {
    label.split_once(" v").map_or(label, |(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_references_and_the_root_a_directory_uri() {
        assert_eq!(encode_path(Path::new("local/torc-math@0.4.1/graph.toml")), "local/torc-math@0.4.1/graph.toml");
        assert_eq!(encode_path(Path::new("my dir/a#b.toml")), "my%20dir/a%23b.toml");
        assert_eq!(directory_uri(Path::new("/tmp/my project")), "file:///tmp/my%20project/");
        assert_eq!(relative_to(Path::new("/a/b/c.toml"), Path::new("/a/d")), PathBuf::from("../b/c.toml"));
    }

    #[test]
    fn every_rule_has_a_full_description_and_help() {
        for rule in RULES {
            let d = rule.descriptor();
            assert!(!d.full_description.text.is_empty() && !d.help.text.is_empty(), "{}", d.id);
            assert_eq!(RULES[rule.index()], rule);
        }
    }
}
