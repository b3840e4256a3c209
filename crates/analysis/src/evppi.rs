//! The expected value of perfect partial information (EVPPI): for a choice among options (mitigations, or
//! portfolios), how much better the choice would be on average if one uncertain parameter were known before
//! choosing. It says which unknown is worth researching first.
//!
//! **Definition.** With `L_d` the metric of option `d` (less is better; its cost is added when the metric is a
//! loss in US dollars) and `θ` a parameter: `EVPPI(θ) = min_d E[L_d] − E_θ[min_d E[L_d | θ]]`, the expected
//! reduction of the loss from choosing after learning `θ` instead of before (Raiffa and Schlaifer, 1961; Brennan,
//! Kharroubi, O'Hagan and Chilcott, 2007, "Calculating partial expected value of perfect information via Monte
//! Carlo sampling algorithms", *Medical Decision Making* 27, 448–470). It is at least 0, and at most the value of
//! perfect information about everything.
//!
//! **Two-level sampler.** `J` outer values `θ_j` are drawn from the parameter's distribution (streams keyed by
//! (seed, outer sample, parameter)); for each, every option runs `M` trials with `θ = θ_j` and every other
//! parameter drawn as usual, on the same seed for every option and every `θ_j` (common random numbers). With
//! `m_dj` the mean of option `d` for `θ_j`: `EVPPI ≈ min_d (1/J) Σ_j m_dj − (1/J) Σ_j min_d m_dj`. An option in which
//! the parameter does not appear (a mitigation's own commissioning date, seen from another option) runs once.
//!
//! **Bias and cost.** The inner means are noisy, and the minimum of noisy means is biased low, so the estimate is
//! biased high, by an amount that falls as `1/M` (Oakley, Brennan, Tappenden and Chilcott, 2010, "Simulation
//! sample sizes for Monte Carlo partial EVPI calculations", *Journal of Health Economics* 29, 468–477); common
//! random numbers across options shrink it, since only the noise of the differences between options matters. The
//! answer gives a percentile bootstrap interval (outer samples and trials resampled, the same trials for every
//! option) and the bootstrap estimate of the bias; a value within its bias of zero is not worth researching on
//! this evidence. The cost is `J × (options where θ appears) × M` trials per parameter, plus one run per option.

use chokepoint_engine::rng::{key, splitmix64, stream};
use chokepoint_engine::stats::quantile_sorted;
use chokepoint_engine::{Model, Param};
use chokepoint_scenario::{LossUnit, Parameter, Scenario, VariantError, can_be_knowledge, key_matches};
use rand::RngExt;

use crate::AnalysisError;
use crate::comparison::OptionSpec;
use crate::loss::LossWeights;
use crate::outcome::VariantOutcome;
use crate::parameters::substitute;
use crate::portfolio::{Objective, PortfolioAnswer, PortfolioQuestion};
use crate::variants::VariantRunner;

/// One option of the decision: its model and parameters, and what is added to its mean metric (its cost, when the
/// metric is a loss in US dollars; 0 otherwise).
#[derive(Debug, Clone)]
pub struct DecisionOption {
    /// The option's name, as reported.
    pub name: String,
    /// The model the option runs.
    pub model: Model,
    /// The uncertain parameters of that model, by key.
    pub parameters: Vec<Parameter>,
    /// What is added to the option's mean metric.
    pub added: f64,
}

/// What to estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvppiQuestion {
    /// The metric the choice makes as small as possible.
    pub metric: Objective,
    /// `J`: outer samples of each parameter.
    pub outer: usize,
    /// Bootstrap resamples for the interval and the bias.
    pub bootstrap: usize,
    /// The seed of the outer draws and of the bootstrap (the trials use the runner's seed).
    pub seed: u64,
}

