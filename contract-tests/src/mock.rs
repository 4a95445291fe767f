//! The built-in VBO mock server: `POST /v5/Token` and `GET /v5/Jobs/{jobId}/JobSessions` on
//! loopback, over HTTP or HTTPS (a certificate made on the spot by a throwaway CA), serving
//! sessions drawn from the contract by [`crate::generate`], seeded and realistic, with real
//! offset/limit paging and one optional fault at a time.
//!
//! ```no_run
//! # async fn run() -> Result<(), vbo_contract::mock::MockError> {
//! use vbo_contract::mock::{MockConfig, MockServer, Tls};
//! let server = MockServer::start(MockConfig::default(), Tls::SelfSigned).await?;
//! println!("{} serves jobs {:?}", server.base_url(), server.job_ids());
//! server.shutdown().await?;
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::net::{SocketAddr, TcpListener};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use crate::contract::{Contract, ContractError};
use crate::generate::{GenerateError, Generator};

/// The content type of every JSON answer (D17).
pub const JSON_UTF8: &str = "application/json; charset=utf-8";
/// `limit` when the request has none (D9).
pub const DEFAULT_LIMIT: u64 = 30;

/// One way the mock misbehaves; the server has at most one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Every sessions response waits [`MockConfig::slow_delay`] first.
    Slow,
    /// Every other sessions request (the first, the third, ...) gets a 500.
    ServerError,
    /// Every other sessions request gets a 429 with `Retry-After: 1`.
    RateLimit,
    /// Pages are cut short: the JSON never ends.
    MalformedJson,
    /// Pages are sent as `text/html; charset=utf-8`.
    WrongContentType,
    /// Statistics are strings of digits, as the seed's table types them (D2).
    NumericStrings,
    /// Every seventh session has the status `Paused`, which the contract does not list.
    UnknownStatus,
    /// `_links.next` points at `/v5/JobSessions`, outside the job's collection (the seed's form).
    BrokenNext,
    /// Each page after the first starts one session early, repeating the previous page's last.
    DuplicateIds,
    /// Each access token works for one sessions request; the next use gets a 401.
    ExpiredToken,
}

impl Fault {
    /// Every fault.
    pub const ALL: &'static [Fault] = &[
        Fault::Slow,
        Fault::ServerError,
        Fault::RateLimit,
        Fault::MalformedJson,
        Fault::WrongContentType,
        Fault::NumericStrings,
        Fault::UnknownStatus,
        Fault::BrokenNext,
        Fault::DuplicateIds,
        Fault::ExpiredToken,
    ];

    /// The fault's kebab-case id, as `cargo xtask mock --fault` takes it.
    pub fn id(self) -> &'static str {
        match self {
            Fault::Slow => "slow",
            Fault::ServerError => "server-error",
            Fault::RateLimit => "rate-limit",
            Fault::MalformedJson => "malformed-json",
            Fault::WrongContentType => "wrong-content-type",
            Fault::NumericStrings => "numeric-strings",
            Fault::UnknownStatus => "unknown-status",
            Fault::BrokenNext => "broken-next",
            Fault::DuplicateIds => "duplicate-ids",
            Fault::ExpiredToken => "expired-token",
        }
    }

    /// The rule `verify --server` reports for this fault, or `None` for faults a resilient
    /// client absorbs (it waits, retries and signs in again, so the pages it judges are fine).
    pub fn rule(self) -> Option<crate::finding::Rule> {
        use crate::finding::Rule;
        match self {
            // A client that honours Retry-After, waits and signs in again sees only 200s.
            Fault::Slow | Fault::ExpiredToken | Fault::RateLimit => None,
            Fault::ServerError => Some(Rule::Status),
            Fault::MalformedJson => Some(Rule::JsonSyntax),
            Fault::WrongContentType => Some(Rule::ContentType),
            Fault::NumericStrings => Some(Rule::NumericString),
            Fault::UnknownStatus => Some(Rule::Schema),
            Fault::BrokenNext => Some(Rule::NextLeavesCollection),
            Fault::DuplicateIds => Some(Rule::DuplicateSessionId),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A fault id the mock does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault {0:?}; expected one of: {ids}", ids = Fault::ALL.iter().map(|f| f.id()).collect::<Vec<_>>().join(", "))]
pub struct UnknownFault(pub String);

impl FromStr for Fault {
    type Err = UnknownFault;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fault::ALL
            .iter()
            .copied()
            .find(|f| f.id() == s)
            .ok_or_else(|| UnknownFault(s.to_owned()))
    }
}

/// Whether the mock speaks HTTPS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// Plain HTTP.
    None,
    /// HTTPS with a certificate for `localhost` and `127.0.0.1` issued by a CA made at start;
    /// [`MockServer::ca_pem`] is that CA, for clients to trust.
    SelfSigned,
}

