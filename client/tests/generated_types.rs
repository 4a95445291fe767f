//! The generated types read what servers send: the seed example and the variants the vendor's
//! later documentation and real servers show (DECISIONS.md D2-D13).

use serde_json::{Value, json};
use vbo_client::types::{Bottleneck, JobSessionPage, JobSessionStatus};

fn seed_example() -> Value {
    let document: Value = serde_yaml::from_str(include_str!("../../openapi/vbo-v5.yaml"))
        .expect("the document is YAML");
    document
        .pointer("/paths/~1v5~1Jobs~1{jobId}~1JobSessions/get/responses/200/content/application~1json; charset=utf-8/example")
        .expect("the 200 response has an example")
        .clone()
}

/// Compares two JSON values by meaning: RFC 3339 strings compare as instants (chrono writes 9
/// fractional digits where .NET wrote 7), everything else exactly.
fn assert_same_meaning(left: &Value, right: &Value, at: &str) {
    match (left, right) {
        (Value::Object(a), Value::Object(b)) => {
            let keys_a: Vec<_> = a.keys().collect();
            let keys_b: Vec<_> = b.keys().collect();
            assert_eq!(
                keys_a.len(),
                keys_b.len(),
                "properties differ at {at}: {keys_a:?} vs {keys_b:?}"
            );
            for (key, value) in a {
                let other = b
                    .get(key)
                    .unwrap_or_else(|| panic!("{at}/{key} is missing after the round trip"));
                assert_same_meaning(value, other, &format!("{at}/{key}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "array length differs at {at}");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                assert_same_meaning(x, y, &format!("{at}/{i}"));
            }
        }
        (Value::String(a), Value::String(b)) if a != b => {
            let (x, y) = (
                chrono::DateTime::parse_from_rfc3339(a)
                    .unwrap_or_else(|_| panic!("{at}: {a:?} != {b:?}")),
                chrono::DateTime::parse_from_rfc3339(b)
                    .unwrap_or_else(|_| panic!("{at}: {a:?} != {b:?}")),
            );
            assert_eq!(x, y, "{at}: instants differ");
        }
        _ => assert_eq!(left, right, "values differ at {at}"),
    }
}

#[test]
fn seed_example_deserializes_into_generated_types() {
    let page: JobSessionPage =
        serde_json::from_value(seed_example()).expect("the seed example reads");
    assert_eq!(page.offset, 0);
    assert_eq!(page.limit.get(), 30);
    let session = &page.results[0];
    assert_eq!(
        session.id.to_string(),
        "6a3fa2fb-3a77-4d99-8b5d-b6bd4102ffb1"
    );
    assert_eq!(session.status, JobSessionStatus::Success);
    assert_eq!(session.progress, Some(18));
    let stats = session.statistics.as_ref().expect("statistics are present");
    assert_eq!(stats.transferred_data_bytes, Some(63_570_500));
    assert_eq!(stats.processed_objects, Some(377));
    assert_eq!(stats.bottleneck, Some(Bottleneck::Target));
    assert_eq!(
        session.creation_time.timestamp_nanos_opt(),
        Some(1_607_896_800_585_240_100),
        "all 7 fractional digits survive"
    );
    let links = page.links.as_ref().expect("the page has links");
    assert!(links.0["next"].href.ends_with("offset=30&limit=30"));
}

#[test]
fn seed_example_round_trips_to_an_equivalent_document() {
    let original = seed_example();
    let page: JobSessionPage = serde_json::from_value(original.clone()).expect("reads");
    let written = serde_json::to_value(&page).expect("writes");
    assert_same_meaning(&original, &written, "");
    let again: JobSessionPage = serde_json::from_value(written).expect("reads its own output");
    assert_eq!(page, again);
}

#[test]
fn reads_offsets_null_end_both_bottleneck_spellings_and_extra_fields() {
    let page = json!({
        "offset": 30, "limit": 2, "totalCount": null,
        "setId": "0E6B0E0F-7D55-4F7B-9E0D-7C1A0B9A0D11",
        "futureField": {"anything": [1, 2]},
        "results": [
            {
                "id": "11111111-2222-3333-4444-555555555555",
                "creationTime": "2021-03-01T10:00:00.1234567-07:00",
                "endTime": null,
                "status": "Running",
                "retryCount": 2,
                "statistics": {"bottleneck": "N/A", "transferredDataBytes": 5_000_000_000_i64}
            },
            {
                "id": "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE",
                "creationTime": "2021-03-01T09:00:00Z",
                "status": "Queued",
                "details": "waiting for a proxy",
                "statistics": {"bottleneck": "NA"}
            }
        ]
    });
    let page: JobSessionPage = serde_json::from_value(page).expect("the page reads");
    let running = &page.results[0];
    assert_eq!(running.end_time, None);
    assert_eq!(
        running.creation_time.to_rfc3339(),
        "2021-03-01T17:00:00.123456700+00:00"
    );
    let stats = running.statistics.as_ref().unwrap();
    assert_eq!(stats.bottleneck, Some(Bottleneck::NA));
    assert_eq!(
        stats.transferred_data_bytes,
        Some(5_000_000_000),
        "past 2^31 needs int64"
    );
    assert_eq!(
        page.results[1].statistics.as_ref().unwrap().bottleneck,
        Some(Bottleneck::Na)
    );
    assert_eq!(page.results[1].status, JobSessionStatus::Queued);
    assert_eq!(page.total_count, None);
}
