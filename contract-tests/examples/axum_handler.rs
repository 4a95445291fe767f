//! A server team tests its own axum handler against the contract in an ordinary `#[test]`: the
//! Router is called in memory (tower's `oneshot`, no socket), its response converted to an
//! `http::Response<Bytes>` and checked with one call. In a real project the test module is all
//! there is; `main` only shows the same thing from the command line.
//!
//! ```sh
//! cargo run -p vbo-contract-tests --example axum_handler    # prints the verdict
//! cargo test -p vbo-contract-tests --example axum_handler   # runs the tests below
//! ```
//!
//! In your own `Cargo.toml` the kit is a light dev-dependency (no server, TLS or proptest):
//! `vbo-contract-tests = { path = "...", default-features = false }`.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query};
use axum::http::{Request, Response};
use axum::routing::get;
use serde_json::{Value, json};
use tower::ServiceExt;

/// The query every page request carries.
#[derive(serde::Deserialize)]
struct Paging {
    offset: u64,
    limit: u64,
}

/// The team's handler: one page of a job's sessions (here a single finished session).
async fn job_sessions(
    Path(job): Path<String>,
    Query(Paging { offset, limit }): Query<Paging>,
) -> axum::Json<Value> {
    let base = "https://vbo01.example:4443/v5";
    let results = if offset == 0 {
        vec![json!({
            "id": "6a3fa2fb-3a77-4d99-8b5d-000000000001",
            "creationTime": "2020-12-12T22:00:00.5852401Z",
            "endTime": "2020-12-12T22:02:17.6515649Z",
            "progress": 100,
            "status": "Success",
            "statistics": {
                "processingRateBytesPS": 71013, "processingRateItemsPS": 9,
                "readRateBytesPS": 247870, "writeRateBytesPS": 2184,
                "transferredDataBytes": 5_000_000_000_u64, "processedObjects": 377,
                "bottleneck": "Target"
            },
            "_links": {
                "self": {"href": format!("{base}/JobSessions/6a3fa2fb-3a77-4d99-8b5d-000000000001")},
                "job": {"href": format!("{base}/Jobs/{job}")}
            }
        })]
    } else {
        Vec::new()
    };
    axum::Json(json!({
        "offset": offset,
        "limit": limit,
        "results": results,
        "_links": {"self": {"href": format!("{base}/Jobs/{job}/JobSessions?offset={offset}&limit={limit}")}}
    }))
}

/// The team's application.
fn app() -> Router {
    Router::new().route("/v5/Jobs/{job}/JobSessions", get(job_sessions))
}

/// Calls the Router in memory and collects the response body (at most 64 MiB, the kit's cap).
async fn call(target: &str) -> Response<Bytes> {
    let request = Request::get(target)
        .body(Body::empty())
        .expect("a valid request");
    let response = app()
        .oneshot(request)
        .await
        .expect("the Router is infallible");
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, vbo_contract::verify::DEFAULT_MAX_BODY as usize)
        .await
        .expect("the body fits the cap");
    Response::from_parts(parts, body)
}

const TARGET: &str = "/v5/Jobs/196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5/JobSessions?offset=0&limit=30";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let contract = vbo_contract::Contract::embedded()?;
    let response = call(TARGET).await;
    match vbo_contract::check(&contract, "GET", TARGET, &response) {
        Ok(verdict) => println!("GET {TARGET}: {verdict}"),
        Err(failures) => println!("{failures}"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_page_conforms() {
        let contract = vbo_contract::Contract::embedded().unwrap();
        let response = call(TARGET).await;
        vbo_contract::assert_conforms(&contract, "GET", TARGET, &response);
    }

    #[tokio::test]
    async fn a_page_past_the_end_conforms() {
        let contract = vbo_contract::Contract::embedded().unwrap();
        let target = "/v5/Jobs/196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5/JobSessions?offset=30&limit=30";
        vbo_contract::assert_conforms(&contract, "GET", target, &call(target).await);
    }

    /// What a failing assertion tells the team: here the page answers another job's request.
    #[tokio::test]
    async fn a_page_for_another_job_fails_with_the_rule_and_pointer() {
        let contract = vbo_contract::Contract::embedded().unwrap();
        let asked = "/v5/Jobs/00000000-0000-4000-8000-000000000000/JobSessions?offset=0&limit=30";
        let answered = call(TARGET).await;
        let failures = vbo_contract::check(&contract, "GET", asked, &answered).unwrap_err();
        let text = failures.to_string();
        assert!(text.contains("does not conform"), "{text}");
        assert!(failures.findings.iter().any(|f| f.is_error()), "{text}");
    }
}
