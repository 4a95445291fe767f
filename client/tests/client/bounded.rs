//! Every body is read against a cap while it streams: an endless chunked body or a
//! `Content-Length` past the cap, on the token POST and on the GET, ends promptly in
//! `Error::BodyTooLarge` naming the cap, and the connection is dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::routing::{get, post};
use bytes::Bytes;
use serde_json::json;
use vbo_client::auth::Bearer;
use vbo_client::{ApiClient, DEFAULT_MAX_BODY_BYTES, Error, MAX_TOKEN_BODY_BYTES};

use crate::hostile;
use crate::server::{JOB, PASSWORD, USERNAME};

/// Sets its flag when dropped: the server's body stream is dropped when the client hangs up.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// An endless chunked body (64 KiB a millisecond, so even a client without a cap would not
/// outrun the machine's memory within a test's timeout); `dropped` is set when the client
/// hangs up.
fn endless(dropped: &Arc<AtomicBool>) -> Body {
    let flag = DropFlag(Arc::clone(dropped));
    let chunk = Bytes::from(vec![b' '; 64 * 1024]);
    let stream = futures::stream::unfold((flag, chunk), |(flag, chunk)| async move {
        tokio::time::sleep(Duration::from_millis(1)).await;
        Some((Ok::<_, std::io::Error>(chunk.clone()), (flag, chunk)))
    });
    Body::from_stream(stream)
}

fn token_json() -> String {
    json!({"access_token": "access-TOKEN-SECRET", "token_type": "bearer", "expires_in": 3600})
        .to_string()
}

/// Waits up to 5 s for the server to see the client hang up.
async fn assert_dropped(dropped: &AtomicBool) {
    for _ in 0..100 {
        if dropped.load(Ordering::SeqCst) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the client kept the connection open");
}

fn assert_too_large(error: &Error, limit: u64, path: &str) {
    match error {
        Error::BodyTooLarge { url, limit: got } => {
            assert_eq!(*got, limit);
            assert!(url.contains(path), "{url}");
        }
        other => panic!("expected BodyTooLarge, got {other:?}"),
    }
    let message = error.to_string();
    assert!(message.contains(&limit.to_string()), "{message}");
    assert!(message.contains("max_body_bytes"), "{message}");
}

#[tokio::test]
async fn an_endless_page_body_ends_at_the_cap_and_drops_the_connection() {
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&dropped);
    let app = Router::new().route(
        "/v5/Jobs/{job}/JobSessions",
        get(move || {
            let flag = Arc::clone(&flag);
            async move { endless(&flag) }
        }),
    );
    let server = hostile::https(app).await;
    let cap = 1024 * 1024;
    let client = server
        .builder()
        .bearer_token("t")
        .max_body_bytes(cap)
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client.fetch_page_raw(JOB, 0, 30).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_too_large(&error, cap, "/JobSessions");
    assert_dropped(&dropped).await;
    // The typed path and the stream stop the same way.
    let error = client.page(JOB, 0, 30).await.unwrap_err();
    assert_too_large(&error, cap, "/JobSessions");
    assert!(client.transient_log().is_empty(), "a cap is not retried");
}

#[tokio::test]
async fn an_oversized_content_length_on_a_page_is_refused_before_reading() {
    let server = hostile::raw(|_| {
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000000000000\r\n\r\n{\"offset\":0"
            .to_vec()
    })
    .await;
    let client = server.builder().bearer_token("t").build().unwrap();
    let started = Instant::now();
    let error = client.fetch_page_raw(JOB, 0, 30).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_too_large(&error, DEFAULT_MAX_BODY_BYTES, "/JobSessions");
}

#[tokio::test]
async fn an_endless_token_body_ends_at_the_token_cap() {
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&dropped);
    let app = Router::new().route(
        "/v5/Token",
        post(move || {
            let flag = Arc::clone(&flag);
            async move { endless(&flag) }
        }),
    );
    let server = hostile::https(app).await;
    let client = server
        .builder()
        .credentials(USERNAME, PASSWORD)
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client.sign_in().await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_too_large(&error, MAX_TOKEN_BODY_BYTES, "/v5/Token");
    assert!(!error.to_string().contains(PASSWORD));
    assert_dropped(&dropped).await;
}

