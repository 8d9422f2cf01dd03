//! The systemd user unit.

use super::Service;

pub const UNIT: &str = "mcpproxy.service";

/// Exit codes after which a restart cannot help: another daemon holds the data dir (3), the
/// config is invalid (4), a file is not private (5). See `mcpproxy_daemon::exit_code`.
const PERMANENT_EXITS: &str = "3 4 5";

pub fn unit(service: &Service) -> String {
    let exec = service
        .args()
        .iter()
        .map(|arg| quote(arg))
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "# Written by `mcpproxy service install`; `mcpproxy service uninstall` removes it.\n\
         [Unit]\n\
         Description=mcpproxy: one MCP endpoint for every AI client\n\
         Documentation=https://github.com/mcpproxy/mcpproxy\n\
         \n\
         [Service]\n\
         Type=simple\n\
         ExecStart={exec}\n\
         Restart=on-failure\n\
         RestartSec=5\n\
         RestartPreventExitStatus={PERMANENT_EXITS}\n\
         \n\
         [Install]\n\
         WantedBy=default.target\n"
    )
}

/// One `ExecStart=` word, taken as written: a word of plain characters as it is, any other
/// double-quoted, with systemd's specifiers (`%`) and variable expansion (`$`) escaped.
fn quote(arg: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:@+,".contains(c);
    if !arg.is_empty() && arg.chars().all(plain) {
        return arg.to_owned();
    }
    let mut quoted = String::with_capacity(arg.len() + 2);
    quoted.push('"');
    for c in arg.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '%' => quoted.push_str("%%"),
            '$' => quoted.push_str("$$"),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

fn systemctl(args: &[&str]) -> Vec<String> {
    ["systemctl", "--user"]
        .iter()
        .chain(args)
        .map(|a| (*a).to_owned())
        .collect()
}

pub fn enable() -> Vec<String> {
    systemctl(&["enable", "--now", "mcpproxy"])
}

pub fn disable() -> Vec<String> {
    systemctl(&["disable", "--now", "mcpproxy"])
}

pub fn reload() -> Vec<String> {
    systemctl(&["daemon-reload"])
}

/// `systemctl --user is-active`: it prints the state and exits non-zero for all but
/// `active`, so the printed word is the answer; no word means the manager was not reached.
pub fn state() -> Result<String, String> {
    let output = std::process::Command::new("systemctl")
        .args(["--user", "is-active", "mcpproxy"])
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run systemctl: {e}"))?;
    let state = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if state.is_empty() || state.contains(' ') {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let why = stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no answer");
        Err(format!(
            "systemctl --user is not available here: {}",
            why.trim()
        ))
    } else {
        Ok(state)
    }
}
