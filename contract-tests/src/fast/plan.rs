//! Compiles a standalone response schema (JSON Schema 2020-12, as [`crate::schema`] derives it)
//! into a small plan the streaming visitor checks instances against.
//!
//! Only keywords whose meaning the plan reproduces exactly are accepted; any other keyword (or
//! a shape of a known one the plan does not handle) makes the whole schema unsupported, so its
//! operation is always judged by the full path. Being unsupported is never wrong, only slower.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::format::Formats;

/// Index of a node in [`Plan::nodes`].
pub(crate) type NodeId = u32;

/// The node every instance satisfies (`true`, or a schema of annotations only).
pub(crate) const ANY: NodeId = 0;

/// JSON types as a bit set, in the order of [`JsonKind`].
pub(crate) type Types = u8;

/// The JSON type of an instance, as the visitor sees it. Integers are their own kind: the plan
/// never sees a number written with a fraction or an exponent (the visitor gives up on those).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonKind {
    /// `null`.
    Null = 0,
    /// `true` or `false`.
    Boolean = 1,
    /// An integer written as one (no fraction, no exponent) that fits `i64` or `u64`.
    Integer = 2,
    /// A string.
    String = 3,
    /// An array.
    Array = 4,
    /// An object.
    Object = 5,
}

impl JsonKind {
    /// The kind's bit in a [`Types`] set.
    pub(crate) fn bit(self) -> Types {
        1 << self as u8
    }
}

/// Every type.
const ALL_TYPES: Types = 0b11_1111;

/// A `format` the plan checks the way `jsonschema` does (with its own functions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// `uuid`.
    Uuid,
    /// `date-time`.
    DateTime,
    /// `uri-reference`.
    UriReference,
}

/// One scalar of an `enum` (or a `const`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scalar {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i128),
    /// A string.
    Str(Box<str>),
}

/// What an object allows beyond its `properties`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Additional {
    /// Any further member (no `additionalProperties`, or `true`).
    Any,
    /// No further member (`additionalProperties: false`).
    None,
    /// Further members, each valid against this node.
    Node(NodeId),
}

/// The assertions of one schema object the plan supports.
#[derive(Debug, Clone)]
pub(crate) struct Check {
    /// The allowed JSON types (`type`); every type when absent.
    pub(crate) types: Types,
    /// `enum` (and `const`), when present.
    pub(crate) allowed: Option<Vec<Scalar>>,
    /// Inclusive integer bounds (`minimum`, `maximum`, `exclusive*` folded in).
    pub(crate) min: Option<i128>,
    /// See `min`.
    pub(crate) max: Option<i128>,
    /// `minLength`, in code points.
    pub(crate) min_len: Option<u64>,
    /// `maxLength`, in code points.
    pub(crate) max_len: Option<u64>,
    /// `format`, for strings.
    pub(crate) format: Option<Format>,
    /// `properties` (and names only `required` mentions, as [`ANY`]), in document order.
    pub(crate) properties: Vec<(Box<str>, NodeId)>,
    /// Bit `i` set when `properties[i]` is required.
    pub(crate) required: u64,
    /// `additionalProperties`.
    pub(crate) additional: Additional,
    /// `items`: the node every element must satisfy.
    pub(crate) items: NodeId,
}

impl Check {
    fn any() -> Self {
        Self {
            types: ALL_TYPES,
            allowed: None,
            min: None,
            max: None,
            min_len: None,
            max_len: None,
            format: None,
            properties: Vec::new(),
            required: 0,
            additional: Additional::Any,
            items: ANY,
        }
    }
}

/// One node of the plan.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// A schema object's assertions.
    Check(Box<Check>),
    /// `false`: nothing is valid.
    Never,
    /// `anyOf`/`oneOf` whose branches accept disjoint sets of JSON types: the instance's type
    /// picks the one branch that can hold it (integers go to an `integer` or `number` branch);
    /// a type no branch takes is invalid.
    ByType([Option<NodeId>; 6]),
}

/// A compiled schema: the nodes, the root and the format checks.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) nodes: Vec<Node>,
    pub(crate) root: NodeId,
    pub(crate) formats: Formats,
}

