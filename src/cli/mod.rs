//! Command-line arguments: clap's raw form, then the validated commands the rest of the binary runs.

pub mod study;
pub mod trials;

use std::path::PathBuf;
use std::process::ExitCode;

use chokepoint_analysis::portfolio::ObjectiveKind;
use clap::{Args, Parser, Subcommand};

use crate::cli::study::{
    EvppiArgs, RawEvppi, RawSensitivity, RawSet, RawSweep, RawWorlds, SensitivityArgs, SweepArgs, WorldsArgs,
};
use crate::cli::trials::{RawTrialCount, RawTrials, progress_mode};
pub use crate::cli::trials::{Threads, TrialSettings};
use crate::documents::check::Threshold;
use crate::files::batch::BatchFormat;
use crate::files::shard::ShardArg;
use crate::files::trials::DEFAULT_BATCH_TRIALS;
use crate::render::console::ColorChoice;
use crate::render::graph::Notation;
use crate::render::progress::ProgressMode;
use crate::render::table::{ReportFormat, Width};
use crate::scenario_source::ScenarioSource;
use chokepoint_analysis::sizing::SizingTarget;

pub use chokepoint_analysis::limits::{
    MAX_BOOTSTRAP, MAX_EVPPI_SAMPLES, MAX_PORTFOLIOS, MAX_SOBOL_SAMPLES, MAX_THREADS, MAX_TRIALS,
};

