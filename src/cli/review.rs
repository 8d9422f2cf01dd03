//! How `upstream inspect`, `upstream approve NAME ITEM...` and `upstream reject` print what
//! the review knows: each item with its status, the scanner's findings with their evidence,
//! and for a changed item a line diff of the approved content against the new one.

use mcpproxy_daemon::protocol::{
    DiffLine, Finding, Inspection, ReviewDecided, ReviewDecision, ReviewItem, ReviewStatus,
    diff_text, line_diff,
};

pub fn render_inspection(inspection: &Inspection) -> String {
    let mut out = String::new();
    if inspection.review_mode {
        out.push_str(&format!(
            "{} is quarantined: connected only to read its items, then disconnected; nothing \
             was served\n",
            inspection.server
        ));
    }
    if inspection.items.is_empty() {
        out.push_str("it offers no tools, prompts or resource templates");
        return out;
    }
    let held = inspection
        .items
        .iter()
        .filter(|item| item.status.is_held())
        .count();
    for item in &inspection.items {
        render_item(item, &mut out);
    }
    if held > 0 {
        out.push_str(&format!(
            "\n{held} held; approve with `mcpproxy upstream approve {} ITEM...`, or keep off \
             with `mcpproxy upstream reject {} ITEM...`",
            inspection.server, inspection.server
        ));
    } else if inspection.review_mode {
        out.push_str(&format!(
            "\napprove the server with `mcpproxy upstream approve {}`",
            inspection.server
        ));
    }
    out.trim_end().to_owned()
}

pub fn render_decided(verb: &str, decided: &ReviewDecided) -> String {
    decided
        .items
        .iter()
        .map(|item| {
            format!(
                "{verb} {} {}:{}",
                item.kind.as_str(),
                decided.server,
                item.name
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn render_item(item: &ReviewItem, out: &mut String) {
    out.push_str(&format!(
        "{} {}  [{}]\n",
        item.kind.as_str(),
        item.name,
        status_label(item.status)
    ));
    if !item.reason.is_empty() {
        out.push_str(&format!("  {}\n", item.reason));
    }
    if item.status.is_held() {
        out.push_str(&format!(
            "  to approve exactly this content: `mcpproxy upstream approve {} {}`\n",
            mcpproxy_daemon::paths::shell_word(&item.server),
            mcpproxy_daemon::paths::shell_word(&format!(
                "{}@{}",
                item.name,
                short_hash(&item.hash)
            ))
        ));
    }
    for finding in &item.findings {
        out.push_str(&format!("  {}\n", finding_line(finding)));
    }
    if let (ReviewStatus::Changed, Some(pinned)) = (item.status, &item.pinned) {
        out.push_str("  changed (- approved, + now):\n");
        let (before, after) = (diff_text(pinned), diff_text(&item.content));
        for line in line_diff(&before, &after) {
            let (mark, text) = match line {
                DiffLine::Same(text) => (' ', text),
                DiffLine::Removed(text) => ('-', text),
                DiffLine::Added(text) => ('+', text),
            };
            out.push_str(&format!("  {mark} {text}\n"));
        }
    }
}

/// The first 12 hex digits of a content hash: what `ITEM@HASH` takes.
fn short_hash(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// Splits `ITEM@HASH` (a hex prefix of at least 8 digits) into the item's name and the
/// hash the person was shown; anything else is a plain name.
pub fn item_and_hash(arg: &str) -> (&str, Option<&str>) {
    match arg.rsplit_once('@') {
        Some((name, hash))
            if !name.is_empty()
                && hash.len() >= 8
                && hash.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            (name, Some(hash))
        }
        _ => (arg, None),
    }
}

/// The decision on `args` (`ITEM` or `ITEM@HASH` each).
pub fn decision(args: &[String]) -> ReviewDecision {
    let mut decision = ReviewDecision::default();
    for arg in args {
        let (name, hash) = item_and_hash(arg);
        decision.items.push(name.to_owned());
        if let Some(hash) = hash {
            decision
                .hashes
                .insert(name.to_owned(), hash.to_ascii_lowercase());
        }
    }
    decision
}

fn status_label(status: ReviewStatus) -> &'static str {
    match status {
        ReviewStatus::Pinned => "approved",
        ReviewStatus::Flagged => "held: flagged",
        ReviewStatus::Changed => "held: changed",
        ReviewStatus::Rejected => "held: rejected",
        ReviewStatus::Unreviewed => "not reviewed",
        ReviewStatus::Unknown => "unknown",
    }
}

fn finding_line(finding: &Finding) -> String {
    format!(
        "! {} {} in {}: \"{}\" ({})",
        finding.severity, finding.category, finding.field, finding.evidence, finding.message
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_may_carry_the_hash_the_person_was_shown() {
        assert_eq!(
            item_and_hash("echo@9a1e77b0c4d2"),
            ("echo", Some("9a1e77b0c4d2"))
        );
        assert_eq!(item_and_hash("echo"), ("echo", None));
        // Not a hash: too short, not hex, or no name before it.
        assert_eq!(item_and_hash("mail@home"), ("mail@home", None));
        assert_eq!(item_and_hash("a@9a1e"), ("a@9a1e", None));
        assert_eq!(item_and_hash("@9a1e77b0c4d2"), ("@9a1e77b0c4d2", None));
        let decision = decision(&["echo@9A1E77B0".to_owned(), "add".to_owned()]);
        assert_eq!(decision.items, ["echo", "add"]);
        assert_eq!(decision.hashes.len(), 1);
        assert_eq!(decision.hashes["echo"], "9a1e77b0");
    }
}
