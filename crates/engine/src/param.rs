//! Uncertain numeric parameters: a constant, or a distribution sampled once per trial (or per event).
//!
//! Parameterisations follow the usual textbook forms (rand_distr's documentation gives the references):
//! uniform on `[min, max)`; triangular with `min <= mode <= max`; PERT as the scaled Beta with
//! `alpha = 1 + 4 (mode - min) / (max - min)` and `beta = 1 + 4 (max - mode) / (max - min)` (Vose, *Risk
//! Analysis*, 2008); normal truncated to `[min, max]` by rejection; lognormal by the `mu` and `sigma` of the
//! underlying normal (the scenario layer also accepts a median and a 90th percentile and converts them with
//! `mu = ln(median)`, `sigma = (ln(p90) - mu) / z_0.90`); a discrete choice among weighted values.

use std::sync::Arc;

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Triangular};

use crate::float_math::{erfc, exp, ln, normal_cdf};
use crate::sample::{Beta, standard_normal};

/// The 0.90 quantile of the standard normal distribution, used to turn a (median, p90) pair into `sigma`.
pub const Z_090: f64 = 1.281_551_565_544_600_4;

/// A validated numeric parameter: a constant or a distribution. Build it with the constructors, which check the
/// distribution's parameters ([`Param::uniform`], ...), or with [`Param::fixed`] for a value known to be finite;
/// read it with [`Param::shape`]. Its representation is private, so that no parameter skips those checks.
#[derive(Clone, PartialEq)]
pub struct Param(Shape);

/// The forms a parameter takes, with the invariants the constructors of [`Param`] check.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    /// A fixed value.
    Const(f64),
    /// Uniform on `[min, max)`.
    Uniform { min: f64, max: f64 },
    /// Triangular on `[min, max]` with its peak at `mode`.
    Triangular { min: f64, mode: f64, max: f64 },
    /// PERT (a scaled Beta) on `[min, max]` with its most likely value at `mode`.
    Pert { min: f64, mode: f64, max: f64 },
    /// Normal with `mean` and `sd`, truncated to `[min, max]`.
    Normal { mean: f64, sd: f64, min: f64, max: f64 },
    /// Lognormal: `exp(N(mu, sigma^2))`.
    LogNormal { mu: f64, sigma: f64 },
    /// One of `values`, chosen with probability proportional to `weights`.
    Choice { values: Vec<f64>, weights: Vec<f64> },
}

/// A read-only view of a [`Param`]'s form and its numbers, for code that must look inside (quantiles, words in
/// reports, bounds). The numbers satisfy the checks of the constructor that built the parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamShape<'a> {
    /// A fixed value.
    Const(f64),
    /// Uniform on `[min, max)`, with `min < max`.
    Uniform {
        /// The lower bound, included.
        min: f64,
        /// The upper bound, excluded.
        max: f64,
    },
    /// Triangular on `[min, max]` with its peak at `mode`.
    Triangular {
        /// The lower bound.
        min: f64,
        /// The most likely value.
        mode: f64,
        /// The upper bound.
        max: f64,
    },
    /// PERT (a scaled Beta) on `[min, max]` with its most likely value at `mode`.
    Pert {
        /// The lower bound.
        min: f64,
        /// The most likely value.
        mode: f64,
        /// The upper bound.
        max: f64,
    },
    /// Normal with `mean` and `sd`, truncated to `[min, max]` (infinite for no bound).
    Normal {
        /// The mean of the normal before truncation.
        mean: f64,
        /// The standard deviation of the normal before truncation.
        sd: f64,
        /// The lower truncation bound.
        min: f64,
        /// The upper truncation bound.
        max: f64,
    },
    /// Lognormal: `exp(N(mu, sigma^2))`.
    LogNormal {
        /// The mean of the underlying normal.
        mu: f64,
        /// The standard deviation of the underlying normal.
        sigma: f64,
    },
    /// One of `values`, chosen with probability proportional to `weights`.
    Choice {
        /// The values, at least one.
        values: &'a [f64],
        /// Their weights, as many as values, non-negative, with a positive total.
        weights: &'a [f64],
    },
}

/// A parameter prints as its form did when the form was public (`Const(2.0)`, `Uniform { min: 1.0, max: 3.0 }`).
impl std::fmt::Debug for Param {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Why a distribution's parameters were refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamError {
    /// A number of the distribution is NaN or infinite.
    #[error("parameter is not a finite number")]
    NotFinite,
    /// The range is empty.
    #[error("`min` ({min}) must be less than `max` ({max})")]
    EmptyRange {
        /// The lower bound given.
        min: f64,
        /// The upper bound given.
        max: f64,
    },
    /// The most likely value lies outside the range.
    #[error("`mode` ({mode}) must lie between `min` ({min}) and `max` ({max})")]
    ModeOutOfRange {
        /// The lower bound given.
        min: f64,
        /// The most likely value given.
        mode: f64,
        /// The upper bound given.
        max: f64,
    },
    /// A number that must be positive (a standard deviation, a sigma, a median) is not.
    #[error("`{name}` must be positive, got {value}")]
    NotPositive {
        /// The number's name in the scenario format.
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// A lognormal's 90th percentile is not above its median.
    #[error("`p90` ({p90}) must be greater than `median` ({median})")]
    P90NotAboveMedian {
        /// The median given.
        median: f64,
        /// The 90th percentile given.
        p90: f64,
    },
    /// A choice without values, with a weight missing or extra, or with weights that do not sum to a positive total.
    #[error("a choice needs at least one value and as many weights as values, with a positive total")]
    BadChoice,
    /// A truncated normal whose window holds almost none of the distribution.
    #[error("the truncation window [{min}, {max}] holds almost none of the normal's mass")]
    EmptyTruncation {
        /// The lower bound of the window.
        min: f64,
        /// The upper bound of the window.
        max: f64,
    },
}

fn finite(values: &[f64]) -> Result<(), ParamError> {
    if values.iter().all(|v| v.is_finite()) { Ok(()) } else { Err(ParamError::NotFinite) }
}

impl Param {
    /// Zero, as a constant.
    pub const ZERO: Self = Self(Shape::Const(0.0));
    /// One, as a constant.
    pub const ONE: Self = Self(Shape::Const(1.0));

