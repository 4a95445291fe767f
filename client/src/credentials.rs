//! What the client signs in with, kept out of `Debug` and `Display`.

use std::fmt;

/// A password or token: readable by the client, shown nowhere.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
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
