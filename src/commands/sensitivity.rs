//! `chokepoint sensitivity`: which assumptions matter. A tornado (each uncertain parameter at its low and high
//! quantile, on common random numbers) and variance-based Sobol indices with the trial's events as a factor (the
//! analysis library's `tornado` and `sobol`); writes their files and report and prints the tables. `--list` lists
//! the scenario's uncertain parameters and stops.
//!
//! Cost: the tornado runs `(1 + 2k) × trials` trials for `k` parameters; the Sobol design `N × (k + 3)` single
//! trials for `N` base samples and `k` parameters drawn once per trial.

use std::time::{Instant, SystemTime};

use chokepoint_analysis::loss::LossWeights;
use chokepoint_analysis::parameters::{require_some, select};
use chokepoint_analysis::sobol::{self, SobolQuestion};
use chokepoint_analysis::tornado::{self, TornadoQuestion};
use chokepoint_analysis::variants::VariantRunner;
use chokepoint_scenario::{Parameter, Scope};

use crate::cli::MAX_TRIALS;
use crate::cli::study::{Method, SensitivityArgs};
use crate::documents::header::RunHeader;
use crate::documents::optimize::objective_json;
use crate::documents::run_record::{OptimizeRecord, Timings};
use crate::documents::sensitivity::{SensitivityDocument, SobolJson, TornadoJson};
use crate::documents::study::{ParameterJson, study_scenario};
use crate::documents::summary::{to_json_text, warnings};
use crate::failure::Failure;
use crate::files::sensitivity::{
    self as sensitivity_files, SENSITIVITY_JSON_FILE, SOBOL_CSV_FILE, SOBOL_PARQUET_FILE, TORNADO_CSV_FILE,
    TORNADO_PARQUET_FILE,
};
use crate::files::staged::StagedFiles;
use crate::files::tables::{self, Origin};
use crate::options::{self, analysis_failure};
use crate::render::progress::{ProgressMode, TrialProgress};
use crate::render::table::{ReportFormat, thousands};
use crate::report::REPORT_FILE;

/// The run record of `sensitivity`.
pub const SENSITIVITY_RUN_FILE: &str = "sensitivity_run.json";

