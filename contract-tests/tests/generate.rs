//! The generators follow the contract document, and the seeded API is deterministic and fast.

use std::collections::HashSet;
use std::time::Instant;

use serde_json::{Value, json};
use vbo_contract::generate::{Generator, GeneratorMode};
use vbo_contract::{Contract, Response, Verifier, Walk, contract};

fn embedded() -> Contract {
    Contract::embedded().expect("the embedded contract loads")
}

#[test]
fn a_property_and_an_enum_value_added_to_the_document_are_generated() {
    let mut document = contract::parse_document(contract::EMBEDDED_YAML, "embedded").unwrap();
    let session = document
        .pointer_mut("/components/schemas/JobSession")
        .unwrap();
    session["properties"]["retryCount"] =
        json!({"type": "integer", "format": "int32", "minimum": 0, "maximum": 5});
    session["required"]
        .as_array_mut()
        .unwrap()
        .push(json!("retryCount"));
    document
        .pointer_mut("/components/schemas/JobSessionStatus/enum")
        .unwrap()
        .as_array_mut()
        .unwrap()
        .push(json!("Retrying"));
    let changed = Contract::from_document(document, "changed").unwrap();
    let generator = Generator::new(&changed).unwrap();

    let sessions = generator.sessions(1, "0b8d4a2e-8b47-4d7e-9a4f-56f0f3f0c001", 0..400);
    let statuses: HashSet<&str> = sessions
        .iter()
        .filter_map(|s| s["status"].as_str())
        .collect();
    assert!(statuses.contains("Retrying"), "{statuses:?}");
    for session in &sessions {
        let retries = session["retryCount"].as_i64();
        assert!(matches!(retries, Some(0..=5)), "{session}");
    }
    // And what is generated from the changed document verifies against it, not the original.
    let page = generator.page(1, "0b8d4a2e-8b47-4d7e-9a4f-56f0f3f0c001", 0, 400, 400);
    let bytes = serde_json::to_vec(&page).unwrap();
    let findings = Verifier::new(&changed)
        .verify(&Response::body(&bytes), &Default::default())
        .findings;
    assert!(findings.is_empty(), "{findings:?}");
    let original = embedded();
    let findings = Verifier::new(&original)
        .verify(&Response::body(&bytes), &Default::default())
        .findings;
    assert!(
        findings
            .iter()
            .any(|f| f.rule.id() == "schema" && f.pointer.ends_with("/status")),
        "the original contract rejects `Retrying`"
    );
}

#[test]
fn the_seeded_api_gives_the_same_bytes_for_the_same_seed() {
    let contract = embedded();
    let generator = Generator::new(&contract).unwrap();
    let job = &generator.job_ids(42, 1)[0];
    let a = serde_json::to_vec(&generator.page(42, job, 30, 30, 100)).unwrap();
    let b = serde_json::to_vec(&generator.page(42, job, 30, 30, 100)).unwrap();
    assert_eq!(a, b);
    let c = serde_json::to_vec(&generator.page(43, job, 30, 30, 100)).unwrap();
    assert_ne!(a, c);
    // One session alone is the session of the page.
    assert_eq!(
        generator.session(42, job, 31),
        generator.page(42, job, 30, 30, 100)["results"][1]
    );
}

#[test]
fn a_generated_page_answers_the_request_for_its_job_offset_and_limit() {
    let page = vbo_contract::generate::GeneratedPage {
        job_id: "j".into(),
        offset: 30,
        limit: 10,
        body: json!({}),
    };
    let request = page.request();
    assert_eq!(request.job_id(), Some("j"));
    assert_eq!((request.offset, request.limit), (Some(30), Some(10)));
}

#[test]
fn a_page_s_limit_bounds_come_from_its_schema_and_other_bodies_have_none() {
    // The embedded page schema allows `limit` up to 10,000.
    assert_eq!(Generator::new(&embedded()).unwrap().max_limit(), 10_000);
    let contract = with_more_operations();
    let jobs = Generator::for_operation(contract.operation("get_jobs").unwrap()).unwrap();
    assert_eq!(jobs.max_limit(), 1);
}

#[test]
fn first_pages_drawn_by_the_strategy_verify_and_hold_several_sessions() {
    // A page schema whose `offset` can only be 0: every drawn page is a first page.
    let mut document = contract::parse_document(contract::EMBEDDED_YAML, "embedded").unwrap();
    document["components"]["schemas"]["JobSessionPage"]["properties"]["offset"]["maximum"] =
        json!(0);
    let contract = Contract::from_document(document, "first pages only").unwrap();
    let generator = Generator::new(&contract).unwrap();
    let verifier = Verifier::new(&contract);
    let mut several = 0;
    for seed in 0..32u8 {
        let page = vbo_contract::generate::draw(
            &generator.page_strategy(),
            [seed; vbo_contract::generate::SEED_LEN],
        );
        assert_eq!(page.offset, 0);
        several += usize::from(page.body["results"].as_array().unwrap().len() >= 2);
        let findings = verifier
            .verify(&Response::body(&page.bytes()), &page.request())
            .findings;
        assert!(findings.is_empty(), "seed {seed}: {findings:?}");
    }
    assert!(several > 0);
}

