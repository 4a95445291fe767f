//! `live::walk_job` against hostile and busy servers: small loopback servers written here, one
//! behaviour each, each case asserting the bound or the finding (and, for redirects, that the
//! other origin received nothing).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use vbo_contract::Exchange;
use vbo_contract::finding::{Finding, Rule, Severity};
use vbo_contract::live::{self, PageSource, WalkPlan};
use vbo_contract::report::{self, Deny, Report, Transient};
use vbo_contract::{Contract, Verifier};

const JOB: &str = "196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5";

/// What a test server saw of one request.
#[derive(Debug, Clone, Copy)]
struct Asked {
    offset: u64,
    limit: u64,
    /// 0 for the first request the server answered.
    number: usize,
}

/// One response, as bytes after the status line's reason.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn json(body: &Value) -> Self {
        Self::bytes(200, serde_json::to_vec(body).unwrap())
    }

    fn bytes(status: u16, body: Vec<u8>) -> Self {
        Self {
            status,
            headers: vec![(
                "Content-Type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body,
        }
    }
}

type Behaviour = dyn Fn(Asked) -> Answer + Send + Sync;

/// A loopback HTTP/1.1 server answering every request with `behaviour` (one request per
/// connection), counting what it was asked.
struct Server {
    base: String,
    hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn start(behaviour: impl Fn(Asked) -> Answer + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicUsize::new(0));
        let behaviour: Arc<Behaviour> = Arc::new(behaviour);
        let counter = Arc::clone(&hits);
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let behaviour = Arc::clone(&behaviour);
                let number = counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65_536 {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let line = String::from_utf8_lossy(&head);
                    let target = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
                    let query = |name: &str| {
                        target
                            .split_once('?')
                            .map_or("", |(_, q)| q)
                            .split('&')
                            .find_map(|p| p.strip_prefix(&format!("{name}=")))
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(0)
                    };
                    let answer = behaviour(Asked {
                        offset: query("offset"),
                        limit: query("limit"),
                        number,
                    });
                    let mut out = format!("HTTP/1.1 {} X\r\n", answer.status).into_bytes();
                    for (name, value) in &answer.headers {
                        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
                    }
                    out.extend_from_slice(
                        format!(
                            "Content-Length: {}\r\nConnection: close\r\n\r\n",
                            answer.body.len()
                        )
                        .as_bytes(),
                    );
                    out.extend_from_slice(&answer.body);
                    let _ = stream.write_all(&out).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Self { base, hits, task }
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Pages over plain reqwest that follows no redirect (as the project's client does), with a
/// cumulative transient-fault log to which every fetch adds `absorbs` (as a client that
/// retried would).
struct Source {
    client: reqwest::Client,
    base: String,
    absorbs: Vec<Transient>,
    log: std::sync::Mutex<Vec<Transient>>,
}

impl Source {
    fn new(server: &Server) -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            base: server.base.clone(),
            absorbs: Vec::new(),
            log: std::sync::Mutex::default(),
        }
    }
}

impl PageSource for Source {
    async fn get(&self, target: &str) -> Result<Exchange, String> {
        let url = format!("{}{target}", self.base);
        {
            let mut log = self.log.lock().unwrap();
            for fault in &self.absorbs {
                match log.iter_mut().find(|t| t.kind == fault.kind) {
                    Some(known) => known.count += fault.count,
                    None => log.push(fault.clone()),
                }
            }
        }
        let response = self
            .client
            .get(&url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        };
        let (content_type, location) = (header("content-type"), header("location"));
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| e.to_string())?.to_vec();
        let headers = [("Content-Type", content_type), ("Location", location)]
            .into_iter()
            .filter_map(|(name, value)| Some((name.to_owned(), value?)))
            .collect();
        Ok(Exchange::get(url, status, headers, body))
    }

    fn transient(&self) -> Vec<Transient> {
        self.log.lock().unwrap().clone()
    }
}

/// Session `n`: created `n` minutes before a fixed time, so higher numbers are older.
fn session(n: u64) -> Value {
    let id = format!("6a3fa2fb-3a77-4d99-8b5d-{n:012x}");
    let created = chrono::DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z").unwrap()
        - chrono::Duration::minutes(n as i64);
    let ended = created + chrono::Duration::seconds(90);
    json!({
        "id": id,
        "creationTime": created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "endTime": ended.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "progress": 100,
        "status": "Success",
        "statistics": {
            "processingRateBytesPS": 1000, "processingRateItemsPS": 3, "readRateBytesPS": 2000,
            "writeRateBytesPS": 500, "transferredDataBytes": 123456, "processedObjects": 12,
            "bottleneck": "Target"
        },
        "_links": {
            "self": {"href": format!("https://vbo01:4443/v5/jobsessions/{id}")},
            "log": {"href": format!("https://vbo01:4443/v5/jobsessions/{id}/logitems")},
            "job": {"href": format!("https://vbo01:4443/v5/jobs/{JOB}")}
        }
    })
}

/// A page of the sessions numbered `numbers`, echoing the request, with a next link if `next`.
fn page(asked: Asked, numbers: impl IntoIterator<Item = u64>, next: bool) -> Value {
    let mut page = json!({
        "offset": asked.offset,
        "limit": asked.limit,
        "results": numbers.into_iter().map(session).collect::<Vec<_>>(),
        "_links": {}
    });
    if next {
        page["_links"]["next"] = json!({"href": format!(
            "https://vbo01:4443/v5/Jobs/{JOB}/JobSessions?offset={}&limit={}",
            asked.offset + asked.limit,
            asked.limit
        )});
    }
    page
}

async fn walk_with(source: &Source, plan: WalkPlan) -> Report {
    let contract = Contract::embedded().unwrap();
    let verifier = Verifier::new(&contract);
    let mut report = Report::default();
    live::walk_job(&verifier, source, JOB, plan, &mut report, &mut ()).await;
    report
}

fn plan(page_size: u64) -> WalkPlan {
    WalkPlan {
        page_size,
        ..WalkPlan::default()
    }
}

fn findings(report: &Report) -> Vec<&Finding> {
    report.entries.iter().flat_map(|e| &e.findings).collect()
}

fn rules(report: &Report) -> Vec<&'static str> {
    findings(report).iter().map(|f| f.rule.id()).collect()
}

