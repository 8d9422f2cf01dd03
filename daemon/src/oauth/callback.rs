//! The loopback redirect listener (RFC 8252 §7.3): the authorization server sends the
//! browser to `http://127.0.0.1:PORT/callback?code=...&state=...`, and this listener hands
//! the parameters to the waiting login, then shows the person how it ended.

use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::Html;
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::OAuthError;

pub const CALLBACK_PATH: &str = "/callback";

/// The query of one redirect.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Redirect {
    pub code: Option<String>,
    pub state: Option<String>,
    /// RFC 9207: the issuer of the response, checked against the discovered one.
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// A redirect and where to report what became of it.
pub struct Arrival {
    pub redirect: Redirect,
    pub outcome: oneshot::Sender<Result<(), String>>,
}

pub struct CallbackListener {
    port: u16,
    arrivals: mpsc::Receiver<Arrival>,
    stop: CancellationToken,
}

impl std::fmt::Debug for CallbackListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackListener")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl CallbackListener {
    /// Listens on `127.0.0.1:port` (0: any free port).
    pub async fn bind(port: u16) -> Result<Self, OAuthError> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|source| OAuthError::Listen { port, source })?;
        let port = listener
            .local_addr()
            .map_err(|source| OAuthError::Listen { port, source })?
            .port();
        let (arrivals_tx, arrivals) = mpsc::channel(4);
        let stop = CancellationToken::new();
        let app = axum::Router::new()
            .route(CALLBACK_PATH, axum::routing::get(receive))
            .with_state(arrivals_tx);
        let stopped = stop.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(stopped.cancelled_owned())
                .await;
        });
        Ok(Self {
            port,
            arrivals,
            stop,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The redirect URI to register and send: the loopback IP literal, never `localhost`
    /// (RFC 8252 §8.3).
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{CALLBACK_PATH}", self.port)
    }

    /// The next redirect; `None` once the listener has stopped.
    pub async fn next(&mut self) -> Option<Arrival> {
        self.arrivals.recv().await
    }
}

impl Drop for CallbackListener {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn receive(
    State(arrivals): State<mpsc::Sender<Arrival>>,
    Query(redirect): Query<Redirect>,
) -> Html<String> {
    let (outcome_tx, outcome) = oneshot::channel();
    let sent = arrivals
        .send(Arrival {
            redirect,
            outcome: outcome_tx,
        })
        .await;
    if sent.is_err() {
        return page(
            "This login is no longer waiting",
            "Start it again from mcpproxy.",
        );
    }
    match tokio::time::timeout(Duration::from_secs(30), outcome).await {
        Ok(Ok(Ok(()))) => page(
            "Logged in",
            "mcpproxy has its token. You can close this window.",
        ),
        Ok(Ok(Err(why))) => page("The login failed", &why),
        _ => page(
            "The login is taking long",
            "mcpproxy is still exchanging the code; check `mcpproxy auth status`.",
        ),
    }
}

fn page(title: &str, text: &str) -> Html<String> {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>mcpproxy: {t}</title></head>\
         <body style=\"font-family: sans-serif; margin: 3em\"><h1>{t}</h1><p>{x}</p></body></html>",
        t = escape(title),
        x = escape(text)
    ))
}
