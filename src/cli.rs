//! Command-line arguments: clap's raw form, then the validated commands the rest of the binary runs.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

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

/// A validated command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Run(RunArgs),
    Validate(ScenarioSource),
    Graph { scenario: ScenarioSource, notation: Notation },
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
                threads: if r.threads == 0 { Threads::AllCores } else { Threads::Exactly(r.threads) },
                out: r.out,
                progress: if r.quiet { ProgressMode::Hidden } else { ProgressMode::Bar },
                report: r.format,
            }),
            RawCommand::Validate { scenario } => Command::Validate(ScenarioSource::File(scenario)),
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
    fn graph_defaults_to_dot() {
        assert_eq!(
            parse(&["graph", "s.toml"]),
            Ok(Command::Graph { scenario: ScenarioSource::File("s.toml".into()), notation: Notation::Dot })
        );
    }
}
