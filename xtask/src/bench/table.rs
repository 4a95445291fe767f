//! The rows of the benchmark and the markdown table (with a reading of every target) they make.

use std::fmt::Write;
use std::time::Duration;

use super::corpus::{Corpus, PAGE};
use super::measure::Summary;
use vbo_contract::generate::GeneratorMode;

/// Which floor a row's CPU time is divided by (the `Value` parse of the same bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Floor {
    /// The row is the NDJSON floor.
    IsNdjson,
    /// The row is the page-files floor.
    IsFiles,
    /// The row is the memory-run floor.
    IsBig,
    /// Compared with the NDJSON floor.
    Ndjson,
    /// Compared with the page-files floor.
    Files,
    /// Compared with the memory-run floor.
    Big,
    /// Not compared (live walks, builds).
    None,
}

impl Floor {
    fn base(self) -> Option<Floor> {
        match self {
            Floor::IsNdjson | Floor::Ndjson => Some(Floor::IsNdjson),
            Floor::IsFiles | Floor::Files => Some(Floor::IsFiles),
            Floor::IsBig | Floor::Big => Some(Floor::IsBig),
            Floor::None => None,
        }
    }
}

/// One row: what it measures, over what, and which target it answers.
#[derive(Debug, Clone)]
pub struct Row {
    /// What runs.
    pub name: String,
    /// Over what.
    pub input: String,
    /// Sessions it goes through.
    pub sessions: u64,
    /// Its floor.
    pub floor: Floor,
    /// The exit status that means it worked.
    pub expected_exit: i32,
    /// The JSON report whose `elapsed_ms` (the walk alone, in-process) is worth showing.
    pub report: Option<std::path::PathBuf>,
    role: Role,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Plain,
    OursOffline,
    Invalid,
    Memory,
    Ajv,
    LiveTarget,
    Rebuild,
    /// The endless-body row; the server stopped after this many bytes.
    Endless(u64),
}

impl Row {
    /// A row with no target of its own.
    pub fn new(name: &str, input: &str, sessions: u64, floor: Floor) -> Self {
        Self {
            name: name.to_owned(),
            input: input.to_owned(),
            sessions,
            floor,
            expected_exit: 0,
            report: None,
            role: Role::Plain,
        }
    }

    /// The client rebuild row.
    pub fn rebuild() -> Self {
        Self {
            role: Role::Rebuild,
            ..Self::new(
                "client: `cargo build -p vbo-client` after a one-line spec change",
                "incremental, dev profile",
                0,
                Floor::None,
            )
        }
    }

    /// The row the offline CPU targets are about.
    pub fn ours(self) -> Self {
        Self {
            role: Role::OursOffline,
            ..self
        }
    }

    /// The 1%-invalid row.
    pub fn invalid(self) -> Self {
        Self {
            role: Role::Invalid,
            ..self
        }
    }

    /// The memory row.
    pub fn memory(self) -> Self {
        Self {
            role: Role::Memory,
            ..self
        }
    }

    /// The ajv row (the 3x target).
    pub fn ajv(self) -> Self {
        Self {
            role: Role::Ajv,
            ..self
        }
    }

    /// The live HTTPS row the throughput target is about.
    pub fn live_target(self) -> Self {
        Self {
            role: Role::LiveTarget,
            ..self
        }
    }

    /// The endless-body row (peak RSS against the client's body cap); the server stops after
    /// `limit` bytes.
    pub fn endless(self, limit: u64) -> Self {
        Self {
            role: Role::Endless(limit),
            ..self
        }
    }

    /// The same row, for which `code` means success.
    pub fn expect_exit(self, code: i32) -> Self {
        Self {
            expected_exit: code,
            ..self
        }
    }
}

