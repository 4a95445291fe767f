//! A throttled sign-in (429 from `POST /v5/Token`) is retried after `Retry-After`, within the
//! retry policy's budget, through the same retry loop as the GET.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::json;
use vbo_client::{Error, RetryPolicy, TransientKind};

use crate::hostile;
use crate::server::{PASSWORD, USERNAME};

/// A token endpoint that answers 429 with `Retry-After: retry_after` to its first `throttled`
/// requests, then grants a token; counts requests.
async fn throttled_sign_in(
    throttled: usize,
    retry_after: &'static str,
) -> (hostile::Origin, Arc<AtomicUsize>) {
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&requests);
    let app = Router::new().route(
        "/v5/Token",
        post(move || {
            let counted = Arc::clone(&counted);
            async move {
                if counted.fetch_add(1, Ordering::SeqCst) < throttled {
                    (
                        StatusCode::TOO_MANY_REQUESTS,
                        [(header::RETRY_AFTER, retry_after)],
                        "slow down",
                    )
                        .into_response()
                } else {
                    axum::Json(json!({
                        "access_token": "access-TOKEN-SECRET", "token_type": "bearer",
                        "expires_in": 3600
                    }))
                    .into_response()
                }
            }
        }),
    );
    (hostile::https(app).await, requests)
}

#[tokio::test]
async fn signs_in_after_waiting_as_long_as_retry_after_asks() {
    let (server, requests) = throttled_sign_in(1, "1").await;
    let client = server
        .builder()
        .credentials(USERNAME, PASSWORD)
        .retry_policy(RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_secs(5),
        })
        .build()
        .unwrap();
    let started = Instant::now();
    client.sign_in().await.unwrap();
    let waited = started.elapsed();
    assert_eq!(requests.load(Ordering::SeqCst), 2, "exactly one retry");
    assert!(waited >= Duration::from_secs(1), "waited only {waited:?}");
    assert!(waited < Duration::from_secs(4), "waited {waited:?}");
    let log = client.transient_log();
    assert_eq!(
        log.counts().collect::<Vec<_>>(),
        [(TransientKind::SignInThrottled, 1)]
    );
    let first = log.first(TransientKind::SignInThrottled).unwrap();
    assert!(first.url.ends_with("/v5/Token"), "{first:?}");
    assert!(first.detail.contains("429"), "{first:?}");
    assert!(first.detail.contains("Retry-After 1 s"), "{first:?}");
}

#[tokio::test]
async fn a_permanent_429_gives_up_after_the_budget() {
    let (server, requests) = throttled_sign_in(usize::MAX, "0").await;
    let client = server
        .builder()
        .credentials(USERNAME, PASSWORD)
        .retry_policy(RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(10),
        })
        .build()
        .unwrap();
    let error = client.sign_in().await.unwrap_err();
    assert!(
        matches!(error, Error::Status { status: 429, ref url, .. } if url.ends_with("/v5/Token")),
        "{error:?}"
    );
    assert!(error.to_string().contains("answered 429"), "{error}");
    assert_eq!(requests.load(Ordering::SeqCst), 3, "max_attempts in all");
    assert_eq!(
        client.transient_log().count(TransientKind::SignInThrottled),
        2,
        "the retries absorbed, not the final refusal"
    );
}