#[test]
fn a_drawn_page_s_total_counts_what_it_holds_and_a_page_more_when_it_links_one() {
    let generator = Generator::new(&embedded()).unwrap();
    let (mut counted, mut linked) = (0, 0);
    for seed in 0..64u8 {
        let page = vbo_contract::generate::draw(
            &generator.page_strategy(),
            [seed; vbo_contract::generate::SEED_LEN],
        );
        let Some(total) = page.body["totalCount"].as_u64() else {
            continue;
        };
        counted += 1;
        let held = page.offset + page.body["results"].as_array().unwrap().len() as u64;
        if page.body.pointer("/_links/next").is_some() {
            linked += 1;
            assert_eq!(total, held + page.limit, "seed {seed}");
        } else {
            assert_eq!(total, held, "seed {seed}");
        }
    }
    assert!(
        counted > 0 && linked > 0,
        "{counted} counted, {linked} linked"
    );
}

#[test]
fn a_seeded_walk_verifies_with_no_findings() {
    let contract = embedded();
    let generator = Generator::new(&contract)
        .unwrap()
        .with_base_url("https://127.0.0.1:4443");
    let verifier = Verifier::new(&contract);
    for (seed, total, limit) in [
        (1u64, 0u64, 30u64),
        (2, 95, 30),
        (3, 90, 30),
        (4, 1000, 250),
    ] {
        let job = generator.job_ids(seed, 2)[1].clone();
        let mut walk = Walk::new(Some(0));
        let mut offset = 0;
        loop {
            let page = generator.page(seed, &job, offset, limit, total);
            let bytes = serde_json::to_vec(&page).unwrap();
            let request =
                vbo_contract::Request::for_job(job.clone()).with_page(Some(offset), Some(limit));
            let verdict = verifier.verify_in_walk(&Response::body(&bytes), &request, &mut walk);
            assert!(verdict.findings.is_empty(), "{:?}", verdict.findings);
            if page.pointer("/_links/next").is_none() {
                break;
            }
            offset += limit;
        }
        let mut last = Vec::new();
        walk.finish(&mut last);
        assert!(last.is_empty(), "{last:?}");
        assert_eq!(walk.pages() as u64, total.div_ceil(limit).max(1));
    }
}

/// The embedded contract with the session's `id` declared as `schema`.
fn with_session_id(schema: Value) -> Contract {
    let mut document = contract::parse_document(contract::EMBEDDED_YAML, "embedded").unwrap();
    document["components"]["schemas"]["JobSession"]["properties"]["id"] = schema;
    Contract::from_document(document, "session ids").unwrap()
}

/// The session ids of two pages of 60 for each of two jobs, and the findings of verifying those
/// pages (a walk per job).
fn ids_of_two_jobs(contract: &Contract, mode: GeneratorMode, seed: u64) -> (Vec<Value>, usize) {
    let generator = Generator::new(contract).unwrap().with_mode(mode);
    let verifier = Verifier::new(contract);
    let (mut ids, mut findings) = (Vec::new(), 0);
    for job in generator.job_ids(seed, 2) {
        let mut walk = Walk::new(Some(0));
        for offset in [0, 60] {
            let page = generator.page(seed, &job, offset, 60, 120);
            let request =
                vbo_contract::Request::for_job(job.clone()).with_page(Some(offset), Some(60));
            let bytes = serde_json::to_vec(&page).unwrap();
            let f = verifier
                .verify_in_walk(&Response::body(&bytes), &request, &mut walk)
                .findings;
            for x in f.iter().take(3) {
                eprintln!("DBG {:?}", x);
            }
            findings += f.len();
            let results = page["results"].as_array().unwrap();
            ids.extend(results.iter().map(|s| s["id"].clone()));
        }
    }
    (ids, findings)
}

fn distinct(ids: &[Value]) -> usize {
    ids.iter()
        .map(Value::to_string)
        .collect::<HashSet<_>>()
        .len()
}

#[test]
fn session_ids_that_are_strings_but_not_uuids_never_repeat_within_or_across_jobs() {
    let contract = with_session_id(json!({ "type": "string" }));
    for mode in [GeneratorMode::Edge, GeneratorMode::Realistic] {
        for seed in 0..4 {
            let (ids, findings) = ids_of_two_jobs(&contract, mode, seed);
            assert_eq!(ids.len(), 240);
            assert_eq!(distinct(&ids), 240, "{mode:?}, seed {seed}");
            assert_eq!(findings, 0, "{mode:?}, seed {seed}");
        }
    }
}