#[tokio::test]
async fn endless_full_pages_with_next_end_at_max_sessions() {
    let server = Server::start(|asked| {
        Answer::json(&page(asked, asked.offset..asked.offset + asked.limit, true))
    })
    .await;
    let source = Source::new(&server);
    let report = walk_with(
        &source,
        WalkPlan {
            max_sessions: 200,
            // Only so that a regression fails instead of walking for an hour.
            max_time: Duration::from_secs(30),
            ..plan(50)
        },
    )
    .await;
    assert_eq!(server.hits(), 4, "200 sessions are 4 pages of 50");
    assert_eq!(report.sessions(), 200);
    assert_eq!(rules(&report), ["walk-bound"]);
    let bound = findings(&report)[0];
    assert_eq!(bound.severity, Severity::Warning);
    assert!(
        bound.message.contains("--max-sessions 200"),
        "{}",
        bound.message
    );
    // The warning sits on the last page fetched, and the completion rules stay silent.
    assert_eq!(report.entries[3].findings.len(), 1);
}

#[tokio::test]
async fn a_walk_that_reaches_exactly_max_sessions_on_its_last_page_is_not_cut_short() {
    let server = Server::start(|asked| {
        let end = (asked.offset + asked.limit).min(100);
        Answer::json(&page(asked, asked.offset..end, end < 100))
    })
    .await;
    let report = walk_with(
        &Source::new(&server),
        WalkPlan {
            max_sessions: 100,
            ..plan(50)
        },
    )
    .await;
    assert_eq!(rules(&report), Vec::<&str>::new());
    assert_eq!(report.sessions(), 100);
}

#[tokio::test]
async fn endless_slow_pages_end_at_max_walk_time() {
    let server = Server::start(|asked| {
        std::thread::sleep(Duration::from_millis(150));
        Answer::json(&page(asked, asked.offset..asked.offset + asked.limit, true))
    })
    .await;
    let started = Instant::now();
    let report = walk_with(
        &Source::new(&server),
        WalkPlan {
            max_time: Duration::from_secs(1),
            // Only so that a regression fails instead of walking for an hour.
            max_sessions: 1000,
            ..plan(10)
        },
    )
    .await;
    // A hang guard, not a speed target: the bound is 1 s, anything near it is fine.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(rules(&report).last(), Some(&"walk-bound"));
    assert_eq!(rules(&report).len(), 1, "{:?}", rules(&report));
    assert!(findings(&report)[0].message.contains("--max-walk-time"));
    assert!(report.pages() >= 1);
}