/// The EVPPI of one parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterValue {
    /// The parameter's key in the scenario.
    pub key: String,
    /// The unit of the parameter's values.
    pub unit: String,
    /// The estimate, in the metric's unit.
    pub evppi: f64,
    /// The low end of the 95 % bootstrap interval.
    pub ci95_low: f64,
    /// The high end of the 95 % bootstrap interval.
    pub ci95_high: f64,
    /// The bootstrap estimate of the estimator's bias (mean of the replicates minus the estimate).
    pub bias: f64,
    /// The share of outer samples in which knowing the parameter changes the best option.
    pub switch_share: f64,
    /// The outer values, in the key's unit.
    pub outer_values: Vec<f64>,
    /// The best option (index) at each outer value.
    pub best_by_sample: Vec<usize>,
}

/// The answer: the options' expected values on current information, and the EVPPI of each parameter, largest
/// first.
#[derive(Debug, Clone, PartialEq)]
pub struct EvppiAnswer {
    /// The options' names, in the order given.
    pub options: Vec<String>,
    /// Each option's mean metric (plus what is added) with every parameter drawn as usual.
    pub expected: Vec<f64>,
    /// The option chosen on current information.
    pub best: usize,
    /// Every parameter valued, largest EVPPI first.
    pub parameters: Vec<ParameterValue>,
}

/// Trials the sampler runs: one run per option, then per parameter `J` runs of every option it appears in
/// (`u64::MAX` when they are more: callers refuse such a run).
pub fn trials(options_per_parameter: &[usize], options: usize, outer: usize, trials_per_run: u64) -> u64 {
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    let runs = options_per_parameter
        .iter()
        .try_fold(count(options), |sum, &d| count(d).checked_mul(count(outer)).and_then(|r| sum.checked_add(r)));
    runs.and_then(|r| r.checked_mul(trials_per_run)).unwrap_or(u64::MAX)
}

/// The memory the sampler holds at its largest, in bytes, for `options` options, `outer` samples of a parameter,
/// `trials_per_run` trials per run and `bootstrap` resamples: the per-trial values of every option on current
/// information and at every outer value of the parameter valued (at most; an option the parameter does not reach
/// shares one run), and, at a time, one resample of outer samples and trials and its means, and the replicates.
/// One run's per-trial results, held while its values are taken, come on top (callers check them on their own).
/// In `u128`, saturating, so that callers can refuse a run too large rather than have it wrap.
pub fn memory_bytes(options: usize, outer: usize, trials_per_run: u64, bootstrap: usize) -> u128 {
    let size = |bytes: usize| bytes as u128;
    let (d, j, t, b) = (options as u128, outer as u128, u128::from(trials_per_run), bootstrap as u128);
    let value = size(size_of::<f64>());
    let run = size(size_of::<std::rc::Rc<Vec<f64>>>() + size_of::<Vec<f64>>() + 2 * size_of::<usize>());
    let values = d.saturating_mul(j + 1).saturating_mul(run + t * value);
    let means = j.saturating_mul(size(size_of::<Vec<f64>>()) + d * value);
    let resample = ((j + t) * size(size_of::<usize>())).saturating_add(means);
    values.saturating_add(resample).saturating_add(b * value)
}

/// The seed of the outer draws, derived from the run's seed (documented).
pub fn outer_seed(seed: u64) -> u64 {
    splitmix64(seed ^ key("evppi"))
}

/// One option of a choice before its model is built: its name, the mitigations it applies (in order), and what is
/// added to its mean metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// The option's name, as reported.
    pub name: String,
    /// The mitigations and packages it applies, by name.
    pub mitigations: Vec<String>,
    /// What is added to its mean metric (its cost, when the metric is a loss in US dollars).
    pub added: f64,
}

/// The most portfolios a portfolio search hands to the value of information: the best of its frontier.
pub const PORTFOLIO_CHOICES: usize = 6;

impl Choice {
    /// The choice of a comparison: doing nothing, or one of `options`. When the scenario's loss is in US dollars
    /// each option's cost over the horizon is added to its loss, and the second value says so.
    pub fn of_comparison(scenario: &Scenario, options: &[OptionSpec]) -> (Vec<Self>, bool) {
        let net_of_cost = scenario.loss.unit == LossUnit::Usd;
        let years = scenario.horizon_years();
        let nothing = Self { name: "nothing".to_owned(), mitigations: Vec::new(), added: 0.0 };
        let choices = std::iter::once(nothing)
            .chain(options.iter().map(|o| Self {
                name: o.name.clone(),
                mitigations: vec![o.name.clone()],
                added: if net_of_cost { o.cost.total_usd(years) } else { 0.0 },
            }))
            .collect();
        (choices, net_of_cost)
    }