#[test]
fn integer_session_ids_never_repeat_within_or_across_jobs() {
    let contract = with_session_id(json!({ "type": "integer", "minimum": 1 }));
    for mode in [GeneratorMode::Edge, GeneratorMode::Realistic] {
        for seed in 0..4 {
            let (ids, findings) = ids_of_two_jobs(&contract, mode, seed);
            assert!(ids.iter().all(|id| id.as_i64().is_some_and(|n| n >= 1)));
            // Readers that hold numbers as doubles keep them exact.
            assert!(ids.iter().all(|id| id.as_i64().unwrap() <= 1 << 53));
            assert_eq!(distinct(&ids), 240, "{mode:?}, seed {seed}");
            assert_eq!(findings, 0, "{mode:?}, seed {seed}");
        }
    }
}

#[test]
fn integer_session_ids_fill_a_narrow_declared_range_without_repeating() {
    // 120 sessions, 120 allowed ids: every one is used once.
    let contract = with_session_id(json!({ "type": "integer", "minimum": 1000, "maximum": 1119 }));
    for mode in [GeneratorMode::Edge, GeneratorMode::Realistic] {
        let generator = Generator::new(&contract).unwrap().with_mode(mode);
        let job = &generator.job_ids(5, 1)[0];
        let mut ids: Vec<i64> = [0, 60]
            .into_iter()
            .flat_map(|offset| {
                let page = generator.page(5, job, offset, 60, 120);
                let results = page["results"].as_array().unwrap().clone();
                results.into_iter().map(|s| s["id"].as_i64().unwrap())
            })
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, (1000..1120).collect::<Vec<_>>(), "{mode:?}");
    }
}

#[test]
fn generated_values_look_real() {
    let contract = embedded();
    let generator = Generator::new(&contract).unwrap();
    let sessions = generator.sessions(7, "6d9e0c7a-3f43-4a3e-9e4b-0c5d3b1f2a10", 0..2000);
    let texts: Vec<String> = sessions.iter().map(Value::to_string).collect();
    let all = texts.join("\n");
    let times: Vec<&str> = sessions
        .iter()
        .filter_map(|s| s["creationTime"].as_str())
        .collect();
    let digits: HashSet<usize> = times
        .iter()
        .map(|t| {
            t[19..]
                .split(['Z', '+', '-'])
                .next()
                .unwrap()
                .len()
                .saturating_sub(1)
        })
        .collect();
    assert_eq!(digits, (0..=7).collect(), "fractional digits 0..=7");
    assert!(times.iter().any(|t| t.ends_with('Z')));
    assert!(times.iter().any(|t| t.ends_with("-07:00")));
    let ids: Vec<&str> = sessions.iter().filter_map(|s| s["id"].as_str()).collect();
    assert!(
        ids.iter()
            .any(|id| id.bytes().any(|b| b.is_ascii_uppercase()))
    );
    assert!(
        ids.iter()
            .any(|id| id.bytes().any(|b| b.is_ascii_lowercase()))
    );
    assert_eq!(
        ids.iter()
            .map(|i| i.to_ascii_lowercase())
            .collect::<HashSet<_>>()
            .len(),
        ids.len()
    );
    let big = sessions
        .iter()
        .filter_map(|s| s.pointer("/statistics/transferredDataBytes")?.as_i64())
        .filter(|n| *n > i64::from(i32::MAX))
        .count();
    assert!(big > 0, "counts past 2^31");
    for session in &sessions {
        let status = session["status"].as_str().unwrap();
        if matches!(status, "Running" | "Queued") {
            assert!(
                session.get("endTime").is_none_or(Value::is_null),
                "{session}"
            );
        }
    }
    assert!(all.contains("https://") && all.contains("/v5/jobsessions/"));
    assert!(
        all.contains("\"/v6/jobsessions/"),
        "relative v6-style links sometimes"
    );
}

#[test]
fn sessions_generate_quickly() {
    // The dev profile builds this crate unoptimised (about 150 µs a session on one core);
    // `cargo test --release` checks the 100,000 the mock and benchmarks need.
    let (count, budget) = if cfg!(debug_assertions) {
        (20_000, 30)
    } else {
        (100_000, 3)
    };
    let contract = embedded();
    let generator = Generator::new(&contract).unwrap();
    let started = Instant::now();
    let sessions = generator.sessions(9, "c3a6a7c4-5d3f-4b0e-8f3e-1e2d3c4b5a69", 0..count);
    let elapsed = started.elapsed();
    assert_eq!(sessions.len() as u64, count);
    eprintln!("{count} sessions in {elapsed:?}");
    assert!(elapsed.as_secs() < budget, "{elapsed:?}");
}

