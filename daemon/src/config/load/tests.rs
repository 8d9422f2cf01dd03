//! The loader's rules, one test each: what is accepted, what is refused, where, and that
//! secrets are never shown.

use super::*;

fn no_env(_: &str) -> Option<String> {
    None
}

fn problems(text: &str) -> Vec<ConfigProblem> {
    parse_with_env(Path::new("config.toml"), text, &no_env)
        .map(|_| Vec::new())
        .unwrap_or_else(|e| e.problems())
}

#[test]
fn accepts_the_sketch_from_the_design() {
    let text = r#"
listen = "127.0.0.1:8080"
routing = "retrieve_tools"
require_mcp_auth = false

[servers.demo]
builtin = "demo"

[servers.everything]
command = "npx"
args = ["-y", "@modelcontextprotocol/server-everything"]
env = { LOG_LEVEL = "info" }
cwd = "~/work"
connect_timeout = "30s"
call_timeout = "120s"

[servers.github]
url = "https://api.example.com/mcp"
transport = "auto"
headers = { Authorization = "Bearer ${env:GITHUB_TOKEN}" }
enabled = false
quarantined = true
"#;
    let config = parse_with_env(Path::new("c.toml"), text, &no_env);
    let config = config.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.servers.len(), 3);
    assert_eq!(
        config.servers["github"].headers["Authorization"], "Bearer ${env:GITHUB_TOKEN}",
        "a server that does not run keeps unset references as written"
    );
}

#[test]
fn suggests_the_nearest_key() {
    let p = problems("[servers.a]\ncomand = \"x\"\n");
    assert_eq!(p[0].message, "unknown key `comand`");
    assert_eq!(p[0].hint.as_deref(), Some("did you mean `command`?"));
    assert_eq!((p[0].line, p[0].column), (2, 1));
    assert_eq!(p[0].key.as_deref(), Some("servers.a.comand"));
}

#[test]
fn reports_every_problem_at_its_place() {
    let p = problems(
        "listen = \"nowhere\"\n[servers.a]\ncommand = \" \"\n[servers.b]\ncommand = \"x\"\nurl = \"https://h/mcp\"\n",
    );
    let places: Vec<_> = p.iter().map(|p| (p.line, p.key.clone())).collect();
    assert_eq!(
        places,
        vec![
            (1, Some("listen".to_owned())),
            (3, Some("servers.a.command".to_owned())),
            (6, Some("servers.b.url".to_owned())),
        ]
    );
}

#[test]
fn expands_env_references_of_running_servers() {
    let env = |name: &str| (name == "TOKEN").then(|| "s3cret".to_owned());
    let text = "[servers.a]\nurl = \"https://h/mcp\"\nheaders = { Authorization = \"Bearer ${env:TOKEN}\" }\n";
    let config = parse_with_env(Path::new("c.toml"), text, &env).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        config.servers["a"].headers["Authorization"],
        "Bearer s3cret"
    );
    let p = problems(text);
    assert_eq!(p[0].message, "environment variable TOKEN is not set");
    assert_eq!(p[0].key.as_deref(), Some("servers.a.headers.Authorization"));
}

#[test]
fn durations_have_a_maximum() {
    let p = problems("[servers.a]\ncommand = \"x\"\ncall_timeout = \"200000000000000d\"\n");
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!((p[0].line, p[0].column), (3, 16));
    assert_eq!(p[0].key.as_deref(), Some("servers.a.call_timeout"));
    assert!(
        p[0].message.contains("longer than the maximum of 24h"),
        "{p:?}"
    );
    assert!(problems("[servers.a]\ncommand = \"x\"\nkill_grace = \"24h\"\n").is_empty());
    let p = problems("[limits]\nmcp_session_idle = \"2d\"\nmcp_sessions = 0\n");
    assert_eq!(p.len(), 2, "{p:?}");
}

#[test]
fn activity_retention_has_its_own_bounds() {
    // A month is far beyond the 24h of other durations, and fine here.
    assert!(problems("[activity]\nmax_age = \"90d\"\nkeep = 5\nrecord = false\n").is_empty());
    let p = problems("[activity]\nmax_age = \"20000d\"\nkeep = 0\n");
    assert_eq!(p.len(), 2, "{p:?}");
    let keys: Vec<_> = p.iter().filter_map(|p| p.key.as_deref()).collect();
    assert_eq!(keys, ["activity.max_age", "activity.keep"], "{p:?}");
    let p = problems("[activity]\nkept = 5\n");
    assert_eq!(p.len(), 1, "{p:?}");
}

