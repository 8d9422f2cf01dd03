//! `mcpproxy service install|uninstall|status` on Linux: a systemd user unit that
//! `systemd-analyze` accepts and whose own command line starts the daemon on the right data
//! dir. The sandbox's runtime dir has no user bus, so no real service manager is touched.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use mcpproxy_daemon::client::Client;
use mcpproxy_daemon::exit_code::ExitCode;

use crate::support::daemon::{mcpproxy, temp_data_dir};
use crate::support::{kill_and_reap, sandbox, system_program, wait_until};

fn service(dir: &Path, args: &[&str]) -> Output {
    mcpproxy(dir)
        .arg("--data-dir")
        .arg(dir)
        .arg("service")
        .args(args)
        // Never the real user's session bus: `systemctl --user` must not reach a manager.
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .output()
        .unwrap()
}

fn succeeded(output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(i32::from(ExitCode::Success.code())),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn unit_path(dir: &Path) -> PathBuf {
    sandbox::home(dir).join(".config/systemd/user/mcpproxy.service")
}

/// The snapshot-stable form of a report: the temp dir, the executable and the words of
/// this machine's service manager named.
fn stable(json: &str, dir: &Path) -> String {
    let mut report: serde_json::Value = serde_json::from_str(json).unwrap();
    if let Some(error) = report.get_mut("manager_error") {
        *error = "[MANAGER_ERROR]".into();
    }
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_mcpproxy")).unwrap();
    serde_json::to_string_pretty(&report)
        .unwrap()
        .replace(&exe.display().to_string(), "[EXE]")
        .replace(&dir.display().to_string(), "[DIR]")
}

/// `systemd-analyze verify --user` passes the unit without a word of complaint (it exits 0
/// on settings it ignores, so its silence is what counts).
fn systemd_accepts(sandbox_dir: &Path, unit: &Path) {
    let analyze = system_program("systemd-analyze", "systemd");
    let verify = Command::new(analyze)
        .args(["verify", "--user"])
        .arg(unit)
        .env("XDG_RUNTIME_DIR", sandbox::home(sandbox_dir).join(".run"))
        .env("HOME", sandbox::home(sandbox_dir))
        .output()
        .unwrap();
    let complaints = String::from_utf8_lossy(&verify.stderr);
    assert!(
        verify.status.success(),
        "systemd-analyze verify: {complaints}"
    );
    assert_eq!(complaints, "", "systemd-analyze found something to say");
}

/// The words of a systemd `ExecStart=` line (double quotes, `\\`, `\"`, `%%`, `$$`).
fn exec_start(unit: &str) -> Vec<String> {
    let line = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("the unit has an ExecStart= line");
    quoted_words(line)
        .into_iter()
        .map(|word| word.replace("%%", "%").replace("$$", "$"))
        .collect()
}

/// Words separated by spaces; a double-quoted word may hold spaces and `\`-escaped
/// characters.
fn quoted_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c == ' ' {
            chars.next();
            continue;
        }
        let mut word = String::new();
        if c == '"' {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => word.extend(chars.next()),
                    c => word.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ' ' {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        words.push(word);
    }
    words
}

#[tokio::test]
async fn install_writes_a_unit_systemd_accepts_that_starts_the_daemon_on_this_data_dir() {
    let dir = temp_data_dir();
    std::fs::write(dir.path().join("config.toml"), "listen = \"127.0.0.1:0\"\n").unwrap();

    let installed = succeeded(&service(dir.path(), &["install", "--json"]));
    let unit = unit_path(dir.path());
    let text = std::fs::read_to_string(&unit).unwrap();
    let report: serde_json::Value = serde_json::from_str(&installed).unwrap();
    assert_eq!(report["installed"], true);
    assert_eq!(report["ran"], false, "no user manager runs in the sandbox");
    assert_eq!(report["command"], "systemctl --user enable --now mcpproxy");
    assert!(
        report["manager_error"]
            .as_str()
            .unwrap()
            .contains("systemctl --user"),
        "{installed}"
    );
    assert!(text.contains("\nRestart=on-failure\n"), "{text}");
    assert!(text.contains("\nWantedBy=default.target\n"), "{text}");

    systemd_accepts(dir.path(), &unit);

    // The unit's own command line (this binary, sandboxed) runs a daemon on this data dir.
    let words = exec_start(&text);
    assert_eq!(
        Path::new(&words[0]),
        std::fs::canonicalize(env!("CARGO_BIN_EXE_mcpproxy")).unwrap()
    );
    assert_eq!(words[1..3], ["serve", "--data-dir"]);
    let mut daemon = mcpproxy(dir.path())
        .args(&words[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = Client::socket(dir.path().join("mcpproxy.sock"));
    let status = wait_until(
        Duration::from_secs(20),
        "the unit's daemon to answer",
        || {
            let client = client.clone();
            async move { client.status().await.ok() }
        },
    )
    .await;
    kill_and_reap(&mut daemon);
    assert_eq!(
        std::fs::canonicalize(&status.data_dir).unwrap(),
        std::fs::canonicalize(dir.path()).unwrap()
    );
}

#[test]
fn status_reports_installed_and_not_installed_and_uninstall_removes_the_unit() {
    let dir = temp_data_dir();
    let before = succeeded(&service(dir.path(), &["status", "--json"]));
    insta::assert_snapshot!("service_status_not_installed", stable(&before, dir.path()));
    let text = succeeded(&service(dir.path(), &["status"]));
    assert!(text.starts_with("not installed ("), "{text}");

    succeeded(&service(dir.path(), &["install", "--no-enable"]));
    let after = succeeded(&service(dir.path(), &["status", "--json"]));
    insta::assert_snapshot!("service_status_installed", stable(&after, dir.path()));

    // A unit for another data dir is reported as not current.
    let other = temp_data_dir();
    let moved = mcpproxy(dir.path())
        .arg("--data-dir")
        .arg(other.path())
        .args(["service", "status", "--json"])
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .output()
        .unwrap();
    let moved: serde_json::Value = serde_json::from_str(&succeeded(&moved)).unwrap();
    assert_eq!(moved["installed"], true);
    assert_eq!(moved["current"], false);

    let removed = succeeded(&service(dir.path(), &["uninstall"]));
    assert!(removed.contains("removed "), "{removed}");
    assert!(!unit_path(dir.path()).exists());
    let again = succeeded(&service(dir.path(), &["uninstall"]));
    assert!(again.starts_with("no service was installed"), "{again}");
}

/// A data dir whose path holds a space, `%` (a systemd specifier) and `$` (a variable) is
/// written so systemd reads it back as it is.
#[test]
fn a_data_dir_with_awkward_characters_survives_the_unit() {
    let dir = temp_data_dir();
    let data_dir = dir.path().join("my data 100% $HOME");
    std::fs::create_dir_all(&data_dir).unwrap();
    let output = mcpproxy(dir.path())
        .arg("--data-dir")
        .arg(&data_dir)
        .args(["service", "install", "--no-enable"])
        .output()
        .unwrap();
    succeeded(&output);
    let unit = unit_path(dir.path());
    let text = std::fs::read_to_string(&unit).unwrap();
    assert_eq!(
        exec_start(&text)[3],
        data_dir.display().to_string(),
        "{text}"
    );

    systemd_accepts(dir.path(), &unit);
}

#[test]
fn install_honours_xdg_config_home() {
    let dir = temp_data_dir();
    let config_home = dir.path().join("elsewhere");
    let output = mcpproxy(dir.path())
        .arg("--data-dir")
        .arg(dir.path())
        .args(["service", "install", "--no-enable"])
        .env("XDG_CONFIG_HOME", &config_home)
        .output()
        .unwrap();
    let text = succeeded(&output);
    assert!(
        config_home.join("systemd/user/mcpproxy.service").exists(),
        "{text}"
    );
    assert!(!unit_path(dir.path()).exists());
    assert!(
        text.contains("run: systemctl --user enable --now mcpproxy"),
        "{text}"
    );
}

/// The words of a desktop entry's `Exec=` line: the string-value escapes undone, then the
/// quoting (`"..."` with `\"`, `` \` ``, `\$`, `\\`), then `%%`.
fn desktop_exec(entry: &str) -> Vec<String> {
    let line = entry
        .lines()
        .find_map(|l| l.strip_prefix("Exec="))
        .expect("the entry has an Exec= line")
        .replace("\\\\", "\\");
    quoted_words(&line)
        .into_iter()
        .map(|word| word.replace("%%", "%"))
        .collect()
}

#[test]
fn install_tray_adds_an_autostart_entry_that_runs_the_tray_on_this_data_dir() {
    let dir = temp_data_dir();
    let data_dir = dir.path().join("my data 100% $HOME");
    std::fs::create_dir_all(&data_dir).unwrap();
    let install = |args: &[&str]| {
        mcpproxy(dir.path())
            .arg("--data-dir")
            .arg(&data_dir)
            .arg("service")
            .args(args)
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .output()
            .unwrap()
    };
    let report = succeeded(&install(&["install", "--tray", "--no-enable", "--json"]));
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    let entry_path = sandbox::home(dir.path()).join(".config/autostart/mcpproxy-tray.desktop");
    assert_eq!(
        report["tray_autostart"].as_str(),
        Some(entry_path.to_str().unwrap())
    );
    assert!(
        unit_path(dir.path()).exists(),
        "the daemon's unit comes too"
    );
    let entry = std::fs::read_to_string(&entry_path).unwrap();
    assert!(
        entry.contains("\n[Desktop Entry]\nType=Application\n"),
        "{entry}"
    );

    let validate = system_program("desktop-file-validate", "desktop-file-utils");
    let checked = Command::new(validate).arg(&entry_path).output().unwrap();
    assert!(
        checked.status.success() && checked.stdout.is_empty(),
        "desktop-file-validate: {}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );

    // Its own command line is this binary's tray on this data dir (here without a session
    // bus, so it says so and exits 1).
    let words = desktop_exec(&entry);
    assert_eq!(
        Path::new(&words[0]),
        std::fs::canonicalize(env!("CARGO_BIN_EXE_mcpproxy")).unwrap()
    );
    assert_eq!(
        words[1..],
        ["tray", "--data-dir", data_dir.to_str().unwrap()]
    );
    let tray = mcpproxy(dir.path())
        .args(&words[1..])
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .output()
        .unwrap();
    assert_eq!(tray.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&tray.stderr).contains("no D-Bus session bus"));

    let status = succeeded(&install(&["status"]));
    assert!(status.contains("tray icon at login: "), "{status}");
    succeeded(&install(&["uninstall"]));
    assert!(!entry_path.exists(), "uninstall leaves the autostart entry");
}
