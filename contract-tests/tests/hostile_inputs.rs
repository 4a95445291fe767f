//! Offline hostile inputs (issue 11, verifier side): files and directories built by the tests
//! to break the verifier — endless and oversized bodies, nesting far past the parser's limit,
//! symlink loops, FIFOs, sockets and devices among the captures, control characters in every
//! string the reports print, payload values that `--mask` must hide, repeated keys. Nothing
//! hostile is committed: every input is generated here, in a directory of its own.
//!
//! Anything that could hang runs on a worker thread under a deadline, so a regression fails
//! the test instead of stalling the suite.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};
use vbo_contract::recorded::{self, Limits};
use vbo_contract::report::{self, Report};
use vbo_contract::{Contract, Options, Request, Response, Rule, Verifier};

/// Long enough for a slow shared machine; a hang is minutes, not seconds.
const DEADLINE: Duration = Duration::from_secs(60);

/// A fresh, empty directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vbo-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path)
}

/// Verifies `paths` on a worker thread; fails the test if it takes longer than [`DEADLINE`].
fn verify_within_deadline(paths: Vec<PathBuf>, limits: Limits, options: Options) -> Report {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let contract = Contract::embedded().unwrap();
        let verifier = Verifier::new(&contract).with_options(options);
        let report = recorded::verify_paths_with(&verifier, &paths, limits, &mut |_, _| {});
        let _ = tx.send(report);
    });
    rx.recv_timeout(DEADLINE)
        .unwrap_or_else(|_| panic!("verify did not finish within {DEADLINE:?}: it hangs"))
}

fn verify(paths: Vec<PathBuf>) -> Report {
    verify_within_deadline(paths, Limits::default(), Options::default())
}

/// A valid session of the job in [`JOB`], with id number `n`.
fn session(n: u32) -> Value {
    let id = format!("6a3fa2fb-3a77-4d99-8b5d-{n:012}");
    json!({
        "id": id,
        "creationTime": "2020-12-12T22:00:00.5852401Z",
        "endTime": "2020-12-12T22:02:17.6515649Z",
        "progress": 19,
        "status": "Success",
        "statistics": {
            "processingRateBytesPS": 71013, "processingRateItemsPS": 9, "readRateBytesPS": 247870,
            "writeRateBytesPS": 2184, "transferredDataBytes": 63570501, "processedObjects": 377,
            "bottleneck": "Target"
        },
        "_links": {
            "self": {"href": format!("https://abc.tech.local:4443/v5/jobsessions/{id}")},
            "job": {"href": format!("https://abc.tech.local:4443/v5/jobs/{JOB}")}
        }
    })
}

const JOB: &str = "196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5";

fn page(offset: u64, limit: u64, results: Vec<Value>) -> Value {
    json!({"offset": offset, "limit": limit, "results": results})
}

/// An `.http` capture of a 200 response to the request for `offset`/`limit` of [`JOB`].
fn http_capture(offset: u64, limit: u64, content_type: &str, body: &str) -> String {
    format!(
        "GET /v5/Jobs/{JOB}/JobSessions?offset={offset}&limit={limit}\r\nHTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n\r\n{body}"
    )
}

