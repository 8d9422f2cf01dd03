//! The client side of one upstream connection: what mcpproxy tells the server about itself,
//! and what it does with the server's notifications.
//!
//! Logging notifications are deprecated by the 2026-07-28 revision (SEP-2577), but servers of
//! the 2025-11-25 era still send them, and they belong in the server log.
#![allow(deprecated)]

use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{
    ClientCapabilities, ClientConfig, ClientResult, CreateMessageRequest,
    CreateMessageRequestParams, CreateMessageResult, ElicitRequest, ElicitRequestParams,
    ElicitResult, Implementation, ListRootsRequest, ListRootsResult, LoggingLevel,
    LoggingMessageNotificationParam, NotificationMetaObject, ProgressNotificationParam,
    ProgressToken, RequestId, ResourceUpdatedNotificationParam, ServerRequest,
};
use rmcp::service::{InboundStreamOrigin, NotificationContext, RequestContext, RoleClient};
use rmcp::{ClientHandler, ErrorData};
use tokio::sync::mpsc;

use super::routes::{Arrival, CallRoutes, Caller, Route, take_related_request};
use super::server_log::ServerLog;
use super::subscriptions::Subscriptions;
use crate::catalog::ListChanged;
use crate::protocol::{LogLevel, LogOrigin};

/// How long a server's question about a call may wait for the call to record its request
/// (it does so just after sending it).
const QUESTION_GRACE: Duration = Duration::from_secs(1);
/// The same for a log message, which holds up the call's result meanwhile: shorter.
const LOG_GRACE: Duration = Duration::from_millis(100);

#[derive(Debug, Clone)]
pub struct UpstreamHandler {
    log: Arc<ServerLog>,
    changes: mpsc::UnboundedSender<ListChanged>,
    routes: Arc<CallRoutes>,
    /// With no client to ask, accept elicitations with the schema's defaults (the probe,
    /// which has no person to ask either) instead of refusing them.
    defaults_when_alone: bool,
    /// Offer 2025-11-25 in `initialize` (rmcp offers its newest revision otherwise).
    legacy_handshake: bool,
    subscriptions: Arc<Subscriptions>,
}

/// The upstream request whose response stream carried `context`'s request, when the
/// transport knows (streamable HTTP).
fn related_request(context: &RequestContext<RoleClient>) -> Option<RequestId> {
    match context.extensions.get::<InboundStreamOrigin>()? {
        InboundStreamOrigin::OutboundRequest(id) => Some(id.clone()),
        InboundStreamOrigin::Unassociated => None,
    }
}

impl UpstreamHandler {
    pub fn new(
        log: Arc<ServerLog>,
        changes: mpsc::UnboundedSender<ListChanged>,
        routes: Arc<CallRoutes>,
        subscriptions: Arc<Subscriptions>,
    ) -> Self {
        Self {
            log,
            changes,
            routes,
            defaults_when_alone: false,
            legacy_handshake: false,
            subscriptions,
        }
    }

    /// The same handler for an `initialize` handshake (2025-11-25), when `server/discover`
    /// went wrong.
    pub fn for_initialize(&self) -> Self {
        Self {
            legacy_handshake: true,
            ..self.clone()
        }
    }

    /// Accepts elicitations no client can answer with the defaults their schema gives.
    pub fn with_defaults_when_alone(mut self) -> Self {
        self.defaults_when_alone = true;
        self
    }

    /// The calls in flight through this server; its transport numbers their notifications
    /// ([`CallRoutes::ordered`]).
    pub fn routes(&self) -> &Arc<CallRoutes> {
        &self.routes
    }

    /// The client whose call caused a server-to-client request: the call whose response
    /// stream carried it, or, when the transport cannot tell, the only client with calls in
    /// flight. With none or several, and for a request about something that is no call in
    /// flight, it is refused (and logged) with an error the server can handle.
    async fn caller_for(
        &self,
        what: &str,
        context: &RequestContext<RoleClient>,
    ) -> Result<Caller, ErrorData> {
        let related = related_request(context);
        let refuse = |why: String| {
            self.log.daemon(
                LogLevel::Warn,
                format!("refused the server's {what} request: {why}"),
            );
            ErrorData::internal_error(
                format!("mcpproxy cannot route this {what} request: {why}"),
                None,
            )
        };
        match self
            .routes
            .route(related.as_ref(), None, QUESTION_GRACE)
            .await
        {
            Route::To(caller) => Ok(caller),
            Route::Stale => Err(refuse(
                "it belongs to a request that is no tool call in flight".to_owned(),
            )),
            Route::Unknown(error) => Err(refuse(error.to_string())),
        }
    }

