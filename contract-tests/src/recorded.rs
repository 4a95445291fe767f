//! Recorded responses on disk, verified offline: bare JSON bodies (`.json`), HTTP captures with
//! status and headers (`.http`), NDJSON files with one page per line (`.ndjson`, `.jsonl`, one
//! walk per file) and `*.walk/` directories (one page file per page, in name order, one walk).
//!
//! An `.http` capture may start with the request line (`GET /v5/Jobs/{id}/JobSessions?offset=0&limit=30`),
//! which tells the verifier what was asked; then the status line, headers, a blank line, the body.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::finding::{Finding, Rule};
use crate::report::{Report, Source};
use crate::rules::{Request, Walk};
use crate::verify::{ContentType, Response, Verifier};

/// File extensions a directory walk picks up; other files in a directory are ignored.
pub const EXTENSIONS: &[&str] = &["json", "http", "ndjson", "jsonl"];

/// Called after every page with the running totals (pages, sessions), e.g. for a progress bar.
pub type Progress<'p> = &'p mut dyn FnMut(usize, usize);

/// Verifies every path (files and directories, recursively) into one report. Unreadable
/// inputs are recorded as input problems and the rest are still verified.
pub fn verify_paths(verifier: &Verifier<'_>, paths: &[PathBuf], progress: Progress<'_>) -> Report {
    let started = Instant::now();
    let mut report = Report::default();
    for path in paths {
        match std::fs::metadata(path) {
            Err(e) => report.input_problem(path.display().to_string(), e.to_string()),
            Ok(meta) if meta.is_dir() => verify_dir(verifier, path, &mut report, progress),
            Ok(_) => verify_file(verifier, path, &mut report, progress),
        }
    }
    report.elapsed = started.elapsed();
    report
}

fn is_walk_dir(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "walk")
}

fn verify_dir(verifier: &Verifier<'_>, dir: &Path, report: &mut Report, progress: Progress<'_>) {
    if is_walk_dir(dir) {
        return verify_walk_dir(verifier, dir, report, progress);
    }
    let entries = match sorted_entries(dir) {
        Ok(entries) => entries,
        Err(e) => return report.input_problem(dir.display().to_string(), e.to_string()),
    };
    for path in entries {
        if path.is_dir() {
            verify_dir(verifier, &path, report, progress);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e))
        {
            verify_file(verifier, &path, report, progress);
        }
    }
}

fn sorted_entries(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut entries = std::fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()?;
    entries.sort();
    Ok(entries)
}

fn verify_walk_dir(
    verifier: &Verifier<'_>,
    dir: &Path,
    report: &mut Report,
    progress: Progress<'_>,
) {
    let pages = match sorted_entries(dir) {
        Ok(entries) => entries
            .into_iter()
            .filter(|p| p.is_file())
            .collect::<Vec<_>>(),
        Err(e) => return report.input_problem(dir.display().to_string(), e.to_string()),
    };
    let mut walk = None;
    for path in pages {
        match std::fs::read(&path) {
            Ok(bytes) => verify_one(verifier, &path, &bytes, &mut walk, report, progress),
            Err(e) => report.input_problem(path.display().to_string(), e.to_string()),
        }
    }
    finish_walk(walk, report);
}

fn verify_file(verifier: &Verifier<'_>, path: &Path, report: &mut Report, progress: Progress<'_>) {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    if matches!(ext, "ndjson" | "jsonl") {
        return verify_ndjson(verifier, path, report, progress);
    }
    match std::fs::read(path) {
        Ok(bytes) => verify_one(verifier, path, &bytes, &mut None, report, progress),
        Err(e) => report.input_problem(path.display().to_string(), e.to_string()),
    }
}

/// One page file (`.json` or `.http`), alone or as part of a walk.
fn verify_one(
    verifier: &Verifier<'_>,
    path: &Path,
    bytes: &[u8],
    walk: &mut Option<Walk>,
    report: &mut Report,
    progress: Progress<'_>,
) {
    let origin = path.display().to_string();
    let is_http = path.extension().is_some_and(|e| e == "http");
    let (capture, body_line) = if is_http {
        match parse_http(bytes) {
            Ok(parsed) => parsed,
            Err(message) => {
                let mut finding = Finding::new(Rule::Status, "", message);
                finding.position = Some(crate::finding::Position { line: 1, column: 1 });
                report.push(Source::new(origin), 0, vec![finding]);
                return;
            }
        }
    } else {
        (
            Capture {
                request: Request::default(),
                status: 200,
                content_type: None,
                location: None,
                recorded_headers: false,
                body: bytes,
            },
            1,
        )
    };
    let response = Response {
        status: capture.status,
        content_type: match (capture.recorded_headers, capture.content_type) {
            (false, _) => ContentType::NotRecorded,
            (true, None) => ContentType::Missing,
            (true, Some(value)) => ContentType::Value(value),
        },
        body: capture.body,
        location: capture.location,
    };
    let mut verdict = match walk {
        Some(walk) => verifier.verify_in_walk(&response, &capture.request, walk),
        None if walk_expected(path) => {
            let mut new_walk = Walk::new(capture.request.offset.or(Some(0)));
            let verdict = verifier.verify_in_walk(&response, &capture.request, &mut new_walk);
            *walk = Some(new_walk);
            verdict
        }
        None => verifier.verify(&response, &capture.request),
    };
    if is_http {
        for finding in &mut verdict.findings {
            if matches!(
                finding.rule,
                Rule::Status | Rule::ContentType | Rule::Redirect
            ) {
                // About the status line or a header, not the body.
                finding.position = None;
                finding.snippet = None;
            } else if let Some(position) = &mut finding.position {
                position.line += body_line - 1;
            }
        }
    }
    report.push(Source::new(origin), verdict.sessions, verdict.findings);
    progress(report.pages(), report.sessions());
}

