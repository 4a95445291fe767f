//! Capturing a live walk as fixtures: each page becomes an `.http` file (request line, status,
//! content type, body) that `verify` reads offline later. Host names are replaced, ids can be
//! redacted consistently, and no request header (so no token) is ever written.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::live::RawPage;

/// The host name recorded files use instead of the real one.
pub const REDACTED_HOST: &str = "vbo.example";

/// Rewrites captured text: the server's host becomes [`REDACTED_HOST`], and with id redaction
/// every uuid becomes a stable stand-in (the same id always maps to the same stand-in).
#[derive(Debug, Default)]
pub struct Redactor {
    hosts: Vec<String>,
    redact_ids: bool,
    ids: HashMap<String, String>,
}

impl Redactor {
    /// A redactor for a server reached at `base_url`.
    pub fn new(base_url: &str, redact_ids: bool) -> Self {
        let host = base_url
            .split("://")
            .nth(1)
            .unwrap_or(base_url)
            .split(['/', '?', '#'])
            .next()
            .unwrap_or_default();
        let bare = host.rsplit_once(':').map_or(host, |(h, _)| h);
        let mut hosts = vec![host.to_owned(), bare.to_owned()];
        hosts.retain(|h| !h.is_empty());
        hosts.dedup();
        Self {
            hosts,
            redact_ids,
            ids: HashMap::new(),
        }
    }

    /// The redacted form of `text`.
    pub fn apply(&mut self, text: &str) -> String {
        let mut out = text.to_owned();
        for host in &self.hosts {
            out = out.replace(host.as_str(), REDACTED_HOST);
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

    fn replace_uuids(&mut self, text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        while i < bytes.len() {
            if i + 36 <= bytes.len()
                && is_uuid(&bytes[i..i + 36])
                && (i == 0 || !bytes[i - 1].is_ascii_hexdigit())
            {
                let id = &text[i..i + 36];
                out.push_str(&self.id(id));
                i += 36;
            } else {
                let ch = text[i..].chars().next().expect("inside the string");
                out.push(ch);
                i += ch.len_utf8();
            }
        }
        out
    }
}

fn is_uuid(b: &[u8]) -> bool {
    b.iter().enumerate().all(|(i, c)| match i {
        8 | 13 | 18 | 23 => *c == b'-',
        _ => c.is_ascii_hexdigit(),
    })
}

/// Writes one captured page as `dir/page-NNNN.http`; returns the file written.
pub fn write_page(
    dir: &Path,
    number: usize,
    raw: &RawPage,
    redactor: &mut Redactor,
) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let target = raw
        .url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or(&raw.url);
    let body = String::from_utf8_lossy(&raw.body);
    let mut text = format!("GET {}\nHTTP/1.1 {}\n", redactor.apply(target), raw.status);
    if let Some(content_type) = &raw.content_type {
        text.push_str(&format!("Content-Type: {content_type}\n"));
    }
    text.push('\n');
    text.push_str(&redactor.apply(&body));
    let path = dir.join(format!("page-{number:04}.http"));
    std::fs::write(&path, text)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn without_id_redaction_ids_stay() {
        let mut r = Redactor::new("http://127.0.0.1:8080", false);
        assert_eq!(
            r.apply("http://127.0.0.1:8080/v5/jobs/196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5"),
            "http://vbo.example/v5/jobs/196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5"
        );
    }
}
