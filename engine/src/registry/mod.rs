//! Registries: the file registry, `~/.torc/config.toml`, and choosing the registry each package name comes from.
