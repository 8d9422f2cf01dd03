//! The terminal control center. It attaches to a running daemon through
//! [`mcpproxy_daemon::client`] and never reaches into the engine.

/// The control-API protocol version this TUI speaks; checked against the daemon's status.
pub const SPEAKS_PROTOCOL: u32 = mcpproxy_daemon::protocol::PROTOCOL_VERSION;
