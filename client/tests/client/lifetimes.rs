//! Token lifetimes are clamped to 1 s..=365 days: `expires_in` of i64::MAX, 0 or negative
//! neither panics nor makes the client refresh on every request.

use std::sync::atomic::Ordering;

use crate::server::{self, JOB};

/// Signs in with a server granting `expires_in`, then reads two pages at once.
async fn two_pages_with(expires_in: i64) -> std::sync::Arc<server::Counters> {
    let server = server::start(server::job_of(3)).await;
    server
        .counters
        .expires_in
        .store(expires_in, Ordering::SeqCst);
    let client = server.builder().build().unwrap();
    assert_eq!(client.page(JOB, 0, 30).await.unwrap().results.len(), 3);
    assert_eq!(client.page(JOB, 0, 30).await.unwrap().results.len(), 3);
    std::sync::Arc::clone(&server.counters)
}

#[tokio::test]
async fn a_lifetime_near_i64_max_neither_panics_nor_refreshes() {
    for expires_in in [i64::MAX, i64::MAX - 1, 1 << 62, u32::MAX.into()] {
        let counters = two_pages_with(expires_in).await;
        assert_eq!(
            counters.password_sign_ins.load(Ordering::SeqCst),
            1,
            "{expires_in}"
        );
        assert_eq!(counters.refreshes.load(Ordering::SeqCst), 0, "{expires_in}");
    }
}

#[tokio::test]
async fn a_zero_or_negative_lifetime_counts_as_one_second_not_as_expired() {
    for expires_in in [0, -1, -3600, i64::MIN] {
        let counters = two_pages_with(expires_in).await;
        assert_eq!(
            counters.password_sign_ins.load(Ordering::SeqCst),
            1,
            "{expires_in}"
        );
        assert_eq!(
            counters.refreshes.load(Ordering::SeqCst),
            0,
            "{expires_in}: the second request at once must not refresh"
        );
        assert_eq!(counters.unauthorised.load(Ordering::SeqCst), 0);
    }
}

#[tokio::test]
async fn a_lifetime_outside_the_bounds_is_logged_and_one_inside_them_is_not() {
    crate::logs::record();
    // Lifetimes no other test grants, so the records found are this test's.
    let clamped = |expires_in: i64| {
        crate::logs::records().into_iter().any(|(level, text)| {
            level == log::Level::Warn && text.contains(&format!("expires_in {expires_in};"))
        })
    };
    two_pages_with(-7).await;
    assert!(clamped(-7), "{:?}", crate::logs::records());
    two_pages_with(3607).await;
    assert!(!clamped(3607), "{:?}", crate::logs::records());
}

#[test]
fn the_bounds_are_one_second_and_a_year() {
    assert_eq!(vbo_client::MIN_TOKEN_LIFETIME.as_secs(), 1);
    assert_eq!(vbo_client::MAX_TOKEN_LIFETIME.as_secs(), 365 * 24 * 3600);
}

#[tokio::test]
async fn a_negative_lifetime_is_refreshed_after_half_a_second() {
    let server = server::start(server::job_of(3)).await;
    server.counters.expires_in.store(-1, Ordering::SeqCst);
    let client = server.builder().build().unwrap();
    client.page(JOB, 0, 30).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    client.page(JOB, 0, 30).await.unwrap();
    assert_eq!(server.counters.refreshes.load(Ordering::SeqCst), 1);
}
