//! `mcpproxy doctor`: what is wrong with this mcpproxy and how to fix it. Every finding has a
//! stable code (`doctor codes` explains them all), a severity, a message and a fix hint;
//! `doctor fix CODE` shows the fix of the findings of that code and applies the safe ones with
//! `--execute`. Exit 0 when all is well, 1 when an error or warning was found.

mod clients;
mod codes;
mod config_checks;
mod fix;

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use mcpproxy_daemon::client::{Client, ClientError};
use mcpproxy_daemon::exit_code::ExitCode;
use mcpproxy_daemon::paths::Paths;
use mcpproxy_daemon::protocol::{ErrorCode, PROTOCOL_VERSION, ServerState, ServerView, Status};
use serde::Serialize;

use self::clients::ClientConfig;
use self::codes::{Code, Severity};
use self::fix::Fix;
use super::{Failure, Global};

#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  \
        mcpproxy doctor\n  \
        mcpproxy doctor --server github --json\n  \
        mcpproxy doctor codes\n  \
        mcpproxy doctor fix paths.data_dir_not_private --execute"
)]
pub struct DoctorArgs {
    #[command(subcommand)]
    pub command: Option<DoctorCommand>,
    /// Check only this server (and what every server depends on)
    #[arg(long, value_name = "NAME")]
    pub server: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum DoctorCommand {
    /// List every finding code with its severity and what it means
    #[command(after_help = "Example:\n  mcpproxy doctor codes --json | jq -r '.codes[].code'")]
    Codes,
    /// Show the fix for the findings of CODE; apply it with --execute where that is safe
    #[command(after_help = "Examples:\n  \
        mcpproxy doctor fix server.failing --server github\n  \
        mcpproxy doctor fix paths.data_dir_not_private --execute")]
    Fix {
        /// A finding code, as `doctor` prints it (`doctor codes` lists them)
        code: String,
        /// Only the finding about this server
        #[arg(long, value_name = "NAME")]
        server: Option<String>,
        /// Apply the fix (only fixes that are safe to apply are ever applied)
        #[arg(long)]
        execute: bool,
    },
}

/// One thing the doctor found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// What to do about it.
    pub hint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// `FILE:LINE:COL` in the config, for findings about its text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The fix `doctor fix --execute` applies, in words; `None` when it is for a person.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automatic_fix: Option<String>,
    #[serde(skip)]
    pub(super) fix: Option<Fix>,
}

impl Finding {
    fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: code.severity(),
            message: message.into(),
            hint: String::new(),
            server: None,
            location: None,
            automatic_fix: None,
            fix: None,
        }
    }

    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }

    fn server(mut self, name: &str) -> Self {
        self.server = Some(name.to_owned());
        self
    }

    fn located(mut self, file: &Path, line: u32, column: u32) -> Self {
        self.location = Some(if line == 0 {
            file.display().to_string()
        } else {
            format!("{}:{line}:{column}", file.display())
        });
        self
    }

    fn fix(mut self, fix: Fix) -> Self {
        debug_assert!(
            self.code.automatic(),
            "{} has no automatic fix",
            self.code.as_str()
        );
        self.automatic_fix = Some(fix.describe());
        self.fix = Some(fix);
        self
    }
}

/// The running daemon, as the doctor saw it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DaemonSeen {
    pub version: String,
    pub protocol_version: u32,
    pub pid: u32,
    /// `http://ADDR/mcp`, or `None` when TCP is off.
    pub endpoint: Option<String>,
}

/// What `doctor --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DoctorReport {
    /// True when no error or warning was found (the exit code is 0).
    pub ok: bool,
    pub data_dir: PathBuf,
    pub config: PathBuf,
    pub daemon: Option<DaemonSeen>,
    /// AI client config files found at their standard locations.
    pub clients: Vec<ClientConfig>,
    /// Most severe first.
    pub findings: Vec<Finding>,
}

pub async fn run(global: &Global, args: DoctorArgs) -> Result<(), Failure> {
    let paths = global.paths()?;
    match args.command {
        Some(DoctorCommand::Codes) => global.output().print(&codes::list(), codes::render),
        Some(DoctorCommand::Fix {
            code,
            server,
            execute,
        }) => fix::fix(global, &paths, &code, server.or(args.server), execute).await,
        None => {
            let report = examine(&paths, args.server.as_deref()).await?;
            global.output().print(&report, render)?;
            if report.ok {
                Ok(())
            } else {
                Err(Failure::new(ExitCode::Error, "the doctor found problems").answered_as_json())
            }
        }
    }
}

