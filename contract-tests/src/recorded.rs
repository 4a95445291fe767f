//! Recorded responses on disk, verified offline: bare JSON bodies (`.json`), HTTP captures with
//! status and headers (`.http`), NDJSON files with one page per line (`.ndjson`, `.jsonl`, one
//! walk per file) and `*.walk/` directories (one page file per page, in name order, one walk).
//!
//! An `.http` capture may start with the request line (`GET /v5/Jobs/{id}/JobSessions?offset=0&limit=30`),
//! which tells the verifier what was asked; then the status line, headers, a blank line, the body.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::finding::{Finding, Rule};
use crate::report::{Report, Source};
use crate::rules::{Request, Walk};
use crate::verify::{ContentType, DEFAULT_MAX_BODY, Response, Verifier};

/// File extensions a directory walk picks up; other files in a directory are ignored.
pub const EXTENSIONS: &[&str] = &["json", "http", "ndjson", "jsonl"];

/// Called after every page with the running totals (pages, sessions), e.g. for a progress bar.
pub type Progress<'p> = &'p mut dyn FnMut(usize, usize);

/// Bounds on what one run reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes one input may hold: a `.json` or `.http` file, a page file of a walk
    /// directory, one line of an NDJSON file (an NDJSON file as a whole is streamed).
    pub max_body: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body: DEFAULT_MAX_BODY,
        }
    }
}

/// The input error for something larger than the cap; names the cap and how to raise it.
pub fn over_cap(what: &str, cap: u64) -> String {
    let exact = if cap < 1024 {
        String::new()
    } else {
        format!(" ({cap} bytes)")
    };
    format!(
        "{what} is larger than the cap of {}{exact} and was not verified; raise the cap with --max-body",
        size(cap)
    )
}

/// A byte count for people (`64 MiB`, `1.5 KiB`, `12 bytes`).
fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = "bytes";
    for candidate in UNITS {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = candidate;
    }
    if unit == "bytes" {
        format!("{bytes} bytes")
    } else if value.fract() == 0.0 {
        format!("{value:.0} {unit}")
    } else {
        format!("{value:.1} {unit}")
    }
}

/// Verifies every path (files and directories, recursively) into one report. Unreadable
/// inputs are recorded as input problems and the rest are still verified.
pub fn verify_paths(verifier: &Verifier<'_>, paths: &[PathBuf], progress: Progress<'_>) -> Report {
    verify_paths_with(verifier, paths, Limits::default(), progress)
}

/// [`verify_paths`] with explicit [`Limits`].
///
/// Paths named here are read whatever their kind (a pipe such as `/dev/stdin` is fine), always
/// against the cap. Inside directories only regular files (or symlinks to them) are read:
/// FIFOs, sockets and devices are skipped with a note. Every file and directory is visited at
/// most once by its real path, so symlink loops end and a file linked twice is read once.
pub fn verify_paths_with(
    verifier: &Verifier<'_>,
    paths: &[PathBuf],
    limits: Limits,
    progress: Progress<'_>,
) -> Report {
    let started = Instant::now();
    let mut run = Run {
        verifier,
        limits,
        report: Report::default(),
        progress,
        seen: HashSet::new(),
    };
    for path in paths {
        match std::fs::metadata(path) {
            Err(e) => run
                .report
                .input_problem(path.display().to_string(), e.to_string()),
            Ok(meta) if meta.is_dir() => run.dir(path),
            Ok(meta) => {
                if run.first_visit(path, meta.is_file()) {
                    run.file(path);
                }
            }
        }
    }
    let mut report = run.report;
    report.elapsed = started.elapsed();
    report
}

fn is_walk_dir(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "walk")
}

fn has_input_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.contains(&e))
}

/// What kind of file system object `meta` describes, for a note about skipping it.
fn kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    let _ = meta;
    "not a regular file"
}

/// One run over recorded inputs: its report and the real paths it has visited.
struct Run<'r, 'v, 'p> {
    verifier: &'r Verifier<'v>,
    limits: Limits,
    report: Report,
    progress: Progress<'p>,
    seen: HashSet<PathBuf>,
}

