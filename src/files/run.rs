//! The outputs of a run, in two passes with bounded memory: the per-trial files, streamed out batch by batch while
//! the trials run (or re-cut from shards by `merge`), then every summary read back from them one column at a time
//! (`files::trial_summary`), the report, and the record. A run, a shard and a merge of shards share this code, which is
//! why a merge's files are byte for byte those of one run.

use std::fs::File;
use std::io::BufWriter;
use std::ops::Range;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use chokepoint_analysis::worlds::WorldsAnswer;
use chokepoint_engine::report::summarize_trials;
use chokepoint_engine::{BandCounts, RunError};
use polars::prelude::DataFrame;

use crate::documents::run_record::{RunRecord, Settings, ShardRecord, Timings};
use crate::documents::summary::{SummaryDocument, Tool, to_json_text};
use crate::documents::worlds::WorldsJson;
use crate::failure::Failure;
use crate::files::shard::{
    BAND_COUNTS_FILE, SHARD_FILE, SHARD_SCHEMA_VERSION, Shard, ShardKind, ShardManifest, ShardScenario, ShardSettings,
    TrialRange,
};
use crate::files::staged::StagedFiles;
use crate::files::tables::{
    self, BACKLOG_BANDS_FILE, BANDS_FILE, Origin, Provenance, RUN_JSON_FILE, STAGE_LOSSES_FILE, STOCKPILES_FILE,
    SUMMARY_CSV_FILE, SUMMARY_JSON_FILE, TRIALS_FILE,
};
use crate::files::trial_summary::RunFiles;
use crate::files::trials::{TrialFile, TrialFileReader, TrialSink};
use crate::files::worlds::{self, WORLDS_FILE};
use crate::options::{self, OptionInput};
use crate::report::{self, GRAPH_JSON_FILE, GraphDocument, REPORT_FILE, ReportData};
use crate::scenario_source::LoadedScenario;

/// The files of a run, in the order `run.json` lists them (the record last).
pub const RUN_FILES: [&str; 10] = [
    TRIALS_FILE,
    STAGE_LOSSES_FILE,
    STOCKPILES_FILE,
    BANDS_FILE,
    BACKLOG_BANDS_FILE,
    SUMMARY_CSV_FILE,
    SUMMARY_JSON_FILE,
    GRAPH_JSON_FILE,
    REPORT_FILE,
    RUN_JSON_FILE,
];

/// When a run started: the clock for its wall time, and the timestamp recorded in `run.json`.
#[derive(Debug, Clone)]
pub struct Started {
    pub instant: Instant,
    pub at: String,
}

/// What [`write_run`] leaves for the caller to print.
#[derive(Debug)]
pub struct Written {
    pub document: SummaryDocument,
    /// The text of `summary.json`.
    pub summary_json: String,
}

/// A two-level study's answer (`run --worlds`) and its section of `summary.json`.
#[derive(Debug)]
pub struct WorldsStudy {
    pub answer: WorldsAnswer,
    pub json: WorldsJson,
}

/// The provenance recorded in the per-trial files of trials `range` of a run of `settings.trials` trials.
fn provenance(loaded: &LoadedScenario, settings: &Settings, range: &Range<u64>) -> Provenance {
    Provenance {
        scenario: loaded.scenario.name.clone(),
        scenario_sha256: loaded.sha256.clone(),
        seed: settings.seed,
        trials: settings.trials,
        trials_from: range.start,
        trials_to: range.end,
        batch_trials: settings.batch_trials,
    }
}

/// Runs trials `range` of `loaded` and streams their rows into the per-trial files, staged in `files`, one batch at
/// a time, each written while the next one runs. Returns the fan-chart counts and the seconds spent simulating:
/// until the last batch's results were handed over (its writing excluded).
fn stream_trials(
    loaded: &LoadedScenario,
    files: &mut StagedFiles,
    settings: &Settings,
    range: Range<u64>,
    progress: &(dyn Fn(u64) + Sync),
) -> anyhow::Result<(BandCounts, f64)> {
    let started = Instant::now();
    // Each batch is written while the next one runs, so the simulation ends when the last batch is handed over.
    let mut last_handed_over = started;
    let config = crate::cli::trials::run_config(range.clone(), settings.seed, settings.threads, true);
    let bands = with_trial_sink(files, &provenance(loaded, settings, &range), |sink| {
        chokepoint_engine::run_in_batches(
            &loaded.scenario.model,
            &config,
            settings.batch_trials,
            progress,
            |first, results| -> Result<(), StreamError> {
                last_handed_over = Instant::now();
                sink.write_results(&loaded.scenario, first, results).map_err(StreamError::Write)
            },
        )
        .map_err(|e| match e {
            StreamError::Run(e) => anyhow::Error::new(e).context("could not run the trials"),
            StreamError::Write(e) => e,
        })
    })?;
    Ok((bands, last_handed_over.duration_since(started).as_secs_f64()))
}

