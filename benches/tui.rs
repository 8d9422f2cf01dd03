//! `mcpproxy tui`, measured as a person's terminal sees it: the release binary on a
//! pseudo-terminal (120×40), a real daemon on a temp data dir.
//!
//! `cargo bench --bench tui` (optionally `-- --runs N`). It measures, in one run:
//! 1. launch: from spawning `mcpproxy tui` (daemon already running, demo server ready) to
//!    the first bytes of a frame that shows a server row (its transport cell), N times;
//! 2. state change: the daemon disables and enables the demo server (API calls from the
//!    bench); from the bench's own event stream receiving the `server` event to the TUI's
//!    frame showing the new state, 2N times;
//! 3. frame render, in process: `ui::draw` through ratatui's crossterm backend into a sink,
//!    160×48 and 80×24, 100 servers, 10,000 log lines, 500 tools, 1,000 calls, each screen
//!    with a change before every frame; wall time and the thread's CPU time (the bound is on
//!    CPU time, which other processes on the machine do not inflate);
//! 4. key press during a flood: a stdio server writes 10,000 stderr lines/s; on the logs
//!    screen following it, from writing a screen-switch key to the pty to the first bytes of
//!    the redrawn frame, 10N times;
//! 5. the TUI's peak RSS (`VmHWM`) at the end of the flood, its log ring full.
//!
//! Bounds (the bench exits non-zero after printing when one is exceeded): launch median
//! ≤ 100 ms; state change p90 ≤ 50 ms; render p99 (CPU) ≤ 4 ms; key press p99 ≤ 16 ms;
//! RSS ≤ 25 MiB. The machine's load average is printed with the figures.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "common/daemon.rs"]
mod daemon;
#[path = "../tui/tests/support/fixture.rs"]
mod fixture;
#[path = "common/pty.rs"]
mod pty;
#[path = "common/stats.rs"]
mod stats;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use mcpproxy_daemon::client::{Client, ServerAction};
use mcpproxy_daemon::protocol::{Event, LogLevel, ServerState, TransportKind};
use mcpproxy_tui::action::{Action, LinkEvent};
use mcpproxy_tui::app::App;
use mcpproxy_tui::app::logs::LogSource;
use mcpproxy_tui::screen;
use mcpproxy_tui::theme::Theme;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

use crate::pty::Pty;
use crate::stats::percentile;

const LAUNCH_BOUND: Duration = Duration::from_millis(100);
const STATE_BOUND: Duration = Duration::from_millis(50);
const RENDER_BOUND: Duration = Duration::from_millis(4);
const KEY_BOUND: Duration = Duration::from_millis(16);
const RSS_BOUND_MIB: f64 = 25.0;
const WAIT: Duration = Duration::from_secs(20);
const FLOOD_RATE: u32 = 10_000;

/// A daemon under measurement, stopped however the bench ends (a failed wait panics).
struct Daemon(std::process::Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        daemon::stop(&mut self.0);
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Prints a line of figures; returns the chosen percentile.
fn report(what: &str, mut times: Vec<Duration>, bound_at: f64) -> Duration {
    times.sort();
    println!(
        "{what}: n={} median {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        times.len(),
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.9)),
        ms(percentile(&times, 0.99)),
        ms(*times.last().unwrap())
    );
    percentile(&times, bound_at)
}

fn tui_command(data_dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mcpproxy"));
    for var in [
        "MCPPROXY_HOME",
        "MCPPROXY_CONFIG",
        "MCPPROXY_SOCKET",
        "RUST_LOG",
        "NO_COLOR",
    ] {
        command.env_remove(var);
    }
    command
        .arg("tui")
        .arg("--data-dir")
        .arg(data_dir)
        .args(args);
    command
}

