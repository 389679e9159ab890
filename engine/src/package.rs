//! The package model every manifest reads into: a graph module, a platform
//! model, a proof library (all from `torc.toml`) or a specification package
//! (from `spec.yaml`) is one [`Manifest`], so all four resolve side by side.
//!
//! Types and contracts of interface ports stay strings here; the contracts
//! crate gives them meaning. Quantities (`<= 256 bytes`) are parsed now.

use semver::Version;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;
use torc_solver::semver::VersionReq;

/// What a package is. Serialised as `module`, `platform`, `proof`, `spec`
/// (the names `torc init --kind` takes and index lines carry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageKind {
    /// A graph module: a `.trc` computation graph with contracted ports.
    Module,
    /// A platform model: target hardware and its budgets.
    Platform,
    /// A proof library: reusable lemmas.
    Proof,
    /// A specification package (TLA+, Alloy, OpenAPI, ...) with a `spec.yaml`.
    Spec,
}

impl PackageKind {
    pub const ALL: [PackageKind; 4] = [PackageKind::Module, PackageKind::Platform, PackageKind::Proof, PackageKind::Spec];

    pub fn as_str(self) -> &'static str {
        match self {
            PackageKind::Module => "module",
            PackageKind::Platform => "platform",
            PackageKind::Proof => "proof",
            PackageKind::Spec => "spec",
        }
    }

    pub fn parse(text: &str) -> Option<PackageKind> {
        PackageKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

impl fmt::Display for PackageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A package name: one or two `/`-separated segments (`torc-pid`,
/// `crypto/algorithms`), each starting with a lowercase ASCII letter or
/// digit and going on with lowercase letters, digits, `-` and `_`; at most
/// 64 bytes in all.
///
/// ```
/// use torc_engine::package::validate_name;
/// assert!(validate_name("torc-pid").is_ok());
/// assert!(validate_name("tlapus/state-machine").is_ok());
/// assert!(validate_name("Torc").is_err());
/// assert!(validate_name("a/b/c").is_err());
/// ```
pub fn validate_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a package name cannot be empty".into());
    }
    if name.len() > 64 {
        return Err(format!("package name `{name}` is longer than 64 bytes"));
    }
    let segments: Vec<&str> = name.split('/').collect();
    if segments.len() > 2 {
        return Err(format!("package name `{name}` has more than one `/` (names are `name` or `scope/name`)"));
    }
    for segment in segments {
        let mut chars = segment.chars();
        match chars.next() {
            Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit() => {}
            Some(c) => {
                return Err(format!(
                    "package name `{name}`: a name or scope must start with a lowercase letter or digit, not `{c}`"
                ))
            }
            None => return Err(format!("package name `{name}` has an empty segment")),
        }
        if let Some(c) = chars.find(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')) {
            return Err(format!(
                "package name `{name}`: `{c}` is not allowed (use lowercase letters, digits, `-` and `_`)"
            ));
        }
    }
    Ok(())
}

/// One package as its manifest describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    /// The manifest file this was read from (`.../torc.toml` or `.../spec.yaml`).
    pub file: PathBuf,
    pub kind: PackageKind,
    /// Valid per [`validate_name`].
    pub name: String,
    pub version: Version,
    pub metadata: Metadata,
    /// Requirements on other packages, in the order the manifest lists them.
    pub dependencies: Vec<DependencyDecl>,
    /// What only one kind of package has.
    pub details: Details,
    /// `[trust]`: the policy this project applies to what it resolves.
    pub trust: Option<TrustPolicy>,
    /// The text this was parsed from, so errors about the manifest can
    /// show their line without reading `file` again.
    pub source: std::sync::Arc<str>,
}

impl Manifest {
    /// A place in this manifest, with its line kept for the excerpt.
    pub fn location(&self, line: usize, column: usize, key: impl Into<String>) -> crate::error::Location {
        crate::error::Location::in_text(&self.file, &self.source, line, column, key)
    }

