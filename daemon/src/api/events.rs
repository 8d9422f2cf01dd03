//! `GET /api/v1/events`: the live event stream (SSE), and the edge where the daemon's
//! internal events become the wire's [`Event`]s.
//!
//! The first event is a `snapshot` of the whole state; deltas follow as they happen; log
//! lines that arrive together go out as one `logs` batch; a `heartbeat` is sent when nothing
//! happened for a while. A subscriber that falls behind gets `lagged` and then a fresh
//! snapshot, so a client never has to poll. When the daemon goes away the last event is
//! `goodbye`, with the reason.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{self, Sse};
use futures_util::Stream;
use jiff::Timestamp;
use serde::Deserialize;
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::time::Instant;

use crate::daemon::Daemon;
use crate::events::DaemonEvent;
use crate::http::{ApiFailure, Params};
use crate::protocol::{Event, Goodbye, GoodbyeReason};

const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(15);
/// At most this many log lines go in one `logs` batch.
const MAX_LOG_BATCH: usize = 512;

#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    /// Seconds of silence before a heartbeat (1 to 300).
    heartbeat_s: Option<u64>,
}

pub async fn events(
    State(daemon): State<Daemon>,
    Params(query): Params<EventsQuery>,
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
    receiver: Receiver<DaemonEvent>,
    /// Events to send before reading the bus again.
    queued: VecDeque<Event>,
    heartbeat: Duration,
    said_goodbye: bool,
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
        said_goodbye: false,
    };
    futures_util::stream::unfold(subscription, |mut sub| async move {
        let event = next_event(&mut sub).await?;
        Some((Ok(to_sse(&event)), sub))
    })
}

async fn next_event(sub: &mut Subscription) -> Option<Event> {
    loop {
        if let Some(event) = sub.queued.pop_front() {
            return Some(event);
        }
        if sub.said_goodbye {
            return None;
        }
        let deadline = Instant::now() + sub.heartbeat;
        tokio::select! {
            () = sub.daemon.shutdown_token().cancelled() => {
                sub.said_goodbye = true;
                return Some(Event::Goodbye(sub.daemon.goodbye().unwrap_or_else(|| Goodbye {
                    reason: GoodbyeReason::Shutdown,
                    message: "the daemon is stopping".to_owned(),
                })));
            }
            () = tokio::time::sleep_until(deadline) => {
                return Some(Event::Heartbeat { at: Timestamp::now() });
            }
            received = sub.receiver.recv() => match received {
                Ok(event) => wire_events(sub, event),
                Err(RecvError::Lagged(missed)) => {
                    sub.queued.push_back(Event::Lagged { missed });
                    sub.queued.push_back(Event::Snapshot(sub.daemon.state()));
                }
                Err(RecvError::Closed) => return None,
            },
        }
    }
}

/// Queues the wire events for one internal event (none, one or several).
fn wire_events(sub: &mut Subscription, event: DaemonEvent) {
    let daemon = &sub.daemon;
    match event {
        DaemonEvent::Server(view) => sub.queued.push_back(Event::Server(view)),
        DaemonEvent::ServerRemoved { name } => sub.queued.push_back(Event::ServerRemoved { name }),
        DaemonEvent::Catalog { server, change } => {
            if change.tools {
                sub.queued.push_back(Event::Tools {
                    tools: daemon.upstreams().tools(Some(&server)),
                    server: server.clone(),
                });
            }
            if change.held {
                sub.queued.push_back(Event::Held {
                    items: daemon.upstreams().held(Some(&server)),
                    server,
                });
            }
        }
        DaemonEvent::Log(line) => {
            // Lines that are already waiting go out with this one, as one batch.
            let mut lines = vec![line];
            while lines.len() < MAX_LOG_BATCH {
                match sub.receiver.try_recv() {
                    Ok(DaemonEvent::Log(line)) => lines.push(line),
                    Ok(other) => {
                        push_logs(&mut sub.queued, lines);
                        return wire_events(sub, other);
                    }
                    Err(TryRecvError::Lagged(missed)) => {
                        push_logs(&mut sub.queued, lines);
                        sub.queued.push_back(Event::Lagged { missed });
                        sub.queued.push_back(Event::Snapshot(sub.daemon.state()));
                        return;
                    }
                    Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                }
            }
            push_logs(&mut sub.queued, lines);
        }
        DaemonEvent::Activity(activity) => sub.queued.push_back(Event::Activity(activity)),
        DaemonEvent::OAuth(oauth) => sub.queued.push_back(Event::OAuth(oauth)),
        DaemonEvent::ConfigApplied { path } => {
            sub.queued.push_back(Event::ConfigReloaded { path });
        }
        DaemonEvent::ConfigRefused { problems } => {
            sub.queued.push_back(Event::ConfigError { problems });
        }
        DaemonEvent::ToolsIndexed(_) => {
            // One vector at a time makes hundreds of these: a waiting one is replaced.
            let status = Event::ToolsIndexed(daemon.search_status());
            match sub.queued.back_mut() {
                Some(last @ Event::ToolsIndexed(_)) => *last = status,
                _ => sub.queued.push_back(status),
            }
        }
    }
}

fn push_logs(queued: &mut VecDeque<Event>, mut lines: Vec<crate::protocol::LogLine>) {
    queued.push_back(match lines.len() {
        1 => Event::Log(lines.remove(0)),
        _ => Event::Logs { lines },
    });
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
