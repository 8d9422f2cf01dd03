//! `mcpproxy-tray`: the tray icon in an executable of its own, which `mcpproxy tray` runs
//! when it is installed beside it. It links the attach client and not the engine, so the
//! tray keeps a few MiB resident all day instead of pages of the 46 MB `mcpproxy`.

use std::process::ExitCode;

use mcpproxy_daemon::client::handoff::{self, Handoff};

fn main() -> ExitCode {
    let handoff = match Handoff::from_args(std::env::args_os().skip(1), &[]) {
        Ok(handoff) => handoff,
        Err(error) => return handoff::fail(&error.to_string(), error.hint()),
    };
    let paths = handoff.paths();
    handoff::log_to_file(&paths.logs, "tray.log", handoff.log_level.as_deref());
    let options = mcpproxy_tray::Options {
        paths,
        exe: handoff.exe,
    };
    match mcpproxy_tray::run_blocking(options) {
        Ok(()) => ExitCode::SUCCESS,
        // Each of the tray's errors is one line that says what to do: no hint line.
        Err(error) => handoff::fail(&error.to_string(), None),
    }
}
