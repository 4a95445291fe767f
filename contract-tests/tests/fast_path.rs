//! The fast path for valid 200 responses gives the verdicts of the full path: the same
//! findings (rule, severity, pointer, message, position, snippet), the same session count and
//! the same walk facts, page by page and across walks, on generated pages, on pages broken by
//! every mutation operator and by the rules' own breakages, and on every recorded fixture.
//! `Verifier::with_fast_path(false)` forces the full path; `Verifier::fast_verdict` is the fast
//! path alone, so the tests also check that it does vouch for the valid pages (an always-"not
//! sure" fast path would agree trivially).
//!
//! Case counts come from `PROPTEST_CASES`; failures persist in
//! `proptest-regressions/fast_path.txt`.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use proptest::test_runner::FileFailurePersistence;
use serde_json::Value;
use vbo_contract::generate::{GeneratedPage, Generator, GeneratorMode};
use vbo_contract::mutate::{self, Mutation};
use vbo_contract::{
    ContentType, Contract, Finding, PageFacts, Request, Response, Verdict, Verifier, Walk, recorded,
};

static CONTRACT: LazyLock<Contract> =
    LazyLock::new(|| Contract::embedded().expect("the embedded contract loads"));
static GENERATOR: LazyLock<Generator> =
    LazyLock::new(|| Generator::new(&CONTRACT).expect("generators derive from the contract"));

fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/fast_path.txt",
        ))),
        max_shrink_iters: 20_000,
        ..ProptestConfig::default()
    }
}

/// What a verdict says, comparably.
type Said = (Vec<Finding>, usize, Option<PageFacts>);

fn said(verdict: Verdict) -> Said {
    (verdict.findings, verdict.sessions, verdict.facts)
}

fn verifier(fast: bool) -> Verifier<'static> {
    Verifier::new(&CONTRACT).with_fast_path(fast)
}

/// Verifies pages as one walk (each page, then the walk's close on the last).
fn walk(pages: &[(Vec<u8>, Request)], fast: bool) -> Vec<Said> {
    let verifier = verifier(fast);
    let mut walk = Walk::new(Some(0));
    let mut out: Vec<Said> = pages
        .iter()
        .map(|(bytes, request)| {
            said(verifier.verify_in_walk(&Response::body(bytes), request, &mut walk))
        })
        .collect();
    if let Some(last) = out.last_mut() {
        walk.finish(&mut last.0);
    }
    out
}

