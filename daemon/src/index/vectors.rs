//! Where tool vectors are kept between runs, keyed by a hash of the text they were made
//! from, so a restart or a changed tool list embeds only the tools whose text changed.
//!
//! The daemon's store implements [`VectorCache`]; [`FileVectorCache`] (an append-only file)
//! and [`MemoryVectorCache`] serve the commands and tests.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use super::model::{DIMENSIONS, MODEL_NAME};

/// Identifies the text a vector was made from (and the model that made it): the first 16
/// bytes of sha256(model name, NUL, text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TextKey(pub [u8; 16]);

impl TextKey {
    pub fn of(text: &str) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(MODEL_NAME.as_bytes());
        hasher.update([0]);
        hasher.update(text.as_bytes());
        let digest = hasher.finalize();
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        Self(key)
    }

    pub fn to_hex(self) -> String {
        super::model::hex(&self.0)
    }
}

/// A store of vectors by [`TextKey`]. Lookups that fail are misses; writes that fail are
/// logged by the implementation and cost only a re-embedding later.
pub trait VectorCache: Send + Sync {
    fn get(&self, key: &TextKey) -> Option<Vec<f32>>;
    fn put(&self, key: &TextKey, vector: &[f32]);
    /// Told which vectors the tools indexed now use, once every tool has its vector; a cache
    /// may drop the others to stay bounded (they are made again if their text comes back).
    fn keep_only(&self, _live: &HashSet<TextKey>) {}
}

/// Vectors in memory only.
#[derive(Debug, Default)]
pub struct MemoryVectorCache {
    vectors: Mutex<HashMap<TextKey, Vec<f32>>>,
}

impl VectorCache for MemoryVectorCache {
    fn get(&self, key: &TextKey) -> Option<Vec<f32>> {
        let vectors = self.vectors.lock().unwrap_or_else(|e| e.into_inner());
        vectors.get(key).cloned()
    }

    fn put(&self, key: &TextKey, vector: &[f32]) {
        let mut vectors = self.vectors.lock().unwrap_or_else(|e| e.into_inner());
        vectors.insert(*key, vector.to_vec());
    }
}

/// One record of the file: the key, then the vector as little-endian f32s.
const RECORD: usize = 16 + DIMENSIONS * 4;

/// Vectors no indexed tool uses that the file keeps before it is rewritten without them:
/// tools whose text changed, servers removed. Re-making one costs ~30 ms of background CPU,
/// keeping one 1.5 KiB of memory and disk, so a few are kept for servers that come back.
const STALE_KEPT: usize = 1_000;

/// Vectors in one append-only file of fixed-size records, read whole when opened. A torn
/// last record (a crash mid-write) is ignored and overwritten. When the records no indexed
/// tool uses outnumber the used ones (and [`STALE_KEPT`]), the file is rewritten with the
/// used ones only, so descriptions that change on every start do not grow it for ever.
#[derive(Debug)]
pub struct FileVectorCache {
    path: PathBuf,
    memory: MemoryVectorCache,
    file: Mutex<Option<BufWriter<File>>>,
}

