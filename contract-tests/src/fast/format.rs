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
        b[range].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
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
/// only of unreserved characters, sub-delimiters, `:`, `@`, `/` and `?`, with no empty path
/// segment. Anything else (fragments, percent escapes, user info, IP literals, empty strings)
/// goes to the exact validator.
pub(crate) fn is_plain_uri_reference(text: &str) -> bool {
    let b = text.as_bytes();
    if b.is_empty() || !b.iter().all(|&c| PLAIN[usize::from(c)]) || b.starts_with(b"//") {
        return false;
    }
    let rest = match b.windows(3).position(|w| w == b"://") {
        Some(at) => {
            let (scheme, after) = (&b[..at], &b[at + 3..]);
            let scheme_ok = scheme.first().is_some_and(u8::is_ascii_alphabetic)
                && scheme
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
            let end = after
                .iter()
                .position(|c| matches!(c, b'/' | b'?'))
                .unwrap_or(after.len());
            let authority = &after[..end];
            let colon = authority.iter().position(|&c| c == b':');
            let (host, port) = match colon {
                Some(i) => (&authority[..i], Some(&authority[i + 1..])),
                None => (authority, None),
            };
            let host_ok = !host.is_empty()
                && host
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.'));
            let port_ok = port.is_none_or(|p| {
                (1..=5).contains(&p.len())
                    && p.iter().all(u8::is_ascii_digit)
                    && p.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0')) <= 65535
            });
            if !scheme_ok || !host_ok || !port_ok {
                return false;
            }
            &after[end..]
        }
        None => {
            // A relative reference's first segment must not hold `:` (it would read as a
            // scheme).
            let first = b
                .iter()
                .position(|c| matches!(c, b'/' | b'?'))
                .unwrap_or(b.len());
            if b[..first].contains(&b':') {
                return false;
            }
            b
        }
    };
    // Empty path segments are legal but rare: left to the exact validator.
    let path = &rest[..rest.iter().position(|&c| c == b'?').unwrap_or(rest.len())];
    !path.windows(2).any(|w| w == b"//")
}

/// The bytes [`is_plain_uri_reference`] takes anywhere: unreserved, sub-delimiters, `:`, `@`,
/// `/` and `?`.
const PLAIN: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = b.is_ascii_alphanumeric()
            || matches!(
                b,
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
            );
        c += 1;
    }
    table
};
