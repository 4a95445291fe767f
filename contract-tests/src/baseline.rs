//! Baselines: known findings a team has accepted, so a pipeline fails only on new ones.
//!
//! A finding's fingerprint keeps what identifies the deviation — the rule, the operation, the
//! schema location (for `schema` findings) or the pointer with array indexes replaced by `*`,
//! and the message's shape — and drops what changes from run to run: the source (file path,
//! host name, URL with its offset), session ids, numbers and URLs inside the message. The same
//! deviation on 1,000 sessions is one fingerprint.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::contract::SESSIONS_PATH;
use crate::finding::Finding;
use crate::report::Report;

/// Version of the baseline file's shape.
pub const FORMAT_VERSION: u32 = 1;

/// The largest baseline file read (a baseline is one line per distinct deviation).
pub const MAX_BYTES: u64 = 16 * 1024 * 1024;

/// The stable fingerprint of a finding (16 hex digits of FNV-1a over its identifying parts).
pub fn fingerprint(finding: &Finding) -> String {
    let key = key(finding);
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// The parts a fingerprint is made of, joined by NUL.
fn key(finding: &Finding) -> String {
    let operation = match &finding.operation {
        Some(operation) => operation.clone(),
        None => format!("GET {SESSIONS_PATH}"),
    };
    format!(
        "{}\0{operation}\0{}\0{}",
        finding.rule.id(),
        location(finding),
        finding.message_shape()
    )
}

/// The schema location of a `schema` finding, else its pointer without array indexes.
fn location(finding: &Finding) -> String {
    match &finding.schema_location {
        Some(location) => location.clone(),
        None => finding.pointer_shape(),
    }
}

/// One accepted deviation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The fingerprint; the only field compared.
    pub fingerprint: String,
    /// The rule id (for people reading the file).
    pub rule: String,
    /// Schema location or index-free pointer (for people).
    pub location: String,
    /// The message shape (for people).
    pub message: String,
    /// How many findings had this fingerprint when the baseline was written (for people).
    pub count: usize,
}

/// A baseline file: the accepted deviations, sorted by fingerprint so diffs stay small.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    /// Shape version ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// The accepted deviations.
    pub findings: Vec<Entry>,
}

/// Why a baseline could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The file could not be read or written.
    #[error("baseline {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_BYTES`].
    #[error("baseline {path} is larger than {MAX_BYTES} bytes")]
    TooLarge {
        /// The file.
        path: String,
    },
    /// The file is not a baseline.
    #[error("baseline {path} is not a vbo-contract baseline: {message}")]
    Malformed {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl Baseline {
    /// The baseline that accepts every finding of `report`.
    pub fn from_report(report: &Report) -> Self {
        let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
        for finding in report.entries.iter().flat_map(|e| &e.findings) {
            let fingerprint = fingerprint(finding);
            entries
                .entry(fingerprint.clone())
                .or_insert_with(|| Entry {
                    fingerprint,
                    rule: finding.rule.id().to_owned(),
                    location: location(finding),
                    message: finding.message_shape(),
                    count: 0,
                })
                .count += 1;
        }
        Self {
            format_version: FORMAT_VERSION,
            findings: entries.into_values().collect(),
        }
    }

    /// Reads a baseline file (bounded by [`MAX_BYTES`]).
    pub fn read(path: &Path) -> Result<Self, BaselineError> {
        let name = path.display().to_string();
        let io = |source| BaselineError::Io {
            path: name.clone(),
            source,
        };
        let bytes = crate::recorded::read_at_most(path, MAX_BYTES)
            .map_err(io)?
            .ok_or_else(|| BaselineError::TooLarge { path: name.clone() })?;
        let text = String::from_utf8(bytes).map_err(|e| BaselineError::Malformed {
            path: name.clone(),
            message: e.to_string(),
        })?;
        let baseline: Baseline =
            serde_json::from_str(&text).map_err(|e| BaselineError::Malformed {
                path: name.clone(),
                message: e.to_string(),
            })?;
        if baseline.format_version != FORMAT_VERSION {
            return Err(BaselineError::Malformed {
                path: name,
                message: format!(
                    "format_version {} (this build reads {FORMAT_VERSION})",
                    baseline.format_version
                ),
            });
        }
        Ok(baseline)
    }

    /// Writes the baseline as pretty JSON.
    pub fn write(&self, path: &Path) -> Result<(), BaselineError> {
        let mut text = serde_json::to_string_pretty(self).expect("a baseline serialises");
        text.push('\n');
        std::fs::write(path, text).map_err(|source| BaselineError::Io {
            path: path.display().to_string(),
            source,
        })
    }
}

/// A run compared with a baseline: which fingerprints were accepted and which accepted ones
/// did not occur (so the baseline can be pruned).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// The baseline file, as named by the user.
    pub path: String,
    known: BTreeSet<String>,
    /// Accepted deviations that no finding of this run matched.
    pub gone: Vec<Entry>,
}

impl Comparison {
    /// Compares the findings of `report` with `baseline`.
    pub fn new(path: impl Into<String>, baseline: &Baseline, report: &Report) -> Self {
        let seen: BTreeSet<String> = report
            .entries
            .iter()
            .flat_map(|e| &e.findings)
            .map(fingerprint)
            .collect();
        Self {
            path: path.into(),
            known: baseline
                .findings
                .iter()
                .map(|e| e.fingerprint.clone())
                .collect(),
            gone: baseline
                .findings
                .iter()
                .filter(|e| !seen.contains(&e.fingerprint))
                .cloned()
                .collect(),
        }
    }

    /// Whether the baseline accepts `finding`.
    pub fn is_known(&self, finding: &Finding) -> bool {
        self.known.contains(&fingerprint(finding))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_baseline_of_sixteen_mebibytes_is_read_and_one_byte_more_is_refused() {
        let path = std::env::temp_dir().join(format!("vbo-baseline-cap-{}", std::process::id()));
        let json = serde_json::to_vec(&Baseline {
            format_version: FORMAT_VERSION,
            findings: Vec::new(),
        })
        .unwrap();
        // Padded with blanks after the JSON, which a reader accepts.
        let padded = |length: usize| {
            let mut bytes = json.clone();
            bytes.resize(length, b' ');
            std::fs::write(&path, bytes).unwrap();
        };
        padded(16 * 1024 * 1024);
        assert!(Baseline::read(&path).unwrap().findings.is_empty());
        padded(16 * 1024 * 1024 + 1);
        assert!(matches!(
            Baseline::read(&path),
            Err(BaselineError::TooLarge { .. })
        ));
        let _ = std::fs::remove_file(&path);
    }
}
