//! Results of the effects: what they changed, and a toast for every error.

use mcpproxy_daemon::client::ServerAction;

use crate::action::Outcome;
use crate::app::{App, Modal, ToastLevel};
use crate::effect::Effect;

pub fn done(app: &mut App, outcome: Outcome) -> Option<Effect> {
    app.dirty = true;
    match outcome {
        Outcome::ActivityHistory(result) => match result {
            Ok(list) => app.activity.log.history(list.activity),
            Err(failure) => app.error_toast(failure),
        },
        Outcome::Quarantine(result) => match result {
            Ok(quarantine) => app.review.quarantine = Some(quarantine),
            Err(failure) => app.error_toast(failure),
        },
        Outcome::Reviewed { approve, result } => {
            return crate::screen::review::reviewed(app, approve, result);
        }
        Outcome::ServerAction {
            name,
            action,
            result,
        } => match result {
            Ok(view) => {
                let verb = match action {
                    ServerAction::Enable => "enabled",
                    ServerAction::Disable => "disabled",
                    ServerAction::Restart => "restarting",
                    ServerAction::Approve => "approved",
                };
                app.toast(ToastLevel::Info, format!("{name}: {verb}"), None);
                app.daemon.servers.insert(view.name.clone(), view);
            }
            Err(failure) => app.error_toast(failure),
        },
        Outcome::Searched { query, result } => {
            crate::screen::tools::searched(app, query, result);
        }
        Outcome::Removed { result, .. } => match result {
            Ok(message) => app.toast(ToastLevel::Info, message, None),
            Err(failure) => app.error_toast(failure),
        },
        Outcome::Added { name, result } => {
            let form_open = matches!(app.modal, Some(Modal::AddServer(_)));
            match result {
                Ok(view) => {
                    if form_open {
                        app.modal = None;
                    }
                    let note = if view.quarantined {
                        format!("Added {name}: quarantined until you approve it (a)")
                    } else {
                        format!("Added {name}")
                    };
                    app.toast(ToastLevel::Info, note, None);
                    app.servers.list.selected = Some(name);
                    app.daemon.servers.insert(view.name.clone(), view);
                }
                Err(failure) => match &mut app.modal {
                    Some(Modal::AddServer(form)) => form.refused(failure),
                    _ => app.error_toast(failure),
                },
            }
        }
        Outcome::Called { tool, result } => match &mut app.tools.call {
            Some(call) if call.tool == tool => call.outcome = Some(result),
            _ => {
                if let Err(failure) = result {
                    app.error_toast(failure);
                }
            }
        },
        Outcome::ToolSwitched {
            tool,
            enabled,
            result,
        } => match result {
            Ok(_) => {
                let verb = if enabled {
                    "on for agents"
                } else {
                    "off for agents"
                };
                app.toast(ToastLevel::Info, format!("{tool}: {verb}"), None);
            }
            Err(failure) => app.error_toast(failure),
        },
        Outcome::LoginStarted { server, result } => {
            return super::login::started(app, server, result);
        }
        Outcome::LoggedOut { server, result } => super::login::logged_out(app, server, result),
        Outcome::BrowserOpened { server, opened } => {
            super::login::browser_opened(app, &server, opened);
        }
        Outcome::LogTail { source, result } => {
            if app.logs.source.as_ref() == Some(&source) {
                match result {
                    Ok(lines) => app.logs.tail_arrived(lines),
                    Err(failure) => app.logs.tail_failed(format!(
                        "cannot read the log of {}: {}",
                        source.label(),
                        failure.message
                    )),
                }
            }
        }
    }
    None
}