    /// The choice after a portfolio search: the frontier's portfolios within the budget, the
    /// [`PORTFOLIO_CHOICES`] best on the objective, with nothing added (the budget already bounds their cost).
    pub fn of_portfolios(question: &PortfolioQuestion, answer: &PortfolioAnswer) -> Vec<Self> {
        let mut choices: Vec<Self> = answer
            .frontier
            .iter()
            .map(|&i| &answer.evaluated[i])
            .filter(|p| p.cost_usd <= question.budget_usd)
            .map(|p| {
                let mitigations = p.members.iter().flat_map(|&m| question.candidates[m].members()).collect();
                let names: Vec<&str> = p.members.iter().map(|&m| question.candidates[m].name.as_str()).collect();
                let name = if names.is_empty() { "nothing".to_owned() } else { names.join("+") };
                Self { name, mitigations, added: 0.0 }
            })
            .collect();
        let keep = choices.len().saturating_sub(PORTFOLIO_CHOICES);
        choices.drain(..keep);
        choices
    }
}

/// Why a value-of-information run could not be planned. The front ends word the fix in their own terms.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// An option's variant of the scenario could not be built.
    #[error(transparent)]
    Variant(#[from] VariantError),
    /// No parameter was named and the scenario lists no knowledge parameters.
    #[error("no parameter to value: name some, or list them in `[uncertainty] knowledge`")]
    NothingToValue,
    /// A pattern matches no uncertain parameter drawn once per trial in the scenario or the options.
    #[error("`{pattern}` matches no uncertain parameter drawn once per trial in the scenario or the options")]
    Unmatched {
        /// The pattern as given.
        pattern: String,
    },
}

/// A value-of-information run, planned: the options with their models, and the parameters to value.
#[derive(Debug, Clone)]
pub struct EvppiPlan {
    /// The options of the choice, in the order given.
    pub options: Vec<DecisionOption>,
    /// The keys of the parameters to value, in the order their patterns matched them.
    pub keys: Vec<String>,
}

impl EvppiPlan {
    /// Builds each choice's model and finds the parameters that `patterns` name (key paths, or patterns with `*`
    /// segments); with no patterns, the scenario's knowledge parameters (`[uncertainty] knowledge`).
    pub fn new(scenario: &Scenario, choices: &[Choice], patterns: &[String]) -> Result<Self, PlanError> {
        let mut options = Vec::with_capacity(choices.len());
        for c in choices {
            let names: Vec<&str> = c.mitigations.iter().map(String::as_str).collect();
            let (model, parameters) = scenario.variant_parameters(&names)?;
            options.push(DecisionOption { name: c.name.clone(), model, parameters, added: c.added });
        }
        let patterns = if patterns.is_empty() { scenario.uncertainty.knowledge.as_slice() } else { patterns };
        if patterns.is_empty() {
            return Err(PlanError::NothingToValue);
        }
        let mut keys: Vec<String> = Vec::new();
        for pattern in patterns {
            let mut matched = false;
            for p in options.iter().flat_map(|o| &o.parameters) {
                if can_be_knowledge(p) && key_matches(pattern, &p.key) {
                    matched = true;
                    if !keys.contains(&p.key) {
                        keys.push(p.key.clone());
                    }
                }
            }
            if !matched {
                return Err(PlanError::Unmatched { pattern: pattern.clone() });
            }
        }
        Ok(Self { options, keys })
    }

    /// Trials the run takes with `outer` samples and `trials_per_run` trials per option and sample.
    pub fn trials(&self, outer: usize, trials_per_run: u64) -> u64 {
        let per_key: Vec<usize> = self
            .keys
            .iter()
            .map(|k| self.options.iter().filter(|o| o.parameters.iter().any(|p| p.key == *k)).count())
            .collect();
        trials(&per_key, self.options.len(), outer, trials_per_run)
    }

