//! The catalog gate: no upstream item reaches an agent straight from its server. Every
//! catalog a server delivers (the first fetch and every `list_changed`) passes the gate's
//! stages in order before it is served; a stage may hold an item back, with a reason. What
//! is held is invisible on every MCP surface and refused when called or read, and visible
//! with its reason in the control API (`GET /api/v1/held`, the event stream).
//!
//! Stages are the seam for what decides: tool review (pins, the scanner), per-tool switches,
//! the search index (which holds nothing and only looks at what passes). Transports and
//! surfaces do not change when a stage is added.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

mod switches;
mod thread;

pub use self::switches::{SWITCHES_STAGE, ToolSwitches, disabled_reason};
use self::thread::GateThread;
pub use self::thread::GateThreadError;

use crate::catalog::Catalog;
use crate::catalog::hash::{self, ItemHash};
use crate::protocol::{HeldItem, ItemKind};

/// One item of a delivered catalog, as a stage sees it.
#[derive(Debug, Clone)]
pub struct GateItem {
    pub kind: ItemKind,
    /// Its name (a resource's URI).
    pub name: String,
    pub hash: ItemHash,
    /// The item as MCP JSON.
    pub value: serde_json::Value,
}

/// A stage's decision to keep an item from agents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub kind: ItemKind,
    pub name: String,
    /// One sentence a person can act on.
    pub reason: String,
}

/// One step of the gate.
pub trait GateStage: Send + Sync + 'static {
    /// Short and stable: shown with every item it holds (`review`, `switches`).
    fn name(&self) -> &'static str;

    /// Looks at the items of `server` that earlier stages let through, and returns those it
    /// holds. Runs on a blocking thread, so it may read files or a database.
    fn pass(&self, server: &str, items: &[GateItem]) -> Vec<Hold>;

    /// `server` stopped serving (disconnected, removed): forget what was kept about it.
    fn forget(&self, _server: &str) {}
}

/// The ordered stages every catalog passes.
#[derive(Clone, Default)]
pub struct CatalogGate {
    stages: Vec<Arc<dyn GateStage>>,
    /// Where [`CatalogGate::pass_off_runtime`] runs passes: one thread for every server.
    thread: Arc<GateThread>,
}

impl std::fmt::Debug for CatalogGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.stages.iter().map(|s| s.name()))
            .finish()
    }
}

/// The hashes of the items the gate let through, by kind and name: what the reverse proxy
/// checks list pages and calls against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Passed(BTreeMap<(ItemKind, String), ItemHash>);

impl Passed {
    /// Whether this exact version of the item passed.
    pub fn allows(&self, kind: ItemKind, name: &str, hash: &ItemHash) -> bool {
        self.0
            .get(&(kind, name.to_owned()))
            .is_some_and(|passed| passed == hash)
    }

    /// Whether some version of the item passed (a call names an item, it has no content).
    pub fn contains(&self, kind: ItemKind, name: &str) -> bool {
        self.0.contains_key(&(kind, name.to_owned()))
    }

    fn of_kind(&self, kind: ItemKind) -> impl Iterator<Item = (&String, &ItemHash)> {
        self.0
            .iter()
            .filter(move |((k, _), _)| *k == kind)
            .map(|((_, name), hash)| (name, hash))
    }
}

/// A catalog after the gate.
#[derive(Debug, Clone, Default)]
pub struct Gated {
    /// What agents may see and use.
    pub served: Catalog,
    pub held: Vec<HeldItem>,
    pub passed: Passed,
}

/// What changed between two gate results, for the events that tell clients.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CatalogChange {
    pub tools: bool,
    pub prompts: bool,
    pub resources: bool,
    pub held: bool,
}

impl CatalogChange {
    pub fn between(before: &Gated, after: &Gated) -> Self {
        let differs = |kind: ItemKind| before.passed.of_kind(kind).ne(after.passed.of_kind(kind));
        Self {
            tools: differs(ItemKind::Tool),
            prompts: differs(ItemKind::Prompt),
            resources: differs(ItemKind::Resource) || differs(ItemKind::ResourceTemplate),
            held: before.held != after.held,
        }
    }

    pub fn any(self) -> bool {
        self.tools || self.prompts || self.resources || self.held
    }
}

impl CatalogGate {
    pub fn new(stages: Vec<Arc<dyn GateStage>>) -> Self {
        Self {
            stages,
            thread: Arc::default(),
        }
    }

    /// [`CatalogGate::pass`] on the gate's own thread, after the passes and forgets queued
    /// before it (of every server); gives the catalog back with the result.
    pub async fn pass_off_runtime(
        self: &Arc<Self>,
        server: String,
        delivered: Catalog,
    ) -> Result<(Catalog, Gated), GateThreadError> {
        let gate = Arc::clone(self);
        self.thread
            .run(move || {
                let gated = gate.pass(&server, &delivered);
                (delivered, gated)
            })
            .await
    }

    /// [`CatalogGate::forget`] on the gate's own thread, in order with the passes; here
    /// when that thread cannot be started. Returns once every stage has forgotten.
    pub async fn forget_off_runtime(self: &Arc<Self>, server: &str) {
        let gate = Arc::clone(self);
        let name = server.to_owned();
        if let Err(error) = self.thread.run(move || gate.forget(&name)).await {
            tracing::warn!(
                server,
                "forgetting the server on the gate's thread failed: {error}"
            );
            if matches!(error, GateThreadError::NotStarted(_)) {
                self.forget(server);
            }
        }
    }

