//! Running the demo server as a process on stdio: the startup delay, the `crash` exit, and
//! `--ignore-shutdown`'s refusal to stop. Also the errors of both ways to run it.

use rmcp::ServiceExt;
use rmcp::service::ServerInitializeError;
use rmcp::transport::io::stdio_pipes;

use super::{DemoOptions, DemoServer};

/// The exit status after a `crash` call.
pub const CRASH_EXIT_CODE: u8 = 3;

/// How a stdio session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdioOutcome {
    /// The client closed stdin.
    Closed,
    /// A `crash` call asked for the process to end with [`CRASH_EXIT_CODE`], at once.
    Crashed,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the MCP session did not start: {0}")]
    // Boxed: rmcp's error is large, and this enum travels in every `Result` here.
    Initialize(#[source] Box<ServerInitializeError>),
    #[error("the MCP session ended abnormally: {0}")]
    Session(#[from] tokio::task::JoinError),
    #[error("cannot install the SIGTERM handler for --ignore-shutdown: {0}")]
    Signal(#[source] std::io::Error),
    #[error("cannot serve HTTP on {0}: {1}")]
    Listen(std::net::SocketAddr, #[source] std::io::Error),
}

/// Serves MCP on this process's stdin and stdout until the client closes stdin or a `crash`
/// call asks for the end. Must run inside a Tokio runtime with IO and time enabled.
///
/// With `ignore_shutdown` SIGTERM is logged and ignored, and once the session ends (stdin
/// closed) it waits forever instead of returning: a process that only SIGKILL stops.
pub async fn serve_stdio(options: DemoOptions) -> Result<StdioOutcome, DemoError> {
    if options.ignore_shutdown {
        ignore_sigterm()?;
    }
    if !options.startup_delay.is_zero() {
        tokio::time::sleep(options.startup_delay).await;
    }
    let server = DemoServer::new(&options);
    let crash = server.clone();
    let session = async move {
        // Non-blocking pipes when stdin and stdout are pipes (as when a client spawns us), so
        // ending the runtime never waits on a blocked read of stdin.
        let running = server
            .serve(stdio_pipes())
            .await
            .map_err(|e| DemoError::Initialize(Box::new(e)))?;
        running.waiting().await?;
        Ok::<_, DemoError>(())
    };
    let ended = tokio::select! {
        ended = session => ended,
        () = crash.crash_requested() => return Ok(StdioOutcome::Crashed),
    };
    if options.ignore_shutdown {
        match &ended {
            Ok(()) => eprintln!("stdin closed; staying alive (--ignore-shutdown)"),
            Err(error) => eprintln!("{error}; staying alive (--ignore-shutdown)"),
        }
        return std::future::pending().await;
    }
    ended.map(|()| StdioOutcome::Closed)
}

#[cfg(unix)]
pub(super) fn ignore_sigterm() -> Result<(), DemoError> {
    use tokio::signal::unix::{SignalKind, signal};

    // Listening for SIGTERM replaces its default action (exit) for the whole process.
    let mut terminations = signal(SignalKind::terminate()).map_err(DemoError::Signal)?;
    tokio::spawn(async move {
        while terminations.recv().await.is_some() {
            eprintln!("ignoring SIGTERM (--ignore-shutdown)");
        }
    });
    Ok(())
}

/// There is no SIGTERM to ignore on other platforms: termination there cannot be refused.
#[cfg(not(unix))]
pub(super) fn ignore_sigterm() -> Result<(), DemoError> {
    Ok(())
}
