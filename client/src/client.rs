//! The client a monitoring tool uses: built once, signs itself in, retries, reads pages.

use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use url::Url;
use uuid::Uuid;

use crate::ApiClient;
use crate::auth::Bearer;
use crate::base_url;
use crate::credentials::{Credentials, Secret};
use crate::error::Error;
use crate::raw::{self, RawPage};
use crate::retry::{self, RetryPolicy};
use crate::tls;
use crate::token::TokenKeeper;
use crate::wire;

/// Largest page the API serves (contract D9).
pub const MAX_PAGE_SIZE: u32 = 10_000;
/// Page size of [`Client::job_sessions`] unless configured otherwise.
pub const DEFAULT_PAGE_SIZE: u32 = 1_000;

/// Settings for a [`Client`]; start with [`Client::builder`].
#[derive(Clone)]
pub struct ClientBuilder {
    base_url: String,
    credentials: Option<Credentials>,
    connect_timeout: Duration,
    timeout: Duration,
    user_agent: String,
    root_certificates: Vec<Vec<u8>>,
    pins: Vec<String>,
    accept_invalid_certificates: bool,
    retry: RetryPolicy,
    page_size: u32,
    refresh_margin: Duration,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("user_agent", &self.user_agent)
            .field("root_certificates", &self.root_certificates.len())
            .field("pins", &self.pins)
            .field(
                "accept_invalid_certificates",
                &self.accept_invalid_certificates,
            )
            .field("retry", &self.retry)
            .field("page_size", &self.page_size)
            .field("refresh_margin", &self.refresh_margin)
            .finish()
    }
}

impl ClientBuilder {
    /// Signs in with a user name and password through `POST /v5/Token`.
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some(Credentials::Password {
            username: username.into(),
            password: Secret::new(password),
        });
        self
    }

    /// Uses a bearer token obtained elsewhere (not refreshed, not renewed on 401).
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.credentials = Some(Credentials::Token(Secret::new(token)));
        self
    }

    /// Time allowed to establish a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for a whole request, body included (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The `User-Agent` header (default `vbo-client/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Trusts the PEM certificate(s) in `pem` besides the system's roots, e.g. the
    /// self-signed certificate a backup server ships with. Checked by [`Self::build`].
    ///
    /// A server that presents one of these certificates byte for byte is trusted even when
    /// it is marked as a CA (`openssl req -x509` makes them so), as curl does; its host name
    /// or IP address and its validity period are still checked.
    pub fn add_root_certificate(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.root_certificates.push(pem.as_ref().to_vec());
        self
    }

    /// Trusts only a server certificate with this SHA-256 pin (repeatable; any pin matches):
    /// `sha256//BASE64` of its public key (curl's `--pinnedpubkey` form), or the certificate's
    /// SHA-256 as 64 hex digits (colons allowed) or base64; `;` separates several. A matching
    /// certificate needs no CA; its host name or IP address and its validity period are still
    /// checked. Forms are checked by [`Self::build`].
    pub fn pin_sha256(mut self, pin: impl Into<String>) -> Self {
        self.pins.push(pin.into());
        self
    }

    /// DANGER: accepts any server certificate, so anyone on the path can read the password
    /// and tokens. For lab use only; [`Self::build`] logs a warning when it is on.
    pub fn danger_accept_invalid_certificates(mut self, accept: bool) -> Self {
        self.accept_invalid_certificates = accept;
        self
    }

    /// Retry policy for transient failures (default: 4 attempts, 0.5 s doubling, 30 s cap).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sessions per request of [`Client::job_sessions`], 1 to 10000 (default 1000).
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size;
        self
    }

    /// How long before expiry the token is refreshed (default 60 s, at most half its life).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let base = base_url::normalise(&self.base_url)?;
        let page_size = NonZeroU32::new(self.page_size)
            .filter(|size| size.get() <= MAX_PAGE_SIZE)
            .ok_or_else(|| {
                Error::InvalidInput(format!(
                    "page size {} is outside 1..={MAX_PAGE_SIZE}",
                    self.page_size
                ))
            })?;
        if self.retry.max_attempts == 0 {
            return Err(Error::InvalidInput(
                "max_attempts must be at least 1".into(),
            ));
        }
        let credentials = self.credentials.ok_or_else(|| {
            Error::InvalidInput(
                "no credentials: call credentials(user, password) or bearer_token(token)".into(),
            )
        })?;

        let mut http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .user_agent(self.user_agent);
        let mut certificates = Vec::new();
        for (index, pem) in self.root_certificates.iter().enumerate() {
            let bundle = tls::parse_certificates(pem).map_err(|why| {
                Error::InvalidInput(format!("root certificate #{} {why}", index + 1))
            })?;
            certificates.extend(bundle);
        }
        let mut pins = Vec::new();
        for (index, pin) in self.pins.iter().enumerate() {
            let parsed = tls::parse_pins(pin)
                .map_err(|why| Error::InvalidInput(format!("pin #{}: {why}", index + 1)))?;
            pins.extend(parsed);
        }
        if self.accept_invalid_certificates {
            log::warn!(
                "TLS certificate verification is OFF for {base}: anyone on the network path can read the credentials and tokens; trust the server's certificate with add_root_certificate or pin_sha256 instead"
            );
            http = http.tls_danger_accept_invalid_certs(true);
        } else if !certificates.is_empty() || !pins.is_empty() {
            // Without supplied certificates or pins, reqwest's own configuration (the platform
            // verifier) is the same as ours, so it is left alone.
            let config = tls::client_config(certificates, pins).map_err(|why| {
                Error::InvalidInput(format!("the TLS configuration cannot be built: {why}"))
            })?;
            http = http.tls_backend_preconfigured(config);
        }
        let http = http
            .build()
            .map_err(|e| Error::InvalidInput(format!("the HTTP client cannot be built: {e}")))?;

        let bearer = Bearer::none();
        let tokens = TokenKeeper::new(credentials, bearer.clone(), self.refresh_margin)?;
        let api = ApiClient::new_with_client(&base_url::for_generated(&base), http, bearer);
        Ok(Client {
            inner: Arc::new(Inner {
                api,
                base,
                tokens,
                retry: self.retry,
                page_size,
                accept_invalid_certificates: self.accept_invalid_certificates,
            }),
        })
    }
}

