//! Arguments of the studies of what the assumptions do: `--set KEY=VALUE` on every command that runs a scenario,
//! `sweep`, `sensitivity`, the two-level worlds of `run` and the value of information of `compare` and
//! `optimize`; clap's raw forms and the validated settings the commands run with.

use std::path::PathBuf;

use chokepoint_scenario::MAX_WORLDS;
use clap::Args;

use crate::cli::trials::{RawTrials, TrialSettings};
use crate::cli::{MAX_BOOTSTRAP, MAX_EVPPI_SAMPLES, MAX_SOBOL_SAMPLES, MAX_TRIALS, ObjectiveArg, OptionArg};
use crate::scenario_source::ScenarioSource;

/// `--set KEY=VALUE`, shared by every command that runs a scenario.
#[derive(Debug, Args, Default)]
pub struct RawSet {
    /// Change one key of the scenario before it runs: a dotted path and a TOML value, such as
    /// `--set disruptions.dytb_embargo.duration_weeks=26` or `--set 'stages.x.capacity_t_per_year={ pert = { min
    /// = 1, mode = 2, max = 3 } }'`. Checked like the file. Repeat for several; a later one wins.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

/// `run --worlds`: the two-level study.
#[derive(Debug, Args)]
pub struct RawWorlds {
    /// Also run a two-level study of N worlds (at most 100,000): each draws the scenario's knowledge parameters
    /// (`[uncertainty] knowledge`) once and runs `--world-trials` trials; gives each headline metric across worlds
    /// [default: the scenario's `uncertainty.worlds`, else none].
    #[arg(long, value_name = "N", value_parser = parse_worlds)]
    pub worlds: Option<usize>,
    /// Trials per world of `--worlds`.
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=MAX_TRIALS))]
    pub world_trials: u64,
}

/// The two-level study of `run`, as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorldsArgs {
    /// `None`: the scenario's `uncertainty.worlds`, if it gives one.
    pub worlds: Option<usize>,
    pub trials: u64,
}

impl RawWorlds {
    pub fn into_args(self) -> WorldsArgs {
        WorldsArgs { worlds: self.worlds, trials: self.world_trials }
    }
}

/// `--evppi` of `compare` and `optimize`.
#[derive(Debug, Args)]
pub struct RawEvppi {
    /// Also estimate the value of perfect information about each knowledge parameter of the scenario
    /// (`[uncertainty] knowledge`, or `--evppi-param`): how much better the choice would be, on average, if the
    /// parameter were known before choosing.
    #[arg(long)]
    pub evppi: bool,
    /// A parameter to value (a key path or a pattern with `*` segments); repeat for several. Implies `--evppi`.
    #[arg(long = "evppi-param", value_name = "KEY")]
    pub evppi_params: Vec<String>,
    /// Outer samples of each parameter (at most 10,000).
    #[arg(long, value_name = "J", default_value_t = 16,
          value_parser = clap::value_parser!(u64).range(2..=MAX_EVPPI_SAMPLES))]
    pub evppi_samples: u64,
    /// Trials per option and outer sample.
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=MAX_TRIALS))]
    pub evppi_trials: u64,
}

/// The value-of-information study, as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvppiArgs {
    pub enabled: bool,
    /// Parameters to value; empty: the scenario's knowledge parameters.
    pub params: Vec<String>,
    pub samples: usize,
    pub trials: u64,
}

impl RawEvppi {
    pub fn into_args(self) -> EvppiArgs {
        EvppiArgs {
            enabled: self.evppi || !self.evppi_params.is_empty(),
            params: self.evppi_params,
            samples: usize::try_from(self.evppi_samples).unwrap_or(usize::MAX),
            trials: self.evppi_trials,
        }
    }
}

/// Settings of the study commands (`sweep`, `sensitivity`): the trial flags, worded for runs of one scenario on
/// common random numbers and with 1,000 trials by default (a study runs the scenario many times), the mitigations
/// applied to every run, and `--set`.
#[derive(Debug, Args)]
#[command(
    mut_arg("trials", |a| a
        .default_value("1000")
        .help("Trials per run (every run uses the same seed and trials: common random numbers)")),
    mut_arg("seed", |a| a.help("Master seed")),
    mut_arg("out", |a| a.help("Output folder [default: out/<scenario name>/sweep, or out/<scenario name>/sensitivity]")),
    mut_arg("quiet", |a| a.help("Do not show the progress bar, nor the cost line before the run"))
)]
pub struct RawStudySettings {
    #[command(flatten)]
    trials: RawTrials,
    /// Apply this mitigation or package of the scenario (or every one a `.toml` file defines) to every run.
    #[arg(long = "mitigation", short = 'm', value_name = "NAME|FILE")]
    mitigations: Vec<String>,
    #[command(flatten)]
    set: RawSet,
}

