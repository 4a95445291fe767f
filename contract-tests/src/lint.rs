//! The project's own lint of the contract document: what progenitor, the verifier and the
//! decisions need from it, checked before anything is generated.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::contract::{self, escape, json_media_schema, resolve};
use crate::{decisions, schema};

/// One problem in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintProblem {
    /// Where: a JSON pointer into the document, or `DECISIONS.md:LINE`.
    pub location: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for LintProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Lints `document` (already parsed) together with the decisions text.
pub fn lint(document: &Value, decisions_text: &str) -> Vec<LintProblem> {
    let mut problems = Vec::new();
    let mut problem =
        |location: String, message: String| problems.push(LintProblem { location, message });

    match document.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0.") => {}
        Some(v) => problem(
            "/openapi".into(),
            format!("version {v}: progenitor reads OpenAPI 3.0.x only"),
        ),
        None => problem("/openapi".into(), "missing `openapi` version".into()),
    }
    if let Err(e) = serde_json::from_value::<openapiv3::OpenAPI>(document.clone()) {
        problem(
            String::new(),
            format!("openapiv3 cannot read the document: {e}"),
        );
    }

    let mut operation_ids: BTreeMap<String, String> = BTreeMap::new();
    for (path, item) in document
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for method in METHODS {
            let Some(operation) = item.get(*method) else {
                continue;
            };
            let here = format!("/paths/{}/{method}", escape(path));
            match operation.get("operationId").and_then(Value::as_str) {
                None => problem(
                    here.clone(),
                    "operation has no operationId (progenitor needs one)".into(),
                ),
                Some(id) => {
                    if let Some(first) = operation_ids.insert(id.to_owned(), here.clone()) {
                        problem(
                            here.clone(),
                            format!("operationId `{id}` is also used at {first}"),
                        );
                    }
                }
            }
            let responses = operation.get("responses").and_then(Value::as_object);
            let successes: Vec<&String> = responses
                .into_iter()
                .flatten()
                .map(|(status, _)| status)
                .filter(|s| s.starts_with('2'))
                .collect();
            let json_successes = successes
                .iter()
                .filter(|s| {
                    responses
                        .and_then(|r| r.get(s.as_str()))
                        .and_then(|r| json_media_schema(document, r))
                        .is_some()
                })
                .count();
            if json_successes != 1 {
                problem(
                    format!("{here}/responses"),
                    format!("needs exactly one JSON success (2xx) schema, has {json_successes}"),
                );
            }
            if responses.is_some_and(|r| r.contains_key("default")) {
                problem(
                    format!("{here}/responses/default"),
                    "a `default` response is a second success type to progenitor; use explicit statuses".into(),
                );
            }
        }
    }

    let mut refs = Vec::new();
    collect_refs(document, String::new(), &mut refs);
    for (location, reference) in refs {
        let resolved = reference
            .strip_prefix('#')
            .and_then(|pointer| document.pointer(pointer));
        if resolved.is_none() {
            problem(location, format!("`$ref` {reference} does not resolve"));
        }
    }

    lint_examples(document, &mut problem);

    for failure in decisions::verify(decisions_text, document) {
        let decision = failure
            .decision
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        problem(
            format!("DECISIONS.md:{}", failure.line),
            format!(
                "decision no longer reflected{decision}: {}",
                failure.message
            ),
        );
    }
    problems
}

fn collect_refs(value: &Value, here: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let location = format!("{here}/{}", escape(key));
                match (key.as_str(), child) {
                    ("$ref", Value::String(reference)) => out.push((location, reference.clone())),
                    _ => collect_refs(child, location, out),
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect_refs(child, format!("{here}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Every response example (and component `example`) validates against its schema.
fn lint_examples(document: &Value, problem: &mut impl FnMut(String, String)) {
    let mut targets: Vec<(String, &Value, &Value)> = Vec::new();
    for (path, item) in document
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for method in METHODS {
            let Some(responses) = item
                .pointer(&format!("/{method}/responses"))
                .and_then(Value::as_object)
            else {
                continue;
            };
            for (status, response) in responses {
                let here = format!("/paths/{}/{method}/responses/{status}", escape(path));
                let Some(resolved) = resolve(document, response) else {
                    continue;
                };
                for (media, body) in resolved
                    .get("content")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    let Some(media_schema) = body.get("schema") else {
                        continue;
                    };
                    let base = format!("{here}/content/{}", escape(media));
                    if let Some(example) = body.get("example") {
                        targets.push((format!("{base}/example"), media_schema, example));
                    }
                    for (name, ex) in body
                        .get("examples")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flatten()
                    {
                        if let Some(value) = ex.get("value") {
                            targets.push((
                                format!("{base}/examples/{}/value", escape(name)),
                                media_schema,
                                value,
                            ));
                        }
                    }
                }
            }
        }
    }
    for (name, component) in document
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if let Some(example) = component.get("example") {
            targets.push((
                format!("/components/schemas/{}/example", escape(name)),
                component,
                example,
            ));
        }
    }
    for (location, media_schema, example) in targets {
        let standalone = schema::standalone(document, media_schema, None);
        match contract::compile(&standalone) {
            Err(message) => problem(location, format!("its schema does not compile: {message}")),
            Ok(validator) => {
                for error in validator.iter_errors(example) {
                    problem(
                        format!("{location}{}", error.instance_path()),
                        format!("example does not match its schema: {error}"),
                    );
                }
            }
        }
    }
}
