//! `live::walk_server`: with no job ids, the walk finds the jobs through the operation that
//! lists them (`GET /v5/Jobs`) and walks the sessions of each one; operations whose parameters
//! nothing lists are named in a note, never guessed.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::{Value, json};
use vbo_contract::Exchange;
use vbo_contract::contract::{self, EMBEDDED_YAML};
use vbo_contract::live::{self, PageSource, WalkPlan};
use vbo_contract::report::Report;
use vbo_contract::{Contract, Rule, Verifier};

const JOB_A: &str = "196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5";
const JOB_B: &str = "0a7c41c2-3f0e-4d7e-9a59-2b0c1f4e6d10";

/// The embedded document with `GET /v5/Jobs` (a list of jobs with ids) and
/// `GET /v5/JobSessions/{jobSessionId}` (nothing lists session ids on their own) added.
fn contract() -> Contract {
    let mut document = contract::parse_document(EMBEDDED_YAML, "embedded").unwrap();
    let paths = document["paths"].as_object_mut().unwrap();
    paths.insert(
        "/v5/Jobs".into(),
        json!({ "get": { "operationId": "get_jobs", "responses": { "200": {
            "description": "jobs", "content": { "application/json": { "schema": {
                "type": "array", "items": { "$ref": "#/components/schemas/Job" } } } } } } } }),
    );
    paths.insert(
        "/v5/JobSessions/{jobSessionId}".into(),
        json!({ "get": { "operationId": "get_job_session", "responses": { "200": {
            "description": "one", "content": { "application/json": { "schema": {
                "$ref": "#/components/schemas/JobSession" } } } } } } }),
    );
    document["components"]["schemas"]
        .as_object_mut()
        .unwrap()
        .insert(
            "Job".into(),
            json!({ "type": "object", "required": ["id", "name"], "properties": {
            "id": { "type": "string", "format": "uuid" }, "name": { "type": "string" } } }),
        );
    Contract::from_document(document, "with jobs").unwrap()
}

/// Serves fixed bodies by target, and remembers every target asked for.
struct Fixed {
    bodies: BTreeMap<String, Value>,
    asked: Mutex<Vec<String>>,
}

impl PageSource for Fixed {
    async fn get(&self, target: &str) -> Result<Exchange, String> {
        self.asked.lock().unwrap().push(target.to_owned());
        let (status, body) = match self.bodies.get(target) {
            Some(body) => (200, body.clone()),
            None => (404, json!({ "message": "not here" })),
        };
        Ok(Exchange::get(
            format!("https://vbo.test{target}"),
            status,
            vec![(
                "Content-Type".into(),
                "application/json; charset=utf-8".into(),
            )],
            serde_json::to_vec(&body).unwrap(),
        ))
    }
}

fn session(job: &str, n: u8) -> Value {
    json!({
        "id": format!("6a3fa2fb-3a77-4d99-8b5d-0000000000{n:02}"),
        "creationTime": "2020-12-13T22:00:00Z",
        "endTime": "2020-12-13T22:02:00Z",
        "status": "Success",
        "_links": { "job": { "href": format!("/v5/Jobs/{job}") } }
    })
}

fn page(offset: u64, sessions: Vec<Value>) -> Value {
    json!({ "offset": offset, "limit": 2, "results": sessions })
}

fn source(jobs: Value) -> Fixed {
    let sessions = |job: &str| format!("/v5/Jobs/{job}/JobSessions");
    let bodies = BTreeMap::from([
        ("/v5/Jobs".to_owned(), jobs),
        (format!("{}?offset=0&limit=2", sessions(JOB_A)), {
            let mut first = page(0, vec![session(JOB_A, 1), session(JOB_A, 2)]);
            first["_links"] =
                json!({ "next": { "href": format!("{}?offset=2&limit=2", sessions(JOB_A)) } });
            first
        }),
        (
            format!("{}?offset=2&limit=2", sessions(JOB_A)),
            page(2, vec![session(JOB_A, 3)]),
        ),
        (
            format!("{}?offset=0&limit=2", sessions(JOB_B)),
            page(0, vec![session(JOB_B, 4)]),
        ),
    ]);
    Fixed {
        bodies,
        asked: Mutex::default(),
    }
}

fn walk(contract: &Contract, source: &Fixed) -> Report {
    let plan = WalkPlan {
        page_size: 2,
        ..WalkPlan::default()
    };
    let mut report = Report::default();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(live::walk_server(
            &Verifier::new(contract),
            source,
            plan,
            &mut report,
            &mut (),
        ));
    report
}

