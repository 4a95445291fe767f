//! The machine-checkable lines of `openapi/DECISIONS.md`: each `Check:` names a JSON pointer
//! into the document and the value it must hold, so a decision the document forgets fails CI.

use serde_json::Value;

/// The decisions file as it was when this crate was built.
pub const EMBEDDED_DECISIONS: &str = include_str!("../../openapi/DECISIONS.md");

/// What a `Check:` line expects at its pointer.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// The pointer holds exactly this JSON value.
    Equals(Value),
    /// The pointer resolves to nothing.
    Absent,
}

/// One `Check:` line of a decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// The decision it belongs to (`D7`).
    pub decision: String,
    /// Line number in the decisions file (1-based).
    pub line: usize,
    /// JSON pointer into the document.
    pub pointer: String,
    /// What must be there.
    pub expect: Expect,
}

/// A check that does not hold, or a line that does not parse.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckFailure {
    /// Line number in the decisions file (1-based).
    pub line: usize,
    /// The decision, when known.
    pub decision: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// Parses every `Check:` line; a malformed one becomes a failure rather than being skipped.
pub fn parse(text: &str) -> (Vec<Check>, Vec<CheckFailure>) {
    let mut decision = None::<String>;
    let mut checks = Vec::new();
    let mut failures = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if let Some(heading) = trimmed.strip_prefix("## ") {
            decision = heading
                .split(|c: char| c == '.' || c.is_whitespace())
                .next()
                .map(str::to_owned);
            continue;
        }
        let Some(rest) = trimmed.strip_prefix("- Check:") else {
            continue;
        };
        match parse_check(rest.trim()) {
            Some((pointer, expect)) => checks.push(Check {
                decision: decision.clone().unwrap_or_default(),
                line,
                pointer,
                expect,
            }),
            None => failures.push(CheckFailure {
                line,
                decision: decision.clone(),
                message: "a Check line must read: `POINTER` is `JSON` (or: `POINTER` is absent)"
                    .into(),
            }),
        }
    }
    (checks, failures)
}

fn parse_check(rest: &str) -> Option<(String, Expect)> {
    let rest = rest.strip_prefix('`')?;
    let (pointer, rest) = rest.split_once('`')?;
    let rest = rest.trim().strip_prefix("is")?.trim();
    if rest == "absent" {
        return Some((pointer.to_owned(), Expect::Absent));
    }
    let json = rest.strip_prefix('`')?.strip_suffix('`')?;
    let value = serde_json::from_str(json).ok()?;
    Some((pointer.to_owned(), Expect::Equals(value)))
}

/// Evaluates every check of `decisions_text` against `document`; empty means all hold.
pub fn verify(decisions_text: &str, document: &Value) -> Vec<CheckFailure> {
    let (checks, mut failures) = parse(decisions_text);
    if checks.is_empty() && failures.is_empty() {
        failures.push(CheckFailure {
            line: 0,
            decision: None,
            message: "the decisions file has no Check lines".into(),
        });
    }
    for check in checks {
        let actual = document.pointer(&check.pointer);
        let message = match (&check.expect, actual) {
            (Expect::Equals(want), Some(got)) if want == got => continue,
            (Expect::Absent, None) => continue,
            (Expect::Equals(want), Some(got)) => {
                format!("`{}` is {got}, the decision says {want}", check.pointer)
            }
            (Expect::Equals(want), None) => {
                format!("`{}` is missing, the decision says {want}", check.pointer)
            }
            (Expect::Absent, Some(got)) => {
                format!(
                    "`{}` is {got}, the decision says it is absent",
                    check.pointer
                )
            }
        };
        failures.push(CheckFailure {
            line: check.line,
            decision: Some(check.decision),
            message,
        });
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TEXT: &str = "## D1. Something\n- Check: `/a/b` is `3`\n- Check: `/c` is absent\n";

    #[test]
    fn holding_checks_produce_no_failures() {
        assert!(verify(TEXT, &json!({"a": {"b": 3}})).is_empty());
    }

    #[test]
    fn changed_value_fails_with_decision_and_line() {
        let failures = verify(TEXT, &json!({"a": {"b": 4}, "c": 1}));
        assert_eq!(failures.len(), 2);
        assert_eq!(failures[0].line, 2);
        assert_eq!(failures[0].decision.as_deref(), Some("D1"));
        assert!(failures[1].message.contains("absent"));
    }

    #[test]
    fn malformed_check_line_is_a_failure() {
        let failures = verify("## D2. x\n- Check: /a is 3\n", &json!({}));
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].line, 2);
    }
}
