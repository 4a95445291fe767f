//! Drift between the contract and the generated client types: the JSON Schema schemars derives
//! from each `vbo_client::types` type must say what the contract's component says, once both are
//! reduced to property names, requiredness, JSON types, enum values and referenced components.
//!
//! Representation-only differences are ignored: descriptions, formats (`int32` vs `uint32`),
//! bounds, and `null` on optional properties (typify maps every optional property to `Option`,
//! which schemars reports as nullable; serde skips `None` when writing). The snapshot in
//! `tests/snapshots/` shows the normalised contract, so a spec change shows up in review.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use vbo_contract::Contract;

/// Follows `$ref`s (`#/definitions/..` or `#/$defs/..`) and single-entry `allOf` wrappers.
fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> (&'a Value, Option<String>) {
    let mut name = None;
    for _ in 0..16 {
        if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
            name = reference.rsplit('/').next().map(str::to_owned);
            match reference.strip_prefix('#').and_then(|p| root.pointer(p)) {
                Some(target) => node = target,
                None => break,
            }
        } else if let Some([only]) = node
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            node = only;
        } else {
            break;
        }
    }
    (node, name)
}

/// The JSON types a schema node admits, sorted; `integer` stays distinct from `number`.
fn types(root: &Value, node: &Value) -> Vec<String> {
    let (node, _) = resolve(root, node);
    let mut out: Vec<String> = match node.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    for key in ["anyOf", "oneOf"] {
        for option in node
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            out.extend(types(root, option));
        }
    }
    if out.is_empty()
        && let Some(values) = node.get("enum").and_then(Value::as_array)
    {
        out.extend(
            values
                .iter()
                .map(|v| vbo_contract::generate::json_type(v).to_owned()),
        );
    }
    if node.get("nullable") == Some(&Value::Bool(true)) {
        out.push("null".to_owned());
    }
    out.sort();
    out.dedup();
    out
}

/// A property's meaning: types, enum values, the component it refers to, its items.
fn describe(root: &Value, node: &Value, optional: bool) -> Value {
    let (resolved, name) = resolve(root, node);
    let mut out = Map::new();
    let mut ts = types(root, node);
    if optional {
        ts.retain(|t| t != "null");
    }
    out.insert("types".into(), json!(ts));
    let mut referenced = name;
    for key in ["anyOf", "oneOf"] {
        for option in resolved
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (option, option_name) = resolve(root, option);
            if option.get("type") != Some(&json!("null")) {
                referenced = referenced.or(option_name);
                if let Some(values) = option.get("enum") {
                    out.insert("enum".into(), sorted(values));
                }
            }
        }
    }
    if let Some(values) = resolved.get("enum") {
        out.insert("enum".into(), sorted(values));
    }
    // Objects are compared component by component; name the one referred to.
    if ts.iter().any(|t| t == "object")
        && let Some(name) = referenced
    {
        out.insert("ref".into(), json!(name));
    }
    if let Some(items) = resolved.get("items") {
        out.insert("items".into(), describe(root, items, false));
    }
    if let Some(additional @ Value::Object(_)) = resolved.get("additionalProperties") {
        out.insert(
            "additionalProperties".into(),
            describe(root, additional, false),
        );
        // schemars inlines newtype maps (`Links`); a map is compared by its values instead.
        out.remove("ref");
    }
    Value::Object(out)
}

fn sorted(values: &Value) -> Value {
    let mut values: Vec<Value> = values.as_array().cloned().unwrap_or_default();
    values.sort_by_key(Value::to_string);
    Value::Array(values)
}

/// A component reduced to what both sides must agree on.
fn normalise(root: &Value) -> Value {
    let (node, _) = resolve(root, root);
    let mut out = describe(root, node, false);
    if let Some(Value::Object(props)) = node.get("properties") {
        let required: Vec<&str> = node
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let properties: BTreeMap<&String, Value> = props
            .iter()
            .map(|(name, sub)| {
                let is_required = required.contains(&name.as_str());
                let mut d = describe(root, sub, !is_required);
                d["required"] = json!(is_required);
                (name, d)
            })
            .collect();
        out["properties"] = json!(properties);
    }
    out
}

macro_rules! client_schemas {
    ($($name:ident),*) => {
        vec![$((
            stringify!($name),
            serde_json::to_value(schemars::schema_for!(vbo_client::types::$name)).unwrap(),
        )),*]
    };
}

#[test]
fn client_types_match_the_contract_components() {
    let contract = Contract::embedded().unwrap();
    let pairs = client_schemas!(
        JobSessionPage,
        JobSession,
        JobSessionStatistics,
        JobSessionStatus,
        Bottleneck,
        Links,
        Link,
        Error,
        Token,
        TokenError,
        TokenRequest
    );
    let mut snapshot = BTreeMap::new();
    let mut differences = Vec::new();
    for (name, client) in pairs {
        let spec = contract
            .component_schema(name)
            .unwrap_or_else(|| panic!("the contract has no component {name}"));
        let (spec, client) = (normalise(&spec), normalise(&client));
        if spec != client {
            differences.push(format!("{name}:\n  contract: {spec}\n  client:   {client}"));
        }
        snapshot.insert(
            name,
            json!({ "contract": spec, "matches_client": spec == client }),
        );
    }
    insta::assert_json_snapshot!("components", snapshot);
    assert!(
        differences.is_empty(),
        "the generated types drifted from the contract:\n{}",
        differences.join("\n")
    );
}

#[test]
fn a_changed_component_is_reported_as_drift() {
    let mut document =
        vbo_contract::contract::parse_document(vbo_contract::contract::EMBEDDED_YAML, "embedded")
            .unwrap();
    document["components"]["schemas"]["JobSession"]["properties"]["retryCount"] =
        json!({"type": "integer"});
    document["components"]["schemas"]["Bottleneck"]["enum"]
        .as_array_mut()
        .unwrap()
        .push(json!("Proxy"));
    let contract = Contract::from_document(document, "changed").unwrap();
    for (name, client) in client_schemas!(JobSession, Bottleneck) {
        let spec = normalise(&contract.component_schema(name).unwrap());
        assert_ne!(spec, normalise(&client), "{name} drift not seen");
    }
}
