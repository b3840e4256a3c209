//! `chokepoint sweep`: the scenario at every point of a grid (or a zipped list) of values of some of its keys, each
//! point set like `--set KEY=VALUE` (named `--vary[N]` in messages) and run on the same seed and trials (the
//! analysis library's `sweep`); writes the sweep's files and report and prints its table.
//!
//! Cost: one run of the trials per point, the points one after the other (each run uses every worker thread).

use std::path::Path;
use std::time::{Instant, SystemTime};

use chokepoint_analysis::AnalysisError;
use chokepoint_analysis::loss::LossWeights;
use chokepoint_analysis::sweep;
use chokepoint_analysis::variants::VariantRunner;
use chokepoint_scenario::VariantError;
use chokepoint_scenario_files::sweep::{PointError, SweepScenario};

use crate::cli::study::SweepArgs;
use crate::documents::run_record::{OptimizeRecord, Timings};
use crate::documents::summary::to_json_text;
use crate::documents::sweep::{SweepDocument, SweepRun};
use crate::failure::Failure;
use crate::files::staged::StagedFiles;
use crate::files::sweep::{self as sweep_files, SWEEP_CSV_FILE, SWEEP_JSON_FILE, SWEEP_PARQUET_FILE};
use crate::files::tables;
use crate::options::{self, analysis_failure};
use crate::render::progress::TrialProgress;
use crate::render::table::{ReportFormat, thousands};
use crate::report::REPORT_FILE;
use crate::scenario_source;

/// The run record of `sweep`.
pub const SWEEP_RUN_FILE: &str = "sweep_run.json";

pub fn sweep(args: &SweepArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let started_at = crate::documents::timestamp::rfc3339_utc(SystemTime::now());
    let settings = &args.settings.trials;
    if let Some(message) = args.repeated_key() {
        return Err(Failure::Usage(message));
    }
    let text = scenario_source::read(&args.scenario)?;
    let mut loaded = text.parse(&chokepoint_scenario_files::numbered_settings("--set", &args.settings.set))?;
    super::print_warnings(&loaded);
    let (specs, overlays) = options::resolve(&mut loaded.scenario, &args.settings.mitigations, false)?;
    let applied: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
    loaded.applied.clone_from(&applied);
    let metrics =
        args.metrics.iter().map(|m| crate::metric::resolve(&loaded.scenario, m)).collect::<Result<Vec<_>, _>>()?;
    let axes: Vec<Vec<f64>> = args.axes.iter().map(|a| a.values.clone()).collect();
    let points = sweep::points(&axes, args.zip).map_err(analysis_failure)?;
    let keys: Vec<String> = args.axes.iter().map(|a| a.key.clone()).collect();

    crate::files::folders::check_memory(&loaded.scenario.model, settings.trials)
        .map_err(|e| Failure::Usage(format!("{e:#}")))?;
    let (out_dir, folder) = super::output_folder(settings, &loaded.scenario.name, "sweep")?;
    let config = settings.run_config();
    let threads = config.threads;
    let total = points.len() as u64 * settings.trials;
    if settings.progress == crate::render::progress::ProgressMode::Bar {
        eprintln!(
            "sweep: {} points × {} trials = {} trials",
            thousands(points.len() as u64),
            thousands(settings.trials),
            thousands(total)
        );
    }
    let progress = TrialProgress::new(total, settings.progress);
    let record = |done| progress.record(done);
    let mut runner = VariantRunner::new(config, &record);
    let weights = LossWeights::of(&loaded.scenario);
    let overlay_files =
        overlays.iter().map(|o| scenario_source::read_overlay(Path::new(&o.origin))).collect::<Result<Vec<_>, _>>()?;
    let points_of = SweepScenario {
        text,
        settings: chokepoint_scenario_files::numbered_settings("--set", &args.settings.set),
        keys: keys.clone(),
        vary_name: "--vary".to_owned(),
        overlays: overlay_files,
        applied: applied.clone(),
    };
    let mut build = |values: &[f64]| points_of.model_at(values).map_err(point_failure);
    let simulation = Instant::now();
    let answer = sweep::sweep(&points, &mut build, &weights, &mut runner);
    progress.finish();
    let answer = answer.map_err(analysis_failure)?;
    let simulation_s = simulation.elapsed().as_secs_f64();

    let run = SweepRun {
        loaded: &loaded,
        overlays: &overlays,
        seed: settings.seed,
        trials: settings.trials,
        keys: &keys,
        zip: args.zip,
    };
    let document = SweepDocument::new(run, &answer, &metrics);
    let json = to_json_text(&document)?;
    let mut files = StagedFiles::new(&out_dir);
    tables::write_text(&mut files, SWEEP_JSON_FILE, &json)?;
    files.write(SWEEP_CSV_FILE, |w| sweep_files::write_csv(w, &document, &answer))?;
    files.write(SWEEP_PARQUET_FILE, |w| sweep_files::write_parquet(w, &document, &answer))?;
    tables::write_text(&mut files, REPORT_FILE, &crate::report::render_sweep_report(&document)?)?;
    let record = OptimizeRecord::new(
        &loaded,
        &overlays,
        settings.seed,
        settings.trials,
        threads,
        started_at,
        Timings { wall_time_s: started.elapsed().as_secs_f64(), simulation_s },
        runner.trials_done(),
        vec![SWEEP_JSON_FILE, SWEEP_CSV_FILE, SWEEP_PARQUET_FILE, REPORT_FILE, SWEEP_RUN_FILE],
    );
    tables::write_json(&mut files, SWEEP_RUN_FILE, &record)?;
    files.commit()?;
    folder.keep();
    match settings.report {
        ReportFormat::Table => super::print_stdout(&crate::render::sweep::render(&document, &out_dir, settings.width))?,
        ReportFormat::Json => super::print_stdout(&json)?,
    }
    Ok(())
}

/// A point that could not be built, as the analysis reports it: a key that holds no number, with the command that
/// does what the user may have meant.
fn point_failure(e: PointError) -> AnalysisError {
    match e {
        PointError::NotANumber { key, reason } => AnalysisError::Question(format!(
            "`{key}` does not hold a number ({reason}), so it cannot be swept: a sweep varies numeric keys \
             (capacities, stocks, durations, probabilities). To compare other values, run `chokepoint run --set \
             {key}=VALUE` once per value"
        )),
        PointError::Invalid(d) => AnalysisError::Variant(VariantError::Invalid(d)),
        PointError::Variant(v) => AnalysisError::Variant(v),
    }
}
