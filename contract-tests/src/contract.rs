//! The contract document, loaded once: its JSON form, the JSON Schema derived from it and the
//! compiled validators of the job-sessions responses, chosen by status code.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jsonschema::Validator;
use serde_json::Value;

use crate::schema;

/// The contract document as it was when this crate was built.
pub const EMBEDDED_YAML: &str = include_str!("../../openapi/vbo-v5.yaml");
/// Path of the contract document, relative to the workspace root.
pub const DOCUMENT_PATH: &str = "openapi/vbo-v5.yaml";
/// Path of the exported JSON Schema of a page, relative to the workspace root.
pub const EXPORTED_SCHEMA_PATH: &str = "openapi/jobsessions.schema.json";
/// The path template of the operation this project is about.
pub const SESSIONS_PATH: &str = "/v5/Jobs/{jobId}/JobSessions";
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

/// A loaded contract: the document and the compiled response validators.
pub struct Contract {
    origin: String,
    document: Value,
    page_schema: Value,
    validators: BTreeMap<String, Validator>,
}

impl std::fmt::Debug for Contract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contract")
            .field("origin", &self.origin)
            .field("responses", &self.validators.keys().collect::<Vec<_>>())
            .finish()
    }
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

    /// Builds the contract from a document already parsed into JSON.
    pub fn from_document(document: Value, origin: &str) -> Result<Self, ContractError> {
        let shape = |message: String| ContractError::Shape {
            origin: origin.to_owned(),
            message,
        };
        let operation = document
            .pointer(&format!("/paths/{}/get", escape(SESSIONS_PATH)))
            .ok_or_else(|| shape(format!("no `get` operation at `{SESSIONS_PATH}`")))?;
        let responses = operation
            .get("responses")
            .and_then(Value::as_object)
            .ok_or_else(|| shape(format!("`GET {SESSIONS_PATH}` has no responses")))?;
        let mut page_schema = None;
        let mut validators = BTreeMap::new();
        for (status, response) in responses {
            let Some(media_schema) = json_media_schema(&document, response) else {
                continue;
            };
            let standalone = schema::standalone(&document, media_schema, None);
            let validator = compile(&standalone).map_err(|message| ContractError::Schema {
                origin: origin.to_owned(),
                what: format!("status {status}"),
                message,
            })?;
            if status == "200" {
                page_schema = Some(standalone);
            }
            validators.insert(status.clone(), validator);
        }
        let page_schema = page_schema
            .ok_or_else(|| shape(format!("`GET {SESSIONS_PATH}` has no JSON 200 response")))?;
        Ok(Self {
            origin: origin.to_owned(),
            document,
            page_schema,
            validators,
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

    /// The standalone JSON Schema (2020-12) of a 200 page: what `openapi/jobsessions.schema.json` holds.
    pub fn page_schema(&self) -> &Value {
        &self.page_schema
    }

    /// The exported schema file's text: pretty JSON with a trailing newline.
    pub fn exported_schema_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.page_schema)
            .expect("a serde_json::Value always serialises");
        text.push('\n');
        text
    }

    /// The validator of the response body for `status`: the exact code, then `4XX`-style
    /// ranges, then `default`.
    pub fn validator_for_status(&self, status: u16) -> Option<&Validator> {
        let range = format!("{}XX", status / 100);
        [status.to_string(), range, "default".to_owned()]
            .iter()
            .find_map(|key| self.validators.get(key))
    }

    /// Whether the document declares `status` for the job-sessions operation.
    pub fn declares_status(&self, status: u16) -> bool {
        self.validator_for_status(status).is_some()
    }

    /// A standalone JSON Schema for the component schema `name`, if the document has it.
    pub fn component_schema(&self, name: &str) -> Option<Value> {
        let root = serde_json::json!({ "$ref": format!("#/components/schemas/{name}") });
        self.document
            .pointer(&format!("/components/schemas/{}", escape(name)))
            .map(|_| schema::standalone(&self.document, &root, None))
    }
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
