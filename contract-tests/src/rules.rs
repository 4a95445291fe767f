//! The rules beyond JSON Schema: what a page must satisfy on its own (`page`) and what the pages
//! of one walk must satisfy together (`Walk`). Each finding carries its rule's stable id.

use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};

use chrono::DateTime;
use serde_json::Value;

use crate::finding::{Finding, Rule, payload};
use crate::operation::{Body, Operation};
use crate::seen::SeenIds;

/// What the client asked for, when known; rules that compare against it are skipped otherwise.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// The `operationId` the request was routed to; `None` for the default operation (a bare
    /// body is judged as a page of job sessions).
    pub operation: Option<String>,
    /// The path parameters, by name (`jobId`).
    pub params: BTreeMap<String, String>,
    /// The requested `offset`.
    pub offset: Option<u64>,
    /// The requested `limit`.
    pub limit: Option<u64>,
}

impl Request {
    /// A request for the sessions of `job_id` (the default operation), offset and limit unknown.
    pub fn for_job(job_id: impl Into<String>) -> Self {
        Self {
            params: BTreeMap::from([(JOB_ID.to_owned(), job_id.into())]),
            ..Self::default()
        }
    }

    /// The same request with `offset` and `limit`.
    pub fn with_page(mut self, offset: Option<u64>, limit: Option<u64>) -> Self {
        self.offset = offset;
        self.limit = limit;
        self
    }

    /// The `offset` and `limit` of a query string (`offset=30&limit=10`); other keys are ignored.
    pub fn from_query(query: &str) -> Self {
        let mut request = Self::default();
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("offset", v)) => request.offset = v.parse().ok(),
                Some(("limit", v)) => request.limit = v.parse().ok(),
                _ => {}
            }
        }
        request
    }

    /// The value of path parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// The job the request names (path parameter `jobId`), when it names one.
    pub fn job_id(&self) -> Option<&str> {
        self.param(JOB_ID)
    }
}

/// The path parameter that names a job.
pub const JOB_ID: &str = "jobId";

/// The facts of one page the walk rules need, taken from a page that parsed as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageFacts {
    /// The page's `offset`, if it is a non-negative integer.
    pub offset: Option<u64>,
    /// The page's `limit`, if it is a non-negative integer.
    pub limit: Option<u64>,
    /// The session ids on the page, in order (`None` where an item has no string id).
    pub ids: Vec<Option<String>>,
    /// Whether the page has `_links.next`.
    pub has_next: bool,
    /// A hash of each session's `creationTime` text, in order (`None` where it is not a
    /// string): with the id it tells the same session served twice from a different one that
    /// took its id.
    pub created: Vec<Option<u64>>,
}

impl PageFacts {
    /// Reads the facts from a parsed page.
    pub fn of(page: &Value) -> Self {
        let items = page
            .get("results")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let text =
            |s: &'_ Value, name: &str| s.get(name).and_then(Value::as_str).map(str::to_owned);
        Self {
            offset: page.get("offset").and_then(Value::as_u64),
            limit: page.get("limit").and_then(Value::as_u64),
            ids: items.iter().map(|s| text(s, "id")).collect(),
            has_next: page.pointer("/_links/next").is_some_and(|n| !n.is_null()),
            created: items
                .iter()
                .map(|s| {
                    s.get("creationTime").and_then(Value::as_str).map(|t| {
                        let mut hasher = DefaultHasher::new();
                        t.hash(&mut hasher);
                        hasher.finish()
                    })
                })
                .collect(),
        }
    }

    /// Whether session `i` of this page and session `j` of `other` are the same session served
    /// twice: the same id (without regard to case, D15) and the same `creationTime`.
    fn same_session(&self, i: usize, other: &PageFacts, j: usize) -> bool {
        let ids = matches!((&self.ids[i], &other.ids[j]), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b));
        let created = matches!(
            (self.created.get(i), other.created.get(j)),
            (Some(Some(a)), Some(Some(b))) if a == b
        );
        ids && created
    }

    /// Number of sessions on the page.
    pub fn count(&self) -> usize {
        self.ids.len()
    }

    /// Whether the page holds fewer sessions than its limit.
    pub fn is_short(&self) -> bool {
        self.limit
            .is_some_and(|limit| (self.count() as u64) < limit)
    }
}

/// The rules attached to the items of one component schema (wherever a page or a list holds
/// them): which rule a repeated id breaks and what the items are called in messages, plus the
/// rules only that schema has.
#[derive(Debug, Clone, Copy)]
struct ItemRules {
    /// What one item is called in messages.
    noun: &'static str,
    /// The rule a repeated id breaks.
    duplicate: Rule,
    /// `creationTime`/`endTime`/`status` order (`end-before-creation`, `end-while-running`).
    times: bool,
    /// `_links.job` names the requested job (`job-link-mismatch`).
    job_link: bool,
}

/// The rules attached to the items of schema `name`: `JobSession` has the session rules, every
/// other schema the generic ones (unique ids, a self link that names the id).
fn item_rules(name: Option<&str>) -> ItemRules {
    match name {
        Some("JobSession") => ItemRules {
            noun: "session",
            duplicate: Rule::DuplicateSessionId,
            times: true,
            job_link: true,
        },
        _ => ItemRules {
            noun: "item",
            duplicate: Rule::DuplicateId,
            times: false,
            job_link: false,
        },
    }
}

