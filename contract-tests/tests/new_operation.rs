//! Issue 13's proof, the generator and mock half: a copy of the embedded document gains an
//! operation it did not have, `GET /v5/JobSessions/{jobSessionId}` returning one `JobSession`
//! (and its 404), and with no Rust edit the generator draws bodies for it that the verifier
//! accepts, the mock serves it (a session id from a page, an unknown id), and the verifier
//! judges a recorded response of it: a valid one passes, a broken one fails with rule `schema`
//! at the exact pointer.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use serde_json::{Value, json};
use vbo_contract::generate::{BodyKind, Generator, GeneratorMode};
use vbo_contract::mock::{MockConfig, MockServer, Tls};
use vbo_contract::verify::ContentType;
use vbo_contract::{Contract, Response, Rule, Verifier, contract};

const OPERATION: &str = "get_job_session";

/// The embedded document plus `GET /v5/JobSessions/{jobSessionId}`, in memory.
fn contract() -> Contract {
    contract_with("/v5/JobSessions/{jobSessionId}", &["jobSessionId"])
}

/// The embedded document plus one operation at `path` that returns one `JobSession`, with
/// these uuid path parameters.
fn contract_with(path: &str, parameters: &[&str]) -> Contract {
    let document = document_with(path, parameters);
    Contract::from_document(document, &format!("embedded + {path}")).unwrap()
}

/// The document of `contract_with`, to edit further.
fn document_with(path: &str, parameters: &[&str]) -> Value {
    let mut document = contract::parse_document(contract::EMBEDDED_YAML, "embedded").unwrap();
    let parameters: Vec<Value> = parameters
        .iter()
        .map(|name| {
            json!({
                "name": name,
                "in": "path",
                "required": true,
                "schema": { "type": "string", "format": "uuid" }
            })
        })
        .collect();
    document["paths"][path] = json!({
        "get": {
            "operationId": OPERATION,
            "summary": "Get one session",
            "parameters": parameters,
            "responses": {
                "200": {
                    "description": "The session.",
                    "content": {
                        "application/json; charset=utf-8": {
                            "schema": { "$ref": "#/components/schemas/JobSession" }
                        }
                    }
                },
                "404": { "$ref": "#/components/responses/Error" }
            }
        }
    });
    document
}

fn verify(contract: &Contract, status: u16, body: &[u8], url: &str) -> Vec<vbo_contract::Finding> {
    let response = Response {
        status,
        content_type: ContentType::Value("application/json; charset=utf-8"),
        body,
        location: None,
    };
    Verifier::new(contract)
        .verify(&response, &contract.request("GET", url))
        .findings
}

#[test]
fn the_new_operation_is_routed_and_its_bodies_are_generated_and_accepted() {
    let contract = contract();
    let url = "https://127.0.0.1:4443/v5/jobsessions/6a3fa2fb-3a77-4d99-8b5d-b6bd4102ffb1";
    let request = contract.request("GET", url);
    assert_eq!(request.operation.as_deref(), Some(OPERATION));
    let operation = contract.operation(OPERATION).unwrap();
    let generator = Generator::for_operation(operation).unwrap();
    assert_eq!(generator.kind(), BodyKind::Single);
    // Seeded: the same body for the same seed, and it passes.
    assert_eq!(generator.body(5), generator.body(5));
    for seed in 0..50 {
        let generated = generator.body(seed);
        let id = generated.params["jobSessionId"].clone();
        assert_eq!(generated.body["id"], json!(id), "the id echoes the path");
        let findings = Verifier::new(&contract)
            .verify(&Response::body(&generated.bytes()), &generated.request())
            .findings;
        assert!(findings.is_empty(), "seed {seed}: {findings:?}");
    }
    // Its 404 body, from the error schema alone.
    let not_found = Generator::for_response(operation, 404).unwrap();
    let body = not_found.body(1);
    assert!(body.body["message"].is_string(), "{}", body.body);
}

