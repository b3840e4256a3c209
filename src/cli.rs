//! Command-line arguments: clap's raw form, then the validated commands the rest of the binary runs.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::batch_summary::BatchFormat;
use crate::graph::Notation;
use crate::progress::ProgressMode;
use crate::scenario_source::ScenarioSource;
use crate::table::ReportFormat;

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
    /// Trace the weekly flows of a few trials of a scenario (shipments, receipts, exports against no disruption).
    Trace(RawTrace),
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
    /// What to print on stdout when done.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
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
        }
    }
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
}

impl RawCompare {
    fn into_args(self) -> CompareArgs {
        CompareArgs {
            scenario: ScenarioSource::File(self.scenario),
            options: self.mitigations.into_iter().map(OptionArg::from_word).collect(),
            all: self.all,
            settings: self.settings.into_settings(),
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
    /// The end use whose shortfall probability is the target.
    #[arg(long, value_name = "END_USE")]
    end_use: String,
    /// Largest acceptable probability of any shortfall of the end use over the horizon, in [0, 1).
    #[arg(long, value_name = "P", value_parser = parse_probability)]
    max_shortfall_probability: f64,
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
        SizeStockpileArgs {
            scenario: ScenarioSource::File(self.scenario),
            stockpile: self.stockpile,
            end_use: self.end_use,
            max_shortfall_probability: self.max_shortfall_probability,
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
    fn from_word(word: String) -> Self {
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
}

/// Arguments of `chokepoint size-stockpile`.
#[derive(Debug, Clone, PartialEq)]
pub struct SizeStockpileArgs {
    pub scenario: ScenarioSource,
    pub stockpile: String,
    pub end_use: String,
    pub max_shortfall_probability: f64,
    pub max_size: Option<f64>,
    pub step: Option<f64>,
    pub with: Vec<String>,
    pub settings: TrialSettings,
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
    fn from_flag(threads: usize) -> Self {
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
            Ok(raw) => Ok(Self::from_raw(raw.command)),
            Err(e) => {
                // Printing help to a closed pipe is not worth an error of its own.
                let _ = e.print();
                Err(ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2)))
            }
        }
    }

    fn from_raw(raw: RawCommand) -> Self {
        match raw {
            RawCommand::Run(r) => Command::Run(RunArgs {
                scenario: r.scenario.map_or(ScenarioSource::Embedded, ScenarioSource::File),
                trials: r.trials,
                seed: r.seed,
                threads: Threads::from_flag(r.threads),
                out: r.out,
                progress: progress_mode(r.quiet),
                report: r.format,
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
            }),
            RawCommand::Trace(t) => Command::Trace(TraceArgs {
                scenario: ScenarioSource::File(t.scenario),
                trials: t.trials,
                seed: t.seed,
                with: t.with,
                out: t.out,
            }),
            RawCommand::Graph { scenario, format } => {
                Command::Graph { scenario: ScenarioSource::File(scenario), notation: format }
            }
        }
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
        assert_eq!((args.stockpile.as_str(), args.max_shortfall_probability, args.with.len()), ("dy", 0.05, 1));
        let base = ["size-stockpile", "s.toml", "--stockpile", "dy", "--end-use", "f35"];
        for bad in [&["--max-shortfall-probability", "1.5"][..], &["--max-shortfall-probability", "0.1", "--step", "0"]]
        {
            let args: Vec<&str> = base.iter().chain(bad).copied().collect();
            assert_eq!(parse(&args), Err(ExitCode::from(2)), "{args:?}");
        }
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
