//! The token endpoint (`POST /v5/Token`, D14, D18, D19), the tokens it issued, the bearer check
//! of the other routes, and the sign-in throttle of [`Fault::TokenThrottle`].

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant, SystemTime};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::json;

use super::{Fault, MockState, json_response, message};

/// How [`Fault::TokenThrottle`] throttles sign-in: like the rate limiter of v6 servers, a quota
/// of token requests per window, and before that, optionally, a number of plain refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenQuota {
    /// The first this many token requests are refused (429) whatever the quota says, so a test
    /// can count a client's retries.
    pub refuse_first: u32,
    /// Token requests admitted per window; the rest of the window gets a 429.
    pub per_window: u32,
    /// The window (at least a second: `Retry-After` counts whole seconds).
    pub window: Duration,
}

impl Default for TokenQuota {
    fn default() -> Self {
        Self {
            refuse_first: 0,
            per_window: 1,
            window: Duration::from_secs(1),
        }
    }
}

/// Tokens issued, and the throttle's count.
#[derive(Default)]
pub(super) struct Tokens {
    issued: u64,
    access: HashMap<String, AccessToken>,
    refresh: HashSet<String>,
    /// Token requests seen (throttled or not).
    attempts: u64,
    /// Start of the throttle's current window and the requests admitted in it.
    window: Option<(Instant, u32)>,
}

struct AccessToken {
    expires: Instant,
    uses: u64,
}

/// `{"error", "error_description"}` with `status` (D14).
fn token_error(status: StatusCode, error: &str, description: &str) -> Response {
    json_response(
        status,
        json!({ "error": error, "error_description": description }).to_string(),
    )
}

