//! `~/.torc/config.toml`: which registries exist, where, and in what order
//! they are searched.
//!
//! ```toml
//! [[registries]]
//! name = "public"
//! url = "https://registry.torc-lang.org"
//! priority = 100
//!
//! [[registries]]
//! name = "company-internal"
//! url = "file:///srv/torc"   # or a path; relative to this file's directory
//! priority = 200             # searched first
//! auth = "token"
//! ```
//!
//! Without a `config.toml` there is one registry, `local`, a file registry
//! at `<home>/registry` (created by the first publish). Higher priority is
//! searched first; two registries may not share a priority, since the order
//! they are searched in decides where a name comes from.

use crate::error::{line_col, Error, Location, Result};
use std::ffi::OsString;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml_edit::{Document, Item, Table, Value};

/// The configuration file's name inside the torc home.
pub const CONFIG_FILE: &str = "config.toml";

/// The torc home: `$TORC_HOME` when set and non-empty, else `$HOME/.torc`
/// (`%USERPROFILE%\.torc` where there is no `HOME`). Made absolute, so
/// paths derived from it do not change meaning when the process changes
/// directory.
pub fn torc_home() -> Result<PathBuf> {
    let home = home_from(std::env::var_os("TORC_HOME"), std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE")))
        .ok_or_else(|| {
            Error::io(
                "$HOME",
                io::Error::new(
                    io::ErrorKind::NotFound,
                    "neither TORC_HOME nor HOME is set; set TORC_HOME to the directory for torc's configuration and local registry",
                ),
            )
        })?;
    std::path::absolute(&home).map_err(|e| Error::io(&home, e))
}

fn home_from(torc_home: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    match torc_home {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => home.filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".torc")),
    }
}

/// The registries a torc home configures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `<home>/config.toml`, whether or not it exists. Relative registry
    /// paths are relative to its directory.
    pub file: PathBuf,
    /// Whether this is the embedded default (there is no `config.toml`).
    pub is_default: bool,
    /// In the order the file lists them.
    pub registries: Vec<RegistryConfig>,
}

/// One `[[registries]]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryConfig {
    pub name: String,
    /// As written: `https://...`, `file:///...` or a path.
    pub url: String,
    /// Higher is searched first. 0 when not given.
    pub priority: i64,
    /// How to authenticate (`token`); kept for the HTTP client.
    pub auth: Option<String>,
    /// 1-based line of the table's header (of the inline table, for
    /// `registries = [{ ... }]`); 0 for the embedded default.
    pub line: usize,
}

/// Where a registry's `url` points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistryUrl {
    /// A directory: from `file://` URLs and plain paths.
    File(PathBuf),
    /// An `http://` or `https://` URL, as written.
    Http(String),
}

impl RegistryConfig {
    /// Where `url` points; a relative path is taken relative to `base` (the
    /// configuration file's directory).
    pub fn location(&self, base: &Path) -> std::result::Result<RegistryUrl, String> {
        let url = self.url.trim();
        if url.is_empty() {
            return Err("the url is empty".into());
        }
        let lower = url.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return Ok(RegistryUrl::Http(url.to_owned()));
        }
        let path = if lower.starts_with("file://") {
            file_url_path(&url["file://".len()..])?
        } else if let Some((scheme, _)) = url.split_once("://") {
            return Err(format!("unsupported scheme `{scheme}` (use https://, http://, file:// or a path)"));
        } else {
            PathBuf::from(url)
        };
        Ok(RegistryUrl::File(if path.is_relative() { base.join(path) } else { path }))
    }
}

