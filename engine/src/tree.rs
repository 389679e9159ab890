//! `torc tree`.
