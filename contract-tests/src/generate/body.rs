//! Bodies of any response: what a generated body is ([`BodyKind`]), one generated body with the
//! request it answers ([`GeneratedBody`]), and the strategies and seeded draws of lists, single
//! objects and plain (error) bodies; a page is drawn by the paging layer in `mod.rs`.

use std::collections::{BTreeMap, HashSet};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use serde_json::Value;

use super::domain::{
    Domain, echo_id, job_name, seeded_id, set_ids_in_links, set_self_link, unique_id,
};
use super::seed::{ID_SALT, SESSION_SALT, draw, mix, seed_bytes};
use super::shape::Shape;
use super::strategy::{strategy, uuid};
use super::{Generator, GeneratorMode, RawSession, realistic};
use crate::operation::{encode_segment, template_parameter};
use crate::rules::Request;

/// What a generated body is, as [`crate::operation::Body`] says of the operation's 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// A page of a collection (`offset`, `limit`, `results`).
    Page,
    /// A plain JSON array of items.
    List,
    /// One object.
    Single,
    /// Any other body (a status other than 200, an error body): its schema alone.
    Other,
}

/// One generated body of an operation's response, and the request it answers.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedBody {
    /// The operation's id.
    pub operation: String,
    /// The status the body is for.
    pub status: u16,
    /// The path parameters of the request.
    pub params: BTreeMap<String, String>,
    /// The requested offset, for a page.
    pub offset: Option<u64>,
    /// The requested limit, for a page.
    pub limit: Option<u64>,
    /// The body.
    pub body: Value,
}

impl GeneratedBody {
    /// The request this body answers, routed to its operation.
    pub fn request(&self) -> Request {
        Request {
            operation: Some(self.operation.clone()),
            params: self.params.clone(),
            offset: self.offset,
            limit: self.limit,
        }
    }

    /// The body as compact JSON bytes.
    pub fn bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.body).expect("a serde_json::Value always serialises")
    }
}

/// Lists drawn by the strategy hold at most this many items.
const LIST_MAX: usize = 6;
const BODY_SALT: u64 = 0xb0d1;

impl Generator {
    /// Conforming bodies of this response, each with the request it answers: pages as
    /// [`Generator::page_strategy`] draws them, lists of items with unique ids, single objects
    /// whose `id` is the last path parameter, and any other body from its schema alone.
    pub fn body_strategy(&self) -> BoxedStrategy<GeneratedBody> {
        let this = self.clone();
        match self.kind {
            BodyKind::Page => self
                .page_strategy()
                .prop_map(move |page| {
                    let params = this.params_all(&page.job_id);
                    this.generated(params, Some(page.offset), Some(page.limit), page.body)
                })
                .boxed(),
            BodyKind::List => (uuid(), vec(self.raw_session(), 0..=LIST_MAX))
                .prop_map(move |(parent, raws)| {
                    let mut seen = HashSet::new();
                    let items = raws
                        .into_iter()
                        .enumerate()
                        .map(|(i, raw)| this.dress_member(raw, &parent, &mut seen, i as u64))
                        .collect();
                    this.generated(this.params_all(&parent), None, None, Value::Array(items))
                })
                .boxed(),
            BodyKind::Single => (self.id_strategy(), uuid(), self.raw_session())
                .prop_map(move |(id, parent, raw)| {
                    let params = this.single_params(&parent, &id);
                    let body = this.dress_single(raw, &params);
                    this.generated(params, None, None, body)
                })
                .boxed(),
            BodyKind::Other => strategy(&self.body)
                .prop_map(move |body| this.generated(BTreeMap::new(), None, None, body))
                .boxed(),
        }
    }

    /// One conforming body for `seed`: the same body for the same seed.
    pub fn body(&self, seed: u64) -> GeneratedBody {
        let bytes = seed_bytes(seed, &self.operation, u64::from(self.status), BODY_SALT);
        draw(&self.body_strategy(), bytes)
    }

