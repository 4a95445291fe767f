//! Every fault the client absorbs is recorded by kind, with the first of each: 429 and
//! 502-504 on the GET, refused connections, and the re-sign-in after a 401.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;
use vbo_client::{RetryPolicy, TransientKind};

use crate::server::{self, Ask, JOB, json_reply, page_of};

#[tokio::test]
async fn counts_server_errors_and_rate_limits_with_the_first_of_each() {
    let server = server::start(Arc::new(|ask: Ask| match ask.call {
        0 => json_reply(StatusCode::SERVICE_UNAVAILABLE, json!({"message": "busy"})),
        1 => json_reply(StatusCode::BAD_GATEWAY, json!({"message": "upstream"})),
        2 => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "0")],
            "slow down",
        )
            .into_response(),
        _ => json_reply(StatusCode::OK, page_of(3, ask)),
    }))
    .await;
    let client = server.builder().build().unwrap();
    assert!(client.transient_log().is_empty());
    assert_eq!(client.page(JOB, 0, 30).await.unwrap().results.len(), 3);
    let log = client.clone().transient_log();
    assert_eq!(
        log.counts().collect::<Vec<_>>(),
        [
            (TransientKind::RateLimited, 1),
            (TransientKind::ServerError, 2)
        ]
    );
    assert_eq!(log.total(), 3);
    let first = log.first(TransientKind::ServerError).unwrap();
    assert!(
        first.detail.contains("503"),
        "the first, not the last: {first:?}"
    );
    assert!(
        first.url.contains(&format!("/v5/Jobs/{JOB}/JobSessions")),
        "{first:?}"
    );
    assert!(first.url.contains("offset=0"), "{first:?}");
    let limited = log.first(TransientKind::RateLimited).unwrap();
    assert!(limited.detail.contains("429"), "{limited:?}");
    assert_no_secret(&format!("{log:?}"));

    let taken = client.take_transient_log();
    assert_eq!(taken, log);
    assert!(client.transient_log().is_empty(), "take starts afresh");
}

#[tokio::test]
async fn records_the_re_sign_in_after_a_401() {
    let server = server::start(server::job_of(3)).await;
    let client = server.builder().build().unwrap();
    client.page(JOB, 0, 30).await.unwrap();
    assert!(
        client.transient_log().is_empty(),
        "a first sign-in is no fault"
    );
    server.counters.revoke_access_tokens();
    client.page(JOB, 0, 30).await.unwrap();
    let log = client.transient_log();
    assert_eq!(
        log.counts().collect::<Vec<_>>(),
        [(TransientKind::ReSignIn, 1)]
    );
    let event = log.first(TransientKind::ReSignIn).unwrap();
    assert!(event.detail.contains("401"), "{event:?}");
    assert_no_secret(&format!("{log:?}"));
}

#[tokio::test]
async fn records_refused_connections_that_were_retried() {
    // Nothing listens on this port: every attempt is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = vbo_client::Client::builder(format!("https://127.0.0.1:{port}"))
        .bearer_token("ready-made-SECRET")
        .retry_policy(RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        })
        .build()
        .unwrap();
    client.page(JOB, 0, 30).await.unwrap_err();
    let log = client.transient_log();
    assert_eq!(
        log.counts().collect::<Vec<_>>(),
        [(TransientKind::Connection, 2)],
        "two retries absorbed before the third attempt failed"
    );
    let event = log.first(TransientKind::Connection).unwrap();
    assert!(event.url.contains(&port.to_string()), "{event:?}");
    assert!(!event.detail.is_empty());
    assert_no_secret(&format!("{log:?}"));
}

#[tokio::test]
async fn clones_share_one_log() {
    let server = server::start(Arc::new(|ask: Ask| {
        if ask.call == 0 {
            json_reply(StatusCode::GATEWAY_TIMEOUT, json!({"message": "slow"}))
        } else {
            json_reply(StatusCode::OK, page_of(1, ask))
        }
    }))
    .await;
    let client = server.builder().build().unwrap();
    let clone = client.clone();
    clone.page(JOB, 0, 30).await.unwrap();
    assert_eq!(client.transient_log().count(TransientKind::ServerError), 1);
    assert_eq!(server.counters.gets.load(Ordering::SeqCst), 2);
}

fn assert_no_secret(text: &str) {
    for secret in [
        server::PASSWORD,
        "TOKEN-SECRET",
        "REFRESH-SECRET",
        "ready-made-SECRET",
    ] {
        assert!(!text.contains(secret), "{secret} leaked in: {text}");
    }
}
