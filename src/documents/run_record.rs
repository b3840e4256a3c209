//! `run.json`: how, when and where a run was made, next to the deterministic `summary.json`.

use serde::{Deserialize, Serialize};

use crate::documents::summary::{RNG_SEEDING, SCHEMA_VERSION, Tool, WarningJson, rng_name, warnings};
use crate::scenario_source::LoadedScenario;

/// The record of one run, as `run.json` holds it (read back by `batch`, to tell a run that is up to date).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    pub files: Vec<String>,
    /// A run merged from shards (`chokepoint merge`): the shards, in trial order. Then `threads` is the most any
    /// shard used, `simulation_s` the shards' simulation time added up, and `wall_time_s` the merge's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shards: Option<Vec<ShardRecord>>,
}

/// One shard of a merged run or comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// The scenario of a run record: where it was read from on this machine, and what was applied to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// The random number generator of a run and how its streams are seeded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RngRecord {
    /// The generator's name.
    pub generator: String,
    /// How a trial's streams derive from the seed.
    pub seeding: String,
}

impl RngRecord {
    /// This build's generator and seeding.
    pub fn this() -> Self {
        Self { generator: rng_name().to_owned(), seeding: RNG_SEEDING.to_owned() }
    }
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
            rng: RngRecord::this(),
            started_at,
            wall_time_s: timings.wall_time_s,
            simulation_s: timings.simulation_s,
            trials_per_second: if timings.simulation_s > 0.0 {
                settings.trials as f64 / timings.simulation_s
            } else {
                0.0
            },
            warnings: warnings(loaded),
            files: files.into_iter().map(String::from).collect(),
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
            rng: RngRecord::this(),
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::documents::summary::to_json_text;
    use crate::scenario_source::{self, ScenarioSource};

    /// `run.json` reads back as the record written, and writes again to the same bytes: `batch` compares the
    /// typed record with the run it would make.
    #[test]
    fn a_run_record_reads_back_as_written() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/valid/small_chain.toml");
        let loaded = scenario_source::load(&ScenarioSource::File(path)).unwrap();
        let settings = Settings { seed: 7, trials: 300, threads: 2, batch_trials: 100 };
        let timings = Timings { wall_time_s: 1.5, simulation_s: 1.25 };
        let started = "2026-01-02T03:04:05Z".to_owned();
        let mut record = RunRecord::new(&loaded, settings, started.clone(), timings, vec!["summary.json", "run.json"]);
        let text = to_json_text(&record).unwrap();
        let back: RunRecord = serde_json::from_str(&text).unwrap();
        assert_eq!(back, record);
        assert_eq!(to_json_text(&back).unwrap(), text);
        assert!(!text.contains("shards"), "a run that was not merged records no shards");
        record.shards = Some(vec![ShardRecord {
            folder: "part-1".to_owned(),
            trials_from: 0,
            trials_to: 300,
            threads: 2,
            started_at: started,
            wall_time_s: 1.0,
            simulation_s: 0.75,
        }]);
        let text = to_json_text(&record).unwrap();
        assert_eq!(serde_json::from_str::<RunRecord>(&text).unwrap(), record);
    }
}
