//! Criterion benchmarks: trials per second on the default scenario with 1 and 2 threads, and nanoseconds per
//! stage-period of a single trial.
//!
//! Run with `cargo bench --bench engine`; criterion prints `thrpt` in elements per second, where an element is
//! a trial (the `run` group) or a stage-period (the `trial` group).

use std::hint::black_box;

use chokepoint_engine::trial::{Scratch, simulate};
use chokepoint_engine::{Model, RunConfig, run};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const DEFAULT: &str = include_str!("../scenarios/rare_earths_2025.toml");

fn default_model() -> Model {
    match chokepoint_scenario::parse("scenarios/rare_earths_2025.toml", DEFAULT) {
        Ok(s) => s.model,
        Err(d) => panic!("the default scenario does not parse:\n{d}"),
    }
}

fn trials_per_second(c: &mut Criterion) {
    let model = default_model();
    let trials = 2_000u64;
    let mut group = c.benchmark_group("run");
    group.throughput(Throughput::Elements(trials));
    group.sample_size(10);
    for threads in [1usize, 2] {
        group.bench_with_input(BenchmarkId::new("default_scenario_trials", threads), &threads, |b, &threads| {
            let config = RunConfig { trials, seed: 1, threads, bands: true, first_trial: 0 };
            b.iter(|| black_box(run(&model, &config, &|_| {}).map(|r| r.trials)));
        });
    }
    group.finish();
}

fn stage_periods(c: &mut Criterion) {
    let model = default_model();
    let stage_periods = (model.spec().stages.len() * model.periods()) as u64;
    let mut scratch = Scratch::new(&model);
    let mut group = c.benchmark_group("trial");
    group.throughput(Throughput::Elements(stage_periods));
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

criterion_group!(benches, trials_per_second, stage_periods);
criterion_main!(benches);
