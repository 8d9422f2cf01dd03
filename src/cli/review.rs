//! How `upstream inspect`, `upstream approve NAME ITEM...` and `upstream reject` print what
//! the review knows: each item with its status, the scanner's findings with their evidence,
//! and for a changed item a line diff of the approved content against the new one.

use mcpproxy_daemon::protocol::{
    DiffLine, Finding, Inspection, ReviewDecided, ReviewItem, ReviewStatus, diff_text, line_diff,
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
