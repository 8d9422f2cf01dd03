//! Import of each format, merging, naming and error reporting.
use std::fmt::Write as _;

use super::*;

/// Relative, so origins in snapshots read the same on every machine (tests run in the
/// crate's directory).
const FIXTURES: &str = "../tests/fixtures/import";

fn fixture(name: &str) -> PathBuf {
    Path::new(FIXTURES).join(name)
}

fn read(name: &str) -> ImportSource {
    read_source(&fixture(name), None).unwrap_or_else(|e| panic!("{e}"))
}

fn user_config() -> ConfigFile {
    ConfigFile::open(&fixture("user-config.toml")).unwrap_or_else(|e| panic!("{e}"))
}

fn user_config_text() -> String {
    std::fs::read_to_string(fixture("user-config.toml")).unwrap_or_else(|e| panic!("{e}"))
}

/// Every line of the user's config, comments included, is still there and in order
/// (imported tables go before the file's trailing comments, which stay last).
fn assert_keeps_user_lines(config: &ConfigFile) {
    let merged = config.text();
    let mut rest = merged.as_str();
    for line in user_config_text().lines() {
        let at = rest
            .find(line)
            .unwrap_or_else(|| panic!("lost or moved {line:?}:\n{merged}"));
        rest = &rest[at + line.len()..];
    }
}

/// What was read (with origins), what merge did, and the config text after it.
fn describe(sources: &[ImportSource], report: &ImportReport, config: &ConfigFile) -> String {
    let mut out = String::new();
    for source in sources {
        let _ = writeln!(out, "source {} ({})", source.path.display(), source.format);
        for server in &source.servers {
            let _ = writeln!(out, "  {} <- {}", server.name, server.origin);
        }
    }
    let names = |names: &[String]| {
        if names.is_empty() {
            "-".to_owned()
        } else {
            names.join(", ")
        }
    };
    let _ = writeln!(out, "added: {}", names(&report.added));
    let _ = writeln!(out, "replaced: {}", names(&report.replaced));
    let _ = writeln!(out, "skipped:");
    for skipped in &report.skipped {
        let _ = writeln!(out, "  {}: {}", skipped.name, skipped.reason);
    }
    let _ = writeln!(out, "renamed:");
    for (from, to) in &report.renamed {
        let _ = writeln!(out, "  {from:?} -> {to}");
    }
    let _ = writeln!(out, "--- config.toml after the merge ---");
    out.push_str(&config.text());
    out
}

/// Imports one fixture into the user's config and snapshots the result.
fn import_snapshot(snapshot: &str, file: &str, format: ImportFormat) {
    let source = read(file);
    assert_eq!(
        source.format, format,
        "{file} detected as {}",
        source.format
    );
    let mut config = user_config();
    let report =
        merge(&mut config, std::slice::from_ref(&source), false).unwrap_or_else(|e| panic!("{e}"));
    let loaded = config.check().unwrap_or_else(|e| panic!("{file}: {e}"));
    for name in &report.added {
        assert!(loaded.servers[name].quarantined, "{name} from {file}");
    }
    insta::assert_snapshot!(snapshot, describe(&[source], &report, &config));
    assert_keeps_user_lines(&config);
}

#[test]
fn imports_claude_desktop() {
    import_snapshot(
        "claude_desktop",
        "claude_desktop_config.json",
        ImportFormat::ClaudeDesktop,
    );
}

#[test]
fn imports_claude_code_project_file() {
    import_snapshot(
        "claude_code_mcp_json",
        ".mcp.json",
        ImportFormat::ClaudeCode,
    );
}

#[test]
fn imports_claude_code_user_file() {
    import_snapshot(
        "claude_code_claude_json",
        "claude.json",
        ImportFormat::ClaudeCode,
    );
}

#[test]
fn imports_cursor() {
    import_snapshot("cursor", "cursor-mcp.json", ImportFormat::Cursor);
}

#[test]
fn imports_vscode_workspace_file() {
    import_snapshot("vscode_mcp_json", "vscode-mcp.json", ImportFormat::Vscode);
}

#[test]
fn imports_vscode_user_settings() {
    import_snapshot(
        "vscode_settings",
        "vscode-settings.json",
        ImportFormat::Vscode,
    );
}

#[test]
fn imports_codex() {
    import_snapshot("codex", "codex-config.toml", ImportFormat::Codex);
}

