//! Upstream servers: one supervisor per configured server.

pub mod sse;
