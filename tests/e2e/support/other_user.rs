//! Running a client as another local user (uid 65534), as the tests do when they run as
//! root (locally and in CI): `setpriv` from util-linux drops to that user, `curl` talks HTTP.

use std::process::Command;

/// The user the other client runs as.
pub const OTHER_UID: u32 = 65534;

/// True when this process may switch users (it runs as root).
pub fn can_switch_user() -> bool {
    rustix::process::getuid().is_root()
}

/// What `curl` got as uid 65534: the status and the body.
pub fn curl_as_other_user(method: &str, url: &str, headers: &[&str], body: &str) -> (u16, String) {
    let mut command = Command::new("setpriv");
    command.args([
        "--reuid",
        &OTHER_UID.to_string(),
        "--regid",
        &OTHER_UID.to_string(),
        "--clear-groups",
        "curl",
        "--silent",
        "--show-error",
        "--max-time",
        "30",
        "--request",
        method,
        "--write-out",
        "\n%{http_code}",
    ]);
    for header in headers {
        command.args(["--header", header]);
    }
    if !body.is_empty() {
        command.args(["--data-binary", body]);
    }
    let output = command
        .arg(url)
        .output()
        .unwrap_or_else(|e| panic!("cannot run setpriv (util-linux) with curl: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "setpriv/curl as uid {OTHER_UID} failed: {}{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (body, status) = stdout.rsplit_once('\n').unwrap_or(("", &stdout));
    (status.trim().parse().unwrap(), body.to_owned())
}
