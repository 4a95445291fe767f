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

#[test]
fn verify_with_no_arguments_verifies_the_builtin_mock_end_to_end() {
    let output = xtask(&[
        "verify",
        "--quiet",
        "--mock-sessions",
        "150",
        "--page-size",
        "40",
    ]);
    assert_eq!(
        code(&output),
        0,
        "{}\n{}",
        stdout(&output),
        String::from_utf8_lossy(&output.stderr)
    );
    // No job ids were given: the job list (one response) names the three jobs, and their
    // sessions take 12 pages.
    assert!(
        stdout(&output).contains("ok: 13 pages, 450 sessions, 0 errors, 0 warnings"),
        "{}",
        stdout(&output)
    );
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("verifying the built-in mock at https://127.0.0.1:")
    );
}

#[test]
fn every_contract_breaking_mock_fault_is_reported_with_its_rule() {
    use vbo_contract::mock::Fault;
    for fault in Fault::ALL.iter().filter(|f| **f != Fault::Slow) {
        let output = xtask(&[
            "verify",
            "--quiet",
            "--format",
            "json",
            "--mock-fault",
            fault.id(),
            "--mock-sessions",
            "120",
            "--page-size",
            "50",
        ]);
        let report: serde_json::Value =
            serde_json::from_str(&stdout(&output)).unwrap_or_else(|e| {
                panic!(
                    "{fault}: no JSON report ({e}): {}",
                    String::from_utf8_lossy(&output.stderr)
                )
            });
        let rules: Vec<&str> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap())
            .collect();
        match fault.rule() {
            Some(rule) => {
                assert!(
                    rules.contains(&rule.id()),
                    "{fault}: expected [{}], got {rules:?}",
                    rule.id()
                );
                let failing = rule.default_severity() == vbo_contract::Severity::Error;
                assert_eq!(code(&output), if failing { 1 } else { 0 }, "{fault}");
            }
            None => {
                assert_eq!(
                    code(&output),
                    0,
                    "{fault}: a resilient client should absorb it, got {rules:?}"
                );
                assert_eq!(report["sessions"], 360, "{fault}");
            }
        }
    }
}

#[test]
fn record_captures_a_walk_that_verifies_offline_and_holds_no_secret() {
    let dir = std::env::temp_dir().join(format!("xtask-record-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mock = runtime
        .block_on(vbo_contract::mock::MockServer::start(
            vbo_contract::mock::MockConfig {
                jobs: 1,
                sessions_per_job: 70,
                ..Default::default()
            },
            vbo_contract::mock::Tls::None,
        ))
        .unwrap();
    let job = mock.job_ids()[0].clone();
    let config = vbo_contract::mock::MockConfig::default();
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "record",
            "--server",
            mock.base_url(),
            "--job",
            &job,
            "--page-size",
            "30",
            "--redact-ids",
            "--out",
        ])
        .arg(&dir)
        .env("VBO_USERNAME", &config.user)
        .env("VBO_PASSWORD", &config.password)
        .output()
        .unwrap();
    assert_eq!(
        code(&output),
        0,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let walk = dir.join("00000000-0000-4000-8000-000000000001.walk");
    let pages: Vec<_> = std::fs::read_dir(&walk).unwrap().collect();
    assert_eq!(pages.len(), 3);
    for page in std::fs::read_dir(&walk).unwrap() {
        let text = std::fs::read_to_string(page.unwrap().path()).unwrap();
        assert!(
            !text.contains(&config.password) && !text.contains("Bearer") && !text.contains(&job),
            "{text}"
        );
        assert!(
            !text.contains("127.0.0.1"),
            "host names are replaced: {text}"
        );
    }
    let verified = xtask(&["verify", dir.to_str().unwrap()]);
    assert_eq!(code(&verified), 0, "{}", stdout(&verified));
    assert!(
        stdout(&verified).contains("3 pages, 70 sessions"),
        "{}",
        stdout(&verified)
    );
    runtime.block_on(mock.shutdown()).unwrap();
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn server_without_credentials_is_a_usage_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "verify",
            "--server",
            "https://127.0.0.1:9",
            "--job",
            "196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5",
        ])
        .env_remove("VBO_TOKEN")
        .env_remove("VBO_USERNAME")
        .env_remove("VBO_PASSWORD")
        .output()
        .unwrap();
    assert_eq!(code(&output), 2);
    assert!(String::from_utf8_lossy(&output.stderr).contains("VBO_USERNAME"));
}

