//! Keeping the bearer token valid: sign in, refresh shortly before expiry, sign in again on 401.

use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::ApiClient;
use crate::auth::Bearer;
use crate::credentials::{Credentials, Secret};
use crate::error::Error;
use crate::raw::RawPage;
use crate::retry::{self, Attempt, Operation, RetryPolicy};
use crate::transient::{TransientEvent, TransientRecorder};
use crate::types::{Token, TokenError, TokenRequest, TokenRequestGrantType};

/// Shortest token lifetime the client schedules by: an `expires_in` of 0 or less is read as
/// 1 s, so a server that sends nonsense costs one refresh a second, not one a request.
pub const MIN_TOKEN_LIFETIME: Duration = Duration::from_secs(1);

/// Longest token lifetime the client schedules by (365 days): a larger `expires_in`, up to
/// `i64::MAX`, is read as this, so no instant arithmetic can overflow.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// The lifetime `expires_in` (seconds, as the server sent it) stands for, clamped to
/// [`MIN_TOKEN_LIFETIME`]..=[`MAX_TOKEN_LIFETIME`].
pub(crate) fn token_lifetime(expires_in: i64) -> Duration {
    let seconds = u64::try_from(expires_in).unwrap_or(0);
    let lifetime = Duration::from_secs(seconds).clamp(MIN_TOKEN_LIFETIME, MAX_TOKEN_LIFETIME);
    if lifetime.as_secs() != seconds {
        log::warn!(
            "the server granted a token with expires_in {expires_in}; scheduling its refresh as if it were {} s (bounds {} s..={} s)",
            lifetime.as_secs(),
            MIN_TOKEN_LIFETIME.as_secs(),
            MAX_TOKEN_LIFETIME.as_secs()
        );
    }
    lifetime
}

/// The token state every request of one client shares.
#[derive(Debug)]
pub(crate) struct TokenKeeper {
    credentials: Credentials,
    bearer: Bearer,
    /// How long before expiry a token is refreshed (at most half its lifetime).
    refresh_margin: Duration,
    /// Cap on a token response body.
    body_cap: u64,
    /// Where absorbed faults of sign-in and refresh go.
    log: TransientRecorder,
    state: Mutex<TokenState>,
}

/// The current token's bookkeeping; the token itself lives only in the [`Bearer`].
#[derive(Debug, Default)]
struct TokenState {
    /// Bumped at every sign-in or refresh, so a 401 that raced a renewal does not renew twice.
    generation: u64,
    signed_in: bool,
    refresh_token: Option<Secret>,
    refresh_at: Option<Instant>,
}

impl TokenKeeper {
    /// A keeper for `credentials`; a ready token is put in `bearer` at once.
    pub(crate) fn new(
        credentials: Credentials,
        bearer: Bearer,
        refresh_margin: Duration,
        body_cap: u64,
        log: TransientRecorder,
    ) -> Result<Self, Error> {
        let mut state = TokenState::default();
        if let Credentials::Token(token) = &credentials {
            bearer
                .set(token.expose())
                .map_err(|e| Error::InvalidInput(e.to_string()))?;
            state.signed_in = true;
        }
        Ok(Self {
            credentials,
            bearer,
            refresh_margin,
            body_cap,
            log,
            state: Mutex::new(state),
        })
    }

    /// Whether a 401 can be answered by signing in again.
    pub(crate) fn can_sign_in(&self) -> bool {
        matches!(self.credentials, Credentials::Password { .. })
    }

    /// Makes sure a fresh token is set; returns the generation of that token.
    pub(crate) async fn ensure(&self, api: &ApiClient, retry: &RetryPolicy) -> Result<u64, Error> {
        let mut state = self.state.lock().await;
        if !state.signed_in {
            self.sign_in(&mut state, api, retry).await?;
        } else if state.refresh_at.is_some_and(|at| Instant::now() >= at) {
            self.refresh(&mut state, api, retry).await?;
        }
        Ok(state.generation)
    }

    /// Signs in again after a 401 with the token of `generation`, unless another request
    /// already did.
    pub(crate) async fn renew_after_401(
        &self,
        generation: u64,
        api: &ApiClient,
        retry: &RetryPolicy,
    ) -> Result<(), Error> {
        let mut state = self.state.lock().await;
        if state.generation == generation {
            self.sign_in(&mut state, api, retry).await?;
        }
        Ok(())
    }

