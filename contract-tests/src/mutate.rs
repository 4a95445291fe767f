//! Mutation operators: break a generated page or walk in one place, chosen from the places the
//! schema describes, and say which finding the verifier must report there.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use crate::contract::escape;
use crate::finding::Rule;
use crate::generate::{GeneratedPage, Generator, Shape, json_type};

/// One way of breaking a valid page (or walk).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mutation {
    /// Remove a required property.
    DropRequired,
    /// Replace a value with one of a JSON type the schema does not allow there.
    ChangeType,
    /// Put a string outside an `enum`.
    OutsideEnum,
    /// Make a count (an integer with `minimum >= 0`) negative.
    NegativeCount,
    /// Break a `format: uuid` string.
    BreakUuid,
    /// Break a `format: date-time` string.
    BreakDateTime,
    /// Push the page's `limit` past the schema's maximum.
    LimitPastMax,
    /// Add sessions until the page holds more than `limit`.
    ItemsBeyondLimit,
    /// Reuse a session id of an earlier page of the walk.
    DuplicateIdAcrossPages,
    /// Move a page's `offset` away from where the previous page ended.
    BreakOffsetSequence,
}

impl Mutation {
    /// Every operator.
    pub const ALL: &'static [Mutation] = &[
        Mutation::DropRequired,
        Mutation::ChangeType,
        Mutation::OutsideEnum,
        Mutation::NegativeCount,
        Mutation::BreakUuid,
        Mutation::BreakDateTime,
        Mutation::LimitPastMax,
        Mutation::ItemsBeyondLimit,
        Mutation::DuplicateIdAcrossPages,
        Mutation::BreakOffsetSequence,
    ];

    /// The operator's kebab-case id.
    pub fn id(self) -> &'static str {
        match self {
            Mutation::DropRequired => "drop-required",
            Mutation::ChangeType => "change-type",
            Mutation::OutsideEnum => "outside-enum",
            Mutation::NegativeCount => "negative-count",
            Mutation::BreakUuid => "break-uuid",
            Mutation::BreakDateTime => "break-date-time",
            Mutation::LimitPastMax => "limit-past-max",
            Mutation::ItemsBeyondLimit => "items-beyond-limit",
            Mutation::DuplicateIdAcrossPages => "duplicate-id-across-pages",
            Mutation::BreakOffsetSequence => "break-offset-sequence",
        }
    }

    /// Whether the operator needs several pages of one walk.
    pub fn needs_walk(self) -> bool {
        matches!(
            self,
            Mutation::DuplicateIdAcrossPages | Mutation::BreakOffsetSequence
        )
    }

    /// The rule the verifier must report for this mutation.
    pub fn rule(self) -> Rule {
        match self {
            Mutation::ItemsBeyondLimit => Rule::ResultsOverLimit,
            Mutation::DuplicateIdAcrossPages => Rule::DuplicateSessionId,
            Mutation::BreakOffsetSequence => Rule::OffsetSequence,
            _ => Rule::Schema,
        }
    }
}

impl fmt::Display for Mutation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// An id that names no mutation operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown mutation {0:?}")]
pub struct UnknownMutation(pub String);

impl FromStr for Mutation {
    type Err = UnknownMutation;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mutation::ALL
            .iter()
            .copied()
            .find(|m| m.id() == s)
            .ok_or_else(|| UnknownMutation(s.to_owned()))
    }
}

/// Where a mutation was made and what the verifier must say there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// Index of the mutated page in the slice.
    pub page: usize,
    /// The rule that must be reported.
    pub rule: Rule,
    /// The JSON pointer the finding must carry.
    pub pointer: String,
    /// What was done, for failure messages.
    pub change: String,
}

/// A place in a page the schema describes: its pointer and its shape.
struct Site<'s> {
    pointer: String,
    shape: &'s Shape,
}