/// Pages inside a `*.walk/` directory belong to one walk.
fn walk_expected(path: &Path) -> bool {
    path.parent().is_some_and(is_walk_dir)
}

fn finish_walk(walk: Option<Walk>, report: &mut Report) {
    let Some(walk) = walk else { return };
    let mut findings = Vec::new();
    walk.finish(&mut findings);
    if let Some(last) = report.entries.last_mut() {
        last.findings.extend(findings);
    }
}

fn verify_ndjson(
    verifier: &Verifier<'_>,
    path: &Path,
    report: &mut Report,
    progress: Progress<'_>,
) {
    let origin = path.display().to_string();
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) => return report.input_problem(origin, e.to_string()),
    };
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut walk = Walk::new(Some(0));
    let mut line = Vec::new();
    let mut number = 0usize;
    let mut pages = 0usize;
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                report.input_problem(format!("{origin}:{}", number + 1), e.to_string());
                break;
            }
        }
        number += 1;
        let record = trim_line_end(&line);
        if record.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        pages += 1;
        let verdict =
            verifier.verify_in_walk(&Response::body(record), &Request::default(), &mut walk);
        report.push(
            Source::line(origin.clone(), number),
            verdict.sessions,
            verdict.findings,
        );
        progress(report.pages(), report.sessions());
    }
    if pages > 0 {
        finish_walk(Some(walk), report);
    }
}

/// The page bodies a recorded file holds, named `file` or `file:line`: a `.json` file's bytes,
/// an `.http` capture's body when its status is 200, each line of an NDJSON file.
pub fn page_bodies(path: &Path) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let origin = path.display().to_string();
    let bytes = std::fs::read(path)?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    Ok(match ext {
        "ndjson" | "jsonl" => bytes
            .split(|&b| b == b'\n')
            .enumerate()
            .filter(|(_, line)| !trim_line_end(line).iter().all(u8::is_ascii_whitespace))
            .map(|(i, line)| (format!("{origin}:{}", i + 1), trim_line_end(line).to_vec()))
            .collect(),
        "http" => match parse_http(&bytes) {
            Ok((capture, _)) if capture.status == 200 => vec![(origin, capture.body.to_vec())],
            _ => Vec::new(),
        },
        _ => vec![(origin, bytes)],
    })
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    &line[..end]
}

/// A parsed `.http` capture.
struct Capture<'b> {
    request: Request,
    status: u16,
    content_type: Option<&'b str>,
    location: Option<&'b str>,
    recorded_headers: bool,
    body: &'b [u8],
}

/// Splits an HTTP capture into request, status, content type and body; also returns the line
/// the body starts on, so findings point into the file.
fn parse_http(bytes: &[u8]) -> Result<(Capture<'_>, usize), String> {
    let mut request = Request::default();
    let mut content_type = None;
    let mut location = None;
    let mut status = None;
    let mut offset = 0usize;
    let mut line_number = 0usize;
    loop {
        let rest = &bytes[offset..];
        let Some(end) = rest.iter().position(|&b| b == b'\n') else {
            return Err("the HTTP capture has no blank line between headers and body".into());
        };
        let line = std::str::from_utf8(trim_line_end(&rest[..=end]))
            .map_err(|_| format!("line {} of the HTTP capture is not UTF-8", line_number + 1))?;
        offset += end + 1;
        line_number += 1;
        if status.is_none() {
            if let Some(target) = line.strip_prefix("GET ") {
                request = request_from_target(target.split_whitespace().next().unwrap_or_default());
                continue;
            }
            let code = line
                .strip_prefix("HTTP/")
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|c| c.parse::<u16>().ok())
                .ok_or_else(|| {
                    format!("line {line_number} is not an HTTP status line: {line:?}")
                })?;
            status = Some(code);
            continue;
        }
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("line {line_number} is not a header: {line:?}"))?;
        if name.trim().eq_ignore_ascii_case("content-type") {
            content_type = Some(value.trim());
        } else if name.trim().eq_ignore_ascii_case("location") {
            location = Some(value.trim());
        }
    }
    let capture = Capture {
        request,
        status: status.unwrap_or(200),
        content_type,
        location,
        recorded_headers: true,
        body: &bytes[offset..],
    };
    Ok((capture, line_number + 1))
}

/// What a request target (`/v5/Jobs/{id}/JobSessions?offset=0&limit=30`) asked for.
pub fn request_from_target(target: &str) -> Request {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let job_id = segments
        .windows(3)
        .find(|w| w[0].eq_ignore_ascii_case("jobs") && w[2].eq_ignore_ascii_case("jobsessions"))
        .map(|w| w[1].to_owned());
    let mut request = Request {
        job_id,
        ..Request::default()
    };
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("offset", v)) => request.offset = v.parse().ok(),
            Some(("limit", v)) => request.limit = v.parse().ok(),
            _ => {}
        }
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_target_gives_job_offset_and_limit() {
        let r = request_from_target("/v5/Jobs/ABC/JobSessions?offset=30&limit=10");
        assert_eq!(r.job_id.as_deref(), Some("ABC"));
        assert_eq!((r.offset, r.limit), (Some(30), Some(10)));
    }

    #[test]
    fn http_capture_splits_into_status_headers_and_body() {
        let text = b"GET /v5/Jobs/j/JobSessions?limit=5\r\nHTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n\r\n<html>";
        let (capture, body_line) = parse_http(text).unwrap();
        assert_eq!(capture.status, 404);
        assert_eq!(capture.content_type, Some("text/html"));
        assert_eq!(capture.body, b"<html>");
        assert_eq!(capture.request.limit, Some(5));
        assert_eq!(body_line, 5);
    }
}