/// Applies every single-response rule of `operation` to a parsed 200 body: the paging rules to
/// a page, the rules of the item schema to each item of a page or a list, and to a body that is
/// one object the rules of its own schema (a session fetched by id is still a session).
pub fn body(body: &Value, operation: &Operation, request: &Request, out: &mut Vec<Finding>) {
    match operation.body() {
        Some(Body::Page(paging)) => {
            page_rules(body, operation, request, out);
            if let Some(items) = body.get("results").and_then(Value::as_array) {
                items_rules(items, "/results", paging.item.as_deref(), request, out);
            }
        }
        Some(Body::List { item }) => {
            if let Some(items) = body.as_array() {
                items_rules(items, "", item.as_deref(), request, out);
            }
        }
        // Rules look members up, so a body that is not an object breaks none.
        Some(Body::Single { schema }) => {
            let rules = item_rules(schema.as_deref());
            item_checks(body, &|rest: &str| rest.to_owned(), rules, request, out);
        }
        None => {}
    }
}

/// The rules of a page as a page: results within the limit, the request echoed, a next link
/// that stays in the collection.
fn page_rules(page: &Value, operation: &Operation, request: &Request, out: &mut Vec<Finding>) {
    let noun = item_rules(operation.paging().and_then(|p| p.item.as_deref())).noun;
    let facts = PageFacts::of(page);
    results_over_limit(&facts, noun, out);
    echo(page, request, out);
    next_link(page, operation, request, out);
}

/// The rules of each item of a page's `results` or a list (at `base`), by the items' schema.
fn items_rules(
    items: &[Value],
    base: &str,
    schema: Option<&str>,
    request: &Request,
    out: &mut Vec<Finding>,
) {
    let rules = item_rules(schema);
    let mut first_index: HashMap<String, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        // Pointers are spelled out only for findings: formatting one per session cost more
        // than the rules themselves on a valid page.
        let here = |rest: &str| format!("{base}/{i}{rest}");
        item_checks(item, &here, rules, request, out);
        if let Some(id) = item.get("id").and_then(Value::as_str) {
            let key = id.to_ascii_lowercase();
            if let Some(first) = first_index.get(&key) {
                out.push(Finding::new(
                    rules.duplicate,
                    here("/id"),
                    format!(
                        "{} id {} already appears at {base}/{first} on this page",
                        rules.noun,
                        payload(id)
                    ),
                ));
            } else {
                first_index.insert(key, i);
            }
        }
    }
}

/// The rules of one item (of a page, a list, or a body that is the item itself), its pointers
/// made by `here`: times, self link and job link, as its schema's rules say.
fn item_checks(
    item: &Value,
    here: &dyn Fn(&str) -> String,
    rules: ItemRules,
    request: &Request,
    out: &mut Vec<Finding>,
) {
    if rules.times {
        times(item, here, out);
    }
    self_link(item, here, rules.noun, out);
    if rules.job_link {
        job_link(item, here, request, out);
    }
}

fn results_over_limit(facts: &PageFacts, noun: &str, out: &mut Vec<Finding>) {
    if let Some(limit) = facts.limit
        && facts.count() as u64 > limit
    {
        out.push(Finding::new(
            Rule::ResultsOverLimit,
            "/results",
            format!(
                "the page holds {} {noun}s but its limit is {limit}",
                facts.count()
            ),
        ));
    }
}

fn echo(page: &Value, request: &Request, out: &mut Vec<Finding>) {
    for (name, asked) in [("offset", request.offset), ("limit", request.limit)] {
        let (Some(asked), Some(got)) = (asked, page.get(name).and_then(Value::as_u64)) else {
            continue;
        };
        if asked != got {
            out.push(Finding::new(
                Rule::EchoMismatch,
                format!("/{name}"),
                format!("the request asked for {name}={asked} but the page says {got}"),
            ));
        }
    }
}

fn next_link(page: &Value, operation: &Operation, request: &Request, out: &mut Vec<Finding>) {
    let Some(href) = page.pointer("/_links/next/href").and_then(Value::as_str) else {
        return;
    };
    if !stays_in(href, operation, request) {
        let target = operation
            .path_for(&request.params)
            .unwrap_or_else(|| operation.path().to_owned());
        let whose = if operation.path_parameters().iter().any(|p| p == JOB_ID) {
            "the job's collection"
        } else {
            "the collection"
        };
        out.push(Finding::new(
            Rule::NextLeavesCollection,
            "/_links/next/href",
            format!(
                "next link {} leaves {whose} {}; clients page by offset and limit instead",
                payload(href),
                payload(target)
            ),
        ));
    }
}

/// Whether `href` (absolute or relative) addresses the collection of `operation` that the
/// request asked for: its path template, with any API version segment (`/v6/...` for
/// `/v5/...`), and the request's path parameters where they are known.
pub(crate) fn stays_in(href: &str, operation: &Operation, request: &Request) -> bool {
    let segments: Vec<&str> = path_segments(href).collect();
    let template: Vec<&str> = operation
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    segments.len() == template.len()
        && segments.iter().zip(&template).all(|(given, wanted)| {
            match crate::operation::template_parameter(wanted) {
                Some(name) => request
                    .param(name)
                    .is_none_or(|want| segment_is(given, want)),
                None => {
                    given.eq_ignore_ascii_case(wanted) || (is_version(given) && is_version(wanted))
                }
            }
        })
}

