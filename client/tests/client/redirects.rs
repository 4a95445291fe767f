//! Redirects are never followed: on the token POST and on the GET, for every redirect status,
//! to another origin over https and over a downgrade to plain http, the other origin receives
//! nothing (not even a connection), and the 3xx comes back as it is.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use vbo_client::Error;

use crate::hostile::{self, Witness};
use crate::server::{JOB, PASSWORD, USERNAME};

const STATUSES: [u16; 5] = [301, 302, 303, 307, 308];

/// Which operation answers with the redirect.
#[derive(Debug, Clone, Copy)]
enum Redirected {
    Token,
    Sessions,
}

fn redirect(status: u16, location: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        [(header::LOCATION, location.to_owned())],
        "moved",
    )
        .into_response()
}

/// An HTTPS origin whose `which` operation redirects to `location` with `status`; the other
/// operation behaves. Counts token requests.
async fn origin(
    which: Redirected,
    status: u16,
    location: String,
) -> (hostile::Origin, Arc<AtomicUsize>) {
    let token_requests = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&token_requests);
    let to = location.clone();
    let app = Router::new()
        .route(
            "/v5/Token",
            post(move || {
                let (counted, to) = (Arc::clone(&counted), to.clone());
                async move {
                    counted.fetch_add(1, Ordering::SeqCst);
                    match which {
                        Redirected::Token => redirect(status, &to),
                        Redirected::Sessions => axum::Json(json!({
                            "access_token": "access-TOKEN-SECRET", "token_type": "bearer",
                            "refresh_token": "refresh-REFRESH-SECRET", "expires_in": 3600
                        }))
                        .into_response(),
                    }
                }
            }),
        )
        .route(
            "/v5/Jobs/{job}/JobSessions",
            get(move || {
                let location = location.clone();
                async move { redirect(status, &location) }
            }),
        );
    (hostile::https(app).await, token_requests)
}

#[tokio::test]
async fn no_redirect_is_followed_on_either_operation_to_any_origin() {
    let witness = Witness::start().await;
    let targets = [
        // Another origin over https, and a downgrade to plain http (another origin too).
        format!("https://127.0.0.1:{}/v5/Token", witness.port),
        format!("http://127.0.0.1:{}/v5/Token", witness.port),
    ];
    for which in [Redirected::Token, Redirected::Sessions] {
        for status in STATUSES {
            for target in &targets {
                let case = format!("{which:?} {status} -> {target}");
                let (server, token_requests) = origin(which, status, target.clone()).await;
                let client = server
                    .builder()
                    .credentials(USERNAME, PASSWORD)
                    .build()
                    .unwrap();
                match which {
                    Redirected::Token => {
                        let error = client.sign_in().await.unwrap_err();
                        assert_redirect(&error, status, target, &case);
                        let error = client.page(JOB, 0, 30).await.unwrap_err();
                        assert_redirect(&error, status, target, &case);
                    }
                    Redirected::Sessions => {
                        let raw = client.fetch_page_raw(JOB, 0, 30).await.unwrap();
                        assert_eq!(raw.status.as_u16(), status, "{case}: the raw 3xx");
                        assert_eq!(raw.location(), Some(target.as_str()), "{case}");
                        let error = client.page(JOB, 0, 30).await.unwrap_err();
                        assert_redirect(&error, status, target, &case);
                        let mut stream = client.job_sessions(JOB);
                        let error = futures::TryStreamExt::try_next(&mut stream)
                            .await
                            .unwrap_err();
                        assert_redirect(&error, status, target, &case);
                    }
                }
                assert!(
                    token_requests.load(Ordering::SeqCst) >= 1,
                    "{case}: the origin was asked"
                );
                assert_eq!(
                    (witness.connections(), witness.received()),
                    (0, 0),
                    "{case}: the other origin received a connection"
                );
            }
        }
    }
}

/// `error` is the redirect error naming `status` and `location`.
fn assert_redirect(error: &Error, status: u16, location: &str, case: &str) {
    match error {
        Error::Redirect {
            status: got,
            location: Some(got_location),
            ..
        } => {
            assert_eq!(*got, status, "{case}");
            assert_eq!(got_location, location, "{case}");
        }
        other => panic!("{case}: expected a redirect error, got {other:?}"),
    }
    let message = error.to_string();
    assert!(message.contains(&status.to_string()), "{case}: {message}");
    assert!(message.contains(location), "{case}: {message}");
    assert!(message.contains("follows no redirect"), "{case}: {message}");
    assert!(!message.contains("SECRET") && !message.contains(PASSWORD));
}

#[tokio::test]
async fn a_redirect_without_location_is_still_a_typed_error() {
    let app = Router::new().route(
        "/v5/Jobs/{job}/JobSessions",
        get(|| async { StatusCode::MOVED_PERMANENTLY }),
    );
    let server = hostile::https(app).await;
    let client = server.builder().bearer_token("t").build().unwrap();
    let error = client.page(JOB, 0, 30).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Redirect {
                status: 301,
                location: None,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("no Location"), "{error}");
}
