//! One call to check a response in a test: route it by its request to the operation of the
//! contract, verify it, and fail with the rendered findings.
//!
//! ```
//! use vbo_contract::Contract;
//!
//! let contract = Contract::embedded()?;
//! let response = http::Response::builder()
//!     .status(200)
//!     .header("content-type", "application/json")
//!     .body(r#"{"offset": 0, "limit": 30, "results": "none"}"#)?;
//! let target = "/v5/Jobs/8b5d7c7e-0000-4000-8000-000000000001/JobSessions?offset=0&limit=30";
//! let failures = vbo_contract::check(&contract, "GET", target, &response).unwrap_err();
//! assert!(failures.to_string().contains("error[schema]"), "{failures}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use crate::adapt::AsResponse;
use crate::contract::Contract;
use crate::finding::Finding;
use crate::report::printable;
use crate::verify::{Verdict, Verifier};

/// Why a response does not conform: the request, the status and every finding (warnings too),
/// or that no operation of the contract takes the request. Its `Display` is the rendered
/// findings, one per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failures {
    /// The request method.
    pub method: String,
    /// The request target (path and query, or an absolute URL).
    pub target: String,
    /// The response status.
    pub status: u16,
    /// Every finding, errors and warnings; empty when the request matched no operation.
    pub findings: Vec<Finding>,
    /// Whether the request matched an operation of the contract (when not, nothing was judged).
    pub routed: bool,
}

impl fmt::Display for Failures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let request = format!("{} {}", printable(&self.method), printable(&self.target));
        if !self.routed {
            return write!(
                f,
                "{request} matches no operation of the contract (method and path template)"
            );
        }
        let errors = self.findings.iter().filter(|f| f.is_error()).count();
        let warnings = self.findings.len() - errors;
        write!(
            f,
            "{request} -> {}: does not conform to the contract ({errors} error{}, {warnings} warning{})",
            self.status,
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" },
        )?;
        for finding in &self.findings {
            write!(f, "\n  {finding}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Failures {}

impl Verifier<'_> {
    /// Verifies `response` to `method target`, judged as the operation the request routes to;
    /// `Err` when a finding is an error or no operation takes the request. Warnings alone pass
    /// (they are in the returned verdict).
    pub fn check(
        &self,
        method: &str,
        target: &str,
        response: &impl AsResponse,
    ) -> Result<Verdict, Failures> {
        let request = self.contract().request(method, target);
        let response = response.as_response();
        let failures = |findings, routed| Failures {
            method: method.to_owned(),
            target: target.to_owned(),
            status: response.status,
            findings,
            routed,
        };
        if request.operation.is_none() {
            return Err(failures(Vec::new(), false));
        }
        let verdict = self.verify(&response, &request);
        if verdict.has_errors() {
            return Err(failures(verdict.findings, true));
        }
        Ok(verdict)
    }
}

/// [`Verifier::check`] with a default verifier for `contract`.
pub fn check(
    contract: &Contract,
    method: &str,
    target: &str,
    response: &impl AsResponse,
) -> Result<Verdict, Failures> {
    Verifier::new(contract).check(method, target, response)
}

/// Panics, with the rendered findings as the message, unless `response` to `method target`
/// conforms to `contract`; returns the verdict (its warnings) when it does.
///
/// ```should_panic
/// let contract = vbo_contract::Contract::embedded().unwrap();
/// let response = http::Response::builder().status(200).body("not json").unwrap();
/// vbo_contract::assert_conforms(&contract, "GET", "/v5/Jobs", &response);
/// ```
#[track_caller]
pub fn assert_conforms(
    contract: &Contract,
    method: &str,
    target: &str,
    response: &impl AsResponse,
) -> Verdict {
    match check(contract, method, target, response) {
        Ok(verdict) => verdict,
        Err(failures) => panic!("{failures}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JOB: &str = "8b5d7c7e-0000-4000-8000-000000000001";

    fn page(body: &str) -> http::Response<String> {
        http::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .unwrap()
    }

    fn target() -> String {
        format!("/v5/Jobs/{JOB}/JobSessions?offset=0&limit=30")
    }

    #[test]
    fn a_finding_and_a_verdict_print_as_the_human_report_heads_them() {
        let mut finding = Finding::new(crate::Rule::Schema, "/results/0/status", "bad\nvalue");
        finding.position = Some(crate::Position {
            line: 10,
            column: 17,
        });
        assert_eq!(
            finding.to_string(),
            "error[schema] 10:17 /results/0/status: bad\\nvalue"
        );
        let whole = Finding::new(crate::Rule::JsonSyntax, "", "empty");
        assert_eq!(whole.to_string(), "error[json-syntax] (whole body): empty");
        let verdict = Verdict {
            findings: vec![finding.clone(), whole.clone()],
            ..Verdict::default()
        };
        assert_eq!(
            verdict.to_string(),
            format!("FAILED: 2 errors, 0 warnings\n{finding}\n{whole}")
        );
        assert_eq!(Verdict::default().to_string(), "ok: 0 errors, 0 warnings");
    }

    #[test]
    fn a_conforming_page_passes() {
        let contract = Contract::embedded().unwrap();
        let verdict = check(
            &contract,
            "GET",
            &target(),
            &page(r#"{"offset":0,"limit":30,"results":[]}"#),
        )
        .unwrap();
        assert!(verdict.findings.iter().all(|f| !f.is_error()));
    }

    #[test]
    fn a_broken_page_fails_with_its_findings_rendered() {
        let contract = Contract::embedded().unwrap();
        let failures = check(
            &contract,
            "get",
            &target(),
            &page(r#"{"offset":5,"limit":30,"results":[]}"#),
        )
        .unwrap_err();
        assert!(failures.routed);
        assert!(failures.findings.iter().any(Finding::is_error));
        let text = failures.to_string();
        assert!(
            text.starts_with(&format!("get {} -> 200: does not conform", target())),
            "{text}"
        );
        for finding in &failures.findings {
            assert!(text.contains(&format!("\n  {finding}")), "{text}");
        }
    }

    #[test]
    fn a_request_no_operation_takes_fails() {
        let contract = Contract::embedded().unwrap();
        let failures = check(&contract, "DELETE", &target(), &page("{}")).unwrap_err();
        assert!(!failures.routed);
        assert!(
            failures.to_string().contains("matches no operation"),
            "{failures}"
        );
    }

    #[test]
    fn the_assertion_panics_with_the_findings() {
        let contract = Contract::embedded().unwrap();
        let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            assert_conforms(&contract, "GET", &target(), &page("[1"));
        }))
        .unwrap_err();
        let message = panic.downcast_ref::<String>().unwrap();
        assert!(message.contains("error[json-syntax]"), "{message}");
    }
}
