//! The parallel runner: trials in fixed-size chunks on a rayon pool, results in trial order.
//!
//! Trial `i` depends only on the model, the seed and `i`, so it gives the same numbers on any worker and in any
//! lockstep group (a worker advances [`LANES`] trials of its chunk together; see `trial.rs`), and in any run that
//! includes it (`RunConfig::first_trial` places a run's trials in a larger one).
//! Per-trial outcomes are written into their own slots of a preallocated array; fan-chart histograms are
//! integer counts, merged by addition (associative and commutative, hence independent of scheduling); every
//! floating-point reduction runs serially over the ordered array afterwards. Output is bit-identical for any
//! thread count.

use std::ops::ControlFlow;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rayon::prelude::*;

use crate::model::Model;
use crate::model::Unmet;
use crate::outcome::{EndUseColumns, EndUseMetrics, EndUseOutcome};
use crate::stats::{BACKLOG_BINS, SHARE_BINS, backlog_bin, share_bin_below_one};
use crate::trial::{Lockstep, simulate_lanes};

/// Trials per work unit.
pub const CHUNK: usize = 64;

/// Trials a worker advances together in lockstep. Eight pay the plan's bookkeeping once for more trials than
/// four did (6.8 % fewer instructions per trial on the default scenario, about 7 % less CPU time); sixteen
/// counted more instructions again than eight (docs/performance.md, third pass).
pub const LANES: usize = 8;

/// The most (end use, period) cells the fan-chart histograms keep. Each cell holds [`SHARE_BINS`] counts in every
/// histogram, so a long horizon (the format allows 100,000 weeks) would otherwise cost gigabytes whatever the
/// trial count. Beyond this many cells the bands keep every `stride`-th period only ([`band_stride`]); the
/// default scenario (13 end uses, 156 weeks, 2,028 cells) keeps every period.
pub const MAX_BAND_CELLS: usize = 8192;

/// The most histograms kept at once: workers beyond this share them (under their mutex), so that the memory of
/// the bands does not grow with `--threads`. The counts, being integer sums, do not depend on the sharing.
pub const MAX_HISTOGRAMS: usize = 16;

/// Periods between two periods kept in the fan-chart bands of a model with `end_uses` end uses and `periods`
/// periods: 1, unless every period would need more than [`MAX_BAND_CELLS`] cells.
pub fn band_stride(end_uses: usize, periods: usize) -> usize {
    let cells = end_uses.max(1) * periods;
    cells.div_ceil(MAX_BAND_CELLS).max(1)
}

/// Bytes the per-trial results of `trials` trials of `model` take (outcomes per end use, losses per stage, levels
/// per stockpile): what a run holds in memory at least, whatever its thread count. Callers refuse trial counts
/// whose results would not fit before any trial runs. An end use's outcome counts as the size of an
/// [`EndUseOutcome`] (112 bytes), which covers its 108 bytes in the per-metric arrays of [`EndUseMetrics`] and the
/// runner's slots for them while it runs (15 slices per end use and chunk of [`CHUNK`] trials, under 4 bytes a
/// trial).
pub fn results_bytes(model: &Model, trials: u64) -> u128 {
    let spec = &model.spec;
    let per_trial = spec.end_uses.len().max(1) * std::mem::size_of::<EndUseOutcome>()
        + spec.stages.len().max(1) * std::mem::size_of::<f64>()
        + (2 * spec.mitigations.stockpiles.len()).max(1) * std::mem::size_of::<f64>();
    u128::from(trials) * per_trial as u128
}

/// How to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunConfig {
    /// The number of trials to run.
    pub trials: u64,
    /// The seed every random stream of every trial derives from.
    pub seed: u64,
    /// Worker threads; 0 means one per available core.
    pub threads: usize,
    /// Keep fan-chart histograms (memory: at most [`MAX_BAND_CELLS`] x 1,001 counts per histogram, and at most
    /// [`MAX_HISTOGRAMS`] histograms).
    pub bands: bool,
    /// The global index of the first trial: the run is trials `first_trial .. first_trial + trials` of a larger
    /// run (a batch or a shard of it). Trial `i` gives the same numbers whichever run it is part of.
    pub first_trial: u64,
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The worker threads could not be started.
    #[error("could not start {threads} worker threads: {message}")]
    ThreadPool {
        /// The number of threads asked for (0: one per core).
        threads: usize,
        /// Why not, as the thread pool says.
        message: String,
    },
    /// The trial count does not fit the platform's address space.
    #[error("{trials} trials do not fit in memory on this platform")]
    TooManyTrials {
        /// The number of trials asked for.
        trials: u64,
    },
    /// The progress callback of [`run_cancellable`] asked to stop.
    #[error("the run was cancelled after {done} of {trials} trials")]
    Cancelled {
        /// Trials finished when the run stopped.
        done: u64,
        /// Trials asked for.
        trials: u64,
    },
    /// The run's trial indices go past `u64::MAX`.
    #[error("trials {first_trial}.. and {trials} more go past the last trial index")]
    TrialIndexOverflow {
        /// The global index of the first trial.
        first_trial: u64,
        /// The number of trials asked for.
        trials: u64,
    },
}

