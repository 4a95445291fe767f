//! `cargo xtask mutants`: mutation testing with cargo-mutants at a pinned version, installed
//! into `.cache/mutants/` (ignored by git) the way `conformance` installs its tools. It mutates
//! the logic of `client/src` and `contract-tests/src` (the settings and every exclusion, with
//! its reason, are in `.cargo/mutants.toml`) and reports caught / missed / unviable / timeouts
//! by crate.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::conformance::tools::run as run_command;
use crate::{Error, exit, repository};

/// Arguments of `mutants`.
#[derive(clap::Args)]
pub struct Args {
    /// Mutate only files matching this glob (repeatable), e.g. `--file client/src/retry.rs`.
    #[arg(long = "file", value_name = "GLOB")]
    files: Vec<String>,
    /// Mutate only the lines a unified diff changes (cargo-mutants `--in-diff`).
    #[arg(long, value_name = "DIFF", conflicts_with = "since")]
    in_diff: Option<PathBuf>,
    /// Mutate only what changed since this git revision (writes `git diff REV` and uses it
    /// as `--in-diff`); the check to run before submitting: `--since main`.
    #[arg(long, value_name = "REV")]
    since: Option<String>,
    /// Build and test jobs in parallel (default 1: a full build per job on a shared machine;
    /// ignored with `--in-place`).
    #[arg(short, long, default_value_t = 1)]
    jobs: usize,
    /// List the mutants that would be tested, and test none.
    #[arg(long)]
    list: bool,
    /// Mutate the working tree itself instead of a copy (faster: reuses `target/`; the tree
    /// is restored after each mutant, so do not edit it while this runs).
    #[arg(long)]
    in_place: bool,
    /// Test one systematic sample: every Nth mutant in list order starting at K, e.g. `0/24`
    /// (cargo-mutants `--shard K/N --sharding round-robin`); how the per-crate scores in
    /// README are measured, since a full run takes hours on 2 cores.
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
}

/// Where the pinned version is written down.
const PIN: &str = "xtask/mutants/cargo-mutants.version";

/// Runs the command.
pub fn run(args: &Args) -> crate::Outcome {
    let root = repository("mutants")?;
    let cache = root.join(".cache/mutants");
    let tool = install(&root, &cache).map_err(|message| {
        Error::failed(format!(
            "cargo-mutants cannot be installed, so nothing was tested:\n{message}"
        ))
    })?;
    let output = cache.join("out");
    let mut command = Command::new(&tool);
    command
        .arg("mutants")
        .arg("--dir")
        .arg(&root)
        .arg("--output")
        .arg(&output)
        .arg("--no-shuffle")
        // Properties run a fixed, smaller set of cases: a mutant must be caught every time.
        .env("CI", "1")
        .env("PROPTEST_CASES", "64");
    for glob in &args.files {
        command.arg("--file").arg(glob);
    }
    let diff = match (&args.in_diff, &args.since) {
        (Some(path), _) => Some(path.clone()),
        (None, Some(rev)) => Some(write_diff(&root, &cache, rev)?),
        (None, None) => None,
    };
    if let Some(diff) = &diff {
        command.arg("--in-diff").arg(diff);
    }
    if let Some(shard) = &args.shard {
        command
            .arg("--shard")
            .arg(shard)
            .arg("--sharding")
            .arg("round-robin");
    }
    if args.list {
        command.arg("--list");
    }
    if args.in_place {
        // One tree, so one job at a time (cargo-mutants refuses --jobs with --in-place).
        command.arg("--in-place");
    } else {
        command.arg("--jobs").arg(args.jobs.to_string());
        // Copies of the tree build here, so dependencies are compiled once across runs.
        command.env("CARGO_TARGET_DIR", cache.join("target"));
    }
    let started = Instant::now();
    let status = command
        .status()
        .map_err(|e| Error::usage(format!("cannot run {}: {e}", tool.display())))?;
    if args.list {
        return Ok(if status.success() {
            exit::OK
        } else {
            exit::USAGE
        });
    }
    let tally = Tally::read(&output.join("mutants.out")).map_err(|message| {
        Error::failed(format!(
            "cargo-mutants left no outcomes ({status}): {message}"
        ))
    })?;
    println!();
    print!("{}", tally.table());
    println!(
        "\nmutants: {} tested in {:.0}s ({:.1}s per mutant); missed ones are listed in {}",
        tally.tested(),
        started.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64() / tally.tested().max(1) as f64,
        output.join("mutants.out/missed.txt").display()
    );
    // cargo-mutants: 0 all caught, 2 missed, 3 timeouts, 4 the unmutated tree fails its tests.
    match status.code() {
        Some(0) => Ok(exit::OK),
        Some(2 | 3) => Ok(exit::FAILED),
        _ => Err(Error::usage(format!("cargo-mutants ended with {status}"))),
    }
}

