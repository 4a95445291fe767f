//! Payload generators derived from the contract's JSON Schema: proptest strategies for sessions,
//! pages and walks of pages, and a seeded API that draws from the same strategies
//! deterministically (for the mock server and benchmarks).
//!
//! Everything the schema says (which properties, required or not, types, enums, formats, bounds,
//! nullability) is read from [`Contract::page_schema`] and its `$defs`; adding a property or an
//! enum value to `openapi/` changes what is generated with no other edit. What the schema cannot
//! say is layered on top by property name: link shapes (`_links`), time ordering (`creationTime`,
//! `endTime`, `status`), the paging rules (`offset`, `limit`, `results`, `totalCount`) and unique
//! session ids (`id`).

use std::collections::HashSet;

use chrono::{DateTime, FixedOffset};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::{BoxedStrategy, Union, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Map, Value};

use crate::contract::Contract;
use crate::rules::Request;

/// Why generators could not be derived from a contract.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerateError {
    /// A `$ref` does not resolve inside the page schema.
    #[error("cannot resolve `$ref` {0} in the page schema")]
    Reference(String),
    /// The page schema lacks something the paging layer needs.
    #[error("the page schema has no {0}")]
    Missing(&'static str),
    /// References nest deeper than any sane schema (a cycle through required properties).
    #[error("the schema nests deeper than {0} levels at {1}")]
    TooDeep(usize, String),
}

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
        /// `maxLength` (capped for generation).
        max_length: usize,
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
const OPEN_STRING_MAX: usize = 24;

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
    let count = |key: &str| node.get(key).and_then(Value::as_u64).map(|n| n as usize);
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
        "string" => {
            let min_length = count("minLength").unwrap_or(0);
            Shape::String {
                format: node
                    .get("format")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                min_length,
                max_length: count("maxLength").unwrap_or(min_length + OPEN_STRING_MAX),
            }
        }
        "array" => {
            let items = match node.get("items") {
                Some(items) => compile(root, items, depth + 1, at)?,
                None => Shape::Any,
            };
            let min = count("minItems").unwrap_or(0);
            Shape::Array {
                items: Box::new(items),
                min,
                max: count("maxItems").unwrap_or(min + OPEN_ARRAY_MAX),
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

/// A proptest strategy for values of `shape`, realistic where the format says what real data
/// looks like.
pub fn strategy(shape: &Shape) -> BoxedStrategy<Value> {
    match shape {
        Shape::Null => Just(Value::Null).boxed(),
        Shape::Boolean => any::<bool>().prop_map(Value::Bool).boxed(),
        Shape::Integer { min, max } => integer(*min, *max),
        Shape::Number { min, max } => {
            let (min, max) = (*min, (*max).max(*min));
            (min..=max)
                .prop_map(|n| serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number))
                .boxed()
        }
        Shape::String {
            format,
            min_length,
            max_length,
        } => string(format.as_deref(), *min_length, *max_length),
        Shape::Enum(values) if values.is_empty() => Just(Value::Null).boxed(),
        Shape::Enum(values) => select(values.clone()).boxed(),
        Shape::Array { items, min, max } => vec(strategy(items), *min..=(*max).max(*min))
            .prop_map(Value::Array)
            .boxed(),
        Shape::Object(object) => object_strategy(object),
        Shape::OneOf(shapes) if shapes.is_empty() => Just(Value::Null).boxed(),
        // `null` is the rarer case of a nullable value; listing it first makes it the shrink target.
        Shape::OneOf(shapes) if shapes.len() == 2 && shapes.contains(&Shape::Null) => {
            let other = shapes
                .iter()
                .find(|s| **s != Shape::Null)
                .unwrap_or(&Shape::Null);
            sometimes(strategy(other))
                .prop_map(|v| v.unwrap_or(Value::Null))
                .boxed()
        }
        Shape::OneOf(shapes) => Union::new_weighted(
            shapes
                .iter()
                .map(|s| (if *s == Shape::Null { 1 } else { 4 }, strategy(s)))
                .collect(),
        )
        .boxed(),
        Shape::Any => prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(Value::from),
            "[a-z]{0,8}".prop_map(Value::String),
        ]
        .boxed(),
    }
}

