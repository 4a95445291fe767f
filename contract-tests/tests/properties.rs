//! Property-based contract tests: pages and walks generated from the contract's schema verify
//! clean and survive the typed client; every mutation operator is caught at the place it was
//! made; the verifier never panics.
//!
//! Case counts come from `PROPTEST_CASES` (default per test below, sized so the suite runs in
//! about a minute on two cores in the dev profile). With `CI` set the RNG seed is fixed, so CI
//! runs the same cases every time; failures persist in `proptest-regressions/properties.txt`,
//! which is committed and replayed first on every run.

use std::sync::LazyLock;

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use proptest::test_runner::{FileFailurePersistence, RngAlgorithm, RngSeed};
use serde_json::Value;
use vbo_contract::generate::{GeneratedPage, GeneratedWalk, Generator};
use vbo_contract::mutate::{self, Mutation};
use vbo_contract::{ContentType, Contract, Finding, Options, Response, Rule, Verifier, Walk};

static CONTRACT: LazyLock<Contract> =
    LazyLock::new(|| Contract::embedded().expect("the embedded contract loads"));
static GENERATOR: LazyLock<Generator> =
    LazyLock::new(|| Generator::new(&CONTRACT).expect("generators derive from the contract"));

/// The suite's proptest configuration: `default_cases` unless `PROPTEST_CASES` says otherwise.
fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    let fixed = std::env::var_os("CI").is_some();
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/properties.txt",
        ))),
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: if fixed {
            RngSeed::Fixed(0x00c0_ffee_5eed)
        } else {
            RngSeed::Random
        },
        // Pages hold dozens of values; shrinking one to a minimal case takes thousands of steps.
        max_shrink_iters: 50_000,
        max_shrink_time: 60_000,
        ..ProptestConfig::default()
    }
}

/// Verifies every page of a walk in order and closes it; the findings of each page.
fn verify_walk(pages: &[GeneratedPage]) -> Vec<Vec<Finding>> {
    let verifier = Verifier::new(&CONTRACT);
    let mut walk = Walk::new(Some(0));
    let mut out: Vec<Vec<Finding>> = pages
        .iter()
        .map(|page| {
            let bytes = page.bytes();
            verifier
                .verify_in_walk(&Response::body(&bytes), &page.request(), &mut walk)
                .findings
        })
        .collect();
    if let Some(last) = out.last_mut() {
        walk.finish(last);
    }
    out
}

fn describe(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("{} {} {}", f.rule.id(), f.pointer, f.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// What a page means, independent of representation: uuids in lower case, timestamps as
/// instants (chrono writes 9 fractional digits where servers write 7), nulls of optional
/// properties as absent.
fn meaning(value: &Value) -> Value {
    match value {
        Value::String(text) => {
            if let Ok(id) = text.parse::<uuid::Uuid>() {
                Value::String(id.to_string())
            } else if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
                Value::String(format!(
                    "instant:{}",
                    t.timestamp_nanos_opt().unwrap_or_default()
                ))
            } else {
                value.clone()
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(meaning).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), meaning(v)))
                .collect(),
        ),
        _ => value.clone(),
    }
}

