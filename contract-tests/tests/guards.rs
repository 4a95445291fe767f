//! Guards for verifier decisions a mutation run found unguarded (issue 17): the boundaries of
//! the session-time rules, the severities, `schema_location` in the JSON report, `Check:`
//! lines whose pointer is gone, and error responses whose body is not JSON.

use serde_json::{Value, json};
use vbo_contract::report::{self, Report, Source};
use vbo_contract::{
    ContentType, Contract, Finding, Request, Response, Rule, Severity, Verifier, decisions, lint,
};

const JOB: &str = "196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5";
const CREATED: &str = "2020-12-13T22:00:00.5852401Z";

fn contract() -> Contract {
    Contract::embedded().expect("the embedded contract loads")
}

/// A valid page of one session with `status` and, when given, `endTime`.
fn page_of_one(status: &str, end: Option<&str>) -> Value {
    let id = "6a3fa2fb-3a77-4d99-8b5d-b6bd4102ffb1";
    let mut session = json!({
        "id": id,
        "creationTime": CREATED,
        "progress": 18,
        "status": status,
        "statistics": {
            "processingRateBytesPS": 71012,
            "processingRateItemsPS": 9,
            "readRateBytesPS": 247870,
            "writeRateBytesPS": 2184,
            "transferredDataBytes": 63570500,
            "processedObjects": 377,
            "bottleneck": "Target"
        },
        "_links": {
            "self": {"href": format!("https://vbo.example:4443/v5/jobsessions/{id}")},
            "job": {"href": format!("https://vbo.example:4443/v5/jobs/{JOB}")}
        }
    });
    if let Some(end) = end {
        session["endTime"] = json!(end);
    }
    json!({"offset": 0, "limit": 30, "results": [session], "_links": {}})
}

fn request() -> Request {
    Request::for_job(JOB.to_owned()).with_page(Some(0), Some(30))
}

fn findings_of(page: &Value) -> Vec<Finding> {
    let contract = contract();
    let body = serde_json::to_vec(page).unwrap();
    Verifier::new(&contract)
        .verify(&Response::body(&body), &request())
        .findings
}

/// (rule, pointer, severity) of each finding, for exact comparisons.
fn summary(findings: &[Finding]) -> Vec<(&'static str, String, Severity)> {
    findings
        .iter()
        .map(|f| (f.rule.id(), f.pointer.clone(), f.severity))
        .collect()
}

#[test]
fn a_page_that_answers_another_offset_or_limit_than_asked_is_an_echo_mismatch() {
    // `request()` asks for offset 0 and limit 30.
    let mut page = page_of_one("Success", Some(CREATED));
    page["offset"] = json!(30);
    page["limit"] = json!(31);
    let echoes: Vec<(&str, String, Severity)> = summary(&findings_of(&page))
        .into_iter()
        .filter(|(rule, ..)| *rule == "echo-mismatch")
        .collect();
    assert_eq!(
        echoes,
        [
            ("echo-mismatch", "/offset".to_owned(), Severity::Error),
            ("echo-mismatch", "/limit".to_owned(), Severity::Error)
        ]
    );
}

#[test]
fn a_session_that_ends_the_instant_it_starts_is_fine() {
    assert_eq!(
        summary(&findings_of(&page_of_one("Success", Some(CREATED)))),
        vec![]
    );
    // The same instant written with fewer digits is still the same instant.
    assert_eq!(
        summary(&findings_of(&page_of_one(
            "Success",
            Some("2020-12-13T22:00:00.58524010Z")
        ))),
        vec![]
    );
}

#[test]
fn a_session_that_ends_one_tick_before_it_starts_is_an_error() {
    let findings = findings_of(&page_of_one("Failed", Some("2020-12-13T22:00:00.5852400Z")));
    assert_eq!(
        summary(&findings),
        vec![(
            "end-before-creation",
            "/results/0/endTime".to_owned(),
            Severity::Error
        )]
    );
}

#[test]
fn running_and_queued_sessions_with_an_end_are_warned_about() {
    for status in ["Running", "Queued"] {
        let findings = findings_of(&page_of_one(status, Some("2020-12-13T22:02:17Z")));
        assert_eq!(
            summary(&findings),
            vec![(
                "end-while-running",
                "/results/0/endTime".to_owned(),
                Severity::Warning
            )],
            "{status}"
        );
    }
}

#[test]
fn sessions_without_an_end_or_finished_ones_are_not_warned_about() {
    for status in ["Running", "Queued"] {
        assert_eq!(summary(&findings_of(&page_of_one(status, None))), vec![]);
    }
    for status in [
        "Stopped",
        "Success",
        "Warning",
        "Failed",
        "Disconnected",
        "NotConfigured",
    ] {
        let end = Some("2020-12-13T22:02:17Z");
        assert_eq!(
            summary(&findings_of(&page_of_one(status, end))),
            vec![],
            "{status}"
        );
    }
}

/// A statistic sent as a string is tolerated only as the seed's table writes it: non-negative
/// digits. A sign, a decimal point or white space makes it a schema error like any other.
#[test]
fn only_a_string_of_digits_is_a_tolerated_numeric_string() {
    let with_objects = |value: &str| {
        let mut page = page_of_one("Running", None);
        page["results"][0]["statistics"]["processedObjects"] = json!(value);
        summary(&findings_of(&page))
    };
    let at = "/results/0/statistics/processedObjects".to_owned();
    assert_eq!(
        with_objects("377"),
        [("numeric-string", at.clone(), Severity::Warning)]
    );
    for value in ["-5", "+5", "3.5", " 7", "", "12345678901234567890"] {
        assert_eq!(
            with_objects(value),
            [("schema", at.clone(), Severity::Error)],
            "{value:?}"
        );
    }
}

