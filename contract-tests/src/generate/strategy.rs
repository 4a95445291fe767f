//! Proptest strategies for values of a [`Shape`], realistic where a `format` says what real data
//! looks like.

use chrono::{DateTime, FixedOffset};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::{BoxedStrategy, Union};
use serde_json::{Map, Value};

use super::shape::{DRAWN_MAX, OPEN_STRING_MAX, ObjectShape, Shape};

/// A proptest strategy for values of `shape`, realistic where the format says what real data
/// looks like.
pub fn strategy(shape: &Shape) -> BoxedStrategy<Value> {
    match shape {
        Shape::Null => Just(Value::Null).boxed(),
        Shape::Boolean => any::<bool>().prop_map(Value::Bool).boxed(),
        Shape::Integer { min, max } => integer(*min, *max),
        Shape::Number { min, max } => {
            let (min, max) = (*min, (*max).max(*min));
            (min..=max)
                .prop_map(|n| serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number))
                .boxed()
        }
        Shape::String {
            format,
            min_length,
            max_length,
        } => string(
            format.as_deref(),
            *min_length,
            max_length.map_or(min_length + OPEN_STRING_MAX, |max| max.min(DRAWN_MAX)),
        ),
        Shape::Enum(values) if values.is_empty() => Just(Value::Null).boxed(),
        Shape::Enum(values) => select(values.clone()).boxed(),
        Shape::Array { items, min, max } => vec(strategy(items), *min..=(*max).max(*min))
            .prop_map(Value::Array)
            .boxed(),
        Shape::Object(object) => object_strategy(object),
        Shape::OneOf(shapes) if shapes.is_empty() => Just(Value::Null).boxed(),
        // `null` is the rarer case of a nullable value; listing it first makes it the shrink target.
        Shape::OneOf(shapes) if shapes.len() == 2 && shapes.contains(&Shape::Null) => {
            let other = shapes
                .iter()
                .find(|s| **s != Shape::Null)
                .unwrap_or(&Shape::Null);
            sometimes(strategy(other))
                .prop_map(|v| v.unwrap_or(Value::Null))
                .boxed()
        }
        Shape::OneOf(shapes) => Union::new_weighted(
            shapes
                .iter()
                .map(|s| (if *s == Shape::Null { 1 } else { 4 }, strategy(s)))
                .collect(),
        )
        .boxed(),
        Shape::Any => prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(Value::from),
            "[a-z]{0,8}".prop_map(Value::String),
        ]
        .boxed(),
    }
}

/// Relation names of generated link maps (`_links` keys); the schema only says "a map of links".
const RELATIONS: &[&str] = &["self", "job", "log", "details"];

pub(crate) fn object_strategy(object: &ObjectShape) -> BoxedStrategy<Value> {
    let fields: Vec<BoxedStrategy<Option<(String, Value)>>> = object
        .properties
        .iter()
        .map(|p| {
            let name = p.name.clone();
            let value = strategy(&p.shape);
            if p.required {
                value.prop_map(move |v| Some((name.clone(), v))).boxed()
            } else {
                sometimes(value)
                    .prop_map(move |v| v.map(|v| (name.clone(), v)))
                    .boxed()
            }
        })
        .collect();
    let extra = match &object.additional {
        Some(shape) => btree_map(
            select(RELATIONS).prop_map(str::to_owned),
            strategy(shape),
            0..=RELATIONS.len(),
        )
        .boxed(),
        None => Just(Default::default()).boxed(),
    };
    (fields, extra)
        .prop_map(|(fields, extra)| {
            let mut map: Map<String, Value> = fields.into_iter().flatten().collect();
            for (key, value) in extra {
                map.entry(key).or_insert(value);
            }
            Value::Object(map)
        })
        .boxed()
}

/// Integers within `min..=max`, mostly small, sometimes around 2^31 (clients that read counts
/// into 32 bits break there, D3), sometimes terabyte-sized, sometimes anywhere. One tuple rather
/// than a union of ranges: proptest forks the RNG for every arm of a union, which dominated the
/// cost of a session. Both parts shrink to 0, so a failing value shrinks to `min`.
fn integer(min: i64, max: i64) -> BoxedStrategy<Value> {
    let max = max.max(min);
    let within = move |low: i64, high: i64, raw: u64| {
        let (low, high) = (low.clamp(min, max), high.clamp(min, max));
        let span = (i128::from(high) - i128::from(low)).max(0) as u128 + 1;
        (i128::from(low) + (u128::from(raw) % span) as i128) as i64
    };
    let edge = 1i64 << 31;
    let has_edge = min <= edge && edge <= max;
    (0u8..10, any::<u64>())
        .prop_map(move |(arm, raw)| {
            let n = match arm {
                0..=4 => within(min, min.saturating_add(1000), raw),
                5 if has_edge => within(edge - 8, edge + 8, raw),
                5..=7 if max > 1_000_000 => within(1_000_000, 1 << 45, raw),
                _ => within(min, max, raw),
            };
            Value::from(n)
        })
        .boxed()
}

/// `Some` four times in five; `None` is the shrink target. Drawn without a union (see `integer`).
fn sometimes<T: std::fmt::Debug + Clone + 'static>(
    value: BoxedStrategy<T>,
) -> BoxedStrategy<Option<T>> {
    (0u8..5, value)
        .prop_map(|(k, v)| (k > 0).then_some(v))
        .boxed()
}

