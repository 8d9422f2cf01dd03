//! Starting and stopping the daemon under measurement; shared by the benches.

use std::path::Path;
use std::process::{Child, Command, Stdio};

/// `mcpproxy serve` on `data_dir`, quiet. The bench's own environment does not leak in: no
/// `MCPPROXY_*` setting (home, config, socket, listen, API key) and no `RUST_LOG`.
pub fn spawn(data_dir: &Path) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mcpproxy"));
    for var in [
        "MCPPROXY_HOME",
        "MCPPROXY_CONFIG",
        "MCPPROXY_SOCKET",
        "MCPPROXY_LISTEN",
        "MCPPROXY_API_KEY",
        "RUST_LOG",
    ] {
        command.env_remove(var);
    }
    command
        .args(["serve", "--log-level", "warn", "--data-dir"])
        .arg(data_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// SIGTERM, then wait for the exit.
#[expect(
    clippy::disallowed_methods,
    reason = "between measurements, when nothing else runs: the next run must not start before this daemon has stopped and released its data dir"
)]
pub fn stop(child: &mut Child) {
    let pid = rustix::process::Pid::from_child(child);
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    child.wait().unwrap();
}