    /// Passes a server-to-client request to the client whose call caused it (see
    /// [`Self::caller_for`]). A 2026-07-28 client is asked through its call (see
    /// [`super::routes::Questions`]).
    async fn ask_caller(
        &self,
        what: &str,
        request: ServerRequest,
        context: &RequestContext<RoleClient>,
    ) -> Result<ClientResult, ErrorData> {
        self.caller_for(what, context)
            .await?
            .ask(what, request)
            .await
    }
}

impl ClientHandler for UpstreamHandler {
    fn get_info(&self) -> ClientConfig {
        // Sampling, elicitation and roots are offered because the clients behind the proxy
        // may answer them; a request no client can take is refused then.
        let capabilities = ClientCapabilities::builder()
            .enable_roots()
            .enable_sampling()
            .enable_elicitation()
            .build();
        let mut config = ClientConfig::new(
            capabilities,
            Implementation::new("mcpproxy", env!("CARGO_PKG_VERSION")),
        );
        if self.legacy_handshake {
            config.protocol_version = rmcp::model::ProtocolVersion::V_2025_11_25;
        }
        config
    }

    async fn create_message(
        &self,
        params: CreateMessageRequestParams,
        context: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, ErrorData> {
        match self
            .ask_caller(
                "sampling",
                ServerRequest::CreateMessageRequest(CreateMessageRequest::new(params)),
                &context,
            )
            .await?
        {
            ClientResult::CreateMessageResult(result) => Ok(*result),
            _ => Err(ErrorData::internal_error(
                "the client answered sampling with something else",
                None,
            )),
        }
    }

    async fn create_elicitation(
        &self,
        params: ElicitRequestParams,
        context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        if self.defaults_when_alone && self.routes.sole_caller().is_err() {
            return Ok(accept_with_defaults(&params));
        }
        match self
            .ask_caller(
                "elicitation",
                ServerRequest::ElicitRequest(ElicitRequest::new(params)),
                &context,
            )
            .await?
        {
            ClientResult::ElicitResult(result) => Ok(result),
            _ => Err(ErrorData::internal_error(
                "the client answered elicitation with something else",
                None,
            )),
        }
    }

    async fn list_roots(
        &self,
        context: RequestContext<RoleClient>,
    ) -> Result<ListRootsResult, ErrorData> {
        // Servers ask for roots unprompted too (on connecting, say): with no client to ask,
        // there are none, which is no reason to log.
        let related = related_request(&context);
        let Route::To(caller) = self
            .routes
            .route(related.as_ref(), None, QUESTION_GRACE)
            .await
        else {
            return Ok(ListRootsResult::default());
        };
        match caller
            .ask(
                "roots",
                ServerRequest::ListRootsRequest(ListRootsRequest::default()),
            )
            .await
        {
            Ok(ClientResult::ListRootsResult(result)) => Ok(result),
            // A client without roots has none to share.
            _ => Ok(ListRootsResult::default()),
        }
    }

    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        context: NotificationContext<RoleClient>,
    ) {
        if let Some((peer, token)) = self.routes.progress_target(&params.progress_token) {
            if let Some(arrival) = context.extensions.get::<Arrival>() {
                arrival.wait_turn().await;
            }
            let mut params = params;
            params.progress_token = token;
            let _ = peer.notify_progress(params).await;
        }
        // The context carries the notification's place in the arrival order; dropping it
        // tells a call waiting for its result that this one has been passed on.
        drop(context);
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.changes.send(ListChanged::Tools);
    }

