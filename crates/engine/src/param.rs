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
use rand_distr::{Beta, Distribution, LogNormal, Normal, StandardNormal, Triangular};

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
        let mu = median.ln();
        Self::lognormal(mu, (p90.ln() - mu) / Z_090)
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
            Shape::LogNormal { mu, .. } => mu.exp(),
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
            Shape::LogNormal { mu, sigma } => Shape::LogNormal { mu: mu + factor.ln(), sigma: *sigma },
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

/// A [`Param`] compiled for drawing: its distribution object is built once, when the model is built, rather than
/// on every draw (a licence review draws once per shipment). It draws exactly the numbers [`Param::sample`] draws,
/// consuming the same randomness.
#[derive(Debug, Clone)]
pub(crate) enum Sampler {
    /// A fixed value (also a distribution whose parameters the distribution library refuses: its central value).
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
        beta: Beta<f64>,
    },
    /// Rejection sampling from `normal` until a draw lies in `[min, max]`, with `fallback` after 10,000 misses.
    TruncatedNormal {
        normal: Normal<f64>,
        min: f64,
        max: f64,
        fallback: f64,
    },
    LogNormal(LogNormal<f64>),
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
                let alpha = 1.0 + 4.0 * (mode - min) / range;
                let beta = 1.0 + 4.0 * (max - mode) / range;
                match Beta::new(alpha, beta) {
                    Ok(beta) => Self::Pert { min: *min, range, beta },
                    Err(_) => Self::Const(*mode),
                }
            }
            Shape::Normal { mean, sd, min, max } => match Normal::new(*mean, *sd) {
                Ok(normal) => Self::TruncatedNormal { normal, min: *min, max: *max, fallback: mean.clamp(*min, *max) },
                Err(_) => Self::Const(mean.clamp(*min, *max)),
            },
            Shape::LogNormal { mu, sigma } => match LogNormal::new(*mu, *sigma) {
                Ok(d) => Self::LogNormal(d),
                Err(_) => Self::Const(mu.exp()),
            },
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
            Self::TruncatedNormal { normal, min, max, fallback } => {
                // Rejection sampling: the constructor of `Param` refused windows with negligible mass.
                for _ in 0..10_000 {
                    let x = normal.sample(rng);
                    if x >= *min && x <= *max {
                        return x;
                    }
                }
                *fallback
            }
            Self::LogNormal(d) => d.sample(rng),
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

/// A duration in weeks compiled for drawing whole periods: the periods of one draw, as the period loop rounds
/// weeks to periods (`floor(weeks / period_weeks + 1/2)`). It draws exactly the numbers, and consumes exactly the
/// randomness, of `periods(sampler.sample(rng))`.
///
/// A lognormal duration (licence reviews, drawn once per shipment) is decided without `exp`: its log-duration
/// `y = mu + sigma z` (the operations of the lognormal's own draw) is placed among the log-durations
/// `ln((k - 1/2) period_weeks)` at which the rounded duration reaches `k` periods. Near one of those bounds (within
/// a relative 1e-9, far more than the rounding of `exp`, of the division and of the bounds' `ln`), or beyond the
/// last, the duration is computed as before; elsewhere the bound decides, whatever the last bits of `exp`.
#[derive(Debug, Clone)]
pub(crate) struct PeriodsSampler {
    weeks: Sampler,
    lognormal: Option<LogNormalPeriods>,
}

/// The bounds of a lognormal duration in whole periods; see [`PeriodsSampler`].
#[derive(Debug, Clone)]
struct LogNormalPeriods {
    /// The lognormal's underlying normal, and the lognormal itself for draws near a bound.
    normal: Normal<f64>,
    lognormal: LogNormal<f64>,
    /// Around each `ln((k - 1/2) period_weeks)`, `k = 1, 2, ...`, the band `(low, high)` within which a draw is
    /// computed in full, increasing, after a band at minus infinity (so that `bands[k]` and `bands[k + 1]` frame
    /// a draw of `k` periods); shared by the links a regime covers.
    /// A fixed length, so that the two reads of a draw below `MAX_BOUNDS` periods need no bounds check.
    bands: Arc<[(f64, f64); MAX_BOUNDS + 1]>,
    /// Cells of width `1 / CELLS_PER_UNIT` from `origin`, which find a draw's place among the bands without a
    /// search (whose unpredictable exit costs more time than `exp`): for each cell, how many bands start at or
    /// before the cell's start, and where the one band that starts within the cell starts (infinity if none).
    origin: f64,
    cells: Arc<[(usize, f64)]>,
}

/// Cells per unit of log-duration. Consecutive bounds are at least `ln(63.5 / 62.5)`, more than 1/64, apart, so
/// no cell holds the start of two bands.
const CELLS_PER_UNIT: f64 = 64.0;

/// Relative distance from a bound within which a lognormal duration is computed in full.
const LOG_BOUND_GUARD: f64 = 1e-9;

/// Durations of at most this many periods are found among the bounds; longer ones are computed in full.
const MAX_BOUNDS: usize = 64;

