//! `mcpproxy upstream ...` and `mcpproxy tools list`: managing servers through the daemon
//! (started on demand, as every client does).

use std::collections::BTreeMap;

use clap::{Args, Subcommand};
use futures_util::StreamExt as _;
use jiff::Timestamp;
use mcpproxy_daemon::client::{Client, ServerAction};
use mcpproxy_daemon::config::TransportSetting;
use mcpproxy_daemon::protocol::{
    AddServer, ErrorCode, Event, HeldItem, HeldList, Intent, LogLine, ServerSpec, ServerState,
    ServerView, ToolCall, ToolSearch, ToolView,
};

use super::table::{Paint, Terminal, table};
use super::{Failure, Global};

mod tool_switches;

#[derive(Debug, Subcommand)]
pub enum UpstreamCommand {
    /// List the servers with their state, transport, tools and protocol
    #[command(
        after_help = "Examples:\n  mcpproxy upstream list\n  mcpproxy upstream list --json | jq -r '.servers[] | select(.state != \"ready\") | .name'"
    )]
    List,
    /// Add a server: `--url URL` for a remote one, or `-- COMMAND ARGS...` for a local one
    #[command(
        after_help = "Examples:\n  mcpproxy upstream add time -- uvx mcp-server-time\n  mcpproxy upstream add notion --url https://mcp.notion.com/mcp\n  mcpproxy upstream add files -- npx -y @modelcontextprotocol/server-filesystem ~/notes"
    )]
    Add(AddArgs),
    /// Remove a server from the config (its process is stopped)
    #[command(after_help = "Example:\n  mcpproxy upstream remove time")]
    Remove { name: String },
    /// Enable servers
    #[command(
        after_help = "Examples:\n  mcpproxy upstream enable time\n  mcpproxy upstream enable --all"
    )]
    Enable(Targets),
    /// Disable servers (their processes are stopped)
    #[command(
        after_help = "Examples:\n  mcpproxy upstream disable time\n  mcpproxy upstream disable --all"
    )]
    Disable(Targets),
    /// Reconnect servers now
    #[command(
        after_help = "Examples:\n  mcpproxy upstream restart time\n  mcpproxy upstream restart --all"
    )]
    Restart(Targets),
    /// Let a quarantined server run, or approve held items (their content now is pinned)
    #[command(
        after_help = "Examples:\n  mcpproxy upstream approve time\n  mcpproxy upstream approve github create_issue\n  mcpproxy upstream approve github create_issue@9a1e77b0c4d2"
    )]
    Approve {
        name: String,
        /// Held items to approve (tools, prompts, resource templates, by name); `ITEM@HASH`
        /// approves it only if it still has the content `upstream inspect` showed
        items: Vec<String>,
    },
    /// Keep held items off until their content changes, or remove a server waiting for
    /// approval
    #[command(
        after_help = "Examples:\n  mcpproxy upstream reject github create_issue\n  mcpproxy upstream reject untrusted"
    )]
    Reject {
        name: String,
        /// Held items to reject (`ITEM` or `ITEM@HASH`); none: the pending server itself
        items: Vec<String>,
    },
    /// Show a server's tools, prompts and resource templates with their review status,
    /// the scanner's findings and what changed; a quarantined server is connected only to
    /// read them (nothing is served)
    #[command(
        after_help = "Examples:\n  mcpproxy upstream inspect github\n  mcpproxy upstream inspect time --run"
    )]
    Inspect {
        name: String,
        /// Start a quarantined stdio server to read its items (this runs its code; it is
        /// stopped again at once)
        #[arg(long)]
        run: bool,
    },
    /// List the tools, prompts and resources held back from agents, and why
    #[command(
        after_help = "Examples:\n  mcpproxy upstream held\n  mcpproxy upstream held github --json"
    )]
    Held {
        /// Only this server's items
        name: Option<String>,
    },
    /// Switch single tools of a server off or back on (kept in config.toml)
    #[command(subcommand)]
    #[command(
        after_help = "Examples:\n  mcpproxy upstream tools disable github delete_repo\n  mcpproxy upstream tools enable github --all"
    )]
    Tools(tool_switches::ToolSwitchCommand),
    /// Connect to any MCP server with mcpproxy's own client (no daemon needed): show what
    /// it offers and optionally call a tool; logs in when the server asks
    #[command(
        after_help = "Examples:\n  mcpproxy upstream probe https://mcp.example.com/mcp\n  mcpproxy upstream probe https://mcp.example.com/mcp --call search --args '{\"query\": \"mcp\"}'"
    )]
    Probe(super::probe::ProbeArgs),
    /// Show a server's log: its stderr, connection events and errors
    #[command(
        after_help = "Examples:\n  mcpproxy upstream logs time\n  mcpproxy upstream logs time --follow"
    )]
    Logs {
        name: String,
        /// How many lines to show
        #[arg(short = 'n', long = "tail", default_value_t = 50)]
        lines: usize,
        /// Keep printing lines as they are written
        #[arg(short, long)]
        follow: bool,
    },
}