#[test]
fn realistic_sessions_are_newest_first_with_at_most_an_active_head_and_bounded_counters() {
    let contract = embedded();
    let generator = Generator::new(&contract)
        .unwrap()
        .with_mode(GeneratorMode::Realistic)
        .with_base_url("https://vbo01.example.local:4443");
    let mut active_heads = 0;
    for seed in 0..40u64 {
        let job = generator.job_ids(seed, 1).remove(0);
        let sessions = generator.sessions(seed, &job, 0..150);
        let mut previous = None;
        for (index, session) in sessions.iter().enumerate() {
            let created =
                chrono::DateTime::parse_from_rfc3339(session["creationTime"].as_str().unwrap())
                    .unwrap();
            if let Some(newer) = previous {
                assert!(
                    created < newer,
                    "seed {seed} index {index}: not newest first"
                );
            }
            previous = Some(created);
            let active = matches!(session["status"].as_str(), Some("Running" | "Queued"));
            assert!(!active || index == 0, "seed {seed}: active at {index}");
            active_heads += usize::from(active);
            let mut integers = Vec::new();
            collect_integers(session, &mut integers);
            assert!(
                integers.iter().all(|n| (0..1 << 50).contains(n)),
                "{session}"
            );
            let href = session["_links"]["self"]["href"].as_str().unwrap();
            assert!(href.starts_with("https://vbo01.example.local:4443/v5/jobsessions/"));
        }
        // Pages of realistic data verify clean.
        let page = generator.page(seed, &job, 0, 150, 150);
        let findings = Verifier::new(&contract)
            .verify(
                &Response::body(&serde_json::to_vec(&page).unwrap()),
                &Default::default(),
            )
            .findings;
        assert!(findings.is_empty(), "{findings:?}");
        let keys: HashSet<&str> = page
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            HashSet::from(["offset", "limit", "results", "_links"])
        );
    }
    assert!((1..40).contains(&active_heads), "{active_heads}");
    // The seeded API's default is still the whole schema.
    assert_eq!(
        Generator::new(&contract).unwrap().mode(),
        GeneratorMode::Edge
    );
    assert_eq!(
        Generator::new(&contract)
            .unwrap()
            .with_mode(GeneratorMode::Realistic)
            .mode(),
        GeneratorMode::Realistic
    );
    assert_eq!("edge".parse(), Ok(GeneratorMode::Edge));
    assert_eq!("realistic".parse(), Ok(GeneratorMode::Realistic));
    assert!("odd".parse::<GeneratorMode>().is_err());
}

