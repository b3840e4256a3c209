//! The value of information of a choice (`compare --evppi`, `optimize --evppi`): the analysis library's plan with
//! the CLI's words for what cannot be planned, its cost line, and its run on the command's seed.

use chokepoint_analysis::evppi::{Choice, EvppiAnswer, EvppiPlan, EvppiQuestion, PlanError};
use chokepoint_analysis::loss::LossWeights;
use chokepoint_analysis::portfolio::Objective;
use chokepoint_analysis::variants::VariantRunner;
use chokepoint_engine::RunConfig;
use chokepoint_scenario::Scenario;

use crate::cli::MAX_TRIALS;
use crate::cli::study::EvppiArgs;
use crate::failure::Failure;
use crate::options::analysis_failure;
use crate::render::table::thousands;

/// The plan of a value-of-information run and the trials it takes.
pub struct Plan {
    plan: EvppiPlan,
    /// Trials it runs.
    pub trials: u64,
}

/// Builds the options' models and finds the parameters to value. Refuses a choice without parameters to value,
/// naming the fix.
pub fn plan(scenario: &Scenario, choices: &[Choice], args: &EvppiArgs) -> Result<Plan, Failure> {
    let plan = EvppiPlan::new(scenario, choices, &args.params).map_err(|e| match e {
        PlanError::Variant(v) => crate::options::variant_failure(v),
        PlanError::NothingToValue => Failure::Usage(
            "`--evppi` values the knowledge parameters of the scenario, and it lists none: name parameters with \
             `--evppi-param KEY` (a key path or a pattern such as `stages.*.inventory_weeks.initial`), or list them \
             in `[uncertainty] knowledge`"
                .to_owned(),
        ),
        PlanError::Unmatched { pattern } => Failure::Usage(format!(
            "`--evppi-param {pattern}` matches no uncertain parameter drawn once per trial in the scenario or the \
             options; `chokepoint sensitivity SCENARIO --list` lists them"
        )),
    })?;
    let trials = plan.trials(args.samples, args.trials);
    if trials > MAX_TRIALS {
        let count = if trials == u64::MAX { String::new() } else { format!("{} ", thousands(trials)) };
        return Err(Failure::Usage(format!(
            "the value of information would run {count}trials ({} parameters × `--evppi-samples {}` × the options \
             they reach × `--evppi-trials {}`, and one run per option), more than the {} allowed: give fewer \
             `--evppi-samples` or `--evppi-trials`, or fewer parameters with `--evppi-param`",
            plan.keys.len(),
            args.samples,
            args.trials,
            thousands(MAX_TRIALS)
        )));
    }
    check_memory(plan.options.len(), args)?;
    Ok(Plan { plan, trials })
}

/// Refuses, before anything runs, a value of information among `options` options whose per-trial values (every
/// option's at every outer sample) would not fit in memory: checked once the options are known, and by `optimize`
/// before its search too, for the most options its choice can have.
pub fn check_memory(options: usize, args: &EvppiArgs) -> Result<(), Failure> {
    let bytes = chokepoint_analysis::evppi::memory_bytes(options, args.samples, args.trials, BOOTSTRAP);
    let what = format!(
        "the value of information among {options} options with `--evppi-samples {}` and `--evppi-trials {}`",
        args.samples, args.trials
    );
    crate::files::folders::check_bytes(bytes, &what, "give fewer `--evppi-samples` or `--evppi-trials`")
        .map_err(|e| Failure::Usage(format!("{e:#}")))
}

/// Bootstrap resamples of the value of information's intervals.
const BOOTSTRAP: usize = 200;

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
    let question = EvppiQuestion { metric, outer: args.samples, bootstrap: BOOTSTRAP, seed };
    plan.plan.run(&question, &LossWeights::of(scenario), &mut runner).map_err(analysis_failure)
}

/// The cost line printed before a value-of-information run.
pub fn cost_line(plan: &Plan, args: &EvppiArgs) -> String {
    format!(
        "value of information: {} parameters × {} outer samples × the options they reach × {} trials, and one run \
         per option = {} trials",
        plan.plan.keys.len(),
        args.samples,
        thousands(args.trials),
        thousands(plan.trials)
    )
}
