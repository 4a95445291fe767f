//! Collections that move during a walk: each session is yielded once when new sessions push
//! the pages on, a page of nothing but sessions seen before is a loop, any other repeat is a
//! paging fault, and a walk is bounded in sessions.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::http::StatusCode;
use futures::TryStreamExt;
use serde_json::{Value, json};
use uuid::Uuid;
use vbo_client::Error;

use crate::server::{self, Ask, JOB, json_reply, page_of, session};

/// A busy job of `total` sessions: before the GET numbered `call`, `started(call)` new
/// sessions have started and sit, newest first, at the head of the collection.
fn busy(total: u64, started: impl Fn(usize) -> u64 + Send + Sync + 'static) -> server::Behaviour {
    Arc::new(move |ask: Ask| {
        let new = started(ask.call);
        let all: Vec<Value> = (0..new)
            .rev()
            .map(|n| session(1_000_000 + n))
            .chain((0..total).map(session))
            .collect();
        let start = (ask.offset as usize).min(all.len());
        let end = (start + ask.limit as usize).min(all.len());
        let mut links = json!({});
        if end < all.len() {
            links["next"] = json!({"href": "/v5/Jobs/x/JobSessions?offset=0&limit=1"});
        }
        json_reply(
            StatusCode::OK,
            json!({"offset": ask.offset, "limit": ask.limit, "results": all[start..end], "_links": links}),
        )
    })
}

/// The ids of the old sessions `0..total`, as `server::session` numbers them.
fn old_ids(total: u64) -> HashSet<Uuid> {
    (0..total)
        .map(|n| Uuid::from_u128(u128::from(n) + 1))
        .collect()
}

#[tokio::test]
async fn a_session_starting_mid_walk_yields_every_session_once() {
    // One session starts after the first page, another after the second.
    let server = server::start(busy(45, |call| call.min(2) as u64)).await;
    let client = server.builder().page_size(10).build().unwrap();
    let mut stream = client.job_sessions(JOB);
    let mut ids = Vec::new();
    while let Some(session) = stream.try_next().await.unwrap() {
        ids.push(session.id);
    }
    let unique: HashSet<Uuid> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no session twice");
    assert_eq!(
        unique,
        old_ids(45),
        "every session of the walk's start, none lost"
    );
    // Pages 2 and 3 each begin with the session that ended the page before.
    assert_eq!(stream.repeats_skipped(), 2);
    assert_eq!(server.counters.gets.load(Ordering::SeqCst), 5);
}

#[tokio::test]
async fn pages_lose_the_repeated_sessions_and_count_them() {
    let server = server::start(busy(25, |call| u64::from(call >= 1) * 3)).await;
    let client = server.builder().page_size(10).build().unwrap();
    let mut pages = client.pages(JOB);
    let first = pages.try_next().await.unwrap().unwrap();
    assert_eq!(first.results.len(), 10);
    let second = pages.try_next().await.unwrap().unwrap();
    assert_eq!(second.offset, 10);
    assert_eq!(second.results.len(), 7, "3 shifted sessions removed");
    assert_eq!(second.results[0].id, Uuid::from_u128(10 + 1));
    assert_eq!(pages.repeats_skipped(), 3);
}

#[tokio::test]
async fn pages_alternating_a_b_a_b_are_a_loop() {
    // Echoes each offset, but serves the first two pages in turn, forever.
    let server = server::start(Arc::new(|ask: Ask| {
        let which = (ask.offset / ask.limit) % 2;
        let mut page = page_of(
            1_000,
            Ask {
                offset: which * ask.limit,
                ..ask
            },
        );
        page["offset"] = json!(ask.offset);
        json_reply(StatusCode::OK, page)
    }))
    .await;
    let client = server.builder().page_size(10).build().unwrap();
    let mut stream = client.job_sessions(JOB);
    let mut yielded = 0;
    let error = loop {
        match stream.try_next().await {
            Ok(Some(_)) => yielded += 1,
            Ok(None) => panic!("the walk ended without noticing the loop"),
            Err(error) => break error,
        }
    };
    assert!(
        matches!(
            error,
            Error::PageLoop {
                offset: 20,
                count: 10
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("loop"), "{error}");
    assert_eq!(yielded, 20, "A and B once each");
    assert_eq!(server.counters.gets.load(Ordering::SeqCst), 3);
    assert!(stream.try_next().await.unwrap().is_none(), "the walk ended");
}

#[tokio::test]
async fn a_repeat_in_the_middle_of_a_page_stays_an_error() {
    // Page 2 carries session 3 of page 1 in its middle: not a shift.
    let server = server::start(Arc::new(|ask: Ask| {
        let mut page = page_of(40, ask);
        if ask.offset == 10 {
            page["results"][5] = session(3);
        }
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
        matches!(error, Error::DuplicateSession { id, offset: 10 } if id == Uuid::from_u128(4)),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_repeat_within_one_page_is_an_error() {
    let server = server::start(Arc::new(|ask: Ask| {
        let mut page = page_of(5, ask);
        page["results"][4] = session(0);
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
        matches!(error, Error::DuplicateSession { offset: 0, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_partial_run_at_the_head_is_not_a_shift() {
    // Page 2 begins with a run of page 1 that does not reach its end.
    let server = server::start(Arc::new(|ask: Ask| {
        let mut page = page_of(40, ask);
        if ask.offset == 10 {
            page["results"][0] = session(7);
            page["results"][1] = session(8);
        }
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
        matches!(error, Error::DuplicateSession { offset: 10, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_walk_stops_at_its_session_bound() {
    let server = server::start(server::job_of(100)).await;
    let client = server
        .builder()
        .page_size(10)
        .max_sessions_per_walk(35)
        .build()
        .unwrap();
    let mut stream = client.job_sessions(JOB);
    let mut yielded = 0;
    let error = loop {
        match stream.try_next().await {
            Ok(Some(_)) => yielded += 1,
            Ok(None) => panic!("the walk passed its bound"),
            Err(error) => break error,
        }
    };
    assert!(matches!(error, Error::WalkLimit { limit: 35 }), "{error:?}");
    assert!(
        error.to_string().contains("max_sessions_per_walk"),
        "{error}"
    );
    assert_eq!(yielded, 30);
    assert_eq!(server.counters.gets.load(Ordering::SeqCst), 4);

    let exact = server
        .builder()
        .page_size(10)
        .max_sessions_per_walk(100)
        .build()
        .unwrap();
    let all: Vec<_> = exact.job_sessions(JOB).try_collect().await.unwrap();
    assert_eq!(
        all.len(),
        100,
        "a job of exactly the bound is walked in full"
    );
}
