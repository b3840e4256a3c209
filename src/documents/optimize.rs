//! The `optimize.json` document of `chokepoint optimize`: the question, the search and its answer, and the words
//! its tables and report use for an objective's value and a portfolio's members.

use chokepoint_analysis::portfolio::{Objective, Portfolio, PortfolioAnswer, PortfolioQuestion, Search};
use chokepoint_engine::stats::Summary;
use serde::{Deserialize, Serialize};

use crate::documents::compare::PairedJson;
use crate::documents::header::{RunHeader, ScenarioHeader};
use crate::documents::summary::{DistributionJson, SCHEMA_VERSION, Tool, WarningJson, warnings};
use crate::render::table::{money, number, percent};
use crate::scenario_source::LoadedScenario;

/// The whole `optimize.json` document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OptimizeDocument {
    pub schema_version: u32,
    pub tool: Tool,
    pub scenario: ScenarioHeader,
    pub run: RunHeader,
    pub question: QuestionJson,
    pub search: SearchJson,
    /// The baseline's objective (no mitigation), across trials.
    pub baseline: DistributionJson,
    /// The best portfolio within the budget.
    pub best: PortfolioJson,
    /// The best portfolio run again, with the baseline, on a fresh seed: the honest estimate (picking the best of
    /// many noisy estimates favours lucky ones).
    pub confirmation: ConfirmationJson,
    /// The efficient frontier, by cost: the portfolios no cheaper portfolio beats.
    pub frontier: Vec<PortfolioJson>,
    /// Every portfolio evaluated, in the order run (the first is the empty one: doing nothing).
    pub portfolios: Vec<PortfolioJson>,
    pub warnings: Vec<WarningJson>,
    /// `--evppi`: which unknown is worth researching before choosing among the frontier's portfolios.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_of_information: Option<crate::documents::value_of_information::EvppiJson>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QuestionJson {
    pub budget_usd: f64,
    pub objective: ObjectiveJson,
    pub candidates: Vec<CandidateJson>,
    pub exhaustive_limit: usize,
    pub max_evaluations: usize,
}

