//! Every log record of a test binary, for the tests that check what the client logs (the
//! `client` binary and `plain_http.rs`, each with its own process-wide logger).

use std::sync::Mutex;

/// Keeps each record's level and text.
struct Recorder(Mutex<Vec<(log::Level, String)>>);

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

static RECORDER: Recorder = Recorder(Mutex::new(Vec::new()));

/// Starts recording (once per binary; later calls change nothing).
pub fn record() {
    let _ = log::set_logger(&RECORDER);
    log::set_max_level(log::LevelFilter::Trace);
}

/// The records so far, from every test of the binary (tests run in parallel, so a test
/// looks for records naming what only it does).
pub fn records() -> Vec<(log::Level, String)> {
    RECORDER.0.lock().unwrap().clone()
}
