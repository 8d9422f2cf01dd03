//! End-to-end tests: the built `mcpproxy` binary on a temp data dir, talking to real peers.
//!
//! One test binary (so the workspace links once); each module covers one area. Every test
//! gets its own data dir and socket, waits on conditions with deadlines, and cleans up every
//! process it started.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod support;

mod activity_log;
mod attach;
mod clients;
mod completions;
mod config_cli;
mod config_reload;
mod config_watch;
mod conformance;
mod connect;
mod daemon_log;
mod doctor;
mod durations;
mod first_use;
mod floods;
mod fuzz;
mod gate;
mod harness;
mod import;
mod leader;
mod lifecycle;
mod oauth;
mod other_users;
mod peers;
mod processes;
mod proxy_surfaces;
mod review;
mod routing;
mod scan_catalogs;
mod scan_eval;
mod search;
mod secrets;
mod service;
mod small_fixes;
mod stdio_bridge;
mod terminal_output;
mod tool_switches;
mod tray;
mod tui;
mod upstreams;
mod version;
