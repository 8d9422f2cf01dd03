//! Tables for people: `upstream list`, `tools list` and `status` fit the terminal's width and
//! colour their states in a terminal, and print neither colour nor a width limit when piped
//! (unless `COLUMNS` says) or with `NO_COLOR`.

use std::time::Duration;

use mcpproxy_daemon::protocol::ServerState;

use crate::support::TestDaemon;
use crate::support::tmux::TuiSession;

const READY: Duration = Duration::from_secs(60);

fn command_line(daemon: &TestDaemon, env: &str, args: &str) -> String {
    format!(
        "clear; env {env} '{}' --data-dir '{}' {args}; echo END-OF-\"\"OUTPUT",
        env!("CARGO_BIN_EXE_mcpproxy"),
        daemon.data_dir().display()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_fit_the_terminal_and_colour_only_a_terminal() {
    let daemon = TestDaemon::start(&TestDaemon::demo_server("demo", "")).await;
    daemon.wait_state("demo", ServerState::Ready, READY).await;

    // Piped: no colour; COLUMNS limits the width.
    for args in [&["upstream", "list"][..], &["tools", "list"], &["status"]] {
        let mut command = crate::support::daemon::mcpproxy(daemon.data_dir());
        command.arg("--data-dir").arg(daemon.data_dir()).args(args);
        let piped = command.env("COLUMNS", "44").output().unwrap();
        let text = String::from_utf8(piped.stdout).unwrap();
        assert!(!text.contains('\x1b'), "{args:?}: {text}");
        if args[0] != "status" {
            assert!(
                text.lines().all(|l| l.chars().count() <= 44),
                "{args:?}:\n{text}"
            );
            assert!(text.contains('…'), "{args:?} was not cut:\n{text}");
        }
    }
    let wide = daemon.cli(&["tools", "list"]);
    let wide = String::from_utf8(wide.stdout).unwrap();
    assert!(wide.lines().any(|l| l.chars().count() > 44), "{wide}");

    // In a terminal 50 columns wide: coloured, and cut to fit.
    let terminal = TuiSession::shell();
    terminal.resize(50);
    terminal.type_text(&command_line(&daemon, "-u NO_COLOR", "upstream list"));
    terminal.press(&["Enter"]);
    terminal.wait_for_text("END-OF-OUTPUT");
    let screen = terminal.screen();
    let table: Vec<&str> = screen
        .lines()
        .skip_while(|l| !l.starts_with("NAME"))
        .take_while(|l| !l.contains("END-OF-OUTPUT"))
        .collect();
    assert!(table.len() >= 2, "{screen}");
    assert!(
        table.iter().all(|l| l.trim_end().chars().count() <= 50),
        "{screen}"
    );
    let coloured = terminal.screen_with_colours();
    assert!(coloured.contains("\x1b[32mready"), "{coloured:?}");

    terminal.type_text(&command_line(&daemon, "NO_COLOR=1", "tools list"));
    terminal.press(&["Enter"]);
    terminal.wait_for("the tools table", |s| {
        s.contains("INTENT") && s.contains("END-OF-OUTPUT")
    });
    let plain = terminal.screen_with_colours();
    assert!(!plain.contains("\x1b[32m"), "{plain:?}");
}
