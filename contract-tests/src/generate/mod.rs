//! Payload generators derived from the contract's JSON Schema, for any response of any
//! operation: proptest strategies (items, pages and walks of pages, lists, single objects,
//! error bodies) and a seeded API that draws from the same strategies deterministically (for
//! the mock server and benchmarks).
//!
//! Everything the schema says (which properties, required or not, types, enums, formats, bounds,
//! nullability) is read from the response's standalone schema ([`Operation::response_schema`])
//! and its `$defs`; adding a property, an enum value or an operation to `openapi/` changes what
//! is generated with no other edit. What the schema cannot say is layered on top: the paging
//! layer for paged collections ([`Body::Page`]: `offset`, `limit`, `results`, `totalCount`,
//! `_links.next`), and the domain layer keyed by the items' schema name (`domain`: sessions'
//! times and links, jobs' names, unique ids and self links of any item).

use std::collections::HashSet;

use chrono::DateTime;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, ValueTree};
use proptest::test_runner::{RngAlgorithm, TestRng};
use serde_json::{Map, Value};

use crate::contract::Contract;
use crate::operation::{Body, Operation};
use crate::rules::Request;

mod body;
mod domain;
mod realistic;
mod seed;
mod shape;
mod strategy;

pub use body::{BodyKind, GeneratedBody};
use domain::Domain;
pub(crate) use domain::unique_id;
use domain::{seeded_id, set_session_links, with_total};
pub use realistic::GeneratorMode;
use seed::{ID_SALT, JOB_SALT, PAGE_SALT, SESSION_SALT, mix, runner, seed_bytes};
pub use seed::{SEED_LEN, draw};
pub use shape::{ObjectShape, Property, Shape, json_type, shape_of};
use strategy::{HOSTS, object_strategy, render_uuid};
pub use strategy::{date_time, render_time, strategy, uuid};

/// Why generators could not be derived from a contract.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerateError {
    /// A `$ref` does not resolve inside the page schema.
    #[error("cannot resolve `$ref` {0} in the page schema")]
    Reference(String),
    /// The page schema lacks something the paging layer needs.
    #[error("the page schema has no {0}")]
    Missing(&'static str),
    /// References nest deeper than any sane schema (a cycle through required properties).
    #[error("the schema nests deeper than {0} levels at {1}")]
    TooDeep(usize, String),
    /// A `minLength` or `minItems` asks for more than the generator draws (every value the
    /// schema allows would be that large).
    #[error("`{keyword}` {value} at {at} is over the {limit} the generator draws")]
    TooLarge {
        /// `minLength` or `minItems`.
        keyword: &'static str,
        /// Its value in the schema.
        value: u64,
        /// Where, as a JSON pointer into the schema.
        at: String,
        /// The most the generator draws.
        limit: usize,
    },
    /// The operation declares no JSON body for the status.
    #[error("{operation} has no JSON response for status {status}")]
    NoResponse {
        /// The operation's id.
        operation: String,
        /// The status asked for.
        status: u16,
    },
}

/// One generated page and the request it answers.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedPage {
    /// The job whose sessions the page lists.
    pub job_id: String,
    /// The requested offset (the page echoes it).
    pub offset: u64,
    /// The requested limit (the page echoes it).
    pub limit: u64,
    /// The page.
    pub body: Value,
}

impl GeneratedPage {
    /// The request this page answers.
    pub fn request(&self) -> Request {
        Request::for_job(self.job_id.clone()).with_page(Some(self.offset), Some(self.limit))
    }

    /// The page as compact JSON bytes.
    pub fn bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.body).expect("a serde_json::Value always serialises")
    }
}

/// A generated walk: every page of one job's sessions, in order, obeying the paging rules.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedWalk {
    /// The job.
    pub job_id: String,
    /// The pages, first to last.
    pub pages: Vec<GeneratedPage>,
}

/// A session as drawn from the schema, before the layer of domain knowledge is applied.
type RawSession = (Value, u64);

