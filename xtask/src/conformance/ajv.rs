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
use vbo_contract::{Contract, Finding, Request, Response, Rule, Verifier, recorded};

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
            schema_layer_valid(
                &verifier
                    .verify(&Response::body(body), &Request::default())
                    .findings,
            )
        })
        .collect();
    let theirs = match ask_ajv(tools, root, &payloads) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let comparison = compare(&ours, &theirs);
    for d in &comparison.disagreements {
        let (name, body) = &payloads[d.index];
        println!(
            "ajv disagrees on {name}: ours {}, ajv {} {:?}\npayload: {}",
            verdict_word(d.ours),
            verdict_word(d.theirs),
            d.errors,
            String::from_utf8_lossy(body)
        );
    }
    Outcome {
        tool,
        checked,
        passed: comparison.passed(),
        counts: comparison.counts(),
    }
}

/// One payload ajv judged otherwise than we did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Disagreement {
    /// The payload's index in the list both were given.
    pub index: usize,
    /// Our schema-layer verdict (true = valid).
    pub ours: bool,
    /// ajv's verdict.
    pub theirs: bool,
    /// ajv's error messages for it.
    pub errors: Vec<String>,
}

/// ajv's verdicts set against ours, payload by payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Comparison {
    /// Payloads we judged.
    pub ours: usize,
    /// Verdicts ajv returned (must equal `ours`: a missing verdict is no agreement).
    pub theirs: usize,
    /// Payloads we found schema-invalid.
    pub invalid: usize,
    /// Where the verdicts differ.
    pub disagreements: Vec<Disagreement>,
}

impl Comparison {
    /// The step passes only when ajv judged every payload and agreed on each.
    pub fn passed(&self) -> bool {
        self.ours == self.theirs && self.disagreements.is_empty()
    }

    /// The counts line of the step.
    pub fn counts(&self) -> String {
        let mut counts = format!(
            "{} payloads ({} valid, {} invalid), {} disagreements",
            self.ours,
            self.ours - self.invalid,
            self.invalid,
            self.disagreements.len()
        );
        if self.ours != self.theirs {
            counts.push_str(&format!(
                "; ajv returned {} verdicts for {} payloads",
                self.theirs, self.ours
            ));
        }
        counts
    }
}

/// Our verdict as ajv could reach it: valid unless a schema-layer rule has a finding.
pub(crate) fn schema_layer_valid(findings: &[Finding]) -> bool {
    !findings.iter().any(|f| SCHEMA_RULES.contains(&f.rule))
}

/// Sets ajv's verdicts (valid, errors) against ours, in payload order.
pub(crate) fn compare(ours: &[bool], theirs: &[(bool, Vec<String>)]) -> Comparison {
    let disagreements = ours
        .iter()
        .zip(theirs)
        .enumerate()
        .filter(|(_, (ours, (theirs, _)))| *ours != theirs)
        .map(|(index, (ours, (theirs, errors)))| Disagreement {
            index,
            ours: *ours,
            theirs: *theirs,
            errors: errors.clone(),
        })
        .collect();
    Comparison {
        ours: ours.len(),
        theirs: theirs.len(),
        invalid: ours.iter().filter(|v| !**v).count(),
        disagreements,
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
    parse_verdicts(&String::from_utf8_lossy(&out.stdout))
}

/// Reads `ajv-verdicts.mjs` output: one `{"valid": bool, "errors": [..]}` line per payload.
/// A line without a boolean `valid` is an error, never a verdict.
pub(crate) fn parse_verdicts(stdout: &str) -> Result<Vec<(bool, Vec<String>)>, String> {
    stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line)
                .map_err(|e| format!("unreadable ajv line {line:?}: {e}"))?;
            let valid = v["valid"]
                .as_bool()
                .ok_or_else(|| format!("ajv line without a boolean `valid`: {line:?}"))?;
            let errors = v["errors"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e.as_str().map(str::to_owned))
                .collect();
            Ok((valid, errors))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use vbo_contract::Contract;

    fn ajv(valid: bool) -> (bool, Vec<String>) {
        (valid, vec![format!("ajv says {valid}")])
    }

    #[test]
    fn agreement_passes() {
        let comparison = compare(&[true, false, true], &[ajv(true), ajv(false), ajv(true)]);
        assert!(comparison.passed(), "{comparison:?}");
        assert_eq!(
            comparison.counts(),
            "3 payloads (2 valid, 1 invalid), 0 disagreements"
        );
    }

    #[test]
    fn a_disagreement_either_way_fails_and_names_the_payload() {
        let comparison = compare(&[true, false, true], &[ajv(true), ajv(true), ajv(false)]);
        assert!(!comparison.passed());
        assert_eq!(
            comparison.disagreements,
            vec![
                Disagreement {
                    index: 1,
                    ours: false,
                    theirs: true,
                    errors: vec!["ajv says true".into()],
                },
                Disagreement {
                    index: 2,
                    ours: true,
                    theirs: false,
                    errors: vec!["ajv says false".into()],
                },
            ]
        );
        assert!(comparison.counts().ends_with("2 disagreements"));
    }

    #[test]
    fn missing_or_extra_verdicts_fail() {
        let short = compare(&[true, true], &[ajv(true)]);
        assert!(!short.passed());
        assert!(
            short
                .counts()
                .contains("ajv returned 1 verdicts for 2 payloads")
        );
        assert!(!compare(&[true], &[ajv(true), ajv(true)]).passed());
        assert!(!compare(&[true], &[]).passed());
    }

    #[test]
    fn ajv_output_is_read_strictly() {
        let read = parse_verdicts(
            "{\"valid\":true,\"errors\":[]}\n\n{\"valid\":false,\"errors\":[\"/status must be equal to one of the allowed values\"]}\n",
        )
        .unwrap();
        assert_eq!(
            read,
            vec![
                (true, vec![]),
                (
                    false,
                    vec!["/status must be equal to one of the allowed values".into()]
                )
            ]
        );
        assert!(parse_verdicts("{\"errors\":[]}").is_err(), "no verdict");
        assert!(parse_verdicts("{\"valid\":\"yes\"}").is_err());
        assert!(parse_verdicts("not json").is_err());
    }

    #[test]
    fn our_verdict_counts_the_schema_layer_only() {
        let contract = Contract::embedded().unwrap();
        let verifier = Verifier::new(&contract);
        let ours = |body: &str| {
            schema_layer_valid(
                &verifier
                    .verify(&Response::body(body.as_bytes()), &Request::default())
                    .findings,
            )
        };
        let session = |status: &str, end: &str| {
            format!(
                r#"{{"offset":0,"limit":1,"results":[{{"id":"6a3fa2fb-3a77-4d99-8b5d-b6bd4102ffb1","creationTime":"2020-12-13T22:00:00Z","endTime":"{end}","status":"{status}"}}]}}"#
            )
        };
        assert!(ours(&session("Success", "2020-12-13T22:02:00Z")));
        // A rule beyond the schema (end before creation) is invisible to ajv.
        assert!(ours(&session("Success", "2020-12-13T21:00:00Z")));
        assert!(!ours(&session("Exploded", "2020-12-13T22:02:00Z")));
        assert!(!ours("{\"offset\":0"));
        // A numeric string is schema-invalid to both; our policy only downgrades it.
        assert!(!ours(
            r#"{"offset":0,"limit":1,"results":[{"id":"6a3fa2fb-3a77-4d99-8b5d-b6bd4102ffb1","creationTime":"2020-12-13T22:00:00Z","status":"Success","statistics":{"processedObjects":"377"}}]}"#
        ));
    }
}
