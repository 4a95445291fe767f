//! The client's rebuild time after a one-line change to the contract document: a comment line
//! appended to `openapi/vbo-v5.yaml` (its build script reads the real file), then
//! `cargo build -p vbo-client`; the document is restored byte for byte afterwards, on error too.

use std::path::{Path, PathBuf};

use super::measure::{self, Job, Sample, Summary};

/// Puts the document's original bytes back when dropped.
struct Restore {
    path: PathBuf,
    original: Vec<u8>,
}

impl Drop for Restore {
    fn drop(&mut self) {
        if let Err(e) = std::fs::write(&self.path, &self.original) {
            eprintln!(
                "error: could not restore {}: {e}; restore it with git checkout",
                self.path.display()
            );
        }
    }
}

/// Builds once to be current, then times `runs` builds, each after a different one-line change.
pub fn measure(root: &Path, cargo: &str, runs: usize, logs: &Path) -> Result<Summary, String> {
    let build = Job::new(cargo, &["build", "--quiet", "-p", "vbo-client"]).in_dir(root);
    let warm = measure::run_once(&build, &logs.join("client-build-warm"))?;
    if warm.code != 0 {
        return Err(format!(
            "cargo build -p vbo-client failed (see {})",
            logs.display()
        ));
    }
    let path = root.join("openapi/vbo-v5.yaml");
    let original =
        std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let restore = Restore { path, original };
    let mut samples: Vec<Sample> = Vec::new();
    for run in 0..runs.max(1) {
        let mut changed = restore.original.clone();
        changed.extend_from_slice(format!("# bench: one-line change {run}\n").as_bytes());
        std::fs::write(&restore.path, changed).map_err(|e| e.to_string())?;
        let sample = measure::run_once(&build, &logs.join("client-build"))?;
        if sample.code != 0 {
            return Err(format!(
                "cargo build -p vbo-client failed (see {})",
                logs.display()
            ));
        }
        samples.push(sample);
    }
    drop(restore);
    Ok(measure::summarise(&samples))
}
