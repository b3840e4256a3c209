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
use chokepoint_engine::Model;
use chokepoint_scenario::{Diagnostics, Setting, VariantError};

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
use crate::scenario_source::{self, OverlayFile, ScenarioText};

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
    let mut loaded = text.parse(&named_settings(&args.settings.set, &[], &[]))?;
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
    let mut build = |values: &[f64]| point_model(&text, &args.settings.set, &keys, values, &applied, &overlay_files);
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
    files.write(SWEEP_CSV_FILE, |w| sweep_files::write_csv(w, &document))?;
    files.write(SWEEP_PARQUET_FILE, |w| sweep_files::write_parquet(w, &document))?;
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

/// A point's value as the text of a setting: whole numbers without a fraction (an integer key takes them), others
/// as Rust writes floats (always valid TOML).
fn value_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x:?}") }
}

/// The `--set` settings (named `--set[N]`) followed by each swept key at its value (named `--vary[N]`).
fn named_settings(set: &[String], keys: &[String], values: &[f64]) -> Vec<Setting> {
    let mut settings = chokepoint_scenario_files::numbered_settings("--set", set);
    settings.extend(
        keys.iter()
            .zip(values)
            .enumerate()
            .map(|(i, (k, v))| Setting::new(format!("--vary[{}]", i + 1), format!("{k}={}", value_text(*v)))),
    );
    settings
}

/// The model of one point: the scenario as read once, parsed again with the `--set` settings and each key at its
/// value, with the overlay files laid over it and the mitigations applied. A key that does not hold a number is
/// refused with the fix.
fn point_model(
    text: &ScenarioText,
    set: &[String],
    keys: &[String],
    values: &[f64],
    applied: &[String],
    overlays: &[OverlayFile],
) -> Result<Model, AnalysisError> {
    let mut loaded =
        text.parse(&named_settings(set, keys, values)).map_err(|d| non_numeric(&d, keys).unwrap_or(refused(d)))?;
    for file in overlays {
        loaded
            .scenario
            .add_overlay(&file.origin, &file.text)
            .map_err(|d| AnalysisError::Variant(VariantError::Invalid(d)))?;
    }
    let names: Vec<&str> = applied.iter().map(String::as_str).collect();
    Ok(loaded.scenario.variant(&names)?)
}

fn refused(d: Diagnostics) -> AnalysisError {
    AnalysisError::Variant(VariantError::Invalid(d))
}

/// A sweep over a key that does not hold a number: the value of a `--vary` was refused for its type.
fn non_numeric(d: &Diagnostics, keys: &[String]) -> Option<AnalysisError> {
    let item = d.items.iter().find(|i| {
        i.origin.as_deref().is_some_and(|o| o.starts_with("--vary["))
            && i.code == "invalid-value"
            && i.message.contains("has the wrong type")
            && !i.message.contains("expected an integer")
    })?;
    let k = item.origin.as_deref().and_then(|o| o.strip_prefix("--vary[")).and_then(|o| o.strip_suffix(']'));
    let key = k.and_then(|n| n.parse::<usize>().ok()).and_then(|n| keys.get(n - 1)).cloned().unwrap_or_default();
    Some(AnalysisError::Question(format!(
        "`{key}` does not hold a number ({}), so it cannot be swept: a sweep varies numeric keys (capacities, \
         stocks, durations, probabilities). To compare other values, run `chokepoint run --set {key}=VALUE` once \
         per value",
        item.message.split_once(": ").map_or(item.message.as_str(), |(_, m)| m)
    )))
}
