//! HAR 1.2 documents (browser devtools, mitmproxy, Fiddler, Charles exports) as exchanges.
//!
//! Format: "HTTP Archive (HAR) format", HAR 1.2 (Jan Odvarko,
//! http://www.softwareishard.com/blog/har-12-spec/; the abandoned W3C draft
//! https://w3c.github.io/web-performance/specs/HAR/Overview.html). What this reader relies on:
//! the file is UTF-8 and a reader ignores a byte order mark; `log.entries[]` are the requests in
//! the order exported; `response.content.text` is the body as decoded text, base64 when
//! `content.encoding` is `"base64"`; sizes are -1 when unknown; `content.compression` is the
//! bytes saved by compression; fields whose name starts with `_` are an exporter's own.
//!
//! Which entries are verified is the caller's decision ([`crate::recorded::route`]); this
//! module only reads, and says per entry what it could not read and why.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::exchange::{Exchange, RequestLine};

/// Why a HAR document could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HarError {
    /// Not JSON, or JSON without the shape of a HAR log (the serde message has line and column).
    #[error("not a HAR 1.2 document: {0}")]
    Shape(String),
}

/// Something about an entry worth a note, not a finding: the exporter's way of writing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Quirk {
    /// `content.size` is -1 (or absent): the size is unknown; the text is used as it is.
    SizeUnknown,
    /// The body was compressed on the wire (`content.compression`, or a `bodySize` below
    /// `content.size`); the text is the decoded body.
    Compressed,
    /// `headersSize` or `bodySize` is -1: not known to the exporter.
    TransferSizeUnknown,
    /// Fields named `_...` (an exporter's own) were ignored.
    CustomFields,
    /// The response recorded no headers; `Content-Type` was taken from `content.mimeType`.
    MimeTypeOnly,
    /// `content.encoding` names an encoding other than base64; the text is used as it is.
    UnknownEncoding,
}

impl Quirk {
    /// What the quirk means for the verdict, in words.
    pub fn describe(self) -> &'static str {
        match self {
            Quirk::SizeUnknown => {
                "content.size is -1 or absent (size unknown); the text is used as it is"
            }
            Quirk::Compressed => {
                "the body was compressed on the wire (content.compression or bodySize); the exported text is the decoded body"
            }
            Quirk::TransferSizeUnknown => "headersSize or bodySize is -1 (unknown to the exporter)",
            Quirk::CustomFields => {
                "fields whose name starts with _ are the exporter's own and were ignored"
            }
            Quirk::MimeTypeOnly => {
                "the response recorded no headers; Content-Type is taken from content.mimeType"
            }
            Quirk::UnknownEncoding => "content.encoding is not base64; the text is used as it is",
        }
    }
}

/// Why an entry cannot be verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unverifiable {
    /// The response has no `content.text` (the exporter left the body out): a note.
    NoText,
    /// `response.status` is 0: the request was aborted or blocked in the browser: a note.
    Aborted,
    /// The status is not an HTTP status (an input problem).
    BadStatus(i64),
    /// `content.text` is not valid base64 (an input problem).
    BadBase64,
    /// The body is larger than the cap (an input problem).
    OverCap,
}

impl Unverifiable {
    /// Whether the input is broken (an input problem) rather than incomplete (a note).
    pub fn is_problem(&self) -> bool {
        !matches!(self, Unverifiable::NoText | Unverifiable::Aborted)
    }