/// Any JSON value, nested a few levels.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("results"),
            Just("offset"),
            Just("limit"),
            Just("_links"),
            Just("next"),
            Just("href"),
            Just("id"),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("results".to_owned()),
                    Just("offset".to_owned()),
                    Just("limit".to_owned()),
                    Just("_links".to_owned()),
                    Just("next".to_owned()),
                    Just("self".to_owned()),
                    Just("href".to_owned()),
                    Just("id".to_owned()),
                    Just("status".to_owned()),
                    Just("creationTime".to_owned()),
                    Just("endTime".to_owned()),
                    Just("statistics".to_owned()),
                    "[a-z]{1,6}",
                ],
                inner,
                0..6,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(config(2048))]

    #[test]
    fn generated_pages_verify_with_no_findings(page in GENERATOR.page_strategy()) {
        let bytes = page.bytes();
        let verdict = Verifier::new(&CONTRACT).verify(&Response::body(&bytes), &page.request());
        prop_assert!(verdict.findings.is_empty(), "{}\n{}", describe(&verdict.findings), page.body);
        prop_assert_eq!(verdict.sessions, page.body["results"].as_array().map_or(0, Vec::len));
    }

    #[test]
    fn a_short_generated_page_is_the_collection_s_last(page in GENERATOR.page_strategy()) {
        // No next link, and a total (when the page has one) that ends with this page.
        let count = page.body["results"].as_array().map_or(0, Vec::len) as u64;
        if count < page.limit {
            prop_assert!(page.body["_links"].get("next").is_none(), "{}", page.body);
            if let Some(total) = page.body.get("totalCount").and_then(Value::as_u64) {
                prop_assert_eq!(total, page.offset + count, "{}", page.body);
            }
        }
    }

    #[test]
    fn generated_pages_round_trip_through_the_client_types(page in GENERATOR.page_strategy()) {
        let typed: vbo_client::types::JobSessionPage = serde_json::from_value(page.body.clone())
            .map_err(|e| TestCaseError::fail(format!("{e}\n{}", page.body)))?;
        let back = serde_json::to_vec(&typed).expect("typed pages serialise");
        let verdict = Verifier::new(&CONTRACT).verify(&Response::body(&back), &page.request());
        prop_assert!(verdict.findings.is_empty(), "{}", describe(&verdict.findings));
        let back: Value = serde_json::from_slice(&back).expect("serde_json reads its own output");
        prop_assert_eq!(meaning(&back), meaning(&page.body));
    }
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn generated_walks_verify_with_no_findings(walk in GENERATOR.walk_strategy()) {
        let findings = verify_walk(&walk.pages);
        for (number, page) in findings.iter().enumerate() {
            prop_assert!(page.is_empty(), "page {number}: {}\n{}", describe(page), walk.pages[number].body);
        }
        assert_walk_shape(&walk)?;
    }

    #[test]
    fn the_verifier_never_panics_on_arbitrary_json(value in any_json()) {
        let bytes = serde_json::to_vec(&value).expect("values serialise");
        let verifier = Verifier::new(&CONTRACT);
        let _ = verifier.verify(&Response::body(&bytes), &Default::default());
        let mut walk = Walk::new(Some(0));
        let _ = verifier.verify_in_walk(&Response::body(&bytes), &Default::default(), &mut walk);
        let _ = verifier.verify_in_walk(&Response::body(&bytes), &Default::default(), &mut walk);
        walk.finish(&mut Vec::new());
    }

    #[test]
    fn the_verifier_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = Verifier::new(&CONTRACT).verify(&Response::body(&bytes), &Default::default());
    }

    #[test]
    fn the_verifier_never_panics_on_damaged_pages(
        page in GENERATOR.page_strategy(),
        cut in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut bytes = page.bytes();
        let at = cut.index(bytes.len());
        bytes[at] = byte;
        let verifier = Verifier::new(&CONTRACT);
        let _ = verifier.verify(&Response::body(&bytes), &page.request());
        let _ = verifier.verify(&Response::body(&bytes[..at]), &page.request());
    }
}

/// The walk itself obeys what the generator promises: offsets advance by limit, only the last
/// page lacks `next`, ids are unique, `next` stays in the job's collection.
fn assert_walk_shape(walk: &GeneratedWalk) -> Result<(), TestCaseError> {
    let mut ids = std::collections::HashSet::new();
    for (i, page) in walk.pages.iter().enumerate() {
        prop_assert_eq!(page.body["offset"].as_u64(), Some(i as u64 * page.limit));
        let next = page
            .body
            .pointer("/_links/next/href")
            .and_then(Value::as_str);
        prop_assert_eq!(next.is_some(), i + 1 < walk.pages.len());
        if let Some(next) = next {
            let want = format!(
                "/v5/Jobs/{}/JobSessions?offset={}&limit={}",
                walk.job_id,
                page.offset + page.limit,
                page.limit
            );
            prop_assert!(next.ends_with(&want), "{next} does not end with {want}");
        }
        for session in page.body["results"].as_array().into_iter().flatten() {
            let id = session["id"]
                .as_str()
                .unwrap_or_default()
                .to_ascii_lowercase();
            prop_assert!(ids.insert(id), "duplicate id in {}", page.body);
        }
    }
    Ok(())
}

/// Applies `mutation` to a generated page (or walk) and requires its finding at its pointer.
fn caught(mutation: Mutation, pages: &mut [GeneratedPage], pick: u64) -> Result<(), TestCaseError> {
    let Some(expect) = mutate::mutate(&GENERATOR, pages, mutation, pick) else {
        return Err(TestCaseError::reject("no place for this mutation"));
    };
    let findings = verify_walk(pages);
    let page = &findings[expect.page];
    prop_assert!(
        page.iter()
            .any(|f| f.rule == expect.rule && f.pointer == expect.pointer),
        "{mutation} ({}) not reported as {} at {:?}; findings:\n{}\npage: {}",
        expect.change,
        expect.rule.id(),
        expect.pointer,
        describe(page),
        pages[expect.page].body
    );
    Ok(())
}

/// The pages a mutation works on: one page, or the pages of a walk for the walk rules. Only
/// what the mutation uses is generated, so shrinking spends its iterations on it.
fn pages_for(mutation: Mutation) -> BoxedStrategy<Vec<GeneratedPage>> {
    if mutation.needs_walk() {
        GENERATOR.walk_strategy().prop_map(|w| w.pages).boxed()
    } else {
        GENERATOR.page_strategy().prop_map(|p| vec![p]).boxed()
    }
}

