//! OAuth logins the TUI follows: one per server, from the key that starts it until the
//! server is ready, the login failed, or the person logged out. (A login another client
//! started shows as the server's `authenticating` state.)

use std::collections::BTreeMap;

use jiff::Timestamp;

/// Where one login stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginStage {
    /// Asked the daemon to start it; no URL yet.
    Starting,
    /// The URL is known: the person logs in in the browser.
    Waiting,
    /// The redirect came and tokens are held; the server reconnects.
    Connecting,
    /// Logged in and the server is ready.
    Ready { tools: u32 },
    /// The login (or the connection after it) failed; `hint` says what to do, where the
    /// daemon said.
    Failed {
        reason: String,
        hint: Option<String>,
    },
}

/// Whether the authorization URL was opened in a browser here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrowserState {
    /// Not tried yet.
    NotTried,
    Opened,
    /// No display, no opener, or `MCPPROXY_NO_BROWSER`: the person opens it by hand.
    Unavailable,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub stage: LoginStage,
    /// The authorization URL, once the daemon gave it.
    pub url: Option<String>,
    pub browser: BrowserState,
    pub started_at: Timestamp,
}

impl Login {
    pub fn new(now: Timestamp) -> Self {
        Self {
            stage: LoginStage::Starting,
            url: None,
            browser: BrowserState::NotTried,
            started_at: now,
        }
    }

    /// Still going: a person or the server is yet to answer.
    pub fn in_progress(&self) -> bool {
        matches!(
            self.stage,
            LoginStage::Starting | LoginStage::Waiting | LoginStage::Connecting
        )
    }
}

/// Logins by server name.
pub type Logins = BTreeMap<String, Login>;
