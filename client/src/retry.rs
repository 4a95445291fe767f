//! When and how long to wait before trying a request again, and the one retry loop every
//! request (`POST /v5/Token` and each GET) goes through.

use std::future::Future;
use std::time::{Duration, SystemTime};

use rand::Rng;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::error::Error;
use crate::transient::{TransientEvent, TransientKind, TransientRecorder};

/// Bounded exponential backoff with jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Delay before the first retry; doubles at each further one.
    pub base_delay: Duration,
    /// Upper bound of any delay, `Retry-After` included.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The delay before retry number `retry` (1 for the first), honouring the server's
    /// `Retry-After` when it sent one; never more than `max_delay`.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_delay);
        }
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        let ceiling = self.base_delay.saturating_mul(factor).min(self.max_delay);
        // Jitter in [ceiling/2, ceiling] keeps clients that failed together from retrying
        // together, while keeping the delay bounded from below.
        let half = ceiling / 2;
        let spread = u64::try_from((ceiling - half).as_micros()).unwrap_or(u64::MAX);
        half + Duration::from_micros(rand::rng().random_range(0..=spread))
    }
}

/// What one attempt of a request came to, as [`run`] needs to know it.
pub(crate) enum Attempt<T> {
    /// Finished: hand this back as is.
    Done(Result<T, Error>),
    /// A transient fault: try again after the policy's delay (or the server's `Retry-After`,
    /// capped), or hand back `last` when no attempt is left.
    Retry {
        /// The fault, for the transient log.
        event: TransientEvent,
        /// What the server's `Retry-After` asked for.
        wait: Option<Duration>,
        /// The outcome to hand back when the attempts are spent.
        last: Result<T, Error>,
    },
    /// The caller signed in again: try again at once without spending an attempt. The caller
    /// bounds how often it answers this (once per request).
    Renewed(TransientEvent),
}

/// The one retry loop: runs `attempt` until it is done, retrying transient faults within
/// `policy` and recording each absorbed fault in `log`.
pub(crate) async fn run<T, F, Fut>(
    policy: &RetryPolicy,
    log: &TransientRecorder,
    mut attempt: F,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Attempt<T>>,
{
    let mut number = 1;
    loop {
        match attempt().await {
            Attempt::Done(outcome) => return outcome,
            Attempt::Renewed(event) => {
                log::info!(
                    "{}: {}; signed in again, sending it again",
                    event.url,
                    event.detail
                );
                log.record(event);
            }
            Attempt::Retry { event, wait, last } => {
                if number >= policy.max_attempts {
                    return last;
                }
                let delay = policy.delay(number, wait);
                log::debug!(
                    "{} ({}): {}; attempt {number}, retrying in {delay:?}",
                    event.url,
                    event.kind,
                    event.detail
                );
                log.record(event);
                tokio::time::sleep(delay).await;
                number += 1;
            }
        }
    }
}

/// Which operation a response answered, for [`transient_status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    /// `POST /v5/Token`.
    SignIn,
    /// A GET: a page, the jobs list, or [`crate::Client::get_raw`].
    Page,
}

/// The kind of transient fault a response with `status` is, if it is worth sending again:
/// 429 (throttling, kept apart for the token endpoint) and 502, 503, 504.
pub(crate) fn transient_status(status: StatusCode, operation: Operation) -> Option<TransientKind> {
    match (status.as_u16(), operation) {
        (429, Operation::SignIn) => Some(TransientKind::SignInThrottled),
        (429, Operation::Page) => Some(TransientKind::RateLimited),
        (502..=504, _) => Some(TransientKind::ServerError),
        _ => None,
    }
}

/// Sends one generated-client call inside a capture scope and hands back the raw response;
/// when none came back, the attempt's outcome: a body over the cap, or [`no_response`].
pub(crate) async fn send<T, O, E>(
    cap: u64,
    call: impl Future<Output = Result<O, progenitor_client::Error<E>>>,
    fallback_url: &str,
    unsent: &str,
) -> Result<crate::raw::RawPage, Attempt<T>> {
    let (result, captured) = crate::raw::capture(cap, call).await;
    match captured {
        Some(Ok(raw)) => Ok(raw),
        Some(Err(too_large)) => Err(Attempt::Done(Err(too_large))),
        None => Err(no_response(result.err(), fallback_url, unsent)),
    }
}

