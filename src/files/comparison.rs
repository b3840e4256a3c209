//! A comparison's files, shared by `compare` and `merge` so that both write the same bytes: the comparison of the
//! variants' outcomes written all or nothing (`compare.json`, `compare.csv`, the paired Parquet files, the report,
//! `compare_run.json`), a comparison shard's per-trial values (`variant_trials.parquet`) and its manifest, and the
//! merge of such shards into the comparison of all their trials.

use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chokepoint_analysis::comparison::{Comparison, OptionSpec};
use chokepoint_analysis::outcome::{EndUseTrials, VariantOutcome};
use polars::prelude::*;

use crate::cli::MergeArgs;
use crate::documents::compare::{CompareDocument, CompareRun};
use crate::documents::compare_record::{CompareRecord, CompareRunSettings, VariantTiming};
use crate::documents::run_record::ShardRecord;
use crate::documents::summary::{Tool, to_json_text};
use crate::failure::Failure;
use crate::files::compare::{
    self as compare_files, COMPARE_CSV_FILE, COMPARE_JSON_FILE, COMPARE_RUN_FILE, PAIRED_DIFFERENCES_FILE,
    PAIRED_LOSSES_FILE,
};
use crate::files::folders::{OutputFolder, OutputPath};
use crate::files::run::Started;
use crate::files::shard::{
    SHARD_FILE, SHARD_SCHEMA_VERSION, Shard, ShardKind, ShardManifest, ShardScenario, ShardSettings, TrialRange,
    VARIANT_TRIALS_FILE, VariantSeconds,
};
use crate::files::staged::StagedFiles;
use crate::files::tables::{self, batches, label_column, parquet, schema, trial_column};
use crate::options::{self, OptionInput};

use crate::documents::value_of_information::EvppiJson;
use crate::report::REPORT_FILE;
use crate::scenario_source::{LoadedScenario, SourceDigest};

/// What a comparison's record holds beyond the scenario.
pub(crate) struct ComparisonRecord {
    pub(crate) overlays: Vec<SourceDigest>,
    pub(crate) seed: u64,
    pub(crate) trials: u64,
    pub(crate) threads: usize,
    pub(crate) timings: Vec<VariantTiming>,
    pub(crate) started: Started,
    pub(crate) shards: Option<Vec<ShardRecord>>,
}

/// The comparison document and its text, for printing.
pub(crate) struct WrittenComparison {
    pub(crate) document: CompareDocument,
    pub(crate) json: String,
}

/// Compares `outcomes` (of each option, in `specs` order) with `baseline` and writes every file of a comparison into
/// `out_dir`, all or nothing, with the value of information (`--evppi`) when there is one. Shared by `compare` and
/// `merge`, so that both write the same bytes.
pub(crate) fn write_comparison(
    loaded: &LoadedScenario,
    specs: &[OptionSpec],
    baseline: &VariantOutcome,
    outcomes: &[VariantOutcome],
    out_dir: &Path,
    record: ComparisonRecord,
    value_of_information: Option<EvppiJson>,
) -> Result<WrittenComparison, Failure> {
    let scenario = &loaded.scenario;
    let comparison = Comparison::new(scenario, specs, baseline, outcomes);
    let run = CompareRun { loaded, overlays: &record.overlays, seed: record.seed, trials: record.trials };
    let mut document = CompareDocument::new(run, specs, &comparison);
    document.value_of_information = value_of_information;
    let compare_json = to_json_text(&document)?;
    let end_uses: Vec<String> = scenario.model.spec().end_uses.iter().map(|e| e.name.clone()).collect();
    let option_outcomes: Vec<(String, &VariantOutcome)> =
        specs.iter().zip(outcomes).map(|(s, o)| (s.name.clone(), o)).collect();

    let mut files = StagedFiles::new(out_dir);
    files.write(PAIRED_DIFFERENCES_FILE, |w| {
        compare_files::write_paired_differences(w, &end_uses, baseline, &option_outcomes)
    })?;
    files.write(PAIRED_LOSSES_FILE, |w| compare_files::write_paired_losses(w, baseline, &option_outcomes))?;
    files.write(COMPARE_CSV_FILE, |w| compare_files::write_compare_csv(w, &document))?;
    tables::write_text(&mut files, COMPARE_JSON_FILE, &compare_json)?;
    let report = crate::report::render_compare_report(&document)?;
    tables::write_text(&mut files, REPORT_FILE, &report)?;
    let mut compare_record = CompareRecord::new(
        loaded,
        CompareRunSettings {
            overlays: record.overlays,
            seed: record.seed,
            trials: record.trials,
            threads: record.threads,
            variants: record.timings,
            started_at: record.started.at,
            wall_time_s: record.started.instant.elapsed().as_secs_f64(),
        },
        vec![
            COMPARE_CSV_FILE,
            COMPARE_JSON_FILE,
            PAIRED_DIFFERENCES_FILE,
            PAIRED_LOSSES_FILE,
            REPORT_FILE,
            COMPARE_RUN_FILE,
        ],
    );
    compare_record.shards = record.shards;
    tables::write_json(&mut files, COMPARE_RUN_FILE, &compare_record)?;
    files.commit()?;
    Ok(WrittenComparison { document, json: compare_json })
}

