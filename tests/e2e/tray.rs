//! `mcpproxy tray` on a private session bus (`dbus-run-session`), with the test playing the
//! desktop: a StatusNotifierWatcher and host that read the item's menu over dbusmenu and
//! click its entries, against a real daemon with the demo server.

use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use mcpproxy_daemon::client::Client;
use mcpproxy_daemon::protocol::ServerList;

use crate::support::daemon::{StopOnDrop, TestDaemon, mcpproxy, temp_data_dir};
use crate::support::sni_host::{Host, MenuNode, SessionBus};
use crate::support::{kill_and_reap, wait_until};

/// The bound on a server's state change reaching the menu.
const STATE_TO_MENU: Duration = Duration::from_millis(500);
const READY: Duration = Duration::from_secs(30);

/// The tray, killed when the test ends however it ends.
struct Tray(Child);

impl Drop for Tray {
    fn drop(&mut self) {
        kill_and_reap(&mut self.0);
    }
}

/// The tray (logging at debug level, which a failed wait shows), with `$TERMINAL` a script
/// that writes the command it was given, one word a line, to `terminal.args` in `dir`.
fn tray(dir: &Path, bus: &SessionBus) -> Tray {
    let stderr = std::fs::File::create(dir.join("tray.stderr")).unwrap();
    let terminal = dir.join("terminal");
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n",
        dir.join("terminal.args").display()
    );
    std::fs::write(&terminal, script).unwrap();
    let executable = std::os::unix::fs::PermissionsExt::from_mode(0o755);
    std::fs::set_permissions(&terminal, executable).unwrap();
    Tray(
        mcpproxy(dir)
            .arg("--data-dir")
            .arg(dir)
            .args(["tray", "--log-level", "debug"])
            .env("TERMINAL", &terminal)
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap(),
    )
}

fn cli(dir: &Path, args: &[&str]) -> Output {
    let output = mcpproxy(dir)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "mcpproxy {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The test's desktop with the tray's item on it.
struct Desktop<'a> {
    host: &'a Host,
    item: String,
    data: &'a Path,
}

