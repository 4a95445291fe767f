//! The operations of the contract document: each one's method, path template, compiled
//! response validators by status, and what its success body is (a page of a collection, a
//! list, one object). Routing a request to its operation happens here, the way servers route:
//! by method and path template, literal segments without regard to ASCII case, path
//! parameters captured, one trailing slash tolerated.

use std::collections::BTreeMap;

use jsonschema::Validator;
use serde_json::Value;

/// The name of a component schema a `$ref` points to (`#/components/schemas/JobSession`).
pub(crate) fn component_name(schema: &Value) -> Option<&str> {
    schema
        .get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")
}

/// What the success (200) body of an operation is, read from its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// A page of a collection: an object with `offset`, `limit` and a `results` array, paged by
    /// the `offset` and `limit` query parameters.
    Page(Paging),
    /// A plain JSON array of items (the whole collection at once).
    List {
        /// The component schema of the items, when they are a `$ref`.
        item: Option<String>,
    },
    /// Anything else (one object, a scalar): judged by its schema alone.
    Single {
        /// The component schema of the body, when it is a `$ref`.
        schema: Option<String>,
    },
}

/// How a paged collection is paged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paging {
    /// The component schema of the items of `results`, when they are a `$ref`.
    pub item: Option<String>,
    /// The component schema of the page itself, when it is a `$ref`.
    pub page: Option<String>,
    /// The largest `limit` the operation's query parameter allows, if it says.
    pub max_limit: Option<u64>,
}

impl Body {
    /// The component schema of the items (a page's `results`, a list's elements), if any.
    pub fn item_schema(&self) -> Option<&str> {
        match self {
            Body::Page(paging) => paging.item.as_deref(),
            Body::List { item } => item.as_deref(),
            Body::Single { .. } => None,
        }
    }

    /// The paging of a paged collection.
    pub fn paging(&self) -> Option<&Paging> {
        match self {
            Body::Page(paging) => Some(paging),
            _ => None,
        }
    }
}

/// One operation of the document, ready to judge its responses.
pub struct Operation {
    pub(crate) id: String,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) parameters: Vec<String>,
    pub(crate) body: Option<Body>,
    pub(crate) schemas: BTreeMap<String, Value>,
    pub(crate) validators: BTreeMap<String, Validator>,
    /// The fast path of the 200 response, compiled on first use (`None` when the schema has
    /// something its plan does not support).
    pub(crate) fast: std::sync::OnceLock<Option<crate::fast::FastPath>>,
}

impl std::fmt::Debug for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operation")
            .field("id", &self.id)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("body", &self.body)
            .field("responses", &self.validators.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Operation {
    /// The `operationId` (or `METHOD path` when the document gives none).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The method, upper case (`GET`).
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The path template (`/v5/Jobs/{jobId}/JobSessions`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// `METHOD path`, the way reports and baselines name the operation.
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The names of the path parameters, in path order.
    pub fn path_parameters(&self) -> &[String] {
        &self.parameters
    }

    /// What the success body is, when the operation has a JSON 200 response.
    pub fn body(&self) -> Option<&Body> {
        self.body.as_ref()
    }

    /// The paging, when the operation returns pages of a collection.
    pub fn paging(&self) -> Option<&Paging> {
        self.body.as_ref().and_then(Body::paging)
    }

    /// The standalone JSON Schema of the body for `status`, as [`Self::validator_for_status`]
    /// picks it.
    pub fn response_schema(&self, status: u16) -> Option<&Value> {
        status_keys(status)
            .iter()
            .find_map(|key| self.schemas.get(key))
    }

    /// The validator of the response body for `status`: the exact code, then `4XX`-style
    /// ranges, then `default`.
    pub fn validator_for_status(&self, status: u16) -> Option<&Validator> {
        status_keys(status)
            .iter()
            .find_map(|key| self.validators.get(key))
    }

    /// The fast path of the 200 response, if its schema compiles into a plan.
    pub(crate) fn fast_path(&self) -> Option<&crate::fast::FastPath> {
        self.fast
            .get_or_init(|| crate::fast::FastPath::of(self))
            .as_ref()
    }

    /// Whether the document declares `status` for this operation.
    pub fn declares_status(&self, status: u16) -> bool {
        self.validator_for_status(status).is_some()
    }

    /// The path parameters `path` gives this operation's template, if it matches it (see the
    /// module's routing rules). `path` has no query.
    pub fn match_path(&self, path: &str) -> Option<BTreeMap<String, String>> {
        let values = match_template(&self.path, path)?;
        Some(self.parameters.iter().cloned().zip(values).collect())
    }

    /// The path for `params` (each value percent-encoded as one segment); `None` when one is
    /// missing, empty, or a dot segment (`.`, `..`), which would move the request elsewhere on
    /// the server however it is encoded (values come from servers' own listings).
    pub fn path_for(&self, params: &BTreeMap<String, String>) -> Option<String> {
        let mut out = String::with_capacity(self.path.len() + 40);
        for segment in self.path.split('/').skip(1) {
            out.push('/');
            match template_parameter(segment) {
                Some(name) => {
                    let value = params
                        .get(name)
                        .filter(|v| !matches!(v.as_str(), "" | "." | ".."))?;
                    out.push_str(&encode_segment(value));
                }
                None => out.push_str(segment),
            }
        }
        Some(out)
    }
}

/// The keys a status is looked up by, most specific first.
fn status_keys(status: u16) -> [String; 3] {
    [
        status.to_string(),
        format!("{}XX", status / 100),
        "default".to_owned(),
    ]
}

/// `name` for a template segment `{name}`.
pub(crate) fn template_parameter(segment: &str) -> Option<&str> {
    segment.strip_prefix('{')?.strip_suffix('}')
}

/// Matches `path` against a path `template` (`/v5/Jobs/{jobId}/JobSessions`): literal segments
/// without regard to ASCII case, `{name}` segments captured (non-empty, percent-decoded). One
/// trailing slash is allowed. The captured values, in order.
pub fn match_template(template: &str, path: &str) -> Option<Vec<String>> {
    let path = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    let mut wanted = template.split('/');
    let mut given = path.split('/');
    let mut params = Vec::new();
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return Some(params),
            (Some(w), Some(g)) if template_parameter(w).is_some() => {
                if g.is_empty() {
                    return None;
                }
                params.push(decode_segment(g));
            }
            (Some(w), Some(g)) if w.eq_ignore_ascii_case(g) => {}
            _ => return None,
        }
    }
}