#[test]
fn every_listed_job_is_walked_after_the_listing_in_order() {
    let contract = contract();
    let jobs = json!([{ "id": JOB_A, "name": "Daily" }, { "id": JOB_B, "name": "Weekly" }]);
    let source = source(jobs);
    let report = walk(&contract, &source);
    assert_eq!(
        *source.asked.lock().unwrap(),
        [
            "/v5/Jobs".to_owned(),
            format!("/v5/Jobs/{JOB_A}/JobSessions?offset=0&limit=2"),
            format!("/v5/Jobs/{JOB_A}/JobSessions?offset=2&limit=2"),
            format!("/v5/Jobs/{JOB_B}/JobSessions?offset=0&limit=2"),
        ]
    );
    assert_eq!(report.pages(), 4, "the listing and three pages");
    assert_eq!(
        report.sessions(),
        4,
        "four sessions (the jobs are not counted as sessions)"
    );
    assert!(
        report.findings().next().is_none(),
        "{:?}",
        report.findings().collect::<Vec<_>>()
    );
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("GET /v5/JobSessions/{jobSessionId}") && n.contains("jobSessionId")),
        "{:?}",
        report.notes
    );
    assert!(report.input_problems.is_empty());
}

#[test]
fn a_broken_listing_is_reported_and_its_readable_ids_still_walked() {
    let contract = contract();
    // The second job has no name: a schema error on the listing, and the job is still walked.
    let jobs = json!([{ "id": JOB_A, "name": "Daily" }, { "id": JOB_B }, { "id": JOB_A, "name": "Again" }]);
    let source = source(jobs);
    let report = walk(&contract, &source);
    let findings: Vec<_> = report
        .findings()
        .map(|f| (f.rule, f.pointer.clone(), f.operation.clone()))
        .collect();
    assert_eq!(
        findings,
        [
            (
                Rule::Schema,
                "/1".to_owned(),
                Some("GET /v5/Jobs".to_owned())
            ),
            (
                Rule::DuplicateId,
                "/2/id".to_owned(),
                Some("GET /v5/Jobs".to_owned())
            ),
        ]
    );
    // Each job once, although the listing named one twice.
    assert_eq!(source.asked.lock().unwrap().len(), 4);
}

#[test]
fn ids_from_a_hostile_listing_stay_one_path_segment_of_the_collection() {
    let contract = contract();
    let jobs = json!([
        { "id": "..", "name": "up" },
        { "id": "a/../../Token", "name": "slash" },
        { "id": "x?offset=9#f", "name": "query" },
        { "id": "", "name": "empty" }
    ]);
    let source = source(jobs);
    let report = walk(&contract, &source);
    let asked = source.asked.lock().unwrap().clone();
    assert_eq!(
        asked,
        [
            "/v5/Jobs".to_owned(),
            "/v5/Jobs/a%2F..%2F..%2FToken/JobSessions?offset=0&limit=2".to_owned(),
            "/v5/Jobs/x%3Foffset%3D9%23f/JobSessions?offset=0&limit=2".to_owned(),
        ],
        "no request leaves the job's collection"
    );
    // The dot segment and the empty id are input problems, not requests.
    assert_eq!(
        report.input_problems.len(),
        2,
        "{:?}",
        report.input_problems
    );
}

#[test]
fn a_walked_job_s_links_are_judged_against_that_job() {
    let contract = contract();
    let jobs = json!([{ "id": JOB_A, "name": "Daily" }, { "id": JOB_B, "name": "Weekly" }]);
    let mut source = source(jobs);
    // Job B's one page lists a session of job A, and a next link into job A's collection.
    let mut wrong = page(0, vec![session(JOB_A, 4)]);
    wrong["_links"] =
        json!({ "next": { "href": format!("/v5/Jobs/{JOB_A}/JobSessions?offset=2&limit=2") } });
    source.bodies.insert(
        format!("/v5/Jobs/{JOB_B}/JobSessions?offset=0&limit=2"),
        wrong,
    );
    let report = walk(&contract, &source);
    let findings: Vec<_> = report
        .findings()
        .map(|f| (f.rule, f.pointer.clone()))
        .collect();
    assert_eq!(
        findings,
        [
            (
                Rule::JobLinkMismatch,
                "/results/0/_links/job/href".to_owned()
            ),
            (Rule::NextLeavesCollection, "/_links/next/href".to_owned()),
        ]
    );
}
