//! Rendering: each job's sessions generated once and kept as compact JSON, and pages spliced
//! together from them, so a page costs a copy, not a serialisation.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::{Value, json};

use super::{Fault, Job, MockState};

/// Every session of a job as compact JSON, newest first.
pub(super) type Rendered = Arc<Vec<Box<[u8]>>>;

/// The job's rendered sessions, rendering them (off the async threads) on first use.
pub(super) async fn rendered<'a>(state: &Arc<MockState>, job: &'a Job) -> &'a Rendered {
    job.rendered
        .get_or_init(|| {
            let state = Arc::clone(state);
            let job_id = job.id.clone();
            async move {
                tokio::task::spawn_blocking(move || Arc::new(sessions(&state, &job_id)))
                    .await
                    .unwrap_or_default()
            }
        })
        .await
}

/// Generates and serialises every session of a job (the sessions a busy job will start
/// included), on all cores.
fn sessions(state: &MockState, job_id: &str) -> Vec<Box<[u8]>> {
    let total = state.config.sessions_per_job + state.config.hidden_sessions();
    state.rendered.fetch_add(total, Ordering::Relaxed);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8) as u64;
    let chunk = total.div_ceil(threads).max(1);
    let fault = state.config.fault;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let range = (t * chunk).min(total)..((t + 1) * chunk).min(total);
                scope.spawn(move || {
                    let start = range.start;
                    state
                        .generator
                        .sessions(state.config.seed, job_id, range)
                        .into_iter()
                        .enumerate()
                        .map(|(i, mut session)| {
                            if let Some(fault) = fault {
                                fault.damage(&mut session, start + i as u64);
                            }
                            serde_json::to_vec(&session)
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

/// The page at `offset`/`limit` of `sessions` (the job's collection as it stands): the envelope
/// from the generator with the pre-rendered sessions spliced into its `results`.
pub(super) fn page(
    state: &MockState,
    job_id: &str,
    sessions: &[Box<[u8]>],
    offset: u64,
    limit: u64,
) -> Vec<u8> {
    let total = sessions.len() as u64;
    let fault = state.config.fault;
    let start = if fault == Some(Fault::DuplicateIds) && offset > 0 {
        offset - 1
    } else {
        offset
    }
    .min(total);
    let end = start.saturating_add(limit).min(total);
    let count = (end - start) as usize;
    let seed = state.config.seed;
    let mut envelope = state
        .generator
        .page_envelope(seed, job_id, offset, limit, total, count);
    let base = state.generator.base_url().unwrap_or_default();
    let collection = format!("{base}/v5/Jobs/{job_id}/JobSessions");
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
                        "{base}/v5/JobSessions?offset={}&limit={limit}",
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
    let chosen = &sessions[start as usize..end as usize];
    let size: usize = chosen.iter().map(|s| s.len() + 1).sum();
    let mut body = Vec::with_capacity(head.len() + size + tail.len());
    body.extend_from_slice(&head);
    for (i, session) in chosen.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(session);
    }
    body.extend_from_slice(&tail);
    body
}
