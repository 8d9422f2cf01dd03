//! The activity log's journal, `activity.journal` beside `data.redb`: finished calls as JSON
//! lines, each appended with one `write(2)` before the call's response is sent. A write that
//! returned is in the kernel's page cache, so it outlives a `kill -9` of the daemon (not a
//! power loss) without waiting for the disk; the writer commits the calls to the database in
//! batches, each durably, and only then forgets their journal.
//!
//! The writer rotates the journal (`activity.journal` → `activity.journal.1`) at the moment
//! it takes a batch, so the rotated file holds exactly the calls of batches not yet
//! committed. Opening the log replays the rotated file, then the live one.

use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use crate::protocol::Activity;

/// The live journal and the rotated one, by path; the live one open for appending.
#[derive(Debug)]
pub(super) struct Journal {
    live: PathBuf,
    rotated: PathBuf,
    /// `None` after a failed rotation: calls still reach the database, unjournaled.
    file: Option<File>,
}

impl Journal {
    /// Opens the live journal for appending (created when absent); `live` with `.1` appended
    /// names the rotated one.
    pub(super) fn open(live: &Path) -> io::Result<Self> {
        let mut rotated = live.as_os_str().to_owned();
        rotated.push(".1");
        Ok(Self {
            file: Some(open_append(live)?),
            live: live.to_path_buf(),
            rotated: PathBuf::from(rotated),
        })
    }

    /// Appends one line (which ends in `\n`) with one write.
    pub(super) fn append(&mut self, line: &[u8]) -> io::Result<()> {
        match &mut self.file {
            Some(file) => file.write_all(line),
            None => Err(io::Error::other("the journal could not be reopened")),
        }
    }

    /// Moves what the live journal holds to the rotated one and starts the live one empty.
    /// After a failed commit the rotated file is still there (its calls wait for the next
    /// one): the live journal's lines are then added to it.
    pub(super) fn rotate(&mut self) -> io::Result<()> {
        if self.rotated.exists() {
            let mut from = File::open(&self.live)?;
            let mut to = open_append(&self.rotated)?;
            io::copy(&mut from, &mut to)?;
            return match &self.file {
                Some(file) => file.set_len(0),
                None => {
                    self.file = Some(open_append(&self.live)?);
                    Ok(())
                }
            };
        }
        std::fs::rename(&self.live, &self.rotated)?;
        // The old handle now writes to the rotated file, which goes once committed: it must
        // not take another line.
        self.file = None;
        self.file = Some(open_append(&self.live)?);
        Ok(())
    }

    /// Forgets the rotated journal once its calls are committed.
    pub(super) fn committed(&self) -> io::Result<()> {
        match std::fs::remove_file(&self.rotated) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// The calls of the rotated journal, then of the live one: what a stopped daemon had not
    /// committed. Lines that do not parse are counted, not returned: the last one may be cut
    /// short by a crash during its write.
    pub(super) fn uncommitted(&self) -> io::Result<(Vec<Activity>, usize)> {
        let mut calls = Vec::new();
        let mut unreadable = 0;
        for path in [&self.rotated, &self.live] {
            let text = match std::fs::read(path) {
                Ok(text) => text,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            let mut lines = text.split(|b| *b == b'\n').peekable();
            while let Some(line) = lines.next() {
                // The piece after the last `\n`: empty, or a line whose write was cut short.
                if lines.peek().is_none() {
                    unreadable += usize::from(!line.is_empty());
                    break;
                }
                match serde_json::from_slice::<Activity>(line) {
                    Ok(call) => calls.push(call),
                    Err(_) => unreadable += 1,
                }
            }
        }
        Ok((calls, unreadable))
    }

    /// Empties both journals once their calls are committed.
    pub(super) fn clear(&mut self) -> io::Result<()> {
        self.committed()?;
        match &self.file {
            Some(file) => file.set_len(0),
            None => Ok(()),
        }
    }
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}
