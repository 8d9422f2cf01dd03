//! The daemon's database, `data.redb` in the data dir (redb: one file, ACID, copy-on-write).
//! It holds what a person decided and must survive restarts: the review's pins (the approved
//! content of every tool, prompt and resource template, by server, kind and name),
//! rejections, the scanner's findings for what is held, and the activity log (finished calls,
//! [`ActivityLog`]).
//!
//! Every write is one redb transaction committed with full durability (the commit returns
//! after the fsync), so an approval is on disk before it is acknowledged. The methods block:
//! callers on the async runtime run them with `spawn_blocking` (the catalog gate's stages
//! already run on a blocking thread).
//!
//! The schema is versioned ([`schema`]): a file written by an older daemon is migrated when
//! opened, one written by a newer daemon is refused. A damaged file is never replaced: opening
//! it fails with what redb found, the file is kept, and the hint says how to start afresh.

mod activity_journal;
mod activity_log;
mod records;
mod schema;

use std::path::{Path, PathBuf};

use redb::{
    Database, ReadableDatabase as _, ReadableTable as _, ReadableTableMetadata as _,
    TableDefinition,
};

pub use self::activity_log::{ActivityLog, Retention};
pub use self::records::{Approver, Pin, Rejection, StoredReview};
pub use self::schema::SCHEMA_VERSION;
use crate::protocol::{Activity, ItemKind};

/// (server, kind, name) → JSON of a record.
type ItemTable =
    TableDefinition<'static, (&'static str, &'static str, &'static str), &'static [u8]>;

const PINS: ItemTable = TableDefinition::new("pins");
const REJECTIONS: ItemTable = TableDefinition::new("rejections");
const REVIEWS: ItemTable = TableDefinition::new("reviews");
/// Call id → JSON of its finished [`Activity`].
const ACTIVITY: TableDefinition<'static, u64, &'static [u8]> = TableDefinition::new("activity");

/// The database's page cache. redb's default is 1 GiB, which a daemon that logs every call
/// fills with activity pages it rarely reads again (the proxy bench's daemon grew from 30 to
/// 64 MiB); pins, reviews and the pages the newest calls go to fit in 1 MiB, and a listing
/// that reads further back reads the file, which the kernel caches anyway.
const CACHE_BYTES: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database {} is damaged ({detail}); it was left as it is", path.display())]
    Damaged { path: PathBuf, detail: String },
    #[error(
        "the database {} was written by a newer mcpproxy (schema {found}, this one knows up to {known})",
        path.display()
    )]
    Newer {
        path: PathBuf,
        found: u64,
        known: u64,
    },
    #[error("cannot open the database {}: {detail}", path.display())]
    Open { path: PathBuf, detail: String },
    #[error("cannot write to the database {}: {detail}", path.display())]
    Write { path: PathBuf, detail: String },
    #[error("cannot read the database {}: {detail}", path.display())]
    Read { path: PathBuf, detail: String },
}

impl StoreError {
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Damaged { path, .. } => Some(format!(
                "move it aside to start with an empty one (`mv {0} {0}.damaged`); every \
                 server's items are then scanned and pinned again, and changes made since \
                 the last approval are taken as new",
                path.display()
            )),
            Self::Newer { .. } => {
                Some("run the newer mcpproxy, or move the file aside to start afresh".to_owned())
            }
            Self::Open { .. } => Some(
                "check the data dir's owner, permissions and free space; another program may \
                 hold the file open"
                    .to_owned(),
            ),
            Self::Write { .. } | Self::Read { .. } => {
                Some("check the disk's free space and the data dir's permissions".to_owned())
            }
        }
    }
}

/// The open database.
pub struct Store {
    db: Database,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// An item's key in every table.
#[derive(Debug, Clone, Copy)]
pub struct ItemKey<'a> {
    pub server: &'a str,
    pub kind: ItemKind,
    pub name: &'a str,
}

impl ItemKey<'_> {
    fn tuple(&self) -> (&str, &str, &str) {
        (self.server, self.kind.as_str(), self.name)
    }
}

/// One write in a batch.
#[derive(Debug, Clone)]
pub enum Change {
    Pin(Pin),
    /// Removes the rejection and the stored review of the item.
    ClearRejection,
    Reject(Rejection),
    Review(StoredReview),
    ClearReview,
}

