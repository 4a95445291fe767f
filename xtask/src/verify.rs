//! `cargo xtask verify`: recorded responses (paths), a live server (`--server`), or, with
//! neither, the built-in mock server end to end.

use std::io::IsTerminal;
use std::path::PathBuf;

use std::time::Instant;

use vbo_contract::live::{self, Observer};
use vbo_contract::mock::{Fault, MockConfig, MockServer, Tls};
use vbo_contract::report::{self, Report};
use vbo_contract::{Contract, Options, Verifier, recorded};

use crate::exit;
use crate::progress::Progress;
use crate::server::{self, Credentials, ServerArgs};

/// Report formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Findings with snippets and carets, then a summary (colour on a terminal).
    Human,
    /// One JSON document: totals, rules, every finding with its source and pointer.
    Json,
    /// JUnit XML: one test case per page.
    Junit,
}

/// Arguments of `verify`.
#[derive(clap::Args)]
pub struct Args {
    /// Recorded responses: .json bodies, .http captures, .ndjson walks, directories (recursive).
    pub paths: Vec<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Fail (exit 1) when the client absorbed transient faults (retries, waits, new sign-ins),
    /// which are otherwise only reported.
    #[arg(long)]
    pub deny_transient: bool,
    /// Leave payload values out of messages and snippets (for logs of private tenants).
    #[arg(long)]
    pub mask: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Verify against this contract document instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub contract: Option<PathBuf>,
    #[command(flatten)]
    pub server: ServerArgs,
    /// With neither paths nor --server: start the built-in mock with this fault.
    #[arg(long, value_name = "KIND", conflicts_with_all = ["paths", "server"])]
    pub mock_fault: Option<Fault>,
    /// With neither paths nor --server: sessions per job in the built-in mock.
    #[arg(long, value_name = "N", default_value_t = 2500, conflicts_with_all = ["paths", "server"])]
    pub mock_sessions: u64,
    /// With neither paths nor --server: jobs in the built-in mock.
    #[arg(long, value_name = "N", default_value_t = 3, conflicts_with_all = ["paths", "server"])]
    pub mock_jobs: usize,
    /// With neither paths nor --server: serve the built-in mock over plain HTTP instead of HTTPS.
    #[arg(long, conflicts_with_all = ["paths", "server"])]
    pub mock_http: bool,
}

/// Runs `verify`: recorded paths, a live server, or the built-in mock.
pub fn run(args: &Args) -> u8 {
    match (&args.paths.is_empty(), &args.server.server) {
        (false, Some(_)) => {
            eprintln!("error: give either recorded PATHS or --server, not both");
            exit::USAGE
        }
        (false, None) => run_paths(args),
        (true, Some(_)) => match args.server.target() {
            Ok((url, credentials)) => server::runtime().block_on(run_live(
                args,
                url,
                &args.server.jobs,
                credentials,
                None,
            )),
            Err(e) => {
                eprintln!("error: {e}");
                exit::USAGE
            }
        },
        (true, None) => server::runtime().block_on(run_mock(args)),
    }
}

/// Counts pages for the progress bar.
struct ProgressObserver<'p>(&'p Progress);

impl Observer for ProgressObserver<'_> {
    fn progress(&mut self, pages: usize, sessions: usize) {
        self.0.update(pages, sessions);
    }
}