#[tokio::test]
async fn a_server_that_never_answers_within_max_walk_time_is_an_input_problem() {
    let server = Server::start(|asked| {
        std::thread::sleep(Duration::from_secs(3));
        Answer::json(&page(asked, 0..1, false))
    })
    .await;
    let report = walk_with(
        &Source::new(&server),
        WalkPlan {
            max_time: Duration::from_secs(1),
            ..plan(10)
        },
    )
    .await;
    assert_eq!(report.pages(), 0);
    assert_eq!(report.input_problems.len(), 1);
    assert!(report.input_problems[0].message.contains("--max-walk-time"));
    assert_eq!(report.exit_code(false), 2);
}

#[tokio::test]
async fn the_same_full_page_forever_is_a_loop_and_the_walk_ends() {
    let server = Server::start(|asked| Answer::json(&page(asked, 0..asked.limit, true))).await;
    // The bound only keeps a regression from running for an hour: the loop must end it first.
    let report = walk_with(
        &Source::new(&server),
        WalkPlan {
            max_sessions: 1000,
            ..plan(25)
        },
    )
    .await;
    assert_eq!(server.hits(), 2);
    assert_eq!(rules(&report), ["page-loop"]);
    assert_eq!(report.entries[1].findings[0].pointer, "/results");
    assert_eq!(report.exit_code(false), 1);
}

#[tokio::test]
async fn alternating_pages_a_b_a_b_are_a_loop() {
    let server = Server::start(|asked| {
        let start = if asked.number % 2 == 0 {
            0
        } else {
            asked.limit
        };
        Answer::json(&page(asked, start..start + asked.limit, true))
    })
    .await;
    let report = walk_with(
        &Source::new(&server),
        WalkPlan {
            max_sessions: 1000,
            ..plan(20)
        },
    )
    .await;
    assert_eq!(server.hits(), 3, "A, B, then A again ends it");
    assert_eq!(rules(&report), ["page-loop"]);
    assert!(
        report.entries[2].findings[0]
            .message
            .contains("the first on page 1")
    );
}

/// A healthy, busy server: newest first, paged by offset, and one new session starts before
/// every request after the first, so each page opens with the session that ended the last.
fn busy(total: u64) -> impl Fn(Asked) -> Answer + Send + Sync + 'static {
    move |asked| {
        let added = asked.number as u64;
        // New sessions are numbered below 1000 downwards; the original ones from 1000 up.
        let list: Vec<u64> = (0..added)
            .map(|k| 999 - (added - 1 - k))
            .chain(1000..1000 + total)
            .collect();
        let start = (asked.offset as usize).min(list.len());
        let end = (start + asked.limit as usize).min(list.len());
        Answer::json(&page(
            asked,
            list[start..end].iter().copied(),
            end < list.len(),
        ))
    }
}

#[tokio::test]
async fn a_busy_collection_that_shifts_is_one_warning_not_errors() {
    let server = Server::start(busy(95)).await;
    let report = walk_with(&Source::new(&server), plan(30)).await;
    assert_eq!(
        rules(&report),
        ["collection-shifted"],
        "{:?}",
        findings(&report)
    );
    let warning = findings(&report)[0];
    assert_eq!(warning.severity, Severity::Warning);
    // Pages at 0, 30, 60, 90: three shifts of one; then one last look at the first page.
    assert!(
        warning.message.contains("3 sessions"),
        "{}",
        warning.message
    );
    assert!(warning.message.contains("last look"), "{}", warning.message);
    assert_eq!(server.hits(), 5);
    assert_eq!(report.exit_code(false), 0);
    assert_eq!(
        report.exit_code(true),
        1,
        "a warning fails with --deny-warnings"
    );
}

#[tokio::test]
async fn a_last_look_answered_with_an_error_status_confirms_no_shift_whatever_its_body() {
    // As the busy collection above, but the last look (the fifth request) gets a 503 whose
    // body reads like the first page with three new sessions at its head.
    let healthy = busy(95);
    let server = Server::start(move |asked| {
        if asked.number == 4 {
            let mut answer = healthy(asked);
            answer.status = 503;
            answer
        } else {
            healthy(asked)
        }
    })
    .await;
    let report = walk_with(&Source::new(&server), plan(30)).await;
    assert_eq!(server.hits(), 5);
    let shift = findings(&report)
        .into_iter()
        .find(|f| f.rule == Rule::CollectionShifted);
    assert!(
        shift.is_none_or(|f| !f.message.contains("last look")),
        "a shift confirmed by a 503: {:?}",
        findings(&report)
    );
}

