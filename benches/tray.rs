//! `mcpproxy tray` as a desktop sees it: the binary on a private session bus
//! (`dbus-run-session`), the bench playing the tray host (a StatusNotifierWatcher reading
//! the item's menu over dbusmenu), a real daemon with the demo server.
//!
//! `cargo bench --bench tray` (optionally `-- --runs N`, `-- --idle-s S`, `-- --exe PATH`
//! for the tray of another `mcpproxy` build, e.g. a release binary beside a bench built
//! with `--profile dev`). It measures:
//! 1. state change: the bench disables and enables the demo server through the control API;
//!    from the bench's own event stream receiving the `server` event to the menu read over
//!    D-Bus (`GetLayout`, polled every millisecond) showing the new state, 2N times;
//! 2. idle: the tray's CPU time (all its threads, `utime + stime` of `/proc/PID/stat`) over
//!    S seconds (default 10) with nothing happening;
//! 3. memory: the tray's `VmRSS` after the idle period and its peak (`VmHWM`), as the
//!    `mcpproxy-tray` executable cargo builds beside `mcpproxy` (which `mcpproxy tray`
//!    execs; without it, the tray runs in `mcpproxy`'s process).
//!
//! Bounds (the bench exits non-zero after printing when one is exceeded): state change p90
//! ≤ 500 ms; idle CPU ≤ 20 ms per 10 s (0.2 % of a core: events only, no polling); RSS peak
//! ≤ 15 MiB. The machine's load average is printed with the figures.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "common/daemon.rs"]
mod daemon;
#[path = "../tests/shared/helpers.rs"]
mod helpers;
#[path = "../tests/shared/provision.rs"]
mod provision;
#[path = "../tests/shared/sni_host.rs"]
mod sni_host;
#[path = "common/stats.rs"]
mod stats;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use mcpproxy_daemon::client::{Client, EventStream, ServerAction};
use mcpproxy_daemon::protocol::{Event, ServerState};
use sni_host::{Host, SessionBus};

const WAIT: Duration = Duration::from_secs(30);

