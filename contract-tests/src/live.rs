//! Walking a live server: every page of a job is fetched through a [`PageSource`] (the client's
//! raw page API in practice), verified on its own and as part of the walk, and reported with
//! its URL. The walk pages the job's own collection by offset and limit; `_links.next` is only
//! the signal that more pages exist (DECISIONS.md D10).

use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::exchange::Exchange;
use crate::finding::{Finding, Rule};
use crate::report::{Report, Source, Transient};
use crate::rules::{Growth, PageFacts, Request, Walk};
use crate::verify::Verifier;

/// Where pages come from: anything that can fetch one page of a job's sessions.
pub trait PageSource {
    /// Fetches the page at `offset` with `limit`; `Err` is a transport-level failure in words.
    /// A redirect comes back as it is (status and `Location`), never followed. The exchange's
    /// request is `GET <url>` (no credentials in the URL).
    fn fetch(
        &self,
        job_id: &str,
        offset: u64,
        limit: u64,
    ) -> impl Future<Output = Result<Exchange, String>>;

    /// The transient faults the source absorbed since it was made (cumulative: retries,
    /// waits, new sign-ins), one entry per kind; a source that absorbs none has none.
    fn transient(&self) -> Vec<Transient> {
        Vec::new()
    }
}

/// Sessions one walk reads at most unless told otherwise (`--max-sessions`).
pub const DEFAULT_MAX_SESSIONS: u64 = 10_000_000;

/// Time one walk takes at most unless told otherwise (`--max-walk-time`).
pub const DEFAULT_MAX_WALK_TIME: Duration = Duration::from_secs(3600);

/// How far to walk.
#[derive(Debug, Clone, Copy)]
pub struct WalkPlan {
    /// Sessions per page (the `limit` asked for).
    pub page_size: u64,
    /// Stop after this many pages (the walk-completion rules are then not judged); `Some(0)`
    /// fetches nothing.
    pub max_pages: Option<usize>,
    /// A walk that reaches this many sessions with more to come ends with a `walk-bound` warning.
    pub max_sessions: u64,
    /// A walk still going after this long ends with a `walk-bound` warning (a fetch in flight
    /// is abandoned).
    pub max_time: Duration,
}

impl Default for WalkPlan {
    fn default() -> Self {
        Self {
            page_size: 1000,
            max_pages: None,
            max_sessions: DEFAULT_MAX_SESSIONS,
            max_time: DEFAULT_MAX_WALK_TIME,
        }
    }
}

/// Upper bound on pages in one walk, so a server that never ends cannot loop us forever.
pub const PAGE_CAP: usize = 1_000_000;

/// Sees each page of a walk as it arrives (to record it, or to count it).
pub trait Observer {
    /// Called with every raw page before it is verified.
    fn page(&mut self, _raw: &Exchange) {}
    /// Called after every page with the running totals (pages, sessions).
    fn progress(&mut self, _pages: usize, _sessions: usize) {}
}

/// An observer that does nothing.
impl Observer for () {}

/// How a walk ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum End {
    /// The server's last page, an unreadable page, a redirect or a loop: judged as it is.
    Finished,
    /// `max_pages`: stopped on purpose, so whether the last page should have been the last is
    /// not judged.
    Stopped,
    /// A bound (sessions, time, pages) cut the walk short: a `walk-bound` warning says which.
    Bound(String),
    /// The transport failed (an input problem is recorded).
    Failed,
}

