//! Raw HTTP captures on disk: the one reader and the one writer, and [`sniff`], which tells
//! by content what kind of input a file holds.
//!
//! The reader takes what people have, whatever the file is called:
//! - the kit's own `.http` form: an optional request line (`GET /path`, with or without
//!   `HTTP/1.1`, request headers after it are skipped, never kept), the status line
//!   (`HTTP/1.1 200 OK`, `HTTP/2 200`), headers, a blank line, the body;
//! - `curl -i` output, which may hold several responses (`100 Continue`, or every redirect
//!   with `-L`): the last one is the exchange, and a note says so;
//! - `curl -v` output (`> ` request, `< ` response, `* ` and `{ [..]` info lines): the request
//!   line from the `> ` lines, the headers from the `< ` lines, the rest is the body;
//! - CRLF or LF line ends; a body saved chunked (`curl --raw`) is de-chunked.
//!
//! Nothing trusts `Content-Length`: the body is what the file holds after the headers.
//! The writer writes the kit's form, LF line ends, every value on one line.

use crate::exchange::{Exchange, RequestLine};

/// How many bytes [`sniff`] looks at, at most.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// What a file holds, judged by its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One JSON value (a page, or not: the verifier says).
    Json,
    /// A raw HTTP capture: a status or request line first (`.http`, `curl -i`).
    Http,
    /// `curl -v` output: `* `, `> ` and `< ` lines.
    CurlVerbose,
    /// A HAR document: a JSON object whose `log` object holds `entries`.
    Har,
    /// Several JSON values, one per line.
    Ndjson,
    /// None of these (HTML, text, nothing): read as a page, which then fails to parse.
    Unknown,
}

/// What kind of input `bytes` hold, from their first non-blank bytes (after a UTF-8 byte order
/// mark); looks at most at [`SNIFF_BYTES`] of them.
pub fn sniff(bytes: &[u8]) -> Kind {
    let prefix = &bytes[..bytes.len().min(SNIFF_BYTES)];
    let text = skip_blank(strip_bom(prefix));
    let first_line = text.split(|&b| b == b'\n').next().unwrap_or_default();
    let first_line = trim_line_end(first_line);
    match text.first() {
        None => Kind::Unknown,
        Some(b'{' | b'[') => {
            if text[0] == b'{' && is_har_prefix(text) {
                Kind::Har
            } else if is_ndjson_prefix(text) {
                Kind::Ndjson
            } else {
                Kind::Json
            }
        }
        Some(b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n')
            if serde_json::from_slice::<serde::de::IgnoredAny>(first_line).is_ok() =>
        {
            if is_ndjson_prefix(text) {
                Kind::Ndjson
            } else {
                Kind::Json
            }
        }
        _ if is_verbose_line(first_line) || is_progress_header(first_line) => Kind::CurlVerbose,
        _ if status_line(first_line).is_some() || request_line(first_line).is_some() => Kind::Http,
        _ => Kind::Unknown,
    }
}

/// A capture read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// The exchange it holds (the last response, when it holds several).
    pub exchange: Exchange,
    /// The 1-based line the body starts on, so findings in the body point into the file.
    pub body_line: usize,
    /// What the reader did that a reader of the report should know (responses skipped, a
    /// chunked body decoded); not findings.
    pub notes: Vec<String>,
}

/// Why a capture could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ReadError {
    /// The 1-based line the problem is on.
    pub line: usize,
    /// What is wrong, in words (header values are never quoted).
    pub message: String,
}

fn error(line: usize, message: impl Into<String>) -> ReadError {
    ReadError {
        line,
        message: message.into(),
    }
}

/// Reads a raw HTTP capture (any form the module documents).
pub fn read(bytes: &[u8]) -> Result<Capture, ReadError> {
    let bytes = strip_bom(bytes);
    let first = lines(bytes).find(|l| !l.text.iter().all(u8::is_ascii_whitespace));
    match first {
        Some(line) if is_verbose_line(line.text) || is_progress_header(line.text) => {
            read_verbose(bytes)
        }
        _ => read_plain(bytes),
    }
}

