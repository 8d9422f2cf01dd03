//! OAuth logins to upstream servers: `GET /api/v1/auth`, `POST
//! /api/v1/servers/NAME/login|logout`. The daemon runs the flow and its redirect listener;
//! the client shows the URL (and opens a browser) and follows `oauth` and `server` events.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::daemon::Daemon;
use crate::http::ApiFailure;
use crate::oauth::OAuthSession;
use crate::protocol::{AuthList, AuthStatus, ServerAuth, ServerState};
use crate::upstream::ServerShared;

/// The routes, relative to `/api/v1`.
pub fn routes() -> Router<Daemon> {
    Router::new()
        .route("/auth", get(list))
        .route("/servers/{name}/login", post(login))
        .route("/servers/{name}/logout", post(logout))
}

/// `GET /api/v1/auth`: every server that can log in with OAuth, and where it stands.
async fn list(State(daemon): State<Daemon>) -> Json<AuthList> {
    let mut servers = Vec::new();
    for view in daemon.servers() {
        if let Some(oauth) = daemon
            .upstreams()
            .server(&view.name)
            .and_then(|s| s.oauth.clone())
        {
            servers.push(oauth.auth().await);
        }
    }
    Json(AuthList { servers })
}

fn session(
    daemon: &Daemon,
    name: &str,
) -> Result<(Arc<ServerShared>, Arc<OAuthSession>), ApiFailure> {
    let shared = daemon.upstreams().server(name).ok_or_else(|| {
        ApiFailure::not_found(format!("there is no server \"{name}\""))
            .hint("`mcpproxy upstream list` shows the servers")
    })?;
    let oauth = shared.oauth.clone().ok_or_else(|| {
        ApiFailure::bad_request(format!(
            "server \"{name}\" does not log in with OAuth (only remote streamable-HTTP servers do)"
        ))
    })?;
    Ok((shared, oauth))
}

/// `POST /api/v1/servers/NAME/login`: starts a login (or returns the one waiting) and
/// answers with its URL at once; `oauth` events tell how it ends.
async fn login(
    State(daemon): State<Daemon>,
    Path(name): Path<String>,
) -> Result<Json<ServerAuth>, ApiFailure> {
    let (shared, oauth) = session(&daemon, &name)?;
    let url = oauth.start_login().await.map_err(|e| {
        let failure = ApiFailure::new(
            axum::http::StatusCode::BAD_GATEWAY,
            crate::protocol::ErrorCode::UpstreamError,
            format!("cannot start a login to \"{name}\": {e}"),
        );
        match e.hint() {
            Some(hint) => failure.hint(hint),
            None => failure,
        }
    })?;
    let mut auth = oauth.auth().await;
    if !url.is_empty() {
        shared.update(|view| {
            if matches!(view.state, ServerState::NeedsAuth) {
                view.state = ServerState::Authenticating;
            }
            view.login_url = Some(url.clone());
        });
        auth.login_url = Some(url);
        auth.status = AuthStatus::LoggingIn;
    }
    Ok(Json(auth))
}

/// `POST /api/v1/servers/NAME/logout`: revokes the tokens where supported and forgets
/// them; the server goes to `needs_auth`.
async fn logout(
    State(daemon): State<Daemon>,
    Path(name): Path<String>,
) -> Result<Json<ServerAuth>, ApiFailure> {
    let (_, oauth) = session(&daemon, &name)?;
    oauth
        .logout()
        .await
        .map_err(|e| ApiFailure::internal(format!("logging out of \"{name}\" failed: {e}")))?;
    Ok(Json(oauth.auth().await))
}
