//! `compare_run.json`: how, when and where a comparison was made (timings, threads, the files written), next to
//! the deterministic `compare.json`.
//!
//! The scenario part is the run records' [`ScenarioRecord`] (with the file's origin and description), not the
//! deterministic documents' `header::ScenarioHeader`: the record says where the files were on this machine, which
//! the header leaves out on purpose, and the file keeps its bytes.

use serde::{Deserialize, Serialize};

use crate::documents::run_record::{RngRecord, ScenarioRecord, ShardRecord};
use crate::documents::summary::{SCHEMA_VERSION, Tool, WarningJson, warnings};
use crate::scenario_source::{LoadedScenario, SourceDigest};

/// The record of one comparison, as `compare_run.json` holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareRecord {
    /// The version of the output documents' schema.
    pub schema_version: u32,
    /// The tool that made the comparison.
    pub tool: Tool,
    /// The scenario compared, as given on this machine.
    pub scenario: ScenarioRecord,
    /// The overlays given with `--mitigation FILE`, as named on this machine (the bases are in `scenario`).
    pub overlays: Vec<SourceDigest>,
    /// The master seed.
    pub seed: u64,
    /// Trials per variant.
    pub trials: u64,
    /// Worker threads the trials ran on (results do not depend on it).
    pub threads: usize,
    /// The random number generator and how its streams are seeded.
    pub rng: RngRecord,
    /// The variants run, in order: `baseline`, then each option.
    pub variants: Vec<VariantTiming>,
    /// When the comparison started, RFC 3339, UTC.
    pub started_at: String,
    /// Seconds from the start to the outputs being written (excluding this file).
    pub wall_time_s: f64,
    /// Seconds spent running trials, over every variant.
    pub simulation_s: f64,
    /// Trials of every variant per second of simulation.
    pub trials_per_second: f64,
    /// The scenario's warnings.
    pub warnings: Vec<WarningJson>,
    /// Files written with this record, in the output folder.
    pub files: Vec<String>,
    /// A comparison merged from shards (`chokepoint merge`): the shards, in trial order. Then `threads` is the most
    /// any shard used, the variants' `simulation_s` the shards' added up, and `wall_time_s` the merge's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shards: Option<Vec<ShardRecord>>,
}

/// The simulation time of one variant of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantTiming {
    /// `baseline`, or the option's name.
    pub name: String,
    /// Seconds spent running its trials.
    pub simulation_s: f64,
}

/// The settings and timings of a comparison, from which [`CompareRecord::new`] makes its record.
#[derive(Debug, Clone)]
pub struct CompareRunSettings {
    /// The overlays given with `--mitigation FILE`.
    pub overlays: Vec<SourceDigest>,
    /// The master seed.
    pub seed: u64,
    /// Trials per variant.
    pub trials: u64,
    /// Worker threads.
    pub threads: usize,
    /// Each variant's simulation time, in order.
    pub variants: Vec<VariantTiming>,
    /// When the comparison started, RFC 3339, UTC.
    pub started_at: String,
    /// Seconds from the start to the outputs being written.
    pub wall_time_s: f64,
}

impl CompareRecord {
    /// The record of a comparison of `loaded` made with `run`, which wrote `files`.
    pub fn new(loaded: &LoadedScenario, run: CompareRunSettings, files: Vec<&'static str>) -> Self {
        let simulation_s: f64 = run.variants.iter().map(|v| v.simulation_s).sum();
        let all_trials = run.trials as f64 * run.variants.len() as f64;
        Self {
            schema_version: SCHEMA_VERSION,
            tool: Tool::this(),
            scenario: ScenarioRecord::of(loaded),
            overlays: run.overlays,
            seed: run.seed,
            trials: run.trials,
            threads: run.threads,
            rng: RngRecord::this(),
            variants: run.variants,
            started_at: run.started_at,
            wall_time_s: run.wall_time_s,
            simulation_s,
            trials_per_second: if simulation_s > 0.0 { all_trials / simulation_s } else { 0.0 },
            warnings: warnings(loaded),
            files: files.into_iter().map(String::from).collect(),
            shards: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::documents::summary::to_json_text;
    use crate::scenario_source::{self, ScenarioSource};

    /// `compare_run.json` reads back as the record written, and writes again to the same bytes.
    #[test]
    fn a_compare_record_reads_back_as_written() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/valid/small_chain.toml");
        let loaded = scenario_source::load(&ScenarioSource::File(path)).unwrap();
        let variants =
            ["baseline", "reserve"].map(|name| VariantTiming { name: name.to_owned(), simulation_s: 0.5 }).to_vec();
        let run = CompareRunSettings {
            overlays: Vec::new(),
            seed: 3,
            trials: 200,
            threads: 2,
            variants,
            started_at: "2026-01-02T03:04:05Z".to_owned(),
            wall_time_s: 2.0,
        };
        let record = CompareRecord::new(&loaded, run, vec!["compare.json", "compare_run.json"]);
        assert_eq!(record.trials_per_second, 400.0);
        let text = to_json_text(&record).unwrap();
        let back: CompareRecord = serde_json::from_str(&text).unwrap();
        assert_eq!(back, record);
        assert_eq!(to_json_text(&back).unwrap(), text);
    }
}