/// Runs every check.
pub(super) async fn examine(paths: &Paths, only: Option<&str>) -> Result<DoctorReport, Failure> {
    let mut findings = Vec::new();
    let (status, servers) = daemon_findings(paths, &mut findings).await;
    let view = config_checks::config_file(paths, &mut findings);
    if let Some(status) = &status {
        standing_config_problems(status, &mut findings);
    }
    if let Some(only) = only {
        let in_config = view
            .as_ref()
            .is_some_and(|v| v.servers().any(|(name, _)| name == only));
        let in_daemon = servers.iter().flatten().any(|s| s.name == only);
        if !in_config && !in_daemon {
            return Err(
                Failure::error(format!("there is no server named \"{only}\""))
                    .coded(ErrorCode::NotFound)
                    .hint("`mcpproxy upstream list` shows the servers"),
            );
        }
    }
    if let Some(view) = &view {
        // A daemon that accepted the file resolved its variables in its own environment,
        // which may differ from this shell's; its refusals are reported above.
        let check_env = status.as_ref().is_none_or(|s| s.config_problems.is_empty());
        config_checks::references(view, paths, only, check_env, &mut findings);
        config_checks::commands(view, paths, only, &mut findings);
        if status.is_none()
            && let Some(listen) = view.listen()
        {
            config_checks::port(&listen, paths, &mut findings);
        }
    }
    if let Some(servers) = &servers {
        server_findings(servers, only, &mut findings);
    }
    config_checks::permissions(paths, &mut findings);
    let listen = status.as_ref().and_then(|s| s.listen.as_deref());
    let clients = client_findings(listen, &mut findings);

    findings.sort_by_key(|f| f.severity);
    Ok(DoctorReport {
        ok: !findings.iter().any(|f| f.severity.fails()),
        data_dir: paths.data_dir.clone(),
        config: paths.config.clone(),
        daemon: status.map(|s| daemon_seen(&s)),
        clients,
        findings,
    })
}

/// Whether a daemon answers and speaks this contract; its status and servers when it does.
async fn daemon_findings(
    paths: &Paths,
    findings: &mut Vec<Finding>,
) -> (Option<Status>, Option<Vec<ServerView>>) {
    let client = Client::socket(&paths.socket);
    let status = match client.status().await {
        Ok(status) => status,
        Err(ClientError::NotRunning { socket }) => {
            findings.push(
                Finding::new(
                    Code::DaemonNotRunning,
                    format!("no mcpproxy daemon is running (nothing answers on {})", socket.display()),
                )
                .hint("start one with `mcpproxy daemon start`, or at every login with `mcpproxy service install`")
                .fix(Fix::StartDaemon),
            );
            return (None, None);
        }
        Err(error) => {
            let hint = error
                .hint()
                .unwrap_or_else(|| "check the socket's owner, or restart the daemon".to_owned());
            findings.push(Finding::new(Code::DaemonUnreachable, error.to_string()).hint(hint));
            return (None, None);
        }
    };
    if status.protocol_version != PROTOCOL_VERSION {
        findings.push(
            Finding::new(
                Code::DaemonVersionMismatch,
                format!(
                    "the daemon (mcpproxy {}) speaks control protocol {}, this mcpproxy {}",
                    status.version, status.protocol_version, PROTOCOL_VERSION
                ),
            )
            .hint(
                "restart it so daemon and clients are the same version: `mcpproxy daemon restart`",
            )
            .fix(Fix::RestartDaemon),
        );
    }
    let servers = client.servers().await.map(|l| l.servers).ok();
    (Some(status), servers)
}

/// The daemon's own view of the file, when it refused its last change: anything the doctor's
/// reading did not already locate (a variable unset in the daemon's environment, say).
fn standing_config_problems(status: &Status, findings: &mut Vec<Finding>) {
    for problem in &status.config_problems {
        let at = format!(
            "{}:{}:{}",
            problem.file.display(),
            problem.line,
            problem.column
        );
        if findings
            .iter()
            .any(|f| f.location.as_deref() == Some(at.as_str()))
        {
            continue;
        }
        let mut finding = config_checks::config_problem(problem.clone());
        finding.message = format!(
            "{} (the daemon keeps running its last good config)",
            finding.message
        );
        findings.push(finding);
    }
}

/// The AI client configs at their standard places, and a finding when none points here.
fn client_findings(listen: Option<&str>, findings: &mut Vec<Finding>) -> Vec<ClientConfig> {
    let clients = mcpproxy_daemon::paths::home_dir()
        .map(|home| clients::scan(&home, listen))
        .unwrap_or_default();
    if !clients.iter().any(|c| !c.mcpproxy_entries.is_empty()) {
        let found = if clients.is_empty() {
            "no AI client config was found at its standard location".to_owned()
        } else {
            let names: Vec<_> = clients.iter().map(|c| c.client).collect();
            format!(
                "no AI client points at mcpproxy (looked in the configs of {})",
                names.join(", ")
            )
        };
        findings.push(Finding::new(Code::ClientsNone, found).hint(
            "add an MCP server entry that runs `mcpproxy stdio` to your client's config, e.g. \"mcpproxy\": {\"command\": \"mcpproxy\", \"args\": [\"stdio\"]}",
        ));
    }
    clients
}