fn collect_integers(value: &Value, out: &mut Vec<i64>) {
    match value {
        Value::Number(n) => out.push(n.as_i64().unwrap_or(i64::MAX)),
        Value::Array(items) => items.iter().for_each(|v| collect_integers(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_integers(v, out)),
        _ => {}
    }
}

#[test]
fn realistic_data_still_shows_what_the_document_adds() {
    let mut document = contract::parse_document(contract::EMBEDDED_YAML, "embedded").unwrap();
    let session = document
        .pointer_mut("/components/schemas/JobSession")
        .unwrap();
    session["properties"]["retryCount"] =
        json!({"type": "integer", "format": "int64", "minimum": 3});
    session["required"]
        .as_array_mut()
        .unwrap()
        .push(json!("retryCount"));
    document
        .pointer_mut("/components/schemas/JobSessionStatus/enum")
        .unwrap()
        .as_array_mut()
        .unwrap()
        .push(json!("Retrying"));
    let statistics = document
        .pointer_mut("/components/schemas/JobSessionStatistics")
        .unwrap();
    statistics["properties"]["dedupPercent"] =
        json!({"type": "integer", "minimum": 1, "maximum": 99});
    statistics["required"] = json!(["dedupPercent"]);
    let changed = Contract::from_document(document, "changed").unwrap();
    let generator = Generator::new(&changed)
        .unwrap()
        .with_mode(GeneratorMode::Realistic);
    let sessions = generator.sessions(3, "0b8d4a2e-8b47-4d7e-9a4f-56f0f3f0c001", 0..400);
    assert!(sessions.iter().any(|s| s["status"] == "Retrying"));
    for session in &sessions {
        let retries = session["retryCount"].as_i64().unwrap();
        assert!((3..10_000_000).contains(&retries), "{session}");
        // A statistic the document requires is in every statistics object, drawn or made.
        if let Some(statistics) = session.get("statistics") {
            let dedup = statistics["dedupPercent"].as_i64();
            assert!(dedup.is_some_and(|d| (1..=99).contains(&d)), "{session}");
        }
    }
    assert!(
        sessions
            .iter()
            .any(|s| s["statistics"]["dedupPercent"].is_i64())
    );
}

#[test]
fn realistic_sessions_keep_their_job_s_schedule_for_five_years_then_pack_ten_seconds_apart() {
    let contract = embedded();
    let generator = Generator::new(&contract)
        .unwrap()
        .with_mode(GeneratorMode::Realistic);
    let starts = |job_id: &str, range: std::ops::Range<u64>| -> Vec<i64> {
        generator
            .sessions(3, job_id, range)
            .iter()
            .map(|s| {
                chrono::DateTime::parse_from_rfc3339(s["creationTime"].as_str().unwrap())
                    .unwrap()
                    .timestamp()
            })
            .collect()
    };
    let five_years = 5 * 365 * 86_400;
    let mut intervals = HashSet::new();
    for job in 0..8u8 {
        let job_id = format!("0b8d4a2e-8b47-4d7e-9a4f-56f0f3f0c00{job}");
        // The schedule's interval, read off the two newest sessions (a start is jittered by
        // less than a quarter of it).
        let newest = starts(&job_id, 0..2);
        let gap = newest[0] - newest[1];
        let interval = [900, 3600, 4 * 3600, 12 * 3600, 86_400]
            .into_iter()
            .min_by_key(|i: &i64| (i - gap).abs())
            .unwrap();
        intervals.insert(interval);
        let scheduled = (five_years / interval) as u64;
        // The last three scheduled sessions, then three packed ones. Starts are read in whole
        // seconds, so a gap may be a second wider than its jitter allows.
        let edge = starts(&job_id, scheduled - 3..scheduled + 3);
        let gaps: Vec<i64> = edge.windows(2).map(|w| w[0] - w[1]).collect();
        let (on_schedule, packed) = gaps.split_at(3);
        assert!(
            on_schedule
                .iter()
                .all(|g| (interval * 3 / 4 - 1..=interval * 5 / 4 + 1).contains(g)),
            "job {job_id}, every {interval} s: {gaps:?}"
        );
        assert!(
            packed.iter().all(|g| (7..=13).contains(g)),
            "job {job_id}, past {scheduled}: {gaps:?}"
        );
    }
    assert!(
        intervals.len() >= 3,
        "the jobs drew schedules {intervals:?}"
    );
}

#[test]
fn realistic_sessions_start_strictly_earlier_with_each_index_past_the_scheduled_span() {
    let contract = embedded();
    let generator = Generator::new(&contract)
        .unwrap()
        .with_mode(GeneratorMode::Realistic);
    // Past five years of schedule (1,825 daily runs; 175,200 at 15 minutes), sessions are
    // packed ten seconds apart, each one earlier.
    for job in 0..6u8 {
        let job_id = format!("0b8d4a2e-8b47-4d7e-9a4f-56f0f3f0c00{job}");
        for range in [1_815..1_840, 175_190..175_215] {
            let starts: Vec<_> = generator
                .sessions(3, &job_id, range.clone())
                .iter()
                .map(|s| {
                    chrono::DateTime::parse_from_rfc3339(s["creationTime"].as_str().unwrap())
                        .unwrap()
                })
                .collect();
            assert!(
                starts.windows(2).all(|w| w[1] < w[0]),
                "job {job_id} at {range:?}: {starts:?}"
            );
        }
    }
}

#[test]
fn generated_walks_reach_every_way_a_walk_ends_and_only_the_last_page_is_empty() {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;
    let contract = embedded();
    let generator = Generator::new(&contract).unwrap();
    let walks = generator.walk_strategy();
    let mut runner = TestRunner::deterministic();
    let mut endings = HashSet::new();
    for _ in 0..300 {
        let walk = walks.new_tree(&mut runner).unwrap().current();
        let counts: Vec<usize> = walk
            .pages
            .iter()
            .map(|p| p.body["results"].as_array().map_or(0, Vec::len))
            .collect();
        let (last, before) = counts.split_last().expect("a walk has a page");
        let limit = walk.pages[0].limit as usize;
        assert!(
            before.iter().all(|&n| n == limit),
            "a page before the last is not full: {counts:?}"
        );
        let ending = match (*last, before.last()) {
            (0, None) => "no sessions: one empty page",
            (0, Some(_)) => "a full page, then an empty page",
            (n, _) if n == limit => "a full last page",
            _ => "a short last page",
        };
        endings.insert(ending);
    }
    assert_eq!(endings.len(), 4, "{endings:?}");
}

#[test]
fn the_strategies_reach_the_rule_boundaries() {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;
    let contract = embedded();
    let generator = Generator::new(&contract).unwrap();
    let verifier = Verifier::new(&contract);
    let job = "0b8d4a2e-8b47-4d7e-9a4f-56f0f3f0c001".to_owned();
    let page_of = |session: &Value| {
        serde_json::to_vec(&json!({"offset": 0, "limit": 1, "results": [session]})).unwrap()
    };
    let mut runner = TestRunner::deterministic();
    // A session that ends the instant it starts is clean (`end-before-creation` needs `<`).
    let sessions = generator.session_strategy(job.clone());
    let mut equal = 0;
    for _ in 0..400 {
        let session = sessions.new_tree(&mut runner).unwrap().current();
        if session["endTime"].is_string() && session["endTime"] == session["creationTime"] {
            equal += 1;
            let findings = verifier
                .verify(&Response::body(&page_of(&session)), &Default::default())
                .findings;
            assert!(findings.is_empty(), "{session}: {findings:?}");
        }
    }
    assert!(equal > 0, "no session with endTime == creationTime");
    // Running and Queued sessions with an end draw exactly the warning, at the end.
    let active = generator.active_with_end_strategy(job);
    let mut statuses = HashSet::new();
    for _ in 0..200 {
        let session = active.new_tree(&mut runner).unwrap().current();
        statuses.insert(session["status"].as_str().unwrap().to_owned());
        let findings = verifier
            .verify(&Response::body(&page_of(&session)), &Default::default())
            .findings;
        let seen: Vec<_> = findings
            .iter()
            .map(|f| (f.rule.id(), f.severity, f.pointer.as_str()))
            .collect();
        assert_eq!(
            seen,
            [(
                "end-while-running",
                vbo_contract::Severity::Warning,
                "/results/0/endTime"
            )],
            "{session}"
        );
    }
    assert_eq!(
        statuses,
        HashSet::from(["Running".to_owned(), "Queued".to_owned()])
    );
}

/// FNV-1a over bytes: a stable fingerprint across platforms and Rust versions.
fn fingerprint(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[test]
fn the_seeded_bytes_of_both_modes_stay_exactly_as_they_were() {
    // Benchmarks and snapshots depend on these bytes: generalising the generator must not move
    // one of them. The fingerprints were taken before operations other than sessions existed.
    let contract = embedded();
    let mut prints = Vec::new();
    for mode in [GeneratorMode::Realistic, GeneratorMode::Edge] {
        for base in [None, Some("https://127.0.0.1:4443")] {
            let mut generator = Generator::new(&contract).unwrap().with_mode(mode);
            if let Some(base) = base {
                generator = generator.with_base_url(base);
            }
            let job = generator.job_ids(5, 2)[1].clone();
            let page = generator.page(5, &job, 30, 30, 95);
            let envelope = generator.page_envelope(5, &job, 60, 30, 95, 30);
            let sessions = generator.sessions(9, &job, 0..50);
            let mut bytes = serde_json::to_vec(&page).unwrap();
            bytes.extend(serde_json::to_vec(&envelope).unwrap());
            bytes.extend(serde_json::to_vec(&sessions).unwrap());
            let drawn = vbo_contract::generate::draw(
                &(generator.page_strategy(), generator.walk_strategy()),
                [3; vbo_contract::generate::SEED_LEN],
            );
            bytes.extend(serde_json::to_vec(&drawn.0.body).unwrap());
            for page in &drawn.1.pages {
                bytes.extend(serde_json::to_vec(&page.body).unwrap());
            }
            prints.push(format!("{:016x}", fingerprint(&bytes)));
        }
    }
    assert_eq!(prints, PINNED, "{prints:?}");
}

const PINNED: [&str; 4] = [
    "4093c485077ab7da",
    "93f5d282e22464ce",
    "b586f6168fe4df4f",
    "6de108db4b595e3f",
];

/// The embedded document plus `GET /v5/Jobs` (a plain array of `Job`s), one job's settings (an
/// object at a path that does not end with its id) and a paged collection of an unknown
/// schema, in memory.
fn with_more_operations() -> Contract {
    let mut document = contract::parse_document(contract::EMBEDDED_YAML, "embedded").unwrap();
    let ok = |schema: Value| json!({ "description": "ok", "content": { "application/json": { "schema": schema } } });
    document["paths"]["/v5/Jobs"] = json!({ "get": {
        "operationId": "get_jobs",
        "responses": {
            "200": ok(json!({ "type": "array", "items": { "$ref": "#/components/schemas/Job" } })),
            "500": { "$ref": "#/components/responses/Error" }
        }
    } });
    document["paths"]["/v5/Organizations/{organizationId}/Users"] = json!({ "get": {
        "operationId": "get_users",
        "parameters": [{ "name": "organizationId", "in": "path", "required": true, "schema": { "type": "string" } }],
        "responses": {
            "200": ok(json!({ "$ref": "#/components/schemas/UserPage" })),
            "404": { "$ref": "#/components/responses/Error" }
        }
    } });
    // One object whose path ends with its id: its self link is that path.
    document["paths"]["/v5/Jobs/{jobId}"] = json!({ "get": {
        "operationId": "get_job",
        "parameters": [{ "name": "jobId", "in": "path", "required": true, "schema": { "type": "string" } }],
        "responses": { "200": ok(json!({ "$ref": "#/components/schemas/Job" })) }
    } });
    // One object whose path does not end with its id: its self link names the id after it.
    document["paths"]["/v5/Jobs/{jobId}/Settings"] = json!({ "get": {
        "operationId": "get_job_settings",
        "parameters": [{ "name": "jobId", "in": "path", "required": true, "schema": { "type": "string" } }],
        "responses": { "200": ok(json!({ "$ref": "#/components/schemas/JobSettings" })) }
    } });
    let schemas = &mut document["components"]["schemas"];
    schemas["JobSettings"] = json!({
        "type": "object",
        "required": ["id", "_links"],
        "properties": {
            "id": { "type": "string", "format": "uuid" },
            "retainDays": { "type": "integer", "minimum": 1 },
            "_links": { "$ref": "#/components/schemas/Links" }
        }
    });
    schemas["Job"] = json!({
        "type": "object",
        "required": ["id", "name"],
        "properties": {
            "id": { "type": "string", "format": "uuid" },
            "name": { "type": "string" },
            "isEnabled": { "type": "boolean" },
            "lastRun": { "type": "string", "format": "date-time", "nullable": true },
            "_links": { "$ref": "#/components/schemas/Links" }
        }
    });
    schemas["User"] = json!({
        "type": "object",
        "required": ["id"],
        "properties": {
            "id": { "type": "integer", "minimum": 1 },
            "displayName": { "type": "string", "maxLength": 40 },
            "_links": { "$ref": "#/components/schemas/Links" }
        }
    });
    schemas["UserPage"] = json!({
        "type": "object",
        "required": ["offset", "limit", "results"],
        "properties": {
            "offset": { "type": "integer", "minimum": 0 },
            "limit": { "type": "integer", "minimum": 1, "maximum": 500 },
            "results": { "type": "array", "items": { "$ref": "#/components/schemas/User" } },
            "_links": { "$ref": "#/components/schemas/Links" }
        }
    });
    Contract::from_document(document, "more operations").unwrap()
}

#[test]
fn a_generated_page_answers_a_request_that_names_the_job_its_sessions_link_to() {
    let contract = Contract::embedded().unwrap();
    let generator = Generator::new(&contract).unwrap();
    let mut linked = 0;
    for seed in 0..20 {
        let generated = generator.body(seed);
        let job = &generated.params["jobId"];
        assert_eq!(generated.params.len(), 1, "{:?}", generated.params);
        for session in generated.body["results"].as_array().unwrap() {
            if let Some(href) = session.pointer("/_links/job/href").and_then(Value::as_str) {
                assert!(href.ends_with(&format!("/{job}")), "{href} for {job}");
                linked += 1;
            }
        }
    }
    assert!(linked > 0, "some sessions link to their job");
}

#[test]
fn jobs_are_named_as_administrators_name_them_in_list_order() {
    let contract = with_more_operations();
    let jobs = Generator::for_operation(contract.operation("get_jobs").unwrap()).unwrap();
    let items = jobs.sessions(3, "", 0..9);
    assert_eq!(items[0]["name"], "Exchange Online - daily");
    assert_eq!(items[1]["name"], "SharePoint sites");
    assert_eq!(items[8]["name"], "Exchange Online - daily 2");
}

#[test]
fn a_job_fetched_by_its_id_links_to_its_own_path() {
    let contract = with_more_operations();
    let job = Generator::for_operation(contract.operation("get_job").unwrap()).unwrap();
    let id = "6d9e0c7a-3f43-4a3e-9e4b-0c5d3b1f2a10";
    let params = [("jobId".to_owned(), id.to_owned())].into();
    for seed in 0..5 {
        let body = job.single(seed, &params);
        assert_eq!(body["id"], id);
        let href = body["_links"]["self"]["href"].as_str().unwrap();
        assert!(href.ends_with(&format!("/v5/Jobs/{id}")), "{href}");
        assert!(
            !href
                .split_once("://")
                .map_or(href, |(_, rest)| rest)
                .contains("//"),
            "{href}"
        );
    }
}

#[test]
fn a_job_whose_schema_has_no_links_is_served_by_id_without_them() {
    let mut document = contract::parse_document(contract::EMBEDDED_YAML, "embedded").unwrap();
    document["paths"]["/v5/Jobs"] = json!({ "get": {
        "operationId": "get_jobs",
        "responses": { "200": { "description": "ok", "content": { "application/json": {
            "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Job" } }
        } } } }
    } });
    document["components"]["schemas"]["Job"] = json!({
        "type": "object",
        "required": ["id", "name"],
        "properties": { "id": { "type": "string", "format": "uuid" }, "name": { "type": "string" } }
    });
    let contract = Contract::from_document(document, "jobs without links").unwrap();
    let jobs = Generator::for_operation(contract.operation("get_jobs").unwrap()).unwrap();
    let job = jobs.item_with_id(3, "", 0, "6d9e0c7a-3f43-4a3e-9e4b-0c5d3b1f2a10");
    assert_eq!(job["id"], "6d9e0c7a-3f43-4a3e-9e4b-0c5d3b1f2a10");
    assert!(job.get("_links").is_none(), "{job}");
}

