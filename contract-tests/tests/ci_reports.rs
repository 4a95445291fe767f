//! The CI formats (SARIF, GitHub workflow commands, Markdown), grouped human output, live
//! locations, rule overrides and baselines, on the fixtures and on a live mock run with a fault.
//! Every SARIF log made here is also written under `target/sarif-produced/`, where
//! `cargo xtask conformance` validates it against the official SARIF 2.1.0 schema and feeds it
//! to the SARIF multitool; here it gets our own structural checks.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use vbo_contract::baseline::{Baseline, Comparison, fingerprint};
use vbo_contract::live::{self, WalkPlan};
use vbo_contract::mock::{Fault, MockConfig, MockServer, Tls};
use vbo_contract::report::{self, HumanOptions, Report, Source};
use vbo_contract::{
    Contract, Finding, Level, Overrides, Position, Rule, Severity, Verifier, recorded,
};

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Verifies fixture paths (relative to `contract-tests/`), naming sources relative to it.
fn verify(paths: &[&str]) -> Report {
    let contract = Contract::embedded().unwrap();
    let paths: Vec<PathBuf> = paths.iter().map(|p| manifest().join(p)).collect();
    let mut report = recorded::verify_paths(&Verifier::new(&contract), &paths, &mut |_, _| {});
    for entry in &mut report.entries {
        entry.source.origin = Path::new(&entry.source.origin)
            .strip_prefix(manifest())
            .unwrap()
            .display()
            .to_string();
    }
    report.elapsed = Duration::ZERO;
    report
}

/// Walks one job of the mock (plain HTTP, seeded) with `fault`; URLs name `http://mock`.
async fn live_report(fault: Option<Fault>, sessions: u64, page_size: u64) -> Report {
    let config = MockConfig {
        jobs: 1,
        sessions_per_job: sessions,
        seed: 7,
        fault,
        ..MockConfig::default()
    };
    let mock = MockServer::start(config, Tls::None).await.unwrap();
    let client = vbo_client::Client::builder(mock.base_url())
        .credentials("vbo-admin", "mock-password")
        .build()
        .unwrap();
    let contract = Contract::embedded().unwrap();
    let verifier = Verifier::new(&contract);
    let mut report = Report::default();
    let plan = WalkPlan {
        page_size,
        max_pages: None,
        ..WalkPlan::default()
    };
    let job = mock.job_ids()[0].clone();
    live::walk_job(&verifier, &client, &job, plan, &mut report, &mut ()).await;
    for entry in &mut report.entries {
        entry.source.origin = entry.source.origin.replace(mock.base_url(), "http://mock");
    }
    report.elapsed = Duration::ZERO;
    mock.shutdown().await.unwrap();
    report
}

/// Writes a SARIF log for `cargo xtask conformance` to validate with the official schema.
fn keep_sarif(name: &str, text: &str) {
    let dir = manifest().join("../target/sarif-produced");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.sarif")), text).unwrap();
}

