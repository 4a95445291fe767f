//! The contract is operation-aware: every operation of the document is found, routed by method
//! and path template, and judged by its own schemas; paged collections are recognised by their
//! shape wherever they are, and rules attached to an item schema follow that schema.

use serde_json::{Value, json};
use vbo_contract::contract::{self, EMBEDDED_YAML};
use vbo_contract::{Body, Contract, Request, Response, Rule, Verifier};

const JOB: &str = "196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5";
const JOB2: &str = "0a7c41c2-3f0e-4d7e-9a59-2b0c1f4e6d10";

/// The embedded document with a list operation (`GET /v5/Widgets`, an array of `Widget`) and a
/// paged one (`GET /v5/Gadgets`, pages of `Gadget`) added.
fn extended() -> Contract {
    let mut document = contract::parse_document(EMBEDDED_YAML, "embedded").unwrap();
    let error = json!({ "$ref": "#/components/responses/Error" });
    let paths = document["paths"].as_object_mut().unwrap();
    paths.insert(
        "/v5/Widgets".into(),
        json!({ "get": {
            "operationId": "get_widgets",
            "responses": {
                "200": { "description": "all", "content": { "application/json": { "schema": {
                    "type": "array", "items": { "$ref": "#/components/schemas/Widget" } } } } },
                "500": error,
            }
        }}),
    );
    paths.insert(
        "/v5/Gadgets".into(),
        json!({ "get": {
            "operationId": "get_gadgets",
            "parameters": [
                { "name": "offset", "in": "query", "schema": { "type": "integer", "minimum": 0 } },
                { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 50 } }
            ],
            "responses": {
                "200": { "description": "a page", "content": { "application/json": { "schema": {
                    "$ref": "#/components/schemas/GadgetPage" } } } },
            }
        }}),
    );
    let schemas = document["components"]["schemas"].as_object_mut().unwrap();
    let item = json!({
        "type": "object",
        "required": ["id", "name"],
        "properties": {
            "id": { "type": "string", "format": "uuid" },
            "name": { "type": "string" },
            "_links": { "$ref": "#/components/schemas/Links" }
        }
    });
    schemas.insert("Widget".into(), item.clone());
    schemas.insert("Gadget".into(), item);
    schemas.insert(
        "GadgetPage".into(),
        json!({
            "type": "object",
            "required": ["offset", "limit", "results"],
            "properties": {
                "offset": { "type": "integer", "minimum": 0 },
                "limit": { "type": "integer", "minimum": 0 },
                "results": { "type": "array", "items": { "$ref": "#/components/schemas/Gadget" } },
                "_links": { "$ref": "#/components/schemas/Links" }
            }
        }),
    );
    Contract::from_document(document, "extended").unwrap()
}

fn item(id: &str, self_href: &str) -> Value {
    json!({ "id": id, "name": "n", "_links": { "self": { "href": self_href } } })
}

fn verify(contract: &Contract, target: &str, body: &Value) -> Vec<(Rule, String)> {
    let bytes = serde_json::to_vec(body).unwrap();
    let request = contract.request("GET", target);
    Verifier::new(contract)
        .verify(&Response::body(&bytes), &request)
        .findings
        .into_iter()
        .map(|f| (f.rule, f.pointer))
        .collect()
}

#[test]
fn every_operation_of_the_document_is_found_with_its_body_kind() {
    let contract = Contract::embedded().unwrap();
    let sessions = contract.operation("get_job_sessions").unwrap();
    assert_eq!(sessions.path(), "/v5/Jobs/{jobId}/JobSessions");
    assert_eq!(sessions.path_parameters(), ["jobId"]);
    let paging = sessions.paging().expect("the sessions operation is paged");
    assert_eq!(paging.item.as_deref(), Some("JobSession"));
    assert_eq!(paging.max_limit, Some(10_000));
    let token = contract.operation("create_token").unwrap();
    assert_eq!(token.method(), "POST");
    assert!(matches!(token.body(), Some(Body::Single { schema: Some(s) }) if s == "Token"));
    assert!(std::ptr::eq(contract.default_operation(), sessions));

    let extended = extended();
    let widgets = extended.operation("GET /v5/Widgets").unwrap();
    assert!(matches!(widgets.body(), Some(Body::List { item: Some(i) }) if i == "Widget"));
    let gadgets = extended.operation("get_gadgets").unwrap();
    assert_eq!(gadgets.paging().unwrap().max_limit, Some(50));
}