/// Settings of a study command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudySettings {
    pub trials: TrialSettings,
    pub mitigations: Vec<OptionArg>,
    /// `--set KEY=VALUE` settings, in order.
    pub set: Vec<String>,
}

impl RawStudySettings {
    fn into_settings(self) -> StudySettings {
        StudySettings {
            trials: self.trials.into_settings(),
            mitigations: self.mitigations.into_iter().map(OptionArg::from_word).collect(),
            set: self.set.set,
        }
    }
}

#[derive(Debug, Args)]
pub struct RawSweep {
    /// Scenario file (TOML); `-` reads it from standard input; an overlay naming its base is read with the base.
    scenario: PathBuf,
    /// A numeric key and its values: `KEY=V1,V2,...` (a dotted path as for `--set`). Repeat for a grid of every
    /// combination, the first key varying slowest.
    #[arg(long = "vary", value_name = "KEY=V1,V2,...", required = true, value_parser = parse_axis)]
    vary: Vec<Axis>,
    /// Pair the i-th values of every `--vary` instead of taking every combination.
    #[arg(long)]
    zip: bool,
    /// A metric for the table: `loss`, `short:END_USE`, `delay:END_USE` or `units-short:END_USE`; repeat for
    /// several [default: the loss, then P(short or late) of each end use short at some point].
    #[arg(long = "metric", value_name = "METRIC", value_parser = ObjectiveArg::parse)]
    metrics: Vec<ObjectiveArg>,
    #[command(flatten)]
    settings: RawStudySettings,
}

/// One `--vary`: a key and its values as given.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub key: String,
    pub values: Vec<f64>,
}

/// Arguments of `chokepoint sweep`.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepArgs {
    pub scenario: ScenarioSource,
    pub axes: Vec<Axis>,
    pub zip: bool,
    pub metrics: Vec<ObjectiveArg>,
    pub settings: StudySettings,
}

impl RawSweep {
    pub fn into_args(self) -> SweepArgs {
        SweepArgs {
            scenario: ScenarioSource::from_arg(self.scenario),
            axes: self.vary,
            zip: self.zip,
            metrics: self.metrics,
            settings: self.settings.into_settings(),
        }
    }
}

impl SweepArgs {
    /// A key given to two `--vary`, if any: a usage error, since its values would conflict.
    pub fn repeated_key(&self) -> Option<String> {
        let axes = &self.axes;
        let twice = axes.iter().enumerate().find_map(|(i, a)| axes[..i].iter().find(|b| b.key == a.key))?;
        Some(format!("`--vary {}` is given twice: give each key once, with all its values", twice.key))
    }
}

/// `KEY=V1,V2,...`, every value a number.
fn parse_axis(text: &str) -> Result<Axis, String> {
    let Some((key, values)) = text.split_once('=') else {
        return Err(format!(
            "`--vary {text}` has no `=`: write `--vary KEY=V1,V2,...`, such as `--vary \
                            disruptions.dytb_embargo.duration_weeks=13,26,52`"
        ));
    };
    let key = key.trim().to_owned();
    if key.is_empty() {
        return Err(format!("`--vary {text}` names no key: write `--vary KEY=V1,V2,...`"));
    }
    let mut out = Vec::new();
    for v in values.split(',').map(str::trim) {
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() => out.push(x),
            _ if v.is_empty() => {
                return Err(format!("`--vary {text}` has an empty value: separate numbers with single commas"));
            }
            _ => {
                return Err(format!(
                    "`--vary {key}`: `{v}` is not a number. A sweep varies numeric keys (capacities, stocks, \
                     durations, probabilities); to compare other values, run `chokepoint run --set {key}=VALUE` \
                     once per value"
                ));
            }
        }
    }
    Ok(Axis { key, values: out })
}

/// Which sensitivity analyses to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    /// One parameter at a time at its low and high quantile.
    Tornado,
    /// First-order and total variance-based (Sobol) indices.
    Sobol,
    /// Both.
    Both,
}

