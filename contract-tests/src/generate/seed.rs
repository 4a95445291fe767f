//! Seeding: deterministic randomness for the seeded API, derived from a seed, a job id and an
//! index, stable across platforms.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

pub(crate) const SESSION_SALT: u64 = 0x5e55_1011;
pub(crate) const PAGE_SALT: u64 = 0x9a6e;
pub(crate) const JOB_SALT: u64 = 0x10b5;
pub(crate) const ID_SALT: u64 = 0x1d5;

/// Bytes of randomness of one seeded draw. XorShift, not ChaCha: every union and optional value
/// forks the RNG, and seeding ChaCha that often dominated the cost of a session.
pub const SEED_LEN: usize = 16;

/// A proptest runner whose randomness is exactly `seed`.
pub(crate) fn runner(seed: [u8; SEED_LEN]) -> TestRunner {
    let config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::XorShift, &seed))
}

/// Draws one value from `strategy` with randomness `seed`: the same seed gives the same value.
pub fn draw<S: Strategy>(strategy: &S, seed: [u8; SEED_LEN]) -> S::Value {
    let mut runner = runner(seed);
    strategy
        .new_tree(&mut runner)
        .map(|tree| tree.current())
        .unwrap_or_else(|reason| panic!("a schema strategy never rejects: {reason}"))
}

/// SplitMix64 over the seed, the job id (FNV-1a) and the index: stable across platforms.
pub(crate) fn mix(seed: u64, job_id: &str, index: u64, salt: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in job_id.bytes() {
        h = (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3);
    }
    let mut x = seed ^ h.rotate_left(17) ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ salt;
    for _ in 0..2 {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x = z ^ (z >> 31);
    }
    x
}

pub(crate) fn seed_bytes(seed: u64, job_id: &str, index: u64, salt: u64) -> [u8; SEED_LEN] {
    let mut out = [0u8; SEED_LEN];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&mix(seed, job_id, index, salt ^ (i as u64) << 40).to_le_bytes());
    }
    out
}
