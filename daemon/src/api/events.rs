//! `GET /api/v1/events`: the live event stream (SSE). The first event is a `snapshot` of the
//! whole state; deltas follow as they happen; a `heartbeat` is sent when nothing happened for
//! a while. A subscriber that falls behind gets `lagged` and then a fresh snapshot, so a
//! client never has to poll.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::sse::{self, Sse};
use futures_util::Stream;
use jiff::Timestamp;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

use super::error::ApiFailure;
use crate::daemon::Daemon;
use crate::protocol::Event;

const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(15);

#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    /// Seconds of silence before a heartbeat (1 to 300).
    heartbeat_s: Option<u64>,
}

pub async fn events(
    State(daemon): State<Daemon>,
    Query(query): Query<EventsQuery>,
) -> Result<Sse<impl Stream<Item = Result<sse::Event, Infallible>>>, ApiFailure> {
    let heartbeat = match query.heartbeat_s {
        None => DEFAULT_HEARTBEAT,
        Some(s @ 1..=300) => Duration::from_secs(s),
        Some(s) => {
            return Err(
                ApiFailure::bad_request(format!("heartbeat_s = {s} is out of range"))
                    .hint("use 1 to 300 seconds"),
            );
        }
    };
    Ok(Sse::new(event_stream(daemon, heartbeat)))
}

struct Subscription {
    daemon: Daemon,
    receiver: tokio::sync::broadcast::Receiver<Event>,
    /// Events to send before reading the bus again.
    queued: std::collections::VecDeque<Event>,
    heartbeat: Duration,
}

fn event_stream(
    daemon: Daemon,
    heartbeat: Duration,
) -> impl Stream<Item = Result<sse::Event, Infallible>> {
    // Subscribe before taking the snapshot, so nothing between the two is lost.
    let receiver = daemon.subscribe();
    let snapshot = Event::Snapshot(daemon.state());
    let subscription = Subscription {
        daemon,
        receiver,
        queued: [snapshot].into(),
        heartbeat,
    };
    futures_util::stream::unfold(subscription, |mut sub| async move {
        let event = next_event(&mut sub).await?;
        Some((Ok(to_sse(&event)), sub))
    })
}

async fn next_event(sub: &mut Subscription) -> Option<Event> {
    if let Some(event) = sub.queued.pop_front() {
        return Some(event);
    }
    let deadline = Instant::now() + sub.heartbeat;
    tokio::select! {
        () = sub.daemon.shutdown_token().cancelled() => None,
        () = tokio::time::sleep_until(deadline) => Some(Event::Heartbeat { at: Timestamp::now() }),
        received = sub.receiver.recv() => match received {
            Ok(event) => Some(event),
            Err(RecvError::Lagged(missed)) => {
                sub.queued.push_back(Event::Snapshot(sub.daemon.state()));
                Some(Event::Lagged { missed })
            }
            Err(RecvError::Closed) => None,
        },
    }
}

fn to_sse(event: &Event) -> sse::Event {
    match event.to_sse() {
        Ok(message) => sse::Event::default()
            .event(message.event)
            .data(message.data),
        Err(e) => sse::Event::default()
            .event("error")
            .data(format!("{{\"message\":\"cannot encode event: {e}\"}}")),
    }
}
