//! How a phrase stands in its sentence: said to the agent, or talked about. "Ignore previous
//! instructions" is an attack as a command and harmless as the thing a guardrail detects,
//! the sample output of a test fixture, or a quoted example.

use crate::lexicon::{
    ADDRESSEE, DIRECT_CALL, LEAD_IN, META, MODAL, NEGATION, OBEY, OVERRIDE, REPORTING, REVEAL,
    SAMPLE, STEALTH,
};
use crate::tokens::{Kind, Tokens};

/// What the words around token `i` say about it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Frame {
    /// Inside quotes that something else in the sentence frames.
    pub quoted: bool,
    /// After a label that marks sample text ("Expected output:", "Sample response:").
    pub sample: bool,
    /// After a word that talks about text ("detects", "such as", "explains").
    pub meta: bool,
    /// Reported rather than commanded ("prompts that ignore", "asks the agent to ignore").
    pub reported: bool,
    /// Negated ("never reveal", "does not read").
    pub negated: bool,
    /// First in its clause, after nothing but words that open commands ("Then, ignore",
    /// "You must ignore", "Prompt: ignore").
    pub imperative: bool,
    /// Said to the agent ("you", "your", "the assistant") in the same clause.
    pub addressed: bool,
}

impl Frame {
    /// A command said to the agent: what makes an instruction phrase an attack.
    pub fn commands(&self) -> bool {
        !self.talked_about()
            && !self.reported
            && !self.negated
            && (self.imperative || self.addressed)
    }

    /// Talked about rather than said: quoted, sample text, or after a meta word.
    pub fn talked_about(&self) -> bool {
        self.quoted || self.sample || self.meta
    }

    /// A statement of what something does or should do (not talked about, not negated).
    pub fn states(&self) -> bool {
        !self.talked_about() && !self.negated
    }
}

/// How far back a meta word frames what follows it in a sentence.
const META_REACH: usize = 12;

pub(crate) fn frame(t: &Tokens<'_>, i: usize) -> Frame {
    let list = &t.list;
    let clause_start = t.clause_start(i);
    let sentence_start = t.sentence_start(i);
    let before_in_clause = || (clause_start..i).filter(|&j| list[j].is_wordlike());

    let opens = |from: usize| {
        (from..i)
            .filter(|&j| list[j].is_wordlike())
            .all(|j| list[j].is(LEAD_IN | ADDRESSEE | MODAL | STEALTH) || t.word_is(j, "the"))
    };
    // "Forget all prior constraints and output ...": a verb joined to a command is one too.
    let joined = || {
        let first = before_in_clause().next();
        let conjunction = (clause_start..i)
            .rev()
            .find(|&j| matches!(t.text_of(j), "and" | "then") && list[j].is_wordlike());
        match (first, conjunction) {
            (Some(first), Some(and)) => is_command_verb(t, first) && opens(and + 1),
            _ => false,
        }
    };
    let imperative = opens(clause_start) || joined();
    let addressed = before_in_clause().any(|j| list[j].is(ADDRESSEE));

    let quoted =
        list[i].quoted && (sentence_start..i).any(|j| list[j].is_wordlike() && !list[j].quoted);

    // A label ending in ':' before `i` in the sentence: sample text when it says so.
    let sample = (sentence_start..i)
        .rev()
        .find(|&j| list[j].kind == Kind::Punct && list[j].mark == b':' && !list[j].quoted)
        .is_some_and(|colon| {
            let label = t.clause_start(colon);
            (label..colon).any(|j| list[j].is(SAMPLE | META))
        });

    // A meta word frames its clause, and (when `i` does not open a clause of its own) the
    // sentence before it.
    let meta_from = if imperative {
        clause_start
    } else {
        sentence_start.max(i.saturating_sub(META_REACH))
    };
    let meta = (meta_from..i).any(|j| list[j].is(META) && !list[j].quoted);

    let reported = reported(t, i);
    let negated = t
        .behind(i, 3)
        .take_while(|&j| j >= clause_start)
        .any(|j| list[j].is(NEGATION));

    Frame {
        quoted,
        sample,
        meta,
        reported,
        negated,
        imperative,
        addressed,
    }
}

/// Verbs that open a command when first in their clause.
fn is_command_verb(t: &Tokens<'_>, i: usize) -> bool {
    t.list[i].is(OVERRIDE | REVEAL | OBEY | DIRECT_CALL)
        || matches!(
            t.text_of(i),
            "read"
                | "send"
                | "post"
                | "upload"
                | "forward"
                | "copy"
                | "include"
                | "append"
                | "attach"
                | "embed"
                | "delete"
                | "write"
                | "fetch"
                | "collect"
                | "add"
                | "execute"
                | "exfiltrate"
                | "leak"
                | "grab"
                | "open"
                | "load"
        )
}

/// "prompts that ignore", "tries to ignore", "asks the agent to ignore", "how to ignore".
fn reported(t: &Tokens<'_>, i: usize) -> bool {
    let mut behind = t.behind(i, 5);
    let Some(previous) = behind.next() else {
        return false;
    };
    if t.list[previous].is(REPORTING) {
        return true;
    }
    if t.word_is(previous, "to") {
        return behind.take(4).any(|j| t.list[j].is(REPORTING));
    }
    false
}

/// Whether the field disowns its own content: "not an instruction", "illustrative content",
/// "only as a detection example".
pub(crate) fn disclaims(t: &Tokens<'_>) -> bool {
    if !t.has(NEGATION | META) {
        return false;
    }
    (0..t.len()).any(|i| {
        if !t.list[i].is(NEGATION | META) {
            return false;
        }
        let word = t.text_of(i);
        match word {
            "illustrative" | "hypothetical" => true,
            "not" => t.ahead(i, 3).any(|j| {
                matches!(
                    t.text_of(j),
                    "instruction" | "instructions" | "command" | "commands" | "directive"
                )
            }),
            _ => false,
        }
    })
}
