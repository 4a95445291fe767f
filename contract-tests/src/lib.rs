//! The contract kit for `GET /v5/Jobs/{jobId}/JobSessions` (and every other operation of the
//! document in `openapi/`): load the contract, verify responses and walks of pages against it,
//! and report what was found.
//!
//! With `default-features = false` this is the light library a server team puts in its own
//! tests: the contract, the verifier, the rules and the reports, with no server, TLS, async
//! runtime or proptest in the dependency graph. Features add the rest: `live` (walking a
//! server), `generate` (data from the schemas), `mock` (the loopback VBO server, with
//! `generate`), `reqwest` (an adapter from `reqwest::Response`), `cli` (the `vbo-verify`
//! binary and `cargo xtask verify`, with `live` and `mock`). The default is `live`, `mock`
//! and `generate`.
//!
//! # Verify a body
//!
//! A body with no request is judged as a page of job sessions; every finding names its rule,
//! JSON pointer, line and column.
//!
//! ```
//! use vbo_contract::{Contract, Request, Response, Verifier};
//!
//! let contract = Contract::embedded()?;
//! let body = br#"{"offset": 0, "limit": 30, "results": [{"id": "not-a-uuid"}]}"#;
//! let verdict = Verifier::new(&contract).verify(&Response::body(body), &Request::default());
//! assert!(verdict.has_errors());
//! let first = &verdict.findings[0];
//! assert_eq!(first.rule.id(), "schema");
//! assert!(first.pointer.starts_with("/results/0"));
//! println!("{verdict}"); // FAILED: 3 errors, 0 warnings, then one line per finding
//! # Ok::<(), vbo_contract::ContractError>(())
//! ```
//!
//! # Verify a routed response
//!
//! With its request, a response is judged as the operation the method and path select
//! (case-insensitive, path parameters captured), and the rules that compare the page with the
//! request (echoed `offset` and `limit`, links to the job) apply. Any `http::Response` whose
//! body is bytes is read in place ([`adapt::AsResponse`]); a `reqwest::Response` is read into an
//! [`OwnedResponse`] (feature `reqwest`).
//!
//! ```
//! use vbo_contract::{Contract, Verifier, adapt::AsResponse};
//!
//! let contract = Contract::embedded()?;
//! let target = "/v5/Jobs/196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5/JobSessions?offset=30&limit=30";
//! let request = contract.request("GET", target);
//! assert_eq!(request.job_id(), Some("196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5"));
//! let response = http::Response::builder()
//!     .header("content-type", "application/json")
//!     .body(r#"{"offset": 0, "limit": 30, "results": []}"#)?;
//! let verdict = Verifier::new(&contract).verify(&response.as_response(), &request);
//! let rules: Vec<&str> = verdict.findings.iter().map(|f| f.rule.id()).collect();
//! assert!(rules.contains(&"echo-mismatch"), "{verdict}"); // asked for offset 30
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Assert in a test
//!
//! [`assert_conforms`] panics with the rendered findings; [`check`] returns them as
//! [`Failures`] (its `Display` is the same text). A request no operation takes fails too.
//! `examples/axum_handler.rs` tests an axum handler this way, in memory.
//!
//! ```
//! let contract = vbo_contract::Contract::embedded()?;
//! let target = "/v5/Jobs/196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5/JobSessions?offset=0&limit=30";
//! let response = http::Response::builder()
//!     .header("content-type", "application/json; charset=utf-8")
//!     .body(r#"{"offset": 0, "limit": 30, "results": []}"#)?;
//! vbo_contract::assert_conforms(&contract, "GET", target, &response);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Reports
//!
//! A [`report::Report`] collects verdicts by source; the renderers print it for people
//! (`human`), machines (`json`, `junit`, `sarif`) and CI (`github`, `markdown`).
//! [`recorded::verify_paths`] fills one from files and directories.
//!
//! ```
//! use vbo_contract::report::{self, Report, Source};
//! use vbo_contract::{Contract, Request, Response, Verifier};
//!
//! let contract = Contract::embedded()?;
//! let verdict = Verifier::new(&contract).verify(&Response::body(b"{"), &Request::default());
//! let mut report = Report::default();
//! report.push(Source::new("page-1.json"), verdict.sessions, verdict.findings);
//! let human = report::human(&report, false);
//! assert!(human.contains("error[json-syntax] page-1.json"), "{human}");
//! let json: serde_json::Value = serde_json::from_str(&report::json(&report))?;
//! assert_eq!(json["findings"][0]["rule"], "json-syntax");
//! assert_eq!(report.exit_code(false), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

pub mod adapt;
pub mod assert;
pub mod baseline;
#[cfg(feature = "live")]
pub mod capture;
#[cfg(feature = "cli")]
pub mod cli;
pub mod contract;
pub mod decisions;
pub mod exchange;
mod fast;
pub mod finding;
#[cfg(feature = "generate")]
pub mod generate;
pub mod har;
pub mod http_file;
pub mod lint;
#[cfg(feature = "live")]
pub mod live;
pub mod locate;
#[cfg(feature = "mock")]
pub mod mock;
#[cfg(feature = "generate")]
pub mod mutate;
pub mod operation;
pub mod recorded;
pub mod report;
pub mod rules;
pub mod schema;
mod seen;
pub mod verify;

pub use adapt::OwnedResponse;
pub use assert::{Failures, assert_conforms, check};
pub use contract::{Contract, ContractError, Route};
pub use exchange::{Exchange, RequestLine};
pub use finding::{Finding, Level, Overrides, Position, Rule, Severity, Snippet};
pub use operation::{Body, Operation, Paging};
pub use rules::{PageFacts, Request, Walk};
pub use verify::{ContentType, Options, Response, Verdict, Verifier};

#[cfg(all(test, feature = "live"))]
mod tests {
    /// The light library states its own body cap so it needs no client; the two must agree.
    #[test]
    fn the_default_body_cap_is_the_clients() {
        assert_eq!(
            crate::verify::DEFAULT_MAX_BODY,
            vbo_client::DEFAULT_MAX_BODY_BYTES
        );
    }
}
