//! `cargo xtask codegen [--check]`: writes (or checks) the files derived from the contract.

use std::path::PathBuf;

use similar::TextDiff;
use vbo_contract::contract::{self, Contract};

#[path = "../../client/codegen.rs"]
mod generator;

use crate::{Error, Outcome, exit, repository};

/// Arguments of `codegen`.
#[derive(clap::Args)]
pub struct Args {
    /// Write nothing; print a diff of every stale file and exit 1 if any.
    #[arg(long)]
    check: bool,
}

/// One derived file and its fresh content.
struct Derived {
    path: &'static str,
    content: String,
}

fn derive(root: &std::path::Path) -> Result<Vec<Derived>, String> {
    let spec_path = root.join(generator::SPEC_PATH);
    let spec = std::fs::read_to_string(&spec_path)
        .map_err(|e| format!("cannot read {}: {e}", spec_path.display()))?;
    let client = generator::generate(&spec).map_err(|e| e.to_string())?;
    let wire = generator::generate_wire(&spec).map_err(|e| e.to_string())?;
    let contract =
        Contract::from_yaml(&spec, contract::DOCUMENT_PATH).map_err(|e| e.to_string())?;
    Ok(vec![
        Derived {
            path: generator::GENERATED_PATH,
            content: client,
        },
        Derived {
            path: generator::WIRE_GENERATED_PATH,
            content: wire,
        },
        Derived {
            path: contract::EXPORTED_SCHEMA_PATH,
            content: contract.exported_schema_text(),
        },
    ])
}

/// Runs the command.
pub fn run(args: &Args) -> Outcome {
    let root = repository("codegen")?;
    let derived = derive(&root)?;
    let mut stale = 0;
    for file in &derived {
        let path: PathBuf = root.join(file.path);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == file.content {
            println!("fresh    {}", file.path);
            continue;
        }
        if args.check {
            stale += 1;
            println!("stale    {}", file.path);
            let diff = TextDiff::from_lines(&current, &file.content);
            print!(
                "{}",
                diff.unified_diff()
                    .context_radius(3)
                    .header(&format!("a/{}", file.path), &format!("b/{}", file.path))
            );
        } else {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| {
                    Error::usage(format!("cannot create {}: {e}", parent.display()))
                })?;
            }
            std::fs::write(&path, &file.content)
                .map_err(|e| Error::usage(format!("cannot write {}: {e}", path.display())))?;
            println!("wrote    {}", file.path);
        }
    }
    if stale > 0 {
        eprintln!(
            "{stale} derived file(s) are stale: run `cargo xtask codegen` and commit the result"
        );
        Ok(exit::FAILED)
    } else {
        Ok(exit::OK)
    }
}
