//! The generated client against a real HTTP server on loopback: a typed page on 200, the
//! server's `{"message"}` as a typed error on 401.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::Value;
use vbo_client::auth::Bearer;
use vbo_client::types::JobSessionStatus;
use vbo_client::{ApiClient, ApiError};

const TOKEN: &str = "loopback-test-token";
const JOB: &str = "196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5";

fn seed_example() -> String {
    let document: Value = serde_yaml::from_str(include_str!("../../openapi/vbo-v5.yaml"))
        .expect("the document is YAML");
    document
        .pointer("/paths/~1v5~1Jobs~1{jobId}~1JobSessions/get/responses/200/content/application~1json; charset=utf-8/example")
        .expect("the 200 response has an example")
        .to_string()
}

async fn sessions(Path(job): Path<String>, headers: HeaderMap) -> impl IntoResponse {
    let json = [(header::CONTENT_TYPE, "application/json; charset=utf-8")];
    let authorised = headers
        .get(header::AUTHORIZATION)
        .is_some_and(|v| v.as_bytes() == format!("Bearer {TOKEN}").as_bytes());
    if !authorised {
        return (
            StatusCode::UNAUTHORIZED,
            json,
            r#"{"message":"Authorization has been denied for this request."}"#.to_owned(),
        );
    }
    if job != JOB {
        return (
            StatusCode::NOT_FOUND,
            json,
            r#"{"message":"Job not found."}"#.to_owned(),
        );
    }
    (StatusCode::OK, json, seed_example())
}

async fn serve() -> String {
    let app = Router::new().route("/v5/Jobs/{job}/JobSessions", get(sessions));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("bound address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    format!("http://{addr}")
}

#[tokio::test]
async fn returns_the_typed_page_from_a_loopback_server() {
    let base = serve().await;
    let client = ApiClient::new(&base, Bearer::new(TOKEN).unwrap());
    let page = client
        .get_job_sessions(&JOB.parse().unwrap(), None, None)
        .await
        .expect("the server answers 200")
        .into_inner();
    assert_eq!(page.limit.get(), 30);
    assert_eq!(page.results.len(), 1);
    assert_eq!(page.results[0].status, JobSessionStatus::Success);
}

#[tokio::test]
async fn unauthorised_request_comes_back_as_a_typed_error_with_the_message() {
    let base = serve().await;
    let client = ApiClient::new(&base, Bearer::new("wrong").unwrap());
    let error = client
        .get_job_sessions(&JOB.parse().unwrap(), None, None)
        .await
        .expect_err("the server answers 401");
    match error {
        ApiError::ErrorResponse(response) => {
            assert_eq!(response.status().as_u16(), 401);
            assert_eq!(
                response.message,
                "Authorization has been denied for this request."
            );
        }
        other => panic!("expected a typed error response, got {other:?}"),
    }
}

#[tokio::test]
async fn bearer_debug_output_never_shows_the_token() {
    let bearer = Bearer::new(TOKEN).unwrap();
    let shown = format!("{bearer:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains("redacted"));
}
