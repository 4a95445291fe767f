//! The built-in VBO mock server: `POST /v5/Token` and every other operation of its contract
//! document on loopback, over HTTP or HTTPS (a certificate made on the spot by a throwaway CA),
//! serving bodies drawn from the contract by [`crate::generate`], seeded and realistic, with one
//! optional fault at a time. Requests are routed by the operations' methods and path templates
//! (literal segments without regard to case, as real servers do), and answered by what the
//! operation's 200 body is:
//!
//! - a page ([`Body::Page`]): real offset/limit paging over a seeded collection per parent id
//!   (`sessions_per_job` items; `GET /v5/Jobs/{jobId}/JobSessions` is one such operation);
//! - a list ([`Body::List`]): the whole collection (a list of `Job`s is one per mock job);
//! - one object ([`Body::Single`]): a generated object, its `id` echoing the path's last
//!   parameter.
//!
//! Path parameters are checked where the mock can know them: a job id (a parameter named
//! `jobId`, or one a list of `Job`s lists) must be one of the mock's jobs; the id of a single
//! object whose schema is the item schema of a served collection (`GET
//! /v5/JobSessions/{jobSessionId}`) must be the id of an item the mock generated, and the answer
//! is that item; anything else is a 404 with the documented error body. A parameter the mock
//! cannot know (no collection holds its schema) takes any value. Operations that declare
//! `security` (or inherit the document's) need a bearer token from `POST /v5/Token`.
//!
//! Modules: `fault` (the catalogue, which operations each fault applies to, the damage done to
//! data), `certificate`, `token` (sign-in, bearer check, throttle), `served` (the operations as
//! served: their generators, parameters and collections), `routes` (routing and answering),
//! `render` (collections rendered once, pages spliced from them).
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

use crate::contract::{Contract, ContractError};
use crate::generate::{GenerateError, Generator, GeneratorMode};
#[cfg(doc)]
use crate::operation::Body;

