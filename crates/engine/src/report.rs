//! Summaries of a run: per end use and per stage statistics across trials, and fan-chart bands.

use crate::model::Model;
use crate::runner::RunResults;
use crate::stats::{Proportion, SHARE_BINS, Summary, histogram_quantiles, summarize};

/// Quantiles reported in fan-chart bands.
pub const BAND_QUANTILES: [f64; 5] = [0.05, 0.25, 0.50, 0.75, 0.95];

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

/// Everything a run reports across trials.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    pub trials: usize,
    pub end_uses: Vec<EndUseSummary>,
    pub stages: Vec<StageSummary>,
    pub stockpiles: Vec<StockpileSummary>,
    pub bands: Vec<Bands>,
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
    RunSummary { trials: n, end_uses, stages, stockpiles, bands }
}