#[test]
fn max_pages_zero_is_a_usage_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "verify",
            "--server",
            "https://127.0.0.1:9",
            "--job",
            "196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5",
            "--max-pages",
            "0",
        ])
        .env("VBO_TOKEN", "t")
        .output()
        .unwrap();
    assert_eq!(code(&output), 2);
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--max-pages"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs xtask with the mock's credentials in the environment.
fn xtask_signed_in(args: &[&str]) -> Output {
    xtask_with(args, false)
}

/// Runs xtask with the mock's credentials, or with a ready token (no sign-in request) if `token`.
fn xtask_with(args: &[&str], token: bool) -> Output {
    let config = vbo_contract::mock::MockConfig::default();
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command.args(args).current_dir(root()).env("NO_COLOR", "1");
    if token {
        command
            .env("VBO_TOKEN", "a-token")
            .env_remove("VBO_USERNAME")
            .env_remove("VBO_PASSWORD");
    } else {
        command
            .env_remove("VBO_TOKEN")
            .env("VBO_USERNAME", &config.user)
            .env("VBO_PASSWORD", &config.password);
    }
    command.output().expect("the xtask binary runs")
}

fn start_mock(
    runtime: &tokio::runtime::Runtime,
    fault: Option<vbo_contract::mock::Fault>,
) -> vbo_contract::mock::MockServer {
    runtime
        .block_on(vbo_contract::mock::MockServer::start(
            vbo_contract::mock::MockConfig {
                jobs: 1,
                sessions_per_job: 70,
                fault,
                ..Default::default()
            },
            vbo_contract::mock::Tls::None,
        ))
        .unwrap()
}

#[test]
fn plain_http_is_warned_about_on_stderr_and_in_the_report() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mock = start_mock(&runtime, None);
    let job = mock.job_ids()[0].clone();
    let output = xtask_signed_in(&[
        "verify",
        "--quiet",
        "--format",
        "json",
        "--server",
        mock.base_url(),
        "--job",
        &job,
        "--page-size",
        "40",
    ]);
    assert_eq!(
        code(&output),
        0,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("WARNING: plain http"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(
        report["notes"][0]
            .as_str()
            .is_some_and(|n| n.contains("plain http")),
        "{report}"
    );
    runtime.block_on(mock.shutdown()).unwrap();
}

/// Each page's findings as (rule, pointer, severity), in page order, from a JSON report.
fn verdicts(report: &serde_json::Value) -> Vec<Vec<(String, String, String)>> {
    report["pages_detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|page| {
            let mut found: Vec<(String, String, String)> = report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["source"] == page["source"])
                .map(|f| {
                    let text = |k: &str| f[k].as_str().unwrap().to_owned();
                    (text("rule"), text("pointer"), text("severity"))
                })
                .collect();
            found.sort();
            found
        })
        .collect()
}

/// Walks `base` live with `verify --server` and records it with `record --redact-ids`, then
/// verifies the recording offline; returns both reports and record's stderr.
fn live_and_recorded(
    base_live: &str,
    base_record: &str,
    job: &str,
    dir: &Path,
    token: bool,
) -> (serde_json::Value, serde_json::Value, String) {
    let _ = std::fs::remove_dir_all(dir);
    let live = xtask_with(
        &[
            "verify",
            "--quiet",
            "--format",
            "json",
            "--server",
            base_live,
            "--job",
            job,
            "--page-size",
            "30",
        ],
        token,
    );
    let live: serde_json::Value = serde_json::from_str(&stdout(&live)).unwrap_or_else(|e| {
        panic!(
            "no live report ({e}): {}",
            String::from_utf8_lossy(&live.stderr)
        )
    });
    let recorded = xtask_with(
        &[
            "record",
            "--server",
            base_record,
            "--job",
            job,
            "--page-size",
            "30",
            "--redact-ids",
            "--out",
            dir.to_str().unwrap(),
        ],
        token,
    );
    let stderr = String::from_utf8_lossy(&recorded.stderr).into_owned();
    assert_eq!(code(&recorded), 0, "{stderr}");
    let offline = xtask(&["verify", "--format", "json", dir.to_str().unwrap()]);
    let offline: serde_json::Value = serde_json::from_str(&stdout(&offline)).unwrap();
    (live, offline, stderr)
}

