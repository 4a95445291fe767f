//! What the verifier says about a response: findings, each with a stable rule id, a severity,
//! the JSON pointer of the instance and, for text input, its line and column.
//!
//! A message that quotes a value from a payload or a server wraps it with [`payload`], so one
//! switch (`--mask`) can hide every such value, whichever rule wrote the message.

use std::borrow::Cow;
use std::fmt::Display;

use serde::Serialize;

/// Opens a payload value inside a message (a private-use character no rule writes itself).
const OPEN: char = '\u{E000}';
/// Closes a payload value inside a message.
const CLOSE: char = '\u{E001}';

/// What `--mask` shows instead of a payload value.
pub const MASKED: &str = "<masked>";

/// Marks `value`, taken from a payload or a server (an id, an href, a time, a message, a
/// header), for a finding's message: [`settle`] later shows it as is or as [`MASKED`].
pub fn payload(value: impl Display) -> String {
    let shown = value.to_string().replace([OPEN, CLOSE], "\u{FFFD}");
    format!("{OPEN}{shown}{CLOSE}")
}

/// Resolves the [`payload`] marks of a message: the values are kept, or replaced by
/// [`MASKED`] when `mask` is set. Text without marks is returned unchanged.
pub fn settle(message: &str, mask: bool) -> Cow<'_, str> {
    if !message.contains(OPEN) {
        return Cow::Borrowed(message);
    }
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let inner = &rest[start + OPEN.len_utf8()..];
        let (value, after) = match inner.find(CLOSE) {
            Some(end) => (&inner[..end], &inner[end + CLOSE.len_utf8()..]),
            None => (inner, ""),
        };
        out.push_str(if mask { MASKED } else { value });
        rest = after;
    }
    out.push_str(rest);
    Cow::Owned(out)
}

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
    JsonSyntax = "json-syntax", Error, "The body is one complete JSON value: not empty, not truncated, no trailing data, no byte-order mark, nested at most 127 levels deep.";
    DuplicateKey = "duplicate-key", Error, "No object has the same key twice (parsers keep one value silently, so the schema never sees the other).";
    Encoding = "encoding", Error, "The body is UTF-8.";
    ContentType = "content-type", Error, "The Content-Type is application/json, with an optional utf-8 charset.";
    Status = "status", Error, "The response status is 200; any other status is reported with the server's message.";
    Redirect = "redirect", Error, "The response is not a redirect (3xx); one is reported with its status and `Location`, never followed, and the walk of that job ends.";
    ResultsOverLimit = "results-over-limit", Error, "A page holds no more than `limit` sessions.";
    EchoMismatch = "echo-mismatch", Error, "The page's `offset` and `limit` echo the request's.";
    EndBeforeCreation = "end-before-creation", Error, "A session's `endTime` is not before its `creationTime`.";
    EndWhileRunning = "end-while-running", Warning, "A `Running` or `Queued` session has no `endTime`.";
    SelfLinkMismatch = "self-link-mismatch", Error, "A session's (or any item's) `_links.self` names its own id.";
    JobLinkMismatch = "job-link-mismatch", Error, "A session's `_links.job` names the requested job.";
    DuplicateSessionId = "duplicate-session-id", Error, "No session id appears twice, within a page or across the pages of one walk.";
    DuplicateId = "duplicate-id", Error, "No item of another collection (a list, or a page other than job sessions) has the same `id` as one before it in the response or walk.";
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
    /// The operation (`GET /v5/Jobs`) the response answered, when it is not the default one
    /// (the sessions of a job); part of the finding's fingerprint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
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
            operation: None,
        }
    }

    /// Resolves the payload marks of the message (see [`payload`]); with `mask`, also drops
    /// the snippet, which quotes the body.
    pub fn settle(&mut self, mask: bool) {
        if let Cow::Owned(settled) = settle(&self.message, mask) {
            self.message = settled;
        }
        if mask {
            self.snippet = None;
        }
    }

    /// Whether this finding fails a run.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The message with what varies from session to session and run to run replaced by
    /// placeholders (URLs, uuids, numbers), so findings of one kind compare equal: the key of
    /// grouped human output and part of a baseline fingerprint.
    pub fn message_shape(&self) -> String {
        shape(&self.message)
    }

    /// The pointer with array indexes replaced by `*` (`/results/*/status`).
    pub fn pointer_shape(&self) -> String {
        self.pointer
            .split('/')
            .map(|token| {
                if !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) {
                    "*"
                } else {
                    token
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// One line, headed as the human report heads a finding (without the source, which a finding
/// does not know): `error[schema] 10:17 /results/0/status: "Exploded" is not one of ...`.
/// Control characters are escaped, so a hostile body cannot forge lines.
impl Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::report::printable;
        write!(f, "{}[{}]", self.severity.as_str(), self.rule.id())?;
        if let Some(position) = self.position {
            write!(f, " {}:{}", position.line, position.column)?;
        }
        let pointer = if self.pointer.is_empty() {
            Cow::Borrowed("(whole body)")
        } else {
            printable(&self.pointer)
        };
        write!(f, " {pointer}: {}", printable(&settle(&self.message, true)))
    }
}

fn shape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut previous: Option<char> = None;
    while let Some(c) = rest.chars().next() {
        let at_word_start = !previous.is_some_and(|p| p.is_ascii_alphanumeric());
        if at_word_start && (rest.starts_with("http://") || rest.starts_with("https://")) {
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '"' || c == '\'')
                .unwrap_or(rest.len());
            let url = &rest[..end];
            let kept = url.trim_end_matches([';', ',', '.', ')']);
            out.push_str("<url>");
            rest = &rest[kept.len()..];
            previous = Some('>');
            continue;
        }
        if at_word_start && is_uuid_prefix(rest) {
            out.push_str("<id>");
            rest = &rest[36..];
            previous = Some('>');
            continue;
        }
        if c.is_ascii_digit() {
            let end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            out.push_str("<n>");
            rest = &rest[end..];
            previous = Some('>');
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
        previous = Some(c);
    }
    out
}