/// `v5`, `V6`: an API version segment.
fn is_version(segment: &str) -> bool {
    segment.len() > 1
        && segment.starts_with(['v', 'V'])
        && segment[1..].bytes().all(|b| b.is_ascii_digit())
}

/// The path segments of an absolute or relative URL, without query or fragment.
pub(crate) fn path_segments(href: &str) -> impl Iterator<Item = &str> {
    let without_scheme = match href.find("://") {
        Some(i) => {
            let rest = &href[i + 3..];
            rest.find('/').map_or("", |j| &rest[j..])
        }
        None => href,
    };
    let path = without_scheme.split(['?', '#']).next().unwrap_or_default();
    path.split('/').filter(|s| !s.is_empty())
}

/// Whether a link's path `segment` is `value`: percent-decoded, as a server writes an id that
/// needs escaping (D25), and without regard to ASCII case (D15).
pub(crate) fn segment_is(segment: &str, value: &str) -> bool {
    if segment.contains('%') {
        crate::operation::decode_segment(segment).eq_ignore_ascii_case(value)
    } else {
        segment.eq_ignore_ascii_case(value)
    }
}

/// Whether some path segment of `href` is `value` ([`segment_is`]).
pub(crate) fn names(href: &str, value: &str) -> bool {
    path_segments(href).any(|s| segment_is(s, value))
}

fn times(session: &Value, here: &dyn Fn(&str) -> String, out: &mut Vec<Finding>) {
    let parse = |name: &str| {
        session
            .get(name)
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
    };
    let end = session.get("endTime").filter(|v| !v.is_null());
    if let (Some(created), Some(ended)) = (parse("creationTime"), parse("endTime"))
        && ended < created
    {
        out.push(Finding::new(
            Rule::EndBeforeCreation,
            here("/endTime"),
            format!(
                "the session ended ({}) before it was created ({})",
                payload(ended),
                payload(created)
            ),
        ));
    }
    let status = session.get("status").and_then(Value::as_str);
    if let (Some(status @ ("Running" | "Queued")), Some(end)) = (status, end) {
        out.push(Finding::new(
            Rule::EndWhileRunning,
            here("/endTime"),
            format!("a {status} session has an endTime ({})", payload(end)),
        ));
    }
}

fn self_link(item: &Value, here: &dyn Fn(&str) -> String, noun: &str, out: &mut Vec<Finding>) {
    if let (Some(id), Some(href)) = (
        item.get("id").and_then(Value::as_str),
        link_href(item, "self"),
    ) && !names(href, id)
    {
        out.push(Finding::new(
            Rule::SelfLinkMismatch,
            here("/_links/self/href"),
            format!(
                "the self link {} does not name the {noun}'s id {}",
                payload(href),
                payload(id)
            ),
        ));
    }
}

fn job_link(
    session: &Value,
    here: &dyn Fn(&str) -> String,
    request: &Request,
    out: &mut Vec<Finding>,
) {
    if let (Some(job), Some(href)) = (request.job_id(), link_href(session, "job"))
        && !names(href, job)
    {
        out.push(Finding::new(
            Rule::JobLinkMismatch,
            here("/_links/job/href"),
            format!(
                "the job link {} does not name the requested job {}",
                payload(href),
                payload(job)
            ),
        ));
    }
}

/// `session._links.{name}.href` as a string: `Value::pointer` would allocate for every token.
fn link_href<'v>(session: &'v Value, name: &str) -> Option<&'v str> {
    session.get("_links")?.get(name)?.get("href")?.as_str()
}

/// The finding for a redirect (a 3xx): its status and where it points, never followed. With
/// `masked`, the target's host and path stay out of the message.
pub fn redirect(status: u16, location: Option<&str>, masked: bool) -> Finding {
    let target = match location {
        None => "with no Location header".to_owned(),
        Some(_) if masked => "to a Location (masked)".to_owned(),
        Some(location) => format!("to {location}"),
    };
    Finding::new(
        Rule::Redirect,
        "",
        format!(
            "the server answered {status}, a redirect {target}; the verifier does not follow it (the page and the credentials stay with the origin asked), so this job's walk ends here"
        ),
    )
}

fn short_page_with_next(page: &PageFacts, number: usize, pointer: &str) -> Finding {
    Finding::new(
        Rule::NextOnShortPage,
        pointer,
        format!(
            "page {number} holds {} of at most {} sessions, so it is the last, yet it has a next link",
            page.count(),
            page.limit.unwrap_or_default()
        ),
    )
}

/// A session that repeated the tail of the page before it (a shift, while the walk was going).
#[derive(Debug, Clone)]
struct Repeat {
    page: usize,
    index: usize,
    first_page: usize,
    id: String,
}

/// At most this many repeats are kept in detail; the count goes on past it.
const REPEAT_DETAIL: usize = 10_000;

/// What a last look at the first page of a collection found, after a walk saw it shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Growth {
    /// Not looked (offline input), or the look failed: a shift cannot be confirmed.
    Unknown,
    /// This many sessions the walk never saw now head the collection.
    New(u64),
    /// The first page holds only sessions the walk never saw: at least this many are new.
    AtLeast(u64),
}

