//! Live walks run one page ahead: page n+1 is asked for before page n is verified, never
//! further, never past the last page, and the findings and their order are what a walk that
//! waits for each page finds.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vbo_client::{Client, Credentials, Secret};
use vbo_contract::Exchange;
use vbo_contract::live::{self, Observer, PageSource, WalkPlan};
use vbo_contract::mock::{Fault, MockConfig, MockServer, Tls};
use vbo_contract::report::{Report, Transient};
use vbo_contract::{Contract, Verifier};

const JOB: &str = "196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5";

/// A collection of `total` sessions in pages of two (five: 2 + 2 + 1) that logs when each
/// page is asked for, and whether ahead of need.
struct Logged {
    log: Arc<Mutex<Vec<String>>>,
    total: u64,
}

impl Logged {
    fn page(&self, target: &str) -> Exchange {
        let offset: u64 = target
            .split("offset=")
            .nth(1)
            .and_then(|rest| rest.split('&').next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        let ids: Vec<u64> = (offset..(offset + 2).min(self.total)).collect();
        let results: Vec<_> = ids
            .iter()
            .map(|n| json!({ "id": format!("6a3fa2fb-3a77-4d99-8b5d-0000000000{n:02}"), "status": "Success",
                "creationTime": "2020-12-13T22:00:00Z", "endTime": "2020-12-13T22:02:00Z" }))
            .collect();
        let mut page = json!({ "offset": offset, "limit": 2, "results": results });
        if offset + 2 < self.total {
            page["_links"] = json!({ "next": { "href": format!("/v5/Jobs/{JOB}/JobSessions?offset={}&limit=2", offset + 2) } });
        }
        Exchange::get(
            format!("https://vbo.test{target}"),
            200,
            vec![(
                "Content-Type".into(),
                "application/json; charset=utf-8".into(),
            )],
            serde_json::to_vec(&page).unwrap(),
        )
    }
}

impl PageSource for Logged {
    async fn get(&self, target: &str) -> Result<Exchange, String> {
        self.log.lock().unwrap().push(format!("get {target}"));
        Ok(self.page(target))
    }

    // Like the client: the request leaves when asked for, not when awaited.
    fn prefetch(&self, target: String) -> impl Future<Output = Result<Exchange, String>> {
        self.log.lock().unwrap().push(format!("ahead {target}"));
        let page = self.page(&target);
        async move { Ok(page) }
    }
}

/// Logs each page as verified (the walk reports progress after verifying a page).
struct Verified(Arc<Mutex<Vec<String>>>);

impl Observer for Verified {
    fn progress(&mut self, pages: usize, _sessions: usize) {
        self.0
            .lock()
            .unwrap()
            .push(format!("verified page {pages}"));
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn the_next_page_is_asked_for_before_this_one_is_verified_and_never_past_the_last() {
    let contract = Contract::embedded().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let source = Logged {
        log: log.clone(),
        total: 5,
    };
    let plan = WalkPlan {
        page_size: 2,
        ..WalkPlan::default()
    };
    let mut report = Report::default();
    runtime().block_on(live::walk_job(
        &Verifier::new(&contract),
        &source,
        JOB,
        plan,
        &mut report,
        &mut Verified(log.clone()),
    ));
    let path = format!("/v5/Jobs/{JOB}/JobSessions");
    assert_eq!(
        *log.lock().unwrap(),
        [
            format!("get {path}?offset=0&limit=2"),
            format!("ahead {path}?offset=2&limit=2"),
            "verified page 1".to_owned(),
            format!("ahead {path}?offset=4&limit=2"),
            "verified page 2".to_owned(),
            "verified page 3".to_owned(),
        ]
    );
    assert_eq!(report.sessions(), 5);
    assert!(report.findings().next().is_none());
}

/// Walks the logged collection of five in pages of two under `bounds`: what was asked for,
/// and the report.
fn walked(bounds: WalkPlan) -> (Vec<String>, Report) {
    walked_of(
        Logged {
            log: Arc::default(),
            total: 5,
        },
        bounds,
    )
}

/// Walks `source` in pages of two under `bounds`.
fn walked_of(source: Logged, bounds: WalkPlan) -> (Vec<String>, Report) {
    let contract = Contract::embedded().unwrap();
    let log = source.log.clone();
    let plan = WalkPlan {
        page_size: 2,
        ..bounds
    };
    let mut report = Report::default();
    runtime().block_on(live::walk_job(
        &Verifier::new(&contract),
        &source,
        JOB,
        plan,
        &mut report,
        &mut (),
    ));
    let asked = log.lock().unwrap().clone();
    (asked, report)
}

#[test]
fn a_full_last_page_without_a_next_link_is_not_looked_past() {
    // Four sessions: the second page is full, and its missing `next` says it is the last.
    let four = Logged {
        log: Arc::default(),
        total: 4,
    };
    let (asked, report) = walked_of(four, WalkPlan::default());
    let path = format!("/v5/Jobs/{JOB}/JobSessions");
    assert_eq!(
        asked,
        [
            format!("get {path}?offset=0&limit=2"),
            format!("ahead {path}?offset=2&limit=2"),
        ]
    );
    assert_eq!(report.sessions(), 4);
}

#[test]
fn a_walk_stopped_by_max_pages_asks_for_nothing_beyond_it() {
    let (asked, _) = walked(WalkPlan {
        max_pages: Some(2),
        ..WalkPlan::default()
    });
    assert_eq!(asked.len(), 2, "{asked:?}");
}

#[test]
fn a_walk_stopped_by_max_sessions_asks_for_nothing_beyond_it() {
    // Two pages of two reach 4 sessions exactly; with 3, the second page passes the bound.
    for max_sessions in [4, 3] {
        let (asked, report) = walked(WalkPlan {
            max_sessions,
            ..WalkPlan::default()
        });
        assert_eq!(asked.len(), 2, "max {max_sessions}: {asked:?}");
        assert_eq!(report.sessions(), 4);
    }
}

/// The client, asked only when the walk needs a page (no page ahead).
struct OnDemand<'c>(&'c Client);

impl PageSource for OnDemand<'_> {
    async fn get(&self, target: &str) -> Result<Exchange, String> {
        <Client as PageSource>::get(self.0, target).await
    }

