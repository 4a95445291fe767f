//! Schemathesis against the built-in mock: all response checks, signed in through
//! `POST /v5/Token`. It must pass on the normal mock and fail on a contract-breaking fault, so
//! the harness cannot pass by testing nothing.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use vbo_contract::mock::{Fault, MockConfig, MockServer, Tls};

use super::{Outcome, Tools};

/// The fault the second run must catch: sessions with a status the contract does not list.
const BREAKING_FAULT: Fault = Fault::UnknownStatus;

/// The failure Schemathesis must report for [`BREAKING_FAULT`] (its `response_schema_conformance`
/// check's title). Any other failure, a server error included, is not the fault being caught.
const EXPECTED_FAILURE: &str = "Response violates schema";

/// What one Schemathesis run said: its exit status and its output.
pub(crate) struct RunOutput {
    /// Whether the process exited 0.
    pub success: bool,
    /// Its standard output and error, in that order.
    pub text: String,
}

/// Runs Schemathesis twice: on the normal mock (must pass) and on a faulty one (must fail).
pub fn run(tools: &Tools, root: &Path, runtime: &tokio::runtime::Runtime) -> Vec<Outcome> {
    let tool = format!("schemathesis {}", tools.python_version("schemathesis"));
    let normal = runtime.block_on(one_run(tools, root, None));
    let faulty = runtime.block_on(one_run(tools, root, Some(BREAKING_FAULT)));
    vec![
        match normal {
            Ok(run) => {
                let (passed, counts) = judge_normal(&run);
                Outcome {
                    tool: tool.clone(),
                    checked: "mock, normal mode, --checks all".into(),
                    passed,
                    counts,
                }
            }
            Err(e) => Outcome {
                tool: tool.clone(),
                checked: "mock, normal mode".into(),
                passed: false,
                counts: e,
            },
        },
        match faulty {
            Ok(run) => {
                let (passed, counts) = judge_faulty(&run, EXPECTED_FAILURE);
                Outcome {
                    tool,
                    checked: format!(
                        "mock with fault `{}` (must fail with \"{EXPECTED_FAILURE}\")",
                        BREAKING_FAULT.id()
                    ),
                    passed,
                    counts,
                }
            }
            Err(e) => Outcome {
                tool,
                checked: "mock with a fault".into(),
                passed: false,
                counts: e,
            },
        },
    ]
}

/// The titles of the failures in the run's `Failures:` summary (`❌ Server error: 2`).
pub(crate) fn failure_kinds(text: &str) -> BTreeSet<String> {
    text.lines()
        .skip_while(|l| l.trim() != "Failures:")
        .skip(1)
        .map(str::trim)
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.strip_prefix('❌'))
        .map(|l| {
            let l = l.trim();
            l.rsplit_once(':')
                .filter(|(_, count)| count.trim().parse::<u64>().is_ok())
                .map_or(l, |(title, _)| title)
                .trim()
        })
        .map(|title| without_check_code(title).to_owned())
        .collect()
}

/// A failure title without the check code Schemathesis 4 puts before it (`ST108 Response
/// violates schema`): the code names the check, the title is what the step compares.
fn without_check_code(title: &str) -> &str {
    match title.split_once(' ') {
        Some((code, rest))
            if code.len() > 2
                && code.starts_with(|c: char| c.is_ascii_uppercase())
                && code.ends_with(|c: char| c.is_ascii_digit())
                && code
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) =>
        {
            rest.trim()
        }
        _ => title,
    }
}

/// The normal run passes when Schemathesis exits 0 and lists no failure.
pub(crate) fn judge_normal(run: &RunOutput) -> (bool, String) {
    let kinds = failure_kinds(&run.text);
    let mut counts = summary(&run.text);
    if !kinds.is_empty() {
        counts.push_str(&format!("; failures: {}", join(&kinds)));
    }
    (run.success && kinds.is_empty(), counts)
}

/// The faulty run passes only when Schemathesis failed and reported `expected` among its
/// failures: failing for another reason (a server error, a crash) does not count.
pub(crate) fn judge_faulty(run: &RunOutput, expected: &str) -> (bool, String) {
    let kinds = failure_kinds(&run.text);
    let caught = !run.success && kinds.contains(expected);
    let found = if kinds.is_empty() {
        "no failure listed".to_owned()
    } else {
        join(&kinds)
    };
    let verdict = if caught {
        "expected failure found"
    } else {
        "the expected failure is missing"
    };
    (
        caught,
        format!(
            "{}; failures: {found} ({verdict}: \"{expected}\")",
            summary(&run.text)
        ),
    )
}

fn join(kinds: &BTreeSet<String>) -> String {
    kinds.iter().cloned().collect::<Vec<_>>().join(", ")
}

/// The run's test-case line and its closing summary line, for the report.
fn summary(text: &str) -> String {
    let closing = text
        .lines()
        .rev()
        .find(|l| {
            l.contains(" in ")
                && (l.contains("passed") || l.contains("failure") || l.contains("warning"))
        })
        .map(|l| {
            l.trim_matches(|c: char| c == '=' || c.is_whitespace())
                .to_owned()
        })
        .unwrap_or_else(|| "no summary line".into());
    let cases = text
        .lines()
        .skip_while(|l| !l.contains("Test cases:"))
        .nth(1)
        .map(|l| l.trim().to_owned())
        .unwrap_or_default();
    format!("{cases}; {closing}")
}

