//! mcpproxy's daemon and the contract its clients use.
//!
//! Without the `server` feature this crate is what an attach client needs: the wire types
//! ([`protocol`]), the control-API [`client`], the [`config`] model and the [`paths`]. With it
//! (the default) it is also the engine.

pub mod client;
pub mod config;
pub mod exit_code;
pub mod paths;
pub mod protocol;
pub mod redact;
pub mod secrets;
pub mod sse;

#[cfg(feature = "server")]
pub mod activity;
#[cfg(feature = "server")]
pub mod allocator;
#[cfg(feature = "server")]
pub mod api;
#[cfg(feature = "server")]
pub mod bridge;
#[cfg(feature = "server")]
pub mod catalog;
#[cfg(feature = "server")]
pub mod daemon;
#[cfg(feature = "server")]
pub mod deadline;
#[cfg(feature = "server")]
pub mod events;
#[cfg(feature = "server")]
pub mod gate;
#[cfg(feature = "server")]
pub mod http;
#[cfg(feature = "server")]
pub mod index;
#[cfg(feature = "server")]
pub mod logs;
#[cfg(feature = "server")]
pub mod manage;
#[cfg(feature = "server")]
pub mod oauth;
#[cfg(feature = "server")]
pub mod proxy;
#[cfg(feature = "server")]
pub mod review;
#[cfg(feature = "server")]
pub mod security;
#[cfg(feature = "server")]
pub mod serve;
#[cfg(feature = "server")]
pub mod store;
#[cfg(feature = "server")]
mod sync;
#[cfg(feature = "server")]
pub mod upstream;
