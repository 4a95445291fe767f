//! The machine-readable report: one JSON document with totals at the top level and every
//! finding with its source. The shape is documented in the README and pinned by snapshots.

use serde_json::{Map, Value, json};

use super::Report;
use super::human::is_unprintable;
use crate::finding::settle;

/// Version of the JSON report's shape; bumped on any incompatible change.
pub const FORMAT_VERSION: u32 = 1;

/// Renders `report` as pretty JSON.
pub fn render(report: &Report) -> String {
    let mut rules = Map::new();
    for (rule, count) in report.by_rule() {
        rules.insert(
            rule.id().to_owned(),
            json!({"errors": count.errors, "warnings": count.warnings}),
        );
    }
    let findings: Vec<Value> = report
        .entries
        .iter()
        .flat_map(|entry| {
            entry.findings.iter().map(move |f| {
                let mut object = json!({
                    "source": entry.source.origin,
                    "rule": f.rule.id(),
                    "severity": f.severity.as_str(),
                    "pointer": f.pointer,
                    "message": settle(&f.message, true),
                });
                let map = object.as_object_mut().expect("built as an object");
                if let Some(line) = entry.source.line {
                    map.insert("record".into(), json!(line));
                }
                if let Some(location) = &f.schema_location {
                    map.insert("schema_location".into(), json!(location));
                }
                if let Some(operation) = &f.operation {
                    map.insert("operation".into(), json!(operation));
                }
                if let Some(p) = f.position {
                    let line = entry.source.line.unwrap_or(p.line);
                    map.insert("line".into(), json!(line));
                    map.insert("column".into(), json!(p.column));
                }
                object
            })
        })
        .collect();
    let sources: Vec<Value> = report
        .entries
        .iter()
        .map(|e| {
            let errors = e.findings.iter().filter(|f| f.is_error()).count();
            let mut object = json!({
                "source": e.source.origin,
                "sessions": e.sessions,
                "errors": errors,
                "warnings": e.findings.len() - errors,
            });
            if let Some(line) = e.source.line {
                object["record"] = json!(line);
            }
            object
        })
        .collect();
    let inputs: Vec<Value> = report
        .input_problems
        .iter()
        .map(|p| json!({"source": p.source, "message": p.message}))
        .collect();
    let notes: Vec<Value> = report
        .input_notes
        .iter()
        .map(|p| json!({"source": p.source, "message": p.message}))
        .collect();
    let transient: Vec<Value> = report
        .transient
        .iter()
        .map(|t| {
            json!({
                "kind": t.kind,
                "count": t.count,
                "first": {"url": t.first_url, "detail": t.first_detail},
            })
        })
        .collect();
    let mut document = json!({
        "format_version": FORMAT_VERSION,
        "ok": report.new_errors() == 0 && report.input_problems.is_empty(),
        "pages": report.pages(),
        "sessions": report.sessions(),
        "errors": report.errors(),
        "warnings": report.warnings(),
        "elapsed_ms": u64::try_from(report.elapsed.as_millis()).unwrap_or(u64::MAX),
        "rules": rules,
        "input_errors": inputs,
        "findings": findings,
        "pages_detail": sources,
        "transient_total": report.transient_total(),
        "transient": transient,
        "notes": report.notes,
    });
    if !notes.is_empty() {
        document["input_notes"] = Value::Array(notes);
    }
    add_ci_fields(report, &mut document);
    let mut text = serde_json::to_string_pretty(&document).expect("a Value always serialises");
    text.push('\n');
    escape_invisible(text)
}

/// JSON text with DEL, the C1 controls and the bidi controls written as `\u` escapes:
/// serde_json escapes only C0, and the others would reach a terminal that prints the report
/// raw. They can only occur inside strings, so the escape keeps the document's meaning.
fn escape_invisible(text: String) -> String {
    // C0 is escaped by serde_json already; raw newlines are the pretty printer's own.
    let invisible = |c: char| c > '\x1f' && is_unprintable(c);
    if !text.contains(invisible) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if invisible(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Fields only present when used: the live page of each finding, and the baseline verdicts
/// (`baseline` on each finding, the `baseline` block with new, known and gone).
fn add_ci_fields(report: &Report, document: &mut Value) {
    let Some(findings) = document["findings"].as_array_mut() else {
        return;
    };
    let mut objects = findings.iter_mut();
    for entry in &report.entries {
        for finding in &entry.findings {
            let Some(object) = objects.next().and_then(Value::as_object_mut) else {
                return;
            };
            if let Some(live) = &entry.source.live {
                object.insert("job".into(), json!(live.job));
                object.insert("offset".into(), json!(live.offset));
            }
            if report.baseline.is_some() {
                let state = if report.is_new(finding) {
                    "new"
                } else {
                    "known"
                };
                object.insert("baseline".into(), json!(state));
                object.insert(
                    "fingerprint".into(),
                    json!(crate::baseline::fingerprint(finding)),
                );
            }
        }
    }
    if let Some(baseline) = &report.baseline {
        let known = report.known();
        document["baseline"] = json!({
            "file": baseline.path,
            "new": report.findings().count() - known,
            "known": known,
            "gone": baseline.gone,
        });
    }
}
