//! `torc add`: editing a manifest's dependencies in place, keeping its formatting.
