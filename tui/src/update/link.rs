//! The connection's life (attach, goodbye, re-attach with backoff, a person starting a new
//! daemon) and the daemon's events applied to the model.

use std::time::Duration;

use jiff::SignedDuration;
use mcpproxy_daemon::protocol::{Event, GoodbyeReason, LogLine};

use crate::action::{LinkEvent, LinkFailure};
use crate::app::daemon::Connection;
use crate::app::logs::{LOG_TAIL, LogSource};
use crate::app::{App, Modal, ToastLevel};
use crate::effect::Effect;
use crate::screen::SCREENS;

/// First wait before re-attaching; it doubles per failed attempt up to [`REATTACH_MAX`].
const REATTACH_FIRST: Duration = Duration::from_millis(100);
const REATTACH_MAX: Duration = Duration::from_secs(1);
/// How often a stopped (or mismatched) daemon's socket is looked at again, in case
/// someone starts one by other means.
const WATCH: Duration = Duration::from_secs(2);

fn backoff(attempt: u32) -> Duration {
    REATTACH_FIRST
        .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
        .min(REATTACH_MAX)
}

fn after(app: &App, delay: Duration) -> jiff::Timestamp {
    app.now + SignedDuration::try_from(delay).unwrap_or(SignedDuration::ZERO)
}

/// A person asked for a daemon: start one, unless one is attached or starting.
pub fn start_daemon(app: &mut App) -> Option<Effect> {
    if app.connection.is_attached() || app.connection.is_starting() {
        return None;
    }
    set_starting(app);
    Some(Effect::Attach {
        start_if_absent: true,
    })
}

fn set_starting(app: &mut App) {
    match &mut app.connection {
        Connection::Reattaching { starting, .. } | Connection::Stopped { starting, .. } => {
            *starting = true;
        }
        other => *other = Connection::Connecting { starting: true },
    }
}

pub fn on_link(app: &mut App, event: LinkEvent) -> Option<Effect> {
    app.dirty = true;
    match event {
        LinkEvent::Starting => {
            set_starting(app);
            None
        }
        LinkEvent::Attached { status, started } => {
            app.connection = Connection::Attached;
            app.goodbye = None;
            if let Some(pid) = started {
                app.started_daemon = Some(pid);
                app.toast(
                    ToastLevel::Info,
                    format!("Started the mcpproxy daemon (pid {pid}) in the background."),
                    Some("it keeps running after you quit; `mcpproxy daemon stop` stops it".into()),
                );
            }
            app.daemon.status = Some(*status);
            None
        }
        LinkEvent::Failed(failure) => failed(app, failure),
        LinkEvent::Ended { error } => ended(app, error),
    }
}

fn failed(app: &mut App, failure: LinkFailure) -> Option<Effect> {
    match failure {
        LinkFailure::Mismatch {
            daemon_version,
            daemon_protocol,
            client_protocol,
        } => {
            app.connection = Connection::Mismatch {
                daemon_version,
                daemon_protocol,
                client_protocol,
            };
            Some(Effect::AttachAfter { delay: WATCH })
        }
        LinkFailure::StartFailed(failure) => {
            app.connection = Connection::StartFailed {
                message: failure.message,
                hint: failure.hint,
            };
            None
        }
        LinkFailure::NotRunning | LinkFailure::Other(_) => {
            let reason = match &failure {
                LinkFailure::Other(f) => f.message.clone(),
                _ => "no daemon answers on the socket".to_owned(),
            };
            match &app.connection {
                Connection::Stopped { message, .. } => {
                    app.connection = Connection::Stopped {
                        message: message.clone(),
                        starting: false,
                    };
                    Some(Effect::AttachAfter { delay: WATCH })
                }
                Connection::Mismatch { .. } | Connection::StartFailed { .. } => {
                    Some(Effect::AttachAfter { delay: WATCH })
                }
                Connection::Reattaching {
                    attempt,
                    reason: why_lost,
                    ..
                } => {
                    let (attempt, why_lost) = (attempt + 1, why_lost.clone());
                    reattach(app, attempt, why_lost, Some(reason))
                }
                Connection::Connecting { .. } | Connection::Attached => {
                    reattach(app, 1, reason, None)
                }
            }
        }
    }
}

fn reattach(
    app: &mut App,
    attempt: u32,
    reason: String,
    last_attempt: Option<String>,
) -> Option<Effect> {
    let delay = backoff(attempt);
    app.connection = Connection::Reattaching {
        attempt,
        next_at: after(app, delay),
        reason,
        last_attempt,
        starting: false,
    };
    Some(Effect::AttachAfter { delay })
}

