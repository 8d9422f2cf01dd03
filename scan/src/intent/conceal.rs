//! What is hidden from the person: asks to keep things from them ("do not mention this step
//! to the user", "silently append"), and markup that passes text off as a message from
//! someone other than the tool's author (`<secret>`, `<system>`, "SYSTEM:").

use super::frame::frame;
use super::{FieldText, Hit};
use crate::lexicon::{
    ACCESS, ADDRESSEE, ANCHOR, EXECUTE, INSTRUCTIONS, MANIPULATE, MARKUP, NEGATION, PERSON, REVEAL,
    SEND, STEALTH, TELL,
};
use crate::tokens::{Kind, Tokens};
use crate::{FindingCategory, Severity};

/// "Do not mention this step to the user", "never reveal these instructions", "without
/// telling them", "silently append".
pub(super) fn concealment(f: &FieldText<'_>, hits: &mut Vec<Hit>) {
    let t = &f.tokens;
    if !t.has(TELL | STEALTH | ANCHOR) {
        return;
    }
    for i in 0..t.len() {
        let tok = &t.list[i];
        let hit = if tok.is(TELL) && tok.kind == Kind::Word {
            hides_from_person(t, i)
        } else if tok.is(ANCHOR) && matches!(t.text_of(i), "keep" | "hide" | "conceal") {
            kept_from_person(t, i)
        } else if tok.is(STEALTH) {
            stealthy_action(t, i)
        } else {
            None
        };
        let Some((start, end)) = hit else { continue };
        let frame = frame(t, start);
        if frame.talked_about() {
            continue;
        }
        hits.push(Hit::over(
            t,
            start,
            end,
            FindingCategory::HiddenInstructions,
            Severity::High,
            "tells the agent to hide what it does from the person",
        ));
    }
}

/// A telling verb at `i` under a negation, aimed at the person or at these instructions.
fn hides_from_person(t: &Tokens<'_>, i: usize) -> Option<(usize, usize)> {
    let negation = t.behind(i, 2).find(|&j| t.list[j].is(NEGATION))?;
    let gerund = t.text_of(i).ends_with("ing");
    let fits = match t.text_of(negation) {
        "without" => gerund,
        "not" | "never" | "don't" | "nor" => !gerund,
        _ => false,
    };
    if !fits {
        return None;
    }
    let ahead: Vec<usize> = t.ahead(i, 6).collect();
    let person = ahead.iter().copied().find(|&j| t.list[j].is(PERSON));
    // "this step", "these instructions": the ask hides itself.
    let itself = ahead.iter().copied().take(3).find_map(|j| {
        if !matches!(t.text_of(j), "this" | "these" | "that" | "it") {
            return None;
        }
        t.ahead(j, 1).find(|&k| {
            matches!(
                t.text_of(k),
                "step"
                    | "steps"
                    | "instruction"
                    | "instructions"
                    | "note"
                    | "directive"
                    | "message"
                    | "tool"
                    | "behavior"
                    | "behaviour"
                    | "action"
                    | "call"
                    | "text"
                    | "rule"
                    | "you"
            )
        })
    });
    let end = match (person, itself) {
        (Some(p), Some(s)) => p.min(s),
        (p, s) => p.or(s)?,
    };
    Some((negation, end))
}

/// "Keep this instruction secret from the user", "hide it from them".
fn kept_from_person(t: &Tokens<'_>, i: usize) -> Option<(usize, usize)> {
    let ahead: Vec<usize> = t.ahead(i, 6).collect();
    let from = ahead.iter().position(|&j| t.word_is(j, "from"))?;
    let person = ahead[from + 1..]
        .iter()
        .copied()
        .take(2)
        .find(|&j| t.list[j].is(PERSON))?;
    let what = &ahead[..from];
    let secretly = what.iter().any(|&j| {
        matches!(
            t.text_of(j),
            "secret" | "hidden" | "confidential" | "private"
        )
    });
    let itself = what
        .iter()
        .any(|&j| matches!(t.text_of(j), "this" | "these" | "it" | "that"));
    (secretly || itself).then_some((i, person))
}

/// A stealth adverb next to a verb that moves, reads, runs or changes something.
fn stealthy_action(t: &Tokens<'_>, i: usize) -> Option<(usize, usize)> {
    let acts = |j: usize| {
        t.list[j].is(ACCESS | SEND | REVEAL | EXECUTE | MANIPULATE)
            || matches!(
                t.text_of(j),
                "add"
                    | "adds"
                    | "change"
                    | "changes"
                    | "bcc"
                    | "cc"
                    | "log"
                    | "record"
                    | "store"
                    | "save"
            )
    };
    let after = t.ahead(i, 2).find(|&j| acts(j));
    let before = t.behind(i, 1).find(|&j| acts(j));
    match (before, after) {
        (_, Some(j)) => Some((i, j)),
        (Some(j), None) => Some((j, i)),
        (None, None) => None,
    }
}