#[tokio::test]
async fn an_oversized_content_length_on_the_token_is_refused_before_reading() {
    let server = hostile::raw(|_| {
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{}",
            MAX_TOKEN_BODY_BYTES + 1,
            &token_json()[..10]
        )
        .into_bytes()
    })
    .await;
    let client = server
        .builder()
        .credentials(USERNAME, PASSWORD)
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client.sign_in().await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_too_large(&error, MAX_TOKEN_BODY_BYTES, "/v5/Token");
}

#[tokio::test]
async fn a_smaller_page_cap_also_caps_the_token() {
    let body = token_json();
    let length = body.len() as u64;
    let app = Router::new().route("/v5/Token", post(move || async move { body }));
    let server = hostile::https(app).await;
    let client = server
        .builder()
        .credentials(USERNAME, PASSWORD)
        .max_body_bytes(length - 1)
        .build()
        .unwrap();
    let error = client.sign_in().await.unwrap_err();
    assert_too_large(&error, length - 1, "/v5/Token");
    let fits = server
        .builder()
        .credentials(USERNAME, PASSWORD)
        .max_body_bytes(length)
        .build()
        .unwrap();
    fits.sign_in().await.unwrap();
}

#[tokio::test]
async fn the_generated_client_alone_is_capped_too() {
    // No `Client` around it: the exec hook still reads against the operation's default cap.
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&dropped);
    let app = Router::new().route(
        "/v5/Jobs/{job}/JobSessions",
        get(move || {
            let flag = Arc::clone(&flag);
            async move { endless(&flag) }
        }),
    );
    let server = hostile::http(app).await;
    let api = ApiClient::new(&server.url, Bearer::new("t").unwrap());
    let started = Instant::now();
    let error = api.get_job_sessions(&JOB, None, None).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    let mut shown = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(inner) = source {
        shown.push_str(&format!(": {inner}"));
        source = inner.source();
    }
    assert!(
        shown.contains(&format!("cap of {DEFAULT_MAX_BODY_BYTES} bytes")),
        "{shown}"
    );
    assert_dropped(&dropped).await;
}

#[tokio::test]
async fn refuses_a_zero_cap() {
    let error = vbo_client::Client::builder("https://vbo01")
        .bearer_token("t")
        .max_body_bytes(0)
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");
}

#[test]
fn a_client_reports_the_page_size_it_was_built_with_or_the_default() {
    let built = |size: Option<u32>| {
        let builder = vbo_client::Client::builder("https://vbo01").bearer_token("t");
        match size {
            Some(size) => builder.page_size(size),
            None => builder,
        }
        .build()
        .unwrap()
        .page_size()
    };
    assert_eq!(built(Some(25)), 25);
    assert_eq!(built(None), vbo_client::DEFAULT_PAGE_SIZE);
}

#[tokio::test]
async fn a_token_response_as_large_as_a_jwt_with_many_claims_is_read() {
    // A JWT with many claims runs to a few KiB; 32 KiB is well inside the 64 KiB token cap.
    let token = json!({
        "access_token": format!("eyJ{}", "a".repeat(32 * 1024)),
        "token_type": "bearer",
        "expires_in": 3600
    })
    .to_string();
    assert_eq!(MAX_TOKEN_BODY_BYTES, 64 * 1024, "README states 64 KiB");
    let app = Router::new().route(
        "/v5/Token",
        post(move || {
            let token = token.clone();
            async move { ([("content-type", "application/json")], token) }
        }),
    );
    let server = hostile::https(app).await;
    let client = server
        .builder()
        .credentials(USERNAME, PASSWORD)
        .build()
        .unwrap();
    client.sign_in().await.unwrap();
}
