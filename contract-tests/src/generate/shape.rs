//! The schema shape model: a JSON Schema node reduced to what generation and mutation need.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::GenerateError;

/// One schema node reduced to what generation (and mutation) needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// `type: null`.
    Null,
    /// `type: boolean`.
    Boolean,
    /// `type: integer` with its inclusive bounds.
    Integer {
        /// Smallest value.
        min: i64,
        /// Largest value.
        max: i64,
    },
    /// `type: number` with its bounds.
    Number {
        /// Smallest value.
        min: f64,
        /// Largest value.
        max: f64,
    },
    /// `type: string`, with its `format` if any.
    String {
        /// The `format` keyword.
        format: Option<String>,
        /// `minLength`.
        min_length: usize,
        /// `maxLength`, if the schema sets one (generation caps an open one, the schema does not).
        max_length: Option<usize>,
    },
    /// `enum`: one of these values.
    Enum(Vec<Value>),
    /// `type: array`.
    Array {
        /// The items' shape.
        items: Box<Shape>,
        /// `minItems`.
        min: usize,
        /// `maxItems` (capped for generation).
        max: usize,
    },
    /// `type: object`.
    Object(ObjectShape),
    /// One of several shapes (a type list such as `["integer", "null"]`, `anyOf`, `oneOf`).
    OneOf(Vec<Shape>),
    /// No constraint.
    Any,
}

/// The properties of an object shape.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectShape {
    /// Declared properties, in document order.
    pub properties: Vec<Property>,
    /// The shape of other properties when `additionalProperties` is a schema (a map).
    pub additional: Option<Box<Shape>>,
}

/// One declared property of an object shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    /// The property name.
    pub name: String,
    /// Its shape.
    pub shape: Shape,
    /// Whether the object must have it.
    pub required: bool,
}

impl ObjectShape {
    /// The declared property `name`.
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.name == name)
    }
}

impl Shape {
    /// The JSON Schema type names this shape accepts.
    pub fn json_types(&self) -> Vec<&'static str> {
        match self {
            Shape::Null => vec!["null"],
            Shape::Boolean => vec!["boolean"],
            Shape::Integer { .. } => vec!["integer"],
            Shape::Number { .. } => vec!["number", "integer"],
            Shape::String { .. } => vec!["string"],
            Shape::Enum(values) => {
                let mut types: Vec<_> = values.iter().map(json_type).collect();
                types.dedup();
                types
            }
            Shape::Array { .. } => vec!["array"],
            Shape::Object(_) => vec!["object"],
            Shape::OneOf(shapes) => shapes.iter().flat_map(Shape::json_types).collect(),
            Shape::Any => vec![
                "null", "boolean", "integer", "number", "string", "array", "object",
            ],
        }
    }

    /// The variant of a `OneOf` that `value` belongs to (the shape itself otherwise).
    pub fn variant_for(&self, value: &Value) -> &Shape {
        match self {
            Shape::OneOf(shapes) => shapes
                .iter()
                .find(|s| s.json_types().contains(&json_type(value)))
                .map_or(self, |s| s.variant_for(value)),
            _ => self,
        }
    }

    /// The object shape, if this is one.
    pub fn as_object(&self) -> Option<&ObjectShape> {
        match self {
            Shape::Object(object) => Some(object),
            _ => None,
        }
    }
}

/// The JSON Schema type name of a value.
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

const MAX_DEPTH: usize = 32;
/// Generated arrays and strings without an upper bound stay short.
const OPEN_ARRAY_MAX: usize = 4;
pub(super) const OPEN_STRING_MAX: usize = 24;
/// The longest string or array the generator draws, whatever the schema allows: a
/// `maxLength` of a billion would otherwise draw a billion characters. A `minLength` or
/// `minItems` above it is refused, since no value it allows could be drawn.
pub(super) const DRAWN_MAX: usize = 1 << 16;

