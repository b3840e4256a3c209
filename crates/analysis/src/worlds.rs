//! Two-level uncertainty: what we do not know (knowledge uncertainty: stock cover, denial rates, commissioning
//! dates) kept apart from what is random (event randomness: when an embargo starts, how long each review takes).
//!
//! **Sampler.** World `w` draws every knowledge parameter once, from a stream keyed by (seed, world, parameter
//! key), and runs `T` trials with those values fixed and every other parameter drawn per trial as usual. Every
//! world runs the same trials with the same seed, so trial `t` sees the same event draws in each world (a crossed
//! design, common random numbers): differences between worlds are differences of knowledge, not of luck. Each
//! headline metric becomes a distribution across worlds: P(short or late), mean units short, mean longest delay of
//! a unit and mean loss, each with its median and 80 % and 95 % bands (quantiles of the world values, type 7). A
//! world's value is itself an estimate from `T` trials; its noise, mostly shared across worlds here, widens the
//! bands little when `T` is in the hundreds.
//!
//! **Split of the variance.** A trial's metric `Y_wt` is decomposed as world + trial + interaction, and the
//! variance components are estimated by the crossed two-way random-effects analysis of variance (Searle, Casella
//! and McCulloch, *Variance Components*, 1992, ch. 4) from the mean squares of worlds (`MS_w`), trials (`MS_t`) and
//! the residual (`MS_r`): `σ²_knowledge = (MS_w − MS_r) / T`, `σ²_trial = (MS_t − MS_r) / W`, `σ²_interaction =
//! MS_r`, each floored at 0. The knowledge share is `σ²_knowledge` over the sum of the three: by the law of total
//! variance, the share of `Var(Y)` that perfect knowledge of the knowledge parameters would remove on average. The
//! rest is the share of event randomness (with its interaction with knowledge), which no research removes.

use chokepoint_engine::rng::{key, splitmix64, stream};
use chokepoint_engine::stats::quantile_sorted;
use chokepoint_engine::{Model, Param};
use chokepoint_scenario::Parameter;

use crate::AnalysisError;
use crate::loss::LossWeights;
use crate::outcome::VariantOutcome;
use crate::parameters::substitute;
use crate::variants::VariantRunner;

/// A metric across worlds.
#[derive(Debug, Clone, PartialEq)]
pub struct AcrossWorlds {
    /// The metric's estimate in each world (mean over its trials), in world order.
    pub per_world: Vec<f64>,
    /// The mean over every world and trial.
    pub pooled: f64,
    /// The median of the world values.
    pub median: f64,
    /// The 10th percentile of the world values: with `p90`, the 80 % band; `p2_5` and `p97_5` give the 95 % band.
    pub p10: f64,
    /// The 90th percentile of the world values.
    pub p90: f64,
    /// The 2.5th percentile of the world values.
    pub p2_5: f64,
    /// The 97.5th percentile of the world values.
    pub p97_5: f64,
    /// The share of a trial's variance due to knowledge uncertainty, in [0, 1] (NaN when the metric never varies).
    pub knowledge_share: f64,
    /// The trial-level variance: knowledge, trial and interaction components together.
    pub variance: f64,
}

/// One end use across worlds.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldsEndUse {
    /// P(short or late at all over the horizon).
    pub short_or_late: AcrossWorlds,
    /// Units not built within the horizon.
    pub units_short: AcrossWorlds,
    /// The longest delay of a unit, weeks (0 for end uses that lose unmet demand).
    pub max_delay_weeks: AcrossWorlds,
}

/// The answer of a two-level run.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldsAnswer {
    /// The number of worlds run.
    pub worlds: usize,
    /// Trials run in each world.
    pub trials_per_world: usize,
    /// The knowledge parameters' keys.
    pub knowledge: Vec<String>,
    /// Each knowledge parameter's value in each world, in the key's unit: `values[parameter][world]`.
    pub values: Vec<Vec<f64>>,
    /// The loss over every end use.
    pub loss: AcrossWorlds,
    /// Per end use, in model order.
    pub end_uses: Vec<WorldsEndUse>,
}

