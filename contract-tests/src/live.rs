//! Walking a live server: every page of a job is fetched through a [`PageSource`] (the client's
//! raw page API in practice), verified on its own and as part of the walk, and reported with
//! its URL. The walk pages the job's own collection by offset and limit; `_links.next` is only
//! the signal that more pages exist (DECISIONS.md D10).

use std::future::Future;

use crate::report::{Report, Source};
use crate::rules::{Request, Walk};
use crate::verify::{ContentType, Response, Verifier};

/// One response as it came off the wire.
#[derive(Debug, Clone)]
pub struct RawPage {
    /// The URL requested (no credentials in it).
    pub url: String,
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body bytes.
    pub body: Vec<u8>,
}

/// Where pages come from: anything that can fetch one page of a job's sessions.
pub trait PageSource {
    /// Fetches the page at `offset` with `limit`; `Err` is a transport-level failure in words.
    fn fetch(
        &self,
        job_id: &str,
        offset: u64,
        limit: u64,
    ) -> impl Future<Output = Result<RawPage, String>>;
}

/// How far to walk.
#[derive(Debug, Clone, Copy)]
pub struct WalkPlan {
    /// Sessions per page (the `limit` asked for).
    pub page_size: u64,
    /// Stop after this many pages (the walk-completion rules are then not judged).
    pub max_pages: Option<usize>,
}

/// Upper bound on pages in one walk, so a server that never ends cannot loop us forever.
pub const PAGE_CAP: usize = 1_000_000;

/// Sees each page of a walk as it arrives (to record it, or to count it).
pub trait Observer {
    /// Called with every raw page before it is verified.
    fn page(&mut self, _raw: &RawPage) {}
    /// Called after every page with the running totals (pages, sessions).
    fn progress(&mut self, _pages: usize, _sessions: usize) {}
}

/// An observer that does nothing.
impl Observer for () {}

/// Walks every page of `job_id`, adding one report entry per page.
pub async fn walk_job<S: PageSource>(
    verifier: &Verifier<'_>,
    source: &S,
    job_id: &str,
    plan: WalkPlan,
    report: &mut Report,
    observer: &mut dyn Observer,
) {
    let mut walk = Walk::new(Some(0));
    let mut offset = 0u64;
    let mut truncated = false;
    loop {
        let raw = match source.fetch(job_id, offset, plan.page_size).await {
            Ok(raw) => raw,
            Err(message) => {
                report.input_problem(format!("job {job_id} at offset {offset}"), message);
                return;
            }
        };
        observer.page(&raw);
        let request = Request {
            job_id: Some(job_id.to_owned()),
            offset: Some(offset),
            limit: Some(plan.page_size),
        };
        let response = Response {
            status: raw.status,
            content_type: raw
                .content_type
                .as_deref()
                .map_or(ContentType::Missing, ContentType::Value),
            body: &raw.body,
        };
        let verdict = verifier.verify_in_walk(&response, &request, &mut walk);
        let facts = verdict.facts.clone();
        report.push(
            Source::live(raw.url, job_id, offset),
            verdict.sessions,
            verdict.findings,
        );
        observer.progress(report.pages(), report.sessions());
        let Some(facts) = facts else { return };
        if plan.max_pages.is_some_and(|max| walk.pages() >= max) || walk.pages() >= PAGE_CAP {
            // Stopped on purpose: whether this page should have been the last is not judged.
            truncated = true;
            break;
        }
        if facts.count() == 0 || facts.is_short() || !facts.has_next {
            break;
        }
        offset += plan.page_size;
    }
    if !truncated {
        let mut findings = Vec::new();
        walk.finish(&mut findings);
        if let Some(last) = report.entries.last_mut() {
            last.findings.extend(findings);
        }
    }
}

/// The client's raw page API is a page source: sign-in, refresh and retries happen inside it.
impl PageSource for vbo_client::Client {
    async fn fetch(&self, job_id: &str, offset: u64, limit: u64) -> Result<RawPage, String> {
        let job: uuid::Uuid = job_id
            .parse()
            .map_err(|_| format!("job id {job_id:?} is not a uuid"))?;
        let offset = u32::try_from(offset).map_err(|_| format!("offset {offset} is too large"))?;
        let limit = u32::try_from(limit).map_err(|_| format!("limit {limit} is too large"))?;
        let raw = self
            .fetch_page_raw(job, offset, limit)
            .await
            .map_err(|e| e.to_string())?;
        Ok(RawPage {
            url: raw.request_url.to_string(),
            status: raw.status.as_u16(),
            content_type: raw.content_type().map(str::to_owned),
            body: raw.body.to_vec(),
        })
    }
}
