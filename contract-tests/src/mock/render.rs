//! Rendering: each collection's items generated once and kept as compact JSON, and pages and
//! lists spliced together from them, so a page costs a copy, not a serialisation.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::{Value, json};

use super::served::{Collection, Served};
use super::{Fault, MockState};
use crate::generate::BodyKind;

/// Every item of a collection as compact JSON, in collection order (sessions newest first).
pub(super) type Rendered = Arc<Vec<Box<[u8]>>>;

/// The collection's rendered items, rendering them (off the async threads) on first use.
pub(super) async fn rendered<'a>(
    state: &Arc<MockState>,
    op: &Served,
    collection: &'a Collection,
) -> &'a Rendered {
    let index = state
        .operations
        .iter()
        .position(|o| std::ptr::eq(o, op))
        .unwrap_or_default();
    collection
        .rendered
        .get_or_init(|| {
            let state = Arc::clone(state);
            let parent = collection.parent.clone();
            async move {
                tokio::task::spawn_blocking(move || {
                    Arc::new(items(&state, &state.operations[index], &parent))
                })
                .await
                .unwrap_or_default()
            }
        })
        .await
}

/// A collection under a parent the mock cannot know, rendered for one request and not kept.
pub(super) async fn unkept(
    state: &Arc<MockState>,
    op: &Served,
    parent: &str,
) -> (Collection, Rendered) {
    let collection = Collection::new(parent);
    let rendered = self::rendered(state, op, &collection).await.clone();
    (collection, rendered)
}

/// Generates and serialises every item of the collection of `op` under `parent` (the items a
/// busy collection will gain included), on all cores: the mock's jobs for a collection of
/// `Job`s, `sessions_per_job` items otherwise.
fn items(state: &MockState, op: &Served, parent: &str) -> Vec<Box<[u8]>> {
    let Some(generator) = &op.generator else {
        return Vec::new();
    };
    let seed = state.config.seed;
    if op.lists_jobs() {
        return state
            .job_ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let job = generator.item_with_id(seed, parent, i as u64, id);
                serde_json::to_vec(&job)
                    .unwrap_or_default()
                    .into_boxed_slice()
            })
            .collect();
    }
    let total = state.config.sessions_per_job + state.config.hidden_sessions(op.fault);
    if generator.kind() == BodyKind::Page {
        state.rendered.fetch_add(total, Ordering::Relaxed);
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8) as u64;
    let chunk = total.div_ceil(threads).max(1);
    let fault = op.fault;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let range = (t * chunk).min(total)..((t + 1) * chunk).min(total);
                scope.spawn(move || {
                    let start = range.start;
                    generator
                        .sessions(seed, parent, range)
                        .into_iter()
                        .enumerate()
                        .map(|(i, mut item)| {
                            if let Some(fault) = fault {
                                fault.damage(&mut item, start + i as u64);
                            }
                            serde_json::to_vec(&item)
                                .unwrap_or_default()
                                .into_boxed_slice()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    })
}

/// Item `index` of the collection of operation `holder` under `parent`, as generated before any
/// fault damaged it: what a single-item operation serves for an id that collection holds.
pub(super) fn item(state: &MockState, holder: usize, parent: &str, index: u64) -> Vec<u8> {
    let op = &state.operations[holder];
    let Some(generator) = &op.generator else {
        return Vec::new();
    };
    let item = generator.session(state.config.seed, parent, index);
    serde_json::to_vec(&item).unwrap_or_default()
}

/// The whole collection as a JSON array.
pub(super) fn list(items: &[Box<[u8]>]) -> Vec<u8> {
    spliced(b"[".to_vec(), items, b"]")
}

/// `head`, then the pre-rendered `items` separated by commas, then `tail`. The body grows as
/// it goes rather than from a computed capacity: a few reallocations cost nothing beside the
/// socket, and a size sum is arithmetic that no test can tell from a wrong one.
fn spliced(mut body: Vec<u8>, items: &[Box<[u8]>], tail: &[u8]) -> Vec<u8> {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(item);
    }
    body.extend_from_slice(tail);
    body
}

/// Where a broken `next` points: out of the collection (`/v5/JobSessions` for the sessions of
/// a job, the seed's form): the first and last segments of the path, or one more segment when
/// that is the path itself.
fn elsewhere(path: &str) -> String {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let outside = match segments.as_slice() {
        [first, .., last] => format!("/{first}/{last}"),
        _ => path.to_owned(),
    };
    if outside.eq_ignore_ascii_case(path) {
        format!("{path}/elsewhere")
    } else {
        outside
    }
}

/// The page at `offset`/`limit` of `items` (the collection as it stands): the envelope from the
/// generator with the pre-rendered items spliced into its `results`.
pub(super) fn page(
    state: &MockState,
    op: &Served,
    parent: &str,
    items: &[Box<[u8]>],
    offset: u64,
    limit: u64,
) -> Vec<u8> {
    let Some(generator) = &op.generator else {
        return Vec::new();
    };
    let total = items.len() as u64;
    let fault = op.fault;
    let start = if fault == Some(Fault::DuplicateIds) && offset > 0 {
        offset - 1
    } else {
        offset
    }
    .min(total);
    let end = start.saturating_add(limit).min(total);
    let count = (end - start) as usize;
    let seed = state.config.seed;
    let mut envelope = generator.page_envelope(seed, parent, offset, limit, total, count);
    let base = generator.base_url().unwrap_or_default();
    let collection = format!("{base}{}", generator.collection_path(parent));
    if let Value::Object(page) = &mut envelope {
        let links = page.entry("_links").or_insert_with(|| json!({}));
        if let Value::Object(links) = links {
            links.entry("self").or_insert_with(
                || json!({ "href": format!("{collection}?offset={offset}&limit={limit}") }),
            );
            if fault == Some(Fault::BrokenNext)
                && let Some(Value::Object(next)) = links.get_mut("next")
            {
                next.insert(
                    "href".to_owned(),
                    Value::String(format!(
                        "{base}{}?offset={}&limit={limit}",
                        elsewhere(&op.path),
                        offset + limit
                    )),
                );
            }
        }
    }
    let mut head = serde_json::to_vec(&envelope).unwrap_or_default();
    const EMPTY: &[u8] = br#""results":[]"#;
    let Some(at) = head.windows(EMPTY.len()).position(|w| w == EMPTY) else {
        return head;
    };
    let tail = head.split_off(at + EMPTY.len() - 1);
    spliced(head, &items[start as usize..end as usize], &tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_next_leaves_the_collection() {
        assert_eq!(elsewhere("/v5/Jobs/{jobId}/JobSessions"), "/v5/JobSessions");
        assert_eq!(elsewhere("/v5/Jobs"), "/v5/Jobs/elsewhere");
        assert_eq!(elsewhere("/Jobs"), "/Jobs/elsewhere");
    }
}
