//! Reading `torc.toml` and `spec.yaml` into a [`Manifest`](crate::package::Manifest).
