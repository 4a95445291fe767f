//! Prints the latest session of each backup job as a table: of every job the server has
//! (listed with `GET /v5/Jobs`, shown by name) when no job ids are given, else of the given ones.
//!
//! ```text
//! VBO_USERNAME='tech\administrator' VBO_PASSWORD=... \
//!   cargo run -p vbo-client --example last_sessions -- https://vbo01 --ca-cert vbo01.pem [<job-id>...]
//! ```
//! Credentials come from `VBO_TOKEN` (a ready token) when it is set, else from
//! `VBO_USERNAME`/`VBO_PASSWORD`: the precedence `cargo xtask` uses (`Credentials::from_env`).
//! Jobs and sessions are read leniently (`Client::jobs_wire`, `Client::page`), so a status the
//! contract does not know yet is shown rather than failing the run.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use uuid::Uuid;
use vbo_client::{Client, Credentials, Error, wire};

/// Width of the JOB column; longer job names are cut.
const JOB_WIDTH: usize = 36;

/// Latest session of each Veeam Backup for Microsoft 365 job.
#[derive(Parser)]
struct Args {
    /// Server URL, e.g. https://vbo01 (port 4443 unless given).
    server: String,
    /// Job ids; every job on the server when none is given.
    jobs: Vec<Uuid>,
    /// Trust this PEM certificate (the server's self-signed one) besides the system's roots.
    #[arg(long, value_name = "FILE")]
    ca_cert: Option<PathBuf>,
    /// Trust only a server certificate with this SHA-256 pin (repeatable): sha256//BASE64 of its
    /// public key, as curl's --pinnedpubkey, or the certificate's SHA-256 as hex or base64.
    #[arg(long = "pin-sha256", value_name = "PIN")]
    pin_sha256: Vec<String>,
    /// Do not verify the server's certificate (lab use only: exposes the credentials).
    #[arg(long)]
    insecure: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let client = match client(&args) {
        Ok(client) => client,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    // The jobs to show, each with its label in the JOB column: its name when listed.
    let jobs: Vec<(Uuid, String)> = if args.jobs.is_empty() {
        match client.jobs_wire().await {
            Ok(jobs) => jobs.into_iter().map(|job| (job.id, job.name)).collect(),
            Err(error) => {
                eprintln!("error: listing the jobs: {error}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        args.jobs.iter().map(|id| (*id, id.to_string())).collect()
    };
    if jobs.is_empty() {
        println!("(no jobs)");
        return ExitCode::SUCCESS;
    }
    let mut failed = false;
    let mut header = false;
    for (job, label) in &jobs {
        let label = cut(label);
        match client.page(*job, 0, 1).await {
            Ok(page) => {
                if !std::mem::replace(&mut header, true) {
                    println!(
                        "{:<JOB_WIDTH$}  {:<13}  {:<20}  {:>9}  {:>8}  {:>11}  {:<10}",
                        "JOB",
                        "STATUS",
                        "START (UTC)",
                        "DURATION",
                        "OBJECTS",
                        "TRANSFERRED",
                        "BOTTLENECK"
                    );
                }
                match page.results.first() {
                    Some(session) => println!("{}", row(&label, session)),
                    None => println!("{label:<JOB_WIDTH$}  (no sessions)"),
                }
            }
            Err(error) => {
                failed = true;
                eprintln!("error: job {label} ({job}): {error}");
                // Nothing else will work after a refused sign-in or an unreachable server.
                if matches!(
                    error,
                    Error::Authentication { .. } | Error::Transport { .. }
                ) {
                    break;
                }
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// `label` cut to the JOB column, control characters (a hostile job name) replaced.
fn cut(label: &str) -> String {
    let clean: String = label
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if clean.chars().count() <= JOB_WIDTH {
        return clean;
    }
    let kept: String = clean.chars().take(JOB_WIDTH - 1).collect();
    format!("{kept}~")
}

/// Builds the client from the arguments and the environment.
fn client(args: &Args) -> Result<Client, String> {
    let credentials = Credentials::from_env().map_err(|e| e.to_string())?;
    let mut builder = Client::builder(&args.server).with_credentials(credentials);
    if let Some(path) = &args.ca_cert {
        let pem =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        builder = builder.add_root_certificate(pem);
    }
    for pin in &args.pin_sha256 {
        builder = builder.pin_sha256(pin.as_str());
    }
    if args.insecure {
        eprintln!("warning: --insecure: the server's certificate is not verified");
        builder = builder.danger_accept_invalid_certificates(true);
    }
    builder.build().map_err(|e| e.to_string())
}

/// One table row for `session` of the job labelled `job`.
fn row(job: &str, session: &wire::JobSession) -> String {
    let stats = session.statistics.as_ref();
    let duration = match session.end_time {
        Some(end) => clock(end - session.creation_time),
        None => "running".into(),
    };
    let objects = stats
        .and_then(|s| s.processed_objects)
        .or(session.progress)
        .map_or_else(|| "-".into(), |n| n.to_string());
    let transferred = stats
        .and_then(|s| s.transferred_data_bytes)
        .map_or_else(|| "-".into(), |n| bytes(n.get()));
    let bottleneck = stats
        .and_then(|s| s.bottleneck.as_ref())
        .map_or_else(|| "-".into(), ToString::to_string);
    format!(
        "{job:<JOB_WIDTH$}  {:<13}  {:<20}  {duration:>9}  {objects:>8}  {transferred:>11}  {bottleneck:<10}",
        session.status.to_string(),
        session.creation_time.format("%Y-%m-%d %H:%M:%S"),
    )
}

/// `h:mm:ss`.
fn clock(duration: chrono::TimeDelta) -> String {
    let seconds = duration.num_seconds().max(0);
    format!(
        "{}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// Bytes in binary units, e.g. `60.6 MiB`.
fn bytes(count: i64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = count as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{count} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