    /// Runs the plan: [`evppi`] of its keys over its options.
    pub fn run(
        &self,
        question: &EvppiQuestion,
        weights: &LossWeights,
        runner: &mut VariantRunner<'_>,
    ) -> Result<EvppiAnswer, AnalysisError> {
        evppi(&self.options, &self.keys, question, weights, runner)
    }
}

/// Estimates the EVPPI of each parameter named in `keys` for the choice among `options`.
pub fn evppi(
    options: &[DecisionOption],
    keys: &[String],
    question: &EvppiQuestion,
    weights: &LossWeights,
    runner: &mut VariantRunner<'_>,
) -> Result<EvppiAnswer, AnalysisError> {
    if options.len() < 2 {
        return Err(AnalysisError::Question(
            "the value of information needs a choice: at least one option besides doing nothing".into(),
        ));
    }
    if question.outer < 2 {
        return Err(AnalysisError::Question(format!(
            "the value of information needs at least 2 outer samples, not {}: give `--evppi-samples` (Python: \
             `evppi_samples=`) 2 or more",
            question.outer
        )));
    }
    let values = |m: &Model, runner: &mut VariantRunner<'_>| -> Result<Vec<f64>, AnalysisError> {
        let results = runner.run(m)?;
        Ok(question.metric.per_trial(&VariantOutcome::of(&results, weights)))
    };
    // Current information: every option as it is.
    let mut plain = Vec::with_capacity(options.len());
    for o in options {
        plain.push(values(&o.model, runner)?);
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let expected: Vec<f64> = plain.iter().zip(options).map(|(v, o)| mean(v) + o.added).collect();
    let best = argmin(&expected);
    let seed = outer_seed(question.seed);
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        let Some(first) = options.iter().find_map(|o| o.parameters.iter().find(|p| p.key == *k)) else {
            return Err(AnalysisError::Question(format!("no option has the parameter `{k}`")));
        };
        let draws: Vec<f64> = (0..question.outer)
            .map(|j| first.distribution.sample(&mut stream(seed, j as u64, &format!("evppi:{k}"))))
            .collect();
        // runs[d][j]: per-trial values of option d with the parameter at its j-th outer value.
        let mut runs: Vec<Vec<std::rc::Rc<Vec<f64>>>> = Vec::with_capacity(options.len());
        for (o, plain) in options.iter().zip(&plain) {
            match o.parameters.iter().find(|p| p.key == *k) {
                None => {
                    // The same runs for every outer value: the parameter does not reach this option.
                    let shared = std::rc::Rc::new(plain.clone());
                    runs.push(vec![shared; question.outer]);
                }
                Some(p) => {
                    let mut row = Vec::with_capacity(question.outer);
                    for &x in &draws {
                        row.push(std::rc::Rc::new(values(&substitute(&o.model, &[(p, Param::fixed(x))])?, runner)?));
                    }
                    runs.push(row);
                }
            }
        }
        let added: Vec<f64> = options.iter().map(|o| o.added).collect();
        let trials = runs[0][0].len();
        let all_outer: Vec<usize> = (0..question.outer).collect();
        let all_trials: Vec<usize> = (0..trials).collect();
        let (evppi, best_by_sample) = estimate(&runs, &added, &all_outer, &all_trials);
        let mut rng = stream(question.seed, 0, &format!("evppi:bootstrap:{k}"));
        let mut replicates = Vec::with_capacity(question.bootstrap);
        for _ in 0..question.bootstrap {
            let outer: Vec<usize> = (0..question.outer).map(|_| rng.random_range(0..question.outer)).collect();
            let trials: Vec<usize> = (0..trials).map(|_| rng.random_range(0..trials)).collect();
            replicates.push(estimate(&runs, &added, &outer, &trials).0);
        }
        let bias = if replicates.is_empty() { 0.0 } else { mean(&replicates) - evppi };
        replicates.sort_by(f64::total_cmp);
        let best_on_average = {
            let means: Vec<f64> = (0..options.len())
                .map(|d| (0..question.outer).map(|j| mean(&runs[d][j]) + added[d]).sum::<f64>() / question.outer as f64)
                .collect();
            argmin(&means)
        };
        let switches = best_by_sample.iter().filter(|&&b| b != best_on_average).count();
        out.push(ParameterValue {
            key: k.clone(),
            unit: first.unit.clone(),
            evppi,
            ci95_low: quantile_sorted(&replicates, 0.025),
            ci95_high: quantile_sorted(&replicates, 0.975),
            bias,
            switch_share: switches as f64 / question.outer as f64,
            outer_values: draws.iter().map(|x| first.in_key_unit(*x)).collect(),
            best_by_sample,
        });
    }
    out.sort_by(|a, b| b.evppi.total_cmp(&a.evppi).then_with(|| a.key.cmp(&b.key)));
    Ok(EvppiAnswer { options: options.iter().map(|o| o.name.clone()).collect(), expected, best, parameters: out })
}