impl Run<'_, '_, '_> {
    /// Whether `path` is seen for the first time by its real path; notes a repeat. Pipes and
    /// devices named on the command line have no stable real path and are always first.
    fn first_visit(&mut self, path: &Path, regular_or_dir: bool) -> bool {
        if !regular_or_dir {
            return true;
        }
        let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
        if self.seen.insert(real.clone()) {
            return true;
        }
        self.report.input_note(
            path.display().to_string(),
            format!(
                "already visited in this run as {} (a symlink loop or a repeated path); skipped",
                real.display()
            ),
        );
        false
    }

    fn dir(&mut self, dir: &Path) {
        if !self.first_visit(dir, true) {
            return;
        }
        if is_walk_dir(dir) {
            return self.walk_dir(dir);
        }
        let entries = match sorted_entries(dir) {
            Ok(entries) => entries,
            Err(e) => return self.problem(dir, e.to_string()),
        };
        for path in entries {
            // Follows symlinks: a link to a directory or a regular file counts as one.
            match std::fs::metadata(&path) {
                Ok(meta) if meta.is_dir() => self.dir(&path),
                Ok(_) if !has_input_extension(&path) => {}
                Ok(meta) if meta.is_file() => {
                    if self.first_visit(&path, true) {
                        self.file(&path);
                    }
                }
                Ok(meta) => self.skip(&path, &meta),
                // A dangling or looping link named like an input.
                Err(e) if has_input_extension(&path) => self.problem(&path, e.to_string()),
                Err(_) => {}
            }
        }
    }

    fn walk_dir(&mut self, dir: &Path) {
        let entries = match sorted_entries(dir) {
            Ok(entries) => entries,
            Err(e) => return self.problem(dir, e.to_string()),
        };
        let mut walk = None;
        for path in entries {
            match std::fs::metadata(&path) {
                Ok(meta) if meta.is_dir() => {}
                Ok(meta) if meta.is_file() => {
                    if !self.first_visit(&path, true) {
                        continue;
                    }
                    match read_capped(&path, self.limits.max_body) {
                        Ok(bytes) => self.one(&path, &bytes, &mut walk),
                        Err(message) => self.problem(&path, message),
                    }
                }
                Ok(meta) => self.skip(&path, &meta),
                Err(e) => self.problem(&path, e.to_string()),
            }
        }
        self.finish_walk(walk);
    }

    fn skip(&mut self, path: &Path, meta: &std::fs::Metadata) {
        self.report.input_note(
            path.display().to_string(),
            format!(
                "{} is not a regular file; skipped (name it on its own to read it)",
                kind(meta)
            ),
        );
    }

    fn problem(&mut self, path: &Path, message: String) {
        self.report
            .input_problem(path.display().to_string(), message);
    }

    fn file(&mut self, path: &Path) {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        if matches!(ext, "ndjson" | "jsonl") {
            return self.ndjson(path);
        }
        match read_capped(path, self.limits.max_body) {
            Ok(bytes) => self.one(path, &bytes, &mut None),
            Err(message) => self.problem(path, message),
        }
    }

    /// One page file (`.json` or `.http`), alone or as part of a walk.
    fn one(&mut self, path: &Path, bytes: &[u8], walk: &mut Option<Walk>) {
        verify_one(self.verifier, path, bytes, walk, &mut self.report);
        (self.progress)(self.report.pages(), self.report.sessions());
    }

    fn finish_walk(&mut self, walk: Option<Walk>) {
        let Some(walk) = walk else { return };
        let mut findings = Vec::new();
        walk.finish(&mut findings);
        let mask = self.verifier.options().mask_values;
        for finding in &mut findings {
            finding.settle(mask);
        }
        if let Some(last) = self.report.entries.last_mut() {
            last.findings.extend(findings);
        }
    }

    fn ndjson(&mut self, path: &Path) {
        let origin = path.display().to_string();
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) => return self.report.input_problem(origin, e.to_string()),
        };
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut walk = Walk::new(Some(0));
        let mut line = Vec::new();
        let mut number = 0usize;
        let mut pages = 0usize;
        let cap = self.limits.max_body;
        loop {
            number += 1;
            match read_line_capped(&mut reader, &mut line, cap) {
                Ok(Line::End) => break,
                Ok(Line::Read) => {}
                Ok(Line::TooLong) => {
                    // The walk is broken here: judging the lines after it would only report
                    // the gap, so the file ends with this input error.
                    self.report.input_problem(
                        format!("{origin}:{number}"),
                        over_cap(&format!("line {number}, so the rest of the file,"), cap),
                    );
                    return;
                }
                Err(e) => {
                    self.report
                        .input_problem(format!("{origin}:{number}"), e.to_string());
                    break;
                }
            }
            let record = trim_line_end(&line);
            if record.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            pages += 1;
            let verdict = self.verifier.verify_in_walk(
                &Response::body(record),
                &Request::default(),
                &mut walk,
            );
            self.report.push(
                Source::line(origin.clone(), number),
                verdict.sessions,
                verdict.findings,
            );
            (self.progress)(self.report.pages(), self.report.sessions());
        }
        if pages > 0 {
            self.finish_walk(Some(walk));
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

/// Reads a whole file, but never more than `cap` bytes of it: a larger file (or an endless
/// one, such as `/dev/zero`) is an error naming the cap.
pub fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, String> {
    match read_at_most(path, cap) {
        Ok(Some(bytes)) => Ok(bytes),
        Ok(None) => Err(over_cap("the file", cap)),
        Err(e) => Err(e.to_string()),
    }
}

/// Reads a whole file if it holds at most `cap` bytes (`None` when it holds more). The bound
/// is on the bytes read, not on the size the file claims, so `/dev/zero`, a FIFO or a file
/// that grows while it is read cannot make it read more: every bounded file read of the kit
/// (inputs, baselines, config files, certificates) goes through here.
pub fn read_at_most(path: &Path, cap: u64) -> std::io::Result<Option<Vec<u8>>> {
    let file = std::fs::File::open(path)?;
    let hint = file
        .metadata()
        .ok()
        .filter(std::fs::Metadata::is_file)
        .map_or(0, |m| m.len().min(cap));
    let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= cap).then_some(bytes))
}

