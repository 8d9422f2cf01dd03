//! The command line: global options, the command tree, and how failures are reported.

mod activity;
mod auth;
mod call_output;
mod clients;
mod completions;
mod config;
mod connect;
mod daemon;
mod demo;
mod doctor;
mod eval;
mod model;
mod output;
mod probe;
mod review;
mod secret;
mod serve;
mod service;
mod status;
mod stdio;
mod table;
mod tray;
mod tui;
mod upstream;
mod version;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use mcpproxy_daemon::client::browser;
use mcpproxy_daemon::paths::{self, Paths};

pub use self::output::{Failure, Output};

#[derive(Debug, Parser)]
#[command(
    name = "mcpproxy",
    version,
    about = "A local MCP proxy: one daemon for every upstream MCP server, one endpoint for every AI client",
    long_about = "A local MCP proxy: one daemon for every upstream MCP server, one endpoint for every AI client.\n\n\
        The daemon holds your upstream servers (stdio children and remote HTTP servers), and serves\n\
        them to AI clients at http://127.0.0.1:8080/mcp and through `mcpproxy stdio`. The other\n\
        commands talk to it over its control socket.",
    propagate_version = true,
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes, before or after the subcommand.
#[derive(Debug, Args)]
pub struct Global {
    /// Data directory: config, state, logs and the control socket
    #[arg(long, global = true, env = "MCPPROXY_HOME", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Config file [default: DATA_DIR/config.toml]
    #[arg(
        short = 'c',
        long,
        global = true,
        env = "MCPPROXY_CONFIG",
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,
    /// Control socket path [default: DATA_DIR/mcpproxy.sock]
    #[arg(
        long,
        global = true,
        env = "MCPPROXY_SOCKET",
        value_name = "PATH",
        hide = true
    )]
    pub socket: Option<PathBuf>,
    /// Print machine-readable JSON instead of text
    #[arg(long, global = true)]
    pub json: bool,
    /// Log level: error, warn, info, debug, trace (RUST_LOG overrides it)
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log_level: Option<String>,
}

impl Global {
    pub fn paths(&self) -> Result<Paths, Failure> {
        let data_dir = match &self.data_dir {
            Some(dir) => dir.clone(),
            None => paths::default_data_dir()
                .map_err(|e| Failure::error(e.to_string()).hint(e.hint()))?,
        };
        Ok(Paths::new(
            data_dir,
            self.config.clone(),
            self.socket.clone(),
        ))
    }

