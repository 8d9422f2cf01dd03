//! `update`: the one place the model changes. It does no I/O: what needs the outside world
//! comes back as an [`Effect`] for the run loop to perform.

mod input;
mod link;
pub mod lists;
pub mod login;
mod outcome;

use jiff::Timestamp;

use crate::action::Action;
use crate::app::App;
use crate::app::daemon::Connection;
use crate::effect::Effect;
use crate::screen::SCREENS;

pub use self::input::{palette_matches, run_command};

/// Applies `action` to `app`; `app.dirty` says whether it needs drawing again.
pub fn update(app: &mut App, action: Action) -> Option<Effect> {
    match action {
        Action::Key(key) => input::key(app, key),
        Action::Mouse(mouse) => input::mouse(app, mouse),
        Action::Paste(text) => input::paste(app, &text),
        Action::Resize(..) => {
            app.dirty = true;
            None
        }
        Action::Tick(now) => {
            tick(app, now);
            None
        }
        Action::Link(event) => link::on_link(app, event),
        Action::Daemon(events) => link::on_events(app, events),
        Action::Done(outcome) => outcome::done(app, outcome),
        Action::Terminate => {
            app.quit = true;
            None
        }
    }
}

/// The clock moved: uptimes, countdowns and toasts change with it.
fn tick(app: &mut App, now: Timestamp) {
    app.now = now;
    app.toasts.retain(|t| t.until > now);
    // The status line shows the daemon's uptime, so a second changes the screen; so does
    // a re-attach countdown.
    app.dirty = app.daemon.status.is_some() || !matches!(app.connection, Connection::Attached);
}

/// Shows screen `index`, running what it does on entry.
pub fn show_screen(app: &mut App, index: usize) -> Option<Effect> {
    if index >= SCREENS.len() {
        return None;
    }
    app.screen = index;
    app.dirty = true;
    (SCREENS[index].enter)(app)
}