#[test]
fn recorded_walks_verify_offline_as_they_did_live() {
    use vbo_contract::mock::Fault;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for fault in [Fault::MalformedJson, Fault::UnknownStatus] {
        // Two fresh mocks with the same seed serve the same walk.
        let (a, b) = (
            start_mock(&runtime, Some(fault)),
            start_mock(&runtime, Some(fault)),
        );
        let job = a.job_ids()[0].clone();
        assert_eq!(b.job_ids()[0], job);
        let dir = std::env::temp_dir().join(format!("xtask-rec-{fault}-{}", std::process::id()));
        let (live, offline, stderr) =
            live_and_recorded(a.base_url(), b.base_url(), &job, &dir, false);
        let rule = fault.rule().unwrap().id();
        assert!(live["rules"][rule].is_object(), "{fault}: {live}");
        assert_eq!(verdicts(&offline), verdicts(&live), "{fault}");
        assert_eq!(offline["errors"], live["errors"], "{fault}");
        assert!(
            !stderr.contains(&job),
            "{fault}: a real id on stderr: {stderr}"
        );
        runtime.block_on(a.shutdown()).unwrap();
        runtime.block_on(b.shutdown()).unwrap();
        std::fs::remove_dir_all(dir).ok();
    }
}

/// A loopback server answering every request with one page whose body is not UTF-8 and whose
/// links name `vbo-internal.corp.example`, not the address it was reached at.
fn start_foreign_host_server() -> (String, std::thread::JoinHandle<()>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        // Two walks (live and recorded), one page each.
        for stream in listener.incoming().take(2) {
            let mut stream = stream.unwrap();
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = stream.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                head.extend_from_slice(&buf[..n]);
            }
            let id = "6a3fa2fb-3a77-4d99-8b5d-000000000001";
            let job = "196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5";
            let mut body = format!(
                r#"{{"offset":0,"limit":30,"results":[{{"id":"{id}","creationTime":"2026-11-28T12:00:00Z","endTime":"2026-11-28T12:01:00Z","progress":100,"status":"Success","statistics":{{"processingRateBytesPS":1,"processingRateItemsPS":1,"readRateBytesPS":1,"writeRateBytesPS":1,"transferredDataBytes":1,"processedObjects":1,"bottleneck":"Target"}},"_links":{{"self":{{"href":"https://vbo-internal.corp.example:4443/v5/jobsessions/{id}"}},"job":{{"href":"https://admin:s3cret@vbo-internal.corp.example/v5/jobs/{job}"}}}},"note":"served by vbo-internal.corp.example, "}}]}}"#
            )
            .into_bytes();
            let at = body.len() - 6;
            body.insert(at, 0xff);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(&body).unwrap();
        }
    });
    (base, handle)
}

