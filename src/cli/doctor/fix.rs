//! `doctor fix CODE`: the fixes of the findings of one code, shown, and applied with
//! `--execute` where that is safe.

use std::path::PathBuf;

use mcpproxy_daemon::client::{Client, ServerAction};
use mcpproxy_daemon::exit_code::ExitCode;
use mcpproxy_daemon::paths::Paths;
use serde::Serialize;

use super::codes::Code;
use super::{Finding, examine, render_finding};
use crate::cli::{Failure, Global};

/// A fix that is safe to apply without asking: it changes nothing a person wrote.
#[derive(Debug, Clone, PartialEq)]
pub enum Fix {
    Chmod(PathBuf, u32),
    CreateConfig(PathBuf),
    StartDaemon,
    RestartDaemon,
    RestartServer(String),
}

impl Fix {
    pub fn describe(&self) -> String {
        match self {
            Self::Chmod(path, mode) => format!("chmod {mode:o} {}", path.display()),
            Self::CreateConfig(path) => format!("mcpproxy config init -c {}", path.display()),
            Self::StartDaemon => "mcpproxy daemon start".to_owned(),
            Self::RestartDaemon => "mcpproxy daemon restart".to_owned(),
            Self::RestartServer(name) => format!("mcpproxy upstream restart {name}"),
        }
    }
}

/// What `doctor fix --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FixReport {
    pub code: Code,
    pub execute: bool,
    pub fixes: Vec<FixOutcome>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FixOutcome {
    pub finding: Finding,
    /// True when the fix was applied now.
    pub applied: bool,
    /// What applying it said, or why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
}

/// `doctor fix CODE`: the findings of CODE now, their fixes, applied with `execute`.
pub async fn fix(
    global: &Global,
    paths: &Paths,
    code: &str,
    server: Option<String>,
    execute: bool,
) -> Result<(), Failure> {
    let code: Code = code.parse().map_err(|()| {
        Failure::usage(format!("there is no finding code \"{code}\""))
            .hint("`mcpproxy doctor codes` lists them")
    })?;
    let report = examine(paths, server.as_deref()).await?;
    let mut fixes = Vec::new();
    for finding in report.findings.into_iter().filter(|f| f.code == code) {
        let (applied, result) = match (&finding.fix, execute) {
            (Some(fix), true) => match apply(global, paths, fix).await {
                Ok(said) => (true, Some(said)),
                Err(failure) => (false, Some(failure.message)),
            },
            _ => (false, None),
        };
        fixes.push(FixOutcome {
            finding,
            applied,
            result,
        });
    }
    let failed = execute && fixes.iter().any(|f| f.finding.fix.is_some() && !f.applied);
    let fix_report = FixReport {
        code,
        execute,
        fixes,
    };
    global.output().print(&fix_report, render_fix)?;
    if failed {
        Err(Failure::new(ExitCode::Error, "a fix could not be applied").answered_as_json())
    } else {
        Ok(())
    }
}

async fn apply(global: &Global, paths: &Paths, fix: &Fix) -> Result<String, Failure> {
    match fix {
        Fix::Chmod(path, mode) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(*mode))
                    .map_err(|e| Failure::error(format!("cannot chmod {}: {e}", path.display())))?;
            }
            Ok(format!("{} is now mode {mode:04o}", path.display()))
        }
        Fix::CreateConfig(path) => {
            mcpproxy_daemon::config::write_atomically(
                path,
                mcpproxy_daemon::config::DEFAULT_CONFIG,
            )
            .map_err(|e| Failure::error(format!("cannot write {}: {e}", path.display())))?;
            Ok(format!("wrote the default config to {}", path.display()))
        }
        Fix::StartDaemon => {
            let attached = crate::cli::daemon::attach_or_start(global, None).await?;
            Ok(format!("started the daemon (pid {})", attached.status.pid))
        }
        Fix::RestartDaemon => {
            let reason = crate::cli::daemon::restart_reason(paths).await;
            mcpproxy_daemon::client::attach::stop(paths, reason).await?;
            let attached = crate::cli::daemon::attach_or_start(global, None).await?;
            Ok(format!(
                "restarted the daemon (pid {})",
                attached.status.pid
            ))
        }
        Fix::RestartServer(name) => {
            let view = Client::socket(&paths.socket)
                .server_action(name, ServerAction::Restart)
                .await?;
            Ok(format!("restarting server \"{name}\" (now {})", view.state))
        }
    }
}

fn render_fix(report: &FixReport) -> String {
    let code = report.code.as_str();
    if report.fixes.is_empty() {
        return format!("nothing to fix: the doctor finds no {code} now");
    }
    let mut lines = Vec::new();
    for outcome in &report.fixes {
        let finding = &outcome.finding;
        lines.extend(render_finding(finding));
        match (
            &finding.automatic_fix,
            report.execute,
            outcome.applied,
            &outcome.result,
        ) {
            (Some(_), true, true, Some(result)) => lines.push(format!("        applied: {result}")),
            (Some(_), true, false, Some(why)) => lines.push(format!("        not applied: {why}")),
            (Some(action), false, _, _) => lines.push(format!(
                "        would run: {action} (run again with --execute to apply it)"
            )),
            _ => lines.push(
                "        this fix is for you to make; the doctor does not apply it".to_owned(),
            ),
        }
    }
    lines.join("\n")
}
