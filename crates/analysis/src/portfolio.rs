//! The best set of mitigations within a budget, by simulation on common random numbers.
//!
//! A portfolio is a set of candidate mitigations (or packages) applied together, in the candidates' order, so
//! that their interactions are simulated (defense-first allocation shifts shortage onto civil uses; new magnet
//! plants compete for the same Dy). Its cost is the sum of its members' costs over the horizon. Every portfolio
//! runs the same trials with the same seed as the baseline, so portfolios compare trial by trial.
//!
//! **Search.** When the portfolios within the budget number at most `exhaustive_limit`, every one is run. Above
//! that, a heuristic: greedy forward selection (from the empty set, add the affordable candidate that improves
//! the objective most per dollar, a free one first, while one improves it), then local search (move to the best
//! affordable neighbour, adding, dropping or swapping one candidate, while one improves the objective), within
//! `max_evaluations` runs. The answer says which search ran and how many portfolios it evaluated.
//!
//! **Answer.** The portfolio with the best mean objective within the budget (ties: lower cost, then fewer
//! members); the efficient frontier of every portfolio evaluated (those no cheaper portfolio beats); and the chosen
//! portfolio run again, with the baseline, on a fresh seed. Picking the best of many noisy estimates favours
//! portfolios whose estimate was lucky (the winner's curse), so the confirmation run is the honest estimate.

use chokepoint_engine::stats::{Proportion, Summary, summarize};
use chokepoint_engine::{Model, RunResults};
use chokepoint_scenario::Scenario;

use crate::AnalysisError;
use crate::comparison::OptionSpec;
use crate::loss::LossWeights;
use crate::outcome::VariantOutcome;
use crate::paired::PairedDifference;
use crate::variants::VariantRunner;

/// What a portfolio should make as small as possible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Objective {
    /// The trial's loss over every end use (the scenario's loss measure).
    Loss,
    /// The probability that this end use is short or late at all.
    ShortOrLate {
        /// The end use, by index in the model.
        end_use: usize,
    },
    /// The longest delay of a unit of this (backlogged) end use, in weeks, mean over trials.
    MaxDelay {
        /// The end use, by index in the model.
        end_use: usize,
    },
    /// Units of this end use not built within the horizon, mean over trials.
    UnitsShort {
        /// The end use, by index in the model.
        end_use: usize,
    },
}

impl Objective {
    /// The objective's value in each trial of a variant.
    pub fn per_trial(&self, o: &VariantOutcome) -> Vec<f64> {
        match *self {
            Objective::Loss => o.loss.clone(),
            Objective::ShortOrLate { end_use } => {
                o.end_uses[end_use].short_or_late.iter().map(|&s| f64::from(u8::from(s))).collect()
            }
            Objective::MaxDelay { end_use } => o.end_uses[end_use].max_delay_weeks.clone(),
            Objective::UnitsShort { end_use } => o.end_uses[end_use].units_short.clone(),
        }
    }

    /// The objective's statistics across trials (`values` from [`Objective::per_trial`]); a probability's interval
    /// is Wilson's, as every proportion's in the outputs (the normal one gave [0 %, 0 %] for 0 of 300 trials).
    pub fn summarize(&self, values: &[f64]) -> Summary {
        let mut summary = summarize(&mut values.to_vec());
        if let Objective::ShortOrLate { .. } = self {
            let wilson = Proportion::new(values.iter().filter(|&&v| v > 0.0).count(), values.len());
            (summary.ci95_low, summary.ci95_high) = (wilson.ci95_low, wilson.ci95_high);
        }
        summary
    }
}

/// What an objective measures, before its end use is looked up in a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectiveKind {
    /// The trial's loss over every end use.
    Loss,
    /// P(short or late) of one end use.
    ShortOrLate,
    /// The mean longest delay of one end use.
    MaxDelay,
    /// Mean units short of one end use.
    UnitsShort,
}

