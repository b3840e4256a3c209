//! The subcommands: `run`, `compare`, `merge`, `size-stockpile`, `validate`, `graph`, `report`, `batch`, `trace`,
//! `check`, `completions`, `optimize`, `sweep` and `sensitivity`.

mod batch;
mod check;
mod compare;
mod completions;
mod graph;
mod merge;
mod optimize;
mod report;
mod run;
mod sensitivity;
mod size_stockpile;
mod sweep;
mod trace;
mod validate;

use std::path::PathBuf;

use crate::cli::{Command, TrialSettings};
use crate::failure::Failure;
use crate::files::folders::{OutputFolder, OutputPath};
use crate::render::console::print_stdout;
use crate::scenario_source::{LoadedScenario, ScenarioSource};

/// Runs `command`.
pub fn execute(command: Command) -> Result<(), Failure> {
    match command {
        Command::Run(args) => run::run(&args),
        Command::Compare(args) => compare::compare(&args),
        Command::SizeStockpile(args) => size_stockpile::size_stockpile(&args),
        Command::Validate(sources) => validate::validate(&sources),
        Command::Graph { scenario, notation } => graph::graph(&scenario, notation),
        Command::Report { out_dir } => report::report(&out_dir),
        Command::Batch(args) => batch::batch(&args),
        Command::Trace(args) => trace::trace(&args),
        Command::Optimize(args) => optimize::optimize(&args),
        Command::Merge(args) => merge::merge(&args),
        Command::Check { out_dir, thresholds } => check::check(&out_dir, &thresholds),
        Command::Completions(shell) => completions::completions(shell),
        Command::Sweep(args) => sweep::sweep(&args),
        Command::Sensitivity(args) => sensitivity::sensitivity(&args),
    }
}

/// Reads the scenario of the command line with its `--set` settings applied, and prints its warnings: the first
/// step of every command that runs a scenario.
fn open_scenario(source: &ScenarioSource, set: &[String]) -> Result<LoadedScenario, Failure> {
    let loaded = crate::scenario_source::load_with(source, set)?;
    print_warnings(&loaded);
    Ok(loaded)
}

/// The output folder of a command's run of scenario `scenario_name`: `--out`, or `out/<scenario name>/<folder>`;
/// created, and removed again unless the command keeps it.
fn output_folder(
    settings: &TrialSettings,
    scenario_name: &str,
    folder: &str,
) -> Result<(PathBuf, OutputFolder), Failure> {
    let path = match &settings.out {
        Some(dir) => OutputPath::given(dir),
        None => OutputPath::default_of(scenario_name, &[folder])?,
    };
    let created = OutputFolder::create(&path)?;
    Ok((path.path(), created))
}

/// Prints the scenario's warnings on stderr.
fn print_warnings(loaded: &LoadedScenario) {
    crate::render::console::eprint(&loaded.rendered_warnings(crate::render::console::style()));
}
