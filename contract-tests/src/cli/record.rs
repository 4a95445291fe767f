//! `record` (`cargo xtask record`): captures every page of a live walk as `.http` fixtures (one
//! `<job>.walk/` directory per job) that `cargo xtask verify DIR` checks offline later.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use super::server::{self, ServerArgs};
use super::{Error, Outcome, exit};
use crate::Exchange;
use crate::capture::{self, Redactor};
use crate::live::{self, Observer};
use crate::report::{self, Report};
use crate::{Contract, Verifier};

/// Arguments of `record`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    server: ServerArgs,
    /// Directory to write the captures into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Replace every uuid (job and session ids) with a stable stand-in.
    #[arg(long)]
    redact_ids: bool,
}

/// Writes each page as it arrives, into one `.walk` directory per walk; remembers the first
/// write error.
struct Recorder<'r> {
    out: PathBuf,
    contract: &'r Contract,
    redactor: &'r mut Redactor,
    /// Pages written so far into each directory.
    written: BTreeMap<PathBuf, usize>,
    error: Option<String>,
}

impl Recorder<'_> {
    /// The directory a page belongs in: `<job>.walk` for the sessions of a job (the id
    /// redacted as everywhere else), else the operation's path (`v5-Jobs.walk`).
    fn dir_for(&mut self, url: &str) -> PathBuf {
        let request = self.contract.request("GET", url);
        let name = match request.job_id() {
            Some(job) => self.redactor.id(job),
            None => {
                let path = crate::operation::target_path(url);
                let shown = self.redactor.apply(path);
                shown
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(|s| s.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_"))
                    .collect::<Vec<_>>()
                    .join("-")
            }
        };
        self.out.join(format!("{name}.walk"))
    }
}

impl Observer for Recorder<'_> {
    fn page(&mut self, raw: &Exchange) {
        if self.error.is_some() {
            return;
        }
        let dir = self.dir_for(raw.target().unwrap_or_default());
        let number = self.written.get(&dir).copied().unwrap_or(0) + 1;
        match capture::write_page(&dir, number, raw, self.redactor) {
            Ok(_) => {
                self.written.insert(dir, number);
            }
            Err(e) => self.error = Some(format!("cannot write into {}: {e}", dir.display())),
        }
    }
}

/// Runs the command.
pub fn run(args: &Args) -> Outcome {
    let (url, credentials) = args.server.target()?;
    let client = server::client(url, &args.server, credentials, None)?;
    let contract = Contract::embedded().map_err(|e| Error::usage(e.to_string()))?;
    let verifier = Verifier::new(&contract);
    let runtime = super::runtime()?;
    let started = Instant::now();
    let mut report = Report::default();
    let mut redactor = Redactor::new(url, args.redact_ids);
    if let Some(warning) = server::plain_http_warning(url) {
        report.note(warning);
    }
    let plan = args.server.plan();
    let mut recorder = Recorder {
        out: args.out.clone(),
        contract: &contract,
        redactor: &mut redactor,
        written: BTreeMap::new(),
        error: None,
    };
    if args.server.jobs.is_empty() {
        runtime.block_on(live::walk_server(
            &verifier,
            &client,
            plan,
            &mut report,
            &mut recorder,
        ));
    }
    for job in &args.server.jobs {
        if recorder.error.is_some() {
            break;
        }
        runtime.block_on(live::walk_job(
            &verifier,
            &client,
            job,
            plan,
            &mut report,
            &mut recorder,
        ));
    }
    if let Some(error) = recorder.error {
        return Err(Error::usage(error));
    }
    for (dir, pages) in &recorder.written {
        eprintln!("recorded {pages} pages into {}", dir.display());
    }
    report.elapsed = started.elapsed();
    // What reaches the terminal is redacted like the files: no host name, and with
    // --redact-ids no real id.
    for problem in &report.input_problems {
        eprintln!(
            "input error: {}: {}",
            redactor.apply(&problem.source),
            redactor.apply(&problem.message)
        );
    }
    for fault in &mut report.transient {
        fault.first_url = redactor.apply(&fault.first_url);
        fault.first_detail = redactor.apply(&fault.first_detail);
    }
    eprint!("{}", report::summary(&report, false));
    Ok(if report.input_problems.is_empty() {
        exit::OK
    } else {
        exit::USAGE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_walk_is_filed_under_its_job_or_its_collection_s_path() {
        let contract = Contract::embedded().unwrap();
        let mut redactor = Redactor::new("https://vbo01:4443", false);
        let mut recorder = Recorder {
            out: PathBuf::from("out"),
            contract: &contract,
            redactor: &mut redactor,
            written: BTreeMap::new(),
            error: None,
        };
        let job = "0b8d4a2e-8b47-4d7e-9a4f-56f0f3f0c001";
        assert_eq!(
            recorder.dir_for(&format!(
                "https://vbo01:4443/v5/Jobs/{job}/JobSessions?offset=0&limit=30"
            )),
            PathBuf::from(format!("out/{job}.walk"))
        );
        assert_eq!(
            recorder.dir_for("https://vbo01:4443/v5/Jobs"),
            PathBuf::from("out/v5-Jobs.walk")
        );
    }

    #[test]
    fn each_walk_s_pages_are_numbered_from_one_in_the_order_they_arrive() {
        let out = std::env::temp_dir().join(format!("vbo-record-numbers-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let contract = Contract::embedded().unwrap();
        let mut redactor = Redactor::new("https://vbo01:4443", false);
        let mut recorder = Recorder {
            out: out.clone(),
            contract: &contract,
            redactor: &mut redactor,
            written: BTreeMap::new(),
            error: None,
        };
        let (a, b) = (
            "0b8d4a2e-8b47-4d7e-9a4f-56f0f3f0c001",
            "0b8d4a2e-8b47-4d7e-9a4f-56f0f3f0c002",
        );
        for (job, offset) in [(a, 0), (a, 30), (b, 0), (a, 60)] {
            let url = format!("https://vbo01:4443/v5/Jobs/{job}/JobSessions?offset={offset}");
            let body = format!("{{\"offset\":{offset}}}").into_bytes();
            recorder.page(&Exchange::get(url, 200, Vec::new(), body));
        }
        assert_eq!(recorder.error, None);
        let pages = |job: &str| -> Vec<(String, String)> {
            let mut names: Vec<_> = std::fs::read_dir(out.join(format!("{job}.walk")))
                .unwrap()
                .map(|entry| {
                    let path = entry.unwrap().path();
                    let text = std::fs::read_to_string(&path).unwrap();
                    let offset = text
                        .rsplit_once("offset\":")
                        .unwrap()
                        .1
                        .trim_end_matches('}');
                    let name = path.file_name().unwrap().to_string_lossy().into_owned();
                    (name, offset.to_owned())
                })
                .collect();
            names.sort();
            names
        };
        let named = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(n, o)| (n.to_string(), o.to_string()))
                .collect()
        };
        assert_eq!(
            pages(a),
            named(&[
                ("page-0001.http", "0"),
                ("page-0002.http", "30"),
                ("page-0003.http", "60")
            ])
        );
        assert_eq!(pages(b), named(&[("page-0001.http", "0")]));
        let _ = std::fs::remove_dir_all(&out);
    }
}
