//! The CI examples in `xtask/ci-examples/` parse as YAML, and every `cargo xtask` command in
//! them parses with the real command line definition, so they call only commands and flags
//! that exist. The example config file parses with the real config reader.

use clap::Parser;

use crate::Cli;

fn examples() -> std::path::PathBuf {
    crate::workspace_root().join("xtask/ci-examples")
}

/// Every string in a YAML document, depth first.
fn strings(value: &serde_yaml::Value, out: &mut Vec<String>) {
    match value {
        serde_yaml::Value::String(s) => out.push(s.clone()),
        serde_yaml::Value::Sequence(items) => items.iter().for_each(|v| strings(v, out)),
        serde_yaml::Value::Mapping(map) => map.values().for_each(|v| strings(v, out)),
        serde_yaml::Value::Tagged(tagged) => strings(&tagged.value, out),
        _ => {}
    }
}

/// Splits a shell command line into words: quotes group, `$VAR` stays a word of its own.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    assert!(quote.is_none(), "unbalanced quote in {line}");
    if in_word {
        words.push(word);
    }
    words
}

/// The `cargo xtask ...` commands of a script (line continuations joined).
fn xtask_commands(script: &str) -> Vec<Vec<String>> {
    script
        .replace("\\\n", " ")
        .lines()
        .filter_map(|line| {
            let start = line.find("cargo xtask ")?;
            let words = words(&line[start..]);
            Some(words[1..].to_vec())
        })
        .collect()
}

fn check_file(name: &str) -> usize {
    let text = std::fs::read_to_string(examples().join(name)).unwrap();
    let document: serde_yaml::Value =
        serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{name} is not YAML: {e}"));
    let mut all = Vec::new();
    strings(&document, &mut all);
    let mut seen = 0;
    for script in all {
        for argv in xtask_commands(&script) {
            if let Err(e) = Cli::try_parse_from(&argv) {
                panic!("{name}: `cargo {}` does not parse: {e}", argv.join(" "));
            }
            seen += 1;
        }
    }
    seen
}

#[test]
fn the_github_actions_example_calls_only_existing_commands_and_flags() {
    assert!(check_file("github-actions.yml") >= 2);
}

#[test]
fn the_gitlab_example_calls_only_existing_commands_and_flags() {
    assert!(check_file("gitlab-ci.yml") >= 2);
}

#[test]
fn a_misspelt_flag_in_a_script_is_caught() {
    let argv = &xtask_commands("cargo xtask verify --sumary \"$GITHUB_STEP_SUMMARY\"")[0];
    assert!(Cli::try_parse_from(argv).is_err());
    let argv = &xtask_commands("cargo xtask verify \\\n  --summary \"$GITHUB_STEP_SUMMARY\"")[0];
    assert_eq!(argv[2], "--summary");
    assert!(Cli::try_parse_from(argv).is_ok());
}

#[test]
fn the_example_config_parses() {
    let text = std::fs::read_to_string(examples().join("vbo-contract.toml")).unwrap();
    let config = vbo_contract::cli::config::parse("vbo-contract.toml", &text).unwrap();
    assert!(config.server.is_some() && config.rules.is_some());
}