/// The seed of the streams the worlds draw knowledge from, derived from the run's seed (documented).
pub fn knowledge_seed(seed: u64) -> u64 {
    splitmix64(seed ^ key("knowledge"))
}

/// Sums of a metric over a `W x T` crossed design, accumulated world by world.
struct Anova {
    trials: usize,
    world_sums: Vec<f64>,
    trial_sums: Vec<f64>,
    sum_of_squares: f64,
}

impl Anova {
    fn new(trials: usize) -> Self {
        Self { trials, world_sums: Vec::new(), trial_sums: vec![0.0; trials], sum_of_squares: 0.0 }
    }

    fn add_world(&mut self, values: &[f64]) {
        self.world_sums.push(values.iter().sum());
        for (s, v) in self.trial_sums.iter_mut().zip(values) {
            *s += v;
        }
        self.sum_of_squares += values.iter().map(|v| v * v).sum::<f64>();
    }

    fn finish(self) -> AcrossWorlds {
        let (w, t) = (self.world_sums.len() as f64, self.trials as f64);
        let grand = self.world_sums.iter().sum::<f64>() / (w * t);
        let ss_total = self.sum_of_squares - w * t * grand * grand;
        let ss_worlds = self.world_sums.iter().map(|s| square(s / t - grand)).sum::<f64>() * t;
        let ss_trials = self.trial_sums.iter().map(|s| square(s / w - grand)).sum::<f64>() * w;
        let ss_residual = (ss_total - ss_worlds - ss_trials).max(0.0);
        let ms_worlds = if w > 1.0 { ss_worlds / (w - 1.0) } else { 0.0 };
        let ms_trials = if t > 1.0 { ss_trials / (t - 1.0) } else { 0.0 };
        let ms_residual = if w > 1.0 && t > 1.0 { ss_residual / ((w - 1.0) * (t - 1.0)) } else { 0.0 };
        let knowledge = ((ms_worlds - ms_residual) / t).max(0.0);
        let trial = ((ms_trials - ms_residual) / w).max(0.0);
        let variance = knowledge + trial + ms_residual;
        let mut per_world: Vec<f64> = self.world_sums.iter().map(|s| s / t).collect();
        let unsorted = per_world.clone();
        per_world.sort_by(f64::total_cmp);
        let q = |p: f64| quantile_sorted(&per_world, p);
        AcrossWorlds {
            per_world: unsorted,
            pooled: grand,
            median: q(0.5),
            p10: q(0.1),
            p90: q(0.9),
            p2_5: q(0.025),
            p97_5: q(0.975),
            knowledge_share: if variance > 0.0 { knowledge / variance } else { f64::NAN },
            variance,
        }
    }
}

/// `x` times itself (not `powi`, so that every operation of the analysis is a plain IEEE one).
fn square(x: f64) -> f64 {
    x * x
}

/// Trials a two-level run costs (`u64::MAX` when they are more: callers refuse such a run).
pub fn trials(worlds: usize, trials_per_world: u64) -> u64 {
    u64::try_from(worlds).ok().and_then(|w| w.checked_mul(trials_per_world)).unwrap_or(u64::MAX)
}