/// Installs the pinned cargo-mutants into `cache` unless that version is already there.
fn install(root: &Path, cache: &Path) -> Result<PathBuf, String> {
    let pin =
        std::fs::read_to_string(root.join(PIN)).map_err(|e| format!("cannot read {PIN}: {e}"))?;
    let version = pin.trim();
    let tool = cache.join("bin/cargo-mutants");
    // As a cargo subcommand it takes its own name first: `cargo-mutants mutants --version`.
    let installed = Command::new(&tool)
        .args(["mutants", "--version"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    if installed.is_some_and(|v| v.split_whitespace().nth(1) == Some(version)) {
        return Ok(tool);
    }
    eprintln!("mutants: installing cargo-mutants {version} into .cache/mutants (once) ...");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run_command(
        Command::new(cargo)
            .args(["install", "--locked", "--root"])
            .arg(cache)
            .arg(format!("cargo-mutants@{version}")),
        &format!("install cargo-mutants {version}"),
    )?;
    Ok(tool)
}

/// Writes `git diff REV` (tracked changes, committed or not) for `--in-diff`.
fn write_diff(root: &Path, cache: &Path, rev: &str) -> Result<PathBuf, String> {
    let diff = run_command(
        Command::new("git").current_dir(root).args(["diff", rev]),
        &format!("diff against {rev}"),
    )?;
    std::fs::create_dir_all(cache).map_err(|e| e.to_string())?;
    let path = cache.join(format!("since-{}.diff", rev.replace(['/', '.'], "_")));
    std::fs::write(&path, diff).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// How the mutants of one crate fared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// A test failed: the mutant was caught.
    pub caught: usize,
    /// Every test passed: the mutant survived.
    pub missed: usize,
    /// The mutant did not build, so nothing was learned.
    pub unviable: usize,
    /// The tests did not finish in time (an infinite loop, usually).
    pub timeouts: usize,
}

impl Counts {
    /// Mutants that built: caught, missed or timed out.
    pub fn viable(&self) -> usize {
        self.caught + self.missed + self.timeouts
    }

    /// Caught (timeouts included: the tests did not pass) over viable, in percent.
    pub fn score(&self) -> Option<f64> {
        let viable = self.viable();
        (viable > 0).then(|| 100.0 * (self.caught + self.timeouts) as f64 / viable as f64)
    }
}

/// The outcomes of a run, by crate, read from `mutants.out/*.txt`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Crate (by its folder) -> counts.
    pub by_crate: BTreeMap<String, Counts>,
}

impl Tally {
    /// Reads the outcome lists cargo-mutants writes.
    pub fn read(dir: &Path) -> Result<Self, String> {
        let mut tally = Self::default();
        let mut found = false;
        for (file, outcome) in [
            ("caught.txt", Outcome::Caught),
            ("missed.txt", Outcome::Missed),
            ("unviable.txt", Outcome::Unviable),
            ("timeout.txt", Outcome::Timeout),
        ] {
            let path = dir.join(file);
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    found = true;
                    tally.add(&text, outcome);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
            }
        }
        if found {
            Ok(tally)
        } else {
            Err(format!("no outcome lists in {}", dir.display()))
        }
    }

    /// Counts each mutant line (`client/src/retry.rs:49:5: replace ...`) under its crate.
    pub fn add(&mut self, text: &str, outcome: Outcome) {
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let counts = self.by_crate.entry(crate_of(line)).or_default();
            match outcome {
                Outcome::Caught => counts.caught += 1,
                Outcome::Missed => counts.missed += 1,
                Outcome::Unviable => counts.unviable += 1,
                Outcome::Timeout => counts.timeouts += 1,
            }
        }
    }

    /// Mutants tested, unviable ones included.
    pub fn tested(&self) -> usize {
        self.by_crate
            .values()
            .map(|c| c.viable() + c.unviable)
            .sum()
    }

    /// A Markdown table, one row per crate.
    pub fn table(&self) -> String {
        let mut out = String::from(
            "| crate | caught | missed | unviable | timeouts | caught of viable |\n| --- | ---: | ---: | ---: | ---: | ---: |\n",
        );
        for (name, c) in &self.by_crate {
            let score = c
                .score()
                .map_or_else(|| "—".to_owned(), |s| format!("{s:.1}%"));
            out.push_str(&format!(
                "| {name} | {} | {} | {} | {} | {score} |\n",
                c.caught, c.missed, c.unviable, c.timeouts
            ));
        }
        out
    }
}