fn findings_of(report: &Report, rule: Rule) -> Vec<&vbo_contract::Finding> {
    report
        .entries
        .iter()
        .flat_map(|e| e.findings.iter())
        .filter(|f| f.rule == rule)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 1. Bounded reads

#[test]
fn an_endless_file_named_on_its_own_ends_with_the_cap_error_and_the_run_goes_on() {
    let report = verify_within_deadline(
        vec![
            PathBuf::from("/dev/zero"),
            fixture("valid/running-and-queued-without-end.json"),
        ],
        Limits { max_body: 1 << 20 },
        Options::default(),
    );
    assert_eq!(
        report.input_problems.len(),
        1,
        "{:?}",
        report.input_problems
    );
    let problem = &report.input_problems[0];
    assert_eq!(problem.source, "/dev/zero");
    assert!(
        problem.message.contains("1 MiB (1048576 bytes)") && problem.message.contains("--max-body"),
        "the error names the cap and how to raise it: {}",
        problem.message
    );
    assert_eq!(report.pages(), 1, "the other input is still verified");
    assert_eq!(report.errors(), 0);
    assert_eq!(report.exit_code(false), 2);
}

#[test]
fn the_cap_holds_for_files_walk_pages_and_ndjson_lines_exactly_at_its_boundary() {
    let dir = scratch("cap");
    let body = serde_json::to_string(&page(0, 30, vec![session(1)])).unwrap();
    let cap = body.len() as u64;
    // A file of exactly the cap is read; one byte more is not.
    std::fs::write(dir.join("at-cap.json"), &body).unwrap();
    std::fs::write(dir.join("over-cap.json"), format!("{body} ")).unwrap();
    // NDJSON: the cap is per line (CRLF line ends do not count), not per file.
    let full = serde_json::to_string(&page(0, 1, vec![session(2)])).unwrap();
    assert!(full.len() as u64 <= cap);
    let long_line = format!(
        "{{\"offset\": 1, \"limit\": 1, \"pad\": \"{}\"}}",
        "x".repeat(cap as usize)
    );
    std::fs::write(
        dir.join("lines.ndjson"),
        format!("{full}\r\n{long_line}\r\n{full}\r\n"),
    )
    .unwrap();
    std::fs::create_dir(dir.join("pages.walk")).unwrap();
    std::fs::write(dir.join("pages.walk/1.json"), &body).unwrap();
    std::fs::write(dir.join("pages.walk/2.json"), format!("{body}    ")).unwrap();

    let report = verify_within_deadline(
        vec![dir.clone()],
        Limits { max_body: cap },
        Options::default(),
    );
    let mut problems: Vec<(String, &str)> = report
        .input_problems
        .iter()
        .map(|p| {
            (
                Path::new(&p.source)
                    .strip_prefix(&dir)
                    .unwrap()
                    .display()
                    .to_string(),
                p.message.as_str(),
            )
        })
        .collect();
    problems.sort();
    let names: Vec<&str> = problems.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        names,
        ["lines.ndjson:2", "over-cap.json", "pages.walk/2.json"],
        "{problems:?}"
    );
    for (_, message) in &problems {
        assert!(message.contains(&format!("{cap} bytes")), "{message}");
    }
    let verified: Vec<String> = report
        .entries
        .iter()
        .map(|e| e.source.to_string())
        .collect();
    assert_eq!(
        verified.len(),
        3,
        "at-cap.json, the first NDJSON line, walk page 1: {verified:?}"
    );
    assert!(verified.iter().any(|s| s.ends_with("at-cap.json")));
    assert!(verified.iter().any(|s| s.ends_with("lines.ndjson:1")));
    assert!(
        !verified.iter().any(|s| s.ends_with("lines.ndjson:3")),
        "the walk is broken at the long line; the lines after it are not judged"
    );
    assert_eq!(report.errors(), 0, "{}", report::human(&report, false));
    let _ = std::fs::remove_dir_all(dir);
}

// ---------------------------------------------------------------------------------------------
// 2. Nesting

/// `depth` nested arrays.
fn nested_arrays(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

/// `depth` nested objects, `{"a":{"a":...1...}}`.
fn nested_objects(depth: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))
}