/// Derives strategies for one response (operation, status) of a contract and draws from them,
/// by proptest or by seed. The page and session API (`page`, `sessions`, `page_strategy`,
/// `walk_strategy`, ...) is the paged case ([`BodyKind::Page`]); on other kinds it treats the
/// body as holding no page. [`Generator::new`] generates the job-sessions operation.
#[derive(Debug, Clone)]
pub struct Generator {
    /// The operation's id, path template and path parameters.
    operation: String,
    path: String,
    params: Vec<String>,
    status: u16,
    kind: BodyKind,
    /// The whole body's shape.
    body: Shape,
    /// The layer of domain knowledge for the items (or the single object).
    domain: Domain,
    /// Whether items (or the single object) declare `_links`, and so get a self link.
    item_links: bool,
    /// The inclusive range integer ids are seeded from: the schema's, above zero.
    id_range: (i64, i64),
    page: ObjectShape,
    session: Shape,
    link: Shape,
    limit_bounds: (u64, u64),
    offset_bounds: (u64, u64),
    base_url: Option<String>,
    mode: GeneratorMode,
}

/// Pages of generated walks hold at most this many sessions, so a walk has several pages.
const WALK_LIMIT_MAX: u64 = 6;
/// Single generated pages hold at most this many sessions, so thousands of cases stay fast.
const PAGE_LIMIT_MAX: u64 = 40;

impl Generator {
    /// Derives the generators of `contract`'s job-sessions pages (its default operation's 200).
    pub fn new(contract: &Contract) -> Result<Self, GenerateError> {
        Self::for_operation(contract.default_operation())
    }

    /// Derives the generators of `operation`'s success (200) body.
    pub fn for_operation(operation: &Operation) -> Result<Self, GenerateError> {
        Self::for_response(operation, 200)
    }