/// The capture of `exchange` in the kit's form: request line (when known), status line,
/// headers in order, a blank line, the body as it is. Line breaks in a value become spaces
/// (they would forge lines), so every header stays one header.
pub fn write(exchange: &Exchange) -> Vec<u8> {
    let mut head = String::new();
    if let Some(request) = &exchange.request {
        let method = one_line(&request.method).replace(' ', "");
        let target = one_line(&request.target).replace(' ', "%20");
        // The reader knows a request line by its target: a path, an absolute URL or `*`.
        let target = if target.starts_with('/') || target.contains("://") || target == "*" {
            target
        } else {
            format!("/{target}")
        };
        head.push_str(&format!("{method} {target}\n"));
    }
    head.push_str(&format!("HTTP/1.1 {}\n", exchange.status));
    for (name, value) in &exchange.headers {
        let name: String = one_line(name)
            .chars()
            .map(|c| {
                if c == ':' || c.is_whitespace() {
                    '-'
                } else {
                    c
                }
            })
            .collect();
        head.push_str(&format!("{name}: {}\n", one_line(value)));
    }
    head.push('\n');
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&exchange.body);
    bytes
}

/// A value on one line: a line break in it would forge more lines.
fn one_line(value: &str) -> String {
    value.replace(['\r', '\n'], " ")
}

// ---------------------------------------------------------------------------------------------
// Lines

/// One line of the input: its 1-based number, its text without the line end, and where the
/// next line starts.
#[derive(Debug, Clone, Copy)]
struct Line<'b> {
    number: usize,
    text: &'b [u8],
    start: usize,
    next: usize,
    /// Whether a line end (LF) closed it.
    ended: bool,
}

fn lines(bytes: &[u8]) -> impl Iterator<Item = Line<'_>> {
    let mut offset = 0usize;
    let mut number = 0usize;
    std::iter::from_fn(move || {
        if offset >= bytes.len() {
            return None;
        }
        let rest = &bytes[offset..];
        let (len, ended) = match rest.iter().position(|&b| b == b'\n') {
            Some(end) => (end + 1, true),
            None => (rest.len(), false),
        };
        number += 1;
        let line = Line {
            number,
            text: trim_line_end(&rest[..len]),
            start: offset,
            next: offset + len,
            ended,
        };
        offset += len;
        Some(line)
    })
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    &line[..end]
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes)
}

