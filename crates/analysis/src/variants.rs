//! Running variants of one scenario one after the other, on common random numbers, with one progress count.
//!
//! Every variant runs trials `0..N` with the same seed (each on every worker thread), so trial `i` sees the same
//! disruptions in each. Progress reports the trials done over all variants so far.

use chokepoint_engine::{Model, RunConfig, RunError, RunResults};

/// Runs variants with the same settings and one running count of trials for progress.
pub struct VariantRunner<'a> {
    config: RunConfig,
    progress: &'a (dyn Fn(u64) + Sync),
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
        Self { config, progress, done: 0 }
    }

    /// The settings every variant runs with.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// Runs one variant.
    pub fn run(&mut self, model: &Model) -> Result<RunResults, RunError> {
        let offset = self.done;
        let progress = self.progress;
        let results = chokepoint_engine::run(model, &self.config, &|done| progress(offset + done))?;
        self.done += self.config.trials;
        Ok(results)
    }

    /// Runs one variant with another seed (a confirmation on fresh draws), counted in the same progress.
    pub fn run_with_seed(&mut self, model: &Model, seed: u64) -> Result<RunResults, RunError> {
        let offset = self.done;
        let progress = self.progress;
        let config = RunConfig { seed, ..self.config };
        let results = chokepoint_engine::run(model, &config, &|done| progress(offset + done))?;
        self.done += self.config.trials;
        Ok(results)
    }

    /// Trials run so far, over all variants.
    pub fn trials_done(&self) -> u64 {
        self.done
    }
}
