//! The flags of a run of trials (`--trials --seed --threads`, then `--out --quiet --format --wide`), declared once
//! and flattened into every command that runs trials, and the one place that turns them into the engine's
//! `RunConfig`.
//!
//! A command words a flag for itself with clap's `mut_arg` (trials *per variant*, a seed *the same for every
//! scenario*); the studies (`sweep`, `sensitivity`) also default to fewer trials, on purpose, since they run the
//! scenario many times. Those differences are written in the command's own argument struct, next to its other
//! flags.

use std::ops::Range;
use std::path::PathBuf;

use chokepoint_engine::RunConfig;
use clap::Args;

use super::{MAX_THREADS, MAX_TRIALS};
use crate::render::progress::ProgressMode;
use crate::render::table::{ReportFormat, Width};

/// `--trials --seed --threads`: how many trials, from which seed, on how many threads.
#[derive(Debug, Args)]
pub struct RawTrialCount {
    /// Number of trials (at most 100,000,000, and what fits in memory).
    #[arg(long, short = 'n', default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=MAX_TRIALS))]
    pub trials: u64,
    /// Master seed; trial i draws from streams derived from the seed and i alone.
    #[arg(long, short = 's', default_value_t = 1)]
    pub seed: u64,
    /// Worker threads (0: one per available core; at most 1024, and never more than the trials). Results do not
    /// depend on it.
    #[arg(long, short = 'j', default_value_t = 0, value_parser = threads_in_range)]
    pub threads: usize,
}

/// The trial flags and what becomes of a run's outputs: `--out --quiet --format --wide`.
#[derive(Debug, Args)]
pub struct RawTrials {
    #[command(flatten)]
    pub count: RawTrialCount,
    /// Output folder.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Do not show the progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// What to print on stdout when done: a table, or the JSON document written to the output folder.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table, hide_possible_values = true)]
    pub format: ReportFormat,
    /// Show every column of the tables (by default they fit a 100-column terminal).
    #[arg(long)]
    pub wide: bool,
}

impl RawTrials {
    pub fn into_settings(self) -> TrialSettings {
        let RawTrialCount { trials, seed, threads } = self.count;
        TrialSettings {
            trials,
            seed,
            threads: Threads::from_flag(threads, trials),
            out: self.out,
            progress: progress_mode(self.quiet),
            report: self.format,
            width: if self.wide { Width::Wide } else { Width::Narrow },
        }
    }
}

/// The validated trial flags of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrialSettings {
    pub trials: u64,
    pub seed: u64,
    pub threads: Threads,
    /// `None`: a folder under `out/<scenario name>`, known once the scenario is read.
    pub out: Option<PathBuf>,
    pub progress: ProgressMode,
    pub report: ReportFormat,
    pub width: Width,
}

impl TrialSettings {
    /// The engine's settings for all `--trials` trials, without fan-chart bands.
    pub fn run_config(&self) -> RunConfig {
        run_config(0..self.trials, self.seed, self.threads.resolve(), false)
    }

    /// The engine's settings for trials `range` of the `--trials` trials (a shard's), without fan-chart bands.
    pub fn run_config_for(&self, range: Range<u64>) -> RunConfig {
        run_config(range, self.seed, self.threads.resolve(), false)
    }

    /// The engine's settings for `trials` trials on this seed and these threads, without fan-chart bands: the
    /// runs of a study that takes its own trial count (`--world-trials`, `--evppi-trials`).
    pub fn run_config_of(&self, trials: u64) -> RunConfig {
        run_config(0..trials, self.seed, self.threads.resolve(), false)
    }
}

/// The engine's settings for trials `range` (of a larger run when it does not start at 0: a batch or a shard) of
/// `seed` on `threads` worker threads, with the fan-chart band counts when `bands` is set. Every `RunConfig` of
/// the binary is built here.
pub fn run_config(range: Range<u64>, seed: u64, threads: usize, bands: bool) -> RunConfig {
    RunConfig { trials: range.end - range.start, seed, threads, bands, first_trial: range.start }
}

/// The progress shown with or without `--quiet`.
pub fn progress_mode(quiet: bool) -> ProgressMode {
    if quiet { ProgressMode::Hidden } else { ProgressMode::Bar }
}

/// `--threads`: 0 (one per core) up to [`MAX_THREADS`].
pub fn threads_in_range(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n <= MAX_THREADS => Ok(n),
        Ok(n) => Err(format!(
            "{n} threads is more than the {MAX_THREADS} allowed (0 takes one per available core; a run never uses \
             more threads than trials)"
        )),
        Err(_) => Err(format!("`{text}` is not a number of threads")),
    }
}

/// Worker threads of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threads {
    /// One per available core, but no more than `at_most` (the trial count).
    AllCores {
        at_most: usize,
    },
    Exactly(usize),
}

impl Threads {
    /// The value of `--threads` for a run of `trials` trials: 0 is one per available core; never more threads
    /// than trials (a thread without a trial to run would only cost its stack).
    pub(crate) fn from_flag(threads: usize, trials: u64) -> Self {
        let at_most = usize::try_from(trials).unwrap_or(usize::MAX).max(1);
        if threads == 0 { Threads::AllCores { at_most } } else { Threads::Exactly(threads.min(at_most)) }
    }

    /// The number of worker threads this resolves to on this machine.
    pub fn resolve(self) -> usize {
        match self {
            Threads::AllCores { at_most } => std::thread::available_parallelism().map_or(1, |n| n.get()).min(at_most),
            Threads::Exactly(n) => n,
        }
    }
}
