//! Secret detection and redaction: every kind is found and replaced; text that only looks
//! like a secret (identifiers, hashes, placeholders, documentation) is left alone.

use serde_json::json;

use super::detectors::random_enough;
use super::*;

/// Test secrets, assembled at run time so the source holds no literal that scanners flag.
fn fake(prefix: &str, body: &str) -> String {
    format!("{prefix}{body}")
}

const PEM: &str = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq9x0Yk3s\nq2VvJ4Z0pV1nJb\n-----END RSA PRIVATE KEY-----";

fn kinds_of(text: &str) -> Vec<SecretKind> {
    find(text).into_iter().map(|m| m.kind).collect()
}

#[test]
fn every_kind_is_found_and_replaced_by_its_marker() {
    let aws_id = fake("AKIA", "Z7Q3XW5RTY2UOPL4");
    let cases: Vec<(String, SecretKind, &str)> = vec![
        (
            format!("key: {PEM}\nnext"),
            SecretKind::PrivateKey,
            "[redacted private_key]",
        ),
        (
            format!("id={aws_id} ok"),
            SecretKind::AwsAccessKey,
            "[redacted aws_access_key]",
        ),
        (
            format!(
                "aws_secret_access_key = {}",
                fake("wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYEXAMPLEKEY")
            ),
            SecretKind::AwsSecretKey,
            "[redacted aws_secret_key]",
        ),
        (
            format!(
                "{{\"type\": \"service_account\", \"private_key_id\": \"{}\"}}",
                "3f".repeat(20)
            ),
            SecretKind::GcpServiceAccount,
            "[redacted gcp_service_account]",
        ),
        (
            fake("AIza", "SyD3x-9fQv1_aB2cD3eF4gH5iJ6kL7mN8oP"),
            SecretKind::GcpApiKey,
            "[redacted gcp_api_key]",
        ),
        (
            fake("ghp_", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"),
            SecretKind::GithubToken,
            "[redacted github_token]",
        ),
        (
            fake(
                "github_pat_",
                "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
            ),
            SecretKind::GithubToken,
            "[redacted github_token]",
        ),
        (
            fake("glpat-", "xY7zQ9wE2rT4yU6iO8pA"),
            SecretKind::GitlabToken,
            "[redacted gitlab_token]",
        ),
        (
            fake("xoxb-", "1234567890-0987654321-AbCdEfGhIjKl"),
            SecretKind::SlackToken,
            "[redacted slack_token]",
        ),
        (
            fake(
                "https://hooks.slack.com/services/",
                "T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX",
            ),
            SecretKind::SlackWebhook,
            "[redacted slack_webhook]",
        ),
        (
            fake("sk_live_", "4eC39HqLyjWDarjtT1zdp7dc"),
            SecretKind::StripeKey,
            "[redacted stripe_key]",
        ),
        (
            fake("sk-ant-", "api03-AbCdEf123456-GhIjKl789012_MnOp"),
            SecretKind::AnthropicKey,
            "[redacted anthropic_key]",
        ),
        (
            fake("sk-proj-", "Ab12Cd34Ef56Gh78Ij90Kl12Mn34"),
            SecretKind::OpenaiKey,
            "[redacted openai_key]",
        ),
        (
            fake(
                "eyJhbGciOiJIUzI1NiJ9.",
                "eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            ),
            SecretKind::Jwt,
            "[redacted jwt]",
        ),
        (
            fake("Authorization: Bearer ", "9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c"),
            SecretKind::BearerToken,
            "[redacted bearer_token]",
        ),
        (
            "postgres://admin:S3cr3tPass@db.internal:5432/app".to_owned(),
            SecretKind::UrlPassword,
            "postgres://admin:[redacted url_password]@db.internal",
        ),
        (
            "GET https://api.example.com/v1/items?limit=5&access_token=Zx9Qw8Er7Ty6Ui5Op4"
                .to_owned(),
            SecretKind::UrlCredential,
            "&access_token=[redacted url_credential]",
        ),
        (
            "password=hunter22 user=bob".to_owned(),
            SecretKind::Password,
            "password=[redacted password] user=bob",
        ),
        (
            "client_secret: \"q8W3e9R2t7Y1u6I0o5P4\"".to_owned(),
            SecretKind::GenericSecret,
            "[redacted generic_secret]",
        ),
    ];
    for (text, kind, expected) in cases {
        let redacted = redact(&text);
        assert!(
            redacted.kinds.contains(kind),
            "{kind} in {text:?}: got {:?}",
            kinds_of(&text)
        );
        assert!(
            redacted.text.contains(expected),
            "{text:?} became {:?}",
            redacted.text
        );
        assert!(contains_secret(&text));
    }
}

#[test]
fn the_aws_key_and_pem_block_leave_nothing_behind() {
    let aws_id = fake("AKIA", "Z7Q3XW5RTY2UOPL4");
    let text = format!("creds {aws_id} and\n{PEM}\ntrailing");
    let redacted = redact_str(&text);
    assert!(!redacted.contains(&aws_id));
    assert!(!redacted.contains("MIIEowIBAAKCAQEA"));
    assert!(!redacted.contains("PRIVATE KEY"));
    assert!(redacted.ends_with("trailing"));
}

#[test]
fn a_pem_block_cut_off_is_redacted_to_the_end() {
    let redacted = redact_str("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA");
    assert_eq!(redacted, "[redacted private_key]");
}

#[test]
fn look_alikes_are_left_alone() {
    for text in [
        "max_tokens: 1000, token_count=42",
        "the password must be at least 12 characters",
        "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "use the api_key parameter to pass your key",
        "https://example.com/search?q=rust&page=2",
        "git@github.com:org/repo.git",
        "api_key=${OPENAI_API_KEY}",
        "password: <your password>",
        "task-management-skill-and-sk-learn",
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        "AKIAIOSFODNN7 is too short",
        "token=true",
    ] {
        assert_eq!(find(text), Vec::new(), "{text}");
        assert!(matches!(redact_str(text), Cow::Borrowed(_)), "{text}");
    }
}

#[test]
fn json_is_redacted_in_place_by_value_and_by_key() {
    let aws_id = fake("ASIA", "Q3XW5RTY2UOPLZ7M");
    let mut value = json!({
        "query": "select 1",
        "config": {"password": "correct horse", "api_key": "k3Y9xQ2wE8rT6yU4", "tokens": 5000},
        "log": [format!("using {aws_id} now"), "nothing here"],
        "secret": "short",
        "private_key": PEM,
    });
    let kinds = redact_json(&mut value);
    assert_eq!(value["query"], "select 1");
    assert_eq!(value["config"]["password"], "[redacted password]");
    assert_eq!(value["config"]["api_key"], "[redacted generic_secret]");
    assert_eq!(value["config"]["tokens"], 5000);
    assert_eq!(value["log"][0], "using [redacted aws_access_key] now");
    assert_eq!(value["log"][1], "nothing here");
    assert_eq!(
        value["secret"], "short",
        "a short value under a secret-sounding key is kept"
    );
    assert!(!value.to_string().contains("MIIEowIBAAKCAQEA"));
    let names: Vec<&str> = kinds.iter().map(SecretKind::as_str).collect();
    assert_eq!(
        names,
        [
            "private_key",
            "aws_access_key",
            "password",
            "generic_secret"
        ]
    );
}

#[test]
fn overlapping_matches_keep_the_first_and_longest() {
    // A JWT is also a bearer token here: one marker, not two.
    let jwt = fake(
        "eyJhbGciOiJIUzI1NiJ9.",
        "eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    );
    let text = format!("Authorization: Bearer {jwt}");
    let found = find(&text);
    assert_eq!(found.len(), 1, "{found:?}");
}

#[test]
fn entropy_tells_random_from_words() {
    assert!(detectors::entropy("aaaaaaaa") < 1.0);
    assert!(detectors::entropy("q8W3e9R2t7Y1u6I0o5P4") > 3.5);
    assert!(!random_enough("configuration_value"));
    assert!(random_enough("q8W3e9R2t7Y1u6I0o5P4"));
}
