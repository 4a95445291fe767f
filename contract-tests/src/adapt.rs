//! From the response types of HTTP stacks to what the verifier reads: anything with a status, a
//! `Content-Type`, a `Location` and body bytes. `http::Response<B>` (axum, hyper, tower, and what
//! most Rust servers build) is read in place; a `reqwest::Response` (feature `reqwest`) is read
//! into an [`OwnedResponse`] first, against a cap.
//!
//! ```
//! use vbo_contract::{Contract, Verifier, adapt::AsResponse};
//!
//! let contract = Contract::embedded()?;
//! let response = http::Response::builder()
//!     .status(200)
//!     .header("content-type", "application/json")
//!     .body(r#"{"offset": 0, "limit": 30, "results": []}"#)?;
//! let request = contract.request("GET", "/v5/Jobs/8b5d7c7e-0000-4000-8000-000000000001/JobSessions?offset=0&limit=30");
//! let verdict = Verifier::new(&contract).verify(&response.as_response(), &request);
//! assert!(!verdict.has_errors(), "{verdict}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::verify::{ContentType, Response};

/// Stands in for a header value that is not UTF-8 (the verifier then reports the content type
/// as wrong, which it is).
pub const NOT_UTF8: &str = "(a value that is not UTF-8)";

/// Anything the verifier can read as one response.
pub trait AsResponse {
    /// The response's status, `Content-Type`, `Location` and body, borrowed.
    fn as_response(&self) -> Response<'_>;
}

impl AsResponse for Response<'_> {
    fn as_response(&self) -> Response<'_> {
        *self
    }
}

impl<T: AsResponse + ?Sized> AsResponse for &T {
    fn as_response(&self) -> Response<'_> {
        (**self).as_response()
    }
}

/// One header of `headers` as text: `None` when absent, [`NOT_UTF8`] when it is not UTF-8.
fn header(headers: &http::HeaderMap, name: http::header::HeaderName) -> Option<&str> {
    headers
        .get(name)
        .map(|value| std::str::from_utf8(value.as_bytes()).unwrap_or(NOT_UTF8))
}

/// An `http::Response` whose body is bytes (`Vec<u8>`, `String`, `Bytes`, `&str`, ...), read
/// in place: a server team's handler output, converted with no copy.
impl<B: AsRef<[u8]>> AsResponse for http::Response<B> {
    fn as_response(&self) -> Response<'_> {
        let headers = self.headers();
        Response {
            status: self.status().as_u16(),
            content_type: match header(headers, http::header::CONTENT_TYPE) {
                Some(value) => ContentType::Value(value),
                None => ContentType::Missing,
            },
            body: self.body().as_ref(),
            location: header(headers, http::header::LOCATION),
        }
    }
}

/// A response held by value: what an async body is read into before it is verified.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnedResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type` header; `None` when the response had none.
    pub content_type: Option<String>,
    /// The `Location` header, when the response had one.
    pub location: Option<String>,
    /// The body bytes, as received.
    pub body: Vec<u8>,
}

impl OwnedResponse {
    /// A copy of `response` (its status, `Content-Type`, `Location` and body).
    pub fn from_http<B: AsRef<[u8]>>(response: &http::Response<B>) -> Self {
        let borrowed = response.as_response();
        Self {
            status: borrowed.status,
            content_type: match borrowed.content_type {
                ContentType::Value(value) => Some(value.to_owned()),
                ContentType::Missing | ContentType::NotRecorded => None,
            },
            location: borrowed.location.map(str::to_owned),
            body: borrowed.body.to_vec(),
        }
    }

    /// Reads a `reqwest::Response` (status, headers, then the body chunk by chunk), refusing a
    /// body larger than `max_body` bytes without reading past the cap (a `Content-Length` above
    /// it is refused before any byte is read).
    ///
    /// ```no_run
    /// # async fn example(contract: &vbo_contract::Contract) -> Result<(), Box<dyn std::error::Error>> {
    /// use vbo_contract::{OwnedResponse, verify::DEFAULT_MAX_BODY};
    /// let target = "/v5/Jobs/8b5d7c7e-0000-4000-8000-000000000001/JobSessions?offset=0&limit=30";
    /// let response = reqwest::get(format!("http://127.0.0.1:4443{target}")).await?;
    /// let response = OwnedResponse::from_reqwest(response, DEFAULT_MAX_BODY).await?;
    /// vbo_contract::assert_conforms(contract, "GET", target, &response);
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "reqwest")]
    pub async fn from_reqwest(
        mut response: reqwest::Response,
        max_body: u64,
    ) -> Result<Self, ReadError> {
        if let Some(length) = response.content_length()
            && length > max_body
        {
            return Err(ReadError::TooLarge { cap: max_body });
        }
        let headers = response.headers();
        let status = response.status().as_u16();
        let content_type = header(headers, http::header::CONTENT_TYPE).map(str::to_owned);
        let location = header(headers, http::header::LOCATION).map(str::to_owned);
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| ReadError::Body(e.to_string()))?
        {
            if body.len() as u64 + chunk.len() as u64 > max_body {
                return Err(ReadError::TooLarge { cap: max_body });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Self {
            status,
            content_type,
            location,
            body,
        })
    }
}

impl<B: AsRef<[u8]>> From<&http::Response<B>> for OwnedResponse {
    fn from(response: &http::Response<B>) -> Self {
        Self::from_http(response)
    }
}