    /// The constant `value`, known to be finite (a default, a value computed from validated ones); use
    /// [`Param::constant`] for a value that may not be. Debug builds check that it is finite.
    pub const fn fixed(value: f64) -> Self {
        debug_assert!(value.is_finite(), "a fixed parameter must be finite");
        Self(Shape::Const(value))
    }

    /// The parameter's form and numbers.
    pub fn shape(&self) -> ParamShape<'_> {
        match &self.0 {
            Shape::Const(v) => ParamShape::Const(*v),
            Shape::Uniform { min, max } => ParamShape::Uniform { min: *min, max: *max },
            Shape::Triangular { min, mode, max } => ParamShape::Triangular { min: *min, mode: *mode, max: *max },
            Shape::Pert { min, mode, max } => ParamShape::Pert { min: *min, mode: *mode, max: *max },
            Shape::Normal { mean, sd, min, max } => ParamShape::Normal { mean: *mean, sd: *sd, min: *min, max: *max },
            Shape::LogNormal { mu, sigma } => ParamShape::LogNormal { mu: *mu, sigma: *sigma },
            Shape::Choice { values, weights } => ParamShape::Choice { values, weights },
        }
    }

    /// A constant.
    pub fn constant(value: f64) -> Result<Self, ParamError> {
        finite(&[value])?;
        Ok(Self(Shape::Const(value)))
    }

    /// Uniform on `[min, max)`; `min == max` is allowed and behaves as a constant.
    pub fn uniform(min: f64, max: f64) -> Result<Self, ParamError> {
        finite(&[min, max])?;
        if min > max {
            return Err(ParamError::EmptyRange { min, max });
        }
        Ok(Self(if min == max { Shape::Const(min) } else { Shape::Uniform { min, max } }))
    }

    /// Triangular on `[min, max]` with mode `mode`.
    pub fn triangular(min: f64, mode: f64, max: f64) -> Result<Self, ParamError> {
        finite(&[min, mode, max])?;
        check_mode(min, mode, max)?;
        Ok(Self(Shape::Triangular { min, mode, max }))
    }

    /// PERT on `[min, max]` with mode `mode`.
    pub fn pert(min: f64, mode: f64, max: f64) -> Result<Self, ParamError> {
        finite(&[min, mode, max])?;
        check_mode(min, mode, max)?;
        Ok(Self(Shape::Pert { min, mode, max }))
    }

    /// Normal with `mean` and `sd`, truncated to `[min, max]` (use infinities for no bound).
    pub fn normal(mean: f64, sd: f64, min: f64, max: f64) -> Result<Self, ParamError> {
        finite(&[mean, sd])?;
        if min.is_nan() || max.is_nan() {
            return Err(ParamError::NotFinite);
        }
        if !(sd > 0.0) {
            return Err(ParamError::NotPositive { name: "sd", value: sd });
        }
        if min >= max {
            return Err(ParamError::EmptyRange { min, max });
        }
        // Refuse windows holding less than about 1e-6 of the mass: rejection sampling would spin.
        if (min - mean) / sd > 4.75 || (mean - max) / sd > 4.75 {
            return Err(ParamError::EmptyTruncation { min, max });
        }
        Ok(Self(Shape::Normal { mean, sd, min, max }))
    }

    /// Lognormal from the parameters of the underlying normal.
    pub fn lognormal(mu: f64, sigma: f64) -> Result<Self, ParamError> {
        finite(&[mu, sigma])?;
        if !(sigma > 0.0) {
            return Err(ParamError::NotPositive { name: "sigma", value: sigma });
        }
        Ok(Self(Shape::LogNormal { mu, sigma }))
    }

    /// Lognormal from its median and 90th percentile.
    pub fn lognormal_median_p90(median: f64, p90: f64) -> Result<Self, ParamError> {
        finite(&[median, p90])?;
        if !(median > 0.0) {
            return Err(ParamError::NotPositive { name: "median", value: median });
        }
        if !(p90 > median) {
            return Err(ParamError::P90NotAboveMedian { median, p90 });
        }
        let mu = ln(median);
        Self::lognormal(mu, (ln(p90) - mu) / Z_090)
    }

    /// A weighted discrete choice.
    pub fn choice(values: Vec<f64>, weights: Vec<f64>) -> Result<Self, ParamError> {
        finite(&values)?;
        finite(&weights)?;
        let total: f64 = weights.iter().sum();
        if values.is_empty() || values.len() != weights.len() || weights.iter().any(|w| *w < 0.0) || !(total > 0.0) {
            return Err(ParamError::BadChoice);
        }
        Ok(Self(Shape::Choice { values, weights }))
    }

    /// The smallest value the parameter can take (`-inf` when unbounded below).
    pub fn min(&self) -> f64 {
        match &self.0 {
            Shape::Const(v) => *v,
            Shape::Uniform { min, .. }
            | Shape::Triangular { min, .. }
            | Shape::Pert { min, .. }
            | Shape::Normal { min, .. } => *min,
            Shape::LogNormal { .. } => 0.0,
            Shape::Choice { values, .. } => values.iter().copied().fold(f64::INFINITY, f64::min),
        }
    }

