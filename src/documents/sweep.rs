//! The `sweep.json` document of `chokepoint sweep`: every point's headline metrics with their intervals and
//! their paired change from the first point.

use chokepoint_analysis::portfolio::Objective;
use chokepoint_analysis::sweep::SweepAnswer;
use serde::{Deserialize, Serialize};

use crate::documents::header::{RunHeader, ScenarioHeader};

use crate::documents::compare::ChangeJson;
use crate::documents::study::{DifferenceJson, study_scenario};
use crate::documents::summary::{
    DistributionJson, ProportionJson, SCHEMA_VERSION, Tool, WarningJson, unmet_word, warnings,
};
use crate::render::table::{money, number, percent};
use crate::scenario_source::{LoadedScenario, SourceDigest};

/// The whole `sweep.json` document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SweepDocument {
    pub schema_version: u32,
    pub tool: Tool,
    pub scenario: ScenarioHeader,
    pub run: RunHeader,
    /// The keys varied, in the order of each point's values.
    pub keys: Vec<String>,
    /// Whether the values were zipped (`--zip`) rather than crossed.
    pub zip: bool,
    /// What the loss is counted in: `USD`, or `weeks of demand`.
    pub loss_unit: String,
    pub end_uses: Vec<SweepEndUse>,
    /// The metrics of the table, as `loss`, `short:END_USE`, `delay:END_USE` or `units-short:END_USE`.
    pub metrics: Vec<String>,
    pub points: Vec<PointJson>,
    pub warnings: Vec<WarningJson>,
}

/// An end use, for reading the points.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SweepEndUse {
    pub name: String,
    /// What one unit is.
    pub unit: String,
    /// `lost` or `backlog`.
    pub unmet_demand: String,
}

/// One point of the sweep.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PointJson {
    /// The value of each key, in the order of `keys`.
    pub values: Vec<f64>,
    pub loss: DistributionJson,
    /// This point's loss minus the first point's, trial by trial.
    pub loss_change: DifferenceJson,
    pub end_uses: Vec<PointEndUse>,
}

/// One end use at one point.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PointEndUse {
    pub short_or_late: ProportionJson,
    pub units_short: DistributionJson,
    pub max_delay_weeks: DistributionJson,
    /// The change of P(short or late) from the first point, trial by trial.
    pub short_or_late_change: ChangeJson,
    pub units_short_change: DifferenceJson,
    pub max_delay_change: DifferenceJson,
}

/// The inputs of [`SweepDocument::new`] that describe the run.
#[derive(Debug, Clone, Copy)]
pub struct SweepRun<'a> {
    pub loaded: &'a LoadedScenario,
    pub overlays: &'a [SourceDigest],
    pub seed: u64,
    pub trials: u64,
    pub keys: &'a [String],
    pub zip: bool,
}

/// A metric in the words of `--metric`.
pub fn metric_word(m: Objective, end_uses: &[SweepEndUse]) -> String {
    let name = |e: usize| end_uses.get(e).map_or("?", |x| x.name.as_str());
    match m {
        Objective::Loss => "loss".to_owned(),
        Objective::ShortOrLate { end_use } => format!("short:{}", name(end_use)),
        Objective::MaxDelay { end_use } => format!("delay:{}", name(end_use)),
        Objective::UnitsShort { end_use } => format!("units-short:{}", name(end_use)),
    }
}

impl SweepDocument {
    pub fn new(run: SweepRun<'_>, answer: &SweepAnswer, metrics: &[Objective]) -> Self {
        let scenario = &run.loaded.scenario;
        let end_uses: Vec<SweepEndUse> = scenario
            .model
            .spec()
            .end_uses
            .iter()
            .zip(&scenario.end_uses)
            .map(|(e, v)| SweepEndUse {
                name: e.name.clone(),
                unit: v.unit.clone(),
                unmet_demand: unmet_word(e.unmet).to_owned(),
            })
            .collect();
        let points: Vec<PointJson> = answer
            .points
            .iter()
            .map(|p| PointJson {
                values: p.values.clone(),
                loss: (&p.loss).into(),
                loss_change: (&p.loss_change).into(),
                end_uses: p
                    .end_uses
                    .iter()
                    .map(|e| PointEndUse {
                        short_or_late: (&e.short_or_late).into(),
                        units_short: (&e.units_short).into(),
                        max_delay_weeks: (&e.max_delay_weeks).into(),
                        short_or_late_change: (&e.short_or_late_change).into(),
                        units_short_change: (&e.units_short_change).into(),
                        max_delay_change: (&e.max_delay_change).into(),
                    })
                    .collect(),
            })
            .collect();
        let metrics = if metrics.is_empty() { default_metrics(&points, end_uses.len()) } else { metrics.to_vec() };
        Self {
            schema_version: SCHEMA_VERSION,
            tool: Tool::this(),
            scenario: study_scenario(run.loaded, run.overlays),
            run: RunHeader::of(run.loaded, run.seed, run.trials),
            keys: run.keys.to_vec(),
            zip: run.zip,
            loss_unit: scenario.loss.unit.label().to_owned(),
            metrics: metrics.iter().map(|m| metric_word(*m, &end_uses)).collect(),
            end_uses,
            points,
            warnings: warnings(run.loaded),
        }
    }

