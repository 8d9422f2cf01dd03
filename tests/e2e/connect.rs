//! `mcpproxy connect` / `disconnect` on a temp HOME, for every client: the entry lands in the
//! client's own file in its documented shape, unrelated entries and comments stay, a backup
//! is kept, and disconnecting gives back the original file byte for byte. `connect --list`
//! shows where each client stands; `config import CLIENT` finds the client's file.

use std::path::{Path, PathBuf};
use std::process::Output;

use mcpproxy_daemon::exit_code::ExitCode;
use serde_json::{Value, json};

use crate::support::daemon::{mcpproxy, temp_data_dir};
use crate::support::sandbox;

const EXE: &str = env!("CARGO_BIN_EXE_mcpproxy");

struct Case {
    client: &'static str,
    /// Relative to HOME.
    path: &'static str,
    original: &'static str,
    /// Text of the original that must survive (a comment, an unrelated entry).
    kept: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        client: "claude-code",
        path: ".claude.json",
        original: "{\n  \"numStartups\": 3,\n  \"mcpServers\": {\n    \"github\": {\"type\": \"stdio\", \"command\": \"npx\", \"args\": [\"-y\", \"gh\"]}\n  },\n  \"projects\": {}\n}\n",
        kept: &["\"numStartups\": 3", "\"github\": {\"type\": \"stdio\""],
    },
    Case {
        client: "claude-desktop",
        path: ".config/Claude/claude_desktop_config.json",
        original: "{\n\t\"mcpServers\": {\n\t\t\"time\": {\"command\": \"uvx\", \"args\": [\"mcp-server-time\"]}\n\t},\n\t\"globalShortcut\": \"\"\n}",
        kept: &[
            "\t\t\"time\": {\"command\": \"uvx\"",
            "\"globalShortcut\": \"\"",
        ],
    },
    Case {
        client: "cursor",
        path: ".cursor/mcp.json",
        original: "{\"mcpServers\": {\"remote\": {\"url\": \"https://example.com/mcp\"}}}",
        kept: &["\"remote\": {\"url\": \"https://example.com/mcp\"}"],
    },
    Case {
        client: "vscode",
        path: ".config/Code/User/mcp.json",
        original: "{\n  // my servers\n  \"servers\": {\n    \"fs\": {\n      \"type\": \"stdio\",\n      \"command\": \"npx\", // pinned below\n      \"args\": [\"-y\", \"@modelcontextprotocol/server-filesystem@1.0.0\"],\n    },\n  },\n  \"inputs\": [],\n}\n",
        kept: &[
            "// my servers",
            "\"command\": \"npx\", // pinned below",
            "\"inputs\": []",
        ],
    },
    Case {
        client: "windsurf",
        path: ".codeium/windsurf/mcp_config.json",
        original: "{\n  \"mcpServers\": {}\n}\n",
        kept: &[],
    },
    Case {
        client: "codex",
        path: ".codex/config.toml",
        original: "# my codex\nmodel = \"o4-mini\"\n\n[mcp_servers.docs]\ncommand = \"npx\" # docs server\nargs = [\"-y\", \"docs-mcp\"]\n",
        kept: &[
            "# my codex",
            "command = \"npx\" # docs server",
            "model = \"o4-mini\"",
        ],
    },
    Case {
        client: "gemini",
        path: ".gemini/settings.json",
        original: "{\n  \"theme\": \"Default\",\n  \"selectedAuthType\": \"oauth-personal\"\n}\n",
        kept: &["\"theme\": \"Default\""],
    },
    Case {
        client: "opencode",
        path: ".config/opencode/opencode.json",
        original: "{\n  \"$schema\": \"https://opencode.ai/config.json\",\n  // the model I use\n  \"model\": \"anthropic/claude-sonnet-4-5\",\n  \"mcp\": {\n    \"jira\": {\"type\": \"remote\", \"url\": \"https://jira.example.com/mcp\", \"enabled\": false}\n  }\n}\n",
        kept: &["// the model I use", "\"jira\": {\"type\": \"remote\""],
    },
];

fn exit(output: &Output) -> ExitCode {
    ExitCode::from_status(output.status.code())
}