#[test]
fn record_keeps_bodies_byte_for_byte_and_replaces_every_host() {
    let (base, server) = start_foreign_host_server();
    let job = "196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5";
    let dir = std::env::temp_dir().join(format!("xtask-rec-bytes-{}", std::process::id()));
    let (live, offline, stderr) = live_and_recorded(&base, &base, job, &dir, true);
    server.join().unwrap();
    assert_eq!(
        verdicts(&live),
        [[("encoding".into(), String::new(), "error".into())]]
    );
    assert_eq!(
        verdicts(&offline),
        verdicts(&live),
        "an encoding error stays one offline"
    );
    let page = std::fs::read(dir.join("00000000-0000-4000-8000-000000000001.walk/page-0001.http"))
        .unwrap();
    assert!(page.contains(&0xff), "the invalid byte is kept");
    let text = String::from_utf8_lossy(&page);
    for leak in [
        "vbo-internal",
        "corp.example",
        "127.0.0.1",
        "admin",
        "s3cret",
        job,
    ] {
        assert!(!text.contains(leak), "{leak} in the capture: {text}");
    }
    assert!(
        text.contains("https://vbo.example/v5/jobsessions/"),
        "{text}"
    );
    assert!(!stderr.contains(job), "{stderr}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn absorbed_faults_are_reported_as_transient_and_fail_only_when_denied() {
    for (fault, kind) in [
        ("rate-limit", "rate-limited"),
        ("expired-token", "re-sign-in"),
    ] {
        let args = [
            "verify",
            "--quiet",
            "--format",
            "json",
            "--mock-fault",
            fault,
            "--mock-jobs",
            "1",
            "--mock-sessions",
            "120",
            "--page-size",
            "50",
        ];
        let output = xtask(&args);
        assert_eq!(code(&output), 0, "{fault}: the verdict stays clean");
        let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
        let kinds: Vec<&str> = report["transient"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["kind"].as_str().unwrap())
            .collect();
        assert!(kinds.contains(&kind), "{fault}: {kinds:?}");
        assert!(report["transient_total"].as_u64().unwrap() > 0, "{fault}");
        let denied = xtask(&[&args[..], &["--deny-transient"]].concat());
        assert_eq!(code(&denied), 1, "{fault}: --deny-transient fails the run");
    }
}

/// A mock on loopback over plain HTTP with `jobs` jobs of `sessions` sessions each.
fn running_mock(
    runtime: &tokio::runtime::Runtime,
    jobs: usize,
    sessions: u64,
) -> vbo_contract::mock::MockServer {
    runtime
        .block_on(vbo_contract::mock::MockServer::start(
            vbo_contract::mock::MockConfig {
                jobs,
                sessions_per_job: sessions,
                ..Default::default()
            },
            vbo_contract::mock::Tls::None,
        ))
        .unwrap()
}

#[test]
fn verify_server_with_only_a_url_and_credentials_walks_every_job() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mock = running_mock(&runtime, 3, 25);
    let config = vbo_contract::mock::MockConfig::default();
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "verify",
            "--quiet",
            "--server",
            mock.base_url(),
            "--page-size",
            "10",
            "--format",
            "json",
        ])
        .env("VBO_USERNAME", &config.user)
        .env("VBO_PASSWORD", &config.password)
        .env_remove("VBO_JOBS")
        .output()
        .unwrap();
    assert_eq!(
        code(&output),
        0,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["sessions"], 75, "{report:#}");
    // The job list first, then three pages of each job, every job walked.
    let sources: Vec<String> = report["pages_detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["source"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sources.len(), 1 + 3 * 3, "{sources:#?}");
    assert!(sources[0].ends_with("/v5/Jobs"), "{sources:#?}");
    for job in mock.job_ids() {
        assert_eq!(
            sources.iter().filter(|s| s.contains(job.as_str())).count(),
            3,
            "job {job}: {sources:#?}"
        );
    }
    runtime.block_on(mock.shutdown()).unwrap();
}

#[test]
fn record_with_no_job_records_the_job_list_and_every_job() {
    let dir = std::env::temp_dir().join(format!("xtask-record-all-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mock = running_mock(&runtime, 2, 15);
    let config = vbo_contract::mock::MockConfig::default();
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "record",
            "--server",
            mock.base_url(),
            "--page-size",
            "10",
            "--out",
        ])
        .arg(&dir)
        .env("VBO_USERNAME", &config.user)
        .env("VBO_PASSWORD", &config.password)
        .env_remove("VBO_JOBS")
        .output()
        .unwrap();
    assert_eq!(
        code(&output),
        0,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut dirs: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let mut expected: Vec<String> = mock.job_ids().iter().map(|j| format!("{j}.walk")).collect();
    expected.push("v5-Jobs.walk".to_owned());
    expected.sort();
    assert_eq!(dirs, expected);
    // Offline, each capture is routed by its request line: the job list as a list, the
    // sessions as pages.
    let verified = xtask(&["verify", dir.to_str().unwrap()]);
    assert_eq!(code(&verified), 0, "{}", stdout(&verified));
    assert!(
        stdout(&verified).contains("5 pages, 30 sessions"),
        "{}",
        stdout(&verified)
    );
    runtime.block_on(mock.shutdown()).unwrap();
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_bare_body_is_judged_as_the_operation_named_by_operation() {
    let dir = std::env::temp_dir().join(format!("xtask-operation-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let jobs = dir.join("jobs.json");
    std::fs::write(
        &jobs,
        r#"[{"id": "196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5", "name": "Daily"}, {"id": "not-a-uuid", "name": "Weekly"}]"#,
    )
    .unwrap();
    let path = jobs.to_str().unwrap();
    // As a page of sessions (the default), a list is simply not a page.
    let as_page = xtask(&["verify", "--format", "json", path]);
    assert_eq!(code(&as_page), 1);
    assert!(
        stdout(&as_page).contains(r#""pointer": """#),
        "{}",
        stdout(&as_page)
    );
    // As the job list, the one finding is the id that is not a uuid.
    let as_jobs = xtask(&[
        "verify",
        "--format",
        "json",
        "--operation",
        "get_jobs",
        path,
    ]);
    assert_eq!(code(&as_jobs), 1, "{}", stdout(&as_jobs));
    let report: serde_json::Value = serde_json::from_slice(&as_jobs.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["pointer"], "/1/id");
    assert_eq!(findings[0]["operation"], "GET /v5/Jobs");
    let by_path = xtask(&["verify", "--quiet", "--operation", "GET /v5/jobs", path]);
    assert_eq!(code(&by_path), 1);
    // An operation the contract does not have is a usage error that lists the ones it has.
    let unknown = xtask(&["verify", "--operation", "get_widgets", path]);
    assert_eq!(code(&unknown), 2);
    let said = String::from_utf8_lossy(&unknown.stderr);
    assert!(said.contains("get_jobs (GET /v5/Jobs)"), "{said}");
    std::fs::remove_dir_all(dir).ok();
}
