//! Routing as real servers do it: by method and path template, the literal segments compared
//! without regard to case (`/v5/token`, `/V5/jobs/{id}/jobsessions`), path parameters captured,
//! one trailing slash tolerated ([`match_template`]). The templates are the contract's own
//! paths; every operation is answered here by what its body is (page, list, single object).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::{Form, FromRequest, Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::served::{ParamKind, Served};
use super::{Fault, JSON_UTF8, MockState, json_response, message, render, token};
use crate::contract::TOKEN_PATH;
use crate::generate::BodyKind;
use crate::operation::match_template;

/// The largest `limit` when the operation's `limit` parameter states none (D9).
pub(super) const LIMIT_MAX: u64 = 10_000;

/// The mock's routes; everything goes through [`dispatch`].
pub(super) fn router(state: Arc<MockState>) -> Router {
    Router::new().fallback(dispatch).with_state(state)
}

/// What a request is routed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Route {
    /// `POST /v5/Token`.
    Token,
    /// An operation (index into the served operations) with its path parameters.
    Operation(usize, BTreeMap<String, String>),
    /// The path names a resource, not with this method: the methods it takes.
    WrongMethod(Vec<Method>),
}

impl Route {
    /// The route of `method` and `path`, if the path names anything.
    pub(super) fn of(operations: &[Served], method: &Method, path: &str) -> Option<Route> {
        let mut allowed = Vec::new();
        if match_template(TOKEN_PATH, path).is_some() {
            if method == Method::POST {
                return Some(Route::Token);
            }
            allowed.push(Method::POST);
        }
        for (i, op) in operations.iter().enumerate() {
            if let Some(params) = op.match_path(path) {
                if op.method == method {
                    return Some(Route::Operation(i, params));
                }
                allowed.push(op.method.clone());
            }
        }
        (!allowed.is_empty()).then_some(Route::WrongMethod(allowed))
    }
}

/// Routes one request to its operation.
async fn dispatch(State(state): State<Arc<MockState>>, request: Request) -> Response {
    let route = Route::of(&state.operations, request.method(), request.uri().path());
    match route {
        None => message(StatusCode::NOT_FOUND, "No such resource."),
        Some(Route::WrongMethod(allowed)) => {
            let mut response = message(
                StatusCode::METHOD_NOT_ALLOWED,
                &format!(
                    "The requested resource does not support http method '{}'.",
                    request.method()
                ),
            );
            let allow: Vec<&str> = allowed.iter().map(Method::as_str).collect();
            if let Ok(allow) = HeaderValue::from_str(&allow.join(", ")) {
                response.headers_mut().insert(header::ALLOW, allow);
            }
            response
        }
        Some(Route::Token) => {
            // Form reads a bounded body (axum's default limit).
            let form = Form::<HashMap<String, String>>::from_request(request, &state)
                .await
                .ok()
                .map(|Form(form)| form);
            token::token(&state, form)
        }
        Some(Route::Operation(i, params)) => serve(&state, i, &params, request).await,
    }
}

/// Reads `offset` and `limit` (D9), `limit` up to `max_limit`; `Err` is the 400's message.
pub(super) fn paging(
    query: &HashMap<String, String>,
    max_limit: u64,
) -> Result<(u64, u64), String> {
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
        read("limit", super::DEFAULT_LIMIT.min(max_limit), 1, max_limit)?,
    ))
}

/// Where a request's path parameters lead, once checked.
enum Found {
    /// No parameter names a single item of a collection.
    Plain,
    /// The last parameter is the id of item `index` of a collection of operation `op`.
    Item {
        op: usize,
        parent: String,
        index: u64,
    },
    /// The last parameter is the id of job `index`.
    Job(usize),
}

/// Checks the path parameters against what the mock generated; `Err` is the 404.
async fn find(
    state: &Arc<MockState>,
    op: &Served,
    params: &BTreeMap<String, String>,
) -> Result<Found, Response> {
    let mut found = Found::Plain;
    for (name, kind) in op.params.iter().zip(&op.kinds) {
        let Some(value) = params.get(name) else {
            continue;
        };
        found = match kind {
            ParamKind::Any => Found::Plain,
            ParamKind::Job => match state.jobs.get(&value.to_ascii_lowercase()) {
                Some(index) => Found::Job(*index),
                None => return Err(not_found(op, "Job", value)),
            },
            ParamKind::Item(holders) => {
                let noun = op.schema.as_deref().unwrap_or("Item");
                match lookup(state, holders, value).await {
                    Some(found) => found,
                    None => return Err(not_found(op, noun, value)),
                }
            }
        };
    }
    Ok(found)
}

/// The collection item with id `id` among the collections of `holders`.
async fn lookup(state: &Arc<MockState>, holders: &[usize], id: &str) -> Option<Found> {
    for &h in holders {
        let holder = &state.operations[h];
        for collection in holder.collections.values() {
            let rendered = render::rendered(state, holder, collection).await;
            if let Some(index) = collection.find(rendered, id) {
                return Some(Found::Item {
                    op: h,
                    parent: collection.parent.clone(),
                    index,
                });
            }
        }
    }
    None
}

/// The 404 of an unknown id: `{"message"}` (D16), or the document's own 404 body.
fn not_found(op: &Served, noun: &str, value: &str) -> Response {
    match &op.not_found {
        Some(body) => json_response(StatusCode::NOT_FOUND, body.clone()),
        None => message(
            StatusCode::NOT_FOUND,
            &format!("{noun} with id '{value}' was not found."),
        ),
    }
}

