//! The grants, each ending with tokens in the server's record and an rmcp
//! `AuthorizationManager` that hands them out (and refreshes them).
//!
//! Client identity follows the spec's order: a client configured for the server; else the
//! client ID metadata document (its HTTPS URL is the client id) where the authorization
//! server supports it; else an earlier dynamic registration with the same server and
//! redirect URI; else a new one (RFC 7591).

use std::sync::Arc;
use std::time::Duration;

use rmcp::transport::auth::enterprise::{
    EmaAuthorizationServer, EmaClientAuthentication, EmaExchangeRequest,
};
use rmcp::transport::auth::{
    AuthError, AuthorizationManager, AuthorizationMetadata, AuthorizationRequest,
    AuthorizationSession, ClientCredentialsConfig, OAuthClientConfig, OAuthTokenResponse,
    StoredCredentials, VendorExtraTokenFields,
};

use super::callback::CallbackListener;
use super::settings::{ClientAuth, EnterpriseGrant, Grant, OAuthSettings};
use super::store::{RecordStore, Registration};
use super::{OAuthError, now_secs};

/// The name mcpproxy registers under.
const CLIENT_NAME: &str = "mcpproxy";
const OFFLINE_ACCESS: &str = "offline_access";

/// One server's authorization: where it is, what is configured, where tokens go.
#[derive(Debug, Clone)]
pub struct Authority {
    pub server_url: String,
    pub settings: OAuthSettings,
    pub records: Arc<RecordStore>,
}

/// A login waiting for its redirect.
pub struct PendingLogin {
    /// Where the person logs in.
    pub url: String,
    pub redirect_uri: String,
    listener: CallbackListener,
    session: AuthorizationSession,
    records: Arc<RecordStore>,
    scopes: Vec<String>,
}

impl std::fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingLogin")
            .field("redirect_uri", &self.redirect_uri)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

fn store_error(message: String) -> OAuthError {
    OAuthError::Store(message)
}

impl Authority {
    async fn manager(&self) -> Result<AuthorizationManager, OAuthError> {
        let mut manager = AuthorizationManager::new(self.server_url.as_str()).await?;
        manager.set_credential_store(self.records.credentials());
        Ok(manager)
    }

    /// Discovery, from a 401's challenge when there is one.
    async fn discovered(
        &self,
        challenge: Option<&str>,
    ) -> Result<(AuthorizationManager, AuthorizationMetadata), OAuthError> {
        let mut manager = self.manager().await?;
        let metadata = match manager.resolve_metadata_from_challenge(challenge).await {
            Ok(resolution) => {
                tracing::debug!(server = %self.server_url, source = ?resolution.source, "authorization server found");
                resolution.metadata
            }
            Err(AuthError::AuthorizationServerMismatch {
                expected_issuer,
                received_issuer,
            }) => {
                self.legacy_metadata(&expected_issuer, &received_issuer)
                    .await?
            }
            Err(e) => return Err(e.into()),
        };
        manager.set_metadata(metadata.clone());
        Ok((manager, metadata))
    }

    /// A 2025-03-26 server is its own authorization server, with metadata at its root; many
    /// name an issuer with a path there (`https://host/oauth`), which RFC 8414 discovery
    /// refuses. Such metadata is taken when its issuer is on the server's own origin (as
    /// the SDKs of that era do); the `iss` of the login's redirect is still checked against
    /// it.
    async fn legacy_metadata(
        &self,
        expected_issuer: &str,
        received_issuer: &str,
    ) -> Result<AuthorizationMetadata, OAuthError> {
        let mismatch = || {
            OAuthError::Protocol(AuthError::AuthorizationServerMismatch {
                expected_issuer: expected_issuer.to_owned(),
                received_issuer: received_issuer.to_owned(),
            })
        };
        let server = reqwest::Url::parse(&self.server_url).map_err(|_| mismatch())?;
        let issuer = reqwest::Url::parse(received_issuer).map_err(|_| mismatch())?;
        if server.origin() != issuer.origin() {
            return Err(mismatch());
        }
        let mut url = server.clone();
        url.set_path("/.well-known/oauth-authorization-server");
        url.set_query(None);
        let response = reqwest::get(url).await.map_err(|_| mismatch())?;
        if !response.status().is_success() {
            return Err(mismatch());
        }
        let metadata: AuthorizationMetadata = response.json().await.map_err(|_| mismatch())?;
        if metadata.issuer.as_deref() != Some(received_issuer) {
            return Err(mismatch());
        }
        tracing::debug!(server = %self.server_url, issuer = received_issuer, "2025-03-26 authorization server metadata at the server's root");
        Ok(metadata)
    }