/// Examples shown after `chokepoint --help`.
const EXAMPLES: &str = "\
Examples:
  chokepoint run                                        the embedded default scenario, 10,000 trials
  chokepoint run scenarios/licensing_2025.toml -n 2000 -s 7 -o out/lic
  chokepoint validate scenarios/*.toml                  check every scenario of a folder
  cat s.toml | chokepoint validate -                    read a scenario from standard input
  chokepoint compare scenarios/mitigations_2025.toml --all -n 2000
  chokepoint check out/rare_earths_2025 --fail-if 'f35_aircraft.p_short_or_late.p > 0.05'
  chokepoint completions bash > ~/.local/share/bash-completion/completions/chokepoint

Exit codes: 0 success, 1 runtime or I/O error, 2 usage error or refused scenario, 3 sizing target not met,
4 a `check` threshold crossed. Docs: docs/cli.md.";

/// Monte Carlo simulator of supply disruptions in rare-earth supply chains.
#[derive(Debug, Parser)]
#[command(name = "chokepoint", version, about, propagate_version = true, after_help = EXAMPLES)]
struct RawCli {
    /// When to colour diagnostics and messages on stderr (`auto`: on a terminal, unless NO_COLOR is set).
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    #[command(subcommand)]
    command: RawCommand,
}

#[derive(Debug, Subcommand)]
enum RawCommand {
    /// Run Monte Carlo trials of a scenario and write the results.
    #[command(after_help = "\
Examples:
  chokepoint run                                  the embedded default scenario
  chokepoint run scenarios/licensing_2025.toml -n 2000 -s 7 -j 4 -o out/lic -q
  chokepoint run s.toml --format json | jq '.end_uses[0].p_short_or_late'
  chokepoint run - < s.toml                       a scenario on standard input
  chokepoint run --worlds 200 --world-trials 500  results across what we do not know
  chokepoint run --set disruptions.escalation.duration_weeks=26")]
    Run(RawRun),
    /// Check scenarios and list every problem found.
    #[command(after_help = "\
Examples:
  chokepoint validate scenarios/licensing_2025.toml
  chokepoint validate scenarios/*.toml
  generate-scenario | chokepoint validate -

Exit code 0 when every scenario is valid, 2 when any is refused (all are checked).")]
    Validate {
        /// Scenario files (TOML); `-` reads one from standard input.
        #[arg(required = true, value_name = "SCENARIO")]
        scenarios: Vec<PathBuf>,
    },
    /// Compare mitigations against doing nothing, on the same random draws.
    #[command(after_help = "\
Examples:
  chokepoint compare scenarios/mitigations_2025.toml -m us_dy_tb_stockpile -m gbd_thrifting -n 2000
  chokepoint compare scenarios/mitigations_2025.toml --all --format json > compare.json
  chokepoint compare scenarios/licensing_2025.toml -m my_options.toml
  chokepoint compare scenarios/mitigations_2025.toml --all --evppi     which unknown to research first")]
    Compare(RawCompare),
    /// Find the smallest size of a stockpile that keeps an end use's shortfall probability under a target.
    #[command(after_help = "\
Example:
  chokepoint size-stockpile scenarios/mitigations_2025.toml --stockpile ndfeb_block_stockpile \\
      --end-use f35_aircraft --max-shortfall-probability 0.01 -n 2000")]
    SizeStockpile(RawSizeStockpile),
    /// Rebuild report.html in a run's output folder from the files saved there, without running again.
    #[command(after_help = "\
Examples:
  chokepoint report out/rare_earths_2025
  chokepoint report out/batch/licensing_2025")]
    Report {
        /// Output folder of a run (holding summary.json, bands.parquet, trials.parquet, run.json, graph.json).
        #[arg(value_name = "OUTDIR")]
        out_dir: PathBuf,
    },
    /// Merge the shards of a run or a comparison (`--shard I/N`) into the outputs of the whole run.
    #[command(after_help = "\
The outputs are byte for byte those of one run of all the trials, but for the wall times and the list of
shards in run.json (compare_run.json). Shards that do not belong together (other scenario bytes, bases,
mitigations, seed, trial count, batch size or version), that overlap or that leave trials out are refused,
naming the shard and the difference, and nothing is written then.

Examples:
  chokepoint run s.toml -n 1000000 --shard 1/4 -o shards/1   (and 2/4, 3/4, 4/4, anywhere)
  chokepoint merge out/s shards/1 shards/2 shards/3 shards/4
  chokepoint merge out/s shards/*")]
    Merge(RawMerge),
    /// Run many scenarios (files, or every .toml file of a folder) and summarise them side by side.
    #[command(after_help = "\
Examples:
  chokepoint batch scenarios -n 2000 -o out/batch
  chokepoint batch scenarios --format markdown > table.md
  chokepoint batch scenarios --compare")]
    Batch(RawBatch),
    /// Find the best set of mitigations within a budget, by simulation on the same random draws.
    #[command(after_help = "\
Examples:
  chokepoint optimize scenarios/mitigations_2025.toml --budget 150M -n 1000     every mitigation a candidate
  chokepoint optimize scenarios/mitigations_2025.toml --budget 50M -m smco_alloy_reserve -m gbd_thrifting \\
      -m defense_first_allocation --objective short:f35_aircraft")]
    Optimize(RawOptimize),
    /// Trace the weekly flows of a few trials of a scenario (shipments, receipts, exports against no disruption).
    #[command(after_help = "\
Examples:
  chokepoint trace scenarios/licensing_2025.toml
  chokepoint trace scenarios/mitigations_2025.toml --with us_dy_tb_stockpile -n 50")]
    Trace(RawTrace),
    /// Run a scenario at every point of a grid of values of some of its keys, on the same random draws.
    #[command(after_help = "\
Examples:
  chokepoint sweep s.toml --vary disruptions.escalation.duration_weeks=5,13,26,52 -n 1000
  chokepoint sweep s.toml --vary stages.x.inventory_weeks.initial=4,8 --vary horizon.years=2,3 --zip
  chokepoint sweep s.toml --vary disruptions.x.duration_weeks=8,26 --metric short:f35_aircraft --format json")]
    Sweep(RawSweep),
    /// Which assumptions matter: a tornado of one parameter at a time, and variance-based (Sobol) indices.
    #[command(after_help = "\
Examples:
  chokepoint sensitivity --list                          the uncertain parameters of the default scenario
  chokepoint sensitivity --metric short:f35_aircraft -n 500
  chokepoint sensitivity s.toml --method sobol --samples 512 --param 'stages.*.inventory_weeks.initial'")]
    Sensitivity(RawSensitivity),
    /// Print the stage graph of a scenario.
    #[command(after_help = "\
Examples:
  chokepoint graph scenarios/rare_earths_2025.toml | dot -Tsvg > graph.svg
  chokepoint graph scenarios/rare_earths_2025.toml --format mermaid")]
    Graph {
        /// Scenario file (TOML); `-` reads it from standard input.
        scenario: PathBuf,
        /// Graph notation.
        #[arg(long, value_enum, default_value_t = Notation::Dot)]
        format: Notation,
    },
    /// Fail (exit code 4) when a result in an output folder crosses a threshold: a gate for CI pipelines.
    #[command(after_help = "\
A PATH names a number in the folder's document (summary.json, compare.json, sizing.json, optimize.json,
sweep.json or sensitivity.json) by its fields, joined with dots; an element of a list is named by its `name`
(`end_uses.f35_aircraft.p_short_or_late.p`) or its index (`points.0.loss.mean`), and a named element's list
may be left out (`f35_aircraft.p_short_or_late.p`). In a `chokepoint batch` folder the path starts with the
scenario's name. Any field of those files can be checked, including fields added in later versions.

Examples:
  chokepoint check out/rare_earths_2025 --fail-if 'f35_aircraft.p_short_or_late.p > 0.05'
  chokepoint check out/batch --fail-if 'licensing_2025.ev_traction_motors.share_met.mean < 0.95' \\
      --fail-if 'worst_case.f35_aircraft.units_short.p95 >= 1'
  chokepoint check out/optimize --fail-if 'best.objective.mean > 5000'

Exit codes: 0 when no threshold is crossed, 4 when any is, 2 for a path that names no number (the
fields available are listed), 1 when the folder's files cannot be read.")]
    Check {
        /// Output folder of `run`, `compare`, `size-stockpile`, `optimize`, `sweep`, `sensitivity` or `batch`.
        #[arg(value_name = "OUTDIR")]
        out_dir: PathBuf,
        /// A condition that fails the check when true: `PATH OP NUMBER`, with OP one of > >= < <= == !=.
        /// Repeat for several; every one is evaluated and reported.
        #[arg(long = "fail-if", value_name = "'PATH OP NUMBER'", required = true, value_parser = Threshold::parse)]
        fail_if: Vec<Threshold>,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish or powershell) on stdout.
    #[command(after_help = "\
Examples:
  chokepoint completions bash > ~/.local/share/bash-completion/completions/chokepoint
  chokepoint completions zsh > ~/.zfunc/_chokepoint
  chokepoint completions fish > ~/.config/fish/completions/chokepoint.fish")]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
#[command(
    mut_arg("out", |a| a.help("Output folder [default: out/<scenario name>]")),
    mut_arg("format", |a| a.help(
        "What to print on stdout when the run is done: `table` (readable tables) or `json` (exactly the bytes of \
         summary.json)"
    ))
)]
struct RawRun {
    /// Scenario file (TOML); `-` reads it from standard input; the embedded rare_earths_2025 scenario when
    /// omitted.
    scenario: Option<PathBuf>,
    #[command(flatten)]
    trials: RawTrials,
    /// Run the world with this mitigation or package of the scenario applied, or with every one a `.toml` file of
    /// mitigations and packages defines. Repeat for several; they are applied in order.
    #[arg(long = "mitigation", short = 'm', value_name = "NAME|FILE")]
    mitigations: Vec<String>,
    /// Trials simulated and written at a time: memory holds two batches of results, one written while the next
    /// runs (1,752 bytes a trial for the default scenario); the per-trial files come in row groups of this many
    /// trials. Shards to be merged must use the same.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BATCH_TRIALS,
          value_parser = clap::value_parser!(u64).range(1..=MAX_TRIALS))]
    batch_trials: u64,
    #[command(flatten)]
    set: RawSet,
    #[command(flatten)]
    worlds: RawWorlds,
    #[command(flatten)]
    shard: RawShard,
}

/// Which part of a run's trials to run, as a shard to merge with the others (`chokepoint merge`).
#[derive(Debug, Args)]
struct RawShard {
    /// Run shard I of N of the `--trials` trials (numbered from 1: `1/4` to `4/4`), into a shard folder for
    /// `chokepoint merge` [default output folder: out/<scenario name>-shards/<first>-<end>].
    #[arg(long, value_name = "I/N", value_parser = ShardArg::parse_index, conflicts_with_all = ["trials_from", "trials_to"])]
    shard: Option<ShardArg>,
    /// Run trials A to B (B excluded) of the `--trials` trials, as a shard (uneven splits); with `--trials-to`.
    #[arg(long, value_name = "A", requires = "trials_to")]
    trials_from: Option<u64>,
    /// The end of the shard's trials (excluded), at most `--trials`; with `--trials-from`.
    #[arg(long, value_name = "B", requires = "trials_from")]
    trials_to: Option<u64>,
}

impl RawShard {
    fn into_shard(self) -> Option<ShardArg> {
        match (self.shard, self.trials_from, self.trials_to) {
            (Some(shard), _, _) => Some(shard),
            (None, Some(from), Some(to)) => Some(ShardArg::Range { from, to }),
            // clap requires both range flags together.
            _ => None,
        }
    }
}

#[derive(Debug, Args)]
struct RawMerge {
    /// Output folder of the merged run (created if missing; never one of the shards).
    #[arg(value_name = "OUT")]
    out: PathBuf,
    /// The shards' folders, in any order.
    #[arg(required = true, value_name = "SHARD_DIR")]
    shards: Vec<PathBuf>,
    /// What to print on stdout when done: `table` or `json` (the bytes of summary.json, or of compare.json).
    #[arg(long, value_enum, default_value_t = ReportFormat::Table, hide_possible_values = true)]
    format: ReportFormat,
    /// Show every column of the tables (by default they fit a 100-column terminal).
    #[arg(long)]
    wide: bool,
}

/// Settings shared by the commands that run trials of several variants (`compare`, `size-stockpile`,
/// `optimize`): the trial flags, worded for variants on common random numbers, and `--set`. Each command words
/// `--out` and `--format` for itself (`mut_arg`).
#[derive(Debug, Args)]
#[command(
    mut_arg("trials", |a| a.help("Number of trials per variant (at most 100,000,000, and what fits in memory)")),
    mut_arg("seed", |a| a.help("Master seed, the same for every variant: trial i sees the same disruptions in each"))
)]
struct RawTrialSettings {
    #[command(flatten)]
    trials: RawTrials,
    #[command(flatten)]
    set: RawSet,
}

#[derive(Debug, Args)]
#[command(
    mut_arg("out", |a| a.help("Output folder [default: out/<scenario name>/compare]")),
    mut_arg("format", |a| a.help(
        "What to print on stdout when done: `table` (a ranked table per end use and the overall ranking) or \
         `json` (exactly the bytes of compare.json)"
    ))
)]
struct RawCompare {
    /// Scenario file (TOML); `-` reads it from standard input; an overlay naming its base is read with the base.
    scenario: PathBuf,
    /// A mitigation or package of the scenario, or a `.toml` file of mitigations and packages (laid over the
    /// scenario; each one it defines becomes an option). Repeat for several.
    #[arg(long = "mitigation", short = 'm', value_name = "NAME|FILE")]
    mitigations: Vec<String>,
    /// Compare every mitigation and package of the scenario (and of the files given).
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    settings: RawTrialSettings,
    #[command(flatten)]
    shard: RawShard,
    #[command(flatten)]
    evppi: RawEvppi,
}

impl RawCompare {
    fn into_args(self) -> CompareArgs {
        CompareArgs {
            scenario: ScenarioSource::from_arg(self.scenario),
            options: self.mitigations.into_iter().map(OptionArg::from_word).collect(),
            all: self.all,
            settings: self.settings.trials.into_settings(),
            set: self.settings.set.set,
            shard: self.shard.into_shard(),
            evppi: self.evppi.into_args(),
        }
    }
}

#[derive(Debug, Args)]
#[command(
    mut_arg("out", |a| a.help("Output folder, for sizing.json [default: out/<scenario name>/sizing]")),
    mut_arg("format", |a| a.help(
        "What to print on stdout when done: `table` (the size found, its probability and cost, in words) or \
         `json` (exactly the bytes of sizing.json)"
    ))
)]
struct RawSizeStockpile {
    /// Scenario file (TOML); `-` reads it from standard input; an overlay naming its base is read with the base.
    scenario: PathBuf,
    /// The stockpile mitigation to size.
    #[arg(long, visible_alias = "mitigation", value_name = "NAME")]
    stockpile: String,
    /// The end use the target is about.
    #[arg(long, value_name = "END_USE")]
    end_use: String,
    /// Target: the probability that the end use is short or late at all over the horizon is at most P, in
    /// [0, 1) (for backlogged demand this is P(late), also `--max-late-probability`).
    #[arg(long, visible_alias = "max-late-probability", value_name = "P", value_parser = parse_probability,
          required_unless_present = "max_delay_weeks", conflicts_with = "max_delay_weeks")]
    max_shortfall_probability: Option<f64>,
    /// Target (backlogged end uses): a quantile across trials of the longest delay of a unit is at most this
    /// many weeks; the quantile is `--delay-quantile`.
    #[arg(long, value_name = "WEEKS", value_parser = parse_non_negative)]
    max_delay_weeks: Option<f64>,
    /// The quantile of `--max-delay-weeks`, in (0, 1).
    #[arg(long, value_name = "Q", default_value_t = 0.95, value_parser = parse_open_unit, requires = "max_delay_weeks")]
    delay_quantile: f64,
    /// Largest size searched, in the material's unit [default: 10 x the size in the file].
    #[arg(long, value_name = "SIZE", value_parser = parse_positive)]
    max_size: Option<f64>,
    /// Resolution of the search, in the material's unit [default: max size / 1000].
    #[arg(long, value_name = "SIZE", value_parser = parse_positive)]
    step: Option<f64>,
    /// Another mitigation or package applied, as in the file, in every variant (such as the Tb reserve while
    /// the Dy reserve is sized). Repeat for several.
    #[arg(long = "with", value_name = "NAME")]
    with: Vec<String>,
    #[command(flatten)]
    settings: RawTrialSettings,
}

impl RawSizeStockpile {
    fn into_args(self) -> SizeStockpileArgs {
        let target = match (self.max_shortfall_probability, self.max_delay_weeks) {
            (_, Some(max_weeks)) => SizingTarget::DelayQuantile { quantile: self.delay_quantile, max_weeks },
            (Some(p), None) => SizingTarget::ShortOrLateProbability(p),
            // clap requires one of the two.
            (None, None) => SizingTarget::ShortOrLateProbability(0.0),
        };
        SizeStockpileArgs {
            scenario: ScenarioSource::from_arg(self.scenario),
            stockpile: self.stockpile,
            end_use: self.end_use,
            target,
            max_size: self.max_size,
            step: self.step,
            with: self.with,
            settings: self.settings.trials.into_settings(),
            set: self.settings.set.set,
        }
    }
}

fn parse_probability(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if (0.0..1.0).contains(&p) => Ok(p),
        _ => Err(format!("`{text}` is not a probability in [0, 1)")),
    }
}

fn parse_non_negative(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err(format!("`{text}` is not a number of zero or more")),
    }
}

fn parse_open_unit(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x > 0.0 && x < 1.0 => Ok(x),
        _ => Err(format!("`{text}` is not a quantile in (0, 1)")),
    }
}

/// A budget in US dollars: a number of zero or more, with an optional `$` and `k`, `M` or `B` suffix.
fn parse_budget(text: &str) -> Result<f64, String> {
    let t = text.trim().trim_start_matches('$');
    let (number, factor) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1e3),
        Some((i, 'M' | 'm')) => (&t[..i], 1e6),
        Some((i, 'B' | 'b' | 'G')) => (&t[..i], 1e9),
        _ => (t, 1.0),
    };
    match number.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 && x * factor <= chokepoint_scenario::MAX_AMOUNT => Ok(x * factor),
        _ => Err(format!(
            "`{text}` is not a budget: give US dollars of zero or more, such as `250e6`, `250M` or `$1.5B`"
        )),
    }
}

fn parse_positive(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(format!("`{text}` is not a positive number")),
    }
}

/// One `--mitigation` of `chokepoint run`, `compare` or `optimize`: a name, or a file (a word ending in `.toml`).
pub use chokepoint_scenario_files::OptionWord as OptionArg;

/// Arguments of `chokepoint compare`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompareArgs {
    pub scenario: ScenarioSource,
    pub options: Vec<OptionArg>,
    pub all: bool,
    pub settings: TrialSettings,
    /// `--set KEY=VALUE` settings, in order.
    pub set: Vec<String>,
    pub evppi: EvppiArgs,
    /// Run only this part of the trials, as a shard.
    pub shard: Option<ShardArg>,
}

/// Arguments of `chokepoint merge`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeArgs {
    pub out: PathBuf,
    pub shards: Vec<PathBuf>,
    pub report: ReportFormat,
    pub width: Width,
}

/// Arguments of `chokepoint size-stockpile`.
#[derive(Debug, Clone, PartialEq)]
pub struct SizeStockpileArgs {
    pub scenario: ScenarioSource,
    pub stockpile: String,
    pub end_use: String,
    pub target: SizingTarget,
    pub max_size: Option<f64>,
    pub step: Option<f64>,
    pub with: Vec<String>,
    pub settings: TrialSettings,
    /// `--set KEY=VALUE` settings, in order.
    pub set: Vec<String>,
}

#[derive(Debug, Args)]
struct RawOptimize {
    /// Scenario file (TOML) with mitigations, or an overlay of one.
    scenario: PathBuf,
    /// Total cost over the horizon a portfolio may reach, in US dollars (`250e6`, `250M`, `$1.5B`).
    #[arg(long, value_name = "USD", value_parser = parse_budget, allow_hyphen_values = true)]
    budget: f64,
    /// What to make as small as possible: `loss` (every end use, the scenario's loss measure), or for one end
    /// use `short:END_USE` (P(short or late)), `delay:END_USE` (mean longest delay, weeks) or
    /// `units-short:END_USE`.
    #[arg(long, value_name = "OBJECTIVE", default_value = "loss", value_parser = ObjectiveArg::parse)]
    objective: ObjectiveArg,
    /// A candidate mitigation or package, or a `.toml` file whose mitigations and packages are candidates; repeat
    /// for several [default: every mitigation of the scenario].
    #[arg(long = "mitigation", short = 'm', value_name = "NAME|FILE")]
    mitigations: Vec<String>,
    /// Run every portfolio within the budget when there are at most this many (at most 65,536); above it, the
    /// heuristic.
    #[arg(long, value_name = "N", default_value_t = 64,
          value_parser = clap::value_parser!(u64).range(0..=MAX_PORTFOLIOS))]
    exhaustive_limit: u64,
    /// The most portfolios the heuristic runs (at most 65,536).
    #[arg(long, value_name = "N", default_value_t = 200,
          value_parser = clap::value_parser!(u64).range(1..=MAX_PORTFOLIOS))]
    max_evaluations: u64,
    #[command(flatten)]
    settings: RawTrialSettings,
    #[command(flatten)]
    evppi: RawEvppi,
}

/// What `chokepoint optimize` makes as small as possible, as given (end uses are resolved once the scenario is
/// read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectiveArg {
    Loss,
    ShortOrLate(String),
    MaxDelay(String),
    UnitsShort(String),
}

impl ObjectiveArg {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let (kind, end_use) = ObjectiveKind::parse(text)?;
        let end_use = end_use.to_owned();
        Ok(match kind {
            ObjectiveKind::Loss => Self::Loss,
            ObjectiveKind::ShortOrLate => Self::ShortOrLate(end_use),
            ObjectiveKind::MaxDelay => Self::MaxDelay(end_use),
            ObjectiveKind::UnitsShort => Self::UnitsShort(end_use),
        })
    }

    /// What the objective measures and the end use it names (empty for the loss), for
    /// [`Objective::resolve`](chokepoint_analysis::portfolio::Objective::resolve).
    pub fn kind(&self) -> (ObjectiveKind, &str) {
        match self {
            Self::Loss => (ObjectiveKind::Loss, ""),
            Self::ShortOrLate(e) => (ObjectiveKind::ShortOrLate, e),
            Self::MaxDelay(e) => (ObjectiveKind::MaxDelay, e),
            Self::UnitsShort(e) => (ObjectiveKind::UnitsShort, e),
        }
    }
}

/// Arguments of `chokepoint optimize`.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizeArgs {
    pub scenario: ScenarioSource,
    pub budget_usd: f64,
    pub objective: ObjectiveArg,
    pub candidates: Vec<OptionArg>,
    pub exhaustive_limit: usize,
    pub max_evaluations: usize,
    pub settings: TrialSettings,
    /// `--set KEY=VALUE` settings, in order.
    pub set: Vec<String>,
    pub evppi: EvppiArgs,
}

#[derive(Debug, Args)]
#[command(
    mut_arg("trials", |a| a.help("Number of trials per scenario (at most 100,000,000, and what fits in memory)")),
    mut_arg("seed", |a| a.help("Master seed, the same for every scenario"))
)]
struct RawBatch {
    /// Scenario files, or folders whose `.toml` files are all taken (in name order).
    #[arg(required = true, value_name = "DIR|FILE")]
    inputs: Vec<PathBuf>,
    /// Output folder: one folder per scenario, and batch_summary.csv / batch_summary.parquet.
    #[arg(long, short = 'o', value_name = "DIR", default_value = "out/batch")]
    out: PathBuf,
    #[command(flatten)]
    count: RawTrialCount,
    /// Do not show the progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// What to print on stdout when done.
    #[arg(long, value_enum, default_value_t = BatchFormat::Table)]
    format: BatchFormat,
    /// Compare the mitigations of each file that holds only mitigations and packages against its base
    /// (as `chokepoint compare FILE --all`), instead of skipping it.
    #[arg(long)]
    compare: bool,
    #[command(flatten)]
    set: RawSet,
}

#[derive(Debug, Args)]
struct RawTrace {
    /// Scenario file (TOML); `-` reads it from standard input.
    scenario: PathBuf,
    /// Number of traced trials (each is simulated twice: as given, and without its disruptions).
    #[arg(long, short = 'n', default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    trials: u64,
    /// Master seed: trial i is the same trial as in `chokepoint run` with this seed.
    #[arg(long, short = 's', default_value_t = 1)]
    seed: u64,
    /// A mitigation or package of the scenario to apply. Repeat for several.
    #[arg(long = "with", value_name = "NAME")]
    with: Vec<String>,
    /// Output folder [default: out/<scenario name>/trace].
    #[arg(long, short = 'o', value_name = "DIR")]
    out: Option<PathBuf>,
    /// Do not show the progress bar.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    set: RawSet,
}

/// Arguments of `chokepoint batch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchArgs {
    pub inputs: Vec<PathBuf>,
    pub out: PathBuf,
    pub trials: u64,
    pub seed: u64,
    pub threads: Threads,
    pub progress: ProgressMode,
    pub format: BatchFormat,
    pub compare: bool,
    /// `--set KEY=VALUE` settings applied to every scenario, in order.
    pub set: Vec<String>,
}

/// Arguments of `chokepoint trace`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceArgs {
    pub scenario: ScenarioSource,
    pub trials: u64,
    pub seed: u64,
    pub with: Vec<String>,
    /// `None`: `out/<scenario name>/trace`.
    pub out: Option<PathBuf>,
    pub progress: ProgressMode,
    pub set: Vec<String>,
}

/// A validated command.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Run(RunArgs),
    Compare(CompareArgs),
    SizeStockpile(SizeStockpileArgs),
    Validate(Vec<ScenarioSource>),
    Graph { scenario: ScenarioSource, notation: Notation },
    Report { out_dir: PathBuf },
    Batch(BatchArgs),
    Trace(TraceArgs),
    Optimize(OptimizeArgs),
    Merge(MergeArgs),
    Check { out_dir: PathBuf, thresholds: Vec<Threshold> },
    Completions(clap_complete::Shell),
    Sweep(SweepArgs),
    Sensitivity(SensitivityArgs),
}

/// Arguments of `chokepoint run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunArgs {
    pub scenario: ScenarioSource,
    /// `--out` of `None`: `out/<scenario name>`, known once the scenario is read.
    pub settings: TrialSettings,
    /// Mitigations and packages to apply, or overlay files of them.
    pub mitigations: Vec<OptionArg>,
    /// Trials per batch.
    pub batch_trials: u64,
    /// Run only this part of the trials, as a shard.
    pub shard: Option<ShardArg>,
    /// `--set KEY=VALUE` settings, in order.
    pub set: Vec<String>,
    pub worlds: WorldsArgs,
}

impl Command {
    /// Parses the process's arguments and sets the colours of stderr. On `--help`, `--version` or a usage error,
    /// prints clap's message and returns the exit code to end with (0 for help and version, 2 for usage errors).
    pub fn from_env() -> Result<Self, ExitCode> {
        let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
        let color = color_before_parsing(&args);
        crate::render::console::set_colors(color.resolve());
        Self::try_from_args_colored(args, color.for_clap())
    }

    #[cfg(test)]
    fn try_from_args<I, T>(args: I) -> Result<Self, ExitCode>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Self::try_from_args_colored(args, clap::ColorChoice::Never)
    }

    fn try_from_args_colored<I, T>(args: I, color: clap::ColorChoice) -> Result<Self, ExitCode>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        use clap::{CommandFactory, FromArgMatches};
        let matches = RawCli::command().color(color).try_get_matches_from(args);
        match matches.and_then(|m| RawCli::from_arg_matches(&m)) {
            Ok(raw) => Ok(Self::from_raw(raw.command)),
            Err(e) => {
                // Printing help to a closed pipe is not worth an error of its own, and must not panic.
                let _ = e.print();
                Err(ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2)))
            }
        }
    }

    /// The clap command, for shell completions.
    pub fn clap_command() -> clap::Command {
        use clap::CommandFactory;
        RawCli::command()
    }

    fn from_raw(raw: RawCommand) -> Self {
        match raw {
            RawCommand::Run(r) => Command::Run(RunArgs {
                scenario: r.scenario.map_or(ScenarioSource::Embedded, ScenarioSource::from_arg),
                settings: r.trials.into_settings(),
                mitigations: r.mitigations.into_iter().map(OptionArg::from_word).collect(),
                batch_trials: r.batch_trials,
                shard: r.shard.into_shard(),
                set: r.set.set,
                worlds: r.worlds.into_args(),
            }),
            RawCommand::Compare(c) => Command::Compare(c.into_args()),
            RawCommand::Merge(m) => Command::Merge(MergeArgs {
                out: m.out,
                shards: m.shards,
                report: m.format,
                width: if m.wide { Width::Wide } else { Width::Narrow },
            }),
            RawCommand::SizeStockpile(s) => Command::SizeStockpile(s.into_args()),
            RawCommand::Validate { scenarios } => {
                Command::Validate(scenarios.into_iter().map(ScenarioSource::from_arg).collect())
            }
            RawCommand::Check { out_dir, fail_if } => Command::Check { out_dir, thresholds: fail_if },
            RawCommand::Completions { shell } => Command::Completions(shell),
            RawCommand::Report { out_dir } => Command::Report { out_dir },
            RawCommand::Batch(b) => Command::Batch(BatchArgs {
                inputs: b.inputs,
                out: b.out,
                trials: b.count.trials,
                seed: b.count.seed,
                threads: Threads::from_flag(b.count.threads, b.count.trials),
                progress: progress_mode(b.quiet),
                format: b.format,
                compare: b.compare,
                set: b.set.set,
            }),
            RawCommand::Trace(t) => Command::Trace(TraceArgs {
                scenario: ScenarioSource::from_arg(t.scenario),
                trials: t.trials,
                seed: t.seed,
                with: t.with,
                out: t.out,
                progress: progress_mode(t.quiet),
                set: t.set.set,
            }),
            RawCommand::Graph { scenario, format } => {
                Command::Graph { scenario: ScenarioSource::from_arg(scenario), notation: format }
            }
            RawCommand::Optimize(o) => Command::Optimize(OptimizeArgs {
                scenario: ScenarioSource::from_arg(o.scenario),
                budget_usd: o.budget,
                objective: o.objective,
                candidates: o.mitigations.into_iter().map(OptionArg::from_word).collect(),
                exhaustive_limit: usize::try_from(o.exhaustive_limit).unwrap_or(usize::MAX),
                max_evaluations: usize::try_from(o.max_evaluations).unwrap_or(usize::MAX),
                settings: o.settings.trials.into_settings(),
                set: o.settings.set.set,
                evppi: o.evppi.into_args(),
            }),
            RawCommand::Sweep(s) => Command::Sweep(s.into_args()),
            RawCommand::Sensitivity(s) => Command::Sensitivity(s.into_args()),
        }
    }
}

/// The `--color` given on the command line, read before clap parses it, so that clap's own messages (a usage
/// error in the same command line) follow it too. The last one wins, as for clap.
fn color_before_parsing(args: &[std::ffi::OsString]) -> ColorChoice {
    use clap::ValueEnum;
    let mut choice = ColorChoice::Auto;
    let mut words = args.iter().skip(1).map(|a| a.to_str().unwrap_or(""));
    while let Some(word) = words.next() {
        if word == "--" {
            break;
        }
        let value = match word.strip_prefix("--color") {
            Some("") => words.next(),
            Some(rest) => rest.strip_prefix('='),
            None => None,
        };
        if let Some(c) = value.and_then(|v| ColorChoice::from_str(v, true).ok()) {
            choice = c;
        }
    }
    choice
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, ExitCode> {
        Command::try_from_args(std::iter::once("chokepoint").chain(args.iter().copied()))
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        RawCli::command().debug_assert();
    }

    #[test]
    fn run_defaults() {
        let Ok(Command::Run(args)) = parse(&["run"]) else { panic!("run did not parse") };
        assert_eq!(args.scenario, ScenarioSource::Embedded);
        assert_eq!(
            (args.settings.trials, args.settings.seed, args.settings.threads),
            (10_000, 1, Threads::AllCores { at_most: 10_000 })
        );
        assert_eq!(
            (args.settings.progress, args.settings.report, args.settings.out),
            (ProgressMode::Bar, ReportFormat::Table, None)
        );
    }

    #[test]
    fn run_flags_become_typed_settings() {
        let Ok(Command::Run(args)) =
            parse(&["run", "s.toml", "--trials", "5", "--seed", "9", "--threads", "2", "-q", "--format", "json"])
        else {
            panic!("run did not parse")
        };
        assert_eq!(args.scenario, ScenarioSource::File("s.toml".into()));
        assert_eq!((args.settings.trials, args.settings.seed, args.settings.threads), (5, 9, Threads::Exactly(2)));
        assert_eq!((args.settings.progress, args.settings.report), (ProgressMode::Hidden, ReportFormat::Json));
    }

    #[test]
    fn run_takes_a_shard_or_a_range_but_not_both() {
        let Ok(Command::Run(args)) = parse(&["run", "-n", "100", "--shard", "2/4"]) else { panic!("no shard") };
        assert_eq!(args.shard, Some(ShardArg::Index { index: 2, count: 4 }));
        assert_eq!(args.batch_trials, DEFAULT_BATCH_TRIALS);
        let Ok(Command::Run(args)) = parse(&["run", "--trials-from", "5", "--trials-to", "9", "--batch-trials", "3"])
        else {
            panic!("no range")
        };
        assert_eq!((args.shard, args.batch_trials), (Some(ShardArg::Range { from: 5, to: 9 }), 3));
        for bad in [
            &["run", "--shard", "1/2", "--trials-from", "0", "--trials-to", "3"][..],
            &["run", "--trials-from", "5"],
            &["run", "--trials-to", "5"],
            &["run", "--shard", "0/2"],
            &["run", "--batch-trials", "0"],
        ] {
            assert_eq!(parse(bad), Err(ExitCode::from(2)), "{bad:?}");
        }
        let Ok(Command::Compare(args)) = parse(&["compare", "s.toml", "--all", "--shard", "1/3"]) else {
            panic!("compare shard")
        };
        assert_eq!(args.shard, Some(ShardArg::Index { index: 1, count: 3 }));
    }

    #[test]
    fn merge_takes_an_output_folder_and_shards() {
        let Ok(Command::Merge(args)) = parse(&["merge", "out", "a", "b"]) else { panic!("merge did not parse") };
        assert_eq!((args.out, args.shards), (PathBuf::from("out"), vec![PathBuf::from("a"), PathBuf::from("b")]));
        assert_eq!(parse(&["merge", "out"]), Err(ExitCode::from(2)), "no shard");
    }

    #[test]
    fn every_command_that_runs_trials_takes_quiet() {
        // A script that passes `-q` to every command that simulates gets no usage error from any of them.
        let commands: [&[&str]; 8] = [
            &["run"],
            &["compare", "s.toml", "--all"],
            &["size-stockpile", "s.toml", "--stockpile", "x", "--end-use", "y", "--max-shortfall-probability", "0.1"],
            &["optimize", "s.toml", "--budget", "1e9"],
            &["batch", "dir"],
            &["trace", "s.toml"],
            &["sweep", "s.toml", "--vary", "horizon.weeks=52,104"],
            &["sensitivity", "s.toml"],
        ];
        for command in commands {
            for quiet in ["-q", "--quiet"] {
                let args = [command, &[quiet]].concat();
                assert!(parse(&args).is_ok(), "{args:?} did not parse");
            }
        }
        let Ok(Command::Trace(args)) = parse(&["trace", "s.toml", "-q"]) else { panic!("trace did not parse") };
        assert_eq!(args.progress, ProgressMode::Hidden);
        let Ok(Command::Trace(args)) = parse(&["trace", "s.toml"]) else { panic!("trace did not parse") };
        assert_eq!(args.progress, ProgressMode::Bar);
    }

    #[test]
    fn zero_trials_is_a_usage_error() {
        assert_eq!(parse(&["run", "--trials", "0"]), Err(ExitCode::from(2)));
    }

    #[test]
    fn short_flags_are_the_long_ones() {
        let Ok(Command::Run(args)) = parse(&["run", "-", "-n", "5", "-s", "9", "-j", "2", "-o", "o"]) else {
            panic!("run did not parse")
        };
        assert_eq!(args.scenario, ScenarioSource::Stdin);
        assert_eq!(
            (args.settings.trials, args.settings.seed, args.settings.threads, args.settings.out),
            (5, 9, Threads::Exactly(2), Some("o".into()))
        );
        let Ok(Command::Batch(b)) = parse(&["batch", "s", "-n", "3", "-s", "2", "-j", "1", "-o", "x"]) else {
            panic!("batch did not parse")
        };
        assert_eq!((b.trials, b.seed, b.threads, b.out), (3, 2, Threads::Exactly(1), PathBuf::from("x")));
    }

    /// Issue 11: `--trials 1000000000000` aborted on a failed allocation; `--threads 10000` was neither refused
    /// nor capped.
    #[test]
    fn issue_11_absurd_trials_and_threads_are_refused_or_capped() {
        assert_eq!(parse(&["run", "--trials", "1000000000000"]), Err(ExitCode::from(2)));
        assert_eq!(parse(&["run", "--threads", "10000"]), Err(ExitCode::from(2)));
        let Ok(Command::Run(args)) = parse(&["run", "--trials", "3", "--threads", "1024"]) else {
            panic!("run did not parse")
        };
        assert_eq!(args.settings.threads, Threads::Exactly(3), "never more threads than trials");
        assert!(Threads::from_flag(0, 2).resolve() <= 2);
        assert!(trials::threads_in_range("10000").unwrap_err().contains("1024"));
    }

    #[test]
    fn color_is_read_before_clap_parses() {
        let words = |w: &[&str]| w.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert_eq!(color_before_parsing(&words(&["c", "run", "--color", "never"])), ColorChoice::Never);
        assert_eq!(color_before_parsing(&words(&["c", "--color=always", "run"])), ColorChoice::Always);
        assert_eq!(color_before_parsing(&words(&["c", "run", "--", "--color=always"])), ColorChoice::Auto);
    }

    #[test]
    fn validate_takes_several_files_and_stdin() {
        assert_eq!(
            parse(&["validate", "a.toml", "-", "b.toml"]),
            Ok(Command::Validate(vec![
                ScenarioSource::File("a.toml".into()),
                ScenarioSource::Stdin,
                ScenarioSource::File("b.toml".into())
            ]))
        );
        assert_eq!(parse(&["validate"]), Err(ExitCode::from(2)));
    }

    #[test]
    fn compare_tells_names_from_files() {
        let Ok(Command::Compare(args)) =
            parse(&["compare", "s.toml", "-m", "dy_reserve", "--mitigation", "more.toml", "--all", "--trials", "7"])
        else {
            panic!("compare did not parse")
        };
        assert_eq!(args.options, [OptionArg::Name("dy_reserve".into()), OptionArg::File("more.toml".into())]);
        assert!(args.all);
        assert_eq!((args.settings.trials, args.settings.seed, args.settings.out), (7, 1, None));
    }

    #[test]
    fn size_stockpile_checks_its_numbers() {
        let Ok(Command::SizeStockpile(args)) = parse(&[
            "size-stockpile",
            "s.toml",
            "--mitigation",
            "dy",
            "--end-use",
            "f35",
            "--max-shortfall-probability",
            "0.05",
            "--with",
            "tb",
        ]) else {
            panic!("size-stockpile did not parse")
        };
        assert_eq!(
            (args.stockpile.as_str(), args.target, args.with.len()),
            ("dy", SizingTarget::ShortOrLateProbability(0.05), 1)
        );
        let base = ["size-stockpile", "s.toml", "--stockpile", "dy", "--end-use", "f35"];
        for bad in [&["--max-shortfall-probability", "1.5"][..], &["--max-shortfall-probability", "0.1", "--step", "0"]]
        {
            let args: Vec<&str> = base.iter().chain(bad).copied().collect();
            assert_eq!(parse(&args), Err(ExitCode::from(2)), "{args:?}");
        }
    }

    #[test]
    fn size_stockpile_takes_one_target() {
        let base = ["size-stockpile", "s.toml", "--stockpile", "dy", "--end-use", "f35"];
        let with = |extra: &[&str]| parse(&base.iter().chain(extra).copied().collect::<Vec<_>>());
        let Ok(Command::SizeStockpile(args)) = with(&["--max-delay-weeks", "8"]) else { panic!("no delay target") };
        assert_eq!(args.target, SizingTarget::DelayQuantile { quantile: 0.95, max_weeks: 8.0 });
        let Ok(Command::SizeStockpile(args)) = with(&["--max-late-probability", "0.1"]) else { panic!("alias") };
        assert_eq!(args.target, SizingTarget::ShortOrLateProbability(0.1));
        assert_eq!(with(&[]), Err(ExitCode::from(2)), "no target");
        assert_eq!(with(&["--max-delay-weeks", "8", "--max-shortfall-probability", "0.1"]), Err(ExitCode::from(2)));
        assert_eq!(with(&["--max-delay-weeks", "8", "--delay-quantile", "1"]), Err(ExitCode::from(2)));
    }

    #[test]
    fn optimize_reads_budgets_and_objectives() {
        let Ok(Command::Optimize(args)) =
            parse(&["optimize", "s.toml", "--budget", "$250M", "--objective", "short:f35", "-m", "a"])
        else {
            panic!("optimize did not parse")
        };
        assert_eq!(args.budget_usd, 250e6);
        assert_eq!(args.objective, ObjectiveArg::ShortOrLate("f35".into()));
        assert_eq!(args.candidates, [OptionArg::Name("a".into())]);
        for bad in [&["--budget", "-5"][..], &["--budget", "lots"], &["--budget", "1e30"]] {
            let args: Vec<&str> = ["optimize", "s.toml"].iter().chain(bad).copied().collect();
            assert_eq!(parse(&args), Err(ExitCode::from(2)), "{args:?}");
        }
        assert_eq!(parse(&["optimize", "s.toml", "--budget", "1", "--objective", "delay"]), Err(ExitCode::from(2)));
        assert_eq!(ObjectiveArg::parse("units-short:ev"), Ok(ObjectiveArg::UnitsShort("ev".into())));
        assert_eq!(parse_budget("1.5B"), Ok(1.5e9));
    }

    #[test]
    fn report_takes_an_output_folder() {
        assert_eq!(parse(&["report", "out/x"]), Ok(Command::Report { out_dir: "out/x".into() }));
        assert_eq!(parse(&["report"]), Err(ExitCode::from(2)));
    }

    #[test]
    fn batch_takes_folders_and_files() {
        let Ok(Command::Batch(args)) =
            parse(&["batch", "scenarios", "x.toml", "--out", "o", "--trials", "9", "--format", "markdown", "-q"])
        else {
            panic!("batch did not parse")
        };
        assert_eq!(args.inputs, [PathBuf::from("scenarios"), PathBuf::from("x.toml")]);
        assert_eq!(
            (args.trials, args.format, args.progress, args.compare),
            (9, BatchFormat::Markdown, ProgressMode::Hidden, false)
        );
        assert_eq!(parse(&["batch", "--out", "o"]), Err(ExitCode::from(2)));
    }

    #[test]
    fn graph_defaults_to_dot() {
        assert_eq!(
            parse(&["graph", "s.toml"]),
            Ok(Command::Graph { scenario: ScenarioSource::File("s.toml".into()), notation: Notation::Dot })
        );
    }
}
