//! Verifying one response: bytes and where they came from in, findings out.
//!
//! The path is the same for a file, an NDJSON line and an HTTP body: status, content type,
//! encoding, JSON syntax, the derived schema (a fast `is_valid` first, full diagnostics only for
//! invalid pages), then the rules beyond the schema.

use std::cell::Cell;
use std::fmt;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, Validator};
use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::contract::{Contract, is_json_media_type};
use crate::finding::{Finding, Position, Rule, payload};
use crate::locate;
use crate::operation::{Body, Operation};
use crate::rules::{self, PageFacts, Request};

/// The default cap on one body: a recorded file, an NDJSON line or a response. The largest
/// legal page (10,000 sessions, `limit`'s maximum, every field at its longest) is 12.6 MB.
/// The same as the client's `vbo_client::DEFAULT_MAX_BODY_BYTES` (a test with `live` checks),
/// stated here so the light library does not depend on the client.
pub const DEFAULT_MAX_BODY: u64 = 64 * 1024 * 1024;

/// How deep serde_json lets JSON nest (its recursion limit of 128 stops at the 128th level);
/// deeper bodies are a `json-syntax` finding, so nothing downstream sees a deeper tree.
pub const MAX_NESTING: usize = 127;

/// The `Content-Type` of a response as far as the input knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentType<'a> {
    /// The input has no headers (a bare body file or NDJSON line): not checked.
    NotRecorded,
    /// The response had no `Content-Type` header.
    Missing,
    /// The header's value.
    Value(&'a str),
}

/// One response to verify.
#[derive(Debug, Clone, Copy)]
pub struct Response<'a> {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type` header.
    pub content_type: ContentType<'a>,
    /// The body bytes, as received.
    pub body: &'a [u8],
    /// The `Location` header, when the response had one (a redirect names its target there).
    pub location: Option<&'a str>,
}

impl<'a> Response<'a> {
    /// A recorded body without status or headers (taken as a 200 whose headers were not kept).
    pub fn body(body: &'a [u8]) -> Self {
        Self {
            status: 200,
            content_type: ContentType::NotRecorded,
            body,
            location: None,
        }
    }
}

/// What the verifier concluded about one response.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    /// Every finding, in body order where positions are known.
    pub findings: Vec<Finding>,
    /// Number of sessions on the page (0 when the body did not parse).
    pub sessions: usize,
    /// The facts the walk rules need, when the body was a 200 JSON page.
    pub facts: Option<PageFacts>,
}

impl Verdict {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }
}

/// The environment variable that turns the fast path off when set to `off` (for measuring it
/// against the full path, or ruling it out when a verdict looks wrong).
pub const FAST_PATH_SWITCH: &str = "VBO_CONTRACT_FAST_PATH";

/// The verdict line (`ok` or `FAILED`, with counts), then one line per finding.
impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors = self.findings.iter().filter(|f| f.is_error()).count();
        let warnings = self.findings.len() - errors;
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        write!(
            f,
            "{}: {errors} error{}, {warnings} warning{}",
            if errors == 0 { "ok" } else { "FAILED" },
            plural(errors),
            plural(warnings)
        )?;
        for finding in &self.findings {
            write!(f, "\n{finding}")?;
        }
        Ok(())
    }
}

/// Options that change how findings are worded, never whether they are found.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Leave payload values out of messages (for logs of private tenants).
    pub mask_values: bool,
}

/// Verifies responses against a loaded contract; cheap to create, reuse it across pages.
#[derive(Debug, Clone, Copy)]
pub struct Verifier<'c> {
    contract: &'c Contract,
    options: Options,
    fast_path: bool,
    /// What a response whose request names no operation is judged as; the contract's default
    /// operation (a page of job sessions) when `None`.
    bare: Option<&'c Operation>,
}

