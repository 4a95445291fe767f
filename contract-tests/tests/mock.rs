//! The mock server end to end over HTTP(S) with reqwest: sign-in, paging, errors, and faults the
//! verifier must catch with their rule ids.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::Value;
use vbo_contract::Exchange;
use vbo_contract::live::{self, PageSource, WalkPlan};
use vbo_contract::mock::{Fault, MockConfig, MockServer, Tls};
use vbo_contract::report::Report;
use vbo_contract::{Contract, Finding, Rule, Verifier};

const USER: &str = "vbo-admin";
const PASSWORD: &str = "mock-password";

fn config(fault: Option<Fault>) -> MockConfig {
    MockConfig {
        jobs: 2,
        sessions_per_job: 95,
        seed: 7,
        fault,
        ..MockConfig::default()
    }
}

fn client(server: &MockServer) -> reqwest::Client {
    let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(60));
    if let Some(pem) = server.ca_pem() {
        let ca = reqwest::Certificate::from_pem(pem.as_bytes()).expect("the CA is PEM");
        builder = builder.tls_certs_only([ca]);
    }
    builder.build().expect("a client builds")
}

async fn sign_in(client: &reqwest::Client, server: &MockServer) -> Value {
    let response = client
        .post(format!("{}/v5/Token", server.base_url()))
        .form(&[
            ("grant_type", "password"),
            ("username", USER),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("the token request is answered");
    assert_eq!(response.status(), 200);
    response.json().await.expect("a token is JSON")
}

/// One page as the verifier sees it: status, content type and raw bytes.
struct Fetched {
    status: u16,
    content_type: Option<String>,
    body: Vec<u8>,
}

async fn fetch(client: &reqwest::Client, url: &str, token: &str) -> Fetched {
    let response = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("the page request is answered");
    Fetched {
        status: response.status().as_u16(),
        content_type: response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: response.bytes().await.expect("a body").to_vec(),
    }
}

/// Pages straight from the mock with one token and no retries, so every response it sends is
/// judged (a 429 included).
struct RawSource<'a> {
    client: &'a reqwest::Client,
    base: String,
    token: &'a str,
}

impl PageSource for RawSource<'_> {
    async fn get(&self, target: &str) -> Result<Exchange, String> {
        let url = format!("{}{target}", self.base);
        let page = fetch(self.client, &url, self.token).await;
        let headers = page
            .content_type
            .map(|v| ("Content-Type".to_owned(), v))
            .into_iter()
            .collect();
        Ok(Exchange::get(url, page.status, headers, page.body))
    }
}

/// Walks a job through the project's own walk (`live::walk_job`: offset and limit, D10),
/// returning each page's findings and the sessions seen.
async fn walk(
    client: &reqwest::Client,
    server: &MockServer,
    job: &str,
    limit: u64,
    token: &str,
    max_pages: usize,
) -> (Vec<Vec<Finding>>, usize) {
    let contract = Contract::embedded().unwrap();
    let verifier = Verifier::new(&contract);
    let source = RawSource {
        client,
        base: server.base_url().to_owned(),
        token,
    };
    let plan = WalkPlan {
        page_size: limit,
        max_pages: Some(max_pages),
        ..WalkPlan::default()
    };
    let mut report = Report::default();
    live::walk_job(&verifier, &source, job, plan, &mut report, &mut ()).await;
    assert!(
        report.input_problems.is_empty(),
        "{:?}",
        report.input_problems
    );
    let sessions = report.sessions();
    (
        report.entries.into_iter().map(|e| e.findings).collect(),
        sessions,
    )
}

fn all(pages: &[Vec<Finding>]) -> Vec<&Finding> {
    pages.iter().flatten().collect()
}