#[test]
fn imports_gemini() {
    import_snapshot("gemini", "gemini-settings.json", ImportFormat::Gemini);
}

#[test]
fn imports_mcpproxy() {
    import_snapshot("mcpproxy", "mcp_config.json", ImportFormat::Mcpproxy);
}

const ALL_FIXTURES: &[(&str, ImportFormat)] = &[
    ("claude_desktop_config.json", ImportFormat::ClaudeDesktop),
    (".mcp.json", ImportFormat::ClaudeCode),
    ("claude.json", ImportFormat::ClaudeCode),
    ("cursor-mcp.json", ImportFormat::Cursor),
    ("vscode-mcp.json", ImportFormat::Vscode),
    ("vscode-settings.json", ImportFormat::Vscode),
    ("codex-config.toml", ImportFormat::Codex),
    ("gemini-settings.json", ImportFormat::Gemini),
    ("mcp_config.json", ImportFormat::Mcpproxy),
];

#[test]
fn detects_the_format_of_each_fixture() {
    for (file, format) in ALL_FIXTURES {
        assert_eq!(read(file).format, *format, "{file}");
    }
}

#[test]
fn detects_formats_from_where_clients_keep_their_files() {
    let mcp_servers = r#"{"mcpServers": {"a": {"command": "x"}}}"#;
    let cases = [
        (
            "/home/me/.cursor/mcp.json",
            mcp_servers,
            ImportFormat::Cursor,
        ),
        (
            "/home/me/.gemini/settings.json",
            mcp_servers,
            ImportFormat::Gemini,
        ),
        (
            "/home/me/.claude.json",
            mcp_servers,
            ImportFormat::ClaudeCode,
        ),
        ("/work/app/.mcp.json", mcp_servers, ImportFormat::ClaudeCode),
        (
            "/work/app/.vscode/mcp.json",
            mcp_servers,
            ImportFormat::Vscode,
        ),
        ("/tmp/any.json", mcp_servers, ImportFormat::ClaudeDesktop),
        (
            "/tmp/any.json",
            r#"{"mcpServers": {"a": {"httpUrl": "https://h/mcp"}}}"#,
            ImportFormat::Gemini,
        ),
        (
            "/tmp/any.json",
            r#"{"mcpServers": [{"name": "a", "command": "x"}]}"#,
            ImportFormat::Mcpproxy,
        ),
        (
            "/tmp/any.json",
            r#"{"servers": {"a": {"command": "x"}}}"#,
            ImportFormat::Vscode,
        ),
        (
            "/tmp/any",
            "[mcp_servers.a]\ncommand = \"x\"\n",
            ImportFormat::Codex,
        ),
    ];
    for (path, text, format) in cases {
        let source =
            parse_source(Path::new(path), text, None).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(source.format, format, "{path}");
    }
}

#[test]
fn all_fixtures_merge_into_a_config_that_loads() {
    let sources: Vec<ImportSource> = ALL_FIXTURES.iter().map(|(file, _)| read(file)).collect();
    let mut config = user_config();
    let report = merge(&mut config, &sources, false).unwrap_or_else(|e| panic!("{e}"));
    let loaded = config.check().unwrap_or_else(|e| panic!("{e}"));
    for name in &report.added {
        assert!(loaded.servers[name].quarantined, "{name}");
    }
    // Defined identically in several places: imported once, silently.
    for name in [
        "memory",
        "sequential-thinking",
        "context7",
        "microsoft-docs",
    ] {
        assert_eq!(
            report.added.iter().filter(|n| *n == name).count(),
            1,
            "{name}"
        );
    }
    assert_eq!(report.replaced, Vec::<String>::new());
    assert!(report.skipped.contains(&Skipped {
        name: "github".to_owned(),
        reason: ALREADY_EXISTS.to_owned(),
    }));
    assert_eq!(loaded.servers.len(), 2 + report.added.len());
    assert_keeps_user_lines(&config);
}

