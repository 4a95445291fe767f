//! What the verifier says about a response: findings, each with a stable rule id, a severity,
//! the JSON pointer of the instance and, for text input, its line and column.

use serde::Serialize;

/// How bad a finding is: errors fail a run, warnings only with `--deny-warnings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Tolerated by the contract (see `openapi/DECISIONS.md`), worth a look.
    Warning,
    /// The response breaks the contract.
    Error,
}

impl Severity {
    /// The lowercase name used in every report.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

macro_rules! rules {
    ($($variant:ident = $id:literal, $severity:ident, $doc:literal;)*) => {
        /// A rule of the contract; its id is stable and documented in the README.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule {
            $(#[doc = $doc] $variant,)*
        }

        impl Rule {
            /// Every rule, in the README's order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)*];

            /// The stable kebab-case id.
            pub fn id(self) -> &'static str {
                match self { $(Rule::$variant => $id,)* }
            }

            /// The severity findings of this rule have unless a tolerance applies.
            pub fn default_severity(self) -> Severity {
                match self { $(Rule::$variant => Severity::$severity,)* }
            }

            /// One sentence on what the rule checks.
            pub fn description(self) -> &'static str {
                match self { $(Rule::$variant => $doc,)* }
            }

            /// The rule with this id, if any.
            pub fn from_id(id: &str) -> Option<Rule> {
                Rule::ALL.iter().copied().find(|r| r.id() == id)
            }
        }
    };
}

rules! {
    Schema = "schema", Error, "The body matches the JSON Schema derived from the document (types, required properties, enums, bounds, formats).";
    JsonSyntax = "json-syntax", Error, "The body is one complete JSON value: not empty, not truncated, no trailing data.";
    Encoding = "encoding", Error, "The body is UTF-8.";
    ContentType = "content-type", Error, "The Content-Type is application/json, with an optional utf-8 charset.";
    Status = "status", Error, "The response status is 200; any other status is reported with the server's message.";
    Redirect = "redirect", Error, "The response is not a redirect (3xx); one is reported with its status and `Location`, never followed, and the walk of that job ends.";
    ResultsOverLimit = "results-over-limit", Error, "A page holds no more than `limit` sessions.";
    EchoMismatch = "echo-mismatch", Error, "The page's `offset` and `limit` echo the request's.";
    EndBeforeCreation = "end-before-creation", Error, "A session's `endTime` is not before its `creationTime`.";
    EndWhileRunning = "end-while-running", Warning, "A `Running` or `Queued` session has no `endTime`.";
    SelfLinkMismatch = "self-link-mismatch", Error, "A session's `_links.self` names the session's own id.";
    JobLinkMismatch = "job-link-mismatch", Error, "A session's `_links.job` names the requested job.";
    DuplicateSessionId = "duplicate-session-id", Error, "No session id appears twice, within a page or across the pages of one walk.";
    OffsetSequence = "offset-sequence", Error, "Across a walk, each page starts where the previous one ended (offset + limit).";
    NextOnShortPage = "next-on-short-page", Error, "In a walk, a page shorter than `limit` has no `_links.next` (a lone page is not judged: the seed example is one, elided).";
    MissingNext = "missing-next", Error, "A page followed by more pages has `_links.next`.";
    NextOnLastPage = "next-on-last-page", Error, "The last page of a finished walk has no `_links.next`.";
    PageLoop = "page-loop", Error, "A page of a walk brings at least one session not seen before in the walk (a page of repeats is a loop, e.g. the same page or A, B, A, B forever; the walk ends).";
    CollectionShifted = "collection-shifted", Warning, "The collection moved during the walk: pages started with the sessions that ended the page before (new sessions pushed them down); reported once per walk with the count.";
    WalkBound = "walk-bound", Warning, "A walk ends within its bounds (`--max-sessions`, `--max-walk-time`, one million pages); a walk cut short by one is reported and its completion rules are not judged.";
    NextLeavesCollection = "next-leaves-collection", Warning, "`_links.next` stays in the job's own collection (the seed's example does not, so this is a warning).";
    NumericString = "numeric-string", Warning, "A statistic is a JSON integer, not a string of digits (the seed's table form, tolerated).";
}

/// Line and column (both 1-based) of a position in text input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

/// One thing the verifier found wrong (or worth a warning) in a response or a walk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule broken.
    #[serde(serialize_with = "serialize_rule")]
    pub rule: Rule,
    /// Error or warning.
    pub severity: Severity,
    /// JSON pointer of the offending value in the body ("" for the whole body).
    pub pointer: String,
    /// Where in the derived JSON Schema the failed keyword sits, for `schema` findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_location: Option<String>,
    /// What is wrong, in plain words.
    pub message: String,
    /// Line and column in the source text, when the input is text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    /// The source line around the position, with the position's column in it, for people.
    /// Never filled when values are masked.
    #[serde(skip)]
    pub snippet: Option<Snippet>,
}

/// A short excerpt of the source line a finding points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    /// The excerpt (at most about 100 characters of the line).
    pub text: String,
    /// The 0-based character offset of the position inside `text`.
    pub caret: usize,
}

fn serialize_rule<S: serde::Serializer>(rule: &Rule, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(rule.id())
}

impl Finding {
    /// A finding of `rule` at `pointer`, with the rule's default severity.
    pub fn new(rule: Rule, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            rule,
            severity: rule.default_severity(),
            pointer: pointer.into(),
            schema_location: None,
            message: message.into(),
            position: None,
            snippet: None,
        }
    }

    /// Whether this finding fails a run.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}
