//! Mitigation options against the baseline, on common random numbers: per end use and overall.
//!
//! Every variant (the baseline and each option) runs the same trials with the same seed, so the per-trial
//! differences are paired ([`crate::paired`]). Per end use and option: units short avoided, the change in the
//! probability of being short or late, delay avoided (the longest delay of a unit, and unit-weeks of backlog),
//! and the end use's loss avoided, each with its paired 95 % interval. Overall, per option: the trial's loss
//! avoided (every end use on one scale, [`crate::loss`]) with its paired interval, and, when that interval lies
//! above 0, the loss avoided per dollar.
//!
//! Rankings (equal keys share a rank, "1, 1, 3"):
//! - within an end use: the end use's mean loss avoided, larger first, then the fall in P(short or late);
//! - overall, by loss: options whose loss avoided is detectably positive first, then those with no detectable
//!   effect, then those detectably negative; within each group by mean loss avoided (larger first), then by cost
//!   (lower first);
//! - overall, by value for money: only options with a detectable benefit, by loss avoided per dollar (free ones
//!   first).
//!
//! A cost per unit avoided is given only where the avoided amount is detectably positive: a figure divided by
//! noise is not a price.

use chokepoint_engine::Unmet;
use chokepoint_engine::stats::{Proportion, Summary, summarize};
use chokepoint_scenario::{Cost, LossUnit, MitigationKind, Scenario, VariantError};

use crate::outcome::{EndUseTrials, VariantOutcome};
use crate::paired::{Detected, PairedDifference, ProportionChange};

/// A mitigation or a package, as an option to compare with the baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionSpec {
    /// The option's name in the scenario (or its overlay).
    pub name: String,
    /// Whether it is one mitigation or a package of them.
    pub kind: OptionKind,
    /// The scenario's words for it.
    pub description: String,
    /// What it costs, one-off and per year.
    pub cost: Cost,
    /// The file that defined it, if it came from an overlay added for the comparison.
    pub source: Option<String>,
}

/// What an option is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionKind {
    /// A mitigation of this kind (`stockpile`, `buffer`, ...).
    Mitigation {
        /// The mitigation's kind.
        kind: MitigationKind,
    },
    /// A package of these mitigations, applied in order.
    Package {
        /// The package's mitigations, by name, in the order they are applied.
        members: Vec<String>,
    },
}

impl OptionSpec {
    /// The mitigation or package `name` of `scenario`, if it has one.
    pub fn of(scenario: &Scenario, name: &str) -> Option<Self> {
        if let Some(m) = scenario.mitigations.iter().find(|m| m.name == name) {
            return Some(Self {
                name: m.name.clone(),
                kind: OptionKind::Mitigation { kind: m.kind },
                description: m.description.clone(),
                cost: m.cost,
                source: None,
            });
        }
        scenario.packages.iter().find(|p| p.name == name).map(|p| Self {
            name: p.name.clone(),
            kind: OptionKind::Package { members: p.members.clone() },
            description: p.description.clone(),
            cost: p.cost,
            source: None,
        })
    }

    /// The mitigations it applies: a package's members, or the mitigation itself.
    pub fn members(&self) -> Vec<String> {
        match &self.kind {
            OptionKind::Mitigation { .. } => vec![self.name.clone()],
            OptionKind::Package { members } => members.clone(),
        }
    }
}

/// The options `names` of `scenario` (then, with `all`, every mitigation and every package), each once, in the
/// order named. A name that is neither a mitigation nor a package is refused with the scenario's own message.
pub fn options_of(scenario: &Scenario, names: &[String], all: bool) -> Result<Vec<OptionSpec>, VariantError> {
    let every = scenario.mitigations.iter().map(|m| &m.name).chain(scenario.packages.iter().map(|p| &p.name));
    let named = names.iter().chain(every.filter(|_| all));
    let mut specs: Vec<OptionSpec> = Vec::new();
    for name in named {
        if specs.iter().any(|s| s.name == *name) {
            continue;
        }
        let Some(spec) = OptionSpec::of(scenario, name) else {
            return Err(scenario
                .variant(&[name.as_str()])
                .err()
                .unwrap_or(VariantError::Unknown { name: name.clone(), known: Vec::new() }));
        };
        specs.push(spec);
    }
    Ok(specs)
}