impl<'c> Verifier<'c> {
    /// A verifier for `contract` with default options.
    pub fn new(contract: &'c Contract) -> Self {
        Self {
            contract,
            options: Options::default(),
            fast_path: std::env::var_os(FAST_PATH_SWITCH).is_none_or(|v| v != "off"),
            bare: None,
        }
    }

    /// The same verifier, judging a response whose request names no operation (a bare body,
    /// a capture of a path the contract does not have) as `operation` instead of a page of job
    /// sessions (`--operation`).
    pub fn with_bare_operation(mut self, operation: &'c Operation) -> Self {
        self.bare = Some(operation);
        self
    }

    /// The operation `request` is judged as: the one it was routed to, else the bare default.
    pub fn operation_of(&self, request: &Request) -> &'c Operation {
        request
            .operation
            .as_deref()
            .and_then(|id| self.contract.operation(id))
            .or(self.bare)
            .unwrap_or_else(|| self.contract.default_operation())
    }

    /// The same verifier with the fast path for valid 200 responses on (the default, unless
    /// the environment sets [`FAST_PATH_SWITCH`] to `off`) or off. Either way the verdicts are
    /// the same (`tests/fast_path.rs` checks it); off, every body is parsed into a tree,
    /// validated and walked by the rules (the full path).
    pub fn with_fast_path(mut self, on: bool) -> Self {
        self.fast_path = on;
        self
    }

    /// The fast path alone: the verdict on a 200 response to `request`, when one pass over the
    /// body can vouch that neither the schema nor a single-response rule objects to it (so the
    /// verdict has no findings); `None` when the full path must judge it. Not located and not
    /// placed in a walk.
    pub fn fast_verdict(&self, response: &Response<'_>, request: &Request) -> Option<Verdict> {
        self.fast_verdict_as(self.operation_of(request), response, request)
    }

    /// [`Self::fast_verdict`] for an operation already resolved.
    fn fast_verdict_as(
        &self,
        operation: &Operation,
        response: &Response<'_>,
        request: &Request,
    ) -> Option<Verdict> {
        let headers_fine = match response.content_type {
            ContentType::NotRecorded => true,
            ContentType::Missing => false,
            ContentType::Value(value) => is_json_utf8(value),
        };
        if response.status != 200 || !headers_fine {
            return None;
        }
        operation
            .fast_path()?
            .verdict(operation, request, response.body)
    }

    /// The same verifier with `options`.
    pub fn with_options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// The options this verifier words its findings with.
    pub fn options(&self) -> Options {
        self.options
    }

    /// The contract this verifier checks against.
    pub fn contract(&self) -> &'c Contract {
        self.contract
    }

    /// Verifies one response to `request`: judged as the operation the request was routed to
    /// ([`Request::operation`]), a page of job sessions when it names none.
    pub fn verify(&self, response: &Response<'_>, request: &Request) -> Verdict {
        let operation = self.operation_of(request);
        let mut verdict = self.verify_unlocated(operation, response, request);
        self.finish(operation, response.body, &mut verdict.findings);
        verdict
    }

    /// Verifies one page of a walk: the page on its own, then against the pages before it.
    pub fn verify_in_walk(
        &self,
        response: &Response<'_>,
        request: &Request,
        walk: &mut rules::Walk,
    ) -> Verdict {
        let operation = self.operation_of(request);
        let mut verdict = self.verify_unlocated(operation, response, request);
        walk.with_items(operation.body().and_then(Body::item_schema));
        match verdict.facts.clone() {
            Some(facts) => walk.push(facts, &mut verdict.findings),
            None => walk.interrupt(),
        }
        self.finish(operation, response.body, &mut verdict.findings);
        verdict
    }

    /// Locates findings in the body and resolves their payload values (masked or shown).
    fn finish(&self, operation: &Operation, body: &[u8], findings: &mut [Finding]) {
        if !std::ptr::eq(operation, self.contract.default_operation()) {
            for finding in findings.iter_mut() {
                finding.operation = Some(operation.label());
            }
        }
        let mask = self.options.mask_values;
        locate_findings(body, findings, !mask);
        for finding in findings {
            finding.settle(mask);
        }
    }

    fn verify_unlocated(
        &self,
        operation: &Operation,
        response: &Response<'_>,
        request: &Request,
    ) -> Verdict {
        if self.fast_path
            && let Some(verdict) = self.fast_verdict_as(operation, response, request)
        {
            return verdict;
        }
        let mut verdict = Verdict::default();
        let findings = &mut verdict.findings;
        if (300..400).contains(&response.status) {
            // Never followed: the body of a redirect is not the page, so nothing else is judged.
            findings.push(rules::redirect(
                response.status,
                response.location,
                self.options.mask_values,
            ));
            return verdict;
        }
        if !is_success(operation, response.status) {
            findings.push(self.status_finding(operation, response));
        }
        match response.content_type {
            ContentType::NotRecorded => {}
            ContentType::Missing => findings.push(Finding::new(
                Rule::ContentType,
                "",
                "the response has no Content-Type header; expected application/json; charset=utf-8",
            )),
            ContentType::Value(value) if !is_json_utf8(value) => findings.push(Finding::new(
                Rule::ContentType,
                "",
                format!(
                    "Content-Type is {}; expected application/json; charset=utf-8",
                    payload(format_args!("{value:?}"))
                ),
            )),
            ContentType::Value(_) => {}
        }
        let Some(value) = parse_body(response.body, findings) else {
            return verdict;
        };
        let Some(validator) = operation.validator_for_status(response.status) else {
            return verdict;
        };
        self.schema_findings(validator, &value, findings);
        if response.status == 200 {
            rules::body(&value, operation, request, findings);
            match operation.body() {
                Some(Body::Page(_)) => {
                    let facts = PageFacts::of(&value);
                    verdict.sessions = facts.count();
                    verdict.facts = Some(facts);
                }
                // A list (the jobs) holds no sessions; its items are not counted as such.
                Some(Body::List { .. } | Body::Single { .. }) | None => {}
            }
        }
        verdict
    }

    fn status_finding(&self, operation: &Operation, response: &Response<'_>) -> Finding {
        let message = serde_json::from_slice::<Value>(response.body)
            .ok()
            .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned));
        let declared = if operation.declares_status(response.status) {
            "a documented error status"
        } else {
            "a status the contract does not document"
        };
        let said = match message {
            Some(m) => format!(": {}", payload(format_args!("{m:?}"))),
            None => String::new(),
        };
        Finding::new(
            Rule::Status,
            "",
            format!("the server answered {} ({declared}){said}", response.status),
        )
    }

    fn schema_findings(&self, validator: &Validator, value: &Value, out: &mut Vec<Finding>) {
        if validator.is_valid(value) {
            return;
        }
        for error in validator.iter_errors(value) {
            let pointer = error.instance_path().as_str().to_owned();
            let numeric_string = is_numeric_string(error.kind(), error.instance(), &pointer);
            let message = match (error.kind(), self.options.mask_values) {
                // The validator abbreviates long enums ("or 6 other candidates"); a server
                // author needs the whole documented list to fix the value in one read.
                (ValidationErrorKind::Enum { options }, _) => {
                    let allowed = options
                        .as_array()
                        .map(|values| {
                            values
                                .iter()
                                .map(Value::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        })
                        .unwrap_or_default();
                    format!(
                        "{} is not one of the documented values: {allowed}",
                        payload(error.instance())
                    )
                }
                (_, true) => error.masked().to_string(),
                (_, false) => error.to_string(),
            };
            let mut finding = if numeric_string {
                Finding::new(
                    Rule::NumericString,
                    pointer,
                    format!(
                        "{message} (a string of digits, as the seed's table documents; tolerated, see DECISIONS.md D2)"
                    ),
                )
            } else {
                Finding::new(Rule::Schema, pointer, message)
            };
            finding.schema_location = Some(error.schema_path().as_str().to_owned());
            out.push(finding);
        }
    }
}

