//! Starting and stopping the daemon under measurement; shared by the benches.

use std::path::Path;
use std::process::{Child, Command, Stdio};

/// `mcpproxy serve` on `data_dir`, quiet.
pub fn spawn(data_dir: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_mcpproxy"))
        .args(["serve", "--log-level", "warn", "--data-dir"])
        .arg(data_dir)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// SIGTERM, then wait for the exit.
pub fn stop(child: &mut Child) {
    let pid = rustix::process::Pid::from_child(child);
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    child.wait().unwrap();
}