/// What the mock serves.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// Number of jobs (their ids derive from `seed`).
    pub jobs: usize,
    /// Sessions in each job.
    pub sessions_per_job: u64,
    /// Seed of every generated value.
    pub seed: u64,
    /// The user name `POST /v5/Token` accepts.
    pub user: String,
    /// The password `POST /v5/Token` accepts.
    pub password: String,
    /// The fault, if any.
    pub fault: Option<Fault>,
    /// Where to listen; `127.0.0.1:0` (any free port) when `None`.
    pub address: Option<SocketAddr>,
    /// How long [`Fault::Slow`] waits.
    pub slow_delay: Duration,
    /// Lifetime of access tokens (`expires_in`).
    pub token_lifetime: Duration,
}

impl Default for MockConfig {
    fn default() -> Self {
        Self {
            jobs: 3,
            sessions_per_job: 95,
            seed: 1,
            user: "vbo-admin".to_owned(),
            password: "mock-password".to_owned(),
            fault: None,
            address: None,
            slow_delay: Duration::from_secs(2),
            token_lifetime: Duration::from_secs(3600),
        }
    }
}

/// Why the mock could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    /// The contract did not load.
    #[error(transparent)]
    Contract(#[from] ContractError),
    /// Generators could not be derived from the contract.
    #[error(transparent)]
    Generate(#[from] GenerateError),
    /// The address could not be bound, or the server failed.
    #[error("mock server: {0}")]
    Io(#[from] std::io::Error),
    /// The certificate could not be made.
    #[error("mock certificate: {0}")]
    Certificate(String),
}

/// A running mock server; stop it with [`MockServer::shutdown`].
pub struct MockServer {
    address: SocketAddr,
    base_url: String,
    ca_pem: Option<String>,
    job_ids: Vec<String>,
    handle: axum_server::Handle<SocketAddr>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    warming: tokio::task::JoinHandle<()>,
    state: Arc<MockState>,
}

impl fmt::Debug for MockServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockServer")
            .field("base_url", &self.base_url)
            .field("jobs", &self.job_ids.len())
            .finish()
    }
}

impl MockServer {
    /// Starts the mock on the embedded contract.
    pub async fn start(config: MockConfig, tls: Tls) -> Result<Self, MockError> {
        Self::start_with(&Contract::embedded()?, config, tls).await
    }

