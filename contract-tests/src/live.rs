//! Walking a live server: every page of a job is fetched through a [`PageSource`] (the client's
//! raw page API in practice), verified on its own and as part of the walk, and reported with
//! its URL. The walk pages the job's own collection by offset and limit; `_links.next` is only
//! the signal that more pages exist (DECISIONS.md D10).

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::exchange::Exchange;
use crate::finding::{Finding, Rule};
use crate::operation::Operation;
use crate::report::{Report, Source, Transient};
use crate::rules::{Growth, PageFacts, Request, Walk};
use crate::verify::Verifier;

/// Where responses come from: anything that can `GET` a target of the server the user named.
pub trait PageSource {
    /// Fetches `target`, an origin-relative path and query built from the document's path
    /// template (`/v5/Jobs/{id}/JobSessions?offset=0&limit=1000`); `Err` is a transport-level
    /// failure in words. A redirect comes back as it is (status and `Location`), never followed.
    fn get(&self, target: &str) -> impl Future<Output = Result<Exchange, String>>;

    /// Starts fetching `target` ahead of need where the source can, so that a walk verifies
    /// page n while page n+1 travels (the client spawns the request on the runtime); dropping
    /// the future abandons the fetch. The default fetches only when first polled.
    fn prefetch(&self, target: String) -> impl Future<Output = Result<Exchange, String>> {
        async move { self.get(&target).await }
    }

    /// The transient faults the source absorbed since it was made (cumulative: retries,
    /// waits, new sign-ins), one entry per kind; a source that absorbs none has none.
    fn transient(&self) -> Vec<Transient> {
        Vec::new()
    }
}

