//! Platform models (the target's budgets) and budget reports: a resolved
//! tree's demand against a platform, one line per budget, in the manner of
//! OSATE's budget analysis (demand, limit, slack in percent, worst path,
//! verdict).
//!
//! A model's identity is the BLAKE3 hash of its canonical form
//! ([`PlatformModel::canonical_bytes`]): a JSON object with its keys in a
//! fixed (sorted) order, sets sorted, amounts in bytes, Hz and µs. How the
//! manifest spelled it (key order, `8 KiB` or `8192 bytes`) never changes
//! the hash.

use crate::bounds::{Bound, ModuleBounds};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// A target's budgets, with amounts normalised.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformModel {
    pub name: String,
    pub version: String,
    /// Bytes.
    pub stack: u64,
    /// Bytes.
    pub heap: u64,
    /// The effects code may have on this target; empty = pure code only.
    pub effects: BTreeSet<String>,
    /// Bits: 8, 16, 32 or 64.
    pub word_size: u32,
    /// Supported floating-point widths in bits (32, 64); empty = none.
    pub float_widths: BTreeSet<u32>,
    /// Hz.
    pub clock_hz: Option<u64>,
    /// The period of one step, µs: with a clock, the WCET is checked
    /// against it; without one, the WCET line is informational.
    pub period_us: Option<u64>,
}

/// The hashed form: keys in sorted order (serde keeps declaration order).
#[derive(Serialize)]
struct Canonical<'a> {
    clock_hz: Option<u64>,
    effects: &'a BTreeSet<String>,
    float_widths: &'a BTreeSet<u32>,
    format: &'static str,
    heap: u64,
    name: &'a str,
    period_us: Option<u64>,
    stack: u64,
    version: &'a str,
    word_size: u32,
}

impl PlatformModel {
    /// Canonical JSON (compact, sorted keys, normalised units), tagged with
    /// its format `torc-platform/1`.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let canonical = Canonical {
            clock_hz: self.clock_hz,
            effects: &self.effects,
            float_widths: &self.float_widths,
            format: "torc-platform/1",
            heap: self.heap,
            name: &self.name,
            period_us: self.period_us,
            stack: self.stack,
            version: &self.version,
            word_size: self.word_size,
        };
        serde_json::to_vec(&canonical).expect("serialising plain data cannot fail")
    }

    /// BLAKE3 of [`Self::canonical_bytes`], lowercase hex.
    pub fn hash(&self) -> String {
        blake3::hash(&self.canonical_bytes()).to_hex().to_string()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The demand is known and within the budget.
    Fits,
    /// The demand is over the budget (or unbounded, or outside the allowed set).
    Exceeds,
    /// The demand is only a lower bound within the budget, or the platform
    /// lacks what the check needs (a clock): cannot be confirmed.
    Unknown,
    /// No budget to check against (WCET without a period): shown only.
    Informational,
}

impl Verdict {
    fn as_str(self) -> &'static str {
        match self {
            Verdict::Fits => "fits",
            Verdict::Exceeds => "EXCEEDS",
            Verdict::Unknown => "unknown",
            Verdict::Informational => "info",
        }
    }
}

/// One budget: `stack`, `heap`, `effects`, `float-widths` or `wcet`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BudgetLine {
    pub budget: String,
    pub demand: String,
    pub limit: String,
    /// `(limit − demand) / limit × 100`, negative when exceeded; `None`
    /// when there is no number to compare (sets, unbounded, a zero limit
    /// exceeded, no budget).
    pub slack_percent: Option<f64>,
    pub worst_path: Vec<String>,
    pub verdict: Verdict,
    /// Why, when the verdict needs one (effects not allowed, unknown costs).
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BudgetReport {
    pub platform: String,
    pub platform_version: String,
    pub platform_hash: String,
    pub lines: Vec<BudgetLine>,
}

