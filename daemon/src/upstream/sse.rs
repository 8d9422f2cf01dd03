//! Legacy HTTP+SSE client transport (MCP 2024-11-05).