fn string(format: Option<&str>, min: usize, max: usize) -> BoxedStrategy<Value> {
    match format {
        Some("uuid") => uuid().prop_map(Value::String).boxed(),
        Some("date-time") => date_time().prop_map(Value::String).boxed(),
        Some("uri" | "uri-reference") => (0..1000u32, any::<bool>())
            .prop_map(|(n, relative)| {
                let path = format!("/v5/Items/{n}");
                Value::String(if relative {
                    path
                } else {
                    format!("{}{path}", HOSTS[n as usize % HOSTS.len()])
                })
            })
            .boxed(),
        _ => {
            const CHARS: &[char] = &[
                'a', 'b', 'c', 'e', 'k', 'o', 'p', 'r', 's', 't', 'B', 'J', 'V', '0', '1', '7',
                ' ', '-', '_', '.',
            ];
            vec(select(CHARS), min..=max.max(min))
                .prop_map(|chars| Value::String(chars.into_iter().collect()))
                .boxed()
        }
    }
}

/// A version-4 uuid, in lower or upper case (both are valid, D15).
pub fn uuid() -> BoxedStrategy<String> {
    (any::<[u8; 16]>(), proptest::bool::weighted(0.25))
        .prop_map(|(bytes, upper)| render_uuid(bytes, upper))
        .boxed()
}

pub(crate) fn render_uuid(bytes: [u8; 16], upper: bool) -> String {
    let id = uuid::Builder::from_random_bytes(bytes).into_uuid();
    if upper {
        id.hyphenated()
            .encode_upper(&mut uuid::Uuid::encode_buffer())
            .to_owned()
    } else {
        id.hyphenated().to_string()
    }
}

/// Offsets of generated timestamps in minutes east of UTC; `None` is `Z`.
const OFFSETS: &[Option<i32>] = &[None, Some(-420), Some(0), Some(60), Some(330), Some(-300)];
/// 2019-01-01T00:00:00Z and 2027-01-01T00:00:00Z: the lifetime of the v5 API and then some.
const EPOCH_RANGE: std::ops::Range<i64> = 1_546_300_800..1_798_761_600;

/// An RFC 3339 timestamp with 0 to 7 fractional digits and a `Z` or numeric offset (D6).
pub fn date_time() -> BoxedStrategy<String> {
    (EPOCH_RANGE, 0u32..10_000_000, 0usize..=7, select(OFFSETS))
        .prop_map(|(seconds, ticks, digits, offset)| render_time(seconds, ticks, digits, offset))
        .boxed()
}

/// Renders an instant the way .NET and other servers do: `digits` fractional digits of the
/// 100 ns `ticks`, then `Z` (offset `None`) or `±hh:mm`.
pub fn render_time(seconds: i64, ticks: u32, digits: usize, offset: Option<i32>) -> String {
    let utc = DateTime::from_timestamp(seconds, 0).unwrap_or_default();
    let zone = FixedOffset::east_opt(offset.unwrap_or(0) * 60)
        .unwrap_or(FixedOffset::east_opt(0).expect("zero offset"));
    let local = utc.with_timezone(&zone);
    let mut text = local.format("%Y-%m-%dT%H:%M:%S").to_string();
    if digits > 0 {
        let digits = digits.min(7);
        let fraction = ticks % 10_000_000 / 10u32.pow(7 - digits as u32);
        text.push_str(&format!(".{fraction:0digits$}"));
    }
    match offset {
        None => text.push('Z'),
        Some(_) => text.push_str(&local.format("%:z").to_string()),
    }
    text
}

/// Hosts of absolute links; a generator with a base URL uses that instead.
pub(crate) const HOSTS: &[&str] = &[
    "https://vbo.example.com:4443",
    "https://10.20.30.40:4443",
    "https://backup01.contoso.local:4443",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{SEED_LEN, draw};

    #[test]
    fn an_integer_whose_maximum_is_a_million_is_drawn_across_its_range() {
        // Draws past a million are for ranges that go past it; at a maximum of exactly a
        // million that arm would clamp each of its draws to the maximum.
        let drawn = |max: i64| -> Vec<i64> {
            (0..200u8)
                .map(|s| draw(&integer(0, max), [s; SEED_LEN]).as_i64().unwrap())
                .collect()
        };
        let at_max = drawn(1_000_000).iter().filter(|&&n| n == 1_000_000).count();
        assert!(at_max < 5, "{at_max} of 200 draws are the maximum");
        let past = drawn(2_000_000).iter().filter(|&&n| n > 1_000_000).count();
        assert!(past > 20, "only {past} of 200 draws go past a million");
    }

    #[test]
    fn timestamps_render_digits_and_offsets() {
        assert_eq!(
            render_time(1_607_896_800, 5_852_401, 7, None),
            "2020-12-13T22:00:00.5852401Z"
        );
        assert_eq!(
            render_time(1_607_896_800, 5_852_401, 0, Some(-420)),
            "2020-12-13T15:00:00-07:00"
        );
        assert_eq!(
            render_time(1_607_896_800, 5_852_401, 3, Some(330)),
            "2020-12-14T03:30:00.585+05:30"
        );
    }
}
