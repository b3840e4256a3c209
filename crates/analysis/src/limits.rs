//! The sizes a run or a study may ask for, shared by the binary and the Python package, so that both refuse the
//! same requests with the same numbers (`docs/cli.md`, "Limits").

/// The most trials a run may ask for. Memory is checked as well, per scenario, once it is read (see
/// `docs/cli.md`): a run streams its per-trial results to files in batches, but its summaries take about 96 bytes
/// a trial (9.6 GB at 10^8 trials, so that a run of 10^8 trials is refused and one of 80 million is not), and a
/// comparison holds every variant's per-trial values.
pub const MAX_TRIALS: u64 = 100_000_000;

/// The most worker threads a run may ask for; a run never uses more threads than it has trials.
pub const MAX_THREADS: usize = 1024;

/// The most base samples of a Sobol design (`sensitivity --samples`): hundreds give usable intervals, and the
/// design runs `N × (k + 3)` single trials, at most [`MAX_TRIALS`] in all.
pub const MAX_SOBOL_SAMPLES: u64 = 1_000_000;

/// The most bootstrap resamples of the Sobol intervals (`sensitivity --bootstrap`): a thousand or two give a
/// percentile interval, and each resample keeps its indices of every parameter.
pub const MAX_BOOTSTRAP: u64 = 10_000;

/// The most outer samples of each parameter of the value of information (`--evppi-samples`): tens give an estimate,
/// and every option's per-trial values are kept at each of them.
pub const MAX_EVPPI_SAMPLES: u64 = 10_000;

/// The most portfolios a search runs (`optimize --exhaustive-limit` and `--max-evaluations`): every portfolio of
/// 16 candidates. Each portfolio evaluated is kept, with its place on the frontier.
pub const MAX_PORTFOLIOS: u64 = 65_536;

/// The most memory the per-trial results of one run may take. A comparison holds them, and the output writers a
/// copy of about the same size, so it needs about twice this at most.
pub const MAX_RESULTS_BYTES: u128 = 8 << 30;

/// Bytes a comparison of `variants` variants (the baseline and each option) of `model` holds per trial: one run's
/// full per-trial results while that run is taken, and what the comparison keeps of every variant's trials (per
/// end use and trial, the metrics it compares). Saturating, so that a caller can refuse a size rather than wrap.
pub fn comparison_bytes_per_trial(model: &chokepoint_engine::Model, variants: usize) -> u128 {
    let kept = crate::outcome::VariantOutcome::bytes(model.spec().end_uses.len(), 1);
    chokepoint_engine::results_bytes(model, 1).saturating_add(kept.saturating_mul(variants as u128))
}
