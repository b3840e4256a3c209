//! Summaries of a run: per end use and per stage statistics across trials, and fan-chart bands, computed from
//! per-trial columns handed over one at a time ([`TrialColumns`]), whether they are in memory or read back from files.

use crate::batches::BandCounts;
use crate::model::Model;
use crate::model::Unmet;
use crate::outcome::{EndUseColumns, EndUseOutcome};
use crate::runner::RunResults;
use crate::stats::{
    Proportion, SHARE_BINS, Summary, backlog_bin_value, histogram_quantiles, histogram_quantiles_with, mean, summarize,
};

/// Quantiles reported in fan-chart bands.
pub const BAND_QUANTILES: [f64; 5] = [0.05, 0.25, 0.50, 0.75, 0.95];

/// Quantiles reported in backlog bands: the fan and the tail beyond it.
pub const BACKLOG_BAND_QUANTILES: [f64; 6] = [0.05, 0.25, 0.50, 0.75, 0.95, 0.99];

/// Statistics of one end use across trials.
#[derive(Debug, Clone, PartialEq)]
pub struct EndUseSummary {
    /// The end use's name.
    pub name: String,
    /// The class of its demand.
    pub class: crate::model::Class,
    /// Units demanded over the horizon (mean across trials).
    pub mean_demand: f64,
    /// Units demanded but not built within the horizon.
    pub units_short: Summary,
    /// Share of the horizon's demand built (`built / demand`).
    pub share_met: Summary,
    /// Periods with some demand unmet, in periods.
    pub short_periods: Summary,
    /// The longest run of consecutive short periods, in periods.
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
    /// Backlogged demand: the largest backlog, in units.
    pub peak_backlog: Summary,
    /// Backlogged demand: the largest backlog, in weeks of normal demand.
    pub peak_backlog_weeks: Summary,
    /// Backlogged demand: unit-periods of backlog.
    pub backlog_unit_periods: Summary,
    /// Backlogged demand, over the trials with a late unit only: the longest delay, in periods. How bad it is when
    /// it happens, which the unconditional quantiles hide when lateness is rare; `None` when no trial had a late
    /// unit.
    pub max_delay_periods_when_late: Option<Summary>,
    /// Backlogged demand, over the trials with a late unit only: the peak backlog, in units.
    pub peak_backlog_when_late: Option<Summary>,
    /// Backlogged demand, over the trials with a late unit only: the peak backlog, in weeks of normal demand.
    pub peak_backlog_weeks_when_late: Option<Summary>,
    /// Share of trials with units still owed at the end of the horizon.
    pub p_owed_at_end: Proportion,
}

/// Statistics of one stage across trials.
#[derive(Debug, Clone, PartialEq)]
pub struct StageSummary {
    /// The stage's name.
    pub name: String,
    /// The stage's region.
    pub region: String,
    /// Throughput the stage wanted to make, could have made at nameplate, and did not, over the horizon (units of
    /// throughput).
    pub throughput_lost: Summary,
    /// Normal throughput over the horizon at the start-of-horizon rate.
    pub normal_throughput: f64,
    /// Mean over trials of the throughput the stage wanted and could have made at nameplate (`Σ min(plan, capacity
    /// before outages)`), of which the throughput lost is a part: `throughput_lost.mean / wanted_throughput` lies in
    /// [0, 1]. Normal throughput does not bound the loss (demand grows, stages restock above their normal rate).
    pub wanted_throughput: f64,
}

/// Statistics of one stockpile across trials.
#[derive(Debug, Clone, PartialEq)]
pub struct StockpileSummary {
    /// The stockpile's name.
    pub name: String,
    /// The lowest level over the horizon, in the material's unit.
    pub min_level: Summary,
    /// The total released over the horizon, in the material's unit.
    pub released: Summary,
    /// Share of trials in which it ran dry (its lowest level reached zero).
    pub p_ran_dry: Proportion,
}

