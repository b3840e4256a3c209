//! `chokepoint optimize`: the best set of mitigations within a budget, by simulation on common random numbers
//! (the analysis library's `portfolio`), with its efficient frontier and a confirmation on fresh draws.

use std::time::{Instant, SystemTime};

use chokepoint_analysis::evppi::Choice;
use chokepoint_analysis::portfolio::{self, PortfolioQuestion, confirmation_seed, count_within_budget};
use chokepoint_analysis::variants::VariantRunner;

use crate::cli::OptimizeArgs;
use crate::documents::optimize::{OptimizeDocument, OptimizeRun, objective_json};
use crate::documents::run_record::{OptimizeRecord, Timings};
use crate::documents::summary::to_json_text;
use crate::documents::value_of_information::EvppiJson;
use crate::failure::Failure;
use crate::files::optimize::{
    self as optimize_files, OPTIMIZE_JSON_FILE, PORTFOLIOS_CSV_FILE, PORTFOLIOS_PARQUET_FILE,
};
use crate::files::staged::StagedFiles;
use crate::files::tables;
use crate::options::{self, analysis_failure};
use crate::render::progress::{ProgressMode, TrialProgress};
use crate::render::table::{ReportFormat, thousands};
use crate::report::REPORT_FILE;
use crate::value_of_information;

/// The run record of `optimize`.
pub const OPTIMIZE_RUN_FILE: &str = "optimize_run.json";

pub fn optimize(args: &OptimizeArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let started_at = crate::documents::timestamp::rfc3339_utc(SystemTime::now());
    let settings = &args.settings;
    let mut loaded = super::open_scenario(&args.scenario, &args.set)?;
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
    let check = |flag: &str, trials: u64| {
        crate::files::folders::check_memory_of(&scenario.model, flag, trials)
            .map_err(|e| Failure::Usage(format!("{e:#}")))
    };
    check("--trials", settings.trials)?;
    if args.evppi.enabled {
        check("--evppi-trials", args.evppi.trials)?;
        // Its options are known once the frontier is: at most the six best portfolios.
        value_of_information::check_memory(chokepoint_analysis::evppi::PORTFOLIO_CHOICES, &args.evppi)?;
    }
    let objective = crate::metric::resolve(scenario, &args.objective)?;
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
    let (out_dir, folder) = super::output_folder(settings, &scenario.name, "optimize")?;
    let config = settings.run_config();
    let threads = config.threads;
    if settings.progress == ProgressMode::Bar {
        eprintln!(
            "optimize: at most {} portfolio runs × {} trials = {} trials{}",
            thousands(runs),
            thousands(settings.trials),
            thousands(runs * settings.trials),
            if args.evppi.enabled {
                ", then the value of information (its cost once the frontier is known)"
            } else {
                ""
            }
        );
    }
    let progress = TrialProgress::new(settings.trials * runs, settings.progress);
    let record = |done| progress.record(done);
    let mut runner = VariantRunner::new(config, &record);
    let simulation = Instant::now();
    let answer = portfolio::optimize(scenario, &question, &mut runner);
    progress.finish();
    let answer = answer.map_err(analysis_failure)?;
    let simulation_s = simulation.elapsed().as_secs_f64();

    let run = OptimizeRun { loaded: &loaded, overlays: &overlays, seed: settings.seed, trials: settings.trials };
    let mut document = OptimizeDocument::new(run, &question, &answer);
    let mut information_trials = 0;
    if args.evppi.enabled {
        // The choice: the frontier's portfolios within the budget (the six best), on the objective alone.
        let choices = Choice::of_portfolios(&question, &answer);
        let plan = value_of_information::plan(scenario, &choices, &args.evppi)?;
        if settings.progress == ProgressMode::Bar {
            eprintln!("optimize: {}", value_of_information::cost_line(&plan, &args.evppi));
        }
        let progress = TrialProgress::new(plan.trials, settings.progress);
        let record = |done| progress.record(done);
        let result = value_of_information::run(
            &plan,
            scenario,
            question.objective,
            &args.evppi,
            settings.run_config_of(args.evppi.trials),
            &record,
        );
        progress.finish();
        information_trials = plan.trials;
        let metric = objective_json(question.objective, &loaded);
        document.value_of_information =
            Some(EvppiJson::new(&result?, metric, args.evppi.samples, args.evppi.trials, plan.trials, false));
    }
    let json = to_json_text(&document)?;
    let mut files = StagedFiles::new(&out_dir);
    tables::write_text(&mut files, OPTIMIZE_JSON_FILE, &json)?;
    files.write(PORTFOLIOS_CSV_FILE, |w| optimize_files::write_csv(w, &document))?;
    files.write(PORTFOLIOS_PARQUET_FILE, |w| optimize_files::write_parquet(w, &document))?;
    tables::write_text(&mut files, REPORT_FILE, &crate::report::render_optimize_report(&document)?)?;
    let record = OptimizeRecord::new(
        &loaded,
        &overlays,
        settings.seed,
        settings.trials,
        threads,
        started_at,
        Timings { wall_time_s: started.elapsed().as_secs_f64(), simulation_s },
        runner.trials_done() + information_trials,
        vec![OPTIMIZE_JSON_FILE, PORTFOLIOS_CSV_FILE, PORTFOLIOS_PARQUET_FILE, REPORT_FILE, OPTIMIZE_RUN_FILE],
    );
    tables::write_json(&mut files, OPTIMIZE_RUN_FILE, &record)?;
    files.commit()?;
    folder.keep();
    match settings.report {
        ReportFormat::Table => {
            let mut text = crate::render::optimize::render(&document, &out_dir);
            if let Some(v) = &document.value_of_information {
                let at = text.rfind("\nOutputs in ").unwrap_or(text.len());
                text.insert_str(at, &crate::render::value_of_information::render(v));
            }
            super::print_stdout(&text)?;
        }
        ReportFormat::Json => super::print_stdout(&json)?,
    }
    Ok(())
}