    /// Derives the generators of `operation`'s body for `status`, from the standalone schema
    /// [`Operation::response_schema`] picks. A 200 is a page, a list or a single object as
    /// [`Operation::body`] says, with the domain layer of its items' schema; any other status
    /// is generated from its schema alone.
    pub fn for_response(operation: &Operation, status: u16) -> Result<Self, GenerateError> {
        let root = operation
            .response_schema(status)
            .ok_or_else(|| GenerateError::NoResponse {
                operation: operation.id().to_owned(),
                status,
            })?;
        let body = shape_of(root, root)?;
        let (kind, item_name) = match operation.body().filter(|_| status == 200) {
            Some(Body::Page(paging)) => (BodyKind::Page, paging.item.as_deref()),
            Some(Body::List { item }) => (BodyKind::List, item.as_deref()),
            Some(Body::Single { schema }) => (BodyKind::Single, schema.as_deref()),
            None => (BodyKind::Other, None),
        };
        let no_object = || ObjectShape {
            properties: Vec::new(),
            additional: None,
        };
        let links_of = |object: &ObjectShape| {
            object
                .property("_links")
                .and_then(|p| p.shape.as_object())
                .and_then(|links| links.additional.as_deref())
                .cloned()
        };
        let (page, session) = match kind {
            BodyKind::Page => {
                let page = body
                    .as_object()
                    .cloned()
                    .ok_or(GenerateError::Missing("object at its root"))?;
                let session = match page.property("results").map(|p| &p.shape) {
                    Some(Shape::Array { items, .. }) => (**items).clone(),
                    _ => return Err(GenerateError::Missing("`results` array")),
                };
                (page, session)
            }
            BodyKind::List => match &body {
                Shape::Array { items, .. } => (no_object(), (**items).clone()),
                _ => return Err(GenerateError::Missing("array at its root")),
            },
            BodyKind::Single | BodyKind::Other => (no_object(), body.clone()),
        };
        let link = links_of(&page).unwrap_or(Shape::Object(no_object()));
        let (limit_bounds, offset_bounds) = if kind == BodyKind::Page {
            let bounds = |name: &'static str| match page.property(name).map(|p| &p.shape) {
                Some(Shape::Integer { min, max }) => {
                    Ok(((*min).max(0) as u64, (*max).max(0) as u64))
                }
                _ => Err(GenerateError::Missing(name)),
            };
            (bounds("limit")?, bounds("offset")?)
        } else {
            ((1, 1), (0, 0))
        };
        let item = session.as_object();
        let item_links = item
            .and_then(|o| o.property("_links"))
            .and_then(|p| p.shape.as_object())
            .is_some_and(|links| links.additional.is_some() || links.property("self").is_some());
        let id_range = match item.and_then(|o| o.property("id")).map(|p| &p.shape) {
            Some(Shape::Integer { min, max }) => {
                let min = (*min).max(1);
                (min, (*max).max(min))
            }
            _ => (1, i64::MAX),
        };
        Ok(Self {
            operation: operation.id().to_owned(),
            path: operation.path().to_owned(),
            params: operation.path_parameters().to_vec(),
            status,
            kind,
            body,
            domain: match kind {
                BodyKind::Other => Domain::Plain,
                _ => Domain::of(item_name),
            },
            item_links,
            id_range,
            limit_bounds,
            offset_bounds,
            page,
            session,
            link,
            base_url: None,
            mode: GeneratorMode::Edge,
        })
    }

    /// The id of the operation generated for.
    pub fn operation_id(&self) -> &str {
        &self.operation
    }

    /// The status whose body is generated.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// What the generated body is.
    pub fn kind(&self) -> BodyKind {
        self.kind
    }

    /// The same generator, writing absolute links under `base_url` (e.g. `https://127.0.0.1:8443`).
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into().trim_end_matches('/').to_owned());
        self
    }

    /// The same generator, drawing seeded data in `mode` (the strategies always draw the whole
    /// schema, [`GeneratorMode::Edge`]).
    pub fn with_mode(mut self, mode: GeneratorMode) -> Self {
        self.mode = mode;
        self
    }

    /// The mode of the seeded API.
    pub fn mode(&self) -> GeneratorMode {
        self.mode
    }

    /// The base URL of absolute links, when one was set.
    pub fn base_url(&self) -> Option<&str> {
        self.base_url.as_deref()
    }

    /// The page's shape, as derived from the schema.
    pub fn page_shape(&self) -> &ObjectShape {
        &self.page
    }

    /// The session's shape, as derived from the schema.
    pub fn session_shape(&self) -> &Shape {
        &self.session
    }

    /// The largest `limit` the contract allows.
    pub fn max_limit(&self) -> u64 {
        self.limit_bounds.1
    }

    /// Sessions (items) of `job_id` (the parent collection), each with its links and times
    /// made consistent.
    pub fn session_strategy(&self, job_id: String) -> BoxedStrategy<Value> {
        let this = self.clone();
        self.raw_session()
            .prop_map(move |raw| this.dress_member(raw, &job_id, &mut HashSet::new(), 0))
            .boxed()
    }

    /// Sessions of `job_id` that are `Running` or `Queued` and yet carry an `endTime` (equal to or
    /// after `creationTime`): valid against the schema, and each draws exactly the warning
    /// `end-while-running` at `/endTime`. The active statuses are taken from the schema's enum.
    pub fn active_with_end_strategy(&self, job_id: String) -> BoxedStrategy<Value> {
        let active: Vec<Value> = self
            .status_values()
            .into_iter()
            .filter(|s| matches!(s.as_str(), Some("Running" | "Queued")))
            .collect();
        let active = if active.is_empty() {
            vec![Value::from("Running")]
        } else {
            active
        };
        (
            self.session_strategy(job_id),
            proptest::sample::select(active),
            0i64..=86_400,
        )
            .prop_map(|(mut session, status, later)| {
                if let Value::Object(map) = &mut session {
                    map.insert("status".to_owned(), status);
                    let end = map
                        .get("creationTime")
                        .and_then(Value::as_str)
                        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                        .map(|t| t + chrono::Duration::seconds(later))
                        .map_or(Value::Null, |t| Value::from(t.to_rfc3339()));
                    map.insert("endTime".to_owned(), end);
                }
                session
            })
            .boxed()
    }

    /// The values of the session's `status` enum, as the schema lists them.
    fn status_values(&self) -> Vec<Value> {
        match self.session.as_object().and_then(|s| s.property("status")) {
            Some(Property {
                shape: Shape::Enum(values),
                ..
            }) => values.clone(),
            _ => Vec::new(),
        }
    }

    /// Single pages: any page of some job's walk, with the request it answers.
    pub fn page_strategy(&self) -> BoxedStrategy<GeneratedPage> {
        let this = self.clone();
        let (min_limit, max_limit) = self.limit_bounds;
        let most = max_limit.min(PAGE_LIMIT_MAX).max(min_limit);
        let offsets = self.offset_bounds.0..=self.offset_bounds.1.min(100_000);
        // No `prop_flat_map` from limit to sessions: independent parts shrink well (fewer
        // sessions, smaller limit, offset 0), and the page keeps the first `limit` sessions.
        (
            (uuid(), min_limit..=most, offsets, any::<bool>()),
            (
                self.raw_page(),
                vec(self.raw_session(), 0..=most as usize),
                self.link_template(),
                any::<u64>(),
            ),
        )
            .prop_map(
                move |((job_id, limit, offset, more), (base, mut sessions, link, noise))| {
                    sessions.truncate(limit as usize);
                    let full = sessions.len() as u64 == limit;
                    let more = more && full;
                    let total = offset + sessions.len() as u64 + if more { limit } else { 0 };
                    let mut seen = HashSet::new();
                    let sessions: Vec<Value> = sessions
                        .into_iter()
                        .enumerate()
                        .map(|(i, raw)| {
                            this.dress_member(raw, &job_id, &mut seen, offset + i as u64)
                        })
                        .collect();
                    let count = sessions.len();
                    let body = this.assemble(
                        base, &job_id, offset, limit, total, sessions, count, &link, noise,
                    );
                    GeneratedPage {
                        job_id,
                        offset,
                        limit,
                        body,
                    }
                },
            )
            .boxed()
    }

    /// Walks: every page of one job from offset 0, obeying the paging rules.
    pub fn walk_strategy(&self) -> BoxedStrategy<GeneratedWalk> {
        let this = self.clone();
        let (min_limit, max_limit) = self.limit_bounds;
        let most = max_limit.min(WALK_LIMIT_MAX).max(min_limit.max(1));
        (
            (uuid(), min_limit.max(1)..=most, any::<bool>(), any::<u64>()),
            (
                self.raw_page(),
                vec(self.raw_session(), 0..=(most * 5) as usize),
                self.link_template(),
            ),
        )
            .prop_map(
                move |((job_id, limit, empty_tail, noise), (base, sessions, link))| {
                    this.walk(&job_id, limit, base, sessions, &link, empty_tail, noise)
                },
            )
            .boxed()
    }

    #[allow(clippy::too_many_arguments)]
    fn walk(
        &self,
        job_id: &str,
        limit: u64,
        base: Value,
        sessions: Vec<RawSession>,
        link: &Value,
        empty_tail: bool,
        noise: u64,
    ) -> GeneratedWalk {
        let total = sessions.len() as u64;
        let mut seen = HashSet::new();
        let mut dressed: Vec<Value> = sessions
            .into_iter()
            .enumerate()
            .map(|(i, raw)| self.dress_member(raw, job_id, &mut seen, i as u64))
            .collect();
        // A walk ends on a short page, or on a full one: with no next, or with a next that
        // leads to an empty page.
        let mut pages_count = total.div_ceil(limit).max(1);
        if total > 0 && total.is_multiple_of(limit) && empty_tail {
            pages_count += 1;
        }
        let mut pages = Vec::new();
        for number in 0..pages_count {
            let offset = number * limit;
            let take = dressed.len().min(limit as usize);
            let results: Vec<Value> = dressed.drain(..take).collect();
            let count = results.len();
            let is_last = number + 1 == pages_count;
            // The walk's total is what decides `next`; an empty tail is promised by the page before.
            let reported_total = if is_last {
                total
            } else {
                total.max(offset + limit + 1)
            };
            let body = self.assemble(
                base.clone(),
                job_id,
                offset,
                limit,
                reported_total,
                results,
                count,
                link,
                noise,
            );
            let body = with_total(body, total);
            pages.push(GeneratedPage {
                job_id: job_id.to_owned(),
                offset,
                limit,
                body,
            });
        }
        GeneratedWalk {
            job_id: job_id.to_owned(),
            pages,
        }
    }

    fn raw_session(&self) -> BoxedStrategy<RawSession> {
        (strategy(&self.session), any::<u64>()).boxed()
    }

    fn raw_page(&self) -> BoxedStrategy<Value> {
        object_strategy(&self.page)
    }

    fn link_template(&self) -> BoxedStrategy<Value> {
        strategy(&self.link)
    }

    /// Applies what the schema cannot say to a session drawn from it: `endTime` after
    /// `creationTime` and absent or null while running or queued; links named after the session
    /// and its job.
    fn dress_session(&self, (mut session, noise): RawSession, job_id: &str) -> Value {
        let Value::Object(map) = &mut session else {
            return session;
        };
        let instant = |v: Option<&Value>| {
            v.and_then(Value::as_str)
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        };
        if let (Some(created), Some(ended)) = (
            instant(map.get("creationTime")),
            instant(map.get("endTime")),
        ) && ended < created
            && let (Some(c), Some(e)) = (map.remove("creationTime"), map.remove("endTime"))
        {
            map.insert("creationTime".to_owned(), e);
            map.insert("endTime".to_owned(), c);
        }
        // Now and then a session ends the instant it starts: the boundary of
        // `end-before-creation`, which only an earlier end breaks.
        if (noise >> 12).is_multiple_of(8)
            && map.get("endTime").is_some_and(|e| !e.is_null())
            && let Some(created) = map.get("creationTime").cloned()
        {
            map.insert("endTime".to_owned(), created);
        }
        if matches!(
            map.get("status").and_then(Value::as_str),
            Some("Running" | "Queued")
        ) && map.get("endTime").is_some_and(|e| !e.is_null())
        {
            if noise & 1 == 0 {
                map.remove("endTime");
            } else {
                map.insert("endTime".to_owned(), Value::Null);
            }
        }
        set_session_links(map, job_id, self.host(noise), noise);
        session
    }

    fn host(&self, noise: u64) -> &str {
        match (&self.base_url, self.mode) {
            (Some(base), _) => base,
            // One server serves a realistic job's sessions and pages.
            (None, GeneratorMode::Realistic) => HOSTS[0],
            (None, GeneratorMode::Edge) => HOSTS[(noise >> 8) as usize % HOSTS.len()],
        }
    }

    /// Builds a page from a schema-drawn page object: the paging layer decides `offset`,
    /// `limit`, `results`, `_links.self`/`next` and `totalCount`.
    #[allow(clippy::too_many_arguments)]
    fn assemble(
        &self,
        base: Value,
        job_id: &str,
        offset: u64,
        limit: u64,
        total: u64,
        results: Vec<Value>,
        count: usize,
        link: &Value,
        noise: u64,
    ) -> Value {
        let Value::Object(mut page) = base else {
            return base;
        };
        let full = count as u64 == limit;
        let more = full && offset + limit < total;
        page.insert("offset".to_owned(), Value::from(offset));
        page.insert("limit".to_owned(), Value::from(limit));
        page.insert("results".to_owned(), Value::Array(results));
        if page.get("totalCount").is_some_and(|t| !t.is_null()) {
            page.insert("totalCount".to_owned(), Value::from(total));
        }
        let host = self.host(noise);
        let collection = self.collection_path(job_id);
        let href = |offset: u64| format!("{host}{collection}?offset={offset}&limit={limit}");
        let link_to = |href: String| {
            let mut link = link.clone();
            if let Value::Object(map) = &mut link {
                map.insert("href".to_owned(), Value::String(href));
            }
            link
        };
        let mut links = Map::new();
        if page.contains_key("_links") {
            links.insert("self".to_owned(), link_to(href(offset)));
        }
        if more {
            links.insert("next".to_owned(), link_to(href(offset + limit)));
        }
        if links.is_empty() {
            page.remove("_links");
        } else {
            page.insert("_links".to_owned(), Value::Object(links));
        }
        Value::Object(page)
    }

    /// The session at `index` of `job_id` for `seed`: the same bytes for the same arguments.
    pub fn session(&self, seed: u64, job_id: &str, index: u64) -> Value {
        self.sessions(seed, job_id, index..index.saturating_add(1))
            .pop()
            .unwrap_or(Value::Null)
    }

    /// Many sessions of one job at once (indices `range`), sharing one strategy.
    pub fn sessions(&self, seed: u64, job_id: &str, range: std::ops::Range<u64>) -> Vec<Value> {
        let raw = self.raw_session();
        let mut runner = runner([0; SEED_LEN]);
        let id_mask = mix(seed, job_id, 0, ID_SALT);
        range
            .map(|index| {
                *runner.rng() = TestRng::from_seed(
                    RngAlgorithm::XorShift,
                    &seed_bytes(seed, job_id, index, SESSION_SALT),
                );
                let raw = raw
                    .new_tree(&mut runner)
                    .map(|t| t.current())
                    .unwrap_or((Value::Null, 0));
                let noise = mix(seed, job_id, index, SESSION_SALT);
                match self.mode {
                    _ if self.domain != Domain::Session => {
                        let (mut item, _) = raw;
                        self.dress_seeded(&mut item, job_id, index, id_mask, noise);
                        item
                    }
                    GeneratorMode::Edge => {
                        let mut session = self.dress_session(raw, job_id);
                        if let Value::Object(map) = &mut session {
                            seeded_id(map, id_mask, index, self.id_range);
                            set_session_links(map, job_id, self.host(noise), noise);
                        }
                        session
                    }
                    GeneratorMode::Realistic => {
                        let (mut session, _) = raw;
                        realistic::session(&mut session, &self.session, seed, job_id, index);
                        if let Value::Object(map) = &mut session {
                            seeded_id(map, id_mask, index, self.id_range);
                        }
                        realistic::links(&mut session, job_id, self.host(noise));
                        session
                    }
                }
            })
            .collect()
    }

    /// The page of `job_id` at `offset`/`limit` when the job has `total` sessions, for `seed`.
    pub fn page(&self, seed: u64, job_id: &str, offset: u64, limit: u64, total: u64) -> Value {
        let end = total.min(offset.saturating_add(limit)).max(offset);
        let sessions = self.sessions(seed, job_id, offset..end);
        self.page_around(seed, job_id, offset, limit, total, sessions)
    }

    /// A page of `job_id` holding `sessions` (already generated), for `seed`: the page-level
    /// properties are the same for every page of the job.
    pub fn page_around(
        &self,
        seed: u64,
        job_id: &str,
        offset: u64,
        limit: u64,
        total: u64,
        sessions: Vec<Value>,
    ) -> Value {
        let (base, link, noise) = self.page_base(seed, job_id);
        let count = sessions.len();
        self.assemble(
            base, job_id, offset, limit, total, sessions, count, &link, noise,
        )
    }

    /// The page of `job_id` at `offset`/`limit` with an empty `results` that its `next` and
    /// `totalCount` treat as holding `count` sessions: servers splice pre-rendered sessions in.
    pub fn page_envelope(
        &self,
        seed: u64,
        job_id: &str,
        offset: u64,
        limit: u64,
        total: u64,
        count: usize,
    ) -> Value {
        let (base, link, noise) = self.page_base(seed, job_id);
        self.assemble(
            base,
            job_id,
            offset,
            limit,
            total,
            Vec::new(),
            count,
            &link,
            noise,
        )
    }

    /// The page-level properties of `job_id`'s pages (the same for every page), the template of
    /// its page links and the noise that picks its host.
    fn page_base(&self, seed: u64, job_id: &str) -> (Value, Value, u64) {
        let bytes = seed_bytes(seed, job_id, 0, PAGE_SALT);
        let (mut base, link) = draw(&(self.raw_page(), self.link_template()), bytes);
        if self.mode == GeneratorMode::Realistic {
            realistic::page(&mut base, &self.page);
        }
        (base, link, mix(seed, job_id, 0, PAGE_SALT))
    }

    /// `count` job ids derived from `seed` (lower-case uuids).
    pub fn job_ids(&self, seed: u64, count: usize) -> Vec<String> {
        (0..count as u64)
            .map(|n| {
                let a = mix(seed, "job", n, JOB_SALT);
                let b = mix(seed, "job", n, JOB_SALT ^ 1);
                let mut bytes = [0u8; 16];
                bytes[..8].copy_from_slice(&a.to_le_bytes());
                bytes[8..].copy_from_slice(&b.to_le_bytes());
                render_uuid(bytes, false)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_are_stable_per_seed() {
        let contract = Contract::embedded().unwrap();
        let generator = Generator::new(&contract).unwrap();
        assert_eq!(generator.job_ids(7, 3), generator.job_ids(7, 3));
        assert_ne!(generator.job_ids(7, 1), generator.job_ids(8, 1));
    }
}