/// The state the walk rules keep across the pages of one job: seen ids, the expected offset,
/// the repeats a moving collection caused, and whether the walk ran into a loop.
#[derive(Debug, Default)]
pub struct Walk {
    seen: SeenIds,
    previous: Option<PageFacts>,
    pages: usize,
    start_offset: Option<u64>,
    /// Sessions that opened a page by repeating the tail of the page before (a shift).
    repeats: u64,
    repeat_detail: Vec<Repeat>,
    /// The page on which the walk ran into a loop.
    looped: Option<usize>,
    /// The last page could not be read as a page, so the walk's end is not judged.
    interrupted: bool,
    /// The component schema of the walked items, when it is not `JobSession` (whose rules are
    /// the default): it picks the rule a repeated id breaks and the word for an item.
    items: Option<String>,
}

impl Walk {
    /// A walk that was asked to start at `start_offset` (0 for a full walk), when known.
    pub fn new(start_offset: Option<u64>) -> Self {
        Self {
            start_offset,
            ..Self::default()
        }
    }

    /// Judges the walk's items by the rules of schema `name` (a walk of another paged
    /// collection than job sessions); `JobSession` or `None` keeps the session rules.
    pub fn with_items(&mut self, name: Option<&str>) {
        self.items = name.filter(|n| *n != "JobSession").map(str::to_owned);
    }

    /// The rules attached to this walk's items.
    fn item_rules(&self) -> ItemRules {
        item_rules(Some(self.items.as_deref().unwrap_or("JobSession")))
    }

    /// Pages seen so far.
    pub fn pages(&self) -> usize {
        self.pages
    }

    /// Whether a page of repeats showed the server is looping; the walk should end.
    pub fn looped(&self) -> bool {
        self.looped.is_some()
    }

    /// Sessions that repeated the previous page's tail (the collection moved during the walk).
    pub fn repeats(&self) -> u64 {
        self.repeats
    }

    /// Records that a response of the walk could not be read as a page (an error status, not
    /// JSON): whether the walk ended where it should cannot be judged unless a page follows.
    pub fn interrupt(&mut self) {
        self.interrupted = true;
    }

    /// How many sessions heading `first_page` (ids in order) the walk never saw: a last look at
    /// the first page after a shift, to tell a growing collection from a server repeating itself.
    pub fn growth(&self, first_page: &[Option<String>]) -> Growth {
        let new = first_page
            .iter()
            .take_while(|id| {
                id.as_deref()
                    .is_none_or(|id| self.seen.first_page(id).is_none())
            })
            .count() as u64;
        if new == first_page.len() as u64 && new > 0 {
            Growth::AtLeast(new)
        } else {
            Growth::New(new)
        }
    }

    /// Checks the next page of the walk against the pages before it.
    pub fn push(&mut self, facts: PageFacts, out: &mut Vec<Finding>) {
        let page_number = self.pages + 1;
        self.interrupted = false;
        match &self.previous {
            None => {
                if let (Some(want), Some(got)) = (self.start_offset, facts.offset)
                    && want != got
                {
                    out.push(Finding::new(
                        Rule::OffsetSequence,
                        "/offset",
                        format!(
                            "the walk should start at offset {want} but its first page says {got}"
                        ),
                    ));
                }
            }
            Some(prev) => {
                if !prev.has_next && !prev.is_short() {
                    out.push(Finding::new(
                        Rule::MissingNext,
                        "",
                        format!(
                            "page {} was full and had no next link, yet page {page_number} follows",
                            page_number - 1
                        ),
                    ));
                }
                if prev.is_short() && prev.has_next {
                    out.push(short_page_with_next(prev, page_number - 1, ""));
                } else if prev.is_short() {
                    out.push(Finding::new(
                        Rule::OffsetSequence,
                        "",
                        format!(
                            "page {} held {} of at most {} sessions, so it should have been the last, yet page {page_number} follows",
                            page_number - 1,
                            prev.count(),
                            prev.limit.unwrap_or_default()
                        ),
                    ));
                }
                if let (Some(p_off), Some(p_lim), Some(got)) =
                    (prev.offset, prev.limit, facts.offset)
                {
                    // Checked: the numbers come from the response, and may be anything.
                    let want = p_off.checked_add(p_lim);
                    if want != Some(got) {
                        let want = want.map_or_else(|| "past 2^64".to_owned(), |w| w.to_string());
                        out.push(Finding::new(
                            Rule::OffsetSequence,
                            "/offset",
                            format!("page {page_number} starts at offset {got}, but the previous page (offset {p_off}, limit {p_lim}) ends at {want}"),
                        ));
                    }
                }
            }
        }
        // Only a full page can be followed by a shifted one: after a short page the walk is over.
        let run = match &self.previous {
            Some(prev) if !prev.is_short() => shifted_run(prev, &facts),
            _ => 0,
        };
        let all_seen = facts.count() > 0
            && facts.ids.iter().all(|id| {
                id.as_deref()
                    .is_some_and(|id| self.seen.first_page(id).is_some())
            });
        // A short page made only of the previous page's tail is the end of a moving collection.
        let moving_end = run == facts.count() && facts.is_short();
        if all_seen && !moving_end {
            let first = facts
                .ids
                .iter()
                .flatten()
                .filter_map(|id| self.seen.first_page(id))
                .min()
                .unwrap_or_default();
            let same = if run == facts.count() {
                " (it repeats page {prev}; a collection growing by a whole page between two requests looks the same, and a walk cannot get past it either)"
                    .replace("{prev}", &(page_number - 1).to_string())
            } else {
                String::new()
            };
            out.push(Finding::new(
                Rule::PageLoop,
                "/results",
                format!(
                    "every session on page {page_number} ({}) already appeared earlier in this walk, the first on page {first}: the server is serving pages it served before{same}; the walk ends here",
                    facts.count()
                ),
            ));
            self.looped = Some(page_number);
            self.pages = page_number;
            self.previous = Some(facts);
            return;
        }
        for (i, id) in facts.ids.iter().enumerate() {
            let Some(id) = id else { continue };
            match self.seen.first_page_or_insert(id, page_number) {
                Some(first_page) if i < run => {
                    self.repeats += 1;
                    if self.repeat_detail.len() < REPEAT_DETAIL {
                        self.repeat_detail.push(Repeat {
                            page: page_number,
                            index: i,
                            first_page,
                            id: id.clone(),
                        });
                    }
                }
                Some(first_page) if first_page != page_number => {
                    out.push(duplicate_across_pages(self.item_rules(), id, i, first_page))
                }
                _ => {}
            }
        }
        self.pages = page_number;
        self.previous = Some(facts);
    }

