//! `chokepoint compare`: run the baseline and each mitigation option on the same random draws, compare them
//! trial by trial (the analysis library's `comparison`), write the comparison files and print the ranked tables.
//!
//! Cost: one run of the trials per variant, that is `k + 1` runs for `k` options, one after the other (each
//! run uses every worker thread). Only what the comparison needs is kept of each option's run (per end use and
//! trial: units short, lateness, the longest delay, backlog, loss), so memory grows with
//! `k x trials x end uses`.

use std::path::Path;
use std::time::{Instant, SystemTime};

use chokepoint_analysis::comparison::Comparison;
use chokepoint_analysis::loss::LossWeights;
use chokepoint_analysis::outcome::VariantOutcome;
use chokepoint_analysis::variants::VariantRunner;
use chokepoint_engine::{Model, RunConfig};

use super::run::OutputFolder;
use crate::cli::CompareArgs;
use crate::comparison::{CompareDocument, CompareRun};
use crate::comparison_output::{
    self, COMPARE_CSV_FILE, COMPARE_JSON_FILE, COMPARE_RUN_FILE, CompareRecord, PAIRED_DIFFERENCES_FILE,
    PAIRED_LOSSES_FILE, VariantTiming,
};
use crate::failure::Failure;
use crate::options;
use crate::output;
use crate::progress::TrialProgress;
use crate::report::REPORT_FILE;
use crate::scenario_source;
use crate::staged_files::StagedFiles;
use crate::summary_json::to_json_text;
use crate::table::ReportFormat;

pub fn compare(args: &CompareArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let started_at = crate::timestamp::rfc3339_utc(SystemTime::now());
    let settings = &args.settings;
    let mut loaded = scenario_source::load(&args.scenario)?;
    super::print_warnings(&loaded);
    let (specs, overlays) = options::resolve(&mut loaded.scenario, &args.options, args.all)?;
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

    crate::output_paths::check_memory(&scenario.model, settings.trials)
        .map_err(|e| Failure::Usage(format!("{e:#}")))?;
    let out_dir = match &settings.out {
        Some(dir) => dir.clone(),
        None => crate::output_paths::scenario_folder(Path::new("out"), &scenario.name)?.join("compare"),
    };
    let folder = OutputFolder::create(&out_dir)?;
    let threads = settings.threads.resolve();
    let config = RunConfig { trials: settings.trials, seed: settings.seed, threads, bands: false, first_trial: 0 };
    let progress = TrialProgress::new(settings.trials * (specs.len() as u64 + 1), settings.progress);
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
    progress.finish();
    let baseline = outcomes.remove(0);
    let comparison = Comparison::new(scenario, &specs, &baseline, &outcomes);

    let run = CompareRun { loaded: &loaded, overlays: &overlays, seed: settings.seed, trials: settings.trials };
    let document = CompareDocument::new(run, &specs, &comparison);
    let compare_json = to_json_text(&document)?;
    let end_uses: Vec<String> = scenario.model.spec().end_uses.iter().map(|e| e.name.clone()).collect();
    let option_outcomes: Vec<(String, &VariantOutcome)> =
        specs.iter().zip(&outcomes).map(|(s, o)| (s.name.clone(), o)).collect();

    let mut files = StagedFiles::new(&out_dir);
    files.write(PAIRED_DIFFERENCES_FILE, |w| {
        comparison_output::write_paired_differences(w, &end_uses, &baseline, &option_outcomes)
    })?;
    files.write(PAIRED_LOSSES_FILE, |w| comparison_output::write_paired_losses(w, &baseline, &option_outcomes))?;
    files.write(COMPARE_CSV_FILE, |w| comparison_output::write_compare_csv(w, &document))?;
    output::write_text(&mut files, COMPARE_JSON_FILE, &compare_json)?;
    let report = crate::report::render_compare_report(&document)?;
    output::write_text(&mut files, REPORT_FILE, &report)?;
    let record = CompareRecord::new(
        &loaded,
        comparison_output::CompareRun {
            overlays,
            seed: settings.seed,
            trials: settings.trials,
            threads,
            variants: timings,
            started_at,
            wall_time_s: started.elapsed().as_secs_f64(),
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
    output::write_json(&mut files, COMPARE_RUN_FILE, &record)?;
    files.commit()?;
    folder.keep();

    match settings.report {
        ReportFormat::Table => {
            super::print_stdout(&comparison_output::render(&document, &out_dir, settings.width))?;
        }
        ReportFormat::Json => super::print_stdout(&compare_json)?,
    }
    Ok(())
}
