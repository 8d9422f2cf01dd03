//! `mcpproxy activity list`: finished tool calls from the daemon's activity log, which
//! outlives restarts.

use clap::{Args, Subcommand};
use mcpproxy_daemon::protocol::{Activity, ActivityList};

use super::{Failure, Global};

#[derive(Debug, Subcommand)]
pub enum ActivityCommand {
    /// Finished tool calls, newest first
    #[command(
        after_help = "Examples:\n  mcpproxy activity list\n  mcpproxy activity list --server github --outcome failed -n 20 --json"
    )]
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only calls to this server
    #[arg(long)]
    server: Option<String>,
    /// Only calls of this tool
    #[arg(long)]
    tool: Option<String>,
    /// Only calls that ended so: ok, tool_error, failed, refused, cancelled, timeout
    #[arg(long)]
    outcome: Option<String>,
    /// Only calls from this client
    #[arg(long)]
    client: Option<String>,
    /// Only calls that ended at or after this time (RFC 3339)
    #[arg(long)]
    since: Option<String>,
    /// Only calls that ended before this time (RFC 3339)
    #[arg(long)]
    until: Option<String>,
    /// How many calls at most
    #[arg(long, short = 'n', default_value_t = 50)]
    limit: usize,
}

pub async fn run(global: &Global, command: ActivityCommand) -> Result<(), Failure> {
    let ActivityCommand::List(args) = command;
    let client = super::daemon::attach_settled(global).await?.client;
    let mut filters: Vec<(&str, String)> = [
        ("server", args.server),
        ("tool", args.tool),
        ("outcome", args.outcome),
        ("client", args.client),
        ("since", args.since),
        ("until", args.until),
    ]
    .into_iter()
    .filter_map(|(key, value)| value.map(|v| (key, v)))
    .collect();
    filters.push(("limit", args.limit.to_string()));
    let list = client.activity(&filters).await?;
    global.output().print(&list, render)
}

fn render(list: &ActivityList) -> String {
    if list.activity.is_empty() {
        return "no calls on record".to_owned();
    }
    list.activity
        .iter()
        .map(line)
        .collect::<Vec<_>>()
        .join("\n")
}

fn line(call: &Activity) -> String {
    let took = call
        .duration_ms
        .map(|ms| format!("{ms} ms"))
        .unwrap_or_default();
    let mut text = format!(
        "{}  #{}  {}:{}  {}  {}  {}",
        call.at,
        call.id,
        call.server,
        call.tool,
        mcpproxy_tui::screen::activity::variant_name(call.variant),
        mcpproxy_tui::screen::activity::outcome_name(call.outcome),
        took
    );
    if let Some(error) = &call.error {
        text.push_str(&format!("  ({error})"));
    }
    text
}