impl ObjectiveKind {
    /// An objective as the command line spells it (`loss`, `short:END_USE`, `delay:END_USE` or
    /// `units-short:END_USE`): what it measures and the end use it names (empty for the loss). Any other text is
    /// refused with a message that lists the forms.
    pub fn parse(text: &str) -> Result<(ObjectiveKind, &str), String> {
        match text.split_once(':') {
            None if text == "loss" => Ok((ObjectiveKind::Loss, "")),
            Some(("short", e)) if !e.is_empty() => Ok((ObjectiveKind::ShortOrLate, e)),
            Some(("delay", e)) if !e.is_empty() => Ok((ObjectiveKind::MaxDelay, e)),
            Some(("units-short", e)) if !e.is_empty() => Ok((ObjectiveKind::UnitsShort, e)),
            _ => Err(format!(
                "`{text}` is not an objective: use `loss`, `short:END_USE`, `delay:END_USE` or `units-short:END_USE`"
            )),
        }
    }
}

impl Objective {
    /// The objective `kind` about end use `end_use` of `scenario` (ignored for the loss). An end use the scenario
    /// does not define, or a delay objective on an end use that loses its unmet demand, is refused with a message
    /// that names the setting to change.
    pub fn resolve(scenario: &Scenario, kind: ObjectiveKind, end_use: &str) -> Result<Self, AnalysisError> {
        let spec = scenario.model.spec();
        let index = || {
            spec.end_uses.iter().position(|e| e.name == end_use).ok_or_else(|| {
                let names: Vec<&str> = spec.end_uses.iter().map(|e| e.name.as_str()).collect();
                let suggestion = chokepoint_scenario::did_you_mean(end_use, names.iter().copied())
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                AnalysisError::Question(format!(
                    "the objective names end use `{end_use}`, which the scenario does not define{suggestion}; it has {}",
                    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                ))
            })
        };
        Ok(match kind {
            ObjectiveKind::Loss => Objective::Loss,
            ObjectiveKind::ShortOrLate => Objective::ShortOrLate { end_use: index()? },
            ObjectiveKind::MaxDelay => {
                let e = index()?;
                if spec.end_uses[e].unmet != chokepoint_engine::Unmet::Backlog {
                    return Err(AnalysisError::Question(format!(
                        "end use `{end_use}` loses the demand it cannot meet, so none of it is late: use \
                         `short:{end_use}` or `units-short:{end_use}`"
                    )));
                }
                Objective::MaxDelay { end_use: e }
            }
            ObjectiveKind::UnitsShort => Objective::UnitsShort { end_use: index()? },
        })
    }
}

/// The seed of the confirmation run of a search with `seed`: a fresh stream family derived from it.
pub fn confirmation_seed(seed: u64) -> u64 {
    chokepoint_engine::rng::splitmix64(seed ^ 0x636f_6e66_6972_6d21)
}

/// What to search.
#[derive(Debug, Clone, PartialEq)]
pub struct PortfolioQuestion {
    /// The mitigations (or packages) a portfolio is made of, in the order they are applied.
    pub candidates: Vec<OptionSpec>,
    /// Total cost over the horizon a portfolio may reach, US dollars.
    pub budget_usd: f64,
    /// What the portfolio makes as small as possible.
    pub objective: Objective,
    /// Run every portfolio within the budget when there are at most this many.
    pub exhaustive_limit: usize,
    /// The most portfolios the heuristic runs.
    pub max_evaluations: usize,
    /// The seed of the confirmation run.
    pub confirmation_seed: u64,
}

/// How the portfolios were searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Search {
    /// Every portfolio within the budget.
    Exhaustive,
    /// Greedy forward selection, then local search.
    Heuristic,
}

/// One portfolio run.
#[derive(Debug, Clone, PartialEq)]
pub struct Portfolio {
    /// Indices into the question's candidates, ascending.
    pub members: Vec<usize>,
    /// Total cost over the horizon, US dollars.
    pub cost_usd: f64,
    /// The objective across trials.
    pub objective: Summary,
    /// The objective avoided against the baseline (`baseline - portfolio`, paired).
    pub improvement: PairedDifference,
}

