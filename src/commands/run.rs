//! `chokepoint run`: simulate the trials of a scenario, write every output file, print the report.

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use anyhow::Context;
use chokepoint_engine::RunConfig;
use chokepoint_engine::report::summarize_run;

use crate::cli::{OptionArg, RunArgs};
use crate::failure::Failure;
use crate::options;
use crate::output::{
    self, BACKLOG_BANDS_FILE, BANDS_FILE, RUN_JSON_FILE, STAGE_LOSSES_FILE, SUMMARY_CSV_FILE, SUMMARY_JSON_FILE,
    TRIALS_FILE,
};
use crate::progress::TrialProgress;
use crate::report::{self, GRAPH_JSON_FILE, GraphDocument, REPORT_FILE, ReportData};
use crate::run_record::{RunRecord, Settings, Timings};
use crate::scenario_source::{self, LoadedScenario};
use crate::staged_files::StagedFiles;
use crate::summary_json::{SummaryDocument, TrialLosses, to_json_text};
use crate::table::{self, ReportFormat};

pub fn run(args: &RunArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let started_at = crate::timestamp::rfc3339_utc(SystemTime::now());
    let mut loaded = scenario_source::load(&args.scenario)?;
    super::print_warnings(&loaded);
    apply_mitigations(&mut loaded, &args.mitigations)?;
    crate::output_paths::check_memory(&loaded.scenario.model, args.trials)
        .map_err(|e| Failure::Usage(format!("{e:#}")))?;
    let out_dir = match &args.out {
        Some(dir) => dir.clone(),
        None => default_out_dir(&loaded)?,
    };
    let folder = OutputFolder::create(&out_dir)?;

    let threads = args.threads.resolve();
    let progress = TrialProgress::new(args.trials, args.progress);
    let settings = Settings { seed: args.seed, trials: args.trials, threads };
    let written = write_run(
        &loaded,
        &out_dir,
        settings,
        &|done| progress.record(done),
        Started { instant: started, at: started_at },
    );
    progress.finish();
    let Written { document, summary_json } = written?;
    folder.keep();

    match args.report {
        ReportFormat::Table => {
            let report = out_dir.join(REPORT_FILE);
            super::print_stdout(&format!(
                "{}Report: {}\n",
                table::render(&document, &out_dir, args.width),
                report.display()
            ))?;
        }
        ReportFormat::Json => super::print_stdout(&summary_json)?,
    }
    Ok(())
}

/// Applies `--mitigation` options to the loaded scenario's model, in order, recording them and the overlay
/// files they came from.
fn apply_mitigations(loaded: &mut LoadedScenario, options: &[OptionArg]) -> Result<(), Failure> {
    if options.is_empty() {
        return Ok(());
    }
    let (specs, overlays) = options::resolve(&mut loaded.scenario, options, false)?;
    let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    loaded.scenario.model = loaded.scenario.variant(&names).map_err(options::variant_failure)?;
    loaded.applied = specs.into_iter().map(|s| s.name).collect();
    loaded.overlays = overlays;
    Ok(())
}

/// `out/<scenario name>`, or `out/<scenario name>+<mitigation>+...` for a run with mitigations.
fn default_out_dir(loaded: &LoadedScenario) -> Result<PathBuf, Failure> {
    // Each name passes the same check as the scenario's: snake_case, so `+` cannot be mistaken for a separator.
    let mut folder = crate::output_paths::scenario_folder(Path::new("out"), &loaded.scenario.name)?;
    for m in &loaded.applied {
        crate::output_paths::scenario_folder(Path::new("out"), m)?;
        folder.as_mut_os_string().push(format!("+{m}"));
    }
    Ok(folder)
}

/// When a run started: the clock for its wall time, and the timestamp recorded in `run.json`.
pub(super) struct Started {
    pub instant: Instant,
    pub at: String,
}

/// What [`write_run`] leaves for the caller to print.
pub(super) struct Written {
    pub document: SummaryDocument,
    /// The text of `summary.json`.
    pub summary_json: String,
}

