//! `chokepoint compare`: run the baseline and each mitigation option on the same random draws, compare them
//! trial by trial (the analysis library's `comparison`), write the comparison files and print the ranked tables.
//! With `--shard I/N` (or `--trials-from A --trials-to B`) it runs every variant over a part of the trials only and
//! writes their per-trial values into a shard folder; `chokepoint merge` makes the comparison of all the trials
//! from the shards ([`merge_compare`]), byte for byte the one a single machine makes.
//!
//! Cost: one run of the trials per variant, that is `k + 1` runs for `k` options, one after the other (each
//! run uses every worker thread); with `--evppi`, the value-of-information sampler's runs after them (printed
//! before anything runs). Only what the comparison needs is kept of each option's run (per end use and
//! trial: units short, lateness, the longest delay, backlog, loss), so memory grows with
//! `k x trials x end uses`.

use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use anyhow::Context;
use chokepoint_analysis::comparison::{Comparison, OptionSpec};
use chokepoint_analysis::loss::LossWeights;
use chokepoint_analysis::outcome::{EndUseTrials, VariantOutcome};
use chokepoint_analysis::portfolio::Objective;
use chokepoint_analysis::variants::VariantRunner;
use chokepoint_engine::Model;
use chokepoint_scenario::LossUnit;
use polars::prelude::*;

use crate::cli::{CompareArgs, MergeArgs};
use crate::comparison::{CompareDocument, CompareRun};
use crate::comparison_output::{
    self, COMPARE_CSV_FILE, COMPARE_JSON_FILE, COMPARE_RUN_FILE, CompareRecord, PAIRED_DIFFERENCES_FILE,
    PAIRED_LOSSES_FILE, VariantTiming,
};
use crate::failure::Failure;
use crate::optimize_output::objective_json;
use crate::options::{self, OptionInput};
use crate::output::{self, batches, label_column, parquet, schema, trial_column};
use crate::output_paths::OutputFolder;
use crate::progress::{ProgressMode, TrialProgress};
use crate::report::REPORT_FILE;
use crate::run_output::Started;
use crate::run_record::ShardRecord;
use crate::scenario_source::{LoadedScenario, SourceDigest};
use crate::shard::{
    SHARD_FILE, SHARD_SCHEMA_VERSION, Shard, ShardKind, ShardManifest, ShardScenario, ShardSettings, TrialRange,
    VARIANT_TRIALS_FILE, VariantSeconds,
};
use crate::staged_files::StagedFiles;
use crate::summary_json::{Tool, to_json_text};
use crate::table::{ReportFormat, Width, thousands};
use crate::value_of_information::{self, Choice, EvppiJson};