#[test]
fn every_response_of_every_operation_is_generated_and_conforms() {
    use vbo_contract::generate::BodyKind;
    let contract = with_more_operations();
    let verifier = Verifier::new(&contract);
    let mut kinds = HashSet::new();
    for operation in contract.operations() {
        for status in [200, 400, 401, 403, 404, 429, 500] {
            if operation.response_schema(status).is_none() {
                continue;
            }
            let generator = Generator::for_response(operation, status).unwrap();
            assert_eq!(
                (generator.operation_id(), generator.status()),
                (operation.id(), status)
            );
            kinds.insert(format!("{:?}", generator.kind()));
            for seed in 0..40 {
                let generated = generator.body(seed);
                assert_eq!(generated, generator.body(seed), "seeded");
                let bytes = generated.bytes();
                let response = vbo_contract::Response {
                    status,
                    ..Response::body(&bytes)
                };
                let findings = verifier.verify(&response, &generated.request()).findings;
                // Any status but a success is reported as such; nothing else may be.
                assert!(
                    findings
                        .iter()
                        .all(|f| status != 200 && f.rule.id() == "status"),
                    "{} {status} seed {seed}: {findings:?} in {}",
                    operation.id(),
                    generated.body
                );
            }
        }
    }
    assert_eq!(
        kinds.len(),
        4,
        "pages, lists, single objects and plain bodies: {kinds:?}"
    );
    // Jobs: unique names and ids, self links naming the id; the seeded collection too.
    let jobs = Generator::for_operation(contract.operation("get_jobs").unwrap()).unwrap();
    assert_eq!(jobs.kind(), BodyKind::List);
    let items = jobs.sessions(3, "", 0..30);
    let names: HashSet<&str> = items.iter().map(|j| j["name"].as_str().unwrap()).collect();
    let ids: HashSet<&str> = items.iter().map(|j| j["id"].as_str().unwrap()).collect();
    assert_eq!((names.len(), ids.len()), (30, 30));
    for job in &items {
        let href = job["_links"]["self"]["href"].as_str().unwrap();
        assert!(href.ends_with(job["id"].as_str().unwrap()), "{href}");
    }
    let job = jobs.item_with_id(3, "", 4, "6d9e0c7a-3f43-4a3e-9e4b-0c5d3b1f2a10");
    assert_eq!(job["id"], "6d9e0c7a-3f43-4a3e-9e4b-0c5d3b1f2a10");
    assert!(
        job["_links"]["self"]["href"]
            .as_str()
            .unwrap()
            .ends_with("/6d9e0c7a-3f43-4a3e-9e4b-0c5d3b1f2a10")
    );
    // A paged collection of an unknown schema: integer ids unique, pages verify as walks.
    let users = Generator::for_operation(contract.operation("get_users").unwrap()).unwrap();
    let page = users
        .clone()
        .with_mode(GeneratorMode::Realistic)
        .page(1, "org 1", 0, 50, 120);
    let ids: HashSet<i64> = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 50);
    let next = page["_links"]["next"]["href"].as_str().unwrap();
    assert!(
        next.ends_with("/v5/Organizations/org%201/Users?offset=50&limit=50"),
        "{next}"
    );
    for user in page["results"].as_array().unwrap() {
        let href = user["_links"]["self"]["href"].as_str().unwrap();
        let id = user["id"].as_i64().unwrap();
        assert!(
            href.ends_with(&format!("/organizations/org%201/users/{id}")),
            "{href}"
        );
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, failure_persistence: None, ..Default::default() })]

    #[test]
    fn drawn_lists_and_pages_of_any_schema_verify(
        jobs in Generator::for_operation(with_more_operations().operation("get_jobs").unwrap()).unwrap().body_strategy(),
        users in Generator::for_operation(with_more_operations().operation("get_users").unwrap()).unwrap().body_strategy(),
    ) {
        let contract = with_more_operations();
        for generated in [jobs, users] {
            let findings = Verifier::new(&contract)
                .verify(&Response::body(&generated.bytes()), &generated.request())
                .findings;
            proptest::prop_assert!(findings.is_empty(), "{:?} in {}", findings, generated.body);
        }
    }
}
