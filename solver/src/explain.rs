//! Why a request has no solution, as data first and prose second.

use serde::Serialize;

/// A package and a requirement on it, as the user wrote it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Requirement {
    pub package: String,
    pub requirement: String,
    /// True when no selectable release of `package` satisfies it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub matches_nothing: bool,
}

/// One fact of a minimal unsatisfiable core. Runs of neighbouring releases
/// with the same fact are collapsed: `versions` reads `1.0.0` or
/// `1.0.0 to 1.4.2`, and `count` says how many releases the run holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fact {
    /// The root asks for one of `alternatives`.
    RootRequires { alternatives: Vec<Requirement> },
    /// Each release in the run depends on one of `alternatives`.
    Depends { package: String, versions: String, count: u32, alternatives: Vec<Requirement> },
    /// Each release in the run conflicts with `with`.
    Conflicts { package: String, versions: String, count: u32, with: Requirement },
    /// The releases in the run are yanked and not pinned by the lock.
    Yanked { package: String, versions: String, count: u32 },
}

/// A minimal set of facts that cannot hold together: dropping any one of
/// them makes the request solvable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub facts: Vec<Fact>,
}

use crate::index::{Constraint, Index, PackageId};
use crate::ranking::Ranking;
use crate::resolver::Root;
use crate::sat::FactRef;
use crate::version_set::VersionIx;
use std::collections::{BTreeMap, HashMap};

impl Explanation {
    /// The facts as one chain a person can follow, deepest first and the
    /// root's requirements last:
    /// `a 2.0.0 depends on c ^2; b 1.0.0 to 1.4.2 depend on c ^1; root
    /// depends on a ^2 and b ^1, so they cannot be resolved together.`
    pub fn render(&self) -> String {
        self.render_for("root")
    }

    /// [`render`](Self::render), calling the root `root` (a project's
    /// `motor-controller 1.2.0` rather than `root`).
    pub fn render_for(&self, root_name: &str) -> String {
        let mut parts = Vec::new();
        let mut root = Vec::new();
        for fact in &self.facts {
            match fact {
                Fact::RootRequires { alternatives } => root.push(alternatives_text(alternatives)),
                Fact::Depends { package, versions, count, alternatives } => parts.push(format!(
                    "{package} {versions} {} on {}",
                    verb(*count, "depends", "depend"),
                    alternatives_text(alternatives)
                )),
                Fact::Conflicts { package, versions, count, with } => parts.push(format!(
                    "{package} {versions} {} with {}",
                    verb(*count, "conflicts", "conflict"),
                    requirement_text(with)
                )),
                Fact::Yanked { package, versions, count } => {
                    parts.push(format!("{package} {versions} {} yanked", verb(*count, "is", "are")))
                }
            }
        }
        let ending = match root.len() {
            0 => String::from("so they cannot all hold"),
            1 => format!("{root_name} depends on {}, so it cannot be satisfied", root[0]),
            _ => {
                let last = root.pop().unwrap_or_default();
                format!("{root_name} depends on {} and {last}, so they cannot be resolved together", root.join(", "))
            }
        };
        parts.push(ending);
        let mut text = parts.join("; ");
        text.push('.');
        text
    }
}

fn verb(count: u32, one: &'static str, many: &'static str) -> &'static str {
    if count == 1 {
        one
    } else {
        many
    }
}

fn requirement_text(r: &Requirement) -> String {
    if r.matches_nothing {
        format!("{} {} (which no selectable release satisfies)", r.package, r.requirement)
    } else {
        format!("{} {}", r.package, r.requirement)
    }
}

fn alternatives_text(alternatives: &[Requirement]) -> String {
    alternatives.iter().map(requirement_text).collect::<Vec<_>>().join(" or ")
}

