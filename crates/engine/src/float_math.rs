//! Which routines compute the transcendental functions of the simulation on this machine.
//!
//! The engine's numbers depend on `exp`, `ln`, `powf` and `cos`, called directly (parameter medians, growth steps,
//! markets, demand switches) and inside rand_distr's samplers (lognormal, normal tails, exponential, beta). Rust
//! takes them from the C library, which chooses its routines by CPU and by version: glibc 2.36 on x86-64 has a
//! variant of each for CPUs with FMA and one for CPUs without, and the two differ in the last bit for about 7 in
//! 10,000 arguments of `exp`, `powf` and `cos` and 2 in 100,000 of `ln` (measured over a million arguments each).
//! Trials computed with other routines are equally valid, but not bit-identical: a run's shards merge byte for
//! byte into one run's files only when every shard computed these functions alike.
//!
//! [`fingerprint`] tells such machines apart: a digest of these functions over 65,536 fixed arguments each, which
//! two machines that compute them alike share, and which differs, in practice surely, where the routines differ
//! (at the rates above, about 45 of the `exp` results alone would differ).

use std::sync::OnceLock;

/// Arguments per function.
const ARGUMENTS: usize = 1 << 16;

/// The fingerprint of this process's `exp`, `ln`, `powf` and `cos`: equal on two machines when (in practice) they
/// compute the simulation's transcendental functions bit for bit alike. Computed once per process (a few
/// milliseconds).
pub fn fingerprint() -> u64 {
    static FINGERPRINT: OnceLock<u64> = OnceLock::new();
    *FINGERPRINT.get_or_init(compute)
}

/// The routines fingerprinted: `exp`, `ln`, `powf`, `cos`.
struct Routines {
    exp: fn(f64) -> f64,
    ln: fn(f64) -> f64,
    powf: fn(f64, f64) -> f64,
    cos: fn(f64) -> f64,
}

/// The C library's routines, as the simulation calls them.
const THIS_MACHINE: Routines = Routines { exp: f64::exp, ln: f64::ln, powf: f64::powf, cos: f64::cos };

fn compute() -> u64 {
    compute_with(&THIS_MACHINE)
}

fn compute_with(routines: &Routines) -> u64 {
    // xorshift64 over fixed arguments, FNV-1a over the results' bits.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut digest: u64 = 0xCBF2_9CE4_8422_2325;
    let mut add = |x: f64| digest = (digest ^ x.to_bits()).wrapping_mul(0x0000_0100_0000_01B3);
    for _ in 0..ARGUMENTS {
        let (u, v) = (uniform(), uniform());
        let x = std::hint::black_box((u - 0.5) * 40.0);
        let y = std::hint::black_box(u * 100.0 + 1e-3);
        let z = std::hint::black_box(v * 4.0 - 2.0);
        add((routines.exp)(x));
        add((routines.ln)(y));
        add((routines.powf)(y, z));
        add((routines.cos)(x));
    }
    digest
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `f(x)` but one bit lower for about one argument in 10,000 (those whose result's low 14 bits are all 0), as
    /// another variant of a routine might round.
    fn rounded_otherwise(fx: f64) -> f64 {
        if fx.to_bits() & 0x3FFF == 0 && fx > 0.0 { f64::from_bits(fx.to_bits() - 1) } else { fx }
    }

    #[test]
    fn the_fingerprint_is_this_machines_and_tells_a_last_bit_apart_in_any_routine() {
        assert_eq!(fingerprint(), compute_with(&THIS_MACHINE));
        let variants = [
            Routines { exp: |x| rounded_otherwise(x.exp()), ..THIS_MACHINE },
            Routines { ln: |x| rounded_otherwise(x.ln()), ..THIS_MACHINE },
            Routines { powf: |x, y| rounded_otherwise(x.powf(y)), ..THIS_MACHINE },
            Routines { cos: |x| rounded_otherwise(x.cos()), ..THIS_MACHINE },
        ];
        for (i, variant) in variants.iter().enumerate() {
            assert_ne!(compute_with(variant), fingerprint(), "routine {i}");
        }
    }
}
