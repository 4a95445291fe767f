//! The report for people: findings grouped by source, with the offending snippet and a caret,
//! then a summary by rule.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write;

use super::{Entry, Report};
use crate::finding::{Finding, Severity, settle};

/// Whether `c` must not reach a terminal or a line-oriented log raw: C0 controls (newline,
/// carriage return and ESC among them), DEL, C1 controls, and the bidirectional overrides
/// and isolates that reorder what a reader sees.
pub(super) fn is_unprintable(c: char) -> bool {
    matches!(c, '\0'..='\x1f' | '\x7f'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` safe to print on one line: every control character (C0 including CR and LF, DEL,
/// C1, bidi controls) is written as an escape (`\n`, `\r`, `\t`, `\u{1b}`), so text from a
/// payload, a server or a file name can neither drive the terminal nor forge a line.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.contains(is_unprintable) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unprintable(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A finding's message as printed: payload values left unresolved are masked (the safe
/// default), then control characters are escaped.
pub(super) fn shown_message(message: &str) -> String {
    printable(&settle(message, true)).into_owned()
}

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

/// How the human report is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanOptions {
    /// ANSI colours (for a terminal).
    pub color: bool,
    /// Findings of one rule and one message shape shown in full before the rest are counted.
    pub group_first: usize,
    /// At most this many findings are printed in all (`--max-findings`); totals stay complete.
    pub max_findings: Option<usize>,
}

impl HumanOptions {
    /// Grouped output (3 of each kind), no overall cap.
    pub fn new(color: bool) -> Self {
        Self {
            color,
            group_first: 3,
            max_findings: None,
        }
    }
}

/// Renders `report` as text; `color` adds ANSI colours (for a terminal).
pub fn render(report: &Report, color: bool) -> String {
    render_with(report, &HumanOptions::new(color))
}

/// Findings of one rule, severity and message shape, in input order.
struct Group {
    rule: crate::finding::Rule,
    total: usize,
    shown: usize,
}

/// Renders `report` as text, grouping findings of one rule with the same message shape (the
/// first `group_first` in full, then a count) and capping the total at `max_findings`.
/// Findings a baseline accepts are counted, not printed.
pub fn render_with(report: &Report, options: &HumanOptions) -> String {
    let style = Style {
        color: options.color,
    };
    let mut out = String::new();
    for problem in &report.input_problems {
        let _ = writeln!(
            out,
            "{}: {}: {}",
            style.paint("1;31", "input error"),
            printable(&problem.source),
            printable(&problem.message)
        );
    }
    for note in &report.input_notes {
        let _ = writeln!(
            out,
            "{}: {}: {}",
            style.paint("1;36", "note"),
            printable(&note.source),
            printable(&note.message)
        );
    }
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<(crate::finding::Rule, Severity, String), usize> = HashMap::new();
    let mut kinds = Vec::new();
    for finding in report.findings().filter(|f| report.is_new(f)) {
        let key = (finding.rule, finding.severity, finding.message_shape());
        let next = groups.len();
        let group = *index.entry(key).or_insert(next);
        if group == next {
            groups.push(Group {
                rule: finding.rule,
                total: 0,
                shown: 0,
            });
        }
        groups[group].total += 1;
        kinds.push(group);
    }
    let cap = options.max_findings.unwrap_or(usize::MAX);
    let mut printed = 0;
    let mut kinds = kinds.into_iter();
    for entry in &report.entries {
        for finding in entry.findings.iter().filter(|f| report.is_new(f)) {
            let group = &mut groups[kinds.next().expect("one kind per new finding")];
            if group.shown >= options.group_first || printed >= cap {
                continue;
            }
            write_finding(&mut out, &style, entry, finding);
            group.shown += 1;
            printed += 1;
            let hidden = group.total - group.shown;
            if group.shown == options.group_first && hidden > 0 {
                let _ = writeln!(
                    out,
                    "  {}",
                    style.paint(
                        "2",
                        &format!(
                            "... and {hidden} more [{}] like this (same message shape)",
                            group.rule.id()
                        )
                    )
                );
            }
        }
    }
    let new = report.findings().filter(|f| report.is_new(f)).count();
    if printed < new {
        let grouped: usize = groups
            .iter()
            .filter(|g| g.shown == options.group_first)
            .map(|g| g.total - g.shown)
            .sum();
        let capped = new - printed - grouped;
        if capped > 0 {
            let _ = writeln!(
                out,
                "{}",
                style.paint(
                    "2",
                    &format!(
                        "... {capped} more finding{} not printed (--max-findings {cap}); every finding is in the JSON and SARIF reports",
                        if capped == 1 { "" } else { "s" }
                    )
                )
            );
        }
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&summary(report, options.color));
    out
}

/// One finding: the headline with rule, location and pointer, the message, and the snippet.
fn write_finding(out: &mut String, style: &Style, entry: &Entry, finding: &Finding) {
    let (label, code) = match finding.severity {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
    };
    let location = entry.source.locate(finding.position);
    let location = printable(&location);
    let pointer = if finding.pointer.is_empty() {
        Cow::Borrowed("(whole body)")
    } else {
        printable(&finding.pointer)
    };
    let _ = writeln!(
        out,
        "{}{} {location} {}",
        style.paint(code, label),
        style.paint("1", &format!("[{}]", finding.rule.id())),
        style.paint("36", &pointer)
    );
    let _ = writeln!(out, "  {}", shown_message(&finding.message));
    if let (Some(snippet), Some(position)) = (&finding.snippet, finding.position) {
        let number = entry.source.line_of(position).to_string();
        let gutter = " ".repeat(number.len());
        // Escaped in two halves, so the caret still points where it did.
        let split = snippet
            .text
            .char_indices()
            .nth(snippet.caret)
            .map_or(snippet.text.len(), |(i, _)| i);
        let head = printable(&snippet.text[..split]);
        let tail = printable(&snippet.text[split..]);
        let _ = writeln!(out, "  {} | {head}{tail}", style.paint("34", &number));
        let _ = writeln!(
            out,
            "  {gutter} | {}{}",
            " ".repeat(head.chars().count()),
            style.paint(code, "^")
        );
    }
}

/// The closing summary alone: the verdict line and the counts by rule.
pub fn summary(report: &Report, color: bool) -> String {
    let style = Style { color };
    let mut out = String::new();
    let verdict = if report.new_errors() > 0 || !report.input_problems.is_empty() {
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
    if let Some(baseline) = &report.baseline {
        let known = report.known();
        let new = report.findings().count() - known;
        let _ = writeln!(
            out,
            "baseline {}: {new} new, {known} known, {} gone (known findings are counted, not printed)",
            baseline.path,
            baseline.gone.len()
        );
        for gone in &baseline.gone {
            let _ = writeln!(
                out,
                "  gone {} [{}] {}: {} (prune with --update-baseline)",
                printable(&gone.fingerprint),
                printable(&gone.rule),
                printable(&gone.location),
                printable(&gone.message)
            );
        }
    }
    transient_section(report, &style, &mut out);
    for note in &report.notes {
        let _ = writeln!(out, "{}: {}", style.paint("1;33", "note"), printable(note));
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
            printable(&fault.kind),
            fault.count,
            printable(&fault.first_url),
            printable(&fault.first_detail)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Rule;
    use crate::report::Source;

    /// A report of `n` findings of one rule and one message shape.
    fn alike(n: usize) -> Report {
        let findings = (0..n)
            .map(|i| Finding::new(Rule::Schema, format!("/results/{i}/id"), "not a uuid"))
            .collect();
        let mut report = Report::default();
        report.push(Source::new("page.json"), n, findings);
        report
    }

    #[test]
    fn a_group_counts_what_it_hides_only_when_it_hides_something() {
        let options = HumanOptions::new(false);
        let full = render_with(&alike(3), &options);
        assert_eq!(full.matches("not a uuid").count(), 3, "{full}");
        assert!(!full.contains("more [schema] like this"), "{full}");
        let more = render_with(&alike(4), &options);
        assert_eq!(more.matches("not a uuid").count(), 3, "{more}");
        assert!(more.contains("... and 1 more [schema] like this"), "{more}");
    }
}
