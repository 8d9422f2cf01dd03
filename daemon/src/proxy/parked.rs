//! Upstream calls waiting for a 2026-07-28 client's answers.
//!
//! An upstream of an older revision asks its questions (sampling, elicitation, roots) as
//! server-to-client requests in the middle of a call. A 2026-07-28 client takes no such
//! requests: it is asked with an `input_required` result instead, and answers by calling
//! the tool again with `inputResponses` and the `requestState` it was given. In between, the
//! upstream call is still running, its question unanswered. It waits here under a fresh
//! opaque token, which is that `requestState`, until the client comes back or the call's
//! deadline passes; then it is cancelled upstream and dropped.
//!
//! rmcp ends the handler of the first request once it has answered, so everything the call
//! needs (the request handle, its routing ticket, its questions, the answer's sender) lives
//! in this table, and the expiry in a task of its own.

// Sampling and roots are deprecated from 2026-07-28 (SEP-2577), but upstreams of the
// 2025-11-25 era still ask for them, and clients of both eras still answer.
#![allow(deprecated)]

use crate::sync::lock;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

use rmcp::ErrorData;
use rmcp::model::{
    ClientResult, CreateMessageResult, ElicitResult, InputRequest, InputResponses, ListRootsResult,
    ServerRequest,
};
use rmcp::service::{RequestHandle, RoleClient};
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;

use crate::upstream::routes::{CallTicket, Question};

/// What every token mcpproxy hands out as `requestState` starts with, so it can tell its
/// own from an upstream's (a 2026-07-28 upstream's `requestState` passes through).
const TOKEN_PREFIX: &str = "mcpproxy-parked-";

/// An upstream `tools/call` in flight, owned, so that it can outlive the request handler
/// that sent it.
#[derive(Debug)]
pub struct UpstreamCall {
    pub handle: RequestHandle<RoleClient>,
    /// Keeps the call registered with the server's routes, so its messages reach the client.
    pub ticket: CallTicket,
    /// The server-to-client requests the upstream sends during the call, for a 2026-07-28
    /// client to be asked through the call; `None` for older clients, which are asked
    /// directly.
    pub questions: Option<mpsc::UnboundedReceiver<Question>>,
    /// When the call times out, rounds with the client included.
    pub deadline: Instant,
}

impl UpstreamCall {
    /// Cancels the call at the upstream; dropping it unregisters it from the routes.
    pub async fn cancel(self, reason: &str) {
        let _ = self.handle.cancel(Some(reason.to_owned())).await;
    }
}

/// What an upstream asked a 2026-07-28 client, as one `input_required` question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    Sampling,
    Elicitation,
    Roots,
}

impl Asked {
    /// The upstream's request as a question for `inputRequests`; `None` for requests that
    /// are not questions (a ping, a custom request), which the client cannot be asked.
    pub fn from_request(request: ServerRequest) -> Option<(Self, InputRequest)> {
        match request {
            ServerRequest::CreateMessageRequest(request) => {
                Some((Self::Sampling, InputRequest::CreateMessage(request)))
            }
            ServerRequest::ElicitRequest(request) => {
                Some((Self::Elicitation, InputRequest::Elicitation(request)))
            }
            ServerRequest::ListRootsRequest(request) => {
                Some((Self::Roots, InputRequest::ListRoots(request)))
            }
            _ => None,
        }
    }

    /// The question's key in `inputRequests` (one question per round, so the kind will do).
    pub fn key(self) -> &'static str {
        match self {
            Self::Sampling => "sampling",
            Self::Elicitation => "elicitation",
            Self::Roots => "roots",
        }
    }

    /// The client's response (one entry of `inputResponses`) as the upstream's answer.
    fn answer_from(self, response: serde_json::Value) -> serde_json::Result<ClientResult> {
        Ok(match self {
            Self::Sampling => {
                ClientResult::CreateMessageResult(Box::new(serde_json::from_value::<
                    CreateMessageResult,
                >(response)?))
            }
            Self::Elicitation => {
                ClientResult::ElicitResult(serde_json::from_value::<ElicitResult>(response)?)
            }
            Self::Roots => {
                ClientResult::ListRootsResult(serde_json::from_value::<ListRootsResult>(response)?)
            }
        })
    }
}

/// An upstream call whose question went to the client as an `input_required` result.
#[derive(Debug)]
pub struct ParkedCall {
    pub call: UpstreamCall,
    /// The server and the tool called: only a call of the same tool resumes it.
    pub server: String,
    pub tool: String,
    pub asked: Asked,
    /// Where the client's answer goes: the upstream's request is waiting on it.
    pub answer: oneshot::Sender<Result<ClientResult, ErrorData>>,
}