    /// Closes the walk: the shift summary, then (unless the walk looped or ended on an
    /// unreadable page) the last page must not promise more. Findings point into the last page.
    pub fn finish(&self, out: &mut Vec<Finding>) {
        for (_, finding) in self.close(Growth::Unknown, true) {
            out.push(finding);
        }
    }

    /// The walk's closing findings, each with the page (from 1) it belongs on. `growth` is what a
    /// last look at the first page found (a shift it explains is one `collection-shifted`
    /// warning; repeats it cannot explain are `duplicate-session-id` errors where they sit);
    /// `complete` is false when the walk was stopped on purpose, so its end is not judged.
    pub fn close(&self, growth: Growth, complete: bool) -> Vec<(usize, Finding)> {
        let mut out = Vec::new();
        if self.repeats > 0 {
            let explained = match growth {
                Growth::Unknown | Growth::AtLeast(_) => true,
                Growth::New(new) => new >= self.repeats,
            };
            if explained {
                out.push((self.pages, self.shift_warning(growth)));
            } else {
                for r in &self.repeat_detail {
                    let mut finding =
                        duplicate_across_pages(self.item_rules(), &r.id, r.index, r.first_page);
                    finding.message.push_str(&format!(
                        " (it opened page {} as a repeat of the page before, but a last look at the first page found only {} new sessions for {} repeats, so the collection did not move that much)",
                        r.page,
                        match growth {
                            Growth::New(n) => n,
                            _ => 0,
                        },
                        self.repeats
                    ));
                    out.push((r.page, finding));
                }
                let hidden = self.repeats - self.repeat_detail.len() as u64;
                if hidden > 0 {
                    out.push((
                        self.pages,
                        Finding::new(
                            self.item_rules().duplicate,
                            "",
                            format!("{hidden} more {}s repeated the tail of the page before them (not listed one by one)", self.item_rules().noun),
                        ),
                    ));
                }
            }
        }
        if complete && self.looped.is_none() && !self.interrupted {
            let mut last = Vec::new();
            self.completion(&mut last);
            out.extend(last.into_iter().map(|f| (self.pages, f)));
        }
        out
    }

    fn shift_warning(&self, growth: Growth) -> Finding {
        let first = self.repeat_detail.first().map_or(0, |r| r.page);
        let look = match growth {
            Growth::Unknown => {
                "; not confirmed: a recording cannot look at the first page again".to_owned()
            }
            Growth::New(n) => {
                format!("; a last look at the first page found {n} sessions the walk had not seen")
            }
            Growth::AtLeast(n) => format!(
                "; a last look at the first page found at least {n} sessions the walk had not seen"
            ),
        };
        Finding::new(
            Rule::CollectionShifted,
            "",
            format!(
                "the collection moved during the walk: {} session{} opened a page by repeating the end of the page before (first on page {first}), as happens when new sessions start while a walk pages by offset; each was counted once{look}",
                self.repeats,
                if self.repeats == 1 { "" } else { "s" }
            ),
        )
    }

    /// The last page must not promise more.
    fn completion(&self, out: &mut Vec<Finding>) {
        let Some(last) = &self.previous else { return };
        if last.has_next && last.is_short() {
            // A lone page is not judged (README): the seed example is one, elided.
            if self.pages > 1 {
                out.push(short_page_with_next(last, self.pages, "/_links/next"));
            }
        } else if last.has_next {
            out.push(Finding::new(
                Rule::NextOnLastPage,
                "/_links/next",
                format!(
                    "the walk ended at page {} but that page still has a next link",
                    self.pages
                ),
            ));
        }
    }
}

fn duplicate_across_pages(rules: ItemRules, id: &str, index: usize, first_page: usize) -> Finding {
    Finding::new(
        rules.duplicate,
        format!("/results/{index}/id"),
        format!(
            "{} id {} already appeared on page {first_page} of this walk",
            rules.noun,
            payload(id)
        ),
    )
}

