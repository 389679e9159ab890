//! `spec.yaml` (the SpecRegistry manifest) into a [`Manifest`] of kind
//! [`PackageKind::Spec`]. saphyr's marked nodes carry a span for every key
//! and value, so errors point where the mistake is, as in `torc.toml`.
//!
//! A key written with no value (`tests:`) is the same as leaving it out.

use super::quantity::shorten;
use super::{check_version, index_path, key_path, unknown_key_message};
use crate::error::{Error, Location, Result};
use crate::package::{validate_name, DependencyDecl, Details, Manifest, Metadata, PackageKind, SpecDetails};
use saphyr::{LoadableYamlNode, MarkedYaml, Marker, Scalar, YamlData};
use std::collections::BTreeMap;
use std::path::Path;
use torc_solver::semver::VersionReq;

const TOP_LEVEL: &[&str] = &[
    "name",
    "version",
    "framework",
    "description",
    "dependencies",
    "devDependencies",
    "specifications",
    "tests",
    "documentation",
    "tools",
    "keywords",
    "license",
    "author",
    "repository",
    "homepage",
];

/// Keys people carry over from torc.toml or package.json.
const LOOKALIKES: &[(&str, &str)] = &[
    ("authors", "author"),
    ("dev-dependencies", "devDependencies"),
    ("dev_dependencies", "devDependencies"),
    ("devdependencies", "devDependencies"),
];

/// Parses the text of a `spec.yaml`; `file` is recorded in the manifest and
/// in every error.
pub fn parse_spec_yaml(file: &Path, text: &str) -> Result<Manifest> {
    let src = Source { file, text };
    reject_aliases(&src)?;
    let documents = MarkedYaml::load_from_str(text).map_err(|e| {
        let mut message = e.info().to_owned();
        // saphyr points at the repeated key without naming it.
        if message == "duplicated key in mapping" {
            let key: String = text.chars().skip(e.marker().index()).take_while(|c| !matches!(c, ':' | '\n')).collect();
            message = format!("duplicate key `{}`", shorten(key.trim()));
        }
        src.error(Some(*e.marker()), "", format!("invalid YAML: {message}"))
    })?;
    let root = match documents.as_slice() {
        [] => {
            return Err(src.error(None, "", "spec.yaml is empty; it needs at least `name`, `version` and `framework`"))
        }
        [root] => root,
        [_, second, ..] => {
            return Err(src.error(
                Some(second.span.start),
                "",
                "spec.yaml holds more than one YAML document; a manifest is one mapping",
            ))
        }
    };
    let root = Field { src: &src, path: String::new(), key_mark: None, node: root };
    let top = root.mapping("a mapping of manifest keys (`name: ...`)")?;
    top.deny_unknown(TOP_LEVEL)?;

    let name_field = top.required("name")?;
    let name = name_field.str()?;
    validate_name(name).map_err(|message| name_field.error(message))?;
    let version_field = top.required("version")?;
    let version = check_version(version_field.str()?).map_err(|message| version_field.error(message))?;
    let framework_field = top.required("framework")?;
    let framework = framework_field.str()?;
    if framework.trim().is_empty() {
        return Err(framework_field.error("`framework` cannot be empty (tlaplus, alloy, openapi, ...)"));
    }

    let metadata = Metadata {
        description: top.optional("description", Field::string)?,
        authors: top.optional("author", Field::string)?.into_iter().collect(),
        license: top.optional("license", Field::string)?,
        repository: top.optional("repository", Field::string)?,
        homepage: top.optional("homepage", Field::string)?,
        keywords: top.optional("keywords", Field::strings)?.unwrap_or_default(),
        categories: Vec::new(),
    };

    let (main, modules) = top
        .optional("specifications", |f| {
            let specifications = f.mapping("a mapping with `main` and `modules`")?;
            specifications.deny_unknown(&["main", "modules"])?;
            Ok((
                specifications.optional("main", Field::string)?,
                specifications.optional("modules", Field::strings)?.unwrap_or_default(),
            ))
        })?
        .unwrap_or_default();
    let documentation = top
        .optional("documentation", |f| {
            let map = f.mapping("a mapping from names to files (`readme: docs/overview.md`)")?;
            map.entries.iter().map(|entry| Ok((entry.key.to_owned(), entry.value.string()?))).collect()
        })?
        .unwrap_or_else(BTreeMap::new);
    let details = SpecDetails {
        framework: framework.to_owned(),
        main,
        modules,
        tests: top.optional("tests", Field::strings)?.unwrap_or_default(),
        documentation,
        tools: top.optional("tools", Field::json)?.unwrap_or(serde_json::Value::Null),
    };

    let mut dependencies = Vec::new();
    for entry in &top.entries {
        let dev = match entry.key {
            "dependencies" => false,
            "devDependencies" => true,
            _ => continue,
        };
        if entry.value.is_null() {
            continue;
        }
        let map =
            entry.value.mapping("a mapping from package names to requirements (`crypto/algorithms: \"~2.1.0\"`)")?;
        for dep in &map.entries {
            validate_name(dep.key).map_err(|message| dep.value.key_error(message))?;
            let text = dep.value.str_or("a requirement string (\"^1.0.0\")")?;
            let requirement = VersionReq::parse(text).map_err(|e| {
                dep.value.error_in_string(e.column, format!("invalid requirement `{}`: {}", e.input, e.message))
            })?;
            dependencies.push(DependencyDecl { name: dep.key.to_owned(), requirement, dev, line: dep.value.line() });
        }
    }

    Ok(Manifest {
        file: file.to_path_buf(),
        kind: PackageKind::Spec,
        name: name.to_owned(),
        version,
        metadata,
        dependencies,
        details: Details::Spec(details),
        trust: None,
        source: text.into(),
    })
}

