//! Runs trials `0..N` of one scenario on one thread, for the instruction-count gate of `.ci/instructions`.
//!
//! `chokepoint-instructions SCENARIO.toml TRIALS` loads the scenario (and the bases it names), then runs its
//! trials with `chokepoint_engine::run` on a pool of one thread, exactly as `chokepoint run --threads 1` does
//! (lockstep groups, fan-chart counts). With `--alone` it simulates them one after the other instead, each in a
//! group of one, as `chokepoint trace` does. It prints a digest of the outcomes, so a run cannot be optimised
//! away and a change of results shows.
//!
//! Valgrind's callgrind counts the instructions. `.ci/instructions` runs this binary with `TRIALS` and with 0
//! trials and divides the difference by `TRIALS`, so loading the scenario and starting the pool are not
//! counted. Instruction counts repeat exactly from run to run, where wall time on a shared machine does not.

use std::hint::black_box;
use std::path::Path;
use std::process::ExitCode;

use chokepoint_engine::trial::{Scratch, simulate};
use chokepoint_engine::{Model, RunConfig, run};

/// The seed of the measured trials.
const SEED: u64 = 1;

/// FNV-1a over the bits of units short, one value per trial and end use.
fn digest(units_short: impl Iterator<Item = f64>) -> u64 {
    units_short.fold(0xCBF2_9CE4_8422_2325, |digest, x| (digest ^ x.to_bits()).wrapping_mul(0x0000_0100_0000_01B3))
}

/// Runs trials `0..trials` as `chokepoint run` does, on one thread.
fn run_trials(model: &Model, trials: u64) -> Result<u64, String> {
    let config = RunConfig { trials, seed: SEED, threads: 1, bands: true, first_trial: 0 };
    let results = run(model, &config, &|_| {}).map_err(|e| e.to_string())?;
    // Trial by trial, end use by end use, as the trials alone are digested.
    let short: Vec<&[f64]> = (0..results.n_end_uses).map(|e| results.end_use(e).units_short).collect();
    Ok(digest((0..results.trials).flat_map(|t| short.iter().map(move |x| x[t]))))
}

/// Simulates trials `0..trials` one at a time.
fn simulate_trials_alone(model: &Model, trials: u64) -> u64 {
    let mut scratch = Scratch::new(model);
    let mut outcomes = Vec::new();
    for trial in 0..trials {
        simulate(model, SEED, trial, &mut scratch, None);
        outcomes.extend_from_slice(&scratch.outcome().end_uses);
    }
    digest(outcomes.iter().map(|o| o.units_short))
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