/// Relation names of generated link maps (`_links` keys); the schema only says "a map of links".
const RELATIONS: &[&str] = &["self", "job", "log", "details"];

fn object_strategy(object: &ObjectShape) -> BoxedStrategy<Value> {
    let fields: Vec<BoxedStrategy<Option<(String, Value)>>> = object
        .properties
        .iter()
        .map(|p| {
            let name = p.name.clone();
            let value = strategy(&p.shape);
            if p.required {
                value.prop_map(move |v| Some((name.clone(), v))).boxed()
            } else {
                sometimes(value)
                    .prop_map(move |v| v.map(|v| (name.clone(), v)))
                    .boxed()
            }
        })
        .collect();
    let extra = match &object.additional {
        Some(shape) => btree_map(
            select(RELATIONS).prop_map(str::to_owned),
            strategy(shape),
            0..=RELATIONS.len(),
        )
        .boxed(),
        None => Just(Default::default()).boxed(),
    };
    (fields, extra)
        .prop_map(|(fields, extra)| {
            let mut map: Map<String, Value> = fields.into_iter().flatten().collect();
            for (key, value) in extra {
                map.entry(key).or_insert(value);
            }
            Value::Object(map)
        })
        .boxed()
}

/// Integers within `min..=max`, mostly small, sometimes around 2^31 (clients that read counts
/// into 32 bits break there, D3), sometimes terabyte-sized, sometimes anywhere. One tuple rather
/// than a union of ranges: proptest forks the RNG for every arm of a union, which dominated the
/// cost of a session. Both parts shrink to 0, so a failing value shrinks to `min`.
fn integer(min: i64, max: i64) -> BoxedStrategy<Value> {
    let max = max.max(min);
    let within = move |low: i64, high: i64, raw: u64| {
        let (low, high) = (low.clamp(min, max), high.clamp(min, max));
        let span = (i128::from(high) - i128::from(low)).max(0) as u128 + 1;
        (i128::from(low) + (u128::from(raw) % span) as i128) as i64
    };
    let edge = 1i64 << 31;
    let has_edge = min <= edge && edge <= max;
    (0u8..10, any::<u64>())
        .prop_map(move |(arm, raw)| {
            let n = match arm {
                0..=4 => within(min, min.saturating_add(1000), raw),
                5 if has_edge => within(edge - 8, edge + 8, raw),
                5..=7 if max > 1_000_000 => within(1_000_000, 1 << 45, raw),
                _ => within(min, max, raw),
            };
            Value::from(n)
        })
        .boxed()
}

/// `Some` four times in five; `None` is the shrink target. Drawn without a union (see `integer`).
fn sometimes<T: std::fmt::Debug + Clone + 'static>(
    value: BoxedStrategy<T>,
) -> BoxedStrategy<Option<T>> {
    (0u8..5, value)
        .prop_map(|(k, v)| (k > 0).then_some(v))
        .boxed()
}

fn string(format: Option<&str>, min: usize, max: usize) -> BoxedStrategy<Value> {
    match format {
        Some("uuid") => uuid().prop_map(Value::String).boxed(),
        Some("date-time") => date_time().prop_map(Value::String).boxed(),
        Some("uri" | "uri-reference") => (0..1000u32, any::<bool>())
            .prop_map(|(n, relative)| {
                let path = format!("/v5/Items/{n}");
                Value::String(if relative {
                    path
                } else {
                    format!("{}{path}", HOSTS[n as usize % HOSTS.len()])
                })
            })
            .boxed(),
        _ => {
            const CHARS: &[char] = &[
                'a', 'b', 'c', 'e', 'k', 'o', 'p', 'r', 's', 't', 'B', 'J', 'V', '0', '1', '7',
                ' ', '-', '_', '.',
            ];
            vec(select(CHARS), min..=max.max(min))
                .prop_map(|chars| Value::String(chars.into_iter().collect()))
                .boxed()
        }
    }
}

