//! `mcpproxy upstream tools enable|disable SERVER TOOL...`: per-tool switches, kept in
//! `config.toml` (`disabled_tools`) and applied by the daemon's catalog gate.

use clap::{Args, Subcommand};
use mcpproxy_daemon::client::Client;
use mcpproxy_daemon::protocol::{ToolSwitch, ToolSwitches};

use crate::cli::{Failure, Global};

#[derive(Debug, Subcommand)]
pub enum ToolSwitchCommand {
    /// Switch tools off: agents no longer see, find or call them (kept across restarts)
    #[command(after_help = "Examples:\n  \
        mcpproxy upstream tools disable files delete_file move_file\n  \
        mcpproxy upstream tools disable files --all --json")]
    Disable(SwitchArgs),
    /// Switch tools back on
    #[command(after_help = "Examples:\n  \
        mcpproxy upstream tools enable files delete_file\n  \
        mcpproxy upstream tools enable files --all")]
    Enable(SwitchArgs),
}

#[derive(Debug, Args)]
pub struct SwitchArgs {
    /// The server
    server: String,
    /// Tool names as the server gives them (without `SERVER:`)
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    tools: Vec<String>,
    /// Every tool of the server (to enable: every disabled one)
    #[arg(long)]
    all: bool,
}

pub async fn run(
    client: &Client,
    global: &Global,
    command: ToolSwitchCommand,
) -> Result<(), Failure> {
    let (args, enabled) = match command {
        ToolSwitchCommand::Disable(args) => (args, false),
        ToolSwitchCommand::Enable(args) => (args, true),
    };
    let request = ToolSwitch {
        tools: args.tools,
        all: args.all,
    };
    let switches = client.switch_tools(&args.server, &request, enabled).await?;
    global.output().print(&switches, |s| render(s, enabled))
}

fn render(switches: &ToolSwitches, enabled: bool) -> String {
    let verb = if enabled { "enabled" } else { "disabled" };
    let changed = if switches.changed.is_empty() {
        format!("{}: nothing changed", switches.server)
    } else {
        format!(
            "{}: {verb} {}",
            switches.server,
            switches.changed.join(", ")
        )
    };
    if switches.disabled_tools.is_empty() {
        format!("{changed}\nno tool of {} is disabled", switches.server)
    } else {
        format!(
            "{changed}\ndisabled: {}",
            switches.disabled_tools.join(", ")
        )
    }
}
