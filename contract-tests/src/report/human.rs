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
    let transient = match report.transient_total() {
        0 => String::new(),
        n => format!(", {} absorbed", plural_u64(n, "transient fault")),
    };
    let _ = writeln!(
        out,
        "{verdict}: {}, {}, {}, {}{}{transient} in {:.2}s",
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
    transient_section(report, &style, &mut out);
    for note in &report.notes {
        let _ = writeln!(out, "{}: {note}", style.paint("1;33", "note"));
    }
    out
}

/// The faults the client absorbed: counts by kind and the first occurrence of each.
fn transient_section(report: &Report, style: &Style, out: &mut String) {
    if report.transient.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{} (the pages judged are fine; --deny-transient makes these fail the run):",
        style.paint("1;33", "transient faults the client absorbed")
    );
    for fault in &report.transient {
        let _ = writeln!(
            out,
            "  {:<24} {:>6}  first: {} ({})",
            fault.kind, fault.count, fault.first_url, fault.first_detail
        );
    }
}

fn plural_u64(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
