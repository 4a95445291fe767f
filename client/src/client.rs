//! The client a monitoring tool uses: built once, signs itself in, retries, reads pages.

use std::fmt;
use std::future::Future;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{ACCEPT, HeaderName, HeaderValue};
use url::Url;
use uuid::Uuid;

use crate::ApiClient;
use crate::auth::Bearer;
use crate::base_url;
use crate::body::{DEFAULT_MAX_BODY_BYTES, MAX_TOKEN_BODY_BYTES};
use crate::credentials::{Credentials, Secret};
use crate::error::Error;
use crate::origin;
use crate::raw::RawPage;
use crate::retry::{self, Attempt, Operation, RetryPolicy};
use crate::same_origin;
use crate::tls;
use crate::token::TokenKeeper;
use crate::transient::{TransientEvent, TransientKind, TransientLog, TransientRecorder};
use crate::{types, wire};

/// The operation id [`Client::get_raw`] requests carry in the client hooks (no operation of
/// the document has it).
const RAW_OPERATION: &str = "get_raw";

/// Largest page the API serves (contract D9).
pub const MAX_PAGE_SIZE: u32 = 10_000;
/// Page size of [`Client::job_sessions`] unless configured otherwise.
pub const DEFAULT_PAGE_SIZE: u32 = 1_000;
/// Sessions one walk of [`Client::job_sessions`] lists at most unless configured otherwise:
/// far beyond a real job (an hourly job kept ten years has under 90,000), and it bounds the
/// memory of the walk's id index (16 bytes an id) to some tens of MB.
pub const DEFAULT_MAX_SESSIONS_PER_WALK: u64 = 1_000_000;

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
    max_body_bytes: u64,
    allow_password_over_http: bool,
    max_sessions_per_walk: u64,
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
            .field("max_body_bytes", &self.max_body_bytes)
            .field("allow_password_over_http", &self.allow_password_over_http)
            .field("max_sessions_per_walk", &self.max_sessions_per_walk)
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

    /// Uses `credentials` as they are, e.g. from [`Credentials::from_env`].
    pub fn with_credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Cap on any response body, in bytes, read while it streams (default
    /// [`DEFAULT_MAX_BODY_BYTES`]); going over is [`Error::BodyTooLarge`] and drops the
    /// connection. Token responses are capped at the smaller of this and
    /// [`MAX_TOKEN_BODY_BYTES`].
    pub fn max_body_bytes(mut self, cap: u64) -> Self {
        self.max_body_bytes = cap;
        self
    }

    /// Allows sending the password over plain `http://` to a host that is not loopback
    /// (default: refused with [`Error::PasswordOverHttp`]). Anyone on the network path can then
    /// read the password and the tokens; for a lab behind a trusted network only.
    pub fn allow_password_over_http(mut self, allow: bool) -> Self {
        self.allow_password_over_http = allow;
        self
    }

    /// Sessions one walk of [`Client::job_sessions`] (or [`Client::pages`]) lists at most
    /// (default [`DEFAULT_MAX_SESSIONS_PER_WALK`]); going over is [`Error::WalkLimit`].
    pub fn max_sessions_per_walk(mut self, sessions: u64) -> Self {
        self.max_sessions_per_walk = sessions;
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
        if self.max_body_bytes == 0 {
            return Err(Error::InvalidInput(
                "max_body_bytes must be at least 1".into(),
            ));
        }
        origin::check_plain_http(&base, &credentials, self.allow_password_over_http)?;

        let mut http = reqwest::Client::builder()
            // No redirect is ever followed: the password and tokens stay with the origin the
            // caller named, and a 3xx comes back as it is (see `Error::Redirect`).
            .redirect(reqwest::redirect::Policy::none())
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
        let transient = TransientRecorder::default();
        let tokens = TokenKeeper::new(
            credentials,
            bearer.clone(),
            self.refresh_margin,
            self.max_body_bytes.min(MAX_TOKEN_BODY_BYTES),
            transient.clone(),
        )?;
        let api = ApiClient::new_with_client(&base_url::for_generated(&base), http, bearer);
        Ok(Client {
            inner: Arc::new(Inner {
                api,
                base,
                tokens,
                retry: self.retry,
                page_size,
                accept_invalid_certificates: self.accept_invalid_certificates,
                max_body_bytes: self.max_body_bytes,
                max_sessions_per_walk: self.max_sessions_per_walk,
                transient,
            }),
        })
    }
}