/// An end use's levels in one variant.
#[derive(Debug, Clone, PartialEq)]
pub struct EndUseLevels {
    /// Units of the end use not built within the horizon, across trials.
    pub units_short: Summary,
    /// The share of trials in which the end use is short or late at all.
    pub short_or_late: Proportion,
    /// The longest delay of a unit, weeks, across trials.
    pub max_delay_weeks: Summary,
    /// The same over the trials with a late unit only (some backlog carried); `None` when no trial was late.
    pub max_delay_weeks_when_late: Option<Summary>,
    /// Backlog summed over the horizon, unit-weeks, across trials.
    pub backlog_unit_weeks: Summary,
    /// The end use's loss, in the scenario's loss unit, across trials.
    pub loss: Summary,
}

impl EndUseLevels {
    /// The levels of one end use's trials.
    pub fn of(x: &EndUseTrials) -> Self {
        let n = x.short_or_late.len();
        Self {
            units_short: summarize(&mut x.units_short.clone()),
            short_or_late: Proportion::new(x.short_or_late.iter().filter(|&&s| s).count(), n),
            max_delay_weeks: summarize(&mut x.max_delay_weeks.clone()),
            max_delay_weeks_when_late: {
                let late = x.backlog_unit_weeks.iter().map(|&w| w > 0.0);
                let mut among_late: Vec<f64> =
                    x.max_delay_weeks.iter().zip(late).filter(|&(_, late)| late).map(|(&d, _)| d).collect();
                (!among_late.is_empty()).then(|| summarize(&mut among_late))
            },
            backlog_unit_weeks: summarize(&mut x.backlog_unit_weeks.clone()),
            loss: summarize(&mut x.loss.clone()),
        }
    }
}

/// A cost divided by an amount avoided: the point estimate and the interval from the amount's interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostPerUnit {
    /// `cost / avoided` at the mean amount avoided.
    pub point: f64,
    /// `[cost / high, cost / low]` of the amount's 95 % interval (both positive when this exists).
    pub ci95: [f64; 2],
}

impl CostPerUnit {
    /// `cost / avoided`, only when the amount avoided is detectably positive.
    pub fn of(cost_usd: f64, avoided: &PairedDifference) -> Option<Self> {
        (avoided.detected() == Detected::Better).then(|| {
            let a = &avoided.avoided;
            Self { point: cost_usd / a.mean, ci95: [cost_usd / a.ci95_high, cost_usd / a.ci95_low] }
        })
    }
}

/// One option's effect on one end use.
#[derive(Debug, Clone, PartialEq)]
pub struct EndUseEffect {
    /// Rank within the end use (1 is best).
    pub rank: usize,
    /// The end use's levels with the option applied.
    pub levels: EndUseLevels,
    /// Units short avoided, trial by trial.
    pub units_short: PairedDifference,
    /// The change of P(short or late), trial by trial.
    pub short_or_late: ProportionChange,
    /// The longest delay avoided, weeks, trial by trial.
    pub max_delay_weeks: PairedDifference,
    /// Backlog unit-weeks avoided, trial by trial.
    pub backlog_unit_weeks: PairedDifference,
    /// The end use's loss avoided, trial by trial.
    pub loss: PairedDifference,
    /// CVaR95 of units short, option minus baseline.
    pub delta_cvar95_units_short: f64,
    /// Whether the option helps the end use, at 95 %: by its loss, or, where that cannot tell, by P(short or
    /// late).
    pub effect: Detected,
    /// Cost per unit short avoided, where detectable.
    pub cost_per_unit_short_avoided: Option<CostPerUnit>,
    /// Cost per unit-week of backlog avoided, where detectable.
    pub cost_per_unit_week_late_avoided: Option<CostPerUnit>,
}

/// One end use across the options.
#[derive(Debug, Clone, PartialEq)]
pub struct EndUseComparison {
    /// The end use's index in the model.
    pub end_use: usize,
    /// The end use's name in the scenario.
    pub name: String,
    /// What becomes of its unmet demand: lost, or backlogged until built.
    pub unmet: Unmet,
    /// The end use's levels without any option.
    pub baseline: EndUseLevels,
    /// One per option, in the order the options were given.
    pub effects: Vec<EndUseEffect>,
}

