//! The outside tools, installed at pinned versions into `.cache/conformance/` (ignored by git):
//! Python tools from `xtask/conformance/requirements.txt` into a venv, Node tools from
//! `xtask/conformance/package-lock.json` with `npm ci`. A tool that cannot be installed fails
//! the run with the installer's message; nothing is skipped silently.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the tools live once installed.
pub struct Tools {
    /// `.cache/conformance`.
    pub dir: PathBuf,
    /// `xtask/conformance` (pins and scripts).
    pub pins: PathBuf,
}

impl Tools {
    /// Installs (or reuses) every pinned tool.
    pub fn install(root: &Path) -> Result<Self, String> {
        let tools = Self {
            dir: root.join(".cache/conformance"),
            pins: root.join("xtask/conformance"),
        };
        std::fs::create_dir_all(&tools.dir)
            .map_err(|e| format!("cannot create {}: {e}", tools.dir.display()))?;
        tools.install_python()?;
        tools.install_node()?;
        Ok(tools)
    }

    fn install_python(&self) -> Result<(), String> {
        let venv = self.dir.join("venv");
        let requirements = self.pins.join("requirements.txt");
        let stamp = self.dir.join("venv.stamp");
        let wanted = std::fs::read_to_string(&requirements)
            .map_err(|e| format!("cannot read {}: {e}", requirements.display()))?;
        if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str())
            && self.python().exists()
        {
            return Ok(());
        }
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        run(
            Command::new(&python).args(["-m", "venv"]).arg(&venv),
            "create a Python venv",
        )?;
        run(
            Command::new(self.python())
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "-r",
                ])
                .arg(&requirements),
            "install the pinned Python tools (requirements.txt)",
        )?;
        std::fs::write(&stamp, wanted).map_err(|e| e.to_string())
    }

    fn install_node(&self) -> Result<(), String> {
        let node_dir = self.dir.join("node");
        std::fs::create_dir_all(&node_dir).map_err(|e| e.to_string())?;
        let lock = std::fs::read_to_string(self.pins.join("package-lock.json"))
            .map_err(|e| e.to_string())?;
        let stamp = self.dir.join("node.stamp");
        if std::fs::read_to_string(&stamp).ok().as_deref() == Some(lock.as_str())
            && node_dir.join("node_modules").exists()
        {
            return Ok(());
        }
        for file in ["package.json", "package-lock.json"] {
            std::fs::copy(self.pins.join(file), node_dir.join(file))
                .map_err(|e| format!("cannot copy {file}: {e}"))?;
        }
        run(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&node_dir),
            "install the pinned Node tools (npm ci)",
        )?;
        std::fs::write(&stamp, lock).map_err(|e| e.to_string())
    }

    /// The venv's Python.
    pub fn python(&self) -> PathBuf {
        self.dir.join("venv/bin/python")
    }

    /// A console script of the venv (`schemathesis`, `openapi-spec-validator`).
    pub fn python_tool(&self, name: &str) -> PathBuf {
        self.dir.join("venv/bin").join(name)
    }

    /// A binary of the Node install (`redocly`, `prism`).
    pub fn node_tool(&self, name: &str) -> PathBuf {
        self.dir.join("node/node_modules/.bin").join(name)
    }

    /// The folder Node scripts run in (so `require` finds the pinned packages).
    pub fn node_dir(&self) -> PathBuf {
        self.dir.join("node")
    }

    /// The installed version of a Python distribution.
    pub fn python_version(&self, dist: &str) -> String {
        output(Command::new(self.python()).args([
            "-c",
            &format!("import importlib.metadata as m; print(m.version('{dist}'))"),
        ]))
        .unwrap_or_else(|e| format!("unknown ({e})"))
    }

    /// The installed version of a Node package.
    pub fn node_version(&self, package: &str) -> String {
        let manifest = self
            .node_dir()
            .join("node_modules")
            .join(package)
            .join("package.json");
        std::fs::read_to_string(&manifest)
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .and_then(|v| v["version"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "unknown".into())
    }
}

/// Runs a command to completion; its output is shown only when it fails.
pub fn run(command: &mut Command, what: &str) -> Result<String, String> {
    let out = command
        .output()
        .map_err(|e| format!("cannot {what}: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!("cannot {what} ({}):\n{text}", out.status))
    }
}

fn output(command: &mut Command) -> Result<String, String> {
    run(command, "ask for a version").map(|s| s.trim().to_owned())
}
