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
/// only of unreserved characters, sub-delimiters, `:`, `@`, `/` and `?`, with no `//` past
/// the scheme's. Anything else (fragments, percent escapes, user info, IP literals, empty
/// strings, empty path segments) goes to the exact validator. One pass over the bytes.
pub(crate) fn is_plain_uri_reference(text: &str) -> bool {
    let b = text.as_bytes();
    let scheme = b
        .iter()
        .position(|&c| !SCHEME[usize::from(c)])
        .unwrap_or(b.len());
    let mut i = 0;
    // In the first segment of a relative reference, where `:` would read as a scheme.
    let mut first_segment = false;
    if scheme > 0 && b[0].is_ascii_alphabetic() && b[scheme..].starts_with(b"://") {
        i = scheme + 3;
        let host = i;
        while i < b.len() && HOST[usize::from(b[i])] {
            i += 1;
        }
        if i == host {
            return false;
        }
        if b.get(i) == Some(&b':') {
            i += 1;
            let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            let port = b[i..i + digits.min(6)]
                .iter()
                .fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
            if !(1..=5).contains(&digits) || port > 65535 {
                return false;
            }
            i += digits;
        }
        if i < b.len() && !matches!(b[i], b'/' | b'?') {
            return false;
        }
    } else {
        if b.is_empty() {
            return false;
        }
        first_segment = true;
    }
    let mut previous = 0u8;
    for &c in &b[i..] {
        if !PLAIN[usize::from(c)] || (c == b'/' && previous == b'/') {
            return false;
        }
        match c {
            b'/' | b'?' => first_segment = false,
            b':' if first_segment => return false,
            _ => {}
        }
        previous = c;
    }
    true
}

/// The bytes [`is_plain_uri_reference`] takes anywhere: unreserved, sub-delimiters, `:`, `@`,
/// `/` and `?`.
const PLAIN: [bool; 256] = table(b"-._~!$&'()*+,;=:@/?");

/// The bytes of a scheme after its first letter.
const SCHEME: [bool; 256] = table(b"+-.");

/// The bytes of a plain host name.
const HOST: [bool; 256] = table(b"-.");

/// A byte table of the ASCII letters and digits and `extra`.
const fn table(extra: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        table[c] = (c as u8).is_ascii_alphanumeric();
        c += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        table[extra[i] as usize] = true;
        i += 1;
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn february_has_a_29th_in_leap_years_only() {
        for (text, valid) in [
            ("2024-02-29T00:00:00Z", true),
            ("2000-02-29T00:00:00Z", true),
            ("2100-02-29T00:00:00Z", false),
            ("2023-02-29T00:00:00Z", false),
            ("2023-02-28T23:59:59Z", true),
            ("2023-04-31T00:00:00Z", false),
        ] {
            assert_eq!(is_date_time(text), valid, "{text}");
        }
    }

    #[test]
    fn a_port_is_one_to_five_digits_up_to_65535() {
        for (text, valid) in [
            ("https://vbo01:65535/v5", true),
            ("https://vbo01:65536/v5", false),
            ("https://vbo01:70000/v5", false),
            ("https://vbo01:4443", true),
            ("https://vbo01:044430/v5", false),
        ] {
            assert_eq!(is_plain_uri_reference(text), valid, "{text}");
        }
    }
}