macro_rules! mutation_is_caught {
    ($($name:ident => $mutation:expr;)*) => {
        proptest! {
            #![proptest_config(config(384))]
            $(
                #[test]
                fn $name(mut pages in pages_for($mutation), pick in any::<u64>()) {
                    caught($mutation, &mut pages, pick)?;
                }
            )*
        }
    };
}

mutation_is_caught! {
    dropped_required_property_is_reported_as_schema => Mutation::DropRequired;
    changed_type_is_reported_as_schema => Mutation::ChangeType;
    value_outside_enum_is_reported_as_schema => Mutation::OutsideEnum;
    negative_count_is_reported_as_schema => Mutation::NegativeCount;
    broken_uuid_is_reported_as_schema => Mutation::BreakUuid;
    broken_date_time_is_reported_as_schema => Mutation::BreakDateTime;
    limit_past_maximum_is_reported_as_schema => Mutation::LimitPastMax;
    items_beyond_limit_are_reported_as_results_over_limit => Mutation::ItemsBeyondLimit;
    id_repeated_across_pages_is_reported_as_duplicate_session_id => Mutation::DuplicateIdAcrossPages;
    broken_offset_sequence_is_reported_as_offset_sequence => Mutation::BreakOffsetSequence;
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn a_broken_offset_sequence_moves_one_offset_by_at_most_a_page(
        mut pages in pages_for(Mutation::BreakOffsetSequence),
        pick in any::<u64>(),
    ) {
        // The plausible bug is an offset off by part of a page, either way, not one far off.
        let before: Vec<u64> = pages.iter().map(|p| p.offset).collect();
        let Some(expect) = mutate::mutate(&GENERATOR, &mut pages, Mutation::BreakOffsetSequence, pick) else {
            return Err(TestCaseError::reject("no place for this mutation"));
        };
        let page = &pages[expect.page];
        let moved = page.body["offset"].as_u64().unwrap().abs_diff(before[expect.page]);
        prop_assert!(
            (1..=page.limit.max(1)).contains(&moved),
            "{} moved the offset by {moved} on a page of limit {}", expect.change, page.limit
        );
    }

    #[test]
    fn a_negative_count_is_a_small_negative_number(
        mut pages in pages_for(Mutation::NegativeCount),
        pick in any::<u64>(),
    ) {
        // The plausible bug is a count gone below zero (-1 for "unknown"), not a huge one.
        let Some(expect) = mutate::mutate(&GENERATOR, &mut pages, Mutation::NegativeCount, pick) else {
            return Err(TestCaseError::reject("no count on this page"));
        };
        let count = pages[expect.page].body.pointer(&expect.pointer).and_then(Value::as_i64);
        prop_assert!(
            count.is_some_and(|n| (-1000..=-1).contains(&n)),
            "{} made {count:?}", expect.change
        );
    }
}

#[test]
fn every_mutation_operator_has_a_test() {
    // The macro above lists one test per operator; a new operator must be added there.
    assert_eq!(Mutation::ALL.len(), 10);
    for m in Mutation::ALL {
        assert_eq!(m.id().parse::<Mutation>().ok(), Some(*m));
        assert_eq!(m.to_string(), m.id());
    }
}

/// A status code: the ones servers send most, then any at all.
fn any_status() -> impl Strategy<Value = u16> {
    prop_oneof![
        3 => prop::sample::select(vec![200u16, 400, 401, 403, 404, 429, 500, 502, 503, 504]),
        1 => 100u16..=599,
        1 => any::<u16>(),
    ]
}

/// How a response's `Content-Type` is known: not recorded, missing, or some value.
#[derive(Debug, Clone)]
enum AnyContentType {
    NotRecorded,
    Missing,
    Value(String),
}

fn any_content_type() -> impl Strategy<Value = AnyContentType> {
    prop_oneof![
        Just(AnyContentType::NotRecorded),
        Just(AnyContentType::Missing),
        prop::sample::select(vec![
            "application/json; charset=utf-8",
            "application/json",
            "Application/JSON;charset=\"UTF-8\"",
            "application/json; charset=iso-8859-1",
            "application/problem+json",
            "text/html; charset=utf-8",
            "text/plain",
            "",
            ";",
            "application/json; charset",
        ])
        .prop_map(|v| AnyContentType::Value(v.to_owned())),
        ".{0,40}".prop_map(AnyContentType::Value),
    ]
}