impl Store {
    /// Opens the database, creating it when absent and migrating an older schema. Blocking.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        // redb asserts on some damage (a file cut short) instead of returning an error; a
        // panic while opening is a damaged file, not a reason to bring the daemon down.
        let opened = std::panic::catch_unwind(|| {
            redb::Builder::new()
                .set_cache_size(CACHE_BYTES)
                .create(path)
        })
        .map_err(|panic| {
            let detail = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("an internal check failed");
            StoreError::Damaged {
                path: path.to_path_buf(),
                detail: format!("redb stopped on an inconsistency: {detail}"),
            }
        })?;
        let db = opened.map_err(|e| open_error(path, e))?;
        let store = Self {
            db,
            path: path.to_path_buf(),
        };
        schema::migrate(&store)?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn pin(&self, key: ItemKey<'_>) -> Result<Option<Pin>, StoreError> {
        self.get(PINS, key)
    }

    pub fn rejection(&self, key: ItemKey<'_>) -> Result<Option<Rejection>, StoreError> {
        self.get(REJECTIONS, key)
    }

    pub fn review(&self, key: ItemKey<'_>) -> Result<Option<StoredReview>, StoreError> {
        self.get(REVIEWS, key)
    }

    /// Every pin of one server, by kind and name.
    pub fn pins_of(&self, server: &str) -> Result<Vec<(ItemKind, String, Pin)>, StoreError> {
        let read = self.db.begin_read().map_err(|e| self.read_error(e))?;
        let table = match read.open_table(PINS) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(self.read_error(e)),
        };
        let range = table
            .range((server, "", "")..)
            .map_err(|e| self.read_error(e))?;
        let mut pins = Vec::new();
        for entry in range {
            let (key, value) = entry.map_err(|e| self.read_error(e))?;
            let (owner, kind, name) = key.value();
            if owner != server {
                break;
            }
            let kind: ItemKind = serde_json::from_value(serde_json::Value::String(kind.to_owned()))
                .unwrap_or(ItemKind::Unknown);
            pins.push((kind, name.to_owned(), self.decode(value.value())?));
        }
        Ok(pins)
    }

    /// Applies every change in one transaction, durable when this returns.
    pub fn apply(&self, changes: &[(ItemKey<'_>, Change)]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let write = self.db.begin_write().map_err(|e| self.write_error(e))?;
        {
            let mut pins = write.open_table(PINS).map_err(|e| self.write_error(e))?;
            let mut rejections = write
                .open_table(REJECTIONS)
                .map_err(|e| self.write_error(e))?;
            let mut reviews = write.open_table(REVIEWS).map_err(|e| self.write_error(e))?;
            for (key, change) in changes {
                let key = key.tuple();
                let done = match change {
                    Change::Pin(pin) => pins.insert(key, encode(pin).as_slice()).map(drop),
                    Change::Reject(rejection) => rejections
                        .insert(key, encode(rejection).as_slice())
                        .map(drop),
                    Change::Review(review) => {
                        reviews.insert(key, encode(review).as_slice()).map(drop)
                    }
                    Change::ClearRejection => rejections.remove(key).map(drop),
                    Change::ClearReview => reviews.remove(key).map(drop),
                };
                done.map_err(|e| self.write_error(e))?;
            }
        }
        commit(write).map_err(|e| self.write_error(e))
    }

    /// Writes finished calls in one durable transaction (a call already on record is
    /// written again, unchanged), then drops the oldest beyond `retention`.
    pub fn append_activity(
        &self,
        calls: &[Activity],
        retention: Retention,
    ) -> Result<(), StoreError> {
        let write = self.db.begin_write().map_err(|e| self.write_error(e))?;
        {
            let mut table = write
                .open_table(ACTIVITY)
                .map_err(|e| self.write_error(e))?;
            for call in calls {
                table
                    .insert(call.id, encode(call).as_slice())
                    .map_err(|e| self.write_error(e))?;
            }
            let excess = table
                .len()
                .map_err(|e| self.read_error(e))?
                .saturating_sub(retention.keep);
            for _ in 0..excess {
                table.pop_first().map_err(|e| self.write_error(e))?;
            }
            // Ids rise with time (closely enough: a call's id is taken when it starts), so
            // the too old are at the front.
            if let Some(oldest) = retention.oldest {
                loop {
                    let too_old = match table.first().map_err(|e| self.read_error(e))? {
                        Some((_, value)) => self.decode::<Activity>(value.value())?.at < oldest,
                        None => false,
                    };
                    if !too_old {
                        break;
                    }
                    table.pop_first().map_err(|e| self.write_error(e))?;
                }
            }
        }
        commit(write).map_err(|e| self.write_error(e))
    }

    /// Finished calls that pass `keep`, newest first, at most `limit`, only those with an id
    /// below `before` when given (the next page of a long listing).
    pub fn activity(
        &self,
        limit: usize,
        before: Option<u64>,
        mut keep: impl FnMut(&Activity) -> bool,
    ) -> Result<Vec<Activity>, StoreError> {
        let mut calls = Vec::new();
        self.scan_activity(before, |call| {
            if calls.len() >= limit {
                return false;
            }
            if keep(&call) {
                calls.push(call);
            }
            calls.len() < limit
        })?;
        Ok(calls)
    }

    /// Visits finished calls newest first (below `before` when given) until `visit` says
    /// stop.
    pub fn scan_activity(
        &self,
        before: Option<u64>,
        mut visit: impl FnMut(Activity) -> bool,
    ) -> Result<(), StoreError> {
        let read = self.db.begin_read().map_err(|e| self.read_error(e))?;
        let table = match read.open_table(ACTIVITY) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(()),
            Err(e) => return Err(self.read_error(e)),
        };
        let range = table
            .range(..before.unwrap_or(u64::MAX))
            .map_err(|e| self.read_error(e))?;
        for entry in range.rev() {
            let (_, value) = entry.map_err(|e| self.read_error(e))?;
            if !visit(self.decode(value.value())?) {
                break;
            }
        }
        Ok(())
    }

    /// One finished call.
    pub fn activity_call(&self, id: u64) -> Result<Option<Activity>, StoreError> {
        let read = self.db.begin_read().map_err(|e| self.read_error(e))?;
        let table = match read.open_table(ACTIVITY) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(self.read_error(e)),
        };
        match table.get(id).map_err(|e| self.read_error(e))? {
            Some(value) => self.decode(value.value()).map(Some),
            None => Ok(None),
        }
    }

    /// The highest call id on record, so ids go on rising after a restart.
    pub fn last_activity_id(&self) -> Result<u64, StoreError> {
        let read = self.db.begin_read().map_err(|e| self.read_error(e))?;
        let table = match read.open_table(ACTIVITY) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(0),
            Err(e) => return Err(self.read_error(e)),
        };
        Ok(table
            .last()
            .map_err(|e| self.read_error(e))?
            .map_or(0, |(key, _)| key.value()))
    }

    fn get<T: serde::de::DeserializeOwned>(
        &self,
        table: ItemTable,
        key: ItemKey<'_>,
    ) -> Result<Option<T>, StoreError> {
        let read = self.db.begin_read().map_err(|e| self.read_error(e))?;
        let table = match read.open_table(table) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(self.read_error(e)),
        };
        match table.get(key.tuple()).map_err(|e| self.read_error(e))? {
            Some(value) => self.decode(value.value()).map(Some),
            None => Ok(None),
        }
    }

    fn decode<T: serde::de::DeserializeOwned>(&self, bytes: &[u8]) -> Result<T, StoreError> {
        serde_json::from_slice(bytes).map_err(|e| StoreError::Damaged {
            path: self.path.clone(),
            detail: format!("a record does not parse: {e}"),
        })
    }

    fn read_error(&self, error: impl Into<redb::Error>) -> StoreError {
        classify(&self.path, error.into(), |path, detail| StoreError::Read {
            path,
            detail,
        })
    }

    fn write_error(&self, error: impl Into<redb::Error>) -> StoreError {
        classify(&self.path, error.into(), |path, detail| StoreError::Write {
            path,
            detail,
        })
    }
}

