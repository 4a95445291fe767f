//! Guards for the retry and token decisions a mutation run found unguarded (issue 17): each
//! test counts what the server received, and when, so a changed decision changes a count.
//!
//! - a TLS failure is final (one connection), a refused connection is retried;
//! - sign-in is retried on 502, 503 and 504 with growing waits, and not on 500;
//! - a token is refreshed at most half-way through its life, never on every request;
//! - GET retries back off: each wait at least half of its doubling ceiling.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use vbo_client::{Client, Error, RetryPolicy};

use crate::server::{self, JOB, PASSWORD, USERNAME, page_of};

/// When each request of one kind arrived.
#[derive(Default)]
struct Arrivals(Mutex<Vec<Instant>>);

impl Arrivals {
    /// Records an arrival; returns how many came before it.
    fn record(&self) -> usize {
        let mut times = self.0.lock().unwrap();
        times.push(Instant::now());
        times.len() - 1
    }

    fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// The waits between consecutive arrivals.
    fn gaps(&self) -> Vec<Duration> {
        let times = self.0.lock().unwrap();
        times.windows(2).map(|w| w[1] - w[0]).collect()
    }
}

/// How the token endpoint answers its `n`th request (from 0).
type TokenReply = Arc<dyn Fn(usize) -> Response + Send + Sync>;

/// What a plain-HTTP loopback server received.
#[derive(Default)]
struct Seen {
    tokens: Arrivals,
    gets: Arrivals,
}

/// A granted token, valid for an hour.
fn granted() -> Response {
    axum::Json(json!({
        "access_token": "guard-access-TOKEN",
        "token_type": "bearer",
        "refresh_token": "guard-refresh-TOKEN",
        "expires_in": 3600,
    }))
    .into_response()
}

fn status(code: u16) -> Response {
    let code = StatusCode::from_u16(code).unwrap();
    server::json_reply(code, json!({"message": "try later"}))
}

/// A router whose token endpoint answers with `token` and whose sessions endpoint serves a
/// job of 3 sessions; every request is recorded in `seen`.
fn app(token: TokenReply, seen: Arc<Seen>) -> Router {
    let for_token = Arc::clone(&seen);
    Router::new()
        .route(
            "/v5/Token",
            post(move || {
                let n = for_token.tokens.record();
                let reply = token(n);
                async move { reply }
            }),
        )
        .route(
            "/v5/Jobs/{job}/JobSessions",
            get(move || {
                seen.gets.record();
                let ask = server::Ask {
                    job: JOB,
                    offset: 0,
                    limit: 30,
                    call: 0,
                };
                async move { server::json_reply(StatusCode::OK, page_of(3, ask)) }
            }),
        )
}

/// Serves `app` over plain HTTP on `listener`.
fn serve(listener: std::net::TcpListener, app: Router) {
    listener.set_nonblocking(true).unwrap();
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
}

/// Starts a plain-HTTP server; returns its base URL and what it saw.
fn start_http(token: TokenReply) -> (String, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    serve(listener, app(token, Arc::clone(&seen)));
    (url, seen)
}

fn policy(attempts: u32, base_ms: u64, max_ms: u64) -> RetryPolicy {
    RetryPolicy {
        max_attempts: attempts,
        base_delay: Duration::from_millis(base_ms),
        max_delay: Duration::from_millis(max_ms),
    }
}

/// A TLS server with a certificate nobody trusts, behind a proxy that counts connections.
async fn untrusted_tls_server() -> (String, Arc<AtomicUsize>) {
    let inner = server::start(server::job_of(2)).await;
    let inner_addr: SocketAddr = inner.url.trim_start_matches("https://").parse().unwrap();
    let front = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", front.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&connections);
    tokio::spawn(async move {
        let _keep = inner;
        loop {
            let Ok((mut client, _)) = front.accept().await else {
                return;
            };
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                if let Ok(mut upstream) = tokio::net::TcpStream::connect(inner_addr).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                }
            });
        }
    });
    (url, connections)
}

#[tokio::test]
async fn a_tls_failure_is_not_retried() {
    let (url, connections) = untrusted_tls_server().await;
    // Once through the GET path (ready token) and once through the sign-in path.
    let by_token = Client::builder(&url)
        .bearer_token("ready")
        .retry_policy(policy(4, 20, 40))
        .build()
        .unwrap();
    let error = by_token.page(JOB, 0, 30).await.unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert_eq!(
        connections.load(Ordering::SeqCst),
        1,
        "an untrusted certificate does not get better on a second try"
    );
    let by_password = Client::builder(&url)
        .credentials(USERNAME, PASSWORD)
        .retry_policy(policy(4, 20, 40))
        .build()
        .unwrap();
    let error = by_password.sign_in().await.unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert_eq!(connections.load(Ordering::SeqCst), 2, "one more, not four");
}

/// A port nothing listens on yet, and a task that starts serving `app` on it after `after`.
fn port_that_opens_later(after: Duration, token: TokenReply) -> (String, Arc<Seen>) {
    let reserved = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = reserved.local_addr().unwrap();
    drop(reserved);
    let seen = Arc::new(Seen::default());
    let app = app(token, Arc::clone(&seen));
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        serve(std::net::TcpListener::bind(addr).unwrap(), app);
    });
    (format!("http://{addr}"), seen)
}

