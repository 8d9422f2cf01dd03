//! The tools the index knows, with their vectors once made, and the lookups by name.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use super::IndexProgress;
use super::text::model_text;
use super::vectors::{TextKey, VectorCache};
use crate::protocol::ToolView;

#[derive(Debug)]
struct Entry {
    server: String,
    tool: String,
    key: TextKey,
    text: String,
    vector: Option<Arc<[f32]>>,
}

/// A tool waiting for its vector.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub key: TextKey,
    pub text: String,
}

#[derive(Debug, Default)]
pub struct Catalog {
    tools: HashMap<String, Entry>,
    /// server → its tool ids.
    servers: BTreeMap<String, Vec<String>>,
    /// Lowercased tool name → ids.
    names: HashMap<String, Vec<String>>,
    /// Lowercased `server:tool` → id.
    ids: HashMap<String, String>,
    queue: VecDeque<String>,
    missing: usize,
    embedded: usize,
}

impl Catalog {
    /// Replaces the tools of `server`; returns whether tools were queued for the model.
    pub fn replace_server(
        &mut self,
        server: &str,
        tools: &[ToolView],
        cache: &dyn VectorCache,
    ) -> bool {
        let mut previous: HashMap<String, Entry> = HashMap::new();
        for id in self.servers.remove(server).unwrap_or_default() {
            if let Some(entry) = self.tools.remove(&id) {
                self.forget_names(&id, &entry);
                previous.insert(id, entry);
            }
        }
        let mut queued = false;
        let mut ids = Vec::with_capacity(tools.len());
        for tool in tools {
            let text = model_text(tool);
            let key = TextKey::of(&text);
            let kept = previous
                .remove(&tool.id)
                .filter(|old| old.key == key)
                .and_then(|old| old.vector);
            let vector = kept.or_else(|| cache.get(&key).map(Arc::from));
            if vector.is_none() {
                self.queue.push_back(tool.id.clone());
                queued = true;
            }
            self.names
                .entry(tool.name.to_lowercase())
                .or_default()
                .push(tool.id.clone());
            self.ids.insert(tool.id.to_lowercase(), tool.id.clone());
            self.tools.insert(
                tool.id.clone(),
                Entry {
                    server: tool.server.clone(),
                    tool: tool.name.clone(),
                    key,
                    text,
                    vector,
                },
            );
            ids.push(tool.id.clone());
        }
        if !ids.is_empty() {
            self.servers.insert(server.to_owned(), ids);
        }
        self.missing = self.tools.values().filter(|e| e.vector.is_none()).count();
        queued
    }

    fn forget_names(&mut self, id: &str, entry: &Entry) {
        let name = entry.tool.to_lowercase();
        if let Some(ids) = self.names.get_mut(&name) {
            ids.retain(|i| i != id);
            if ids.is_empty() {
                self.names.remove(&name);
            }
        }
        self.ids.remove(&id.to_lowercase());
    }

    /// The vector keys of every tool indexed now.
    pub fn live_keys(&self) -> std::collections::HashSet<TextKey> {
        self.tools.values().map(|entry| entry.key).collect()
    }

    /// The next tool that still needs its vector.
    pub fn next_job(&mut self) -> Option<Job> {
        while let Some(id) = self.queue.pop_front() {
            if let Some(entry) = self.tools.get(&id)
                && entry.vector.is_none()
            {
                return Some(Job {
                    id,
                    key: entry.key,
                    text: entry.text.clone(),
                });
            }
        }
        None
    }

    /// Stores a made vector, unless the tool changed meanwhile.
    pub fn store(&mut self, job: &Job, vector: Arc<[f32]>) {
        if let Some(entry) = self.tools.get_mut(&job.id)
            && entry.key == job.key
            && entry.vector.is_none()
        {
            entry.vector = Some(vector);
            self.missing -= 1;
            self.embedded += 1;
        }
    }

    pub fn progress(&self) -> IndexProgress {
        IndexProgress {
            tools: self.tools.len(),
            with_vectors: self.tools.len() - self.missing,
            embedded: self.embedded,
        }
    }

    pub fn all_have_vectors(&self) -> bool {
        self.missing == 0
    }

    pub fn names_of(&self, id: &str) -> Option<(&str, &str)> {
        self.tools
            .get(id)
            .map(|e| (e.server.as_str(), e.tool.as_str()))
    }

    /// The id written as `server:tool` (any case).
    pub fn id_named(&self, text: &str) -> Option<&str> {
        self.ids.get(&text.to_lowercase()).map(String::as_str)
    }

    /// Tools called `name` (any case), on the given servers (lowercased; empty: any).
    pub fn tools_named(&self, name: &str, servers: &[String]) -> Vec<String> {
        self.names
            .get(&name.to_lowercase())
            .into_iter()
            .flatten()
            .filter(|id| self.on_servers(id, servers))
            .cloned()
            .collect()
    }

    fn on_servers(&self, id: &str, servers: &[String]) -> bool {
        servers.is_empty()
            || self
                .tools
                .get(id)
                .is_some_and(|e| servers.iter().any(|s| e.server.eq_ignore_ascii_case(s)))
    }

    /// The `limit` tools with a vector (on the given servers) nearest to `query` by cosine,
    /// best first.
    pub fn nearest(&self, query: &[f32], servers: &[String], limit: usize) -> Vec<(&str, f32)> {
        let mut ranked: Vec<(&str, f32)> = self
            .tools
            .iter()
            .filter(|(_, e)| {
                servers.is_empty() || servers.iter().any(|s| e.server.eq_ignore_ascii_case(s))
            })
            .filter_map(|(id, e)| e.vector.as_ref().map(|v| (id.as_str(), dot(query, v))))
            .collect();
        // Ties (duplicated tools) fall back to the id, so runs are repeatable.
        let order =
            |a: &(&str, f32), b: &(&str, f32)| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0));
        if ranked.len() > limit && limit > 0 {
            ranked.select_nth_unstable_by(limit - 1, order);
            ranked.truncate(limit);
        }
        ranked.sort_by(order);
        ranked
    }
}

/// Both vectors are unit length, so the dot product is the cosine.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