    /// What is wrong, in words.
    pub fn describe(&self, cap: u64) -> String {
        match self {
            Unverifiable::NoText => {
                "the response has no content.text (the exporter left the body out); not verified"
                    .into()
            }
            Unverifiable::Aborted => {
                "response.status is 0 (the request was aborted or blocked before a response); not verified"
                    .into()
            }
            Unverifiable::BadStatus(status) => {
                format!("response.status {status} is not an HTTP status; not verified")
            }
            Unverifiable::BadBase64 => {
                "content.text is not valid base64 although content.encoding says so; not verified"
                    .into()
            }
            Unverifiable::OverCap => crate::recorded::over_cap("the entry's body", cap),
        }
    }
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HarEntry {
    /// Its 0-based place in `log.entries`.
    pub index: usize,
    /// The request (method and URL, credentials removed) and the response.
    pub exchange: Exchange,
    /// What the exporter did that is worth a note.
    pub quirks: Vec<Quirk>,
    /// Why the entry cannot be verified, if it cannot.
    pub unverifiable: Option<Unverifiable>,
}

/// Reads a HAR document into its entries, in capture order; no body larger than `max_body`
/// is decoded.
pub fn read(bytes: &[u8], max_body: u64) -> Result<Vec<HarEntry>, HarError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let document: Document =
        serde_json::from_slice(bytes).map_err(|e| HarError::Shape(e.to_string()))?;
    Ok(document
        .log
        .entries
        .into_iter()
        .enumerate()
        .map(|(index, entry)| entry.into_har_entry(index, max_body))
        .collect())
}

// ---------------------------------------------------------------------------------------------
// The document, as far as this reader needs it (everything else is skipped unread).

#[derive(Deserialize)]
struct Document {
    log: Log,
}

#[derive(Deserialize)]
struct Log {
    entries: Vec<Entry>,
}

/// An exporter's own fields (`_...`), and the standard ones this reader does not use.
type Others = BTreeMap<String, IgnoredAny>;

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    request: Request,
    response: Response,
    #[serde(flatten)]
    others: Others,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Request {
    #[serde(default)]
    method: String,
    #[serde(default)]
    url: String,
    headers_size: Option<i64>,
    body_size: Option<i64>,
    #[serde(flatten)]
    others: Others,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    #[serde(default)]
    status: i64,
    #[serde(default)]
    headers: Vec<Header>,
    #[serde(default)]
    content: Content,
    headers_size: Option<i64>,
    body_size: Option<i64>,
    #[serde(flatten)]
    others: Others,
}

