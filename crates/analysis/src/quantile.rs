//! Quantiles of a parameter's distribution (its inverse distribution function), for the low and high values of a
//! tornado.
//!
//! Closed forms where they exist: uniform; triangular (inverting its piecewise-quadratic distribution function);
//! the truncated normal as `mean + sd Φ⁻¹(Φ(a) + q (Φ(b) − Φ(a)))` with `a`, `b` the standardised bounds; the
//! lognormal as `exp(mu + sigma Φ⁻¹(q))`; a discrete choice as the smallest value whose cumulative weight reaches
//! `q`. PERT is a scaled Beta(α, β) with α, β in [1, 5] (Vose, *Risk Analysis*, 2008), whose density is bounded:
//! its distribution function is integrated numerically (Simpson's rule on 4,096 intervals) and inverted by
//! bisection. Φ is computed from the complementary error function (a series below 3, a continued fraction
//! beyond), and Φ⁻¹ by Acklam's rational approximation (relative error below 1.2e-9) refined by one Halley step.
//! `exp`, `ln` and `pow` are the engine's (`chokepoint_engine::float_math`, the pure-Rust libm), not the C
//! library's, which differ by machine: a tornado's low and high values, which its runs use, are the same bits on
//! every platform.

use chokepoint_engine::float_math::{exp, ln, pow};
use chokepoint_engine::{Param, ParamShape};

/// The `q`-quantile (`q` in [0, 1]) of `p`: the constant itself, or the value below which the distribution puts
/// probability `q`.
pub fn quantile(p: &Param, q: f64) -> f64 {
    let q = q.clamp(0.0, 1.0);
    match p.shape() {
        ParamShape::Const(v) => v,
        ParamShape::Uniform { min, max } => min + q * (max - min),
        ParamShape::Triangular { min, mode, max } => {
            let range = max - min;
            if range <= 0.0 {
                return mode;
            }
            let at_mode = (mode - min) / range;
            if q <= at_mode {
                min + (q * range * (mode - min)).sqrt()
            } else {
                max - ((1.0 - q) * range * (max - mode)).sqrt()
            }
        }
        ParamShape::Pert { min, mode, max } => {
            let range = max - min;
            if range <= 0.0 {
                return mode;
            }
            let alpha = 1.0 + 4.0 * (mode - min) / range;
            let beta = 1.0 + 4.0 * (max - mode) / range;
            min + range * beta_quantile(alpha, beta, q)
        }
        ParamShape::Normal { mean, sd, min, max } => {
            let (a, b) = (normal_cdf((min - mean) / sd), normal_cdf((max - mean) / sd));
            (mean + sd * normal_quantile(a + q * (b - a))).clamp(min, max)
        }
        ParamShape::LogNormal { mu, sigma } => exp(mu + sigma * normal_quantile(q)),
        ParamShape::Choice { values, weights } => {
            let total: f64 = weights.iter().sum();
            let mut order: Vec<usize> = (0..values.len()).collect();
            order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
            let mut cumulative = 0.0;
            for &i in &order {
                cumulative += weights[i] / total;
                if cumulative >= q - 1e-12 {
                    return values[i];
                }
            }
            order.last().map_or(f64::NAN, |&i| values[i])
        }
    }
}

/// The standard normal distribution function.
pub fn normal_cdf(x: f64) -> f64 {
    if x == f64::INFINITY {
        return 1.0;
    }
    if x == f64::NEG_INFINITY {
        return 0.0;
    }
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// The complementary error function: for |x| < 3 from the series `erf(x) = 2/√π e^(−x²) Σ 2ⁿ x^(2n+1) / (1·3···(2n+1))`
/// (all terms positive), beyond from the continued fraction `erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x +
/// (3/2)/(x + ...))))` evaluated backwards over 60 terms (Abramowitz and Stegun, 1964, 7.1.6 and 7.1.14).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let value = if z < 3.0 {
        let (mut term, mut sum, mut n) = (z, z, 0.0);
        while term > 1e-17 * sum {
            n += 1.0;
            term *= 2.0 * z * z / (2.0 * n + 1.0);
            sum += term;
        }
        1.0 - 2.0 / std::f64::consts::PI.sqrt() * exp(-z * z) * sum
    } else {
        let mut fraction = z;
        for k in (1..=60).rev() {
            fraction = z + f64::from(k) / 2.0 / fraction;
        }
        exp(-z * z) / std::f64::consts::PI.sqrt() / fraction
    };
    if x >= 0.0 { value } else { 2.0 - value }
}