/// Why a schema cannot be compiled into a plan (only for tests and debugging: the caller just
/// uses the full path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unsupported(pub(crate) String);

type Result<T> = std::result::Result<T, Unsupported>;

fn unsupported<T>(why: impl Into<String>) -> Result<T> {
    Err(Unsupported(why.into()))
}

/// Keywords that assert nothing (annotations and bookkeeping).
const ANNOTATIONS: &[&str] = &[
    "description",
    "title",
    "examples",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
    "$comment",
    "$defs",
];

/// References nest at most this deep without reaching a schema object (a cycle of `$ref`s).
const MAX_REF_CHAIN: usize = 32;

/// The compiler's state: the root schema (for `#/$defs/...`), the nodes so far and the
/// definitions already compiled.
struct Compiler<'s> {
    defs: Option<&'s Map<String, Value>>,
    nodes: Vec<Node>,
    compiled: HashMap<&'s str, NodeId>,
    /// Definitions whose node is reserved but not yet filled (recursive references).
    pending: Vec<NodeId>,
    chain: usize,
}

impl Plan {
    /// Compiles a standalone schema (`$schema` 2020-12 at the root, `$defs` for components).
    pub(crate) fn compile(schema: &Value) -> Result<Plan> {
        let mut root = match schema {
            Value::Object(map) => map.clone(),
            Value::Bool(_) => Map::new(),
            _ => return unsupported("the schema is not an object"),
        };
        match root.remove("$schema") {
            None => {}
            Some(Value::String(s)) if s == crate::schema::DIALECT => {}
            Some(other) => return unsupported(format!("dialect {other}")),
        }
        let defs = match schema.get("$defs") {
            None => None,
            Some(Value::Object(defs)) => Some(defs),
            Some(_) => return unsupported("`$defs` is not an object"),
        };
        let mut compiler = Compiler {
            defs,
            nodes: vec![Node::Check(Box::new(Check::any()))],
            compiled: HashMap::new(),
            pending: Vec::new(),
            chain: 0,
        };
        let root = match schema {
            Value::Bool(b) => compiler.boolean(*b),
            _ => compiler.object(&root)?,
        };
        let Some(formats) = Formats::new() else {
            return unsupported("the format validators do not compile");
        };
        Ok(Plan {
            nodes: compiler.nodes,
            root,
            formats,
        })
    }

    /// The node `id`.
    pub(crate) fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }
}

impl<'s> Compiler<'s> {
    fn push(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        (self.nodes.len() - 1) as NodeId
    }

    fn boolean(&mut self, value: bool) -> NodeId {
        if value { ANY } else { self.push(Node::Never) }
    }

    fn schema(&mut self, schema: &'s Value) -> Result<NodeId> {
        match schema {
            Value::Bool(b) => Ok(self.boolean(*b)),
            Value::Object(map) => self.object(map),
            _ => unsupported("a subschema is neither an object nor a boolean"),
        }
    }

    /// The node of `#/$defs/<name>`, compiled once (a reserved node while it is being
    /// compiled, so recursive schemas terminate).
    fn reference(&mut self, reference: &str) -> Result<NodeId> {
        let Some(escaped) = reference.strip_prefix("#/$defs/") else {
            return unsupported(format!("$ref {reference}"));
        };
        if escaped.contains(['/', '%']) {
            return unsupported(format!("$ref {reference}"));
        }
        let name = escaped.replace("~1", "/").replace("~0", "~");
        let Some((key, target)) = self.defs.and_then(|defs| defs.get_key_value(&name)) else {
            return unsupported(format!("$ref {reference} names no definition"));
        };
        if let Some(&id) = self.compiled.get(key.as_str()) {
            return Ok(id);
        }
        self.chain += 1;
        if self.chain > MAX_REF_CHAIN {
            return unsupported("a cycle of `$ref`s");
        }
        let id = match target {
            // A definition that is itself only a reference is that reference's node.
            Value::Object(map) if is_bare_ref(map) => self.schema(target)?,
            Value::Object(_) => {
                let id = self.push(Node::Never);
                self.compiled.insert(key, id);
                self.pending.push(id);
                let node = self.schema(target)?;
                self.pending.pop();
                // The definition's node is copied into its reserved slot, so references taken
                // while it compiled point at the finished node.
                self.nodes[id as usize] = self.nodes[node as usize].clone();
                id
            }
            _ => self.schema(target)?,
        };
        self.compiled.insert(key, id);
        self.chain -= 1;
        Ok(id)
    }

