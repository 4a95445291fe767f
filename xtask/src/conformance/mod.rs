//! `cargo xtask conformance`: independent, widely used tools check our document, our mock
//! server, our verdicts and our client. Each step prints the tool's version, what it checked
//! and pass/fail with counts; the command fails if any step fails or a tool cannot be installed.

mod ajv;
mod prism;
mod sarif;
mod schemathesis;
mod spec;
pub(crate) mod tools;

use std::time::Instant;

use crate::{Error, exit, repository};

pub use tools::Tools;

/// Arguments of `conformance`.
#[derive(clap::Args)]
pub struct Args {
    /// Run only these steps (default: all).
    #[arg(long, value_enum)]
    only: Vec<Step>,
}

/// The steps, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Step {
    /// openapi-spec-validator and redocly lint on the document.
    Spec,
    /// ajv's valid/invalid verdict on fixtures and generated payloads must equal ours.
    Ajv,
    /// Schemathesis against the built-in mock: passes normally, fails on a fault.
    Schemathesis,
    /// Prism serves the document's examples; verify --server must accept them.
    Prism,
    /// The SARIF logs the tests produced against the SARIF 2.1.0 schema, and the SARIF multitool.
    Sarif,
}

/// What one step found.
pub struct Outcome {
    /// The tool and its version.
    pub tool: String,
    /// What it checked.
    pub checked: String,
    /// Whether it passed.
    pub passed: bool,
    /// Counts, in words.
    pub counts: String,
}

/// Runs the command.
pub fn run(args: &Args) -> crate::Outcome {
    let root = repository("conformance")?;
    let started = Instant::now();
    eprintln!("conformance: installing pinned tools into .cache/conformance ...");
    let tools = Tools::install(&root).map_err(|message| {
        Error::failed(format!(
            "a conformance tool cannot be installed, so nothing was checked:\n{message}"
        ))
    })?;
    eprintln!(
        "conformance: tools ready after {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let wanted = |step: Step| args.only.is_empty() || args.only.contains(&step);
    let mut outcomes = Vec::new();
    if wanted(Step::Spec) {
        outcomes.extend(spec::run(&tools, &root));
    }
    if wanted(Step::Ajv) {
        outcomes.push(ajv::run(&tools, &root));
    }
    if wanted(Step::Schemathesis) {
        let runtime = vbo_contract::cli::runtime()?;
        outcomes.extend(schemathesis::run(&tools, &root, &runtime));
    }
    if wanted(Step::Prism) {
        outcomes.push(prism::run(&tools, &root));
    }
    if wanted(Step::Sarif) {
        outcomes.extend(sarif::run(&tools, &root));
    }
    println!();
    println!("| tool | checked | result | counts |");
    println!("| --- | --- | --- | --- |");
    for o in &outcomes {
        println!(
            "| {} | {} | {} | {} |",
            o.tool,
            o.checked,
            if o.passed { "pass" } else { "FAIL" },
            o.counts
        );
    }
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    println!(
        "\nconformance: {} passed, {} failed in {:.1}s",
        outcomes.len() - failed,
        failed,
        started.elapsed().as_secs_f64()
    );
    Ok(if failed == 0 { exit::OK } else { exit::FAILED })
}
