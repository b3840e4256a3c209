//! The scenario part of every deterministic output document (`summary.json`, `compare.json`, `sizing.json`,
//! `optimize.json`, `sweep.json`, `sensitivity.json`): one type instead of one copy per document, and the run
//! settings the study documents share.
//!
//! Each document records what its numbers depend on and no more, so some fields are left out of some documents:
//! the calendar start of the horizon (`summary.json`, `compare.json`, written as `null` when the scenario gives
//! none), the bases, the overlay files, and the mitigations applied to every run. The fields keep one order in
//! every document (name, digest, start date, bases, overlays, mitigations, settings), which is each document's
//! order as it was, so the documents keep their bytes.

use serde::{Deserialize, Deserializer, Serialize};

use crate::documents::summary::rng_name;
use crate::scenario_source::{LoadedScenario, SourceDigest};

/// The scenario a document's numbers come from: its name, the digests of its files, and what was applied to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioHeader {
    /// The scenario's name (`[scenario] name`).
    pub name: String,
    /// SHA-256 of the scenario file's bytes, lowercase hex.
    pub sha256: String,
    /// The calendar date of week 0 (`YYYY-MM-DD`) when the scenario gives one; `Some(None)` writes `null`, `None`
    /// leaves the field out (documents that do not record it).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    pub start_date: Option<Option<String>>,
    /// The base files the scenario is laid over, by name and digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bases: Option<Vec<FileDigest>>,
    /// Files of mitigations laid over the scenario (`--mitigation FILE`), by name and digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlays: Option<Vec<FileDigest>>,
    /// Mitigations and packages applied to every run (`--mitigation`), in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mitigations: Option<Vec<String>>,
    /// The `--set KEY=VALUE` settings applied to the scenario, in order (empty when none).
    #[serde(default)]
    pub settings: Vec<String>,
}

impl ScenarioHeader {
    /// The name, digest and `--set` settings of `loaded`, with every optional field left out: a document adds
    /// those it records with struct update syntax.
    pub fn of(loaded: &LoadedScenario) -> Self {
        Self {
            name: loaded.scenario.name.clone(),
            sha256: loaded.sha256.clone(),
            start_date: None,
            bases: None,
            overlays: None,
            mitigations: None,
            settings: loaded.settings.clone(),
        }
    }

    /// The calendar start of the horizon, written as `null` when the scenario gives none.
    pub fn start_date_of(loaded: &LoadedScenario) -> Option<Option<String>> {
        Some(loaded.scenario.start_date.map(|d| d.to_string()))
    }

    /// The base files of `loaded`, by name and digest.
    pub fn bases_of(loaded: &LoadedScenario) -> Option<Vec<FileDigest>> {
        Some(loaded.bases.iter().map(FileDigest::of).collect())
    }

    /// Overlay files by name and digest.
    pub fn overlays_of(overlays: &[SourceDigest]) -> Option<Vec<FileDigest>> {
        Some(overlays.iter().map(FileDigest::of).collect())
    }

    /// The calendar date of week 0, if the document records one and the scenario gives it.
    pub fn start_date(&self) -> Option<&str> {
        self.start_date.as_ref().and_then(|d| d.as_deref())
    }

    /// The mitigations applied to every run (none when the document does not record them).
    pub fn mitigations(&self) -> &[String] {
        self.mitigations.as_deref().unwrap_or_default()
    }
}

/// The settings that determine a document's numbers, beside its scenario: the seed, the trials of each run (per
/// variant, size, portfolio or point), the random number generator, and the horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunHeader {
    /// The master seed.
    pub seed: u64,
    /// Trials per run.
    pub trials: u64,
    /// The random number generator and how its streams are seeded.
    pub rng: String,
    /// Periods of the horizon.
    pub periods: usize,
    /// Weeks per period.
    pub period_weeks: f64,
    /// The horizon in years (52 weeks), over which costs are totalled.
    pub horizon_years: f64,
}

impl RunHeader {
    /// The settings of runs of `loaded` with `seed` and `trials` trials each.
    pub fn of(loaded: &LoadedScenario, seed: u64, trials: u64) -> Self {
        let spec = loaded.scenario.model.spec();
        Self {
            seed,
            trials,
            rng: rng_name().to_owned(),
            periods: spec.periods,
            period_weeks: spec.period_weeks,
            horizon_years: loaded.scenario.horizon_years(),
        }
    }
}

/// Reads a field that is present, `null` included, as `Some`: a missing field is `None` through `default`.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

/// A file by name (without its folder, so that the document does not depend on where it was run from) and digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    /// The file's name, without its folder.
    pub file: String,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub sha256: String,
}

impl FileDigest {
    /// The name and digest of a file read.
    pub fn of(d: &SourceDigest) -> Self {
        let file = std::path::Path::new(&d.origin)
            .file_name()
            .map_or_else(|| d.origin.clone(), |n| n.to_string_lossy().into_owned());
        Self { file, sha256: d.sha256.clone() }
    }
}