/// Quantile bands of the weekly share of requirement met, for one end use.
#[derive(Debug, Clone, PartialEq)]
pub struct Bands {
    /// The end use's name.
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
    /// The end use's name.
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
    /// The number of trials summarised.
    pub trials: usize,
    /// One per end use, in model order.
    pub end_uses: Vec<EndUseSummary>,
    /// One per stage, in model order.
    pub stages: Vec<StageSummary>,
    /// One per stockpile, in model order.
    pub stockpiles: Vec<StockpileSummary>,
    /// One per end use, in model order (empty when bands were not kept).
    pub bands: Vec<Bands>,
    /// One per backlogged end use, in scenario order (empty when bands were not kept).
    pub backlog_bands: Vec<BacklogBands>,
}

/// A per-trial quantity of one end use, as a [`TrialColumns`] source hands it over: one `f64` per trial, in trial
/// order, in the engine's units (periods, not weeks). A trial without a value (the first short period of a trial
/// that was never short, the recovery of one that never recovered, the mean delay of one with no late unit) reads
/// NaN; the engine never produces NaN otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndUseColumn {
    /// Units demanded over the horizon.
    Demand,
    /// Units demanded but not built within the horizon.
    UnitsShort,
    /// `built / demand`.
    ShareMet,
    /// Periods with some demand unmet.
    ShortPeriods,
    /// The longest run of consecutive short periods.
    LongestShortRun,
    /// The first short period (NaN in a trial never short).
    FirstShortPeriod,
    /// The period after the last short one (NaN in a trial that never recovered).
    RecoveryPeriod,
    /// Lost demand: units never built.
    UnitsLost,
    /// Backlogged demand: units built later than demanded.
    UnitsLate,
    /// Backlogged demand: units still owed at the end of the horizon.
    UnitsOwedAtEnd,
    /// Units short plus units late.
    UnitsShortOrLate,
    /// Backlogged demand: mean delay of a late unit, in periods (NaN in a trial without one).
    MeanDelayPeriods,
    /// Backlogged demand: the longest delay of a unit, in periods.
    MaxDelayPeriods,
    /// Backlogged demand: the largest backlog, in units.
    PeakBacklog,
    /// Backlogged demand: the largest backlog, in weeks of normal demand.
    PeakBacklogWeeks,
    /// Backlogged demand: the backlog summed over periods, in unit-periods.
    BacklogUnitPeriods,
}

impl EndUseColumn {
    /// The values of this column in every trial of `trials`, in trial order (NaN where a trial has none): what
    /// [`EndUseColumn::of`] gives for each trial, read from the per-metric slices.
    pub fn values(self, trials: &EndUseColumns<'_>) -> Vec<f64> {
        let floats = |x: &[f64]| x.to_vec();
        let counts = |x: &[u32]| x.iter().map(|&p| f64::from(p)).collect();
        let periods = |x: &[Option<u32>]| x.iter().map(|p| p.map_or(f64::NAN, f64::from)).collect();
        match self {
            Self::Demand => floats(trials.demand),
            Self::UnitsShort => floats(trials.units_short),
            Self::ShareMet => floats(trials.share_met),
            Self::ShortPeriods => counts(trials.short_periods),
            Self::LongestShortRun => counts(trials.longest_short_run),
            Self::FirstShortPeriod => periods(trials.first_short_period),
            Self::RecoveryPeriod => periods(trials.recovery_period),
            Self::UnitsLost => floats(trials.units_lost),
            Self::UnitsLate => floats(trials.units_late),
            Self::UnitsOwedAtEnd => floats(trials.units_owed_at_end),
            Self::UnitsShortOrLate => trials.units_short_or_late().collect(),
            Self::MeanDelayPeriods => trials.outcomes().map(|o| self.of(&o)).collect(),
            Self::MaxDelayPeriods => counts(trials.max_delay_periods),
            Self::PeakBacklog => floats(trials.peak_backlog),
            Self::PeakBacklogWeeks => floats(trials.peak_backlog_weeks),
            Self::BacklogUnitPeriods => floats(trials.backlog_unit_periods),
        }
    }

