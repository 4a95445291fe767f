//! The fast path for valid 200 responses: one pass over the bytes, no tree.
//!
//! The operation's standalone response schema is compiled into a plan ([`plan`]); a serde
//! visitor ([`visit`]) streams the body against it and gathers what the single-response rules
//! and the walk read. When the body is valid and no rule would flag it, the verdict is what the
//! full path would give: no findings, the same session count and the same [`PageFacts`].
//! Anything else — a schema the plan does not support, an invalid value, a repeated key, a
//! number that is not a plain integer, a rule that would fire — is "not sure", and the caller
//! runs the full path, which words every finding. So a fast verdict never has findings.

mod format;
mod plan;
mod visit;

use chrono::DateTime;

use crate::operation::{Body, Operation};
use crate::rules::{self, PageFacts, Request};
use crate::verify::Verdict;
use plan::Plan;
use visit::{Ctx, Gathered, Item};

/// What the fast path knows of one operation: its compiled 200 schema and the kind of body.
#[derive(Debug)]
pub(crate) struct FastPath {
    plan: Plan,
    root: Ctx,
}

impl FastPath {
    /// The fast path of `operation`'s 200 response, when its schema compiles into a plan.
    pub(crate) fn of(operation: &Operation) -> Option<Self> {
        let plan = Plan::compile(operation.response_schema(200)?).ok()?;
        let root = match operation.body() {
            Some(Body::Page(_)) => Ctx::Page,
            Some(Body::List { .. }) => Ctx::List,
            // One object gets the item rules (`rules::body`), which the fast path does not
            // apply outside a page or a list.
            Some(Body::Single { .. }) => return None,
            None => Ctx::Other,
        };
        Some(Self { plan, root })
    }

    /// The verdict on a 200 `body` answering `request`, when the fast path can vouch that it
    /// breaks neither the schema nor a single-response rule; `None` otherwise.
    pub(crate) fn verdict(
        &self,
        operation: &Operation,
        request: &Request,
        body: &[u8],
    ) -> Option<Verdict> {
        let judge = |item: &Item| item_is_clean(item, request);
        let gathered = visit::gather(&self.plan, self.root, body, &judge)?;
        match self.root {
            Ctx::Page => {
                if !page_is_clean(&gathered, operation, request) {
                    return None;
                }
                let facts = PageFacts {
                    offset: gathered.offset,
                    limit: gathered.limit,
                    ids: gathered.ids,
                    has_next: gathered.has_next,
                    created: gathered.created,
                };
                Some(Verdict {
                    findings: Vec::new(),
                    sessions: facts.count(),
                    facts: Some(facts),
                })
            }
            Ctx::List => {
                if repeats_an_id(&gathered.ids) {
                    return None;
                }
                // As the full path: a list (the jobs) holds no sessions.
                let _ = gathered.list_len;
                Some(Verdict {
                    findings: Vec::new(),
                    sessions: 0,
                    facts: None,
                })
            }
            _ => Some(Verdict::default()),
        }
    }
}

/// Whether none of the page rules (results within the limit, the request echoed, a next link
/// that stays in the collection, ids unique on the page) would flag the page.
fn page_is_clean(page: &Gathered, operation: &Operation, request: &Request) -> bool {
    let count = page.ids.len() as u64;
    if page.limit.is_some_and(|limit| count > limit) {
        return false;
    }
    let echoed = |asked: Option<u64>, got: Option<u64>| match (asked, got) {
        (Some(asked), Some(got)) => asked == got,
        _ => true,
    };
    if !echoed(request.offset, page.offset) || !echoed(request.limit, page.limit) {
        return false;
    }
    if let Some(href) = &page.next_href
        && !rules::stays_in(href, operation, request)
    {
        return false;
    }
    !repeats_an_id(&page.ids)
}

/// Whether none of the item rules would flag the item. Stricter than the rules where that is
/// simpler: the time and job-link rules are applied to the items of every schema, not only to
/// sessions, so an item of another schema that would break them just takes the full path.
fn item_is_clean(item: &Item, request: &Request) -> bool {
    if item.active && item.end_present {
        return false;
    }
    if item.has_created && item.has_end {
        let parse = |t: &str| DateTime::parse_from_rfc3339(t).ok();
        if let (Some(created), Some(ended)) = (parse(&item.created), parse(&item.end))
            && ended < created
        {
            return false;
        }
    }
    if let Some(id) = &item.id
        && item.has_self
        && !rules::names(&item.self_href, id)
    {
        return false;
    }
    if let Some(job) = request.job_id()
        && item.has_job
        && !rules::names(&item.job_href, job)
    {
        return false;
    }
    true
}

/// Whether two ids are the same without regard to ASCII case (D15).
fn repeats_an_id(ids: &[Option<String>]) -> bool {
    // Canonical uuids as numbers (equal without regard to case exactly when their numbers
    // are), anything else lower-cased; sorted, a repeat sits next to its twin.
    let mut numbers = Vec::with_capacity(ids.len());
    let mut others = Vec::new();
    for id in ids.iter().flatten() {
        match uuid::Uuid::try_parse(id) {
            Ok(u) if id.len() == 36 => numbers.push(u.as_u128()),
            _ => others.push(id.to_ascii_lowercase()),
        }
    }
    numbers.sort_unstable();
    others.sort_unstable();
    numbers.windows(2).any(|w| w[0] == w[1]) || others.windows(2).any(|w| w[0] == w[1])
}

#[cfg(test)]
mod tests;
