//! `mcpproxy status`: the running daemon's status, read over the control socket. It never
//! starts a daemon: "not running" is an answer.

use clap::Args;
use mcpproxy_daemon::client::Client;
use mcpproxy_daemon::protocol::{SearchModel, SearchStatus, Status};

use super::table::{Paint, Terminal};
use super::{Failure, Global};

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Also print the API key that TCP clients must send
    #[arg(long)]
    pub show_key: bool,
}

pub async fn run(global: &Global, args: StatusArgs) -> Result<(), Failure> {
    let paths = global.paths()?;
    let client = Client::socket(&paths.socket);
    let status = if args.show_key {
        client.status_with_key().await?
    } else {
        client.status().await?
    };
    global.output().print(&status, render)
}

/// `N what`, coloured when there are any.
fn count(n: u32, what: &str, paint: Paint) -> String {
    let text = format!("{n} {what}");
    Terminal::stdout().paint(&text, (n > 0).then_some(paint))
}

/// How tool search ranks, in a few words.
fn search_line(search: &SearchStatus) -> String {
    match search.model {
        SearchModel::Ready if search.semantic => {
            format!("by meaning and names, {} tools", search.tools)
        }
        SearchModel::Ready | SearchModel::Loading => format!(
            "by words while the search model reads the tools ({} of {} done)",
            search.with_vectors, search.tools
        ),
        SearchModel::Off | SearchModel::Unavailable | SearchModel::Unknown => {
            let mut line = format!("by words only, {} tools", search.tools);
            if let Some(note) = &search.note {
                line.push_str(&format!(" ({note})"));
            }
            line
        }
    }
}

fn render(status: &Status) -> String {
    let servers = &status.servers;
    let mut lines = vec![
        format!(
            "mcpproxy {} (pid {}), up {}",
            status.version,
            status.pid,
            mcpproxy_tui::ui::format::duration(status.uptime_s)
        ),
        format!("  data dir  {}", status.data_dir.display()),
        format!("  config    {}", status.config_path.display()),
        format!("  socket    {}", status.socket.display()),
        format!(
            "  listen    {}",
            status.listen.as_deref().map_or_else(
                || "off (socket only)".to_owned(),
                |a| format!("http://{a}/mcp")
            )
        ),
        format!(
            "  servers   {} total, {}, {}, {}",
            servers.total,
            count(servers.ready, "ready", Paint::Good),
            count(servers.failing, "failing", Paint::Bad),
            count(servers.quarantined, "quarantined", Paint::Warn),
        ),
    ];
    if let Some(search) = &status.search {
        lines.push(format!("  search    {}", search_line(search)));
    }
    if let Some(key) = &status.api_key {
        lines.push(format!("  api key   {key}"));
    }
    if !status.config_problems.is_empty() {
        lines.push(String::new());
        lines.push(
            "the config file was changed and is invalid; the daemon keeps running its last good config:"
                .to_owned(),
        );
        for problem in &status.config_problems {
            lines.push(format!("  {problem}"));
            if let Some(hint) = &problem.hint {
                lines.push(format!("    hint: {hint}"));
            }
        }
        lines.push(
            "fix the file and it is applied at once (`mcpproxy config check` checks it)".to_owned(),
        );
    }
    lines.join("\n")
}