fn describe(said: &[Said]) -> String {
    said.iter()
        .enumerate()
        .map(|(i, (findings, sessions, _))| {
            let rules: Vec<String> = findings
                .iter()
                .map(|f| format!("{} {}", f.rule.id(), f.pointer))
                .collect();
            format!("page {i}: {sessions} sessions, {rules:?}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The two paths agree on `pages` as a walk and on each page alone.
fn agree(pages: &[(Vec<u8>, Request)]) -> Result<(), TestCaseError> {
    let (fast, full) = (walk(pages, true), walk(pages, false));
    prop_assert!(
        fast == full,
        "the fast path disagrees with the full path\nfast:\n{}\nfull:\n{}\nfirst page: {}",
        describe(&fast),
        describe(&full),
        String::from_utf8_lossy(&pages[0].0)
    );
    for (bytes, request) in pages {
        let response = Response::body(bytes);
        let fast = said(verifier(true).verify(&response, request));
        let full = said(verifier(false).verify(&response, request));
        prop_assert!(fast == full, "alone: fast {:?} full {:?}", fast.0, full.0);
        if let Some(quick) = verifier(true).fast_verdict(&response, request) {
            prop_assert!(
                full.0.is_empty(),
                "the fast path vouched for a page with findings"
            );
            prop_assert_eq!(said(quick), full);
        }
    }
    Ok(())
}

fn encoded(pages: &[GeneratedPage]) -> Vec<(Vec<u8>, Request)> {
    pages.iter().map(|p| (p.bytes(), p.request())).collect()
}

/// The single-response rules' own breakages, and things the plan treats with doubt, made to
/// a generated page (its body or its request).
fn perturb(page: &mut GeneratedPage, request: &mut Request, kind: u8, pick: u64) -> Vec<u8> {
    let count = page.body["results"].as_array().map_or(0, Vec::len);
    let at = (pick as usize) % count.max(1);
    let here = format!("/results/{at}");
    fn session<'p>(page: &'p mut GeneratedPage, here: &str) -> Option<&'p mut Value> {
        page.body.pointer_mut(here)
    }
    match kind {
        // echo-mismatch, job-link-mismatch, no request at all.
        0 => request.offset = request.offset.map(|o| o + 1 + pick % 3),
        1 => request.limit = request.limit.map(|l| l + 1),
        2 => *request = Request::for_job("5ed0f0a5-0000-4000-8000-000000000000"),
        3 => *request = Request::default(),
        // end-before-creation, end-while-running.
        4 => {
            if let Some(Value::Object(s)) = session(page, &here) {
                let created = s.get("creationTime").cloned();
                s.insert(
                    "creationTime".into(),
                    s.get("endTime").cloned().unwrap_or(Value::Null),
                );
                s.insert("endTime".into(), created.unwrap_or(Value::Null));
            }
        }
        5 => {
            if let Some(Value::Object(s)) = session(page, &here) {
                let status = if pick & 1 == 0 { "Running" } else { "Queued" };
                s.insert("status".into(), status.into());
                s.entry("endTime").or_insert("2020-12-13T22:02:17Z".into());
            }
        }
        // self-link-mismatch, a next link that leaves the collection.
        6 => {
            if let Some(href) = page
                .body
                .pointer_mut(&format!("/results/{at}/_links/self/href"))
            {
                *href = "/v5/JobSessions/not-this-one".into();
            }
        }
        7 => {
            if let Some(links) = page.body.get_mut("_links").and_then(Value::as_object_mut) {
                links.insert(
                    "next".into(),
                    serde_json::json!({"href": "/v5/Jobs?offset=1"}),
                );
            }
        }
        // duplicate-session-id on the page, in another case.
        8 => {
            if count >= 2
                && let Some(id) = page.body["results"][0]["id"]
                    .as_str()
                    .map(str::to_uppercase)
            {
                page.body["results"][count - 1]["id"] = id.into();
            }
        }
        // Numbers the plan leaves to the full path: `1.0`, `-0`, exponents.
        9 => {
            let bytes = page.bytes();
            let text = String::from_utf8(bytes).unwrap();
            let number = ["1.0", "-0", "1e1", "0.0"][(pick % 4) as usize];
            return text
                .replacen("\"offset\":", &format!("\"offset\":{number},\"x\":"), 1)
                .into_bytes();
        }
        // A repeated key.
        10 => {
            let text = String::from_utf8(page.bytes()).unwrap();
            return text.replacen('{', "{\"limit\":1,", 1).into_bytes();
        }
        // Unknown members, nulls where they are allowed, a null next link.
        11 => {
            if let Some(Value::Object(s)) = session(page, &here) {
                s.insert("extra".into(), serde_json::json!({"a": [1, "b", null]}));
                s.insert("endTime".into(), Value::Null);
                s.insert("status".into(), "Failed".into());
            }
            if let Some(links) = page.body.get_mut("_links").and_then(Value::as_object_mut) {
                links.insert("next".into(), Value::Null);
            }
        }
        // A byte changed anywhere.
        _ => {
            let mut bytes = page.bytes();
            let i = (pick as usize) % bytes.len().max(1);
            if let Some(b) = bytes.get_mut(i) {
                *b = (pick >> 32) as u8;
            }
            return bytes;
        }
    }
    page.bytes()
}

/// The pages a mutation works on: one page, or a walk for the walk rules.
fn pages_for(mutation: Mutation) -> BoxedStrategy<Vec<GeneratedPage>> {
    if mutation.needs_walk() {
        GENERATOR.walk_strategy().prop_map(|w| w.pages).boxed()
    } else {
        GENERATOR.page_strategy().prop_map(|p| vec![p]).boxed()
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn generated_pages_take_the_fast_path_and_agree(page in GENERATOR.page_strategy()) {
        let bytes = page.bytes();
        let fast = verifier(true).fast_verdict(&Response::body(&bytes), &page.request());
        prop_assert!(fast.is_some(), "the fast path did not vouch for a valid page: {}", page.body);
        agree(&[(bytes, page.request())])?;
    }

    #[test]
    fn generated_walks_agree(w in GENERATOR.walk_strategy()) {
        agree(&encoded(&w.pages))?;
    }

    #[test]
    fn perturbed_pages_agree(
        mut page in GENERATOR.page_strategy(),
        kind in 0u8..13,
        pick in any::<u64>(),
    ) {
        let mut request = page.request();
        let bytes = perturb(&mut page, &mut request, kind, pick);
        agree(&[(bytes, request)])?;
    }

    #[test]
    fn realistic_pages_take_the_fast_path_and_agree(seed in any::<u64>(), offset in 0u64..500, limit in 1u64..60) {
        let generator = GENERATOR.clone().with_mode(GeneratorMode::Realistic)
            .with_base_url("https://vbo01.example.local:4443");
        let job = generator.job_ids(seed, 1).remove(0);
        let body = generator.page(seed, &job, offset, limit, offset + limit + 1);
        let bytes = serde_json::to_vec(&body).unwrap();
        let request = Request::for_job(job).with_page(Some(offset), Some(limit));
        prop_assert!(verifier(true).fast_verdict(&Response::body(&bytes), &request).is_some(), "{body}");
        agree(&[(bytes, request)])?;
    }

    #[test]
    fn headers_and_statuses_agree(
        page in GENERATOR.page_strategy(),
        status in prop::sample::select(vec![200u16, 201, 204, 301, 404, 500]),
        content_type in prop::sample::select(vec![
            None, Some(""), Some("application/json"), Some("application/json; charset=utf-8"),
            Some("application/json; charset=latin1"), Some("text/html"),
        ]),
    ) {
        let bytes = page.bytes();
        let response = Response {
            status,
            content_type: content_type.map_or(ContentType::Missing, ContentType::Value),
            body: &bytes,
            location: None,
        };
        let fast = said(verifier(true).verify(&response, &page.request()));
        let full = said(verifier(false).verify(&response, &page.request()));
        prop_assert_eq!(fast, full);
    }
}

/// Applies `mutation` (where the pages offer a place) and requires the two paths to agree.
fn mutated_agree(
    mutation: Mutation,
    pages: &mut [GeneratedPage],
    pick: u64,
) -> Result<(), TestCaseError> {
    if mutate::mutate(&GENERATOR, pages, mutation, pick).is_none() {
        return Err(TestCaseError::reject("no place for this mutation"));
    }
    agree(&encoded(pages))
}

macro_rules! mutation_agrees {
    ($($name:ident => $mutation:expr;)*) => {
        proptest! {
            #![proptest_config(config(256))]
            $(
                #[test]
                fn $name(mut pages in pages_for($mutation), pick in any::<u64>()) {
                    mutated_agree($mutation, &mut pages, pick)?;
                }
            )*
        }
    };
}

mutation_agrees! {
    drop_required_agrees => Mutation::DropRequired;
    change_type_agrees => Mutation::ChangeType;
    outside_enum_agrees => Mutation::OutsideEnum;
    negative_count_agrees => Mutation::NegativeCount;
    break_uuid_agrees => Mutation::BreakUuid;
    break_date_time_agrees => Mutation::BreakDateTime;
    limit_past_max_agrees => Mutation::LimitPastMax;
    items_beyond_limit_agrees => Mutation::ItemsBeyondLimit;
    duplicate_id_across_pages_agrees => Mutation::DuplicateIdAcrossPages;
    break_offset_sequence_agrees => Mutation::BreakOffsetSequence;
}

#[test]
fn every_mutation_operator_is_compared() {
    // The macro above lists one test per operator; a new operator must be added there.
    assert_eq!(Mutation::ALL.len(), 10);
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    out.sort();
    out
}

#[test]
fn every_fixture_gets_the_same_findings_on_either_path() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut vouched = Vec::new();
    for kind in ["valid", "invalid"] {
        for path in files(&root.join(kind)) {
            let run = |fast: bool| {
                let report = recorded::verify_paths(
                    &verifier(fast),
                    std::slice::from_ref(&path),
                    &mut |_, _| {},
                );
                report
                    .entries
                    .into_iter()
                    .map(|e| (e.sessions, e.findings))
                    .collect::<Vec<_>>()
            };
            let (fast, full) = (run(true), run(false));
            assert!(!full.is_empty(), "{path:?} verified no page");
            assert_eq!(fast, full, "{path:?}");
            if path.extension().is_some_and(|e| e == "json") {
                let bytes = std::fs::read(&path).unwrap();
                let quick =
                    verifier(true).fast_verdict(&Response::body(&bytes), &Request::default());
                if let Some(quick) = quick {
                    let full = verifier(false).verify(&Response::body(&bytes), &Request::default());
                    assert_eq!(said(quick), said(full), "{path:?}");
                    vouched.push(path.file_name().unwrap().to_string_lossy().into_owned());
                }
            }
        }
    }
    // The fast path must vouch for the plain valid pages. Not for the numeric-string one (a
    // tolerated schema failure, worded as a warning) nor the seed's example (its next link
    // leaves the job's collection, a warning).
    for name in [
        "counts-past-2-pow-31.json",
        "empty-last-page.json",
        "every-status-and-bottleneck-spelling.json",
        "extra-unknown-fields.json",
        "running-and-queued-without-end.json",
        "timestamps-seven-digits-offsets-and-uppercase-ids.json",
        "v6-relative-links.json",
    ] {
        assert!(
            vouched.iter().any(|v| v == name),
            "{name} not vouched for: {vouched:?}"
        );
    }
    assert!(
        !vouched
            .iter()
            .any(|v| v.starts_with("numeric-string") || v.starts_with("seed"))
    );
}

/// Every operation of the document, not only the sessions: the job list, and any other 200
/// body, judged the same on both paths (session counts included).
#[test]
fn every_operations_generated_bodies_agree() {
    let mut checked = 0;
    for operation in CONTRACT.operations() {
        let Ok(generator) = Generator::for_operation(operation) else {
            continue;
        };
        for seed in 0..24 {
            let body = generator.body(seed);
            let bytes = body.bytes();
            let request = body.request();
            let response = Response::body(&bytes);
            let fast = said(verifier(true).verify(&response, &request));
            let full = said(verifier(false).verify(&response, &request));
            assert_eq!(fast, full, "{} seed {seed}", operation.id());
            checked += 1;
        }
    }
    assert!(checked >= 24 * 3, "{checked} bodies");
}

#[test]
fn an_end_time_of_any_type_is_an_end_on_either_path_when_the_document_allows_one() {
    // A document whose `endTime` takes any JSON value: a running session with a numeric end
    // breaks no schema, and `end-while-running` looks at any value that is not null.
    let mut document =
        vbo_contract::contract::parse_document(vbo_contract::contract::EMBEDDED_YAML, "embedded")
            .unwrap();
    document["components"]["schemas"]["JobSession"]["properties"]["endTime"] =
        serde_json::json!({});
    let contract = Contract::from_document(document, "embedded, any endTime").unwrap();
    let body = serde_json::json!({
        "offset": 0, "limit": 30,
        "results": [{
            "id": "6a3fa2fb-3a77-4d99-8b5d-b6bd4102ffb1",
            "creationTime": "2024-05-02T10:00:00Z",
            "endTime": 5,
            "status": "Running"
        }]
    });
    let bytes = serde_json::to_vec(&body).unwrap();
    for fast in [true, false] {
        let found: Vec<(&str, String)> = Verifier::new(&contract)
            .with_fast_path(fast)
            .verify(&Response::body(&bytes), &Request::default())
            .findings
            .iter()
            .map(|f| (f.rule.id(), f.pointer.clone()))
            .collect();
        assert_eq!(
            found,
            [("end-while-running", "/results/0/endTime".to_owned())],
            "fast path {fast}"
        );
    }
}
