//! A person's review decisions, whichever door they come through: approving or rejecting
//! held items (pins written durably, then the server re-gated), rejecting a pending server,
//! and inspecting a server's items before deciding.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{ManageError, edit, require};
use crate::daemon::Daemon;
use crate::protocol::{
    Inspection, Quarantine, ReviewDecided, ReviewDecision, ReviewItem, TransportKind,
};
use crate::review::{DecisionError, ReviewStage};

/// Everything waiting for a person: pending servers and held items.
pub fn quarantine(daemon: &Daemon) -> Quarantine {
    Quarantine {
        servers: daemon
            .servers()
            .into_iter()
            .filter(|server| server.quarantined)
            .collect(),
        items: daemon
            .review()
            .map(|review| review.held(None))
            .unwrap_or_default(),
    }
}

/// Approves held items of `server`: their content now is pinned, and they are served.
pub async fn approve_items(
    daemon: &Daemon,
    server: &str,
    decision: ReviewDecision,
) -> Result<ReviewDecided, ManageError> {
    decide(daemon, server, decision, ReviewStage::approve).await
}

/// Rejects held items of `server`: they stay held until their content changes.
pub async fn reject_items(
    daemon: &Daemon,
    server: &str,
    decision: ReviewDecision,
) -> Result<ReviewDecided, ManageError> {
    decide(daemon, server, decision, ReviewStage::reject).await
}

/// Approve or reject, as the review stage does it.
type Decision = fn(
    &ReviewStage,
    &str,
    &[String],
    &BTreeMap<String, String>,
) -> Result<Vec<ReviewItem>, DecisionError>;

async fn decide(
    daemon: &Daemon,
    server: &str,
    ReviewDecision { items, hashes }: ReviewDecision,
    decision: Decision,
) -> Result<ReviewDecided, ManageError> {
    let shared = daemon
        .upstreams()
        .server(server)
        .ok_or_else(|| ManageError::NotFound(server.to_owned()))?;
    let review = Arc::clone(daemon.review().ok_or(ManageError::NoReview)?);
    let name = server.to_owned();
    // The store's commit waits for the disk: off the runtime.
    let decided = tokio::task::spawn_blocking(move || decision(&review, &name, &items, &hashes))
        .await
        .map_err(|e| ManageError::Interrupted(e.to_string()))??;
    shared.regate().await;
    Ok(ReviewDecided {
        server: server.to_owned(),
        items: decided,
    })
}

/// Removes a server that waits for approval: a person said no to it.
pub async fn reject_server(daemon: &Daemon, name: &str) -> Result<(), ManageError> {
    let pending = daemon
        .config()
        .config
        .servers
        .get(name)
        .map(|server| server.quarantined);
    match pending {
        None => return Err(ManageError::NotFound(name.to_owned())),
        Some(false) => return Err(ManageError::NotPending(name.to_owned())),
        Some(true) => {}
    }
    edit(daemon, |file| {
        require(file, name)?;
        file.remove_server(name)?;
        Ok(())
    })
    .await
}

/// A server's items with their review status and findings. A running server is read as
/// served; a quarantined one is connected in review mode, a stdio one only when `run`.
pub async fn inspect(daemon: &Daemon, name: &str, run: bool) -> Result<Inspection, ManageError> {
    let shared = daemon
        .upstreams()
        .server(name)
        .ok_or_else(|| ManageError::NotFound(name.to_owned()))?;
    let review = Arc::clone(daemon.review().ok_or(ManageError::NoReview)?);
    let view = shared.view();
    let review_mode = view.quarantined;
    let catalog = if review_mode {
        if view.transport == TransportKind::Stdio && !run {
            return Err(ManageError::NeedsRun(name.to_owned()));
        }
        daemon
            .upstreams()
            .fetch_for_review(name)
            .await
            .map_err(|e| ManageError::Inspect(e.to_string()))?
    } else {
        shared.delivered()
    };
    let server = name.to_owned();
    let items = tokio::task::spawn_blocking(move || {
        crate::review::inspect_items(&review, &server, &catalog)
    })
    .await
    .map_err(|e| ManageError::Interrupted(e.to_string()))?
    .map_err(DecisionError::Store)?;
    Ok(Inspection {
        server: name.to_owned(),
        review_mode,
        items,
    })
}
