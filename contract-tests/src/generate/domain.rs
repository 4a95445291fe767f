//! The domain layer: what the schema cannot say, keyed by the name of the item's component
//! schema. `JobSession`: ids unique per job, links named after the session and its job, the
//! walk's total. `Job`: the mock's job ids, a plausible unique `name`, a self link naming the
//! id. Any other schema: a unique `id` when it has one, a self link naming it when it has
//! `_links`.

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

pub(crate) fn set_ids_in_links(map: &mut Map<String, Value>, id: &str) {
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

/// Makes the id of the item at `index` unique within its collection without looking at the
/// others: a uuid's last 48 bits become the index under `mask` (as for sessions), an integer
/// becomes `min + index`, any other string gets the index appended.
pub(crate) fn seeded_id(map: &mut Map<String, Value>, mask: u64, index: u64, min: i64) {
    match map.get_mut("id") {
        Some(Value::String(id)) if id.len() == 36 => {
            let mut value = Value::String(std::mem::take(id));
            stamp_id(&mut value, mask, index);
            map.insert("id".to_owned(), value);
        }
        Some(Value::String(id)) => id.push_str(&format!("-{index}")),
        Some(Value::Number(_)) => {
            map.insert(
                "id".to_owned(),
                Value::from(min.saturating_add(index as i64)),
            );
        }
        _ => {}
    }
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
        unique_id(&mut session, &mut seen, 7);
        let third = session["id"].as_str().unwrap().to_ascii_lowercase();
        assert!(
            third != id && third != taken && third.len() == 36,
            "{third}"
        );
        // An id that is not a uuid keeps its text and gains a suffix.
        let mut session = serde_json::json!({"id": "job"});
        let mut seen = HashSet::from(["job".to_owned()]);
        unique_id(&mut session, &mut seen, 7);
        assert_eq!(session["id"], "job-7-0");
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
