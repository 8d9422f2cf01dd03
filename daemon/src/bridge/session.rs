//! The legacy session's upkeep: its GET stream of server-initiated messages, a new session
//! when the daemon has ended one, its end; and the watch on the daemon itself.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use hyper::StatusCode;
use hyper::header::{HeaderName, HeaderValue};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::http::{HttpError, Reply, Response};
use super::message::{ClientMessage, MCP_PROTOCOL_VERSION, MCP_SESSION_ID};
use super::{Bridge, BridgeError, refusal_text};
use crate::client::{Client, ClientError};

/// A GET stream that lasted this long was working: a retry after it starts the backoff over.
const STABLE: Duration = Duration::from_secs(5);
const FIRST_RETRY: Duration = Duration::from_millis(250);
const LAST_RETRY: Duration = Duration::from_secs(30);
/// How long ending the session may take on the way out.
const DELETE_LIMIT: Duration = Duration::from_secs(2);
/// Heartbeats asked of the daemon's event stream; only a connection that breaks matters.
const WATCH_HEARTBEAT: Duration = Duration::from_secs(60);
/// How long one status check may take while deciding whether the daemon is still there.
const STATUS_LIMIT: Duration = Duration::from_secs(2);

/// A session the daemon opened for the client's `initialize`.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    /// Tells a renewed session from the one it replaced.
    pub generation: u64,
    /// `notifications/initialized` went through: the GET stream may be opened.
    pub initialized: bool,
}

enum Listened {
    /// The endpoint offers no GET stream (405).
    Unsupported,
    /// The daemon no longer knows the session (404).
    Expired,
    /// The stream ended.
    Ended,
    Failed(String),
    DaemonGone,
}

impl Bridge {
    /// Holds the current session's GET stream open, for as long as the bridge runs.
    pub(super) async fn keep_listening(self: Arc<Self>) {
        let mut sessions = self.session.subscribe();
        let mut failures: u32 = 0;
        loop {
            let current = sessions.borrow_and_update().clone();
            let Some(session) = current.filter(|s| s.initialized) else {
                if sessions.changed().await.is_err() {
                    return;
                }
                continue;
            };
            let started = Instant::now();
            let listened = tokio::select! {
                changed = sessions.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    failures = 0;
                    continue;
                }
                listened = self.listen(&session) => listened,
            };
            match listened {
                Listened::Unsupported => {
                    tracing::debug!("the endpoint has no stream of server messages");
                    if sessions.changed().await.is_err() {
                        return;
                    }
                    continue;
                }
                Listened::DaemonGone => {
                    self.fail(self.gone());
                    return;
                }
                Listened::Expired => match self.renew_session(session.generation).await {
                    Ok(()) => {
                        failures = 0;
                        continue;
                    }
                    Err(reason) => {
                        tracing::warn!("cannot open a new MCP session with the daemon: {reason}");
                    }
                },
                Listened::Ended => tracing::debug!("the stream of server messages ended"),
                Listened::Failed(reason) => {
                    tracing::warn!("the stream of server messages failed: {reason}");
                }
            }
            failures = if started.elapsed() > STABLE {
                1
            } else {
                failures.saturating_add(1)
            };
            tokio::select! {
                () = tokio::time::sleep(backoff(failures)) => {}
                changed = sessions.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
            }
        }
    }

    /// Relays the session's GET stream until it ends.
    async fn listen(&self, session: &Session) -> Listened {
        let headers = self.session_headers(session);
        match self.http.get(&headers).await {
            Err(e) if e.daemon_gone() => Listened::DaemonGone,
            Err(e) => Listened::Failed(e.to_string()),
            Ok(Response {
                reply: Reply::Stream(mut events),
                ..
            }) => {
                while let Some(event) = events.next().await {
                    match event {
                        Ok(data) => {
                            self.pass_on(data.into_bytes(), None, None).await;
                        }
                        Err(e) => return Listened::Failed(format!("it broke off: {e}")),
                    }
                }
                Listened::Ended
            }
            Ok(Response {
                reply: Reply::Refused { status, body },
                ..
            }) => match status {
                StatusCode::METHOD_NOT_ALLOWED => Listened::Unsupported,
                StatusCode::NOT_FOUND => Listened::Expired,
                status => Listened::Failed(refusal_text(status, &body)),
            },
            Ok(_) => Listened::Failed("the daemon answered the GET without a stream".to_owned()),
        }
    }

    /// Opens a new session in place of `expired` by replaying the client's handshake; does
    /// nothing when another task already has.
    pub(super) async fn renew_session(&self, expired: u64) -> Result<(), String> {
        let _turn = self.renewal.lock().await;
        let current = self.session.borrow().as_ref().map(|s| s.generation);
        if current != Some(expired) {
            return Ok(());
        }
        let Some(initialize) = self.state().initialize.clone() else {
            return Err("the client's initialize is not known".to_owned());
        };
        let response = self
            .http
            .post(initialize, &[])
            .await
            .map_err(|e| self.http_failure(e))?;
        let Some(id) = response.session_id else {
            return Err("the daemon answered initialize without a session".to_owned());
        };
        let answer = first_answer(response.reply).await?;
        let Some(version) = answer
            .pointer("/result/protocolVersion")
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            return Err(format!(
                "the daemon refused initialize: {}",
                answer["error"]
            ));
        };
        let initialized =
            ClientMessage::made(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        let mut headers = initialized.headers(Some(&version), None);
        headers.push((
            MCP_SESSION_ID,
            HeaderValue::from_str(&id)
                .map_err(|e| format!("the daemon's session id is not a header value: {e}"))?,
        ));
        let response = self
            .http
            .post(initialized.raw(), &headers)
            .await
            .map_err(|e| self.http_failure(e))?;
        if let Reply::Refused { status, body } = response.reply {
            return Err(format!(
                "the daemon refused notifications/initialized: {}",
                refusal_text(status, &body)
            ));
        }
        let generation = {
            let mut state = self.state();
            state.version = Some(version);
            state.next_generation()
        };
        self.session.send_replace(Some(Session {
            id,
            generation,
            initialized: true,
        }));
        tracing::info!(
            "the daemon had ended the MCP session (it ends idle ones); opened a new one"
        );
        Ok(())
    }

    /// Ends the session, if there is one, so the daemon need not wait for it to go idle.
    pub(super) async fn end_session(&self) {
        let Some(session) = self.session.borrow().clone() else {
            return;
        };
        let headers = self.session_headers(&session);
        match tokio::time::timeout(DELETE_LIMIT, self.http.delete(&headers)).await {
            Ok(Ok(status)) => tracing::debug!(%status, "ended the MCP session"),
            Ok(Err(e)) => tracing::debug!("cannot end the MCP session: {e}"),
            Err(_) => tracing::debug!("the daemon did not confirm the end of the MCP session"),
        }
    }

    fn session_headers(&self, session: &Session) -> Vec<(HeaderName, HeaderValue)> {
        let version = self.state().version.clone();
        let mut headers = Vec::new();
        if let Ok(id) = HeaderValue::from_str(&session.id) {
            headers.push((MCP_SESSION_ID, id));
        }
        if let Some(version) = version.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.push((MCP_PROTOCOL_VERSION, version));
        }
        headers
    }

    fn http_failure(&self, error: HttpError) -> String {
        if error.daemon_gone() {
            self.fail(self.gone());
        }
        error.to_string()
    }
}