/// The columns of `variant_trials.parquet`: per variant (`baseline`, then each option), end use and trial, what a
/// comparison keeps of a run (`chokepoint_analysis::outcome::EndUseTrials`).
pub(crate) fn variant_trials_schema() -> Schema {
    use DataType::{Boolean, Float64, String, UInt64};
    schema(&[
        ("variant", String),
        ("end_use", String),
        ("trial", UInt64),
        ("units_short", Float64),
        ("units_late", Float64),
        ("max_delay_weeks", Float64),
        ("backlog_unit_weeks", Float64),
        ("short_or_late", Boolean),
        ("loss", Float64),
    ])
}

/// The per-trial columns of `variant_trials.parquet` that hold numbers, in [`EndUseTrials`] order.
pub(crate) const VARIANT_VALUES: [&str; 4] = ["units_short", "units_late", "max_delay_weeks", "backlog_unit_weeks"];

/// A comparison shard being written.
pub(crate) struct CompareShard<'a> {
    pub(crate) loaded: &'a LoadedScenario,
    pub(crate) inputs: &'a [OptionInput],
    pub(crate) all: bool,
    pub(crate) specs: &'a [OptionSpec],
    pub(crate) threads: usize,
}

impl CompareShard<'_> {
    /// Writes `variant_trials.parquet` (every variant's per-trial values of trials `range`) and the manifest.
    #[expect(clippy::too_many_arguments, reason = "one shard: each argument is one of its parts")]
    pub(crate) fn write(
        &self,
        out_dir: &Path,
        seed: u64,
        trials: u64,
        range: Range<u64>,
        outcomes: &[VariantOutcome],
        timings: Vec<VariantTiming>,
        started: Started,
    ) -> anyhow::Result<()> {
        let model = &self.loaded.scenario.model;
        let end_uses: Vec<&str> = model.spec().end_uses.iter().map(|e| e.name.as_str()).collect();
        let names: Vec<&str> = std::iter::once("baseline").chain(self.specs.iter().map(|s| s.name.as_str())).collect();
        let mut files = StagedFiles::new(out_dir);
        files.write(VARIANT_TRIALS_FILE, |w| write_variant_trials(w, &names, &end_uses, range.start, outcomes))?;
        let simulation_s = timings.iter().map(|t| t.simulation_s).sum();
        let manifest = ShardManifest {
            shard_schema_version: SHARD_SCHEMA_VERSION,
            kind: ShardKind::Compare,
            tool: Tool::this(),
            scenario: ShardScenario::of(self.loaded),
            options: self.inputs.to_vec(),
            all: self.all,
            settings: ShardSettings { seed, trials, batch_trials: 0 },
            range: TrialRange { from: range.start, to: range.end },
            threads: self.threads,
            started_at: started.at,
            wall_time_s: started.instant.elapsed().as_secs_f64(),
            simulation_s,
            variants: timings
                .into_iter()
                .map(|t| VariantSeconds { name: t.name, simulation_s: t.simulation_s })
                .collect(),
            files: [VARIANT_TRIALS_FILE, SHARD_FILE].map(str::to_owned).to_vec(),
        };
        tables::write_json(&mut files, SHARD_FILE, &manifest)?;
        files.commit()?;
        Ok(())
    }
}

/// Writes `variant_trials.parquet`: one row per variant, end use and trial (trials `first_trial ..`), in that order.
pub(crate) fn write_variant_trials<W: Write>(
    w: W,
    variants: &[&str],
    end_uses: &[&str],
    first_trial: u64,
    outcomes: &[VariantOutcome],
) -> anyhow::Result<()> {
    let mut writer = parquet(w, &variant_trials_schema())?;
    for (variant, outcome) in variants.iter().zip(outcomes) {
        for (e, end_use) in end_uses.iter().enumerate() {
            let x = &outcome.end_uses[e];
            for t in batches(outcome.trials) {
                let n = t.len();
                let f64s = |name: &str, v: &[f64]| Column::new(name.into(), &v[t.clone()]);
                let columns = vec![
                    label_column("variant", variant, n),
                    label_column("end_use", end_use, n),
                    trial_column(first_trial + t.start as u64..first_trial + t.end as u64),
                    f64s(VARIANT_VALUES[0], &x.units_short),
                    f64s(VARIANT_VALUES[1], &x.units_late),
                    f64s(VARIANT_VALUES[2], &x.max_delay_weeks),
                    f64s(VARIANT_VALUES[3], &x.backlog_unit_weeks),
                    Column::new("short_or_late".into(), &x.short_or_late[t.clone()]),
                    f64s("loss", &x.loss),
                ];
                writer.write_batch(&DataFrame::new(n, columns)?)?;
            }
        }
    }
    writer.finish()?;
    Ok(())
}