/// A signed-in client for the job-sessions API; cheap to clone (clones share the token).
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

/// What clones of a [`Client`] share.
pub(crate) struct Inner {
    api: ApiClient,
    base: Url,
    tokens: TokenKeeper,
    retry: RetryPolicy,
    pub(crate) page_size: NonZeroU32,
    accept_invalid_certificates: bool,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base.as_str())
            .field("tokens", &self.inner.tokens)
            .field("retry", &self.inner.retry)
            .field("page_size", &self.inner.page_size)
            .field(
                "accept_invalid_certificates",
                &self.inner.accept_invalid_certificates,
            )
            .finish()
    }
}

impl Client {
    /// Starts building a client for the server at `base_url` (`https://vbo01`,
    /// `https://vbo01:4443/v5`, ...; port 4443 when none is given).
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.into(),
            credentials: None,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
            user_agent: concat!("vbo-client/", env!("CARGO_PKG_VERSION")).to_owned(),
            root_certificates: Vec::new(),
            pins: Vec::new(),
            accept_invalid_certificates: false,
            retry: RetryPolicy::default(),
            page_size: DEFAULT_PAGE_SIZE,
            refresh_margin: Duration::from_secs(60),
        }
    }

    /// The normalised base URL (port included, no `/v5`).
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The page size [`Client::job_sessions`] asks for.
    pub fn page_size(&self) -> u32 {
        self.inner.page_size.get()
    }

    /// Signs in now (otherwise the first request does); a no-op with a ready token.
    pub async fn sign_in(&self) -> Result<(), Error> {
        let inner = &self.inner;
        inner
            .tokens
            .ensure(&inner.api, &inner.retry)
            .await
            .map(drop)
    }

    /// One page as received (any status), through the same sign-in, refresh and retry path
    /// as every request. Fails only when no response came back or sign-in failed.
    pub async fn fetch_page_raw(
        &self,
        job_id: Uuid,
        offset: u32,
        limit: u32,
    ) -> Result<RawPage, Error> {
        let offset = i32::try_from(offset)
            .map_err(|_| Error::InvalidInput(format!("offset {offset} exceeds {}", i32::MAX)))?;
        let limit = NonZeroU32::new(limit)
            .filter(|l| l.get() <= MAX_PAGE_SIZE)
            .ok_or_else(|| {
                Error::InvalidInput(format!("limit {limit} is outside 1..={MAX_PAGE_SIZE}"))
            })?;
        self.get_with_retries(job_id, offset, limit).await
    }

    /// One page, read leniently (unknown enum values kept, counters as strings accepted).
    pub async fn page(
        &self,
        job_id: Uuid,
        offset: u32,
        limit: u32,
    ) -> Result<wire::JobSessionPage, Error> {
        self.fetch_page_raw(job_id, offset, limit).await?.parse()
    }

    /// The page's `next` link resolved against the base URL (absolute or relative). The
    /// client reads it only as "more pages exist", never follows it (contract D10).
    pub fn next_link(&self, page: &wire::JobSessionPage) -> Option<Url> {
        let href = &page.links.as_ref()?.get("next")?.href;
        self.inner.base.join(href).ok()
    }

    /// A GET of the job's sessions with sign-in, one re-sign-in on 401, and retries.
    async fn get_with_retries(
        &self,
        job_id: Uuid,
        offset: i32,
        limit: NonZeroU32,
    ) -> Result<RawPage, Error> {
        let inner = &self.inner;
        let policy = &inner.retry;
        let mut attempt = 1;
        let mut signed_in_again = false;
        loop {
            let generation = inner.tokens.ensure(&inner.api, policy).await?;
            let (result, raw) = raw::capture(inner.api.get_job_sessions(
                &job_id,
                Some(limit),
                Some(offset),
            ))
            .await;
            let wait = match raw {
                Some(raw)
                    if raw.status.as_u16() == 401
                        && !signed_in_again
                        && inner.tokens.can_sign_in() =>
                {
                    signed_in_again = true;
                    log::info!("{} answered 401; signing in again once", raw.request_url);
                    inner
                        .tokens
                        .renew_after_401(generation, &inner.api, policy)
                        .await?;
                    continue;
                }
                Some(raw)
                    if retry::is_retryable_status(raw.status) && attempt < policy.max_attempts =>
                {
                    retry::retry_after(&raw.headers)
                }
                Some(raw) => return Ok(raw),
                None => {
                    let error = match result {
                        Err(progenitor_client::Error::CommunicationError(e)) => e,
                        Err(progenitor_client::Error::ResponseBodyError(e)) => e,
                        _ => {
                            return Err(Error::InvalidInput(
                                "the request could not be built".into(),
                            ));
                        }
                    };
                    let retryable = retry::is_retryable_failure(&error);
                    if !retryable || attempt >= policy.max_attempts {
                        return Err(Error::from_reqwest(inner.base.as_str(), error));
                    }
                    None
                }
            };
            let delay = policy.delay(attempt, wait);
            log::debug!("transient failure, attempt {attempt}; retrying in {delay:?}");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }
}