/// What is made as small as possible, and its unit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectiveJson {
    /// `loss`, `short_or_late`, `max_delay` or `units_short`.
    pub kind: String,
    /// The end use, for the per-end-use objectives.
    pub end_use: Option<String>,
    /// `USD`, `weeks of demand`, `probability`, `weeks`, or the end use's unit.
    pub unit: String,
    /// In words.
    pub description: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CandidateJson {
    pub name: String,
    /// The cost over the horizon, US dollars.
    pub cost_usd: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SearchJson {
    /// `exhaustive` or `heuristic` (greedy forward selection by improvement per dollar, then local search).
    pub method: String,
    /// Portfolios within the budget (`null` when there are too many candidates to count them).
    pub within_budget: Option<u64>,
    /// Portfolios run (the empty one included).
    pub evaluated: usize,
    /// Portfolios that could not be built, with the reason.
    pub refused: Vec<RefusedJson>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefusedJson {
    pub members: Vec<String>,
    pub reason: String,
}

/// One portfolio run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PortfolioJson {
    pub members: Vec<String>,
    pub cost_usd: f64,
    /// The objective across trials.
    pub objective: DistributionJson,
    /// The objective avoided against the baseline on the same trials (`baseline - portfolio`).
    pub improvement: PairedJson,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConfirmationJson {
    pub seed: u64,
    pub baseline: DistributionJson,
    pub portfolio: PortfolioJson,
}

fn portfolio(p: &Portfolio, question: &PortfolioQuestion) -> PortfolioJson {
    PortfolioJson {
        members: p.members.iter().map(|&i| question.candidates[i].name.clone()).collect(),
        cost_usd: p.cost_usd,
        objective: (&p.objective).into(),
        improvement: (&p.improvement).into(),
    }
}

/// The objective of `question` in a document's words, for `loaded`'s scenario.
pub fn objective_json(objective: Objective, loaded: &LoadedScenario) -> ObjectiveJson {
    let scenario = &loaded.scenario;
    let name = |e: usize| scenario.model.spec().end_uses[e].name.clone();
    let (kind, end_use, unit, description) = match objective {
        Objective::Loss => {
            ("loss", None, scenario.loss.unit.label().to_owned(), "the mean loss over every end use".to_owned())
        }
        Objective::ShortOrLate { end_use } => (
            "short_or_late",
            Some(name(end_use)),
            "probability".to_owned(),
            format!("P(`{}` short or late)", name(end_use)),
        ),
        Objective::MaxDelay { end_use } => (
            "max_delay",
            Some(name(end_use)),
            "weeks".to_owned(),
            format!("the mean longest delay of a `{}` unit", name(end_use)),
        ),
        Objective::UnitsShort { end_use } => (
            "units_short",
            Some(name(end_use)),
            scenario.end_uses[end_use].unit.clone(),
            format!("the mean `{}` units short", name(end_use)),
        ),
    };
    ObjectiveJson { kind: kind.to_owned(), end_use, unit, description }
}

/// The inputs of [`OptimizeDocument::new`] that describe the run.
#[derive(Debug, Clone, Copy)]
pub struct OptimizeRun<'a> {
    pub loaded: &'a LoadedScenario,
    pub overlays: &'a [crate::scenario_source::SourceDigest],
    pub seed: u64,
    pub trials: u64,
}

impl OptimizeDocument {
    pub fn new(run: OptimizeRun<'_>, question: &PortfolioQuestion, answer: &PortfolioAnswer) -> Self {
        let scenario = &run.loaded.scenario;
        let years = scenario.horizon_years();
        let baseline: &Summary = &answer.evaluated[0].objective;
        Self {
            schema_version: SCHEMA_VERSION,
            tool: Tool::this(),
            scenario: ScenarioHeader {
                bases: ScenarioHeader::bases_of(run.loaded),
                overlays: ScenarioHeader::overlays_of(run.overlays),
                ..ScenarioHeader::of(run.loaded)
            },
            run: RunHeader::of(run.loaded, run.seed, run.trials),
            question: QuestionJson {
                budget_usd: question.budget_usd,
                objective: objective_json(question.objective, run.loaded),
                candidates: question
                    .candidates
                    .iter()
                    .map(|c| CandidateJson { name: c.name.clone(), cost_usd: c.cost.total_usd(years) })
                    .collect(),
                exhaustive_limit: question.exhaustive_limit,
                max_evaluations: question.max_evaluations,
            },
            search: SearchJson {
                method: match answer.search {
                    Search::Exhaustive => "exhaustive",
                    Search::Heuristic => "heuristic",
                }
                .to_owned(),
                within_budget: answer.within_budget,
                evaluated: answer.evaluated.len(),
                refused: answer
                    .refused
                    .iter()
                    .map(|(m, r)| RefusedJson {
                        members: m.iter().map(|&i| question.candidates[i].name.clone()).collect(),
                        reason: r.clone(),
                    })
                    .collect(),
            },
            baseline: baseline.into(),
            best: portfolio(&answer.evaluated[answer.best], question),
            confirmation: ConfirmationJson {
                seed: question.confirmation_seed,
                baseline: (&answer.confirmation_baseline).into(),
                portfolio: portfolio(&answer.confirmation, question),
            },
            frontier: answer.frontier.iter().map(|&i| portfolio(&answer.evaluated[i], question)).collect(),
            portfolios: answer.evaluated.iter().map(|p| portfolio(p, question)).collect(),
            warnings: warnings(run.loaded),
            value_of_information: None,
        }
    }
}

/// An objective's value in its unit: money, a probability, weeks or units.
pub fn objective_value(x: f64, objective: &ObjectiveJson) -> String {
    match objective.kind.as_str() {
        "loss" => money(x, &objective.unit),
        "short_or_late" => percent(x),
        "max_delay" => format!("{} wk", number(x)),
        _ => number(x),
    }
}

/// A portfolio's members, or "nothing".
pub fn members(p: &PortfolioJson) -> String {
    if p.members.is_empty() { "(nothing)".to_owned() } else { p.members.join(" + ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objectives_read_in_their_units() {
        let o = |kind: &str, unit: &str| ObjectiveJson {
            kind: kind.into(),
            end_use: None,
            unit: unit.into(),
            description: String::new(),
        };
        assert_eq!(objective_value(2.5e9, &o("loss", "USD")), "$2.5B");
        assert_eq!(objective_value(0.031, &o("short_or_late", "probability")), "3.1%");
        assert_eq!(objective_value(12.0, &o("max_delay", "weeks")), "12 wk");
    }
}
