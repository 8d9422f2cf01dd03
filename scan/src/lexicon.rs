//! Word classes the intent rules are written in: "an override verb followed by a reference to
//! earlier instructions", "a send verb whose destination is external". A word may be in
//! several classes. Words are looked up folded (ASCII lowercase).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

use self::words::WORDS;

mod words;

/// A set of word classes.
pub(crate) type Class = u64;

/// Base-form verbs that discard instructions: "ignore", "disregard", "forget".
pub(crate) const OVERRIDE: Class = 1 << 0;
/// "previous", "prior", "above": what came before.
pub(crate) const PRIOR: Class = 1 << 1;
/// What an agent follows: "instructions", "rules", "guidelines", "policy".
pub(crate) const INSTRUCTIONS: Class = 1 << 2;
/// Whose or which instructions: "your", "system", "safety", "all".
pub(crate) const QUALIFIER: Class = 1 << 3;
/// Base-form verbs that disclose: "reveal", "print", "output", "repeat".
pub(crate) const REVEAL: Class = 1 << 4;
/// Verbs that read or take something (any form): "read", "reads", "cat", "collect".
pub(crate) const ACCESS: Class = 1 << 5;
/// Verbs that move data somewhere (any form): "send", "posts", "upload", "forward".
pub(crate) const SEND: Class = 1 << 6;
/// Destinations outside what the person asked for, weakly: "external", "remote".
pub(crate) const EXTERNAL: Class = 1 << 7;
/// Destinations that are hostile by name: "attacker", "collector", "exfil".
pub(crate) const HOSTILE: Class = 1 << 8;
/// Destinations that are the person's own or the caller's: "caller", "given", "local".
pub(crate) const INTERNAL: Class = 1 << 9;
/// Secrets named in words: "credentials", "passwords", "tokens".
pub(crate) const SECRET: Class = 1 << 10;
/// Negations: "not", "never", "no".
pub(crate) const NEGATION: Class = 1 << 11;
/// Words that frame what follows as talked about, not said: "detects", "such", "example".
pub(crate) const META: Class = 1 << 12;
/// Frames that only mark quoted sample text: "sample", "expected", "mock".
pub(crate) const SAMPLE: Class = 1 << 13;
/// Words that may open an imperative clause: "please", "then", "also", "first", "you", "must".
pub(crate) const LEAD_IN: Class = 1 << 14;
/// Who a hidden instruction is for: "you", "assistant", "model", "agent".
pub(crate) const ADDRESSEE: Class = 1 << 15;
/// Verbs of telling: "tell", "mention", "inform", "reveal".
pub(crate) const TELL: Class = 1 << 16;
/// Adverbs of stealth: "silently", "secretly", "covertly".
pub(crate) const STEALTH: Class = 1 << 17;
/// The person: "user", "them", "anyone".
pub(crate) const PERSON: Class = 1 << 18;
/// Places in a call or answer data can be tucked into: "argument", "field", "body".
pub(crate) const CHANNEL: Class = 1 << 19;
/// Review and approval: "approved", "approval", "review".
pub(crate) const APPROVAL: Class = 1 << 20;
/// Harm a rug pull announces: "arbitrary", "exfiltration", "payload", "swap".
pub(crate) const HARM: Class = 1 << 21;
/// Verbs that change another tool's behaviour: "modify", "reroute", "intercept".
pub(crate) const MANIPULATE: Class = 1 << 22;
/// Participles of running a tool: "called", "invoked", "used".
pub(crate) const CALLED: Class = 1 << 23;
/// Verbs that act on text an agent reads: "obey", "follow", "execute", "treat".
pub(crate) const OBEY: Class = 1 << 24;
/// Untrusted content an agent reads: "page", "feed", "email", "document".
pub(crate) const CONTENT: Class = 1 << 25;
/// Words that make an object "everything": "every", "all", "entire", "copy".
pub(crate) const WHOLESALE: Class = 1 << 26;
/// Words that name secrets in a tool's own name: "ssh", "credentials", "vault".
pub(crate) const SECRET_TOPIC: Class = 1 << 27;
/// Verbs of directing a call: "call", "invoke", "run", "use".
pub(crate) const DIRECT_CALL: Class = 1 << 28;
/// Data that leaves with a send: "result", "output", "messages", "contents".
pub(crate) const DATA: Class = 1 << 29;
/// Verbs of running commands: "execute", "run", "eval".
pub(crate) const EXECUTE: Class = 1 << 30;
/// Modal verbs and their company: "must", "should", "will", "need".
pub(crate) const MODAL: Class = 1 << 31;
/// Gerunds and participles that make what follows the object of another verb ("tries to",
/// "asks ... to"): the following verb is reported, not commanded.
pub(crate) const REPORTING: Class = 1 << 32;
/// Words that open a phrase some rule matches word by word ("you are now", "pay no
/// attention", "whenever ... is called"): rules compare text only at these.
pub(crate) const ANCHOR: Class = 1 << 33;
/// First words of secrets named in two words: "SSH keys", "API tokens", "environment
/// variables", "chat history".
pub(crate) const SECRET_LEAD: Class = 1 << 34;
/// Given by the tokenizer, not the word list: a path token.
pub(crate) const PATH: Class = 1 << 35;
/// Given by the tokenizer: a tag, or a `[` or `{` that may open a role block.
pub(crate) const MARKUP: Class = 1 << 36;

/// FNV-1a: the words are short and trusted, so a fast hash beats SipHash here.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}

type Table = HashMap<&'static str, Class, BuildHasherDefault<Fnv>>;

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let mut table = Table::default();
    for &(word, class) in WORDS {
        *table.entry(word).or_insert(0) |= class;
    }
    table
});

/// The classes of a folded word; a possessive ("attacker's") falls back to its stem.
pub(crate) fn classes(word: &str) -> Class {
    let table = &*TABLE;
    if let Some(&class) = table.get(word) {
        return class;
    }
    match word.strip_suffix("'s") {
        Some(stem) => table.get(stem).copied().unwrap_or(0),
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_has_every_class_it_is_listed_with() {
        assert_eq!(
            classes("override") & (OVERRIDE | MANIPULATE),
            OVERRIDE | MANIPULATE
        );
        assert_ne!(classes("attacker's") & HOSTILE, 0);
        assert_ne!(classes("server's") & HOSTILE, HOSTILE);
        assert_eq!(classes("weather"), 0);
    }
}