impl Desktop<'_> {
    /// Waits until the item's menu has an entry at `path`; returns the whole menu.
    async fn menu_with(&self, path: &[&str], timeout: Duration) -> MenuNode {
        let deadline = Instant::now() + timeout;
        loop {
            let menu = self.host.menu(&self.item).await;
            if menu.find(path).is_some() {
                return menu;
            }
            let log = std::fs::read_to_string(self.data.join("logs/tray.log")).unwrap_or_default();
            assert!(
                Instant::now() < deadline,
                "timed out after {timeout:?} waiting for the tray menu to show {path:?}; it shows:\n{}\nthe tray's log:\n{log}",
                menu.outline()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn click(&self, menu: &MenuNode, path: &[&str]) {
        let entry = menu
            .find(path)
            .unwrap_or_else(|| panic!("no {path:?} in\n{}", menu.outline()));
        self.host.click(&self.item, entry.id).await;
    }
}

fn enabled(dir: &Path, name: &str) -> bool {
    let list: ServerList =
        serde_json::from_slice(&cli(dir, &["upstream", "list", "--json"]).stdout).unwrap();
    list.servers
        .iter()
        .find(|s| s.name == name)
        .unwrap()
        .enabled
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tray_follows_the_daemon_and_acts_on_it_through_its_menu() {
    let dir = temp_data_dir();
    let data = dir.path();
    let config = format!(
        "listen = \"127.0.0.1:0\"\n{}",
        TestDaemon::demo_server("demo", "")
    );
    std::fs::write(data.join("config.toml"), config).unwrap();
    cli(data, &["daemon", "start"]);
    let _stop = StopOnDrop(data);

    let bus = SessionBus::start();
    let host = Host::start(&bus.address).await;
    let mut tray = tray(data, &bus);
    let item = wait_until(
        Duration::from_secs(10),
        "the tray to register its item",
        || {
            let items = host.items();
            async move { items.into_iter().next() }
        },
    )
    .await;
    // `mcpproxy tray` handed over to the tray's own executable, cargo's build beside it.
    let running = std::fs::read_link(format!("/proc/{}/exe", tray.0.id())).unwrap();
    assert_eq!(
        running.file_name().and_then(|name| name.to_str()),
        Some("mcpproxy-tray"),
        "{}",
        running.display()
    );
    let desktop = Desktop {
        host: &host,
        item: item.clone(),
        data,
    };

    let menu = desktop.menu_with(&["demo: ready"], READY).await;
    assert!(
        menu.find(&["mcpproxy "])
            .is_some_and(|line| line.label.ends_with("1 server, 1 ready")),
        "{}",
        menu.outline()
    );
    let title = String::try_from(host.item_property(&item, "Title").await).unwrap();
    assert!(title.ends_with("1 server, 1 ready"), "{title}");

    // The TUI opens in `$TERMINAL`, on this data dir.
    desktop.click(&menu, &["Open the terminal UI"]).await;
    let args = wait_until(Duration::from_secs(5), "the terminal to be run", || {
        let args = std::fs::read_to_string(data.join("terminal.args")).ok();
        async move { args.filter(|a| a.ends_with('\n')) }
    })
    .await;
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(args[0], "-e");
    assert_eq!(
        args[2..],
        [
            "tui",
            "--screen",
            "servers",
            "--data-dir",
            data.to_str().unwrap()
        ]
    );

    // A state change made elsewhere reaches the menu within the bound.
    cli(data, &["upstream", "disable", "demo"]);
    let changed = Instant::now();
    desktop
        .menu_with(&["demo: disabled", "Enable"], STATE_TO_MENU)
        .await;
    eprintln!("state change to menu: {:?}", changed.elapsed());
    cli(data, &["upstream", "enable", "demo"]);
    let menu = desktop.menu_with(&["demo: ready", "Disable"], READY).await;

    // "Disable" chosen in the menu disables the server in the daemon.
    desktop.click(&menu, &["demo: ready", "Disable"]).await;
    wait_until(Duration::from_secs(5), "demo to be disabled", || {
        let disabled = !enabled(data, "demo");
        async move { disabled.then_some(()) }
    })
    .await;
    desktop.menu_with(&["demo: disabled"], STATE_TO_MENU).await;
    cli(data, &["upstream", "enable", "demo"]);
    desktop.menu_with(&["demo: ready"], READY).await;

    // Stopped elsewhere: the goodbye's reason, and a way to start one.
    cli(data, &["daemon", "stop"]);
    let menu = desktop
        .menu_with(
            &["mcpproxy: the daemon is not running"],
            Duration::from_secs(5),
        )
        .await;
    assert!(
        menu.outline().contains("mcpproxy daemon stop"),
        "no reason shown:\n{}",
        menu.outline()
    );
    let tooltip = host.item_property(&item, "ToolTip").await;
    assert!(
        format!("{tooltip:?}").contains("mcpproxy daemon stop"),
        "{tooltip:?}"
    );

    // The menu starts a daemon, and the tray attaches to it.
    desktop.click(&menu, &["Start the daemon"]).await;
    desktop.menu_with(&["demo: ready"], READY).await;

    // A daemon started elsewhere is attached to without a click.
    cli(data, &["daemon", "stop"]);
    desktop
        .menu_with(
            &["mcpproxy: the daemon is not running"],
            Duration::from_secs(5),
        )
        .await;
    cli(data, &["daemon", "start"]);
    let menu = desktop.menu_with(&["demo: ready"], READY).await;

    // Quit ends the tray, and only the tray.
    desktop.click(&menu, &["Quit the tray"]).await;
    let status = crate::support::wait::wait_until_blocking(
        Duration::from_secs(5),
        "the tray to exit",
        || tray.0.try_wait().unwrap(),
    );
    assert!(status.success(), "the tray exited with {status}");
    let answers = Client::socket(data.join("mcpproxy.sock")).status().await;
    assert!(answers.is_ok(), "quitting the tray stopped the daemon");
}

fn one_line_error(output: &Output, says: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "not one line:\n{stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.contains(says),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn tray_without_a_session_bus_says_so_in_one_line() {
    let dir = temp_data_dir();
    // The sandbox's XDG_RUNTIME_DIR has no `bus` either.
    let output = mcpproxy(dir.path())
        .arg("--data-dir")
        .arg(dir.path())
        .arg("tray")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .output()
        .unwrap();
    one_line_error(&output, "no D-Bus session bus");
}

#[test]
fn tray_without_a_tray_host_says_so_in_one_line() {
    let dir = temp_data_dir();
    let bus = SessionBus::start();
    let output = mcpproxy(dir.path())
        .arg("--data-dir")
        .arg(dir.path())
        .arg("tray")
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .output()
        .unwrap();
    one_line_error(&output, "no tray host");
}
