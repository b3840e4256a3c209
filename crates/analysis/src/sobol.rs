//! Variance-based sensitivity: first-order and total Sobol indices of a metric over a scenario's uncertain
//! parameters, with the trial's event randomness as a group of its own.
//!
//! **Model.** A trial's metric is `Y = f(X_1, ..., X_k, Ω)`: `X_i` are the parameters studied (drawn once per
//! trial from their distributions), `Ω` everything else random in the trial (disruption timings, licence reviews,
//! the severity of each event, and any parameter not studied), which is the stream family of the trial's seed.
//! `Ω` is one more factor: its indices say how much of the variance comes from the dice of events, whatever the
//! parameters.
//!
//! **Design** (Saltelli, 2002; Saltelli et al., 2010, "Variance based sensitivity analysis of model output. Design
//! and estimator for the total sensitivity index", *Computer Physics Communications* 181, 259–270). Two
//! independent samples `A` and `B` of `N` rows; row `j` of `A` draws each parameter from a stream keyed by (seed,
//! row, parameter) and its events from seed `e_A(j)`. `A_B^(i)` is `A` with factor `i` (a parameter's value, or the
//! event seed for `Ω`) taken from `B`. Every row is one trial of the model with the studied parameters set to the
//! row's constants: `N (k + 3)` trials in all (`k + 1` factors with `Ω`).
//!
//! **Estimators.** With `V` the variance of the `2N` values `f(A)`, `f(B)`:
//! - first order (Saltelli et al., 2010, table 2, b): `V_i = (1/N) Σ_j (f(B)_j − f̄) (f(A_B^(i))_j − f(A)_j)`,
//!   `S_i = V_i / V`, the share of the variance `X_i` explains alone. The outputs are centred on their mean `f̄`
//!   (the difference has mean 0, so this changes the expectation only by O(1/N)), which removes the variance a
//!   large mean adds to the uncentred product (Sobol', Tarantola, Gatelli, Kucherenko and Mauntz, 2007,
//!   "Estimating the approximation error when fixing unessential factors in global sensitivity analysis",
//!   *Reliability Engineering & System Safety* 92, 957–960);
//! - total (Jansen, 1999, "Analysis of variance designs for model output", *Computer Physics Communications* 117,
//!   35–43; Saltelli et al., 2010, table 2, f): `V_Ti = (1/2N) Σ_j (f(A)_j − f(A_B^(i))_j)²`, `S_Ti = V_Ti / V`,
//!   its share with every interaction it takes part in.
//!
//! Confidence intervals are percentile bootstrap intervals (Efron and Tibshirani, 1993): the `N` rows resampled
//! with replacement, from a stream keyed by the seed, every estimate recomputed. Every trial's result goes into its
//! own slot, and rows are evaluated on worker threads in any order: the answer is the same at any thread count.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use chokepoint_engine::rng::{key, splitmix64, stream, stream_for_key};
use chokepoint_engine::stats::quantile_sorted;
use chokepoint_engine::{Model, Param, RunConfig, RunError};
use chokepoint_scenario::Parameter;
use rand::RngExt;

use crate::AnalysisError;
use crate::loss::LossWeights;
use crate::outcome::VariantOutcome;
use crate::parameters::substitute;
use crate::portfolio::Objective;

/// What to estimate, and how hard.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SobolQuestion {
    /// The metric whose variance is apportioned.
    pub metric: Objective,
    /// `N`, the rows of each of the samples `A` and `B`.
    pub base_samples: usize,
    /// Bootstrap resamples for the intervals.
    pub bootstrap: usize,
    /// The seed of the design's parameter draws and of the bootstrap.
    pub seed: u64,
    /// Worker threads (0: one per available core). The answer does not depend on it.
    pub threads: usize,
}

/// An index with its 95 % bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Index {
    /// The estimate.
    pub value: f64,
    /// The low end of the 95 % bootstrap interval.
    pub ci95_low: f64,
    /// The high end of the 95 % bootstrap interval.
    pub ci95_high: f64,
}

