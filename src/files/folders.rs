//! Output folders named after a scenario (and removed again when a run that created one fails), and the memory a
//! run needs: checks made before anything is written or any trial runs.

use std::path::{Path, PathBuf};

use anyhow::Context;
use chokepoint_engine::Model;

/// `parent/name`, the output folder of scenario `name`. The scenario crate accepts only snake_case names of at
/// most 100 characters; this refuses anything else again, as a second line of defence (a name with a separator,
/// `..` or an absolute path would make a run write outside `parent`).
pub fn scenario_folder(parent: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let plain = name.len() <= 100
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    anyhow::ensure!(plain, "the scenario name `{}` cannot name an output folder", name.escape_debug());
    Ok(parent.join(name))
}

/// The most memory the per-trial results of one run may take. A comparison holds them, and the output writers a
/// copy of about the same size, so it needs about twice this at most.
pub const MAX_RESULTS_BYTES: u128 = 8 << 30;

/// Bytes per trial of the memory a streamed run takes while it summarises, measured rather than counted: the
/// columns held at once come to about 30 bytes a trial (up to three columns of `f64` and a flag), but resident
/// memory in that phase grew by 82 to 89 bytes a trial between runs of 1, 3 and 10 million trials of the default
/// scenario with glibc's malloc, which kept freed memory in its arenas; with jemalloc, 10 million trials peaked at
/// 719 MiB resident while summarising, 75 bytes a trial (`/usr/bin/time -v` and `/proc/PID/status` sampled every
/// 0.5 to 2 s, docs/performance.md, "Memory"). Kept at the glibc figure, rounded up, for builds on the system
/// allocator.
pub const SUMMARY_BYTES_PER_TRIAL: u128 = 96;

/// Refuses, before any trial runs, a run of `run_trials` trials streamed in batches of `batch_trials` trials whose
/// results held at once (two batches while one is written and the next runs, or the whole run when it is shorter)
/// and whose summaries of `trials` trials (0 for a shard, which has none) would not fit in [`MAX_RESULTS_BYTES`],
/// naming the flag to change.
pub fn check_streamed_memory(model: &Model, trials: u64, batch_trials: u64, run_trials: u64) -> anyhow::Result<()> {
    let held = run_trials.min(batch_trials.saturating_mul(2));
    let batches = chokepoint_engine::results_bytes(model, held);
    let bytes = batches + SUMMARY_BYTES_PER_TRIAL * u128::from(trials);
    if bytes <= MAX_RESULTS_BYTES {
        return Ok(());
    }
    let gib = |b: u128| b as f64 / f64::from(1u32 << 30);
    anyhow::bail!(
        "`--trials {trials}` with `--batch-trials {batch_trials}` would need {:.1} GiB ({:.1} GiB for the results of \
         scenario `{}` held at once, two batches while one is written, the rest for the summaries), more than the \
         limit of {:.0} GiB: give fewer `--batch-trials`, or fewer `--trials` (a shard, `--shard I/N`, holds no \
         summary)",
        gib(bytes),
        gib(batches),
        model.spec().name,
        gib(MAX_RESULTS_BYTES)
    )
}

/// Refuses, before any trial runs, a `--trials` count whose per-trial results would not fit in
/// [`MAX_RESULTS_BYTES`], naming the flag and the most trials that would.
pub fn check_memory(model: &Model, trials: u64) -> anyhow::Result<()> {
    check_memory_of(model, "--trials", trials)
}

/// Refuses, before any trial runs, a count of trials per run given by `flag` (`--trials`, `--world-trials`,
/// `--evppi-trials`) whose per-trial results would not fit in [`MAX_RESULTS_BYTES`]: every study holds one run's
/// per-trial results at a time at least.
pub fn check_memory_of(model: &Model, flag: &str, trials: u64) -> anyhow::Result<()> {
    let per_trial = chokepoint_engine::results_bytes(model, 1);
    refuse_over_limit(model, flag, trials, per_trial, "the per-trial results")
}

/// Refuses, before any trial runs, a `trace --trials` count whose weekly values (every series of every period of
/// every trial, held until they are summarised) would not fit in [`MAX_RESULTS_BYTES`].
pub fn check_trace_memory(model: &Model, trials: u64) -> anyhow::Result<()> {
    let per_trial = chokepoint_analysis::flows::values_bytes(model, 1);
    refuse_over_limit(model, "--trials", trials, per_trial, "the traced weekly values")
}

