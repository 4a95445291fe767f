//! Signing in, refreshing shortly before expiry, and signing in again once on 401.

use std::sync::atomic::Ordering;
use std::time::Duration;

use vbo_client::Error;

use crate::server::{self, JOB};

#[tokio::test]
async fn signs_in_with_the_password_before_the_first_request() {
    let server = server::start(server::job_of(3)).await;
    let client = server.builder().build().unwrap();
    let page = client.page(JOB, 0, 30).await.unwrap();
    assert_eq!(page.results.len(), 3);
    assert_eq!(server.counters.password_sign_ins.load(Ordering::SeqCst), 1);
    client.page(JOB, 0, 30).await.unwrap();
    assert_eq!(
        server.counters.password_sign_ins.load(Ordering::SeqCst),
        1,
        "the token is reused"
    );
}

#[tokio::test]
async fn wrong_password_is_an_authentication_error_with_the_oauth_fields() {
    let server = server::start(server::job_of(3)).await;
    let client = server
        .builder()
        .credentials(server::USERNAME, "wrong")
        .build()
        .unwrap();
    match client.page(JOB, 0, 30).await {
        Err(Error::Authentication { error, description }) => {
            assert_eq!(error, "invalid_grant");
            assert_eq!(
                description.as_deref(),
                Some("The user name or password is incorrect.")
            );
        }
        other => panic!("expected an authentication error, got {other:?}"),
    }
    assert_eq!(
        server.counters.password_sign_ins.load(Ordering::SeqCst),
        1,
        "a refused sign-in (4xx) is not retried"
    );
}

#[tokio::test]
async fn refreshes_the_token_shortly_before_it_expires() {
    let server = server::start(server::job_of(3)).await;
    server.counters.expires_in.store(1, Ordering::SeqCst);
    let client = server.builder().build().unwrap();
    client.page(JOB, 0, 30).await.unwrap();
    // With a 1 s lifetime the refresh is due after half of it.
    tokio::time::sleep(Duration::from_millis(600)).await;
    client.page(JOB, 0, 30).await.unwrap();
    assert_eq!(server.counters.refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(server.counters.password_sign_ins.load(Ordering::SeqCst), 1);
    assert_eq!(server.counters.unauthorised.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn signs_in_again_once_after_a_401_and_retries_the_request() {
    let server = server::start(server::job_of(3)).await;
    let client = server.builder().build().unwrap();
    client.page(JOB, 0, 30).await.unwrap();
    server.counters.revoke_access_tokens();
    let page = client.page(JOB, 0, 30).await.unwrap();
    assert_eq!(page.results.len(), 3);
    assert_eq!(server.counters.password_sign_ins.load(Ordering::SeqCst), 2);
    assert_eq!(server.counters.unauthorised.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn gives_up_after_one_re_sign_in_when_401_persists() {
    use axum::http::StatusCode;
    let server = server::start(std::sync::Arc::new(|_| {
        server::json_reply(
            StatusCode::UNAUTHORIZED,
            serde_json::json!({"message": "Access denied."}),
        )
    }))
    .await;
    let client = server.builder().build().unwrap();
    match client.page(JOB, 0, 30).await {
        Err(Error::Status {
            status: 401,
            message,
            ..
        }) => assert_eq!(message.as_deref(), Some("Access denied.")),
        other => panic!("expected a 401 status error, got {other:?}"),
    }
    assert_eq!(server.counters.password_sign_ins.load(Ordering::SeqCst), 2);
    assert_eq!(server.counters.gets.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_ready_bearer_token_is_sent_as_is() {
    let server = server::start(server::job_of(2)).await;
    server
        .counters
        .valid_tokens
        .lock()
        .unwrap()
        .insert("ready-made-token".into());
    let client = vbo_client::Client::builder(&server.url)
        .add_root_certificate(&server.certificate_pem)
        .bearer_token("ready-made-token")
        .build()
        .unwrap();
    assert_eq!(client.page(JOB, 0, 30).await.unwrap().results.len(), 2);
    assert_eq!(server.counters.password_sign_ins.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn signs_in_with_the_password_when_the_refresh_token_is_refused() {
    let server = server::start(server::job_of(3)).await;
    server.counters.expires_in.store(1, Ordering::SeqCst);
    let client = server.builder().build().unwrap();
    client.page(JOB, 0, 30).await.unwrap();
    server.counters.refresh_tokens.lock().unwrap().clear();
    tokio::time::sleep(Duration::from_millis(600)).await;
    client.page(JOB, 0, 30).await.unwrap();
    assert_eq!(server.counters.refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(server.counters.password_sign_ins.load(Ordering::SeqCst), 2);
}