impl BudgetReport {
    /// The worst verdict over all lines that are checks: `Exceeds` over
    /// `Unknown` over `Fits` (informational lines do not count).
    pub fn verdict(&self) -> Verdict {
        let verdicts = || self.lines.iter().map(|l| l.verdict);
        if verdicts().any(|v| v == Verdict::Exceeds) {
            Verdict::Exceeds
        } else if verdicts().any(|v| v == Verdict::Unknown) {
            Verdict::Unknown
        } else {
            Verdict::Fits
        }
    }
}

/// Checks the root module's aggregated bounds (its whole tree) against a
/// platform. `float_widths_used`: the float widths the tree's ports use.
pub fn budget_report(tree: &ModuleBounds, float_widths_used: &BTreeSet<u32>, platform: &PlatformModel) -> BudgetReport {
    let lines = vec![
        amount_line("stack", &tree.stack, platform.stack, &tree.stack_path),
        amount_line("heap", &tree.heap, platform.heap, &[]),
        effects_line(tree, platform),
        float_line(float_widths_used, &platform.float_widths),
        wcet_line(&tree.wcet, platform),
    ];
    BudgetReport {
        platform: platform.name.clone(),
        platform_version: platform.version.clone(),
        platform_hash: platform.hash(),
        lines,
    }
}

fn slack(limit: u64, demand: u64) -> Option<f64> {
    if limit == 0 {
        return (demand == 0).then_some(0.0);
    }
    Some((limit as f64 - demand as f64) / limit as f64 * 100.0)
}

fn amount_line(budget: &str, demand: &Bound, limit: u64, path: &[String]) -> BudgetLine {
    let (verdict, slack_percent, note) = match demand {
        Bound::Exact(d) if *d <= limit => (Verdict::Fits, slack(limit, *d), None),
        Bound::Exact(d) => (Verdict::Exceeds, slack(limit, *d), None),
        Bound::AtLeast(d) if *d > limit => {
            (Verdict::Exceeds, slack(limit, *d), Some("exceeded by the known part alone".to_owned()))
        }
        Bound::AtLeast(d) => (
            Verdict::Unknown,
            slack(limit, *d),
            Some("some costs are unknown: the demand is a lower bound, slack an upper bound".to_owned()),
        ),
        Bound::Unbounded(reason) => (Verdict::Exceeds, None, Some(reason.clone())),
    };
    BudgetLine {
        budget: budget.to_owned(),
        demand: demand.to_string(),
        limit: format!("{limit} bytes"),
        slack_percent,
        worst_path: path.to_vec(),
        verdict,
        note,
    }
}

fn list<T: fmt::Display>(items: impl IntoIterator<Item = T>, empty: &str) -> String {
    let items: Vec<String> = items.into_iter().map(|i| i.to_string()).collect();
    if items.is_empty() {
        empty.to_owned()
    } else {
        items.join(", ")
    }
}

fn effects_line(tree: &ModuleBounds, platform: &PlatformModel) -> BudgetLine {
    let extra: Vec<&String> = tree.effects.difference(&platform.effects).collect();
    let (verdict, note) = if !extra.is_empty() {
        (Verdict::Exceeds, Some(format!("not allowed on this platform: {}", list(&extra, ""))))
    } else if !tree.effects_known {
        (Verdict::Unknown, Some("some module has neither a graph nor declared effects".to_owned()))
    } else {
        (Verdict::Fits, None)
    };
    BudgetLine {
        budget: "effects".to_owned(),
        demand: list(&tree.effects, "pure"),
        limit: list(&platform.effects, "pure only"),
        slack_percent: None,
        worst_path: Vec::new(),
        verdict,
        note,
    }
}

fn float_line(used: &BTreeSet<u32>, supported: &BTreeSet<u32>) -> BudgetLine {
    let missing: Vec<String> = used.difference(supported).map(|w| format!("Float<{w}>")).collect();
    let (verdict, note) = if missing.is_empty() {
        (Verdict::Fits, None)
    } else {
        (Verdict::Exceeds, Some(format!("not supported: {}", missing.join(", "))))
    };
    BudgetLine {
        budget: "float-widths".to_owned(),
        demand: list(used, "none"),
        limit: list(supported, "none"),
        slack_percent: None,
        worst_path: Vec::new(),
        verdict,
        note,
    }
}

