//! SARIF 2.1.0 for code-scanning uploads: the rule catalogue of `finding.rs` (the README's rules
//! table) as the driver's rules, and one result per finding. A file finding has a region (line
//! and column in Unicode code points, stated by `columnKind`); a live response is an artifact
//! named by its URL, with job and offset as properties and no region, because there is no file
//! line to point at.

use serde_json::{Value, json};

use super::{Entry, Report};
use crate::baseline::fingerprint;
use crate::finding::{Finding, Rule, Severity};

/// The `$schema` a SARIF 2.1.0 log names (the OASIS errata 01 schema).
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The key of our fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "vboContract/v1";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// `schema` -> `Schema`, `next-on-last-page` -> `NextOnLastPage` (SARIF's rule `name`).
fn pascal(id: &str) -> String {
    id.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn rule_descriptor(rule: Rule) -> Value {
    let description = rule.description();
    let short = description
        .split_once(". ")
        .map_or(description.to_owned(), |(first, _)| format!("{first}."));
    let mut descriptor = json!({
        "id": rule.id(),
        "shortDescription": { "text": short },
        "fullDescription": { "text": description },
        "help": {
            "text": format!("{description} (rule `{}`, default severity {}; see the Rules table of the README and openapi/DECISIONS.md)", rule.id(), level(rule.default_severity())),
            "markdown": format!("**`{}`** ({}): {description}", rule.id(), level(rule.default_severity())),
        },
        "defaultConfiguration": { "level": level(rule.default_severity()) },
    });
    // SARIF wants `name` to differ from `id` (compared ignoring case), or to be absent.
    let name = pascal(rule.id());
    if !name.eq_ignore_ascii_case(rule.id()) {
        descriptor["name"] = json!(name);
    }
    descriptor
}

/// Percent-encodes a path for a URI reference: unreserved characters and `/` stay.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.replace('\\', "/").bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(char::from(byte));
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// The artifact URI of a source: the URL of a live page, a `file://` URI for an absolute path,
/// else the relative path (GitHub resolves it against the checkout).
fn artifact_uri(origin: &str, live: bool) -> String {
    if live {
        origin.to_owned()
    } else if origin.starts_with('/') {
        format!("file://{}", encode_path(origin))
    } else {
        encode_path(origin)
    }
}

fn result(report: &Report, entry: &Entry, finding: &Finding) -> Value {
    let source = &entry.source;
    let mut physical = json!({
        "artifactLocation": { "uri": artifact_uri(&source.origin, source.live.is_some()) },
    });
    if source.live.is_none() {
        match (finding.position, source.line) {
            (Some(p), _) => {
                physical["region"] =
                    json!({ "startLine": source.line_of(p), "startColumn": p.column });
            }
            (None, Some(record)) => physical["region"] = json!({ "startLine": record }),
            (None, None) => {}
        }
    }
    let mut properties = json!({ "pointer": finding.pointer });
    if let Some(location) = &finding.schema_location {
        properties["schemaLocation"] = json!(location);
    }
    if let Some(record) = source.line {
        properties["record"] = json!(record);
    }
    if let Some(live) = &source.live {
        properties["job"] = json!(live.job);
        properties["offset"] = json!(live.offset);
        if let Some(p) = finding.position {
            properties["bodyLine"] = json!(p.line);
            properties["bodyColumn"] = json!(p.column);
        }
    }
    let mut result = json!({
        "ruleId": finding.rule.id(),
        "ruleIndex": Rule::ALL.iter().position(|r| *r == finding.rule).unwrap_or(0),
        "level": level(finding.severity),
        "message": { "text": finding.message },
        "locations": [{
            "physicalLocation": physical,
            "logicalLocations": [{
                "fullyQualifiedName": if finding.pointer.is_empty() { "/" } else { finding.pointer.as_str() },
                "kind": "element",
            }],
        }],
        "partialFingerprints": { FINGERPRINT_KEY: fingerprint(finding) },
        "properties": properties,
    });
    if report.baseline.is_some() {
        result["baselineState"] = json!(if report.is_new(finding) {
            "new"
        } else {
            "unchanged"
        });
    }
    result
}

/// Renders `report` as a SARIF 2.1.0 log (pretty JSON), one result per finding.
pub fn render(report: &Report) -> String {
    let rules: Vec<Value> = Rule::ALL.iter().map(|r| rule_descriptor(*r)).collect();
    let results: Vec<Value> = report
        .entries
        .iter()
        .flat_map(|entry| entry.findings.iter().map(move |f| (entry, f)))
        .map(|(entry, finding)| result(report, entry, finding))
        .collect();
    let notifications: Vec<Value> = report
        .input_problems
        .iter()
        .map(|p| {
            json!({
                "level": "error",
                "message": { "text": format!("{}: {}", p.source, p.message) },
            })
        })
        .collect();
    let mut properties = json!({
        "pages": report.pages(),
        "sessions": report.sessions(),
        "errors": report.errors(),
        "warnings": report.warnings(),
    });
    if let Some(baseline) = &report.baseline {
        properties["baseline"] = json!({
            "file": baseline.path,
            "known": report.known(),
            "gone": baseline.gone.iter().map(|g| &g.fingerprint).collect::<Vec<_>>(),
        });
    }
    let document = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "vbo-contract",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": env!("CARGO_PKG_REPOSITORY"),
                    "rules": rules,
                },
            },
            "invocations": [{
                "executionSuccessful": report.input_problems.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": properties,
        }],
    });
    let mut text = serde_json::to_string_pretty(&document).expect("a Value always serialises");
    text.push('\n');
    text
}