/// One option overall.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionResult {
    /// Total cost over the horizon, US dollars.
    pub cost_usd: f64,
    /// The trial's loss (every end use) avoided.
    pub loss: PairedDifference,
    /// Whether the option lowers the loss over every end use, at 95 %.
    pub effect: Detected,
    /// Rank by loss avoided (1 is best); see the module's documentation.
    pub rank: usize,
    /// Loss avoided per US dollar, when the loss avoided is detectably positive and the option costs something.
    pub loss_avoided_per_usd: Option<CostPerUnit>,
    /// Rank by value for money, among options with a detectable benefit.
    pub rank_by_value: Option<usize>,
    /// End uses the option detectably helps.
    pub end_uses_improved: usize,
    /// End uses the option detectably harms.
    pub end_uses_worsened: usize,
    /// An option that costs no more and avoids at least as much loss (by the point estimates), better in one.
    pub dominated_by: Option<usize>,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Length of the horizon, years, over which costs are counted.
    pub horizon_years: f64,
    /// The unit of the loss measure (US dollars or units short).
    pub loss_unit: LossUnit,
    /// The baseline's loss over every end use, across trials.
    pub baseline_loss: Summary,
    /// Per end use, in model order.
    pub end_uses: Vec<EndUseComparison>,
    /// One per option, in the order given.
    pub options: Vec<OptionResult>,
}

/// Competition ranks ("1, 1, 3") of `items` sorted by `cmp`, in the items' original order.
pub fn ranks<T>(items: &[T], cmp: impl Fn(&T, &T) -> std::cmp::Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| cmp(&items[a], &items[b]).then(a.cmp(&b)));
    let mut rank = vec![0; items.len()];
    for (pos, &i) in order.iter().enumerate() {
        rank[i] =
            if pos > 0 && cmp(&items[order[pos - 1]], &items[i]).is_eq() { rank[order[pos - 1]] } else { pos + 1 };
    }
    rank
}

impl Comparison {
    /// Compares each of `options` (with costs from `specs`, in the same order) with `baseline`; all must come
    /// from runs of the same seed and trial count.
    pub fn new(
        scenario: &Scenario,
        specs: &[OptionSpec],
        baseline: &VariantOutcome,
        options: &[VariantOutcome],
    ) -> Self {
        let years = scenario.horizon_years();
        let spec = scenario.model.spec();
        let costs: Vec<f64> = specs.iter().map(|o| o.cost.total_usd(years)).collect();
        let end_uses: Vec<EndUseComparison> = spec
            .end_uses
            .iter()
            .enumerate()
            .map(|(e, eu)| {
                let base = &baseline.end_uses[e];
                let mut effects: Vec<EndUseEffect> =
                    options.iter().zip(&costs).map(|(o, &cost)| end_use_effect(base, &o.end_uses[e], cost)).collect();
                let within = ranks(&effects, |x, y| {
                    y.loss
                        .mean_avoided()
                        .total_cmp(&x.loss.mean_avoided())
                        .then(x.short_or_late.delta.total_cmp(&y.short_or_late.delta))
                });
                for (x, r) in effects.iter_mut().zip(within) {
                    x.rank = r;
                }
                EndUseComparison {
                    end_use: e,
                    name: eu.name.clone(),
                    unmet: eu.unmet,
                    baseline: EndUseLevels::of(base),
                    effects,
                }
            })
            .collect();
        let mut results: Vec<OptionResult> = options
            .iter()
            .zip(&costs)
            .enumerate()
            .map(|(i, (o, &cost))| {
                let loss = PairedDifference::new(&baseline.loss, &o.loss);
                let effect = loss.detected();
                let improved = end_uses.iter().filter(|c| c.effects[i].effect == Detected::Better).count();
                let worsened = end_uses.iter().filter(|c| c.effects[i].effect == Detected::Worse).count();
                let per_usd = (cost > 0.0 && effect == Detected::Better).then(|| {
                    let a = &loss.avoided;
                    CostPerUnit { point: a.mean / cost, ci95: [a.ci95_low / cost, a.ci95_high / cost] }
                });
                OptionResult {
                    cost_usd: cost,
                    loss,
                    effect,
                    rank: 0,
                    loss_avoided_per_usd: per_usd,
                    rank_by_value: None,
                    end_uses_improved: improved,
                    end_uses_worsened: worsened,
                    dominated_by: None,
                }
            })
            .collect();
        let overall = ranks(&results, |a, b| {
            a.effect
                .cmp(&b.effect)
                .then(b.loss.mean_avoided().total_cmp(&a.loss.mean_avoided()))
                .then(a.cost_usd.total_cmp(&b.cost_usd))
        });
        // Value for money among options with a detectable benefit; free ones first (infinite value).
        let value = |r: &OptionResult| match (r.effect, r.cost_usd > 0.0) {
            (Detected::Better, false) => Some(f64::INFINITY),
            (Detected::Better, true) => r.loss_avoided_per_usd.map(|c| c.point),
            _ => None,
        };
        let beneficial: Vec<usize> = (0..results.len()).filter(|&i| value(&results[i]).is_some()).collect();
        let by_value = ranks(&beneficial, |&a, &b| {
            value(&results[b]).unwrap_or(0.0).total_cmp(&value(&results[a]).unwrap_or(0.0))
        });
        for (i, r) in results.iter_mut().enumerate() {
            r.rank = overall[i];
        }
        for (&i, r) in beneficial.iter().zip(by_value) {
            results[i].rank_by_value = Some(r);
        }
        let dominated: Vec<Option<usize>> = (0..results.len())
            .map(|i| {
                let (ci, ai) = (results[i].cost_usd, results[i].loss.mean_avoided());
                (0..results.len())
                    .filter(|&j| j != i)
                    .filter(|&j| {
                        let (cj, aj) = (results[j].cost_usd, results[j].loss.mean_avoided());
                        cj <= ci && aj >= ai && (cj < ci || aj > ai)
                    })
                    .max_by(|&a, &b| results[a].loss.mean_avoided().total_cmp(&results[b].loss.mean_avoided()))
            })
            .collect();
        for (r, d) in results.iter_mut().zip(dominated) {
            r.dominated_by = d;
        }
        let baseline_loss = summarize(&mut baseline.loss.clone());
        Self { horizon_years: years, loss_unit: scenario.loss.unit, baseline_loss, end_uses, options: results }
    }
}