#[derive(Deserialize)]
struct Header {
    name: String,
    value: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Content {
    size: Option<i64>,
    compression: Option<i64>,
    mime_type: Option<String>,
    text: Option<String>,
    encoding: Option<String>,
    #[serde(flatten)]
    others: Others,
}

fn custom(others: &Others) -> bool {
    others.keys().any(|k| k.starts_with('_'))
}

impl Entry {
    fn into_har_entry(self, index: usize, max_body: u64) -> HarEntry {
        let Entry {
            request,
            response,
            others,
        } = self;
        let mut quirks = Vec::new();
        let mut quirk = |q: Quirk| {
            if !quirks.contains(&q) {
                quirks.push(q);
            }
        };
        if custom(&others)
            || custom(&request.others)
            || custom(&response.others)
            || custom(&response.content.others)
        {
            quirk(Quirk::CustomFields);
        }
        let content = response.content;
        if content.size.is_none_or(|s| s < 0) {
            quirk(Quirk::SizeUnknown);
        }
        let compressed = content.compression.is_some_and(|c| c > 0)
            || matches!((response.body_size, content.size), (Some(b), Some(s)) if b >= 0 && s > b);
        if compressed {
            quirk(Quirk::Compressed);
        }
        if [
            request.headers_size,
            request.body_size,
            response.headers_size,
            response.body_size,
        ]
        .contains(&Some(-1))
        {
            quirk(Quirk::TransferSizeUnknown);
        }
        let mut headers: Vec<(String, String)> = response
            .headers
            .into_iter()
            .map(|h| (h.name, h.value))
            .collect();
        if headers.is_empty()
            && let Some(mime) = content.mime_type.filter(|m| !m.is_empty())
        {
            quirk(Quirk::MimeTypeOnly);
            headers.push(("Content-Type".to_owned(), mime));
        }
        let base64 = match content.encoding.as_deref() {
            None | Some("") => false,
            Some(e) if e.eq_ignore_ascii_case("base64") => true,
            Some(_) => {
                quirk(Quirk::UnknownEncoding);
                false
            }
        };
        let status = u16::try_from(response.status)
            .ok()
            .filter(|s| (100..=999).contains(s));
        let mut unverifiable = match (response.status, status) {
            (0, _) => Some(Unverifiable::Aborted),
            (other, None) => Some(Unverifiable::BadStatus(other)),
            _ => None,
        };
        let body = match (content.text, unverifiable.is_some()) {
            (_, true) => Vec::new(),
            (None, false) if content.size == Some(0) => Vec::new(),
            (None, false) => {
                unverifiable = Some(Unverifiable::NoText);
                Vec::new()
            }
            (Some(text), false) => match decode(text, base64, max_body) {
                Ok(body) => body,
                Err(why) => {
                    unverifiable = Some(why);
                    Vec::new()
                }
            },
        };
        HarEntry {
            index,
            exchange: Exchange {
                request: Some(RequestLine {
                    method: if request.method.is_empty() {
                        "GET".to_owned()
                    } else {
                        request.method
                    },
                    target: without_credentials(&request.url),
                }),
                status: status.unwrap_or(0),
                headers,
                body,
            },
            quirks,
            unverifiable,
        }
    }
}

/// The body bytes of `text`, decoded from base64 when `base64`, at most `cap` of them.
fn decode(text: String, base64: bool, cap: u64) -> Result<Vec<u8>, Unverifiable> {
    if !base64 {
        return if text.len() as u64 > cap {
            Err(Unverifiable::OverCap)
        } else {
            Ok(text.into_bytes())
        };
    }
    // Some exporters wrap base64 in lines; padding is optional in the wild.
    let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if (compact.len() as u64 / 4).saturating_mul(3) > cap {
        return Err(Unverifiable::OverCap);
    }
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let bytes = ENGINE
        .decode(&compact)
        .map_err(|_| Unverifiable::BadBase64)?;
    if bytes.len() as u64 > cap {
        return Err(Unverifiable::OverCap);
    }
    Ok(bytes)
}

/// `url` without the `user:password@` of its authority (never shown, never kept).
fn without_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(entry: &str) -> HarEntry {
        let doc = format!(r#"{{"log":{{"version":"1.2","entries":[{entry}]}}}}"#);
        read(doc.as_bytes(), 1024).unwrap().remove(0)
    }

    #[test]
    fn a_broken_entry_is_a_problem_and_an_incomplete_one_a_note() {
        for broken in [
            Unverifiable::BadStatus(1000),
            Unverifiable::BadBase64,
            Unverifiable::OverCap,
        ] {
            assert!(broken.is_problem(), "{broken:?}");
        }
        for incomplete in [Unverifiable::NoText, Unverifiable::Aborted] {
            assert!(!incomplete.is_problem(), "{incomplete:?}");
        }
    }

    #[test]
    fn base64_over_the_cap_is_refused_before_it_is_decoded() {
        // 400 characters could decode to 300 bytes, over a cap of 200: refused by length alone,
        // so even text that is not base64 is never decoded (nor held decoded) first.
        assert_eq!(
            decode("!".repeat(400), true, 200),
            Err(Unverifiable::OverCap)
        );
        assert_eq!(
            decode("A".repeat(400), true, 200),
            Err(Unverifiable::OverCap)
        );
        assert_eq!(decode("A".repeat(400), true, 300).map(|b| b.len()), Ok(300));
        assert_eq!(
            decode("!".repeat(400), true, 300),
            Err(Unverifiable::BadBase64)
        );
    }

    #[test]
    fn base64_text_is_decoded_with_or_without_padding_and_bounded() {
        let e = one(
            r#"{"request":{"method":"GET","url":"https://u:p@h/x"},"response":{"status":200,"headers":[],"content":{"size":2,"text":"e30","encoding":"base64"}}}"#,
        );
        assert_eq!(e.exchange.body, b"{}");
        assert_eq!(e.exchange.target(), Some("https://h/x"));
        let e = one(
            r#"{"request":{"url":"/x"},"response":{"status":200,"content":{"text":"e3\n0=","encoding":"base64"}}}"#,
        );
        assert_eq!(e.exchange.body, b"{}");
        let e = one(
            r#"{"request":{"url":"/x"},"response":{"status":200,"content":{"text":"!!!","encoding":"base64"}}}"#,
        );
        assert_eq!(e.unverifiable, Some(Unverifiable::BadBase64));
        let big = "A".repeat(2000);
        let e = one(&format!(
            r#"{{"request":{{"url":"/x"}},"response":{{"status":200,"content":{{"text":"{big}","encoding":"base64"}}}}}}"#
        ));
        assert_eq!(e.unverifiable, Some(Unverifiable::OverCap));
    }

    #[test]
    fn missing_text_and_status_zero_are_unverifiable_and_quirks_are_seen() {
        let e = one(
            r#"{"_id":1,"request":{"url":"/x","headersSize":-1,"bodySize":-1},"response":{"status":200,"headers":[],"content":{"size":-1,"mimeType":"application/json"}}}"#,
        );
        assert_eq!(e.unverifiable, Some(Unverifiable::NoText));
        assert_eq!(
            e.quirks,
            [
                Quirk::CustomFields,
                Quirk::SizeUnknown,
                Quirk::TransferSizeUnknown,
                Quirk::MimeTypeOnly
            ]
        );
        let e = one(r#"{"request":{"url":"/x"},"response":{"status":0,"content":{"size":0}}}"#);
        assert_eq!(e.unverifiable, Some(Unverifiable::Aborted));
        let e = one(
            r#"{"request":{"url":"/x"},"response":{"status":200,"bodySize":10,"content":{"size":40,"compression":30,"text":""}}}"#,
        );
        assert_eq!(e.quirks, [Quirk::Compressed]);
        assert_eq!(e.unverifiable, None);
    }

    #[test]
    fn a_plain_text_body_exactly_at_the_cap_is_read_and_one_byte_more_is_not() {
        assert_eq!(
            decode("x".repeat(10), false, 10),
            Ok(b"xxxxxxxxxx".to_vec())
        );
        assert_eq!(
            decode("x".repeat(11), false, 10),
            Err(Unverifiable::OverCap)
        );
        assert_eq!(decode("x".repeat(9), false, 10), Ok(b"xxxxxxxxx".to_vec()));
    }

    #[test]
    fn a_custom_field_at_any_level_of_an_entry_is_seen() {
        // Chrome writes `_resourceType` on the entry, `_transferSize` on the response; other
        // tools put theirs on the request or the content.
        let entry = |entry: &str, request: &str, response: &str, content: &str| {
            one(&format!(
                r#"{{{entry}"request":{{{request}"url":"/x"}},"response":{{{response}"status":200,"bodySize":2,"content":{{{content}"size":2,"text":"{{}}"}}}}}}"#
            ))
            .quirks
        };
        let custom = r#""_x":1,"#;
        assert_eq!(entry("", "", "", ""), []);
        assert_eq!(entry(custom, "", "", ""), [Quirk::CustomFields]);
        assert_eq!(entry("", custom, "", ""), [Quirk::CustomFields]);
        assert_eq!(entry("", "", custom, ""), [Quirk::CustomFields]);
        assert_eq!(entry("", "", "", custom), [Quirk::CustomFields]);
    }

    #[test]
    fn a_document_without_entries_is_a_shape_error() {
        assert!(matches!(
            read(br#"{"log":{}}"#, 10),
            Err(HarError::Shape(_))
        ));
        assert!(matches!(read(b"[1]", 10), Err(HarError::Shape(_))));
    }
}
