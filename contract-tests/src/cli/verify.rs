//! `verify` (`vbo-verify`, `cargo xtask verify`): recorded responses (paths), a live server
//! (`--server`), or, with neither, the built-in mock server end to end.

use std::io::IsTerminal;
use std::path::PathBuf;

use std::time::Instant;

use clap::{CommandFactory, FromArgMatches};
use vbo_client::{Credentials, Secret};

use super::progress::Progress;
use super::server::{self, ServerArgs};
use super::{Error, Outcome, exit};
use crate::baseline::{Baseline, Comparison};
use crate::live::{self, Observer};
use crate::mock::{Fault, MockConfig, MockServer, Tls};
use crate::report::{self, HumanOptions, Report};
use crate::{Contract, Options, Overrides, Verifier, recorded};

/// Report formats.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Findings with snippets and carets, grouped by kind, then a summary (colour on a terminal).
    Human,
    /// One JSON document: totals, rules, every finding with its source and pointer.
    Json,
    /// JUnit XML: one test case per page.
    Junit,
    /// SARIF 2.1.0 (code-scanning upload): the rule catalogue and one result per finding.
    Sarif,
    /// GitHub Actions workflow commands: one annotation per new finding, capped.
    Github,
    /// A Markdown summary: totals, a table per rule, the first findings.
    Markdown,
}

/// When the human report is coloured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set; CLICOLOR_FORCE (not 0) forces it on.
    Auto,
    /// Always (even into a pipe or file).
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether to colour output going to a terminal (`terminal`) or not.
    pub fn enabled(self, terminal: bool) -> bool {
        self.enabled_in(terminal, &|name| std::env::var_os(name))
    }

    /// [`ColorChoice::enabled`] with the environment variables `var` reads.
    fn enabled_in(self, terminal: bool, var: &dyn Fn(&str) -> Option<std::ffi::OsString>) -> bool {
        let set = |name: &str| var(name).filter(|v| !v.is_empty());
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto if set("NO_COLOR").is_some() => false,
            ColorChoice::Auto if set("CLICOLOR_FORCE").is_some_and(|v| v != "0") => true,
            ColorChoice::Auto => terminal,
        }
    }
}

/// One `--output`: `FILE` (the `--format` report goes there instead of standard output) or
/// `FORMAT=FILE` (one more report in that format).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputSpec {
    /// The format, or `None` for the `--format` report.
    pub format: Option<Format>,
    /// Where it goes.
    pub file: PathBuf,
}

fn parse_output(text: &str) -> Result<OutputSpec, String> {
    if let Some((name, file)) = text.split_once('=')
        && let Ok(format) = <Format as clap::ValueEnum>::from_str(name, false)
    {
        if file.is_empty() {
            return Err(format!("`{text}`: no file after `{name}=`"));
        }
        return Ok(OutputSpec {
            format: Some(format),
            file: PathBuf::from(file),
        });
    }
    Ok(OutputSpec {
        format: None,
        file: PathBuf::from(text),
    })
}

/// One `--rule ID=LEVEL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleSetting {
    /// The rule.
    pub rule: crate::Rule,
    /// What it is set to.
    pub level: crate::Level,
}

fn parse_rule(text: &str) -> Result<RuleSetting, String> {
    let (id, level) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not ID=error|warning|off"))?;
    crate::finding::parse_override(id.trim(), level.trim())
        .map(|(rule, level)| RuleSetting { rule, level })
        .map_err(|e| e.to_string())
}