pub fn sensitivity(args: &SensitivityArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let started_at = crate::documents::timestamp::rfc3339_utc(SystemTime::now());
    let settings = &args.settings.trials;
    let mut loaded = super::open_scenario(&args.scenario, &args.settings.set)?;
    let (specs, overlays) = options::resolve(&mut loaded.scenario, &args.settings.mitigations, false)?;
    loaded.apply(specs.into_iter().map(|s| s.name).collect()).map_err(options::variant_failure)?;
    let scenario = &loaded.scenario;
    let describe = |p: &Parameter| ParameterJson::of(p, scenario.uncertainty.is_knowledge(p));
    if args.list {
        let listed: Vec<ParameterJson> =
            scenario.parameters.iter().filter(|p| p.is_uncertain()).map(describe).collect();
        return Ok(super::print_stdout(&crate::render::sensitivity::render_list(&scenario.name, &listed))?);
    }
    let chosen = select(&scenario.parameters, &args.params).map_err(analysis_failure)?;
    require_some(&chosen, &scenario.name).map_err(analysis_failure)?;
    let metric = crate::metric::resolve(scenario, &args.metric)?;
    // Sobol factors are drawn once per trial; parameters drawn per event belong to the trial's events.
    let factors: Vec<&Parameter> = chosen.iter().copied().filter(|p| p.scope == Scope::Trial).collect();
    let in_events: Vec<String> = chosen.iter().filter(|p| p.scope == Scope::Event).map(|p| p.key.clone()).collect();
    let (run_tornado, run_sobol) = match args.method {
        Method::Tornado => (true, false),
        Method::Sobol => (false, true),
        Method::Both => (true, true),
    };
    let tornado_trials = if run_tornado { tornado::trials(&chosen, settings.trials) } else { 0 };
    let sobol_trials = if run_sobol { sobol::trials(factors.len(), args.samples) } else { 0 };
    let total = tornado_trials + sobol_trials;

    if run_tornado {
        crate::files::folders::check_memory(&scenario.model, settings.trials)
            .map_err(|e| Failure::Usage(format!("{e:#}")))?;
    }
    if run_sobol {
        check_sobol(factors.len(), args.samples, args.bootstrap)?;
    }
    let (out_dir, folder) = super::output_folder(settings, &scenario.name, "sensitivity")?;
    if settings.progress == ProgressMode::Bar {
        let mut parts = Vec::new();
        if run_tornado {
            let medians = chosen.iter().filter(|p| p.shares_stream()).count();
            parts.push(format!(
                "tornado (1 + 2 × {} parameters + {medians} medians) × {} trials = {}",
                chosen.len(),
                thousands(settings.trials),
                thousands(tornado_trials)
            ));
        }
        if run_sobol {
            parts.push(format!(
                "Sobol {} samples × ({} parameters + 3) = {}",
                thousands(args.samples as u64),
                factors.len(),
                thousands(sobol_trials)
            ));
        }
        eprintln!("sensitivity: {} · {} trials in all", parts.join(" · "), thousands(total));
    }
    let config = settings.run_config();
    let threads = config.threads;
    let progress = TrialProgress::new(total, settings.progress);
    let weights = LossWeights::of(scenario);
    let simulation = Instant::now();
    let mut trials_run = 0;
    let tornado_answer = if run_tornado {
        let record = |done| progress.record(done);
        let mut runner = VariantRunner::new(config, &record);
        let question = TornadoQuestion { metric, low_quantile: args.quantiles.0, high_quantile: args.quantiles.1 };
        let answer = tornado::tornado(&scenario.model, &chosen, &question, &weights, &mut runner);
        trials_run += runner.trials_done();
        let answer = answer.map_err(|e| {
            progress.finish();
            analysis_failure(e)
        })?;
        Some(answer)
    } else {
        None
    };
    let sobol_answer = if run_sobol {
        let offset = tornado_trials;
        let record = |done| progress.record(offset + done);
        let question = SobolQuestion {
            metric,
            base_samples: args.samples,
            bootstrap: args.bootstrap,
            seed: settings.seed,
            threads,
        };
        let answer = sobol::sobol(&scenario.model, &factors, &question, &weights, &record);
        let answer = answer.map_err(|e| {
            progress.finish();
            analysis_failure(e)
        })?;
        trials_run += answer.evaluations;
        Some(answer)
    } else {
        None
    };
    let tornado = tornado_answer.as_ref().map(|a| TornadoJson::new(a, args.quantiles.0, args.quantiles.1));
    let sobol = sobol_answer.as_ref().map(|a| SobolJson::new(a, args.samples, args.bootstrap, in_events));
    progress.finish();
    let simulation_s = simulation.elapsed().as_secs_f64();

    let document = SensitivityDocument {
        schema_version: crate::documents::summary::SCHEMA_VERSION,
        tool: crate::documents::summary::Tool::this(),
        scenario: study_scenario(&loaded, &overlays),
        run: RunHeader::of(&loaded, settings.seed, settings.trials),
        metric: objective_json(metric, &loaded),
        parameters: chosen.iter().map(|p| describe(p)).collect(),
        tornado,
        sobol,
        warnings: warnings(&loaded),
    };
    let json = to_json_text(&document)?;
    let mut files = StagedFiles::new(&out_dir);
    let mut written = vec![SENSITIVITY_JSON_FILE];
    let origin = Origin::of(&document.scenario, &document.run);
    tables::write_text(&mut files, SENSITIVITY_JSON_FILE, &json)?;
    if let Some(t) = &tornado_answer {
        files.write(TORNADO_CSV_FILE, |w| sensitivity_files::write_tornado_csv(w, t))?;
        files.write(TORNADO_PARQUET_FILE, |w| sensitivity_files::write_tornado_parquet(w, t, origin))?;
        written.extend([TORNADO_CSV_FILE, TORNADO_PARQUET_FILE]);
    }
    if let Some(s) = &sobol_answer {
        files.write(SOBOL_CSV_FILE, |w| sensitivity_files::write_sobol_csv(w, s))?;
        files.write(SOBOL_PARQUET_FILE, |w| sensitivity_files::write_sobol_parquet(w, s, origin))?;
        written.extend([SOBOL_CSV_FILE, SOBOL_PARQUET_FILE]);
    }
    tables::write_text(&mut files, REPORT_FILE, &crate::report::render_sensitivity_report(&document)?)?;
    written.extend([REPORT_FILE, SENSITIVITY_RUN_FILE]);
    let record = OptimizeRecord::new(
        &loaded,
        &overlays,
        settings.seed,
        settings.trials,
        threads,
        started_at,
        Timings { wall_time_s: started.elapsed().as_secs_f64(), simulation_s },
        trials_run,
        written,
    );
    tables::write_json(&mut files, SENSITIVITY_RUN_FILE, &record)?;
    files.commit()?;
    folder.keep();
    match settings.report {
        ReportFormat::Table => {
            super::print_stdout(&crate::render::sensitivity::render(&document, &out_dir, settings.width))?;
        }
        ReportFormat::Json => super::print_stdout(&json)?,
    }
    Ok(())
}

