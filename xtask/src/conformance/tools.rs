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
        install_retrying(
            "install the pinned Python tools (requirements.txt)",
            INSTALL_PAUSE,
            || {
                let mut pip = Command::new(self.python());
                pip.args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "-r",
                ])
                .arg(&requirements);
                pip
            },
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
        install_retrying(
            "install the pinned Node tools (npm ci)",
            INSTALL_PAUSE,
            || {
                let mut npm = Command::new("npm");
                npm.args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                    .current_dir(&node_dir);
                npm
            },
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

/// How many times an installer that downloads is run before the run fails. A registry's
/// download can fail once on a fresh machine: CI's `npm ci` did so at stop 20 and printed no
/// cause, while the same lock installed cleanly here before and after.
const INSTALL_ATTEMPTS: u32 = 3;

/// The pause before the second attempt; the third waits twice as long.
const INSTALL_PAUSE: std::time::Duration = std::time::Duration::from_secs(10);

/// The most of an installer's own log that a failure quotes.
const LOG_TAIL_BYTES: u64 = 4096;

/// Runs an installer until it succeeds or has failed `INSTALL_ATTEMPTS` times. Each failure
/// is printed as it happens; the error keeps every attempt's message, each with the tail of
/// the log npm names, since `npm ci` at `--loglevel=error` prints only that log's path.
fn install_retrying(
    what: &str,
    pause: std::time::Duration,
    mut command: impl FnMut() -> Command,
) -> Result<(), String> {
    let mut failures = Vec::new();
    for attempt in 1..=INSTALL_ATTEMPTS {
        match run(&mut command(), what) {
            Ok(_) => return Ok(()),
            Err(message) => {
                let message = with_log_tail(message);
                eprintln!("conformance: attempt {attempt} of {INSTALL_ATTEMPTS} failed: {message}");
                failures.push(format!("attempt {attempt}: {message}"));
                if attempt < INSTALL_ATTEMPTS {
                    std::thread::sleep(pause * attempt);
                }
            }
        }
    }
    Err(failures.join("\n"))
}

/// An installer's message, followed by the last lines of the log it names, if it names one
/// that can be read.
fn with_log_tail(message: String) -> String {
    const MARK: &str = "A complete log of this run can be found in:";
    let Some(at) = message.find(MARK) else {
        return message;
    };
    let path = message[at + MARK.len()..]
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_owned();
    match tail(Path::new(&path), LOG_TAIL_BYTES) {
        Ok(last) => format!("{message}\nthe end of {path}:\n{last}"),
        Err(e) => format!("{message}\n(cannot read {path}: {e})"),
    }
}

/// The last `bytes` of a file (fewer if it is shorter), from the first whole line in them.
fn tail(path: &Path, bytes: u64) -> std::io::Result<String> {
    use std::io::{Read, Seek, SeekFrom};
    // Looked at before opening: opening a FIFO would wait for a writer that never comes.
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut file = std::fs::File::open(path)?;
    let length = file.metadata()?.len();
    let start = length.saturating_sub(bytes);
    file.seek(SeekFrom::Start(start))?;
    let mut buffer = Vec::new();
    file.take(bytes).read_to_end(&mut buffer)?;
    let text = String::from_utf8_lossy(&buffer);
    let text = match (start > 0, text.find('\n')) {
        (true, Some(newline)) => &text[newline + 1..],
        _ => &text[..],
    };
    Ok(text.trim_end().to_owned())
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A folder of this test's own, emptied first.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-tools-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// A shell command that counts its runs in `counter` and succeeds from run `succeeds_at`.
    fn counting(counter: &Path, succeeds_at: u32) -> impl FnMut() -> Command + '_ {
        move || {
            let mut sh = Command::new("sh");
            sh.arg("-c")
                .arg(format!(
                    "echo x >> '{0}'; n=$(wc -l < '{0}'); echo \"run $n\" >&2; [ \"$n\" -ge {succeeds_at} ]",
                    counter.display()
                ));
            sh
        }
    }

    fn runs(counter: &Path) -> usize {
        std::fs::read_to_string(counter).unwrap().lines().count()
    }

    #[test]
    fn an_installer_that_fails_once_is_run_again_and_the_install_succeeds() {
        let dir = scratch("once");
        let counter = dir.join("runs");
        install_retrying("install", Duration::ZERO, counting(&counter, 2)).unwrap();
        assert_eq!(runs(&counter), 2);
    }

    #[test]
    fn an_installer_that_always_fails_is_run_three_times_and_each_failure_is_kept() {
        let dir = scratch("always");
        let counter = dir.join("runs");
        let error =
            install_retrying("install", Duration::ZERO, counting(&counter, 99)).unwrap_err();
        assert_eq!(runs(&counter), 3);
        for attempt in 1..=3 {
            assert!(
                error.contains(&format!("attempt {attempt}: cannot install")),
                "{error}"
            );
            assert!(error.contains(&format!("run {attempt}")), "{error}");
        }
    }

    #[test]
    fn a_failed_install_quotes_the_end_of_the_log_the_installer_names() {
        let dir = scratch("named");
        let log = dir.join("debug-0.log");
        std::fs::write(&log, "verbose stack Error: ECONNRESET\n").unwrap();
        let error = install_retrying("install", Duration::ZERO, || {
            let mut sh = Command::new("sh");
            sh.arg("-c").arg(format!(
                "echo 'npm error A complete log of this run can be found in: {}' >&2; exit 1",
                log.display()
            ));
            sh
        })
        .unwrap_err();
        assert_eq!(
            error.matches("verbose stack Error: ECONNRESET").count(),
            3,
            "{error}"
        );
    }

    #[test]
    fn the_log_npm_names_is_quoted_from_its_end_in_whole_lines() {
        let dir = scratch("log");
        let log = dir.join("debug-0.log");
        let lines: Vec<String> = (0..1000).map(|n| format!("{n} verbose line {n}")).collect();
        std::fs::write(&log, lines.join("\n") + "\n").unwrap();
        let message = format!(
            "cannot install (exit status: 1):\nnpm error A complete log of this run can be found in: {}\n",
            log.display()
        );
        let quoted = with_log_tail(message.clone());
        let tail = quoted.split_once(":\n").unwrap().1;
        let tail = tail.rsplit_once(":\n").unwrap().1;
        assert!(quoted.starts_with(&message));
        assert!(tail.ends_with("999 verbose line 999"), "{tail}");
        assert!(tail.len() <= LOG_TAIL_BYTES as usize);
        let first = tail.lines().next().unwrap();
        let n: usize = first.split(' ').next().unwrap().parse().unwrap();
        assert_eq!(
            first,
            format!("{n} verbose line {n}"),
            "a cut first line: {first}"
        );
        assert!(n > 800, "the quote starts near the end, not at line {n}");
    }

    #[test]
    fn a_log_path_that_names_a_fifo_or_a_folder_is_not_read() {
        let dir = scratch("fifo");
        let fifo = dir.join("debug-0.log");
        let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success());
        // The folder first: without the check it fails at once, where the FIFO would hang.
        for path in [&dir, &fifo] {
            let message = format!(
                "npm error A complete log of this run can be found in: {}",
                path.display()
            );
            // Opening the FIFO would block this test forever; it ends with a note instead.
            let quoted = with_log_tail(message.clone());
            assert!(quoted.contains("not a regular file"), "{quoted}");
        }
    }

    #[test]
    fn a_message_that_names_no_log_or_an_unreadable_one_is_kept_as_it_is() {
        assert_eq!(with_log_tail("pip failed".into()), "pip failed");
        let message = "npm error A complete log of this run can be found in: /nonexistent/x.log";
        let quoted = with_log_tail(message.into());
        assert!(quoted.starts_with(message));
        assert!(
            quoted.contains("(cannot read /nonexistent/x.log:"),
            "{quoted}"
        );
    }
}