/// Commits with full durability: the data is on disk when this returns.
#[expect(
    clippy::disallowed_methods,
    reason = "the store's methods are blocking by contract; async callers run them with spawn_blocking"
)]
fn commit(write: redb::WriteTransaction) -> Result<(), redb::CommitError> {
    write.commit()
}

fn encode<T: serde::Serialize>(record: &T) -> Vec<u8> {
    // Records are plain structs of strings and JSON values: serializing cannot fail.
    serde_json::to_vec(record).unwrap_or_default()
}

fn open_error(path: &Path, error: redb::DatabaseError) -> StoreError {
    classify(path, error.into(), |path, detail| StoreError::Open {
        path,
        detail,
    })
}

/// A corruption is [`StoreError::Damaged`] whatever was being done; the rest is `otherwise`.
fn classify(
    path: &Path,
    error: redb::Error,
    otherwise: impl FnOnce(PathBuf, String) -> StoreError,
) -> StoreError {
    match error {
        redb::Error::Corrupted(detail) => StoreError::Damaged {
            path: path.to_path_buf(),
            detail,
        },
        redb::Error::UpgradeRequired(version) => StoreError::Damaged {
            path: path.to_path_buf(),
            detail: format!("file format {version} is not one this redb reads"),
        },
        // What redb says when the header is not one of its own.
        redb::Error::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
            StoreError::Damaged {
                path: path.to_path_buf(),
                detail: format!("not a database redb can read ({io})"),
            }
        }
        other => otherwise(path.to_path_buf(), other.to_string()),
    }
}

#[cfg(test)]
mod tests;
