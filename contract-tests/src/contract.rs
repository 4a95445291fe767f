//! The contract document, loaded once: its JSON form, the JSON Schema derived from it and its
//! operations (see [`crate::operation`]), each with the compiled validators of its responses.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jsonschema::Validator;
use serde_json::Value;

use crate::operation::{
    Body, Operation, Paging, component_name, target_path, target_query, template_parameter,
};
use crate::rules::Request;
use crate::schema;

/// The contract document as it was when this crate was built.
pub const EMBEDDED_YAML: &str = include_str!("../../openapi/vbo-v5.yaml");
/// Path of the contract document, relative to the workspace root.
pub const DOCUMENT_PATH: &str = "openapi/vbo-v5.yaml";
/// Path of the exported JSON Schema of a page, relative to the workspace root.
pub const EXPORTED_SCHEMA_PATH: &str = "openapi/jobsessions.schema.json";
/// The path template of the operation this project is about.
pub const SESSIONS_PATH: &str = "/v5/Jobs/{jobId}/JobSessions";
/// The `operationId` of the job-sessions operation.
pub const SESSIONS_OPERATION_ID: &str = "get_job_sessions";
/// The path template of the sign-in operation.
pub const TOKEN_PATH: &str = "/v5/Token";

/// Why the contract could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    /// The document file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The document is not YAML (or JSON).
    #[error("{origin}: not valid YAML{}: {message}", location.map(|(l, c)| format!(" at line {l}, column {c}")).unwrap_or_default())]
    Yaml {
        /// Where the document came from.
        origin: String,
        /// Line and column of the problem, when known.
        location: Option<(usize, usize)>,
        /// The parser's message.
        message: String,
    },
    /// Something the verifier needs is not in the document.
    #[error("{origin}: {message}")]
    Shape {
        /// Where the document came from.
        origin: String,
        /// What is missing or wrong.
        message: String,
    },
    /// A derived schema does not compile.
    #[error("{origin}: the schema derived for {what} does not compile: {message}")]
    Schema {
        /// Where the document came from.
        origin: String,
        /// Which schema.
        what: String,
        /// The validator's message.
        message: String,
    },
}

/// A loaded contract: the document and the compiled validators of every operation.
pub struct Contract {
    origin: String,
    document: Value,
    page_schema: Value,
    operations: Vec<Operation>,
    default_operation: usize,
}

impl std::fmt::Debug for Contract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contract")
            .field("origin", &self.origin)
            .field("operations", &self.operations)
            .finish()
    }
}

/// A request routed to its operation.
#[derive(Debug, Clone, Copy)]
pub struct Route<'c> {
    /// The operation the method and path select.
    pub operation: &'c Operation,
}

impl Contract {
    /// The contract embedded at build time (`openapi/vbo-v5.yaml`).
    pub fn embedded() -> Result<Self, ContractError> {
        Self::from_yaml(EMBEDDED_YAML, DOCUMENT_PATH)
    }

    /// Loads a contract document from a file.
    pub fn load(path: &Path) -> Result<Self, ContractError> {
        let text = std::fs::read_to_string(path).map_err(|source| ContractError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_yaml(&text, &path.display().to_string())
    }

    /// Loads a contract document from YAML (or JSON) text; `origin` names it in messages.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Self, ContractError> {
        let document = parse_document(text, origin)?;
        Self::from_document(document, origin)
    }

