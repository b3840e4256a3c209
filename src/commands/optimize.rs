//! `chokepoint optimize`: the best set of mitigations within a budget, by simulation on common random numbers
//! (the analysis library's `portfolio`), with its efficient frontier and a confirmation on fresh draws.

use std::path::Path;
use std::time::{Instant, SystemTime};

use chokepoint_analysis::portfolio::{self, Objective, PortfolioQuestion, count_within_budget};
use chokepoint_analysis::variants::VariantRunner;
use chokepoint_engine::RunConfig;
use chokepoint_engine::rng::splitmix64;
use chokepoint_scenario::Scenario;

use crate::cli::{ObjectiveArg, OptimizeArgs};
use crate::failure::Failure;
use crate::optimize_output::{
    self, OPTIMIZE_JSON_FILE, OptimizeDocument, OptimizeRun, PORTFOLIOS_CSV_FILE, PORTFOLIOS_PARQUET_FILE,
};
use crate::options::{self, analysis_failure};
use crate::output;
use crate::output_paths::OutputFolder;
use crate::progress::TrialProgress;
use crate::report::REPORT_FILE;
use crate::run_record::{OptimizeRecord, Timings};
use crate::scenario_source;
use crate::staged_files::StagedFiles;
use crate::summary_json::to_json_text;
use crate::table::ReportFormat;

/// The run record of `optimize`.
pub const OPTIMIZE_RUN_FILE: &str = "optimize_run.json";

pub fn optimize(args: &OptimizeArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let started_at = crate::timestamp::rfc3339_utc(SystemTime::now());
    let settings = &args.settings;
    let mut loaded = scenario_source::load(&args.scenario)?;
    super::print_warnings(&loaded);
    let all = args.candidates.is_empty();
    let (mut candidates, overlays) = options::resolve(&mut loaded.scenario, &args.candidates, all)?;
    if all {
        // By default the candidates are the mitigations; packages are combinations the search makes itself.
        candidates.retain(|c| matches!(c.kind, chokepoint_analysis::comparison::OptionKind::Mitigation { .. }));
    }
    if candidates.is_empty() {
        return Err(Failure::Usage(format!(
            "scenario `{}` has no mitigation to choose from; name some with `--mitigation NAME` or add a file of \
             them with `--mitigation FILE`",
            loaded.scenario.name
        )));
    }
    let scenario = &loaded.scenario;
    let objective = objective(scenario, &args.objective)?;
    let question = PortfolioQuestion {
        candidates,
        budget_usd: args.budget_usd,
        objective,
        exhaustive_limit: args.exhaustive_limit,
        max_evaluations: args.max_evaluations.max(1),
        confirmation_seed: confirmation_seed(settings.seed),
    };
    let years = scenario.horizon_years();
    let costs: Vec<f64> = question.candidates.iter().map(|c| c.cost.total_usd(years)).collect();
    let runs = match count_within_budget(&costs, question.budget_usd) {
        Some(n) if n as usize <= question.exhaustive_limit.max(1) => n,
        _ => question.max_evaluations as u64,
    } + 2;
    let out_dir = settings.out.clone().unwrap_or_else(|| Path::new("out").join(&scenario.name).join("optimize"));
    let folder = OutputFolder::create(&out_dir)?;
    let threads = settings.threads.resolve();
    let config = RunConfig { trials: settings.trials, seed: settings.seed, threads, bands: false, first_trial: 0 };
    let progress = TrialProgress::new(settings.trials * runs, settings.progress);
    let record = |done| progress.record(done);
    let mut runner = VariantRunner::new(config, &record);
    let simulation = Instant::now();
    let answer = portfolio::optimize(scenario, &question, &mut runner);
    progress.finish();
    let answer = answer.map_err(analysis_failure)?;
    let simulation_s = simulation.elapsed().as_secs_f64();

    let run = OptimizeRun { loaded: &loaded, overlays: &overlays, seed: settings.seed, trials: settings.trials };
    let document = OptimizeDocument::new(run, &question, &answer);
    let json = to_json_text(&document)?;
    let mut files = StagedFiles::new(&out_dir);
    output::write_text(&mut files, OPTIMIZE_JSON_FILE, &json)?;
    files.write(PORTFOLIOS_CSV_FILE, |w| optimize_output::write_csv(w, &document))?;
    files.write(PORTFOLIOS_PARQUET_FILE, |w| optimize_output::write_parquet(w, &document))?;
    output::write_text(&mut files, REPORT_FILE, &crate::report::render_optimize_report(&document)?)?;
    let record = OptimizeRecord::new(
        &loaded,
        &overlays,
        settings.seed,
        settings.trials,
        threads,
        started_at,
        Timings { wall_time_s: started.elapsed().as_secs_f64(), simulation_s },
        runner.trials_done(),
        vec![OPTIMIZE_JSON_FILE, PORTFOLIOS_CSV_FILE, PORTFOLIOS_PARQUET_FILE, REPORT_FILE, OPTIMIZE_RUN_FILE],
    );
    output::write_json(&mut files, OPTIMIZE_RUN_FILE, &record)?;
    files.commit()?;
    folder.keep();
    match settings.report {
        ReportFormat::Table => super::print_stdout(&optimize_output::render(&document, &out_dir))?,
        ReportFormat::Json => super::print_stdout(&json)?,
    }
    Ok(())
}

/// The seed of the confirmation run: a fresh stream family derived from the search's seed (documented).
pub fn confirmation_seed(seed: u64) -> u64 {
    splitmix64(seed ^ 0x636f_6e66_6972_6d21)
}

/// Resolves the objective's end use.
fn objective(scenario: &Scenario, arg: &ObjectiveArg) -> Result<Objective, Failure> {
    let spec = scenario.model.spec();
    let end_use = |name: &str| {
        spec.end_uses.iter().position(|e| e.name == name).ok_or_else(|| {
            let names: Vec<&str> = spec.end_uses.iter().map(|e| e.name.as_str()).collect();
            let suggestion = chokepoint_scenario::did_you_mean(name, names.iter().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            Failure::Usage(format!(
                "the objective names end use `{name}`, which the scenario does not define{suggestion}; it has {}",
                names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
            ))
        })
    };
    Ok(match arg {
        ObjectiveArg::Loss => Objective::Loss,
        ObjectiveArg::ShortOrLate(e) => Objective::ShortOrLate { end_use: end_use(e)? },
        ObjectiveArg::MaxDelay(e) => {
            let index = end_use(e)?;
            if spec.end_uses[index].unmet != chokepoint_engine::Unmet::Backlog {
                return Err(Failure::Usage(format!(
                    "end use `{e}` loses the demand it cannot meet, so none of it is late: use `short:{e}` or \
                     `units-short:{e}`"
                )));
            }
            Objective::MaxDelay { end_use: index }
        }
        ObjectiveArg::UnitsShort(e) => Objective::UnitsShort { end_use: end_use(e)? },
    })
}