/// A factor's indices.
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    /// The parameter's key, or `events` for the trial's event randomness.
    pub key: String,
    /// The first-order index: the share of variance the factor explains alone.
    pub first_order: Index,
    /// The total index: the share of variance the factor takes part in, interactions included.
    pub total: Index,
}

/// The indices of every parameter studied and of the events.
#[derive(Debug, Clone, PartialEq)]
pub struct SobolAnswer {
    /// The parameters, in the order given.
    pub factors: Vec<Factor>,
    /// The trial's event randomness.
    pub events: Factor,
    /// The metric's mean over the `2N` rows of `A` and `B`.
    pub mean: f64,
    /// The metric's variance over the same rows.
    pub variance: f64,
    /// Trials run: `N (k + 3)`.
    pub evaluations: u64,
}

impl SobolAnswer {
    /// The parameters' factors by their total index, largest first (ties by key), as reports rank them.
    pub fn ranked_factors(&self) -> Vec<&Factor> {
        let mut factors: Vec<&Factor> = self.factors.iter().collect();
        factors.sort_by(|a, b| b.total.value.total_cmp(&a.total.value).then_with(|| a.key.cmp(&b.key)));
        factors
    }
}

/// The key of the events factor.
pub const EVENTS: &str = "events";

/// Trials the design runs for `factors` parameters and `base_samples` rows (`u64::MAX` when they are more: callers
/// refuse such a design).
pub fn trials(factors: usize, base_samples: usize) -> u64 {
    let (k, n) = (u64::try_from(factors).unwrap_or(u64::MAX), u64::try_from(base_samples).unwrap_or(u64::MAX));
    n.saturating_mul(k.saturating_add(3))
}

/// The memory the design takes at its largest, in bytes, for `factors` parameters, `base_samples` rows and
/// `bootstrap` resamples: the parameter values of the samples `A` and `B`, every trial's job and result (each
/// worker's results in a vector that may hold twice what it grew to, then the values in job order), the bootstrap's
/// estimates, and one resample and one interval at a time. In `u128`, saturating, so that callers can refuse a design
/// too large rather than have it wrap.
pub fn memory_bytes(factors: usize, base_samples: usize, bootstrap: usize) -> u128 {
    let size = |bytes: usize| bytes as u128;
    let (k, n, b) = (factors as u128, base_samples as u128, bootstrap as u128);
    let value = size(size_of::<f64>());
    let samples = n.saturating_mul(size(size_of::<Vec<f64>>()) + k * value).saturating_mul(2);
    let per_trial =
        size(size_of::<(Row, usize)>()) + 2 * size(size_of::<(usize, Result<f64, AnalysisError>)>()) + value;
    let jobs = n.saturating_mul(k + 3).saturating_mul(per_trial);
    let estimates = b.saturating_mul(size(size_of::<Estimate>()) + 2 * (k + 1) * value);
    let passing = n * size(size_of::<usize>()) + 2 * n * value + b * value;
    samples.saturating_add(jobs).saturating_add(estimates).saturating_add(passing)
}

/// Which sample a trial's factor values come from.
#[derive(Debug, Clone, Copy)]
enum Row {
    A,
    B,
    /// `A` with factor `i` from `B` (`i == k` is the events factor).
    Mixed(usize),
}