/// Whole seconds, at least one: a `Retry-After` of 0 would invite a retry storm.
fn whole_seconds(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

impl Tokens {
    /// Counts one token request against `quota`; `Some(wait)` when it is refused.
    fn throttle(&mut self, quota: &TokenQuota, now: Instant) -> Option<Duration> {
        self.attempts += 1;
        if self.attempts <= u64::from(quota.refuse_first) {
            return Some(quota.window);
        }
        let (start, admitted) = match self.window {
            Some((start, admitted)) if now.duration_since(start) < quota.window => {
                (start, admitted)
            }
            _ => (now, 0),
        };
        if admitted >= quota.per_window {
            self.window = Some((start, admitted));
            return Some(quota.window.saturating_sub(now.duration_since(start)));
        }
        self.window = Some((start, admitted + 1));
        None
    }
}

/// The declared 429 of the token endpoint (D18): `Retry-After` and a `TokenError` body.
fn throttled(quota: &TokenQuota, wait: Duration) -> Response {
    let per = match quota.window.as_secs() {
        0 | 1 => "Second".to_owned(),
        60 => "Minute".to_owned(),
        3600 => "Hour".to_owned(),
        n => format!("{n} seconds"),
    };
    let mut response = token_error(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
        &format!(
            "API calls quota exceeded! maximum admitted {} per {per}.",
            quota.per_window
        ),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(whole_seconds(wait)));
    response
}

/// `POST /v5/Token`: a password or refresh grant, answered with fresh tokens or the OAuth error.
pub(super) fn token(state: &MockState, form: Option<HashMap<String, String>>) -> Response {
    let mut tokens = state.tokens.lock().unwrap_or_else(|e| e.into_inner());
    // Rate limiters answer before they look at the request.
    if state.sign_in_fault == Some(Fault::TokenThrottle)
        && let Some(wait) = tokens.throttle(&state.config.token_quota, Instant::now())
    {
        return throttled(&state.config.token_quota, wait);
    }
    let refuse =
        |error: &str, description: &str| token_error(StatusCode::BAD_REQUEST, error, description);
    let Some(form) = form else {
        return refuse(
            "invalid_request",
            "The request must be form-encoded (application/x-www-form-urlencoded).",
        );
    };
    let field = |name: &str| form.get(name).map(String::as_str);
    match field("grant_type") {
        Some("password") => {
            if field("username") != Some(&state.config.user)
                || field("password") != Some(&state.config.password)
            {
                return refuse("invalid_grant", "The user name or password is incorrect.");
            }
        }
        Some("refresh_token") => {
            let known = field("refresh_token").is_some_and(|t| tokens.refresh.contains(t));
            if !known {
                return refuse("invalid_grant", "The refresh token is invalid or expired.");
            }
        }
        Some(_) => {
            return refuse(
                "unsupported_grant_type",
                "grant_type must be password or refresh_token.",
            );
        }
        None => return refuse("invalid_request", "grant_type is required."),
    }
    tokens.issued += 1;
    let n = tokens.issued;
    let secret = |kind: u64| {
        let a = super::mix64(state.config.seed ^ n.rotate_left(32) ^ kind);
        let b = super::mix64(a ^ nanos());
        format!("{a:016x}{b:016x}")
    };
    let (access, refresh) = (secret(1), secret(2));
    let lifetime = state.config.token_lifetime;
    tokens.access.insert(
        access.clone(),
        AccessToken {
            expires: Instant::now() + lifetime,
            uses: 0,
        },
    );
    tokens.refresh.insert(refresh.clone());
    let issued = SystemTime::now();
    json_response(
        StatusCode::OK,
        json!({
            "access_token": access,
            "token_type": "bearer",
            "expires_in": lifetime.as_secs(),
            "refresh_token": refresh,
            "userName": state.config.user,
            ".issued": httpdate::fmt_http_date(issued),
            ".expires": httpdate::fmt_http_date(issued + lifetime),
        })
        .to_string(),
    )
}

/// Checks the bearer token; `Err` is why it is refused (the 401's message). With `once_only`
/// (an operation [`Fault::ExpiredToken`] strikes), a token works for one such request.
pub(super) fn authorize(
    state: &MockState,
    headers: &HeaderMap,
    once_only: bool,
) -> Result<(), &'static str> {
    const DENIED: &str = "Authorization has been denied for this request.";
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or(DENIED)?;
    let mut tokens = state.tokens.lock().unwrap_or_else(|e| e.into_inner());
    let entry = tokens.access.get_mut(token).ok_or(DENIED)?;
    if entry.expires <= Instant::now() || (once_only && entry.uses >= 1) {
        tokens.access.remove(token);
        return Err("The access token has expired.");
    }
    // Only the requests the fault strikes use a token up.
    if once_only {
        entry.uses += 1;
    }
    Ok(())
}

/// The 401 of a refused bearer token.
pub(super) fn unauthorized(text: &str) -> Response {
    let mut response = message(StatusCode::UNAUTHORIZED, text);
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// Tokens must not be guessable across runs even with a fixed data seed.
fn nanos() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_salt_moves_with_the_clock_so_seeded_mocks_differ_across_runs() {
        let before = nanos();
        std::thread::sleep(Duration::from_millis(2));
        let after = nanos();
        assert!(after >= before + 1_000_000, "{before} then {after}");
    }

    #[test]
    fn the_quota_admits_per_window_then_refuses_until_the_window_ends() {
        let quota = TokenQuota {
            refuse_first: 2,
            per_window: 2,
            window: Duration::from_secs(10),
        };
        let mut tokens = Tokens::default();
        let t0 = Instant::now();
        assert_eq!(tokens.throttle(&quota, t0), Some(quota.window));
        assert_eq!(tokens.throttle(&quota, t0), Some(quota.window));
        assert_eq!(tokens.throttle(&quota, t0), None);
        assert_eq!(tokens.throttle(&quota, t0 + Duration::from_secs(1)), None);
        let wait = tokens.throttle(&quota, t0 + Duration::from_secs(4));
        assert_eq!(wait, Some(Duration::from_secs(6)));
        assert_eq!(whole_seconds(wait.unwrap()), 6);
        // A new window admits again.
        assert_eq!(tokens.throttle(&quota, t0 + Duration::from_secs(10)), None);
        assert_eq!(whole_seconds(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds(Duration::from_millis(1500)), 2);
    }
}