/// The target of one page of a paged collection at `path`.
fn page_target(path: &str, offset: u64, limit: u64) -> String {
    format!("{path}?offset={offset}&limit={limit}")
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

/// Walks every page of the sessions of `job_id` (the default operation); see [`walk`].
pub async fn walk_job<S: PageSource>(
    verifier: &Verifier<'_>,
    source: &S,
    job_id: &str,
    plan: WalkPlan,
    report: &mut Report,
    observer: &mut dyn Observer,
) {
    let operation = verifier.contract().default_operation();
    let params = BTreeMap::from([(crate::rules::JOB_ID.to_owned(), job_id.to_owned())]);
    walk(verifier, source, operation, &params, plan, report, observer).await;
}

/// Fetches `operation` for `params` and verifies it: every page of a paged operation (one
/// report entry per page; the walk's closing findings go on its pages), or the one response of
/// any other; the transient faults the source absorbed meanwhile go on the report. Runs inside
/// a Tokio runtime with its time driver (the walk's time bound is a Tokio timeout).
pub async fn walk<S: PageSource>(
    verifier: &Verifier<'_>,
    source: &S,
    operation: &Operation,
    params: &BTreeMap<String, String>,
    plan: WalkPlan,
    report: &mut Report,
    observer: &mut dyn Observer,
) {
    let Some(path) = operation.path_for(params) else {
        report.input_problem(
            operation.label(),
            format!(
                "no value for its path parameters {:?}",
                operation.path_parameters()
            ),
        );
        return;
    };
    // Input problems and sources name the walk by its job (the one path parameter) or path.
    let label = match params.values().next() {
        Some(value) if params.len() == 1 && operation.paging().is_some() => value.clone(),
        _ => path.clone(),
    };
    let mut request = Request {
        operation: Some(operation.id().to_owned()),
        params: params.clone(),
        ..Request::default()
    };
    if operation.paging().is_none() {
        single(verifier, source, &path, &request, plan, report, observer).await;
        return;
    }
    let job_id = label.as_str();
    if plan.max_pages == Some(0) {
        return;
    }
    let before = source.transient();
    let started = Instant::now();
    let first_entry = report.entries.len();
    let mut walk = Walk::new(Some(0));
    let mut offset = 0u64;
    let mut sessions = 0u64;
    let mut prefetched = None;
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
        let fetched = match prefetched.take() {
            Some(ahead) => tokio::time::timeout(remaining, ahead).await,
            None => {
                let target = page_target(&path, offset, plan.page_size);
                tokio::time::timeout(remaining, source.get(&target)).await
            }
        };
        let raw = match fetched {
            Ok(Ok(raw)) => raw,
            Ok(Err(message)) => {
                report.input_problem(format!("job {job_id} at offset {offset}"), message);
                break End::Failed;
            }
            Err(_) => break End::Bound(time_bound()),
        };
        observer.page(&raw);
        // One page ahead: when this page says more follow and no bound stops the walk here,
        // the next one is asked for now and travels while this one is verified. Should the
        // verdict end the walk after all (a loop), the request is abandoned.
        let next_offset = offset.checked_add(plan.page_size);
        if let (Some(next), Some(light)) = (next_offset, LightFacts::of(&raw))
            && light.continues()
            && plan.max_pages.is_none_or(|max| walk.pages() + 1 < max)
            && walk.pages() + 1 < PAGE_CAP
            && sessions.saturating_add(light.count) < plan.max_sessions
        {
            let target = page_target(&path, next, plan.page_size);
            prefetched = Some(Box::pin(source.prefetch(target)));
        }
        request.offset = Some(offset);
        request.limit = Some(plan.page_size);
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
            last_look(source, &path, &walk, plan, started).await
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

/// Verifies a whole server as the document describes it: every `GET` operation without path
/// parameters once (walked, if paged), then every `GET` operation with one path parameter for
/// each value its listing gave (`GET /v5/Jobs` lists the jobs whose sessions are walked).
/// Operations whose parameters nothing lists are named in a report note, not guessed.
pub async fn walk_server<S: PageSource>(
    verifier: &Verifier<'_>,
    source: &S,
    plan: WalkPlan,
    report: &mut Report,
    observer: &mut dyn Observer,
) {
    let contract = verifier.contract();
    let gets: Vec<&Operation> = contract
        .operations()
        .iter()
        .filter(|op| op.method() == "GET")
        .collect();
    let mut listed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for operation in gets.iter().filter(|op| op.path_parameters().is_empty()) {
        let ids = list(verifier, source, operation, plan, report, observer).await;
        listed.insert(operation.id().to_owned(), ids);
    }
    for operation in gets.iter().filter(|op| !op.path_parameters().is_empty()) {
        let listing = contract.listing_for(operation);
        let Some(ids) = listing.and_then(|l| listed.get(l.id())) else {
            report.note(format!(
                "{} was not walked: no operation of the contract lists its {}",
                operation.label(),
                operation.path_parameters().join(", ")
            ));
            continue;
        };
        let name = &operation.path_parameters()[0];
        for id in ids {
            let params = BTreeMap::from([(name.clone(), id.clone())]);
            walk(verifier, source, operation, &params, plan, report, observer).await;
        }
    }
}

/// Fetches an operation with no path parameters (every page of it, when paged) and returns the
/// `id`s of its items, in order, for the operations it lists.
async fn list<S: PageSource>(
    verifier: &Verifier<'_>,
    source: &S,
    operation: &Operation,
    plan: WalkPlan,
    report: &mut Report,
    observer: &mut dyn Observer,
) -> Vec<String> {
    let mut collector = IdCollector {
        inner: observer,
        ids: Vec::new(),
        seen: std::collections::HashSet::new(),
    };
    walk(
        verifier,
        source,
        operation,
        &BTreeMap::new(),
        plan,
        report,
        &mut collector,
    )
    .await;
    collector.ids
}

/// Passes pages on to an observer and keeps the `id`s of the items of successful ones.
struct IdCollector<'o> {
    inner: &'o mut dyn Observer,
    ids: Vec<String>,
    seen: std::collections::HashSet<String>,
}

impl Observer for IdCollector<'_> {
    fn page(&mut self, raw: &Exchange) {
        self.inner.page(raw);
        if raw.status != 200 {
            return;
        }
        let Ok(body) = serde_json::from_slice::<Value>(&raw.body) else {
            return;
        };
        let items = match &body {
            Value::Array(items) => items.as_slice(),
            _ => body
                .get("results")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice),
        };
        for id in items.iter().filter_map(|item| item.get("id")?.as_str()) {
            if self.seen.insert(id.to_ascii_lowercase()) {
                self.ids.push(id.to_owned());
            }
        }
    }

    fn progress(&mut self, pages: usize, sessions: usize) {
        self.inner.progress(pages, sessions);
    }
}

/// Fetches and verifies the one response of an operation that is not paged.
async fn single<S: PageSource>(
    verifier: &Verifier<'_>,
    source: &S,
    path: &str,
    request: &Request,
    plan: WalkPlan,
    report: &mut Report,
    observer: &mut dyn Observer,
) -> Option<Exchange> {
    let before = source.transient();
    let raw = match tokio::time::timeout(plan.max_time, source.get(path)).await {
        Ok(Ok(raw)) => raw,
        Ok(Err(message)) => {
            report.input_problem(path.to_owned(), message);
            return None;
        }
        Err(_) => {
            report.input_problem(
                path.to_owned(),
                format!(
                    "no response within {} s (--max-walk-time)",
                    plan.max_time.as_secs()
                ),
            );
            return None;
        }
    };
    observer.page(&raw);
    let verdict = verifier.verify(&raw.response(), request);
    report.push(
        Source::new(raw.target().unwrap_or_default()),
        verdict.sessions,
        verdict.findings,
    );
    observer.progress(report.pages(), report.sessions());
    report.add_transient(since(&before, source.transient()));
    Some(raw)
}