#[test]
fn nesting_far_past_the_parser_limit_is_a_located_syntax_finding_and_the_rest_is_verified() {
    let dir = scratch("nesting");
    // Deep enough to overflow any thread's stack with one frame per level.
    let depth = 1_000_000;
    std::fs::write(dir.join("a-arrays.json"), nested_arrays(depth)).unwrap();
    std::fs::write(dir.join("b-objects.json"), nested_objects(depth)).unwrap();
    let in_results = format!(
        "{{\n  \"offset\": 0, \"limit\": 30,\n  \"results\": [{}]\n}}",
        nested_arrays(depth)
    );
    std::fs::write(dir.join("c-in-results.json"), &in_results).unwrap();
    // Deep but within the limit: parsed and verified (each item must be an object).
    let legal = page(0, 30, vec![]).to_string().replace(
        "\"results\":[]",
        &format!("\"results\":[{}]", nested_arrays(100)),
    );
    std::fs::write(dir.join("d-deep-but-legal.json"), &legal).unwrap();
    let valid = page(0, 30, vec![session(1)]).to_string();
    let deep_line = format!(
        "{{\"offset\":30,\"limit\":30,\"results\":{}}}",
        nested_arrays(depth)
    );
    std::fs::write(dir.join("e-walk.ndjson"), format!("{valid}\n{deep_line}\n")).unwrap();
    std::fs::copy(
        fixture("valid/running-and-queued-without-end.json"),
        dir.join("f-valid.json"),
    )
    .unwrap();

    // The stack of a test or tokio worker thread (2 MiB): enough for the parser's 128 levels,
    // far too little for one frame per level of a million.
    let (tx, rx) = mpsc::channel();
    let paths = vec![dir.clone()];
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let contract = Contract::embedded().unwrap();
            let verifier = Verifier::new(&contract);
            let _ = tx.send(recorded::verify_paths(&verifier, &paths, &mut |_, _| {}));
        })
        .unwrap();
    let report = rx.recv_timeout(DEADLINE).expect("verify finished");

    let by_name = |name: &str| {
        report
            .entries
            .iter()
            .find(|e| e.source.to_string().ends_with(name))
            .unwrap_or_else(|| {
                panic!(
                    "{name} was not verified:\n{}",
                    report::human(&report, false)
                )
            })
    };
    for (name, line, column) in [
        // The 128th opening bracket is one too many.
        ("a-arrays.json", 1, 128),
        ("b-objects.json", 1, 5 * 127 + 1),
        ("c-in-results.json", 3, 14 + 126),
        ("e-walk.ndjson:2", 1, 35 + 126),
    ] {
        let entry = by_name(name);
        assert_eq!(entry.findings.len(), 1, "{name}: {:?}", entry.findings);
        let finding = &entry.findings[0];
        assert_eq!(finding.rule, Rule::JsonSyntax, "{name}");
        assert!(
            finding.message.contains("more than 127 levels deep"),
            "{name}: {}",
            finding.message
        );
        let position = finding.position.expect("a position");
        assert_eq!((position.line, position.column), (line, column), "{name}");
    }
    let legal = by_name("d-deep-but-legal.json");
    assert!(
        legal
            .findings
            .iter()
            .all(|f| f.rule == Rule::Schema && f.pointer == "/results/0"),
        "{:?}",
        legal.findings
    );
    assert!(!legal.findings.is_empty());
    assert!(by_name("e-walk.ndjson:1").findings.is_empty());
    assert!(
        by_name("f-valid.json")
            .findings
            .iter()
            .all(|f| !f.is_error())
    );
    assert!(
        report.input_problems.is_empty(),
        "{:?}",
        report.input_problems
    );
    assert_eq!(report.pages(), 7);
    assert_eq!(report.exit_code(false), 1);
    let _ = std::fs::remove_dir_all(dir);
}

// ---------------------------------------------------------------------------------------------
// 3. Directory walking

