//! `chokepoint run`: simulate the trials of a scenario, write every output file, print the report; or, with
//! `--shard I/N` or `--trials-from A --trials-to B`, run a part of the trials into a shard folder for `merge`.

use std::path::Path;
use std::time::{Instant, SystemTime};

use chokepoint_analysis::loss::LossWeights;
use chokepoint_analysis::variants::VariantRunner;
use chokepoint_analysis::worlds;
use chokepoint_engine::RunConfig;
use chokepoint_scenario::Parameter;

use crate::cli::{MAX_TRIALS, RunArgs};
use crate::documents::run_record::Settings;
use crate::documents::worlds::WorldsJson;
use crate::failure::Failure;
use crate::files::folders::{DEFAULT_ROOT, OutputFolder, OutputPath};
use crate::files::run::{self, Started, WorldsStudy};
use crate::options::{analysis_failure, read_input};
use crate::render::progress::{ProgressMode, TrialProgress};
use crate::render::table::thousands;
use crate::scenario_source::LoadedScenario;

pub fn run(args: &RunArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let started_at = crate::documents::timestamp::rfc3339_utc(SystemTime::now());
    let mut loaded = super::open_scenario(&args.scenario, &args.set)?;
    let options = run::apply_mitigations(&mut loaded, args.mitigations.iter().map(read_input))?;
    let worlds = args.worlds.worlds.or(loaded.scenario.uncertainty.worlds.and_then(|w| usize::try_from(w).ok()));
    let range = match args.shard {
        Some(shard) => {
            refuse_worlds_in_shard(worlds, args.worlds.worlds.is_some())?;
            Some(shard.range(args.settings.trials).map_err(Failure::Usage)?)
        }
        None => None,
    };
    let model = &loaded.scenario.model;
    match &range {
        // A shard holds no summary.
        Some(r) => crate::files::folders::check_streamed_memory(model, 0, args.batch_trials, r.end - r.start),
        None => crate::files::folders::check_streamed_memory(
            model,
            args.settings.trials,
            args.batch_trials,
            args.settings.trials,
        ),
    }
    .map_err(|e| Failure::Usage(format!("{e:#}")))?;
    let worlds_trials = match worlds {
        Some(w) => {
            // Each world is a run whose per-trial results are held until its metrics are taken.
            crate::files::folders::check_memory_of(model, "--world-trials", args.worlds.trials)
                .map_err(|e| Failure::Usage(format!("{e:#}")))?;
            check_worlds(&loaded, w, args.worlds.worlds.is_some(), args.worlds.trials)?
        }
        None => 0,
    };
    let out_path = match (&args.settings.out, &range) {
        (Some(dir), _) => OutputPath::given(dir),
        (None, None) => OutputPath::new(Path::new(DEFAULT_ROOT), &[&default_folder(&loaded)?])?,
        (None, Some(r)) => {
            let shards = format!("{}-shards", default_folder(&loaded)?);
            OutputPath::new(Path::new(DEFAULT_ROOT), &[&shards, &format!("{}-{}", r.start, r.end)])?
        }
    };
    let out_dir = out_path.path();
    let folder = OutputFolder::create(&out_path)?;

    let threads = args.settings.threads.resolve();
    let settings =
        Settings { seed: args.settings.seed, trials: args.settings.trials, threads, batch_trials: args.batch_trials };
    let started = Started { instant: started, at: started_at };
    if let Some(range) = range {
        let progress = TrialProgress::new(range.end - range.start, args.settings.progress);
        let written = run::write_shard(
            &loaded,
            &options,
            &out_dir,
            settings,
            range.clone(),
            &|done| progress.record(done),
            started,
        );
        progress.finish();
        written?;
        folder.keep();
        return Ok(super::print_stdout(&format!(
            "Shard of trials {}..{} of {} written to {}; merge the shards with `chokepoint merge OUT SHARD_DIR...`\n",
            range.start,
            range.end,
            args.settings.trials,
            out_dir.display()
        ))?);
    }
    if args.settings.progress == ProgressMode::Bar && worlds.is_some() {
        eprintln!(
            "run: {} trials, then {} worlds × {} trials = {} · {} trials in all",
            thousands(args.settings.trials),
            thousands(worlds.unwrap_or(0) as u64),
            thousands(args.worlds.trials),
            thousands(worlds_trials),
            thousands(args.settings.trials + worlds_trials)
        );
    }
    let progress = TrialProgress::new(args.settings.trials + worlds_trials, args.settings.progress);
    let study = match worlds {
        Some(w) => {
            let config = args.settings.run_config_of(args.worlds.trials);
            let done = run_worlds(&loaded, w, config, &|d| progress.record(d));
            Some(done.inspect_err(|_| progress.finish())?)
        }
        None => None,
    };
    let written = run::write_run(
        &loaded,
        &out_dir,
        settings,
        &|done| progress.record(worlds_trials + done),
        started,
        study.as_ref(),
    );
    progress.finish();
    let written = written?;
    folder.keep();
    crate::render::run::print_run(&written, &out_dir, args.settings.report, args.settings.width)
}