#[test]
fn every_rule_has_the_severity_the_contract_gives_it() {
    // Written out here, not derived from `Rule`, so a changed severity fails a test on its own.
    let warnings = [
        "end-while-running",
        "next-leaves-collection",
        "numeric-string",
        "collection-shifted",
        "walk-bound",
    ];
    for rule in Rule::ALL {
        let want = if warnings.contains(&rule.id()) {
            Severity::Warning
        } else {
            Severity::Error
        };
        assert_eq!(rule.default_severity(), want, "{}", rule.id());
    }
}

#[test]
fn the_json_report_carries_the_schema_location_of_schema_findings_only() {
    let page = page_of_one("Exploded", Some("2020-12-13T22:00:00.5852400Z"));
    let findings = findings_of(&page);
    let schema = findings
        .iter()
        .find(|f| f.rule == Rule::Schema)
        .expect("an unknown status is a schema finding");
    let location = schema
        .schema_location
        .clone()
        .expect("a schema finding knows its schema location");
    assert!(location.ends_with("/enum"), "{location}");

    let mut report = Report::default();
    report.push(Source::new("page.json"), 1, findings);
    let rendered: Value = serde_json::from_str(&report::json(&report)).unwrap();
    let rendered = rendered["findings"].as_array().unwrap();
    let by_rule = |rule: &str| {
        rendered
            .iter()
            .find(|f| f["rule"] == rule)
            .unwrap_or_else(|| panic!("no {rule} finding in {rendered:?}"))
    };
    assert_eq!(by_rule("schema")["schema_location"], json!(location));
    assert_eq!(by_rule("schema")["severity"], "error");
    assert_eq!(by_rule("schema")["pointer"], "/results/0/status");
    let rule_finding = by_rule("end-before-creation");
    assert!(
        rule_finding.get("schema_location").is_none(),
        "{rule_finding}"
    );
}

#[test]
fn a_check_line_whose_pointer_is_gone_fails() {
    let text = "## D1. Something\n- Check: `/components/schemas/Gone/maxLength` is `12`\n";
    let failures = decisions::verify(text, &json!({"components": {"schemas": {}}}));
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].line, 2);
    assert_eq!(failures[0].decision.as_deref(), Some("D1"));
    assert!(failures[0].message.contains("missing"), "{failures:?}");
}

#[test]
fn lint_fails_when_a_decision_checks_a_pointer_the_document_lost() {
    let contract = contract();
    let document = contract.document().clone();
    assert!(
        lint::lint(&document, decisions::EMBEDDED_DECISIONS).is_empty(),
        "the document as shipped passes"
    );
    let (checks, _) = decisions::parse(decisions::EMBEDDED_DECISIONS);
    let check = checks
        .iter()
        .find(|c| matches!(c.expect, decisions::Expect::Equals(_)))
        .expect("some decision checks a value");
    // Remove the value the check names, as an edit of the document might.
    let (parent, last) = check.pointer.rsplit_once('/').unwrap();
    let mut edited = document;
    let removed = edited
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .and_then(|object| object.remove(&last.replace("~1", "/").replace("~0", "~")));
    assert!(
        removed.is_some(),
        "{} names an object member",
        check.pointer
    );
    let problems = lint::lint(&edited, decisions::EMBEDDED_DECISIONS);
    assert!(
        problems
            .iter()
            .any(|p| p.location == format!("DECISIONS.md:{}", check.line)),
        "lint names the check's line {}: {problems:?}",
        check.line
    );
}

#[test]
fn error_responses_whose_body_is_not_json_are_a_status_finding() {
    let contract = contract();
    let verifier = Verifier::new(&contract);
    for (status, content_type, body) in [
        (
            500u16,
            ContentType::Value("text/html"),
            &b"<html>Internal Server Error</html>"[..],
        ),
        (503, ContentType::Missing, b""),
        (401, ContentType::Value("application/json"), b"{\"message\""),
        (404, ContentType::NotRecorded, b"\xff\xfe not utf-8"),
    ] {
        let response = Response {
            status,
            content_type,
            body,
            location: None,
        };
        let verdict = verifier.verify(&response, &request());
        let status_findings: Vec<_> = verdict
            .findings
            .iter()
            .filter(|f| f.rule == Rule::Status)
            .collect();
        assert_eq!(status_findings.len(), 1, "{status}: {:?}", verdict.findings);
        assert!(
            status_findings[0]
                .message
                .contains(&format!("answered {status}")),
            "{}",
            status_findings[0].message
        );
        assert_eq!(verdict.sessions, 0);
        assert!(
            verdict.facts.is_none(),
            "an error page is no page of a walk"
        );
    }
}

#[test]
fn an_error_response_with_a_json_message_quotes_it() {
    let contract = contract();
    let body = br#"{"message": "Job not found."}"#;
    let verdict = Verifier::new(&contract).verify(
        &Response {
            status: 404,
            content_type: ContentType::Value("application/json; charset=utf-8"),
            body,
            location: None,
        },
        &request(),
    );
    let status = verdict
        .findings
        .iter()
        .find(|f| f.rule == Rule::Status)
        .expect("a status finding");
    assert!(
        status.message.contains("\"Job not found.\""),
        "{}",
        status.message
    );
    assert_eq!(status.severity, Severity::Error);
}