/// Runs the trials of `loaded` and writes every output file of a run into `out_dir` (which must exist), all or
/// nothing. `progress` receives the number of trials done so far. Shared by `run` and `batch`.
pub(super) fn write_run(
    loaded: &LoadedScenario,
    out_dir: &Path,
    settings: Settings,
    progress: &(dyn Fn(u64) + Sync),
    started: Started,
) -> Result<Written, Failure> {
    let model = &loaded.scenario.model;
    let config = RunConfig {
        trials: settings.trials,
        seed: settings.seed,
        threads: settings.threads,
        bands: true,
        first_trial: 0,
    };
    let simulation = Instant::now();
    let results = chokepoint_engine::run(model, &config, progress).context("could not run the trials")?;
    let simulation_s = simulation.elapsed().as_secs_f64();

    let summary = summarize_run(model, &results);
    let losses = TrialLosses::of(&loaded.scenario, &results);
    let document = SummaryDocument::new(loaded, settings.seed, &summary, &losses);
    let summary_json = to_json_text(&document)?;

    let mut files = StagedFiles::new(out_dir);
    let provenance = output::Provenance {
        scenario: loaded.scenario.name.clone(),
        scenario_sha256: loaded.sha256.clone(),
        seed: settings.seed,
        trials: settings.trials,
    };
    files.write(TRIALS_FILE, |w| output::write_trials(w, &loaded.scenario, &results, &losses.end_uses, &provenance))?;
    files.write(STAGE_LOSSES_FILE, |w| output::write_stage_losses(w, model, &results, &provenance))?;
    let curves = report::curves_of(model, &results);
    drop(results);
    let weeks = model.spec().period_weeks;
    files.write(BANDS_FILE, |w| output::write_bands(w, &summary, weeks))?;
    files.write(BACKLOG_BANDS_FILE, |w| output::write_backlog_bands(w, &summary, weeks))?;
    files.write(SUMMARY_CSV_FILE, |w| output::write_summary_csv(w, &document))?;
    output::write_text(&mut files, SUMMARY_JSON_FILE, &summary_json)?;
    let graph_json = to_json_text(&GraphDocument::new(model, &loaded.scenario, &document))?;
    output::write_text(&mut files, GRAPH_JSON_FILE, &graph_json)?;
    // From the texts of the files, as `chokepoint report` reads them, so that both write the same bytes.
    let bands = report::bands_of(&summary, weeks);
    let backlog_bands = report::backlog_bands_of(&summary, weeks);
    let description = loaded.scenario.description.clone();
    let data = ReportData::new(&summary_json, description, &graph_json, bands, backlog_bands, curves)?;
    output::write_text(&mut files, REPORT_FILE, &report::render_run_report(&data)?)?;
    let record = RunRecord::new(
        loaded,
        settings,
        started.at,
        Timings { wall_time_s: started.instant.elapsed().as_secs_f64(), simulation_s },
        vec![
            TRIALS_FILE,
            STAGE_LOSSES_FILE,
            BANDS_FILE,
            BACKLOG_BANDS_FILE,
            SUMMARY_CSV_FILE,
            SUMMARY_JSON_FILE,
            GRAPH_JSON_FILE,
            REPORT_FILE,
            RUN_JSON_FILE,
        ],
    );
    output::write_json(&mut files, RUN_JSON_FILE, &record)?;
    files.commit()?;
    Ok(Written { document, summary_json })
}

/// The output folder of a run. A folder this run created is removed again if the run fails before its files
/// are in place (only if it is still empty).
#[derive(Debug)]
pub(super) struct OutputFolder {
    created: Option<PathBuf>,
}

impl OutputFolder {
    pub(super) fn create(dir: &Path) -> anyhow::Result<Self> {
        let existed = dir.is_dir();
        std::fs::create_dir_all(dir).with_context(|| format!("could not create output folder `{}`", dir.display()))?;
        Ok(Self { created: (!existed).then(|| dir.to_owned()) })
    }

    pub(super) fn keep(mut self) {
        self.created = None;
    }
}

impl Drop for OutputFolder {
    fn drop(&mut self) {
        if let Some(dir) = &self.created {
            // Fails, as intended, if anything is left in the folder.
            let _ = std::fs::remove_dir(dir);
        }
    }
}