#[test]
fn an_error_body_is_drawn_from_its_schema_alone_even_when_it_declares_an_id() {
    // An error schema with an `id` of its own (a trace id, say): it is not the session's id,
    // so nothing from the path is echoed into it.
    let mut document = document_with("/v5/JobSessions/{jobSessionId}", &["jobSessionId"]);
    document["paths"]["/v5/JobSessions/{jobSessionId}"]["get"]["responses"]["404"] = json!({
        "description": "Not found.",
        "content": { "application/json": { "schema": {
            "type": "object",
            "required": ["id", "message"],
            "properties": {
                "id": { "type": "string", "format": "uuid" },
                "message": { "type": "string" }
            }
        } } }
    });
    let contract = Contract::from_document(document, "embedded + error id").unwrap();
    let operation = contract.operation(OPERATION).unwrap();
    let not_found = Generator::for_response(operation, 404).unwrap();
    assert_eq!(not_found.kind(), BodyKind::Other);
    let path_id = "6a3fa2fb-3a77-4d99-8b5d-b6bd4102ffb1";
    let params = [("jobSessionId".to_owned(), path_id.to_owned())].into();
    for seed in 0..20 {
        let body = not_found.single(seed, &params);
        assert!(body["message"].is_string(), "{body}");
        assert_ne!(body["id"], json!(path_id), "seed {seed}");
    }
}

