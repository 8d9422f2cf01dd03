//! `upstream inspect`: every item of a catalog with its review status and findings, written
//! nowhere. For a running server the status is the gate's; for a quarantined one (review
//! mode) it is what the review would decide if the server were approved now.

use crate::catalog::Catalog;
use crate::gate::gate_items;
use crate::protocol::{ReviewItem, ReviewStatus};
use crate::store::{ItemKey, StoreError};

use super::{ReviewStage, reviews, scan_item};

/// The reviewed items of `catalog` (tools, prompts, resource templates), in catalog order.
/// Blocking: reads the store.
pub fn inspect_items(
    stage: &ReviewStage,
    server: &str,
    catalog: &Catalog,
) -> Result<Vec<ReviewItem>, StoreError> {
    let held = stage.held(Some(server));
    let mut items = Vec::new();
    for item in gate_items(catalog).into_iter().filter(|i| reviews(i.kind)) {
        let hash = item.hash.to_string();
        if let Some(found) = held
            .iter()
            .find(|h| h.kind == item.kind && h.name == item.name && h.hash == hash)
        {
            items.push(found.clone());
            continue;
        }
        let key = ItemKey {
            server,
            kind: item.kind,
            name: &item.name,
        };
        let findings = scan_item(server, item.kind, &item.name, &item.value);
        let pin = stage.store.pin(key)?;
        let rejected = stage
            .store
            .rejection(key)?
            .is_some_and(|rejection| rejection.hash == hash);
        let (status, pinned) = match pin {
            _ if rejected => (ReviewStatus::Rejected, None),
            Some(pin) if pin.hash == hash => (ReviewStatus::Pinned, None),
            Some(pin) => (ReviewStatus::Changed, Some(pin.content)),
            None if crate::security::holds(&findings) => (ReviewStatus::Flagged, None),
            None => (ReviewStatus::Unreviewed, None),
        };
        items.push(ReviewItem {
            server: server.to_owned(),
            kind: item.kind,
            name: item.name,
            status,
            hash,
            content: item.value,
            pinned,
            findings,
            reason: String::new(),
        });
    }
    Ok(items)
}