/// A version-4 uuid, in lower or upper case (both are valid, D15).
pub fn uuid() -> BoxedStrategy<String> {
    (any::<[u8; 16]>(), proptest::bool::weighted(0.25))
        .prop_map(|(bytes, upper)| render_uuid(bytes, upper))
        .boxed()
}

fn render_uuid(bytes: [u8; 16], upper: bool) -> String {
    let id = uuid::Builder::from_random_bytes(bytes).into_uuid();
    if upper {
        id.hyphenated()
            .encode_upper(&mut uuid::Uuid::encode_buffer())
            .to_owned()
    } else {
        id.hyphenated().to_string()
    }
}

/// Offsets of generated timestamps in minutes east of UTC; `None` is `Z`.
const OFFSETS: &[Option<i32>] = &[None, Some(-420), Some(0), Some(60), Some(330), Some(-300)];
/// 2019-01-01T00:00:00Z and 2027-01-01T00:00:00Z: the lifetime of the v5 API and then some.
const EPOCH_RANGE: std::ops::Range<i64> = 1_546_300_800..1_798_761_600;

/// An RFC 3339 timestamp with 0 to 7 fractional digits and a `Z` or numeric offset (D6).
pub fn date_time() -> BoxedStrategy<String> {
    (EPOCH_RANGE, 0u32..10_000_000, 0usize..=7, select(OFFSETS))
        .prop_map(|(seconds, ticks, digits, offset)| render_time(seconds, ticks, digits, offset))
        .boxed()
}

/// Renders an instant the way .NET and other servers do: `digits` fractional digits of the
/// 100 ns `ticks`, then `Z` (offset `None`) or `±hh:mm`.
pub fn render_time(seconds: i64, ticks: u32, digits: usize, offset: Option<i32>) -> String {
    let utc = DateTime::from_timestamp(seconds, 0).unwrap_or_default();
    let zone = FixedOffset::east_opt(offset.unwrap_or(0) * 60)
        .unwrap_or(FixedOffset::east_opt(0).expect("zero offset"));
    let local = utc.with_timezone(&zone);
    let mut text = local.format("%Y-%m-%dT%H:%M:%S").to_string();
    if digits > 0 {
        let digits = digits.min(7);
        let fraction = ticks % 10_000_000 / 10u32.pow(7 - digits as u32);
        text.push_str(&format!(".{fraction:0digits$}"));
    }
    match offset {
        None => text.push('Z'),
        Some(_) => text.push_str(&local.format("%:z").to_string()),
    }
    text
}

/// Hosts of absolute links; a generator with a base URL uses that instead.
const HOSTS: &[&str] = &[
    "https://vbo.example.com:4443",
    "https://10.20.30.40:4443",
    "https://backup01.contoso.local:4443",
];

/// One generated page and the request it answers.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedPage {
    /// The job whose sessions the page lists.
    pub job_id: String,
    /// The requested offset (the page echoes it).
    pub offset: u64,
    /// The requested limit (the page echoes it).
    pub limit: u64,
    /// The page.
    pub body: Value,
}

impl GeneratedPage {
    /// The request this page answers.
    pub fn request(&self) -> Request {
        Request {
            job_id: Some(self.job_id.clone()),
            offset: Some(self.offset),
            limit: Some(self.limit),
        }
    }

    /// The page as compact JSON bytes.
    pub fn bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.body).expect("a serde_json::Value always serialises")
    }
}

/// A generated walk: every page of one job's sessions, in order, obeying the paging rules.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedWalk {
    /// The job.
    pub job_id: String,
    /// The pages, first to last.
    pub pages: Vec<GeneratedPage>,
}

/// A session as drawn from the schema, before the layer of domain knowledge is applied.
type RawSession = (Value, u64);