/// Our structural SARIF 2.1.0 checks (the schema itself runs in `cargo xtask conformance`):
/// the required properties, the enumerations we use, and that results point into the catalogue.
fn sarif_problems(log: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            problems.push(what);
        }
    };
    check(log["version"] == "2.1.0", "version is not 2.1.0".into());
    check(
        log["$schema"]
            .as_str()
            .is_some_and(|s| s.contains("sarif-schema-2.1.0")),
        "$schema does not name the 2.1.0 schema".into(),
    );
    let runs = log["runs"].as_array().cloned().unwrap_or_default();
    check(runs.len() == 1, format!("{} runs", runs.len()));
    let run = &runs[0];
    check(
        run["tool"]["driver"]["name"].is_string(),
        "no driver name".into(),
    );
    check(
        run["columnKind"] == "unicodeCodePoints",
        "columnKind is not unicodeCodePoints".into(),
    );
    if let Some(uri) = run["tool"]["driver"].get("informationUri") {
        check(
            uri.as_str().is_some_and(|u| {
                u.split_once("://")
                    .is_some_and(|(scheme, rest)| !scheme.is_empty() && !rest.is_empty())
            }),
            format!("informationUri {uri} is not an absolute URI"),
        );
    }
    let rules = run["tool"]["driver"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    let expected: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
    check(ids == expected, format!("rule ids {ids:?}"));
    for rule in &rules {
        for key in ["shortDescription", "fullDescription", "help"] {
            check(
                rule[key]["text"].as_str().is_some_and(|t| !t.is_empty()),
                format!("rule {} has no {key}", rule["id"]),
            );
        }
        if let Some(name) = rule["name"].as_str() {
            check(
                !name.eq_ignore_ascii_case(rule["id"].as_str().unwrap_or("")),
                format!("rule {}: name equals id", rule["id"]),
            );
        }
        check(
            ["error", "warning"]
                .contains(&rule["defaultConfiguration"]["level"].as_str().unwrap_or("")),
            format!("rule {} default level", rule["id"]),
        );
    }
    for (i, result) in run["results"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let index = result["ruleIndex"].as_u64().unwrap_or(u64::MAX) as usize;
        check(
            rules
                .get(index)
                .is_some_and(|r| r["id"] == result["ruleId"]),
            format!(
                "result {i}: ruleIndex {index} does not name {}",
                result["ruleId"]
            ),
        );
        check(
            ["error", "warning", "note", "none"].contains(&result["level"].as_str().unwrap_or("")),
            format!("result {i}: level {}", result["level"]),
        );
        check(
            result["message"]["text"]
                .as_str()
                .is_some_and(|t| !t.is_empty()),
            format!("result {i}: no message text"),
        );
        let physical = &result["locations"][0]["physicalLocation"];
        check(
            physical["artifactLocation"]["uri"]
                .as_str()
                .is_some_and(|u| !u.is_empty() && !u.contains(' ')),
            format!(
                "result {i}: artifact uri {}",
                physical["artifactLocation"]["uri"]
            ),
        );
        if let Some(region) = physical.get("region") {
            check(
                region["startLine"].as_u64().is_some_and(|l| l >= 1),
                format!("result {i}: startLine {}", region["startLine"]),
            );
            if let Some(column) = region.get("startColumn") {
                check(
                    column.as_u64().is_some_and(|c| c >= 1),
                    format!("result {i}: startColumn"),
                );
            }
        }
        check(
            result["partialFingerprints"]["vboContract/v1"].is_string(),
            format!("result {i}: no fingerprint"),
        );
        if let Some(state) = result.get("baselineState") {
            check(
                ["new", "unchanged", "updated", "absent"].contains(&state.as_str().unwrap_or("")),
                format!("result {i}: baselineState {state}"),
            );
        }
    }
    problems
}

const INVALID: &str = "fixtures/invalid";

#[test]
fn sarif_of_the_invalid_fixtures_has_the_catalogue_and_one_result_per_finding() {
    let report = verify(&[INVALID]);
    let text = report::sarif(&report);
    keep_sarif("fixtures-invalid", &text);
    let log: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(sarif_problems(&log), Vec::<String>::new());
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), report.findings().count());
    // A file finding has a region at the finding's line and column.
    let status = results
        .iter()
        .find(|r| r["properties"]["pointer"] == "/results/0/status" && r["ruleId"] == "schema")
        .unwrap();
    assert_eq!(
        status["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "fixtures/invalid/schema-unknown-status.json"
    );
    assert_eq!(
        status["locations"][0]["physicalLocation"]["region"],
        serde_json::json!({"startLine": 10, "startColumn": 17})
    );
    // The catalogue is the README's rules table (one source: finding.rs).
    let readme = std::fs::read_to_string(manifest().join("../README.md")).unwrap();
    for rule in log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
    {
        let full = rule["fullDescription"]["text"].as_str().unwrap();
        assert!(readme.contains(full), "{full} is not the README's text");
    }
}

#[test]
fn sarif_snapshot_of_two_fixtures() {
    let report = verify(&[
        "fixtures/invalid/schema-unknown-status.json",
        "fixtures/invalid/duplicate-session-id-across-pages.ndjson",
    ]);
    let text = report::sarif(&report);
    keep_sarif("fixtures-two", &text);
    insta::assert_snapshot!("sarif_two_fixtures", text);
}

#[test]
fn our_sarif_checks_catch_a_broken_log() {
    let report = verify(&["fixtures/invalid/schema-unknown-status.json"]);
    let mut log: Value = serde_json::from_str(&report::sarif(&report)).unwrap();
    log["runs"][0]["results"][0]["ruleIndex"] = 3.into();
    log["runs"][0]["results"][0]["level"] = "fatal".into();
    assert_eq!(sarif_problems(&log).len(), 2, "{:?}", sarif_problems(&log));
}

