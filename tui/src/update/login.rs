//! OAuth logins a person starts here: starting one for the selected server, the daemon's answer, the browser,
//! the `oauth` events and the server's state after it, and logging out. The daemon runs
//! the flow and holds the tokens; the TUI shows the URL, opens the browser where it can,
//! and follows the events.

use mcpproxy_daemon::protocol::{OAuthChange, OAuthEvent, ServerAuth, ServerState, ServerView};

use crate::action::Failure;
use crate::app::login::{BrowserState, Login, LoginStage};
use crate::app::{App, Modal, ToastLevel};
use crate::effect::Effect;

/// The login key on `server`: a login under way is shown again; otherwise a new one starts.
pub fn start(app: &mut App, server: String) -> Option<Effect> {
    app.dirty = true;
    app.modal = Some(Modal::Login {
        server: server.clone(),
    });
    if app
        .servers
        .logins
        .get(&server)
        .is_some_and(Login::in_progress)
    {
        return None;
    }
    app.servers
        .logins
        .insert(server.clone(), Login::new(app.now));
    Some(Effect::Login { name: server })
}

/// The logout key on `server`: asks first, since the tokens are gone afterwards.
pub fn ask_logout(app: &mut App, server: String) {
    app.modal = Some(Modal::Confirm {
        question: format!(
            "Log out of \"{server}\"? Its tokens are revoked (where the server supports it) \
             and forgotten; it needs a new login to work again."
        ),
        effect: Effect::Logout { name: server },
    });
}

fn showing(app: &App, server: &str) -> bool {
    matches!(&app.modal, Some(Modal::Login { server: s }) if s == server)
}

/// The daemon answered the request to start a login.
pub fn started(
    app: &mut App,
    server: String,
    result: Result<ServerAuth, Failure>,
) -> Option<Effect> {
    let now = app.now;
    let ready_tools = ready_tools(app, &server);
    let login = app
        .servers
        .logins
        .entry(server.clone())
        .or_insert_with(|| Login::new(now));
    match result {
        Ok(auth) => match auth.login_url {
            Some(url) => {
                login.url = Some(url.clone());
                if login.stage == LoginStage::Starting {
                    login.stage = LoginStage::Waiting;
                }
                if login.browser == BrowserState::NotTried {
                    return Some(Effect::OpenBrowser { server, url });
                }
            }
            // No person needed (client credentials), or tokens were already held.
            None => {
                if login.in_progress() {
                    login.stage = match ready_tools {
                        Some(tools) => LoginStage::Ready { tools },
                        None => LoginStage::Connecting,
                    };
                }
            }
        },
        Err(failure) => {
            login.stage = LoginStage::Failed {
                reason: failure.message.clone(),
                hint: failure.hint.clone(),
            };
            if !showing(app, &server) {
                app.error_toast(failure);
            }
        }
    }
    None
}

pub fn browser_opened(app: &mut App, server: &str, opened: bool) {
    if let Some(login) = app.servers.logins.get_mut(server) {
        login.browser = if opened {
            BrowserState::Opened
        } else {
            BrowserState::Unavailable
        };
    }
}

pub fn logged_out(app: &mut App, server: String, result: Result<ServerAuth, Failure>) {
    match result {
        Ok(_) => {
            app.servers.logins.remove(&server);
            app.toast(
                ToastLevel::Info,
                format!("Logged out of {server}: its tokens are forgotten"),
                None,
            );
        }
        Err(failure) => app.error_toast(failure),
    }
}

/// The tool count of `server` when it is ready.
fn ready_tools(app: &App, server: &str) -> Option<u32> {
    app.daemon
        .servers
        .get(server)
        .filter(|s| s.state == ServerState::Ready)
        .map(|s| s.tool_count)
}

/// An `oauth` event from the daemon.
pub fn on_event(app: &mut App, event: OAuthEvent) {
    let server = event.auth.server.clone();
    let ready_tools = ready_tools(app, &server);
    let logins = &mut app.servers.logins;
    match event.change {
        // Only logins a person started here are followed: the daemon also prepares one by
        // itself on a first 401, and another client's login shows as the server's state.
        OAuthChange::LoginStarted => {
            if let Some(login) = logins.get_mut(&server) {
                if let Some(url) = event.auth.login_url {
                    login.url = Some(url);
                }
                if login.stage == LoginStage::Starting {
                    login.stage = LoginStage::Waiting;
                }
            }
        }
        OAuthChange::LoggedIn => {
            if let Some(login) = logins.get_mut(&server) {
                login.stage = match ready_tools {
                    Some(tools) => LoginStage::Ready { tools },
                    None => LoginStage::Connecting,
                };
            }
        }
        OAuthChange::LoginFailed => {
            let Some(login) = logins.get_mut(&server) else {
                return;
            };
            let reason = event
                .auth
                .message
                .unwrap_or_else(|| "the authorization server gave no reason".to_owned());
            login.stage = LoginStage::Failed {
                reason: reason.clone(),
                hint: None,
            };
            if !showing(app, &server) {
                app.toast(
                    ToastLevel::Error,
                    format!("The login to {server} failed: {reason}"),
                    Some("select it and press L to try again".to_owned()),
                );
            }
        }
        OAuthChange::LoggedOut => {
            logins.remove(&server);
        }
        OAuthChange::LoginRequired => {
            // A finished login that no longer holds (a refused refresh, a logout elsewhere).
            if logins.get(&server).is_some_and(|l| !l.in_progress()) {
                logins.remove(&server);
            }
        }
        OAuthChange::Refreshed | OAuthChange::Unknown => {}
    }
    app.dirty = true;
}

/// A server's new state, for a login that waits for it to come up.
pub fn on_server(app: &mut App, view: &ServerView) {
    let Some(login) = app.servers.logins.get_mut(&view.name) else {
        return;
    };
    if !matches!(login.stage, LoginStage::Waiting | LoginStage::Connecting) {
        return;
    }
    let name = &view.name;
    match view.state {
        ServerState::Ready => {
            login.stage = LoginStage::Ready {
                tools: view.tool_count,
            };
            if !showing(app, name) {
                app.toast(
                    ToastLevel::Info,
                    format!("Logged in to {name}: ready ({} tools)", view.tool_count),
                    None,
                );
            }
        }
        // After the redirect, a server that still refuses (or cannot be reached) ends it.
        ServerState::Backoff | ServerState::NeedsAuth if login.stage == LoginStage::Connecting => {
            login.stage = LoginStage::Failed {
                reason: format!(
                    "logged in, but {name} is {}: {}",
                    view.state,
                    view.last_error.as_deref().unwrap_or("no reason given")
                ),
                hint: Some(format!(
                    "`mcpproxy upstream logs {name}` has the whole story"
                )),
            };
        }
        _ => {}
    }
}