fn end_use_effect(base: &EndUseTrials, option: &EndUseTrials, cost: f64) -> EndUseEffect {
    let units_short = PairedDifference::new(&base.units_short, &option.units_short);
    let short_or_late = ProportionChange::new(&base.short_or_late, &option.short_or_late);
    let max_delay_weeks = PairedDifference::new(&base.max_delay_weeks, &option.max_delay_weeks);
    let backlog_unit_weeks = PairedDifference::new(&base.backlog_unit_weeks, &option.backlog_unit_weeks);
    let loss = PairedDifference::new(&base.loss, &option.loss);
    let levels = EndUseLevels::of(option);
    let cvar = |x: &[f64]| summarize(&mut x.to_vec()).cvar95;
    let effect = match loss.detected() {
        Detected::None => short_or_late.detected(),
        d => d,
    };
    EndUseEffect {
        rank: 0,
        levels,
        delta_cvar95_units_short: cvar(&option.units_short) - cvar(&base.units_short),
        cost_per_unit_short_avoided: CostPerUnit::of(cost, &units_short),
        cost_per_unit_week_late_avoided: CostPerUnit::of(cost, &backlog_unit_weeks),
        units_short,
        short_or_late,
        max_delay_weeks,
        backlog_unit_weeks,
        loss,
        effect,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_delay_when_late_is_over_the_late_trials_only() {
        let trials = |delays: Vec<f64>, backlog: Vec<f64>| EndUseTrials {
            units_short: vec![0.0; delays.len()],
            units_late: vec![0.0; delays.len()],
            short_or_late: backlog.iter().map(|&b| b > 0.0).collect(),
            loss: vec![0.0; delays.len()],
            max_delay_weeks: delays,
            backlog_unit_weeks: backlog,
        };
        // Two late trials of four: over every trial the mean is 2, over the late ones 4.
        let levels = EndUseLevels::of(&trials(vec![0.0, 3.0, 0.0, 5.0], vec![0.0, 6.0, 0.0, 9.0]));
        assert_eq!(levels.max_delay_weeks.mean, 2.0);
        let when_late = levels.max_delay_weeks_when_late.expect("two late trials");
        assert_eq!((when_late.n, when_late.mean), (2, 4.0));
        assert!(EndUseLevels::of(&trials(vec![0.0; 3], vec![0.0; 3])).max_delay_weeks_when_late.is_none());
    }

    #[test]
    fn equal_keys_share_a_rank() {
        let r = ranks(&[5.0, 9.0, 5.0, 1.0], |a: &f64, b: &f64| b.total_cmp(a));
        assert_eq!(r, [2, 1, 2, 4]);
    }

    #[test]
    fn a_cost_per_unit_needs_a_detectable_effect() {
        let clear = PairedDifference::new(&[10.0, 12.0, 11.0, 13.0], &[5.0, 6.0, 6.0, 7.0]);
        let c = CostPerUnit::of(1_000.0, &clear).expect("detectable");
        assert!((c.point - 1_000.0 / clear.avoided.mean).abs() < 1e-9);
        assert!(c.ci95[0] < c.point && c.point < c.ci95[1]);
        // Noise: the interval of the amount avoided straddles 0, so no price is quoted.
        let noise = PairedDifference::new(&[10.0, 12.0, 11.0, 13.0], &[11.0, 11.0, 12.0, 12.0]);
        assert_eq!(CostPerUnit::of(1_000.0, &noise), None);
    }
}