    /// Starts the mock, generating from `contract`.
    pub async fn start_with(
        contract: &Contract,
        config: MockConfig,
        tls: Tls,
    ) -> Result<Self, MockError> {
        let listener = TcpListener::bind(
            config
                .address
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0))),
        )?;
        let address = listener.local_addr()?;
        let scheme = match tls {
            Tls::None => "http",
            Tls::SelfSigned => "https",
        };
        let base_url = format!("{scheme}://{address}");
        let generator = Generator::new(contract)?.with_base_url(base_url.clone());
        let job_ids = generator.job_ids(config.seed, config.jobs);
        let state = Arc::new(MockState {
            jobs: job_ids
                .iter()
                .map(|id| (id.to_ascii_lowercase(), (id.clone(), OnceCell::new())))
                .collect(),
            generator,
            config,
            tokens: Mutex::new(Tokens::default()),
            requests: AtomicU64::new(0),
            rendered: AtomicU64::new(0),
        });
        // Render every job in the background now, so the first page of a big job is quick;
        // a request that comes first waits for the same rendering.
        let warm = Arc::clone(&state);
        let warming = tokio::spawn(async move {
            for (job_id, cell) in warm.jobs.values() {
                rendered(&warm, job_id, cell).await;
            }
        });
        let app = router(Arc::clone(&state));
        let handle = axum_server::Handle::new();
        let (task, ca_pem) = match tls {
            Tls::None => {
                let server = axum_server::from_tcp(listener)?.handle(handle.clone());
                (tokio::spawn(server.serve(app.into_make_service())), None)
            }
            Tls::SelfSigned => {
                let certificate = Certificate::new()?;
                // Both aws-lc-rs and ring may be in the build; the mock picks one explicitly.
                let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
                let tls_config = axum_server::tls_rustls::RustlsConfig::from_pem(
                    certificate.chain_pem.into_bytes(),
                    certificate.key_pem.into_bytes(),
                )
                .await?;
                let server = axum_server::tls_rustls::from_tcp_rustls(listener, tls_config)?
                    .handle(handle.clone());
                (
                    tokio::spawn(server.serve(app.into_make_service())),
                    Some(certificate.ca_pem),
                )
            }
        };
        Ok(Self {
            address,
            base_url,
            ca_pem,
            job_ids,
            handle,
            task,
            warming,
            state,
        })
    }

    /// Sessions generated and serialised so far; a job's sessions are rendered once, so this
    /// stops growing once every job has been served.
    pub fn sessions_rendered(&self) -> u64 {
        self.state.rendered.load(Ordering::Relaxed)
    }

    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The PEM of the CA that issued the server's certificate (HTTPS only).
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// Writes the CA's PEM to `path` (HTTPS only; `Ok(false)` over plain HTTP).
    pub fn write_ca_pem(&self, path: &std::path::Path) -> std::io::Result<bool> {
        match &self.ca_pem {
            Some(pem) => std::fs::write(path, pem).map(|()| true),
            None => Ok(false),
        }
    }

    /// The ids of the served jobs.
    pub fn job_ids(&self) -> &[String] {
        &self.job_ids
    }

    /// Stops accepting connections, lets requests in flight finish (up to 5 s) and waits.
    pub async fn shutdown(self) -> Result<(), MockError> {
        // Jobs not yet rendered never will be; one being rendered finishes on its thread.
        self.warming.abort();
        self.handle.graceful_shutdown(Some(Duration::from_secs(5)));
        match self.task.await {
            Ok(result) => Ok(result?),
            Err(join) => Err(MockError::Io(std::io::Error::other(join.to_string()))),
        }
    }
}

/// The CA and the server certificate it issued, as PEM.
struct Certificate {
    ca_pem: String,
    chain_pem: String,
    key_pem: String,
}

impl Certificate {
    fn new() -> Result<Self, MockError> {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
        let fail = |e: rcgen::Error| MockError::Certificate(e.to_string());
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "vbo-contract mock CA");
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().map_err(fail)?)
            .map_err(fail)?;
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .map_err(fail)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "vbo-contract mock");
        let key = KeyPair::generate().map_err(fail)?;
        let leaf = params.signed_by(&key, &ca).map_err(fail)?;
        Ok(Self {
            ca_pem: ca.pem(),
            chain_pem: format!("{}{}", leaf.pem(), ca.pem()),
            key_pem: key.serialize_pem(),
        })
    }
}

/// Every session of a job as compact JSON, in index order.
type Rendered = Arc<Vec<Box<[u8]>>>;

