//! What the menu's entries do: control-API calls through the client, starting and
//! stopping the daemon through the attach module, and launching programs (a terminal with
//! the TUI, the file manager on the logs folder). Each reports back only what went wrong.

use std::path::PathBuf;
use std::process::Stdio;

use mcpproxy_daemon::client::Client;
use mcpproxy_daemon::client::attach::{self, Attach, StartDaemon};
use mcpproxy_daemon::paths::Paths;
use mcpproxy_daemon::protocol::GoodbyeReason;
use tokio::sync::mpsc;

use crate::link::Message;
use crate::terminal;
use crate::view::TrayCommand;

/// What the actions need: where the daemon lives and how to run mcpproxy.
#[derive(Debug, Clone)]
pub struct Context {
    pub paths: Paths,
    /// The mcpproxy executable: it starts the daemon and runs the TUI.
    pub exe: PathBuf,
}

/// Performs `command`, telling `tx` what went wrong, if anything.
pub async fn perform(context: Context, command: TrayCommand, tx: mpsc::Sender<Message>) {
    let failure = match command {
        TrayCommand::Server { name, action } => Client::socket(&context.paths.socket)
            .server_action(&name, action)
            .await
            .err()
            .map(|e| Message::Notice(format!("cannot {} {name}: {e}", action.as_str()))),
        TrayCommand::OpenTui { screen } => open_tui(&context, screen).err().map(Message::Notice),
        TrayCommand::OpenLogs => open_logs(&context.paths).err().map(Message::Notice),
        TrayCommand::StartDaemon => {
            let start = StartDaemon {
                exe: context.exe.clone(),
                listen: None,
                log_level: None,
            };
            Attach::new(context.paths.clone())
                .starting(start)
                .connect()
                .await
                .err()
                .map(|e| {
                    Message::StartFailed(match e.hint() {
                        Some(hint) => format!("cannot start the daemon: {e} ({hint})"),
                        None => format!("cannot start the daemon: {e}"),
                    })
                })
        }
        TrayCommand::StopDaemon => attach::stop(&context.paths, GoodbyeReason::Shutdown)
            .await
            .err()
            .map(|e| Message::Notice(format!("cannot stop the daemon: {e}"))),
        TrayCommand::Quit => None,
    };
    if let Some(message) = failure {
        let _ = tx.send(message).await;
    }
}

/// `mcpproxy tui --screen SCREEN` on the tray's data dir, in a terminal emulator.
fn open_tui(context: &Context, screen: &str) -> Result<(), String> {
    let paths = &context.paths;
    let mut tui = vec![
        context.exe.display().to_string(),
        "tui".to_owned(),
        "--screen".to_owned(),
        screen.to_owned(),
        "--data-dir".to_owned(),
        paths.data_dir.display().to_string(),
    ];
    if !paths.config_is_default {
        tui.extend(["--config".to_owned(), paths.config.display().to_string()]);
    }
    if paths.socket != Paths::new(paths.data_dir.clone(), None, None).socket {
        tui.extend(["--socket".to_owned(), paths.socket.display().to_string()]);
    }
    let terminal_var = std::env::var("TERMINAL").ok();
    let argv = terminal::command_line(terminal_var.as_deref(), terminal::on_path, &tui)
        .ok_or_else(|| terminal::NONE_FOUND.to_owned())?;
    let Some((program, args)) = argv.split_first() else {
        return Err(terminal::NONE_FOUND.to_owned());
    };
    launch(program, args).map_err(|e| format!("cannot run the terminal emulator {program}: {e}"))
}

fn open_logs(paths: &Paths) -> Result<(), String> {
    let logs = &paths.logs;
    let _ = std::fs::create_dir_all(logs);
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    launch(opener, &[logs.display().to_string()]).map_err(|e| {
        format!(
            "cannot open the logs folder ({opener}: {e}); the logs are in {}",
            logs.display()
        )
    })
}

/// Starts `program` without waiting for it; tokio reaps it once it exits.
fn launch(program: &str, args: &[String]) -> std::io::Result<()> {
    tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(drop)
}
