//! `torc add`: editing a manifest's dependencies in place, keeping its
//! formatting. Every other line, comment and key stays as it was.
//!
//! `torc.toml` is edited through toml_edit's format-preserving document.
//! `spec.yaml` has no such library, so its edit is textual, guided by the
//! spans of the parsed document: the value of an existing entry is replaced
//! where it stands, a new entry goes on the line after the mapping's last
//! one, with the same indentation, and a missing mapping is added at the
//! end. The result is parsed again before anything is written.

use crate::error::{Error, Location, Result};
use crate::fs::write_atomic;
use crate::manifest::{self, Format};
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use std::path::Path;
use toml_edit::{DocumentMut, Item, Table, Value};
use torc_solver::semver::VersionReq;

/// Sets dependency `name` to `requirement` in the manifest at `path`
/// (`[dependencies]` or, with `dev`, `[dev-dependencies]` in `torc.toml`;
/// `dependencies:` or `devDependencies:` in `spec.yaml`). An existing entry
/// is replaced (for `name = { version = ".." }`, its `version`); a missing
/// table or mapping is created. Returns whether an entry was replaced
/// (`true`) or added (`false`).
///
/// The manifest must read before the edit and still read after it; the
/// file is written atomically.
///
/// ```
/// use torc_engine::edit::add_dependency;
/// use torc_solver::semver::VersionReq;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("torc.toml");
/// std::fs::write(&path, "[module]\nname = \"m\"\nversion = \"1.0.0\"\n\n[dependencies]\n# math\ntorc-math = \"^0.3\"\n").unwrap();
/// let replaced = add_dependency(&path, "torc-math", &VersionReq::parse("^0.4").unwrap(), false).unwrap();
/// assert!(replaced);
/// assert!(std::fs::read_to_string(&path).unwrap().ends_with("# math\ntorc-math = \"^0.4\"\n"));
/// ```
pub fn add_dependency(path: &Path, name: &str, requirement: &VersionReq, dev: bool) -> Result<bool> {
    crate::package::validate_name(name)
        .map_err(|message| Error::input(Location::new(path, 1, 1, dependency_key(path, dev, name)), message))?;
    let text = crate::fs::read_text(path)?;
    // Refuse to edit a manifest that is already broken: its error is clearer
    // than one about the edited text.
    manifest::read_text(path, &text)?;
    let (edited, replaced) = match Format::of(path) {
        Some(Format::Yaml) => edit_yaml(path, &text, name, requirement, dev)?,
        _ => edit_toml(path, &text, name, requirement, dev)?,
    };
    let manifest = manifest::read_text(path, &edited)?;
    let took = manifest
        .dependencies
        .iter()
        .any(|d| d.name == name && d.dev == dev && d.requirement.as_str() == requirement.as_str());
    if !took {
        return Err(cannot_edit(path, dev, name, "the edited manifest does not declare it as asked"));
    }
    write_atomic(path, edited.as_bytes())?;
    Ok(replaced)
}

fn dependency_key(path: &Path, dev: bool, name: &str) -> String {
    let table = match (Format::of(path), dev) {
        (Some(Format::Yaml), false) => "dependencies",
        (Some(Format::Yaml), true) => "devDependencies",
        (_, false) => "dependencies",
        (_, true) => "dev-dependencies",
    };
    manifest::key_path(table, name)
}

fn cannot_edit(path: &Path, dev: bool, name: &str, why: &str) -> Error {
    Error::input(
        Location::new(path, 1, 1, dependency_key(path, dev, name)),
        format!("cannot add `{name}` automatically: {why}; add it by hand"),
    )
}