/// Arguments of `verify`.
#[derive(clap::Args)]
pub struct Args {
    /// Recorded responses: .json bodies, .http captures, .ndjson walks, directories (recursive).
    pub paths: Vec<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// FILE: write the --format report there instead of standard output. FORMAT=FILE
    /// (repeatable): also write a report in FORMAT (human, json, junit, sarif, github,
    /// markdown) to FILE, e.g. --output sarif=r.sarif --output junit=r.xml.
    #[arg(long = "output", value_name = "[FORMAT=]FILE", value_parser = parse_output)]
    pub outputs: Vec<OutputSpec>,
    /// Append a Markdown summary to FILE (e.g. "$GITHUB_STEP_SUMMARY").
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Print at most N findings in the human report and N annotations of each severity with
    /// --format github (default 10); totals, JSON and SARIF stay complete.
    #[arg(long, value_name = "N")]
    pub max_findings: Option<usize>,
    /// Accept the findings recorded in FILE: only new ones fail the run; the report says how
    /// many are new, known and gone.
    #[arg(
        long,
        value_name = "FILE",
        env = "VBO_BASELINE",
        hide_env_values = true
    )]
    pub baseline: Option<PathBuf>,
    /// Write every finding of this run to the --baseline FILE (accepting them all).
    #[arg(long)]
    pub update_baseline: bool,
    /// Set a rule's severity, or turn it off (repeatable), e.g. --rule next-leaves-collection=off.
    #[arg(long = "rule", value_name = "ID=error|warning|off", value_parser = parse_rule)]
    pub rules: Vec<RuleSetting>,
    /// Settings file (default: vbo-contract.toml in the working directory, if present).
    /// Flags beat environment variables, which beat the file.
    #[arg(long, value_name = "FILE", env = "VBO_CONFIG", hide_env_values = true)]
    pub config: Option<PathBuf>,
    /// Colour the human report: auto (a terminal, unless NO_COLOR; CLICOLOR_FORCE forces it),
    /// always, never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
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
    /// Judge bodies recorded without their request (a `.json` file, an NDJSON line) as this
    /// operation of the contract (its operationId, or `GET /path`) instead of a page of job
    /// sessions. Captures with a request line are routed by it.
    #[arg(long, value_name = "ID", conflicts_with = "server")]
    pub operation: Option<String>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Verify against this contract document instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub contract: Option<PathBuf>,
    /// The live server's options (also the body cap of recorded inputs).
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

/// What `verify --help` says about exit codes, after the options.
pub const EXIT_HELP: &str = "Exit status: 0 no errors (warnings allowed), 1 contract errors \
    (or warnings with --deny-warnings), 2 usage or I/O problems (unreadable inputs are \
    reported and the rest are still verified).";

/// The `vbo-verify` command: `verify` on its own, with the contract built in.
#[derive(clap::Parser)]
#[command(
    name = "vbo-verify",
    version,
    about = "Verify Veeam Backup for Microsoft 365 v5 responses (recorded files, or a live \
    server) against the contract built into this binary",
    after_help = EXIT_HELP
)]
pub struct Standalone {
    #[command(flatten)]
    pub(super) args: Args,
}

/// The `vbo-verify` binary: parses the command line, runs `verify`, prints an error once.
pub fn main() -> std::process::ExitCode {
    // The matches are kept: `verify` asks them which settings the user gave (flag or
    // environment), which the config file must not change.
    let matches = Standalone::command().get_matches();
    let standalone = Standalone::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    super::finish(run_configured(standalone.args, &matches))
}

/// Runs `verify` after filling what the user did not set from the config file.
pub fn run_configured(mut args: Args, matches: &clap::ArgMatches) -> Outcome {
    let loaded = super::config::load(args.config.as_deref()).map_err(|e| Error::usage(e.0))?;
    if let Some((config, folder)) = loaded {
        super::config::apply(&mut args, matches, config, &folder)
            .map_err(|e| Error::usage(format!("config: {e}")))?;
    }
    run(&args)
}