    /// Builds the contract from a document already parsed into JSON: every operation with
    /// its validators, and the job-sessions operation as the one bare bodies are judged as.
    pub fn from_document(document: Value, origin: &str) -> Result<Self, ContractError> {
        let shape = |message: String| ContractError::Shape {
            origin: origin.to_owned(),
            message,
        };
        let paths = document
            .get("paths")
            .and_then(Value::as_object)
            .ok_or_else(|| shape("the document has no `paths`".to_owned()))?;
        let mut operations = Vec::new();
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, operation) in item {
                if !METHODS.contains(&method.as_str()) {
                    continue;
                }
                operations.push(build_operation(
                    &document, origin, path, method, item, operation,
                )?);
            }
        }
        let default_operation = operations
            .iter()
            .position(|op| op.method == "GET" && op.path == SESSIONS_PATH)
            .ok_or_else(|| shape(format!("no `get` operation at `{SESSIONS_PATH}`")))?;
        let page_schema = operations[default_operation]
            .schemas
            .get("200")
            .cloned()
            .ok_or_else(|| shape(format!("`GET {SESSIONS_PATH}` has no JSON 200 response")))?;
        Ok(Self {
            origin: origin.to_owned(),
            document,
            page_schema,
            operations,
            default_operation,
        })
    }

    /// Where the document came from (a path, or the embedded copy's path).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The document, as JSON.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// Every operation of the document, in document order.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The operation with this `operationId` (or `METHOD path`), without regard to case.
    /// Looked up for every response verified, so nothing is allocated here.
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        let label = id.split_once(' ');
        self.operations.iter().find(|op| {
            op.id.eq_ignore_ascii_case(id)
                || label.is_some_and(|(method, path)| {
                    op.method.eq_ignore_ascii_case(method) && op.path.eq_ignore_ascii_case(path)
                })
        })
    }

    /// The operation a body with no request is judged as: `GET /v5/Jobs/{jobId}/JobSessions`.
    pub fn default_operation(&self) -> &Operation {
        &self.operations[self.default_operation]
    }

    /// The operation `method` and `target` (an origin-form target or an absolute URL) select,
    /// if the document has one.
    pub fn route(&self, method: &str, target: &str) -> Option<Route<'_>> {
        let path = target_path(target);
        self.operations
            .iter()
            .find(|op| op.method.eq_ignore_ascii_case(method) && op.match_path(path).is_some())
            .map(|operation| Route { operation })
    }

    /// What a request asked for: its operation (if the document has one), path parameters,
    /// `offset` and `limit`. An unrouted request keeps only its query.
    pub fn request(&self, method: &str, target: &str) -> Request {
        let path = target_path(target);
        let mut request = Request::from_query(target_query(target));
        if let Some(route) = self.route(method, target) {
            request.operation = Some(route.operation.id.clone());
            request.params = route.operation.match_path(path).unwrap_or_default();
        }
        request
    }

    /// The `GET` operation that lists the values of `operation`'s one path parameter: the one
    /// whose path is the part of `operation`'s path before that parameter and whose items
    /// carry an `id` (`GET /v5/Jobs` lists the `jobId`s of `GET /v5/Jobs/{jobId}/JobSessions`).
    pub fn listing_for(&self, operation: &Operation) -> Option<&Operation> {
        let [_] = operation.parameters.as_slice() else {
            return None;
        };
        let cut = operation.path.find("/{")?;
        let parent = &operation.path[..cut];
        self.operations.iter().find(|op| {
            op.method == "GET"
                && op.parameters.is_empty()
                && op.path.eq_ignore_ascii_case(parent)
                && op.body().and_then(Body::item_schema).is_some_and(|item| {
                    self.document
                        .pointer(&format!(
                            "/components/schemas/{}/properties/id",
                            escape(item)
                        ))
                        .is_some()
                })
        })
    }

    /// The standalone JSON Schema (2020-12) of a 200 page: what `openapi/jobsessions.schema.json` holds.
    pub fn page_schema(&self) -> &Value {
        &self.page_schema
    }

    /// The exported schema file's text: pretty JSON with a trailing newline.
    pub fn exported_schema_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self.page_schema())
            .expect("a serde_json::Value always serialises");
        text.push('\n');
        text
    }

    /// The validator of the job-sessions response body for `status` (see
    /// [`Operation::validator_for_status`]).
    pub fn validator_for_status(&self, status: u16) -> Option<&Validator> {
        self.default_operation().validator_for_status(status)
    }

    /// Whether the document declares `status` for the job-sessions operation.
    pub fn declares_status(&self, status: u16) -> bool {
        self.default_operation().declares_status(status)
    }

    /// A standalone JSON Schema for the component schema `name`, if the document has it.
    pub fn component_schema(&self, name: &str) -> Option<Value> {
        let root = serde_json::json!({ "$ref": format!("#/components/schemas/{name}") });
        self.document
            .pointer(&format!("/components/schemas/{}", escape(name)))
            .map(|_| schema::standalone(&self.document, &root, None))
    }
}

