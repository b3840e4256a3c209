//! Runs trials `0..N` of one scenario on one thread, for the instruction-count gate of `.ci/instructions`.
//!
//! `chokepoint-instructions SCENARIO.toml TRIALS` loads the scenario (and the bases it names), then runs its
//! trials with `chokepoint_engine::run` on a pool of one thread, exactly as `chokepoint run --threads 1` does
//! (lockstep groups, fan-chart counts). With `--alone` it simulates them one after the other instead, each in a
//! group of one, as `chokepoint trace` does. It prints a digest of the outcomes (every number of every
//! trial's outcome), so a run cannot be optimised away and a change of results shows.
//!
//! Valgrind's callgrind counts the instructions. `.ci/instructions` runs this binary with `TRIALS` and with 0
//! trials and divides the difference by `TRIALS`, so loading the scenario and starting the pool are not
//! counted. Instruction counts repeat exactly from run to run, where wall time on a shared machine does not.

use std::hint::black_box;
use std::path::Path;
use std::process::ExitCode;

use chokepoint_engine::trial::{Scratch, simulate};
use chokepoint_engine::{EndUseOutcome, Model, RunConfig, run};

/// The seed of the measured trials.
const SEED: u64 = 1;

/// FNV-1a over the bits of every number of every trial's outcome: end use by end use, trial by trial, every field
/// of its outcome in declaration order; then each stage's throughput lost and wanted, and each stockpile's lowest
/// level and release, trial by trial. Covering the whole outcome, it tells apart scenarios whose end uses are never
/// short (a digest of units short alone was the same for some different scenarios). Read column by column from a
/// run's results, it adds about a thousand instructions a trial to the default scenario's count.
struct Digest(u64);

impl Digest {
    fn new() -> Self {
        Digest(0xCBF2_9CE4_8422_2325)
    }

    fn add(&mut self, bits: u64) {
        self.0 = (self.0 ^ bits).wrapping_mul(0x0000_0100_0000_01B3);
    }

    fn add_numbers(&mut self, numbers: impl IntoIterator<Item = f64>) {
        for x in numbers {
            self.add(x.to_bits());
        }
    }

    /// Every field of one end use's outcome in one trial.
    fn add_outcome(&mut self, o: &EndUseOutcome) {
        let EndUseOutcome {
            demand,
            built,
            units_short,
            share_met,
            short_periods,
            longest_short_run,
            first_short_period,
            recovery_period,
            units_late,
            units_lost,
            units_owed_at_end,
            backlog_unit_periods,
            max_delay_periods,
            peak_backlog,
            peak_backlog_weeks,
        } = *o;
        let period = |p: Option<u32>| p.map_or(u64::MAX, u64::from);
        self.add_numbers([demand, built, units_short, share_met]);
        for bits in [short_periods, longest_short_run].map(u64::from) {
            self.add(bits);
        }
        for bits in [first_short_period, recovery_period].map(period) {
            self.add(bits);
        }
        self.add_numbers([units_late, units_lost, units_owed_at_end, backlog_unit_periods]);
        self.add(u64::from(max_delay_periods));
        self.add_numbers([peak_backlog, peak_backlog_weeks]);
    }
}

/// Runs trials `0..trials` as `chokepoint run` does, on one thread.
fn run_trials(model: &Model, trials: u64) -> Result<u64, String> {
    let config = RunConfig { trials, seed: SEED, threads: 1, bands: true, first_trial: 0 };
    let r = run(model, &config, &|_| {}).map_err(|e| e.to_string())?;
    let mut digest = Digest::new();
    for e in 0..r.n_end_uses {
        for outcome in r.end_use(e).outcomes() {
            digest.add_outcome(&outcome);
        }
    }
    for s in 0..r.n_stages {
        digest.add_numbers(r.stage_lost(s).zip(r.stage_wanted(s)).flat_map(|(lost, wanted)| [lost, wanted]));
    }
    for k in 0..r.n_stockpiles {
        digest.add_numbers(r.stockpile_min(k).zip(r.stockpile_released(k)).flat_map(|(low, out)| [low, out]));
    }
    Ok(digest.0)
}

/// Simulates trials `0..trials` one at a time, digested in the order of [`run_trials`].
fn simulate_trials_alone(model: &Model, trials: u64) -> u64 {
    let mut scratch = Scratch::new(model);
    let mut outcomes = Vec::new();
    for trial in 0..trials {
        simulate(model, SEED, trial, &mut scratch, None);
        outcomes.push(scratch.outcome().clone());
    }
    let mut digest = Digest::new();
    let n_end_uses = outcomes.first().map_or(0, |o| o.end_uses.len());
    for e in 0..n_end_uses {
        for o in &outcomes {
            digest.add_outcome(&o.end_uses[e]);
        }
    }
    let n_stages = outcomes.first().map_or(0, |o| o.stage_throughput_lost.len());
    for s in 0..n_stages {
        digest.add_numbers(outcomes.iter().flat_map(|o| [o.stage_throughput_lost[s], o.stage_throughput_wanted[s]]));
    }
    let n_stockpiles = outcomes.first().map_or(0, |o| o.stockpile_min.len());
    for k in 0..n_stockpiles {
        digest.add_numbers(outcomes.iter().flat_map(|o| [o.stockpile_min[k], o.stockpile_released[k]]));
    }
    digest.0
}

fn load(path: &Path) -> Result<Model, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let folder = path.parent().unwrap_or(Path::new(".")).to_owned();
    let mut resolve = |_naming: &str, base: &str| -> Result<(String, Vec<u8>), String> {
        let file = folder.join(base);
        std::fs::read(&file).map(|bytes| (file.display().to_string(), bytes)).map_err(|e| e.to_string())
    };
    chokepoint_scenario::parse_with(&path.display().to_string(), &text, &mut resolve)
        .map(|scenario| scenario.model)
        .map_err(|d| d.render())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let alone = args.get(3).is_some_and(|a| a == "--alone");
    let (Some(path), Some(Ok(trials)), 3 | 4) = (args.get(1), args.get(2).map(|n| n.parse::<u64>()), args.len()) else {
        eprintln!("usage: chokepoint-instructions SCENARIO.toml TRIALS [--alone]");
        return ExitCode::FAILURE;
    };
    if args.len() == 4 && !alone {
        eprintln!("unknown option `{}`; the only option is `--alone`", args[3]);
        return ExitCode::FAILURE;
    }
    let outcome = load(Path::new(path)).and_then(|model| {
        if alone { Ok(simulate_trials_alone(black_box(&model), trials)) } else { run_trials(black_box(&model), trials) }
    });
    match outcome {
        Ok(digest) => {
            let how = if alone { "one at a time" } else { "through run" };
            println!("{trials} trials of {path} {how}: outcome digest {digest:016x}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}
