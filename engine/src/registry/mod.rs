//! Registries: the file registry, `~/.torc/config.toml`, and choosing the
//! registry each package name comes from.
//!
//! - [`config`]: the torc home and its `config.toml` (which registries, in
//!   what priority).
//! - [`file`]: [`FileRegistry`], a directory of index files and
//!   content-addressed archives; publish and yank.
//! - [`index`]: the index line format ([`IndexEntry`]).
//! - [`archive`]: deterministic package archives.
//! - [`release`]: a published release read back, its manifest checked
//!   against its index line.
//!
//! [`Registries`] puts the configured registries in priority order. A
//! package name always comes from exactly one registry, the highest-priority
//! one that has it; lower ones are not consulted for that name. That is the
//! defence against dependency confusion: publishing `company-secret` to a
//! public registry cannot shadow or mix with the internal one, as long as
//! the internal registry has the higher priority.
//!
//! ```
//! use torc_engine::registry::{Config, Registries};
//! let home = tempfile::tempdir().unwrap();
//! // Without a config.toml: one file registry, `local`, at <home>/registry.
//! let registries = Registries::from_config(&Config::load(home.path()).unwrap()).unwrap();
//! assert_eq!(registries.names(), ["local"]);
//! assert!(registries.lookup("torc-pid").unwrap().is_none());
//! assert_eq!(registries.target(None).unwrap().root(), home.path().join("registry"));
//! ```

pub mod archive;
pub mod config;
pub mod file;
pub mod index;
pub mod release;

pub use config::{torc_home, Config, RegistryConfig, RegistryUrl};
pub use file::FileRegistry;
pub use index::{IndexDependency, IndexEntry};
pub use release::{read_release_manifest, release_manifest, Release};

use crate::error::{Error, Location, Result};
use std::path::Path;

/// One configured registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    File(FileRegistry),
    /// Configured but not readable yet: the HTTP client is a later issue.
    Http {
        name: String,
        url: String,
    },
}

impl Source {
    pub fn name(&self) -> &str {
        match self {
            Source::File(registry) => registry.name(),
            Source::Http { name, .. } => name,
        }
    }
}

/// The configured registries, highest priority first.
#[derive(Clone, Debug)]
pub struct Registries {
    sources: Vec<Source>,
}

impl Registries {
    /// Registries searched in the order given (the first is the highest
    /// priority).
    pub fn new(sources: Vec<Source>) -> Registries {
        Registries { sources }
    }

    /// The registries `config` lists, sorted by priority. `file://` URLs and
    /// paths become [`FileRegistry`]s (their directories need not exist);
    /// `http(s)://` URLs become [`Source::Http`].
    pub fn from_config(config: &Config) -> Result<Registries> {
        let mut configured: Vec<&RegistryConfig> = config.registries.iter().collect();
        // Stable: a hand-built config with equal priorities keeps file order
        // (`Config::parse` refuses equal priorities).
        configured.sort_by_key(|r| std::cmp::Reverse(r.priority));
        let mut sources = Vec::with_capacity(configured.len());
        for registry in configured {
            let source = match registry.location(config.dir()) {
                Ok(RegistryUrl::File(root)) => Source::File(FileRegistry::new(&registry.name, root)),
                Ok(RegistryUrl::Http(url)) => Source::Http { name: registry.name.clone(), url },
                Err(message) => {
                    return Err(Error::input(Location::new(&config.file, registry.line.max(1), 1, "url"), message))
                }
            };
            sources.push(source);
        }
        Ok(Registries { sources })
    }

    /// The registries of the torc home ([`torc_home`]).
    pub fn load() -> Result<Registries> {
        Registries::load_from(&torc_home()?)
    }

    /// The registries of the torc home `home`.
    pub fn load_from(home: &Path) -> Result<Registries> {
        Registries::from_config(&Config::load(home)?)
    }

    /// Registry names, highest priority first.
    pub fn names(&self) -> Vec<&str> {
        self.sources.iter().map(Source::name).collect()
    }

    /// The registries, highest priority first.
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// The highest-priority registry that has `name`, and its entries;
    /// `None` when no registry has it.
    ///
    /// A name is never mixed across registries: once one registry has it,
    /// lower-priority registries are not consulted (dependency-confusion
    /// defence). A file registry whose directory does not exist counts as
    /// empty. An HTTP registry reached before the name is found is an
    /// error: it cannot be read yet, so we cannot know whether it has the
    /// name, and answering from a lower registry could pick the wrong
    /// package (fail closed).
    pub fn lookup(&self, name: &str) -> Result<Option<(&FileRegistry, Vec<IndexEntry>)>> {
        for source in &self.sources {
            match source {
                Source::File(registry) => {
                    if let Some(entries) = registry.entries(name)? {
                        return Ok(Some((registry, entries)));
                    }
                }
                Source::Http { name: registry, url } => {
                    return Err(Error::Registry {
                        registry: registry.clone(),
                        message: format!(
                            "reading HTTP registries is not supported yet (only file registries); cannot tell whether {url} has `{name}`, and a lower-priority registry must not answer for it (remove the registry from config.toml or point it at a directory)"
                        ),
                    });
                }
            }
        }
        Ok(None)
    }

    /// Where `torc publish` and `torc yank` write: the registry called
    /// `name`, or the highest-priority one when `None` (so private code
    /// never goes to a public registry by default). It must be a file
    /// registry.
    pub fn target(&self, name: Option<&str>) -> Result<&FileRegistry> {
        let source = match name {
            Some(name) => self.sources.iter().find(|s| s.name() == name).ok_or_else(|| Error::Registry {
                registry: name.to_owned(),
                message: if self.sources.is_empty() {
                    "no such registry: none are configured".to_owned()
                } else {
                    format!("no such registry is configured (configured: {})", self.names().join(", "))
                },
            })?,
            None => self.sources.first().ok_or_else(|| Error::Registry {
                registry: String::new(),
                message: "no registries are configured (add a [[registries]] table to config.toml)".to_owned(),
            })?,
        };
        match source {
            Source::File(registry) => Ok(registry),
            Source::Http { name, url } => Err(Error::Registry {
                registry: name.clone(),
                message: format!(
                    "publishing to HTTP registries is not supported yet (only file registries); {url} cannot be written"
                ),
            }),
        }
    }
}

#[cfg(test)]
mod tests;