/// Walks every job on a live server and reports.
async fn run_live(
    args: &Args,
    url: &str,
    jobs: &[String],
    credentials: Credentials,
    extra_ca: Option<&str>,
) -> u8 {
    let contract = match load_contract(args.contract.as_ref()) {
        Ok(contract) => contract,
        Err(code) => return code,
    };
    let client = match server::client(url, &args.server, credentials, extra_ca) {
        Ok(client) => client,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let verifier = Verifier::new(&contract).with_options(Options {
        mask_values: args.mask,
    });
    let started = Instant::now();
    let progress = Progress::new(args.quiet);
    let mut report = Report::default();
    if let Some(warning) = server::plain_http_warning(url) {
        report.note(warning);
    }
    let plan = args.server.plan();
    for job in jobs {
        live::walk_job(
            &verifier,
            &client,
            job,
            plan,
            &mut report,
            &mut ProgressObserver(&progress),
        )
        .await;
    }
    progress.finish();
    report.elapsed = started.elapsed();
    if args.mask {
        // Where a fault happened names the host and the job.
        for fault in &mut report.transient {
            fault.first_url = "(masked)".into();
            fault.first_detail = "(masked)".into();
        }
    }
    emit(args, &report)
}

/// Starts the built-in mock on a free loopback port and verifies it end to end.
async fn run_mock(args: &Args) -> u8 {
    let config = MockConfig {
        jobs: args.mock_jobs,
        sessions_per_job: args.mock_sessions,
        fault: args.mock_fault,
        ..MockConfig::default()
    };
    let credentials = Credentials::Password(config.user.clone(), config.password.clone());
    let tls = if args.mock_http {
        Tls::None
    } else {
        Tls::SelfSigned
    };
    let mock = match MockServer::start(config, tls).await {
        Ok(mock) => mock,
        Err(e) => {
            eprintln!("error: the built-in mock did not start: {e}");
            return exit::USAGE;
        }
    };
    let fault = args
        .mock_fault
        .map(|f| format!(" with fault {}", f.id()))
        .unwrap_or_default();
    eprintln!(
        "verifying the built-in mock at {} ({} job{} x {} sessions{fault}); use --server URL for a real one",
        mock.base_url(),
        mock.job_ids().len(),
        if mock.job_ids().len() == 1 { "" } else { "s" },
        args.mock_sessions
    );
    let jobs = mock.job_ids().to_vec();
    let ca = mock.ca_pem().map(str::to_owned);
    let code = run_live(args, mock.base_url(), &jobs, credentials, ca.as_deref()).await;
    if let Err(e) = mock.shutdown().await {
        eprintln!("warning: the mock did not stop cleanly: {e}");
    }
    code
}

/// Loads the contract the command should use.
pub fn load_contract(path: Option<&PathBuf>) -> Result<Contract, u8> {
    let loaded = match path {
        Some(path) => Contract::load(path),
        None => Contract::embedded(),
    };
    loaded.map_err(|e| {
        eprintln!("error: {e}");
        exit::USAGE
    })
}

/// Runs `verify` over recorded paths; returns the exit code.
pub fn run_paths(args: &Args) -> u8 {
    let contract = match load_contract(args.contract.as_ref()) {
        Ok(contract) => contract,
        Err(code) => return code,
    };
    let verifier = Verifier::new(&contract).with_options(Options {
        mask_values: args.mask,
    });
    let progress = Progress::new(args.quiet);
    let report = recorded::verify_paths(&verifier, &args.paths, &mut |pages, sessions| {
        progress.update(pages, sessions)
    });
    progress.finish();
    emit(args, &report)
}

/// Renders and writes the report; returns the exit code it implies.
pub fn emit(args: &Args, report: &Report) -> u8 {
    let color = args.output.is_none()
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    let text = match args.format {
        Format::Human => report::human(report, color),
        Format::Json => report::json(report),
        Format::Junit => report::junit(report),
    };
    match &args.output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &text) {
                eprintln!("error: cannot write {}: {e}", path.display());
                return exit::USAGE;
            }
            if args.format != Format::Human {
                // Keep the one-line verdict visible in CI logs.
                eprint!("{}", report::summary(report, false));
            }
        }
        None => print!("{text}"),
    }
    let deny = report::Deny {
        warnings: args.deny_warnings,
        transient: args.deny_transient,
    };
    u8::try_from(report.exit_code_with(deny)).unwrap_or(exit::FAILED)
}
