//! `mcpproxy serve`: the daemon in the foreground.

use clap::Args;
use mcpproxy_daemon::serve::{self, ServeOptions};

use super::{Failure, Global};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// MCP + REST over TCP, host:port (port 0 picks a free port; "" turns TCP off).
    /// Overrides `listen` in the config
    #[arg(long, env = "MCPPROXY_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// Leave the caller's session (used by `daemon start`)
    #[arg(long, hide = true)]
    pub detached: bool,
}

pub fn run(global: &Global, args: ServeArgs) -> Result<(), Failure> {
    mcpproxy_daemon::allocator::keep_memory_small();
    let exe = super::current_exe()?;
    let options = ServeOptions {
        exe,
        paths: global.paths()?,
        listen: args.listen,
        log_level: global
            .log_level
            .clone()
            .unwrap_or_else(|| "info".to_owned()),
        log_to_stderr: !args.detached,
        detached: args.detached,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads())
        .max_blocking_threads(BLOCKING_THREADS)
        .enable_all()
        .thread_name("mcpproxy")
        .build()
        .map_err(|e| Failure::error(format!("cannot start the async runtime: {e}")))?;
    let result = runtime.block_on(serve::serve(options));
    // Tasks still running (a stuck upstream read, say) must not hold the exit hostage.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    result.map_err(|e| Failure::new(e.exit_code(), e.to_string()).maybe_hint(e.hint()))
}

/// Threads for blocking work (reading `/proc` for a TCP peer's user, the store, search by
/// meaning). tokio's default, 512, lets a burst of 16 new connections start 16 threads, and
/// each thread that allocates may get a glibc malloc arena of its own, which stays.
const BLOCKING_THREADS: usize = 4;

/// Async worker threads: half the cores (at least one). The daemon shares the machine with
/// the stdio servers it feeds and the clients calling it, and measured on 2 cores one worker
/// gave both lower latency and higher throughput than two (BENCHMARKS.md).
/// `MCPPROXY_WORKER_THREADS` overrides it.
fn worker_threads() -> usize {
    std::env::var("MCPPROXY_WORKER_THREADS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map_or(1, |n| n.get() / 2)
                .max(1)
        })
}
