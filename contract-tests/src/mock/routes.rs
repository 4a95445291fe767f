//! Routing as real servers do it: by method and path template, the literal segments compared
//! without regard to case (`/v5/token`, `/V5/jobs/{id}/jobsessions`), path parameters captured,
//! one trailing slash tolerated. The templates are the contract's own paths.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::{Form, FromRequest, Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{Fault, JSON_UTF8, MockState, message, render, token};
use crate::contract::{SESSIONS_PATH, TOKEN_PATH};

/// The mock's routes; everything goes through [`dispatch`].
pub(super) fn router(state: Arc<MockState>) -> Router {
    Router::new().fallback(dispatch).with_state(state)
}

/// An operation of the contract, with its path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// `POST /v5/Token`.
    Token,
    /// `GET /v5/Jobs/{jobId}/JobSessions`.
    Sessions {
        /// The `jobId` segment as sent.
        job_id: String,
    },
}

impl Route {
    /// The operation `path` names, if any.
    pub(crate) fn of(path: &str) -> Option<Route> {
        if match_template(TOKEN_PATH, path).is_some() {
            return Some(Route::Token);
        }
        let mut params = match_template(SESSIONS_PATH, path)?;
        Some(Route::Sessions {
            job_id: params.pop()?,
        })
    }

    /// The method the operation takes.
    fn method(&self) -> Method {
        match self {
            Route::Token => Method::POST,
            Route::Sessions { .. } => Method::GET,
        }
    }
}

/// Matches `path` against a path `template` (`/v5/Jobs/{jobId}/JobSessions`): literal segments
/// without regard to ASCII case, `{name}` segments captured (non-empty). One trailing slash is
/// allowed. The captured values, in order.
pub(crate) fn match_template(template: &str, path: &str) -> Option<Vec<String>> {
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
            (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') => {
                if g.is_empty() {
                    return None;
                }
                params.push(g.to_owned());
            }
            (Some(w), Some(g)) if w.eq_ignore_ascii_case(g) => {}
            _ => return None,
        }
    }
}

/// Routes one request to its operation.
async fn dispatch(State(state): State<Arc<MockState>>, request: Request) -> Response {
    let Some(route) = Route::of(request.uri().path()) else {
        return message(StatusCode::NOT_FOUND, "No such resource.");
    };
    if request.method() != route.method() {
        let mut response = message(
            StatusCode::METHOD_NOT_ALLOWED,
            &format!(
                "The requested resource does not support http method '{}'.",
                request.method()
            ),
        );
        if let Ok(allow) = HeaderValue::from_str(route.method().as_str()) {
            response.headers_mut().insert(header::ALLOW, allow);
        }
        return response;
    }
    match route {
        Route::Token => {
            // Form reads a bounded body (axum's default limit).
            let form = Form::<HashMap<String, String>>::from_request(request, &state)
                .await
                .ok()
                .map(|Form(form)| form);
            token::token(&state, form)
        }
        Route::Sessions { job_id } => sessions(&state, &job_id, request).await,
    }
}

/// Reads `offset` and `limit` (D9); `Err` is the 400's message.
pub(super) fn paging(query: &HashMap<String, String>) -> Result<(u64, u64), String> {
    let read = |name: &str, default: u64, min: u64, max: u64| {
        match query.get(name) {
        None => Ok(default),
        Some(text) => text
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                format!(
                    "The value '{text}' is not valid for {name}: expected an integer from {min} to {max}."
                )
            }),
    }
    };
    Ok((
        read("offset", 0, 0, i32::MAX as u64)?,
        read("limit", super::DEFAULT_LIMIT, 1, 10_000)?,
    ))
}

/// `GET /v5/Jobs/{jobId}/JobSessions`: one page, or the fault's answer.
async fn sessions(state: &Arc<MockState>, job_id: &str, request: Request) -> Response {
    let fault = state.config.fault;
    if fault == Some(Fault::Slow) {
        tokio::time::sleep(state.config.slow_delay).await;
    }
    if let Err(why) = token::authorize(state, request.headers()) {
        return token::unauthorized(why);
    }
    let Ok(Query(query)) = Query::<HashMap<String, String>>::try_from_uri(request.uri()) else {
        return message(StatusCode::BAD_REQUEST, "The query string is malformed.");
    };
    let (offset, limit) = match paging(&query) {
        Ok(paging) => paging,
        Err(why) => return message(StatusCode::BAD_REQUEST, &why),
    };
    let Some(job) = state.jobs.get(&job_id.to_ascii_lowercase()) else {
        return message(
            StatusCode::NOT_FOUND,
            &format!("Job with id '{job_id}' was not found."),
        );
    };
    let n = state.requests.fetch_add(1, Ordering::Relaxed);
    match fault {
        Some(Fault::ServerError) if Fault::ServerError.strikes(n) => {
            return message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "An unexpected error has occurred.",
            );
        }
        Some(Fault::RateLimit) if Fault::RateLimit.strikes(n) => {
            // The 429 the contract declares for this operation (D18).
            let mut response = message(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests. Try again later.",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return response;
        }
        _ => {}
    }
    let rendered = render::rendered(state, job).await;
    let visible = job.visible(rendered, &state.config);
    let mut body = render::page(state, &job.id, visible, offset, limit);
    let mut content_type = JSON_UTF8;
    match fault {
        Some(Fault::MalformedJson) => body.truncate(body.len() * 2 / 3),
        Some(Fault::WrongContentType) => content_type = "text/html; charset=utf-8",
        _ => {}
    }
    let mut response = (StatusCode::OK, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_templates_without_regard_to_case() {
        let job = "514EABF9-4cc9-41e0-bf5f-76f1485904cd";
        for path in [
            format!("/v5/Jobs/{job}/JobSessions"),
            format!("/V5/jobs/{job}/jobsessions"),
            format!("/v5/JOBS/{job}/JOBSESSIONS/"),
        ] {
            assert_eq!(
                Route::of(&path),
                Some(Route::Sessions {
                    job_id: job.to_owned()
                }),
                "{path}"
            );
        }
        for path in ["/v5/Token", "/v5/token", "/V5/TOKEN/"] {
            assert_eq!(Route::of(path), Some(Route::Token), "{path}");
        }
        for path in [
            "/v5/Jobs//JobSessions",
            "/v5/Jobs/x/JobSessions/extra",
            "/v6/Jobs/x/JobSessions",
            "/v5/Tokens",
            "/",
            "",
        ] {
            assert_eq!(Route::of(path), None, "{path}");
        }
    }

    #[test]
    fn paging_defaults_and_bounds() {
        let q = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<HashMap<_, _>>()
        };
        assert_eq!(paging(&q(&[])).ok(), Some((0, 30)));
        assert_eq!(
            paging(&q(&[("offset", "60"), ("limit", "10000")])).ok(),
            Some((60, 10000))
        );
        assert!(paging(&q(&[("limit", "0")])).is_err());
        assert!(paging(&q(&[("limit", "10001")])).is_err());
        assert!(paging(&q(&[("offset", "-1")])).is_err());
        assert!(paging(&q(&[("offset", "x")])).is_err());
    }
}
