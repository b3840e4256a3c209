//! Command-line arguments: clap's raw form, then the validated commands the rest of the binary runs.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::batch_summary::BatchFormat;
use crate::graph::Notation;
use crate::progress::ProgressMode;
use crate::scenario_source::ScenarioSource;
use crate::study_cli::{
    EvppiArgs, RawEvppi, RawSensitivity, RawSet, RawSweep, RawWorlds, SensitivityArgs, SweepArgs, WorldsArgs,
};
use crate::table::{ReportFormat, Width};
use chokepoint_analysis::sizing::SizingTarget;

/// Monte Carlo simulator of supply disruptions in rare-earth supply chains.
#[derive(Debug, Parser)]
#[command(name = "chokepoint", version, about, propagate_version = true)]
struct RawCli {
    #[command(subcommand)]
    command: RawCommand,
}

#[derive(Debug, Subcommand)]
enum RawCommand {
    /// Run Monte Carlo trials of a scenario and write the results.
    Run(RawRun),
    /// Check a scenario and list every problem found.
    Validate {
        /// Scenario file (TOML).
        scenario: PathBuf,
    },
    /// Compare mitigations against doing nothing, on the same random draws.
    Compare(RawCompare),
    /// Find the smallest size of a stockpile that keeps an end use's shortfall probability under a target.
    SizeStockpile(RawSizeStockpile),
    /// Rebuild report.html in a run's output folder from the files saved there, without running again.
    Report {
        /// Output folder of a run (holding summary.json, bands.parquet, trials.parquet, run.json, graph.json).
        #[arg(value_name = "OUTDIR")]
        out_dir: PathBuf,
    },
    /// Run many scenarios (files, or every .toml file of a folder) and summarise them side by side.
    Batch(RawBatch),
    /// Find the best set of mitigations within a budget, by simulation on the same random draws.
    Optimize(RawOptimize),
    /// Trace the weekly flows of a few trials of a scenario (shipments, receipts, exports against no disruption).
    Trace(RawTrace),
    /// Run a scenario at every point of a grid of values of some of its keys, on the same random draws.
    Sweep(RawSweep),
    /// Which assumptions matter: a tornado of one parameter at a time, and variance-based (Sobol) indices.
    Sensitivity(RawSensitivity),
    /// Print the stage graph of a scenario.
    Graph {
        /// Scenario file (TOML).
        scenario: PathBuf,
        /// Graph notation.
        #[arg(long, value_enum, default_value_t = Notation::Dot)]
        format: Notation,
    },
}

#[derive(Debug, Args)]
struct RawRun {
    /// Scenario file (TOML); the embedded rare_earths_2025 scenario when omitted.
    scenario: Option<PathBuf>,
    /// Number of trials.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    trials: u64,
    /// Master seed; trial i draws from streams derived from the seed and i alone.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads (0: one per available core). Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Output folder [default: out/<scenario name>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Do not show the progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// What to print on stdout when the run is done.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
    /// Show every column of the tables (by default they fit a 100-column terminal).
    #[arg(long)]
    wide: bool,
    /// Run the world with this mitigation or package of the scenario applied, or with every one a `.toml` file of
    /// mitigations and packages defines. Repeat for several; they are applied in order.
    #[arg(long = "mitigation", short = 'm', value_name = "NAME|FILE")]
    mitigations: Vec<String>,
    #[command(flatten)]
    set: RawSet,
    #[command(flatten)]
    worlds: RawWorlds,
}

/// Settings shared by the commands that run trials of several variants (`compare`, `size-stockpile`).
#[derive(Debug, Args)]
struct RawTrialSettings {
    /// Number of trials per variant.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    trials: u64,
    /// Master seed, the same for every variant: trial i sees the same disruptions in each.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads (0: one per available core). Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Output folder [default: out/<scenario name>/compare, or out/<scenario name>/sizing].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Do not show the progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// What to print on stdout when done: a table, or the JSON document written to the output folder.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
    /// Show every column of the tables (by default they fit a 100-column terminal).
    #[arg(long)]
    wide: bool,
    #[command(flatten)]
    set: RawSet,
}

