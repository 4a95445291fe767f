//! Passwords and tokens appear in no error message and no `Debug` output.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::json;
use vbo_client::{Client, Error};

use crate::server::{self, JOB, PASSWORD, USERNAME, json_reply};

/// Fails when `text` shows any secret the test server or the test handed out.
fn assert_no_secret(text: &str) {
    for secret in [
        PASSWORD,
        "TOKEN-SECRET",
        "REFRESH-SECRET",
        "ready-made-SECRET",
    ] {
        assert!(!text.contains(secret), "{secret} leaked in: {text}");
    }
}

#[tokio::test]
async fn token_and_password_never_appear_in_errors_or_debug_output() {
    let server = server::start(Arc::new(|_| {
        json_reply(StatusCode::UNAUTHORIZED, json!({"message": "denied"}))
    }))
    .await;
    let builder = server.builder();
    assert_no_secret(&format!("{builder:?}"));
    let client = builder.build().unwrap();
    client.sign_in().await.unwrap();
    assert_no_secret(&format!("{client:?}"));

    let mut errors: Vec<Error> = vec![client.page(JOB, 0, 30).await.unwrap_err()];
    errors.push(
        server
            .builder()
            .credentials(USERNAME, "wrong-SECRET")
            .build()
            .unwrap()
            .page(JOB, 0, 30)
            .await
            .unwrap_err(),
    );
    let with_token = Client::builder(&server.url)
        .add_root_certificate(&server.certificate_pem)
        .bearer_token("ready-made-SECRET")
        .build()
        .unwrap();
    assert_no_secret(&format!("{with_token:?}"));
    errors.push(with_token.page(JOB, 0, 30).await.unwrap_err());
    assert!(
        matches!(errors[2], Error::Status { status: 401, .. }),
        "{:?}",
        errors[2]
    );
    errors.push(
        Client::builder("https://admin:pa55-SECRET-word@vbo01")
            .bearer_token("ready-made-SECRET")
            .build()
            .unwrap_err(),
    );
    errors.push(
        Client::builder("https://vbo01")
            .bearer_token("ready-made-SECRET\n")
            .build()
            .unwrap_err(),
    );
    for error in &errors {
        assert_no_secret(&error.to_string());
        assert_no_secret(&format!("{error:?}"));
        let mut source = std::error::Error::source(error);
        while let Some(inner) = source {
            assert_no_secret(&inner.to_string());
            source = inner.source();
        }
    }
    assert!(!format!("{:?}", errors[1]).contains("wrong-SECRET"));
}

#[tokio::test]
async fn a_token_response_off_the_contract_does_not_leak_the_token() {
    // A token response whose `expires_in` is text: the payload error keeps no body.
    use axum::routing::post;
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let app = axum::Router::new().route(
        "/v5/Token",
        post(|| async {
            axum::Json(
                json!({"access_token": "x-TOKEN-SECRET", "token_type": "bearer",
                "expires_in": "soon"}),
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = Client::builder(url)
        .credentials(USERNAME, PASSWORD)
        .build()
        .unwrap();
    let error = client.sign_in().await.unwrap_err();
    assert!(matches!(error, Error::Payload { .. }), "{error:?}");
    assert_no_secret(&error.to_string());
    assert_no_secret(&format!("{error:?}"));
}

#[test]
fn generated_token_types_redact_their_secrets_in_debug() {
    use vbo_client::Secret;
    use vbo_client::types::{Token, TokenRequest, TokenRequestGrantType};
    let request = TokenRequest {
        grant_type: TokenRequestGrantType::Password,
        username: Some(USERNAME.into()),
        password: Some(Secret::new(PASSWORD)),
        refresh_token: Some(Secret::new("refresh-REFRESH-SECRET")),
    };
    let shown = format!("{request:?} {request:#?}");
    assert_no_secret(&shown);
    assert!(shown.contains("<redacted>"), "{shown}");
    assert!(
        shown.contains("administrator"),
        "the user name is no secret: {shown}"
    );

    let body = json!({
        "access_token": "access-TOKEN-SECRET", "token_type": "bearer",
        "refresh_token": "refresh-REFRESH-SECRET", "expires_in": 3600
    });
    let token: Token = serde_json::from_value(body.clone()).unwrap();
    assert_no_secret(&format!("{token:?} {token:#?}"));
    assert_eq!(token.access_token.expose(), "access-TOKEN-SECRET");
    assert_eq!(
        serde_json::to_value(&token).unwrap(),
        body,
        "the wire form is unchanged"
    );
    let lenient: vbo_client::wire::Token = serde_json::from_value(body).unwrap();
    assert_no_secret(&format!("{lenient:?}"));
}