/// Reduces a JSON Schema node (resolving `$ref`s against `root`) to a [`Shape`].
pub fn shape_of(root: &Value, node: &Value) -> Result<Shape, GenerateError> {
    compile(root, node, 0, "#")
}

fn compile(root: &Value, node: &Value, depth: usize, at: &str) -> Result<Shape, GenerateError> {
    if depth > MAX_DEPTH {
        return Err(GenerateError::TooDeep(MAX_DEPTH, at.to_owned()));
    }
    let Value::Object(node) = node else {
        // `true` or `{}`-like boolean schemas: anything.
        return Ok(Shape::Any);
    };
    if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        let target = reference
            .strip_prefix('#')
            .and_then(|p| root.pointer(p))
            .ok_or_else(|| GenerateError::Reference(reference.to_owned()))?;
        return compile(root, target, depth + 1, reference);
    }
    if let Some(Value::Array(values)) = node.get("enum") {
        return Ok(Shape::Enum(values.clone()));
    }
    if let Some(Value::Array(all)) = node.get("allOf")
        && let [only] = all.as_slice()
    {
        return compile(root, only, depth + 1, at);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(options)) = node.get(key) {
            let shapes = options
                .iter()
                .map(|o| compile(root, o, depth + 1, at))
                .collect::<Result<_, _>>()?;
            return Ok(Shape::OneOf(shapes));
        }
    }
    let mut types: Vec<&str> = match node.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if node.get("nullable") == Some(&Value::Bool(true)) && !types.contains(&"null") {
        types.push("null");
    }
    if types.is_empty() {
        if node.contains_key("properties") || node.contains_key("additionalProperties") {
            types.push("object");
        } else if node.contains_key("items") {
            types.push("array");
        } else {
            return Ok(Shape::Any);
        }
    }
    let shapes = types
        .iter()
        .map(|t| typed(root, node, t, depth, at))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(match <[Shape; 1]>::try_from(shapes) {
        Ok([one]) => one,
        Err(many) => Shape::OneOf(many),
    })
}

