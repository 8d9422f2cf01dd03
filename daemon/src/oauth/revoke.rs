//! Token revocation (RFC 7009) at logout, through the `oauth2` crate (rmcp has none), over
//! the same reqwest client stack.

use std::future::Future;
use std::pin::Pin;

use oauth2::basic::BasicClient;
use oauth2::{
    AccessToken, ClientId, ClientSecret, RefreshToken, RevocationUrl, StandardRevocableToken,
};

use super::OAuthError;

/// reqwest as the `oauth2` crate's HTTP client (its own reqwest feature is off: it would
/// bring a second reqwest and TLS stack).
struct Http(reqwest::Client);

#[derive(Debug, thiserror::Error)]
enum HttpError {
    #[error("{0}")]
    Request(#[from] reqwest::Error),
    #[error("{0}")]
    Response(#[from] oauth2::http::Error),
}

impl<'c> oauth2::AsyncHttpClient<'c> for Http {
    type Error = HttpError;
    type Future =
        Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let response = self.0.execute(reqwest::Request::try_from(request)?).await?;
            let mut builder = oauth2::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = response.bytes().await?.to_vec();
            Ok(builder.body(body)?)
        })
    }
}

/// What to revoke and how the client authenticates.
pub struct Revocation {
    pub endpoint: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub refresh_token: Option<String>,
    pub access_token: Option<String>,
}

/// Revokes the refresh token (which ends the grant) or, without one, the access token.
pub async fn revoke(revocation: Revocation) -> Result<(), OAuthError> {
    let endpoint = RevocationUrl::new(revocation.endpoint)
        .map_err(|e| OAuthError::Config(format!("bad revocation endpoint: {e}")))?;
    let mut client =
        BasicClient::new(ClientId::new(revocation.client_id)).set_revocation_url(endpoint);
    if let Some(secret) = revocation.client_secret {
        client = client.set_client_secret(ClientSecret::new(secret));
    }
    let token = match (revocation.refresh_token, revocation.access_token) {
        (Some(refresh), _) => StandardRevocableToken::RefreshToken(RefreshToken::new(refresh)),
        (None, Some(access)) => StandardRevocableToken::AccessToken(AccessToken::new(access)),
        (None, None) => return Ok(()),
    };
    let http = Http(
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| OAuthError::Config(e.to_string()))?,
    );
    client
        .revoke_token(token)
        .map_err(|e| OAuthError::Config(e.to_string()))?
        .request_async(&http)
        .await
        .map_err(|e| OAuthError::Denied(format!("revocation refused: {e}")))
}
