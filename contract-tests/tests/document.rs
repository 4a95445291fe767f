//! The contract document itself: it parses, passes the project's lint, its examples hold, its
//! decisions are reflected, and the exported JSON Schema is fresh.

use serde_json::Value;
use vbo_contract::contract::{self, Contract, EXPORTED_SCHEMA_PATH};
use vbo_contract::{Request, Response, Verifier, decisions, lint};

fn workspace_file(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

#[test]
fn document_parses_with_openapiv3_as_3_0() {
    let document = contract::parse_document(contract::EMBEDDED_YAML, "embedded").unwrap();
    let parsed: openapiv3::OpenAPI = serde_json::from_value(document).expect("openapiv3 reads it");
    assert!(parsed.openapi.starts_with("3.0."), "{}", parsed.openapi);
}

#[test]
fn a_contract_names_where_its_document_came_from() {
    // The name messages give the document (`--operation` names it when the id is unknown).
    let path = workspace_file("openapi/vbo-v5.yaml");
    let loaded = Contract::load(&path).unwrap();
    assert_eq!(loaded.origin(), path.display().to_string());
    let named = Contract::from_yaml(contract::EMBEDDED_YAML, "team copy").unwrap();
    assert_eq!(named.origin(), "team copy");
    assert_eq!(
        Contract::embedded().unwrap().origin(),
        contract::DOCUMENT_PATH
    );
}

#[test]
fn document_passes_the_project_lint() {
    let document = contract::parse_document(contract::EMBEDDED_YAML, "embedded").unwrap();
    let problems = lint::lint(&document, decisions::EMBEDDED_DECISIONS);
    assert!(
        problems.is_empty(),
        "lint problems:\n{}",
        problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn lint_catches_a_duplicate_operation_id_and_a_dangling_ref() {
    let mut document = contract::parse_document(contract::EMBEDDED_YAML, "embedded").unwrap();
    document["paths"]["/v5/Token"]["post"]["operationId"] = "get_job_sessions".into();
    document["components"]["schemas"]["JobSession"]["properties"]["statistics"]["$ref"] =
        "#/components/schemas/Nowhere".into();
    let problems = lint::lint(&document, decisions::EMBEDDED_DECISIONS);
    assert!(
        problems.iter().any(|p| p
            .message
            .contains("operationId `get_job_sessions` is also used")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p
            .message
            .contains("#/components/schemas/Nowhere does not resolve")),
        "{problems:?}"
    );
}

#[test]
fn lint_finds_a_dangling_ref_inside_a_list_at_its_index() {
    let mut document = contract::parse_document(contract::EMBEDDED_YAML, "embedded").unwrap();
    document["components"]["schemas"]["JobSession"]["properties"]["statistics"] =
        serde_json::json!({ "allOf": [{ "$ref": "#/components/schemas/Nowhere" }] });
    let problems = lint::lint(&document, decisions::EMBEDDED_DECISIONS);
    let dangling: Vec<&str> = problems
        .iter()
        .filter(|p| p.message.contains("does not resolve"))
        .map(|p| p.location.as_str())
        .collect();
    assert_eq!(
        dangling,
        ["/components/schemas/JobSession/properties/statistics/allOf/0/$ref"],
        "{problems:?}"
    );
}

#[test]
fn lint_catches_a_decision_the_document_forgot() {
    let mut document = contract::parse_document(contract::EMBEDDED_YAML, "embedded").unwrap();
    document["components"]["schemas"]["JobSessionStatistics"]["properties"]["transferredDataBytes"]
        ["format"] = "int32".into();
    let problems = lint::lint(&document, decisions::EMBEDDED_DECISIONS);
    assert!(
        problems
            .iter()
            .any(|p| p.location.starts_with("DECISIONS.md:") && p.message.contains("(D3)")),
        "{problems:?}"
    );
}

#[test]
fn lint_catches_an_example_that_does_not_match_its_schema() {
    let mut document = contract::parse_document(contract::EMBEDDED_YAML, "embedded").unwrap();
    let example = document
        .pointer_mut("/paths/~1v5~1Jobs~1{jobId}~1JobSessions/get/responses/200/content/application~1json; charset=utf-8/example/results/0/status")
        .unwrap();
    *example = "Exploded".into();
    let problems = lint::lint(&document, decisions::EMBEDDED_DECISIONS);
    assert!(
        problems
            .iter()
            .any(|p| p.location.ends_with("/example/results/0/status")),
        "{problems:?}"
    );
}

#[test]
fn seed_example_verifies_with_only_the_documented_next_link_warning() {
    let contract = Contract::embedded().unwrap();
    let example: &Value = contract
        .document()
        .pointer("/paths/~1v5~1Jobs~1{jobId}~1JobSessions/get/responses/200/content/application~1json; charset=utf-8/example")
        .unwrap();
    let body = serde_json::to_vec_pretty(example).unwrap();
    let request =
        Request::for_job("196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5").with_page(Some(0), Some(30));
    let verdict = Verifier::new(&contract).verify(&Response::body(&body), &request);
    let ids: Vec<&str> = verdict.findings.iter().map(|f| f.rule.id()).collect();
    assert_eq!(ids, ["next-leaves-collection"], "{:#?}", verdict.findings);
    assert!(!verdict.has_errors());
}

#[test]
fn exported_schema_is_fresh() {
    let contract = Contract::embedded().unwrap();
    let path = workspace_file(EXPORTED_SCHEMA_PATH);
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == contract.exported_schema_text(),
        "{EXPORTED_SCHEMA_PATH} is stale: run `cargo xtask codegen` and commit the result"
    );
}
