//! The engine's own samplers of the standard normal, exponential, gamma and beta distributions, built on
//! [`crate::float_math`] so that every draw is the same bits on every platform.
//!
//! rand_distr's samplers of these distributions call the std `exp`, `ln` and `powf`, which come from the C library
//! and differ between machines in the last bit (see `float_math`). These replace them, with textbook algorithms
//! whose consumption of randomness is simple to state:
//!
//! - standard normal: Box–Muller, `sqrt(-2 ln u1) cos(2π u2)` with `u1` in `(0, 1]`, one value per draw and no
//!   cached second value, so that every draw consumes exactly two uniforms;
//! - exponential: inversion, `-ln(u) / rate` with `u` in `(0, 1]`, one uniform;
//! - gamma of shape `>= 1`: Marsaglia and Tsang (2000), "A simple method for generating gamma variables", ACM TOMS
//!   26(3), with the normal above (a normal and a uniform per attempt; about 1.02 to 1.05 attempts a draw);
//! - beta: `X / (X + Y)` with `X`, `Y` gammas of the two shapes (both `>= 1` for PERT).
//!
//! The uniforms are rand's `f64` draws, integer arithmetic (53 random bits times 2^-53): the same everywhere.
//! rand_distr's `Triangular` uses only `sqrt`, which IEEE 754 rounds correctly, and stays.

use rand::{Rng, RngExt};

use crate::float_math::{cos, ln};

/// A uniform draw in `(0, 1]`: one minus rand's draw in `[0, 1)`, exact (a multiple of 2^-53).
#[inline]
pub(crate) fn unit_open_closed<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    1.0 - rng.random::<f64>()
}

/// A standard normal draw by Box–Muller: two uniforms, one value.
#[inline]
pub(crate) fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let u1 = unit_open_closed(rng);
    let u2: f64 = rng.random();
    (-2.0 * ln(u1)).sqrt() * cos(std::f64::consts::TAU * u2)
}

/// An exponential draw of rate `rate > 0` by inversion: one uniform.
#[inline]
pub(crate) fn exponential<R: Rng + ?Sized>(rng: &mut R, rate: f64) -> f64 {
    -ln(unit_open_closed(rng)) / rate
}

/// The gamma distribution of a shape `>= 1` and scale 1, by Marsaglia and Tsang's method.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Gamma {
    /// `shape - 1/3`.
    d: f64,
    /// `1 / sqrt(9 d)`.
    c: f64,
}

impl Gamma {
    /// The gamma of `shape`, or `None` unless `shape` is finite and at least 1.
    pub(crate) fn new(shape: f64) -> Option<Self> {
        (shape >= 1.0 && shape.is_finite()).then(|| {
            let d = shape - 1.0 / 3.0;
            Self { d, c: 1.0 / (9.0 * d).sqrt() }
        })
    }

    /// One draw: attempts of a normal and a uniform until one is accepted.
    pub(crate) fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        loop {
            let z = standard_normal(rng);
            let v = 1.0 + self.c * z;
            if !(v > 0.0) {
                continue;
            }
            let v = v * v * v;
            let u = unit_open_closed(rng);
            let z2 = z * z;
            // The squeeze accepts most draws without a logarithm.
            if u < 1.0 - 0.0331 * z2 * z2 || ln(u) < 0.5 * z2 + self.d * (1.0 - v + ln(v)) {
                return self.d * v;
            }
        }
    }
}

/// The beta distribution of two shapes `>= 1`, as `X / (X + Y)` of two gammas.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Beta {
    x: Gamma,
    y: Gamma,
}

impl Beta {
    /// The beta of shapes `alpha` and `beta`, or `None` unless both are finite and at least 1.
    pub(crate) fn new(alpha: f64, beta: f64) -> Option<Self> {
        Some(Self { x: Gamma::new(alpha)?, y: Gamma::new(beta)? })
    }

    /// One draw, in `(0, 1)`.
    pub(crate) fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let x = self.x.sample(rng);
        let y = self.y.sample(rng);
        x / (x + y)
    }
}

#[cfg(test)]
mod tests {
    //! Each sampler against closed forms over a million draws from a fixed stream. Every tolerance is 5 standard
    //! errors of the statistic: the mean (SE `sd / sqrt(n)`), the variance (SE `sqrt((mu4 - sd^4) / n)`, `mu4`
    //! the fourth central moment) and the frequency below a few quantiles (SE `sqrt(p (1 - p) / n)`).
    use super::*;
    use crate::float_math::{exp, normal_cdf, pow};
    use crate::rng::stream;

    const N: usize = 1_000_000;

    /// Checks the draws' mean, variance and frequencies below `quantiles` (`(x, P(X < x))`) against the closed
    /// forms, `mu4` being the fourth central moment.
    fn check(name: &str, draws: &[f64], mean: f64, var: f64, mu4: f64, quantiles: &[(f64, f64)]) {
        let n = draws.len() as f64;
        let m = draws.iter().sum::<f64>() / n;
        let v = draws.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
        let se_mean = (var / n).sqrt();
        assert!((m - mean).abs() < 5.0 * se_mean, "{name}: mean {m}, expected {mean} (5 SE = {})", 5.0 * se_mean);
        let se_var = ((mu4 - var * var) / n).sqrt();
        assert!((v - var).abs() < 5.0 * se_var, "{name}: variance {v}, expected {var} (5 SE = {})", 5.0 * se_var);
        for &(x, p) in quantiles {
            let f = draws.iter().filter(|&&d| d < x).count() as f64 / n;
            let se = (p * (1.0 - p) / n).sqrt();
            assert!((f - p).abs() < 5.0 * se, "{name}: P(X < {x}) = {f}, expected {p} (5 SE = {})", 5.0 * se);
        }
    }