/// Whether `status` is what the operation answers when it succeeds: 200, or another 2xx the
/// document declares for it.
fn is_success(operation: &Operation, status: u16) -> bool {
    status == 200 || ((201..300).contains(&status) && operation.declares_status(status))
}

/// `application/json` with no charset or a utf-8 one.
fn is_json_utf8(value: &str) -> bool {
    if !is_json_media_type(value) {
        return false;
    }
    value.split(';').skip(1).all(|param| {
        let (name, val) = param.split_once('=').unwrap_or((param, ""));
        !name.trim().eq_ignore_ascii_case("charset")
            || val.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
    })
}

/// A statistic sent as a non-negative string of digits where the schema wants an integer.
fn is_numeric_string(kind: &ValidationErrorKind, instance: &Value, pointer: &str) -> bool {
    let expects_integer = match kind {
        ValidationErrorKind::Type {
            kind: TypeKind::Single(t),
        } => *t == JsonType::Integer,
        ValidationErrorKind::Type {
            kind: TypeKind::Multiple(set),
        } => set.contains(JsonType::Integer),
        _ => false,
    };
    expects_integer
        && pointer.contains("/statistics/")
        && instance.as_str().is_some_and(|s| {
            !s.is_empty()
                && s.len() <= 19
                && s.bytes().all(|b| b.is_ascii_digit())
                && s.parse::<i64>().is_ok()
        })
}