/// How reading one line ended.
enum Line {
    /// No more input.
    End,
    /// A line (possibly the last, without a newline) is in the buffer.
    Read,
    /// The line is longer than the cap; the reader stopped inside it.
    TooLong,
}

/// Reads one line into `line` (cleared first), reading at most `cap` bytes of content plus its
/// line end, so an endless line costs no more than the cap.
fn read_line_capped(
    reader: &mut impl BufRead,
    line: &mut Vec<u8>,
    cap: u64,
) -> std::io::Result<Line> {
    line.clear();
    // Room for the content and a CRLF line end.
    let limit = cap.saturating_add(2);
    let read = reader.by_ref().take(limit).read_until(b'\n', line)?;
    if read == 0 {
        return Ok(Line::End);
    }
    if trim_line_end(line).len() as u64 > cap {
        return Ok(Line::TooLong);
    }
    Ok(Line::Read)
}

/// One page file (`.json` or `.http`), alone or as part of a walk.
fn verify_one(
    verifier: &Verifier<'_>,
    path: &Path,
    bytes: &[u8],
    walk: &mut Option<Walk>,
    report: &mut Report,
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
}

/// Pages inside a `*.walk/` directory belong to one walk.
fn walk_expected(path: &Path) -> bool {
    path.parent().is_some_and(is_walk_dir)
}

/// The page bodies a recorded file holds, named `file` or `file:line`: a `.json` file's bytes,
/// an `.http` capture's body when its status is 200, each line of an NDJSON file. The file is
/// read against [`DEFAULT_MAX_BODY`].
pub fn page_bodies(path: &Path) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let origin = path.display().to_string();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    let cap = if matches!(ext, "ndjson" | "jsonl") {
        // A walk of the largest pages; each line is one page.
        DEFAULT_MAX_BODY.saturating_mul(16)
    } else {
        DEFAULT_MAX_BODY
    };
    let bytes = read_capped(path, cap).map_err(std::io::Error::other)?;
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
    let mut request = Request::from_query(query);
    if let Some(job_id) = job_id {
        request
            .params
            .insert(crate::rules::JOB_ID.to_owned(), job_id);
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_target_gives_job_offset_and_limit() {
        let r = request_from_target("/v5/Jobs/ABC/JobSessions?offset=30&limit=10");
        assert_eq!(r.job_id(), Some("ABC"));
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
