//! Retries on 503 and 429 (honouring `Retry-After`), bounded attempts, and the timeout.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;
use vbo_client::{Error, RetryPolicy};

use crate::server::{self, Ask, JOB, json_reply, page_of};

#[tokio::test]
async fn retries_503_until_the_server_recovers() {
    let server = server::start(Arc::new(|ask: Ask| {
        if ask.call < 2 {
            json_reply(StatusCode::SERVICE_UNAVAILABLE, json!({"message": "busy"}))
        } else {
            json_reply(StatusCode::OK, page_of(3, ask))
        }
    }))
    .await;
    let client = server.builder().build().unwrap();
    assert_eq!(client.page(JOB, 0, 30).await.unwrap().results.len(), 3);
    assert_eq!(server.counters.gets.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn gives_up_after_max_attempts_with_the_last_status() {
    let server = server::start(Arc::new(|_| {
        json_reply(StatusCode::BAD_GATEWAY, json!({"message": "upstream down"}))
    }))
    .await;
    let client = server.builder().build().unwrap();
    let error = client.page(JOB, 0, 30).await.unwrap_err();
    assert!(
        matches!(error, Error::Status { status: 502, .. }),
        "{error:?}"
    );
    assert_eq!(server.counters.gets.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn honours_retry_after_on_429() {
    let server = server::start(Arc::new(|ask: Ask| {
        if ask.call == 0 {
            (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, "1")],
                "slow down",
            )
                .into_response()
        } else {
            json_reply(StatusCode::OK, page_of(3, ask))
        }
    }))
    .await;
    let client = server
        .builder()
        .retry_policy(RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_secs(5),
        })
        .build()
        .unwrap();
    client.sign_in().await.unwrap();
    let started = Instant::now();
    client.page(JOB, 0, 30).await.unwrap();
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(1), "waited only {waited:?}");
    assert!(waited < Duration::from_secs(3), "waited {waited:?}");
    assert_eq!(server.counters.gets.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn does_not_retry_a_404() {
    let server = server::start(Arc::new(|_| {
        json_reply(StatusCode::NOT_FOUND, json!({"message": "Job not found."}))
    }))
    .await;
    let client = server.builder().build().unwrap();
    client.page(JOB, 0, 30).await.unwrap_err();
    assert_eq!(server.counters.gets.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn retries_connection_errors_then_reports_transport() {
    // Nothing listens on this port: every attempt is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = vbo_client::Client::builder(format!("https://127.0.0.1:{port}"))
        .bearer_token("t")
        .retry_policy(RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        })
        .build()
        .unwrap();
    let error = client.page(JOB, 0, 30).await.unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
}

#[tokio::test]
async fn a_slow_server_hits_the_timeout() {
    // Headers at once, the body only after 1.5 s: the request timeout covers the body too.
    let server = server::start(Arc::new(|_| {
        let late_body = futures::stream::once(async {
            tokio::time::sleep(Duration::from_millis(1_500)).await;
            Ok::<_, std::convert::Infallible>("{}")
        });
        (StatusCode::OK, axum::body::Body::from_stream(late_body)).into_response()
    }))
    .await;
    let client = server
        .builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    client.sign_in().await.unwrap();
    let started = Instant::now();
    let error = client.page(JOB, 0, 30).await.unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_millis(1_200));
}