impl AsResponse for OwnedResponse {
    fn as_response(&self) -> Response<'_> {
        Response {
            status: self.status,
            content_type: match &self.content_type {
                Some(value) => ContentType::Value(value),
                None => ContentType::Missing,
            },
            body: &self.body,
            location: self.location.as_deref(),
        }
    }
}

/// Why a response body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The body is larger than the cap.
    #[error("the response body is larger than {cap} bytes")]
    TooLarge {
        /// The cap, in bytes.
        cap: u64,
    },
    /// The connection failed while the body was read.
    #[error("cannot read the response body: {0}")]
    Body(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_http_response_is_read_in_place() {
        let response = http::Response::builder()
            .status(302)
            .header("Content-Type", "application/json; charset=utf-8")
            .header("Location", "https://elsewhere/")
            .body(b"{}".to_vec())
            .unwrap();
        let read = response.as_response();
        assert_eq!(read.status, 302);
        assert_eq!(
            read.content_type,
            ContentType::Value("application/json; charset=utf-8")
        );
        assert_eq!(read.location, Some("https://elsewhere/"));
        assert_eq!(read.body, b"{}");
        let owned = OwnedResponse::from(&response);
        assert_eq!(owned.as_response().content_type, read.content_type);
        assert_eq!(owned.as_response().location, read.location);
        assert_eq!(owned.body, b"{}");
    }

    #[test]
    fn a_missing_or_undecodable_header_is_said_so() {
        let mut response = http::Response::new("");
        assert_eq!(response.as_response().content_type, ContentType::Missing);
        assert_eq!(response.as_response().location, None);
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_bytes(b"application/json\xff").unwrap(),
        );
        assert_eq!(
            response.as_response().content_type,
            ContentType::Value(NOT_UTF8)
        );
        assert_eq!(
            OwnedResponse::from(&response).content_type.as_deref(),
            Some(NOT_UTF8)
        );
    }

    /// Reads `reqwest`'s responses from a loopback server that writes exactly the bytes given.
    #[cfg(feature = "reqwest")]
    mod from_reqwest {
        use std::time::Duration;

        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        use tokio::net::TcpListener;

        use super::super::*;

        /// Reads `bytes` from a one-connection server that writes `bytes` after the request head
        /// and then holds the connection open (`hold`) or closes it, capped at `cap`. A read that
        /// waits for more than the server sends fails after 5 s instead of hanging.
        async fn read(
            bytes: &'static [u8],
            hold: bool,
            cap: u64,
        ) -> Result<OwnedResponse, ReadError> {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}/v5/x", listener.local_addr().unwrap());
            let server = tokio::spawn(async move {
                let (mut stream, _) = listener.accept().await.unwrap();
                let (mut head, mut buf) = (Vec::new(), [0u8; 1024]);
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16_384 {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                stream.write_all(bytes).await.unwrap();
                if hold {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                }
            });
            let response = reqwest::get(url).await.unwrap();
            let read = OwnedResponse::from_reqwest(response, cap);
            let read = tokio::time::timeout(Duration::from_secs(5), read)
                .await
                .expect("the read returns instead of waiting for bytes that never come");
            server.abort();
            read
        }

        const CHUNKED: &[u8] = b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n\
            Location: /v5/Jobs/x\r\nTransfer-Encoding: chunked\r\n\r\n\
            4\r\n{\"a\"\r\n6\r\n: [1, \r\n3\r\n2]}\r\n0\r\n\r\n";

        #[tokio::test]
        async fn a_response_is_read_whole_with_its_status_and_headers() {
            let read = read(CHUNKED, false, 1024).await.unwrap();
            assert_eq!(read.status, 201);
            assert_eq!(read.content_type.as_deref(), Some("application/json"));
            assert_eq!(read.location.as_deref(), Some("/v5/Jobs/x"));
            assert_eq!(read.body, br#"{"a": [1, 2]}"#);
        }

        #[tokio::test]
        async fn a_body_exactly_at_the_cap_is_read_and_one_byte_more_refused() {
            assert_eq!(read(CHUNKED, false, 13).await.unwrap().body.len(), 13);
            let sized = b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n{\"a\": [1, 2]}";
            assert_eq!(read(sized, false, 13).await.unwrap().body.len(), 13);
            let refused = read(CHUNKED, false, 12).await;
            assert_eq!(refused, Err(ReadError::TooLarge { cap: 12 }));
        }

        #[tokio::test]
        async fn a_content_length_over_the_cap_is_refused_before_any_byte_of_the_body() {
            // No body follows the head: reading it would wait.
            let head = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
            assert_eq!(
                read(head, true, 999).await,
                Err(ReadError::TooLarge { cap: 999 })
            );
        }

        #[tokio::test]
        async fn a_chunked_body_is_refused_at_the_chunk_that_crosses_the_cap() {
            // The body never ends: refusing at the cap is what ends the read.
            let endless = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n";
            assert_eq!(
                read(endless, true, 7).await,
                Err(ReadError::TooLarge { cap: 7 })
            );
        }

        #[tokio::test]
        async fn a_body_cut_short_is_a_read_error() {
            let cut = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"offset\"";
            let error = read(cut, false, 1024).await.unwrap_err();
            assert!(matches!(error, ReadError::Body(_)), "{error:?}");
        }
    }
}
