//! The token source of one upstream: what its HTTP client asks before each request and
//! tells after a 401 or a 403.
//!
//! - Before each request: the access token, refreshed first when it is about to expire.
//! - After a 401 to a request that carried a token: one refresh, one retry. A refresh the
//!   server refuses (or no refresh token) ends in [`AuthState::NeedsLogin`]: nothing is
//!   retried until a person logs in, so a dead login never turns into a request storm.
//! - After a 401 without a token, or a 403 `insufficient_scope`: a new grant. Unattended
//!   grants (client credentials, enterprise) just run; an authorization-code login runs in
//!   the request for the probe ([`Interaction::Headless`], [`Interaction::Inline`]) and is
//!   left to a person for the daemon ([`Interaction::Deferred`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use rmcp::transport::auth::{AuthError, AuthorizationManager, WWWAuthenticateParams};
use tokio::sync::{Mutex, watch};

use super::flow::{Authority, PendingLogin, union};
use super::store::RecordStore;
use super::{OAuthError, OAuthSettings, Vault, headless};
use crate::protocol::{AuthStatus, OAuthChange, ServerAuth};

/// Step-ups allowed for one session before giving up on a server that keeps asking.
const MAX_STEP_UPS: u32 = 3;
/// How long an inline login waits for the person.
const INLINE_LOGIN_TIMEOUT: Duration = Duration::from_secs(300);

/// Who completes an authorization-code login.
#[derive(Clone)]
pub enum Interaction {
    /// Nobody: the authorization URL is followed without a browser (test servers that
    /// approve at once).
    Headless,
    /// A person, right now: `show` gets the URL (prints it, opens a browser) and the
    /// request waits for the redirect.
    Inline(Arc<dyn Fn(&str) + Send + Sync>),
    /// A person, later: the server goes to `needs_auth` and a login is started on request.
    Deferred,
}

impl std::fmt::Debug for Interaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Headless => "Headless",
            Self::Inline(_) => "Inline",
            Self::Deferred => "Deferred",
        })
    }
}

/// Where the session's authorization stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthState {
    /// No token has been needed yet.
    Unknown,
    /// Tokens are held; `expires_at` in seconds since the epoch, when known.
    Authorized { expires_at: Option<u64> },
    /// Only a person logging in helps.
    NeedsLogin {
        reason: String,
        /// The latest `WWW-Authenticate` challenge, to start discovery from.
        challenge: Option<String>,
        /// Scopes the server asked for on top of the granted ones (step-up).
        more_scopes: Vec<String>,
    },
}

/// Told about every change worth an `oauth` event (the daemon publishes them).
pub type Notifier = Box<dyn Fn(OAuthChange, ServerAuth) + Send + Sync>;

pub struct OAuthSession {
    authority: Authority,
    interaction: Interaction,
    manager: Mutex<Option<AuthorizationManager>>,
    state: watch::Sender<AuthState>,
    step_ups: AtomicU32,
    /// The server's name, for events.
    label: String,
    notifier: std::sync::OnceLock<Notifier>,
    /// The login waiting for a person, if one was started.
    pending: std::sync::Mutex<Option<Pending>>,
}

struct Pending {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for OAuthSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthSession")
            .field("server_url", &self.authority.server_url)
            .field("interaction", &self.interaction)
            .field("state", &*self.state.borrow())
            .finish_non_exhaustive()
    }
}

impl OAuthSession {
    pub fn new(
        server_url: &str,
        settings: OAuthSettings,
        vault: Arc<dyn Vault>,
        interaction: Interaction,
    ) -> Self {
        Self {
            authority: Authority {
                server_url: server_url.to_owned(),
                settings,
                records: Arc::new(RecordStore::new(server_url, vault)),
            },
            interaction,
            manager: Mutex::new(None),
            state: watch::Sender::new(AuthState::Unknown),
            step_ups: AtomicU32::new(0),
            label: server_url.to_owned(),
            notifier: std::sync::OnceLock::new(),
            pending: std::sync::Mutex::new(None),
        }
    }

    /// Names the session in its events, and has `notify` told about its changes.
    pub fn with_notifier(mut self, label: &str, notify: Notifier) -> Self {
        self.label = label.to_owned();
        let _ = self.notifier.set(notify);
        self
    }

    pub fn server_url(&self) -> &str {
        &self.authority.server_url
    }