/// A two-level study (`--worlds`, or the scenario's `[uncertainty] worlds`) is not run in shards yet: its worlds
/// are not cut into ranges of trials, so a merge could not give the answer of one run.
fn refuse_worlds_in_shard(worlds: Option<usize>, from_option: bool) -> Result<(), Failure> {
    if worlds.is_none() {
        return Ok(());
    }
    let named = if from_option { "`--worlds`" } else { "the scenario's `[uncertainty] worlds`" };
    Err(Failure::Usage(format!(
        "{named} cannot be combined with `--shard` or `--trials-from`/`--trials-to` yet: a shard runs a part of the \
         trials and no two-level study; run the worlds without sharding (`run --worlds N`)"
    )))
}

/// The trials of a two-level study of `worlds` worlds (from `--worlds` when `from_option`, else from the
/// scenario's `uncertainty.worlds`) of `world_trials` trials each, refused before anything runs when they are more
/// than [`MAX_TRIALS`] (a run's most trials) or when the values kept for every world would not fit in memory.
fn check_worlds(loaded: &LoadedScenario, worlds: usize, from_option: bool, world_trials: u64) -> Result<u64, Failure> {
    let count = worlds as u64;
    let named = if from_option {
        format!("`--worlds {count}`")
    } else {
        format!("`uncertainty.worlds` ({})", thousands(count))
    };
    let trials = worlds::trials(worlds, world_trials);
    if trials > MAX_TRIALS {
        let product = if trials == u64::MAX { String::new() } else { format!(" = {} trials", thousands(trials)) };
        return Err(Failure::Usage(format!(
            "{named} × `--world-trials {world_trials}`{product}, more than the {} trials a run may have: give fewer \
             worlds or fewer `--world-trials`",
            thousands(MAX_TRIALS)
        )));
    }
    let scenario = &loaded.scenario;
    let knowledge = scenario.parameters.iter().filter(|p| scenario.uncertainty.is_knowledge(p)).count();
    let flag = if from_option { "--worlds" } else { "uncertainty.worlds =" };
    crate::files::folders::check_worlds_memory(&scenario.model, flag, count, knowledge)
        .map_err(|e| Failure::Usage(format!("{e:#}")))?;
    Ok(trials)
}

/// Runs `worlds` worlds of `loaded`'s knowledge parameters, each with `config` (`--world-trials` trials on the
/// run's seed).
fn run_worlds(
    loaded: &LoadedScenario,
    worlds: usize,
    config: RunConfig,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<WorldsStudy, Failure> {
    let scenario = &loaded.scenario;
    let knowledge: Vec<&Parameter> =
        scenario.parameters.iter().filter(|p| scenario.uncertainty.is_knowledge(p)).collect();
    let mut runner = VariantRunner::new(config, progress);
    let weights = LossWeights::of(scenario);
    let answer =
        worlds::worlds(&scenario.model, &knowledge, worlds, &weights, &mut runner).map_err(analysis_failure)?;
    let json = WorldsJson::new(&answer, &knowledge, scenario);
    Ok(WorldsStudy { answer, json })
}

/// The folder of a run in `out`: `<scenario name>`, or `<scenario name>+<mitigation>+...` for a run with
/// mitigations.
fn default_folder(loaded: &LoadedScenario) -> Result<String, Failure> {
    // Each name passes the same check as the scenario's: snake_case, so `+` cannot be mistaken for a separator.
    let mut folder = loaded.scenario.name.clone();
    crate::files::folders::scenario_folder(Path::new(DEFAULT_ROOT), &folder)?;
    for m in &loaded.applied {
        crate::files::folders::scenario_folder(Path::new(DEFAULT_ROOT), m)?;
        folder.push_str(&format!("+{m}"));
    }
    Ok(folder)
}