impl ParkedCall {
    /// Answers the upstream's question with the client's response to it, or with an error
    /// the upstream can handle when the client gave none that fits; returns the call, to
    /// be waited on again.
    pub fn answer(self, responses: Option<&InputResponses>) -> UpstreamCall {
        let key = self.asked.key();
        let answer = match responses.and_then(|responses| responses.get(key)) {
            Some(response) => self.asked.answer_from(response.clone()).map_err(|e| {
                ErrorData::invalid_params(format!("the client's {key} answer: {e}"), None)
            }),
            None => Err(ErrorData::internal_error(
                format!("the client called again without answering the {key} request"),
                None,
            )),
        };
        // The upstream may have given up on its question meanwhile; the call goes on.
        let _ = self.answer.send(answer);
        self.call
    }
}

/// The parked calls of every surface, by token.
#[derive(Debug, Default)]
pub struct ParkedCalls {
    calls: Mutex<HashMap<String, Parked>>,
    /// Makes every token unique, whatever the random part.
    next: AtomicU64,
}

#[derive(Debug)]
struct Parked {
    call: ParkedCall,
    /// The task that expires the call at its deadline; stopped when the call is resumed.
    expiry: AbortHandle,
}

impl ParkedCalls {
    /// Whether a client's `requestState` is one of mcpproxy's tokens (live or not).
    pub fn is_token(request_state: &str) -> bool {
        request_state.starts_with(TOKEN_PREFIX)
    }

    /// Keeps `call` until it is taken or its deadline passes (then it is cancelled upstream
    /// and dropped); returns its token.
    pub fn park(self: &Arc<Self>, call: ParkedCall) -> String {
        let token = self.fresh_token();
        let deadline = call.call.deadline;
        let table = Arc::downgrade(self);
        let expiring = token.clone();
        // The lock is held while spawning, so the task cannot look for the call before it
        // is in the table.
        let mut calls = lock(&self.calls);
        let expiry = tokio::spawn(async move {
            tokio::time::sleep_until(deadline.into()).await;
            expire(&table, &expiring).await;
        })
        .abort_handle();
        calls.insert(token.clone(), Parked { call, expiry });
        token
    }

    /// Takes the call parked under `token` if it is a call of `server`'s `tool`.
    pub fn take(&self, token: &str, server: &str, tool: &str) -> Option<ParkedCall> {
        let mut calls = lock(&self.calls);
        let parked = calls.get(token)?;
        if parked.call.server != server || parked.call.tool != tool {
            return None;
        }
        let parked = calls.remove(token)?;
        parked.expiry.abort();
        Some(parked.call)
    }

    /// How many calls are parked.
    #[cfg(test)]
    fn len(&self) -> usize {
        lock(&self.calls).len()
    }

    /// A token no one can guess (a client could otherwise answer another's question) and
    /// that is never handed out twice.
    fn fresh_token(&self) -> String {
        let mut random = [0u8; 16];
        // Without the OS's randomness the counter still keeps tokens apart.
        let _ = getrandom::fill(&mut random);
        let random: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let count = self.next.fetch_add(1, Ordering::Relaxed);
        format!("{TOKEN_PREFIX}{count}-{random}")
    }
}