/// The length of the run that opens `next` and repeats, in order, the tail of `prev` (the same
/// sessions, pushed down by new ones); 0 when there is none.
fn shifted_run(prev: &PageFacts, next: &PageFacts) -> usize {
    let len = prev.count();
    // Longest run first; the head of `next` must match where the run starts in `prev`.
    (len.saturating_sub(next.count())..len)
        .find(|&start| (0..len - start).all(|k| prev.same_session(start + k, next, k)))
        .map_or(0, |start| len - start)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page of sessions named by number (session `n` was created `n` minutes before a fixed
    /// time, so lists are newest first); `created` overrides a session's creation minute.
    fn facts(offset: u64, limit: u64, ids: &[u64], next: bool) -> PageFacts {
        facts_created(offset, limit, ids, &|n| n, next)
    }

    fn facts_created(
        offset: u64,
        limit: u64,
        ids: &[u64],
        created: &dyn Fn(u64) -> u64,
        next: bool,
    ) -> PageFacts {
        let page = serde_json::json!({
            "offset": offset,
            "limit": limit,
            "results": ids.iter().map(|&n| serde_json::json!({
                "id": format!("6a3fa2fb-3a77-4d99-8b5d-{n:012x}"),
                "creationTime": format!("2020-12-13T{:02}:{:02}:00Z", 23 - created(n) / 60 % 24, 59 - created(n) % 60),
            })).collect::<Vec<_>>(),
            "_links": if next { serde_json::json!({"next": {"href": "/v5/Jobs/j/JobSessions"}}) } else { serde_json::json!({}) },
        });
        PageFacts::of(&page)
    }

    fn walk(pages: Vec<PageFacts>) -> (Walk, Vec<Vec<Finding>>) {
        let mut walk = Walk::new(Some(0));
        let mut out = Vec::new();
        for page in pages {
            let mut findings = Vec::new();
            walk.push(page, &mut findings);
            out.push(findings);
        }
        (walk, out)
    }

    fn rules(findings: &[Finding]) -> Vec<(&'static str, &str)> {
        findings
            .iter()
            .map(|f| (f.rule.id(), f.pointer.as_str()))
            .collect()
    }

    #[test]
    fn an_id_twice_on_one_page_is_left_to_the_page_s_own_rule() {
        // The page rule reports it ("already appears ... on this page"); the walk must not
        // report it again as seen on an earlier page.
        let (_, pages) = walk(vec![facts(0, 5, &[1, 2, 1], false)]);
        assert_eq!(rules(&pages[0]), []);
    }

    #[test]
    fn a_shift_by_one_is_counted_not_reported_as_duplicates() {
        // Page 2 opens with session 2, which ended page 1: one new session pushed it down.
        let (walk, pages) = walk(vec![
            facts(0, 3, &[0, 1, 2], true),
            facts(3, 3, &[2, 3, 4], true),
            facts(6, 3, &[4, 5], false),
        ]);
        assert!(pages.iter().all(Vec::is_empty), "{pages:?}");
        assert_eq!(walk.repeats(), 2);
        assert!(!walk.looped());
        let closed = walk.close(Growth::New(2), true);
        assert_eq!(closed.len(), 1, "{closed:?}");
        assert_eq!(closed[0].0, 3);
        assert_eq!(closed[0].1.rule, Rule::CollectionShifted);
        assert!(
            closed[0].1.message.contains("2 sessions"),
            "{}",
            closed[0].1.message
        );
        // Offline, where no last look is possible, the same walk is one warning too.
        let mut finished = Vec::new();
        walk.finish(&mut finished);
        assert_eq!(rules(&finished), [("collection-shifted", "")]);
    }

    #[test]
    fn repeats_past_the_detail_cap_are_summed_up_in_one_finding() {
        // Every page opens with the two sessions that ended the page before.
        let pages = (0..5_002u64)
            .map(|p| facts(p * 3, 3, &[p, p + 1, p + 2], true))
            .collect();
        let (walk, _) = walk(pages);
        assert_eq!(walk.repeats(), 10_002);
        let closed = walk.close(Growth::New(0), true);
        let listed = closed
            .iter()
            .filter(|(_, f)| f.pointer == "/results/0/id" || f.pointer == "/results/1/id")
            .count();
        assert_eq!(listed, REPEAT_DETAIL);
        let summed: Vec<&Finding> = closed
            .iter()
            .map(|(_, f)| f)
            .filter(|f| f.pointer.is_empty() && f.message.contains("more"))
            .collect();
        assert_eq!(summed.len(), 1, "{summed:?}");
        assert!(
            summed[0].message.starts_with("2 more "),
            "{}",
            summed[0].message
        );
    }

    #[test]
    fn repeats_a_last_look_cannot_explain_are_duplicates_where_they_sit() {
        let (walk, _) = walk(vec![
            facts(0, 3, &[0, 1, 2], true),
            facts(3, 3, &[2, 3, 4], true),
            facts(6, 3, &[4, 5], false),
        ]);
        // The first page did not change: nothing new pushed the sessions down.
        let first = facts(0, 3, &[0, 1, 2], true).ids;
        assert_eq!(walk.growth(&first), Growth::New(0));
        let closed = walk.close(walk.growth(&first), true);
        let placed: Vec<(usize, &str, &str)> = closed
            .iter()
            .map(|(page, f)| (*page, f.rule.id(), f.pointer.as_str()))
            .collect();
        assert_eq!(
            placed,
            [
                (2, "duplicate-session-id", "/results/0/id"),
                (3, "duplicate-session-id", "/results/0/id")
            ]
        );
        // One new session explains one repeat, not two.
        let grown = facts(0, 3, &[99, 0, 1], true).ids;
        assert_eq!(walk.growth(&grown), Growth::New(1));
        assert!(
            walk.close(Growth::New(1), true)
                .iter()
                .all(|(_, f)| f.rule == Rule::DuplicateSessionId)
        );
        // A first page of nothing but new sessions: at least a page of growth, explained.
        let all_new = facts(0, 3, &[97, 98, 99], true).ids;
        assert_eq!(walk.growth(&all_new), Growth::AtLeast(3));
        assert_eq!(
            rules(
                &walk
                    .close(Growth::AtLeast(3), true)
                    .into_iter()
                    .map(|(_, f)| f)
                    .collect::<Vec<_>>()
            ),
            [("collection-shifted", "")]
        );
    }

    #[test]
    fn the_same_id_with_another_creation_time_is_a_duplicate_not_a_shift() {
        // Session 2's id reused by a different session (another creation time) at the head.
        let (walk, pages) = walk(vec![
            facts(0, 3, &[0, 1, 2], true),
            facts_created(3, 3, &[2, 3, 4], &|n| if n == 2 { 500 } else { n }, true),
        ]);
        assert_eq!(
            rules(&pages[1]),
            [("duplicate-session-id", "/results/0/id")]
        );
        assert_eq!(walk.repeats(), 0);
    }

    #[test]
    fn a_duplicate_past_the_shifted_run_stays_an_error() {
        let (walk, pages) = walk(vec![
            facts(0, 4, &[0, 1, 2, 3], true),
            // 3 repeats the tail (a shift); 1 in the middle does not.
            facts(4, 4, &[3, 4, 1, 5], false),
        ]);
        assert_eq!(
            rules(&pages[1]),
            [("duplicate-session-id", "/results/2/id")]
        );
        assert_eq!(walk.repeats(), 1);
    }

    #[test]
    fn a_run_out_of_order_is_not_a_shift() {
        let (walk, pages) = walk(vec![
            facts(0, 3, &[0, 1, 2], true),
            facts(3, 3, &[2, 1, 5], false),
        ]);
        assert_eq!(
            rules(&pages[1]),
            [("duplicate-session-id", "/results/1/id")],
            "2 alone is the tail; 1 after it is not"
        );
        assert_eq!(walk.repeats(), 1);
    }

    #[test]
    fn the_same_full_page_again_is_a_loop_and_the_walk_ends() {
        let (walk, pages) = walk(vec![
            facts(0, 3, &[0, 1, 2], true),
            facts(3, 3, &[0, 1, 2], true),
        ]);
        assert_eq!(rules(&pages[1]), [("page-loop", "/results")]);
        assert!(
            pages[1][0].message.contains("repeats page 1"),
            "{}",
            pages[1][0].message
        );
        assert!(walk.looped());
        // No completion judgement after a loop: its next link is not the server's last word.
        assert!(walk.close(Growth::Unknown, true).is_empty());
    }

    #[test]
    fn alternating_pages_are_a_loop_on_the_first_repeat() {
        let a = || facts(0, 2, &[0, 1], true);
        let b = || facts(2, 2, &[2, 3], true);
        let (walk, pages) = walk(vec![a(), b(), facts(4, 2, &[0, 1], true)]);
        assert!(pages[0].is_empty() && pages[1].is_empty());
        assert_eq!(rules(&pages[2]), [("page-loop", "/results")]);
        assert!(
            pages[2][0].message.contains("the first on page 1"),
            "{}",
            pages[2][0].message
        );
        assert!(walk.looped());
    }

    #[test]
    fn a_short_last_page_made_only_of_the_previous_tail_ends_a_moving_walk() {
        // Two sessions started: the last page holds only what ended the page before.
        let (walk, pages) = walk(vec![
            facts(0, 3, &[0, 1, 2], true),
            facts(3, 3, &[1, 2], false),
        ]);
        assert!(pages[1].is_empty(), "{pages:?}");
        assert!(!walk.looped());
        assert_eq!(walk.repeats(), 2);
        let closed: Vec<Finding> = walk
            .close(Growth::New(2), true)
            .into_iter()
            .map(|(_, f)| f)
            .collect();
        assert_eq!(rules(&closed), [("collection-shifted", "")]);
    }

    #[test]
    fn a_short_page_of_earlier_sessions_that_is_not_the_tail_is_a_loop() {
        let (walk, pages) = walk(vec![
            facts(0, 3, &[0, 1, 2], true),
            facts(3, 3, &[0, 1], false),
        ]);
        assert_eq!(rules(&pages[1]), [("page-loop", "/results")]);
        assert!(walk.looped());
    }

    #[test]
    fn a_short_page_with_a_next_link_is_named_by_its_own_number_when_a_page_follows() {
        let (_, pages) = walk(vec![
            facts(0, 3, &[0, 1, 2], true),
            facts(3, 3, &[3, 4], true),
            facts(6, 3, &[5], false),
        ]);
        let short = pages[2]
            .iter()
            .find(|f| f.rule == Rule::NextOnShortPage)
            .expect("the short page before is flagged");
        assert!(
            short
                .message
                .starts_with("page 2 holds 2 of at most 3 sessions"),
            "{}",
            short.message
        );
    }

    #[test]
    fn after_a_short_page_no_shift_is_assumed() {
        // A short page should have been the last; a following page repeating it is a duplicate.
        let (walk, pages) = walk(vec![
            facts(0, 3, &[0, 1], false),
            facts(3, 3, &[1, 7], false),
        ]);
        assert!(rules(&pages[1]).contains(&("duplicate-session-id", "/results/0/id")));
        assert_eq!(walk.repeats(), 0);
    }

    #[test]
    fn an_unreadable_last_page_leaves_the_end_unjudged_until_a_page_follows() {
        let mut walk = Walk::new(Some(0));
        let mut out = Vec::new();
        walk.push(facts(0, 2, &[0, 1], true), &mut out);
        walk.interrupt();
        assert!(walk.close(Growth::Unknown, true).is_empty());
        walk.push(facts(2, 2, &[2, 3], true), &mut out);
        let closed = walk.close(Growth::Unknown, true);
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].1.rule, Rule::NextOnLastPage);
        // Stopped on purpose: not judged either.
        assert!(walk.close(Growth::Unknown, false).is_empty());
    }

    #[test]
    fn redirects_name_status_and_location_unless_masked() {
        let f = redirect(307, Some("https://elsewhere.example/v5/x"), false);
        assert_eq!(f.rule, Rule::Redirect);
        assert!(f.message.contains("307") && f.message.contains("https://elsewhere.example/v5/x"));
        let masked = redirect(301, Some("https://elsewhere.example/v5/x"), true);
        assert!(masked.message.contains("301") && !masked.message.contains("elsewhere"));
        assert!(redirect(302, None, false).message.contains("no Location"));
    }

    /// Whether `href` stays in the sessions collection of `job_id` (any job when `None`), as the
    /// embedded contract's sessions operation states it.
    fn stays_in_collection(href: &str, job_id: Option<&str>) -> bool {
        let contract = crate::Contract::embedded().unwrap();
        let request = job_id.map(Request::for_job).unwrap_or_default();
        stays_in(href, contract.default_operation(), &request)
    }

    #[test]
    fn collection_paths_are_recognised_absolute_and_relative() {
        let job = "196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5";
        assert!(stays_in_collection(
            &format!("https://h:4443/v5/Jobs/{job}/JobSessions?offset=30&limit=30"),
            Some(job)
        ));
        assert!(stays_in_collection(
            &format!("/v6/jobs/{}/jobsessions", job.to_uppercase()),
            Some(job)
        ));
        assert!(!stays_in_collection(
            "https://h:4443/v5/JobSessions?offset=30&limit=30",
            Some(job)
        ));
        assert!(!stays_in_collection(
            &format!("/v5/Jobs/{job}/JobSessions"),
            Some("other")
        ));
        assert!(stays_in_collection(
            &format!("/v5/Jobs/{job}/JobSessions"),
            None
        ));
    }

    #[test]
    fn a_link_names_an_id_it_percent_encodes() {
        // A server escapes what a path segment cannot hold (D25).
        assert!(names(
            "https://h/v5/jobsessions/backup%201%2F2",
            "backup 1/2"
        ));
        assert!(names(
            "/v6/jobsessions/Backup%201%2f2/logitems",
            "backup 1/2"
        ));
        assert!(!names("https://h/v5/jobsessions/backup%201", "backup 1/2"));
        // Unescaped, the id's `/` makes two segments, neither of them the id.
        assert!(!names("https://h/v5/jobsessions/backup 1/2", "backup 1/2"));
        // An escape that is not one stays as written.
        assert!(names("/v5/jobsessions/100%", "100%"));
        assert!(!names("/v5/jobsessions/a%20b", "a%20b"));
    }

    #[test]
    fn a_next_link_that_percent_encodes_the_job_stays_in_its_collection() {
        let contract = crate::Contract::embedded().unwrap();
        let request = Request::for_job("nightly copy");
        let operation = contract.default_operation();
        assert!(stays_in(
            "/v5/Jobs/nightly%20copy/JobSessions?offset=30",
            operation,
            &request
        ));
        assert!(!stays_in(
            "/v5/Jobs/nightly%20cop/JobSessions",
            operation,
            &request
        ));
    }

    #[test]
    fn an_empty_first_page_shows_no_growth() {
        let walk = Walk::new(Some(0));
        assert!(matches!(walk.growth(&[]), Growth::New(0)));
        assert!(matches!(
            walk.growth(&[Some("a".into()), None]),
            Growth::AtLeast(2)
        ));
    }

    #[test]
    fn only_a_version_segment_stands_in_for_the_version() {
        let job = "196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5";
        for prefix in ["api", "x5", "Jobs", "5"] {
            assert!(
                !stays_in_collection(&format!("/{prefix}/Jobs/{job}/JobSessions"), Some(job)),
                "{prefix}"
            );
        }
        assert!(!stays_in_collection(
            &format!("/v5/v6/{job}/JobSessions"),
            Some(job)
        ));
        assert!(stays_in_collection(
            &format!("/V12/Jobs/{job}/JobSessions"),
            Some(job)
        ));
    }
}
