//! Summaries of a run: per end use and per stage statistics across trials, and fan-chart bands.

use crate::model::Model;
use crate::model::Unmet;
use crate::runner::RunResults;
use crate::stats::{
    Proportion, SHARE_BINS, Summary, backlog_bin_value, histogram_quantiles, histogram_quantiles_with, summarize,
};

/// Quantiles reported in fan-chart bands.
pub const BAND_QUANTILES: [f64; 5] = [0.05, 0.25, 0.50, 0.75, 0.95];

/// Quantiles reported in backlog bands: the fan and the tail beyond it.
pub const BACKLOG_BAND_QUANTILES: [f64; 6] = [0.05, 0.25, 0.50, 0.75, 0.95, 0.99];

/// Statistics of one end use across trials.
#[derive(Debug, Clone, PartialEq)]
pub struct EndUseSummary {
    pub name: String,
    pub class: crate::model::Class,
    /// Units demanded over the horizon (mean across trials).
    pub mean_demand: f64,
    pub units_short: Summary,
    pub share_met: Summary,
    pub short_periods: Summary,
    pub longest_short_run: Summary,
    /// Share of trials with any shortfall.
    pub p_any_short: Proportion,
    /// First short period, among trials that were short.
    pub first_short_period: Option<Summary>,
    /// Recovery period, among trials that were short and recovered within the horizon.
    pub recovery_period: Option<Summary>,
    /// Share of short trials still short at the end of the horizon.
    pub p_short_at_end: Proportion,
    /// What happens to demand the end use cannot meet.
    pub unmet: Unmet,
    /// Units lost (lost demand; 0 for backlogged demand).
    pub units_lost: Summary,
    /// Backlogged demand: units delivered late within the horizon.
    pub units_late: Summary,
    /// Backlogged demand: units still owed at the end of the horizon.
    pub units_owed_at_end: Summary,
    /// Units not delivered in the period they were demanded in: lost, late or still owed.
    pub units_short_or_late: Summary,
    /// Backlogged demand: mean delay of a late unit in periods, over the trials with a late unit.
    pub mean_delay_periods: Option<Summary>,
    /// Backlogged demand: mean delay of a late unit in periods, pooled over every late unit of every trial
    /// (total unit-periods of backlog over total units late or owed); `None` when no unit was late.
    pub pooled_mean_delay_periods: Option<f64>,
    /// Backlogged demand: the longest delay of a unit in periods (0 in a trial without one), censored at the horizon.
    pub max_delay_periods: Summary,
    /// Backlogged demand: the largest backlog, in units and in weeks of normal demand.
    pub peak_backlog: Summary,
    pub peak_backlog_weeks: Summary,
    /// Backlogged demand: unit-periods of backlog.
    pub backlog_unit_periods: Summary,
    /// Backlogged demand, over the trials with a late unit only: the longest delay (periods) and the peak backlog
    /// (units, and weeks of normal demand). How bad it is when it happens, which the unconditional quantiles hide
    /// when lateness is rare.
    pub max_delay_periods_when_late: Option<Summary>,
    pub peak_backlog_when_late: Option<Summary>,
    pub peak_backlog_weeks_when_late: Option<Summary>,
    /// Share of trials with units still owed at the end of the horizon.
    pub p_owed_at_end: Proportion,
}

/// Statistics of one stage across trials.
#[derive(Debug, Clone, PartialEq)]
pub struct StageSummary {
    pub name: String,
    pub region: String,
    pub throughput_lost: Summary,
    /// Normal throughput over the horizon at the start-of-horizon rate, to put losses in proportion.
    pub normal_throughput: f64,
}

/// Statistics of one stockpile across trials.
#[derive(Debug, Clone, PartialEq)]
pub struct StockpileSummary {
    pub name: String,
    pub min_level: Summary,
    pub released: Summary,
    /// Share of trials in which it ran dry (its lowest level reached zero).
    pub p_ran_dry: Proportion,
}

