//! The seeded corpus every row reads: pages generated from the contract, as one NDJSON walk and
//! as a `*.walk/` directory of page files, plus a larger NDJSON for the memory row and a copy
//! of the NDJSON with 1% of its pages broken by `vbo_contract::mutate`.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use vbo_contract::Contract;
use vbo_contract::generate::{GeneratedPage, Generator, GeneratorMode};
use vbo_contract::mutate::{Mutation, mutate};

/// The seed of every generated session.
pub const SEED: u64 = 7;
/// Sessions per page.
pub const PAGE: u64 = 100;

/// Sizes of one corpus.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Sessions in the main walk (NDJSON and page files).
    pub sessions: u64,
    /// Sessions in the memory-run NDJSON.
    pub big_sessions: u64,
}

/// The files of a generated corpus.
#[derive(Debug, Clone)]
pub struct Corpus {
    /// The main walk, one page per line.
    pub ndjson: PathBuf,
    /// The same pages as files in a `*.walk/` directory.
    pub walk_dir: PathBuf,
    /// The main walk with 1% of its pages mutated.
    pub invalid_ndjson: PathBuf,
    /// The memory-run walk.
    pub big_ndjson: PathBuf,
    /// Bytes of the main NDJSON.
    pub bytes: u64,
    /// Sizes it was generated with.
    pub sizes: Sizes,
    /// What the sessions look like: the whole schema (edge) or the vendor's example (realistic).
    pub mode: GeneratorMode,
}

/// Generates the corpus under `dir`, or reuses one generated with the same sizes and seed.
pub fn ensure(dir: &Path, sizes: Sizes, mode: GeneratorMode) -> Result<Corpus, String> {
    let tag = format!("{}-{}-{}", sizes.sessions, sizes.big_sessions, mode.id());
    let base = dir.join(&tag);
    let corpus = Corpus {
        ndjson: base.join("sessions.ndjson"),
        walk_dir: base.join("pages.walk"),
        invalid_ndjson: base.join("sessions-1pct-invalid.ndjson"),
        big_ndjson: base.join("big.ndjson"),
        bytes: 0,
        sizes,
        mode,
    };
    let stamp = base.join("stamp");
    let wanted = format!("seed {SEED} page {PAGE} sessions {tag}\n");
    let fresh = std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str());
    if !fresh {
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(&corpus.walk_dir).map_err(|e| e.to_string())?;
        generate(&corpus).map_err(|e| format!("cannot write the corpus: {e}"))?;
        std::fs::write(&stamp, wanted).map_err(|e| e.to_string())?;
    }
    let bytes = std::fs::metadata(&corpus.ndjson)
        .map_err(|e| e.to_string())?
        .len();
    Ok(Corpus { bytes, ..corpus })
}

fn generate(corpus: &Corpus) -> std::io::Result<()> {
    let contract = Contract::embedded().map_err(std::io::Error::other)?;
    let generator = Generator::new(&contract)
        .map_err(std::io::Error::other)?
        .with_base_url("https://vbo01.example.local:4443")
        .with_mode(corpus.mode);
    let job = generator.job_ids(SEED, 1).remove(0);
    eprintln!(
        "generating {} + {} sessions under {}",
        corpus.sizes.sessions,
        corpus.sizes.big_sessions,
        corpus.ndjson.parent().unwrap_or(Path::new(".")).display()
    );
    let mut ndjson = BufWriter::new(std::fs::File::create(&corpus.ndjson)?);
    let mut invalid = BufWriter::new(std::fs::File::create(&corpus.invalid_ndjson)?);
    let total = corpus.sizes.sessions;
    // Single-page operators only: the walk rules are exercised by the valid pages around them.
    let operators: Vec<Mutation> = Mutation::ALL
        .iter()
        .copied()
        .filter(|m| !m.needs_walk())
        .collect();
    for (n, offset) in (0..total).step_by(PAGE as usize).enumerate() {
        let body = generator.page(SEED, &job, offset, PAGE, total);
        let bytes = serde_json::to_vec(&body)?;
        ndjson.write_all(&bytes)?;
        ndjson.write_all(b"\n")?;
        std::fs::write(corpus.walk_dir.join(format!("page-{n:05}.json")), &bytes)?;
        if n % 100 == 50 {
            let mut pages = [GeneratedPage {
                job_id: job.clone(),
                offset,
                limit: PAGE,
                body,
            }];
            let operator = operators[(n / 100) % operators.len()];
            mutate(&generator, &mut pages, operator, n as u64 * 7919);
            invalid.write_all(&pages[0].bytes())?;
        } else {
            invalid.write_all(&bytes)?;
        }
        invalid.write_all(b"\n")?;
    }
    ndjson.flush()?;
    invalid.flush()?;
    let mut big = BufWriter::new(std::fs::File::create(&corpus.big_ndjson)?);
    let big_total = corpus.sizes.big_sessions;
    for offset in (0..big_total).step_by(PAGE as usize) {
        let body = generator.page(SEED, &job, offset, PAGE, big_total);
        serde_json::to_writer(&mut big, &body)?;
        big.write_all(b"\n")?;
    }
    big.flush()
}
