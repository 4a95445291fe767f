//! Running one row in its own process, several times: wall time from here, CPU time and peak
//! RSS of the child from `/usr/bin/time`.
//!
//! `/usr/bin/time` sits between us and the measured process on purpose: a child's `ru_maxrss`
//! starts from the high-water mark of the address space it was forked from, so children forked
//! straight from this (corpus-generating) process would inherit its peak. `time` is tiny.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The wrapper that reports the child's resource use.
pub const TIME: &str = "/usr/bin/time";

/// One run of a command.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Elapsed time, spawn to exit.
    pub wall: Duration,
    /// User plus system CPU time of the child.
    pub cpu: Duration,
    /// Peak resident set size of the child, in KiB.
    pub max_rss_kib: u64,
    /// Exit status of the child.
    pub code: i32,
}

/// The runs of one row, summarised.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    /// How many runs.
    pub runs: usize,
    /// Median wall time.
    pub wall: Duration,
    /// Median CPU time.
    pub cpu: Duration,
    /// Largest peak RSS over the runs, in KiB.
    pub max_rss_kib: u64,
    /// Exit status of the last run.
    pub code: i32,
}

/// What a row runs: program, arguments, environment, working directory.
#[derive(Debug, Clone, Default)]
pub struct Job {
    /// The program.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// Working directory (ours when `None`).
    pub dir: Option<PathBuf>,
}

impl Job {
    /// A job running `program` with `args`.
    pub fn new(program: impl Into<PathBuf>, args: &[&str]) -> Self {
        Self {
            program: program.into(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            ..Self::default()
        }
    }

    /// Appends arguments.
    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// The same job run in `dir`.
    pub fn in_dir(mut self, dir: &Path) -> Self {
        self.dir = Some(dir.to_path_buf());
        self
    }

    /// The same job with one more environment variable.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// The command line, for the log.
    pub fn display(&self) -> String {
        let mut parts = vec![self.program.display().to_string()];
        parts.extend(self.args.iter().take(8).cloned());
        if self.args.len() > 8 {
            parts.push(format!("... ({} more arguments)", self.args.len() - 8));
        }
        parts.join(" ")
    }
}

/// Runs `job` once; its output goes to `log` (`.out`/`.err`/`.time` next to it).
pub fn run_once(job: &Job, log: &Path) -> Result<Sample, String> {
    let time_file = log.with_extension("time");
    let open = |ext: &str| {
        std::fs::File::create(log.with_extension(ext))
            .map_err(|e| format!("cannot create {}: {e}", log.display()))
    };
    let mut command = Command::new(TIME);
    command
        .arg("-f")
        .arg("%U %S %M")
        .arg("-o")
        .arg(&time_file)
        .arg(&job.program)
        .args(&job.args)
        .stdin(Stdio::null())
        .stdout(open("out")?)
        .stderr(open("err")?);
    for (key, value) in &job.env {
        command.env(key, value);
    }
    if let Some(dir) = &job.dir {
        command.current_dir(dir);
    }
    let started = Instant::now();
    let status = command
        .status()
        .map_err(|e| format!("cannot run {}: {e}", job.display()))?;
    let wall = started.elapsed();
    let text = std::fs::read_to_string(&time_file)
        .map_err(|e| format!("cannot read {}: {e}", time_file.display()))?;
    // `time` writes "Command exited with non-zero status N" before the figures.
    let figures = text.lines().last().unwrap_or_default();
    let mut fields = figures.split_whitespace();
    let mut next = |what: &str| -> Result<f64, String> {
        fields
            .next()
            .and_then(|f| f.parse::<f64>().ok())
            .ok_or_else(|| format!("{TIME} gave no {what}: {text:?}"))
    };
    let (user, system, rss) = (next("user time")?, next("system time")?, next("peak RSS")?);
    Ok(Sample {
        wall,
        cpu: Duration::from_secs_f64(user + system),
        max_rss_kib: rss as u64,
        code: status.code().unwrap_or(-1),
    })
}

/// Runs `job` up to `runs` times, fewer when one run alone would blow `budget`.
pub fn run(job: &Job, runs: usize, budget: Duration, log: &Path) -> Result<Summary, String> {
    let mut samples = Vec::new();
    let mut spent = Duration::ZERO;
    while samples.len() < runs.max(1) {
        if !samples.is_empty() && spent + spent / samples.len() as u32 > budget {
            break;
        }
        let sample = run_once(job, log)?;
        spent += sample.wall;
        samples.push(sample);
    }
    Ok(summarise(&samples))
}

/// Medians of wall and CPU time, the largest peak RSS.
pub fn summarise(samples: &[Sample]) -> Summary {
    let median = |mut values: Vec<Duration>| {
        values.sort();
        values[values.len() / 2]
    };
    Summary {
        runs: samples.len(),
        wall: median(samples.iter().map(|s| s.wall).collect()),
        cpu: median(samples.iter().map(|s| s.cpu).collect()),
        max_rss_kib: samples.iter().map(|s| s.max_rss_kib).max().unwrap_or(0),
        code: samples.last().map_or(-1, |s| s.code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_take_the_middle_run() {
        let s = |ms: u64| Sample {
            wall: Duration::from_millis(ms),
            cpu: Duration::from_millis(ms / 2),
            max_rss_kib: ms,
            code: 0,
        };
        let summary = summarise(&[s(30), s(10), s(20)]);
        assert_eq!(summary.wall, Duration::from_millis(20));
        assert_eq!(summary.cpu, Duration::from_millis(10));
        assert_eq!(summary.max_rss_kib, 30);
    }
}
