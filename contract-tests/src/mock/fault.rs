//! The fault catalogue: each way the mock can misbehave, its id, the rule `verify --server`
//! reports for it, the operations it strikes ([`Fault::applies_to`]), and the behaviour that
//! lives in the data itself (the rest is in the route that serves it: `routes` for the
//! operations of the document, `token` for sign-in).

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use crate::contract::TOKEN_PATH;
use crate::operation::Operation;

/// One way the mock misbehaves; the server has at most one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Every response waits [`super::MockConfig::slow_delay`] first.
    Slow,
    /// Every other request (the first, the third, ...) gets a 500.
    ServerError,
    /// Every other request gets the 429 the contract declares (D18): `Retry-After: 1` and a
    /// `{"message"}` body.
    RateLimit,
    /// Bodies are cut short: the JSON never ends.
    MalformedJson,
    /// Bodies are sent as `text/html; charset=utf-8`.
    WrongContentType,
    /// Statistics are strings of digits, as the seed's table types them (D2).
    NumericStrings,
    /// Every seventh session has the status `Paused`, which the contract does not list.
    UnknownStatus,
    /// `_links.next` points at `/v5/JobSessions`, outside the job's collection (the seed's form).
    BrokenNext,
    /// Each page after the first starts one session early, repeating the previous page's last.
    DuplicateIds,
    /// Each access token works for one request; the next use gets a 401.
    ExpiredToken,
    /// Sessions start while the job is walked: every [`super::MockConfig::busy_every`] sessions
    /// requests of a job, one new session is put at the head of its collection, so offset paging
    /// makes the next page begin with the tail of the previous one. A healthy, busy server.
    Busy,
    /// `POST /v5/Token` is throttled as v6 servers throttle it (D18): a quota of sign-ins per
    /// window ([`super::TokenQuota`]), and the declared 429 with `Retry-After` beyond it.
    TokenThrottle,
}