/// The path of a `file://` URL, given what follows `file://`: an empty or
/// `localhost` host, then an absolute path with `%XX` escapes.
fn file_url_path(rest: &str) -> std::result::Result<PathBuf, String> {
    let path = match rest.find('/') {
        Some(0) => rest,
        Some(at) if rest[..at].eq_ignore_ascii_case("localhost") => &rest[at..],
        _ => {
            return Err(format!(
                "`file://{rest}` names a host; a file URL is `file:///absolute/path` (or write the path itself)"
            ))
        }
    };
    let mut bytes = Vec::with_capacity(path.len());
    let mut rest = path.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            let hex =
                tail.get(..2).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
            let Some(decoded) = hex else {
                return Err(format!("`{path}` has a `%` that is not followed by two hex digits"));
            };
            bytes.push(decoded);
            rest = &tail[2..];
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    let text = String::from_utf8(bytes).map_err(|_| format!("`{path}` does not decode to UTF-8"))?;
    // `file:///C:/torc` on Windows: drop the slash before the drive letter.
    #[cfg(windows)]
    let text = match text.as_bytes() {
        [b'/', drive, b':', ..] if drive.is_ascii_alphabetic() => text[1..].to_owned(),
        _ => text,
    };
    Ok(PathBuf::from(text))
}

impl Config {
    /// Reads `<home>/config.toml`, or gives the embedded default when it
    /// does not exist.
    pub fn load(home: &Path) -> Result<Config> {
        let file = home.join(CONFIG_FILE);
        match crate::fs::read_optional_text(&file, crate::fs::MAX_TEXT_FILE)? {
            Some(text) => Config::parse(&text, &file),
            None => Ok(Config::default_for(home)),
        }
    }

    /// The configuration without a `config.toml`: one file registry,
    /// `local`, at `<home>/registry`, priority 0.
    pub fn default_for(home: &Path) -> Config {
        Config {
            file: home.join(CONFIG_FILE),
            is_default: true,
            registries: vec![RegistryConfig {
                name: "local".into(),
                // Relative to the config file's directory, which is `home`.
                url: "registry".into(),
                priority: 0,
                auth: None,
                line: 0,
            }],
        }
    }

