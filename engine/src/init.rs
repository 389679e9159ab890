//! `torc init`: a new package directory with a manifest for its kind.
