//! A Veeam-like REST server on loopback HTTPS with a certificate made on the spot; each test
//! decides how its sessions endpoint behaves.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum_server::tls_rustls::RustlsConfig;
use serde_json::{Value, json};
use uuid::Uuid;

pub const USERNAME: &str = "tech\\administrator";
pub const PASSWORD: &str = "pa55-SECRET-word";
pub const JOB: Uuid = Uuid::from_u128(0x196e4df2_0faf_4b8e_ba17_ce8c0eb4edc5);

/// What the sessions endpoint was asked.
#[derive(Debug, Clone, Copy)]
pub struct Ask {
    pub job: Uuid,
    pub offset: u32,
    pub limit: u32,
    /// How many GETs came before this one (0 for the first).
    pub call: usize,
}

/// How the sessions endpoint answers an authorised request.
pub type Behaviour = Arc<dyn Fn(Ask) -> Response + Send + Sync>;

/// Counters and token bookkeeping the tests inspect.
#[derive(Default)]
pub struct Counters {
    pub password_sign_ins: AtomicUsize,
    pub refreshes: AtomicUsize,
    pub gets: AtomicUsize,
    pub unauthorised: AtomicUsize,
    pub expires_in: AtomicI64,
    pub valid_tokens: Mutex<HashSet<String>>,
    pub refresh_tokens: Mutex<HashSet<String>>,
    pub issued: AtomicUsize,
}

impl Counters {
    /// Forgets every access token, as a server restart would.
    pub fn revoke_access_tokens(&self) {
        self.valid_tokens.lock().unwrap().clear();
    }
}

pub struct Server {
    pub url: String,
    pub certificate_pem: String,
    pub counters: Arc<Counters>,
}

/// How `GET /v5/Jobs` answers an authorised request, given how many GETs came before it.
pub type JobsBehaviour = Arc<dyn Fn(usize) -> Response + Send + Sync>;

#[derive(Clone)]
struct AppState {
    counters: Arc<Counters>,
    behaviour: Behaviour,
    jobs: JobsBehaviour,
}

/// Starts an HTTPS server whose sessions endpoint answers with `behaviour` (and whose jobs
/// endpoint lists the contract's example jobs).
pub async fn start(behaviour: Behaviour) -> Server {
    start_with_jobs(
        behaviour,
        Arc::new(|_| json_reply(StatusCode::OK, example_jobs())),
    )
    .await
}

/// [`start`], with `GET /v5/Jobs` answering with `jobs`.
pub async fn start_with_jobs(behaviour: Behaviour, jobs: JobsBehaviour) -> Server {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let counters = Arc::new(Counters::default());
    counters.expires_in.store(3600, Ordering::SeqCst);
    let state = AppState {
        counters: Arc::clone(&counters),
        behaviour,
        jobs,
    };
    let app = Router::new()
        .route("/v5/Token", post(token))
        .route("/v5/Jobs", get(jobs_list))
        .route("/v5/Jobs/{job}/JobSessions", get(sessions))
        .with_state(state);
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .expect("certificate");
    let certificate_pem = certified.cert.pem();
    let config = RustlsConfig::from_pem(
        certificate_pem.clone().into_bytes(),
        certified.signing_key.serialize_pem().into_bytes(),
    )
    .await
    .expect("TLS configuration");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.set_nonblocking(true).expect("non-blocking");
    let addr = listener.local_addr().expect("address");
    let server = axum_server::from_tcp_rustls(listener, config).expect("server");
    tokio::spawn(async move { server.serve(app.into_make_service()).await });
    Server {
        url: format!("https://127.0.0.1:{}", addr.port()),
        certificate_pem,
        counters,
    }
}

impl Server {
    /// A builder that trusts this server's certificate, signs in with the right password,
    /// and retries fast.
    pub fn builder(&self) -> vbo_client::ClientBuilder {
        vbo_client::Client::builder(&self.url)
            .add_root_certificate(&self.certificate_pem)
            .credentials(USERNAME, PASSWORD)
            .retry_policy(vbo_client::RetryPolicy {
                max_attempts: 4,
                base_delay: std::time::Duration::from_millis(5),
                max_delay: std::time::Duration::from_millis(50),
            })
    }
}