    /// Parses `text`, the content of `file`. Every error names the line
    /// and the key.
    pub fn parse(text: &str, file: &Path) -> Result<Config> {
        let at = |span: Option<Range<usize>>, key: &str, message: String| {
            let (line, column) = span.map_or((1, 1), |s| line_col(text, s.start));
            // The excerpt is kept redacted: the line may hold the `auth`
            // value (or a URL's password) that the error is about.
            let mut location = Location::in_text(file, text, line, column, key);
            location.excerpt = location.excerpt.map(|line| redact_secrets(&line));
            Error::input(location, redact_secrets(&message))
        };
        let document = Document::parse(text)
            .map_err(|e| at(e.span(), "", format!("not valid TOML: {}", e.message().trim_end())))?;
        let base = file.parent().unwrap_or(Path::new(""));

        let mut tables: Vec<Registry<'_>> = Vec::new();
        for (key, item) in document.iter() {
            let key_span = document.key(key).and_then(|k| k.span());
            if key != "registries" {
                return Err(at(
                    key_span,
                    key,
                    format!("unknown key `{key}` (config.toml has `[[registries]]` tables only)"),
                ));
            }
            match item {
                Item::ArrayOfTables(array) => {
                    for table in array.iter() {
                        tables.push(Registry::Table(table));
                    }
                }
                Item::Value(Value::Array(array)) => {
                    for value in array.iter() {
                        match value {
                            Value::InlineTable(table) => tables.push(Registry::Inline(table)),
                            other => {
                                return Err(at(other.span(), "registries", "expected a table for each registry".into()))
                            }
                        }
                    }
                }
                other => {
                    return Err(at(
                        other.span().or(key_span),
                        "registries",
                        "`registries` must be an array of tables (`[[registries]]`)".into(),
                    ))
                }
            }
        }

        let mut registries: Vec<RegistryConfig> = Vec::new();
        for (i, table) in tables.iter().enumerate() {
            let prefix = format!("registries[{i}]");
            let header = table.span();
            let line = header.clone().map_or(1, |s| line_col(text, s.start).0);
            let (mut name, mut url, mut priority, mut auth) = (None, None, None, None);
            for (key, value, key_span) in table.entries() {
                let full = format!("{prefix}.{key}");
                let value_span = value.and_then(|v| v.span()).or(key_span.clone());
                // A sub-table (`[registries.x]`) is no value at all.
                let type_name = value.map_or("a table", |v| v.type_name());
                let mistyped = |expected: &str| {
                    at(value_span.clone(), &full, format!("`{key}` must be {expected}, found {type_name}"))
                };
                let string = || value.and_then(|v| v.as_str()).map(str::to_owned).ok_or_else(|| mistyped("a string"));
                match key {
                    "name" => name = Some((string()?, value_span.clone())),
                    "url" => url = Some((string()?, value_span.clone())),
                    "auth" => auth = Some(string()?),
                    "priority" => {
                        let number = value.and_then(|v| v.as_integer()).ok_or_else(|| mistyped("an integer"))?;
                        priority = Some((number, value_span.clone()));
                    }
                    _ => {
                        return Err(at(
                            key_span,
                            &full,
                            format!("unknown key `{key}` (a registry has `name`, `url`, `priority` and `auth`)"),
                        ))
                    }
                }
            }
            let Some((name, name_span)) = name else {
                return Err(at(header, &format!("{prefix}.name"), "this registry has no `name`".into()));
            };
            if let Err(message) = validate_registry_name(&name) {
                return Err(at(name_span, &format!("{prefix}.name"), message));
            }
            if let Some(other) = registries.iter().find(|r| r.name == name) {
                return Err(at(
                    name_span,
                    &format!("{prefix}.name"),
                    format!("registry `{name}` is also defined on line {}", other.line),
                ));
            }
            let Some((url, url_span)) = url else {
                return Err(at(header, &format!("{prefix}.url"), format!("registry `{name}` has no `url`")));
            };
            let (priority, priority_span) = match priority {
                Some((number, span)) => (number, span),
                None => (0, header.clone()),
            };
            let registry = RegistryConfig { name, url, priority, auth, line };
            if let Err(message) = registry.location(base) {
                return Err(at(url_span, &format!("{prefix}.url"), message));
            }
            if let Some(other) = registries.iter().find(|r| r.priority == priority) {
                return Err(at(
                    priority_span,
                    &format!("{prefix}.priority"),
                    format!(
                        "registries `{}` (line {}) and `{}` (line {}) both have priority {priority}; give them different priorities so the order they are searched in is unambiguous",
                        other.name, other.line, registry.name, registry.line
                    ),
                ));
            }
            registries.push(registry);
        }
        Ok(Config { file: file.to_path_buf(), is_default: false, registries })
    }

    /// The directory relative registry paths are relative to.
    pub fn dir(&self) -> &Path {
        self.file.parent().unwrap_or(Path::new(""))
    }
}

/// What stands in for a secret in anything Torc prints.
pub const REDACTED: &str = "<redacted>";

/// Keys whose values are secrets wherever they appear (`auth = "..."`).
const SECRET_KEYS: &[&str] = &["auth", "token", "password", "secret"];

/// `text` with its secrets replaced by [`REDACTED`]: the user and password
/// of every URL (`https://user:pass@host` -> `https://<redacted>@host`)
/// and, on each line, everything after `auth =` (or `token`, `password`,
/// `secret`). Over-redacting is safe; a secret on a terminal
/// or in a CI log is not. Applied to every message and excerpt the CLI
/// prints.
pub fn redact_secrets(text: &str) -> String {
    text.split_inclusive('\n').map(|line| redact_assignment(&redact_userinfo(line))).collect()
}