/// Turns a minimal core into facts: runs of neighbouring releases that share
/// a fact are merged, deeper facts come first and the root's come last.
pub(crate) fn from_core(index: &Index, ranking: &Ranking, root: &Root, core: &[FactRef]) -> Explanation {
    let requirement = |c: &Constraint| Requirement {
        package: index.name(c.package).to_owned(),
        requirement: c.requirement.to_string(),
        matches_nothing: !c.versions.iter().any(|ix| ranking.selectable(c.package, ix)),
    };
    // Depth of each package below the root, following the core's own edges.
    let mut depth: HashMap<PackageId, usize> = HashMap::new();
    let mut frontier: Vec<PackageId> = Vec::new();
    for fact in core {
        if let FactRef::Root(k) = *fact {
            for c in &root.dependencies[k].alternatives {
                if depth.insert(c.package, 1).is_none() {
                    frontier.push(c.package);
                }
            }
        }
    }
    while !frontier.is_empty() {
        let mut next = Vec::new();
        for p in frontier {
            let d = depth[&p];
            for fact in core {
                let targets: Vec<PackageId> = match *fact {
                    FactRef::Depends(q, ix, k) if q == p => index.release(q, ix).dependencies[k]
                        .alternatives
                        .iter()
                        .map(|c| c.package)
                        .collect(),
                    FactRef::Conflicts(q, ix, k) if q == p => vec![index.release(q, ix).conflicts[k].package],
                    _ => continue,
                };
                for t in targets {
                    if let std::collections::hash_map::Entry::Vacant(e) = depth.entry(t) {
                        e.insert(d + 1);
                        next.push(t);
                    }
                }
            }
        }
        frontier = next;
    }

    // Group per (package, what the fact says), then split into runs.
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    enum Says {
        Depends(Vec<(String, String)>),
        Conflicts(String, String),
        Yanked,
    }
    let mut groups: BTreeMap<(PackageId, Says), Vec<(VersionIx, FactRef)>> = BTreeMap::new();
    let mut root_facts = Vec::new();
    for &fact in core {
        let (p, ix, says) = match fact {
            FactRef::Root(k) => {
                root_facts.push(k);
                continue;
            }
            FactRef::Depends(p, ix, k) => {
                let alts = &index.release(p, ix).dependencies[k].alternatives;
                let key = alts.iter().map(|c| (index.name(c.package).to_owned(), c.requirement.to_string()));
                (p, ix, Says::Depends(key.collect()))
            }
            FactRef::Conflicts(p, ix, k) => {
                let c = &index.release(p, ix).conflicts[k];
                (p, ix, Says::Conflicts(index.name(c.package).to_owned(), c.requirement.to_string()))
            }
            FactRef::Yanked(p, ix) => (p, ix, Says::Yanked),
        };
        groups.entry((p, says)).or_default().push((ix, fact));
    }
    let mut facts: Vec<(usize, String, VersionIx, Fact)> = Vec::new();
    for ((p, _), mut members) in groups {
        members.sort_unstable_by_key(|m| m.0);
        members.dedup_by_key(|m| m.0);
        let package = index.name(p).to_owned();
        let mut start = 0;
        while start < members.len() {
            let mut end = start;
            while end + 1 < members.len() && members[end + 1].0 == members[end].0 + 1 {
                end += 1;
            }
            let (first, last) = (members[start].0, members[end].0);
            let count = (end - start + 1) as u32;
            let versions = if count == 1 {
                index.release(p, first).label.clone()
            } else {
                format!("{} to {}", index.release(p, first).label, index.release(p, last).label)
            };
            // Every member of the run says the same; render the first.
            let fact = match members[start].1 {
                FactRef::Depends(q, ix, k) => Fact::Depends {
                    package: package.clone(),
                    versions,
                    count,
                    alternatives: index.release(q, ix).dependencies[k].alternatives.iter().map(requirement).collect(),
                },
                FactRef::Conflicts(q, ix, k) => Fact::Conflicts {
                    package: package.clone(),
                    versions,
                    count,
                    with: requirement(&index.release(q, ix).conflicts[k]),
                },
                FactRef::Yanked(..) | FactRef::Root(_) => Fact::Yanked { package: package.clone(), versions, count },
            };
            let d = depth.get(&p).copied().unwrap_or(usize::MAX);
            facts.push((d, package.clone(), first, fact));
            start = end + 1;
        }
    }
    // Deepest first; ties by name and version.
    facts.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)).then_with(|| a.2.cmp(&b.2)));
    let mut out: Vec<Fact> = facts.into_iter().map(|f| f.3).collect();
    root_facts.sort_unstable();
    for k in root_facts {
        let alternatives = root.dependencies[k].alternatives.iter().map(requirement).collect();
        out.push(Fact::RootRequires { alternatives });
    }
    Explanation { facts: out }
}
