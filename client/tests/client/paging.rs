//! Walking every page by offset and limit, and refusing servers that would make it loop.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::http::StatusCode;
use futures::TryStreamExt;
use serde_json::json;
use vbo_client::Error;

use crate::server::{self, Ask, JOB, json_reply, page_of};

#[tokio::test]
async fn walks_a_25000_session_job_in_full() {
    let server = server::start(server::job_of(25_000)).await;
    let client = server.builder().build().unwrap();
    let started = std::time::Instant::now();
    let mut stream = client.job_sessions(JOB);
    let mut sessions = Vec::new();
    while let Some(session) = stream.try_next().await.unwrap() {
        sessions.push(session);
    }
    let elapsed = started.elapsed();
    assert_eq!(sessions.len(), 25_000);
    let ids: std::collections::HashSet<_> = sessions.iter().map(|s| s.id).collect();
    assert_eq!(ids.len(), 25_000, "no session twice");
    assert_eq!(
        server.counters.gets.load(Ordering::SeqCst),
        25,
        "25 pages of the default 1000"
    );
    eprintln!("walked 25000 sessions in 25 pages in {elapsed:?}");
}

#[tokio::test]
async fn stops_on_short_page_even_when_next_is_present() {
    // The seed example: 1 session, limit 30, and a `next` link.
    let server = server::start(Arc::new(|ask: Ask| {
        let mut page = page_of(1, ask);
        page["_links"]["next"] = json!({"href": "/v5/JobSessions?offset=30&limit=30"});
        json_reply(StatusCode::OK, page)
    }))
    .await;
    let client = server.builder().page_size(30).build().unwrap();
    let sessions: Vec<_> = client.job_sessions(JOB).try_collect().await.unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(server.counters.gets.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn stops_on_a_full_page_without_next() {
    let server = server::start(server::job_of(60)).await;
    let client = server.builder().page_size(30).build().unwrap();
    let sessions: Vec<_> = client.job_sessions(JOB).try_collect().await.unwrap();
    assert_eq!(sessions.len(), 60);
    assert_eq!(server.counters.gets.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn does_not_follow_a_next_that_leaves_the_jobs_collection() {
    // Every page links to the all-jobs collection, as the seed example does; the client keeps
    // paging the job's own collection by offset.
    let server = server::start(Arc::new(|ask: Ask| {
        let mut page = page_of(75, ask);
        if ask.offset + ask.limit < 75 {
            page["_links"]["next"] = json!({"href": format!(
                "https://vbo.example:4443/v5/JobSessions?offset={}&limit={}",
                ask.offset + ask.limit, ask.limit
            )});
        }
        json_reply(StatusCode::OK, page)
    }))
    .await;
    let client = server.builder().page_size(30).build().unwrap();
    let sessions: Vec<_> = client.job_sessions(JOB).try_collect().await.unwrap();
    assert_eq!(sessions.len(), 75);
    let first = client.page(JOB, 0, 30).await.unwrap();
    let next = client.next_link(&first).unwrap();
    assert_eq!(
        next.path(),
        "/v5/JobSessions",
        "resolved, but only read as a signal"
    );
    assert_eq!(server.counters.gets.load(Ordering::SeqCst), 3 + 1);
}

#[tokio::test]
async fn resolves_a_relative_next_against_the_base_url() {
    let server = server::start(Arc::new(|ask: Ask| {
        let mut page = page_of(40, ask);
        if ask.offset == 0 {
            page["_links"]["next"] = json!({"href": "/v6/Jobs/x/JobSessions?offset=30&limit=30"});
        }
        json_reply(StatusCode::OK, page)
    }))
    .await;
    let client = server.builder().page_size(30).build().unwrap();
    let first = client.page(JOB, 0, 30).await.unwrap();
    let next = client.next_link(&first).unwrap();
    assert_eq!(
        next.as_str(),
        format!("{}/v6/Jobs/x/JobSessions?offset=30&limit=30", server.url)
    );
    let sessions: Vec<_> = client.job_sessions(JOB).try_collect().await.unwrap();
    assert_eq!(sessions.len(), 40);
}

#[tokio::test]
async fn refuses_a_server_that_repeats_an_offset() {
    // The server ignores `offset` and serves the first page, echoing offset 0, forever.
    let server = server::start(Arc::new(|ask: Ask| {
        json_reply(StatusCode::OK, page_of(1_000, Ask { offset: 0, ..ask }))
    }))
    .await;
    let client = server.builder().page_size(10).build().unwrap();
    let error = client
        .job_sessions(JOB)
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::RepeatedOffset {
                requested: 10,
                returned: 0
            }
        ),
        "{error:?}"
    );
    assert_eq!(server.counters.gets.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn refuses_a_server_that_repeats_a_page_under_a_new_offset() {
    // Echoes the offset asked for but always sends the same sessions.
    let server = server::start(Arc::new(|ask: Ask| {
        let mut page = page_of(1_000, Ask { offset: 0, ..ask });
        page["offset"] = json!(ask.offset);
        json_reply(StatusCode::OK, page)
    }))
    .await;
    let client = server.builder().page_size(10).build().unwrap();
    let error = client
        .job_sessions(JOB)
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::RepeatedOffset { .. }), "{error:?}");
}

#[tokio::test]
async fn refuses_a_page_with_more_items_than_the_limit() {
    let server = server::start(Arc::new(|ask: Ask| {
        let page = page_of(
            1_000,
            Ask {
                limit: ask.limit + 1,
                ..ask
            },
        );
        json_reply(StatusCode::OK, page)
    }))
    .await;
    let client = server.builder().page_size(10).build().unwrap();
    let error = client
        .job_sessions(JOB)
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::OverLimit {
                offset: 0,
                limit: 10,
                count: 11
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn refuses_empty_pages_that_keep_sending_next() {
    let server = server::start(Arc::new(|ask: Ask| {
        let page = json!({
            "offset": ask.offset, "limit": ask.limit, "results": [],
            "_links": {"next": {"href": "/v5/Jobs/x/JobSessions?offset=0&limit=10"}}
        });
        json_reply(StatusCode::OK, page)
    }))
    .await;
    let client = server.builder().page_size(10).build().unwrap();
    let error = client
        .job_sessions(JOB)
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::EndlessNext { offset: 0 }),
        "{error:?}"
    );
    assert_eq!(server.counters.gets.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn hands_back_the_raw_page_with_status_headers_and_body() {
    let server = server::start(server::job_of(5)).await;
    let client = server.builder().build().unwrap();
    let raw = client.fetch_page_raw(JOB, 2, 2).await.unwrap();
    assert_eq!(raw.status.as_u16(), 200);
    assert_eq!(raw.content_type(), Some("application/json; charset=utf-8"));
    assert_eq!(raw.request_url.query(), Some("limit=2&offset=2"));
    assert!(
        raw.request_url
            .path()
            .ends_with(&format!("/v5/Jobs/{JOB}/JobSessions"))
    );
    let body: serde_json::Value = serde_json::from_slice(&raw.body).unwrap();
    assert_eq!(body["results"].as_array().unwrap().len(), 2);
    assert_eq!(raw.parse().unwrap().offset, 2);
}

#[tokio::test]
async fn an_error_status_comes_back_with_the_servers_message() {
    let server = server::start(Arc::new(|_| {
        json_reply(StatusCode::NOT_FOUND, json!({"message": "Job not found."}))
    }))
    .await;
    let client = server.builder().build().unwrap();
    let raw = client.fetch_page_raw(JOB, 0, 30).await.unwrap();
    assert_eq!(
        raw.status.as_u16(),
        404,
        "the raw API hands back any status"
    );
    match client.page(JOB, 0, 30).await {
        Err(Error::Status {
            status: 404,
            message,
            ..
        }) => {
            assert_eq!(message.as_deref(), Some("Job not found."));
        }
        other => panic!("expected a 404 status error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_body_off_the_contract_is_a_payload_error_keeping_the_body() {
    let server = server::start(Arc::new(|_| {
        json_reply(StatusCode::OK, json!({"offset": 0, "results": "nope"}))
    }))
    .await;
    let client = server.builder().build().unwrap();
    let error = client.page(JOB, 0, 30).await.unwrap_err();
    assert!(matches!(error, Error::Payload { .. }), "{error:?}");
    assert!(String::from_utf8_lossy(error.body().unwrap()).contains("nope"));
}
