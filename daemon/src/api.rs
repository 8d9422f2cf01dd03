//! The control API under `/api/v1`: status, servers, tools, logs, held items, the event
//! stream, shutdown. Bodies are the types in [`crate::protocol`]; errors and the API-key
//! check come from the doors ([`crate::http`]).

mod activity;
mod control;
mod events;
mod oauth;
mod servers;

use axum::Router;
use axum::routing::{get, post};

use crate::daemon::Daemon;
use crate::http::{Door, require_api_key};

/// The control routes for one door; on TCP every request needs the API key.
pub fn routes(daemon: &Daemon, door: Door) -> Router<Daemon> {
    let routes = Router::new()
        .route("/status", get(control::status))
        .route("/servers", get(servers::list).post(servers::add))
        .route("/servers/{name}", get(servers::one).delete(servers::remove))
        .route("/servers/{name}/enable", post(servers::enable))
        .route("/servers/{name}/disable", post(servers::disable))
        .route("/servers/{name}/restart", post(servers::restart))
        .route("/servers/{name}/approve", post(servers::approve))
        .route(
            "/servers/{name}/tools/disable",
            post(servers::disable_tools),
        )
        .route("/servers/{name}/tools/enable", post(servers::enable_tools))
        .route("/servers/{name}/reject", post(servers::reject))
        .route("/servers/{name}/inspect", get(servers::inspect))
        .route("/quarantine", get(servers::quarantine))
        .route("/servers/{name}/logs", get(servers::logs))
        .route("/logs", get(control::daemon_logs))
        .route("/tools", get(servers::tools))
        .route("/tools/call", post(servers::call))
        .route("/tools/search", get(servers::search))
        .route("/held", get(servers::held))
        .route("/activity", get(activity::list))
        .route("/activity/summary", get(activity::summary))
        .route("/activity/{id}", get(activity::show))
        .route("/events", get(events::events))
        .route("/shutdown", post(control::shutdown))
        .merge(oauth::routes());
    match door {
        Door::Socket => routes,
        Door::Tcp => routes.layer(axum::middleware::from_fn_with_state(
            daemon.api_key().clone(),
            require_api_key,
        )),
    }
}