    /// The single object the request with path parameters `params` gets, for `seed`: its `id`
    /// is the last path parameter when the path ends with one.
    pub fn single(&self, seed: u64, params: &BTreeMap<String, String>) -> Value {
        let key: Vec<&str> = params.values().map(String::as_str).collect();
        let key = key.join("/");
        let (mut item, noise) = draw(&self.raw_session(), seed_bytes(seed, &key, 0, SESSION_SALT));
        let parent = self.parent_of(params).to_owned();
        match (self.domain, self.mode) {
            (Domain::Session, GeneratorMode::Realistic) => {
                realistic::session(&mut item, &self.session, seed, &parent, 0);
                if let (Some(id), Value::Object(map)) = (self.echoed(params), &mut item) {
                    echo_id(map, id);
                }
                realistic::links(&mut item, &parent, self.host(noise));
                item
            }
            _ => {
                let mask = mix(seed, &key, 0, ID_SALT);
                if self.echoed(params).is_none()
                    && let Value::Object(map) = &mut item
                {
                    seeded_id(map, mask, 0, self.id_range);
                }
                self.dress_single((item, noise), params)
            }
        }
    }

    /// Item `index` of the collection of `parent` (as [`Generator::sessions`] draws it) with
    /// `id` as its id, its links naming that id: how the mock serves its jobs.
    pub fn item_with_id(&self, seed: u64, parent: &str, index: u64, id: &str) -> Value {
        let mut item = self.session(seed, parent, index);
        let noise = mix(seed, parent, index, SESSION_SALT);
        if let Value::Object(map) = &mut item {
            echo_id(map, id);
            match self.domain {
                Domain::Session => set_ids_in_links(map, id),
                _ if self.item_links => set_self_link(map, self.self_href(parent, id, noise)),
                _ => {}
            }
        }
        item
    }

    /// Applies the domain layer to an item of a collection drawn by a strategy: ids unique
    /// among `seen`, links (and a job's name) set from the index and the parent.
    pub(super) fn dress_member(
        &self,
        raw: RawSession,
        parent: &str,
        seen: &mut HashSet<String>,
        index: u64,
    ) -> Value {
        if self.domain == Domain::Session {
            let mut session = self.dress_session(raw, parent);
            unique_id(&mut session, seen, index);
            return session;
        }
        let (mut item, noise) = raw;
        unique_id(&mut item, seen, index);
        self.dress_generic(&mut item, parent, index, None, noise);
        item
    }

    /// Applies the domain layer to a seeded item of a collection whose id is not yet unique.
    pub(super) fn dress_seeded(
        &self,
        item: &mut Value,
        parent: &str,
        index: u64,
        mask: u64,
        noise: u64,
    ) {
        if self.domain == Domain::Plain {
            return;
        }
        if let Value::Object(map) = item {
            seeded_id(map, mask, index, self.id_range);
        }
        self.dress_generic(item, parent, index, None, noise);
    }

    /// The domain layer of one object served alone: the id echoed from the path.
    fn dress_single(
        &self,
        (mut item, noise): RawSession,
        params: &BTreeMap<String, String>,
    ) -> Value {
        let parent = self.parent_of(params).to_owned();
        let echoed = self.echoed(params);
        if self.domain == Domain::Session {
            let mut session = self.dress_session((item, noise), &parent);
            if let (Some(id), Value::Object(map)) = (echoed, &mut session) {
                echo_id(map, id);
                set_ids_in_links(map, id);
            }
            return session;
        }
        self.dress_generic(&mut item, &parent, 0, echoed, noise);
        item
    }