    pub fn state(&self) -> AuthState {
        self.state.borrow().clone()
    }

    /// Follows the state (the supervisor waits on it for `NeedsLogin`).
    pub fn watch(&self) -> watch::Receiver<AuthState> {
        self.state.subscribe()
    }

    pub fn records(&self) -> &Arc<RecordStore> {
        &self.authority.records
    }

    /// The token for the next request: `None` when there is none (the request goes
    /// without, and the server's 401 says how to get one). Refreshes a token about to
    /// expire first. An error is a transient failure (the refresh request could not be
    /// made); [`OAuthError::needs_login`] tells one that needs a person.
    pub async fn token(&self) -> Result<Option<String>, OAuthError> {
        if matches!(*self.state.borrow(), AuthState::NeedsLogin { .. }) {
            return Err(OAuthError::Protocol(AuthError::AuthorizationRequired));
        }
        let mut manager = self.manager.lock().await;
        if manager.is_none() {
            *manager = self.authority.resume().await?;
        }
        let Some(current) = manager.as_ref() else {
            return Ok(None);
        };
        match current.get_access_token().await {
            Ok(token) => {
                self.authorized().await;
                Ok(Some(token))
            }
            Err(AuthError::AuthorizationRequired) => {
                // Expired, and the refresh was refused or impossible.
                *manager = None;
                if self.authority.settings.is_unattended() {
                    let fresh = self.authority.unattended(None, &[]).await?;
                    let token = fresh.get_access_token().await?;
                    *manager = Some(fresh);
                    self.authorized().await;
                    return Ok(Some(token));
                }
                self.needs_login(
                    "the token expired and the refresh was refused",
                    None,
                    Vec::new(),
                );
                Err(OAuthError::Protocol(AuthError::AuthorizationRequired))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The server refused a request with 401. Returns the token to retry with once, or
    /// `None` when no retry can succeed.
    pub async fn unauthorized(
        &self,
        sent: Option<&str>,
        challenge: &str,
    ) -> Result<Option<String>, OAuthError> {
        let mut manager = self.manager.lock().await;
        if let (Some(sent), Some(current)) = (sent, manager.as_ref()) {
            // Another request may have refreshed already.
            if let Ok(token) = current.get_access_token().await
                && token != sent
            {
                return Ok(Some(token));
            }
            match current.refresh_token().await {
                Ok(_) => {
                    let token = current.get_access_token().await?;
                    self.authorized().await;
                    return Ok(Some(token));
                }
                Err(AuthError::TokenRefreshRejected(_) | AuthError::AuthorizationRequired) => {}
                Err(e) => return Err(e.into()),
            }
        }
        *manager = None;
        self.grant(
            &mut manager,
            Some(challenge),
            &[],
            "the server asks for a login",
        )
        .await
    }

    /// The server refused a request with 403 `insufficient_scope`. Returns the token to
    /// retry with once (after a step-up), or `None`.
    pub async fn insufficient_scope(&self, challenge: &str) -> Result<Option<String>, OAuthError> {
        let base = reqwest::Url::parse(&self.authority.server_url)
            .map_err(|e| OAuthError::Config(e.to_string()))?;
        let params = WWWAuthenticateParams::parse(challenge, &base);
        let wanted: Vec<String> = params
            .scope
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        if self.step_ups.fetch_add(1, Ordering::SeqCst) >= MAX_STEP_UPS {
            return Err(OAuthError::StepUpNeeded(format!(
                "{} (asked {MAX_STEP_UPS} times already; giving up)",
                wanted.join(" ")
            )));
        }
        let mut manager = self.manager.lock().await;
        *manager = None;
        self.grant(
            &mut manager,
            Some(challenge),
            &wanted,
            "the server asks for more scopes",
        )
        .await
    }

    /// A new grant in a request: unattended grants and inline logins run; a deferred one
    /// marks the session as needing a login.
    async fn grant(
        &self,
        manager: &mut Option<AuthorizationManager>,
        challenge: Option<&str>,
        more_scopes: &[String],
        reason: &str,
    ) -> Result<Option<String>, OAuthError> {
        let fresh = if self.authority.settings.is_unattended() {
            self.authority.unattended(challenge, more_scopes).await?
        } else {
            match &self.interaction {
                Interaction::Deferred => {
                    self.needs_login(reason, challenge.map(str::to_owned), more_scopes.to_vec());
                    return Ok(None);
                }
                Interaction::Headless => {
                    let login = self.authority.begin_login(challenge, more_scopes).await?;
                    let redirect = headless::follow(&login.url, &login.redirect_uri).await?;
                    headless::visit(redirect);
                    login.finish(INLINE_LOGIN_TIMEOUT).await?
                }
                Interaction::Inline(show) => {
                    let login = self.authority.begin_login(challenge, more_scopes).await?;
                    show(&login.url);
                    login.finish(INLINE_LOGIN_TIMEOUT).await?
                }
            }
        };
        let token = fresh.get_access_token().await?;
        *manager = Some(fresh);
        self.authorized().await;
        Ok(Some(token))
    }

    /// Starts a login a person finishes (the daemon's `auth login`): from the latest
    /// challenge and with the scopes a step-up asked for.
    pub async fn begin_login(&self) -> Result<PendingLogin, OAuthError> {
        let (challenge, more_scopes) = match self.state() {
            AuthState::NeedsLogin {
                challenge,
                more_scopes,
                ..
            } => (challenge, more_scopes),
            _ => (None, Vec::new()),
        };
        self.authority
            .begin_login(challenge.as_deref(), &more_scopes)
            .await
    }

    /// Finishes a login started with [`Self::begin_login`] and takes its tokens.
    pub async fn complete_login(
        &self,
        login: PendingLogin,
        timeout: Duration,
    ) -> Result<(), OAuthError> {
        let fresh = login.finish(timeout).await?;
        *self.manager.lock().await = Some(fresh);
        self.step_ups.store(0, Ordering::SeqCst);
        self.authorized().await;
        Ok(())
    }

    /// Runs an unattended grant now (client credentials, enterprise).
    pub async fn authorize_unattended(&self) -> Result<(), OAuthError> {
        let mut manager = self.manager.lock().await;
        let fresh = self.authority.unattended(None, &[]).await?;
        *manager = Some(fresh);
        self.authorized().await;
        Ok(())
    }

    /// Refreshes now, ahead of expiry (the daemon's background refresh). A refused refresh
    /// leaves the session needing a login; an unattended grant is simply run again.
    pub async fn refresh(&self) -> Result<(), OAuthError> {
        let mut manager = self.manager.lock().await;
        if manager.is_none() {
            *manager = self.authority.resume().await?;
        }
        let Some(current) = manager.as_ref() else {
            return Ok(());
        };
        match current.refresh_token().await {
            Ok(_) => {
                self.authorized().await;
                self.emit(OAuthChange::Refreshed, None).await;
                Ok(())
            }
            Err(AuthError::TokenRefreshRejected(_) | AuthError::AuthorizationRequired) => {
                *manager = None;
                if self.authority.settings.is_unattended() {
                    *manager = Some(self.authority.unattended(None, &[]).await?);
                    self.authorized().await;
                    self.emit(OAuthChange::Refreshed, None).await;
                    return Ok(());
                }
                self.needs_login(
                    "the authorization server refused the refresh token",
                    None,
                    Vec::new(),
                );
                Err(OAuthError::Protocol(AuthError::AuthorizationRequired))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Forgets the tokens (and registration) and says a login is needed.
    pub async fn forget(&self, reason: &str) -> Result<(), OAuthError> {
        *self.manager.lock().await = None;
        self.authority
            .records
            .clear()
            .await
            .map_err(OAuthError::Store)?;
        self.needs_login(reason, None, Vec::new());
        Ok(())
    }

    /// When the current access token expires (seconds since the epoch), if known.
    pub async fn expires_at(&self) -> Option<u64> {
        self.authority.records.load().await.ok()?.expires_at()
    }

    async fn authorized(&self) {
        let expires_at = self.expires_at().await;
        self.state
            .send_replace(AuthState::Authorized { expires_at });
    }

    fn needs_login(&self, reason: &str, challenge: Option<String>, more_scopes: Vec<String>) {
        let previous = self.state();
        let first = !matches!(previous, AuthState::NeedsLogin { .. });
        // Keep what an earlier refusal learned (a step-up's scopes) when a later one adds
        // nothing.
        let (challenge, more_scopes) = match previous {
            AuthState::NeedsLogin {
                challenge: old_challenge,
                more_scopes: old_scopes,
                ..
            } => (
                challenge.or(old_challenge),
                union(&[&old_scopes, &more_scopes]),
            ),
            _ => (challenge, more_scopes),
        };
        self.state.send_replace(AuthState::NeedsLogin {
            reason: reason.to_owned(),
            challenge,
            more_scopes,
        });
        if first && let Some(notify) = self.notifier.get() {
            notify(OAuthChange::LoginRequired, self.auth_now(None, None));
        }
    }

    /// The server's authorization as clients see it (no secret in it).
    pub async fn auth(&self) -> ServerAuth {
        let record = self.authority.records.load().await.unwrap_or_default();
        self.auth_now(Some(&record), None)
    }

    fn auth_now(&self, record: Option<&super::OAuthRecord>, message: Option<String>) -> ServerAuth {
        let login_url = self.login_url();
        let (status, reason, scopes) = match self.state() {
            AuthState::Unknown => (AuthStatus::None, None, Vec::new()),
            AuthState::Authorized { .. } => (
                AuthStatus::Authorized,
                None,
                record.map(|r| r.scopes.clone()).unwrap_or_default(),
            ),
            AuthState::NeedsLogin {
                reason,
                more_scopes,
                ..
            } => {
                let status = if login_url.is_some() {
                    AuthStatus::LoggingIn
                } else {
                    AuthStatus::LoginRequired
                };
                (status, Some(reason), more_scopes)
            }
        };
        ServerAuth {
            server: self.label.clone(),
            status,
            login_url,
            expires_at: record
                .and_then(super::OAuthRecord::expires_at)
                .and_then(|secs| jiff::Timestamp::from_second(i64::try_from(secs).ok()?).ok()),
            refreshable: record.is_some_and(super::OAuthRecord::has_refresh_token),
            scopes,
            message: message.or(reason),
        }
    }

    async fn emit(&self, change: OAuthChange, message: Option<String>) {
        if let Some(notify) = self.notifier.get() {
            let record = self.authority.records.load().await.unwrap_or_default();
            notify(change, self.auth_now(Some(&record), message));
        }
    }

    /// The URL of the login waiting for a person, if one is.
    pub fn login_url(&self) -> Option<String> {
        crate::sync::lock(&self.pending)
            .as_ref()
            .filter(|p| !p.task.is_finished())
            .map(|p| p.url.clone())
    }

    /// Starts a login a person finishes in the browser (or returns the one already
    /// waiting): the URL to open. When the redirect comes, the tokens are taken and the
    /// state turns `Authorized` (the supervisor reconnects on that).
    pub async fn start_login(self: &Arc<Self>) -> Result<String, OAuthError> {
        if let Some(url) = self.login_url() {
            return Ok(url);
        }
        if self.authority.settings.is_unattended() {
            self.authorize_unattended().await?;
            self.emit(OAuthChange::LoggedIn, None).await;
            return Ok(String::new());
        }
        let login = self.begin_login().await?;
        let url = login.url.clone();
        let this = Arc::clone(self);
        let task = tokio::spawn(async move {
            match this.complete_login(login, LOGIN_TIMEOUT).await {
                Ok(()) => this.emit(OAuthChange::LoggedIn, None).await,
                Err(e) => {
                    tracing::warn!(server = %this.label, error = %e, "login failed");
                    this.needs_login(&format!("the last login failed: {e}"), None, Vec::new());
                    this.emit(OAuthChange::LoginFailed, Some(e.to_string()))
                        .await;
                }
            }
            *crate::sync::lock(&this.pending) = None;
        });
        *crate::sync::lock(&self.pending) = Some(Pending {
            url: url.clone(),
            task,
        });
        self.emit(OAuthChange::LoginStarted, None).await;
        Ok(url)
    }

    /// Revokes the tokens where the server supports it (RFC 7009), forgets them, and says
    /// a login is needed.
    pub async fn logout(&self) -> Result<(), OAuthError> {
        if let Some(pending) = crate::sync::lock(&self.pending).take() {
            pending.task.abort();
        }
        if let Err(e) = self.authority.revoke().await {
            tracing::warn!(server = %self.label, error = %e, "revoking the tokens failed; forgetting them anyway");
        }
        self.forget("logged out").await?;
        self.emit(OAuthChange::LoggedOut, None).await;
        Ok(())
    }
}

/// How long a login started for a person waits for the redirect.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(600);