#[cfg(unix)]
#[test]
fn directories_read_regular_files_once_and_skip_fifos_sockets_devices_and_loops() {
    use std::os::unix::fs::symlink;

    let dir = scratch("walk");
    let valid = page(0, 30, vec![session(1)]).to_string();
    std::fs::write(dir.join("page.json"), &valid).unwrap();
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::fs::write(
        dir.join("sub/page2.json"),
        page(0, 30, vec![session(2)]).to_string(),
    )
    .unwrap();
    // Two loops: each alone made the old walk read the same files dozens of times, together
    // they made it hang.
    symlink(".", dir.join("loop-to-self")).unwrap();
    symlink("..", dir.join("sub/loop-to-parent")).unwrap();
    // The same file under a second name is one real path.
    symlink("page.json", dir.join("same-as-page.json")).unwrap();
    // Things that are not files: a FIFO nobody writes to (opening it blocks forever), a
    // socket, and a device that never ends.
    let status = std::process::Command::new("mkfifo")
        .arg(dir.join("x.json"))
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    let _socket = std::os::unix::net::UnixListener::bind(dir.join("s.json")).unwrap();
    symlink("/dev/zero", dir.join("zero.json")).unwrap();

    let report = verify(vec![dir.clone()]);
    let mut pages: Vec<String> = report
        .entries
        .iter()
        .map(|e| {
            e.source
                .origin
                .strip_prefix(dir.to_str().unwrap())
                .unwrap()
                .to_owned()
        })
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        ["/page.json", "/sub/page2.json"],
        "{}",
        report::human(&report, false)
    );
    assert!(
        report.input_problems.is_empty(),
        "{:?}",
        report.input_problems
    );
    let note = |name: &str| {
        report
            .input_notes
            .iter()
            .find(|n| n.source.ends_with(name))
            .unwrap_or_else(|| panic!("no note for {name}: {:?}", report.input_notes))
            .message
            .clone()
    };
    assert!(note("/x.json").starts_with("a FIFO is not a regular file; skipped"));
    assert!(note("/s.json").starts_with("a socket is not a regular file"));
    assert!(note("/zero.json").starts_with("a device is not a regular file"));
    assert!(note("/loop-to-self").contains("already visited"));
    assert!(note("/sub/loop-to-parent").contains("already visited"));
    assert!(note("/same-as-page.json").contains("already visited"));
    assert_eq!(report.exit_code(false), 0, "notes do not fail a run");
    let human = report::human(&report, false);
    assert!(human.contains("note: "), "{human}");
    let json: Value = serde_json::from_str(&report::json(&report)).unwrap();
    assert_eq!(json["input_notes"].as_array().unwrap().len(), 6);
    assert!(report::junit(&report).contains("<skipped"));
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(unix)]
#[test]
fn a_dangling_link_is_a_problem_when_named_like_an_input_and_ignored_otherwise() {
    use std::os::unix::fs::symlink;

    let dir = scratch("dangling");
    std::fs::write(
        dir.join("page.json"),
        page(0, 30, vec![session(1)]).to_string(),
    )
    .unwrap();
    symlink("gone.json", dir.join("lost.json")).unwrap();
    symlink("gone.txt", dir.join("notes.txt")).unwrap();
    let report = verify(vec![dir.clone()]);
    assert_eq!(report.entries.len(), 1);
    let problems: Vec<&str> = report
        .input_problems
        .iter()
        .map(|p| p.source.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(problems, ["lost.json"], "{:?}", report.input_problems);
    let _ = std::fs::remove_dir_all(dir);
}

// ---------------------------------------------------------------------------------------------
// 4. Output hygiene

/// Terminal attacks: clear the screen, retitle the window (OSC ... BEL), move to the start of
/// the line, and forge a verdict line.
const CLEAR: &str = "\u{1b}[2J";
const TITLE: &str = "\u{1b}]0;owned\u{7}";
const FORGED: &str = "\r\nok: 9 pages, 7500 sessions, 0 errors, 0 warnings in 0.01s\n";
/// C1 CSI and DEL (legal raw inside JSON strings), and a right-to-left override.
const C1: &str = "\u{9b}2J\u{7f}\u{202e}";

fn hostile_page() -> String {
    let mut first = session(1);
    first["id"] = json!(format!("{CLEAR}{TITLE}{FORGED}"));
    first["_links"]["self"]["href"] = json!(format!("https://h{CLEAR}/x{FORGED}"));
    first["_links"]["job"]["href"] = json!(format!("https://h/{C1}{TITLE}"));
    first["status"] = json!("Running");
    first["endTime"] = json!(format!("{CLEAR}{FORGED}"));
    let mut second = session(2);
    second["id"] = first["id"].clone();
    let mut body = page(0, 30, vec![first, second]);
    body["_links"] = json!({"next": {"href": format!("https://elsewhere/{CLEAR}{FORGED}")}});
    // serde_json escapes C0 in strings but writes DEL, C1 and bidi controls raw, as a server may.
    serde_json::to_string_pretty(&body).unwrap()
}

fn hostile_inputs(dir: &Path) -> Vec<PathBuf> {
    let capture = dir.join("page.http");
    std::fs::write(
        &capture,
        http_capture(0, 30, &format!("text/html{C1}"), &hostile_page()),
    )
    .unwrap();
    let error = dir.join("error.http");
    let message = json!({"message": format!("{CLEAR}{FORGED}{C1}")}).to_string();
    std::fs::write(
        &error,
        format!(
            "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n\r\n{message}"
        ),
    )
    .unwrap();
    // A file name is text from outside too.
    let named = dir.join(format!("name{CLEAR}{FORGED}.json"));
    std::fs::write(&named, format!("{{\"offset\": \"{C1}\", {CLEAR}")).unwrap();
    vec![
        capture,
        error,
        named,
        dir.join(format!("missing{TITLE}{FORGED}.json")),
    ]
}

/// Whether `c` would act on a terminal or split a line (a newline between lines is ours).
fn is_control(c: char) -> bool {
    (c.is_control() && c != '\n')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

#[test]
fn control_characters_from_payloads_servers_and_file_names_never_reach_the_reports_raw() {
    let dir = scratch("hygiene");
    let report = verify(hostile_inputs(&dir));
    for rule in [
        Rule::SelfLinkMismatch,
        Rule::JobLinkMismatch,
        Rule::DuplicateSessionId,
        Rule::NextLeavesCollection,
        Rule::EndWhileRunning,
        Rule::Status,
        Rule::ContentType,
        Rule::JsonSyntax,
    ] {
        assert!(
            !findings_of(&report, rule).is_empty(),
            "the hostile inputs must reach {rule:?}:\n{}",
            report::human(&report, false)
        );
    }
    assert_eq!(report.input_problems.len(), 1);

    let human = report::human(&report, false);
    let raw: Vec<char> = human.chars().filter(|&c| is_control(c)).collect();
    assert!(
        raw.is_empty(),
        "raw control characters {raw:?} in:\n{human}"
    );
    for line in human.lines() {
        assert!(
            !line.trim_start().starts_with("ok:"),
            "a forged verdict line: {line:?}"
        );
    }
    // Escaped, not dropped: a reader still sees what the server sent.
    assert!(human.contains("\\u{1b}[2J"), "{human}");
    assert!(human.contains("\\r\\nok: 9 pages"), "{human}");
    assert!(human.contains("\\u{9b}2J\\u{7f}\\u{202e}"), "{human}");
    assert!(human.starts_with("input error: "), "{human}");
    // Carets still point where they did: under the first character of the value.
    let lines: Vec<&str> = human.lines().collect();
    for pair in lines.windows(2) {
        if let (Some(text), Some(caret)) = (pair[0].split_once(" | "), pair[1].split_once(" | ")) {
            let column = caret.1.find('^').expect("a caret line");
            assert!(
                text.1[..].chars().nth(column).is_some(),
                "caret past the snippet: {pair:?}"
            );
        }
    }

    let xml = report::junit(&report);
    let raw: Vec<char> = xml.chars().filter(|&c| is_control(c)).collect();
    assert!(raw.is_empty(), "XML 1.0 cannot carry {raw:?}:\n{xml}");
    for reference in ["&#x1b;", "&#27;", "&#x9b;", "&#13;", "&#xd;", "&#x7;"] {
        assert!(
            !xml.to_ascii_lowercase().contains(reference),
            "{reference} in:\n{xml}"
        );
    }
    assert!(xml.contains("\\u{1b}[2J"), "{xml}");
    for line in xml.lines() {
        assert!(
            !line.trim_start().starts_with("ok:"),
            "a forged line in the XML: {line:?}"
        );
    }

    // JSON keeps the values, as JSON escapes.
    let text = report::json(&report);
    let raw: Vec<char> = text.chars().filter(|&c| is_control(c)).collect();
    assert!(raw.is_empty(), "raw {raw:?} in the JSON report:\n{text}");
    let document: Value = serde_json::from_str(&text).unwrap();
    let messages: Vec<&str> = document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains(&format!("https://h{CLEAR}/x{FORGED}"))),
        "{messages:?}"
    );
    assert!(messages.iter().any(|m| m.contains(C1)), "{messages:?}");
    let _ = std::fs::remove_dir_all(dir);
}