/// Percent-decodes one path segment; a malformed escape is kept as it is.
pub(crate) fn decode_segment(segment: &str) -> String {
    if !segment.contains('%') {
        return segment.to_owned();
    }
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes one path segment: everything but RFC 3986 unreserved characters.
pub(crate) fn encode_segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The path (no query, no fragment) of a request target: an origin-form target
/// (`/v5/Jobs?x=1`) or an absolute URL (`https://host:4443/v5/Jobs`).
pub fn target_path(target: &str) -> &str {
    let without_scheme = match target.find("://") {
        Some(i) if !target[..i].contains('/') => {
            let rest = &target[i + 3..];
            rest.find('/').map_or("/", |j| &rest[j..])
        }
        _ => target,
    };
    without_scheme.split(['?', '#']).next().unwrap_or_default()
}

/// The query string of a request target (without `?`), empty when there is none.
pub fn target_query(target: &str) -> &str {
    let before_fragment = target.split('#').next().unwrap_or_default();
    before_fragment
        .split_once('?')
        .map_or("", |(_, query)| query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_without_regard_to_case_and_capture_parameters() {
        let t = "/v5/Jobs/{jobId}/JobSessions";
        assert_eq!(
            match_template(t, "/V5/jobs/abc/JOBSESSIONS/"),
            Some(vec!["abc".to_owned()])
        );
        assert_eq!(match_template(t, "/v5/Jobs//JobSessions"), None);
        assert_eq!(match_template(t, "/v5/Jobs/abc"), None);
        assert_eq!(match_template(t, "/v5/Jobs/abc/JobSessions/x"), None);
        assert_eq!(
            match_template(t, "/v5/Jobs/a%20b/JobSessions"),
            Some(vec!["a b".to_owned()])
        );
    }

    #[test]
    fn targets_split_into_path_and_query() {
        assert_eq!(target_path("https://h:4443/v5/Jobs?x=1#f"), "/v5/Jobs");
        assert_eq!(target_path("/v5/Jobs?x=1"), "/v5/Jobs");
        assert_eq!(target_path("https://h:4443"), "/");
        // A URL in the query is not the target's own scheme.
        assert_eq!(target_path("/v5/Jobs?next=https://h/v5/Other"), "/v5/Jobs");
        assert_eq!(
            target_query("/v5/Jobs?offset=1&limit=2#f"),
            "offset=1&limit=2"
        );
        assert_eq!(target_query("/v5/Jobs"), "");
    }

    #[test]
    fn segments_round_trip_through_encoding() {
        for value in ["abc", "a b", "a/b", "ä%"] {
            assert_eq!(decode_segment(&encode_segment(value)), value);
        }
    }
}
