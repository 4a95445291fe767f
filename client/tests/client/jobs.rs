//! `Client::jobs` and `Client::jobs_wire`: the vendor-shaped array of `GET /v5/Jobs` (contract
//! D20-D23), read through the same sign-in, retry loop and body cap as pages.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::StatusCode;
use axum::routing::get;
use bytes::Bytes;
use serde_json::json;
use uuid::Uuid;
use vbo_client::types::{BackupType, JobStatus, ScheduleDays, ScheduleType};
use vbo_client::{DEFAULT_MAX_BODY_BYTES, Error, Open, TransientKind};

use crate::hostile;
use crate::server::{self, example_jobs, json_reply};

fn status(code: u16) -> axum::response::Response {
    json_reply(
        StatusCode::from_u16(code).unwrap(),
        json!({"message": "busy"}),
    )
}

#[tokio::test]
async fn lists_the_vendor_shaped_jobs_signing_in_once() {
    let server = server::start(server::job_of(0)).await;
    let client = server.builder().build().unwrap();
    let jobs = client.jobs().await.unwrap();
    assert_eq!(jobs.len(), 2);
    let first = &jobs[0];
    assert_eq!(
        first.id,
        Uuid::parse_str("e1714f5b-e51b-496b-9e46-e7bf979aa6d6").unwrap()
    );
    assert_eq!(first.name, "Mailboxes daily");
    assert_eq!(first.last_status, Some(JobStatus::Success));
    assert_eq!(first.backup_type, Some(BackupType::SelectedItems));
    assert_eq!(first.is_enabled, Some(true));
    assert!(first.last_run.is_some());
    let schedule = first.schedule_policy.as_ref().unwrap();
    assert_eq!(schedule.type_, Some(ScheduleType::Daily));
    assert_eq!(schedule.daily_type, Some(ScheduleDays::Everyday));
    assert_eq!(schedule.retry_number, Some(3));
    let links = first.links.as_ref().unwrap();
    assert!(links.contains_key("jobsessions"), "{links:?}");
    // A job that never ran: `lastRun` null reads as none.
    assert_eq!(jobs[1].last_run, None);
    assert_eq!(jobs[1].backup_type, Some(BackupType::EntireOrganization));

    let wire = client.jobs_wire().await.unwrap();
    assert_eq!(wire.len(), 2);
    assert_eq!(wire[0].last_status, Some(Open::Known(JobStatus::Success)));
    assert_eq!(wire[1].name, "Entire organization, hourly");

    let counters = &server.counters;
    assert_eq!(counters.password_sign_ins.load(Ordering::SeqCst), 1);
    assert_eq!(counters.gets.load(Ordering::SeqCst), 2);
    assert_eq!(counters.unauthorised.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_unknown_value_fails_the_strict_list_and_is_kept_by_the_lenient_one() {
    let mut jobs = example_jobs();
    jobs[0]["lastStatus"] = json!("Paused");
    jobs[1]["schedulePolicy"]["periodicallyEvery"] = json!("Hours24");
    let server = server::start_with_jobs(
        server::job_of(0),
        Arc::new(move |_| json_reply(StatusCode::OK, jobs.clone())),
    )
    .await;
    let client = server.builder().build().unwrap();
    match client.jobs().await.unwrap_err() {
        Error::Payload { url, body, .. } => {
            assert!(url.ends_with("/v5/Jobs"), "{url}");
            assert!(!body.is_empty());
        }
        other => panic!("expected Payload, got {other:?}"),
    }
    let wire = client.jobs_wire().await.unwrap();
    assert_eq!(wire[0].last_status, Some(Open::Unknown("Paused".into())));
    let schedule = wire[1].schedule_policy.as_ref().unwrap();
    assert_eq!(
        schedule.periodically_every,
        Some(Open::Unknown("Hours24".into()))
    );
}

#[tokio::test]
async fn a_v8_page_envelope_is_not_a_v5_jobs_list() {
    let server = server::start_with_jobs(
        server::job_of(0),
        Arc::new(|_| {
            json_reply(
                StatusCode::OK,
                json!({"offset": 0, "limit": 30, "results": example_jobs()}),
            )
        }),
    )
    .await;
    let client = server.builder().build().unwrap();
    assert!(matches!(
        client.jobs().await.unwrap_err(),
        Error::Payload { .. }
    ));
    assert!(matches!(
        client.jobs_wire().await.unwrap_err(),
        Error::Payload { .. }
    ));
}

#[tokio::test]
async fn retries_a_503_and_signs_in_again_after_a_401() {
    let server = server::start_with_jobs(
        server::job_of(0),
        Arc::new(|call| {
            if call < 2 {
                status(503)
            } else {
                json_reply(StatusCode::OK, example_jobs())
            }
        }),
    )
    .await;
    let client = server.builder().build().unwrap();
    assert_eq!(client.jobs().await.unwrap().len(), 2);
    let log = client.take_transient_log();
    assert_eq!(log.count(TransientKind::ServerError), 2, "{log:?}");

    server.counters.revoke_access_tokens();
    assert_eq!(client.jobs().await.unwrap().len(), 2);
    assert_eq!(server.counters.unauthorised.load(Ordering::SeqCst), 1);
    assert_eq!(server.counters.password_sign_ins.load(Ordering::SeqCst), 2);
    assert_eq!(client.transient_log().count(TransientKind::ReSignIn), 1);
}

#[tokio::test]
async fn a_refused_list_is_a_status_error_with_the_message() {
    let server = server::start_with_jobs(server::job_of(0), Arc::new(|_| status(403))).await;
    let client = server.builder().build().unwrap();
    match client.jobs().await.unwrap_err() {
        Error::Status {
            status, message, ..
        } => {
            assert_eq!(status, 403);
            assert_eq!(message.as_deref(), Some("busy"));
        }
        other => panic!("expected Status, got {other:?}"),
    }
}

/// Sets its flag when dropped: the server's body stream is dropped when the client hangs up.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn an_endless_jobs_body_ends_at_the_cap() {
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&dropped);
    let app = Router::new().route(
        "/v5/Jobs",
        get(move || {
            let flag = DropFlag(Arc::clone(&flag));
            async move {
                // `[` then an endless run of jobs: a hostile or broken server.
                let job = Bytes::from(format!("{},", example_jobs()[0]));
                let head = futures::stream::once(async { Ok(Bytes::from_static(b"[")) });
                let tail = futures::stream::unfold((flag, job), |(flag, job)| async move {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    Some((Ok::<_, std::io::Error>(job.clone()), (flag, job)))
                });
                Body::from_stream(futures::StreamExt::chain(head, tail))
            }
        }),
    );
    let origin = hostile::https(app).await;
    let cap = 256 * 1024;
    let client = origin
        .builder()
        .bearer_token("t")
        .max_body_bytes(cap)
        .build()
        .unwrap();
    let started = Instant::now();
    match client.jobs().await.unwrap_err() {
        Error::BodyTooLarge { url, limit } => {
            assert_eq!(limit, cap);
            assert!(url.ends_with("/v5/Jobs"), "{url}");
        }
        other => panic!("expected BodyTooLarge, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    for _ in 0..100 {
        if dropped.load(Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        dropped.load(Ordering::SeqCst),
        "the client kept the connection"
    );
    assert!(client.transient_log().is_empty(), "a cap is not retried");
}

#[tokio::test]
async fn an_oversized_content_length_on_the_jobs_list_is_refused_before_reading() {
    let origin = hostile::raw(|_| {
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000000000000\r\n\r\n[".to_vec()
    })
    .await;
    let client = origin.builder().bearer_token("t").build().unwrap();
    let started = Instant::now();
    match client.jobs_wire().await.unwrap_err() {
        Error::BodyTooLarge { limit, .. } => assert_eq!(limit, DEFAULT_MAX_BODY_BYTES),
        other => panic!("expected BodyTooLarge, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(2));
}
