//! Rules of intent: what a field asks the agent to do, read in folded tokens. Each rule pairs
//! an intent (a verb, a label) with a target (instructions, a secret, a destination,
//! another tool) and checks how the pair is framed, so that a tool describing an attack is
//! not taken for one.

mod asks;
mod changes;
mod conceal;
mod data;
mod frame;

use super::fold::Folded;
use super::lexicon::{self, SECRET_TOPIC};
use super::tokens::Tokens;
use crate::{FindingCategory, Severity};

/// One field's text as the rules read it.
pub(crate) struct FieldText<'a> {
    pub original: &'a str,
    pub folded: &'a Folded,
    pub tokens: Tokens<'a>,
    /// The clause that says what the item is for (the description's first), if this field
    /// holds it.
    pub purpose_clause: Option<u32>,
    /// The field disowns its own content ("not an instruction", "illustrative").
    pub disclaimed: bool,
}

impl<'a> FieldText<'a> {
    pub fn new(original: &'a str, folded: &'a Folded, states_purpose: bool) -> Self {
        let tokens = Tokens::new(&folded.text);
        let purpose_clause = if states_purpose {
            tokens
                .list
                .iter()
                .find(|t| t.is_wordlike())
                .map(|t| t.clause)
        } else {
            None
        };
        let disclaimed = frame::disclaims(&tokens);
        Self {
            original,
            folded,
            tokens,
            purpose_clause,
            disclaimed,
        }
    }

    /// Whether token `i` is in the clause that says what the item is for.
    pub fn in_purpose(&self, i: usize) -> bool {
        self.purpose_clause == Some(self.tokens.list[i].clause)
    }
}

/// What the rules know about the whole item.
#[derive(Debug, Default)]
pub(crate) struct ItemContext {
    /// The item's name, folded.
    pub name: String,
    /// Its name or title is about secrets ("read_credentials", "ssh_keys", "vault_get").
    pub secret_purpose: bool,
    /// Its name says it sends things ("send_email", "post_message", "upload_file").
    pub send_purpose: bool,
    /// Somewhere it tells the agent to hide something from the person.
    pub concealment: bool,
}

impl ItemContext {
    pub fn new(name: &str, title: Option<&str>) -> Self {
        let words = |text: &str| -> Vec<String> { split_name(text) };
        let mut all = words(name);
        if let Some(title) = title {
            all.extend(words(title));
        }
        let secret_purpose = all.iter().any(|w| lexicon::classes(w) & SECRET_TOPIC != 0);
        let send_purpose = all.iter().any(|w| {
            matches!(
                w.as_str(),
                "send"
                    | "post"
                    | "upload"
                    | "email"
                    | "mail"
                    | "notify"
                    | "webhook"
                    | "publish"
                    | "share"
                    | "forward"
                    | "push"
                    | "sync"
                    | "transfer"
                    | "submit"
                    | "tweet"
                    | "message"
                    | "slack"
                    | "sms"
                    | "http"
                    | "request"
                    | "api"
                    | "report"
            )
        });
        Self {
            name: name.to_lowercase(),
            secret_purpose,
            send_purpose,
            concealment: false,
        }
    }
}

/// The words of a name: `readCredentials`, `read_credentials`, `read-credentials` and
/// "Read credentials" all give `read`, `credentials`.
pub(crate) fn split_name(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// A rule's finding, in folded offsets of its field.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub category: FindingCategory,
    pub severity: Severity,
    pub start: usize,
    pub end: usize,
    pub message: &'static str,
}

impl Hit {
    /// A hit over tokens `from..=to` of `t`.
    pub fn over(
        t: &Tokens<'_>,
        from: usize,
        to: usize,
        category: FindingCategory,
        severity: Severity,
        message: &'static str,
    ) -> Self {
        Self::new(
            category,
            severity,
            t.list[from].start,
            t.list[to].end,
            message,
        )
    }

    pub fn new(
        category: FindingCategory,
        severity: Severity,
        start: usize,
        end: usize,
        message: &'static str,
    ) -> Self {
        Self {
            category,
            severity,
            start,
            end,
            message,
        }
    }
}

/// Whether the field tells the agent to hide something (read before the other rules, which
/// weigh everything else in the item by it).
pub(crate) fn conceals(field: &FieldText<'_>) -> bool {
    let mut hits = Vec::new();
    conceal::concealment(field, &mut hits);
    !hits.is_empty()
}

/// Every rule of intent over one field.
pub(crate) fn scan(field: &FieldText<'_>, item: &ItemContext) -> Vec<Hit> {
    let mut hits = Vec::new();
    asks::overrides(field, &mut hits);
    asks::prompt_leaks(field, &mut hits);
    asks::jailbreaks(field, &mut hits);
    asks::obeys_content(field, &mut hits);
    conceal::concealment(field, &mut hits);
    conceal::hidden_blocks(field, &mut hits);
    data::secret_access(field, item, &mut hits);
    data::exfiltration(field, item, &mut hits);
    changes::rug_pull(field, &mut hits);
    changes::tool_manipulation(field, item, &mut hits);
    hits
}
