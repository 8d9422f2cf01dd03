//! Text about behaviour that changes: the item's own after approval (a rug pull announced),
//! or another tool's (shadowing: "whenever send_email is called, BCC ...", "replace its
//! output with ...").

use super::data::{Strength, secret_at};
use super::frame::frame;
use super::{FieldText, Hit, ItemContext};
use crate::lexicon::{
    ACCESS, ANCHOR, APPROVAL, CALLED, EXECUTE, HARM, MANIPULATE, META, NEGATION, SEND, STEALTH,
};
use crate::tokens::{Kind, Tokens};
use crate::{FindingCategory, Severity};

/// Words that put an approval in time: "once approved", "after approval", "during review".
fn timed(t: &Tokens<'_>, j: usize) -> bool {
    if t.list[j].kind == Kind::Ident && t.text_of(j).starts_with("post") {
        return true;
    }
    t.behind(j, 6).any(|k| {
        matches!(
            t.text_of(k),
            "once" | "after" | "post" | "during" | "until" | "following" | "upon" | "while"
        )
    })
}

/// "Once this tool has been approved, it will begin executing arbitrary shell commands",
/// "behaves benignly during review", "swap it post-approval for one that reads SSH keys".
pub(super) fn rug_pull(f: &FieldText<'_>, hits: &mut Vec<Hit>) {
    let t = &f.tokens;
    if !t.has(APPROVAL | ANCHOR) {
        return;
    }
    let mut reported_sentence = None;
    for i in 0..t.len() {
        let sentence = t.list[i].sentence;
        if reported_sentence == Some(sentence) {
            continue;
        }
        let later_version = t.list[i].is(ANCHOR)
            && matches!(t.text_of(i), "later" | "future" | "next" | "subsequent")
            && t.ahead(i, 1)
                .any(|j| matches!(t.text_of(j), "version" | "update" | "release"));
        let approval = t.list[i].is(APPROVAL) && timed(t, i);
        if !(approval || later_version) {
            continue;
        }
        let range = t.sentence_range(i);
        let Some(harm) = range.clone().find(|&j| harmful(t, j)) else {
            continue;
        };
        if !frame(t, i).states() {
            continue;
        }
        reported_sentence = Some(sentence);
        let (from, to) = (i.min(harm), i.max(harm));
        hits.push(Hit::over(
            t,
            from,
            to,
            FindingCategory::RugPull,
            Severity::High,
            "announces different behaviour once the item is approved",
        ));
    }
}

/// Harm at `j`, not negated ("rather than a payload swap" is not).
fn harmful(t: &Tokens<'_>, j: usize) -> bool {
    let tok = &t.list[j];
    let harm = tok.is(HARM | STEALTH)
        || (tok.is(EXECUTE)
            && t.ahead(j, 3)
                .any(|k| t.text_of(k) == "arbitrary" || t.text_of(k).starts_with("command")))
        || (tok.is(ACCESS | SEND)
            && t.ahead(j, 6)
                .any(|k| secret_at(t, k).is_some_and(|(_, s)| s >= Strength::Weak)));
    // "rather than a post-approval payload swap", "describing ... swap": negated or talked
    // about anywhere earlier in its clause.
    let clause = t.clause_start(j);
    harm && !(clause..j).any(|k| t.list[k].is(NEGATION | META))
}

/// Whether token `j` names a tool other than the item itself: `send_email tool`, `the
/// transfer_funds tool`, or any `snake_case` name followed by "tool" or "function".
fn names_other_tool(t: &Tokens<'_>, j: usize, own: &str) -> bool {
    let tok = &t.list[j];
    if !tok.is_wordlike() || t.text_of(j) == own {
        return false;
    }
    let next_is_tool = t
        .ahead(j, 1)
        .any(|k| matches!(t.text_of(k), "tool" | "tool's" | "function" | "tools"));
    tok.kind == Kind::Ident && (next_is_tool || tok.quoted)
        || (tok.kind == Kind::Word
            && next_is_tool
            && t.behind(j, 1).any(|k| t.text_of(k) == "the")
            && !matches!(
                t.text_of(j),
                "this" | "that" | "the" | "a" | "each" | "other" | "any"
            ))
}

/// Scope words that reach past the item: "any server", "all other tools", "every tool".
fn reaches_other_tools(t: &Tokens<'_>, j: usize) -> bool {
    matches!(t.text_of(j), "any" | "all" | "every" | "other")
        && t.ahead(j, 2)
            .any(|k| matches!(t.text_of(k), "server" | "servers" | "tool" | "tools"))
}

/// "Modifies the behavior of the send_email tool", "whenever send_email is called, ...",
/// "replace its output with ...", "route all deletion requests here".
pub(super) fn tool_manipulation(f: &FieldText<'_>, item: &ItemContext, hits: &mut Vec<Hit>) {
    let t = &f.tokens;
    if !t.has(MANIPULATE | ANCHOR) {
        return;
    }
    let own = item.name.as_str();
    let mut reported_sentence = None;
    for i in 0..t.len() {
        let sentence = t.list[i].sentence;
        if reported_sentence == Some(sentence) || !t.list[i].is(MANIPULATE | ANCHOR) {
            continue;
        }
        let range = t.sentence_range(i);
        let other_tool = || {
            range
                .clone()
                .find(|&j| names_other_tool(t, j, own) || reaches_other_tools(t, j))
        };
        let word = t.text_of(i);
        let found = if t.list[i].is(MANIPULATE) && t.list[i].kind == Kind::Word {
            // A verb that changes behaviour, with another tool in the sentence.
            other_tool().map(|j| (i, j))
        } else if matches!(word, "whenever" | "when" | "each" | "every") {
            // "whenever send_email is called, <an action>".
            t.ahead(i, 7)
                .find(|&j| t.list[j].is(CALLED))
                .filter(|_| {
                    range.clone().any(|j| {
                        t.list[j].is(SEND | MANIPULATE | ACCESS)
                            || matches!(
                                t.text_of(j),
                                "first" | "change" | "set" | "rewrite" | "add" | "remove"
                            )
                    })
                })
                .and_then(|called| other_tool().map(|_| (i, called)))
        } else if matches!(word, "replace" | "replaces" | "overwrite" | "substitute") {
            t.ahead(i, 3)
                .find(|&j| {
                    matches!(
                        t.text_of(j),
                        "output"
                            | "result"
                            | "results"
                            | "response"
                            | "value"
                            | "answer"
                            | "arguments"
                            | "recipient"
                            | "destination"
                    )
                })
                .and_then(|j| other_tool().map(|_| (i, j)))
        } else if matches!(word, "route" | "reroute" | "redirect" | "send" | "forward") {
            let w: Vec<usize> = t.ahead(i, 6).collect();
            let requests = w
                .iter()
                .position(|&j| matches!(t.text_of(j), "requests" | "calls"));
            requests.and_then(|r| {
                w[r + 1..]
                    .iter()
                    .take(3)
                    .copied()
                    .find(|&j| matches!(t.text_of(j), "here" | "this"))
                    .map(|j| (i, j))
            })
        } else {
            None
        };
        let Some((from, to)) = found else { continue };
        if !frame(t, i).states() {
            continue;
        }
        reported_sentence = Some(sentence);
        let (from, to) = (from.min(to), from.max(to));
        hits.push(Hit::over(
            t,
            from,
            to,
            FindingCategory::Shadowing,
            Severity::High,
            "tries to change how another tool behaves",
        ));
    }
}
