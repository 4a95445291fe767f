//! SARIF output checked by outsiders: every SARIF log the tests wrote under
//! `target/sarif-produced/` (plus one made here from the invalid fixtures) is validated against
//! the SARIF 2.1.0 JSON Schema shipped by the pinned `@microsoft/sarif-multitool` (with ajv),
//! and one log is fed to the multitool's own `validate`, an independent SARIF consumer.

use std::path::{Path, PathBuf};
use std::process::Command;

use vbo_contract::{Contract, Verifier, recorded, report};

use super::{Outcome, Tools};

/// Where the SARIF tests leave what they produced.
pub const PRODUCED: &str = "target/sarif-produced";

fn multitool_dir(tools: &Tools) -> PathBuf {
    tools
        .node_dir()
        .join("node_modules/@microsoft/sarif-multitool-linux")
}

/// Writes one log of our own (the invalid fixtures), so the step never checks nothing.
fn produce_fixture_log(root: &Path) -> Result<PathBuf, String> {
    let contract = Contract::embedded().map_err(|e| e.to_string())?;
    let fixtures = root.join("contract-tests/fixtures/invalid");
    let mut report = recorded::verify_paths(&Verifier::new(&contract), &[fixtures], &mut |_, _| {});
    for entry in &mut report.entries {
        if let Ok(relative) = Path::new(&entry.source.origin).strip_prefix(root) {
            entry.source.origin = relative.display().to_string();
        }
    }
    let dir = root.join(PRODUCED);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let path = dir.join("conformance-invalid-fixtures.sarif");
    std::fs::write(&path, report::sarif(&report)).map_err(|e| e.to_string())?;
    Ok(path)
}

/// Validates every produced log; returns the outcomes of the schema and multitool checks.
pub fn run(tools: &Tools, root: &Path) -> Vec<Outcome> {
    let version = tools.node_version("@microsoft/sarif-multitool-linux");
    let schema_tool = format!(
        "SARIF 2.1.0 schema (sarif-multitool {version}) + ajv {}",
        tools.node_version("ajv")
    );
    let multitool = format!("sarif-multitool {version} `validate`");
    let fail = |tool: &str, checked: &str, counts: String| Outcome {
        tool: tool.to_owned(),
        checked: checked.to_owned(),
        passed: false,
        counts,
    };
    let own = match produce_fixture_log(root) {
        Ok(path) => path,
        Err(e) => return vec![fail(&schema_tool, "SARIF logs", e)],
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(PRODUCED))
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "sarif"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let checked = format!("{} SARIF logs in {PRODUCED}/", files.len());
    let schema = multitool_dir(tools).join("sarif-2.1.0.json");
    let output = Command::new("node")
        .arg(tools.pins.join("sarif-validate.mjs"))
        .arg(&schema)
        .args(&files)
        .current_dir(tools.node_dir())
        .output();
    let schema_outcome = match output {
        Err(e) => fail(&schema_tool, &checked, format!("cannot run node: {e}")),
        Ok(out) if !out.status.success() => fail(
            &schema_tool,
            &checked,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ),
        Ok(out) => {
            let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect();
            let invalid: Vec<&serde_json::Value> =
                lines.iter().filter(|v| v["valid"] != true).collect();
            for bad in &invalid {
                eprintln!("sarif: schema-invalid {}: {}", bad["file"], bad["errors"]);
            }
            Outcome {
                tool: schema_tool.clone(),
                checked: checked.clone(),
                passed: lines.len() == files.len() && invalid.is_empty(),
                counts: format!(
                    "{} valid, {} invalid",
                    lines.len() - invalid.len(),
                    invalid.len()
                ),
            }
        }
    };
    // The multitool validates the fixture log (all rules, file regions) and, when a test made
    // one, a live log (URL artifacts without regions).
    let mut fed = vec![own];
    if let Some(live) = files.iter().find(|p| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().contains("live"))
    }) {
        fed.push(live.clone());
    }
    let mut problems = Vec::new();
    let mut guidance: Vec<String> = Vec::new();
    for file in &fed {
        let result = root.join(PRODUCED).join(format!(
            "{}.validation.json",
            file.file_stem().unwrap_or_default().to_string_lossy()
        ));
        let status = Command::new(multitool_dir(tools).join("Sarif.Multitool"))
            .arg("validate")
            .arg(file)
            .arg("--output")
            .arg(&result)
            .args(["--log", "ForceOverwrite"])
            .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
            .output();
        match status {
            Err(e) => problems.push(format!("cannot run the multitool: {e}")),
            Ok(out) => {
                // The multitool writes its verdict as a SARIF log. Its SARIF1xxx rules are the
                // specification's requirements: any of them, or any error, fails the step. Its
                // SARIF2xxx rules are guidance and are counted; SARIF2017 (no region) is by
                // design for live responses and whole-body findings (no fake line).
                let results = std::fs::read_to_string(&result)
                    .ok()
                    .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                    .map(|log| {
                        log["runs"][0]["results"]
                            .as_array()
                            .cloned()
                            .unwrap_or_default()
                    });
                let errors = results.map(|results| {
                    let (failing, advice): (Vec<_>, Vec<_>) = results.into_iter().partition(|x| {
                        x["level"] == "error"
                            || x["ruleId"]
                                .as_str()
                                .is_some_and(|id| id.starts_with("SARIF1"))
                    });
                    guidance.extend(
                        advice
                            .iter()
                            .map(|x| x["ruleId"].as_str().unwrap_or("?").to_owned()),
                    );
                    failing
                        .iter()
                        .map(|x| format!("{} {}", x["ruleId"], x["message"]))
                        .collect::<Vec<_>>()
                });
                match errors {
                    None => problems.push(format!(
                        "{}: no validation log ({}): {}",
                        file.display(),
                        out.status,
                        String::from_utf8_lossy(&out.stdout)
                    )),
                    Some(errors) if !errors.is_empty() => {
                        problems.push(format!("{}: {}", file.display(), errors.join("; ")));
                    }
                    Some(_) => {}
                }
            }
        }
    }
    for problem in &problems {
        eprintln!("sarif: multitool: {problem}");
    }
    let multitool_outcome = Outcome {
        tool: multitool,
        checked: format!(
            "{} SARIF log(s) (fixtures, and a live run if the tests made one)",
            fed.len()
        ),
        passed: problems.is_empty(),
        counts: format!(
            "{} accepted, {} with errors; guidance notes: {}",
            fed.len() - problems.len().min(fed.len()),
            problems.len(),
            summarize(&guidance)
        ),
    };
    vec![schema_outcome, multitool_outcome]
}

/// `SARIF2017 x4, SARIF2005 x1`, or `none`.
fn summarize(ids: &[String]) -> String {
    let mut counts = std::collections::BTreeMap::new();
    for id in ids {
        *counts.entry(id.as_str()).or_insert(0usize) += 1;
    }
    if counts.is_empty() {
        return "none".into();
    }
    counts
        .iter()
        .map(|(id, n)| format!("{id} x{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