#[derive(Debug, Args)]
pub struct Targets {
    /// Server name
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    name: Option<String>,
    /// Every server
    #[arg(long)]
    all: bool,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Name for the server (letters, digits, '-', '_', '.')
    name: String,
    /// URL of a remote server (streamable HTTP, or legacy SSE)
    #[arg(long, conflicts_with = "command")]
    url: Option<String>,
    /// HTTP header for a remote server, as 'Name: value' (repeatable)
    #[arg(long = "header", value_name = "'NAME: VALUE'", requires = "url")]
    headers: Vec<String>,
    /// Environment variable for a local server, as KEY=VALUE (repeatable)
    #[arg(long = "env", value_name = "KEY=VALUE")]
    env: Vec<String>,
    /// Working directory of a local server
    #[arg(long)]
    cwd: Option<std::path::PathBuf>,
    /// auto, stdio, http or sse
    #[arg(long, default_value = "auto")]
    transport: TransportSetting,
    /// Start it right away instead of waiting for `upstream approve`
    #[arg(long)]
    no_quarantine: bool,
    /// Refuse calls whose arguments carry a secret (a private key, a cloud or API key, a
    /// token) before they reach the server (`block_secrets` in the config)
    #[arg(long)]
    block_secrets: bool,
    /// The command and its arguments, after `--`
    #[arg(last = true, value_name = "COMMAND")]
    command: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum ToolsCommand {
    /// List the tools of every ready server, or of one
    #[command(
        after_help = "Examples:\n  mcpproxy tools list\n  mcpproxy tools list --server time --json"
    )]
    List {
        /// Only this server's tools
        #[arg(long, short)]
        server: Option<String>,
    },
    /// Find tools by what they do, ranked as agents' `retrieve_tools` ranks them:
    /// `mcpproxy tools search "what time is it in Tokyo"`
    #[command(
        after_help = "Examples:\n  mcpproxy tools search \"what time is it in Tokyo\"\n  mcpproxy tools search \"server:github open an issue\" --limit 3"
    )]
    Search {
        /// What you want to do, in plain words; or a tool's name; `server:NAME` narrows
        query: String,
        /// At most this many results (1-100)
        #[arg(long, short, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=100))]
        limit: u16,
    },
    /// Call a tool: `mcpproxy tools call demo:calculate --args '{"expression": "6*7"}'`
    #[command(
        after_help = "Example:\n  mcpproxy tools call time:get_current_time --args '{\"timezone\": \"Asia/Tokyo\"}'"
    )]
    Call {
        /// The tool, as server:tool
        tool: String,
        /// Arguments as a JSON object
        #[arg(long, default_value = "{}")]
        args: String,
    },
}

async fn client(global: &Global) -> Result<Client, Failure> {
    Ok(super::daemon::attach_settled(global).await?.client)
}