    /// The largest value the parameter can take (`+inf` when unbounded above).
    pub fn max(&self) -> f64 {
        match &self.0 {
            Shape::Const(v) => *v,
            Shape::Uniform { max, .. }
            | Shape::Triangular { max, .. }
            | Shape::Pert { max, .. }
            | Shape::Normal { max, .. } => *max,
            Shape::LogNormal { .. } => f64::INFINITY,
            Shape::Choice { values, .. } => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }

    /// A representative value: the constant, or the median of the distribution (approximate for
    /// PERT and the truncated normal). Used to solve the baseline before any trial.
    pub fn central(&self) -> f64 {
        match &self.0 {
            Shape::Const(v) => *v,
            Shape::Uniform { min, max } => 0.5 * (min + max),
            Shape::Triangular { min, mode, max } | Shape::Pert { min, mode, max } => (min + 4.0 * mode + max) / 6.0,
            Shape::Normal { mean, min, max, .. } => mean.clamp(*min, *max),
            Shape::LogNormal { mu, .. } => exp(*mu),
            Shape::Choice { values, weights } => {
                let total: f64 = weights.iter().sum();
                values.iter().zip(weights).map(|(v, w)| v * w).sum::<f64>() / total
            }
        }
    }

    /// Whether the parameter is a fixed value.
    pub fn is_constant(&self) -> bool {
        matches!(self.0, Shape::Const(_))
    }

    /// Multiplies every value the parameter can take by a positive `factor` (a unit conversion).
    pub fn scaled(&self, factor: f64) -> Self {
        Self(match &self.0 {
            Shape::Const(v) => Shape::Const(v * factor),
            Shape::Uniform { min, max } => Shape::Uniform { min: min * factor, max: max * factor },
            Shape::Triangular { min, mode, max } => {
                Shape::Triangular { min: min * factor, mode: mode * factor, max: max * factor }
            }
            Shape::Pert { min, mode, max } => Shape::Pert { min: min * factor, mode: mode * factor, max: max * factor },
            Shape::Normal { mean, sd, min, max } => {
                Shape::Normal { mean: mean * factor, sd: sd * factor, min: min * factor, max: max * factor }
            }
            Shape::LogNormal { mu, sigma } => Shape::LogNormal { mu: mu + ln(factor), sigma: *sigma },
            Shape::Choice { values, weights } => {
                Shape::Choice { values: values.iter().map(|v| v * factor).collect(), weights: weights.clone() }
            }
        })
    }

    /// Draws one value. A constant consumes no randomness. This builds the distribution on every call; the
    /// engine compiles each parameter into a `Sampler` once, when the model is built, and draws from that.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        Sampler::new(self).sample(rng)
    }
}

/// A [`Param`] compiled for drawing: its distribution is prepared once, when the model is built, rather than on
/// every draw (a licence review draws once per shipment). It draws exactly the numbers [`Param::sample`] draws,
/// consuming the same randomness. Every draw is the same bits on every platform: the samplers are the engine's
/// own ([`crate::sample`]), on [`crate::float_math`].
#[derive(Debug, Clone)]
pub(crate) enum Sampler {
    /// A fixed value (also a distribution whose parameters no sampler accepts: its central value).
    Const(f64),
    /// `min + range * u` with `u` uniform on `[0, 1)`.
    Uniform {
        min: f64,
        range: f64,
    },
    Triangular(Triangular<f64>),
    /// `min + range * b` with `b` drawn from the Beta of the PERT parameterisation.
    Pert {
        min: f64,
        range: f64,
        beta: Beta,
    },
    /// Rejection sampling from the normal `mean + sd z` until a draw lies in `[min, max]`, with `fallback` after
    /// 10,000 misses.
    TruncatedNormal {
        mean: f64,
        sd: f64,
        min: f64,
        max: f64,
        fallback: f64,
    },
    /// `exp(mu + sigma z)`, `z` standard normal.
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    /// A weighted choice; `total` is the sum of the weights.
    Choice {
        values: Vec<f64>,
        weights: Vec<f64>,
        total: f64,
    },
}

impl Sampler {
    /// Compiles `param`.
    pub(crate) fn new(param: &Param) -> Self {
        match &param.0 {
            Shape::Const(v) => Self::Const(*v),
            Shape::Uniform { min, max } => Self::Uniform { min: *min, range: max - min },
            Shape::Triangular { min, mode, max } => match Triangular::new(*min, *max, *mode) {
                Ok(d) => Self::Triangular(d),
                Err(_) => Self::Const(*mode),
            },
            Shape::Pert { min, mode, max } => {
                let range = max - min;
                if range <= 0.0 {
                    return Self::Const(*mode);
                }
                // Both shapes are at least 1: the mode lies in the range.
                let alpha = 1.0 + 4.0 * (mode - min) / range;
                let beta = 1.0 + 4.0 * (max - mode) / range;
                match Beta::new(alpha, beta) {
                    Some(beta) => Self::Pert { min: *min, range, beta },
                    None => Self::Const(*mode),
                }
            }
            Shape::Normal { mean, sd, min, max } => {
                Self::TruncatedNormal { mean: *mean, sd: *sd, min: *min, max: *max, fallback: mean.clamp(*min, *max) }
            }
            Shape::LogNormal { mu, sigma } => Self::LogNormal { mu: *mu, sigma: *sigma },
            Shape::Choice { values, weights } => {
                Self::Choice { values: values.clone(), weights: weights.clone(), total: weights.iter().sum() }
            }
        }
    }

    /// The value of a constant, which draws nothing.
    #[inline]
    pub(crate) fn constant(&self) -> Option<f64> {
        match self {
            Self::Const(v) => Some(*v),
            _ => None,
        }
    }

