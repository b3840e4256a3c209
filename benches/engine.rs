//! Criterion benchmarks of the engine on the default scenario: trials per second with 1 and 2 threads, and
//! nanoseconds per stage-period, both as `chokepoint run` simulates trials (lockstep groups on one thread) and
//! for one trial alone (as `chokepoint trace` does).
//!
//! Run with `cargo bench --bench engine`. Criterion prints `thrpt` in elements per second, where an element is a
//! trial (`run/default_scenario_trials/*`) or a stage-period (`stage_periods/*` and `trial/*`): nanoseconds per
//! stage-period are 1,000 divided by the Melem/s figure. Instruction counts, which repeat exactly, are measured
//! by `.ci/instructions` instead.

use std::hint::black_box;

use chokepoint_engine::trial::{Scratch, simulate};
use chokepoint_engine::{Model, RunConfig, run};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const DEFAULT: &str = include_str!("../scenarios/rare_earths_2025.toml");

/// Trials per measured run.
const TRIALS: u64 = 2_000;

fn default_model() -> Model {
    match chokepoint_scenario::parse("scenarios/rare_earths_2025.toml", DEFAULT) {
        Ok(s) => s.model,
        Err(d) => panic!("the default scenario does not parse:\n{d}"),
    }
}

/// Stage-periods in one trial.
fn stage_periods_per_trial(model: &Model) -> u64 {
    (model.spec().stages.len() * model.periods()) as u64
}

fn runs(model: &Model, threads: usize) -> Option<usize> {
    let config = RunConfig { trials: TRIALS, seed: 1, threads, bands: true, first_trial: 0 };
    run(model, &config, &|_| {}).ok().map(|r| r.trials)
}

fn trials_per_second(c: &mut Criterion) {
    let model = default_model();
    let mut group = c.benchmark_group("run");
    group.throughput(Throughput::Elements(TRIALS));
    group.sample_size(10);
    for threads in [1usize, 2] {
        group.bench_with_input(BenchmarkId::new("default_scenario_trials", threads), &threads, |b, &threads| {
            b.iter(|| black_box(runs(&model, threads)));
        });
    }
    group.finish();
}

fn stage_periods_in_runs(c: &mut Criterion) {
    let model = default_model();
    let mut group = c.benchmark_group("stage_periods");
    group.throughput(Throughput::Elements(TRIALS * stage_periods_per_trial(&model)));
    group.sample_size(10);
    group.bench_function("default_scenario_run_one_thread", |b| b.iter(|| black_box(runs(&model, 1))));
    group.finish();
}

fn stage_periods_of_one_trial(c: &mut Criterion) {
    let model = default_model();
    let mut scratch = Scratch::new(&model);
    let mut group = c.benchmark_group("trial");
    group.throughput(Throughput::Elements(stage_periods_per_trial(&model)));
    let mut trial = 0u64;
    group.bench_function("default_scenario_stage_periods", |b| {
        b.iter(|| {
            trial += 1;
            simulate(&model, 1, trial, &mut scratch, None);
            black_box(scratch.outcome().end_uses.len())
        });
    });
    group.finish();
}

criterion_group!(benches, trials_per_second, stage_periods_in_runs, stage_periods_of_one_trial);
criterion_main!(benches);