#[tokio::test]
async fn a_live_mock_run_with_a_fault_in_every_format() {
    let report = live_report(Some(Fault::UnknownStatus), 25, 10).await;
    assert!(report.errors() > 0);
    let sarif = report::sarif(&report);
    keep_sarif("live-mock-unknown-status", &sarif);
    let log: Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(sarif_problems(&log), Vec::<String>::new());
    for result in log["runs"][0]["results"].as_array().unwrap() {
        let physical = &result["locations"][0]["physicalLocation"];
        // A live response: the URL is the artifact, the offset a property, and no fake line.
        assert!(
            physical["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .starts_with("http://mock/")
        );
        assert!(physical.get("region").is_none(), "{physical}");
        assert!(result["properties"]["offset"].is_u64(), "{result}");
    }
    let human = report::human(&report, false);
    // Never `URL?...:line:col`, which file:line:col parsers misread.
    assert!(!human.contains("offset=0:1:"), "{human}");
    assert!(human.contains("(offset 0, line 1, column"), "{human}");
    let junit = report::junit(&report);
    assert!(junit.contains("name=\"job "), "{junit}");
    assert!(junit.contains(" offset 10\""), "{junit}");
    insta::assert_snapshot!("live_unknown_status_human", human);
    insta::assert_snapshot!("live_unknown_status_junit", junit);
    insta::assert_snapshot!("live_unknown_status_github", report::github(&report, 10));
    insta::assert_snapshot!("live_unknown_status_markdown", report::markdown(&report));
    insta::assert_snapshot!("live_unknown_status_sarif", sarif);
}

#[test]
fn github_markdown_and_grouped_human_snapshots_of_the_invalid_fixtures() {
    let report = verify(&[INVALID]);
    insta::assert_snapshot!("github_invalid_fixtures", report::github(&report, 10));
    insta::assert_snapshot!("markdown_invalid_fixtures", report::markdown(&report));
    insta::assert_snapshot!(
        "human_invalid_fixtures_max_5",
        report::human_with(
            &report,
            &HumanOptions {
                max_findings: Some(5),
                ..HumanOptions::new(false)
            }
        )
    );
}

/// A report with one page whose finding carries `message` and comes from `origin`.
fn one_finding(origin: &str, message: &str) -> Report {
    let mut finding = Finding::new(Rule::Schema, "/results/0/status", message);
    finding.position = Some(Position { line: 3, column: 7 });
    let mut report = Report::default();
    report.push(Source::new(origin), 1, vec![finding]);
    report
}

#[test]
fn github_commands_escape_percent_newlines_colons_and_commas() {
    let report = one_finding("dir,a:b/50%.json", "100% wrong\r\nsee: a, b");
    let text = report::github(&report, 10);
    assert_eq!(
        text,
        "::error file=dir%2Ca%3Ab/50%25.json,line=3,col=7,title=[schema] /results/0/status in dir%2Ca%3Ab/50%25.json::100%25 wrong%0D%0Asee: a, b\n"
    );
    assert_eq!(report::github_escape_data("%\r\n:,"), "%25%0D%0A:,");
    assert_eq!(report::github_escape_property("%\r\n:,"), "%25%0D%0A%3A%2C");
}

#[test]
fn github_annotations_are_capped_with_a_closing_notice() {
    let mut report = Report::default();
    let findings: Vec<Finding> = (0..15)
        .map(|i| Finding::new(Rule::Schema, format!("/results/{i}/id"), "bad"))
        .chain((0..2).map(|i| Finding::new(Rule::NumericString, format!("/results/{i}/x"), "str")))
        .collect();
    report.push(Source::new("page.json"), 15, findings);
    let text = report::github(&report, 10);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("::error ")).count(),
        10
    );
    assert_eq!(
        text.lines().filter(|l| l.starts_with("::warning ")).count(),
        2
    );
    let last = text.lines().last().unwrap();
    assert!(last.starts_with("::notice "), "{last}");
    assert!(
        last.contains("5 more findings were not annotated (5 errors, 0 warnings"),
        "{last}"
    );
}

#[test]
fn markdown_escapes_table_cells() {
    let report = one_finding("a|b.json", "x | y `z` <b>");
    let text = report::markdown(&report);
    assert!(
        text.contains(r"a\|b.json:3:7 | /results/0/status | x \| y \`z\` \<b\> |"),
        "{text}"
    );
}