/// The answer.
#[derive(Debug, Clone, PartialEq)]
pub struct PortfolioAnswer {
    /// Whether every portfolio was run or the heuristic chose them.
    pub search: Search,
    /// Portfolios within the budget (`None` when there are too many candidates to count them).
    pub within_budget: Option<u64>,
    /// Every portfolio run, in the order run; the first is the empty one (the baseline).
    pub evaluated: Vec<Portfolio>,
    /// Portfolios that could not be built (mitigations that do not fit together), with the reason.
    pub refused: Vec<(Vec<usize>, String)>,
    /// Index into `evaluated` of the best portfolio within the budget.
    pub best: usize,
    /// Indices into `evaluated` of the efficient frontier, by cost.
    pub frontier: Vec<usize>,
    /// The best portfolio run again on the confirmation seed, compared with the baseline on that seed.
    pub confirmation: Portfolio,
    /// The baseline's objective on the confirmation seed.
    pub confirmation_baseline: Summary,
}

/// The number of portfolios within `budget` among candidates costing `costs` (up to 24 candidates).
pub fn count_within_budget(costs: &[f64], budget: f64) -> Option<u64> {
    if costs.len() > 24 {
        return None;
    }
    let n = costs.len();
    let count = (0u64..1 << n).filter(|&mask| cost_of_mask(costs, mask) <= budget).count();
    Some(count as u64)
}

fn cost_of_mask(costs: &[f64], mask: u64) -> f64 {
    costs.iter().enumerate().filter(|(i, _)| mask >> i & 1 == 1).map(|(_, c)| c).sum()
}

fn members_of(mask: u64, n: usize) -> Vec<usize> {
    (0..n).filter(|i| mask >> i & 1 == 1).collect()
}

/// Runs portfolios and remembers every one.
struct Evaluator<'s, 'r, 'p> {
    scenario: &'s Scenario,
    question: &'s PortfolioQuestion,
    weights: LossWeights,
    runner: &'r mut VariantRunner<'p>,
    costs: Vec<f64>,
    baseline: Vec<f64>,
    evaluated: Vec<(u64, Portfolio)>,
    refused: Vec<(u64, String)>,
}

impl Evaluator<'_, '_, '_> {
    fn model(&self, mask: u64) -> Result<Model, String> {
        let names: Vec<String> = members_of(mask, self.costs.len())
            .into_iter()
            .flat_map(|i| self.question.candidates[i].members())
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        self.scenario.variant(&names).map_err(|e| e.to_string())
    }

    fn outcome(&self, results: &RunResults) -> Vec<f64> {
        self.question.objective.per_trial(&VariantOutcome::of(results, &self.weights))
    }

    /// The mean objective of `mask`, running it if needed; `None` when it cannot be built.
    fn evaluate(&mut self, mask: u64) -> Result<Option<f64>, AnalysisError> {
        if let Some((_, p)) = self.evaluated.iter().find(|(m, _)| *m == mask) {
            return Ok(Some(p.objective.mean));
        }
        if self.refused.iter().any(|(m, _)| *m == mask) {
            return Ok(None);
        }
        let model = match self.model(mask) {
            Ok(m) => m,
            Err(reason) => {
                self.refused.push((mask, reason));
                return Ok(None);
            }
        };
        let results = self.runner.run(&model)?;
        let values = self.outcome(&results);
        let portfolio = Portfolio {
            members: members_of(mask, self.costs.len()),
            cost_usd: cost_of_mask(&self.costs, mask),
            objective: self.question.objective.summarize(&values),
            improvement: PairedDifference::new(&self.baseline, &values),
        };
        let mean = portfolio.objective.mean;
        self.evaluated.push((mask, portfolio));
        Ok(Some(mean))
    }

    fn affordable(&self, mask: u64) -> bool {
        cost_of_mask(&self.costs, mask) <= self.question.budget_usd
    }

    fn budget_left(&self) -> bool {
        self.evaluated.len() + self.refused.len() < self.question.max_evaluations
    }
}

