//! `chokepoint compare`: run the baseline and each mitigation option on the same random draws, compare them
//! trial by trial, write the comparison files and print the ranked tables.
//!
//! Cost: one run of the trials per variant, that is `k + 1` runs for `k` options, one after the other (each
//! run uses every worker thread). Only what the comparison needs is kept of each option's run (units short and
//! shortfall flags per end use and trial), so memory grows with `k x trials x end uses` eight-byte numbers.

use std::path::Path;
use std::time::{Instant, SystemTime};

use anyhow::Context;
use chokepoint_engine::{Model, RunConfig, RunResults};
use chokepoint_scenario::{Scenario, VariantError};

use super::run::OutputFolder;
use crate::cli::{CompareArgs, OptionArg};
use crate::comparison::{CompareDocument, CompareRun, OptionOutcome, OptionSpec, VariantOutcome};
use crate::comparison_output::{
    self, COMPARE_CSV_FILE, COMPARE_JSON_FILE, COMPARE_RUN_FILE, CompareRecord, PAIRED_DIFFERENCES_FILE, VariantTiming,
};
use crate::failure::Failure;
use crate::output;
use crate::progress::TrialProgress;
use crate::report::REPORT_FILE;
use crate::scenario_source::{self, SourceDigest};
use crate::staged_files::StagedFiles;
use crate::summary_json::to_json_text;
use crate::table::ReportFormat;

pub fn compare(args: &CompareArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let started_at = crate::timestamp::rfc3339_utc(SystemTime::now());
    let settings = &args.settings;
    let mut loaded = scenario_source::load(&args.scenario)?;
    super::print_warnings(&loaded);
    let (specs, overlays) = options(&mut loaded.scenario, &args.options, args.all)?;
    let scenario = &loaded.scenario;
    let models: Vec<Model> = specs
        .iter()
        .map(|o| scenario.variant(&[o.name.as_str()]).map_err(variant_failure))
        .collect::<Result<_, _>>()?;

    crate::output_paths::check_memory(&scenario.model, settings.trials)
        .map_err(|e| Failure::Usage(format!("{e:#}")))?;
    let out_dir = match &settings.out {
        Some(dir) => dir.clone(),
        None => crate::output_paths::scenario_folder(Path::new("out"), &scenario.name)?.join("compare"),
    };
    let folder = OutputFolder::create(&out_dir)?;
    let threads = settings.threads.resolve();
    let config = RunConfig { trials: settings.trials, seed: settings.seed, threads, bands: false };
    let progress = TrialProgress::new(settings.trials * (specs.len() as u64 + 1), settings.progress);
    let mut timings = Vec::with_capacity(specs.len() + 1);
    let mut run_variant = |index: usize, name: &str, model: &Model| -> anyhow::Result<RunResults> {
        let offset = index as u64 * settings.trials;
        let start = Instant::now();
        let results = chokepoint_engine::run(model, &config, &|done| progress.record(offset + done))
            .with_context(|| format!("could not run the trials of `{name}`"))?;
        timings.push(VariantTiming { name: name.to_owned(), simulation_s: start.elapsed().as_secs_f64() });
        Ok(results)
    };
    let baseline_results = run_variant(0, "baseline", &scenario.model);
    let baseline_results = match baseline_results {
        Ok(r) => r,
        Err(e) => {
            progress.finish();
            return Err(e.into());
        }
    };
    let baseline = VariantOutcome::of(&baseline_results);
    let mut outcomes = Vec::with_capacity(specs.len());
    for (i, (spec, model)) in specs.iter().zip(&models).enumerate() {
        match run_variant(i + 1, &spec.name, model) {
            Ok(results) => outcomes.push(OptionOutcome::new(&baseline_results, &results)),
            Err(e) => {
                progress.finish();
                return Err(e.into());
            }
        }
    }
    progress.finish();
    drop(baseline_results);

    let run = CompareRun { loaded: &loaded, overlays: &overlays, seed: settings.seed, trials: settings.trials };
    let document = CompareDocument::new(run, &specs, &baseline, &outcomes);
    let compare_json = to_json_text(&document)?;
    let end_uses: Vec<String> = scenario.model.spec().end_uses.iter().map(|e| e.name.clone()).collect();
    let option_outcomes: Vec<(String, &VariantOutcome)> =
        specs.iter().zip(&outcomes).map(|(s, o)| (s.name.clone(), &o.variant)).collect();

    let mut files = StagedFiles::new(&out_dir);
    files.write(PAIRED_DIFFERENCES_FILE, |w| {
        comparison_output::write_paired_differences(w, &end_uses, &baseline, &option_outcomes)
    })?;
    files.write(COMPARE_CSV_FILE, |w| comparison_output::write_compare_csv(w, &document))?;
    output::write_text(&mut files, COMPARE_JSON_FILE, &compare_json)?;
    let report = crate::report::render_compare_report(
        &comparison_output::report_meta(&document),
        &comparison_output::report_rows(&document),
    )?;
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
        vec![COMPARE_CSV_FILE, COMPARE_JSON_FILE, PAIRED_DIFFERENCES_FILE, REPORT_FILE, COMPARE_RUN_FILE],
    );
    output::write_json(&mut files, COMPARE_RUN_FILE, &record)?;
    files.commit()?;
    folder.keep();

    match settings.report {
        ReportFormat::Table => super::print_stdout(&comparison_output::render(&document, &out_dir))?,
        ReportFormat::Json => super::print_stdout(&compare_json)?,
    }
    Ok(())
}