    fn object(&mut self, map: &'s Map<String, Value>) -> Result<NodeId> {
        for key in map.keys() {
            let known = ANNOTATIONS.contains(&key.as_str())
                || key.starts_with("x-")
                || matches!(
                    key.as_str(),
                    "$ref"
                        | "type"
                        | "enum"
                        | "const"
                        | "minimum"
                        | "maximum"
                        | "exclusiveMinimum"
                        | "exclusiveMaximum"
                        | "minLength"
                        | "maxLength"
                        | "format"
                        | "properties"
                        | "required"
                        | "additionalProperties"
                        | "items"
                        | "anyOf"
                        | "oneOf"
                        | "allOf"
                );
            if !known {
                return unsupported(format!("keyword {key}"));
            }
        }
        let assertions: Vec<&str> = map
            .keys()
            .map(String::as_str)
            .filter(|k| !ANNOTATIONS.contains(k) && !k.starts_with("x-"))
            .collect();
        if let Some(reference) = map.get("$ref") {
            // 2020-12 applies `$ref` beside its siblings; only a bare reference is supported.
            if assertions.len() != 1 {
                return unsupported("`$ref` beside other assertions");
            }
            let Some(reference) = reference.as_str() else {
                return unsupported("`$ref` is not a string");
            };
            return self.reference(reference);
        }
        for combinator in ["anyOf", "oneOf", "allOf"] {
            let Some(branches) = map.get(combinator) else {
                continue;
            };
            if assertions.len() != 1 {
                return unsupported(format!("`{combinator}` beside other assertions"));
            }
            let Some(branches) = branches.as_array().filter(|b| !b.is_empty()) else {
                return unsupported(format!("`{combinator}` is not a non-empty array"));
            };
            return match (combinator, branches.as_slice()) {
                (_, [only]) => self.schema(only),
                ("allOf", _) => unsupported("`allOf` of several schemas"),
                _ => self.by_type(branches),
            };
        }
        let mut check = Check::any();
        if let Some(types) = map.get("type") {
            check.types = types_of(types)?;
        }
        let mut allowed = None;
        if let Some(values) = map.get("enum") {
            let Some(values) = values.as_array() else {
                return unsupported("`enum` is not an array");
            };
            allowed = Some(values.iter().map(scalar).collect::<Result<Vec<_>>>()?);
        }
        if let Some(value) = map.get("const") {
            let one = scalar(value)?;
            allowed = Some(match allowed {
                Some(values) => values.into_iter().filter(|v| *v == one).collect(),
                None => vec![one],
            });
        }
        check.allowed = allowed;
        for (key, inclusive, low) in [
            ("minimum", true, true),
            ("exclusiveMinimum", false, true),
            ("maximum", true, false),
            ("exclusiveMaximum", false, false),
        ] {
            let Some(bound) = map.get(key) else { continue };
            let Some(bound) = integer(bound) else {
                return unsupported(format!("`{key}` is not an integer"));
            };
            if low {
                let b = if inclusive { bound } else { bound + 1 };
                check.min = Some(check.min.map_or(b, |m| m.max(b)));
            } else {
                let b = if inclusive { bound } else { bound - 1 };
                check.max = Some(check.max.map_or(b, |m| m.min(b)));
            }
        }
        for (key, slot) in [
            ("minLength", &mut check.min_len),
            ("maxLength", &mut check.max_len),
        ] {
            if let Some(n) = map.get(key) {
                *slot = Some(n.as_u64().ok_or_else(|| {
                    Unsupported(format!("`{key}` is not a non-negative integer"))
                })?);
            }
        }
        if let Some(format) = map.get("format") {
            check.format = Some(match format.as_str() {
                Some("uuid") => Format::Uuid,
                Some("date-time") => Format::DateTime,
                Some("uri-reference") => Format::UriReference,
                _ => return unsupported(format!("format {format}")),
            });
        }
        if let Some(properties) = map.get("properties") {
            let Some(properties) = properties.as_object() else {
                return unsupported("`properties` is not an object");
            };
            for (name, sub) in properties {
                let id = self.schema(sub)?;
                check.properties.push((name.as_str().into(), id));
            }
        }
        if let Some(required) = map.get("required") {
            let Some(required) = required.as_array() else {
                return unsupported("`required` is not an array");
            };
            for name in required {
                let Some(name) = name.as_str() else {
                    return unsupported("a `required` name is not a string");
                };
                let index = match check.properties.iter().position(|(n, _)| &**n == name) {
                    Some(i) => i,
                    None => {
                        check.properties.push((name.into(), ANY));
                        check.properties.len() - 1
                    }
                };
                if index >= 64 {
                    return unsupported("more than 64 properties");
                }
                check.required |= 1 << index;
            }
        }
        if check.properties.len() > 64 {
            return unsupported("more than 64 properties");
        }
        check.additional = match map.get("additionalProperties") {
            None | Some(Value::Bool(true)) => Additional::Any,
            Some(Value::Bool(false)) => Additional::None,
            Some(sub) => Additional::Node(self.schema(sub)?),
        };
        if let Some(items) = map.get("items") {
            check.items = self.schema(items)?;
        }
        Ok(self.push(Node::Check(Box::new(check))))
    }

