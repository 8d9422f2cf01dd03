//! `mcpproxy demo-server`: the built-in demo MCP server on stdio.
//!
//! Stdout carries MCP and nothing else; diagnostics go to stderr (RUST_LOG sets how many).

use std::io::IsTerminal;
use std::time::Duration;

use clap::Args;
use mcpproxy_daemon::demo::{self, CRASH_EXIT_CODE, DemoOptions, StdioOutcome};

use super::Failure;

#[derive(Debug, Args)]
pub struct DemoServerArgs {
    /// Also offer the test tools: echo, slow, fail, crash, mutate_tools, ask_user, ask_model
    #[arg(long)]
    pub test_tools: bool,
    /// Wait this long before serving, so connect benchmarks can see connects overlap
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub startup_delay_ms: u64,
    /// Ignore SIGTERM and keep running after stdin closes, so only SIGKILL stops the process
    /// (for shutdown tests)
    #[arg(long)]
    pub ignore_shutdown: bool,
}

pub fn run(args: DemoServerArgs) -> Result<(), Failure> {
    init_logging();
    let options = DemoOptions {
        test_tools: args.test_tools,
        startup_delay: Duration::from_millis(args.startup_delay_ms),
        ignore_shutdown: args.ignore_shutdown,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(1, format!("cannot start the async runtime: {e}")))?;
    match runtime.block_on(demo::serve_stdio(options)) {
        Ok(StdioOutcome::Closed) => Ok(()),
        Ok(StdioOutcome::Crashed) => {
            eprintln!("crashing on purpose (the crash tool was called)");
            // At once: no runtime shutdown, no answer to the call in flight.
            std::process::exit(i32::from(CRASH_EXIT_CODE));
        }
        Err(error) => Err(Failure::new(1, error.to_string())),
    }
}

/// Warnings and worse to stderr unless RUST_LOG says otherwise; plain text when stderr is a
/// file or pipe (the daemon keeps it as the server's log).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}
