//! Raw responses: status, headers and body bytes exactly as the server sent them.
//!
//! Requests are still built and sent by the generated client (so paths, query encoding and
//! headers are never restated by hand); its `exec` hook hands a copy of each response to the
//! [`capture`] scope around the call, and the client judges that copy itself. This is how a
//! page whose `status` the strict types reject is still readable, and how a verifier sees the
//! wire form. Every body, in a scope or not, is read against a cap (see [`crate::body`]).

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, LOCATION};
use url::Url;

use crate::body;
use crate::error::Error;
use crate::wire;

/// One response as received: what a contract verifier judges.
#[derive(Debug, Clone)]
pub struct RawPage {
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers, `Content-Type` included.
    pub headers: HeaderMap,
    /// The body bytes, unparsed.
    pub body: Bytes,
    /// The URL the request went to, query included.
    pub request_url: Url,
}

impl RawPage {
    /// The `Content-Type` header, when present and readable.
    pub fn content_type(&self) -> Option<&str> {
        self.headers.get(CONTENT_TYPE)?.to_str().ok()
    }

    /// The `Location` header (of a redirect), when present and readable.
    pub fn location(&self) -> Option<&str> {
        self.headers.get(LOCATION)?.to_str().ok()
    }

    /// Reads the body as a page of sessions, leniently (see [`crate::wire`]); a redirect
    /// becomes [`Error::Redirect`], another error status [`Error::Status`] with the server's
    /// `message`.
    pub fn parse(&self) -> Result<wire::JobSessionPage, Error> {
        self.parse_as()
    }

    /// Reads a 200 body as `T` (the strict `types` or the lenient `wire` form of any
    /// operation's response); other statuses become errors as in [`Self::parse`].
    pub fn parse_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        if self.status != StatusCode::OK {
            return Err(self.status_error());
        }
        serde_json::from_slice(&self.body).map_err(|e| Error::Payload {
            url: self.request_url.to_string(),
            reason: e.to_string(),
            body: self.body.clone(),
        })
    }

    /// The error an unsuccessful status stands for: [`Error::Redirect`] for a 3xx (the client
    /// follows none), else [`Error::Status`] with the server's `message` if it sent one.
    pub(crate) fn status_error(&self) -> Error {
        if self.status.is_redirection() {
            return Error::Redirect {
                status: self.status.as_u16(),
                location: self.location().map(str::to_owned),
                url: self.request_url.to_string(),
            };
        }
        let message = serde_json::from_slice::<crate::types::Error>(&self.body)
            .ok()
            .map(|e| e.message);
        Error::Status {
            status: self.status.as_u16(),
            message,
            url: self.request_url.to_string(),
        }
    }
}

tokio::task_local! {
    /// Where the `exec` hook leaves a copy of the response, inside a [`capture`] scope.
    static CAPTURE: Arc<Scope>;
}

/// One [`capture`] scope: the body cap for its request and what the request got.
struct Scope {
    cap: u64,
    slot: Mutex<Option<Result<RawPage, Error>>>,
}

/// Runs `call` (one generated-client call), reading any body against `cap` bytes, and returns
/// its output with the response it received: `None` when no response came back, an
/// [`Error::BodyTooLarge`] when the body went over the cap.
pub(crate) async fn capture<F: Future>(
    cap: u64,
    call: F,
) -> (F::Output, Option<Result<RawPage, Error>>) {
    let scope = Arc::new(Scope {
        cap,
        slot: Mutex::new(None),
    });
    let output = CAPTURE.scope(Arc::clone(&scope), call).await;
    let raw = scope
        .slot
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    (output, raw)
}

/// Sends `request` and reads the whole body against a cap (the [`capture`] scope's, or the
/// operation's default outside one), then hands the generated code an identical response
/// rebuilt from it; inside a scope, keeps a copy. A body over the cap is dropped unread (which
/// closes the connection) and the generated code gets a body that fails to read.
pub(crate) async fn exec(
    client: &reqwest::Client,
    request: reqwest::Request,
    info: &progenitor_client::OperationInfo,
) -> reqwest::Result<reqwest::Response> {
    let scope = CAPTURE.try_with(Arc::clone).ok();
    let cap = scope
        .as_ref()
        .map_or_else(|| body::default_cap(info.operation_id), |scope| scope.cap);
    let request_url = request.url().clone();
    let response = client.execute(request).await?;
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    let read = body::read_capped(response, cap).await?;
    let store = |outcome: Result<RawPage, Error>| {
        if let Some(scope) = &scope {
            *scope.slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(outcome);
        }
    };
    let body = match read {
        Ok(body) => {
            store(Ok(RawPage {
                status,
                headers: headers.clone(),
                body: body.clone(),
                request_url,
            }));
            reqwest::Body::from(body)
        }
        Err(body::OverCap) => {
            let message = format!("the response body exceeds the cap of {cap} bytes");
            log::warn!("{request_url}: {message}; the connection was dropped");
            store(Err(Error::BodyTooLarge {
                url: request_url.to_string(),
                limit: cap,
            }));
            let failing = futures::stream::once(async move {
                Err::<Bytes, std::io::Error>(std::io::Error::other(message))
            });
            reqwest::Body::wrap_stream(failing)
        }
    };
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    Ok(reqwest::Response::from(rebuilt))
}
