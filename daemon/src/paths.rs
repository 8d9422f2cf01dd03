//! Where things live on disk: the data dir and the files in it.
//!
//! `DATA_DIR` is `--data-dir`, else `MCPPROXY_HOME`, else `~/.mcpproxy` (the callers resolve
//! the flag and the variable; [`default_data_dir`] is the last resort).

mod access;

use std::path::{Path, PathBuf};

pub use self::access::{NotPrivate, check_private};

/// The longest socket path the platform accepts (`sun_path` minus its terminating NUL).
#[cfg(target_os = "linux")]
pub const SOCKET_PATH_MAX: usize = 107;
#[cfg(not(target_os = "linux"))]
pub const SOCKET_PATH_MAX: usize = 103;

#[derive(Debug, thiserror::Error)]
pub enum PathsError {
    #[error("cannot find the home directory (HOME is not set)")]
    NoHome,
    #[error(
        "the control socket path {path} is {len} bytes long; this platform allows at most {max}"
    )]
    SocketPathTooLong {
        path: PathBuf,
        len: usize,
        max: usize,
    },
}

impl PathsError {
    pub fn hint(&self) -> &'static str {
        match self {
            Self::NoHome => "set HOME, or pass --data-dir DIR (or MCPPROXY_HOME)",
            Self::SocketPathTooLong { .. } => {
                "use a shorter --data-dir, or put the socket elsewhere with MCPPROXY_SOCKET=/tmp/mcpproxy.sock"
            }
        }
    }
}

/// The files of one data dir.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub data_dir: PathBuf,
    pub config: PathBuf,
    /// True when `config` was not given explicitly (so a missing one may be created).
    pub config_is_default: bool,
    pub socket: PathBuf,
    pub lock: PathBuf,
    pub database: PathBuf,
    pub api_key: PathBuf,
    pub logs: PathBuf,
}

impl Paths {
    /// Lays out a data dir. `config` and `socket` override the defaults inside it.
    pub fn new(data_dir: PathBuf, config: Option<PathBuf>, socket: Option<PathBuf>) -> Self {
        let data_dir = absolute(expand_tilde(&data_dir));
        let config_is_default = config.is_none();
        let config = config
            .map(|c| absolute(expand_tilde(&c)))
            .unwrap_or_else(|| data_dir.join("config.toml"));
        let socket = socket
            .map(|s| absolute(expand_tilde(&s)))
            .unwrap_or_else(|| data_dir.join("mcpproxy.sock"));
        Self {
            config,
            config_is_default,
            socket,
            lock: data_dir.join("mcpproxy.lock"),
            database: data_dir.join("data.redb"),
            api_key: data_dir.join("api_key"),
            logs: data_dir.join("logs"),
            data_dir,
        }
    }

    /// The log file of one upstream server.
    pub fn server_log(&self, server: &str) -> PathBuf {
        self.server_logs().join(format!("{server}.log"))
    }

    pub fn server_logs(&self) -> PathBuf {
        self.logs.join("servers")
    }

    pub fn daemon_log(&self) -> PathBuf {
        self.logs.join("mcpproxy.log")
    }

    /// Process groups of running stdio servers, for reaping after a crash.
    pub fn upstream_pids(&self) -> PathBuf {
        self.data_dir.join("upstreams.pids")
    }

    /// The daemon's database: review pins, rejections and findings.
    pub fn store(&self) -> PathBuf {
        self.data_dir.join("data.redb")
    }

    /// Finished calls not yet committed to the database (and `activity.journal.1` beside it).
    pub fn activity_journal(&self) -> PathBuf {
        self.data_dir.join("activity.journal")
    }

    /// Where a detached daemon's stderr goes, so `daemon start` can show why it failed.
    pub fn daemon_stderr(&self) -> PathBuf {
        self.logs.join("daemon-stderr.log")
    }

    /// Fails when the socket path does not fit in a `sockaddr_un`.
    pub fn check_socket_path(&self) -> Result<(), PathsError> {
        let len = self.socket.as_os_str().len();
        if len > SOCKET_PATH_MAX {
            return Err(PathsError::SocketPathTooLong {
                path: self.socket.clone(),
                len,
                max: SOCKET_PATH_MAX,
            });
        }
        Ok(())
    }
}

/// `~/.mcpproxy`.
pub fn default_data_dir() -> Result<PathBuf, PathsError> {
    home_dir()
        .map(|home| home.join(".mcpproxy"))
        .ok_or(PathsError::NoHome)
}

pub fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// Replaces a leading `~` with the home directory.
pub fn expand_tilde(path: &Path) -> PathBuf {
    let Ok(rest) = path.strip_prefix("~") else {
        return path.to_path_buf();
    };
    match home_dir() {
        Some(home) => home.join(rest),
        None => path.to_path_buf(),
    }
}

fn absolute(path: PathBuf) -> PathBuf {
    std::path::absolute(&path).unwrap_or(path)
}

/// A word (a path, an argument, a name) as it would be typed in a POSIX shell: plain words as
/// they are, anything else in single quotes. For hints and logs that show a command.
pub fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:@+=,".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_a_shell_would_change_them() {
        assert_eq!(shell_word("/home/ada/.mcpproxy"), "/home/ada/.mcpproxy");
        assert_eq!(shell_word("server:tool@v2"), "server:tool@v2");
        assert_eq!(shell_word("my dir"), "'my dir'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word("$HOME"), "'$HOME'");
        assert_eq!(shell_word("~/x"), "'~/x'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn lays_out_the_data_dir() {
        let paths = Paths::new("/tmp/mp".into(), None, None);
        assert_eq!(paths.config, Path::new("/tmp/mp/config.toml"));
        assert_eq!(paths.socket, Path::new("/tmp/mp/mcpproxy.sock"));
        assert_eq!(
            paths.server_log("demo"),
            Path::new("/tmp/mp/logs/servers/demo.log")
        );
        assert!(paths.config_is_default);
        let custom = Paths::new("/tmp/mp".into(), Some("/etc/x.toml".into()), None);
        assert!(!custom.config_is_default);
        assert_eq!(custom.config, Path::new("/etc/x.toml"));
    }

    #[test]
    fn rejects_a_socket_path_that_does_not_fit() {
        let long = format!("/tmp/{}", "d".repeat(SOCKET_PATH_MAX));
        let err = Paths::new(long.into(), None, None)
            .check_socket_path()
            .unwrap_err();
        assert!(err.to_string().contains("bytes long"), "{err}");
        assert!(
            Paths::new("/tmp/short".into(), None, None)
                .check_socket_path()
                .is_ok()
        );
    }
}