#[test]
fn a_session_fetched_by_id_is_held_to_the_session_rules() {
    let contract = contract();
    let id = "6a3fa2fb-3a77-4d99-8b5d-b6bd4102ffb1";
    let url = format!("https://127.0.0.1:4443/v5/JobSessions/{id}");
    let request = contract.request("GET", &url);
    let body = json!({
        "id": id,
        "status": "Running",
        "creationTime": "2024-05-02T10:00:00Z",
        "endTime": "2024-05-02T09:00:00Z",
        "_links": { "self": { "href": "/v5/JobSessions/6a3fa2fb-0000-4d99-8b5d-b6bd4102ffb1" } }
    });
    let bytes = serde_json::to_vec(&body).unwrap();
    // With or without the fast path: it must not vouch for a body the rules flag.
    for fast in [true, false] {
        let findings = Verifier::new(&contract)
            .with_fast_path(fast)
            .verify(&Response::body(&bytes), &request)
            .findings;
        let said: Vec<(Rule, &str)> = findings
            .iter()
            .map(|f| (f.rule, f.pointer.as_str()))
            .collect();
        assert_eq!(
            said,
            [
                (Rule::EndBeforeCreation, "/endTime"),
                (Rule::EndWhileRunning, "/endTime"),
                (Rule::SelfLinkMismatch, "/_links/self/href"),
            ],
            "fast path {fast}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_generated_body_of_the_new_operation_verifies(
        generated in Generator::for_operation(contract().operation(OPERATION).unwrap())
            .unwrap()
            .body_strategy()
    ) {
        let contract = contract();
        let findings = Verifier::new(&contract)
            .verify(&Response::body(&generated.bytes()), &generated.request())
            .findings;
        prop_assert!(findings.is_empty(), "{:?} in {}", findings, generated.body);
        prop_assert_eq!(generated.operation.as_str(), OPERATION);
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

async fn get(url: &str, token: &str) -> (u16, Vec<u8>) {
    let response = client().get(url).bearer_auth(token).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.bytes().await.unwrap().to_vec())
}

/// A mock of `contract` with two jobs, and a token for it.
async fn mock(contract: Arc<Contract>) -> (MockServer, String) {
    let config = MockConfig {
        jobs: 2,
        sessions_per_job: 40,
        seed: 11,
        contract: Some(contract),
        ..MockConfig::default()
    };
    let server = MockServer::start(config, Tls::None).await.unwrap();
    let token: Value = client()
        .post(format!("{}/v5/Token", server.base_url()))
        .form(&[
            ("grant_type", "password"),
            ("username", "vbo-admin"),
            ("password", "mock-password"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();
    (server, token)
}

#[tokio::test]
async fn an_item_under_its_job_is_found_by_the_job_s_id_and_the_item_s_id() {
    let (server, token) = mock(Arc::new(contract_with(
        "/v5/Jobs/{jobId}/JobSessions/{jobSessionId}",
        &["jobId", "jobSessionId"],
    )))
    .await;
    let base = server.base_url().to_owned();
    let job = &server.job_ids()[0];
    let (status, page) = get(&format!("{base}/v5/Jobs/{job}/JobSessions?limit=3"), &token).await;
    assert_eq!(status, 200);
    let page: Value = serde_json::from_slice(&page).unwrap();
    let session = &page["results"][2];
    let id = session["id"].as_str().unwrap();

    // The first parameter is a job id, the last an item's: both known, the session is served.
    let (status, body) = get(&format!("{base}/v5/Jobs/{job}/JobSessions/{id}"), &token).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let served: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(&served, session);
    // A session's id where the job's belongs is not a job.
    let (status, _) = get(&format!("{base}/v5/Jobs/{id}/JobSessions/{id}"), &token).await;
    assert_eq!(status, 404);
    server.shutdown().await.unwrap();
}

#[test]
fn a_session_under_its_job_echoes_its_own_id_and_links_to_that_job() {
    let contract = contract_with(
        "/v5/Jobs/{jobId}/JobSessions/{jobSessionId}",
        &["jobId", "jobSessionId"],
    );
    let generator = Generator::for_operation(contract.operation(OPERATION).unwrap()).unwrap();
    let job = "196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5";
    let id = "6a3fa2fb-3a77-4d99-8b5d-b6bd4102ffb1";
    let params = [
        ("jobId".to_owned(), job.to_owned()),
        ("jobSessionId".to_owned(), id.to_owned()),
    ]
    .into();
    let mut linked = 0;
    for seed in 0..20 {
        let body = generator.single(seed, &params);
        assert_eq!(body["id"], json!(id), "seed {seed}");
        // The job link is optional in the schema, so only some draws have one.
        if let Some(to_job) = body["_links"]["job"]["href"].as_str() {
            assert!(
                to_job.ends_with(&format!("/{job}")),
                "seed {seed}: {to_job}"
            );
            linked += 1;
        }
    }
    assert!(linked > 0, "no draw linked to its job");
}

#[test]
fn a_session_served_by_its_id_names_that_id_in_every_link_but_its_job() {
    let contract = contract();
    let generator = Generator::for_operation(contract.operation(OPERATION).unwrap()).unwrap();
    let id = "6a3fa2fb-3a77-4d99-8b5d-b6bd4102ffb1";
    let mut beside_self = 0;
    for index in 0..10 {
        let session = generator.item_with_id(3, "196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5", index, id);
        assert_eq!(session["id"], json!(id));
        // `_links` is optional too.
        let links = session["_links"].as_object().into_iter().flatten();
        for (relation, link) in links {
            if relation == "job" {
                continue;
            }
            let href = link["href"].as_str().unwrap();
            assert!(href.contains(&format!("/{id}")), "{relation}: {href}");
            beside_self += usize::from(relation != "self");
        }
    }
    // The details and log links are optional: some draws must have them.
    assert!(beside_self > 0);
}

#[test]
fn a_realistic_session_fetched_by_id_is_written_as_the_vendor_writes_sessions() {
    let contract = contract();
    let generator = Generator::for_operation(contract.operation(OPERATION).unwrap())
        .unwrap()
        .with_mode(GeneratorMode::Realistic)
        .with_base_url("https://vbo01.example.local:4443");
    let id = "6a3fa2fb-3a77-4d99-8b5d-b6bd4102ffb1";
    let params = [("jobSessionId".to_owned(), id.to_owned())].into();
    for seed in 0..10 {
        let session = generator.single(seed, &params);
        assert_eq!(session["id"], json!(id), "seed {seed}");
        // Seven digits of fraction and `Z`, the vendor's form: `2020-12-13T22:00:00.5852401Z`.
        let created = session["creationTime"].as_str().unwrap();
        assert!(
            created.len() == 28 && created.ends_with('Z'),
            "seed {seed}: {created}"
        );
        let to_self = session["_links"]["self"]["href"].as_str().unwrap();
        assert_eq!(
            to_self,
            format!("https://vbo01.example.local:4443/v5/jobsessions/{id}"),
            "seed {seed}"
        );
    }
}

/// `contract()` for a team whose session ids are any string, the empty one included.
fn with_string_ids() -> Contract {
    let string = json!({ "type": "string" });
    with_ids(string.clone(), string, "string session ids")
}

#[test]
fn an_id_drawn_for_a_path_is_never_empty() {
    let contract = with_string_ids();
    let generator = Generator::for_operation(contract.operation(OPERATION).unwrap()).unwrap();
    let ids: Vec<String> = (0..200)
        .map(|seed| generator.body(seed).params["jobSessionId"].clone())
        .collect();
    assert!(ids.iter().all(|id| !id.is_empty()), "{ids:?}");
    // Short ones are drawn too, so the test would see an empty one if one were kept.
    assert!(ids.iter().any(|id| id.len() == 1), "{ids:?}");
}

/// `contract()` for a team whose session ids follow `id` and are named in the path by `param`.
fn with_ids(id: Value, param: Value, origin: &str) -> Contract {
    let mut document = document_with("/v5/JobSessions/{jobSessionId}", &["jobSessionId"]);
    document["components"]["schemas"]["JobSession"]["properties"]["id"] = id;
    document["paths"]["/v5/JobSessions/{jobSessionId}"]["get"]["parameters"][0]["schema"] = param;
    Contract::from_document(document, origin).unwrap()
}

/// `contract()` for a team whose sessions have integer ids.
fn with_integer_ids() -> Contract {
    with_ids(
        json!({ "type": "integer", "minimum": 1 }),
        json!({ "type": "integer" }),
        "integer session ids",
    )
}

#[test]
fn an_integer_id_echoed_from_the_path_stays_an_integer() {
    let contract = with_integer_ids();
    let generator = Generator::for_operation(contract.operation(OPERATION).unwrap()).unwrap();
    for seed in 0..20 {
        let generated = generator.body(seed);
        let id = &generated.params["jobSessionId"];
        assert_eq!(generated.body["id"].to_string(), *id, "seed {seed}");
        let findings = Verifier::new(&contract)
            .verify(&Response::body(&generated.bytes()), &generated.request())
            .findings;
        assert!(findings.is_empty(), "seed {seed}: {findings:?}");
    }
}

#[tokio::test]
async fn every_session_of_both_jobs_is_found_by_the_digits_of_its_integer_id() {
    let contract = Arc::new(with_integer_ids());
    let (server, token) = mock(Arc::clone(&contract)).await;
    let base = server.base_url().to_owned();
    let mut sessions = Vec::new();
    for job in server.job_ids() {
        let (status, page) = get(
            &format!("{base}/v5/Jobs/{job}/JobSessions?limit=40"),
            &token,
        )
        .await;
        assert_eq!(status, 200);
        let page: Value = serde_json::from_slice(&page).unwrap();
        sessions.extend(page["results"].as_array().unwrap().iter().cloned());
    }
    let ids: HashSet<u64> = sessions
        .iter()
        .map(|s| s["id"].as_u64().expect("an integer id"))
        .collect();
    // An id two jobs share would be served as one of them only.
    assert_eq!((sessions.len(), ids.len()), (80, 80));
    for session in &sessions {
        let url = format!("{base}/v5/JobSessions/{}", session["id"]);
        let (status, body) = get(&url, &token).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let served: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(&served, session);
        assert!(verify(&contract, 200, &body, &url).is_empty());
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_unknown_id_gets_a_404_body_of_the_document_s_own_error_schema() {
    // A document whose 404 is not `{"message"}`: the mock's answer follows the document.
    let path = "/v5/JobSessions/{jobSessionId}";
    let mut document = document_with(path, &["jobSessionId"]);
    document["paths"][path]["get"]["responses"]["404"] = json!({
        "description": "Not found.",
        "content": { "application/json": { "schema": {
            "type": "object",
            "required": ["errorCode"],
            "properties": { "errorCode": { "type": "integer", "minimum": 1 } },
            "additionalProperties": false
        } } }
    });
    let contract = Arc::new(Contract::from_document(document, "its own 404").unwrap());
    let (server, token) = mock(Arc::clone(&contract)).await;
    let unknown = format!(
        "{}/v5/JobSessions/00000000-0000-4000-8000-000000000000",
        server.base_url()
    );
    let (status, body) = get(&unknown, &token).await;
    assert_eq!(status, 404);
    let error: Value = serde_json::from_slice(&body).unwrap();
    assert!(error["errorCode"].is_u64(), "{error}");
    let findings = verify(&contract, 404, &body, &unknown);
    assert!(
        findings.iter().all(|f| f.rule == Rule::Status),
        "the 404 body conforms to its schema: {findings:?}"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_mock_serves_the_new_operation_and_the_verifier_judges_what_it_served() {
    let contract = Arc::new(contract());
    let (server, token) = mock(Arc::clone(&contract)).await;
    let token = token.as_str();
    let base = server.base_url().to_owned();
    let job = &server.job_ids()[1];
    let (status, page) = get(
        &format!("{base}/v5/Jobs/{job}/JobSessions?offset=10&limit=5"),
        token,
    )
    .await;
    assert_eq!(status, 200);
    let page: Value = serde_json::from_slice(&page).unwrap();
    let session = &page["results"][3];
    let id = session["id"].as_str().unwrap();

    // A session id taken from a page: 200, that very session, conforming.
    let url = format!("{base}/v5/JobSessions/{id}");
    let (status, body) = get(&url, token).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let served: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(&served, session);
    assert!(verify(&contract, 200, &body, &url).is_empty());
    // Ids are compared without regard to case (D15), and the route too.
    let upper = format!("{base}/V5/JOBSESSIONS/{}", id.to_ascii_uppercase());
    assert_eq!(get(&upper, token).await.0, 200);
    // No token, no session.
    let anonymous = client().get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);

    // An id the mock never generated: 404 with the documented error body.
    let unknown = format!("{base}/v5/JobSessions/00000000-0000-4000-8000-000000000000");
    let (status, body) = get(&unknown, token).await;
    assert_eq!(status, 404);
    let error: Value = serde_json::from_slice(&body).unwrap();
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("00000000-0000-4000-8000-000000000000")
    );
    let findings = verify(&contract, 404, &body, &unknown);
    assert!(
        findings.iter().all(|f| f.rule == Rule::Status),
        "the 404 body conforms to its schema: {findings:?}"
    );

    // The recorded response, broken: the verifier fails it with rule `schema` at the pointer.
    let mut exploded = served.clone();
    exploded["status"] = json!("Exploded");
    let findings = verify(
        &contract,
        200,
        &serde_json::to_vec(&exploded).unwrap(),
        &url,
    );
    assert!(
        findings
            .iter()
            .any(|f| f.rule == Rule::Schema && f.pointer == "/status"),
        "{findings:?}"
    );
    let mut anonymous_session = served.clone();
    anonymous_session.as_object_mut().unwrap().remove("id");
    let findings = verify(
        &contract,
        200,
        &serde_json::to_vec(&anonymous_session).unwrap(),
        &url,
    );
    assert!(
        findings
            .iter()
            .any(|f| f.rule == Rule::Schema && f.pointer.is_empty() && f.message.contains("id")),
        "{findings:?}"
    );
    server.shutdown().await.unwrap();
}
