//! Runs trials `0..N` of one scenario on one thread, for the instruction-count gate of `.ci/instructions`.
//!
//! `chokepoint-instructions SCENARIO.toml TRIALS` loads the scenario (and the bases it names), then simulates
//! its trials one after the other in one reused [`Scratch`], exactly as a worker of `chokepoint run` does.
//! Valgrind's callgrind counts the instructions of [`simulate_trials`] alone (`--toggle-collect`), so loading
//! and validating the scenario are not counted. Instruction counts repeat exactly from run to run, where wall
//! time on a shared machine does not; the binary prints a digest of the outcomes so a run cannot be optimised
//! away and a change of results is visible.

use std::hint::black_box;
use std::path::Path;
use std::process::ExitCode;

use chokepoint_engine::trial::{Scratch, simulate};
use chokepoint_engine::{Model, RunConfig, run};

/// The seed of the measured trials.
const SEED: u64 = 1;

/// Simulates trials `0..trials` and returns a digest of their outcomes (FNV-1a over the bits of each end use's
/// units short). Callgrind measures this function and what it calls.
#[inline(never)]
fn simulate_trials(model: &Model, trials: u64, scratch: &mut Scratch) -> u64 {
    let mut digest: u64 = 0xCBF2_9CE4_8422_2325;
    for trial in 0..trials {
        simulate(model, SEED, trial, scratch, None);
        for outcome in &scratch.outcome().end_uses {
            digest ^= outcome.units_short.to_bits();
            digest = digest.wrapping_mul(0x0000_0100_0000_01B3);
        }
    }
    digest
}

#[inline(never)]
fn run_trials(model: &Model, trials: u64) -> u64 {
    let results = run(model, &RunConfig { trials, seed: SEED, threads: 1, bands: true }, &|_| {}).expect("a pool");
    let mut digest: u64 = 0xCBF2_9CE4_8422_2325;
    for outcome in &results.end_uses {
        digest ^= outcome.units_short.to_bits();
        digest = digest.wrapping_mul(0x0000_0100_0000_01B3);
    }
    digest
}

fn load(path: &Path) -> Result<Model, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let folder = path.parent().unwrap_or(Path::new(".")).to_owned();
    let mut resolve = |_naming: &str, base: &str| -> Result<(String, String), String> {
        let file = folder.join(base);
        std::fs::read_to_string(&file).map(|t| (file.display().to_string(), t)).map_err(|e| e.to_string())
    };
    chokepoint_scenario::parse_with(&path.display().to_string(), &text, &mut resolve)
        .map(|scenario| scenario.model)
        .map_err(|d| d.render())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(Ok(trials))) = (args.get(1), args.get(2).map(|n| n.parse::<u64>())) else {
        eprintln!("usage: chokepoint-instructions SCENARIO.toml TRIALS");
        return ExitCode::FAILURE;
    };
    let model = match load(Path::new(path)) {
        Ok(model) => model,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    if args.get(3).is_some_and(|a| a == "--run") {
        let digest = run_trials(black_box(&model), black_box(trials));
        println!("{trials} trials of {path} through run: outcome digest {digest:016x}");
        return ExitCode::SUCCESS;
    }
    let mut scratch = Scratch::new(&model);
    let digest = simulate_trials(black_box(&model), black_box(trials), &mut scratch);
    println!("{trials} trials of {path}: outcome digest {digest:016x}");
    ExitCode::SUCCESS
}