pub fn compare(args: &CompareArgs) -> Result<(), Failure> {
    let started = Started { instant: Instant::now(), at: crate::timestamp::rfc3339_utc(SystemTime::now()) };
    let settings = &args.settings;
    let mut loaded = super::open_scenario(&args.scenario, &args.set)?;
    let (specs, overlays, inputs) = options::resolve_recorded(&mut loaded.scenario, &args.options, args.all)?;
    if specs.is_empty() {
        return Err(Failure::Usage(if args.all {
            format!(
                "scenario `{}` defines no mitigation or package to compare; add some with `--mitigation FILE`",
                loaded.scenario.name
            )
        } else {
            "no option to compare: name a mitigation or package with `--mitigation NAME`, give a file of them \
             with `--mitigation FILE`, or compare every one with `--all`"
                .to_owned()
        }));
    }
    let scenario = &loaded.scenario;
    let models: Vec<Model> = specs
        .iter()
        .map(|o| scenario.variant(&[o.name.as_str()]).map_err(options::variant_failure))
        .collect::<Result<_, _>>()?;
    let range = match args.shard {
        Some(shard) => {
            if args.evppi.enabled {
                return Err(Failure::Usage(
                    "`--evppi` cannot be combined with `--shard` or `--trials-from`/`--trials-to` yet: a shard runs a \
                     part of the comparison's trials and no value of information; run it without sharding"
                        .to_owned(),
                ));
            }
            Some(shard.range(settings.trials).map_err(Failure::Usage)?)
        }
        None => None,
    };
    let trials = range.as_ref().map_or(settings.trials, |r| r.end - r.start);

    let information = if args.evppi.enabled {
        // The choice: doing nothing or one of the options, net of its cost when the loss is in dollars.
        let net_of_cost = scenario.loss.unit == LossUnit::Usd;
        let years = scenario.horizon_years();
        let mut choices = vec![Choice { name: "nothing".to_owned(), mitigations: Vec::new(), added: 0.0 }];
        choices.extend(specs.iter().map(|s| Choice {
            name: s.name.clone(),
            mitigations: vec![s.name.clone()],
            added: if net_of_cost { s.cost.total_usd(years) } else { 0.0 },
        }));
        Some((value_of_information::plan(scenario, &choices, &args.evppi)?, net_of_cost))
    } else {
        None
    };
    let comparison_trials = trials * (specs.len() as u64 + 1);
    let information_trials = information.as_ref().map_or(0, |(p, _)| p.trials);
    if settings.progress == ProgressMode::Bar {
        let more = information.as_ref().map_or_else(String::new, |(p, _)| {
            format!(
                "; {} · {} trials in all",
                value_of_information::cost_line(p, &args.evppi),
                thousands(comparison_trials + information_trials)
            )
        });
        eprintln!(
            "compare: {} variants × {} trials = {}{more}",
            specs.len() + 1,
            thousands(trials),
            thousands(comparison_trials)
        );
    }

    crate::output_paths::check_memory(&scenario.model, trials).map_err(|e| Failure::Usage(format!("{e:#}")))?;
    let out_dir = match (&settings.out, &range) {
        (Some(dir), _) => dir.clone(),
        (None, None) => crate::output_paths::scenario_folder(Path::new("out"), &scenario.name)?.join("compare"),
        (None, Some(r)) => crate::output_paths::scenario_folder(Path::new("out"), &scenario.name)?
            .join("compare-shards")
            .join(format!("{}-{}", r.start, r.end)),
    };
    let folder = OutputFolder::create(&out_dir)?;
    let config = settings.run_config_for(range.clone().unwrap_or(0..settings.trials));
    let threads = config.threads;
    let progress = TrialProgress::new(comparison_trials + information_trials, settings.progress);
    let weights = LossWeights::of(scenario);
    let record = |done| progress.record(done);
    let mut runner = VariantRunner::new(config, &record);
    let mut timings = Vec::with_capacity(specs.len() + 1);
    let names = std::iter::once("baseline").chain(specs.iter().map(|s| s.name.as_str()));
    let variants = std::iter::once(&scenario.model).chain(&models);
    let mut outcomes = Vec::with_capacity(specs.len() + 1);
    for (name, model) in names.zip(variants) {
        let start = Instant::now();
        let results = runner.run(model).map_err(|e| {
            progress.finish();
            Failure::Runtime(anyhow::Error::new(e).context(format!("could not run the trials of `{name}`")))
        })?;
        outcomes.push(VariantOutcome::of(&results, &weights));
        timings.push(VariantTiming { name: name.to_owned(), simulation_s: start.elapsed().as_secs_f64() });
    }
    let value_of_information = match &information {
        Some((plan, net_of_cost)) => {
            let record = |done| progress.record(comparison_trials + done);
            let answer = value_of_information::run(
                plan,
                scenario,
                Objective::Loss,
                &args.evppi,
                settings.run_config_of(args.evppi.trials),
                &record,
            )
            .inspect_err(|_| progress.finish())?;
            let metric = objective_json(Objective::Loss, &loaded);
            Some(EvppiJson::new(&answer, metric, &args.evppi, plan.trials, *net_of_cost))
        }
        None => None,
    };
    progress.finish();

    if let Some(range) = range {
        let shard = CompareShard { loaded: &loaded, inputs: &inputs, all: args.all, specs: &specs, threads };
        shard.write(&out_dir, settings.seed, settings.trials, range.clone(), &outcomes, timings, started)?;
        folder.keep();
        return Ok(super::print_stdout(&format!(
            "Shard of trials {}..{} of {} of the comparison written to {}; merge the shards with \
             `chokepoint merge OUT SHARD_DIR...`\n",
            range.start,
            range.end,
            settings.trials,
            out_dir.display()
        ))?);
    }
    let baseline = outcomes.remove(0);
    let written = write_comparison(
        &loaded,
        &specs,
        &baseline,
        &outcomes,
        &out_dir,
        ComparisonRecord {
            overlays,
            seed: settings.seed,
            trials: settings.trials,
            threads,
            timings,
            started,
            shards: None,
        },
        value_of_information,
    )?;
    folder.keep();
    print_comparison(&written, &out_dir, settings.report, settings.width)
}