    /// `anyOf`/`oneOf` over branches with explicit, pairwise disjoint types: for disjoint
    /// branches both keywords mean "the one branch of the instance's type holds".
    fn by_type(&mut self, branches: &'s [Value]) -> Result<NodeId> {
        let mut table: [Option<NodeId>; 6] = [None; 6];
        for branch in branches {
            let id = self.schema(branch)?;
            if self.pending.contains(&id) {
                return unsupported("a union over a definition still being compiled");
            }
            let types = match &self.nodes[id as usize] {
                Node::Check(check) if check.types != ALL_TYPES => check.types,
                _ => return unsupported("a union branch without an explicit `type`"),
            };
            for (kind, slot) in table.iter_mut().enumerate() {
                if types & (1 << kind) != 0 {
                    if slot.is_some() {
                        return unsupported("union branches whose types overlap");
                    }
                    *slot = Some(id);
                }
            }
        }
        Ok(self.push(Node::ByType(table)))
    }
}

/// `{"$ref": ...}` with nothing but annotations beside it.
fn is_bare_ref(map: &Map<String, Value>) -> bool {
    map.contains_key("$ref")
        && map
            .keys()
            .all(|k| k == "$ref" || ANNOTATIONS.contains(&k.as_str()) || k.starts_with("x-"))
}

/// `type`: one name or a list of names. `number` holds integers too; as the visitor gives up
/// on every other number, `number` and `integer` both mean the integer bit.
fn types_of(value: &Value) -> Result<Types> {
    let one = |name: &Value| -> Result<Types> {
        Ok(match name.as_str() {
            Some("null") => JsonKind::Null.bit(),
            Some("boolean") => JsonKind::Boolean.bit(),
            Some("integer" | "number") => JsonKind::Integer.bit(),
            Some("string") => JsonKind::String.bit(),
            Some("array") => JsonKind::Array.bit(),
            Some("object") => JsonKind::Object.bit(),
            _ => return unsupported(format!("type {name}")),
        })
    };
    match value {
        Value::Array(names) if !names.is_empty() => {
            names.iter().try_fold(0, |set, name| Ok(set | one(name)?))
        }
        Value::String(_) => one(value),
        _ => unsupported(format!("type {value}")),
    }
}

/// An `enum` value the visitor can compare against: no floats, arrays or objects.
fn scalar(value: &Value) -> Result<Scalar> {
    Ok(match value {
        Value::Null => Scalar::Null,
        Value::Bool(b) => Scalar::Bool(*b),
        Value::String(s) => Scalar::Str(s.as_str().into()),
        Value::Number(_) => match integer(value) {
            Some(n) => Scalar::Int(n),
            None => return unsupported(format!("enum value {value}")),
        },
        _ => return unsupported(format!("enum value {value}")),
    })
}

