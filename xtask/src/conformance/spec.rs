//! Spec validators: openapi-spec-validator (PyPI) and `redocly lint` (npm) on the document.

use std::path::Path;
use std::process::Command;

use super::{Outcome, Tools};

/// Runs both validators on `openapi/vbo-v5.yaml`.
pub fn run(tools: &Tools, root: &Path) -> Vec<Outcome> {
    let document = root.join("openapi/vbo-v5.yaml");
    let mut outcomes = Vec::new();

    let out = Command::new(tools.python_tool("openapi-spec-validator"))
        .arg(&document)
        .output();
    let (passed, text) = match out {
        Ok(o) => (
            o.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        ),
        Err(e) => (false, e.to_string()),
    };
    println!("openapi-spec-validator:\n{}", text.trim());
    outcomes.push(Outcome {
        tool: format!(
            "openapi-spec-validator {}",
            tools.python_version("openapi-spec-validator")
        ),
        checked: "openapi/vbo-v5.yaml".into(),
        passed,
        counts: if passed {
            "0 errors".into()
        } else {
            "errors, see above".into()
        },
    });

    let out = Command::new(tools.node_tool("redocly"))
        .args(["lint", "--format", "json"])
        .arg(&document)
        .current_dir(tools.node_dir())
        .env("REDOCLY_TELEMETRY", "off")
        .env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true")
        .output();
    let (errors, warnings, detail) = match out {
        Ok(o) => {
            let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
            match serde_json::from_str::<serde_json::Value>(&stdout) {
                Ok(report) => {
                    let totals = &report["totals"];
                    let problems: Vec<String> = report["problems"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|p| {
                            format!(
                                "{} {}: {}",
                                p["severity"].as_str().unwrap_or("?"),
                                p["ruleId"].as_str().unwrap_or("?"),
                                p["message"].as_str().unwrap_or("")
                            )
                        })
                        .collect();
                    (
                        totals["errors"].as_u64().unwrap_or(u64::MAX),
                        totals["warnings"].as_u64().unwrap_or(0),
                        problems.join("\n"),
                    )
                }
                Err(_) => (
                    u64::MAX,
                    0,
                    format!(
                        "unreadable redocly output:\n{stdout}{}",
                        String::from_utf8_lossy(&o.stderr)
                    ),
                ),
            }
        }
        Err(e) => (u64::MAX, 0, e.to_string()),
    };
    if !detail.is_empty() {
        println!("redocly lint:\n{detail}");
    }
    // DECISIONS.md lists every warning we keep with its reason; none are kept today.
    outcomes.push(Outcome {
        tool: format!("@redocly/cli {}", tools.node_version("@redocly/cli")),
        checked: "lint openapi/vbo-v5.yaml (recommended rules)".into(),
        passed: errors == 0 && warnings == 0,
        counts: format!("{errors} errors, {warnings} warnings"),
    });
    outcomes
}