async fn wait_ready(client: &Client, name: &str) {
    let started = Instant::now();
    loop {
        if let Ok(list) = client.servers().await
            && list
                .servers
                .iter()
                .any(|s| s.name == name && s.state == ServerState::Ready)
        {
            return;
        }
        assert!(started.elapsed() < WAIT, "{name} not ready within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// 1: spawn to the first frame with a server row, with a daemon running.
fn launch(data_dir: &Path, runs: usize) -> Vec<Duration> {
    (0..runs)
        .map(|_| {
            let started = Instant::now();
            let mut tui = Pty::spawn(tui_command(data_dir, &[]), 120, 40);
            let shown = tui.wait_for("stdio", WAIT);
            tui.send(b"q");
            tui.wait_exit();
            shown - started
        })
        .collect()
}

/// 2: the daemon's `server` event to the frame that shows it. Disabling gives one event
/// (`disabled`); enabling gives `connecting`, then `ready`: the first one is measured, to
/// the frame that shows either (two changes that arrive together are drawn as one frame).
async fn state_changes(data_dir: &Path, client: &Client, runs: usize) -> Vec<Duration> {
    let tui = Pty::spawn(tui_command(data_dir, &[]), 120, 40);
    tui.wait_for("stdio", WAIT);
    let mut events = Box::pin(client.events().await.unwrap());
    let mut times = Vec::new();
    for _ in 0..runs {
        for (action, shows) in [
            (ServerAction::Disable, &["disabled"][..]),
            (ServerAction::Enable, &["connecting", "ready"][..]),
        ] {
            tui.mark();
            client.server_action("demo", action).await.unwrap();
            let emitted = loop {
                match tokio::time::timeout(WAIT, events.next()).await {
                    Ok(Some(Ok(Event::Server(view)))) if view.name == "demo" => {
                        break Instant::now();
                    }
                    Ok(Some(Ok(_))) => {}
                    other => panic!("the event stream ended: {other:?}"),
                }
            };
            let shown = tui.wait_for_any(shows, WAIT);
            times.push(shown.saturating_duration_since(emitted));
            if std::env::var_os("TUI_BENCH_DEBUG").is_some() {
                println!(
                    "  {shows:?}: {:.1} ms",
                    ms(shown.saturating_duration_since(emitted))
                );
            }
            // The next change starts from a settled server.
            if action == ServerAction::Enable {
                wait_ready(client, "demo").await;
            }
            while let Ok(Some(_)) =
                tokio::time::timeout(Duration::from_millis(300), events.next()).await
            {}
        }
    }
    times
}

/// This thread's CPU time: what a frame costs, whatever else the machine runs.
fn thread_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap(),
        u32::try_from(t.tv_nsec).unwrap(),
    )
}

/// 3: `ui::draw` of each screen with 100 servers and 10,000 log lines: wall time and this
/// thread's CPU time per frame.
fn render(width: u16, height: u16, frames: usize) -> (Vec<Duration>, Vec<Duration>) {
    let mut app = big_app();
    let theme = Theme::default_theme();
    let backend = CrosstermBackend::new(std::io::sink());
    let viewport = Viewport::Fixed(Rect::new(0, 0, width, height));
    let mut terminal = Terminal::with_options(backend, TerminalOptions { viewport }).unwrap();
    let mut times = Vec::with_capacity(frames * screen::SCREENS.len());
    let mut cpu = Vec::with_capacity(frames * screen::SCREENS.len());
    for index in 0..screen::SCREENS.len() {
        app.screen = index;
        for frame in 0..frames {
            // A change before every frame: the selection moves, a log line arrives.
            let key = if frame % 20 < 10 { 'j' } else { 'k' };
            fixture::apply(
                &mut app,
                [
                    Action::Key(crossterm::event::KeyEvent::new(
                        crossterm::event::KeyCode::Char(key),
                        crossterm::event::KeyModifiers::NONE,
                    )),
                    Action::Daemon(vec![Event::Log(fixture::log_line(
                        Some("server-000"),
                        0,
                        LogLevel::Info,
                        &format!("frame {frame}: handled tools/call calculate in 2 ms"),
                    ))]),
                ],
            );
            let (started, cpu_started) = (Instant::now(), thread_cpu());
            terminal
                .draw(|f| mcpproxy_tui::ui::draw(f, &app, &theme))
                .unwrap();
            times.push(started.elapsed());
            cpu.push(thread_cpu() - cpu_started);
        }
    }
    (times, cpu)
}

fn big_app() -> App {
    let mut state = fixture::state();
    state.servers = (0..100)
        .map(|i| {
            let state = [
                ServerState::Ready,
                ServerState::Backoff,
                ServerState::Quarantined,
            ][i % 3];
            let mut server =
                fixture::server(&format!("server-{i:03}"), TransportKind::Stdio, state);
            server.tool_count = 5;
            server.last_error =
                (state == ServerState::Backoff).then(|| "connection refused".into());
            server
        })
        .collect();
    state.tools = (0..500)
        .map(|i| {
            fixture::tool(
                &format!("server-{:03}", i / 5),
                &format!("tool_{i}"),
                "Does one thing to the input and returns the result as text.",
                Default::default(),
                serde_json::json!({"type": "object", "properties": {"input": {"type": "string"}}, "required": ["input"]}),
            )
        })
        .collect();
    let mut app = App::for_tests();
    app.now = fixture::now();
    let calls = (0..1000).map(|i| {
        Event::Activity(fixture::call(
            i,
            i64::try_from(1000 - i).unwrap(),
            "tool_1",
            mcpproxy_daemon::protocol::CallOutcome::Ok,
            Some(3),
        ))
    });
    let mut events = vec![Event::Snapshot(state)];
    events.extend(calls);
    fixture::apply(
        &mut app,
        [
            Action::Link(LinkEvent::Attached {
                status: Box::new(fixture::status()),
                started: None,
            }),
            Action::Daemon(events),
        ],
    );
    app.logs.open(LogSource::Server("server-000".into()));
    let tail = (0..10_000)
        .map(|i| {
            fixture::log_line(
                Some("server-000"),
                0,
                LogLevel::Info,
                &format!(
                    "line {i}: upstream said something reasonably long about what it is doing"
                ),
            )
        })
        .collect();
    fixture::apply(
        &mut app,
        [Action::Done(mcpproxy_tui::action::Outcome::LogTail {
            source: LogSource::Server("server-000".into()),
            result: Ok(tail),
        })],
    );
    assert_eq!(app.logs.lines.len(), 10_000);
    app
}

/// A stdio server that writes `FLOOD_RATE` lines a second to stderr while the demo server
/// answers MCP on stdio.
fn flood_config(dir: &Path) -> String {
    let script = dir.join("flood.py");
    std::fs::write(
        &script,
        format!(
            "import sys, time\n\
             rate, batch = {FLOOD_RATE}, 50\n\
             start, n = time.monotonic(), 0\n\
             while True:\n\
             \x20   sys.stderr.write(''.join(f'flood line {{n + i}}: lorem ipsum dolor sit amet\\n' for i in range(batch)))\n\
             \x20   sys.stderr.flush()\n\
             \x20   n += batch\n\
             \x20   delay = start + n / rate - time.monotonic()\n\
             \x20   if delay > 0:\n\
             \x20       time.sleep(delay)\n"
        ),
    )
    .unwrap();
    let shell = format!(
        "python3 '{}' & exec '{}' demo-server",
        script.display(),
        env!("CARGO_BIN_EXE_mcpproxy")
    );
    format!(
        "listen = \"127.0.0.1:0\"\n[servers.flood]\ncommand = \"sh\"\nargs = [\"-c\", {shell:?}]\n"
    )
}

/// 4 and 5: screen switches during the flood, then the TUI's peak RSS.
async fn flood(dir: &Path, client: &Client, presses: usize) -> (Vec<Duration>, f64, f64) {
    let mut events = Box::pin(client.events().await.unwrap());
    let mut tui = Pty::spawn(tui_command(dir, &["--screen", "logs"]), 120, 40);
    tui.wait_for("Log of flood", WAIT);
    // Let the ring fill before measuring.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let counting = tokio::spawn(async move {
        let (mut lines, started) = (0usize, Instant::now());
        while started.elapsed() < Duration::from_secs(3) {
            match tokio::time::timeout(Duration::from_secs(1), events.next()).await {
                Ok(Some(Ok(Event::Log(_)))) => lines += 1,
                Ok(Some(Ok(Event::Logs { lines: batch }))) => lines += batch.len(),
                Ok(Some(Ok(_))) | Err(_) => {}
                Ok(_) => break,
            }
        }
        #[allow(clippy::cast_precision_loss)]
        let rate = lines as f64 / started.elapsed().as_secs_f64();
        rate
    });
    let mut times = Vec::with_capacity(presses * 2);
    for _ in 0..presses {
        for (key, text) in [(b"3", "DESCRIPTION"), (b"2", "following)")] {
            tui.mark();
            let sent = tui.send(key);
            let shown = tui.wait_for(text, WAIT);
            times.push(shown.saturating_duration_since(sent));
            // Keys a person types are some tens of ms apart, not back to back.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let rate = counting.await.unwrap();
    let status = std::fs::read_to_string(format!("/proc/{}/status", tui.child.id())).unwrap();
    let kib = |field: &str| -> f64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .unwrap()
    };
    let peak = kib("VmHWM:") / 1024.0;
    println!(
        "flood: {rate:.0} log lines/s on the event stream; TUI VmRSS {:.1} MiB",
        kib("VmRSS:") / 1024.0
    );
    (times, rate, peak)
}