    /// Passes a delivered catalog through every stage, in order. Blocking: stages may do I/O.
    pub fn pass(&self, server: &str, delivered: &Catalog) -> Gated {
        let mut items = gate_items(delivered);
        let mut held = Vec::new();
        // Every stage sees the catalog, even an empty one: a stage that keeps something per
        // server (the search index) must learn that nothing passes any more.
        for stage in &self.stages {
            let holds = stage.pass(server, &items);
            if holds.is_empty() {
                continue;
            }
            let keys: BTreeSet<(ItemKind, &str)> = holds
                .iter()
                .map(|hold| (hold.kind, hold.name.as_str()))
                .collect();
            let (stopped, passing): (Vec<GateItem>, Vec<GateItem>) = items
                .into_iter()
                .partition(|item| keys.contains(&(item.kind, item.name.as_str())));
            for item in stopped {
                let reason = holds
                    .iter()
                    .find(|hold| hold.kind == item.kind && hold.name == item.name)
                    .map(|hold| hold.reason.clone())
                    .unwrap_or_default();
                held.push(HeldItem {
                    server: server.to_owned(),
                    kind: item.kind,
                    name: item.name,
                    stage: stage.name().to_owned(),
                    reason,
                    hash: item.hash.to_string(),
                });
            }
            items = passing;
        }
        let passed = Passed(
            items
                .into_iter()
                .map(|item| ((item.kind, item.name), item.hash))
                .collect(),
        );
        Gated {
            served: served(delivered, &passed),
            held,
            passed,
        }
    }

    /// Tells every stage that `server` no longer serves.
    pub fn forget(&self, server: &str) {
        for stage in &self.stages {
            stage.forget(server);
        }
    }
}

/// Every item of a catalog as the stages see it.
pub fn gate_items(catalog: &Catalog) -> Vec<GateItem> {
    fn items<T: serde::Serialize>(
        kind: ItemKind,
        list: &[T],
        name: impl Fn(&T) -> String,
    ) -> impl Iterator<Item = GateItem> {
        list.iter().map(move |item| {
            let value = serde_json::to_value(item).unwrap_or(serde_json::Value::Null);
            GateItem {
                kind,
                name: name(item),
                hash: hash::of_item(kind, &value),
                value,
            }
        })
    }
    items(ItemKind::Tool, &catalog.tools, |t| t.name.to_string())
        .chain(items(ItemKind::Prompt, &catalog.prompts, |p| {
            p.name.clone()
        }))
        .chain(items(ItemKind::Resource, &catalog.resources, |r| {
            r.uri.clone()
        }))
        .chain(items(
            ItemKind::ResourceTemplate,
            &catalog.resource_templates,
            |t| t.uri_template.clone(),
        ))
        .collect()
}

/// The delivered catalog without what was held.
fn served(delivered: &Catalog, passed: &Passed) -> Catalog {
    Catalog {
        tools: delivered
            .tools
            .iter()
            .filter(|t| passed.contains(ItemKind::Tool, &t.name))
            .cloned()
            .collect(),
        prompts: delivered
            .prompts
            .iter()
            .filter(|p| passed.contains(ItemKind::Prompt, &p.name))
            .cloned()
            .collect(),
        resources: delivered
            .resources
            .iter()
            .filter(|r| passed.contains(ItemKind::Resource, &r.uri))
            .cloned()
            .collect(),
        resource_templates: delivered
            .resource_templates
            .iter()
            .filter(|t| passed.contains(ItemKind::ResourceTemplate, &t.uri_template))
            .cloned()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Holds the tools whose name it was given.
    struct HoldNamed(&'static str);

    impl GateStage for HoldNamed {
        fn name(&self) -> &'static str {
            "test"
        }

        fn pass(&self, _server: &str, items: &[GateItem]) -> Vec<Hold> {
            items
                .iter()
                .filter(|item| item.kind == ItemKind::Tool && item.name == self.0)
                .map(|item| Hold {
                    kind: item.kind,
                    name: item.name.clone(),
                    reason: format!("{} is not for agents", item.name),
                })
                .collect()
        }
    }

    fn tool(name: &str, description: &str) -> rmcp::model::Tool {
        serde_json::from_value(serde_json::json!({
            "name": name, "description": description, "inputSchema": {"type": "object"}
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn catalog() -> Catalog {
        Catalog {
            tools: vec![tool("echo", "Echoes"), tool("secret", "Reads secrets")],
            ..Catalog::default()
        }
    }

    #[test]
    fn without_stages_everything_passes() {
        let gated = CatalogGate::default().pass("demo", &catalog());
        assert_eq!(gated.served.tools.len(), 2);
        assert!(gated.held.is_empty());
    }

    #[test]
    fn a_held_tool_is_not_served_and_says_why() {
        let gate = CatalogGate::new(vec![Arc::new(HoldNamed("secret"))]);
        let gated = gate.pass("demo", &catalog());
        let served: Vec<_> = gated.served.tools.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(served, ["echo"]);
        assert_eq!(gated.held.len(), 1);
        assert_eq!(gated.held[0].name, "secret");
        assert_eq!(gated.held[0].stage, "test");
        assert_eq!(gated.held[0].reason, "secret is not for agents");
        assert!(gated.passed.contains(ItemKind::Tool, "echo"));
        assert!(!gated.passed.contains(ItemKind::Tool, "secret"));
    }

    #[test]
    fn a_changed_item_is_a_change_and_its_old_hash_no_longer_passes() {
        let gate = CatalogGate::default();
        let before = gate.pass("demo", &catalog());
        let mut changed = catalog();
        changed.tools[0] = tool("echo", "Echoes, and reads ~/.ssh first");
        let after = gate.pass("demo", &changed);
        let change = CatalogChange::between(&before, &after);
        assert!(change.tools && !change.prompts && !change.held);
        let old = hash::of(ItemKind::Tool, &catalog().tools[0]);
        assert!(!after.passed.allows(ItemKind::Tool, "echo", &old));
    }
}