/// The index of the smallest value (the first of equals).
fn argmin(values: &[f64]) -> usize {
    values.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(i, _)| i)
}

/// The estimator over the outer samples `outer` and trials `trials` (indices, possibly repeated), and the best
/// option for each outer sample.
fn estimate(
    runs: &[Vec<std::rc::Rc<Vec<f64>>>],
    added: &[f64],
    outer: &[usize],
    trials: &[usize],
) -> (f64, Vec<usize>) {
    let m = trials.len() as f64;
    let mean_of = |v: &[f64]| trials.iter().map(|&t| v[t]).sum::<f64>() / m;
    // means[j][d]
    let means: Vec<Vec<f64>> =
        outer.iter().map(|&j| runs.iter().zip(added).map(|(row, a)| mean_of(&row[j]) + a).collect()).collect();
    let j = outer.len() as f64;
    let d = runs.len();
    let current = (0..d).map(|k| means.iter().map(|row| row[k]).sum::<f64>() / j).fold(f64::INFINITY, f64::min);
    let best: Vec<usize> = means.iter().map(|row| argmin(row)).collect();
    let informed = means.iter().map(|row| row.iter().copied().fold(f64::INFINITY, f64::min)).sum::<f64>() / j;
    ((current - informed).max(0.0), best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    #[test]
    fn the_trials_and_memory_of_a_huge_sampler_are_counted_without_overflow() {
        assert_eq!(trials(&[2, 1], 3, 16, 500), (3 + 2 * 16 + 16) * 500);
        assert_eq!(trials(&[3], 3, usize::MAX, 500), u64::MAX);
        assert_eq!(trials(&[3; 4], 3, 1 << 40, 1 << 30), u64::MAX);
        // Eight bytes a value: three options at 16 outer values and current information, 500 trials each.
        assert!(memory_bytes(3, 16, 500, 200) >= 3 * 17 * 500 * 8);
        assert!(memory_bytes(usize::MAX, usize::MAX, u64::MAX, usize::MAX) > u128::from(u64::MAX));
    }

    #[test]
    fn a_parameter_that_flips_the_best_option_is_worth_knowing() {
        // Two options, two equally likely values of θ, no trial noise: option 0 costs 10 whatever θ; option 1 costs
        // 0 when θ is low and 16 when high. Current information: both 10 and 8, choose 1 (8). Knowing θ: 0 or 10,
        // mean 5. EVPPI = 8 - 5 = 3.
        let runs = vec![
            vec![Rc::new(vec![10.0, 10.0]), Rc::new(vec![10.0, 10.0])],
            vec![Rc::new(vec![0.0, 0.0]), Rc::new(vec![16.0, 16.0])],
        ];
        let (value, best) = estimate(&runs, &[0.0, 0.0], &[0, 1], &[0, 1]);
        assert!((value - 3.0).abs() < 1e-12, "{value}");
        assert_eq!(best, vec![1, 0]);
        // A parameter that never changes the choice is worth nothing.
        let runs = vec![
            vec![Rc::new(vec![10.0, 10.0]), Rc::new(vec![20.0, 20.0])],
            vec![Rc::new(vec![0.0, 0.0]), Rc::new(vec![16.0, 16.0])],
        ];
        assert_eq!(estimate(&runs, &[0.0, 0.0], &[0, 1], &[0, 1]).0, 0.0);
    }
}
