//! ajv as a second opinion: ajv 8 with ajv-formats validates payloads against the exported JSON
//! Schema, and its valid/invalid verdict must equal ours on each.
//!
//! Ours is the verdict of the schema layer (findings of `schema`, `json-syntax`, `encoding`
//! and `numeric-string`): ajv sees the schema only, not the rules beyond it, and a numeric
//! string is schema-invalid to both (our policy then tolerates it as a warning, DECISIONS.md D2).

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use vbo_contract::generate::{GeneratedPage, Generator};
use vbo_contract::mutate::{self, Mutation};
use vbo_contract::{Contract, Request, Response, Rule, Verifier, recorded};

use super::{Outcome, Tools};

const SCHEMA_RULES: &[Rule] = &[
    Rule::Schema,
    Rule::JsonSyntax,
    Rule::Encoding,
    Rule::NumericString,
];

/// Collects fixture payloads, asks ajv and us, and compares.
pub fn run(tools: &Tools, root: &Path) -> Outcome {
    let tool = format!(
        "ajv {} + ajv-formats {}",
        tools.node_version("ajv"),
        tools.node_version("ajv-formats")
    );
    let checked = format!(
        "fixtures, {GENERATED} generated and {GENERATED} mutated pages against openapi/jobsessions.schema.json"
    );
    let fail = |counts: String| Outcome {
        tool: tool.clone(),
        checked: checked.clone(),
        passed: false,
        counts,
    };
    let contract = match Contract::embedded() {
        Ok(c) => c,
        Err(e) => return fail(e.to_string()),
    };
    let mut payloads = match fixture_payloads(root) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    match generated_payloads(&contract) {
        Ok(generated) => payloads.extend(generated),
        Err(e) => return fail(e),
    }
    let verifier = Verifier::new(&contract);
    let ours: Vec<bool> = payloads
        .iter()
        .map(|(_, body)| {
            let verdict = verifier.verify(&Response::body(body), &Request::default());
            !verdict
                .findings
                .iter()
                .any(|f| SCHEMA_RULES.contains(&f.rule))
        })
        .collect();
    let theirs = match ask_ajv(tools, root, &payloads) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let mut disagreements = 0;
    for (((name, body), ours), (their_valid, their_errors)) in
        payloads.iter().zip(&ours).zip(&theirs)
    {
        if ours != their_valid {
            disagreements += 1;
            println!(
                "ajv disagrees on {name}: ours {}, ajv {} {their_errors:?}\npayload: {}",
                verdict_word(*ours),
                verdict_word(*their_valid),
                String::from_utf8_lossy(body)
            );
        }
    }
    let invalid = ours.iter().filter(|v| !**v).count();
    Outcome {
        tool,
        checked,
        passed: disagreements == 0 && theirs.len() == payloads.len(),
        counts: format!(
            "{} payloads ({} valid, {invalid} invalid), {disagreements} disagreements",
            payloads.len(),
            payloads.len() - invalid
        ),
    }
}

fn verdict_word(valid: bool) -> &'static str {
    if valid { "valid" } else { "invalid" }
}

/// Generated pages, and as many mutated ones, per run (seeded, so every run checks the same).
const GENERATED: usize = 1500;

/// Seeded pages from the contract's generator, then the same pages broken by each page-level
/// mutation in turn (walk mutations need several pages and are left to the property tests).
fn generated_payloads(contract: &Contract) -> Result<Vec<(String, Vec<u8>)>, String> {
    let generator = Generator::new(contract).map_err(|e| e.to_string())?;
    let mutations: Vec<Mutation> = Mutation::ALL
        .iter()
        .copied()
        .filter(|m| !m.needs_walk())
        .collect();
    let mut payloads = Vec::with_capacity(2 * GENERATED);
    let mut mutated = Vec::with_capacity(GENERATED);
    for seed in 0..GENERATED as u64 {
        let job_id = format!(
            "{:08x}-0faf-4b8e-ba17-ce8c0eb4edc5",
            seed * 2_654_435_761 % 0xffff_ffff
        );
        let limit = 1 + seed % 40;
        let total = seed % 97;
        let offset = (seed % 3) * limit;
        let body = generator.page(seed, &job_id, offset, limit, total);
        let page = GeneratedPage {
            job_id,
            offset,
            limit,
            body,
        };
        payloads.push((format!("generated/{seed}"), page.bytes()));
        let mutation = mutations[seed as usize % mutations.len()];
        let mut pages = [page];
        if mutate::mutate(
            &generator,
            &mut pages,
            mutation,
            seed.wrapping_mul(0x9E37_79B9_7F4A_7C15),
        )
        .is_some()
        {
            mutated.push((
                format!("mutated/{seed}/{}", mutation.id()),
                pages[0].bytes(),
            ));
        }
    }
    payloads.extend(mutated);
    Ok(payloads)
}

fn fixture_payloads(root: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut payloads = Vec::new();
    for dir in ["valid", "invalid"] {
        let dir: PathBuf = root.join("contract-tests/fixtures").join(dir);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
        for file in files {
            let bodies = recorded::page_bodies(&file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            payloads.extend(bodies.into_iter().map(|(name, body)| {
                let short = name
                    .strip_prefix(&format!("{}/", root.display()))
                    .unwrap_or(&name)
                    .to_owned();
                (short, body)
            }));
        }
    }
    Ok(payloads)
}

fn ask_ajv(
    tools: &Tools,
    root: &Path,
    payloads: &[(String, Vec<u8>)],
) -> Result<Vec<(bool, Vec<String>)>, String> {
    let input = tools.dir.join("ajv-payloads.ndjson");
    let lines: Vec<String> = payloads
        .iter()
        .map(|(name, body)| {
            serde_json::json!({"name": name, "body_base64": base64::engine::general_purpose::STANDARD.encode(body)}).to_string()
        })
        .collect();
    std::fs::write(&input, lines.join("\n") + "\n").map_err(|e| e.to_string())?;
    let out = Command::new("node")
        .arg(root.join("xtask/conformance/ajv-verdicts.mjs"))
        .arg(root.join("openapi/jobsessions.schema.json"))
        .arg(&input)
        .current_dir(tools.node_dir())
        .output()
        .map_err(|e| format!("cannot run node: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "ajv failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line)
                .map_err(|e| format!("unreadable ajv line {line:?}: {e}"))?;
            let errors = v["errors"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e.as_str().map(str::to_owned))
                .collect();
            Ok((v["valid"].as_bool().unwrap_or(false), errors))
        })
        .collect()
}