/// Estimates the indices of `factors` (uncertain parameters of `model`, drawn once per trial). `progress` receives
/// the trials done so far.
pub fn sobol(
    model: &Model,
    factors: &[&Parameter],
    question: &SobolQuestion,
    weights: &LossWeights,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<SobolAnswer, AnalysisError> {
    let report = |done| {
        progress(done);
        ControlFlow::Continue(())
    };
    sobol_cancellable(model, factors, question, weights, &report)
}

/// [`sobol`] whose `progress` may stop it: after it returns `Break`, no further trial starts and the answer is
/// [`RunError::Cancelled`] (a caller's Ctrl-C).
pub fn sobol_cancellable(
    model: &Model,
    factors: &[&Parameter],
    question: &SobolQuestion,
    weights: &LossWeights,
    progress: &(dyn Fn(u64) -> ControlFlow<()> + Sync),
) -> Result<SobolAnswer, AnalysisError> {
    let n = question.base_samples;
    if n < 2 {
        return Err(AnalysisError::Question(format!(
            "variance-based indices need at least 2 base samples, not {n}: give `--samples` (Python: `samples=`) 2 \
             or more (hundreds for usable intervals)"
        )));
    }
    let k = factors.len();
    let sample_seed = |which: &str| splitmix64(question.seed ^ key(&format!("sobol:{which}")));
    let (seed_a, seed_b) = (sample_seed("A"), sample_seed("B"));
    let draw = |seed: u64, row: usize, p: &Parameter| -> f64 {
        p.distribution.sample(&mut stream(seed, row as u64, &format!("sobol:{}", p.key)))
    };
    let values_a: Vec<Vec<f64>> = (0..n).map(|j| factors.iter().map(|p| draw(seed_a, j, p)).collect()).collect();
    let values_b: Vec<Vec<f64>> = (0..n).map(|j| factors.iter().map(|p| draw(seed_b, j, p)).collect()).collect();
    let event_seed = |seed: u64, row: usize| stream_for_key(seed, row as u64, key("sobol:events")).random::<u64>();
    let evaluate = |row: Row, j: usize| -> Result<f64, AnalysisError> {
        let (mut values, mut events) = (values_a[j].clone(), event_seed(seed_a, j));
        match row {
            Row::A => {}
            Row::B => (values, events) = (values_b[j].clone(), event_seed(seed_b, j)),
            Row::Mixed(i) if i == k => events = event_seed(seed_b, j),
            Row::Mixed(i) => values[i] = values_b[j][i],
        }
        let assignments: Vec<(&Parameter, Param)> =
            factors.iter().zip(&values).map(|(p, v)| (*p, Param::fixed(*v))).collect();
        let m = substitute(model, &assignments)?;
        let config = RunConfig { trials: 1, seed: events, threads: 1, bands: false, first_trial: 0 };
        let results = chokepoint_engine::run(&m, &config, &|_| {})?;
        Ok(question.metric.per_trial(&VariantOutcome::of(&results, weights))[0])
    };
    let mut jobs: Vec<(Row, usize)> = Vec::with_capacity(n * (k + 3));
    for row in [Row::A, Row::B].into_iter().chain((0..=k).map(Row::Mixed)) {
        jobs.extend((0..n).map(|j| (row, j)));
    }
    let f = evaluate_all(&jobs, question.threads, &|&(row, j)| evaluate(row, j), progress)?;
    let (fa, rest) = f.split_at(n);
    let (fb, mixed) = rest.split_at(n);
    let rows: Vec<usize> = (0..n).collect();
    let point = estimate(fa, fb, mixed, &rows);
    let mut replicates: Vec<Estimate> = Vec::with_capacity(question.bootstrap);
    let mut rng = stream(question.seed, 0, "sobol:bootstrap");
    for _ in 0..question.bootstrap {
        let resample: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
        replicates.push(estimate(fa, fb, mixed, &resample));
    }
    let interval = |value: f64, pick: &dyn Fn(&Estimate) -> f64| {
        let mut xs: Vec<f64> = replicates.iter().map(pick).filter(|x| x.is_finite()).collect();
        xs.sort_by(f64::total_cmp);
        Index { value, ci95_low: quantile_sorted(&xs, 0.025), ci95_high: quantile_sorted(&xs, 0.975) }
    };
    let factor = |i: usize, name: &str| Factor {
        key: name.to_owned(),
        first_order: interval(point.first[i], &|e| e.first[i]),
        total: interval(point.total[i], &|e| e.total[i]),
    };
    Ok(SobolAnswer {
        factors: factors.iter().enumerate().map(|(i, p)| factor(i, &p.key)).collect(),
        events: factor(k, EVENTS),
        mean: point.mean,
        variance: point.variance,
        evaluations: jobs.len() as u64,
    })
}

/// Evaluates every job on `threads` worker threads (0: one per available core), each taking the next job in
/// turn, and returns the results in job order. Plain threads, not a rayon pool: each evaluation runs the engine,
/// which starts a pool of its own, and a rayon worker waiting on another pool would run further jobs on its own
/// stack meanwhile.
fn evaluate_all<J: Sync>(
    jobs: &[J],
    threads: usize,
    evaluate: &(dyn Fn(&J) -> Result<f64, AnalysisError> + Sync),
    progress: &(dyn Fn(u64) -> ControlFlow<()> + Sync),
) -> Result<Vec<f64>, AnalysisError> {
    let threads = if threads == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { threads };
    let next = AtomicU64::new(0);
    let done = AtomicU64::new(0);
    let cancelled = AtomicBool::new(false);
    let results: Vec<Vec<(usize, Result<f64, AnalysisError>)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.min(jobs.len()).max(1))
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    while !cancelled.load(Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                        let Some(job) = jobs.get(i) else { break };
                        let value = evaluate(job);
                        let failed = value.is_err();
                        mine.push((i, value));
                        if progress(done.fetch_add(1, Ordering::Relaxed) + 1).is_break() {
                            cancelled.store(true, Ordering::Relaxed);
                        }
                        if failed {
                            break;
                        }
                    }
                    mine
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or_default()).collect()
    });
    if cancelled.load(Ordering::Relaxed) {
        let trials = jobs.len() as u64;
        return Err(AnalysisError::Run(RunError::Cancelled { done: done.load(Ordering::Relaxed), trials }));
    }
    let mut out = vec![f64::NAN; jobs.len()];
    let mut first_error: Option<(usize, AnalysisError)> = None;
    for (i, value) in results.into_iter().flatten() {
        match value {
            Ok(v) => out[i] = v,
            Err(e) => {
                if first_error.as_ref().is_none_or(|(j, _)| i < *j) {
                    first_error = Some((i, e));
                }
            }
        }
    }
    match first_error {
        Some((_, e)) => Err(e),
        None => Ok(out),
    }
}