/// Shared state of a running mock.
struct MockState {
    config: MockConfig,
    generator: Generator,
    /// Lower-case job id → (id as served, its sessions rendered on first use).
    jobs: HashMap<String, (String, OnceCell<Rendered>)>,
    tokens: Mutex<Tokens>,
    /// Sessions requests seen, for the faults that strike every other request.
    requests: AtomicU64,
    /// Sessions generated and serialised so far (each job's once, on first use).
    rendered: AtomicU64,
}

#[derive(Default)]
struct Tokens {
    issued: u64,
    access: HashMap<String, AccessToken>,
    refresh: std::collections::HashSet<String>,
}

struct AccessToken {
    expires: Instant,
    uses: u64,
}

fn router(state: Arc<MockState>) -> Router {
    Router::new()
        .route("/v5/Token", post(token))
        .route("/v5/Jobs/{job_id}/JobSessions", get(sessions))
        .fallback(|| async { message(StatusCode::NOT_FOUND, "No such resource.") })
        .with_state(state)
}

/// A JSON answer with the contract's content type.
fn json_response(status: StatusCode, body: impl Into<axum::body::Body>) -> Response {
    let mut response = (status, body.into()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8));
    response
}

/// `{"message": ...}` with `status` (D16).
fn message(status: StatusCode, text: &str) -> Response {
    json_response(status, json!({ "message": text }).to_string())
}

fn token_error(error: &str, description: &str) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        json!({ "error": error, "error_description": description }).to_string(),
    )
}

async fn token(
    State(state): State<Arc<MockState>>,
    form: Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return token_error(
            "invalid_request",
            "The request must be form-encoded (application/x-www-form-urlencoded).",
        );
    };
    let field = |name: &str| form.get(name).map(String::as_str);
    let mut tokens = state.tokens.lock().unwrap_or_else(|e| e.into_inner());
    match field("grant_type") {
        Some("password") => {
            if field("username") != Some(&state.config.user)
                || field("password") != Some(&state.config.password)
            {
                return token_error("invalid_grant", "The user name or password is incorrect.");
            }
        }
        Some("refresh_token") => {
            let known = field("refresh_token").is_some_and(|t| tokens.refresh.contains(t));
            if !known {
                return token_error("invalid_grant", "The refresh token is invalid or expired.");
            }
        }
        Some(_) => {
            return token_error(
                "unsupported_grant_type",
                "grant_type must be password or refresh_token.",
            );
        }
        None => return token_error("invalid_request", "grant_type is required."),
    }
    tokens.issued += 1;
    let n = tokens.issued;
    let secret = |kind: u64| {
        let a = mix64(state.config.seed ^ n.rotate_left(32) ^ kind);
        let b = mix64(a ^ nanos());
        format!("{a:016x}{b:016x}")
    };
    let (access, refresh) = (secret(1), secret(2));
    let lifetime = state.config.token_lifetime;
    tokens.access.insert(
        access.clone(),
        AccessToken {
            expires: Instant::now() + lifetime,
            uses: 0,
        },
    );
    tokens.refresh.insert(refresh.clone());
    let issued = SystemTime::now();
    json_response(
        StatusCode::OK,
        json!({
            "access_token": access,
            "token_type": "bearer",
            "expires_in": lifetime.as_secs(),
            "refresh_token": refresh,
            ".issued": httpdate::fmt_http_date(issued),
            ".expires": httpdate::fmt_http_date(issued + lifetime),
        })
        .to_string(),
    )
}

/// Checks the bearer token; `Err` is why it is refused (the 401's message).
fn authorize(state: &MockState, headers: &HeaderMap) -> Result<(), &'static str> {
    const DENIED: &str = "Authorization has been denied for this request.";
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or(DENIED)?;
    let mut tokens = state.tokens.lock().unwrap_or_else(|e| e.into_inner());
    let entry = tokens.access.get_mut(token).ok_or(DENIED)?;
    let once_only = state.config.fault == Some(Fault::ExpiredToken);
    if entry.expires <= Instant::now() || (once_only && entry.uses >= 1) {
        tokens.access.remove(token);
        return Err("The access token has expired.");
    }
    entry.uses += 1;
    Ok(())
}

