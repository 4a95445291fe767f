//! Prism as a second server: `prism mock` serves our document's static examples on loopback,
//! and `cargo xtask verify --server` (the generated client and our verifier) must accept them.
//!
//! Prism answers every request with the 200 example, the seed's page: 1 session, `limit` 30
//! and a `next` link outside the job's collection. So the walk asks for pages of 30 and stops
//! after the first (`--max-pages 1`): the example's elided page would otherwise be judged as a
//! walk (DECISIONS.md D10). Its one warning, `next-leaves-collection`, is the seed's own.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{Outcome, Tools};

/// The job of the seed example (its `_links.job`).
const SEED_JOB: &str = "196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5";

/// Kills Prism however the step ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts Prism on a free port and runs `verify --server` against it.
pub fn run(tools: &Tools, root: &Path) -> Outcome {
    let tool = format!(
        "@stoplight/prism-cli {}",
        tools.node_version("@stoplight/prism-cli")
    );
    let checked = "prism mock openapi/vbo-v5.yaml, read by verify --server".to_owned();
    let fail = |counts: String| Outcome {
        tool: tool.clone(),
        checked: checked.clone(),
        passed: false,
        counts,
    };
    let port = match TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
        Ok(addr) => addr.port(),
        Err(e) => return fail(format!("no free port: {e}")),
    };
    let child = Command::new(tools.node_tool("prism"))
        .args(["mock", "--host", "127.0.0.1", "--port", &port.to_string()])
        .arg(root.join("openapi/vbo-v5.yaml"))
        .current_dir(tools.node_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let _prism = match child {
        Ok(child) => Running(child),
        Err(e) => return fail(format!("cannot start prism: {e}")),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return fail("prism did not listen within 60 s".into());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => return fail(e.to_string()),
    };
    let output = Command::new(exe)
        .args(["verify", "--quiet", "--format", "json", "--server"])
        .arg(format!("http://127.0.0.1:{port}"))
        .args(["--job", SEED_JOB, "--page-size", "30", "--max-pages", "1"])
        // Prism checks that a bearer token is present, not what it is.
        .env("VBO_TOKEN", "prism-accepts-any-token")
        .env_remove("VBO_USERNAME")
        .env_remove("VBO_PASSWORD")
        .current_dir(root)
        .output();
    let output = match output {
        Ok(o) => o,
        Err(e) => return fail(format!("cannot run verify: {e}")),
    };
    let report: serde_json::Value = match serde_json::from_slice(&output.stdout) {
        Ok(r) => r,
        Err(_) => {
            return fail(format!(
                "verify printed no report: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    };
    let rules: Vec<String> = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            format!(
                "{} {}",
                f["severity"].as_str().unwrap_or("?"),
                f["rule"].as_str().unwrap_or("?")
            )
        })
        .collect();
    println!("prism + verify --server: {rules:?}");
    let passed = output.status.success()
        && report["pages"] == 1
        && report["sessions"] == 1
        && report["errors"] == 0;
    Outcome {
        tool,
        checked,
        passed,
        counts: format!(
            "{} page, {} session, {} errors, {} warnings ({})",
            report["pages"],
            report["sessions"],
            report["errors"],
            report["warnings"],
            if rules.is_empty() {
                "none".to_owned()
            } else {
                rules.join(", ")
            }
        ),
    }
}
