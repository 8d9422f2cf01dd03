//! Import of servers from other MCP clients' config files.