/// Derives strategies from a contract and draws from them, by proptest or by seed.
#[derive(Debug, Clone)]
pub struct Generator {
    page: ObjectShape,
    session: Shape,
    link: Shape,
    limit_bounds: (u64, u64),
    offset_bounds: (u64, u64),
    base_url: Option<String>,
}

/// Pages of generated walks hold at most this many sessions, so a walk has several pages.
const WALK_LIMIT_MAX: u64 = 6;
/// Single generated pages hold at most this many sessions, so thousands of cases stay fast.
const PAGE_LIMIT_MAX: u64 = 40;

impl Generator {
    /// Derives the generators from `contract`'s page schema.
    pub fn new(contract: &Contract) -> Result<Self, GenerateError> {
        let root = contract.page_schema();
        let page = shape_of(root, root)?
            .as_object()
            .cloned()
            .ok_or(GenerateError::Missing("object at its root"))?;
        let session = match page.property("results").map(|p| &p.shape) {
            Some(Shape::Array { items, .. }) => (**items).clone(),
            _ => return Err(GenerateError::Missing("`results` array")),
        };
        let link = page
            .property("_links")
            .and_then(|p| p.shape.as_object())
            .and_then(|links| links.additional.as_deref())
            .cloned()
            .unwrap_or(Shape::Object(ObjectShape {
                properties: Vec::new(),
                additional: None,
            }));
        let bounds = |name: &'static str| match page.property(name).map(|p| &p.shape) {
            Some(Shape::Integer { min, max }) => Ok(((*min).max(0) as u64, (*max).max(0) as u64)),
            _ => Err(GenerateError::Missing(name)),
        };
        Ok(Self {
            limit_bounds: bounds("limit")?,
            offset_bounds: bounds("offset")?,
            page,
            session,
            link,
            base_url: None,
        })
    }

    /// The same generator, writing absolute links under `base_url` (e.g. `https://127.0.0.1:8443`).
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into().trim_end_matches('/').to_owned());
        self
    }

    /// The base URL of absolute links, when one was set.
    pub fn base_url(&self) -> Option<&str> {
        self.base_url.as_deref()
    }

    /// The page's shape, as derived from the schema.
    pub fn page_shape(&self) -> &ObjectShape {
        &self.page
    }

    /// The session's shape, as derived from the schema.
    pub fn session_shape(&self) -> &Shape {
        &self.session
    }

    /// The largest `limit` the contract allows.
    pub fn max_limit(&self) -> u64 {
        self.limit_bounds.1
    }

    /// Sessions of `job_id`, each with its links and times made consistent.
    pub fn session_strategy(&self, job_id: String) -> BoxedStrategy<Value> {
        let this = self.clone();
        self.raw_session()
            .prop_map(move |raw| this.dress_session(raw, &job_id))
            .boxed()
    }

    /// Single pages: any page of some job's walk, with the request it answers.
    pub fn page_strategy(&self) -> BoxedStrategy<GeneratedPage> {
        let this = self.clone();
        let (min_limit, max_limit) = self.limit_bounds;
        let most = max_limit.min(PAGE_LIMIT_MAX).max(min_limit);
        let offsets = self.offset_bounds.0..=self.offset_bounds.1.min(100_000);
        // No `prop_flat_map` from limit to sessions: independent parts shrink well (fewer
        // sessions, smaller limit, offset 0), and the page keeps the first `limit` sessions.
        (
            (uuid(), min_limit..=most, offsets, any::<bool>()),
            (
                self.raw_page(),
                vec(self.raw_session(), 0..=most as usize),
                self.link_template(),
                any::<u64>(),
            ),
        )
            .prop_map(
                move |((job_id, limit, offset, more), (base, mut sessions, link, noise))| {
                    sessions.truncate(limit as usize);
                    let full = sessions.len() as u64 == limit;
                    let more = more && full;
                    let total = offset + sessions.len() as u64 + if more { limit } else { 0 };
                    let mut seen = HashSet::new();
                    let sessions: Vec<Value> = sessions
                        .into_iter()
                        .enumerate()
                        .map(|(i, raw)| {
                            let mut s = this.dress_session(raw, &job_id);
                            unique_id(&mut s, &mut seen, offset + i as u64);
                            s
                        })
                        .collect();
                    let count = sessions.len();
                    let body = this.assemble(
                        base, &job_id, offset, limit, total, sessions, count, &link, noise,
                    );
                    GeneratedPage {
                        job_id,
                        offset,
                        limit,
                        body,
                    }
                },
            )
            .boxed()
    }

    /// Walks: every page of one job from offset 0, obeying the paging rules.
    pub fn walk_strategy(&self) -> BoxedStrategy<GeneratedWalk> {
        let this = self.clone();
        let (min_limit, max_limit) = self.limit_bounds;
        let most = max_limit.min(WALK_LIMIT_MAX).max(min_limit.max(1));
        (
            (uuid(), min_limit.max(1)..=most, any::<bool>(), any::<u64>()),
            (
                self.raw_page(),
                vec(self.raw_session(), 0..=(most * 5) as usize),
                self.link_template(),
            ),
        )
            .prop_map(
                move |((job_id, limit, empty_tail, noise), (base, sessions, link))| {
                    this.walk(&job_id, limit, base, sessions, &link, empty_tail, noise)
                },
            )
            .boxed()
    }

    #[allow(clippy::too_many_arguments)]
    fn walk(
        &self,
        job_id: &str,
        limit: u64,
        base: Value,
        sessions: Vec<RawSession>,
        link: &Value,
        empty_tail: bool,
        noise: u64,
    ) -> GeneratedWalk {
        let total = sessions.len() as u64;
        let mut seen = HashSet::new();
        let mut dressed: Vec<Value> = sessions
            .into_iter()
            .enumerate()
            .map(|(i, raw)| {
                let mut s = self.dress_session(raw, job_id);
                unique_id(&mut s, &mut seen, i as u64);
                s
            })
            .collect();
        // A walk ends on a short page, or on a full one: with no next, or with a next that
        // leads to an empty page.
        let mut pages_count = total.div_ceil(limit).max(1);
        if total > 0 && total.is_multiple_of(limit) && empty_tail {
            pages_count += 1;
        }
        let mut pages = Vec::new();
        for number in 0..pages_count {
            let offset = number * limit;
            let take = dressed.len().min(limit as usize);
            let results: Vec<Value> = dressed.drain(..take).collect();
            let count = results.len();
            let is_last = number + 1 == pages_count;
            // The walk's total is what decides `next`; an empty tail is promised by the page before.
            let reported_total = if is_last {
                total
            } else {
                total.max(offset + limit + 1)
            };
            let body = self.assemble(
                base.clone(),
                job_id,
                offset,
                limit,
                reported_total,
                results,
                count,
                link,
                noise,
            );
            let body = with_total(body, total);
            pages.push(GeneratedPage {
                job_id: job_id.to_owned(),
                offset,
                limit,
                body,
            });
        }
        GeneratedWalk {
            job_id: job_id.to_owned(),
            pages,
        }
    }

    fn raw_session(&self) -> BoxedStrategy<RawSession> {
        (strategy(&self.session), any::<u64>()).boxed()
    }

    fn raw_page(&self) -> BoxedStrategy<Value> {
        object_strategy(&self.page)
    }

    fn link_template(&self) -> BoxedStrategy<Value> {
        strategy(&self.link)
    }

    /// Applies what the schema cannot say to a session drawn from it: `endTime` after
    /// `creationTime` and absent or null while running or queued; links named after the session
    /// and its job.
    fn dress_session(&self, (mut session, noise): RawSession, job_id: &str) -> Value {
        let Value::Object(map) = &mut session else {
            return session;
        };
        let instant = |v: Option<&Value>| {
            v.and_then(Value::as_str)
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        };
        if let (Some(created), Some(ended)) = (
            instant(map.get("creationTime")),
            instant(map.get("endTime")),
        ) && ended < created
            && let (Some(c), Some(e)) = (map.remove("creationTime"), map.remove("endTime"))
        {
            map.insert("creationTime".to_owned(), e);
            map.insert("endTime".to_owned(), c);
        }
        if matches!(
            map.get("status").and_then(Value::as_str),
            Some("Running" | "Queued")
        ) && map.get("endTime").is_some_and(|e| !e.is_null())
        {
            if noise & 1 == 0 {
                map.remove("endTime");
            } else {
                map.insert("endTime".to_owned(), Value::Null);
            }
        }
        set_session_links(map, job_id, self.host(noise), noise);
        session
    }

    fn host(&self, noise: u64) -> &str {
        match &self.base_url {
            Some(base) => base,
            None => HOSTS[(noise >> 8) as usize % HOSTS.len()],
        }
    }

    /// Builds a page from a schema-drawn page object: the paging layer decides `offset`,
    /// `limit`, `results`, `_links.self`/`next` and `totalCount`.
    #[allow(clippy::too_many_arguments)]
    fn assemble(
        &self,
        base: Value,
        job_id: &str,
        offset: u64,
        limit: u64,
        total: u64,
        results: Vec<Value>,
        count: usize,
        link: &Value,
        noise: u64,
    ) -> Value {
        let Value::Object(mut page) = base else {
            return base;
        };
        let full = count as u64 == limit;
        let more = full && offset + limit < total;
        page.insert("offset".to_owned(), Value::from(offset));
        page.insert("limit".to_owned(), Value::from(limit));
        page.insert("results".to_owned(), Value::Array(results));
        if page.get("totalCount").is_some_and(|t| !t.is_null()) {
            page.insert("totalCount".to_owned(), Value::from(total));
        }
        let host = self.host(noise);
        let href = |offset: u64| {
            format!("{host}/v5/Jobs/{job_id}/JobSessions?offset={offset}&limit={limit}")
        };
        let link_to = |href: String| {
            let mut link = link.clone();
            if let Value::Object(map) = &mut link {
                map.insert("href".to_owned(), Value::String(href));
            }
            link
        };
        let mut links = Map::new();
        if page.contains_key("_links") {
            links.insert("self".to_owned(), link_to(href(offset)));
        }
        if more {
            links.insert("next".to_owned(), link_to(href(offset + limit)));
        }
        if links.is_empty() {
            page.remove("_links");
        } else {
            page.insert("_links".to_owned(), Value::Object(links));
        }
        Value::Object(page)
    }

    /// The session at `index` of `job_id` for `seed`: the same bytes for the same arguments.
    pub fn session(&self, seed: u64, job_id: &str, index: u64) -> Value {
        self.sessions(seed, job_id, index..index.saturating_add(1))
            .pop()
            .unwrap_or(Value::Null)
    }

    /// Many sessions of one job at once (indices `range`), sharing one strategy.
    pub fn sessions(&self, seed: u64, job_id: &str, range: std::ops::Range<u64>) -> Vec<Value> {
        let raw = self.raw_session();
        let mut runner = runner([0; SEED_LEN]);
        let id_mask = mix(seed, job_id, 0, ID_SALT);
        range
            .map(|index| {
                *runner.rng() = TestRng::from_seed(
                    RngAlgorithm::XorShift,
                    &seed_bytes(seed, job_id, index, SESSION_SALT),
                );
                let raw = raw
                    .new_tree(&mut runner)
                    .map(|t| t.current())
                    .unwrap_or((Value::Null, 0));
                let mut session = self.dress_session(raw, job_id);
                stamp_id(&mut session, id_mask, index);
                let noise = mix(seed, job_id, index, SESSION_SALT);
                if let Value::Object(map) = &mut session {
                    set_session_links(map, job_id, self.host(noise), noise);
                }
                session
            })
            .collect()
    }

    /// The page of `job_id` at `offset`/`limit` when the job has `total` sessions, for `seed`.
    pub fn page(&self, seed: u64, job_id: &str, offset: u64, limit: u64, total: u64) -> Value {
        let end = total.min(offset.saturating_add(limit)).max(offset);
        let sessions = self.sessions(seed, job_id, offset..end);
        self.page_around(seed, job_id, offset, limit, total, sessions)
    }

    /// A page of `job_id` holding `sessions` (already generated), for `seed`: the page-level
    /// properties are the same for every page of the job.
    pub fn page_around(
        &self,
        seed: u64,
        job_id: &str,
        offset: u64,
        limit: u64,
        total: u64,
        sessions: Vec<Value>,
    ) -> Value {
        let bytes = seed_bytes(seed, job_id, 0, PAGE_SALT);
        let (base, link) = draw(&(self.raw_page(), self.link_template()), bytes);
        let noise = mix(seed, job_id, 0, PAGE_SALT);
        let count = sessions.len();
        self.assemble(
            base, job_id, offset, limit, total, sessions, count, &link, noise,
        )
    }

    /// The page of `job_id` at `offset`/`limit` with an empty `results` that its `next` and
    /// `totalCount` treat as holding `count` sessions: servers splice pre-rendered sessions in.
    pub fn page_envelope(
        &self,
        seed: u64,
        job_id: &str,
        offset: u64,
        limit: u64,
        total: u64,
        count: usize,
    ) -> Value {
        let bytes = seed_bytes(seed, job_id, 0, PAGE_SALT);
        let (base, link) = draw(&(self.raw_page(), self.link_template()), bytes);
        let noise = mix(seed, job_id, 0, PAGE_SALT);
        self.assemble(
            base,
            job_id,
            offset,
            limit,
            total,
            Vec::new(),
            count,
            &link,
            noise,
        )
    }

    /// `count` job ids derived from `seed` (lower-case uuids).
    pub fn job_ids(&self, seed: u64, count: usize) -> Vec<String> {
        (0..count as u64)
            .map(|n| {
                let a = mix(seed, "job", n, JOB_SALT);
                let b = mix(seed, "job", n, JOB_SALT ^ 1);
                let mut bytes = [0u8; 16];
                bytes[..8].copy_from_slice(&a.to_le_bytes());
                bytes[8..].copy_from_slice(&b.to_le_bytes());
                render_uuid(bytes, false)
            })
            .collect()
    }
}

