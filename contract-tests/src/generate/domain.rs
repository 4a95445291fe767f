//! The domain layer: what the schema cannot say about sessions and pages (ids unique per job,
//! links named after the session and its job, the walk's total).

use std::collections::HashSet;

use serde_json::{Map, Value};

/// Sets `totalCount` (when the page has a number there) to the walk's real total.
pub(crate) fn with_total(mut page: Value, total: u64) -> Value {
    if let Some(count) = page.get_mut("totalCount")
        && !count.is_null()
    {
        *count = Value::from(total);
    }
    page
}

/// Writes the hrefs of a session's links from its id and job: v5 absolute URLs, and now and
/// then v6-style relative paths (D10).
pub(crate) fn set_session_links(
    map: &mut Map<String, Value>,
    job_id: &str,
    host: &str,
    noise: u64,
) {
    let id = map
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let Some(Value::Object(links)) = map.get_mut("_links") else {
        return;
    };
    let relative = (noise >> 4).is_multiple_of(5);
    for (relation, link) in links.iter_mut() {
        let path = match relation.as_str() {
            "self" => format!("jobsessions/{id}"),
            "job" => format!("jobs/{job_id}"),
            "log" => format!("jobsessions/{id}/logitems"),
            other => format!("jobsessions/{id}/{other}"),
        };
        let href = if relative {
            format!("/v6/{path}")
        } else {
            format!("{host}/v5/{path}")
        };
        if let Value::Object(link) = link {
            link.insert("href".to_owned(), Value::String(href));
        }
    }
}

/// Makes the session's id unique among `seen` by rewriting its last 12 hex digits.
pub(crate) fn unique_id(session: &mut Value, seen: &mut HashSet<String>, index: u64) {
    let Some(Value::String(id)) = session.get_mut("id") else {
        return;
    };
    let mut attempt = 0u64;
    while !seen.insert(id.to_ascii_lowercase()) {
        if id.len() != 36 {
            *id = format!("{id}-{index}-{attempt}");
        } else {
            let tail = (index.wrapping_add(attempt << 32)) & 0xFFFF_FFFF_FFFF;
            id.replace_range(24.., &format!("{tail:012x}"));
        }
        attempt += 1;
    }
    let id = id.clone();
    if let Value::Object(map) = session {
        set_ids_in_links(map, &id);
    }
}

/// Ids of seeded sessions: the last 48 bits are the index under a per-job mask, so ids never
/// repeat within a job (up to 2^48 sessions) yet look random.
pub(crate) fn stamp_id(session: &mut Value, mask: u64, index: u64) {
    if let Some(Value::String(id)) = session.get_mut("id")
        && id.len() == 36
    {
        let upper = id.bytes().any(|b| b.is_ascii_uppercase());
        let tail = (index ^ mask) & 0xFFFF_FFFF_FFFF;
        let text = if upper {
            format!("{tail:012X}")
        } else {
            format!("{tail:012x}")
        };
        id.replace_range(24.., &text);
    }
}

fn set_ids_in_links(map: &mut Map<String, Value>, id: &str) {
    let Some(Value::Object(links)) = map.get_mut("_links") else {
        return;
    };
    for (relation, link) in links.iter_mut() {
        if let Some(Value::String(href)) = link.get_mut("href")
            && relation != "job"
            && let Some(start) = href.find("jobsessions/")
        {
            let from = start + "jobsessions/".len();
            let to = href[from..].find('/').map_or(href.len(), |i| from + i);
            href.replace_range(from..to, id);
        }
    }
}