    pub fn output(&self) -> Output {
        Output { json: self.json }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The terminal control center: servers, logs, tools and calls, live (starts the daemon
    /// in the background if none runs)
    #[command(
        after_help = "Examples:\n  mcpproxy tui\n  mcpproxy tui --screen tools --theme light"
    )]
    Tui(tui::TuiArgs),
    /// The daemon's health as a tray icon, with enable, disable, restart, start and stop in
    /// its menu (Linux desktops showing StatusNotifierItem icons)
    #[command(after_help = "Examples:\n  mcpproxy tray\n  mcpproxy service install --tray")]
    Tray(tray::TrayArgs),
    /// Run the daemon in the foreground
    #[command(
        after_help = "Examples:\n  mcpproxy serve\n  mcpproxy serve --listen 127.0.0.1:0 --data-dir /tmp/mcpproxy-try"
    )]
    Serve(serve::ServeArgs),
    /// Start, stop or restart the daemon in the background
    #[command(
        subcommand,
        after_help = "Examples:\n  mcpproxy daemon start\n  mcpproxy daemon restart\n  mcpproxy daemon stop"
    )]
    Daemon(daemon::DaemonCommand),
    /// Show what the running daemon is doing
    #[command(
        after_help = "Examples:\n  mcpproxy status\n  mcpproxy status --json\n  mcpproxy status --show-key"
    )]
    Status(status::StatusArgs),
    /// Find, show, check, create or import into the config file
    #[command(
        subcommand,
        after_help = "Examples:\n  mcpproxy config check\n  mcpproxy config import ~/.cursor/mcp.json --dry-run\n  mcpproxy config import cursor"
    )]
    Config(config::ConfigCommand),
    /// Add, remove, enable, disable, restart, approve servers; read their logs
    #[command(
        subcommand,
        after_help = "Examples:\n  mcpproxy upstream list\n  mcpproxy upstream add time -- uvx mcp-server-time\n  mcpproxy upstream approve time\n  mcpproxy upstream logs time --follow\n  mcpproxy upstream tools disable github delete_repo"
    )]
    Upstream(upstream::UpstreamCommand),
    /// List the tools the servers offer
    #[command(
        subcommand,
        after_help = "Examples:\n  mcpproxy tools list --server demo\n  mcpproxy tools search \"what time is it in Tokyo\"\n  mcpproxy tools call demo:current_time --args '{\"timezone\": \"Asia/Tokyo\"}'"
    )]
    Tools(upstream::ToolsCommand),
    /// The record of tool calls, kept across restarts
    #[command(
        subcommand,
        after_help = "Examples:\n  mcpproxy activity list\n  mcpproxy activity list --server github --outcome failed -n 20 --json\n  mcpproxy activity show 1042\n  mcpproxy activity watch --server github\n  mcpproxy activity summary --by tool --since 24h\n  mcpproxy activity export --format csv > calls.csv"
    )]
    Activity(activity::ActivityCommand),
    /// Log in to servers that use OAuth, log out, show who is logged in
    #[command(
        subcommand,
        after_help = "Examples:\n  mcpproxy auth status\n  mcpproxy auth login notion\n  mcpproxy auth logout notion"
    )]
    Auth(auth::AuthCommand),
    /// Keep tokens and keys out of config.toml: set, list, remove, migrate secrets
    #[command(
        subcommand,
        after_help = "Examples:\n  mcpproxy secret set GITHUB_TOKEN\n  mcpproxy secret list\n  mcpproxy secret migrate"
    )]
    Secret(secret::SecretCommand),
    /// Point an AI client (Claude Code, Cursor, VS Code, Codex, ...) at mcpproxy, in its own
    /// config file (a backup is kept); `--list` shows where each stands
    Connect(connect::ConnectArgs),
    /// Take mcpproxy's entry out of an AI client's config file again
    Disconnect(connect::DisconnectArgs),
    /// Serve MCP on stdin/stdout, bridged to the daemon (for clients that only launch commands)
    #[command(
        after_help = "Examples:\n  mcpproxy stdio\n  mcpproxy stdio --endpoint all\n  mcpproxy stdio --endpoint server/github"
    )]
    Stdio(stdio::StdioArgs),
    /// Install the tool-search model, or show whether it is installed
    #[command(
        subcommand,
        after_help = "Examples:\n  mcpproxy model install\n  mcpproxy model status --json"
    )]
    Model(model::ModelCommand),
    /// Measure the tool search and the poisoning scanner offline on evaluation sets
    #[command(
        subcommand,
        after_help = "Examples:\n  mcpproxy eval search --tools corpus.json --queries golden.json --lexical-only\n  mcpproxy eval scan --corpus detect.json --json"
    )]
    Eval(eval::EvalCommand),
    /// Say what is wrong (daemon, servers, config, permissions, clients) and how to fix it
    Doctor(doctor::DoctorArgs),
    /// Start the daemon at login: install, uninstall or inspect the user service
    #[command(
        subcommand,
        after_help = "Examples:\n  mcpproxy service install\n  mcpproxy service status --json"
    )]
    Service(service::ServiceCommand),
    /// Show this program's version and the running daemon's
    Version(version::VersionArgs),
    /// Print the shell completion script for bash, zsh, fish or powershell
    Completions(completions::CompletionsArgs),
    /// Print the manual page (roff), or write one page per command with --dir
    Man(completions::ManArgs),
    /// Run the built-in demo MCP server on stdio (what `builtin = "demo"` starts)
    DemoServer(demo::DemoServerArgs),
    /// Keep upstream processes from outliving the daemon (started by the daemon)
    #[command(hide = true)]
    Guard,
}

