//! The domain layer: what the schema cannot say, keyed by the name of the item's component
//! schema. `JobSession`: ids unique per job, links named after the session and its job, the
//! walk's total. `Job`: the mock's job ids, a plausible unique `name`, a self link naming the
//! id. Any other schema: a unique `id` when it has one, a self link naming it when it has
//! `_links`.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::operation::encode_segment;

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
    let id = encode_segment(map.get("id").and_then(Value::as_str).unwrap_or_default());
    let job_id = encode_segment(job_id);
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
        if id.len() != 36 || !id.is_ascii() {
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

/// Names `id` (percent-encoded) in the session's own links, where a session's id was.
pub(crate) fn set_ids_in_links(map: &mut Map<String, Value>, id: &str) {
    let id = encode_segment(id);
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
            href.replace_range(from..to, &id);
        }
    }
}

/// What the domain layer knows about the items of one component schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Domain {
    /// `JobSession`: the session layer (times, links to the session and its job).
    Session,
    /// `Job`: the mock's jobs.
    Job,
    /// Any other named or unnamed item: unique ids and self links.
    Generic,
    /// A body no item rules apply to (an error body): the schema alone.
    Plain,
}

impl Domain {
    /// The layer for items of the component schema `name`.
    pub(crate) fn of(name: Option<&str>) -> Self {
        match name {
            Some("JobSession") => Domain::Session,
            Some("Job") => Domain::Job,
            _ => Domain::Generic,
        }
    }
}

/// Names of backup jobs as administrators tend to write them; `name` is one of these and a
/// number, so names never repeat within a collection.
const JOB_NAMES: &[&str] = &[
    "Exchange Online - daily",
    "SharePoint sites",
    "OneDrive for Business",
    "Teams and groups",
    "Mailboxes - Sales",
    "Mailboxes - Finance",
    "Archive mailboxes",
    "Public folders",
];

/// A plausible, unique (per index) job name.
pub(crate) fn job_name(index: u64) -> String {
    let n = JOB_NAMES.len() as u64;
    let base = JOB_NAMES[(index % n) as usize];
    match index / n {
        0 => base.to_owned(),
        round => format!("{base} {}", round + 1),
    }
}

/// Sets `map["id"]` to `id`, keeping a numeric id numeric when `id` reads as a number.
pub(crate) fn echo_id(map: &mut Map<String, Value>, id: &str) {
    let value = match map.get("id") {
        Some(Value::Number(_)) => id
            .parse::<i64>()
            .map_or_else(|_| Value::from(id), Value::from),
        _ => Value::from(id),
    };
    map.insert("id".to_owned(), value);
}

/// Makes the id of the item at `index` unique within its collection, and all but surely across
/// collections, without looking at the others: `mask` is the collection's own. A uuid's last
/// 48 bits become the index under the mask; any other string gets those 48 bits appended in
/// hex; an integer is the index past an offset the mask picks in `range`.
pub(crate) fn seeded_id(map: &mut Map<String, Value>, mask: u64, index: u64, range: (i64, i64)) {
    let tail = (index ^ mask) & 0xFFFF_FFFF_FFFF;
    match map.get_mut("id") {
        // ASCII, so byte 24 is a character boundary.
        Some(Value::String(id)) if id.len() == 36 && id.is_ascii() => {
            let text = if id.bytes().any(|b| b.is_ascii_uppercase()) {
                format!("{tail:012X}")
            } else {
                format!("{tail:012x}")
            };
            id.replace_range(24.., &text);
        }
        Some(Value::String(id)) => id.push_str(&format!("-{tail:012x}")),
        Some(Value::Number(_)) => {
            map.insert(
                "id".to_owned(),
                Value::from(seeded_integer(mask, index, range)),
            );
        }
        _ => {}
    }
}

/// The integer id of item `index` in `min..=max`: consecutive from an offset `mask` picks, so
/// a collection never repeats one (up to the range's size) and two collections rarely meet.
/// The span stops at 2^53 so that readers holding numbers as doubles (JavaScript) keep the id
/// exact.
fn seeded_integer(mask: u64, index: u64, (min, max): (i64, i64)) -> i64 {
    let width = (i128::from(max) - i128::from(min) + 1).clamp(1, 1 << 53);
    let step = (i128::from(mask) + i128::from(index)) % width;
    min.saturating_add(step as i64)
}

