//! The tray's XDG autostart entry (`~/.config/autostart/mcpproxy-tray.desktop`): desktop
//! sessions (GNOME, KDE, Xfce, ...) run it at login. The daemon itself stays with the
//! service manager; the tray only attaches to it.

use std::path::{Path, PathBuf};

use super::Service;

pub const FILE: &str = "mcpproxy-tray.desktop";

/// Where the entry goes under `config_home` (`$XDG_CONFIG_HOME` or `~/.config`).
pub fn path(config_home: &Path) -> PathBuf {
    config_home.join("autostart").join(FILE)
}

/// The entry that runs `mcpproxy tray` on the service's data dir.
pub fn entry(service: &Service) -> String {
    let args = service.command("tray");
    let exec = args
        .iter()
        .map(|arg| quote(arg))
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "# Written by `mcpproxy service install --tray`; `mcpproxy service uninstall` removes it.\n\
         [Desktop Entry]\n\
         Type=Application\n\
         Name=mcpproxy tray\n\
         Comment=The mcpproxy daemon's health at a glance\n\
         Exec={exec}\n\
         Terminal=false\n\
         NoDisplay=true\n\
         X-GNOME-Autostart-enabled=true\n"
    )
}

/// One `Exec=` argument: plain words as they are, others double-quoted with `"`, `` ` ``,
/// `$` and `\` escaped; `%` is doubled everywhere (field codes), and the whole line escapes
/// `\` once more as every desktop-entry string value does.
fn quote(arg: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:@+,".contains(c);
    let arg = arg.replace('%', "%%");
    if !arg.is_empty() && arg.chars().all(|c| plain(c) || c == '%') {
        return arg;
    }
    let mut quoted = String::from("\"");
    for c in arg.chars() {
        if matches!(c, '"' | '`' | '$' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    // The string-value escape of the desktop-entry format applies on top of the quoting.
    quoted.replace('\\', "\\\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_quotes_what_needs_quoting() {
        assert_eq!(quote("/usr/bin/mcpproxy"), "/usr/bin/mcpproxy");
        assert_eq!(quote("/home/a b"), "\"/home/a b\"");
        assert_eq!(quote("/home/100%"), "/home/100%%");
        assert_eq!(quote("/x/$HOME"), "\"/x/\\\\$HOME\"");
    }
}