fn skip_blank(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

/// A line for an error message: a header-shaped line shows only its name (its value may be a
/// token), anything else at most 60 characters.
fn quoted(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    if let Some((name, _)) = text.split_once(':')
        && is_token(name)
    {
        return format!("{:?}", format!("{name}: …"));
    }
    let short: String = text.chars().take(60).collect();
    if short.len() < text.len() {
        format!("{short:?}…")
    } else {
        format!("{short:?}")
    }
}

fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

// ---------------------------------------------------------------------------------------------
// Start lines

/// The status and reason of a status line (`HTTP/1.1 200 OK`, `HTTP/2 200`).
fn status_line(line: &[u8]) -> Option<(u16, &[u8])> {
    let rest = line.strip_prefix(b"HTTP/")?;
    let space = rest.iter().position(|&b| b == b' ')?;
    let version = &rest[..space];
    if version.is_empty() || !version.iter().all(|b| b.is_ascii_digit() || *b == b'.') {
        return None;
    }
    let rest = &rest[space + 1..];
    let code = rest.get(..3)?;
    if !code.iter().all(u8::is_ascii_digit) || rest.get(3).is_some_and(|&b| b != b' ') {
        return None;
    }
    let status = std::str::from_utf8(code).ok()?.parse::<u16>().ok()?;
    if status < 100 {
        return None;
    }
    let reason = rest.get(4..).unwrap_or_default();
    Some((status, reason))
}

/// The method and target of a request line (`GET /path`, `GET /path HTTP/1.1`).
fn request_line(line: &[u8]) -> Option<RequestLine> {
    let text = std::str::from_utf8(line).ok()?;
    let mut parts = text.split(' ');
    let method = parts.next()?;
    let target = parts.next()?;
    let version = parts.next();
    let ok = (1..=20).contains(&method.len())
        && method.bytes().all(|b| b.is_ascii_uppercase() || b == b'-')
        && (target.starts_with('/') || target.contains("://") || target == "*")
        && !target.contains(char::is_whitespace)
        && version.is_none_or(|v| v.starts_with("HTTP/"))
        && parts.next().is_none();
    ok.then(|| RequestLine {
        method: method.to_owned(),
        target: target.to_owned(),
    })
}

/// A `name: value` header line.
fn header_line(line: &[u8]) -> Option<(String, String)> {
    let colon = line.iter().position(|&b| b == b':')?;
    let name = String::from_utf8_lossy(&line[..colon]);
    let name = name.trim();
    if !is_token(name) {
        return None;
    }
    let value = String::from_utf8_lossy(&line[colon + 1..]);
    Some((name.to_owned(), value.trim().to_owned()))
}

// ---------------------------------------------------------------------------------------------
// The kit's form and `curl -i`

/// One response head read from the input.
struct Head {
    status: u16,
    reason: String,
    headers: Vec<(String, String)>,
}

fn read_plain(bytes: &[u8]) -> Result<Capture, ReadError> {
    let mut it = lines(bytes).peekable();
    let mut request = None;
    // Up to the first status line: blank lines, a request line and its headers (skipped).
    let first_status = loop {
        let Some(line) = it.next() else {
            return Err(error(1, "the HTTP capture has no status line"));
        };
        if let Some(status) = status_line(line.text) {
            break (line, status);
        }
        let blank = line.text.iter().all(u8::is_ascii_whitespace);
        if blank || (request.is_some() && header_line(line.text).is_some()) {
            continue;
        }
        if request.is_none()
            && let Some(r) = request_line(line.text)
        {
            request = Some(r);
            continue;
        }
        if std::str::from_utf8(line.text).is_err() {
            return Err(error(
                line.number,
                format!("line {} of the HTTP capture is not UTF-8", line.number),
            ));
        }
        if request.is_some() {
            // Request side: it may hold a credential, so it is not quoted.
            return Err(error(
                line.number,
                format!(
                    "line {} is neither a request header nor an HTTP status line",
                    line.number
                ),
            ));
        }
        return Err(error(
            line.number,
            format!(
                "line {} is not an HTTP status line: {}",
                line.number,
                quoted(line.text)
            ),
        ));
    };
    let mut notes = Vec::new();
    let mut earlier: Vec<u16> = Vec::new();
    let (mut status_at, mut status) = first_status;
    loop {
        let (code, reason) = status;
        let mut head = Head {
            status: code,
            reason: String::from_utf8_lossy(reason).into_owned(),
            headers: Vec::new(),
        };
        let body_start = loop {
            let Some(line) = it.next() else {
                return Err(error(
                    status_at.number,
                    "the HTTP capture has no blank line between headers and body",
                ));
            };
            if line.text.is_empty() {
                if !line.ended {
                    return Err(error(
                        line.number,
                        "the HTTP capture has no blank line between headers and body",
                    ));
                }
                break line;
            }
            if matches!(line.text[0], b' ' | b'\t')
                && let Some((_, value)) = head.headers.last_mut()
            {
                // An obsolete folded header line continues the value before it.
                let more = String::from_utf8_lossy(line.text);
                value.push(' ');
                value.push_str(more.trim());
                continue;
            }
            let Some(header) = header_line(line.text) else {
                return Err(error(
                    line.number,
                    format!(
                        "line {} is not a header: {}",
                        line.number,
                        quoted(line.text)
                    ),
                ));
            };
            head.headers.push(header);
        };
        // `curl -i` prints every response it got: an interim one (1xx), each redirect it
        // followed (`-L`, whose bodies it drops) and a proxy's tunnel answer come first.
        let next = it.peek().and_then(|l| status_line(l.text).map(|s| (*l, s)));
        let interim = (100..200).contains(&head.status)
            || (300..400).contains(&head.status)
            || head.reason.eq_ignore_ascii_case("connection established");
        if let (true, Some((line, next_status))) = (interim, next) {
            it.next();
            if (300..400).contains(&head.status)
                && let Some(location) = header_value(&head.headers, "location")
            {
                // The next response answers the request for the redirect's target.
                request = Some(RequestLine {
                    method: request.map_or_else(|| "GET".to_owned(), |r| r.method),
                    target: location.to_owned(),
                });
            }
            earlier.push(head.status);
            status_at = line;
            status = next_status;
            continue;
        }
        if !earlier.is_empty() {
            let list: Vec<String> = earlier.iter().take(10).map(u16::to_string).collect();
            notes.push(format!(
                "the capture holds {} responses; the last ({}) is verified, the ones before it ({}{}) are not",
                earlier.len() + 1,
                head.status,
                list.join(", "),
                if earlier.len() > 10 { ", ..." } else { "" }
            ));
        }
        let mut body = bytes[body_start.next..].to_vec();
        dechunk_if_chunked(&head.headers, &mut body, &mut notes);
        return Ok(Capture {
            exchange: Exchange {
                request,
                status: head.status,
                headers: head.headers,
                body,
            },
            body_line: body_start.number + 1,
            notes,
        });
    }
}

fn header_value<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

// ---------------------------------------------------------------------------------------------
// `curl -v`

/// Whether a line is one curl writes in verbose mode (`* `, `> `, `< `, or the bare marker).
fn is_verbose_line(line: &[u8]) -> bool {
    matches!(line, [b'*' | b'>' | b'<'] | [b'*' | b'>' | b'<', b' ', ..])
}

/// Whether a line is curl's data marker (`{ [1234 bytes data]`, `} [5 bytes data]`).
fn is_data_marker(line: &[u8]) -> bool {
    matches!(line, [b'{' | b'}', b' ', b'[', ..]) && line.ends_with(b"]")
}

/// The progress meter's header, which curl prints when its output is not a terminal.
fn is_progress_header(line: &[u8]) -> bool {
    let text = skip_blank(line);
    text.starts_with(b"% Total")
        || text.starts_with(b"Dload")
        || line.ends_with(b"Dload  Upload   Total   Spent    Left  Speed")
}

fn is_progress_byte(b: u8) -> bool {
    b.is_ascii_digit()
        || matches!(
            b,
            b' ' | b'-' | b':' | b'.' | b'k' | b'M' | b'G' | b'T' | b'\r'
        )
}

/// A line without the progress meter rows curl glued in front of it (they end in `\r`, and
/// the last one runs into the next verbose line).
fn without_progress(line: &[u8]) -> &[u8] {
    let mut line = line;
    if let Some(cr) = line.iter().rposition(|&b| b == b'\r')
        && line[..cr].iter().all(|&b| is_progress_byte(b))
    {
        line = &line[cr + 1..];
    }
    let run = line.iter().take_while(|&&b| is_progress_byte(b)).count();
    if run >= 20 && line[..run].contains(&b':') {
        if run == line.len() {
            // A progress row on its own line.
            return b"*";
        }
        if is_verbose_line(&line[run..]) {
            line = &line[run..];
        }
    }
    line
}

/// Where curl's own messages, written right after a body that did not end in a line break,
/// start on the body's last line.
fn glued_message(line: &[u8]) -> Option<usize> {
    [&b"* Connection #"[..], b"* Closing connection"]
        .iter()
        .filter_map(|needle| line.windows(needle.len()).position(|w| w == *needle))
        .min()
}

fn read_verbose(bytes: &[u8]) -> Result<Capture, ReadError> {
    let mut request = None;
    let mut responses = 0usize;
    let mut head: Option<Head> = None;
    let mut in_head = false;
    let mut body = Vec::new();
    let mut body_line = None;
    let mut notes = Vec::new();
    let mut last_line = 0;
    for line in lines(bytes) {
        last_line = line.number;
        let text = without_progress(line.text);
        if is_progress_header(text) || is_data_marker(text) || text.starts_with(b"*") {
            continue;
        }
        if let Some(rest) = text.strip_prefix(b">") {
            let rest = rest.strip_prefix(b" ").unwrap_or(rest);
            // Request headers (a token among them) are never kept: only the request line.
            if let Some(r) = request_line(rest) {
                request = Some(r);
            }
            continue;
        }
        if let Some(rest) = text.strip_prefix(b"<") {
            let rest = rest.strip_prefix(b" ").unwrap_or(rest);
            let rest = trim_line_end(rest);
            if let Some((status, reason)) = status_line(rest) {
                responses += 1;
                head = Some(Head {
                    status,
                    reason: String::from_utf8_lossy(reason).into_owned(),
                    headers: Vec::new(),
                });
                in_head = true;
                body.clear();
                body_line = None;
            } else if rest.iter().all(u8::is_ascii_whitespace) {
                in_head = false;
            } else if let (true, Some(h)) = (in_head, head.as_mut()) {
                match header_line(rest) {
                    Some(header) => h.headers.push(header),
                    None => {
                        return Err(error(
                            line.number,
                            format!("line {} is not a header: {}", line.number, quoted(rest)),
                        ));
                    }
                }
            }
            continue;
        }
        // Everything else is the body (stdout), as it is.
        if head.is_none() {
            continue;
        }
        body_line.get_or_insert(line.number);
        match glued_message(line.text).filter(|&at| at > 0) {
            Some(at) => body.extend_from_slice(&line.text[..at]),
            None => body.extend_from_slice(&bytes[line.start..line.next]),
        }
    }
    let Some(head) = head else {
        return Err(error(
            1,
            "the curl -v output has no response status line (`< HTTP/...`)",
        ));
    };
    if responses > 1 {
        notes.push(format!(
            "the curl -v output holds {responses} responses; the last ({}) is verified",
            head.status
        ));
    }
    let _ = head.reason;
    dechunk_if_chunked(&head.headers, &mut body, &mut notes);
    Ok(Capture {
        exchange: Exchange {
            request,
            status: head.status,
            headers: head.headers,
            body,
        },
        body_line: body_line.unwrap_or(last_line + 1),
        notes,
    })
}

// ---------------------------------------------------------------------------------------------
// Chunked bodies

/// Decodes a body saved with its chunked framing (`curl --raw`); a body that is not framed
/// (curl had decoded it) is kept as it is.
fn dechunk_if_chunked(headers: &[(String, String)], body: &mut Vec<u8>, notes: &mut Vec<String>) {
    let chunked = header_value(headers, "transfer-encoding").is_some_and(|v| {
        v.split(',')
            .any(|c| c.trim().eq_ignore_ascii_case("chunked"))
    });
    if !chunked {
        return;
    }
    if let Some(decoded) = dechunk(body) {
        *body = decoded;
        notes.push("the body was saved with its chunked framing; it was de-chunked".into());
    }
}

/// The data of a chunked body, or `None` when `body` is not one. Never allocates more than
/// `body` holds.
pub fn dechunk(body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len());
    let mut at = 0usize;
    loop {
        let line_end = body[at..].iter().position(|&b| b == b'\n')? + at;
        let line = trim_line_end(&body[at..=line_end]);
        let size_text = line.split(|&b| b == b';').next()?;
        let size_text = std::str::from_utf8(size_text).ok()?.trim();
        if size_text.is_empty() || !size_text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let size = usize::from_str_radix(size_text, 16).ok()?;
        at = line_end + 1;
        if size == 0 {
            // Trailers up to a blank line (or the end of the file).
            for trailer in lines(&body[at..]) {
                if trailer.text.is_empty() {
                    return Some(out);
                }
                header_line(trailer.text)?;
            }
            return Some(out);
        }
        let end = at.checked_add(size)?;
        out.extend_from_slice(body.get(at..end)?);
        at = end;
        at += match body.get(at..) {
            Some([b'\r', b'\n', ..]) => 2,
            Some([b'\n', ..]) => 1,
            _ => return None,
        };
    }
}

