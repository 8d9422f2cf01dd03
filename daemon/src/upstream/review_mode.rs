//! Review mode: one connection to a server that is not approved yet, only to read what it
//! offers. The catalog is fetched and the connection closed at once (a stdio server's
//! process stopped); nothing of it is served, and the gate never sees it.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::Upstreams;
use super::connect::{self, ConnectError, Session};
use super::handler::UpstreamHandler;
use super::server_log::ServerLog;
use crate::catalog::Catalog;
use crate::events::EventBus;

#[derive(Debug, thiserror::Error)]
pub enum ReviewModeError {
    #[error("no server named \"{0}\"")]
    NoServer(String),
    #[error("cannot connect to \"{server}\" to inspect it: {source}")]
    Connect {
        server: String,
        #[source]
        source: ConnectError,
    },
    #[error("\"{server}\" connected but its lists could not be read: {message}")]
    List { server: String, message: String },
}

impl Upstreams {
    /// Connects to `name` as configured, fetches its catalog and disconnects. Only for a
    /// server that is not running: the caller decides whether starting it is wanted.
    pub async fn fetch_for_review(&self, name: &str) -> Result<Catalog, ReviewModeError> {
        let config = self
            .config_of(name)
            .ok_or_else(|| ReviewModeError::NoServer(name.to_owned()))?;
        // Its stderr and the client's notes go nowhere but the daemon's own log.
        let log = Arc::new(ServerLog::detached(name, EventBus::default()));
        let (changes, _changes) = mpsc::unbounded_channel();
        let handler =
            UpstreamHandler::new(Arc::clone(&log), changes, Arc::default(), Arc::default());
        let oauth = crate::oauth::session_for(name, &config, &self.paths.data_dir).map(Arc::new);
        let session =
            connect::connect(name, &config, handler, &log, &self.launcher, oauth.as_ref())
                .await
                .map_err(|source| ReviewModeError::Connect {
                    server: name.to_owned(),
                    source,
                })?;
        let fetched = match session.service.peer().peer_info() {
            Some(info) => {
                let capabilities = info.capabilities.clone();
                let peer = session.service.peer().clone();
                tokio::time::timeout(config.connect_timeout, Catalog::fetch(&peer, &capabilities))
                    .await
                    .map_err(|_| format!("no answer within {:?}", config.connect_timeout))
                    .and_then(|listed| listed.map_err(|e| e.to_string()))
            }
            None => Err("the server sent no capabilities".to_owned()),
        };
        let Session {
            service, process, ..
        } = session;
        let _ = service.cancel().await;
        if let Some(process) = process {
            process.stop(config.shutdown_grace, config.kill_grace).await;
        }
        tracing::info!(server = name, "inspected in review mode; disconnected");
        fetched.map_err(|message| ReviewModeError::List {
            server: name.to_owned(),
            message,
        })
    }
}