/// The event stream ended: say why, and decide whether to come back by ourselves.
fn ended(app: &mut App, error: Option<String>) -> Option<Effect> {
    // Dialogs about the daemon's things make no sense without it.
    if !matches!(app.modal, Some(Modal::Help { .. } | Modal::Palette { .. })) {
        app.modal = None;
    }
    match app.goodbye.take() {
        Some(goodbye) if goodbye.reason == GoodbyeReason::Shutdown => {
            app.connection = Connection::Stopped {
                message: goodbye.message,
                starting: false,
            };
            Some(Effect::AttachAfter { delay: WATCH })
        }
        Some(goodbye) => reattach(app, 1, goodbye.message, None),
        None => reattach(
            app,
            1,
            error.unwrap_or_else(|| "the connection to the daemon was lost".to_owned()),
            None,
        ),
    }
}

pub fn on_events(app: &mut App, events: Vec<Event>) -> Option<Effect> {
    let mut effect = None;
    let logs_shown = SCREENS[app.screen].name == crate::screen::logs::SCREEN.name;
    for event in events {
        match event {
            Event::Snapshot(state) => {
                app.daemon.reset(state);
                // Calls from before the attach (or while detached) come from the store;
                // the stream is open already, so none falls between.
                effect = Effect::and(effect, Some(Effect::FetchActivity));
                // Whatever happened while detached, the log on screen is read again.
                let source = app.logs.source.clone().filter(|source| match source {
                    LogSource::Server(name) => app.daemon.servers.contains_key(name),
                    LogSource::Daemon => true,
                });
                if let Some(source) = source {
                    app.logs.open(source.clone());
                    effect = Effect::and(
                        effect,
                        Some(Effect::FetchLog {
                            source,
                            tail: LOG_TAIL,
                        }),
                    );
                }
                // The first screen (`--screen NAME`) is entered once there is something to
                // show; entering is idempotent for the others.
                effect = Effect::and(effect, (SCREENS[app.screen].enter)(app));
                app.dirty = true;
            }
            Event::Server(view) => {
                super::login::on_server(app, &view);
                let was = app.daemon.servers.get(&view.name).map(|v| v.quarantined);
                if was.is_some_and(|was| was != view.quarantined) {
                    effect = Effect::and(effect, crate::screen::review::refresh(app));
                }
                app.daemon.servers.insert(view.name.clone(), view);
                app.dirty = true;
            }
            Event::ServerRemoved { name } => {
                effect = Effect::and(effect, crate::screen::review::refresh(app));
                app.daemon.remove_server(&name);
                app.dirty = true;
            }
            Event::Tools { server, tools } => {
                app.daemon.set_tools(server, tools);
                app.dirty = true;
            }
            Event::Held { server, items } => {
                app.daemon.set_held(server, items);
                app.dirty = true;
                effect = Effect::and(effect, crate::screen::review::refresh(app));
            }
            Event::Log(line) => log_lines(app, vec![line], logs_shown),
            Event::Logs { lines } => log_lines(app, lines, logs_shown),
            Event::Activity(call) => {
                app.activity.log.record(call);
                app.dirty = true;
            }
            Event::ConfigReloaded { path } => {
                // Worth a word only when it ends a problem the banner showed.
                if !app.daemon.config_problems.is_empty() {
                    app.daemon.config_problems.clear();
                    app.toast(
                        ToastLevel::Info,
                        format!("{} is fixed and reloaded", path.display()),
                        None,
                    );
                }
            }
            Event::ConfigError { problems } => {
                app.daemon.config_problems = problems;
                app.dirty = true;
            }
            Event::ToolsIndexed(search) => {
                if let Some(status) = &mut app.daemon.status {
                    status.search = Some(search);
                }
            }
            Event::Lagged { missed } => {
                tracing::debug!(missed, "the event stream lagged; a fresh snapshot follows");
            }
            Event::OAuth(event) => super::login::on_event(app, event),
            Event::Heartbeat { .. } => {}
            Event::Goodbye(goodbye) => {
                app.goodbye = Some(goodbye);
                app.dirty = true;
            }
        }
    }
    effect
}

/// Lines of the watched log go to its buffer; the rest are not kept (opening another
/// log fetches its tail).
fn log_lines(app: &mut App, lines: Vec<LogLine>, shown: bool) {
    let Some(source) = app.logs.source.clone() else {
        return;
    };
    let wanted = match &source {
        LogSource::Server(name) => Some(name.as_str()),
        LogSource::Daemon => None,
    };
    let mine = lines
        .into_iter()
        .filter(|line| line.server.as_deref() == wanted)
        .map(Into::into);
    if app.logs.append(mine) && shown {
        app.dirty = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        assert_eq!(backoff(1), Duration::from_millis(100));
        assert_eq!(backoff(3), Duration::from_millis(400));
        assert_eq!(backoff(30), REATTACH_MAX);
    }
}
