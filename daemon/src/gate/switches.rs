//! Per-tool switches: the tools a person turned off in `config.toml`
//! (`[servers.NAME] disabled_tools = [...]`), held by the gate like anything else it keeps
//! from agents, with a reason that says how to turn them back on.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::RwLock;

use super::{GateItem, GateStage, Hold};
use crate::config::ServerConfig;
use crate::protocol::ItemKind;

pub use crate::protocol::SWITCHES_STAGE;

/// The disabled tools of every server, as the running config says.
#[derive(Debug, Default)]
pub struct ToolSwitches {
    disabled: RwLock<BTreeMap<String, BTreeSet<String>>>,
}

impl ToolSwitches {
    /// Takes the switches of `servers`; returns the servers whose switches changed, whose
    /// catalogs must pass the gate again.
    pub fn apply(&self, servers: &BTreeMap<String, ServerConfig>) -> Vec<String> {
        let next: BTreeMap<String, BTreeSet<String>> = servers
            .iter()
            .filter(|(_, server)| !server.disabled_tools.is_empty())
            .map(|(name, server)| {
                (
                    name.clone(),
                    server.disabled_tools.iter().cloned().collect(),
                )
            })
            .collect();
        let mut disabled = match self.disabled.write() {
            Ok(guard) => guard,
            // A writer that panicked left a whole map behind: it is only ever swapped.
            Err(poisoned) => poisoned.into_inner(),
        };
        let changed = disabled
            .keys()
            .chain(next.keys())
            .filter(|name| disabled.get(*name) != next.get(*name))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        *disabled = next;
        changed
    }

    fn is_disabled(&self, server: &str, tool: &str) -> bool {
        let disabled = match self.disabled.read() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        disabled
            .get(server)
            .is_some_and(|tools| tools.contains(tool))
    }
}

/// The reason shown with a switched-off tool.
pub fn disabled_reason(server: &str, tool: &str) -> String {
    format!("disabled by a person: `mcpproxy upstream tools enable {server} {tool}`")
}

impl GateStage for ToolSwitches {
    fn name(&self) -> &'static str {
        SWITCHES_STAGE
    }

    fn pass(&self, server: &str, items: &[GateItem]) -> Vec<Hold> {
        items
            .iter()
            .filter(|item| item.kind == ItemKind::Tool && self.is_disabled(server, &item.name))
            .map(|item| Hold {
                kind: item.kind,
                name: item.name.clone(),
                reason: disabled_reason(server, &item.name),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::catalog::Catalog;
    use crate::gate::CatalogGate;

    fn servers(disabled: &[&str]) -> BTreeMap<String, ServerConfig> {
        let server = ServerConfig {
            disabled_tools: disabled.iter().map(|t| (*t).to_owned()).collect(),
            ..ServerConfig::default()
        };
        BTreeMap::from([("demo".to_owned(), server)])
    }

    fn catalog() -> Catalog {
        let tool = |name: &str| {
            serde_json::from_value(serde_json::json!({
                "name": name, "description": "", "inputSchema": {"type": "object"}
            }))
            .unwrap_or_else(|e| panic!("{e}"))
        };
        Catalog {
            tools: vec![tool("echo"), tool("add")],
            ..Catalog::default()
        }
    }

    #[test]
    fn a_disabled_tool_is_held_with_the_command_that_enables_it() {
        let switches = Arc::new(ToolSwitches::default());
        assert_eq!(switches.apply(&servers(&["echo"])), ["demo"]);
        let gate = CatalogGate::new(vec![Arc::clone(&switches) as Arc<dyn GateStage>]);
        let gated = gate.pass("demo", &catalog());
        assert_eq!(gated.served.tools.len(), 1);
        assert_eq!(gated.held.len(), 1);
        assert_eq!(gated.held[0].stage, SWITCHES_STAGE);
        assert_eq!(
            gated.held[0].reason,
            "disabled by a person: `mcpproxy upstream tools enable demo echo`"
        );
        assert!(gate.pass("other", &catalog()).held.is_empty());
    }

    #[test]
    fn only_servers_whose_switches_changed_are_named() {
        let switches = ToolSwitches::default();
        assert!(switches.apply(&servers(&[])).is_empty());
        assert_eq!(switches.apply(&servers(&["echo"])), ["demo"]);
        assert!(switches.apply(&servers(&["echo"])).is_empty());
        assert_eq!(switches.apply(&BTreeMap::new()), ["demo"]);
    }
}