/// Searches the portfolios of `question` for `scenario`, running each with `runner`.
pub fn optimize(
    scenario: &Scenario,
    question: &PortfolioQuestion,
    runner: &mut VariantRunner<'_>,
) -> Result<PortfolioAnswer, AnalysisError> {
    let n = question.candidates.len();
    if n == 0 {
        return Err(AnalysisError::Question("no candidate mitigation to choose from".into()));
    }
    if n > 62 {
        return Err(AnalysisError::Question(format!("{n} candidates are more than the 62 a search can hold")));
    }
    if !(question.budget_usd >= 0.0 && question.budget_usd.is_finite()) {
        return Err(AnalysisError::Question(format!(
            "the budget must be an amount of US dollars of zero or more, not {}",
            question.budget_usd
        )));
    }
    let years = scenario.horizon_years();
    let costs: Vec<f64> = question.candidates.iter().map(|c| c.cost.total_usd(years)).collect();
    let weights = LossWeights::of(scenario);
    let baseline_results = runner.run(&scenario.model)?;
    let baseline = question.objective.per_trial(&VariantOutcome::of(&baseline_results, &weights));
    drop(baseline_results);
    let within_budget = count_within_budget(&costs, question.budget_usd);
    let mut ev = Evaluator {
        scenario,
        question,
        weights,
        runner,
        costs,
        baseline: baseline.clone(),
        evaluated: Vec::new(),
        refused: Vec::new(),
    };
    // The empty portfolio is the baseline itself: recorded without running it again.
    ev.evaluated.push((
        0,
        Portfolio {
            members: Vec::new(),
            cost_usd: 0.0,
            objective: question.objective.summarize(&baseline),
            improvement: PairedDifference::new(&baseline, &baseline),
        },
    ));
    let search = match within_budget {
        Some(count) if count as usize <= question.exhaustive_limit.max(1) => {
            for mask in 1u64..1 << n {
                if ev.affordable(mask) {
                    ev.evaluate(mask)?;
                }
            }
            Search::Exhaustive
        }
        _ => {
            heuristic(&mut ev)?;
            Search::Heuristic
        }
    };
    let better = |a: &Portfolio, b: &Portfolio| {
        a.objective
            .mean
            .total_cmp(&b.objective.mean)
            .then(a.cost_usd.total_cmp(&b.cost_usd))
            .then(a.members.len().cmp(&b.members.len()))
            .then(a.members.cmp(&b.members))
    };
    let budget = question.budget_usd;
    let best = (0..ev.evaluated.len())
        .filter(|&i| ev.evaluated[i].1.cost_usd <= budget)
        .min_by(|&a, &b| better(&ev.evaluated[a].1, &ev.evaluated[b].1))
        .unwrap_or(0);
    let mut by_cost: Vec<usize> = (0..ev.evaluated.len()).collect();
    by_cost.sort_by(|&a, &b| {
        let (x, y) = (&ev.evaluated[a].1, &ev.evaluated[b].1);
        x.cost_usd.total_cmp(&y.cost_usd).then(better(x, y))
    });
    let mut frontier = Vec::new();
    let mut best_so_far = f64::INFINITY;
    for i in by_cost {
        let mean = ev.evaluated[i].1.objective.mean;
        if mean < best_so_far {
            frontier.push(i);
            best_so_far = mean;
        }
    }
    // Confirmation on fresh draws: the baseline and the chosen portfolio, both with the confirmation seed.
    let best_mask = ev.evaluated[best].0;
    let chosen = ev.model(best_mask).map_err(AnalysisError::Question)?;
    let seed = question.confirmation_seed;
    let base_again = ev.runner.run_with_seed(&scenario.model, seed)?;
    let base_values = ev.outcome(&base_again);
    drop(base_again);
    let chosen_again = ev.runner.run_with_seed(&chosen, seed)?;
    let values = ev.outcome(&chosen_again);
    let confirmation = Portfolio {
        members: members_of(best_mask, n),
        cost_usd: ev.evaluated[best].1.cost_usd,
        objective: question.objective.summarize(&values),
        improvement: PairedDifference::new(&base_values, &values),
    };
    Ok(PortfolioAnswer {
        search,
        within_budget,
        refused: ev.refused.iter().map(|(m, r)| (members_of(*m, n), r.clone())).collect(),
        evaluated: ev.evaluated.into_iter().map(|(_, p)| p).collect(),
        best,
        frontier,
        confirmation,
        confirmation_baseline: question.objective.summarize(&base_values),
    })
}