/// `<secret>`, `<system>`, `<|im_start|>`, `[ASSISTANT INSTRUCTIONS: ...]`, `{{ system }}`,
/// "SYSTEM:": text dressed up as a message from someone other than the tool's author.
/// `<important>` and "note to the assistant" alone hold nothing, but are reported.
pub(super) fn hidden_blocks(f: &FieldText<'_>, hits: &mut Vec<Hit>) {
    let t = &f.tokens;
    if !t.has(MARKUP | ANCHOR) {
        return;
    }
    for i in 0..t.len() {
        let tok = &t.list[i];
        let found = match tok.kind {
            Kind::Tag => tag_severity(t.text_of(i)).map(|s| {
                (
                    s,
                    i,
                    "markup that passes text off as a system or hidden message",
                )
            }),
            Kind::Punct if tok.mark == b'[' => bracket_label(t, i).map(|end| {
                (
                    Severity::High,
                    end,
                    "a bracketed block of instructions for the agent",
                )
            }),
            Kind::Punct
                if tok.mark == b'{' && t.list.get(i + 1).is_some_and(|n| n.mark == b'{') =>
            {
                t.ahead(i, 1)
                    .find(|&j| matches!(t.text_of(j), "system" | "assistant" | "admin"))
                    .map(|j| {
                        (
                            Severity::High,
                            j,
                            "a template block posing as a system message",
                        )
                    })
            }
            Kind::Word if tok.is(ANCHOR) => role_label(f, i),
            _ => None,
        };
        if let Some((severity, end, message)) = found {
            hits.push(Hit::new(
                FindingCategory::HiddenInstructions,
                severity,
                tok.start,
                t.list[end].end,
                message,
            ));
        }
    }
}

fn tag_severity(tag: &str) -> Option<Severity> {
    if tag.starts_with("</") {
        return None;
    }
    let name: String = tag
        .trim_matches(['<', '>', '|', '!', ' ', '/'])
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    match name.as_str() {
        "important" | "note" | "critical" | "warning" => Some(Severity::Low),
        "system"
        | "secret"
        | "hidden"
        | "instructions"
        | "instruction"
        | "assistant"
        | "admin"
        | "override"
        | "sys"
        | "im_start"
        | "inst"
        | "developer"
        | "system_prompt"
        | "prompt"
        | "hidden_instructions"
        | "context" => Some(Severity::High),
        _ => None,
    }
}

/// `[ASSISTANT INSTRUCTIONS:`, `[SYSTEM]`, `[INST]`, `[hidden note:`.
fn bracket_label(t: &Tokens<'_>, i: usize) -> Option<usize> {
    let words: Vec<usize> = t.ahead(i, 3).collect();
    let first = *words.first()?;
    let role = matches!(
        t.text_of(first),
        "assistant" | "ai" | "system" | "admin" | "hidden" | "inst" | "model" | "agent" | "llm"
    );
    if !role {
        return None;
    }
    let label_end = words
        .iter()
        .copied()
        .take_while(|&j| t.list[j].clause == t.list[first].clause)
        .last()?;
    let closes = t
        .list
        .get(label_end + 1)
        .is_some_and(|n| n.kind == Kind::Punct && matches!(n.mark, b':' | b']'));
    let names_instructions = (first..=label_end).any(|j| {
        t.list[j].is(INSTRUCTIONS) || matches!(t.text_of(j), "note" | "message" | "inst" | "system")
    });
    (closes && names_instructions).then_some(label_end)
}

/// "SYSTEM:" (in capitals, opening a clause), "note to the assistant:", "hidden directive:".
fn role_label(f: &FieldText<'_>, i: usize) -> Option<(Severity, usize, &'static str)> {
    let t = &f.tokens;
    let word = t.text_of(i);
    let colon_after = |j: usize| {
        t.list
            .get(j + 1)
            .is_some_and(|n| n.kind == Kind::Punct && n.mark == b':')
    };
    match word {
        "system" | "assistant" if colon_after(i) && t.clause_start(i) == i => {
            let tok = &t.list[i];
            let (s, e) = f.folded.original_span(tok.start, tok.end);
            let shouted = f.original[s..e].chars().all(|c| c.is_uppercase());
            shouted.then_some((Severity::Medium, i, "text labelled as a system message"))
        }
        "hidden" | "secret" => t
            .ahead(i, 1)
            .find(|&j| t.list[j].is(INSTRUCTIONS) && colon_after(j))
            .map(|j| {
                (
                    Severity::High,
                    j,
                    "a block of hidden instructions for the agent",
                )
            }),
        "note" => {
            let w: Vec<usize> = t.ahead(i, 3).collect();
            let to = w
                .first()
                .is_some_and(|&j| matches!(t.text_of(j), "to" | "for"));
            let who = w.iter().copied().find(|&j| t.list[j].is(ADDRESSEE))?;
            to.then_some((Severity::Low, who, "a note addressed to the agent"))
        }
        _ => None,
    }
}