/// The first answer in a reply (other messages before it are not the client's business: the
/// client already has its answer to this handshake).
async fn first_answer(reply: Reply) -> Result<Value, String> {
    let is_answer = |value: &Value| value.get("method").is_none() && value.get("id").is_some();
    match reply {
        Reply::Json(body) => serde_json::from_slice(&body)
            .map_err(|e| format!("the daemon's answer is not JSON: {e}")),
        Reply::Stream(mut events) => {
            while let Some(event) = events.next().await {
                let data = event.map_err(|e| format!("the daemon's answer broke off: {e}"))?;
                let value: Value = serde_json::from_str(&data)
                    .map_err(|e| format!("the daemon's answer is not JSON: {e}"))?;
                if is_answer(&value) {
                    return Ok(value);
                }
            }
            Err("the daemon closed the stream without answering".to_owned())
        }
        Reply::Accepted => Err("the daemon sent no answer".to_owned()),
        Reply::Refused { status, body } => Err(refusal_text(status, &body)),
    }
}

/// Doubling from [`FIRST_RETRY`] with each failure in a row, up to [`LAST_RETRY`].
fn backoff(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    FIRST_RETRY.saturating_mul(1 << doublings).min(LAST_RETRY)
}

/// Follows the daemon's event stream (which ends when the daemon stops); when it ends and
/// the daemon does not answer either, reports the daemon gone.
pub(super) async fn watch_daemon(socket: PathBuf, fatal: mpsc::UnboundedSender<BridgeError>) {
    let client = Client::socket(&socket);
    loop {
        if let Ok(events) = client.events_with_heartbeat(Some(WATCH_HEARTBEAT)).await {
            let mut events = std::pin::pin!(events);
            while let Some(event) = events.next().await {
                // A decoding error is an event this build does not know; only a broken
                // connection ends the watch.
                if matches!(event, Err(ClientError::Http(_))) {
                    break;
                }
            }
        }
        if !answers(&client).await {
            let _ = fatal.send(BridgeError::DaemonGone { socket });
            return;
        }
        tokio::time::sleep(FIRST_RETRY).await;
    }
}

/// Whether something still answers HTTP on the socket (even with an error), within a few
/// tries.
async fn answers(client: &Client) -> bool {
    for _ in 0..3 {
        match tokio::time::timeout(STATUS_LIMIT, client.status()).await {
            Ok(Ok(_) | Err(ClientError::Api { .. } | ClientError::Decode { .. })) => return true,
            Ok(Err(_)) | Err(_) => tokio::time::sleep(FIRST_RETRY).await,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_limit() {
        assert_eq!(backoff(1), FIRST_RETRY);
        assert_eq!(backoff(2), FIRST_RETRY * 2);
        assert_eq!(backoff(4), FIRST_RETRY * 8);
        assert_eq!(backoff(50), LAST_RETRY);
    }
}
