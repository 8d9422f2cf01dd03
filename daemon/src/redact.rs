//! Secrets that must never be shown: credentials in URLs, and the secrets of tool calls.
//!
//! An upstream's URL may carry its credential in the query string (`?token=…`,
//! `api_key=…`, a presigned `sig=…`) or in its userinfo (`https://user:pass@host`). Library
//! errors quote the URL they failed on, and an upstream's error may quote the arguments it
//! was called with (a private key, a cloud key), so anything that ends up in `last_error`,
//! a log line, an event, an activity record or an error message passes through
//! [`mask_secrets`] first.

use std::borrow::Cow;

#[cfg(feature = "server")]
pub mod secrets;

/// What a masked value is replaced with.
pub const MASK: &str = "***";

/// Words that mark a query parameter as a credential when its name contains one of them
/// (case-insensitive). Broad on purpose: masking a harmless value costs nothing.
const SECRET_WORDS: &[&str] = &[
    "token",
    "key",
    "secret",
    "pass",
    "pwd",
    "sig",
    "auth",
    "credential",
    "session",
    "jwt",
    "code",
    "cookie",
];

/// True when a query parameter called `name` probably holds a credential.
pub fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|word| name.contains(word))
}

/// `text` with every credential-looking query value and every userinfo password replaced by
/// `***`. Text without `?`, `&`, `;` or `@` is returned as it is, without copying.
pub fn mask_url_secrets(text: &str) -> Cow<'_, str> {
    if !text.contains(['?', '&', ';', '@']) {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = String::new();
    // Everything before `copied` is already in `out`.
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'?' | b'&' | b';' => {
                let name_start = i + 1;
                let name_end = name_start
                    + bytes[name_start..]
                        .iter()
                        .take_while(|b| {
                            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
                        })
                        .count();
                if name_end > name_start
                    && bytes.get(name_end) == Some(&b'=')
                    && is_secret_name(&text[name_start..name_end])
                {
                    let value_start = name_end + 1;
                    let value_end = value_end(bytes, value_start);
                    if value_end > value_start && &text[value_start..value_end] != MASK {
                        out.push_str(&text[copied..value_start]);
                        out.push_str(MASK);
                        copied = value_end;
                    }
                    i = value_end;
                    continue;
                }
                i += 1;
            }
            b'@' => {
                // `scheme://user:password@host`: the password is the part after the colon.
                if let Some(colon) = userinfo_password(bytes, i)
                    && colon >= copied
                    && &text[colon + 1..i] != MASK
                {
                    out.push_str(&text[copied..=colon]);
                    out.push_str(MASK);
                    copied = i;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// `text` with URL credentials masked ([`mask_url_secrets`]) and every secret the traffic
/// detector knows replaced by a marker naming its kind ([`secrets::redact_str`]). Text
/// without a URL separator and without any detector's literal is returned without copying.
///
///
/// Without the `server` feature (an attach client, which logs no traffic) only URL
/// credentials are masked: the detector is part of the engine.
pub fn mask_secrets(text: &str) -> Cow<'_, str> {
    let urls = mask_url_secrets(text);
    #[cfg(feature = "server")]
    {
        let redacted = match secrets::redact_str(&urls) {
            Cow::Owned(redacted) => Some(redacted),
            Cow::Borrowed(_) => None,
        };
        if let Some(redacted) = redacted {
            return Cow::Owned(redacted);
        }
    }
    urls
}

/// [`mask_secrets`] for an owned string: returned as it is when nothing was masked.
pub fn masked(text: String) -> String {
    match mask_secrets(&text) {
        Cow::Owned(masked) => masked,
        Cow::Borrowed(_) => text,
    }
}

/// Where a query value that starts at `start` ends: at the next separator, quote, bracket or
/// white space.
fn value_end(bytes: &[u8], start: usize) -> usize {
    start
        + bytes[start..]
            .iter()
            .take_while(|b| {
                !b.is_ascii_whitespace()
                    && !matches!(
                        b,
                        b'&' | b'#'
                            | b';'
                            | b'"'
                            | b'\''
                            | b'`'
                            | b'<'
                            | b'>'
                            | b')'
                            | b']'
                            | b'}'
                            | b','
                    )
            })
            .count()
}

/// For an `@` at `at`: when it ends the userinfo of a URL (`://user:password@`), the index of
/// the colon before the password.
fn userinfo_password(bytes: &[u8], at: usize) -> Option<usize> {
    let before = &bytes[..at];
    let start = before
        .windows(3)
        .rposition(|w| w == b"://")
        .map(|p| p + 3)?;
    let userinfo = &bytes[start..at];
    if userinfo
        .iter()
        .any(|b| b.is_ascii_whitespace() || matches!(b, b'/' | b'?' | b'#' | b'@'))
    {
        return None;
    }
    let colon = userinfo.iter().position(|b| *b == b':')? + start;
    (colon + 1 < at).then_some(colon)
}

/// A writer that masks secrets (URL credentials, keys and tokens a tool call carried) in
/// what passes through it. Each log line arrives in one write, so a secret is never split
/// between two: a PEM block in one event is one write, whatever its newlines. The CLI's own
/// logs (the TUI's, the tray's, a bridge's stderr) write through it too.
#[derive(Debug)]
pub struct Masked<W>(pub W);

impl<W: std::io::Write> std::io::Write for Masked<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(text) => self.0.write_all(mask_secrets(text).as_bytes())?,
            Err(_) => self.0.write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_credentials_in_query_strings() {
        let cases = [
            (
                "error sending request for url (https://h.example/mcp?token=abc123&x=1)",
                "error sending request for url (https://h.example/mcp?token=***&x=1)",
            ),
            (
                "GET http://h/sse?api_key=K&access_token=T#frag",
                "GET http://h/sse?api_key=***&access_token=***#frag",
            ),
            (
                "https://s3/obj?X-Amz-Signature=ff00&sig=1",
                "https://s3/obj?X-Amz-Signature=***&sig=***",
            ),
            ("\"https://h/?Token=a b\"", "\"https://h/?Token=*** b\""),
            (
                "https://h/mcp?page=2&limit=5",
                "https://h/mcp?page=2&limit=5",
            ),
            ("https://user:hunter2@h/mcp", "https://user:***@h/mcp"),
            ("mail me at a@b.c", "mail me at a@b.c"),
            ("already ?token=***", "already ?token=***"),
            ("", ""),
        ];
        for (text, masked) in cases {
            assert_eq!(mask_url_secrets(text), masked, "{text}");
        }
    }

    #[test]
    fn text_without_urls_is_not_copied() {
        assert!(matches!(
            mask_url_secrets("connecting (attempt 1)"),
            Cow::Borrowed(_)
        ));
        assert!(matches!(
            mask_url_secrets("https://h/mcp?page=2"),
            Cow::Borrowed(_)
        ));
    }

    /// Whatever the text, masking keeps it valid and never shows a secret it recognised.
    #[test]
    fn never_panics_and_never_leaves_a_secret() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let alphabet: Vec<char> = "?&;=@:/#token key sigé\"' )x1".chars().collect();
        for _ in 0..20_000 {
            let len = (next(&mut seed) % 40) as usize;
            let text: String = (0..len)
                .map(|_| alphabet[(next(&mut seed) % alphabet.len() as u64) as usize])
                .collect();
            let secret = format!("{text}?token=S3CRET");
            let masked = mask_url_secrets(&secret);
            assert!(!masked.contains("S3CRET"), "{secret:?} -> {masked:?}");
            let _ = mask_url_secrets(&text);
        }
    }

    #[cfg(feature = "server")]
    #[test]
    fn secrets_of_calls_are_masked_with_their_kind() {
        let text = "upstream said: bad key AKIAIOSFODNN7EXAMPLE for https://h/x?token=abc123";
        assert_eq!(
            mask_secrets(text),
            "upstream said: bad key [redacted aws_access_key] for https://h/x?token=***"
        );
        let pem = "failed on \"-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEA\\n\
                   -----END RSA PRIVATE KEY-----\" (line 1)";
        assert_eq!(
            mask_secrets(pem),
            "failed on \"[redacted private_key]\" (line 1)"
        );
        assert!(matches!(
            mask_secrets("connecting (attempt 1)"),
            Cow::Borrowed(_)
        ));
        assert_eq!(masked("plain".to_owned()), "plain");
    }

    fn next(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }
}