/// One worker's fan-chart counts.
#[derive(Debug, Default)]
struct Hist {
    ones: Vec<u32>,
    partial: Vec<u32>,
    /// Backlogged end uses: counts of periods with no backlog, and a histogram of the rest.
    backlog_zeros: Vec<u32>,
    backlog_partial: Vec<u32>,
}

impl Hist {
    /// Counts one trial: every `stride`-th period (`band_periods` of them) of each end use's share of its requirement
    /// (`shares`, `e * t_len + t`), and of the backlog of each of `backlog_end_uses` (`backlogs`, the same layout).
    /// End use by end use, each over the slices of its own cells, which it walks in step with its periods rather
    /// than computing an index, checked against the whole histogram, for every count.
    fn count_trial(&mut self, shares: &[f32], backlogs: &[f32], backlog_end_uses: &[usize], layout: BandLayout) {
        let BandLayout { t_len, stride, band_periods } = layout;
        if t_len == 0 {
            return;
        }
        for (e, series) in shares.chunks_exact(t_len).enumerate() {
            let (ones, partial) = row_of_cells(&mut self.ones, &mut self.partial, e, band_periods, SHARE_BINS - 1);
            // Met in full in `ones`, the rest by share.
            let bin = |x: f32| if x >= 1.0 { 0 } else { share_bin_below_one(x) + 1 };
            count_series(series, stride, ones, partial, SHARE_BINS - 1, bin);
        }
        for (b, &e) in backlog_end_uses.iter().enumerate() {
            let series = &backlogs[e * t_len..(e + 1) * t_len];
            let (zeros, partial) =
                row_of_cells(&mut self.backlog_zeros, &mut self.backlog_partial, b, band_periods, BACKLOG_BINS - 1);
            // No backlog in `zeros`, the rest by weeks.
            count_series(series, stride, zeros, partial, BACKLOG_BINS - 1, backlog_bin);
        }
    }
}

/// Row `row` (an end use) of a histogram's cells, `band_periods` of them: one counter a cell in `first`, `bins` in
/// `rest`.
fn row_of_cells<'a>(
    first: &'a mut [u32],
    rest: &'a mut [u32],
    row: usize,
    band_periods: usize,
    bins: usize,
) -> (&'a mut [u32], &'a mut [u32]) {
    let cells = row * band_periods..(row + 1) * band_periods;
    (&mut first[cells.clone()], &mut rest[cells.start * bins..cells.end * bins])
}

/// Counts every `stride`-th period of `series` into its cell: in `first` where `bin` gives 0, otherwise in bin
/// `bin - 1` of the cell's `bins` in `rest`. Every period without `step_by` when every one is kept: its iterator
/// cost more than the counting.
#[inline(always)]
fn count_series(
    series: &[f32],
    stride: usize,
    first: &mut [u32],
    rest: &mut [u32],
    bins: usize,
    bin: impl Fn(f32) -> usize,
) {
    if stride == 1 {
        count_kept(series.iter(), first, rest, bins, bin);
    } else {
        count_kept(series.iter().step_by(stride), first, rest, bins, bin);
    }
}

/// [`count_series`] over the periods kept.
#[inline(always)]
fn count_kept<'a>(
    kept: impl Iterator<Item = &'a f32>,
    first: &mut [u32],
    rest: &mut [u32],
    bins: usize,
    bin: impl Fn(f32) -> usize,
) {
    for ((&x, first), rest) in kept.zip(first).zip(rest.chunks_exact_mut(bins)) {
        match bin(x) {
            0 => *first += 1,
            b => rest[b - 1] += 1,
        }
    }
}

