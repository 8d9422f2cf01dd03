//! The run loop on ratatui's `TestBackend`: scripted input, frames drawn on change, the way
//! out, and the link's answer when no daemon is there.

#![allow(clippy::unwrap_used)]

#[path = "support/fixture.rs"]
mod fixture;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event as TerminalEvent, KeyCode, KeyEvent, KeyModifiers};
use futures_util::StreamExt as _;
use mcpproxy_daemon::paths::Paths;
use mcpproxy_tui::app::daemon::Connection;
use mcpproxy_tui::effect::Effect;
use mcpproxy_tui::link::Link;
use mcpproxy_tui::run::run_loop;
use mcpproxy_tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn key(c: char) -> std::io::Result<TerminalEvent> {
    Ok(TerminalEvent::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

fn nowhere() -> (tempfile::TempDir, Arc<Link>) {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::new(dir.path().to_path_buf(), None, None);
    (
        dir,
        Arc::new(Link::new(paths, "/nonexistent/mcpproxy".into())),
    )
}

#[tokio::test]
async fn keys_redraw_and_q_quits() {
    let (_dir, link) = nowhere();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut app = fixture::attached();
    let input =
        futures_util::stream::iter([key('3'), key('q')]).chain(futures_util::stream::pending());
    let mut frames = Vec::new();
    run_loop(
        &mut terminal,
        &mut app,
        &Theme::default_theme(),
        input,
        link,
        None,
        std::future::pending(),
        |terminal| frames.push(terminal.backend().to_string()),
    )
    .await
    .unwrap();
    assert!(app.quit);
    assert_eq!(
        frames.len(),
        2,
        "the first frame, then one for the key that changed the screen"
    );
    assert!(frames[1].contains("Tools (4)"), "{}", frames[1]);
}

#[tokio::test]
async fn a_shutdown_signal_ends_the_loop() {
    let (_dir, link) = nowhere();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut app = fixture::attached();
    run_loop(
        &mut terminal,
        &mut app,
        &Theme::default_theme(),
        futures_util::stream::pending(),
        link,
        None,
        tokio::time::sleep(Duration::from_millis(50)),
        |_| {},
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn with_no_daemon_and_no_start_it_keeps_trying_and_says_so() {
    let (_dir, link) = nowhere();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut app = mcpproxy_tui::app::App::for_tests();
    let mut last = String::new();
    let mut seen = false;
    // Quit once the screen says it is re-attaching.
    let (quit_tx, quit_rx) = tokio::sync::oneshot::channel::<()>();
    let mut quit_tx = Some(quit_tx);
    run_loop(
        &mut terminal,
        &mut app,
        &Theme::default_theme(),
        futures_util::stream::pending(),
        link,
        Some(Effect::Attach {
            start_if_absent: false,
        }),
        async {
            let _ = tokio::time::timeout(Duration::from_secs(10), quit_rx).await;
        },
        |terminal| {
            last = terminal.backend().to_string();
            if last.contains("Re-attaching by itself") {
                seen = true;
                if let Some(tx) = quit_tx.take() {
                    let _ = tx.send(());
                }
            }
        },
    )
    .await
    .unwrap();
    assert!(seen, "{last}");
    assert!(
        matches!(app.connection, Connection::Reattaching { .. }),
        "{:?}",
        app.connection
    );
    assert!(last.contains("no daemon answers on the socket"), "{last}");
}
