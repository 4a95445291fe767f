//! The bearer token every generated request carries, kept out of `Debug` and logs.

use std::sync::{Arc, RwLock};

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderValue};

use crate::generated::Client;

/// A shared, replaceable bearer token that the generated client attaches to each request.
#[derive(Clone, Default)]
pub struct Bearer(Arc<RwLock<Option<HeaderValue>>>);

impl Bearer {
    /// A slot holding no token: requests go out without `Authorization`.
    pub fn none() -> Self {
        Self::default()
    }

    /// A slot holding `token`; fails when the token cannot travel in an HTTP header.
    pub fn new(token: &str) -> Result<Self, InvalidToken> {
        let slot = Self::none();
        slot.set(token)?;
        Ok(slot)
    }

    /// Replaces the token for every later request.
    pub fn set(&self, token: &str) -> Result<(), InvalidToken> {
        let mut value =
            HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| InvalidToken)?;
        value.set_sensitive(true);
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Some(value);
        Ok(())
    }

    /// Forgets the token.
    pub fn clear(&self) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Whether a token is set.
    pub fn is_set(&self) -> bool {
        self.0.read().unwrap_or_else(|e| e.into_inner()).is_some()
    }

    /// The `Authorization` header value, marked sensitive so reqwest never logs it.
    pub(crate) fn header(&self) -> Option<HeaderValue> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl std::fmt::Debug for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = if self.is_set() {
            "<redacted>"
        } else {
            "<none>"
        };
        f.debug_tuple("Bearer")
            .field(&format_args!("{state}"))
            .finish()
    }
}

/// The token holds characters that an HTTP header cannot carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the bearer token contains characters that cannot be sent in an HTTP header")]
pub struct InvalidToken;

impl ClientHooks<Bearer> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        if let Some(value) = self.inner().header() {
            request.headers_mut().insert(AUTHORIZATION, value);
        }
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        crate::raw::exec(self.client(), request, info).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_set_until_it_is_cleared() {
        let bearer = Bearer::none();
        assert!(!bearer.is_set());
        bearer.set("abc").unwrap();
        assert!(bearer.is_set());
        bearer.clear();
        assert!(!bearer.is_set());
    }
}