// ---------------------------------------------------------------------------------------------
// 5. --mask

#[test]
fn mask_hides_every_payload_value_and_host_name_in_every_rule_and_format() {
    let secret_host = "vbo-internal.corp.example";
    let secret_id = "0badc0de-1111-4222-8333-444455556666";
    let dir = scratch("mask");
    let mut page_one = page(0, 3, vec![]);
    let mut sessions = Vec::new();
    // self-link-mismatch, job-link-mismatch, duplicate-session-id (in page): hosts and ids.
    let mut a = session(1);
    a["id"] = json!(secret_id);
    a["_links"]["self"]["href"] = json!(format!("https://{secret_host}/v5/jobsessions/other"));
    a["_links"]["job"]["href"] = json!(format!("https://{secret_host}/v5/jobs/other-job"));
    sessions.push(a);
    let mut b = session(2);
    b["id"] = json!(secret_id);
    b["_links"]["self"]["href"] =
        json!(format!("https://{secret_host}/v5/jobsessions/{secret_id}"));
    // end-before-creation and end-while-running: times.
    b["creationTime"] = json!("2087-05-06T07:08:09.123Z");
    b["endTime"] = json!("2087-05-06T07:08:08.123Z");
    b["status"] = json!("Queued");
    sessions.push(b);
    // schema (enum): the value; numeric-string: the value.
    let mut c = session(3);
    c["status"] = json!("ExplodedSecretly");
    c["statistics"]["processedObjects"] = json!("987654321");
    sessions.push(c);
    page_one["results"] = json!(sessions);
    // next-leaves-collection: the href and its host.
    page_one["_links"] =
        json!({"next": {"href": format!("https://{secret_host}/v5/JobSessions?offset=3")}});
    std::fs::write(
        dir.join("page.http"),
        http_capture(
            0,
            3,
            "text/plain; secret-header-value",
            &page_one.to_string(),
        ),
    )
    .unwrap();
    // duplicate-session-id across the pages of a walk.
    let mut first = session(4);
    first["id"] = json!(secret_id);
    first["_links"]["self"]["href"] = json!(format!("/v5/jobsessions/{secret_id}"));
    // Not at the head of the next page, so it is no shifted collection but a duplicate.
    let mut walk_page = page(0, 2, vec![first.clone(), session(5)]);
    walk_page["_links"] = json!({"next": {"href": "/v5/Jobs/x/JobSessions"}});
    let walk = format!("{walk_page}\n{}\n", page(2, 2, vec![session(6), first]));
    std::fs::write(dir.join("walk.ndjson"), walk).unwrap();
    // status: the server's message.
    std::fs::write(
        dir.join("error.http"),
        "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n\r\n{\"message\": \"job on vbo-internal.corp.example not found\"}",
    )
    .unwrap();

    let secrets = [
        secret_host,
        secret_id,
        "2087",
        "ExplodedSecretly",
        "987654321",
        "secret-header-value",
        JOB,
        "other-job",
    ];
    let rules = [
        Rule::SelfLinkMismatch,
        Rule::JobLinkMismatch,
        Rule::DuplicateSessionId,
        Rule::EndBeforeCreation,
        Rule::EndWhileRunning,
        Rule::Schema,
        Rule::NumericString,
        Rule::NextLeavesCollection,
        Rule::Status,
        Rule::ContentType,
    ];
    let paths = vec![
        dir.join("page.http"),
        dir.join("walk.ndjson"),
        dir.join("error.http"),
    ];

    // Unmasked, the values are there: the inputs really carry them into the messages.
    let plain = verify_within_deadline(paths.clone(), Limits::default(), Options::default());
    let plain_text = report::human(&plain, false);
    for secret in [
        secret_host,
        secret_id,
        "2087",
        "ExplodedSecretly",
        "secret-header-value",
        JOB,
    ] {
        assert!(
            plain_text.contains(secret),
            "{secret} not in the unmasked report:\n{plain_text}"
        );
    }

    let masked = verify_within_deadline(paths, Limits::default(), Options { mask_values: true });
    for rule in rules {
        let found = findings_of(&masked, rule);
        assert!(
            !found.is_empty(),
            "{rule:?} not reported:\n{}",
            report::human(&masked, false)
        );
        assert!(
            found.iter().all(|f| f.snippet.is_none()),
            "{rule:?} has a snippet"
        );
    }
    assert!(
        findings_of(&masked, Rule::DuplicateSessionId)
            .iter()
            .any(|f| f.message.contains("of this walk")),
        "the walk's duplicate is reported"
    );
    for (format, text) in [
        ("human", report::human(&masked, false)),
        ("json", report::json(&masked)),
        ("junit", report::junit(&masked)),
    ] {
        for secret in secrets {
            assert!(
                !text.contains(secret),
                "{format} report shows {secret}:\n{text}"
            );
        }
        assert!(
            text.contains("<masked>") || text.contains("&lt;masked&gt;"),
            "{format}:\n{text}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

// ---------------------------------------------------------------------------------------------
// 6. duplicate-key

fn verify_body(body: &str) -> Vec<vbo_contract::Finding> {
    let contract = Contract::embedded().unwrap();
    Verifier::new(&contract)
        .verify(&Response::body(body.as_bytes()), &Request::default())
        .findings
}

#[test]
fn a_repeated_key_is_reported_at_the_repeat_with_its_pointer_however_it_is_spelled() {
    let mut s = session(1).to_string();
    // The first value is wrong, the second right: a parse tree shows only the right one.
    s = s.replacen(
        "\"status\":\"Success\"",
        "\"status\":\"Exploded\",\n\"st\\u0061tus\":\"Success\"",
        1,
    );
    let body = format!(
        "{{\"offset\":0,\"limit\":30,\n\"results\":[{},{s}],\"limit\":30}}",
        session(2)
    );
    let findings = verify_body(&body);
    let duplicates: Vec<_> = findings
        .iter()
        .filter(|f| f.rule == Rule::DuplicateKey)
        .collect();
    assert_eq!(duplicates.len(), 2, "{findings:?}");
    assert_eq!(duplicates[0].pointer, "/results/1/status");
    let position = duplicates[0].position.unwrap();
    assert_eq!(position.line, 3, "the repeated key's own line");
    assert_eq!(position.column, 1);
    assert!(
        duplicates[0].message.contains("\"status\""),
        "{}",
        duplicates[0].message
    );
    assert!(
        duplicates[0].message.contains("first at line 2"),
        "{}",
        duplicates[0].message
    );
    assert_eq!(duplicates[1].pointer, "/limit");
    assert!(
        findings.iter().all(|f| f.rule == Rule::DuplicateKey),
        "{findings:?}"
    );
    // No false alarm: the same keys in different objects are fine.
    let clean = page(0, 30, vec![session(1), session(2)]).to_string();
    assert!(verify_body(&clean).is_empty());
}

// ---------------------------------------------------------------------------------------------
// 7. Smaller items

#[test]
fn a_byte_order_mark_gets_a_message_of_its_own_at_the_start() {
    let body = format!("\u{feff}{}", page(0, 30, vec![session(1)]));
    let findings = verify_body(&body);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].rule, Rule::JsonSyntax);
    assert!(
        findings[0]
            .message
            .contains("UTF-8 byte-order mark, which JSON (RFC 8259) forbids"),
        "{}",
        findings[0].message
    );
    let position = findings[0].position.unwrap();
    assert_eq!((position.line, position.column), (1, 1));
}

#[test]
fn a_one_page_ndjson_walk_is_not_judged_by_next_on_short_page() {
    let dir = scratch("lone");
    let mut lone = page(0, 30, vec![session(1)]);
    lone["_links"] =
        json!({"next": {"href": format!("/v5/Jobs/{JOB}/JobSessions?offset=30&limit=30")}});
    std::fs::write(dir.join("lone.ndjson"), format!("{lone}\n")).unwrap();
    let mut short = page(1, 30, vec![session(2)]);
    short["_links"] = lone["_links"].clone();
    let mut full = page(0, 1, vec![session(1)]);
    full["_links"] = lone["_links"].clone();
    std::fs::write(dir.join("two.ndjson"), format!("{full}\n{short}\n")).unwrap();
    let report = verify(vec![dir.join("lone.ndjson"), dir.join("two.ndjson")]);
    let judged: Vec<String> = findings_of(&report, Rule::NextOnShortPage)
        .iter()
        .map(|f| f.pointer.clone())
        .collect();
    // Only the two-page walk's last page is judged.
    assert_eq!(
        judged,
        ["/_links/next"],
        "{}",
        report::human(&report, false)
    );
    assert!(
        report.entries[0].findings.is_empty(),
        "{:?}",
        report.entries[0].findings
    );
    let _ = std::fs::remove_dir_all(dir);
}