#[tokio::test]
async fn a_server_repeating_the_tail_without_new_sessions_has_duplicates() {
    // The same shape as a shift, but the collection never grew: the last look tells.
    let server = Server::start(|asked| {
        // Each page starts one session earlier than the one before: page n repeats the tail
        // of page n-1, as a collection growing by one per request would look.
        let start = asked.offset - asked.offset / asked.limit.max(1);
        let end = (start + asked.limit).min(95);
        Answer::json(&page(asked, start..end, end < 95))
    })
    .await;
    let report = walk_with(&Source::new(&server), plan(30)).await;
    let dups: Vec<(usize, &str)> = report
        .entries
        .iter()
        .enumerate()
        .flat_map(|(i, e)| e.findings.iter().map(move |f| (i, f)))
        .filter(|(_, f)| f.rule == Rule::DuplicateSessionId)
        .map(|(i, f)| (i, f.pointer.as_str()))
        .collect();
    assert_eq!(
        dups,
        [
            (1, "/results/0/id"),
            (2, "/results/0/id"),
            (3, "/results/0/id")
        ],
        "{:?} {:?}",
        report
            .entries
            .iter()
            .map(|e| e.sessions)
            .collect::<Vec<_>>(),
        findings(&report)
    );
    assert!(!rules(&report).contains(&"collection-shifted"));
}

#[tokio::test]
async fn redirects_are_reported_never_followed_and_end_the_walk() {
    let other = Server::start(|asked| Answer::json(&page(asked, 0..1, false))).await;
    for status in [301u16, 302, 303, 307, 308] {
        let target = format!("{}/v5/Jobs/{JOB}/JobSessions?offset=0&limit=10", other.base);
        let location = target.clone();
        let server = Server::start(move |_| Answer {
            status,
            headers: vec![("Location".into(), location.clone())],
            body: b"moved".to_vec(),
        })
        .await;
        let report = walk_with(&Source::new(&server), plan(10)).await;
        assert_eq!(
            server.hits(),
            1,
            "{status}: one request, no retry, no next page"
        );
        assert_eq!(rules(&report), ["redirect"], "{status}");
        let finding = findings(&report)[0];
        assert!(
            finding.message.contains(&status.to_string()),
            "{}",
            finding.message
        );
        assert!(finding.message.contains(&target), "{}", finding.message);
        assert_eq!(report.exit_code(false), 1);
    }
    assert_eq!(other.hits(), 0, "the other origin received nothing");
}

#[tokio::test]
async fn a_body_that_is_not_utf8_is_an_encoding_error_and_ends_the_walk() {
    let server = Server::start(|asked| {
        let mut body = serde_json::to_vec(&page(asked, 0..2, true)).unwrap();
        let at = body.iter().position(|&b| b == b'S').unwrap();
        body[at] = 0xff;
        Answer::bytes(200, body)
    })
    .await;
    let report = walk_with(&Source::new(&server), plan(2)).await;
    assert_eq!(server.hits(), 1);
    assert_eq!(rules(&report), ["encoding"]);
}

#[tokio::test]
async fn escape_sequences_in_every_string_field_stay_escaped_in_json() {
    let nasty = "\u{1b}[2J\u{1b}]0;owned\u{7}\r\nok: 0 errors\u{9b}";
    let server = Server::start(move |asked| {
        let mut page = page(asked, 0..2, false);
        for session in page["results"].as_array_mut().unwrap() {
            for field in ["id", "creationTime", "endTime", "status"] {
                session[field] = json!(format!("{}{nasty}", session[field].as_str().unwrap()));
            }
            for link in ["self", "log", "job"] {
                session["_links"][link]["href"] = json!(format!("https://vbo01{nasty}/x"));
            }
            session["statistics"]["bottleneck"] = json!(nasty);
        }
        page["_links"]["next"] = json!({"href": format!("https://h{nasty}/v5/JobSessions")});
        let mut answer = Answer::json(&page);
        answer.status = 500;
        answer.body = serde_json::to_vec(&json!({"message": nasty})).unwrap();
        if asked.number == 0 {
            answer.status = 200;
            answer.body = serde_json::to_vec(&page).unwrap();
        }
        answer
    })
    .await;
    let report = walk_with(&Source::new(&server), plan(2)).await;
    assert!(findings(&report).len() > 5, "{:?}", rules(&report));
    let text = report::json(&report);
    assert!(
        !text.bytes().any(|b| b.is_ascii_control() && b != b'\n'),
        "raw control bytes in the JSON report"
    );
    let parsed: Value = serde_json::from_str(&text).unwrap();
    assert!(parsed["findings"].to_string().contains("\\u001b[2J"));
    // The human report escapes them, so the payload can neither drive the terminal nor forge
    // a verdict line.
    let human = report::human(&report, false);
    assert!(
        !human
            .chars()
            .any(|c| c != '\n' && (c.is_control() || c == '\u{9b}')),
        "raw control character in the human report"
    );
    assert!(
        !human.lines().any(|line| line.starts_with("ok:")),
        "a forged verdict line"
    );
    assert!(human.contains("\\u{1b}[2J"), "{human}");
}

