//! The README's rules table is the documented list of rule ids: it must name every rule with
//! its severity and description, in order, and nothing else.

use vbo_contract::Rule;

#[test]
fn readme_rules_table_matches_the_rules() {
    let readme = include_str!("../../README.md");
    let table: Vec<&str> = readme
        .lines()
        .skip_while(|l| !l.starts_with("## Rules"))
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| l.starts_with("| `"))
        .collect();
    let expected: Vec<String> = Rule::ALL
        .iter()
        .map(|r| {
            format!(
                "| `{}` | {} | {} |",
                r.id(),
                r.default_severity().as_str(),
                r.description()
            )
        })
        .collect();
    assert_eq!(
        table, expected,
        "README.md's rules table is stale; regenerate it from Rule::ALL"
    );
}