/// What decides whether a walk goes on, read from a page's bytes without building it: the
/// number of `results`, the `limit` and whether `_links.next` is there. Only a hint for asking
/// ahead; the verdict on the whole page still decides.
#[derive(Debug, Default, serde::Deserialize)]
struct LightFacts {
    #[serde(default)]
    limit: Option<u64>,
    #[serde(default, rename = "results", deserialize_with = "count_items")]
    count: u64,
    #[serde(default, rename = "_links")]
    links: Option<LightLinks>,
}

/// `_links`, as far as [`LightFacts`] looks.
#[derive(Debug, Default, serde::Deserialize)]
struct LightLinks {
    #[serde(default)]
    next: Option<serde::de::IgnoredAny>,
}

/// The length of an array, its items skipped unread.
fn count_items<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    struct Count;
    impl<'de> serde::de::Visitor<'de> for Count {
        type Value = u64;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an array")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
            let mut n = 0u64;
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                n += 1;
            }
            Ok(n)
        }
    }
    deserializer.deserialize_seq(Count)
}

impl LightFacts {
    /// The facts of a 200 response whose body reads as a page; `None` otherwise.
    fn of(raw: &Exchange) -> Option<Self> {
        if raw.status != 200 {
            return None;
        }
        serde_json::from_slice(&raw.body).ok()
    }

    /// Whether the walk would go on after this page: full, with a next link.
    fn continues(&self) -> bool {
        let has_next = self.links.as_ref().is_some_and(|l| l.next.is_some());
        self.count > 0 && self.limit.is_none_or(|limit| self.count >= limit) && has_next
    }
}

/// After a walk saw the collection shift, one more look at its first page: new sessions at its
/// head explain the shift; none mean the server repeated sessions on its own.
async fn last_look<S: PageSource>(
    source: &S,
    path: &str,
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
    let target = format!("{path}?offset=0&limit={}", plan.page_size);
    let raw = match tokio::time::timeout(remaining, source.get(&target)).await {
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

/// The client's raw API is a page source: sign-in, refresh and retries happen inside it.
impl PageSource for vbo_client::Client {
    async fn get(&self, target: &str) -> Result<Exchange, String> {
        let raw = self.get_raw(target).await.map_err(|e| e.to_string())?;
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

    /// Spawned on the runtime, so the request runs while the walk verifies the page before.
    fn prefetch(&self, target: String) -> impl Future<Output = Result<Exchange, String>> {
        let client = self.clone();
        let task = Abandon(tokio::spawn(async move {
            <vbo_client::Client as PageSource>::get(&client, &target).await
        }));
        async move {
            let mut task = task;
            (&mut task.0)
                .await
                .map_err(|e| format!("the fetch ahead failed: {e}"))?
        }
    }

    /// The client's log of absorbed faults, cumulative since it was built.
    fn transient(&self) -> Vec<Transient> {
        let log = self.transient_log();
        // `counts` names only the kinds that happened.
        log.counts()
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

/// A spawned fetch that is aborted when dropped (a walk that ended needs no page ahead).
struct Abandon<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for Abandon<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Notes what reaches it.
    #[derive(Default)]
    struct Noted {
        pages: Vec<u16>,
        progress: Vec<(usize, usize)>,
    }

    impl Observer for Noted {
        fn page(&mut self, raw: &Exchange) {
            self.pages.push(raw.status);
        }
        fn progress(&mut self, pages: usize, sessions: usize) {
            self.progress.push((pages, sessions));
        }
    }

    #[test]
    fn a_listing_passes_pages_and_progress_on_and_keeps_each_id_of_a_200_once() {
        let mut noted = Noted::default();
        let mut collector = IdCollector {
            inner: &mut noted,
            ids: Vec::new(),
            seen: std::collections::HashSet::new(),
        };
        let body = |text: &str| text.as_bytes().to_vec();
        let listed = body(r#"{"results": [{"id": "A"}, {"id": "a"}, {"id": "B"}]}"#);
        collector.page(&Exchange::get("/v5/Jobs", 200, Vec::new(), listed));
        let failed = body(r#"{"results": [{"id": "C"}]}"#);
        collector.page(&Exchange::get("/v5/Jobs", 500, Vec::new(), failed));
        collector.progress(2, 3);
        assert_eq!(collector.ids, ["A", "B"]);
        assert_eq!(noted.pages, [200, 500]);
        assert_eq!(noted.progress, [(2, 3)]);
    }
}
