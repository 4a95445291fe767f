//! Plain `http://`: the password goes over it only to loopback unless the caller opts in by
//! name, and every use of http with credentials is logged as a warning that names no secret.
//! (Its own test binary: it installs the process-wide logger.)

use axum::Router;
use axum::routing::post;
use serde_json::json;
use vbo_client::{Client, Error};

const PASSWORD: &str = "pa55-SECRET-word";
const TOKEN: &str = "ready-made-SECRET";

// The client test binary's recorder, shared by path: this binary installs its own logger.
#[path = "client/logs.rs"]
mod logs;

/// The warnings logged so far that name `host`; fails if any record shows a secret.
fn warnings_about(host: &str) -> Vec<String> {
    logs::record();
    let records = logs::records();
    for (_, text) in records.iter() {
        assert!(!text.contains(PASSWORD) && !text.contains(TOKEN), "{text}");
    }
    records
        .iter()
        .filter(|(level, text)| *level == log::Level::Warn && text.contains(host))
        .map(|(_, text)| text.clone())
        .collect()
}

#[test]
fn refuses_a_password_over_http_to_another_host_and_says_how_to_opt_in() {
    warnings_about("");
    let error = Client::builder("http://vbo-refused.example:4443")
        .credentials("admin", PASSWORD)
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::PasswordOverHttp { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("allow_password_over_http(true)"),
        "{message}"
    );
    assert!(message.contains("vbo-refused.example"), "{message}");
    assert!(!message.contains(PASSWORD) && !format!("{error:?}").contains(PASSWORD));
}

#[test]
fn the_opt_in_allows_it_and_warns() {
    warnings_about("");
    Client::builder("http://vbo-opted-in.example:4443")
        .credentials("admin", PASSWORD)
        .allow_password_over_http(true)
        .build()
        .unwrap();
    let warnings = warnings_about("vbo-opted-in.example");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("clear text"), "{warnings:?}");
    assert!(warnings[0].contains("password"), "{warnings:?}");
}

#[test]
fn https_needs_no_opt_in_and_logs_nothing() {
    warnings_about("");
    Client::builder("https://vbo-https.example")
        .credentials("admin", PASSWORD)
        .build()
        .unwrap();
    assert!(warnings_about("vbo-https.example").is_empty());
}

#[test]
fn a_bearer_token_over_http_is_allowed_but_warned_about() {
    warnings_about("");
    Client::builder("http://vbo-token.example")
        .bearer_token(TOKEN)
        .build()
        .unwrap();
    let warnings = warnings_about("vbo-token.example");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("bearer token"), "{warnings:?}");
}

#[tokio::test]
async fn a_password_over_http_to_loopback_is_sent_with_a_warning() {
    warnings_about("");
    let app = Router::new().route(
        "/v5/Token",
        post(|| async {
            axum::Json(json!({"access_token": "a", "token_type": "bearer", "expires_in": 3600}))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    for url in [
        format!("http://{address}"),
        format!("http://localhost:{}", address.port()),
    ] {
        let client = Client::builder(&url)
            .credentials("admin", PASSWORD)
            .build()
            .unwrap();
        client.sign_in().await.unwrap();
    }
    assert_eq!(warnings_about(&address.to_string()).len(), 1);
    assert_eq!(
        warnings_about(&format!("localhost:{}", address.port())).len(),
        1
    );
}