/// Reads the per-trial values of `variants` x `end_uses` for trials `range` from a shard's
/// `variant_trials.parquet`, appending them to `into` (`[variant][end use]`), after checking that its rows are the
/// ones expected.
pub(crate) fn read_variant_trials(
    path: &Path,
    variants: &[&str],
    end_uses: &[&str],
    range: Range<u64>,
    into: &mut [Vec<EndUseTrials>],
) -> anyhow::Result<()> {
    let context = || format!("could not read `{}`", path.display());
    let df = ParquetReader::new(std::fs::File::open(path).with_context(context)?)
        .finish()
        .map_err(anyhow::Error::from)
        .with_context(context)?;
    let n = (range.end - range.start) as usize;
    anyhow::ensure!(
        df.height() == variants.len() * end_uses.len() * n,
        "`{}` holds {} rows, not {} variants x {} end uses x {n} trials",
        path.display(),
        df.height(),
        variants.len(),
        end_uses.len()
    );
    let variant = df.column("variant")?.str()?;
    let end_use = df.column("end_use")?.str()?;
    let trial = df.column("trial")?.u64()?;
    let values = VARIANT_VALUES.map(|c| df.column(c).and_then(|c| c.f64().cloned()));
    let [short, late, delay, backlog] = values;
    let (short, late, delay, backlog) = (short?, late?, delay?, backlog?);
    let short_or_late = df.column("short_or_late")?.bool()?;
    let loss = df.column("loss")?.f64()?;
    for (v, &variant_name) in variants.iter().enumerate() {
        for (e, &end_use_name) in end_uses.iter().enumerate() {
            let start = (v * end_uses.len() + e) * n;
            for i in start..start + n {
                let at = (i - start) as u64 + range.start;
                anyhow::ensure!(
                    variant.get(i) == Some(variant_name)
                        && end_use.get(i) == Some(end_use_name)
                        && trial.get(i) == Some(at),
                    "`{}`: row {i} is not trial {at} of `{end_use_name}` in `{variant_name}`",
                    path.display()
                );
            }
            let x = &mut into[v][e];
            let take = |ca: &Float64Chunked, into: &mut Vec<f64>| {
                into.extend(ca.slice(start as i64, n).iter().map(|x| x.unwrap_or(f64::NAN)));
            };
            take(&short, &mut x.units_short);
            take(&late, &mut x.units_late);
            take(&delay, &mut x.max_delay_weeks);
            take(&backlog, &mut x.backlog_unit_weeks);
            take(loss, &mut x.loss);
            x.short_or_late.extend(short_or_late.slice(start as i64, n).iter().map(|b| b.unwrap_or(false)));
        }
    }
    Ok(())
}

/// Writes the comparison of all the trials of `shards` (comparison shards, checked to belong together and cover the
/// run, in trial order) into `args.out`, and prints it.
pub(crate) fn merge_compare(
    loaded: &mut LoadedScenario,
    shards: &[Shard],
    args: &MergeArgs,
    started: Started,
) -> Result<(), Failure> {
    let first = &shards[0].manifest;
    let (specs, overlays, _) =
        options::resolve_inputs(&mut loaded.scenario, first.options.iter().cloned().map(Ok), first.all)?;
    let model = &loaded.scenario.model;
    let end_uses: Vec<&str> = model.spec().end_uses.iter().map(|e| e.name.as_str()).collect();
    let names: Vec<&str> = std::iter::once("baseline").chain(specs.iter().map(|s| s.name.as_str())).collect();
    let mut values: Vec<Vec<EndUseTrials>> = vec![vec![EndUseTrials::default(); end_uses.len()]; names.len()];
    for shard in shards {
        read_variant_trials(&shard.dir.join(VARIANT_TRIALS_FILE), &names, &end_uses, shard.trials(), &mut values)?;
    }
    let trials = first.settings.trials as usize;
    let mut outcomes: Vec<VariantOutcome> =
        values.into_iter().map(|end_uses| VariantOutcome::from_end_uses(trials, end_uses)).collect();
    let baseline = outcomes.remove(0);
    let timings = names
        .iter()
        .map(|name| VariantTiming {
            name: (*name).to_owned(),
            simulation_s: shards
                .iter()
                .flat_map(|s| s.manifest.variants.iter().filter(|v| v.name == *name))
                .map(|v| v.simulation_s)
                .sum(),
        })
        .collect();
    let out: PathBuf = args.out.clone();
    let folder = OutputFolder::create(&OutputPath::given(&out))?;
    let written = write_comparison(
        loaded,
        &specs,
        &baseline,
        &outcomes,
        &out,
        ComparisonRecord {
            overlays,
            seed: first.settings.seed,
            trials: first.settings.trials,
            threads: shards.iter().map(|s| s.manifest.threads).max().unwrap_or(1),
            timings,
            started,
            shards: Some(shards.iter().map(ShardRecord::of).collect()),
        },
        None,
    )?;
    folder.keep();
    crate::render::compare::print_comparison(&written, &out, args.report, args.width)
}