/// Walks every page of `job_id`, adding one report entry per page; the walk's closing findings
/// go on its pages, and the transient faults the source absorbed meanwhile on the report. Runs
/// inside a Tokio runtime with its time driver (the walk's time bound is a Tokio timeout).
pub async fn walk_job<S: PageSource>(
    verifier: &Verifier<'_>,
    source: &S,
    job_id: &str,
    plan: WalkPlan,
    report: &mut Report,
    observer: &mut dyn Observer,
) {
    if plan.max_pages == Some(0) {
        return;
    }
    let before = source.transient();
    let started = Instant::now();
    let first_entry = report.entries.len();
    let mut walk = Walk::new(Some(0));
    let mut offset = 0u64;
    let mut sessions = 0u64;
    let time_bound = || {
        format!(
            "the walk was still going after {} s (--max-walk-time); it stops here",
            plan.max_time.as_secs()
        )
    };
    let end = loop {
        let Some(remaining) = plan
            .max_time
            .checked_sub(started.elapsed())
            .filter(|r| !r.is_zero())
        else {
            break End::Bound(time_bound());
        };
        let fetched =
            tokio::time::timeout(remaining, source.fetch(job_id, offset, plan.page_size)).await;
        let raw = match fetched {
            Ok(Ok(raw)) => raw,
            Ok(Err(message)) => {
                report.input_problem(format!("job {job_id} at offset {offset}"), message);
                break End::Failed;
            }
            Err(_) => break End::Bound(time_bound()),
        };
        observer.page(&raw);
        let request = Request {
            job_id: Some(job_id.to_owned()),
            offset: Some(offset),
            limit: Some(plan.page_size),
        };
        let verdict = verifier.verify_in_walk(&raw.response(), &request, &mut walk);
        let facts = verdict.facts.clone();
        report.push(
            Source::live(raw.target().unwrap_or_default(), job_id, offset),
            verdict.sessions,
            verdict.findings,
        );
        observer.progress(report.pages(), report.sessions());
        // Not a page (an error status, a redirect, not JSON): nothing tells where to go next.
        let Some(facts) = facts else {
            break End::Finished;
        };
        if walk.looped() {
            break End::Finished;
        }
        sessions = sessions.saturating_add(facts.count() as u64);
        if plan.max_pages.is_some_and(|max| walk.pages() >= max) {
            break End::Stopped;
        }
        if facts.count() == 0 || facts.is_short() || !facts.has_next {
            break End::Finished;
        }
        if walk.pages() >= PAGE_CAP {
            break End::Bound(format!(
                "the walk reached {PAGE_CAP} pages and the server still had more; it stops here"
            ));
        }
        if sessions >= plan.max_sessions {
            break End::Bound(format!(
                "the walk reached {sessions} sessions (--max-sessions {}) and the server still had more; it stops here",
                plan.max_sessions
            ));
        }
        let Some(next) = offset.checked_add(plan.page_size) else {
            break End::Bound("the next offset would pass 2^64; the walk stops here".into());
        };
        offset = next;
    };
    let this_walk = first_entry..report.entries.len();
    if this_walk.is_empty() {
        if let End::Bound(message) = end {
            report.input_problem(format!("job {job_id} at offset {offset}"), message);
        }
    } else {
        let growth = if walk.repeats() > 0 {
            last_look(source, job_id, &walk, plan, started).await
        } else {
            Growth::Unknown
        };
        let mask = verifier.options().mask_values;
        for (page, mut finding) in walk.close(growth, end == End::Finished) {
            // Walk findings quote ids: shown or masked as the page findings were.
            finding.settle(mask);
            // Every page of the walk made one entry, in order.
            if let Some(entry) = report.entries.get_mut(first_entry + page.max(1) - 1) {
                entry.findings.push(finding);
            }
        }
        if let End::Bound(message) = end
            && let Some(last) = report.entries.last_mut()
        {
            last.findings
                .push(Finding::new(Rule::WalkBound, "", message));
        }
    }
    report.add_transient(since(&before, source.transient()));
}

/// After a walk saw the collection shift, one more look at its first page: new sessions at its
/// head explain the shift; none mean the server repeated sessions on its own.
async fn last_look<S: PageSource>(
    source: &S,
    job_id: &str,
    walk: &Walk,
    plan: WalkPlan,
    started: Instant,
) -> Growth {
    let Some(remaining) = plan
        .max_time
        .checked_sub(started.elapsed())
        .filter(|r| !r.is_zero())
    else {
        return Growth::Unknown;
    };
    let raw = match tokio::time::timeout(remaining, source.fetch(job_id, 0, plan.page_size)).await {
        Ok(Ok(raw)) if raw.status == 200 => raw,
        _ => return Growth::Unknown,
    };
    match serde_json::from_slice::<Value>(&raw.body) {
        Ok(page) => walk.growth(&PageFacts::of(&page).ids),
        Err(_) => Growth::Unknown,
    }
}

/// The faults absorbed since `before` (both cumulative, by kind).
fn since(before: &[Transient], after: Vec<Transient>) -> Vec<Transient> {
    after
        .into_iter()
        .filter_map(|mut fault| {
            let earlier = before
                .iter()
                .find(|b| b.kind == fault.kind)
                .map_or(0, |b| b.count);
            fault.count = fault.count.saturating_sub(earlier);
            (fault.count > 0).then_some(fault)
        })
        .collect()
}

/// The client's raw page API is a page source: sign-in, refresh and retries happen inside it.
impl PageSource for vbo_client::Client {
    async fn fetch(&self, job_id: &str, offset: u64, limit: u64) -> Result<Exchange, String> {
        let job: uuid::Uuid = job_id
            .parse()
            .map_err(|_| format!("job id {job_id:?} is not a uuid"))?;
        let offset = u32::try_from(offset).map_err(|_| format!("offset {offset} is too large"))?;
        let limit = u32::try_from(limit).map_err(|_| format!("limit {limit} is too large"))?;
        let raw = self
            .fetch_page_raw(job, offset, limit)
            .await
            .map_err(|e| e.to_string())?;
        let headers = raw
            .headers
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_owned(), value)
            })
            .collect();
        Ok(Exchange::get(
            raw.request_url.to_string(),
            raw.status.as_u16(),
            headers,
            // Moves the bytes when the client holds no other reference (no second copy).
            Vec::from(raw.body),
        ))
    }

    /// The client's log of absorbed faults, cumulative since it was built.
    fn transient(&self) -> Vec<Transient> {
        let log = self.transient_log();
        log.counts()
            .filter(|(_, count)| *count > 0)
            .map(|(kind, count)| {
                let first = log.first(kind);
                Transient {
                    kind: kind.id().to_owned(),
                    count,
                    first_url: first.map(|e| e.url.clone()).unwrap_or_default(),
                    first_detail: first.map(|e| e.detail.clone()).unwrap_or_default(),
                }
            })
            .collect()
    }
}
