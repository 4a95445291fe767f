//! The plan and the visitor against `jsonschema` itself, edge by edge: whatever the fast path
//! accepts, the compiled validator accepts too, and for strings and plain integers they agree
//! exactly. Whole pages, walks and mutations are compared in `tests/fast_path.rs`.

use serde_json::{Value, json};

use super::plan::Plan;
use super::visit::{self, Ctx};

/// Whether the fast path accepts `body` (JSON text) against `schema`.
fn fast(schema: &Value, body: &str) -> bool {
    let plan = Plan::compile(schema).expect("the schema compiles into a plan");
    visit::gather(&plan, Ctx::Other, body.as_bytes(), &|_| true).is_some()
}

/// Whether `jsonschema`, compiled the way the contract compiles (formats asserted), accepts it.
fn full(schema: &Value, body: &str) -> bool {
    let validator = crate::contract::compile(schema).expect("the schema compiles");
    validator.is_valid(&serde_json::from_str(body).expect("the body is JSON"))
}

/// Asserts both paths agree on `body` and that the verdict is `valid`.
fn agree(schema: &Value, body: &str, valid: bool) {
    assert_eq!(
        full(schema, body),
        valid,
        "jsonschema on {body} against {schema}"
    );
    assert_eq!(
        fast(schema, body),
        valid,
        "fast path on {body} against {schema}"
    );
}

