//! Keys, the mouse and pastes: to the dialog that has the keyboard, else through the keymap
//! to a command of the current screen.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, MouseEvent, MouseEventKind};
use mcpproxy_daemon::config::KeyChord;
use mcpproxy_daemon::protocol::ToolCall;

use super::show_screen;
use crate::app::call::CallView;
use crate::app::editor::Edit;
use crate::app::form::Field;
use crate::app::{App, Modal, PickValue, Picker};
use crate::effect::Effect;
use crate::keymap::{self, Command, chord_of};
use crate::screen::{self, SCREENS};

/// Lines the mouse wheel scrolls.
const WHEEL: isize = 3;

pub fn key(app: &mut App, key: KeyEvent) -> Option<Effect> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let chord = chord_of(&key)?;
    app.dirty = true;
    match app.modal.take() {
        Some(modal) => modal_key(app, modal, &key, chord),
        None if !app.connection.is_attached() => {
            let command = app
                .keymap
                .lookup(&[keymap::DISCONNECTED, keymap::GLOBAL], chord)?;
            match command {
                Command::Quit | Command::Help | Command::Palette | Command::StartDaemon => {
                    run_command(app, command)
                }
                _ => None,
            }
        }
        None => {
            let command = app.keymap.lookup(&screen::contexts(app.screen), chord)?;
            run_command(app, command)
        }
    }
}

/// Runs a command as if its key was pressed with nothing else open (the palette runs
/// commands through this too).
pub fn run_command(app: &mut App, command: Command) -> Option<Effect> {
    app.dirty = true;
    let screens = SCREENS.len();
    match command {
        Command::Quit => app.quit = true,
        Command::Help => app.modal = Some(Modal::Help { scroll: 0 }),
        Command::Palette => {
            app.modal = Some(Modal::Palette {
                input: Default::default(),
                selected: 0,
            });
        }
        Command::NextScreen => return show_screen(app, (app.screen + 1) % screens),
        Command::PrevScreen => return show_screen(app, (app.screen + screens - 1) % screens),
        Command::StartDaemon => return super::link::start_daemon(app),
        Command::Filter => {
            if (SCREENS[app.screen].filter)(app).is_some() {
                app.modal = Some(Modal::Filter);
            }
        }
        command => match command.screen_number() {
            Some(n) => return show_screen(app, n - 1),
            None if app.connection.is_attached() => {
                return (SCREENS[app.screen].command)(app, command);
            }
            None => {}
        },
    }
    None
}

/// The command `chord` means in a dialog (only the editor context's).
fn editor_command(app: &App, chord: KeyChord) -> Option<Command> {
    app.keymap.lookup(&[keymap::EDITOR], chord)
}

/// The list command `chord` means (moving through a dialog's lines).
fn list_command(app: &App, chord: KeyChord) -> Option<Command> {
    app.keymap.lookup(&[keymap::LIST], chord)
}