/// The HTTP methods an OpenAPI path item may hold.
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation with its validators, and what its 200 body is.
fn build_operation(
    document: &Value,
    origin: &str,
    path: &str,
    method: &str,
    item: &serde_json::Map<String, Value>,
    operation: &Value,
) -> Result<Operation, ContractError> {
    let method = method.to_ascii_uppercase();
    let id = operation
        .get("operationId")
        .and_then(Value::as_str)
        .map_or_else(|| format!("{method} {path}"), str::to_owned);
    let parameters = path
        .split('/')
        .filter_map(template_parameter)
        .map(str::to_owned)
        .collect();
    let mut schemas = BTreeMap::new();
    let mut validators = BTreeMap::new();
    let mut body = None;
    let responses = operation.get("responses").and_then(Value::as_object);
    for (status, response) in responses.into_iter().flatten() {
        let Some(media_schema) = json_media_schema(document, response) else {
            continue;
        };
        let standalone = schema::standalone(document, media_schema, None);
        let validator = compile(&standalone).map_err(|message| ContractError::Schema {
            origin: origin.to_owned(),
            what: format!("{method} {path} status {status}"),
            message,
        })?;
        if status == "200" {
            body = Some(body_of(document, media_schema, item, operation));
        }
        schemas.insert(status.clone(), standalone);
        validators.insert(status.clone(), validator);
    }
    Ok(Operation {
        id,
        method,
        path: path.to_owned(),
        parameters,
        body,
        schemas,
        validators,
        fast: Default::default(),
    })
}

/// Follows `$ref`s (a bounded number) to the schema they name.
fn follow<'a>(document: &'a Value, mut schema: &'a Value) -> &'a Value {
    for _ in 0..16 {
        match resolve(document, schema) {
            Some(next) if !std::ptr::eq(next, schema) => schema = next,
            _ => break,
        }
    }
    schema
}

/// What a 200 body is: a page (object with `offset`, `limit` and a `results` array), a list
/// (an array) or one value.
fn body_of(
    document: &Value,
    media_schema: &Value,
    item: &serde_json::Map<String, Value>,
    operation: &Value,
) -> Body {
    let name = component_name(media_schema).map(str::to_owned);
    let schema = follow(document, media_schema);
    let items_name = |array: &Value| {
        array
            .get("items")
            .and_then(component_name)
            .map(str::to_owned)
    };
    if schema.get("type").and_then(Value::as_str) == Some("array") {
        return Body::List {
            item: items_name(schema),
        };
    }
    let property = |name: &str| {
        schema
            .get("properties")
            .and_then(|p| p.get(name))
            .map(|p| follow(document, p))
    };
    if let (Some(_), Some(_), Some(results)) =
        (property("offset"), property("limit"), property("results"))
        && results.get("type").and_then(Value::as_str) == Some("array")
    {
        return Body::Page(Paging {
            item: items_name(results),
            page: name,
            max_limit: limit_maximum(document, item, operation),
        });
    }
    Body::Single { schema: name }
}

/// The `maximum` of the operation's `limit` query parameter (or the path item's).
fn limit_maximum(
    document: &Value,
    item: &serde_json::Map<String, Value>,
    operation: &Value,
) -> Option<u64> {
    let lists = [operation.get("parameters"), item.get("parameters")];
    lists
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
        .map(|p| follow(document, p))
        .find(|p| {
            p.get("name").and_then(Value::as_str) == Some("limit")
                && p.get("in").and_then(Value::as_str) == Some("query")
        })
        .and_then(|p| p.get("schema"))
        .map(|s| follow(document, s))
        .and_then(|s| s.get("maximum"))
        .and_then(Value::as_u64)
}

/// Compiles a standalone schema with format assertions on.
pub fn compile(schema: &Value) -> Result<Validator, String> {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .map_err(|e| e.to_string())
}

/// Parses YAML (JSON is YAML) into a JSON value, with the error's line and column.
pub fn parse_document(text: &str, origin: &str) -> Result<Value, ContractError> {
    serde_yaml::from_str::<Value>(text).map_err(|e| ContractError::Yaml {
        origin: origin.to_owned(),
        location: e.location().map(|l| (l.line(), l.column())),
        message: e.to_string(),
    })
}

/// Escapes one JSON pointer token (RFC 6901).
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Follows a local `$ref` (`#/...`) inside `document`, once.
pub fn resolve<'a>(document: &'a Value, value: &'a Value) -> Option<&'a Value> {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => document.pointer(reference.strip_prefix('#')?),
        None => Some(value),
    }
}

/// The schema of the JSON media type of a response object (following a response `$ref`).
pub fn json_media_schema<'a>(document: &'a Value, response: &'a Value) -> Option<&'a Value> {
    let response = resolve(document, response)?;
    let content = response.get("content")?.as_object()?;
    content
        .iter()
        .find(|(media, _)| is_json_media_type(media))
        .and_then(|(_, media)| media.get("schema"))
}

/// `application/json`, with or without parameters, in any case.
pub fn is_json_media_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
}
