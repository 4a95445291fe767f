//! Raw responses: status, headers and body bytes exactly as the server sent them.
//!
//! Requests are still built and sent by the generated client (so paths, query encoding and
//! headers are never restated by hand); its `exec` hook hands a copy of each response to the
//! [`capture`] scope around the call, and the client judges that copy itself. This is how a
//! page whose `status` the strict types reject is still readable, and how a verifier sees the
//! wire form.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use url::Url;

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

    /// Reads the body as a page of sessions, leniently (see [`crate::wire`]); an error status
    /// becomes [`Error::Status`] with the server's `message`.
    pub fn parse(&self) -> Result<wire::JobSessionPage, Error> {
        if self.status != StatusCode::OK {
            return Err(self.status_error());
        }
        serde_json::from_slice(&self.body).map_err(|e| Error::Payload {
            url: self.request_url.to_string(),
            reason: e.to_string(),
            body: self.body.clone(),
        })
    }

    /// The error an unsuccessful status stands for, with the server's `message` if it sent one.
    pub(crate) fn status_error(&self) -> Error {
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
    static CAPTURE: Arc<Mutex<Option<RawPage>>>;
}

/// Runs `call` (one generated-client call) and returns its output with the raw response it
/// received, if any response came back.
pub(crate) async fn capture<F: Future>(call: F) -> (F::Output, Option<RawPage>) {
    let slot = Arc::new(Mutex::new(None));
    let output = CAPTURE.scope(Arc::clone(&slot), call).await;
    let raw = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
    (output, raw)
}

/// Sends `request`; inside a [`capture`] scope, reads the whole body, keeps a copy, and hands
/// the generated code an identical response rebuilt from it.
pub(crate) async fn exec(
    client: &reqwest::Client,
    request: reqwest::Request,
) -> reqwest::Result<reqwest::Response> {
    let Ok(slot) = CAPTURE.try_with(Arc::clone) else {
        return client.execute(request).await;
    };
    let request_url = request.url().clone();
    let response = client.execute(request).await?;
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    let body = response.bytes().await?;
    *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(RawPage {
        status,
        headers: headers.clone(),
        body: body.clone(),
        request_url,
    });
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    Ok(reqwest::Response::from(rebuilt))
}