/// The client did not come back before the call's deadline: the call is cancelled upstream
/// and dropped, which unregisters it and refuses the upstream's question.
async fn expire(table: &Weak<ParkedCalls>, token: &str) {
    let Some(table) = table.upgrade() else {
        return;
    };
    let parked = lock(&table.calls).remove(token);
    if let Some(parked) = parked {
        parked
            .call
            .call
            .cancel("mcpproxy: the client did not answer the call's question in time")
            .await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rmcp::ServerHandler;
    use rmcp::model::{
        CallToolRequest, CallToolRequestParams, ClientJsonRpcMessage, ClientNotification,
        ClientRequest, ListRootsRequest, Root,
    };
    use rmcp::service::{PeerRequestOptions, RoleServer, RunningService, serve_directly};
    use rmcp::transport::Transport;
    use rmcp::transport::async_rw::AsyncRwTransport;
    use tokio::io::{DuplexStream, ReadHalf, WriteHalf};

    use super::*;
    use crate::upstream::routes::{CallRoutes, Caller, Questions, RouteError};

    /// How long the calls in these tests have.
    const DEADLINE: Duration = Duration::from_millis(300);
    /// How long a test waits for something that should happen.
    const PATIENCE: Duration = Duration::from_secs(5);

    /// The downstream client, for its peer: it is never asked anything here.
    struct Downstream;
    impl ServerHandler for Downstream {}

    /// A call in flight to a scripted upstream, whose question the call has taken.
    struct Setup {
        routes: Arc<CallRoutes>,
        /// The upstream's end: what mcpproxy sends it arrives here.
        upstream: AsyncRwTransport<RoleServer, ReadHalf<DuplexStream>, WriteHalf<DuplexStream>>,
        call_id: rmcp::model::RequestId,
        parked: ParkedCall,
        /// The upstream's roots request, waiting for the client's answer.
        asking: tokio::task::JoinHandle<Result<ClientResult, ErrorData>>,
        _services: (
            RunningService<RoleClient, ()>,
            RunningService<RoleServer, Downstream>,
            DuplexStream,
        ),
    }

    async fn setup() -> Setup {
        let (ours, theirs) = tokio::io::duplex(64 * 1024);
        let connection = serve_directly::<RoleClient, _, _, _, _>((), ours, None);
        let (read, write) = tokio::io::split(theirs);
        let mut upstream = AsyncRwTransport::new_server(read, write);
        let (downstream_end, client_end) = tokio::io::duplex(64 * 1024);
        let downstream = serve_directly::<RoleServer, _, _, _, _>(Downstream, downstream_end, None);

        let deadline = Instant::now() + DEADLINE;
        let routes = Arc::new(CallRoutes::default());
        let (questions, mut asked) = Questions::channel(deadline);
        let ticket = routes.begin(Caller {
            session: 1,
            peer: downstream.peer().clone(),
            questions: Some(questions),
        });
        let call = CallToolRequest::new(CallToolRequestParams::new("slow"));
        let handle = connection
            .send_cancellable_request(
                ClientRequest::CallToolRequest(call),
                PeerRequestOptions::no_options(),
            )
            .await
            .unwrap();
        let Some(ClientJsonRpcMessage::Request(sent)) = upstream.receive().await else {
            panic!("the upstream got no tools/call");
        };

        // The upstream asks for roots in the middle of the call; the call takes the question.
        let caller = routes.sole_caller().unwrap();
        let asking = tokio::spawn(async move {
            let roots = ServerRequest::ListRootsRequest(ListRootsRequest::default());
            caller.ask("roots", roots).await
        });
        let question = tokio::time::timeout(PATIENCE, asked.recv())
            .await
            .unwrap()
            .unwrap();
        let (asked_what, _) = Asked::from_request(question.request).unwrap();
        assert_eq!(asked_what, Asked::Roots);
        let parked = ParkedCall {
            call: UpstreamCall {
                handle,
                ticket,
                questions: Some(asked),
                deadline,
            },
            server: "everything".to_owned(),
            tool: "slow".to_owned(),
            asked: asked_what,
            answer: question.answer,
        };
        Setup {
            routes,
            upstream,
            call_id: sent.id,
            parked,
            asking,
            _services: (connection, downstream, client_end),
        }
    }

    /// A call the client never comes back for is cancelled upstream at its deadline and
    /// dropped: out of the table, out of the routes, and the upstream's question refused.
    #[tokio::test]
    async fn a_call_nobody_resumes_expires_at_its_deadline() {
        let mut setup = setup().await;
        let table = Arc::new(ParkedCalls::default());
        let token = table.park(setup.parked);
        assert!(ParkedCalls::is_token(&token));
        assert_eq!(table.len(), 1);
        // Only a call of the same tool may resume it.
        assert!(table.take(&token, "everything", "other").is_none());
        assert_eq!(table.len(), 1);

        let cancelled = tokio::time::timeout(DEADLINE + PATIENCE, setup.upstream.receive())
            .await
            .expect("the upstream call was not cancelled at its deadline");
        let Some(ClientJsonRpcMessage::Notification(notification)) = cancelled else {
            panic!("expected a cancellation, got {cancelled:?}");
        };
        let ClientNotification::CancelledNotification(cancelled) = notification.notification else {
            panic!("expected a cancellation, got {notification:?}");
        };
        assert_eq!(cancelled.params.request_id, Some(setup.call_id));

        assert_eq!(table.len(), 0);
        assert!(table.take(&token, "everything", "slow").is_none());
        assert_eq!(setup.routes.sole_caller().err(), Some(RouteError::NoCaller));
        let refused = tokio::time::timeout(PATIENCE, setup.asking)
            .await
            .unwrap()
            .unwrap();
        assert!(refused.is_err(), "{refused:?}");
    }

    /// A call the client resumes in time gets its answer to the upstream and is not expired.
    #[tokio::test]
    async fn a_resumed_call_answers_the_upstream_and_does_not_expire() {
        let mut setup = setup().await;
        let table = Arc::new(ParkedCalls::default());
        let token = table.park(setup.parked);
        let parked = table.take(&token, "everything", "slow").unwrap();
        assert_eq!(table.len(), 0);

        let roots = ListRootsResult::new(vec![Root::new("file:///work")]);
        let responses =
            InputResponses::from([("roots".to_owned(), serde_json::to_value(&roots).unwrap())]);
        let call = parked.answer(Some(&responses));
        let answered = tokio::time::timeout(PATIENCE, setup.asking)
            .await
            .unwrap()
            .unwrap();
        let Ok(ClientResult::ListRootsResult(answered)) = answered else {
            panic!("the upstream got {answered:?}");
        };
        assert_eq!(answered.roots[0].uri, "file:///work");

        // Past the deadline nothing is cancelled: the call is the resumer's to wait on.
        let nothing = tokio::time::timeout(DEADLINE * 2, setup.upstream.receive()).await;
        assert!(nothing.is_err(), "{nothing:?}");
        assert!(setup.routes.sole_caller().is_ok());
        drop(call);
        assert_eq!(setup.routes.sole_caller().err(), Some(RouteError::NoCaller));
    }
}