/// saphyr expands an alias by copying its anchor's tree, so a few nested
/// aliases can ask for gigabytes. A manifest has no use for them: they are
/// refused before loading. Syntax errors are left to the loader.
fn reject_aliases(src: &Source<'_>) -> Result<()> {
    for event in saphyr_parser::Parser::new_from_str(src.text) {
        match event {
            Ok((saphyr_parser::Event::Alias(_), span)) => {
                return Err(src.error(
                    Some(span.start),
                    "",
                    "YAML aliases (`*name`) are not supported in spec.yaml; write the value out",
                ))
            }
            Ok(_) => {}
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

struct Source<'a> {
    file: &'a Path,
    text: &'a str,
}

impl Source<'_> {
    /// saphyr's markers count lines from 1 and columns from 0, in characters.
    fn error(&self, mark: Option<Marker>, key: &str, message: impl Into<String>) -> Error {
        let (line, column) = mark.map_or((1, 1), |m| (m.line(), m.col() + 1));
        Error::input(Location::in_text(self.file, self.text, line, column, key), message)
    }

    /// The text a node was written as (quotes and all).
    fn raw(&self, node: &MarkedYaml<'_>) -> String {
        let start = node.span.start.index();
        let end = node.span.end.index().max(start);
        self.text.chars().skip(start).take(end - start).collect()
    }
}

/// The node behind any tags (`!!str 1.2` is already a string in saphyr).
fn data<'a, 'i>(mut node: &'a MarkedYaml<'i>) -> &'a YamlData<'i, MarkedYaml<'i>> {
    while let YamlData::Tagged(_, inner) = &node.data {
        node = inner;
    }
    &node.data
}

/// A value in the document, with the key path to it.
struct Field<'a, 'i> {
    src: &'a Source<'a>,
    path: String,
    /// Where the key is, for errors about the key and for `line`.
    key_mark: Option<Marker>,
    node: &'a MarkedYaml<'i>,
}

/// One `key: value` of a mapping whose keys are strings.
struct Entry<'a, 'i> {
    key: &'a str,
    value: Field<'a, 'i>,
}