#[test]
fn requests_are_routed_by_method_and_template_without_regard_to_case() {
    let contract = extended();
    let routed = |method: &str, target: &str| {
        contract
            .route(method, target)
            .map(|r| r.operation.id().to_owned())
    };
    assert_eq!(
        routed("GET", &format!("/V5/jobs/{JOB}/jobsessions/?offset=3")).as_deref(),
        Some("get_job_sessions")
    );
    assert_eq!(
        routed("get", "https://vbo01:4443/v5/widgets").as_deref(),
        Some("get_widgets")
    );
    assert_eq!(routed("POST", "/v5/token").as_deref(), Some("create_token"));
    assert_eq!(routed("POST", "/v5/Widgets"), None, "the method counts");
    assert_eq!(routed("GET", "/v5/Jobs//JobSessions"), None);
    assert_eq!(routed("GET", "/v5/Nothing"), None);

    let request = contract.request(
        "GET",
        &format!("/v5/Jobs/{JOB}/JobSessions?offset=30&limit=10"),
    );
    assert_eq!(request.operation.as_deref(), Some("get_job_sessions"));
    assert_eq!(request.job_id(), Some(JOB));
    assert_eq!((request.offset, request.limit), (Some(30), Some(10)));
    let unrouted = contract.request("GET", "/elsewhere?limit=5");
    assert_eq!(unrouted.operation, None);
    assert_eq!(unrouted.limit, Some(5));
}

#[test]
fn a_listing_is_found_for_the_operation_whose_parameter_it_lists() {
    let contract = Contract::embedded().unwrap();
    let listing = contract.listing_for(contract.default_operation()).unwrap();
    assert_eq!(listing.id(), "get_jobs");
    assert_eq!(listing.path(), "/v5/Jobs");
    // Without `GET /v5/Jobs`, nothing lists the jobs.
    let mut document = contract::parse_document(EMBEDDED_YAML, "embedded").unwrap();
    document["paths"]
        .as_object_mut()
        .unwrap()
        .remove("/v5/Jobs");
    let without = Contract::from_document(document, "without jobs").unwrap();
    assert!(without.listing_for(without.default_operation()).is_none());
    // Nor does a list whose items have no `id`.
    let mut document = contract::parse_document(EMBEDDED_YAML, "embedded").unwrap();
    document["components"]["schemas"]["Job"]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("id");
    let idless = Contract::from_document(document, "jobs without ids").unwrap();
    assert!(idless.listing_for(idless.default_operation()).is_none());
}

#[test]
fn a_list_response_is_judged_by_its_own_schema_and_item_rules() {
    let contract = extended();
    let good = json!([
        item(JOB, &format!("https://h/v5/Widgets/{JOB}")),
        item(JOB2, &format!("/v5/Widgets/{JOB2}")),
    ]);
    assert_eq!(verify(&contract, "/v5/Widgets", &good), []);

    let broken = json!([
        item(JOB, "https://h/v5/Widgets/elsewhere"),
        { "id": JOB, "name": 7 },
    ]);
    assert_eq!(
        verify(&contract, "/v5/Widgets", &broken),
        [
            (Rule::SelfLinkMismatch, "/0/_links/self/href".to_owned()),
            (Rule::DuplicateId, "/1/id".to_owned()),
            (Rule::Schema, "/1/name".to_owned()),
        ]
    );
}

