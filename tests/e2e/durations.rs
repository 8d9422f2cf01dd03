//! Durations in the config have a maximum: a huge one is refused with exit code 4 and its
//! place by `config check` and by `serve` (it used to pass the check and then panic on every
//! call), and by the control API when a server is added with one.

use std::process::Stdio;
use std::time::Duration;

use mcpproxy_daemon::protocol::{AddServer, ServerSpec};

use crate::support::TestDaemon;
use crate::support::cli::config_check;
use crate::support::daemon::mcpproxy;
use crate::support::pipes::output_within;

const HUGE: &str = "200000000000000d";

#[test]
fn a_huge_duration_is_refused_by_config_check_and_serve_with_exit_4() {
    let (dir, config, code, stderr) = config_check(&format!(
        "listen = \"127.0.0.1:0\"\n\n[servers.slow]\ncommand = \"sh\"\ncall_timeout = \"{HUGE}\"\n"
    ));
    assert_eq!(code, Some(4), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:5:16", config.display())),
        "{stderr}"
    );
    assert!(stderr.contains("servers.slow.call_timeout"), "{stderr}");
    assert!(stderr.contains("maximum of 24h"), "{stderr}");

    let serve = mcpproxy(dir.path())
        .args(["serve", "--data-dir"])
        .arg(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let serve = output_within(serve, Duration::from_secs(20), "serve to refuse the config");
    assert_eq!(
        serve.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&serve.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&serve.stderr),
        stderr,
        "check and serve disagree"
    );
}

#[tokio::test]
async fn a_server_added_with_a_huge_duration_is_refused() {
    let daemon = TestDaemon::start("listen = \"127.0.0.1:0\"\n").await;
    let request = AddServer {
        name: "slow".into(),
        server: ServerSpec {
            command: Some("sh".into()),
            call_timeout: Some(HUGE.into()),
            ..ServerSpec::default()
        },
        quarantine: false,
    };
    let refused = daemon.client.add_server(&request).await.unwrap_err();
    let message = refused.to_string();
    assert!(message.contains("maximum of 24h"), "{message}");
    assert!(daemon.client.servers().await.unwrap().servers.is_empty());
}