fn main() {
    let runs = std::env::args()
        .skip_while(|a| a != "--runs")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20usize)
        .max(10);
    // The bench's own event reading runs on a worker while the main thread waits on the pty.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load average at start: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut failed = Vec::new();
    let mut check = |what: &str, value: Duration, bound: Duration| {
        if value > bound {
            failed.push(format!("{what} {:.2} ms > {:.2} ms", ms(value), ms(bound)));
        }
    };

    let dir = tempfile::Builder::new()
        .prefix("mpbench")
        .tempdir()
        .unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "listen = \"127.0.0.1:0\"\n[servers.demo]\nbuiltin = \"demo\"\n",
    )
    .unwrap();
    let demo_daemon = Daemon(daemon::spawn(dir.path()));
    let client = Client::socket(dir.path().join("mcpproxy.sock"));
    runtime.block_on(wait_ready(&client, "demo"));
    // The first launch warms the page cache; it is not counted.
    launch(dir.path(), 1);
    let value = report(
        "launch to first frame with server states",
        launch(dir.path(), runs),
        0.5,
    );
    check("launch median", value, LAUNCH_BOUND);
    let value = report(
        "daemon event to the frame showing it",
        runtime.block_on(state_changes(dir.path(), &client, runs)),
        0.9,
    );
    check("state change p90", value, STATE_BOUND);
    drop(demo_daemon);

    for (width, height) in [(160, 48), (80, 24)] {
        let (wall, cpu) = render(width, height, 250);
        let what = format!("frame render {width}x{height}, 100 servers, 10,000 log lines");
        report(&format!("{what}, wall"), wall, 0.99);
        let value = report(&format!("{what}, CPU"), cpu, 0.99);
        check("render p99 (CPU)", value, RENDER_BOUND);
    }

    let flood_dir = tempfile::Builder::new()
        .prefix("mpflood")
        .tempdir()
        .unwrap();
    std::fs::write(
        flood_dir.path().join("config.toml"),
        flood_config(flood_dir.path()),
    )
    .unwrap();
    let flood_daemon = Daemon(daemon::spawn(flood_dir.path()));
    let client = Client::socket(flood_dir.path().join("mcpproxy.sock"));
    runtime.block_on(wait_ready(&client, "flood"));
    let (times, rate, peak) = runtime.block_on(flood(flood_dir.path(), &client, runs * 5));
    let value = report("key press to redrawn frame during the flood", times, 0.99);
    check("key press p99", value, KEY_BOUND);
    println!("TUI peak RSS (VmHWM) at the end of the flood: {peak:.1} MiB");
    if peak > RSS_BOUND_MIB {
        failed.push(format!("RSS {peak:.1} MiB > {RSS_BOUND_MIB} MiB"));
    }
    if rate < f64::from(FLOOD_RATE) * 0.8 {
        failed.push(format!("the flood reached only {rate:.0} lines/s"));
    }
    drop(flood_daemon);

    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load average at end: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    // `exit` runs no destructors: the temp dirs go first.
    drop((dir, flood_dir));
    if !failed.is_empty() {
        println!("bounds exceeded: {}", failed.join("; "));
        std::process::exit(1);
    }
}
