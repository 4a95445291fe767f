//! `cargo xtask verify`: recorded responses (paths), a live server (`--server`), or, with
//! neither, the built-in mock server end to end.

use std::io::IsTerminal;
use std::path::PathBuf;

use vbo_contract::report::{self, Report};
use vbo_contract::{Contract, Options, Verifier, recorded};

use crate::exit;
use crate::progress::Progress;

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
    /// Leave payload values out of messages and snippets (for logs of private tenants).
    #[arg(long)]
    pub mask: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Verify against this contract document instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub contract: Option<PathBuf>,
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
    u8::try_from(report.exit_code(args.deny_warnings)).unwrap_or(exit::FAILED)
}
