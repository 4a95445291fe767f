//! Reports: the findings of a run grouped by where they came from, with totals, and the
//! renderers that format them (`human`, `json`, `junit`, `sarif`, `github`, `markdown`).
//! Renderers only format; every verdict is already in the report.

mod github;
mod human;
mod json;
mod junit;
mod markdown;
mod sarif;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use crate::baseline::Comparison;
use crate::finding::{Finding, Overrides, Position, Rule, Severity};

pub use github::{
    DEFAULT_CAP as GITHUB_DEFAULT_CAP, escape_data as github_escape_data,
    escape_property as github_escape_property, render as github,
};
pub use human::{HumanOptions, printable, render as human, render_with as human_with, summary};
pub use json::render as json;
pub use junit::render as junit;
pub use markdown::render as markdown;
pub use sarif::render as sarif;

/// Where a page came from: a file (and its line, for NDJSON), or a URL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Source {
    /// File path or URL.
    pub origin: String,
    /// Line of an NDJSON file the page sits on.
    pub line: Option<usize>,
    /// For a page fetched from a live server: its job and offset.
    pub live: Option<LivePage>,
}

/// Which page of which job a live response was.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LivePage {
    /// The job walked.
    pub job: String,
    /// The `offset` requested.
    pub offset: u64,
}

impl Source {
    /// A whole file or a URL.
    pub fn new(origin: impl Into<String>) -> Self {
        Self {
            origin: origin.into(),
            line: None,
            live: None,
        }
    }

    /// Line `line` of an NDJSON file.
    pub fn line(origin: impl Into<String>, line: usize) -> Self {
        Self {
            origin: origin.into(),
            line: Some(line),
            live: None,
        }
    }

    /// The page at `offset` of `job`, fetched from `url`.
    pub fn live(url: impl Into<String>, job: impl Into<String>, offset: u64) -> Self {
        Self {
            origin: url.into(),
            line: None,
            live: Some(LivePage {
                job: job.into(),
                offset,
            }),
        }
    }

    /// The line a position is reported on: the NDJSON record, else the position's own line.
    pub fn line_of(&self, position: Position) -> usize {
        self.line.unwrap_or(position.line)
    }

    /// Where a finding at `position` is, as people and CI logs read it. Files are
    /// `path:line:column` (what editors and `file:line:col` parsers expect); a live response
    /// is `URL (offset N, line L, column C)`, so no parser takes the URL's query for a file
    /// and its numbers for a line.
    pub fn locate(&self, position: Option<Position>) -> String {
        let mut text = self.origin.clone();
        if let Some(live) = &self.live {
            let _ = write!(text, " (offset {}", live.offset);
            if let Some(p) = position {
                let _ = write!(text, ", line {}, column {}", p.line, p.column);
            }
            text.push(')');
            return text;
        }
        match (self.line, position) {
            (Some(line), Some(p)) => {
                let _ = write!(text, ":{line}:{}", p.column);
            }
            (Some(line), None) => {
                let _ = write!(text, ":{line}");
            }
            (None, Some(p)) => {
                let _ = write!(text, ":{}:{}", p.line, p.column);
            }
            (None, None) => {}
        }
        text
    }

    /// A short name for the page: `job J offset N` for live pages, else the file (and record).
    pub fn page_name(&self) -> String {
        match &self.live {
            Some(live) => format!("job {} offset {}", live.job, live.offset),
            None => self.to_string(),
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}", self.origin),
            None => f.write_str(&self.origin),
        }
    }
}

/// The verdict on one page (or one input that failed before it became a page).
#[derive(Debug, Clone)]
pub struct Entry {
    /// Where the page came from.
    pub source: Source,
    /// Sessions on the page.
    pub sessions: usize,
    /// What was found.
    pub findings: Vec<Finding>,
}

/// An input that could not be read at all (missing file, permission denied, connection refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProblem {
    /// The path or URL.
    pub source: String,
    /// What went wrong.
    pub message: String,
}

/// Errors and warnings counted for one rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    /// Findings of error severity.
    pub errors: usize,
    /// Findings of warning severity.
    pub warnings: usize,
}

/// Faults of one kind that the client absorbed (it waited, retried or signed in again), so the
/// pages judged are fine but the server was not: counted, with the first occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transient {
    /// The kind's stable id (`rate-limited`, `server-error`, `connection`, `re-sign-in`,
    /// `sign-in-throttled`).
    pub kind: String,
    /// How many times it happened.
    pub count: u64,
    /// The URL of the first occurrence (no credentials in it).
    pub first_url: String,
    /// What the first occurrence was (status, error, wait), in words.
    pub first_detail: String,
}

/// What turns a report into a failure besides contract errors and unreadable inputs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Deny {
    /// Warnings fail the run (`--deny-warnings`).
    pub warnings: bool,
    /// Transient faults the client absorbed fail the run (`--deny-transient`).
    pub transient: bool,
}

/// Everything one run found, in input order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// One entry per page.
    pub entries: Vec<Entry>,
    /// Inputs that could not be read.
    pub input_problems: Vec<InputProblem>,
    /// Inputs skipped on purpose (a FIFO in a directory, a path visited twice); not failures.
    pub input_notes: Vec<InputProblem>,
    /// How long the run took.
    pub elapsed: Duration,
    /// The comparison with a baseline, when one was given.
    pub baseline: Option<Comparison>,
    /// Transient faults the client absorbed, one per kind, in the order first seen.
    pub transient: Vec<Transient>,
    /// Things about the run as a whole worth saying in every format (plain http, ...).
    pub notes: Vec<String>,
}