/// The standard normal quantile function: Acklam's rational approximation, refined by one Halley step.
pub fn normal_quantile(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] =
        [7.784_695_709_041_462e-3, 3.224_671_290_700_398e-1, 2.445_134_137_142_996, 3.754_408_661_907_416];
    const LOW: f64 = 0.024_25;
    let x = if p < LOW {
        let q = (-2.0 * ln(p)).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * ln(1.0 - p)).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    // One Halley step on Φ(x) - p.
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * exp(x * x / 2.0);
    x - u / (1.0 + x * u / 2.0)
}

/// The `q`-quantile of Beta(`alpha`, `beta`) with both parameters at least 1 (a bounded density).
fn beta_quantile(alpha: f64, beta: f64, q: f64) -> f64 {
    const INTERVALS: usize = 4096;
    let density = |x: f64| pow(x, alpha - 1.0) * pow(1.0 - x, beta - 1.0);
    // Cumulative Simpson integrals over pairs of intervals.
    let h = 1.0 / INTERVALS as f64;
    let mut cumulative = vec![0.0; INTERVALS / 2 + 1];
    for k in 0..INTERVALS / 2 {
        let x0 = 2.0 * k as f64 * h;
        let piece = h / 3.0 * (density(x0) + 4.0 * density(x0 + h) + density(x0 + 2.0 * h));
        cumulative[k + 1] = cumulative[k] + piece;
    }
    let total = cumulative[INTERVALS / 2];
    let target = q * total;
    let k = cumulative.partition_point(|&c| c < target).clamp(1, INTERVALS / 2);
    // Bisection within the pair of intervals, on the integral from its start (Simpson on a fine sub-grid).
    let (start, base) = (2.0 * (k - 1) as f64 * h, cumulative[k - 1]);
    let integral = |x: f64| {
        let n = 32;
        let step = (x - start) / n as f64;
        if step <= 0.0 {
            return 0.0;
        }
        let mut s = density(start) + density(x);
        for i in 1..n {
            s += density(start + i as f64 * step) * if i % 2 == 1 { 4.0 } else { 2.0 };
        }
        s * step / 3.0
    };
    let (mut lo, mut hi) = (start, (start + 2.0 * h).min(1.0));
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if base + integral(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chokepoint_engine::rng::stream;

    fn empirical(p: &Param, q: f64) -> f64 {
        let mut rng = stream(11, 0, "quantile-test");
        let mut xs: Vec<f64> = (0..200_000).map(|_| p.sample(&mut rng)).collect();
        xs.sort_by(f64::total_cmp);
        xs[(q * xs.len() as f64) as usize]
    }

    #[test]
    fn quantiles_match_the_sampled_distributions() {
        let cases = [
            Param::uniform(2.0, 6.0).unwrap(),
            Param::triangular(0.0, 1.0, 5.0).unwrap(),
            Param::pert(24.0, 39.0, 78.0).unwrap(),
            Param::pert(0.0, 0.0, 1.0).unwrap(),
            Param::normal(10.0, 2.0, 7.0, f64::INFINITY).unwrap(),
            Param::lognormal_median_p90(8.0, 26.0).unwrap(),
        ];
        for p in &cases {
            for q in [0.1, 0.5, 0.9] {
                let (exact, sampled) = (quantile(p, q), empirical(p, q));
                let scale = (quantile(p, 0.9) - quantile(p, 0.1)).abs().max(1e-9);
                assert!((exact - sampled).abs() < 0.01 * scale, "{p:?} at {q}: {exact} against {sampled}");
            }
        }
    }

    #[test]
    fn closed_forms_are_exact() {
        assert_eq!(quantile(&Param::fixed(3.0), 0.9), 3.0);
        assert_eq!(quantile(&Param::uniform(4.0, 8.0).unwrap(), 0.25), 5.0);
        let lognormal = Param::lognormal_median_p90(8.0, 26.0).unwrap();
        assert!((quantile(&lognormal, 0.5) - 8.0).abs() < 1e-6);
        assert!((quantile(&lognormal, 0.9) - 26.0).abs() < 1e-5);
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-8);
        assert!((normal_cdf(1.0) - 0.841_344_746_068_543).abs() < 1e-7);
        let choice = Param::choice(vec![52.0, 5.0], vec![0.5, 0.5]).unwrap();
        assert_eq!((quantile(&choice, 0.1), quantile(&choice, 0.5), quantile(&choice, 0.9)), (5.0, 5.0, 52.0));
        // PERT(0, 0.5, 1) is Beta(3, 3), symmetric about 0.5.
        assert!((quantile(&Param::pert(0.0, 0.5, 1.0).unwrap(), 0.5) - 0.5).abs() < 1e-9);
    }
}