/// One request of operation `i`: its body, or the fault's answer.
async fn serve(
    state: &Arc<MockState>,
    i: usize,
    params: &BTreeMap<String, String>,
    request: Request,
) -> Response {
    let op = &state.operations[i];
    let fault = op.fault;
    if fault == Some(Fault::Slow) {
        tokio::time::sleep(state.config.slow_delay).await;
    }
    if op.secured
        && let Err(why) =
            token::authorize(state, request.headers(), fault == Some(Fault::ExpiredToken))
    {
        return token::unauthorized(why);
    }
    let Ok(Query(query)) = Query::<HashMap<String, String>>::try_from_uri(request.uri()) else {
        return message(StatusCode::BAD_REQUEST, "The query string is malformed.");
    };
    let (offset, limit) = if op.is_page() {
        match paging(&query, op.max_limit) {
            Ok(paging) => paging,
            Err(why) => return message(StatusCode::BAD_REQUEST, &why),
        }
    } else {
        (0, 0)
    };
    let found = match find(state, op, params).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let n = op.requests.fetch_add(1, Ordering::Relaxed);
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
    let Some(generator) = &op.generator else {
        return StatusCode::NO_CONTENT.into_response();
    };
    let parent = params
        .get(op.params.last().map(String::as_str).unwrap_or_default())
        .map_or("", String::as_str);
    let mut body = match generator.kind() {
        BodyKind::Page | BodyKind::List => {
            let kept = op.collections.get(&parent.to_ascii_lowercase());
            let fresh;
            let (collection, rendered) = match kept {
                Some(collection) => (collection, render::rendered(state, op, collection).await),
                None => {
                    fresh = render::unkept(state, op, parent).await;
                    (&fresh.0, &fresh.1)
                }
            };
            let visible = collection.visible(rendered, &state.config, fault);
            if generator.kind() == BodyKind::Page {
                render::page(state, op, &collection.parent, visible, offset, limit)
            } else {
                render::list(visible)
            }
        }
        BodyKind::Single | BodyKind::Other => match found {
            Found::Item {
                op: holder,
                parent,
                index,
            } => render::item(state, holder, &parent, index),
            Found::Job(index) => {
                let id = &state.job_ids[index];
                serde_json::to_vec(&generator.item_with_id(state.config.seed, "", index as u64, id))
                    .unwrap_or_default()
            }
            Found::Plain => {
                serde_json::to_vec(&generator.single(state.config.seed, params)).unwrap_or_default()
            }
        },
    };
    let mut content_type = JSON_UTF8;
    match fault {
        Some(Fault::MalformedJson) => body.truncate(body.len() * 2 / 3),
        Some(Fault::WrongContentType) => content_type = "text/html; charset=utf-8",
        _ => {}
    }
    let status = StatusCode::from_u16(op.status).unwrap_or(StatusCode::OK);
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Contract;
    use crate::mock::MockConfig;

    #[test]
    fn paths_match_templates_without_regard_to_case() {
        let contract = Contract::embedded().unwrap();
        let config = MockConfig::default();
        let ops = super::super::served::operations(&contract, &config, "http://h", &[]).unwrap();
        let job = "514EABF9-4cc9-41e0-bf5f-76f1485904cd";
        for path in [
            format!("/v5/Jobs/{job}/JobSessions"),
            format!("/V5/jobs/{job}/jobsessions"),
            format!("/v5/JOBS/{job}/JOBSESSIONS/"),
        ] {
            match Route::of(&ops, &Method::GET, &path) {
                Some(Route::Operation(i, params)) => {
                    assert_eq!(ops[i].path, "/v5/Jobs/{jobId}/JobSessions");
                    assert_eq!(params["jobId"], job, "{path}");
                }
                other => panic!("{path}: {other:?}"),
            }
        }
        for path in ["/v5/Token", "/v5/token", "/V5/TOKEN/"] {
            assert_eq!(
                Route::of(&ops, &Method::POST, path),
                Some(Route::Token),
                "{path}"
            );
            assert_eq!(
                Route::of(&ops, &Method::GET, path),
                Some(Route::WrongMethod(vec![Method::POST])),
                "{path}"
            );
        }
        for path in [
            "/v5/Jobs//JobSessions",
            "/v5/Jobs/x/JobSessions/extra",
            "/v6/Jobs/x/JobSessions",
            "/v5/Tokens",
            "/",
            "",
        ] {
            assert_eq!(Route::of(&ops, &Method::GET, path), None, "{path}");
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
        assert_eq!(paging(&q(&[]), LIMIT_MAX).ok(), Some((0, 30)));
        assert_eq!(
            paging(&q(&[("offset", "60"), ("limit", "10000")]), LIMIT_MAX).ok(),
            Some((60, 10000))
        );
        assert!(paging(&q(&[("limit", "0")]), LIMIT_MAX).is_err());
        assert!(paging(&q(&[("limit", "10001")]), LIMIT_MAX).is_err());
        assert!(paging(&q(&[("limit", "51")]), 50).is_err());
        assert_eq!(paging(&q(&[]), 20).ok(), Some((0, 20)));
        assert!(paging(&q(&[("offset", "-1")]), LIMIT_MAX).is_err());
        assert!(paging(&q(&[("offset", "x")]), LIMIT_MAX).is_err());
    }
}
