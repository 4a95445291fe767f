//! The built-in mock as a process of its own (`xtask mock`), so that its CPU is not charged to
//! the `verify --server` process being measured.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running `xtask mock`.
pub struct Mock {
    child: Child,
    /// Its base URL.
    pub url: String,
    /// Its one job.
    pub job: String,
    /// Its CA certificate file, when serving HTTPS.
    pub ca: Option<PathBuf>,
}

impl Mock {
    /// Starts `xtask mock` with one job of `sessions` sessions on a free loopback port.
    pub fn start(xtask: &Path, sessions: u64, tls: bool, dir: &Path) -> Result<Self, String> {
        let ca = dir.join("mock-ca.pem");
        let mut command = Command::new(xtask);
        command
            .args(["mock", "--addr", "127.0.0.1:0", "--jobs", "1", "--sessions"])
            .arg(sessions.to_string())
            .arg("--ca-out")
            .arg(&ca)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if tls {
            command.arg("--tls");
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start the mock: {e}"))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let (mut url, mut job) = (None, None);
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|e| e.to_string())?;
            if let Some(rest) = line.strip_prefix("mock VBO server listening on ") {
                url = Some(rest.trim().to_owned());
            } else if let Some(rest) = line.strip_prefix("job ") {
                job = rest.split(':').next().map(str::to_owned);
            } else if line.starts_with("press Ctrl-C") {
                break;
            }
        }
        let mut mock = Self {
            child,
            url: String::new(),
            job: String::new(),
            ca: tls.then_some(ca),
        };
        match (url, job) {
            (Some(url), Some(job)) => {
                mock.url = url;
                mock.job = job;
                Ok(mock)
            }
            _ => Err("the mock did not say where it listens".into()),
        }
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        // Our own child, by its handle.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