#[tokio::test]
async fn a_refused_connection_is_retried_until_the_server_is_up() {
    // Refused for the first 150 ms; the backoff (at least 100, 200, 400 ms) outlasts it.
    let (url, seen) = port_that_opens_later(Duration::from_millis(150), Arc::new(|_| granted()));
    let client = Client::builder(&url)
        .bearer_token("ready")
        .retry_policy(policy(6, 200, 800))
        .build()
        .unwrap();
    let started = Instant::now();
    let page = client
        .page(JOB, 0, 30)
        .await
        .expect("retried until it came up");
    assert_eq!(page.results.len(), 3);
    assert!(started.elapsed() >= Duration::from_millis(100), "it waited");
    assert_eq!(seen.gets.count(), 1);
}

#[tokio::test]
async fn a_refused_sign_in_is_retried_until_the_server_is_up() {
    let (url, seen) = port_that_opens_later(Duration::from_millis(150), Arc::new(|_| granted()));
    let client = Client::builder(&url)
        .credentials(USERNAME, PASSWORD)
        .retry_policy(policy(6, 200, 800))
        .build()
        .unwrap();
    client.sign_in().await.expect("retried until it came up");
    assert_eq!(seen.tokens.count(), 1);
}

#[tokio::test]
async fn sign_in_is_retried_on_502_503_and_504_with_growing_waits() {
    let (url, seen) = start_http(Arc::new(|n| match n {
        0 => status(502),
        1 => status(503),
        2 => status(504),
        _ => granted(),
    }));
    let client = Client::builder(&url)
        .credentials(USERNAME, PASSWORD)
        .retry_policy(policy(4, 40, 1_000))
        .build()
        .unwrap();
    assert_eq!(client.page(JOB, 0, 30).await.unwrap().results.len(), 3);
    assert_eq!(
        seen.tokens.count(),
        4,
        "three transient refusals, then granted"
    );
    // Jitter keeps each wait within [ceiling/2, ceiling] of 40, 80, 160 ms.
    let gaps = seen.tokens.gaps();
    for (retry, (gap, floor_ms)) in gaps.iter().zip([20, 40, 80]).enumerate() {
        assert!(
            *gap >= Duration::from_millis(floor_ms),
            "retry {}: waited {gap:?}, less than {floor_ms} ms",
            retry + 1
        );
    }
}

#[tokio::test]
async fn sign_in_gives_up_after_max_attempts_on_503() {
    let (url, seen) = start_http(Arc::new(|_| status(503)));
    let client = Client::builder(&url)
        .credentials(USERNAME, PASSWORD)
        .retry_policy(policy(3, 5, 10))
        .build()
        .unwrap();
    let error = client.sign_in().await.unwrap_err();
    assert_eq!(error.status(), Some(503), "{error:?}");
    assert_eq!(seen.tokens.count(), 3);
}

#[tokio::test]
async fn sign_in_honours_retry_after_on_503() {
    let (url, seen) = start_http(Arc::new(|n| {
        if n == 0 {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "1")],
                "busy",
            )
                .into_response()
        } else {
            granted()
        }
    }));
    let client = Client::builder(&url)
        .credentials(USERNAME, PASSWORD)
        .retry_policy(policy(3, 1, 5_000))
        .build()
        .unwrap();
    client.sign_in().await.unwrap();
    assert_eq!(seen.tokens.count(), 2);
    let gap = seen.tokens.gaps()[0];
    assert!(gap >= Duration::from_millis(950), "waited only {gap:?}");
}

#[tokio::test]
async fn sign_in_is_not_retried_on_500() {
    let (url, seen) = start_http(Arc::new(|_| status(500)));
    let client = Client::builder(&url)
        .credentials(USERNAME, PASSWORD)
        .retry_policy(policy(4, 5, 10))
        .build()
        .unwrap();
    let error = client.sign_in().await.unwrap_err();
    assert_eq!(error.status(), Some(500), "{error:?}");
    assert_eq!(seen.tokens.count(), 1, "a server fault is not transient");
}

