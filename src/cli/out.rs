//! Where every command's output goes. `println!`, `print!`, `eprintln!`
//! and `eprint!` are redefined here for the whole CLI (these macros shadow
//! std's in every module declared after `out` in `cli/mod.rs`), because
//! std's panic when a write fails, and a closed stdout is normal: `torc
//! verify --format json | head -c 20`.
//!
//! A closed stdout (EPIPE) is the end of the output: later writes are
//! dropped, the command runs to its end and exits with its own code, so
//! `torc verify` still exits 6 when something is not verified, whoever
//! reads the report. Any other failure to write stdout (a full disk)
//! drops the rest too, and [`finish`] reports it once: exit 5 if the
//! command would have succeeded. Writes to stderr that fail are dropped:
//! there is nowhere left to say so.

use std::fmt;
use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Set once a write to stdout failed; later ones are dropped.
static STDOUT_DONE: AtomicBool = AtomicBool::new(false);
/// Why, unless it was a closed pipe.
static STDOUT_ERROR: Mutex<Option<io::Error>> = Mutex::new(None);

macro_rules! println {
    () => { $crate::cli::out::stdout(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::cli::out::stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

macro_rules! print {
    ($($arg:tt)*) => { $crate::cli::out::stdout(format_args!($($arg)*)) };
}

macro_rules! eprintln {
    () => { $crate::cli::out::stderr(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::cli::out::stderr(format_args!("{}\n", format_args!($($arg)*))) };
}

macro_rules! eprint {
    ($($arg:tt)*) => { $crate::cli::out::stderr(format_args!($($arg)*)) };
}

/// Writes to stdout unless an earlier write failed.
pub fn stdout(args: fmt::Arguments<'_>) {
    if STDOUT_DONE.load(Ordering::Relaxed) {
        return;
    }
    if let Err(e) = io::stdout().lock().write_fmt(args) {
        stdout_failed(e);
    }
}

fn stdout_failed(e: io::Error) {
    if !STDOUT_DONE.swap(true, Ordering::Relaxed) && e.kind() != io::ErrorKind::BrokenPipe {
        *STDOUT_ERROR.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(e);
    }
}

pub fn stderr(args: fmt::Arguments<'_>) {
    let _ = io::stderr().lock().write_fmt(args);
}

/// Flushes stdout and gives the command's exit code, or 5 when it
/// succeeded but its output could not be written (a closed pipe is not a
/// failure).
pub fn finish(code: ExitCode) -> ExitCode {
    if !STDOUT_DONE.load(Ordering::Relaxed) {
        if let Err(e) = io::stdout().lock().flush() {
            stdout_failed(e);
        }
    }
    match STDOUT_ERROR.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take() {
        Some(e) => {
            let _ = writeln!(io::stderr(), "error: cannot write the output: {e}");
            if code == ExitCode::SUCCESS {
                ExitCode::from(super::report::IO)
            } else {
                code
            }
        }
        None => code,
    }
}
