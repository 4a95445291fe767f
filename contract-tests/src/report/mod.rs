//! Reports: the findings of a run grouped by where they came from, with totals, and the
//! renderers that format them (`human`, `json`, `junit`). Renderers only format; every verdict
//! is already in the report.

mod human;
mod json;
mod junit;

use std::collections::BTreeMap;
use std::time::Duration;

use crate::finding::{Finding, Rule, Severity};

pub use human::{render as human, summary};
pub use json::render as json;
pub use junit::render as junit;

/// Where a page came from: a file (and its line, for NDJSON), or a URL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Source {
    /// File path or URL.
    pub origin: String,
    /// Line of an NDJSON file the page sits on.
    pub line: Option<usize>,
}

impl Source {
    /// A whole file or a URL.
    pub fn new(origin: impl Into<String>) -> Self {
        Self {
            origin: origin.into(),
            line: None,
        }
    }

    /// Line `line` of an NDJSON file.
    pub fn line(origin: impl Into<String>, line: usize) -> Self {
        Self {
            origin: origin.into(),
            line: Some(line),
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
    /// How long the run took.
    pub elapsed: Duration,
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

    fn findings(&self) -> impl Iterator<Item = &Finding> {
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
    /// denied), 2 inputs that could not be read.
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
        } else if self.errors() > 0
            || (deny.warnings && self.warnings() > 0)
            || (deny.transient && self.transient_total() > 0)
        {
            1
        } else {
            0
        }
    }
}