/// Greedy forward selection by improvement per dollar, then local search by adding, dropping or swapping one
/// candidate, within the evaluation budget.
fn heuristic(ev: &mut Evaluator<'_, '_, '_>) -> Result<(), AnalysisError> {
    let n = ev.costs.len();
    let mut current: u64 = 0;
    let mut current_mean = ev.evaluated[0].1.objective.mean;
    // Greedy: the best improvement per dollar (free improvements first).
    loop {
        let mut choice: Option<(f64, u64, f64)> = None;
        for i in 0..n {
            let next = current | 1 << i;
            if next == current || !ev.affordable(next) || !ev.budget_left() {
                continue;
            }
            let Some(mean) = ev.evaluate(next)? else { continue };
            let gain = current_mean - mean;
            if !(gain > 0.0) {
                continue;
            }
            let per_dollar = if ev.costs[i] > 0.0 { gain / ev.costs[i] } else { f64::INFINITY };
            if choice.is_none_or(|(best, _, _)| per_dollar > best) {
                choice = Some((per_dollar, next, mean));
            }
        }
        match choice {
            Some((_, next, mean)) => {
                current = next;
                current_mean = mean;
            }
            None => break,
        }
    }
    // Local search: the best neighbour, while one improves.
    loop {
        let mut neighbours: Vec<u64> = Vec::new();
        for i in 0..n {
            neighbours.push(current ^ 1 << i);
            for j in 0..n {
                if current >> i & 1 == 1 && current >> j & 1 == 0 {
                    neighbours.push(current ^ (1 << i) ^ (1 << j));
                }
            }
        }
        let mut choice: Option<(u64, f64)> = None;
        for next in neighbours {
            if !ev.affordable(next) || !ev.budget_left() {
                continue;
            }
            let Some(mean) = ev.evaluate(next)? else { continue };
            if mean < current_mean && choice.is_none_or(|(_, best)| mean < best) {
                choice = Some((next, mean));
            }
        }
        match choice {
            Some((next, mean)) => {
                current = next;
                current_mean = mean;
            }
            None => break,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probability_objective_has_wilson_intervals() {
        let short = Objective::ShortOrLate { end_use: 0 };
        // None of 300 trials short: Wilson's interval is [0, 1.26 %], the normal one [0, 0].
        let none = short.summarize(&[0.0; 300]);
        assert_eq!((none.mean, none.ci95_low), (0.0, 0.0));
        assert!((none.ci95_high - 0.012_61).abs() < 1e-4, "{}", none.ci95_high);
        // Other objectives keep the mean's normal interval.
        let units = Objective::UnitsShort { end_use: 0 }.summarize(&[0.0; 300]);
        assert_eq!((units.ci95_low, units.ci95_high), (0.0, 0.0));
    }

    #[test]
    fn portfolios_within_the_budget_are_counted() {
        assert_eq!(count_within_budget(&[1.0, 2.0, 3.0], 3.0), Some(5), "{{}}, {{1}}, {{2}}, {{3}}, {{1, 2}}");
        assert_eq!(count_within_budget(&[1.0; 30], 3.0), None);
        assert_eq!(members_of(0b101, 3), [0, 2]);
    }
}
