//! The daemon's life: start, status, single instance, exit codes, signals, the two doors.

use std::os::unix::fs::PermissionsExt as _;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use mcpproxy_daemon::client::{Client, ClientError};
use mcpproxy_daemon::protocol::{Event, PROTOCOL_VERSION, Status};
use rustix::process::Signal;

use crate::support::daemon::{mcpproxy, spawn_serve, temp_data_dir};
use crate::support::{TestDaemon, kill_and_reap, wait_until};

const NO_SERVERS: &str = "listen = \"127.0.0.1:0\"\n";

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn status_json_describes_the_running_daemon() {
    let daemon = TestDaemon::start("[servers.off]\ncommand = \"x\"\nenabled = false\n[servers.held]\ncommand = \"y\"\nquarantined = true\n").await;
    let output = daemon.cli(&["status", "--json"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let status: Status = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(status.pid, daemon.pid());
    assert_eq!(status.protocol_version, PROTOCOL_VERSION);
    assert_eq!(status.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(status.data_dir, daemon.data_dir());
    assert_eq!(status.config_path, daemon.data_dir().join("config.toml"));
    assert_eq!(status.socket, daemon.socket());
    let listen: std::net::SocketAddr = status.listen.as_deref().unwrap().parse().unwrap();
    assert_ne!(
        listen.port(),
        0,
        "status must report the port actually bound"
    );
    assert!(
        status
            .mcp_protocol_versions
            .contains(&"2025-11-25".to_owned())
    );
    assert_eq!((status.servers.total, status.servers.quarantined), (2, 1));
    assert!(status.api_key.is_none(), "the key is only shown on request");

    // Global flags work before the subcommand too.
    let before = mcpproxy(daemon.data_dir())
        .arg("--data-dir")
        .arg(daemon.data_dir())
        .args(["--json", "status"])
        .output()
        .unwrap();
    let again: Status = serde_json::from_slice(&before.stdout).unwrap();
    assert_eq!(again.pid, status.pid);

    let human = daemon.cli(&["status"]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains(&format!("pid {}", daemon.pid())), "{text}");
    assert!(text.contains("2 total, 0 ready"), "{text}");
}

#[tokio::test]
async fn a_second_daemon_on_the_same_data_dir_exits_3_naming_the_first() {
    let daemon = TestDaemon::start(NO_SERVERS).await;
    let second = mcpproxy(daemon.data_dir())
        .args(["serve", "--data-dir"])
        .arg(daemon.data_dir())
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(3), "{}", stderr_of(&second));
    assert!(
        stderr_of(&second).contains(&format!("pid {}", daemon.pid())),
        "{}",
        stderr_of(&second)
    );
    // The first one is undisturbed.
    assert_eq!(daemon.status().await.pid, daemon.pid());
}

#[tokio::test]
async fn a_taken_port_exits_2() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = temp_data_dir();
    let serve = mcpproxy(dir.path())
        .args(["serve", "--listen", &addr, "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(serve.status.code(), Some(2), "{}", stderr_of(&serve));
    assert!(stderr_of(&serve).contains(&addr), "{}", stderr_of(&serve));
    assert!(!dir.path().join("mcpproxy.sock").exists());

    // The same through the environment variable.
    let env = mcpproxy(dir.path())
        .args(["serve", "--data-dir"])
        .arg(dir.path())
        .env("MCPPROXY_LISTEN", &addr)
        .output()
        .unwrap();
    assert_eq!(env.status.code(), Some(2), "{}", stderr_of(&env));
}

/// A data dir the daemon may not use stops `serve` with exit code 5. As root (how CI runs),
/// the dir belongs to another user and the owner check refuses it. Without root a test cannot
/// give a dir away, so it makes one of its own unwritable instead, which is refused when the
/// daemon cannot create its logs dir there; each case checks its own message.
#[tokio::test]
async fn a_data_dir_of_another_user_or_an_unwritable_one_exits_5() {
    let dir = temp_data_dir();
    let foreign = dir.path().join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    let nobody = rustix::process::Uid::from_raw(65534);
    let as_root = rustix::process::getuid().is_root();
    if as_root {
        rustix::fs::chown(&foreign, Some(nobody), None).unwrap();
    } else {
        std::fs::set_permissions(&foreign, std::fs::Permissions::from_mode(0o500)).unwrap();
    }
    let serve = mcpproxy(dir.path())
        .args(["serve", "--data-dir"])
        .arg(&foreign)
        .output()
        .unwrap();
    let stderr = stderr_of(&serve);
    assert_eq!(serve.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("permission denied"), "{stderr}");
    if as_root {
        assert!(
            stderr.contains("it belongs to another user"),
            "the owner check should refuse it: {stderr}"
        );
    } else {
        assert!(
            stderr.contains("cannot create the logs dir"),
            "an unwritable data dir should be refused when the logs dir cannot be made: {stderr}"
        );
    }
    assert!(
        !foreign.join("mcpproxy.sock").exists(),
        "a refused start left a socket"
    );
}

#[tokio::test]
async fn the_socket_is_private_and_tcp_needs_the_api_key() {
    let daemon = TestDaemon::start(NO_SERVERS).await;
    let mode = std::fs::metadata(daemon.socket())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "socket mode {mode:o}");

    let status = daemon.client.status_with_key().await.unwrap();
    let key = status.api_key.clone().unwrap();
    let key_file = std::fs::read_to_string(daemon.data_dir().join("api_key")).unwrap();
    assert_eq!(key_file.trim(), key);
    let key_mode = std::fs::metadata(daemon.data_dir().join("api_key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(key_mode & 0o777, 0o600);

    let addr = status.listen.unwrap().parse().unwrap();
    match Client::tcp(addr, "").status().await {
        Err(ClientError::Api { status, error }) => {
            assert_eq!(status.as_u16(), 401);
            assert!(error.hint.unwrap().contains("--show-key"));
        }
        other => panic!("expected 401, got {other:?}"),
    }
    match Client::tcp(addr, "wrong").status().await {
        Err(ClientError::Api { status, .. }) => assert_eq!(status.as_u16(), 401),
        other => panic!("expected 401, got {other:?}"),
    }
    let over_tcp = Client::tcp(addr, key.clone())
        .status_with_key()
        .await
        .unwrap();
    assert_eq!(over_tcp.pid, daemon.pid());
    assert!(over_tcp.api_key.is_none(), "TCP never reveals the key");

    let logs = std::fs::read_to_string(daemon.data_dir().join("logs/mcpproxy.log")).unwrap();
    assert!(!logs.contains(&key), "the API key leaked into the log");
    let config = std::fs::read_to_string(daemon.data_dir().join("config.toml")).unwrap();
    assert!(!config.contains(&key));
}

#[tokio::test]
async fn sigterm_stops_within_2s_and_removes_the_socket() {
    let mut daemon = TestDaemon::start(NO_SERVERS).await;
    let socket = daemon.socket();
    let started = Instant::now();
    // The wait allows more than the bound so that a slow stop fails on the bound below, with
    // the time it took, rather than as a timeout.
    let exit = daemon.signal_and_wait(Signal::TERM, Duration::from_secs(10));
    let took = started.elapsed();
    assert_eq!(exit.code(), Some(0));
    assert!(
        took < Duration::from_secs(2),
        "SIGTERM took {took:?} to stop the daemon"
    );
    assert!(!socket.exists(), "the socket outlived the daemon");

    // SIGINT too.
    let mut daemon = TestDaemon::start_in(daemon.into_dir(), &[]).await;
    let exit = daemon.signal_and_wait(Signal::INT, Duration::from_secs(2));
    assert_eq!(exit.code(), Some(0));
}

#[tokio::test]
async fn after_kill_9_a_new_daemon_replaces_the_stale_socket() {
    let mut daemon = TestDaemon::start(NO_SERVERS).await;
    let old_pid = daemon.pid();
    daemon.signal_and_wait(Signal::KILL, Duration::from_secs(2));
    assert!(
        daemon.socket().exists(),
        "kill -9 leaves the socket file behind"
    );
    let daemon = TestDaemon::start_in(daemon.into_dir(), &[]).await;
    let status = daemon.status().await;
    assert_ne!(status.pid, old_pid);
}

#[tokio::test]
async fn status_without_a_daemon_exits_1_and_starts_nothing() {
    let dir = temp_data_dir();
    let status = mcpproxy(dir.path())
        .args(["status", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(1));
    let stderr = stderr_of(&status);
    assert!(stderr.contains("no mcpproxy daemon is running"), "{stderr}");
    assert!(stderr.contains("mcpproxy daemon start"), "{stderr}");
    assert!(!dir.path().join("mcpproxy.sock").exists());

    let json = mcpproxy(dir.path())
        .args(["status", "--json", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(json.status.code(), Some(1));
    let body: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(body["error"]["hint"].is_string(), "{body}");
}

#[tokio::test]
async fn events_start_with_a_snapshot_and_beat_when_idle() {
    let daemon = TestDaemon::start(NO_SERVERS).await;
    let events = daemon
        .client
        .events_with_heartbeat(Some(Duration::from_secs(1)))
        .await
        .unwrap();
    let mut events = Box::pin(events);
    match events.next().await {
        Some(Ok(Event::Snapshot(state))) => assert_eq!(state.status.pid, daemon.pid()),
        other => panic!("expected a snapshot first, got {other:?}"),
    }
    // The daemon's own log lines may come first; after them, with nothing else happening,
    // a heartbeat within the second asked for.
    let next = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            match events.next().await {
                Some(Ok(Event::Log(_) | Event::Logs { .. })) => continue,
                other => break other,
            }
        }
    })
    .await
    .unwrap();
    assert!(
        matches!(next, Some(Ok(Event::Heartbeat { .. }))),
        "{next:?}"
    );
}

#[tokio::test]
async fn daemon_start_and_stop_run_it_in_the_background() {
    let dir = temp_data_dir();
    std::fs::write(dir.path().join("config.toml"), NO_SERVERS).unwrap();
    let start = mcpproxy(dir.path())
        .args(["daemon", "start", "--json", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(start.status.success(), "{}", stderr_of(&start));
    let started: serde_json::Value = serde_json::from_slice(&start.stdout).unwrap();
    assert_eq!(started["action"], "started");
    let pid = started["pid"].as_u64().unwrap();

    let again = mcpproxy(dir.path())
        .args(["daemon", "start", "--json", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(
        (again["action"].as_str(), again["pid"].as_u64()),
        (Some("already running"), Some(pid))
    );

    let stop = mcpproxy(dir.path())
        .args(["daemon", "stop", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(stop.status.success(), "{}", stderr_of(&stop));
    assert!(!dir.path().join("mcpproxy.sock").exists());
    assert!(
        !crate::support::process_alive(pid as u32),
        "daemon {pid} still runs after stop"
    );

    let stopped = mcpproxy(dir.path())
        .args(["daemon", "stop", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(stopped.status.success());
    assert!(String::from_utf8_lossy(&stopped.stdout).contains("no mcpproxy daemon is running"));
}

#[tokio::test]
async fn daemon_start_passes_on_the_exit_code_of_a_failed_start() {
    let dir = temp_data_dir();
    std::fs::write(dir.path().join("config.toml"), "listen = \"nowhere\"\n").unwrap();
    let start = mcpproxy(dir.path())
        .args(["daemon", "start", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(start.status.code(), Some(4), "{}", stderr_of(&start));
    assert!(
        stderr_of(&start).contains("config.toml:1:10"),
        "{}",
        stderr_of(&start)
    );
}

#[tokio::test]
async fn a_daemon_on_a_dir_left_by_a_crash_starts_and_keeps_the_api_key() {
    let dir = temp_data_dir();
    let mut first = spawn_serve(dir.path(), &[]);
    let client = Client::socket(dir.path().join("mcpproxy.sock"));
    let key = wait_until(Duration::from_secs(10), "the first daemon", || {
        let client = client.clone();
        async move { client.status_with_key().await.ok().and_then(|s| s.api_key) }
    })
    .await;
    kill_and_reap(&mut first);
    let daemon = TestDaemon::start_in(dir, &[]).await;
    assert_eq!(
        daemon.client.status_with_key().await.unwrap().api_key,
        Some(key)
    );
}
