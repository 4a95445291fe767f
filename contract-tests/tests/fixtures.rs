//! Recorded fixtures pin the contract: every valid fixture verifies with zero errors, every
//! invalid fixture breaks the rule its name says at the pointer `expected-findings.json` says,
//! and the rendered report of each is an insta snapshot, so a changed verdict or message shows
//! up in review. The verdict assertions stand on their own: a blindly accepted snapshot cannot
//! hide a wrong verdict.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use vbo_contract::recorded;
use vbo_contract::report::{self, Report};
use vbo_contract::{Contract, Verifier};

#[derive(Debug, Deserialize)]
struct Expected {
    rule: String,
    pointer: String,
    /// `error` or `warning`: a rule's severity is part of the contract.
    severity: String,
    record: Option<usize>,
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Verifies one fixture and names its source relative to `fixtures/`, with no timing.
fn verify_fixture(contract: &Contract, path: &Path) -> Report {
    let mut report =
        recorded::verify_paths(&Verifier::new(contract), &[path.to_owned()], &mut |_, _| {});
    let relative = path
        .strip_prefix(fixtures_dir())
        .unwrap()
        .display()
        .to_string();
    for entry in &mut report.entries {
        entry.source.origin = relative.clone();
    }
    report.elapsed = Duration::ZERO;
    report
}

fn expectations() -> BTreeMap<String, Vec<Expected>> {
    serde_json::from_str(include_str!("expected-findings.json"))
        .expect("expected-findings.json parses")
}

#[test]
fn valid_fixtures_have_no_errors() {
    let contract = Contract::embedded().unwrap();
    let mut seen = 0;
    for path in files(&fixtures_dir().join("valid")) {
        let report = verify_fixture(&contract, &path);
        assert!(
            report.input_problems.is_empty(),
            "{path:?}: {:?}",
            report.input_problems
        );
        assert!(report.pages() > 0, "{path:?} verified no page");
        assert_eq!(
            report.errors(),
            0,
            "{path:?}:\n{}",
            report::human(&report, false)
        );
        seen += 1;
    }
    assert!(seen >= 10, "only {seen} valid fixtures found");
}

#[test]
fn each_invalid_fixture_breaks_its_rule_at_its_pointer() {
    let contract = Contract::embedded().unwrap();
    let expected = expectations();
    let files = files(&fixtures_dir().join("invalid"));
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for name in expected.keys() {
        assert!(
            names.contains(name),
            "expected-findings.json names {name}, which is not a fixture"
        );
    }
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let wants = expected
            .get(&name)
            .unwrap_or_else(|| panic!("{name} has no entry in expected-findings.json"));
        let report = verify_fixture(&contract, path);
        let rule_prefix = name.split('.').next().unwrap();
        for want in wants {
            assert!(
                rule_prefix.starts_with(&want.rule),
                "{name}: a fixture is named after the rule it breaks ({})",
                want.rule
            );
            let hit = report.entries.iter().any(|entry| {
                entry.source.line == want.record
                    && entry.findings.iter().any(|f| {
                        f.rule.id() == want.rule
                            && f.pointer == want.pointer
                            && f.severity.as_str() == want.severity
                    })
            });
            assert!(
                hit,
                "{name}: expected {} [{}] at {:?} (record {:?}), got:\n{}",
                want.severity,
                want.rule,
                want.pointer,
                want.record,
                report::human(&report, false)
            );
        }
        // One broken rule each: nothing else is reported.
        let other: Vec<_> = report
            .entries
            .iter()
            .flat_map(|e| e.findings.iter())
            .filter(|f| !wants.iter().any(|w| w.rule == f.rule.id()))
            .map(|f| format!("[{}] {}", f.rule.id(), f.pointer))
            .collect();
        assert!(other.is_empty(), "{name}: unexpected findings {other:?}");
    }
}

#[test]
fn every_fixture_report_matches_its_snapshot() {
    let contract = Contract::embedded().unwrap();
    insta::glob!("../fixtures", "{valid,invalid}/*", |path| {
        let report = verify_fixture(&contract, path);
        insta::assert_snapshot!(report::human(&report, false));
    });
}

#[test]
fn json_and_junit_reports_of_a_failing_walk_match_their_snapshots() {
    let contract = Contract::embedded().unwrap();
    let report = verify_fixture(
        &contract,
        &fixtures_dir().join("invalid/duplicate-session-id-across-pages.ndjson"),
    );
    insta::assert_snapshot!("json_report", report::json(&report));
    insta::assert_snapshot!("junit_report", report::junit(&report));
}

#[test]
fn no_snapshot_is_left_without_its_fixture() {
    let fixtures: Vec<String> = ["valid", "invalid"]
        .iter()
        .flat_map(|dir| {
            files(&fixtures_dir().join(dir))
                .into_iter()
                .map(move |p| format!("{dir}__{}", p.file_name().unwrap().to_string_lossy()))
        })
        .collect();
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    // Read strictly: an unreadable folder must fail here, not pass by checking nothing.
    let names: Vec<String> = std::fs::read_dir(&snapshots)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", snapshots.display()))
        .map(|entry| {
            entry
                .expect("a readable snapshot folder entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let mut checked = 0;
    for name in &names {
        if let Some(fixture) = name
            .strip_prefix("fixtures__every_fixture_report_matches_its_snapshot@")
            .and_then(|n| n.strip_suffix(".snap"))
        {
            assert!(
                fixtures.contains(&fixture.to_owned()),
                "stale snapshot {name}: its fixture is gone; delete it"
            );
            checked += 1;
        }
    }
    assert_eq!(
        checked,
        fixtures.len(),
        "every fixture has exactly one report snapshot"
    );
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}