/// Sets `_links.self.href` to `href`: the drawn self link keeps its other properties; with no
/// self link drawn, another drawn link is the template, else `{"href"}`.
pub(crate) fn set_self_link(map: &mut Map<String, Value>, href: String) {
    let links = map
        .entry("_links")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(links) = links else {
        return;
    };
    let mut link = links
        .get("self")
        .or_else(|| links.values().next())
        .filter(|l| l.is_object())
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()));
    if let Value::Object(fields) = &mut link {
        fields.insert("href".to_owned(), Value::String(href));
    }
    links.insert("self".to_owned(), link);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_uuid_is_made_unique_and_stays_a_uuid() {
        let id = "196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5";
        let mut seen = HashSet::from([id.to_owned()]);
        let mut session = serde_json::json!({"id": id.to_ascii_uppercase()});
        unique_id(&mut session, &mut seen, 7);
        let new = session["id"].as_str().unwrap();
        assert_eq!(new.len(), 36, "{new}");
        assert_eq!(new[..24], id.to_ascii_uppercase()[..24]);
        assert_ne!(new.to_ascii_lowercase(), id);
        assert!(seen.contains(&new.to_ascii_lowercase()));
        // When the first rewrite is taken too, the next attempt writes another tail.
        let taken = new.to_ascii_lowercase();
        let mut seen = HashSet::from([id.to_owned(), taken.clone()]);
        let mut session = serde_json::json!({"id": id});
        // On a thread, so that a retry that never moves on fails the test instead of hanging it.
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            unique_id(&mut session, &mut seen, 7);
            sender.send(session).ok();
        });
        let session = receiver
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("a taken rewrite is followed by another");
        let third = session["id"].as_str().unwrap().to_ascii_lowercase();
        assert!(
            third != id && third != taken && third.len() == 36,
            "{third}"
        );
        // The session's own links name the new id; its job link is left alone.
        let mut session = serde_json::json!({"id": id, "_links": {
            "self": {"href": format!("/v5/jobsessions/{id}")},
            "log": {"href": format!("/v5/JobSessions/{id}/logitems")},
            "job": {"href": "/v5/jobs/7"},
        }});
        unique_id(&mut session, &mut HashSet::from([id.to_owned()]), 7);
        let new = session["id"].as_str().unwrap().to_owned();
        assert_eq!(
            session["_links"]["self"]["href"],
            format!("/v5/jobsessions/{new}")
        );
        assert_eq!(session["_links"]["job"]["href"], "/v5/jobs/7");
        // An id that is not a uuid keeps its text and gains a suffix.
        let mut session = serde_json::json!({"id": "job"});
        let mut seen = HashSet::from(["job".to_owned()]);
        unique_id(&mut session, &mut seen, 7);
        assert_eq!(session["id"], "job-7-0");
    }

    #[test]
    fn a_repeated_36_byte_id_that_is_not_ascii_gains_a_suffix() {
        // Byte 24 falls inside the `é`: rewriting from there would split the character.
        let id = format!("{}é{}", "a".repeat(23), "b".repeat(11));
        assert_eq!(id.len(), 36);
        let mut seen = HashSet::from([id.clone()]);
        let mut session = serde_json::json!({ "id": id });
        unique_id(&mut session, &mut seen, 3);
        assert_eq!(session["id"], format!("{id}-3-0"));
    }

    /// The ids `seeded_id` gives items 0..n whose drawn id is `id`, under `mask`.
    fn seeded(id: Value, mask: u64, n: u64, range: (i64, i64)) -> Vec<Value> {
        (0..n)
            .map(|index| {
                let mut map = Map::from_iter([("id".to_owned(), id.clone())]);
                seeded_id(&mut map, mask, index, range);
                map["id"].clone()
            })
            .collect()
    }

    #[test]
    fn seeded_uuids_keep_their_head_and_case_and_take_the_index_under_the_mask() {
        let id = Value::from("196E4DF2-0FAF-4B8E-BA17-CE8C0EB4EDC5");
        let ids = seeded(id, 0xAB_0000_0000_0001, 3, (1, i64::MAX));
        assert_eq!(ids[0], "196E4DF2-0FAF-4B8E-BA17-000000000001");
        assert_eq!(ids[1], "196E4DF2-0FAF-4B8E-BA17-000000000000");
        assert_eq!(ids[2], "196E4DF2-0FAF-4B8E-BA17-000000000003");
    }

    #[test]
    fn seeded_strings_that_are_not_uuids_gain_the_masked_index() {
        let ids = seeded(Value::from("job"), 0x10, 2, (1, i64::MAX));
        assert_eq!(ids, ["job-000000000010", "job-000000000011"]);
    }

    #[test]
    fn seeded_integers_count_up_from_an_offset_the_mask_picks_and_wrap_in_range() {
        let ids = seeded(Value::from(7), 8, 4, (100, 109));
        assert_eq!(ids, [108, 109, 100, 101]);
        // With no maximum the span stops at 2^53.
        let ids = seeded(Value::from(7), (1 << 53) + 5, 2, (1, i64::MAX));
        assert_eq!(ids, [6, 7]);
    }

    #[test]
    fn a_page_s_total_count_is_the_walk_s_total_unless_it_is_null_or_absent() {
        use serde_json::json;
        assert_eq!(
            with_total(json!({"totalCount": 3, "results": []}), 120),
            json!({"totalCount": 120, "results": []})
        );
        assert_eq!(
            with_total(json!({"totalCount": null}), 120),
            json!({"totalCount": null})
        );
        assert_eq!(with_total(json!({"offset": 0}), 120), json!({"offset": 0}));
    }

    #[test]
    fn job_names_do_not_repeat() {
        let names: HashSet<String> = (0..100).map(job_name).collect();
        assert_eq!(names.len(), 100);
        assert_eq!(job_name(0), "Exchange Online - daily");
    }

    #[test]
    fn job_names_go_round_the_list_and_number_each_round_after_the_first() {
        assert_eq!(job_name(1), "SharePoint sites");
        assert_eq!(job_name(7), "Public folders");
        assert_eq!(job_name(8), "Exchange Online - daily 2");
        assert_eq!(job_name(17), "SharePoint sites 3");
    }
}
