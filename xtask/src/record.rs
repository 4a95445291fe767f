//! `cargo xtask record`: captures every page of a live walk as `.http` fixtures (one
//! `<job>.walk/` directory per job) that `cargo xtask verify DIR` checks offline later.

use std::path::PathBuf;
use std::time::Instant;

use vbo_contract::Exchange;
use vbo_contract::capture::{self, Redactor};
use vbo_contract::live::{self, Observer};
use vbo_contract::report::{self, Report};
use vbo_contract::{Contract, Verifier};

use crate::exit;
use crate::server::{self, ServerArgs};

/// Arguments of `record`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    server: ServerArgs,
    /// Directory to write the captures into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Replace every uuid (job and session ids) with a stable stand-in.
    #[arg(long)]
    redact_ids: bool,
}

/// Writes each page as it arrives; remembers the first write error.
struct Recorder<'r> {
    dir: PathBuf,
    redactor: &'r mut Redactor,
    written: usize,
    error: Option<String>,
}

impl Observer for Recorder<'_> {
    fn page(&mut self, raw: &Exchange) {
        if self.error.is_some() {
            return;
        }
        match capture::write_page(&self.dir, self.written + 1, raw, self.redactor) {
            Ok(_) => self.written += 1,
            Err(e) => self.error = Some(format!("cannot write into {}: {e}", self.dir.display())),
        }
    }
}

/// Runs the command; returns the exit code.
pub fn run(args: &Args) -> u8 {
    let (url, credentials) = match args.server.target() {
        Ok(target) => target,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let client = match server::client(url, &args.server, credentials, None) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let contract = match Contract::embedded() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let verifier = Verifier::new(&contract);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    let started = Instant::now();
    let mut report = Report::default();
    let mut redactor = Redactor::new(url, args.redact_ids);
    if let Some(warning) = server::plain_http_warning(url) {
        report.note(warning);
    }
    let plan = args.server.plan();
    for job in &args.server.jobs {
        let shown = redactor.id(job);
        let dir = args.out.join(format!("{shown}.walk"));
        let mut recorder = Recorder {
            dir: dir.clone(),
            redactor: &mut redactor,
            written: 0,
            error: None,
        };
        runtime.block_on(live::walk_job(
            &verifier,
            &client,
            job,
            plan,
            &mut report,
            &mut recorder,
        ));
        if let Some(error) = recorder.error {
            eprintln!("error: {error}");
            return exit::USAGE;
        }
        eprintln!(
            "recorded {} pages of job {shown} into {}",
            recorder.written,
            dir.display()
        );
    }
    report.elapsed = started.elapsed();
    // What reaches the terminal is redacted like the files: no host name, and with
    // --redact-ids no real id.
    for problem in &report.input_problems {
        eprintln!(
            "input error: {}: {}",
            redactor.apply(&problem.source),
            redactor.apply(&problem.message)
        );
    }
    for fault in &mut report.transient {
        fault.first_url = redactor.apply(&fault.first_url);
        fault.first_detail = redactor.apply(&fault.first_detail);
    }
    eprint!("{}", report::summary(&report, false));
    if report.input_problems.is_empty() {
        exit::OK
    } else {
        exit::USAGE
    }
}