    /// The value of this column in one trial's outcome (NaN where it has none).
    pub fn of(self, o: &EndUseOutcome) -> f64 {
        let period = |p: Option<u32>| p.map_or(f64::NAN, f64::from);
        match self {
            Self::Demand => o.demand,
            Self::UnitsShort => o.units_short,
            Self::ShareMet => o.share_met,
            Self::ShortPeriods => f64::from(o.short_periods),
            Self::LongestShortRun => f64::from(o.longest_short_run),
            Self::FirstShortPeriod => period(o.first_short_period),
            Self::RecoveryPeriod => period(o.recovery_period),
            Self::UnitsLost => o.units_lost,
            Self::UnitsLate => o.units_late,
            Self::UnitsOwedAtEnd => o.units_owed_at_end,
            Self::UnitsShortOrLate => o.units_short_or_late(),
            Self::MeanDelayPeriods => o.mean_delay_periods().unwrap_or(f64::NAN),
            Self::MaxDelayPeriods => f64::from(o.max_delay_periods),
            Self::PeakBacklog => o.peak_backlog,
            Self::PeakBacklogWeeks => o.peak_backlog_weeks,
            Self::BacklogUnitPeriods => o.backlog_unit_periods,
        }
    }
}

/// Where a summary reads per-trial values from, one column at a time (every value of one quantity, in trial
/// order): the results of a run in memory ([`ResultsColumns`]), or files written batch by batch and read back,
/// so that a summary of ten million trials holds one or two columns at once rather than every trial's results.
pub trait TrialColumns {
    /// Why a column could not be read (a file's error; never for results in memory).
    type Error;
    /// Values of `column` for end use `e`, one per trial.
    fn end_use(&mut self, e: usize, column: EndUseColumn) -> Result<Vec<f64>, Self::Error>;
    /// Throughput lost at stage `s`, one per trial.
    fn stage_lost(&mut self, s: usize) -> Result<Vec<f64>, Self::Error>;
    /// Throughput stage `s` wanted and could have made at nameplate, one per trial.
    fn stage_wanted(&mut self, s: usize) -> Result<Vec<f64>, Self::Error>;
    /// The lowest level of stockpile `k`, one per trial.
    fn stockpile_min(&mut self, k: usize) -> Result<Vec<f64>, Self::Error>;
    /// The total released by stockpile `k`, one per trial.
    fn stockpile_released(&mut self, k: usize) -> Result<Vec<f64>, Self::Error>;
}

/// The columns of a run's results in memory.
#[derive(Debug, Clone, Copy)]
pub struct ResultsColumns<'a>(pub &'a RunResults);

impl TrialColumns for ResultsColumns<'_> {
    type Error = std::convert::Infallible;

    fn end_use(&mut self, e: usize, column: EndUseColumn) -> Result<Vec<f64>, Self::Error> {
        Ok(column.values(&self.0.end_use(e)))
    }

    fn stage_lost(&mut self, s: usize) -> Result<Vec<f64>, Self::Error> {
        Ok(self.0.stage_lost(s).collect())
    }

    fn stage_wanted(&mut self, s: usize) -> Result<Vec<f64>, Self::Error> {
        Ok(self.0.stage_wanted(s).collect())
    }

    fn stockpile_min(&mut self, k: usize) -> Result<Vec<f64>, Self::Error> {
        Ok(self.0.stockpile_min(k).collect())
    }

    fn stockpile_released(&mut self, k: usize) -> Result<Vec<f64>, Self::Error> {
        Ok(self.0.stockpile_released(k).collect())
    }
}