fn run(dir: &Path, args: &[&str]) -> Output {
    mcpproxy(dir)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

fn json_out(output: &Output) -> Value {
    assert_eq!(exit(output), ExitCode::Success, "{output:?}");
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The file as data: JSON with comments, or TOML.
fn parsed(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    if path.extension().is_some_and(|e| e == "toml") {
        serde_json::to_value(toml::from_str::<toml::Table>(&text).unwrap()).unwrap()
    } else {
        json5::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", path.display()))
    }
}

/// Where each client documents its servers, and the entry's stdio shape there.
fn documented_entry(client: &str, file: &Value, data_dir: &Path) -> (Value, Value) {
    let args = json!(["--data-dir", data_dir, "stdio"]);
    let (servers, expected) = match client {
        "claude-code" => (
            &file["mcpServers"],
            json!({"type": "stdio", "command": EXE, "args": args}),
        ),
        "vscode" => (
            &file["servers"],
            json!({"type": "stdio", "command": EXE, "args": args}),
        ),
        "codex" => (&file["mcp_servers"], json!({"command": EXE, "args": args})),
        "opencode" => (
            &file["mcp"],
            json!({"type": "local", "command": [EXE, "--data-dir", data_dir, "stdio"], "enabled": true}),
        ),
        _ => (&file["mcpServers"], json!({"command": EXE, "args": args})),
    };
    (servers["mcpproxy"].clone(), expected)
}

#[test]
fn connect_writes_each_clients_format_and_disconnect_gives_back_the_original() {
    let dir = temp_data_dir();
    let home = sandbox::home(dir.path());
    let data_dir = std::path::absolute(dir.path()).unwrap();
    for case in CASES {
        let path = home.join(case.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, case.original).unwrap();

        let dry = json_out(&run(
            dir.path(),
            &["connect", case.client, "--dry-run", "--json"],
        ));
        assert_eq!(dry["changes"][0]["action"], "added", "{}", case.client);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), case.original);

        let report = json_out(&run(dir.path(), &["connect", case.client, "--json"]));
        let change = &report["changes"][0];
        assert_eq!(change["action"], "added", "{}: {report}", case.client);
        let backup = PathBuf::from(change["backup"].as_str().unwrap());
        assert_eq!(
            backup,
            PathBuf::from(format!("{}.mcpproxy-backup", path.display()))
        );
        assert_eq!(std::fs::read_to_string(&backup).unwrap(), case.original);

        let text = std::fs::read_to_string(&path).unwrap();
        for kept in case.kept {
            assert!(
                text.contains(kept),
                "{}: lost {kept:?}:\n{text}",
                case.client
            );
        }
        assert!(
            !text.contains("api_key") && !text.contains("apiKey"),
            "{text}"
        );
        let (written, expected) = documented_entry(case.client, &parsed(&path), &data_dir);
        assert_eq!(written, expected, "{}:\n{text}", case.client);

        let again = json_out(&run(dir.path(), &["connect", case.client, "--json"]));
        assert_eq!(
            again["changes"][0]["action"], "unchanged",
            "{}",
            case.client
        );

        let removed = json_out(&run(dir.path(), &["disconnect", case.client, "--json"]));
        assert_eq!(
            removed["changes"][0]["action"], "restored",
            "{}",
            case.client
        );
        assert_eq!(
            std::fs::read(&path).unwrap(),
            case.original.as_bytes(),
            "{}: not the original after disconnect",
            case.client
        );
    }
}

#[test]
fn a_hand_edit_after_connect_is_kept_by_disconnect() {
    let dir = temp_data_dir();
    let path = sandbox::home(dir.path()).join(".cursor/mcp.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        "{\n  \"mcpServers\": {\n    \"a\": {\"command\": \"x\"}\n  }\n}\n",
    )
    .unwrap();
    assert_eq!(
        exit(&run(dir.path(), &["connect", "cursor"])),
        ExitCode::Success
    );
    let edited = std::fs::read_to_string(&path)
        .unwrap()
        .replace("\"a\": {\"command\": \"x\"}", "\"a\": {\"command\": \"y\"}");
    std::fs::write(&path, &edited).unwrap();
    let removed = json_out(&run(dir.path(), &["disconnect", "cursor", "--json"]));
    assert_eq!(removed["changes"][0]["action"], "removed");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "{\n  \"mcpServers\": {\n    \"a\": {\"command\": \"y\"}\n  }\n}\n"
    );
}

#[test]
fn a_missing_file_is_created_and_removed_again() {
    let dir = temp_data_dir();
    let home = sandbox::home(dir.path());
    for (client, path) in [
        ("gemini", ".gemini/settings.json"),
        ("codex", ".codex/config.toml"),
    ] {
        let path = home.join(path);
        let report = json_out(&run(dir.path(), &["connect", client, "--json"]));
        assert_eq!(report["changes"][0]["action"], "added");
        assert!(report["changes"][0].get("backup").is_none(), "{report}");
        let (written, expected) = documented_entry(
            client,
            &parsed(&path),
            &std::path::absolute(dir.path()).unwrap(),
        );
        assert_eq!(written, expected);
        let removed = json_out(&run(dir.path(), &["disconnect", client, "--json"]));
        assert_eq!(removed["changes"][0]["action"], "deleted");
        assert!(!path.exists());
    }
}

