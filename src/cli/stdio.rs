//! `mcpproxy stdio`: MCP on stdin/stdout for clients that can only launch a command, bridged
//! to the daemon over its control socket (see `mcpproxy_daemon::bridge`). A daemon is
//! started first when none answers. stdout carries MCP and nothing else.

use clap::Args;
use mcpproxy_daemon::bridge::{self, Endpoint};

use super::{Failure, Global};

#[derive(Debug, Args)]
pub struct StdioArgs {
    /// The endpoint to serve: mcp (the configured routing), call, all, or server/NAME
    #[arg(long, default_value = "mcp", value_name = "ENDPOINT")]
    pub endpoint: Endpoint,
}

pub async fn run(global: &Global, args: StdioArgs) -> Result<(), Failure> {
    match serve(global, &args).await {
        Err(failure) if global.json => {
            // `--json` prints failures on stdout, which belongs to MCP here: say it on
            // stderr and end with the failure's code ourselves.
            failure.print(false);
            std::process::exit(i32::from(failure.code.code()));
        }
        result => result,
    }
}

async fn serve(global: &Global, args: &StdioArgs) -> Result<(), Failure> {
    let paths = global.paths()?;
    // No waiting for servers here: an MCP client times out during `initialize`.
    super::daemon::attach_or_start(global, None).await?;
    bridge::run(&paths.socket, &args.endpoint)
        .await
        .map_err(|e| Failure::error(e.to_string()).maybe_hint(e.hint()))
}