impl RawTrialSettings {
    fn into_settings(self) -> TrialSettings {
        TrialSettings {
            trials: self.trials,
            seed: self.seed,
            threads: Threads::from_flag(self.threads),
            out: self.out,
            progress: progress_mode(self.quiet),
            report: self.format,
            width: width(self.wide),
            set: self.set.set,
        }
    }
}

/// The table width of `--wide`.
fn width(wide: bool) -> Width {
    if wide { Width::Wide } else { Width::Narrow }
}

#[derive(Debug, Args)]
struct RawCompare {
    /// Scenario file (TOML); an overlay naming its base is read with the base.
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
    evppi: RawEvppi,
}

impl RawCompare {
    fn into_args(self) -> CompareArgs {
        CompareArgs {
            scenario: ScenarioSource::File(self.scenario),
            options: self.mitigations.into_iter().map(OptionArg::from_word).collect(),
            all: self.all,
            settings: self.settings.into_settings(),
            evppi: self.evppi.into_args(),
        }
    }
}

#[derive(Debug, Args)]
struct RawSizeStockpile {
    /// Scenario file (TOML); an overlay naming its base is read with the base.
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
            scenario: ScenarioSource::File(self.scenario),
            stockpile: self.stockpile,
            end_use: self.end_use,
            target,
            max_size: self.max_size,
            step: self.step,
            with: self.with,
            settings: self.settings.into_settings(),
        }
    }
}

/// The progress shown with or without `--quiet`.
fn progress_mode(quiet: bool) -> ProgressMode {
    if quiet { ProgressMode::Hidden } else { ProgressMode::Bar }
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

/// Trial settings of `compare` and `size-stockpile`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrialSettings {
    pub trials: u64,
    pub seed: u64,
    pub threads: Threads,
    /// `None`: a folder under `out/<scenario name>`, known once the scenario is read.
    pub out: Option<PathBuf>,
    pub progress: ProgressMode,
    pub report: ReportFormat,
    pub width: Width,
    /// `--set KEY=VALUE` settings, in order.
    pub set: Vec<String>,
}

/// One `--mitigation` of `chokepoint compare`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionArg {
    /// A mitigation or package of the scenario.
    Name(String),
    /// A file of mitigations and packages (a word ending in `.toml`).
    File(PathBuf),
}

impl OptionArg {
    pub(crate) fn from_word(word: String) -> Self {
        if word.ends_with(".toml") { OptionArg::File(word.into()) } else { OptionArg::Name(word) }
    }
}

/// Arguments of `chokepoint compare`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompareArgs {
    pub scenario: ScenarioSource,
    pub options: Vec<OptionArg>,
    pub all: bool,
    pub settings: TrialSettings,
    pub evppi: EvppiArgs,
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
}

