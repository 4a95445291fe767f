//! The client's rebuild time after a one-line change to the contract document: a comment line
//! appended to `openapi/vbo-v5.yaml` (its build script reads the real file), then
//! `cargo build -p vbo-client`; the document is restored byte for byte afterwards, on error too.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::measure::{self, Job, Sample, Summary};

/// Puts the document's original bytes and modification time back when dropped.
struct Restore {
    path: PathBuf,
    original: Vec<u8>,
    modified: Option<SystemTime>,
}

impl Drop for Restore {
    fn drop(&mut self) {
        // The old mtime too: otherwise every later build (the next bench's release build
        // included) regenerates and recompiles the client and everything above it.
        let restored =
            std::fs::write(&self.path, &self.original).and_then(|()| match self.modified {
                Some(time) => std::fs::File::options()
                    .write(true)
                    .open(&self.path)?
                    .set_modified(time),
                None => Ok(()),
            });
        if let Err(e) = restored {
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
    let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
    let restore = Restore {
        path,
        original,
        modified,
    };
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
