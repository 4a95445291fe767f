//! Capturing a live walk as fixtures: each page becomes an `.http` file (request line, status,
//! content type, location, body; written by [`crate::http_file::write`]) that `verify` reads
//! offline later. Every host name is
//! replaced, ids can be redacted consistently, bodies are kept byte for byte (an `encoding`
//! error live stays one offline), and no request header (so no token) is ever written.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::exchange::{Exchange, RequestLine};
use crate::http_file;

/// The host name recorded files use instead of the real one.
pub const REDACTED_HOST: &str = "vbo.example";

/// Rewrites captured bytes: the authority (user, host, port) of every absolute URL becomes
/// [`REDACTED_HOST`], and so does every host name seen so far (the one the user typed and
/// every one an URL named) wherever it stands on its own; with id redaction every uuid becomes a
/// stable stand-in (the same id always maps to the same stand-in). Only ASCII is rewritten:
/// other bytes, valid UTF-8 or not, are kept as they are.
#[derive(Debug, Default)]
pub struct Redactor {
    /// Host names to replace where they stand alone, longest first.
    hosts: Vec<String>,
    redact_ids: bool,
    ids: HashMap<String, String>,
}

impl Redactor {
    /// A redactor for a server reached at `base_url`.
    pub fn new(base_url: &str, redact_ids: bool) -> Self {
        let mut redactor = Self {
            redact_ids,
            ..Self::default()
        };
        let authority = base_url
            .split_once("://")
            .map_or(base_url, |(_, rest)| rest)
            .split(['/', '?', '#'])
            .next()
            .unwrap_or_default();
        redactor.learn_host(authority);
        redactor
    }

    /// Remembers the host of `authority` (`user@host:port`) to replace wherever it appears.
    fn learn_host(&mut self, authority: &str) {
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host = if host.starts_with('[') {
            // An IPv6 literal keeps its colons: `[::1]:4443`.
            host.split_once(']').map_or(host, |(h, _)| &h[1..])
        } else {
            host.rsplit_once(':').map_or(host, |(h, _)| h)
        };
        if host.is_empty()
            || host.eq_ignore_ascii_case(REDACTED_HOST)
            || self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
        {
            return;
        }
        self.hosts.push(host.to_owned());
        self.hosts.sort_by_key(|h| std::cmp::Reverse(h.len()));
    }

    /// Learns the host of every absolute URL in `bytes`.
    pub fn learn(&mut self, bytes: &[u8]) {
        for (start, end) in authorities(bytes) {
            if let Ok(authority) = std::str::from_utf8(&bytes[start..end]) {
                self.learn_host(authority);
            }
        }
    }

