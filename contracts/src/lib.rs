//! Contracts on the interface ports of Torc modules, and the checks between
//! two releases of a module that decide which semver bump a change needs.
//!
//! This is the only crate that talks to Z3.
//!
//! - [`syntax`], [`parse`]: the contract language as written, with spans.
//! - [`check`]: names, types, predicate expansion: [`syntax::Expr`] to [`term::Term`].
//! - [`interface`]: a module's ports with checked contracts.
//! - [`eval`]: native evaluation (Rust `f32`/`f64`, wrapping integers).
//! - [`smt`]: the Z3 encoding (IEEE floating point, bit-vectors).
//! - [`prove`]: validity of `assumptions => goal`, counterexamples re-checked natively.
//! - [`compat`]: behavioural subtyping between two releases, port by port.

pub mod check;
pub mod compat;
pub mod eval;
pub mod interface;
pub mod parse;
pub mod prove;
pub mod smt;
pub mod syntax;
pub mod term;