    fn draws(seed: u64, mut draw: impl FnMut(&mut crate::rng::Stream) -> f64) -> Vec<f64> {
        let mut rng = stream(seed, 0, "sampler-test");
        (0..N).map(|_| draw(&mut rng)).collect()
    }

    #[test]
    fn the_standard_normal_is_standard_normal_and_consumes_two_uniforms() {
        let xs = draws(1, standard_normal);
        let quantiles: Vec<(f64, f64)> =
            [-3.0, -1.959_963_984_540_054, -1.0, 0.0, 0.5, 1.0, 2.5].iter().map(|&x| (x, normal_cdf(x))).collect();
        check("normal", &xs, 0.0, 1.0, 3.0, &quantiles);
        let (mut a, mut b) = (stream(2, 0, "two"), stream(2, 0, "two"));
        standard_normal(&mut a);
        b.random::<f64>();
        b.random::<f64>();
        assert_eq!(a.random::<u64>(), b.random::<u64>());
    }

    #[test]
    fn the_exponential_is_exponential() {
        let rate = 2.0;
        let xs = draws(3, |r| exponential(r, rate));
        let quantiles: Vec<(f64, f64)> =
            [0.01, 0.1, 0.5, 1.0, 3.0].iter().map(|&x| (x, 1.0 - exp(-rate * x))).collect();
        // Mean 1/rate, variance 1/rate^2, fourth central moment 9/rate^4.
        check("exponential", &xs, 0.5, 0.25, 9.0 / 16.0, &quantiles);
    }

    #[test]
    fn gammas_are_gamma() {
        // Integer shapes have a closed-form distribution function, 1 - e^-x sum_{j<k} x^j / j!.
        for (seed, shape) in [(4u64, 1.0f64), (5, 2.0), (6, 3.0), (7, 1.8), (8, 7.5)] {
            let gamma = Gamma::new(shape).unwrap();
            let xs = draws(seed, |r| gamma.sample(r));
            let quantiles: Vec<(f64, f64)> = if shape.fract() == 0.0 {
                [0.1, 0.5, 1.0, 2.0, 4.0, 8.0]
                    .iter()
                    .map(|&x| {
                        let mut term = 1.0;
                        let mut sum = 0.0;
                        for j in 0..shape as usize {
                            sum += term;
                            term *= x / (j + 1) as f64;
                        }
                        (x, 1.0 - exp(-x) * sum)
                    })
                    .collect()
            } else {
                Vec::new()
            };
            // Mean and variance `shape`, fourth central moment 3 shape^2 + 6 shape.
            check(&format!("gamma({shape})"), &xs, shape, shape, 3.0 * shape * shape + 6.0 * shape, &quantiles);
        }
        assert!(Gamma::new(0.5).is_none() && Gamma::new(f64::NAN).is_none() && Gamma::new(f64::INFINITY).is_none());
    }

    #[test]
    fn betas_are_beta() {
        // Shapes of PERT (1 + 4 (mode - min) / range and its mirror, summing to 6) and others; the distribution
        // function is closed for beta(1, b), 1 - (1 - x)^b, for beta(a, 1), x^a, and for beta(2, 2), 3x^2 - 2x^3.
        for (seed, a, b) in [(9u64, 1.0f64, 5.0f64), (10, 5.0, 1.0), (11, 2.0, 2.0), (12, 1.8, 4.2), (13, 3.0, 3.0)] {
            let beta = Beta::new(a, b).unwrap();
            let xs = draws(seed, |r| beta.sample(r));
            let cdf = |x: f64| -> Option<f64> {
                if a == 1.0 {
                    Some(1.0 - pow(1.0 - x, b))
                } else if b == 1.0 {
                    Some(pow(x, a))
                } else if a == 2.0 && b == 2.0 {
                    Some(3.0 * x * x - 2.0 * x * x * x)
                } else {
                    None
                }
            };
            let quantiles: Vec<(f64, f64)> =
                [0.05, 0.2, 0.5, 0.8, 0.95].iter().filter_map(|&x| cdf(x).map(|p| (x, p))).collect();
            let s = a + b;
            let mean = a / s;
            let var = a * b / (s * s * (s + 1.0));
            // The fourth central moment of the beta, from its excess kurtosis.
            let excess = 6.0 * ((a - b) * (a - b) * (s + 1.0) - a * b * (s + 2.0)) / (a * b * (s + 2.0) * (s + 3.0));
            let mu4 = var * var * (3.0 + excess);
            check(&format!("beta({a}, {b})"), &xs, mean, var, mu4, &quantiles);
            assert!(xs.iter().all(|&x| x > 0.0 && x < 1.0));
        }
    }
}
