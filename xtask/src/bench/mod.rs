//! `cargo xtask bench`: verification and client throughput against the `serde_json` parse floor
//! and the validators people use today, each row in a process of its own, as one markdown table.
//! Not part of CI.

pub mod corpus;
mod endless;
pub mod floor;
mod live;
mod measure;
mod rebuild;
mod table;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::conformance::Tools;
use crate::{Outcome, exit};
use corpus::{Corpus, Sizes};
use measure::Job;
use table::{Floor, Row};
use vbo_contract::generate::GeneratorMode;

/// Arguments of `bench`.
#[derive(clap::Args)]
pub struct Args {
    /// Fewer runs and a corpus a tenth the size (a smoke test of the harness, not a measurement).
    #[arg(long)]
    quick: bool,
    /// Runs per row (default 5, 2 with --quick); slow rows stop early to keep the run short.
    #[arg(long, value_name = "N")]
    runs: Option<usize>,
    /// Also write the table to FILE.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Leave out the client rebuild row (it edits and restores openapi/vbo-v5.yaml).
    #[arg(long)]
    no_rebuild: bool,
}

/// Runs the benchmark; prints the table.
pub fn run(args: &Args) -> Outcome {
    let root = crate::repository("bench")?;
    bench(args, root)?;
    Ok(exit::OK)
}