/// Parses the body as one JSON value, or records why it cannot be; also reports keys repeated
/// within an object, which the parsed value cannot show.
fn parse_body(body: &[u8], out: &mut Vec<Finding>) -> Option<Value> {
    if let Err(e) = std::str::from_utf8(body) {
        let mut finding = Finding::new(
            Rule::Encoding,
            "",
            format!(
                "the body is not UTF-8: invalid byte at offset {}",
                e.valid_up_to()
            ),
        );
        finding.position = Some(locate::position_of_offset(body, e.valid_up_to()));
        out.push(finding);
        return None;
    }
    let at_start = Some(Position { line: 1, column: 1 });
    if body.starts_with(b"\xEF\xBB\xBF") {
        let mut finding = Finding::new(
            Rule::JsonSyntax,
            "",
            "the body starts with a UTF-8 byte-order mark, which JSON (RFC 8259) forbids",
        );
        finding.position = at_start;
        out.push(finding);
        return None;
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        let mut finding = Finding::new(
            Rule::JsonSyntax,
            "",
            "the body is empty; expected a JSON page",
        );
        finding.position = at_start;
        out.push(finding);
        return None;
    }
    let repeated = Cell::new(false);
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let parsed = ValueSeed {
        repeated: &repeated,
    }
    .deserialize(&mut deserializer)
    .and_then(|value| deserializer.end().map(|()| value));
    match parsed {
        Ok(value) => {
            if repeated.get() {
                duplicate_key_findings(body, out);
            }
            Some(value)
        }
        Err(e) => {
            let text = e.to_string();
            let what = if text.starts_with("recursion limit exceeded") {
                format!(
                    "the body nests arrays and objects more than {MAX_NESTING} levels deep; \
                     a page needs 4, and deeper input is not verified"
                )
            } else {
                let what = match e.classify() {
                    serde_json::error::Category::Eof => {
                        "the body ends before the JSON value is complete (truncated?)"
                    }
                    _ => "the body is not valid JSON",
                };
                format!("{what}: {text}")
            };
            let mut finding = Finding::new(Rule::JsonSyntax, "", what);
            finding.position = Some(Position {
                line: e.line().max(1),
                column: e.column().max(1),
            });
            out.push(finding);
            None
        }
    }
}