/// Adds the overlay files to `scenario` and lists the options to compare, each once, in the order given (every
/// mitigation, then every package, with `all`), with the overlays' digests.
fn options(
    scenario: &mut Scenario,
    args: &[OptionArg],
    all: bool,
) -> Result<(Vec<OptionSpec>, Vec<SourceDigest>), Failure> {
    let mut overlays = Vec::new();
    // `(name, file)` for each option named, in order; `file` is the overlay that defined it.
    let mut named: Vec<(String, Option<String>)> = Vec::new();
    let mut defined_by: Vec<(String, String)> = Vec::new();
    for arg in args {
        match arg {
            OptionArg::Name(name) => named.push((name.clone(), None)),
            OptionArg::File(path) => {
                let file = scenario_source::read_overlay(path)?;
                let names = scenario_source::add_overlay(scenario, &file)?;
                let short = path.file_name().map_or_else(|| file.origin.clone(), |f| f.to_string_lossy().into_owned());
                for name in names {
                    defined_by.retain(|(n, _)| *n != name);
                    defined_by.push((name.clone(), short.clone()));
                    named.push((name, Some(short.clone())));
                }
                overlays.push(SourceDigest { origin: file.origin, sha256: file.sha256 });
            }
        }
    }
    let mut order: Vec<String> = named.iter().map(|(n, _)| n.clone()).collect();
    if all {
        order.extend(scenario.mitigations.iter().map(|m| m.name.clone()));
        order.extend(scenario.packages.iter().map(|p| p.name.clone()));
    }
    let mut specs: Vec<OptionSpec> = Vec::new();
    for name in order {
        if specs.iter().any(|s| s.name == name) {
            continue;
        }
        let Some(mut spec) = OptionSpec::of(scenario, &name) else {
            return Err(variant_failure(
                scenario
                    .variant(&[name.as_str()])
                    .err()
                    .unwrap_or(VariantError::Unknown { name: name.clone(), known: Vec::new() }),
            ));
        };
        spec.source = defined_by.iter().find(|(n, _)| *n == name).map(|(_, f)| f.clone());
        specs.push(spec);
    }
    if specs.is_empty() {
        return Err(Failure::Usage(if all {
            format!(
                "scenario `{}` defines no mitigation or package to compare; add some with `--mitigation FILE`",
                scenario.name
            )
        } else {
            "no option to compare: name a mitigation or package with `--mitigation NAME`, give a file of them \
             with `--mitigation FILE`, or compare every one with `--all`"
                .to_owned()
        }));
    }
    Ok((specs, overlays))
}

/// A variant that cannot be built: an unknown name is a usage error; an invalid model, a refused scenario.
pub(super) fn variant_failure(e: VariantError) -> Failure {
    match e {
        VariantError::Invalid(d) => Failure::from(d),
        other => Failure::Usage(other.to_string()),
    }
}
