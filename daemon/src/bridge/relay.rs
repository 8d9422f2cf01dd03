//! The bridge's shared state and the exchange of each message with the daemon: requests
//! and notifications out, answers and server messages back, sessions opened, kept and
//! renewed.

use super::*;

/// What the bridge's tasks share.
pub(super) struct Bridge {
    pub(super) http: SocketHttp,
    pub(super) state: Mutex<State>,
    /// The legacy session; the keeper follows it to hold its GET stream.
    pub(super) session: watch::Sender<Option<Session>>,
    /// One session renewal at a time.
    pub(super) renewal: tokio::sync::Mutex<()>,
    /// Lines for stdout.
    pub(super) out: mpsc::Sender<Vec<u8>>,
    pub(super) fatal: mpsc::UnboundedSender<BridgeError>,
}

#[derive(Default)]
pub(super) struct State {
    /// The version the handshake negotiated, or the last one a request named: what a
    /// message that names none goes out under.
    pub(super) version: Option<String>,
    /// The client's `initialize`, replayed to open a new session when the daemon ended one.
    pub(super) initialize: Option<Bytes>,
    /// Where the arguments of tools with `x-mcp-header` annotations travel in
    /// `Mcp-Param-*` headers too, by tool name: from the last `tools/list` answers,
    /// forgotten when the tools change.
    pub(super) header_params: HashMap<String, Vec<HeaderParam>>,
    /// Requests in flight, by [`id_key`].
    pub(super) pending: HashMap<String, Pending>,
    /// Sessions opened so far.
    pub(super) sessions_opened: u64,
}

impl State {
    pub(super) fn next_generation(&mut self) -> u64 {
        self.sessions_opened += 1;
        self.sessions_opened
    }
}

pub(super) struct Pending {
    /// Sent the 2026-07-28 way: cancelled by closing its exchange.
    pub(super) stateless: bool,
    /// The client gave up on it: it needs no error answer if it goes unanswered.
    pub(super) cancelled: bool,
    pub(super) task: AbortHandle,
}