impl Fault {
    /// Every fault.
    pub const ALL: &'static [Fault] = &[
        Fault::Slow,
        Fault::ServerError,
        Fault::RateLimit,
        Fault::MalformedJson,
        Fault::WrongContentType,
        Fault::NumericStrings,
        Fault::UnknownStatus,
        Fault::BrokenNext,
        Fault::DuplicateIds,
        Fault::ExpiredToken,
        Fault::Busy,
        Fault::TokenThrottle,
    ];

    /// The fault's kebab-case id, as `cargo xtask mock --fault` takes it.
    pub fn id(self) -> &'static str {
        match self {
            Fault::Slow => "slow",
            Fault::ServerError => "server-error",
            Fault::RateLimit => "rate-limit",
            Fault::MalformedJson => "malformed-json",
            Fault::WrongContentType => "wrong-content-type",
            Fault::NumericStrings => "numeric-strings",
            Fault::UnknownStatus => "unknown-status",
            Fault::BrokenNext => "broken-next",
            Fault::DuplicateIds => "duplicate-ids",
            Fault::ExpiredToken => "expired-token",
            Fault::Busy => "busy",
            Fault::TokenThrottle => "token-throttle",
        }
    }

    /// The rule `verify --server` reports for this fault, or `None` for faults a resilient
    /// client absorbs (it waits, retries and signs in again, so the pages it judges are fine).
    pub fn rule(self) -> Option<crate::finding::Rule> {
        use crate::finding::Rule;
        match self {
            // A client that honours Retry-After, waits and signs in again sees only 200s; one
            // sign-in per walk stays within the token quota.
            Fault::Slow | Fault::ExpiredToken | Fault::RateLimit | Fault::TokenThrottle => None,
            Fault::ServerError => Some(Rule::Status),
            Fault::MalformedJson => Some(Rule::JsonSyntax),
            Fault::WrongContentType => Some(Rule::ContentType),
            Fault::NumericStrings => Some(Rule::NumericString),
            Fault::UnknownStatus => Some(Rule::Schema),
            Fault::BrokenNext => Some(Rule::NextLeavesCollection),
            Fault::DuplicateIds => Some(Rule::DuplicateSessionId),
            // What a verifier without shift detection makes of a moving collection.
            Fault::Busy => Some(Rule::CollectionShifted),
        }
    }

    /// Whether this fault applies to `operation` (sign-in is `POST /v5/Token`):
    ///
    /// - data faults (`numeric-strings`, `unknown-status`) live in sessions: the operations
    ///   whose body is a page of `JobSession`s;
    /// - paging faults (`broken-next`, `duplicate-ids`, `busy`) need pages: every paged
    ///   operation;
    /// - `token-throttle` strikes sign-in alone;
    /// - transport, status and token faults (`slow`, `server-error`, `rate-limit`,
    ///   `malformed-json`, `wrong-content-type`, `expired-token`) strike every operation but
    ///   sign-in (`expired-token` only those that take a token).
    ///
    /// [`super::MockConfig::fault_operation`] confines a fault further to one operation.
    pub fn applies_to(self, operation: &Operation) -> bool {
        let sign_in =
            operation.method() == "POST" && operation.path().eq_ignore_ascii_case(TOKEN_PATH);
        let paging = operation.paging();
        match self {
            Fault::NumericStrings | Fault::UnknownStatus => {
                paging.is_some_and(|p| p.item.as_deref() == Some("JobSession"))
            }
            Fault::BrokenNext | Fault::DuplicateIds | Fault::Busy => paging.is_some(),
            Fault::TokenThrottle => sign_in,
            Fault::Slow
            | Fault::ServerError
            | Fault::RateLimit
            | Fault::MalformedJson
            | Fault::WrongContentType
            | Fault::ExpiredToken => !sign_in,
        }
    }

    /// Whether this fault strikes the `n`-th request of an operation (0-based): the faults that strike
    /// every other request strike the first, the third, ...
    pub(crate) fn strikes(self, n: u64) -> bool {
        matches!(self, Fault::ServerError | Fault::RateLimit) && n.is_multiple_of(2)
    }

    /// The damage this fault does to session `index` as rendered (the faults that live in the
    /// sessions themselves).
    pub(crate) fn damage(self, session: &mut Value, index: u64) {
        match self {
            Fault::NumericStrings => {
                if let Some(Value::Object(statistics)) = session.get_mut("statistics") {
                    for value in statistics.values_mut() {
                        if let Some(n) = value.as_i64() {
                            *value = Value::String(n.to_string());
                        }
                    }
                }
            }
            Fault::UnknownStatus if index.is_multiple_of(7) => {
                session["status"] = Value::from("Paused");
            }
            _ => {}
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A fault id the mock does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault {0:?}; expected one of: {ids}", ids = Fault::ALL.iter().map(|f| f.id()).collect::<Vec<_>>().join(", "))]
pub struct UnknownFault(pub String);

impl FromStr for Fault {
    type Err = UnknownFault;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fault::ALL
            .iter()
            .copied()
            .find(|f| f.id() == s)
            .ok_or_else(|| UnknownFault(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_fault_applies_to_its_operations() {
        let mut document =
            crate::contract::parse_document(crate::contract::EMBEDDED_YAML, "embedded").unwrap();
        document["paths"]["/v5/Users"] = serde_json::json!({ "get": {
            "operationId": "get_users",
            "responses": { "200": { "description": "ok", "content": { "application/json": {
                "schema": { "type": "object", "properties": {
                    "offset": { "type": "integer" },
                    "limit": { "type": "integer" },
                    "results": { "type": "array", "items": { "type": "object" } }
                } }
            } } } }
        } });
        document["paths"]["/v5/Jobs"] = serde_json::json!({ "get": {
            "operationId": "get_jobs",
            "responses": { "200": { "description": "ok", "content": { "application/json": {
                "schema": { "type": "array", "items": { "type": "object" } }
            } } } }
        } });
        document["paths"]["/v5/Jobs/{jobId}/start"] = serde_json::json!({ "post": {
            "operationId": "start_job",
            "parameters": [{ "name": "jobId", "in": "path", "required": true,
                "schema": { "type": "string" } }],
            "responses": { "204": { "description": "started" } }
        } });
        let contract = crate::Contract::from_document(document, "test").unwrap();
        let applies = |id: &str| -> Vec<&str> {
            let op = contract.operation(id).unwrap();
            Fault::ALL
                .iter()
                .filter(|f| f.applies_to(op))
                .map(|f| f.id())
                .collect()
        };
        let transport = [
            "slow",
            "server-error",
            "rate-limit",
            "malformed-json",
            "wrong-content-type",
            "expired-token",
        ];
        let mut sessions = applies("get_job_sessions");
        sessions.sort_unstable();
        let mut expected: Vec<&str> = Fault::ALL
            .iter()
            .map(|f| f.id())
            .filter(|id| *id != "token-throttle")
            .collect();
        expected.sort_unstable();
        assert_eq!(sessions, expected);
        let mut users = applies("get_users");
        users.sort_unstable();
        let mut expected = transport.to_vec();
        expected.extend(["broken-next", "duplicate-ids", "busy"]);
        expected.sort_unstable();
        assert_eq!(users, expected, "paging faults, no data faults");
        assert_eq!(
            applies("get_jobs"),
            transport,
            "a list: transport faults only"
        );
        assert_eq!(applies("create_token"), ["token-throttle"]);
        assert_eq!(applies("start_job"), transport, "a POST is not sign-in");
    }

    #[test]
    fn fault_ids_round_trip() {
        for fault in Fault::ALL {
            assert_eq!(fault.id().parse::<Fault>(), Ok(*fault));
            assert_eq!(fault.to_string(), fault.id());
        }
        assert!("nope".parse::<Fault>().is_err());
    }
}
