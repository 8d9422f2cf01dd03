//! Screening what upstream servers offer, and what passes through calls.
//!
//! [`scan`] is the tool-poisoning scanner: deterministic checks on one item (a tool, prompt
//! or resource template) as the proxy sees it, in every text it carries: its name, title,
//! description and each string of its JSON (input schema property descriptions, enum
//! values, defaults, titles; a prompt's arguments). The checks:
//!
//! - asks aimed at the agent: overriding its instructions, disclosing its prompt,
//!   jailbreaks, obeying instructions found in content, hiding things from the person,
//!   text dressed as a system message (`<IMPORTANT>`, `<secret>`, "SYSTEM:");
//! - requests to read secrets (SSH keys, `.env`, cloud credentials) or send data to a
//!   destination the person did not choose;
//! - shadowing: instructions about other tools, a name or description that poses as another
//!   server's tool ([`Peers`]);
//! - unicode smuggling: zero-width and bidi characters, tag characters, look-alike letters;
//! - encoded payloads: base64, hex or URL-encoded text decoded and read again;
//! - a rug pull announced in the text ("once approved, it will ...").
//!
//! Every check pairs an intent with a target and weighs how it is framed, so a security
//! tool that *describes* an attack, a quoted phrase, sample output, or a tool that reads
//! the credentials it is named for, is not taken for an attack. Text is folded first
//! (look-alike letters read as ASCII, invisible characters dropped), so smuggling cannot
//! hide a phrase from the other checks. A finding of `medium` severity or more holds the
//! item ([`holds`]).
//!
//! The scanner is a crate of its own so that it can be built for speed while the daemon
//! is built for size (ARCHITECTURE.md, "Memory"); the daemon serves it as
//! `mcpproxy_daemon::security`, beside secret redaction.

mod encoded;
mod finding;
mod fold;
mod intent;
mod lexicon;
mod shadowing;
mod tokens;
mod unicode;

use std::fmt::Write as _;

use serde_json::Value;

pub use self::finding::{Finding, FindingCategory, Severity};
use self::fold::Folded;
use self::intent::{FieldText, ItemContext};
pub use self::shadowing::Peers;

/// One item as the proxy sees it, with the session it arrives in.
#[derive(Debug, Clone, Copy)]
pub struct ScanItem<'a> {
    pub server: &'a str,
    pub name: &'a str,
    pub title: Option<&'a str>,
    pub description: &'a str,
    /// The item's JSON, each part under the name findings give it: a tool's
    /// `input_schema` (and `output_schema`, `annotations`), a prompt's `arguments`, a
    /// resource template's `uri_template`. Every string and object key in them is read.
    pub fields: &'a [(&'a str, &'a Value)],
    /// The other items of the session, for shadowing; [`Peers::default`] when there are none.
    pub peers: &'a Peers,
}

/// Whether findings hold their item for review (any of `medium` severity or more).
pub fn holds(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity.holds())
}

/// Every finding in one item, ordered by field and position.
pub fn scan(item: &ScanItem<'_>) -> Vec<Finding> {
    let mut texts = vec![Text::new("name".into(), item.name, Role::Name)];
    if let Some(title) = item.title {
        texts.push(Text::new("title".into(), title, Role::Prose));
    }
    texts.push(Text::new(
        "description".into(),
        item.description,
        Role::Description,
    ));
    let mut path = String::new();
    for (label, value) in item.fields {
        path.clear();
        path.push_str(label);
        walk(&mut path, value, &mut texts);
    }

    // Only prose is read word by word; names, keys and type names get the character checks.
    let folded: Vec<Option<Folded>> = texts
        .iter()
        .map(|t| t.role.has_prose().then(|| Folded::new(t.text)))
        .collect();
    let views: Vec<Option<FieldText<'_>>> = texts
        .iter()
        .zip(&folded)
        .map(|(t, f)| {
            f.as_ref()
                .map(|f| FieldText::new(t.text, f, t.role == Role::Description))
        })
        .collect();
    let mut context = ItemContext::new(item.name, item.title);
    context.concealment = views.iter().flatten().any(intent::conceals);

    let mut findings = Vec::new();
    for (text, view) in texts.iter().zip(&views) {
        scan_field(
            &text.path,
            text.text,
            view.as_ref(),
            text.role,
            &context,
            0,
            &mut findings,
        );
    }
    if !item.peers.is_empty() {
        let key = shadowing::skeleton(item.name);
        if let Some((severity, message)) =
            shadowing::impersonation(item.peers, item.server, item.name, &key, item.description)
        {
            findings.push(finding(
                FindingCategory::Shadowing,
                severity,
                "name",
                item.name,
                0,
                item.name.len(),
                message,
            ));
        }
        let description = texts.iter().position(|t| t.role == Role::Description);
        if let Some(view) = description.and_then(|at| views[at].as_ref()) {
            let mut hits = Vec::new();
            shadowing::references(item.peers, item.server, &key, view, &mut hits);
            push_hits("description", view, hits, &mut findings);
        }
    }
    tidy(&mut findings, &texts);
    findings
}

/// What a text is to the item, which decides the checks it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Name,
    Description,
    /// A title, or a string in the item's JSON.
    Prose,
    /// A string in the JSON that names a type or format (`"type": "string"`): only the
    /// character checks apply.
    Structural,
    /// An object key in the JSON: only the character checks apply.
    Key,
}

impl Role {
    fn has_prose(self) -> bool {
        matches!(self, Self::Description | Self::Prose)
    }
}

struct Text<'a> {
    path: String,
    text: &'a str,
    role: Role,
}

