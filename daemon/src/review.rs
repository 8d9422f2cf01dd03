//! Tool review: the catalog gate's `review` stage. Every tool, prompt and resource template
//! of a running (approved) server is checked against its pin in the store:
//!
//! - the pinned content → passes;
//! - first sight → scanned ([`crate::security::scan`]): clean → pinned and passes; flagged →
//!   held with its findings;
//! - a content other than the pinned one → held as `changed` (the rug-pull defence), with
//!   the pinned content beside the new one and the new content's findings;
//! - a content a person rejected → held until it changes.
//!
//! A person decides with [`ReviewStage::approve`] (pins the content held now) or
//! [`ReviewStage::reject`]; the caller then re-gates the server. Concrete resources are not
//! reviewed: their text is data an agent asked for, not instructions it was given.

mod inspect;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use serde_json::Value;

use crate::gate::{GateItem, GateStage, Hold};
use crate::protocol::{Finding, ItemKind, ReviewItem, ReviewStatus};
use crate::security::{self, Peers, ScanItem};
use crate::store::{Change, ItemKey, Pin, Rejection, Store, StoreError, StoredReview};
use crate::sync::lock;

pub use self::inspect::inspect_items;
pub use crate::store::Approver;

/// (server, kind, name): an item's place.
type Place = (String, ItemKind, String);

/// The review stage, shared by the gate and the API.
#[derive(Debug)]
pub struct ReviewStage {
    store: Arc<Store>,
    /// What is held now, per server, with what a person needs to decide.
    held: Mutex<BTreeMap<Place, ReviewItem>>,
}

/// What a decision changed.
#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    #[error("server \"{server}\" has no held item named {}", quoted(names))]
    NotHeld { server: String, names: Vec<String> },
    #[error(
        "\"{name}\" of server \"{server}\" changed again after it was shown (it was {seen}, it is {now} now); nothing was decided"
    )]
    ChangedSince {
        server: String,
        name: String,
        seen: String,
        now: String,
    },
    #[error("\"{hash}\" is not a content hash: give at least 8 of its hex digits")]
    ShortHash { hash: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

impl DecisionError {
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::NotHeld { server, .. } => Some(format!(
                "`mcpproxy upstream inspect {server}` lists its items and their status"
            )),
            Self::ChangedSince { server, name, .. } => Some(format!(
                "look at what it says now (`mcpproxy upstream inspect {server}`), then decide \
                 again: {}",
                approve_command(server, name)
            )),
            Self::ShortHash { .. } => {
                Some("`mcpproxy upstream inspect NAME` shows each item's hash".to_owned())
            }
            Self::Store(error) => error.hint(),
        }
    }
}

/// Whether the review looks at items of this kind.
pub fn reviews(kind: ItemKind) -> bool {
    matches!(
        kind,
        ItemKind::Tool | ItemKind::Prompt | ItemKind::ResourceTemplate
    )
}

/// The command that approves an item, for refusals and reasons.
pub fn approve_command(server: &str, name: &str) -> String {
    format!(
        "mcpproxy upstream approve {server} {}",
        crate::paths::shell_word(name)
    )
}

/// The parts of an item's MCP JSON the scanner reads besides its texts, first the one that
/// says how it is called: `(the name findings give it, its MCP key)`.
pub fn json_parts(kind: ItemKind) -> &'static [(&'static str, &'static str)] {
    match kind {
        ItemKind::Tool => &[
            ("input_schema", "inputSchema"),
            ("output_schema", "outputSchema"),
            ("annotations", "annotations"),
        ],
        ItemKind::Prompt => &[("arguments", "arguments")],
        ItemKind::ResourceTemplate => &[("uri_template", "uriTemplate")],
        _ => &[],
    }
}

/// Scans one item given as MCP JSON.
pub fn scan_item(server: &str, kind: ItemKind, name: &str, value: &Value) -> Vec<Finding> {
    let text = |key: &str| value.get(key).and_then(Value::as_str);
    let fields: Vec<(&str, &Value)> = json_parts(kind)
        .iter()
        .filter_map(|(label, key)| value.get(*key).map(|v| (*label, v)))
        .collect();
    let peers = Peers::default();
    security::scan(&ScanItem {
        server,
        name,
        title: text("title"),
        description: text("description").unwrap_or_default(),
        fields: &fields,
        peers: &peers,
    })
}

