//! The `format`s the plan asserts, decided the way `jsonschema` decides them.
//!
//! A quick check recognises the common, unmistakably valid spellings (a hyphenated uuid, an
//! RFC 3339 timestamp without a leap second, a plain http(s) or path link); everything it does
//! not recognise is handed to a `jsonschema` validator compiled for that format alone, so the
//! answer is `jsonschema`'s own wherever the quick check is unsure. The quick checks must only
//! ever accept what `jsonschema` accepts: `tests.rs` compares them edge by edge and on random
//! strings.

use jsonschema::Validator;
use serde_json::{Value, json};

use super::plan::Format;

/// The exact validators the quick checks defer to.
pub(crate) struct Formats {
    uuid: Validator,
    date_time: Validator,
    uri_reference: Validator,
}

impl std::fmt::Debug for Formats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Formats")
    }
}

impl Formats {
    /// Compiles one validator per format, the way the contract compiles its schemas.
    pub(crate) fn new() -> Option<Self> {
        let one = |name: &str| crate::contract::compile(&json!({"format": name})).ok();
        Some(Self {
            uuid: one("uuid")?,
            date_time: one("date-time")?,
            uri_reference: one("uri-reference")?,
        })
    }

    /// Whether `text` is valid for `format`.
    pub(crate) fn is_valid(&self, format: Format, text: &str) -> bool {
        let (quick, exact) = match format {
            Format::Uuid => (is_uuid(text), &self.uuid),
            Format::DateTime => (is_date_time(text), &self.date_time),
            Format::UriReference => (is_plain_uri_reference(text), &self.uri_reference),
        };
        quick || exact.is_valid(&Value::String(text.to_owned()))
    }
}

/// A hyphenated uuid (8-4-4-4-12 hex digits, either case, any version): the one spelling
/// `jsonschema`'s `uuid` accepts.
pub(crate) fn is_uuid(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` (RFC 3339 `date-time`, `T` and `Z` in either case)
/// with a real calendar date; a leap second (`:60`) is left to the exact validator.
pub(crate) fn is_date_time(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() < 20 {
        return false;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range]
            .iter()
            .try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        num(0..4),
        num(5..7),
        num(8..10),
        num(11..13),
        num(14..16),
        num(17..19),
    ) else {
        return false;
    };
    let leap_year = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap_year => 29,
        2 => 28,
        _ => return false,
    };
    let separators = b[4] == b'-'
        && b[7] == b'-'
        && matches!(b[10], b'T' | b't')
        && b[13] == b':'
        && b[16] == b':';
    if !separators || day == 0 || day > days || hour > 23 || minute > 59 || second > 59 {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        i += 1 + digits;
    }
    match &b[i..] {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', _, _, b':', _, _] => {
            matches!((num(i + 1..i + 3), num(i + 4..i + 6)), (Some(h), Some(m)) if h <= 23 && m <= 59)
        }
        _ => false,
    }
}

/// A link in one of the plain shapes servers send: `scheme://host[:port]` followed by a path
/// and query, or a path (absolute or relative, its first segment without `:`) and query; made
/// only of unreserved characters, sub-delimiters, `:`, `@`, `/` and `?`. Anything else
/// (fragments, percent escapes, user info, IP literals, empty strings) goes to the exact
/// validator.
pub(crate) fn is_plain_uri_reference(text: &str) -> bool {
    let plain = |c: u8| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
                    | b'/'
                    | b'?'
            )
    };
    if text.is_empty() || !text.bytes().all(plain) || text.starts_with("//") {
        return false;
    }
    let rest = match text.split_once("://") {
        Some((scheme, rest)) => {
            let scheme_ok = scheme.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
                && scheme
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
            if !scheme_ok {
                return false;
            }
            let end = rest.find(['/', '?']).unwrap_or(rest.len());
            let (authority, after) = rest.split_at(end);
            let (host, port) = authority.split_once(':').unwrap_or((authority, "80"));
            let host_ok = !host.is_empty()
                && host
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.'));
            let port_ok = (1..=5).contains(&port.len())
                && port.bytes().all(|c| c.is_ascii_digit())
                && port.parse::<u32>().is_ok_and(|p| p <= 65535);
            if !host_ok || !port_ok {
                return false;
            }
            after
        }
        None => {
            // A relative reference's first segment must not hold `:` (it would read as a
            // scheme).
            let first = text.split(['/', '?']).next().unwrap_or_default();
            if first.contains(':') {
                return false;
            }
            text
        }
    };
    // Empty path segments are legal but rare: left to the exact validator.
    let path = rest.split('?').next().unwrap_or_default();
    !path.contains("//")
}
