//! The streaming visitor: reads a body once with `serde_json`, checks every value against the
//! plan as it goes by, and keeps only what the single-response rules and the walk need. It
//! gives up (an error, which stops the parser at once) on anything the plan cannot vouch for:
//! a schema failure, a repeated key, a number written with a fraction or an exponent, an item
//! a rule would flag.

use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::plan::{ANY, Additional, Check, JsonKind, Node, NodeId, Plan, Scalar};

/// Where a value sits, as far as the rules care: the names the rules look values up by
/// (`results`, `_links.next.href`, an item's `id`, ...). Everything else is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ctx {
    /// Nothing a rule reads.
    Other,
    /// The root of a page (an object with `offset`, `limit`, `results`).
    Page,
    /// The root of a list (an array of items).
    List,
    /// A page's `offset`.
    Offset,
    /// A page's `limit`.
    Limit,
    /// A page's `results`.
    Results,
    /// One item of `results` or of a list.
    Item,
    /// An item's `id`.
    Id,
    /// An item's `creationTime`.
    Created,
    /// An item's `endTime`.
    End,
    /// An item's `status`.
    Status,
    /// A page's `_links`.
    PageLinks,
    /// A page's `_links.next`.
    Next,
    /// A page's `_links.next.href`.
    NextHref,
    /// An item's `_links`.
    ItemLinks,
    /// An item's `_links.self`.
    SelfLink,
    /// An item's `_links.self.href`.
    SelfHref,
    /// An item's `_links.job`.
    JobLink,
    /// An item's `_links.job.href`.
    JobHref,
}

impl Ctx {
    /// The place of member `key` of an object at `self`.
    fn member(self, key: &str) -> Ctx {
        // The place first: most members sit where no rule looks, and need no comparison.
        match self {
            Ctx::Page => match key {
                "offset" => Ctx::Offset,
                "limit" => Ctx::Limit,
                "results" => Ctx::Results,
                "_links" => Ctx::PageLinks,
                _ => Ctx::Other,
            },
            Ctx::PageLinks if key == "next" => Ctx::Next,
            Ctx::Next if key == "href" => Ctx::NextHref,
            Ctx::Item => match key {
                "id" => Ctx::Id,
                "creationTime" => Ctx::Created,
                "endTime" => Ctx::End,
                "status" => Ctx::Status,
                "_links" => Ctx::ItemLinks,
                _ => Ctx::Other,
            },
            Ctx::ItemLinks => match key {
                "self" => Ctx::SelfLink,
                "job" => Ctx::JobLink,
                _ => Ctx::Other,
            },
            Ctx::SelfLink if key == "href" => Ctx::SelfHref,
            Ctx::JobLink if key == "href" => Ctx::JobHref,
            _ => Ctx::Other,
        }
    }

    /// The place of the elements of an array at `self`.
    fn element(self) -> Ctx {
        match self {
            Ctx::Results | Ctx::List => Ctx::Item,
            _ => Ctx::Other,
        }
    }
}

/// What the rules read of one item, gathered while it streams by. Text buffers are reused from
/// item to item.
#[derive(Debug, Default)]
pub(crate) struct Item {
    /// `id`, when it is a string.
    pub(crate) id: Option<String>,
    /// Whether `creationTime` is a string (its text in `created`).
    pub(crate) has_created: bool,
    /// `creationTime`'s text.
    pub(crate) created: String,
    /// The hash of `creationTime`'s text, as [`crate::rules::PageFacts`] keeps it.
    pub(crate) created_hash: Option<u64>,
    /// Whether `endTime` is present and not null.
    pub(crate) end_present: bool,
    /// Whether `endTime` is a string (its text in `end`).
    pub(crate) has_end: bool,
    /// `endTime`'s text.
    pub(crate) end: String,
    /// Whether `status` is `Running` or `Queued`.
    pub(crate) active: bool,
    /// Whether `_links.self.href` is a string (its text in `self_href`).
    pub(crate) has_self: bool,
    /// `_links.self.href`.
    pub(crate) self_href: String,
    /// Whether `_links.job.href` is a string (its text in `job_href`).
    pub(crate) has_job: bool,
    /// `_links.job.href`.
    pub(crate) job_href: String,
}

impl Item {
    fn reset(&mut self) {
        self.id = None;
        self.has_created = false;
        self.created_hash = None;
        self.end_present = false;
        self.has_end = false;
        self.active = false;
        self.has_self = false;
        self.has_job = false;
    }
}