/// A number written as an integer (`i64` or `u64`).
fn integer(value: &Value) -> Option<i128> {
    value
        .as_i64()
        .map(i128::from)
        .or_else(|| value.as_u64().map(i128::from))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn compile(schema: Value) -> Result<Plan> {
        Plan::compile(&schema)
    }

    #[test]
    fn every_response_schema_of_the_embedded_contract_compiles() {
        let contract = crate::Contract::embedded().unwrap();
        for operation in contract.operations() {
            if let Some(schema) = operation.response_schema(200) {
                compile(schema.clone()).unwrap_or_else(|e| panic!("{}: {e:?}", operation.id()));
            }
        }
    }

    #[test]
    fn keywords_without_an_exact_plan_are_unsupported() {
        for schema in [
            json!({"type": "string", "pattern": "^a"}),
            json!({"type": "string", "format": "email"}),
            json!({"type": "number", "minimum": 0.5}),
            json!({"enum": [1.5]}),
            json!({"enum": [[1]]}),
            json!({"allOf": [{"type": "string"}, {"minLength": 1}]}),
            // Branches of different types would make a union; `allOf` is never one.
            json!({"allOf": [{"type": "string"}, {"type": "integer"}]}),
            json!({"anyOf": [{"type": "string"}, {"type": ["string", "null"]}]}),
            json!({"anyOf": [{"type": "string"}, {"minLength": 1}]}),
            json!({"$ref": "#/$defs/A", "minimum": 1, "$defs": {"A": {}}}),
            json!({"$ref": "other.json#/x"}),
            json!({"$ref": "#/$defs/A", "$defs": {"A": {"$ref": "#/$defs/A"}}}),
            json!({"$schema": "http://json-schema.org/draft-07/schema#"}),
            json!({"prefixItems": []}),
        ] {
            assert!(compile(schema.clone()).is_err(), "{schema}");
        }
    }

    #[test]
    fn recursive_definitions_and_nullable_unions_compile() {
        let plan = compile(json!({
            "$ref": "#/$defs/Tree",
            "$defs": {"Tree": {"type": "object", "properties": {
                "kids": {"type": "array", "items": {"$ref": "#/$defs/Tree"}},
                "link": {"anyOf": [{"$ref": "#/$defs/Leaf"}, {"type": "null"}]}
            }}, "Leaf": {"type": "string"}}
        }))
        .unwrap();
        let Node::Check(tree) = plan.node(plan.root) else {
            panic!("root is a check")
        };
        let kids = tree.properties[0].1;
        let Node::Check(kids) = plan.node(kids) else {
            panic!()
        };
        assert_eq!(kids.items, plan.root, "the items refer back to the tree");
        assert!(matches!(plan.node(tree.properties[1].1), Node::ByType(_)));
    }

    #[test]
    fn enum_and_const_together_allow_only_the_const() {
        let plan = compile(json!({"enum": [1, 2, 3], "const": 2})).unwrap();
        let Node::Check(check) = plan.node(plan.root) else {
            panic!()
        };
        let within_enum = compile(json!({"const": 2})).unwrap();
        let Node::Check(only_two) = within_enum.node(within_enum.root) else {
            panic!()
        };
        assert_eq!(check.allowed, only_two.allowed);
        let outside = compile(json!({"enum": [1, 3], "const": 2})).unwrap();
        let Node::Check(none) = outside.node(outside.root) else {
            panic!()
        };
        assert_eq!(none.allowed.as_deref().map(<[_]>::len), Some(0));
    }

    #[test]
    fn exclusive_bounds_fold_into_inclusive_integer_bounds() {
        let plan =
            compile(json!({"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10, "minimum": -5}))
                .unwrap();
        let Node::Check(check) = plan.node(plan.root) else {
            panic!()
        };
        assert_eq!((check.min, check.max), (Some(1), Some(9)));
    }
}
