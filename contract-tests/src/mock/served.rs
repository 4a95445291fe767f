//! The operations as the mock serves them, derived once from the contract at start: each one's
//! route, whether it needs a bearer token, its generator, what each path parameter is (a job,
//! the id of an item of a served collection, or unknowable), its fault, and its collections.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::Method;
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use super::{Fault, MockConfig, MockError, render};
use crate::contract::{Contract, TOKEN_PATH};
use crate::generate::{BodyKind, Generator};
use crate::operation::{Body, Operation, match_template};

/// The path parameter that names a job (when no listing of `Job`s says so).
const JOB_ID: &str = "jobId";
/// The component schema of jobs.
const JOB_SCHEMA: &str = "Job";

/// One operation of the contract, as served.
pub(super) struct Served {
    pub(super) method: Method,
    /// The path template.
    pub(super) path: String,
    /// The path parameters' names, in path order.
    pub(super) params: Vec<String>,
    /// What each path parameter is, in path order.
    pub(super) kinds: Vec<ParamKind>,
    /// Whether the operation needs a bearer token (`security`, its own or the document's).
    pub(super) secured: bool,
    /// The generator of the success body; `None` when the operation declares no JSON one
    /// (answered `204 No Content`).
    pub(super) generator: Option<Generator>,
    /// The success status.
    pub(super) status: u16,
    /// The component schema of the items (page, list) or of the single object.
    pub(super) schema: Option<String>,
    /// The largest `limit` a page may ask for.
    pub(super) max_limit: u64,
    /// The mock's fault, when it strikes this operation.
    pub(super) fault: Option<Fault>,
    /// Requests that reached this operation's data, for faults that strike every other one.
    pub(super) requests: AtomicU64,
    /// The body of a 404 when the document's 404 schema refuses `{"message"}`.
    pub(super) not_found: Option<Vec<u8>>,
    /// Collections (of a page or list operation) by lower-case parent id: one per job for a
    /// collection under a job, one (parent `""`) for a collection with no path parameter.
    pub(super) collections: HashMap<String, Collection>,
}

/// What a path parameter is, as far as the mock can know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ParamKind {
    /// One of the mock's job ids.
    Job,
    /// The id of an item of the collections of these operations (indices into the served
    /// operations).
    Item(Vec<usize>),
    /// Anything: the mock has no collection to check it against.
    Any,
}

/// One collection of a page or list operation under one parent.
pub(super) struct Collection {
    /// The parent id as served (`""` without one).
    pub(super) parent: String,
    /// The items, as compact JSON, rendered on first use; under [`Fault::Busy`] the first
    /// [`MockConfig::hidden_sessions`] of them are the items the collection will gain while
    /// walked.
    pub(super) rendered: OnceCell<render::Rendered>,
    /// Requests that reached this collection's data.
    pub(super) requests: AtomicU64,
    /// Lower-case item id → index, built on the first lookup of a single item.
    pub(super) index: OnceLock<HashMap<String, u64>>,
}

impl Collection {
    pub(super) fn new(parent: &str) -> Self {
        Self {
            parent: parent.to_owned(),
            rendered: OnceCell::new(),
            requests: AtomicU64::new(0),
            index: OnceLock::new(),
        }
    }

    /// The collection as it stands now; counts the request (a busy collection gains an item
    /// every [`MockConfig::busy_every`] requests, until its hidden items are all there).
    pub(super) fn visible<'a>(
        &self,
        rendered: &'a [Box<[u8]>],
        config: &MockConfig,
        fault: Option<Fault>,
    ) -> &'a [Box<[u8]>] {
        let n = self.requests.fetch_add(1, Ordering::Relaxed);
        let hidden = config.hidden_sessions(fault);
        let started = (n / config.busy_every.max(1)).min(hidden);
        let from = (hidden - started) as usize;
        rendered.get(from..).unwrap_or_default()
    }

    /// The index of the item with `id` (without regard to case, D15) among `rendered`.
    pub(super) fn find(&self, rendered: &[Box<[u8]>], id: &str) -> Option<u64> {
        let index = self.index.get_or_init(|| {
            rendered
                .iter()
                .enumerate()
                .filter_map(|(i, bytes)| {
                    let item: Value = serde_json::from_slice(bytes).ok()?;
                    let id = match item.get("id")? {
                        Value::String(s) => s.to_ascii_lowercase(),
                        Value::Number(n) => n.to_string(),
                        _ => return None,
                    };
                    Some((id, i as u64))
                })
                .collect()
        });
        index.get(&id.to_ascii_lowercase()).copied()
    }
}

impl Served {
    /// The path parameters `path` gives this operation, if its template matches.
    pub(super) fn match_path(&self, path: &str) -> Option<BTreeMap<String, String>> {
        let values = match_template(&self.path, path)?;
        Some(self.params.iter().cloned().zip(values).collect())
    }

    /// Whether the items are the mock's jobs.
    pub(super) fn lists_jobs(&self) -> bool {
        self.schema.as_deref() == Some(JOB_SCHEMA)
            && self
                .generator
                .as_ref()
                .is_some_and(|g| matches!(g.kind(), BodyKind::Page | BodyKind::List))
    }

    /// Whether the success body is a collection (a page or a list).
    pub(super) fn is_collection(&self) -> bool {
        self.generator
            .as_ref()
            .is_some_and(|g| matches!(g.kind(), BodyKind::Page | BodyKind::List))
    }