/// Summarises `results` of `model`. Deterministic: every reduction runs serially in trial order.
pub fn summarize_run(model: &Model, results: &RunResults) -> RunSummary {
    match summarize_trials(model, results.trials, &mut ResultsColumns(results), &BandCounts::of(results)) {
        Ok(summary) => summary,
        Err(never) => match never {},
    }
}

/// The values of `column` that are present (not NaN), in trial order.
fn present(column: Vec<f64>) -> Vec<f64> {
    column.into_iter().filter(|x| !x.is_nan()).collect()
}

/// The summary of `values` if there are any.
fn summary_if_any(mut values: Vec<f64>) -> Option<Summary> {
    (!values.is_empty()).then(|| summarize(&mut values))
}

/// Summarises `trials` trials of `model` whose per-trial values `columns` hands over, and the fan-chart `bands`
/// (none when they were not kept). Every reduction runs serially in trial order over one column (two where a
/// statistic is conditional on another column), so the result depends only on the values and their order: the
/// same for the results in memory and for the same values read back from files.
pub fn summarize_trials<C: TrialColumns>(
    model: &Model,
    trials: usize,
    columns: &mut C,
    bands: &BandCounts,
) -> Result<RunSummary, C::Error> {
    use EndUseColumn as C_;
    let spec = model.spec();
    let n = trials;
    let mut end_uses = Vec::with_capacity(spec.end_uses.len());
    for (e, eu) in spec.end_uses.iter().enumerate() {
        let mut metric = |column: EndUseColumn| -> Result<Summary, C::Error> {
            let mut values = columns.end_use(e, column)?;
            Ok(summarize(&mut values))
        };
        let units_short = metric(C_::UnitsShort)?;
        let share_met = metric(C_::ShareMet)?;
        let longest = metric(C_::LongestShortRun)?;
        let units_lost = metric(C_::UnitsLost)?;
        let units_short_or_late = metric(C_::UnitsShortOrLate)?;
        let mean_delay = summary_if_any(present(columns.end_use(e, C_::MeanDelayPeriods)?));
        let first = summary_if_any(present(columns.end_use(e, C_::FirstShortPeriod)?));
        let mean_demand = columns.end_use(e, C_::Demand)?.iter().sum::<f64>() / n.max(1) as f64;
        // Short, and short at the end (short and never recovered).
        let mut short_periods = columns.end_use(e, C_::ShortPeriods)?;
        let recovery_column = columns.end_use(e, C_::RecoveryPeriod)?;
        let short = short_periods.iter().filter(|&&s| s > 0.0).count();
        let short_at_end = short_periods.iter().zip(&recovery_column).filter(|&(&s, r)| s > 0.0 && r.is_nan()).count();
        let short_periods = summarize(&mut short_periods);
        let recovery = summary_if_any(present(recovery_column));
        // Late units: delivered late within the horizon or still owed at its end.
        let mut units_late = columns.end_use(e, C_::UnitsLate)?;
        let mut owed_at_end = columns.end_use(e, C_::UnitsOwedAtEnd)?;
        let late_total: f64 = units_late.iter().zip(&owed_at_end).map(|(l, o)| l + o).sum();
        let owed = owed_at_end.iter().filter(|&&o| o > 0.0).count();
        let units_late = summarize(&mut units_late);
        let units_owed_at_end = summarize(&mut owed_at_end);
        // The trials with a late unit (some backlog carried), and what happened in them.
        let mut backlog_unit_periods = columns.end_use(e, C_::BacklogUnitPeriods)?;
        let wait_total: f64 = backlog_unit_periods.iter().sum();
        let late: Vec<bool> = backlog_unit_periods.iter().map(|&w| w > 0.0).collect();
        let backlog_unit_periods = summarize(&mut backlog_unit_periods);
        let mut when_late = |column: EndUseColumn| -> Result<(Summary, Option<Summary>), C::Error> {
            let mut values = columns.end_use(e, column)?;
            let among_late = values.iter().zip(&late).filter(|&(_, &l)| l).map(|(&v, _)| v).collect();
            Ok((summarize(&mut values), summary_if_any(among_late)))
        };
        let (max_delay, max_delay_when_late) = when_late(C_::MaxDelayPeriods)?;
        let (peak_backlog, peak_when_late) = when_late(C_::PeakBacklog)?;
        let (peak_backlog_weeks, peak_weeks_when_late) = when_late(C_::PeakBacklogWeeks)?;
        end_uses.push(EndUseSummary {
            name: eu.name.clone(),
            class: eu.class,
            mean_demand,
            units_short,
            share_met,
            short_periods,
            longest_short_run: longest,
            p_any_short: Proportion::new(short, n),
            first_short_period: first,
            recovery_period: recovery,
            p_short_at_end: Proportion::new(short_at_end, short),
            unmet: eu.unmet,
            units_lost,
            units_late,
            units_owed_at_end,
            units_short_or_late,
            mean_delay_periods: mean_delay,
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
    let mut stages = Vec::with_capacity(spec.stages.len());
    for (s, st) in spec.stages.iter().enumerate() {
        let mut lost = columns.stage_lost(s)?;
        stages.push(StageSummary {
            name: st.name.clone(),
            region: st.region.clone(),
            throughput_lost: summarize(&mut lost),
            normal_throughput: model.baseline().activity[s] * spec.periods as f64,
            wanted_throughput: mean(&columns.stage_wanted(s)?),
        });
    }
    let mut stockpiles = Vec::with_capacity(spec.mitigations.stockpiles.len());
    for (k, sp) in spec.mitigations.stockpiles.iter().enumerate() {
        let mut min = columns.stockpile_min(k)?;
        let dry = min.iter().filter(|&&x| x <= 1e-9).count();
        let min_level = summarize(&mut min);
        let mut released = columns.stockpile_released(k)?;
        stockpiles.push(StockpileSummary {
            name: sp.name.clone(),
            min_level,
            released: summarize(&mut released),
            p_ran_dry: Proportion::new(dry, n),
        });
    }
    let (bands, backlog_bands) = summarize_bands(model, bands);
    Ok(RunSummary { trials: n, end_uses, stages, stockpiles, bands, backlog_bands })
}

/// The fan-chart bands of `counts`: quantiles and means per end use and period kept, and the backlog bands of the
/// backlogged end uses (both empty when the counts were not kept).
pub fn summarize_bands(model: &Model, counts: &BandCounts) -> (Vec<Bands>, Vec<BacklogBands>) {
    let spec = model.spec();
    let mut bands = Vec::new();
    if !counts.bands.is_empty() {
        for (e, eu) in spec.end_uses.iter().enumerate() {
            let mut quantiles = Vec::with_capacity(counts.band_periods);
            let mut mean = Vec::with_capacity(counts.band_periods);
            for j in 0..counts.band_periods {
                let h = counts.band(e, j);
                let mut q = [0.0; 5];
                histogram_quantiles(h, &BAND_QUANTILES, &mut q);
                quantiles.push(q);
                let total: u64 = h.iter().map(|&c| u64::from(c)).sum();
                let sum: f64 = (0..SHARE_BINS).map(|b| f64::from(h[b]) * crate::stats::bin_value(b)).sum();
                mean.push(if total > 0 { sum / total as f64 } else { f64::NAN });
            }
            bands.push(Bands { end_use: eu.name.clone(), quantiles, mean, period_stride: counts.band_stride });
        }
    }
    let mut backlog_bands = Vec::new();
    if !counts.backlog_bands.is_empty() {
        for (k, &e) in counts.backlog_end_uses.iter().enumerate() {
            let mut quantiles = Vec::with_capacity(counts.band_periods);
            let mut p_backlog = Vec::with_capacity(counts.band_periods);
            for j in 0..counts.band_periods {
                let h = counts.backlog_band(k, j);
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
                period_stride: counts.band_stride,
            });
        }
    }
    (bands, backlog_bands)
}