mod certificate;
mod fault;
mod render;
mod routes;
mod served;
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
    /// The fault, if any; it strikes the operations [`Fault::applies_to`] names.
    pub fault: Option<Fault>,
    /// Confines the fault to the operation with this `operationId` (or `METHOD path`); `None`
    /// lets it strike every operation it applies to.
    pub fault_operation: Option<String>,
    /// The contract to serve; the embedded one when `None` (see [`MockServer::start`]).
    pub contract: Option<Arc<Contract>>,
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
            fault_operation: None,
            contract: None,
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
    /// [`MockConfig::fault_operation`] names no operation of the contract.
    #[error("the contract has no operation {0:?} to confine the fault to")]
    UnknownOperation(String),
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
    /// Starts the mock on [`MockConfig::contract`], or the embedded contract.
    pub async fn start(config: MockConfig, tls: Tls) -> Result<Self, MockError> {
        let contract = match &config.contract {
            Some(contract) => Arc::clone(contract),
            None => Arc::new(Contract::embedded()?),
        };
        Self::start_with(&contract, config, tls).await
    }

    /// Starts the mock, serving every operation of `contract` (whatever
    /// [`MockConfig::contract`] says).
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
        if let Some(id) = &config.fault_operation
            && contract.operation(id).is_none()
        {
            return Err(MockError::UnknownOperation(id.clone()));
        }
        let job_ids = Generator::new(contract)?.job_ids(config.seed, config.jobs);
        let operations = served::operations(contract, &config, &base_url, &job_ids)?;
        let state = Arc::new(MockState {
            jobs: job_ids
                .iter()
                .enumerate()
                .map(|(i, id)| (id.to_ascii_lowercase(), i))
                .collect(),
            job_ids: job_ids.clone(),
            operations,
            sign_in_fault: sign_in_fault(contract, &config),
            config,
            tokens: Mutex::new(token::Tokens::default()),
            rendered: AtomicU64::new(0),
        });
        // Render every collection in the background now, so the first page of a big job is
        // quick; a request that comes first waits for the same rendering.
        let warm = Arc::clone(&state);
        let warming = tokio::spawn(async move {
            for operation in &warm.operations {
                for collection in operation.collections.values() {
                    render::rendered(&warm, operation, collection).await;
                }
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

    /// Items of paged collections (sessions) generated and serialised so far; a collection is
    /// rendered once, so this stops growing once every one has been served.
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
    /// The operations served (every one of the contract but sign-in), in document order.
    operations: Vec<served::Served>,
    /// The jobs' ids, as served.
    job_ids: Vec<String>,
    /// Lower-case job id → its index in `job_ids`.
    jobs: HashMap<String, usize>,
    /// The mock's fault, when it strikes sign-in.
    sign_in_fault: Option<Fault>,
    tokens: Mutex<token::Tokens>,
    /// Items of paged collections generated and serialised so far (each collection once).
    rendered: AtomicU64,
}

impl MockConfig {
    /// Items rendered ahead for [`Fault::Busy`] to start during walks of a paged collection
    /// of an operation the fault strikes (0 otherwise).
    fn hidden_sessions(&self, fault: Option<Fault>) -> u64 {
        if fault == Some(Fault::Busy) {
            self.busy_sessions
        } else {
            0
        }
    }
}

/// The fault, when it strikes `POST /v5/Token` (as the contract's operation there, or any
/// sign-in when the contract has none).
fn sign_in_fault(contract: &Contract, config: &MockConfig) -> Option<Fault> {
    let sign_in = contract.operations().iter().find(|op| {
        op.method() == "POST" && op.path().eq_ignore_ascii_case(crate::contract::TOKEN_PATH)
    });
    config.fault.filter(|fault| match sign_in {
        Some(op) => {
            fault.applies_to(op)
                && config.fault_operation.as_deref().is_none_or(|id| {
                    op.id().eq_ignore_ascii_case(id) || op.label().eq_ignore_ascii_case(id)
                })
        }
        None => *fault == Fault::TokenThrottle && config.fault_operation.is_none(),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix64_is_splitmix64_s_output_function() {
        // SplitMix64 (Steele, Lea and Flood 2014) seeded with 0 starts 0xe220a8397b1dcdaf,
        // 0x6e789e6aa1b965f4, 0x06c45d188009454f: its state steps by the golden gamma and each
        // output is mix64 of the state before the step.
        let gamma = 0x9e37_79b9_7f4a_7c15_u64;
        let outputs = [0, gamma, gamma.wrapping_mul(2)].map(mix64);
        assert_eq!(
            outputs,
            [
                0xe220_a839_7b1d_cdaf,
                0x6e78_9e6a_a1b9_65f4,
                0x06c4_5d18_8009_454f
            ]
        );
    }

    /// A mock with `fault`, confined to the operation `only` when given.
    fn config(fault: Fault, only: Option<&str>) -> MockConfig {
        MockConfig {
            fault: Some(fault),
            fault_operation: only.map(str::to_owned),
            ..MockConfig::default()
        }
    }

    #[test]
    fn sign_in_is_throttled_unless_the_fault_is_confined_elsewhere() {
        let contract = Contract::embedded().unwrap();
        let throttle = Fault::TokenThrottle;
        assert_eq!(
            sign_in_fault(&contract, &config(throttle, None)),
            Some(throttle)
        );
        assert_eq!(
            sign_in_fault(&contract, &config(throttle, Some("create_token"))),
            Some(throttle)
        );
        assert_eq!(
            sign_in_fault(&contract, &config(throttle, Some("get_job_sessions"))),
            None
        );
        assert_eq!(
            sign_in_fault(&contract, &config(Fault::ServerError, None)),
            None
        );
    }

    #[test]
    fn with_no_sign_in_in_the_contract_only_an_unconfined_throttle_strikes_the_sign_in() {
        let mut document =
            crate::contract::parse_document(crate::contract::EMBEDDED_YAML, "embedded").unwrap();
        document["paths"]
            .as_object_mut()
            .unwrap()
            .remove(crate::contract::TOKEN_PATH)
            .expect("the embedded document signs in");
        let contract = Contract::from_document(document, "no sign-in").unwrap();
        let throttle = Fault::TokenThrottle;
        assert_eq!(
            sign_in_fault(&contract, &config(throttle, None)),
            Some(throttle)
        );
        assert_eq!(
            sign_in_fault(&contract, &config(throttle, Some("get_job_sessions"))),
            None
        );
        assert_eq!(
            sign_in_fault(&contract, &config(Fault::ServerError, None)),
            None
        );
    }

    #[test]
    fn the_sign_in_is_the_post_to_the_token_path_not_another_post() {
        let mut document =
            crate::contract::parse_document(crate::contract::EMBEDDED_YAML, "embedded").unwrap();
        // A POST listed before the sign-in, so a looser match would find it first.
        let mut paths = serde_json::Map::new();
        paths.insert(
            "/v5/Jobs/{jobId}/action".into(),
            json!({ "post": {
                "operationId": "act",
                "parameters": [{ "name": "jobId", "in": "path", "required": true,
                    "schema": { "type": "string" } }],
                "responses": { "204": { "description": "Done." } }
            } }),
        );
        paths.extend(document["paths"].as_object().unwrap().clone());
        document["paths"] = serde_json::Value::Object(paths);
        let contract = Contract::from_document(document, "with another POST").unwrap();
        assert_eq!(contract.operations()[0].id(), "act", "listed first");
        let config = config(Fault::TokenThrottle, Some("create_token"));
        assert_eq!(
            sign_in_fault(&contract, &config),
            Some(Fault::TokenThrottle)
        );
    }
}