#[derive(Debug, Args)]
pub struct RawSensitivity {
    /// Scenario file (TOML); `-` reads it from standard input; the embedded rare_earths_2025 scenario when
    /// omitted.
    scenario: Option<PathBuf>,
    /// Which analysis: a tornado, variance-based (Sobol) indices, or both.
    #[arg(long, value_enum, default_value_t = Method::Tornado)]
    method: Method,
    /// The metric: `loss` (every end use, the scenario's loss measure), `short:END_USE` (P(short or late)),
    /// `delay:END_USE` (longest delay, weeks) or `units-short:END_USE`.
    #[arg(long, value_name = "METRIC", default_value = "loss", value_parser = ObjectiveArg::parse)]
    metric: ObjectiveArg,
    /// An uncertain parameter to study (a key path, or a pattern with `*` segments such as
    /// `stages.*.inventory_weeks.initial`); repeat for several [default: every uncertain parameter].
    #[arg(long = "param", value_name = "KEY")]
    params: Vec<String>,
    /// The tornado's low and high quantiles.
    #[arg(long, value_name = "LOW,HIGH", default_value = "0.1,0.9", value_parser = parse_quantiles)]
    quantiles: (f64, f64),
    /// Base samples N of the Sobol design (N × (parameters + 3) trials; N at most 1,000,000, and the trials at most
    /// 100,000,000).
    #[arg(long, value_name = "N", default_value_t = 256,
          value_parser = clap::value_parser!(u64).range(2..=MAX_SOBOL_SAMPLES))]
    samples: u64,
    /// Bootstrap resamples for the Sobol intervals (at most 10,000).
    #[arg(long, value_name = "B", default_value_t = 200,
          value_parser = clap::value_parser!(u64).range(0..=MAX_BOOTSTRAP))]
    bootstrap: u64,
    /// List the scenario's uncertain parameters (keys, scope, P10/P50/P90) and stop.
    #[arg(long)]
    list: bool,
    #[command(flatten)]
    settings: RawStudySettings,
}

/// Arguments of `chokepoint sensitivity`.
#[derive(Debug, Clone, PartialEq)]
pub struct SensitivityArgs {
    pub scenario: ScenarioSource,
    pub method: Method,
    pub metric: ObjectiveArg,
    pub params: Vec<String>,
    pub quantiles: (f64, f64),
    pub samples: usize,
    pub bootstrap: usize,
    pub list: bool,
    pub settings: StudySettings,
}

impl RawSensitivity {
    pub fn into_args(self) -> SensitivityArgs {
        SensitivityArgs {
            scenario: self.scenario.map_or(ScenarioSource::Embedded, ScenarioSource::from_arg),
            method: self.method,
            metric: self.metric,
            params: self.params,
            quantiles: self.quantiles,
            samples: usize::try_from(self.samples).unwrap_or(usize::MAX),
            bootstrap: usize::try_from(self.bootstrap).unwrap_or(usize::MAX),
            list: self.list,
            settings: self.settings.into_settings(),
        }
    }
}

fn parse_quantiles(text: &str) -> Result<(f64, f64), String> {
    let parsed = text.split_once(',').and_then(|(a, b)| Some((a.trim().parse::<f64>().ok()?, b.trim().parse().ok()?)));
    match parsed {
        Some((lo, hi)) if 0.0 <= lo && lo < hi && hi <= 1.0 => Ok((lo, hi)),
        _ => Err(format!("`{text}` is not two quantiles LOW,HIGH with 0 <= LOW < HIGH <= 1, such as `0.1,0.9`")),
    }
}

/// `--worlds`: 1 to [`MAX_WORLDS`], as the scenario's `uncertainty.worlds`.
fn parse_worlds(text: &str) -> Result<usize, String> {
    let too_many = || {
        format!(
            "{text} worlds are more than the {MAX_WORLDS} a two-level run may sample: give `--worlds` {MAX_WORLDS} or \
             fewer (a few hundred give usable bands)"
        )
    };
    match text.parse::<u64>() {
        Ok(0) => Err("a two-level run needs at least one world: give `--worlds` 1 or more (a few hundred give \
                       usable bands)"
            .to_owned()),
        Ok(n) if n <= MAX_WORLDS => usize::try_from(n).map_err(|_| too_many()),
        Ok(_) => Err(too_many()),
        Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => Err(too_many()),
        Err(_) => Err(format!("`{text}` is not a number of worlds: give a whole number such as `200`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vary_takes_numbers_only() {
        let axis = parse_axis("disruptions.x.duration_weeks=13, 26,52").expect("numbers");
        assert_eq!((axis.key.as_str(), axis.values), ("disruptions.x.duration_weeks", vec![13.0, 26.0, 52.0]));
        let refused = parse_axis("horizon.period=week,month").expect_err("words");
        assert!(refused.contains("not a number") && refused.contains("--set horizon.period=VALUE"), "{refused}");
        assert!(parse_axis("x").is_err());
        assert!(parse_axis("x=1,,2").is_err());
    }

    #[test]
    fn quantiles_and_worlds_are_checked() {
        assert_eq!(parse_quantiles("0.05, 0.95"), Ok((0.05, 0.95)));
        assert!(parse_quantiles("0.9,0.1").is_err());
        assert!(parse_worlds("0").expect_err("zero").contains("at least one world"));
        assert_eq!(parse_worlds("200"), Ok(200));
        assert_eq!(parse_worlds("100000"), Ok(100_000));
        for too_many in ["100001", "18446744073709551615", "18446744073709551616"] {
            assert!(parse_worlds(too_many).expect_err(too_many).contains("more than the 100000"), "{too_many}");
        }
        assert!(parse_worlds("-1").expect_err("negative").contains("not a number of worlds"));
    }
}
