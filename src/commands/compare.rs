//! `chokepoint compare`: run the baseline and each mitigation option on the same random draws, compare them
//! trial by trial (the analysis library's `comparison`), write the comparison files and print the ranked tables.
//! With `--shard I/N` (or `--trials-from A --trials-to B`) it runs every variant over a part of the trials only and
//! writes their per-trial values into a shard folder; `chokepoint merge` makes the comparison of all the trials
//! from the shards ([`merge_compare`](crate::files::comparison::merge_compare)), byte for byte the one a single machine makes.
//!
//! Cost: one run of the trials per variant, that is `k + 1` runs for `k` options, one after the other (each
//! run uses every worker thread); with `--evppi`, the value-of-information sampler's runs after them (printed
//! before anything runs). Only what the comparison needs is kept of each option's run (per end use and
//! trial: units short, lateness, the longest delay, backlog, loss), so memory grows with
//! `k x trials x end uses`.

use std::time::{Instant, SystemTime};

use chokepoint_analysis::evppi::Choice;
use chokepoint_analysis::loss::LossWeights;
use chokepoint_analysis::outcome::VariantOutcome;
use chokepoint_analysis::portfolio::Objective;
use chokepoint_analysis::variants::VariantRunner;
use chokepoint_engine::Model;

use crate::cli::CompareArgs;
use crate::documents::compare_record::VariantTiming;
use crate::documents::optimize::objective_json;
use crate::documents::value_of_information::EvppiJson;
use crate::failure::Failure;
use crate::files::comparison::{CompareShard, ComparisonRecord, write_comparison};
use crate::files::folders::{OutputFolder, OutputPath};
use crate::files::run::Started;
use crate::options;
use crate::render::progress::{ProgressMode, TrialProgress};
use crate::render::table::thousands;
use crate::value_of_information;

pub fn compare(args: &CompareArgs) -> Result<(), Failure> {
    let started = Started { instant: Instant::now(), at: crate::documents::timestamp::rfc3339_utc(SystemTime::now()) };
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

    crate::files::folders::check_comparison_memory(&scenario.model, specs.len() + 1, trials)
        .map_err(|e| Failure::Usage(format!("{e:#}")))?;
    if args.evppi.enabled {
        crate::files::folders::check_memory_of(&scenario.model, "--evppi-trials", args.evppi.trials)
            .map_err(|e| Failure::Usage(format!("{e:#}")))?;
    }
    let information = if args.evppi.enabled {
        let (choices, net_of_cost) = Choice::of_comparison(scenario, &specs);
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

    let out_path = match (&settings.out, &range) {
        (Some(dir), _) => OutputPath::given(dir),
        (None, None) => OutputPath::default_of(&scenario.name, &["compare"])?,
        (None, Some(r)) => {
            OutputPath::default_of(&scenario.name, &["compare-shards", &format!("{}-{}", r.start, r.end)])?
        }
    };
    let out_dir = out_path.path();
    let folder = OutputFolder::create(&out_path)?;
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
            Some(EvppiJson::new(&answer, metric, args.evppi.samples, args.evppi.trials, plan.trials, *net_of_cost))
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
    crate::render::compare::print_comparison(&written, &out_dir, settings.report, settings.width)
}
