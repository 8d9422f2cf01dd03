//! `mcpproxy demo-server`: the built-in demo MCP server, on stdio or (`--http`) over
//! streamable HTTP.
//!
//! On stdio, stdout carries MCP and nothing else. Over HTTP, stdout carries one line,
//! `READY http://ADDR/mcp`, once the server listens. Diagnostics go to stderr (RUST_LOG sets
//! how many).

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use mcpproxy_demo::{self as demo, CRASH_EXIT_CODE, DemoOptions, HttpOutcome, StdioOutcome};

use super::Failure;

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    mcpproxy demo-server                       # MCP on stdin/stdout, as `builtin = \"demo\"` runs it\n  \
    mcpproxy demo-server --http 127.0.0.1:0    # streamable HTTP on a free port")]
pub struct DemoServerArgs {
    /// Serve streamable HTTP at http://ADDR/mcp instead of stdio (an IP address and port, such
    /// as 127.0.0.1:8090; port 0 picks a free port). Prints "READY <url>" on stdout once
    /// listening. Only loopback Host and Origin headers are accepted.
    #[arg(long, value_name = "ADDR")]
    pub http: Option<SocketAddr>,
    // What follows is for mcpproxy's own tests and benchmarks, so it stays out of --help.
    /// Also offer the test tools (echo, slow, fail, crash, chatter, mutate_tools, ask_user, ask_model)
    /// and the MCP conformance suite's tools, resources, prompts and completion
    #[arg(long, hide = true)]
    pub test_tools: bool,
    /// Wait this long before serving, so connect benchmarks can see connects overlap
    #[arg(long, value_name = "MS", default_value_t = 0, hide = true)]
    pub startup_delay_ms: u64,
    /// Ignore SIGTERM and keep running after stdin closes, so only SIGKILL stops the process
    /// (for shutdown tests)
    #[arg(long, hide = true)]
    pub ignore_shutdown: bool,
}

pub fn run(args: DemoServerArgs) -> Result<(), Failure> {
    init_logging();
    let options = DemoOptions {
        test_tools: args.test_tools,
        startup_delay: Duration::from_millis(args.startup_delay_ms),
        ignore_shutdown: args.ignore_shutdown,
    };
    let ignore_sigterm = options.ignore_shutdown;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::error(format!("cannot start the async runtime: {e}")))?;
    match args.http {
        None => match runtime.block_on(demo::serve_stdio(options)) {
            Ok(StdioOutcome::Closed) => Ok(()),
            Ok(StdioOutcome::Crashed) => crash_now(),
            Err(error) => Err(Failure::error(error.to_string())),
        },
        Some(addr) => match runtime.block_on(demo::serve_http(
            options,
            addr,
            announce_ready,
            demo::termination_signal(ignore_sigterm),
        )) {
            Ok(HttpOutcome::Stopped) => Ok(()),
            Ok(HttpOutcome::Crashed) => crash_now(),
            Err(error) => Err(Failure::error(error.to_string())),
        },
    }
}

/// Ends the process after a `crash` call: at once, with no runtime shutdown and no answer to
/// the call in flight.
fn crash_now() -> ! {
    eprintln!("crashing on purpose (the crash tool was called)");
    std::process::exit(i32::from(CRASH_EXIT_CODE));
}

/// The one line a launcher waits for: the endpoint, with the real port.
fn announce_ready(url: &str) {
    let mut stdout = std::io::stdout().lock();
    // Nothing to do if stdout is gone: the launcher reading it has gone too.
    let _ = writeln!(stdout, "READY {url}");
    let _ = stdout.flush();
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use crate::cli::Cli;

    #[test]
    fn help_shows_the_everyday_flag_with_examples_and_hides_the_test_switches() {
        let mut cli = Cli::command();
        let help = cli
            .find_subcommand_mut("demo-server")
            .unwrap()
            .render_long_help()
            .to_string();
        assert!(help.contains("--http <ADDR>"), "{help}");
        assert!(
            help.contains("mcpproxy demo-server --http 127.0.0.1:0"),
            "{help}"
        );
        for test_switch in ["--test-tools", "--startup-delay-ms", "--ignore-shutdown"] {
            assert!(!help.contains(test_switch), "{test_switch} shown:\n{help}");
        }
    }
}
