//! The realistic layer of the seeded API: sessions shaped like the vendor's example (the seed's
//! page) rather than spread over the whole schema. A job's sessions are listed newest first
//! (index 0 is the newest), at most the newest one is active (`Running` or `Queued`), statuses
//! follow a plausible mix, counters stay in plausible ranges (all far below 2^53) and links are
//! absolute, lower-case `self`/`log`/`job` links on the server's origin.
//!
//! Values the schema draws and this layer does not know (a property added to the document) are
//! kept, with any integer among them brought under [`COUNTER_CAP`], so a document change still
//! shows in realistic data.

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value, json};

use super::seed::mix;
use super::shape::Shape;
use super::strategy::render_time;
use crate::operation::encode_segment;

/// Which data the seeded API draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum GeneratorMode {
    /// The whole range of the schema, edge cases included: counters anywhere in int64, relative
    /// `/v6/...` links, a `details` relation, upper-case ids, any status anywhere, any number of
    /// fractional digits and offsets. What property tests, conformance and benchmarks draw.
    #[default]
    Edge,
    /// Data shaped like the vendor's example: see the module documentation and README.
    Realistic,
}

impl GeneratorMode {
    /// Every mode.
    pub const ALL: &'static [GeneratorMode] = &[GeneratorMode::Realistic, GeneratorMode::Edge];

    /// The mode's id, as `cargo xtask mock --data` takes it.
    pub fn id(self) -> &'static str {
        match self {
            GeneratorMode::Edge => "edge",
            GeneratorMode::Realistic => "realistic",
        }
    }
}

impl fmt::Display for GeneratorMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A data mode id that is not known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown data mode {0:?}; expected one of: realistic, edge")]
pub struct UnknownMode(pub String);

impl FromStr for GeneratorMode {
    type Err = UnknownMode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GeneratorMode::ALL
            .iter()
            .copied()
            .find(|m| m.id() == s)
            .ok_or_else(|| UnknownMode(s.to_owned()))
    }
}

/// Every integer of realistic data is below this (10^7 unless a range below says less), except
/// the byte counters, which stay below [`BYTES_CAP`].
pub const COUNTER_CAP: i64 = 10_000_000;
/// Byte counters (`transferredDataBytes`, the byte rates) stay below 2^50 (1 PiB).
pub const BYTES_CAP: i64 = 1 << 50;

/// 100 ns ticks in a second (the resolution of the vendor's timestamps).
const TICKS: i64 = 10_000_000;
/// The newest session of every job starts within three years after the seed's example
/// (2020-12-13T22:00:00Z).
const ANCHOR: i64 = 1_607_896_800;
/// Schedules jobs run on, in seconds: every 15 minutes, hourly, every 4 hours, twice a day, daily.
const INTERVALS: &[i64] = &[900, 3600, 4 * 3600, 12 * 3600, 86_400];
/// Sessions follow the schedule back this far (5 years); older ones, only in very large mock
/// jobs, are packed [`PACKED_SPACING`] apart so every timestamp stays a plausible date.
const SCHEDULED_SPAN: i64 = 5 * 365 * 86_400;
/// Seconds between the older, packed sessions.
const PACKED_SPACING: i64 = 10;
const SALT: u64 = 0x7ea1_157c;

/// A SplitMix64 stream, seeded per session.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `low..=high`.
    fn range(&mut self, low: i64, high: i64) -> i64 {
        let span = (high - low).max(0) as u64 + 1;
        low + (self.next() % span) as i64
    }

    /// Log-uniform in `low..=high` (both > 0): small values as often as large ones per decade.
    fn log_range(&mut self, low: i64, high: i64) -> i64 {
        let (lo, hi) = ((low.max(1) as f64).ln(), (high.max(1) as f64).ln());
        let unit = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((lo + (hi - lo) * unit).exp() as i64).clamp(low, high)
    }

    /// One of `choices` by weight.
    fn pick<'a>(&mut self, choices: &[(&'a str, u64)]) -> &'a str {
        let total: u64 = choices.iter().map(|(_, w)| w).sum();
        let mut roll = self.next() % total.max(1);
        for (choice, weight) in choices {
            if roll < *weight {
                return choice;
            }
            roll -= weight;
        }
        choices.last().map_or("", |(c, _)| c)
    }
}

