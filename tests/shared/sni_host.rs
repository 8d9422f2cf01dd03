//! A desktop's side of the StatusNotifierItem protocol, small enough for tests and benches:
//! a private session bus (`dbus-run-session`), a StatusNotifierWatcher that also stands for
//! the registered host (ksni refuses to start without one), and a reader of an item's menu
//! over `com.canonical.dbusmenu` that can click its entries.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use zbus::object_server::SignalEmitter;
use zbus::zvariant::{self, OwnedValue, Value};

use super::provision::system_program;

/// A session bus of its own: `dbus-run-session` running a shell that prints the bus
/// address and waits for its stdin to close (then the bus ends with it).
pub struct SessionBus {
    child: Child,
    stdin: Option<ChildStdin>,
    pub address: String,
}

impl SessionBus {
    pub fn start() -> Self {
        let run_session = system_program("dbus-run-session", "dbus");
        let mut child = Command::new(run_session)
            .args([
                "--",
                "sh",
                "-c",
                "echo \"$DBUS_SESSION_BUS_ADDRESS\"; read _ || true",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("run dbus-run-session");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line.trim().to_owned();
        assert!(
            address.starts_with("unix:"),
            "dbus-run-session gave no bus address: {line:?}"
        );
        Self {
            stdin: child.stdin.take(),
            child,
            address,
        }
    }
}

impl Drop for SessionBus {
    #[expect(
        clippy::disallowed_methods,
        reason = "a bounded wait for the bus to end once its stdin closes; killing dbus-run-session instead would leave its dbus-daemon behind"
    )]
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The items registered with the watcher, by the service name they gave.
#[derive(Clone, Default)]
struct Registered(Arc<Mutex<Vec<String>>>);

struct Watcher {
    items: Registered,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    async fn register_status_notifier_item(
        &self,
        service: &str,
        #[zbus(header)] header: zbus::message::Header<'_>,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) {
        // The spec allows an object path instead of a bus name: the sender owns it then.
        let service = if service.starts_with('/') {
            header.sender().map(|s| s.to_string()).unwrap_or_default()
        } else {
            service.to_owned()
        };
        self.items.0.lock().unwrap().push(service.clone());
        let _ = Self::status_notifier_item_registered(&emitter, &service).await;
    }