/// Sets `totalCount` (when the page has a number there) to the walk's real total.
fn with_total(mut page: Value, total: u64) -> Value {
    if let Some(count) = page.get_mut("totalCount")
        && !count.is_null()
    {
        *count = Value::from(total);
    }
    page
}

/// Writes the hrefs of a session's links from its id and job: v5 absolute URLs, and now and
/// then v6-style relative paths (D10).
fn set_session_links(map: &mut Map<String, Value>, job_id: &str, host: &str, noise: u64) {
    let id = map
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let Some(Value::Object(links)) = map.get_mut("_links") else {
        return;
    };
    let relative = (noise >> 4).is_multiple_of(5);
    for (relation, link) in links.iter_mut() {
        let path = match relation.as_str() {
            "self" => format!("jobsessions/{id}"),
            "job" => format!("jobs/{job_id}"),
            "log" => format!("jobsessions/{id}/logitems"),
            other => format!("jobsessions/{id}/{other}"),
        };
        let href = if relative {
            format!("/v6/{path}")
        } else {
            format!("{host}/v5/{path}")
        };
        if let Value::Object(link) = link {
            link.insert("href".to_owned(), Value::String(href));
        }
    }
}

/// Makes the session's id unique among `seen` by rewriting its last 12 hex digits.
pub(crate) fn unique_id(session: &mut Value, seen: &mut HashSet<String>, index: u64) {
    let Some(Value::String(id)) = session.get_mut("id") else {
        return;
    };
    let mut attempt = 0u64;
    while !seen.insert(id.to_ascii_lowercase()) {
        if id.len() != 36 {
            *id = format!("{id}-{index}-{attempt}");
        } else {
            let tail = (index.wrapping_add(attempt << 32)) & 0xFFFF_FFFF_FFFF;
            id.replace_range(24.., &format!("{tail:012x}"));
        }
        attempt += 1;
    }
    let id = id.clone();
    if let Value::Object(map) = session {
        set_ids_in_links(map, &id);
    }
}