/// Statuses of finished sessions, by weight (per thousand).
const FINISHED: &[(&str, u64)] = &[
    ("Success", 780),
    ("Warning", 100),
    ("Failed", 60),
    ("Stopped", 30),
    ("Disconnected", 20),
    ("NotConfigured", 10),
];
/// The newest session's status: running or queued now and then, else finished.
const NEWEST: &[(&str, u64)] = &[("Running", 200), ("Queued", 50), ("finished", 750)];
/// Every status this layer knows; a status the document adds is kept as the schema drew it.
const KNOWN: &[&str] = &[
    "Stopped",
    "Running",
    "Success",
    "Warning",
    "Failed",
    "Disconnected",
    "NotConfigured",
    "Queued",
];
const BOTTLENECKS: &[(&str, u64)] = &[
    ("Target", 35),
    ("Source", 35),
    ("N/A", 25),
    ("Detecting", 5),
];

/// The schedule of one job: the newest session's start and the interval between sessions.
struct Schedule {
    newest: i64,
    interval: i64,
}

impl Schedule {
    fn of(seed: u64, job_id: &str) -> Self {
        let mut dice = Dice(mix(seed, job_id, 0, SALT ^ 0x50b));
        let interval = INTERVALS[(dice.next() % INTERVALS.len() as u64) as usize];
        let newest = ANCHOR + dice.range(0, 3 * 365 * 86_400);
        Self { newest, interval }
    }

    /// When session `index` started, in ticks since the epoch: strictly decreasing in `index`.
    fn start(&self, index: u64, dice: &mut Dice) -> i64 {
        let scheduled = (SCHEDULED_SPAN / self.interval).max(1) as u64;
        let (back, spacing) = if index < scheduled {
            (index as i64 * self.interval, self.interval)
        } else {
            let extra = (index - scheduled).min(1 << 40) as i64;
            (
                scheduled as i64 * self.interval + extra * PACKED_SPACING,
                PACKED_SPACING,
            )
        };
        // A start a little after the scheduled minute, never reaching the next one.
        let jitter = dice.range(0, spacing * TICKS / 4 - 1);
        (self.newest - back) * TICKS + jitter
    }
}

/// Renders ticks since the epoch as the vendor does: seven fractional digits and `Z`.
fn timestamp(ticks: i64) -> String {
    render_time(
        ticks.div_euclid(TICKS),
        ticks.rem_euclid(TICKS) as u32,
        7,
        None,
    )
}

