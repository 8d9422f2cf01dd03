//! The secret detectors: a literal each one needs to see before it runs (so text without
//! any costs one Aho-Corasick pass), a regex, and a check on what the regex captured.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;

use super::SecretKind;

pub(super) struct Detector {
    pub kind: SecretKind,
    /// Literals (matched ASCII case-insensitively) of which one must occur for the regex to run.
    pub triggers: &'static [&'static str],
    pub regex: Regex,
    /// The capture group that is the secret (0 = the whole match).
    pub group: usize,
    pub check: fn(&str) -> bool,
}

fn any(_: &str) -> bool {
    true
}

/// Shannon entropy in bits per byte.
pub(super) fn entropy(text: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in text.bytes() {
        counts[b as usize] += 1;
    }
    let len = text.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

/// Values that stand for a secret without being one.
pub(super) fn placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    value.starts_with(['$', '<', '{', '%'])
        || value
            .chars()
            .all(|c| matches!(c, '*' | 'x' | 'X' | '.' | '-' | '_' | '•'))
        || lower.starts_with("[redacted")
        || matches!(
            lower.trim_matches(['"', '\'']),
            "true"
                | "false"
                | "null"
                | "none"
                | "undefined"
                | "string"
                | "required"
                | "optional"
                | "password"
                | "secret"
                | "token"
                | "changeme"
                | "example"
                | "your_api_key"
                | "your-api-key"
                | "redacted"
                | "hidden"
                | "masked"
        )
        || lower.contains("your_") && lower.contains("here")
}

/// A token-like value: long enough, varied enough, not a word.
pub(super) fn random_enough(value: &str) -> bool {
    let value = value.trim_matches(['"', '\'']);
    if value.len() < 12 || placeholder(value) {
        return false;
    }
    let digits = value.bytes().any(|b| b.is_ascii_digit());
    let letters = value.bytes().any(|b| b.is_ascii_alphabetic());
    let words_only = value
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'-');
    !words_only && (digits && letters || entropy(value) >= 3.5) && entropy(value) >= 3.0
}

/// A password value: anything but a placeholder, four characters or more.
pub(super) fn password_like(value: &str) -> bool {
    let value = value.trim_matches(['"', '\'']);
    value.len() >= 4 && !placeholder(value)
}

fn url_password(value: &str) -> bool {
    !value.is_empty() && !placeholder(value)
}

fn detector(
    kind: SecretKind,
    triggers: &'static [&'static str],
    pattern: &str,
    group: usize,
    check: fn(&str) -> bool,
) -> Detector {
    Detector {
        kind,
        triggers,
        // The patterns are constants checked by the tests; a bad one is a programming error.
        #[allow(clippy::expect_used)]
        regex: Regex::new(pattern).expect("secret pattern compiles"),
        group,
        check,
    }
}

/// Names of keys and query parameters that hold credentials.
pub(super) const CREDENTIAL_NAME: &str = r"(?:api[_\-]?key|apikey|secret|token|passwd|password|pwd|access[_\-]?key|private[_\-]?key|client[_\-]?secret|credential|auth)";