struct Mapping<'a, 'i> {
    src: &'a Source<'a>,
    path: String,
    mark: Marker,
    entries: Vec<Entry<'a, 'i>>,
}

impl<'a, 'i> Field<'a, 'i> {
    fn error(&self, message: impl Into<String>) -> Error {
        self.src.error(Some(self.node.span.start), &self.path, message)
    }

    fn key_error(&self, message: impl Into<String>) -> Error {
        self.src.error(Some(self.key_mark.unwrap_or(self.node.span.start)), &self.path, message)
    }

    fn line(&self) -> usize {
        self.key_mark.unwrap_or(self.node.span.start).line()
    }

    fn is_null(&self) -> bool {
        matches!(data(self.node), YamlData::Value(Scalar::Null))
    }

    /// An error at 1-based character `column` inside this string; when the
    /// string is written with escapes or folded over lines, at its start.
    fn error_in_string(&self, column: usize, message: impl Into<String>) -> Error {
        let raw = self.src.raw(self.node);
        let start = self.node.span.start;
        let value = match data(self.node) {
            YamlData::Value(Scalar::String(s)) => s.as_ref(),
            _ => "",
        };
        let offset = if raw == value {
            Some(column.max(1) - 1)
        } else if ["\"", "'"].iter().any(|q| raw.strip_prefix(q).and_then(|r| r.strip_suffix(q)) == Some(value)) {
            Some(column.max(1))
        } else {
            None
        };
        let column = match offset {
            Some(offset) if start.line() == self.node.span.end.line() => start.col() + 1 + offset,
            _ => start.col() + 1,
        };
        Error::input(Location::in_text(self.src.file, self.src.text, start.line(), column, &self.path), message)
    }

    fn describe(&self) -> String {
        match data(self.node) {
            YamlData::Value(Scalar::Null) => "nothing (null)".into(),
            YamlData::Value(Scalar::Boolean(b)) => format!("the boolean `{b}`"),
            YamlData::Value(Scalar::Integer(_) | Scalar::FloatingPoint(_)) => {
                format!("the number `{}`", shorten(self.src.raw(self.node).trim()))
            }
            YamlData::Value(Scalar::String(_)) | YamlData::Representation(..) => "a string".into(),
            YamlData::Sequence(_) => "a list".into(),
            YamlData::Mapping(_) => "a mapping".into(),
            YamlData::Alias(_) => "an alias".into(),
            YamlData::BadValue | YamlData::Tagged(..) => "an invalid value".into(),
        }
    }

    fn expected(&self, what: &str) -> Error {
        let found = self.describe();
        let hint = match data(self.node) {
            YamlData::Value(Scalar::Boolean(_) | Scalar::Integer(_) | Scalar::FloatingPoint(_)) => {
                let raw = self.src.raw(self.node);
                format!(
                    "; YAML reads it as a {}, so put it in quotes: \"{}\"",
                    if found.starts_with("the boolean") { "boolean" } else { "number" },
                    shorten(raw.trim())
                )
            }
            _ => String::new(),
        };
        self.error(format!("expected {what}, found {found}{hint}"))
    }