    /// Draws one value. A constant consumes no randomness.
    #[inline]
    pub(crate) fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Self::Const(v) => *v,
            Self::Uniform { min, range } => min + range * rng.random::<f64>(),
            Self::Triangular(d) => d.sample(rng),
            Self::Pert { min, range, beta } => min + range * beta.sample(rng),
            Self::TruncatedNormal { mean, sd, min, max, fallback } => {
                // Rejection sampling: the constructor of `Param` refused windows with negligible mass.
                for _ in 0..10_000 {
                    let x = mean + sd * standard_normal(rng);
                    if x >= *min && x <= *max {
                        return x;
                    }
                }
                *fallback
            }
            Self::LogNormal { mu, sigma } => exp(mu + sigma * standard_normal(rng)),
            Self::Choice { values, weights, total } => {
                let mut u = rng.random::<f64>() * total;
                for (v, w) in values.iter().zip(weights) {
                    if u < *w {
                        return *v;
                    }
                    u -= w;
                }
                values[values.len() - 1]
            }
        }
    }
}

/// A duration in weeks compiled for drawing whole periods, as the period loop rounds weeks to periods
/// (`floor(weeks / period_weeks + 1/2)`, the number of `k >= 1` with `(k - 1/2) period_weeks <= weeks`).
///
/// A lognormal duration (licence reviews, drawn once per shipment: the hot path) is drawn in probability space,
/// by inversion, from ONE uniform `u` in `[0, 1)`: the duration `F^-1(u)` reaches `k` periods exactly when `u` is at
/// least `c_k = P(duration < (k - 1/2) period_weeks) = Φ((ln((k - 1/2) period_weeks) - mu) / sigma)`, so the
/// periods are the number of `c_k <= u`. The `c_k`, `k = 1..=MAX_BOUNDS`, are computed when the model is built;
/// a table of cells over `[0, 1)` gives, for the cell of `u`, how many `c_k` lie at or below its start, and a short
/// step forward passes the `c_k` within the cell that are `<= u` (rare: at most 255 bounds in 2,048 cells, so at
/// most 0.13 steps a draw on average). No transcendental function is called per draw: about 47 instructions a
/// draw, against 97 for rand_distr's normal and the cells of log-durations before (callgrind, a million draws of
/// median 8 weeks, p90 26, and of median 3, p90 9). Beyond the last bound (`u >= c_MAX_BOUNDS`, rare), the duration is
/// computed in full, `exp(mu + sigma Φ^-1(u))`, and rounded as the loop rounds (at least `MAX_BOUNDS` periods).
/// Other distributions draw their weeks and round them.
#[derive(Debug, Clone)]
pub(crate) struct PeriodsSampler {
    weeks: Sampler,
    lognormal: Option<LogNormalPeriods>,
}

/// The bounds of a lognormal duration in whole periods, in probability space; see [`PeriodsSampler`].
#[derive(Debug, Clone)]
struct LogNormalPeriods {
    /// The lognormal's underlying normal, for draws beyond the last bound.
    mu: f64,
    sigma: f64,
    /// `c_k` at `bounds[k - 1]` as the least uniform draw's top 53 bits `m` for which `c_k <= m × 2^-53`
    /// (`ceil(c_k × 2^53)`, exact), non-decreasing; shared by the links a regime covers. A fixed length, so that
    /// the step forward needs no bounds check.
    bounds: Arc<[u64; MAX_BOUNDS]>,
    /// For each cell `[i / CELLS, (i + 1) / CELLS)`, how many `c_k` are at or below its start.
    cells: Arc<[u8; CELLS]>,
}

/// Cells of `[0, 1)` in the table of a lognormal duration's bounds (a power of two): each holds probability
/// 1/CELLS, so a draw steps past, on average, at most MAX_BOUNDS / CELLS bounds within its cell.
const CELLS: usize = 2048;

/// Durations of fewer than this many periods are found among the bounds; longer ones are computed in full (each
/// costs 5,000 to 9,000 instructions, and a review of median 8 weeks and p90 26 is that long, 254.5 weeks or more,
/// once in 12,000 draws). At most 255, so that a cell's count fits a `u8`.
const MAX_BOUNDS: usize = 255;

impl PeriodsSampler {
    /// Compiles `param`, a duration in weeks, for periods of `period_weeks` weeks.
    pub(crate) fn new(param: &Param, period_weeks: f64) -> Self {
        let weeks = Sampler::new(param);
        let lognormal = match param.0 {
            Shape::LogNormal { mu, sigma } if period_weeks > 0.0 && period_weeks.is_finite() => {
                let bounds = lognormal_period_bounds(mu, sigma, period_weeks);
                let cells = std::array::from_fn(|i| {
                    let start = i as f64 / CELLS as f64;
                    bounds.partition_point(|&c| c <= start) as u8
                });
                let bounds = bounds.map(|c| (c * UNIFORM_STEPS).ceil() as u64);
                Some(LogNormalPeriods { mu, sigma, bounds: Arc::new(bounds), cells: Arc::new(cells) })
            }
            _ => None,
        };
        Self { weeks, lognormal }
    }

    /// Draws a duration and returns it in whole periods, `periods` being the loop's rounding of weeks.
    ///
    /// Other distributions draw through a copy of `rng`, given back after: the sampler is not inlined, and a
    /// generator whose address it took would be kept in memory on the lognormal path too (stored after each draw).
    #[inline]
    pub(crate) fn sample_periods<R: Rng + Clone>(&self, rng: &mut R, periods: impl Fn(f64) -> usize) -> usize {
        match &self.lognormal {
            Some(lognormal) => lognormal.periods(crate::rng::uniform_bits(rng.next_u64()), periods),
            None => {
                let mut own = rng.clone();
                let weeks = self.weeks.sample(&mut own);
                *rng = own;
                periods(weeks)
            }
        }
    }
}

/// The `c_k` of a lognormal duration (see [`PeriodsSampler`]), made non-decreasing whatever the rounding of erfc.
fn lognormal_period_bounds(mu: f64, sigma: f64, period_weeks: f64) -> [f64; MAX_BOUNDS] {
    let mut bounds = [0.0; MAX_BOUNDS];
    let mut last = 0.0f64;
    for (k, c) in (1..).zip(bounds.iter_mut()) {
        let z = (ln((k as f64 - 0.5) * period_weeks) - mu) / sigma;
        last = last.max(normal_cdf(z));
        *c = last;
    }
    bounds
}

