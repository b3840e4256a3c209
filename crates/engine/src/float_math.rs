//! The engine's transcendental functions: the same bits on every platform.
//!
//! Rust's `f64::exp`, `ln`, `powf`, `cos` and the like call the C library, which chooses its routines by CPU and by
//! version: glibc 2.36 on x86-64 has a variant of each for CPUs with FMA and one for CPUs without, and the two
//! differ in the last bit for about 7 in 10,000 arguments of `exp`, `pow` and `cos` and 2 in 100,000 of `ln`
//! (measured over a million arguments each); macOS, Windows and musl have routines of their own. A last bit is
//! enough to move a trial (a rounded duration, a threshold crossed), so results for a fixed scenario and seed
//! would depend on the machine. The functions here come from the pure-Rust `libm` crate (a port of musl's), whose
//! code, and so whose result for every argument, is the same wherever it is compiled: it uses only IEEE 754
//! arithmetic (no FMA contraction, no CPU dispatch), so that its results are bit for bit the same on every platform
//! whose `f64` arithmetic is IEEE 754 binary64 (x86-64, aarch64; not the x87 of 32-bit x86 without SSE).
//!
//! Every transcendental call of the engine goes through this module, and its samplers (`param.rs`) are built on it
//! rather than on rand_distr's, which call the std functions. `crates/engine/clippy.toml` refuses the std methods.
//! `sqrt` is correctly rounded by IEEE 754 itself, so `f64::sqrt` is the same everywhere and stays.

/// `e^x`.
#[inline]
pub fn exp(x: f64) -> f64 {
    libm::exp(x)
}

/// The natural logarithm of `x`.
#[inline]
pub fn ln(x: f64) -> f64 {
    libm::log(x)
}

/// `ln(1 + x)`, accurate for small `x`.
#[inline]
pub fn ln_1p(x: f64) -> f64 {
    libm::log1p(x)
}

/// `x^y`.
#[inline]
pub fn pow(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}

/// The cosine of `x` (radians).
#[inline]
pub fn cos(x: f64) -> f64 {
    libm::cos(x)
}

/// The complementary error function, `1 - erf(x)`, accurate in the tails where `1 - erf(x)` is not.
#[inline]
pub fn erfc(x: f64) -> f64 {
    libm::erfc(x)
}

/// The standard normal distribution function, `Φ(x) = erfc(-x / √2) / 2`.
#[inline]
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x * std::f64::consts::FRAC_1_SQRT_2)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A few values against the closed forms and the std functions (within an ulp or two; the bits themselves are
    /// pinned by the value-stability tests of the samplers and by the scenario goldens).
    #[test]
    fn the_functions_are_the_usual_ones() {
        let close = |a: f64, b: f64| (a - b).abs() <= 4.0 * f64::EPSILON * b.abs();
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(ln(1.0), 0.0);
        assert_eq!(pow(2.0, 10.0), 1024.0);
        assert_eq!(cos(0.0), 1.0);
        assert_eq!(normal_cdf(0.0), 0.5);
        assert!(close(exp(1.0), std::f64::consts::E));
        assert!(close(ln(10.0), std::f64::consts::LN_10));
        assert!(close(pow(10.0, -0.16), 0.691_830_970_918_936_3));
        assert!(close(cos(std::f64::consts::PI / 3.0), 0.5));
        // Φ(1.281551565544600) = 0.9 (crate::param::Z_090), Φ(-1.959963984540054) = 0.025.
        assert!(close(normal_cdf(crate::param::Z_090), 0.9));
        assert!(close(normal_cdf(-1.959_963_984_540_054), 0.025));
        // The lower tail keeps its relative accuracy (within 1e-14; libm's erfc is a few ulps off out there):
        // Φ(-10) = 7.619853024160527e-24.
        assert!((normal_cdf(-10.0) / 7.619_853_024_160_527e-24 - 1.0).abs() < 1e-14);
    }
}
