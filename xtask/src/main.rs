//! `cargo xtask`: the command line teams and CI use. Argument parsing and wiring only; the
//! work is done by `vbo-client` and `vbo-contract-tests` (whose `cli` module holds `verify`
//! and `record`, shared with the installable `vbo-verify`). Every command returns an
//! [`Outcome`]; `main` prints an error once and exits with the shared codes.

mod bench;
#[cfg(test)]
mod ci_examples;
mod codegen;
mod conformance;
mod lint;
mod mock;
mod mutants;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use vbo_contract::cli::{self, Error, Outcome, record, verify};

pub use vbo_contract::cli::exit;

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
    #[command(after_help = verify::EXIT_HELP)]
    // Boxed: its arguments are most of the enum's size (clippy::large_enum_variant).
    Verify(Box<verify::Args>),
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
    let parsed = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    cli::finish(run(parsed.command, &matches))
}

/// Runs one command.
fn run(command: Command, matches: &clap::ArgMatches) -> Outcome {
    match command {
        Command::Codegen(args) => codegen::run(&args),
        Command::Lint(args) => lint::run(&args),
        Command::Verify(args) => verify::run_configured(
            *args,
            matches
                .subcommand_matches("verify")
                .ok_or("the verify subcommand's arguments are missing")?,
        ),
        Command::Record(args) => record::run(&args),
        Command::Mock(args) => mock::run(&args),
        Command::Conformance(args) => conformance::run(&args),
        Command::Mutants(args) => mutants::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "xtask", &mut std::io::stdout());
            Ok(exit::OK)
        }
        Command::BenchRow(args) => bench::floor::run(&args),
    }
}

/// The workspace root as it was when xtask was built (the parent of `xtask/`), whether or not
/// the repository is still there; tests that know it is use this.
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The repository the repository-bound commands (`codegen`, `lint`, `conformance`, `bench`,
/// `mutants`) work on, or a usage error saying it is gone: xtask finds it through the path it
/// was built from, so a copied binary or a moved checkout has none.
pub fn repository(command: &str) -> Result<PathBuf, Error> {
    repository_at(&workspace_root(), command)
}

/// [`repository`] for a workspace root: it must hold `Cargo.toml` and `openapi/vbo-v5.yaml`.
fn repository_at(root: &Path, command: &str) -> Result<PathBuf, Error> {
    let missing: Vec<&str> = ["Cargo.toml", vbo_contract::contract::DOCUMENT_PATH]
        .into_iter()
        .filter(|file| !root.join(file).is_file())
        .collect();
    if missing.is_empty() {
        return Ok(root.to_path_buf());
    }
    Err(Error::usage(format!(
        "`{command}` works on the vbo-contract repository this xtask was built from, and {} \
         has no {}: run it from a checkout (`cargo xtask {command}`); to verify responses \
         anywhere, install the verifier: cargo install --path contract-tests --locked --features cli",
        root.display(),
        missing.join(" and ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_is_found_where_xtask_was_built() {
        assert_eq!(repository("lint").unwrap(), workspace_root());
    }

    #[test]
    fn a_missing_repository_is_a_usage_error_that_says_so() {
        let empty = std::env::temp_dir().join(format!("xtask-no-repo-{}", std::process::id()));
        std::fs::create_dir_all(&empty).unwrap();
        let error = repository_at(&empty, "codegen").unwrap_err();
        assert_eq!(error.code(), exit::USAGE);
        let message = error.to_string();
        assert!(
            message.contains("`codegen` works on the vbo-contract repository"),
            "{message}"
        );
        assert!(
            message.contains("Cargo.toml and openapi/vbo-v5.yaml"),
            "{message}"
        );
        assert!(
            message.contains("cargo install --path contract-tests"),
            "{message}"
        );
        std::fs::write(empty.join("Cargo.toml"), "").unwrap();
        let message = repository_at(&empty, "lint").unwrap_err().to_string();
        assert!(message.contains("has no openapi/vbo-v5.yaml:"), "{message}");
        std::fs::remove_dir_all(&empty).unwrap();
    }
}
