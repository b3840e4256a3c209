//! The `worlds` section of `summary.json` (`run --worlds`): each headline metric across worlds (median, 80 % and
//! 95 % bands, and the knowledge share of its variance).

use chokepoint_analysis::worlds::{AcrossWorlds, WorldsAnswer};
use chokepoint_scenario::Parameter;
use serde::{Deserialize, Serialize};

use crate::documents::study::kinds_in_words;
use crate::documents::summary::nan_if_null;

/// The `worlds` section of `summary.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorldsJson {
    pub worlds: usize,
    pub trials_per_world: u64,
    /// The knowledge parameters, drawn once per world.
    pub knowledge: Vec<KnowledgeJson>,
    /// What they are, in words ("stocks and denial rates").
    pub knowledge_in_words: String,
    /// The loss over every end use across worlds.
    pub loss: AcrossJson,
    pub end_uses: Vec<WorldsEndUseJson>,
}

/// A knowledge parameter: its key and unit, and its value in each world.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KnowledgeJson {
    pub key: String,
    pub unit: String,
}

/// One end use across worlds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorldsEndUseJson {
    pub name: String,
    pub unit: String,
    /// `lost` or `backlog`.
    pub unmet_demand: String,
    /// P(short or late at all over the horizon).
    pub short_or_late: AcrossJson,
    pub units_short: AcrossJson,
    /// The longest delay of a unit, weeks (backlogged demand only).
    pub max_delay_weeks: Option<AcrossJson>,
}

/// A metric across worlds.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct AcrossJson {
    /// The mean over every world and trial.
    #[serde(deserialize_with = "nan_if_null")]
    pub pooled: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub median: f64,
    /// The 80 % band across worlds (P10 to P90 of the world values).
    #[serde(deserialize_with = "nan_if_null")]
    pub p10: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub p90: f64,
    /// The 95 % band (P2.5 to P97.5).
    #[serde(deserialize_with = "nan_if_null")]
    pub p2_5: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub p97_5: f64,
    /// The share of a trial's variance that knowledge uncertainty explains (`null` when the metric never varies).
    #[serde(deserialize_with = "nan_if_null")]
    pub knowledge_share: f64,
}

impl From<&AcrossWorlds> for AcrossJson {
    fn from(a: &AcrossWorlds) -> Self {
        Self {
            pooled: a.pooled,
            median: a.median,
            p10: a.p10,
            p90: a.p90,
            p2_5: a.p2_5,
            p97_5: a.p97_5,
            knowledge_share: a.knowledge_share,
        }
    }
}

impl WorldsJson {
    pub fn new(answer: &WorldsAnswer, knowledge: &[&Parameter], scenario: &chokepoint_scenario::Scenario) -> Self {
        let spec = scenario.model.spec();
        Self {
            worlds: answer.worlds,
            trials_per_world: answer.trials_per_world as u64,
            knowledge: knowledge.iter().map(|p| KnowledgeJson { key: p.key.clone(), unit: p.unit.clone() }).collect(),
            knowledge_in_words: kinds_in_words(&answer.knowledge),
            loss: (&answer.loss).into(),
            end_uses: answer
                .end_uses
                .iter()
                .zip(spec.end_uses.iter().zip(&scenario.end_uses))
                .map(|(w, (e, values))| WorldsEndUseJson {
                    name: e.name.clone(),
                    unit: values.unit.clone(),
                    unmet_demand: crate::documents::summary::unmet_word(e.unmet).to_owned(),
                    short_or_late: (&w.short_or_late).into(),
                    units_short: (&w.units_short).into(),
                    max_delay_weeks: (e.unmet == chokepoint_engine::Unmet::Backlog)
                        .then(|| (&w.max_delay_weeks).into()),
                })
                .collect(),
        }
    }
}