/// Which periods the fan-chart histograms count: every `stride`-th of `t_len`, `band_periods` of them.
#[derive(Debug, Clone, Copy)]
struct BandLayout {
    t_len: usize,
    stride: usize,
    band_periods: usize,
}

/// Everything a run produced, in trial order.
#[derive(Debug, Clone)]
pub struct RunResults {
    /// The number of trials.
    pub trials: usize,
    /// The number of end uses.
    pub n_end_uses: usize,
    /// The number of stages.
    pub n_stages: usize,
    /// The number of periods simulated (the horizon, in periods).
    pub periods: usize,
    /// The end uses' results, one array per metric, end use by end use ([`EndUseMetrics::end_use`]).
    pub end_uses: EndUseMetrics,
    /// `stage_throughput_lost[trial * n_stages + s]`: throughput each stage wanted to make, could have made at
    /// nameplate, and did not.
    pub stage_throughput_lost: Vec<f64>,
    /// `stage_throughput_wanted[trial * n_stages + s]`: what the lost throughput is a part of.
    pub stage_throughput_wanted: Vec<f64>,
    /// The number of stockpiles.
    pub n_stockpiles: usize,
    /// `stockpile_min[trial * n_stockpiles + k]`: the lowest level of each stockpile.
    pub stockpile_min: Vec<f64>,
    /// `stockpile_released[trial * n_stockpiles + k]`: the total each stockpile released.
    pub stockpile_released: Vec<f64>,
    /// Histogram counts of the weekly share of requirement met in period `j * band_stride`:
    /// `bands[(e * band_periods + j) * SHARE_BINS + bin]`. Empty when bands were not requested.
    pub bands: Vec<u32>,
    /// The backlogged end uses, in scenario order.
    pub backlog_end_uses: Vec<usize>,
    /// Histogram counts of the backlog in weeks of normal demand, for the `k`-th backlogged end use in period
    /// `j * band_stride`: `backlog_bands[(k * band_periods + j) * BACKLOG_BINS + bin]`. Empty when bands were not
    /// requested.
    pub backlog_bands: Vec<u32>,
    /// Periods between two periods kept in `bands` (1 unless the horizon is very long, see [`band_stride`]).
    pub band_stride: usize,
    /// Periods kept in `bands`: `0, band_stride, 2 band_stride, ...` below `periods`.
    pub band_periods: usize,
}

/// Column `i` of a trial-major array of `width` values a trial: one value per trial, in trial order (empty for a
/// run of no trials).
fn column(values: &[f64], i: usize, width: usize, trials: usize) -> impl ExactSizeIterator<Item = f64> + '_ {
    values.get(i..).unwrap_or_default().iter().step_by(width.max(1)).take(trials).copied()
}

impl RunResults {
    /// The results of end use `e`: one slice per metric, one entry per trial in trial order.
    pub fn end_use(&self, e: usize) -> EndUseColumns<'_> {
        self.end_uses.end_use(e)
    }

    /// Throughput lost at stage `s`, one per trial, in trial order.
    pub fn stage_lost(&self, s: usize) -> impl ExactSizeIterator<Item = f64> + '_ {
        column(&self.stage_throughput_lost, s, self.n_stages, self.trials)
    }

    /// Throughput stage `s` wanted and could have made at nameplate, one per trial, in trial order.
    pub fn stage_wanted(&self, s: usize) -> impl ExactSizeIterator<Item = f64> + '_ {
        column(&self.stage_throughput_wanted, s, self.n_stages, self.trials)
    }

    /// Lowest level of stockpile `k`, one per trial, in trial order.
    pub fn stockpile_min(&self, k: usize) -> impl ExactSizeIterator<Item = f64> + '_ {
        column(&self.stockpile_min, k, self.n_stockpiles, self.trials)
    }

    /// Total released by stockpile `k`, one per trial, in trial order.
    pub fn stockpile_released(&self, k: usize) -> impl ExactSizeIterator<Item = f64> + '_ {
        column(&self.stockpile_released, k, self.n_stockpiles, self.trials)
    }

    /// Histogram of end use `e` in the `j`-th period kept (period `j * band_stride`).
    pub fn band(&self, e: usize, j: usize) -> &[u32] {
        let start = (e * self.band_periods + j) * SHARE_BINS;
        &self.bands[start..start + SHARE_BINS]
    }

    /// Histogram of the backlog of the `k`-th backlogged end use in the `j`-th period kept (period
    /// `j * band_stride`).
    pub fn backlog_band(&self, k: usize, j: usize) -> &[u32] {
        let start = (k * self.band_periods + j) * BACKLOG_BINS;
        &self.backlog_bands[start..start + BACKLOG_BINS]
    }
}

