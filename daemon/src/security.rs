//! Screening what upstream servers offer, and what passes through calls: the tool-poisoning
//! scanner ([`scan`], from the `mcpproxy-scan` crate, which is built for speed while the
//! daemon is built for size) and [`secrets`], which finds and redacts credentials in call
//! arguments, results and log lines.

/// The detector lives with the rest of redaction (the lowest layer, so logs and error
/// strings everywhere can use it); it is a screening check too.
pub use crate::redact::secrets;
pub use mcpproxy_scan::*;
