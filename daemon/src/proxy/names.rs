//! Tool names on `/mcp/all`: `server__tool`, at most 64 characters. A longer one keeps its
//! beginning and ends in a stable hash of the whole name, so it stays the same across
//! restarts and two long names never collide by truncation alone.

/// The longest tool name clients are guaranteed to accept.
pub const MAX_NAME: usize = 64;
/// Separates server and tool; server names cannot contain it.
pub const SEPARATOR: &str = "__";

/// The direct-mode name of `tool` on `server`.
pub fn direct_name(server: &str, tool: &str) -> String {
    let full = format!("{server}{SEPARATOR}{tool}");
    if full.len() <= MAX_NAME {
        return full;
    }
    let hash = format!("{:016x}", fnv1a(full.as_bytes()));
    let suffix = &hash[..10];
    let mut keep = MAX_NAME - suffix.len() - 1;
    while !full.is_char_boundary(keep) {
        keep -= 1;
    }
    format!("{}_{suffix}", &full[..keep])
}

/// FNV-1a: tiny, stable across versions and platforms (unlike std's `DefaultHasher`).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_plain() {
        assert_eq!(direct_name("demo", "calculate"), "demo__calculate");
    }

    #[test]
    fn long_names_are_cut_with_a_stable_distinct_suffix() {
        let tool_a = format!("{}_alpha", "x".repeat(70));
        let tool_b = format!("{}_beta", "x".repeat(70));
        let a = direct_name("server", &tool_a);
        let b = direct_name("server", &tool_b);
        assert_eq!(a.len(), MAX_NAME);
        assert!(a.starts_with("server__xxx"));
        assert_ne!(a, b);
        assert_eq!(a, direct_name("server", &tool_a), "stable");
        insta::assert_snapshot!(a, @"server__xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx_b64396aa2d");
    }
}