#[test]
fn http_entries_use_each_clients_url_key_and_never_the_key() {
    let dir = temp_data_dir();
    std::fs::write(
        dir.path().join("config.toml"),
        "listen = \"127.0.0.1:9123\"\n",
    )
    .unwrap();
    let home = sandbox::home(dir.path());
    let url = "http://127.0.0.1:9123/mcp";
    for (client, path, servers, entry) in [
        (
            "cursor",
            ".cursor/mcp.json",
            "mcpServers",
            json!({"url": url}),
        ),
        (
            "windsurf",
            ".codeium/windsurf/mcp_config.json",
            "mcpServers",
            json!({"serverUrl": url}),
        ),
        (
            "gemini",
            ".gemini/settings.json",
            "mcpServers",
            json!({"httpUrl": url}),
        ),
        (
            "claude-code",
            ".claude.json",
            "mcpServers",
            json!({"type": "http", "url": url}),
        ),
        (
            "vscode",
            ".config/Code/User/mcp.json",
            "servers",
            json!({"type": "http", "url": url}),
        ),
        (
            "opencode",
            ".config/opencode/opencode.json",
            "mcp",
            json!({"type": "remote", "url": url, "enabled": true}),
        ),
        (
            "codex",
            ".codex/config.toml",
            "mcp_servers",
            json!({"url": url}),
        ),
    ] {
        let output = run(dir.path(), &["connect", client, "--http"]);
        assert_eq!(exit(&output), ExitCode::Success, "{client}: {output:?}");
        assert_eq!(
            parsed(&home.join(path))[servers]["mcpproxy"],
            entry,
            "{client}"
        );
    }
    let again = run(dir.path(), &["disconnect", "cursor", "--json"]);
    assert_eq!(exit(&again), ExitCode::Success);
    let report = run(dir.path(), &["connect", "cursor", "--http", "--json"]);
    assert_eq!(exit(&report), ExitCode::Success);
    let report = String::from_utf8(report.stdout)
        .unwrap()
        .replace(&home.display().to_string(), "[HOME]");
    insta::assert_snapshot!("connect_cursor_http", report);

    let refused = run(dir.path(), &["connect", "claude-desktop", "--http"]);
    assert_eq!(exit(&refused), ExitCode::Error);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("only starts commands"), "{stderr}");
}

#[test]
fn list_shows_each_client_and_bad_input_fails() {
    let dir = temp_data_dir();
    let home = sandbox::home(dir.path());
    std::fs::create_dir_all(home.join(".cursor")).unwrap();
    std::fs::write(home.join(".cursor/mcp.json"), "{\"mcpServers\": {}}").unwrap();
    std::fs::create_dir_all(home.join(".gemini")).unwrap();
    std::fs::write(home.join(".gemini/settings.json"), "{ not json").unwrap();

    // One broken file stops `--all` before anything is written.
    let all = run(dir.path(), &["connect", "--all"]);
    assert_eq!(exit(&all), ExitCode::Error, "{all:?}");
    assert!(String::from_utf8_lossy(&all.stderr).contains("settings.json is not valid JSON"));
    assert_eq!(
        std::fs::read_to_string(home.join(".cursor/mcp.json")).unwrap(),
        "{\"mcpServers\": {}}"
    );

    let broken = run(dir.path(), &["connect", "gemini"]);
    assert_eq!(exit(&broken), ExitCode::Error);
    assert_eq!(
        std::fs::read_to_string(home.join(".gemini/settings.json")).unwrap(),
        "{ not json"
    );
    std::fs::write(home.join(".gemini/settings.json"), "{}").unwrap();
    assert_eq!(
        exit(&run(dir.path(), &["connect", "--all"])),
        ExitCode::Success
    );

    let list = run(dir.path(), &["connect", "--list", "--json"]);
    assert_eq!(exit(&list), ExitCode::Success);
    let text = String::from_utf8(list.stdout)
        .unwrap()
        .replace(&home.display().to_string(), "[HOME]");
    insta::assert_snapshot!("connect_list", text);

    let unknown = run(dir.path(), &["connect", "notepad"]);
    assert_ne!(exit(&unknown), ExitCode::Success);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("claude-code"));
}

#[test]
fn config_import_finds_a_clients_file_by_its_name() {
    let dir = temp_data_dir();
    let home = sandbox::home(dir.path());
    std::fs::create_dir_all(home.join(".cursor")).unwrap();
    std::fs::write(
        home.join(".cursor/mcp.json"),
        "{\"mcpServers\": {\"time\": {\"command\": \"uvx\", \"args\": [\"mcp-server-time\"]}}}",
    )
    .unwrap();
    let imported = json_out(&run(dir.path(), &["config", "import", "cursor", "--json"]));
    assert_eq!(imported["added"], json!(["time"]), "{imported}");
    let refused = run(dir.path(), &["config", "import", "opencode"]);
    assert_eq!(exit(&refused), ExitCode::Error);
}