#[tokio::test]
async fn a_short_lived_token_is_not_refreshed_on_every_request() {
    // A 2 s token with the default 60 s margin: the margin is cut to half its life, so the
    // refresh is due after 1 s, not at once.
    let server = server::start(server::job_of(3)).await;
    server.counters.expires_in.store(2, Ordering::SeqCst);
    let client = server.builder().build().unwrap();
    for _ in 0..3 {
        client.page(JOB, 0, 30).await.unwrap();
    }
    assert_eq!(server.counters.password_sign_ins.load(Ordering::SeqCst), 1);
    assert_eq!(server.counters.refreshes.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_margin_longer_than_the_token_is_cut_to_half_its_life() {
    // An hour-long token and a ten-hour margin: refreshed after 30 minutes, so not now.
    let server = server::start(server::job_of(3)).await;
    let client = server
        .builder()
        .refresh_margin(Duration::from_secs(36_000))
        .build()
        .unwrap();
    for _ in 0..3 {
        client.page(JOB, 0, 30).await.unwrap();
    }
    assert_eq!(server.counters.password_sign_ins.load(Ordering::SeqCst), 1);
    assert_eq!(server.counters.refreshes.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn get_retries_back_off_and_stop_at_max_attempts() {
    let arrivals = Arc::new(Arrivals::default());
    let seen = Arc::clone(&arrivals);
    let server = server::start(Arc::new(move |_| {
        seen.record();
        status(503)
    }))
    .await;
    let client = server
        .builder()
        .retry_policy(policy(4, 40, 1_000))
        .build()
        .unwrap();
    client.sign_in().await.unwrap();
    let error = client.page(JOB, 0, 30).await.unwrap_err();
    assert_eq!(error.status(), Some(503), "{error:?}");
    assert_eq!(arrivals.count(), 4);
    for (gap, floor_ms) in arrivals.gaps().iter().zip([20, 40, 80]) {
        assert!(
            *gap >= Duration::from_millis(floor_ms),
            "{gap:?} < {floor_ms} ms"
        );
    }
}

#[tokio::test]
async fn a_get_answered_500_is_not_retried() {
    let server = server::start(Arc::new(|_| status(500))).await;
    let client = server.builder().build().unwrap();
    let error = client.page(JOB, 0, 30).await.unwrap_err();
    assert_eq!(error.status(), Some(500), "{error:?}");
    assert_eq!(server.counters.gets.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn two_requests_refused_with_the_same_token_sign_in_again_once() {
    // Both GETs carry the first token and are answered 401 only once both have arrived, so
    // the second to take the lock finds the token already renewed.
    let tokens = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let issued = Arc::clone(&tokens);
    let app = Router::new()
        .route(
            "/v5/Token",
            post(move || {
                let n = issued.fetch_add(1, Ordering::SeqCst);
                async move {
                    axum::Json(json!({
                        "access_token": format!("tok-{n}"),
                        "token_type": "bearer",
                        "expires_in": 3600,
                    }))
                }
            }),
        )
        .route(
            "/v5/Jobs/{job}/JobSessions",
            get(move |headers: axum::http::HeaderMap| {
                let barrier = Arc::clone(&barrier);
                async move {
                    let stale = headers
                        .get(header::AUTHORIZATION)
                        .is_some_and(|v| v.as_bytes() == b"Bearer tok-0");
                    if stale {
                        barrier.wait().await;
                        return status(401);
                    }
                    let ask = server::Ask {
                        job: JOB,
                        offset: 0,
                        limit: 30,
                        call: 0,
                    };
                    server::json_reply(StatusCode::OK, page_of(3, ask))
                }
            }),
        );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    serve(listener, app);
    let client = Client::builder(&url)
        .credentials(USERNAME, PASSWORD)
        .build()
        .unwrap();
    client.sign_in().await.unwrap();
    let (a, b) = tokio::join!(client.page(JOB, 0, 30), client.page(JOB, 0, 30));
    assert_eq!(a.unwrap().results.len(), 3);
    assert_eq!(b.unwrap().results.len(), 3);
    assert_eq!(
        tokens.load(Ordering::SeqCst),
        2,
        "the first sign-in and one renewal, not one per refused request"
    );
}

#[tokio::test]
async fn a_token_refusal_without_an_oauth_body_names_the_status() {
    let (url, seen) = start_http(Arc::new(|_| {
        (StatusCode::FORBIDDEN, "<html>Forbidden</html>").into_response()
    }));
    let client = Client::builder(&url)
        .credentials(USERNAME, PASSWORD)
        .retry_policy(policy(4, 5, 10))
        .build()
        .unwrap();
    match client.sign_in().await {
        Err(Error::Authentication { error, description }) => {
            assert_eq!(error, "HTTP 403");
            assert_eq!(description, None);
        }
        other => panic!("expected an authentication error, got {other:?}"),
    }
    assert_eq!(seen.tokens.count(), 1, "a 4xx is final");
}

#[tokio::test]
async fn a_sign_in_transport_failure_names_the_server() {
    let (url, _) = untrusted_tls_server().await;
    let client = Client::builder(&url)
        .credentials(USERNAME, PASSWORD)
        .build()
        .unwrap();
    match client.sign_in().await {
        Err(Error::Transport { url: named, .. }) => {
            assert!(named.starts_with(&url), "{named} is not on {url}");
        }
        other => panic!("expected a transport error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_ready_token_refused_with_401_is_not_sent_again() {
    // A ready token cannot be renewed: the 401 is final, after one GET.
    let server = server::start(server::job_of(3)).await;
    let client = Client::builder(&server.url)
        .add_root_certificate(&server.certificate_pem)
        .bearer_token("never-issued")
        .build()
        .unwrap();
    let error = client.page(JOB, 0, 30).await.unwrap_err();
    assert_eq!(error.status(), Some(401), "{error:?}");
    assert_eq!(server.counters.unauthorised.load(Ordering::SeqCst), 1);
    assert_eq!(server.counters.password_sign_ins.load(Ordering::SeqCst), 0);
}