pub(super) static DETECTORS: LazyLock<Vec<Detector>> = LazyLock::new(|| {
    use SecretKind::*;
    vec![
        detector(
            AwsAccessKey,
            &[
                "akia", "asia", "abia", "acca", "agpa", "aida", "aipa", "anpa", "anva", "aroa",
                "apka", "asca",
            ],
            r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)[A-Z0-9]{16}\b",
            0,
            any,
        ),
        detector(
            AwsSecretKey,
            &["aws"],
            r#"(?i)aws[a-z0-9_.\-]{0,20}(?:secret|private)[a-z0-9_.\-]{0,20}["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#,
            1,
            any,
        ),
        detector(
            GcpServiceAccount,
            &["private_key_id"],
            r#""private_key_id"\s*:\s*"([a-f0-9]{40})""#,
            1,
            any,
        ),
        detector(GcpApiKey, &["aiza"], r"\bAIza[0-9A-Za-z_\-]{35}", 0, any),
        detector(
            GoogleOauthToken,
            &["ya29."],
            r"\bya29\.[0-9A-Za-z_\-]{20,}",
            0,
            any,
        ),
        detector(
            GithubToken,
            &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
            r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})",
            0,
            any,
        ),
        detector(
            GitlabToken,
            &[
                "glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "glsoat-", "glft-", "glimt-",
                "glagent-",
            ],
            r"\bgl(?:pat|dt|rt|ptt|cbt|soat|ft|imt|agent)-[A-Za-z0-9_\-]{20,}",
            0,
            any,
        ),
        detector(
            SlackToken,
            &["xox", "xapp-"],
            r"\b(?:xox[abposr]-[A-Za-z0-9\-]{10,}|xapp-\d-[A-Za-z0-9\-]{10,})",
            0,
            any,
        ),
        detector(
            SlackWebhook,
            &["hooks.slack.com"],
            r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_\-]{20,}",
            0,
            any,
        ),
        detector(
            StripeKey,
            &["sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"],
            r"\b(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9]{20,})",
            0,
            any,
        ),
        detector(
            AnthropicKey,
            &["sk-ant-"],
            r"\bsk-ant-[A-Za-z0-9_\-]{20,}",
            0,
            any,
        ),
        detector(
            OpenaiKey,
            &["sk-"],
            r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}",
            0,
            random_enough,
        ),
        detector(
            HuggingfaceToken,
            &["hf_"],
            r"\bhf_[A-Za-z0-9]{30,}",
            0,
            random_enough,
        ),
        detector(
            NpmToken,
            &["npm_"],
            r"\bnpm_[A-Za-z0-9]{36}\b",
            0,
            random_enough,
        ),
        detector(
            PypiToken,
            &["pypi-"],
            r"\bpypi-AgE[A-Za-z0-9_\-]{50,}",
            0,
            any,
        ),
        detector(
            SendgridKey,
            &["sg."],
            r"\bSG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}",
            0,
            any,
        ),
        detector(
            Jwt,
            &["eyj"],
            r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
            0,
            any,
        ),
        detector(
            BearerToken,
            &["bearer", "authorization"],
            r#"(?i)(?:\bbearer\s+|authorization["']?\s*[:=]\s*["']?(?:basic\s+|token\s+)?)([A-Za-z0-9._~+/\-]{12,}=*)"#,
            1,
            random_enough,
        ),
        detector(
            UrlPassword,
            &["://"],
            r#"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s/:@"'<>]+:([^\s/@"'<>]+)@"#,
            1,
            url_password,
        ),
        detector(
            UrlCredential,
            &[
                "token=",
                "key=",
                "sig=",
                "signature=",
                "secret=",
                "password=",
                "passwd=",
                "pwd=",
                "auth=",
                "credential=",
            ],
            r#"(?i)[?&](?:access_token|refresh_token|id_token|token|api_key|apikey|api-key|key|sig|signature|secret|client_secret|password|passwd|pwd|auth|x-amz-signature|x-amz-security-token|x-amz-credential)=([^&\s#"'<>]+)"#,
            1,
            |v| v.len() >= 8 && !placeholder(v),
        ),
        detector(
            Password,
            &["passw", "pwd"],
            r#"(?i)\b[a-z0-9_.\-]*(?:passwd|password|pwd)s?["']?\s*[:=]\s*["']?([^\s"',;&<>{}()\[\]]{4,})"#,
            1,
            password_like,
        ),
        detector(
            GenericSecret,
            &["key", "secret", "token", "credential", "auth"],
            &format!(
                r#"(?i)\b[a-z0-9_.\-]*{CREDENTIAL_NAME}s?[a-z0-9_.\-]*["']?\s*[:=]\s*["']?([^\s"',;&<>{{}}()\[\]]{{12,}})"#
            ),
            1,
            random_enough,
        ),
    ]
});

/// One automaton over every detector's triggers; pattern ids map back to detectors.
pub(super) struct Triggers {
    pub automaton: AhoCorasick,
    /// For each pattern id, the detector it belongs to.
    pub owner: Vec<usize>,
}

pub(super) static TRIGGERS: LazyLock<Triggers> = LazyLock::new(|| {
    let mut patterns = Vec::new();
    let mut owner = Vec::new();
    for (index, detector) in DETECTORS.iter().enumerate() {
        for trigger in detector.triggers {
            patterns.push(*trigger);
            owner.push(index);
        }
    }
    // The triggers are constant literals: building the automaton cannot fail.
    #[allow(clippy::expect_used)]
    let automaton = AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .build(&patterns)
        .expect("secret triggers build");
    Triggers { automaton, owner }
});

/// The PEM private key blocks of `text`, to the END line (or the end of the text when it
/// was cut off).
pub(super) fn pem_blocks(text: &str) -> Vec<(usize, usize)> {
    const BEGIN: &str = "-----BEGIN ";
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = text[from..].find(BEGIN) {
        let start = from + found;
        let header_end = text[start + BEGIN.len()..]
            .find("-----")
            .map(|e| start + BEGIN.len() + e + 5);
        let Some(header_end) = header_end else { break };
        let header = &text[start..header_end];
        if !header.contains("PRIVATE KEY") {
            from = header_end;
            continue;
        }
        let end = text[header_end..]
            .find("-----END ")
            .and_then(|e| {
                let end_start = header_end + e;
                text[end_start + 9..]
                    .find("-----")
                    .map(|f| end_start + 9 + f + 5)
            })
            .unwrap_or(text.len());
        out.push((start, end));
        from = end;
    }
    out
}
