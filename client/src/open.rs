//! Values a server may send that the contract does not (yet) know, kept rather than refused.
//!
//! The generated `types` are strict, as the contract is; the lenient `wire` types generated
//! beside them use these two wrappers so that one odd value never makes a whole page unreadable.

use std::fmt;

use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A string-enum value: one the contract knows, or the string the server sent instead.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Open<T> {
    /// A value the contract names.
    Known(T),
    /// A value the contract does not name, exactly as the server sent it.
    Unknown(String),
}

impl<T> Open<T> {
    /// The known value, if it is one.
    pub fn known(&self) -> Option<&T> {
        match self {
            Self::Known(value) => Some(value),
            Self::Unknown(_) => None,
        }
    }

    /// The string the server sent, if the contract does not know it.
    pub fn unknown(&self) -> Option<&str> {
        match self {
            Self::Known(_) => None,
            Self::Unknown(text) => Some(text),
        }
    }
}

impl<T> From<T> for Open<T> {
    fn from(value: T) -> Self {
        Self::Known(value)
    }
}

impl<T: fmt::Display> fmt::Display for Open<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Known(value) => value.fmt(f),
            Self::Unknown(text) => f.write_str(text),
        }
    }
}

impl<T: Serialize> Serialize for Open<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Known(value) => value.serialize(serializer),
            Self::Unknown(text) => serializer.serialize_str(text),
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Open<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let known = T::deserialize(IntoDeserializer::<de::value::Error>::into_deserializer(
            text.as_str(),
        ));
        Ok(match known {
            Ok(value) => Self::Known(value),
            Err(_) => Self::Unknown(text),
        })
    }
}

/// A 64-bit counter sent as a JSON integer (the contract's form) or as a string of digits (the
/// form the vendor's property table documents); remembers which, so it serialises back as sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Count {
    value: i64,
    sent_as_text: bool,
}

impl Count {
    /// A counter sent as a JSON integer.
    pub fn new(value: i64) -> Self {
        Self {
            value,
            sent_as_text: false,
        }
    }

    /// The counter's value.
    pub fn get(self) -> i64 {
        self.value
    }

    /// Whether the server sent the counter as a string of digits rather than a JSON integer.
    pub fn sent_as_text(self) -> bool {
        self.sent_as_text
    }
}

impl From<i64> for Count {
    fn from(value: i64) -> Self {
        Self::new(value)
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.sent_as_text {
            serializer.collect_str(&self.value)
        } else {
            serializer.serialize_i64(self.value)
        }
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CountVisitor)
    }
}

/// Reads a [`Count`] from an integer or a string of ASCII digits.
struct CountVisitor;

impl Visitor<'_> for CountVisitor {
    type Value = Count;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer or a string of digits")
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Count, E> {
        Ok(Count::new(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Count, E> {
        i64::try_from(value)
            .map(Count::new)
            .map_err(|_| E::custom(format!("{value} does not fit a 64-bit signed counter")))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Count, E> {
        // Digits only: "1e3", " 12" or "-1" are not what the vendor's table describes.
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(E::invalid_value(de::Unexpected::Str(text), &self));
        }
        text.parse::<i64>()
            .map(|value| Count {
                value,
                sent_as_text: true,
            })
            .map_err(|_| E::custom(format!("{text:?} does not fit a 64-bit signed counter")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_value_is_either_known_or_the_text_the_server_sent() {
        let known: Open<u8> = Open::Known(7);
        let unknown: Open<u8> = Open::Unknown("Paused".into());
        assert_eq!((known.known(), known.unknown()), (Some(&7), None));
        assert_eq!((unknown.known(), unknown.unknown()), (None, Some("Paused")));
    }

    #[test]
    fn a_counter_shows_as_its_number_however_it_was_sent() {
        assert_eq!(Count::new(71_012).to_string(), "71012");
        let sent_as_text: Count = serde_json::from_value(serde_json::json!("0042")).unwrap();
        assert_eq!(sent_as_text.to_string(), "42");
    }

    #[test]
    fn a_counter_sent_as_text_is_digits_only_and_a_refusal_says_what_was_expected() {
        let read = |text: &str| serde_json::from_value::<Count>(serde_json::json!(text));
        let count = read("0071012").unwrap();
        assert_eq!((count.get(), count.sent_as_text()), (71_012, true));
        // Each of these parses as an i64, yet is not a string of digits.
        for text in ["-1", "+5", "", " 12"] {
            let error = read(text).unwrap_err().to_string();
            assert!(
                error.contains("expected an integer or a string of digits"),
                "{text:?}: {error}"
            );
        }
    }
}