    /// The dependencies that count when this package is someone else's
    /// dependency (dev-dependencies only count for the project itself).
    pub fn normal_dependencies(&self) -> impl Iterator<Item = &DependencyDecl> {
        self.dependencies.iter().filter(|d| !d.dev)
    }

    /// The integrity level `[module.safety]` claims, if any.
    pub fn integrity_level(&self) -> Option<IntegrityLevel> {
        match &self.details {
            Details::Module(module) => module.safety.as_ref().and_then(|s| s.max_integrity_level),
            _ => None,
        }
    }

    /// Whether proofs for this project may use axioms: `[trust]
    /// allow-axioms` when set; otherwise no when the project claims an
    /// integrity level (an axiom is an unproved claim, not evidence for
    /// one), yes when it does not.
    pub fn allows_axioms(&self) -> bool {
        self.trust.as_ref().and_then(|t| t.allow_axioms).unwrap_or(self.integrity_level().is_none())
    }
}

/// Descriptive fields shared by every kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Metadata {
    pub description: Option<String>,
    /// `authors` in `torc.toml`; `author` (one) in `spec.yaml`.
    pub authors: Vec<String>,
    pub license: Option<String>,
    pub repository: Option<String>,
    pub homepage: Option<String>,
    pub keywords: Vec<String>,
    pub categories: Vec<String>,
}

/// `name = "requirement"` in `[dependencies]` (or `dependencies:` /
/// `devDependencies:` in `spec.yaml`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DependencyDecl {
    pub name: String,
    /// Parsed in Torc's dialect: a bare version is exact, as in `spec.yaml`.
    pub requirement: VersionReq,
    /// Only needed to work on the package itself (`devDependencies`).
    pub dev: bool,
    /// 1-based line of the declaration in the manifest.
    pub line: usize,
}

/// The part of a manifest only one kind has.
#[derive(Clone, Debug, PartialEq)]
pub enum Details {
    Module(ModuleDetails),
    /// `[platform]`: a platform model and its budgets.
    Platform(PlatformDetails),
    /// `[proof-library]`: lemma files.
    Proof(ProofDetails),
    Spec(SpecDetails),
}

/// What a `[proof-library]` manifest has beyond the shared fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProofDetails {
    /// `lemmas = ["lemmas/arith.lemma"]`: the lemma files, relative to the
    /// package directory, in order (required, non-empty, no duplicates;
    /// whether they exist is checked when the library is built).
    pub lemmas: Vec<String>,
    /// 1-based line and column of each `lemmas` entry in the manifest, so
    /// a problem found later (a file the archive leaves out) can point at it.
    pub positions: Vec<(usize, usize)>,
}

/// What a `[platform]` manifest has beyond the shared fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlatformDetails {
    /// `[platform.budgets]`; `None` when the section is absent.
    pub budgets: Option<Budgets>,
}

/// `[platform.budgets]`: the target's budgets, normalised to plain numbers
/// (bytes, Hz, µs) so a platform model can be built and hashed from them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Budgets {
    /// `stack = "8 KiB"`, bytes (required).
    pub stack: u64,
    /// `heap = "0 bytes"`, bytes (required).
    pub heap: u64,
    /// `effects = ["io"]`: effects allowed on the target; absent or `pure`
    /// = none (pure code only).
    pub effects: BTreeSet<String>,
    /// `word-size = 32`: 8, 16, 32 or 64 bits (required).
    pub word_size: u32,
    /// `float-widths = [32]`: a subset of 32 and 64; absent = none.
    pub float_widths: BTreeSet<u32>,
    /// `clock = "168 MHz"`, Hz.
    pub clock_hz: Option<u64>,
    /// `period = "1 ms"`, µs; needs `clock`.
    pub period_us: Option<u64>,
    /// 1-based line of the `[platform.budgets]` header.
    pub line: usize,
}