    fn str(&self) -> Result<&'a str> {
        self.str_or("a string")
    }

    fn str_or(&self, what: &str) -> Result<&'a str> {
        match data(self.node) {
            YamlData::Value(Scalar::String(s)) => Ok(s.as_ref()),
            _ => Err(self.expected(what)),
        }
    }

    fn string(&self) -> Result<String> {
        self.str().map(str::to_owned)
    }

    fn element(&self, index: usize, node: &'a MarkedYaml<'i>) -> Field<'a, 'i> {
        Field { src: self.src, path: index_path(&self.path, index), key_mark: None, node }
    }

    fn strings(&self) -> Result<Vec<String>> {
        let YamlData::Sequence(items) = data(self.node) else { return Err(self.expected("a list of strings")) };
        items.iter().enumerate().map(|(i, item)| self.element(i, item).string()).collect()
    }

    fn mapping(&self, what: &str) -> Result<Mapping<'a, 'i>> {
        let YamlData::Mapping(map) = data(self.node) else { return Err(self.expected(what)) };
        let mut entries = Vec::with_capacity(map.len());
        for (key, value) in map.iter() {
            let key_field = Field { src: self.src, path: self.path.clone(), key_mark: None, node: key };
            let key_text = key_field.str_or("a key (a string)")?;
            entries.push(Entry {
                key: key_text,
                value: Field {
                    src: self.src,
                    path: key_path(&self.path, key_text),
                    key_mark: Some(key.span.start),
                    node: value,
                },
            });
        }
        Ok(Mapping { src: self.src, path: self.path.clone(), mark: self.node.span.start, entries })
    }

    /// Any YAML as JSON data (for `tools`).
    fn json(&self) -> Result<serde_json::Value> {
        use serde_json::Value as Json;
        Ok(match data(self.node) {
            YamlData::Value(Scalar::Null) => Json::Null,
            YamlData::Value(Scalar::Boolean(b)) => Json::Bool(*b),
            YamlData::Value(Scalar::Integer(i)) => Json::from(*i),
            YamlData::Value(Scalar::FloatingPoint(f)) => match serde_json::Number::from_f64(f.into_inner()) {
                Some(n) => Json::Number(n),
                None => {
                    return Err(self.error(format!(
                        "`{}` cannot be kept as data (JSON has no infinities or NaN)",
                        shorten(&self.src.raw(self.node))
                    )))
                }
            },
            YamlData::Value(Scalar::String(s)) => Json::String(s.to_string()),
            YamlData::Sequence(items) => Json::Array(
                items.iter().enumerate().map(|(i, item)| self.element(i, item).json()).collect::<Result<_>>()?,
            ),
            YamlData::Mapping(_) => {
                let map = self.mapping("a mapping")?;
                let mut object = serde_json::Map::new();
                for entry in &map.entries {
                    object.insert(entry.key.to_owned(), entry.value.json()?);
                }
                Json::Object(object)
            }
            _ => return Err(self.error(format!("{} cannot be kept as data", self.describe()))),
        })
    }
}

impl<'a, 'i> Mapping<'a, 'i> {
    fn get(&self, key: &str) -> Option<&Field<'a, 'i>> {
        self.entries.iter().find(|e| e.key == key).map(|e| &e.value)
    }

    fn required(&self, key: &str) -> Result<&Field<'a, 'i>> {
        self.get(key).ok_or_else(|| {
            let place = if self.path.is_empty() { "spec.yaml".to_owned() } else { format!("`{}`", self.path) };
            self.src.error(Some(self.mark), &key_path(&self.path, key), format!("missing `{key}` in {place}"))
        })
    }

    /// A key written with no value counts as absent.
    fn optional<T>(&self, key: &str, read: impl FnOnce(&Field<'a, 'i>) -> Result<T>) -> Result<Option<T>> {
        match self.get(key) {
            Some(field) if !field.is_null() => read(field).map(Some),
            _ => Ok(None),
        }
    }

    fn deny_unknown(&self, allowed: &[&str]) -> Result<()> {
        match self.entries.iter().find(|e| !allowed.contains(&e.key)) {
            Some(entry) => {
                let place =
                    if self.path.is_empty() { "at the top level".to_owned() } else { format!("in `{}`", self.path) };
                let what = format!("key `{}`", shorten(entry.key));
                let mut message = unknown_key_message(&what, &place, allowed);
                if let Some((_, meant)) = LOOKALIKES.iter().find(|(wrong, _)| *wrong == entry.key) {
                    message.push_str(&format!(" (spec.yaml spells it `{meant}`)"));
                }
                Err(entry.value.key_error(message))
            }
            None => Ok(()),
        }
    }
}