#[tokio::test]
async fn deep_nesting_in_a_live_page_is_a_finding_not_an_abort() {
    let server = Server::start(|_| {
        let body = format!(
            "{{\"offset\":0,\"limit\":2,\"results\":{}{}}}",
            "[".repeat(20_000),
            "]".repeat(20_000)
        );
        Answer::bytes(200, body.into_bytes())
    })
    .await;
    let report = walk_with(&Source::new(&server), plan(2)).await;
    assert_eq!(rules(&report), vec!["json-syntax"]);
    assert_eq!(report.pages(), 1);
}

#[tokio::test]
async fn transient_faults_are_reported_by_kind_without_changing_the_verdict() {
    let server = Server::start(|asked| Answer::json(&page(asked, 0..3, false))).await;
    let mut source = Source::new(&server);
    source.absorbs = vec![
        Transient {
            kind: "rate-limited".into(),
            count: 3,
            first_url: format!(
                "{}/v5/Jobs/{JOB}/JobSessions?offset=0&limit=10",
                server.base
            ),
            first_detail: "429 Too Many Requests, retried after 1 s".into(),
        },
        Transient {
            kind: "re-sign-in".into(),
            count: 1,
            first_url: format!("{}/v5/Token", server.base),
            first_detail: "401 after the token expired".into(),
        },
    ];
    let report = walk_with(&source, plan(10)).await;
    assert_eq!(report.transient_total(), 4);
    assert_eq!(
        report.exit_code(false),
        0,
        "absorbed faults alone do not fail"
    );
    assert_eq!(
        report.exit_code_with(Deny {
            warnings: false,
            transient: true
        }),
        1
    );
    let human = report::human(&report, false);
    assert!(human.contains("4 transient faults absorbed"), "{human}");
    assert!(human.contains("rate-limited"), "{human}");
    assert!(
        human.contains("429 Too Many Requests, retried after 1 s"),
        "{human}"
    );
    assert!(human.contains("re-sign-in"), "{human}");
    let json: Value = serde_json::from_str(&report::json(&report)).unwrap();
    assert_eq!(json["transient_total"], 4);
    assert_eq!(json["transient"][0]["kind"], "rate-limited");
    assert_eq!(json["transient"][0]["count"], 3);
    assert_eq!(
        json["transient"][1]["first"]["detail"],
        "401 after the token expired"
    );
    let junit = report::junit(&report);
    assert!(
        junit.contains("transient faults the client absorbed"),
        "{junit}"
    );
    assert!(junit.contains("rate-limited: 3"), "{junit}");

    // Two walks through one (cumulative) source: each adds only what was absorbed during it.
    let contract = Contract::embedded().unwrap();
    let verifier = Verifier::new(&contract);
    let mut both = Report::default();
    live::walk_job(&verifier, &source, JOB, plan(10), &mut both, &mut ()).await;
    assert_eq!(both.transient_total(), 4);
    live::walk_job(&verifier, &source, JOB, plan(10), &mut both, &mut ()).await;
    assert_eq!(both.transient_total(), 8);
    assert_eq!(both.transient.len(), 2, "one entry per kind");
    assert_eq!(both.transient[0].count, 6);
}

#[tokio::test]
async fn max_pages_zero_fetches_nothing() {
    let server = Server::start(|asked| Answer::json(&page(asked, 0..3, false))).await;
    let report = walk_with(
        &Source::new(&server),
        WalkPlan {
            max_pages: Some(0),
            ..plan(10)
        },
    )
    .await;
    assert_eq!(server.hits(), 0);
    assert_eq!(report.pages(), 0);
}
