//! The model: everything the TUI shows, as plain data. Only `update` changes it; views read
//! it. Each screen keeps its own part here (`servers`, `logs`, `tools`, `activity`).

pub mod activity;
pub mod call;
pub mod daemon;
pub mod editor;
pub mod form;
pub mod list;
pub mod login;
pub mod logs;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use mcpproxy_daemon::protocol::Goodbye;

use self::activity::ActivityLog;
use self::call::{ArgumentEditor, CallView};
use self::daemon::{Connection, DaemonModel};
use self::editor::LineInput;
use self::form::AddServerForm;
use self::list::{Facet, ListState};
use self::login::Logins;
use self::logs::{LogSource, LogsView};
use crate::action::Failure;
use crate::effect::Effect;
use crate::keymap::Keymap;
use crate::screen::{self, SCREENS};

#[derive(Debug, Clone, PartialEq)]
pub struct App {
    /// The screen shown: an index into [`SCREENS`].
    pub screen: usize,
    pub now: Timestamp,
    /// For showing times; UTC in tests.
    pub tz: TimeZone,
    pub connection: Connection,
    /// The daemon's last goodbye, until its stream ends.
    pub goodbye: Option<Goodbye>,
    pub daemon: DaemonModel,
    /// Pid of the daemon this TUI started, if it did.
    pub started_daemon: Option<u32>,
    pub servers: ServersView,
    pub logs: LogsView,
    pub tools: ToolsView,
    pub activity: ActivityView,
    pub review: ReviewView,
    pub modal: Option<Modal>,
    pub toasts: Vec<Toast>,
    pub keymap: Keymap,
    /// The model changed since it was last drawn.
    pub dirty: bool,
    pub quit: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServersView {
    pub list: ListState,
    /// OAuth logins being followed, by server.
    pub logins: Logins,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolsView {
    pub list: ListState,
    /// The last call made from the TUI.
    pub call: Option<CallView>,
    /// The daemon's ranking for the filter text, once it answered.
    pub ranking: Option<ToolRanking>,
}

/// How the daemon's tool search ranked the tools for a filter text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolRanking {
    /// The filter text this ranking answers.
    pub query: String,
    /// Tool ids, best first.
    pub ids: Vec<String>,
    /// Why search ranks on words only, when it does.
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActivityView {
    pub list: ListState,
    pub log: ActivityLog,
}

impl ActivityView {
    /// Sorted by time, newest first.
    fn newest_first(mut self) -> Self {
        self.list.sort.descending = true;
        self
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReviewView {
    pub list: ListState,
    /// What waits for a person, as last read (`None` until the screen was entered).
    pub quarantine: Option<mcpproxy_daemon::protocol::Quarantine>,
}

/// What has the keyboard besides the screen itself; drawn on top of it.
#[derive(Debug, Clone, PartialEq)]
pub enum Modal {
    Help {
        scroll: usize,
    },
    Palette {
        input: LineInput,
        selected: usize,
    },
    Confirm {
        question: String,
        effect: Effect,
    },
    Picker(Picker),
    /// Typing into the current screen's text filter.
    Filter,
    AddServer(Box<AddServerForm>),
    Arguments(Box<ArgumentEditor>),
    /// The last call's result.
    Result,
    /// The selected item of the current screen in full.
    Detail {
        scroll: usize,
    },
    /// A server's OAuth login: its URL and how far it got.
    Login {
        server: String,
    },
}

/// A list to pick from: facet values (several may be on) or a log source (one).
#[derive(Debug, Clone, PartialEq)]
pub struct Picker {
    pub title: String,
    pub items: Vec<PickItem>,
    pub selected: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PickItem {
    pub label: String,
    pub active: bool,
    pub value: PickValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PickValue {
    Facet(Facet, String),
    Source(LogSource),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastLevel {
    Info,
    Error,
}

/// A message that goes away by itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    pub level: ToastLevel,
    pub text: String,
    pub hint: Option<String>,
    pub until: Timestamp,
}

/// How long toasts stay.
const INFO_TOAST: SignedDuration = SignedDuration::from_secs(5);
const ERROR_TOAST: SignedDuration = SignedDuration::from_secs(10);
/// Toasts shown at once; older ones give way.
const MAX_TOASTS: usize = 4;

impl App {
    pub fn new(keymap: Keymap, screen: usize, tz: TimeZone, now: Timestamp) -> Self {
        Self {
            screen: screen.min(SCREENS.len() - 1),
            now,
            tz,
            connection: Connection::Connecting { starting: false },
            goodbye: None,
            daemon: DaemonModel::default(),
            started_daemon: None,
            servers: ServersView::default(),
            logs: LogsView::default(),
            tools: ToolsView::default(),
            activity: ActivityView::default().newest_first(),
            review: ReviewView::default(),
            modal: None,
            toasts: Vec::new(),
            keymap,
            dirty: true,
            quit: false,
        }
    }

    /// An app with the default keys, UTC times and a fixed clock.
    pub fn for_tests() -> Self {
        let keymap = screen::keymap(&Default::default()).unwrap_or_default();
        let now = Timestamp::from_second(1_790_000_000).unwrap_or(Timestamp::UNIX_EPOCH);
        Self::new(keymap, 0, TimeZone::UTC, now)
    }

    pub fn toast(&mut self, level: ToastLevel, text: impl Into<String>, hint: Option<String>) {
        let until = self.now
            + match level {
                ToastLevel::Info => INFO_TOAST,
                ToastLevel::Error => ERROR_TOAST,
            };
        if self.toasts.len() == MAX_TOASTS {
            self.toasts.remove(0);
        }
        self.toasts.push(Toast {
            level,
            text: text.into(),
            hint,
            until,
        });
        self.dirty = true;
    }

    pub fn error_toast(&mut self, failure: Failure) {
        self.toast(ToastLevel::Error, failure.message, failure.hint);
    }

    /// Seconds since the daemon started, by this app's clock.
    pub fn daemon_uptime(&self) -> Option<u64> {
        let status = self.daemon.status.as_ref()?;
        let seconds = self.now.duration_since(status.started_at).as_secs();
        Some(u64::try_from(seconds).unwrap_or(0))
    }
}