/// What a comparison's record holds beyond the scenario.
struct ComparisonRecord {
    overlays: Vec<SourceDigest>,
    seed: u64,
    trials: u64,
    threads: usize,
    timings: Vec<VariantTiming>,
    started: Started,
    shards: Option<Vec<ShardRecord>>,
}

/// The comparison document and its text, for printing.
struct WrittenComparison {
    document: CompareDocument,
    json: String,
}

/// Compares `outcomes` (of each option, in `specs` order) with `baseline` and writes every file of a comparison into
/// `out_dir`, all or nothing, with the value of information (`--evppi`) when there is one. Shared by `compare` and
/// `merge`, so that both write the same bytes.
fn write_comparison(
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
        comparison_output::write_paired_differences(w, &end_uses, baseline, &option_outcomes)
    })?;
    files.write(PAIRED_LOSSES_FILE, |w| comparison_output::write_paired_losses(w, baseline, &option_outcomes))?;
    files.write(COMPARE_CSV_FILE, |w| comparison_output::write_compare_csv(w, &document))?;
    output::write_text(&mut files, COMPARE_JSON_FILE, &compare_json)?;
    let report = crate::report::render_compare_report(&document)?;
    output::write_text(&mut files, REPORT_FILE, &report)?;
    let mut compare_record = CompareRecord::new(
        loaded,
        comparison_output::CompareRun {
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
    output::write_json(&mut files, COMPARE_RUN_FILE, &compare_record)?;
    files.commit()?;
    Ok(WrittenComparison { document, json: compare_json })
}

fn print_comparison(
    written: &WrittenComparison,
    out_dir: &Path,
    report: ReportFormat,
    width: Width,
) -> Result<(), Failure> {
    match report {
        ReportFormat::Table => {
            let mut text = comparison_output::render(&written.document, out_dir, width);
            if let Some(v) = &written.document.value_of_information {
                // The value of information goes before the closing line naming the output folder.
                let at = text.rfind("Outputs in ").unwrap_or(text.len());
                text.insert_str(at, &format!("{}\n", value_of_information::render(v)));
            }
            super::print_stdout(&text)?;
        }
        ReportFormat::Json => super::print_stdout(&written.json)?,
    }
    Ok(())
}

/// The columns of `variant_trials.parquet`: per variant (`baseline`, then each option), end use and trial, what a
/// comparison keeps of a run (`chokepoint_analysis::outcome::EndUseTrials`).
fn variant_trials_schema() -> Schema {
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
const VARIANT_VALUES: [&str; 4] = ["units_short", "units_late", "max_delay_weeks", "backlog_unit_weeks"];

/// A comparison shard being written.
struct CompareShard<'a> {
    loaded: &'a LoadedScenario,
    inputs: &'a [OptionInput],
    all: bool,
    specs: &'a [OptionSpec],
    threads: usize,
}

impl CompareShard<'_> {
    /// Writes `variant_trials.parquet` (every variant's per-trial values of trials `range`) and the manifest.
    #[expect(clippy::too_many_arguments, reason = "one shard: each argument is one of its parts")]
    fn write(
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
        output::write_json(&mut files, SHARD_FILE, &manifest)?;
        files.commit()?;
        Ok(())
    }
}

/// Writes `variant_trials.parquet`: one row per variant, end use and trial (trials `first_trial ..`), in that order.
fn write_variant_trials<W: Write>(
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
fn read_variant_trials(
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
pub fn merge_compare(
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
    let folder = OutputFolder::create(&out)?;
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
    print_comparison(&written, &out, args.report, args.width)
}