/// A body as servers send them: pages, error objects, OAuth errors, HTML, text, any JSON,
/// and bytes that are not text at all.
fn any_body() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        GENERATOR.page_strategy().prop_map(|p| p.bytes()),
        any_json().prop_map(|message| serde_json::to_vec(&serde_json::json!({"message": message})).unwrap()),
        ".{0,60}".prop_map(|m| serde_json::to_vec(&serde_json::json!({"message": m})).unwrap()),
        Just(br#"{"error":"invalid_grant","error_description":"The user name or password is incorrect."}"#.to_vec()),
        ".{0,80}".prop_map(|t| format!("<html><body><h1>{t}</h1></body></html>").into_bytes()),
        ".{0,80}".prop_map(String::into_bytes),
        any_json().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        prop::collection::vec(any::<u8>(), 0..256),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(config(1024))]

    /// Every path of `verify`: any status, any content type, any body. It never panics, a
    /// non-200 is one `status` finding and never a page of a walk, a content type that is
    /// not JSON in UTF-8 is reported, and every finding is well formed.
    #[test]
    fn the_verifier_never_panics_on_any_response(
        status in any_status(),
        content_type in any_content_type(),
        body in any_body(),
        location in proptest::option::of(".{0,40}"),
    ) {
        let content_type_ref = match &content_type {
            AnyContentType::NotRecorded => ContentType::NotRecorded,
            AnyContentType::Missing => ContentType::Missing,
            AnyContentType::Value(v) => ContentType::Value(v),
        };
        let response = Response {
            status,
            content_type: content_type_ref,
            body: &body,
            location: location.as_deref(),
        };
        let redirect = (300..400).contains(&status);
        let verifier = Verifier::new(&CONTRACT);
        let masked = verifier.with_options(Options { mask_values: true });
        for verifier in [verifier, masked] {
            let verdict = verifier.verify(&response, &Default::default());
            let mut walk = Walk::new(Some(0));
            let in_walk = verifier.verify_in_walk(&response, &Default::default(), &mut walk);
            walk.finish(&mut Vec::new());
            let statuses = verdict.findings.iter().filter(|f| f.rule == Rule::Status).count();
            prop_assert_eq!(statuses, usize::from(status != 200 && !redirect), "{}", describe(&verdict.findings));
            if redirect {
                // A redirect is reported as such and nothing else of it is judged.
                let rules: Vec<_> = verdict.findings.iter().map(|f| f.rule).collect();
                prop_assert_eq!(rules, vec![Rule::Redirect]);
            }
            if status != 200 {
                prop_assert!(verdict.facts.is_none());
                prop_assert_eq!(verdict.sessions, 0);
                prop_assert_eq!(walk.pages(), 0, "an error response is no page of a walk");
            }
            let wrong_type = match &content_type {
                AnyContentType::NotRecorded => false,
                AnyContentType::Missing => true,
                AnyContentType::Value(v) => {
                    let v = v.to_ascii_lowercase().replace(' ', "");
                    !(v == "application/json"
                        || v == "application/json;charset=utf-8"
                        || v == "application/json;charset=\"utf-8\"")
                }
            };
            let reported = verdict.findings.iter().any(|f| f.rule == Rule::ContentType);
            if wrong_type && !redirect {
                prop_assert!(reported, "{:?} not reported", content_type);
            }
            for finding in verdict.findings.iter().chain(&in_walk.findings) {
                prop_assert!(
                    finding.pointer.is_empty() || finding.pointer.starts_with('/'),
                    "{:?}", finding.pointer
                );
                if let Some(position) = finding.position {
                    prop_assert!(position.line >= 1 && position.column >= 1, "{:?}", position);
                }
            }
        }
    }

    /// Nesting up to a few hundred levels, past serde_json's limit of 128, complete or cut
    /// short, with or without a page around it: never a panic, and a body too deep to parse
    /// is a `json-syntax` finding with a position. (Far deeper nesting is the property in
    /// `tests/pending/deep_nesting.rs`.)
    #[test]
    fn the_verifier_never_panics_on_nesting_a_few_hundred_deep(
        depth in 0usize..300,
        object in any::<bool>(),
        complete in any::<bool>(),
        in_page in any::<bool>(),
    ) {
        let (open, close) = if object { ("{\"a\":", "}") } else { ("[", "]") };
        let mut text = open.repeat(depth) + "1";
        if complete {
            text.push_str(&close.repeat(depth));
        }
        if in_page {
            text = format!(r#"{{"offset":0,"limit":30,"results":[{{"id":{text}}}]}}"#);
        }
        let verdict = Verifier::new(&CONTRACT).verify(&Response::body(text.as_bytes()), &Default::default());
        let nesting = depth + 3 * usize::from(in_page);
        if (depth > 0 && !complete) || nesting > 140 {
            let syntax = verdict.findings.iter().find(|f| f.rule == Rule::JsonSyntax);
            prop_assert!(syntax.is_some_and(|f| f.position.is_some()), "{}", describe(&verdict.findings));
        }
    }
}