// ---------------------------------------------------------------------------------------------
// Sniffing JSON

/// Whether `text` (starting with `{`) opens a HAR document: a top-level `log` object with an
/// `entries` member, or a `log` object still open where the prefix ends.
fn is_har_prefix(text: &[u8]) -> bool {
    let mut depth = 0usize;
    let mut i = 0usize;
    // The depth of the `log` object once it is open.
    let mut in_log = false;
    let mut expect_log_value = false;
    while i < text.len() {
        match text[i] {
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < text.len() && text[j] != b'"' {
                    j += if text[j] == b'\\' { 2 } else { 1 };
                }
                if j >= text.len() {
                    return in_log;
                }
                let key = &text[start..j];
                let after = skip_blank(&text[j + 1..]);
                if after.first() == Some(&b':') {
                    if depth == 1 && key == b"log" {
                        expect_log_value = true;
                    } else if depth == 1 && !key.starts_with(b"_") {
                        // HAR's root holds `log` and nothing else but custom `_` fields: any
                        // other member (a page's `offset`) settles it without reading on.
                        return false;
                    } else if depth == 2 && in_log && key == b"entries" {
                        return true;
                    }
                } else if depth == 1 {
                    // A string value, not the `log` object.
                    expect_log_value = false;
                }
                i = j + 1;
                continue;
            }
            b'{' | b'[' => {
                depth += 1;
                if expect_log_value && depth == 2 && text[i] == b'{' {
                    in_log = true;
                }
                expect_log_value = false;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if in_log && depth < 2 {
                    return false;
                }
                if depth == 0 {
                    return false;
                }
            }
            b':' | b',' => {}
            b if b.is_ascii_whitespace() => {}
            _ => {
                if depth == 1 {
                    expect_log_value = false;
                }
            }
        }
        i += 1;
    }
    in_log
}