fn unauthorized(text: &str) -> Response {
    let mut response = message(StatusCode::UNAUTHORIZED, text);
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// Reads `offset` and `limit` (D9); `Err` is the 400's message.
fn paging(query: &HashMap<String, String>) -> Result<(u64, u64), String> {
    let read = |name: &str, default: u64, min: u64, max: u64| {
        match query.get(name) {
        None => Ok(default),
        Some(text) => text
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                format!("The value '{text}' is not valid for {name}: expected an integer from {min} to {max}.")
            }),
    }
    };
    Ok((
        read("offset", 0, 0, i32::MAX as u64)?,
        read("limit", DEFAULT_LIMIT, 1, 10_000)?,
    ))
}

async fn sessions(
    State(state): State<Arc<MockState>>,
    Path(job_id): Path<String>,
    query: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let fault = state.config.fault;
    if fault == Some(Fault::Slow) {
        tokio::time::sleep(state.config.slow_delay).await;
    }
    if let Err(why) = authorize(&state, &headers) {
        return unauthorized(why);
    }
    let Ok(Query(query)) = query else {
        return message(StatusCode::BAD_REQUEST, "The query string is malformed.");
    };
    let (offset, limit) = match paging(&query) {
        Ok(paging) => paging,
        Err(why) => return message(StatusCode::BAD_REQUEST, &why),
    };
    let Some((job_id, cell)) = state.jobs.get(&job_id.to_ascii_lowercase()) else {
        return message(
            StatusCode::NOT_FOUND,
            &format!("Job with id '{job_id}' was not found."),
        );
    };
    let strikes = state
        .requests
        .fetch_add(1, Ordering::Relaxed)
        .is_multiple_of(2);
    match fault {
        Some(Fault::ServerError) if strikes => {
            return message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "An unexpected error has occurred.",
            );
        }
        Some(Fault::RateLimit) if strikes => {
            let mut response = message(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests. Try again later.",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return response;
        }
        _ => {}
    }
    let rendered = rendered(&state, job_id, cell).await;
    let mut body = render_page(&state, job_id, rendered, offset, limit);
    let mut content_type = JSON_UTF8;
    match fault {
        Some(Fault::MalformedJson) => body.truncate(body.len() * 2 / 3),
        Some(Fault::WrongContentType) => content_type = "text/html; charset=utf-8",
        _ => {}
    }
    let mut response = (StatusCode::OK, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// The job's rendered sessions, rendering them (off the async threads) on first use.
async fn rendered<'a>(
    state: &Arc<MockState>,
    job_id: &str,
    cell: &'a OnceCell<Rendered>,
) -> &'a Rendered {
    cell.get_or_init(|| {
        let state = Arc::clone(state);
        let job_id = job_id.to_owned();
        async move {
            tokio::task::spawn_blocking(move || Arc::new(render_sessions(&state, &job_id)))
                .await
                .unwrap_or_default()
        }
    })
    .await
}