/// Everything gathered from one body.
#[derive(Debug, Default)]
pub(crate) struct Gathered {
    /// A page's `offset`, when a non-negative integer.
    pub(crate) offset: Option<u64>,
    /// A page's `limit`, when a non-negative integer.
    pub(crate) limit: Option<u64>,
    /// Whether a page's `_links.next` is present and not null.
    pub(crate) has_next: bool,
    /// A page's `_links.next.href`, when a string.
    pub(crate) next_href: Option<String>,
    /// Number of elements of a list body.
    pub(crate) list_len: usize,
    /// Each item's `id`, in order.
    pub(crate) ids: Vec<Option<String>>,
    /// Each item's `creationTime` hash, in order.
    pub(crate) created: Vec<Option<u64>>,
    /// The item being read.
    item: Item,
}

/// Decides whether an item, once read, is clean (no rule would flag it).
pub(crate) type ItemJudge<'j> = &'j dyn Fn(&Item) -> bool;

/// Reads `body` against `plan` from the place `root`; `None` on any doubt.
pub(crate) fn gather(
    plan: &Plan,
    root: Ctx,
    body: &[u8],
    judge: ItemJudge<'_>,
) -> Option<Gathered> {
    let mut state = State {
        plan,
        judge,
        out: Gathered::default(),
    };
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    Walker {
        node: plan.root,
        ctx: root,
        state: &mut state,
    }
    .deserialize(&mut deserializer)
    .ok()?;
    deserializer.end().ok()?;
    Some(state.out)
}

struct State<'p, 'j> {
    plan: &'p Plan,
    judge: ItemJudge<'j>,
    out: Gathered,
}

/// Reads one value against node `node` at place `ctx`.
struct Walker<'a, 'p, 'j> {
    node: NodeId,
    ctx: Ctx,
    state: &'a mut State<'p, 'j>,
}

/// The error that stops the parser: the fast path is not sure.
fn doubt<E: de::Error>() -> E {
    E::custom("fast path: not sure")
}

impl<'p> Walker<'_, 'p, '_> {
    /// The assertions that apply to an instance of `kind` here, if its type is allowed.
    fn check<E: de::Error>(&self, kind: JsonKind) -> Result<&'p Check, E> {
        let plan = self.state.plan;
        let check = match plan.node(self.node) {
            Node::Check(check) => check,
            Node::Never => return Err(doubt()),
            Node::ByType(table) => match table[kind as usize].map(|id| plan.node(id)) {
                Some(Node::Check(check)) => check,
                _ => return Err(doubt()),
            },
        };
        if check.types & kind.bit() == 0 {
            return Err(doubt());
        }
        Ok(check)
    }

    fn scalar<E: de::Error>(&self, kind: JsonKind, is: impl Fn(&Scalar) -> bool) -> Result<(), E> {
        let check = self.check(kind)?;
        match &check.allowed {
            Some(values) if !values.iter().any(is) => Err(doubt()),
            _ => Ok(()),
        }
    }

    fn integer<E: de::Error>(mut self, n: i128) -> Result<(), E> {
        let check = self.check::<E>(JsonKind::Integer)?;
        if check.min.is_some_and(|m| n < m) || check.max.is_some_and(|m| n > m) {
            return Err(doubt());
        }
        if let Some(values) = &check.allowed
            && !values.contains(&Scalar::Int(n))
        {
            return Err(doubt());
        }
        match self.ctx {
            Ctx::Offset => self.state.out.offset = u64::try_from(n).ok(),
            Ctx::Limit => self.state.out.limit = u64::try_from(n).ok(),
            _ => self.non_null(),
        }
        Ok(())
    }

    /// Notes a present, non-null value that is not a string where a rule looks.
    fn non_null(&mut self) {
        let out = &mut self.state.out;
        match self.ctx {
            Ctx::End => out.item.end_present = true,
            Ctx::Next => out.has_next = true,
            _ => {}
        }
    }

    fn string<E: de::Error>(self, text: &str) -> Result<(), E> {
        let check = self.check::<E>(JsonKind::String)?;
        if let Some(values) = &check.allowed
            && !values
                .iter()
                .any(|v| matches!(v, Scalar::Str(s) if **s == *text))
        {
            return Err(doubt());
        }
        if check.min_len.is_some() || check.max_len.is_some() {
            let len = text.chars().count() as u64;
            if check.min_len.is_some_and(|m| len < m) || check.max_len.is_some_and(|m| len > m) {
                return Err(doubt());
            }
        }
        if let Some(format) = check.format
            && !self.state.plan.formats.is_valid(format, text)
        {
            return Err(doubt());
        }
        let out = &mut self.state.out;
        let item = &mut out.item;
        let keep = |buffer: &mut String| {
            buffer.clear();
            buffer.push_str(text);
        };
        match self.ctx {
            Ctx::Id => item.id = Some(text.to_owned()),
            Ctx::Created => {
                let mut hasher = DefaultHasher::new();
                text.hash(&mut hasher);
                item.created_hash = Some(hasher.finish());
                item.has_created = true;
                keep(&mut item.created);
            }
            Ctx::End => {
                item.end_present = true;
                item.has_end = true;
                keep(&mut item.end);
            }
            Ctx::Status => item.active = matches!(text, "Running" | "Queued"),
            Ctx::SelfHref => {
                item.has_self = true;
                keep(&mut item.self_href);
            }
            Ctx::JobHref => {
                item.has_job = true;
                keep(&mut item.job_href);
            }
            Ctx::NextHref => out.next_href = Some(text.to_owned()),
            Ctx::Next => out.has_next = true,
            _ => {}
        }
        Ok(())
    }

    /// Reads one item of `results` or a list, then asks the judge about it.
    fn item<'de, A: SeqAccess<'de>>(
        state: &mut State<'p, '_>,
        items: NodeId,
        seq: &mut A,
    ) -> Result<bool, A::Error> {
        state.out.item.reset();
        let walker = Walker {
            node: items,
            ctx: Ctx::Item,
            state: &mut *state,
        };
        if seq.next_element_seed(walker)?.is_none() {
            return Ok(false);
        }
        if !(state.judge)(&state.out.item) {
            return Err(doubt());
        }
        let out = &mut state.out;
        out.ids.push(out.item.id.take());
        out.created.push(out.item.created_hash);
        Ok(true)
    }
}