/// Refuses `trials` trials of `per_trial` bytes each over [`MAX_RESULTS_BYTES`], naming the flag, what the bytes
/// hold and the most trials that would fit.
fn refuse_over_limit(model: &Model, flag: &str, trials: u64, per_trial: u128, what: &str) -> anyhow::Result<()> {
    let bytes = per_trial * u128::from(trials);
    if bytes <= MAX_RESULTS_BYTES {
        return Ok(());
    }
    let fits = MAX_RESULTS_BYTES / per_trial.max(1);
    let gib = |b: u128| b as f64 / f64::from(1u32 << 30);
    anyhow::bail!(
        "`{flag} {trials}` would need {:.1} GiB for {what} of scenario `{}` ({} bytes a trial), more than the \
         limit of {:.0} GiB: give `{flag} {fits}` or fewer",
        gib(bytes),
        model.spec().name,
        per_trial,
        gib(MAX_RESULTS_BYTES)
    )
}

/// The output folder of a run. A folder this run created is removed again if the run fails before its files
/// are in place (only if it is still empty).
#[derive(Debug)]
pub struct OutputFolder {
    created: Option<PathBuf>,
}

impl OutputFolder {
    pub fn create(dir: &Path) -> anyhow::Result<Self> {
        let existed = dir.is_dir();
        std::fs::create_dir_all(dir).with_context(|| format!("could not create output folder `{}`", dir.display()))?;
        Ok(Self { created: (!existed).then(|| dir.to_owned()) })
    }

    pub fn keep(mut self) {
        self.created = None;
    }
}

impl Drop for OutputFolder {
    fn drop(&mut self) {
        if let Some(dir) = &self.created {
            // Fails, as intended, if anything is left in the folder.
            let _ = std::fs::remove_dir(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_names_stay_inside_their_parent() {
        assert_eq!(scenario_folder(Path::new("out"), "licensing_2025").unwrap(), Path::new("out/licensing_2025"));
        for bad in ["../x", "/tmp/x", "a/b", "..", "", "A", "x\u{0}"] {
            assert!(scenario_folder(Path::new("out"), bad).is_err(), "{bad:?}");
        }
    }

    fn default_scenario() -> crate::scenario_source::LoadedScenario {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/rare_earths_2025.toml");
        crate::scenario_source::load(&crate::scenario_source::ScenarioSource::File(path)).unwrap()
    }

    /// A batch is written while the next one runs, so a run longer than one batch must fit two batches' results;
    /// a run of one batch, or a shard shorter than two, only what it holds.
    #[test]
    fn a_streamed_run_longer_than_a_batch_must_fit_two_batches() {
        let loaded = default_scenario();
        let model = &loaded.scenario.model;
        let per_trial = chokepoint_engine::results_bytes(model, 1);
        // A batch that fits alone, with room for its summaries, but not twice.
        let batch = u64::try_from(MAX_RESULTS_BYTES * 3 / 5 / per_trial).unwrap();
        assert!(check_streamed_memory(model, batch, batch, batch).is_ok());
        // A shard of one batch and a half holds them (0.9 of the limit), one of two batches does not.
        assert!(check_streamed_memory(model, 0, batch, batch + batch / 2).is_ok());
        assert!(check_streamed_memory(model, 0, batch, 2 * batch).is_err());
        let err = check_streamed_memory(model, 2 * batch, batch, 2 * batch).unwrap_err().to_string();
        assert!(err.contains(&format!("`--trials {}` with `--batch-trials {batch}` would need", 2 * batch)), "{err}");
        // Small batches of a long run: two of them and the summaries.
        assert!(check_streamed_memory(model, 10_000_000, 1 << 16, 10_000_000).is_ok());
    }

    /// The summaries' memory, as measured (96 bytes a trial), bounds a run of default batches to about 87 million
    /// trials of the default scenario; its shards hold no summary.
    #[test]
    fn the_summaries_memory_bounds_a_run_below_the_most_trials() {
        let loaded = default_scenario();
        let model = &loaded.scenario.model;
        let (batch, most) = (1 << 16, crate::cli::MAX_TRIALS);
        assert!(check_streamed_memory(model, 80_000_000, batch, 80_000_000).is_ok());
        let err = check_streamed_memory(model, most, batch, most).unwrap_err().to_string();
        assert!(err.contains(&format!("`--trials {most}` with `--batch-trials {batch}` would need 9.2 GiB")), "{err}");
        assert!(check_streamed_memory(model, 0, batch, most / 4).is_ok());
    }
}