impl Report {
    /// Adds one page's verdict.
    pub fn push(&mut self, source: Source, sessions: usize, findings: Vec<Finding>) {
        self.entries.push(Entry {
            source,
            sessions,
            findings,
        });
    }

    /// Records an input that could not be read.
    pub fn input_problem(&mut self, source: impl Into<String>, message: impl Into<String>) {
        self.input_problems.push(InputProblem {
            source: source.into(),
            message: message.into(),
        });
    }

    /// Records an input skipped on purpose; it does not change the exit code.
    pub fn input_note(&mut self, source: impl Into<String>, message: impl Into<String>) {
        self.input_notes.push(InputProblem {
            source: source.into(),
            message: message.into(),
        });
    }

    /// Adds absorbed faults: counts of a kind already known add up, its first occurrence stays.
    pub fn add_transient(&mut self, faults: impl IntoIterator<Item = Transient>) {
        for fault in faults.into_iter().filter(|f| f.count > 0) {
            match self.transient.iter_mut().find(|t| t.kind == fault.kind) {
                Some(known) => known.count = known.count.saturating_add(fault.count),
                None => self.transient.push(fault),
            }
        }
    }

    /// Transient faults absorbed, all kinds.
    pub fn transient_total(&self) -> u64 {
        self.transient
            .iter()
            .fold(0u64, |sum, t| sum.saturating_add(t.count))
    }

    /// Adds a note about the run as a whole.
    pub fn note(&mut self, text: impl Into<String>) {
        self.notes.push(text.into());
    }

    /// Pages verified.
    pub fn pages(&self) -> usize {
        self.entries.len()
    }

    /// Sessions verified.
    pub fn sessions(&self) -> usize {
        self.entries.iter().map(|e| e.sessions).sum()
    }

    /// Applies rule overrides to every finding (the one place severities change).
    pub fn apply_overrides(&mut self, overrides: &Overrides) {
        for entry in &mut self.entries {
            overrides.apply(&mut entry.findings);
        }
    }

    /// Whether `finding` is new: not accepted by the baseline (every finding is new without one).
    pub fn is_new(&self, finding: &Finding) -> bool {
        self.baseline.as_ref().is_none_or(|b| !b.is_known(finding))
    }

    /// Findings the baseline accepts.
    pub fn known(&self) -> usize {
        match &self.baseline {
            Some(b) => self.findings().filter(|f| b.is_known(f)).count(),
            None => 0,
        }
    }

    /// Errors not accepted by the baseline.
    pub fn new_errors(&self) -> usize {
        self.findings()
            .filter(|f| f.is_error() && self.is_new(f))
            .count()
    }

    /// Warnings not accepted by the baseline.
    pub fn new_warnings(&self) -> usize {
        self.findings()
            .filter(|f| !f.is_error() && self.is_new(f))
            .count()
    }

    /// Every finding, in input order.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.entries.iter().flat_map(|e| e.findings.iter())
    }

    /// Findings of error severity.
    pub fn errors(&self) -> usize {
        self.findings()
            .filter(|f| f.severity == Severity::Error)
            .count()
    }

    /// Findings of warning severity.
    pub fn warnings(&self) -> usize {
        self.findings()
            .filter(|f| f.severity == Severity::Warning)
            .count()
    }

    /// Counts per rule, in the rules' documented order.
    pub fn by_rule(&self) -> BTreeMap<Rule, Count> {
        let mut counts: BTreeMap<Rule, Count> = BTreeMap::new();
        for finding in self.findings() {
            let count = counts.entry(finding.rule).or_default();
            match finding.severity {
                Severity::Error => count.errors += 1,
                Severity::Warning => count.warnings += 1,
            }
        }
        counts
    }

    /// The exit status a CI run should have: 0 clean, 1 contract errors (or warnings when
    /// denied), 2 inputs that could not be read. With a baseline only new findings count.
    pub fn exit_code(&self, deny_warnings: bool) -> i32 {
        self.exit_code_with(Deny {
            warnings: deny_warnings,
            transient: false,
        })
    }

    /// The exit status under `deny`: absorbed transient faults fail the run (1) only when
    /// denied; otherwise as [`Report::exit_code`].
    pub fn exit_code_with(&self, deny: Deny) -> i32 {
        if !self.input_problems.is_empty() {
            2
        } else if self.new_errors() > 0
            || (deny.warnings && self.new_warnings() > 0)
            || (deny.transient && self.transient_total() > 0)
        {
            1
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denying_transient_faults_fails_only_a_run_that_absorbed_some() {
        let deny = Deny {
            warnings: false,
            transient: true,
        };
        let mut report = Report::default();
        assert_eq!(report.exit_code_with(deny), 0, "nothing absorbed");
        report.add_transient([Transient {
            kind: "rate-limited".into(),
            count: 1,
            first_url: "https://vbo.example/v5/Token".into(),
            first_detail: "429".into(),
        }]);
        assert_eq!(report.exit_code_with(deny), 1);
        assert_eq!(report.exit_code(false), 0, "not denied");
    }
}
