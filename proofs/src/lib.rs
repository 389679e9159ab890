//! Proof libraries: lemmas about contract terms, an index that finds the
//! lemmas whose conclusion generalises a goal, and proof search that tries
//! lemmas before falling back to Z3.
//!
//! - `term`: the terms the index speaks (first-order, with pattern variables).
//! - `index`: the discrimination tree, flattened into arrays in an `rkyv`
//!   archive, validated in full when opened (whoever wrote the file), then
//!   read in place.
//! - `lemma`: lemma files and proof libraries.
//! - `metamath`: set.mm conclusions as index terms.
//! - `search`: proof search with a cache and witnesses; a stored proof is
//!   reused only where every lemma and axiom it used is installed with the
//!   same statement, under the same Torc and Z3.

pub mod index;
pub mod term;
pub mod lemma;
pub mod metamath;
pub mod search;
