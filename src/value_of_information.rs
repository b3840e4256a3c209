//! The value of information of a choice (`compare --evppi`, `optimize --evppi`): which parameters to value (the
//! `--evppi-param` patterns, else the scenario's knowledge parameters), the run of the analysis library's two-level
//! sampler, its section of `compare.json` and `optimize.json` (`value_of_information`), and its table.

use chokepoint_analysis::evppi::{self, DecisionOption, EvppiAnswer, EvppiQuestion};
use chokepoint_analysis::loss::LossWeights;
use chokepoint_analysis::portfolio::Objective;
use chokepoint_analysis::variants::VariantRunner;
use chokepoint_engine::RunConfig;
use chokepoint_scenario::{Scenario, can_be_knowledge, key_matches};
use serde::{Deserialize, Serialize};

use crate::cli::study::EvppiArgs;
use crate::documents::optimize::{ObjectiveJson, objective_value};
use crate::documents::summary::nan_if_null;
use crate::failure::Failure;
use crate::options::analysis_failure;
use crate::render::table::{Align, Grid, TERMINAL_COLUMNS, percent, thousands, wrap};

/// The `value_of_information` section of `compare.json` and `optimize.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvppiJson {
    /// The metric the choice minimises.
    pub metric: ObjectiveJson,
    /// Whether each option's cost over the horizon is added to its mean loss (the metric is the loss in US
    /// dollars and the options have costs: a comparison).
    pub net_of_cost: bool,
    pub outer_samples: usize,
    /// Trials per option and outer sample (the run's seed).
    pub trials_per_run: u64,
    pub bootstrap: usize,
    /// Trials run in all.
    pub trials: u64,
    pub options: Vec<EvppiOptionJson>,
    /// The option chosen on current information.
    pub best: String,
    /// The parameters, most valuable first.
    pub parameters: Vec<EvppiParameterJson>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvppiOptionJson {
    pub name: String,
    /// Its mean metric with every parameter drawn as usual, plus its cost when net of cost.
    #[serde(deserialize_with = "nan_if_null")]
    pub expected: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvppiParameterJson {
    pub key: String,
    pub unit: String,
    /// The expected value of perfect information about the parameter, in the metric's unit.
    #[serde(deserialize_with = "nan_if_null")]
    pub evppi: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub ci95_low: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub ci95_high: f64,
    /// The bootstrap estimate of the estimator's upward bias.
    #[serde(deserialize_with = "nan_if_null")]
    pub bias: f64,
    /// The share of outer samples in which knowing the parameter changes the best option.
    pub switch_share: f64,
    /// The outer values, in the key's unit, and the best option for each.
    pub outer_values: Vec<f64>,
    pub best_by_sample: Vec<String>,
}

/// The options of a choice, before their models are built: a name, the mitigations applied, and what is added to
/// the metric (a cost).
#[derive(Debug, Clone)]
pub struct Choice {
    pub name: String,
    pub mitigations: Vec<String>,
    pub added: f64,
}

/// The plan of a value-of-information run: the options with their models, the keys to value, and its cost.
pub struct Plan {
    options: Vec<DecisionOption>,
    keys: Vec<String>,
    /// Trials it runs.
    pub trials: u64,
}

/// Builds the options' models and finds the parameters to value. Refuses a choice without parameters to value,
/// naming the fix.
pub fn plan(scenario: &Scenario, choices: &[Choice], args: &EvppiArgs) -> Result<Plan, Failure> {
    let mut options = Vec::with_capacity(choices.len());
    for c in choices {
        let names: Vec<&str> = c.mitigations.iter().map(String::as_str).collect();
        let (model, parameters) = scenario.variant_parameters(&names).map_err(crate::options::variant_failure)?;
        options.push(DecisionOption { name: c.name.clone(), model, parameters, added: c.added });
    }
    let patterns: Vec<String> =
        if args.params.is_empty() { scenario.uncertainty.knowledge.clone() } else { args.params.clone() };
    if patterns.is_empty() {
        return Err(Failure::Usage(
            "`--evppi` values the knowledge parameters of the scenario, and it lists none: name parameters with \
             `--evppi-param KEY` (a key path or a pattern such as `stages.*.inventory_weeks.initial`), or list them \
             in `[uncertainty] knowledge`"
                .to_owned(),
        ));
    }
    let mut keys: Vec<String> = Vec::new();
    for pattern in &patterns {
        let mut matched = false;
        for o in &options {
            for p in o.parameters.iter().filter(|p| can_be_knowledge(p) && key_matches(pattern, &p.key)) {
                matched = true;
                if !keys.contains(&p.key) {
                    keys.push(p.key.clone());
                }
            }
        }
        if !matched {
            return Err(Failure::Usage(format!(
                "`--evppi-param {pattern}` matches no uncertain parameter drawn once per trial in the scenario or the \
                 options; `chokepoint sensitivity SCENARIO --list` lists them"
            )));
        }
    }
    let per_key: Vec<usize> =
        keys.iter().map(|k| options.iter().filter(|o| o.parameters.iter().any(|p| p.key == *k)).count()).collect();
    let trials = evppi::trials(&per_key, options.len(), args.samples, args.trials);
    Ok(Plan { options, keys, trials })
}

/// Runs the plan with `config` (`--evppi-trials` trials on the command's seed), counting trials into `progress`.
pub fn run(
    plan: &Plan,
    scenario: &Scenario,
    metric: Objective,
    args: &EvppiArgs,
    config: RunConfig,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<EvppiAnswer, Failure> {
    let seed = config.seed;
    let mut runner = VariantRunner::new(config, progress);
    let question = EvppiQuestion { metric, outer: args.samples, bootstrap: 200, seed };
    evppi::evppi(&plan.options, &plan.keys, &question, &LossWeights::of(scenario), &mut runner)
        .map_err(analysis_failure)
}

impl EvppiJson {
    pub fn new(answer: &EvppiAnswer, metric: ObjectiveJson, args: &EvppiArgs, trials: u64, net_of_cost: bool) -> Self {
        Self {
            metric,
            net_of_cost,
            outer_samples: args.samples,
            trials_per_run: args.trials,
            bootstrap: 200,
            trials,
            options: answer
                .options
                .iter()
                .zip(&answer.expected)
                .map(|(name, &expected)| EvppiOptionJson { name: name.clone(), expected })
                .collect(),
            best: answer.options[answer.best].clone(),
            parameters: answer
                .parameters
                .iter()
                .map(|p| EvppiParameterJson {
                    key: p.key.clone(),
                    unit: p.unit.clone(),
                    evppi: p.evppi,
                    ci95_low: p.ci95_low,
                    ci95_high: p.ci95_high,
                    bias: p.bias,
                    switch_share: p.switch_share,
                    outer_values: p.outer_values.clone(),
                    best_by_sample: p.best_by_sample.iter().map(|&b| answer.options[b].clone()).collect(),
                })
                .collect(),
        }
    }
}

/// The cost line printed before a value-of-information run.
pub fn cost_line(plan: &Plan, args: &EvppiArgs) -> String {
    format!(
        "value of information: {} parameters × {} outer samples × the options they reach × {} trials, and one run \
         per option = {} trials",
        plan.keys.len(),
        args.samples,
        thousands(args.trials),
        thousands(plan.trials)
    )
}

/// The terminal table.
pub fn render(v: &EvppiJson) -> String {
    let value = |x: f64| objective_value(x, &v.metric);
    let mut text = String::new();
    text.push('\n');
    text.push_str(&wrap(
        &format!(
            "Value of information: choosing among {} on {}{}, {} is best on what we know. What would knowing one \
             parameter before choosing be worth on average (EVPPI; {} outer samples × {} trials per option):",
            v.options.iter().map(|o| o.name.as_str()).collect::<Vec<_>>().join(", "),
            v.metric.description,
            if v.net_of_cost { " plus cost" } else { "" },
            v.best,
            v.outer_samples,
            thousands(v.trials_per_run)
        ),
        TERMINAL_COLUMNS,
    ));
    let mut grid = Grid::new(&[
        ("parameter", Align::Left),
        ("EVPPI [95% CI]", Align::Right),
        ("bias", Align::Right),
        ("choice changes", Align::Right),
    ]);
    for p in &v.parameters {
        grid.row(vec![
            crate::documents::study::fit_key(&p.key, 48),
            format!("{} [{}, {}]", value(p.evppi), value(p.ci95_low.max(0.0)), value(p.ci95_high)),
            value(p.bias),
            percent(p.switch_share),
        ]);
    }
    text.push_str(&grid.render());
    text.push_str(&wrap(
        "Bias: the bootstrap estimate of the estimator's upward bias; a value within it of zero is not worth \
         researching on this evidence. Choice changes: the share of outer samples in which another option is best.",
        TERMINAL_COLUMNS,
    ));
    text
}