impl ReviewStage {
    pub fn new(store: Arc<Store>) -> Self {
        Self {
            store,
            held: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// What the review holds now, of every server or of one.
    pub fn held(&self, server: Option<&str>) -> Vec<ReviewItem> {
        lock(&self.held)
            .values()
            .filter(|item| server.is_none_or(|s| s == item.server))
            .cloned()
            .collect()
    }

    /// Pins the content held now of the named items of `server` (a person approved them).
    /// Blocking: the pins are on disk when this returns.
    pub fn approve(
        &self,
        server: &str,
        names: &[String],
        seen: &BTreeMap<String, String>,
    ) -> Result<Vec<ReviewItem>, DecisionError> {
        let items = self.held_named(server, names, seen)?;
        let now = Timestamp::now();
        let changes: Vec<(ItemKey<'_>, Change)> = items
            .iter()
            .flat_map(|item| {
                let key = key_of(item);
                [
                    (
                        key,
                        Change::Pin(Pin {
                            hash: item.hash.clone(),
                            content: item.content.clone(),
                            at: now,
                            by: Approver::Person,
                        }),
                    ),
                    (key, Change::ClearRejection),
                    (key, Change::ClearReview),
                ]
            })
            .collect();
        self.store.apply(&changes)?;
        self.release(&items);
        Ok(items)
    }

    /// Records the content held now of the named items as rejected: they stay held, and are
    /// not asked about again until their content changes. Blocking, durable on return.
    pub fn reject(
        &self,
        server: &str,
        names: &[String],
        seen: &BTreeMap<String, String>,
    ) -> Result<Vec<ReviewItem>, DecisionError> {
        let mut items = self.held_named(server, names, seen)?;
        let now = Timestamp::now();
        let changes: Vec<(ItemKey<'_>, Change)> = items
            .iter()
            .map(|item| {
                (
                    key_of(item),
                    Change::Reject(Rejection {
                        hash: item.hash.clone(),
                        content: item.content.clone(),
                        at: now,
                    }),
                )
            })
            .collect();
        self.store.apply(&changes)?;
        let mut held = lock(&self.held);
        for item in &mut items {
            item.status = ReviewStatus::Rejected;
            item.reason = rejected_reason(&item.server, &item.name);
            held.insert(place_of(item), item.clone());
        }
        Ok(items)
    }

    /// The held items of `server` with these names; where `seen` gives the hash the person
    /// was shown, only the item of that name with that content.
    fn held_named(
        &self,
        server: &str,
        names: &[String],
        seen: &BTreeMap<String, String>,
    ) -> Result<Vec<ReviewItem>, DecisionError> {
        if let Some(hash) = seen.values().find(|hash| hash.len() < 8) {
            return Err(DecisionError::ShortHash { hash: hash.clone() });
        }
        let held = lock(&self.held);
        let named: Vec<&ReviewItem> = held
            .values()
            .filter(|item| item.server == server && names.contains(&item.name))
            .collect();
        for (name, hash) in seen {
            let of_name = || named.iter().filter(|item| &item.name == name);
            if let Some(item) = of_name().next()
                && !of_name().any(|item| item.hash.starts_with(hash.as_str()))
            {
                return Err(DecisionError::ChangedSince {
                    server: server.to_owned(),
                    name: name.clone(),
                    seen: hash.clone(),
                    now: item.hash.clone(),
                });
            }
        }
        let items: Vec<ReviewItem> = named
            .into_iter()
            .filter(|item| {
                seen.get(&item.name)
                    .is_none_or(|hash| item.hash.starts_with(hash.as_str()))
            })
            .cloned()
            .collect();
        let missing: Vec<String> = names
            .iter()
            .filter(|name| !items.iter().any(|item| &item.name == *name))
            .cloned()
            .collect();
        if missing.is_empty() {
            Ok(items)
        } else {
            Err(DecisionError::NotHeld {
                server: server.to_owned(),
                names: missing,
            })
        }
    }

    fn release(&self, items: &[ReviewItem]) {
        let mut held = lock(&self.held);
        for item in items {
            held.remove(&place_of(item));
        }
    }

    /// Decides one item; `Ok(None)` passes it.
    fn decide(
        &self,
        server: &str,
        item: &GateItem,
        writes: &mut Vec<(ItemKind, String, Change)>,
    ) -> Result<Option<ReviewItem>, StoreError> {
        let key = ItemKey {
            server,
            kind: item.kind,
            name: &item.name,
        };
        let hash = item.hash.as_str();
        let pin = self.store.pin(key)?;
        if pin.as_ref().is_some_and(|pin| pin.hash == hash) {
            return Ok(None);
        }
        let base = |status, findings, pinned, reason| ReviewItem {
            server: server.to_owned(),
            kind: item.kind,
            name: item.name.clone(),
            status,
            hash: hash.to_owned(),
            content: item.value.clone(),
            pinned,
            findings,
            reason,
        };
        if self
            .store
            .rejection(key)?
            .is_some_and(|rejection| rejection.hash == hash)
        {
            let findings = self.findings_of(key, hash, server, item)?;
            return Ok(Some(base(
                ReviewStatus::Rejected,
                findings,
                pin.map(|p| p.content),
                rejected_reason(server, &item.name),
            )));
        }
        let findings = self.findings_of(key, hash, server, item)?;
        let held = match pin {
            Some(pin) => base(
                ReviewStatus::Changed,
                findings,
                Some(pin.content),
                format!(
                    "its {} changed since it was approved; review the change with \
                     `mcpproxy upstream inspect {server}` and approve it with `{}`",
                    changed_what(item.kind),
                    approve_command(server, &item.name)
                ),
            ),
            None if security::holds(&findings) => {
                let reason = flagged_reason(server, &item.name, &findings);
                base(ReviewStatus::Flagged, findings, None, reason)
            }
            None => {
                writes.push((
                    item.kind,
                    item.name.clone(),
                    Change::Pin(Pin {
                        hash: hash.to_owned(),
                        content: item.value.clone(),
                        at: Timestamp::now(),
                        by: Approver::Scanner,
                    }),
                ));
                return Ok(None);
            }
        };
        let stored = self.store.review(key)?;
        if stored.is_none_or(|s| s.hash != hash || s.status != held.status) {
            writes.push((
                item.kind,
                item.name.clone(),
                Change::Review(StoredReview {
                    hash: hash.to_owned(),
                    status: held.status,
                    findings: held.findings.clone(),
                    at: Timestamp::now(),
                }),
            ));
        }
        Ok(Some(held))
    }

    /// The findings of this content: from the store when it was scanned before, else a scan.
    fn findings_of(
        &self,
        key: ItemKey<'_>,
        hash: &str,
        server: &str,
        item: &GateItem,
    ) -> Result<Vec<Finding>, StoreError> {
        Ok(match self.store.review(key)? {
            Some(stored) if stored.hash == hash => stored.findings,
            _ => scan_item(server, item.kind, &item.name, &item.value),
        })
    }
}

fn changed_what(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Tool => "description, schema or annotations",
        _ => "description or arguments",
    }
}

fn flagged_reason(server: &str, name: &str, findings: &[Finding]) -> String {
    let mut categories: Vec<&str> = findings
        .iter()
        .filter(|f| f.severity.holds())
        .map(|f| f.category.as_str())
        .collect();
    categories.dedup();
    format!(
        "the scanner flagged it ({}); review it with `mcpproxy upstream inspect {server}` \
         and approve it with `{}`",
        categories.join(", "),
        approve_command(server, name)
    )
}

fn rejected_reason(server: &str, name: &str) -> String {
    format!(
        "a person rejected this version; it stays off until it changes, or until `{}`",
        approve_command(server, name)
    )
}

fn key_of(item: &ReviewItem) -> ItemKey<'_> {
    ItemKey {
        server: &item.server,
        kind: item.kind,
        name: &item.name,
    }
}

fn place_of(item: &ReviewItem) -> Place {
    (item.server.clone(), item.kind, item.name.clone())
}

impl GateStage for ReviewStage {
    fn name(&self) -> &'static str {
        "review"
    }

    fn pass(&self, server: &str, items: &[GateItem]) -> Vec<Hold> {
        let mut writes = Vec::new();
        let mut now_held = Vec::new();
        let mut holds = Vec::new();
        for item in items.iter().filter(|item| reviews(item.kind)) {
            match self.decide(server, item, &mut writes) {
                Ok(None) => {}
                Ok(Some(held)) => {
                    holds.push(Hold {
                        kind: item.kind,
                        name: item.name.clone(),
                        reason: held.reason.clone(),
                    });
                    now_held.push(held);
                }
                Err(error) => {
                    tracing::error!(%server, item = %item.name, %error, "the review cannot read its pins; holding the item");
                    holds.push(Hold {
                        kind: item.kind,
                        name: item.name.clone(),
                        reason: format!("the review cannot read its records: {error}"),
                    });
                }
            }
        }
        let changes: Vec<(ItemKey<'_>, Change)> = writes
            .iter()
            .map(|(kind, name, change)| {
                (
                    ItemKey {
                        server,
                        kind: *kind,
                        name,
                    },
                    change.clone(),
                )
            })
            .collect();
        if let Err(error) = self.store.apply(&changes) {
            // Unpinned items are not served: the next catalog tries again.
            tracing::error!(%server, %error, "the review cannot pin what it found clean");
            for (kind, name, change) in &writes {
                if matches!(change, Change::Pin(_)) {
                    holds.push(Hold {
                        kind: *kind,
                        name: name.clone(),
                        reason: format!("the review cannot record its approval: {error}"),
                    });
                }
            }
        }
        let mut held = lock(&self.held);
        held.retain(|(owner, _, _), _| owner != server);
        for item in now_held {
            held.insert(place_of(&item), item);
        }
        holds
    }

    fn forget(&self, server: &str) {
        lock(&self.held).retain(|(owner, _, _), _| owner != server);
    }
}

#[cfg(test)]
mod tests;
