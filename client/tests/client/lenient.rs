//! Forward compatibility: unknown enum values, counters as strings and extra fields are read,
//! and the unknown value reaches the caller.

use std::sync::Arc;

use axum::http::StatusCode;
use futures::TryStreamExt;
use serde_json::json;
use vbo_client::Open;
use vbo_client::types::{Bottleneck, JobSessionStatus};

use crate::server::{self, Ask, JOB, json_reply, page_of};

#[tokio::test]
async fn keeps_unknown_status_and_bottleneck_and_reads_numeric_strings() {
    let server = server::start(Arc::new(|ask: Ask| {
        let mut page = page_of(2, ask);
        page["results"][0]["status"] = json!("Paused");
        page["results"][0]["retryCount"] = json!(2);
        page["results"][0]["statistics"]["bottleneck"] = json!("Network");
        page["results"][0]["statistics"]["processingRateBytesPS"] = json!("71012");
        page["setId"] = json!(uuid::Uuid::nil());
        page["details"] = json!({"new": true});
        json_reply(StatusCode::OK, page)
    }))
    .await;
    let client = server.builder().build().unwrap();
    let sessions: Vec<_> = client.job_sessions(JOB).try_collect().await.unwrap();
    assert_eq!(sessions.len(), 2);
    let odd = &sessions[0];
    assert_eq!(odd.status, Open::Unknown("Paused".into()));
    assert_eq!(odd.status.to_string(), "Paused");
    let stats = odd.statistics.as_ref().unwrap();
    assert_eq!(stats.bottleneck, Some(Open::Unknown("Network".into())));
    let rate = stats.processing_rate_bytes_ps.unwrap();
    assert_eq!(rate.get(), 71_012);
    assert!(rate.sent_as_text());
    let plain = &sessions[1];
    assert_eq!(plain.status, Open::Known(JobSessionStatus::Success));
    let plain_stats = plain.statistics.as_ref().unwrap();
    assert_eq!(
        plain_stats.bottleneck,
        Some(Open::Known(Bottleneck::Target))
    );
    assert!(!plain_stats.transferred_data_bytes.unwrap().sent_as_text());
}

#[test]
fn a_counter_that_is_not_digits_is_still_refused() {
    let body = json!({"processingRateBytesPS": "fast"});
    assert!(serde_json::from_value::<vbo_client::wire::JobSessionStatistics>(body).is_err());
}

#[test]
fn the_seed_example_reads_leniently_and_round_trips() {
    let document: serde_json::Value =
        serde_yaml::from_str(include_str!("../../../openapi/vbo-v5.yaml")).unwrap();
    let example = document
        .pointer("/paths/~1v5~1Jobs~1{jobId}~1JobSessions/get/responses/200/content/application~1json; charset=utf-8/example")
        .unwrap()
        .clone();
    let page: vbo_client::wire::JobSessionPage = serde_json::from_value(example.clone()).unwrap();
    assert_eq!(
        page.results[0].status,
        Open::Known(JobSessionStatus::Success)
    );
    let back = serde_json::to_value(&page).unwrap();
    assert_eq!(
        back["results"][0]["statistics"], example["results"][0]["statistics"],
        "counters serialise back in the form they came in"
    );
}
