//! Reading a response body against a cap while it streams, so a hostile or broken server can
//! never make the client hold more than the cap in memory.

use bytes::{Bytes, BytesMut};

/// Cap on a response body unless [`crate::ClientBuilder::max_body_bytes`] says otherwise.
///
/// The largest legal page (10,000 sessions, every field at its longest, pretty-printed) is
/// 12.0 MiB (measured by a test below); the default leaves it more than five times the room.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// Cap on a `POST /v5/Token` response, whatever the page cap: a token response is a few
/// hundred bytes to a few KiB (a JWT with many claims), never more than this.
pub const MAX_TOKEN_BODY_BYTES: u64 = 64 * 1024;

/// Largest allocation made up front from a `Content-Length` the server announced; beyond it the
/// buffer grows with what actually arrives.
const PREALLOCATE_AT_MOST: u64 = 1024 * 1024;

/// The cap for an operation of the generated client, when no client settings apply.
pub(crate) fn default_cap(operation_id: &str) -> u64 {
    if operation_id == "create_token" {
        MAX_TOKEN_BODY_BYTES
    } else {
        DEFAULT_MAX_BODY_BYTES
    }
}

/// The body went over the cap (announced by `Content-Length` or while streaming).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OverCap;

/// Reads `response`'s body, at most `cap` bytes. A `Content-Length` above the cap is refused
/// before any byte is read; a body that grows past it is refused at the chunk that does. Either
/// way the response is dropped unread, which closes its connection.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    cap: u64,
) -> reqwest::Result<Result<Bytes, OverCap>> {
    let announced = response.content_length();
    if announced.is_some_and(|length| length > cap) {
        return Ok(Err(OverCap));
    }
    let initial = announced.unwrap_or(0).min(cap).min(PREALLOCATE_AT_MOST);
    let mut body = BytesMut::with_capacity(usize::try_from(initial).unwrap_or(0));
    while let Some(chunk) = response.chunk().await? {
        let total = u64::try_from(body.len().saturating_add(chunk.len())).unwrap_or(u64::MAX);
        if total > cap {
            return Ok(Err(OverCap));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Ok(body.freeze()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The largest legal page: 10,000 sessions, each with every field of the contract at its
    /// longest plausible form (19-digit counters, 7-digit fractions, three absolute links).
    fn largest_legal_page() -> Vec<u8> {
        let href = "https://vbo-server-with-a-long-name.corp.example.com:4443/v5/Jobs/196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5/JobSessions/e1ae3c9c-aa04-4e28-8a58-8d9b4a3a8a77";
        let session = serde_json::json!({
            "id": "e1ae3c9c-aa04-4e28-8a58-8d9b4a3a8a77",
            "creationTime": "2020-12-13T22:00:00.5852401+01:00",
            "endTime": "2020-12-13T22:02:17.6515649+01:00",
            "progress": i64::MAX,
            "status": "NotConfigured",
            "statistics": {
                "processingRateBytesPS": i64::MAX,
                "processingRateItemsPS": i64::MAX,
                "readRateBytesPS": i64::MAX,
                "writeRateBytesPS": i64::MAX,
                "transferredDataBytes": i64::MAX,
                "processedObjects": i64::MAX,
                "bottleneck": "Detecting"
            },
            "_links": {
                "self": {"href": href},
                "log": {"href": format!("{href}/LogItems")},
                "job": {"href": href}
            }
        });
        let page = serde_json::json!({
            "offset": i32::MAX,
            "limit": 10_000,
            "totalCount": i64::MAX,
            "setId": "e1ae3c9c-aa04-4e28-8a58-8d9b4a3a8a77",
            "results": vec![session; 10_000],
            "_links": {"next": {"href": href}}
        });
        serde_json::to_vec_pretty(&page).unwrap()
    }

    #[test]
    fn the_default_cap_holds_the_largest_legal_page_with_room() {
        let size = largest_legal_page().len() as u64;
        eprintln!("largest legal page, pretty-printed: {size} bytes");
        assert!(size * 4 < DEFAULT_MAX_BODY_BYTES, "{size}");
    }

    #[test]
    fn only_the_token_operation_gets_the_small_default() {
        assert_eq!(default_cap("create_token"), MAX_TOKEN_BODY_BYTES);
        assert_eq!(default_cap("get_job_sessions"), DEFAULT_MAX_BODY_BYTES);
    }
}