/// The indices of one set of rows.
struct Estimate {
    mean: f64,
    variance: f64,
    first: Vec<f64>,
    total: Vec<f64>,
}

/// The estimators over `rows` (indices into the samples, possibly repeated). `mixed` holds `f(A_B^(i))` for every
/// factor `i`, `N` values each.
fn estimate(fa: &[f64], fb: &[f64], mixed: &[f64], rows: &[usize]) -> Estimate {
    let n = fa.len();
    let m = rows.len() as f64;
    let all: Vec<f64> = rows.iter().flat_map(|&j| [fa[j], fb[j]]).collect();
    let mean = all.iter().sum::<f64>() / all.len() as f64;
    let variance = all.iter().map(|y| (y - mean) * (y - mean)).sum::<f64>() / (all.len() as f64 - 1.0);
    let groups = mixed.len() / n;
    let (mut first, mut total) = (Vec::with_capacity(groups), Vec::with_capacity(groups));
    for i in 0..groups {
        let ab = &mixed[i * n..(i + 1) * n];
        let vi = rows.iter().map(|&j| (fb[j] - mean) * (ab[j] - fa[j])).sum::<f64>() / m;
        let vti = rows.iter().map(|&j| (fa[j] - ab[j]) * (fa[j] - ab[j])).sum::<f64>() / (2.0 * m);
        first.push(vi / variance);
        total.push(vti / variance);
    }
    Estimate { mean, variance, first, total }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trials_and_memory_of_a_huge_design_are_counted_without_overflow() {
        assert_eq!(trials(10, 256), 256 * 13);
        assert_eq!(trials(usize::MAX, 2), u64::MAX);
        assert_eq!(trials(10, usize::MAX), u64::MAX);
        // Each trial's job and result, and the two samples' values, at the least.
        assert!(memory_bytes(10, 256, 200) >= 256 * 13 * 8 + 2 * 256 * 10 * 8);
        assert!(memory_bytes(usize::MAX, usize::MAX, usize::MAX) > u128::from(u64::MAX));
    }
}
