//! Running variants of one scenario one after the other, on common random numbers, with one progress count.
//!
//! Every variant runs trials `0..N` with the same seed (each on every worker thread), so trial `i` sees the same
//! disruptions in each. Progress reports the trials done over all variants so far; a cancellable progress
//! callback stops the variant under way, and with it the analysis ([`RunError::Cancelled`]).

use std::ops::ControlFlow;

use chokepoint_engine::{Model, RunConfig, RunError, RunResults};

/// What receives the running count of trials.
#[derive(Clone, Copy)]
enum Progress<'a> {
    Report(&'a (dyn Fn(u64) + Sync)),
    Cancellable(&'a (dyn Fn(u64) -> ControlFlow<()> + Sync)),
}

impl Progress<'_> {
    fn record(self, done: u64) -> ControlFlow<()> {
        match self {
            Progress::Report(f) => {
                f(done);
                ControlFlow::Continue(())
            }
            Progress::Cancellable(f) => f(done),
        }
    }
}

/// Runs variants with the same settings and one running count of trials for progress.
pub struct VariantRunner<'a> {
    config: RunConfig,
    progress: Progress<'a>,
    done: u64,
}

impl std::fmt::Debug for VariantRunner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VariantRunner").field("config", &self.config).field("done", &self.done).finish()
    }
}

impl<'a> VariantRunner<'a> {
    /// A runner of `config.trials` trials per variant; `progress` receives the trials done over all variants.
    pub fn new(config: RunConfig, progress: &'a (dyn Fn(u64) + Sync)) -> Self {
        Self { config, progress: Progress::Report(progress), done: 0 }
    }

    /// A runner whose `progress` can stop it: once it returns [`ControlFlow::Break`], the variant under way stops
    /// with [`RunError::Cancelled`] (see `chokepoint_engine::run_cancellable`).
    pub fn cancellable(config: RunConfig, progress: &'a (dyn Fn(u64) -> ControlFlow<()> + Sync)) -> Self {
        Self { config, progress: Progress::Cancellable(progress), done: 0 }
    }

    /// The settings every variant runs with.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// Runs one variant.
    pub fn run(&mut self, model: &Model) -> Result<RunResults, RunError> {
        self.run_with_seed(model, self.config.seed)
    }

    /// Runs one variant with another seed (a confirmation on fresh draws), counted in the same progress.
    pub fn run_with_seed(&mut self, model: &Model, seed: u64) -> Result<RunResults, RunError> {
        let offset = self.done;
        let progress = self.progress;
        let config = RunConfig { seed, ..self.config };
        let results = chokepoint_engine::run_cancellable(model, &config, &|done| progress.record(offset + done))?;
        self.done += self.config.trials;
        Ok(results)
    }

    /// Trials run so far, over all variants.
    pub fn trials_done(&self) -> u64 {
        self.done
    }
}
