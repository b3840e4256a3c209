//! `run.json`: how, when and where a run was made, next to the deterministic `summary.json`.

use serde::Serialize;

use crate::documents::summary::{RNG_SEEDING, SCHEMA_VERSION, Tool, WarningJson, rng_name, warnings};
use crate::scenario_source::LoadedScenario;

/// The record of one run.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    pub schema_version: u32,
    pub tool: Tool,
    pub scenario: ScenarioRecord,
    pub seed: u64,
    pub trials: u64,
    /// Trials per batch: the trials run and written at a time, which bounds memory and sets the row groups of the
    /// per-trial files.
    pub batch_trials: u64,
    /// Worker threads the trials ran on (results do not depend on it).
    pub threads: usize,
    pub rng: RngRecord,
    /// When the run started, RFC 3339, UTC.
    pub started_at: String,
    /// Seconds from start to the outputs being written, excluding `run.json` itself.
    pub wall_time_s: f64,
    /// Seconds spent simulating trials.
    pub simulation_s: f64,
    pub trials_per_second: f64,
    pub warnings: Vec<WarningJson>,
    /// Files written with this record, in the output folder.
    pub files: Vec<&'static str>,
    /// A run merged from shards (`chokepoint merge`): the shards, in trial order. Then `threads` is the most any
    /// shard used, `simulation_s` the shards' simulation time added up, and `wall_time_s` the merge's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shards: Option<Vec<ShardRecord>>,
}

/// One shard of a merged run or comparison.
#[derive(Debug, Clone, Serialize)]
pub struct ShardRecord {
    /// The shard's folder, as given to `merge`.
    pub folder: String,
    pub trials_from: u64,
    pub trials_to: u64,
    pub threads: usize,
    pub started_at: String,
    pub wall_time_s: f64,
    pub simulation_s: f64,
}

impl ShardRecord {
    pub fn of(shard: &crate::files::shard::Shard) -> Self {
        let m = &shard.manifest;
        Self {
            folder: shard.name(),
            trials_from: m.range.from,
            trials_to: m.range.to,
            threads: m.threads,
            started_at: m.started_at.clone(),
            wall_time_s: m.wall_time_s,
            simulation_s: m.simulation_s,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioRecord {
    pub name: String,
    pub description: String,
    /// The file as given on the command line, or `<embedded>/rare_earths_2025.toml`.
    pub origin: String,
    /// SHA-256 of the scenario's bytes, lowercase hex.
    pub sha256: String,
    /// The base files the scenario is laid over, with their SHA-256 (empty for a self-contained scenario):
    /// together with `sha256` they pin every byte the results depend on.
    pub bases: Vec<crate::scenario_source::SourceDigest>,
    /// Mitigations and packages applied to the scenario (`run --mitigation`), in order.
    pub mitigations: Vec<String>,
    /// Files of mitigations laid over the scenario (`--mitigation FILE`), with their SHA-256.
    pub overlays: Vec<crate::scenario_source::SourceDigest>,
    /// The `--set KEY=VALUE` settings applied to the scenario, in order.
    pub settings: Vec<String>,
}

impl ScenarioRecord {
    /// The record of a loaded scenario.
    pub fn of(loaded: &LoadedScenario) -> Self {
        Self {
            name: loaded.scenario.name.clone(),
            description: loaded.scenario.description.clone(),
            origin: loaded.origin.clone(),
            sha256: loaded.sha256.clone(),
            bases: loaded.bases.clone(),
            mitigations: loaded.applied.clone(),
            overlays: loaded.overlays.clone(),
            settings: loaded.settings.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RngRecord {
    pub generator: &'static str,
    pub seeding: &'static str,
}

/// The settings a run used.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub seed: u64,
    pub trials: u64,
    pub threads: usize,
    /// Trials per batch (see `files::trials`).
    pub batch_trials: u64,
}

/// Timings of a run.
#[derive(Debug, Clone, Copy)]
pub struct Timings {
    pub wall_time_s: f64,
    pub simulation_s: f64,
}

impl RunRecord {
    pub fn new(
        loaded: &LoadedScenario,
        settings: Settings,
        started_at: String,
        timings: Timings,
        files: Vec<&'static str>,
    ) -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            tool: Tool::this(),
            scenario: ScenarioRecord::of(loaded),
            seed: settings.seed,
            trials: settings.trials,
            batch_trials: settings.batch_trials,
            threads: settings.threads,
            rng: RngRecord { generator: rng_name(), seeding: RNG_SEEDING },
            started_at,
            wall_time_s: timings.wall_time_s,
            simulation_s: timings.simulation_s,
            trials_per_second: if timings.simulation_s > 0.0 {
                settings.trials as f64 / timings.simulation_s
            } else {
                0.0
            },
            warnings: warnings(loaded),
            files,
            shards: None,
        }
    }
}

/// `optimize_run.json`: how, when and where a portfolio search was made.
#[derive(Debug, Clone, Serialize)]
pub struct OptimizeRecord {
    pub schema_version: u32,
    pub tool: Tool,
    pub scenario: ScenarioRecord,
    pub seed: u64,
    /// Trials per portfolio.
    pub trials: u64,
    pub threads: usize,
    pub rng: RngRecord,
    pub started_at: String,
    pub wall_time_s: f64,
    pub simulation_s: f64,
    /// Trials run over every portfolio, the confirmation included.
    pub trials_run: u64,
    pub trials_per_second: f64,
    pub warnings: Vec<WarningJson>,
    pub files: Vec<&'static str>,
}

impl OptimizeRecord {
    #[expect(clippy::too_many_arguments, reason = "one record of one run: each argument is one of its fields")]
    pub fn new(
        loaded: &LoadedScenario,
        overlays: &[crate::scenario_source::SourceDigest],
        seed: u64,
        trials: u64,
        threads: usize,
        started_at: String,
        timings: Timings,
        trials_run: u64,
        files: Vec<&'static str>,
    ) -> Self {
        let mut scenario = ScenarioRecord::of(loaded);
        scenario.overlays = overlays.to_vec();
        Self {
            schema_version: SCHEMA_VERSION,
            tool: Tool::this(),
            scenario,
            seed,
            trials,
            threads,
            rng: RngRecord { generator: rng_name(), seeding: RNG_SEEDING },
            started_at,
            wall_time_s: timings.wall_time_s,
            simulation_s: timings.simulation_s,
            trials_run,
            trials_per_second: if timings.simulation_s > 0.0 { trials_run as f64 / timings.simulation_s } else { 0.0 },
            warnings: warnings(loaded),
            files,
        }
    }
}
