//! A Markdown summary for a CI job page (`$GITHUB_STEP_SUMMARY`): the verdict and totals, a
//! table per rule, the baseline's new/known/gone, and the first findings.

use std::fmt::Write;

use super::Report;
use crate::finding::Rule;

/// Findings listed in the summary's table; the rest are counted.
pub const FIRST_FINDINGS: usize = 20;

/// Escapes text for a Markdown table cell: characters Markdown gives meaning to are
/// backslash-escaped, line breaks become spaces.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    // Any other control character (ESC, DEL, C1, bidi) is written as an escape.
    super::printable(&out).into_owned()
}

/// Renders the summary of `report` as Markdown.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let failed = report.new_errors() > 0 || !report.input_problems.is_empty();
    let _ = writeln!(
        out,
        "## vbo-contract verify: {}\n",
        if failed { "FAILED" } else { "ok" }
    );
    let _ = writeln!(
        out,
        "| pages | sessions | errors | warnings | unreadable inputs | time |\n| ---: | ---: | ---: | ---: | ---: | ---: |\n| {} | {} | {} | {} | {} | {:.2} s |\n",
        report.pages(),
        report.sessions(),
        report.errors(),
        report.warnings(),
        report.input_problems.len(),
        report.elapsed.as_secs_f64()
    );
    if let Some(baseline) = &report.baseline {
        let known = report.known();
        let _ = writeln!(
            out,
            "Baseline `{}`: **{} new**, {known} known, {} gone{}.\n",
            baseline.path.replace('`', "'"),
            report.findings().count() - known,
            baseline.gone.len(),
            if baseline.gone.is_empty() {
                ""
            } else {
                " (prune with `--update-baseline`)"
            }
        );
    }
    for problem in &report.input_problems {
        let _ = writeln!(
            out,
            "- input error: {}: {}",
            escape(&problem.source),
            escape(&problem.message)
        );
    }
    if !report.input_problems.is_empty() {
        out.push('\n');
    }
    let by_rule = report.by_rule();
    if !by_rule.is_empty() {
        out.push_str(
            "| rule | errors | warnings | what it checks |\n| --- | ---: | ---: | --- |\n",
        );
        for (rule, count) in &by_rule {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                rule.id(),
                count.errors,
                count.warnings,
                escape(Rule::description(*rule))
            );
        }
        out.push('\n');
    }
    let new: Vec<_> = report
        .entries
        .iter()
        .flat_map(|e| e.findings.iter().map(move |f| (e, f)))
        .filter(|(_, f)| report.is_new(f))
        .collect();
    if !new.is_empty() {
        let _ = writeln!(
            out,
            "### First findings ({} of {})\n",
            new.len().min(FIRST_FINDINGS),
            new.len()
        );
        out.push_str(
            "| severity | rule | where | pointer | message |\n| --- | --- | --- | --- | --- |\n",
        );
        for (entry, finding) in new.iter().take(FIRST_FINDINGS) {
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} | {} |",
                finding.severity.as_str(),
                finding.rule.id(),
                escape(&entry.source.locate(finding.position)),
                escape(if finding.pointer.is_empty() {
                    "(whole body)"
                } else {
                    &finding.pointer
                }),
                escape(&finding.message)
            );
        }
        out.push('\n');
    }
    out
}