fn wcet_line(demand: &Bound, platform: &PlatformModel) -> BudgetLine {
    let cycles = demand.display_in("cycles").to_string();
    let micros = |c: u64, hz: u64| c as f64 * 1e6 / hz as f64;
    let demand_text = match (demand, platform.clock_hz) {
        (Bound::Exact(c), Some(hz)) => format!("{cycles} ({:.3} µs)", micros(*c, hz)),
        (Bound::AtLeast(c), Some(hz)) => format!("{cycles} (>= {:.3} µs)", micros(*c, hz)),
        _ => cycles,
    };
    let limit = match platform.period_us {
        Some(p) => format!("{p} µs period"),
        None => "no period".to_owned(),
    };
    let (verdict, slack_percent, note) = match (platform.period_us, platform.clock_hz, demand) {
        (None, _, _) => (Verdict::Informational, None, None),
        (Some(_), None, _) => {
            (Verdict::Unknown, None, Some("the platform has no clock to turn cycles into time".into()))
        }
        (Some(_), Some(_), Bound::Unbounded(reason)) => (Verdict::Exceeds, None, Some(reason.clone())),
        (Some(period), Some(hz), bound) => {
            let c = bound.amount();
            // c / hz <= period µs  <=>  c × 10^6 <= period × hz, in exact integers.
            let within = u128::from(c) * 1_000_000 <= u128::from(period) * u128::from(hz);
            let percent = if period == 0 {
                (c == 0).then_some(0.0)
            } else {
                Some((period as f64 - micros(c, hz)) / period as f64 * 100.0)
            };
            match (bound.is_exact(), within) {
                (true, true) => (Verdict::Fits, percent, None),
                (_, false) => (Verdict::Exceeds, percent, None),
                (false, true) => (
                    Verdict::Unknown,
                    percent,
                    Some("some costs are unknown: the demand is a lower bound, slack an upper bound".to_owned()),
                ),
            }
        }
    };
    BudgetLine {
        budget: "wcet".to_owned(),
        demand: demand_text,
        limit,
        slack_percent,
        worst_path: Vec::new(),
        verdict,
        note,
    }
}

/// A table: one row per budget, notes under their row.
///
/// ```text
/// budgets of stm32f4 1.0.0 (blake3 1f3a...)
/// budget        demand      limit        slack    verdict  worst path
/// stack         312 bytes   8192 bytes   96.2 %   fits     integrate -> torc-math::mul
/// ```
impl fmt::Display for BudgetReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let short_hash = self.platform_hash.get(..12).unwrap_or(&self.platform_hash);
        writeln!(f, "budgets of {} {} (blake3 {short_hash}...)", self.platform, self.platform_version)?;
        let rows: Vec<[String; 6]> = self
            .lines
            .iter()
            .map(|l| {
                [
                    l.budget.clone(),
                    l.demand.clone(),
                    l.limit.clone(),
                    l.slack_percent.map_or_else(|| "-".to_owned(), |s| format!("{s:.1} %")),
                    l.verdict.as_str().to_owned(),
                    if l.worst_path.is_empty() { "-".to_owned() } else { l.worst_path.join(" -> ") },
                ]
            })
            .collect();
        let header = ["budget", "demand", "limit", "slack", "verdict", "worst path"].map(str::to_owned);
        let mut widths = header.clone().map(|h| h.chars().count());
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let write_row = |f: &mut fmt::Formatter<'_>, row: &[String; 6]| -> fmt::Result {
            let mut line = String::new();
            for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
                if i + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    line.extend(std::iter::repeat_n(' ', w - cell.chars().count() + 2));
                }
            }
            writeln!(f, "{}", line.trim_end())
        };
        write_row(f, &header)?;
        for (row, line) in rows.iter().zip(&self.lines) {
            write_row(f, row)?;
            if let Some(note) = &line.note {
                writeln!(f, "  {}: {note}", line.budget)?;
            }
        }
        Ok(())
    }
}