    /// Jobs' names, an echoed id and a self link naming the id (any schema but sessions).
    fn dress_generic(
        &self,
        item: &mut Value,
        parent: &str,
        index: u64,
        id: Option<&str>,
        noise: u64,
    ) {
        if self.domain == Domain::Plain {
            return;
        }
        let Value::Object(map) = item else {
            return;
        };
        let declares = |name: &str| {
            self.session
                .as_object()
                .and_then(|o| o.property(name))
                .map(|p| &p.shape)
        };
        if let Some(id) = id
            && declares("id").is_some()
        {
            echo_id(map, id);
        }
        if self.domain == Domain::Job
            && let Some(Shape::String {
                format: None,
                min_length,
                max_length,
            }) = declares("name")
        {
            let name = job_name(index);
            let length = name.chars().count();
            if length >= *min_length && max_length.is_none_or(|max| length <= max) {
                map.insert("name".to_owned(), Value::String(name));
            }
        }
        let id = match map.get("id") {
            Some(Value::String(id)) => Some(id.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        if self.item_links
            && let Some(id) = id
        {
            let href = self.self_href(parent, &id, noise);
            set_self_link(map, href);
        }
    }

    /// Where an item's self link points: the single object's own path, or the collection's
    /// path and the id; lower-case literal segments in realistic data, as the vendor writes
    /// its links.
    fn self_href(&self, parent: &str, id: &str, noise: u64) -> String {
        let lower = self.mode == GeneratorMode::Realistic;
        let host = self.host(noise);
        let ends_with_param = self.last_param().is_some();
        if self.kind == BodyKind::Single && ends_with_param {
            let last = self.last_param();
            let path = self.fill_with(&|name| if Some(name) == last { id } else { parent }, lower);
            return format!("{host}{path}");
        }
        let path = self.fill_with(&|_| parent, lower);
        format!("{host}{path}/{}", encode_segment(id))
    }

    /// The path of the collection (or object) with every path parameter set to `parent`
    /// (percent-encoded), as links name it: `/v5/Jobs/{parent}/JobSessions`.
    pub fn collection_path(&self, parent: &str) -> String {
        self.fill_with(&|_| parent, false)
    }

    /// The path template with `{name}` segments replaced by `value_of(name)` (percent-encoded).
    fn fill_with<'v>(&self, value_of: &dyn Fn(&str) -> &'v str, lower: bool) -> String {
        let mut out = String::with_capacity(self.path.len() + 40);
        for segment in self.path.split('/').skip(1) {
            out.push('/');
            match template_parameter(segment) {
                Some(name) => out.push_str(&encode_segment(value_of(name))),
                None if lower => out.push_str(&segment.to_ascii_lowercase()),
                None => out.push_str(segment),
            }
        }
        out
    }

    /// The path parameter the path ends with, if it ends with one (`/v5/Jobs/{jobId}`).
    fn last_param(&self) -> Option<&str> {
        self.path.rsplit('/').next().and_then(template_parameter)
    }

    /// The id a single object echoes: the value of the parameter the path ends with.
    fn echoed<'p>(&self, params: &'p BTreeMap<String, String>) -> Option<&'p str> {
        params.get(self.last_param()?).map(String::as_str)
    }

    /// The collection a single object belongs to: the first path parameter it does not echo.
    fn parent_of<'p>(&self, params: &'p BTreeMap<String, String>) -> &'p str {
        let last = self.last_param();
        self.params
            .iter()
            .filter(|p| Some(p.as_str()) != last)
            .find_map(|p| params.get(p))
            .map_or("", String::as_str)
    }

    /// Every path parameter set to `parent`.
    fn params_all(&self, parent: &str) -> BTreeMap<String, String> {
        self.params
            .iter()
            .map(|p| (p.clone(), parent.to_owned()))
            .collect()
    }

    /// The parameters of a single object's request: the last one is `id`, the others `parent`.
    fn single_params(&self, parent: &str, id: &str) -> BTreeMap<String, String> {
        let last = self.last_param();
        self.params
            .iter()
            .map(|p| {
                let value = if Some(p.as_str()) == last { id } else { parent };
                (p.clone(), value.to_owned())
            })
            .collect()
    }

    /// Values of the single object's `id` as a path segment: drawn from the id's schema when it
    /// is a string or an integer, a uuid otherwise; never empty.
    fn id_strategy(&self) -> BoxedStrategy<String> {
        let shape = self
            .session
            .as_object()
            .and_then(|o| o.property("id"))
            .map(|p| p.shape.clone());
        match shape {
            Some(shape @ (Shape::String { .. } | Shape::Integer { .. } | Shape::Enum(_))) => {
                strategy(&shape)
                    .prop_map(|v| match v {
                        Value::String(s) if !s.is_empty() => s,
                        Value::String(_) => "0".to_owned(),
                        other => other.to_string(),
                    })
                    .boxed()
            }
            _ => uuid(),
        }
    }

    fn generated(
        &self,
        params: BTreeMap<String, String>,
        offset: Option<u64>,
        limit: Option<u64>,
        body: Value,
    ) -> GeneratedBody {
        GeneratedBody {
            operation: self.operation.clone(),
            status: self.status,
            params,
            offset,
            limit,
            body,
        }
    }
}