/// Applies `mutation` to `pages` (one page, or the pages of a walk) at a place chosen by `pick`;
/// `None` when the pages offer no place for it (no enum present, a walk of one page, ...).
pub fn mutate(
    generator: &Generator,
    pages: &mut [GeneratedPage],
    mutation: Mutation,
    pick: u64,
) -> Option<Expectation> {
    if pages.is_empty() {
        return None;
    }
    let root = Shape::Object(generator.page_shape().clone());
    let rule = mutation.rule();
    let chosen = |n: usize| (pick % n.max(1) as u64) as usize;
    match mutation {
        Mutation::DuplicateIdAcrossPages => {
            let mut candidates = Vec::new();
            for (q, page) in pages.iter().enumerate() {
                // A page whose every session repeats is a loop (`page-loop`), not a duplicate.
                if results(page).len() < 2 {
                    continue;
                }
                for i in 0..results(page).len() {
                    for (p, earlier) in pages.iter().enumerate().take(q) {
                        let last = results(earlier).len().saturating_sub(1);
                        for k in 0..results(earlier).len() {
                            // The previous page's last id opening this page is the shape of a
                            // moving collection (`collection-shifted`) when the times agree.
                            if p + 1 == q && i == 0 && k == last {
                                continue;
                            }
                            candidates.push((q, i, p, k));
                        }
                    }
                }
            }
            if candidates.is_empty() {
                return None;
            }
            let (q, i, p, k) = candidates[chosen(candidates.len())];
            let mut id = results(&pages[p])[k].get("id")?.as_str()?.to_owned();
            // Ids are compared without regard to case (D15).
            if pick & (1 << 40) != 0 {
                id = id.to_ascii_uppercase();
            }
            let target = pages[q].body.pointer_mut(&format!("/results/{i}/id"))?;
            *target = Value::String(id.clone());
            Some(Expectation {
                page: q,
                rule,
                pointer: format!("/results/{i}/id"),
                change: format!("page {q} session {i} takes id {id} of page {p}"),
            })
        }
        Mutation::BreakOffsetSequence => {
            let q = chosen(pages.len());
            let page = &mut pages[q];
            let delta = 1 + (pick >> 8) % page.limit.max(1);
            let offset = page.offset;
            let new = if offset >= delta && pick & (1 << 20) != 0 {
                offset - delta
            } else {
                offset + delta
            };
            *page.body.get_mut("offset")? = Value::from(new);
            Some(Expectation {
                page: q,
                rule,
                pointer: "/offset".to_owned(),
                change: format!("page {q} offset {offset} -> {new}"),
            })
        }
        Mutation::LimitPastMax => {
            let q = chosen(pages.len());
            let limit = generator.max_limit() + 1 + (pick >> 8) % 1000;
            *pages[q].body.get_mut("limit")? = Value::from(limit);
            Some(Expectation {
                page: q,
                rule,
                pointer: "/limit".to_owned(),
                change: format!("limit {limit}"),
            })
        }
        Mutation::ItemsBeyondLimit => {
            let q = chosen(pages.len());
            let page = &mut pages[q];
            let limit = page.body.get("limit")?.as_u64()? as usize;
            let job_id = page.job_id.clone();
            let items = page.body.get_mut("results")?.as_array_mut()?;
            let mut seen: HashSet<String> = items
                .iter()
                .filter_map(|s| s.get("id")?.as_str().map(str::to_ascii_lowercase))
                .collect();
            let extra = (limit + 1 + (pick >> 8) as usize % 2).saturating_sub(items.len());
            for n in 0..extra {
                let mut session = match items.get(n % items.len().max(1)) {
                    Some(s) => s.clone(),
                    None => generator.session(pick, &job_id, n as u64),
                };
                crate::generate::unique_id(&mut session, &mut seen, (1 << 47) | n as u64);
                items.push(session);
            }
            Some(Expectation {
                page: q,
                rule,
                pointer: "/results".to_owned(),
                change: format!("{} sessions under limit {limit}", items.len()),
            })
        }
        Mutation::DropRequired => {
            let mut candidates = Vec::new();
            for (q, page) in pages.iter().enumerate() {
                required_places(&root, &page.body, "", &mut |object, name| {
                    candidates.push((q, object.to_owned(), name.to_owned()))
                });
            }
            if candidates.is_empty() {
                return None;
            }
            let (q, object, name) = candidates.swap_remove(chosen(candidates.len()));
            pages[q]
                .body
                .pointer_mut(&object)?
                .as_object_mut()?
                .remove(&name);
            Some(Expectation {
                page: q,
                rule,
                change: format!("dropped {name:?} from {object:?}"),
                pointer: object,
            })
        }
        Mutation::ChangeType
        | Mutation::OutsideEnum
        | Mutation::NegativeCount
        | Mutation::BreakUuid
        | Mutation::BreakDateTime => {
            let mut candidates = Vec::new();
            for (q, page) in pages.iter().enumerate() {
                let mut sites = Vec::new();
                collect_sites(&root, &page.body, "", &mut sites);
                for site in sites {
                    let value = page.body.pointer(&site.pointer)?;
                    if let Some(new) = replacement(mutation, site.shape, value, pick) {
                        candidates.push((q, site.pointer, new));
                    }
                }
            }
            if candidates.is_empty() {
                return None;
            }
            let (q, pointer, new) = candidates.swap_remove(chosen(candidates.len()));
            let target = pages[q].body.pointer_mut(&pointer)?;
            let change = format!("{pointer}: {target} -> {new}");
            *target = new;
            Some(Expectation {
                page: q,
                rule,
                pointer,
                change,
            })
        }
    }
}