#[derive(Debug, Args)]
struct RawOptimize {
    /// Scenario file (TOML) with mitigations, or an overlay of one.
    scenario: PathBuf,
    /// Total cost over the horizon a portfolio may reach, in US dollars (`250e6`, `250M`, `$1.5B`).
    #[arg(long, value_name = "USD", value_parser = parse_budget)]
    budget: f64,
    /// What to make as small as possible: `loss` (every end use, the scenario's loss measure), or for one end
    /// use `short:END_USE` (P(short or late)), `delay:END_USE` (mean longest delay, weeks) or
    /// `units-short:END_USE`.
    #[arg(long, value_name = "OBJECTIVE", default_value = "loss")]
    objective: String,
    /// A candidate mitigation or package, or a `.toml` file whose mitigations and packages are candidates; repeat
    /// for several [default: every mitigation of the scenario].
    #[arg(long = "mitigation", short = 'm', value_name = "NAME|FILE")]
    mitigations: Vec<String>,
    /// Run every portfolio within the budget when there are at most this many; above it, the heuristic.
    #[arg(long, value_name = "N", default_value_t = 64)]
    exhaustive_limit: usize,
    /// The most portfolios the heuristic runs.
    #[arg(long, value_name = "N", default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..))]
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
        let (kind, end_use) = text.split_once(':').map_or((text, None), |(k, e)| (k, Some(e.to_owned())));
        match (kind, end_use) {
            ("loss", None) => Ok(Self::Loss),
            ("short", Some(e)) if !e.is_empty() => Ok(Self::ShortOrLate(e)),
            ("delay", Some(e)) if !e.is_empty() => Ok(Self::MaxDelay(e)),
            ("units-short", Some(e)) if !e.is_empty() => Ok(Self::UnitsShort(e)),
            _ => Err(format!(
                "`{text}` is not an objective: use `loss`, `short:END_USE`, `delay:END_USE` or `units-short:END_USE`"
            )),
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
    pub evppi: EvppiArgs,
}

#[derive(Debug, Args)]
struct RawBatch {
    /// Scenario files, or folders whose `.toml` files are all taken (in name order).
    #[arg(required = true, value_name = "DIR|FILE")]
    inputs: Vec<PathBuf>,
    /// Output folder: one folder per scenario, and batch_summary.csv / batch_summary.parquet.
    #[arg(long, value_name = "DIR", default_value = "out/batch")]
    out: PathBuf,
    /// Number of trials per scenario.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    trials: u64,
    /// Master seed, the same for every scenario.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads (0: one per available core). Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    threads: usize,
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
    /// Scenario file (TOML).
    scenario: PathBuf,
    /// Number of traced trials (each is simulated twice: as given, and without its disruptions).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    trials: u64,
    /// Master seed: trial i is the same trial as in `chokepoint run` with this seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// A mitigation or package of the scenario to apply. Repeat for several.
    #[arg(long = "with", value_name = "NAME")]
    with: Vec<String>,
    /// Output folder [default: out/<scenario name>/trace].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
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
    pub set: Vec<String>,
}

/// A validated command.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Run(RunArgs),
    Compare(CompareArgs),
    SizeStockpile(SizeStockpileArgs),
    Validate(ScenarioSource),
    Graph { scenario: ScenarioSource, notation: Notation },
    Report { out_dir: PathBuf },
    Batch(BatchArgs),
    Trace(TraceArgs),
    Optimize(OptimizeArgs),
    Sweep(SweepArgs),
    Sensitivity(SensitivityArgs),
}

/// Arguments of `chokepoint run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunArgs {
    pub scenario: ScenarioSource,
    pub trials: u64,
    pub seed: u64,
    pub threads: Threads,
    /// `None`: `out/<scenario name>`, known once the scenario is read.
    pub out: Option<PathBuf>,
    pub progress: ProgressMode,
    pub report: ReportFormat,
    pub width: Width,
    /// Mitigations and packages to apply, or overlay files of them.
    pub mitigations: Vec<OptionArg>,
    /// `--set KEY=VALUE` settings, in order.
    pub set: Vec<String>,
    pub worlds: WorldsArgs,
}

/// Worker threads of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threads {
    /// One per available core.
    AllCores,
    Exactly(usize),
}

impl Threads {
    /// The value of `--threads`: 0 is one per available core.
    pub(crate) fn from_flag(threads: usize) -> Self {
        if threads == 0 { Threads::AllCores } else { Threads::Exactly(threads) }
    }

    /// The number of worker threads this resolves to on this machine.
    pub fn resolve(self) -> usize {
        match self {
            Threads::AllCores => std::thread::available_parallelism().map_or(1, |n| n.get()),
            Threads::Exactly(n) => n,
        }
    }
}

impl Command {
    /// Parses the process's arguments. On `--help`, `--version` or a usage error, prints clap's message and
    /// returns the exit code to end with (0 for help and version, 2 for usage errors).
    pub fn from_env() -> Result<Self, ExitCode> {
        Self::try_from_args(std::env::args_os())
    }