#[test]
fn findings_of_another_operation_name_it_and_fingerprint_apart() {
    let contract = extended();
    let bytes = br#"[{"id": "not-a-uuid", "name": "n"}]"#;
    let verifier = Verifier::new(&contract);
    let widgets = verifier.verify(
        &Response::body(bytes),
        &contract.request("GET", "/v5/Widgets"),
    );
    let [finding] = widgets.findings.as_slice() else {
        panic!("{:?}", widgets.findings)
    };
    assert_eq!(finding.operation.as_deref(), Some("GET /v5/Widgets"));
    let mut as_sessions = finding.clone();
    as_sessions.operation = None;
    assert_ne!(
        vbo_contract::baseline::fingerprint(finding),
        vbo_contract::baseline::fingerprint(&as_sessions)
    );
    // A body with no request is a page of job sessions, and its findings name no operation.
    let page = verifier.verify(
        &Response::body(br#"{"offset": -1, "limit": 0, "results": []}"#),
        &Request::default(),
    );
    assert!(
        page.findings.iter().all(|f| f.operation.is_none()),
        "{:?}",
        page.findings
    );
    assert!(page.findings.iter().any(|f| f.pointer == "/offset"));
}

#[test]
fn page_rules_apply_to_any_paged_collection_and_session_rules_only_to_sessions() {
    let contract = extended();
    let page = json!({
        "offset": 5, "limit": 1,
        "results": [item(JOB, &format!("/v5/Gadgets/{JOB}")), item(JOB2, &format!("/v5/Gadgets/{JOB2}"))],
        "_links": { "next": { "href": "/v5/Elsewhere?offset=6" } }
    });
    assert_eq!(
        verify(&contract, "/v5/Gadgets?offset=0&limit=1", &page),
        [
            (Rule::EchoMismatch, "/offset".to_owned()),
            (Rule::ResultsOverLimit, "/results".to_owned()),
            (Rule::NextLeavesCollection, "/_links/next/href".to_owned()),
        ]
    );
    // A gadget that ended before it began breaks no rule: time order is a session rule.
    let timed = json!({ "offset": 0, "limit": 5, "results": [{
        "id": JOB, "name": "n", "creationTime": "2020-01-02T00:00:00Z", "endTime": "2020-01-01T00:00:00Z"
    }]});
    assert_eq!(
        verify(&contract, "/v5/Gadgets?offset=0&limit=5", &timed),
        []
    );
    // The same times on a session do break it.
    let session = json!({ "offset": 0, "limit": 5, "results": [{
        "id": JOB, "creationTime": "2020-01-02T00:00:00Z", "endTime": "2020-01-01T00:00:00Z",
        "status": "Success"
    }]});
    let findings = verify(
        &contract,
        &format!("/v5/Jobs/{JOB}/JobSessions?offset=0&limit=5"),
        &session,
    );
    assert!(
        findings.contains(&(Rule::EndBeforeCreation, "/results/0/endTime".to_owned())),
        "{findings:?}"
    );
}

#[test]
fn a_next_link_within_the_collection_of_another_paged_operation_passes() {
    let contract = extended();
    let page = json!({
        "offset": 0, "limit": 1,
        "results": [item(JOB, &format!("/v5/Gadgets/{JOB}"))],
        "_links": { "next": { "href": "https://h:4443/V6/gadgets?offset=1&limit=1" } }
    });
    assert_eq!(verify(&contract, "/v5/Gadgets?offset=0&limit=1", &page), []);
}

#[test]
fn a_walk_of_another_paged_collection_reports_repeats_under_its_own_rule() {
    let contract = extended();
    let verifier = Verifier::new(&contract);
    let mut walk = vbo_contract::Walk::new(Some(0));
    const JOB3: &str = "5b1d7a52-1c1e-4f57-8d0e-5b2f4a9c7e21";
    let next = json!({ "next": { "href": "/v5/Gadgets?offset=2&limit=2" } });
    let gadget = |id: &str| item(id, &format!("/v5/Gadgets/{id}"));
    let pages = [
        json!({ "offset": 0, "limit": 2, "results": [gadget(JOB), gadget(JOB2)], "_links": next }),
        json!({ "offset": 2, "limit": 2, "results": [gadget(JOB3), gadget(JOB)] }),
    ];
    let mut found = Vec::new();
    for (n, page) in pages.iter().enumerate() {
        let bytes = serde_json::to_vec(page).unwrap();
        let request = contract.request("GET", &format!("/v5/Gadgets?offset={}&limit=2", 2 * n));
        let verdict = verifier.verify_in_walk(&Response::body(&bytes), &request, &mut walk);
        found.extend(
            verdict
                .findings
                .into_iter()
                .map(|f| (f.rule, f.pointer, f.message)),
        );
    }
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, Rule::DuplicateId);
    assert_eq!(found[0].1, "/results/1/id");
    assert!(found[0].2.starts_with("item id "), "{}", found[0].2);
}

#[test]
fn statuses_are_declared_per_operation() {
    let contract = Contract::embedded().unwrap();
    let sessions = contract.default_operation();
    assert!(sessions.declares_status(404));
    assert!(!sessions.declares_status(418));
    // The contract's own shorthand asks the job-sessions operation.
    assert_eq!(
        (contract.declares_status(404), contract.declares_status(418)),
        (true, false)
    );
    let jobs = contract.operation("get_jobs").unwrap();
    assert!(
        !jobs.declares_status(404),
        "D24: the job list declares no 404"
    );
    assert!(jobs.declares_status(500));
    // The status finding says which: documented for this operation or not.
    let verifier = Verifier::new(&contract);
    let answered = |status: u16, target: &str| {
        let response = Response {
            status,
            ..Response::body(br#"{"message": "no"}"#)
        };
        verifier
            .verify(&response, &contract.request("GET", target))
            .findings[0]
            .message
            .clone()
    };
    assert!(
        answered(404, &format!("/v5/Jobs/{JOB}/JobSessions")).contains("a documented error status")
    );
    assert!(answered(404, "/v5/Jobs").contains("a status the contract does not document"));
    assert!(format!("{sessions:?}").contains("get_job_sessions"));
}