fn edit_toml(path: &Path, text: &str, name: &str, requirement: &VersionReq, dev: bool) -> Result<(String, bool)> {
    let mut document: DocumentMut =
        text.parse().map_err(|_| cannot_edit(path, dev, name, "the file does not parse as TOML"))?;
    let table_key = if dev { "dev-dependencies" } else { "dependencies" };
    let root = document.as_table_mut();
    if !root.contains_key(table_key) {
        root.insert(table_key, Item::Table(Table::new()));
    }
    let Some(table) = root.get_mut(table_key).and_then(Item::as_table_like_mut) else {
        return Err(cannot_edit(path, dev, name, &format!("`{table_key}` is not a table")));
    };
    let replaced = match table.get_mut(name) {
        Some(Item::Value(Value::InlineTable(detail))) => {
            match detail.get_mut("version") {
                Some(version) => set_keeping_decor(version, requirement),
                None => {
                    detail.insert("version", Value::from(requirement.as_str()));
                }
            }
            true
        }
        Some(Item::Table(detail)) => {
            match detail.get_mut("version").and_then(Item::as_value_mut) {
                Some(version) => set_keeping_decor(version, requirement),
                None => {
                    detail.insert("version", toml_edit::value(requirement.as_str()));
                }
            }
            true
        }
        Some(Item::Value(value)) => {
            set_keeping_decor(value, requirement);
            true
        }
        Some(item) => {
            *item = toml_edit::value(requirement.as_str());
            true
        }
        None => {
            table.insert(name, toml_edit::value(requirement.as_str()));
            false
        }
    };
    Ok((document.to_string(), replaced))
}

/// Replaces a value, keeping the spaces and comment around it.
fn set_keeping_decor(value: &mut Value, requirement: &VersionReq) {
    let decor = value.decor().clone();
    *value = Value::from(requirement.as_str());
    *value.decor_mut() = decor;
}

fn edit_yaml(path: &Path, text: &str, name: &str, requirement: &VersionReq, dev: bool) -> Result<(String, bool)> {
    let mapping_key = if dev { "devDependencies" } else { "dependencies" };
    let fail = |why: &str| cannot_edit(path, dev, name, why);
    let documents = MarkedYaml::load_from_str(text).map_err(|_| fail("the file does not parse as YAML"))?;
    let Some(YamlData::Mapping(top)) = documents.first().map(|d| &d.data) else {
        return Err(fail("the file is not a YAML mapping"));
    };
    let entry_text = format!("{}: {}", yaml_key(name), yaml_string(requirement.as_str()));
    let offsets = CharOffsets::new(text);
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };

    let Some((key, value)) = top.iter().find(|(k, _)| is_string(k, mapping_key)) else {
        // No mapping yet: add it at the end of the file.
        let mut out = text.to_owned();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(nl);
        }
        out.push_str(&format!("{mapping_key}:{nl}  {entry_text}{nl}"));
        return Ok((out, false));
    };

    let value_start = offsets.byte(value.span.start.index());
    let value_end = offsets.byte(value.span.end.index().max(value.span.start.index()));
    let child_indent = " ".repeat(key.span.start.col() + 2);

    // `dependencies:` with nothing (or `~`, `null`, `{}`) after it: the
    // entry goes on its own line below, in block style.
    let empty_flow =
        matches!(&value.data, YamlData::Mapping(m) if m.is_empty()) && text[value_start..].starts_with('{');
    if matches!(value.data, YamlData::Value(Scalar::Null)) || empty_flow {
        let mut end = value_end;
        if empty_flow {
            let Some(close) = text[value_start..].find('}') else { return Err(fail("an unclosed `{`")) };
            end = value_start + close + 1;
        }
        if text[value_start..end].contains('\n') {
            return Err(fail(&format!("`{mapping_key}` is empty but spans several lines")));
        }
        let line_end = line_end(text, end);
        let before = text[..value_start].trim_end_matches([' ', '\t']);
        let rest = &text[end..line_end];
        let out = format!("{before}{rest}{nl}{child_indent}{entry_text}{}", &text[line_end..]);
        return Ok((out, false));
    }

    let YamlData::Mapping(entries) = &value.data else {
        return Err(fail(&format!("`{mapping_key}` is not a mapping")));
    };
    let flow = text[value_start..].starts_with('{');
    if let Some((_, old)) = entries.iter().find(|(k, _)| is_string(k, name)) {
        let start = offsets.byte(old.span.start.index());
        let end = offsets.byte(old.span.end.index().max(old.span.start.index()));
        if text[start..end].contains('\n') {
            return Err(fail("its requirement spans several lines"));
        }
        let out = format!("{}{}{}", &text[..start], yaml_string(requirement.as_str()), &text[end..]);
        return Ok((out, true));
    }
    let Some((last_key, last_value)) = entries.iter().next_back() else {
        return Err(fail(&format!("`{mapping_key}` is an empty mapping in an unusual form")));
    };
    let last_end = offsets.byte(last_value.span.end.index().max(last_value.span.start.index()));
    if flow {
        // `{a: "1", b: "2"}`: the new entry goes before the closing brace.
        let rest = &text[last_end..];
        let Some(close) = rest.find('}') else { return Err(fail("an unclosed `{`")) };
        if rest[..close].chars().any(|c| !(c.is_whitespace() || c == ',')) {
            return Err(fail(&format!("`{mapping_key}` is a flow mapping with comments")));
        }
        let at = last_end + close;
        let out = format!("{}, {entry_text}{}", text[..last_end].trim_end(), &text[at..]);
        return Ok((out, false));
    }
    // Block mapping: a new line after the last entry, indented like the first.
    let indent = entries.keys().next().map_or(last_key.span.start.col(), |k| k.span.start.col());
    let at = line_end(text, last_end);
    let out = format!("{}{nl}{}{entry_text}{}", &text[..at], " ".repeat(indent), &text[at..]);
    Ok((out, false))
}

