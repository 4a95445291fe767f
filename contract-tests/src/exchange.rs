//! One HTTP exchange as the kit holds it, whatever it came from: a live fetch, an `.http` or
//! curl capture ([`crate::http_file`]), a HAR entry ([`crate::har`]). It owns its bytes; the
//! verifier judges the borrowed view [`Exchange::response`] of it.
//!
//! No request header is ever kept (so no token or cookie): only the method and the target.

use crate::contract::Contract;
use crate::rules::Request;
use crate::verify::{ContentType, Response};

/// The request an exchange answered: its method and target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLine {
    /// The method, as written (`GET`).
    pub method: String,
    /// The target: origin form (`/v5/Jobs/{id}/JobSessions?offset=0&limit=30`) or an absolute
    /// URL (no credentials in it).
    pub target: String,
}

/// One response, with the request it answered when the input recorded it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exchange {
    /// The request, when known.
    pub request: Option<RequestLine>,
    /// The HTTP status.
    pub status: u16,
    /// The response headers in the order received, names as written.
    pub headers: Vec<(String, String)>,
    /// The body bytes, as received (de-chunked, never decompressed).
    pub body: Vec<u8>,
}

impl Exchange {
    /// The response to `GET url` with these headers and body.
    pub fn get(
        url: impl Into<String>,
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Self {
        Self {
            request: Some(RequestLine {
                method: "GET".to_owned(),
                target: url.into(),
            }),
            status,
            headers,
            body,
        }
    }

    /// The first header named `name` (ASCII case ignored).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `Content-Type` header, if any.
    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }

    /// The `Location` header (a redirect's target), if any.
    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }

    /// The request target (path and query, or an absolute URL), when the request is known.
    pub fn target(&self) -> Option<&str> {
        self.request.as_ref().map(|r| r.target.as_str())
    }

    /// The view the verifier judges: the headers were recorded, so a missing `Content-Type`
    /// is [`ContentType::Missing`].
    pub fn response(&self) -> Response<'_> {
        Response {
            status: self.status,
            content_type: self
                .content_type()
                .map_or(ContentType::Missing, ContentType::Value),
            body: &self.body,
            location: self.location(),
        }
    }

    /// What the request asked for (operation, path parameters, offset, limit), routed by
    /// `contract`; a response with no request is judged as the default operation.
    pub fn request_in(&self, contract: &Contract) -> Request {
        match &self.request {
            Some(line) => contract.request(&line.method, &line.target),
            None => Request::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_routed_by_the_contract() {
        let contract = Contract::embedded().unwrap();
        let exchange = Exchange::get(
            "https://h:4443/v5/jobs/abc/jobsessions?limit=7#x",
            200,
            Vec::new(),
            Vec::new(),
        );
        let r = exchange.request_in(&contract);
        assert_eq!(r.job_id(), Some("abc"));
        assert_eq!((r.offset, r.limit), (None, Some(7)));
        assert_eq!(r.operation.as_deref(), Some("get_job_sessions"));
    }

    #[test]
    fn headers_are_found_ignoring_case_and_a_missing_content_type_is_missing() {
        let mut e = Exchange::get(
            "/x",
            307,
            vec![
                ("LOCATION".into(), "/y".into()),
                ("location".into(), "/z".into()),
            ],
            Vec::new(),
        );
        assert_eq!(e.location(), Some("/y"));
        assert_eq!(e.response().content_type, ContentType::Missing);
        e.headers.push(("content-type".into(), "text/html".into()));
        assert_eq!(e.response().content_type, ContentType::Value("text/html"));
        assert_eq!(e.response().location, Some("/y"));
    }
}