/// One of cargo-mutants' outcome lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `caught.txt`.
    Caught,
    /// `missed.txt`.
    Missed,
    /// `unviable.txt`.
    Unviable,
    /// `timeout.txt`.
    Timeout,
}

/// The crate a mutant line belongs to: the first folder of its path.
fn crate_of(line: &str) -> String {
    let path = line.split(':').next().unwrap_or_default();
    match path.split('/').next().unwrap_or_default() {
        "client" => "vbo-client".to_owned(),
        "contract-tests" => "vbo-contract-tests".to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_lines_are_counted_by_crate() {
        let mut tally = Tally::default();
        tally.add(
            "client/src/retry.rs:49:5: replace is_retryable_status -> bool with true\n\
             contract-tests/src/rules.rs:180:22: replace < with <= in times\n\n",
            Outcome::Caught,
        );
        tally.add(
            "client/src/token.rs:140:44: replace min with max\n",
            Outcome::Missed,
        );
        tally.add(
            "client/src/token.rs:1:1: replace x -> Y with Default::default()\n",
            Outcome::Unviable,
        );
        tally.add(
            "contract-tests/src/seen.rs:9:9: replace += with *=\n",
            Outcome::Timeout,
        );
        let client = tally.by_crate["vbo-client"];
        assert_eq!(
            client,
            Counts {
                caught: 1,
                missed: 1,
                unviable: 1,
                timeouts: 0
            }
        );
        assert_eq!(client.score(), Some(50.0));
        let contract = tally.by_crate["vbo-contract-tests"];
        assert_eq!(contract.viable(), 2);
        assert_eq!(contract.score(), Some(100.0));
        assert_eq!(tally.tested(), 5);
        let table = tally.table();
        assert!(
            table.contains("| vbo-client | 1 | 1 | 1 | 0 | 50.0% |"),
            "{table}"
        );
        assert!(
            table.contains("| vbo-contract-tests | 1 | 0 | 0 | 1 | 100.0% |"),
            "{table}"
        );
    }

    #[test]
    fn a_crate_with_only_unviable_mutants_has_no_score() {
        let counts = Counts {
            unviable: 3,
            ..Counts::default()
        };
        assert_eq!(counts.score(), None);
    }

    #[test]
    fn outcomes_are_read_from_the_lists_and_their_absence_is_an_error() {
        let dir = std::env::temp_dir().join(format!("xtask-mutants-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(Tally::read(&dir).is_err(), "an empty folder is no result");
        std::fs::write(dir.join("missed.txt"), "client/src/a.rs:1:1: m\n").unwrap();
        std::fs::write(dir.join("caught.txt"), "client/src/a.rs:2:1: c\n").unwrap();
        let tally = Tally::read(&dir).unwrap();
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(tally.by_crate["vbo-client"].missed, 1);
        assert_eq!(tally.by_crate["vbo-client"].caught, 1);
    }
}