impl<'de> DeserializeSeed<'de> for Walker<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walker<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value the response schema allows")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.scalar(JsonKind::Null, |v| *v == Scalar::Null)
    }

    fn visit_bool<E: de::Error>(mut self, v: bool) -> Result<(), E> {
        self.scalar(JsonKind::Boolean, |s| *s == Scalar::Bool(v))?;
        self.non_null();
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.integer(i128::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.integer(i128::from(v))
    }

    /// A fraction, an exponent, `-0` or an integer past 64 bits: `jsonschema` compares those
    /// as floats (and `1.0` is an integer to it), so the full path judges them, unless the
    /// schema says nothing at all about the value.
    fn visit_f64<E: de::Error>(mut self, _: f64) -> Result<(), E> {
        if self.node != ANY {
            return Err(doubt());
        }
        match self.ctx {
            // Not a `u64` to `Value::as_u64` either.
            Ctx::Offset => self.state.out.offset = None,
            Ctx::Limit => self.state.out.limit = None,
            _ => self.non_null(),
        }
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.string(v)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        self.string(v)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let check = self.check::<A::Error>(JsonKind::Array)?;
        if check.allowed.is_some() {
            return Err(doubt());
        }
        let items = check.items;
        let element = self.ctx.element();
        self.non_null();
        let state = self.state;
        if element == Ctx::Item {
            let mut count = 0;
            while Walker::item(state, items, &mut seq)? {
                count += 1;
            }
            state.out.list_len = count;
        } else {
            while seq
                .next_element_seed(Walker {
                    node: items,
                    ctx: Ctx::Other,
                    state: &mut *state,
                })?
                .is_some()
            {}
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let check = self.check::<A::Error>(JsonKind::Object)?;
        if check.allowed.is_some() {
            return Err(doubt());
        }
        let ctx = self.ctx;
        self.non_null();
        let state = self.state;
        // Repeated keys: known properties by bit, others by hash (a collision only costs a
        // fall back to the full path, which reports real repeats).
        let mut seen: u64 = 0;
        let mut others = [0u64; 16];
        let mut other_count = 0;
        while let Some(key) = map.next_key_seed(KeySeed { check, ctx })? {
            let node = match key.property {
                Some(i) => {
                    if seen & (1 << i) != 0 {
                        return Err(doubt());
                    }
                    seen |= 1 << i;
                    check.properties[i].1
                }
                None => {
                    if others[..other_count].contains(&key.hash) || other_count == others.len() {
                        return Err(doubt());
                    }
                    others[other_count] = key.hash;
                    other_count += 1;
                    match check.additional {
                        Additional::Any => ANY,
                        Additional::None => return Err(doubt()),
                        Additional::Node(id) => id,
                    }
                }
            };
            map.next_value_seed(Walker {
                node,
                ctx: key.ctx,
                state: &mut *state,
            })?;
        }
        if seen & check.required != check.required {
            return Err(doubt());
        }
        Ok(())
    }
}

/// A key, looked up among the properties of the object's check.
struct Key {
    property: Option<usize>,
    hash: u64,
    ctx: Ctx,
}

struct KeySeed<'p> {
    check: &'p Check,
    ctx: Ctx,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Key;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        let property = self.check.properties.iter().position(|(n, _)| **n == *key);
        let hash = match property {
            Some(_) => 0,
            None => fnv(key),
        };
        Ok(Key {
            property,
            hash,
            ctx: self.ctx.member(key),
        })
    }
}

/// FNV-1a, 64 bits: cheap, and a collision only sends the body to the full path.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