/// `[module.*]` sections of a graph module's `torc.toml`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModuleDetails {
    pub safety: Option<Safety>,
    pub compatibility: Option<Compatibility>,
    pub interfaces: Interfaces,
    pub resource_bounds: Option<ResourceBounds>,
    /// `[module.types]`: record types ports may use (`PIDConfig`), in
    /// declaration order; field types stay strings.
    pub types: Vec<RecordType>,
    /// `[module.predicates]`: named predicates contracts may use
    /// (`valid_gains`), in declaration order; bodies stay strings.
    pub predicates: Vec<Predicate>,
    /// `[[module.connections]]`: how this module wires its dependencies'
    /// ports to each other and to its own ports.
    pub connections: Vec<Connection>,
    /// `[[module.waivers]]`: proof obligations accepted without a proof,
    /// by id, with who approved it and why.
    pub waivers: Vec<Waiver>,
}

/// `{ id = "3f2a...", justification = "...", approved-by = "..." }` in
/// `[[module.waivers]]`: obligation `id` is accepted unproved. A waived
/// obligation is not verified (coverage does not count it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiver {
    /// The obligation's id (16 hex digits of the BLAKE3 of its formula).
    pub id: String,
    pub justification: String,
    pub approved_by: String,
    /// 1-based line of the waiver's table in the manifest.
    pub line: usize,
}

/// One wire: `{ from = "torc-pid.output", to = "torc-hal.duty" }`, or a
/// constant driving a port: `{ value = "0.0", to = "torc-pid.config.out_min" }`.
///
/// An endpoint is `port`, `port.field` (this module's own ports) or
/// `dependency.port`, `dependency.port.field` (a direct dependency's). A
/// source is one of this module's inputs or a dependency's output; a
/// target is a dependency's input or one of this module's outputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    pub source: ConnectionSource,
    pub to: String,
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectionSource {
    /// `from = "..."`: an endpoint.
    Port(String),
    /// `value = "..."`: a literal of the target's type.
    Constant(String),
}

/// `PIDConfig = { kp = "Float<32>", ki = "Float<32>" }` in `[module.types]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordType {
    pub name: String,
    /// (field, type) in declaration order.
    pub fields: Vec<(String, String)>,
    pub line: usize,
}

/// `valid_gains = "config.kp >= 0.0"` in `[module.predicates]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Predicate {
    pub name: String,
    pub body: String,
    pub line: usize,
}

/// `[module.safety]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Safety {
    /// `max-integrity-level`: the highest level the module claims support for.
    pub max_integrity_level: Option<IntegrityLevel>,
    /// `verification-coverage`: percent of obligations verified (0..=100).
    pub verification_coverage: Option<u8>,
}

/// Safety integrity levels across the standards a module may claim:
/// ISO 26262 (`QM`, `ASIL-A`..`ASIL-D`), IEC 61508 (`SIL-1`..`SIL-4`) and
/// DO-178C (`DAL-A`..`DAL-E`). Written exactly that way in manifests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IntegrityLevel {
    Qm,
    Asil(char),
    Sil(u8),
    Dal(char),
}

impl IntegrityLevel {
    pub fn parse(text: &str) -> Option<IntegrityLevel> {
        match text {
            "QM" => Some(IntegrityLevel::Qm),
            _ => {
                if let Some(level) = text.strip_prefix("ASIL-") {
                    let c = single_char(level)?;
                    ('A'..='D').contains(&c).then_some(IntegrityLevel::Asil(c))
                } else if let Some(level) = text.strip_prefix("SIL-") {
                    let c = single_char(level)?;
                    ('1'..='4').contains(&c).then(|| IntegrityLevel::Sil(c as u8 - b'0'))
                } else if let Some(level) = text.strip_prefix("DAL-") {
                    let c = single_char(level)?;
                    ('A'..='E').contains(&c).then_some(IntegrityLevel::Dal(c))
                } else {
                    None
                }
            }
        }
    }
}

fn single_char(text: &str) -> Option<char> {
    let mut chars = text.chars();
    let c = chars.next()?;
    chars.next().is_none().then_some(c)
}

