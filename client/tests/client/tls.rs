//! Certificates: an untrusted one is refused; trusted through `add_root_certificate` or,
//! loudly, by switching verification off.

use vbo_client::{Client, Error};

use crate::server::{self, JOB, PASSWORD, USERNAME};

#[tokio::test]
async fn refuses_untrusted_certificate_then_accepts_it_via_add_root_certificate() {
    let server = server::start(server::job_of(2)).await;
    let untrusting = Client::builder(&server.url)
        .credentials(USERNAME, PASSWORD)
        .build()
        .unwrap();
    let error = untrusting.page(JOB, 0, 30).await.unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert!(
        error.to_string().contains("UnknownIssuer"),
        "the message names the cause: {error}"
    );
    assert_eq!(
        server
            .counters
            .password_sign_ins
            .load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the password never reached an unverified server"
    );

    let trusting = Client::builder(&server.url)
        .credentials(USERNAME, PASSWORD)
        .add_root_certificate(&server.certificate_pem)
        .build()
        .unwrap();
    assert_eq!(trusting.page(JOB, 0, 30).await.unwrap().results.len(), 2);
}

#[tokio::test]
async fn accepts_any_certificate_only_when_explicitly_told() {
    let server = server::start(server::job_of(2)).await;
    let client = Client::builder(&server.url)
        .credentials(USERNAME, PASSWORD)
        .danger_accept_invalid_certificates(true)
        .build()
        .unwrap();
    assert!(format!("{client:?}").contains("accept_invalid_certificates: true"));
    assert_eq!(client.page(JOB, 0, 30).await.unwrap().results.len(), 2);
}

/// Keeps every log record of the test binary, for the tests that check what is logged.
struct Recorder(std::sync::Mutex<Vec<(log::Level, String)>>);

impl log::Log for Recorder {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        self.0
            .lock()
            .unwrap()
            .push((record.level(), record.args().to_string()));
    }
    fn flush(&self) {}
}

static RECORDER: Recorder = Recorder(std::sync::Mutex::new(Vec::new()));

#[test]
fn skipping_verification_is_never_silent_and_logs_no_secret() {
    let _ = log::set_logger(&RECORDER);
    log::set_max_level(log::LevelFilter::Trace);
    Client::builder("https://insecure-lab-host")
        .credentials(USERNAME, PASSWORD)
        .danger_accept_invalid_certificates(true)
        .build()
        .unwrap();
    let records = RECORDER.0.lock().unwrap();
    let warning = records
        .iter()
        .find(|(level, text)| *level == log::Level::Warn && text.contains("insecure-lab-host"))
        .expect("a warning names the server whose certificate is not verified");
    assert!(warning.1.contains("verification is OFF"), "{}", warning.1);
    assert!(records.iter().all(|(_, text)| !text.contains(PASSWORD)));
}

#[test]
fn refuses_a_root_certificate_that_is_not_pem() {
    let error = Client::builder("https://vbo01")
        .bearer_token("t")
        .add_root_certificate("not a certificate")
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");
}

#[test]
fn refuses_a_bad_base_url() {
    let error = Client::builder("vbo01:4443")
        .bearer_token("t")
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::InvalidBaseUrl { .. }), "{error:?}");
}