/// A signed-in client for the jobs and job-sessions API; cheap to clone (clones share the token).
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
    max_body_bytes: u64,
    pub(crate) max_sessions_per_walk: u64,
    transient: TransientRecorder,
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
            .field("max_body_bytes", &self.inner.max_body_bytes)
            .field("max_sessions_per_walk", &self.inner.max_sessions_per_walk)
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
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            allow_password_over_http: false,
            max_sessions_per_walk: DEFAULT_MAX_SESSIONS_PER_WALK,
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

    /// The faults this client (and every clone of it) absorbed since it was built: retries,
    /// re-sign-ins and throttled sign-ins, counted by kind with the first of each.
    pub fn transient_log(&self) -> TransientLog {
        self.inner.transient.snapshot()
    }

    /// [`Self::transient_log`], then starts the log afresh (for a view per job or per run).
    pub fn take_transient_log(&self) -> TransientLog {
        self.inner.transient.take()
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
        let api = &self.inner.api;
        self.get_with_retries(self.inner.base.as_str(), || {
            api.get_job_sessions(&job_id, Some(limit), Some(offset))
        })
        .await
    }

    /// Every backup job (`GET /v5/Jobs`, one array: contract D20), read strictly: a value the
    /// contract does not know (a new `lastStatus`, say) is an [`Error::Payload`]. Goes through
    /// the same sign-in, retry loop and body cap as every request.
    pub async fn jobs(&self) -> Result<Vec<types::Job>, Error> {
        self.jobs_raw().await?.parse_as()
    }

    /// [`Self::jobs`], read leniently as pages are: unknown enum values are kept (see
    /// [`crate::wire`]), so one job with a new schedule kind does not hide the others.
    pub async fn jobs_wire(&self) -> Result<Vec<wire::Job>, Error> {
        self.jobs_raw().await?.parse_as()
    }

    /// The response of `GET /v5/Jobs` as received, through the generated operation.
    async fn jobs_raw(&self) -> Result<RawPage, Error> {
        let api = &self.inner.api;
        self.get_with_retries(self.inner.base.as_str(), || api.get_jobs())
            .await
    }

    /// A GET of any path of the contract document (`/v5/Jobs`,
    /// `/v5/Jobs/{id}/JobSessions?offset=0&limit=30`, ...), as received (any status), so a
    /// verifier can walk every operation without a new method each.
    ///
    /// `path_and_query` is appended to the base URL as the generated operations do it. It goes
    /// through the same sign-in, bearer token, retry loop, body cap, no-redirect rule and
    /// transient log as [`Self::fetch_page_raw`]. Anything that could leave the server (an
    /// absolute URL, `//host`, backslashes, control characters, dot segments) is refused with
    /// [`Error::RefusedPath`] before any connection is made.
    pub async fn get_raw(&self, path_and_query: &str) -> Result<RawPage, Error> {
        let url = same_origin::resolve(&self.inner.base, path_and_query)?;
        let api = &self.inner.api;
        let url = &url;
        self.get_with_retries(url.as_str(), || async move {
            // What the generated operations send, through the same hooks: `pre` puts the
            // bearer token on, `exec` reads the body against the cap and captures it.
            let info = OperationInfo {
                operation_id: RAW_OPERATION,
            };
            let mut request = ClientInfo::client(api)
                .get(url.clone())
                .header(ACCEPT, HeaderValue::from_static("application/json"))
                .header(
                    HeaderName::from_static("api-version"),
                    HeaderValue::from_static(<ApiClient as ClientInfo<Bearer>>::api_version()),
                )
                .build()?;
            ClientHooks::<Bearer>::pre::<types::Error>(api, &mut request, &info).await?;
            let response = ClientHooks::<Bearer>::exec(api, request, &info).await?;
            Ok::<_, progenitor_client::Error<types::Error>>(response)
        })
        .await
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

    /// A GET through the one retry loop, with sign-in and one re-sign-in on 401: `call` sends
    /// it once (a generated operation, or [`Self::get_raw`]'s request); `url` names it when no
    /// response says where it went.
    async fn get_with_retries<F, Fut, O, E>(&self, url: &str, call: F) -> Result<RawPage, Error>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<O, progenitor_client::Error<E>>>,
    {
        let inner = &*self.inner;
        let renewed = AtomicBool::new(false);
        let renewed = &renewed;
        let call = &call;
        retry::run(&inner.retry, &inner.transient, move || async move {
            let generation = match inner.tokens.ensure(&inner.api, &inner.retry).await {
                Ok(generation) => generation,
                Err(error) => return Attempt::Done(Err(error)),
            };
            let raw = match retry::send(
                inner.max_body_bytes,
                call(),
                url,
                "the request could not be built",
            )
            .await
            {
                Ok(raw) => raw,
                Err(attempt) => return attempt,
            };
            let event = |kind| TransientEvent {
                kind,
                url: raw.request_url.to_string(),
                detail: retry::status_detail(raw.status, &raw.headers),
            };
            if raw.status.as_u16() == 401
                && inner.tokens.can_sign_in()
                && !renewed.swap(true, Ordering::SeqCst)
            {
                let event = event(TransientKind::ReSignIn);
                return match inner
                    .tokens
                    .renew_after_401(generation, &inner.api, &inner.retry)
                    .await
                {
                    Ok(()) => Attempt::Renewed(event),
                    Err(error) => Attempt::Done(Err(error)),
                };
            }
            match retry::transient_status(raw.status, Operation::Page) {
                Some(kind) => Attempt::Retry {
                    event: event(kind),
                    wait: retry::retry_after(&raw.headers),
                    last: Ok(raw),
                },
                None => Attempt::Done(Ok(raw)),
            }
        })
        .await
    }
}
