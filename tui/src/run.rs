//! The run loop: one task `select!`s terminal input, the daemon's events (through a
//! channel the link and the effects write to), a one-second clock and a shutdown signal;
//! each action goes through `update`; a frame is drawn only when the model changed.
//!
//! Everything waiting is applied before one frame, so a flood of log lines costs one frame,
//! not one per line. Input draws at once; other changes draw at most once per [`FRAME`], so
//! a flood neither lags nor starves the keyboard.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::Event as TerminalEvent;
use futures_util::{Stream, StreamExt as _};
use jiff::Timestamp;
use mcpproxy_daemon::client::browser;
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::action::{Action, Outcome};
use crate::app::App;
use crate::effect::Effect;
use crate::link::Link;
use crate::theme::Theme;
use crate::ui;
use crate::update::update;

/// Shortest time between two frames that no key asked for.
pub const FRAME: Duration = Duration::from_millis(16);
/// Longest time spent applying waiting actions before input is looked at again.
const DRAIN: Duration = Duration::from_millis(4);
/// Actions waiting at most: a daemon that sends faster than the TUI applies waits (and its
/// stream reports `lagged`, then a fresh snapshot).
const CHANNEL: usize = 256;

/// Performs effects as tasks; their results come back through the channel. One attach
/// runs at a time: a new one replaces a pending one.
#[derive(Debug)]
pub struct Effects {
    link: Arc<Link>,
    tx: mpsc::Sender<Action>,
    attach: Option<JoinHandle<()>>,
    /// The tool search waiting out its delay (or running); a newer one replaces it.
    search: Option<JoinHandle<()>>,
}

impl Effects {
    pub fn new(link: Arc<Link>, tx: mpsc::Sender<Action>) -> Self {
        Self {
            link,
            tx,
            attach: None,
            search: None,
        }
    }

    pub fn perform(&mut self, effect: Effect) {
        match effect {
            Effect::Batch(effects) => {
                for effect in effects {
                    self.perform(effect);
                }
            }
            Effect::Attach { start_if_absent } => {
                let (link, tx) = (Arc::clone(&self.link), self.tx.clone());
                self.replace_attach(tokio::spawn(async move {
                    link.attach(start_if_absent, tx).await;
                }));
            }
            Effect::AttachAfter { delay } => {
                let (link, tx) = (Arc::clone(&self.link), self.tx.clone());
                self.replace_attach(tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    link.attach(false, tx).await;
                }));
            }
            Effect::OpenBrowser { server, url } => {
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    // Starting the opener is a fork and exec: off the loop's thread.
                    let opened = tokio::task::spawn_blocking(move || browser::open(&url))
                        .await
                        .unwrap_or(false);
                    let _ = tx
                        .send(Action::Done(Outcome::BrowserOpened { server, opened }))
                        .await;
                });
            }
            Effect::SearchTools { delay, .. } => {
                let (link, tx) = (Arc::clone(&self.link), self.tx.clone());
                let task = tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    if let Some(action) = link.request(effect).await {
                        let _ = tx.send(action).await;
                    }
                });
                if let Some(previous) = self.search.replace(task) {
                    previous.abort();
                }
            }
            request => {
                let (link, tx) = (Arc::clone(&self.link), self.tx.clone());
                tokio::spawn(async move {
                    if let Some(action) = link.request(request).await {
                        let _ = tx.send(action).await;
                    }
                });
            }
        }
    }

    fn replace_attach(&mut self, task: JoinHandle<()>) {
        if let Some(previous) = self.attach.replace(task) {
            previous.abort();
        }
    }
}

impl Drop for Effects {
    fn drop(&mut self) {
        for task in [self.attach.take(), self.search.take()]
            .into_iter()
            .flatten()
        {
            task.abort();
        }
    }
}