fn modal_key(app: &mut App, modal: Modal, key: &KeyEvent, chord: KeyChord) -> Option<Effect> {
    let back = editor_command(app, chord) == Some(Command::Back);
    match modal {
        Modal::Help { scroll } | Modal::Detail { scroll } => {
            let closes = back || matches!(key.code, KeyCode::Char('q' | '?') | KeyCode::Enter);
            if !closes {
                let scroll = scrolled(scroll, list_command(app, chord));
                app.modal = Some(match modal {
                    Modal::Help { .. } => Modal::Help { scroll },
                    _ => Modal::Detail { scroll },
                });
            }
            None
        }
        Modal::Result => {
            let closes = back || matches!(key.code, KeyCode::Char('q') | KeyCode::Enter);
            if !closes {
                let command = list_command(app, chord);
                if let Some(call) = &mut app.tools.call {
                    call.scroll = scrolled(call.scroll, command);
                }
                app.modal = Some(Modal::Result);
            }
            None
        }
        Modal::Login { server } => {
            let again =
                app.keymap.lookup(&[screen::servers::SCREEN.name], chord) == Some(Command::Login);
            if again {
                return super::login::start(app, server);
            }
            let closes = back || matches!(key.code, KeyCode::Char('q') | KeyCode::Enter);
            if !closes {
                app.modal = Some(Modal::Login { server });
            }
            None
        }
        Modal::Confirm { question, effect } => match key.code {
            KeyCode::Char('y' | 'Y') | KeyCode::Enter => Some(effect),
            KeyCode::Char('n' | 'N') => None,
            _ if back => None,
            _ => {
                app.modal = Some(Modal::Confirm { question, effect });
                None
            }
        },
        Modal::Palette { input, selected } => palette_key(app, input, selected, key, chord),
        Modal::Picker(picker) => picker_key(app, picker, key, chord),
        Modal::Filter => {
            match key.code {
                KeyCode::Enter => {}
                KeyCode::Esc => {
                    if let Some(filter) = (SCREENS[app.screen].filter)(app) {
                        filter.clear();
                    }
                    return (SCREENS[app.screen].filtered)(app);
                }
                KeyCode::Up | KeyCode::Down => {
                    app.modal = Some(Modal::Filter);
                    let command = if key.code == KeyCode::Up {
                        Command::Up
                    } else {
                        Command::Down
                    };
                    return (SCREENS[app.screen].command)(app, command);
                }
                _ => {
                    if let Some(filter) = (SCREENS[app.screen].filter)(app) {
                        filter.key(key);
                    }
                    app.modal = Some(Modal::Filter);
                    return (SCREENS[app.screen].filtered)(app);
                }
            }
            None
        }
        Modal::AddServer(mut form) => {
            let command = editor_command(app, chord);
            match command {
                Some(Command::Back) => return None,
                Some(Command::Submit) => return submit_form(app, form),
                Some(Command::NextField) => form.move_focus(1),
                Some(Command::PrevField) => form.move_focus(-1),
                _ => match key.code {
                    KeyCode::Enter if form.focus == Field::StartNow => {
                        return submit_form(app, form);
                    }
                    KeyCode::Enter => form.move_focus(1),
                    KeyCode::Char(' ') | KeyCode::Left | KeyCode::Right
                        if !form.focus.is_text() =>
                    {
                        form.toggle();
                    }
                    _ => {
                        if let Some(input) = form.focused_input()
                            && input.key(key) == Edit::Changed
                        {
                            form.errors.remove(&form.focus);
                        }
                    }
                },
            }
            app.modal = Some(Modal::AddServer(form));
            None
        }
        Modal::Arguments(mut editor) => match editor_command(app, chord) {
            Some(Command::Back) => None,
            Some(Command::Submit) => match editor.arguments() {
                Ok(arguments) => {
                    app.tools.call = Some(CallView {
                        tool: editor.tool.clone(),
                        outcome: None,
                        scroll: 0,
                    });
                    app.modal = Some(Modal::Result);
                    Some(Effect::Call(ToolCall {
                        tool: editor.tool,
                        arguments,
                    }))
                }
                Err(problem) => {
                    editor.error = Some(problem);
                    app.modal = Some(Modal::Arguments(editor));
                    None
                }
            },
            _ => {
                if editor.area.key(key) == Edit::Changed {
                    editor.error = None;
                }
                app.modal = Some(Modal::Arguments(editor));
                None
            }
        },
    }
}

fn submit_form(app: &mut App, mut form: Box<crate::app::form::AddServerForm>) -> Option<Effect> {
    let request = form.request();
    form.submitting = request.is_some();
    app.modal = Some(Modal::AddServer(form));
    request.map(|r| Effect::Add(Box::new(r)))
}

fn scrolled(scroll: usize, command: Option<Command>) -> usize {
    match command {
        Some(Command::Up) => scroll.saturating_sub(1),
        Some(Command::Down) => scroll + 1,
        Some(Command::PageUp) => scroll.saturating_sub(10),
        Some(Command::PageDown) => scroll + 10,
        Some(Command::Top) => 0,
        _ => scroll,
    }
}