fn bench(args: &Args, root: PathBuf) -> Result<(), String> {
    let runs = args.runs.unwrap_or(if args.quick { 2 } else { 5 });
    let sizes = if args.quick {
        Sizes {
            sessions: 10_000,
            big_sessions: 100_000,
        }
    } else {
        Sizes {
            sessions: 100_000,
            big_sessions: 1_000_000,
        }
    };
    if !Path::new(measure::TIME).exists() {
        return Err(format!(
            "{} is needed to read CPU time and peak RSS",
            measure::TIME
        ));
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!("building the release binary");
    let built = Command::new(&cargo)
        .args(["build", "--release", "--quiet", "-p", "xtask"])
        .current_dir(&root)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !built.success() {
        return Err("cargo build --release -p xtask failed".into());
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let xtask = target.join("release/xtask");
    let dir = root.join("target/bench-corpus");
    let corpus = corpus::ensure(&dir, sizes, GeneratorMode::Edge)?;
    let realistic = corpus::ensure(&dir, sizes, GeneratorMode::Realistic)?;
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).map_err(|e| e.to_string())?;
    eprintln!("installing the peers (pinned, reused when present)");
    let tools = Tools::install(&root);
    let budget = Duration::from_secs(if args.quick { 20 } else { 60 });
    let run_row = |row: &Row, job: Result<Job, String>, corpus: &Corpus| {
        eprintln!("measuring: {} ({} data)", row.name, corpus.mode);
        let log = logs.join(slug(&format!("{} {} {}", row.name, row.input, corpus.mode)));
        job.and_then(|job| {
            eprintln!("  {}", job.display());
            measure::run(&job, runs, budget, &log)
        })
    };
    // The realistic corpus is the headline: every offline and peer row runs on it, then on
    // the edge corpus (the whole schema) with the live, endless-body and rebuild rows (the
    // live mock serves realistic data either way).
    let mut realistic_rows = Vec::new();
    {
        let mut measure_row = |row: Row, job: Result<Job, String>| {
            let result = run_row(&row, job, &realistic);
            realistic_rows.push((row, result));
        };
        offline_rows(&mut measure_row, &xtask, &realistic, &dir);
        peer_rows(&mut measure_row, &tools, &root, &realistic);
    }
    let mut rows = Vec::new();
    {
        let mut measure_row = |row: Row, job: Result<Job, String>| {
            let result = run_row(&row, job, &corpus);
            rows.push((row, result));
        };
        offline_rows(&mut measure_row, &xtask, &corpus, &dir);
        peer_rows(&mut measure_row, &tools, &root, &corpus);
        live_rows(&mut measure_row, &xtask, &corpus, &dir);
        endless_row(&mut measure_row, &xtask, &dir, args.quick);
    }
    if !args.no_rebuild {
        eprintln!("measuring: client rebuild after a one-line change to the document");
        let result = rebuild::measure(&root, &cargo, runs.min(3), &logs);
        rows.push((Row::rebuild(), result));
    }
    let text = format!(
        "{}\n{}",
        table::render(&realistic_rows, &realistic, &machine(), &command_line(args)),
        table::render(&rows, &corpus, &machine(), &command_line(args))
    );
    println!("{text}");
    if let Some(path) = &args.output {
        std::fs::write(path, &text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

type Measure<'m> = dyn FnMut(Row, Result<Job, String>) + 'm;

fn path(p: &Path) -> String {
    p.display().to_string()
}

fn offline_rows(measure: &mut Measure<'_>, xtask: &Path, corpus: &Corpus, dir: &Path) {
    let n = corpus.sizes.sessions;
    let big = corpus.sizes.big_sessions;
    let floor = |target: &str, input: &Path| Job::new(xtask, &["bench-row", target, &path(input)]);
    let verify = |input: &Path, report: &str| {
        Job::new(
            xtask,
            &["verify", "--quiet", "--format", "json", "--output"],
        )
        .args([path(&dir.join(report)), path(input)])
    };
    measure(
        Row::new("floor: serde_json → Value", "NDJSON", n, Floor::IsNdjson),
        Ok(floor("value", &corpus.ndjson)),
    );
    measure(
        Row::new(
            "floor: serde_json → JobSessionPage",
            "NDJSON",
            n,
            Floor::Ndjson,
        ),
        Ok(floor("typed", &corpus.ndjson)),
    );
    measure(
        Row::new("floor: serde_json → Value", "page files", n, Floor::IsFiles),
        Ok(floor("value", &corpus.walk_dir)),
    );
    measure(
        Row::new("floor: serde_json → Value", "big NDJSON", big, Floor::IsBig),
        Ok(floor("value", &corpus.big_ndjson)),
    );
    measure(
        Row::new(
            "ours: verify, all rules, JSON report",
            "NDJSON",
            n,
            Floor::Ndjson,
        )
        .ours(),
        Ok(verify(&corpus.ndjson, "report-ndjson.json")),
    );
    measure(
        Row::new(
            "ours: verify, all rules, JSON report",
            "page files",
            n,
            Floor::Files,
        ),
        Ok(verify(&corpus.walk_dir, "report-files.json")),
    );
    measure(
        Row::new("ours: verify, 1% invalid pages", "NDJSON", n, Floor::Ndjson)
            .expect_exit(1)
            .invalid(),
        Ok(verify(&corpus.invalid_ndjson, "report-invalid.json")),
    );
    measure(
        Row::new("ours: verify (memory run)", "big NDJSON", big, Floor::Big).memory(),
        Ok(verify(&corpus.big_ndjson, "report-big.json")),
    );
}

fn peer_rows(
    measure: &mut Measure<'_>,
    tools: &Result<Tools, String>,
    root: &Path,
    corpus: &Corpus,
) {
    let n = corpus.sizes.sessions;
    let schema = path(&root.join("openapi/jobsessions.schema.json"));
    let scripts = root.join("xtask/bench");
    let unavailable =
        |e: &String| -> Result<Job, String> { Err(format!("not installed: {}", first_line(e))) };
    let ajv = tools.as_ref().map_err(Clone::clone).map(|t| {
        format!(
            "ajv {} + ajv-formats {}",
            t.node_version("ajv"),
            t.node_version("ajv-formats")
        )
    });
    let name = |tool: &Result<String, String>, fallback: &str| match tool {
        Ok(t) => format!("peer: {t}"),
        Err(_) => format!("peer: {fallback}"),
    };
    measure(
        Row::new(
            &name(&ajv, "ajv 8 + ajv-formats"),
            "NDJSON",
            n,
            Floor::Ndjson,
        )
        .ajv(),
        match tools {
            Ok(t) => Ok(Job::new("node", &[])
                .args([path(&scripts.join("ajv-ndjson.mjs")), schema.clone()])
                .args([path(&corpus.ndjson)])
                .in_dir(&t.node_dir())),
            Err(e) => unavailable(e),
        },
    );
    let cli = tools
        .as_ref()
        .map_err(Clone::clone)
        .map(|t| format!("ajv-cli {}", t.node_version("ajv-cli")));
    measure(
        Row::new(&name(&cli, "ajv-cli"), "page files", n, Floor::Files),
        match tools {
            Ok(t) => Ok(
                Job::new(t.node_tool("ajv"), &["validate", "--spec=draft2020"])
                    .args(["--all-errors", "-c", "ajv-formats", "-s"])
                    .args([schema.clone(), "-d".into()])
                    .args([format!("{}/*.json", path(&corpus.walk_dir))])
                    .in_dir(&t.node_dir()),
            ),
            Err(e) => unavailable(e),
        },
    );
    let python = tools.as_ref().map_err(Clone::clone).map(|t| {
        format!(
            "Python jsonschema {} + FormatChecker",
            t.python_version("jsonschema")
        )
    });
    measure(
        Row::new(
            &name(&python, "Python jsonschema"),
            "NDJSON",
            n,
            Floor::Ndjson,
        ),
        match tools {
            Ok(t) => Ok(Job::new(t.python(), &[])
                .args([path(&scripts.join("jsonschema-ndjson.py")), schema.clone()])
                .args([path(&corpus.ndjson)])),
            Err(e) => unavailable(e),
        },
    );
    let check = tools
        .as_ref()
        .map_err(Clone::clone)
        .map(|t| format!("check-jsonschema {}", t.python_version("check-jsonschema")));
    measure(
        Row::new(
            &name(&check, "check-jsonschema"),
            "page files",
            n,
            Floor::Files,
        ),
        match tools {
            Ok(t) => page_files(&corpus.walk_dir).map(|files| {
                Job::new(t.python_tool("check-jsonschema"), &["--schemafile"])
                    .args([schema.clone()])
                    .args(files)
            }),
            Err(e) => unavailable(e),
        },
    );
}

fn live_rows(measure: &mut Measure<'_>, xtask: &Path, corpus: &Corpus, dir: &Path) {
    let n = corpus.sizes.sessions;
    let credentials = vbo_contract::mock::MockConfig::default();
    for tls in [false, true] {
        let scheme = if tls { "HTTPS" } else { "HTTP" };
        let mock = live::Mock::start(xtask, n, tls, dir);
        for page_size in [1_000u32, 10_000] {
            let row = Row::new(
                &format!("ours: live walk, mock over loopback {scheme}"),
                &format!("page size {page_size}"),
                n,
                Floor::None,
            );
            let mut row = if tls && page_size == 10_000 {
                row.live_target()
            } else {
                row
            };
            let report = dir.join(format!("report-live-{scheme}-{page_size}.json"));
            row.report = Some(report.clone());
            let job = mock.as_ref().map_err(Clone::clone).map(|mock| {
                let mut job = Job::new(xtask, &["verify", "--quiet", "--format", "json"])
                    .args(["--output".into(), path(&report)])
                    .args([
                        "--server",
                        mock.url.as_str(),
                        "--job",
                        mock.job.as_str(),
                        "--page-size",
                    ])
                    .args([page_size.to_string()])
                    .env("VBO_USERNAME", &credentials.user)
                    .env("VBO_PASSWORD", &credentials.password);
                if let Some(ca) = &mock.ca {
                    job = job.args(["--ca-cert".into(), path(ca)]);
                }
                job
            });
            measure(row, job);
        }
    }
}

/// Peak RSS of `verify --server` against a server whose page body never ends: bounded by the
/// client's body cap plus a constant once the cap is in, unbounded before. The server stops
/// after `limit` bytes so that an unbounded client cannot take the machine down.
fn endless_row(measure: &mut Measure<'_>, xtask: &Path, dir: &Path, quick: bool) {
    let limit: u64 = if quick { 256 << 20 } else { 2 << 30 };
    let server = endless::Endless::start(limit);
    let row = Row::new(
        "ours: live walk, a server sending an endless body",
        &format!("chunked; the server stops at {} MiB", limit >> 20),
        0,
        Floor::None,
    )
    .endless(limit)
    .expect_exit(2);
    let job = server.as_ref().map_err(Clone::clone).map(|server| {
        Job::new(xtask, &["verify", "--quiet", "--format", "json"])
            .args(["--output".into(), path(&dir.join("report-endless.json"))])
            .args([
                "--server",
                server.url.as_str(),
                "--job",
                "196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5",
                "--page-size",
                "1000",
                "--max-pages",
                "1",
            ])
            .env("VBO_TOKEN", "bench-token")
    });
    measure(row, job);
    if let Ok(server) = &server {
        eprintln!(
            "  the endless server sent {} MiB in all",
            server.sent.load(std::sync::atomic::Ordering::Relaxed) >> 20
        );
    }
}

fn page_files(dir: &Path) -> Result<Vec<String>, String> {
    let mut files = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .map(|e| e.map(|e| path(&e.path())))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| e.to_string())?;
    files.sort();
    Ok(files)
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

fn slug(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn command_line(args: &Args) -> String {
    let mut line = "cargo xtask bench".to_owned();
    if args.quick {
        line.push_str(" --quick");
    }
    if let Some(runs) = args.runs {
        line.push_str(&format!(" --runs {runs}"));
    }
    if args.no_rebuild {
        line.push_str(" --no-rebuild");
    }
    line
}

/// CPU model, cores, memory, kernel and date, as the table's caption.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").parse::<u64>().ok())
        })
        .map_or_else(|| "? GiB".into(), |kib| format!("{} GiB", kib / (1 << 20)));
    let run = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    format!(
        "{model}, {cores} cores, {memory}, {} (shared machine); {}",
        run("uname", &["-sr"]),
        run("date", &["-u", "+%Y-%m-%d %H:%M UTC"])
    )
}
