//! Faults the client absorbed (retried, or answered by signing in again), kept so that a report
//! can show them: a run that succeeded only thanks to retries is worth knowing about.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

/// The kind of a fault the client absorbed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransientKind {
    /// A GET answered 429 and was sent again.
    RateLimited,
    /// A request answered 502, 503 or 504 and was sent again.
    ServerError,
    /// No response came back (connection refused or dropped) and the request was sent again.
    Connection,
    /// A GET answered 401 and the client signed in again before sending it again.
    ReSignIn,
    /// `POST /v5/Token` answered 429 and was sent again.
    SignInThrottled,
}

impl TransientKind {
    /// Every kind, in the order reports list them.
    pub const ALL: [Self; 5] = [
        Self::RateLimited,
        Self::ServerError,
        Self::Connection,
        Self::ReSignIn,
        Self::SignInThrottled,
    ];

    /// The stable kebab-case id of the kind, as reports print it.
    pub fn id(self) -> &'static str {
        match self {
            Self::RateLimited => "rate-limited",
            Self::ServerError => "server-error",
            Self::Connection => "connection",
            Self::ReSignIn => "re-sign-in",
            Self::SignInThrottled => "sign-in-throttled",
        }
    }

    /// Position of the kind in [`Self::ALL`].
    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for TransientKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// One absorbed fault: what, where, and what the server said. Never holds a secret: the URL
/// is the request's (the client refuses URLs with user info) and the detail is a status line
/// or a connection failure's causes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransientEvent {
    /// What kind of fault it was.
    pub kind: TransientKind,
    /// The URL of the request that met it.
    pub url: String,
    /// The status and `Retry-After`, or the connection failure, in words.
    pub detail: String,
}

/// Counts of absorbed faults by kind, with the first occurrence of each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransientLog {
    counts: [u64; TransientKind::ALL.len()],
    first: [Option<TransientEvent>; TransientKind::ALL.len()],
}

impl TransientLog {
    /// `(kind, count)` for every kind that occurred at least once, in [`TransientKind::ALL`]
    /// order.
    pub fn counts(&self) -> impl Iterator<Item = (TransientKind, u64)> + '_ {
        TransientKind::ALL
            .into_iter()
            .map(|kind| (kind, self.counts[kind.index()]))
            .filter(|(_, count)| *count > 0)
    }

    /// How many faults of `kind` were absorbed.
    pub fn count(&self, kind: TransientKind) -> u64 {
        self.counts[kind.index()]
    }

    /// The first fault of `kind`, if any occurred.
    pub fn first(&self, kind: TransientKind) -> Option<&TransientEvent> {
        self.first[kind.index()].as_ref()
    }

    /// All faults absorbed, of every kind.
    pub fn total(&self) -> u64 {
        self.counts.iter().fold(0, |sum, n| sum.saturating_add(*n))
    }

    /// Whether no fault was absorbed.
    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    /// Counts `event`, keeping it if it is the first of its kind.
    fn record(&mut self, event: TransientEvent) {
        let index = event.kind.index();
        self.counts[index] = self.counts[index].saturating_add(1);
        self.first[index].get_or_insert(event);
    }
}

/// The log every clone of one client writes to.
#[derive(Debug, Clone, Default)]
pub(crate) struct TransientRecorder(Arc<Mutex<TransientLog>>);

impl TransientRecorder {
    /// Adds `event` to the log.
    pub(crate) fn record(&self, event: TransientEvent) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .record(event);
    }

    /// A copy of the log as it stands.
    pub(crate) fn snapshot(&self) -> TransientLog {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The log as it stands, leaving it empty.
    pub(crate) fn take(&self) -> TransientLog {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_displays_as_its_id() {
        for kind in TransientKind::ALL {
            assert_eq!(kind.to_string(), kind.id());
        }
        assert_eq!(
            TransientKind::SignInThrottled.to_string(),
            "sign-in-throttled"
        );
    }

    fn event(kind: TransientKind, detail: &str) -> TransientEvent {
        TransientEvent {
            kind,
            url: "https://vbo01:4443/v5/Token".into(),
            detail: detail.into(),
        }
    }

    #[test]
    fn ids_are_the_documented_kebab_case_names_in_order() {
        let ids: Vec<_> = TransientKind::ALL.iter().map(|k| k.id()).collect();
        assert_eq!(
            ids,
            [
                "rate-limited",
                "server-error",
                "connection",
                "re-sign-in",
                "sign-in-throttled"
            ]
        );
        for (index, kind) in TransientKind::ALL.into_iter().enumerate() {
            assert_eq!(kind.index(), index);
        }
    }

    #[test]
    fn counts_by_kind_and_keeps_the_first_of_each() {
        let recorder = TransientRecorder::default();
        assert!(recorder.snapshot().is_empty());
        recorder.record(event(TransientKind::ServerError, "HTTP 503 first"));
        recorder.record(event(TransientKind::ServerError, "HTTP 502 second"));
        recorder.record(event(TransientKind::SignInThrottled, "HTTP 429"));
        let log = recorder.clone().snapshot();
        assert_eq!(log.total(), 3);
        assert!(!log.is_empty());
        assert_eq!(
            log.counts().collect::<Vec<_>>(),
            [
                (TransientKind::ServerError, 2),
                (TransientKind::SignInThrottled, 1)
            ]
        );
        assert_eq!(log.count(TransientKind::Connection), 0);
        assert_eq!(
            log.first(TransientKind::ServerError).unwrap().detail,
            "HTTP 503 first"
        );
        assert!(log.first(TransientKind::RateLimited).is_none());
        let taken = recorder.take();
        assert_eq!(taken, log);
        assert!(recorder.snapshot().is_empty(), "take leaves the log empty");
    }
}