/// Why streaming stopped: the engine, or a write.
#[derive(Debug)]
enum StreamError {
    Run(RunError),
    Write(anyhow::Error),
}

impl From<RunError> for StreamError {
    fn from(e: RunError) -> Self {
        StreamError::Run(e)
    }
}

/// Runs the trials of `loaded` and writes every output file of a run into `out_dir` (which must exist), all or
/// nothing, with the two-level study's section and file when there is one. `progress` receives the number of
/// trials done so far. Shared by `run` and `batch`.
pub fn write_run(
    loaded: &LoadedScenario,
    out_dir: &Path,
    settings: Settings,
    progress: &(dyn Fn(u64) + Sync),
    started: Started,
    worlds: Option<&WorldsStudy>,
) -> anyhow::Result<Written> {
    let mut files = StagedFiles::new(out_dir);
    let mut written_files = Vec::new();
    if let Some(w) = worlds {
        let end_uses: Vec<String> = loaded.scenario.model.spec().end_uses.iter().map(|e| e.name.clone()).collect();
        let origin = Origin {
            scenario: &loaded.scenario.name,
            scenario_sha256: &loaded.sha256,
            seed: settings.seed,
            trials: w.json.trials_per_world,
        };
        files.write(WORLDS_FILE, |out| worlds::write_worlds(out, &w.answer, &end_uses, origin))?;
        written_files.push(WORLDS_FILE);
    }
    written_files.extend(run_files());
    let (bands, simulation_s) = stream_trials(loaded, &mut files, &settings, 0..settings.trials, progress)?;
    let written = write_summaries(loaded, &mut files, settings.seed, &bands, worlds.map(|w| &w.json))?;
    let record = RunRecord::new(
        loaded,
        settings,
        started.at,
        Timings { wall_time_s: started.instant.elapsed().as_secs_f64(), simulation_s },
        written_files,
    );
    tables::write_json(&mut files, RUN_JSON_FILE, &record)?;
    files.commit()?;
    Ok(written)
}

/// The files of a run, the record last.
fn run_files() -> Vec<&'static str> {
    RUN_FILES.to_vec()
}

/// Stages the three per-trial files in `files` and lets `write` fill them through one [`TrialSink`] carrying
/// `provenance`; the files are complete (footers written, flushed and synced) when this returns.
fn with_trial_sink<T>(
    files: &mut StagedFiles,
    provenance: &Provenance,
    write: impl FnOnce(&mut TrialSink<&mut BufWriter<File>>) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let mut trials = files.open(TRIALS_FILE)?;
    let mut stages = files.open(STAGE_LOSSES_FILE)?;
    let mut stockpiles = files.open(STOCKPILES_FILE)?;
    let value = {
        let mut sink = TrialSink::new([trials.writer(), stages.writer(), stockpiles.writer()], provenance)?;
        let value = write(&mut sink)?;
        sink.finish()?;
        value
    };
    trials.close()?;
    stages.close()?;
    stockpiles.close()?;
    Ok(value)
}

