//! The one error type of the client: what went wrong, and what to do about it.

use bytes::Bytes;

/// Everything that can go wrong when building the client or talking to the server.
///
/// Messages never carry a password, an access token or a refresh token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The base URL cannot address a Veeam Backup for Microsoft 365 REST service.
    #[error(
        "invalid base URL {url:?}: {reason}; give the server's address, e.g. https://vbo01 or https://vbo01:4443/v5"
    )]
    InvalidBaseUrl {
        /// The URL as given (with any user info removed).
        url: String,
        /// Why it was refused.
        reason: String,
    },

    /// A setting or argument the client cannot use (a bad certificate, page size, token ...).
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// A path given to [`crate::Client::get_raw`] could leave the server (an absolute URL,
    /// `//host`, a backslash, a control character, a dot segment ...); nothing was sent.
    #[error(
        "refusing the request path {path:?}: {reason}; give a path on the server as the contract document writes it, e.g. /v5/Jobs"
    )]
    RefusedPath {
        /// The path as given (shortened when long).
        path: String,
        /// Why it was refused.
        reason: String,
    },

    /// No HTTP response came back: DNS, connection, TLS handshake or certificate failure.
    /// For a TLS failure the message says which fix applies (`--ca-cert`, `--pin-sha256` or a
    /// proper certificate).
    #[error("could not reach {url}: {cause}; {}", transport_hint(.source))]
    Transport {
        /// The URL the request was for.
        url: String,
        /// The chain of causes in words, innermost last (e.g. `invalid peer certificate: UnknownIssuer`).
        cause: String,
        /// The underlying failure, TLS errors included.
        #[source]
        source: reqwest::Error,
    },

    /// The server did not answer within the configured connect or request timeout.
    #[error("{url} did not answer in time; raise the timeout or check the server's load")]
    Timeout {
        /// The URL the request was for.
        url: String,
    },

    /// The server refused to sign in or to refresh the token (`POST /v5/Token`).
    #[error("sign-in refused: {error}{}; check the user name and password (or the token)", .description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Authentication {
        /// The OAuth error code, such as `invalid_grant`, or the HTTP status when there was none.
        error: String,
        /// The server's explanation, when it gave one.
        description: Option<String>,
    },

    /// The server answered with an error status (after any retries and re-sign-in).
    #[error("{url} answered {status}{}: {}", .message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default(), status_hint(*.status))]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The server's `message`, when the body carried one.
        message: Option<String>,
        /// The URL the request was for.
        url: String,
    },

    /// The server answered with a redirect. The client follows none, so the password and the
    /// tokens never travel to another origin or over a downgrade to plain http.
    #[error(
        "{url} answered {status} (a redirect) to {}; the client follows no redirect, so nothing was sent there: give the server's final address as the base URL",
        .location.as_deref().map_or_else(|| "no Location".to_owned(), |l| format!("{l:?}"))
    )]
    Redirect {
        /// The HTTP status (301, 302, 303, 307, 308 ...).
        status: u16,
        /// The `Location` header, when the server sent a readable one.
        location: Option<String>,
        /// The URL the request was for.
        url: String,
    },

    /// A response body grew past the cap; the connection was dropped.
    #[error(
        "{url} sent a body larger than the cap of {limit} bytes; the connection was dropped (raise the cap with max_body_bytes if the server is trusted and its pages are that large)"
    )]
    BodyTooLarge {
        /// The URL the request was for.
        url: String,
        /// The cap, in bytes.
        limit: u64,
    },

    /// The client would send the password over plain http to a host that is not loopback.
    #[error(
        "refusing to send the password over plain http to {url}: anyone on the path could read it; use https, or opt in with allow_password_over_http(true)"
    )]
    PasswordOverHttp {
        /// The server's base URL.
        url: String,
    },

    /// The server answered 200 with a body that does not match the contract.
    #[error(
        "{url} sent a body that does not match the contract: {reason}; the raw body is kept in this error for diagnosis"
    )]
    Payload {
        /// The URL the request was for.
        url: String,
        /// What did not match.
        reason: String,
        /// The body as received (empty for token responses, which hold secrets).
        body: Bytes,
    },

    /// Paging fault: the server sent a page for another offset than the one asked for.
    #[error(
        "paging fault: asked for offset {requested}, the server sent the page at offset {returned} (again); it does not honour `offset`, so the walk stops instead of looping"
    )]
    RepeatedOffset {
        /// The offset the client asked for.
        requested: i64,
        /// The offset of the page the server actually sent.
        returned: i64,
    },

    /// Paging fault: a page holds more sessions than the limit asked for.
    #[error(
        "paging fault: the page at offset {offset} holds {count} sessions, more than the limit {limit}; the server does not honour `limit`"
    )]
    OverLimit {
        /// Offset of the page.
        offset: i64,
        /// The limit asked for.
        limit: u32,
        /// Number of sessions on the page.
        count: usize,
    },

    /// Paging fault: an empty page still links to a `next` page, which could never end.
    #[error(
        "paging fault: the page at offset {offset} is empty yet links to a next page; stopping instead of looping forever"
    )]
    EndlessNext {
        /// Offset of the empty page.
        offset: i64,
    },

    /// Paging fault: every session of a page was already listed earlier in this walk, so the
    /// server is serving pages in a loop (A, B, A, B ...).
    #[error(
        "paging fault: the page at offset {offset} holds only sessions already listed in this walk ({count} of them); the server serves pages in a loop, so the walk stops"
    )]
    PageLoop {
        /// Offset of the page.
        offset: i64,
        /// Number of sessions on the page.
        count: usize,
    },

    /// Paging fault: a session listed earlier in the walk (or earlier on the same page) came
    /// again, and not as the run a new session pushes from one page onto the next.
    #[error(
        "paging fault: session {id} on the page at offset {offset} was already listed in this walk, and not because the collection shifted; the server's paging is inconsistent"
    )]
    DuplicateSession {
        /// The repeated session id.
        id: uuid::Uuid,
        /// Offset of the page it came again on.
        offset: i64,
    },

    /// The walk listed more sessions than the bound set with
    /// [`crate::ClientBuilder::max_sessions_per_walk`].
    #[error(
        "the walk passed the bound of {limit} sessions; raise it with max_sessions_per_walk if the job really has more"
    )]
    WalkLimit {
        /// The bound, in sessions.
        limit: u64,
    },
}

