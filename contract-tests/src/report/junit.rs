//! The JUnit XML report for CI systems: one test case per page (a file, an NDJSON record, or
//! `job J offset N` for a live page, with its URL as a property), failing when the page has
//! errors; warnings go to the case's system-out.

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

use super::Report;
use super::human::{printable, shown_message};
use crate::finding::Finding;

fn describe(finding: &Finding, record: Option<usize>) -> String {
    let at = match finding.position {
        Some(p) => format!(" (line {}, column {})", record.unwrap_or(p.line), p.column),
        None => String::new(),
    };
    let pointer = if finding.pointer.is_empty() {
        "/"
    } else {
        &finding.pointer
    };
    // Escaped as for people: XML 1.0 cannot carry most control characters at all, even as
    // character references, and the description is read line by line.
    format!(
        "[{}] {}{at}: {}",
        finding.rule.id(),
        printable(pointer),
        shown_message(&finding.message)
    )
}

/// Renders `report` as JUnit XML.
pub fn render(report: &Report) -> String {
    let mut junit = quick_junit::Report::new("vbo-contract");
    let mut suite = TestSuite::new("verify");
    for problem in &report.input_problems {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status.set_message(printable(&problem.message).into_owned());
        suite.add_test_case(TestCase::new(
            printable(&problem.source).into_owned(),
            status,
        ));
    }
    for note in &report.input_notes {
        let mut status = TestCaseStatus::skipped();
        status.set_message(printable(&note.message).into_owned());
        suite.add_test_case(TestCase::new(printable(&note.source).into_owned(), status));
    }
    for entry in &report.entries {
        let errors: Vec<&Finding> = entry.findings.iter().filter(|f| f.is_error()).collect();
        let warnings: Vec<&Finding> = entry.findings.iter().filter(|f| !f.is_error()).collect();
        let status = if errors.is_empty() {
            TestCaseStatus::success()
        } else {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_message(describe(errors[0], entry.source.line));
            status.set_type(errors[0].rule.id());
            status.set_description(
                errors
                    .iter()
                    .map(|f| describe(f, entry.source.line))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
            status
        };
        // Live pages are named by job and offset (the URL is a property), files by path.
        let mut case = TestCase::new(printable(&entry.source.page_name()).into_owned(), status);
        case.set_classname("vbo-contract.page");
        if entry.source.live.is_some() {
            case.add_property(quick_junit::Property::new(
                "url",
                entry.source.origin.clone(),
            ));
        }
        if !warnings.is_empty() {
            case.set_system_out(
                warnings
                    .iter()
                    .map(|f| describe(f, entry.source.line))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
        suite.add_test_case(case);
    }
    if !report.transient.is_empty() {
        // Absorbed faults do not fail the run by themselves; they are shown where CI keeps output.
        let mut case = TestCase::new(
            "transient faults the client absorbed",
            TestCaseStatus::success(),
        );
        case.set_classname("vbo-contract.transient");
        case.set_system_out(
            report
                .transient
                .iter()
                .map(|t| {
                    format!(
                        "{}: {} (first: {} ({}))",
                        t.kind, t.count, t.first_url, t.first_detail
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
        );
        suite.add_test_case(case);
    }
    if !report.notes.is_empty() {
        suite.set_system_out(report.notes.join("\n"));
    }
    suite.set_time(report.elapsed);
    junit.add_test_suite(suite);
    junit.set_time(report.elapsed);
    junit
        .to_string()
        .unwrap_or_else(|e| format!("<!-- cannot render JUnit XML: {e} -->\n"))
}
