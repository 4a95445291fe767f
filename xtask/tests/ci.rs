//! `cargo xtask verify` as a pipeline runs it: several outputs in one run, baselines, rule
//! overrides, the config file and its precedence, colour, completions, and a live mock run in
//! the CI formats.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The binary with no colour/config/baseline variables inherited, run in `dir`.
fn xtask_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command.args(args).current_dir(dir);
    for name in [
        "NO_COLOR",
        "CLICOLOR_FORCE",
        "VBO_CONFIG",
        "VBO_BASELINE",
        "VBO_SERVER",
        "VBO_JOBS",
        "VBO_PAGE_SIZE",
        "VBO_CA_CERT",
    ] {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    command.output().expect("the xtask binary runs")
}

fn xtask(args: &[&str]) -> Output {
    xtask_in(&root(), args, &[])
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exited normally")
}

/// A fresh scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-ci-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fixture(name: &str) -> String {
    root()
        .join("contract-tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

const UNKNOWN_STATUS: &str = "invalid/schema-unknown-status.json";
const OVER_LIMIT: &str = "invalid/results-over-limit.json";
const SEED: &str = "valid/seed-example.json";

#[test]
fn several_outputs_in_one_run() {
    let dir = scratch("outputs");
    let file = |n: &str| dir.join(n).display().to_string();
    let (sarif, junit, summary) = (file("r.sarif"), file("r.xml"), file("summary.md"));
    let args = [
        "verify",
        "--format",
        "json",
        "--output",
        &format!("sarif={sarif}"),
        "--output",
        &format!("junit={junit}"),
        "--summary",
        &summary,
        &fixture(UNKNOWN_STATUS),
    ];
    let output = xtask(&args);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON on stdout");
    assert_eq!(json["errors"], 1);
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 1);
    assert!(
        std::fs::read_to_string(&junit)
            .unwrap()
            .contains("<failure")
    );
    assert!(
        std::fs::read_to_string(&summary)
            .unwrap()
            .starts_with("## vbo-contract verify: FAILED")
    );
    // The summary is appended, as $GITHUB_STEP_SUMMARY expects.
    xtask(&args);
    let text = std::fs::read_to_string(&summary).unwrap();
    assert_eq!(text.matches("## vbo-contract verify").count(), 2);
    // A bare --output FILE still takes the --format report.
    let main = file("main.json");
    let output = xtask(&[
        "verify",
        "--format",
        "json",
        "--output",
        &main,
        &fixture(SEED),
    ]);
    assert_eq!(code(&output), 0);
    assert!(stdout(&output).is_empty());
    assert!(
        std::fs::read_to_string(&main)
            .unwrap()
            .contains("\"format_version\"")
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn baseline_round_trip() {
    let dir = scratch("baseline");
    let baseline = dir.join("baseline.json").display().to_string();
    let written = xtask(&[
        "verify",
        "--baseline",
        &baseline,
        "--update-baseline",
        &fixture(UNKNOWN_STATUS),
    ]);
    assert_eq!(
        code(&written),
        0,
        "{}{}",
        stdout(&written),
        stderr(&written)
    );
    assert!(stderr(&written).contains("wrote baseline"));
    let again = xtask(&["verify", "--baseline", &baseline, &fixture(UNKNOWN_STATUS)]);
    assert_eq!(code(&again), 0, "{}", stdout(&again));
    assert!(
        stdout(&again).contains("0 new, 1 known"),
        "{}",
        stdout(&again)
    );
    // A new finding fails the run, and the report names only it.
    let new = xtask(&[
        "verify",
        "--baseline",
        &baseline,
        &fixture(UNKNOWN_STATUS),
        &fixture(OVER_LIMIT),
    ]);
    assert_eq!(code(&new), 1);
    let text = stdout(&new);
    assert!(text.contains("error[results-over-limit]"), "{text}");
    assert!(!text.contains("error[schema]"), "{text}");
    assert!(text.contains("1 new, 1 known, 0 gone"), "{text}");
    // The known finding is fixed: reported gone, so the baseline can be pruned.
    let gone = xtask(&["verify", "--baseline", &baseline, &fixture(SEED)]);
    assert_eq!(code(&gone), 0);
    assert!(stdout(&gone).contains("1 gone"), "{}", stdout(&gone));
    assert!(stdout(&gone).contains("gone "), "{}", stdout(&gone));
    // --update-baseline with no baseline anywhere is a usage error.
    let nowhere = xtask(&["verify", "--update-baseline", &fixture(SEED)]);
    assert_eq!(code(&nowhere), 2);
    assert!(stderr(&nowhere).contains("--update-baseline needs --baseline"));
    // A missing baseline is a usage error, not a silent pass.
    let missing = xtask(&[
        "verify",
        "--baseline",
        "no/such/baseline.json",
        &fixture(SEED),
    ]);
    assert_eq!(code(&missing), 2);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn rule_overrides_and_unknown_ids() {
    let demoted = xtask(&[
        "verify",
        "--rule",
        "schema=warning",
        &fixture(UNKNOWN_STATUS),
    ]);
    assert_eq!(code(&demoted), 0, "{}", stdout(&demoted));
    assert!(stdout(&demoted).contains("warning[schema]"));
    let off = xtask(&["verify", "--rule", "schema=off", &fixture(UNKNOWN_STATUS)]);
    assert_eq!(code(&off), 0);
    assert!(
        stdout(&off).contains("0 errors, 0 warnings"),
        "{}",
        stdout(&off)
    );
    let promoted = xtask(&[
        "verify",
        "--rule",
        "next-leaves-collection=error",
        &fixture(SEED),
    ]);
    assert_eq!(code(&promoted), 1);
    let unknown = xtask(&["verify", "--rule", "shcema=off", &fixture(SEED)]);
    assert_eq!(code(&unknown), 2);
    let message = stderr(&unknown);
    assert!(message.contains("unknown rule `shcema`"), "{message}");
    assert!(message.contains("next-leaves-collection"), "{message}");
}

#[test]
fn config_file_flags_beat_environment_beat_file() {
    let dir = scratch("config");
    for name in ["file.json", "env.json", "flag.json"] {
        let written = xtask(&[
            "verify",
            "--baseline",
            &dir.join(name).display().to_string(),
            "--update-baseline",
            &fixture(SEED),
        ]);
        assert_eq!(code(&written), 0, "{}", stderr(&written));
    }
    std::fs::write(
        dir.join("vbo-contract.toml"),
        "baseline = \"file.json\"\nformat = \"human\"\n\n[rules]\nschema = \"warning\"\n",
    )
    .unwrap();
    let seed = fixture(SEED);
    let update = xtask_in(&dir, &["verify", "--update-baseline", &seed], &[]);
    assert_eq!(code(&update), 0, "{}", stderr(&update));
    assert!(
        stderr(&update).contains("wrote baseline file.json"),
        "{}",
        stderr(&update)
    );
    let from_file = xtask_in(&dir, &["verify", &seed], &[]);
    assert!(
        stdout(&from_file).contains("file.json"),
        "{}",
        stdout(&from_file)
    );
    let env = dir.join("env.json").display().to_string();
    let from_env = xtask_in(&dir, &["verify", &seed], &[("VBO_BASELINE", &env)]);
    assert!(
        stdout(&from_env).contains("env.json"),
        "{}",
        stdout(&from_env)
    );
    let flag = dir.join("flag.json").display().to_string();
    let from_flag = xtask_in(
        &dir,
        &["verify", "--baseline", &flag, &seed],
        &[("VBO_BASELINE", &env)],
    );
    assert!(
        stdout(&from_flag).contains("flag.json"),
        "{}",
        stdout(&from_flag)
    );
    // The file's rule settings apply, and a flag for the same rule replaces them.
    let unknown = fixture(UNKNOWN_STATUS);
    let rules_file = xtask_in(&dir, &["verify", "--baseline", &flag, &unknown], &[]);
    assert_eq!(code(&rules_file), 0, "{}", stdout(&rules_file));
    let rules_flag = xtask_in(
        &dir,
        &[
            "verify",
            "--baseline",
            &flag,
            "--rule",
            "schema=error",
            &unknown,
        ],
        &[],
    );
    assert_eq!(code(&rules_flag), 1, "{}", stdout(&rules_flag));
    // --config names another file; the format from it applies when no flag is given.
    std::fs::write(dir.join("other.toml"), "format = \"json\"\n").unwrap();
    let other = xtask_in(&dir, &["verify", "--config", "other.toml", &seed], &[]);
    assert!(
        serde_json::from_str::<serde_json::Value>(&stdout(&other)).is_ok(),
        "{}",
        stdout(&other)
    );
    let other_flag = xtask_in(
        &dir,
        &[
            "verify",
            "--config",
            "other.toml",
            "--format",
            "junit",
            &seed,
        ],
        &[],
    );
    assert!(
        stdout(&other_flag).starts_with("<?xml"),
        "{}",
        stdout(&other_flag)
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn config_errors_are_exit_two_with_line_and_column() {
    let dir = scratch("config-errors");
    let seed = fixture(SEED);
    let cases = [
        (
            "format = \"json\"\npage-size = [\n",
            "vbo-contract.toml:2:14",
        ),
        (
            "format = \"json\"\n\nformt = \"json\"\n",
            "vbo-contract.toml:3:1",
        ),
        ("format = \"yaml\"\n", "vbo-contract.toml:1:10"),
        ("[rules]\nschema = \"loud\"\n", "unknown level `loud`"),
        ("[rules]\nshcema = \"off\"\n", "unknown rule `shcema`"),
    ];
    for (text, expected) in cases {
        std::fs::write(dir.join("vbo-contract.toml"), text).unwrap();
        let output = xtask_in(&dir, &["verify", &seed], &[]);
        assert_eq!(code(&output), 2, "{text}: {}", stderr(&output));
        assert!(
            stderr(&output).contains(expected),
            "{text}: {}",
            stderr(&output)
        );
    }
    // Credentials are refused, and the value is not echoed.
    std::fs::write(
        dir.join("vbo-contract.toml"),
        "server = \"https://vbo01\"\n  password = \"hunter2-secret\"\n",
    )
    .unwrap();
    let output = xtask_in(&dir, &["verify", &seed], &[]);
    assert_eq!(code(&output), 2);
    let message = stderr(&output);
    assert!(message.contains("vbo-contract.toml:2:3"), "{message}");
    assert!(message.contains("credentials are never read"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
    // A --config that does not exist is an error too.
    let missing = xtask_in(&dir, &["verify", "--config", "nope.toml", &seed], &[]);
    assert_eq!(code(&missing), 2);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn colour_follows_the_flag_then_no_color_then_clicolor_force() {
    let seed = fixture(UNKNOWN_STATUS);
    let coloured = |o: &Output| stdout(o).contains("\x1b[");
    assert!(
        !coloured(&xtask_in(&root(), &["verify", &seed], &[])),
        "not a terminal"
    );
    assert!(coloured(&xtask_in(
        &root(),
        &["verify", &seed],
        &[("CLICOLOR_FORCE", "1")]
    )));
    assert!(!coloured(&xtask_in(
        &root(),
        &["verify", &seed],
        &[("CLICOLOR_FORCE", "0")]
    )));
    assert!(!coloured(&xtask_in(
        &root(),
        &["verify", &seed],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]
    )));
    assert!(coloured(&xtask_in(
        &root(),
        &["verify", "--color", "always", &seed],
        &[("NO_COLOR", "1")]
    )));
    assert!(!coloured(&xtask_in(
        &root(),
        &["verify", "--color", "never", &seed],
        &[("CLICOLOR_FORCE", "1")]
    )));
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let output = xtask(&["completions", shell]);
        assert_eq!(code(&output), 0, "{shell}");
        let text = stdout(&output);
        assert!(
            text.contains("verify") && text.contains("update-baseline"),
            "{shell}"
        );
    }
    assert_eq!(code(&xtask(&["completions", "tcsh"])), 2);
}

/// The built-in mock with a fault, in the GitHub format with a SARIF log beside it.
#[test]
fn live_mock_run_with_a_fault_in_the_github_format() {
    let dir = root().join("target/sarif-produced");
    std::fs::create_dir_all(&dir).unwrap();
    let sarif = dir.join("cli-live-mock-unknown-status.sarif");
    let output = xtask(&[
        "verify",
        "--mock-fault",
        "unknown-status",
        "--mock-jobs",
        "1",
        "--mock-sessions",
        "200",
        "--mock-http",
        "--page-size",
        "50",
        "--quiet",
        "--format",
        "github",
        "--max-findings",
        "2",
        "--output",
        &format!("sarif={}", sarif.display()),
    ]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let text = stdout(&output);
    // The URL's port changes per run.
    let port = regex_free_port(&text);
    let text = text.replace(&port, "PORT");
    assert!(text.lines().all(|l| l.starts_with("::")), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.starts_with("::error ")).count(),
        2,
        "{text}"
    );
    assert!(
        text.lines().last().unwrap().starts_with("::notice "),
        "{text}"
    );
    insta::assert_snapshot!("cli_live_mock_github", text);
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert!(!log["runs"][0]["results"].as_array().unwrap().is_empty());
}

/// The `127.0.0.1:PORT` in the output.
fn regex_free_port(text: &str) -> String {
    let start = text.find("127.0.0.1:").expect("a loopback URL") + "127.0.0.1:".len();
    text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect()
}

#[test]
fn config_file_pins_reach_the_client() {
    // A malformed pin from the file must be refused when the client is built, which proves the
    // key is read and handed to the TLS settings (a well-formed one would need a TLS server).
    let dir = scratch("config-pin");
    std::fs::write(
        dir.join("vbo-contract.toml"),
        "server = \"https://127.0.0.1:9\"\njobs = [\"514eabf9-4cc9-41e0-bf5f-76f1485904cd\"]\n\
         pin-sha256 = [\"not-a-pin\"]\n",
    )
    .unwrap();
    let run = xtask_in(&dir, &["verify"], &[("VBO_TOKEN", "t0ken")]);
    assert_eq!(code(&run), 2, "{}", stderr(&run));
    assert!(stderr(&run).contains("sha256//BASE64"), "{}", stderr(&run));
}