fn arg(name: &str, default: u64) -> u64 {
    std::env::args()
        .skip_while(|a| a != name)
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// The `mcpproxy` whose tray is measured: `--exe PATH`, or the one cargo built beside the
/// bench (release under `cargo bench`).
fn tray_exe() -> PathBuf {
    std::env::args()
        .skip_while(|a| a != "--exe")
        .nth(1)
        .map_or_else(
            || PathBuf::from(env!("CARGO_BIN_EXE_mcpproxy")),
            PathBuf::from,
        )
}

fn spawn_tray(data: &Path, bus: &SessionBus) -> Child {
    let mut command = Command::new(tray_exe());
    daemon::sandbox::isolate(&mut command, data);
    command
        .env_remove("RUST_LOG")
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .arg("--data-dir")
        .arg(data)
        .arg("tray")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits until the menu has an entry whose label starts with `label`; when it showed.
async fn menu_shows(host: &Host, item: &str, label: &str) -> Instant {
    let deadline = Instant::now() + WAIT;
    loop {
        if host.menu(item).await.find(&[label]).is_some() {
            return Instant::now();
        }
        assert!(Instant::now() < deadline, "the menu never showed {label}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// When the bench's own event stream announced the demo server in `state`: the tray hears
/// the same event, so what follows is the tray's own time, not the daemon's.
async fn announced(events: &mut EventStream, state: ServerState) -> Instant {
    let deadline = Instant::now() + WAIT;
    loop {
        let event = tokio::time::timeout_at(deadline.into(), events.next())
            .await
            .expect("the demo server never reached its state")
            .expect("the event stream ended")
            .unwrap();
        if let Event::Server(view) = event
            && view.state == state
        {
            return Instant::now();
        }
    }
}

/// CPU time `pid` has used so far, all its threads (`utime + stime` of `/proc/PID/stat`,
/// in USER_HZ ticks, which Linux fixes at 100 a second for this interface).
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<u64> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    Duration::from_millis((fields[11] + fields[12]) * 10)
}

fn mib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap()
        / 1024.0
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let runs = arg("--runs", 20).max(5);
    let idle = Duration::from_secs(arg("--idle-s", 10).max(1));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    println!("tray of {}", tray_exe().display());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load average at start: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );

    let dir = tempfile::Builder::new()
        .prefix("mpbench")
        .tempdir()
        .unwrap();
    let data = dir.path();
    std::fs::write(
        data.join("config.toml"),
        "listen = \"127.0.0.1:0\"\n[servers.demo]\nbuiltin = \"demo\"\n",
    )
    .unwrap();
    let mut served = daemon::spawn(data);
    let client = Client::socket(data.join("mcpproxy.sock"));
    let bus = SessionBus::start();
    let (changes, idle_cpu, [rss, peak, anon, file]) = runtime.block_on(async {
        let deadline = Instant::now() + WAIT;
        loop {
            let ready = client
                .servers()
                .await
                .ok()
                .is_some_and(|list| list.servers.iter().any(|s| s.state == ServerState::Ready));
            if ready {
                break;
            }
            assert!(Instant::now() < deadline, "the demo server never got ready");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let host = Host::start(&bus.address).await;
        let mut tray = spawn_tray(data, &bus);
        let pid = tray.id();
        let deadline = Instant::now() + WAIT;
        let item = loop {
            if let Some(item) = host.items().into_iter().next() {
                break item;
            }
            assert!(
                Instant::now() < deadline,
                "the tray never registered its item"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        menu_shows(&host, &item, "demo: ready").await;

        let mut events = client.events().await.unwrap();
        let mut changes = Vec::new();
        for _ in 0..runs {
            for (action, state, label) in [
                (
                    ServerAction::Disable,
                    ServerState::Disabled,
                    "demo: disabled",
                ),
                (ServerAction::Enable, ServerState::Ready, "demo: ready"),
            ] {
                client.server_action("demo", action).await.unwrap();
                let announced = announced(&mut events, state).await;
                changes.push(menu_shows(&host, &item, label).await - announced);
            }
        }

        // Idle: the last change has settled; nothing happens for `idle`.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let cpu_before = cpu_time(pid);
        tokio::time::sleep(idle).await;
        let idle_cpu = cpu_time(pid) - cpu_before;
        // `mcpproxy tray` execs `mcpproxy-tray` when it is beside it: say which one ran.
        let running = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
        println!("the tray runs as {}", running.display());
        let rss = [
            mib(pid, "VmRSS:"),
            mib(pid, "VmHWM:"),
            mib(pid, "RssAnon:"),
            mib(pid, "RssFile:"),
        ];
        helpers::kill_and_reap(&mut tray);
        (changes, idle_cpu, rss)
    });
    daemon::stop(&mut served);
    drop(bus);

    let mut sorted = changes.clone();
    sorted.sort();
    let p50 = stats::percentile(&sorted, 0.5);
    let p90 = stats::percentile(&sorted, 0.9);
    let max = sorted[sorted.len() - 1];
    println!(
        "state change to menu ({} changes): median {:.1} ms, p90 {:.1} ms, max {:.1} ms",
        sorted.len(),
        ms(p50),
        ms(p90),
        ms(max)
    );
    let per_10s = idle_cpu.mul_f64(10.0 / idle.as_secs_f64());
    println!(
        "idle {} s: CPU {:.0} ms ({:.0} ms per 10 s, {:.3} % of a core; 10 ms resolution)",
        idle.as_secs(),
        ms(idle_cpu),
        ms(per_10s),
        idle_cpu.as_secs_f64() / idle.as_secs_f64() * 100.0
    );
    println!(
        "tray RSS: {rss:.1} MiB ({anon:.1} MiB anonymous, {file:.1} MiB file-backed), peak (VmHWM) {peak:.1} MiB"
    );

    let mut failed = Vec::new();
    if p90 > Duration::from_millis(500) {
        failed.push(format!("state change p90 {:.1} ms > 500 ms", ms(p90)));
    }
    if per_10s > Duration::from_millis(20) {
        failed.push(format!("idle CPU {:.2} ms per 10 s > 20 ms", ms(per_10s)));
    }
    if peak > 15.0 {
        failed.push(format!("RSS peak {peak:.1} MiB > 15 MiB"));
    }
    if !failed.is_empty() {
        println!("over the bounds: {}", failed.join("; "));
        std::process::exit(1);
    }
}