/// Ids of seeded sessions: the last 48 bits are the index under a per-job mask, so ids never
/// repeat within a job (up to 2^48 sessions) yet look random.
fn stamp_id(session: &mut Value, mask: u64, index: u64) {
    if let Some(Value::String(id)) = session.get_mut("id")
        && id.len() == 36
    {
        let upper = id.bytes().any(|b| b.is_ascii_uppercase());
        let tail = (index ^ mask) & 0xFFFF_FFFF_FFFF;
        let text = if upper {
            format!("{tail:012X}")
        } else {
            format!("{tail:012x}")
        };
        id.replace_range(24.., &text);
    }
}

fn set_ids_in_links(map: &mut Map<String, Value>, id: &str) {
    let Some(Value::Object(links)) = map.get_mut("_links") else {
        return;
    };
    for (relation, link) in links.iter_mut() {
        if let Some(Value::String(href)) = link.get_mut("href")
            && relation != "job"
            && let Some(start) = href.find("jobsessions/")
        {
            let from = start + "jobsessions/".len();
            let to = href[from..].find('/').map_or(href.len(), |i| from + i);
            href.replace_range(from..to, id);
        }
    }
}

const SESSION_SALT: u64 = 0x5e55_1011;
const PAGE_SALT: u64 = 0x9a6e;
const JOB_SALT: u64 = 0x10b5;
const ID_SALT: u64 = 0x1d5;