/// Refuses, before anything runs, a Sobol design of `factors` parameters and `samples` base samples that would run
/// more than [`MAX_TRIALS`] trials, or whose values (with `bootstrap` resamples) would not fit in memory.
fn check_sobol(factors: usize, samples: usize, bootstrap: usize) -> Result<(), Failure> {
    let trials = sobol::trials(factors, samples);
    if trials > MAX_TRIALS {
        let fits = MAX_TRIALS / (factors as u64).saturating_add(3);
        let fix = if fits >= 2 {
            format!("give `--samples {fits}` or fewer, or fewer parameters with `--param`")
        } else {
            "give fewer parameters with `--param`".to_owned()
        };
        let count = if trials == u64::MAX { String::new() } else { format!(" = {}", thousands(trials)) };
        return Err(Failure::Usage(format!(
            "`--samples {samples}` with {factors} parameters makes a Sobol design of {samples} × ({factors} + \
             3){count} trials, more than the {} allowed: {fix}",
            thousands(MAX_TRIALS)
        )));
    }
    let bytes = sobol::memory_bytes(factors, samples, bootstrap);
    let what =
        format!("the Sobol design of {factors} parameters with `--samples {samples}` and `--bootstrap {bootstrap}`");
    crate::files::folders::check_bytes(
        bytes,
        &what,
        "give fewer `--samples` or `--bootstrap`, or fewer parameters with `--param`",
    )
    .map_err(|e| Failure::Usage(format!("{e:#}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Sobol design's trials and memory were not checked: `--samples` of 10^12 grew memory without bound.
    #[test]
    fn a_sobol_design_beyond_the_limits_is_refused_naming_the_fix() {
        assert!(check_sobol(10, 256, 200).is_ok());
        assert!(check_sobol(97, 300_000, 200).is_ok(), "30,000,000 trials");
        // 100,000,000 trials, the most, but every trial's job and result are held (some 240 bytes).
        let Err(Failure::Usage(e)) = check_sobol(97, 1_000_000, 200) else { panic!("too much memory") };
        assert!(e.contains("`--samples 1000000` and `--bootstrap 200` would need"), "{e}");
        let Err(Failure::Usage(e)) = check_sobol(98, 1_000_000, 200) else { panic!("too many trials") };
        assert!(e.contains("1000000 × (98 + 3) = 101,000,000 trials") && e.contains("`--samples 990099`"), "{e}");
        let Err(Failure::Usage(e)) = check_sobol(usize::MAX, 2, 200) else { panic!("overflow") };
        assert!(e.contains("give fewer parameters with `--param`"), "{e}");
        // Few trials, but every bootstrap resample keeps two indices of every parameter.
        let Err(Failure::Usage(e)) = check_sobol(400_000, 2, 10_000) else { panic!("too much memory") };
        assert!(e.contains("`--bootstrap 10000` would need") && e.contains("limit of 8 GiB"), "{e}");
    }
}