impl<'a> Text<'a> {
    fn new(path: String, text: &'a str, role: Role) -> Self {
        Self { path, text, role }
    }
}

/// Keys whose string values are structure, not prose.
const STRUCTURAL_KEYS: &[&str] = &[
    "type",
    "format",
    "$schema",
    "$ref",
    "$id",
    "pattern",
    "contentEncoding",
    "contentMediaType",
];

/// Pushes every string of `value` (and every key worth a character check) under its path;
/// `path` is a buffer that ends where it started.
fn walk<'a>(path: &mut String, value: &'a Value, out: &mut Vec<Text<'a>>) {
    let len = path.len();
    match value {
        Value::String(s) if !s.is_empty() => {
            let structural = path
                .rsplit('.')
                .next()
                .is_some_and(|key| STRUCTURAL_KEYS.contains(&key));
            let role = if structural {
                Role::Structural
            } else {
                Role::Prose
            };
            out.push(Text::new(path.clone(), s, role));
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                // Writing to a String cannot fail.
                let _ = write!(path, "[{i}]");
                walk(path, item, out);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                path.push('.');
                path.push_str(key);
                // Keys only get the character checks: plain ASCII ones have nothing to find.
                if !key.is_ascii() || key.bytes().any(|b| b.is_ascii_control()) {
                    out.push(Text::new(path.clone(), key, Role::Key));
                }
                walk(path, item, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// How deep decoded text is decoded again (base64 inside base64).
const MAX_DECODE_DEPTH: u8 = 2;

fn scan_field(
    path: &str,
    original: &str,
    view: Option<&FieldText<'_>>,
    role: Role,
    context: &ItemContext,
    depth: u8,
    out: &mut Vec<Finding>,
) {
    for s in unicode::scan(original, role == Role::Name) {
        out.push(finding(
            unicode::CATEGORY,
            s.severity,
            path,
            original,
            s.start,
            s.end,
            s.message,
        ));
    }
    let Some(view) = view else {
        return;
    };
    push_hits(path, view, intent::scan(view, context), out);
    if depth >= MAX_DECODE_DEPTH {
        return;
    }
    for encoded in encoded::find(original) {
        let folded = Folded::new(&encoded.decoded);
        let inner_view = FieldText::new(&encoded.decoded, &folded, false);
        let mut inner = Vec::new();
        scan_field(
            path,
            &encoded.decoded,
            Some(&inner_view),
            Role::Prose,
            context,
            depth + 1,
            &mut inner,
        );
        let worst = inner
            .iter()
            .filter(|f| f.severity.holds())
            .max_by_key(|f| f.severity);
        let shell = encoded::shell_command(&encoded.decoded);
        let (severity, why) = match (worst, shell) {
            (Some(f), _) => (f.severity.max(Severity::High), f.message.clone()),
            (None, Some(what)) => (Severity::Critical, format!("a shell command that {what}")),
            (None, None) => continue,
        };
        let message = format!(
            "{} text decodes to \"{}\": {why}",
            encoded.scheme,
            unicode::clip(&encoded.decoded, 80)
        );
        out.push(finding(
            FindingCategory::EncodedPayload,
            severity,
            path,
            original,
            encoded.start,
            encoded.end,
            message,
        ));
    }
}

fn push_hits(path: &str, view: &FieldText<'_>, hits: Vec<intent::Hit>, out: &mut Vec<Finding>) {
    for hit in hits {
        let (start, end) = view.folded.original_span(hit.start, hit.end);
        out.push(finding(
            hit.category,
            hit.severity,
            path,
            view.original,
            start,
            end,
            hit.message.to_owned(),
        ));
    }
}

fn finding(
    category: FindingCategory,
    severity: Severity,
    field: &str,
    text: &str,
    start: usize,
    end: usize,
    message: String,
) -> Finding {
    Finding {
        category,
        severity,
        field: field.to_owned(),
        start,
        end,
        evidence: evidence(text.get(start..end).unwrap_or_default()),
        message,
    }
}

/// Evidence as a person can read it: invisible and control characters written as
/// `<U+XXXX>`, long text clipped.
fn evidence(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in unicode::clip(text, 200).chars() {
        if fold::is_invisible(c)
            || (c.is_control() && c != '\n')
            || ('\u{e000}'..='\u{f8ff}').contains(&c)
        {
            out.push_str(&format!("<U+{:04X}>", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Drops repeats (the same category over the same or a covering span of one field) and
/// orders findings by field, then position.
fn tidy(findings: &mut Vec<Finding>, texts: &[Text<'_>]) {
    let order = |field: &str| {
        texts
            .iter()
            .position(|t| t.path == field)
            .unwrap_or(usize::MAX)
    };
    findings.sort_by(|a, b| {
        (
            order(&a.field),
            a.start,
            std::cmp::Reverse(a.end),
            std::cmp::Reverse(a.severity),
        )
            .cmp(&(
                order(&b.field),
                b.start,
                std::cmp::Reverse(b.end),
                std::cmp::Reverse(b.severity),
            ))
    });
    let mut kept: Vec<Finding> = Vec::with_capacity(findings.len());
    for f in findings.drain(..) {
        let covered = kept.iter().any(|k| {
            k.field == f.field
                && k.category == f.category
                && k.start <= f.start
                && f.end <= k.end
                && k.severity >= f.severity
        });
        if !covered {
            kept.push(f);
        }
    }
    *findings = kept;
}

#[cfg(test)]
mod intent_tests;
#[cfg(test)]
mod item_tests;