/// Runs `worlds` worlds of `model`, each with the `knowledge` parameters drawn once, on the runner's seed and
/// trials.
pub fn worlds(
    model: &Model,
    knowledge: &[&Parameter],
    worlds: usize,
    weights: &LossWeights,
    runner: &mut VariantRunner<'_>,
) -> Result<WorldsAnswer, AnalysisError> {
    if worlds == 0 {
        return Err(AnalysisError::Question(
            "a two-level run needs at least one world: give `--worlds` (Python: `worlds=`) 1 or more (a few hundred \
             give usable bands)"
                .into(),
        ));
    }
    if knowledge.is_empty() {
        return Err(AnalysisError::Question(
            "a two-level run needs knowledge parameters: list them in the scenario's `[uncertainty] knowledge = \
             [...]` (key paths or patterns such as \"stages.*.inventory_weeks.initial\"), or with `--set \
             'uncertainty.knowledge=[...]'`"
                .into(),
        ));
    }
    let t = usize::try_from(runner.config().trials).unwrap_or(usize::MAX);
    let seed = knowledge_seed(runner.config().seed);
    let ne = model.spec().end_uses.len();
    let mut loss = Anova::new(t);
    let mut per_end_use: Vec<[Anova; 3]> = (0..ne).map(|_| [Anova::new(t), Anova::new(t), Anova::new(t)]).collect();
    let mut values = vec![Vec::with_capacity(worlds); knowledge.len()];
    for w in 0..worlds {
        let draws: Vec<f64> = knowledge
            .iter()
            .map(|p| p.distribution.sample(&mut stream(seed, w as u64, &format!("knowledge:{}", p.key))))
            .collect();
        for ((column, p), v) in values.iter_mut().zip(knowledge).zip(&draws) {
            column.push(p.in_key_unit(*v));
        }
        let assignments: Vec<(&Parameter, Param)> =
            knowledge.iter().zip(&draws).map(|(p, v)| (*p, Param::fixed(*v))).collect();
        let results = runner.run(&substitute(model, &assignments)?)?;
        let outcome = VariantOutcome::of(&results, weights);
        drop(results);
        loss.add_world(&outcome.loss);
        for (acc, x) in per_end_use.iter_mut().zip(&outcome.end_uses) {
            let indicator: Vec<f64> = x.short_or_late.iter().map(|&b| f64::from(u8::from(b))).collect();
            acc[0].add_world(&indicator);
            acc[1].add_world(&x.units_short);
            acc[2].add_world(&x.max_delay_weeks);
        }
    }
    Ok(WorldsAnswer {
        worlds,
        trials_per_world: t,
        knowledge: knowledge.iter().map(|p| p.key.clone()).collect(),
        values,
        loss: loss.finish(),
        end_uses: per_end_use
            .into_iter()
            .map(|[s, u, d]| WorldsEndUse {
                short_or_late: s.finish(),
                units_short: u.finish(),
                max_delay_weeks: d.finish(),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_anova_splits_a_known_crossed_design() {
        // Y = a_w + b_t exactly (no interaction): worlds differ by ±1, trials by ±3.
        let mut anova = Anova::new(4);
        for a in [-1.0, 1.0, -1.0, 1.0] {
            anova.add_world(&[a - 3.0, a + 3.0, a - 3.0, a + 3.0]);
        }
        let x = anova.finish();
        // MS_w = T × var(a) with the n − 1 divisor: 4 × 4/3; MS_r = 0, so σ²_knowledge = 4/3 and σ²_trial = 12.
        assert!((x.variance - (4.0 / 3.0 + 12.0)).abs() < 1e-9, "{}", x.variance);
        assert!((x.knowledge_share - (4.0 / 3.0) / (4.0 / 3.0 + 12.0)).abs() < 1e-9);
        assert_eq!((x.median, x.pooled), (0.0, 0.0));
        assert_eq!(x.per_world, vec![-1.0, 1.0, -1.0, 1.0]);
    }

    #[test]
    fn the_trials_of_too_many_worlds_saturate_rather_than_overflow() {
        assert_eq!(trials(12, 30), 360);
        assert_eq!(trials(usize::MAX, 2), u64::MAX);
        assert_eq!(trials(1 << 40, 1 << 40), u64::MAX);
    }

    #[test]
    fn a_metric_that_never_varies_has_no_share() {
        let mut anova = Anova::new(3);
        anova.add_world(&[0.0, 0.0, 0.0]);
        anova.add_world(&[0.0, 0.0, 0.0]);
        assert!(anova.finish().knowledge_share.is_nan());
    }
}