impl FileVectorCache {
    pub fn open(path: &Path) -> std::io::Result<Self> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let memory = MemoryVectorCache::default();
        let mut whole = 0u64;
        if let Ok(file) = File::open(path) {
            let mut reader = BufReader::new(file);
            let mut record = vec![0u8; RECORD];
            while reader.read_exact(&mut record).is_ok() {
                let mut key = [0u8; 16];
                key.copy_from_slice(&record[..16]);
                let vector = record[16..]
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect();
                let mut vectors = memory.vectors.lock().unwrap_or_else(|e| e.into_inner());
                vectors.insert(TextKey(key), vector);
                whole += RECORD as u64;
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        file.set_len(whole)?;
        let mut writer = BufWriter::new(file);
        std::io::Seek::seek(&mut writer, std::io::SeekFrom::Start(whole))?;
        Ok(Self {
            path: path.to_owned(),
            memory,
            file: Mutex::new(Some(writer)),
        })
    }

    /// How many vectors the cache holds.
    pub fn len(&self) -> usize {
        let vectors = self
            .memory
            .vectors
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        vectors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes `vectors` to a new file and puts it in place of the old one in one rename.
    fn rewrite(&self, vectors: &HashMap<TextKey, Vec<f32>>) -> std::io::Result<BufWriter<File>> {
        let fresh = self.path.with_extension("bin.new");
        let mut writer = BufWriter::new(File::create(&fresh)?);
        for (key, vector) in vectors {
            writer.write_all(&record(key, vector))?;
        }
        writer.flush()?;
        std::fs::rename(&fresh, &self.path)?;
        std::io::Seek::seek(&mut writer, std::io::SeekFrom::End(0))?;
        Ok(writer)
    }
}

fn record(key: &TextKey, vector: &[f32]) -> Vec<u8> {
    let mut record = Vec::with_capacity(RECORD);
    record.extend_from_slice(&key.0);
    for x in vector {
        record.extend_from_slice(&x.to_le_bytes());
    }
    record
}

impl VectorCache for FileVectorCache {
    fn get(&self, key: &TextKey) -> Option<Vec<f32>> {
        self.memory.get(key)
    }

    fn put(&self, key: &TextKey, vector: &[f32]) {
        if vector.len() != DIMENSIONS || self.memory.get(key).is_some() {
            return;
        }
        self.memory.put(key, vector);
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(writer) = file.as_mut()
            && let Err(e) = writer
                .write_all(&record(key, vector))
                .and_then(|()| writer.flush())
        {
            tracing::warn!(path = %self.path.display(), "cannot write the vector cache, it is kept in memory only: {e}");
            *file = None;
        }
    }

    fn keep_only(&self, live: &HashSet<TextKey>) {
        // The file lock first, as `put` takes it after the memory's: no put runs meanwhile.
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let mut vectors = self
            .memory
            .vectors
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let stale = vectors.keys().filter(|k| !live.contains(k)).count();
        if stale <= STALE_KEPT.max(vectors.len() - stale) {
            return;
        }
        vectors.retain(|key, _| live.contains(key));
        match self.rewrite(&vectors) {
            Ok(writer) => {
                tracing::debug!(path = %self.path.display(), stale, "dropped unused vectors");
                *file = Some(writer);
            }
            Err(e) => {
                tracing::warn!(path = %self.path.display(), "cannot rewrite the vector cache, it is kept in memory only: {e}");
                *file = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_survive_reopening_and_a_torn_record_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vectors.bin");
        let (a, b) = (TextKey::of("read file"), TextKey::of("write file"));
        let va: Vec<f32> = (0..DIMENSIONS).map(|i| i as f32).collect();
        {
            let cache = FileVectorCache::open(&path).unwrap();
            cache.put(&a, &va);
            cache.put(&b, &va);
        }
        // A crash halfway through a third record.
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(&[7u8; 100]).unwrap();
        drop(file);
        let cache = FileVectorCache::open(&path).unwrap();
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get(&a).unwrap(), va);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 2 * RECORD as u64);
        assert!(cache.get(&TextKey::of("other")).is_none());
    }

    #[test]
    fn vectors_no_tool_uses_are_dropped_once_they_outnumber_the_used_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vectors.bin");
        let vector: Vec<f32> = (0..DIMENSIONS).map(|i| i as f32).collect();
        let keys: Vec<TextKey> = (0..STALE_KEPT + 10)
            .map(|i| TextKey::of(&format!("tool {i}")))
            .collect();
        let cache = FileVectorCache::open(&path).unwrap();
        for key in &keys {
            cache.put(key, &vector);
        }
        let live: HashSet<TextKey> = keys[..5].iter().copied().collect();
        // A few stale ones stay.
        cache.keep_only(&keys[..20].iter().copied().collect());
        assert_eq!(cache.len(), keys.len());
        cache.keep_only(&live);
        assert_eq!(cache.len(), 5);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 5 * RECORD as u64);
        // Appends go on after the rewrite, and a reopened file has both.
        let later = TextKey::of("a new tool");
        cache.put(&later, &vector);
        drop(cache);
        let reopened = FileVectorCache::open(&path).unwrap();
        assert_eq!(reopened.len(), 6);
        assert_eq!(reopened.get(&later).unwrap(), vector);
        assert!(reopened.get(&keys[6]).is_none());
    }
}