/// The mock's `unknown-status` fault on every session: the grouped report stays short and the
/// totals stay complete.
#[tokio::test]
async fn grouped_human_output_does_not_flood_and_keeps_totals() {
    let report = live_report(Some(Fault::UnknownStatus), 1000, 100).await;
    let errors = report.errors();
    assert!(errors >= 50, "{errors}");
    let human = report::human(&report, false);
    let headlines = human.lines().filter(|l| l.starts_with("error[")).count();
    assert!(
        headlines <= 3 * Rule::ALL.len(),
        "{headlines} findings printed:\n{human}"
    );
    assert!(human.contains("more [schema] like this"), "{human}");
    assert!(human.contains(&format!("{errors} errors")), "{human}");
    let capped = report::human_with(
        &report,
        &HumanOptions {
            max_findings: Some(1),
            ..HumanOptions::new(false)
        },
    );
    assert_eq!(
        capped.lines().filter(|l| l.starts_with("error[")).count(),
        1,
        "{capped}"
    );
    assert!(capped.contains("--max-findings 1"), "{capped}");
    // JSON and SARIF stay complete.
    let json: Value = serde_json::from_str(&report::json(&report)).unwrap();
    assert_eq!(
        json["findings"].as_array().unwrap().len(),
        report.findings().count()
    );
    let sarif: Value = serde_json::from_str(&report::sarif(&report)).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        report.findings().count()
    );
}

#[test]
fn overrides_change_severity_or_drop_findings_and_reject_unknown_ids() {
    let mut report = verify(&[
        "fixtures/invalid/schema-unknown-status.json",
        "fixtures/valid/seed-example.json",
    ]);
    assert!(report.errors() > 0);
    let mut overrides = Overrides::default();
    overrides.parse_set("schema=warning").unwrap();
    overrides.parse_set("next-leaves-collection=off").unwrap();
    report.apply_overrides(&overrides);
    assert_eq!(report.errors(), 0);
    assert!(
        report
            .findings()
            .all(|f| f.rule != Rule::NextLeavesCollection)
    );
    assert!(
        report
            .findings()
            .any(|f| f.rule == Rule::Schema && f.severity == Severity::Warning)
    );
    assert_eq!(report.exit_code(false), 0);
    let error = Overrides::default()
        .parse_set("no-such-rule=off")
        .unwrap_err()
        .to_string();
    assert!(error.contains("unknown rule `no-such-rule`"), "{error}");
    assert!(error.contains("schema, json-syntax"), "{error}");
    // A later setting for the same rule wins.
    let mut later = Overrides::default();
    later.set(Rule::Schema, Level::Off);
    later.set(Rule::Schema, Level::Error);
    assert_eq!(later.get(Rule::Schema), Some(Level::Error));
}

fn finding(rule: Rule, pointer: &str, message: &str) -> Finding {
    Finding::new(rule, pointer, message)
}

#[test]
fn fingerprints_survive_ids_offsets_indexes_and_hosts_but_keep_what_matters() {
    let a = finding(
        Rule::SelfLinkMismatch,
        "/results/3/_links/self/href",
        "the self link https://vbo01:4443/v5/JobSessions/6a3fa2fb-3a77-4d99-8b5d-000000000001 does not name the session's id 6a3fa2fb-3a77-4d99-8b5d-000000000002",
    );
    let b = finding(
        Rule::SelfLinkMismatch,
        "/results/17/_links/self/href",
        "the self link https://other-host.example:443/v5/JobSessions/0d1f2e3c-0000-4000-8000-00000000abcd does not name the session's id 0d1f2e3c-0000-4000-8000-00000000abce",
    );
    assert_eq!(fingerprint(&a), fingerprint(&b));
    let offset_1 = finding(
        Rule::OffsetSequence,
        "/offset",
        "page 2 starts at offset 50, but the previous page (offset 0, limit 40) ends at 40",
    );
    let offset_2 = finding(
        Rule::OffsetSequence,
        "/offset",
        "page 7 starts at offset 310, but the previous page (offset 240, limit 40) ends at 280",
    );
    assert_eq!(fingerprint(&offset_1), fingerprint(&offset_2));
    // Another rule, another pointer or another message shape is another deviation.
    let other_rule = finding(
        Rule::JobLinkMismatch,
        "/results/3/_links/self/href",
        &a.message,
    );
    assert_ne!(fingerprint(&a), fingerprint(&other_rule));
    let other_pointer = finding(
        Rule::SelfLinkMismatch,
        "/results/3/_links/job/href",
        &a.message,
    );
    assert_ne!(fingerprint(&a), fingerprint(&other_pointer));
    let mut schema_a = finding(
        Rule::Schema,
        "/results/0/status",
        "\"Exploded\" is not one of the documented values",
    );
    schema_a.schema_location = Some("/properties/results/items/properties/status/enum".into());
    let mut schema_b = schema_a.clone();
    schema_b.pointer = "/results/9/status".into();
    assert_eq!(fingerprint(&schema_a), fingerprint(&schema_b));
    schema_b.schema_location = Some("/properties/results/items/properties/bottleneck/enum".into());
    assert_ne!(fingerprint(&schema_a), fingerprint(&schema_b));
}