    /// A manager for the tokens already in the record (after a restart, say): discovery
    /// again (it also finds the resource the tokens are for), then the client as registered.
    /// `None` when there are no tokens to use.
    pub async fn resume(&self) -> Result<Option<AuthorizationManager>, OAuthError> {
        let record = self.records.load().await.map_err(store_error)?;
        if !record.has_token() {
            return Ok(None);
        }
        let (mut manager, _) = self.discovered(None).await?;
        match (&record.registration, &self.settings.grant) {
            (Some(registration), Grant::AuthorizationCode) => {
                let mut config = OAuthClientConfig::new(
                    registration.client_id.clone(),
                    registration.redirect_uri.clone(),
                )
                .with_scopes(record.scopes.clone());
                if let Some(secret) = &registration.client_secret {
                    config = config.with_client_secret(secret.clone());
                }
                manager.configure_client(config)?;
            }
            _ => {
                let client_id = record
                    .credentials
                    .as_ref()
                    .map(|c| c.client_id.clone())
                    .unwrap_or_default();
                manager.configure_client_id(&client_id)?;
            }
        }
        Ok(Some(manager))
    }

    /// Starts an authorization-code login: discovery, registration, the loopback listener
    /// and the authorization URL. `more_scopes` are asked for on top of the earlier ones
    /// (step-up).
    pub async fn begin_login(
        &self,
        challenge: Option<&str>,
        more_scopes: &[String],
    ) -> Result<PendingLogin, OAuthError> {
        let (mut manager, metadata) = self.discovered(challenge).await?;
        let record = self.records.load().await.map_err(store_error)?;
        let mut scopes = if self.settings.scopes.is_empty() {
            manager.select_initial_scopes(&[]).await
        } else {
            self.settings.scopes.clone()
        };
        if !more_scopes.is_empty() {
            scopes = union(&[&record.scopes, &scopes, more_scopes]);
        }
        let reusable = record.registration.as_ref().filter(|r| {
            r.dynamic && r.issuer == metadata.issuer && self.settings.client_id.is_none()
        });
        let listener = match reusable.and_then(|r| redirect_port(&r.redirect_uri)) {
            Some(port) => match CallbackListener::bind(port).await {
                Ok(listener) => listener,
                Err(_) => CallbackListener::bind(self.settings.redirect_port).await?,
            },
            None => CallbackListener::bind(self.settings.redirect_port).await?,
        };
        let redirect_uri = listener.redirect_uri();
        let supports_cimd = metadata
            .additional_fields
            .get("client_id_metadata_document_supported")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false);
        let mut request = AuthorizationRequest::new(redirect_uri.clone())
            .with_scopes(scopes.clone())
            .with_client_name(CLIENT_NAME);
        let registration = if let Some(client_id) = &self.settings.client_id {
            Registration {
                client_id: client_id.clone(),
                client_secret: self.settings.client_secret.clone(),
                redirect_uri: redirect_uri.clone(),
                issuer: metadata.issuer.clone(),
                dynamic: false,
            }
        } else if let Some(url) = self
            .settings
            .client_metadata_url
            .as_ref()
            .filter(|_| supports_cimd)
        {
            request = request.with_client_metadata_url(url.clone());
            Registration {
                client_id: url.clone(),
                client_secret: None,
                redirect_uri: redirect_uri.clone(),
                issuer: metadata.issuer.clone(),
                dynamic: false,
            }
        } else if let Some(earlier) = reusable.filter(|r| r.redirect_uri == redirect_uri) {
            earlier.clone()
        } else {
            let scope_refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
            let config = manager
                .register_client(CLIENT_NAME, &redirect_uri, &scope_refs)
                .await?;
            Registration {
                client_id: config.client_id,
                client_secret: config.client_secret,
                redirect_uri: redirect_uri.clone(),
                issuer: metadata.issuer.clone(),
                dynamic: true,
            }
        };
        if request.client_metadata_url.is_none() {
            request = request.with_preregistered_client(registration.client_id.clone());
            if let Some(secret) = &registration.client_secret {
                request = request.with_client_secret(secret.clone());
            }
        }
        self.records
            .update(|r| r.registration = Some(registration))
            .await
            .map_err(store_error)?;
        let session = AuthorizationSession::new(manager, request)
            .await
            .map_err(|(_, e)| OAuthError::Protocol(e))?;
        Ok(PendingLogin {
            url: session.auth_url.clone(),
            redirect_uri,
            listener,
            session,
            records: Arc::clone(&self.records),
            scopes,
        })
    }

    /// Client credentials or enterprise-managed authorization: tokens without a person.
    pub async fn unattended(
        &self,
        challenge: Option<&str>,
        more_scopes: &[String],
    ) -> Result<AuthorizationManager, OAuthError> {
        // rmcp's private_key_jwt exchange keeps a form serializer (not `Send`) across an
        // await, so its future cannot run on a worker that may move it: the grant runs on a
        // blocking thread of its own, driven by the same runtime.
        let this = self.clone();
        let challenge = challenge.map(str::to_owned);
        let more_scopes = more_scopes.to_vec();
        let runtime = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            runtime.block_on(this.unattended_here(challenge.as_deref(), &more_scopes))
        })
        .await
        .map_err(|e| OAuthError::Config(format!("the grant's task failed: {e}")))?
    }

    async fn unattended_here(
        &self,
        challenge: Option<&str>,
        more_scopes: &[String],
    ) -> Result<AuthorizationManager, OAuthError> {
        let (mut manager, metadata) = self.discovered(challenge).await?;
        let mut scopes = if self.settings.scopes.is_empty() {
            manager.select_initial_scopes(&[]).await
        } else {
            self.settings.scopes.clone()
        };
        scopes = union(&[&scopes, more_scopes]);
        // Nothing to refresh later without a person: no refresh token is wanted.
        scopes.retain(|s| s != OFFLINE_ACCESS);
        match &self.settings.grant {
            Grant::ClientCredentials { client_id, auth } => {
                let resource = Some(self.server_url.clone());
                let config = match auth {
                    ClientAuth::Secret(secret) => ClientCredentialsConfig::ClientSecret {
                        client_id: client_id.clone(),
                        client_secret: secret.clone(),
                        scopes: scopes.clone(),
                        resource,
                    },
                    ClientAuth::PrivateKeyJwt { pem, algorithm } => {
                        ClientCredentialsConfig::PrivateKeyJwt {
                            client_id: client_id.clone(),
                            signing_key: pem.as_bytes().to_vec(),
                            signing_algorithm: signing_algorithm(algorithm)?,
                            token_endpoint_audience: None,
                            scopes: scopes.clone(),
                            resource,
                        }
                    }
                };
                manager.validate_client_credentials_metadata(&config)?;
                manager.configure_client_credentials(&config)?;
                manager.exchange_client_credentials(&config).await?;
            }
            Grant::Enterprise(grant) => {
                self.enterprise(&mut manager, &metadata, grant, &scopes)
                    .await?;
            }
            Grant::AuthorizationCode => {
                return Err(OAuthError::Config(
                    "this server logs in through the browser, not unattended".to_owned(),
                ));
            }
        }
        self.records
            .update(|r| r.scopes = scopes)
            .await
            .map_err(store_error)?;
        Ok(manager)
    }

    /// SEP-990: the IdP exchanges its ID token for an ID-JAG (RFC 8693), which the MCP
    /// server's authorization server takes as a JWT-bearer grant (RFC 7523).
    async fn enterprise(
        &self,
        manager: &mut AuthorizationManager,
        metadata: &AuthorizationMetadata,
        grant: &EnterpriseGrant,
        scopes: &[String],
    ) -> Result<(), OAuthError> {
        let issuer = metadata.issuer.clone().ok_or_else(|| {
            OAuthError::Config(
                "the authorization server's metadata names no issuer, which the ID-JAG needs as its audience"
                    .to_owned(),
            )
        })?;
        let secret_auth = |secret: &Option<String>| match secret {
            Some(secret) => EmaClientAuthentication::ClientSecretBasic(oauth2::ClientSecret::new(
                secret.clone(),
            )),
            None => EmaClientAuthentication::None,
        };
        let idp = EmaAuthorizationServer::new(
            grant.idp_issuer.clone(),
            grant.idp_token_endpoint.clone(),
            grant.idp_client_id.clone(),
        )
        .with_client_authentication(secret_auth(&grant.idp_client_secret));
        let resource_as = EmaAuthorizationServer::new(
            issuer,
            metadata.token_endpoint.clone(),
            grant.client_id.clone(),
        )
        .with_client_authentication(secret_auth(&grant.client_secret));
        let http = rmcp::transport::auth::default_oauth_http_client()?;
        let token = EmaExchangeRequest::new_with_id_token(
            idp,
            resource_as,
            &self.server_url,
            &grant.id_token,
        )
        .with_scopes(scopes.iter().cloned())
        .exchange(&http, &http)
        .await?;
        let mut response = OAuthTokenResponse::new(
            token.access_token,
            oauth2::basic::BasicTokenType::Bearer,
            VendorExtraTokenFields::default(),
        );
        response.set_expires_in(token.expires_in.as_ref());
        let granted: Vec<String> = token.scopes.into_iter().collect();
        let credentials = StoredCredentials::new(
            grant.client_id.clone(),
            Some(response),
            granted,
            Some(now_secs()),
        )
        .with_issuer(metadata.issuer.clone());
        use rmcp::transport::auth::CredentialStore as _;
        self.records.credentials().save(credentials).await?;
        manager.configure_client_id(&grant.client_id)?;
        Ok(())
    }
}