fn string(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

#[test]
fn uuid_forms_agree_with_jsonschema() {
    let schema = json!({"type": "string", "format": "uuid"});
    for (text, valid) in [
        ("6a3fa2fb-3a77-4d99-8b5d-b6bd4102ffb1", true),
        ("6A3FA2FB-3A77-4D99-8B5D-B6BD4102FFB1", true),
        ("6a3fa2fb-3A77-4d99-8B5d-b6bd4102ffb1", true),
        ("00000000-0000-0000-0000-000000000000", true),
        // Any version and variant nibble.
        ("6a3fa2fb-3a77-fd99-eb5d-b6bd4102ffb1", true),
        ("6a3fa2fb3a774d998b5db6bd4102ffb1", false),
        ("{6a3fa2fb-3a77-4d99-8b5d-b6bd4102ffb1}", false),
        ("urn:uuid:6a3fa2fb-3a77-4d99-8b5d-b6bd4102ffb1", false),
        ("6a3fa2fb-3a77-4d99-8b5d-b6bd4102ffb", false),
        ("6a3fa2fb-3a77-4d99-8b5d-b6bd4102ffb11", false),
        ("6a3fa2fb-3a77-4d99-8b5d-b6bd4102ffbg", false),
        ("6a3fa2fb-3a774-d99-8b5d-b6bd4102ffb1", false),
        (" 6a3fa2fb-3a77-4d99-8b5d-b6bd4102ffb1", false),
        ("", false),
    ] {
        agree(&schema, &string(text), valid);
    }
}

#[test]
fn date_time_forms_agree_with_jsonschema() {
    let schema = json!({"type": "string", "format": "date-time"});
    for (text, valid) in [
        ("2020-12-13T22:00:00Z", true),
        ("2020-12-13T22:00:00.5852401Z", true),
        ("2020-12-13T22:00:00.123456789012Z", true),
        ("2020-12-13t22:00:00z", true),
        ("2020-12-13T22:00:00+01:00", true),
        ("2020-12-13T22:00:00-05:30", true),
        ("2020-12-13T22:00:00.5+00:00", true),
        ("2020-12-13T22:00:00-00:00", true),
        // Leap seconds: only at 23:59:60 UTC, whatever the offset.
        ("2016-12-31T23:59:60Z", true),
        ("2016-12-31T23:59:60.5Z", true),
        ("2016-12-31T18:59:60-05:00", true),
        ("2016-12-31T22:59:60Z", false),
        ("2016-12-31T23:59:60+01:00", false),
        ("2020-02-29T00:00:00Z", true),
        ("2019-02-29T00:00:00Z", false),
        ("2020-13-01T00:00:00Z", false),
        ("2020-12-13T24:00:00Z", false),
        ("2020-12-13T22:60:00Z", false),
        ("2020-12-13T22:00:00", false),
        ("2020-12-13T22:00:00.Z", false),
        ("2020-12-13 22:00:00Z", false),
        ("2020-12-13_22:00:00Z", false),
        ("2020-12-13T22:00:00+0100", false),
        ("2020-12-13T22:00:00+24:00", false),
        ("2020-12-13T22:00Z", false),
        ("20-12-13T22:00:00Z", false),
        ("yesterday", false),
    ] {
        agree(&schema, &string(text), valid);
    }
}

#[test]
fn uri_references_agree_with_jsonschema() {
    let schema = json!({"type": "string", "format": "uri-reference"});
    for (text, valid) in [
        ("https://abc.tech.local:4443/v5/jobs/196e4df2", true),
        ("/v6/jobs/x?offset=30&limit=30", true),
        ("", true),
        ("a b", false),
        ("http://[::1", false),
        ("%zz", false),
    ] {
        agree(&schema, &string(text), valid);
    }
}

#[test]
fn integer_edges_agree_or_take_the_full_path() {
    let schema = json!({"type": "integer", "minimum": 0, "maximum": i64::MAX});
    for (body, valid) in [
        ("0", true),
        ("9223372036854775807", true),
        ("9223372036854775808", false),
        ("18446744073709551615", false),
        ("-1", false),
        ("-9223372036854775808", false),
        ("\"1\"", false),
        ("true", false),
        ("null", false),
    ] {
        agree(&schema, body, valid);
    }
    let signed = json!({"type": "integer", "minimum": i64::MIN, "maximum": 5});
    agree(&signed, "-9223372036854775808", true);
    agree(&signed, "6", false);
    // Written as floats (a fraction, an exponent, `-0`, past 64 bits): jsonschema compares
    // them as numbers, `1.0` is an integer to it; the fast path leaves them to the full path.
    for (body, valid) in [
        ("1.0", true),
        ("1e2", true),
        ("1E+2", true),
        ("-0", true),
        ("0.5", false),
        ("18446744073709551616", false),
        ("-9223372036854775809", false),
    ] {
        assert_eq!(full(&schema, body), valid, "{body}");
        assert!(!fast(&schema, body), "{body} must take the full path");
    }
    let exclusive = json!({"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 3});
    for (body, valid) in [("0", false), ("1", true), ("2", true), ("3", false)] {
        agree(&exclusive, body, valid);
    }
    let number = json!({"type": "number", "maximum": 3});
    agree(&number, "3", true);
    agree(&number, "4", false);
}

#[test]
fn nullable_types_enums_and_unions_agree() {
    let nullable = json!({"type": ["string", "null"], "format": "date-time"});
    agree(&nullable, "null", true);
    agree(&nullable, "\"2020-12-13T22:00:00Z\"", true);
    agree(&nullable, "\"x\"", false);
    agree(&nullable, "5", false);
    let status = json!({"type": "string", "enum": ["Running", "Queued"]});
    agree(&status, "\"Running\"", true);
    agree(&status, "\"running\"", false);
    agree(&status, "\"Running \"", false);
    let nullable_enum = json!({"type": ["string", "null"], "enum": ["a", null]});
    agree(&nullable_enum, "null", true);
    agree(&nullable_enum, "\"a\"", true);
    agree(&nullable_enum, "\"b\"", false);
    let numbers = json!({"enum": [1, true, "1"]});
    agree(&numbers, "1", true);
    agree(&numbers, "true", true);
    agree(&numbers, "\"1\"", true);
    agree(&numbers, "2", false);
    agree(&numbers, "false", false);
    agree(&numbers, "[1]", false);
    let constant = json!({"const": "x"});
    agree(&constant, "\"x\"", true);
    agree(&constant, "\"y\"", false);
    let union = json!({
        "$defs": {"Link": {"type": "object", "required": ["href"]}},
        "properties": {"link": {"anyOf": [{"$ref": "#/$defs/Link"}, {"type": "null"}]}}
    });
    agree(&union, r#"{"link": null}"#, true);
    agree(&union, r#"{"link": {"href": "x"}}"#, true);
    agree(&union, r#"{"link": {}}"#, false);
    agree(&union, r#"{"link": "x"}"#, false);
    let lengths = json!({"type": "string", "minLength": 2, "maxLength": 3});
    agree(&lengths, "\"ab\"", true);
    agree(&lengths, "\"äöü\"", true);
    agree(&lengths, "\"a\"", false);
    agree(&lengths, "\"abcd\"", false);
}

#[test]
fn unknown_keys_follow_additional_properties() {
    let props = json!({"a": {"type": "integer"}});
    let absent = json!({"type": "object", "properties": props, "required": ["a"]});
    agree(&absent, r#"{"a": 1, "b": {"deep": [1.5, "x"]}}"#, true);
    agree(&absent, r#"{"b": 1}"#, false);
    agree(&absent, r#"{"a": "1"}"#, false);
    let closed = json!({"type": "object", "properties": props, "additionalProperties": false});
    agree(&closed, r#"{"a": 1}"#, true);
    agree(&closed, r#"{"a": 1, "b": 2}"#, false);
    let typed = json!({"type": "object", "additionalProperties": {"type": "string"}});
    agree(&typed, r#"{"x": "1", "y": "2"}"#, true);
    agree(&typed, r#"{"x": "1", "y": 2}"#, false);
    let items = json!({"type": "array", "items": {"type": "integer", "minimum": 0}});
    agree(&items, "[0, 1, 2]", true);
    agree(&items, "[0, -1]", false);
    agree(&items, "{}", false);
}

#[test]
fn a_repeated_id_is_what_the_full_path_calls_one() {
    // The fast path's repeat check and the walk's `SeenIds` must agree on every pair: canonical
    // uuids in either case are one id (D15), a uuid in another form is another id, and other
    // ids compare lower-cased. A pair the fast path alone calls a repeat costs it the page.
    let id = "196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5";
    let (upper, simple, braced) = (id.to_uppercase(), id.replace('-', ""), format!("{{{id}}}"));
    let pairs = [
        (id, upper.as_str(), true),
        (id, simple.as_str(), false),
        (id, braced.as_str(), false),
        (simple.as_str(), &simple.to_uppercase(), true),
        ("Session-A", "session-a", true),
        ("session-a", "session-b", false),
    ];
    for (first, second, repeated) in pairs {
        let fast = super::repeats_an_id(&[Some(first.to_owned()), Some(second.to_owned())]);
        let mut seen = crate::seen::SeenIds::default();
        seen.first_page_or_insert(first, 1);
        let full = seen.first_page_or_insert(second, 1).is_some();
        assert_eq!((fast, full), (repeated, repeated), "{first} / {second}");
    }
}

#[test]
fn repeats_syntax_errors_and_trailing_bytes_take_the_full_path() {
    let schema = json!({"type": "object", "properties": {"a": {}}});
    for body in [
        r#"{"a": 1, "a": 1}"#,
        r#"{"b": 1, "b": 1}"#,
        r#"{"b": 1, "\u0062": 1}"#,
        r#"{"a": 1} x"#,
        r#"{"a": 1"#,
        "\u{feff}{}",
        "",
        "   ",
    ] {
        assert!(!fast(&schema, body), "{body:?}");
    }
    assert!(fast(&schema, r#" {"a": 1, "b": {"a": 1}} "#));
    // Invalid UTF-8 inside a string the schema does not look at.
    let plan = Plan::compile(&schema).unwrap();
    assert!(visit::gather(&plan, Ctx::Other, b"{\"b\": \"\xff\"}", &|_| true).is_none());
    assert!(visit::gather(&plan, Ctx::Other, b"{\"b\": [\"\xc3\"]}", &|_| true).is_none());
}

#[test]
fn false_schemas_reject_everything() {
    let schema = json!({"properties": {"a": false}});
    agree(&schema, "{}", true);
    agree(&schema, r#"{"a": null}"#, false);
    agree(&json!(false), "{}", false);
    agree(&json!(true), r#"{"a": [1, "b"]}"#, true);
}

/// An object check keeps its properties in a 64-bit mask: 64 properties have a plan, 65 do
/// not (the full path takes those).
#[test]
fn an_object_of_64_properties_has_a_plan_and_one_of_65_has_none() {
    let of = |n: usize| {
        let properties: serde_json::Map<String, Value> =
            (0..n).map(|i| (format!("p{i}"), json!({}))).collect();
        json!({"type": "object", "properties": properties})
    };
    assert!(Plan::compile(&of(64)).is_ok());
    assert!(Plan::compile(&of(65)).is_err());
}

/// The compiled format validators are not dumped into the `Debug` of a plan (or of anything
/// holding one): they print as their name.
#[test]
fn the_format_validators_print_as_their_name_only() {
    let formats = super::format::Formats::new().unwrap();
    assert_eq!(format!("{formats:?}"), "Formats");
}

mod quick_checks {
    //! The quick format checks accept only what `jsonschema` accepts (for uuids: exactly
    //! that), on strings shaped like the formats and damaged at random.

    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::super::format::{is_date_time, is_plain_uri_reference, is_uuid};

    fn exact(format: &str, text: &str) -> bool {
        crate::contract::compile(&json!({"format": format}))
            .unwrap()
            .is_valid(&Value::String(text.to_owned()))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn uuids(text in "[0-9a-fA-F]{8}-?[0-9a-fA-F-]{4}-[0-9a-fA-Fg]{4}-[0-9a-f]{4}[-_][0-9a-fA-F]{11,13}") {
            prop_assert_eq!(is_uuid(&text), exact("uuid", &text), "{}", text);
        }

        #[test]
        fn date_times(
            text in "[0-9]{4}-[0-1][0-9]-[0-3][0-9][Tt _][0-2][0-9]:[0-6][0-9]:[0-6][0-9](\\.[0-9]{0,4})?([Zzx]|[+-][0-2][0-9]:?[0-6][0-9])?",
        ) {
            if is_date_time(&text) {
                prop_assert!(exact("date-time", &text), "{}", text);
            }
        }

        #[test]
        fn uri_references(
            text in "((https?|[a-z][a-z0-9+.-]{0,3}|1a)://[a-z0-9._~-]{0,8}(:[0-9]{0,6})?)?[a-zA-Z0-9/._~!$&'()*+,;=:@?%#\\[\\] -]{0,24}",
        ) {
            if is_plain_uri_reference(&text) {
                prop_assert!(exact("uri-reference", &text), "{}", text);
            }
        }
    }

    #[test]
    fn the_common_spellings_are_recognised_without_the_validator() {
        assert!(is_uuid("6a3fa2fb-3a77-4d99-8b5d-b6bd4102ffb1"));
        assert!(is_date_time("2020-12-13T22:00:00.5852401Z"));
        assert!(is_date_time("2020-12-13T22:00:00+01:00"));
        assert!(is_plain_uri_reference(
            "https://abc.tech.local:4443/v5/jobs/196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5"
        ));
        assert!(is_plain_uri_reference(
            "/v6/Jobs/x/JobSessions?offset=30&limit=30"
        ));
        // A colon past the first segment is plain; in the first segment of a relative
        // reference it would read as a scheme, so the validator decides.
        assert!(is_plain_uri_reference(
            "/v5/JobSessions?from=2020-12-13T22:00:00Z"
        ));
        assert!(is_plain_uri_reference("sessions/a:b"));
        assert!(!is_plain_uri_reference("a:b/sessions"));
        // Leap seconds are left to the validator, which knows when they happen.
        assert!(!is_date_time("2016-12-31T23:59:60Z"));
        assert!(!is_plain_uri_reference("http://[::1]/x"));
    }
}
