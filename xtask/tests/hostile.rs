//! `cargo xtask verify` on hostile offline inputs, run as a process: nothing aborts it (a stack
//! overflow is exit 134 and loses every other input), nothing makes it hang or grow without
//! bound. Each run has a deadline and is killed past it, so a regression fails, never stalls.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(120);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Address space the process may use: a read that ignores the cap fails here (an abort, not
/// exit 2) long before it could take the machine's memory.
const MEMORY_KIB: u64 = 4 * 1024 * 1024;

/// Runs `xtask args` under [`MEMORY_KIB`], killing it past [`DEADLINE`].
fn xtask_within_deadline(args: &[&str]) -> Output {
    xtask_within_deadline_with(args, &[])
}

/// [`xtask_within_deadline`] with extra environment variables.
fn xtask_within_deadline_with(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {MEMORY_KIB} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the xtask binary runs");
    let started = Instant::now();
    // Output is read after exit; the reports here are small enough for the pipe buffers.
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let output = child.wait_with_output().expect("output");
            panic!(
                "xtask {args:?} ran past {DEADLINE:?} and was killed; stderr:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn verify_dev_zero_ends_promptly_with_the_cap_error_and_verifies_the_rest() {
    let output = xtask_within_deadline(&[
        "verify",
        "/dev/zero",
        "contract-tests/fixtures/valid/running-and-queued-without-end.json",
    ]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains(
            "input error: /dev/zero: the file is larger than the cap of 64 MiB (67108864 bytes)"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("FAILED: 1 page,"), "{stdout}");
}

#[test]
fn max_body_sets_the_cap_for_files_and_ndjson_lines() {
    let output = xtask_within_deadline(&[
        "verify",
        "--max-body",
        "100",
        "contract-tests/fixtures/valid/seed-example.json",
        "contract-tests/fixtures/valid/walk-three-pages.ndjson",
    ]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains(
            "seed-example.json: the file is larger than the cap of 100 bytes and was not verified"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("walk-three-pages.ndjson:1: line 1, so the rest of the file, is larger than the cap of 100 bytes"),
        "{stdout}"
    );
    assert!(stdout.contains("FAILED: 0 pages,"), "{stdout}");
}

#[test]
fn deep_nesting_is_a_finding_not_an_abort_and_every_other_input_is_verified() {
    let dir = scratch("deep");
    // The case: 40 KB, 20,000 nested arrays; then objects, and arrays inside results.
    std::fs::write(
        dir.join("arrays.json"),
        format!("{}{}", "[".repeat(20_000), "]".repeat(20_000)),
    )
    .unwrap();
    std::fs::write(
        dir.join("objects.json"),
        format!("{}null{}", "{\"k\":".repeat(100_000), "}".repeat(100_000)),
    )
    .unwrap();
    std::fs::write(
        dir.join("results.ndjson"),
        format!(
            "{{\"offset\":0,\"limit\":30,\"results\":{}{}}}\n",
            "[".repeat(200_000),
            "]".repeat(200_000)
        ),
    )
    .unwrap();
    let output = xtask_within_deadline(&[
        "verify",
        "--format",
        "json",
        dir.to_str().unwrap(),
        "contract-tests/fixtures/invalid/schema-unknown-status.json",
    ]);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("a JSON report");
    assert_eq!(report["pages"], 4);
    let findings = report["findings"].as_array().unwrap();
    for name in ["arrays.json", "objects.json", "results.ndjson"] {
        let hits: Vec<_> = findings
            .iter()
            .filter(|f| f["source"].as_str().unwrap().ends_with(name))
            .collect();
        assert_eq!(hits.len(), 1, "{name}: {hits:?}");
        assert_eq!(hits[0]["rule"], "json-syntax");
        assert_eq!(hits[0]["line"], 1);
        assert!(hits[0]["column"].as_u64().unwrap() >= 128, "{:?}", hits[0]);
    }
    assert!(
        findings
            .iter()
            .any(|f| f["rule"] == "schema" && f["pointer"] == "/results/0/status"),
        "the fixture after the deep inputs is still verified: {stdout}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn endless_config_baseline_and_ca_cert_files_end_with_a_size_error() {
    let fixture = root()
        .join("contract-tests/fixtures/valid")
        .read_dir()
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .unwrap();
    let fixture = fixture.display().to_string();
    for (args, says) in [
        (
            vec!["verify", "--config", "/dev/zero", fixture.as_str()],
            "config /dev/zero is larger than",
        ),
        (
            vec!["verify", "--baseline", "/dev/zero", fixture.as_str()],
            "baseline /dev/zero is larger than",
        ),
        (
            vec![
                "verify",
                "--server",
                "https://127.0.0.1:9",
                "--job",
                "514eabf9-4cc9-41e0-bf5f-76f1485904cd",
                "--ca-cert",
                "/dev/zero",
            ],
            "--ca-cert /dev/zero is larger than",
        ),
    ] {
        let output = xtask_within_deadline_with(&args, &[("VBO_TOKEN", "t0ken")]);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}
