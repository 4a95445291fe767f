//! The machine-readable report: one JSON document with totals at the top level and every
//! finding with its source. The shape is documented in the README and pinned by snapshots.

use serde_json::{Map, Value, json};

use super::Report;

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
                    "message": f.message,
                });
                let map = object.as_object_mut().expect("built as an object");
                if let Some(line) = entry.source.line {
                    map.insert("record".into(), json!(line));
                }
                if let Some(location) = &f.schema_location {
                    map.insert("schema_location".into(), json!(location));
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
    let document = json!({
        "format_version": FORMAT_VERSION,
        "ok": report.errors() == 0 && report.input_problems.is_empty(),
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
    let mut text = serde_json::to_string_pretty(&document).expect("a Value always serialises");
    text.push('\n');
    text
}