/// One finding per key repeated within an object, at the repeated key.
fn duplicate_key_findings(body: &[u8], out: &mut Vec<Finding>) {
    let duplicates = locate::duplicate_keys(body);
    let offsets: Vec<usize> = duplicates
        .iter()
        .flat_map(|d| [d.first, d.repeat])
        .collect();
    let positions = locate::positions_of_offsets(body, &offsets);
    for (duplicate, pair) in duplicates.iter().zip(positions.chunks(2)) {
        let first = pair[0];
        let mut finding = Finding::new(
            Rule::DuplicateKey,
            duplicate.pointer.clone(),
            format!(
                "the key {:?} appears again in the same object (first at line {}, column {}); \
                 parsers keep one of the values silently, so the other is never checked",
                duplicate.key, first.line, first.column
            ),
        );
        finding.position = Some(pair[1]);
        out.push(finding);
    }
}

/// Builds a [`Value`] exactly as `serde_json::Value`'s own `Deserialize` does, and notes when
/// an object repeats a key, which `Value` would drop in silence. The note costs one branch per
/// member on the hot path; where the repeats are is only worked out for pages that have them.
#[derive(Clone, Copy)]
struct ValueSeed<'c> {
    repeated: &'c Cell<bool>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let value = access.next_value_seed(self)?;
            if map.insert(key, value).is_some() {
                self.repeated.set(true);
            }
        }
        Ok(Value::Object(map))
    }
}

/// Fills in line and column for findings that have none, then orders them by position.
fn locate_findings(body: &[u8], findings: &mut [Finding], snippets: bool) {
    if findings.is_empty() {
        return;
    }
    // Only findings without a position need the scan (a syntax error has its own, and the text
    // after it may be anything).
    let pointers: Vec<&str> = findings
        .iter()
        .filter(|f| f.position.is_none())
        .map(|f| f.pointer.as_str())
        .collect();
    let found = if pointers.is_empty() {
        std::collections::HashMap::new()
    } else {
        locate::offsets_of(body, &pointers)
    };
    let offsets: Vec<Option<usize>> = findings
        .iter()
        .map(|f| match f.position {
            Some(_) => None,
            None => found.get(&f.pointer).copied(),
        })
        .collect();
    let known: Vec<usize> = offsets.iter().flatten().copied().collect();
    let mut positions = locate::positions_of_offsets(body, &known).into_iter();
    for (finding, offset) in findings.iter_mut().zip(offsets) {
        let offset = match (offset, finding.position) {
            (Some(offset), _) => {
                finding.position = positions.next();
                offset
            }
            // Parse errors come with a line and column of their own.
            (None, Some(position)) => locate::offset_of_position(body, position),
            (None, None) => continue,
        };
        if snippets {
            finding.snippet = locate::snippet(body, offset, 100);
        }
    }
    findings.sort_by(|a, b| {
        (a.position, b.severity, &a.pointer).cmp(&(b.position, a.severity, &b.pointer))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types_with_utf8_or_no_charset_are_accepted() {
        assert!(is_json_utf8("application/json; charset=utf-8"));
        assert!(is_json_utf8("Application/JSON"));
        assert!(is_json_utf8("application/json;charset=\"UTF-8\""));
        assert!(!is_json_utf8("application/json; charset=iso-8859-1"));
        assert!(!is_json_utf8("text/html"));
    }

    /// The duplicate-noting parse gives the value `serde_json::Value`'s own parse gives, for
    /// every kind of JSON value.
    #[test]
    fn a_body_parses_to_the_value_serde_json_gives() {
        let every_kind = r#"{"n": [0, -2, 18446744073709551615, 3.5, -0.25, 1e300],
            "s": ["x", "caf\u00e9\n", ""], "b": [true, false], "z": null, "o": {"a": [[], {}]}}"#;
        for text in [every_kind, "3.5", "-7", "\"s\"", "null", "true", "[1.5]"] {
            let mut out = Vec::new();
            let parsed = parse_body(text.as_bytes(), &mut out);
            assert_eq!(
                parsed,
                Some(serde_json::from_str::<Value>(text).unwrap()),
                "{text}"
            );
            assert!(out.is_empty(), "{text}: {out:?}");
        }
    }
}
