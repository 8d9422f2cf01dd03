//! The findings `doctor` can report: each code is stable (scripts and people search for it),
//! with its severity, what it means, and whether `doctor fix --execute` can apply its fix.

use serde::Serialize;

/// How much a finding matters. `error` and `warning` make `doctor` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }

    /// Whether a finding of this severity means not all is well.
    pub fn fails(self) -> bool {
        matches!(self, Self::Error | Self::Warning)
    }
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $severity:ident, $automatic:literal, $explanation:literal;)*) => {
        /// A kind of finding.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Self::$variant,)*];

            /// The stable name, such as `server.command_missing`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)*
                }
            }

            pub fn severity(self) -> Severity {
                match self {
                    $(Self::$variant => Severity::$severity,)*
                }
            }

            /// Whether `doctor fix CODE --execute` applies the fix itself.
            pub fn automatic(self) -> bool {
                match self {
                    $(Self::$variant => $automatic,)*
                }
            }

            /// What the code means and what usually causes it.
            pub fn explanation(self) -> &'static str {
                match self {
                    $(Self::$variant => $explanation,)*
                }
            }
        }
    };
}

codes! {
    DaemonNotRunning = "daemon.not_running", Warning, true,
        "No daemon answers on the data dir's control socket, so AI clients that use the HTTP endpoint cannot reach any server. The fix starts one in the background (`mcpproxy daemon start`).";
    DaemonUnreachable = "daemon.unreachable", Error, false,
        "The control socket exists but the daemon did not answer properly (permission denied, a hung daemon, another program on the path).";
    DaemonVersionMismatch = "daemon.version_mismatch", Error, true,
        "The running daemon speaks another control protocol than this mcpproxy, usually after an upgrade. The fix restarts it with this executable.";
    ConfigMissing = "config.missing", Warning, true,
        "The data dir has no config file yet. The fix writes the default one (`mcpproxy config init`); `mcpproxy serve` also writes it on first start.";
    ConfigUnreadable = "config.unreadable", Error, false,
        "The config file exists but cannot be read (permissions, or it is a directory).";
    ConfigInvalid = "config.invalid", Error, false,
        "The config file has a mistake, located as file:line:col. A daemon refuses to start on it; a running daemon keeps its last good config until the file is fixed.";
    EnvUnresolved = "env.unresolved", Error, false,
        "A server that should run refers to ${env:NAME} and NAME is not set where mcpproxy starts, so the config is refused. Variables must be set in the environment the daemon starts from (for the login service: `systemctl --user set-environment NAME=...`).";
    SecretUnresolved = "secret.unresolved", Error, false,
        "A server that should run refers to ${secret:NAME} and the secrets store has no NAME. Store it with `mcpproxy secret set NAME`.";
    SecretStoreUnreadable = "secret.store_unreadable", Error, false,
        "The secrets store (the keyring, or the data dir's secrets file) cannot be read, so no ${secret:NAME} resolves.";
    ServerCommandMissing = "server.command_missing", Error, false,
        "A stdio server's `command` is not an executable file and is not found on PATH, so it cannot start. Install the program, or write its full path in `command`.";
    ServerFailing = "server.failing", Error, true,
        "A server the daemon should run is backing off after a failed start or connection, or has stopped. Its last error says why; `mcpproxy upstream logs NAME` shows its output. The fix restarts it (after you fixed the cause).";
    ServerNeedsAuth = "server.needs_auth", Warning, false,
        "A remote server wants an OAuth login; nothing is retried until one happens (`mcpproxy auth login NAME`).";
    ServerQuarantined = "server.quarantined", Info, false,
        "A server waits for you to approve it before its command runs or its tools are served. Review it, then `mcpproxy upstream approve NAME`.";
    ServerHeld = "server.held", Info, false,
        "Some of a server's tools are held back from agents for review (new, changed, or flagged by the scanner): `mcpproxy upstream held`.";
    PortInUse = "port.in_use", Error, false,
        "The `listen` address of the config is taken by another program, so a daemon cannot start on it (exit code 2). Stop that program, or pick another port in `listen`.";
    DataDirNotPrivate = "paths.data_dir_not_private", Error, true,
        "Another user could write the data dir, and with it the commands mcpproxy runs as you; the daemon refuses it (exit code 5). The fix makes it private (chmod 700).";
    ConfigNotPrivate = "paths.config_not_private", Error, true,
        "Another user could write the config file, and with it the commands mcpproxy runs as you; the daemon refuses it (exit code 5). The fix makes it private (chmod 600).";
    SocketNotPrivate = "paths.socket_not_private", Warning, false,
        "The control socket can be opened by other users. The daemon creates it mode 0600; restart the daemon to recreate it.";
    SocketPathTooLong = "paths.socket_too_long", Error, false,
        "The control socket's path is longer than unix sockets allow, so no daemon can listen on it. Use a data dir with a shorter path.";
    ClientsNone = "clients.none", Info, false,
        "No AI client config found at its standard location points at mcpproxy. Add an entry that runs `mcpproxy stdio` (or the URL of /mcp) to your client's MCP servers.";
}

impl std::str::FromStr for Code {
    type Err = ();

    fn from_str(given: &str) -> Result<Self, ()> {
        Self::ALL
            .iter()
            .copied()
            .find(|code| code.as_str().eq_ignore_ascii_case(given.trim()))
            .ok_or(())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One line of `doctor codes`.
#[derive(Debug, Clone, Serialize)]
pub struct CodeInfo {
    pub code: Code,
    pub severity: Severity,
    /// `doctor fix CODE --execute` applies the fix.
    pub automatic_fix: bool,
    pub explanation: &'static str,
}

/// `doctor codes --json`.
#[derive(Debug, Clone, Serialize)]
pub struct CodeList {
    pub codes: Vec<CodeInfo>,
}

pub fn list() -> CodeList {
    CodeList {
        codes: Code::ALL
            .iter()
            .map(|&code| CodeInfo {
                code,
                severity: code.severity(),
                automatic_fix: code.automatic(),
                explanation: code.explanation(),
            })
            .collect(),
    }
}

pub fn render(list: &CodeList) -> String {
    list.codes
        .iter()
        .map(|info| {
            let fix = if info.automatic_fix {
                " (doctor fix --execute applies the fix)"
            } else {
                ""
            };
            format!(
                "{} [{}]{fix}\n  {}",
                info.code.as_str(),
                info.severity.as_str(),
                info.explanation
            )
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}