/// Runs `config.trials` trials of `model`. `progress` is called from worker threads with the number of
/// trials done so far (not necessarily in increasing order across threads). Never [`RunError::Cancelled`].
pub fn run(model: &Model, config: &RunConfig, progress: &(dyn Fn(u64) + Sync)) -> Result<RunResults, RunError> {
    run_cancellable(model, config, &|done| {
        progress(done);
        ControlFlow::Continue(())
    })
}

/// [`run`], with a progress callback that can stop the run: once it returns [`ControlFlow::Break`], no further
/// chunk of trials starts (those under way finish) and the run returns [`RunError::Cancelled`]. It is called once
/// per chunk of [`CHUNK`] trials, from worker threads, with the number of trials done so far.
pub fn run_cancellable(
    model: &Model,
    config: &RunConfig,
    progress: &(dyn Fn(u64) -> ControlFlow<()> + Sync),
) -> Result<RunResults, RunError> {
    let trials = usize::try_from(config.trials).map_err(|_| RunError::TooManyTrials { trials: config.trials })?;
    if config.first_trial.checked_add(config.trials).is_none() {
        return Err(RunError::TrialIndexOverflow { first_trial: config.first_trial, trials: config.trials });
    }
    let (ne, ns, t_len) = (model.spec.end_uses.len(), model.spec.stages.len(), model.spec.periods);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads)
        .build()
        .map_err(|e| RunError::ThreadPool { threads: config.threads, message: e.to_string() })?;
    let workers = pool.current_num_threads();
    // Per worker (up to MAX_HISTOGRAMS, shared beyond): counts of exactly-met periods (`ones`, small enough to
    // stay in cache, and by far the most common value) and a histogram of the rest, for every `stride`-th period.
    // Merged into one histogram per (end use, period kept) at the end.
    let stride = band_stride(ne, t_len);
    let band_periods = t_len.div_ceil(stride);
    let layout = BandLayout { t_len, stride, band_periods };
    let cells = if config.bands { ne * band_periods } else { 0 };
    let backlog_end_uses: Vec<usize> =
        model.spec.end_uses.iter().enumerate().filter(|(_, e)| e.unmet == Unmet::Backlog).map(|(e, _)| e).collect();
    let backlog_cells = if config.bands { backlog_end_uses.len() * band_periods } else { 0 };
    let slots = workers.clamp(1, MAX_HISTOGRAMS);
    let hists: Vec<Mutex<Hist>> = (0..slots).map(|_| Mutex::new(Hist::default())).collect();
    let nsp = model.spec.mitigations.stockpiles.len();
    // Every per-trial array has at least one slot per trial, so that all of them split into the same number
    // of chunks and can be zipped (a scenario without stages or stockpiles pads with one unused value).
    // The end uses' arrays come as slots of one chunk each, one per chunk like the chunks of the other arrays.
    let (ws, wp) = ((2 * ns).max(1), (2 * nsp).max(1));
    let mut end_uses = EndUseMetrics::zeroed(ne, trials);
    let end_use_slots = end_uses.chunks_mut(CHUNK);
    let mut lost = vec![0.0; trials * ws];
    let mut stockpiles = vec![0.0; trials * wp];
    let done = AtomicU64::new(0);
    let cancelled = AtomicBool::new(false);
    pool.install(|| {
        end_use_slots
            .into_par_iter()
            .zip(lost.par_chunks_mut(CHUNK * ws))
            .zip(stockpiles.par_chunks_mut(CHUNK * wp))
            .enumerate()
            .for_each_init(
                || Box::new(Lockstep::<LANES>::new(model)),
                |group, (chunk, ((mut eu, sl), sp))| {
                    if cancelled.load(Ordering::Relaxed) {
                        return;
                    }
                    let first = chunk * CHUNK;
                    let n = sl.len() / ws;
                    let slot = rayon::current_thread_index().unwrap_or(0) % slots;
                    // Held for the chunk when every worker has its own histogram; taken per group when shared.
                    let shared = workers > slots;
                    let lock = || hists[slot].lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    let mut held = (!shared).then(lock);
                    for start in (0..n).step_by(LANES) {
                        // A short last group repeats its last trial in the spare lanes and ignores them.
                        let lanes = (n - start).min(LANES);
                        let trials =
                            std::array::from_fn(|k| config.first_trial + (first + start + k.min(lanes - 1)) as u64);
                        simulate_lanes(model, config.seed, trials, group);
                        for lane in 0..lanes {
                            let k = start + lane;
                            let out = group.outcome(lane);
                            for (slots, outcome) in eu.iter_mut().zip(&out.end_uses) {
                                slots.set(k, outcome);
                            }
                            sl[k * ws..k * ws + ns].copy_from_slice(&out.stage_throughput_lost);
                            sl[k * ws + ns..k * ws + 2 * ns].copy_from_slice(&out.stage_throughput_wanted);
                            sp[k * wp..k * wp + nsp].copy_from_slice(&out.stockpile_min);
                            sp[k * wp + nsp..k * wp + 2 * nsp].copy_from_slice(&out.stockpile_released);
                        }
                        if !config.bands {
                            continue;
                        }
                        let mut taken;
                        let h = match held.as_mut() {
                            Some(h) => &mut **h,
                            None => {
                                taken = lock();
                                &mut *taken
                            }
                        };
                        if h.ones.len() != cells {
                            // Fresh zeroed allocations rather than `resize`: the allocator takes large zeroed
                            // blocks from the system without writing them (about 6 MB on the default scenario,
                            // most of whose bins no trial ever touches), where `resize` writes every count.
                            *h = Hist {
                                ones: vec![0; cells],
                                partial: vec![0; cells * (SHARE_BINS - 1)],
                                backlog_zeros: vec![0; backlog_cells],
                                backlog_partial: vec![0; backlog_cells * (BACKLOG_BINS - 1)],
                            };
                        }
                        for lane in 0..lanes {
                            let (shares, backlogs) = (group.share_series(lane), group.backlog_series(lane));
                            h.count_trial(shares, backlogs, &backlog_end_uses, layout);
                        }
                    }
                    drop(held);
                    if progress(done.fetch_add(n as u64, Ordering::Relaxed) + n as u64).is_break() {
                        cancelled.store(true, Ordering::Relaxed);
                    }
                },
            );
    });
    if cancelled.load(Ordering::Relaxed) {
        return Err(RunError::Cancelled { done: done.load(Ordering::Relaxed), trials: config.trials });
    }
    // Drop the padding.
    let stage_throughput_wanted = lost.chunks_exact(ws).flat_map(|row| row[ns..2 * ns].iter().copied()).collect();
    let lost = lost.chunks_exact(ws).flat_map(|row| row[..ns].iter().copied()).collect();
    let stockpile_min = stockpiles.chunks_exact(wp).flat_map(|row| row[..nsp].iter().copied()).collect();
    let stockpile_released = stockpiles.chunks_exact(wp).flat_map(|row| row[nsp..2 * nsp].iter().copied()).collect();
    drop(stockpiles);
    let mut bands = vec![0u32; cells * SHARE_BINS];
    let mut backlog_bands = vec![0u32; backlog_cells * BACKLOG_BINS];
    for h in hists {
        let h = h.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        if h.ones.is_empty() {
            continue;
        }
        for (cell, row) in bands.chunks_exact_mut(SHARE_BINS).enumerate() {
            let partial = &h.partial[cell * (SHARE_BINS - 1)..(cell + 1) * (SHARE_BINS - 1)];
            for (b, x) in row.iter_mut().zip(partial) {
                *b += x;
            }
            row[SHARE_BINS - 1] += h.ones[cell];
        }
        for (cell, row) in backlog_bands.chunks_exact_mut(BACKLOG_BINS).enumerate() {
            row[0] += h.backlog_zeros[cell];
            let partial = &h.backlog_partial[cell * (BACKLOG_BINS - 1)..(cell + 1) * (BACKLOG_BINS - 1)];
            for (b, x) in row[1..].iter_mut().zip(partial) {
                *b += x;
            }
        }
    }
    Ok(RunResults {
        trials,
        n_end_uses: ne,
        n_stages: ns,
        periods: t_len,
        end_uses,
        stage_throughput_lost: lost,
        stage_throughput_wanted,
        n_stockpiles: nsp,
        stockpile_min,
        stockpile_released,
        bands,
        backlog_end_uses,
        backlog_bands,
        band_stride: stride,
        band_periods,
    })
}