/// Quantile bands of the weekly share of requirement met, for one end use.
#[derive(Debug, Clone, PartialEq)]
pub struct Bands {
    pub end_use: String,
    /// `quantiles[t][k]` for `BAND_QUANTILES[k]`.
    pub quantiles: Vec<[f64; 5]>,
    /// Mean share met per period (from the histogram, exact to the bin width).
    pub mean: Vec<f64>,
    /// Periods between two entries of `quantiles` and `mean`: entry `j` is period `j * period_stride` (1 unless
    /// the horizon is very long, see [`crate::runner::band_stride`]).
    pub period_stride: usize,
}

/// Quantile bands of the backlog in weeks of normal demand, for one backlogged end use.
#[derive(Debug, Clone, PartialEq)]
pub struct BacklogBands {
    pub end_use: String,
    /// `quantiles[t][k]` for `BACKLOG_BAND_QUANTILES[k]` (exact to the bin width of 0.25 weeks; the top bin,
    /// 100 weeks or more, reads 100).
    pub quantiles: Vec<[f64; 6]>,
    /// Share of trials with a backlog, per period kept.
    pub p_backlog: Vec<f64>,
    /// Periods between two entries of `quantiles` and `p_backlog`, as in [`Bands::period_stride`].
    pub period_stride: usize,
}

/// Everything a run reports across trials.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    pub trials: usize,
    pub end_uses: Vec<EndUseSummary>,
    pub stages: Vec<StageSummary>,
    pub stockpiles: Vec<StockpileSummary>,
    pub bands: Vec<Bands>,
    /// One per backlogged end use, in scenario order (empty when bands were not kept).
    pub backlog_bands: Vec<BacklogBands>,
}