impl fmt::Display for IntegrityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntegrityLevel::Qm => f.write_str("QM"),
            IntegrityLevel::Asil(c) => write!(f, "ASIL-{c}"),
            IntegrityLevel::Sil(n) => write!(f, "SIL-{n}"),
            IntegrityLevel::Dal(c) => write!(f, "DAL-{c}"),
        }
    }
}

/// `[module.compatibility]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compatibility {
    /// `torc-edition = ">=2026"`: the editions (years) the module builds with.
    pub torc_edition: Option<EditionReq>,
    /// `min-toolchain = "0.2.0"`.
    pub min_toolchain: Option<Version>,
}

/// A requirement on the edition year: comparators (`>=2026`, `<2030`,
/// `=2026`, or a bare year meaning `=`) joined by `,`, all of which must hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditionReq {
    pub text: String,
    pub comparators: Vec<(Comparison, u32)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    Less,
    LessEq,
    Eq,
    GreaterEq,
    Greater,
}

/// `[module.interfaces]`: the module's public API.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Interfaces {
    pub inputs: Vec<Port>,
    pub outputs: Vec<Port>,
}

/// One interface port. `ty` and `contract` are kept as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    pub name: String,
    pub ty: String,
    /// The contract expression; `true` when the manifest gives none.
    pub contract: String,
    /// An input's default value, as written (lets a new input be a minor change).
    pub default: Option<String>,
    /// 1-based line of the port in the manifest.
    pub line: usize,
}

/// `[module.resource-bounds]`: bounds that hold regardless of target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceBounds {
    /// `stack = "<= 256 bytes"`.
    pub stack: Option<Quantity>,
    /// `heap = "0 bytes"`.
    pub heap: Option<Quantity>,
    /// `wcet = "<= 5000 cycles"`.
    pub wcet: Option<Quantity>,
    /// `effects = "pure"` or a list (`["io", "alloc"]`).
    pub effects: Option<Effects>,
}

/// A bounded amount: `<= 256 bytes`, `0 bytes`, `= 4 KiB`, `<= 5000 cycles`.
/// Amounts are normalised to the base unit (bytes, cycles).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quantity {
    pub relation: Relation,
    pub amount: u64,
    pub unit: BaseUnit,
}

/// `<=` (at most) or exactly (`=` or no operator).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    AtMost,
    Exactly,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BaseUnit {
    Bytes,
    Cycles,
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.relation {
            Relation::AtMost => "<= ",
            Relation::Exactly => "",
        };
        let unit = match self.unit {
            BaseUnit::Bytes => "bytes",
            BaseUnit::Cycles => "cycles",
        };
        write!(f, "{op}{} {unit}", self.amount)
    }
}

/// Side effects a module may have; `pure` is the empty set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Effects(pub BTreeSet<String>);

impl Effects {
    pub fn is_pure(&self) -> bool {
        self.0.is_empty()
    }
}

/// The `spec.yaml` fields only specification packages have.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpecDetails {
    /// `tlaplus`, `alloy`, `openapi`, ...
    pub framework: String,
    /// `specifications.main`.
    pub main: Option<String>,
    /// `specifications.modules`.
    pub modules: Vec<String>,
    pub tests: Vec<String>,
    /// `documentation`: name to file (`readme: docs/overview.md`).
    pub documentation: BTreeMap<String, String>,
    /// `tools`: tool-specific settings, kept as data.
    pub tools: serde_json::Value,
}

/// `[trust]`: what this project accepts from registries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustPolicy {
    /// Keys every resolved package must be signed by.
    pub required_signatures: Vec<String>,
    pub reject_unsigned: bool,
    /// A locked yanked release is an error instead of a warning.
    pub reject_yanked: bool,
    /// `allow-axioms`: whether a proof may rest on a library's axioms;
    /// unset: see [`Manifest::allows_axioms`].
    pub allow_axioms: Option<bool>,
    /// 1-based line of the `[trust]` header.
    pub line: usize,
}