pub async fn run(global: &Global, command: UpstreamCommand) -> Result<(), Failure> {
    if let UpstreamCommand::Probe(args) = command {
        return super::probe::run(global, args).await;
    }
    let client = client(global).await?;
    let output = global.output();
    match command {
        UpstreamCommand::List => {
            let list = client.servers().await?;
            output.print(&list, |l| render_servers(&l.servers))
        }
        UpstreamCommand::Add(args) => {
            let request = add_request(args)?;
            let view = client.add_server(&request).await?;
            output.print(&view, |v| {
                if v.quarantined {
                    format!(
                        "added {} (quarantined: it starts after `mcpproxy upstream approve {}`)",
                        v.name, v.name
                    )
                } else {
                    format!("added {} ({})", v.name, v.state)
                }
            })
        }
        UpstreamCommand::Remove { name } => {
            let ack = client.remove_server(&name).await?;
            output.print(&ack, |a| a.message.clone())
        }
        UpstreamCommand::Enable(targets) => {
            act(&client, global, targets, ServerAction::Enable).await
        }
        UpstreamCommand::Disable(targets) => {
            act(&client, global, targets, ServerAction::Disable).await
        }
        UpstreamCommand::Restart(targets) => {
            act(&client, global, targets, ServerAction::Restart).await
        }
        UpstreamCommand::Approve { name, items } if items.is_empty() => {
            let view = client.server_action(&name, ServerAction::Approve).await?;
            output.print(&view, |v| format!("approved {}; it is {}", v.name, v.state))
        }
        UpstreamCommand::Approve { name, items } => {
            let decided = client
                .approve_items(&name, &super::review::decision(&items))
                .await?;
            output.print(&decided, |d| super::review::render_decided("approved", d))
        }
        UpstreamCommand::Reject { name, items } if items.is_empty() => {
            let ack = client.reject_server(&name).await?;
            output.print(&ack, |a| a.message.clone())
        }
        UpstreamCommand::Reject { name, items } => {
            let decided = client
                .reject_items(&name, &super::review::decision(&items))
                .await?;
            output.print(&decided, |d| super::review::render_decided("rejected", d))
        }
        UpstreamCommand::Inspect { name, run } => {
            let inspection = client.inspect(&name, run).await?;
            output.print(&inspection, super::review::render_inspection)
        }
        UpstreamCommand::Held { name } => {
            let path = match &name {
                Some(name) => format!("/held?server={name}"),
                None => "/held".to_owned(),
            };
            let list: HeldList = client.get(&path).await?;
            output.print(&list, |l| render_held(&l.held))
        }
        UpstreamCommand::Tools(command) => tool_switches::run(&client, global, command).await,
        UpstreamCommand::Logs {
            name,
            lines,
            follow,
        } => logs(&client, global, &name, lines, follow).await,
        UpstreamCommand::Probe(_) => unreachable!("handled before the daemon is reached"),
    }
}

pub async fn run_tools(global: &Global, command: ToolsCommand) -> Result<(), Failure> {
    let client = client(global).await?;
    match command {
        ToolsCommand::List { server } => {
            let list = client.tools(server.as_deref()).await?;
            global.output().print(&list, |l| render_tools(&l.tools))
        }
        ToolsCommand::Search { query, limit } => {
            let found = client.search_tools(&query, usize::from(limit)).await?;
            global.output().print(&found, render_search)
        }
        ToolsCommand::Call { tool, args } => {
            let arguments = json_object(&args)?;
            let result = client.call_tool(&ToolCall { tool, arguments }).await?;
            let is_error = result.is_error;
            global.output().print(&result, super::call_output::render)?;
            if is_error {
                return Err(Failure::error("the tool reported an error")
                    .coded(ErrorCode::UpstreamError)
                    .answered_as_json());
            }
            Ok(())
        }
    }
}

fn add_request(args: AddArgs) -> Result<AddServer, Failure> {
    let usage = |message: String| Failure::usage(message);
    let mut server = ServerSpec {
        transport: (args.transport != TransportSetting::Auto)
            .then(|| args.transport.as_str().to_owned()),
        cwd: args.cwd,
        block_secrets: args.block_secrets.then_some(true),
        ..ServerSpec::default()
    };
    match (args.url, args.command.split_first()) {
        (Some(url), None) => server.url = Some(url),
        (None, Some((program, rest))) => {
            server.command = Some(program.clone());
            server.args = rest.to_vec();
        }
        _ => {
            return Err(
                usage("give either --url URL or -- COMMAND ARGS...".to_owned())
                    .hint("e.g. `mcpproxy upstream add time -- uvx mcp-server-time`"),
            );
        }
    }
    server.env = pairs(&args.env, '=', "--env KEY=VALUE")?;
    server.headers = pairs(&args.headers, ':', "--header 'Name: value'")?;
    Ok(AddServer {
        name: args.name,
        server,
        quarantine: !args.no_quarantine,
    })
}