/// Turns a terminal event into an action (`None`: nothing the TUI uses).
pub fn terminal_action(event: TerminalEvent) -> Option<Action> {
    match event {
        TerminalEvent::Key(key) => Some(Action::Key(key)),
        TerminalEvent::Mouse(mouse) => Some(Action::Mouse(mouse)),
        TerminalEvent::Paste(text) => Some(Action::Paste(text)),
        TerminalEvent::Resize(width, height) => Some(Action::Resize(width, height)),
        TerminalEvent::FocusGained | TerminalEvent::FocusLost => None,
    }
}

/// Runs the app until it quits, the input ends, or `shutdown` completes. `first` is the
/// effect to start with (attaching, usually); `frames` is told of every frame drawn.
#[allow(clippy::too_many_arguments)] // the loop's whole world, passed in for tests
pub async fn run_loop<B, I, S>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    theme: &Theme,
    input: I,
    link: Arc<Link>,
    first: Option<Effect>,
    shutdown: S,
    mut frames: impl FnMut(&Terminal<B>),
) -> Result<(), B::Error>
where
    B: Backend,
    I: Stream<Item = std::io::Result<TerminalEvent>> + Unpin,
    S: Future<Output = ()>,
{
    let (tx, mut rx) = mpsc::channel(CHANNEL);
    let mut effects = Effects::new(link, tx);
    if let Some(effect) = first {
        effects.perform(effect);
    }
    let mut input = input;
    let mut shutdown = std::pin::pin!(shutdown);
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_frame = Instant::now();
    let mut frame_due: Option<tokio::time::Instant> = None;
    draw(terminal, app, theme, &mut frames)?;
    loop {
        let due = frame_due;
        let action = tokio::select! {
            biased;
            () = &mut shutdown => Action::Terminate,
            event = input.next() => match event {
                Some(Ok(event)) => match terminal_action(event) {
                    Some(action) => action,
                    None => continue,
                },
                // The terminal went away: nothing can be shown or typed any more.
                Some(Err(_)) | None => Action::Terminate,
            },
            () = sleep_until(due), if due.is_some() => {
                frame_due = None;
                if app.dirty {
                    draw(terminal, app, theme, &mut frames)?;
                    last_frame = Instant::now();
                }
                continue;
            }
            Some(action) = rx.recv() => action,
            _ = clock.tick() => Action::Tick(Timestamp::now()),
        };
        let urgent = matches!(
            action,
            Action::Key(_)
                | Action::Mouse(_)
                | Action::Paste(_)
                | Action::Resize(..)
                | Action::Terminate
        );
        apply(app, action, &mut effects);
        let started = Instant::now();
        while started.elapsed() < DRAIN {
            match rx.try_recv() {
                Ok(action) => apply(app, action, &mut effects),
                Err(_) => break,
            }
        }
        if app.quit {
            return Ok(());
        }
        if !app.dirty {
            continue;
        }
        if urgent || last_frame.elapsed() >= FRAME {
            frame_due = None;
            draw(terminal, app, theme, &mut frames)?;
            last_frame = Instant::now();
        } else if frame_due.is_none() {
            frame_due = Some(tokio::time::Instant::from_std(last_frame + FRAME));
        }
    }
}

async fn sleep_until(due: Option<tokio::time::Instant>) {
    if let Some(due) = due {
        tokio::time::sleep_until(due).await;
    }
}

fn apply(app: &mut App, action: Action, effects: &mut Effects) {
    // The loop keeps the model's clock; `update` only reads it.
    if !matches!(action, Action::Tick(_)) {
        app.now = Timestamp::now();
    }
    if let Some(effect) = update(app, action) {
        effects.perform(effect);
    }
}

fn draw<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    theme: &Theme,
    frames: &mut impl FnMut(&Terminal<B>),
) -> Result<(), B::Error> {
    terminal.draw(|frame| ui::draw(frame, app, theme))?;
    app.dirty = false;
    frames(terminal);
    Ok(())
}
