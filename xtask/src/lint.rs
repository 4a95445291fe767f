//! `cargo xtask lint`: the project's checks of the contract document.

use std::path::PathBuf;

use vbo_contract::{contract, lint};

use crate::{Error, Outcome, exit, repository};

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

/// Runs the command.
pub fn run(args: &Args) -> Outcome {
    // The repository is needed only for the files not named on the command line.
    let default = |name: &str| repository("lint").map(|root| root.join(name));
    let document_path = match &args.document {
        Some(path) => path.clone(),
        None => default(contract::DOCUMENT_PATH)?,
    };
    let decisions_path = match &args.decisions {
        Some(path) => path.clone(),
        None => default("openapi/DECISIONS.md")?,
    };
    let read = |path: &PathBuf| {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    let text = read(&document_path)?;
    let decisions = read(&decisions_path)?;
    let document = contract::parse_document(&text, &document_path.display().to_string())
        .map_err(|e| Error::failed(e.to_string()))?;
    let problems = lint::lint(&document, &decisions);
    for problem in &problems {
        println!("{}#{problem}", document_path.display());
    }
    if problems.is_empty() {
        println!(
            "ok: {} passes lint (OpenAPI 3.0.x, operationIds, references, examples, decisions)",
            document_path.display()
        );
        Ok(exit::OK)
    } else {
        println!("{} problem(s)", problems.len());
        Ok(exit::FAILED)
    }
}