fn results(page: &GeneratedPage) -> &[Value] {
    page.body
        .get("results")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The value that breaks `value` (of `shape`) the way `mutation` does, if it applies here.
fn replacement(mutation: Mutation, shape: &Shape, value: &Value, pick: u64) -> Option<Value> {
    let variant = shape.variant_for(value);
    match (mutation, variant) {
        (Mutation::ChangeType, _) => {
            let allowed = shape.json_types();
            [
                Value::Bool(true),
                Value::from(7),
                Value::from("text"),
                Value::Array(Vec::new()),
            ]
            .into_iter()
            .find(|v| !allowed.contains(&json_type(v)))
        }
        (Mutation::OutsideEnum, Shape::Enum(values)) => {
            let mut candidate = "NotInTheContract".to_owned();
            while values.contains(&Value::String(candidate.clone())) {
                candidate.push('X');
            }
            Some(Value::String(candidate))
        }
        (Mutation::NegativeCount, Shape::Integer { min, .. }) if *min >= 0 => {
            Some(Value::from(-1 - (pick >> 8) as i64 % 1000))
        }
        (
            Mutation::BreakUuid,
            Shape::String {
                format: Some(f), ..
            },
        ) if f == "uuid" => {
            let text = value.as_str()?;
            let broken = if pick & (1 << 16) != 0 {
                text[..text.len().saturating_sub(1)].to_owned()
            } else {
                let hex: Vec<usize> = text
                    .char_indices()
                    .filter(|(_, c)| c.is_ascii_hexdigit())
                    .map(|(i, _)| i)
                    .collect();
                let at = *hex.get((pick >> 24) as usize % hex.len().max(1))?;
                let mut broken = text.to_owned();
                broken.replace_range(at..at + 1, "g");
                broken
            };
            Some(Value::String(broken))
        }
        (
            Mutation::BreakDateTime,
            Shape::String {
                format: Some(f), ..
            },
        ) if f == "date-time" => {
            let text = value.as_str()?;
            if text.len() < 20 || !text.is_ascii() {
                return Some(Value::String("yesterday".to_owned()));
            }
            let broken = match (pick >> 16) % 3 {
                // A month that does not exist.
                0 => format!("{}13{}", &text[..5], &text[7..]),
                // No offset: a local time the reader cannot place.
                1 => {
                    let end = text[19..]
                        .find(['Z', '+', '-'])
                        .map_or(text.len(), |i| 19 + i);
                    text[..end].to_owned()
                }
                // A date and a time without the `T` between them or a space.
                _ => format!("{}_{}", &text[..10], &text[11..]),
            };
            Some(Value::String(broken))
        }
        _ => None,
    }
}

/// Every value below `value` that the schema describes, with its shape.
fn collect_sites<'s>(shape: &'s Shape, value: &Value, pointer: &str, out: &mut Vec<Site<'s>>) {
    match (shape.variant_for(value), value) {
        (Shape::Object(object), Value::Object(map)) => {
            for (key, child) in map {
                let Some(child_shape) = object
                    .property(key)
                    .map(|p| &p.shape)
                    .or(object.additional.as_deref())
                else {
                    continue;
                };
                let here = format!("{pointer}/{}", escape(key));
                collect_sites(child_shape, child, &here, out);
                out.push(Site {
                    pointer: here,
                    shape: child_shape,
                });
            }
        }
        (Shape::Array { items, .. }, Value::Array(values)) => {
            for (i, child) in values.iter().enumerate() {
                let here = format!("{pointer}/{i}");
                collect_sites(items, child, &here, out);
                out.push(Site {
                    pointer: here,
                    shape: items,
                });
            }
        }
        _ => {}
    }
}