/// Writes every file of a run made from its per-trial files (already staged in `files`) and its band counts:
/// `bands.parquet`, `backlog_bands.parquet`, `summary.csv`, `summary.json` (with the two-level section `worlds`
/// when there is one), `graph.json` and `report.html`.
fn write_summaries(
    loaded: &LoadedScenario,
    files: &mut StagedFiles,
    seed: u64,
    bands: &BandCounts,
    worlds: Option<&WorldsJson>,
) -> anyhow::Result<Written> {
    let model = &loaded.scenario.model;
    let staged =
        |file: TrialFile| files.staged_path(file.name()).with_context(|| format!("`{}` was not written", file.name()));
    let mut columns = RunFiles::open(model, staged)?;
    let trials = columns.trials();
    let summary = summarize_trials(model, trials, &mut columns, bands)?;
    let losses = columns.loss_summaries()?;
    let mut document = SummaryDocument::new(loaded, seed, &summary, &losses);
    document.worlds = worlds.cloned();
    let summary_json = to_json_text(&document)?;
    let end_uses: Vec<(&str, bool)> = document.end_uses.iter().map(|e| (e.name.as_str(), e.delay.is_some())).collect();
    let curves = report::read_curves(columns.trials.path(), &end_uses)?;
    drop(columns);

    let weeks = model.spec().period_weeks;
    files.write(BANDS_FILE, |w| tables::write_bands(w, &summary, weeks))?;
    files.write(BACKLOG_BANDS_FILE, |w| tables::write_backlog_bands(w, &summary, weeks))?;
    files.write(SUMMARY_CSV_FILE, |w| tables::write_summary_csv(w, &loaded.scenario, &summary, &losses))?;
    tables::write_text(files, SUMMARY_JSON_FILE, &summary_json)?;
    let graph_json = to_json_text(&GraphDocument::new(model, &loaded.scenario, &document))?;
    tables::write_text(files, GRAPH_JSON_FILE, &graph_json)?;
    // From the texts of the files, as `chokepoint report` reads them, so that both write the same bytes.
    let bands = report::bands_of(&summary, weeks);
    let backlog_bands = report::backlog_bands_of(&summary, weeks);
    let description = loaded.scenario.description.clone();
    let data = ReportData::new(&summary_json, description, &graph_json, bands, backlog_bands, curves)?;
    tables::write_text(files, REPORT_FILE, &report::render_run_report(&data)?)?;
    Ok(Written { document, summary_json })
}

/// Runs trials `range` of `loaded` as a shard of a run of `settings.trials` trials, and writes the shard's files
/// into `out_dir` (which must exist), all or nothing: the per-trial files, the band counts and the manifest.
pub fn write_shard(
    loaded: &LoadedScenario,
    options: &[OptionInput],
    out_dir: &Path,
    settings: Settings,
    range: Range<u64>,
    progress: &(dyn Fn(u64) + Sync),
    started: Started,
) -> anyhow::Result<()> {
    let mut files = StagedFiles::new(out_dir);
    let (bands, simulation_s) = stream_trials(loaded, &mut files, &settings, range.clone(), progress)?;
    files.write(BAND_COUNTS_FILE, |w| crate::files::shard::write_band_counts(w, &bands))?;
    let manifest = ShardManifest {
        shard_schema_version: SHARD_SCHEMA_VERSION,
        kind: ShardKind::Run,
        tool: Tool::this(),
        scenario: ShardScenario::of(loaded),
        options: options.to_vec(),
        all: false,
        settings: ShardSettings { seed: settings.seed, trials: settings.trials, batch_trials: settings.batch_trials },
        range: TrialRange { from: range.start, to: range.end },
        threads: settings.threads,
        started_at: started.at,
        wall_time_s: started.instant.elapsed().as_secs_f64(),
        simulation_s,
        variants: Vec::new(),
        files: [TRIALS_FILE, STAGE_LOSSES_FILE, STOCKPILES_FILE, BAND_COUNTS_FILE, SHARD_FILE]
            .map(str::to_owned)
            .to_vec(),
    };
    tables::write_json(&mut files, SHARD_FILE, &manifest)?;
    files.commit()?;
    Ok(())
}

/// Applies the `--mitigation` options of a run (names, and overlay files already read) to `loaded`, in order,
/// recording them and the overlay files they came from.
pub fn apply_mitigations(
    loaded: &mut LoadedScenario,
    inputs: impl IntoIterator<Item = Result<OptionInput, Failure>>,
) -> Result<Vec<OptionInput>, Failure> {
    let (specs, overlays, read) = options::resolve_inputs(&mut loaded.scenario, inputs, false)?;
    if read.is_empty() {
        return Ok(read);
    }
    loaded.apply(specs.into_iter().map(|s| s.name).collect()).map_err(options::variant_failure)?;
    loaded.overlays = overlays;
    Ok(read)
}

