//! `cargo xtask lint`: the project's checks of the contract document.

use std::path::PathBuf;

use vbo_contract::{contract, lint};

use crate::{exit, workspace_root};

/// Arguments of `lint`.
#[derive(clap::Args)]
pub struct Args {
    /// The document to lint (default: openapi/vbo-v5.yaml).
    #[arg(long)]
    document: Option<PathBuf>,
    /// The decisions file whose Check lines must hold (default: openapi/DECISIONS.md).
    #[arg(long)]
    decisions: Option<PathBuf>,
}

/// Runs the command; returns the exit code.
pub fn run(args: &Args) -> u8 {
    let root = workspace_root();
    let document_path = args
        .document
        .clone()
        .unwrap_or_else(|| root.join(contract::DOCUMENT_PATH));
    let decisions_path = args
        .decisions
        .clone()
        .unwrap_or_else(|| root.join("openapi/DECISIONS.md"));
    let read = |path: &PathBuf| {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    let (text, decisions) = match (read(&document_path), read(&decisions_path)) {
        (Ok(t), Ok(d)) => (t, d),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let document = match contract::parse_document(&text, &document_path.display().to_string()) {
        Ok(document) => document,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::FAILED;
        }
    };
    let problems = lint::lint(&document, &decisions);
    for problem in &problems {
        println!("{}#{problem}", document_path.display());
    }
    if problems.is_empty() {
        println!(
            "ok: {} passes lint (OpenAPI 3.0.x, operationIds, references, examples, decisions)",
            document_path.display()
        );
        exit::OK
    } else {
        println!("{} problem(s)", problems.len());
        exit::FAILED
    }
}
