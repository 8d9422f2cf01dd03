//! Moving literal secrets out of configs: `secret migrate` (the config file, edited in
//! place with its comments kept) and `config import` (the servers being imported, before
//! they are written).

use std::path::Path;

use serde::Serialize;

use super::detect::{self, Literal};
use super::{SecretError, SecretStore, mask};
use crate::config::import::ImportSource;
use crate::config::{ConfigFile, EditError, ServerConfig};

/// One secret that was (or, in a dry run, would be) moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Moved {
    pub server: String,
    /// `headers.Authorization`, `env.GITHUB_TOKEN`.
    pub place: String,
    /// The name it is stored under.
    pub secret: String,
    /// How a person tells it apart: `••••` and its last two characters.
    pub masked: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("{0}")]
    Secret(#[from] SecretError),
    #[error("{0}")]
    Edit(#[from] EditError),
}

impl MigrateError {
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Secret(e) => e.hint(),
            Self::Edit(_) => None,
        }
    }
}

/// Stores every literal of `server` (unless `dry_run`) and puts references in their place.
/// A name already holding another value gets a suffix (`_2`, ...).
fn take(
    name: &str,
    server: &mut ServerConfig,
    store: &SecretStore,
    dry_run: bool,
) -> Result<Vec<Literal>, SecretError> {
    let mut literals = detect::find(name, server);
    for literal in &mut literals {
        let base = literal.secret_name.clone();
        let mut candidate = base.clone();
        let mut n = 1;
        while let Some(existing) = store.get(&candidate)? {
            if existing == literal.value {
                break;
            }
            n += 1;
            candidate = format!("{base}_{n}");
        }
        if candidate != base {
            literal.replacement = literal.replacement.replace(
                &format!("${{secret:{base}}}"),
                &format!("${{secret:{candidate}}}"),
            );
            literal.secret_name = candidate;
        }
        if !dry_run {
            store.set(&literal.secret_name, &literal.value)?;
        }
    }
    detect::replace(server, &literals);
    Ok(literals)
}

fn moved(literal: &Literal) -> Moved {
    Moved {
        server: literal.server.clone(),
        place: format!("{}.{}", literal.section.key(), literal.key),
        secret: literal.secret_name.clone(),
        masked: mask(&literal.value),
    }
}

/// The servers about to be imported, with their literal secrets stored and referenced.
pub fn take_from_import(
    sources: &mut [ImportSource],
    store: &SecretStore,
    dry_run: bool,
) -> Result<Vec<Moved>, SecretError> {
    let mut all = Vec::new();
    for source in sources {
        for imported in &mut source.servers {
            let literals = take(&imported.name, &mut imported.server, store, dry_run)?;
            all.extend(literals.iter().map(moved));
        }
    }
    Ok(all)
}

/// `secret migrate`: the literal secrets in the config file, moved to the store and
/// replaced by references in the file (comments and layout kept).
pub fn migrate_config(
    path: &Path,
    store: &SecretStore,
    dry_run: bool,
) -> Result<Vec<Moved>, MigrateError> {
    let mut file = ConfigFile::open(path)?;
    let raw = crate::config::parse_unexpanded(path, &file.text()).map_err(|invalid| {
        EditError::Refused {
            path: path.to_path_buf(),
            invalid,
        }
    })?;
    let mut all = Vec::new();
    for (name, server) in raw.servers {
        let mut server = server;
        let literals = take(&name, &mut server, store, dry_run)?;
        for literal in &literals {
            file.set_entry(
                &name,
                literal.section.key(),
                &literal.key,
                &literal.replacement,
            )?;
        }
        all.extend(literals.iter().map(moved));
    }
    // A dry run stored nothing, so the edited file's references would not resolve yet:
    // it is not checked, only reported.
    if !all.is_empty() && !dry_run {
        file.save()?;
    }
    Ok(all)
}
