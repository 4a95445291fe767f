//! `cargo xtask` end to end: the binary is run as CI runs it, and its exit codes, help text and
//! output formats are pinned.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("the xtask binary runs")
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exited normally")
}

#[test]
fn help_lists_every_command() {
    let output = xtask(&["--help"]);
    assert_eq!(code(&output), 0);
    insta::assert_snapshot!("help", stdout(&output));
}

#[test]
fn verify_help_documents_formats_and_exit_codes() {
    let output = xtask(&["verify", "--help"]);
    assert_eq!(code(&output), 0);
    insta::assert_snapshot!("verify_help", stdout(&output));
}

#[test]
fn verify_valid_fixtures_exits_zero_with_warnings_allowed() {
    let output = xtask(&["verify", "contract-tests/fixtures/valid"]);
    assert_eq!(code(&output), 0, "{}", stdout(&output));
    assert!(stdout(&output).contains("0 errors"));
}

#[test]
fn deny_warnings_turns_warnings_into_failure() {
    let output = xtask(&[
        "verify",
        "--deny-warnings",
        "contract-tests/fixtures/valid/seed-example.json",
    ]);
    assert_eq!(code(&output), 1, "{}", stdout(&output));
}

#[test]
fn verify_invalid_fixture_exits_one_and_names_rule_file_line_and_pointer() {
    let output = xtask(&[
        "verify",
        "contract-tests/fixtures/invalid/schema-unknown-status.json",
    ]);
    assert_eq!(code(&output), 1);
    let text = stdout(&output);
    assert!(
        text.contains("error[schema] contract-tests/fixtures/invalid/schema-unknown-status.json:10:17 /results/0/status"),
        "{text}"
    );
}

#[test]
fn missing_file_exits_two_and_the_rest_is_still_verified() {
    let output = xtask(&[
        "verify",
        "no/such/file.json",
        "contract-tests/fixtures/valid/empty-last-page.json",
    ]);
    assert_eq!(code(&output), 2);
    let text = stdout(&output);
    assert!(text.contains("no/such/file.json"), "{text}");
    assert!(text.contains("1 page"), "{text}");
}

#[test]
fn json_format_carries_totals_and_findings_with_sources() {
    let output = xtask(&[
        "verify",
        "--format",
        "json",
        "contract-tests/fixtures/invalid/duplicate-session-id-across-pages.ndjson",
    ]);
    assert_eq!(code(&output), 1);
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("valid JSON");
    assert_eq!(report["pages"], 2);
    assert_eq!(report["sessions"], 4);
    assert_eq!(report["errors"], 1);
    assert_eq!(report["warnings"], 0);
    let finding = &report["findings"][0];
    assert_eq!(finding["rule"], "duplicate-session-id");
    assert_eq!(finding["record"], 2);
    assert_eq!(finding["pointer"], "/results/0/id");
}

#[test]
fn junit_format_to_file_fails_the_page_case() {
    let dir = std::env::temp_dir().join(format!("xtask-junit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.xml");
    let output = xtask(&[
        "verify",
        "--format",
        "junit",
        "--output",
        file.to_str().unwrap(),
        "contract-tests/fixtures/invalid/results-over-limit.json",
    ]);
    assert_eq!(code(&output), 1);
    let xml = std::fs::read_to_string(&file).unwrap();
    assert!(
        xml.contains("<failure message=\"[results-over-limit] /results"),
        "{xml}"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("FAILED: 1 page"));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn mask_keeps_payload_values_out_of_the_report() {
    let output = xtask(&[
        "verify",
        "--mask",
        "contract-tests/fixtures/invalid/schema-unknown-status.json",
    ]);
    assert_eq!(code(&output), 1);
    let text = stdout(&output);
    assert!(!text.contains("Exploded"), "{text}");
    assert!(text.contains("/results/0/status"), "{text}");
}

#[test]
fn lint_passes_on_the_contract() {
    let output = xtask(&["lint"]);
    assert_eq!(code(&output), 0, "{}", stdout(&output));
}

#[test]
fn lint_fails_on_a_broken_document_with_its_location() {
    let dir = std::env::temp_dir().join(format!("xtask-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let doc = dir.join("broken.yaml");
    let text = std::fs::read_to_string(root().join("openapi/vbo-v5.yaml")).unwrap();
    std::fs::write(
        &doc,
        text.replace("operationId: create_token", "operationId: get_job_sessions"),
    )
    .unwrap();
    let output = xtask(&["lint", "--document", doc.to_str().unwrap()]);
    assert_eq!(code(&output), 1);
    assert!(
        stdout(&output).contains("operationId `get_job_sessions` is also used"),
        "{}",
        stdout(&output)
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn codegen_check_passes_on_a_fresh_tree() {
    let output = xtask(&["codegen", "--check"]);
    assert_eq!(code(&output), 0, "{}", stdout(&output));
}
