//! The installable verifier: `vbo-verify`, run from a directory with no repository around it,
//! gives the verdicts `cargo xtask verify` gives (exit code and JSON report, timing aside). The
//! binary is built here once (not installed: `cargo install` would rebuild everything).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Builds `vbo-verify` (the `cli` feature, as `cargo install` would) into the target dir the
/// xtask binary sits in, and returns its path.
fn vbo_verify() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let xtask = Path::new(env!("CARGO_BIN_EXE_xtask"));
        let binary = xtask.with_file_name(format!("vbo-verify{}", std::env::consts::EXE_SUFFIX));
        // `cargo test --workspace` has built it already, with the features the workspace
        // unifies; rebuilding it with `-p` would resolve features apart and rebuild many
        // dependencies (minutes on CI) for the same code. It is reused when it is newer than
        // every source it is made of.
        if modified(&binary).is_some_and(|built| built >= newest_source()) {
            return binary;
        }
        let output = Command::new(env!("CARGO"))
            .args([
                "build",
                "--offline",
                "--locked",
                "--quiet",
                "-p",
                "vbo-contract-tests",
                "--features",
                "cli",
                "--bin",
                "vbo-verify",
            ])
            .current_dir(root())
            .output()
            .expect("cargo runs");
        assert!(
            output.status.success(),
            "vbo-verify does not build:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(binary.is_file(), "{} was not built", binary.display());
        binary
    })
}

/// When `path` was last modified, if it exists.
fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time of what `vbo-verify` is built from: the library's sources,
/// its manifest, the lock file and the embedded contract.
fn newest_source() -> std::time::SystemTime {
    fn walk(dir: &Path, newest: &mut std::time::SystemTime) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, newest);
            } else if let Some(time) = modified(&path) {
                *newest = (*newest).max(time);
            }
        }
    }
    let root = root();
    let mut newest = std::time::SystemTime::UNIX_EPOCH;
    walk(&root.join("contract-tests/src"), &mut newest);
    walk(&root.join("client/src"), &mut newest);
    for file in [
        "contract-tests/Cargo.toml",
        "client/Cargo.toml",
        "Cargo.lock",
        "openapi/vbo-v5.yaml",
    ] {
        if let Some(time) = modified(&root.join(file)) {
            newest = newest.max(time);
        }
    }
    newest
}

/// A fresh directory outside the repository with the fixtures copied in.
fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vbo-verify-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy(
        &root().join("contract-tests/fixtures"),
        &dir.join("fixtures"),
    );
    assert!(
        !dir.ancestors()
            .any(|a| a.join("openapi/vbo-v5.yaml").exists()),
        "{} sits inside a checkout",
        dir.display()
    );
    dir
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn run(program: &Path, before: &[&str], args: &[&str], dir: &Path) -> Output {
    Command::new(program)
        .args(before)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("VBO_CONFIG")
        .env_remove("VBO_SERVER")
        .env_remove("VBO_BASELINE")
        .output()
        .expect("the binary runs")
}

/// The JSON report with its timing taken out.
fn report(output: &Output) -> serde_json::Value {
    let mut value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    strip_timing(&mut value);
    value
}

fn strip_timing(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|key, _| !key.contains("elapsed") && !key.contains("seconds"));
            map.values_mut().for_each(strip_timing);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_timing),
        _ => {}
    }
}

#[test]
fn the_installed_verifier_gives_the_verdicts_of_xtask_on_the_fixtures() {
    let dir = workdir("fixtures");
    let xtask = Path::new(env!("CARGO_BIN_EXE_xtask"));
    for (fixtures, expected) in [("fixtures/valid", 0), ("fixtures/invalid", 1)] {
        let args = ["--format", "json", "--quiet", fixtures];
        let installed = run(vbo_verify(), &[], &args, &dir);
        let workspace = run(xtask, &["verify"], &args, &dir);
        assert_eq!(
            installed.status.code(),
            Some(expected),
            "{fixtures}: {installed:?}"
        );
        assert_eq!(
            workspace.status.code(),
            Some(expected),
            "{fixtures}: {workspace:?}"
        );
        let (installed, workspace) = (report(&installed), report(&workspace));
        assert!(
            installed["findings"]
                .as_array()
                .is_some_and(|f| f.len() > 5)
                || expected == 0,
            "{installed}"
        );
        assert_eq!(installed, workspace, "{fixtures}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_installed_verifier_embeds_the_contract_and_takes_another() {
    let dir = workdir("contract");
    let file = "fixtures/valid/seed-example.json";
    let embedded = run(vbo_verify(), &[], &[file], &dir);
    assert_eq!(embedded.status.code(), Some(0), "{embedded:?}");
    // --contract overrides the built-in document: one that does not parse is a usage error.
    std::fs::write(dir.join("broken.yaml"), "openapi: [").unwrap();
    let broken = run(
        vbo_verify(),
        &[],
        &["--contract", "broken.yaml", file],
        &dir,
    );
    assert_eq!(broken.status.code(), Some(2), "{broken:?}");
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert_eq!(
        stderr.matches("error: ").count(),
        1,
        "printed once: {stderr}"
    );
    std::fs::copy(root().join("openapi/vbo-v5.yaml"), dir.join("copy.yaml")).unwrap();
    let copy = run(vbo_verify(), &[], &["--contract", "copy.yaml", file], &dir);
    assert_eq!(copy.status.code(), Some(0), "{copy:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_installed_verifier_explains_itself() {
    let help = run(vbo_verify(), &[], &["--help"], &std::env::temp_dir());
    assert_eq!(help.status.code(), Some(0));
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.starts_with("Verify "), "{text}");
    assert!(
        text.contains("Usage: vbo-verify [OPTIONS] [PATHS]..."),
        "{text}"
    );
    assert!(text.contains("--server <URL>"), "{text}");
    assert!(text.contains("Exit status: 0 no errors"), "{text}");
    let missing = run(
        vbo_verify(),
        &[],
        &["no-such-file.json"],
        &std::env::temp_dir(),
    );
    assert_eq!(missing.status.code(), Some(2), "{missing:?}");
}