#[test]
fn an_existing_name_is_skipped_unless_overwriting() {
    let sources = [read("claude_desktop_config.json")];
    let mut config = user_config();
    let report = merge(&mut config, &sources, false).unwrap_or_else(|e| panic!("{e}"));
    assert!(!report.added.contains(&"github".to_owned()));
    assert!(
        config
            .text()
            .contains("url = \"https://api.githubcopilot.com/mcp/\"")
    );

    let mut config = user_config();
    let report = merge(&mut config, &sources, true).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.replaced, vec!["github".to_owned()]);
    assert!(!report.skipped.iter().any(|s| s.reason == ALREADY_EXISTS));
    let text = config.text();
    assert!(
        text.contains(
            "# GitHub's hosted server; the token comes from my shell. Off until I export it.\n[servers.github]\ncommand = \"docker\"\n"
        ),
        "replaced in place, under its comment:\n{text}"
    );
    config.check().unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_name_defined_differently_twice_is_an_error_naming_both_places() {
    let first = parse_source(
        Path::new("first.json"),
        "{\n  \"mcpServers\": {\n    \"db\": {\"command\": \"a\"}\n  }\n}\n",
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let second = parse_source(
        Path::new("second.toml"),
        "[mcp_servers.db]\ncommand = \"b\"\n",
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut config = user_config();
    let error = merge(&mut config, &[first, second], false)
        .err()
        .unwrap_or_else(|| panic!("expected a duplicate"));
    assert_eq!(
        error.to_string(),
        "server \"db\" is defined twice, differently: at first.json:3:5 (mcpServers.db) and at second.toml:1:14 (mcp_servers.db)"
    );
    assert!(error.hint().is_some());
    assert_eq!(config.text(), user_config_text(), "nothing was merged");

    // Twice in one file: VS Code's `servers` and `mcpServers`.
    let error = parse_source(
        Path::new(".vscode/mcp.json"),
        "{\"servers\": {\"x\": {\"command\": \"a\"}},\n \"mcpServers\": {\"x\": {\"command\": \"b\"}}}",
        None,
    )
    .err()
    .unwrap_or_else(|| panic!("expected a duplicate"));
    assert!(
        matches!(&error, ImportError::Duplicate { first, second, .. }
            if first.starts_with(".vscode/mcp.json:1:14 (servers.x)")
            && second.starts_with(".vscode/mcp.json:2:17 (mcpServers.x)")),
        "{error}"
    );
}

#[test]
fn imported_servers_are_quarantined_and_keep_their_enabled_state() {
    let mcpproxy = read("mcp_config.json");
    assert!(mcpproxy.servers.iter().all(|s| s.server.quarantined));
    let enabled = |source: &ImportSource, name: &str| {
        source
            .servers
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.server.enabled)
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    assert!(!enabled(&read("cursor-mcp.json"), "vercel"));
    assert!(!enabled(&read("codex-config.toml"), "chrome-devtools"));
    assert!(enabled(&read("codex-config.toml"), "serena"));
    assert!(!enabled(&read("gemini-settings.json"), "sse-events"));
    assert!(!enabled(&read("claude.json"), "stripe"));
    assert!(enabled(&read("claude.json"), "context7"));
}

#[test]
fn origins_name_file_line_column_and_key() {
    let desktop = read("claude_desktop_config.json");
    assert_eq!(
        desktop.servers[0].origin,
        "../tests/fixtures/import/claude_desktop_config.json:3:5 (mcpServers.memory)"
    );
    let claude = read("claude.json");
    let stripe = claude.servers.iter().find(|s| s.name == "stripe");
    assert_eq!(
        stripe.map(|s| s.origin.as_str()),
        Some(
            "../tests/fixtures/import/claude.json:36:9 (projects.\"/Users/alice/src/shop\".mcpServers.stripe)"
        )
    );
    let mcpproxy = read("mcp_config.json");
    assert_eq!(
        mcpproxy.servers[1].origin,
        "../tests/fixtures/import/mcp_config.json:23:7 (mcpServers[1])"
    );
}

#[test]
fn names_are_made_valid() {
    assert_eq!(valid_name("github"), "github");
    assert_eq!(valid_name("Brave Search"), "Brave-Search");
    assert_eq!(valid_name("obsidian__vault"), "obsidian_vault");
    assert_eq!(valid_name("@scope/pkg: tools!"), "scope-pkg-tools");
    assert_eq!(valid_name("  "), "server");
    assert_eq!(valid_name(&"x".repeat(60)).len(), 48);
    for name in ["a b", "__a__", "ü", "a:b", &"y-".repeat(40)] {
        assert!(check_server_name(&valid_name(name)).is_ok(), "{name}");
    }
}

#[test]
fn syntax_errors_say_where_and_mention_format() {
    let error = parse_source(
        Path::new("claude_desktop_config.json"),
        "{\n  \"mcpServers\": {\n    \"a\": {\"command\": \"x\"}\n    \"b\": {}\n  }\n}\n",
        None,
    )
    .err()
    .unwrap_or_else(|| panic!("expected a syntax error"));
    assert!(
        error
            .to_string()
            .starts_with("claude_desktop_config.json:4:5: not valid JSON"),
        "{error}"
    );
    assert!(error.hint().unwrap_or_default().contains("--format"));

    let error = parse_source(
        Path::new("config.toml"),
        "[mcp_servers.a]\ncommand = \n",
        None,
    )
    .err()
    .unwrap_or_else(|| panic!("expected a syntax error"));
    assert!(error.to_string().starts_with("config.toml:2:"), "{error}");
    assert!(error.hint().unwrap_or_default().contains("--format"));

    let error = parse_source(
        Path::new("x.json"),
        "[mcp_servers.a]",
        Some(ImportFormat::Gemini),
    )
    .err()
    .unwrap_or_else(|| panic!("expected a syntax error"));
    assert!(error.to_string().starts_with("x.json:1:"), "{error}");
    assert!(error.hint().unwrap_or_default().contains("Gemini CLI"));
}

#[test]
fn unknown_formats_list_the_known_ones() {
    for format in ImportFormat::ALL {
        assert_eq!(format.name().parse::<ImportFormat>().ok(), Some(*format));
        assert_eq!(format.to_string(), format.name());
    }
    assert_eq!(
        "VSCode".parse::<ImportFormat>().ok(),
        Some(ImportFormat::Vscode)
    );
    let error = "claude-dekstop"
        .parse::<ImportFormat>()
        .err()
        .unwrap_or_else(|| panic!("expected an error"));
    assert_eq!(
        error.to_string(),
        "unknown import format \"claude-dekstop\"; the formats are: claude-desktop, claude-code, cursor, vscode, codex, gemini, mcpproxy"
    );
    assert_eq!(
        error.hint().as_deref(),
        Some("did you mean \"claude-desktop\"?")
    );

    let error = parse_source(Path::new("x.json"), "{\"editor.fontSize\": 14}", None)
        .err()
        .unwrap_or_else(|| panic!("expected an error"));
    assert!(
        matches!(error, ImportError::UnknownFormat { .. }),
        "{error}"
    );
    assert!(
        error
            .hint()
            .unwrap_or_default()
            .contains("claude-desktop, claude-code")
    );
}

#[test]
fn a_file_of_another_shape_is_refused_with_the_place() {
    let error = parse_source(
        Path::new("c.json"),
        "{\n  \"mcpServers\": [1]\n}",
        Some(ImportFormat::ClaudeDesktop),
    )
    .err()
    .unwrap_or_else(|| panic!("expected an error"));
    assert_eq!(
        error.to_string(),
        "c.json:2:3: not a Claude Desktop config as expected: `mcpServers` is a list, not an object"
    );
    assert!(error.hint().unwrap_or_default().contains("--format"));
}

#[test]
fn servers_that_cannot_be_expressed_are_skipped_with_the_reason() {
    let reason = |file: &str, name: &str| {
        read(file)
            .skipped
            .into_iter()
            .find(|s| s.name == name)
            .map(|s| s.reason)
            .unwrap_or_else(|| panic!("{name} not skipped"))
    };
    assert!(
        reason(".mcp.json", "postgres")
            .contains("${DATABASE_URL:-postgresql://localhost:5432/dev}")
    );
    assert!(reason("vscode-mcp.json", "perplexity").contains("${input:perplexity-key}"));
    assert!(reason("vscode-mcp.json", "workspace-tools").contains("${workspaceFolder}"));
    assert!(reason("vscode-mcp.json", "dotenv-server").contains("envFile"));
    assert!(reason("cursor-mcp.json", "mongodb").contains("envFile"));
    assert!(reason("gemini-settings.json", "nodeServer").contains("relative"));
    let source = parse_source(
        Path::new("c.json"),
        r#"{"mcpServers": {"none": {"args": ["x"]}, "bad": {"command": 3}, "ftp": {"url": "ftp://h"}}}"#,
        Some(ImportFormat::Cursor),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let reasons: Vec<_> = source
        .skipped
        .iter()
        .map(|s| (s.name.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            ("none", "it has neither a command nor a url"),
            ("bad", "`command` is a number, not a string"),
            (
                "ftp",
                "server \"ftp\": `url` = \"ftp://h\" is not http or https"
            ),
        ]
    );
}