fn is_string(node: &MarkedYaml<'_>, text: &str) -> bool {
    matches!(&node.data, YamlData::Value(Scalar::String(s)) if s == text)
}

/// The byte offset of the end of the line holding `offset` (its `\n` or
/// `\r\n`, or the end of the text).
fn line_end(text: &str, offset: usize) -> usize {
    match text[offset..].find('\n') {
        Some(i) if text[..offset + i].ends_with('\r') => offset + i - 1,
        Some(i) => offset + i,
        None => text.len(),
    }
}

/// A key YAML reads back as this string: plain unless plain would read as
/// something else (`null`, `true`, `123`).
fn yaml_key(name: &str) -> String {
    match Scalar::parse_from_cow(name.into()) {
        Scalar::String(_) => name.to_owned(),
        _ => yaml_string(name),
    }
}

fn yaml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// saphyr's markers count characters; slicing needs bytes.
struct CharOffsets {
    bytes: Vec<usize>,
}

impl CharOffsets {
    fn new(text: &str) -> Self {
        let mut bytes: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        bytes.push(text.len());
        CharOffsets { bytes }
    }

    fn byte(&self, char_index: usize) -> usize {
        self.bytes.get(char_index).copied().unwrap_or_else(|| self.bytes.last().copied().unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    const DESIGN: &str = include_str!("../tests/fixtures/manifests/torc-pid/torc.toml");
    const SPEC: &str = include_str!("../tests/fixtures/manifests/payment-protocol/spec.yaml");

    fn req(text: &str) -> VersionReq {
        VersionReq::parse(text).unwrap()
    }

    /// Writes `text` as `file_name`, applies the edit, and returns whether
    /// it replaced and the new text.
    fn edit(file_name: &str, text: &str, name: &str, requirement: &str, dev: bool) -> (bool, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(file_name);
        fs::write(&path, text).unwrap();
        let replaced = add_dependency(&path, name, &req(requirement), dev).unwrap();
        (replaced, fs::read_to_string(&path).unwrap())
    }

    /// The lines of `after` that are not in `before` and the other way
    /// round, as a minimal line diff (common prefix and suffix dropped).
    fn diff(before: &str, after: &str) -> (Vec<String>, Vec<String>) {
        let a: Vec<&str> = before.lines().collect();
        let b: Vec<&str> = after.lines().collect();
        let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
        let suffix = a[prefix..].iter().rev().zip(b[prefix..].iter().rev()).take_while(|(x, y)| x == y).count();
        let removed = a[prefix..a.len() - suffix].iter().map(|s| s.to_string()).collect();
        let added = b[prefix..b.len() - suffix].iter().map(|s| s.to_string()).collect();
        (removed, added)
    }

    #[test]
    fn adding_to_the_design_manifest_changes_one_line() {
        let (replaced, after) = edit("torc.toml", DESIGN, "torc-can", "^0.8.0", false);
        assert!(!replaced);
        assert_eq!(diff(DESIGN, &after), (vec![], vec!["torc-can = \"^0.8.0\"".to_string()]));
        assert!(after.ends_with("torc-math = \">=0.3.0, <1.0.0\"\ntorc-can = \"^0.8.0\"\n"));
    }

    #[test]
    fn replacing_in_the_design_manifest_keeps_comments_and_order() {
        let (replaced, after) = edit("torc.toml", DESIGN, "torc-math", "^0.4", false);
        assert!(replaced);
        assert_eq!(
            diff(DESIGN, &after),
            (vec!["torc-math = \">=0.3.0, <1.0.0\"".to_string()], vec!["torc-math = \"^0.4\"".to_string()])
        );
        assert!(after.contains("effects = \"pure\"               # No I/O, no allocation, no side effects"));
    }

    #[test]
    fn replacing_keeps_a_trailing_comment() {
        let text = "[platform]\nname = \"p\"\nversion = \"1.0.0\"\n\n[dependencies]\na = \"1.0.0\"   # pinned\nb = \"2.0.0\"\n";
        let (replaced, after) = edit("torc.toml", text, "a", "^1.1", false);
        assert!(replaced);
        assert_eq!(
            diff(text, &after),
            (vec!["a = \"1.0.0\"   # pinned".into()], vec!["a = \"^1.1\"   # pinned".into()])
        );
    }

    #[test]
    fn replacing_an_inline_table_sets_its_version() {
        let text =
            "[proof-library]\nname = \"p\"\nversion = \"1.0.0\"\nlemmas = [\"a.lemma\"]\n\n[dependencies]\na = { version = \"1.0.0\" } # why\n";
        let (replaced, after) = edit("torc.toml", text, "a", "^2", false);
        assert!(replaced);
        assert!(after.ends_with("a = { version = \"^2\" } # why\n"), "{after}");
        let text = "[proof-library]\nname = \"p\"\nversion = \"1.0.0\"\nlemmas = [\"a.lemma\"]\n\n[dependencies.a]\nversion = \"1.0.0\"\n";
        let (replaced, after) = edit("torc.toml", text, "a", "^2", false);
        assert!(replaced);
        assert!(after.ends_with("[dependencies.a]\nversion = \"^2\"\n"), "{after}");
    }

    #[test]
    fn dev_dependencies_get_their_own_table() {
        let (replaced, after) = edit("torc.toml", DESIGN, "torc-testkit", "~0.2", true);
        assert!(!replaced);
        let (removed, added) = diff(DESIGN, &after);
        assert!(removed.is_empty());
        assert_eq!(
            added.iter().filter(|l| !l.is_empty()).collect::<Vec<_>>(),
            ["[dev-dependencies]", "torc-testkit = \"~0.2\""]
        );
        let manifest = manifest::parse_torc_toml(Path::new("torc.toml"), &after).unwrap();
        let dev: Vec<_> = manifest.dependencies.iter().filter(|d| d.dev).map(|d| d.name.as_str()).collect();
        assert_eq!(dev, ["torc-testkit"]);
    }

    #[test]
    fn a_missing_dependencies_table_is_created() {
        let text = "# a board\n[platform]\nname = \"p\"\nversion = \"1.0.0\"\n";
        let (replaced, after) = edit("torc.toml", text, "vendor/hal", "=1.0.0", false);
        assert!(!replaced);
        assert!(after.starts_with(text), "{after}");
        assert!(after.contains("[dependencies]\n\"vendor/hal\" = \"=1.0.0\"\n"), "{after}");
    }

    #[test]
    fn spec_yaml_replace_keeps_everything_else() {
        let (replaced, after) = edit("spec.yaml", SPEC, "crypto/algorithms", "^2.2", false);
        assert!(replaced);
        assert_eq!(
            diff(SPEC, &after),
            (vec!["  crypto/algorithms: \"~2.1.0\"".into()], vec!["  crypto/algorithms: \"^2.2\"".into()])
        );
    }

    #[test]
    fn spec_yaml_add_goes_after_the_last_entry() {
        let (replaced, after) = edit("spec.yaml", SPEC, "crypto/hashes", "^1.0.0", false);
        assert!(!replaced);
        assert_eq!(diff(SPEC, &after), (vec![], vec!["  crypto/hashes: \"^1.0.0\"".into()]));
        let lines: Vec<&str> = after.lines().collect();
        assert_eq!(lines[8], "  crypto/hashes: \"^1.0.0\"", "right after crypto/algorithms");
        let (_, after) = edit("spec.yaml", SPEC, "testing/fuzz", "1.0.0", true);
        assert_eq!(diff(SPEC, &after), (vec![], vec!["  testing/fuzz: \"1.0.0\"".into()]));
        assert_eq!(after.lines().nth(11), Some("  testing/fuzz: \"1.0.0\""));
    }

    #[test]
    fn spec_yaml_missing_mapping_is_added_at_the_end() {
        let text = "name: spec\nversion: \"1.0.0\"\nframework: alloy";
        let (replaced, after) = edit("spec.yaml", text, "true", "^1", true);
        assert!(!replaced);
        assert_eq!(after, format!("{text}\ndevDependencies:\n  \"true\": \"^1\"\n"));
    }

    #[test]
    fn spec_yaml_empty_forms_become_block_mappings() {
        for empty in ["dependencies:", "dependencies: {}", "dependencies: ~  # none yet"] {
            let text = format!("name: spec\n{empty}\nversion: \"1.0.0\"\nframework: alloy\n");
            let (replaced, after) = edit("spec.yaml", &text, "a/b", "^1", false);
            assert!(!replaced);
            let expected_head = if empty.contains('#') { "dependencies:  # none yet" } else { "dependencies:" };
            assert_eq!(
                after,
                format!("name: spec\n{expected_head}\n  a/b: \"^1\"\nversion: \"1.0.0\"\nframework: alloy\n"),
                "from `{empty}`"
            );
        }
    }

    #[test]
    fn spec_yaml_keeps_windows_line_endings() {
        let text = "name: spec\r\nversion: \"1.0.0\"\r\nframework: alloy\r\ndependencies:\r\n  a: \"^1\"\r\n";
        let (_, after) = edit("spec.yaml", text, "b", "^2", false);
        assert_eq!(after, format!("{text}  b: \"^2\"\r\n"));
        let (_, after) = edit("spec.yaml", text, "c", "^3", true);
        assert_eq!(after, format!("{text}devDependencies:\r\n  c: \"^3\"\r\n"));
    }

    #[test]
    fn spec_yaml_flow_mappings_are_edited_in_place() {
        let text = "name: spec\nversion: \"1.0.0\"\nframework: alloy\ndependencies: {a: \"^1\", b: ^2}\n";
        let (replaced, after) = edit("spec.yaml", text, "c", "^3", false);
        assert!(!replaced);
        assert!(after.ends_with("dependencies: {a: \"^1\", b: ^2, c: \"^3\"}\n"), "{after}");
        let (replaced, after) = edit("spec.yaml", text, "b", "^4", false);
        assert!(replaced);
        assert!(after.ends_with("dependencies: {a: \"^1\", b: \"^4\"}\n"), "{after}");
    }

    #[test]
    fn a_broken_manifest_is_not_edited() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("torc.toml");
        fs::write(&path, "[module]\nname = \"m\"\n").unwrap();
        let err = add_dependency(&path, "a", &req("1.0.0"), false).unwrap_err();
        assert!(err.to_string().contains("missing `version`"), "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "[module]\nname = \"m\"\n");
        let err = add_dependency(&path, "Bad", &req("1.0.0"), false).unwrap_err();
        assert!(matches!(err, Error::Input { .. }));
    }

    #[test]
    fn init_then_add_for_every_kind() {
        let root = tempfile::tempdir().unwrap();
        for kind in crate::package::PackageKind::ALL {
            let dir = root.path().join(kind.as_str());
            let path = crate::init::init(&dir, kind, None).unwrap();
            assert!(!add_dependency(&path, "torc-math", &req("^0.4"), false).unwrap());
            assert!(add_dependency(&path, "torc-math", &req("^0.5"), false).unwrap());
            assert!(!add_dependency(&path, "torc-testkit", &req("0.1.0"), true).unwrap());
            let manifest = manifest::read(&path).unwrap();
            let deps: Vec<_> =
                manifest.dependencies.iter().map(|d| (d.name.as_str(), d.requirement.as_str(), d.dev)).collect();
            assert_eq!(deps, [("torc-math", "^0.5", false), ("torc-testkit", "0.1.0", true)], "{kind}");
        }
    }
}
