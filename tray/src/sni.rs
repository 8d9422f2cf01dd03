//! The icon on the StatusNotifierItem protocol (ksni, over D-Bus): a translation of
//! [`TrayView`] into the item's properties and a dbusmenu, and of chosen entries into
//! [`TrayCommand`]s sent to the tray's loop.

use ksni::menu::{StandardItem, SubMenu};
use ksni::{MenuItem, TrayMethods as _};
use tokio::sync::mpsc;

use crate::TrayError;
use crate::icon;
use crate::view::{Entry, Health, TrayCommand, TrayView};

/// The item the host shows.
pub struct Item {
    pub view: TrayView,
    commands: mpsc::UnboundedSender<TrayCommand>,
}

/// Registers the item with the session's StatusNotifierWatcher.
pub async fn spawn(
    view: TrayView,
    commands: mpsc::UnboundedSender<TrayCommand>,
) -> Result<ksni::Handle<Item>, TrayError> {
    Item { view, commands }
        .spawn()
        .await
        .map_err(|error| match error {
            ksni::Error::Dbus(e) => TrayError::NoSessionBus(one_line(&e.to_string())),
            ksni::Error::Watcher(e) => TrayError::NoHost(one_line(&e.to_string())),
            ksni::Error::WontShow => {
                TrayError::NoHost("no StatusNotifierHost is registered".to_owned())
            }
            other => TrayError::NoHost(one_line(&other.to_string())),
        })
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl ksni::Tray for Item {
    fn id(&self) -> String {
        "mcpproxy".to_owned()
    }

    fn title(&self) -> String {
        self.view.title.clone()
    }

    fn status(&self) -> ksni::Status {
        match self.view.health {
            Health::Ready | Health::Down => ksni::Status::Active,
            Health::Failing | Health::Login | Health::Review => ksni::Status::NeedsAttention,
        }
    }

    fn icon_pixmap(&self) -> Vec<ksni::Icon> {
        vec![pixmap(self.view.health)]
    }

    fn attention_icon_pixmap(&self) -> Vec<ksni::Icon> {
        vec![pixmap(self.view.health)]
    }

    fn tool_tip(&self) -> ksni::ToolTip {
        ksni::ToolTip {
            title: self.view.title.clone(),
            description: self.view.tooltip.clone(),
            icon_name: String::new(),
            icon_pixmap: Vec::new(),
        }
    }

    fn menu(&self) -> Vec<MenuItem<Self>> {
        items(&self.view.menu)
    }
}

fn pixmap(health: Health) -> ksni::Icon {
    let side = i32::try_from(icon::SIZE).unwrap_or(i32::MAX);
    ksni::Icon {
        width: side,
        height: side,
        data: icon::argb(health),
    }
}

fn items(entries: &[Entry]) -> Vec<MenuItem<Item>> {
    entries
        .iter()
        .map(|entry| match entry {
            Entry::Separator => MenuItem::Separator,
            Entry::Label(text) => StandardItem {
                label: label(text),
                enabled: false,
                ..Default::default()
            }
            .into(),
            Entry::Action {
                label: text,
                command,
            } => {
                let command = command.clone();
                StandardItem {
                    label: label(text),
                    activate: Box::new(move |item: &mut Item| {
                        // The loop is gone only while the tray quits.
                        let _ = item.commands.send(command.clone());
                    }),
                    ..Default::default()
                }
                .into()
            }
            Entry::Submenu {
                label: text,
                entries,
            } => SubMenu {
                label: label(text),
                submenu: items(entries),
                ..Default::default()
            }
            .into(),
        })
        .collect()
}

/// dbusmenu reads `_` as an access-key marker; a server named `my_server` keeps its name.
fn label(text: &str) -> String {
    text.replace('_', "__")
}
