//! Recorded responses on disk, verified offline: bare JSON bodies (`.json`), raw HTTP captures
//! with status and headers (`.http`, `curl -i` or `curl -v` output, any extension), HAR
//! documents (`.har`, or any file that is one; see [`crate::har`]), NDJSON files with one page
//! per line (`.ndjson`, `.jsonl`, one walk per file) and `*.walk/` directories (one page file
//! per page, in name order, one walk).
//!
//! What a file holds is told by its content ([`http_file::sniff`]), not its name: a capture
//! starts with a status or request line, a HAR document is an object with `log.entries`. A
//! capture may start with the request line (`GET /v5/Jobs/{id}/JobSessions?offset=0&limit=30`),
//! which tells the verifier what was asked; see [`crate::http_file`] for the forms read.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::contract::Contract;
use crate::finding::{Finding, Rule};
use crate::har::{self, Quirk};
use crate::http_file::{self, Kind};
use crate::report::{Report, Source};
use crate::rules::{Growth, Request, Walk};
use crate::verify::{DEFAULT_MAX_BODY, Response, Verifier};

/// File extensions a directory walk always picks up. Other regular files in a directory are
/// picked up when their content is a capture or a HAR document ([`http_file::sniff`]).
pub const EXTENSIONS: &[&str] = &["json", "http", "ndjson", "jsonl", "har"];

/// A HAR document holds many responses (a browser's export holds every asset too), so it may
/// be this many times the body cap; each body in it is still held to the body cap.
pub const HAR_CAP_FACTOR: u64 = 4;

/// Whether a recorded request asks for an operation of the contract, and what it asked
/// (operation, path parameters, offset, limit): the method and path routed as servers route
/// them (see [`Contract::route`]). Only `GET`s are judged: a captured sign-in (`POST
/// /v5/Token`) carries a password and tokens, which stay out of every report. The one place
/// where a HAR entry is matched to an operation; every other entry is counted and skipped,
/// never judged.
pub fn route(contract: &Contract, method: &str, url: &str) -> Option<Request> {
    if !method.eq_ignore_ascii_case("GET") {
        return None;
    }
    contract.route(method, url)?;
    Some(contract.request(method, url))
}