/// Generates and serialises every session of a job, on all cores.
fn render_sessions(state: &MockState, job_id: &str) -> Vec<Box<[u8]>> {
    let total = state.config.sessions_per_job;
    state.rendered.fetch_add(total, Ordering::Relaxed);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8) as u64;
    let chunk = total.div_ceil(threads).max(1);
    let fault = state.config.fault;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let range = (t * chunk).min(total)..((t + 1) * chunk).min(total);
                scope.spawn(move || {
                    let start = range.start;
                    state
                        .generator
                        .sessions(state.config.seed, job_id, range)
                        .into_iter()
                        .enumerate()
                        .map(|(i, mut session)| {
                            damage_session(&mut session, start + i as u64, fault);
                            serde_json::to_vec(&session)
                                .unwrap_or_default()
                                .into_boxed_slice()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    })
}

/// The faults that live in the sessions themselves.
fn damage_session(session: &mut Value, index: u64, fault: Option<Fault>) {
    match fault {
        Some(Fault::NumericStrings) => {
            if let Some(Value::Object(statistics)) = session.get_mut("statistics") {
                for value in statistics.values_mut() {
                    if let Some(n) = value.as_i64() {
                        *value = Value::String(n.to_string());
                    }
                }
            }
        }
        Some(Fault::UnknownStatus) if index.is_multiple_of(7) => {
            session["status"] = Value::from("Paused");
        }
        _ => {}
    }
}

/// The page at `offset`/`limit`: the envelope from the generator with the pre-rendered sessions
/// spliced into its `results`.
fn render_page(
    state: &MockState,
    job_id: &str,
    sessions: &[Box<[u8]>],
    offset: u64,
    limit: u64,
) -> Vec<u8> {
    let total = sessions.len() as u64;
    let fault = state.config.fault;
    let start = if fault == Some(Fault::DuplicateIds) && offset > 0 {
        offset - 1
    } else {
        offset
    }
    .min(total);
    let end = start.saturating_add(limit).min(total);
    let count = (end - start) as usize;
    let seed = state.config.seed;
    let mut envelope = state
        .generator
        .page_envelope(seed, job_id, offset, limit, total, count);
    let collection = format!("{}/v5/Jobs/{job_id}/JobSessions", state.generator_base());
    if let Value::Object(page) = &mut envelope {
        let links = page.entry("_links").or_insert_with(|| json!({}));
        if let Value::Object(links) = links {
            links.entry("self").or_insert_with(
                || json!({ "href": format!("{collection}?offset={offset}&limit={limit}") }),
            );
            if fault == Some(Fault::BrokenNext)
                && let Some(Value::Object(next)) = links.get_mut("next")
            {
                let base = state.generator_base();
                next.insert(
                    "href".to_owned(),
                    Value::String(format!(
                        "{base}/v5/JobSessions?offset={}&limit={limit}",
                        offset + limit
                    )),
                );
            }
        }
    }
    let mut head = serde_json::to_vec(&envelope).unwrap_or_default();
    const EMPTY: &[u8] = br#""results":[]"#;
    let Some(at) = head.windows(EMPTY.len()).position(|w| w == EMPTY) else {
        return head;
    };
    let tail = head.split_off(at + EMPTY.len() - 1);
    let size: usize = sessions[start as usize..end as usize]
        .iter()
        .map(|s| s.len() + 1)
        .sum();
    let mut body = Vec::with_capacity(head.len() + size + tail.len());
    body.extend_from_slice(&head);
    for (i, session) in sessions[start as usize..end as usize].iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(session);
    }
    body.extend_from_slice(&tail);
    body
}

impl MockState {
    /// The base URL links are written under.
    fn generator_base(&self) -> &str {
        self.generator.base_url().unwrap_or_default()
    }
}

fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Tokens must not be guessable across runs even with a fixed data seed.
fn nanos() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_ids_round_trip() {
        for fault in Fault::ALL {
            assert_eq!(fault.id().parse::<Fault>(), Ok(*fault));
        }
        assert!("nope".parse::<Fault>().is_err());
    }

    #[test]
    fn paging_defaults_and_bounds() {
        let q = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<HashMap<_, _>>()
        };
        assert_eq!(paging(&q(&[])).ok(), Some((0, 30)));
        assert_eq!(
            paging(&q(&[("offset", "60"), ("limit", "10000")])).ok(),
            Some((60, 10000))
        );
        assert!(paging(&q(&[("limit", "0")])).is_err());
        assert!(paging(&q(&[("limit", "10001")])).is_err());
        assert!(paging(&q(&[("offset", "-1")])).is_err());
        assert!(paging(&q(&[("offset", "x")])).is_err());
    }
}