#[tokio::test]
async fn the_mock_serves_walks_that_verify_with_no_findings_over_https() {
    let server = MockServer::start(config(None), Tls::SelfSigned)
        .await
        .unwrap();
    assert!(server.base_url().starts_with("https://127.0.0.1:"));
    let client = client(&server);
    let token = sign_in(&client, &server).await;
    assert_eq!(token["token_type"], "bearer");
    assert_eq!(token["expires_in"], 3600);
    assert!(token[".issued"].is_string() && token[".expires"].is_string());
    let access = token["access_token"].as_str().unwrap();
    for job in server.job_ids() {
        for limit in [30, 19, 95, 1000] {
            let (pages, sessions) = walk(&client, &server, job, limit, access, 200).await;
            assert!(
                all(&pages).is_empty(),
                "job {job} limit {limit}: {:?}",
                all(&pages)
            );
            assert_eq!(sessions, 95);
            assert_eq!(pages.len() as u64, 95u64.div_ceil(limit));
        }
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_mock_that_was_shut_down_accepts_no_connection() {
    let server = MockServer::start(config(None), Tls::None).await.unwrap();
    let address = server.base_url().trim_start_matches("http://").to_owned();
    assert!(tokio::net::TcpStream::connect(&address).await.is_ok());
    server.shutdown().await.unwrap();
    let refused = tokio::net::TcpStream::connect(&address).await;
    assert!(refused.is_err(), "{address} still accepts connections");
}

#[tokio::test]
async fn no_two_tokens_share_a_half_within_a_sign_in_or_across_sign_ins() {
    // Each is two 64-bit draws in hex; one token must not give away any part of another, the
    // other token of its sign-in or any token of another.
    let server = MockServer::start(config(None), Tls::None).await.unwrap();
    let client = client(&server);
    let mut halves = HashSet::new();
    for _ in 0..4 {
        let token = sign_in(&client, &server).await;
        for name in ["access_token", "refresh_token"] {
            let secret = token[name].as_str().unwrap();
            assert_eq!(secret.len(), 32, "{token}");
            for half in [&secret[..16], &secret[16..]] {
                assert!(halves.insert(half.to_owned()), "{half} again in {token}");
            }
        }
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_mock_shows_its_address_and_job_count_and_nothing_else_in_debug() {
    let server = MockServer::start(config(None), Tls::None).await.unwrap();
    assert_eq!(
        format!("{server:?}"),
        format!(
            "MockServer {{ base_url: {:?}, jobs: 2 }}",
            server.base_url()
        )
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn sign_in_refresh_and_bearer_rules() {
    let server = MockServer::start(config(None), Tls::None).await.unwrap();
    let client = client(&server);
    let token_url = format!("{}/v5/Token", server.base_url());
    let wrong = client
        .post(&token_url)
        .form(&[
            ("grant_type", "password"),
            ("username", USER),
            ("password", "nope"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 400);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert!(body["error_description"].is_string());

    let token = sign_in(&client, &server).await;
    let refreshed: Value = client
        .post(&token_url)
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token["refresh_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(refreshed["access_token"], token["access_token"]);

    let job = &server.job_ids()[0];
    let url = format!("{}/v5/Jobs/{job}/JobSessions", server.base_url());
    let anonymous = client.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.json::<Value>().await.unwrap()["message"].is_string());
    let access = refreshed["access_token"].as_str().unwrap();
    let page = fetch(&client, &url, access).await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.content_type.as_deref(),
        Some("application/json; charset=utf-8")
    );
    let page: Value = serde_json::from_slice(&page.body).unwrap();
    assert_eq!(
        (page["offset"].as_u64(), page["limit"].as_u64()),
        (Some(0), Some(30))
    );
    let next = page["_links"]["next"]["href"].as_str().unwrap();
    assert_eq!(next, format!("{url}?offset=30&limit=30"));

    for bad in ["limit=0", "limit=10001", "offset=-1", "limit=ten"] {
        let answer = fetch(&client, &format!("{url}?{bad}"), access).await;
        assert_eq!(answer.status, 400, "{bad}");
        let body: Value = serde_json::from_slice(&answer.body).unwrap();
        assert!(body["message"].is_string(), "{bad}");
    }
    let unknown = format!(
        "{}/v5/Jobs/00000000-0000-4000-8000-000000000000/JobSessions",
        server.base_url()
    );
    let answer = fetch(&client, &unknown, access).await;
    assert_eq!(answer.status, 404);
    server.shutdown().await.unwrap();
}

/// A plain-http mock with `fault`, a client for it and an access token.
async fn signed_in(fault: Fault) -> (MockServer, reqwest::Client, String) {
    signed_in_with(config(Some(fault))).await
}

/// A plain-http mock of `config`, a client for it and an access token.
async fn signed_in_with(config: MockConfig) -> (MockServer, reqwest::Client, String) {
    let server = MockServer::start(config, Tls::None).await.unwrap();
    let client = client(&server);
    let token = sign_in(&client, &server).await;
    let access = token["access_token"].as_str().unwrap().to_owned();
    (server, client, access)
}

/// Runs one walk against a mock with `fault` and returns its findings.
async fn walk_with(fault: Fault) -> Vec<Finding> {
    let (server, client, access) = signed_in(fault).await;
    let job = server.job_ids()[0].clone();
    let (pages, _) = walk(&client, &server, &job, 30, &access, 10).await;
    server.shutdown().await.unwrap();
    pages.into_iter().flatten().collect()
}

macro_rules! fault_is_detected {
    ($($name:ident => $fault:expr, $rule:expr, $pointer:expr;)*) => {$(
        #[tokio::test]
        async fn $name() {
            let findings = walk_with($fault).await;
            let pointer: &str = $pointer;
            assert!(
                findings.iter().any(|f| f.rule == $rule && f.pointer == pointer),
                "{} not reported as {} at {pointer:?}: {:?}", $fault, $rule.id(), findings
            );
            // Faults a resilient client absorbs (rate limits) show only to a raw walk.
            assert!($fault.rule().is_none_or(|r| r == $rule));
        }
    )*};
}

fault_is_detected! {
    server_error_fault_is_reported_as_status => Fault::ServerError, Rule::Status, "";
    rate_limit_fault_is_reported_as_status => Fault::RateLimit, Rule::Status, "";
    malformed_json_fault_is_reported_as_json_syntax => Fault::MalformedJson, Rule::JsonSyntax, "";
    wrong_content_type_fault_is_reported_as_content_type => Fault::WrongContentType, Rule::ContentType, "";
    unknown_status_fault_is_reported_as_schema => Fault::UnknownStatus, Rule::Schema, "/results/0/status";
    broken_next_fault_is_reported_as_next_leaves_collection => Fault::BrokenNext, Rule::NextLeavesCollection, "/_links/next/href";
    duplicate_ids_fault_is_reported_as_duplicate_session_id => Fault::DuplicateIds, Rule::DuplicateSessionId, "/results/0/id";
}

#[tokio::test]
async fn malformed_json_cuts_the_page_it_would_have_served_at_two_thirds() {
    // The same seed serves the same page but for the origin in its links, so the whole page
    // of a healthy mock, moved to the faulty mock's origin, lays over the cut one.
    let page_of = |server: &MockServer| {
        let job = &server.job_ids()[0];
        format!("{}/v5/Jobs/{job}/JobSessions", server.base_url())
    };
    let (whole_mock, client, access) = signed_in_with(config(None)).await;
    let whole = fetch(&client, &page_of(&whole_mock), &access).await.body;
    let (cut_mock, client, access) = signed_in(Fault::MalformedJson).await;
    let cut = fetch(&client, &page_of(&cut_mock), &access).await.body;
    let whole = String::from_utf8(whole)
        .unwrap()
        .replace(whole_mock.base_url(), cut_mock.base_url());
    whole_mock.shutdown().await.unwrap();
    cut_mock.shutdown().await.unwrap();
    assert!(whole.len() > 3000, "{}", whole.len());
    assert_eq!(cut, &whole.as_bytes()[..whole.len() * 2 / 3]);
}

#[tokio::test]
async fn the_broken_next_link_leaves_the_collection_but_not_the_server() {
    // The fault is a link to another path of the same origin: followed, it asks this mock.
    let (server, client, access) = signed_in(Fault::BrokenNext).await;
    let base = server.base_url();
    let job = &server.job_ids()[0];
    let page = fetch(
        &client,
        &format!("{base}/v5/Jobs/{job}/JobSessions"),
        &access,
    )
    .await;
    let page: Value = serde_json::from_slice(&page.body).unwrap();
    assert_eq!(
        page["_links"]["next"]["href"],
        format!("{base}/v5/JobSessions?offset=30&limit=30")
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn numeric_strings_fault_is_reported_at_each_statistic() {
    // Which statistics a session has is up to the generator, so each pointer is checked for
    // its exact shape: /results/<index on the page>/statistics/<an integer statistic>.
    const COUNTERS: &[&str] = &[
        "processingRateBytesPS",
        "processingRateItemsPS",
        "readRateBytesPS",
        "writeRateBytesPS",
        "transferredDataBytes",
        "processedObjects",
    ];
    let findings = walk_with(Fault::NumericStrings).await;
    let numeric: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.rule == Rule::NumericString)
        .collect();
    assert!(!numeric.is_empty(), "{findings:?}");
    for finding in &numeric {
        let rest = finding.pointer.strip_prefix("/results/");
        let (index, name) = rest
            .and_then(|r| r.split_once("/statistics/"))
            .unwrap_or_else(|| panic!("unexpected pointer {:?}", finding.pointer));
        assert!(
            index.parse::<u64>().is_ok_and(|i| i < 30),
            "{}",
            finding.pointer
        );
        assert!(COUNTERS.contains(&name), "{}", finding.pointer);
    }
    assert!(
        findings.iter().all(|f| f.rule == Rule::NumericString),
        "only numeric strings: {findings:?}"
    );
}

#[tokio::test]
async fn rate_limit_fault_sends_retry_after_and_expired_token_fault_sends_401() {
    let (server, client, access) = signed_in(Fault::RateLimit).await;
    let url = format!(
        "{}/v5/Jobs/{}/JobSessions",
        server.base_url(),
        server.job_ids()[0]
    );
    let limited = client.get(&url).bearer_auth(&access).send().await.unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "1");
    let retried = client.get(&url).bearer_auth(&access).send().await.unwrap();
    assert_eq!(retried.status(), 200);
    server.shutdown().await.unwrap();

    let (server, client, access) = signed_in(Fault::ExpiredToken).await;
    let url = format!(
        "{}/v5/Jobs/{}/JobSessions",
        server.base_url(),
        server.job_ids()[0]
    );
    assert_eq!(fetch(&client, &url, &access).await.status, 200);
    let expired = fetch(&client, &url, &access).await;
    assert_eq!(expired.status, 401);
    let body: Value = serde_json::from_slice(&expired.body).unwrap();
    assert!(body["message"].as_str().unwrap().contains("expired"));
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_large_job_serves_pages_of_ten_thousand() {
    let sessions = 30_000;
    let server = MockServer::start(
        MockConfig {
            jobs: 1,
            sessions_per_job: sessions,
            ..config(None)
        },
        Tls::None,
    )
    .await
    .unwrap();
    let client = client(&server);
    let access = sign_in(&client, &server).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let job = server.job_ids()[0].clone();
    let started = Instant::now();
    let (pages, count) = walk(&client, &server, &job, 10_000, &access, 10).await;
    let first = started.elapsed();
    assert!(all(&pages).is_empty(), "{:?}", all(&pages).first());
    assert_eq!(count as u64, sessions);
    // Rendered once: the job's sessions were generated for the first walk, and a page served
    // again only splices the bytes rendered then.
    assert_eq!(server.sessions_rendered(), sessions);
    let started = Instant::now();
    let url = format!(
        "{}/v5/Jobs/{job}/JobSessions?offset=10000&limit=10000",
        server.base_url()
    );
    let page = fetch(&client, &url, &access).await;
    let again = started.elapsed();
    assert_eq!(page.status, 200);
    assert_eq!(
        server.sessions_rendered(),
        sessions,
        "nothing rendered again"
    );
    eprintln!(
        "{sessions} sessions: first walk (generation + verification) {first:?}; a cached page of 10000 ({} bytes) in {again:?}",
        page.body.len()
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn slow_fault_delays_pages_and_the_ca_pem_can_be_written() {
    let delay = Duration::from_millis(300);
    let server = MockServer::start(
        MockConfig {
            slow_delay: delay,
            ..config(Some(Fault::Slow))
        },
        Tls::SelfSigned,
    )
    .await
    .unwrap();
    let path = std::env::temp_dir().join(format!("vbo-mock-ca-{}.pem", std::process::id()));
    assert!(server.write_ca_pem(&path).unwrap());
    let pem = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let client = client(&server);
    let access = sign_in(&client, &server).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = format!(
        "{}/v5/Jobs/{}/JobSessions",
        server.base_url(),
        server.job_ids()[0]
    );
    let started = Instant::now();
    assert_eq!(fetch(&client, &url, &access).await.status, 200);
    assert!(started.elapsed() >= delay);
    server.shutdown().await.unwrap();
}

/// The embedded document, to edit.
fn embedded_document() -> Value {
    vbo_contract::contract::parse_document(vbo_contract::contract::EMBEDDED_YAML, "embedded")
        .unwrap()
}

/// The default mock's settings (no fault) serving `contract`.
fn serving(contract: Contract) -> MockConfig {
    MockConfig {
        contract: Some(std::sync::Arc::new(contract)),
        ..config(None)
    }
}

/// The embedded document plus `GET /v5/Jobs` (a plain array of `Job`s), in memory.
fn with_jobs() -> Contract {
    let mut document = embedded_document();
    document["paths"]["/v5/Jobs"] = serde_json::json!({
        "get": {
            "operationId": "get_jobs",
            "responses": {
                "200": {
                    "description": "Every backup job.",
                    "content": { "application/json; charset=utf-8": { "schema": {
                        "type": "array",
                        "items": { "$ref": "#/components/schemas/Job" }
                    } } }
                },
                "401": { "$ref": "#/components/responses/Error" },
                "500": { "$ref": "#/components/responses/Error" }
            }
        }
    });
    document["components"]["schemas"]["Job"] = serde_json::json!({
        "type": "object",
        "required": ["id", "name"],
        "properties": {
            "id": { "type": "string", "format": "uuid" },
            "name": { "type": "string" },
            "description": { "type": "string" },
            "lastStatus": { "type": "string", "enum": ["Stopped", "Running", "Success", "Warning", "Failed"] },
            "lastRun": { "type": "string", "format": "date-time", "nullable": true },
            "nextRun": { "type": "string", "format": "date-time", "nullable": true },
            "isEnabled": { "type": "boolean" },
            "backupType": { "type": "string", "enum": ["EntireOrganization", "SelectedItems"] },
            "schedulePolicy": { "type": "object", "properties": {
                "type": { "type": "string", "enum": ["Daily", "Periodically"] }
            } },
            "_links": { "$ref": "#/components/schemas/Links" }
        }
    });
    Contract::from_document(document, "embedded + get_jobs").unwrap()
}

fn verify_as_routed(contract: &Contract, url: &str, fetched: &Fetched) -> Vec<Finding> {
    let response = vbo_contract::Response {
        status: fetched.status,
        content_type: fetched.content_type.as_deref().map_or(
            vbo_contract::ContentType::Missing,
            vbo_contract::ContentType::Value,
        ),
        body: &fetched.body,
        location: None,
    };
    Verifier::new(contract)
        .verify(&response, &contract.request("GET", url))
        .findings
}

async fn start_with_jobs(config: MockConfig) -> (std::sync::Arc<Contract>, MockServer) {
    let contract = std::sync::Arc::new(with_jobs());
    let server = MockServer::start(
        MockConfig {
            contract: Some(std::sync::Arc::clone(&contract)),
            ..config
        },
        Tls::None,
    )
    .await
    .unwrap();
    (contract, server)
}

#[tokio::test]
async fn a_list_operation_added_to_the_document_is_served_with_one_job_per_mock_job() {
    for data in vbo_contract::generate::GeneratorMode::ALL {
        let (contract, server) = start_with_jobs(MockConfig {
            jobs: 12,
            data: *data,
            ..config(None)
        })
        .await;
        let client = client(&server);
        let token = sign_in(&client, &server).await;
        let access = token["access_token"].as_str().unwrap();
        let url = format!("{}/v5/jobs", server.base_url());
        let fetched = fetch(&client, &url, access).await;
        assert_eq!(fetched.status, 200);
        let findings = verify_as_routed(&contract, &url, &fetched);
        assert!(findings.is_empty(), "{data}: {findings:?}");
        let jobs: Vec<Value> = serde_json::from_slice(&fetched.body).unwrap();
        let ids: Vec<&str> = jobs.iter().map(|j| j["id"].as_str().unwrap()).collect();
        assert_eq!(ids, server.job_ids(), "{data}");
        let names: std::collections::HashSet<&str> =
            jobs.iter().map(|j| j["name"].as_str().unwrap()).collect();
        assert_eq!(names.len(), jobs.len(), "{data}: names are unique");
        for job in &jobs {
            let id = job["id"].as_str().unwrap();
            let href = job["_links"]["self"]["href"].as_str().unwrap();
            assert!(href.ends_with(&format!("/{id}")), "{href}");
            assert!(href.starts_with(server.base_url()), "{href}");
            // The sessions of each listed job are served, and link back to it.
            let sessions_url = format!("{}/v5/Jobs/{id}/JobSessions?limit=3", server.base_url());
            let page = fetch(&client, &sessions_url, access).await;
            assert_eq!(page.status, 200);
            assert!(verify_as_routed(&contract, &sessions_url, &page).is_empty());
            let page: Value = serde_json::from_slice(&page.body).unwrap();
            // Realistic sessions always link their job; edge ones when they draw the relation.
            let job_link = page["results"][0]["_links"]["job"]["href"].as_str();
            if *data == vbo_contract::generate::GeneratorMode::Realistic || job_link.is_some() {
                let job_link = job_link.unwrap();
                assert!(
                    job_link
                        .to_ascii_lowercase()
                        .ends_with(&format!("/jobs/{id}")),
                    "{job_link}"
                );
            }
        }
        // Bearer auth, as on every operation that declares security; a wrong method is a 405.
        assert_eq!(client.get(&url).send().await.unwrap().status(), 401);
        let post = client.post(&url).bearer_auth(access).send().await.unwrap();
        assert_eq!(post.status(), 405);
        assert_eq!(post.headers()["allow"], "GET");
        server.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn a_fault_confined_to_one_operation_leaves_the_others_alone() {
    let (_, server) = start_with_jobs(MockConfig {
        fault_operation: Some("get_jobs".to_owned()),
        ..config(Some(Fault::ServerError))
    })
    .await;
    let client = client(&server);
    let access = sign_in(&client, &server).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let jobs = format!("{}/v5/Jobs", server.base_url());
    let sessions = format!(
        "{}/v5/Jobs/{}/JobSessions",
        server.base_url(),
        server.job_ids()[0]
    );
    assert_eq!(fetch(&client, &sessions, &access).await.status, 200);
    assert_eq!(fetch(&client, &jobs, &access).await.status, 500);
    assert_eq!(fetch(&client, &sessions, &access).await.status, 200);
    assert_eq!(fetch(&client, &jobs, &access).await.status, 200);
    assert_eq!(fetch(&client, &jobs, &access).await.status, 500);
    server.shutdown().await.unwrap();

    // Unconfined, a status fault strikes every operation, each on its own count...
    let (_, server) = start_with_jobs(config(Some(Fault::ServerError))).await;
    let client = self::client(&server);
    let access = sign_in(&client, &server).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let sessions = format!(
        "{}/v5/Jobs/{}/JobSessions",
        server.base_url(),
        server.job_ids()[0]
    );
    let jobs = format!("{}/v5/Jobs", server.base_url());
    assert_eq!(fetch(&client, &sessions, &access).await.status, 500);
    assert_eq!(fetch(&client, &jobs, &access).await.status, 500);
    server.shutdown().await.unwrap();

    // ... while a data fault stays in the sessions it lives in.
    let (contract, server) = start_with_jobs(config(Some(Fault::UnknownStatus))).await;
    let client = self::client(&server);
    let access = sign_in(&client, &server).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let jobs = format!("{}/v5/Jobs", server.base_url());
    let fetched = fetch(&client, &jobs, &access).await;
    assert!(verify_as_routed(&contract, &jobs, &fetched).is_empty());
    let damaged = String::from_utf8(fetched.body)
        .unwrap()
        .replace(server.base_url(), "");
    server.shutdown().await.unwrap();
    let (_, server) = start_with_jobs(config(None)).await;
    let client = self::client(&server);
    let access = sign_in(&client, &server).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let jobs = format!("{}/v5/Jobs", server.base_url());
    let healthy = fetch(&client, &jobs, &access).await.body;
    let healthy = String::from_utf8(healthy)
        .unwrap()
        .replace(server.base_url(), "");
    assert_eq!(
        damaged, healthy,
        "the jobs are the same with and without the data fault"
    );
    server.shutdown().await.unwrap();

    // A fault confined to an operation the contract does not have is refused.
    let refused = MockServer::start(
        MockConfig {
            fault_operation: Some("get_widgets".to_owned()),
            ..config(Some(Fault::ServerError))
        },
        Tls::None,
    )
    .await;
    assert!(matches!(
        refused,
        Err(vbo_contract::mock::MockError::UnknownOperation(id)) if id == "get_widgets"
    ));
}

#[tokio::test]
async fn an_unknown_job_is_a_404_with_the_documented_error_body() {
    let (contract, server) = start_with_jobs(config(None)).await;
    let client = client(&server);
    let access = sign_in(&client, &server).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = format!(
        "{}/v5/Jobs/00000000-0000-4000-8000-000000000000/JobSessions",
        server.base_url()
    );
    let fetched = fetch(&client, &url, &access).await;
    assert_eq!(fetched.status, 404);
    let findings = verify_as_routed(&contract, &url, &fetched);
    assert!(
        findings.iter().all(|f| f.rule == Rule::Status),
        "only the status is reported, the body conforms: {findings:?}"
    );
    let body: Value = serde_json::from_slice(&fetched.body).unwrap();
    assert_eq!(
        body["message"],
        "Job with id '00000000-0000-4000-8000-000000000000' was not found."
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn without_a_documented_job_list_a_job_id_is_known_by_its_parameter_s_name() {
    // The embedded document without its `GET /v5/Jobs`: `{jobId}` alone says the id names a
    // job.
    let mut document = embedded_document();
    document["paths"]
        .as_object_mut()
        .unwrap()
        .remove("/v5/Jobs");
    let contract = Contract::from_document(document, "embedded - /v5/Jobs").unwrap();
    let (server, client, access) = signed_in_with(serving(contract)).await;
    let sessions_of = |job: &str| format!("{}/v5/Jobs/{job}/JobSessions", server.base_url());
    let unknown = sessions_of("00000000-0000-4000-8000-000000000000");
    assert_eq!(fetch(&client, &unknown, &access).await.status, 404);
    let known = sessions_of(&server.job_ids()[0]);
    assert_eq!(fetch(&client, &known, &access).await.status, 200);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_post_operation_other_than_sign_in_is_served() {
    let mut document = embedded_document();
    document["paths"]["/v5/Jobs/{jobId}/start"] = serde_json::json!({ "post": {
        "operationId": "start_job",
        "parameters": [{ "name": "jobId", "in": "path", "required": true,
            "schema": { "type": "string", "format": "uuid" } }],
        "responses": { "204": { "description": "Started." } }
    } });
    let contract = Contract::from_document(document, "embedded + POST start").unwrap();
    let (server, client, access) = signed_in_with(serving(contract)).await;
    let url = format!(
        "{}/v5/Jobs/{}/start",
        server.base_url(),
        server.job_ids()[0]
    );
    let started = client.post(&url).bearer_auth(&access).send().await.unwrap();
    assert_eq!(started.status(), 204);
    let fetched = fetch(&client, &url, &access).await;
    assert_eq!(fetched.status, 405, "the path takes POST only");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_paged_collection_and_an_object_of_unknown_schemas_are_served_from_the_document() {
    let mut document = embedded_document();
    let ok = |schema: Value| serde_json::json!({ "description": "ok", "content": { "application/json": { "schema": schema } } });
    let org = serde_json::json!({ "name": "organizationId", "in": "path", "required": true, "schema": { "type": "string" } });
    document["paths"]["/v5/Organizations/{organizationId}/Users"] = serde_json::json!({ "get": {
        "operationId": "get_users",
        "parameters": [org.clone(),
            { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 50 } }],
        "responses": { "200": ok(serde_json::json!({ "$ref": "#/components/schemas/UserPage" })) }
    } });
    document["paths"]["/v5/Organizations/{organizationId}"] = serde_json::json!({ "get": {
        "operationId": "get_organization",
        "security": [],
        "parameters": [org],
        "responses": { "200": ok(serde_json::json!({ "$ref": "#/components/schemas/Organization" })) }
    } });
    let schemas = &mut document["components"]["schemas"];
    schemas["Organization"] = serde_json::json!({
        "type": "object", "required": ["id", "name"],
        "properties": { "id": { "type": "string" }, "name": { "type": "string" } }
    });
    schemas["User"] = serde_json::json!({
        "type": "object", "required": ["id"],
        "properties": { "id": { "type": "string", "format": "uuid" }, "_links": { "$ref": "#/components/schemas/Links" } }
    });
    schemas["UserPage"] = serde_json::json!({
        "type": "object", "required": ["offset", "limit", "results"],
        "properties": {
            "offset": { "type": "integer", "minimum": 0 },
            "limit": { "type": "integer", "minimum": 1, "maximum": 50 },
            "results": { "type": "array", "items": { "$ref": "#/components/schemas/User" } },
            "_links": { "$ref": "#/components/schemas/Links" }
        }
    });
    let contract = std::sync::Arc::new(Contract::from_document(document, "organizations").unwrap());
    let server = MockServer::start(
        MockConfig {
            contract: Some(std::sync::Arc::clone(&contract)),
            sessions_per_job: 23,
            ..config(None)
        },
        Tls::None,
    )
    .await
    .unwrap();
    let client = client(&server);
    let access = sign_in(&client, &server).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // A paged collection under a parent the mock cannot know: real paging, every page verifies.
    let mut ids = std::collections::HashSet::new();
    let mut offset = 0;
    loop {
        let url = format!(
            "{}/v5/Organizations/contoso/Users?offset={offset}&limit=10",
            server.base_url()
        );
        let fetched = fetch(&client, &url, &access).await;
        assert_eq!(fetched.status, 200);
        let findings = verify_as_routed(&contract, &url, &fetched);
        assert!(findings.is_empty(), "{findings:?}");
        let page: Value = serde_json::from_slice(&fetched.body).unwrap();
        for user in page["results"].as_array().unwrap() {
            assert!(ids.insert(user["id"].as_str().unwrap().to_owned()));
        }
        if page.pointer("/_links/next").is_none() {
            break;
        }
        offset += 10;
    }
    assert_eq!(ids.len(), 23);
    // The document's own maximum of `limit` bounds the page.
    let url = format!(
        "{}/v5/Organizations/contoso/Users?limit=51",
        server.base_url()
    );
    assert_eq!(fetch(&client, &url, &access).await.status, 400);
    // An object under a parameter the mock cannot know: its id echoes the path; the operation
    // declares no security, so no token is needed.
    let url = format!("{}/v5/organizations/contoso", server.base_url());
    let answer = client.get(&url).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    let organization: Value = answer.json().await.unwrap();
    assert_eq!(organization["id"], "contoso");
    assert!(organization["name"].is_string());
    server.shutdown().await.unwrap();
}
