//! Long runs in batches of a bounded number of trials, handed to the caller in trial order.
//!
//! A run of millions of trials cannot keep every trial's results in memory (1,752 bytes a trial for the default
//! scenario). [`run_in_batches`] runs the trials of a [`RunConfig`] batch by batch through [`crate::runner::run`],
//! hands each batch's results to a callback in trial order (to be written out, or reduced), and keeps only the
//! fan-chart histograms, summed ([`BandCounts`]): integer counts, so the sum does not depend on how the trials
//! were cut into batches or shards. Memory is two batches' results (one handed over, being written, while the
//! next runs) and one set of histograms, whatever the number of trials.
//!
//! Batches are aligned to multiples of the batch size in the *global* trial index ([`BatchLayout`]): a part of a
//! run (trials `a..b`, a shard) is cut at the same trial indices as the whole run wherever the two overlap, so
//! per-trial files written batch by batch line up.

use std::ops::Range;

use crate::model::{Model, Unmet};
use crate::runner::{RunConfig, RunError, RunResults, band_stride};
use crate::stats::{BACKLOG_BINS, SHARE_BINS};

/// How trials `first_trial .. first_trial + trials` are cut into batches: at every multiple of `batch_trials` in
/// the global trial index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLayout {
    /// The global index of the first trial.
    pub first_trial: u64,
    /// The number of trials.
    pub trials: u64,
    /// At least 1.
    pub batch_trials: u64,
}

impl BatchLayout {
    /// The layout of trials `first_trial .. first_trial + trials` in batches of `batch_trials` (at least 1).
    pub fn new(first_trial: u64, trials: u64, batch_trials: u64) -> Self {
        Self { first_trial, trials, batch_trials: batch_trials.max(1) }
    }

    /// One past the last trial.
    pub fn end(&self) -> u64 {
        self.first_trial.saturating_add(self.trials)
    }

    /// The batches, as global trial ranges, in order: the first and the last may be shorter than `batch_trials`,
    /// every other one starts at a multiple of it.
    pub fn batches(&self) -> impl Iterator<Item = Range<u64>> + '_ {
        let (end, size) = (self.end(), self.batch_trials);
        let mut start = self.first_trial;
        std::iter::from_fn(move || {
            (start < end).then(|| {
                let next = (start / size).saturating_add(1).saturating_mul(size).min(end);
                let batch = start..next;
                start = next;
                batch
            })
        })
    }
}

/// Fan-chart histogram counts of a run, or of any part of one: per (end use, period kept) a histogram of the
/// weekly share of requirement met, and per (backlogged end use, period kept) one of the backlog in weeks of
/// normal demand. Counts are integers, summed over parts in any order with the same result. A run of more than
/// `u32::MAX` trials would overflow them; callers keep runs below that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BandCounts {
    /// The number of end uses.
    pub n_end_uses: usize,
    /// Periods between two periods kept (see [`band_stride`]).
    pub band_stride: usize,
    /// Periods kept: `0, band_stride, 2 band_stride, ...` below the horizon.
    pub band_periods: usize,
    /// `bands[(e * band_periods + j) * SHARE_BINS + bin]`; empty when bands are not kept.
    pub bands: Vec<u32>,
    /// The backlogged end uses, in scenario order.
    pub backlog_end_uses: Vec<usize>,
    /// `backlog_bands[(k * band_periods + j) * BACKLOG_BINS + bin]` for the `k`-th backlogged end use; empty when
    /// bands are not kept.
    pub backlog_bands: Vec<u32>,
}

impl BandCounts {
    /// No trial counted yet: zeros when `kept`, no histogram at all otherwise.
    pub fn zero(model: &Model, kept: bool) -> Self {
        let spec = model.spec();
        let (ne, periods) = (spec.end_uses.len(), spec.periods);
        let stride = band_stride(ne, periods);
        let band_periods = periods.div_ceil(stride);
        let backlog_end_uses: Vec<usize> =
            spec.end_uses.iter().enumerate().filter(|(_, e)| e.unmet == Unmet::Backlog).map(|(e, _)| e).collect();
        let (cells, backlog_cells) =
            if kept { (ne * band_periods, backlog_end_uses.len() * band_periods) } else { (0, 0) };
        Self {
            n_end_uses: ne,
            band_stride: stride,
            band_periods,
            bands: vec![0; cells * SHARE_BINS],
            backlog_end_uses,
            backlog_bands: vec![0; backlog_cells * BACKLOG_BINS],
        }
    }

    /// The counts of one run's results.
    pub fn of(results: &RunResults) -> Self {
        Self {
            n_end_uses: results.n_end_uses,
            band_stride: results.band_stride,
            band_periods: results.band_periods,
            bands: results.bands.clone(),
            backlog_end_uses: results.backlog_end_uses.clone(),
            backlog_bands: results.backlog_bands.clone(),
        }
    }

