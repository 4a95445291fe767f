//! `Client::get_raw`: any path of the document, as received, through the same sign-in, token,
//! retry loop, body cap and no-redirect rule as pages; a path that could leave the server is
//! refused before any connection.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;
use vbo_client::{Error, TransientKind};

use crate::hostile::{self, Witness};
use crate::server::{self, JOB, example_jobs, json_reply};

#[tokio::test]
async fn returns_status_headers_and_body_of_a_200_as_sent() {
    let server = server::start(server::job_of(0)).await;
    let client = server.builder().build().unwrap();
    let raw = client.get_raw("/v5/Jobs").await.unwrap();
    assert_eq!(raw.status, StatusCode::OK);
    assert_eq!(raw.content_type(), Some("application/json; charset=utf-8"));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&raw.body).unwrap(),
        example_jobs()
    );
    assert_eq!(raw.request_url.as_str(), format!("{}/v5/Jobs", server.url));
    assert_eq!(server.counters.password_sign_ins.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn sends_the_query_as_written() {
    let server = server::start(server::job_of(50)).await;
    let client = server.builder().build().unwrap();
    let raw = client
        .get_raw(&format!("/v5/Jobs/{JOB}/JobSessions?offset=5&limit=7"))
        .await
        .unwrap();
    assert_eq!(raw.status, StatusCode::OK);
    let page = raw.parse().unwrap();
    assert_eq!(page.offset, 5);
    assert_eq!(page.limit.get(), 7);
    assert_eq!(page.results.len(), 7);
    // An error status comes back as it is, not as an error.
    let raw = client.get_raw("/v5/NoSuchThing").await.unwrap();
    assert_eq!(raw.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn retries_a_503_like_pages_and_hands_back_the_last_when_it_persists() {
    let server = server::start_with_jobs(
        server::job_of(0),
        Arc::new(|call| {
            if call == 0 {
                json_reply(StatusCode::SERVICE_UNAVAILABLE, json!({"message": "busy"}))
            } else {
                json_reply(StatusCode::OK, example_jobs())
            }
        }),
    )
    .await;
    let client = server.builder().build().unwrap();
    let raw = client.get_raw("/v5/Jobs").await.unwrap();
    assert_eq!(raw.status, StatusCode::OK);
    let log = client.take_transient_log();
    assert_eq!(log.count(TransientKind::ServerError), 1, "{log:?}");

    let always = server::start_with_jobs(
        server::job_of(0),
        Arc::new(|_| json_reply(StatusCode::SERVICE_UNAVAILABLE, json!({"message": "busy"}))),
    )
    .await;
    let client = always.builder().build().unwrap();
    let raw = client.get_raw("/v5/Jobs").await.unwrap();
    assert_eq!(raw.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        always.counters.gets.load(Ordering::SeqCst),
        4,
        "max_attempts"
    );
}

#[tokio::test]
async fn attaches_the_token_and_signs_in_again_after_a_401() {
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let record = Arc::clone(&seen);
    let app = Router::new().route(
        "/v5/Jobs",
        get(move |headers: HeaderMap| {
            let record = Arc::clone(&record);
            async move {
                let authorization = headers
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                record.lock().unwrap().push(authorization);
                json_reply(StatusCode::OK, json!([]))
            }
        }),
    );
    let origin = hostile::https(app).await;
    let client = origin
        .builder()
        .bearer_token("given-TOKEN-SECRET")
        .build()
        .unwrap();
    let raw = client.get_raw("/v5/Jobs").await.unwrap();
    assert_eq!(raw.status, StatusCode::OK);
    assert_eq!(*seen.lock().unwrap(), ["Bearer given-TOKEN-SECRET"]);

    // With credentials: the token from sign-in, renewed once after a 401.
    let server = server::start(server::job_of(0)).await;
    let client = server.builder().build().unwrap();
    client.get_raw("/v5/Jobs").await.unwrap();
    server.counters.revoke_access_tokens();
    let raw = client.get_raw("/v5/Jobs").await.unwrap();
    assert_eq!(raw.status, StatusCode::OK);
    assert_eq!(server.counters.unauthorised.load(Ordering::SeqCst), 1);
    assert_eq!(client.transient_log().count(TransientKind::ReSignIn), 1);
}

#[tokio::test]
async fn refused_paths_never_connect_anywhere() {
    let witness = Witness::start().await;
    let server = server::start(server::job_of(0)).await;
    let client = server.builder().build().unwrap();
    let other = format!("127.0.0.1:{}", witness.port);
    for path in [
        format!("http://{other}/v5/Jobs"),
        format!("https://{other}/v5/Jobs"),
        format!("//{other}/v5/Jobs"),
        format!("/\\{other}/v5/Jobs"),
        format!("\\\\{other}/v5/Jobs"),
        format!("{other}/v5/Jobs"),
        "v5/Jobs".to_owned(),
        String::new(),
        "/v5/Jobs\r\nHost: evil".to_owned(),
        "/v5/Jobs\t".to_owned(),
        "/v5/../../v5/Jobs".to_owned(),
        "/v5/%2e%2E/Jobs".to_owned(),
    ] {
        match client.get_raw(&path).await {
            Err(Error::RefusedPath { path: shown, .. }) => assert_eq!(shown, path),
            other => panic!("{path:?}: expected RefusedPath, got {other:?}"),
        }
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(witness.connections(), 0);
    // Refused before sign-in, too: the server itself saw nothing.
    assert_eq!(server.counters.password_sign_ins.load(Ordering::SeqCst), 0);
    assert_eq!(server.counters.gets.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_redirect_comes_back_unfollowed() {
    let witness = Witness::start().await;
    let target = format!("http://127.0.0.1:{}/v5/Jobs", witness.port);
    let app = Router::new().route(
        "/v5/Jobs",
        get(move || {
            let target = target.clone();
            async move { (StatusCode::FOUND, [(header::LOCATION, target)]).into_response() }
        }),
    );
    let origin = hostile::https(app).await;
    let client = origin.builder().bearer_token("t").build().unwrap();
    let raw = client.get_raw("/v5/Jobs").await.unwrap();
    assert_eq!(raw.status, StatusCode::FOUND);
    assert!(raw.location().unwrap().contains(&witness.port.to_string()));
    assert!(matches!(
        client.jobs().await.unwrap_err(),
        Error::Redirect { status: 302, .. }
    ));
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(witness.connections(), 0);
}

#[tokio::test]
async fn the_body_cap_applies() {
    let app = Router::new().route(
        "/v5/Jobs",
        get(|| async { json_reply(StatusCode::OK, json!([{"name": "x".repeat(4096)}])) }),
    );
    let origin = hostile::https(app).await;
    let client = origin
        .builder()
        .bearer_token("t")
        .max_body_bytes(1024)
        .build()
        .unwrap();
    match client.get_raw("/v5/Jobs").await.unwrap_err() {
        Error::BodyTooLarge { limit, url } => {
            assert_eq!(limit, 1024);
            assert!(url.ends_with("/v5/Jobs"), "{url}");
        }
        other => panic!("expected BodyTooLarge, got {other:?}"),
    }
}
