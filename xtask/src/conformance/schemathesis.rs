//! Schemathesis against the built-in mock: all response checks, signed in through
//! `POST /v5/Token`. It must pass on the normal mock and fail on a contract-breaking fault, so
//! the harness cannot pass by testing nothing.

use std::path::Path;
use std::process::Command;

use vbo_contract::mock::{Fault, MockConfig, MockServer, Tls};

use super::{Outcome, Tools};

/// The fault the second run must catch: sessions with a status the contract does not list.
const BREAKING_FAULT: Fault = Fault::UnknownStatus;

/// Runs Schemathesis twice: on the normal mock (must pass) and on a faulty one (must fail).
pub fn run(tools: &Tools, root: &Path, runtime: &tokio::runtime::Runtime) -> Vec<Outcome> {
    let tool = format!("schemathesis {}", tools.python_version("schemathesis"));
    let normal = runtime.block_on(one_run(tools, root, None));
    let faulty = runtime.block_on(one_run(tools, root, Some(BREAKING_FAULT)));
    vec![
        match normal {
            Ok((passed, summary)) => Outcome {
                tool: tool.clone(),
                checked: "mock, normal mode, --checks all".into(),
                passed,
                counts: summary,
            },
            Err(e) => Outcome {
                tool: tool.clone(),
                checked: "mock, normal mode".into(),
                passed: false,
                counts: e,
            },
        },
        match faulty {
            Ok((passed, summary)) => Outcome {
                tool,
                checked: format!("mock with fault `{}` (must fail)", BREAKING_FAULT.id()),
                passed: !passed && summary.contains("failure"),
                counts: format!("{summary} (expected failures)"),
            },
            Err(e) => Outcome {
                tool,
                checked: "mock with a fault".into(),
                passed: false,
                counts: e,
            },
        },
    ]
}

/// One Schemathesis run against a fresh mock; returns (passed, its summary line).
async fn one_run(
    tools: &Tools,
    root: &Path,
    fault: Option<Fault>,
) -> Result<(bool, String), String> {
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
    let summary = text
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
    Ok((output.status.success(), format!("{cases}; {summary}")))
}
