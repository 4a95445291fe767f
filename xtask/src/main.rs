//! `cargo xtask`: the command line teams and CI use. Argument parsing and wiring only; the
//! work is done by `vbo-client` and `vbo-contract-tests`.

mod bench;
#[cfg(test)]
mod ci_examples;
mod codegen;
mod config;
mod conformance;
mod lint;
mod mock;
mod mutants;
mod progress;
mod record;
mod server;
mod verify;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// Exit codes every command shares.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// The contract is broken, or a derived file is stale.
    pub const FAILED: u8 = 1;
    /// Usage or I/O problem.
    pub const USAGE: u8 = 2;
}

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    version,
    about = "Contract tooling for the Veeam Backup for Microsoft 365 v5 job-sessions API"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate everything derived from openapi/ and checked in (client copy, JSON Schema).
    Codegen(codegen::Args),
    /// Check the contract document: OpenAPI 3.0.x, operationIds, references, examples, decisions.
    Lint(lint::Args),
    /// Verify recorded responses (files, directories, NDJSON) against the contract.
    #[command(
        after_help = "Exit status: 0 no errors (warnings allowed), 1 contract errors \
        (or warnings with --deny-warnings), 2 usage or I/O problems (unreadable inputs are \
        reported and the rest are still verified)."
    )]
    Verify(verify::Args),
    /// Capture every page of a live walk as .http fixtures (tokens are never written).
    Record(record::Args),
    /// Run the built-in VBO mock server until stopped.
    Mock(mock::Args),
    /// Check the contract with outside tools (spec validators, ajv, Schemathesis, Prism).
    Conformance(conformance::Args),
    /// Mutation testing of client/src and contract-tests/src with a pinned cargo-mutants.
    Mutants(mutants::Args),
    /// Measure verification and client throughput against the parse floor and peer validators.
    Bench(bench::Args),
    /// Print a shell completion script for the `xtask` binary (bash, zsh, fish, powershell).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// One parse-floor row of `bench`, in a process of its own.
    #[command(hide = true)]
    BenchRow(bench::floor::Args),
}

fn main() -> ExitCode {
    // The matches are kept: `verify` asks them which settings the user gave (flag or
    // environment), which the config file must not change.
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let code = match cli.command {
        Command::Codegen(args) => codegen::run(&args),
        Command::Lint(args) => lint::run(&args),
        Command::Verify(args) => verify::run_configured(
            args,
            matches
                .subcommand_matches("verify")
                .expect("the verify subcommand was parsed"),
        ),
        Command::Record(args) => record::run(&args),
        Command::Mock(args) => mock::run(&args),
        Command::Conformance(args) => conformance::run(&args),
        Command::Mutants(args) => mutants::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "xtask", &mut std::io::stdout());
            exit::OK
        }
        Command::BenchRow(args) => bench::floor::run(&args),
    };
    ExitCode::from(code)
}

/// The workspace root (the parent of `xtask/`).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}
