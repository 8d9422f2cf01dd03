//! Word classes the intent rules are written in: "an override verb followed by a reference to
//! earlier instructions", "a send verb whose destination is external". A word may be in
//! several classes. Words are looked up folded (ASCII lowercase).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

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

const WORDS: &[(&str, Class)] = &[
    // Discarding instructions.
    ("ignore", OVERRIDE),
    ("disregard", OVERRIDE),
    ("forget", OVERRIDE),
    ("override", OVERRIDE | MANIPULATE),
    ("bypass", OVERRIDE),
    ("circumvent", OVERRIDE),
    ("abandon", OVERRIDE),
    ("discard", OVERRIDE),
    ("overrule", OVERRIDE),
    ("disobey", OVERRIDE),
    ("drop", OVERRIDE),
    ("previous", PRIOR | QUALIFIER),
    ("prior", PRIOR | QUALIFIER),
    ("above", PRIOR | QUALIFIER),
    ("earlier", PRIOR | QUALIFIER),
    ("preceding", PRIOR | QUALIFIER),
    ("foregoing", PRIOR | QUALIFIER),
    ("former", PRIOR | QUALIFIER),
    ("original", QUALIFIER),
    ("initial", QUALIFIER),
    ("instructions", INSTRUCTIONS),
    ("instruction", INSTRUCTIONS),
    ("directions", INSTRUCTIONS),
    ("directives", INSTRUCTIONS),
    ("directive", INSTRUCTIONS),
    ("rules", INSTRUCTIONS),
    ("guidelines", INSTRUCTIONS),
    ("guidance", INSTRUCTIONS),
    ("guardrails", INSTRUCTIONS),
    ("constraints", INSTRUCTIONS),
    ("restrictions", INSTRUCTIONS),
    ("policy", INSTRUCTIONS),
    ("policies", INSTRUCTIONS),
    ("safeguards", INSTRUCTIONS),
    ("programming", INSTRUCTIONS),
    ("prompt", INSTRUCTIONS),
    ("prompts", INSTRUCTIONS),
    ("limitations", INSTRUCTIONS),
    ("filters", INSTRUCTIONS),
    ("checks", INSTRUCTIONS),
    ("orders", INSTRUCTIONS),
    ("commands", INSTRUCTIONS),
    ("your", QUALIFIER | ADDRESSEE),
    ("system", QUALIFIER),
    ("safety", QUALIFIER),
    ("security", QUALIFIER),
    ("ethical", QUALIFIER),
    ("its", QUALIFIER),
    ("all", QUALIFIER | WHOLESALE),
    ("any", QUALIFIER | WHOLESALE),
    ("every", WHOLESALE),
    ("each", WHOLESALE),
    ("entire", WHOLESALE),
    ("whole", WHOLESALE),
    ("full", WHOLESALE),
    ("everything", WHOLESALE | DATA),
    ("copy", WHOLESALE | SEND),
    ("existing", QUALIFIER),
    ("developer", QUALIFIER),
    ("proxy's", QUALIFIER),
    ("model's", QUALIFIER),
    ("assistant's", QUALIFIER),
    ("user's", PERSON | QUALIFIER),
    ("users'", PERSON),
    // Disclosing.
    ("reveal", REVEAL | TELL),
    ("print", REVEAL),
    ("output", REVEAL | DATA | CHANNEL),
    ("show", REVEAL | TELL),
    ("display", REVEAL),
    ("leak", REVEAL | SEND),
    ("disclose", REVEAL | TELL),
    ("repeat", REVEAL),
    ("dump", REVEAL | ACCESS),
    ("expose", REVEAL),
    ("share", REVEAL | SEND),
    ("recite", REVEAL),
    ("echo", REVEAL),
    ("return", REVEAL),
    ("provide", REVEAL),
    ("give", REVEAL),
    ("write", REVEAL),
    ("paste", REVEAL),
    ("tell", TELL),
    // Reading.
    ("read", ACCESS),
    ("reads", ACCESS),
    ("reading", ACCESS),
    ("cat", ACCESS),
    ("open", ACCESS),
    ("opens", ACCESS),
    ("load", ACCESS),
    ("loads", ACCESS),
    ("access", ACCESS),
    ("accesses", ACCESS),
    ("grab", ACCESS),
    ("grabs", ACCESS),
    ("collect", ACCESS),
    ("collects", ACCESS),
    ("harvest", ACCESS),
    ("harvests", ACCESS),
    ("steal", ACCESS | HARM),
    ("steals", ACCESS | HARM),
    ("copies", ACCESS | SEND),
    ("extract", ACCESS),
    ("extracts", ACCESS),
    ("include", ACCESS),
    ("includes", ACCESS),
    ("attach", ACCESS),
    ("attaches", ACCESS),
    ("embed", ACCESS),
    ("embeds", ACCESS),
    ("embedding", ACCESS),
    ("append", ACCESS),
    ("appends", ACCESS),
    ("insert", ACCESS),
    ("inserts", ACCESS),
    ("pass", ACCESS),
    ("passes", ACCESS),
    ("retrieve", ACCESS),
    ("fetch", ACCESS),
    ("gather", ACCESS),
    ("gathers", ACCESS),
    ("obtain", ACCESS),
    ("scrape", ACCESS),
    ("contents", ACCESS | DATA),
    ("content", DATA | CONTENT),
    // Sending.
    ("send", SEND),
    ("sends", SEND),
    ("sending", SEND),
    ("post", SEND),
    ("posts", SEND),
    ("posting", SEND),
    ("upload", SEND),
    ("uploads", SEND),
    ("uploading", SEND),
    ("forward", SEND),
    ("forwards", SEND),
    ("forwarding", SEND),
    ("transmit", SEND),
    ("transmits", SEND),
    ("exfiltrate", SEND | HARM),
    ("exfiltrates", SEND | HARM),
    ("exfiltrating", SEND | HARM),
    ("exfiltration", HARM),
    ("leaks", SEND),
    ("beacon", SEND),
    ("beacons", SEND),
    ("submit", SEND),
    ("relay", SEND),
    ("relays", SEND),
    ("pipe", SEND),
    ("pipes", SEND),
    ("mirror", SEND),
    ("mirrors", SEND),
    ("bcc", SEND),
    ("bcc'd", SEND),
    ("cc'd", SEND),
    ("deliver", SEND),
    ("delivers", SEND),
    ("ship", SEND),
    ("ships", SEND),
    ("dispatch", SEND),
    ("transfer", SEND),
    ("reroute", SEND | MANIPULATE),
    ("reroutes", SEND | MANIPULATE),
    ("redirect", SEND | MANIPULATE),
    ("redirects", SEND | MANIPULATE),
    // Where to.
    ("external", EXTERNAL),
    ("externally", EXTERNAL),
    ("remote", EXTERNAL),
    ("third-party", EXTERNAL),
    ("outside", EXTERNAL),
    ("offsite", EXTERNAL),
    ("foreign", EXTERNAL),
    ("our", EXTERNAL),
    ("attacker", HOSTILE),
    ("attacker's", HOSTILE),
    ("attackers", HOSTILE),
    ("collector", HOSTILE),
    ("exfil", HOSTILE),
    ("evil", HOSTILE),
    ("malicious", HOSTILE | HARM),
    ("pastebin", HOSTILE),
    ("ngrok", HOSTILE),
    ("caller", INTERNAL | PERSON),
    ("caller's", INTERNAL),
    ("client", INTERNAL),
    ("local", INTERNAL),
    ("locally", INTERNAL),
    ("given", INTERNAL),
    ("specified", INTERNAL),
    ("provided", INTERNAL),
    ("requested", INTERNAL),
    ("configured", INTERNAL),
    ("selected", INTERNAL),
    ("chosen", INTERNAL),
    ("recipient", INTERNAL),
    ("recipients", INTERNAL),
    ("their", INTERNAL),
    // Secrets in words.
    ("credentials", SECRET | SECRET_TOPIC),
    ("credential", SECRET | SECRET_TOPIC),
    ("creds", SECRET | SECRET_TOPIC),
    ("password", SECRET | SECRET_TOPIC),
    ("passwords", SECRET | SECRET_TOPIC),
    ("passwd", SECRET | SECRET_TOPIC),
    ("passphrase", SECRET | SECRET_TOPIC),
    ("secret", SECRET | SECRET_TOPIC),
    ("secrets", SECRET | SECRET_TOPIC),
    ("token", SECRET_TOPIC),
    ("tokens", SECRET | SECRET_TOPIC),
    ("apikey", SECRET | SECRET_TOPIC),
    ("apikeys", SECRET | SECRET_TOPIC),
    ("cookies", SECRET),
    ("cookie", SECRET_TOPIC),
    ("clipboard", SECRET | SECRET_TOPIC),
    ("keychain", SECRET | SECRET_TOPIC),
    ("keyring", SECRET | SECRET_TOPIC),
    ("wallet", SECRET | SECRET_TOPIC),
    ("mnemonic", SECRET),
    ("ssh", SECRET_TOPIC),
    ("key", SECRET_TOPIC),
    ("keys", SECRET_TOPIC),
    ("vault", SECRET_TOPIC),
    ("env", SECRET_TOPIC),
    ("dotenv", SECRET_TOPIC),
    ("aws", SECRET_TOPIC),
    ("gcp", SECRET_TOPIC),
    ("azure", SECRET_TOPIC),
    ("auth", SECRET_TOPIC),
    ("gpg", SECRET_TOPIC),
    ("pgp", SECRET_TOPIC),
    ("cert", SECRET_TOPIC),
    ("certs", SECRET_TOPIC),
    ("certificate", SECRET_TOPIC),
    ("certificates", SECRET_TOPIC),
    ("kubeconfig", SECRET_TOPIC),
    ("sftp", SECRET_TOPIC),
    // Negation.
    ("not", NEGATION),
    ("never", NEGATION),
    ("no", NEGATION),
    ("don't", NEGATION),
    ("doesn't", NEGATION),
    ("won't", NEGATION),
    ("cannot", NEGATION),
    ("can't", NEGATION),
    ("nor", NEGATION),
    ("without", NEGATION),
    ("rather", NEGATION),
    ("instead", LEAD_IN),
    // Talking about text rather than saying it.
    ("detect", META),
    ("detects", META),
    ("detecting", META),
    ("detection", META),
    ("detector", META),
    ("flag", META),
    ("flags", META),
    ("flagging", META),
    ("scan", META),
    ("scans", META),
    ("scanning", META),
    ("scanner", META),
    ("analyze", META),
    ("analyzes", META),
    ("analyse", META),
    ("analyses", META),
    ("analyzing", META),
    ("classify", META),
    ("classifies", META),
    ("explain", META),
    ("explains", META),
    ("explaining", META),
    ("describe", META),
    ("describes", META),
    ("describing", META),
    ("documentation", META),
    ("documents", META),
    ("such", META),
    ("e.g", META),
    ("i.e", META),
    ("identify", META),
    ("identifies", META),
    ("recognize", META),
    ("recognizes", META),
    ("warn", META),
    ("warns", META),
    ("block", META),
    ("blocks", META),
    ("prevent", META),
    ("prevents", META),
    ("guard", META),
    ("guards", META),
    ("guardrail", META),
    ("protect", META),
    ("protects", META),
    ("whether", META),
    ("quotes", META),
    ("refers", META),
    ("lists", META),
    ("phrase", META),
    ("phrases", META),
    ("string", META),
    ("strings", META),
    ("pattern", META),
    ("patterns", META),
    ("injection", META),
    ("injections", META),
    ("attack", META),
    ("attacks", META),
    ("jailbreaks", META),
    ("illustrative", META),
    ("hypothetical", META),
    ("simulates", META),
    ("rejects", META),
    ("redacts", META),
    ("audit", META),
    ("audits", META),
    ("example", META | SAMPLE),
    ("examples", META | SAMPLE),
    ("sample", SAMPLE),
    ("samples", SAMPLE),
    ("expected", SAMPLE),
    ("mock", SAMPLE),
    ("mocked", SAMPLE),
    ("canned", SAMPLE),
    ("fixture", SAMPLE),
    ("fixtures", SAMPLE),
    ("training", SAMPLE),
    ("dummy", SAMPLE),
    ("placeholder", SAMPLE),
    ("demo", SAMPLE),
    ("test", SAMPLE),
    ("response", SAMPLE | CHANNEL | DATA),
    ("reply", SAMPLE),
    ("text", SAMPLE),
    ("returns", SAMPLE),
    ("quote", SAMPLE),
    ("quoted", SAMPLE),
    ("verbatim", SAMPLE),
    // Opening an imperative.
    ("please", LEAD_IN),
    ("kindly", LEAD_IN),
    ("now", LEAD_IN),
    ("also", LEAD_IN),
    ("then", LEAD_IN),
    ("and", LEAD_IN),
    ("so", LEAD_IN),
    ("but", LEAD_IN),
    ("first", LEAD_IN),
    ("firstly", LEAD_IN),
    ("next", LEAD_IN),
    ("finally", LEAD_IN),
    ("always", LEAD_IN | MODAL),
    ("immediately", LEAD_IN),
    ("just", LEAD_IN),
    ("simply", LEAD_IN),
    ("additionally", LEAD_IN),
    ("furthermore", LEAD_IN),
    ("moreover", LEAD_IN),
    ("hereby", LEAD_IN),
    ("from", LEAD_IN),
    ("on", LEAD_IN),
    ("important", LEAD_IN),
    ("note", LEAD_IN),
    ("to", LEAD_IN),
    ("must", LEAD_IN | MODAL),
    ("should", LEAD_IN | MODAL),
    ("shall", LEAD_IN | MODAL),
    ("need", LEAD_IN | MODAL),
    ("have", LEAD_IN | MODAL),
    ("are", LEAD_IN | MODAL),
    ("required", LEAD_IN | MODAL),
    ("will", MODAL),
    ("you", LEAD_IN | ADDRESSEE),
    ("assistant", ADDRESSEE),
    ("model", ADDRESSEE),
    ("ai", ADDRESSEE),
    ("agent", ADDRESSEE),
    ("llm", ADDRESSEE),
    ("claude", ADDRESSEE),
    ("gpt", ADDRESSEE),
    ("chatgpt", ADDRESSEE),
    // Concealment.
    ("mention", TELL),
    ("inform", TELL),
    ("notify", TELL),
    ("alert", TELL),
    ("let", TELL),
    ("explain", TELL),
    ("acknowledge", TELL),
    ("say", TELL),
    ("telling", TELL),
    ("informing", TELL),
    ("notifying", TELL),
    ("alerting", TELL),
    ("mentioning", TELL),
    ("silently", STEALTH),
    ("secretly", STEALTH),
    ("covertly", STEALTH),
    ("quietly", STEALTH),
    ("stealthily", STEALTH),
    ("surreptitiously", STEALTH),
    ("invisibly", STEALTH),
    ("discreetly", STEALTH),
    ("user", PERSON),
    ("users", PERSON),
    ("human", PERSON),
    ("them", PERSON),
    ("anyone", PERSON),
    ("anybody", PERSON),
    ("operator", PERSON),
    // Channels.
    ("argument", CHANNEL),
    ("arg", CHANNEL),
    ("field", CHANNEL),
    ("parameter", CHANNEL),
    ("param", CHANNEL),
    ("property", CHANNEL),
    ("variable", CHANNEL),
    ("body", CHANNEL),
    ("sidenote", CHANNEL),
    ("header", CHANNEL),
    ("metadata", CHANNEL),
    ("answer", CHANNEL),
    // Approval.
    ("approved", APPROVAL),
    ("approval", APPROVAL),
    ("approves", APPROVAL),
    ("review", APPROVAL),
    ("reviewed", APPROVAL),
    ("whitelisted", APPROVAL),
    ("allowlisted", APPROVAL),
    ("trusted", APPROVAL),
    ("vetted", APPROVAL),
    ("arbitrary", HARM),
    ("payload", HARM),
    ("backdoor", HARM),
    ("swap", HARM),
    ("swaps", HARM),
    ("benignly", HARM),
    ("keylogger", HARM),
    ("ransomware", HARM),
    // Another tool's behaviour.
    ("modify", MANIPULATE),
    ("modifies", MANIPULATE),
    ("alter", MANIPULATE),
    ("alters", MANIPULATE),
    ("intercept", MANIPULATE),
    ("intercepts", MANIPULATE),
    ("hijack", MANIPULATE),
    ("hijacks", MANIPULATE),
    ("overrides", MANIPULATE),
    ("called", CALLED),
    ("invoked", CALLED),
    ("used", CALLED),
    ("executed", CALLED),
    ("triggered", CALLED),
    ("run", CALLED | DIRECT_CALL | EXECUTE),
    ("call", DIRECT_CALL),
    ("invoke", DIRECT_CALL),
    ("use", DIRECT_CALL),
    ("trigger", DIRECT_CALL),
    ("running", DIRECT_CALL),
    ("before", DIRECT_CALL),
    // Acting on read content.
    ("obey", OBEY),
    ("obeys", OBEY),
    ("follows", OBEY),
    ("follow", OBEY),
    ("execute", OBEY | EXECUTE),
    ("executing", EXECUTE),
    ("comply", OBEY),
    ("treat", OBEY),
    ("carry", OBEY),
    ("page", CONTENT),
    ("pages", CONTENT),
    ("feed", CONTENT),
    ("item", CONTENT),
    ("items", CONTENT),
    ("email", CONTENT | SEND),
    ("emails", CONTENT),
    ("document", CONTENT),
    ("website", CONTENT),
    ("site", CONTENT),
    ("web", CONTENT),
    ("comment", CONTENT),
    ("comments", CONTENT),
    ("issue", CONTENT),
    ("result", DATA),
    ("results", DATA),
    ("outputs", DATA),
    ("message", DATA),
    ("messages", DATA),
    ("conversation", DATA),
    ("history", DATA),
    ("transcript", DATA),
    ("data", DATA),
    ("details", DATA),
    ("files", DATA),
    ("input", DATA),
    ("inputs", DATA),
    ("query", DATA),
    ("queries", DATA),
    ("information", DATA),
    ("logs", DATA),
    ("eval", EXECUTE),
    ("shell", EXECUTE),
    // Reporting verbs: what follows them is reported speech.
    ("tries", REPORTING),
    ("try", REPORTING),
    ("attempts", REPORTING),
    ("attempt", REPORTING),
    ("asks", REPORTING),
    ("ask", REPORTING),
    ("tells", REPORTING),
    ("trick", REPORTING),
    ("tricks", REPORTING),
    ("that", REPORTING),
    ("which", REPORTING),
    ("who", REPORTING),
    ("how", REPORTING),
    ("when", REPORTING),
];

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