    fn try_from_args<I, T>(args: I) -> Result<Self, ExitCode>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        match RawCli::try_parse_from(args) {
            Ok(raw) => Self::from_raw(raw.command).map_err(|message| {
                eprintln!("error: {message}");
                ExitCode::from(2)
            }),
            Err(e) => {
                // Printing help to a closed pipe is not worth an error of its own.
                let _ = e.print();
                Err(ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2)))
            }
        }
    }

    fn from_raw(raw: RawCommand) -> Result<Self, String> {
        Ok(match raw {
            RawCommand::Run(r) => Command::Run(RunArgs {
                scenario: r.scenario.map_or(ScenarioSource::Embedded, ScenarioSource::File),
                trials: r.trials,
                seed: r.seed,
                threads: Threads::from_flag(r.threads),
                out: r.out,
                progress: progress_mode(r.quiet),
                report: r.format,
                width: width(r.wide),
                mitigations: r.mitigations.into_iter().map(OptionArg::from_word).collect(),
                set: r.set.set,
                worlds: r.worlds.into_args(),
            }),
            RawCommand::Compare(c) => Command::Compare(c.into_args()),
            RawCommand::SizeStockpile(s) => Command::SizeStockpile(s.into_args()),
            RawCommand::Validate { scenario } => Command::Validate(ScenarioSource::File(scenario)),
            RawCommand::Report { out_dir } => Command::Report { out_dir },
            RawCommand::Batch(b) => Command::Batch(BatchArgs {
                inputs: b.inputs,
                out: b.out,
                trials: b.trials,
                seed: b.seed,
                threads: Threads::from_flag(b.threads),
                progress: progress_mode(b.quiet),
                format: b.format,
                compare: b.compare,
                set: b.set.set,
            }),
            RawCommand::Trace(t) => Command::Trace(TraceArgs {
                scenario: ScenarioSource::File(t.scenario),
                trials: t.trials,
                seed: t.seed,
                with: t.with,
                out: t.out,
                set: t.set.set,
            }),
            RawCommand::Graph { scenario, format } => {
                Command::Graph { scenario: ScenarioSource::File(scenario), notation: format }
            }
            RawCommand::Optimize(o) => Command::Optimize(OptimizeArgs {
                scenario: ScenarioSource::File(o.scenario),
                budget_usd: o.budget,
                objective: ObjectiveArg::parse(&o.objective)?,
                candidates: o.mitigations.into_iter().map(OptionArg::from_word).collect(),
                exhaustive_limit: o.exhaustive_limit,
                max_evaluations: usize::try_from(o.max_evaluations).unwrap_or(usize::MAX),
                settings: o.settings.into_settings(),
                evppi: o.evppi.into_args(),
            }),
            RawCommand::Sweep(s) => Command::Sweep(s.into_args()?),
            RawCommand::Sensitivity(s) => Command::Sensitivity(s.into_args()?),
        })
    }
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
        assert_eq!((args.trials, args.seed, args.threads), (10_000, 1, Threads::AllCores));
        assert_eq!((args.progress, args.report, args.out), (ProgressMode::Bar, ReportFormat::Table, None));
    }

    #[test]
    fn run_flags_become_typed_settings() {
        let Ok(Command::Run(args)) =
            parse(&["run", "s.toml", "--trials", "5", "--seed", "9", "--threads", "2", "-q", "--format", "json"])
        else {
            panic!("run did not parse")
        };
        assert_eq!(args.scenario, ScenarioSource::File("s.toml".into()));
        assert_eq!((args.trials, args.seed, args.threads), (5, 9, Threads::Exactly(2)));
        assert_eq!((args.progress, args.report), (ProgressMode::Hidden, ReportFormat::Json));
    }

    #[test]
    fn zero_trials_is_a_usage_error() {
        assert_eq!(parse(&["run", "--trials", "0"]), Err(ExitCode::from(2)));
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