impl PeriodsSampler {
    /// Compiles `param`, a duration in weeks, for periods of `period_weeks` weeks.
    pub(crate) fn new(param: &Param, period_weeks: f64) -> Self {
        let weeks = Sampler::new(param);
        let lognormal = match (&param.0, &weeks) {
            (Shape::LogNormal { mu, sigma }, Sampler::LogNormal(lognormal)) if period_weeks > 0.0 => {
                Normal::new(*mu, *sigma).ok().map(|normal| {
                    // The bounds of the first `MAX_BOUNDS` periods; the rare longer draws are computed in full.
                    let bands: [(f64, f64); MAX_BOUNDS + 1] = std::array::from_fn(|k| {
                        if k == 0 {
                            return (f64::NEG_INFINITY, f64::NEG_INFINITY);
                        }
                        let bound = ((k as f64 - 0.5) * period_weeks).ln();
                        let guard = LOG_BOUND_GUARD * (1.0 + bound.abs());
                        (bound - guard, bound + guard)
                    });
                    let lows: Vec<f64> = bands[1..].iter().map(|&(low, _)| low).collect();
                    let origin = lows[0] - 1.0;
                    let mut cells = Vec::new();
                    for i in 0.. {
                        let start = origin + i as f64 / CELLS_PER_UNIT;
                        let end = origin + (i + 1) as f64 / CELLS_PER_UNIT;
                        let count = lows.partition_point(|&low| low <= start);
                        let next = lows.get(count).copied().filter(|&low| low < end).unwrap_or(f64::INFINITY);
                        cells.push((count, next));
                        if count == lows.len() {
                            break;
                        }
                    }
                    LogNormalPeriods {
                        normal,
                        lognormal: *lognormal,
                        bands: Arc::new(bands),
                        origin,
                        cells: cells.into(),
                    }
                })
            }
            _ => None,
        };
        Self { weeks, lognormal }
    }

    /// Draws a duration and returns it in whole periods, `periods` being the loop's rounding of weeks.
    #[inline]
    pub(crate) fn sample_periods<R: Rng + ?Sized>(&self, rng: &mut R, periods: impl Fn(f64) -> usize) -> usize {
        let Some(LogNormalPeriods { normal, lognormal, bands, origin, cells }) = &self.lognormal else {
            return periods(self.weeks.sample(rng));
        };
        let z: f64 = StandardNormal.sample(rng);
        let y = normal.from_zscore(z);
        // The draw's cell gives the number of bands it is past (NaN: cell 0, no band); the draw reaches `k` periods
        // when it is above the `k`-th band and below the next one. The cell is found as an `i32`, which converts in
        // fewer instructions than a `usize`: a draw below the origin (a negative cell, no cell as a `usize`), as
        // one past the cells, is computed in full.
        let cell = ((y - origin) * CELLS_PER_UNIT) as i32;
        let k = cells.get(cell as usize).map_or(MAX_BOUNDS, |&(count, next)| count + usize::from(next <= y));
        if k < MAX_BOUNDS && y > bands[k].1 && y < bands[k + 1].0 { k } else { periods(lognormal.from_zscore(z)) }
    }
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
            (Param::lognormal(0.0, 0.5).unwrap(), (0.125f64).exp()),
            (Param::choice(vec![1.0, 3.0], vec![3.0, 1.0]).unwrap(), 1.5),
        ];
        for (p, expected) in cases {
            let m = mean_of(&p, n);
            assert!((m - expected).abs() < 0.01 * expected.max(1.0), "{p:?}: mean {m}, expected {expected}");
        }
    }

    #[test]
    fn draws_are_value_stable() {
        // Value-stability: the first draws of each distribution from a fixed stream, as they were when every
        // draw built its distribution object anew (before parameters were compiled into samplers). A change
        // here changes results for a fixed seed and must be flagged in the changelog.
        let cases: [(Param, [u64; 3]); 6] = [
            (Param::uniform(2.0, 6.0).unwrap(), [4614313647762059351, 4613948748332127340, 4616316567937940950]),
            (
                Param::triangular(0.0, 1.0, 5.0).unwrap(),
                [4608246587601672650, 4607768567353901802, 4611362459098703942],
            ),
            (Param::pert(0.0, 1.0, 5.0).unwrap(), [4606838396221349066, 4609792902308900324, 4603162744635571671]),
            (
                Param::normal(1.0, 2.0, -1.0, 4.0).unwrap(),
                [13813503232996633360, 4608021645959660243, 4590700464274895488],
            ),
            (
                Param::lognormal_median_p90(8.0, 26.0).unwrap(),
                [4614335193270069434, 4617177959749991687, 4621096158075738633],
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

    #[test]
    fn periods_samplers_draw_the_periods_of_the_weeks_they_replace() {
        // Licence reviews: a lognormal's periods are found among bounds rather than through `exp`; every draw
        // must be the rounding of the weeks drawn as before, from the same randomness. The last two put every
        // draw next to a bound (2.5 weeks: 2 or 3 periods), where the draw is computed in full.
        let cases = [
            (Param::lognormal_median_p90(3.0, 9.0).unwrap(), 1.0),
            (Param::lognormal_median_p90(8.0, 26.0).unwrap(), 1.0),
            (Param::lognormal_median_p90(8.0, 26.0).unwrap(), 4.345),
            (Param::lognormal(0.3, 2.5).unwrap(), 0.5),
            (Param::lognormal(2.5f64.ln(), 1e-13).unwrap(), 1.0),
            (Param::lognormal(2.5f64.ln(), 1e-7).unwrap(), 1.0),
            (Param::uniform(0.0, 30.0).unwrap(), 1.0),
        ];
        for (p, period_weeks) in cases {
            let periods = |weeks: f64| (weeks / period_weeks + 0.5) as usize;
            let (weeks, compiled) = (Sampler::new(&p), PeriodsSampler::new(&p, period_weeks));
            let (mut a, mut b) = (stream(9, 1, "periods"), stream(9, 1, "periods"));
            for i in 0..200_000 {
                let want = periods(weeks.sample(&mut a));
                assert_eq!(compiled.sample_periods(&mut b, periods), want, "{p:?}, draw {i}");
            }
            assert_eq!(a.random::<u64>(), b.random::<u64>(), "{p:?} consumed other randomness");
        }
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
