//! `torc tree`: a resolved project drawn as the dependency tree the design
//! document shows, or the same tree as JSON.
//!
//! A package reached a second time is printed once more, marked
//! `(shared)`, and not expanded again; a yanked release that the lock keeps
//! is marked `(yanked)`, a dev-dependency of the root `(dev)`. When packages
//! come from more than one registry each line names its registry.

use crate::resolve::{Resolved, ResolvedPackage};
use serde::Serialize;

/// The tree as text, ending with the summary line: `contracts` (what the
/// boundary check found, when there was anything to check) and then the
/// version summary.
pub fn render_text(resolved: &Resolved, contracts: Option<&str>) -> String {
    let show_registry = resolved.registries().len() > 1;
    let mut out = format!("{} v{}\n", resolved.root.name, resolved.root.version);
    let mut seen = vec![false; resolved.packages.len()];
    let edges = &resolved.root.dependencies;
    for (i, edge) in edges.iter().enumerate() {
        let last = i + 1 == edges.len();
        draw(resolved, edge.package, edge.dev, "", last, show_registry, &mut seen, &mut out);
    }
    out.push('\n');
    out.push_str(&summary(resolved, contracts));
    out.push('\n');
    out
}

#[allow(clippy::too_many_arguments)]
fn draw(
    resolved: &Resolved,
    package: usize,
    dev: bool,
    prefix: &str,
    last: bool,
    show_registry: bool,
    seen: &mut [bool],
    out: &mut String,
) {
    let p = &resolved.packages[package];
    out.push_str(prefix);
    out.push_str(if last { "└── " } else { "├── " });
    out.push_str(&format!("{} v{}", p.name, p.version));
    if show_registry {
        out.push_str(&format!(" [{}]", p.registry));
    }
    if p.yanked {
        out.push_str(" (yanked)");
    }
    if dev {
        out.push_str(" (dev)");
    }
    if seen[package] {
        out.push_str(" (shared)\n");
        return;
    }
    out.push('\n');
    seen[package] = true;
    let child_prefix = format!("{prefix}{}", if last { "    " } else { "│   " });
    for (i, &child) in p.dependencies.iter().enumerate() {
        let last = i + 1 == p.dependencies.len();
        draw(resolved, child, false, &child_prefix, last, show_registry, seen, out);
    }
}

/// What was checked, and nothing more.
pub fn summary(resolved: &Resolved, contracts: Option<&str>) -> String {
    let count = resolved.packages.len();
    let registries = resolved.registries();
    let mut line = match registries.as_slice() {
        [] => "No dependencies.".to_owned(),
        [one] => format!("No version conflicts: {count} {} resolved from registry `{one}`.", plural(count)),
        many => format!(
            "No version conflicts: {count} {} resolved from registries {}.",
            plural(count),
            many.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ")
        ),
    };
    let yanked: Vec<String> =
        resolved.packages.iter().filter(|p| p.yanked).map(|p| format!("{} v{}", p.name, p.version)).collect();
    if !yanked.is_empty() {
        line.push_str(&format!(" Yanked but kept by torc.lock: {}.", yanked.join(", ")));
    }
    match contracts {
        // A multi-line contract report ends with its own newline.
        Some(contracts) if contracts.ends_with('\n') => format!("{contracts}{line}"),
        Some(contracts) => format!("{contracts} {line}"),
        None => line,
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 {
        "package"
    } else {
        "packages"
    }
}

/// The tree as data: `{"root": {...}, "packages": N, "registries": [...],
/// "summary": "..."}`; every node has `name`, `version`, `kind`, and below
/// the root `registry`, `blake3`, `yanked`, `dev`, `shared` and
/// `dependencies` (empty for a shared node, as in the text).
#[derive(Debug, Serialize)]
pub struct TreeJson<'a> {
    pub root: RootNode<'a>,
    pub packages: usize,
    pub registries: Vec<&'a str>,
    pub summary: String,
}

#[derive(Debug, Serialize)]
pub struct RootNode<'a> {
    pub name: &'a str,
    pub version: String,
    pub kind: &'static str,
    pub dependencies: Vec<Node<'a>>,
}

#[derive(Debug, Serialize)]
pub struct Node<'a> {
    pub name: &'a str,
    pub version: String,
    pub kind: &'static str,
    pub registry: &'a str,
    pub blake3: &'a str,
    pub yanked: bool,
    pub dev: bool,
    pub shared: bool,
    pub dependencies: Vec<Node<'a>>,
}

