//! Translation of OpenAPI 3.0 schema objects into JSON Schema (draft 2020-12).
//!
//! OpenAPI 3.0 schemas are an extended subset of JSON Schema draft 5: `nullable` instead of a
//! `null` type, boolean `exclusiveMinimum`, `example`, and formats (`int32`, `int64`) that
//! plain validators ignore. Each is rewritten into what a 2020-12 validator asserts, so the
//! exported schema means to ajv or check-jsonschema exactly what it means to us.

use serde_json::{Map, Value, json};

/// The dialect of every schema this module emits.
pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

const COMPONENT_PREFIX: &str = "#/components/schemas/";
const DEFS_PREFIX: &str = "#/$defs/";

/// Keywords whose value is one subschema.
const ONE_SUBSCHEMA: &[&str] = &["items", "additionalProperties", "not"];
/// Keywords whose value is a list of subschemas.
const SUBSCHEMA_LISTS: &[&str] = &["allOf", "anyOf", "oneOf"];
/// OpenAPI-only keywords that carry no assertion in JSON Schema.
const OPENAPI_ONLY: &[&str] = &[
    "discriminator",
    "xml",
    "externalDocs",
    "nullable",
    "example",
];

/// Translates one OpenAPI 3.0 schema object (which may be a `$ref`) into JSON Schema.
pub fn translate(schema: &Value) -> Value {
    let Value::Object(object) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in object {
        match key.as_str() {
            "$ref" => {
                let target = value.as_str().unwrap_or_default();
                let rewritten = match target.strip_prefix(COMPONENT_PREFIX) {
                    Some(name) => format!("{DEFS_PREFIX}{name}"),
                    None => target.to_owned(),
                };
                out.insert(key.clone(), Value::String(rewritten));
            }
            "properties" | "patternProperties" => {
                let translated = value
                    .as_object()
                    .map(|props| {
                        props
                            .iter()
                            .map(|(name, sub)| (name.clone(), translate(sub)))
                            .collect::<Map<_, _>>()
                    })
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Object(translated));
            }
            k if ONE_SUBSCHEMA.contains(&k) => {
                out.insert(key.clone(), translate(value));
            }
            k if SUBSCHEMA_LISTS.contains(&k) => {
                let list = value
                    .as_array()
                    .map(|items| items.iter().map(translate).collect())
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Array(list));
            }
            k if OPENAPI_ONLY.contains(&k) => {}
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    if let Some(example) = object.get("example") {
        out.insert("examples".into(), json!([example]));
    }
    translate_exclusive_bounds(&mut out);
    translate_format(&mut out);
    if object.get("nullable").and_then(Value::as_bool) == Some(true) {
        return make_nullable(out);
    }
    Value::Object(out)
}

/// OpenAPI 3.0 `exclusiveMinimum: true` qualifies `minimum`; 2020-12 takes the bound itself.
fn translate_exclusive_bounds(out: &mut Map<String, Value>) {
    for (flag, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        match out.get(flag) {
            Some(Value::Bool(true)) => {
                if let Some(limit) = out.remove(bound) {
                    out.insert(flag.into(), limit);
                } else {
                    out.remove(flag);
                }
            }
            Some(Value::Bool(false)) => {
                out.remove(flag);
            }
            _ => {}
        }
    }
}

/// Integer formats become bounds; formats no JSON Schema validator knows are dropped.
fn translate_format(out: &mut Map<String, Value>) {
    let Some(format) = out.get("format").and_then(Value::as_str) else {
        return;
    };
    let range = match format {
        "int32" => Some((i64::from(i32::MIN), i64::from(i32::MAX))),
        "int64" => Some((i64::MIN, i64::MAX)),
        _ => None,
    };
    if let Some((low, high)) = range {
        out.remove("format");
        tighten(out, "minimum", low, i64::max);
        tighten(out, "maximum", high, i64::min);
    } else if matches!(format, "password" | "binary" | "byte" | "float" | "double") {
        // Hints for tools, not assertions: ajv in strict mode rejects unknown formats.
        out.remove("format");
    }
}

fn tighten(out: &mut Map<String, Value>, key: &str, limit: i64, pick: fn(i64, i64) -> i64) {
    let value = match out.get(key).and_then(Value::as_i64) {
        Some(existing) => pick(existing, limit),
        None => limit,
    };
    out.insert(key.into(), Value::from(value));
}

