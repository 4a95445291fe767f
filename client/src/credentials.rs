//! What the client signs in with, kept out of `Debug` and `Display`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Error;

/// A password or token: readable by the client, shown nowhere.
///
/// The generated `types::TokenRequest` and `types::Token` (and their `wire` twins) hold their
/// passwords and tokens in this type (see `client/codegen.rs`), so their derived `Debug` prints
/// `<redacted>`. On the wire it is the plain JSON (or form) string.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that must send or install it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

/// A plain string in JSON Schema, as the contract states it; inlined, so the generated types'
/// schemas read exactly as before secrets were wrapped.
impl schemars::JsonSchema for Secret {
    fn schema_name() -> String {
        String::schema_name()
    }

    fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        String::json_schema(generator)
    }

    fn is_referenceable() -> bool {
        false
    }
}

/// How the client obtains its bearer token.
#[derive(Clone, Debug)]
pub enum Credentials {
    /// Sign in with `POST /v5/Token` (`grant_type=password`), refresh, and sign in again on 401.
    Password {
        /// The user name, e.g. `tech\administrator`.
        username: String,
        /// The password.
        password: Secret,
    },
    /// Use a token obtained elsewhere as is; it is neither refreshed nor renewed.
    Token(Secret),
}

impl Credentials {
    /// Reads `VBO_TOKEN` first, else `VBO_USERNAME` and `VBO_PASSWORD`; an empty variable counts
    /// as unset. The one precedence every tool of this workspace uses.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// [`Self::from_env`] over any source of variables (`var(name)` is the variable's value).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let var = |name: &str| var(name).filter(|value| !value.is_empty());
        match (var("VBO_TOKEN"), var("VBO_USERNAME"), var("VBO_PASSWORD")) {
            (Some(token), _, _) => Ok(Self::Token(Secret::new(token))),
            (None, Some(username), Some(password)) => Ok(Self::Password {
                username,
                password: Secret::new(password),
            }),
            (None, Some(_), None) => Err(Error::InvalidInput(
                "VBO_USERNAME is set but VBO_PASSWORD is not".into(),
            )),
            (None, None, _) => Err(Error::InvalidInput(
                "no credentials: set VBO_USERNAME and VBO_PASSWORD, or VBO_TOKEN".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(vars: &[(&str, &str)]) -> Result<Credentials, Error> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Credentials::from_vars(|name| {
            vars.iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        })
    }

    #[test]
    fn a_secret_reads_as_a_plain_string_in_json_schema() {
        assert_eq!(schemars::schema_for!(Secret), schemars::schema_for!(String));
    }

    #[test]
    fn a_token_comes_first_as_in_xtask() {
        let all = from(&[
            ("VBO_TOKEN", "t-SECRET"),
            ("VBO_USERNAME", "u"),
            ("VBO_PASSWORD", "p-SECRET"),
        ]);
        assert!(
            matches!(all, Ok(Credentials::Token(ref t)) if t.expose() == "t-SECRET"),
            "{all:?}"
        );
        let empty_token = from(&[
            ("VBO_TOKEN", ""),
            ("VBO_USERNAME", "u"),
            ("VBO_PASSWORD", "p"),
        ]);
        assert!(
            matches!(empty_token, Ok(Credentials::Password { ref username, .. }) if username == "u"),
            "{empty_token:?}"
        );
    }

    #[test]
    fn a_user_without_a_password_or_nothing_at_all_is_an_error() {
        let error = from(&[("VBO_USERNAME", "u")]).unwrap_err().to_string();
        assert!(error.contains("VBO_PASSWORD is not"), "{error}");
        let error = from(&[("VBO_PASSWORD", "p-SECRET")])
            .unwrap_err()
            .to_string();
        assert!(error.contains("no credentials"), "{error}");
        assert!(!error.contains("p-SECRET"));
    }

    #[test]
    fn a_secret_is_a_plain_string_on_the_wire_and_redacted_in_debug() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "<redacted>");
        assert_eq!(serde_json::to_string(&secret).unwrap(), "\"hunter2\"");
        let back: Secret = serde_json::from_str("\"hunter2\"").unwrap();
        assert_eq!(back.expose(), "hunter2");
        let schema = serde_json::to_value(schemars::schema_for!(Secret)).unwrap();
        assert_eq!(schema["type"], "string");
    }
}