    fn transient(&self) -> Vec<Transient> {
        <Client as PageSource>::transient(self.0)
    }
}

/// Every finding of a report, as rule, pointer, source and message, in report order.
fn findings(report: &Report) -> Vec<String> {
    report
        .entries
        .iter()
        .flat_map(|e| {
            e.findings.iter().map(move |f| {
                format!(
                    "{} {} {} {}",
                    e.source.origin,
                    f.rule.id(),
                    f.pointer,
                    f.message
                )
            })
        })
        .collect()
}

#[test]
fn a_walk_one_page_ahead_finds_what_a_walk_page_by_page_finds() {
    let contract = Contract::embedded().unwrap();
    let verifier = Verifier::new(&contract);
    for fault in [
        Fault::DuplicateIds,
        Fault::UnknownStatus,
        Fault::BrokenNext,
        Fault::Busy,
    ] {
        // One mock per walk, from the same seed: a busy mock moves with every request, so
        // both walks must start from the same state.
        let walk = |ahead: bool| {
            runtime().block_on(async {
                let config = MockConfig {
                    jobs: 2,
                    sessions_per_job: 45,
                    fault: Some(fault),
                    ..MockConfig::default()
                };
                let credentials = Credentials::Password {
                    username: config.user.clone(),
                    password: Secret::new(config.password.clone()),
                };
                let mock = MockServer::start(config, Tls::None).await.unwrap();
                let client = Client::builder(mock.base_url())
                    .with_credentials(credentials)
                    .build()
                    .unwrap();
                let plan = WalkPlan {
                    page_size: 10,
                    ..WalkPlan::default()
                };
                let mut report = Report::default();
                for job in mock.job_ids() {
                    if ahead {
                        live::walk_job(&verifier, &client, job, plan, &mut report, &mut ()).await;
                    } else {
                        let source = OnDemand(&client);
                        live::walk_job(&verifier, &source, job, plan, &mut report, &mut ()).await;
                    }
                }
                let base = mock.base_url().to_owned();
                mock.shutdown().await.unwrap();
                // The port differs from mock to mock.
                let found: Vec<String> = findings(&report)
                    .into_iter()
                    .map(|f| f.replace(&base, "BASE"))
                    .collect();
                (found, report.pages())
            })
        };
        let (ahead, on_demand) = (walk(true), walk(false));
        assert!(!ahead.0.is_empty(), "{fault:?} is found");
        assert_eq!(ahead, on_demand, "{fault:?}");
    }
}

#[test]
fn a_page_asked_for_ahead_is_abandoned_when_the_walk_ends_before_it() {
    // Pages at offsets 0 and 2 are the same full page with a next link: the walk asks for
    // offset 4 ahead, then ends on the loop. The server holds that request open until the
    // client hangs up, which it must do at once, not at its timeout (or never send it).
    let contract = Contract::embedded().unwrap();
    runtime().block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let held = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let holding = Arc::clone(&held);
        let server = tokio::spawn(async move {
            let same_page = Logged {
                log: Arc::default(),
                total: 100,
            }
            .page("?offset=0&limit=2")
            .body;
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65_536 {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                if String::from_utf8_lossy(&head).contains("offset=4") {
                    let holding = Arc::clone(&holding);
                    holding.fetch_add(1, Ordering::SeqCst);
                    tokio::spawn(async move {
                        while !matches!(stream.read(&mut buf).await, Ok(0) | Err(_)) {}
                        holding.fetch_sub(1, Ordering::SeqCst);
                    });
                    continue;
                }
                let mut out = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    same_page.len()
                )
                .into_bytes();
                out.extend_from_slice(&same_page);
                let _ = stream.write_all(&out).await;
                let _ = stream.shutdown().await;
            }
        });
        let client = Client::builder(&base)
            .bearer_token("loopback")
            .build()
            .unwrap();
        let plan = WalkPlan {
            page_size: 2,
            ..WalkPlan::default()
        };
        let mut report = Report::default();
        live::walk_job(&Verifier::new(&contract), &client, JOB, plan, &mut report, &mut ()).await;
        let rules: Vec<&str> = report.findings().map(|f| f.rule.id()).collect();
        assert!(rules.contains(&"page-loop"), "{rules:?}");
        // Time for a request that was not abandoned to reach the server, then for an
        // abandoned one's connection to close.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let started = std::time::Instant::now();
        while held.load(Ordering::SeqCst) > 0 && started.elapsed().as_secs() < 5 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(
            held.load(Ordering::SeqCst),
            0,
            "the request asked for ahead is abandoned when the walk ends"
        );
        server.abort();
    });
}