impl Authority {
    /// Revokes the held tokens where the authorization server has a revocation endpoint.
    pub async fn revoke(&self) -> Result<(), OAuthError> {
        use oauth2::TokenResponse as _;
        let record = self.records.load().await.map_err(store_error)?;
        let Some(tokens) = record
            .credentials
            .as_ref()
            .and_then(|c| c.token_response.clone())
        else {
            return Ok(());
        };
        let (_, metadata) = self.discovered(None).await?;
        let Some(endpoint) = metadata
            .additional_fields
            .get("revocation_endpoint")
            .and_then(serde_json::Value::as_str)
        else {
            return Ok(());
        };
        let (client_id, client_secret) = match &record.registration {
            Some(r) => (r.client_id.clone(), r.client_secret.clone()),
            None => (
                record
                    .credentials
                    .as_ref()
                    .map(|c| c.client_id.clone())
                    .unwrap_or_default(),
                None,
            ),
        };
        super::revoke::revoke(super::revoke::Revocation {
            endpoint: endpoint.to_owned(),
            client_id,
            client_secret,
            refresh_token: tokens.refresh_token().map(|t| t.secret().clone()),
            access_token: Some(tokens.access_token().secret().clone()),
        })
        .await
    }
}

impl PendingLogin {
    /// The scopes this login asks for.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// Waits for the redirect and exchanges its code; the tokens are in the record after.
    /// A redirect that is not this login's (unknown `state`) is answered and ignored.
    pub async fn finish(mut self, timeout: Duration) -> Result<AuthorizationManager, OAuthError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrival = tokio::time::timeout_at(deadline, self.listener.next())
                .await
                .map_err(|_| OAuthError::TimedOut(timeout))?
                .ok_or(OAuthError::Cancelled)?;
            let redirect = arrival.redirect;
            if let Some(error) = redirect.error {
                let why = match redirect.error_description {
                    Some(description) => format!("{error}: {description}"),
                    None => error,
                };
                let _ = arrival.outcome.send(Err(why.clone()));
                return Err(OAuthError::Denied(why));
            }
            let (Some(code), Some(state)) = (redirect.code, redirect.state) else {
                let _ = arrival
                    .outcome
                    .send(Err("the redirect carries no code".to_owned()));
                continue;
            };
            match self
                .session
                .handle_callback_with_issuer(&code, &state, redirect.iss.as_deref())
                .await
            {
                Ok(_) => {
                    let _ = arrival.outcome.send(Ok(()));
                    let scopes = std::mem::take(&mut self.scopes);
                    self.records
                        .update(|r| r.scopes = scopes)
                        .await
                        .map_err(store_error)?;
                    return Ok(self.session.auth_manager);
                }
                Err(AuthError::InternalError(message)) if message.contains("state not found") => {
                    let _ = arrival
                        .outcome
                        .send(Err("this redirect belongs to another login".to_owned()));
                }
                Err(e) => {
                    let _ = arrival.outcome.send(Err(e.to_string()));
                    return Err(OAuthError::Protocol(e));
                }
            }
        }
    }
}

fn signing_algorithm(name: &str) -> Result<rmcp::transport::JwtSigningAlgorithm, OAuthError> {
    use rmcp::transport::JwtSigningAlgorithm as Alg;
    Ok(match name {
        "RS256" => Alg::RS256,
        "RS384" => Alg::RS384,
        "RS512" => Alg::RS512,
        "ES256" => Alg::ES256,
        "ES384" => Alg::ES384,
        other => {
            return Err(OAuthError::Config(format!(
                "signing algorithm \"{other}\" is not supported: use RS256, RS384, RS512, ES256 or ES384"
            )));
        }
    })
}

fn redirect_port(redirect_uri: &str) -> Option<u16> {
    reqwest::Url::parse(redirect_uri).ok()?.port()
}

/// Every scope once, in first-seen order.
pub fn union(lists: &[&[String]]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for scope in lists.iter().flat_map(|l| l.iter()) {
        if !out.contains(scope) {
            out.push(scope.clone());
        }
    }
    out
}