/// Bytes of randomness of one seeded draw. XorShift, not ChaCha: every union and optional value
/// forks the RNG, and seeding ChaCha that often dominated the cost of a session.
pub const SEED_LEN: usize = 16;

/// A proptest runner whose randomness is exactly `seed`.
fn runner(seed: [u8; SEED_LEN]) -> TestRunner {
    let config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::XorShift, &seed))
}

/// Draws one value from `strategy` with randomness `seed`: the same seed gives the same value.
pub fn draw<S: Strategy>(strategy: &S, seed: [u8; SEED_LEN]) -> S::Value {
    let mut runner = runner(seed);
    strategy
        .new_tree(&mut runner)
        .map(|tree| tree.current())
        .unwrap_or_else(|reason| panic!("a schema strategy never rejects: {reason}"))
}

/// SplitMix64 over the seed, the job id (FNV-1a) and the index: stable across platforms.
fn mix(seed: u64, job_id: &str, index: u64, salt: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in job_id.bytes() {
        h = (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3);
    }
    let mut x = seed ^ h.rotate_left(17) ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ salt;
    for _ in 0..2 {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x = z ^ (z >> 31);
    }
    x
}

fn seed_bytes(seed: u64, job_id: &str, index: u64, salt: u64) -> [u8; SEED_LEN] {
    let mut out = [0u8; SEED_LEN];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&mix(seed, job_id, index, salt ^ (i as u64) << 40).to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_render_digits_and_offsets() {
        assert_eq!(
            render_time(1_607_896_800, 5_852_401, 7, None),
            "2020-12-13T22:00:00.5852401Z"
        );
        assert_eq!(
            render_time(1_607_896_800, 5_852_401, 0, Some(-420)),
            "2020-12-13T15:00:00-07:00"
        );
        assert_eq!(
            render_time(1_607_896_800, 5_852_401, 3, Some(330)),
            "2020-12-14T03:30:00.585+05:30"
        );
    }

    #[test]
    fn job_ids_are_stable_per_seed() {
        let contract = Contract::embedded().unwrap();
        let generator = Generator::new(&contract).unwrap();
        assert_eq!(generator.job_ids(7, 3), generator.job_ids(7, 3));
        assert_ne!(generator.job_ids(7, 1), generator.job_ids(8, 1));
    }
}
