//! The built-in VBO mock server: `POST /v5/Token` and `GET /v5/Jobs/{jobId}/JobSessions` on
//! loopback, over HTTP or HTTPS (a certificate made on the spot by a throwaway CA), serving
//! sessions drawn from the contract by [`crate::generate`], seeded and realistic, with real
//! offset/limit paging and one optional fault at a time. Routing ignores the case of the path's
//! literal segments, as real servers do.
//!
//! Modules: `fault` (the catalogue and the damage done to data), `certificate`, `token` (sign-in,
//! bearer check, throttle), `routes` (routing and the sessions endpoint), `render` (sessions
//! rendered once, pages spliced from them).
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
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::sync::OnceCell;

use crate::contract::{Contract, ContractError};
use crate::generate::{GenerateError, Generator, GeneratorMode};

mod certificate;
mod fault;
mod render;
mod routes;
mod token;

pub use fault::{Fault, UnknownFault};
pub use token::TokenQuota;

/// The content type of every JSON answer (D17).
pub const JSON_UTF8: &str = "application/json; charset=utf-8";
/// `limit` when the request has none (D9).
pub const DEFAULT_LIMIT: u64 = 30;

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
    /// What the sessions look like: [`GeneratorMode::Realistic`] (the default: shaped like the
    /// vendor's example) or [`GeneratorMode::Edge`] (the whole schema, edge cases included).
    pub data: GeneratorMode,
    /// Under [`Fault::Busy`]: a job starts one new session every this many sessions requests.
    pub busy_every: u64,
    /// Under [`Fault::Busy`]: how many sessions a job starts at most (then it stops moving).
    pub busy_sessions: u64,
    /// Under [`Fault::TokenThrottle`]: the sign-in quota.
    pub token_quota: TokenQuota,
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
            data: GeneratorMode::Realistic,
            busy_every: 1,
            busy_sessions: 100,
            token_quota: TokenQuota::default(),
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
        let generator = Generator::new(contract)?
            .with_base_url(base_url.clone())
            .with_mode(config.data);
        let job_ids = generator.job_ids(config.seed, config.jobs);
        let state = Arc::new(MockState {
            jobs: job_ids
                .iter()
                .map(|id| {
                    let job = Job {
                        id: id.clone(),
                        rendered: OnceCell::new(),
                        requests: AtomicU64::new(0),
                    };
                    (id.to_ascii_lowercase(), job)
                })
                .collect(),
            generator,
            config,
            tokens: Mutex::new(token::Tokens::default()),
            requests: AtomicU64::new(0),
            rendered: AtomicU64::new(0),
        });
        // Render every job in the background now, so the first page of a big job is quick;
        // a request that comes first waits for the same rendering.
        let warm = Arc::clone(&state);
        let warming = tokio::spawn(async move {
            for job in warm.jobs.values() {
                render::rendered(&warm, job).await;
            }
        });
        let app = routes::router(Arc::clone(&state));
        let handle = axum_server::Handle::new();
        let (task, ca_pem) = match tls {
            Tls::None => {
                let server = axum_server::from_tcp(listener)?.handle(handle.clone());
                (tokio::spawn(server.serve(app.into_make_service())), None)
            }
            Tls::SelfSigned => {
                let certificate = certificate::Certificate::new()?;
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

/// Shared state of a running mock.
struct MockState {
    config: MockConfig,
    generator: Generator,
    /// Lower-case job id → the job.
    jobs: HashMap<String, Job>,
    tokens: Mutex<token::Tokens>,
    /// Sessions requests seen, for the faults that strike every other request.
    requests: AtomicU64,
    /// Sessions generated and serialised so far (each job's once, on first use).
    rendered: AtomicU64,
}

/// One served job.
struct Job {
    /// The id as served.
    id: String,
    /// Its sessions, newest first, rendered on first use; under [`Fault::Busy`] the first
    /// [`MockConfig::hidden_sessions`] of them are the sessions it will start while walked.
    rendered: OnceCell<render::Rendered>,
    /// Sessions requests that reached this job's data.
    requests: AtomicU64,
}

impl Job {
    /// The job's collection as it stands now; counts the request (a busy job starts a session
    /// every [`MockConfig::busy_every`] requests, until its hidden sessions are all started).
    fn visible<'a>(&self, rendered: &'a [Box<[u8]>], config: &MockConfig) -> &'a [Box<[u8]>] {
        let n = self.requests.fetch_add(1, Ordering::Relaxed);
        let hidden = config.hidden_sessions();
        let started = (n / config.busy_every.max(1)).min(hidden);
        let from = (hidden - started) as usize;
        rendered.get(from..).unwrap_or_default()
    }
}

impl MockConfig {
    /// Sessions rendered ahead for [`Fault::Busy`] to start during walks (0 otherwise).
    fn hidden_sessions(&self) -> u64 {
        if self.fault == Some(Fault::Busy) {
            self.busy_sessions
        } else {
            0
        }
    }
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

fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