/// What a caller can do when no response came back: the TLS fix when TLS failed.
fn transport_hint(source: &reqwest::Error) -> &'static str {
    crate::tls::advice(source).unwrap_or(
        "check the address, the network, and for https the server's certificate (see add_root_certificate)",
    )
}

/// What a caller can do about an error status.
fn status_hint(status: u16) -> &'static str {
    match status {
        401 => "the credentials or token were refused even after signing in again",
        403 => "the account lacks the rights for this request",
        404 => "no such resource; check the job id or the path",
        429 => "the server kept asking to slow down; retry later or allow more attempts",
        500..=599 => "the server failed; retry later or check its logs",
        _ => "the request was refused",
    }
}

impl Error {
    /// The raw body of a [`Error::Payload`] error, for diagnosis.
    pub fn body(&self) -> Option<&Bytes> {
        match self {
            Self::Payload { body, .. } => Some(body),
            _ => None,
        }
    }

    /// The HTTP status of an [`Error::Status`] error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Classifies a reqwest failure as a timeout or a transport error, naming the request's
    /// URL (or `fallback_url` when reqwest does not know it).
    pub(crate) fn from_reqwest(fallback_url: &str, source: reqwest::Error) -> Self {
        let url = source.url().map_or(fallback_url, url::Url::as_str);
        if source.is_timeout() {
            Self::Timeout {
                url: url.to_owned(),
            }
        } else {
            Self::Transport {
                url: url.to_owned(),
                cause: causes(&source),
                source,
            }
        }
    }
}

/// The messages of `error` and its causes, joined; looks inside `io::Error`s, whose `source`
/// skips the error they wrap.
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut push = |text: String| {
        if parts.last() != Some(&text) {
            parts.push(text);
        }
    };
    let mut current = Some(error);
    while let Some(e) = current {
        push(e.to_string());
        current = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_status_says_what_a_caller_can_do_about_it() {
        for (status, hint) in [
            (401, "refused even after signing in again"),
            (403, "lacks the rights"),
            (404, "check the job id or the path"),
            (429, "slow down"),
            (500, "the server failed"),
            (599, "the server failed"),
            (418, "the request was refused"),
        ] {
            let error = Error::Status {
                status,
                message: Some("busy".into()),
                url: "https://vbo01:4443/v5/Jobs".into(),
            };
            assert_eq!(
                error.to_string(),
                format!(
                    "https://vbo01:4443/v5/Jobs answered {status} (busy): {}",
                    status_hint(status)
                ),
            );
            assert!(status_hint(status).contains(hint), "{status}");
        }
    }
}
