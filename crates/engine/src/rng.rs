//! Random streams: one portable generator per (run seed, trial, random process).
//!
//! Each random process (an uncertain parameter, a disruption's timing, a licensed link's reviews) draws from
//! its own Xoshiro256++ stream, seeded by a SplitMix64 mix of the run's seed, the trial's index and a stable
//! 64-bit hash of the process's name. Adding a stage or a disruption therefore never changes the draws of the
//! others, and trial `i` sees the same disruptions whichever variant of a scenario runs: common random numbers.
//! Never rand's standard or small generators, nor a thread-local one: their streams are not portable across
//! versions.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator every random process uses.
pub type Stream = Xoshiro256PlusPlus;

/// The generator's name, for run records.
pub const RNG_NAME: &str = "Xoshiro256PlusPlus";

/// How each stream is seeded, for run records.
pub const RNG_SEEDING: &str = "one stream per (seed, trial, process name): SplitMix64 mix of the seed, the trial \
                               index and an FNV-1a key of the process name";

/// The SplitMix64 finaliser (Steele, Lea and Flood, 2014): a bijective 64-bit mixer.
#[inline]
pub fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stable 64-bit key for a process name (FNV-1a, then mixed). Stable across platforms and versions.
pub fn key(name: &str) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in name.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    splitmix64(h)
}

/// The stream of process `process_key` in trial `trial` of a run seeded with `seed`.
#[inline]
pub fn stream_for_key(seed: u64, trial: u64, process_key: u64) -> Stream {
    let mixed = splitmix64(splitmix64(seed ^ splitmix64(trial)) ^ process_key);
    Xoshiro256PlusPlus::seed_from_u64(mixed)
}

/// The stream of the process named `name` in trial `trial` of a run seeded with `seed`.
pub fn stream(seed: u64, trial: u64, name: &str) -> Stream {
    stream_for_key(seed, trial, key(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_value_stable() {
        // Value-stability: these numbers are part of the reproducibility contract. A change here changes
        // every result for a fixed seed and must be flagged in the changelog.
        let mut s = stream(42, 7, "disruption:cn_licensing");
        let first = s.next_u64();
        assert_eq!(key("stage:a"), key("stage:a"));
        assert_ne!(key("stage:a"), key("stage:b"));
        let mut again = stream(42, 7, "disruption:cn_licensing");
        assert_eq!(first, again.next_u64());
        assert_eq!(key(""), splitmix64(0xCBF2_9CE4_8422_2325));
    }

    #[test]
    fn streams_differ_by_seed_trial_and_name() {
        let a = stream(1, 0, "x").next_u64();
        assert_ne!(a, stream(2, 0, "x").next_u64());
        assert_ne!(a, stream(1, 1, "x").next_u64());
        assert_ne!(a, stream(1, 0, "y").next_u64());
    }
}
