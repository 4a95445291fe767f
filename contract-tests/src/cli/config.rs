//! `vbo-contract.toml`: the settings a pipeline would otherwise retype in every job. Read from
//! the working directory, or from `--config FILE` / `VBO_CONFIG`. Precedence: a flag on the
//! command line beats its environment variable, which beats the file, which beats the default.
//! Credentials are never read from the file (only `VBO_USERNAME`/`VBO_PASSWORD`/`VBO_TOKEN`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::ArgMatches;
use clap::parser::ValueSource;
use serde::Deserialize;

use super::verify::{Args, ColorChoice, Format, OutputSpec, RuleSetting};

/// The file looked for in the working directory when `--config` is not given.
pub const DEFAULT_FILE: &str = "vbo-contract.toml";

/// The largest config file read.
const MAX_BYTES: u64 = 1024 * 1024;

/// Keys that would hold credentials: refused, so no secret ends up in a checked-in file.
const CREDENTIAL_KEYS: &[&str] = &[
    "username", "user", "password", "token", "secret", "bearer", "api_key", "apikey",
];

/// The settings a config file can hold (every key optional; unknown keys are errors).
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// `--server`.
    pub server: Option<String>,
    /// `--job` (one or more).
    pub jobs: Option<Vec<String>>,
    /// `--page-size`.
    pub page_size: Option<u32>,
    /// `--ca-cert` (relative to the file's folder).
    pub ca_cert: Option<PathBuf>,
    /// `--pin-sha256` (one or more).
    pub pin_sha256: Option<Vec<String>>,
    /// `--timeout`.
    pub timeout: Option<u64>,
    /// `--max-pages`.
    pub max_pages: Option<u64>,
    /// `--contract` (relative to the file's folder).
    pub contract: Option<PathBuf>,
    /// `--format`.
    pub format: Option<Format>,
    /// `--output FORMAT=FILE` for each entry (relative to the working directory).
    pub outputs: Option<BTreeMap<Format, PathBuf>>,
    /// `--summary`.
    pub summary: Option<PathBuf>,
    /// `--deny-warnings`.
    pub deny_warnings: Option<bool>,
    /// `--max-findings`.
    pub max_findings: Option<usize>,
    /// `--baseline` (relative to the file's folder).
    pub baseline: Option<PathBuf>,
    /// `--color`.
    pub color: Option<ColorChoice>,
    /// `--rule ID=LEVEL` for each entry.
    pub rules: Option<BTreeMap<String, String>>,
}

/// Why a config file was refused: always a usage error (exit 2).
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// 1-based line and column of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Parses the text of a config file named `name`; errors name the line and column.
pub fn parse(name: &str, text: &str) -> Result<Config, ConfigError> {
    for (number, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let key = trimmed
            .split(['=', ' ', '\t'])
            .next()
            .unwrap_or("")
            .trim_matches(['"', '\'']);
        if trimmed.contains('=') && CREDENTIAL_KEYS.contains(&key.to_ascii_lowercase().as_str()) {
            return Err(ConfigError(format!(
                "{name}:{}:{}: `{key}`: credentials are never read from the config file; set VBO_USERNAME and VBO_PASSWORD, or VBO_TOKEN, in the environment",
                number + 1,
                line.len() - trimmed.len() + 1
            )));
        }
    }
    toml::from_str(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map_or((1, 1), |span| line_column(text, span.start));
        ConfigError(format!(
            "{name}:{line}:{column}: {}",
            e.message().trim_end()
        ))
    })
}

/// Reads the config file: `--config`/`VBO_CONFIG` if given (it must exist), else
/// `vbo-contract.toml` in the working directory if present. Returns the file's folder too
/// (relative paths in it are relative to that folder).
pub fn load(explicit: Option<&Path>) -> Result<Option<(Config, PathBuf)>, ConfigError> {
    let path = match explicit {
        Some(path) => path.to_owned(),
        None => {
            let path = PathBuf::from(DEFAULT_FILE);
            if !path.exists() {
                return Ok(None);
            }
            path
        }
    };
    let name = path.display().to_string();
    let bytes = crate::recorded::read_at_most(&path, MAX_BYTES)
        .map_err(|e| ConfigError(format!("cannot read config {name}: {e}")))?
        .ok_or_else(|| ConfigError(format!("config {name} is larger than {MAX_BYTES} bytes")))?;
    let text = String::from_utf8(bytes)
        .map_err(|e| ConfigError(format!("config {name} is not UTF-8: {e}")))?;
    let config = parse(&name, &text)?;
    let folder = path.parent().map(Path::to_owned).unwrap_or_default();
    Ok(Some((config, folder)))
}

/// Whether the user set argument `id` (on the command line or through its environment
/// variable), which the file must then not change.
fn user_set(matches: &ArgMatches, id: &str) -> bool {
    matches!(
        matches.value_source(id),
        Some(ValueSource::CommandLine | ValueSource::EnvVariable)
    )
}

