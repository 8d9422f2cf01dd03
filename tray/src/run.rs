//! The tray's one loop: menu commands and the daemon's events in, the view out. The icon
//! is updated only when the view changes, so log lines and heartbeats cost no D-Bus traffic.

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::actions::{self, Context};
use crate::link::{self, Message};
use crate::state::{Daemon, TrayState};
use crate::view::{TrayCommand, view};
use crate::{Options, TrayError, sni};

pub async fn run(options: Options) -> Result<(), TrayError> {
    let (commands_tx, mut commands) = mpsc::unbounded_channel();
    let mut state = TrayState::default();
    let mut shown = view(&state);
    let tray = sni::spawn(shown.clone(), commands_tx).await?;
    let (tx, mut messages) = mpsc::channel(256);
    let link = tokio::spawn(link::follow(options.paths.clone(), tx.clone()));
    let context = Context {
        paths: options.paths,
        exe: options.exe,
    };
    // Without these the tray still runs; it is then ended by its menu or SIGKILL.
    let mut terminate = signal(SignalKind::terminate()).ok();
    let mut interrupt = signal(SignalKind::interrupt()).ok();
    loop {
        tokio::select! {
            Some(command) = commands.recv() => {
                if command == TrayCommand::Quit {
                    break;
                }
                state.notice = None;
                if command == TrayCommand::StartDaemon {
                    state.daemon = Daemon::Starting;
                }
                tokio::spawn(actions::perform(context.clone(), command, tx.clone()));
            }
            Some(message) = messages.recv() => match message {
                Message::Event(event) => {
                    let kind = event.kind();
                    let changed = state.apply(*event);
                    tracing::trace!(kind, changed, "event");
                }
                Message::Lost(reason) => state.lost(reason),
                Message::Notice(notice) => {
                    tracing::warn!("{notice}");
                    state.notice = Some(notice);
                }
                Message::StartFailed(reason) => {
                    tracing::warn!("{reason}");
                    state.daemon = Daemon::Down { reason };
                }
            },
            Some(()) = recv(&mut terminate) => break,
            Some(()) = recv(&mut interrupt) => break,
            else => break,
        }
        let next = view(&state);
        if next != shown {
            shown = next.clone();
            tracing::debug!(title = %next.title, "showing");
            if tray.update(|item| item.view = next).await.is_none() {
                // The host dropped the item for good (the watcher left and did not return).
                break;
            }
        }
    }
    link.abort();
    tray.shutdown().await;
    Ok(())
}

async fn recv(signal: &mut Option<tokio::signal::unix::Signal>) -> Option<()> {
    match signal {
        Some(signal) => signal.recv().await,
        None => std::future::pending().await,
    }
}