#[test]
fn a_header_value_with_a_line_break_is_refused_without_showing_it() {
    let text = "[servers.a]\nurl = \"https://h/mcp\"\nheaders = { Authorization = \"Bearer s3cret\\nX-Evil: 1\" }\n";
    let error = parse_with_env(Path::new("c.toml"), text, &no_env).unwrap_err();
    let p = error.problems();
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].key.as_deref(), Some("servers.a.headers.Authorization"));
    assert_eq!(p[0].line, 3);
    assert!(p[0].message.contains("line break"), "{p:?}");
    let rendered = error.to_string();
    assert!(!rendered.contains("s3cret"), "{rendered}");
    assert!(rendered.contains("c.toml:3:"), "{rendered}");
    // Brought in by a variable: refused after expansion, still located at the key.
    let env = |name: &str| (name == "T").then(|| "a\nb".to_owned());
    let text = "[servers.a]\nurl = \"https://h/mcp\"\nheaders = { X = \"${env:T}\" }\n";
    let p = parse_with_env(Path::new("c.toml"), text, &env)
        .unwrap_err()
        .problems();
    assert!(p[0].message.contains("after expanding"), "{p:?}");
}

#[test]
fn errors_never_show_env_or_header_values() {
    let cases = [
        // The parser quotes the value it could not take.
        "[servers.a]\ncommand = \"x\"\nenv = { TOKEN = [\"s3cret\"] }\n",
        "[servers.a]\ncommand = \"x\"\n[servers.a.env]\nTOKEN = 12345s3cret\n",
        "[servers.a]\nurl = \"https://h/mcp\"\nheaders.Authorization = \"Bearer s3cret\nx = 1\n",
        "[servers.a]\ncommand = \"x\"\nenv = { TOKEN = \"s3cret\", A = }\n",
        // Unset variables are named, never expanded values.
        "[servers.a]\ncommand = \"x\"\nenv = { TOKEN = \"s3cret${env:NOPE}\" }\n",
    ];
    for text in cases {
        let error = parse_with_env(Path::new("c.toml"), text, &no_env).unwrap_err();
        let rendered = error.to_string();
        assert!(!rendered.contains("s3cret"), "{text}\n{rendered}");
        assert!(!rendered.contains("12345"), "{text}\n{rendered}");
        assert!(rendered.contains("c.toml:"), "{rendered}");
        for problem in error.problems() {
            assert!(!problem.message.contains("s3cret"), "{problem:?}");
        }
    }
}

#[test]
fn a_url_with_a_token_is_masked_in_its_error() {
    let p = problems("[servers.a]\nurl = \"ftp://h/mcp?token=s3cret\"\n");
    assert!(!p[0].message.contains("s3cret"), "{p:?}");
    assert!(p[0].message.contains("token=***"), "{p:?}");
}

#[test]
fn checks_names_and_listen() {
    assert!(check_server_name("git-hub.v2_x").is_ok());
    assert!(check_server_name("a__b").is_err());
    assert!(check_server_name("a:b").is_err());
    assert!(check_listen("localhost:0").is_ok());
    assert!(check_listen("[::1]:8080").is_ok());
    assert!(check_listen("example.com:80").is_err());
    assert!(check_listen("127.0.0.1").is_err());
}

#[test]
fn disabled_tools_are_named_once_each() {
    let p = problems(
        "[servers.a]\ncommand = \"x\"\ndisabled_tools = [\n  \"echo\",\n  \"\",\n  \"echo\",\n]\n",
    );
    let places: Vec<_> = p
        .iter()
        .map(|p| (p.line, p.column, p.key.clone()))
        .collect();
    assert_eq!(
        places,
        vec![
            (5, 3, Some("servers.a.disabled_tools[1]".to_owned())),
            (6, 3, Some("servers.a.disabled_tools[2]".to_owned())),
        ]
    );
    assert!(
        p[1].message
            .contains("\"echo\" is in `disabled_tools` twice")
    );
    assert!(problems("[servers.a]\ncommand = \"x\"\ndisabled_tools = [\"echo\"]\n").is_empty());
}
