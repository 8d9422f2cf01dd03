//! The schema version and the way from each older version to the next. A migration is a
//! function over one write transaction; they run in order, each committed with the version
//! it reaches, so an interrupted upgrade resumes where it stopped.

use redb::{ReadableTable as _, TableDefinition, WriteTransaction};

use super::{ACTIVITY, PINS, REJECTIONS, REVIEWS, Store, StoreError};

/// The version this daemon writes. Version 0 is a file with no `meta` table (just created).
pub const SCHEMA_VERSION: u64 = 2;

pub(super) const META: TableDefinition<'static, &'static str, u64> = TableDefinition::new("meta");
pub(super) const VERSION_KEY: &str = "schema_version";

type Migration = fn(&WriteTransaction) -> Result<(), redb::Error>;

/// `MIGRATIONS[n]` takes a file from version `n` to `n + 1`.
const MIGRATIONS: [Migration; SCHEMA_VERSION as usize] = [create_tables, create_activity];

/// Version 1: the review's tables.
fn create_tables(write: &WriteTransaction) -> Result<(), redb::Error> {
    write.open_table(PINS)?;
    write.open_table(REJECTIONS)?;
    write.open_table(REVIEWS)?;
    Ok(())
}

/// Version 2: the activity log.
fn create_activity(write: &WriteTransaction) -> Result<(), redb::Error> {
    write.open_table(ACTIVITY)?;
    Ok(())
}

/// Brings the file to [`SCHEMA_VERSION`]; refuses one from a newer daemon.
pub(super) fn migrate(store: &Store) -> Result<(), StoreError> {
    loop {
        let write = store.db.begin_write().map_err(|e| store.write_error(e))?;
        let found = {
            let meta = write.open_table(META).map_err(|e| store.write_error(e))?;
            meta.get(VERSION_KEY)
                .map_err(|e| store.read_error(e))?
                .map_or(0, |v| v.value())
        };
        if found > SCHEMA_VERSION {
            return Err(StoreError::Newer {
                path: store.path.clone(),
                found,
                known: SCHEMA_VERSION,
            });
        }
        let Some(step) = usize::try_from(found).ok().and_then(|n| MIGRATIONS.get(n)) else {
            // Up to date: nothing to commit.
            write.abort().map_err(|e| store.write_error(e))?;
            return Ok(());
        };
        step(&write).map_err(|e| store.write_error(e))?;
        {
            let mut meta = write.open_table(META).map_err(|e| store.write_error(e))?;
            meta.insert(VERSION_KEY, found + 1)
                .map_err(|e| store.write_error(e))?;
        }
        super::commit(write).map_err(|e| store.write_error(e))?;
        tracing::info!(
            path = %store.path.display(),
            from = found,
            to = found + 1,
            "database schema upgraded"
        );
    }
}
