//! The report for people: findings grouped by source, with the offending snippet and a caret,
//! then a summary by rule.

use std::fmt::Write;

use super::Report;
use crate::finding::Severity;

struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// Renders `report` as text; `color` adds ANSI colours (for a terminal).
pub fn render(report: &Report, color: bool) -> String {
    let style = Style { color };
    let mut out = String::new();
    for problem in &report.input_problems {
        let _ = writeln!(
            out,
            "{}: {}: {}",
            style.paint("1;31", "input error"),
            problem.source,
            problem.message
        );
    }
    for entry in &report.entries {
        for finding in &entry.findings {
            let (label, code) = match finding.severity {
                Severity::Error => ("error", "1;31"),
                Severity::Warning => ("warning", "1;33"),
            };
            let mut location = entry.source.origin.clone();
            match (entry.source.line, finding.position) {
                (Some(line), Some(p)) => {
                    let _ = write!(location, ":{line}:{}", p.column);
                }
                (Some(line), None) => {
                    let _ = write!(location, ":{line}");
                }
                (None, Some(p)) => {
                    let _ = write!(location, ":{}:{}", p.line, p.column);
                }
                (None, None) => {}
            }
            let pointer = if finding.pointer.is_empty() {
                "(whole body)"
            } else {
                &finding.pointer
            };
            let _ = writeln!(
                out,
                "{}{} {location} {}",
                style.paint(code, label),
                style.paint("1", &format!("[{}]", finding.rule.id())),
                style.paint("36", pointer)
            );
            let _ = writeln!(out, "  {}", finding.message);
            if let (Some(snippet), Some(position)) = (&finding.snippet, finding.position) {
                let number = entry.source.line.unwrap_or(position.line).to_string();
                let gutter = " ".repeat(number.len());
                let _ = writeln!(out, "  {} | {}", style.paint("34", &number), snippet.text);
                let _ = writeln!(
                    out,
                    "  {gutter} | {}{}",
                    " ".repeat(snippet.caret),
                    style.paint(code, "^")
                );
            }
        }
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&summary(report, color));
    out
}

/// The closing summary alone: the verdict line and the counts by rule.
pub fn summary(report: &Report, color: bool) -> String {
    let style = Style { color };
    let mut out = String::new();
    let verdict = if report.errors() > 0 || !report.input_problems.is_empty() {
        style.paint("1;31", "FAILED")
    } else {
        style.paint("1;32", "ok")
    };
    let _ = writeln!(
        out,
        "{verdict}: {}, {}, {}, {}{} in {:.2}s",
        plural(report.pages(), "page"),
        plural(report.sessions(), "session"),
        plural(report.errors(), "error"),
        plural(report.warnings(), "warning"),
        if report.input_problems.is_empty() {
            String::new()
        } else {
            format!(", {} unreadable inputs", report.input_problems.len())
        },
        report.elapsed.as_secs_f64()
    );
    for (rule, count) in report.by_rule() {
        let mut parts = Vec::new();
        if count.errors > 0 {
            parts.push(format!(
                "{} error{}",
                count.errors,
                if count.errors == 1 { "" } else { "s" }
            ));
        }
        if count.warnings > 0 {
            parts.push(format!(
                "{} warning{}",
                count.warnings,
                if count.warnings == 1 { "" } else { "s" }
            ));
        }
        let _ = writeln!(out, "  {:<24} {}", rule.id(), parts.join(", "));
    }
    out
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
