//! Starting and stopping the daemon under measurement; shared by the benches.

use std::path::Path;
use std::process::{Child, Command, Stdio};

#[path = "../../tests/shared/sandbox.rs"]
pub mod sandbox;

/// `mcpproxy serve` on `data_dir`, quiet. The bench's own environment does not leak in: no
/// `MCPPROXY_*` setting (home, config, socket, listen, API key), no `RUST_LOG`, and a home of
/// its own inside `data_dir`.
pub fn spawn(data_dir: &Path) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mcpproxy"));
    sandbox::isolate(&mut command, data_dir);
    command.env_remove("RUST_LOG");
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