/// Whether a recorded request asks for a page of job sessions (what the exported page schema
/// describes).
fn is_sessions_page(method: &str, url: &str) -> bool {
    method.eq_ignore_ascii_case("GET")
        && crate::operation::match_template(
            crate::contract::SESSIONS_PATH,
            crate::operation::target_path(url),
        )
        .is_some()
}

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
                Ok(meta) if !has_input_extension(&path) => {
                    // Captures are known by content: `curl -i > page.txt` is one.
                    if meta.is_file() && is_capture_file(&path) && self.first_visit(&path, true) {
                        self.file(&path);
                    }
                }
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

    /// One file, read as what its content is (an `.ndjson`/`.jsonl` name always means NDJSON,
    /// streamed; a `.json` name keeps one JSON value per file).
    fn file(&mut self, path: &Path) {
        let ext = extension(path);
        if matches!(ext, "ndjson" | "jsonl") {
            return self.ndjson(path);
        }
        let cap = self.limits.max_body;
        let har_cap = cap.saturating_mul(HAR_CAP_FACTOR);
        let (prefix, file) = match open_prefix(path, http_file::SNIFF_BYTES as u64) {
            Ok(opened) => opened,
            Err(e) => return self.problem(path, e.to_string()),
        };
        match input_kind(path, &prefix) {
            Kind::Har => match read_rest(prefix, file, har_cap) {
                Ok(bytes) => self.har(path, &bytes),
                Err(message) => self.problem(path, message),
            },
            Kind::Ndjson if ext != "json" => {
                let reader = BufReader::with_capacity(1 << 20, prefix.as_slice().chain(file));
                self.ndjson_from(path, reader);
            }
            _ => match read_rest(prefix, file, cap) {
                Ok(bytes) => self.one(path, &bytes, &mut None),
                Err(message) => self.problem(path, message),
            },
        }
    }

    /// One page file (a body or a capture), alone or as part of a walk; a HAR document in a
    /// walk directory is its own walks.
    fn one(&mut self, path: &Path, bytes: &[u8], walk: &mut Option<Walk>) {
        let kind = input_kind(path, bytes);
        if kind == Kind::Har {
            return self.har(path, bytes);
        }
        verify_one(self.verifier, path, bytes, kind, walk, &mut self.report);
        (self.progress)(self.report.pages(), self.report.sessions());
    }

    /// A HAR document: every entry [`route`] matches is verified with its request, one walk per
    /// job in capture order; the others are counted in a note.
    fn har(&mut self, path: &Path, bytes: &[u8]) {
        let origin = path.display().to_string();
        let cap = self.limits.max_body;
        let entries = match har::read(bytes, cap) {
            Ok(entries) => entries,
            Err(e) => return self.problem(path, e.to_string()),
        };
        let total = entries.len();
        let mask = self.verifier.options().mask_values;
        // Per job (ids compared ignoring case): its walk and the report entry of each page.
        let mut walks: Vec<(Walk, Vec<usize>)> = Vec::new();
        let mut walk_of: HashMap<(Option<String>, Vec<String>), usize> = HashMap::new();
        let mut quirks: BTreeMap<Quirk, (usize, usize)> = BTreeMap::new();
        let mut skipped = 0usize;
        for entry in entries {
            let source = format!("{origin}#/log/entries/{}", entry.index);
            let request = entry
                .exchange
                .request
                .as_ref()
                .and_then(|r| route(self.verifier.contract(), &r.method, &r.target));
            let Some(request) = request else {
                skipped += 1;
                continue;
            };
            if let Some(why) = &entry.unverifiable {
                if why.is_problem() {
                    self.report.input_problem(source, why.describe(cap));
                } else {
                    self.report.input_note(source, why.describe(cap));
                }
                continue;
            }
            for quirk in &entry.quirks {
                quirks.entry(*quirk).or_insert((0, entry.index)).0 += 1;
            }
            let paged = self.verifier.operation_of(&request).paging().is_some();
            let mut verdict = if paged {
                // One walk per collection: the operation and its path parameters (a job's
                // sessions), ids compared ignoring case.
                let key = (
                    request.operation.clone(),
                    request
                        .params
                        .values()
                        .map(|v| v.to_ascii_lowercase())
                        .collect::<Vec<_>>(),
                );
                let at = *walk_of.entry(key).or_insert_with(|| {
                    walks.push((Walk::new(request.offset.or(Some(0))), Vec::new()));
                    walks.len() - 1
                });
                let (walk, pages) = &mut walks[at];
                let verdict =
                    self.verifier
                        .verify_in_walk(&entry.exchange.response(), &request, walk);
                if verdict.facts.is_some() {
                    pages.push(self.report.entries.len());
                }
                verdict
            } else {
                self.verifier.verify(&entry.exchange.response(), &request)
            };
            for finding in &mut verdict.findings {
                // Positions are in the entry's body, not in the HAR file.
                finding.position = None;
                if matches!(
                    finding.rule,
                    Rule::Status | Rule::ContentType | Rule::Redirect
                ) {
                    finding.snippet = None;
                }
            }
            self.report
                .push(Source::new(source), verdict.sessions, verdict.findings);
            (self.progress)(self.report.pages(), self.report.sessions());
        }
        for (walk, pages) in walks {
            // A recording cannot look at the first page again (`Growth::Unknown`), so what a
            // walk finds when it closes is about the walk as a whole: it goes with its last page.
            for (_, mut finding) in walk.close(Growth::Unknown, true) {
                finding.settle(mask);
                let entry = pages.last();
                if let Some(entry) = entry.and_then(|&i| self.report.entries.get_mut(i)) {
                    entry.findings.push(finding);
                }
            }
        }
        for (quirk, (count, first)) in quirks {
            self.report.input_note(
                origin.clone(),
                format!(
                    "{count} verified entr{} (the first is #/log/entries/{first}): {}",
                    if count == 1 { "y" } else { "ies" },
                    quirk.describe()
                ),
            );
        }
        if skipped > 0 {
            self.report.input_note(
                origin,
                format!(
                    "{skipped} of {total} entries are not GET requests for an operation of the contract; counted and skipped"
                ),
            );
        }
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
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) => return self.problem(path, e.to_string()),
        };
        self.ndjson_from(path, BufReader::with_capacity(1 << 20, file));
    }

    /// An NDJSON file, streamed line by line: one page per line, one walk.
    fn ndjson_from(&mut self, path: &Path, mut reader: impl BufRead) {
        let origin = path.display().to_string();
        let mut walk = Walk::new(Some(0));
        let mut line = Vec::new();
        let mut number = 0usize;
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
        // A walk of no page closes with no finding (nothing repeated, no last page).
        self.finish_walk(Some(walk));
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

/// One page file (a body or a capture of `kind`), alone or as part of a walk.
fn verify_one(
    verifier: &Verifier<'_>,
    path: &Path,
    bytes: &[u8],
    kind: Kind,
    walk: &mut Option<Walk>,
    report: &mut Report,
) {
    let origin = path.display().to_string();
    let is_capture = matches!(kind, Kind::Http | Kind::CurlVerbose);
    let capture = if is_capture {
        match http_file::read(bytes) {
            Ok(capture) => Some(capture),
            Err(e) => {
                let mut finding = Finding::new(Rule::Status, "", e.message);
                finding.position = Some(crate::finding::Position {
                    line: e.line,
                    column: 1,
                });
                report.push(Source::new(origin), 0, vec![finding]);
                return;
            }
        }
    } else {
        None
    };
    let (response, request, body_line) = match &capture {
        Some(c) => (
            c.exchange.response(),
            c.exchange.request_in(verifier.contract()),
            c.body_line,
        ),
        None => (Response::body(bytes), Request::default(), 1),
    };
    let mut verdict = match walk {
        Some(walk) => verifier.verify_in_walk(&response, &request, walk),
        None if walk_expected(path) => {
            let mut new_walk = Walk::new(request.offset.or(Some(0)));
            let verdict = verifier.verify_in_walk(&response, &request, &mut new_walk);
            *walk = Some(new_walk);
            verdict
        }
        None => verifier.verify(&response, &request),
    };
    if let Some(capture) = &capture {
        for note in &capture.notes {
            report.input_note(origin.clone(), note.clone());
        }
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

/// The page bodies a recorded file holds, named `file`, `file:line` or `file#/log/entries/N`:
/// a JSON file's bytes, a capture's body when its status is 200, each line of an NDJSON file,
/// each 200 body of a HAR document that [`route`] matches. The file is read against
/// [`DEFAULT_MAX_BODY`] (NDJSON and HAR: 16 times that, a walk of the largest pages).
pub fn page_bodies(path: &Path) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let origin = path.display().to_string();
    let bytes =
        read_capped(path, DEFAULT_MAX_BODY.saturating_mul(16)).map_err(std::io::Error::other)?;
    let kind = input_kind(path, &bytes);
    let ndjson = matches!(extension(path), "ndjson" | "jsonl")
        || (kind == Kind::Ndjson && extension(path) != "json");
    if !ndjson && kind != Kind::Har && bytes.len() as u64 > DEFAULT_MAX_BODY {
        return Err(std::io::Error::other(over_cap(
            "the file",
            DEFAULT_MAX_BODY,
        )));
    }
    Ok(match kind {
        _ if ndjson => bytes
            .split(|&b| b == b'\n')
            .enumerate()
            .filter(|(_, line)| !trim_line_end(line).iter().all(u8::is_ascii_whitespace))
            .map(|(i, line)| (format!("{origin}:{}", i + 1), trim_line_end(line).to_vec()))
            .collect(),
        Kind::Http | Kind::CurlVerbose => match http_file::read(&bytes) {
            Ok(capture) if capture.exchange.status == 200 => {
                vec![(origin, capture.exchange.body)]
            }
            _ => Vec::new(),
        },
        Kind::Har => har::read(&bytes, DEFAULT_MAX_BODY)
            .map_err(std::io::Error::other)?
            .into_iter()
            .filter(|e| e.unverifiable.is_none() && e.exchange.status == 200)
            .filter(|e| {
                e.exchange
                    .request
                    .as_ref()
                    .is_some_and(|r| is_sessions_page(&r.method, &r.target))
            })
            .map(|e| {
                (
                    format!("{origin}#/log/entries/{}", e.index),
                    e.exchange.body,
                )
            })
            .collect(),
        _ => vec![(origin, bytes)],
    })
}

fn extension(path: &Path) -> &str {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
}

/// What a file holds, by content; a `.http` name makes anything but a HAR document a capture
/// (so a broken one says why it is not one) and a `.har` name makes it a HAR document.
fn input_kind(path: &Path, bytes: &[u8]) -> Kind {
    let kind = http_file::sniff(bytes);
    match extension(path) {
        "har" => Kind::Har,
        "http" if matches!(kind, Kind::Json | Kind::Ndjson | Kind::Unknown) => Kind::Http,
        _ => kind,
    }
}

/// Whether a file without an input extension holds a capture or a HAR document (its first
/// bytes tell); unreadable files are not.
fn is_capture_file(path: &Path) -> bool {
    open_prefix(path, http_file::SNIFF_BYTES as u64).is_ok_and(|(prefix, _)| {
        matches!(
            http_file::sniff(&prefix),
            Kind::Http | Kind::CurlVerbose | Kind::Har
        )
    })
}

/// Opens `path` and reads at most `n` bytes of it, to tell what it holds before reading on.
fn open_prefix(path: &Path, n: u64) -> std::io::Result<(Vec<u8>, std::fs::File)> {
    let mut file = std::fs::File::open(path)?;
    let mut prefix = Vec::new();
    file.by_ref().take(n).read_to_end(&mut prefix)?;
    Ok((prefix, file))
}

/// The whole file, `prefix` and what follows it in `file`, if it holds at most `cap` bytes.
fn read_rest(mut bytes: Vec<u8>, file: std::fs::File, cap: u64) -> Result<Vec<u8>, String> {
    let room = cap.saturating_add(1).saturating_sub(bytes.len() as u64);
    file.take(room)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > cap {
        return Err(over_cap("the file", cap));
    }
    Ok(bytes)
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    &line[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_in_a_walk_directory_are_one_walk_and_pages_elsewhere_are_not() {
        // The same full page with a next link, twice: a walk that repeats its first page, or
        // two unrelated recordings.
        let walk =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/valid/walk-three-pages.ndjson");
        let first = std::fs::read_to_string(walk)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_owned();
        let root = std::env::temp_dir().join(format!("vbo-walk-dir-{}", std::process::id()));
        let contract = Contract::embedded().unwrap();
        let verifier = Verifier::new(&contract);
        let rules = |name: &str| {
            let dir = root.join(name);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("1.json"), &first).unwrap();
            std::fs::write(dir.join("2.json"), &first).unwrap();
            let report = verify_paths(&verifier, &[dir], &mut |_, _| {});
            let rules: Vec<&str> = report.findings().map(|f| f.rule.id()).collect();
            (report.pages(), rules)
        };
        let (as_walk, apart) = (rules("pages.walk"), rules("pages"));
        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(as_walk, (2, vec!["offset-sequence", "page-loop"]));
        assert_eq!(apart, (2, vec![]));
    }

    #[test]
    fn a_cap_is_named_for_people_and_in_bytes_from_one_kib() {
        let named = |cap| over_cap("the file", cap);
        assert!(
            named(1023).contains("the cap of 1023 bytes and"),
            "{}",
            named(1023)
        );
        assert!(
            named(1024).contains("the cap of 1 KiB (1024 bytes)"),
            "{}",
            named(1024)
        );
        assert!(
            named(1536).contains("1.5 KiB (1536 bytes)"),
            "{}",
            named(1536)
        );
        assert!(
            named(64 << 20).contains("64 MiB (67108864 bytes)"),
            "{}",
            named(64 << 20)
        );
    }

    #[test]
    fn a_http_name_makes_a_capture_of_anything_but_a_har_document_or_a_curl_trace() {
        let http = Path::new("walk.http");
        let har = br#"{"log": {"version": "1.2", "entries": []}}"#;
        assert_eq!(input_kind(http, har), Kind::Har);
        let curl = b"* Connected to vbo01\n> GET /v5/Jobs HTTP/1.1\n";
        assert_eq!(http_file::sniff(curl), Kind::CurlVerbose);
        assert_eq!(input_kind(http, curl), Kind::CurlVerbose);
        assert_eq!(input_kind(http, br#"{"offset": 0}"#), Kind::Http);
        assert_eq!(input_kind(Path::new("walk.har"), b"{}"), Kind::Har);
    }

    #[test]
    fn page_bodies_are_named_by_file_line_or_entry_and_only_200_bodies_count() {
        let fixture = |name: &str| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures")
                .join(name)
        };
        let names = |path: &Path| -> Vec<String> {
            page_bodies(path)
                .unwrap()
                .into_iter()
                .map(|(name, body)| {
                    assert!(body.starts_with(b"{"), "{name}: a JSON body");
                    let dir = path.parent().unwrap().display().to_string();
                    name.strip_prefix(&dir).unwrap()[1..].to_owned()
                })
                .collect()
        };
        let json = fixture("valid/seed-example.json");
        assert_eq!(
            page_bodies(&json).unwrap(),
            [(json.display().to_string(), std::fs::read(&json).unwrap())]
        );
        assert_eq!(
            names(&fixture("valid/walk-three-pages.ndjson")),
            [
                "walk-three-pages.ndjson:1",
                "walk-three-pages.ndjson:2",
                "walk-three-pages.ndjson:3"
            ]
        );
        assert_eq!(names(&fixture("captures/curl-i.txt")), ["curl-i.txt"]);
        assert!(
            names(&fixture("har/chrome-devtools.har"))
                .iter()
                .all(|n| n.starts_with("chrome-devtools.har#/log/entries/"))
        );
        assert!(!names(&fixture("har/chrome-devtools.har")).is_empty());
        assert_eq!(
            names(&fixture("har/no-matching-entries.har")),
            Vec::<String>::new()
        );

        let dir = std::env::temp_dir().join(format!("vbo-page-bodies-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let failed = dir.join("failed.http");
        std::fs::write(
            &failed,
            "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n\r\n{\"message\":\"x\"}",
        )
        .unwrap();
        let bodies = page_bodies(&failed).unwrap();
        // A HAR's entries for the sessions: a 500, a 200 without its text, a 200.
        let sessions = "https://h:4443/v5/Jobs/x/JobSessions?offset=0&limit=30";
        let entry = |status: u16, content: &str| {
            format!(
                r#"{{"request":{{"method":"GET","url":"{sessions}"}},"response":{{"status":{status},"content":{content}}}}}"#
            )
        };
        let har = dir.join("walk.har");
        std::fs::write(
            &har,
            format!(
                r#"{{"log":{{"version":"1.2","entries":[{},{},{}]}}}}"#,
                entry(500, r#"{"text":"{\"message\":\"x\"}"}"#),
                entry(200, r#"{"size":-1}"#),
                entry(
                    200,
                    r#"{"text":"{\"offset\":0,\"limit\":30,\"results\":[]}"}"#
                ),
            ),
        )
        .unwrap();
        let from_har = page_bodies(&har).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(bodies, Vec::new(), "a 500 capture holds no page");
        let names: Vec<_> = from_har
            .iter()
            .map(|(name, _)| name.rsplit('#').next().unwrap())
            .collect();
        assert_eq!(names, ["/log/entries/2"], "only the 200 with a body");
    }

    #[test]
    fn lines_of_json_are_pages_by_content_or_by_name_unless_the_file_is_named_json() {
        let dir = std::env::temp_dir().join(format!("vbo-page-lines-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let walk =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/valid/walk-three-pages.ndjson");
        let lines = std::fs::read_to_string(walk).unwrap();
        let (log, json, one) = (
            dir.join("walk.log"),
            dir.join("walk.json"),
            dir.join("one.ndjson"),
        );
        std::fs::write(&log, &lines).unwrap();
        std::fs::write(&json, &lines).unwrap();
        std::fs::write(&one, lines.lines().next().unwrap()).unwrap();
        let named = |path: &Path| -> Vec<String> {
            let dir = dir.display().to_string();
            page_bodies(path)
                .unwrap()
                .into_iter()
                .map(|(name, _)| name.strip_prefix(&dir).unwrap()[1..].to_owned())
                .collect()
        };
        let names = [named(&log), named(&json), named(&one)];
        let contract = Contract::embedded().unwrap();
        let verifier = Verifier::new(&contract);
        let verified = |path: &Path| {
            let report = verify_paths(&verifier, &[path.to_owned()], &mut |_, _| {});
            (
                report.pages(),
                report.findings().map(|f| f.rule).collect::<Vec<_>>(),
            )
        };
        let [from_log, from_json] = [verified(&log), verified(&json)];
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(names[0], ["walk.log:1", "walk.log:2", "walk.log:3"]);
        assert_eq!(names[1], ["walk.json"], "a .json file is one body");
        assert_eq!(
            names[2],
            ["one.ndjson:1"],
            "the name says lines, however many"
        );
        assert_eq!(from_log, (3, vec![]), "verified line by line");
        assert_eq!(from_json.0, 1, "verified as one body");
        assert!(!from_json.1.is_empty(), "which is not one JSON value");
    }

    #[test]
    fn route_takes_only_gets_of_operations_of_the_contract() {
        let contract = Contract::embedded().unwrap();
        let route = |method: &str, url: &str| route(&contract, method, url);
        let r = route(
            "get",
            "https://h:4443/v5/jobs/ABC/jobsessions?offset=30&limit=10",
        )
        .unwrap();
        assert_eq!(r.job_id(), Some("ABC"));
        assert_eq!((r.offset, r.limit), (Some(30), Some(10)));
        assert_eq!(
            route("GET", "https://h/V5/jobs").and_then(|r| r.operation),
            Some("get_jobs".to_owned())
        );
        assert_eq!(route("POST", "https://h/v5/Jobs/ABC/JobSessions"), None);
        assert_eq!(
            route("POST", "https://h/v5/Token"),
            None,
            "sign-in stays out"
        );
        assert_eq!(route("GET", "https://h/v5/Token"), None);
        assert_eq!(route("GET", "https://h/v5/Jobs/ABC"), None);
    }
}
