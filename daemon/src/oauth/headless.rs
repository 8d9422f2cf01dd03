//! Logging in without a browser, for authorization servers that approve at once (the
//! conformance suite's): follow the authorization URL's redirects until one leads to the
//! loopback redirect URI, then visit that, as a browser would.

use reqwest::header::LOCATION;

use super::OAuthError;

const MAX_REDIRECTS: usize = 10;

/// Follows `authorization_url` until a redirect points at `redirect_uri`; returns that
/// redirect's full URL (with `code`, `state`, maybe `iss`).
pub async fn follow(authorization_url: &str, redirect_uri: &str) -> Result<String, OAuthError> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| OAuthError::Headless(e.to_string()))?;
    let mut url = reqwest::Url::parse(authorization_url)
        .map_err(|e| OAuthError::Headless(format!("bad authorization URL: {e}")))?;
    for _ in 0..MAX_REDIRECTS {
        let response = client
            .get(url.clone())
            .send()
            .await
            .map_err(|e| OAuthError::Headless(format!("GET {url}: {e}")))?;
        let status = response.status();
        let Some(location) = response.headers().get(LOCATION) else {
            return Err(OAuthError::Headless(format!(
                "{url} answered {status} without a redirect: this authorization server needs a person (use a browser)"
            )));
        };
        let location = location
            .to_str()
            .map_err(|e| OAuthError::Headless(e.to_string()))?;
        let next = url
            .join(location)
            .map_err(|e| OAuthError::Headless(format!("bad redirect `{location}`: {e}")))?;
        if next.as_str().starts_with(redirect_uri) {
            return Ok(next.to_string());
        }
        url = next;
    }
    Err(OAuthError::Headless(format!(
        "more than {MAX_REDIRECTS} redirects without reaching {redirect_uri}"
    )))
}

/// Visits the redirect URL, as the browser would; the listener answers once the code has
/// been exchanged, so this runs beside the exchange.
pub fn visit(redirect_url: String) {
    tokio::spawn(async move {
        if let Err(e) = reqwest::get(&redirect_url).await {
            tracing::debug!(error = %e, "visiting the login redirect failed");
        }
    });
}