/// The reciprocal of the spacing of `rand`'s uniform `f64`s: `random::<f64>()` is `m / UNIFORM_STEPS` for the top
/// 53 bits `m` of a `u64` draw.
const UNIFORM_STEPS: f64 = (1u64 << 53) as f64;

impl LogNormalPeriods {
    /// The periods of the uniform `u = m / UNIFORM_STEPS`: how many `c_k <= u`, found in the table, or beyond the
    /// last bound computed in full. `m` is below 2^53, the top 53 bits of a `u64` draw (`rng::uniform_bits`), of
    /// which `rand`'s uniform `f64` is made.
    #[inline(always)]
    fn periods(&self, m: u64, periods: impl Fn(f64) -> usize) -> usize {
        let LogNormalPeriods { mu, sigma, bounds, cells } = self;
        // The cell of `u` is `floor(u × CELLS)`, the top 11 of the 53 bits (masked, so without a bounds check).
        let mut k = usize::from(cells[(m >> (53 - CELLS.trailing_zeros())) as usize & (CELLS - 1)]);
        while k < MAX_BOUNDS && bounds[k] <= m {
            k += 1;
        }
        if k < MAX_BOUNDS {
            k
        } else {
            periods(exp(mu + sigma * normal_quantile_above(m as f64 / UNIFORM_STEPS))).max(MAX_BOUNDS)
        }
    }
}

/// `Φ^-1(u)` for `u` in `[0, 1)`, to full precision, for the rare review beyond the last bound: Newton's method on
/// `ln Q(x) = ln q`, `Q(x) = 1 - Φ(x) = erfc(x / √2) / 2` and `q = 1 - u` (exact: `u` is a multiple of 2^-53).
/// `ln Q` is concave (the normal distribution is log-concave) and decreasing, so from a start right of the root
/// (`x = sqrt(-2 ln q)`, where `Q(x) <= exp(-x^2 / 2) / 2 = q / 2`) every step lands right of it again, and the
/// iterates decrease to it, in five to ten steps (5,000 to 9,000 instructions a call, by callgrind); the
/// method stops when a step no longer decreases `x`, or decreases it by no more than rounding (4 ulps; the root, to
/// the last bits), or after 200 steps.
fn normal_quantile_above(u: f64) -> f64 {
    let q = 1.0 - u;
    let ln_q = ln(q);
    let mut x = (-2.0 * ln_q).sqrt();
    for _ in 0..200 {
        let upper = 0.5 * erfc(x * std::f64::consts::FRAC_1_SQRT_2);
        let density = exp(-0.5 * x * x) * (0.5 * std::f64::consts::FRAC_2_SQRT_PI * std::f64::consts::FRAC_1_SQRT_2);
        let next = x + (ln(upper) - ln_q) * upper / density;
        if !(next < x) {
            break;
        }
        // Converged when the step is within rounding: the iterates would only creep down by ulps.
        let converged = x - next <= 4.0 * f64::EPSILON * x.abs().max(1e-3);
        x = next;
        if converged {
            break;
        }
    }
    x
}