async fn token(
    State(state): State<AppState>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let counters = &state.counters;
    let granted = match form.get("grant_type").map(String::as_str) {
        Some("password") => {
            counters.password_sign_ins.fetch_add(1, Ordering::SeqCst);
            form.get("username").map(String::as_str) == Some(USERNAME)
                && form.get("password").map(String::as_str) == Some(PASSWORD)
        }
        Some("refresh_token") => {
            counters.refreshes.fetch_add(1, Ordering::SeqCst);
            form.get("refresh_token")
                .is_some_and(|t| counters.refresh_tokens.lock().unwrap().remove(t))
        }
        _ => false,
    };
    if !granted {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({
                "error": "invalid_grant",
                "error_description": "The user name or password is incorrect."
            })),
        )
            .into_response();
    }
    let n = counters.issued.fetch_add(1, Ordering::SeqCst);
    let access = format!("access-{n}-TOKEN-SECRET");
    let refresh = format!("refresh-{n}-REFRESH-SECRET");
    counters.valid_tokens.lock().unwrap().insert(access.clone());
    counters
        .refresh_tokens
        .lock()
        .unwrap()
        .insert(refresh.clone());
    axum::Json(json!({
        "access_token": access,
        "token_type": "bearer",
        "refresh_token": refresh,
        "expires_in": counters.expires_in.load(Ordering::SeqCst),
    }))
    .into_response()
}

/// The 401 a request without a valid token gets, or `None` when its token is valid.
fn refused(counters: &Counters, headers: &HeaderMap) -> Option<Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if counters.valid_tokens.lock().unwrap().contains(token) {
        return None;
    }
    counters.unauthorised.fetch_add(1, Ordering::SeqCst);
    Some(json_reply(
        StatusCode::UNAUTHORIZED,
        json!({"message": "Authorization has been denied for this request."}),
    ))
}

async fn jobs_list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(refusal) = refused(&state.counters, &headers) {
        return refusal;
    }
    let call = state.counters.gets.fetch_add(1, Ordering::SeqCst);
    (state.jobs)(call)
}

async fn sessions(
    State(state): State<AppState>,
    Path(job): Path<Uuid>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let counters = &state.counters;
    if let Some(refusal) = refused(counters, &headers) {
        return refusal;
    }
    let call = counters.gets.fetch_add(1, Ordering::SeqCst);
    let number = |name: &str, default: u32| {
        query
            .get(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let ask = Ask {
        job,
        offset: number("offset", 0),
        limit: number("limit", 30),
        call,
    };
    (state.behaviour)(ask)
}

/// A JSON response with the contract's content type.
pub fn json_reply(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// One session, numbered `n` (newest first), with some statistics.
pub fn session(n: u64) -> Value {
    json!({
        "id": Uuid::from_u128(u128::from(n) + 1),
        "creationTime": "2020-12-13T22:00:00.5852401Z",
        "endTime": "2020-12-13T22:02:17.6515649Z",
        "progress": 18,
        "status": "Success",
        "statistics": {
            "processingRateBytesPS": 71012,
            "transferredDataBytes": 63570500,
            "processedObjects": 377,
            "bottleneck": "Target"
        }
    })
}

/// The page at `ask` of a job with `total` sessions; `next` (absolute) while more remain.
pub fn page_of(total: u64, ask: Ask) -> Value {
    let start = u64::from(ask.offset).min(total);
    let end = (start + u64::from(ask.limit)).min(total);
    let results: Vec<Value> = (start..end).map(session).collect();
    let mut links = json!({});
    if end < total {
        links["next"] = json!({"href": format!(
            "https://vbo.example:4443/v5/Jobs/{}/JobSessions?offset={end}&limit={}",
            ask.job, ask.limit
        )});
    }
    json!({"offset": ask.offset, "limit": ask.limit, "results": results, "_links": links})
}

/// A behaviour serving a job of `total` sessions correctly.
pub fn job_of(total: u64) -> Behaviour {
    Arc::new(move |ask| json_reply(StatusCode::OK, page_of(total, ask)))
}

/// The jobs list of the contract's `GET /v5/Jobs` example: vendor-shaped, two jobs.
pub fn example_jobs() -> Value {
    let document: Value = serde_yaml::from_str(include_str!("../../../openapi/vbo-v5.yaml"))
        .expect("the document is YAML");
    document
        .pointer(
            "/paths/~1v5~1Jobs/get/responses/200/content/application~1json; charset=utf-8/example",
        )
        .expect("the jobs operation has an example")
        .clone()
}