/// `--args` as a JSON object.
pub fn json_object(text: &str) -> Result<serde_json::Map<String, serde_json::Value>, Failure> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(Failure::error("--args must be a JSON object")),
        Err(e) => Err(Failure::error(format!("--args is not valid JSON: {e}"))
            .hint(r#"quote it for the shell: --args '{"key": "value"}'"#)),
    }
}

pub fn pairs(
    items: &[String],
    separator: char,
    form: &str,
) -> Result<BTreeMap<String, String>, Failure> {
    items
        .iter()
        .map(|item| match item.split_once(separator) {
            Some((key, value)) if !key.trim().is_empty() => {
                Ok((key.trim().to_owned(), value.trim().to_owned()))
            }
            _ => Err(Failure::usage(format!(
                "\"{item}\" is not of the form {form}"
            ))),
        })
        .collect()
}

async fn act(
    client: &Client,
    global: &Global,
    targets: Targets,
    action: ServerAction,
) -> Result<(), Failure> {
    let names = match targets.name {
        Some(name) => vec![name],
        None => client
            .servers()
            .await?
            .servers
            .into_iter()
            .map(|s| s.name)
            .collect(),
    };
    let mut views = Vec::new();
    for name in names {
        views.push(client.server_action(&name, action).await?);
    }
    let verb = match action {
        ServerAction::Enable => "enabled",
        ServerAction::Disable => "disabled",
        ServerAction::Restart => "restarting",
        ServerAction::Approve => "approved",
    };
    global.output().print(&views, |views| {
        views
            .iter()
            .map(|v| format!("{verb} {} ({})", v.name, v.state))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

async fn logs(
    client: &Client,
    global: &Global,
    name: &str,
    count: usize,
    follow: bool,
) -> Result<(), Failure> {
    // Subscribe before reading the tail, so no line falls between the two.
    let events = if follow {
        Some(client.events().await?)
    } else {
        None
    };
    let tail = client.server_logs(name, count).await?;
    let print = |line: &LogLine| {
        if global.json {
            if let Ok(text) = serde_json::to_string(line) {
                println!("{text}");
            }
        } else {
            println!("{}", render_log_line(line));
        }
    };
    let mut last_at: Option<Timestamp> = None;
    for line in &tail.lines {
        print(line);
        last_at = Some(line.at);
    }
    let Some(mut events) = events else {
        return Ok(());
    };
    while let Some(event) = events.next().await {
        let lines = match event? {
            Event::Log(line) => vec![line],
            Event::Logs { lines } => lines,
            Event::ServerRemoved { name: removed } if removed == name => {
                return Err(Failure::error(format!("server \"{name}\" was removed"))
                    .coded(ErrorCode::NotFound));
            }
            Event::Goodbye(goodbye) => {
                return Err(Failure::error(goodbye.message)
                    .coded(ErrorCode::UpstreamUnavailable)
                    .hint("the log ends here; `mcpproxy daemon start` starts a new daemon"));
            }
            _ => continue,
        };
        for line in lines {
            if line.server.as_deref() == Some(name) && last_at.is_none_or(|at| line.at > at) {
                print(&line);
            }
        }
    }
    Err(
        Failure::error("the daemon closed the event stream (it stopped)")
            .coded(ErrorCode::UpstreamUnavailable),
    )
}

fn render_log_line(line: &LogLine) -> String {
    let origin = line.origin.label();
    let at = line.at.strftime("%H:%M:%S%.3f");
    format!("{at} {:<5} {origin:<8} {}", line.level.as_str(), line.text)
}

fn render_servers(servers: &[ServerView]) -> String {
    if servers.is_empty() {
        return "no servers configured; add one with `mcpproxy upstream add`".to_owned();
    }
    let rows: Vec<[String; 6]> = servers
        .iter()
        .map(|s| {
            [
                s.name.clone(),
                s.state.to_string(),
                s.transport.as_str().to_owned(),
                s.tool_count.to_string(),
                s.protocol_version.clone().unwrap_or_default(),
                detail(s),
            ]
        })
        .collect();
    table(
        Terminal::stdout(),
        &["NAME", "STATE", "TRANSPORT", "TOOLS", "MCP", "DETAIL"],
        &rows,
        |column, cell| match column {
            // The cell is the state as the wire spells it.
            1 => serde_json::from_value(serde_json::Value::from(cell))
                .ok()
                .map(state_paint),
            5 => Some(Paint::Muted),
            _ => None,
        },
    )
}

fn detail(server: &ServerView) -> String {
    match server.state {
        ServerState::Ready => server.pid.map(|p| format!("pid {p}")).unwrap_or_default(),
        ServerState::Quarantined => {
            format!("approve with `mcpproxy upstream approve {}`", server.name)
        }
        ServerState::Backoff => {
            let wait = server
                .retry_at
                .map(|at| at.duration_since(Timestamp::now()).as_secs().max(0))
                .map(|s| format!("retry in {s}s"))
                .unwrap_or_default();
            let error = server.last_error.clone().unwrap_or_default();
            format!("{wait} (attempt {}): {error}", server.attempt.unwrap_or(0))
        }
        _ => server.last_error.clone().unwrap_or_default(),
    }
}

fn render_held(held: &[HeldItem]) -> String {
    if held.is_empty() {
        return "nothing is held: agents see every item of every ready server".to_owned();
    }
    let rows: Vec<[String; 4]> = held
        .iter()
        .map(|item| {
            [
                format!("{}:{}", item.server, item.name),
                item.kind.as_str().to_owned(),
                item.stage.clone(),
                item.reason.clone(),
            ]
        })
        .collect();
    table(
        Terminal::stdout(),
        &["ITEM", "KIND", "STAGE", "REASON"],
        &rows,
        |_, _| None,
    )
}

fn render_tools(tools: &[ToolView]) -> String {
    if tools.is_empty() {
        return "no tools (are the servers ready? `mcpproxy upstream list`)".to_owned();
    }
    let rows: Vec<[String; 3]> = tools
        .iter()
        .map(|t| {
            let hint = Intent::required_by(&t.annotations).as_str();
            let description = t.description.lines().next().unwrap_or_default();
            let description: String = description.chars().take(80).collect();
            [t.id.clone(), hint.to_owned(), description]
        })
        .collect();
    table(
        Terminal::stdout(),
        &["TOOL", "INTENT", "DESCRIPTION"],
        &rows,
        |column, cell| match (column, cell) {
            (1, "read") => Some(Paint::Good),
            (1, "write") => Some(Paint::Warn),
            (1, "destructive") => Some(Paint::Bad),
            _ => None,
        },
    )
}

/// A server state's colour: ready is good, failing is bad, waiting for a person is a warning.
pub fn state_paint(state: ServerState) -> Paint {
    match state {
        ServerState::Ready => Paint::Good,
        ServerState::Quarantined | ServerState::NeedsAuth => Paint::Warn,
        state if state.is_failing() => Paint::Bad,
        _ => Paint::Muted,
    }
}

fn render_search(found: &ToolSearch) -> String {
    let mut out = String::new();
    if found.results.is_empty() {
        out.push_str(&format!(
            "no tool matches \"{}\" among {} callable tools",
            found.query, found.total_tools
        ));
    } else {
        let rows: Vec<[String; 4]> = found
            .results
            .iter()
            .map(|m| {
                let tool = &m.tool;
                let hint = Intent::required_by(&tool.annotations).as_str();
                let description = tool.description.lines().next().unwrap_or_default();
                let description: String = description.chars().take(72).collect();
                [
                    tool.id.clone(),
                    format!("{:.2}", m.score),
                    hint.to_owned(),
                    description,
                ]
            })
            .collect();
        out.push_str(&table(
            Terminal::stdout(),
            &["TOOL", "SCORE", "INTENT", "DESCRIPTION"],
            &rows,
            |_, _| None,
        ));
    }
    if let Some(note) = &found.search.note {
        out.push_str(&format!("\n({note})"));
    }
    out
}