fn check_mode(min: f64, mode: f64, max: f64) -> Result<(), ParamError> {
    if min >= max {
        return Err(ParamError::EmptyRange { min, max });
    }
    if mode < min || mode > max {
        return Err(ParamError::ModeOutOfRange { min, mode, max });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;

    fn mean_of(p: &Param, n: usize) -> f64 {
        let mut rng = stream(7, 0, "param-test");
        (0..n).map(|_| p.sample(&mut rng)).sum::<f64>() / n as f64
    }

    #[test]
    fn the_shape_shows_what_the_constructors_built() {
        assert_eq!(Param::uniform(1.0, 3.0).unwrap().shape(), ParamShape::Uniform { min: 1.0, max: 3.0 });
        assert_eq!(Param::uniform(2.0, 2.0).unwrap().shape(), ParamShape::Const(2.0));
        assert_eq!(
            Param::normal(10.0, 2.0, 0.0, f64::INFINITY).unwrap().shape(),
            ParamShape::Normal { mean: 10.0, sd: 2.0, min: 0.0, max: f64::INFINITY }
        );
        assert_eq!(
            Param::choice(vec![1.0, 2.0], vec![1.0, 3.0]).unwrap().shape(),
            ParamShape::Choice { values: &[1.0, 2.0], weights: &[1.0, 3.0] }
        );
        assert_eq!(Param::ZERO, Param::constant(0.0).unwrap());
        assert_eq!(Param::ONE.shape(), ParamShape::Const(1.0));
        assert_eq!(Param::fixed(2.5).shape(), ParamShape::Const(2.5));
        // The debug form is that of the public enum it replaces.
        assert_eq!(format!("{:?}", Param::pert(1.0, 2.0, 4.0).unwrap()), "Pert { min: 1.0, mode: 2.0, max: 4.0 }");
        assert_eq!(format!("{:?}", Param::fixed(3.0)), "Const(3.0)");
    }

    #[test]
    fn constructors_refuse_bad_parameters() {
        assert!(matches!(Param::uniform(2.0, 1.0), Err(ParamError::EmptyRange { .. })));
        assert!(matches!(Param::triangular(0.0, 3.0, 2.0), Err(ParamError::ModeOutOfRange { .. })));
        assert!(matches!(Param::lognormal(0.0, 0.0), Err(ParamError::NotPositive { .. })));
        assert!(matches!(Param::lognormal_median_p90(8.0, 4.0), Err(ParamError::P90NotAboveMedian { .. })));
        assert!(matches!(Param::choice(vec![1.0], vec![]), Err(ParamError::BadChoice)));
        assert!(matches!(Param::normal(0.0, 1.0, 10.0, 20.0), Err(ParamError::EmptyTruncation { .. })));
        assert!(matches!(Param::constant(f64::NAN), Err(ParamError::NotFinite)));
    }

    #[test]
    fn sample_means_match_closed_forms() {
        let n = 200_000;
        let cases = [
            (Param::uniform(2.0, 6.0).unwrap(), 4.0),
            (Param::triangular(0.0, 1.0, 5.0).unwrap(), 2.0),
            (Param::pert(0.0, 1.0, 5.0).unwrap(), 1.5),
            (Param::lognormal(0.0, 0.5).unwrap(), exp(0.125)),
            (Param::choice(vec![1.0, 3.0], vec![3.0, 1.0]).unwrap(), 1.5),
        ];
        for (p, expected) in cases {
            let m = mean_of(&p, n);
            assert!((m - expected).abs() < 0.01 * expected.max(1.0), "{p:?}: mean {m}, expected {expected}");
        }
    }

    #[test]
    fn draws_are_value_stable() {
        // Value-stability: the first draws of each distribution from a fixed stream, the same bits on every
        // platform (the engine's own samplers on libm; PERT, normal and lognormal changed when they replaced
        // rand_distr's). A change here changes results for a fixed seed and must be flagged in the changelog.
        let cases: [(Param, [u64; 3]); 6] = [
            (Param::uniform(2.0, 6.0).unwrap(), [4614313647762059351, 4613948748332127340, 4616316567937940950]),
            (
                Param::triangular(0.0, 1.0, 5.0).unwrap(),
                [4608246587601672650, 4607768567353901802, 4611362459098703942],
            ),
            (Param::pert(0.0, 1.0, 5.0).unwrap(), [4607988774460288489, 4609536776682066372, 4608481015543094654]),
            (
                Param::normal(1.0, 2.0, -1.0, 4.0).unwrap(),
                [4607068339769968600, 4612034732431407744, 4600311956003321008],
            ),
            (
                Param::lognormal_median_p90(8.0, 26.0).unwrap(),
                [4620640910377206211, 4623849103750316318, 4618423443153682760],
            ),
            (
                Param::choice(vec![1.0, 3.0, 7.0], vec![3.0, 1.0, 2.0]).unwrap(),
                [4607182418800017408, 4607182418800017408, 4613937818241073152],
            ),
        ];
        for (p, want) in cases {
            let sampler = Sampler::new(&p);
            let mut rng = stream(7, 3, "value-stability");
            let got: Vec<u64> = (0..3).map(|_| sampler.sample(&mut rng).to_bits()).collect();
            assert_eq!(got, want, "{p:?}");
        }
    }

    #[test]
    fn lognormal_by_median_and_p90_hits_both_quantiles() {
        let p = Param::lognormal_median_p90(8.0, 26.0).unwrap();
        let mut rng = stream(1, 2, "q");
        let mut xs: Vec<f64> = (0..100_000).map(|_| p.sample(&mut rng)).collect();
        xs.sort_by(f64::total_cmp);
        assert!((xs[50_000] / 8.0 - 1.0).abs() < 0.02, "median {}", xs[50_000]);
        assert!((xs[90_000] / 26.0 - 1.0).abs() < 0.03, "p90 {}", xs[90_000]);
    }

    #[test]
    fn truncated_normal_stays_in_its_window() {
        let p = Param::normal(0.0, 1.0, -0.5, 2.0).unwrap();
        let mut rng = stream(3, 4, "n");
        assert!((0..10_000).map(|_| p.sample(&mut rng)).all(|x| (-0.5..=2.0).contains(&x)));
    }

    /// A million draws of `p` against its mean (within 5 SE, `sqrt(var / n)`), its variance where `mu4` (its fourth
    /// central moment) is given (within 5 SE, `sqrt((mu4 - var^2) / n)`) and its distribution function at `xs`
    /// (within 5 SE, `sqrt(F (1 - F) / n)`).
    fn check_draws(p: &Param, seed: u64, mean: f64, var: f64, mu4: Option<f64>, cdf: impl Fn(f64) -> f64, xs: &[f64]) {
        let n = 1_000_000;
        let sampler = Sampler::new(p);
        let mut rng = stream(seed, 0, "param-statistics");
        let draws: Vec<f64> = (0..n).map(|_| sampler.sample(&mut rng)).collect();
        let nf = n as f64;
        let m = draws.iter().sum::<f64>() / nf;
        assert!((m - mean).abs() < 5.0 * (var / nf).sqrt(), "{p:?}: mean {m}, expected {mean}");
        if let Some(mu4) = mu4 {
            let v = draws.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (nf - 1.0);
            assert!((v - var).abs() < 5.0 * ((mu4 - var * var) / nf).sqrt(), "{p:?}: variance {v}, expected {var}");
        }
        for &x in xs {
            let (f, want) = (draws.iter().filter(|&&d| d < x).count() as f64 / nf, cdf(x));
            assert!((f - want).abs() < 5.0 * (want * (1.0 - want) / nf).sqrt(), "{p:?}: F({x}) = {f}, expected {want}");
        }
    }

    #[test]
    fn lognormals_are_lognormal() {
        // Raw moments E[X^k] = exp(k mu + k^2 sigma^2 / 2); P(X < exp(mu + sigma z)) = Φ(z).
        for (seed, p) in
            [(21u64, Param::lognormal_median_p90(8.0, 26.0).unwrap()), (22, Param::lognormal(0.3, 0.25).unwrap())]
        {
            let ParamShape::LogNormal { mu, sigma } = p.shape() else { unreachable!() };
            let raw = |k: f64| exp(k * mu + k * k * sigma * sigma / 2.0);
            let m = raw(1.0);
            let var = raw(2.0) - m * m;
            let mu4 = raw(4.0) - 4.0 * m * raw(3.0) + 6.0 * m * m * raw(2.0) - 3.0 * m * m * m * m;
            let zs = [-2.0, -1.0, 0.0, Z_090, 2.0];
            let xs: Vec<f64> = zs.iter().map(|z| exp(mu + sigma * z)).collect();
            check_draws(&p, seed, m, var, Some(mu4), |x| normal_cdf((ln(x) - mu) / sigma), &xs);
        }
    }

    #[test]
    fn truncated_normals_are_truncated_normal() {
        // N(mean, sd^2) on [min, max], a = (min - mean) / sd, b = (max - mean) / sd, Z = Φ(b) - Φ(a): mean
        // mean + sd (φ(a) - φ(b)) / Z, variance sd^2 (1 + (a φ(a) - b φ(b)) / Z - ((φ(a) - φ(b)) / Z)^2),
        // F(x) = (Φ((x - mean) / sd) - Φ(a)) / Z.
        let density = |z: f64| exp(-0.5 * z * z) / (2.0 * std::f64::consts::PI).sqrt();
        for (seed, (mean, sd, min, max)) in
            [(23u64, (1.0, 2.0, -1.0, 4.0)), (24, (0.0, 1.0, -0.5, f64::INFINITY)), (25, (10.0, 3.0, 2.0, 11.0))]
        {
            let p = Param::normal(mean, sd, min, max).unwrap();
            let (a, b) = ((min - mean) / sd, (max - mean) / sd);
            let (fa, fb) = (density(a), if b.is_finite() { density(b) } else { 0.0 });
            let bfb = if b.is_finite() { b * fb } else { 0.0 };
            let z = normal_cdf(b) - normal_cdf(a);
            let m = mean + sd * (fa - fb) / z;
            let var = sd * sd * (1.0 + (a * fa - bfb) / z - ((fa - fb) / z) * ((fa - fb) / z));
            let xs: Vec<f64> = [0.1, 0.3, 0.5, 0.7, 0.9]
                .iter()
                .map(|q| min.max(mean - 3.0 * sd) + q * (max.min(mean + 3.0 * sd) - min.max(mean - 3.0 * sd)))
                .collect();
            check_draws(&p, seed, m, var, None, |x| (normal_cdf((x - mean) / sd) - normal_cdf(a)) / z, &xs);
        }
    }

    /// The periods of a licence review drawn from `u`, the long way: the duration `exp(mu + sigma Φ^-1(u))`,
    /// rounded.
    fn periods_the_long_way(mu: f64, sigma: f64, u: f64, period_weeks: f64) -> usize {
        (exp(mu + sigma * normal_quantile_above(u)) / period_weeks + 0.5) as usize
    }

    #[test]
    fn review_periods_are_those_of_the_duration_the_uniform_inverts_to() {
        // Each draw consumes one uniform, and its periods are those of the duration at that quantile, except where
        // the uniform is within rounding (1e-12) of a bound `c_k`, where either side is right.
        let cases = [
            (3.0f64, 9.0, 1.0),
            (8.0, 26.0, 1.0),
            (8.0, 26.0, 52.0 / 12.0),
            (40.0, 120.0, 1.0),
            (2.5, 2.5 * (1.0 + 1e-9), 1.0),
        ];
        for (median, p90, period_weeks) in cases {
            let p = Param::lognormal_median_p90(median, p90).unwrap();
            let ParamShape::LogNormal { mu, sigma } = p.shape() else { unreachable!() };
            let sampler = PeriodsSampler::new(&p, period_weeks);
            let bounds = lognormal_period_bounds(mu, sigma, period_weeks);
            let periods = |weeks: f64| (weeks / period_weeks + 0.5) as usize;
            let mut rng = stream(9, 1, "periods");
            for i in 0..100_000 {
                let u: f64 = rng.clone().random();
                let got = sampler.sample_periods(&mut rng, periods);
                if bounds.iter().any(|c| (u - c).abs() <= 1e-12) {
                    continue;
                }
                let want = periods_the_long_way(mu, sigma, u, period_weeks);
                assert_eq!(got, want, "median {median}, p90 {p90}, draw {i}, u {u}");
            }
            let mut one = stream(9, 1, "periods");
            one.random::<f64>();
            let mut rng = stream(9, 1, "periods");
            sampler.sample_periods(&mut rng, periods);
            assert_eq!(rng.random::<u64>(), one.random::<u64>(), "one uniform a draw");
        }
        // Other distributions draw their weeks and round them, with the same randomness.
        let p = Param::uniform(0.0, 30.0).unwrap();
        let (weeks, compiled) = (Sampler::new(&p), PeriodsSampler::new(&p, 1.0));
        let (mut a, mut b) = (stream(9, 1, "periods"), stream(9, 1, "periods"));
        for _ in 0..1000 {
            assert_eq!(compiled.sample_periods(&mut b, |w| (w + 0.5) as usize), (weeks.sample(&mut a) + 0.5) as usize);
        }
    }

    #[test]
    fn review_periods_count_the_bounds_at_or_below_the_uniform_exactly() {
        // The table compares a draw's top 53 bits with whole-number bounds: the same count of `c_k <= u` as with
        // the uniform `f64` and the `c_k` themselves, at every bound (the uniforms just below, at and above it)
        // and at random uniforms.
        for (median, p90, period_weeks) in [(3.0f64, 9.0, 1.0), (8.0, 26.0, 1.0), (8.0, 26.0, 52.0 / 12.0)] {
            let p = Param::lognormal_median_p90(median, p90).unwrap();
            let ParamShape::LogNormal { mu, sigma } = p.shape() else { unreachable!() };
            let sampler = PeriodsSampler::new(&p, period_weeks);
            let lognormal = sampler.lognormal.as_ref().unwrap();
            let bounds = lognormal_period_bounds(mu, sigma, period_weeks);
            let periods = |weeks: f64| (weeks / period_weeks + 0.5) as usize;
            let mut ms: Vec<u64> = bounds
                .iter()
                .flat_map(|&c| {
                    let m = (c * UNIFORM_STEPS) as u64;
                    [m.saturating_sub(1), m, m + 1]
                })
                .filter(|&m| m < 1 << 53)
                .collect();
            let mut rng = stream(9, 2, "periods");
            ms.extend((0..10_000).map(|_| crate::rng::uniform_bits(rng.random::<u64>())));
            for m in ms {
                let u = m as f64 / UNIFORM_STEPS;
                let want = bounds.partition_point(|&c| c <= u);
                if want < MAX_BOUNDS {
                    assert_eq!(lognormal.periods(m, periods), want, "median {median}, p90 {p90}, m {m}");
                }
            }
        }
    }

    #[test]
    fn review_periods_have_the_lognormals_probabilities() {
        // A million draws: the frequency of each number of periods k against P(k) = c_{k+1} - c_k (c_0 = 0), and
        // of the tail (at least MAX_BOUNDS periods) against 1 - c_MAX_BOUNDS, within 5 standard errors
        // (sqrt(P (1 - P) / n)), for a tail that is common (median 30 weeks, p90 90) and one that is rare.
        let n = 1_000_000;
        for (median, p90, period_weeks) in [(30.0f64, 90.0, 1.0), (8.0, 26.0, 1.0), (8.0, 26.0, 52.0 / 12.0)] {
            let p = Param::lognormal_median_p90(median, p90).unwrap();
            let ParamShape::LogNormal { mu, sigma } = p.shape() else { unreachable!() };
            let sampler = PeriodsSampler::new(&p, period_weeks);
            let mut counts = vec![0usize; MAX_BOUNDS + 1];
            let tail_weeks = std::cell::RefCell::new(Vec::new());
            let mut rng = stream(11, 0, "review-frequencies");
            for _ in 0..n {
                let k = sampler.sample_periods(&mut rng, |weeks| {
                    tail_weeks.borrow_mut().push(weeks);
                    (weeks / period_weeks + 0.5) as usize
                });
                counts[k.min(MAX_BOUNDS)] += 1;
            }
            let c = |k: usize| {
                if k == 0 { 0.0 } else { normal_cdf((ln((k as f64 - 0.5) * period_weeks) - mu) / sigma) }
            };
            // Numbers of periods expected fewer than 25 times are pooled, where the normal approximation fails:
            // the pool's count within 5 SE (sqrt of its expected count) plus five draws.
            let (mut pooled, mut pooled_expected) = (0usize, 0.0f64);
            for (k, &count) in counts.iter().enumerate() {
                let expected = if k == MAX_BOUNDS { 1.0 - c(MAX_BOUNDS) } else { c(k + 1) - c(k) };
                if expected * (n as f64) < 25.0 {
                    pooled += count;
                    pooled_expected += expected * n as f64;
                    continue;
                }
                let f = count as f64 / n as f64;
                let se = (expected * (1.0 - expected) / n as f64).sqrt();
                assert!(
                    (f - expected).abs() <= 5.0 * se + 1e-12,
                    "median {median}: P({k} periods) = {f}, expected {expected} (5 SE = {})",
                    5.0 * se
                );
            }
            assert!(
                (pooled as f64 - pooled_expected).abs() <= 5.0 * pooled_expected.sqrt() + 5.0,
                "median {median}: {pooled} rare draws, expected {pooled_expected}"
            );
            // The tail's durations are the lognormal's beyond the last bound: their median is the lognormal's
            // conditional median, exp(mu + sigma Φ^-1((1 + c_MAX) / 2)), within 5 SE of the sample median (SE of
            // the median's probability sqrt(1/4 / m)).
            let mut tail_weeks = tail_weeks.into_inner();
            let m = tail_weeks.len();
            assert_eq!(m, counts[MAX_BOUNDS]);
            if m > 1000 {
                tail_weeks.sort_by(f64::total_cmp);
                let below = |w: f64| tail_weeks.partition_point(|&x| x < w) as f64 / m as f64;
                let conditional =
                    |p: f64| exp(mu + sigma * normal_quantile_above(c(MAX_BOUNDS) + p * (1.0 - c(MAX_BOUNDS))));
                let se = (0.25 / m as f64).sqrt();
                for p in [0.25, 0.5, 0.9] {
                    assert!((below(conditional(p)) - p).abs() < 5.0 * se, "median {median}: tail quantile {p}");
                }
                assert!(tail_weeks[0] >= (MAX_BOUNDS as f64 - 0.5) * period_weeks * (1.0 - 1e-12));
            }
        }
    }

    #[test]
    fn the_normal_quantile_inverts_the_distribution_function() {
        for u in [0.0, 1e-300, 1e-10, 0.025, 0.5, 0.9, 0.975, 0.999_999, 1.0 - f64::EPSILON / 2.0] {
            let x = normal_quantile_above(u);
            let q = 1.0 - u;
            if u > 0.0 {
                let upper = 0.5 * erfc(x * std::f64::consts::FRAC_1_SQRT_2);
                assert!((upper / q - 1.0).abs() < 1e-13, "u {u}: x {x}, Q(x) {upper}, q {q}");
            }
        }
        assert!((normal_quantile_above(0.9) - Z_090).abs() < 1e-14);
        assert!((normal_quantile_above(0.5)).abs() < 1e-15);
    }

    #[test]
    fn scaling_scales_every_draw() {
        let p = Param::lognormal(1.0, 0.3).unwrap();
        let q = p.scaled(2.0);
        let (mut a, mut b) = (stream(5, 5, "s"), stream(5, 5, "s"));
        for _ in 0..100 {
            let (x, y) = (p.sample(&mut a), q.sample(&mut b));
            assert!((2.0 * x - y).abs() < 1e-9 * y);
        }
    }
}