/// The commands the palette offers on the current screen: its own, the list's, the
/// global ones (or, with no daemon attached, what can be done then).
pub fn palette_entries(app: &App) -> Vec<(Command, String, &'static str)> {
    let contexts = if app.connection.is_attached() {
        screen::contexts(app.screen)
    } else {
        vec![keymap::DISCONNECTED, keymap::GLOBAL]
    };
    let mut entries: Vec<(Command, String, &'static str)> = Vec::new();
    for context in contexts {
        for (command, help) in app.keymap.commands(context) {
            if entries.iter().any(|(c, _, _)| *c == command) {
                continue;
            }
            let help = match command.screen_number().and_then(|n| SCREENS.get(n - 1)) {
                Some(screen) => screen.title,
                None if command.screen_number().is_some() => continue,
                None => help,
            };
            entries.push((command, app.keymap.key_label(context, command), help));
        }
    }
    entries
}

/// The palette entries matching what was typed.
pub fn palette_matches(app: &App, typed: &str) -> Vec<(Command, String, &'static str)> {
    let typed = typed.trim().to_lowercase();
    palette_entries(app)
        .into_iter()
        .filter(|(command, _, help)| {
            typed.is_empty()
                || command.name().contains(&typed)
                || command.name().replace('_', " ").contains(&typed)
                || help.to_lowercase().contains(&typed)
        })
        .collect()
}

fn palette_key(
    app: &mut App,
    mut input: crate::app::editor::LineInput,
    mut selected: usize,
    key: &KeyEvent,
    chord: KeyChord,
) -> Option<Effect> {
    let matches = palette_matches(app, input.text());
    match key.code {
        KeyCode::Esc => return None,
        KeyCode::Enter => {
            let (command, _, _) = matches.get(selected.min(matches.len().saturating_sub(1)))?;
            return run_command(app, *command);
        }
        KeyCode::Up => selected = selected.saturating_sub(1),
        KeyCode::Down => selected = (selected + 1).min(matches.len().saturating_sub(1)),
        _ if chord.ctrl && chord.key == mcpproxy_daemon::config::KeyName::Char('p') => {
            selected = selected.saturating_sub(1);
        }
        _ if chord.ctrl && chord.key == mcpproxy_daemon::config::KeyName::Char('n') => {
            selected = (selected + 1).min(matches.len().saturating_sub(1));
        }
        _ => {
            if input.key(key) == Edit::Changed {
                selected = 0;
            }
        }
    }
    app.modal = Some(Modal::Palette { input, selected });
    None
}

fn picker_key(
    app: &mut App,
    mut picker: Picker,
    key: &KeyEvent,
    chord: KeyChord,
) -> Option<Effect> {
    let last = picker.items.len().saturating_sub(1);
    match list_command(app, chord) {
        Some(Command::Up) => picker.selected = picker.selected.saturating_sub(1),
        Some(Command::Down) => picker.selected = (picker.selected + 1).min(last),
        Some(Command::Top) => picker.selected = 0,
        Some(Command::Bottom) => picker.selected = last,
        Some(Command::Back) => return None,
        Some(Command::ClearFilters) => {
            (SCREENS[app.screen].command)(app, Command::ClearFilters);
            for item in &mut picker.items {
                item.active = false;
            }
        }
        _ if matches!(key.code, KeyCode::Char('q' | 'f')) => return None,
        _ if matches!(key.code, KeyCode::Enter | KeyCode::Char(' ')) => {
            let item = picker.items.get_mut(picker.selected)?;
            match item.value.clone() {
                PickValue::Facet(facet, value) => {
                    item.active = !item.active;
                    (SCREENS[app.screen].toggle_facet)(app, facet, &value);
                }
                PickValue::Source(source) => {
                    return screen::logs::open(app, source);
                }
            }
        }
        _ => {}
    }
    app.modal = Some(Modal::Picker(picker));
    None
}

pub fn mouse(app: &mut App, mouse: MouseEvent) -> Option<Effect> {
    let delta = match mouse.kind {
        MouseEventKind::ScrollUp => -WHEEL,
        MouseEventKind::ScrollDown => WHEEL,
        _ => return None,
    };
    app.dirty = true;
    match &mut app.modal {
        Some(Modal::Help { scroll } | Modal::Detail { scroll }) => {
            *scroll = scroll.saturating_add_signed(delta);
            None
        }
        Some(Modal::Result) => {
            if let Some(call) = &mut app.tools.call {
                call.scroll = call.scroll.saturating_add_signed(delta);
            }
            None
        }
        Some(_) => None,
        None if app.connection.is_attached() => {
            let command = if delta < 0 {
                Command::Up
            } else {
                Command::Down
            };
            let mut effect = None;
            for _ in 0..WHEEL {
                effect = Effect::and(effect, (SCREENS[app.screen].command)(app, command));
            }
            effect
        }
        None => None,
    }
}

pub fn paste(app: &mut App, text: &str) -> Option<Effect> {
    app.dirty = true;
    match &mut app.modal {
        Some(Modal::Palette { input, .. }) => input.insert(text),
        Some(Modal::AddServer(form)) => {
            if let Some(input) = form.focused_input() {
                input.insert(text);
            }
        }
        Some(Modal::Arguments(editor)) => editor.area.insert(text),
        Some(Modal::Filter) => {
            if let Some(filter) = (SCREENS[app.screen].filter)(app) {
                filter.insert(text);
            }
            return (SCREENS[app.screen].filtered)(app);
        }
        _ => {}
    }
    None
}