    /// Refreshes with the refresh token; falls back to the password when that is refused.
    async fn refresh(
        &self,
        state: &mut TokenState,
        api: &ApiClient,
        retry: &RetryPolicy,
    ) -> Result<(), Error> {
        let Some(refresh_token) = state.refresh_token.clone() else {
            return self.sign_in(state, api, retry).await;
        };
        let request = TokenRequest {
            grant_type: TokenRequestGrantType::RefreshToken,
            refresh_token: Some(refresh_token),
            username: None,
            password: None,
        };
        match request_token(api, &request, retry, &self.log, self.body_cap).await {
            Ok(token) => self.accept(state, token),
            Err(Error::Authentication { .. }) if self.can_sign_in() => {
                log::info!("refresh token refused; signing in again with the password");
                self.sign_in(state, api, retry).await
            }
            Err(other) => Err(other),
        }
    }

    /// Signs in with the password (with a ready token there is nothing to sign in with).
    async fn sign_in(
        &self,
        state: &mut TokenState,
        api: &ApiClient,
        retry: &RetryPolicy,
    ) -> Result<(), Error> {
        let Credentials::Password { username, password } = &self.credentials else {
            return Ok(());
        };
        let request = TokenRequest {
            grant_type: TokenRequestGrantType::Password,
            username: Some(username.clone()),
            password: Some(password.clone()),
            refresh_token: None,
        };
        let token = request_token(api, &request, retry, &self.log, self.body_cap).await?;
        self.accept(state, token)
    }

    /// Installs a granted token and schedules its refresh.
    fn accept(&self, state: &mut TokenState, token: Token) -> Result<(), Error> {
        self.bearer
            .set(token.access_token.expose())
            .map_err(|e| Error::InvalidInput(format!("the server granted a token that {e}")))?;
        let lifetime = token_lifetime(token.expires_in);
        let margin = self.refresh_margin.min(lifetime / 2);
        // `None` (an instant the clock cannot hold) leaves the refresh to the 401 path.
        state.refresh_at = Instant::now().checked_add(lifetime.saturating_sub(margin));
        state.refresh_token = token.refresh_token;
        state.signed_in = true;
        state.generation += 1;
        Ok(())
    }
}

/// `POST /v5/Token` through the one retry loop: retried on connection failures, 429 (after
/// `Retry-After`) and 502-504, never on another 4xx; the body read against `cap`.
async fn request_token(
    api: &ApiClient,
    request: &TokenRequest,
    retry: &RetryPolicy,
    log: &TransientRecorder,
    cap: u64,
) -> Result<Token, Error> {
    retry::run(retry, log, || async {
        // The generated code stops before sending only when the form cannot be encoded; its
        // message is kept out because it could quote a field.
        let raw = match retry::send(
            cap,
            api.create_token(request),
            base_url(api),
            "the sign-in request could not be encoded",
        )
        .await
        {
            Ok(raw) => raw,
            Err(attempt) => return attempt,
        };
        if raw.status.as_u16() == 200 {
            return Attempt::Done(read_token(&raw));
        }
        match retry::transient_status(raw.status, Operation::SignIn) {
            Some(kind) => Attempt::Retry {
                event: TransientEvent {
                    kind,
                    url: raw.request_url.to_string(),
                    detail: retry::status_detail(raw.status, &raw.headers),
                },
                wait: retry::retry_after(&raw.headers),
                last: Err(raw.status_error()),
            },
            None if raw.status.is_client_error() => Attempt::Done(Err(token_refusal(&raw))),
            None => Attempt::Done(Err(raw.status_error())),
        }
    })
    .await
}

/// The server's base URL, for messages when reqwest does not know the request's.
fn base_url(api: &ApiClient) -> &str {
    progenitor_client::ClientInfo::baseurl(api)
}

/// Reads a 200 token response; on mismatch the body (which holds secrets) is not kept, and
/// only where the mismatch is is reported, never the offending value.
fn read_token(raw: &RawPage) -> Result<Token, Error> {
    serde_json::from_slice(&raw.body).map_err(|e| Error::Payload {
        url: raw.request_url.to_string(),
        reason: format!(
            "the token response is not a Token ({:?} error at line {}, column {}); the body is withheld because it may hold a token",
            e.classify(),
            e.line(),
            e.column()
        ),
        body: bytes::Bytes::new(),
    })
}

/// The [`Error::Authentication`] a 4xx from the token endpoint stands for.
fn token_refusal(raw: &RawPage) -> Error {
    match serde_json::from_slice::<TokenError>(&raw.body) {
        Ok(refusal) => Error::Authentication {
            error: refusal.error,
            description: refusal.error_description,
        },
        Err(_) => Error::Authentication {
            error: format!("HTTP {}", raw.status.as_u16()),
            description: None,
        },
    }
}