/// The attempt outcome when no response came back: a refused or dropped connection is worth
/// another attempt (a [`TransientKind::Connection`] fault), a TLS failure or a timeout is not.
/// `error` is what the generated call returned; `unsent` is the message when it never sent.
pub(crate) fn no_response<T, E>(
    error: Option<progenitor_client::Error<E>>,
    fallback_url: &str,
    unsent: &str,
) -> Attempt<T> {
    let error = match error {
        Some(
            progenitor_client::Error::CommunicationError(e)
            | progenitor_client::Error::ResponseBodyError(e),
        ) => e,
        _ => return Attempt::Done(Err(Error::InvalidInput(unsent.to_owned()))),
    };
    let retryable = is_retryable_failure(&error);
    let last = Error::from_reqwest(fallback_url, error);
    match &last {
        Error::Transport { url, cause, .. } if retryable => Attempt::Retry {
            event: TransientEvent {
                kind: TransientKind::Connection,
                url: url.clone(),
                detail: cause.clone(),
            },
            wait: None,
            last: Err(last),
        },
        _ => Attempt::Done(Err(last)),
    }
}

/// The transient-log detail of a response: its status and any `Retry-After`.
pub(crate) fn status_detail(status: StatusCode, headers: &HeaderMap) -> String {
    let mut detail = format!("HTTP {status}");
    if let Some(wait) = retry_after(headers) {
        detail.push_str(&format!(", Retry-After {} s", wait.as_secs()));
    }
    detail
}

/// Whether a failure to get any response is worth trying again: a refused or dropped
/// connection is, a TLS failure (an untrusted or invalid certificate) is not.
pub(crate) fn is_retryable_failure(error: &reqwest::Error) -> bool {
    error.is_connect() && !is_tls_failure(error)
}

/// Whether rustls is somewhere in the chain of causes of `error`.
pub(crate) fn is_tls_failure(error: &reqwest::Error) -> bool {
    crate::tls::rustls_cause(error).is_some()
}

/// The wait a `Retry-After` header asks for: seconds, or an HTTP date (a past date is zero).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        map
    }

    #[test]
    fn reads_retry_after_in_seconds() {
        assert_eq!(retry_after(&headers("7")), Some(Duration::from_secs(7)));
    }

    #[test]
    fn reads_retry_after_as_an_http_date() {
        let later = SystemTime::now() + Duration::from_secs(120);
        let wait = retry_after(&headers(&httpdate::fmt_http_date(later))).unwrap();
        assert!(wait > Duration::from_secs(100) && wait <= Duration::from_secs(120));
        let past = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(60));
        assert_eq!(retry_after(&headers(&past)), Some(Duration::ZERO));
    }

    #[test]
    fn classifies_throttling_apart_for_the_token_endpoint() {
        let kind = |status: u16, operation| {
            transient_status(StatusCode::from_u16(status).unwrap(), operation)
        };
        assert_eq!(
            kind(429, Operation::SignIn),
            Some(TransientKind::SignInThrottled)
        );
        assert_eq!(kind(429, Operation::Page), Some(TransientKind::RateLimited));
        for status in [502, 503, 504] {
            for operation in [Operation::SignIn, Operation::Page] {
                assert_eq!(kind(status, operation), Some(TransientKind::ServerError));
            }
        }
        for status in [200, 301, 400, 401, 404, 500, 501, 505] {
            assert_eq!(kind(status, Operation::SignIn), None, "{status}");
            assert_eq!(kind(status, Operation::Page), None, "{status}");
        }
        assert_eq!(
            status_detail(StatusCode::TOO_MANY_REQUESTS, &headers("2")),
            "HTTP 429 Too Many Requests, Retry-After 2 s"
        );
        assert_eq!(
            status_detail(StatusCode::BAD_GATEWAY, &HeaderMap::new()),
            "HTTP 502 Bad Gateway"
        );
    }

    #[test]
    fn ignores_an_unreadable_retry_after() {
        assert_eq!(retry_after(&headers("soon")), None);
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        for retry in 1..=8 {
            let ceiling = (Duration::from_millis(100) * 2u32.pow(retry - 1)).min(policy.max_delay);
            let delay = policy.delay(retry, None);
            assert!(
                delay >= ceiling / 2 && delay <= ceiling,
                "{retry}: {delay:?}"
            );
        }
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(3600))),
            policy.max_delay
        );
    }
}