fn redact_userinfo(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let end = after
            .find(|c: char| c.is_whitespace() || "/?#\"'`<>()[]{},".contains(c))
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rfind('@') {
            Some(sign) => {
                out.push_str(REDACTED);
                out.push_str(&authority[sign..]);
            }
            None => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

fn redact_assignment(line: &str) -> String {
    let lower = line.to_ascii_lowercase();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    for key in SECRET_KEYS {
        let mut from = 0;
        while let Some(found) = lower[from..].find(key) {
            let start = from + found;
            let end = start + key.len();
            from = end;
            if start > 0 && word(lower.as_bytes()[start - 1]) || lower.as_bytes().get(end).is_some_and(|&b| word(b)) {
                continue;
            }
            // `auth = `, `"auth" = `. (Not `auth:`: that is how a location
            // names the key an error is about.)
            let after = line[end..].trim_start_matches(['"', '\'']).trim_start();
            if let Some(value) = after.strip_prefix('=') {
                if value.trim().is_empty() {
                    continue;
                }
                let keep = line.len() - value.len();
                let newline = if line.ends_with('\n') { "\n" } else { "" };
                return format!("{} {REDACTED}{newline}", &line[..keep]);
            }
        }
    }
    line.to_owned()
}

/// Registry names appear in `torc.lock` and on the command line: ASCII
/// letters, digits, `-`, `_` and `.`, starting with a letter or digit.
fn validate_registry_name(name: &str) -> std::result::Result<(), String> {
    let mut chars = name.chars();
    match chars.next() {
        None => return Err("a registry name cannot be empty".into()),
        Some(c) if !c.is_ascii_alphanumeric() => {
            return Err(format!("registry name `{name}` must start with a letter or digit"))
        }
        Some(_) => {}
    }
    if let Some(c) = chars.find(|&c| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')) {
        return Err(format!("registry name `{name}`: `{c}` is not allowed (use letters, digits, `-`, `_` and `.`)"));
    }
    Ok(())
}

/// A key in a registry table, its value (`None` for a sub-table) and the
/// key's span.
type RegistryField<'a> = (&'a str, Option<&'a Value>, Option<Range<usize>>);

/// A `[[registries]]` table or an inline `{ ... }` one.
enum Registry<'a> {
    Table(&'a Table),
    Inline(&'a toml_edit::InlineTable),
}

impl<'a> Registry<'a> {
    fn span(&self) -> Option<Range<usize>> {
        match self {
            Registry::Table(table) => table.span(),
            Registry::Inline(table) => table.span(),
        }
    }

    /// (key, value, key span); the value is `None` for a sub-table.
    fn entries(&self) -> Vec<RegistryField<'a>> {
        match self {
            Registry::Table(table) => table
                .iter()
                .map(|(key, item)| {
                    (key, item.as_value(), table.key(key).and_then(|k| k.span()).or_else(|| item.span()))
                })
                .collect(),
            Registry::Inline(table) => {
                table.iter().map(|(key, value)| (key, Some(value), table.key(key).and_then(|k| k.span()))).collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        Config::parse(text, Path::new("/home/ada/.torc/config.toml"))
    }

    fn error(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    const EXAMPLE: &str = r#"
[[registries]]
name = "public"
url = "https://registry.torc-lang.org"
priority = 100

[[registries]]
name = "company-internal"
url = "file:///srv/torc"
priority = 200
auth = "token"

[[registries]]
name = "team"
url = "team-registry"
priority = -5
"#;

    #[test]
    fn reads_the_documented_example() {
        let config = parse(EXAMPLE).unwrap();
        assert!(!config.is_default);
        let names: Vec<&str> = config.registries.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["public", "company-internal", "team"]);
        let internal = &config.registries[1];
        assert_eq!((internal.priority, internal.auth.as_deref(), internal.line), (200, Some("token"), 7));
        let base = config.dir();
        assert_eq!(
            config.registries[0].location(base).unwrap(),
            RegistryUrl::Http("https://registry.torc-lang.org".into())
        );
        assert_eq!(internal.location(base).unwrap(), RegistryUrl::File("/srv/torc".into()));
        assert_eq!(
            config.registries[2].location(base).unwrap(),
            RegistryUrl::File("/home/ada/.torc/team-registry".into())
        );
    }

    #[test]
    fn secrets_are_redacted() {
        assert_eq!(redact_secrets("auth = \"s3cret"), "auth = <redacted>");
        assert_eq!(redact_secrets("  \"auth\"=\"tok\" # x\nname = \"a\"\n"), "  \"auth\"= <redacted>\nname = \"a\"\n");
        assert_eq!(
            redact_secrets("cannot write https://ada:hunter2@example.org/torc (and ftp://x@y)"),
            "cannot write https://<redacted>@example.org/torc (and ftp://<redacted>@y)"
        );
        assert_eq!(redact_secrets("url = \"https://example.org/a@b\""), "url = \"https://example.org/a@b\"");
        // Words that only contain a key, and mentions of it, stay.
        let kept = "unknown key `author` (a registry has `name`, `url`, `priority` and `auth`); `auth` must be a string";
        assert_eq!(redact_secrets(kept), kept);
        assert_eq!(redact_secrets("registries[0].auth: `auth` must be a string"), "registries[0].auth: `auth` must be a string");
    }

    proptest::proptest! {
        /// Whatever the secret and wherever the line sits, it is not in
        /// the output; the oracle is plain substring search.
        #[test]
        fn no_secret_survives_redaction(
            secret in "[A-Za-z0-9_%+!-]{6,24}",
            before in "[a-z ]{0,12}",
            quote in "[\"']?",
            closed in proptest::bool::ANY,
        ) {
            let end = if closed { quote.as_str() } else { "" };
            let assignment = format!("{before}\nauth = {quote}{secret}{end}\nurl = \"/r\"\n");
            proptest::prop_assert!(!redact_secrets(&assignment).contains(&secret));
            let url = format!("{before} https://user:{secret}@example.org/torc {before}");
            proptest::prop_assert!(!redact_secrets(&url).contains(&secret));
            let url = format!("`http://{secret}@example.org`");
            proptest::prop_assert!(!redact_secrets(&url).contains(&secret));
        }
    }

    #[test]
    fn a_malformed_auth_line_is_redacted_in_the_excerpt() {
        let err = parse("[[registries]]\nname = \"a\"\nurl = \"/r\"\nauth = \"s3cret\n").unwrap_err();
        let Error::Input { location, message } = &err else { panic!("{err:?}") };
        assert_eq!(location.line, 4, "{err}");
        let excerpt = location.excerpt.as_deref().unwrap();
        assert!(!excerpt.contains("s3cret") && !message.contains("s3cret"), "{excerpt} / {message}");
        assert!(excerpt.contains(REDACTED), "{excerpt}");
    }

    #[test]
    fn inline_tables_work_too() {
        let config = parse("registries = [{ name = \"a\", url = \"/r\", priority = 1 }]\n").unwrap();
        assert_eq!(config.registries[0].name, "a");
        assert_eq!(config.registries[0].line, 1);
    }

    #[test]
    fn file_urls_decode_escapes_and_refuse_hosts() {
        let registry =
            |url: &str| RegistryConfig { name: "r".into(), url: url.into(), priority: 0, auth: None, line: 1 };
        let base = Path::new("/base");
        assert_eq!(registry("file:///srv/my%20torc").location(base).unwrap(), RegistryUrl::File("/srv/my torc".into()));
        assert_eq!(registry("file://localhost/srv").location(base).unwrap(), RegistryUrl::File("/srv".into()));
        assert!(registry("file://server/srv").location(base).unwrap_err().contains("names a host"));
        assert!(registry("ftp://x").location(base).unwrap_err().contains("unsupported scheme `ftp`"));
    }

    #[test]
    fn an_unknown_key_names_its_line() {
        let text = "[[registries]]\nname = \"a\"\nurl = \"/r\"\npriorty = 3\n";
        assert_eq!(
            error(text),
            "/home/ada/.torc/config.toml:4:1: registries[0].priorty: unknown key `priorty` (a registry has `name`, `url`, `priority` and `auth`)"
        );
        assert!(error("mirrors = 1\n").starts_with("/home/ada/.torc/config.toml:1:1: mirrors: unknown key `mirrors`"));
        let sub_table = "[[registries]]\nname = \"a\"\nurl = \"/r\"\n[registries.extra]\nx = 1\n";
        assert!(error(sub_table).contains("registries[0].extra: unknown key `extra`"), "{}", error(sub_table));
    }

    #[test]
    fn a_shared_priority_names_both_registries_and_lines() {
        let text = "[[registries]]\nname = \"a\"\nurl = \"/a\"\npriority = 7\n\n[[registries]]\nname = \"b\"\nurl = \"/b\"\npriority = 7\n";
        let message = error(text);
        assert!(message.starts_with("/home/ada/.torc/config.toml:9:12: registries[1].priority: "), "{message}");
        assert!(message.contains("`a` (line 1) and `b` (line 6) both have priority 7"), "{message}");
    }

    #[test]
    fn wrong_types_missing_fields_and_duplicate_names_are_errors() {
        let text = "[[registries]]\nname = \"a\"\nurl = \"/a\"\npriority = \"high\"\n";
        assert!(
            error(text).starts_with(
                "/home/ada/.torc/config.toml:4:12: registries[0].priority: `priority` must be an integer, found string"
            ),
            "{}",
            error(text)
        );
        let text = "[[registries]]\nname = \"a\"\n";
        assert!(
            error(text).starts_with("/home/ada/.torc/config.toml:1:1: registries[0].url: registry `a` has no `url`"),
            "{}",
            error(text)
        );
        let text = "[[registries]]\nurl = \"/a\"\n";
        assert!(error(text).contains("registries[0].name: this registry has no `name`"), "{}", error(text));
        let text = "[[registries]]\nname = \"a\"\nurl = \"/a\"\npriority = 1\n[[registries]]\nname = \"a\"\nurl = \"/b\"\npriority = 2\n";
        assert!(
            error(text).starts_with(
                "/home/ada/.torc/config.toml:6:8: registries[1].name: registry `a` is also defined on line 1"
            ),
            "{}",
            error(text)
        );
        let text = "registries = 3\n";
        assert!(error(text).contains("must be an array of tables"), "{}", error(text));
        let text = "[[registries]]\nname = \"a\"\nurl = \"gopher://x\"\n";
        assert!(
            error(text).starts_with("/home/ada/.torc/config.toml:3:7: registries[0].url: unsupported scheme"),
            "{}",
            error(text)
        );
        assert!(error("[[registries]\n").starts_with("/home/ada/.torc/config.toml:1:"), "{}", error("[[registries]\n"));
    }

    #[test]
    fn no_config_file_means_one_local_registry_in_the_home() {
        let home = tempfile::tempdir().unwrap();
        let config = Config::load(home.path()).unwrap();
        assert!(config.is_default);
        assert_eq!(config.registries.len(), 1);
        let local = &config.registries[0];
        assert_eq!((local.name.as_str(), local.priority), ("local", 0));
        assert_eq!(local.location(config.dir()).unwrap(), RegistryUrl::File(home.path().join("registry")));

        std::fs::write(home.path().join(CONFIG_FILE), EXAMPLE).unwrap();
        assert_eq!(Config::load(home.path()).unwrap().registries.len(), 3);
    }

    #[test]
    fn the_home_is_torc_home_else_dot_torc_in_home() {
        assert_eq!(home_from(Some("/t".into()), Some("/h".into())), Some(PathBuf::from("/t")));
        assert_eq!(home_from(Some("".into()), Some("/h".into())), Some(PathBuf::from("/h/.torc")));
        assert_eq!(home_from(None, Some("/h".into())), Some(PathBuf::from("/h/.torc")));
        assert_eq!(home_from(None, None), None);
    }
}