fn is_uuid_prefix(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 36
        && bytes[..36].iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
        && !bytes.get(36).is_some_and(|b| b.is_ascii_alphanumeric())
}

/// What a rule override sets a rule to: one of the two severities, or off (its findings are
/// dropped before anything counts or renders them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// Findings of the rule are errors.
    Error,
    /// Findings of the rule are warnings.
    Warning,
    /// Findings of the rule are dropped.
    Off,
}

impl Level {
    /// The spelling used on the command line and in the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Off => "off",
        }
    }
}

/// Why a rule override was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverrideError {
    /// The text is not `ID=LEVEL`.
    #[error("`{0}` is not ID=error|warning|off")]
    Shape(String),
    /// No rule has this id.
    #[error("unknown rule `{id}`; valid rules: {valid}")]
    UnknownRule {
        /// The id given.
        id: String,
        /// Every valid id, comma-separated.
        valid: String,
    },
    /// The level is not error, warning or off.
    #[error("unknown level `{0}` (use error, warning or off)")]
    UnknownLevel(String),
}

/// Per-rule severity overrides (`--rule ID=LEVEL`, the config file's `[rules]`). This is the one
/// place a finding's severity changes after the verifier made it; later settings win.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    levels: Vec<(Rule, Level)>,
}

impl Overrides {
    /// Sets `rule` to `level`, replacing an earlier setting for it.
    pub fn set(&mut self, rule: Rule, level: Level) {
        self.levels.retain(|(r, _)| *r != rule);
        self.levels.push((rule, level));
    }

    /// Parses and sets one `ID=LEVEL`.
    pub fn parse_set(&mut self, text: &str) -> Result<(), OverrideError> {
        let (id, level) = text
            .split_once('=')
            .ok_or_else(|| OverrideError::Shape(text.to_owned()))?;
        let (rule, level) = parse_override(id.trim(), level.trim())?;
        self.set(rule, level);
        Ok(())
    }

    /// The level set for `rule`, if any.
    pub fn get(&self, rule: Rule) -> Option<Level> {
        self.levels
            .iter()
            .find(|(r, _)| *r == rule)
            .map(|(_, level)| *level)
    }

    /// Whether nothing is overridden.
    pub fn is_empty(&self) -> bool {
        self.levels.is_empty()
    }

    /// Every setting, in the order made.
    pub fn iter(&self) -> impl Iterator<Item = (Rule, Level)> + '_ {
        self.levels.iter().copied()
    }

    /// Applies the overrides to `findings`: new severities, `off` rules removed.
    pub fn apply(&self, findings: &mut Vec<Finding>) {
        if self.levels.is_empty() {
            return;
        }
        findings.retain_mut(|finding| match self.get(finding.rule) {
            None => true,
            Some(Level::Off) => false,
            Some(Level::Error) => {
                finding.severity = Severity::Error;
                true
            }
            Some(Level::Warning) => {
                finding.severity = Severity::Warning;
                true
            }
        });
    }
}

/// Parses a rule id and a level name, rejecting unknown ids with the list of valid ones.
pub fn parse_override(id: &str, level: &str) -> Result<(Rule, Level), OverrideError> {
    let rule = Rule::from_id(id).ok_or_else(|| OverrideError::UnknownRule {
        id: id.to_owned(),
        valid: Rule::ALL
            .iter()
            .map(|r| r.id())
            .collect::<Vec<_>>()
            .join(", "),
    })?;
    let level = match level {
        "error" => Level::Error,
        "warning" => Level::Warning,
        "off" => Level::Off,
        other => return Err(OverrideError::UnknownLevel(other.to_owned())),
    };
    Ok((rule, level))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_are_empty_until_a_rule_is_set_and_a_later_setting_wins() {
        let mut overrides = Overrides::default();
        assert!(overrides.is_empty());
        overrides.parse_set("end-while-running=error").unwrap();
        overrides.parse_set("end-while-running=off").unwrap();
        assert!(!overrides.is_empty());
        assert_eq!(overrides.iter().count(), 1);
        assert_eq!(overrides.get(Rule::EndWhileRunning), Some(Level::Off));
    }

    #[test]
    fn a_message_s_shape_stands_in_for_urls_ids_and_numbers_and_keeps_what_quotes_them() {
        assert_eq!(
            shape(
                "next 'https://vbo.example/v5/x?offset=30' and \"http://h/y\", \
                 196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5 (see https://h/z). page 12"
            ),
            "next '<url>' and \"<url>\", <id> (see <url>). page <n>"
        );
    }

    #[test]
    fn payload_values_are_shown_or_masked_and_cannot_forge_marks() {
        let forged = format!("id-{CLOSE}tail{OPEN}");
        let message = format!("id {} on {}", payload(&forged), payload("host"));
        assert_eq!(
            settle(&message, false),
            "id id-\u{FFFD}tail\u{FFFD} on host"
        );
        assert_eq!(settle(&message, true), "id <masked> on <masked>");
        assert!(matches!(settle("plain", true), Cow::Borrowed("plain")));
    }
}