type Measured = (Row, Result<Summary, String>);

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Renders the table, its caption and the reading of the targets.
pub fn render(rows: &[Measured], corpus: &Corpus, machine: &str, command: &str) -> String {
    let floor_cpu = |floor: Floor| {
        rows.iter().find_map(|(row, result)| match result {
            Ok(s) if row.floor == floor => Some(s.cpu),
            _ => None,
        })
    };
    let mut out = String::new();
    let data = match corpus.mode {
        GeneratorMode::Realistic => {
            "**realistic** data: sessions shaped like the vendor's example (newest first, \
             plausible statuses and counters, absolute vendor-style links)"
        }
        GeneratorMode::Edge => {
            "**edge** data: the whole schema, optional fields often absent, edge values"
        }
    };
    let _ = writeln!(out, "Measured with `{command}` on {machine}.");
    let _ = writeln!(
        out,
        "Corpus: {} sessions in {} pages of {PAGE} ({:.1} MB as NDJSON, the same pages as {} files), \
         generated from the contract with seed 7, {data}; memory run: {} sessions. Every row is a process of \
         its own; CPU = user + system (from `/usr/bin/time`), medians over the runs; peak RSS is the \
         largest over the runs; × floor = CPU time over the `serde_json` → `Value` parse of the same \
         bytes in the same run.\n",
        corpus.sizes.sessions,
        corpus.sizes.sessions / PAGE,
        corpus.bytes as f64 / 1e6,
        corpus.sizes.sessions / PAGE,
        corpus.sizes.big_sessions,
    );
    out.push_str("| row | input | runs | CPU s | × floor | wall s | sessions/s (wall) | peak RSS MiB | exit |\n");
    out.push_str("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
    for (row, result) in rows {
        match result {
            Ok(s) => {
                let ratio = row
                    .floor
                    .base()
                    .and_then(floor_cpu)
                    .map_or("—".to_owned(), |f| {
                        format!("{:.2}x", secs(s.cpu) / secs(f).max(1e-9))
                    });
                let rate = if row.sessions == 0 {
                    "—".to_owned()
                } else {
                    format!("{:.0}", row.sessions as f64 / secs(s.wall).max(1e-9))
                };
                let mut exit = if s.code == row.expected_exit {
                    format!("{} (expected)", s.code)
                } else {
                    format!("**{}** (expected {})", s.code, row.expected_exit)
                };
                if let Some(ms) = row.report.as_deref().and_then(walk_ms) {
                    let _ = write!(
                        exit,
                        "; walk alone {:.2} s = {:.0} sessions/s (last run, `elapsed_ms`)",
                        ms as f64 / 1e3,
                        row.sessions as f64 / (ms.max(1) as f64 / 1e3)
                    );
                }
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {:.2} | {ratio} | {:.2} | {rate} | {:.1} | {exit} |",
                    row.name,
                    row.input,
                    s.runs,
                    secs(s.cpu),
                    secs(s.wall),
                    mib(s.max_rss_kib)
                );
            }
            Err(e) => {
                let _ = writeln!(
                    out,
                    "| {} | {} | 0 | — | — | — | — | — | {} |",
                    row.name,
                    row.input,
                    e.replace('|', "\\|").replace('\n', " ")
                );
            }
        }
    }
    out.push('\n');
    out.push_str(&targets(rows, floor_cpu(Floor::IsNdjson)));
    out
}

/// The `elapsed_ms` of a JSON report: the walk itself, without process start and contract load.
fn walk_ms(report: &std::path::Path) -> Option<u64> {
    let text = std::fs::read_to_string(report).ok()?;
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()?
        .get("elapsed_ms")?
        .as_u64()
}

fn find(rows: &[Measured], role: Role) -> Option<&Summary> {
    rows.iter()
        .find(|(row, _)| row.role == role)
        .and_then(|(_, r)| r.as_ref().ok())
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "**missed**" }
}

fn targets(rows: &[Measured], floor: Option<Duration>) -> String {
    let mut out = String::from("Targets (ratios within this run):\n\n");
    let ours = find(rows, Role::OursOffline);
    if let (Some(ours), Some(floor)) = (ours, floor) {
        let ratio = secs(ours.cpu) / secs(floor);
        let _ = writeln!(
            out,
            "- offline verify CPU ≤ 0.8x the `Value` parse floor: {ratio:.2}x — {}",
            verdict(ratio <= 0.8)
        );
    }
    if let (Some(ours), Some(ajv)) = (ours, find(rows, Role::Ajv)) {
        let ratio = secs(ajv.cpu) / secs(ours.cpu);
        let _ = writeln!(
            out,
            "- ≥ 3x less CPU than ajv: ajv takes {ratio:.2}x ours — {}",
            verdict(ratio >= 3.0)
        );
    }
    if let (Some(ours), Some(invalid)) = (ours, find(rows, Role::Invalid)) {
        let ratio = secs(invalid.cpu) / secs(ours.cpu);
        let _ = writeln!(
            out,
            "- 1% invalid pages within 1.2x of the valid corpus (CPU): {ratio:.2}x — {}",
            verdict(ratio <= 1.2)
        );
    }
    if let Some(memory) = find(rows, Role::Memory) {
        let small = ours.map_or(String::new(), |o| {
            format!(" (the 10x smaller corpus: {:.1} MiB)", mib(o.max_rss_kib))
        });
        let _ = writeln!(
            out,
            "- peak RSS of the memory run < 64 MiB: {:.1} MiB{small} — {}",
            mib(memory.max_rss_kib),
            verdict(memory.max_rss_kib < 64 * 1024)
        );
    }
    if let Some((row, Ok(live))) = rows.iter().find(|(row, _)| row.role == Role::LiveTarget) {
        let rate = row.sessions as f64 / secs(live.wall);
        let _ = writeln!(
            out,
            "- live walk over loopback HTTPS, page size 10,000 ≥ 100,000 sessions/s: {rate:.0}/s — {}",
            verdict(rate >= 100_000.0)
        );
    }
    if let Some((row, Ok(endless))) = rows
        .iter()
        .find(|(row, _)| matches!(row.role, Role::Endless(_)))
    {
        let Role::Endless(limit) = row.role else {
            unreachable!("found by its role")
        };
        let peak = endless.max_rss_kib * 1024;
        let cap = super::endless::CLIENT_BODY_CAP;
        let _ = writeln!(
            out,
            "- peak RSS against an endless body (the server sent up to {} MiB) ≤ the client's body cap ({} MiB) + 64 MiB: {:.1} MiB — {}",
            limit >> 20,
            cap >> 20,
            mib(endless.max_rss_kib),
            verdict(peak <= cap + (64 << 20))
        );
    }
    if let Some(build) = find(rows, Role::Rebuild) {
        let _ = writeln!(
            out,
            "- client rebuild after a one-line spec change: {:.1} s wall (no target; reported)",
            secs(build.wall)
        );
    }
    out
}
