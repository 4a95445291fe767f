//! GitHub Actions workflow commands: one `::error`/`::warning` annotation per new finding,
//! escaped as GitHub specifies, capped per severity (GitHub shows at most 10 of each per step),
//! with a closing `::notice` saying how many were cut.

use std::fmt::Write;

use super::Report;
use crate::finding::Severity;

/// Annotations of each severity written unless `--max-findings` says otherwise.
pub const DEFAULT_CAP: usize = 10;

/// Escapes a command's message: `%`, CR and LF as GitHub specifies, then every other control
/// character as the human report does (an ESC from a payload must not reach the log raw).
pub fn escape_data(text: &str) -> String {
    let escaped = text
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    super::printable(&escaped).into_owned()
}

/// Escapes a property value: as data, plus `:` and `,` (which end a property).
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Renders the new findings of `report` as workflow commands, at most `cap` per severity.
pub fn render(report: &Report, cap: usize) -> String {
    let mut out = String::new();
    for problem in &report.input_problems {
        let _ = writeln!(
            out,
            "::error title={}::{}",
            escape_property("vbo-contract: input error"),
            escape_data(&format!("{}: {}", problem.source, problem.message))
        );
    }
    let (mut errors, mut warnings) = (0usize, 0usize);
    let (mut cut_errors, mut cut_warnings) = (0usize, 0usize);
    for entry in &report.entries {
        for finding in entry.findings.iter().filter(|f| report.is_new(f)) {
            let (command, written, cut) = match finding.severity {
                Severity::Error => ("error", &mut errors, &mut cut_errors),
                Severity::Warning => ("warning", &mut warnings, &mut cut_warnings),
            };
            if *written >= cap {
                *cut += 1;
                continue;
            }
            *written += 1;
            let pointer = if finding.pointer.is_empty() {
                "(whole body)"
            } else {
                &finding.pointer
            };
            let mut properties = Vec::new();
            let mut message = finding.message.clone();
            if entry.source.live.is_some() {
                // No file to annotate: the page is named in the title and the message.
                let _ = write!(message, "\nat {}", entry.source.locate(finding.position));
            } else {
                properties.push(format!("file={}", escape_property(&entry.source.origin)));
                if let Some(p) = finding.position {
                    properties.push(format!("line={}", entry.source.line_of(p)));
                    properties.push(format!("col={}", p.column));
                } else if let Some(record) = entry.source.line {
                    properties.push(format!("line={record}"));
                }
            }
            let title = format!(
                "[{}] {pointer} in {}",
                finding.rule.id(),
                entry.source.page_name()
            );
            properties.push(format!("title={}", escape_property(&title)));
            let _ = writeln!(
                out,
                "::{command} {}::{}",
                properties.join(","),
                escape_data(&message)
            );
        }
    }
    if cut_errors + cut_warnings > 0 {
        let _ = writeln!(
            out,
            "::notice title={}::{}",
            escape_property("vbo-contract: annotations cut"),
            escape_data(&format!(
                "{} more findings were not annotated ({cut_errors} errors, {cut_warnings} warnings; at most {cap} of each are written); the JSON and SARIF reports have every finding",
                cut_errors + cut_warnings
            ))
        );
    }
    out
}