fn make_nullable(mut out: Map<String, Value>) -> Value {
    if out.contains_key("$ref") {
        return json!({ "anyOf": [Value::Object(out), { "type": "null" }] });
    }
    match out.get_mut("type") {
        Some(Value::String(t)) => {
            let t = std::mem::take(t);
            out.insert("type".into(), json!([t, "null"]));
        }
        Some(Value::Array(types)) if !types.iter().any(|t| t == "null") => {
            types.push(json!("null"));
        }
        _ => {}
    }
    if let Some(Value::Array(values)) = out.get_mut("enum")
        && !values.iter().any(Value::is_null)
    {
        values.push(Value::Null);
    }
    Value::Object(out)
}

/// The `$defs` of every component schema in `document`, translated.
pub fn definitions(document: &Value) -> Map<String, Value> {
    document
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|schemas| {
            schemas
                .iter()
                .map(|(name, schema)| (name.clone(), translate(schema)))
                .collect()
        })
        .unwrap_or_default()
}

/// A standalone schema: `root` translated, with every component schema under `$defs`.
pub fn standalone(document: &Value, root: &Value, id: Option<&str>) -> Value {
    let mut out = Map::new();
    out.insert("$schema".into(), json!(DIALECT));
    if let Some(id) = id {
        out.insert("$id".into(), json!(id));
    }
    match translate(root) {
        Value::Object(map) => out.extend(map),
        other => {
            out.insert("allOf".into(), json!([other]));
        }
    }
    out.insert("$defs".into(), Value::Object(definitions(document)));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_branch_of_all_of_any_of_and_one_of_is_translated() {
        // Named here, not taken from `SUBSCHEMA_LISTS`: a keyword dropped from it must fail.
        for key in ["allOf", "anyOf", "oneOf"] {
            let out = translate(&json!({ key: [
                {"$ref": "#/components/schemas/Job"},
                {"type": "string", "nullable": true}
            ]}));
            assert_eq!(
                out,
                json!({ key: [
                    {"$ref": "#/$defs/Job"},
                    {"type": ["string", "null"]}
                ]}),
                "{key}"
            );
        }
    }

    #[test]
    fn nullable_adds_null_to_a_list_of_types_once() {
        assert_eq!(
            translate(&json!({"type": ["string", "integer"], "nullable": true})),
            json!({"type": ["string", "integer", "null"]})
        );
        assert_eq!(
            translate(&json!({"type": ["string", "null"], "nullable": true})),
            json!({"type": ["string", "null"]})
        );
    }

    #[test]
    fn nullable_integer_gains_null_type_and_bounds() {
        let out = translate(
            &json!({"type": "integer", "format": "int64", "minimum": 0, "nullable": true}),
        );
        assert_eq!(
            out,
            json!({"type": ["integer", "null"], "minimum": 0, "maximum": i64::MAX})
        );
    }

    #[test]
    fn int32_bounds_keep_tighter_declared_limits() {
        let out = translate(
            &json!({"type": "integer", "format": "int32", "minimum": 1, "maximum": 10000}),
        );
        assert_eq!(
            out,
            json!({"type": "integer", "minimum": 1, "maximum": 10000})
        );
        let out = translate(&json!({"type": "integer", "format": "int32"}));
        assert_eq!(
            out,
            json!({"type": "integer", "minimum": i32::MIN, "maximum": i32::MAX})
        );
    }

    #[test]
    fn component_refs_point_into_defs_and_nullable_refs_become_any_of() {
        let out = translate(&json!({"$ref": "#/components/schemas/Link", "nullable": true}));
        assert_eq!(
            out,
            json!({"anyOf": [{"$ref": "#/$defs/Link"}, {"type": "null"}]})
        );
    }

    #[test]
    fn nullable_enum_accepts_null() {
        let out = translate(&json!({"type": "string", "enum": ["a"], "nullable": true}));
        assert_eq!(
            out,
            json!({"type": ["string", "null"], "enum": ["a", null]})
        );
    }

    #[test]
    fn boolean_exclusive_minimum_becomes_numeric() {
        let out = translate(&json!({"type": "number", "minimum": 0, "exclusiveMinimum": true}));
        assert_eq!(out, json!({"type": "number", "exclusiveMinimum": 0}));
    }

    #[test]
    fn example_becomes_examples_and_nested_schemas_are_translated() {
        let out = translate(&json!({
            "type": "object",
            "example": {"a": 1},
            "properties": {"a": {"type": "integer", "format": "int32", "nullable": true}},
            "additionalProperties": {"$ref": "#/components/schemas/X"}
        }));
        assert_eq!(out["examples"], json!([{"a": 1}]));
        assert_eq!(out["properties"]["a"]["type"], json!(["integer", "null"]));
        assert_eq!(out["additionalProperties"]["$ref"], json!("#/$defs/X"));
    }
}