pub fn to_json<'a>(resolved: &'a Resolved, contracts: Option<&str>) -> TreeJson<'a> {
    let mut seen = vec![false; resolved.packages.len()];
    let dependencies =
        resolved.root.dependencies.iter().map(|e| node(resolved, e.package, e.dev, &mut seen)).collect();
    TreeJson {
        root: RootNode {
            name: &resolved.root.name,
            version: resolved.root.version.to_string(),
            kind: resolved.root.kind.as_str(),
            dependencies,
        },
        packages: resolved.packages.len(),
        registries: resolved.registries(),
        summary: summary(resolved, contracts),
    }
}

fn node<'a>(resolved: &'a Resolved, package: usize, dev: bool, seen: &mut [bool]) -> Node<'a> {
    let p: &'a ResolvedPackage = &resolved.packages[package];
    let shared = seen[package];
    seen[package] = true;
    let dependencies = if shared {
        Vec::new()
    } else {
        p.dependencies.iter().map(|&child| node(resolved, child, false, seen)).collect()
    };
    Node {
        name: &p.name,
        version: p.version.to_string(),
        kind: p.kind.as_str(),
        registry: &p.registry,
        blake3: &p.blake3,
        yanked: p.yanked,
        dev,
        shared,
        dependencies,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::PackageKind;
    use crate::resolve::{Edge, ResolvedRoot};

    fn package(name: &str, version: &str, dependencies: Vec<usize>) -> ResolvedPackage {
        ResolvedPackage {
            name: name.into(),
            version: version.parse().unwrap(),
            kind: PackageKind::Module,
            registry: "local".into(),
            blake3: "0".repeat(64),
            yanked: false,
            dependencies,
        }
    }

    /// The design document's tree.
    fn motor_controller() -> Resolved {
        Resolved {
            root: ResolvedRoot {
                name: "motor-controller".into(),
                version: "1.2.0".parse().unwrap(),
                kind: PackageKind::Module,
                dependencies: [3, 0, 1].iter().map(|&package| Edge { package, dev: false }).collect(),
            },
            packages: vec![
                package("torc-can", "0.8.0", vec![2]),
                package("torc-hal", "0.6.2", vec![2]),
                package("torc-math", "0.4.1", vec![]),
                package("torc-pid", "1.0.3", vec![2]),
            ],
            notes: vec![],
        }
    }

    #[test]
    fn draws_the_design_documents_tree() {
        let expected = "\
motor-controller v1.2.0
├── torc-pid v1.0.3
│   └── torc-math v0.4.1
├── torc-can v0.8.0
│   └── torc-math v0.4.1 (shared)
└── torc-hal v0.6.2
    └── torc-math v0.4.1 (shared)

No version conflicts: 4 packages resolved from registry `local`.
";
        assert_eq!(render_text(&motor_controller(), None), expected);
    }

    #[test]
    fn marks_yanked_dev_and_registries() {
        let mut resolved = motor_controller();
        resolved.packages[2].yanked = true;
        resolved.packages[0].registry = "internal".into();
        resolved.root.dependencies[2].dev = true;
        let text = render_text(&resolved, None);
        assert!(text.contains("│   └── torc-math v0.4.1 [local] (yanked)\n"), "{text}");
        assert!(text.contains("└── torc-hal v0.6.2 [local] (dev)\n"), "{text}");
        assert!(text.contains("├── torc-can v0.8.0 [internal]\n"), "{text}");
        assert!(text.ends_with(
            "No version conflicts: 4 packages resolved from registries `internal`, `local`. Yanked but kept by torc.lock: torc-math v0.4.1.\n"
        ));
    }

    #[test]
    fn json_is_the_same_tree() {
        let json = serde_json::to_value(to_json(&motor_controller(), None)).unwrap();
        assert_eq!(json["root"]["name"], "motor-controller");
        let first = &json["root"]["dependencies"][0];
        assert_eq!(first["name"], "torc-pid");
        assert_eq!(first["shared"], false);
        assert_eq!(first["dependencies"][0]["name"], "torc-math");
        assert_eq!(json["root"]["dependencies"][1]["dependencies"][0]["shared"], true);
        assert_eq!(json["packages"], 4);
        assert_eq!(json["registries"][0], "local");
    }

    #[test]
    fn a_project_without_dependencies() {
        let resolved = Resolved {
            root: ResolvedRoot {
                name: "alone".into(),
                version: "0.1.0".parse().unwrap(),
                kind: PackageKind::Spec,
                dependencies: vec![],
            },
            packages: vec![],
            notes: vec![],
        };
        assert_eq!(render_text(&resolved, None), "alone v0.1.0\n\nNo dependencies.\n");
    }
}