/// Calls `found(object pointer, name)` for every required property present below `value`.
fn required_places(shape: &Shape, value: &Value, pointer: &str, found: &mut dyn FnMut(&str, &str)) {
    match (shape.variant_for(value), value) {
        (Shape::Object(object), Value::Object(map)) => {
            for property in &object.properties {
                if property.required && map.contains_key(&property.name) {
                    found(pointer, &property.name);
                }
            }
            for (key, child) in map {
                if let Some(child_shape) = object
                    .property(key)
                    .map(|p| &p.shape)
                    .or(object.additional.as_deref())
                {
                    required_places(
                        child_shape,
                        child,
                        &format!("{pointer}/{}", escape(key)),
                        found,
                    );
                }
            }
        }
        (Shape::Array { items, .. }, Value::Array(values)) => {
            for (i, child) in values.iter().enumerate() {
                required_places(items, child, &format!("{pointer}/{i}"), found);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;
    use serde_json::json;

    use super::*;
    use crate::Contract;

    /// The seeded page of job `j` at `offset`/`limit` (full, of a longer collection) after
    /// `mutation` with `pick`.
    fn mutated_page(mutation: Mutation, offset: u64, limit: u64, pick: u64) -> Value {
        let contract = Contract::embedded().unwrap();
        let generator = Generator::new(&contract).unwrap();
        let body = generator.page(1, "j", offset, limit, offset + limit + 1);
        let mut pages = [GeneratedPage {
            job_id: "j".into(),
            offset,
            limit,
            body,
        }];
        mutate(&generator, &mut pages, mutation, pick).expect("the page offers a place");
        let [page] = pages;
        page.body
    }

    #[test]
    fn a_duplicate_across_pages_never_takes_the_shape_of_a_shifted_collection() {
        let contract = Contract::embedded().unwrap();
        let generator = Generator::new(&contract).unwrap();
        let walks = generator.walk_strategy();
        let mut runner = TestRunner::deterministic();
        let mut tried = 0;
        // Bounded, so that walks that never qualify fail the test instead of hanging it.
        for _ in 0..2_000 {
            if tried == 20 {
                break;
            }
            let walk = walks.new_tree(&mut runner).unwrap().current();
            let two_full =
                walk.pages.len() == 2 && walk.pages.iter().all(|p| results(p).len() >= 2);
            if !two_full {
                continue;
            }
            tried += 1;
            // Bit 40 of the pick writes the repeated id in upper case (ids compare without case).
            for pick in (0..64).chain((0..64).map(|p| p | 1 << 40)) {
                let mut pages = walk.pages.clone();
                let expect = mutate(
                    &generator,
                    &mut pages,
                    Mutation::DuplicateIdAcrossPages,
                    pick,
                )
                .expect("two pages of two sessions offer a place");
                let last_before = results(&pages[0]).last().unwrap()["id"].clone();
                let first_after = &results(&pages[1])[0]["id"];
                assert!(
                    !(expect.pointer == "/results/0/id"
                        && first_after.as_str().map(str::to_ascii_lowercase)
                            == last_before.as_str().map(str::to_ascii_lowercase)),
                    "pick {pick}: {}",
                    expect.change
                );
                let taken = pages[expect.page].body.pointer(&expect.pointer).unwrap();
                let taken = taken.as_str().unwrap();
                if pick & 1 << 40 != 0 {
                    assert_eq!(taken, taken.to_ascii_uppercase(), "pick {pick}");
                } else {
                    // Written exactly as the earlier page has it.
                    let verbatim = walk.pages[..expect.page]
                        .iter()
                        .flat_map(|p| results(p).iter())
                        .any(|s| s["id"] == taken);
                    assert!(verbatim, "pick {pick}: {taken}");
                }
            }
        }
        assert_eq!(tried, 20, "walks of two full pages are drawn");
    }

    #[test]
    fn required_places_reach_into_the_sessions_of_a_page() {
        let contract = Contract::embedded().unwrap();
        let generator = Generator::new(&contract).unwrap();
        let root = Shape::Object(generator.page_shape().clone());
        let page = generator.page(1, "j", 0, 2, 2);
        let mut places = Vec::new();
        required_places(&root, &page, "", &mut |object, name| {
            places.push(format!("{object}#{name}"));
        });
        for place in ["#offset", "#results", "/results/0#id", "/results/1#id"] {
            assert!(places.iter().any(|p| p == place), "{place} in {places:?}");
        }
    }

    #[test]
    fn a_limit_past_the_maximum_is_past_it_by_one_to_a_thousand() {
        let limit = |pick| mutated_page(Mutation::LimitPastMax, 0, 30, pick)["limit"].as_u64();
        let contract = Contract::embedded().unwrap();
        let generator = Generator::new(&contract).unwrap();
        let max = generator.max_limit();
        assert_eq!(
            [limit(0), limit(7 << 8), limit(999 << 8)],
            [Some(max + 1), Some(max + 8), Some(max + 1000)]
        );
    }

    #[test]
    fn a_negative_count_breaks_only_a_count_that_cannot_be_negative() {
        let count = |min| Shape::Integer { min, max: 100 };
        let value = json!(3);
        let negative = replacement(Mutation::NegativeCount, &count(0), &value, 41 << 8);
        assert_eq!(negative, Some(json!(-42)));
        assert_eq!(
            replacement(Mutation::NegativeCount, &count(-5), &value, 41 << 8),
            None
        );
    }

    #[test]
    fn only_the_operators_that_compare_pages_need_a_walk() {
        let walk: Vec<Mutation> = Mutation::ALL
            .iter()
            .copied()
            .filter(|m| m.needs_walk())
            .collect();
        assert_eq!(
            walk,
            [
                Mutation::DuplicateIdAcrossPages,
                Mutation::BreakOffsetSequence
            ]
        );
    }

    #[test]
    fn items_beyond_the_limit_are_one_or_two_past_it() {
        let held = |pick| {
            let page = mutated_page(Mutation::ItemsBeyondLimit, 0, 3, pick);
            page["results"].as_array().map(Vec::len)
        };
        assert_eq!(
            [held(0), held(1 << 8), held(2 << 8)],
            [Some(4), Some(5), Some(4)]
        );
    }

    #[test]
    fn a_broken_uuid_is_cut_short_or_takes_a_g_where_a_hex_digit_was() {
        let shape = Shape::String {
            format: Some("uuid".to_owned()),
            min_length: 36,
            max_length: Some(36),
        };
        let value = json!("196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5");
        let broken = |pick| replacement(Mutation::BreakUuid, &shape, &value, pick).unwrap();
        assert_eq!(broken(1 << 16), "196e4df2-0faf-4b8e-ba17-ce8c0eb4edc");
        assert_eq!(broken(0), "g96e4df2-0faf-4b8e-ba17-ce8c0eb4edc5");
        assert_eq!(
            broken(2 << 24),
            "196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5".replacen('6', "g", 1)
        );
    }

    #[test]
    fn a_broken_offset_moves_back_or_forward_as_the_pick_says() {
        let moved = |offset, pick| {
            mutated_page(Mutation::BreakOffsetSequence, offset, 30, pick)["offset"].clone()
        };
        // The step is 1 + (pick >> 8) % limit; bit 20 asks to move back. With bit 20 set,
        // `pick >> 8` is 4096 + 19, and 4115 % 30 is 5: a step of 6, as without it for 5.
        let back = (19 << 8) | (1 << 20);
        assert_eq!(moved(60, back), 54);
        assert_eq!(moved(60, 5 << 8), 66);
        // Not below zero: an offset smaller than the step moves forward.
        assert_eq!(moved(3, back), 9);
    }

    #[test]
    fn a_broken_date_time_keeps_its_shape_but_one_part() {
        let shape = Shape::String {
            format: Some("date-time".to_owned()),
            min_length: 0,
            max_length: Some(64),
        };
        let value = json!("2026-11-29T05:33:15.1234567+01:00");
        let broken: Vec<Value> = (0..3)
            .map(|kind| replacement(Mutation::BreakDateTime, &shape, &value, kind << 16).unwrap())
            .collect();
        assert_eq!(
            broken,
            [
                json!("2026-13-29T05:33:15.1234567+01:00"),
                json!("2026-11-29T05:33:15.1234567"),
                json!("2026-11-29_05:33:15.1234567+01:00"),
            ]
        );
        // Twenty characters are enough to break a part of.
        let twenty = json!("2026-11-29T05:33:15Z");
        assert_eq!(
            replacement(Mutation::BreakDateTime, &shape, &twenty, 0),
            Some(json!("2026-13-29T05:33:15Z"))
        );
        let short = replacement(Mutation::BreakDateTime, &shape, &json!("2026-11-29"), 0);
        assert_eq!(short, Some(json!("yesterday")));
    }
}
