//! The parse floor, run as `xtask bench-row` in a process of its own: read every page the way
//! `verify` reads it (NDJSON line by line, page files one by one) and parse it with
//! `serde_json`, into a `Value` or into the generated client type. Nothing else.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::Value;
use vbo_client::types::JobSessionPage;

use crate::{Outcome, exit};

/// What to parse the pages into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// `serde_json::Value`.
    Value,
    /// `vbo_client::types::JobSessionPage`.
    Typed,
}

/// Arguments of the hidden `bench-row` command.
#[derive(clap::Args)]
pub struct Args {
    /// What to parse into.
    #[arg(value_enum)]
    target: Target,
    /// An NDJSON file or a directory of page files.
    path: PathBuf,
}

/// Parses every page; prints pages, sessions and failures.
pub fn run(args: &Args) -> Outcome {
    let mut tally = Tally::default();
    let result = if args.path.is_dir() {
        each_file(&args.path, &mut |page| tally.parse(args.target, page))
    } else {
        each_line(&args.path, &mut |page| tally.parse(args.target, page))
    };
    result.map_err(|e| e.to_string())?;
    println!(
        "{} pages, {} sessions, {} failed",
        tally.pages, tally.sessions, tally.failed
    );
    Ok(if tally.failed == 0 {
        exit::OK
    } else {
        exit::FAILED
    })
}

#[derive(Default)]
struct Tally {
    pages: usize,
    sessions: usize,
    failed: usize,
}

impl Tally {
    fn parse(&mut self, target: Target, page: &[u8]) {
        self.pages += 1;
        let sessions = match target {
            Target::Value => serde_json::from_slice::<Value>(page)
                .ok()
                .map(|v| v["results"].as_array().map_or(0, Vec::len)),
            Target::Typed => serde_json::from_slice::<JobSessionPage>(page)
                .ok()
                .map(|p| p.results.len()),
        };
        match sessions {
            Some(n) => self.sessions += n,
            None => self.failed += 1,
        }
    }
}

fn each_line(path: &Path, parse: &mut dyn FnMut(&[u8])) -> std::io::Result<()> {
    let mut reader = BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        if !line.iter().all(u8::is_ascii_whitespace) {
            parse(&line);
        }
    }
}

fn each_file(dir: &Path, parse: &mut dyn FnMut(&[u8])) -> std::io::Result<()> {
    let mut files = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()?;
    files.sort();
    for file in files {
        parse(&std::fs::read(file)?);
    }
    Ok(())
}
