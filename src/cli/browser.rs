//! Opening a URL in the person's browser, where there is one.

use std::process::{Command, Stdio};

/// Tries to open `url`; false when there is no display or no opener (the URL is printed
/// anyway, so the person can open it by hand).
pub fn open(url: &str) -> bool {
    if std::env::var_os("MCPPROXY_NO_BROWSER").is_some() {
        return false;
    }
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        let has_display =
            std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
        if !has_display {
            return false;
        }
        "xdg-open"
    };
    Command::new(opener)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .is_ok()
}