/// One Schemathesis run against a fresh mock.
async fn one_run(tools: &Tools, root: &Path, fault: Option<Fault>) -> Result<RunOutput, String> {
    let config = MockConfig {
        jobs: 1,
        sessions_per_job: 200,
        fault,
        ..MockConfig::default()
    };
    let (user, password) = (config.user.clone(), config.password.clone());
    let mock = MockServer::start(config, Tls::None)
        .await
        .map_err(|e| format!("the mock did not start: {e}"))?;
    let job = mock.job_ids()[0].clone();
    let base = mock.base_url().to_owned();
    let tool = tools.python_tool("schemathesis");
    // Schemathesis keeps a cache (`.schemathesis/`) in its working directory: keep it in ours.
    let workdir = tools.dir.clone();
    let config_file = root.join("xtask/conformance/schemathesis.toml");
    let document = root.join("openapi/vbo-v5.yaml");
    let output = tokio::task::spawn_blocking(move || {
        Command::new(tool)
            .current_dir(workdir)
            .arg("--config-file")
            .arg(config_file)
            .arg("run")
            .arg(document)
            .args(["--checks", "all", "--seed", "1", "--no-color"])
            .env("VBO_MOCK_URL", &base)
            .env("VBO_MOCK_JOB", &job)
            .env("VBO_USERNAME", &user)
            .env("VBO_PASSWORD", &password)
            .env("SCHEMATHESIS_HOOKS", "")
            .output()
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("cannot run schemathesis: {e}"))?;
    let _ = mock.shutdown().await;
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    let label = fault.map_or("normal".to_owned(), |f| format!("fault {}", f.id()));
    println!("schemathesis ({label}):");
    for line in text.lines().filter(|l| {
        l.contains("❌")
            || l.contains("- ") && l.contains("violat")
            || l.contains("Test cases:")
            || l.starts_with("  ") && l.contains("generated")
    }) {
        println!("  {}", line.trim());
    }
    Ok(RunOutput {
        success: output.status.success(),
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The closing part of a Schemathesis 4 run, as its CLI prints it.
    fn output(failures: &[(&str, u32)]) -> String {
        let mut text = String::from(
            "=================================== SUMMARY ====================================\n\n\
             API Operations:\n  Selected: 2/2\n  Tested: 2\n\n",
        );
        if !failures.is_empty() {
            text.push_str("Failures:\n");
            for (title, count) in failures {
                text.push_str(&format!("  ❌ {title}: {count}\n"));
            }
            text.push('\n');
        }
        text.push_str("Test cases:\n  120 generated, 120 passed\n\n");
        let closing = if failures.is_empty() {
            "No issues found in 4.20s"
        } else {
            "2 failures in 4.20s"
        };
        text.push_str(&format!(
            "=================== {closing} ===================\n"
        ));
        text
    }

    fn run(success: bool, failures: &[(&str, u32)]) -> RunOutput {
        RunOutput {
            success,
            text: output(failures),
        }
    }

    #[test]
    fn failure_titles_are_read_from_the_summary() {
        let kinds = failure_kinds(&output(&[
            ("Server error", 2),
            ("Response violates schema", 1),
        ]));
        assert_eq!(
            kinds.into_iter().collect::<Vec<_>>(),
            vec!["Response violates schema", "Server error"]
        );
        assert!(failure_kinds(&output(&[])).is_empty());
        // Schemathesis 4.32 puts the check's code before the title, as in this line of a real
        // run: the code is not part of the title.
        let real = "Failures:\n  \u{274c} ST108 Response violates schema: 1\n\n";
        assert_eq!(
            failure_kinds(real).into_iter().collect::<Vec<_>>(),
            vec!["Response violates schema"]
        );
        // Details elsewhere in the output are not the summary.
        assert!(failure_kinds("- Response violates schema\n").is_empty());
    }

    #[test]
    fn the_faulty_run_must_fail_with_a_schema_violation() {
        let (passed, counts) = judge_faulty(
            &run(false, &[("Response violates schema", 3)]),
            EXPECTED_FAILURE,
        );
        assert!(passed, "{counts}");
        assert!(counts.contains("expected failure found"), "{counts}");
    }

    #[test]
    fn a_server_error_is_not_the_expected_schema_violation() {
        let (passed, counts) = judge_faulty(&run(false, &[("Server error", 3)]), EXPECTED_FAILURE);
        assert!(!passed, "{counts}");
        assert!(counts.contains("Server error"), "{counts}");
        assert!(
            counts.contains("the expected failure is missing"),
            "{counts}"
        );
    }

    #[test]
    fn a_faulty_run_that_passes_or_lists_nothing_fails_the_step() {
        assert!(!judge_faulty(&run(true, &[]), EXPECTED_FAILURE).0);
        // A crash: non-zero exit and no failure summary.
        let crashed = RunOutput {
            success: false,
            text: "Traceback (most recent call last):\n  ...\nConnectionError\n".into(),
        };
        assert!(!judge_faulty(&crashed, EXPECTED_FAILURE).0);
    }

    #[test]
    fn the_normal_run_passes_only_clean() {
        assert!(judge_normal(&run(true, &[])).0);
        let (passed, counts) = judge_normal(&run(false, &[("Server error", 1)]));
        assert!(!passed);
        assert!(counts.contains("failures: Server error"), "{counts}");
        assert!(!judge_normal(&run(false, &[])).0, "a non-zero exit fails");
    }
}