    /// Whether histograms are kept.
    pub fn kept(&self) -> bool {
        !self.bands.is_empty()
    }

    /// Adds `results`' counts (which must come from the same model, with bands kept alike).
    pub fn add_results(&mut self, results: &RunResults) {
        add_counts(&mut self.bands, &results.bands);
        add_counts(&mut self.backlog_bands, &results.backlog_bands);
    }

    /// Adds another part's counts (of the same model, with bands kept alike).
    pub fn add(&mut self, other: &BandCounts) {
        add_counts(&mut self.bands, &other.bands);
        add_counts(&mut self.backlog_bands, &other.backlog_bands);
    }

    /// Histogram of end use `e` in the `j`-th period kept (period `j * band_stride`).
    pub fn band(&self, e: usize, j: usize) -> &[u32] {
        let start = (e * self.band_periods + j) * SHARE_BINS;
        &self.bands[start..start + SHARE_BINS]
    }

    /// Histogram of the backlog of the `k`-th backlogged end use in the `j`-th period kept.
    pub fn backlog_band(&self, k: usize, j: usize) -> &[u32] {
        let start = (k * self.band_periods + j) * BACKLOG_BINS;
        &self.backlog_bands[start..start + BACKLOG_BINS]
    }
}

fn add_counts(total: &mut [u32], part: &[u32]) {
    debug_assert_eq!(total.len(), part.len(), "band counts of different shapes");
    for (t, p) in total.iter_mut().zip(part) {
        *t += p;
    }
}

/// Runs trials `config.first_trial .. config.first_trial + config.trials` of `model` in the batches of
/// [`BatchLayout`] (`batch_trials` trials at most, aligned to multiples of it), and hands each batch's results to
/// `on_batch` in trial order, with the global index of its first trial. Returns the fan-chart counts of every
/// trial (with `config.bands`; empty otherwise). `progress` receives the number of trials done so far in this call.
/// Stops at the first error, of the engine or of `on_batch` (an error of `on_batch` is returned once the batch
/// running beside it has finished).
///
/// `on_batch` runs on a thread of its own while the engine runs the next batch, so that writing a batch out does
/// not leave the engine's threads idle: memory is then two batches' results, the one handed over and the one
/// running. The calls are still one at a time and in trial order, and the last one is made on the caller's thread.
pub fn run_in_batches<E: From<RunError> + Send>(
    model: &Model,
    config: &RunConfig,
    batch_trials: u64,
    progress: &(dyn Fn(u64) + Sync),
    mut on_batch: impl FnMut(u64, &RunResults) -> Result<(), E> + Send,
) -> Result<BandCounts, E> {
    if config.first_trial.checked_add(config.trials).is_none() {
        return Err(RunError::TrialIndexOverflow { first_trial: config.first_trial, trials: config.trials }.into());
    }
    let mut counts = BandCounts::zero(model, config.bands);
    let layout = BatchLayout::new(config.first_trial, config.trials, batch_trials);
    std::thread::scope(|scope| {
        // The callback, lent to the thread that takes a batch and given back with its answer.
        let mut callback = Some(&mut on_batch);
        let mut ready: Option<(u64, RunResults)> = None;
        let mut done = 0u64;
        for batch in layout.batches() {
            let handed_over = match (ready.take(), callback.take()) {
                (Some((first, results)), Some(on_batch)) => Some(scope.spawn(move || {
                    let answer = on_batch(first, &results);
                    (on_batch, answer)
                })),
                (_, lent) => {
                    callback = lent;
                    None
                }
            };
            let part = RunConfig { trials: batch.end - batch.start, first_trial: batch.start, ..*config };
            let results = crate::runner::run(model, &part, &|n| progress(done + n));
            if let Some(handle) = handed_over {
                // A panic of `on_batch` goes on unwinding here, as it would have without the thread.
                let (on_batch, answer) = handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                callback = Some(on_batch);
                answer?;
            }
            let results = results?;
            counts.add_results(&results);
            done += part.trials;
            ready = Some((batch.start, results));
        }
        match (ready, callback) {
            (Some((first, results)), Some(on_batch)) => on_batch(first, &results),
            _ => Ok(()),
        }
    })?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_aligned_to_the_global_index() {
        let cut = |first, trials, size| BatchLayout::new(first, trials, size).batches().collect::<Vec<_>>();
        assert_eq!(cut(0, 10, 4), [0..4, 4..8, 8..10]);
        assert_eq!(cut(5, 10, 4), [5..8, 8..12, 12..15]);
        assert_eq!(cut(8, 4, 4), vec![8..12]);
        assert_eq!(cut(3, 1, 4), vec![3..4]);
        assert!(cut(3, 0, 4).is_empty());
        assert_eq!(cut(0, 3, 0), [0..1, 1..2, 2..3], "a batch holds one trial at least");
        assert_eq!(cut(u64::MAX - 2, 2, 1 << 20), vec![u64::MAX - 2..u64::MAX]);
    }
}