impl Bridge {
    pub(super) fn state(&self) -> MutexGuard<'_, State> {
        crate::sync::lock(&self.state)
    }

    pub(super) fn fail(&self, error: BridgeError) {
        let _ = self.fatal.send(error);
    }

    pub(super) fn gone(&self) -> BridgeError {
        BridgeError::DaemonGone {
            socket: self.http.socket().to_path_buf(),
        }
    }

    pub(super) async fn emit(&self, line: Vec<u8>) {
        // Fails only once the writer has stopped, which the main loop reports.
        let _ = self.out.send(line).await;
    }

    /// Takes one line from stdin. An `initialize` comes back as its running exchange:
    /// what follows needs the session it opens, so the caller takes no other line until it
    /// has finished (while still watching for failures).
    pub(super) async fn take(
        self: &Arc<Self>,
        line: Vec<u8>,
        exchanges: &mut JoinSet<()>,
        streams: &mut JoinSet<()>,
    ) -> Option<AbortOnDropHandle<()>> {
        if line.trim_ascii().is_empty() {
            return None;
        }
        let message = match ClientMessage::parse(line) {
            Ok(message) => message,
            Err(e) => {
                let text = format!("Parse error: the line is not JSON ({e})");
                self.emit(error_answer(None, PARSE_ERROR, &text)).await;
                return None;
            }
        };
        if message.is_initialize() {
            return Some(AbortOnDropHandle::new(tokio::spawn(
                Arc::clone(self).exchange(message),
            )));
        }
        self.dispatch(message, exchanges, streams);
        None
    }

    pub(super) fn dispatch(
        self: &Arc<Self>,
        message: ClientMessage,
        exchanges: &mut JoinSet<()>,
        streams: &mut JoinSet<()>,
    ) {
        if let Some(cancelled) = message.cancelled_request() {
            let key = id_key(cancelled);
            let mut state = self.state();
            if let Some(pending) = state.pending.get_mut(&key) {
                if pending.stateless {
                    // 2026-07-28 has no session to post the notification to: closing the
                    // request's exchange is the cancellation.
                    pending.task.abort();
                    state.pending.remove(&key);
                    return;
                }
                pending.cancelled = true;
            }
        }
        let Some(id) = message.request_id().map(id_key) else {
            exchanges.spawn(Arc::clone(self).exchange(message));
            return;
        };
        let mut state = self.state();
        let version = message
            .inline_version()
            .map(str::to_owned)
            .or_else(|| state.version.clone());
        let stateless = is_stateless(version.as_deref());
        // A `subscriptions/listen` stream lasts until it is cancelled: it is not waited for.
        let tasks = if message.method() == Some("subscriptions/listen") {
            streams
        } else {
            exchanges
        };
        let task = tasks.spawn(Arc::clone(self).exchange(message));
        state.pending.insert(
            id,
            Pending {
                stateless,
                cancelled: false,
                task,
            },
        );
    }

    /// Sends one message and passes on what comes back.
    pub(super) async fn exchange(self: Arc<Self>, message: ClientMessage) {
        let relayed = match self.deliver(&message).await {
            Ok(response) => self.relay(response, &message).await,
            Err(e) if e.daemon_gone() => {
                self.fail(self.gone());
                return;
            }
            Err(e) => Err(format!("cannot pass the message to the daemon: {e}")),
        };
        let Some(id) = message.request_id() else {
            if let Err(reason) = relayed {
                tracing::warn!(method = message.method().unwrap_or("-"), "{reason}");
            }
            return;
        };
        let pending = self.state().pending.remove(&id_key(id));
        if let Err(reason) = relayed
            && !pending.is_some_and(|p| p.cancelled)
        {
            tracing::warn!(method = message.method().unwrap_or("-"), "{reason}");
            self.emit(error_answer(Some(id), INTERNAL_ERROR, &reason))
                .await;
        }
    }

    /// POSTs `message`; when the daemon has ended the session it was sent on, opens a new
    /// one and sends it again, once.
    pub(super) async fn deliver(&self, message: &ClientMessage) -> Result<Response, HttpError> {
        let mut renewed = false;
        loop {
            let (session, headers) = self.headers_for(message);
            let response = self.http.post(message.raw(), &headers).await?;
            let expired = matches!(
                response.reply,
                Reply::Refused {
                    status: StatusCode::NOT_FOUND,
                    ..
                }
            );
            match session {
                Some(session) if expired && !renewed => {
                    if let Err(reason) = self.renew_session(session.generation).await {
                        tracing::warn!("cannot open a new MCP session with the daemon: {reason}");
                        return Ok(response);
                    }
                    renewed = true;
                }
                _ => return Ok(response),
            }
        }
    }

    /// The headers of `message`'s POST, and the session it goes out on.
    pub(super) fn headers_for(
        &self,
        message: &ClientMessage,
    ) -> (Option<Session>, Vec<(HeaderName, HeaderValue)>) {
        let mut headers = {
            let mut state = self.state();
            let version = if message.is_initialize() {
                // Its version is in its params; rmcp's client sends no header with it either.
                None
            } else if let Some(named) = message.inline_version() {
                // Notifications that follow go out under the version the client last named.
                state.version = Some(named.to_owned());
                Some(named.to_owned())
            } else {
                state.version.clone()
            };
            let header_params = message
                .called_tool()
                .and_then(|tool| state.header_params.get(tool))
                .map(Vec::as_slice);
            message.headers(version.as_deref(), header_params)
        };
        let stateless = headers
            .iter()
            .find(|(name, _)| *name == message::MCP_PROTOCOL_VERSION)
            .is_some_and(|(_, version)| is_stateless(version.to_str().ok()));
        let session = if message.is_initialize() || stateless {
            None
        } else {
            self.session.borrow().clone()
        };
        if let Some(session) = &session
            && let Ok(id) = HeaderValue::from_str(&session.id)
        {
            headers.push((MCP_SESSION_ID, id));
        }
        (session, headers)
    }

    /// Passes the daemon's reply to `message` on to the client. `Err`: a request got no
    /// answer, and why.
    pub(super) async fn relay(
        &self,
        response: Response,
        message: &ClientMessage,
    ) -> Result<(), String> {
        let is_request = message.request_id().is_some();
        let session_id = response.session_id.as_deref();
        let answered = match response.reply {
            Reply::Accepted => {
                if message.method() == Some("notifications/initialized") {
                    self.session_initialized();
                }
                false
            }
            Reply::Json(body) => {
                self.pass_on(Vec::from(body), Some(message), session_id)
                    .await
            }
            Reply::Stream(mut events) => {
                let mut answered = false;
                while let Some(event) = events.next().await {
                    match event {
                        Ok(data) => {
                            answered |= self
                                .pass_on(data.into_bytes(), Some(message), session_id)
                                .await;
                        }
                        Err(e) if is_request && !answered => {
                            return Err(format!("the daemon's answer stream broke off: {e}"));
                        }
                        Err(_) => break,
                    }
                }
                answered
            }
            Reply::Refused { status, body } => {
                let Some(id) = message.request_id() else {
                    return Err(format!(
                        "the daemon refused {}: {}",
                        message.method().unwrap_or("an answer"),
                        refusal_text(status, &body)
                    ));
                };
                self.emit(refusal_answer(id, status, &body)).await;
                true
            }
        };
        if is_request && !answered {
            return Err("the daemon ended the exchange without answering".to_owned());
        }
        Ok(())
    }

    /// Writes one message from the daemon to stdout; true when it answers `request`. The
    /// answers to `initialize` and `tools/list`, and tool list changes, are read on the way
    /// for what the transport needs from them.
    pub(super) async fn pass_on(
        &self,
        data: Vec<u8>,
        request: Option<&ClientMessage>,
        session_id: Option<&str>,
    ) -> bool {
        let line = one_line(data);
        let peek = match ServerPeek::parse(&line) {
            Ok(peek) => peek,
            Err(e) => {
                tracing::warn!("dropped a message from the daemon that is not JSON: {e}");
                return false;
            }
        };
        let answer = request.filter(|r| r.request_id().is_some_and(|id| peek.answers(id)));
        if let Some(request) = answer {
            match request.method() {
                Some("initialize") => self.handshake_answered(&line, request, session_id),
                Some("tools/list") => self.learn_header_params(&line, request),
                _ => {}
            }
        }
        if peek.method.as_deref() == Some("notifications/tools/list_changed") {
            // What the old list said may no longer hold; the client lists again.
            self.state().header_params.clear();
        }
        self.emit(line).await;
        answer.is_some()
    }

    /// The client's `initialize` was answered: remember the version, the session, and the
    /// request itself for renewals.
    pub(super) fn handshake_answered(
        &self,
        answer: &[u8],
        initialize: &ClientMessage,
        session_id: Option<&str>,
    ) {
        let Ok(answer) = serde_json::from_slice::<Value>(answer) else {
            return;
        };
        let Some(version) = answer
            .pointer("/result/protocolVersion")
            .and_then(Value::as_str)
        else {
            return;
        };
        let generation = {
            let mut state = self.state();
            state.version = Some(version.to_owned());
            state.initialize = Some(initialize.raw());
            state.next_generation()
        };
        self.session.send_replace(session_id.map(|id| Session {
            id: id.to_owned(),
            generation,
            initialized: false,
        }));
    }

    pub(super) fn session_initialized(&self) {
        self.session.send_if_modified(|session| match session {
            Some(session) if !session.initialized => {
                session.initialized = true;
                true
            }
            _ => false,
        });
    }

    /// Keeps the header params of the tools a `tools/list` answer lists. An answer to a
    /// first request is the whole list (a later page, asked for with a cursor, continues
    /// it): it replaces what was known, so removed tools send no headers any more. A tool
    /// listed without annotations loses any it had.
    pub(super) fn learn_header_params(&self, answer: &[u8], request: &ClientMessage) {
        let Ok(answer) = serde_json::from_slice::<Value>(answer) else {
            return;
        };
        let Some(result) = answer.get("result") else {
            return;
        };
        let listed = listed_header_params(result);
        let mut state = self.state();
        if request.cursor().is_none() {
            state.header_params.clear();
        }
        for (tool, params) in listed {
            if params.is_empty() {
                state.header_params.remove(&tool);
            } else {
                state.header_params.insert(tool, params);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    fn bridge() -> (Arc<Bridge>, mpsc::Receiver<Vec<u8>>) {
        let (out, lines) = mpsc::channel(64);
        let (fatal, _) = mpsc::unbounded_channel();
        let bridge = Bridge {
            http: SocketHttp::new(Path::new("/nonexistent/mcp.sock"), "/mcp".to_owned()),
            state: Mutex::default(),
            session: watch::Sender::new(None),
            renewal: tokio::sync::Mutex::new(()),
            out,
            fatal,
        };
        (Arc::new(bridge), lines)
    }

    fn message(value: Value) -> ClientMessage {
        ClientMessage::parse(value.to_string().into_bytes()).unwrap()
    }

    /// A tool whose `region` argument travels in `header`, if it has one.
    fn tool(name: &str, header: Option<&str>) -> Value {
        json!({"name": name, "inputSchema": {"type": "object", "properties": {
            "region": {"type": "string", "x-mcp-header": header}
        }}})
    }

    /// The daemon answers a `tools/list` (a later page when there is a `cursor`).
    async fn listed(bridge: &Bridge, id: i64, cursor: Option<&str>, tools: &[Value]) {
        let params = match cursor {
            Some(cursor) => json!({"cursor": cursor}),
            None => json!({}),
        };
        let request =
            message(json!({"jsonrpc": "2.0", "id": id, "method": "tools/list", "params": params}));
        let answer = json!({"jsonrpc": "2.0", "id": id, "result": {"tools": tools}});
        assert!(
            bridge
                .pass_on(answer.to_string().into_bytes(), Some(&request), None)
                .await
        );
    }

    /// The `Mcp-Param-*` headers a 2026-07-28 call of `tool` goes out with.
    fn param_headers(bridge: &Bridge, tool: &str) -> Vec<String> {
        let call = message(
            json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {
                "name": tool,
                "arguments": {"region": "eu"},
                "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}
            }}),
        );
        let (_, headers) = bridge.headers_for(&call);
        headers
            .iter()
            .filter(|(name, _)| name.as_str().starts_with("mcp-param-"))
            .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap()))
            .collect()
    }

    #[tokio::test]
    async fn header_params_follow_the_latest_tool_list() {
        let (bridge, _stdout) = bridge();
        listed(
            &bridge,
            1,
            None,
            &[tool("a", Some("Region")), tool("b", Some("Zone"))],
        )
        .await;
        assert_eq!(param_headers(&bridge, "a"), ["mcp-param-region: eu"]);
        assert_eq!(param_headers(&bridge, "b"), ["mcp-param-zone: eu"]);

        // A new list: `a` lost its annotation, `b` was removed. Neither sends old headers.
        listed(&bridge, 2, None, &[tool("a", None)]).await;
        assert!(param_headers(&bridge, "a").is_empty());
        assert!(param_headers(&bridge, "b").is_empty());
        assert!(bridge.state().header_params.is_empty());

        // A later page continues the list it follows.
        listed(&bridge, 3, None, &[tool("a", Some("Region"))]).await;
        listed(&bridge, 4, Some("page-2"), &[tool("c", Some("Zone"))]).await;
        assert_eq!(param_headers(&bridge, "a"), ["mcp-param-region: eu"]);
        assert_eq!(param_headers(&bridge, "c"), ["mcp-param-zone: eu"]);

        // The tools changed: nothing is assumed until the client lists them again.
        let changed = json!({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"});
        assert!(
            !bridge
                .pass_on(changed.to_string().into_bytes(), None, None)
                .await
        );
        assert!(param_headers(&bridge, "a").is_empty());
        assert!(param_headers(&bridge, "c").is_empty());
    }
}