    /// Whether the success body is a page.
    pub(super) fn is_page(&self) -> bool {
        self.generator
            .as_ref()
            .is_some_and(|g| g.kind() == BodyKind::Page)
    }
}

/// Every operation of `contract` but sign-in (which `token` serves), ready to serve.
pub(super) fn operations(
    contract: &Contract,
    config: &MockConfig,
    base_url: &str,
    job_ids: &[String],
) -> Result<Vec<Served>, MockError> {
    let chosen: Vec<&Operation> = contract
        .operations()
        .iter()
        .filter(|op| !(op.method() == "POST" && op.path().eq_ignore_ascii_case(TOKEN_PATH)))
        .collect();
    let mut served = Vec::with_capacity(chosen.len());
    for op in &chosen {
        let status = [200, 201, 202]
            .into_iter()
            .find(|s| op.response_schema(*s).is_some())
            .unwrap_or(204);
        let generator = match op.response_schema(status) {
            Some(_) => Some(
                Generator::for_response(op, status)?
                    .with_base_url(base_url)
                    .with_mode(config.data),
            ),
            None => None,
        };
        let schema = match op.body() {
            Some(Body::Page(paging)) => paging.item.clone(),
            Some(Body::List { item }) => item.clone(),
            Some(Body::Single { schema }) => schema.clone(),
            None => None,
        };
        let fault = config.fault.filter(|fault| {
            fault.applies_to(op)
                && config.fault_operation.as_deref().is_none_or(|id| {
                    op.id().eq_ignore_ascii_case(id) || op.label().eq_ignore_ascii_case(id)
                })
        });
        served.push(Served {
            method: Method::from_bytes(op.method().as_bytes()).unwrap_or(Method::GET),
            path: op.path().to_owned(),
            params: op.path_parameters().to_vec(),
            kinds: Vec::new(),
            secured: secured(contract.document(), op),
            generator,
            status,
            schema,
            max_limit: op
                .paging()
                .and_then(|p| p.max_limit)
                .unwrap_or(super::routes::LIMIT_MAX),
            fault,
            requests: AtomicU64::new(0),
            not_found: not_found(op, config.seed),
            collections: HashMap::new(),
        });
    }
    // What each parameter is depends on the other operations: which collections hold which
    // schema, and which list lists jobs.
    let kinds: Vec<Vec<ParamKind>> = chosen
        .iter()
        .zip(&served)
        .map(|(op, this)| param_kinds(contract, op, this, &served))
        .collect();
    for (this, kinds) in served.iter_mut().zip(kinds) {
        this.kinds = kinds;
        if this.is_collection() {
            this.collections = match this.kinds.last() {
                None => HashMap::from([(String::new(), Collection::new(""))]),
                Some(ParamKind::Job) => job_ids
                    .iter()
                    .map(|id| (id.to_ascii_lowercase(), Collection::new(id)))
                    .collect(),
                // A parent the mock cannot know: rendered on every request, never kept.
                Some(_) => HashMap::new(),
            };
        }
    }
    Ok(served)
}

/// What each path parameter of `op` is.
fn param_kinds(
    contract: &Contract,
    op: &Operation,
    this: &Served,
    all: &[Served],
) -> Vec<ParamKind> {
    let last = op.path_parameters().len().saturating_sub(1);
    let ends_with_param = op
        .path()
        .rsplit('/')
        .next()
        .is_some_and(|s| s.starts_with('{'));
    let listed_jobs = contract
        .listing_for(op)
        .and_then(|listing| listing.body())
        .and_then(Body::item_schema)
        == Some(JOB_SCHEMA);
    op.path_parameters()
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let single_id = i == last && ends_with_param && !this.is_collection();
            if single_id && this.schema.as_deref() != Some(JOB_SCHEMA) {
                let holders: Vec<usize> = all
                    .iter()
                    .enumerate()
                    .filter(|(_, other)| {
                        other.is_collection()
                            && !other.lists_jobs()
                            && other.schema.is_some()
                            && other.schema == this.schema
                    })
                    .map(|(j, _)| j)
                    .collect();
                if !holders.is_empty() {
                    return ParamKind::Item(holders);
                }
            }
            let job = name.eq_ignore_ascii_case(JOB_ID)
                || (i == last && listed_jobs)
                || (single_id && this.schema.as_deref() == Some(JOB_SCHEMA));
            if job { ParamKind::Job } else { ParamKind::Any }
        })
        .collect()
}

/// Whether `op` needs a bearer token: its own `security`, else the document's, names at least
/// one requirement and none of them is the empty one (which makes it optional).
fn secured(document: &Value, op: &Operation) -> bool {
    let own = document
        .get("paths")
        .and_then(|p| p.get(op.path()))
        .and_then(|item| item.get(op.method().to_ascii_lowercase()))
        .and_then(|o| o.get("security"));
    let security = own.or_else(|| document.get("security"));
    match security.and_then(Value::as_array) {
        Some(requirements) => {
            !requirements.is_empty()
                && requirements
                    .iter()
                    .all(|r| r.as_object().is_some_and(|r| !r.is_empty()))
        }
        None => false,
    }
}

/// The 404 body when the document's 404 schema of `op` refuses the usual `{"message"}`: one
/// generated from that schema.
fn not_found(op: &Operation, seed: u64) -> Option<Vec<u8>> {
    let validator = op.validator_for_status(404)?;
    if validator.is_valid(&json!({ "message": "Not found." })) {
        return None;
    }
    Generator::for_response(op, 404)
        .ok()
        .map(|g| g.body(seed).bytes())
}