    async fn register_status_notifier_host(&self, _service: &str) {}

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        self.items.0.lock().unwrap().clone()
    }

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }

    #[zbus(signal)]
    async fn status_notifier_item_registered(
        emitter: &SignalEmitter<'_>,
        service: &str,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn status_notifier_host_registered(emitter: &SignalEmitter<'_>) -> zbus::Result<()>;
}

/// The watcher and host, on one connection to `address`.
pub struct Host {
    connection: zbus::Connection,
    items: Registered,
}

/// One menu entry as the host reads it.
#[derive(Debug, Clone)]
pub struct MenuNode {
    pub id: i32,
    pub label: String,
    pub enabled: bool,
    pub separator: bool,
    pub children: Vec<MenuNode>,
}

impl MenuNode {
    /// The entry reached by labels that start with each of `path`, in turn.
    pub fn find(&self, path: &[&str]) -> Option<&MenuNode> {
        let Some((first, rest)) = path.split_first() else {
            return Some(self);
        };
        self.children
            .iter()
            .find(|child| child.label.starts_with(first))
            .and_then(|child| child.find(rest))
    }

    /// The labels of the whole menu, one a line, indented by depth.
    pub fn outline(&self) -> String {
        fn walk(node: &MenuNode, depth: usize, out: &mut String) {
            for child in &node.children {
                let label = if child.separator { "-" } else { &child.label };
                out.push_str(&format!("{}{label}\n", "  ".repeat(depth)));
                walk(child, depth + 1, out);
            }
        }
        let mut out = String::new();
        walk(self, 0, &mut out);
        out
    }
}

impl Host {
    pub async fn start(address: &str) -> Self {
        let items = Registered::default();
        let watcher = Watcher {
            items: items.clone(),
        };
        let connection = zbus::connection::Builder::address(address)
            .unwrap()
            .name("org.kde.StatusNotifierWatcher")
            .unwrap()
            .name(format!("org.kde.StatusNotifierHost-{}", std::process::id()))
            .unwrap()
            .serve_at("/StatusNotifierWatcher", watcher)
            .unwrap()
            .build()
            .await
            .expect("connect the watcher to the session bus");
        Self { connection, items }
    }

    /// The service names of the registered items.
    pub fn items(&self) -> Vec<String> {
        self.items.0.lock().unwrap().clone()
    }

    /// A property of an item's `org.kde.StatusNotifierItem` interface.
    pub async fn item_property(&self, item: &str, name: &str) -> OwnedValue {
        let reply = self
            .connection
            .call_method(
                Some(item),
                "/StatusNotifierItem",
                Some("org.freedesktop.DBus.Properties"),
                "Get",
                &("org.kde.StatusNotifierItem", name),
            )
            .await
            .unwrap_or_else(|e| panic!("read {name} of {item}: {e}"));
        reply.body().deserialize::<OwnedValue>().unwrap()
    }

    async fn menu_path(&self, item: &str) -> zvariant::OwnedObjectPath {
        zvariant::OwnedObjectPath::try_from(self.item_property(item, "Menu").await).unwrap()
    }

    /// The item's whole menu, through `GetLayout`.
    pub async fn menu(&self, item: &str) -> MenuNode {
        let path = self.menu_path(item).await;
        let reply = self
            .connection
            .call_method(
                Some(item),
                &path,
                Some("com.canonical.dbusmenu"),
                "GetLayout",
                &(0i32, -1i32, Vec::<String>::new()),
            )
            .await
            .unwrap_or_else(|e| panic!("GetLayout of {item}: {e}"));
        let (_revision, layout): (u32, Layout) = reply.body().deserialize().unwrap();
        node(layout.0, layout.1, layout.2)
    }

    /// Clicks the entry `id` of the item's menu, as a host does when a person chooses it.
    pub async fn click(&self, item: &str, id: i32) {
        let path = self.menu_path(item).await;
        self.connection
            .call_method(
                Some(item),
                &path,
                Some("com.canonical.dbusmenu"),
                "Event",
                &(id, "clicked", Value::from(0i32), 0u32),
            )
            .await
            .unwrap_or_else(|e| panic!("click entry {id} of {item}: {e}"));
    }
}

/// A dbusmenu layout node on the wire: `(ia{sv}av)`.
type Layout = (i32, HashMap<String, OwnedValue>, Vec<OwnedValue>);

fn node(id: i32, properties: HashMap<String, OwnedValue>, children: Vec<OwnedValue>) -> MenuNode {
    let string = |key: &str| {
        properties
            .get(key)
            .and_then(|v| String::try_from(v.try_clone().unwrap()).ok())
    };
    let enabled = properties
        .get("enabled")
        .is_none_or(|v| bool::try_from(v.try_clone().unwrap()).unwrap_or(true));
    MenuNode {
        id,
        // dbusmenu's access-key marker: `__` is a plain underscore.
        label: string("label")
            .unwrap_or_default()
            .replace("__", "\u{0}")
            .replace('_', "")
            .replace('\u{0}', "_"),
        enabled,
        separator: string("type").as_deref() == Some("separator"),
        children: children.into_iter().map(child).collect(),
    }
}

fn child(value: OwnedValue) -> MenuNode {
    let value: Value<'static> = value.into();
    let value = match value {
        Value::Value(inner) => *inner,
        other => other,
    };
    let mut fields = zvariant::Structure::try_from(value).unwrap().into_fields();
    let children: Vec<Value<'static>> = fields.remove(2).downcast().unwrap();
    let properties: HashMap<String, OwnedValue> = fields.remove(1).downcast().unwrap();
    let id: i32 = fields.remove(0).downcast().unwrap();
    node(
        id,
        properties,
        children
            .into_iter()
            .map(|v| OwnedValue::try_from(v).unwrap())
            .collect(),
    )
}
