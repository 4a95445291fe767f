//! The light library: `vbo-contract-tests` with `default-features = false` keeps servers, TLS,
//! the async runtime, proptest, reqwest and the client out of a user's dependency graph, and
//! still builds.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What the light library must not pull in (as normal dependencies, at any depth).
const HEAVY: &[&str] = &[
    "axum",
    "axum-server",
    "rcgen",
    "rustls",
    "tokio",
    "proptest",
    "reqwest",
    "vbo-client",
    "hyper",
    "clap",
    "indicatif",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn cargo(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("cargo runs")
}

/// The crate names of `cargo tree` for the contract kit with `features`.
fn graph(features: &[&str]) -> Vec<String> {
    let mut args = vec![
        "tree",
        "--offline",
        "--locked",
        "-p",
        "vbo-contract-tests",
        "-e",
        "normal",
        "--prefix",
        "none",
        "--no-default-features",
    ];
    let joined = features.join(",");
    if !features.is_empty() {
        args.extend(["--features", &joined]);
    }
    let output = cargo(&args);
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_light_library_has_no_server_tls_runtime_or_proptest() {
    let light = graph(&[]);
    assert!(light.iter().any(|c| c == "jsonschema"), "{light:?}");
    let heavy: Vec<&String> = light
        .iter()
        .filter(|c| HEAVY.contains(&c.as_str()))
        .collect();
    assert!(heavy.is_empty(), "the light library pulls in {heavy:?}");
}

/// The check is only as good as its list: each feature brings what it says.
#[test]
fn each_feature_brings_its_own_dependencies() {
    for (feature, brings, not) in [
        (
            "live",
            &["tokio", "vbo-client"][..],
            &["axum", "proptest"][..],
        ),
        ("generate", &["proptest"], &["tokio", "axum"]),
        (
            "mock",
            &["axum", "axum-server", "rcgen", "rustls", "proptest"],
            &["clap"],
        ),
        ("reqwest", &["reqwest"], &["axum", "proptest", "vbo-client"]),
        ("cli", &["clap", "vbo-client", "axum"], &[]),
    ] {
        let crates = graph(&[feature]);
        for name in brings {
            assert!(crates.iter().any(|c| c == name), "{feature} lacks {name}");
        }
        for name in not {
            assert!(
                !crates.iter().any(|c| c == name),
                "{feature} pulls in {name}"
            );
        }
    }
}

#[test]
fn the_light_library_builds() {
    let output = cargo(&[
        "check",
        "--offline",
        "--locked",
        "--quiet",
        "-p",
        "vbo-contract-tests",
        "--no-default-features",
        "--lib",
    ]);
    assert!(
        output.status.success(),
        "the light library does not build:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