/// The per-trial files of each shard, opened, after checking that each holds what its manifest says.
fn open_shard_files(loaded: &LoadedScenario, shards: &[Shard]) -> Result<Vec<[TrialFileReader; 3]>, Failure> {
    let model = &loaded.scenario.model;
    shards
        .iter()
        .map(|shard| {
            let m = &shard.manifest;
            let open = |file: TrialFile| -> Result<TrialFileReader, Failure> {
                let path = shard.dir.join(file.name());
                let reader = TrialFileReader::open(&path, file.entities(model))?;
                let p = &reader.provenance;
                let layout = p.layout.batches;
                let fits = p.scenario_sha256.as_deref() == Some(m.scenario.sha256.as_str())
                    && p.seed == Some(m.settings.seed)
                    && p.trials == m.settings.trials
                    && (layout.first_trial, layout.end(), layout.batch_trials)
                        == (m.range.from, m.range.to, m.settings.batch_trials);
                if fits {
                    Ok(reader)
                } else {
                    Err(Failure::Usage(format!(
                        "`{}` does not hold what the shard's manifest says (trials {}..{} of {}, seed {}, scenario \
                         SHA-256 {}): the shard's files do not belong together",
                        path.display(),
                        m.range.from,
                        m.range.to,
                        m.settings.trials,
                        m.settings.seed,
                        m.scenario.sha256
                    )))
                }
            };
            Ok([open(TrialFile::Trials)?, open(TrialFile::StageLosses)?, open(TrialFile::Stockpiles)?])
        })
        .collect()
}

/// Writes the outputs of the run whose shards are `shards` (checked to belong together and cover it, in trial
/// order) into `out_dir`, all or nothing: the per-trial files re-cut into the batches of one run, the summaries
/// from them, and `run.json` with the shards listed.
pub fn merge_run(
    loaded: &LoadedScenario,
    shards: &[Shard],
    out_dir: &Path,
    started: Started,
) -> Result<Written, Failure> {
    let model = &loaded.scenario.model;
    let first = &shards[0].manifest;
    let readers = open_shard_files(loaded, shards)?;
    let settings = Settings {
        seed: first.settings.seed,
        trials: first.settings.trials,
        threads: shards.iter().map(|s| s.manifest.threads).max().unwrap_or(1),
        batch_trials: first.settings.batch_trials,
    };
    let mut bands = BandCounts::zero(model, true);
    for shard in shards {
        crate::files::shard::add_band_counts(&shard.dir.join(BAND_COUNTS_FILE), &mut bands)?;
    }
    let mut files = StagedFiles::new(out_dir);
    let whole = 0..settings.trials;
    with_trial_sink(&mut files, &provenance(loaded, &settings, &whole), |sink| {
        let layout = chokepoint_engine::BatchLayout::new(0, settings.trials, settings.batch_trials);
        for batch in layout.batches() {
            for (f, file) in TrialFile::ALL.into_iter().enumerate() {
                for k in 0..file.entities(model) {
                    // This entity's rows of this batch, from every shard that holds some of them, in trial order.
                    let mut frame: Option<DataFrame> = None;
                    for (shard, shard_files) in shards.iter().zip(&readers) {
                        let r = shard.trials();
                        let (from, to) = (batch.start.max(r.start), batch.end.min(r.end));
                        if from >= to {
                            continue;
                        }
                        let part = shard_files[f].entity_rows(k, from..to, None)?;
                        match frame.as_mut() {
                            Some(df) => {
                                df.vstack_mut(&part)?;
                            }
                            None => frame = Some(part),
                        }
                    }
                    if let Some(frame) = frame {
                        sink.write_frame(file, &frame)?;
                    }
                }
            }
        }
        Ok(())
    })?;
    let written = write_summaries(loaded, &mut files, settings.seed, &bands, None)?;
    let simulation_s = shards.iter().map(|s| s.manifest.simulation_s).sum();
    let mut record = RunRecord::new(
        loaded,
        settings,
        started.at,
        Timings { wall_time_s: started.instant.elapsed().as_secs_f64(), simulation_s },
        run_files(),
    );
    record.shards = Some(shards.iter().map(ShardRecord::of).collect());
    tables::write_json(&mut files, RUN_JSON_FILE, &record)?;
    files.commit()?;
    Ok(written)
}
