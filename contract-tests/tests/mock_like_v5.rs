//! The mock behaves like a v5 server, checked at the raw endpoints: routing without regard to
//! case, data shaped like the vendor's example by default (and the edge cases on request), a
//! busy job whose collection moves during a walk, sign-in throttled with the declared 429, the
//! token's `userName`, and the sessions endpoint's 429 as the contract declares it (D18, D19).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::Value;
use vbo_contract::Exchange;
use vbo_contract::generate::GeneratorMode;
use vbo_contract::live::{self, PageSource, WalkPlan};
use vbo_contract::mock::{Fault, MockConfig, MockServer, Tls, TokenQuota};
use vbo_contract::report::Report;
use vbo_contract::{Contract, Rule, Verifier, contract};

const USER: &str = "vbo-admin";
const PASSWORD: &str = "mock-password";
/// Every integer a float-based client reads exactly.
const EXACT: i64 = 1 << 53;

fn config(fault: Option<Fault>) -> MockConfig {
    MockConfig {
        jobs: 2,
        sessions_per_job: 95,
        seed: 7,
        fault,
        ..MockConfig::default()
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("a client builds")
}

/// One `POST` of a password grant to `path`; the status, `Retry-After` and body.
async fn token_at(server: &MockServer, path: &str) -> (u16, Option<String>, Value) {
    let response = client()
        .post(format!("{}{path}", server.base_url()))
        .form(&[
            ("grant_type", "password"),
            ("username", USER),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("the token request is answered");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (
        status,
        retry_after,
        response.json().await.expect("a JSON body"),
    )
}

async fn access_token(server: &MockServer) -> String {
    let (status, _, body) = token_at(server, "/v5/Token").await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

async fn get(url: &str, token: &str) -> (u16, Value) {
    let response = client()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("answered");
    let status = response.status().as_u16();
    let body = response.bytes().await.expect("a body");
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// Every session of `job`, page by page (offset and limit), as the server lists them.
async fn all_sessions(server: &MockServer, job: &str, token: &str) -> Vec<Value> {
    let mut sessions = Vec::new();
    let limit = 1000;
    loop {
        let url = format!(
            "{}/v5/Jobs/{job}/JobSessions?offset={}&limit={limit}",
            server.base_url(),
            sessions.len()
        );
        let (status, page) = get(&url, token).await;
        assert_eq!(status, 200, "{page}");
        let results = page["results"].as_array().unwrap();
        sessions.extend(results.iter().cloned());
        if (results.len() as u64) < limit || page.pointer("/_links/next").is_none() {
            return sessions;
        }
    }
}

#[tokio::test]
async fn routes_ignore_the_case_of_literal_segments_and_capture_the_job_id() {
    let server = MockServer::start(config(None), Tls::None).await.unwrap();
    for path in ["/v5/token", "/V5/TOKEN", "/v5/Token/"] {
        let (status, _, body) = token_at(&server, path).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_eq!(body["token_type"], "bearer");
    }
    let token = access_token(&server).await;
    let job = server.job_ids()[0].clone();
    let base = server.base_url();
    let canonical = get(&format!("{base}/v5/Jobs/{job}/JobSessions?limit=5"), &token).await;
    assert_eq!(canonical.0, 200);
    for path in [
        format!("/v5/jobs/{job}/jobsessions"),
        format!("/V5/JOBS/{}/JOBSESSIONS", job.to_ascii_uppercase()),
        format!("/v5/jObS/{job}/JobSessions/"),
    ] {
        let (status, page) = get(&format!("{base}{path}?limit=5"), &token).await;
        assert_eq!(status, 200, "{path}: {page}");
        // The same job's sessions, whatever the case of the request.
        assert_eq!(page["results"], canonical.1["results"], "{path}");
    }
    for path in [
        "/v5/Jobs//JobSessions".to_owned(),
        format!("/v5/Jobs/{job}/JobSessions/extra"),
        format!("/v6/Jobs/{job}/JobSessions"),
        "/v5/Tokens".to_owned(),
    ] {
        let (status, body) = get(&format!("{base}{path}"), &token).await;
        assert_eq!(status, 404, "{path}");
        assert!(body["message"].is_string(), "{path}");
    }
    let (status, body) = get(&format!("{base}/v5/token"), &token).await;
    assert_eq!(status, 405, "GET on the token path");
    assert!(body["message"].is_string());
    server.shutdown().await.unwrap();
}

/// What the vendor's example page looks like, as properties of a job's sessions.
fn assert_realistic(sessions: &[Value], base: &str, job: &str) {
    let mut previous: Option<chrono::DateTime<chrono::FixedOffset>> = None;
    for (index, session) in sessions.iter().enumerate() {
        let id = session["id"].as_str().unwrap();
        assert_eq!(id, id.to_ascii_lowercase(), "lower-case ids");
        let links = session["_links"].as_object().unwrap();
        let relations: BTreeSet<&str> = links.keys().map(String::as_str).collect();
        assert_eq!(
            relations,
            BTreeSet::from(["job", "log", "self"]),
            "{session}"
        );
        let job = job.to_ascii_lowercase();
        assert_eq!(
            links["self"]["href"],
            format!("{base}/v5/jobsessions/{id}"),
            "absolute self link on the origin"
        );
        assert_eq!(
            links["log"]["href"],
            format!("{base}/v5/jobsessions/{id}/logitems")
        );
        assert_eq!(links["job"]["href"], format!("{base}/v5/jobs/{job}"));
        let created = session["creationTime"].as_str().unwrap();
        // The seed's form: seven fractional digits and `Z`.
        assert_eq!(
            created.len(),
            "2020-12-13T22:00:00.5852401Z".len(),
            "{created}"
        );
        assert!(created.ends_with('Z'), "{created}");
        let created = chrono::DateTime::parse_from_rfc3339(created).unwrap();
        if let Some(newer) = previous {
            assert!(created < newer, "newest first: session {index} of {job}");
        }
        previous = Some(created);
        let status = session["status"].as_str().unwrap();
        let active = matches!(status, "Running" | "Queued");
        assert!(
            !active || index == 0,
            "active session at {index}: {session}"
        );
        if active {
            assert!(session.get("endTime").is_none_or(Value::is_null));
        } else {
            let end =
                chrono::DateTime::parse_from_rfc3339(session["endTime"].as_str().unwrap()).unwrap();
            assert!(end >= created && end - created <= chrono::Duration::hours(9));
        }
        let progress = session["progress"].as_i64().unwrap();
        let statistics = session["statistics"].as_object().unwrap();
        let objects = statistics["processedObjects"].as_i64().unwrap();
        assert!((0..10_000_000).contains(&objects), "{session}");
        assert!((0..=objects).contains(&progress), "{session}");
        for (name, value) in statistics {
            if let Some(n) = value.as_i64() {
                let cap = if name.contains("Bytes") {
                    1 << 50
                } else {
                    10_000_000
                };
                assert!((0..cap).contains(&n) && n < EXACT, "{name} {n}");
            }
        }
        let read = statistics["readRateBytesPS"].as_i64().unwrap();
        for rate in ["processingRateBytesPS", "writeRateBytesPS"] {
            assert!(statistics[rate].as_i64().unwrap() <= read, "{session}");
        }
        assert_ne!(statistics["bottleneck"], "NA", "the v5 spelling is N/A");
    }
}

#[tokio::test]
async fn the_default_data_is_shaped_like_the_vendors_example() {
    let server = MockServer::start(
        MockConfig {
            jobs: 12,
            sessions_per_job: 400,
            ..config(None)
        },
        Tls::None,
    )
    .await
    .unwrap();
    let token = access_token(&server).await;
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    let mut active_heads = 0;
    for job in server.job_ids() {
        let sessions = all_sessions(&server, job, &token).await;
        assert_eq!(sessions.len(), 400);
        assert_realistic(&sessions, server.base_url(), job);
        active_heads += usize::from(matches!(
            sessions[0]["status"].as_str(),
            Some("Running" | "Queued")
        ));
        for session in &sessions {
            *statuses
                .entry(session["status"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
    }
    // A plausible mix: mostly successes, some warnings and failures, now and then a job running.
    let total: usize = statuses.values().sum();
    assert!(statuses["Success"] * 10 > total * 6, "{statuses:?}");
    assert!(statuses["Success"] * 10 < total * 9, "{statuses:?}");
    for status in ["Warning", "Failed", "Stopped"] {
        assert!(statuses.get(status).is_some_and(|n| *n > 0), "{statuses:?}");
    }
    assert!(
        (1..12).contains(&active_heads),
        "{active_heads} active heads"
    );
    // And it verifies clean, page by page.
    let contract = Contract::embedded().unwrap();
    let verifier = Verifier::new(&contract);
    let source = Raw {
        base: server.base_url().to_owned(),
        token: token.clone(),
    };
    let mut report = Report::default();
    let plan = WalkPlan {
        page_size: 70,
        max_pages: None,
        ..WalkPlan::default()
    };
    live::walk_job(
        &verifier,
        &source,
        &server.job_ids()[0],
        plan,
        &mut report,
        &mut (),
    )
    .await;
    let findings: Vec<_> = report.entries.iter().flat_map(|e| &e.findings).collect();
    assert!(findings.is_empty(), "{findings:?}");
    assert_eq!(report.sessions(), 400);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn edge_data_keeps_the_edge_cases_on_request() {
    let server = MockServer::start(
        MockConfig {
            jobs: 1,
            sessions_per_job: 600,
            data: GeneratorMode::Edge,
            ..config(None)
        },
        Tls::None,
    )
    .await
    .unwrap();
    let token = access_token(&server).await;
    let job = server.job_ids()[0].clone();
    let sessions = all_sessions(&server, &job, &token).await;
    let text: String = sessions.iter().map(Value::to_string).collect();
    assert!(
        text.contains("\"/v6/jobsessions/"),
        "relative v6-style links"
    );
    assert!(text.contains("\"details\""), "a details relation");
    let huge = sessions
        .iter()
        .filter_map(|s| s.pointer("/statistics/transferredDataBytes")?.as_i64())
        .any(|n| n >= EXACT);
    assert!(huge, "counters past 2^53");
    let active_inside = sessions
        .iter()
        .skip(1)
        .any(|s| matches!(s["status"].as_str(), Some("Running" | "Queued")));
    assert!(active_inside, "active sessions anywhere");
    server.shutdown().await.unwrap();
}

/// Pages straight from the mock with one token and no retries.
struct Raw {
    base: String,
    token: String,
}

impl PageSource for Raw {
    async fn get(&self, target: &str) -> Result<Exchange, String> {
        let url = format!("{}{target}", self.base);
        let response = client()
            .get(&url)
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(|v| ("Content-Type".to_owned(), v.to_owned()))
            .into_iter()
            .collect();
        let body = response.bytes().await.map_err(|e| e.to_string())?.to_vec();
        Ok(Exchange::get(url, status, headers, body))
    }
}

fn ids(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_busy_job_starts_sessions_between_page_requests() {
    let server = MockServer::start(
        MockConfig {
            jobs: 1,
            busy_every: 2,
            ..config(Some(Fault::Busy))
        },
        Tls::None,
    )
    .await
    .unwrap();
    let token = access_token(&server).await;
    let job = server.job_ids()[0].clone();
    let page = |offset: u64| {
        let url = format!(
            "{}/v5/Jobs/{job}/JobSessions?offset={offset}&limit=10",
            server.base_url()
        );
        let token = token.clone();
        async move {
            let (status, page) = get(&url, &token).await;
            assert_eq!(status, 200, "{page}");
            page
        }
    };
    // Requests 0 and 1 see the same collection; request 2 sees one new session at its head.
    let first = ids(&page(0).await);
    let second = ids(&page(10).await);
    assert!(first.iter().all(|id| !second.contains(id)), "no shift yet");
    let third = page(20).await;
    assert_eq!(
        ids(&third)[0],
        second[9],
        "page 3 begins with the tail of page 2"
    );
    let head = page(0).await;
    let head_ids = ids(&head);
    assert!(!first.contains(&head_ids[0]), "a new session at the head");
    assert_eq!(head_ids[1..], first[..9], "the rest moved down by one");
    let newest =
        chrono::DateTime::parse_from_rfc3339(head["results"][0]["creationTime"].as_str().unwrap())
            .unwrap();
    let before =
        chrono::DateTime::parse_from_rfc3339(head["results"][1]["creationTime"].as_str().unwrap())
            .unwrap();
    assert!(newest > before, "the new session is the newest");
    // A walk sees the collection move: today's verifier calls it a duplicate id.
    let contract = Contract::embedded().unwrap();
    let verifier = Verifier::new(&contract);
    let source = Raw {
        base: server.base_url().to_owned(),
        token: token.clone(),
    };
    let mut report = Report::default();
    let plan = WalkPlan {
        page_size: 30,
        max_pages: None,
        ..WalkPlan::default()
    };
    live::walk_job(&verifier, &source, &job, plan, &mut report, &mut ()).await;
    let rule = Fault::Busy.rule().unwrap();
    let findings: Vec<_> = report.entries.iter().flat_map(|e| &e.findings).collect();
    // A healthy busy server: one warning for the whole walk, never duplicate errors.
    assert_eq!(rule, Rule::CollectionShifted);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].rule, rule);
    assert_eq!(findings[0].severity, vbo_contract::Severity::Warning);
    assert_eq!(report.errors(), 0);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_busy_job_stops_moving_after_its_sessions_started() {
    let server = MockServer::start(
        MockConfig {
            jobs: 1,
            sessions_per_job: 20,
            busy_every: 1,
            busy_sessions: 3,
            ..config(Some(Fault::Busy))
        },
        Tls::None,
    )
    .await
    .unwrap();
    let token = access_token(&server).await;
    let url = format!(
        "{}/v5/Jobs/{}/JobSessions?limit=100",
        server.base_url(),
        server.job_ids()[0]
    );
    let mut sizes = Vec::new();
    for _ in 0..6 {
        let (status, page) = get(&url, &token).await;
        assert_eq!(status, 200);
        sizes.push(page["results"].as_array().unwrap().len());
    }
    assert_eq!(sizes, [20, 21, 22, 23, 23, 23]);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn sign_in_is_throttled_with_the_declared_429_and_retry_after() {
    let quota = TokenQuota {
        refuse_first: 2,
        per_window: 1,
        window: Duration::from_secs(60),
    };
    let server = MockServer::start(
        MockConfig {
            token_quota: quota,
            ..config(Some(Fault::TokenThrottle))
        },
        Tls::None,
    )
    .await
    .unwrap();
    let contract = Contract::embedded().unwrap();
    assert!(
        contract
            .document()
            .pointer("/paths/~1v5~1Token/post/responses/429")
            .is_some(),
        "the contract declares 429 on sign-in (D18)"
    );
    let token_error = contract::compile(&contract.component_schema("TokenError").unwrap()).unwrap();
    let mut refusals = Vec::new();
    for _ in 0..2 {
        let (status, retry_after, body) = token_at(&server, "/v5/Token").await;
        assert_eq!(status, 429, "{body}");
        assert_eq!(retry_after.as_deref(), Some("60"));
        assert_eq!(body["error"], "too_many_requests");
        refusals.push(body);
    }
    // The third attempt is admitted, the fourth is over the quota of one per window.
    let (status, _, token) = token_at(&server, "/v5/token").await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["userName"], USER, "the token names its user (D19)");
    let typed: vbo_client::types::Token = serde_json::from_value(token).unwrap();
    assert_eq!(typed.user_name.as_deref(), Some(USER));
    let (status, retry_after, body) = token_at(&server, "/v5/Token").await;
    assert_eq!(status, 429, "{body}");
    let wait: u64 = retry_after.unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    refusals.push(body);
    for body in &refusals {
        assert!(
            token_error.is_valid(body),
            "{body} is not the declared TokenError"
        );
        assert!(body["error_description"].is_string());
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_default_quota_admits_one_sign_in_per_second() {
    let server = MockServer::start(config(Some(Fault::TokenThrottle)), Tls::None)
        .await
        .unwrap();
    let (status, _, _) = token_at(&server, "/v5/Token").await;
    assert_eq!(status, 200);
    let (status, retry_after, _) = token_at(&server, "/v5/Token").await;
    assert_eq!((status, retry_after.as_deref()), (429, Some("1")));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _, body) = token_at(&server, "/v5/Token").await;
    assert_eq!(status, 200, "{body}");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_rate_limit_fault_sends_the_429_the_contract_declares() {
    let server = MockServer::start(config(Some(Fault::RateLimit)), Tls::None)
        .await
        .unwrap();
    let token = access_token(&server).await;
    let url = format!(
        "{}/v5/Jobs/{}/JobSessions",
        server.base_url(),
        server.job_ids()[0]
    );
    let response = client().get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "1");
    let body: Value = response.json().await.unwrap();
    let contract = Contract::embedded().unwrap();
    assert!(contract.declares_status(429), "D18");
    let validator = contract.validator_for_status(429).unwrap();
    assert!(validator.is_valid(&body), "{body}");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_client_waits_out_a_throttled_sign_in_on_the_mock() {
    let quota = TokenQuota {
        refuse_first: 2,
        per_window: 10,
        window: Duration::from_secs(1),
    };
    let server = MockServer::start(
        MockConfig {
            token_quota: quota,
            ..config(Some(Fault::TokenThrottle))
        },
        Tls::None,
    )
    .await
    .unwrap();
    let client = vbo_client::Client::builder(server.base_url())
        .credentials(USER, PASSWORD)
        .build()
        .unwrap();
    let job = server.job_ids()[0].parse().unwrap();
    let started = std::time::Instant::now();
    let page = client.page(job, 0, 10).await.unwrap();
    assert_eq!(page.results.len(), 10);
    // Two refusals, each waited out for its Retry-After of one second, then signed in.
    let log = client.transient_log();
    assert_eq!(log.count(vbo_client::TransientKind::SignInThrottled), 2);
    assert_eq!(log.total(), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    server.shutdown().await.unwrap();
}