/// Reshapes `session` (drawn from the schema) into session `index` of `job_id`: index 0 is the
/// newest. Its links are set by [`links`] once its id is final.
pub(crate) fn session(session: &mut Value, shape: &Shape, seed: u64, job_id: &str, index: u64) {
    let Value::Object(map) = session else {
        return;
    };
    let mut dice = Dice(mix(seed, job_id, index, SALT));
    let schedule = Schedule::of(seed, job_id);
    let start = schedule.start(index, &mut dice);
    let drawn = map.get("status").and_then(Value::as_str).map(str::to_owned);
    let status = match drawn {
        // A value the document added: keep it, so a document change shows here too.
        Some(other) if !KNOWN.contains(&other.as_str()) => other,
        _ => {
            let newest = if index == 0 {
                dice.pick(NEWEST)
            } else {
                "finished"
            };
            if newest == "finished" {
                dice.pick(FINISHED).to_owned()
            } else {
                newest.to_owned()
            }
        }
    };
    let active = matches!(status.as_str(), "Running" | "Queued");
    // Finished sessions took between 30 s and most of the interval (at most 8 hours).
    let longest = (schedule.interval * 4 / 5).clamp(60, 8 * 3600);
    let duration = if active {
        0
    } else {
        dice.log_range(30, longest)
    };
    if let Some(id) = map.get_mut("id").and_then(|v| match v {
        Value::String(s) => Some(s),
        _ => None,
    }) {
        id.make_ascii_lowercase();
    }
    map.insert("creationTime".to_owned(), Value::from(timestamp(start)));
    if active {
        map.remove("endTime");
    } else {
        let end = start + duration * TICKS + dice.range(0, TICKS - 1);
        map.insert("endTime".to_owned(), Value::from(timestamp(end)));
    }
    map.insert("status".to_owned(), Value::from(status.as_str()));

    let queued = status == "Queued";
    let objects = if queued {
        0
    } else {
        dice.log_range(1, 1_000_000)
    };
    let progress = if active {
        dice.range(0, objects)
    } else {
        objects
    };
    map.insert("progress".to_owned(), Value::from(progress));
    let seconds = duration.max(1);
    let read = if queued {
        0
    } else {
        dice.log_range(1 << 10, 1 << 30)
    };
    let processing = read * dice.range(50, 100) / 100;
    let write = read * dice.range(1, 100) / 100;
    let (mut statistics, invented) = match map.remove("statistics") {
        Some(Value::Object(drawn)) => (drawn, false),
        _ => (Map::new(), true),
    };
    let counters = [
        ("processingRateBytesPS", processing),
        ("processingRateItemsPS", objects / seconds),
        ("readRateBytesPS", read),
        ("writeRateBytesPS", write),
        ("transferredDataBytes", write * seconds),
        ("processedObjects", objects),
    ];
    for (name, value) in counters {
        statistics.insert(name.to_owned(), Value::from(value));
    }
    let bottleneck = if active {
        "Detecting"
    } else {
        dice.pick(BOTTLENECKS)
    };
    statistics.insert("bottleneck".to_owned(), Value::from(bottleneck));
    let order = [
        "processingRateBytesPS",
        "processingRateItemsPS",
        "readRateBytesPS",
        "writeRateBytesPS",
        "transferredDataBytes",
        "processedObjects",
        "bottleneck",
    ];
    // An object the draw left out is added only when it holds every statistic the document
    // requires: one that requires another (a document's addition) leaves it out, as drawn.
    if !invented || requires_only(shape, "statistics", &order) {
        map.insert(
            "statistics".to_owned(),
            Value::Object(in_order(statistics, &order)),
        );
    }
    let order = [
        "id",
        "creationTime",
        "endTime",
        "progress",
        "status",
        "statistics",
        "_links",
    ];
    *map = in_order(std::mem::take(map), &order);

    cap_integers(session, shape);
}

/// `map` with the properties named in `order` first, in that order (the seed example's), then
/// the rest as they were.
fn in_order(mut map: Map<String, Value>, order: &[&str]) -> Map<String, Value> {
    let mut ordered = Map::new();
    for name in order {
        if let Some(value) = map.remove(*name) {
            ordered.insert((*name).to_owned(), value);
        }
    }
    ordered.extend(map);
    ordered
}

/// Sets the session's `self`, `log` and `job` links, absolute and lower-case on `host`, as the
/// seed's example has them (and no other relation).
pub(crate) fn links(session: &mut Value, job_id: &str, host: &str) {
    let Value::Object(map) = session else {
        return;
    };
    let id = map.get("id").and_then(Value::as_str).unwrap_or_default();
    let id = encode_segment(&id.to_ascii_lowercase());
    let job = encode_segment(&job_id.to_ascii_lowercase());
    map.insert(
        "_links".to_owned(),
        json!({
            "self": { "href": format!("{host}/v5/jobsessions/{id}") },
            "log": { "href": format!("{host}/v5/jobsessions/{id}/logitems") },
            "job": { "href": format!("{host}/v5/jobs/{job}") },
        }),
    );
}

