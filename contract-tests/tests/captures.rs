//! Captured traffic as input: HAR documents (made here from the mock, and one hand-made file per
//! exporter quirk in `fixtures/har/`), raw HTTP captures (`curl -i`, `curl -v`, `--raw`) in
//! `fixtures/captures/`, content detection, and the `.http` writer and reader round trip.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use proptest::prelude::*;
use serde_json::{Value, json};
use vbo_contract::exchange::{Exchange, RequestLine};
use vbo_contract::http_file::{self, Kind};
use vbo_contract::live::{self, Observer, WalkPlan};
use vbo_contract::mock::{Fault, MockConfig, MockServer, Tls};
use vbo_contract::report::{self, Report};
use vbo_contract::{Contract, Rule, Verifier, recorded};

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn verify(paths: &[PathBuf]) -> Report {
    let contract = Contract::embedded().unwrap();
    recorded::verify_paths(&Verifier::new(&contract), paths, &mut |_, _| {})
}

fn fixture(path: &str) -> PathBuf {
    manifest().join("fixtures").join(path)
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vbo-captures-{name}-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every finding as (rule, pointer).
fn findings(report: &Report) -> BTreeSet<(Rule, String)> {
    report
        .findings()
        .map(|f| (f.rule, f.pointer.clone()))
        .collect()
}

fn notes(report: &Report) -> Vec<String> {
    report
        .input_notes
        .iter()
        .map(|n| n.message.clone())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// HAR files made from the mock

/// Keeps every page a live walk fetched, as the walk saw it.
#[derive(Default)]
struct Keep(Vec<Exchange>);

impl Observer for Keep {
    fn page(&mut self, raw: &Exchange) {
        self.0.push(raw.clone());
    }
}

/// Walks every job of a mock with `fault` directly (the `verify --server` path), keeping the
/// pages: the live report and the exchanges of each job, in order.
async fn walk_mock(fault: Option<Fault>) -> (Report, Vec<Vec<Exchange>>) {
    let config = MockConfig {
        jobs: 2,
        sessions_per_job: 45,
        seed: 11,
        fault,
        ..MockConfig::default()
    };
    let mock = MockServer::start(config, Tls::None).await.unwrap();
    let client = vbo_client::Client::builder(mock.base_url())
        .credentials("vbo-admin", "mock-password")
        .build()
        .unwrap();
    let contract = Contract::embedded().unwrap();
    let verifier = Verifier::new(&contract);
    let mut report = Report::default();
    let plan = WalkPlan {
        page_size: 10,
        ..WalkPlan::default()
    };
    let mut kept = Vec::new();
    for job in mock.job_ids().to_vec() {
        let mut keep = Keep::default();
        live::walk_job(&verifier, &client, &job, plan, &mut report, &mut keep).await;
        kept.push(keep.0);
    }
    mock.shutdown().await.unwrap();
    (report, kept)
}

/// One HAR 1.2 entry for `exchange`, its body as text or base64.
fn har_entry(exchange: &Exchange, base64: bool) -> Value {
    let request = exchange.request.as_ref().unwrap();
    let text = if base64 {
        base64::engine::general_purpose::STANDARD.encode(&exchange.body)
    } else {
        String::from_utf8(exchange.body.clone()).unwrap()
    };
    let mut content = json!({
        "size": exchange.body.len(),
        "mimeType": exchange.content_type().unwrap_or_default(),
        "text": text,
    });
    if base64 {
        content["encoding"] = json!("base64");
    }
    json!({
        "startedDateTime": "2026-11-28T12:00:00.000Z",
        "time": 1,
        "request": {
            "method": request.method, "url": request.target, "httpVersion": "HTTP/1.1",
            "cookies": [], "headers": [{"name": "Authorization", "value": "Bearer har-secret-token"}],
            "queryString": [], "headersSize": -1, "bodySize": 0,
        },
        "response": {
            "status": exchange.status, "statusText": "", "httpVersion": "HTTP/1.1", "cookies": [],
            "headers": exchange.headers.iter().map(|(n, v)| json!({"name": n, "value": v})).collect::<Vec<_>>(),
            "content": content, "redirectURL": "", "headersSize": -1, "bodySize": exchange.body.len(),
        },
        "cache": {},
        "timings": {"send": 0, "wait": 1, "receive": 0},
    })
}

/// A HAR document of the jobs' pages, interleaved (job 1 page 1, job 2 page 1, ...), with a
/// sign-in first and bodies alternately as text and base64.
fn har_of(jobs: &[Vec<Exchange>], base: &str) -> String {
    let mut entries = vec![json!({
        "request": {"method": "POST", "url": format!("{base}/v5/Token"), "headers": [], "headersSize": -1, "bodySize": 10},
        "response": {"status": 200, "headers": [], "content": {"size": 2, "mimeType": "application/json", "text": "{}"}},
    })];
    let longest = jobs.iter().map(Vec::len).max().unwrap_or(0);
    let mut n = 0;
    for page in 0..longest {
        for job in jobs {
            if let Some(exchange) = job.get(page) {
                entries.push(har_entry(exchange, n % 2 == 1));
                n += 1;
            }
        }
    }
    json!({"log": {"version": "1.2", "creator": {"name": "captures.rs", "version": "1"}, "entries": entries}})
        .to_string()
}

#[tokio::test]
async fn a_har_of_a_mock_walk_verifies_like_the_walk_itself() {
    for fault in [None, Some(Fault::UnknownStatus), Some(Fault::BrokenNext)] {
        let (live, jobs) = walk_mock(fault).await;
        let pages: usize = jobs.iter().map(Vec::len).sum();
        assert_eq!(live.pages(), pages);
        assert!(pages >= 10, "{pages}");
        let dir = temp_dir(&format!("mock-{}", fault.map_or("none", |f| f.id())));
        let path = dir.join("walk.har");
        std::fs::write(&path, har_of(&jobs, "http://127.0.0.1:1")).unwrap();
        let offline = verify(std::slice::from_ref(&path));
        assert!(
            offline.input_problems.is_empty(),
            "{:?}",
            offline.input_problems
        );
        assert_eq!(offline.pages(), live.pages(), "{fault:?}");
        assert_eq!(offline.sessions(), live.sessions(), "{fault:?}");
        assert_eq!(findings(&offline), findings(&live), "{fault:?}");
        match fault.and_then(Fault::rule) {
            None => assert_eq!(offline.findings().count(), 0),
            Some(rule) => assert!(offline.findings().any(|f| f.rule == rule), "{fault:?}"),
        }
        let skipped = notes(&offline);
        assert!(
            skipped
                .iter()
                .any(|n| n.starts_with(&format!("1 of {} entries", pages + 1))),
            "{skipped:?}"
        );
        let text = report::human(&offline, false) + &report::json(&offline);
        assert!(!text.contains("har-secret-token"));
        std::fs::remove_dir_all(dir).ok();
    }
}

/// The fixtures' three-page mitmproxy walk with its entries edited by `edit`, written to a
/// HAR file of a temporary folder `name`; verified. The folder is removed.
fn verify_edited_walk(name: &str, edit: impl FnOnce(&mut Vec<Value>)) -> Report {
    let doc: Value =
        serde_json::from_slice(&std::fs::read(fixture("har/mitmproxy.har")).unwrap()).unwrap();
    let mut entries = doc["log"]["entries"].as_array().unwrap().clone();
    edit(&mut entries);
    let dir = temp_dir(name);
    let path = dir.join(format!("{name}.har"));
    std::fs::write(&path, json!({"log": {"entries": entries}}).to_string()).unwrap();
    let report = verify(std::slice::from_ref(&path));
    std::fs::remove_dir_all(dir).ok();
    report
}

#[test]
fn a_walk_split_across_a_har_is_judged_per_job() {
    // The three-page walk of the fixtures, with its middle page missing: the walk of its job
    // sees offset 6 after 0, although a page of another job sits between them.
    let report = verify_edited_walk("gap", |entries| {
        entries.remove(1);
    });
    assert_eq!(report.pages(), 2);
    assert!(
        report.findings().any(|f| f.rule == Rule::OffsetSequence),
        "{:?}",
        findings(&report)
    );
}

#[test]
fn a_finding_about_how_a_recorded_walk_ended_goes_with_its_last_page() {
    // The three-page walk of the fixtures, cut after its second page, which links a third.
    let report = verify_edited_walk("cut", |entries| entries.truncate(2));
    let rules: Vec<Vec<Rule>> = report
        .entries
        .iter()
        .map(|e| e.findings.iter().map(|f| f.rule).collect())
        .collect();
    assert_eq!(rules, [vec![], vec![Rule::NextOnLastPage]]);
}

// ---------------------------------------------------------------------------------------------
// Hand-made HAR files, one per exporter

/// The three-page walk of `fixtures/valid/walk-three-pages.ndjson`, as each exporter writes it.
#[test]
fn each_exporters_har_verifies_clean_with_its_quirks_as_notes() {
    let direct = verify(&[fixture("valid/walk-three-pages.ndjson")]);
    assert_eq!((direct.pages(), direct.errors()), (3, 0));
    let cases: [(&str, &[&str]); 4] = [
        (
            "chrome-devtools.har",
            &[
                "fields whose name starts with _",
                "headersSize or bodySize is -1",
                "2 of 5 entries are not GET requests",
            ],
        ),
        (
            "firefox.har",
            &["response.status is 0", "fields whose name starts with _"],
        ),
        ("mitmproxy.har", &[]),
        (
            "charles-compressed.har",
            &[
                "compressed on the wire",
                "3 verified entries (the first is #/log/entries/0)",
                "no content.text",
            ],
        ),
    ];
    for (name, expected_notes) in cases {
        let report = verify(&[fixture(&format!("har/{name}"))]);
        assert!(
            report.input_problems.is_empty(),
            "{name}: {:?}",
            report.input_problems
        );
        assert_eq!(report.pages(), direct.pages(), "{name}");
        assert_eq!(report.sessions(), direct.sessions(), "{name}");
        assert_eq!(
            report.findings().count(),
            direct.findings().count(),
            "{name}: {:?}",
            findings(&report)
        );
        let notes = notes(&report);
        for expected in expected_notes {
            assert!(
                notes.iter().any(|n| n.contains(expected)),
                "{name}: no note with {expected:?} in {notes:?}"
            );
        }
        if expected_notes.is_empty() {
            assert!(notes.is_empty(), "{name}: {notes:?}");
        }
        assert!(
            report.entries[0].source.origin.ends_with(&format!(
                "{name}#/log/entries/{}",
                if name.starts_with("chrome") { 2 } else { 0 }
            )),
            "{}",
            report.entries[0].source.origin
        );
    }
}

#[test]
fn a_har_with_no_matching_entries_counts_them_and_finds_nothing() {
    let report = verify(&[fixture("har/no-matching-entries.har")]);
    assert_eq!(report.pages(), 0);
    assert!(report.input_problems.is_empty());
    assert_eq!(
        notes(&report),
        [
            "4 of 4 entries are not GET requests for an operation of the contract; counted and skipped"
        ]
    );
    assert_eq!(report.exit_code(true), 0);
}

#[test]
fn a_har_is_known_by_content_in_a_directory_and_under_any_name() {
    let dir = temp_dir("names");
    let har = std::fs::read(fixture("har/mitmproxy.har")).unwrap();
    std::fs::write(dir.join("export.json"), &har).unwrap();
    std::fs::write(dir.join("export.txt"), &har).unwrap();
    std::fs::write(dir.join("export.har"), &har).unwrap();
    std::fs::write(dir.join("notes.txt"), "nothing to see").unwrap();
    let report = verify(std::slice::from_ref(&dir));
    assert_eq!(report.pages(), 9, "{:?}", report.entries);
    assert_eq!(report.errors(), 0);
    // The whole fixture directory: no HAR file is skipped.
    let report = verify(&[fixture("har")]);
    assert_eq!(report.pages(), 12);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_broken_har_is_an_input_problem_not_a_finding() {
    let dir = temp_dir("broken");
    std::fs::write(dir.join("a.har"), r#"{"log": {"version": "1.2"}}"#).unwrap();
    std::fs::write(dir.join("b.har"), "not json").unwrap();
    let report = verify(&[dir.join("a.har"), dir.join("b.har")]);
    assert_eq!(report.pages(), 0);
    assert_eq!(
        report.input_problems.len(),
        2,
        "{:?}",
        report.input_problems
    );
    assert!(
        report.input_problems[0]
            .message
            .starts_with("not a HAR 1.2 document")
    );
    std::fs::remove_dir_all(dir).ok();
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP captures

#[test]
fn curl_captures_verify_clean_under_any_name() {
    let cases = [
        ("curl-i.txt", None),
        (
            "curl-i-continue-and-redirect.txt",
            Some("the capture holds 3 responses; the last (200) is verified"),
        ),
        ("curl-raw-chunked.http", Some("de-chunked")),
        ("curl-v.txt", None),
        ("curl-v-progress.log", None),
    ];
    for (name, note) in cases {
        let report = verify(&[fixture(&format!("captures/{name}"))]);
        assert!(report.input_problems.is_empty(), "{name}");
        assert_eq!(report.pages(), 1, "{name}");
        assert_eq!(report.sessions(), 1, "{name}");
        assert_eq!(report.findings().count(), 0, "{name}: {:?}", report.entries);
        match note {
            Some(note) => assert!(notes(&report).iter().any(|n| n.contains(note)), "{name}"),
            None => assert!(notes(&report).is_empty(), "{name}: {:?}", notes(&report)),
        }
        let text = report::human(&report, false) + &report::json(&report);
        assert!(!text.contains("s3cr3t"), "{name}");
    }
    // The directory as a whole: `.txt` and `.log` captures are picked up by content.
    assert_eq!(verify(&[fixture("captures")]).pages(), 5);
}

#[test]
fn the_request_of_a_capture_is_used_and_its_headers_never_kept() {
    let bytes = std::fs::read(fixture("captures/curl-v.txt")).unwrap();
    let capture = http_file::read(&bytes).unwrap();
    let request = capture.exchange.request.as_ref().unwrap();
    assert_eq!(request.method, "GET");
    assert!(request.target.ends_with("/JobSessions?offset=0&limit=30"));
    assert_eq!(
        capture
            .exchange
            .request_in(&Contract::embedded().unwrap())
            .limit,
        Some(30)
    );
    assert_eq!(capture.exchange.status, 200);
    assert!(
        capture.exchange.body.ends_with(b"}"),
        "{:?}",
        String::from_utf8_lossy(&capture.exchange.body)
    );
    assert!(!format!("{capture:?}").contains("s3cr3t"));
    // A redirect followed with -L: the last response answers the redirect's target.
    let bytes = std::fs::read(fixture("captures/curl-i-continue-and-redirect.txt")).unwrap();
    let capture = http_file::read(&bytes).unwrap();
    assert_eq!(
        capture
            .exchange
            .request_in(&Contract::embedded().unwrap())
            .offset,
        Some(0)
    );
    assert_eq!(
        capture.exchange.content_type(),
        Some("application/json; charset=utf-8")
    );
}

#[test]
fn a_limit_mismatch_in_a_curl_capture_is_found_on_the_body_line() {
    let page = std::fs::read_to_string(fixture("valid/recorded-response.http")).unwrap();
    let body = page.split_once("\n\n").unwrap().1;
    let job = "196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5";
    let dir = temp_dir("echo");
    let path = dir.join("out.txt");
    std::fs::write(
        &path,
        format!(
            "> GET /v5/Jobs/{job}/JobSessions?offset=0&limit=50 HTTP/1.1\r\n> \r\n< HTTP/2 200\r\n< content-type: application/json; charset=utf-8\r\n< \r\n{body}"
        ),
    )
    .unwrap();
    let report = verify(std::slice::from_ref(&path));
    let echo: Vec<_> = report
        .findings()
        .filter(|f| f.rule == Rule::EchoMismatch)
        .collect();
    assert_eq!(echo.len(), 1, "{:?}", findings(&report));
    assert_eq!(echo[0].pointer, "/limit");
    // `"limit": 30` is line 3 of the body, which starts on line 6.
    assert_eq!(echo[0].position.map(|p| p.line), Some(8));
    std::fs::remove_dir_all(dir).ok();
}

// ---------------------------------------------------------------------------------------------
// Content detection

#[test]
fn every_kind_is_known_by_its_first_bytes() {
    let read = |p: &str| std::fs::read(fixture(p)).unwrap();
    assert_eq!(
        http_file::sniff(&read("valid/seed-example.json")),
        Kind::Json
    );
    assert_eq!(
        http_file::sniff(&read("valid/walk-three-pages.ndjson")),
        Kind::Ndjson
    );
    assert_eq!(
        http_file::sniff(&read("valid/recorded-response.http")),
        Kind::Http
    );
    assert_eq!(
        http_file::sniff(&read("invalid/content-type-missing.http")),
        Kind::Http
    );
    assert_eq!(http_file::sniff(&read("captures/curl-i.txt")), Kind::Http);
    assert_eq!(
        http_file::sniff(&read("captures/curl-v.txt")),
        Kind::CurlVerbose
    );
    assert_eq!(
        http_file::sniff(&read("captures/curl-v-progress.log")),
        Kind::CurlVerbose
    );
    for har in [
        "chrome-devtools",
        "firefox",
        "mitmproxy",
        "charles-compressed",
    ] {
        assert_eq!(
            http_file::sniff(&read(&format!("har/{har}.har"))),
            Kind::Har,
            "{har}"
        );
    }
    assert_eq!(
        http_file::sniff(&read("invalid/json-syntax-not-json.json")),
        Kind::Unknown
    );
    assert_eq!(http_file::sniff(b""), Kind::Unknown);
    assert_eq!(
        http_file::sniff(b"\xef\xbb\xbf\r\n  HTTP/2 204\r\n\r\n"),
        Kind::Http
    );
    assert_eq!(http_file::sniff(b"NOTE this is text\n"), Kind::Unknown);
    // A pretty-printed value is one value; a HAR-looking key deeper down is not a HAR.
    assert_eq!(
        http_file::sniff(b"{\n  \"a\": 1\n}\n{\"b\": 2}"),
        Kind::Json
    );
    assert_eq!(
        http_file::sniff(br#"{"x": {"log": {"entries": []}}}"#),
        Kind::Json
    );
    // A HAR whose `pages` run past the sniffed prefix is still a HAR.
    let long = format!(
        r#"{{"log": {{"version": "1.2", "pages": [{}], "entries": []}}}}"#,
        vec![r#"{"id": "p"}"#; 20_000].join(",")
    );
    assert_eq!(http_file::sniff(long.as_bytes()), Kind::Har);
}

/// A first line that parses as one JSON scalar makes a JSON file; a line that only
/// starts like one (a date, a word) does not.
#[test]
fn a_json_scalar_is_json_and_text_that_only_starts_like_one_is_not() {
    for (bytes, kind) in [
        (&b"\"a page\"\n"[..], Kind::Json),
        (b"42", Kind::Json),
        (b"-1.5e3\n", Kind::Json),
        (b"true\n", Kind::Json),
        (b"false", Kind::Json),
        (b"null\n", Kind::Json),
        (b"2026-11-29 12:00 GET /v5/Jobs\n", Kind::Unknown),
        (b"-- a comment\n", Kind::Unknown),
        (b"total 3\n", Kind::Unknown),
        (b"nothing here\n", Kind::Unknown),
        (b"\"unterminated\n", Kind::Unknown),
    ] {
        assert_eq!(
            http_file::sniff(bytes),
            kind,
            "{}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn a_json_page_that_mentions_http_is_still_a_page() {
    let page = std::fs::read_to_string(fixture("valid/seed-example.json")).unwrap();
    let mut value: Value = serde_json::from_str(&page).unwrap();
    value["note"] = json!("HTTP/1.1 200 OK\nGET /v5/Jobs/x/JobSessions HTTP/1.1");
    let text = format!("\n{}", serde_json::to_string_pretty(&value).unwrap());
    assert_eq!(http_file::sniff(text.as_bytes()), Kind::Json);
    let dir = temp_dir("mention");
    for name in ["page.json", "page.txt"] {
        std::fs::write(dir.join(name), &text).unwrap();
        let report = verify(&[dir.join(name)]);
        assert_eq!(
            (report.pages(), report.errors()),
            (1, 0),
            "{name}: {:?}",
            findings(&report)
        );
    }
    std::fs::remove_dir_all(dir).ok();
}

// ---------------------------------------------------------------------------------------------
// Writer and reader

fn exchange() -> impl Strategy<Value = Exchange> {
    let request = proptest::option::of(
        ("[A-Z]{1,8}", "/[!-~]{0,40}").prop_map(|(method, target)| RequestLine { method, target }),
    );
    let header = (
        "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}",
        "[^\r\n]{0,40}".prop_filter("trimmed", |v: &String| v.trim() == v),
    )
        .prop_filter("not a framing header", |(n, _): &(String, String)| {
            !n.eq_ignore_ascii_case("transfer-encoding")
        });
    (
        request,
        100u16..=999,
        proptest::collection::vec(header, 0..6),
        proptest::collection::vec(any::<u8>(), 0..300)
            .prop_filter("not a second response", |b| !b.starts_with(b"HTTP/")),
    )
        .prop_map(|(request, status, headers, body)| Exchange {
            request,
            status,
            headers,
            body,
        })
}

/// The head of a written capture with CRLF line ends (the body kept as it is).
fn with_crlf(bytes: &[u8]) -> Vec<u8> {
    let end = bytes.windows(2).position(|w| w == b"\n\n").unwrap() + 2;
    let mut out: Vec<u8> = bytes[..end]
        .iter()
        .flat_map(|&b| {
            if b == b'\n' {
                vec![b'\r', b'\n']
            } else {
                vec![b]
            }
        })
        .collect();
    out.extend_from_slice(&bytes[end..]);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn writing_then_reading_gives_the_same_exchange(e in exchange()) {
        let written = http_file::write(&e);
        prop_assert_eq!(http_file::sniff(&written), Kind::Http);
        let read = http_file::read(&written).unwrap();
        prop_assert_eq!(&read.exchange, &e);
        prop_assert!(read.notes.is_empty());
        let read = http_file::read(&with_crlf(&written)).unwrap();
        prop_assert_eq!(&read.exchange, &e);
    }

    #[test]
    fn any_bytes_read_as_a_capture_give_a_typed_result(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = http_file::read(&bytes);
        let _ = http_file::sniff(&bytes);
        let mut prefixed = b"HTTP/1.1 200 OK\r\n".to_vec();
        prefixed.extend_from_slice(&bytes);
        let _ = http_file::read(&prefixed);
        let mut verbose = b"< HTTP/1.1 200 OK\r\n".to_vec();
        verbose.extend_from_slice(&bytes);
        let _ = http_file::read(&verbose);
    }
}

#[test]
fn every_existing_capture_fixture_reads_as_before() {
    // Request line, status, the two headers the old reader knew, body from the blank line on.
    for dir in ["valid", "invalid"] {
        for entry in std::fs::read_dir(fixture(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "http") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let capture = http_file::read(&bytes).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            let blank = text
                .find("\n\n")
                .or_else(|| text.find("\r\n\r\n").map(|i| i + 2))
                .unwrap();
            assert_eq!(capture.exchange.body, &bytes[blank + 2..], "{path:?}");
            let head_lines = text[..blank].lines().count();
            assert_eq!(capture.body_line, head_lines + 2, "{path:?}");
            assert_eq!(
                capture.exchange.request.is_some(),
                text.starts_with("GET "),
                "{path:?}"
            );
            assert!(capture.notes.is_empty());
            assert_rewrites(&path, &capture.exchange);
        }
    }
}

/// A header name with a colon or white space in it would forge a header or break the line: the
/// writer turns each such character into `-`, so every header reads back as one header.
#[test]
fn a_written_header_name_never_carries_a_colon_or_white_space() {
    let exchange = Exchange {
        request: None,
        status: 200,
        headers: vec![
            ("X:Forged".to_owned(), "a".to_owned()),
            ("X Spaced".to_owned(), "b".to_owned()),
            ("X\tTabbed".to_owned(), "c".to_owned()),
        ],
        body: b"{}".to_vec(),
    };
    let written = http_file::write(&exchange);
    let read = http_file::read(&written).unwrap();
    assert_eq!(
        read.exchange.headers,
        [
            ("X-Forged".to_owned(), "a".to_owned()),
            ("X-Spaced".to_owned(), "b".to_owned()),
            ("X-Tabbed".to_owned(), "c".to_owned()),
        ],
        "{}",
        String::from_utf8_lossy(&written)
    );
}

/// The writer gives the reader back the same exchange.
fn assert_rewrites(path: &Path, exchange: &Exchange) {
    let again = http_file::read(&http_file::write(exchange)).unwrap();
    assert_eq!(&again.exchange, exchange, "{path:?}");
}