pub fn run(cli: Cli) -> Result<(), Failure> {
    let Cli { global, command } = cli;
    // `${secret:NAME}` in any config this process reads comes from the data dir's store.
    if let Ok(paths) = global.paths() {
        mcpproxy_daemon::config::use_secrets(mcpproxy_daemon::secrets::source(paths.data_dir));
    }
    match command {
        Command::Serve(args) => serve::run(&global, args),
        Command::Tui(args) => tui::run(&global, args),
        Command::Tray(args) => tray::run(&global, args),
        Command::DemoServer(args) => demo::run(args),
        Command::Completions(args) => completions::completions(&global, args),
        Command::Man(args) => completions::man(&global, args),
        Command::Service(command) => service::run(&global, command),
        Command::Connect(args) => connect::run_connect(&global, args),
        Command::Disconnect(args) => connect::run_disconnect(&global, args),
        Command::Guard => std::process::exit(mcpproxy_daemon::upstream::guard::run()),
        Command::Model(command) => {
            init_cli_logging(&global);
            model::run(&global, command)
        }
        Command::Eval(command) => {
            init_cli_logging(&global);
            eval::run(&global, command)
        }
        command => {
            init_cli_logging(&global);
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| Failure::error(format!("cannot start the async runtime: {e}")))?;
            runtime.block_on(async {
                match command {
                    Command::Serve(_)
                    | Command::Tui(_)
                    | Command::Tray(_)
                    | Command::DemoServer(_)
                    | Command::Completions(_)
                    | Command::Man(_)
                    | Command::Service(_)
                    | Command::Connect(_)
                    | Command::Disconnect(_)
                    | Command::Guard
                    | Command::Model(_)
                    | Command::Eval(_) => {
                        unreachable!("handled above")
                    }
                    Command::Upstream(command) => upstream::run(&global, command).await,
                    Command::Tools(command) => upstream::run_tools(&global, command).await,
                    Command::Activity(command) => activity::run(&global, command).await,
                    Command::Daemon(command) => daemon::run(&global, command).await,
                    Command::Status(args) => status::run(&global, args).await,
                    Command::Config(command) => config::run(&global, command).await,
                    Command::Secret(command) => secret::run(&global, command).await,
                    Command::Auth(command) => auth::run(&global, command).await,
                    Command::Stdio(args) => stdio::run(&global, args).await,
                    Command::Version(args) => version::run(&global, args).await,
                    Command::Doctor(args) => doctor::run(&global, args).await,
                }
            })
        }
    }
}

/// Commands other than `serve` log warnings and worse to stderr; stdout is for results.
fn init_cli_logging(global: &Global) {
    let level = global.log_level.as_deref().unwrap_or("warn");
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| mcpproxy_daemon::redact::Masked(std::io::stderr()))
        .try_init();
}

/// Warnings and worse (or `--log-level`, `RUST_LOG`) to `DATA_DIR/logs/FILE`, for the
/// commands that own no terminal output (the TUI draws on it, the tray has none).
fn init_file_logging(global: &Global, logs: &std::path::Path, file: &str) {
    mcpproxy_daemon::client::handoff::log_to_file(logs, file, global.log_level.as_deref());
}

fn current_exe() -> Result<PathBuf, Failure> {
    std::env::current_exe()
        .map_err(|e| Failure::error(format!("cannot find the mcpproxy executable: {e}")))
}

/// Replaces this process with the attach client's own executable `name` when it is
/// installed beside this one; returns when it is not, for the caller to run the client in
/// process.
fn hand_over(
    global: &Global,
    name: &str,
    paths: &Paths,
    exe: &std::path::Path,
    options: Vec<(String, String)>,
) -> Result<(), Failure> {
    use mcpproxy_daemon::client::handoff::{self, Handoff};
    use std::os::unix::process::CommandExt as _;

    let Some(program) = handoff::sibling(name) else {
        return Ok(());
    };
    let handoff = Handoff {
        data_dir: paths.data_dir.clone(),
        config: global.config.clone(),
        socket: global.socket.clone(),
        log_level: global.log_level.clone(),
        exe: exe.to_owned(),
        options,
    };
    let error = std::process::Command::new(&program)
        .args(handoff.to_args())
        .exec();
    Err(
        Failure::error(format!("cannot run {}: {error}", program.display())).hint(format!(
            "reinstall mcpproxy, or remove {} to run it in this process",
            program.display()
        )),
    )
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    /// Every command's `--help` ends with examples, and each example runs a command that
    /// exists (its words up to the first argument name a command path).
    #[test]
    fn every_command_shows_examples_of_itself() {
        fn walk(command: &clap::Command, path: &[String], missing: &mut Vec<String>) {
            let shown = command
                .get_subcommands()
                .filter(|s| s.get_name() != "help" && !s.is_hide_set());
            for sub in shown {
                let mut here = path.to_vec();
                here.push(sub.get_name().to_owned());
                let help = sub
                    .get_after_help()
                    .map(|h| h.to_string())
                    .unwrap_or_default();
                let own = format!("mcpproxy {}", here.join(" "));
                let shows_itself = help
                    .lines()
                    .skip_while(|line| !line.starts_with("Example"))
                    .any(|line| line.trim_start().starts_with(&own));
                if !shows_itself {
                    missing.push(own);
                }
                walk(sub, &here, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&super::Cli::command(), &[], &mut missing);
        assert!(
            missing.is_empty(),
            "no example of itself in --help:\n{}",
            missing.join("\n")
        );
    }
}