    /// The metrics of the table, resolved against the document's end uses.
    pub fn table_metrics(&self) -> Vec<Objective> {
        self.metrics
            .iter()
            .filter_map(|m| {
                let (kind, name) = m.split_once(':').map_or((m.as_str(), None), |(k, n)| (k, Some(n)));
                let e = name.and_then(|n| self.end_uses.iter().position(|x| x.name == n));
                match (kind, e) {
                    ("loss", _) => Some(Objective::Loss),
                    ("short", Some(end_use)) => Some(Objective::ShortOrLate { end_use }),
                    ("delay", Some(end_use)) => Some(Objective::MaxDelay { end_use }),
                    ("units-short", Some(end_use)) => Some(Objective::UnitsShort { end_use }),
                    _ => None,
                }
            })
            .collect()
    }

    /// A metric at a point: its mean and 95 % interval.
    pub fn value(&self, point: &PointJson, m: Objective) -> (f64, f64, f64) {
        match m {
            Objective::Loss => (point.loss.mean, point.loss.ci95_low, point.loss.ci95_high),
            Objective::ShortOrLate { end_use } => {
                let p = &point.end_uses[end_use].short_or_late;
                (p.p, p.ci95_low, p.ci95_high)
            }
            Objective::MaxDelay { end_use } => {
                let d = &point.end_uses[end_use].max_delay_weeks;
                (d.mean, d.ci95_low, d.ci95_high)
            }
            Objective::UnitsShort { end_use } => {
                let d = &point.end_uses[end_use].units_short;
                (d.mean, d.ci95_low, d.ci95_high)
            }
        }
    }

    /// A metric's value in its unit.
    pub fn format(&self, m: Objective, x: f64) -> String {
        match m {
            Objective::Loss => money(x, &self.loss_unit),
            Objective::ShortOrLate { .. } => percent(x),
            Objective::MaxDelay { .. } => format!("{} wk", number(x)),
            Objective::UnitsShort { .. } => number(x),
        }
    }

    /// A metric's name for a terminal column: short, with the end use's name cut to fit.
    pub fn column(&self, m: Objective) -> String {
        let name = |e: usize| crate::documents::study::fit_key(&self.end_uses[e].name, 20);
        match m {
            Objective::Loss => format!("loss ({})", self.loss_unit),
            Objective::ShortOrLate { end_use } => format!("P {}", name(end_use)),
            Objective::MaxDelay { end_use } => format!("delay {}", name(end_use)),
            Objective::UnitsShort { end_use } => format!("short {}", name(end_use)),
        }
    }

    /// A metric's name for a table header or a chart title.
    pub fn title(&self, m: Objective) -> String {
        let name = |e: usize| self.end_uses[e].name.as_str();
        match m {
            Objective::Loss => format!("loss ({})", self.loss_unit),
            Objective::ShortOrLate { end_use } => format!("P({} short or late)", name(end_use)),
            Objective::MaxDelay { end_use } => format!("{} longest delay", name(end_use)),
            Objective::UnitsShort { end_use } => {
                format!("{} {} short", name(end_use), self.end_uses[end_use].unit)
            }
        }
    }
}

/// The loss, then P(short or late) of every end use that is short or late at some point, the most often short
/// first (at its worst point), so that the narrow table shows those.
fn default_metrics(points: &[PointJson], end_uses: usize) -> Vec<Objective> {
    let worst = |e: usize| points.iter().map(|p| p.end_uses[e].short_or_late.p).fold(0.0, f64::max);
    let mut short: Vec<usize> = (0..end_uses).filter(|&e| worst(e) > 0.0).collect();
    short.sort_by(|&a, &b| worst(b).total_cmp(&worst(a)).then(a.cmp(&b)));
    let mut out = vec![Objective::Loss];
    out.extend(short.into_iter().map(|end_use| Objective::ShortOrLate { end_use }));
    out
}
