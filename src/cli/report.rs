//! How engine errors reach the user: a message on stderr, the offending
//! source line with a caret when the error points into a file, and an exit
//! code per kind of failure.
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | success |
//! | 1 | no set of versions satisfies the requirements (also a cycle, or a package no registry has) |
//! | 2 | bad input: usage, a malformed manifest, lockfile, index, config or requirement |
//! | 3 | the registry refused: version already published, unknown version, unusable registry, changed artifact, an archive that is not what its index line says, a gate refusal (also `torc bump` when the version is too low) |
//! | 4 | the project's policy refused: `[trust]`, or `--locked` with a lockfile that would change |
//! | 5 | the file system failed |
//! | 6 | `torc verify`: a contract at a module boundary is not proved (failed, or Z3 could not decide); also `torc tree`, which checks the boundaries |

use std::process::ExitCode;
use torc_engine::error::{ErrorKind, Location};
use torc_engine::registry::config::redact_secrets;
use torc_engine::Error;

pub const UNRESOLVABLE: u8 = 1;
pub const BAD_INPUT: u8 = 2;
pub const REFUSED: u8 = 3;
pub const POLICY: u8 = 4;
pub const IO: u8 = 5;
pub const UNVERIFIED: u8 = 6;

pub fn exit_code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::Unresolvable => UNRESOLVABLE,
        ErrorKind::BadInput => BAD_INPUT,
        ErrorKind::Refused => REFUSED,
        ErrorKind::Policy => POLICY,
        ErrorKind::Io => IO,
    }
}

/// Prints `error` to stderr, secrets redacted, and returns its exit code.
pub fn fail(error: &Error) -> ExitCode {
    eprintln!("error: {}", redact_secrets(&error.to_string()));
    let location = match error {
        Error::Input { location, .. } | Error::Trust { location, .. } => Some(location),
        _ => None,
    };
    if let Some(snippet) = location.and_then(snippet) {
        eprint!("{snippet}");
    }
    ExitCode::from(exit_code(error.kind()))
}

/// The line `location` points at, with a caret under its column:
///
/// ```text
///    |
/// 14 | stak = "<= 256 bytes"
///    | ^
/// ```
///
/// Only from the excerpt the parser kept with the error: the file is never
/// opened again (it may be a FIFO, a device, or a link that has moved).
fn snippet(location: &Location) -> Option<String> {
    let line = redact_secrets(location.excerpt.as_deref()?);
    let line = line.as_str();
    let number = location.line.to_string();
    let pad = " ".repeat(number.len());
    let caret_at: String = line
        .chars()
        .take(location.column.saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    Some(format!("{pad} |\n{number} | {line}\n{pad} | {caret_at}^\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_excerpt_comes_from_the_error_never_from_the_file() {
        // A path that exists and would show something if it were read.
        let file = std::env::current_exe().unwrap();
        assert_eq!(snippet(&Location::new(&file, 1, 1, "")), None);
        let located = Location::in_text(&file, "a = 1\nstak = \"<= 256 bytes\"\n", 2, 1, "stak");
        assert_eq!(snippet(&located).unwrap(), "  |\n2 | stak = \"<= 256 bytes\"\n  | ^\n");
    }

    #[test]
    fn an_excerpt_is_redacted() {
        let located = Location::in_text("config.toml", "auth = \"tok", 1, 8, "");
        let shown = snippet(&located).unwrap();
        assert!(!shown.contains("tok") && shown.contains("<redacted>"), "{shown}");
    }
}
