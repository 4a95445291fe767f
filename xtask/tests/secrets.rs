//! The secrets sweep: every report format, over every fault of the built-in mock (slow ones
//! excepted), carries neither the password nor a token the run was issued.

use std::path::{Path, PathBuf};
use std::process::Command;

use vbo_contract::mock::Fault;

/// The built-in mock's password (`MockConfig::default()`), which `verify` signs in with.
const PASSWORD: &str = "mock-password";

/// The longest run of lower-case hex digits in `text`: the mock's tokens are 32 of them, while
/// uuids, fingerprints and counters in a report are shorter runs.
fn longest_hex_run(text: &str) -> usize {
    text.split(|c: char| !matches!(c, '0'..='9' | 'a'..='f'))
        .map(str::len)
        .max()
        .unwrap_or(0)
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

#[test]
fn no_report_format_carries_a_password_or_a_token_whatever_the_server_does() {
    let dir = std::env::temp_dir().join(format!("xtask-secrets-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let formats = ["json", "junit", "sarif", "github", "markdown"];
    for fault in Fault::ALL.iter().filter(|f| **f != Fault::Slow) {
        let mut args: Vec<String> = [
            "verify",
            "--mock-fault",
            fault.id(),
            "--mock-jobs",
            "1",
            "--mock-sessions",
            "60",
            "--page-size",
            "25",
            "--summary",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.push(
            dir.join(format!("{fault}.summary.md"))
                .display()
                .to_string(),
        );
        for format in formats {
            args.push("--output".into());
            args.push(format!(
                "{format}={}",
                dir.join(format!("{fault}.{format}")).display()
            ));
        }
        let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(&args)
            .current_dir(root())
            .env("NO_COLOR", "1")
            .env_remove("VBO_TOKEN")
            .output()
            .expect("the xtask binary runs");
        let mut texts = vec![
            ("stdout (human)".to_owned(), output.stdout.clone()),
            ("stderr".to_owned(), output.stderr.clone()),
        ];
        for name in formats
            .iter()
            .map(|f| format!("{fault}.{f}"))
            .chain([format!("{fault}.summary.md")])
        {
            let bytes = std::fs::read(dir.join(&name))
                .unwrap_or_else(|e| panic!("{fault}: {name} was not written: {e}"));
            texts.push((name, bytes));
        }
        for (name, bytes) in texts {
            let text = String::from_utf8_lossy(&bytes);
            // GitHub annotations are empty on a clean run; the others always say something.
            assert!(
                !text.is_empty() || name == "stderr" || name.ends_with(".github"),
                "{fault}: {name} is empty"
            );
            assert!(
                !text.contains(PASSWORD),
                "{fault}: the password is in {name}"
            );
            assert!(
                longest_hex_run(&text) < 32,
                "{fault}: something shaped like a token is in {name}:\n{text}"
            );
        }
    }
}