/// Fills every argument the user did not set from `config`. Paths or `--mock-*` flags on the
/// command line mean the run is not against a server, so the file's server and jobs are unused.
pub fn apply(
    args: &mut Args,
    matches: &ArgMatches,
    config: Config,
    folder: &Path,
) -> Result<(), ConfigError> {
    let relative = |path: PathBuf| {
        if path.is_absolute() {
            path
        } else {
            folder.join(path)
        }
    };
    let offline = !args.paths.is_empty()
        || ["mock_fault", "mock_sessions", "mock_jobs", "mock_http"]
            .iter()
            .any(|id| user_set(matches, id));
    if !offline {
        if let (Some(server), false) = (config.server, user_set(matches, "server")) {
            args.server.server = Some(server);
        }
        if let (Some(jobs), false) = (config.jobs, user_set(matches, "jobs")) {
            args.server.jobs = jobs;
        }
    }
    if let (Some(size), false) = (config.page_size, user_set(matches, "page_size")) {
        if !(1..=10_000).contains(&size) {
            return Err(ConfigError(format!("page-size {size} is not in 1..=10000")));
        }
        args.server.page_size = size;
    }
    if let (Some(path), false) = (config.ca_cert, user_set(matches, "ca_cert")) {
        args.server.ca_cert = Some(relative(path));
    }
    if let (Some(pins), false) = (config.pin_sha256, user_set(matches, "pin_sha256")) {
        args.server.pin_sha256 = pins;
    }
    if let (Some(timeout), false) = (config.timeout, user_set(matches, "timeout")) {
        args.server.timeout = timeout;
    }
    if let (Some(max), false) = (config.max_pages, user_set(matches, "max_pages")) {
        args.server.max_pages = Some(max);
    }
    if let (Some(path), false) = (config.contract, user_set(matches, "contract")) {
        args.contract = Some(relative(path));
    }
    if let (Some(format), false) = (config.format, user_set(matches, "format")) {
        args.format = format;
    }
    if let (Some(outputs), false) = (config.outputs, user_set(matches, "outputs")) {
        args.outputs = outputs
            .into_iter()
            .map(|(format, file)| OutputSpec {
                format: Some(format),
                file,
            })
            .collect();
    }
    if let (Some(path), false) = (config.summary, user_set(matches, "summary")) {
        args.summary = Some(path);
    }
    if let (Some(deny), false) = (config.deny_warnings, user_set(matches, "deny_warnings")) {
        args.deny_warnings = deny;
    }
    if let (Some(max), false) = (config.max_findings, user_set(matches, "max_findings")) {
        args.max_findings = Some(max);
    }
    if let (Some(path), false) = (config.baseline, user_set(matches, "baseline")) {
        args.baseline = Some(relative(path));
    }
    if let (Some(color), false) = (config.color, user_set(matches, "color")) {
        args.color = color;
    }
    if let Some(rules) = config.rules {
        // The file's settings come first, so a `--rule` for the same rule replaces them.
        let mut merged = Vec::new();
        for (id, level) in rules {
            let (rule, level) = crate::finding::parse_override(&id, &level)
                .map_err(|e| ConfigError(format!("[rules] {e}")))?;
            merged.push(RuleSetting { rule, level });
        }
        merged.append(&mut args.rules);
        args.rules = merged;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_config_file_is_read_with_the_folder_its_paths_are_relative_to() {
        let dir = std::env::temp_dir().join(format!("vbo-config-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ci.toml");
        std::fs::write(&path, "page-size = 25\n").unwrap();
        let loaded = load(Some(&path));
        let missing = load(Some(&dir.join("absent.toml")));
        std::fs::remove_dir_all(&dir).unwrap();
        let (config, folder) = loaded.unwrap().expect("the named file is read");
        assert_eq!((config.page_size, folder), (Some(25), dir));
        assert!(missing.is_err(), "a named file must exist");
    }

    #[test]
    fn a_config_error_names_the_line_and_column_of_the_mistake() {
        let error = parse(
            "vbo-contract.toml",
            "format = \"json\"\n\n  max-pages = \"ten\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(error.starts_with("vbo-contract.toml:3:15: "), "{error}");
        let error = parse("c.toml", "format = \"json\"\n  password = \"hunter2\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("c.toml:2:3: `password`"), "{error}");
        assert!(!error.contains("hunter2"), "{error}");
    }

    #[test]
    fn a_page_size_from_the_file_is_applied_within_bounds_and_refused_outside() {
        use super::super::verify::Standalone;
        use clap::{CommandFactory, FromArgMatches};
        let applied = |text: &str| {
            // No `VBO_PAGE_SIZE` of whoever runs the tests: it would outrank the file.
            let matches = Standalone::command()
                .mut_arg("page_size", |arg| arg.env(None::<&'static str>))
                .try_get_matches_from(["vbo-verify"])
                .unwrap();
            let mut args = Standalone::from_arg_matches(&matches).unwrap().args;
            let config = parse("c.toml", text).unwrap();
            apply(&mut args, &matches, config, Path::new(".")).map(|()| args.server.page_size)
        };
        assert_eq!(applied("page-size = 1\n"), Ok(1));
        assert_eq!(applied("page-size = 10000\n"), Ok(10_000));
        for size in [0, 10_001] {
            let refused = applied(&format!("page-size = {size}\n")).unwrap_err();
            assert_eq!(refused.0, format!("page-size {size} is not in 1..=10000"));
        }
    }

    #[test]
    fn line_and_column_count_characters_from_one() {
        assert_eq!(line_column("ab\ncé\nd", 0), (1, 1));
        assert_eq!(line_column("ab\ncé\nd", 2), (1, 3));
        assert_eq!(line_column("ab\ncé\nd", 3), (2, 1));
        assert_eq!(line_column("ab\ncé\nd", 6), (2, 3));
        assert_eq!(line_column("ab", 99), (1, 3));
    }
}