    async fn on_prompt_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.changes.send(ListChanged::Prompts);
    }

    async fn on_resource_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.changes.send(ListChanged::Resources);
    }

    async fn on_resource_updated(
        &self,
        params: ResourceUpdatedNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.subscriptions.deliver(&params.uri).await;
    }

    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        mut context: NotificationContext<RoleClient>,
    ) {
        // The notification's `_meta`: rmcp moves the notification's extensions into the
        // context before it reads the `_meta` from them, so it is found among the
        // extensions, not in `context.meta`.
        let mut meta = context
            .extensions
            .remove::<NotificationMetaObject>()
            .unwrap_or_default();
        meta.extend(std::mem::take(&mut context.meta));
        // Which call it belongs to, as the transport marked it (see `routes::related`); the
        // mark is mcpproxy's own and goes no further.
        let related = take_related_request(&mut meta);
        let token: Option<ProgressToken> = meta
            .get("progressToken")
            .and_then(|token| serde_json::from_value(token.clone()).ok());
        let mut forwarded = params.clone();
        if !meta.is_empty() {
            forwarded.meta = Some(meta);
        }
        let level = match params.level {
            LoggingLevel::Debug => LogLevel::Debug,
            LoggingLevel::Info | LoggingLevel::Notice => LogLevel::Info,
            LoggingLevel::Warning => LogLevel::Warn,
            _ => LogLevel::Error,
        };
        let data = match params.data {
            serde_json::Value::String(text) => text,
            other => other.to_string(),
        };
        let text = match params.logger {
            Some(logger) => format!("{logger}: {data}"),
            None => data,
        };
        self.log.write(level, LogOrigin::Server, text);
        if let Some(arrival) = context.extensions.get::<Arrival>() {
            arrival.wait_turn().await;
        }
        // The client whose call the message is about sees it, as it would talking to the
        // server directly; one that is about no call, or about a call of one client among
        // several, stays in the server log.
        if let Route::To(caller) = self
            .routes
            .route(related.as_ref(), token.as_ref(), LOG_GRACE)
            .await
        {
            let _ = caller.peer.notify_logging_message(forwarded).await;
        }
        // Passed on: see `on_progress`.
        drop(context);
    }
}

/// An elicitation accepted with the default of every field that has one (SEP-1034).
fn accept_with_defaults(params: &ElicitRequestParams) -> ElicitResult {
    let wire = serde_json::to_value(params).unwrap_or_default();
    let content: serde_json::Map<String, serde_json::Value> = wire
        .pointer("/requestedSchema/properties")
        .and_then(serde_json::Value::as_object)
        .map(|properties| {
            properties
                .iter()
                .filter_map(|(name, schema)| Some((name.clone(), schema.get("default")?.clone())))
                .collect()
        })
        .unwrap_or_default();
    let mut result = ElicitResult::new(rmcp::model::ElicitationAction::Accept);
    result.content = Some(serde_json::Value::Object(content));
    result
}

/// On a 2026-07-28 session, list-changed notifications only come to a client that asked for
/// them with a listen subscription. Opens one for every list the server can announce changes
/// of, and passes each change on until the session ends. Older sessions need nothing: their
/// notifications arrive through [`UpstreamHandler`].
pub async fn listen_for_changes(
    peer: rmcp::service::Peer<RoleClient>,
    capabilities: rmcp::model::ServerCapabilities,
    changes: mpsc::UnboundedSender<ListChanged>,
    log: Arc<ServerLog>,
) {
    use rmcp::model::{ServerNotification, SubscriptionFilter};
    let filter = SubscriptionFilter::builder()
        .tools_list_changed()
        .prompts_list_changed()
        .resources_list_changed()
        .build()
        .supported_by(&capabilities);
    if filter == SubscriptionFilter::new() {
        return;
    }
    let mut subscription = match peer.listen(filter).await {
        Ok(subscription) => subscription,
        Err(e) => {
            log.daemon(
                LogLevel::Warn,
                format!("cannot subscribe to list changes: {e}"),
            );
            return;
        }
    };
    while let Ok(Some(notification)) = subscription.next().await {
        let list = match notification {
            ServerNotification::ToolListChangedNotification(_) => ListChanged::Tools,
            ServerNotification::PromptListChangedNotification(_) => ListChanged::Prompts,
            ServerNotification::ResourceListChangedNotification(_) => ListChanged::Resources,
            _ => continue,
        };
        if changes.send(list).is_err() {
            return;
        }
    }
}