#[tokio::test]
async fn a_baseline_accepts_known_findings_and_reports_new_and_gone() {
    // Two runs against servers on different ports: the same deviation keeps its fingerprint.
    let mut first = live_report(Some(Fault::UnknownStatus), 25, 10).await;
    let baseline = Baseline::from_report(&first);
    let dir = std::env::temp_dir().join(format!("vbo-baseline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("baseline.json");
    baseline.write(&path).unwrap();
    let read = Baseline::read(&path).unwrap();
    assert_eq!(read, baseline);
    first.baseline = Some(Comparison::new("baseline.json", &read, &first));
    assert_eq!(first.exit_code(false), 0, "every finding is known");
    assert_eq!(first.known(), first.findings().count());

    let mut second = live_report(Some(Fault::UnknownStatus), 40, 20).await;
    second.baseline = Some(Comparison::new("baseline.json", &read, &second));
    assert_eq!(
        second.exit_code(false),
        0,
        "{}",
        report::human(&second, false)
    );
    assert!(second.baseline.as_ref().unwrap().gone.is_empty());

    // A new deviation fails the run, and only it is printed.
    let mut third = live_report(Some(Fault::UnknownStatus), 25, 10).await;
    third.entries[0].findings.push(finding(
        Rule::EchoMismatch,
        "/limit",
        "the request asked for limit=10 but the page says 11",
    ));
    third.baseline = Some(Comparison::new("baseline.json", &read, &third));
    assert_eq!(third.exit_code(false), 1);
    assert_eq!(third.new_errors(), 1);
    let human = report::human(&third, false);
    assert_eq!(
        human.lines().filter(|l| l.starts_with("error[")).count(),
        1,
        "{human}"
    );
    assert!(human.contains("error[echo-mismatch]"), "{human}");
    assert!(human.contains("1 new,"), "{human}");

    // A clean server: every baseline entry is gone, and says so.
    let mut clean = live_report(None, 25, 10).await;
    clean.baseline = Some(Comparison::new("baseline.json", &read, &clean));
    let gone = clean.baseline.as_ref().unwrap().gone.len();
    assert_eq!(gone, read.findings.len());
    assert!(report::human(&clean, false).contains(&format!("{gone} gone")));
    let json: Value = serde_json::from_str(&report::json(&clean)).unwrap();
    assert_eq!(json["baseline"]["gone"].as_array().unwrap().len(), gone);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_malformed_or_huge_baseline_is_a_typed_error() {
    let dir = std::env::temp_dir().join(format!("vbo-baseline-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("b.json");
    std::fs::write(&path, "{not json").unwrap();
    assert!(
        Baseline::read(&path)
            .unwrap_err()
            .to_string()
            .contains("not a vbo-contract baseline")
    );
    std::fs::write(&path, r#"{"format_version": 9, "findings": []}"#).unwrap();
    assert!(
        Baseline::read(&path)
            .unwrap_err()
            .to_string()
            .contains("format_version 9")
    );
    assert!(Baseline::read(&dir.join("missing.json")).is_err());
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn github_and_markdown_escape_control_characters_from_payloads() {
    let report = one_finding("page.json", "id \u{1b}[2J\u{1b}]0;pwned\u{7}\u{9b}31m ok");
    for text in [report::github(&report, 10), report::markdown(&report)] {
        assert!(
            !text
                .chars()
                .any(|c| c != '\n' && (c.is_control() || c == '\u{9b}')),
            "raw control character in {text:?}"
        );
        assert!(text.contains("\\u{1b}"), "{text}");
    }
}