/// Keeps only what the seed's example page has (`offset`, `limit`, `results`, `_links`) and
/// whatever the schema requires.
pub(crate) fn page(page: &mut Value, shape: &super::shape::ObjectShape) {
    if let Value::Object(map) = page {
        map.retain(|name, _| {
            matches!(name.as_str(), "offset" | "limit" | "results" | "_links")
                || shape.property(name).is_some_and(|p| p.required)
        });
        map.entry("_links").or_insert_with(|| json!({}));
    }
}

/// Brings every integer above [`COUNTER_CAP`] (or [`BYTES_CAP`] for byte counters) under it,
/// within the bounds of its shape.
fn cap_integers(value: &mut Value, shape: &Shape) {
    match (value, container(shape)) {
        (Value::Object(map), Some(Shape::Object(object))) => {
            for (name, item) in map.iter_mut() {
                let cap = if name.ends_with("BytesPS") || name.ends_with("Bytes") {
                    BYTES_CAP
                } else {
                    COUNTER_CAP
                };
                match object.property(name) {
                    Some(property) => cap_with(item, &property.shape, cap),
                    None => {
                        if let Some(additional) = &object.additional {
                            cap_with(item, additional, cap);
                        }
                    }
                }
            }
        }
        (Value::Array(items), Some(Shape::Array { items: shape, .. })) => {
            for item in items {
                cap_integers(item, shape);
            }
        }
        _ => {}
    }
}

fn cap_with(value: &mut Value, shape: &Shape, cap: i64) {
    let shape = shape.variant_for(value);
    match (value.as_i64(), shape) {
        (Some(n), Shape::Integer { min, max }) if n >= cap => {
            let (low, high) = (*min, (*max).min(cap - 1));
            if low <= high {
                let span = (high - low) as u64 + 1;
                *value = Value::from(low + ((n - low) as u64 % span) as i64);
            }
        }
        _ => cap_integers(value, shape),
    }
}

/// Whether every property that the object at `name` of `shape` requires is in `made` (true
/// when the shape says nothing of it).
fn requires_only(shape: &Shape, name: &str, made: &[&str]) -> bool {
    let object = shape
        .as_object()
        .and_then(|object| object.property(name))
        .and_then(|property| container(&property.shape))
        .and_then(Shape::as_object);
    object.is_none_or(|object| {
        object
            .properties
            .iter()
            .all(|p| !p.required || made.contains(&p.name.as_str()))
    })
}

/// The shape itself when it is an object or array (the containers [`cap_integers`] walks), or
/// the first such variant of a `OneOf`.
fn container(shape: &Shape) -> Option<&Shape> {
    match shape {
        Shape::Object(_) | Shape::Array { .. } => Some(shape),
        Shape::OneOf(shapes) => shapes
            .iter()
            .find(|s| matches!(s, Shape::Object(_) | Shape::Array { .. })),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_integer_at_or_past_its_cap_is_brought_strictly_under_it_and_within_its_minimum() {
        let shape = Shape::Integer {
            min: 7,
            max: i64::MAX,
        };
        let cap = 1_000;
        for n in [cap, cap + 1, cap + 2, 2 * cap - 7, 2 * cap, i64::MAX] {
            let mut value = Value::from(n);
            cap_with(&mut value, &shape, cap);
            let capped = value.as_i64().unwrap();
            assert!((7..cap).contains(&capped), "{n} became {capped}");
        }
        // Numbers past the cap spread over the whole allowed range, one for one.
        let small = 100;
        let spread: std::collections::BTreeSet<i64> = (small..small + 93)
            .map(|n| {
                let mut value = Value::from(n);
                cap_with(&mut value, &shape, small);
                value.as_i64().unwrap()
            })
            .collect();
        assert_eq!(spread, (7..small).collect());
        let mut under = Value::from(cap - 1);
        cap_with(&mut under, &shape, cap);
        assert_eq!(under, Value::from(cap - 1), "a value under the cap is kept");
    }
}