fn typed(
    root: &Value,
    node: &Map<String, Value>,
    kind: &str,
    depth: usize,
    at: &str,
) -> Result<Shape, GenerateError> {
    let number = |key: &str| node.get(key).and_then(Value::as_f64);
    let count = |key: &str| {
        node.get(key)
            .and_then(Value::as_u64)
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
    };
    // A lower bound over what is drawn can be met by no drawn value.
    let least = |keyword: &'static str| match node.get(keyword).and_then(Value::as_u64) {
        Some(value) if value > DRAWN_MAX as u64 => Err(GenerateError::TooLarge {
            keyword,
            value,
            at: at.to_owned(),
            limit: DRAWN_MAX,
        }),
        value => Ok(value.map_or(0, |n| n as usize)),
    };
    Ok(match kind {
        "null" => Shape::Null,
        "boolean" => Shape::Boolean,
        "integer" => {
            let mut min = number("minimum").map_or(i64::MIN, |m| m.ceil() as i64);
            let mut max = number("maximum").map_or(i64::MAX, |m| m.floor() as i64);
            if let Some(m) = number("exclusiveMinimum") {
                min = min.max(m.floor() as i64 + 1);
            }
            if let Some(m) = number("exclusiveMaximum") {
                max = max.min(m.ceil() as i64 - 1);
            }
            Shape::Integer { min, max }
        }
        "number" => Shape::Number {
            min: number("minimum").unwrap_or(-1e9),
            max: number("maximum").unwrap_or(1e9),
        },
        "string" => Shape::String {
            format: node
                .get("format")
                .and_then(Value::as_str)
                .map(str::to_owned),
            min_length: least("minLength")?,
            max_length: count("maxLength"),
        },
        "array" => {
            let items = match node.get("items") {
                Some(items) => compile(root, items, depth + 1, at)?,
                None => Shape::Any,
            };
            let min = least("minItems")?;
            Shape::Array {
                items: Box::new(items),
                min,
                max: count("maxItems").map_or(min + OPEN_ARRAY_MAX, |max| max.min(DRAWN_MAX)),
            }
        }
        "object" => {
            let required: HashSet<&str> = node
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut properties = Vec::new();
            if let Some(Value::Object(props)) = node.get("properties") {
                for (name, sub) in props {
                    properties.push(Property {
                        name: name.clone(),
                        shape: compile(root, sub, depth + 1, at)?,
                        required: required.contains(name.as_str()),
                    });
                }
            }
            let additional = match node.get("additionalProperties") {
                Some(sub @ Value::Object(_)) => Some(Box::new(compile(root, sub, depth + 1, at)?)),
                _ => None,
            };
            Shape::Object(ObjectShape {
                properties,
                additional,
            })
        }
        _ => Shape::Any,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn json_type_names_each_kind_of_value_and_tells_integers_from_numbers() {
        let named: Vec<&str> = [
            json!(null),
            json!(true),
            json!(3),
            json!(u64::MAX),
            json!(2.5),
            json!("x"),
            json!([]),
            json!({}),
        ]
        .iter()
        .map(json_type)
        .collect();
        assert_eq!(
            named,
            [
                "null", "boolean", "integer", "integer", "number", "string", "array", "object"
            ]
        );
    }

    #[test]
    fn nesting_deeper_than_the_bound_is_refused_however_it_nests() {
        let nest = |levels: usize, wrap: fn(Value) -> Value| {
            (0..levels).fold(json!({"type": "string"}), |inner, _| wrap(inner))
        };
        let by_property: fn(Value) -> Value =
            |inner| json!({"type": "object", "properties": {"a": inner}});
        let by_items: fn(Value) -> Value = |inner| json!({"type": "array", "items": inner});
        let by_additional: fn(Value) -> Value =
            |inner| json!({"type": "object", "additionalProperties": inner});
        let by_all_of: fn(Value) -> Value = |inner| json!({"allOf": [inner]});
        let by_one_of: fn(Value) -> Value = |inner| json!({"oneOf": [inner, {"type": "null"}]});
        for wrap in [by_property, by_items, by_additional, by_all_of, by_one_of] {
            let deep = nest(MAX_DEPTH + 1, wrap);
            assert!(
                matches!(shape_of(&deep, &deep), Err(GenerateError::TooDeep(..))),
                "{deep}"
            );
            let fits = nest(MAX_DEPTH, wrap);
            assert!(shape_of(&fits, &fits).is_ok(), "{fits}");
        }
    }

    #[test]
    fn a_lower_length_bound_over_what_is_drawn_is_refused_and_an_upper_one_is_capped() {
        for (keyword, schema) in [
            (
                "minLength",
                json!({"type": "string", "minLength": u64::MAX}),
            ),
            (
                "minLength",
                json!({"type": "string", "minLength": DRAWN_MAX + 1}),
            ),
            ("minItems", json!({"type": "array", "minItems": 1u64 << 40})),
        ] {
            match shape_of(&schema, &schema) {
                Err(GenerateError::TooLarge { keyword: k, .. }) => assert_eq!(k, keyword),
                other => panic!("{schema}: {other:?}"),
            }
        }
        let at_the_bound = json!({"type": "string", "minLength": DRAWN_MAX});
        assert!(shape_of(&at_the_bound, &at_the_bound).is_ok());
        // Open-ended by a huge maximum: drawn values stay within the cap.
        for schema in [
            json!({"type": "string", "minLength": 70, "maxLength": 1u64 << 50}),
            json!({"type": "array", "minItems": 70, "maxItems": 1u64 << 50}),
        ] {
            let shape = shape_of(&schema, &schema).unwrap();
            for seed in 0..8u8 {
                let value = crate::generate::draw(
                    &crate::generate::strategy(&shape),
                    [seed; crate::generate::SEED_LEN],
                );
                let length = match &value {
                    Value::String(s) => s.chars().count(),
                    Value::Array(items) => items.len(),
                    other => panic!("{other}"),
                };
                assert!((70..=DRAWN_MAX).contains(&length), "{schema}: {length}");
            }
        }
    }

    #[test]
    fn a_reference_that_leads_back_to_itself_is_refused_at_the_bound() {
        let schema = json!({"$ref": "#/$defs/A", "$defs": {"A": {"$ref": "#/$defs/A"}}});
        assert!(matches!(
            shape_of(&schema, &schema),
            Err(GenerateError::TooDeep(MAX_DEPTH, _))
        ));
    }

    #[test]
    fn exclusive_integer_bounds_are_the_next_integers_inside() {
        let schema = json!({"type": "integer", "exclusiveMinimum": 2, "exclusiveMaximum": 10});
        assert_eq!(
            shape_of(&schema, &schema).unwrap(),
            Shape::Integer { min: 3, max: 9 }
        );
        // Fractional bounds: the integers strictly inside.
        let schema = json!({"type": "integer", "exclusiveMinimum": 2.5, "exclusiveMaximum": 9.5});
        assert_eq!(
            shape_of(&schema, &schema).unwrap(),
            Shape::Integer { min: 3, max: 9 }
        );
    }

    #[test]
    fn a_number_keeps_its_bounds_and_an_open_one_stays_within_a_billion() {
        let bounded = json!({"type": "number", "minimum": 0.5, "maximum": 2.5});
        assert_eq!(
            shape_of(&bounded, &bounded).unwrap(),
            Shape::Number { min: 0.5, max: 2.5 }
        );
        let open = json!({"type": "number"});
        assert_eq!(
            shape_of(&open, &open).unwrap(),
            Shape::Number {
                min: -1e9,
                max: 1e9
            }
        );
    }

    #[test]
    fn nullable_adds_null_to_what_may_be_drawn_once() {
        let schema = json!({"type": "string", "nullable": true});
        assert_eq!(
            shape_of(&schema, &schema).unwrap().json_types(),
            ["string", "null"]
        );
        let listed = json!({"type": ["string", "null"], "nullable": true});
        assert_eq!(
            shape_of(&listed, &listed).unwrap().json_types(),
            ["string", "null"]
        );
    }

    #[test]
    fn a_value_takes_its_own_variant_of_a_one_of_however_deep() {
        let schema = json!({"oneOf": [
            {"type": "string"},
            {"anyOf": [
                {"type": "integer", "minimum": 3},
                {"type": "object", "properties": {"a": {"type": "string"}}}
            ]}
        ]});
        let shape = shape_of(&schema, &schema).unwrap();
        assert!(matches!(
            shape.variant_for(&json!("x")),
            Shape::String { .. }
        ));
        assert!(matches!(
            shape.variant_for(&json!(5)),
            Shape::Integer { min: 3, .. }
        ));
        assert!(shape.variant_for(&json!({"a": "b"})).as_object().is_some());
        // A value of no variant's type keeps the shape itself; so does a shape that is no
        // `OneOf`.
        assert_eq!(shape.variant_for(&json!(true)), &shape);
        let plain = Shape::Boolean;
        assert_eq!(plain.variant_for(&json!(1)), &plain);
    }

    #[test]
    fn an_untyped_schema_with_object_or_array_keywords_takes_that_type() {
        for (schema, wanted) in [
            (
                json!({"properties": {"a": {"type": "string"}}}),
                vec!["object"],
            ),
            (
                json!({"additionalProperties": {"type": "string"}}),
                vec!["object"],
            ),
            (json!({"items": {"type": "string"}}), vec!["array"]),
            (json!({"minLength": 1}), Shape::Any.json_types()),
        ] {
            let shape = shape_of(&schema, &schema).unwrap();
            assert_eq!(shape.json_types(), wanted, "{schema}");
        }
    }
}