/// Whether `text` holds one JSON value on its first line and another value after it.
fn is_ndjson_prefix(text: &[u8]) -> bool {
    let mut records = text
        .split(|&b| b == b'\n')
        .map(trim_line_end)
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace));
    // Two records need a line break inside the prefix: a page on one line (a compact file)
    // is not parsed to find that out.
    if !text.contains(&b'\n') {
        return false;
    }
    let Some(first) = records.next() else {
        return false;
    };
    if serde_json::from_slice::<serde::de::IgnoredAny>(first).is_err() {
        return false;
    }
    records
        .next()
        .is_some_and(|second| matches!(skip_blank(second).first(), Some(b'{' | b'[')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_code_is_exactly_three_digits_and_a_method_is_upper_case() {
        assert_eq!(status_line(b"HTTP/1.1 200 OK"), Some((200, &b"OK"[..])));
        assert_eq!(status_line(b"HTTP/2 204"), Some((204, &b""[..])));
        assert_eq!(status_line(b"HTTP/1.1 2000 OK"), None);
        assert_eq!(status_line(b"HTTP/1.1 2x0 OK"), None);
        assert!(request_line(b"GET /v5/Jobs HTTP/1.1").is_some());
        assert!(request_line(b"M-SEARCH * HTTP/1.1").is_some());
        assert!(request_line(b"get /v5/Jobs HTTP/1.1").is_none());
        assert!(request_line(b"G_T /v5/Jobs").is_none());
    }

    #[test]
    fn a_request_line_keeps_its_target_and_gains_a_slash_only_when_it_has_none() {
        let line = |target: &str| {
            let exchange = Exchange::get(target, 200, Vec::new(), Vec::new());
            let written = write(&exchange);
            let text = String::from_utf8_lossy(&written).into_owned();
            text.lines().next().unwrap_or_default().to_owned()
        };
        assert_eq!(line("/v5/Jobs?limit=1"), "GET /v5/Jobs?limit=1");
        assert_eq!(
            line("https://vbo01:4443/v5/Jobs"),
            "GET https://vbo01:4443/v5/Jobs"
        );
        assert_eq!(line("*"), "GET *");
        assert_eq!(line("v5/Jobs"), "GET /v5/Jobs");
    }

    #[test]
    fn a_har_root_is_known_by_its_log_member_and_a_page_by_any_other() {
        assert_eq!(
            sniff(br#"{"log": {"version": "1.2", "entries": []}}"#),
            Kind::Har
        );
        assert_eq!(
            sniff(br#"{"_exporter": "x", "log": {"entries": []}}"#),
            Kind::Har
        );
        let page = br#"{"offset": 0, "limit": 1, "results": [{"log": {"entries": []}}]}"#;
        assert_eq!(sniff(page), Kind::Json);
        assert_eq!(sniff(b"{\"offset\": 0}\n{\"offset\": 1}\n"), Kind::Ndjson);
        assert_eq!(sniff(b"{\"offset\": 0, \"results\": []}"), Kind::Json);
    }

    #[test]
    fn a_capture_splits_into_request_status_headers_and_body() {
        let text = b"GET /v5/Jobs/j/JobSessions?limit=5\r\nHTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n\r\n<html>";
        let capture = read(text).unwrap();
        let e = &capture.exchange;
        assert_eq!(e.status, 404);
        assert_eq!(e.content_type(), Some("text/html"));
        assert_eq!(e.body, b"<html>");
        let contract = crate::Contract::embedded().unwrap();
        assert_eq!(e.request_in(&contract).limit, Some(5));
        assert_eq!(capture.body_line, 5);
    }

    #[test]
    fn chunked_bodies_are_decoded_and_plain_ones_kept() {
        assert_eq!(
            dechunk(b"4\r\nWiki\r\n5;x=1\r\npedia\r\n0\r\n\r\n").unwrap(),
            b"Wikipedia"
        );
        assert_eq!(dechunk(b"3\nabc\n0\n").unwrap(), b"abc");
        assert_eq!(dechunk(b"{\"offset\":0}"), None);
        assert_eq!(dechunk(b"ffffffffffffffffff\r\nab"), None);
        assert_eq!(dechunk(b"5\r\nab"), None);
        // A size is hex digits only: Rust's own parser would take a sign.
        assert_eq!(dechunk(b"+5\r\nhello\r\n0\r\n\r\n"), None);
    }

    #[test]
    fn error_messages_never_quote_a_header_value() {
        let e = read(b"GET /x\nAuthorization Bearer sekrit\nHTTP/1.1 200\n\n").unwrap_err();
        assert_eq!(
            e.message,
            "line 2 is neither a request header nor an HTTP status line"
        );
        let e = read(b"HTTP/1.1 200 OK\nX-Token: sekrit\nnot a header sekrit\n\n").unwrap_err();
        assert_eq!(e.line, 3);
        let e = read(b"HTTP/1.1 200 OK\n\x01Token: sekrit\n\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(quoted(b"Authorization: Bearer sekrit").contains("Authorization: …"));
        assert!(!quoted(b"Authorization: Bearer sekrit").contains("sekrit"));
    }

    #[test]
    fn a_curl_v_output_of_several_responses_says_so_and_a_single_one_does_not() {
        let one = b"> GET /v5/Jobs HTTP/1.1\n>\n< HTTP/1.1 200 OK\n< Content-Type: application/json\n<\n[]\n";
        assert_eq!(read_verbose(one).unwrap().notes, Vec::<String>::new());
        let two = b"> GET /v5/Jobs HTTP/1.1\n>\n< HTTP/1.1 302 Found\n< Location: /v5/Jobs\n<\n* Issue another request\n> GET /v5/Jobs HTTP/1.1\n>\n< HTTP/1.1 200 OK\n< Content-Type: application/json\n<\n[]\n";
        let capture = read_verbose(two).unwrap();
        assert_eq!(capture.exchange.status, 200);
        assert_eq!(
            capture.notes,
            ["the curl -v output holds 2 responses; the last (200) is verified"]
        );
    }

    #[test]
    fn a_curl_v_body_starts_on_its_first_line_and_an_empty_one_after_the_last() {
        let with_body = b"> GET /v5/Jobs HTTP/1.1\n>\n< HTTP/1.1 200 OK\n<\n[]\n";
        assert_eq!(read_verbose(with_body).unwrap().body_line, 5);
        let empty =
            b"> GET /v5/Jobs HTTP/1.1\n>\n< HTTP/1.1 204 No Content\n<\n* Connection left intact\n";
        let capture = read_verbose(empty).unwrap();
        assert_eq!(capture.exchange.body, b"");
        assert_eq!(capture.body_line, 6);
    }

    #[test]
    fn a_quoted_line_is_cut_after_sixty_characters_and_only_then_marked() {
        let sixty = "x".repeat(60);
        assert_eq!(quoted(sixty.as_bytes()), format!("{sixty:?}"));
        assert_eq!(
            quoted(format!("{sixty}y").as_bytes()),
            format!("{sixty:?}…")
        );
        assert_eq!(quoted(b"not a header"), "\"not a header\"");
    }

    #[test]
    fn the_har_prefix_needs_a_log_object_with_entries() {
        assert!(is_har_prefix(
            br#"{"log": {"version": "1.2", "entries": []}}"#
        ));
        assert!(is_har_prefix(br#"{"log": {"version": "1.2", "pages": [{"#));
        assert!(!is_har_prefix(
            br#"{"log": {"version": "1.2"}, "entries": []}"#
        ));
        assert!(!is_har_prefix(br#"{"offset": 0, "log": "entries"}"#));
        assert!(!is_har_prefix(br#"{"x": {"log": {"entries": []}}}"#));
        assert!(!is_har_prefix(br#"{"log": "x", "y": {"entries": []}}"#));
        // A `log` that is a number or null is not HAR's, whatever a custom field holds.
        assert!(!is_har_prefix(br#"{"log": 1, "_x": {"entries": []}}"#));
        assert!(!is_har_prefix(br#"{"log": null, "_x": {"entries": []}}"#));
        assert!(!is_har_prefix(
            br#"{"offset": 0, "results": [{"log": {"entries": 1}}]}"#
        ));
    }
}