    /// The redacted form of `text`.
    pub fn apply(&mut self, text: &str) -> String {
        let bytes = self.apply_bytes(text.as_bytes());
        // Only ASCII runs were replaced by ASCII, so UTF-8 stays UTF-8.
        String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// The redacted form of `bytes` (learning the hosts of its URLs first).
    pub fn apply_bytes(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.learn(bytes);
        let mut out = replace_authorities(bytes);
        for host in &self.hosts {
            out = replace_host(&out, host.as_bytes());
        }
        if self.redact_ids {
            out = self.replace_uuids(&out);
        }
        out
    }

    /// The stand-in for one id (stable within this redactor).
    pub fn id(&mut self, id: &str) -> String {
        if !self.redact_ids {
            return id.to_owned();
        }
        let next = self.ids.len() + 1;
        self.ids
            .entry(id.to_ascii_lowercase())
            .or_insert_with(|| format!("00000000-0000-4000-8000-{next:012x}"))
            .clone()
    }

    fn replace_uuids(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if i + 36 <= bytes.len()
                && is_uuid(&bytes[i..i + 36])
                && (i == 0 || !bytes[i - 1].is_ascii_hexdigit())
                && bytes.get(i + 36).is_none_or(|b| !b.is_ascii_hexdigit())
            {
                let id = std::str::from_utf8(&bytes[i..i + 36]).expect("a uuid is ASCII");
                out.extend_from_slice(self.id(id).as_bytes());
                i += 36;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        out
    }
}

/// Where the authorities of absolute URLs (`scheme://authority`, also JSON's `scheme:\/\/`)
/// start and end in `bytes`.
fn authorities(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let skip = if bytes[i..].starts_with(b"://") {
            3
        } else if bytes[i..].starts_with(b":\\/\\/") {
            5
        } else {
            i += 1;
            continue;
        };
        // A scheme ends right before the colon: at least one letter.
        if i == 0 || !bytes[i - 1].is_ascii_alphanumeric() {
            i += skip;
            continue;
        }
        let start = i + skip;
        let end = bytes[start..]
            .iter()
            .position(|&b| {
                !(b.is_ascii_alphanumeric()
                    || matches!(
                        b,
                        b'.' | b'-'
                            | b'_'
                            | b':'
                            | b'@'
                            | b'['
                            | b']'
                            | b'%'
                            | b'~'
                            | b'!'
                            | b'$'
                            | b'&'
                            | b'+'
                            | b'='
                            | b'*'
                            | b','
                            | b';'
                    ))
            })
            .map_or(bytes.len(), |n| start + n);
        if end > start {
            found.push((start, end));
        }
        i = end.max(start);
    }
    found
}

fn replace_authorities(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    for (start, end) in authorities(bytes) {
        out.extend_from_slice(&bytes[at..start]);
        out.extend_from_slice(REDACTED_HOST.as_bytes());
        at = end;
    }
    out.extend_from_slice(&bytes[at..]);
    out
}

/// Replaces `host` (ASCII case ignored) where it stands on its own: not inside a longer name.
fn replace_host(bytes: &[u8], host: &[u8]) -> Vec<u8> {
    let part = |b: u8| b.is_ascii_alphanumeric() || b == b'-';
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let end = i + host.len();
        let here = end <= bytes.len()
            && bytes[i..end].eq_ignore_ascii_case(host)
            && (i == 0 || !(part(bytes[i - 1]) || bytes[i - 1] == b'.'))
            && match bytes.get(end) {
                None => true,
                // `vbo01.corp.local` is not `vbo01`, but `vbo01.` ends a sentence.
                Some(b'.') => bytes.get(end + 1).is_none_or(|&b| !part(b)),
                Some(&b) => !part(b),
            };
        if here {
            out.extend_from_slice(REDACTED_HOST.as_bytes());
            i = end;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

fn is_uuid(b: &[u8]) -> bool {
    b.iter().enumerate().all(|(i, c)| match i {
        8 | 13 | 18 | 23 => *c == b'-',
        _ => c.is_ascii_hexdigit(),
    })
}

/// The response headers a capture keeps: what the verifier judges. The others (cookies,
/// server details) are left out, so nothing secret or identifying is written.
const KEPT_HEADERS: [&str; 2] = ["Content-Type", "Location"];

/// Writes one captured page as `dir/page-NNNN.http`; returns the file written.
pub fn write_page(
    dir: &Path,
    number: usize,
    raw: &Exchange,
    redactor: &mut Redactor,
) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let url = raw.target().unwrap_or_default();
    // Hosts named anywhere in the response are replaced everywhere in it, headers included.
    redactor.learn(url.as_bytes());
    if let Some(location) = raw.location() {
        redactor.learn(location.as_bytes());
    }
    redactor.learn(&raw.body);
    let target = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or(url);
    // In the order written: ids are numbered as they first appear.
    let target = redactor.apply(target);
    let headers = KEPT_HEADERS
        .iter()
        .filter_map(|name| Some((name.to_string(), redactor.apply(raw.header(name)?))))
        .collect();
    let page = Exchange {
        request: Some(RequestLine {
            method: "GET".to_owned(),
            target,
        }),
        status: raw.status,
        headers,
        body: redactor.apply_bytes(&raw.body),
    };
    let path = dir.join(format!("page-{number:04}.http"));
    std::fs::write(&path, http_file::write(&page))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uuid_is_replaced_at_the_very_start_but_not_inside_a_longer_run_of_hex_digits() {
        let mut r = Redactor::new("https://vbo01:4443", true);
        assert_eq!(
            r.apply("196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5 x"),
            "00000000-0000-4000-8000-000000000001 x"
        );
        let longer =
            "a196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5 and 196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5f";
        assert_eq!(r.apply(longer), longer);
    }

    #[test]
    fn a_separator_with_no_scheme_before_it_starts_no_authority() {
        assert_eq!(authorities(b"://vbo01:4443/v5"), []);
        assert_eq!(authorities(b"see ://vbo01:4443/v5 and -://vbo02"), []);
        assert_eq!(authorities(br#""href": ":\/\/vbo01""#), []);
        // With a scheme, the authority runs from after the separator to the path.
        let text = b"at https://vbo01:4443/v5";
        let found = authorities(text);
        assert_eq!(found.len(), 1);
        let (start, end) = found[0];
        assert_eq!(&text[start..end], b"vbo01:4443");
    }

    #[test]
    fn host_and_ids_are_replaced_consistently() {
        let mut r = Redactor::new("https://vbo01.corp.local:4443/v5", true);
        let a =
            r.apply("https://vbo01.corp.local:4443/v5/jobs/196E4DF2-0FAF-4B8E-BA17-CE8C0EB4EDC5 x");
        let b = r.apply("/v5/jobsessions/196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5");
        assert_eq!(
            a,
            "https://vbo.example/v5/jobs/00000000-0000-4000-8000-000000000001 x"
        );
        assert_eq!(b, "/v5/jobsessions/00000000-0000-4000-8000-000000000001");
    }

    #[test]
    fn every_url_host_is_replaced_and_remembered_and_other_bytes_are_kept() {
        let mut r = Redactor::new("https://127.0.0.1:4443", false);
        let body = b"{\"a\":\"https:\\/\\/user:pw@vbo01.corp.local:4443\\/v5\",\"b\":\"vbo01.corp.local is \xff busy\",\"c\":\"xvbo01.corp.local\"}";
        let out = r.apply_bytes(body);
        assert_eq!(
            out,
            b"{\"a\":\"https:\\/\\/vbo.example\\/v5\",\"b\":\"vbo.example is \xff busy\",\"c\":\"xvbo01.corp.local\"}"
        );
        // Learned once, replaced later where it stands alone.
        assert_eq!(r.apply("ask vbo01.corp.local."), "ask vbo.example.");
        assert_eq!(
            r.apply("127.0.0.1 and 1127.0.0.19"),
            "vbo.example and 1127.0.0.19"
        );
    }

    #[test]
    fn a_url_without_a_host_teaches_no_host_to_replace() {
        let mut r = Redactor::new("https://:4443/v5", false);
        r.learn(b"see https://@:4443/v5 here");
        assert_eq!(r.hosts, Vec::<String>::new());
        assert_eq!(
            r.apply("see https://@:4443/v5 here"),
            "see https://vbo.example/v5 here"
        );
        // Had the empty host been learned, it would match between any two words.
        assert_eq!(r.apply(" plain, text. "), " plain, text. ");
    }

    #[test]
    fn a_host_is_learned_once_whatever_its_case_or_how_often_it_appears() {
        let mut r = Redactor::new("https://vbo01.corp.local:4443/v5", false);
        for _ in 0..3 {
            r.learn(b"https://VBO01.corp.local:4443/v5/x https://vbo01.CORP.local/y");
        }
        r.learn(b"https://vbo.example/v5");
        // Every page of a walk names the host again: the list must not grow with them.
        assert_eq!(r.hosts, ["vbo01.corp.local"]);
    }

    #[test]
    fn without_id_redaction_ids_stay() {
        let mut r = Redactor::new("http://127.0.0.1:8080", false);
        assert_eq!(
            r.apply("http://127.0.0.1:8080/v5/jobs/196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5"),
            "http://vbo.example/v5/jobs/196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5"
        );
    }
}