/// Summarises `results` of `model`. Deterministic: every reduction runs serially in trial order.
pub fn summarize_run(model: &Model, results: &RunResults) -> RunSummary {
    let spec = model.spec();
    let n = results.trials;
    let mut end_uses = Vec::with_capacity(spec.end_uses.len());
    let mut buf = Vec::with_capacity(n);
    for (e, eu) in spec.end_uses.iter().enumerate() {
        let mut metric = |f: &dyn Fn(&crate::outcome::EndUseOutcome) -> Option<f64>| {
            buf.clear();
            buf.extend(results.end_use(e).filter_map(f));
            summarize(&mut buf)
        };
        let units_short = metric(&|o| Some(o.units_short));
        let share_met = metric(&|o| Some(o.share_met));
        let short_periods = metric(&|o| Some(f64::from(o.short_periods)));
        let longest = metric(&|o| Some(f64::from(o.longest_short_run)));
        let first = metric(&|o| o.first_short_period.map(f64::from));
        let recovery = metric(&|o| o.recovery_period.map(f64::from));
        let mean_demand = results.end_use(e).map(|o| o.demand).sum::<f64>() / n.max(1) as f64;
        let units_lost = metric(&|o| Some(o.units_lost));
        let units_late = metric(&|o| Some(o.units_late));
        let units_owed_at_end = metric(&|o| Some(o.units_owed_at_end));
        let units_short_or_late = metric(&|o| Some(o.units_short_or_late()));
        let mean_delay = metric(&|o| o.mean_delay_periods());
        let max_delay = metric(&|o| Some(f64::from(o.max_delay_periods)));
        let peak_backlog = metric(&|o| Some(o.peak_backlog));
        let peak_backlog_weeks = metric(&|o| Some(o.peak_backlog_weeks));
        let backlog_unit_periods = metric(&|o| Some(o.backlog_unit_periods));
        let late = |o: &crate::outcome::EndUseOutcome| o.backlog_unit_periods > 0.0;
        let when_late = |x: Summary| (x.n > 0).then_some(x);
        let max_delay_when_late = when_late(metric(&|o| late(o).then(|| f64::from(o.max_delay_periods))));
        let peak_when_late = when_late(metric(&|o| late(o).then_some(o.peak_backlog)));
        let peak_weeks_when_late = when_late(metric(&|o| late(o).then_some(o.peak_backlog_weeks)));
        let late_total: f64 = results.end_use(e).map(|o| o.units_late + o.units_owed_at_end).sum();
        let wait_total: f64 = results.end_use(e).map(|o| o.backlog_unit_periods).sum();
        let owed = results.end_use(e).filter(|o| o.units_owed_at_end > 0.0).count();
        let short = results.end_use(e).filter(|o| o.short_periods > 0).count();
        let short_at_end = results.end_use(e).filter(|o| o.short_periods > 0 && o.recovery_period.is_none()).count();
        end_uses.push(EndUseSummary {
            name: eu.name.clone(),
            class: eu.class,
            mean_demand,
            units_short,
            share_met,
            short_periods,
            longest_short_run: longest,
            p_any_short: Proportion::new(short, n),
            first_short_period: (first.n > 0).then_some(first),
            recovery_period: (recovery.n > 0).then_some(recovery),
            p_short_at_end: Proportion::new(short_at_end, short),
            unmet: eu.unmet,
            units_lost,
            units_late,
            units_owed_at_end,
            units_short_or_late,
            mean_delay_periods: (mean_delay.n > 0).then_some(mean_delay),
            pooled_mean_delay_periods: (late_total > 0.0 && wait_total > 0.0).then(|| wait_total / late_total),
            max_delay_periods: max_delay,
            peak_backlog,
            peak_backlog_weeks,
            backlog_unit_periods,
            max_delay_periods_when_late: max_delay_when_late,
            peak_backlog_when_late: peak_when_late,
            peak_backlog_weeks_when_late: peak_weeks_when_late,
            p_owed_at_end: Proportion::new(owed, n),
        });
    }
    let stages = spec
        .stages
        .iter()
        .enumerate()
        .map(|(s, st)| {
            buf.clear();
            buf.extend(results.stage_lost(s));
            StageSummary {
                name: st.name.clone(),
                region: st.region.clone(),
                throughput_lost: summarize(&mut buf),
                normal_throughput: model.baseline().activity[s] * spec.periods as f64,
            }
        })
        .collect();
    let stockpiles = spec
        .mitigations
        .stockpiles
        .iter()
        .enumerate()
        .map(|(k, sp)| {
            buf.clear();
            buf.extend(results.stockpile_min(k));
            let dry = buf.iter().filter(|&&x| x <= 1e-9).count();
            let min_level = summarize(&mut buf);
            buf.clear();
            buf.extend(results.stockpile_released(k));
            StockpileSummary {
                name: sp.name.clone(),
                min_level,
                released: summarize(&mut buf),
                p_ran_dry: Proportion::new(dry, n),
            }
        })
        .collect();
    let mut bands = Vec::new();
    if !results.bands.is_empty() {
        for (e, eu) in spec.end_uses.iter().enumerate() {
            let mut quantiles = Vec::with_capacity(results.band_periods);
            let mut mean = Vec::with_capacity(results.band_periods);
            for j in 0..results.band_periods {
                let h = results.band(e, j);
                let mut q = [0.0; 5];
                histogram_quantiles(h, &BAND_QUANTILES, &mut q);
                quantiles.push(q);
                let total: u64 = h.iter().map(|&c| u64::from(c)).sum();
                let sum: f64 = (0..SHARE_BINS).map(|b| f64::from(h[b]) * crate::stats::bin_value(b)).sum();
                mean.push(if total > 0 { sum / total as f64 } else { f64::NAN });
            }
            bands.push(Bands { end_use: eu.name.clone(), quantiles, mean, period_stride: results.band_stride });
        }
    }
    let mut backlog_bands = Vec::new();
    if !results.backlog_bands.is_empty() {
        for (k, &e) in results.backlog_end_uses.iter().enumerate() {
            let mut quantiles = Vec::with_capacity(results.band_periods);
            let mut p_backlog = Vec::with_capacity(results.band_periods);
            for j in 0..results.band_periods {
                let h = results.backlog_band(k, j);
                let mut q = [0.0; 6];
                histogram_quantiles_with(h, &BACKLOG_BAND_QUANTILES, &mut q, backlog_bin_value);
                quantiles.push(q);
                let total: u64 = h.iter().map(|&c| u64::from(c)).sum();
                p_backlog.push(if total > 0 { (total - u64::from(h[0])) as f64 / total as f64 } else { f64::NAN });
            }
            backlog_bands.push(BacklogBands {
                end_use: spec.end_uses[e].name.clone(),
                quantiles,
                p_backlog,
                period_stride: results.band_stride,
            });
        }
    }
    RunSummary { trials: n, end_uses, stages, stockpiles, bands, backlog_bands }
}