/// Runs `verify`: recorded paths, a live server, or the built-in mock.
pub fn run(args: &Args) -> Outcome {
    match (&args.paths.is_empty(), &args.server.server) {
        (false, Some(_)) => Err(Error::usage(
            "give either recorded PATHS or --server, not both",
        )),
        (false, None) => run_paths(args),
        (true, Some(_)) => {
            let (url, credentials) = args.server.target()?;
            super::runtime()?.block_on(run_live(args, url, &args.server.jobs, credentials, None))
        }
        (true, None) => super::runtime()?.block_on(run_mock(args)),
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
) -> Outcome {
    let contract = load_contract(args.contract.as_ref())?;
    let client = server::client(url, &args.server, credentials, extra_ca)?;
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
    if jobs.is_empty() {
        live::walk_server(
            &verifier,
            &client,
            plan,
            &mut report,
            &mut ProgressObserver(&progress),
        )
        .await;
    }
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
    emit(args, &mut report)
}

/// Starts the built-in mock on a free loopback port and verifies it end to end.
async fn run_mock(args: &Args) -> Outcome {
    let config = MockConfig {
        jobs: args.mock_jobs,
        sessions_per_job: args.mock_sessions,
        fault: args.mock_fault,
        // The fault breaks the sessions, as each fault's rule describes; the job list the
        // walk starts from stays healthy.
        fault_operation: args
            .mock_fault
            .map(|_| crate::contract::SESSIONS_OPERATION_ID.to_owned()),
        ..MockConfig::default()
    };
    let credentials = Credentials::Password {
        username: config.user.clone(),
        password: Secret::new(config.password.clone()),
    };
    let tls = if args.mock_http {
        Tls::None
    } else {
        Tls::SelfSigned
    };
    let mock = MockServer::start(config, tls)
        .await
        .map_err(|e| Error::usage(format!("the built-in mock did not start: {e}")))?;
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
    // No job ids: the walk finds them through `GET /v5/Jobs`, as it does on a real server.
    let ca = mock.ca_pem().map(str::to_owned);
    let outcome = run_live(args, mock.base_url(), &[], credentials, ca.as_deref()).await;
    if let Err(e) = mock.shutdown().await {
        eprintln!("warning: the mock did not stop cleanly: {e}");
    }
    outcome
}

/// Loads the contract the command should use.
pub fn load_contract(path: Option<&PathBuf>) -> Result<Contract, Error> {
    let loaded = match path {
        Some(path) => Contract::load(path),
        None => Contract::embedded(),
    };
    loaded.map_err(|e| Error::usage(e.to_string()))
}

/// Runs `verify` over recorded paths; returns the exit code.
pub fn run_paths(args: &Args) -> Outcome {
    let contract = load_contract(args.contract.as_ref())?;
    let mut verifier = Verifier::new(&contract).with_options(Options {
        mask_values: args.mask,
    });
    if let Some(id) = &args.operation {
        let operation = contract.operation(id).ok_or_else(|| {
            let known: Vec<String> = contract
                .operations()
                .iter()
                .map(|op| format!("{} ({})", op.id(), op.label()))
                .collect();
            Error::usage(format!(
                "--operation {id:?} is not an operation of {}; it has: {}",
                contract.origin(),
                known.join(", ")
            ))
        })?;
        verifier = verifier.with_bare_operation(operation);
    }
    let progress = Progress::new(args.quiet);
    let limits = recorded::Limits {
        max_body: args.server.max_body,
    };
    let mut report =
        recorded::verify_paths_with(&verifier, &args.paths, limits, &mut |pages, sessions| {
            progress.update(pages, sessions)
        });
    progress.finish();
    emit(args, &mut report)
}

/// Applies rule overrides and the baseline (writing it first with `--update-baseline`).
fn prepare(args: &Args, report: &mut Report) -> Result<(), String> {
    let mut overrides = Overrides::default();
    for setting in &args.rules {
        overrides.set(setting.rule, setting.level);
    }
    report.apply_overrides(&overrides);
    let Some(path) = &args.baseline else {
        if args.update_baseline {
            // Checked here, not by clap: the baseline may come from the config file.
            return Err(
                "--update-baseline needs --baseline FILE (or `baseline` in the config file)".into(),
            );
        }
        return Ok(());
    };
    if args.update_baseline {
        let baseline = Baseline::from_report(report);
        baseline.write(path).map_err(|e| e.to_string())?;
        eprintln!(
            "wrote baseline {}: {} fingerprints for {} findings",
            path.display(),
            baseline.findings.len(),
            report.findings().count()
        );
    }
    let baseline = Baseline::read(path).map_err(|e| e.to_string())?;
    report.baseline = Some(Comparison::new(
        path.display().to_string(),
        &baseline,
        report,
    ));
    Ok(())
}

/// Renders `report` in `format`; `color` applies to the human report only.
fn render(args: &Args, report: &Report, format: Format, color: bool) -> String {
    match format {
        Format::Human => report::human_with(
            report,
            &HumanOptions {
                max_findings: args.max_findings,
                ..HumanOptions::new(color)
            },
        ),
        Format::Json => report::json(report),
        Format::Junit => report::junit(report),
        Format::Sarif => report::sarif(report),
        Format::Github => report::github(
            report,
            args.max_findings.unwrap_or(report::GITHUB_DEFAULT_CAP),
        ),
        Format::Markdown => report::markdown(report),
    }
}

/// Renders and writes every requested report; returns the exit code the run implies.
pub fn emit(args: &Args, report: &mut Report) -> Outcome {
    prepare(args, report)?;
    let report = &*report;
    let main_file = args
        .outputs
        .iter()
        .rev()
        .find(|o| o.format.is_none())
        .map(|o| &o.file);
    // Every report that can be written is: one unwritable file does not lose the others.
    let mut failures = Vec::new();
    let mut write = |path: &PathBuf, text: &str| {
        if let Err(e) = std::fs::write(path, text) {
            failures.push(format!("cannot write {}: {e}", path.display()));
        }
    };
    for extra in &args.outputs {
        if let Some(format) = extra.format {
            write(
                &extra.file,
                &render(args, report, format, args.color.enabled(false)),
            );
        }
    }
    match main_file {
        Some(path) => {
            write(
                path,
                &render(args, report, args.format, args.color.enabled(false)),
            );
        }
        None => {
            let color = args.color.enabled(std::io::stdout().is_terminal());
            print!("{}", render(args, report, args.format, color));
        }
    }
    if let Some(path) = &args.summary {
        // Appended: $GITHUB_STEP_SUMMARY collects what every step adds.
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut file| {
                std::io::Write::write_all(&mut file, report::markdown(report).as_bytes())
            });
        if let Err(e) = appended {
            failures.push(format!("cannot write {}: {e}", path.display()));
        }
    }
    if !failures.is_empty() {
        return Err(Error::usage_all(failures));
    }
    if main_file.is_some() && args.format != Format::Human {
        // Keep the one-line verdict visible in CI logs.
        eprint!("{}", report::summary(report, false));
    }
    let deny = report::Deny {
        warnings: args.deny_warnings,
        transient: args.deny_transient,
    };
    Ok(u8::try_from(report.exit_code_with(deny)).unwrap_or(exit::FAILED))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    /// `verify --mock-http --mock-jobs 2 --mock-sessions 7` with `fault`: its exit code and
    /// its JSON report.
    fn mock_run(name: &str, fault: Option<Fault>) -> (u8, serde_json::Value) {
        let report = std::env::temp_dir().join(format!("vbo-{name}-{}.json", std::process::id()));
        // Parsed with no flags, then set here: the `VBO_*` settings of whoever runs the tests
        // (a server, a page size, a baseline) must not reach this run.
        let Standalone { mut args } = Standalone::try_parse_from(["vbo-verify"]).unwrap();
        args.server.server = None;
        args.server.page_size = 1000;
        args.baseline = None;
        args.mock_http = true;
        args.mock_jobs = 2;
        args.mock_sessions = 7;
        args.mock_fault = fault;
        args.quiet = true;
        args.outputs = vec![OutputSpec {
            format: Some(Format::Json),
            file: report.clone(),
        }];
        let code = run(&args).unwrap();
        let written = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
        std::fs::remove_file(&report).unwrap();
        (code, written)
    }

    #[test]
    fn auto_colour_follows_the_terminal_unless_no_color_or_clicolor_force_say_otherwise() {
        let with = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| std::ffi::OsString::from(v))
            }
        };
        let auto = |terminal, vars| ColorChoice::Auto.enabled_in(terminal, &with(vars));
        assert!(auto(true, &[]));
        assert!(!auto(false, &[]));
        assert!(!auto(true, &[("NO_COLOR", "1")]));
        assert!(
            auto(true, &[("NO_COLOR", "")]),
            "an empty NO_COLOR is unset"
        );
        assert!(auto(false, &[("CLICOLOR_FORCE", "1")]));
        assert!(!auto(false, &[("CLICOLOR_FORCE", "0")]));
        assert!(!auto(false, &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]));
        assert!(ColorChoice::Always.enabled(false));
        assert!(!ColorChoice::Never.enabled(true));
    }

    #[test]
    fn prepare_sets_rule_levels_and_refuses_to_update_a_baseline_it_has_no_file_for() {
        let Standalone { mut args } =
            Standalone::try_parse_from(["vbo-verify", "--rule", "end-while-running=error"])
                .unwrap();
        args.baseline = None;
        let mut report = Report::default();
        let finding = crate::Finding::new(crate::Rule::EndWhileRunning, "/endTime", "running");
        report.push(report::Source::new("page.json"), 1, vec![finding]);
        prepare(&args, &mut report).unwrap();
        let severity = report.findings().next().unwrap().severity;
        assert_eq!(severity, crate::finding::Severity::Error);
        args.update_baseline = true;
        let refused = prepare(&args, &mut report).unwrap_err();
        assert!(
            refused.contains("--update-baseline needs --baseline"),
            "{refused}"
        );
    }

    #[test]
    fn a_mock_run_walks_the_jobs_and_sessions_it_was_asked_for() {
        let (code, report) = mock_run("mock-run", None);
        assert_eq!((code, &report["ok"]), (0, &serde_json::json!(true)));
        // Two jobs of seven sessions, each one page, after the job list the walk starts from.
        assert_eq!(
            (report["sessions"].as_u64(), report["pages"].as_u64()),
            (Some(14), Some(3)),
            "{report}"
        );
    }

    #[test]
    fn a_mock_run_s_fault_breaks_the_sessions_and_not_the_job_list() {
        let (code, report) = mock_run("mock-fault", Some(Fault::ServerError));
        assert_eq!(code, 1, "{report}");
        let findings = report["findings"].as_array().unwrap();
        assert!(!findings.is_empty());
        for finding in findings {
            assert_eq!(finding["rule"], "status");
            assert!(
                finding["source"]
                    .as_str()
                    .unwrap()
                    .contains("/JobSessions?"),
                "{finding}"
            );
        }
        // The job list answered, so both jobs were asked for.
        assert_eq!(report["pages"], 3, "{report}");
    }

    #[test]
    fn a_mock_run_reports_each_kind_of_fault_the_client_absorbed_and_no_other() {
        let (code, report) = mock_run("mock-rate-limit", Some(Fault::RateLimit));
        assert_eq!(code, 0, "absorbed faults leave the verdict clean: {report}");
        let transient = report["transient"].as_array().unwrap();
        let kinds: Vec<(&str, u64)> = transient
            .iter()
            .map(|t| (t["kind"].as_str().unwrap(), t["count"].as_u64().unwrap()))
            .collect();
        let names: Vec<&str> = kinds.iter().map(|&(kind, _)| kind).collect();
        assert_eq!(names, ["rate-limited"], "{kinds:?}");
        assert!(kinds.iter().all(|&(_, count)| count > 0), "{kinds:?}");
    }

    #[test]
    fn the_walk_s_progress_reaches_the_progress_display() {
        let progress = Progress::hidden();
        ProgressObserver(&progress).progress(2, 60);
        assert!(
            progress.message().starts_with("2 pages, 60 sessions"),
            "{}",
            progress.message()
        );
    }
}