fn daemon_seen(status: &Status) -> DaemonSeen {
    DaemonSeen {
        version: status.version.clone(),
        protocol_version: status.protocol_version,
        pid: status.pid,
        endpoint: status.listen.as_ref().map(|a| format!("http://{a}/mcp")),
    }
}

/// Each server's state as the daemon reports it. A server whose command is missing is
/// reported as that, its cause, not again as failing.
fn server_findings(servers: &[ServerView], only: Option<&str>, findings: &mut Vec<Finding>) {
    for server in servers {
        let name = server.name.as_str();
        if only.is_some_and(|only| only != name) {
            continue;
        }
        let cause_known = findings
            .iter()
            .any(|f| f.code == Code::ServerCommandMissing && f.server.as_deref() == Some(name));
        match server.state {
            ServerState::Backoff | ServerState::Stopped if !cause_known => {
                let why = server
                    .last_error
                    .as_deref()
                    .unwrap_or("no error was recorded");
                let message = if server.state == ServerState::Stopped {
                    format!("server \"{name}\" is stopped: {why}")
                } else {
                    format!("server \"{name}\" keeps failing: {why}")
                };
                findings.push(
                    Finding::new(Code::ServerFailing, message)
                        .server(name)
                        .hint(failure_hint(name, server.last_error.as_deref()))
                        .fix(Fix::RestartServer(name.to_owned())),
                );
            }
            ServerState::NeedsAuth => findings.push(
                Finding::new(
                    Code::ServerNeedsAuth,
                    format!("server \"{name}\" needs a login"),
                )
                .server(name)
                .hint(format!("`mcpproxy auth login {name}`")),
            ),
            ServerState::Quarantined => findings.push(
                Finding::new(
                    Code::ServerQuarantined,
                    format!("server \"{name}\" waits for approval before it runs"),
                )
                .server(name)
                .hint(format!(
                    "review it (`mcpproxy config show`), then `mcpproxy upstream approve {name}`"
                )),
            ),
            _ => {}
        }
        if server.pending_review > 0 {
            findings.push(
                Finding::new(
                    Code::ServerHeld,
                    format!(
                        "server \"{name}\" has {} item(s) held back from agents for review",
                        server.pending_review
                    ),
                )
                .server(name)
                .hint("`mcpproxy upstream held` lists them with the reason"),
            );
        }
    }
}

/// What to do about a server's last error, from what it says.
fn failure_hint(name: &str, last_error: Option<&str>) -> String {
    let error = last_error.unwrap_or_default().to_ascii_lowercase();
    let then = format!("then `mcpproxy upstream restart {name}`");
    if error.contains("no such file") || error.contains("not found") {
        format!("install the program or fix `command` of [servers.{name}], {then}")
    } else if error.contains("401") || error.contains("unauthorized") || error.contains("403") {
        format!("check the server's credentials (headers, or `mcpproxy auth login {name}`), {then}")
    } else if error.contains("connection refused")
        || error.contains("timed out")
        || error.contains("dns")
    {
        format!("check that the server is up and its `url` is right, {then}")
    } else {
        format!("read `mcpproxy upstream logs {name}` for the cause, fix it, {then}")
    }
}

fn render(report: &DoctorReport) -> String {
    let mut lines = Vec::new();
    match &report.daemon {
        Some(d) => lines.push(format!(
            "daemon     mcpproxy {} (pid {}), {}",
            d.version,
            d.pid,
            d.endpoint.as_deref().unwrap_or("socket only")
        )),
        None => lines.push("daemon     not running".to_owned()),
    }
    lines.push(format!("data dir   {}", report.data_dir.display()));
    lines.push(format!("config     {}", report.config.display()));
    for client in &report.clients {
        let state = match (&client.error, client.mcpproxy_entries.as_slice()) {
            (Some(error), _) => format!("unreadable: {error}"),
            (None, []) => "does not point at mcpproxy".to_owned(),
            (None, entries) => format!("points at mcpproxy ({})", entries.join(", ")),
        };
        lines.push(format!(
            "client     {}: {} {state}",
            client.client,
            client.path.display()
        ));
    }
    lines.push(String::new());
    for finding in &report.findings {
        lines.extend(render_finding(finding));
    }
    let problems = report
        .findings
        .iter()
        .filter(|f| f.severity.fails())
        .count();
    lines.push(if problems == 0 {
        "all is well".to_owned()
    } else {
        format!(
            "{problems} problem(s) found; `mcpproxy doctor fix CODE` shows a fix, `mcpproxy doctor codes` explains the codes"
        )
    });
    lines.join("\n")
}

pub(super) fn render_finding(finding: &Finding) -> Vec<String> {
    let mut lines = vec![format!(
        "{:<7} {}  {}",
        finding.severity.as_str(),
        finding.code.as_str(),
        finding.message
    )];
    if let Some(location) = &finding.location {
        lines.push(format!("        at {location}"));
    }
    lines.push(format!("        fix: {}", finding.hint));
    lines
}
